"""torch/nn's doc/containers.md, every example ported by docs/porting.md's rules. A container prints its children's
positions 0-based, as ``get`` takes them (docs/porting.md's row); values drawn at random are checked against
float64 NumPy formulas of what the doc describes."""
import math
import re

import numpy as np
import pytest

import legonn as lg
from legonn import nn

pytestmark = pytest.mark.usefixtures('double_default')


def _linear(m, x):
    return m.weight.numpy() @ x + m.bias.numpy()


def test_container_add_get_size():
    """Container: ``add(module)``, ``get(index)`` (0-based), ``size()``."""
    mlp = nn.Sequential()
    a, b = nn.Linear(2, 3), nn.Tanh()
    assert mlp.add(a) is mlp
    mlp.add(b)
    assert mlp.size() == 2 and mlp.get(0) is a and mlp.get(1) is b


def test_sequential_example_prints_and_forwards():
    """Sequential: Linear(10, 25) - Tanh - Linear(25, 1) prints as the doc's tree, positions 0-based; forward of a
    10-vector is a 1-element tensor ``W2 tanh(W1 x + b1) + b2``."""
    mlp = nn.Sequential()
    mlp.add(nn.Linear(10, 25))
    mlp.add(nn.Tanh())
    mlp.add(nn.Linear(25, 1))
    assert str(mlp) == ('nn.Sequential {\n'
                        '  [input -> (0) -> (1) -> (2) -> output]\n'
                        '  (0): nn.Linear(10 -> 25)\n'
                        '  (1): nn.Tanh\n'
                        '  (2): nn.Linear(25 -> 1)\n'
                        '}')
    x = lg.randn(10)
    out = mlp.forward(x)
    assert out.size() == (1,)
    assert np.allclose(out.numpy(), _linear(mlp.get(2), np.tanh(_linear(mlp.get(0), x.numpy()))))


def test_sequential_remove_example():
    """Sequential:remove: ``model:remove(2)`` (here 1) drops the middle Linear(20 -> 20)."""
    model = nn.Sequential()
    model.add(nn.Linear(10, 20))
    model.add(nn.Linear(20, 20))
    model.add(nn.Linear(20, 30))
    model.remove(1)
    assert str(model) == ('nn.Sequential {\n'
                          '  [input -> (0) -> (1) -> output]\n'
                          '  (0): nn.Linear(10 -> 20)\n'
                          '  (1): nn.Linear(20 -> 30)\n'
                          '}')
    model.remove()          # no index: the last
    assert model.size() == 1 and str(model.get(0)) == 'nn.Linear(10 -> 20)'


def test_sequential_insert_example():
    """Sequential:insert: ``model:insert(nn.Linear(20, 20), 2)`` (here 1) puts it between the two others."""
    model = nn.Sequential()
    model.add(nn.Linear(10, 20))
    model.add(nn.Linear(20, 30))
    model.insert(nn.Linear(20, 20), 1)
    assert str(model) == ('nn.Sequential {\n'
                          '  [input -> (0) -> (1) -> (2) -> output]\n'
                          '  (0): nn.Linear(10 -> 20)\n'
                          '  (1): nn.Linear(20 -> 20)\n'
                          '  (2): nn.Linear(20 -> 30)\n'
                          '}')


def test_parallel_example_1():
    """Parallel: ``nn.Parallel(2, 1)`` (here 1, 0) gives column i of a 10x2 input to module i and joins the
    outputs along the first dimension: 3 + 2 = 5."""
    mlp = nn.Parallel(1, 0)
    mlp.add(nn.Linear(10, 3))
    mlp.add(nn.Linear(10, 2))
    x = lg.randn(10, 2)
    out = mlp.forward(x)
    want = np.concatenate([_linear(mlp.get(0), x.numpy()[:, 0]), _linear(mlp.get(1), x.numpy()[:, 1])])
    assert out.size() == (5,) and np.allclose(out.numpy(), want)


