"""Sequential: building (add/insert/remove/get/size), nesting, gradients, repr, and error paths."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def mlp():
    return nn.Sequential().add(nn.Linear(4, 5)).add(nn.Tanh()).add(nn.Linear(5, 3)).add(nn.LogSoftMax())


def test_add_insert_remove_get_size():
    s = nn.Sequential()
    a, b, c = nn.Tanh(), nn.ReLU(), nn.Sigmoid()
    assert s.add(a).add(c) is s
    s.insert(b, 1)
    assert [s.get(i) for i in range(s.size())] == [a, b, c] and len(s) == 3 and s[2] is c
    d = nn.Identity()
    s.insert(d)
    assert s.get(3) is d
    assert s.remove(0) is a and s.remove() is d and s.modules == [b, c]
    with pytest.raises(IndexError, match=r'Sequential.insert: index 5 out of range for 2 modules'):
        s.insert(nn.Tanh(), 5)
    with pytest.raises(IndexError, match=r'Sequential.remove: index 2 out of range'):
        s.remove(2)
    with pytest.raises(TypeError, match=r'Sequential.add: expected an nn module, got int'):
        s.add(3)


def test_an_empty_container_is_true_as_a_lua_table():
    """Lua's `if self.rnnModule then` (recurrent.torch's Recurrent.lua) tests for nil: a container is true with no
    children too, though len() counts them."""
    for empty in (nn.Sequential(), nn.Concat(1), nn.ParallelTable(), nn.ConcatTable()):
        assert len(empty) == 0 and bool(empty) is True
    assert (nn.Sequential() or None) is not None


@pytest.mark.parametrize('shape', [(3, 4), (4,)])
def test_jacobian_through_the_chain(shape):
    assert_jacobian(mlp(), lg.DoubleTensor(*shape))


def test_nested_matches_flat():
    flat = mlp().double()
    nested = nn.Sequential().add(nn.Sequential().add(flat.get(0)).add(flat.get(1))) \
        .add(nn.Sequential().add(flat.get(2)).add(flat.get(3)))
    x = np.random.default_rng(0).standard_normal((3, 4))
    go = np.random.default_rng(1).standard_normal((3, 3))
    y = flat.forward(x).clone()
    flat.zeroGradParameters()
    gi = flat.backward(x, go).clone()
    g = flat.getParameters()[1].clone()
    nested.zeroGradParameters()
    np.testing.assert_allclose(nested.forward(x).numpy(), y.numpy())
    np.testing.assert_allclose(nested.backward(x, go).numpy(), gi.numpy())
    np.testing.assert_allclose(nested.getParameters()[1].numpy(), g.numpy())
    assert_jacobian(nested, lg.DoubleTensor(2, 4))


def test_forward_matches_numpy():
    s = mlp().double()
    x = np.random.default_rng(0).standard_normal((3, 4))
    l1, l2 = s.get(0), s.get(2)
    h = np.tanh(x @ l1.weight.numpy().T + l1.bias.numpy())
    z = h @ l2.weight.numpy().T + l2.bias.numpy()
    ref = z - np.log(np.exp(z).sum(1, keepdims=True))
    np.testing.assert_allclose(s.forward(x).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(s(x).numpy(), ref, rtol=1e-12)  # calling the module on data is forward


def test_type_roundtrip():
    assert_type_roundtrip(mlp(), lg.rand(3, 4))


@pytest.mark.gpu
def test_gpu_matches_cpu():
    assert_gpu_matches_cpu(mlp(), lg.DoubleTensor(3, 4).normal())
    assert_gpu_matches_cpu(mlp(), lg.DoubleTensor(4).normal())


def test_repr_tree():
    s = nn.Sequential().add(nn.Linear(4, 5)).add(nn.Sequential().add(nn.ReLU()).add(nn.Dropout(0.5)))
    assert repr(s) == (
        'nn.Sequential {\n'
        '  [input -> (0) -> (1) -> output]\n'
        '  (0): nn.Linear(4 -> 5)\n'
        '  (1): nn.Sequential {\n'
        '    [input -> (0) -> (1) -> output]\n'
        '    (0): nn.ReLU\n'
        '    (1): nn.Dropout(0.500000)\n'
        '  }\n'
        '}')
    assert repr(nn.Sequential()) == 'nn.Sequential {}'


def test_error_paths_name_the_nested_module():
    s = nn.Sequential().add(nn.Linear(4, 5)).add(nn.Sequential().add(nn.ReLU()).add(nn.Linear(6, 2)))
    with pytest.raises(ValueError, match=r'^Sequential\[1\] Sequential\[1\] Linear\(6 -> 2\): expected 6 input '
                                         r'features, got 5'):
        s.forward(lg.rand(3, 4))
    with pytest.raises(ValueError, match=r'^Sequential\[0\] Linear\(4 -> 5\): expected a 1-D or 2-D input, got 3-D'):
        s.forward(lg.rand(2, 3, 4))


def test_backward_input_must_match_forward_and_nothing_accumulates():
    s = mlp()
    s.forward(lg.rand(3, 4))
    s.zeroGradParameters()
    with pytest.raises(ValueError, match=r"Sequential: expected backward's input to match forward's "
                                         r"\(legonn.FloatTensor of size \(3, 4\)\), got legonn.FloatTensor of size "
                                         r"\(2, 4\)"):
        s.backward(lg.rand(2, 4), lg.rand(3, 3))
    with pytest.raises(ValueError, match=r'Sequential\[3\] LogSoftMax: expected gradOutput of size \(3, 3\)'):
        s.backward(lg.rand(3, 4), lg.rand(3, 2))
    assert all(g.abs().max() == 0 for g in s.parameters()[1])


def test_acc_update_reaches_every_child():
    s = mlp().double()
    assert nn.Jacobian.testJacobianUpdateParameters(s, lg.DoubleTensor(3, 4), s.get(0).weight) < 1e-5
    assert nn.Jacobian.testJacobianUpdateParameters(s, lg.DoubleTensor(3, 4), s.get(2).bias) < 1e-5


def test_a_child_whose_type_returns_nothing_stays_in_place():
    """nn.utils.recursiveType (torch/nn utils.lua lines 43-45) calls a module's ``type`` and keeps the module,
    whatever the call returns: gtsrb.torch's networks.lua keeps its sampler a FloatTensor module in a net
    converted with ``:cuda()`` by giving it ``sampler.type = function(type) return self end`` (a nil global).
    legonn put the call's result (None) in the container in the module's place."""
    kept = nn.Tanh()

    def keep_type(type=None, tensorCache=None):
        return None
    kept.type = keep_type
    net = nn.Sequential().add(nn.Linear(3, 2)).add(kept)
    inner = nn.Sequential().add(net)
    assert inner.double() is inner
    assert net.get(1) is kept and inner.get(0) is net
    assert net.get(0).weight.type() == 'torch.DoubleTensor'
    assert kept._type == 'legonn.FloatTensor'
    assert [type(m).__name__ for m in inner.listModules()] == ['Sequential', 'Sequential', 'Linear', 'Tanh']


def test_a_child_whose_parameters_answers_nothing_is_skipped():
    """Container.lua:118-124 adds a child's parameters only ``if mw then``: AdaIN-style's getPreprocessConv
    (lib/utils.lua:23) replaces a conv's ``parameters`` by a function returning nothing, so its fixed weights stay
    out of getParameters."""
    fixed = nn.Linear(3, 3)
    fixed.parameters = lambda: None
    s = nn.Sequential().add(fixed).add(nn.Linear(3, 2))
    params, grads = s.parameters()
    assert len(params) == len(grads) == 2 and params[0] is s.get(1).weight
    flat, _ = s.getParameters()
    assert flat.nElement() == 3 * 2 + 2
    weight = fixed.weight.clone()
    fixed.gradWeight.fill(1)
    s.zeroGradParameters()      # Module.lua's `if gradParams then`: the hidden gradients are left as they are
    s.updateParameters(0.1)
    assert float(fixed.gradWeight.min()) == 1 and lg.equal(fixed.weight, weight)
    s.weightDecay(1e-2), s.updateGradParameters(0.9), s.maxParamNorm(1), s.checkParameters()


def test_a_child_frozen_with_a_nop_and_no_gradients_backpropagates():
    """Sequential.lua:78-91 calls each child's backward, so a child whose accGradParameters is a nop may drop its
    gradWeight and gradBias (AdaIN-style's ArtisticStyleLossCriterion.lua:49-53 freezes its encoder so); the
    others still accumulate. A child that keeps its accGradParameters but lost a gradient is refused before any
    child accumulates (a failed call changes no gradient)."""
    lg.manualSeed(1)
    frozen, trained = nn.Linear(3, 4), nn.Linear(4, 2)
    frozen.accGradParameters = lambda input, gradOutput, scale=1: None
    frozen.gradWeight = None
    frozen.gradBias = None
    s = nn.Sequential().add(frozen).add(nn.Tanh()).add(trained)
    x = lg.randn(5, 3)
    s.forward(x)
    trained.zeroGradParameters()
    weight = frozen.weight.clone()
    grad = s.backward(x, lg.ones(5, 2))
    assert grad.size() == (5, 3) and lg.equal(frozen.weight, weight) and float(trained.gradWeight.abs().sum()) > 0
    careless = nn.Linear(3, 4)
    careless.gradWeight = None
    s2 = nn.Sequential().add(careless).add(nn.Tanh()).add(trained)
    s2.forward(x)
    trained.zeroGradParameters()
    with pytest.raises(ValueError, match=r'Sequential.*gradient 0 to be a .*got a NoneType'):
        s2.backward(x, lg.ones(5, 2))
    assert float(trained.gradWeight.abs().sum()) == 0


class PatchMatcher(nn.Module):
    """A user module as CNNMRF's mylib/mrf.lua nn.MRFMM: ``weight`` and ``bias`` it convolves with inside its own
    updateGradInput, no gradWeight or gradBias, and Module's (empty) accGradParameters."""

    def __init__(self):
        super().__init__()
        self.weight = lg.randn(3, 4)
        self.bias = lg.zeros(3)

    def updateOutput(self, input):
        self.output = input.clone()
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput.clone().add(lg.mm(input, self.weight.t()).sum(1).expandAs(input))
        return self.gradInput


def test_a_child_with_parameters_and_modules_empty_acc_grad_parameters_backpropagates():
    """nn/Module.lua:29-47: a child's backward is updateGradInput then Module's empty accGradParameters, so a user
    module holding ``weight``/``bias`` without their gradients (CNNMRF's nn.MRFMM) backpropagates inside a
    Sequential (Sequential.lua:78-91 checks nothing), and the trained children still accumulate."""
    lg.manualSeed(2)
    matcher, trained = PatchMatcher(), nn.Linear(4, 2)
    s = nn.Sequential().add(matcher).add(trained)
    x = lg.randn(5, 4)
    s.forward(x)
    trained.zeroGradParameters()
    grad = s.backward(x, lg.ones(5, 2))
    g_lin = lg.mm(lg.ones(5, 2), trained.weight)
    expected = g_lin + lg.mm(x, matcher.weight.t()).sum(1).expandAs(x)
    assert lg.equal(grad, expected) and float(trained.gradWeight.abs().sum()) > 0
    assert matcher.gradWeight is None and matcher.gradBias is None


def test_add_insert_remove_track_the_end_childrens_output_and_gradinput():
    """Sequential.lua:7-14, 16-24 and 26-39: ``add`` makes the container's ``output`` the new last child's (its
    ``gradInput`` the first child's), as do ``insert`` and ``remove``; ramprs/grad-cam's grad_cam builds two
    Sequentials from a forwarded net's modules and backpropagates the second from ``model1.output``."""
    lg.manualSeed(0)
    net = mlp().double()
    x = lg.DoubleTensor(2, 4).normal()
    net.forward(x)
    net.backward(x, lg.DoubleTensor(2, 3).normal())
    model1, model2 = nn.Sequential(), nn.Sequential()
    model1.add(net.get(0)).add(net.get(1))
    assert model1.output is net.get(1).output and model1.gradInput is net.get(0).gradInput
    for i in range(2, 4):
        model2.add(net.get(i))
    model2.backward(model1.output, lg.DoubleTensor(2, 3).fill(1))
    h = np.tanh(x.numpy() @ net.get(0).weight.numpy().T + net.get(0).bias.numpy())
    np.testing.assert_allclose(model1.output.numpy(), h)
    soft = np.exp(net.output.numpy())
    expected = (np.ones((2, 3)) - 3 * soft) @ net.get(2).weight.numpy()
    np.testing.assert_allclose(model2.gradInput.numpy(), expected, rtol=1e-10)
    s = nn.Sequential().add(nn.Tanh())
    last, first = nn.Sigmoid(), nn.ReLU()
    s.insert(last)
    assert s.output is last.output
    s.insert(first, 0)
    assert s.gradInput is first.gradInput and s.output is last.output
    s.remove()
    assert s.output is s.get(1).output
    s.remove(0)
    assert s.gradInput is s.get(0).gradInput and s.output is s.get(0).output
