"""Matrix products with Torch7's optional scalars and result forms."""
import numpy as np
import pytest

import legonn as lg


@pytest.fixture
def mats():
    rng = np.random.default_rng(1)
    return {k: rng.standard_normal(s) for k, s in
            (('A', (3, 4)), ('B', (4, 2)), ('M', (3, 2)), ('v', (4,)), ('w', (3,)), ('u', (2,)))}


def T(a):
    return lg.DoubleTensor(a.copy())


def test_addmm_forms(mats):
    A, B, M = mats['A'], mats['B'], mats['M']
    r = T(M)
    assert r.addmm(T(A), T(B)) is r and np.allclose(r.array, M + A @ B)
    assert np.allclose(T(M).addmm(0.5, T(A), T(B)).array, M + 0.5 * A @ B)       # v2 alone (Linear.lua)
    assert np.allclose(lg.DoubleTensor().addmm(T(M), T(A), T(B)).array, M + A @ B)
    assert np.allclose(lg.DoubleTensor().addmm(2, T(M), 3, T(A), T(B)).array, 2 * M + 3 * A @ B)
    assert np.allclose(lg.DoubleTensor().addmm(T(M), 3, T(A), T(B)).array, M + 3 * A @ B)
    assert np.allclose(T(M).addmm(0, T(M), 1, T(A), T(B)).array, A @ B)
    # Linear's accGradParameters form: gradWeight += scale * gradOutput^T @ input
    gw = lg.zeros(2, 4).double()
    gw.addmm(2, T(M).t(), T(A))
    assert np.allclose(gw.array, 2 * M.T @ A)
    assert np.allclose(lg.addmm(T(M), T(A), T(B)).array, M + A @ B)


def test_addmv_addr(mats):
    A, v, w, u = mats['A'], mats['v'], mats['w'], mats['u']
    assert np.allclose(T(w).addmv(T(A), T(v)).array, w + A @ v)
    assert np.allclose(lg.DoubleTensor().addmv(0.5, T(w), 2, T(A), T(v)).array, 0.5 * w + 2 * A @ v)
    M = mats['M']
    assert np.allclose(T(M).addr(T(w), T(u)).array, M + np.outer(w, u))
    assert np.allclose(T(M).addr(3, T(w), T(u)).array, M + 3 * np.outer(w, u))
    assert np.allclose(lg.DoubleTensor().addr(2, T(M), 1, T(w), T(u)).array, 2 * M + np.outer(w, u))


def test_mm_mv_bmm_dot_ger(mats):
    A, B, v, w, u = mats['A'], mats['B'], mats['v'], mats['w'], mats['u']
    r = lg.DoubleTensor()
    assert r.mm(T(A), T(B)) is r and np.allclose(r.array, A @ B)
    assert np.allclose(lg.mm(T(A), T(B)).array, A @ B)
    assert np.allclose(lg.DoubleTensor().mm(T(B).t(), T(A).t()).array, B.T @ A.T)
    assert np.allclose(lg.mv(T(A), T(v)).array, A @ v)
    b1, b2 = np.stack([A, A * 2]), np.stack([B, -B])
    assert np.allclose(lg.bmm(T(b1), T(b2)).array, b1 @ b2)
    assert np.allclose(lg.DoubleTensor().baddbmm(T(b1 @ b2), T(b1), T(b2)).array, 2 * (b1 @ b2))
    assert np.allclose(T(mats['M']).addbmm(T(b1), T(b2)).array, mats['M'] + (b1 @ b2).sum(0))
    assert T(v).dot(T(v)) == pytest.approx(float(v @ v))
    assert np.allclose(lg.DoubleTensor().ger(T(w), T(u)).array, np.outer(w, u))


def test_mm_into_non_contiguous_result(mats):
    A, B = mats['A'], mats['B']
    out = lg.zeros(2, 3).double().t()
    out.mm(T(A), T(B))
    assert np.allclose(out.array, A @ B)


def test_blas_errors(mats):
    A, B = T(mats['A']), T(mats['B'])
    with pytest.raises(ValueError, match='incompatible operands of sizes'):
        lg.DoubleTensor().mm(A, A)
    with pytest.raises(ValueError, match='matching inner sizes'):
        lg.DoubleTensor(3, 3).addmm(A, A)
    with pytest.raises(ValueError, match='does not match'):
        lg.DoubleTensor(2, 2).addmm(A, B)
    with pytest.raises(ValueError, match='added tensor has sizes'):
        lg.DoubleTensor().addmm(lg.DoubleTensor(5), A, B)
    with pytest.raises(TypeError, match='expected'):
        lg.DoubleTensor().addmm(A)
    with pytest.raises(ValueError, match='4 elements'):
        T(mats['v']).dot(lg.DoubleTensor(6))


