"""Python's in-place operators on tensors: they write into the tensor (its views and its other names see the
change, as after Torch7's ``x:add(y)``, ``x:pow(n)``), ``+=`` and ``-=`` pair a ``y`` that holds as many
elements in a shape NumPy cannot broadcast into x (Torch7's cadd pairs them in order, as legonn's ``+`` and
``-`` do), and any other size that cannot go into x is a ValueError naming the operator and both sizes."""
import operator
import re

import numpy as np
import pytest

import legonn as lg
from legonn.tensor.conversion import on_gpu

DEVICES = [False, pytest.param(True, marks=pytest.mark.gpu)]
IN_PLACE = [('+', operator.iadd, operator.add), ('-', operator.isub, operator.sub),
            ('*', operator.imul, operator.mul), ('/', operator.itruediv, operator.truediv),
            ('**', operator.ipow, operator.pow), ('//', operator.ifloordiv, operator.floordiv),
            ('%', operator.imod, operator.mod)]


def _on(cuda, t):
    return on_gpu(t) if cuda else t


def _host(t):
    return t.double().numpy() if not isinstance(t, (int, float)) else t


@pytest.mark.parametrize('cuda', DEVICES)
@pytest.mark.parametrize('symbol, iop, op', IN_PLACE, ids=[s for s, _, _ in IN_PLACE])
def test_in_place_operators_write_into_the_tensor_and_its_views(symbol, iop, op, cuda):
    """``x <op>= y`` leaves ``x`` the same object, writes what ``x <op> y`` gives, and a view of x taken before
    sees it (``**=``, ``//=``, ``%=`` once rebound x to a new tensor and left the view as it was)."""
    base = lg.DoubleTensor([[1.5, 2.0, 7.0], [3.0, 4.25, 5.0]])
    for y in (2, lg.DoubleTensor([2.0, 3.0, 0.5]), lg.DoubleTensor([[2.0], [3.0]])):
        x = _on(cuda, base.clone())
        y = y if isinstance(y, int) else _on(cuda, y)
        row, name = x[1], x
        want = _host(op(_on(cuda, base.clone()), y))
        x = iop(x, y)
        assert x is name
        np.testing.assert_allclose(_host(x), want, rtol=1e-15)
        np.testing.assert_allclose(_host(row), want[1], rtol=1e-15)


@pytest.mark.parametrize('cuda', DEVICES)
@pytest.mark.parametrize('symbol, iop, op', IN_PLACE[:2], ids=['+', '-'])
def test_add_and_subtract_in_place_pair_elements_as_torch7(symbol, iop, op, cuda):
    """A 2x3 ``x`` and a 3x2 ``y``: ``x:add(y)`` in Torch7 adds y's elements in order; so does ``x + y``
    here; ``x += y`` now does too, into a transposed (non-contiguous) x as well."""
    x0, y = lg.DoubleTensor([[1, 2, 3], [4, 5, 6]]), lg.DoubleTensor([[10, 20], [30, 40], [50, 60]])
    flat = op(x0.view(6), y.view(6)).view(2, 3)
    for x in (_on(cuda, x0.clone()), _on(cuda, x0.t().clone().t())):
        row = x[0]
        iop(x, _on(cuda, y))
        np.testing.assert_array_equal(_host(x), _host(flat))
        np.testing.assert_array_equal(_host(row), _host(flat)[0])
        np.testing.assert_array_equal(_host(x), _host(op(_on(cuda, x0.clone()), _on(cuda, y))))


@pytest.mark.parametrize('cuda', DEVICES)
@pytest.mark.parametrize('symbol, iop, op', IN_PLACE, ids=[s for s, _, _ in IN_PLACE])
def test_a_size_that_cannot_go_into_x_names_the_operator_and_both_sizes(symbol, iop, op, cuda):
    """``*=`` and ``/=`` do not pair (Torch7's ``*`` of two tensors is a matrix product and its ``/`` takes a
    number: TensorOperator.c), nor do ``**=``, ``//=``, ``%=``; a count that differs never pairs."""
    x = _on(cuda, lg.DoubleTensor([[1, 2, 3], [4, 5, 6]]))
    before = x.clone()
    cases = [lg.DoubleTensor(4).fill(1)] + ([] if symbol in ('+', '-') else [lg.DoubleTensor(3, 2).fill(1)])
    for y in cases:
        y = _on(cuda, y)
        sizes = 'x'.join(map(str, y.size()))
        with pytest.raises(ValueError, match=rf"^legonn\.(Cuda)?DoubleTensor: x {re.escape(symbol)}= y "
                                             rf"needs y of x's size 2x3 or one that broadcasts into it, got y of "
                                             rf"size {sizes}$"):
            iop(x, y)
        assert x.equal(before)


def test_integer_tensors_keep_their_type_in_place():
    x = lg.LongTensor([7, -7, 9])
    alias = x
    x %= 4
    x //= 2
    x **= 2
    assert alias is x and x.tolist() == [1, 0, 0] and x.type() == 'legonn.LongTensor'
    with pytest.raises(TypeError):   # a float result cannot be written into integers (NumPy's same_kind)
        x **= 0.5
