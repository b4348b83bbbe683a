"""Containers nested in containers: parameters, getParameters, sharing, clone, type, modes,
clearState, repr, error paths, and failed calls that leave gradients untouched."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


def deep():
    """Sequential > ConcatTable > (Sequential > Linear, Tanh | Bottle > Linear) > ParallelTable > JoinTable."""
    branch_a = nn.Sequential().add(nn.Linear(3, 2)).add(nn.Tanh())
    branch_b = nn.Bottle(nn.Concat(1).add(nn.Linear(3, 1)).add(nn.Linear(3, 1)))
    return (nn.Sequential()
            .add(nn.ConcatTable().add(branch_a).add(branch_b))
            .add(nn.ParallelTable().add(nn.Decorator(nn.Linear(2, 2))).add(nn.Sequential().add(nn.Tanh())))
            .add(nn.JoinTable(1)))


def test_deep_jacobian_and_types():
    assert_jacobian(deep(), r(2, 3))
    assert_type_roundtrip(deep(), r(2, 3))


@pytest.mark.gpu
def test_deep_gpu():
    assert_gpu_matches_cpu(deep(), r(2, 3))


def test_parameters_set_on_a_parameter_free_child_are_found():
    """A container reads each child's parameters: a weight or bias put on an instance of a parameter-free class,
    or a parameters method set on the instance, counts as Torch7's getParameters would find it."""
    weighted, biased, patched = nn.Identity().double(), nn.Tanh().double(), nn.Sigmoid().double()
    weighted.weight, weighted.gradWeight = lg.DoubleTensor(2, 3).fill(1), lg.DoubleTensor(2, 3).zero()
    biased.bias, biased.gradBias = lg.DoubleTensor(3).fill(2), lg.DoubleTensor(3).zero()
    extra, extra_grad = lg.DoubleTensor(4).fill(3), lg.DoubleTensor(4).zero()
    patched.parameters = lambda: ([extra], [extra_grad])
    m = nn.Sequential().add(weighted).add(nn.ReLU()).add(nn.Sequential().add(biased).add(patched))
    params, grads = m.parameters()
    assert [p is q for p, q in zip(params, [weighted.weight, biased.bias, extra])] == [True] * 3 and len(params) == 3
    assert [g is q for g, q in zip(grads, [weighted.gradWeight, biased.gradBias, extra_grad])] == [True] * 3
    assert nn.Sequential().add(nn.Identity()).add(nn.Tanh()).parameters() == ([], [])


def test_parameters_and_get_parameters_through_nesting():
    m = deep().double()
    params, grads = m.parameters()
    assert len(params) == 8
    flat, flat_grad = m.getParameters()
    assert flat.nElement() == sum(p.nElement() for p in params) == (6 + 2) + 2 * (3 + 1) + (4 + 2)
    assert all(p.storage() is flat.storage() for p in m.parameters()[0])
    # a second call returns views of the same storage
    again, _ = m.getParameters()
    assert again.storage() is flat.storage()
    x = r(2, 3)
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, np.ones((2, 4)))
    assert np.abs(flat_grad.numpy()).sum() > 0
    np.testing.assert_allclose(flat_grad.numpy(), np.concatenate([g.numpy().ravel() for g in m.parameters()[1]]))
    flat.zero()
    assert not m.forward(x).numpy()[:, :2].any()  # Linear -> Tanh branch gives tanh(0) after the last Linear


def test_shared_weights_across_containers_pack_once():
    a = nn.Linear(3, 3).double()
    b = a.clone('weight', 'bias', 'gradWeight', 'gradBias')
    m = nn.ConcatTable().add(nn.Sequential().add(a)).add(nn.Parallel(0, 0).add(b).add(nn.Linear(3, 1).double()))
    flat, grads = m.getParameters()
    assert flat.nElement() == 12 + 4
    a.weight.array[0, 0] = 42.0
    assert b.weight.numpy()[0, 0] == 42.0
    x = r(2, 3)
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, [np.ones((2, 3)), np.ones(4)])
    # the shared gradient holds both uses
    np.testing.assert_allclose(a.gradBias.numpy(), [2 + 1] * 3)  # 2 rows through a, 1 slice through b


