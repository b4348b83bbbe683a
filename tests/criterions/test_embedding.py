"""HingeEmbeddingCriterion, L1HingeEmbeddingCriterion, CosineEmbeddingCriterion, DistanceRatioCriterion."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.criterions.criterion_checks import case_tests, summing

RNG = np.random.default_rng(12)
D = RNG.uniform(0, 2, size=(3, 4))
SIGNS = np.where(RNG.normal(size=(3, 4)) > 0, 1.0, -1.0)
A, B = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
Y3 = np.array([1.0, -1, -1])


def cos(a, b):
    return (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))


def cos_loss(a, b, y, margin):
    c = cos(a, b)
    return np.where(y == 1, 1 - c, np.maximum(c - margin, 0)).mean()


L1 = np.abs(A - B).sum()

# name -> (factory, input, target, NumPy loss)
CASES = {
    'HingeEmbedding': (lambda: nn.HingeEmbeddingCriterion(1.2), D, SIGNS,
                       np.where(SIGNS == 1, D, np.maximum(1.2 - D, 0)).mean()),
    'HingeEmbedding-sum': (lambda: summing(nn.HingeEmbeddingCriterion(1)), D, SIGNS,
                           np.where(SIGNS == 1, D, np.maximum(1 - D, 0)).sum()),
    'L1HingeEmbedding-similar': (lambda: nn.L1HingeEmbeddingCriterion(), [A, B], 1, L1),
    'L1HingeEmbedding-dissimilar': (lambda: nn.L1HingeEmbeddingCriterion(L1 + 2), [A, B], -1, 2.0),
    'CosineEmbedding': (lambda: nn.CosineEmbeddingCriterion(-0.2), [A, B], Y3, cos_loss(A, B, Y3, -0.2)),
    'CosineEmbedding-one-pair': (lambda: nn.CosineEmbeddingCriterion(), [A[0], B[0]], 1, 1 - cos(A[0], B[0])),
    'DistanceRatio': (lambda: nn.DistanceRatioCriterion(), [D, D[::-1].copy()], None,
                      (D + np.log(np.exp(-D) + np.exp(-D[::-1]))).sum() / 3),
}
test_gradient, test_loss_matches_numpy, test_type_roundtrip, test_gpu = case_tests(CASES)


def test_inactive_pairs_have_zero_gradient():
    a, b = lg.DoubleTensor(A), lg.DoubleTensor(B)
    g = nn.L1HingeEmbeddingCriterion(0.5).double().backward([a, b], -1)    # distance > margin
    assert not g[0].numpy().any() and not g[1].numpy().any()
    g = nn.CosineEmbeddingCriterion(1.0).double().backward([a, b], lg.DoubleTensor([-1.0, -1, -1]))
    assert not g[0].numpy().any()


def test_distance_ratio_is_stable_for_large_distances():
    crit = nn.DistanceRatioCriterion().double()
    x, y = lg.DoubleTensor([900.0]), lg.DoubleTensor([1.0])
    np.testing.assert_allclose(crit.forward([x, y]), 899.0)
    g = crit.backward([x, y])
    np.testing.assert_allclose([g[0].numpy()[0], g[1].numpy()[0]], [1.0, -1.0])


def test_distance_ratio_gradient_keeps_its_digits_where_it_is_tiny():
    """DistanceRatioCriterion.lua's dY = -exp(-Y) / (exp(-X) + exp(-Y)), every digit of it where Y >> X (1 minus a
    tanh-based probability kept 4 digits at Y - X = 30 and none at 40); dX = 1 - exp(-X) / (exp(-X) + exp(-Y))
    is the same number, -dY."""
    X, Y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([30.0, 41.0, 2.5, 0.5])
    dY = -np.exp(-Y) / (np.exp(-X) + np.exp(-Y))
    for avg in (False, True):
        crit = nn.DistanceRatioCriterion(avg).double()
        gX, gY = crit.backward([lg.DoubleTensor(X), lg.DoubleTensor(Y)])
        rows = X.size if avg else 1
        np.testing.assert_allclose(gY.numpy(), dY / rows, rtol=1e-14)
        np.testing.assert_allclose(gX.numpy(), -dY / rows, rtol=1e-14)


def test_bad_inputs_name_the_criterion():
    with pytest.raises(ValueError, match=r'HingeEmbeddingCriterion\(1\): expected targets of 1 or -1'):
        nn.HingeEmbeddingCriterion().forward(lg.FloatTensor(2), lg.FloatTensor([1, 0]))
    with pytest.raises(ValueError, match=r'CosineEmbeddingCriterion\(0\): expected 3 targets'):
        nn.CosineEmbeddingCriterion().forward([lg.FloatTensor(3, 2), lg.FloatTensor(3, 2)], lg.FloatTensor(2))
    with pytest.raises(ValueError, match='L1HingeEmbeddingCriterion.*two inputs of the same size'):
        nn.L1HingeEmbeddingCriterion().forward([lg.FloatTensor(3), lg.FloatTensor(2)], 1)
    with pytest.raises(TypeError, match='DistanceRatioCriterion: expected a list of two tensors'):
        nn.DistanceRatioCriterion().forward(lg.FloatTensor(3))


def lua_cosine_embedding(a, b, y, margin):
    """nn/CosineEmbeddingCriterion.lua transliterated: (the rows' terms, gw1, gw2) before the division by
    y:size(1); its w1 * sqrt(w22 * w32) with w22 = 1 / (|x1|^2 + 1e-12), cmax(0) as TH's `x > 0 ? x : 0`,
    and gradients zeroed where a term is <= 0 (lines 108-112), then negated for y = 1."""
    w1 = (a * b).sum(1, keepdims=True)
    w22 = 1 / ((a * a).sum(1, keepdims=True) + 1e-12)
    w32 = 1 / ((b * b).sum(1, keepdims=True) + 1e-12)
    w = np.sqrt(w22 * w32)
    out = (w1 * w)[:, 0]
    over = out[y == -1] - margin
    out[y == -1] = np.where(over > 0, over, 0)
    out[y == 1] = -out[y == 1] + 1
    g1, g2 = (b - (w1 * w22) * a) * w, (a - (w1 * w32) * b) * w
    g1[out <= 0], g2[out <= 0] = 0, 0
    g1[y == 1] *= -1
    g2[y == 1] *= -1
    return out, g1, g2


def test_pair_criterions_divide_as_lua_does():
    """nn/CosineEmbeddingCriterion.lua (output / y:size(1), gw:div(y:size(1))) and nn/MarginRankingCriterion.lua
    (output / y:size(1), gradInput:div(...)), transliterated: legonn's float64 numbers are Lua's bit for bit."""
    rng = np.random.RandomState(7)
    a, b = rng.randn(6, 4), rng.randn(6, 4)
    b[0], b[1] = a[0], 2 * a[1]
    y = np.array([1., -1, 1, -1, 1, -1])
    for margin in (0.0, 0.3):
        out, g1, g2 = lua_cosine_embedding(a, b, y, margin)
        crit = nn.CosineEmbeddingCriterion(margin).double()
        inputs = [lg.DoubleTensor(a), lg.DoubleTensor(b)]
        assert crit.forward(inputs, lg.DoubleTensor(y)) == out.sum() / 6
        got = crit.backward(inputs, lg.DoubleTensor(y))
        assert (got[0].numpy() == g1 / 6).all() and (got[1].numpy() == g2 / 6).all()
    x1, x2, s = rng.randn(7), rng.randn(7), np.where(rng.rand(7) > .5, 1., -1.)
    rank = nn.MarginRankingCriterion(0.3).double()
    pair = [lg.DoubleTensor(x1), lg.DoubleTensor(x2)]
    assert rank.forward(pair, lg.DoubleTensor(s)) == np.maximum(-(x1 - x2) * s + 0.3, 0).sum() / 7
    mask = (-(x1 - x2) * s + 0.3 >= 0) * 1.0
    got = rank.backward(pair, lg.DoubleTensor(s))
    assert (got[0].numpy() == -mask * s / 7).all() and (got[1].numpy() == mask * s / 7).all()


def test_cosine_embedding_zeroes_the_rows_lua_zeroes():
    """CosineEmbeddingCriterion.lua zeroes the gradient of every row whose term is <= 0, whichever its target:
    a similar pair (y = 1) whose rounded cosine reaches 1 (parallel vectors with norms large enough to hide the
    1e-12) gets zeros, where legonn gave -w (b - dot a / |a|^2) (about 1e-21 here). Its cmax(0) (`x > 0 ? x :
    0`) makes a NaN term of a dissimilar pair 0, loss and gradient, where maximum kept the NaN; a similar pair's
    NaN stays NaN in both."""
    rng = np.random.RandomState(3)
    a = rng.randn(6, 5) * 1e5
    b = a * np.array([[1.], [2], [0.5], [3], [1], [1]]) + rng.randn(6, 5) * 1e-9
    a[4, 0] = b[5, 1] = np.nan
    y = np.array([1., 1, 1, 1, -1, 1])
    out, g1, g2 = lua_cosine_embedding(a, b, y, 0.1)
    assert (out[:4] <= 0).sum() >= 2 and out[4] == 0 and np.isnan(out[5])   # the cases this test is about
    crit = nn.CosineEmbeddingCriterion(0.1).double()
    inputs = [lg.DoubleTensor(a), lg.DoubleTensor(b)]
    crit.sizeAverage = False
    keep = [0, 1, 2, 3, 4]
    crit.forward([t.index(0, lg.LongTensor(keep)) for t in inputs], lg.DoubleTensor(y[keep]))
    assert crit.output == out[keep].sum()
    assert np.isnan(crit.forward(inputs, lg.DoubleTensor(y)))
    got = crit.backward(inputs, lg.DoubleTensor(y))
    np.testing.assert_array_equal(got[0].numpy(), g1)
    np.testing.assert_array_equal(got[1].numpy(), g2)
