"""What each legonn function is to a trace (torch-autograd's gradfuns.lua): its gradients, or initializer, static,
unsupported. One file per family holds its gradients (``elementwise``, ``reductions``, ``shape``, ``indexing``,
``linalg``, ``operators``); this file registers them, as the Lua's ``overload.module`` calls, on:

- the ``legonn`` namespace (the Lua's ``torch``): ``TORCH_GRADIENTS``, the initializers, the static functions,
  ``split`` (dynamic); every other function is unsupported on a traced value;
- the Tensor class: ``cat``, ``view``, ``viewAs``, ``expand``, ``expandAs`` as the Lua's, and legonn's methods that
  return a new tensor as the function of that name does (``METHOD_GRADIENTS``: ``x.sum(0)``, ``x.t()``, ...);
  ``new`` starts a tensor, ``size``/``dim``/... are static, every other method (the in-place ones: ``x.add(y)``
  writes into x) is unsupported. These stay swapped: a traced value's ``x.sum(0)`` is ``Tensor.sum(x, 0)`` (its
  ``__getattr__``), and ``t.view(...)``/``t.cat(x)`` of a plain ``t`` may take traced arguments. The Tensor
  class's operators are not declared, unlike the Lua's: legonn's Tensor operators return NotImplemented for a
  traced value (its class declares ``__legonn_defer__``), so ``tensor + x`` is the traced value's ``__radd__``;
- ``autograd.support`` (support.lua's additions to ``torch``: ``typeAs``, ``long``, ``copy``, ``size``, ...);
- ``autograd.util`` (``selectSliceCopy``, ``narrowSliceCopy``, ``indexAdd``, ``fill``, ``cat``, ...);
- the direct runtime's DirectNode: its operators and ``x[k]`` / ``x[k] = v`` (``GET``, ``SET``).

A declaration covers the function's snake_case alias too (``repeat_tensor``, ``view_as``: overload finds a
function's other names in its table).
"""
import legonn

from .. import overload, support, util
from ..runtime.direct.node import DirectNode
from . import elementwise, indexing, linalg, reductions, shape
from .broadcast import zero_gradient
from .operators import OPERATORS

TORCH_GRADIENTS = {**elementwise.GRADIENTS, **reductions.GRADIENTS, **shape.GRADIENTS, **indexing.GRADIENTS,
                   **linalg.GRADIENTS}

# the Lua's Tensor class methods with gradients, and legonn's methods that return a new tensor or a view as the
# function of the same name does (the Lua left these unsupported: x:sum() failed in a trace)
METHOD_GRADIENTS = {'cat': shape.CAT, 'view': shape.VIEW, 'viewAs': shape.VIEW_AS, 'expand': shape.EXPAND,
                    'expandAs': shape.EXPAND_AS, **indexing.METHOD_GRADIENTS}
METHOD_GRADIENTS.update({name: TORCH_GRADIENTS[name] for name in (
    'sum', 'mean', 'min', 'max', 'select', 'narrow', 'index', 'gather', 'transpose', 't', 'squeeze', 'clone',
    'contiguous', 'repeatTensor', 'reshape', 'dot', 'lt', 'le', 'gt', 'ge', 'eq', 'ne', 'all', 'any')})
# support.lua's functions are methods of the tensor (support.copy(A, B) is A.copy(B))
SUPPORT_GRADIENTS = shape.SUPPORT_GRADIENTS
METHOD_GRADIENTS.update(SUPPORT_GRADIENTS)

UTIL_GRADIENTS = {**indexing.UTIL_GRADIENTS, 'cat': shape.CAT}
UTIL_GRADIENTS.update({name: zero_gradient(2) for name in ('lt', 'le', 'gt', 'ge', 'eq')})

INITIALIZERS = ('new', 'bernoulli', 'uniform', 'normal', 'random', 'zeros', 'zero', 'eye', 'ones', 'rand',
                'multinomial')
STATIC = ('size', 'isTensor', 'nDimension', 'nElement', 'isSameSizeAs', 'setmetatable', 'getmetatable', 'type')
METHOD_STATIC = ('dim', 'size', 'nDimension', 'nElement', 'isSameSizeAs', 'isContiguous', 'type', 'stride')


def _gradients(m, table):
    for name, grads in table.items():
        m.gradient(name, grads)


def _tensor_class(c):
    _gradients(c, METHOD_GRADIENTS)
    c.initializer('new')
    c.static(*METHOD_STATIC)
    c.defaultUnsupported()


def _torch(m):
    m.class_('Tensor', _tensor_class)
    _gradients(m, TORCH_GRADIENTS)
    m.initializer(*INITIALIZERS)
    m.static(*STATIC)
    m.ignore('typename')
    m.dynamic('split')
    m.defaultUnsupported()


def _support(m):
    _gradients(m, SUPPORT_GRADIENTS)
    m.static('size', 'nDimension', 'nElement', 'isSameSizeAs')


def _util(m):
    _gradients(m, UTIL_GRADIENTS)
    m.initializer('newTensorLike', 'zerosLike')


def traced_value_class(m):
    """The declarations of a runtime's traced value class (DirectNode here, the optimized mode's Value too):
    its operators, and ``x[k]`` / ``x[k] = v``."""
    for name, grads in OPERATORS.items():
        m.operator(name, grads)
    m.gradient('_internal_get', indexing.GET)
    m.gradient('_internal_set', indexing.SET)


overload.module('torch', legonn, _torch)
overload.module('torch', support, _support)
overload.module('util', util, _util)
overload.module('DirectNode', DirectNode, traced_value_class)
