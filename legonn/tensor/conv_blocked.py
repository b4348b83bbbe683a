"""Direct 3-tap-wide convolutions on the CPU for layers of few output planes (8 or 16: a CIFAR ResNet's first
stage), blocked over eight output planes (``conv_cpu.forward_blocked``), checked here.

For 16 -> 16 planes (3x3, 32x32, batch 32) im2col + GEMM runs a product of 16 rows, which OpenBLAS takes at
about 90 GFLOPS a core on the Xeon of bench/conv_resnet.md, after copying nine columns a pixel. The blocked
kernel multiplies eight output planes by one kernel row of the zero-padded source at a time, along the plane's
"wide rows" (``conv_cpu``'s docstring), with no copy and no transposing pass. The input gradient of a stride-1
convolution is the same correlation, of gradOutput zero padded by dilation (k - 1) - pad with the kernel
flipped and its planes swapped (as ``conv_chunks.ChunkedConv``'s ``adjoint``); the weight gradient takes 24
dot products (eight planes by three taps) a pass (``conv_cpu.grad_params_blocked``). The sums are the other
paths' in another order, each multiply-add fused (float reassociation only).

Chosen by the plan (``conv_kernels.ConvPlan``) where ``blocked_pays``. Every kernel call goes through
``check_operands`` (``SourceConv``).
"""
import math

import numpy as np

from . import parallel
from .conv_direct import DirectConv


# The plane counts (in and out) the blocked kernels take
PLANES = (8, 16)


def blocked_pays(xp, dtype, input_shape, planes_out, kernel, stride, pad, dilation, out_size, groups):
    """Whether ``BlockedConv`` runs this convolution: NumPy data of float32 or float64, 2-D, one group, stride
    1, a kernel three taps wide, 8 or 16 input and output planes (both: the adjoint's output planes are the
    input's), output rows of at least 16 and, for the adjoint, pad at most dilation (k - 1) and an output of at
    least 4/5 of the input's pixels (``conv_chunks.chunks_pay``'s rule). From 32 planes on, the GEMM's
    longer rows win (32 -> 32 on 16x16: about even; 64 -> 64 on 8x8: the GEMM twice as fast)."""
    return (xp is np and dtype is not None and np.dtype(dtype) in (np.float32, np.float64) and groups == 1
            and len(input_shape) == 4 and all(s == 1 for s in stride) and kernel[1] == 3
            and input_shape[1] in PLANES and planes_out in PLANES and out_size[1] >= 16
            and all(p <= d * (k - 1) for k, p, d in zip(kernel, pad, dilation))
            and 5 * math.prod(out_size) >= 4 * math.prod(input_shape[2:]))


class BlockedConv(DirectConv):
    """The blocked path: a ``DirectConv`` (``blocked``, as ``blocked_pays`` ensures) whose input gradient is
    ``adjoint``'s forward, the BlockedConv of that correlation, its zero-padded gradOutput ``planes_shape``."""

    routine_prefix = 'conv_blocked'

    def __init__(self, input_shape, planes_out, kernel, pad, dilation, out_size, adjoint=True):
        super().__init__(input_shape, planes_out, kernel, pad, dilation, out_size)
        self.adjoint = BlockedConv(*self._adjoint_geometry(), adjoint=False) if adjoint else None
        if adjoint:   # one scratch row serves the three walks
            self.scratch_length = self.adjoint.scratch_length = max(self.scratch_length, self.adjoint.scratch_length)

    @property
    def planes_shape(self):
        """gradOutput zero padded for the ``adjoint`` correlation (empty when it needs no padding)."""
        return self.adjoint.source_shape if any(self.adjoint.pad) else (parallel.getnumthreads(), 0)

    def grad_input(self, grad_out, weight, out, scratch, planes):
        """d loss / d input (N, C, H, W) into ``out`` for gradOutput ``grad_out`` (N, Cout, oH, oW): the
        ``adjoint``'s forward, ``planes`` (``planes_shape``) holding the padded gradOutput."""
        grad_out, weight = self._grad_input_operands(grad_out, weight, out, scratch, planes)
        return self._adjoint_grad_input(grad_out, weight, out, scratch, planes)
