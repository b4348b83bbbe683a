"""Torch7's ``torch.Tester`` and ``torch.TestSuite`` (torch7's Tester.lua, TestSuite.lua, doc/tester.md).

Torch7 projects write their unit tests on them::

    mytest = lg.TestSuite()
    tester = lg.Tester()

    @mytest                      # Lua's `function mytest.testAdd() ... end`
    def testAdd():
        tester.assertTensorEq(lg.ones(3) + 1, lg.Tensor(3).fill(2), 1e-6)

    tester.add(mytest)
    tester.run()                 # prints the report; raises AssertionError if a test failed or errored

Every assertion returns True or False, counts towards its test and, when it fails, records a message that
the report prints after the summary line. A test that raises is an ERROR; one whose assertions failed is a
FAIL. The messages, the default tolerances (0; 1e-16 for ``assertalmosteq``) and the report's layout are
Tester.lua's. ``assert`` is a Python keyword: Lua's ``tester:assert(c)`` is ``tester.assert_(c)``. Test
names given to ``run`` and ``disable`` are matched as Lua's ``string.match`` does, unanchored, with Python's
``re`` syntax in place of Lua patterns. Tests run in the order they were added (Lua's ``pairs`` gave none).
"""
import numbers
import re
import sys
import traceback

import numpy as np

from . import backend
from .introspection import lua_type, pairs, tostring
from .naming import TorchNamed
from .storage import Storage
from .tensor import Tensor

NCOLS = 80
_ABORT = 'An error was found while running tests!'


class TestSuite:
    """Torch7's ``torch.TestSuite()``: a table whose members are test functions. ``suite.name = fn``,
    ``suite['name'] = fn`` and the decorator ``@suite`` (which uses the function's name) add one; a name
    given twice, or a member that is not a function, is an error, as in TestSuite.lua."""

    def __init__(self):
        object.__setattr__(self, '_tests', {})

    def __call__(self, fn):
        self[fn.__name__] = fn
        return fn

    def __setitem__(self, name, fn):
        if name in self._tests:
            raise ValueError(f"legonn.TestSuite: Test {name} is already defined.")
        if isinstance(fn, (list, tuple, dict, TestSuite)):
            raise TypeError(f"legonn.TestSuite: Nested tables of tests are not supported (member {name!r})")
        if not callable(fn):
            raise TypeError(f"legonn.TestSuite: Only functions are supported as members of a TestSuite "
                            f"(member {name!r} is a {type(fn).__name__})")
        self._tests[name] = fn

    __setattr__ = __setitem__

    def __getitem__(self, name):
        return self._tests[name]

    def __getattr__(self, name):
        try:
            return self._tests[name]
        except KeyError:
            raise AttributeError(f"legonn.TestSuite: no test named {name!r}") from None

    def tests(self):
        """The tests, name -> function, in the order they were defined."""
        return dict(self._tests)


def _lua_equal(a, b):
    """Lua's ``a == b``: tables and userdata (tensors, storages, arrays, objects) are equal only when they are the
    same object, unless both have the same ``__eq`` metamethod: a class's ``lua_eq`` names it (legonn.pl's List,
    List.lua:341, compares entries with ``==``; its OrderedMap, Map.lua:113, deep-compares); numbers, strings and
    booleans by value."""
    eq = getattr(type(a), 'lua_eq', None)
    if a is not b and eq is not None and eq == getattr(type(b), 'lua_eq', None):
        return _penlight_eq(a, b, eq)
    if lua_type(a) in ('table', 'userdata') or lua_type(b) in ('table', 'userdata'):
        return a is b
    return a == b


def _penlight_eq(a, b, eq):
    if eq == 'List':
        return len(a) == len(b) and all(_lua_equal(x, y) for x, y in zip(a, b))
    from ..pl.tablex import deepcompare   # Map.lua's __eq: tablex.deepcompare(a, b, true); pl sits above tensor
    return deepcompare(a, b, True)


