"""ClassSimplexCriterion."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.criterions.criterion_checks import (assert_criterion_gpu, assert_criterion_gradient,
                                               assert_criterion_type_roundtrip)

X = np.random.default_rng(13).normal(size=(3, 4))
LABELS = [0, 3, 1]


def test_vertices_form_a_regular_simplex():
    s = nn.ClassSimplexCriterion(5).double().simplex.numpy()
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), 1, rtol=1e-12)
    gram = s @ s.T
    off = gram[~np.eye(5, dtype=bool)]
    np.testing.assert_allclose(off, -1 / 4, atol=1e-12)       # equal angles: cos = -1/(n-1)
    np.testing.assert_allclose(s.sum(axis=0), 0, atol=1e-12)  # centred at the origin
    assert not s[:, -1].any()


@pytest.mark.parametrize('x,t', [(X, LABELS), (X[0], 2)])
def test_gradient(x, t):
    assert_criterion_gradient(nn.ClassSimplexCriterion(4), lg.DoubleTensor(x), t)


def test_loss_is_mse_to_the_label_vertex():
    c = nn.ClassSimplexCriterion(4).double()
    ref = ((X - c.simplex.numpy()[LABELS]) ** 2).mean()
    np.testing.assert_allclose(c.forward(lg.DoubleTensor(X), LABELS), ref, rtol=1e-12)
    top = c.getTopPrediction(lg.DoubleTensor(c.simplex.numpy()[LABELS] * 2))
    assert top.type() == 'legonn.LongTensor' and top.tolist() == LABELS


def test_type_roundtrip():
    assert_criterion_type_roundtrip(nn.ClassSimplexCriterion(4), lg.DoubleTensor(X), LABELS)


@pytest.mark.gpu
def test_gpu():
    assert_criterion_gpu(nn.ClassSimplexCriterion(4), lg.DoubleTensor(X), lg.LongTensor(LABELS))


def test_bad_inputs():
    c = nn.ClassSimplexCriterion(4)
    with pytest.raises(IndexError, match=r'ClassSimplexCriterion\(4\): expected labels in \[0, 4\)'):
        c.forward(lg.FloatTensor(3, 4), [0, 4, 1])
    with pytest.raises(ValueError, match='expected 4 scores per row'):
        c.forward(lg.FloatTensor(3, 5), [0, 1, 1])
    with pytest.raises(ValueError):
        nn.ClassSimplexCriterion(1)


def test_vertices_follow_regsplex_digit_for_digit():
    """nn/ClassSimplexCriterion.lua's regsplex: a[k][k] = sqrt(1 - a[{{k},{1,k-1}}]:norm()^2), where TH's
    normall (torch7/lib/TH/generic/THTensorMath.c) sums the squares in order and takes the root; then
    c = (a[k][k]^2 - 1 - 1/n) / a[k][k] fills the column below. Every vertex coordinate is Torch7's double."""
    import math
    for n_classes in (4, 10, 21):
        n = n_classes - 1
        a = np.zeros((n + 1, n))
        for k in range(n):
            if k == 0:
                a[k, k] = 1.0
            else:
                total = 0.0
                for v in a[k, :k]:
                    total += v * v
                a[k, k] = math.sqrt(1 - math.sqrt(total) ** 2)
            a[k + 1:, k] = (a[k, k] ** 2 - 1 - 1 / n) / a[k, k]
        expected = np.zeros((n_classes, n_classes))
        expected[:, :n] = a
        crit = nn.ClassSimplexCriterion(n_classes).double()
        assert (crit.simplex.numpy() == expected).all()
