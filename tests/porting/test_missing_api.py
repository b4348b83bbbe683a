"""API Torch7 code uses that legonn lacked or had narrower (issue 16, "Missing or narrower API")."""
import math
import time

import numpy as np
import pytest

import legonn as lg
from legonn import graph, nn, optim  # noqa: F401  (graph: nngraph's node building)
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def test_replace_on_every_module():
    """torch/nn Module.lua ``replace(callback)``: the callback's result replaces each module of the tree,
    containers included (e.g. every Dropout swapped for an Identity before deployment)."""
    inner = nn.Sequential().add(nn.Linear(3, 3)).add(nn.Dropout(0.5))
    model = nn.Sequential().add(inner).add(nn.Dropout(0.2)).add(nn.ConcatTable().add(nn.Dropout()).add(nn.Tanh()))
    out = model.replace(lambda m: nn.Identity() if isinstance(m, nn.Dropout) else m)
    assert out is model
    assert not model.findModules('nn.Dropout')[0]
    assert len(model.findModules(nn.Identity)[0]) == 3
    leaf = nn.Dropout()
    assert isinstance(leaf.replace(lambda m: nn.Identity()), nn.Identity)


def test_find_modules_given_a_class():
    """torch/nn Module.lua ``findModules(typename)`` compares the exact type name; a class works too, exactly
    (a subclass is another type)."""
    class MyLinear(nn.Linear):
        pass
    model = nn.Sequential().add(nn.Linear(2, 2)).add(nn.Tanh()).add(nn.Sequential().add(nn.Linear(2, 2)))
    model.add(MyLinear(2, 2))
    found, holders = model.findModules(nn.Linear)
    assert found == [model.get(0), model.get(2).get(0)]
    assert holders == [model, model.get(2)]
    assert model.findModules(MyLinear)[0] == [model.get(3)]
    assert model.findModules('nn.Linear')[0] == found


def test_select_table_by_key():
    """torch/nn SelectTable.lua indexes ``input[index]`` with any key: ``nn.SelectTable('key')`` on a table
    with string keys; gradInput is a zeroed copy of the input with the gradient at that key."""
    x = {'a': lg.randn(2), 'b': lg.randn(3)}
    m = nn.SelectTable('b')
    assert m.forward(x) is x['b']
    g = lg.randn(3)
    gi = m.backward(x, g)
    assert set(gi) == {'a', 'b'}
    np.testing.assert_array_equal(gi['b'].numpy(), g.numpy())
    assert not gi['a'].numpy().any() and gi['a'].size() == (2,)
    with pytest.raises(IndexError, match=r"SelectTable\(c\): expected a dict input holding key 'c'"):
        nn.SelectTable('c').forward(x)
    with pytest.raises(TypeError, match=r"SelectTable\(a\): expected a dict input"):
        nn.SelectTable('a').forward([lg.randn(2)])


def test_dropout_stochastic_inference():
    """torch/nn Dropout.lua ``(p, v1, inplace, stochasticInference)``: with stochastic_inference masks are
    drawn in evaluation too (Monte Carlo dropout)."""
    d = nn.Dropout(0.5, False, False, True).evaluate()
    x = lg.ones(1000)
    y = d.forward(x).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    np.testing.assert_array_equal(d.backward(x, lg.ones(1000)).numpy(), y)
    plain = nn.Dropout(0.5).evaluate()
    np.testing.assert_array_equal(plain.forward(x).numpy(), 1)


def test_soft_margin_criterion_size_average():
    """torch/nn SoftMarginCriterion.lua: loss = sum log(1 + exp(-y x)) / n with sizeAverage, the sum without
    (set after construction: the constructor takes no argument)."""
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 1.0, -1.0])
    total = np.log1p(np.exp(-y * x)).sum()
    crit = nn.SoftMarginCriterion().double()
    assert crit.forward(x, y) == pytest.approx(total / 3, rel=1e-12)
    crit.sizeAverage = False
    assert crit.forward(x, y) == pytest.approx(total, rel=1e-12)


def _prelu_reference(x, w):
    shape = [1] * x.ndim
    shape[1 if x.ndim > 1 else 0] = w.size
    return np.where(x > 0, x, x * w.reshape(shape))


