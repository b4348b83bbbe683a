"""Volumetric (3-D) convolutions: VolumetricConvolution, VolumetricDilatedConvolution, VolumetricFullConvolution.

Inputs are ``(nInputPlane, T, H, W)`` or ``(batch, nInputPlane, T, H, W)``;
constructor arguments come in Torch7's order, width before height
(``kT, kW, kH, dT, dW, dH, padT, padW, padH``), weights are shaped as in
Torch7. The arithmetic is ``conv_kernels``' N-D im2col and one GEMM per call.
"""
import math

from ..tensor import conv_kernels as ck
from .base.batching import batched
from .base.errors import input_error
from .base.module import Module
from .base.target_sized import TargetSized
from .base.initialisation import OptionalBias, uniform_reset


class _Volumetric(OptionalBias, Module):
    """Shared by the volumetric convolutions: kernel, stride and padding, a weight whose two leading
    axes are ``planes`` (Torch7's order for each class), a bias of nOutputPlane, the reset rule and
    the input checks."""

    def __init__(self, nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH, padT, padW, padH, planes):
        super().__init__()
        self.nInputPlane, self.nOutputPlane = nInputPlane, nOutputPlane
        self.kT, self.kW, self.kH = kT, kW, kH
        self.dT, self.dW, self.dH = dT, dW, dH
        self.padT, self.padW, self.padH = padT, padW, padH
        self.weight = self.output.new(*planes, kT, kH, kW)
        self.gradWeight = self.output.new(*planes, kT, kH, kW)
        self.bias = self.output.new(nOutputPlane)
        self.gradBias = self.output.new(nOutputPlane)
        self.finput = self.output.new()       # columns (Torch7's finput)

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(kT*kW*kH*nInputPlane) by default (Torch7's rule)."""
        uniform_reset(stdv, self.kT * self.kW * self.kH * self.nInputPlane,
                      self.weight, self.bias)
        return self

    def _planes(self, input):
        """Batched input array and whether it was batched; raises unless it has nInputPlane planes."""
        x, is_batch = batched(self, input, (4, 5))
        self.checkSameType(input, self.weight)
        if x.shape[1] != self.nInputPlane:
            raise input_error(self, f"{self.nInputPlane} input planes (dimension {1 if is_batch else 0})",
                              f"{x.shape[1]} (input of size {tuple(input.size())})")
        return x, is_batch

    def _describe(self):
        """Torch7's name: planes, kernel, then stride and padding when padded or strided."""
        s = f"nn.{type(self).__name__}({self.nInputPlane} -> {self.nOutputPlane}, {self.kT}x{self.kW}x{self.kH}"
        padded = (self.padT, self.padW, self.padH) != (0, 0, 0)
        if (self.dT, self.dW, self.dH) != (1, 1, 1) or padded:
            s += f", {self.dT},{self.dW},{self.dH}"
        if padded:
            s += f", {self.padT},{self.padW},{self.padH}"
        return s


class _VolumetricConvolutionBase(_Volumetric):
    """Shared by the direct convolutions: weight (nOutputPlane, nInputPlane, kT, kH, kW), bias (nOutputPlane)."""

    positive_ints = ('nInputPlane', 'nOutputPlane', 'kT', 'kW', 'kH', 'dT', 'dW', 'dH', 'dilationT', 'dilationW',
                     'dilationH')
    nonnegative_ints = ('padT', 'padW', 'padH')
    # accGradParameters reuses the columns of the last forward, as THNN's VolumetricConvolutionMM.c (the CPU
    # VolumetricConvolution.lua runs) multiplies by its finput; VolumetricDilatedConvolution unfolds its input
    columns_from_input = False

    def parameterSizes(self):
        return {'weight': (self.nOutputPlane, self.nInputPlane, self.kT, self.kH, self.kW),
                'bias': (self.nOutputPlane,)}

    def __init__(self, nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0, padW=None, padH=None,
                 dilationT=1, dilationW=1, dilationH=1):
        # Torch7's VolumetricConvolution.lua: padW defaults to padT, padH to padW
        padW = padT if padW is None else padW
        padH = padW if padH is None else padH
        self.checkHyper(nInputPlane=nInputPlane, nOutputPlane=nOutputPlane, kT=kT, kW=kW, kH=kH, dT=dT, dW=dW, dH=dH,
                        dilationT=dilationT, dilationW=dilationW, dilationH=dilationH, padT=padT, padW=padW, padH=padH)
        super().__init__(nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH, padT, padW, padH,
                         (nOutputPlane, nInputPlane))
        self.dilationT, self.dilationW, self.dilationH = dilationT, dilationW, dilationH
        self.reset()

    @property
    def _geometry(self):
        return ((self.kT, self.kH, self.kW), (self.dT, self.dH, self.dW), (self.padT, self.padH, self.padW),
                (self.dilationT, self.dilationH, self.dilationW))

    def _check(self, input):
        """Batched input array and output counts (oT, oH, oW); raises before anything is touched."""
        x, is_batch = self._planes(input)
        k, s, p, d = self._geometry
        counts = tuple(ck.conv_output_size(n, kk, ss, pp, dd) for n, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d))
        if min(counts) < 1:
            need = tuple(dd * (kk - 1) + 1 - 2 * pp for kk, pp, dd in zip(k, p, d))
            raise input_error(self, f"an input of at least {need} (T x H x W) for this kernel and padding",
                              f"{tuple(x.shape[2:])} (input of size {tuple(input.size())})")
        return x, is_batch, counts

    def _columns_shape(self, n, counts):
        return (self.nInputPlane,) + self._geometry[0] + (n,) + counts

    def updateOutput(self, input):
        x, is_batch, counts = self._check(input)
        n = x.shape[0]
        k, s, p, d = self._geometry
        shape = self._columns_shape(n, counts)
        cols = self.bufferLike('finput', input, shape).reshape(shape)
        gemm = self.bufferLike('_gemm', input, (self.nOutputPlane, n * math.prod(counts)))
        out = self.bufferLike('output', input, ((n,) if is_batch else ()) + (self.nOutputPlane,) + counts)
        ck.conv_forward(x, self.weight.array, None if self.bias is None else self.bias.array, s, p, d,
                        cols=cols, out=out if is_batch else out[None], gemm=gemm)
        return self.output

    def _grad_t(self, input, gradOutput, n, counts):
        """gradOutput as (nOutputPlane, N*L), the GEMM operand of both backward halves."""
        self.checkGradOutput(gradOutput, self.output)
        go = gradOutput.array.reshape((n, self.nOutputPlane) + counts)
        return ck.channels_first(go, self.bufferLike('_gradOutputT', input, (self.nOutputPlane,
                                                                             n * math.prod(counts))))

    def updateGradInput(self, input, gradOutput):
        x, is_batch, counts = self._check(input)
        n = x.shape[0]
        k, s, p, d = self._geometry
        self.checkGradOutput(gradOutput, self.output)
        gi = self.bufferLike('gradInput', input)
        ck.conv_grad_input(gradOutput.array.reshape((n, self.nOutputPlane) + counts), self.weight.array, x.shape,
                           s, p, d, out=gi.reshape(x.shape))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, is_batch, counts = self._check(input)
        n = x.shape[0]
        k, s, p, d = self._geometry
        grad_t = self._grad_t(input, gradOutput, n, counts)
        shape = self._columns_shape(n, counts)
        cols = self.finput
        if self.columns_from_input or tuple(cols.size()) != shape or type(cols) is not type(input):
            # the input's own columns, or no forward on an input of this shape before: build the columns now
            ck.im2col(x, k, s, p, d, out=self.bufferLike('finput', input, shape))
        ck.conv_grad_params(grad_t, self.finput.array, self.gradWeight.array,
                            None if self.bias is None else self.gradBias.array, scale)

    def clearState(self):
        return super().clearState('finput', '_gemm', '_gradOutputT')


