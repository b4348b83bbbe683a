"""SpatialConvolution (and SpatialConvolutionMM, the same module): 2-D cross-correlation over planes;
SpatialDilatedConvolution, the same with kernel taps ``dilation`` apart.

The shared machinery of the 2-D convolutions lives in ``base/convolution.py``.
"""
from .base.convolution import Convolution2d, KernelParameters, geometry_text


class SpatialConvolution(KernelParameters, Convolution2d):
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
        s = f"nn.{type(self).__name__}({self.nInputPlane} -> {self.nOutputPlane}, {self.kW}x{self.kH}"
        s += geometry_text(self)
        return s + (')' if self.bias is not None else ') without bias')


class SpatialConvolutionMM(SpatialConvolution):
    """Torch7's unfold + GEMM convolution: here the same module as SpatialConvolution (same arguments)."""


class SpatialDilatedConvolution(SpatialConvolution):
    """2-D convolution with a dilated (atrous) kernel.

    ``SpatialDilatedConvolution(nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=padW,
    dilationW=1, dilationH=1)``; oH = floor((H + 2 padH - dilationH (kH - 1) - 1) / dH) + 1.
    Shapes and parameters as SpatialConvolution.
    """

    positive_ints = SpatialConvolution.positive_ints + ('dilationW', 'dilationH')

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None, dilationW=1, dilationH=1):
        self.checkHyper(dilationW=dilationW, dilationH=dilationH)
        super().__init__(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
        self.dilationW, self.dilationH = dilationW, dilationH

    def __repr__(self):
        text = super().__repr__()
        head, tail = text.rsplit(')', 1)
        return f"{head}, {self.dilationW},{self.dilationH}){tail}"