def _message(where, message, extra=()):
    """Tester.lua's getMessage: the user's message and a newline, or nothing. Arguments after the message are an
    error, as there: ``tester.assert_(c, 'message', 'more')`` is a mistake, not a longer message."""
    if extra:
        raise TypeError(f"legonn.Tester.{where}: Unexpected arguments passed to test function (after the message: "
                        f"{extra!r})")
    if message is None or message == '':
        return ''
    if not isinstance(message, str):
        raise TypeError(f"legonn.Tester.{where}: message parameter must be a string, got {type(message).__name__}")
    return message + '\n'


def _tolerance_and_message(where, default, args):
    """Tester.lua's getToleranceAndMessage: a tolerance (number) and a message (string), in either order.
    A None ends the arguments, as Lua's ``ipairs`` stops at the first nil (torch/nn's test.lua passes a nil
    message on: ``mytester:eq(t1, t2, 0.00001, msg)``)."""
    tolerance, message = None, None
    for a in args:
        if a is None:
            break
        if isinstance(a, str):
            if message is not None:
                raise TypeError(f"legonn.Tester.{where}: Unexpected string argument; already have message ({a!r})")
            message = a + '\n'
        elif isinstance(a, numbers.Real) and not isinstance(a, (bool, np.bool_)):
            if tolerance is not None:
                raise TypeError(f"legonn.Tester.{where}: Unexpected number argument; already have tolerance ({a})")
            if a < 0:
                raise ValueError(f"legonn.Tester.{where}: tolerance cannot be negative, got {a}")
            tolerance = a
        else:
            raise TypeError(f"legonn.Tester.{where}: Unrecognized argument; should be a tolerance or message, "
                            f"got {type(a).__name__}")
    return (default if tolerance is None else tolerance), (message or '')


def _as_tensor(where, which, value):
    """A tensor for an assertTensorEq argument; NumPy and CuPy arrays are wrapped without copying."""
    value = _array_as_tensor(value)
    if isinstance(value, Tensor):
        return value
    raise TypeError(f"legonn.Tester.{where}: {which} argument should be a Tensor, got {type(value).__name__}")


def _array_as_tensor(value):
    is_array = isinstance(value, np.ndarray) or backend.is_cupy_array(value)
    return Tensor._from_array(value) if is_array else value


def _max_abs_diff(a, b):
    """The largest |a - b| over the elements in storage order (NaN when any difference is NaN), as Tester.lua's
    ``ta:clone():add(-1, tb):abs():max()``: floating types subtract in their own precision, integer types in
    float64 (Lua turned Byte, Char and Short, which have no ``abs``, into doubles)."""
    xp = backend.array_module(a)
    a, b = a.reshape(-1), backend.to_module(b, xp).reshape(-1)
    if a.dtype.kind != 'f':
        a, b = a.astype(np.float64), b.astype(np.float64)
    diff = xp.abs(a - b)
    return diff.max().item()


def _same_format_eq(a, b, tolerance, negate, prefix):
    err = _max_abs_diff(a, b)
    success = err <= tolerance
    if negate:
        success = not success
    if success:
        return True, None
    violation = 'NE(==)' if negate else 'EQ(==)'
    return False, f'{prefix}{violation} violation: max diff={tostring(err)}, tolerance={tostring(tolerance)}'


def _tensors_eq(ta, tb, tolerance, negate, ignore_dims=False):
    """Tester.lua's check.areTensorsEq: same dimensions (unless ``ignore_dims``), type and size, then the
    largest elementwise difference within ``tolerance``."""
    if not ignore_dims and ta.dim() != tb.dim():
        return negate, 'The tensors have different dimensions'
    if ta.type() != tb.type():
        return negate, 'The tensors have different types'
    if ta.dim() == 0 and tb.dim() == 0:
        return not negate, 'Both tensors are empty'
    same = ta.nElement() == tb.nElement() if ignore_dims else ta.isSameSizeAs(tb)
    if not same:
        return negate, 'The tensors have different sizes'
    if ta.nElement() == 0:
        return not negate, 'Both tensors are empty'
    return _same_format_eq(ta.contiguous().array, tb.contiguous().array, tolerance, negate, 'Tensor')


