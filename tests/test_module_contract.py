"""The module contract (DESIGN.md sections 6-9) on leaf modules, a user's own module and Sequential trees."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules import Module
from legonn.tensor import Storage
from tests.checks import assert_jacobian, assert_type_roundtrip


class UserScale(Module):
    """A user's module: y = x * weight + bias (per feature), written with the three methods only."""

    def __init__(self, n):
        super().__init__()
        self.weight, self.gradWeight = lg.Tensor(n).fill(1), lg.Tensor(n)
        self.bias, self.gradBias = lg.Tensor(n), lg.Tensor(n)

    def updateOutput(self, input):
        self.output.resizeAs(input).array[...] = input.array * self.weight.array + self.bias.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).array[...] = gradOutput.array * self.weight.array
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.gradWeight.array += scale * (gradOutput.array * input.array).reshape(-1, input.size(-1)).sum(0)
        self.gradBias.array += scale * gradOutput.array.reshape(-1, input.size(-1)).sum(0)


def net():
    return nn.Sequential().add(nn.Linear(4, 5)).add(nn.ReLU()).add(nn.Linear(5, 3)).add(nn.LogSoftMax())


def storages(model):
    return {id(p.storage()) for p in model.parameters()[0]} | {id(g.storage()) for g in model.parameters()[1]}


# --- the three methods and their wrappers ---------------------------------------------------------------
def test_user_module_gets_everything_from_three_methods():
    m = UserScale(3)
    assert_jacobian(m, lg.DoubleTensor(2, 3))
    assert_type_roundtrip(m, lg.rand(2, 3))
    params, grads = m.parameters()
    assert params == [m.weight, m.bias] and grads == [m.gradWeight, m.gradBias]
    twin = m.clone()
    assert twin.weight.storage() is not m.weight.storage() and twin.weight.equal(m.weight)
    flat, _ = m.getParameters()
    # a user's class is not auto-registered: legonn.register(UserScale) makes it loadable
    assert flat.nElement() == 6 and repr(m) == 'nn.UserScale' and 'UserScale' not in nn.registry


def test_forward_backward_are_the_three_methods():
    m = nn.Linear(3, 2).double()
    x, go = np.ones((4, 3)), np.ones((4, 2))
    assert m.forward(x) is m.output is m.update_output(lg.from_numpy(x))
    m.zeroGradParameters()
    gi = m.backward(x, go, 0.5)
    assert gi is m.gradInput
    once = m.gradWeight.clone()
    m.zeroGradParameters()
    m.updateGradInput(lg.from_numpy(x), lg.from_numpy(go))
    m.accGradParameters(lg.from_numpy(x), lg.from_numpy(go), 0.5)
    assert m.gradWeight.equal(once)
    np.testing.assert_allclose(once.numpy(), 0.5 * go.T @ x)


def test_nil_entries_of_a_table_reach_the_module():
    """A Lua table with holes (densecap's LocalizationLayer hands BoxSamplerHelper:backward
    ``{grad_pos_data, grad_neg_data}`` with ``grad_pos_data[2]`` never set) reaches a user's module with its
    ``None`` entries kept, its tensors the same objects and its arrays wrapped, in forward and backward."""
    seen = {}

    class Router(Module):
        def updateOutput(self, input):
            seen['input'] = input
            self.output = input[0]
            return self.output

        def updateGradInput(self, input, gradOutput):
            seen['gradOutput'] = gradOutput
            self.gradInput = [gradOutput[0][0], None]
            return self.gradInput

    a, b = lg.Tensor(2).fill(1), lg.Tensor(2).fill(2)
    m = Router()
    m.forward([a, None])
    assert seen['input'][0] is a and seen['input'][1] is None
    m.backward([a, None], [[b, None, b], [None, np.ones(2)]])
    g = seen['gradOutput']
    assert g[0][0] is b and g[0][1] is None and g[0][2] is b and g[1][0] is None
    assert isinstance(g[1][1], lg.Tensor) and g[1][1].tolist() == [1, 1]


