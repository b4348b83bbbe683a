"""NeuralNetwork: a multi-layer perceptron of wrapped nn modules (torch-autograd's model/NeuralNetwork.lua)."""
from .. import util
from ..nnwrapper import functionalize
from .common import option, options, sequence


def _neural_layer(nn, opt, params, layers, layer2params):
    """Append one layer (dropout, linear, batch normalization, activation, each if asked) to ``layers``, its
    parameters to ``params``."""
    inputFeatures = option(opt, 'inputFeatures', 3)
    outputFeatures = option(opt, 'outputFeatures', 16)
    batchNormalization = option(opt, 'batchNormalization', False)
    dropoutProb = option(opt, 'dropoutProb', 0)
    activations = opt.get('activations')

    if dropoutProb > 0:
        layers.append(nn.Dropout(dropoutProb))

    l, p = nn.Linear(inputFeatures, outputFeatures)
    layers.append(l)
    params.append(p)
    layer2params[len(layers) - 1] = len(params) - 1

    if batchNormalization:
        l, p = nn.BatchNormalization(outputFeatures)
        layers.append(l)
        params.append(p)
        layer2params[len(layers) - 1] = len(params) - 1

    if activations:
        layers.append(nn[activations]())


def NeuralNetwork(opt=None, params=None, layers=None, layer2params=None):
    """``(f, params, layers)``: ``f(params, input)`` reshapes ``input`` to ``inputFeatures`` (default 10) and
    runs a linear layer per entry of ``hiddenFeatures`` (default [100, 2]), each followed by the
    ``activations`` module (default 'ReLU'), with ``batchNormalization`` and dropout (``dropoutProb``, or
    ``dropoutProbs[i]`` per layer) if asked; ``classifier`` leaves the last layer linear. ``params`` is the
    list of each parameterised layer's parameter list; ``cuda`` casts them to CudaTensors. ``params``,
    ``layers`` and ``layer2params`` given are appended to (AlexNet builds on SpatialNetwork's)."""
    opt = options(opt, 'autograd.model.NeuralNetwork')
    inputFeatures = option(opt, 'inputFeatures', 10)
    hiddenFeatures = option(opt, 'hiddenFeatures', [100, 2])
    batchNormalization = option(opt, 'batchNormalization', False)
    dropoutProb = option(opt, 'dropoutProb', 0)
    dropoutProbs = option(opt, 'dropoutProbs', [])
    activations = option(opt, 'activations', 'ReLU')
    classifier = option(opt, 'classifier', False)
    cuda = option(opt, 'cuda', False)

    layers = [] if layers is None else layers
    params = [] if params is None else params
    layer2params = {} if layer2params is None else layer2params
    nn = functionalize('nn')

    # always add a reshape to force input dim:
    layers.append(nn.Reshape(inputFeatures))

    for i, hiddens in enumerate(hiddenFeatures):
        if classifier and i == len(hiddenFeatures) - 1:
            activations = None
            batchNormalization = None
        _neural_layer(nn, {
            'inputFeatures': inputFeatures,
            'outputFeatures': hiddens,
            'dropoutProb': dropoutProbs[i] if i < len(dropoutProbs) else dropoutProb,
            'activations': activations,
            'batchNormalization': batchNormalization,
        }, params, layers, layer2params)
        inputFeatures = hiddens

    if cuda:
        params[:] = util.cast(params, 'cuda')

    return sequence(layers, layer2params), params, layers