def test_clone_type_modes_clear_state_and_repr():
    m = deep().double()
    x = r(2, 3)
    out = m.forward(x).numpy().copy()
    twin = m.clone()
    np.testing.assert_allclose(twin.forward(x).numpy(), out)
    assert twin.parameters()[0][0].storage() is not m.parameters()[0][0].storage()
    shared = m.clone('weight', 'bias')
    assert shared.parameters()[0][0].storage() is m.parameters()[0][0].storage()
    m.float()
    assert all(p.type() == 'legonn.FloatTensor' for p in m.parameters()[0])
    m.evaluate()
    assert all(not mod.train for mod in m.listModules())
    m.training()
    assert all(mod.train for mod in m.listModules())
    m.clearState()
    concat = m.get(0).get(1).get(0)
    assert concat.output.nElement() == 0 and all(t.nElement() == 0 for t in m.get(0).output)
    assert len(m.findModules('nn.Linear')[0]) == 4
    text = repr(m)
    assert 'nn.ConcatTable {' in text and 'nn.Bottle(2 -> 2) @ nn.Concat {' in text and '|`-> (0): nn.Linear' in text


def test_errors_name_the_full_path_and_leave_gradients_untouched():
    m = deep().double()
    x = r(2, 3)
    with pytest.raises(ValueError, match=r"^Sequential\[0\] ConcatTable\[0\] Sequential\[0\] Linear\(3 -> 2\): "
                                         r"expected 3 input features, got 4"):
        m.forward(r(2, 4))
    m.forward(x)
    m.zeroGradParameters()
    with pytest.raises(ValueError, match=r"^Sequential\[2\] JoinTable\(1\): expected gradOutput of size \(2, 4\), "
                                         r"got \(2, 5\)"):
        m.backward(x, np.ones((2, 5)))
    assert all(not g.numpy().any() for g in m.parameters()[1])
    c = nn.Concat(1).add(nn.Linear(3, 2)).add(nn.Linear(3, 2)).double()
    c.forward(x)
    c.zeroGradParameters()
    with pytest.raises(ValueError, match=r"^Concat: expected gradOutput of size \(2, 4\), got \(2, 3\)"):
        c.backward(x, np.ones((2, 3)))
    assert all(not g.numpy().any() for g in c.parameters()[1])
    p = nn.ParallelTable().add(nn.Linear(3, 2)).add(nn.Linear(3, 2)).double()
    p.forward([x, x])
    p.zeroGradParameters()
    with pytest.raises(ValueError, match=r"^ParallelTable\[1\] Linear\(3 -> 2\): expected gradOutput of size"):
        p.backward([x, x], [np.ones((2, 2)), np.ones((2, 3))])
    # the gradInputs are computed for every child before any parameter gradient is accumulated
    assert all(not g.numpy().any() for g in p.parameters()[1])


class SelfNaming(nn.Module):
    """A leaf that words its own error with its name first, as many legonn modules do outside the checks."""

    def updateOutput(self, input):
        raise ValueError(f"{self.shortName()}: refused on purpose")


def test_an_error_worded_with_the_modules_name_names_it_once():
    """The module's own 'Name: ...' is not named again by the container that adds its step, nor by a graph or a
    conversion failure's naming (a SeqLSTM backward error read 'SeqLSTM(3 -> 4): SeqLSTM(3 -> 4): ...')."""
    from legonn.modules.base.errors import name_error
    with pytest.raises(ValueError, match=r"^Sequential\[1\] SelfNaming: refused on purpose$"):
        nn.Sequential().add(nn.Identity()).add(SelfNaming()).forward(lg.randn(2))
    x = nn.Identity()()
    graph = nn.gModule([x], [SelfNaming()(x)])
    with pytest.raises(ValueError) as caught:
        graph.forward(lg.randn(2))
    assert str(caught.value).count('SelfNaming:') == 1, str(caught.value)
    leaf = SelfNaming()
    assert str(name_error(leaf, ValueError('SelfNaming: refused'))) == 'SelfNaming: refused'
    # another module's name first is kept as the detail: only the module's own is taken off
    assert str(name_error(leaf, ValueError('Linear: refused'))) == 'SelfNaming: Linear: refused'


