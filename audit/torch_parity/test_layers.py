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
    if isinstance(x, (float, int)):
        return np.asarray(x)
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
@pytest.mark.parametrize('shape,K', [((5,), 3), ((1, 5), 3), ((4, 5), 3), ((7, 1), 3), ((6, 40), 300), ((50, 8), 2)],
                         ids=['1d', 'batch1', 'batch', 'in1', 'wide', 'tall'])
@pytest.mark.parametrize('contiguous', [True, False], ids=['contig', 'strided'])
def test_linear(bias, shape, K, contiguous):
    """F.linear; 'wide' takes legonn's W x^T path with its blocked transpose, 'tall' the x W^T one."""
    r = rng(1)
    D = shape[-1]
    m = nn.Linear(D, K, bias).double()
    m.weight.copy(L(r.normal(size=(K, D))))
    if bias:
        m.bias.copy(L(r.normal(size=K)))
    x = r.normal(size=shape)
    xl = L(noncontig(x)) if contiguous is False and x.ndim == 2 else L(x)
    go = r.normal(size=shape[:-1] + (K,))
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
    """F.bilinear. The weight gradient is scaled: Bilinear.lua:140 adds it unscaled (only the bias's, :142, is
    scaled) and :129 refuses a negative scale, a Torch7 bug legonn does not copy."""
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
    WeightedEuclidean.lua divide by y + 1e-7 "to prevent div by zero (NaN) bugs" (Euclidean.lua:114,
    WeightedEuclidean.lua:114), where PyTorch's cdist backward divides by y: legonn's gradients are PyTorch's for
    the gradOutput go * y / (y + 1e-7), exactly that epsilon. gradDiagCov is scaled for a 1-D input too, where
    WeightedEuclidean.lua:183 leaves out the scale (a Torch7 bug legonn does not copy; its batch path, :206, scales)."""
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
    F.cosine_similarity to 1e-11 at norms of order 1. The weight gradient is scaled whole: Cosine.lua scales only
    the first term of a 1-D input's (:120, not :127) and none of a batch's (:146), a Torch7 bug legonn does not
    copy."""
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


@pytest.mark.parametrize('p', [1, 1.5, 2, 3, 4.5])
@pytest.mark.parametrize('shape', [(5,), (3, 5), (1, 1)], ids=['1d', 'batch', 'one'])
def test_pairwise_distance(p, shape):
    """Forward: F.pairwise_distance with eps=0 (PyTorch adds eps=1e-6 to the difference, PairwiseDistance.lua
    does not). Backward: PairwiseDistance.lua:64 and :69 divide by (y + 1e-6)^(p-1) ("prevent divide by zero"),
    PyTorch by y^(p-1): legonn's gradients are PyTorch's for the gradOutput go (y / (y + 1e-6))^(p-1); p = 1 is
    the sign, no division (the Lua's sign is random at a zero difference, :36-39; legonn's and PyTorch's 0). For
    1 < p < 2 the Lua omits |d|^(p-2) (:56, a Torch7 bug legonn does not copy, docs/porting.md): legonn's is the
    derivative, as PyTorch's."""
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
@pytest.mark.parametrize('inplace', [False, True], ids=['copy', 'inplace'])
@pytest.mark.parametrize('v1', [False, True], ids=['v2', 'v1'])
@pytest.mark.parametrize('p', [0.0, 0.3, 0.75])
def test_dropout(v1, p, inplace):
    """Training: the kept mask ``noise`` is 0 or 1/(1-p) (v2, F.dropout's scaling) or 0 or 1 (v1, Dropout.lua's
    original version, no scaling); the output and gradient are F.dropout's for that mask (v1: times 1 - p).
    Evaluation: identity (v2, as F.dropout's) or (1 - p) x (v1, Dropout.lua's updateOutput; PyTorch has no v1),
    and the gradient likewise (its updateGradInput)."""
    r = rng(30)
    lg.manualSeed(3)
    x, go = r.normal(size=(40, 50)), r.normal(size=(40, 50))
    m = nn.Dropout(p, v1, inplace).double()
    xl, gol = L(x), L(go)
    out, gi = legonn_pass(m, xl, gol)
    if inplace:   # Dropout.lua's inplace: the output is the input, the gradInput the gradOutput
        close(xl, out)
        close(gol, gi)
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
    # Dropout.lua's updateGradInput in evaluation: gradOutput, times 1 - p under v1
    close(m.backward(L(x), L(go)), (1 - p) * go if v1 else go)


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


