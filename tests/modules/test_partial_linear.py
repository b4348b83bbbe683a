"""PartialLinear."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def _input(size):
    return lg.DoubleTensor(np.random.default_rng(9).normal(size=size))


def _partial(bias=True):
    m = nn.PartialLinear(4, 6, bias)
    m.bias is not None and m.bias.uniform(-1, 1)
    return m.setPartition(lg.LongTensor([5, 0, 2]))


@pytest.mark.parametrize('size,bias', [((2, 4), True), ((4,), False)])
def test_jacobian(size, bias):
    assert_jacobian(_partial(bias), _input(size))


def test_matches_linear_rows_and_only_partition_gets_gradient():
    m = _partial().double()
    x = _input((3, 4))
    w, b = m.weight.numpy(), m.bias.numpy()
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() @ w[[5, 0, 2]].T + b[[5, 0, 2]], rtol=1e-13)
    m.zeroGradParameters()
    m.backward(x, lg.DoubleTensor(3, 3).fill(1))
    assert not m.gradWeight.numpy()[[1, 3, 4]].any() and m.gradWeight.numpy()[[0, 2, 5]].any()
    m.resetPartition()
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() @ w.T + b, rtol=1e-13)


def test_type_roundtrip():
    assert_type_roundtrip(_partial(), _input((2, 4)))


@pytest.mark.gpu
def test_gpu():
    assert_gpu_matches_cpu(_partial(), _input((2, 4)))
    m = nn.PartialLinear(4, 6).cuda().resetPartition()   # the full partition made on the module's device
    assert m.partition.is_cuda and m.partition.tolist() == list(range(6))
    x = _input((2, 4)).cuda()
    m.bias.uniform(-1, 1)   # the network leaves the bias out
    np.testing.assert_allclose(m.network.forward([x, m.partition]).float().numpy(),
                               (m.forward(x) - m.bias.view(1, 6)).float().numpy(), rtol=1e-5)


def test_bad_partition_and_input():
    m = nn.PartialLinear(4, 6)
    with pytest.raises(IndexError):
        m.setPartition([0, 6])
    with pytest.raises(ValueError, match=r'PartialLinear\(4 -> 6\): expected 4 input features'):
        m.forward(lg.FloatTensor(2, 3))


def test_network_is_the_lua_net_around_this_modules_weight():
    """PartialLinear.lua keeps its weight in ``network``'s LookupTable (torch/nn's test.lua reads
    ``module.network:get(1):get(2).weight``): the net read here holds this module's own tensors and computes
    the partition's outputs without the bias."""
    m = _partial().double()
    table = m.network.get(0).get(1)
    assert table.weight is m.weight and table.gradWeight is m.gradWeight
    x = _input((3, 4))
    np.testing.assert_allclose(m.network.forward([x, m.partition]).numpy(),
                               m.forward(x).numpy() - m.bias.numpy()[[5, 0, 2]], rtol=1e-13)
    m.network.get(0).get(1).weight.fill(2)
    assert (m.weight.numpy() == 2).all()