def test_cross_product():
    a = lg.Tensor([[1, 0, 0], [0, 1, 0]])
    b = lg.Tensor([[0, 1, 0], [0, 0, 1]])
    assert a.cross(b).tolist() == [[0, 0, 1], [1, 0, 0]]        # dim: the first of size 3 (dim 1 here)
    r = lg.Tensor()
    assert r.cross(a.t(), b.t(), 0) is r and r.t().tolist() == [[0, 0, 1], [1, 0, 0]]
    assert lg.cross(a, b).tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(ValueError, match='size 3'):
        lg.Tensor(2, 2).cross(lg.Tensor(2, 2))
    with pytest.raises(ValueError, match='differ'):
        a.cross(lg.Tensor(3, 3))


def test_addmm_accumulates_without_a_temporary_product():
    import tracemalloc
    rng = np.random.default_rng(2)
    A, B, M = (rng.standard_normal(s) for s in ((256, 64), (64, 256), (256, 256)))
    r, ta, tb = T(M), T(A), T(B)
    T(M).addmm(0.5, r, 2, ta, tb)   # warm up (ctypes, caches)
    tracemalloc.start()
    try:
        r.addmm(0.5, r, 2, ta, tb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.allclose(r.array, 0.5 * M + 2 * A @ B)
    assert peak < M.nbytes // 4, f"addmm allocated {peak} bytes; the product alone is {M.nbytes}"


def test_addmm_reads_an_operand_that_is_the_result_before_writing(mats):
    A = np.random.default_rng(3).standard_normal((3, 3))
    r = T(A)
    r.addmm(2, r, 3, r, r)
    assert np.allclose(r.array, 2 * A + 3 * A @ A)


PRODUCTS = {'addmv': (((3, 4), (4,)), np.matmul), 'addr': (((3,), (2,)), np.outer),
            'addmm': (((3, 4), (4, 2)), np.matmul), 'baddbmm': (((2, 3, 4), (2, 4, 2)), np.matmul),
            'addbmm': (((2, 3, 4), (2, 4, 2)), lambda a, b: (a @ b).sum(0))}


@pytest.mark.parametrize('device', ['cpu', pytest.param('cuda', marks=pytest.mark.gpu)])
@pytest.mark.parametrize('what', sorted(PRODUCTS))
@pytest.mark.parametrize('own', [True, False], ids=['result', 'other'])
def test_beta_zero_never_reads_the_added_tensor(what, own, device):
    """With v1 = 0 Torch7's BLAS calls write v2 * product without reading the old values (THBlas scal's
    a == 0 case), so a freshly resized result's garbage, NaN included, is gone: test/sparsecoding.lua's
    ``reconstruction:resize(n):addmv(0, 1, D, x)`` on an uninitialised tensor."""
    shapes, product = PRODUCTS[what]
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal(s) for s in shapes)
    expected = 2 * product(a, b)
    on = (lambda t: t.cudaDouble()) if device == 'cuda' else (lambda t: t)
    result = on(lg.DoubleTensor(*expected.shape).fill(np.nan))
    added = result if own else on(lg.DoubleTensor(*expected.shape).fill(np.nan))
    getattr(result, what)(0, added, 2, on(T(a)), on(T(b)))
    np.testing.assert_allclose(result.cpu().array, expected, rtol=1e-12)


