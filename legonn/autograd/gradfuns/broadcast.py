"""Gradients brought back to an argument's shape (gradfuns.lua's ``unbroadcast`` and ``repeatToMatchShape``), and
the zero gradient of an argument the answer does not change with.

Every helper is written with legonn's functions, reached through the ``legonn`` module at call time, so that while
a trace runs (a gradient of a gradient) they are the traced entries; ``lg.isTensor``, ``support.size``,
``support.nDimension``, ... are static entries, answered on the raw values of traced arguments.
"""
import legonn as lg

from .. import support, util


def unbroadcast(g, ans, x):
    """``g``, the gradient of an answer ``ans`` that ``x`` took part in, summed down to ``x``'s shape.

    - ``x`` a tensor of ``g``'s sizes: ``g``;
    - as many elements as ``g`` (Torch7's operators pair the elements of operands of one count): ``g`` viewed as
      ``x``;
    - otherwise ``x`` was broadcast (NumPy's rule, which legonn's operators follow): ``g`` summed over its leading
      dimensions that ``x`` lacks, then over the dimensions where ``x`` has size 1;
    - ``x`` a number and ``ans`` a tensor: the sum of ``g`` (the number met every element);
    - both numbers: ``g``.
    """
    if lg.isTensor(x):
        if support.isSameSizeAs(x, g):
            return g
        if support.nElement(g) == support.nElement(x):
            return lg.viewAs(lg.contiguous(g), x)
        size = support.size(x)
        grad = g
        while support.nDimension(grad) > len(size):
            # sum keeps the dimension (size 1): the view drops it
            grad = lg.view(lg.sum(grad, 0), support.size(grad)[1:])
        for dim, n in enumerate(size):
            if n == 1 and support.size(grad, dim) != 1:
                grad = lg.sum(grad, dim)
        return grad
    if lg.isTensor(ans):
        return lg.sum(g)
    return g


def as_shape_of(g, x):
    """``g``, the gradient of a tensor that held ``x``'s elements in another shape, in ``x``'s shape (Torch7's
    ``copy`` pairs the elements of tensors of one count: a 3x2 ``x`` copied into a 2x3 slice); a number ``g`` (a
    one-element answer legonn gives as a number, as ``squeeze``) fills it."""
    if not lg.isTensor(g):
        return util.fillSameSizeAs(x, g)
    if support.isSameSizeAs(g, x):
        return g
    return lg.viewAs(lg.contiguous(g), x)


def repeat_to_match_shape(x, axis=None):
    """``(repeater, n)`` for a reduction of ``x`` (gradfuns.lua's ``repeatToMatchShape``): ``repeater(g)`` spreads
    the reduction's gradient ``g`` back over ``x``'s shape and ``n`` is how many elements each answer reduced.

    Over the whole tensor (``axis`` None): ``g`` (a number) fills a tensor of ``x``'s sizes, ``n`` = ``x``'s
    element count. Along ``axis`` (0-based; the answer keeps that dimension with size 1, as Torch7's): ``g`` is
    repeated ``x.size(axis)`` times along it. ``x`` a number: ``g`` itself, ``n`` = 1.
    """
    if not lg.isTensor(x):
        return (lambda g: g), 1
    if axis is None:
        return (lambda g: util.fillSameSizeAs(x, g if not lg.isTensor(g) else lg.sum(g))), support.nElement(x)
    # support.size is static: it reads a traced axis (a number argument in the optimized mode) by its value, as
    # the Lua's getValue(axis); the repeats are x's sizes over g's (size[axis] along axis, 1 elsewhere)
    size = support.size(x)
    return (lambda g: lg.repeatTensor(g, *[n // m for n, m in zip(size, support.size(g))])), support.size(x, axis)


def no_gradient(*args):
    """The gradient of an argument the answer does not change with (a dimension, an index, a template): zero."""
    return None


def zero_gradient(n_args=2):
    """Gradients of ``n_args`` arguments that are all zero: comparisons, rounding, ``sign``."""
    return [no_gradient] * n_args