def test_user_modules_and_identity_take_empty_tensors():
    """Torch7 hands a module any tensor: densecap's PosSlicer gets an empty gt_features at test time (through the
    Identity inputs of its recognition gModule). A user's module and Identity take empty tensors; legonn's
    computing modules still refuse them, naming the module."""
    class FirstRows(Module):
        def updateOutput(self, input):
            self.output = input[0] if input[1].nElement() == 0 else input[0][0:input[1].size(0)]
            return self.output

    x, empty = lg.Tensor(3, 2).fill(1), lg.Tensor()
    assert FirstRows().forward([x, empty]) is x
    assert FirstRows.empty_inputs and not nn.Linear.empty_inputs
    assert nn.Identity().forward(empty) is empty
    net = nn.Sequential().add(nn.Identity()).add(nn.Identity())
    assert net.forward([x, empty])[1] is empty
    with pytest.raises(ValueError, match=r'Tanh: expected a non-empty input, got size \(0,\)'):
        nn.Tanh().forward(empty)


def test_update_and_zero_grad_parameters():
    m = net()
    x, t = lg.rand(6, 4), [0, 1, 2, 0, 1, 2]
    crit = nn.ClassNLLCriterion()
    before = [p.clone() for p in m.parameters()[0]]
    m.zeroGradParameters()
    m.backward(x, crit.backward(m.forward(x), t))
    m.updateParameters(0.1)
    for p, b, g in zip(m.parameters()[0], before, m.parameters()[1]):
        np.testing.assert_allclose(p.numpy(), b.numpy() - 0.1 * g.numpy(), rtol=1e-6)
    m.zero_grad_parameters()
    assert all(g.abs().max() == 0 for g in m.parameters()[1])


def test_calling_a_module_on_data_is_forward():
    m = nn.Tanh()
    x = np.linspace(-1, 1, 5).astype(np.float32)
    assert m(x) is m.output
    np.testing.assert_allclose(m(x).numpy(), np.tanh(x), rtol=1e-6)
    with pytest.raises(TypeError, match='Tanh: calling a module on data takes an input and optionally'):
        m(x, x, x)


def test_snake_case_aliases_are_generated():
    m = net()
    assert m.get_parameters.__func__ is m.getParameters.__func__
    for name in ('update_output', 'update_grad_input', 'acc_grad_parameters', 'zero_grad_parameters',
                 'update_parameters', 'clear_state', 'list_modules', 'find_modules', 'check_grad_output'):
        assert callable(getattr(m, name))
    assert nn.View(2).set_num_input_dims(1).numInputDims == 1


# --- parameters and getParameters -----------------------------------------------------------------------
def test_get_parameters_packs_one_storage_and_keeps_values():
    m = net()
    values = [p.clone() for p in m.parameters()[0]]
    flat, gflat = m.getParameters()
    assert flat.nElement() == 4 * 5 + 5 + 5 * 3 + 3 == gflat.nElement()
    assert {id(p.storage()) for p in m.parameters()[0]} == {id(flat.storage())}
    assert {id(g.storage()) for g in m.parameters()[1]} == {id(gflat.storage())}
    for p, v in zip(m.parameters()[0], values):
        assert p.equal(v)
    flat.fill(0.5)  # writes through to every module
    assert m.get(2).weight.abs().max() == 0.5
    m.zeroGradParameters()
    x = lg.rand(2, 4)
    m.forward(x)
    m.backward(x, lg.rand(2, 3))
    assert gflat.abs().max() > 0  # the modules' gradients are the flat gradient's views


def test_get_parameters_twice_returns_views_of_the_same_storage():
    m = net()
    flat, gflat = m.getParameters()
    flat2, gflat2 = m.getParameters()
    assert flat2.storage() is flat.storage() and gflat2.storage() is gflat.storage()
    flat2.fill(2)
    assert flat.min() == 2 and m.get(0).weight.min() == 2


