"""misc/utils.lua of ramprs/grad-cam, ported line by line (the edits are listed in tests/porting/grad_cam's
docstring; each is marked where it is made)."""
import re

import legonn as lg
from legonn import image, nn


# Preprocess the image before passing it to a Caffe model.
def preprocess(path, width=None, height=None):
    width = width or 224
    height = height or 224

    # load image
    orig_image = image.load(path)

    # handle greyscale and rgba images
    if orig_image.size(0) == 1:
        orig_image = orig_image.repeatTensor(3, 1, 1)
    elif orig_image.size(0) == 4:
        orig_image = orig_image[0:3, :, :]

    # get the dimensions of the original image
    im_height = orig_image.size(1)
    im_width = orig_image.size(2)

    # scale and subtract mean
    img = image.scale(orig_image, width, height).double()
    mean_pixel = lg.DoubleTensor([103.939, 116.779, 123.68])
    img = img.index(0, lg.LongTensor([2, 1, 0])).mul(255.0)
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img.add(-1, mean_pixel)
    return img, im_height, im_width


# Replace ReLUs with DeconvReLUs
def deconv(m):
    from .DeconvReLU import DeconvReLU
    name = lg.typename(m)
    if name == 'nn.ReLU' or name == 'cudnn.ReLU':
        return DeconvReLU()
    else:
        return m


# Replace ReLUs with GuidedBackpropReLUs
def guidedbackprop(m):
    from .GuidedBackpropReLU import GuidedBackpropReLU
    name = lg.typename(m)
    if name == 'nn.ReLU' or name == 'cudnn.ReLU':
        return GuidedBackpropReLU()
    else:
        return m


# Get layer id from name
def cnn_layer_id(cnn, layer_name):
    for i in range(len(cnn.modules)):
        layer = cnn.get(i)
        name = layer.name
        if name == layer_name:
            return i
    return -1


# Synthesize gradInput tensor
def create_grad_input(module, label):
    doutput = module.output.clone().view(-1)
    doutput.fill(0)
    doutput[int(label)] = 1   # VQA passes a json key, a numeric string Lua takes as a number
    return doutput


# Creates gradInput for neuraltalk2 Language Model
def create_grad_input_lm(input, labels):
    output = lg.zeros(input.size()).fill(0)
    for t in range(labels.size(0)):
        if labels[t][0] != -1:   # neuraltalk2's null token 0 is the port's -1
            output[t + 1][0][labels[t][0]] = 1
    return output


def tonumber(x):
    """Lua's tonumber of a number or a string: the number, or None."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


# Generate Grad-CAM
def grad_cam(cnn, layer_name, doutput):
    # Split model into two
    model1, model2 = nn.Sequential(), nn.Sequential()
    if tonumber(layer_name) is None:

        for i in range(len(cnn.modules)):
            model1.add(cnn.get(i))
            layer_id = i
            if cnn.get(i).name == layer_name:
                break
    else:

        layer_id = tonumber(layer_name)
        for i in range(len(cnn.modules)):
            model1.add(cnn.get(i))
            if i == layer_id:
                break

    for i in range(int(layer_id) + 1, len(cnn.modules)):
        model2.add(cnn.get(i))

    # Get activations and gradients
    model2.zeroGradParameters()
    model2.backward(model1.output, doutput)

    # Get the activations from model1 and and gradients from model2
    activations = model1.output.squeeze()
    gradients = model2.gradInput.squeeze()

    # Global average pool gradients
    weights = lg.sum(gradients.view(activations.size(0), -1), 1)

    # Summing and rectifying weighted activations across depth
    map = lg.sum(lg.cmul(activations, weights.view(activations.size(0), 1, 1).expandAs(activations)), 0)
    map = map.cmul(lg.gt(map, 0).typeAs(map))

    return map


def table_invert(t):
    s = {}
    for k, v in t.items():
        s[v] = k
    return s


def sent_to_label(vocab, sent, seq_length):
    inv_vocab = table_invert(vocab)
    labels = lg.zeros(seq_length, 1).fill(-1)   # neuraltalk2's null token 0 is the port's -1
    i = 0
    for word in re.findall(r'[A-Za-z0-9]+', sent):   # Lua's %w: ASCII letters and digits
        # we replace out of vocabulary words with UNK
        if inv_vocab.get(word) is None:
            word = 'UNK'
        ix_word = inv_vocab[word]
        i = i + 1
        labels[i - 1:i, 0:1] = int(ix_word)   # a json key, a numeric string Lua takes as a number
    return labels


def to_heatmap(map):
    map = image.toDisplayTensor(map)
    cmap = lg.Tensor(3, map.size(1), map.size(2)).fill(1)
    for i in range(map.size(1)):
        for j in range(map.size(2)):
            value = map[0][i][j]
            if value <= 0.25:
                cmap[0][i][j] = 0
                cmap[1][i][j] = 4 * value
            elif value <= 0.5:
                cmap[0][i][j] = 0
                cmap[2][i][j] = 2 - 4 * value
            elif value <= 0.75:
                cmap[0][i][j] = 4 * value - 2
                cmap[2][i][j] = 0
            else:
                cmap[1][i][j] = 4 - 4 * value
                cmap[2][i][j] = 0
    return cmap
