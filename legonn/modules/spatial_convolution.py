"""SpatialConvolution (and SpatialConvolutionMM, the same module): 2-D cross-correlation over planes;
SpatialDilatedConvolution, the same with kernel taps ``dilation`` apart; dpnn's SpatialBinaryConvolution (sign kernels).

The shared machinery of the 2-D convolutions lives in ``base/convolution.py``.
"""
from .base.convolution import Convolution2d, KernelParameters, geometry_text
from .base.errors import input_error
from .base.hessian import LinearDiagHessian
from .base.module import Module
from ..tensor.introspection import typename as lua_typename
from ..tensor.nn_table import thnn_table


class SpatialConvolution(LinearDiagHessian, KernelParameters, Convolution2d):
    """2-D convolution (cross-correlation) of ``nInputPlane`` planes into ``nOutputPlane`` planes.

    ``SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=padW)``;
    input ``(nInputPlane, H, W)`` or ``(N, nInputPlane, H, W)``, output
    ``(nOutputPlane, oH, oW)`` (or batched) with oH = floor((H + 2 padH - kH) / dH) + 1.
    ``weight`` is ``(nOutputPlane, nInputPlane, kH, kW)``, ``bias`` ``(nOutputPlane,)``;
    ``noBias()`` drops the bias. Setting ``gradInput = None`` skips the input gradient (a first layer).
    """

    positive_ints = ('nInputPlane', 'nOutputPlane', 'kW', 'kH', 'dW', 'dH')
    nonnegative_ints = ('padW', 'padH')

    def parameterSizes(self):
        return {'weight': (self.nOutputPlane, self.nInputPlane, self.kH, self.kW), 'bias': (self.nOutputPlane,)}

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None):
        super().__init__()
        padH = padW if padH is None else padH
        self.checkHyper(nInputPlane=nInputPlane, nOutputPlane=nOutputPlane, kW=kW, kH=kH, dW=dW, dH=dH,
                        padW=padW, padH=padH)
        self.nInputPlane, self.nOutputPlane = nInputPlane, nOutputPlane
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH
        self.weight = self.output.new(nOutputPlane, nInputPlane, kH, kW)
        self.gradWeight = self.output.new(nOutputPlane, nInputPlane, kH, kW)
        self.bias = self.output.new(nOutputPlane)
        self.gradBias = self.output.new(nOutputPlane)
        self.reset()

    def __repr__(self):
        s = f"{lua_typename(self)}({self.nInputPlane} -> {self.nOutputPlane}, {self.kW}x{self.kH}"
        s += geometry_text(self)
        return s + (')' if self.bias is not None else ') without bias')


class SpatialConvolutionMM(SpatialConvolution):
    """Torch7's unfold + GEMM convolution: here the same module as SpatialConvolution (same arguments).

    As SpatialConvolutionMM.lua (its ``viewWeight``/``unviewWeight``), ``weight`` and ``gradWeight`` may also
    hold THNN's 2-D layout ``(nOutputPlane, nInputPlane * kH * kW)``: waifu2x's srcnn.lua replaces
    ``clearState`` with one that resizes ``gradWeight`` so. Each is viewed back to 4-D (the same storage)
    before the module uses, checks or hands it out (``parameters``).
    """

    def _unviewWeight(self):
        sizes = self.parameterSizes()['weight']
        for name in ('weight', 'gradWeight'):
            t = self.__dict__.get(name)
            if t is not None and tuple(t.size()) == (sizes[0], sizes[1] * sizes[2] * sizes[3]):
                setattr(self, name, t.view(*sizes))

    def parameters(self):
        self._unviewWeight()
        return super().parameters()

    def updateOutput(self, input):
        self._unviewWeight()
        return super().updateOutput(input)

    def updateGradInput(self, input, gradOutput):
        self._unviewWeight()
        return super().updateGradInput(input, gradOutput)


