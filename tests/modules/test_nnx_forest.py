"""nnx's SoftMaxForest (clementfarabet/lua---nnx SoftMaxForest.lua)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_close_trees, numeric_gradient

TREES = [{0: [1, 2], 1: [3, 4, 5]}, {0: [1, 2, 3], 2: [4, 5]}]


def _forest():
    lg.manualSeed(2)
    return nn.SoftMaxForest(3, TREES, [0, 0], [4]).double()


def _input():
    return [lg.DoubleTensor(np.random.RandomState(3).randn(4, 3)), lg.IntTensor([4, 2, 5, 1])]


def test_output_is_the_gated_mixture_of_the_trees():
    """SoftMaxForest.lua: MixtureTable of the gater's softmax (SelectTable(0), Linear, Tanh, Linear, SoftMax on
    the input alone) and each SoftMaxTree's log-likelihood of the targets."""
    forest, (x, t) = _forest(), _input()
    out = forest.forward([x, t]).numpy()
    w1, b1 = forest.gater.modules[1].weight.numpy(), forest.gater.modules[1].bias.numpy()
    w2, b2 = forest.gater.modules[3].weight.numpy(), forest.gater.modules[3].bias.numpy()
    scores = np.tanh(x.numpy() @ w1.T + b1) @ w2.T + b2
    gate = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    experts = np.stack([smt.clone().forward([x, t]).numpy() for smt in forest.smts], axis=1)
    np.testing.assert_allclose(out, (gate * experts).sum(axis=1), rtol=1e-12)


def test_gradients_match_finite_differences():
    """d output / d input and d output / d the gater's and a tree's parameters (gradOutput-weighted sums),
    against central differences in float64 (to 1e-6: SoftMaxTree's forward sums Torch7's approximate exponential,
    its backward the exact one); the targets' gradient is zeros."""
    forest, (x, t) = _forest(), _input()
    go = lg.DoubleTensor(np.random.RandomState(4).randn(4))

    def loss():
        return float((forest.forward([x, t]).numpy() * go.numpy()).sum())
    forest.zeroGradParameters()
    forest.forward([x, t])
    grad = forest.backward([x, t], go)
    np.testing.assert_allclose(grad[0].numpy(), numeric_gradient(loss, x.numpy()), atol=1e-6)
    assert not grad[1].numpy().any()
    for p, g in [(forest.gater.modules[1].weight, forest.gater.modules[1].gradWeight),
                 (forest.smts[1].weight, forest.smts[1].gradWeight)]:
        np.testing.assert_allclose(g.numpy(), numeric_gradient(loss, p.numpy()), atol=1e-6)


def test_types_and_clone():
    """float()/double() outputs agree; parameters() holds the gater's and every tree's."""
    forest, (x, t) = _forest(), _input()
    out64 = forest.forward([x, t])
    out32 = forest.float().forward([x.float(), t])
    assert out32.type() == 'legonn.FloatTensor'
    assert_close_trees(out32, out64, rtol=1e-5, atol=1e-6)
    assert len(forest.parameters()[0]) == 4 + 2 * 2


@pytest.mark.gpu
def test_gpu_matches_cpu():
    """The cuda() forest gives the CPU output and input gradient."""
    forest, (x, t) = _forest(), _input()
    gpu = forest.clone().cudaDouble()
    go = lg.DoubleTensor(np.random.RandomState(4).randn(4))
    assert_close_trees(forest.forward([x, t]), gpu.forward([x.cudaDouble(), t.cudaInt()]))
    assert_close_trees(forest.backward([x, t], go)[0], gpu.backward([x.cudaDouble(), t.cudaInt()], go.cudaDouble())[0])


def test_bad_arguments():
    """Mismatched rootIds, accUpdate (not built) and an input of the wrong width fail naming SoftMaxForest."""
    with pytest.raises(ValueError, match='SoftMaxForest: expected 2 rootIds'):
        nn.SoftMaxForest(3, TREES, [0])
    with pytest.raises(ValueError, match='SoftMaxForest: expected accUpdate=False'):
        nn.SoftMaxForest(3, TREES, [0, 0], accUpdate=True)
    with pytest.raises(ValueError, match='SoftMaxForest'):
        _forest().forward([lg.randn(4, 5).double(), lg.IntTensor([4, 2, 5, 1])])