class VolumetricConvolution(_VolumetricConvolutionBase):
    """3-D convolution (cross-correlation, as Torch7) over ``(nInputPlane, T, H, W)`` or a batch of them.

    ``VolumetricConvolution(nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0, padW=padT,
    padH=padW)``;
    output ``(nOutputPlane, oT, oH, oW)`` with ``oT = (T + 2 padT - kT) // dT + 1`` (likewise H, W).
    """

    def __init__(self, nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0, padW=None, padH=None):
        super().__init__(nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH, padT, padW, padH)

    def __repr__(self):
        return self._describe() + (')' if self.bias is not None else ') without bias')


class VolumetricDilatedConvolution(_VolumetricConvolutionBase):
    """VolumetricConvolution whose kernel taps are ``dilation`` apart.

    ``VolumetricDilatedConvolution(nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0, padW=padT,
    padH=padW, dilationT=1, dilationW=1, dilationH=1)``; ``oT = (T + 2 padT - dilationT (kT - 1) - 1) // dT + 1``.
    """

    columns_from_input = True   # THNN's VolumetricDilatedConvolution.c:364, accGradParameters' vol2col of its input

    def __repr__(self):
        return (self._describe() + f", {self.dilationT},{self.dilationW},{self.dilationH}" +
                (')' if self.bias is not None else ') without bias'))


