"""costs.lua: the Gram matrix, collect_activations, style_grad and content_grad (MSE, summed, with their own
normalisations) and total_var_grad.

Edit: the file reads main.lua's global ``opt`` (``opt.cpu`` when it is run, ``opt.model`` in style_grad and
content_grad): main.py sets this module's ``opt`` and runs ``dofile()``, the file's top-level statements (the
``euclidean`` criterion), as ``paths.dofile('costs.lua')`` runs them after opt is parsed."""
import legonn as lg
from legonn import nn

opt = None
euclidean = None


# compute the Gramian matrix for input
def gram(input):
    k = input.size(1)
    flat = input.view(k, -1)
    gram = lg.mm(flat, flat.t())
    return gram


def collect_activations(model, activation_layers, gram_layers):
    activations, grams = {}, {}
    for i, module in enumerate(model.modules):
        name = getattr(module, '_name', None)
        if name:
            if activation_layers.get(name):
                activation = module.output.new()
                activation.resize(module.output.nElement())
                activation.copy(module.output)
                activations[name] = activation

            if gram_layers.get(name):
                grams[name] = gram(module.output).view(-1)
    return activations, grams


#
# gradient computation functions
#

def dofile():
    global euclidean
    euclidean = nn.MSECriterion()
    euclidean.sizeAverage = False
    if opt['cpu']:
        euclidean.float()
    else:
        euclidean.cuda()


def style_grad(gen, orig_gram):
    k = gen.size(1)
    size = gen.nElement()
    size_sq = size * size
    gen_gram = gram(gen)
    gen_gram_flat = gen_gram.view(-1)
    loss = euclidean.forward(gen_gram_flat, orig_gram)
    grad = euclidean.backward(gen_gram_flat, orig_gram) \
        .view(gen_gram.size())

    # normalization helps improve the appearance of the generated image
    norm = size_sq
    if opt['model'] == 'inception':
        norm = lg.abs(grad).mean() * size_sq
    else:
        norm = size_sq
    if norm > 0:
        loss = loss / norm
        grad.div(norm)
    grad = lg.mm(grad, gen.view(k, -1)).view(gen.size())
    return loss, grad


def content_grad(gen, orig):
    gen_flat = gen.view(-1)
    loss = euclidean.forward(gen_flat, orig)
    grad = euclidean.backward(gen_flat, orig).view(gen.size())
    if opt['model'] == 'inception':
        norm = lg.abs(grad).mean()
        if norm > 0:
            loss = loss / norm
            grad.div(norm)
    return loss, grad


# total variation gradient
def total_var_grad(gen):
    x_diff = gen[:, :, 0:-1, 0:-1] - gen[:, :, 0:-1, 1:]
    y_diff = gen[:, :, 0:-1, 0:-1] - gen[:, :, 1:, 0:-1]
    grad = gen.new().resize(gen.size()).zero()
    grad[:, :, 0:-1, 0:-1].add(x_diff).add(y_diff)
    grad[:, :, 0:-1, 1:].add(-1, x_diff)
    grad[:, :, 1:, 0:-1].add(-1, y_diff)
    return grad
