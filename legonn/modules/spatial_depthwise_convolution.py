"""SpatialDepthWiseConvolution: each input plane convolved with its own ``depthwiseMultiplier`` kernels."""

from .base.convolution import Convolution2d, KernelParameters, geometry_text
from ..tensor.introspection import typename as lua_typename


class SpatialDepthWiseConvolution(KernelParameters, Convolution2d):
    """Depthwise 2-D convolution (Torch7's version 2 arguments).

    ``SpatialDepthWiseConvolution(nInputPlane, depthwiseMultiplier, kW, kH, dW=1, dH=1, padW=0, padH=padW)``;
    output plane ``i * depthwiseMultiplier + m`` is input plane ``i`` convolved
    with ``weight[m, i]`` plus ``bias[m, i]``. ``weight`` is
    ``(depthwiseMultiplier, nInputPlane, kH, kW)``, ``bias`` ``(depthwiseMultiplier, nInputPlane)``;
    nOutputPlane = nInputPlane * depthwiseMultiplier. It runs as a grouped convolution.
    """

    positive_ints = ('nInputPlane', 'depthwiseMultiplier', 'kW', 'kH', 'dW', 'dH')
    nonnegative_ints = ('padW', 'padH')

    def parameterSizes(self):
        return {'weight': (self.depthwiseMultiplier, self.nInputPlane, self.kH, self.kW),
                'bias': (self.depthwiseMultiplier, self.nInputPlane)}

    def __init__(self, nInputPlane, depthwiseMultiplier, kW, kH, dW=1, dH=1, padW=0, padH=None):
        super().__init__()
        padH = padW if padH is None else padH
        self.checkHyper(nInputPlane=nInputPlane, depthwiseMultiplier=depthwiseMultiplier, kW=kW, kH=kH, dW=dW, dH=dH,
                        padW=padW, padH=padH)
        self.nInputPlane, self.depthwiseMultiplier = nInputPlane, depthwiseMultiplier
        self.nOutputPlane = nInputPlane * depthwiseMultiplier
        self.groups = nInputPlane
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH
        self.weight = self.output.new(depthwiseMultiplier, nInputPlane, kH, kW)
        self.gradWeight = self.output.new(depthwiseMultiplier, nInputPlane, kH, kW)
        self.bias = self.output.new(depthwiseMultiplier, nInputPlane)
        self.gradBias = self.output.new(depthwiseMultiplier, nInputPlane)
        self.reset()

    # grouped layout: output plane i*M + m <- weight[m, i]
    def denseWeight(self):
        w = self.weight.array
        return w.swapaxes(0, 1).reshape(self.nOutputPlane, 1, self.kH, self.kW)

    def denseBias(self):
        return None if self.bias is None else self.bias.array.T.reshape(-1)

    def accDenseGradients(self, addDenseGradients, scale):
        xp = self.weight.xp
        gw = xp.zeros((self.nOutputPlane, 1, self.kH, self.kW), dtype=self.weight.dtype)
        gb = None if self.bias is None else xp.zeros(self.nOutputPlane, dtype=self.weight.dtype)
        addDenseGradients(gw, gb, scale)
        self.gradWeight.array += gw.reshape(self.nInputPlane, self.depthwiseMultiplier, self.kH, self.kW).swapaxes(0, 1)
        if gb is not None:
            self.gradBias.array += gb.reshape(self.nInputPlane, self.depthwiseMultiplier).T

    def __repr__(self):
        s = f"{lua_typename(self)}({self.nInputPlane} -> {self.depthwiseMultiplier}, {self.kW}x{self.kH}"
        s += geometry_text(self)
        return s + (')' if self.bias is not None else ') without bias')