class VolumetricFullConvolution(TargetSized, _Volumetric):
    """Transposed 3-D convolution (the adjoint of VolumetricConvolution), as Torch7.

    ``VolumetricFullConvolution(nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0, padW=0, padH=0,
    adjT=0, adjW=0, adjH=0)``. Input ``(nInputPlane, T, H, W)`` or batched; output ``(nOutputPlane, oT, oH, oW)``
    with ``oT = (T - 1) dT - 2 padT + kT + adjT``. ``weight`` is ``(nInputPlane, nOutputPlane, kT, kH, kW)``.
    As Torch7 the input may be a table ``{input, target}``: the adj then comes from the target's last three
    sizes (see ``TargetSized``) and gradInput is ``{gradInput, zeros like target}``.
    """

    positive_ints = ('nInputPlane', 'nOutputPlane', 'kT', 'kW', 'kH', 'dT', 'dW', 'dH')
    nonnegative_ints = ('padT', 'padW', 'padH', 'adjT', 'adjW', 'adjH')
    target_axes = (('kT', 'dT', 'padT', 'adjT'), ('kH', 'dH', 'padH', 'adjH'), ('kW', 'dW', 'padW', 'adjW'))

    def parameterSizes(self):
        return {'weight': (self.nInputPlane, self.nOutputPlane, self.kT, self.kH, self.kW),
                'bias': (self.nOutputPlane,)}

    def __init__(self, nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0, padW=0, padH=0,
                 adjT=0, adjW=0, adjH=0):
        self.checkHyper(nInputPlane=nInputPlane, nOutputPlane=nOutputPlane, kT=kT, kW=kW, kH=kH, dT=dT, dW=dW, dH=dH,
                        padT=padT, padW=padW, padH=padH, adjT=adjT, adjW=adjW, adjH=adjH)
        if adjT > dT - 1 or adjW > dW - 1 or adjH > dH - 1:
            raise ValueError(f"VolumetricFullConvolution: adjT, adjW, adjH must be smaller than dT, dW, dH, "
                             f"got adj ({adjT}, {adjW}, {adjH}) for strides ({dT}, {dW}, {dH})")
        super().__init__(nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH, padT, padW, padH,
                         (nInputPlane, nOutputPlane))
        self.adjT, self.adjW, self.adjH = adjT, adjW, adjH
        self.fgradInput = self.output.new()   # the output's columns, kept between forward calls
        self.reset()

    @property
    def _geometry(self):
        return ((self.kT, self.kH, self.kW), (self.dT, self.dH, self.dW), (self.padT, self.padH, self.padW),
                (1, 1, 1))

    def _check(self, input):
        """(input tensor, its (N, planes, T, H, W) array, whether batched, output (oT, oH, oW), adj)."""
        input, adj = self.splitTarget(input)
        x, is_batch = self._planes(input)
        k, s, p, _ = self._geometry
        sizes = tuple((n - 1) * ss - 2 * pp + kk + a for n, kk, ss, pp, a in zip(x.shape[2:], k, s, p, adj))
        if min(sizes) < 1:
            raise input_error(self, "an input whose output volume (T-1)*dT - 2*padT + kT + adjT (and H, W) is "
                              "positive", f"{tuple(x.shape[2:])}, giving {sizes}")
        return input, x, is_batch, sizes, adj

    def updateOutput(self, input):
        input, x, is_batch, sizes, adj = self._check(input)
        n, spatial = x.shape[0], x.shape[2:]
        k, s, p, d = self._geometry
        x_t = self.bufferLike('_inputT', input, (self.nInputPlane, n * math.prod(spatial)))
        cols = self.bufferLike('fgradInput', input, (self.nOutputPlane * math.prod(k), x_t.shape[1]))
        out = self.bufferLike('output', input, ((n,) if is_batch else ()) + (self.nOutputPlane,) + sizes)
        ck.conv_transpose_forward(x, self.weight.array, None if self.bias is None else self.bias.array, s, p, d,
                                  adj, x_t=x_t, cols=cols,
                                  out=out if is_batch else out[None])
        return self.output

    def _grad_columns(self, input, x, gradOutput):
        """im2col of gradOutput, (nOutputPlane, *k, N, *input spatial)."""
        self.checkGradOutput(gradOutput, self.output)
        k, s, p, d = self._geometry
        n = x.shape[0]
        go = gradOutput.array.reshape((n, self.nOutputPlane) + tuple(gradOutput.size())[-3:])
        shape = (self.nOutputPlane,) + k + (n,) + x.shape[2:]
        return go, ck.im2col(go, k, s, p, d, out=self.bufferLike('finput', input, shape).reshape(shape))

    def updateGradInput(self, input, gradOutput):
        tensor, x, is_batch, sizes, _ = self._check(input)
        go, gcols = self._grad_columns(tensor, x, gradOutput)
        gi = self.gradBuffer(input, tensor)
        rows = gcols.reshape(-1, x.shape[0] * math.prod(x.shape[2:]))
        gi_t = tensor.xp.matmul(self.weight.array.reshape(self.nInputPlane, -1), rows)
        ck.batch_first(gi_t, x.shape[0], gi.reshape(x.shape))
        return self.tableGradInput(input)

    def accGradParameters(self, input, gradOutput, scale=1):
        input, x, is_batch, sizes, _ = self._check(input)
        go, gcols = self._grad_columns(input, x, gradOutput)
        x_t = ck.channels_first(x, self.bufferLike('_inputT', input, (self.nInputPlane,
                                                                      x.shape[0] * math.prod(x.shape[2:]))))
        ck.conv_transpose_grad_params(x_t, gcols, go, self.gradWeight.array,
                                      None if self.bias is None else self.gradBias.array, scale)

    def clearState(self):
        return super().clearState('finput', 'fgradInput', '_inputT')

    def __repr__(self):
        s = self._describe()
        if (self.adjT, self.adjW, self.adjH) != (0, 0, 0):
            s += f", {self.adjT},{self.adjW},{self.adjH}"
        return s + ')'
