"""Convolution kernels for any number of spatial axes: im2col, col2im and the GEMMs around them.

Layout. Inputs are ``(N, C, *spatial)``. ``im2col`` copies every window once
into a column buffer laid out ``(C, *kernel, N, *out)``, so a whole batch is
one GEMM ``weight (Cout, C*K) @ cols (C*K, N*L)`` whose rows are long and
contiguous (the copy's inner loop runs along output columns, not along the
short kernel rows). The GEMM result ``(Cout, N, L)`` is transposed into the
``(N, Cout, *out)`` output while the bias is added (one pass).
``col2im`` is the adjoint: one strided slice-add per kernel offset
(``prod(kernel)`` steps), never a loop over batch elements or pixels.

Every function takes its array module from its arguments, so the same code
runs on NumPy (the arithmetic in NumPy's BLAS) and CuPy (cuBLAS); on CuPy the
column copies go through fused RawKernels of ``cuda_kernels`` when the input
is 2-D-spatial (``LEGONN_GENERIC_KERNELS=1`` turns them off).

``groups`` splits channels as PyTorch's grouped convolution does: output
channel ``o`` sees input channels of group ``o // (Cout / groups)``; the
weight is ``(Cout, C / groups, *kernel)``.

A module runs its convolution through a ``ConvPlan`` (``conv_plan``): the
geometry, output size, column layout and buffer shapes for one input shape,
worked out once and shared by the forward and both gradient calls.
"""
import functools
import itertools
import math

import numpy as np

from . import parallel
from .backend import array_module
from .blas_kernels import add_sums, addmm_into, check_operands, transpose_into
from .conv_blocked import BlockedConv, blocked_pays
from .conv_chunks import ChunkedConv, chunks_pay
from .conv_direct import DirectConv, cpu_kernels, direct_pays
from .conv_pointwise import PointwiseConv, pointwise_pays


def conv_output_size(size, k, stride=1, pad=0, dilation=1):
    """Windows along one axis: floor((size + 2 pad - dilation (k - 1) - 1) / stride) + 1 (may be <= 0)."""
    return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1


def kernel_offsets(ksize):
    """Every kernel offset (a tuple, one entry per spatial axis), in C order."""
    return itertools.product(*(range(k) for k in ksize))


def window_slice(offset, stride, dilation, counts):
    """Per-axis slices picking, for kernel offset ``offset``, the element each window sees."""
    return tuple(slice(o * d, o * d + s * (n - 1) + 1, s) for o, s, d, n in zip(offset, stride, dilation, counts))


def _fits(buf, shape, dtype):
    return buf is not None and tuple(buf.shape) == tuple(shape) and buf.dtype == dtype


def _zero_padded(x, pad):
    """``x`` (N, C, *S) inside a new zero border of ``pad[i]`` on both sides of each spatial axis."""
    xp = array_module(x)
    spatial = x.shape[2:]
    out = xp.zeros(x.shape[:2] + tuple(s + 2 * p for s, p in zip(spatial, pad)), dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(pad, spatial))] = x
    return out


def _gpu_kernels(x):
    """The CuPy RawKernel module for 2-D spatial data on the GPU, else None (generic path)."""
    if x.ndim != 4 or array_module(x).__name__ != 'cupy':
        return None
    from . import cuda_kernels
    return cuda_kernels if cuda_kernels.enabled() and cuda_kernels.supports(x.dtype) else None


def im2col(x, ksize, stride, pad, dilation, out=None):
    """Columns ``(C, *ksize, N, *out)`` of ``x`` (N, C, *spatial), zero padded by ``pad`` on each side.

    ``out`` is reused when its shape and dtype fit; the result is C-contiguous.
    """
    xp = array_module(x)
    n, c = x.shape[:2]
    counts = tuple(conv_output_size(s, k, st, p, d)
                   for s, k, st, p, d in zip(x.shape[2:], ksize, stride, pad, dilation))
    shape = (c,) + tuple(ksize) + (n,) + counts
    if not _fits(out, shape, x.dtype):
        out = xp.empty(shape, dtype=x.dtype)
    gpu = _gpu_kernels(x)
    if gpu is not None and out.flags.c_contiguous:
        return gpu.im2col(x, ksize, stride, pad, dilation, counts, out)
    src = _zero_padded(x, pad) if any(pad) else x
    st = src.strides
    nsp = len(ksize)
    view_strides = ((st[1],) + tuple(st[2 + i] * dilation[i] for i in range(nsp)) + (st[0],)
                    + tuple(st[2 + i] * stride[i] for i in range(nsp)))
    parallel.map_parts(xp.copyto, out, xp.lib.stride_tricks.as_strided(src, shape, view_strides))
    return out


