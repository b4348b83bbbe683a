"""legonn's criterions against PyTorch's losses (torch.nn.functional descends from THNN), in float64.

Each case runs a legonn criterion (forward, which must return a Python float, then backward) and the PyTorch
counterpart (its forward and autograd gradient) on the same seeded data, and compares loss and gradInput to
rtol 1e-10. Where Torch7 and PyTorch compute different numbers, legonn follows Torch7 (the contract) and the
case asserts the difference is exactly the documented one. Criterions PyTorch has no loss for are compared with
autograd through PyTorch's own pieces (l1_loss, clamp, cross_entropy with probability targets); those with no
counterpart at all (ClassSimplexCriterion, NCECriterion, the reward criterions) are not here.
Labels: legonn's are 0-based, as PyTorch's, so they pass unchanged.

Skipped where torch is not installed (CI): this file is the project's audit, run where it is.
"""
import zlib

import numpy as np
import pytest

torch = pytest.importorskip('torch')
F = torch.nn.functional

import legonn as lg  # noqa: E402
from legonn import nn  # noqa: E402

RTOL, ATOL = 1e-10, 1e-13
REDUCTION = {True: 'mean', False: 'sum'}


def rng(seed):
    return np.random.default_rng(seed)


def strided(a):
    """A non-contiguous float64 view holding ``a``'s values, NaN between them (a read of the wrong element shows)."""
    a = np.asarray(a, dtype=np.float64)
    big = np.full(a.shape + (2,), np.nan)
    big[..., 0] = a
    return big[..., 0]


def D(a, noncontig=False):
    a = np.asarray(a, dtype=np.float64)
    return lg.DoubleTensor(strided(a) if noncontig else a)


def L(a, noncontig=False):
    a = np.asarray(a, dtype=np.int64)
    if noncontig:   # every other element of a wider array, the ones between a class that would be wrong
        wide = np.full(a.shape + (2,), 1)
        wide[..., 0] = a
        a = wide[..., 0]
    return lg.LongTensor(a)


def arrays(grad):
    """gradInput (a tensor or a list of them) as a list of NumPy copies."""
    grads = grad if isinstance(grad, list) else [grad]
    return [np.array(g.array) for g in grads]


def run_legonn(crit, input, target=None, *extra):
    """(loss, [gradInput arrays]) of a float64 legonn criterion; the loss must be a Python float, kept in output."""
    crit.double()
    loss = crit.forward(input, target, *extra)
    assert type(loss) is float, f"{crit!r}: forward returned a {type(loss).__name__}"
    assert crit.output == loss or isinstance(crit, nn.CTCCriterion)   # CTC's output keeps the sum (see there)
    return loss, arrays(crit.backward(input, target, *extra))


def run_torch(fn, inputs):
    """(loss, [gradients]) of ``fn(*inputs)`` by autograd; inputs are NumPy arrays."""
    xs = [torch.tensor(np.ascontiguousarray(a, dtype=np.float64), requires_grad=True) for a in inputs]
    loss = fn(*xs)
    loss.backward()
    return loss.item(), [x.grad.numpy() for x in xs]


def assert_parity(ours, theirs, rtol=RTOL, factor=1.0, atol=ATOL):
    """legonn's (loss, grads) equal PyTorch's, times ``factor`` where a documented difference scales both."""
    (loss, grads), (ref_loss, ref_grads) = ours, theirs
    np.testing.assert_allclose(loss, ref_loss * factor, rtol=rtol, atol=atol)
    assert len(grads) == len(ref_grads)
    for g, r in zip(grads, ref_grads):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r * factor, rtol=rtol, atol=atol)


def t_(a, dtype=torch.float64):
    return torch.tensor(np.asarray(a), dtype=dtype)


def log_probs(shape, seed):
    x = rng(seed).standard_normal(shape)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def signs(shape, seed):
    return rng(seed).choice([-1.0, 1.0], shape)


def summing(crit, sizeAverage):
    crit.sizeAverage = sizeAverage
    return crit


# --- element-wise losses: any shape, target of the input's size -------------------------------------------------
SHAPES = [(1,), (7,), (4, 5), (2, 3, 4)]


