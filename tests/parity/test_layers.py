"""Parity audit of legonn's parametrised and table layers against PyTorch (CPU, float64).

PyTorch's torch.nn.functional descends from Torch7's THNN; it is run here as an independent implementation of the
same maths, on seeded random inputs: forward, gradInput, parameter gradients (with ``scale``) and persistent state.
Torch7 is the contract: where PyTorch changed the maths later, the test asserts that the difference is exactly the
documented one (the Torch7 formula, computed here from its source, and PyTorch's, both checked). Indices are
0-based in legonn and PyTorch alike. CI has no torch: the file is skipped there.
"""
import numpy as np
import pytest

torch = pytest.importorskip('torch')

import legonn as lg  # noqa: E402
from legonn import nn  # noqa: E402
from legonn import cudnn  # noqa: E402

F = torch.nn.functional
RTOL, ATOL = 1e-10, 1e-12
SCALE = 0.7


def rng(seed=0):
    return np.random.default_rng(seed)


def L(a):
    """A legonn DoubleTensor sharing a float64 copy of ``a`` (its strides kept: a transposed array stays
    non-contiguous)."""
    a = np.asarray(a)
    return lg.from_numpy(a.astype(np.float64) if a.dtype != np.float64 else a.copy(order='K'))


def T(a, grad=True):
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64, requires_grad=grad)


def N(x):
    """A legonn tensor (or a list of them) or a torch tensor as NumPy."""
    if isinstance(x, (list, tuple)):
        return [N(v) for v in x]
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, np.ndarray):
        return x
    return np.array(x.numpy())


def close(actual, expected, rtol=RTOL, atol=ATOL):
    if isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            close(a, e, rtol, atol)
        return
    np.testing.assert_allclose(N(actual), N(expected), rtol=rtol, atol=atol)


def noncontig(a):
    """``a`` as a transposed (non-contiguous) view holding the same values."""
    return np.ascontiguousarray(a.T).T


def legonn_pass(m, x, go, scale=SCALE):
    """(output, gradInput) of a zeroed module's forward and backward(x, go, scale), copied."""
    m.zeroGradParameters()
    out = N(m.forward(x))
    gi = N(m.backward(x, go, scale))
    return out, gi


def torch_pass(y, inputs, go):
    """Backpropagate ``go`` from ``y``; the gradients of ``inputs`` (None where there is none)."""
    y.backward(torch.as_tensor(np.asarray(go)))
    return [None if t.grad is None else t.grad.numpy() for t in inputs]


# --- Linear, Bilinear ------------------------------------------------------------------------------------
@pytest.mark.parametrize('bias', [True, False], ids=['bias', 'noBias'])
@pytest.mark.parametrize('shape', [(5,), (1, 5), (4, 5), (7, 1)], ids=['1d', 'batch1', 'batch', 'in1'])
@pytest.mark.parametrize('contiguous', [True, False], ids=['contig', 'strided'])
def test_linear(bias, shape, contiguous):
    r = rng(1)
    D = shape[-1]
    m = nn.Linear(D, 3, bias).double()
    m.weight.copy(L(r.normal(size=(3, D))))
    if bias:
        m.bias.copy(L(r.normal(size=3)))
    x = r.normal(size=shape)
    xl = L(noncontig(x)) if contiguous is False and x.ndim == 2 else L(x)
    go = r.normal(size=shape[:-1] + (3,))
    out, gi = legonn_pass(m, xl, L(go))
    tx, tw = T(x), T(m.weight.numpy())
    tb = T(m.bias.numpy()) if bias else None
    y = F.linear(tx, tw, tb)
    gx, gw, *gb = torch_pass(y, [tx, tw] + ([tb] if bias else []), go)
    close(out, y)
    close(gi, gx)
    close(m.gradWeight, SCALE * gw)
    if bias:
        close(m.gradBias, SCALE * gb[0])


def test_linear_no_bias_method_and_accumulation():
    r = rng(2)
    m = nn.Linear(4, 2).double().noBias()
    assert m.bias is None
    x, go = r.normal(size=(3, 4)), r.normal(size=(3, 2))
    m.zeroGradParameters()
    m.forward(L(x))
    m.backward(L(x), L(go), 1.0)
    m.backward(L(x), L(go), 0.5)   # accumulates
    tx, tw = T(x), T(m.weight.numpy())
    (gw,) = torch_pass(F.linear(tx, tw), [tw], go)
    close(m.gradWeight, 1.5 * gw)