def im2col_batch_last(x, ksize, stride, pad, dilation, out=None):
    """Columns ``(C, *ksize, *out, N)`` of ``x`` (N, C, *spatial): ``im2col`` with the batch innermost.

    The CPU layout for big batches: ``x`` is transposed once to (C, *spatial, N),
    then each kernel offset is one copy whose inner runs are ``out[-1] * N``
    (or N) contiguous elements instead of out-width ones.
    """
    xp = array_module(x)
    n, c = x.shape[:2]
    counts = tuple(conv_output_size(s, k, st, p, d)
                   for s, k, st, p, d in zip(x.shape[2:], ksize, stride, pad, dilation))
    shape = (c,) + tuple(ksize) + counts + (n,)
    if not _fits(out, shape, x.dtype):
        out = xp.empty(shape, dtype=x.dtype)
    src = batch_last(_zero_padded(x, pad) if any(pad) else x)

    def part(cols, image):   # a range of channels
        for offset in kernel_offsets(ksize):
            cols[(slice(None),) + offset] = image[(slice(None),) + window_slice(offset, stride, dilation, counts)]

    parallel.map_parts(part, out, src, axes=1)
    return out


def batch_last(x, out=None):
    """``x`` (N, *rest) copied to a C-contiguous ``(*rest, N)`` (``out`` when it fits)."""
    xp = array_module(x)
    shape = tuple(x.shape[1:]) + (x.shape[0],)
    if not _fits(out, shape, x.dtype):
        out = xp.empty(shape, dtype=x.dtype)
    if x.flags.c_contiguous:
        _transpose(x.reshape(x.shape[0], -1), out.reshape(-1, x.shape[0]))
    else:
        parallel.map_parts(xp.copyto, out, xp.moveaxis(x, 0, -1))
    return out


def batch_first_of(y, out):
    """``out`` (N, *rest) = ``y`` (*rest, N) with the batch moved to the front (``batch_last`` undone)."""
    n = out.shape[0]
    if y.flags.c_contiguous and out.flags.c_contiguous:
        _transpose(y.reshape(-1, n), out.reshape(n, -1))
    else:
        parallel.map_parts(array_module(y).copyto, out, array_module(y).moveaxis(y, -1, 0))
    return out


def _transpose(a, out):
    """``out`` (n x m) = ``a.T`` (``a`` m x n), cache-blocked by BLAS, in parallel over row ranges of ``a``."""
    def part(p):
        transpose_into(out[(slice(None),) + p] if p else out, a[p])

    parallel.run_parts(part, parallel.leading_parts(a, axes=1))


def col2im(cols, spatial, stride, pad, dilation, out=None):
    """Adjoint of ``im2col``: ``(N, C, *spatial)`` holding, at each pixel, the sum of the columns that read it."""
    xp = array_module(cols)
    nsp = len(spatial)
    c, ksize, n, counts = cols.shape[0], cols.shape[1:1 + nsp], cols.shape[1 + nsp], cols.shape[2 + nsp:]
    shape = (n, c) + tuple(spatial)
    if not _fits(out, shape, cols.dtype):
        out = xp.empty(shape, dtype=cols.dtype)
    gpu = _gpu_kernels(out)
    if gpu is not None and out.flags.c_contiguous:
        return gpu.col2im(cols, spatial, ksize, stride, pad, dilation, counts, out)
    acc = xp.zeros((n, c) + tuple(s + 2 * p for s, p in zip(spatial, pad)), dtype=cols.dtype) if any(pad) else out
    if acc is out:
        out.fill(0)
    for offset in kernel_offsets(ksize):
        target = acc[(slice(None), slice(None)) + window_slice(offset, stride, dilation, counts)]
        target += cols[(slice(None),) + offset].swapaxes(0, 1)
    if acc is not out:
        out[...] = acc[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(pad, spatial))]
    return out