# --- recurrent layers ------------------------------------------------------------------------------------------
def _gate_blocks(H, order):
    """Column (or row) numbers of the gate blocks ``order`` of width H, concatenated."""
    return np.concatenate([np.arange(k * H, (k + 1) * H) for k in order])


def _torch_lstm(D, H, w_ih, w_hh, b_ih, w_hr=None):
    """A one-layer torch.nn.LSTM (gates i, f, g, o) holding the given float64 parameters, bias_hh 0; with ``w_hr``
    (R x H) its output projection."""
    lstm = torch.nn.LSTM(D, H, proj_size=0 if w_hr is None else len(w_hr)).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.as_tensor(w_ih))
        lstm.weight_hh_l0.copy_(torch.as_tensor(w_hh))
        lstm.bias_ih_l0.copy_(torch.as_tensor(b_ih))
        lstm.bias_hh_l0.zero_()
        if w_hr is not None:
            lstm.weight_hr_l0.copy_(torch.as_tensor(w_hr))
    return lstm


def _seq_lstm_columns(H):
    """SeqLSTM.lua's gate columns (i, f, o, g) in torch.nn.LSTM's order (i, f, g, o)."""
    return _gate_blocks(H, (0, 1, 3, 2))


def _torch_lstm_of(m):
    """torch.nn.LSTM holding a SeqLSTM / SeqLSTMP / StepLSTM's parameters: weight_ih and weight_hh the input and
    hidden rows of ``weight`` (D + R, 4H), its columns reordered and transposed, bias_ih the bias, weight_hr
    weightO^T."""
    D, H = m.inputsize, m.hiddensize
    cols = _seq_lstm_columns(H)
    W, b = m.weight.numpy(), m.bias.numpy()
    w_hr = None if getattr(m, 'weightO', None) is None else m.weightO.numpy().T
    return _torch_lstm(D, H, W[:D, cols].T, W[D:, cols].T, b[cols], w_hr)


def _assert_seq_lstm_gradients(m, w_ih, w_hh, b_ih, w_hr=None):
    """m's gradWeight, gradBias (and gradWeightO) are SCALE times the given torch.nn.LSTM-layout gradients."""
    inv = np.argsort(_seq_lstm_columns(m.hiddensize))
    close(m.gradWeight, SCALE * np.concatenate([N(w_ih).T, N(w_hh).T])[:, inv])
    close(m.gradBias, SCALE * N(b_ih)[inv])
    if w_hr is not None:
        close(m.gradWeightO, SCALE * N(w_hr).T)


@pytest.mark.parametrize('states', [False, True], ids=['zeros', 'c0h0'])
@pytest.mark.parametrize('T_,N_', [(4, 3), (1, 1)], ids=['seq', 'one'])
def test_seq_lstm(states, T_, N_):
    """SeqLSTM.lua's weight (D + H, 4H), columns (i, f, o, g), one bias: torch.nn.LSTM's weight_ih = the input
    rows' (i, f, g, o) columns transposed, weight_hh the hidden rows', bias_ih the bias, bias_hh 0. Input
    [c0, h0, x] gives gradients of c0 and h0 too."""
    r = rng(40)
    D, H = 3, 4
    m = nn.SeqLSTM(D, H).double()
    m.weight.copy(L(r.normal(size=(D + H, 4 * H)) * 0.5))
    m.bias.copy(L(r.normal(size=4 * H) * 0.5))
    x, go = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H))
    c0, h0 = r.normal(size=(N_, H)), r.normal(size=(N_, H))
    inp = [L(c0), L(h0), L(x)] if states else L(x)
    out, gi = legonn_pass(m, inp, L(go))
    ref = _torch_lstm_of(m)
    tx, tc, th = T(x), T(c0[None]), T(h0[None])
    y, (_, cT) = ref(tx, (th, tc) if states else None)
    y.backward(torch.as_tensor(go))
    close(out, y)
    if states:
        close(gi, [tc.grad[0], th.grad[0], tx.grad])
    else:
        close(gi, tx.grad)
    _assert_seq_lstm_gradients(m, ref.weight_ih_l0.grad, ref.weight_hh_l0.grad, ref.bias_ih_l0.grad)
    close(m.cell[T_ - 1], cT[0])