def test_shared_clones_are_packed_once():
    lin = nn.Linear(3, 3)
    twin = lin.clone('weight', 'bias', 'gradWeight', 'gradBias')
    assert twin.weight.storage() is lin.weight.storage()
    m = nn.Sequential().add(lin).add(nn.Tanh()).add(twin)
    flat, gflat = m.getParameters()
    assert flat.nElement() == 12
    assert twin.weight.storage() is lin.weight.storage() is flat.storage()
    assert twin.gradBias.storage() is gflat.storage()
    assert twin.weight.storageOffset() == lin.weight.storageOffset()
    # gradients of both uses accumulate into the one shared gradient
    m.zeroGradParameters()
    m.forward(lg.rand(2, 3))
    m.backward(lg.rand(2, 3), lg.rand(2, 3))
    assert gflat.abs().max() > 0 and lin.gradWeight.equal(twin.gradWeight)


def test_type_change_after_get_parameters_keeps_one_storage():
    m = net()
    flat, _ = m.getParameters()
    values = flat.clone()
    m.double()
    assert len({id(p.storage()) for p in m.parameters()[0]}) == 1
    assert len({id(g.storage()) for g in m.parameters()[1]}) == 1
    flat64, _ = m.getParameters()
    assert flat64.type() == 'legonn.DoubleTensor' and flat64.storage() is m.get(0).weight.storage()
    np.testing.assert_allclose(flat64.numpy(), values.numpy())


def test_get_parameters_rejects_mixed_types():
    m = nn.Sequential().add(nn.Linear(2, 2)).add(nn.Linear(2, 2).double())
    with pytest.raises(TypeError, match='mixed types'):
        m.getParameters()


# --- modes, copies, sharing, types ------------------------------------------------------------------------
def test_training_and_evaluate_reach_every_module():
    m = nn.Sequential().add(nn.Dropout()).add(nn.Sequential().add(nn.Dropout()))
    m.evaluate()
    assert not any(x.train for x in m.listModules())
    m.training()
    assert all(x.train for x in m.listModules())


def test_clone_copies_and_clone_with_names_shares():
    m = net()
    copy = m.clone()
    assert storages(copy).isdisjoint(storages(m))
    shared = m.clone('weight', 'bias')
    assert shared.get(0).weight.storage() is m.get(0).weight.storage()
    assert shared.get(0).gradWeight.storage() is not m.get(0).gradWeight.storage()
    m.get(0).weight.fill(3)
    assert shared.get(0).weight.max() == 3 and copy.get(0).weight.max() != 3


def test_share():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    b.share(a, 'weight', 'gradWeight')
    assert b.weight.storage() is a.weight.storage() and b.bias.storage() is not a.bias.storage()
    assert b.gradWeight.storage() is a.gradWeight.storage()


def test_type_conversion_converts_everything():
    m = net()
    m.forward(lg.rand(2, 4))
    assert m.type() == 'legonn.FloatTensor'
    m.double()
    for mod in m.listModules():
        assert mod.type() == 'legonn.DoubleTensor'
        for value in vars(mod).values():
            if isinstance(value, lg.Tensor) and value.dtype.kind == 'f':
                assert value.type() == 'legonn.DoubleTensor'
    assert m.type('torch.FloatTensor').get(0).weight.type() == 'legonn.FloatTensor'


@pytest.mark.skipif(lg.gpu_available(), reason='checks the error raised without CuPy or a GPU')
def test_cuda_without_cupy_is_a_clear_error_and_changes_nothing():
    m = net()
    with pytest.raises((ImportError, RuntimeError), match='CuPy'):
        m.cuda()
    assert m.type() == 'legonn.FloatTensor' and m.get(0).weight.type() == 'legonn.FloatTensor'
    assert m.forward(lg.rand(2, 4)).size() == (2, 3)


def test_reset_and_clear_state():
    m = net()
    before = m.get(0).weight.clone()
    m.reset()
    assert not m.get(0).weight.equal(before)
    assert m.get(0).weight.abs().max() <= 0.5
    m.forward(lg.rand(2, 4))
    m.backward(lg.rand(2, 4), lg.rand(2, 3))
    m.clearState()
    for mod in m.listModules():
        assert mod.output.nElement() == 0 and mod.gradInput.nElement() == 0
    assert m.get(0).weight.nElement() == 20  # parameters survive
    assert m.forward(lg.rand(2, 4)).size() == (2, 3)


