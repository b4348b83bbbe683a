"""Gradients of legonn's reductions and element-wise extrema (gradfuns.lua's ``sum``, ``mean``, ``min``, ``max``,
``cmin``, ``cmax``).

A reduction over the whole tensor answers a number; along a dimension (0-based) it keeps that dimension with size
1, as Torch7's. ``min``/``max`` along a dimension answer ``(values, indices)``: a trace keeps the values (the Lua's
first return), whose gradient this is. The gradient of an extremum goes to every element equal to it (ties share
it whole, as the Lua's ``setNotEqual``).
"""
import legonn as lg

from .. import util
from .broadcast import repeat_to_match_shape, unbroadcast


def _sum_gradient(g, ans, x, axis=None):
    """``g`` spread over ``x``: filled over the whole tensor, repeated along ``axis``."""
    repeater, _ = repeat_to_match_shape(x, axis)
    return repeater(g)


def _mean_gradient(g, ans, x, axis=None):
    """``g`` spread over ``x`` and divided by the number of elements each mean took."""
    repeater, n = repeat_to_match_shape(x, axis)
    return repeater(g) / n


def _extremum_gradient(g, ans, x, axis=None):
    """``g`` (spread over ``x``) where ``x`` equals its extremum, 0 elsewhere."""
    repeater, _ = repeat_to_match_shape(x, axis)
    return util.setNotEqual(x, repeater(ans), 0, repeater(g))


def _elementwise_extremum_gradient(g, ans, x, y):
    """``g`` where ``x`` (a tensor) is the answer, in ``x``'s shape (Torch7's cmax pairs the elements of tensors of
    one count: a 12-vector with a 3x4 matrix); for a number ``x``, the sum of ``g`` where it is."""
    if lg.isTensor(x):
        return unbroadcast(util.setNotEqual(x, ans, 0, g), ans, x)
    return lg.sum(util.setNotEqual(ans, x, 0, g))


GRADIENTS = {
    'sum': [_sum_gradient],
    'mean': [_mean_gradient],
    'min': [_extremum_gradient],
    'max': [_extremum_gradient],
    'cmin': [lambda g, ans, x, y: _elementwise_extremum_gradient(g, ans, x, y),
             lambda g, ans, x, y: _elementwise_extremum_gradient(g, ans, y, x)],
    'cmax': [lambda g, ans, x, y: _elementwise_extremum_gradient(g, ans, x, y),
             lambda g, ans, x, y: _elementwise_extremum_gradient(g, ans, y, x)],
}
