"""HingeEmbeddingCriterion, L1HingeEmbeddingCriterion, CosineEmbeddingCriterion, DistanceRatioCriterion."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.criterions.criterion_checks import case_tests

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
    'HingeEmbedding-sum': (lambda: nn.HingeEmbeddingCriterion(1, False), D, SIGNS,
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


def test_bad_inputs_name_the_criterion():
    with pytest.raises(ValueError, match=r'HingeEmbeddingCriterion\(1\): expected targets of 1 or -1'):
        nn.HingeEmbeddingCriterion().forward(lg.FloatTensor(2), lg.FloatTensor([1, 0]))
    with pytest.raises(ValueError, match=r'CosineEmbeddingCriterion\(0\): expected 3 targets'):
        nn.CosineEmbeddingCriterion().forward([lg.FloatTensor(3, 2), lg.FloatTensor(3, 2)], lg.FloatTensor(2))
    with pytest.raises(ValueError, match='L1HingeEmbeddingCriterion.*two inputs of the same size'):
        nn.L1HingeEmbeddingCriterion().forward([lg.FloatTensor(3), lg.FloatTensor(2)], 1)
    with pytest.raises(TypeError, match='DistanceRatioCriterion: expected a list of two tensors'):
        nn.DistanceRatioCriterion().forward(lg.FloatTensor(3))
