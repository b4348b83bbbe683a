"""blas_kernels: GEMM and axpby accumulating in place (through OpenBLAS when NumPy bundles it)."""
import numpy as np
import pytest

from legonn.tensor.blas_kernels import addmm_into, axpby_into


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
