"""torch-autograd's README example as docs/autograd.md writes it in Python: the gradients of the two-layer net
against finite differences in float64, and SGD steps with them lowering the loss."""
import numpy as np
import pytest

import legonn as lg
from legonn import autograd


def neuralNet(params, x, y):
    h1 = lg.tanh(x @ params['W'][0] + params['b'][0])
    h2 = lg.tanh(h1 @ params['W'][1] + params['b'][1])
    yHat = h2 - lg.log(lg.sum(lg.exp(h2)))
    loss = -lg.sum(lg.cmul(yHat, y))
    return loss


@pytest.fixture
def setup():
    lg.setdefaulttensortype('torch.DoubleTensor')
    params = {'W': [lg.randn(100, 50) * 0.1, lg.randn(50, 10) * 0.1], 'b': [lg.randn(50) * 0.1, lg.randn(10) * 0.1]}
    x = lg.randn(1, 100)
    y = lg.Tensor(1, 10).zero()
    y[0][2] = 1
    return params, x, y


@pytest.mark.parametrize('optimize', [False, True])
def test_readme_net_gradients_match_finite_differences(setup, optimize):
    params, x, y = setup
    dparams, loss = autograd(neuralNet, optimize=optimize)(params, x, y)
    assert loss == pytest.approx(neuralNet(params, x, y), rel=1e-12)
    eps = 1e-6
    for key, i, index in (('W', 0, (3, 7)), ('W', 1, (10, 2)), ('b', 0, (5,)), ('b', 1, (2,))):
        t = params[key][i]
        v = float(t[index])
        t[index] = v + eps
        up = neuralNet(params, x, y)
        t[index] = v - eps
        down = neuralNet(params, x, y)
        t[index] = v
        assert float(dparams[key][i][index]) == pytest.approx((up - down) / (2 * eps), abs=1e-7)
    assert [g.size() for g in dparams['W']] == [(100, 50), (50, 10)]


def test_readme_sgd_lowers_the_loss(setup):
    params, x, y = setup
    dneuralNet = autograd(neuralNet)
    first = None
    for _ in range(20):
        grads, loss = dneuralNet(params, x, y)
        first = loss if first is None else first
        for i in range(len(params['W'])):
            params['W'][i].add(-.01, grads['W'][i])
            params['b'][i].add(-.01, grads['b'][i])
    assert neuralNet(params, x, y) < first
    assert np.isfinite(neuralNet(params, x, y))


@pytest.mark.parametrize('optimize', [False, True])
def test_guide_gradient_of_a_gradient(optimize):
    # docs/autograd.md's snippet: d/dp of sum(d/dp (y - p.x)^2) = 2 x sum(x)
    lg.setdefaulttensortype('torch.DoubleTensor')
    p, x, y = lg.randn(5), lg.randn(5), 0.3
    df = autograd(lambda p, x, y: (y - lg.dot(p, x)) ** 2, optimize=optimize)
    ddf = autograd(lambda p, x, y: lg.sum(df(p, x, y)[0]), optimize=optimize)
    hessian_sums = ddf(p, x, y)[0]
    np.testing.assert_allclose(hessian_sums.numpy(), 2 * x.numpy() * x.numpy().sum(), rtol=1e-10)
