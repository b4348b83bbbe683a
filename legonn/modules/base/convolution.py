"""The engine of the 2-D convolutions: input checks, batch and non-batch forms, reused buffers, one
im2col + GEMM per call through a ``tensor.conv_kernels.ConvPlan``, or, on the CPU, the kernels the plan
names, which run on the zero-padded source: the direct ones of ``tensor.conv_direct`` for inputs of few
planes, else the chunked im2col + GEMM of ``tensor.conv_chunks``.

Each convolution says how its parameters become a dense ``(nOutputPlane, nInputPlane / groups, kH,
kW)`` kernel and bias (``denseWeight``, ``denseBias``) and how the dense gradients fold back onto
its own (``accDenseGradients``); docs/internals.md walks through writing one.
"""
from functools import partial

from ...tensor import conv_kernels as ck
from ...tensor.backend import array_module
from ...tensor.conv_kernels import conv_output_size
from .batching import batched
from .errors import input_error
from .initialisation import OptionalBias, uniform_reset
from .module import Module


def planes_input(module, input):
    """The (N, nInputPlane, H, W) array of a 3-D or 4-D input of ``module``'s weight type (a view),
    after a path-naming error for any other rank, type or plane count."""
    x, _ = batched(module, input, (3, 4))
    module.checkSameType(input, module.weight)
    if x.shape[1] != module.nInputPlane:
        raise input_error(module, f"an input with {module.nInputPlane} planes in dimension {input.dim() - 3}",
                          f"{x.shape[1]} planes (input of size {tuple(input.size())})")
    return x


def frames_input(module, input):
    """``(x, is_batch, output frames)`` for a 2-D ``(nFrames, inputFrameSize)`` or 3-D batch input of
    ``module``'s weight type (``x`` with its batch axis, a view), after a path-naming error for any other
    rank, type, frame size, or a sequence shorter than ``kW``."""
    x, is_batch = batched(module, input, (2, 3))
    module.checkSameType(input, module.weight)
    if x.shape[2] != module.inputFrameSize:
        raise input_error(module, f"frames of inputFrameSize = {module.inputFrameSize} (last dimension)",
                          f"{x.shape[2]} (input of size {tuple(input.size())})")
    return x, is_batch, frame_count(module, x, input, module.kW, module.dW, 1)


def geometry_text(module):
    """Torch7's ', dW,dH, padW,padH' suffix of convolution names (omitted parts at their defaults)."""
    s = ''
    if module.dW != 1 or module.dH != 1 or module.padW != 0 or module.padH != 0:
        s += f", {module.dW},{module.dH}"
    if module.padW != 0 or module.padH != 0:
        s += f", {module.padW},{module.padH}"
    return s


def frame_count(module, x, input, kW, dW, frame_axis):
    """Output frames (nFrames - kW) // dW + 1; a path-naming error when the sequence is shorter than kW."""
    n = x.shape[frame_axis]
    if n < kW:
        raise input_error(module, f"at least kW = {kW} frames", f"{n} (input of size {tuple(input.size())})")
    return conv_output_size(n, kW, dW)


