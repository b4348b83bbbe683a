"""blas_kernels: GEMM and axpby accumulating in place (through OpenBLAS when NumPy bundles it)."""
import numpy as np
import pytest

import legonn as lg
from legonn.tensor import blas_kernels, cuda_kernels
from legonn.tensor.blas_kernels import StepProduct, add_sums, addmm_into, axpby_into, momentum_step_into, transpose_into
from tests.checks import launch_counting


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_blas_kernels_accumulate_in_place(dtype):
    rng = np.random.default_rng(0)
    a, b, out = (rng.standard_normal(s).astype(dtype) for s in ((3, 4), (4, 5), (3, 5)))
    expected = 0.5 * out + 2 * (a @ b)
    np.testing.assert_allclose(addmm_into(out, a, b, 2.0, 0.5), expected, rtol=1e-5)
    x, y = rng.standard_normal(7).astype(dtype), rng.standard_normal(7).astype(dtype)
    expected = -3 * x + 0.9 * y
    result = axpby_into(y, -3.0, x, 0.9)
    assert result is y
    np.testing.assert_allclose(y, expected, rtol=1e-5)
    # strided operands take the NumPy path, with or without scratch space
    y2 = np.zeros(8, dtype)
    axpby_into(y2[::2], 2.0, x[:4], 1.0, np.empty(4, dtype))
    np.testing.assert_allclose(y2[::2], 2 * x[:4], rtol=1e-6)
    assert not y2[1::2].any()
    v, g = rng.standard_normal(7).astype(dtype), rng.standard_normal(7).astype(dtype)
    want_v = 0.9 * v + 0.5 * g
    want_x = y + -0.1 * want_v
    momentum_step_into(y, v, g, 0.9, 0.5, -0.1)
    np.testing.assert_allclose(v, want_v, rtol=1e-5)
    np.testing.assert_allclose(y, want_x, rtol=1e-5)