def test_diag_tril_triu_follow_torch7():
    """THTensor_(diag/tril/triu): diag of a vector builds a matrix, of a matrix reads a diagonal (k above or below
    the main one); the triangles keep the part on and below (tril) or above (triu) diagonal k."""
    x = lg.DoubleTensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert lg.diag(x).tolist() == [1, 5, 9] and x.diag(1).tolist() == [2, 6] and x.diag(-2).tolist() == [7]
    assert lg.diag(lg.DoubleTensor([1, 2]), -1).tolist() == [[0, 0, 0], [1, 0, 0], [0, 2, 0]]
    d = x.diag()
    d.fill(0)   # a copy, not a view of x
    assert x.array[1, 1] == 5
    assert lg.tril(x).tolist() == [[1, 0, 0], [4, 5, 0], [7, 8, 9]] and x.triu(1).tolist() == [[0, 2, 3], [0, 0, 6],
                                                                                             [0, 0, 0]]
    r = lg.DoubleTensor()
    assert r.tril(x, -1) is r and r.tolist() == [[0, 0, 0], [4, 0, 0], [7, 8, 0]]
    assert r.diag(x, 1) is r and r.tolist() == [2, 6]
    with pytest.raises(ValueError, match='tril: expected a 2-D'):
        lg.DoubleTensor(3).tril()
    with pytest.raises(TypeError, match='integer k'):
        x.diag(0.5)


def test_match_is_the_squared_row_distances_times_gain():
    """THTensor_(match): r[i][j] = gain * sum_k (m1[i][k] - m2[j][k])^2, each operand read as its first size by
    the rest (so 3-D m1 rows are flattened), r resized to N1 x N2; ``torch.match`` allocates r."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((5, 6))
    want = ((a.reshape(4, 1, 6) - b.reshape(1, 5, 6)) ** 2).sum(axis=2)
    got = lg.match(T(a), T(b))
    assert tuple(got.size()) == (4, 5) and np.allclose(got.array, want, rtol=0, atol=1e-12)
    r = lg.DoubleTensor(7)
    assert r.match(T(b).t().t(), T(a), 0.5) is r and np.allclose(r.array, 0.5 * want.T, rtol=0, atol=1e-12)
    assert lg.match(r, T(a), T(b), 2) is r and np.allclose(r.array, 2 * want)
    # rows far from the origin: the differences are squared, not |a|^2 + |b|^2 - 2ab, so nothing cancels
    far = np.full((1, 3), 1e8)
    assert lg.match(T(far), T(far + 1)).tolist() == [[3.0]]
    with pytest.raises(ValueError, match='same inner vector dim'):
        lg.match(T(a), T(b[:, :5]))
    with pytest.raises(ValueError, match='match: m2 must be a non-empty tensor of rows'):
        lg.match(T(a), lg.DoubleTensor())


def test_match_of_integer_tensors_sums_in_their_type():
    m1, m2 = lg.LongTensor([[0, 0], [3, 4]]), lg.LongTensor([[1, 1]])
    r = lg.match(m1, m2)
    assert r.type() == 'legonn.LongTensor' and r.tolist() == [[2], [13]]


@pytest.mark.parametrize('device', ['cpu', pytest.param('cuda', marks=pytest.mark.gpu)])
@pytest.mark.parametrize('what', sorted(PRODUCTS))
def test_integer_products_take_their_scalars_as_the_element_type(what, device):
    """cwrap converts addmm's (and addmv's, addr's, addbmm's, baddbmm's) number arguments to the C real of the
    tensor's type before THTensor_(addmm) runs: an IntTensor's v1 = 1.5 and v2 = 2.7 are 1 and 2, a
    ByteTensor's 300 keeps its low bits, 44 (legonn raised NumPy's "Cannot cast ufunc 'multiply' output")."""
    if device == 'cuda' and not lg.gpu_available():
        pytest.skip('no GPU')
    shapes, product = PRODUCTS[what]
    rng = np.random.default_rng(4)
    a, b = (rng.integers(-3, 4, s) for s in shapes)
    m = rng.integers(-3, 4, product(a, b).shape)
    on = (lambda t: t.type(t.type().replace('legonn.', 'legonn.Cuda'))) if device == 'cuda' else (lambda t: t)
    ints = [on(lg.IntTensor(x.astype(np.int32))) for x in (m, a, b)]
    got = getattr(lg, what)(1.5, *ints[:1], 2.7, *ints[1:])
    assert got.type() == ints[0].type()
    np.testing.assert_array_equal(got.cpu().numpy(), 1 * m + 2 * product(a, b))
    one = [on(lg.ByteTensor(np.ones(s, np.uint8))) for s in shapes]
    r = on(lg.ByteTensor(*product(np.ones(shapes[0]), np.ones(shapes[1])).shape).fill(1))
    getattr(r, what)(300, *one)
    np.testing.assert_array_equal(r.cpu().numpy(), (1 + 44 * product(np.ones(shapes[0]), np.ones(shapes[1]))) % 256)
