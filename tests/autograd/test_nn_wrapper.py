"""autograd.nn / autograd.functionalize (legonn/autograd/nnwrapper.py): each wrapper's gradients against the
wrapped object's own backward and finite differences in float64, the input type followed, the errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import autograd, nn
from tests.autograd.test_core import numeric_gradient

pytestmark = pytest.mark.usefixtures('double')


@pytest.fixture
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')


def test_linear_gradients_are_the_modules_backward_and_match_finite_differences():
    linear, params = autograd.nn.Linear(4, 3)
    w = lg.randn(3)

    def f(p):
        return lg.sum(lg.cmul(linear(p['linear'], p['x']), w))

    p = {'linear': params, 'x': lg.randn(4)}
    grads, loss = autograd(f)(p)
    module = nn.Linear(4, 3)
    module.weight.copy(params[0])
    module.bias.copy(params[1])
    gx = module.backward(p['x'], w)
    assert loss == pytest.approx(f(p), abs=1e-12)
    np.testing.assert_array_equal(grads['x'].numpy(), gx.numpy())
    np.testing.assert_array_equal(grads['linear'][0].numpy(), module.gradWeight.numpy())
    np.testing.assert_array_equal(grads['linear'][1].numpy(), module.gradBias.numpy())
    flat = {'W': params[0], 'b': params[1], 'x': p['x']}
    g = lambda q: f({'linear': [q['W'], q['b']], 'x': q['x']})
    for key, got in (('W', grads['linear'][0]), ('b', grads['linear'][1]), ('x', grads['x'])):
        np.testing.assert_allclose(got.numpy(), numeric_gradient(g, flat, key).numpy(), atol=1e-8)


def test_module_without_parameters_and_a_table_input():
    tanh = autograd.nn.Tanh()
    mm = autograd.nn.MM()

    def f(p):
        return lg.sum(tanh(mm([p['A'], p['B']])))

    p = {'A': lg.randn(3, 4), 'B': lg.randn(4, 2)}
    grads, _ = autograd(f)(p)
    for key in ('A', 'B'):
        np.testing.assert_allclose(grads[key].numpy(), numeric_gradient(f, p, key).numpy(), atol=1e-8)


@pytest.mark.parametrize('optimize', [False, True])
def test_a_table_output_taken_entry_by_entry(optimize):
    """A module answering a table (ConcatTable of two Linears): each entry, taken by ``o[k]`` or through a slice
    (one of them twice, one not at all in the second loss), gets its gradient, and the module's backward the table
    of them (zeros for an unused entry); the direct runtime handed x[k]'s gradient a list for a tensor, the
    optimized mode gave the module no gradOutput."""
    concat, params = autograd.functionalize(nn.ConcatTable().add(nn.Linear(4, 3)).add(nn.Linear(4, 2)))
    w = lg.randn(5, 3)

    def f(p, x):
        o = concat(p, x)
        return lg.sum(lg.cmul(o[0], w)) + lg.sum(lg.cmul(o[1], o[1]))

    def first_only(p, x):
        return lg.sum(lg.cmul(concat(p, x)[0], w))

    def by_slices(p, x):           # f through slices of the table: o[:1][0] is o[0], o[-1:][0] is o[1]
        o = concat(p, x)
        return lg.sum(lg.cmul(o[:1][0], w)) + lg.sum(lg.cmul(o[-1:][0], o[-1:][0]))

    for loss in (f, first_only, by_slices):
        # protected: the direct runtime checks that the list's gradient is a list of its entries' sizes
        df = autograd(loss, optimize=optimize, protected=True)
        for _ in range(2):
            x = lg.randn(5, 4)
            grads, value = df(params, x)
            xs, A, a, B, b = (t.numpy() for t in (x, *params))
            o1 = xs @ B.T + b
            g1 = 2 * o1 if loss is not first_only else np.zeros_like(o1)     # d loss / d o[1]
            np.testing.assert_allclose(grads[0].numpy(), w.numpy().T @ xs, rtol=1e-12)
            np.testing.assert_allclose(grads[1].numpy(), w.numpy().sum(0), rtol=1e-12)
            np.testing.assert_allclose(grads[2].numpy(), g1.T @ xs, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(grads[3].numpy(), g1.sum(0), rtol=1e-12, atol=1e-15)
            used = loss is not first_only
            assert value == pytest.approx(((xs @ A.T + a) * w.numpy()).sum() + used * (o1 ** 2).sum(), rel=1e-12)


def test_a_module_called_twice_in_one_function():
    """The Lua returned the module's output buffer and ran backward on the module's last state: a wrapped Tanh
    used twice gave the second call's output for the first and a Tanh gradient of the wrong output."""
    tanh = autograd.nn.Tanh()

    def f(p):
        h1 = tanh(p['x'])
        h2 = tanh(h1 * 3)
        return lg.sum(lg.cmul(h1, p['w'])) + lg.sum(h2)

    p = {'x': lg.randn(5), 'w': lg.randn(5)}
    grads, loss = autograd(f)(p)
    h1 = np.tanh(p['x'].numpy())
    assert loss == pytest.approx(float((h1 * p['w'].numpy()).sum() + np.tanh(3 * h1).sum()), abs=1e-12)
    np.testing.assert_allclose(grads['x'].numpy(), numeric_gradient(f, p, 'x').numpy(), atol=1e-8)