@pytest.mark.parametrize('sizes', [(3,), (2, 3), (2, 3, 4), (2, 3, 2, 2), (2, 3, 2, 2, 2)])
def test_prelu_channels_from_dimension_one(sizes):
    """THNN PReLU.c reads nOutputPlane from dimension 1 whenever the input has more than one dimension, any
    rank (torch/nn PReLU.lua)."""
    m = nn.PReLU(3).double()
    m.weight.copy(lg.DoubleTensor([0.1, 0.2, 0.3]))
    x = np.random.RandomState(0).randn(*sizes)
    np.testing.assert_allclose(m.forward(x).numpy(), _prelu_reference(x, m.weight.numpy()), rtol=1e-12)
    assert_jacobian(m, lg.DoubleTensor(x))
    with pytest.raises(ValueError, match=r'PReLU\(3\): expected 3 channels in dimension 1'):
        m.forward(np.zeros((3, 2)))


def test_prelu_type_roundtrip():
    x = lg.randn(2, 3, 2, 2, 2)
    assert_type_roundtrip(nn.PReLU(3), x)


@pytest.mark.gpu
def test_prelu_any_rank_gpu():
    assert_gpu_matches_cpu(nn.PReLU(3), lg.randn(2, 3, 2, 2, 2).double())


def test_add_with_a_size():
    """torch/nn Add.lua ``torch.Tensor(inputSize)``: a size gives a bias of that shape; an input of its size
    adds element-wise, a batch adds it to every sample."""
    m = nn.Add((3, 4)).double()
    assert m.bias.size() == (3, 4)
    x = np.random.RandomState(1).randn(2, 3, 4)
    np.testing.assert_allclose(m.forward(x).numpy(), x + m.bias.numpy(), rtol=1e-12)
    assert_jacobian(m, lg.DoubleTensor(x))
    assert_jacobian(m, lg.DoubleTensor(x[0]))
    assert_type_roundtrip(nn.Add((3, 4)), lg.randn(2, 3, 4))
    assert repr(m) == 'nn.Add(3x4)'


@pytest.mark.gpu
def test_add_with_a_size_gpu():
    assert_gpu_matches_cpu(nn.Add((3, 4)), lg.randn(2, 3, 4).double())


def test_weighted_mse_with_a_numpy_weight():
    """torch/nn WeightedMSECriterion.lua: loss = MSE(x, w .* t); w given as a NumPy array takes the
    criterion's type."""
    w = np.array([1.0, 2.0, 0.5])
    crit = nn.WeightedMSECriterion(w)
    assert crit.weight.type() == 'legonn.FloatTensor'
    crit = crit.double()
    x, t = np.random.RandomState(2).randn(2, 3), np.random.RandomState(3).randn(2, 3)
    assert crit.forward(x, t) == pytest.approx(((x - w * t) ** 2).mean(), rel=1e-12)


def test_confusion_matrix_far_frr():
    """torch/optim ConfusionMatrix.lua ``farFrr()``: per class FRR = 1 - mat[i][i] / n_i and FAR = the mean
    over other classes j with samples of mat[j][i] / n_j; -1 for classes without samples."""
    cm = optim.ConfusionMatrix(3)
    for prediction, target in [(0, 0), (1, 0), (1, 1), (1, 1), (0, 1)]:
        cm.add(prediction, target)
    class_frrs, class_fars, frrs, fars = cm.farFrr()
    np.testing.assert_allclose(class_frrs.numpy(), [1 / 2, 1 / 3, -1], rtol=1e-6)
    np.testing.assert_allclose(class_fars.numpy(), [1 / 3, 1 / 2, -1], rtol=1e-6)
    np.testing.assert_allclose(frrs.numpy(), [1 / 2, 1 / 3], rtol=1e-6)
    np.testing.assert_allclose(fars.numpy(), [1 / 3, 1 / 2], rtol=1e-6)


def test_nngraph_node_data_label_and_debug_labels():
    """torch/nngraph node.lua: ``node.data.module``, ``node.data.annotations``, ``node:label()``; split outputs
    get ``_debugLabel`` = the split node's label and the output's number (test/test_nngraph.lua
    test_splitDebugLabels; 0-based here, like the outputs)."""
    x = nn.Identity()()
    lin = nn.Linear(2, 3)
    h = lin(x)
    assert h.data.module is lin and h.data.annotations is h.annotations
    assert h.data.annotations['_debugLabel'].endswith('_test_nngraph_node_data_label_and_debug_labels')
    g = nn.gModule([x], [h])
    g.forward(lg.randn(2))
    assert 'module = nn.Linear(2 -> 3)' in h.label() and 'input = ' in h.label()
    node = nn.Identity()()
    node.data.annotations['_debugLabel'] = 'node'
    first, second = node.split(2)
    assert first.data.annotations['_debugLabel'] == 'node-0'
    assert second.data.annotations['_debugLabel'] == 'node-1'
    assert first.inputs[0].annotations['_debugLabel'].startswith('node split at [')