@pytest.mark.parametrize('bias', [True, False], ids=['bias', 'noBias'])
@pytest.mark.parametrize('batch', [1, 4])
def test_bilinear(bias, batch):
    r = rng(3)
    m = nn.Bilinear(3, 4, 2, bias).double()
    m.weight.copy(L(r.normal(size=(2, 3, 4))))
    if bias:
        m.bias.copy(L(r.normal(size=2)))
    x1, x2, go = r.normal(size=(batch, 3)), r.normal(size=(batch, 4)), r.normal(size=(batch, 2))
    out, gi = legonn_pass(m, [L(x1), L(x2)], L(go))
    t1, t2, tw = T(x1), T(x2), T(m.weight.numpy())
    tb = T(m.bias.numpy()) if bias else None
    y = F.bilinear(t1, t2, tw, tb)
    g1, g2, gw, *gb = torch_pass(y, [t1, t2, tw] + ([tb] if bias else []), go)
    close(out, y)
    close(gi, [g1, g2])
    close(m.gradWeight, SCALE * gw)
    if bias:
        close(m.gradBias, SCALE * gb[0])


# --- LookupTable ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize('shape', [(6,), (3, 4), (1,)], ids=['1d', 'batch', 'one'])
@pytest.mark.parametrize('padding', [None, 2], ids=['nopad', 'pad2'])
@pytest.mark.parametrize('freq', [False, True], ids=['plain', 'byFreq'])
def test_lookup_table(shape, padding, freq):
    r = rng(4)
    m = nn.LookupTable(5, 3, padding).double()
    if freq:
        m.scaleGradByFreq()
    w0 = r.normal(size=(5, 3))
    m.weight.copy(L(w0))
    idx = r.integers(0, 5, size=shape)
    idx.flat[0] = 2   # the padding row is used
    if idx.size > 2:
        idx.flat[1] = idx.flat[2]   # and some row twice (scaleGradByFreq)
    go = r.normal(size=shape + (3,))
    m.zeroGradParameters()
    out = N(m.forward(lg.from_numpy(idx.astype(np.int64))))
    m.backward(lg.from_numpy(idx.astype(np.int64)), L(go), SCALE)
    tw = T(w0)
    y = F.embedding(torch.as_tensor(idx), tw, padding_idx=padding, scale_grad_by_freq=freq)
    (gw,) = torch_pass(y, [tw], go)
    close(out, y)
    close(m.gradWeight, SCALE * gw)


@pytest.mark.parametrize('norm_type', [None, 1, 2, 3.5], ids=['default', 'p1', 'p2', 'p3.5'])
def test_lookup_table_max_norm_renormalises_the_rows_used(norm_type):
    """THNN's LookupTable_renorm (lib/THNN/generic/LookupTable.c): each row the input names whose p-norm exceeds
    maxNorm is scaled by maxNorm / (norm + 1e-7); torch.embedding_renorm_ applies the same rule."""
    r = rng(5)
    m = nn.LookupTable(6, 4, None, 1.5, norm_type).double()
    w0 = r.normal(size=(6, 4)) * 2
    w0[3] *= 0.1   # a row under the limit, left alone
    m.weight.copy(L(w0))
    idx = np.array([[0, 3, 3], [5, 0, 1]])
    out = N(m.forward(lg.from_numpy(idx)))
    tw = torch.tensor(w0)
    y = F.embedding(torch.as_tensor(idx), tw, max_norm=1.5, norm_type=2.0 if norm_type is None else float(norm_type))
    close(out, y)
    close(m.weight, tw)        # renormalised in place, rows 2 and 4 untouched
    np.testing.assert_array_equal(m.weight.numpy()[[2, 4]], w0[[2, 4]])


# --- Mul, Add, CMul, CAdd --------------------------------------------------------------------------------
def test_mul():
    r = rng(6)
    m = nn.Mul().double()
    x, go = r.normal(size=(3, 4)), r.normal(size=(3, 4))
    out, gi = legonn_pass(m, L(noncontig(x)), L(go))
    tx, tw = T(x), T(m.weight.numpy())
    gx, gw = torch_pass(tx * tw, [tx, tw], go)
    close(out, tx * tw)
    close(gi, gx)
    close(m.gradWeight, SCALE * gw)


@pytest.mark.parametrize('shape', [(4,), (3, 4)], ids=['single', 'batch'])
@pytest.mark.parametrize('scalar', [False, True], ids=['vector', 'scalar'])
def test_add(shape, scalar):
    r = rng(7)
    m = nn.Add(4, scalar).double()
    x, go = r.normal(size=shape), r.normal(size=shape)
    out, gi = legonn_pass(m, L(x), L(go))
    tx, tb = T(x), T(m.bias.numpy())
    y = tx + tb
    gx, gb = torch_pass(y, [tx, tb], go)
    close(out, y)
    close(gi, gx)
    close(m.gradBias, SCALE * gb)


