"""im2col + GEMM on the CPU a few output rows at a time, each chunk's columns staying in cache.

The whole-batch path (``conv_kernels.ConvPlan`` without kernels) copies every window of the batch into
one column buffer, prod(kernel) times the input (75 MB for a 64-plane 32x32 batch of 32 in float32), for
one GEMM, then moves the product's batch axis to the front and adds the bias in passes of their own;
on the 2-core Xeon of bench/conv3x3.md, whose memory streams about 9 GB/s, those passes cost as much
as the product. Here each thread of legonn's pool takes a range of images and walks their output rows
in chunks: the chunk's columns (``conv_cpu.rows_to_columns``, from the zero-padded source), one
single-threaded GEMM (``openblas.serial_blas``: the pool's threads are the parallelism), and the product
written in place into the (N, Cout, oH, oW) output with the bias (``conv_cpu.chunk_rows``). A
chunk's scratch (its columns and product) fits in a core's L2 (``CHUNK_BYTES``), so the columns never
go through memory.

The input gradient of a stride-1 convolution is itself a correlation, of gradOutput zero padded by
dilation (k - 1) - pad with the kernel flipped and its planes swapped (``adjoint``): the same chunked
forward writes it row by row, with no column sums to add back onto the image (col2im). The weight
gradient multiplies each chunk's columns, rebuilt from the source, by its gradOutput into a per-thread
share, summed afterwards. The sums are those of the whole-batch path in another order (float
reassociation only).

Chosen by the plan where ``chunks_pay``. Every kernel call goes through ``check_operands``
(``SourceConv._scratch``).
"""
import math

import numpy as np

from . import parallel
from .blas_kernels import addmm_into
from .conv_direct import BLOCK, DirectConv, SourceConv, cpu_kernels
from .openblas import serial_blas

# A chunk's scratch (its columns and product): within one core's L2 (2 MB on the Xeon of bench/conv3x3.md;
# 512 KB to 2 MB ran alike there, 256 KB 10-20% slower)
CHUNK_BYTES = 1 << 20
# Each copy of the chunk kernels is a run of one output row: on 8x8 outputs (128 -> 256 planes) the runs' own
# cost made the input gradient twice the whole-batch path's; from 16x16 on the chunks are as fast or faster
MIN_ROW = 16
# What one element of an element-wise pass costs, in a chunk's multiply-adds (with its column copy and output
# write, a GEMM's multiply-add is several times cheaper than a pass over memory): an output element of C kH kW
# multiply-adds counts C kH kW / 4 elements when the walk decides whether splitting over threads pays.
# Counting output elements alone left 32 -> 32 planes on 16x16 (batch 32, 150 MFLOP) on one thread; 16 made
# the 16 -> 32 1x1 shortcut's chunks run on one (bench/conv_resnet.md).
MACS_PER_PASS = 4


def chunks_pay(xp, dtype, input_shape, planes_out, kernel, stride, pad, dilation, out_size, groups):
    """Whether ``ChunkedConv`` runs this convolution: NumPy data of float32 or float64, 2-D, one group, output rows
    of at least ``MIN_ROW`` elements (a stride-2 layer on 16x16, rows of 8, ran no faster than the whole batch's
    columns: bench/conv_resnet.md), and, with stride 1, what its input gradient (the adjoint correlation) needs
    to pay: pad at most dilation (k - 1) (the adjoint's padding is the difference), at most twice as many output
    planes as input planes (the adjoint's columns, Cout kH kW a pixel, then at most twice the forward's: not a
    first layer of 3 planes into 64) and an output of at least 4/5 of the input's pixels (the adjoint
    correlation's padding then costs at most a quarter more work: a 3x3 kernel padded by 1 or not, not LeNet's
    5x5 unpadded on 12x12, 2.25 times). A strided convolution's input gradient is each chunk's column gradients
    added back (``columns_to_rows``)."""
    if not (xp is np and dtype is not None and np.dtype(dtype) in (np.float32, np.float64) and groups == 1
            and len(input_shape) == 4 and out_size[1] >= MIN_ROW):
        return False
    if any(s != 1 for s in stride):
        return True
    return (planes_out <= 2 * input_shape[1]
            and all(p <= d * (k - 1) for k, p, d in zip(kernel, pad, dilation))
            and 5 * math.prod(out_size) >= 4 * math.prod(input_shape[2:]))