# --- walking the tree -----------------------------------------------------------------------------------
def test_apply_list_find_modules():
    inner = nn.Sequential().add(nn.Linear(5, 5)).add(nn.ReLU())
    m = nn.Sequential().add(nn.Linear(4, 5)).add(inner).add(nn.ReLU())
    assert m.listModules() == [m, m.get(0), inner, inner.get(0), inner.get(1), m.get(2)]
    found, holders = m.findModules('nn.ReLU')
    assert found == [inner.get(1), m.get(2)] and holders == [inner, m]
    assert m.find_modules('Linear')[0] == [m.get(0), inner.get(0)]
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ['Sequential', 'Linear', 'Sequential', 'Linear', 'ReLU', 'ReLU']


def test_repr_is_torch7_tree():
    m = nn.Sequential().add(nn.Linear(4, 5)).add(nn.View(5)).add(nn.Threshold())
    assert repr(m).splitlines() == ['nn.Sequential {', '  [input -> (0) -> (1) -> (2) -> output]',
                                    '  (0): nn.Linear(4 -> 5)', '  (1): nn.View(5)', '  (2): nn.Threshold', '}']
    assert m.get(0).shortName() == 'Linear(4 -> 5)'


def test_error_names_keep_type_names_whole():
    """Errors name a module by its repr less nn. prefixes (as Torch7 prints torch.type(m)): a Copy's repr
    holds type names (nn/Copy.lua converts between them), whose 'legonn.' must survive the stripping."""
    m = nn.Sequential().add(nn.Copy('torch.FloatTensor', 'torch.DoubleTensor'))
    assert m.get(0).shortName() == 'Copy(legonn.FloatTensor -> legonn.DoubleTensor)'
    x = lg.FloatTensor(2, 3).uniform()
    m.forward(x)
    with pytest.raises(ValueError, match=r'Sequential\[0\] Copy\(legonn\.FloatTensor -> legonn\.DoubleTensor\)'):
        m.backward(x, lg.DoubleTensor(2, 5))


# --- errors say where, and change nothing -----------------------------------------------------------------
def test_wrong_width_or_rank_names_the_path():
    m = net()
    with pytest.raises(ValueError, match=r'^Sequential\[0\] Linear\(4 -> 5\): expected 4 input features, got 6'):
        m.forward(lg.rand(2, 6))
    with pytest.raises(ValueError, match=r'^Sequential\[0\] Linear\(4 -> 5\): expected a 1-D or 2-D input, got 3-D'):
        m.forward(lg.rand(2, 2, 4))


def _fake_cuda_like(t):
    """A CudaTensor object over host memory: enough to reach the type checks without CuPy."""
    cls = lg.TENSOR_CLASSES['CudaTensor']
    fake = object.__new__(cls)
    fake._set(Storage(t.array.reshape(-1).copy()), 0, t.size(), t.stride())
    return fake


def test_device_mismatch_messages_name_the_module():
    m = net()
    x = lg.rand(2, 4)
    with pytest.raises(TypeError, match=r'^Sequential\[0\] Linear\(4 -> 5\): expected a legonn.FloatTensor input '
                                        r"\(the module's type\), got legonn.CudaTensor"):
        m.forward(_fake_cuda_like(x))
    lin = m.get(0)
    lin.weight = _fake_cuda_like(lin.weight)
    with pytest.raises(TypeError, match=r'^Sequential\[0\] Linear\(4 -> 5\): expected a legonn.CudaTensor input '
                                        r"\(the module's type\), got legonn.FloatTensor"):
        m.forward(x)