def _elementwise():
    """name -> (criterion of sizeAverage, input maker, target maker, PyTorch loss of (x, t, reduction))."""
    normal = lambda scale: lambda s, seed: rng(seed).standard_normal(s) * scale   # noqa: E731
    return {
        'MSECriterion': (lambda avg: nn.MSECriterion(avg), normal(2), normal(1),
                         lambda x, t, red: F.mse_loss(x, t, reduction=red)),
        'AbsCriterion': (lambda avg: nn.AbsCriterion(avg), normal(2), normal(1),
                         lambda x, t, red: F.l1_loss(x, t, reduction=red)),
        'SmoothL1Criterion': (lambda avg: nn.SmoothL1Criterion(avg), normal(2), normal(1),
                              lambda x, t, red: F.smooth_l1_loss(x, t, reduction=red, beta=1.0)),
        'SoftMarginCriterion': (lambda avg: summing(nn.SoftMarginCriterion(), avg), normal(3), signs,
                                lambda x, t, red: F.soft_margin_loss(x, t, reduction=red)),
        'DistKLDivCriterion': (lambda avg: summing(nn.DistKLDivCriterion(), avg), log_probs,
                               lambda s, seed: rng(seed).uniform(0, 1, s) * (rng(seed + 1).uniform(size=s) > 0.3),
                               # kl_div's 'mean' (over elements) warns of a coming change: its 'sum' over nElement
                               lambda x, t, red: F.kl_div(x, t, reduction='sum') / (x.numel() if red == 'mean'
                                                                                    else 1)),
        'BCECriterion': (lambda avg: nn.BCECriterion(None, avg), lambda s, seed: rng(seed).uniform(0.02, 0.98, s),
                         lambda s, seed: rng(seed).uniform(0, 1, s),
                         lambda x, t, red: F.binary_cross_entropy(x, t, reduction=red)),
        'BCECriterion-binary': (lambda avg: nn.BCECriterion(None, avg),
                                lambda s, seed: rng(seed).uniform(0.02, 0.98, s),
                                lambda s, seed: (rng(seed).uniform(0, 1, s) > 0.5) * 1.0,
                                lambda x, t, red: F.binary_cross_entropy(x, t, reduction=red)),
        'HingeEmbeddingCriterion': (lambda avg: summing(nn.HingeEmbeddingCriterion(), avg), normal(1.5), signs,
                                    lambda x, t, red: F.hinge_embedding_loss(x, t, margin=1.0, reduction=red)),
        'HingeEmbeddingCriterion-margin2': (lambda avg: summing(nn.HingeEmbeddingCriterion(2), avg), normal(1.5),
                                           signs, lambda x, t, red: F.hinge_embedding_loss(x, t, 2.0, reduction=red)),
        # no loss in torch.nn (it was legacy nn's): autograd of max(0, margin - x y) through clamp
        'MarginCriterion': (lambda avg: summing(nn.MarginCriterion(), avg), normal(1.5), signs,
                            lambda x, t, red: getattr(torch.clamp(1 - x * t, min=0), red)()),
        'MarginCriterion-margin0.3': (lambda avg: summing(nn.MarginCriterion(0.3), avg), normal(1.5), signs,
                                      lambda x, t, red: getattr(torch.clamp(0.3 - x * t, min=0), red)()),
        # BinaryLogisticRegression (dpnn) is SoftMarginCriterion's loss on 1-D / (batch, 1) scores
        'BinaryLogisticRegression': (lambda avg: nn.BinaryLogisticRegression(avg), normal(3), signs,
                                     lambda x, t, red: F.soft_margin_loss(x, t, reduction=red)),
    }


ELEMENTWISE = _elementwise()
BLR_SHAPES = [(1,), (7,), (4, 1)]


@pytest.mark.parametrize('noncontig', [False, True], ids=['contig', 'strided'])
@pytest.mark.parametrize('sizeAverage', [True, False], ids=['avg', 'sum'])
@pytest.mark.parametrize('shape', SHAPES, ids=lambda s: 'x'.join(map(str, s)))
@pytest.mark.parametrize('name', sorted(ELEMENTWISE))
def test_elementwise(name, shape, sizeAverage, noncontig):
    if name == 'BinaryLogisticRegression' and shape not in BLR_SHAPES:
        shape = BLR_SHAPES[SHAPES.index(shape) % len(BLR_SHAPES)]
    make, make_x, make_t, ref = ELEMENTWISE[name]
    seed = zlib.crc32(f'{name}{shape}'.encode()) % 1000
    x, t = make_x(shape, seed), make_t(shape, seed + 7)
    ours = run_legonn(make(sizeAverage), D(x, noncontig), D(t, noncontig))
    tt = t_(t)
    theirs = run_torch(lambda xx: ref(xx, tt, REDUCTION[sizeAverage]), [x])
    # BCE: Torch7 adds EPS = 1e-12 inside its logs and denominators (THNN BCECriterion.c:24,57); PyTorch clamps
    # the log at -100 and the denominator at 1e-12 instead: relative differences of 1e-12 / x, ~1e-10 here
    assert_parity(ours, theirs, rtol=1e-9 if name.startswith('BCE') else RTOL)


@pytest.mark.parametrize('sizeAverage', [True, False], ids=['avg', 'sum'])
def test_bce_weights(sizeAverage):
    """BCECriterion(weights): one weight per column of a 2-D target (BCECriterion.lua's view(1, n):expandAs), one
    per element of a 1-D target; PyTorch's weight broadcasts against the input, the same pairing."""
    x, t = rng(1).uniform(0.05, 0.95, (4, 5)), rng(2).uniform(0, 1, (4, 5))
    w = rng(3).uniform(0.1, 2, 5)
    ours = run_legonn(nn.BCECriterion(D(w), sizeAverage), D(x), D(t))
    theirs = run_torch(lambda xx: F.binary_cross_entropy(xx, t_(t), t_(w), reduction=REDUCTION[sizeAverage]), [x])
    assert_parity(ours, theirs, rtol=1e-9)
    x1, t1, w1 = x[0], t[0], w   # 1-D: per element
    ours = run_legonn(nn.BCECriterion(D(w1), sizeAverage), D(x1), D(t1))
    theirs = run_torch(lambda xx: F.binary_cross_entropy(xx, t_(t1), t_(w1), reduction=REDUCTION[sizeAverage]),
                       [x1])
    assert_parity(ours, theirs, rtol=1e-9)


def test_bce_saturated_probabilities():
    """At x = 0 or 1 against the other label, Torch7 takes log(0 + 1e-12) = -27.63 (THNN BCECriterion.c:24,
    ``log(x + EPS)``) and a gradient of -norm (y - x) / ((1 - x + EPS)(x + EPS)) ~ 1e12 (:57); PyTorch clamps the
    log at -100 (ATen Loss.cpp binary_cross_entropy) and divides by max((1 - x) x, 1e-12). legonn follows Torch7."""
    x, t = np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    (loss, (grad,)) = run_legonn(nn.BCECriterion(None, False), D(x), D(t))
    eps = 1e-12
    expected = -np.log(eps) * 2 - np.log(0.5 + eps)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    np.testing.assert_allclose(grad, -(t - x) / ((1 - x + eps) * (x + eps)), rtol=1e-12)
    ref_loss, (ref_grad,) = run_torch(lambda xx: F.binary_cross_entropy(xx, t_(t), reduction='sum'), [x])
    np.testing.assert_allclose(ref_loss, 200 - np.log(0.5), rtol=1e-12)   # PyTorch's -100 clamp, twice
    assert abs(loss - ref_loss) > 140
    np.testing.assert_allclose(grad[2], ref_grad[2], rtol=1e-10)          # away from the clamps they agree


