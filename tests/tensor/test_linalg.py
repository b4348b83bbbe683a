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


A_SPD = lg.DoubleTensor([[1.2705, 0.9971, 0.4948, 0.1389, 0.2381],
                         [0.9971, 0.9966, 0.6752, 0.0686, 0.1196],
                         [0.4948, 0.6752, 1.1434, 0.0314, 0.0582],
                         [0.1389, 0.0686, 0.0314, 0.0270, 0.0526],
                         [0.2381, 0.1196, 0.0582, 0.0526, 0.3957]])


def test_cholesky_family():
    """THTensor_(potrf/potrs/potri/pstrf): potrf's U (A = U^T U, default 'U') or L with the other triangle zero,
    the result-first form potrf(chol, A, 'L'); potri's whole symmetric inverse (maths.md prints it, from the
    4-decimal A printed there); pstrf's pivoted U and piv (maths.md: U's first row 1.1272 0.4390 0.2112 0.8846
    0.1232, piv 1 3 5 2 4, 0-based here, an IntTensor) reassembled with indexCopy as the doc does."""
    chol = lg.potrf(A_SPD)
    assert np.allclose(np.tril(chol.numpy(), -1), 0) and np.allclose((chol.t() @ chol).numpy(), A_SPD.numpy())
    assert chol[0, 0] == pytest.approx(1.1272, abs=1e-4) and chol[0, 1] == pytest.approx(0.8846, abs=1e-4)
    assert lg.potrf(chol, A_SPD, 'L') is chol and np.allclose(np.triu(chol.numpy(), 1), 0)
    assert np.allclose((chol @ chol.t()).numpy(), A_SPD.numpy())
    upper = lg.potrf(A_SPD)
    inv = lg.potri(upper)
    assert np.allclose(inv.numpy()[0], [42.2781, -39.0824, 8.3019, -133.4998, 2.8980], atol=1e-3)
    assert np.allclose(inv.numpy(), inv.numpy().T) and inv.dist(lg.inverse(A_SPD)) < 1e-9
    assert lg.potri(chol, 'L').dist(inv) < 1e-9
    b = lg.DoubleTensor([[0.6219, 0.3439, 0.0431], [0.5642, 0.1756, 0.0153], [0.2334, 0.8594, 0.4103],
                         [0.7556, 0.1966, 0.9637], [0.1420, 0.7185, 0.7476]])
    solve = lg.potrs(b, upper)
    assert b.dist(A_SPD @ solve) < 1e-12 and lg.potrs(b, chol, 'L').dist(solve) < 1e-9
    u, piv = lg.pstrf(A_SPD)
    assert piv.type() == 'torch.IntTensor' and piv.tolist() == [0, 2, 4, 1, 3]
    assert np.allclose(u.numpy()[0], [1.1272, 0.4390, 0.2112, 0.8846, 0.1232], atol=1e-4)
    assert u[4, 4] == pytest.approx(0.0456, abs=1e-4)
    ap = u.t() @ u
    ap.indexCopy(0, piv.long(), ap.clone())
    ap.indexCopy(1, piv.long(), ap.clone())
    assert (ap - A_SPD).norm() < 1e-12
    low, piv_l = lg.pstrf(A_SPD, 'L')
    assert piv_l.equal(piv) and low.dist(u.t()) < 1e-12
    with pytest.raises(np.linalg.LinAlgError, match='rank deficient'):
        lg.pstrf(lg.DoubleTensor([[1, 1], [1, 1]]))
    with pytest.raises(np.linalg.LinAlgError, match='positive definite'):
        lg.potrf(lg.DoubleTensor([[1, 2], [2, 1]]))


def test_qr_family_and_gels():
    """THTensor_(qr/geqrf/orgqr/ormqr/gels): maths.md's thin QR of {{12, -51, 4}, {6, 167, -68}, {-4, 24, -41}}
    (R's diagonal -14, -175, -35); orgqr and ormqr rebuild and apply that Q from geqrf's reflectors; gels's
    least-squares solution of maths.md's 6x4 system, its first n rows (THTensor_(gels) narrows X to n rows),
    with the residual 17.3902 the doc prints."""
    a = lg.DoubleTensor([[12, -51, 4], [6, 167, -68], [-4, 24, -41]])
    q, r = lg.qr(a)
    assert np.allclose(q.numpy(), [[-0.8571, 0.3943, 0.3314], [-0.4286, -0.9029, -0.0343],
                                   [0.2857, -0.1714, 0.9429]], atol=1e-4)
    assert np.allclose(r.numpy(), [[-14, -21, 14], [0, -175, 70], [0, 0, -35]])
    assert (q @ r).round().equal(a) and (q.t() @ q).round().equal(lg.eye(3).double())
    rq, rr = lg.DoubleTensor(), lg.DoubleTensor()
    assert lg.qr(rq, rr, a) == (rq, rr) and rq.dist(q) == 0
    m, tau = lg.geqrf(a)
    assert tau.size() == (3,) and np.allclose(np.triu(m.numpy()), r.numpy())
    assert lg.orgqr(m, tau).dist(q) < 1e-12
    eye = lg.eye(3).double()
    assert lg.ormqr(m, tau, eye).dist(q) < 1e-12 and lg.ormqr(m, tau, a, 'L', 'T').dist(r) < 1e-10
    assert lg.ormqr(m, tau, eye, 'R').dist(q) < 1e-12 and lg.ormqr(m, tau, eye, 'R', 'T').dist(q.t()) < 1e-12
    tall = lg.DoubleTensor([[1, 2], [3, 4], [5, 7]])
    tq, tr = lg.qr(tall)
    assert tq.size() == (3, 2) and tr.size() == (2, 2) and (tq @ tr).dist(tall) < 1e-12

    a = lg.DoubleTensor([[1.44, -9.96, -7.55, 8.34, 7.08, -5.45], [-7.84, -0.28, 3.24, 8.09, 2.52, -5.70],
                         [-4.39, -3.24, 6.27, 5.28, 0.74, -1.19], [4.53, 3.83, -6.64, 2.06, -2.47, 4.70]]).t()
    b = lg.DoubleTensor([[8.58, 8.26, 8.48, -5.28, 5.72, 8.93], [9.35, -4.43, -0.70, -0.26, -7.36, -2.52]]).t()
    x, f = lg.gels(b, a)
    assert np.allclose(x.numpy(), [[-0.4506, 0.2497], [-0.8492, -0.9020], [0.7066, 0.6323], [0.1289, 0.1351]],
                       atol=1e-4)
    assert b.dist(a @ x.narrow(0, 0, 4)) == pytest.approx(17.390200628863, abs=1e-9)
    assert f.size() == (6, 4) and np.allclose(np.abs(np.diag(f.numpy())), np.abs(np.diag(lg.qr(a)[1].numpy())))
    wide = a.t().contiguous()                         # 4 x 6: the least-norm solution
    y = lg.gels(b.narrow(0, 0, 4).contiguous(), wide)[0]
    assert y.size() == (6, 2) and np.allclose(y.numpy(), np.linalg.pinv(wide.numpy()) @ b.numpy()[:4])