@pytest.mark.parametrize('cls', ['CMul', 'CAdd'])
@pytest.mark.parametrize('size,shape', [((2, 3), (2, 3)), ((1, 3), (4, 3)), ((2, 3), (5, 2, 3)), ((6,), (4, 2, 3)),
                                        ((3, 1, 2), (3, 5, 2))],
                         ids=['same', 'expand', 'batch', 'batch-flat', 'expand-mid'])
def test_cmul_cadd(cls, size, shape):
    r = rng(8)
    m = getattr(nn, cls)(*size).double()
    p = m.weight if cls == 'CMul' else m.bias
    x, go = r.normal(size=shape), r.normal(size=shape)
    out, gi = legonn_pass(m, L(x), L(go))
    tx, tp = T(x), T(p.numpy())
    # Torch7's three pairings (CMul.lua): the parameter's shape broadcast, or each sample of a batch viewed as it
    pv = tp if len(size) == len(shape) else tp.reshape(1, -1)
    xv = tx if len(size) == len(shape) else tx.reshape(shape[0], -1)
    y = (xv * pv if cls == 'CMul' else xv + pv).reshape(shape)
    gx, gp = torch_pass(y, [tx, tp], go)
    close(out, y)
    close(gi, gx)
    close(m.gradWeight if cls == 'CMul' else m.gradBias, SCALE * gp)


# --- Euclidean, WeightedEuclidean, Cosine ------------------------------------------------------------------
def _templates(m, r, diag=False):
    m.weight.copy(L(r.normal(size=tuple(m.weight.size()))))
    if diag:
        m.diagCov.copy(L(r.uniform(0.5, 1.5, size=tuple(m.diagCov.size()))))


@pytest.mark.parametrize('weighted', [False, True], ids=['Euclidean', 'WeightedEuclidean'])
@pytest.mark.parametrize('shape', [(4,), (3, 4), (1, 4)], ids=['1d', 'batch', 'batch1'])
def test_euclidean(weighted, shape):
    """Forward: torch.cdist's distances (diagCov scaling the differences). Backward: Euclidean.lua and
    WeightedEuclidean.lua divide by y + 1e-7 "to prevent div by zero (NaN) bugs" (Euclidean.lua:107,
    WeightedEuclidean.lua:114), where PyTorch's cdist backward divides by y: legonn's gradients are PyTorch's for
    the gradOutput go * y / (y + 1e-7), exactly that epsilon."""
    r = rng(9)
    m = (nn.WeightedEuclidean if weighted else nn.Euclidean)(4, 5).double()
    _templates(m, r, weighted)
    x, go = r.normal(size=shape), r.normal(size=shape[:-1] + (5,))
    out, gi = legonn_pass(m, L(x), L(go))
    tx, tw = T(x.reshape(-1, 4)), T(m.weight.numpy())
    if weighted:
        tc = T(m.diagCov.numpy())
        y = torch.sqrt((((tx[:, :, None] - tw[None]) * tc[None]) ** 2).sum(1))
    else:
        y = torch.cdist(tx, tw.T)
    close(out, y.reshape(go.shape))
    yd = y.detach().numpy()
    grads = torch_pass(y, [tx, tw] + ([tc] if weighted else []), go.reshape(yd.shape) * yd / (yd + 1e-7))
    close(gi, grads[0].reshape(shape))
    close(m.gradWeight, SCALE * grads[1])
    if weighted:
        close(m.gradDiagCov, SCALE * grads[2])


def test_euclidean_gradient_at_a_template():
    """y = 0: Torch7's go / (0 + 1e-7) times a zero difference, a zero gradient (PyTorch's cdist gives 0 too)."""
    m = nn.Euclidean(3, 2).double()
    _templates(m, rng(10))
    x = m.weight.numpy()[:, 1].copy()
    out, gi = legonn_pass(m, L(x), L(np.ones(2)))
    assert out[1] == 0
    tx, tw = T(x[None]), T(m.weight.numpy())
    gx, gw = torch_pass(torch.cdist(tx, tw.T), [tx, tw], np.ones((1, 2)) * N(m.output) / (N(m.output) + 1e-7))
    close(gi, gx[0])
    close(m.gradWeight, SCALE * gw)