def test_parallel_example_2_trains():
    """Parallel: ``nn.Parallel(1, 2)`` (here 0, 1) of ten Linear(3, 2)-Reshape(2, 1) gives 2x10 from 10x3; the
    training loop towards ones (30 of the doc's 10000 steps) lowers the error."""
    mlp = nn.Sequential()
    c = nn.Parallel(0, 1)
    for _ in range(10):
        t = nn.Sequential()
        t.add(nn.Linear(3, 2))
        t.add(nn.Reshape(2, 1))
        c.add(t)
    mlp.add(c)
    x = lg.randn(10, 3)
    pred = mlp.forward(x)
    assert pred.size() == (2, 10)
    assert np.allclose(pred.numpy()[:, 4], _linear(c.get(4).get(0), x.numpy()[4]))
    # the doc's loop (30 of its 10000 steps), replayed in NumPy: MSE over the 2x10 output gives branch i's Linear
    # the gradient 2/20 (pred[:, i] - 1) on its bias and its outer product with x[i] on its weight
    lins = [c.get(i).get(0) for i in range(10)]
    W = [m.weight.numpy().copy() for m in lins]
    b = [m.bias.numpy().copy() for m in lins]
    for _ in range(30):
        x = lg.randn(10, 3)
        y = lg.ones(2, 10)
        pred = mlp.forward(x)
        criterion = nn.MSECriterion()
        err = criterion.forward(pred, y)
        gradCriterion = criterion.backward(pred, y)
        mlp.zeroGradParameters()
        mlp.backward(x, gradCriterion)
        mlp.updateParameters(0.01)
        xs = x.numpy()
        outs = [W[i] @ xs[i] + b[i] for i in range(10)]
        assert np.isclose(err, np.mean((np.stack(outs, 1) - 1) ** 2))
        for i in range(10):
            g = 2 / 20 * (outs[i] - 1)
            W[i] -= 0.01 * np.outer(g, xs[i])
            b[i] -= 0.01 * g
    assert all(np.allclose(m.weight.numpy(), w) and np.allclose(m.bias.numpy(), v) for m, w, v in zip(lins, W, b))


def test_concat_example():
    """Concat: ``nn.Concat(1)`` (here 0) of Linear(5, 3) and Linear(5, 7) gives a 10-vector."""
    mlp = nn.Concat(0)
    mlp.add(nn.Linear(5, 3))
    mlp.add(nn.Linear(5, 7))
    x = lg.randn(5)
    out = mlp.forward(x)
    want = np.concatenate([_linear(mlp.get(0), x.numpy()), _linear(mlp.get(1), x.numpy())])
    assert out.size() == (10,) and np.allclose(out.numpy(), want)


def test_depthconcat_example():
    """DepthConcat: 1x1, 3x3 and 4x4 convolutions (2 planes each) of a 3x7x7 input give 7x7, 5x5 and 4x4 maps,
    joined as 6x7x7 with each smaller map centred in zeros (the doc: planes 3-4 padded by 1 on each side, 5-6 by 1
    on the top-left, 2 on the bottom-right)."""
    inputSize, outputSize = 3, 2
    input = lg.randn(inputSize, 7, 7)
    mlp = nn.DepthConcat(0)
    mlp.add(nn.SpatialConvolutionMM(inputSize, outputSize, 1, 1))
    mlp.add(nn.SpatialConvolutionMM(inputSize, outputSize, 3, 3))
    mlp.add(nn.SpatialConvolutionMM(inputSize, outputSize, 4, 4))
    out = mlp.forward(input).numpy()
    assert out.shape == (6, 7, 7)
    assert np.array_equal(out[0:2], mlp.get(0).output.numpy())
    assert np.array_equal(out[2:4, 1:6, 1:6], mlp.get(1).output.numpy())
    assert np.array_equal(out[4:6, 1:5, 1:5], mlp.get(2).output.numpy())
    zeros = np.ones((7, 7), bool)
    zeros[1:6, 1:6] = False
    assert (out[2:4][:, zeros] == 0).all()
    zeros = np.ones((7, 7), bool)
    zeros[1:5, 1:5] = False
    assert (out[4:6][:, zeros] == 0).all()


def test_decorator_passes_calls_through():
    """Decorator: ``nn.Decorator(module)`` forwards and backwards through the module it holds."""
    inner = nn.Linear(3, 2)
    dmodule = nn.Decorator(inner)
    x = lg.randn(3)
    assert np.array_equal(dmodule.forward(x).numpy(), inner.output.numpy())
    assert dmodule.parameters()[0][0] is inner.weight


