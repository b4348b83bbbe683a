"""AlexNet: SpatialNetwork's convolutions under NeuralNetwork's classifier, sized from the image
(torch-autograd's model/AlexNet.lua)."""
import legonn as lg

from .common import options, sequence
from .neural_network import NeuralNetwork
from .spatial_network import SpatialNetwork

# The ImageNet architecture (http://arxiv.org/pdf/1404.5997v2.pdf) would be set with these convolution options:
# kernelSize 3 (per-layer kernel sizes, {11,5,3,3,3}, are not supported), hiddenFeatures {64,192,384,256,256},
# batchNormalization, padding 2 (per-layer paddings, {2,2,1,1,1}, are not supported), ReLU activations,
# inputStride 1 (per-layer strides, {4,1,1,1,1}, are not supported), poolings {3,3,3,3,3}; and the classifier's
# hiddenFeatures {4096,4096,1000}, batchNormalization, dropoutProbs {0.5,0.5,0}.


def AlexNet(imageDepth, imageHeight, imageWidth, convOpt=None, mlpOpt=None, params=None, layers=None,
            layer2params=None):
    """``(f, params, layers)``: a SpatialNetwork (``convOpt``; its ``inputFeatures`` is ``imageDepth``) then a
    NeuralNetwork classifier (``mlpOpt``; ``classifier`` by default) whose input size is what the convolutions
    make of an ``imageDepth x imageHeight x imageWidth`` image. Per-layer kernel sizes or paddings, and a
    classifier ``inputFeatures``, are refused; ``cuda`` on either part puts both on the GPU."""
    convOpt = dict(options(convOpt, 'autograd.model.AlexNet (convOpt)'))
    if convOpt.get('inputFeatures'):
        print(f"Input features set will be overridden with the imageDepth value provided: {imageDepth}")
    convOpt['inputFeatures'] = imageDepth
    if convOpt.get('kernelSizes'):
        raise ValueError("Currently, per-layer kernel sizes are not supported")
    if convOpt.get('paddings'):
        raise ValueError("Currently, per-layer paddings are not supported")
    convOpt.setdefault('cuda', False)

    mlpOpt = dict(options(mlpOpt, 'autograd.model.AlexNet (mlpOpt)'))
    if mlpOpt.get('inputFeatures'):
        raise ValueError("Input features on the fully-connected layers cannot be manually set, do not specify")
    if mlpOpt.get('classifier') is None:
        mlpOpt['classifier'] = True   # classifier by default.
    mlpOpt.setdefault('cuda', False)

    if bool(mlpOpt['cuda']) != bool(convOpt['cuda']):
        print("")
        print("CUDA set on one, but not both of spatial and fully-connected layers. Setting all to CUDA.")
        mlpOpt['cuda'] = convOpt['cuda'] = True

    layers = [] if layers is None else layers
    params = [] if params is None else params
    layer2params = {} if layer2params is None else layer2params

    # Build convnet layers
    sp, params, layers = SpatialNetwork(convOpt, params, layers, layer2params)

    # Figure out convolution net output size (dependent on image size)
    testInput = lg.randn(1, imageDepth, imageHeight, imageWidth).typeAs(params[0][0]).contiguous()
    res = sp(params, testInput)
    mlpOpt['inputFeatures'] = res.size(1) * res.size(2) * res.size(3)

    # Set up fully-connected layers to accept convolutional layer output
    _, params, layers = NeuralNetwork(mlpOpt, params, layers, layer2params)

    return sequence(layers, layer2params), params, layers
