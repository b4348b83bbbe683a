"""StochasticGradient: Torch7's example-by-example SGD trainer."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

X = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25], [2.0, 1.0]])
T = np.array([[1.0], [-0.5], [0.75], [2.0]])


class Dataset:
    """Torch7's dataset protocol: size() and 0-based dataset[i] -> (input, target)."""

    def __init__(self, x, t, convert=lambda a: a):
        self.examples = [(convert(x[i]), convert(t[i])) for i in range(len(x))]

    def size(self):
        return len(self.examples)

    def __getitem__(self, i):
        return self.examples[i]


def reference(w, b, lr, decay, epochs):
    """The same loop in NumPy: MSE on one output, per-example update, Torch7's learning-rate decay."""
    w, b = w.copy(), b.copy()
    rate = lr
    for epoch in range(1, epochs + 1):
        errors = []
        for x, t in zip(X, T):
            y = w @ x + b
            errors.append(float(((y - t) ** 2).mean()))
            g = 2 * (y - t) / y.size
            w -= rate * np.outer(g, x)
            b -= rate * g
        rate = lr / (1 + (epoch + 1) * decay)
    return w, b, np.mean(errors)


def make(kind='double'):
    lg.manualSeed(5)
    model = getattr(nn.Linear(2, 1), kind)()
    return model, getattr(nn.MSECriterion(), kind)()


def test_matches_numpy_sgd_with_decay(capsys):
    model, crit = make()
    w0, b0 = model.weight.numpy().copy(), model.bias.numpy().copy()
    trainer = nn.StochasticGradient(model, crit)
    trainer.learningRate, trainer.learningRateDecay, trainer.maxIteration = 0.05, 0.5, 3
    trainer.shuffleIndices = False
    error = trainer.train(Dataset(X, T))
    w, b, ref_error = reference(w0, b0, 0.05, 0.5, 3)
    np.testing.assert_allclose(model.weight.numpy(), w, rtol=1e-12)
    np.testing.assert_allclose(model.bias.numpy(), b, rtol=1e-12)
    assert error == pytest.approx(ref_error, rel=1e-12)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == '# StochasticGradient: training'
    assert len([p for p in printed if p.startswith('# current error = ')]) == 3
    assert printed[-2] == '# StochasticGradient: you have reached the maximum number of iterations'
    assert printed[-1] == '# training error = %.14g' % error    # StochasticGradient.lua:57, Lua's number text


def test_defaults_and_training_reduces_the_error():
    model, crit = make()
    trainer = nn.StochasticGradient(model, crit)
    assert (trainer.learningRate, trainer.learningRateDecay, trainer.maxIteration, trainer.shuffleIndices) == \
        (0.01, 0, 25, True)
    data = Dataset(X, T, lg.DoubleTensor)
    before = np.mean([crit.forward(model.forward(x), t) for x, t in data.examples])
    after = trainer.train(data)
    assert after < before


def test_one_shuffle_per_train_call_and_hooks():
    model, crit = make()
    trainer = nn.StochasticGradient(model, crit)
    trainer.maxIteration = 3
    seen, epochs = [], []
    trainer.hookExample = lambda tr, example: seen.append(int(np.flatnonzero((X == example[0]).all(1))[0]))
    trainer.hookIteration = lambda tr, iteration, error: epochs.append((iteration, error))   # StochasticGradient.lua
    final = trainer.train(Dataset(X, T))
    assert [e[0] for e in epochs] == [1, 2, 3] and epochs[-1][1] == final
    assert sorted(seen[:4]) == [0, 1, 2, 3]
    assert seen[:4] == seen[4:8] == seen[8:]


def test_float_and_double_models_train_alike():
    results = []
    for kind in ('float', 'double'):
        model, crit = make(kind)
        trainer = nn.StochasticGradient(model, crit)
        trainer.shuffleIndices, trainer.maxIteration = False, 4
        conv = lg.FloatTensor if kind == 'float' else lg.DoubleTensor
        trainer.train(Dataset(X, T, conv))
        assert model.weight.type() == f'legonn.{kind.capitalize()}Tensor'
        results.append(model.weight.numpy().astype(np.float64))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)


@pytest.mark.gpu
def test_gpu_matches_cpu():
    weights = []
    for cuda in (False, True):
        model, crit = make()
        if cuda:
            model, crit = model.cudaDouble(), crit.cudaDouble()
        trainer = nn.StochasticGradient(model, crit)
        trainer.shuffleIndices, trainer.maxIteration = False, 3
        trainer.train(Dataset(X, T, (lambda a: lg.DoubleTensor(a).cudaDouble()) if cuda else lg.DoubleTensor))
        weights.append(model.weight.cpu().numpy().copy())
    np.testing.assert_allclose(weights[1], weights[0], rtol=1e-10)


def test_bad_dataset_and_fields_raise_clear_errors():
    model, crit = make()
    trainer = nn.StochasticGradient(model, crit)
    with pytest.raises(TypeError, match=r'StochasticGradient.train: expected a dataset with size\(\)'):
        trainer.train([(X[0], T[0])])
    empty = Dataset(X[:0], T[:0])
    with pytest.raises(ValueError, match=r'StochasticGradient.train: expected dataset.size\(\) to be a positive'):
        trainer.train(empty)
    trainer.learningRate = '0.1'
    with pytest.raises(TypeError, match='StochasticGradient: learningRate must be a number'):
        trainer.train(Dataset(X, T))
    trainer.learningRate = 0.1
    with pytest.raises(ValueError, match=r'Linear\(2 -> 1\): expected 2 input features, got 3'):
        trainer.train(Dataset(np.ones((2, 3)), T[:2]))
