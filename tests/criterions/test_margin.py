"""MarginCriterion, SoftMarginCriterion, MultiMarginCriterion, MultiLabelMarginCriterion,
MultiLabelSoftMarginCriterion, MarginRankingCriterion."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.criterions.criterion_checks import case_tests, summing

RNG = np.random.default_rng(11)
X = RNG.normal(size=(3, 5))
SIGNS = np.where(RNG.normal(size=(3, 5)) > 0, 1.0, -1.0)
BITS = (SIGNS > 0) * 1.0
LABELS = np.array([0, 3, 4])
W5 = RNG.uniform(0.5, 2, size=5)
ML_TARGET = np.array([[3, 0, -1, -1, -1], [1, -1, 2, 0, 0], [4, 2, 1, -1, 3]])
S1, S2, Y = RNG.normal(size=4), RNG.normal(size=4), np.array([1.0, -1, 1, -1])


def multi_margin(x, y, p=1, w=None, margin=1, avg=True):
    x = np.atleast_2d(x)
    total = 0.0
    for row, label in zip(x, np.atleast_1d(y)):
        z = np.maximum(margin - row[label] + row, 0) ** p
        z[label] = 0
        total += z.sum() * (1 if w is None else w[label])
    return total / x.shape[1] / (x.shape[0] if avg else 1)


def multi_label_margin(x, t):
    total = 0.0
    for row, targets in zip(x, t):
        js = []
        for j in targets:
            if j < 0:
                break
            js.append(j)
        others = [d for d in range(len(row)) if d not in js]
        total += sum(max(0, 1 - row[j] + row[d]) for j in js for d in others)
    return total / x.shape[1] / x.shape[0]


def soft_multilabel(x, t, w=1):
    return ((np.log1p(np.exp(x)) - t * x) * w).mean()


# name -> (factory, input, target, NumPy loss)
CASES = {
    'Margin': (lambda: nn.MarginCriterion(0.7), X, SIGNS, np.maximum(0.7 - X * SIGNS, 0).mean()),
    'Margin-sum': (lambda: summing(nn.MarginCriterion(1)), X, SIGNS, np.maximum(1 - X * SIGNS, 0).sum()),
    'SoftMargin': (lambda: nn.SoftMarginCriterion(), X, SIGNS, np.log1p(np.exp(-X * SIGNS)).mean()),
    'MultiMargin': (lambda: nn.MultiMarginCriterion(), X, LABELS, multi_margin(X, LABELS)),
    'MultiMargin-p2-weights': (lambda: nn.MultiMarginCriterion(2, lg.DoubleTensor(W5), 0.5), X, LABELS,
                               multi_margin(X, LABELS, 2, W5, 0.5)),
    'MultiMargin-single': (lambda: nn.MultiMarginCriterion(), X[0], 2, multi_margin(X[0], 2)),
    'MultiLabelMargin': (lambda: nn.MultiLabelMarginCriterion(), X, ML_TARGET, multi_label_margin(X, ML_TARGET)),
    'MultiLabelMargin-single': (lambda: nn.MultiLabelMarginCriterion(), X[0], ML_TARGET[0],
                                multi_label_margin(X[:1], ML_TARGET[:1])),
    'MultiLabelSoftMargin': (lambda: nn.MultiLabelSoftMarginCriterion(), X, BITS, soft_multilabel(X, BITS)),
    'MultiLabelSoftMargin-weights': (lambda: nn.MultiLabelSoftMarginCriterion(lg.DoubleTensor(W5)), X, BITS,
                                     soft_multilabel(X, BITS, W5)),
    'MarginRanking': (lambda: nn.MarginRankingCriterion(0.5), [S1, S2], Y,
                      np.maximum(0, -Y * (S1 - S2) + 0.5).mean()),
    'MarginRanking-one-pair': (lambda: nn.MarginRankingCriterion(), [S1[:1], S2[:1]], -1,
                               max(0, (S1[0] - S2[0]) + 1)),
}
test_gradient, test_loss_matches_numpy, test_type_roundtrip, test_gpu = case_tests(CASES)


def test_soft_margins_stay_finite_for_large_scores():
    x = lg.DoubleTensor([[800.0, -800.0]])
    for crit, t in ((nn.SoftMarginCriterion(), lg.DoubleTensor([[-1.0, 1.0]])),
                    (nn.MultiLabelSoftMarginCriterion(), lg.DoubleTensor([[0.0, 1.0]]))):
        crit.double()
        np.testing.assert_allclose(crit.forward(x, t), 800.0)
        assert np.isfinite(crit.backward(x, t).numpy()).all()


def test_soft_margin_gradient_keeps_its_digits_where_it_is_tiny():
    """THNN SoftMarginCriterion.c:40-41: -norm y z / (1 + z) with z = exp(-x y), every digit of it where x y is
    large (a sigmoid through tanh, 0.5 (1 + tanh(-x y / 2)), kept 4 digits at x y = 30 and none at 40)."""
    x, y = np.array([30.0, -30.0, 40.0, 5.0, -2.0]), np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    z = np.exp(-x * y)
    for avg in (False, True):
        crit = nn.SoftMarginCriterion().double()
        crit.sizeAverage = avg
        grad = crit.backward(lg.DoubleTensor(x), lg.DoubleTensor(y)).numpy()
        np.testing.assert_allclose(grad, -y * z / (1 + z) / (x.size if avg else 1), rtol=1e-14)


def test_label_errors_name_the_criterion():
    x = lg.FloatTensor(3, 5)
    with pytest.raises(IndexError, match=r'MultiMarginCriterion\(p=1, margin=1\): expected labels in \[0, 5\)'):
        nn.MultiMarginCriterion().forward(x, [0, 5, 1])
    with pytest.raises(ValueError, match='MultiMarginCriterion.*whole-number class labels'):
        nn.MultiMarginCriterion().forward(x, lg.FloatTensor([0, 1.5, 2]))
    with pytest.raises(ValueError, match='MultiMarginCriterion.*3 labels'):
        nn.MultiMarginCriterion().forward(x, [0, 1])
    with pytest.raises(IndexError, match=r'MultiLabelMarginCriterion: expected target classes in \[0, 5\) or -1'):
        nn.MultiLabelMarginCriterion().forward(x, lg.LongTensor(3, 5).fill(5))
    with pytest.raises(ValueError, match=r"MultiLabelMarginCriterion: expected a target of the input's size"):
        nn.MultiLabelMarginCriterion().forward(x, lg.LongTensor(3, 4))
    with pytest.raises(ValueError, match=r'MarginRankingCriterion\(1\): expected a target of 4 elements'):
        nn.MarginRankingCriterion().forward([lg.FloatTensor(4), lg.FloatTensor(4)], lg.FloatTensor(3))
    with pytest.raises(ValueError):
        nn.MultiMarginCriterion(3)


def _multimargin_thnn(x, t, p, w, margin, size_average):
    """nn/lib/THNN/generic/MultiMarginCriterion.c, loop for loop: (loss, gradInput)."""
    nframe, dim = x.shape
    total, grad = 0.0, np.zeros_like(x)
    g = 1. / (nframe * dim) if size_average else 1. / dim
    for i in range(nframe):
        target_grad = 0.0
        for d in range(dim):
            if d == t[i]:
                continue
            z = margin - x[i, t[i]] + x[i, d]
            if z > 0:
                h = z if p == 1 else z * z
                hg = g if p == 1 else 2 * g * z
                if w is not None:
                    h, hg = h * w[t[i]], hg * w[t[i]]
                total += h
                target_grad -= hg
                grad[i, d] = hg
        grad[i, t[i]] = target_grad
    total /= dim
    return (total / nframe if size_average else total), grad


def test_multimargin_loss_and_gradient_in_thnn_order():
    """nn/lib/THNN/generic/MultiMarginCriterion.c: ``sum /= dim`` then ``sum /= nframe`` (two divisions, not a
    product with 1 / (dim nframe)), and the gradient ``h = (p == 1) ? g : 2*g*z`` times weights[target]; on
    rows of five classes legonn's numbers are THNN's bit for bit."""
    rng = np.random.RandomState(3)
    x, t, w = rng.randn(6, 5), rng.randint(0, 5, 6), rng.rand(5) * 2
    for p in (1, 2):
        for weights in (None, w):
            for margin in (1.0, 0.5):
                for avg in (True, False):
                    crit = nn.MultiMarginCriterion(p, None if weights is None else lg.DoubleTensor(weights), margin)
                    crit.sizeAverage = avg
                    loss, grad = _multimargin_thnn(x, t, p, weights, margin, avg)
                    got = crit.forward(lg.DoubleTensor(x), lg.LongTensor(t))
                    if p == 1:   # (p = 2 with weights sums 30 terms: NumPy's pairwise order differs by an ulp)
                        assert got == loss
                    else:
                        assert got == pytest.approx(loss, rel=1e-15, abs=0)
                    assert (crit.backward(lg.DoubleTensor(x), lg.LongTensor(t)).numpy() == grad).all()


def test_multilabel_softmargin_in_lua_steps():
    """nn/MultiLabelSoftMarginCriterion.lua, step for step: the loss log(exp(x - 2 x [x >= 0]) + 1) - (t - [x >= 0]) x
    (times the weights), summed and divided by nElement; the gradient (sigmoid(x) - t) * weights, divided
    by nElement, with TH's sigmoid 1 / (1 + exp(-x)) (torch7/lib/TH/THMath.h). Saturated scores stay finite."""
    rng = np.random.RandomState(11)
    x = rng.randn(3, 4) * 3
    x[0, :2] = [800.0, -800.0]
    t, w = (rng.rand(3, 4) > 0.5) * 1.0, rng.rand(4)
    positive = (x >= 0) * 1.0
    with np.errstate(over='ignore'):
        sig = 1 / (1 + np.exp(-x))
    for weights in (None, w):
        for avg in (True, False):
            terms = np.log(np.exp(x * positive * -2 + x) + 1) - (positive * -1 + t) * x
            grad = sig - t
            if weights is not None:
                terms, grad = terms * weights, grad * weights
            loss = terms.sum()
            if avg:
                loss, grad = loss / x.size, grad / x.size
            crit = nn.MultiLabelSoftMarginCriterion(None if weights is None else lg.DoubleTensor(weights), avg)
            crit.double()
            assert crit.forward(lg.DoubleTensor(x), lg.DoubleTensor(t)) == loss
            assert (crit.backward(lg.DoubleTensor(x), lg.DoubleTensor(t)).numpy() == grad).all()


