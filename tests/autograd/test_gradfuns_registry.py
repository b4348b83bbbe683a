"""The registry against gradfuns.lua: every function the Lua differentiates has, in legonn, a gradient for each
argument position the Lua's has, and is the traced entry of its table while a trace runs; the initializers,
static and unsupported functions are what the Lua says."""
import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd import gradfuns, support, util
from legonn.autograd.runtime.direct.node import DirectNode


@pytest.fixture(autouse=True)
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')
    autograd.optimize(False)


# gradfuns.lua's module.gradient calls on torch: name -> how many gradient functions it lists
LUA_TORCH = {
    'add': 2, 'cmul': 2, 'mul': 2, 'div': 2, 'cdiv': 2, 'pow': 2, 'ger': 2, 'inverse': 1, 'exp': 1, 'tanh': 1,
    'sinh': 1, 'cosh': 1, 'abs': 1, 'clamp': 1, 'contiguous': 1, 'cat': 2, 'expand': 1, 'expandAs': 2, 'view': 1,
    'viewAs': 2, 'clone': 1, 'copy': 2, 'select': 1, 'index': 1, 'narrow': 1, 'reshape': 5, 'sum': 1, 'mean': 1,
    'sqrt': 1, 'sin': 1, 'cos': 1, 'tan': 1, 'log': 1, 'log1p': 1, 'min': 1, 'max': 1, 'cmin': 2, 'cmax': 2,
    'transpose': 3, 't': 1, 'long': 1, 'typeAs': 2, 'repeatTensor': 6, 'squeeze': 1, 'sigmoid': 1, 'gather': 1,
    'scatter': 4, 'bmm': 2, 'baddbmm': 5,
    'lt': 2, 'le': 2, 'gt': 2, 'ge': 2, 'eq': 2, 'ne': 2, 'all': 2, 'any': 2, 'floor': 2, 'ceil': 2, 'round': 2,
    'sign': 2,
}
# support.lua put copy, long and typeAs in the torch table; legonn keeps them in autograd.support
LUA_SUPPORT = ('copy', 'long', 'typeAs')
# the class's (FloatTensor, DoubleTensor, CudaTensor) gradients and operators
LUA_CLASS = {'cat': 2, 'view': 1, 'viewAs': 2, 'expand': 1, 'expandAs': 2}
LUA_OPERATORS = {'add': 2, 'sub': 2, 'mul': 2, 'div': 2, 'pow': 2, 'unm': 1}
LUA_UTIL = {'fill': 2, 'selectSliceCopy': 4, 'narrowSliceCopy': 5, 'indexAdd': 4, 'cat': 2,
            'lt': 2, 'le': 2, 'gt': 2, 'ge': 2, 'eq': 2}
LUA_NODE = {'get': 2, 'set': 3}
LUA_INITIALIZERS = ('new', 'bernoulli', 'uniform', 'normal', 'random', 'zeros', 'zero', 'eye', 'ones', 'rand',
                    'multinomial')
LUA_STATIC = ('size', 'isTensor', 'nDimension', 'nElement', 'isSameSizeAs', 'setmetatable', 'getmetatable', 'type')


def _enough(grads, n):
    return len(grads) >= n and all(callable(g) for g in grads[:n])


@pytest.mark.parametrize('name', sorted(LUA_TORCH))
def test_every_lua_gradient_has_each_argument_position(name):
    table = gradfuns.SUPPORT_GRADIENTS if name in LUA_SUPPORT else gradfuns.TORCH_GRADIENTS
    assert _enough(table[name], LUA_TORCH[name])


def test_class_util_node_and_operator_gradients_have_each_argument_position():
    for name, n in LUA_CLASS.items():
        assert _enough(gradfuns.METHOD_GRADIENTS[name], n), name
    for name, n in LUA_OPERATORS.items():
        assert _enough(gradfuns.OPERATORS[name], n), name
    assert _enough(gradfuns.OPERATORS['matmul'], 2)     # legonn's @, Lua's * of matrices
    for name, n in LUA_UTIL.items():
        assert _enough(gradfuns.UTIL_GRADIENTS[name], n), name
    assert _enough(gradfuns.indexing.GET, LUA_NODE['get']) and _enough(gradfuns.indexing.SET, LUA_NODE['set'])


