"""overload.py's declarations (overload.lua's meanings) on tables of its own: a dict of functions and a class,
what install swaps in and uninstall puts back, nesting, and each kind of declaration seen through the direct
runtime."""
import types

import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd import overload


class Box:
    """A class whose methods and operators a table declares: ``scaled`` inherited, ``__add__`` its own."""

    def __init__(self, v):
        self.v = v

    def __add__(self, other):
        return Box(self.v + (other.v if isinstance(other, Box) else other))


class BaseBox(Box):
    pass


class Scalar:
    """A number whose ``-`` a table declares, direct and reflected (``Scalar - 3``, ``3 - Scalar``)."""

    def __init__(self, v):
        self.v = v

    def __sub__(self, other):
        return self.v - other

    def __rsub__(self, other):
        return other - self.v


def _scaled(self, k):
    return self.v * k


Box.scaled = _scaled

calls = []
TABLE = {
    'double': lambda x: x * 2,
    'shape': lambda x: 'shape of ' + type(x).__name__,
    'make': lambda n: n + 0.5,
    'broken': lambda x: x,
    'quiet': lambda x: x,
    'other': lambda x: x,
    'log_call': lambda x: calls.append(x) or x,
}
TABLE['twice'] = TABLE['double']      # an alias: the same function under another name
NAMES = types.SimpleNamespace(BaseBox=BaseBox)


def _define(m):
    m.gradient('double', [lambda g, ans, x: g * 2])
    m.static('shape')
    m.initializer('make')
    m.unsupported('broken')
    m.ignore('quiet')
    m.dynamic('log_call')
    m.gradient('absent', [None])     # a name the table lacks is passed over, as the Lua's
    m.defaultUnsupported()


overload.module('table', TABLE, _define)
overload.module('names', NAMES, lambda m: m.class_('BaseBox', lambda c: c.static('scaled')))
overload.module('Scalar', Scalar, lambda m: m.operator('sub', [None, None]))


def test_install_swaps_the_declared_entries_and_uninstall_restores():
    before, box_attrs, box = dict(TABLE), dict(vars(BaseBox)), BaseBox(2)
    overload.install(lambda desc, grads, *args: ('traced', desc.name, args))
    try:
        assert TABLE['double'](3) == ('traced', 'table.double', (3,))
        assert TABLE['twice'] is TABLE['double']
        assert TABLE['quiet'] is before['quiet']            # ignored: left alone
        assert TABLE['other'](1)[1] == 'table.other'        # defaultUnsupported covers it
        assert box.scaled(3) == ('traced', 'names.BaseBox.scaled', (box, 3))
    finally:
        overload.uninstall()
    assert TABLE == before
    assert dict(vars(BaseBox)) == box_attrs and 'scaled' not in vars(BaseBox)   # inherited: no copy left


def test_nested_installs_keep_the_outermost_runtime():
    outer = lambda desc, grads, *args: 'outer'       # noqa: E731
    overload.install(outer)
    try:
        overload.install(lambda desc, grads, *args: 'inner')
        assert overload.current_apply() is outer and TABLE['double'](1) == 'outer'
        overload.uninstall()
        assert overload.current_apply() is outer and TABLE['double'](1) == 'outer'
    finally:
        overload.uninstall()
    assert overload.current_apply() is None and TABLE['double'](1) == 2


def test_each_kind_through_the_direct_runtime():
    def f(x):
        assert TABLE['shape'](x) == 'shape of DirectNode' or TABLE['shape'](x) == 'shape of float'
        made = TABLE['make'](x)               # initializer: captured, not differentiable
        assert type(made).__name__ == 'DirectNode'
        return TABLE['twice'](x) + TABLE['log_call'](3.0)
    grads, loss = autograd(f)(1.5)
    assert (grads, loss) == (2.0, 6.0)
    with pytest.raises(RuntimeError, match="function table.broken not currently supported by autograd"):
        autograd(lambda x: TABLE['broken'](x))(1.0)


def test_static_sees_plain_values():
    seen = []

    def f(x):
        seen.append(TABLE['shape'](x))
        return x * 1.0
    autograd(f)(2.0)
    assert seen == ['shape of float']


def test_dynamic_without_gradient_is_a_missing_gradient():
    with pytest.raises(RuntimeError, match="missing gradient for argument 0 in function table.log_call"):
        autograd(lambda x: TABLE['log_call'](x) * 2.0)(1.0)


@pytest.mark.parametrize('optimize', [False, True])
def test_an_element_of_split_names_splits_missing_gradient(optimize):
    """``lg.split`` is dynamic (the Lua's: no gradient) and answers a list; a loss of one of its elements (``x[k]``
    of that list) names split's missing gradient in both runtimes (the direct one's ``x[k]`` gradient took the
    list for a tensor: AttributeError)."""
    x = lg.DoubleTensor(3, 4).fill(1)
    with pytest.raises(RuntimeError, match="missing gradient for argument 0 in function torch.split"):
        autograd(lambda p: lg.sum(lg.split(p, 2, 1)[0]) + lg.sum(p), optimize=optimize, protected=True)(x)


def test_operators_reach_the_runtime_in_written_order():
    seen = []

    def spy(desc, grads, *args):
        seen.append((desc.name, desc.operator, args))
        return desc.fn(*args)
    a = Scalar(1.0)
    overload.install(spy)
    try:
        r1 = 3 - a
        r2 = a - 3
    finally:
        overload.uninstall()
    assert [s[:2] for s in seen] == [('op.__sub', 'sub'), ('op.__sub', 'sub')]
    assert seen[0][2] == (3, a) and seen[1][2] == (a, 3)
    assert r1 == 2.0 and r2 == -2.0


def test_unknown_operator():
    m = overload._Declarations('x', Box, True)
    with pytest.raises(ValueError, match="unknown operator 'mod'"):
        m.operator('mod', [])


def test_snake_case_names_are_covered_too():
    seen, x, index = [], lg.ones(3), lg.LongTensor([0])
    overload.install(lambda desc, grads, *args: seen.append(desc.name))
    try:
        lg.narrow(x, 0, 0, 1)
        lg.index_select(x, 0, index)
    finally:
        overload.uninstall()
    assert seen[0] == 'torch.narrow' and seen[1] in ('torch.indexSelect', 'torch.index_select')
    assert lg.index_select is lg.tensor.index_select


class Counter:
    """A class whose declared name looks up to a new object each time (a classmethod)."""

    @classmethod
    def make(cls, n):
        return n


overload.module('counter', types.SimpleNamespace(Counter=Counter),
                lambda m: m.class_('Counter', lambda c: c.initializer('make')))


def test_a_declared_name_is_swapped_even_when_its_lookup_makes_a_new_object():
    seen, stored = [], vars(Counter)['make']
    overload.install(lambda desc, grads, *args: seen.append(desc.name))
    try:
        Counter.make(1)
    finally:
        overload.uninstall()
    assert seen == ['counter.Counter.make'] and Counter.make(2) == 2 and vars(Counter)['make'] is stored
