"""SpatialConvolutionLocal: a 2-D convolution whose kernel is different at every output position."""

from ..tensor import conv_kernels as ck
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.hessian import LinearDiagHessian
from .base.module import Module
from .base.initialisation import uniform_reset
from .base.batching import batched
from .base.convolution import geometry_text


class SpatialConvolutionLocal(LinearDiagHessian, Module):
    """Locally connected layer: unshared weights per output pixel.

    ``SpatialConvolutionLocal(nInputPlane, nOutputPlane, iW, iH, kW, kH, dW=1, dH=1, padW=0, padH=padW)``;
    input ``(nInputPlane, iH, iW)`` or batched (exactly that size), output
    ``(nOutputPlane, oH, oW)``. ``weight`` is ``(oH, oW, nOutputPlane, nInputPlane, kH, kW)``,
    ``bias`` ``(nOutputPlane, oH, oW)``. One batched GEMM over output positions.
    """

    positive_ints = ('nInputPlane', 'nOutputPlane', 'iW', 'iH', 'kW', 'kH', 'dW', 'dH', 'oW', 'oH')
    nonnegative_ints = ('padW', 'padH')

    def __init__(self, nInputPlane, nOutputPlane, iW, iH, kW, kH, dW=1, dH=1, padW=0, padH=None):
        super().__init__()
        padH = padW if padH is None else padH
        name = type(self).__name__
        self.checkHyper(nInputPlane=nInputPlane, nOutputPlane=nOutputPlane, iW=iW, iH=iH, kW=kW, kH=kH, dW=dW,
                        dH=dH, padW=padW, padH=padH)
        self.nInputPlane, self.nOutputPlane, self.iW, self.iH = nInputPlane, nOutputPlane, iW, iH
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH
        self.oH = ck.conv_output_size(iH, kH, dH, padH)
        self.oW = ck.conv_output_size(iW, kW, dW, padW)
        if self.oH < 1 or self.oW < 1:
            raise ValueError(f"{name}: a {kW}x{kH} kernel does not fit a {iW}x{iH} input with pad {padW},{padH}")
        wshape = (self.oH, self.oW, nOutputPlane, nInputPlane, kH, kW)
        self.weight = self.output.new(*wshape)
        self.gradWeight = self.output.new(*wshape)
        self.bias = self.output.new(nOutputPlane, self.oH, self.oW)
        self.gradBias = self.output.new(nOutputPlane, self.oH, self.oW)
        self.reset()

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(kW*kH*nInputPlane) by default (Torch7's rule)."""
        uniform_reset(stdv, self.kW * self.kH * self.nInputPlane, self.weight, self.bias)
        return self

    def _geometry(self):
        return (self.kH, self.kW), (self.dH, self.dW), (self.padH, self.padW), (1, 1)

    def _check(self, input, gradOutput=None):
        x, _ = batched(self, input, (3, 4))
        self.checkSameType(input, self.weight)
        if x.shape[1:] != (self.nInputPlane, self.iH, self.iW):
            raise input_error(self, f"an input of {self.nInputPlane} planes of {self.iH}x{self.iW} (height x width)",
                              f"size {tuple(input.size())}")
        if gradOutput is None:
            return x
        self.checkSameType(gradOutput, self.weight, 'gradOutput')
        expected = tuple(input.size())[:-3] + (self.nOutputPlane, self.oH, self.oW)
        self.checkSize(gradOutput, expected)
        return x, batched(self, gradOutput, (3, 4), 'gradOutput')[0]

    def _columns(self, x):
        """(L, C*K, N) view of the windows: one matrix per output position."""
        k, s, p, d = self._geometry()
        cols = ck.im2col(x, k, s, p, d)
        return cols.reshape(-1, x.shape[0], self.oH * self.oW).transpose(2, 0, 1)

    def _w(self):
        return self.weight.array.reshape(self.oH * self.oW, self.nOutputPlane, -1)

    def updateOutput(self, input):
        x = self._check(input)
        xp = input.xp
        y = xp.matmul(self._w(), self._columns(x))            # (L, Cout, N)
        out = self.bufferLike('output', input, tuple(input.size())[:-3] + (self.nOutputPlane, self.oH, self.oW))
        out = out if out.ndim == 4 else out[None]
        xp.add(y.transpose(2, 1, 0).reshape(out.shape), self.bias.array, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, go = self._check(input, gradOutput)
        xp = input.xp
        k, s, p, d = self._geometry()
        g = go.reshape(go.shape[0], self.nOutputPlane, -1).transpose(2, 1, 0)   # (L, Cout, N)
        gcols = xp.matmul(self._w().swapaxes(1, 2), g)                            # (L, C*K, N)
        cols = gcols.transpose(1, 2, 0).reshape((self.nInputPlane,) + k + (x.shape[0], self.oH, self.oW))
        gi = self.bufferLike('gradInput', input)
        ck.col2im(cols, (self.iH, self.iW), s, p, d, out=gi if gi.ndim == 4 else gi[None])
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, go = self._check(input, gradOutput)
        xp = input.xp
        g = go.reshape(go.shape[0], self.nOutputPlane, -1).transpose(2, 1, 0)   # (L, Cout, N)
        gw = xp.matmul(g, self._columns(x).swapaxes(1, 2))                       # (L, Cout, C*K)
        self.gradWeight.array += scale * gw.reshape(self.gradWeight.array.shape)
        self.gradBias.array += scale * go.sum(axis=0)

    def __repr__(self):
        return (f"{lua_typename(self)}({self.nInputPlane} -> {self.nOutputPlane}, {self.iW}x{self.iH}, "
                f"{self.kW}x{self.kH}{geometry_text(self)})")