def test_symeig_eig_svd():
    """THTensor_(syev/geev/gesvd): maths.md's symeig of a matrix whose upper triangle holds the values (e
    ascending, V's columns as printed), eig of its symmetric fill in geev's order as (real, imaginary) rows,
    svd's thin U (6x5), S and V (not V^T) as printed, 'A' for the full U and V."""
    a = lg.DoubleTensor([[1.96, 0.00, 0.00, 0.00, 0.00], [-6.49, 3.80, 0.00, 0.00, 0.00],
                         [-0.47, -6.39, 4.17, 0.00, 0.00], [-7.20, 1.50, -1.51, 5.70, 0.00],
                         [-0.65, -6.34, 2.67, 1.80, -7.10]]).t()
    values = [-11.0656, -6.2287, 0.8640, 8.8655, 16.0948]
    assert np.allclose(lg.symeig(a)[0].numpy(), values, atol=1e-4)
    e, v = lg.symeig(a, 'V')
    assert np.allclose(v.numpy()[0], [-0.2981, -0.6075, 0.4026, -0.3745, 0.4896], atol=1e-4)
    assert a.dist(lg.triu(v @ lg.diag(e) @ v.t())) < 1e-12
    assert np.allclose(np.abs(lg.symeig(a.t(), 'V', 'L')[1].numpy()), np.abs(v.numpy()))   # signs are LAPACK's
    b = a + lg.triu(a, 1).t()
    e = lg.eig(b)[0]
    assert e.size() == (5, 2) and np.allclose(e.numpy()[:, 0], [16.0948, -11.0656, -6.2287, 0.8640, 8.8655],
                                              atol=1e-4) and not e.numpy()[:, 1].any()
    e, v = lg.eig(b, 'V')
    assert np.allclose(v.numpy()[0], [-0.4896, 0.2981, -0.6075, -0.4026, -0.3745], atol=1e-4)
    assert b.dist(v @ lg.diag(e.select(1, 0)) @ v.t()) < 1e-12
    e, v = lg.eig(lg.DoubleTensor([[0, -1], [1, 0]]), 'V')       # a complex pair, packed as geev packs it
    assert np.allclose(e.numpy(), [[0, 1], [0, -1]]) and np.allclose(np.abs(v.numpy()), np.eye(2) / np.sqrt(2))

    a = lg.DoubleTensor([[8.79, 6.11, -9.15, 9.57, -3.49, 9.84], [9.93, 6.91, -7.93, 1.64, 4.02, 0.15],
                         [9.83, 5.04, 4.86, 8.83, 9.80, -8.99], [5.45, -0.27, 4.85, 0.74, 10.00, -6.02],
                         [3.16, 7.98, 3.01, 5.80, 4.27, -5.31]]).t()
    u, s, v = lg.svd(a)
    assert u.size() == (6, 5) and v.size() == (5, 5)
    assert np.allclose(s.numpy(), [27.4687, 22.6432, 8.5584, 5.9857, 2.0149], atol=1e-4)
    assert np.allclose(u.numpy()[0], [-0.5911, 0.2632, 0.3554, 0.3143, 0.2299], atol=1e-4)
    assert np.allclose(v.numpy()[0], [-0.2514, 0.8148, -0.2606, 0.3967, -0.2180], atol=1e-4)
    assert a.dist(u @ lg.diag(s) @ v.t()) < 1e-12
    ru, rs, rv = lg.DoubleTensor(), lg.DoubleTensor(), lg.DoubleTensor()
    assert lg.svd(ru, rs, rv, a, 'A') == (ru, rs, rv) and ru.size() == (6, 6) and rv.size() == (5, 5)
