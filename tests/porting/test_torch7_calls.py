"""Calls Torch7 code makes that legonn used to refuse: the contract methods called directly on arrays,
float labels, a user's module on integer data, backward without a gradOutput, m(x, gradOutput)."""
import numpy as np
import pytest

import legonn as lg
from legonn import graph, nn  # noqa: F401  (graph: nngraph's node building)
from tests.robustness import catalog


def _double(tree):
    if isinstance(tree, list):
        return [_double(t) for t in tree]
    return tree.double() if tree.dtype.kind == 'f' else tree


def _double_arrays(tree):
    if isinstance(tree, list):
        return [_double_arrays(t) for t in tree]
    return np.array(tree.array, dtype=np.float64 if tree.dtype.kind == 'f' else tree.dtype)


@pytest.mark.parametrize('name', ['Linear', 'Sequential', 'ConcatTable', 'ParallelTable', 'gModule',
                                  'SpatialConvolution', 'LookupTable', 'CAddTable', 'BatchNormalization'])
def test_contract_methods_take_arrays(name):
    """nngraph's README and torch/threads benchmark/threadedtrain.lua call updateOutput, updateGradInput and
    accGradParameters themselves (Module.lua's forward/backward are only wrappers): with arrays they must
    give what forward/backward give with tensors."""
    build, make_input = catalog.MODULES[name]
    lg.manualSeed(7)
    on_tensors = build().double()
    lg.manualSeed(7)
    on_arrays = build().double()
    x_tensors = _double(make_input())
    out = on_tensors.forward(x_tensors)
    grad = catalog.grad_like(out)
    expected_gi = on_tensors.backward(x_tensors, grad)
    x_arrays, grad_arrays = _double_arrays(x_tensors), _double_arrays(grad)
    got = on_arrays.updateOutput(x_arrays)
    for a, b in zip(lg_leaves(got), lg_leaves(out)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    gi = on_arrays.updateGradInput(x_arrays, grad_arrays)
    for a, b in zip(lg_leaves(gi), lg_leaves(expected_gi)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    on_arrays.accGradParameters(x_arrays, grad_arrays, 1)
    for a, b in zip(on_arrays.parameters()[1], on_tensors.parameters()[1]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def lg_leaves(tree):
    if isinstance(tree, list):
        return [leaf for t in tree for leaf in lg_leaves(t)]
    return [tree.numpy()]


def test_acc_update_grad_parameters_takes_arrays():
    """torch/nn Module.lua accUpdateGradParameters(input, gradOutput, lr): weight -= lr * dW, on arrays too."""
    m = nn.Linear(3, 2).double()
    x, g = np.random.rand(4, 3), np.random.rand(4, 2)
    w0 = m.weight.numpy().copy()
    m.forward(x)
    m.accUpdateGradParameters(x, g, 0.5)
    np.testing.assert_allclose(m.weight.numpy(), w0 - 0.5 * g.T @ x, rtol=1e-12)


def test_criterion_contract_methods_take_arrays():
    """torch/nn Criterion.lua: forward/backward call updateOutput/updateGradInput, which Torch7 code also
    calls directly."""
    crit = nn.MSECriterion().double()
    x, t = np.random.rand(3, 2), np.random.rand(3, 2)
    assert crit.updateOutput(x, t) == pytest.approx(((x - t) ** 2).mean(), rel=1e-12)
    np.testing.assert_allclose(crit.updateGradInput(x, t).numpy(), 2 * (x - t) / 6, rtol=1e-12)
    nll = nn.ClassNLLCriterion().double()
    assert nll.updateOutput(np.log(np.full((2, 4), 0.25)), np.array([1, 3])) == pytest.approx(np.log(4))


@pytest.mark.parametrize('cls', [nn.ClassNLLCriterion, nn.CrossEntropyCriterion, nn.MultiMarginCriterion])
@pytest.mark.parametrize('as_float', [lambda t: lg.FloatTensor(t), lambda t: np.asarray(t, np.float64),
                                      lambda t: [float(v) for v in t]])
def test_whole_number_float_labels(cls, as_float):
    """torch/nn ClassNLLCriterion.lua converts its target with ``target:long()``: a FloatTensor of class
    indices (what torch.Tensor holds by default) works; the loss equals the one with integer labels."""
    x = np.log(np.random.RandomState(4).dirichlet(np.ones(4), size=3))
    labels = [2, 0, 3]
    crit = cls().double()
    want = crit.forward(x, lg.LongTensor(labels))
    want_grad = crit.backward(x, lg.LongTensor(labels)).numpy().copy()
    assert crit.forward(x, as_float(labels)) == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(crit.backward(x, as_float(labels)).numpy(), want_grad, rtol=1e-12)
    assert crit.updateOutput(lg.DoubleTensor(x), as_float(labels)) == pytest.approx(want, rel=1e-12)


def test_float_label_number_and_non_integral_labels():
    """torch/nn ClassNLLCriterion.lua accepts a number target; a non-integral label is an error here (Torch7
    would truncate it silently)."""
    crit = nn.ClassNLLCriterion().double()
    x = np.log(np.full(4, 0.25))
    assert crit.forward(x, 2.0) == pytest.approx(np.log(4))
    with pytest.raises(ValueError, match=r'ClassNLLCriterion: expected whole-number class labels, got '
                                         r'non-integral values in a legonn.FloatTensor'):
        crit.forward(x, 2.5)


def test_multilabel_margin_float_target():
    """torch/nn MultiLabelMarginCriterion: a FloatTensor target of class indices works (as ``:long()``)."""
    crit = nn.MultiLabelMarginCriterion().double()
    x = np.random.RandomState(5).randn(2, 4)
    want = crit.forward(x, lg.LongTensor([[3, 0, -1, -1], [1, -1, -1, -1]]))
    assert crit.forward(x, lg.FloatTensor([[3, 0, -1, -1], [1, -1, -1, -1]])) == pytest.approx(want, rel=1e-12)


class OneHot(nn.Module):
    """char-rnn's util/OneHot.lua, written anew: ByteTensor/LongTensor character codes to one-hot rows."""

    def __init__(self, outputSize):
        super().__init__()
        self.outputSize = outputSize

    def updateOutput(self, input):
        codes = input.array.astype(np.int64)
        self.output = lg.FloatTensor(codes.shape[0], self.outputSize).zero()
        self.output.array[np.arange(codes.shape[0]), codes] = 1
        return self.output


def test_user_module_takes_any_input():
    """torch/nn Module.lua checks nothing about the input; char-rnn's OneHot (util/OneHot.lua) feeds it
    ByteTensor data. A user's subclass inherits no float-only check; legonn's layers keep theirs."""
    codes = lg.ByteTensor([2, 0, 1])
    out = OneHot(3).forward(codes)
    np.testing.assert_array_equal(out.numpy(), np.eye(3)[[2, 0, 1]])
    assert OneHot(3)(np.array([1, 1], np.uint8)).numpy().tolist() == [[0, 1, 0], [0, 1, 0]]
    with pytest.raises(TypeError, match='Tanh: expected a floating-point tensor input, got legonn.ByteTensor'):
        nn.Tanh().forward(codes)

    class MyTanh(nn.Tanh):
        pass
    with pytest.raises(TypeError, match='expected a floating-point tensor input'):
        MyTanh().forward(codes)


def test_sequential_ending_in_criterion_table_backward_without_grad_output():
    """torch/nn doc/table.md trains ``nn.Sequential():add(...):add(nn.CriterionTable(...))`` with
    ``mlp:backward(input)``: CriterionTable.lua ignores gradOutput, so nil passes through."""
    branch = nn.ParallelTable().add(nn.Linear(3, 2)).add(nn.Identity())
    mlp = nn.Sequential().add(branch).add(nn.CriterionTable(nn.MSECriterion())).double()
    x, t = np.random.rand(4, 3), np.random.rand(4, 2)
    loss = mlp.forward([x, t])
    lin = branch.get(0)
    pred = x @ lin.weight.numpy().T + lin.bias.numpy()
    assert loss == pytest.approx(((pred - t) ** 2).mean(), rel=1e-12)
    mlp.zeroGradParameters()
    mlp.backward([x, t])
    d = 2 * (pred - t) / t.size
    np.testing.assert_allclose(lin.gradWeight.numpy(), d.T @ x, rtol=1e-10)


def test_kmeans_backward_with_nil_grad_output():
    """torch/nn Kmeans.lua (doc/simple.md): ``km:backward(samples, nil)`` after forward updates the
    centroids; gradOutput is not used."""
    samples = np.vstack([np.random.RandomState(6).randn(20, 2) * 0.1 + c for c in ([0, 0], [5, 5])])
    km = nn.Kmeans(2, 2).double()
    km.weight.copy(lg.DoubleTensor([[1.0, 1.0], [4.0, 4.0]]))
    for _ in range(3):
        km.zeroGradParameters()
        km.forward(samples)
        km.backward(samples, None)
        km.updateParameters(1)
    np.testing.assert_allclose(np.sort(km.weight.numpy(), axis=0), [samples[:20].mean(0), samples[20:].mean(0)],
                               atol=1e-12)


def test_calling_a_module_with_grad_output_runs_forward_then_backward():
    """torch/nn Module.lua ``__call__(input, gradOutput)``: forward, then backward when gradOutput is
    given, returning output and gradInput."""
    m = nn.Linear(3, 2).double()
    x, g = np.random.rand(4, 3), np.random.rand(4, 2)
    out, gi = m(x, g)
    np.testing.assert_allclose(out.numpy(), x @ m.weight.numpy().T + m.bias.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gi.numpy(), g @ m.weight.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.gradWeight.numpy(), g.T @ x, rtol=1e-12)
    assert m(x) is m.output


class _TimeDistributed(nn.Module):
    """A wrapper whose constructor never calls the parent's, as torch-rnn's TemporalAdapter.lua and
    LanguageModel.lua: (N, T, A) -> (N, T, B) through a module on (N*T, A)."""

    def __init__(self, module):
        self.net = nn.Sequential().add(nn.View(-1, module.weight.size(1))).add(module)

    def updateOutput(self, input):
        self.output = self.net.forward(input).view(input.size(0), input.size(1), -1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        n, t = input.size(0), input.size(1)
        self.gradInput = self.net.updateGradInput(input, gradOutput.reshape(n * t, -1)).view(input.size())
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.net.accGradParameters(input, gradOutput.reshape(input.size(0) * input.size(1), -1), scale)

    def parameters(self):
        return self.net.parameters()


class _HalfSquares(nn.Criterion):
    """A criterion whose constructor never calls the parent's: sum((x - y)^2) / 2."""

    def __init__(self):
        self.half = True

    def updateOutput(self, input, target):
        self.output = 0.5 * ((input - target) ** 2).sum()
        return self.output

    def updateGradInput(self, input, target):
        self.gradInput = input - target
        return self.gradInput


def test_classes_whose_constructor_skips_the_parents():
    """torch7 init.lua (torch.class: the object exists before __init runs) and nn/Module.lua: torch-rnn's
    TemporalAdapter and LanguageModel never call parent.__init, and forward, backward, training(), type()
    and getParameters still work; a Criterion likewise."""
    lg.manualSeed(3)
    linear = nn.Linear(4, 3).double()
    wrapped = _TimeDistributed(linear)
    assert wrapped.train is True and wrapped.type() == lg.getdefaulttensortype()
    wrapped.double()
    x = np.random.RandomState(0).randn(2, 5, 4)
    out = wrapped.forward(x)
    w, b = linear.weight.numpy(), linear.bias.numpy()
    assert np.allclose(out.numpy(), x @ w.T + b)
    params, grads = wrapped.getParameters()
    grads.zero()
    go = np.ones((2, 5, 3))
    gi = wrapped.backward(x, go)
    assert np.allclose(gi.numpy(), go @ w)
    assert np.allclose(linear.gradWeight.numpy(), go.reshape(10, 3).T @ x.reshape(10, 4))
    wrapped.evaluate()
    assert wrapped.train is False
    crit = _HalfSquares()
    assert crit.half and crit.forward(lg.DoubleTensor([1, 2]), lg.DoubleTensor([0, 0])) == 2.5
    assert crit.backward(lg.DoubleTensor([1, 2]), lg.DoubleTensor([0, 0])).tolist() == [1, 2]


def test_backward_with_a_nil_scale_accumulates_once():
    """nn/Module.lua, Sequential.lua and Linear.lua: scale = scale or 1, so backward(input, gradOutput, nil)
    (torch-rnn's LanguageModel:backward passes its own nil scale on to self.net:backward) adds the gradient
    once."""
    lg.manualSeed(4)
    model = nn.Sequential().add(nn.Linear(3, 2)).add(nn.Tanh()).double()
    x = np.random.RandomState(1).randn(4, 3)
    go = np.random.RandomState(2).randn(4, 2)
    model.forward(x)
    model.zeroGradParameters()
    model.backward(x, go)
    expected = model.get(0).gradWeight.clone()
    model.zeroGradParameters()
    model.backward(x, go, None)
    assert np.array_equal(model.get(0).gradWeight.numpy(), expected.numpy())
    model.get(0).accGradParameters(x, model.get(1).gradInput, None)
    assert np.allclose(model.get(0).gradWeight.numpy(), 2 * expected.numpy())


def test_type_strings_equal_torch7_spellings():
    """torch7 generic/Tensor.c (x:type() is 'torch.DoubleTensor') and torch-rnn's
    TemporalCrossEntropyCriterion.lua:70 (if input:type() == 'torch.FloatTensor' or ... then target =
    target:long() end): a ported comparison of a type string with Torch7's spelling holds, for tensors,
    storages, modules, lg.type/lg.typename and the default type; the string itself is legonn's spelling."""
    x = lg.DoubleTensor(2)
    assert x.type() == 'torch.DoubleTensor' and 'torch.DoubleTensor' == x.type() and x.type() == 'legonn.DoubleTensor'
    assert x.type() != 'torch.FloatTensor' and not x.type() != 'torch.DoubleTensor'
    assert x.type() in ('torch.FloatTensor', 'torch.DoubleTensor') and str(x.type()) == 'legonn.DoubleTensor'
    assert lg.type(x) == 'torch.DoubleTensor' and lg.typename(x) == 'torch.DoubleTensor'
    assert x.storage().type() == 'torch.DoubleStorage' and lg.getdefaulttensortype() == 'torch.FloatTensor'
    module = nn.Linear(2, 3)
    assert module.type() == 'torch.FloatTensor' and module.double().type() == 'torch.DoubleTensor'
    target = lg.DoubleTensor([1, 2])
    if x.type() == 'torch.FloatTensor' or x.type() == 'torch.DoubleTensor':
        target = target.long()
    assert target.type() == 'torch.LongTensor'


def test_a_ported_tostring_names_the_module():
    """torch7 init.lua/torch.class and nn/Module.lua: print(m) shows the class's __tostring__ (torch-rnn's
    LSTM.lua and VanillaRNN.lua: 'nn.LSTM(5 -> 6)'), in a container's listing too; errors name it so."""
    class Doubler(nn.Module):
        def __init__(self, size):
            super().__init__()
            self.size = size

        def updateOutput(self, input):
            if input.size(-1) != self.size:
                raise ValueError(f"expected {self.size} features, got {input.size(-1)}")
            self.output = input * 2
            return self.output

        def __tostring__(self):
            return '%s(%d -> %d)' % (lg.type(self), self.size, self.size)

    m = Doubler(3)
    assert repr(m) == 'nn.Doubler(3 -> 3)' and m.shortName() == 'Doubler(3 -> 3)'
    seq = nn.Sequential().add(nn.Identity()).add(m)
    assert '(1): nn.Doubler(3 -> 3)' in repr(seq)
    with pytest.raises(ValueError, match=r'Doubler\(3 -> 3\)'):
        seq.forward(lg.zeros(2, 4))


def test_modules_without_parameters_read_them_as_none():
    """nn/Module.lua's __init gives a module no weight, bias, gradWeight or gradBias field, and Lua reads an
    absent field as nil, so `model:apply(function(m) if m.weight then m.weight:normal(0, 0.02) end end)` walks
    every module (dcgan.torch's weights_init family); in legonn they read as None on modules without them."""
    model = nn.Sequential().add(nn.SpatialConvolution(1, 2, 3, 3)).add(nn.ReLU(True)).add(nn.View(-1))
    model.get(0).noBias()
    touched = []

    def init(m):
        if m.weight is not None:
            m.weight.fill(0.5)
            touched.append(lg.type(m))
        if m.bias is not None:
            m.bias.zero()
    model.apply(init)
    assert touched == ['nn.SpatialConvolution'] and model.get(0).weight.sum() == 0.5 * 18
    relu = model.get(1)
    assert relu.weight is None and relu.gradBias is None and relu.parameters() == ([], [])
    assert 'weight' not in vars(relu) and model.getParameters()[0].nElement() == 18


def test_lua_value_rules_of_the_porting_guide():
    """docs/porting.md's rows for Lua values, as fast-neural-style's code meets them: nn/Criterion.lua's
    __call__ returns output and gradInput (StyleLoss keeps the first, strength * crit(x, t)); Lua's
    `if m.weight then` is a nil test (dcgan.torch's weights_init), which a tensor of several elements refuses
    with a hint; models.lua's (f - 1) / 2 padding is a whole float, taken as Lua's number."""
    crit = nn.MSECriterion()
    x, t = lg.Tensor([1, 2]), lg.Tensor([0, 0])
    loss, grad = crit(x, t)
    assert 2 * crit(x, t)[0] == 2 * loss == 5.0 and grad.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"is not None"):
        bool(lg.Tensor(3))
    # models.lua's (f - 1) / 2 padding is a whole float, which a constructor takes as Lua's number
    assert nn.SpatialConvolution(3, 4, 9, 9, 1, 1, (9 - 1) / 2, (9 - 1) / 2).padW == 4


def test_a_function_assigned_in_place_of_a_method_overrides_it_on_that_object():
    """cifar.torch's train.lua turns a Copy's backward off with model:get(2).updateGradInput = function(input)
    return end, and nn/Copy.lua assigns self.updateOutput = function(self, input) ... end: a field holding a
    function replaces the class's method on that object. Ported as porting.md says, with the method's own
    arguments (Python passes no self and drops no argument)."""
    import types
    model = nn.Sequential().add(nn.Copy('torch.FloatTensor', 'torch.FloatTensor')).add(nn.Linear(3, 3))
    model.get(0).updateGradInput = lambda input, gradOutput: None
    x = lg.Tensor(2, 3).uniform()
    model.forward(x)
    grad_input = model.backward(x, lg.Tensor(2, 3).fill(1))
    assert grad_input.nElement() == 0                    # the Copy passed no gradient back
    assert model.get(1).gradWeight.abs().sum() > 0       # the Linear after it still learnt

    def doubled(self, input):
        self.output = input * 2
        return self.output
    other = nn.Identity()
    other.updateOutput = types.MethodType(doubled, other)
    assert other.forward(lg.Tensor([1, 2])).tolist() == [2.0, 4.0]



def test_tensor_methods_take_operands_of_another_type_and_cast_into_the_destination():
    """docs/porting.md's row: Torch7's TensorMath refuses ``r:add(a, -1, b)`` with ``a``, ``b`` DoubleTensors and
    ``r`` a FloatTensor (the spynet port's EPECriterion test met it); legonn computes and casts into ``r``'s type, so an
    integer destination truncates; a module still refuses an input of another type."""
    a, b = lg.DoubleTensor([1.25, 2]), lg.DoubleTensor([0.5, 1])
    r = lg.FloatTensor(2).add(a, -1, b)
    assert r.type() == 'torch.FloatTensor' and r.numpy().tolist() == [0.75, 1.0]
    assert lg.FloatTensor([1, 2]).cmul(lg.DoubleTensor([3, 4])).numpy().tolist() == [3.0, 8.0]
    assert lg.LongTensor([1, 2]).add(lg.DoubleTensor([3.5, 4])).numpy().tolist() == [4, 6]
    with pytest.raises(TypeError, match='Linear'):
        nn.Linear(2, 1).forward(lg.DoubleTensor(3, 2))
