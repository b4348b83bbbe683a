"""SpatialFullConvolution, the transposed ("full", "deconvolution") 2-D convolution, and
SpatialFullConvolutionMap, the same along a connection table."""

from functools import partial

from ..tensor import conv_kernels as ck
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.hessian import LinearDiagHessian
from .base.module import Module
from .base.batching import batched
from .base.connection_tables import MapParameters
from .base.convolution import DenseParameters, KernelParameters, geometry_text, planes_input
from .base.target_sized import TargetSized


class SpatialFullConvolution(LinearDiagHessian, TargetSized, KernelParameters, DenseParameters, Module):
    """Adjoint of SpatialConvolution: each input pixel scatters a weighted kernel onto the output.

    ``SpatialFullConvolution(nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=0, adjW=0, adjH=0)``;
    input ``(nInputPlane, H, W)`` or batched, output planes of
    oH = (H - 1) dH - 2 padH + kH + adjH (``adj`` < stride adds rows/columns at the end).
    ``weight`` is ``(nInputPlane, nOutputPlane, kH, kW)``, ``bias`` ``(nOutputPlane,)``.
    As Torch7 the input may be a table ``{input, target}``: the adj then comes from the target's last two
    sizes (see ``TargetSized``) and gradInput is ``{gradInput, zeros like target}``.

    Hooks a subclass with another parameterisation overrides, as Convolution2d's (defaults: ``weight``
    and ``bias`` are already the dense kernel and bias):

    - ``denseWeight()``: the kernel as a dense ``(nInputPlane, nOutputPlane, kH, kW)`` array;
    - ``denseBias()``: an ``(nOutputPlane,)`` array, or None for no bias;
    - ``accDenseGradients(addDenseGradients, scale)``: add ``scale`` times the parameter
      gradients; ``addDenseGradients(grad_weight, grad_bias, scale)`` adds ``scale`` times the
      gradient of the dense kernel and bias into arrays of those shapes (``grad_bias`` may be None).
    """

    positive_ints = ('nInputPlane', 'nOutputPlane', 'kW', 'kH', 'dW', 'dH')
    nonnegative_ints = ('padW', 'padH', 'adjW', 'adjH')
    target_axes = (('kH', 'dH', 'padH', 'adjH'), ('kW', 'dW', 'padW', 'adjW'))

    def parameterSizes(self):
        return {'weight': (self.nInputPlane, self.nOutputPlane, self.kH, self.kW), 'bias': (self.nOutputPlane,)}

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=0, adjW=0, adjH=0):
        super().__init__()
        self.checkHyper(nInputPlane=nInputPlane, nOutputPlane=nOutputPlane, kW=kW, kH=kH, dW=dW, dH=dH,
                        padW=padW, padH=padH, adjW=adjW, adjH=adjH)
        if adjW >= dW or adjH >= dH:
            raise ValueError(f"{type(self).__name__}: adjW/adjH must be smaller than dW/dH, got adj {adjW},{adjH} "
                             f"for stride {dW},{dH}")
        self.nInputPlane, self.nOutputPlane = nInputPlane, nOutputPlane
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH
        self.adjW, self.adjH = adjW, adjH
        self.weight = self.output.new(nInputPlane, nOutputPlane, kH, kW)
        self.gradWeight = self.output.new(nInputPlane, nOutputPlane, kH, kW)
        self.bias = self.output.new(nOutputPlane)
        self.gradBias = self.output.new(nOutputPlane)
        self.reset()

    def _geometry(self):
        return (self.dH, self.dW), (self.padH, self.padW), (1, 1), (self.adjH, self.adjW)

    def _check(self, input, gradOutput=None):
        """(input tensor, its (N, planes, H, W) array, output (oH, oW), adj[, gradOutput array])."""
        input, adj = self.splitTarget(input)
        x = planes_input(self, input)
        s, p, _, _ = self._geometry()
        hw = tuple((x.shape[2 + i] - 1) * s[i] - 2 * p[i] + (self.kH, self.kW)[i] + adj[i] for i in range(2))
        if hw[0] < 1 or hw[1] < 1:
            raise input_error(self, f"an input giving a positive output size (pad {self.padW},{self.padH} "
                              f"too large)", f"{x.shape[2]}x{x.shape[3]}, output {hw[1]}x{hw[0]}")
        if gradOutput is None:
            return input, x, hw, adj
        self.checkSameType(gradOutput, self.weight, 'gradOutput')
        self.checkSize(gradOutput, ((x.shape[0],) if input.dim() == 4 else ()) + (self.nOutputPlane,) + hw)
        return input, x, hw, adj, batched(self, gradOutput, (3, 4), 'gradOutput')[0]

    def updateOutput(self, input):
        input, x, hw, a = self._check(input)
        s, p, d, _ = self._geometry()
        n = x.shape[0]
        out = self.bufferLike('output', input, ((n,) if input.dim() == 4 else ()) + (self.nOutputPlane,) + hw)
        x_t = self.bufferLike('_input_t', input, (self.nInputPlane, n * x.shape[2] * x.shape[3]))
        ck.conv_transpose_forward(x, self.denseWeight(), self.denseBias(), s, p, d, a, x_t=x_t,
                                  out=out if out.ndim == 4 else out[None])
        return self.output

    def updateGradInput(self, input, gradOutput):
        tensor, x, hw, _, go = self._check(input, gradOutput)
        s, p, d, _ = self._geometry()
        gi = self.gradBuffer(input, tensor)
        ck.conv_transpose_grad_input(go, self.denseWeight(), s, p, d, out=gi if gi.ndim == 4 else gi[None])
        return self.tableGradInput(input)

    def accGradParameters(self, input, gradOutput, scale=1):
        input, x, hw, _, go = self._check(input, gradOutput)
        s, p, d, _ = self._geometry()
        gcols = ck.im2col(go, (self.kH, self.kW), s, p, d)
        x_t = ck.channels_first(x, self.bufferLike('_input_t', input, (self.nInputPlane, x[:, 0].size)))
        self.accDenseGradients(partial(ck.conv_transpose_grad_params, x_t, gcols, go), scale)

    def clearState(self):
        return super().clearState('_input_t')

    def __repr__(self):
        s = f"{lua_typename(self)}({self.nInputPlane} -> {self.nOutputPlane}, {self.kW}x{self.kH}"
        s += geometry_text(self)
        if self.adjW or self.adjH:
            s += f", {self.adjW},{self.adjH}"
        return s + (')' if self.bias is not None else ') without bias')


class SpatialFullConvolutionMap(MapParameters, SpatialFullConvolution):
    """Transposed (full) convolution along a connection table: oH = (H - 1) dH + kH.

    ``SpatialFullConvolutionMap(connTable, kW, kH, dW=1, dH=1)``; parameters as SpatialConvolutionMap.
    """

    padW = padH = adjW = adjH = 0
    transposed_kernel = True
    input_kind = 'tensor'   # Torch7's map version has no {input, target} form

    def __init__(self, connTable, kW, kH, dW=1, dH=1):
        Module.__init__(self)
        self._init_map(connTable, kW, kH, dW, dH)
