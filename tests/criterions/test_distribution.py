"""DistKLDivCriterion."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.criterions.criterion_checks import case_tests, summing

RNG = np.random.default_rng(15)
LOGP = np.log(RNG.dirichlet(np.ones(4), size=3))
P = RNG.dirichlet(np.ones(4), size=3)
P[0, 1] = 0          # a zero-probability target element contributes nothing


def kl(x, t):
    return np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0)


# name -> (factory, input, target, NumPy loss)
CASES = {'mean': (lambda: nn.DistKLDivCriterion(), LOGP, P, kl(LOGP, P).mean()),
         'sum': (lambda: summing(nn.DistKLDivCriterion()), LOGP[0], P[0], kl(LOGP[0], P[0]).sum())}
test_gradient, test_loss_matches_numpy, test_type_roundtrip, test_gpu = case_tests(CASES)


def test_kl_of_a_distribution_with_itself_is_zero_and_gradient_is_minus_target():
    crit = summing(nn.DistKLDivCriterion()).double()
    t = lg.DoubleTensor(P)
    assert abs(crit.forward(lg.DoubleTensor(np.log(np.where(P > 0, P, 1))), t)) < 1e-12
    np.testing.assert_allclose(crit.backward(lg.DoubleTensor(LOGP), t).numpy(), -P)


def test_bad_input_and_target():
    with pytest.raises(TypeError, match='DistKLDivCriterion: expected a floating-point tensor input'):
        nn.DistKLDivCriterion().forward(lg.LongTensor(2), lg.FloatTensor(2))
    with pytest.raises(ValueError, match=r'DistKLDivCriterion: expected a target of 12 elements'):
        nn.DistKLDivCriterion().forward(lg.FloatTensor(3, 4), lg.FloatTensor(4))


def test_distkldiv_zero_target_against_minus_infinity():
    """nn/lib/THNN/generic/DistKLDivCriterion.c: ``target > 0 ? target * (log(target) - input) : 0``, so a zero
    target adds 0 even where the input (a log-probability) is -inf; no NaN and no 0 * inf warning."""
    import warnings
    x = lg.DoubleTensor([[-float('inf'), -0.1, -2.0]])
    t = lg.DoubleTensor([[0.0, 0.9, 0.1]])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        crit = nn.DistKLDivCriterion().double()
        loss = crit.forward(x, t)
        grad = crit.backward(x, t).numpy()
    expected = 0.0 + 0.9 * (np.log(0.9) + 0.1) + 0.1 * (np.log(0.1) + 2.0)
    assert loss == pytest.approx(expected / 3, rel=1e-15)
    assert grad.tolist() == [[0.0, -0.9 / 3, -0.1 / 3]]
