"""legonn.autograd's core: the direct runtime against finite differences in float64, the overloading left out of
legonn's namespace when no trace runs, and the errors the Lua raises."""
import types

import numpy as np
import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd import overload

pytestmark = pytest.mark.usefixtures('double')


@pytest.fixture
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')


def numeric_gradient(f, params, key, eps=1e-6):
    """Central differences of ``f(params)`` for each element of ``params[key]``."""
    flat = params[key].view(-1)
    out = lg.DoubleTensor(flat.size(0))
    for i in range(flat.size(0)):
        v = flat[i]
        flat[i] = v + eps
        up = f(params)
        flat[i] = v - eps
        down = f(params)
        flat[i] = v
        out[i] = (up - down) / (2 * eps)
    return out.view(params[key].size())


def tanh_layer(p):
    # f = sum(tanh(W x + b)), x a fixed 4x1 input
    return lg.sum(lg.tanh(lg.mm(p['W'], p['x']) + p['b'].view(3, 1)))


def test_jacobian_of_a_tanh_layer_matches_finite_differences():
    params = {'W': lg.randn(3, 4), 'b': lg.randn(3), 'x': lg.randn(4, 1)}
    grads, loss = autograd(tanh_layer)(params)
    assert loss == pytest.approx(tanh_layer(params), abs=1e-12)
    for key in ('W', 'b', 'x'):
        assert grads[key].size() == params[key].size()
        expected = numeric_gradient(tanh_layer, params, key)
        np.testing.assert_allclose(grads[key].numpy(), expected.numpy(), atol=1e-8)


def test_closed_form_gradient_of_a_tanh_layer():
    params = {'W': lg.randn(3, 4), 'b': lg.randn(3), 'x': lg.randn(4, 1)}
    grads, _ = autograd.grad(tanh_layer)(params)
    h = np.tanh(params['W'].numpy() @ params['x'].numpy() + params['b'].numpy()[:, None])
    np.testing.assert_allclose(grads['W'].numpy(), (1 - h ** 2) @ params['x'].numpy().T, atol=1e-12)
    np.testing.assert_allclose(grads['b'].numpy(), (1 - h ** 2)[:, 0], atol=1e-12)


def _entries_in(table):
    """The names of ``table`` whose value is one of overload's traced entries (they share their code)."""
    probe = overload.FnDesc('probe', len)
    codes = {overload._entry(probe, None, len).__code__, overload._reflected_entry(probe, None, len).__code__}
    return sorted(k for k, v in vars(table).items() if getattr(v, '__code__', None) in codes)


def test_namespace_untouched_without_a_trace():
    namespace, tensor_class = dict(vars(lg)), dict(vars(lg.Tensor))
    autograd(tanh_layer)({'W': lg.randn(3, 4), 'b': lg.randn(3), 'x': lg.randn(4, 1)})
    # (a subpackage the first trace imports, legonn.nn through autograd.nn's wrapper, is no change of an entry)
    assert {k: v for k, v in vars(lg).items()
            if namespace.get(k) is not v and not isinstance(v, types.ModuleType)} == {}
    assert dict(vars(lg.Tensor)) == tensor_class
    # and nothing an earlier trace swapped in was left behind: the originals, inherited ones not copied in
    assert _entries_in(lg) == [] and _entries_in(lg.Tensor) == [] and '__add__' not in vars(lg.Tensor)
    assert lg.sum is lg.tensor.sum


def test_namespace_restored_after_an_error_in_the_function():
    before = lg.sum

    def fails(x):
        lg.sum(x)
        raise KeyError('inside')
    with pytest.raises(KeyError):
        autograd(fails)(lg.randn(3))
    assert lg.sum is before
    assert lg.Tensor.__add__ is lg.tensor.pointwise.PointwiseMixin.__add__


def test_untraced_values_inside_a_trace_are_plain():
    seen = []

    def f(x):
        seen.append(lg.sum(lg.ones(3)))     # no traced argument: the plain function's answer
        return lg.sum(x)
    autograd(f)(lg.randn(2))
    assert seen == [3.0] and type(seen[0]) is float


def test_non_scalar_output_is_an_error():
    with pytest.raises(ValueError, match="scalar"):
        autograd(lambda x: lg.exp(x))(lg.randn(3))


def test_output_independent_of_params_is_an_error():
    with pytest.raises(RuntimeError, match="A node type was not returned"):
        autograd(lambda x, y: lg.sum(y))(lg.randn(3), lg.randn(3))


def test_unsupported_function_names_itself():
    with pytest.raises(RuntimeError, match="function torch.std not currently supported by autograd"):
        autograd(lambda x: lg.std(x))(lg.randn(3))


@pytest.mark.gpu
def test_cuda_parameters_give_cuda_gradients_equal_to_the_cpu_ones():
    params = {'W': lg.randn(3, 4), 'b': lg.randn(3), 'x': lg.randn(4, 1)}
    grads, loss = autograd(tanh_layer)(params)
    on_gpu = {k: v.cuda() for k, v in params.items()}
    grads_gpu, loss_gpu = autograd(tanh_layer)(on_gpu)
    assert loss_gpu == pytest.approx(loss, rel=1e-6)
    for key in ('W', 'b', 'x'):
        assert grads_gpu[key].type() == 'legonn.CudaTensor'
        np.testing.assert_allclose(grads_gpu[key].float().numpy(), grads[key].float().numpy(), rtol=1e-5, atol=1e-6)
