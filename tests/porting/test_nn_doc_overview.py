"""torch/nn's doc/overview.md, every example ported by docs/porting.md's rules: plug-and-play modules, the
StochasticGradient call, the low-level gradUpdate and the two ways of sharing parameters (checked against the same
updates written in float64 NumPy)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

pytestmark = pytest.mark.usefixtures('double_default')


def test_plug_and_play():
    """Plug and play: a perceptron ``nn.Linear(10, 1)`` and the Linear(10, 25)-Tanh-Linear(25, 1) mlp take a
    10-vector to a 1-vector."""
    mlp = nn.Linear(10, 1)
    assert mlp.forward(lg.randn(10)).size() == (1,)
    mlp = nn.Sequential()
    mlp.add(nn.Linear(10, 25))
    mlp.add(nn.Tanh())
    mlp.add(nn.Linear(25, 1))
    x = lg.randn(10)
    h = np.tanh(mlp.get(0).weight.numpy() @ x.numpy() + mlp.get(0).bias.numpy())
    assert np.allclose(mlp.forward(x).numpy(), mlp.get(2).weight.numpy() @ h + mlp.get(2).bias.numpy())


class _Dataset(list):
    """A Lua table of examples with a ``size`` method (``function dataset:size() return n end``), indexed from
    0."""

    def size(self):
        return len(self)


def test_training_with_stochasticgradient(capsys):
    """Training a neural network: ``trainer = nn.StochasticGradient(mlp, criterion)``, ``trainer:train(dataset)``
    (2 epochs of 5 examples here) prints StochasticGradient.lua's lines."""
    mlp = nn.Sequential().add(nn.Linear(10, 25)).add(nn.Tanh()).add(nn.Linear(25, 1))
    dataset = _Dataset([(lg.randn(10), lg.randn(1)) for _ in range(5)])
    criterion = nn.MSECriterion()
    trainer = nn.StochasticGradient(mlp, criterion)
    trainer.maxIteration = 2
    trainer.train(dataset)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == '# StochasticGradient: training' and len(lines) == 5
    assert lines[1].startswith('# current error = ') and lines[3].startswith('# StochasticGradient: you have')
    assert lines[4] == '# training error = ' + lines[2][len('# current error = '):]


def _grad_update(mlp, x, y, criterion, learningRate):
    """Low Level Training's gradUpdate."""
    pred = mlp.forward(x)
    err = criterion.forward(pred, y)
    gradCriterion = criterion.backward(pred, y)
    mlp.zeroGradParameters()
    mlp.backward(x, gradCriterion)
    mlp.updateParameters(learningRate)
    return err


def test_low_level_training_grad_update():
    """Low Level Training: one gradUpdate of a Linear(3, 1) with MSE moves the parameters by
    ``-lr * 2 (pred - y) [x, 1]``."""
    mlp = nn.Linear(3, 1)
    x, y = lg.randn(3), lg.Tensor([0.5])
    w, b = mlp.weight.numpy().copy(), mlp.bias.numpy().copy()
    pred = w @ x.numpy() + b
    err = _grad_update(mlp, x, y, nn.MSECriterion(), 0.1)
    assert np.isclose(err, ((pred - 0.5) ** 2).item())
    assert np.allclose(mlp.weight.numpy(), w - 0.1 * 2 * (pred - 0.5) * x.numpy())
    assert np.allclose(mlp.bias.numpy(), b - 0.1 * 2 * (pred - 0.5))


def _two_shared_layers_reference(W, b, x, y):
    """Gradient of MSE through ``W (W x + b) + b`` with respect to the shared W and b, in float64."""
    h = W @ x + b
    out = W @ h + b
    g = 2 * (out - y) / out.size
    gh = W.T @ g
    return np.outer(g, h) + np.outer(gh, x), g + gh


def test_sharing_parameters_for_update_parameters():
    """A Note on Sharing Parameters, first case: ``linear:clone('weight', 'bias')`` shares the parameters only;
    gradUpdate's updateParameters steps each module with its own gradient, so the shared weight moves by the sum
    of both."""
    mlp = nn.Sequential()
    linear = nn.Linear(2, 2)
    linear_clone = linear.clone('weight', 'bias')
    mlp.add(linear)
    mlp.add(linear_clone)
    x, y = lg.randn(2), lg.randn(2)
    W, b = linear.weight.numpy().copy(), linear.bias.numpy().copy()
    gW, gb = _two_shared_layers_reference(W, b, x.numpy(), y.numpy())
    _grad_update(mlp, x, y, nn.MSECriterion(), 0.1)
    assert linear_clone.weight.storage() is linear.weight.storage()
    assert np.allclose(linear.weight.numpy(), W - 0.1 * gW) and np.allclose(linear.bias.numpy(), b - 0.1 * gb)


def test_sharing_parameters_and_gradients_for_get_parameters():
    """A Note on Sharing Parameters, second case: sharing ``gradWeight`` and ``gradBias`` too, getParameters()
    holds one copy of each, and ``params:add(-learningRate, gradParams)`` takes the summed gradient once."""
    mlp = nn.Sequential()
    linear = nn.Linear(2, 2)
    linear_clone = linear.clone('weight', 'bias', 'gradWeight', 'gradBias')
    mlp.add(linear)
    mlp.add(linear_clone)
    params, gradParams = mlp.getParameters()
    assert params.size() == (6,)

    def gradUpdate(mlp, x, y, criterion, learningRate, params, gradParams):
        pred = mlp.forward(x)
        criterion.forward(pred, y)
        gradCriterion = criterion.backward(pred, y)
        mlp.zeroGradParameters()
        mlp.backward(x, gradCriterion)
        params.add(-learningRate, gradParams)

    x, y = lg.randn(2), lg.randn(2)
    W, b = linear.weight.numpy().copy(), linear.bias.numpy().copy()
    gW, gb = _two_shared_layers_reference(W, b, x.numpy(), y.numpy())
    gradUpdate(mlp, x, y, nn.MSECriterion(), 0.1, params, gradParams)
    assert np.allclose(linear_clone.weight.numpy(), W - 0.1 * gW)
    assert np.allclose(linear.bias.numpy(), b - 0.1 * gb)
