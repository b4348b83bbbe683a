"""Torch7's LAPACK functions as torch7/doc/maths.md ("Eigenvalues, SVD, Linear System Solution") prints them,
ported literally (matrices built as the Lua examples build them, ``:t()`` included)."""
import numpy as np
import pytest

import legonn as lg

A_GESV = lg.DoubleTensor([[6.80, -2.11, 5.66, 5.97, 8.23],
                          [-6.05, -3.30, 5.36, -4.44, 1.08],
                          [-0.45, 2.58, -2.70, 0.27, 9.04],
                          [8.32, 2.71, 4.35, -7.17, 2.14],
                          [-9.67, -5.14, -7.26, 6.08, -6.87]]).t()
B_GESV = lg.DoubleTensor([[4.02, 6.19, -8.22, -7.57, -3.03],
                          [-1.56, 4.00, -8.67, 1.75, 2.86],
                          [9.81, -4.09, -4.57, -8.61, 8.99]]).t()


def test_gesv_solves_and_returns_lapack_lu():
    """THTensor_(gesv) (TH/generic/THTensorLapack.c): X, LU = torch.gesv(B, A), the packed LU of getrf with row
    pivoting; maths.md's printed X; result tensors first; a 1-D B gives an m x 1 X."""
    x, lu = lg.gesv(B_GESV, A_GESV)
    assert np.allclose(x.numpy(), [[-0.8007, -0.3896, 0.9555], [-0.6952, -0.5544, 0.2207],
                                   [0.5939, 0.8422, 1.9006], [1.3217, -0.1038, 5.3577],
                                   [0.5658, 0.1057, 4.0406]], atol=1e-4)
    assert B_GESV.dist(A_GESV @ x) < 1e-13
    assert np.allclose(lu.numpy()[:2], [[8.23, 1.08, 9.04, 2.14, -6.87],
                                        [0.8262, -6.9423, -7.9193, 6.5518, -3.9937]], atol=1e-4)
    rb, ra = lg.DoubleTensor(), lg.DoubleTensor()
    assert lg.gesv(rb, ra, B_GESV, A_GESV) == (rb, ra) and rb.dist(x) == 0 and ra.dist(lu) == 0
    assert lg.gesv(B_GESV.select(1, 0), A_GESV)[0].size() == (5, 1)
    with pytest.raises(np.linalg.LinAlgError, match='singular'):
        lg.gesv(B_GESV, lg.DoubleTensor(5, 5).zero())


def test_trtrs_and_inverse():
    """THTensor_(trtrs): only the 'U' (default) or 'L' triangle, 'T' for A^T X = B, 'U' diag as ones;
    THTensor_(getri) for torch.inverse; maths.md's printed X."""
    a = lg.DoubleTensor([[6.80, -2.11, 5.66, 5.97, 8.23], [0, -3.30, 5.36, -4.44, 1.08], [0, 0, -2.70, 0.27, 9.04],
                         [0, 0, 0, -7.17, 2.14], [0, 0, 0, 0, -6.87]])
    x = lg.trtrs(B_GESV, a)[0]
    assert np.allclose(x.numpy(), [[-3.5416, -0.2514, 3.0847], [4.2072, 2.0391, -4.5146], [4.6399, 1.7804, -2.6077],
                                   [1.1874, -0.3683, 0.8103], [0.4410, -0.4163, -1.3086]], atol=1e-4)
    assert B_GESV.dist(a @ x) < 1e-13
    lower = a.t().clone().add(lg.DoubleTensor(5, 5).fill(100).triu(1))   # junk above the diagonal is ignored
    assert np.allclose(lg.trtrs(B_GESV, lower, 'L', 'T')[0].numpy(), x.numpy())
    unit = lg.trtrs(B_GESV, a, 'U', 'N', 'U')[0]
    ones = a.numpy().copy()
    np.fill_diagonal(ones, 1)
    assert np.allclose(ones @ unit.numpy(), B_GESV.numpy())
    lg.manualSeed(1)
    m = lg.DoubleTensor(10, 10).uniform()
    y = lg.inverse(m)
    assert (m @ y - lg.eye(10).double()).abs().max() < 1e-10
    r = lg.DoubleTensor()
    assert lg.inverse(r, m) is r and r.dist(y) == 0