@thnn_table.register
def SpatialConvolutionMM_updateOutput(input, output, weight, bias, finput, fgradInput, kW, kH, dW, dH, padW, padH):
    """THNN's SpatialConvolutionMM_updateOutput (THNN.h's arguments without ``state``), which user modules copied
    from SpatialConvolutionMM.lua call on weights of their own (CNNMRF's mylib/mrf.lua matches patches so):
    ``output`` is resized in place to the convolution of ``input`` (``C x H x W`` or ``N x C x H x W``) with
    ``weight`` (``nOutputPlane x (C*kH*kW)``, THNN's 2-D layout, or 4-D) plus ``bias`` (``nOutputPlane``, or
    None). The tensors must be of the input's type, as THNN's are of one. ``finput`` and ``fgradInput`` are
    THNN's scratch buffers: they are not written here (legonn's columns have another layout, see porting.md's
    ``conv.finput`` row), so nothing may read them after the call, as SpatialConvolutionMM.lua does not."""
    given = {'output': output, 'weight': weight, 'bias': bias}
    for what, t in given.items():
        if (t is not None or what != 'bias') and (not hasattr(t, 'type') or t.type() != input.type()):
            got = t.type() if hasattr(t, 'type') else type(t).__name__
            raise TypeError(f"tensor.THNN.SpatialConvolutionMM_updateOutput: expected {what} a {input.type()} "
                            f"(the input's type), got {got}")
    if input.dim() not in (3, 4):
        raise ValueError(f"tensor.THNN.SpatialConvolutionMM_updateOutput: expected a 3D or 4D input, got "
                         f"{input.dim()}D (size {tuple(input.size())})")
    nInputPlane, nOutputPlane = input.size(input.dim() - 3), weight.size(0)
    if weight.nElement() != nOutputPlane * nInputPlane * kH * kW:
        raise ValueError(f"tensor.THNN.SpatialConvolutionMM_updateOutput: expected a weight of {nOutputPlane} x "
                         f"{nInputPlane * kH * kW} (nOutputPlane x nInputPlane*kH*kW for an input of "
                         f"{nInputPlane} planes), got {tuple(weight.size())}")
    # A module made without its constructor: its reset would draw the random weights THNN never draws.
    conv = SpatialConvolutionMM.__new__(SpatialConvolutionMM)
    Module.__init__(conv)
    conv.nInputPlane, conv.nOutputPlane = nInputPlane, nOutputPlane
    conv.kW, conv.kH, conv.dW, conv.dH, conv.padW, conv.padH = kW, kH, dW, dH, padW, padH
    conv.weight = weight.contiguous().view(nOutputPlane, nInputPlane, kH, kW)
    conv.bias = bias
    conv.output = output
    conv.updateOutput(input)


class SpatialDilatedConvolution(SpatialConvolution):
    """2-D convolution with a dilated (atrous) kernel.

    ``SpatialDilatedConvolution(nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=padW,
    dilationW=1, dilationH=1)``; oH = floor((H + 2 padH - dilationH (kH - 1) - 1) / dH) + 1.
    Shapes and parameters as SpatialConvolution.
    """

    positive_ints = SpatialConvolution.positive_ints + ('dilationW', 'dilationH')
    columns_from_input = True   # THNN's SpatialDilatedConvolution.c:353, accGradParameters' im2col of its input

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None, dilationW=1, dilationH=1):
        self.checkHyper(dilationW=dilationW, dilationH=dilationH)
        super().__init__(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
        self.dilationW, self.dilationH = dilationW, dilationH

    def __repr__(self):
        text = super().__repr__()
        head, tail = text.rsplit(')', 1)
        return f"{head}, {self.dilationW},{self.dilationH}){tail}"


class SpatialBinaryConvolution(SpatialConvolution):
    """XNOR-Net's binary-weight convolution (dpnn's SpatialBinaryConvolution.lua; Rastegari et al. 2016): the
    kernel's signs (+1 where ``weight >= 0``, else -1) convolved with the input, each output plane ``o`` scaled by
    ``alphas[o] = |weight[o]|_1 / (nInputPlane kW kH)``; no bias.

    Arguments and shapes as SpatialConvolution. The backward passes, as dpnn's: gradInput is the input gradient
    of the sign kernel, each input plane ``i`` scaled by ``gradInputAlphas[i] = |weight[:, i]|_1 / (nOutputPlane
    kW kH)``, and gradWeight the sign kernel's gradient (unscaled), accumulated onto the real weights. In
    evaluation the input gradient uses the real weights (dpnn restores them after forward). ``weight`` itself
    always keeps the real values (dpnn overwrites it with the signs between forward and accGradParameters)."""

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None):
        super().__init__(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
        self.noBias()
        self.iwh = nInputPlane * kW * kH
        self.owh = nOutputPlane * kW * kH

    def denseWeight(self):
        w = self.weight.array
        if self.train or self.__dict__.get('_binarizing'):
            return self.weight.xp.where(w >= 0, 1, -1).astype(w.dtype)
        return w

    def updateOutput(self, input):
        w = self.weight.xp.abs(self.weight.array)
        self.bufferLike('alphas', self.weight, (self.nOutputPlane,))[...] = \
            w.reshape(self.nOutputPlane, -1).sum(axis=1) / self.iwh
        self.bufferLike('gradInputAlphas', self.weight, (self.nInputPlane,))[...] = \
            w.transpose(1, 0, 2, 3).reshape(self.nInputPlane, -1).sum(axis=1) / self.owh
        self._binarizing = True
        try:
            super().updateOutput(input)
        finally:
            del self._binarizing
        self.output.array[...] *= self.alphas.array.reshape(-1, 1, 1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        if super().updateGradInput(input, gradOutput) is None:
            return None
        if self.__dict__.get('gradInputAlphas') is None:
            raise input_error(self, "a forward() before backward()", "none")
        self.gradInput.array[...] *= self.gradInputAlphas.array.reshape(-1, 1, 1)
        return self.gradInput

    def clearState(self):
        for name in ('alphas', 'gradInputAlphas'):
            self.__dict__.pop(name, None)
        return super().clearState()
