"""What each legonn function is to a trace (torch-autograd's gradfuns.lua): its gradients, or initializer, static,
unsupported. One file per family declares its functions; this file registers them on the ``legonn`` namespace
(``torch``), the Tensor class (methods and operators), ``legonn.autograd.support``, ``legonn.autograd.util`` and
the direct runtime's DirectNode."""
import legonn

from .. import overload, support, util
from ..runtime.direct.node import DirectNode
from . import elementwise

# the gradient of x[k] (get) and of x[k] = v (set): x, k, v
GET = [
    lambda g, ans, x, k: _get_gradient(g, x, k),
    lambda g, ans, x, k: None,
]
SET = [
    lambda g, ans, x, k, v: _set_gradient(g, k),
    lambda g, ans, x, k, v: None,
    lambda g, ans, x, k, v: _value_gradient(g, k),
]


def _get_gradient(g, x, k):
    out = util.zerosLike(x)
    out[k] = g
    return out


def _set_gradient(g, k):
    # a copy: g may be another argument's gradient too (the Lua zeroed it in place)
    out = legonn.clone(g)
    out[k] = 0
    return out


def _value_gradient(g, k):
    gk = g[k]
    return gk if not elementwise._is_tensor(gk) else legonn.clone(gk)


def _operators(m):
    for name, grads in elementwise.OPERATORS.items():
        m.operator(name, grads)


def _tensor_class(c):
    _operators(c)
    c.gradient('view', elementwise.VIEW)
    c.initializer('new')
    c.static('dim', 'size', 'nDimension', 'nElement')
    c.defaultUnsupported()


def _torch(m):
    m.class_('Tensor', _tensor_class)
    elementwise.define(m)
    m.initializer('new', 'bernoulli', 'uniform', 'normal', 'random', 'zeros', 'zero', 'eye', 'ones', 'rand',
                  'multinomial')
    m.static('size', 'isTensor', 'nDimension', 'nElement', 'isSameSizeAs', 'type')
    m.ignore('typename')
    m.defaultUnsupported()


def _support(m):
    m.static('size', 'nDimension', 'nElement', 'isSameSizeAs')
    m.initializer('long')


def _direct_node(m):
    _operators(m)
    m.gradient('_internal_get', GET)
    m.gradient('_internal_set', SET)


def _util(m):
    m.gradient('fill', [lambda g, ans, template, x: None, lambda g, ans, template, x: legonn.sum(g)])
    m.initializer('newTensorLike', 'zerosLike')


overload.module('torch', legonn, _torch)
overload.module('torch', support, _support)
overload.module('DirectNode', DirectNode, _direct_node)
overload.module('util', util, _util)