@pytest.mark.gpu
def test_device_mismatch_on_a_real_gpu():
    m = net().cuda()
    with pytest.raises(TypeError, match=r'Sequential\[0\] Linear\(4 -> 5\): expected a legonn.CudaTensor input'):
        m.forward(lg.rand(2, 4))
    cpu = net()
    with pytest.raises(TypeError, match=r'Sequential\[0\] Linear\(4 -> 5\): expected a legonn.FloatTensor input'):
        cpu.forward(lg.rand(2, 4).cuda())
    assert m.forward(lg.rand(2, 4).cuda()).is_cuda


def test_user_module_takes_an_input_from_either_device():
    """nn/Module.lua's forward checks nothing, so a user's class on nn.Module (torch-rnn's LanguageModel,
    fed host LongTensors by sample.lua once the model is on the GPU) receives an input of either device;
    a user's subclass of a legonn layer keeps the layer's checks, as does a declared ``any_device``."""

    class Seen(Module):
        def updateOutput(self, input):
            self.seen = input.type()
            return self.output

    class SeenLoss(nn.Criterion):
        def updateOutput(self, input, target):
            self.output = 0.0
            return self.output

    class Strict(Seen):
        any_device = False

    fake = _fake_cuda_like(lg.rand(2, 4))
    m = Seen()
    m.forward(fake)
    assert m.seen == 'torch.CudaTensor'
    assert SeenLoss().forward(fake, lg.rand(2, 4)) == 0.0

    class MyLinear(nn.Linear):
        pass

    for strict in (MyLinear(4, 5), Strict()):
        with pytest.raises(TypeError, match=r"expected a legonn.FloatTensor input \(the module's type\)"):
            strict.forward(fake)

@pytest.mark.parametrize('call', [
    lambda m: m.forward(lg.rand(2, 6)),
    lambda m: m.forward(lg.rand(2, 4).double()),
    lambda m: m.backward(lg.rand(2, 4), lg.rand(2, 7)),
    lambda m: m.backward(lg.rand(3, 4), lg.rand(3, 3)),
    lambda m: m.backward(lg.rand(2, 4), lg.rand(2, 3).double()),
])
def test_failed_calls_change_no_parameter_or_gradient(call):
    m = net()
    x = lg.rand(2, 4)
    m.forward(x)
    m.zeroGradParameters()
    m.backward(x, lg.rand(2, 3))
    params = [p.clone() for p in m.parameters()[0]]
    grads = [g.clone() for g in m.parameters()[1]]
    with pytest.raises((ValueError, TypeError)):
        call(m)
    for p, before in zip(m.parameters()[0] + m.parameters()[1], params + grads):
        assert p.equal(before)


def test_clear_state_keeps_the_callers_tensor():
    x = lg.ones(2, 3)
    model = nn.Sequential().add(nn.Identity())
    assert model.forward(x) is x
    model.clearState()
    assert x.nElement() == 6 and x.sum() == 6
    assert model.output.nElement() == 0


def test_user_subclass_does_not_shadow_nn_classes():
    from legonn.modules.base.typed import registry

    class ZeroGrad(nn.Module):  # a user's class with an nn name
        pass

    assert registry['ZeroGrad'] is nn.ZeroGrad


def test_calling_a_module_on_a_list_with_a_module_builds_a_node_error():
    a = nn.Identity()()
    with pytest.raises(Exception, match='(?i)parenthes|node'):
        nn.CAddTable()([a, nn.Identity()])


def test_module_lua_helpers_backward_update_find_modules_and_type_caches():
    """Module.lua: backwardUpdate is updateGradInput then accUpdateGradParameters; findModules on the module
    itself names it as its container; float/double pass a tensor cache on to type; a parameter-free module's
    getParameters gives empty tensors of the default type."""
    m = nn.Linear(3, 2).double()
    x, go = lg.randn(4, 3).double(), lg.randn(4, 2).double()
    m.forward(x)
    w = m.weight.clone()
    gi = m.backwardUpdate(x, go, 0.5)
    assert gi is m.gradInput
    np.testing.assert_allclose(m.weight.array, w.array - 0.5 * go.array.T @ x.array, rtol=1e-12)
    assert not m.gradWeight.array.any()
    found, holders = m.findModules('nn.Linear')
    assert found == [m] and holders == [m]
    seq = nn.Sequential().add(m)
    assert seq.findModules('nn.Linear') == ([m], [seq])
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight
    cache = {}
    a.double(cache)
    b.double(cache)
    assert a.weight.storage() is b.weight.storage() and a.weight.type() == 'legonn.DoubleTensor'
    p, g = nn.Tanh().getParameters()
    assert p.nElement() == 0 and p.type() == lg.getdefaulttensortype()


