"""Direct 2-D convolution on the CPU for inputs with few planes (``conv_cpu``'s Numba kernels, checked here).

For an input of one to a few planes (LeNet's first layer, a grey or RGB image), im2col copies every
window (prod(kernel) times the input) into columns for a GEMM whose inner dimension C kH kW (25 for a
5x5 kernel on one plane) is too short for BLAS to run near its peak, and the product then needs a
transposing pass. The direct kernels multiply-add each kernel offset over the zero-padded source
planes instead, writing the output (bias included), the input gradient and the parameter gradients
in one pass each. Stride 1 only (any padding and dilation, one group), float32 and float64; the
plan (``conv_kernels.ConvPlan``) picks this path by ``direct_pays``.

The batch is split into one part per thread (``parallel``); the weight gradient is summed per part
into ``partials`` and added up afterwards. Every kernel call goes through ``check_operands``.
"""
import importlib
import math

import numpy as np

from . import parallel
from .blas_kernels import check_operands

# Where the direct kernels beat im2col + GEMM on the CPU (bench/lenet_cpu.md): at most 4 input planes and
# 128 (input, output) plane pairs; beyond, the GEMM's rows (output planes) and inner dimension grow long
# enough for BLAS to pay back the column copy (3 -> 64 planes: 3.7 ms im2col + GEMM, 4.2 ms direct)
MAX_PLANES = 4
MAX_PLANE_PAIRS = 128
# Output planes a pass of the blocked kernels (``conv_cpu.forward_blocked``): eight accumulator rows, 24
# multiply-adds for three source loads and eight loads and stores
BLOCK = 8
_NO_BIAS = {np.dtype(t): np.zeros(0, t) for t in (np.float32, np.float64)}


def direct_pays(xp, dtype, input_shape, planes_out, stride, groups):
    """Whether ``DirectConv`` runs this convolution: NumPy data of float32 or float64, 2-D, stride 1, one
    group, at most ``MAX_PLANES`` input planes and ``MAX_PLANE_PAIRS`` input x output planes."""
    return (xp is np and dtype is not None and np.dtype(dtype) in (np.float32, np.float64) and groups == 1
            and len(input_shape) == 4 and all(s == 1 for s in stride) and input_shape[1] <= MAX_PLANES
            and input_shape[1] * planes_out <= MAX_PLANE_PAIRS)


def cpu_kernels():
    """The Numba kernels (``conv_cpu``); Numba's import (about 0.1 s) happens when one first runs, not with
    legonn."""
    return importlib.import_module('.conv_cpu', __package__)


def _contiguous(arr):
    return arr if arr.flags.c_contiguous and arr.flags.aligned else np.ascontiguousarray(arr)


