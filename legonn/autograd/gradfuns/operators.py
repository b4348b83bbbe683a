"""Gradients of Python's operators on tensors, numbers and traced values (gradfuns.lua's ``operators``).

legonn's operators follow NumPy (docs/porting.md): ``*`` is element-wise with broadcasting where Lua's ``*`` of two
tensors was a matrix product, which legonn writes ``@``. So ``mul`` here is the element-wise product and ``matmul``
carries the Lua's matrix-product branches (matrix times matrix or vector, vector times matrix, the dot product of
two vectors); a batched ``@`` (more than two dimensions) gets the same rule on its last two dimensions, summed
over the batch dimensions an operand was broadcast along.

``OPERATORS`` maps an operator name of overload.operator to its gradients: ``g_i(g, ans, a, b)`` for the operands in
the order the user wrote them (``2 - x``: a = 2, b = x).
"""
import legonn as lg

from .. import support
from .broadcast import unbroadcast


def _swap_last(x):
    """``x`` with its last two dimensions swapped (``lg.t`` of a matrix)."""
    n = support.nDimension(x)
    return lg.transpose(x, n - 2, n - 1)


def _as_matrices(g, a, b):
    """``a``, ``b`` and the answer's gradient ``g`` as NumPy's ``@`` sees them: a vector ``a`` is a row (1 x n), a
    vector ``b`` a column (n x 1), and ``g`` gets back the dimension of size 1 the product dropped for each."""
    size = support.size(g)
    if support.nDimension(a) == 1:
        a = lg.view(lg.contiguous(a), (1, support.size(a, 0)))
        size = size[:-1] + (1,) + size[-1:]
    if support.nDimension(b) == 1:
        b = lg.view(lg.contiguous(b), (support.size(b, 0), 1))
        size = size + (1,)
    return lg.view(lg.contiguous(g), size), a, b


def _matmul_a(g, ans, a, b):
    """The gradient of ``a @ b`` with respect to ``a``: ``g @ b^T`` (the Lua's ``g * t(B)``; ``ger(g, b)`` for a
    matrix times a vector), ``b * g`` for the dot product of two vectors."""
    da, db = support.nDimension(a), support.nDimension(b)
    if da == 1 and db == 1:
        return b * g
    if da == 2 and db == 1:      # the Lua's branches where no dimension broadcasts: one product, no views
        return lg.ger(g, b)
    if db == 2 and da <= 2:
        return g @ lg.t(b)
    g, a_m, b_m = _as_matrices(g, a, b)
    return lg.view(unbroadcast(g @ _swap_last(b_m), ans, a_m), support.size(a))


def _matmul_b(g, ans, a, b):
    """The gradient of ``a @ b`` with respect to ``b``: ``a^T @ g`` (the Lua's ``t(A) * g``; ``ger(a, g)`` for a
    vector times a matrix), ``a * g`` for the dot product of two vectors."""
    da, db = support.nDimension(a), support.nDimension(b)
    if da == 1 and db == 1:
        return a * g
    if da == 2 and db <= 2:
        return lg.t(a) @ g
    if da == 1 and db == 2:
        return lg.ger(a, g)
    g, a_m, b_m = _as_matrices(g, a, b)
    return lg.view(unbroadcast(_swap_last(a_m) @ g, ans, b_m), support.size(b))


OPERATORS = {
    'add': [lambda g, ans, a, b: unbroadcast(g, ans, a),
            lambda g, ans, a, b: unbroadcast(g, ans, b)],
    'sub': [lambda g, ans, a, b: unbroadcast(g, ans, a),
            lambda g, ans, a, b: unbroadcast(-g, ans, b)],
    'mul': [lambda g, ans, a, b: unbroadcast(g * b, ans, a),
            lambda g, ans, a, b: unbroadcast(g * a, ans, b)],
    'div': [lambda g, ans, a, b: unbroadcast(g / b, ans, a),
            lambda g, ans, a, b: unbroadcast(-g * a / b ** 2, ans, b)],
    'pow': [lambda g, ans, a, b: unbroadcast(g * b * a ** (b - 1), ans, a),
            lambda g, ans, a, b: unbroadcast(g * lg.log(a) * a ** b, ans, b)],
    'unm': [lambda g, ans, a: -g],
    'matmul': [_matmul_a, _matmul_b],
}
