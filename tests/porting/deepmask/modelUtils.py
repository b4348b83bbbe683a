"""modelUtils.lua: BNtoFixed (imagine-nn's, legonn.inn.utils), linear2convTrunk / linear2convHead (Linear layers
to convolutions through Module:replace, for full-scene inference) and updatePadding (the zero padding of 3x3 and
7x7 convolutions moved into a padding module of the caller's class). Lua's table ``utils`` is this module:
``local utils = paths.dofile('modelUtils.lua')`` is ``from . import modelUtils as utils``."""
import legonn as lg
from legonn import cudnn, inn, nn

# ------------------------------------------------------------------------------
# all BN modules in ResNet to be transformed into SpatialConstDiagonal
# (with inn routines)
from legonn.inn import utils as innutils
if not hasattr(nn, 'SpatialConstDiagonal'):
    class SpatialConstDiagonal(inn.ConstAffine):
        pass
    lg.register(SpatialConstDiagonal, 'nn.SpatialConstDiagonal')
BNtoFixed = innutils.BNtoFixed


# ------------------------------------------------------------------------------
# function: linear2convTrunk
def linear2convTrunk(net, fSz):
    def f(x):
        if 'Linear' in lg.typename(x):
            nInp, nOut = x.weight.size(1) / (fSz * fSz), x.weight.size(0)
            w = lg.reshape(x.weight, nOut, nInp, fSz, fSz)
            y = cudnn.SpatialConvolution(nInp, nOut, fSz, fSz, 1, 1)
            y.weight.copy(w); y.gradWeight.copy(w); y.bias.copy(x.bias)
            return y
        elif 'Threshold' in lg.typename(x):
            return cudnn.ReLU()
        elif 'View' in lg.typename(x) or \
                'SpatialZeroPadding' in lg.typename(x):
            return nn.Identity()
        else:
            return x
    return net.replace(f)



# ------------------------------------------------------------------------------
# function: linear2convHeads
def linear2convHead(net):
    def f(x):
        if 'Linear' in lg.typename(x):
            nInp, nOut = x.weight.size(1), x.weight.size(0)
            w = lg.reshape(x.weight, nOut, nInp, 1, 1)
            y = cudnn.SpatialConvolution(nInp, nOut, 1, 1, 1, 1)
            y.weight.copy(w); y.gradWeight.copy(w); y.bias.copy(x.bias)
            return y
        elif 'Threshold' in lg.typename(x):
            return cudnn.ReLU()
        elif 'View' not in lg.typename(x) and \
                'Copy' not in lg.typename(x):
            return x
    return net.replace(f)



# ------------------------------------------------------------------------------
# function: replace 0-padding of 3x3 conv into mirror-padding
def updatePadding(net, nn_padding):
    if lg.typename(net) == "nn.Sequential" or \
            lg.typename(net) == "nn.ConcatTable":
        for i in range(len(net.modules) - 1, -1, -1):
            out = updatePadding(net.get(i), nn_padding)
            if out != -1:
                pw, ph = out[0], out[1]
                net.modules[i] = nn.Sequential().add(nn_padding(pw, pw, ph, ph)) \
                    .add(net.modules[i]).cuda()
    else:
        if lg.typename(net) == "nn.SpatialConvolution" or \
                lg.typename(net) == "cudnn.SpatialConvolution":
            if (net.kW == 3 and net.kH == 3) or (net.kW == 7 and net.kH == 7):
                pw, ph = net.padW, net.padH
                net.padW, net.padH = 0, 0
                return [pw, ph]
    return -1