def test_recursive_type():
    """torch/nn utils.lua ``nn.utils.recursiveType(param, type, tensorCache)``: tensors in nested tables
    converted, views of one storage kept views of one storage, modules converted."""
    t = lg.randn(4)
    view = t.narrow(0, 1, 2)
    out = nn.utils.recursiveType({'a': [t, view], 'm': nn.Linear(2, 2), 'n': 3}, 'torch.DoubleTensor')
    assert out['a'][0].type() == 'legonn.DoubleTensor'
    assert out['a'][1].storage() is out['a'][0].storage() and out['a'][1].storageOffset() == 1
    np.testing.assert_allclose(out['a'][1].numpy(), view.numpy(), rtol=1e-7)
    assert out['m'].weight.type() == 'legonn.DoubleTensor' and out['n'] == 3


def test_recursive_type_converts_tables_in_place_and_one_tensor_once():
    t = lg.randn(3)
    table = [t, {'again': t}]
    assert nn.utils.recursiveType(table, 'torch.DoubleTensor') is table   # utils.lua writes param[k]
    assert table[0].type() == 'legonn.DoubleTensor' and table[1]['again'] is table[0]


def test_recursive_table_helpers_of_utils_lua():
    """nn.utils.recursiveResizeAs/Fill/Add/Copy walk nested tables, writing into the first one."""
    src = [lg.ones(2, 3), {'b': lg.ones(4).mul(2)}]
    dst, same = nn.utils.recursiveResizeAs(None, src)
    assert same is src and dst[0].size() == (2, 3) and dst[1]['b'].size() == (4,)
    assert nn.utils.recursiveFill(dst, 5) is dst and dst[0].array.min() == 5 == dst[1]['b'].array.max()
    out, _ = nn.utils.recursiveAdd(dst, 0.5, src)
    assert out is dst and dst[0].array.max() == 5.5 and dst[1]['b'].array.max() == 6
    nn.utils.recursiveAdd(dst, src)   # val 1
    assert dst[1]['b'].array.max() == 8
    copy, _ = nn.utils.recursiveCopy([lg.zeros(1), lg.zeros(9), lg.zeros(9)], src)
    assert len(copy) == 2 and copy[0].tolist() == src[0].tolist() and copy[1]['b'].tolist() == [2] * 4
    assert copy[1]['b'] is not src[1]['b']
    with pytest.raises(TypeError, match='recursiveFill'):
        nn.utils.recursiveFill([3], 1)


def test_singleton_dimension_contiguous_view_and_clear_of_utils_lua():
    t = lg.randn(2, 3)
    v = nn.utils.addSingletonDimension(t, 1)   # 0-based dim
    assert v.size() == (2, 1, 3) and v.storage() is t.storage()
    into = lg.Tensor()
    assert nn.utils.addSingletonDimension(into, t, 0) is into and into.size() == (1, 2, 3)
    with pytest.raises(TypeError, match='integer dim'):
        nn.utils.addSingletonDimension(into, t)   # the view form needs its dim, as utils.lua's
    with pytest.raises(ValueError, match='out of range'):
        nn.utils.addSingletonDimension(t, 3)
    view = nn.utils.contiguousView(None, t, 3, 2)
    assert view.size() == (3, 2) and view.storage() is t.storage()
    held = lg.Tensor()
    copy = nn.utils.contiguousView(held, t.t(), 6)
    assert copy is held and copy.tolist() == t.t().contiguous().view(6).tolist() and copy.storage() is not t.storage()
    m = nn.Linear(2, 2)
    m.cache, m.extra = [1, 2], 7
    assert nn.utils.clear(m, ['output', 'cache', 'extra']) is m
    assert m.output.nElement() == 0 and m.cache == [] and m.extra is None