def _rnn_gru_torch(x, h0, Wx, Wh, b, maskzero=False):
    """SeqGRU.lua's cell (rnn), by torch ops: r, u = sigmoid(x Wx + h Wh + b) for the first 2H columns,
    hc = tanh(x Wx_c + (r h) Wh_c + b_c), h = (1 - u) hc + u h. torch.nn.GRU's cell multiplies r after the
    recurrent product (n = tanh(W_in x + b_in + r (W_hn h + b_hn))): another function. ``maskzero``: a row whose
    input is all zeros gets h = 0 (SeqGRU.lua's recursiveMask of next_h and the gates, and of its gradient)."""
    H = h0.shape[-1]
    h, ys = h0, []
    for t in range(x.shape[0]):
        a = x[t] @ Wx[:, :2 * H] + h @ Wh[:, :2 * H] + b[:2 * H]
        rr, u = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:])
        hc = torch.tanh(x[t] @ Wx[:, 2 * H:] + (rr * h) @ Wh[:, 2 * H:] + b[2 * H:])
        h = (1 - u) * hc + u * h
        if maskzero:
            h = h * (x[t].detach().abs().sum(1, keepdim=True) != 0)
        ys.append(h)
    return torch.stack(ys)


@pytest.mark.parametrize('states', [False, True, 'maskzero'], ids=['zeros', 'h0', 'maskzero'])
def test_seq_gru(states):
    r = rng(41)
    D, H, T_, N_ = 3, 4, 4, 2
    m = nn.SeqGRU(D, H, maskzero=states == 'maskzero').double()
    m.weight.copy(L(r.normal(size=(D + H, 3 * H)) * 0.5))
    m.bias.copy(L(r.normal(size=3 * H) * 0.5))
    x, go, h0 = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H)), r.normal(size=(N_, H))
    if states == 'maskzero':
        x[1, 0] = x[3, 1] = 0
        states = False
    out, gi = legonn_pass(m, [L(h0), L(x)] if states else L(x), L(go))
    tW, tb, tx = T(m.weight.numpy()), T(m.bias.numpy()), T(x)
    th = T(h0 if states else np.zeros((N_, H)))
    y = _rnn_gru_torch(tx, th, tW[:D], tW[D:], tb, m.maskzero)
    y.backward(torch.as_tensor(go))
    close(out, y)
    close(gi, [th.grad, tx.grad] if states else tx.grad)
    close(m.gradWeight, SCALE * tW.grad)
    close(m.gradBias, SCALE * tb.grad)
    # torch.nn.GRU with the same gate weights (r, z=u, n=c) and zero recurrent biases computes other numbers
    gru = torch.nn.GRU(D, H).double()
    with torch.no_grad():
        gru.weight_ih_l0.copy_(tW[:D].T)
        gru.weight_hh_l0.copy_(tW[D:].T)
        gru.bias_ih_l0.copy_(tb)
        gru.bias_hh_l0.zero_()
    assert not np.allclose(out, N(gru(tx, th[None])[0]), rtol=1e-3)


def _sequence_pass(seq, xs, gos, scale=SCALE):
    """Forward and backward of a Sequencer over a list of steps; (outputs, gradInputs) as arrays."""
    seq.zeroGradParameters()
    out = N(seq.forward([L(x) for x in xs]))
    gi = N(seq.backward([L(x) for x in xs], [L(g) for g in gos], scale))
    return np.stack(out), np.stack(gi)