def _traced_entries():
    """Which of the registry's functions are traced entries while a trace runs, looked up inside one."""
    seen = {}

    def f(p):
        seen['torch'] = {name: hasattr(getattr(lg, name, None), '__wrapped__')
                         for name in list(gradfuns.TORCH_GRADIENTS) + list(LUA_INITIALIZERS) + list(LUA_STATIC)
                         if hasattr(lg, name)}
        seen['support'] = {name: hasattr(getattr(support, name), '__wrapped__') for name in gradfuns.SUPPORT_GRADIENTS}
        seen['util'] = {name: hasattr(getattr(util, name), '__wrapped__') for name in gradfuns.UTIL_GRADIENTS}
        seen['Tensor'] = {name: hasattr(getattr(lg.Tensor, name), '__wrapped__') for name in gradfuns.METHOD_GRADIENTS}
        seen['operators'] = {name: hasattr(lg.Tensor.__add__, '__wrapped__') for name in ('__add__', '__matmul__')}
        seen['node'] = {name: hasattr(getattr(DirectNode, name), '__wrapped__')
                        for name in ('_internal_get', '_internal_set', '__add__', '__rsub__', '__neg__')}
        return lg.sum(p)
    autograd(f)(lg.randn(3))
    return seen


def test_every_registered_function_is_traced_while_a_trace_runs():
    seen = _traced_entries()
    for table, entries in seen.items():
        assert entries and all(entries.values()), (table, [n for n, ok in entries.items() if not ok])
    # legonn lacks four of the Lua's torch functions: new (a method here), setmetatable/getmetatable (Lua's),
    # and the support.lua three it keeps in autograd.support
    assert set(LUA_TORCH) - set(seen['torch']) == set(LUA_SUPPORT)


def test_names_return_to_their_originals_after_the_trace():
    _traced_entries()
    assert not hasattr(lg.sum, '__wrapped__') and not hasattr(lg.Tensor.view, '__wrapped__')
    assert not hasattr(util.indexAdd, '__wrapped__') and not hasattr(support.typeAs, '__wrapped__')


def test_snake_case_aliases_are_traced_as_their_names():
    grads, _ = autograd(lambda p: lg.sum(lg.repeat_tensor(p, 2)) + lg.sum(p.view_as(p)))(lg.randn(3))
    assert grads.tolist() == [3.0, 3.0, 3.0]


def test_initializers_and_static_functions():
    """An initializer's answer starts a traced value that is not differentiated through (zeros, new); a static
    function answers on the value (size, isTensor); an unsupported one names itself."""
    def f(p):
        assert lg.isTensor(p) and support.size(p) == (3,) and p.size(0) == 3 and support.nElement(p) == 3
        z = lg.zeros(3)
        fresh = p.new(3).fill(2)
        return lg.sum(lg.cmul(p, z + 1)) + lg.sum(lg.cmul(p, fresh))
    grads, _ = autograd(f)(lg.randn(3))
    assert grads.tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(RuntimeError, match=r'function torch\.cumsum not currently supported by autograd'):
        autograd(lambda p: lg.sum(lg.cumsum(p, 0)))(lg.randn(3))
    with pytest.raises(RuntimeError, match=r'function torch\.Tensor\.add not currently supported by autograd'):
        autograd(lambda p: lg.sum(p.add(1)))(lg.randn(3))


def test_a_users_own_gradient_as_docs_autograd_md_registers_it():
    """docs/autograd.md's example: a function on the arrays, its gradient declared with overload.module."""
    import types

    import numpy as np
    from legonn.autograd import overload

    def logsumexp(x):
        a = x.numpy()
        m = a.max()
        return float(m + np.log(np.exp(a - m).sum()))

    mylib = types.SimpleNamespace(logsumexp=logsumexp)
    overload.module('mylib', mylib, lambda m: m.gradient('logsumexp', [
        lambda g, ans, x: lg.exp(x - ans) * g,
    ]))
    x = lg.randn(5)
    grads, loss = autograd(lambda p: mylib.logsumexp(p['x']) * 2)({'x': x})
    e = np.exp(x.numpy())
    assert np.allclose(grads['x'].numpy(), 2 * e / e.sum()) and abs(loss - 2 * logsumexp(x)) < 1e-12
    assert mylib.logsumexp is logsumexp   # put back after the trace