def test_torch_level_type_queries():
    """torch7 doc/utility.md: ``torch.typename`` (nil for non-torch values), ``torch.type`` (Lua's type
    names otherwise), ``torch.isTensor``."""
    x = lg.DoubleTensor(2)
    assert lg.typename(x) == 'legonn.DoubleTensor' and lg.typename(nn.Linear(2, 2)) == 'nn.Linear'
    assert lg.typename(x.storage()) == 'legonn.DoubleStorage' and lg.typename(3) is None
    assert [lg.type(v) for v in (x, [1], {'a': 1}, 3.5, 'a', None, True, print)] == \
        ['legonn.DoubleTensor', 'table', 'table', 'number', 'string', 'nil', 'boolean', 'function']
    assert lg.isTensor(x) and not lg.isTensor(np.zeros(2))


def test_multinomial():
    """torch7 doc/maths.md ``torch.multinomial(p, n, replacement)``: indices (0-based here) drawn in
    proportion to the weights; without replacement each index at most once per row."""
    draws = lg.multinomial(lg.DoubleTensor([1.0, 0.0, 3.0]), 4000, True)
    assert draws.type() == 'legonn.LongTensor' and draws.size() == (4000,)
    counts = np.bincount(draws.numpy(), minlength=3)
    assert counts[1] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03
    rows = lg.multinomial(lg.FloatTensor([[0.2, 0.3, 0.5, 0.0], [1, 1, 1, 1]]), 3)
    assert rows.size() == (2, 3)
    assert all(len(set(r)) == 3 for r in rows.numpy().tolist()) and 3 not in rows.numpy()[0]
    with pytest.raises(ValueError, match='cannot draw 4 distinct categories'):
        lg.multinomial(lg.FloatTensor([0.2, 0.3, 0.5, 0.0]), 4)
    with pytest.raises(ValueError, match='non-negative weights'):
        lg.multinomial(lg.FloatTensor([0.2, -0.3]), 1)


def test_multinomial_is_seeded():
    lg.manualSeed(5)
    a = lg.multinomial(lg.FloatTensor([0.2, 0.3, 0.5]), 10, True).numpy().copy()
    lg.manualSeed(5)
    np.testing.assert_array_equal(lg.multinomial(lg.FloatTensor([0.2, 0.3, 0.5]), 10, True).numpy(), a)


def test_timer():
    """torch7 doc/timer.md: ``time()`` gives real/user/sys seconds since creation or reset; ``stop()`` pauses
    and ``resume()`` continues."""
    timer = lg.Timer()
    time.sleep(0.02)
    first = timer.time()
    assert set(first) == {'real', 'user', 'sys'} and first['real'] >= 0.02
    timer.stop()
    stopped = timer.time()['real']
    time.sleep(0.02)
    assert timer.time()['real'] == stopped
    timer.resume()
    time.sleep(0.01)
    assert timer.time()['real'] >= stopped + 0.01
    assert timer.reset().time()['real'] < first['real']
    timer.stop().reset()   # doc/timer.md: a stopped timer stays stopped
    time.sleep(0.02)
    assert timer.time()['real'] == 0.0


def test_long_storage():
    """torch7 doc/storage.md ``torch.LongStorage(n)`` / ``torch.LongStorage({...})``: int64 storage; as
    sizes it unpacks into a constructor."""
    s = lg.LongStorage([2, 3])
    assert s.type() == 'legonn.LongStorage' and list(s) == [2, 3] and s[1] == 3
    assert lg.FloatTensor(*s).size() == (2, 3)
    assert list(lg.LongStorage(3)) == [0, 0, 0]
    assert math.prod(lg.LongStorage([2, 3, 4])) == 24
    # doc/storage.md: torch.TYPEStorage(n) and (table), and torch.Storage of the default type
    assert lg.FloatStorage(3).type() == 'legonn.FloatStorage' and lg.DoubleStorage([1.5, 2]).tolist() == [1.5, 2]
    assert lg.ByteStorage([1, 2]).type() == 'legonn.ByteStorage' and lg.IntStorage(2).tolist() == [0, 0]
    assert lg.Storage([1, 2, 3]).type() == 'legonn.FloatStorage' and lg.Storage(2).size() == 2
    assert lg.FloatTensor(lg.FloatStorage([1, 2, 3])).tolist() == [1, 2, 3]   # a view of it, not sizes
    # doc/tensor.md: resize/view/expand/repeatTensor/set and Tensor(storage, offset, sizes, strides) take one
    sizes = lg.LongStorage([2, 2])
    assert lg.Tensor(4).resize(sizes).size() == (2, 2) and lg.Tensor(4).view(sizes).size() == (2, 2)
    assert lg.Tensor(1, 1).expand(lg.LongStorage([2, 3])).size() == (2, 3)
    assert lg.Tensor(2).repeatTensor(lg.LongStorage([2, 1])).size() == (2, 2)
    store = lg.Tensor(list(range(6))).storage()
    assert lg.Tensor(store, 1, sizes).tolist() == [[1, 2], [3, 4]]
    assert lg.Tensor(store, 0, sizes, lg.LongStorage([1, 2])).tolist() == [[0, 2], [1, 3]]
    assert lg.Tensor().set(store, 1, sizes).tolist() == [[1, 2], [3, 4]]
    # Tensor(storage, offset, sz1, st1, sz2, st2): sizes and strides in turns (offset 0-based)
    assert lg.Tensor(store, 1, 2, 1, 2, 2).tolist() == [[1, 3], [2, 4]] and lg.Tensor(store, 0, 2, 3).tolist() == [0, 3]


