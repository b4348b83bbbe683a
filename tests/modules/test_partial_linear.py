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
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() @ w[[5, 0, 2]].T + b[0, [5, 0, 2]], rtol=1e-13)
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
                               (m.forward(x) - m.bias).float().numpy(), rtol=1e-5)


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
                               m.forward(x).numpy() - m.bias.numpy()[0, [5, 0, 2]], rtol=1e-13)
    m.network.get(0).get(1).weight.fill(2)
    assert (m.weight.numpy() == 2).all()


def test_bias_is_the_lua_row_and_the_network_is_built_once():
    """PartialLinear.lua: ``self.bias = torch.Tensor(1, outputsize)``, and ``network`` made by the constructor,
    so a tensor assigned to its LookupTable's weight is the module's weight from then on (parameters() reads
    ``network:get(1):get(2).weight``)."""
    m = _partial().double()
    assert tuple(m.bias.size()) == (1, 6) and tuple(m.gradBias.size()) == (1, 6)
    assert m.network is m.network
    params, grads = m.getParameters()
    assert params.nElement() == 6 * 4 + 6 and grads.nElement() == 6 * 4 + 6
    table = m.network.get(0).get(1)
    table.weight = lg.DoubleTensor(6, 4).fill(0.5)
    table.gradWeight = lg.DoubleTensor(6, 4).zero()
    assert m.weight is table.weight and m.parameters()[0][0] is table.weight
    x = _input((3, 4))
    expected = x.numpy().sum(axis=1, keepdims=True) * 0.5 + m.bias.numpy()[0, [5, 0, 2]]
    np.testing.assert_allclose(m.forward(x).numpy(), expected, rtol=1e-13)
    m.backward(x, lg.DoubleTensor(3, 3).fill(1))
    np.testing.assert_allclose(table.gradWeight.numpy()[[5, 0, 2]], np.tile(x.numpy().sum(axis=0), (3, 1)))
    assert m.gradBias.numpy()[0, [5, 0, 2]].tolist() == [3, 3, 3] and not m.gradBias.numpy()[0, [1, 3, 4]].any()


def test_a_module_saved_with_its_own_weight_and_a_vector_bias_loads(tmp_path):
    """lg.load of a PartialLinear saved before it held Lua's network (weight and gradWeight its own fields, bias
    ``(outputsize,)``): the network is built around the saved tensors, the bias becomes the row, in place, and no
    random number is drawn."""
    m = _partial().double()
    x = _input((3, 4))
    expected = m.forward(x).numpy().copy()
    state = m.__dict__
    table = state.pop('network').get(0).get(1)
    state['weight'], state['gradWeight'] = table.weight, table.gradWeight
    state['bias'].resize(6)
    state['gradBias'].resize(6)
    path = str(tmp_path / 'old.lg')
    lg.save(path, nn.Sequential().add(m))
    lg.manualSeed(5)
    draws = lg.randn(3).numpy()
    lg.manualSeed(5)
    loaded = lg.load(path).get(0)
    np.testing.assert_array_equal(lg.randn(3).numpy(), draws)
    assert tuple(loaded.bias.size()) == (1, 6) and tuple(loaded.gradBias.size()) == (1, 6)
    assert loaded.network.get(0).get(1).weight is loaded.weight and 'weight' not in loaded.__dict__
    np.testing.assert_allclose(loaded.forward(x).numpy(), expected, rtol=1e-13)
    assert_jacobian(loaded, x)


def test_a_saved_network_of_another_shape_is_refused(tmp_path):
    m = nn.PartialLinear(4, 6)
    m.network.get(0).get(1).weight = lg.FloatTensor(5, 4)
    path = str(tmp_path / 'bad.lg')
    lg.save(path, m)
    # the declared sizes are checked first: the LookupTable's weight no longer matches its gradient (6 x 4)
    with pytest.raises(lg.FormatError, match=r"PartialLinear.*of size \(5, 4\) like its parameter"):
        lg.load(path)
    m.network = nn.Sequential().add(nn.Identity())
    lg.save(path, m)
    with pytest.raises(lg.FormatError, match=r"PartialLinear: network must be PartialLinear.lua's"):
        lg.load(path)
