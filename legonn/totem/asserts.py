"""totem's asserts.lua: equality of tensors, storages and (deep) tables as functions outside any Tester.

Each ``are*`` function returns ``(success, message)``; each ``assert*`` raises AssertionError with the message
when the check fails (Lua's ``assert(totem.areTensorsEq(...))``) and returns the pair otherwise. The comparisons
are lg.Tester's (Tester.lua's), which asserts.lua's copy: tensors must have the same dimensions, type and sizes,
then their largest elementwise difference must be within ``tolerance`` (default 0).
"""
import numbers

from ..tensor.introspection import lua_type
from ..tensor.storage import Storage
from ..tensor.tester import _are_eq, _array_as_tensor, _storages_eq, _tensors_eq
from ..tensor.tensor import Tensor


def _check_arguments(where, a, b, tolerance, kind, cls):
    """asserts.lua's argument asserts: a wrong argument is an error, not a failed comparison."""
    for which, value in (('First', a), ('Second', b)):
        if not isinstance(value, cls):
            raise TypeError(f"legonn.totem.{where}: {which} argument should be a {kind}, got "
                            f"{type(value).__name__}")
    _check_tolerance(where, tolerance)


def _check_tolerance(where, tolerance):
    if not isinstance(tolerance, numbers.Real) or isinstance(tolerance, bool):
        raise TypeError(f"legonn.totem.{where}: Third argument should be a number describing a tolerance on "
                        f"equality for a single element, got {type(tolerance).__name__}")


def _raise_unless(where, result):
    success, message = result
    if not success:
        raise AssertionError(f'legonn.totem.{where}: {message}')
    return result


def areTensorsEq(ta, tb, tolerance=None, negate=False):
    """Whether two tensors (NumPy/CuPy arrays too) of one type and size differ elementwise by at most
    ``tolerance`` (the opposite when ``negate``)."""
    tolerance = 0 if tolerance is None else tolerance
    ta, tb = _array_as_tensor(ta), _array_as_tensor(tb)
    _check_arguments('areTensorsEq', ta, tb, tolerance, 'Tensor', Tensor)
    return _tensors_eq(ta, tb, tolerance, bool(negate))


def assertTensorEq(ta, tb, tolerance=None):
    return _raise_unless('assertTensorEq', areTensorsEq(ta, tb, tolerance))


def areTensorsNe(ta, tb, tolerance=None):
    return areTensorsEq(ta, tb, tolerance, True)


def assertTensorNe(ta, tb, tolerance=None):
    return _raise_unless('assertTensorNe', areTensorsNe(ta, tb, tolerance))


def areStoragesEq(sa, sb, tolerance=None, negate=False):
    """Whether two storages of one type and size differ elementwise by at most ``tolerance``."""
    tolerance = 0 if tolerance is None else tolerance
    _check_arguments('areStoragesEq', sa, sb, tolerance, 'Storage', Storage)
    return _storages_eq(sa, sb, tolerance, bool(negate))


def assertStorageEq(sa, sb, tolerance=None):
    return _raise_unless('assertStorageEq', areStoragesEq(sa, sb, tolerance))


def areStoragesNe(sa, sb, tolerance=None):
    return areStoragesEq(sa, sb, tolerance, True)


def assertStorageNe(sa, sb, tolerance=None):
    return _raise_unless('assertStorageNe', areStoragesNe(sa, sb, tolerance))


def areEq(got, expected, tolerance=None, negate=False):
    """Deep equality: the types must match; numbers, tensors and storages within ``tolerance``, tables (lists,
    tuples, dicts) entry by entry, anything else with Lua's ``==``."""
    return _are_eq(got, expected, 0 if tolerance is None else tolerance, bool(negate))


def areTablesEq(t1, t2, tolerance=None, negate=False):
    """``areEq`` of two tables."""
    tolerance = 0 if tolerance is None else tolerance
    for which, value in (('First', t1), ('Second', t2)):
        if lua_type(value) != 'table':
            raise TypeError(f"legonn.totem.areTablesEq: {which} argument should be a Table (list, tuple or dict), "
                            f"got {type(value).__name__}")
    _check_tolerance('areTablesEq', tolerance)
    return _are_eq(t1, t2, tolerance, bool(negate))


def assertTableEq(ta, tb, tolerance=None):
    return _raise_unless('assertTableEq', areTablesEq(ta, tb, tolerance))


def assertTableNe(ta, tb, tolerance=None):
    return _raise_unless('assertTableNe', areTablesEq(ta, tb, tolerance, True))
