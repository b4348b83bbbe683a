"""torch/nn's doc/module.md, every example ported by docs/porting.md's rules (children numbered 0-based, ``==`` of
modules ``is``, a callback's result as the Lua's)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

pytestmark = pytest.mark.usefixtures('double_default')


def test_forward_backward_and_the_contract_methods():
    """forward, backward, updateOutput, updateGradInput, accGradParameters(scale), zeroGradParameters,
    updateParameters (``parameters - learningRate * gradients``) on a Linear."""
    m = nn.Linear(3, 2)
    x, g = lg.randn(3), lg.randn(2)
    out = m.forward(x)
    assert m.output is out and np.allclose(out.numpy(), m.updateOutput(x).numpy())
    m.zeroGradParameters()
    gi = m.backward(x, g)
    assert np.allclose(gi.numpy(), m.weight.numpy().T @ g.numpy())
    assert np.allclose(m.gradWeight.numpy(), np.outer(g.numpy(), x.numpy()))
    m.accGradParameters(x, g, 0.5)
    assert np.allclose(m.gradWeight.numpy(), 1.5 * np.outer(g.numpy(), x.numpy()))
    w, gw = m.weight.numpy().copy(), m.gradWeight.numpy().copy()
    m.updateParameters(0.1)
    assert np.allclose(m.weight.numpy(), w - 0.1 * gw)
    m.zeroGradParameters()
    assert m.gradWeight.abs().sum() == 0


def test_accupdategradparameters_is_the_doc_function():
    """accUpdateGradParameters(input, gradOutput, lr): the doc's definition swaps the weights in for the
    gradients and accumulates with scale ``-lr``: the weight moves by ``-lr`` times the gradient, gradWeight
    stays as it was."""
    m = nn.Linear(3, 2)
    x, g = lg.randn(3), lg.randn(2)
    m.forward(x)
    m.zeroGradParameters()
    w = m.weight.numpy().copy()
    m.accUpdateGradParameters(x, g, 0.1)
    assert np.allclose(m.weight.numpy(), w - 0.1 * np.outer(g.numpy(), x.numpy()))
    assert m.gradWeight.abs().sum() == 0


def test_share_example():
    """share: ``mlp2:share(mlp1, 'bias')``; setting ``mlp1:get(1).bias[1] = 99`` shows in mlp2."""
    mlp1 = nn.Sequential()
    mlp1.add(nn.Linear(100, 10))
    mlp2 = nn.Sequential()
    mlp2.add(nn.Linear(100, 10))
    mlp2.share(mlp1, 'bias')
    mlp1.get(0).bias[0] = 99
    assert mlp2.get(0).bias[0] == 99
    assert mlp2.get(0).weight.storage() is not mlp1.get(0).weight.storage()


def test_clone_example():
    """clone: ``mlp1:clone('weight', 'bias')`` shares both; the bias change shows in the copy."""
    mlp1 = nn.Sequential()
    mlp1.add(nn.Linear(100, 10))
    mlp2 = mlp1.clone('weight', 'bias')
    mlp1.get(0).bias[0] = 99
    assert mlp2.get(0).bias[0] == 99
    assert mlp1.clone().get(0).bias.storage() is not mlp1.get(0).bias.storage()


def test_type_example_recursive_type_keeps_sharing():
    """type: ``nn.utils.recursiveType({mlp1, mlp2}, 'torch.FloatTensor')`` converts both and they still share
    the bias; float() and double() convert a module."""
    mlp1 = nn.Sequential()
    mlp1.add(nn.Linear(100, 10))
    mlp2 = nn.Sequential()
    mlp2.add(nn.Linear(100, 10))
    mlp2.share(mlp1, 'bias')
    nn.utils.recursiveType([mlp1, mlp2], 'torch.FloatTensor')
    assert mlp1.get(0).bias.type() == mlp2.get(0).bias.type() == 'torch.FloatTensor'
    assert mlp1.get(0).bias.storage() is mlp2.get(0).bias.storage()
    assert mlp1.double().get(0).weight.type() == 'torch.DoubleTensor'
    assert mlp1.float().get(0).weight.type() == 'torch.FloatTensor'


def test_parameters_getparameters_training_evaluate():
    """parameters() gives the weights and their gradients; getParameters() flattens them into one storage each;
    training() and evaluate() set ``train``."""
    mlp = nn.Sequential().add(nn.Linear(3, 2)).add(nn.Linear(2, 1))
    params, grads = mlp.parameters()
    assert [p.size() for p in params] == [(2, 3), (2,), (1, 2), (1,)] and len(grads) == 4
    flat, gflat = mlp.getParameters()
    assert flat.size() == (6 + 2 + 2 + 1,) and mlp.get(1).bias.storage() is flat.storage()
    mlp.evaluate()
    assert mlp.train is False and mlp.get(0).train is False
    mlp.training()
    assert mlp.get(1).train is True


def _multi_resolution_model():
    model = nn.ParallelTable()
    conv_bank1 = nn.Sequential()
    conv_bank1.add(nn.SpatialConvolution(3, 16, 5, 5))
    conv_bank1.add(nn.Threshold())
    model.add(conv_bank1)
    conv_bank2 = nn.Sequential()
    conv_bank2.add(nn.SpatialConvolution(3, 16, 5, 5))
    conv_bank2.add(nn.Threshold())
    model.add(conv_bank2)
    return model


def test_findmodules_examples():
    """findModules: the two-resolution net (inputs 3x128x128 and 3x64x64 in the doc; 3x16x16 and 3x8x8 here, for
    speed) gives SpatialConvolution outputs 16x12x12 and 16x4x4; the Threshold nodes are replaced by Tanh in
    their containers (``container_nodes[i].modules[j] == threshold_nodes[i]`` is ``is``)."""
    model = _multi_resolution_model()
    input = [lg.rand(3, 16, 16), lg.rand(3, 8, 8)]
    model.forward(input)
    conv_nodes = model.findModules('nn.SpatialConvolution')[0]
    assert [c.output.size() for c in conv_nodes] == [(16, 12, 12), (16, 4, 4)]
    threshold_nodes, container_nodes = model.findModules('nn.Threshold')
    assert len(threshold_nodes) == 2
    for i in range(len(threshold_nodes)):
        for j in range(len(container_nodes[i].modules)):
            if container_nodes[i].modules[j] is threshold_nodes[i]:
                container_nodes[i].modules[j] = nn.Tanh()
    assert [lg.typename(s.get(1)) for s in model.modules] == ['nn.Tanh', 'nn.Tanh']
    assert model.findModules('nn.Threshold')[0] == []


def test_listmodules_example():
    """listModules: a Parallel holding a Sequential (Linear, Tanh) and a ReLU lists itself, the Sequential and
    the three leaves, printed as the doc shows (positions 0-based; the last branch drawn with Parallel.lua's
    ``lastNext``, where the doc's older print repeats the ``|``)."""
    mlp = nn.Sequential()
    mlp.add(nn.Linear(10, 20))
    mlp.add(nn.Tanh())
    mlp2 = nn.Parallel()          # Parallel.lua stores nil dimensions; only a forward needs them
    mlp2.add(mlp)
    mlp2.add(nn.ReLU())
    printed = [str(module) for module in mlp2.listModules()]
    assert printed == [
        'nn.Parallel {\n'
        '  input\n'
        '    |`-> (0): nn.Sequential {\n'
        '    |      [input -> (0) -> (1) -> output]\n'
        '    |      (0): nn.Linear(10 -> 20)\n'
        '    |      (1): nn.Tanh\n'
        '    |    }\n'
        '     `-> (1): nn.ReLU\n'
        '     ... -> output\n'
        '}',
        'nn.Sequential {\n'
        '  [input -> (0) -> (1) -> output]\n'
        '  (0): nn.Linear(10 -> 20)\n'
        '  (1): nn.Tanh\n'
        '}',
        'nn.Linear(10 -> 20)', 'nn.Tanh', 'nn.ReLU']
    with pytest.raises(TypeError, match=r'^Parallel: expected an inputDimension and an outputDimension to run'):
        mlp2.forward(lg.randn(10, 2))


def test_a_parallel_without_dimensions_round_trips_a_torch7_file(tmp_path):
    """listModules' ``nn.Parallel()`` saved as Torch7 writes it (its dimensions nil, so absent from the file)
    loads back with both unset, where the reader asked for whole numbers."""
    lg.save_lua(str(tmp_path / 'p.t7'), nn.Parallel().add(nn.ReLU()))
    q = lg.load(str(tmp_path / 'p.t7'))
    assert (q.inputDimension, q.outputDimension) == (None, None) and lg.typename(q.get(0)) == 'nn.ReLU'
    lg.save_lua(str(tmp_path / 'q.t7'), nn.Parallel(1, 0).add(nn.ReLU()))
    q = lg.load(str(tmp_path / 'q.t7'))
    assert (q.inputDimension, q.outputDimension) == (1, 0)


def test_clearstate():
    """clearState: the intermediate buffers (output, gradInput) are emptied; the parameters stay."""
    m = nn.Sequential().add(nn.Linear(3, 2))
    m.forward(lg.randn(3))
    w = m.get(0).weight.clone()
    m.clearState()
    assert m.output.nElement() == 0 and m.get(0).output.nElement() == 0
    assert np.array_equal(m.get(0).weight.numpy(), w.numpy())


def test_apply_example():
    """apply: ``model:apply(function(module) module.train = true end)`` visits the model and every module in it."""
    model = nn.Sequential().add(nn.Linear(3, 2)).add(nn.Dropout())
    model.evaluate()

    def f(module):
        module.train = True

    model.apply(f)
    assert model.train and model.get(0).train and model.get(1).train


def test_replace_example():
    """replace: every nn.Dropout becomes an nn.Identity, the other modules are kept."""
    model = nn.Sequential().add(nn.Linear(3, 2)).add(nn.Dropout()).add(nn.Sequential().add(nn.Dropout()))

    def swap(module):
        if lg.typename(module) == 'nn.Dropout':
            return nn.Identity()
        return module

    model.replace(swap)
    assert [lg.typename(m) for m in model.listModules()] == \
        ['nn.Sequential', 'nn.Linear', 'nn.Identity', 'nn.Sequential', 'nn.Identity']