def test_abs_gradient_at_zero_difference():
    """Where x == t Torch7's AbsCriterion gradient is +norm (THNN AbsCriterion.c:36, ``(x - t) >= 0 ? norm :
    -norm``); PyTorch's l1_loss gives sign(0) = 0 there. legonn follows Torch7."""
    x, t = np.array([1.5, -2.0, 0.25, 3.0]), np.array([1.5, -2.0, 0.5, 2.0])
    ours = run_legonn(nn.AbsCriterion(), D(x), D(t))
    theirs = run_torch(lambda xx: F.l1_loss(xx, t_(t)), [x])
    np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL)
    np.testing.assert_array_equal(ours[1][0], [0.25, 0.25, -0.25, 0.25])
    np.testing.assert_array_equal(theirs[1][0], [0.0, 0.0, -0.25, 0.25])


def test_smoothl1_at_the_joins():
    """|x - t| exactly 1 and 0: THNN SmoothL1Criterion.c's branches (z < 1, clipped gradient) meet PyTorch's."""
    x, t = np.array([2.0, -1.0, 0.5, 0.0, 3.5]), np.array([1.0, 0.0, 0.5, 1e-3, 0.0])
    for avg in (True, False):
        ours = run_legonn(nn.SmoothL1Criterion(avg), D(x), D(t))
        assert_parity(ours, run_torch(lambda xx: F.smooth_l1_loss(xx, t_(t), reduction=REDUCTION[avg]), [x]))


def test_huge_margins():
    """Scores of +-800 against +-1 labels. MultiLabelSoftMarginCriterion's overflow-free form is Torch7's own
    (MultiLabelSoftMarginCriterion.lua:46-51) and PyTorch's: they agree. SoftMarginCriterion: Torch7 computes
    ``log(1. + exp(-x y))`` (THNN SoftMarginCriterion.c:19), which overflows to inf at x y = -800, as PyTorch's
    soft_margin_loss does; legonn's log1p form stays finite (a deliberate deviation where Torch7 overflows,
    equal to Torch7's value to rounding wherever exp(-x y) is finite)."""
    x, y = np.array([800.0, -800.0, 30.0, -30.0, 0.0]), np.array([-1.0, 1.0, 1.0, -1.0, 1.0])
    loss, (grad,) = run_legonn(summing(nn.SoftMarginCriterion(), False), D(x), D(y))
    np.testing.assert_allclose(loss, np.logaddexp(0, -x * y).sum(), rtol=RTOL)
    np.testing.assert_allclose(grad, -y / (1 + np.exp(x * y)), rtol=RTOL)
    ref_loss, (ref_grad,) = run_torch(lambda xx: F.soft_margin_loss(xx, t_(y), reduction='sum'), [x])
    assert ref_loss == np.inf
    finite = np.abs(x) < 100   # exp(-x y) finite: legonn, Torch7 and PyTorch agree
    assert_parity(run_legonn(summing(nn.SoftMarginCriterion(), False), D(x[finite]), D(y[finite])),
                  run_torch(lambda xx: F.soft_margin_loss(xx, t_(y[finite]), reduction='sum'), [x[finite]]))
    t01 = (y + 1) / 2
    ours = run_legonn(nn.MultiLabelSoftMarginCriterion(), D(x[None]), D(t01[None]))
    assert_parity(ours, run_torch(lambda xx: F.multilabel_soft_margin_loss(xx, t_(t01[None])), [x[None]]))


def test_distkldiv_zero_targets():
    """A target 0 adds 0 and gets gradient 0 (THNN DistKLDivCriterion.c:18,40, ``target > 0 ? ... : 0``), as in
    PyTorch's kl_div for a finite input. Against an input of -inf (a log-probability of 0) Torch7's select still
    gives 0, where PyTorch's ``target * input`` term gives 0 * -inf = NaN (ATen Loss.cpp kl_div). legonn: Torch7's."""
    x, t = np.array([-3.0, -1.0, -0.5, -2.0]), np.array([0.0, 0.3, 0.0, 0.7])
    crit = summing(nn.DistKLDivCriterion(), False)
    assert_parity(run_legonn(crit, D(x), D(t)), run_torch(lambda xx: F.kl_div(xx, t_(t), reduction='sum'), [x]))
    x[0] = -np.inf
    loss, (grad,) = run_legonn(crit, D(x), D(t))
    np.testing.assert_allclose(loss, (t[t > 0] * (np.log(t[t > 0]) - x[t > 0])).sum(), rtol=RTOL)
    np.testing.assert_array_equal(grad, -t)
    ref_loss, _ = run_torch(lambda xx: F.kl_div(xx, t_(t), reduction='sum'), [x])
    assert np.isnan(ref_loss)


# --- class labels ------------------------------------------------------------------------------------------------
NLL_CASES = [  # (input shape, weights?, sizeAverage, ignoreIndex setting)
    ((5,), False, True, None), ((5,), True, True, None), ((5,), True, False, None), ((1,), False, True, None),
    ((1, 5), True, True, None), ((6, 5), False, True, None), ((6, 5), True, True, None),
    ((6, 5), True, False, None), ((6, 5), False, False, None), ((7, 1), True, True, None),
    ((6, 5), True, True, -1), ((6, 5), False, False, -1), ((6, 5), True, True, 2), ((6, 5), True, False, 2),
]