def channels_first(x, out=None):
    """``x`` (N, C, *S) copied to ``(C, N * prod(S))``: the GEMM operand for a batch."""
    xp = array_module(x)
    n, c = x.shape[:2]
    shape = (c, n * math.prod(x.shape[2:]))
    if not _fits(out, shape, x.dtype):
        out = xp.empty(shape, dtype=x.dtype)
    parallel.map_parts(xp.copyto, out.reshape((c, n, -1)), x.reshape((n, c, -1)).swapaxes(0, 1))
    return out


def batch_first(y, n, out, bias=None):
    """Write ``y`` (C, N * L) into ``out`` (N, C, *S) transposed, adding ``bias`` (C,) when given."""
    c = y.shape[0]
    return write_output(y.reshape((c, n, -1)).swapaxes(0, 1).reshape(out.shape), out, bias)


def write_output(src, out, bias=None):
    """``out[...] = src`` (both (N, C, *S), ``src`` any view), plus ``bias`` (C,) when given."""
    xp = array_module(src)
    if bias is None:
        parallel.map_parts(xp.copyto, out, src)
    else:
        parallel.map_parts(lambda o, s, b: xp.add(s, b, out=o), out, src, _planes(bias, out))
    return out


def add_planes(out, bias):
    """``out`` (N, C, *S) += ``bias`` (C,), in place."""
    xp = array_module(out)
    parallel.map_parts(lambda o, b: xp.add(o, b, out=o), out, _planes(bias, out))
    return out


def _planes(bias, out):
    """``bias`` (C,) broadcast (without copying) to ``out``'s (N, C, *S) shape."""
    return array_module(out).broadcast_to(bias.reshape((-1,) + (1,) * (out.ndim - 2)), out.shape)


