"""pool2d_kernels (SpatialAveragePooling's Numba pass on NumPy float32/float64) against pool_kernels' array
code it replaced there: equal on odd shapes, padding, ceil mode and both divisor rules, in one and two threads;
the module keeps the array code for half floats and strided data, with the same numbers."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor import pool2d_kernels, parallel, pool_kernels as pk

# (H, W, kW, kH, dW, dH, padW, padH, ceil)
GEOMETRIES = [(8, 8, 8, 8, 1, 1, 0, 0, False), (7, 9, 2, 3, 3, 2, 1, 1, True), (5, 6, 2, 2, 2, 2, 0, 0, True),
              (5, 6, 3, 3, 1, 1, 1, 1, False), (6, 5, 4, 5, 3, 3, 2, 2, True), (16, 16, 2, 2, 2, 2, 0, 0, False)]


def _module(geometry, include_pad, dtype):
    m = nn.SpatialAveragePooling(*geometry[2:8])
    if geometry[8]:
        m.ceil()
    if not include_pad:
        m.setCountExcludePad()
    return m.double() if dtype == np.float64 else m


def _array_code(m, x, g):
    """The array code's output and gradInput (offset loops, then the divisor)."""
    k, s, p, _ = m._geometry()
    hw = g.shape[2:]
    div = pk.avg_pool_divisor(x.shape[2:], k, s, p, hw, m.count_include_pad, np, x.dtype)
    return pk.sum_pool_forward(x, k, s, p, hw) / div, pk.sum_pool_backward(g / div, x.shape, k, s, p)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('include_pad', [True, False])
@pytest.mark.parametrize('geometry', GEOMETRIES, ids=str)
def test_equal_to_the_array_code(geometry, include_pad, dtype):
    """The kernels on every geometry, called directly (the module takes them only where they pay,
    ``pool_kernels._window_loop_pays``), and the module's result, whichever path it took."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5) + geometry[:2]).astype(dtype)
    m = _module(geometry, include_pad, dtype)
    y = m.forward(lg.from_numpy(x)).array.copy()
    g = rng.standard_normal(y.shape).astype(dtype)
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).array
    y_ref, gi_ref = _array_code(m, x, g)
    k, s, p, _ = m._geometry()
    y_kernel = pool2d_kernels.avg_forward(x, k, s, p, include_pad, np.empty_like(y))
    gi_kernel = pool2d_kernels.avg_backward(g, k, s, p, include_pad, np.empty_like(x))
    for got in (y, y_kernel):
        np.testing.assert_array_equal(got, y_ref)   # the window's values summed in the same order
    # the gradient adds overlapping windows' shares window by window, the array code offset by offset
    for got in (gi, gi_kernel):
        np.testing.assert_allclose(got, gi_ref, rtol=0, atol=4 * np.finfo(dtype).eps)


def test_one_and_two_threads_give_the_same_numbers():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 33, 15, 17)).astype(np.float32)   # over 2 * MIN_PART values: two shares
    assert x.size >= 2 * parallel.MIN_PART
    results, before = [], parallel.getnumthreads()
    try:
        for threads in (1, 2):
            parallel.setnumthreads(threads)
            m = nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1).ceil()
            y = m.forward(lg.from_numpy(x))
            m.backward(lg.from_numpy(x), lg.from_numpy(np.ones(y.array.shape, np.float32)))
            results.append((m.output.array.copy(), m.gradInput.array.copy()))
    finally:
        parallel.setnumthreads(before)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


def test_strided_and_half_data_take_the_array_code_with_the_same_numbers():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    m = nn.SpatialAveragePooling(3, 2, 2, 2, 1, 1)
    y = m.forward(lg.from_numpy(x)).array.copy()
    g = rng.standard_normal(y.shape).astype(np.float32)
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).array.copy()
    strided = lg.from_numpy(np.ascontiguousarray(x.transpose(0, 1, 3, 2))).transpose(2, 3)
    assert not pool2d_kernels.takes(strided.array)
    np.testing.assert_array_equal(m.forward(strided).array, y)
    np.testing.assert_allclose(m.backward(strided, lg.from_numpy(g)).array, gi, rtol=0, atol=1e-6)
    half = nn.SpatialAveragePooling(3, 2, 2, 2, 1, 1).half()
    np.testing.assert_allclose(half.forward(lg.from_numpy(x.astype(np.float16))).array, y, rtol=2e-3, atol=2e-3)


def test_divide_false_keeps_the_mean_times_the_window():
    x = np.arange(2 * 4 * 4, dtype=np.float64).reshape(1, 2, 4, 4)
    m = nn.SpatialAveragePooling(2, 2, 2, 2).double()
    m.divide = False
    np.testing.assert_array_equal(m.forward(lg.from_numpy(x)).array, pk.sum_pool_forward(x, (2, 2), (2, 2), (0, 0),
                                                                                          (2, 2)))
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(np.ones((1, 2, 2, 2)))).array
    np.testing.assert_array_equal(gi, np.ones_like(x))


def test_a_wrong_operand_is_refused_before_native_code():
    x = np.zeros((2, 3, 4, 4), np.float32)
    with pytest.raises((TypeError, ValueError), match='pool2d_kernels.avg_forward'):
        pool2d_kernels.avg_forward(x, (2, 2), (2, 2), (0, 0), True, np.zeros((2, 4, 2, 2), np.float32))