def _nll_data(shape, weighted, ignore, seed):
    x = log_probs(shape, seed)
    rows = shape[0] if len(shape) == 2 else 1
    labels = rng(seed + 1).integers(0, shape[-1], rows)
    if ignore == -1:
        labels[::3] = -1
    w = rng(seed + 2).uniform(0.2, 3, shape[-1]) if weighted else None
    return x, labels, w


def _nll_crit(make, w, sizeAverage, ignore):
    crit = make(None if w is None else D(w), sizeAverage)
    if ignore is not None:   # set after construction: CrossEntropyCriterion's is its nll's, as in Torch7
        (crit.nll if isinstance(crit, nn.CrossEntropyCriterion) else crit).ignoreIndex = ignore
    return crit


def _torch_labels(labels, shape):
    return torch.tensor(labels if len(shape) == 2 else labels[0], dtype=torch.long)


@pytest.mark.parametrize('noncontig', [False, True], ids=['contig', 'strided'])
@pytest.mark.parametrize('case', NLL_CASES, ids=lambda c: f"{'x'.join(map(str, c[0]))}-w{int(c[1])}-"
                                                         f"{'avg' if c[2] else 'sum'}-ign{c[3]}")
@pytest.mark.parametrize('name', ['ClassNLLCriterion', 'CrossEntropyCriterion'])
def test_class_labels(name, case, noncontig):
    shape, weighted, sizeAverage, ignore = case
    x, labels, w = _nll_data(shape, weighted, ignore, len(shape) * 10 + shape[-1])
    if name == 'CrossEntropyCriterion':
        x = x * 3 + 1   # scores, not log-probabilities
    crit = _nll_crit(getattr(nn, name), w, sizeAverage, ignore)
    target = L(labels, noncontig) if len(shape) == 2 else int(labels[0])
    ours = run_legonn(crit, D(x, noncontig), target)
    wt = None if w is None else t_(w)
    ref = F.nll_loss if name == 'ClassNLLCriterion' else F.cross_entropy
    theirs = run_torch(lambda xx: ref(xx, _torch_labels(labels, shape), weight=wt,
                                      ignore_index=-100 if ignore is None else ignore,
                                      reduction=REDUCTION[sizeAverage]), [x])
    assert_parity(ours, theirs)
    if name == 'ClassNLLCriterion':
        kept = labels != (-100 if ignore is None else ignore)
        total = (w[labels[kept]] if w is not None else np.ones(kept.sum())).sum()
        np.testing.assert_allclose(crit.total_weight_tensor.array, [total], rtol=RTOL)


def test_classnll_every_label_ignored():
    """Every row ignored: Torch7's total weight is 0, and ``if (sizeAverage && total_weight)`` (THNN
    ClassNLLCriterion.c:71) leaves the loss 0, the gradient all 0 (:102); PyTorch's mean divides 0 by 0: NaN."""
    x, labels = log_probs((3, 4), 0), np.array([-1, -1, -1])
    crit = nn.ClassNLLCriterion(None, True, -1)
    loss, (grad,) = run_legonn(crit, D(x), L(labels))
    assert loss == 0.0 and not grad.any()
    ref_loss, (ref_grad,) = run_torch(lambda xx: F.nll_loss(xx, t_(labels, torch.long), ignore_index=-1), [x])
    assert np.isnan(ref_loss) and not ref_grad.any()


SPATIAL_CASES = [((2, 4, 3, 5), False, True), ((2, 4, 3, 5), True, True), ((2, 4, 3, 5), True, False),
                 ((4, 3, 5), True, True), ((4, 1, 1), False, False), ((1, 3, 2, 2), True, True)]


@pytest.mark.parametrize('noncontig', [False, True], ids=['contig', 'strided'])
@pytest.mark.parametrize('case', SPATIAL_CASES, ids=lambda c: f"{'x'.join(map(str, c[0]))}-w{int(c[1])}-"
                                                             f"{'avg' if c[2] else 'sum'}")
def test_spatial_class_nll(case, noncontig):
    shape, weighted, sizeAverage = case
    x = log_probs(shape[:-3] + (shape[-2], shape[-1], shape[-3]), len(shape) + shape[-1])
    x = np.moveaxis(x, -1, -3)   # log-softmax over the class dimension
    labels = rng(3).integers(0, shape[-3], shape[:-3] + shape[-2:])
    w = rng(4).uniform(0.2, 3, shape[-3]) if weighted else None
    crit = nn.SpatialClassNLLCriterion(None if w is None else D(w), sizeAverage)
    ours = run_legonn(crit, D(x, noncontig), L(labels, noncontig))
    batched = (lambda a: a) if len(shape) == 4 else (lambda a: a[None])   # PyTorch reads 3-D as (N, C, L)
    theirs = run_torch(lambda xx: F.nll_loss(batched(xx), t_(batched(labels), torch.long),
                                             weight=None if w is None else t_(w),
                                             reduction=REDUCTION[sizeAverage]), [x])
    assert_parity(ours, theirs)


# --- multi-class margins -----------------------------------------------------------------------------------------
MULTIMARGIN_CASES = [(p, margin, weighted, avg, shape) for p in (1, 2) for margin in (1.0, 0.4, 2.5)
                     for weighted in (False, True) for avg in (True, False) for shape in ((5,), (6, 5))] + \
                    [(1, 1.0, False, True, (3, 1)), (2, 1.0, True, False, (1, 7))]


@pytest.mark.parametrize('noncontig', [False, True], ids=['contig', 'strided'])
@pytest.mark.parametrize('case', MULTIMARGIN_CASES,
                         ids=lambda c: f"p{c[0]}-m{c[1]}-w{int(c[2])}-{'avg' if c[3] else 'sum'}-"
                                       f"{'x'.join(map(str, c[4]))}")