def test_get_parameters_refuses_parameters_and_gradients_shared_unalike():
    """Module.lua's getParameters asserts 'check that you are sharing parameters and gradParameters'."""
    a = nn.Linear(2, 2)
    b = a.clone('weight', 'bias')   # weights shared, gradients not
    a.gradWeight.fill(1)
    with pytest.raises(ValueError, match='not shared alike'):
        nn.Sequential().add(a).add(b).getParameters()
    assert a.gradWeight.array.min() == 1   # nothing rebound or overwritten
    c, d = nn.Linear(2, 2), nn.Linear(2, 2)
    d.share(c, 'gradWeight', 'gradBias')   # gradients shared, weights not
    with pytest.raises(ValueError, match='not shared alike'):
        nn.Sequential().add(c).add(d).getParameters()
    e = a.clone('weight', 'bias', 'gradWeight', 'gradBias')
    p, g = nn.Sequential().add(a).add(e).getParameters()
    assert p.nElement() == 6 and g.nElement() == 6


def test_get_parameters_leaves_out_what_no_parameter_views_as_torch7():
    """Module.lua's flatten compacts the elements no parameter views, and asserts 'Cannot gather tensors that
    are not compact' when a parameter itself has gaps."""
    a, b = nn.Linear(1, 3).double(), nn.Linear(1, 3).double()
    store, grads = lg.DoubleTensor(list(range(8))), lg.DoubleTensor(8).zero()
    for m, at in ((a, 0), (b, 5)):   # rows 0-2 and 5-7 of one storage; 3 and 4 unused
        m.weight.set(store.storage(), at, (3, 1))
        m.gradWeight.set(grads.storage(), at, (3, 1))
    p, g = nn.Sequential().add(a).add(b).getParameters()
    assert p.nElement() == 12 and g.nElement() == 12
    assert a.weight.tolist() == [[0], [1], [2]] and b.weight.tolist() == [[5], [6], [7]]
    assert a.weight.storage() is p.storage() and b.weight.storageOffset() == 3
    c = nn.Linear(1, 3).double()
    c.weight.set(store.storage(), 0, (3, 1), (2, 1))   # every other element: gaps inside the parameter
    c.gradWeight.set(grads.storage(), 0, (3, 1), (2, 1))
    with pytest.raises(ValueError, match='leaves gaps'):
        c.getParameters()


def test_module_flatten_packs_a_list_as_module_lua():
    """``nn.Module.flatten(params)`` (Module.lua): one new flat tensor, every tensor rebound to view its place,
    storages shared among the tensors kept shared, unviewed elements left out; char-rnn-style code combines
    several networks' parameters with it."""
    enc, dec = nn.Linear(2, 3).double(), nn.Linear(3, 1).double()
    values = [t.clone() for t in enc.parameters()[0] + dec.parameters()[0]]
    params = enc.parameters()[0] + dec.parameters()[0]
    flat = nn.Module.flatten(params)
    assert flat.nElement() == 6 + 3 + 3 + 1 and flat.type() == 'legonn.DoubleTensor'
    assert all(t.storage() is flat.storage() for t in params)
    assert all(t.tolist() == v.tolist() for t, v in zip(params, values))
    flat.fill(2)
    assert enc.weight.sum() == 12 and dec.bias.tolist() == [2]
    whole = lg.DoubleTensor(list(range(10)))
    head, tail = whole.narrow(0, 0, 3), whole.narrow(0, 7, 3)   # one storage, 3 elements between unviewed
    flat = nn.Module.flatten([head, tail])
    assert flat.tolist() == [0, 1, 2, 7, 8, 9] and head.storage() is tail.storage() is flat.storage()
    assert nn.Module.flatten([]).nElement() == 0
    with pytest.raises(TypeError, match='nn.Module.flatten: tensors of mixed types'):
        nn.Module.flatten([lg.DoubleTensor(2), lg.FloatTensor(2)])
    gappy = lg.DoubleTensor(6).narrow(0, 0, 5)
    with pytest.raises(ValueError, match='nn.Module.flatten: parameter 0'):
        nn.Module.flatten([lg.DoubleTensor(gappy.storage(), 0, (3,), (2,)), lg.DoubleTensor(gappy.storage(), 5, (1,))])