def test_criterion_gradient_follows_the_losss_gradient():
    """The Lua's wrapped criterion returned backward(x, y) whatever multiplied the loss."""
    mse = autograd.functionalize(nn.MSECriterion())
    y = lg.randn(6)

    def f(p):
        return 3 * mse(p['x'], y)

    p = {'x': lg.randn(6)}
    grads, loss = autograd(f)(p)
    assert loss == pytest.approx(3 * nn.MSECriterion().forward(p['x'], y), abs=1e-12)
    np.testing.assert_allclose(grads['x'].numpy(), 3 * nn.MSECriterion().backward(p['x'], y).numpy(), atol=1e-14)
    np.testing.assert_allclose(grads['x'].numpy(), numeric_gradient(f, p, 'x').numpy(), atol=1e-8)


def test_the_module_follows_its_inputs_type():
    linear, params = autograd.nn.Linear(3, 2)
    f = lambda p, x: lg.sum(linear(p, x))
    floats = autograd.util.cast(params, 'float')
    grads, _ = autograd(f)(floats, lg.FloatTensor(3).normal())
    assert linear.module.weight.type() == 'legonn.FloatTensor'
    assert [g.type() for g in grads] == ['legonn.FloatTensor'] * 2
    grads, _ = autograd(f)(params, lg.randn(3))
    assert linear.module.weight.type() == 'legonn.DoubleTensor' and grads[0].type() == 'legonn.DoubleTensor'


def test_bad_input_raises_naming_the_wrapper():
    with pytest.raises(TypeError, match='expected an nn module, an nn criterion or a package name, got int'):
        autograd.functionalize(42)
    with pytest.raises(ValueError, match="could not load package 'no_such_package'"):
        autograd.functionalize('no_such_package')
    linear, params = autograd.nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r'Linear\(3 -> 2\): expected a tensor or a table of tensors as input, got str'):
        linear(params, 'x')
    with pytest.raises(TypeError, match=r'expected its 2 parameters as a list of tensors, got a list of 1'):
        linear(params[:1], lg.randn(3))
    with pytest.raises(TypeError, match=r'parameter 0 must be a legonn.DoubleTensor of size \(2, 3\) \(the module '
                                        r'follows its input.s type\), got a legonn.FloatTensor'):
        linear([params[0].float(), params[1]], lg.randn(3))
    with pytest.raises(TypeError, match=r'parameter 1 must be .* of size \(2,\).*got a legonn.DoubleTensor of size '
                                        r'\(3,\)'):
        linear([params[0], lg.randn(3)], lg.randn(3))


