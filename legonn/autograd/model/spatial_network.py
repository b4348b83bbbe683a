"""SpatialNetwork: a stack of convolution layers of wrapped nn modules (torch-autograd's
model/SpatialNetwork.lua)."""
import math

from .. import util
from ..nnwrapper import functionalize
from .common import option, options, sequence


def _spatial_layer(nn, opt, params, layers, layer2params):
    """Append one layer (spatial dropout, convolution, batch normalization, activation, max pooling, each if
    asked) to ``layers``, its parameters to ``params``."""
    kernelSize = option(opt, 'kernelSize', 5)
    # SpatialNetwork.lua:15, math.ceil(kernelSize-1)/2: 1.5 for an even kernel of 4, which Torch7's
    # SpatialConvolutionMM passes to THNN's C through LuaJIT's FFI as an int, truncated: 1
    padding = option(opt, 'padding', math.ceil(kernelSize - 1) // 2)
    inputFeatures = option(opt, 'inputFeatures', 3)
    outputFeatures = option(opt, 'outputFeatures', 16)
    batchNormalization = option(opt, 'batchNormalization', False)
    dropoutProb = option(opt, 'dropoutProb', 0)
    activations = opt.get('activations')
    pooling = option(opt, 'pooling', 1)
    inputStride = option(opt, 'inputStride', 1)

    if dropoutProb > 0:
        layers.append(nn.SpatialDropout(dropoutProb))

    l, p = nn.SpatialConvolutionMM(inputFeatures, outputFeatures, kernelSize, kernelSize, inputStride, inputStride,
                                   padding, padding)
    layers.append(l)
    params.append(p)
    layer2params[len(layers) - 1] = len(params) - 1

    if batchNormalization:
        l, p = nn.SpatialBatchNormalization(outputFeatures)
        layers.append(l)
        params.append(p)
        layer2params[len(layers) - 1] = len(params) - 1

    if activations:
        layers.append(nn[activations]())

    if pooling > 1:
        layers.append(nn.SpatialMaxPooling(pooling, pooling))


def SpatialNetwork(opt=None, params=None, layers=None, layer2params=None):
    """``(f, params, layers)``: ``f(params, input)`` runs a ``kernelSize`` (default 5) convolution per entry of
    ``hiddenFeatures`` (default [16, 32, 64]) from ``inputFeatures`` planes (default 3), padded by ``padding``
    (default (kernelSize - 1) // 2: the Lua's 1.5 of a kernel of 4 reached Torch7's C as 1), the first with
    stride ``inputStride``, each followed by ``activations`` (default 'ReLU') and a max pooling of
    ``poolings[i]`` (default 1, none), with ``batchNormalization`` and spatial dropout (``dropoutProb`` /
    ``dropoutProbs``) if asked; ``cuda`` casts the parameters to CudaTensors. Given ``params``, ``layers``,
    ``layer2params`` are appended to."""
    opt = options(opt, 'autograd.model.SpatialNetwork')
    kernelSize = option(opt, 'kernelSize', 5)
    padding = opt.get('padding')
    inputFeatures = option(opt, 'inputFeatures', 3)
    hiddenFeatures = option(opt, 'hiddenFeatures', [16, 32, 64])
    batchNormalization = option(opt, 'batchNormalization', False)
    dropoutProb = option(opt, 'dropoutProb', 0)
    dropoutProbs = option(opt, 'dropoutProbs', [])
    activations = option(opt, 'activations', 'ReLU')
    poolings = option(opt, 'poolings', [1, 1, 1])
    inputStride = option(opt, 'inputStride', 1)
    cuda = option(opt, 'cuda', False)

    layers = [] if layers is None else layers
    params = [] if params is None else params
    layer2params = {} if layer2params is None else layer2params
    nn = functionalize('nn')

    for i, hiddens in enumerate(hiddenFeatures):
        _spatial_layer(nn, {
            'inputStride': inputStride,
            'inputFeatures': inputFeatures,
            'outputFeatures': hiddens,
            'pooling': poolings[i] if i < len(poolings) else None,
            'dropoutProb': dropoutProbs[i] if i < len(dropoutProbs) else dropoutProb,
            'activations': activations,
            'batchNormalization': batchNormalization,
            'kernelSize': kernelSize,
            'padding': padding,
        }, params, layers, layer2params)
        inputFeatures = hiddens
        inputStride = 1

    if cuda:
        params[:] = util.cast(params, 'cuda')

    return sequence(layers, layer2params), params, layers