def _grouped_matmul(a, b, groups, out=None):
    """Block-diagonal product: ``a`` (M, K) holds each group's (M/g, K) block, ``b`` (g*K, L); result (M, L)."""
    xp = array_module(a)
    if groups == 1:
        return xp.matmul(a, b, out=out)
    m, k = a.shape
    res = xp.matmul(a.reshape(groups, m // groups, k), b.reshape(groups, k, -1))
    res = res.reshape(m, -1)
    if out is None:
        return res
    out[...] = res
    return out


def conv_forward(x, weight, bias, stride, pad, dilation, groups=1, cols=None, out=None, gemm=None):
    """Cross-correlation of ``x`` (N, C, *S) with ``weight`` (Cout, C/groups, *k) plus ``bias`` (Cout,) or None.

    Returns ``(output (N, Cout, *out), cols)``; keep ``cols`` for ``conv_grad_params``.
    ``cols``, ``out`` and ``gemm`` (Cout, N*L) are reused when their shapes fit.
    """
    xp = array_module(x)
    nsp = x.ndim - 2
    cout = weight.shape[0]
    ksize = weight.shape[2:]
    cols = im2col(x, ksize, stride, pad, dilation, cols)
    n = x.shape[0]
    counts = cols.shape[2 + nsp:]
    rows = cols.reshape(-1, n * math.prod(counts))
    if not _fits(gemm, (cout, rows.shape[1]), x.dtype):
        gemm = xp.empty((cout, rows.shape[1]), dtype=x.dtype)
    _grouped_matmul(weight.reshape(cout, -1), rows, groups, out=gemm)
    if not _fits(out, (n, cout) + counts, x.dtype):
        out = xp.empty((n, cout) + counts, dtype=x.dtype)
    batch_first(gemm, n, out, bias)
    return out, cols


def numba_gathers(cols):
    """Whether ``conv_cpu.col2im_batch_last`` sums these batch-last column gradients (C, kH, kW, oH, oW, N):
    NumPy, two spatial axes, float32 or float64, C-contiguous; else the NumPy slice-adds do, one per
    kernel offset (the same sums in the same order)."""
    return type(cols) is np.ndarray and cols.ndim == 6 and cols.dtype in (np.float32, np.float64) \
        and cols.flags.c_contiguous


def conv_grad_input(grad_out, weight, input_shape, stride, pad, dilation, groups=1, out=None, grad_t=None,
                    gcols=None, acc=None):
    """d loss / d input of ``conv_forward`` for gradOutput ``grad_out`` (N, Cout, *out); returns (N, C, *S).

    One GEMM ``weight^T @ gradOutput`` gives the column gradients, which are
    summed back onto the pixels they came from. On the CPU the columns are
    ordered with the batch innermost, (C, *k, *out, N), so each of the
    ``prod(k)`` slice-adds runs over long contiguous rows instead of rows of
    out-width; for 2-D float data one Numba pass gathers the same sums instead
    (``numba_gathers``); the GPU takes the RawKernel gather. On the CPU, ``grad_t`` may
    hand in gradOutput already as ``batch_last`` (Cout, *out * N), and
    ``gcols`` (C * prod(k), *out * N) and ``acc`` (C * prod(padded S) * N, the sums before the
    batch moves to the front) are reused when they fit.
    """
    xp = array_module(grad_out)
    cout = weight.shape[0]
    ksize = tuple(weight.shape[2:])
    n, cin, spatial = input_shape[0], input_shape[1], tuple(input_shape[2:])
    counts = tuple(grad_out.shape[2:])
    if not _fits(out, tuple(input_shape), grad_out.dtype):
        out = xp.empty(tuple(input_shape), dtype=grad_out.dtype)
    gpu = _gpu_kernels(out) if out.flags.c_contiguous else None
    if gpu is not None:
        if grad_t is None:
            grad_t = channels_first(grad_out)
    elif grad_t is None:
        grad_t = batch_last(grad_out).reshape(cout, -1)
    w2 = weight.reshape(cout, -1)
    if groups == 1:
        if not _fits(gcols, (w2.shape[1], grad_t.shape[1]), grad_out.dtype):
            gcols = xp.empty((w2.shape[1], grad_t.shape[1]), dtype=grad_out.dtype)
        xp.matmul(w2.T, grad_t, out=gcols)
    else:
        per = cout // groups
        gcols = xp.matmul(w2.reshape(groups, per, -1).swapaxes(1, 2), grad_t.reshape(groups, per, -1))
    if gpu is not None:
        cols = gcols.reshape((cin,) + ksize + (n,) + counts)
        return gpu.col2im(cols, spatial, ksize, stride, pad, dilation, counts, out)
    cols = gcols.reshape((cin,) + ksize + counts + (n,))
    padded = (cin,) + tuple(s + 2 * p for s, p in zip(spatial, pad)) + (n,)
    if not _fits(acc, (math.prod(padded),), grad_out.dtype):
        acc = xp.empty(math.prod(padded), dtype=grad_out.dtype)
    if numba_gathers(cols):
        # one Numba pass gathering each pixel's sums, unpadded (the first of acc's elements)
        sums = acc[:cin * math.prod(spatial) * n].reshape((cin,) + spatial + (n,))
        check_operands('conv_kernels.conv_grad_input', cols.dtype, ('columns', cols, cols.shape, None),
                       ('sums', sums, sums.shape, None))
        gather = cpu_kernels().col2im_batch_last
        (sh, sw), (ph, pw), (dh, dw) = stride, pad, dilation
        parallel.run_parts(lambda b: gather(cols, sums, sh, sw, ph, pw, dh, dw, *b), parallel.leading_ranges(cols))
        return batch_first_of(sums, out)
    acc = acc.reshape(padded)

    def part(image, columns):   # a range of channels
        image.fill(0)
        for offset in kernel_offsets(ksize):
            image[(slice(None),) + window_slice(offset, stride, dilation, counts)] += columns[(slice(None),) + offset]

    parallel.map_parts(part, acc, cols, axes=1)
    batch_first_of(acc[(slice(None),) + tuple(slice(p, p + s) for p, s in zip(pad, spatial))], out)
    return out


def conv_grad_params(grad_t, cols, grad_weight, grad_bias, scale=1, groups=1):
    """Accumulate ``scale`` * d loss / d weight (and bias) into ``grad_weight`` (Cout, C/g, *k), ``grad_bias``.

    ``grad_t`` is gradOutput as ``channels_first`` (Cout, N*L); ``cols`` the forward's columns.
    """
    xp = array_module(grad_t)
    cout = grad_weight.shape[0]
    rows = cols.reshape(-1, grad_t.shape[1])
    if groups == 1 and grad_weight.flags.c_contiguous:
        addmm_into(grad_weight.reshape(cout, -1), grad_t, rows.T, alpha=scale)
    else:
        per = cout // groups
        gw = xp.matmul(grad_t.reshape(groups, per, -1), rows.reshape(groups, rows.shape[0] // groups, -1)
                       .swapaxes(1, 2))
        if scale != 1:
            gw *= scale
        grad_weight += gw.reshape(grad_weight.shape)
    if grad_bias is not None:
        add_sums(grad_bias, grad_t, 1, scale)


def conv_transpose_forward(x, weight, bias, stride, pad, dilation, adj, x_t=None, cols=None, out=None):
    """Transposed ("full") convolution of ``x`` (N, Cin, *S) with ``weight`` (Cin, Cout, *k), plus ``bias``.

    Output size per axis: (S - 1) stride - 2 pad + dilation (k - 1) + 1 + adj. It is
    the adjoint of ``conv_forward``: one GEMM then ``col2im``. Returns
    ``(output, x_t)`` with ``x_t`` = ``channels_first(x)`` for ``conv_transpose_grad_params``.
    """
    xp = array_module(x)
    cin, cout = weight.shape[:2]
    ksize = tuple(weight.shape[2:])
    n, spatial = x.shape[0], x.shape[2:]
    x_t = channels_first(x, x_t)
    shape = (cout * math.prod(ksize), x_t.shape[1])
    if not _fits(cols, shape, x.dtype):
        cols = xp.empty(shape, dtype=x.dtype)
    xp.matmul(weight.reshape(cin, -1).T, x_t, out=cols)
    size = tuple((s - 1) * st - 2 * p + d * (k - 1) + 1 + a
                 for s, st, p, d, k, a in zip(spatial, stride, pad, dilation, ksize, adj))
    out = col2im(cols.reshape((cout,) + ksize + (n,) + tuple(spatial)), size, stride, pad, dilation, out)
    if bias is not None:
        out += bias.reshape((cout,) + (1,) * len(size))
    return out, x_t


def conv_transpose_grad_input(grad_out, weight, stride, pad, dilation, gcols=None, out=None):
    """d loss / d input of ``conv_transpose_forward``: ``im2col`` of gradOutput then one GEMM.

    Returns ``(gradInput (N, Cin, *S), gcols)``; keep ``gcols`` for ``conv_transpose_grad_params``.
    """
    xp = array_module(grad_out)
    cin = weight.shape[0]
    ksize = tuple(weight.shape[2:])
    gcols = im2col(grad_out, ksize, stride, pad, dilation, gcols)
    n, counts = grad_out.shape[0], gcols.shape[2 + len(ksize):]
    rows = gcols.reshape(-1, n * math.prod(counts))
    gi_t = xp.matmul(weight.reshape(cin, -1), rows)
    if not _fits(out, (n, cin) + tuple(counts), grad_out.dtype):
        out = xp.empty((n, cin) + tuple(counts), dtype=grad_out.dtype)
    return batch_first(gi_t, n, out), gcols


def conv_transpose_grad_params(x_t, gcols, grad_out, grad_weight, grad_bias, scale=1):
    """Accumulate ``scale`` * d loss / d weight (Cin, Cout, *k) and bias of ``conv_transpose_forward``."""
    cin = grad_weight.shape[0]
    rows = gcols.reshape(-1, x_t.shape[1])
    if grad_weight.flags.c_contiguous:
        addmm_into(grad_weight.reshape(cin, -1), x_t, rows.T, alpha=scale)
    else:
        grad_weight += scale * (x_t @ rows.T).reshape(grad_weight.shape)
    if grad_bias is not None:
        axes = (0,) + tuple(range(2, grad_out.ndim))
        gb = grad_out.sum(axis=axes)
        if scale != 1:
            gb *= scale
        grad_bias += gb


def batch_last_pays(xp, batch, groups, column_rows, planes_out):
    """Whether the batch-innermost columns ``(C, *kernel, *out, N)`` beat the channels-first ones here.

    They make the window copy contiguous but the output transpose strided, so they pay
    only on the CPU, for one group and a batch, when the columns (``column_rows`` =
    C * prod(kernel)) outweigh the output (``planes_out`` rows) several times: LeNet's
    second convolution (500 vs 50), not its first (25 vs 20).
    """
    return xp.__name__ == 'numpy' and groups == 1 and batch > 1 and column_rows >= 4 * planes_out


class ConvPlan:
    """How a convolution runs on inputs of one shape, worked out once (get it from ``conv_plan``).

    Fields: ``input_shape`` (N, C, *S), ``planes_out``, ``kernel``, ``stride``, ``pad``,
    ``dilation`` (per spatial axis), ``groups``; ``out_size`` (windows per axis, may be
    <= 0 for an input smaller than the kernel); ``batch_last`` (the column layout, below);
    the shapes of the buffers a module keeps: ``columns_shape`` (C * prod(kernel), N * L)
    for the input's columns and the column gradients, ``gemm_shape`` (Cout, N * L) for the
    forward product and the transposed gradOutput, ``sums_shape`` for ``conv_grad_input``'s
    padded sums. L = prod(out_size).

    Layout: the columns are ``(C, *kernel, N, *out)`` (channels-first, every backend) or,
    when ``batch_last``, ``(C, *kernel, *out, N)``; the transposed gradOutput follows the
    same order, so the weight-gradient GEMM pairs matching columns either way.

    ``direct``: a ``conv_direct.DirectConv`` when the input has few planes and ``direct_pays`` (the CPU,
    stride 1, float32/float64 ``dtype``), else None; it needs no columns and its own buffers.
    ``pointwise``: otherwise a ``conv_pointwise.PointwiseConv`` for a 1x1 kernel without padding where
    ``pointwise_pays`` (the CPU, float32/float64, one group, any stride) and ``allow_batch_last``, else None.
    ``blocked``: otherwise a ``conv_blocked.BlockedConv`` where ``blocked_pays`` (the CPU, float32/float64,
    stride 1, a 3-wide kernel, 8 or 16 planes in and out) and ``allow_batch_last``, else None.
    ``chunked``: otherwise a ``conv_chunks.ChunkedConv`` where ``chunks_pay`` (the CPU, float32/float64, one
    group; with stride 1, an output about the input's size, at most twice the planes in) and ``allow_batch_last``
    (a module that keeps the whole-batch columns says False), else None.
    ``kernels``: whichever of the four is set (all run on a source copied from the input, padded or
    subsampled, with the same buffers), or
    None: the whole-batch columns and one GEMM (the GPU, float16, groups, 3-D).
    """

    def __init__(self, xp, input_shape, planes_out, kernel, stride, pad, dilation, groups, allow_batch_last,
                 dtype=None):
        self.input_shape, self.planes_out, self.groups = tuple(input_shape), planes_out, groups
        self.kernel, self.stride, self.pad, self.dilation = tuple(kernel), tuple(stride), tuple(pad), tuple(dilation)
        n, c, spatial = input_shape[0], input_shape[1], input_shape[2:]
        self.out_size = tuple(conv_output_size(*axis) for axis in zip(spatial, kernel, stride, pad, dilation))
        rows, length = c * math.prod(kernel), n * math.prod(self.out_size)
        direct = direct_pays(xp, dtype, input_shape, planes_out, stride, groups) and min(self.out_size) > 0
        self.direct = DirectConv(input_shape, planes_out, kernel, pad, dilation, self.out_size) if direct else None
        geometry = (xp, dtype, input_shape, planes_out, kernel, stride, pad, dilation, self.out_size, groups)
        usable = allow_batch_last and min(self.out_size) > 0   # the first that pays, after the direct kernels
        pointwise = usable and not direct and pointwise_pays(*geometry)
        self.pointwise = PointwiseConv(input_shape, planes_out, stride, self.out_size) if pointwise else None
        blocked = usable and not (direct or pointwise) and blocked_pays(*geometry)
        self.blocked = BlockedConv(input_shape, planes_out, kernel, pad, dilation, self.out_size) if blocked else None
        chunked = usable and not (direct or pointwise or blocked) and chunks_pay(*geometry)
        self.chunked = ChunkedConv(input_shape, planes_out, kernel, stride, pad, dilation, self.out_size,
                                   np.dtype(dtype).itemsize) if chunked else None
        self.kernels = self.direct or self.pointwise or self.blocked or self.chunked
        self.batch_last = allow_batch_last and batch_last_pays(xp, n, groups, rows, planes_out)
        self.columns_shape = (rows, length)
        self.gemm_shape = (planes_out, length)
        self.sums_shape = (n * c * math.prod(s + 2 * p for s, p in zip(spatial, pad)),)
        self._columns_view = (c,) + self.kernel + ((*self.out_size, n) if self.batch_last else (n, *self.out_size))

    def columns(self, x, cols):
        """Fill ``cols`` (``columns_shape``) with the windows of ``x`` (N, C, *S) in this plan's layout."""
        copy = im2col_batch_last if self.batch_last else im2col
        copy(x, self.kernel, self.stride, self.pad, self.dilation, out=cols.reshape(self._columns_view))
        return cols

    def forward(self, x, weight, bias, cols, gemm, out):
        """``out`` (N, Cout, *out) = ``x`` correlated with ``weight`` (Cout, C / groups, *kernel) plus ``bias``
        (Cout,) or None; ``cols`` keeps the columns for ``accumulate_gradients``, ``gemm`` is scratch."""
        self.columns(x, cols)
        _grouped_matmul(weight.reshape(self.planes_out, -1), cols, self.groups, out=gemm)
        if not self.batch_last:
            return batch_first(gemm, x.shape[0], out, bias)
        # BLAS moves the batch to the front (several times faster than NumPy's strided copy), then the bias
        batch_first_of(gemm.reshape((self.planes_out,) + self.out_size + (x.shape[0],)), out)
        return out if bias is None else add_planes(out, bias)

    def grad_output_t(self, grad_out, out):
        """``grad_out`` (N, Cout, *out) written into ``out`` (``gemm_shape``) in this plan's column order."""
        if self.batch_last:
            batch_last(grad_out, out.reshape(grad_out.shape[1:] + grad_out.shape[:1]))
        else:
            channels_first(grad_out, out)
        return out

    def grad_input(self, grad_out, weight, out, grad_t, gcols, sums):
        """d loss / d input into ``out`` (N, C, *S). ``gcols`` (``columns_shape``) and ``sums`` (``sums_shape``)
        are scratch (``conv_grad_input``); when ``batch_last``, or on the GPU's kernels, ``grad_t`` (``gemm_shape``)
        is left holding ``grad_output_t(grad_out)``, which a caller may reuse for ``accumulate_gradients`` (on the
        GPU a transposing launch fewer): returns whether it is."""
        gpu = not self.batch_last and _fits(out, self.input_shape, grad_out.dtype) and out.flags.c_contiguous and \
            _gpu_kernels(out) is not None and _fits(grad_t, self.gemm_shape, grad_out.dtype)
        transposed = self.grad_output_t(grad_out, grad_t) if self.batch_last or gpu else None
        conv_grad_input(grad_out, weight, self.input_shape, self.stride, self.pad, self.dilation, self.groups,
                        out=out, grad_t=transposed, gcols=gcols, acc=sums)
        return transposed is not None

    def accumulate_gradients(self, grad_t, cols, grad_weight, grad_bias, scale=1):
        """Add ``scale`` * d loss / d weight (and bias, unless None) into ``grad_weight``, ``grad_bias``, from
        the transposed gradOutput ``grad_t`` (``grad_output_t``) and the forward's columns ``cols``."""
        conv_grad_params(grad_t, cols, grad_weight, grad_bias, scale, self.groups)


@functools.lru_cache(maxsize=256)
def conv_plan(xp, input_shape, planes_out, kernel, stride, pad, dilation, groups=1, allow_batch_last=True,
              dtype=None):
    """The ``ConvPlan`` of these arguments (tuples of ints; ``xp`` the inputs' array module, ``dtype`` their
    element type, which may let the direct kernels run it), built once."""
    return ConvPlan(xp, input_shape, planes_out, kernel, stride, pad, dilation, groups, allow_batch_last, dtype)