@pytest.mark.parametrize('shape', [(4,), (3, 4)], ids=['1d', 'batch'])
def test_cosine(shape):
    """Cosine.lua adds 1e-12 to each norm: the reference is that formula run by autograd, and agrees with
    F.cosine_similarity to 1e-11 at norms of order 1. The weight gradient with scale (Cosine.lua drops the
    scale, see the report: legonn applies it)."""
    r = rng(11)
    m = nn.Cosine(4, 3).double()
    _templates(m, r)
    x, go = r.normal(size=shape), r.normal(size=shape[:-1] + (3,))
    out, gi = legonn_pass(m, L(x), L(go))
    tx, tw = T(x.reshape(-1, 4)), T(m.weight.numpy())
    y = tx @ tw.T / (tx.norm(dim=1, keepdim=True) + 1e-12) / (tw.norm(dim=1) + 1e-12)
    close(out, y.reshape(go.shape))
    close(out, F.cosine_similarity(tx[:, None], tw[None], dim=2).reshape(go.shape), rtol=1e-11)
    gx, gw = torch_pass(y, [tx, tw], go.reshape(-1, 3))
    close(gi, gx.reshape(shape), rtol=1e-9)
    close(m.gradWeight, SCALE * gw, rtol=1e-9)


# --- DotProduct, CosineDistance, PairwiseDistance --------------------------------------------------------
@pytest.mark.parametrize('shape', [(5,), (3, 5), (1, 1)], ids=['1d', 'batch', 'one'])
def test_dot_product(shape):
    r = rng(12)
    a, b = r.normal(size=shape), r.normal(size=shape)
    rows = 1 if len(shape) == 1 else shape[0]
    go = r.normal(size=rows)
    out, gi = legonn_pass(nn.DotProduct(), [L(a), L(noncontig(b)) if b.ndim == 2 else L(b)], L(go))
    ta, tb = T(a.reshape(rows, -1)), T(b.reshape(rows, -1))
    y = (ta * tb).sum(1)
    ga, gb = torch_pass(y, [ta, tb], go)
    close(out, y)
    close(gi, [ga.reshape(shape), gb.reshape(shape)])


@pytest.mark.parametrize('shape', [(5,), (3, 5)], ids=['1d', 'batch'])
@pytest.mark.parametrize('scale', [1.0, 1e-7], ids=['unit', 'tiny'])
def test_cosine_distance(shape, scale):
    """CosineDistance.lua: a.b / sqrt((|a|^2 + 1e-12)(|b|^2 + 1e-12)), and its gradient (the exact derivative
    of that). At norms of order 1 that is F.cosine_similarity to 1e-11; at norms of 1e-7 the epsilon dominates
    the denominator, where PyTorch's (ATen's cosine_similarity) only clamps each norm at 1e-8 and gives the exact
    cosine: both formulas are checked, and they differ as computed."""
    r = rng(13)
    a, b = r.normal(size=shape) * scale, r.normal(size=shape) * scale
    rows = 1 if len(shape) == 1 else shape[0]
    go = r.normal(size=rows)
    out, gi = legonn_pass(nn.CosineDistance(), [L(a), L(b)], L(go))
    ta, tb = T(a.reshape(rows, -1)), T(b.reshape(rows, -1))
    y = (ta * tb).sum(1) / torch.sqrt(((ta * ta).sum(1) + 1e-12) * ((tb * tb).sum(1) + 1e-12))
    ga, gb = torch_pass(y, [ta, tb], go)
    close(out, y)
    close(gi, [ga.reshape(shape), gb.reshape(shape)], rtol=1e-9)
    theirs = N(F.cosine_similarity(ta, tb, dim=1))
    if scale == 1.0:
        close(out, theirs, rtol=1e-11)
    else:
        an, bn = np.linalg.norm(a.reshape(rows, -1), axis=1), np.linalg.norm(b.reshape(rows, -1), axis=1)
        dot = (a * b).reshape(rows, -1).sum(1)
        close(theirs, dot / (np.maximum(an, 1e-8) * np.maximum(bn, 1e-8)))
        close(out, dot / np.sqrt((an ** 2 + 1e-12) * (bn ** 2 + 1e-12)))
        assert not np.allclose(out, theirs, rtol=1e-3)


@pytest.mark.parametrize('p', [1, 2, 3, 4.5])
@pytest.mark.parametrize('shape', [(5,), (3, 5), (1, 1)], ids=['1d', 'batch', 'one'])
def test_pairwise_distance(p, shape):
    """Forward: F.pairwise_distance with eps=0 (PyTorch adds eps=1e-6 to the difference, PairwiseDistance.lua
    does not). Backward: PairwiseDistance.lua divides by (y + 1e-6)^(p-1) (its updateGradInput, "prevent divide
    by zero"), PyTorch by y^(p-1): legonn's gradients are PyTorch's for the gradOutput go (y / (y + 1e-6))^(p-1);
    p = 1 is the sign, no division."""
    r = rng(14)
    a, b = r.normal(size=shape), r.normal(size=shape)
    rows = 1 if len(shape) == 1 else shape[0]
    go = r.normal(size=rows)
    out, gi = legonn_pass(nn.PairwiseDistance(p), [L(a), L(b)], L(go))
    ta, tb = T(a.reshape(rows, -1)), T(b.reshape(rows, -1))
    y = F.pairwise_distance(ta, tb, p=p, eps=0)
    close(out, y)
    yd = N(y)
    ga, gb = torch_pass(y, [ta, tb], go * (yd / (yd + 1e-6)) ** (p - 1))
    close(gi, [ga.reshape(shape), gb.reshape(shape)])
    # PyTorch's default eps=1e-6 is added to the difference: another distance
    assert not np.allclose(out, N(F.pairwise_distance(ta, tb, p=p)), rtol=1e-9, atol=0)


