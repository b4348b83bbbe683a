"""select_kernels.select_passed: gradOutput where a unit passed, 0 elsewhere, selected (as Torch7's kernels) rather
than multiplied, on every path: the Numba kernel, the array code for half floats and strided views, the CUDA
ElementwiseKernel (on the host simulator), and through the mask modules' backward."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor import select_kernels
from tests.checks import launch_counting


def _case(dtype, shape=(3, 5, 7), seed=0):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape).astype(dtype)
    passed = (rng.random(shape) < 0.5).astype(np.uint8)
    flat = values.reshape(-1)
    flat[:4] = [np.inf, -np.inf, np.nan, np.nan]   # blocked or passed, whichever the mask says
    passed.reshape(-1)[:4] = [0, 0, 0, 1]
    return passed, values


def _selected(passed, values):
    return np.where(passed.astype(bool), values, values.dtype.type(0))


@pytest.mark.parametrize('dtype', [np.float32, np.float64, np.float16])
def test_values_where_passed_else_zero_even_for_inf_and_nan(dtype):
    passed, values = _case(dtype)
    out = np.full_like(values, 7)
    select_kernels.select_passed(np, passed, values, out)
    np.testing.assert_array_equal(out, _selected(passed, values))
    assert out.reshape(-1)[0] == 0 and out.reshape(-1)[2] == 0 and np.isnan(out.reshape(-1)[3])


def test_strided_values_take_the_array_code_with_the_same_result():
    passed, values = _case(np.float32, (4, 6))
    strided = np.asfortranarray(values)
    out = np.empty_like(values)
    select_kernels.select_passed(np, passed, strided, out)
    np.testing.assert_array_equal(out, _selected(passed, values))


def test_out_may_be_the_values_memory():
    # an in-place module's gradient is written over gradOutput
    passed, values = _case(np.float64)
    want = _selected(passed, values)
    select_kernels.select_passed(np, passed, values, values)
    np.testing.assert_array_equal(values, want)


@pytest.mark.parametrize('make', [lambda: nn.ReLU(), lambda: nn.HardTanh(-0.5, 0.5), lambda: nn.SoftShrink(0.3),
                                  lambda: nn.Clamp(-1, 0.2), lambda: nn.ReLU(True)],
                         ids=['ReLU', 'HardTanh', 'SoftShrink', 'Clamp', 'ReLU-inplace'])
def test_mask_modules_select_gradOutput(make):
    m = make()
    rng = np.random.default_rng(4)
    x = lg.from_numpy(rng.standard_normal((6, 9)).astype(np.float32))
    x_before = x.array.copy()
    go = rng.standard_normal((6, 9)).astype(np.float32)
    go[0, :] = np.inf
    go[1, :] = np.nan
    m.forward(x)
    passed = np.abs(x_before) > 0.3 if isinstance(m, nn.SoftShrink) else \
        (x_before > 0 if isinstance(m, nn.ReLU) else
         (x_before > -0.5) & (x_before < 0.5) if isinstance(m, nn.HardTanh) else (x_before >= -1) & (x_before <= 0.2))
    gi = m.backward(x, lg.from_numpy(go.copy())).array
    np.testing.assert_array_equal(gi, np.where(passed, go, np.float32(0)))


def test_operands_are_checked_before_native_code(monkeypatch):
    # the cheap test chooses the kernel; check_operands still stands between it and any operand that slips by
    monkeypatch.setattr(select_kernels, '_cpu_kernel_takes', lambda *arrays: True)
    with pytest.raises(ValueError, match=r'select_kernels\.select_passed: values'):
        select_kernels.select_passed(np, np.ones(6, np.uint8), np.ones(5, np.float32), np.ones(6, np.float32))


@pytest.mark.gpu
def test_on_the_gpu_one_launch_and_no_temporary():
    counting = launch_counting()
    cp = lg.tensor.backend.cupy()
    passed, values = _case(np.float32)
    d_passed, d_values = cp.asarray(passed), cp.asarray(values)
    out = cp.empty_like(d_values)
    select_kernels.select_passed(cp, d_passed, d_values, out)
    with counting() as counts:
        select_kernels.select_passed(cp, d_passed, d_values, out)
    assert dict(counts) == {'kernel legonn_select_passed': 1}, counts
    np.testing.assert_array_equal(cp.asnumpy(out), _selected(passed, values))


@pytest.mark.gpu
def test_a_mask_module_on_the_gpu_selects():
    m = nn.HardTanh(-0.5, 0.5).cuda()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 7)).astype(np.float32)
    go = rng.standard_normal((4, 7)).astype(np.float32)
    go[0] = np.inf
    xt, got = lg.from_numpy(x).cuda(), lg.from_numpy(go).cuda()
    m.forward(xt)
    gi = m.backward(xt, got).float().numpy()
    np.testing.assert_array_equal(gi, np.where((x > -0.5) & (x < 0.5), go, np.float32(0)))


def _threshold_case(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    go = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[:5] = [np.nan, 0.5, 0.5000001, -np.inf, np.inf]
    go.reshape(-1)[5:8] = [np.inf, np.nan, -np.inf]
    return x, go


@pytest.mark.parametrize('threads', [1, 2])
@pytest.mark.parametrize('inplace', [False, True])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('shape', [(3, 5, 7), (64, 65, 127)], ids=['odd', 'two-shares'])
def test_threshold_gradient_in_one_pass_equals_the_mask_path(shape, dtype, inplace, threads):
    from legonn.tensor import parallel
    x, go = _threshold_case(dtype, shape, 6)
    before = parallel.getnumthreads()
    try:
        parallel.setnumthreads(threads)
        m = nn.Threshold(0.5, 0.25 if inplace else 3, inplace)
        xt, got = lg.from_numpy(x.copy()), lg.from_numpy(go.copy())
        m.forward(xt)
        gi = m.backward(xt, got).array
    finally:
        parallel.setnumthreads(before)
    # the mask path's mask: from the input, or in place from the output that overwrote it (v <= th passes the same)
    passed = ((m.output.array if inplace else x) > dtype(0.5)).astype(np.uint8)
    np.testing.assert_array_equal(gi, _selected(passed, go))
    assert np.shares_memory(gi, got.array) == inplace


def test_threshold_gradient_of_strided_or_half_data_takes_the_mask_path():
    x, go = _threshold_case(np.float32, (6, 8), 7)
    m = nn.ReLU()
    strided = lg.from_numpy(np.asfortranarray(x))
    assert not select_kernels.above_takes(strided.array, go, np.empty_like(go))
    m.forward(strided)
    np.testing.assert_array_equal(m.backward(strided, lg.from_numpy(go)).array, _selected((x > 0).astype(np.uint8), go))
    half = nn.ReLU().half()
    h = lg.from_numpy(x.astype(np.float16))
    half.forward(h)
    np.testing.assert_array_equal(half.backward(h, lg.from_numpy(go.astype(np.float16))).array,
                                  _selected((x > 0).astype(np.uint8), go.astype(np.float16)))


def test_threshold_compares_in_the_data_type():
    # THNN reads the threshold as ``real``: 0.1 rounded to float32 lets the float32 0.1 itself through no more
    x = np.full(4, np.float32(0.1), np.float32)
    out = np.empty_like(x)
    select_kernels.select_above(x, 0.1, np.ones(4, np.float32), out)
    np.testing.assert_array_equal(out, np.zeros(4, np.float32))