@pytest.mark.parametrize('rows', [3, blas_kernels.SMALL_PRODUCT // 128])   # NumPy's matmul, then the native gemm
def test_addmm_into_small_and_large_products_accumulate_alike(rows):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((rows, 16)).astype(np.float32), rng.standard_normal((128, 16)).astype(np.float32).T
    out = rng.standard_normal((rows, 128)).astype(np.float32)
    expected = 0.25 * out.astype(np.float64) - 1.5 * (a.astype(np.float64) @ b)
    assert addmm_into(out, a, b, -1.5, 0.25) is out
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    addmm_into(out, a, b, 1.0, 0.0)   # beta 0 overwrites
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
    given_t = np.ascontiguousarray(a.T)   # a passed as its transpose: the product of a all the same
    addmm_into(out, given_t, b, 2.0, 0.5, a_transposed=True)
    np.testing.assert_allclose(out, 2.5 * (a.astype(np.float64) @ b), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match=r'addmm_into: .*got a \(16, ' + str(rows) + r'\) \(transposed\)'):
        addmm_into(out, a, b, a_transposed=True)   # a (rows x 16) read as (16 x rows): k disagrees


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('shape', [(3, 5), (64, 128), (128, 256), (300, 70)])   # below and above SMALL_TRANSPOSE
def test_transpose_into_copies_the_transpose_whatever_its_size_and_layout(shape, dtype, monkeypatch):
    rng = np.random.default_rng(2)
    wide = rng.standard_normal((shape[0], shape[1] + 3)).astype(dtype)
    for a in (wide[:, :shape[1]], np.ascontiguousarray(wide[:, :shape[1]]), wide[:, :shape[1]][::-1]):
        out = np.full(shape[::-1], np.nan, dtype)
        assert transpose_into(out, a) is out
        np.testing.assert_array_equal(out, a.T)
    large = shape[0] * shape[1] >= blas_kernels.SMALL_TRANSPOSE
    assert large == (shape in ((128, 256), (300, 70)))
    if blas_kernels._OMATCOPY:   # the large ones go through omatcopy, the small ones never do
        calls = []
        real = blas_kernels._native
        monkeypatch.setattr(blas_kernels, '_native', lambda routine, *args: calls.append(routine) or
                            real(routine, *args))
        transpose_into(np.empty(shape[::-1], dtype), np.ascontiguousarray(wide[:, :shape[1]]))
        assert calls == (['omatcopy'] if large else [])


def test_addmm_and_transpose_name_the_operand_that_is_not_a_2d_array():
    m = np.zeros((3, 3), np.float32)
    for args, name in (((np.zeros(9, np.float32), m, m), 'out'), ((m, np.zeros((1, 3, 3), np.float32), m), 'a'),
                       ((m, m, [[0.0] * 3] * 3), 'b')):
        with pytest.raises(ValueError, match=f"addmm_into: {name} must be a 2-D array"):
            addmm_into(*args)
    for args, name in (((np.zeros(9, np.float32), m), 'out'), ((m, np.float32(2)), 'a')):
        with pytest.raises(ValueError, match=f"transpose_into: {name} must be a 2-D array"):
            transpose_into(*args)


@pytest.mark.parametrize('dtype', [np.float32, np.float64, np.float16])
def test_step_product_equals_the_product_of_each_step(dtype):
    """Stacks stepped along any axis (as transposed views), a single matrix as out or b, beta 0 and 1;
    float16 takes addmm_into at each step (no BLAS for it)."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((6, 4)).astype(dtype)
    b_stack = rng.standard_normal((4, 5, 3)).astype(dtype)   # stepped along axis 1
    out_stack = rng.standard_normal((5, 6, 3)).astype(dtype)
    want = out_stack.copy()
    product = StepProduct(out_stack, a, b_stack.transpose(1, 0, 2), 2.0, 1.0)
    for t in (4, 0, 2):
        product.run(t, 4 - t)
        want[t] = want[t] + 2.0 * (a @ b_stack[:, 4 - t])
    np.testing.assert_allclose(out_stack, want, rtol=1e-2 if dtype == np.float16 else 1e-5)
    single = np.full((6, 3), np.nan, dtype)   # beta 0: what was there is never read
    into_one = StepProduct(single, a, b_stack.transpose(1, 0, 2), 1.0, 0.0)
    into_one.run(None, 3)
    np.testing.assert_allclose(single, a @ b_stack[:, 3], rtol=1e-2 if dtype == np.float16 else 1e-5)
    from_rows = StepProduct(single, a, rng.standard_normal((5, 3, 4)).astype(dtype).transpose(0, 2, 1), 1.0, 0.0)
    from_rows.run(None, 1)   # b's slices transposed views: BLAS reads them transposed
    assert np.isfinite(single).all()


def test_step_product_refuses_bad_steps_and_operands():
    a, b = np.ones((6, 4), np.float32), np.ones((5, 4, 3), np.float32)
    product = StepProduct(np.zeros((6, 3), np.float32), a, b)
    with pytest.raises(ValueError, match='StepProduct: step 5 outside a stack of 5'):
        product.run(None, 5)
    with pytest.raises(ValueError, match='StepProduct: step None outside'):
        product.run()
    with pytest.raises(ValueError, match='a step index for an operand that is one matrix'):
        product.run(0, 0)
    with pytest.raises(ValueError, match=r'StepProduct: b must have shape \(4, 3\), got \(4, 2\)'):
        StepProduct(np.zeros((6, 3), np.float32), a, np.ones((5, 4, 2), np.float32))
    with pytest.raises(ValueError, match='out must have unit-stride rows'):
        StepProduct(np.zeros((3, 6), np.float32).T, a, b)


@pytest.mark.parametrize('axis', [0, 1])
def test_add_sums_accumulates_scaled_sums(axis):
    rng = np.random.default_rng(2)
    a, target = rng.standard_normal((4, 3)), rng.standard_normal(3 if axis == 0 else 4)
    want = target + 0.5 * a.sum(axis)
    assert add_sums(target, a, axis, 0.5) is target
    np.testing.assert_allclose(target, want, rtol=1e-12)


@pytest.mark.gpu
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_on_the_gpu_each_accumulation_is_one_cublas_call_or_kernel(monkeypatch, dtype):
    """addmm_into and add_sums through cuBLAS (gemm, gemv against ones), axpby_into and momentum_step_into as one
    kernel each: the results of the array code, for C- and F-ordered outputs, transposed operands and scales."""
    counting = launch_counting()
    cp = lg.tensor.backend.cupy()
    built = []
    factory = cuda_kernels.elementwise
    monkeypatch.setattr(cuda_kernels, 'elementwise', lambda name, *parts: built.append(name) or factory(name, *parts))
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal((3, 4)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for order in 'CF':
        out = rng.standard_normal((5, 3)).astype(dtype, order=order)
        want = 0.5 * out + 2.0 * (a @ b.T)
        got = cp.asarray(out, order=order)
        assert addmm_into(got, cp.asarray(a), cp.asarray(b).T, 2.0, 0.5) is got
        np.testing.assert_allclose(got.get(), want, rtol=tol, atol=tol)
        # a passed as its transpose (Linear's gradOutput): cuBLAS reads it as it lies, no view is made
        got, a_t = cp.asarray(out, order=order), cp.asarray(a.T.copy())
        b_t = cp.asarray(b).T
        with counting() as counts:
            addmm_into(got, a_t, b_t, 2.0, 0.5, a_transposed=True)
        assert dict(counts) == {'cublas.gemm': 1}, counts
        np.testing.assert_allclose(got.get(), want, rtol=tol, atol=tol)
    for axis in (0, 1):
        target = rng.standard_normal(a.shape[1 - axis]).astype(dtype)
        want = target + 0.25 * a.sum(axis)
        got = cp.asarray(target)
        add_sums(got, cp.asarray(a), axis, 0.25)
        np.testing.assert_allclose(got.get(), want, rtol=tol, atol=tol)
    y, x = rng.standard_normal(6).astype(dtype), rng.standard_normal(6).astype(dtype)
    got = cp.asarray(y)
    axpby_into(got, -0.5, cp.asarray(x), 0.9)
    np.testing.assert_allclose(got.get(), 0.9 * y - 0.5 * x, rtol=tol, atol=tol)
    v = rng.standard_normal(6).astype(dtype)
    got_x, got_v = cp.asarray(y), cp.asarray(v)
    momentum_step_into(got_x, got_v, cp.asarray(x), 0.9, 0.5, -0.1)
    np.testing.assert_allclose(got_v.get(), 0.9 * v + 0.5 * x, rtol=tol, atol=tol)
    np.testing.assert_allclose(got_x.get(), y - 0.1 * (0.9 * v + 0.5 * x), rtol=tol, atol=tol)
    assert built == ['axpby', 'momentum_step']