def test_a_class_torch_class_made_global_is_named_without_package():
    """``torch.class('Embedding', 'nn.Module')`` (oxford-cs-ml-2015/practical6's Embedding.lua) names a global
    class: its typename, its repr and what findModules matches are 'Embedding', never 'nn.Embedding'; a class
    of another package (``torch.class('w2nn.ScaleTable', ...)``) prints under that package, as Module.lua's
    ``__tostring__`` is ``torch.type(self)``."""
    class Embedding(Module):
        lua_package = None

    class ScaleTable(Module):
        lua_package = 'w2nn'

    model = nn.Sequential().add(nn.Linear(2, 2)).add(Embedding()).add(ScaleTable())
    assert lg.typename(model.get(1)) == 'Embedding' and lg.isTypeOf(model.get(1), 'Embedding')
    assert lg.isTypeOf(model.get(1), 'nn.Module')
    assert repr(model.get(1)) == 'Embedding' and repr(model.get(2)) == 'w2nn.ScaleTable'
    assert model.findModules('Embedding')[0] == [model.get(1)]
    assert model.findModules('nn.Embedding')[0] == [] and model.findModules('Linear')[0] == [model.get(0)]
    assert model.findModules('w2nn.ScaleTable')[0] == [model.get(2)]
    with pytest.raises(TypeError, match=r'^Embedding\(3\): its constructor takes no arguments'):
        Embedding(3)


def test_a_criterion_prints_under_its_lua_package_as_a_module_does():
    """Criterion.lua's ``__tostring__`` is ``torch.type(self)`` too: nn's criterions print 'nn.X', a ported
    class of another package (OpenNMT's ``onmt.ParallelClassNLLCriterion``) or of none prints its own name."""
    class ParallelClassNLLCriterion(nn.ParallelCriterion):
        lua_package = 'onmt'

    class Loss(nn.Criterion):
        lua_package = None

    assert repr(nn.MSECriterion()) == 'nn.MSECriterion' and repr(nn.ParallelCriterion()) == 'nn.ParallelCriterion'
    assert repr(ParallelClassNLLCriterion()) == 'onmt.ParallelClassNLLCriterion' == lg.typename(
        ParallelClassNLLCriterion())
    assert repr(Loss()) == 'Loss'


def test_a_subclass_of_a_module_with_arguments_prints_its_own_name_before_them():
    """torch/nn's ``__tostring__`` of a module with arguments starts with ``torch.type(self)``
    (SpatialConvolution.lua's ``string.format('%s(%d -> %d, ...', torch.type(self), ...)``, Linear.lua's,
    BatchNormalization.lua's, ...): a Lua subclass of another package, or a Python subclass, prints its own name
    before its parent's arguments. Sequential.lua writes ``'nn.Sequential'`` literally, and so does legonn."""
    class Conv(nn.SpatialConvolution):
        lua_package = 'w2nn'

    class Tagged(nn.Linear):
        pass

    class Norm(nn.BatchNormalization):
        lua_package = None

    class Chain(nn.Sequential):
        pass

    assert repr(Conv(1, 2, 3, 3)) == 'w2nn.Conv(1 -> 2, 3x3)' and repr(nn.SpatialConvolution(1, 2, 3, 3)) == \
        'nn.SpatialConvolution(1 -> 2, 3x3)'
    assert repr(Tagged(3, 2)) == 'nn.Tagged(3 -> 2)'
    assert repr(Norm(4)).startswith('Norm (2D) (4)')
    assert repr(nn.JoinTable(1)) == 'nn.JoinTable(1)' and repr(type('Join', (nn.JoinTable,), {})(1)) == 'nn.Join(1)'
    assert repr(nn.Transpose([0, 1])).startswith('nn.Transpose(') and repr(Chain()) == 'nn.Sequential {}'
    chain = Chain().add(nn.Identity())
    assert repr(chain).splitlines()[0] == 'nn.Sequential {'
    assert repr(nn.Bottle(Conv(1, 1, 1, 1))).startswith('nn.Bottle')


