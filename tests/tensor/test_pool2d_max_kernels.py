"""pool2d_kernels' max pooling (pool2d_cpu's Numba kernels) against pool_kernels' array code, and the backward
against THNN's order of accumulation: ties (the first offset wins), NaNs (never win), windows of -inf (no winner,
no gradient), padding, ceil mode's last windows, dilation, overlapping and disjoint windows, both float types, one
and two threads, and refusals of operands the kernels cannot read."""
import numpy as np
import pytest

from legonn.tensor import parallel, pool2d_cpu, pool2d_kernels
from legonn.tensor import pool_kernels as pk

# (kernel, stride, pad, dilation, input (N, C, H, W), ceil)
GEOMETRIES = [((3, 3), (2, 2), (1, 1), (1, 1), (2, 3, 9, 8), True),
              ((3, 2), (1, 2), (1, 0), (2, 1), (2, 2, 7, 9), False),
              ((2, 3), (1, 1), (0, 1), (1, 1), (3, 2, 6, 5), False),
              ((2, 2), (2, 2), (0, 0), (1, 1), (3, 4, 12, 12), False),
              ((2, 2), (2, 2), (0, 0), (1, 1), (1, 2, 7, 7), True),
              ((3, 3), (3, 3), (1, 1), (1, 1), (2, 2, 8, 8), True)]


def _case(dtype, k, s, p, d, shape, ceil, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    x[0, 0, :3, :3] = 0.5            # a tie: the first offset wins
    x[0, 1, 1, 1] = np.nan           # never wins
    x[-1, -1, :4, :4] = -np.inf      # windows with no winner
    counts = tuple(pk.pool_output_size(n, kk, ss, pp, dd, ceil, trim=True)
                   for n, kk, ss, pp, dd in zip(shape[2:], k, s, p, d))
    return x, counts


def _array_code(monkeypatch):
    monkeypatch.setattr(pool2d_kernels, 'takes', lambda *arrays: False)


def _thnn_backward(grad, argmax, shape, k, s, p, d):
    """SpatialMaxPooling.c's backward: each window's gradient added to its winner, windows row by row."""
    gi = np.zeros(shape, grad.dtype)
    n, c, oh, ow = grad.shape
    for b, plane, i, j in np.ndindex(n, c, oh, ow):
        offset = int(argmax[b, plane, i, j])
        if offset < k[0] * k[1]:
            gi[b, plane, i * s[0] - p[0] + offset // k[1] * d[0], j * s[1] - p[1] + offset % k[1] * d[1]] += \
                grad[b, plane, i, j]
    return gi


@pytest.mark.parametrize('threads', [1, 2])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('geometry', GEOMETRIES)
def test_the_kernels_give_the_array_codes_maxima_and_thnns_gradient(monkeypatch, geometry, dtype, threads):
    k, s, p, d, shape, ceil = geometry
    x, counts = _case(dtype, *geometry)
    grad = np.random.default_rng(1).standard_normal(x.shape[:2] + counts).astype(dtype)
    before = parallel.getnumthreads()
    parallel.setnumthreads(threads)
    try:   # the forward kernel called directly: pool_kernels takes it only where it pays (_window_loop_pays)
        out, argmax = pool2d_kernels.max_forward(x, k, s, p, d, np.empty(x.shape[:2] + counts, dtype),
                                                 np.empty(x.shape[:2] + counts, pk.offset_dtype(k)))
        gi = pk.max_pool_backward(grad, argmax, x.shape, k, s, p, d, out=np.full_like(x, 7))
    finally:
        parallel.setnumthreads(before)
    _array_code(monkeypatch)
    want, want_argmax = pk.max_pool_forward(x, k, s, p, d, counts)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(argmax, want_argmax)
    assert (argmax == k[0] * k[1]).any() and out[-1, -1, 0, 0] == -np.inf
    np.testing.assert_array_equal(gi, _thnn_backward(grad, argmax, x.shape, k, s, p, d))
    # the array code adds overlapping windows' gradients offset by offset: the same sums in another order
    np.testing.assert_allclose(gi, pk.max_pool_backward(grad, argmax, x.shape, k, s, p, d),
                               rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)


def test_strided_data_and_half_floats_take_the_array_code(monkeypatch):
    k, s, p, d, shape, ceil = GEOMETRIES[0]
    x, counts = _case(np.float32, *GEOMETRIES[0])
    want = pk.max_pool_forward(x, k, s, p, d, counts)
    strided = np.asfortranarray(x)
    assert not pool2d_kernels.takes(strided) and not pool2d_kernels.takes(x.astype(np.float16))
    got = pk.max_pool_forward(strided, k, s, p, d, counts)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_offsets_of_another_shape_are_refused_and_of_another_type_take_the_array_code():
    k, s, p, d, shape, ceil = GEOMETRIES[0]
    x, counts = _case(np.float32, *GEOMETRIES[0])
    out, argmax = pk.max_pool_forward(x, k, s, p, d, counts)
    with pytest.raises(ValueError, match='pool2d_kernels.max_backward: argmax'):
        pk.max_pool_backward(out, np.ascontiguousarray(argmax[:, :, 1:]), x.shape, k, s, p, d)
    grad = np.random.default_rng(2).standard_normal(out.shape).astype(np.float32)
    np.testing.assert_allclose(pk.max_pool_backward(grad, argmax.astype(np.int32), x.shape, k, s, p, d),
                               _thnn_backward(grad, argmax, x.shape, k, s, p, d), rtol=1e-6, atol=1e-6)


def test_a_corrupt_offset_writes_nothing_outside_its_window():
    """The backward kernel reads the offsets it is given: one past the kernel (the no-winner mark) or beyond
    passes nothing, so a bad argmax cannot write outside the plane."""
    grad = np.ones((1, 2, 2), np.float32)
    argmax = np.array([[[4, 200], [3, 0]]], np.uint8)
    gi = np.full((1, 4, 4), 7, np.float32)
    pool2d_cpu.max_backward(grad, argmax, 2, 2, 2, 2, 0, 0, 1, 1, gi, 0, 1)
    want = np.zeros((1, 4, 4), np.float32)
    want[0, 3, 1] = want[0, 2, 2] = 1
    np.testing.assert_array_equal(gi, want)