# --- MM, MV ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('transA', [False, True])
@pytest.mark.parametrize('transB', [False, True])
@pytest.mark.parametrize('batch', [(), (3,)], ids=['2d', 'batch'])
def test_mm(transA, transB, batch):
    r = rng(15)
    a = r.normal(size=batch + ((4, 2) if transA else (2, 4)))
    b = r.normal(size=batch + ((5, 4) if transB else (4, 5)))
    go = r.normal(size=batch + (2, 5))
    out, gi = legonn_pass(nn.MM(transA, transB), [L(a), L(noncontig(b)) if not batch else L(b)], L(go))
    ta, tb = T(a), T(b)
    y = torch.matmul(ta.transpose(-1, -2) if transA else ta, tb.transpose(-1, -2) if transB else tb)
    ga, gb = torch_pass(y, [ta, tb], go)
    close(out, y)
    close(gi, [ga, gb])


@pytest.mark.parametrize('trans', [False, True])
@pytest.mark.parametrize('batch', [(), (3,)], ids=['2d', 'batch'])
def test_mv(trans, batch):
    r = rng(16)
    m = r.normal(size=batch + ((4, 2) if trans else (2, 4)))
    v, go = r.normal(size=batch + (4,)), r.normal(size=batch + (2,))
    out, gi = legonn_pass(nn.MV(trans), [L(m), L(v)], L(go))
    tm, tv = T(m), T(v)
    y = torch.matmul(tm.transpose(-1, -2) if trans else tm, tv[..., None])[..., 0]
    gm, gv = torch_pass(y, [tm, tv], go)
    close(out, y)
    close(gi, [gm, gv])


# --- CAddTable, CSubTable, CMulTable, CDivTable, CMaxTable, CMinTable ------------------------------------------
@pytest.mark.parametrize('name,n,op', [('CAddTable', 3, lambda ts: ts[0] + ts[1] + ts[2]),
                                       ('CSubTable', 2, lambda ts: ts[0] - ts[1]),
                                       ('CMulTable', 3, lambda ts: ts[0] * ts[1] * ts[2]),
                                       ('CMulTable', 1, lambda ts: ts[0] * 1),
                                       ('CDivTable', 2, lambda ts: ts[0] / ts[1])],
                         ids=['add', 'sub', 'mul', 'mul1', 'div'])
@pytest.mark.parametrize('shape', [(3, 4), (1,)], ids=['2d', 'one'])
def test_arithmetic_tables(name, n, op, shape):
    r = rng(17)
    xs = [r.normal(size=shape) for _ in range(n)]
    if name == 'CMulTable' and n == 3 and len(shape) == 2:
        xs[1][0, 0] = 0.0   # a zero factor: the product of the others, not output / x
    if name == 'CDivTable':
        xs[1] = np.sign(xs[1]) * (np.abs(xs[1]) + 0.5)
    go = r.normal(size=shape)
    ins = [L(noncontig(x)) if x.ndim == 2 and i == 1 else L(x) for i, x in enumerate(xs)]
    out, gi = legonn_pass(getattr(nn, name)(), ins, L(go))
    ts = [T(x) for x in xs]
    y = op(ts)
    close(out, y)
    close(gi, torch_pass(y, ts, go))


def test_cadd_table_inplace():
    r = rng(18)
    xs, go = [r.normal(size=(2, 3)) for _ in range(2)], r.normal(size=(2, 3))
    ins = [L(x) for x in xs]
    out, gi = legonn_pass(nn.CAddTable(True), ins, L(go))
    ts = [T(x) for x in xs]
    y = ts[0] + ts[1]
    close(out, y)
    close(ins[0], y)            # accumulated into input[0]
    close(gi, torch_pass(y, ts, go))