def _storages_eq(sa, sb, tolerance, negate):
    """Tester.lua's check.areStoragesEq."""
    if sa.size() != sb.size():
        return negate, 'The storages have different sizes'
    if sa.type() != sb.type():
        return negate, 'The storages have different types'
    if sa.size() == 0:
        return not negate, 'Both storages are empty'
    return _same_format_eq(sa.data, sb.data, tolerance, negate, 'Storage')


def _tables_eq(t1, t2, tolerance, negate):
    """Tester.lua's check.areTablesEq: breadth first, so that two deep tables are reported where they first
    differ; locations are the keys joined by dots (list positions 0-based)."""
    queue = [(t1, t2, None)]
    while queue:
        t1, t2, location = queue.pop(0)
        d1, d2 = dict(pairs(t1)), dict(pairs(t2))
        for key, value1 in d1.items():
            sub = str(key) if location is None else f'{location}.{key}'
            if d2.get(key) is None:
                return negate, f'Entry {sub} missing in second table (is {tostring(value1)} in first)'
            value2 = d2[key]
            if lua_type(value1) == 'table' and lua_type(value2) == 'table':
                queue.append((value1, value2, sub))
            else:
                ok, message = _are_eq(value1, value2, tolerance, False)
                if not ok:
                    return negate, f'At table location {sub}: {message}'
        for key, value2 in d2.items():
            if d1.get(key) is None:
                sub = str(key) if location is None else f'{location}.{key}'
                return negate, f'Entry {sub} missing in first table (is {tostring(value2)} in second)'
    return not negate, 'The tables are equal'


def _are_eq(got, expected, tolerance, negate):
    """Tester.lua's check.areEq: the types must match; numbers within ``tolerance``, tables compared entry by
    entry, tensors and storages elementwise, anything else with ``==``. NumPy and CuPy arrays are tensors."""
    got, expected = _array_as_tensor(got), _array_as_tensor(expected)
    tg, te = lua_type(got), lua_type(expected)
    if tg != te:
        return negate, (None if negate else
                        f'EQ failed: values have different types (first: {tg}, second: {te})')
    if tg == 'number':
        ok = abs(got - expected) <= tolerance
        if negate:
            ok = not ok
        if ok:
            return True, None
        message = (f'NE failed: {tostring(got)} == {tostring(expected)}' if negate else
                   f'EQ failed: {tostring(got)} ~= {tostring(expected)}')
        return False, message + (f' with tolerance={tostring(tolerance)}' if tolerance > 0 else '')
    if te == 'table':
        return _tables_eq(got, expected, tolerance, negate)
    if isinstance(got, Tensor) and isinstance(expected, Tensor):
        return _tensors_eq(got, expected, tolerance, negate)
    if isinstance(got, Storage) and isinstance(expected, Storage):
        return _storages_eq(got, expected, tolerance, negate)
    ok = _lua_equal(got, expected) != negate
    if ok:
        return True, None
    sign = '==' if negate else '~='
    return False, (f"{'NE' if negate else 'EQ'} failed: {tostring(got)} ({tg}) {sign} {tostring(expected)} ({te})")


def _pluralize(num, word):
    return f'{num} {word}' if num == 1 else f'{num} {word}s'