def test_functionalize_takes_a_package_object_and_names():
    package = autograd.functionalize(nn)
    tanh = package['Tanh']()
    x = lg.randn(4)
    np.testing.assert_array_equal(tanh(x).numpy(), np.tanh(x.numpy()))
    assert callable(package.ClassNLLCriterion) and 'AutoModule' in vars(autograd.nn)
    with pytest.raises(KeyError):
        package['NoSuchModule']
    with pytest.raises(AttributeError, match=r"autograd.functionalize\('legonn.nn'\): the package has no module or "
                                             r"criterion class 'NoSuchModule'"):
        autograd.nn.NoSuchModule


@pytest.mark.gpu
def test_a_wrapped_mlp_on_cuda():
    """An MLP of wrapped modules given CUDA parameters and input runs on the GPU: the modules follow the input to
    CUDA, and the gradients (CudaTensors) are the CPU ones."""
    l1, p1 = autograd.nn.Linear(5, 4)
    act = autograd.nn.Tanh()
    l2, p2 = autograd.nn.Linear(4, 2)
    mse = autograd.nn.MSECriterion()

    def f(p, x, y):
        return mse(l2(p[1], act(l1(p[0], x))), y)

    params, x, y = [p1, p2], lg.randn(3, 5), lg.randn(3, 2)
    cpu_grads, cpu_loss = autograd(f)(params, x, y)
    grads, loss = autograd(f)(autograd.util.cast(params, 'cuda'), x.cuda(), y.cuda())
    assert l1.module.weight.type() == 'legonn.CudaTensor'
    assert loss == pytest.approx(cpu_loss, rel=1e-5)
    for got, expected in zip(autograd.util.sortedFlatten(grads), autograd.util.sortedFlatten(cpu_grads)):
        assert got.type() == 'legonn.CudaTensor'
        np.testing.assert_allclose(got.double().numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)

    # indices on the GPU move a LookupTable there as cuda() does (float weights)
    lookup, lparams = autograd.nn.LookupTable(6, 3)
    g = lambda p, i: lg.sum(lookup(p, i))
    cpu = autograd(g)(lparams, lg.LongTensor([1, 1, 4]))[0]
    gpu = autograd(g)(autograd.util.cast(lparams, 'cuda'), lg.LongTensor([1, 1, 4]).cuda())[0]
    assert lookup.module.weight.type() == 'legonn.CudaTensor' and gpu[0].type() == 'legonn.CudaTensor'
    np.testing.assert_allclose(gpu[0].double().numpy(), cpu[0].numpy(), atol=1e-6)


def test_an_index_input_keeps_the_modules_element_type():
    """A LookupTable's LongTensor input: the Lua converted the module to the input's type (integer weights);
    the module keeps its floating type, and its weight's gradient is the module's."""
    lookup, params = autograd.nn.LookupTable(6, 3)
    w = lg.randn(4, 3)
    indices = lg.LongTensor([0, 2, 2, 5])

    def f(p):
        return lg.sum(lg.cmul(lookup(p['lookup'], indices), w))

    p = {'lookup': params}
    grads, _ = autograd(f)(p)
    assert lookup.module.weight.type() == 'legonn.DoubleTensor'
    expected = np.zeros((6, 3))
    np.add.at(expected, indices.numpy(), w.numpy())
    np.testing.assert_allclose(grads['lookup'][0].numpy(), expected, atol=1e-14)


def test_a_graph_module_functionalized():
    """An nngraph gModule is a module like any other: its parameters in the order of its parameters(), its
    gradients its backward's."""
    x = nn.Identity()()
    out = nn.CAddTable()([nn.Tanh()(nn.Linear(4, 3)(x)), nn.Linear(4, 3)(x)])
    g = nn.gModule([x], [out])
    f, params = autograd.functionalize(g)
    w, xi = lg.randn(3), lg.randn(4)
    grads, _ = autograd(lambda p, x: lg.sum(lg.cmul(f(p, x), w)))(params, xi)
    g.zeroGradParameters()
    g.forward(xi)
    g.backward(xi, w)
    assert len(grads) == 4
    for got, expected in zip(grads, g.parameters()[1]):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
