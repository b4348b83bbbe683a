"""Gradients of legonn's element-wise functions (gradfuns.lua's arithmetic, ``exp`` ... ``sigmoid``, ``clamp``, and
the functions whose gradient is zero: comparisons, rounding, ``sign``).

``GRADIENTS`` maps a ``legonn.<name>`` to its gradients, one per argument: ``g_i(g, ans, *args)`` is the gradient
of the loss with respect to ``args[i]``, given ``g``, the loss's gradient with respect to the answer ``ans``
(``None``: zero). Arguments may be tensors or numbers, as the functions take them.
"""
import legonn as lg

from .. import support
from .broadcast import unbroadcast, zero_gradient


def elemwise_mul(a, b):
    """``a`` times ``b`` element by element: ``lg.cmul`` of two tensors (Torch7 pairs their elements in order),
    Python's ``*`` when one is a number."""
    if lg.isTensor(a) and lg.isTensor(b):
        return lg.cmul(a, b)
    return a * b


def elemwise_div(a, b):
    """``a`` over ``b`` element by element: ``lg.cdiv`` of two tensors, Python's ``/`` when one is a number."""
    if lg.isTensor(a) and lg.isTensor(b):
        return lg.cdiv(a, b)
    return a / b


def _pow(x, y):
    """``x`` to the power ``y`` for tensors and numbers alike (``lg.pow`` takes one of them a number, ``lg.cpow``
    two tensors)."""
    if lg.isTensor(x) and lg.isTensor(y):
        return lg.cpow(x, y)
    return lg.pow(x, y)


def _add_gradients():
    """``lg.add(x, y)`` (x + y) and ``lg.add(x, v, y)`` (x + v * y; legonn's addition to the Lua, whose gradients
    take ``v`` for the second operand)."""
    def dx(g, ans, x, *rest):
        return unbroadcast(g, ans, x)

    def dv_or_y(g, ans, x, v, y=None):
        if y is None:
            return unbroadcast(g, ans, v)
        return lg.sum(elemwise_mul(g, y))   # v, a number, scaled every element of y

    def dy(g, ans, x, v, y):
        return unbroadcast(elemwise_mul(g, v), ans, y)
    return [dx, dv_or_y, dy]


def _quotient_gradients():
    """``x / y`` (``div``, ``cdiv``): ``g / y`` and ``-g * x / y^2``."""
    return [
        lambda g, ans, x, y: unbroadcast(elemwise_div(g, y), ans, x),
        lambda g, ans, x, y: unbroadcast(elemwise_mul(-g, elemwise_div(x, _pow(y, 2))), ans, y),
    ]


def _product_gradients():
    """``x * y`` element by element (``cmul``, ``mul``): ``y * g`` and ``x * g``."""
    return [
        lambda g, ans, x, y: unbroadcast(elemwise_mul(y, g), ans, x),
        lambda g, ans, x, y: unbroadcast(elemwise_mul(x, g), ans, y),
    ]


def _pow_gradients():
    """``x ^ y``: ``g * y * x^(y-1)`` and ``g * log(x) * x^y``."""
    return [
        lambda g, ans, x, y: unbroadcast(elemwise_mul(elemwise_mul(g, y), _pow(x, y - 1)), ans, x),
        lambda g, ans, x, y: unbroadcast(elemwise_mul(g, elemwise_mul(lg.log(x), _pow(x, y))), ans, y),
    ]


def _abs_gradient(g, ans, x):
    """``g * sign(x)``, for a number too (the Lua's number case was an ``error("todo")``)."""
    if not lg.isTensor(x):
        return g * (1 if x > 0 else -1 if x < 0 else 0)
    return elemwise_mul(g, lg.sign(x))


def _clamp_gradient(g, ans, x, min_value, max_value):
    """``g`` where the answer is neither bound (the Lua's mask: equal ``ne`` tests against both bounds; a cast
    mask, not a comparison's gradient, so that a gradient of this gradient stays cheap)."""
    mask = support.typeAs(lg.eq(lg.ne(ans, min_value), lg.ne(ans, max_value)), g)
    return elemwise_mul(g, mask)


GRADIENTS = {
    'add': _add_gradients(),
    'cmul': _product_gradients(),
    'mul': _product_gradients(),
    'div': _quotient_gradients(),
    'cdiv': _quotient_gradients(),
    'pow': _pow_gradients(),
    'exp': [lambda g, ans, x: elemwise_mul(ans, g)],
    'tanh': [lambda g, ans, x: elemwise_mul(g, 1 - elemwise_mul(ans, ans))],
    'sinh': [lambda g, ans, x: elemwise_mul(g, lg.cosh(x))],
    'cosh': [lambda g, ans, x: elemwise_mul(g, lg.sinh(x))],
    'abs': [_abs_gradient],
    'clamp': [_clamp_gradient],
    'sqrt': [lambda g, ans, x: elemwise_mul(elemwise_mul(g, 0.5), _pow(x, -0.5))],
    'sin': [lambda g, ans, x: elemwise_mul(g, lg.cos(x))],
    'cos': [lambda g, ans, x: elemwise_mul(g, -lg.sin(x))],
    'tan': [lambda g, ans, x: elemwise_div(g, _pow(lg.cos(x), 2.0))],
    'log': [lambda g, ans, x: elemwise_div(g, x)],
    'log1p': [lambda g, ans, x: elemwise_div(g, x + 1)],
    'sigmoid': [lambda g, ans, x: elemwise_mul(g, elemwise_mul(1 - ans, ans))],
}
GRADIENTS.update({name: zero_gradient() for name in (
    'lt', 'le', 'gt', 'ge', 'eq', 'ne', 'all', 'any', 'floor', 'ceil', 'round', 'sign')})
