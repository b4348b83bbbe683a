"""weight-init.lua (e-lab's): ``w_init(net, arg)`` resets the weights of ``net``'s own modules (its top level only)
with a standard deviation from the layer's fan-in and fan-out, and zeroes every top-level bias. ``w_init`` is what the
file returns."""
import math

from legonn import nn  # noqa: F401 (require("nn"))


# "Efficient backprop"
# Yann Lecun, 1998
def w_init_heuristic(fan_in, fan_out):
    return math.sqrt(1 / (3 * fan_in))


# "Understanding the difficulty of training deep feedforward neural networks"
# Xavier Glorot, 2010
def w_init_xavier(fan_in, fan_out):
    return math.sqrt(2 / (fan_in + fan_out))


# "Understanding the difficulty of training deep feedforward neural networks"
# Xavier Glorot, 2010
def w_init_xavier_caffe(fan_in, fan_out):
    return math.sqrt(1 / fan_in)


# "Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet Classification"
# Kaiming He, 2015
def w_init_kaiming(fan_in, fan_out):
    return math.sqrt(4 / (fan_in + fan_out))


def w_init(net, arg):
    # choose initialization method
    method = None
    if arg == 'heuristic':
        method = w_init_heuristic
    elif arg == 'xavier':
        method = w_init_xavier
    elif arg == 'xavier_caffe':
        method = w_init_xavier_caffe
    elif arg == 'kaiming':
        method = w_init_kaiming
    else:
        assert False

    # loop over all convolutional modules
    for i in range(len(net.modules)):
        m = net.modules[i]
        if m.__typename == 'nn.SpatialConvolution':
            m.reset(method(m.nInputPlane * m.kH * m.kW, m.nOutputPlane * m.kH * m.kW))
        elif m.__typename == 'nn.SpatialConvolutionMM':
            m.reset(method(m.nInputPlane * m.kH * m.kW, m.nOutputPlane * m.kH * m.kW))
        elif m.__typename == 'cudnn.SpatialConvolution':
            m.reset(method(m.nInputPlane * m.kH * m.kW, m.nOutputPlane * m.kH * m.kW))
        elif m.__typename == 'nn.LateralConvolution':
            m.reset(method(m.nInputPlane * 1 * 1, m.nOutputPlane * 1 * 1))
        elif m.__typename == 'nn.VerticalConvolution':
            m.reset(method(1 * m.kH * m.kW, 1 * m.kH * m.kW))
        elif m.__typename == 'nn.HorizontalConvolution':
            m.reset(method(1 * m.kH * m.kW, 1 * m.kH * m.kW))
        elif m.__typename == 'nn.Linear':
            m.reset(method(m.weight.size(1), m.weight.size(0)))
        elif m.__typename == 'nn.TemporalConvolution':
            m.reset(method(m.weight.size(1), m.weight.size(0)))

        if m.bias is not None:
            m.bias.zero()
    return net