def test_margin_ranking_averages_over_y_first_dimension():
    """nn/MarginRankingCriterion.lua: with sizeAverage the summed hinge and both gradients are divided by
    y:size(1), so 2-D scores (rows of pairs) are averaged over the rows, not over every element."""
    rng = np.random.RandomState(2)
    x1, x2 = rng.randn(3, 4), rng.randn(3, 4)
    y = np.where(rng.rand(3, 4) > 0.5, 1.0, -1.0)
    crit = nn.MarginRankingCriterion(0.2).double()
    pair = [lg.DoubleTensor(x1), lg.DoubleTensor(x2)]
    dist = -y * (x1 - x2) + 0.2
    assert crit.forward(pair, lg.DoubleTensor(y)) == np.maximum(dist, 0).sum() / 3
    grad = crit.backward(pair, lg.DoubleTensor(y))
    mask = (dist >= 0) * 1.0
    assert (grad[0].numpy() == -mask * y / 3).all() and (grad[1].numpy() == mask * y / 3).all()


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_multilabel_margin_skips_non_positive_hinges_even_when_infinite(tensor):
    # THNN adds z = 1 - x[target] + x[d] only if z > 0: an inf (or NaN) at a target makes its hinges -inf (NaN)
    # and skipped; a product with the 0/1 active mask made the loss NaN
    x = np.array([[np.inf, 0.2, -0.3, 0.5], [0.3, 0.2, 0.9, -0.4], [0.1, -0.2, 0.6, np.nan]])
    t = np.array([[0, -1, -1, -1], [1, 2, -1, -1], [3, -1, -1, -1]])
    total = 0.0
    for row, targets in zip(x, t):   # the C's loops
        targets = list(targets[:list(targets).index(-1)] if -1 in targets else targets)
        for c in targets:
            for d in range(4):
                z = 1 - row[c] + row[d]
                if d not in targets and z > 0:
                    total += z
    assert total > 0
    crit = nn.MultiLabelMarginCriterion().type(tensor)
    loss = crit.forward(lg.DoubleTensor(x).type(tensor), lg.LongTensor(t).type(tensor.replace('Double', 'Long')))
    assert loss == pytest.approx(total / 4 / 3, rel=1e-14)