def test_fast_lstm():
    """rnn's FastLSTM: i2g (4H x D, with bias) and o2g (4H x H) rows in (i, z, f, o): torch.nn.LSTM's (i, f, g, o)
    are their blocks (0, 2, 1, 3), bias_hh 0."""
    r = rng(42)
    D, H, T_, N_ = 3, 4, 5, 2
    cell = nn.FastLSTM(D, H).double()
    cell.i2g.weight.copy(L(r.normal(size=(4 * H, D)) * 0.5))
    cell.i2g.bias.copy(L(r.normal(size=4 * H) * 0.5))
    cell.o2g.weight.copy(L(r.normal(size=(4 * H, H)) * 0.5))
    xs, gos = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H))
    out, gi = _sequence_pass(nn.Sequencer(cell), list(xs), list(gos))
    rows = _gate_blocks(H, (0, 2, 1, 3))
    ref = _torch_lstm(D, H, cell.i2g.weight.numpy()[rows], cell.o2g.weight.numpy()[rows], cell.i2g.bias.numpy()[rows])
    tx = T(xs)
    y, _ = ref(tx)
    y.backward(torch.as_tensor(gos))
    close(out, y)
    close(gi, tx.grad)
    inv = np.argsort(rows)
    close(cell.i2g.gradWeight, SCALE * ref.weight_ih_l0.grad.numpy()[inv])
    close(cell.i2g.gradBias, SCALE * ref.bias_ih_l0.grad.numpy()[inv])
    close(cell.o2g.gradWeight, SCALE * ref.weight_hh_l0.grad.numpy()[inv])


@pytest.mark.parametrize('cell2gate', [False, True], ids=['plain', 'peephole'])
def test_rnn_lstm(cell2gate):
    """rnn's LSTM.lua: four gates, each a Linear from x and a LinearNoBias from h (and with cell2gate a CMul
    peephole from c[t-1] for i and f, from c[t] for o). Without peepholes it is torch.nn.LSTM with weight_ih the
    gates' x weights in (i, f, z, o) order; the peephole LSTM has no PyTorch module and is checked against its
    equations run by autograd."""
    r = rng(43)
    D, H, T_, N_ = 3, 4, 4, 2
    cell = nn.LSTM(D, H, None, cell2gate).double()
    parts = [cell.inputGate, cell.forgetGate, cell.hiddenLayer, cell.outputGate]
    for part in parts:
        for p in part.parameters()[0]:
            p.copy(L(r.normal(size=tuple(p.size())) * 0.5))
    P = [[p.numpy().copy() for p in part.parameters()[0]] for part in parts]
    xs, gos = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H))
    out, gi = _sequence_pass(nn.Sequencer(cell), list(xs), list(gos))
    tx = T(xs)
    if not cell2gate:
        ref = _torch_lstm(D, H, np.concatenate([q[0] for q in P]), np.concatenate([q[2] for q in P]),
                          np.concatenate([q[1] for q in P]))
        y, _ = ref(tx)
        y.backward(torch.as_tensor(gos))
        grads = [np.split(g.numpy(), 4) for g in (ref.weight_ih_l0.grad, ref.bias_ih_l0.grad, ref.weight_hh_l0.grad)]
        want = [[grads[0][k], grads[1][k], grads[2][k]] for k in range(4)]
    else:
        tP = [[T(p) for p in q] for q in P]
        h = c = torch.zeros(N_, H, dtype=torch.float64)
        ys = []
        for t in range(T_):
            def pre(k, cc):
                W, b, U, peep = tP[k]
                return tx[t] @ W.T + b + h @ U.T + cc * peep
            i, f = torch.sigmoid(pre(0, c)), torch.sigmoid(pre(1, c))
            W, b, U = tP[2]
            c = f * c + i * torch.tanh(tx[t] @ W.T + b + h @ U.T)
            h = torch.sigmoid(pre(3, c)) * torch.tanh(c)
            ys.append(h)
        y = torch.stack(ys)
        y.backward(torch.as_tensor(gos))
        want = [[p.grad.numpy() for p in q] for q in tP]
    close(out, y)
    close(gi, tx.grad)
    for part, w in zip(parts, want):
        close(part.parameters()[1], [SCALE * g for g in w])