@pytest.mark.parametrize('name', ['CMaxTable', 'CMinTable'])
def test_extremum_tables(name):
    """Values as torch.maximum / torch.minimum. On ties CMaxTable.lua and CMinTable.lua give the whole gradient to
    the first input holding the extremum (their mask is a strict gt / lt against the running output); PyTorch's
    maximum/minimum backward splits it evenly between the tied inputs: both checked, on ties only."""
    r = rng(19)
    xs = [r.normal(size=(3, 4)) for _ in range(3)]
    xs[1][0, :2] = xs[0][0, :2] = 5.0 if name == 'CMaxTable' else -5.0   # input 0 and 1 tie at the extremum
    xs[2][1, 1] = xs[1][1, 1] = 6.0 if name == 'CMaxTable' else -6.0      # input 1 and 2 tie
    go = r.normal(size=(3, 4))
    out, gi = legonn_pass(getattr(nn, name)(), [L(x) for x in xs], L(go))
    f = torch.maximum if name == 'CMaxTable' else torch.minimum
    ts = [T(x) for x in xs]
    y = f(f(ts[0], ts[1]), ts[2])
    theirs = torch_pass(y, ts, go)
    close(out, y)
    stack = np.stack(xs)
    first = (np.argmax if name == 'CMaxTable' else np.argmin)(stack, axis=0)
    want = [np.where(first == i, go, 0) for i in range(3)]
    close(gi, want)
    ties = np.zeros((3, 4), bool)
    ties[0, :2] = ties[1, 1] = True
    for i in range(3):
        close(gi[i][~ties], theirs[i][~ties])
    np.testing.assert_allclose(theirs[0][0, :2], go[0, :2] / 2, rtol=RTOL)
    np.testing.assert_allclose(gi[0][0, :2], go[0, :2], rtol=RTOL)
    np.testing.assert_allclose(theirs[2][1, 1], go[1, 1] / 2, rtol=RTOL)
    np.testing.assert_allclose([gi[1][1, 1], gi[2][1, 1]], [go[1, 1], 0], rtol=RTOL)


# --- JoinTable, SplitTable, Narrow, Select, Index, MaskedSelect, Padding ----------------------------------------
@pytest.mark.parametrize('dim,nInputDims,shapes', [(0, None, [(2, 3), (4, 3)]), (1, None, [(2, 3), (2, 1), (2, 2)]),
                                                   (-1, None, [(2, 3), (2, 2)]), (0, 2, [(5, 2, 3), (5, 1, 3)]),
                                                   (0, None, [(1,), (3,)])],
                         ids=['dim0', 'dim1', 'neg', 'batch', '1d'])
def test_join_table(dim, nInputDims, shapes):
    r = rng(20)
    xs = [r.normal(size=s) for s in shapes]
    d = dim + 1 if nInputDims is not None and len(shapes[0]) == nInputDims + 1 else dim
    ts = [T(x) for x in xs]
    y = torch.cat(ts, d)
    go = r.normal(size=tuple(y.shape))
    out, gi = legonn_pass(nn.JoinTable(dim, nInputDims), [L(x) for x in xs], L(go))
    close(out, y)
    close(gi, torch_pass(y, ts, go))


@pytest.mark.parametrize('dim,nInputDims,shape', [(0, None, (3, 4)), (1, None, (3, 4)), (-1, None, (2, 3, 2)),
                                                  (0, 2, (5, 3, 4)), (0, None, (1, 2))],
                         ids=['dim0', 'dim1', 'neg', 'batch', 'one'])
def test_split_table(dim, nInputDims, shape):
    r = rng(21)
    x = r.normal(size=shape)
    d = dim + 1 if nInputDims is not None and len(shape) == nInputDims + 1 else dim
    tx = T(x)
    ys = torch.unbind(tx, d)
    gos = [r.normal(size=tuple(t.shape)) for t in ys]
    m = nn.SplitTable(dim, nInputDims)
    out = N(m.forward(L(x)))
    gi = N(m.backward(L(x), [L(g) for g in gos]))
    close(out, ys)
    torch.autograd.backward(ys, [torch.tensor(g) for g in gos])
    close(gi, tx.grad)


@pytest.mark.parametrize('args', [(0, 1, 2), (1, 0, 3), (1, -2, 1), (1, 1, -1), (-1, 2, 1)],
                         ids=['dim0', 'dim1', 'negoffset', 'neglength', 'negdim'])
def test_narrow(args):
    r = rng(22)
    x = r.normal(size=(3, 4))
    dim, offset, length = args
    n = x.shape[dim]
    start = offset % n
    stop = n + length + 1 if length < 0 else start + length
    tx = T(x)
    y = tx.narrow(dim, start, stop - start)
    go = r.normal(size=tuple(y.shape))
    out, gi = legonn_pass(nn.Narrow(*args), L(noncontig(x)), L(go))
    close(out, y)
    close(gi, torch_pass(y, [tx], go)[0])