class Tester(TorchNamed):
    """Torch7's ``torch.Tester``: assertions that count towards the running test, ``add`` and ``run``
    (snake_case aliases too: ``assert_tensor_eq``, ``set_early_abort``)."""

    def __init__(self):
        self.errors = []
        self.tests = {}
        self.warnings = []
        self._warningCount = {}
        self.disabledTests = set()
        self._currentTestName = ''
        self._setUp = self._tearDown = None
        self.earlyAbort = self.rethrow = self.summaryOnly = False
        self.assertionPass, self.assertionFail, self.testError = {}, {}, {}
        # Tester.lua keeps {{1}} == {1} for assertTensorEq (only), with a warning, for old code's sake
        self._assertTensorEqIgnoresDims = True

    def setEarlyAbort(self, earlyAbort):
        """Stop ``run`` at the first test that fails or errors."""
        self.earlyAbort = earlyAbort

    def setRethrowErrors(self, rethrow):
        """Let a failed assertion raise AssertionError, and a test's own exception propagate, out of ``run``."""
        self.rethrow = rethrow

    def setSummaryOnly(self, summaryOnly):
        """Print only the summary line, not the failure messages and warnings under it."""
        self.summaryOnly = summaryOnly

    # --- bookkeeping ---------------------------------------------------------------------------------------
    def _success(self):
        name = self._currentTestName
        self.assertionPass[name] = self.assertionPass.get(name, 0) + 1
        return True

    def _addDebugInfo(self, message):
        """The test's name, the message and where the assertion was called: the last frame outside this file and
        outside legonn's own subclasses of Tester (legonn.totem's Tester.lua calls through to this one, and its
        frame is not where the test asserted; Tester.lua's _addDebugInfo reports the test's own lines)."""
        internal = {sys.modules[cls.__module__].__file__ for cls in type(self).__mro__
                    if cls.__module__.split('.')[0] == 'legonn'}
        outside = [f for f in traceback.extract_stack() if f.filename not in internal]
        where = ''.join(traceback.format_list(outside[-1:])).rstrip('\n') if outside else ''
        name = self._currentTestName
        return (name + '\n' if name else '') + message + '\n' + where

    def _failure(self, message):
        if self.rethrow:
            raise AssertionError(message)
        name = self._currentTestName
        self.assertionFail[name] = self.assertionFail.get(name, 0) + 1
        self.errors.append(self._addDebugInfo(message))
        return False

    def _warning(self, message):
        name = self._currentTestName
        self._warningCount[name] = self._warningCount.get(name, 0) + 1
        self.warnings.append(self._addDebugInfo(message))

    def _assert_sub(self, condition, message):
        return self._success() if condition else self._failure(message)

    # --- assertions ------------------------------------------------------------------------------------------
    def assert_(self, condition, message=None, *extra):
        """Lua's ``tester:assert(condition [, message])``: passes when ``condition`` is true. Anything but a
        boolean gets a warning and is true as Lua tests it, unless None (nil): ``tester.assert_({})`` and
        ``tester.assert_(0)`` pass, as in Torch7."""
        message = _message('assert', message, extra)
        if isinstance(condition, (bool, np.bool_)):
            passed = bool(condition)
        else:
            self._warning(' :assert should only be used for boolean conditions. To check for non-nil variables, '
                          'do this explicitly: Tester:assert(var ~= nil).')
            passed = condition is not None
        return self._assert_sub(passed, f'{message}BOOL violation condition={tostring(condition)}')

    def assertGeneralEq(self, got, expected, *tolerance_and_message):
        """Deep equality: types must match, numbers, tensors and storages within the tolerance (default 0),
        tables entry by entry, anything else with ``==``."""
        return self._eqOrNeq('assertGeneralEq', got, expected, False, tolerance_and_message)

    def assertGeneralNe(self, got, unexpected, *tolerance_and_message):
        """The negation of ``assertGeneralEq``."""
        return self._eqOrNeq('assertGeneralNe', got, unexpected, True, tolerance_and_message)

    eq = assertGeneralEq
    ne = assertGeneralNe

    def _eqOrNeq(self, where, got, expected, negate, args):
        tolerance, message = _tolerance_and_message(where, 0, args)
        success, sub = _are_eq(got, expected, tolerance, negate)
        return self._assert_sub(success, message + (sub or ''))

    def _compare(self, where, ok, text, message, extra):
        return self._assert_sub(ok, _message(where, message, extra) + text)

    def assertlt(self, a, b, message=None, *extra):
        return self._compare('assertlt', a < b, f'LT failed: {tostring(a)} >= {tostring(b)}', message, extra)

    def assertgt(self, a, b, message=None, *extra):
        return self._compare('assertgt', a > b, f'GT failed: {tostring(a)} <= {tostring(b)}', message, extra)

    def assertle(self, a, b, message=None, *extra):
        return self._compare('assertle', a <= b, f'LE failed: {tostring(a)} > {tostring(b)}', message, extra)

    def assertge(self, a, b, message=None, *extra):
        return self._compare('assertge', a >= b, f'GE failed: {tostring(a)} < {tostring(b)}', message, extra)

    def asserteq(self, a, b, message=None, *extra):
        return self._compare('asserteq', _lua_equal(a, b), f'EQ failed: {tostring(a)} ~= {tostring(b)}', message,
                             extra)

    def assertne(self, a, b, message=None, *extra):
        if lua_type(a) == lua_type(b) == 'table' or lua_type(a) == 'userdata':
            self._warning(' :assertne should only be used to compare basic lua objects (numbers, booleans, etc). '
                          'Consider using either :assertGeneralNe or :assert(a ~= b).')
        return self._compare('assertne', not _lua_equal(a, b), f'NE failed: {tostring(a)} == {tostring(b)}', message,
                             extra)

    def assertalmosteq(self, a, b, *tolerance_and_message):
        """|a - b| <= tolerance (default 1e-16)."""
        tolerance, message = _tolerance_and_message('assertalmosteq', 1e-16, tolerance_and_message)
        return self._assert_sub(abs(a - b) <= tolerance, f'{message}ALMOST_EQ failed: {tostring(a)} ~= '
                                f'{tostring(b)} with tolerance={tostring(tolerance)}')

    def assertTensorEq(self, ta, tb, *tolerance_and_message):
        """The largest elementwise difference of two tensors (or arrays) of one type is within the tolerance
        (default 0). As in Torch7, tensors with as many elements but other sizes compare equal, with a
        warning; ``eq`` checks the sizes too."""
        return self._assertTensorEqOrNeq('assertTensorEq', ta, tb, False, tolerance_and_message)

    def assertTensorNe(self, ta, tb, *tolerance_and_message):
        """The negation of ``assertTensorEq``."""
        return self._assertTensorEqOrNeq('assertTensorNe', ta, tb, True, tolerance_and_message)

    def _assertTensorEqOrNeq(self, where, ta, tb, negate, args):
        ta, tb = _as_tensor(where, 'First', ta), _as_tensor(where, 'Second', tb)
        tolerance, message = _tolerance_and_message(where, 0, args)
        success, sub = _tensors_eq(ta, tb, tolerance, negate, self._assertTensorEqIgnoresDims)
        if self._assertTensorEqIgnoresDims and not negate and success and not ta.isSameSizeAs(tb):
            self._warning('Tensors have the same content but different dimensions. For backwards compatibility, '
                          'they are considered equal, but this may change in the future. Consider using :eq to '
                          'check for equality instead.')
        return self._assert_sub(success, message + (sub or ''))

    def assertTableEq(self, ta, tb, *tolerance_and_message):
        """Deep equality of two tables (lists, tuples, dicts), numbers within the tolerance (default 0)."""
        return self._assertTableEqOrNeq('assertTableEq', ta, tb, False, tolerance_and_message)

    def assertTableNe(self, ta, tb, *tolerance_and_message):
        """The negation of ``assertTableEq``."""
        return self._assertTableEqOrNeq('assertTableNe', ta, tb, True, tolerance_and_message)

    def _assertTableEqOrNeq(self, where, ta, tb, negate, args):
        for which, t in (('First', ta), ('Second', tb)):
            if lua_type(t) != 'table':
                raise TypeError(f"legonn.Tester.{where}: {which} argument should be a Table (list, tuple or dict), "
                                f"got {type(t).__name__}")
        return self._eqOrNeq(where, ta, tb, negate, args)

    def assertError(self, f, message=None, *extra):
        """``f()`` raises."""
        return self.assertErrorObj(f, lambda err: True, message, *extra)

    def assertNoError(self, f, message=None, *extra):
        """``f()`` returns without raising."""
        message = _message('assertNoError', message, extra)
        try:
            f()
        except Exception as err:   # noqa: BLE001  (Lua's pcall catches every error)
            return self._assert_sub(False, f'{message}ERROR violation: err={tostring(err)}')
        return self._assert_sub(True, '')

    def assertErrorMsg(self, f, errmsg, message=None, *extra):
        """``f()`` raises an error whose message (``str(err)``) is ``errmsg``."""
        return self.assertErrorObj(f, lambda err: str(err) == errmsg, message, *extra)

    def assertErrorPattern(self, f, errPattern, message=None, *extra):
        """``f()`` raises an error whose message contains a match of ``errPattern`` (``re.search``)."""
        return self.assertErrorObj(f, lambda err: re.search(errPattern, str(err)) is not None, message, *extra)

    def assertErrorObj(self, f, errcomp, message=None, *extra):
        """``f()`` raises an exception ``err`` for which ``errcomp(err)`` is true."""
        message = _message('assertErrorObj', message, extra)
        try:
            err = f()
            raised = False
        except Exception as exc:   # noqa: BLE001  (Lua's pcall catches every error)
            err, raised = exc, True
        return self._assert_sub(raised and errcomp(err), f'{message}ERROR violation: err={tostring(err)}')

    # --- tests -----------------------------------------------------------------------------------------------
    def add(self, f, name=None):
        """Add a test function (named ``name``, else its ``__name__``) or every test of a TestSuite (a plain
        dict, or a list named by positions, works, with a warning). Tests named ``_setUp`` and ``_tearDown``
        run before and after each test, given its name. Returns the tester."""
        if isinstance(f, (TestSuite, dict, list, tuple)):
            if name is not None:
                raise ValueError('legonn.Tester.add: Name parameter is forbidden for a table of tests, '
                                 'since its use is ambiguous')
            if isinstance(f, TestSuite):
                f = f.tests()
            else:
                self._warning('Should use TestSuite rather than plain lua table (a dict or list)')
            for key, fn in pairs(f):
                if isinstance(fn, (TestSuite, dict, list, tuple)):
                    raise TypeError('legonn.Tester.add: Nested sets of tests are not supported '
                                    f'(member {key!r})')
                self.add(fn, str(key))
            return self
        if not callable(f):
            raise TypeError('legonn.Tester.add: Only tables of functions and functions supported, '
                            f'got {type(f).__name__}')
        if name in ('_setUp', '_tearDown'):
            if getattr(self, name) is not None:
                raise ValueError(f"legonn.Tester.add: Only one {'set-up' if name == '_setUp' else 'tear-down'} "
                                 'function allowed')
            setattr(self, name, f)
            return self
        name = name or getattr(f, '__name__', 'unknown')
        if name in self.tests:
            raise ValueError(f'legonn.Tester.add: Test with name {name} already exists!')
        self.tests[name] = f
        return self

    def disable(self, testNames):
        """Skip the named test(s) in ``run`` (reported as SKIP and counted as disabled)."""
        names = [testNames] if isinstance(testNames, str) else testNames
        for name in names:
            if name not in self.tests:
                raise ValueError(f"legonn.Tester.disable: Unrecognized test '{name}'")
            self.disabledTests.add(name)
        return self

    def _getTests(self, testNames):
        if testNames is None:
            return dict(self.tests)
        patterns = [testNames] if isinstance(testNames, str) else testNames
        tests = {}
        for pattern in patterns:
            matching = [name for name in self.tests if re.search(pattern, name)]
            if not matching:
                raise ValueError(f"legonn.Tester.run: Couldn't find test '{pattern}'")
            tests.update((name, self.tests[name]) for name in matching)
        return tests

    def run(self, testNames=None):
        """Run every test, or those whose names match ``testNames`` (a pattern or a list of them), print a line
        per test and the report, and return 0; raise AssertionError after the report when a test failed or
        raised, so that a script exits with a non-zero status, as Torch7's ``tester:run()`` does."""
        tests = self._getTests(testNames)
        self.assertionPass = dict.fromkeys(tests, 0)
        self.assertionFail = dict.fromkeys(tests, 0)
        self.testError = dict.fromkeys(tests, 0)
        self._warningCount.update(dict.fromkeys(tests, 0))
        self._run(tests)
        self._report(tests)
        if any(self.assertionFail[name] or self.testError[name] for name in tests):
            raise AssertionError(_ABORT)
        return 0

    def _run(self, tests):
        out = sys.stdout
        ntests = len(tests)
        width = len(str(ntests))
        cfmtlen = width * 2 + 2
        out.write(f"Running {_pluralize(ntests, 'test')}\n")
        for i, (name, fn) in enumerate(tests.items(), 1):
            self._currentTestName = name
            strinit = f"{i:>{width}}/{ntests} {name} {'.' * (NCOLS - 6 - 2 - cfmtlen - len(name))} "
            out.write(strinit + '[WAIT]')
            out.flush()
            status = passed = None
            skip = name in self.disabledTests
            if not skip:
                if self._setUp is not None:
                    self._setUp(name)
                nerr = len(self.errors)
                if self.rethrow:
                    fn()
                    status = True
                else:
                    status = self._pcall(fn)
                passed = status and nerr == len(self.errors)
                if self._tearDown is not None:
                    self._tearDown(name)
            out.write('\r' + strinit)
            if skip:
                out.write('[SKIP]')
            elif not status:
                self.testError[name] = 1
                out.write('[ERROR]')
            elif not passed:
                out.write('[FAIL]')
            else:
                out.write('[PASS]')
                if self._warningCount[name] > 0:
                    out.write('\n' + ' ' * (NCOLS - 10) + '[+warning]')
            out.write('\n')
            out.flush()
            if self.earlyAbort and i < ntests and not skip and not passed:
                out.write('Aborting on first error, not all tests have been executed\n')
                break
        self._currentTestName = ''

    def _pcall(self, fn):
        """Run a test; an exception it raises is recorded with its traceback, as Lua's xpcall did."""
        try:
            fn()
        except Exception:   # noqa: BLE001  (a test that raises is an ERROR, and the run goes on)
            self.errors.append(f'{self._currentTestName}\n Function call failed\n{traceback.format_exc()}\n')
            return False
        return True

    def _report(self, tests):
        out = sys.stdout
        ntests = len(tests)
        self.countasserts = sum(self.assertionFail[n] + self.assertionPass[n] for n in tests)
        nfailures = sum(1 for n in tests if self.assertionFail[n] > 0)
        nerrors = sum(1 for n in tests if self.testError[n] > 0)
        nwarnings = sum(1 for n in tests if self._warningCount[n] > 0) + self._warningCount.get('', 0)
        nskipped = sum(1 for n in tests if n in self.disabledTests)
        line = (f"Completed {_pluralize(self.countasserts, 'assert')} in {_pluralize(ntests, 'test')} with "
                f"{_pluralize(nfailures, 'failure')} and {_pluralize(nerrors, 'error')}")
        if nwarnings > 0:
            line += f" and {_pluralize(nwarnings, 'warning')}"
        if nskipped > 0:
            line += f' and {nskipped} disabled'
        out.write(line + '\n')
        if not self.summaryOnly:
            dashes = '-' * NCOLS + '\n'
            sections = self.errors + self.warnings
            if sections:
                out.write(dashes)
            for text in sections:
                out.write(text + '\n' + dashes)
