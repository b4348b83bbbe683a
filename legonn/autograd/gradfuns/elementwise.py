"""Gradients of the operators and element-wise functions (torch-autograd's gradfuns.lua). A gradient function is
``g_i(g, ans, *args)``: the gradient of argument ``i`` given ``g``, the gradient of the answer ``ans``; it is
written with legonn functions so that a trace records it too (gradients of gradients). ``sum`` and ``mm`` are
here, and ``view``, until their families' files hold them.
"""
import math

import legonn as torch
from legonn.tensor import Tensor

from .. import support, util


def _is_tensor(x):
    return isinstance(util._value(x), Tensor)


def unbroadcast(g, ans, x):
    """``g`` summed down to ``x``'s sizes (a number's gradient is the sum of ``g``): the gradient of an operand that
    broadcast (or was paired element by element, legonn's ``+`` of equal counts) into the answer's sizes."""
    if _is_tensor(x):
        if support.isSameSizeAs(x, g):
            return g
        if support.nElement(g) == support.nElement(x):
            return torch.viewAs(g, x)
        sizes = list(support.size(x))
        grad = g
        while support.nDimension(grad) > len(sizes):     # leading dimensions the operand lacked
            grad = torch.sum(grad, 0)
            grad = torch.view(grad, *list(support.size(grad))[1:])
        for d, n in enumerate(sizes):                     # dimensions of size 1 it was stretched along
            if n == 1 and support.size(grad, d) != 1:
                grad = torch.sum(grad, d)
        return torch.viewAs(grad, x)
    if _is_tensor(ans):
        return torch.sum(g)
    return g


def elemwiseMul(a, b):
    if _is_tensor(a) and _is_tensor(b):
        return torch.cmul(a, b)
    return a * b


def elemwiseDiv(a, b):
    if _is_tensor(a) and _is_tensor(b):
        return torch.cdiv(a, b)
    return a / b


# Python's operators on tensors are element-wise (NumPy's rules), so mul's gradient is element-wise too;
# Lua's `*` of matrices is legonn's `@` (matmul)
OPERATORS = {
    'add': [lambda g, ans, x, y: unbroadcast(g, ans, x),
            lambda g, ans, x, y: unbroadcast(g, ans, y)],
    'sub': [lambda g, ans, x, y: unbroadcast(g, ans, x),
            lambda g, ans, x, y: unbroadcast(-g, ans, y)],
    'mul': [lambda g, ans, x, y: unbroadcast(elemwiseMul(g, y), ans, x),
            lambda g, ans, x, y: unbroadcast(elemwiseMul(g, x), ans, y)],
    'div': [lambda g, ans, x, y: unbroadcast(elemwiseDiv(g, y), ans, x),
            lambda g, ans, x, y: unbroadcast(elemwiseMul(-g, elemwiseDiv(x, torch.pow(y, 2))), ans, y)],
    'pow': [lambda g, ans, x, y: unbroadcast(elemwiseMul(elemwiseMul(g, y), x ** (y - 1)), ans, x),
            lambda g, ans, x, y: unbroadcast(elemwiseMul(g, elemwiseMul(_log(x), x ** y)), ans, y)],
    'unm': [lambda g, ans, x: -g],
    'matmul': [lambda g, ans, x, y: _matmul_gradient(g, x, y, 0),
               lambda g, ans, x, y: _matmul_gradient(g, x, y, 1)],
}


def _log(x):
    return torch.log(x) if _is_tensor(x) else math.log(util._value(x))


def _matmul_gradient(g, x, y, which):
    """The gradient of ``x @ y`` (matrix-matrix, matrix-vector, vector-matrix, vector-vector) for operand
    ``which``."""
    dx, dy = support.nDimension(x), support.nDimension(y)
    if dx == 2 and dy == 2:
        return g @ torch.t(y) if which == 0 else torch.t(x) @ g
    if dx == 2:            # matrix @ vector
        return torch.ger(g, y) if which == 0 else torch.t(x) @ g
    if dy == 2:            # vector @ matrix
        return y @ g if which == 0 else torch.ger(x, g)
    return g * y if which == 0 else g * x


VIEW = [lambda g, ans, x, *sizes: torch.view(torch.contiguous(g), support.size(x))]


def define(m):
    """The ``torch`` functions of this family."""
    m.gradient('cmul', [
        lambda g, ans, x, y: unbroadcast(elemwiseMul(y, g), ans, x),
        lambda g, ans, x, y: unbroadcast(elemwiseMul(x, g), ans, y),
    ])
    m.gradient('exp', [lambda g, ans, x: elemwiseMul(ans, g)])
    m.gradient('tanh', [lambda g, ans, x: elemwiseMul(g, 1 - elemwiseMul(ans, ans))])
    m.gradient('sum', [_sum_gradient])
    m.gradient('view', VIEW)
    m.gradient('mm', [
        lambda g, ans, x, y: torch.mm(g, torch.t(y)),
        lambda g, ans, x, y: torch.mm(torch.t(x), g),
    ])


def _sum_gradient(g, ans, x, axis=None):
    """``sum(x)``: ``g`` in every element; ``sum(x, axis)``: ``g`` repeated along ``axis``."""
    if not _is_tensor(x):
        return g
    if axis is None:
        return util.fillSameSizeAs(x, g)
    sizes = [1] * support.nDimension(x)
    sizes[axis] = support.size(x, axis)
    return torch.repeatTensor(g, *sizes)
