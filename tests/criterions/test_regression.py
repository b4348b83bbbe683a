"""AbsCriterion, SmoothL1Criterion, WeightedMSECriterion, L1Cost."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.criterions.criterion_checks import case_tests

RNG = np.random.default_rng(10)
X = RNG.normal(size=(3, 4)) * 2
T = RNG.normal(size=(3, 4))
W = RNG.uniform(0.5, 2, size=4)


def huber(d):
    d = np.abs(d)
    return np.where(d < 1, 0.5 * d * d, d - 0.5)


# name -> (factory, input, target, NumPy loss)
CASES = {
    'Abs': (lambda: nn.AbsCriterion(), X, T, np.abs(X - T).mean()),
    'Abs-sum': (lambda: nn.AbsCriterion(False), X, T, np.abs(X - T).sum()),
    'SmoothL1': (lambda: nn.SmoothL1Criterion(), X, T, huber(X - T).mean()),
    'SmoothL1-sum': (lambda: nn.SmoothL1Criterion(False), X, T, huber(X - T).sum()),
    'WeightedMSE-rows': (lambda: nn.WeightedMSECriterion(lg.DoubleTensor(W)), X, T, ((X - W * T) ** 2).mean()),
    'WeightedMSE-same': (lambda: nn.WeightedMSECriterion(lg.DoubleTensor(T)), X, T, ((X - T * T) ** 2).mean()),
    'L1Cost': (lambda: nn.L1Cost(), X, None, np.abs(X).sum()),
}
test_gradient, test_loss_matches_numpy, test_type_roundtrip, test_gpu = case_tests(CASES)


def test_gradients_in_closed_form():
    x, t = lg.DoubleTensor([[3.0, -0.5]]), lg.DoubleTensor([[1.0, 0.0]])
    np.testing.assert_allclose(nn.SmoothL1Criterion().double().backward(x, t).numpy(), [[0.5, -0.25]])
    np.testing.assert_allclose(nn.AbsCriterion(False).double().backward(x, t).numpy(), [[1, -1]])
    np.testing.assert_allclose(nn.L1Cost().double().backward(x).numpy(), [[1, -1]])


def test_target_errors_name_the_criterion():
    x = lg.FloatTensor(3, 4)
    with pytest.raises(ValueError, match=r'AbsCriterion: expected a target of 12 elements.*got size \(3, 3\)'):
        nn.AbsCriterion().forward(x, lg.FloatTensor(3, 3))
    with pytest.raises(TypeError, match='SmoothL1Criterion: expected a legonn.FloatTensor target'):
        nn.SmoothL1Criterion().forward(x, lg.LongTensor(3, 4))
    with pytest.raises(ValueError, match=r"WeightedMSECriterion: expected a target of the weight's size \(4,\)"):
        nn.WeightedMSECriterion(lg.FloatTensor(4)).forward(lg.FloatTensor(3, 5), lg.FloatTensor(3, 5))
    with pytest.raises(ValueError):
        nn.AbsCriterion(sizeAverage='yes')


@pytest.mark.parametrize('make', [lambda: nn.MSECriterion(), lambda: nn.WeightedMSECriterion(lg.DoubleTensor(W))],
                         ids=['MSE', 'WeightedMSE'])
def test_forward_leaves_the_previous_gradInput_alone(make):
    """THNN's MSECriterion_updateOutput (nn/lib/THNN/generic/MSECriterion.c), which WeightedMSECriterion.lua
    calls too, writes only the loss: the tensor a backward returned keeps its values through later
    forwards (nn's criterionJacobianTest reads it after perturbed forwards)."""
    crit = make().double()
    x, t = lg.DoubleTensor(X), lg.DoubleTensor(T)
    crit.forward(x, t)
    grad = crit.backward(x, t)
    kept = grad.clone()
    crit.forward(x + 1, t)
    np.testing.assert_array_equal(grad.numpy(), kept.numpy())


def test_average_is_a_division_as_thnn():
    """nn/lib/THNN/generic/AbsCriterion.c (and the other element-wise criterions): ``sum /= nElement``, a
    division; a product with 1 / nElement can differ by an ulp (here 1.301984426527754 for 1.3019844265277543)."""
    x = np.array([0.1549474256969163, 0.37816251960217356, -0.8877857476301128])
    t = np.array([-1.980796468223927, -0.3479121493261526, 0.15634896910398005])
    total = 0.0
    for v in np.abs(x - t):
        total += v
    assert nn.AbsCriterion().double().forward(lg.DoubleTensor(x), lg.DoubleTensor(t)) == total / 3