@pytest.mark.parametrize('dim,index', [(0, 1), (1, 0), (1, -1), (-1, 2)])
def test_select(dim, index):
    r = rng(23)
    x = r.normal(size=(2, 3, 4))
    tx = T(x)
    y = tx.select(dim, index)
    go = r.normal(size=tuple(y.shape))
    out, gi = legonn_pass(nn.Select(dim, index), L(x), L(go))
    close(out, y)
    close(gi, torch_pass(y, [tx], go)[0])


@pytest.mark.parametrize('dim', [0, 1])
def test_index(dim):
    r = rng(24)
    x = r.normal(size=(4, 5))
    idx = np.array([3, 0, 3, 1])
    tx = T(x)
    y = torch.index_select(tx, dim, torch.as_tensor(idx))
    go = r.normal(size=tuple(y.shape))
    out, gi = legonn_pass(nn.Index(dim), [L(x), lg.from_numpy(idx)], L(go))
    close(out, y)
    close(gi[0], torch_pass(y, [tx], go)[0])   # repeated indices accumulate
    assert not gi[1].any()


def test_masked_select():
    r = rng(25)
    x = r.normal(size=(3, 4))
    mask = r.random(size=(3, 4)) > 0.5
    tx = T(x)
    y = torch.masked_select(tx, torch.as_tensor(mask))
    go = r.normal(size=tuple(y.shape))
    out, gi = legonn_pass(nn.MaskedSelect(), [L(noncontig(x)), lg.from_numpy(mask.astype(np.uint8))], L(go))
    close(out, y)
    close(gi[0], torch_pass(y, [tx], go)[0])


@pytest.mark.parametrize('dim,pad,nInputDim,value,index', [(0, 2, None, 0, 0), (0, -2, None, 1.5, 0),
                                                           (1, 3, None, -1, 1), (1, -1, None, 0, 2),
                                                           (0, 1, 2, 7, 0), (1, 0, None, 3, 0)],
                         ids=['after', 'before', 'after-index', 'before-index', 'batch', 'zero'])
def test_padding(dim, pad, nInputDim, value, index):
    """Padding.lua (its index is 1-based; legonn's 0-based, the Lua's index 1 is legonn's 0): pad > 0 puts the
    padding ``index`` entries before the end, pad < 0 ``index`` entries after the start. Reference: torch.cat of
    the input's pieces and a filled block."""
    r = rng(26)
    x = r.normal(size=(3, 4) if nInputDim is None else (2, 3, 4))
    d = dim + 1 if nInputDim is not None and x.ndim != nInputDim else dim
    n = x.shape[d]
    at = n - index if pad > 0 else index
    tx = T(x)
    block_shape = list(x.shape)
    block_shape[d] = abs(pad)
    y = torch.cat([tx.narrow(d, 0, at), torch.full(block_shape, float(value), dtype=torch.float64),
                   tx.narrow(d, at, n - at)], d)
    go = r.normal(size=tuple(y.shape))
    out, gi = legonn_pass(nn.Padding(dim, pad, nInputDim, value, index), L(x), L(go))
    close(out, y)
    close(gi, torch_pass(y, [tx], go)[0])


# --- Sum, Mean, Max, Min ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('dim,nInputDims,shape', [(0, None, (3, 4)), (1, None, (3, 4)), (-1, None, (2, 3, 4)),
                                                  (0, 2, (5, 3, 4)), (0, None, (5,)), (0, None, (1, 3))],
                         ids=['dim0', 'dim1', 'neg', 'batch', '1d', 'one'])
@pytest.mark.parametrize('kind', ['Sum', 'SumAvg', 'Mean'])
def test_sum_mean(dim, nInputDims, shape, kind):
    r = rng(27)
    x = r.normal(size=shape)
    d = dim + 1 if nInputDims is not None and len(shape) == nInputDims + 1 and dim >= 0 else dim
    m = nn.Mean(dim, nInputDims) if kind == 'Mean' else nn.Sum(dim, nInputDims, kind == 'SumAvg')
    tx = T(x)
    y = tx.mean(d) if kind != 'Sum' else tx.sum(d)
    if y.dim() == 0:
        y = y.reshape(1)    # Torch7's 1-D reduction keeps size (1,)
    go = r.normal(size=tuple(y.shape))
    out, gi = legonn_pass(m, L(noncontig(x)) if x.ndim == 2 else L(x), L(go))
    close(out, y)
    close(gi, torch_pass(y, [tx], go)[0])


def test_sum_without_squeeze():
    r = rng(28)
    x, go = r.normal(size=(3, 4)), r.normal(size=(3, 1))
    out, gi = legonn_pass(nn.Sum(1, None, False, False), L(x), L(go))
    tx = T(x)
    y = tx.sum(1, keepdim=True)
    close(out, y)
    close(gi, torch_pass(y, [tx], go)[0])


