"""legonn's Tensor operators defer to an operand whose class declares ``__legonn_defer__``
(legonn.tensor.pointwise.DEFER_ATTRIBUTE): they return NotImplemented, so Python calls the operand's reflected
operator; every other operand they cannot convert is still legonn's own TypeError."""
import operator

import pytest

import legonn as lg
from legonn.tensor.pointwise import DEFER_ATTRIBUTE

# (operator, the reflected method Python calls on the right operand)
BINARY = [(operator.add, '__radd__'), (operator.sub, '__rsub__'), (operator.mul, '__rmul__'),
          (operator.truediv, '__rtruediv__'), (operator.pow, '__rpow__'), (operator.matmul, '__rmatmul__'),
          (operator.floordiv, '__rfloordiv__'), (operator.mod, '__rmod__')]


def _recording(defer):
    """A class whose reflected operators record their call and answer with its name; ``defer`` sets the marker."""
    def reflected(name):
        return lambda self, other: (name, other)
    body = {name: reflected(name) for _, name in BINARY}
    body.update({DEFER_ATTRIBUTE: True} if defer else {})
    return type('Deferring' if defer else 'Plain', (), body)


def test_the_marker_is_the_documented_name():
    assert DEFER_ATTRIBUTE == '__legonn_defer__'


@pytest.mark.parametrize('op, reflected', BINARY, ids=[name for _, name in BINARY])
def test_a_class_declaring_the_marker_gets_its_reflected_operator(op, reflected):
    t = lg.DoubleTensor(2, 2).fill(3)
    answer = op(t, _recording(defer=True)())
    assert answer == (reflected, t)


@pytest.mark.parametrize('op, reflected', BINARY, ids=[name for _, name in BINARY])
def test_legonns_type_error_kept_for_other_operands(op, reflected):
    t = lg.DoubleTensor(2, 2).fill(3)
    # a class with the same reflected operators but no marker, and plain objects: legonn's message, not Python's
    for other in (_recording(defer=False)(), object(), 'text', None):
        with pytest.raises(TypeError, match=r'expected a tensor, an array or a number, got '
                                            + type(other).__name__):
            op(t, other)


def test_a_false_marker_does_not_defer():
    other = type('Refusing', (), {DEFER_ATTRIBUTE: False, '__radd__': lambda self, o: 'reflected'})()
    with pytest.raises(TypeError, match='expected a tensor, an array or a number, got Refusing'):
        lg.DoubleTensor(2).fill(1) + other


def test_reflected_tensor_operators_defer_too():
    """``x - t`` where x's own ``__sub__`` returned NotImplemented: the tensor's ``__rsub__`` answers
    NotImplemented as well, and Python's TypeError names both types."""
    cls = type('OnlyDefers', (), {DEFER_ATTRIBUTE: True, '__sub__': lambda self, o: NotImplemented})
    t = lg.DoubleTensor(2).fill(1)
    assert t.__rsub__(cls()) is NotImplemented
    with pytest.raises(TypeError, match="unsupported operand type.*'OnlyDefers' and 'DoubleTensor'"):
        cls() - t


def test_inplace_operators_do_not_defer():
    """``t += x`` writes into t, which the operand's reflected operator could not do: legonn's error stays."""
    t = lg.DoubleTensor(2).fill(1)
    with pytest.raises(TypeError, match='expected a tensor, an array or a number, got Deferring'):
        t += _recording(defer=True)()


def test_ordinary_operands_unchanged():
    t = lg.DoubleTensor(2).fill(1)
    assert (t + t).tolist() == [2.0, 2.0] and (t + 1.0).tolist() == [2.0, 2.0] and (2 - t).tolist() == [1.0, 1.0]
    assert (t + [1, 2]).tolist() == [2.0, 3.0]