def test_an_input_no_tensor_can_be_made_of_is_named_at_the_child_that_takes_it():
    """A string (or any object) in the input is named at the leaf it would reach, with each container's step,
    whether the container is called directly, nested, or its updateOutput is called; an empty container, a
    leaf and a gradOutput name the module they were given to."""
    x = lg.randn(3)
    seq = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh())
    tables = nn.Sequential().add(nn.ParallelTable().add(nn.Linear(3, 4)).add(nn.Linear(3, 2)))
    expected = r": expected a legonn\.Tensor, numpy\.ndarray or cupy\.ndarray, got "
    cases = [
        (seq, 'a', r"^Sequential\[0\] Linear\(3 -> 4\)" + expected + "str"),
        (seq, object(), r"^Sequential\[0\] Linear\(3 -> 4\)" + expected + "object"),
        (tables, [x, 'a'], r"^Sequential\[0\] ParallelTable\[1\] Linear\(3 -> 2\)" + expected + "str"),
        (tables, [x.numpy(), ['a']], r"^Sequential\[0\] ParallelTable\[1\] Linear\(3 -> 2\)" + expected + "str"),
        (nn.ConcatTable().add(nn.Linear(3, 4)), [x, 'a'], r"^ConcatTable\[0\] Linear\(3 -> 4\)" + expected + "str"),
        (nn.Sequential().add(nn.MapTable(nn.Linear(3, 2))), [x, x, 'a'],
         r"^Sequential\[0\] MapTable\[2\] Linear\(3 -> 2\)" + expected + "str"),
        (nn.Sequential().add(nn.ReverseTable()), [x, object()], r"^Sequential\[0\] ReverseTable" + expected + "object"),
        (nn.Sequential(), 'a', r"^Sequential \{\}" + expected + "str"),
        (nn.Linear(3, 4), ['a'], r"^Linear\(3 -> 4\)" + expected + "str"),
    ]
    for module, bad, message in cases:
        with pytest.raises(TypeError, match=message):
            module.forward(bad)
    with pytest.raises(TypeError, match=r"^Sequential\[0\] ParallelTable\[1\] Linear\(3 -> 2\)" + expected):
        tables.updateOutput([x, 'a'])
    seq.forward(x)
    with pytest.raises(TypeError, match=r"^Sequential" + expected + "str"):
        seq.backward('a', lg.randn(4))
    # a gradOutput no tensor can be made of names the container its backward was given to (was unnamed)
    for module in (seq, nn.ConcatTable().add(nn.Linear(3, 4)), nn.Concat(0).add(nn.Linear(3, 4))):
        module.forward(x)
        with pytest.raises(TypeError, match=rf"^{type(module).__name__}" + expected + "str"):
            module.backward(x, 'a')


def test_apply_to_modules_visits_direct_children_only():
    """nn/Container.lua's applyToModules(func) calls func on each module of self.modules, in order, without
    descending (fast-neural-style's utils.clear_gradients recurses through it by hand)."""
    inner = nn.Sequential().add(nn.Linear(2, 2))
    outer = nn.Sequential().add(nn.Linear(2, 2)).add(inner).add(nn.Tanh())
    seen = []
    assert outer.applyToModules(seen.append) is None
    assert seen == outer.modules

    def clear_gradients(m):
        if isinstance(m, nn.Container):
            m.applyToModules(clear_gradients)
        if getattr(m, 'gradWeight', None) is not None:
            m.gradWeight = m.gradWeight.new()
    clear_gradients(outer)
    assert outer.get(0).gradWeight.nElement() == 0 and inner.get(0).gradWeight.nElement() == 0