def blocked_weight_grads_pay(input_shape, planes_out, kernel):
    """Whether a stride-1 ``ChunkedConv`` leaves its weight gradient to the direct kernels eight output planes a
    pass (``conv_direct.DirectConv`` with ``blocked``; it has the padded source they read): a kernel three taps
    wide, output planes a multiple of eight, at most 32 planes in and out (32 -> 32 on 16x16: 1.5 -> 1.2 ms;
    from 64 planes on the chunks' GEMMs are as fast)."""
    return kernel[1] == 3 and planes_out % BLOCK == 0 and max(input_shape[1], planes_out) <= 32


class ChunkedConv(SourceConv):
    """The chunked path for inputs of shape ``input_shape`` (N, C, H, W), ``planes_out`` output planes, a
    ``kernel`` (kH, kW), ``stride``, ``pad`` and ``dilation`` (per axis; with stride 1, pad at most dilation
    (k - 1)) and elements of ``itemsize`` bytes (buffers as ``SourceConv``): ``chunk_rows`` output rows per
    chunk, whose columns (C kH kW of them) and product or gradOutput (Cout) fit ``scratch_length``;
    ``adjoint`` the ChunkedConv of a stride-1 input gradient (None for a strided convolution, whose chunks
    add their column gradients back, or for an adjoint itself), whose padded gradOutput is
    ``planes_shape``."""

    routine_prefix = 'conv_chunks'

    def __init__(self, input_shape, planes_out, kernel, stride, pad, dilation, out_size, itemsize, adjoint=True):
        super().__init__(input_shape, planes_out, kernel, pad, dilation, out_size)
        self.stride = tuple(stride)
        self.column_rows = input_shape[1] * kernel[0] * kernel[1]
        per_row = (self.column_rows + planes_out) * out_size[1]
        # at most a thread's share of the images: small batches then keep no more scratch than their columns
        share = -(-input_shape[0] // parallel.getnumthreads()) * out_size[0]
        self.chunk_rows = max(1, min(share, CHUNK_BYTES // (itemsize * per_row)))
        self.scratch_length = per_row * self.chunk_rows
        self.adjoint = self.weight_grads = None
        if adjoint and self.stride == (1, 1):
            shape, planes, kernel, pad, dilation, size = self._adjoint_geometry()
            self.adjoint = ChunkedConv(shape, planes, kernel, (1, 1), pad, dilation, size, itemsize, adjoint=False)
            if blocked_weight_grads_pay(self.input_shape, planes_out, self.kernel):
                self.weight_grads = DirectConv(input_shape, planes_out, self.kernel, self.pad, self.dilation,
                                               out_size)
            # one scratch serves every walk, in rows of BLOCK for the direct kernels
            users = [c for c in (self, self.adjoint, self.weight_grads) if c is not None]
            length = BLOCK * -(-max(c.scratch_length for c in users) // BLOCK)
            for c in users:
                c.scratch_length = length

    @property
    def planes_shape(self):
        """gradOutput zero padded for the ``adjoint`` correlation (empty when it needs no padding or there is
        no adjoint)."""
        return self.adjoint.source_shape if self.adjoint and any(self.adjoint.pad) else (parallel.getnumthreads(), 0)

    def _walk(self, call, like):
        """``call(part, first, stop)`` for every chunk [first, stop) of output rows (g = n oH + oh), each thread
        taking the chunks of its range of images (split as ``like``'s first axis), BLAS serial meanwhile if
        the work is split; returns the number of parts."""
        bounds = parallel.leading_ranges(like, work=max(1, self.column_rows // MACS_PER_PASS))
        rows, step = self.out_size[0], self.chunk_rows

        def part(i):
            first, stop = bounds[i][0] * rows, bounds[i][1] * rows
            for start in range(first, stop, step):
                call(i, start, min(stop, start + step))

        with serial_blas(len(bounds) > 1):
            parallel.run_parts(part, range(len(bounds)))
        return len(bounds)

    def _split(self, scratch, first, stop):
        """A chunk's views of a thread's scratch row: its columns (C, kH, kW, L) and its (Cout, L) product or
        gradOutput, L = (stop - first) oW."""
        length = (stop - first) * self.out_size[1]
        k, o = self.column_rows * length, self.planes_out * length
        return (scratch[:k].reshape((self.source_shape[1],) + self.kernel + (length,)),
                scratch[k:k + o].reshape(self.planes_out, length))

    def forward(self, source, weight, bias, out, scratch):
        """``out`` (N, Cout, oH, oW) = ``source`` (``source``'s result) correlated with ``weight`` (Cout, C, kH,
        kW), plus ``bias`` (Cout,) unless None."""
        weight, bias = self._forward_operands(source, weight, bias, out, scratch)
        kernels, matrix = cpu_kernels(), weight.reshape(self.planes_out, -1)
        (sh, sw), (dh, dw), rows = self.stride, self.dilation, self.out_size[0]

        def chunk(i, first, stop):
            cols, product = self._split(scratch[i], first, stop)
            kernels.rows_to_columns(source, cols, sh, sw, dh, dw, rows, first, stop)
            np.matmul(matrix, cols.reshape(self.column_rows, -1), out=product)
            kernels.chunk_rows(product, out, bias, first, stop, True)

        self._walk(chunk, out)
        return out

    def grad_input(self, grad_out, weight, out, scratch, planes):
        """d loss / d input (N, C, H, W) into ``out`` for gradOutput ``grad_out`` (N, Cout, oH, oW): the
        ``adjoint``'s forward, ``planes`` (``planes_shape``) holding the padded gradOutput; with a stride,
        each chunk's column gradients (weight^T @ its gradOutput) added back onto the pixels they came from."""
        grad_out, weight = self._grad_input_operands(grad_out, weight, out, scratch, planes)
        if self.adjoint is None:
            return self._scattered_grad_input(grad_out, weight, out, scratch)
        return self._adjoint_grad_input(grad_out, weight, out, scratch, planes)

    def _scattered_grad_input(self, grad_out, weight, out, scratch):
        """``grad_input`` of a strided convolution (operands checked): per chunk, its gradOutput gathered, one
        GEMM into its column gradients, which ``columns_to_rows`` adds onto ``out``, each image zeroed when
        the chunk holding its first row starts (a thread's images are its own)."""
        kernels, matrix = cpu_kernels(), weight.reshape(self.planes_out, -1).T
        (sh, sw), (ph, pw), (dh, dw), rows = self.stride, self.pad, self.dilation, self.out_size[0]
        empty = np.zeros(0, out.dtype)

        def chunk(i, first, stop):
            cols, grads = self._split(scratch[i], first, stop)
            kernels.chunk_rows(grads, grad_out, empty, first, stop, False)
            np.matmul(matrix, grads, out=cols.reshape(self.column_rows, -1))
            out[-(-first // rows):-(-stop // rows)] = 0
            kernels.columns_to_rows(cols, out, sh, sw, ph, pw, dh, dw, rows, first, stop)

        self._walk(chunk, grad_out)
        return out

    def grad_params(self, grad_out, source, grad_weight, grad_bias, scale, scratch, partials):
        """Add ``scale`` * d loss / d weight into ``grad_weight`` (Cout, C, kH, kW) and d loss / d bias into
        ``grad_bias`` (Cout,) unless None, from gradOutput ``grad_out`` and the forward's ``source``."""
        if self.weight_grads is not None:
            return self.weight_grads.grad_params(grad_out, source, grad_weight, grad_bias, scale, scratch, partials)
        grad_out = self._grad_params_operands(grad_out, source, scratch, partials)
        kernels = cpu_kernels()
        (sh, sw), (dh, dw), rows = self.stride, self.dilation, self.out_size[0]
        cut = self.planes_out * self.column_rows
        partials[:, :] = 0

        def chunk(i, first, stop):
            cols, grads = self._split(scratch[i], first, stop)
            kernels.rows_to_columns(source, cols, sh, sw, dh, dw, rows, first, stop)
            kernels.chunk_rows(grads, grad_out, partials[i, cut:], first, stop, False)
            # the transposed product, columns @ gradOutput^T: OpenBLAS runs it 10-20% faster than the other
            addmm_into(partials[i, :cut].reshape(self.column_rows, -1), cols.reshape(self.column_rows, -1), grads.T)

        self._add_partials(partials, self._walk(chunk, grad_out), scale, grad_weight, grad_bias, transposed=True)
