"""AmbiguousBroadcastWarning: Python operators broadcast by NumPy's rule (DESIGN.md), and warn where Torch7's
operators (TensorOperator.c: ``resizeAs(a)``, ``copy(a)``, ``cadd(-1, b)``) would pair the elements in order
instead: two operands of as many elements in different shapes that broadcast to a result of another count."""
import operator
import warnings

import numpy as np
import pytest

import legonn as lg
from legonn.tensor.conversion import on_gpu

DEVICES = [False, pytest.param(True, marks=pytest.mark.gpu)]
# every operator that pairs elements: arithmetic and comparison (`@` contracts, test_matrix_product_never_warns)
OPERATORS = [('+', operator.add), ('-', operator.sub), ('*', operator.mul), ('/', operator.truediv),
             ('//', operator.floordiv), ('%', operator.mod), ('**', operator.pow), ('<', operator.lt),
             ('<=', operator.le), ('>', operator.gt), ('>=', operator.ge), ('==', operator.eq), ('!=', operator.ne)]


def _tensors(cuda, *tensors):
    return [on_gpu(t) if cuda else t for t in tensors]


def _record(fn):
    """fn's AmbiguousBroadcastWarnings, each shown (no filter hides a repeat) and recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        result = fn()
    return result, [w for w in caught if issubclass(w.category, lg.AmbiguousBroadcastWarning)]


def test_warning_is_a_userwarning_legonn_exports():
    assert issubclass(lg.AmbiguousBroadcastWarning, UserWarning)
    assert 'AmbiguousBroadcastWarning' in lg.__all__


@pytest.mark.parametrize('cuda', DEVICES)
@pytest.mark.parametrize('symbol,op', OPERATORS, ids=[s for s, _ in OPERATORS])
def test_operator_warns_and_still_broadcasts(symbol, op, cuda):
    """An n-vector against an n x 1 matrix: NumPy's n x n table, and a warning naming the operator, both sizes,
    the broadcast size and the two spellings that say which was meant."""
    v, col = _tensors(cuda, lg.Tensor([1, 2, 4]), lg.Tensor([[2], [1], [4]]))
    result, caught = _record(lambda: op(v, col))
    assert result.size() == (3, 3)
    np.testing.assert_array_equal(result.numpy() if not cuda else result.float().numpy(),
                                  op(np.array([1, 2, 4]), np.array([[2], [1], [4]])))
    assert len(caught) == 1
    message = str(caught[0].message)
    assert f'a {symbol} b of sizes 3 (a) and 3x1 (b)' in message and 'broadcasts to 3x3' in message
    assert f'a {symbol} b.view(3) pairs them' in message and f'a.expand(3, 3) {symbol} b broadcasts' in message
    assert caught[0].filename == __file__      # the caller's line, not legonn's


@pytest.mark.parametrize('cuda', DEVICES)
def test_suggested_spellings_are_silent_and_mean_what_they_say(cuda):
    v, col = _tensors(cuda, lg.Tensor([1, 2, 4]), lg.Tensor([[2], [1], [4]]))
    paired, caught = _record(lambda: v - col.view(3))
    assert not caught and paired.tolist() == [-1, 1, 0]
    table, caught = _record(lambda: v.expand(3, 3) - col)
    assert not caught and table.size() == (3, 3) and table.tolist()[0] == [-1, 0, 2]
    torch7, caught = _record(lambda: lg.add(v, -1, col))     # the Torch7 method pairs, as ever
    assert not caught and torch7.tolist() == [-1, 1, 0]


def test_ndarray_on_the_left_warns_through_numpy():
    """``ndarray - tensor`` is NumPy's operator handing the ufunc to the tensor: warned with the ufunc's name
    and array spellings for the array operand."""
    col, v = np.array([[2.0], [1.0], [4.0]]), lg.DoubleTensor([1, 2, 4])
    result, caught = _record(lambda: col - v)
    assert isinstance(result, lg.DoubleTensor) and result.size() == (3, 3)
    assert len(caught) == 1 and caught[0].filename == __file__
    message = str(caught[0].message)
    assert 'np.subtract(a, b) of sizes 3x1 (a) and 3 (b)' in message
    assert 'np.subtract(a, b.view(3, 1)) pairs them' in message
    assert 'np.subtract(np.broadcast_to(a, (3, 3)), b) broadcasts' in message
    _, caught = _record(lambda: v < col)                   # an array on the right: its reshape
    assert len(caught) == 1 and 'a < b.reshape(3) pairs them' in str(caught[0].message)


@pytest.mark.parametrize('cuda', DEVICES)
def test_reflected_operators_name_the_operands_as_written(cuda):
    """The reflected methods (a number or an array on the left) put ``other`` first in the message."""
    v, = _tensors(cuda, lg.Tensor([1, 2, 4]))
    col = v.view(3, 1).clone().array
    for name in ('__radd__', '__rsub__', '__rmul__', '__rtruediv__', '__rfloordiv__', '__rmod__', '__rpow__'):
        result, caught = _record(lambda: getattr(v, name)(col))
        assert result.size() == (3, 3) and len(caught) == 1, name
        assert 'of sizes 3x1 (a) and 3 (b)' in str(caught[0].message), name
    assert (5 - v).tolist() == [4, 3, 1] and (5 % lg.Tensor([3, 4])).tolist() == [2, 1]
    assert (7 // lg.Tensor([2, 3])).tolist() == [3, 2]


@pytest.mark.parametrize('cuda', DEVICES)
def test_in_place_forms_never_broadcast_past_their_target(cuda):
    """``+=`` and kin write into the left operand's shape, so an n x n result cannot happen: ``+=`` and ``-=``
    pair the elements in order (Torch7's ``x:add(y)``), the others refuse (test_inplace_operators.py)."""
    for name in ('__iadd__', '__isub__', '__imul__', '__itruediv__'):
        for left, right in ((0, 1), (1, 0)):
            pair = _tensors(cuda, lg.Tensor([1, 2, 4]), lg.Tensor([[2], [1], [4]]))
            target, other = pair[left], pair[right]
            before = target.clone()
            if name in ('__iadd__', '__isub__'):
                _, caught = _record(lambda: getattr(target, name)(other))
                assert tuple(target.size()) == tuple(before.size()) and not caught
            else:
                with pytest.raises(ValueError, match=r"x [*/]= y needs y of x's size 3(x1)? or one that broadcasts"):
                    getattr(target, name)(other)
                assert target.equal(before)


@pytest.mark.parametrize('cuda', DEVICES)
def test_no_warning_where_nothing_is_ambiguous(cuda):
    a, b, col, row, one, one_2d, flat, w = _tensors(
        cuda, lg.rand(2, 3), lg.rand(2, 3), lg.rand(2, 1), lg.rand(1, 3), lg.Tensor([2]), lg.Tensor([[2]]),
        lg.range(0, 5), lg.range(0, 5).view(2, 3).t())
    cases = {'equal shapes': lambda: a - b, 'n x 1 against 1 x m': lambda: col - row,
             'a matrix and a row': lambda: a * row, 'a number': lambda: a - 1,
             'a NumPy number': lambda: a < np.float32(1),
             'a one-element tensor': lambda: a / one, 'one-element tensors': lambda: one - one_2d,
             'one more leading dimension, as many elements': lambda: flat.view(1, 6) + flat,
             'shapes that do not broadcast, paired as Torch7': lambda: flat - w}
    for what, fn in cases.items():
        _, caught = _record(fn)
        assert not caught, what
    assert (flat - w).size() == (6,)


def test_square_broadcast_of_as_many_elements_warns():
    """n x 1 against 1 x n holds n elements each: Torch7 would pair them, so this true broadcast warns too."""
    _, caught = _record(lambda: lg.rand(3, 1) + lg.rand(1, 3))
    assert len(caught) == 1 and 'broadcasts to 3x3' in str(caught[0].message)


def test_matrix_product_never_warns():
    """``@`` contracts (2x3 @ 3x2 is 2x2, of other counts than its operands' six): nothing is paired."""
    result, caught = _record(lambda: lg.rand(2, 3) @ lg.rand(3, 2))
    assert not caught and result.size() == (2, 2)
    _, caught = _record(lambda: np.ones((2, 3)) @ lg.rand(3, 2).double())
    assert not caught


def test_error_filter_turns_it_into_an_error():
    v, col = lg.Tensor([1, 2]), lg.Tensor([[1], [2]])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(lg.AmbiguousBroadcastWarning, match='broadcasts to 2x2'):
            v - col
        with pytest.raises(lg.AmbiguousBroadcastWarning):
            np.ones((2, 1)) * lg.DoubleTensor([1, 2])


def test_default_filter_shows_it_once_per_call_site():
    v, col = lg.Tensor([1, 2]), lg.Tensor([[1], [2]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter('default')
        for _ in range(3):
            v - col
        v + col
    lines = [w.lineno for w in caught if issubclass(w.category, lg.AmbiguousBroadcastWarning)]
    assert len(lines) == 2 and lines[0] != lines[1]