class Frozen(nn.Container):
    """OpenNMT's WordEmbedding with fixed word vectors: a LookupTable without gradWeight, whose parameters()
    returns Lua's nil (`if self.net.gradWeight then return parent.parameters(self) end`)."""

    def __init__(self):
        super().__init__()
        self.add(nn.LookupTable(5, 3))
        self.get(0).gradWeight = None

    def updateOutput(self, input):
        self.output = self.get(0).updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.get(0).updateGradInput(input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        if self.get(0).gradWeight is not None:
            self.get(0).accGradParameters(input, gradOutput, scale)

    def parameters(self):
        if self.get(0).gradWeight is not None:
            return super().parameters()


def test_a_child_whose_parameters_are_nil_has_none():
    # Container.lua's parameters skips a child returning nil (`if mw then`); Module.flatten(nil) is empty
    net = nn.Sequential().add(Frozen()).add(nn.Linear(3, 2))
    params, grads = net.parameters()
    assert [p.size() for p in params] == [(2, 3), (2,)] and len(grads) == 2
    flat, flat_grad = net.getParameters()
    assert flat.nElement() == flat_grad.nElement() == 8
    alone, alone_grad = Frozen().getParameters()
    assert alone.nElement() == alone_grad.nElement() == 0
    net.zeroGradParameters()
    net.forward(lg.LongTensor([0, 4]))
    net.backward(lg.LongTensor([0, 4]), lg.Tensor(2, 2).fill(1))
    # the flat gradient is the Linear's alone: its gradBias sums the two rows of ones
    np.testing.assert_array_equal(flat_grad.numpy()[6:], [2.0, 2.0])
    assert net.get(0).get(0).gradWeight is None


class Gated(nn.Container):
    """A Container subclass with no ``__tostring__`` of its own, as Stochastic_Depth's ResidualDrop.lua."""

    def __init__(self):
        nn.Container.__init__(self)
        self.modules = [nn.Sequential().add(nn.Linear(3, 3)), nn.Identity()]


def test_a_container_subclass_without_tostring_prints_its_class_name():
    # luaT.c's __tostring falls back to luaT_typename, and Container.lua has no __tostring__, so Torch7's
    # tostring(block) is 'nn.Gated' (Stochastic_Depth's main.lua:95 finds its blocks by that text);
    # a Sequential holding it prints its own tree with the block's bare name
    block = Gated()
    assert repr(block) == str(block) == lg.tostring(block) == 'nn.Gated'
    assert repr(nn.Container()) == 'nn.Container'
    assert repr(nn.Sequential().add(block)) == 'nn.Sequential {\n  [input -> (0) -> output]\n  (0): nn.Gated\n}'


class Chain(nn.Container):
    """A user container forwarding through Container.lua's rethrowErrors, as MSDNet's MSDNet_Layer does."""

    def __init__(self):
        nn.Container.__init__(self)
        self.modules = [nn.Linear(3, 4), nn.Tanh()]

    def updateOutput(self, input):
        hidden = self.rethrowErrors(self.modules[0], 0, 'updateOutput', input)
        self.output = self.rethrowErrors(self.modules[1], 1, 'updateOutput', hidden)
        return self.output


def test_rethrow_errors_calls_the_child_and_names_it_on_error():
    # nn/Container.lua:28-69: module[funcName](module, ...), the index checked, an error given this step
    lg.manualSeed(0)
    chain = Chain().double()
    x = r(2, 3)
    expected = np.tanh(x @ chain.modules[0].weight.numpy().T + chain.modules[0].bias.numpy())
    np.testing.assert_allclose(chain.forward(x).numpy(), expected, rtol=1e-12)
    with pytest.raises(ValueError, match=r"Chain\[0\] Linear\(3 -> 4\): expected 3 input features, got 5"):
        chain.forward(r(2, 5))
    with pytest.raises(AssertionError, match='mismatch between moduleIndex and self.modules'):
        chain.rethrowErrors(chain.modules[0], 1, 'updateOutput', x)