def test_rnn_gru():
    """rnn's GRU.lua: the reset gate before the recurrent product, as SeqGRU (its maths by autograd)."""
    r = rng(44)
    D, H, T_, N_ = 3, 4, 4, 2
    cell = nn.GRU(D, H).double()
    params, grads = cell.parameters()
    assert [tuple(p.size()) for p in params] == [(2 * H, D), (2 * H,), (2 * H, H), (H, D), (H,), (H, H)]
    for p in params:
        p.copy(L(r.normal(size=tuple(p.size())) * 0.5))
    xs, gos = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H))
    out, gi = _sequence_pass(nn.Sequencer(cell), list(xs), list(gos))
    tp = [T(p.numpy()) for p in params]
    Wx = torch.cat([tp[0].T, tp[3].T], 1)
    Wh = torch.cat([tp[2].T, tp[5].T], 1)
    b = torch.cat([tp[1], tp[4]])
    tx = T(xs)
    y = _rnn_gru_torch(tx, torch.zeros(N_, H, dtype=torch.float64), Wx, Wh, b)
    y.backward(torch.as_tensor(gos))
    close(out, y)
    close(gi, tx.grad)
    close(grads, [SCALE * p.grad.numpy() for p in tp])


@pytest.mark.parametrize('name,layers', [('LSTM', 1), ('LSTM', 2), ('GRU', 1), ('GRU', 2), ('BLSTM', 2), ('BGRU', 1),
                                         ('RNNTanh', 2), ('RNNReLU', 1)])
@pytest.mark.parametrize('batchFirst', [False, True])
def test_cudnn_rnn(name, layers, batchFirst):
    """cudnn.LSTM / GRU / BLSTM / BGRU / RNNTanh / RNNReLU: cuDNN's per-gate matrices (weights()) and two biases
    (biases()) are torch.nn.LSTM / GRU / RNN's weight_ih, weight_hh, bias_ih, bias_hh, gates in the same order
    (LSTM i, f, g, o; GRU r, z, n), layers and directions in the same order; initial states hiddenInput /
    cellInput and their gradients, final states, the flat gradWeight (with scale)."""
    r = rng(45)
    D, H, T_, N_ = 3, 4, 5, 2
    bi = name.startswith('B')
    m = getattr(cudnn, name)(D, H, layers, batchFirst).double()
    nd = 2 if bi else 1
    lstm = 'LSTM' in name
    kind = torch.nn.LSTM if lstm else torch.nn.GRU if 'GRU' in name else torch.nn.RNN
    x = r.normal(size=(N_, T_, D) if batchFirst else (T_, N_, D))
    go = r.normal(size=x.shape[:2] + (nd * H,))
    h0, c0 = r.normal(size=(layers * nd, N_, H)), r.normal(size=(layers * nd, N_, H))
    m.hiddenInput = L(h0)
    if lstm:
        m.cellInput = L(c0)
    m.training()
    out, gi = legonn_pass(m, L(x), L(go))
    extra = {'nonlinearity': 'relu' if 'ReLU' in name else 'tanh'} if kind is torch.nn.RNN else {}
    ref = kind(D, H, layers, batch_first=batchFirst, bidirectional=bi, **extra).double()
    Ws, Bs = m.weights(), m.biases()
    G = 4 if lstm else 3 if 'GRU' in name else 1
    with torch.no_grad():
        for layer in range(layers):
            for d in range(nd):
                pl, sfx = layer * nd + d, f"l{layer}" + ('_reverse' if d else '')
                for k, kind in enumerate(('weight_ih', 'weight_hh')):
                    blocks = [N(w) for w in Ws[pl][k * G:(k + 1) * G]]
                    getattr(ref, f"{kind}_{sfx}").copy_(torch.as_tensor(np.concatenate(blocks).reshape(G * H, -1)))
                for k, kind in enumerate(('bias_ih', 'bias_hh')):
                    getattr(ref, f"{kind}_{sfx}").copy_(torch.as_tensor(np.concatenate(
                        [N(b) for b in Bs[pl][k * G:(k + 1) * G]])))
    tx, th, tc = T(x), T(h0), T(c0)
    y, states = ref(tx, (th, tc) if lstm else th)
    y.backward(torch.as_tensor(go))
    close(out, y)
    close(gi, tx.grad)
    close(m.hiddenOutput, states[0] if lstm else states)
    close(m.gradHiddenInput, th.grad)
    if lstm:
        close(m.cellOutput, states[1])
        close(m.gradCellInput, tc.grad)
    # the flat gradient, read through the same per-gate views as the weight
    m.weight, saved = m.gradWeight, m.weight
    gWs, gBs = m.weights(), m.biases()
    m.weight = saved
    for layer in range(layers):
        for d in range(nd):
            pl, sfx = layer * nd + d, f"l{layer}" + ('_reverse' if d else '')
            for k, kind in enumerate(('weight_ih', 'weight_hh')):
                close(np.concatenate([N(w) for w in gWs[pl][k * G:(k + 1) * G]]),
                      SCALE * getattr(ref, f"{kind}_{sfx}").grad.numpy().reshape(-1))
            for k, kind in enumerate(('bias_ih', 'bias_hh')):
                close(np.concatenate([N(b) for b in gBs[pl][k * G:(k + 1) * G]]),
                      SCALE * getattr(ref, f"{kind}_{sfx}").grad.numpy())