def test_multi_margin(case, noncontig):
    p, margin, weighted, sizeAverage, shape = case
    x = rng(p * 7 + len(shape)).standard_normal(shape)
    rows = shape[0] if len(shape) == 2 else 1
    labels = rng(5).integers(0, shape[-1], rows)
    w = rng(6).uniform(0.2, 3, shape[-1]) if weighted else None
    crit = summing(nn.MultiMarginCriterion(p, None if w is None else D(w), margin), sizeAverage)
    ours = run_legonn(crit, D(x, noncontig), L(labels, noncontig) if len(shape) == 2 else int(labels[0]))
    theirs = run_torch(lambda xx: F.multi_margin_loss(xx, _torch_labels(labels, shape), p=p, margin=margin,
                                                      weight=None if w is None else t_(w),
                                                      reduction=REDUCTION[sizeAverage]), [x])
    assert_parity(ours, theirs)


def _multilabel_target(rows, dim, seed):
    """Each row: a random number (0 to dim) of distinct classes, then -1 padding; row 0 has none, row 1 all."""
    r = rng(seed)
    t = np.full((rows, dim), -1)
    for i in range(rows):
        k = 0 if i == 0 else dim if i == 1 else int(r.integers(1, dim + 1))
        t[i, :k] = r.permutation(dim)[:k]
    return t


@pytest.mark.parametrize('noncontig', [False, True], ids=['contig', 'strided'])
@pytest.mark.parametrize('sizeAverage', [True, False], ids=['avg', 'sum'])
@pytest.mark.parametrize('shape', [(6,), (5, 6), (1, 1), (4, 1)], ids=lambda s: 'x'.join(map(str, s)))
def test_multilabel_margin(shape, sizeAverage, noncontig):
    rows, dim = (1,) + shape if len(shape) == 1 else shape
    x = rng(rows + dim).standard_normal((rows, dim)) * 0.8
    t = _multilabel_target(rows, dim, dim)
    if len(shape) == 1:
        x, t = x[0], np.array([2, 4, -1, 0, 1, -1])   # classes 2 and 4; what follows the first -1 is not read
    crit = summing(nn.MultiLabelMarginCriterion(), sizeAverage)
    ours = run_legonn(crit, D(x, noncontig), L(t, noncontig))
    theirs = run_torch(lambda xx: F.multilabel_margin_loss(xx, t_(t, torch.long), reduction=REDUCTION[sizeAverage]),
                       [x])
    assert_parity(ours, theirs)


@pytest.mark.parametrize('noncontig', [False, True], ids=['contig', 'strided'])
@pytest.mark.parametrize('weighted', [False, True], ids=['now', 'w'])
@pytest.mark.parametrize('shape', [(6,), (4, 6), (1, 1)], ids=lambda s: 'x'.join(map(str, s)))
def test_multilabel_soft_margin(shape, weighted, noncontig):
    """sizeAverage: Torch7 divides the sum over every element by nElement (MultiLabelSoftMarginCriterion.lua:60),
    PyTorch's 'mean' averages each row over its classes then the rows: the same number. Without sizeAverage Torch7
    sums every element; PyTorch's 'sum' sums the rows' class means (ATen Loss.cpp multilabel_soft_margin_loss:
    ``loss.sum(1) / input.size(1)``), so legonn's summed loss and gradient are PyTorch's times the class count."""
    x = rng(len(shape)).standard_normal(shape) * 2
    t = (rng(9).uniform(size=shape) > 0.5) * 1.0
    w = rng(10).uniform(0.2, 3, shape[-1]) if weighted else None
    classes = shape[-1]
    for avg in (True, False):
        crit = nn.MultiLabelSoftMarginCriterion(None if w is None else D(w), avg)
        ours = run_legonn(crit, D(x, noncontig), D(t, noncontig))
        theirs = run_torch(lambda xx: F.multilabel_soft_margin_loss(xx, t_(t), weight=None if w is None else t_(w),
                                                                    reduction=REDUCTION[avg]), [x])
        assert_parity(ours, theirs, factor=1.0 if avg else classes)


# --- pairs -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('noncontig', [False, True], ids=['contig', 'strided'])
@pytest.mark.parametrize('margin', [0.0, 0.3, -0.5])
@pytest.mark.parametrize('shape', [(5,), (1, 5), (6, 5), (6, 1)], ids=lambda s: 'x'.join(map(str, s)))
def test_cosine_embedding(shape, margin, noncontig):
    a, b = rng(1).standard_normal(shape), rng(2).standard_normal(shape)
    if len(shape) == 2 and shape[0] > 3:
        b[3] = a[3] * 2.5   # cosine 1 for y = 1 (a loss of 0 to rounding, a gradient of 0)
    rows = shape[0] if len(shape) == 2 else 1
    y = signs(rows, 3)
    if rows > 3:
        y[3] = 1
    for avg in (True, False):
        crit = summing(nn.CosineEmbeddingCriterion(margin), avg)
        target = D(y) if len(shape) == 2 else float(y[0])
        ours = run_legonn(crit, [D(a, noncontig), D(b, noncontig)], target)
        yt = t_(y) if len(shape) == 2 else t_(y[0])
        theirs = run_torch(lambda u, v: F.cosine_embedding_loss(u, v, yt, margin=margin, reduction=REDUCTION[avg]),
                           [a, b])
        assert_parity(ours, theirs)