def test_bottle_example():
    """Bottle: ``nn.Bottle(nn.Linear(10, 2))`` of a 4x5x3x10 input gives 4x5x3x2."""
    input = lg.Tensor(4, 5, 3, 10).uniform()
    mlp = nn.Bottle(nn.Linear(10, 2))
    assert input.size() == (4, 5, 3, 10)
    out = mlp.forward(input)
    assert out.size() == (4, 5, 3, 2)
    lin = mlp.get(0)
    assert np.allclose(out.numpy(), input.numpy() @ lin.weight.numpy().T + lin.bias.numpy())


def test_weightnorm_usage():
    """WeightNorm: ``nn.WeightNorm(module)`` computes the module with ``w = g * v / ||v||``; wrapping changes
    nothing at first."""
    lin = nn.Linear(4, 3)
    x = lg.randn(4)
    before = lin.forward(x).numpy().copy()
    module = nn.WeightNorm(lin)
    assert np.allclose(module.forward(x).numpy(), before)


def test_dontcast_example():
    """DontCast: ``nn.DontCast(nn.Linear(3,4):float())`` keeps its float module through ``module:double()``, so a
    FloatTensor forward prints a FloatTensor of size 4."""
    module = nn.DontCast(nn.Linear(3, 4).float())
    module.double()
    out = module.forward(lg.FloatTensor([1, 2, 3]))
    assert out.type() == 'torch.FloatTensor' and out.size() == (4,)


def test_nan_example():
    """NaN: three wrapped modules print ``nn.NaN(id) @ ...`` with consecutive ids (the doc's 1, 2, 3 in a fresh
    Lua session); a bias filled with ``math.log(math.log(0))`` (NaN) fails the forward with NaN.lua's message
    "NaN found in parameters of module" and the module's line."""
    linear = nn.Linear(3, 4)
    mlp = nn.Sequential()
    mlp.add(nn.NaN(nn.Identity()))
    mlp.add(nn.NaN(linear))
    mlp.add(nn.NaN(nn.Linear(4, 2)))
    first = mlp.get(0).id
    assert str(mlp) == ('nn.Sequential {\n'
                        '  [input -> (0) -> (1) -> (2) -> output]\n'
                        f'  (0): nn.NaN({first}) @ nn.Identity\n'
                        f'  (1): nn.NaN({first + 1}) @ nn.Linear(3 -> 4)\n'
                        f'  (2): nn.NaN({first + 2}) @ nn.Linear(4 -> 2)\n'
                        '}')
    nan = math.nan      # math.log(math.log(0)): log(-inf) is NaN in Lua; Python's math.log raises on both
    linear.bias.fill(nan)
    with pytest.raises(ValueError, match=r'NaN found in parameters of module :\nnn\.NaN\(%d\) @ nn\.Linear\(3 -> 4\)'
                       % (first + 1)):
        mlp.forward(lg.randn(2, 3))
    model = nn.Sequential().add(nn.Linear(2, 2))
    model.replace(lambda module: nn.NaN(module))
    # Module.lua's replace returns the callback's result for the model itself (discarded here, as in the doc)
    # and replaces each child in place
    assert lg.typename(model) == 'nn.Sequential' and lg.typename(model.get(0)) == 'nn.NaN'


def test_profile_example(capsys):
    """Profile: ``mlp:replace(function(module) return nn.Profile(module, 1000) end)`` wraps every module; each
    prints ``nn.Identity took 0.026 seconds for 1000 forward passes`` (Profile.lua names a module by torch.type)
    every print_interval calls (3 calls, interval 3, and 10-wide layers here, for speed)."""
    mlp = nn.Sequential()
    mlp.add(nn.Identity())
    mlp.add(nn.Linear(10, 10))
    mlp.add(nn.Tanh())
    mlp.replace(lambda module: nn.Profile(module, 3))
    assert [lg.typename(m) for m in mlp.modules] == ['nn.Profile'] * 3
    inp = lg.randn(10)
    gradOutput = lg.randn(10)
    for _ in range(3):
        mlp.forward(inp)
        mlp.backward(inp, gradOutput)
    lines = capsys.readouterr().out.splitlines()
    kinds = [(n, 'forward') for n in ('nn.Identity', 'nn.Linear', 'nn.Tanh')] + \
            [(n, 'backward') for n in ('nn.Tanh', 'nn.Linear', 'nn.Identity')]
    assert len(lines) == 6
    for line, (name, kind) in zip(lines, kinds):
        assert re.match(r'^%s took \d+\.\d{3} seconds for 3 %s passes$' % (re.escape(name), kind), line), line
