"""torch/nn's doc/training.md, ported by docs/porting.md's rules: the manual XOR training loop and the
StochasticGradient example. The doc trains 2500 steps (25 epochs of 100); here a few dozen steps, each checked
against the same update of the Linear-Tanh-Linear net written in float64 NumPy, and StochasticGradient's fields
(learningRate, learningRateDecay, maxIteration, shuffleIndices, the hooks, verbose) as StochasticGradient.lua reads
them."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

pytestmark = pytest.mark.usefixtures('double_default')


def _xor_mlp():
    mlp = nn.Sequential()
    inputs, outputs, HUs = 2, 1, 20
    mlp.add(nn.Linear(inputs, HUs))
    mlp.add(nn.Tanh())
    mlp.add(nn.Linear(HUs, outputs))
    return mlp


def _xor_example():
    input = lg.randn(2)
    output = lg.Tensor(1)
    if input[0] * input[1] > 0:
        output[0] = -1
    else:
        output[0] = 1
    return input, output


class _Reference:
    """The XOR mlp's parameters in float64 and its MSE gradient step."""

    def __init__(self, mlp):
        self.p = [t.numpy().copy() for t in mlp.parameters()[0]]

    def forward(self, x):
        W1, b1, W2, b2 = self.p
        h = np.tanh(W1 @ x + b1)
        return h, W2 @ h + b2

    def step(self, x, y, lr):
        W1, b1, W2, b2 = self.p
        h, out = self.forward(x)
        g = 2 * (out - y)
        gh = (W2.T @ g) * (1 - h ** 2)
        self.p = [W1 - lr * np.outer(gh, x), b1 - lr * gh, W2 - lr * np.outer(g, h), b2 - lr * g]


def test_manual_training_example():
    """Example of manual training: per random sample, criterion forward, zeroGradParameters, backward of the
    criterion's gradient, updateParameters(0.01); then the four corners ``(+-0.5, +-0.5)`` forwarded (each a
    1-element output). 40 of the doc's 2500 steps, replayed in NumPy."""
    mlp = _xor_mlp()
    criterion = nn.MSECriterion()
    ref = _Reference(mlp)
    for _ in range(40):
        input, output = _xor_example()
        criterion.forward(mlp.forward(input), output)
        mlp.zeroGradParameters()
        mlp.backward(input, criterion.backward(mlp.output, output))
        mlp.updateParameters(0.01)
        ref.step(input.numpy(), output.numpy(), 0.01)
    assert all(np.allclose(p.numpy(), q) for p, q in zip(mlp.parameters()[0], ref.p))
    x = lg.Tensor(2)
    for a, b in ((0.5, 0.5), (0.5, -0.5), (-0.5, 0.5), (-0.5, -0.5)):
        x[0], x[1] = a, b
        out = mlp.forward(x)
        assert out.size() == (1,) and np.allclose(out.numpy(), ref.forward(np.array([a, b]))[1])


class _Dataset(dict):
    """training.md's ``dataset = {}`` with ``function dataset:size() return 100 end`` and ``dataset[i] = {input,
    output}``: keys 0 .. n-1 here (StochasticGradient counts from 0, docs/porting.md's indices)."""

    def size(self):
        return 10


def test_stochasticgradient_example(capsys):
    """Example of training using StochasticGradient: 10 XOR examples (the doc's 100), learningRate 0.01, the
    default 25 epochs cut to 3; shuffleIndices false makes the order the dataset's, so the NumPy replay is
    exact; StochasticGradient.lua steps with accUpdateGradParameters, the same update."""
    dataset = _Dataset()
    for i in range(dataset.size()):
        dataset[i] = _xor_example()
    mlp = _xor_mlp()
    criterion = nn.MSECriterion()
    trainer = nn.StochasticGradient(mlp, criterion)
    trainer.learningRate = 0.01
    assert (trainer.learningRateDecay, trainer.maxIteration, trainer.shuffleIndices, trainer.verbose) == \
        (0, 25, True, True)
    trainer.maxIteration = 3
    trainer.shuffleIndices = False
    epochs = []
    trainer.hookIteration = lambda self, iteration, currentError: epochs.append((iteration, currentError))
    ref = _Reference(mlp)
    trainer.train(dataset)
    errors = []
    for _ in range(3):
        total = 0
        for i in range(10):
            x, y = dataset[i][0].numpy(), dataset[i][1].numpy()
            total += float(((ref.forward(x)[1] - y) ** 2).mean())
            ref.step(x, y, 0.01)
        errors.append(total / 10)
    assert all(np.allclose(p.numpy(), q) for p, q in zip(mlp.parameters()[0], ref.p))
    assert [i for i, _ in epochs] == [1, 2, 3] and np.allclose([e for _, e in epochs], errors)
    lines = capsys.readouterr().out.splitlines()
    assert lines == ['# StochasticGradient: training'] + ['# current error = %.14g' % e for _, e in epochs] + \
        ['# StochasticGradient: you have reached the maximum number of iterations',
         '# training error = %.14g' % epochs[-1][1]]
    trainer.verbose = False
    trainer.maxIteration = 1
    trainer.train(dataset)
    assert not [line for line in capsys.readouterr().out.splitlines() if line.startswith('# current error')]