def test_cosine_embedding_zero_vector():
    """A zero row x1: its squared norm is Torch7's epsilon 1e-12 (CosineEmbeddingCriterion.lua:45,52), as PyTorch's
    EPSILON, so its cosine is 0 and d loss / d x1 ~1e6 (an amplified rounding: rtol 1e-8), d loss / d x2 0. For
    y = -1 and margin 0 its hinge max(0, cos - margin) is exactly 0: Torch7 zeroes the gradient of every row whose
    loss is <= 0 (``_outputs <= 0``, :109-112), while PyTorch's clamp_min passes the gradient of a term at its
    bound (ATen Loss.cpp cosine_embedding_loss). legonn follows Torch7."""
    a, b = rng(1).standard_normal((3, 4)), rng(2).standard_normal((3, 4))
    a[1] = 0
    for y1 in (1.0, -1.0):
        y = np.array([1.0, y1, -1.0])
        ours = run_legonn(nn.CosineEmbeddingCriterion(0), [D(a), D(b)], D(y))
        theirs = run_torch(lambda u, v: F.cosine_embedding_loss(u, v, t_(y), margin=0.0), [a, b])
        if y1 == 1:
            assert_parity(ours, theirs, rtol=1e-8)
            assert np.abs(ours[1][0][1]).min() > 1e4
        else:   # the tie: Torch7's zero row against PyTorch's cosine gradient, the rest equal
            np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL)
            assert not ours[1][0][1].any() and np.abs(theirs[1][0][1]).min() > 1e4
            np.testing.assert_allclose(np.delete(ours[1][0], 1, 0), np.delete(theirs[1][0], 1, 0), rtol=RTOL)
            np.testing.assert_allclose(ours[1][1], theirs[1][1], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('noncontig', [False, True], ids=['contig', 'strided'])
@pytest.mark.parametrize('margin', [1.0, 0.0, 0.5])
@pytest.mark.parametrize('shape', [(1,), (7,)], ids=lambda s: 'x'.join(map(str, s)))
def test_margin_ranking(shape, margin, noncontig):
    x1, x2, y = rng(1).standard_normal(shape), rng(2).standard_normal(shape), signs(shape, 3)
    for avg in (True, False):
        crit = summing(nn.MarginRankingCriterion(margin), avg)
        target = float(y[0]) if shape == (1,) else D(y)
        ours = run_legonn(crit, [D(x1, noncontig), D(x2, noncontig)], target)
        theirs = run_torch(lambda u, v: F.margin_ranking_loss(u, v, t_(y), margin, reduction=REDUCTION[avg]),
                           [x1, x2])
        assert_parity(ours, theirs)


def test_margin_ranking_2d_divides_by_rows():
    """2-D scores: Torch7 divides by ``y:size(1)``, the rows (MarginRankingCriterion.lua:27,69-70); PyTorch's
    'mean' by every element. legonn follows Torch7: PyTorch's loss and gradient times the column count."""
    shape = (4, 3)
    x1, x2, y = rng(4).standard_normal(shape), rng(5).standard_normal(shape), signs(shape, 6)
    ours = run_legonn(nn.MarginRankingCriterion(0.5), [D(x1), D(x2)], D(y))
    theirs = run_torch(lambda u, v: F.margin_ranking_loss(u, v, t_(y), 0.5), [x1, x2])
    assert_parity(ours, theirs, factor=shape[1])


@pytest.mark.parametrize('margin', [1.0, 4.0, 100.0])
@pytest.mark.parametrize('y', [1, -1])
@pytest.mark.parametrize('shape', [(1,), (6,), (3, 4)], ids=lambda s: 'x'.join(map(str, s)))
def test_l1_hinge_embedding(shape, y, margin):
    """No loss in torch.nn: d = l1_loss(x1, x2, 'sum'), then d or max(0, margin - d) through clamp."""
    x1, x2 = rng(1).standard_normal(shape), rng(2).standard_normal(shape)
    ours = run_legonn(nn.L1HingeEmbeddingCriterion(margin), [D(x1), D(x2)], y)

    def ref(u, v):
        d = F.l1_loss(u, v, reduction='sum')
        return d if y == 1 else torch.clamp(margin - d, min=0)
    assert_parity(ours, run_torch(ref, [x1, x2]))


# --- nnx / dpnn / composite ----------------------------------------------------------------------------------------
@pytest.mark.parametrize('option', [None, 'inputIsLogProbability', 'inputIsProbability', 'inputIsADistance'])
@pytest.mark.parametrize('shape', [(5,), (4, 5)], ids=lambda s: 'x'.join(map(str, s)))
def test_dist_nll(shape, option):
    """nnx's DistNLLCriterion: -sum p log q, q = softmax(input) by default: cross_entropy with probability targets
    (sum); the other options through log / identity / negation."""
    p = rng(2).dirichlet(np.ones(shape[-1]), shape[:-1]) if len(shape) == 2 else rng(2).dirichlet(np.ones(shape[0]))
    x = rng(1).standard_normal(shape)
    if option == 'inputIsProbability':
        x = np.exp(log_probs(shape, 1))
    elif option == 'inputIsLogProbability':
        x = log_probs(shape, 1)
    crit = nn.DistNLLCriterion({option: True} if option else {})
    ours = run_legonn(crit, D(x), D(p))
    pt = t_(p)
    ref = {None: lambda u: F.cross_entropy(u, pt, reduction='sum'),
           'inputIsADistance': lambda u: F.cross_entropy(-u, pt, reduction='sum'),
           'inputIsLogProbability': lambda u: -(u * pt).sum(),
           'inputIsProbability': lambda u: -(torch.log(u) * pt).sum()}[option]
    assert_parity(ours, run_torch(ref, [x]))


@pytest.mark.parametrize('sizeAverage', [True, False], ids=['avg', 'sum'])
@pytest.mark.parametrize('shape', [(1,), (6,), (3, 4)], ids=lambda s: 'x'.join(map(str, s)))
def test_distance_ratio(shape, sizeAverage):
    """DistanceRatioCriterion: X + log(exp(-X) + exp(-Y)) = -log_softmax([-X, -Y])[0], summed and divided by the
    first dimension with sizeAverage: cross_entropy over the pairs."""
    X, Y = rng(1).uniform(0, 3, shape), rng(2).uniform(0, 3, shape)
    X.flat[0], Y.flat[-1] = 45.0, 50.0   # a gradient of e^-45, e^-50: tiny, every digit kept
    ours = run_legonn(nn.DistanceRatioCriterion(sizeAverage), [D(X), D(Y)])
    rows = shape[0] if sizeAverage else 1

    def ref(u, v):
        pairs = torch.stack([-u, -v], dim=-1).reshape(-1, 2)
        return F.cross_entropy(pairs, torch.zeros(pairs.shape[0], dtype=torch.long), reduction='sum') / rows
    theirs = run_torch(ref, [X, Y])
    # DistanceRatioCriterion.lua's dY = -exp(-Y) / (exp(-X) + exp(-Y)) keeps its digits where tiny, as PyTorch's:
    # to rtol, however small. Its dX = 1 - exp(-X) / (...) (PyTorch's 1 - softmax) is the same number, rounded to
    # 0 there where legonn keeps it: equal to 1e-15 absolute
    assert_parity(ours, theirs, atol=1e-15)
    np.testing.assert_allclose(ours[1][1], theirs[1][1], rtol=RTOL, atol=0)


@pytest.mark.parametrize('shape', [(7,), (3, 4)], ids=lambda s: 'x'.join(map(str, s)))
def test_l1_cost(shape):
    x = rng(1).standard_normal(shape)
    x.flat[0] = 0.0   # sign(0) = 0 in both (TH's sign)
    ours = run_legonn(nn.L1Cost(), D(x))
    assert_parity(ours, run_torch(lambda u: F.l1_loss(u, torch.zeros(shape, dtype=torch.float64), reduction='sum'),
                                  [x]))


@pytest.mark.parametrize('sizeAverage', [True, False], ids=['avg', 'sum'])
@pytest.mark.parametrize('batched', [False, True], ids=['one', 'batch'])
def test_weighted_mse(batched, sizeAverage):
    """WeightedMSECriterion(w): mse(x, w * t), w the target's size or one sample's for a batch."""
    w = rng(1).uniform(0.5, 2, (3, 4))
    shape = (5, 3, 4) if batched else (3, 4)
    x, t = rng(2).standard_normal(shape), rng(3).standard_normal(shape)
    crit = summing(nn.WeightedMSECriterion(D(w)), sizeAverage)
    ours = run_legonn(crit, D(x), D(t))
    assert_parity(ours, run_torch(lambda u: F.mse_loss(u, t_(t) * t_(w), reduction=REDUCTION[sizeAverage]), [x]))


def test_parallel_and_multi_criterion():
    """ParallelCriterion and MultiCriterion: weighted sums of their criterions' losses and gradients."""
    x0, x1 = log_probs((4, 5), 1), rng(2).standard_normal((4, 3))
    labels, t1 = rng(3).integers(0, 5, 4), rng(4).standard_normal((4, 3))
    par = nn.ParallelCriterion().add(nn.ClassNLLCriterion(), 0.5).add(nn.MSECriterion(False), 2)
    ours = run_legonn(par, [D(x0), D(x1)], [L(labels), D(t1)])

    def ref(u, v):
        return 0.5 * F.nll_loss(u, t_(labels, torch.long)) + 2 * F.mse_loss(v, t_(t1), reduction='sum')
    assert_parity(ours, run_torch(ref, [x0, x1]))
    t = rng(5).standard_normal((4, 3))
    multi = nn.MultiCriterion().add(nn.MSECriterion(), 0.3).add(nn.AbsCriterion(False), 1.5) \
        .add(nn.SmoothL1Criterion())
    ours = run_legonn(multi, D(x1), D(t))
    tt = t_(t)
    assert_parity(ours, run_torch(lambda u: 0.3 * F.mse_loss(u, tt) + 1.5 * F.l1_loss(u, tt, reduction='sum')
                                  + F.smooth_l1_loss(u, tt), [x1]))


@pytest.mark.parametrize('sizeAverage', [False, True], ids=['sum', 'avg'])
def test_sequencer_criterion(sizeAverage):
    """SequencerCriterion(ClassNLLCriterion): the sum of each step's nll_loss (divided by the steps)."""
    x, labels = log_probs((3, 4, 5), 1), rng(2).integers(0, 5, (3, 4))
    ours = run_legonn(nn.SequencerCriterion(nn.ClassNLLCriterion(), sizeAverage), D(x), L(labels))
    lt = t_(labels, torch.long)
    assert_parity(ours, run_torch(lambda u: sum(F.nll_loss(u[s], lt[s]) for s in range(3)) / (3 if sizeAverage
                                                                                              else 1), [x]))


@pytest.mark.parametrize('batchFirst', [False, True], ids=['time-first', 'batch-first'])
def test_ctc(batchFirst):
    """nnx's CTCCriterion (warp-ctc) against ctc_loss of log_softmax, blank 0: forward returns the summed cost
    over the batch size (output keeps the sum), gradInput is d sum / d activations. Costs are far from warp-ctc's
    FLT_MIN probability floor here; legonn runs the recursions in float64 where warp-ctc used float."""
    T, B, C = 6, 3, 5
    x = rng(1).standard_normal((T, B, C))
    labels, sizes = [[1, 2], [3, 3, 1], [4]], [6, 5, 4]
    crit = nn.CTCCriterion(batchFirst)
    xin = np.ascontiguousarray(x.transpose(1, 0, 2)) if batchFirst else x
    loss, grads = run_legonn(crit, D(xin), labels, sizes)

    flat = torch.tensor([v for seq in labels for v in seq], dtype=torch.long)

    def ref(u):
        return F.ctc_loss(F.log_softmax(u, -1), flat, torch.tensor(sizes), torch.tensor([len(s) for s in labels]),
                          blank=0, reduction='sum')
    ref_loss, (ref_grad,) = run_torch(ref, [x])
    np.testing.assert_allclose(loss, ref_loss / B, rtol=RTOL)
    np.testing.assert_allclose(crit.output, ref_loss, rtol=RTOL)
    np.testing.assert_allclose(grads[0], ref_grad.transpose(1, 0, 2) if batchFirst else ref_grad, rtol=1e-9,
                               atol=ATOL)


def test_hinges_exactly_at_their_kinks():
    """Terms exactly at the hinge (binary-exact values): Torch7's choices, which PyTorch makes too. Hinge embedding:
    y = -1 and x = margin keeps the gradient -1 (HingeEmbeddingCriterion.lua:41 zeroes only x > margin); margin
    ranking: dist = 0 keeps it (MarginRankingCriterion.lua:58, ``ge(dist, 0)``); multi-margin and multi-label
    margin: z = 0 adds nothing (THNN MultiMarginCriterion.c and MultiLabelMarginCriterion.c, ``z > 0``)."""
    x, y = np.array([1.0, 0.5, 2.0, 1.0]), np.array([-1.0, -1.0, -1.0, 1.0])
    ours = run_legonn(summing(nn.HingeEmbeddingCriterion(1), False), D(x), D(y))
    assert_parity(ours, run_torch(lambda u: F.hinge_embedding_loss(u, t_(y), 1.0, reduction='sum'), [x]))
    np.testing.assert_array_equal(ours[1][0], [-1, -1, 0, 1])

    x1, x2, y = np.array([1.0, 0.0, 2.0]), np.array([0.0, 0.0, 0.5]), np.array([1.0, 1.0, -1.0])
    ours = run_legonn(nn.MarginRankingCriterion(1), [D(x1), D(x2)], D(y))
    assert_parity(ours, run_torch(lambda u, v: F.margin_ranking_loss(u, v, t_(y), 1.0), [x1, x2]))
    np.testing.assert_array_equal(ours[1][0], [-1 / 3, -1 / 3, 1 / 3])

    x, label = np.array([[1.0, 0.5, 0.75, 0.25]]), np.array([0])   # z = 0.5 - 1 + x_d: 0, 0.25, -0.25
    for p in (1, 2):
        ours = run_legonn(nn.MultiMarginCriterion(p, None, 0.5), D(x), L(label))
        assert_parity(ours, run_torch(lambda u: F.multi_margin_loss(u, t_(label, torch.long), p, 0.5), [x]))
        np.testing.assert_array_equal(ours[1][0][0] != 0, [True, False, True, False])

    x, t = np.array([[1.0, 0.0, 0.5, -0.5]]), np.array([[0, -1, -1, -1]])   # 1 - 1 + x_d: 0, 0.5, -0.5
    ours = run_legonn(nn.MultiLabelMarginCriterion(), D(x), L(t))
    assert_parity(ours, run_torch(lambda u: F.multilabel_margin_loss(u, t_(t, torch.long)), [x]))
    np.testing.assert_array_equal(ours[1][0][0], [-1 / 4, 0, 1 / 4, 0])


def test_margin_criterion_at_its_kink():
    """MarginCriterion at x y = margin: Torch7's gradient is 0 there (THNN MarginCriterion.c:43, ``x y < margin ?
    -norm y : 0``); autograd through clamp(margin - x y, min=0) passes -y at the bound (there is no loss in torch.nn
    to compare with). legonn follows Torch7."""
    x, y = np.array([1.0, -0.5, 0.25]), np.array([1.0, -1.0, 1.0])
    loss, (grad,) = run_legonn(summing(nn.MarginCriterion(), False), D(x), D(y))
    ref_loss, (ref_grad,) = run_torch(lambda u: torch.clamp(1 - u * t_(y), min=0).sum(), [x])
    np.testing.assert_allclose(loss, ref_loss, rtol=RTOL)
    np.testing.assert_array_equal(grad, [0.0, 1.0, -1.0])
    np.testing.assert_array_equal(ref_grad, [-1.0, 1.0, -1.0])


def test_ctc_infeasible_sequence():
    """A sequence with more labels plus repeated neighbours than frames: warp-ctc (nnx's CTCCriterion) costs it 0
    and gives it no gradient (cpu_ctc.h's ``L + repeats <= T`` test); PyTorch's ctc_loss gives inf, or 0 and a zero
    gradient with zero_infinity=True. The feasible sequence beside it agrees."""
    T, B, C = 4, 2, 4
    x = rng(4).standard_normal((T, B, C))
    labels, sizes = [[1, 1, 2], [3, 1]], [4, 4]   # 3 labels + 1 repeat = 4 frames fit; then fewer frames
    crit = nn.CTCCriterion()
    flat, lengths = torch.tensor([1, 1, 2, 3, 1]), torch.tensor([3, 2])
    for frames in ([4, 4], [3, 4]):
        loss, (grad,) = run_legonn(crit, D(x), labels, frames)

        def ref(u, zero_infinity):
            return F.ctc_loss(F.log_softmax(u, -1), flat, torch.tensor(frames), lengths, blank=0, reduction='sum',
                              zero_infinity=zero_infinity)
        ref_loss, (ref_grad,) = run_torch(lambda u: ref(u, True), [x])
        np.testing.assert_allclose(loss, ref_loss / B, rtol=RTOL)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=ATOL)
        assert grad[:, 0].any() == (frames[0] == 4)
        assert (run_torch(lambda u: ref(u, False), [x])[0] == np.inf) == (frames[0] == 3)