@pytest.mark.parametrize('batchfirst', [False, True])
def test_seq_lstm_maskzero(batchfirst):
    """SeqLSTM.lua with maskzero: a step whose input row is all zeros gets zero h, c (and gates), so the next step
    restarts from zeros: torch.nn.LSTMCell step by step, h and c multiplied by the row's keep mask."""
    r = rng(46)
    D, H, T_, N_ = 3, 4, 5, 3
    m = nn.SeqLSTM(D, H, maskzero=True).double()
    m.batchfirst = batchfirst
    m.weight.copy(L(r.normal(size=(D + H, 4 * H)) * 0.5))
    m.bias.copy(L(r.normal(size=4 * H) * 0.5))
    x, go = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H))
    x[1, 0] = x[3, 2] = x[4, 2] = 0
    xt = lambda a: a.transpose(1, 0, 2).copy() if batchfirst else a  # noqa: E731
    out, gi = legonn_pass(m, L(xt(x)), L(xt(go)))
    lstm = _torch_lstm_of(m)
    ref = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for name in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'):
            getattr(ref, name).copy_(getattr(lstm, name + '_l0'))
    tx = T(x)
    h = c = torch.zeros(N_, H, dtype=torch.float64)
    ys = []
    for t in range(T_):
        keep = torch.as_tensor((np.abs(x[t]).sum(1) != 0).astype(np.float64))[:, None]
        h, c = ref(tx[t], (h, c))
        h, c = h * keep, c * keep
        ys.append(h)
    y = torch.stack(ys)
    y.backward(torch.as_tensor(go))
    close(out, xt(N(y)))
    close(gi, xt(tx.grad.numpy()))
    _assert_seq_lstm_gradients(m, ref.weight_ih.grad, ref.weight_hh.grad, ref.bias_ih.grad)