class SourceConv:
    """What the convolutions run on a zero-padded source share (``DirectConv``, ``conv_chunks.ChunkedConv``):
    the geometry of inputs of shape ``input_shape`` (N, C, H, W), ``planes_out`` output planes, a ``kernel``
    (kH, kW), ``pad`` and ``dilation`` (per axis); the padded copy; the split over threads; the operand
    checks; the parameter gradients summed per part. Shapes of the buffers a module keeps: ``source_shape``
    (N, C, H + 2 padH, W + 2 padW), the zero-padded input (needed only when ``x`` is padded or not contiguous:
    ``copies_source``); per thread, a row of scratch (``scratch_shape``, ``scratch_length`` long), a padded
    gradient plane set (``planes_shape``) and the parameter gradients' share (``partials_shape``).
    """

    routine_prefix = 'conv_direct'

    def __init__(self, input_shape, planes_out, kernel, pad, dilation, out_size):
        n, c, h, w = input_shape
        self.input_shape, self.planes_out = tuple(input_shape), planes_out
        self.kernel, self.pad, self.dilation, self.out_size = tuple(kernel), tuple(pad), tuple(dilation), out_size
        self.source_shape = (n, c, h + 2 * pad[0], w + 2 * pad[1])
        self.weight_shape = (planes_out, c) + self.kernel

    @property
    def scratch_shape(self):
        return (parallel.getnumthreads(), self.scratch_length)

    @property
    def partials_shape(self):
        return (parallel.getnumthreads(), self.planes_out * (self.source_shape[1] * self.kernel[0] * self.kernel[1]
                                                              + 1))

    def copies_source(self, x):
        return any(self.pad) or not (x.flags.c_contiguous and x.flags.aligned)

    def source(self, x, buf):
        """``x`` (N, C, H, W) zero padded (or made contiguous) into ``buf`` (``source_shape``); the caller asks
        ``copies_source`` first and passes ``x`` itself to the kernels when no copy is needed."""
        (ph, pw), (h, w) = self.pad, x.shape[2:]
        buf = buf.reshape(self.source_shape)
        if x.flags.c_contiguous and x.flags.aligned and x.dtype in (np.float32, np.float64):
            check_operands(f"{self.routine_prefix}.source", x.dtype, ('x', x, self.input_shape, None),
                           ('source', buf, self.source_shape, None))
            pad = cpu_kernels().pad_planes
            parallel.run_parts(lambda b: pad(x, buf, *b), parallel.leading_ranges(buf))
            return buf
        if ph:
            buf[:, :, :ph] = 0
            buf[:, :, ph + h:] = 0
        if pw:
            buf[:, :, ph:ph + h, :pw] = 0
            buf[:, :, ph:ph + h, pw + w:] = 0
        parallel.map_parts(np.copyto, buf[:, :, ph:ph + h, pw:pw + w], x)
        return buf

    def _adjoint_geometry(self):
        """``(input_shape, planes_out, kernel, pad, dilation, out_size)`` of a stride-1 convolution's input
        gradient as a correlation: gradOutput zero padded by dilation (k - 1) - pad, correlated with the kernel
        flipped and its planes swapped (``_adjoint_grad_input``) gives the input's planes and size."""
        return ((self.input_shape[0], self.planes_out) + tuple(self.out_size), self.input_shape[1], self.kernel,
                tuple(d * (k - 1) - p for k, p, d in zip(self.kernel, self.pad, self.dilation)), self.dilation,
                tuple(self.input_shape[2:]))

    def _adjoint_grad_input(self, grad_out, weight, out, scratch, planes):
        """d loss / d input into ``out`` (operands checked) as ``self.adjoint``'s forward (built from
        ``_adjoint_geometry``), ``planes`` holding gradOutput zero padded when the adjoint pads."""
        adjoint = self.adjoint
        flipped = np.ascontiguousarray(weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
        source = adjoint.source(grad_out, planes) if any(adjoint.pad) else grad_out
        return adjoint.forward(source, flipped, None, out, scratch)

    def _run(self, call, like, work=1):
        """``call(part, first, stop)`` over the batch, one part per thread (split as ``like``'s first axis, each
        element costing ``work`` as in ``parallel.leading_parts``); returns the number of parts (every one has
        run)."""
        bounds = parallel.leading_ranges(like, work)
        parallel.run_parts(lambda i: call(i, *bounds[i]), range(len(bounds)))
        return len(bounds)

    def _scratch(self, routine, dtype, scratch, *operands):
        check_operands(f"{self.routine_prefix}.{routine}", dtype, ('scratch', scratch, self.scratch_shape, None),
                       *operands)

    def _forward_operands(self, source, weight, bias, out, scratch):
        """``forward``'s ``weight`` and ``bias`` (an empty array for None) made contiguous, once every operand
        is checked."""
        dtype = out.dtype
        weight = _contiguous(weight)
        bias = _NO_BIAS[dtype] if bias is None else _contiguous(bias)
        self._scratch('forward', dtype, scratch, ('source', source, self.source_shape, None),
                      ('weight', weight, self.weight_shape, None),
                      ('bias', bias, (self.planes_out,) if bias.size else (0,), None),
                      ('out', out, (self.source_shape[0], self.planes_out) + self.out_size, None))
        return weight, bias

    def _grad_input_operands(self, grad_out, weight, out, scratch, planes):
        """``grad_input``'s ``grad_out`` and ``weight`` made contiguous, once every operand is checked."""
        grad_out, weight = _contiguous(grad_out), _contiguous(weight)
        self._scratch('grad_input', out.dtype, scratch, ('planes', planes, self.planes_shape, None),
                      ('gradOutput', grad_out, (self.source_shape[0], self.planes_out) + self.out_size, None),
                      ('weight', weight, self.weight_shape, None), ('gradInput', out, self.input_shape, None))
        return grad_out, weight

    def _grad_params_operands(self, grad_out, source, scratch, partials):
        """``grad_params``'s ``grad_out`` made contiguous, once every operand is checked."""
        grad_out = _contiguous(grad_out)
        self._scratch('grad_params', scratch.dtype, scratch, ('partials', partials, self.partials_shape, None),
                      ('gradOutput', grad_out, (self.source_shape[0], self.planes_out) + self.out_size, None),
                      ('source', source, self.source_shape, None))
        return grad_out

    def _add_partials(self, partials, parts, scale, grad_weight, grad_bias, transposed=False):
        """Add the first ``parts`` rows of ``partials`` (each a part's weight gradient, then its bias gradient),
        in part order, times ``scale``, into ``grad_weight`` and ``grad_bias`` (unless None); ``transposed``:
        the weight gradients are (C kH kW, Cout) matrices."""
        cut = math.prod(self.weight_shape)
        total = partials[0]
        for i in range(1, parts):
            total += partials[i]
        if scale != 1:
            total *= scale
        weights = total[:cut]
        if transposed:
            weights = weights.reshape(-1, self.planes_out).T
        grad_weight += weights.reshape(self.weight_shape)
        if grad_bias is not None:
            grad_bias += total[cut:]


class DirectConv(SourceConv):
    """The direct path (``SourceConv`` gives the geometry and buffers): ``scratch_length`` is at least the
    kernels' span; ``planes_shape`` is empty without padding. ``blocked``: the forward and the weight gradient
    take ``BLOCK`` output planes a pass (``conv_cpu.forward_blocked``, ``grad_params_blocked``), for a kernel
    three taps wide and output planes a multiple of ``BLOCK`` (CIFAR's 3 -> 16 first layer: 0.87 -> 0.52 ms
    forward, 0.79 -> 0.41 ms weight gradient, bench/conv_resnet.md)."""

    forward_kernel, grad_params_kernel = 'forward', 'grad_params'
    # what an output element costs, for the split over threads (``parallel.leading_parts``): the unblocked
    # kernels keep the split they were measured with (bench/lenet_cpu.md)
    work = 1

    def __init__(self, input_shape, planes_out, kernel, pad, dilation, out_size):
        super().__init__(input_shape, planes_out, kernel, pad, dilation, out_size)
        hs, ws = self.source_shape[2:]
        # the input gradient's gather reads a spread gradOutput after a margin of the last offset's reach (and
        # zeroes the row it is given: only this much of a longer one)
        self.scratch_length = self.gather_length = hs * ws + (kernel[0] - 1) * dilation[0] * ws \
            + (kernel[1] - 1) * dilation[1]
        self.blocked = kernel[1] == 3 and planes_out % BLOCK == 0
        if self.blocked:
            self.forward_kernel, self.grad_params_kernel = 'forward_blocked', 'grad_params_blocked'
            self.work = input_shape[1] * kernel[0] * kernel[1]   # multiply-adds an output element
            # ``BLOCK`` rows of accumulators (or spread gradOutput planes), each at least the span
            span = (out_size[0] - 1) * ws + out_size[1]
            self.scratch_length = BLOCK * max(span, -(-self.scratch_length // BLOCK))

    def _wide(self, scratch):
        """A part's scratch as the kernels take it: ``BLOCK`` rows when ``blocked``, else one."""
        return scratch.reshape(scratch.shape[0], BLOCK, -1) if self.blocked else scratch

    @property
    def planes_shape(self):
        padded = any(self.pad)
        return (parallel.getnumthreads(), self.source_shape[1] * self.source_shape[2] * self.source_shape[3]
                if padded else 0)

    def forward(self, source, weight, bias, out, scratch):
        """``out`` (N, Cout, oH, oW) = ``source`` (``source``'s result) correlated with ``weight`` (Cout, C, kH,
        kW), plus ``bias`` (Cout,) unless None."""
        weight, bias = self._forward_operands(source, weight, bias, out, scratch)
        run, wide = getattr(cpu_kernels(), self.forward_kernel), self._wide(scratch)
        dh, dw = self.dilation
        self._run(lambda i, first, stop: run(source, weight, bias, out, wide[i], dh, dw, first, stop), out, self.work)
        return out

    def grad_input(self, grad_out, weight, out, scratch, planes):
        """d loss / d input (N, C, H, W) into ``out`` for gradOutput ``grad_out`` (N, Cout, oH, oW)."""
        grad_out, weight = self._grad_input_operands(grad_out, weight, out, scratch, planes)
        run = cpu_kernels().grad_input
        plane_set = planes.reshape((planes.shape[0],) + (self.source_shape[1:] if any(self.pad) else (0, 0, 0)))
        (ph, pw), (dh, dw) = self.pad, self.dilation
        # split as gradOutput, whose size (not the input's) measures the work
        gather = scratch[:, :self.gather_length]
        self._run(lambda i, first, stop: run(grad_out, weight, out, plane_set[i], gather[i], ph, pw, dh, dw,
                                             first, stop), grad_out)
        return out

    def grad_params(self, grad_out, source, grad_weight, grad_bias, scale, scratch, partials):
        """Add ``scale`` * d loss / d weight into ``grad_weight`` (Cout, C, kH, kW) and d loss / d bias into
        ``grad_bias`` (Cout,) unless None, from gradOutput ``grad_out`` and the forward's ``source``."""
        grad_out = self._grad_params_operands(grad_out, source, scratch, partials)
        run, wide = getattr(cpu_kernels(), self.grad_params_kernel), self._wide(scratch)
        cut = self.planes_out * self.source_shape[1] * self.kernel[0] * self.kernel[1]
        weights = partials[:, :cut].reshape((partials.shape[0],) + self.weight_shape)
        biases = partials[:, cut:]
        dh, dw = self.dilation
        parts = self._run(lambda i, first, stop: run(grad_out, source, weights[i], biases[i], wide[i], dh, dw,
                                                     first, stop), grad_out, self.work)
        self._add_partials(partials, parts, scale, grad_weight, grad_bias)