def test_tostring_method_is_the_printed_text():
    """``model:__tostring()`` / ``m:__tostring__()`` (DIGITS's main.lua prints ``'Model: ' .. model:__tostring()``
    and ``loss:__tostring()``) give what ``print`` shows; a ported class's own ``__tostring__`` may call its
    parent's, as Lua classes do, without coming back to itself."""
    model = nn.Sequential().add(nn.Linear(2, 3)).add(nn.ReLU())
    assert model.__tostring__() == repr(model) and repr(model).startswith('nn.Sequential {')
    assert nn.ClassNLLCriterion().__tostring__() == 'nn.ClassNLLCriterion'
    assert nn.Linear(2, 3).__tostring__() == 'nn.Linear(2 -> 3)'

    class Tagged(nn.Sequential):
        def __tostring__(self):
            return 'tagged ' + nn.Sequential.__tostring__(self)

    tagged = Tagged().add(nn.Identity())
    assert repr(tagged) == tagged.__tostring__() == 'tagged ' + repr(nn.Sequential().add(nn.Identity()))


class FlatLinear(nn.Linear):
    """A subclass whose output is its parent's viewed flat, as eyescream's SpatialConvolutionUpsample views its
    convolution's planes: its accGradParameters views the gradOutput back before calling the parent's."""

    def updateOutput(self, input):
        self.output = super().updateOutput(input).view(-1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = super().updateGradInput(input, gradOutput.view(input.size(0), -1))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        super().accGradParameters(input, gradOutput.view(input.size(0), -1), scale)


def test_subclass_hands_its_parent_a_reshaped_grad_output():
    """The subclass's own accGradParameters is checked against the output forward made (flat); the super() call
    it makes gets the gradOutput it reshaped, checked by the parent's own code, as Torch7 hands it on."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = FlatLinear(3, 2)
    x = lg.Tensor(4, 3).normal(0, 1)
    assert tuple(m.forward(x).size()) == (8,)
    assert nn.Jacobian.testJacobianParameters(m, x, m.weight, m.gradWeight) < 1e-6
    with pytest.raises(ValueError, match=r'FlatLinear\(3 -> 2\): expected gradOutput to be a legonn.DoubleTensor '
                                         r'of size \(8,\)'):
        m.accGradParameters(x, lg.Tensor(4, 2))


def test_clone_and_share_refuse_a_table_of_field_names():
    """``m:clone({'weight', 'gradWeight'})`` (torch-rnnlib's bidirectional.lua passes its ``sharefields`` table
    so): Module.lua's share looks the table up as one field name (``self[v]``), finds nothing and shares nothing,
    silently. legonn raised an unhashable-type error from its dict lookup; it now refuses the table with a
    TypeError naming the module and the call, and the names passed as arguments share as before."""
    m = nn.Linear(2, 3)
    for call in (lambda: m.clone(['weight', 'gradWeight']), lambda: nn.Linear(2, 3).share(m, ('weight',)),
                 lambda: nn.Sequential().add(nn.Linear(2, 3)).clone(['weight'])):
        with pytest.raises(TypeError, match=r"\.(clone|share): expected field names .* got a (list|tuple)"):
            call()
    twin = m.clone('weight', 'gradWeight')
    assert twin.weight.storage() is m.weight.storage() and twin.bias.storage() is not m.bias.storage()