# --- Normalize -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('p', [2, 3, 4, 1, 1.5, float('inf')])
@pytest.mark.parametrize('shape', [(6,), (3, 6)], ids=['1d', 'batch'])
def test_normalize(p, shape):
    """Normalize.lua: x / (sum |x|^p + 1e-10)^(1/p) (p = inf: x / (max |x| + 1e-10)); F.normalize divides by
    max(|x|_p, 1e-12), the same to 1e-10 relative at norms of order 1. For p >= 2 the Lua's gradient is the
    derivative of its forward (autograd's, to 1e-10); for p < 2 it takes (|x| + eps)^(p-2) x and for p = inf
    x[argmax] / norm where the derivative has |x|^(p-2) x and sign(x[argmax]) (Normalize.lua:83-85, :74-75): those
    differ from autograd's by about eps / |x| relative, 1e-8 here (tests/modules/test_reductions.py checks the
    Lua's formula exactly, with a large eps)."""
    r = rng(47)
    x, go = r.normal(size=shape), r.normal(size=shape)
    out, gi = legonn_pass(nn.Normalize(p), L(x), L(go))
    tx = T(x.reshape(-1, shape[-1]))
    if p == float('inf'):
        y = tx / (tx.abs().max(1, keepdim=True)[0] + 1e-10)
    else:
        y = tx / ((tx.abs() ** p).sum(1, keepdim=True) + 1e-10) ** (1 / p)
    close(out, y.reshape(shape))
    close(out, F.normalize(tx, p=p, dim=1).reshape(shape), rtol=1e-9)
    (gx,) = torch_pass(y, [tx], go.reshape(-1, shape[-1]))
    close(gi, gx.reshape(shape), rtol=1e-10 if p >= 2 and p != float('inf') else 1e-7)


@pytest.mark.parametrize('R', [None, 2, 6], ids=['plain', 'proj2', 'proj6'])
def test_step_lstm(R):
    """torch/rnn's StepLSTM {x, h[t-1], c[t-1]} -> {h[t], c[t]}, SeqLSTM's weight layout; with outputsize R the
    hidden o tanh(c) is projected by weightO (H x R): torch.nn.LSTM(proj_size=R)'s weight_hr = weightO^T, one step
    from the given states (the projection needs R < H in PyTorch: R = 6 > H = 4 is checked by autograd of the
    same equations)."""
    r = rng(48)
    D, H, N_ = 3, 4, 3
    m = nn.StepLSTM(D, H, R).double()
    Rw = H if R is None else R
    m.weight.copy(L(r.normal(size=(D + Rw, 4 * H)) * 0.5))
    m.bias.copy(L(r.normal(size=4 * H) * 0.5))
    if R is not None:
        m.weightO.copy(L(r.normal(size=(H, R)) * 0.5))
    x, h0, c0 = r.normal(size=(N_, D)), r.normal(size=(N_, Rw)), r.normal(size=(N_, H))
    gh, gc = r.normal(size=(N_, Rw)), r.normal(size=(N_, H))
    m.zeroGradParameters()
    inp = [L(x), L(h0), L(c0)]
    out = N(m.forward(inp))
    gi = N(m.backward(inp, [L(gh), L(gc)], SCALE))
    cols = _seq_lstm_columns(H)
    W, b = m.weight.numpy(), m.bias.numpy()
    tx, th, tc = T(x), T(h0), T(c0)
    tWi, tWh, tb = T(W[:D, cols].T), T(W[D:, cols].T), T(b[cols])
    tWo = T(m.weightO.numpy()) if R is not None else None
    a = tx @ tWi.T + th @ tWh.T + tb
    i, f, g, o = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H]), torch.tanh(a[:, 2 * H:3 * H]), \
        torch.sigmoid(a[:, 3 * H:])
    c = f * tc + i * g
    h = o * torch.tanh(c)
    if R is not None:
        h = h @ tWo
    if R is None or R < H:   # the same step by torch.nn.LSTM (with its projection)
        with torch.no_grad():
            y, (_, cT) = _torch_lstm_of(m)(T(x[None], False), (T(h0[None], False), T(c0[None], False)))
        close(h, y[0])
        close(c, cT[0])
    torch.autograd.backward([h, c], [torch.as_tensor(gh), torch.as_tensor(gc)])
    close(out, [h, c])
    close(gi, [tx.grad, th.grad, tc.grad])
    _assert_seq_lstm_gradients(m, tWi.grad, tWh.grad, tb.grad, None if R is None else tWo.grad.T)