@pytest.mark.parametrize('name', ['Max', 'Min'])
@pytest.mark.parametrize('dim,nInputDims,shape', [(0, None, (3, 4)), (1, None, (3, 4)), (-1, None, (2, 3, 4)),
                                                  (0, 2, (5, 3, 4)), (0, None, (5,))],
                         ids=['dim0', 'dim1', 'neg', 'batch', '1d'])
def test_max_min(name, dim, nInputDims, shape):
    """Values and indices as torch.max / torch.min over the dimension (ties included: TH's max keeps the first,
    THTensorMath.c, and PyTorch's CPU kernel returns the first index too), the gradient to that index."""
    r = rng(29)
    x = np.round(r.normal(size=shape), 0)   # whole numbers: ties
    d = dim + 1 if nInputDims is not None and len(shape) == nInputDims + 1 and dim >= 0 else dim
    tx = T(x)
    y, i = getattr(torch, name.lower())(tx, d)
    if y.dim() == 0:
        y, i = y.reshape(1), i.reshape(1)
    go = r.normal(size=tuple(y.shape))
    m = getattr(nn, name)(dim, nInputDims)
    out, gi = legonn_pass(m, L(x), L(go))
    close(out, y)
    np.testing.assert_array_equal(N(m._indices), i.numpy())
    close(gi, torch_pass(y, [tx], go)[0])


# --- Dropout, SpatialDropout -----------------------------------------------------------------------------------
@pytest.mark.parametrize('v1', [False, True], ids=['v2', 'v1'])
@pytest.mark.parametrize('p', [0.0, 0.3, 0.75])
def test_dropout(v1, p):
    """Training: the kept mask ``noise`` is 0 or 1/(1-p) (v2, F.dropout's scaling) or 0 or 1 (v1, Dropout.lua's
    original version, no scaling); the output and gradient are F.dropout's for that mask (v1: times 1 - p).
    Evaluation: identity (v2, as F.dropout's) or (1 - p) x (v1, Dropout.lua's updateOutput; PyTorch has no v1)."""
    r = rng(30)
    lg.manualSeed(3)
    x, go = r.normal(size=(40, 50)), r.normal(size=(40, 50))
    m = nn.Dropout(p, v1).double()
    out, gi = legonn_pass(m, L(x), L(go))
    keep = N(m.noise) != 0 if p > 0 else np.ones(x.shape, bool)
    if p > 0:
        np.testing.assert_allclose(np.unique(N(m.noise)), [0, 1 if v1 else 1 / (1 - p)], rtol=RTOL)
        assert abs(keep.mean() - (1 - p)) < 0.05
    # PyTorch's dropout with this mask: x * keep / (1 - p)
    tx = T(x)
    y = tx * torch.as_tensor(keep) / (1 - p)
    (gx,) = torch_pass(y, [tx], go)
    factor = (1 - p) if v1 else 1.0
    close(out, factor * N(y))
    close(gi, factor * gx)
    m.evaluate()
    ev = N(m.forward(L(x)))
    close(ev, (1 - p) * x if v1 else F.dropout(T(x), p, training=False))
    if v1 and p > 0:
        assert not np.allclose(ev, N(F.dropout(T(x), p, training=False)))


@pytest.mark.parametrize('batch', [False, True])
def test_spatial_dropout(batch):
    """SpatialDropout.lua: whole planes kept or zeroed with probability p, no rescaling in training, (1 - p) x in
    evaluation; F.dropout2d rescales the kept planes by 1/(1-p) in training and is the identity in evaluation:
    legonn's training output is F.dropout2d's for the same planes times 1 - p, and the evaluations differ by
    that factor."""
    r = rng(31)
    lg.manualSeed(4)
    shape = (6, 8, 3, 2) if batch else (30, 3, 2)
    p = 0.4
    x, go = r.normal(size=shape), r.normal(size=shape)
    m = nn.SpatialDropout(p).double()
    out, gi = legonn_pass(m, L(x), L(go))
    noise = N(m.noise)
    assert noise.shape == shape[:-2] + (1, 1) and set(np.unique(noise)) == {0.0, 1.0}
    tx = T(x)
    y = tx * torch.as_tensor(noise) / (1 - p)   # dropout2d's output with these planes
    (gx,) = torch_pass(y, [tx], go)
    close(out, (1 - p) * N(y))
    close(gi, (1 - p) * gx)
    m.evaluate()
    ev = N(m.forward(L(x)))
    close(ev, (1 - p) * x)
    close(F.dropout2d(T(x if batch else x[None]), p, training=False), x if batch else x[None])