def test_tensor_from_size_storages():
    """torch7 generic/Tensor.c (torch.Tensor(sizes [, strides]) with LongStorages, doc/tensor.md): a float
    tensor given a LongStorage gets those sizes (and strides); a LongTensor views its own storage type."""
    t = lg.FloatTensor(lg.LongStorage([2, 3]))
    assert t.size() == (2, 3) and t.stride() == (3, 1) and t.sum() == 0
    d = lg.DoubleTensor(lg.LongStorage([2, 3]), lg.LongStorage([1, 2]))
    assert d.size() == (2, 3) and d.stride() == (1, 2) and d.storage().size() == 6
    view = lg.LongTensor(lg.LongStorage([4, 5]))
    assert view.size() == (2,) and view.tolist() == [4, 5]
    with pytest.raises(ValueError, match='strides'):
        lg.FloatTensor(lg.LongStorage([2, 3]), lg.LongStorage([1]))


def test_tensor_from_another_tensors_size():
    """torch7 generic/Tensor.c and doc/tensor.md: x:size() (Lua's #x) is a LongStorage, so torch.Tensor(#x),
    x.new(#x) and torch.Tensor(x:size(), x:stride()) build a tensor of x's sizes (torch-rnn's gradcheck makes
    its gradient buffer with x.new(#x)); a LongTensor views the storage, holding the sizes as values."""
    x = lg.DoubleTensor(3, 4, 2)
    assert x.size() == (3, 4, 2) and x.size()[1] == 4 and len(x.size()) == 3
    assert lg.Tensor(x.size()).size() == (3, 4, 2) and lg.Tensor(x.size()).sum() == 0
    grad = x.new(x.size()).zero()
    assert grad.type() == 'legonn.DoubleTensor' and grad.size() == (3, 4, 2)
    t = x.transpose(0, 2)
    assert lg.FloatTensor(t.size(), t.stride()).stride() == t.stride()
    assert lg.LongTensor(x.size()).tolist() == [3, 4, 2]
    assert lg.Tensor((3, 4)).tolist() == [3, 4]     # a plain tuple stays values


def test_torch_level_draws_is_type_of_and_pointer():
    """doc/random.md's torch.random/uniform/normal/bernoulli/... draw one number; doc/utility.md's
    torch.isTypeOf walks the class hierarchy and torch.pointer identifies an object."""
    lg.manualSeed(5)
    draws = [lg.uniform(2, 3), lg.normal(10, 0.01), lg.random(6), lg.random(1, 7), lg.bernoulli(1.0),
             lg.geometric(0.5), lg.exponential(2.0)]
    lg.manualSeed(5)
    assert [lg.uniform(2, 3), lg.normal(10, 0.01), lg.random(6), lg.random(1, 7), lg.bernoulli(1.0),
            lg.geometric(0.5), lg.exponential(2.0)] == draws   # the tensor generator, so seeded alike
    u, n, r6, die, one, g, e = draws
    assert 2 <= u < 3 and abs(n - 10) < 0.1 and 0 <= r6 < 6 and 1 <= die < 7 and one == 1 and g >= 1 and e >= 0
    assert isinstance(r6, int) and isinstance(u, float)
    linear = nn.Linear(2, 2)
    assert lg.isTypeOf(linear, 'nn.Module') and lg.isTypeOf(linear, 'nn.Linear') and lg.isTypeOf(linear, nn.Module)
    assert not lg.isTypeOf(nn.Tanh(), 'nn.Linear') and lg.isTypeOf(nn.MSECriterion(), 'nn.Criterion')
    assert lg.isTypeOf(lg.FloatTensor(2), 'torch.FloatTensor') and not lg.isTypeOf(lg.FloatTensor(2), 'nn.Module')
    assert lg.pointer(linear) == lg.pointer(linear) != lg.pointer(nn.Linear(2, 2))
    assert lg.type(lg.Timer()) == 'legonn.Timer'


