"""Gradients of legonn's matrix functions (gradfuns.lua's ``ger``, ``inverse``, ``bmm``, ``baddbmm``; and
``mm``, ``mv``, ``dot``, which the Lua left to its ``*`` operator and which legonn, whose ``*`` is element-wise, has
users call by name).

Lua's ``A * B`` of matrices is ``A @ B`` here; the gradients use ``@`` (a traced operator with its own gradient) so
that gradients of gradients work. Batches of matrices (``bmm``, ``baddbmm``) are 3-D: batch, rows, columns.
"""
import legonn as lg

from .broadcast import unbroadcast
from .elementwise import elemwise_mul


def _batch_t(x):
    """Each matrix of a batch transposed (the Lua's ``transpose(x, 3, 2)``)."""
    return lg.transpose(x, 2, 1)


def _baddbmm_gradients():
    """``baddbmm``'s three argument patterns (the Lua's comments):
    1. ``(M, X, Y)``: M + X @ Y;
    2. ``(v1, M, X, Y)``: v1 * M + X @ Y;
    3. ``(v1, M, v2, X, Y)``: v1 * M + v2 * X @ Y; ``a1`` ... ``a5`` are the arguments in order."""
    def d1(g, ans, a1, a2, a3, a4=None, a5=None):
        if lg.isTensor(a1):                       # pattern 1: M
            return g
        return lg.sum(elemwise_mul(g, a2))        # patterns 2 and 3: v1

    def d2(g, ans, a1, a2, a3, a4=None, a5=None):
        if lg.isTensor(a1):                       # pattern 1: X
            return lg.bmm(g, _batch_t(a3))
        return elemwise_mul(g, a1)                # patterns 2 and 3: M

    def d3(g, ans, a1, a2, a3, a4=None, a5=None):
        if lg.isTensor(a1):                       # pattern 1: Y
            return lg.bmm(_batch_t(a2), g)
        if lg.isTensor(a3):                       # pattern 2: X
            return lg.bmm(g, _batch_t(a4))
        return lg.sum(elemwise_mul(g, lg.bmm(a4, a5)))   # pattern 3: v2

    def d4(g, ans, a1, a2, a3, a4=None, a5=None):
        if lg.isTensor(a3):                       # pattern 2: Y
            return lg.bmm(_batch_t(a3), g)
        return elemwise_mul(lg.bmm(g, _batch_t(a5)), a3)   # pattern 3: X

    def d5(g, ans, a1, a2, a3, a4=None, a5=None):
        return elemwise_mul(lg.bmm(_batch_t(a4), g), a3)   # pattern 3: Y
    return [d1, d2, d3, d4, d5]


GRADIENTS = {
    # x and y vectors: the answer is their outer product
    'ger': [lambda g, ans, x, y: g @ y, lambda g, ans, x, y: lg.t(g) @ x],
    'inverse': [lambda g, ans, x: -((lg.t(ans) @ g) @ lg.t(ans))],
    'bmm': [lambda g, ans, x, y: lg.bmm(g, _batch_t(y)), lambda g, ans, x, y: lg.bmm(_batch_t(x), g)],
    'baddbmm': _baddbmm_gradients(),
    'mm': [lambda g, ans, x, y: lg.mm(g, lg.t(y)), lambda g, ans, x, y: lg.mm(lg.t(x), g)],
    'mv': [lambda g, ans, x, y: lg.ger(g, y), lambda g, ans, x, y: lg.mv(lg.t(x), g)],
    # Torch7's dot pairs the elements of tensors of one count (a 3x4 with a 12-vector): each gradient in its
    # argument's shape
    'dot': [lambda g, ans, x, y: unbroadcast(elemwise_mul(g, y), ans, x),
            lambda g, ans, x, y: unbroadcast(elemwise_mul(g, x), ans, y)],
}