def test_step_gru():
    """torch/rnn's StepGRU {x, h[t-1]} -> h[t]: SeqGRU's cell, one step."""
    r = rng(49)
    D, H, N_ = 3, 4, 2
    m = nn.StepGRU(D, H).double()
    m.weight.copy(L(r.normal(size=(D + H, 3 * H)) * 0.5))
    m.bias.copy(L(r.normal(size=3 * H) * 0.5))
    x, h0, go = r.normal(size=(N_, D)), r.normal(size=(N_, H)), r.normal(size=(N_, H))
    out, gi = legonn_pass(m, [L(x), L(h0)], L(go))
    tW, tb, tx, th = T(m.weight.numpy()), T(m.bias.numpy()), T(x[None]), T(h0)
    y = _rnn_gru_torch(tx, th, tW[:D], tW[D:], tb)[0]
    y.backward(torch.as_tensor(go))
    close(out, y)
    close(gi, [tx.grad[0], th.grad])
    close(m.gradWeight, SCALE * tW.grad)
    close(m.gradBias, SCALE * tb.grad)


@pytest.mark.parametrize('R', [2, 3])
def test_seq_lstmp(R):
    """rnn's SeqLSTMP (hiddensize H, outputsize R): torch.nn.LSTM(proj_size=R), weight_hr = weightO^T."""
    r = rng(50)
    D, H, T_, N_ = 3, 4, 4, 2
    m = nn.SeqLSTMP(D, H, R).double()
    m.weight.copy(L(r.normal(size=(D + R, 4 * H)) * 0.5))
    m.bias.copy(L(r.normal(size=4 * H) * 0.5))
    m.weightO.copy(L(r.normal(size=(H, R)) * 0.5))
    x, go = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, R))
    out, gi = legonn_pass(m, L(x), L(go))
    ref = _torch_lstm_of(m)
    tx = T(x)
    y, _ = ref(tx)
    y.backward(torch.as_tensor(go))
    close(out, y)
    close(gi, tx.grad)
    _assert_seq_lstm_gradients(m, ref.weight_ih_l0.grad, ref.weight_hh_l0.grad, ref.bias_ih_l0.grad,
                               ref.weight_hr_l0.grad)


def test_seq_lstm_remember():
    """remember(): the second forward starts from the first's final h and c (torch.nn.LSTM given them)."""
    r = rng(51)
    D, H, N_ = 3, 4, 2
    m = nn.SeqLSTM(D, H).double()
    m.remember()
    x1, x2 = r.normal(size=(3, N_, D)), r.normal(size=(2, N_, D))
    o1 = N(m.forward(L(x1)))
    o2 = N(m.forward(L(x2)))
    ref = _torch_lstm_of(m)
    with torch.no_grad():
        y1, state = ref(torch.as_tensor(x1))
        y2, _ = ref(torch.as_tensor(x2), state)
    close(o1, y1)
    close(o2, y2)


# --- NaN branches ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('name', ['Max', 'Min'])
def test_max_min_nan(name):
    """TH's max/min over a dimension stop at the first NaN (torch7 lib/TH/generic/THTensorMath.c:1582, :1662):
    value NaN, its index; torch.max / torch.min over a dimension give the same."""
    x = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 5.0, 1.0, 0.0]])
    tx = T(x)
    y, i = getattr(torch, name.lower())(tx, 1)
    m = getattr(nn, name)(1)
    out = N(m.forward(L(x)))
    np.testing.assert_array_equal(out, y.detach().numpy())
    np.testing.assert_array_equal(N(m._indices), i.numpy())
    assert N(m._indices)[0] == 1


@pytest.mark.parametrize('name', ['CMaxTable', 'CMinTable'])
def test_extremum_tables_nan(name):
    """CMaxTable.lua's mask is gt(input[i], output) (CMinTable.lua's lt): a NaN never wins, so a NaN in input[1]
    is ignored and one in input[0] stays; torch.maximum / minimum propagate any NaN: the documented difference."""
    a = np.array([1.0, np.nan, 2.0])
    b = np.array([np.nan, 0.5, 1.5])
    out = N(getattr(nn, name)().forward([L(a), L(b)]))
    theirs = N((torch.maximum if name == 'CMaxTable' else torch.minimum)(T(a), T(b)))
    np.testing.assert_array_equal(out, [1.0, np.nan, 2.0 if name == 'CMaxTable' else 1.5])
    np.testing.assert_array_equal(theirs, [np.nan, np.nan, 2.0 if name == 'CMaxTable' else 1.5])