def test_cmdline_options_arguments_and_experiment_name(capsys):
    """torch7 CmdLine.lua, as jcjohnson/neural-style and soumith/imagenet-multiGPU.torch's opts.lua use it:
    an option's type is its default's (a boolean flips its default and takes no value), parse returns the
    values keyed without dashes, and string() names an experiment by the non-default options, sorted."""
    cmd = lg.CmdLine()
    cmd.text('Options:')
    cmd.option('-image_size', 512, 'Maximum height / width of generated image')
    cmd.option('-style_image', 'examples/inputs/seated-nude.jpg')
    cmd.option('-content_weight', 5e0)
    cmd.option('-normalize_gradients', False)
    cmd.option('-netType', 'alexnetowtbn')
    cmd.argument('-data', 'data folder')
    opt = cmd.parse(['-image_size', '64', '/tmp/d', '-normalize_gradients', '-content_weight', '1e-3'])
    assert opt == {'image_size': 64, 'style_image': 'examples/inputs/seated-nude.jpg', 'content_weight': 1e-3,
                   'normalize_gradients': True, 'netType': 'alexnetowtbn', 'data': '/tmp/d'}
    assert cmd.default()['image_size'] == 512
    name = cmd.string('run', opt, {'style_image': True})
    assert name == 'run,data=/tmp/d,content_weight=0.001,image_size=64,normalize_gradients=t'
    with pytest.raises(ValueError, match='wrong default type'):
        cmd.option('-gpu', 0, 'GPU', 'string')
    with pytest.raises(SystemExit) as exit_info:
        cmd.parse(['-image_size', 'big', '/tmp/d'])
    assert exit_info.value.code == 1
    out = capsys.readouterr()
    assert 'invalid type for option -image_size (should be number)' in out.err
    assert '  -image_size          Maximum height / width of generated image [512]' in out.out
    with pytest.raises(SystemExit):
        cmd.parse([])                               # the positional argument is missing
    assert 'not enough arguments' in capsys.readouterr().err


def test_jacobian_testIO_and_testAllUpdate():
    """torch/nn Jacobian.lua's ``testIO`` (output and gradInput of a saved-and-reloaded module against the
    original's) and ``testAllUpdate`` (a dict of errors of accGradParameters + updateParameters,
    accUpdateGradParameters, and both with a shared parameter), which nn/test.lua calls for most modules."""
    lin = nn.Linear(5, 3).double()
    x = lg.DoubleTensor(4, 5).uniform()
    assert nn.Jacobian.testIO(lin, x) == (0.0, 0.0)
    errors = nn.Jacobian.testAllUpdate(lin, x, 'weight', 'gradWeight')
    assert sorted(errors) == ['accGradParameters', 'accGradParameters [shared]', 'accUpdateGradParameters',
                              'accUpdateGradParameters [shared]']
    assert max(errors.values()) < 1e-12
    # the module is written as its own clearState leaves it: an unpooling's pooling module keeps its indices
    pool = nn.SpatialMaxPooling(2, 2, 2, 2).double()
    unpool = nn.SpatialMaxUnpooling(pool)
    assert nn.Jacobian.testIO(unpool, pool.forward(lg.DoubleTensor(1, 4, 4).uniform())) == (0.0, 0.0)

    class Drifting(nn.Linear):
        """A module whose reloaded copy computes something else, and whose update ignores the rate."""
        def updateOutput(self, input):
            self.calls = self.__dict__.get('calls', 0) + 1
            return super().updateOutput(input).add(self.calls)

        def accUpdateGradParameters(self, input, gradOutput, lr):
            return super().accUpdateGradParameters(input, gradOutput, 10 * lr)

    lg.register(Drifting)
    drift = Drifting(5, 3).double()
    forward_err, backward_err = nn.Jacobian.testIO(drift, x)
    assert forward_err >= 1 and backward_err == 0
    errors = nn.Jacobian.testAllUpdate(drift, x, 'weight', 'gradWeight')
    assert errors['accGradParameters'] < 1e-12 and errors['accUpdateGradParameters'] > 1e-6