class KernelParameters(OptionalBias):
    """``noBias`` and Torch7's reset rule (fan-in kW*kH*nInputPlane) of the 2-D convolutions whose
    weight and optional bias follow SpatialConvolution's."""

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(kW*kH*nInputPlane) by default (Torch7's rule)."""
        uniform_reset(stdv, self.kW * self.kH * self.nInputPlane,
                      self.weight, self.bias)
        return self


class DenseParameters:
    """The default hooks of the convolutions whose ``weight`` and ``bias`` already are the dense kernel and
    bias (Convolution2d documents the hooks; SpatialFullConvolution has the same ones)."""

    def denseWeight(self):
        return self.weight.array

    def denseBias(self):
        return None if self.bias is None else self.bias.array

    def accDenseGradients(self, addDenseGradients, scale):
        addDenseGradients(self.gradWeight.array, None if self.bias is None else self.gradBias.array, scale)


class Convolution2d(DenseParameters, Module, abstract=True):
    """Engine of the 2-D convolutions: subclasses set the geometry attributes (``nInputPlane``,
    ``nOutputPlane``, ``kW``, ``kH``, ``dW``, ``dH``, ``padW``, ``padH``; optionally ``dilationW``,
    ``dilationH``, ``groups``) and ``weight``/``bias`` with their gradients.

    Hooks a subclass with another parameterisation overrides (defaults: ``weight`` and ``bias`` are
    already the dense kernel and bias):

    - ``denseWeight()``: the kernel as a dense ``(nOutputPlane, nInputPlane / groups, kH, kW)`` array;
    - ``denseBias()``: an ``(nOutputPlane,)`` array, or None for no bias;
    - ``accDenseGradients(addDenseGradients, scale)``: add ``scale`` times the parameter
      gradients; ``addDenseGradients(grad_weight, grad_bias, scale)`` adds ``scale`` times the
      gradient of the dense kernel and bias into arrays of those shapes (``grad_bias`` may be None).
    """

    groups = 1
    dilationW = dilationH = 1
    # May the CPU columns put the batch innermost (conv_kernels.ConvPlan)? The plan uses that layout where
    # conv_kernels.batch_last_pays; the hooks above see the same dense gradients either way, so a subclass
    # sets False only to keep the channels-first layout it was measured with.
    batch_last_columns = True
    # Does accGradParameters unfold the input it is given, or reuse the columns the last forward left? THNN's
    # SpatialConvolutionMM.c (SpatialConvolution's) multiplies by the forward's finput; SpatialDilatedConvolution.c
    # (accGradParameters' im2col of input) and SpatialConvolutionMap.c (its loop over input_data) read the input.
    columns_from_input = False

    def _plan(self, x):
        """The plan for ``x`` (N, nInputPlane, H, W), shared with every call on inputs of its shape."""
        return ck.conv_plan(array_module(x), x.shape, self.nOutputPlane, (self.kH, self.kW), (self.dH, self.dW),
                            (self.padH, self.padW), (self.dilationH, self.dilationW), self.groups,
                            self.batch_last_columns, x.dtype)

    def _check(self, input, gradOutput=None):
        """``(x, plan)`` for a valid input (``x`` with its batch axis), plus gradOutput's array when given."""
        x = planes_input(self, input)
        plan = self._plan(x)
        if min(plan.out_size) < 1:
            k, p, d = plan.kernel, plan.pad, plan.dilation
            raise input_error(self, f"an input of at least {d[0] * (k[0] - 1) + 1 - 2 * p[0]}x"
                              f"{d[1] * (k[1] - 1) + 1 - 2 * p[1]} (height x width) for kernel {k[1]}x{k[0]}, "
                              f"pad {p[1]},{p[0]}, dilation {d[1]},{d[0]}", f"{x.shape[2]}x{x.shape[3]}")
        if gradOutput is None:
            return x, plan
        self.checkSameType(gradOutput, self.weight, 'gradOutput')
        expected = ((x.shape[0],) if input.dim() == 4 else ()) + (self.nOutputPlane,) + plan.out_size
        self.checkSize(gradOutput, expected)
        return x, plan, batched(self, gradOutput, (3, 4), 'gradOutput')[0]

    def _batch_array(self, name, input, sizes):
        """Buffer ``self.<name>`` of ``sizes`` (N, ...) (without N for a non-batch input) as an (N, ...) array."""
        arr = self.bufferLike(name, input, sizes if input.dim() == 4 else sizes[1:])
        return arr if input.dim() == 4 else arr[None]

    def _source(self, kernels, x, input, fresh):
        """The padded (or contiguous) input the plan's kernels read: ``x`` itself when it needs no copy, else
        buffer ``finput``, filled now when ``fresh`` or when no forward kept one of this shape."""
        if not kernels.copies_source(x):
            return x
        kept = self.__dict__.get('finput')
        if fresh or kept is None or kept._size != kernels.source_shape or type(kept) is not type(input):
            return kernels.source(x, self.bufferLike('finput', input, kernels.source_shape))
        return kept.array

    def updateOutput(self, input):
        x, plan = self._check(input)
        kernels = plan.kernels
        if kernels is not None:
            out = self._batch_array('output', input, (x.shape[0], self.nOutputPlane) + plan.out_size)
            kernels.forward(self._source(kernels, x, input, True), self.denseWeight(), self.denseBias(), out,
                            self.bufferLike('_gemm', input, kernels.scratch_shape))
            return self.output
        cols = self.bufferLike('finput', input, plan.columns_shape)
        gemm = self.bufferLike('_gemm', input, plan.gemm_shape)
        out = self._batch_array('output', input, (x.shape[0], self.nOutputPlane) + plan.out_size)
        plan.forward(x, self.denseWeight(), self.denseBias(), cols, gemm, out)
        return self.output

    def backward(self, input, gradOutput=None, scale=1):
        """``updateGradInput`` then ``accGradParameters``, gradOutput transposed once for both: during this
        call ``_transposedGradOutput`` names the gradOutput whose transpose ``_gradOutputT`` holds (separate
        calls each transpose, since gradOutput may change between them)."""
        with self._during_backward(_transposedGradOutput=None):
            return super().backward(input, gradOutput, scale)

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:   # Torch7's idiom for a first layer: no gradient w.r.t. the data
            return None
        x, plan, go = self._check(input, gradOutput)
        kernels = plan.kernels
        if kernels is not None:
            kernels.grad_input(go, self.denseWeight(), self._batch_array('gradInput', input, x.shape),
                               self.bufferLike('_gradOutputT', input, kernels.scratch_shape),
                               self.bufferLike('_gradInputT', input, kernels.planes_shape))
            return self.gradInput
        kept = plan.grad_input(go, self.denseWeight(), self._batch_array('gradInput', input, x.shape),
                               self.bufferLike('_gradOutputT', input, plan.gemm_shape),
                               self.bufferLike('fgradInput', input, plan.columns_shape),
                               self.bufferLike('_gradInputT', input, plan.sums_shape))
        if kept and '_transposedGradOutput' in self.__dict__:
            self._transposedGradOutput = gradOutput
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, plan, go = self._check(input, gradOutput)
        kernels = plan.kernels
        if kernels is not None:
            source = self._source(kernels, x, input, self.columns_from_input)
            scratch = self.bufferLike('_gradOutputT', input, kernels.scratch_shape)
            partials = self.bufferLike('fgradInput', input, kernels.partials_shape)
            self.accDenseGradients(lambda gw, gb, s: kernels.grad_params(go, source, gw, gb, s, scratch, partials),
                                   scale)
            return
        grad_t = self.bufferLike('_gradOutputT', input, plan.gemm_shape)
        if self.__dict__.get('_transposedGradOutput') is not gradOutput:
            plan.grad_output_t(go, grad_t)
        cols = self.__dict__.get('finput')
        if (self.columns_from_input or cols is None or cols._size != plan.columns_shape
                or type(cols) is not type(input)):
            # the input's own columns, or no forward on an input of this shape before: build the columns now
            cols = plan.columns(x, self.bufferLike('finput', input, plan.columns_shape))
        else:
            cols = cols.array
        self.accDenseGradients(partial(plan.accumulate_gradients, grad_t, cols), scale)

    def clearState(self):
        return super().clearState('finput', 'fgradInput', '_gemm', '_gradOutputT', '_gradInputT')
