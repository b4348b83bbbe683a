"""legonn.Tester and legonn.TestSuite against torch7's Tester.lua, TestSuite.lua and doc/tester.md: every
assertion passing and failing with Tester.lua's message, the tolerance/message arguments, the report's text,
test selection, early abort, rethrow, summary-only, disabled tests, set-up/tear-down and the errors."""
import numpy as np
import pytest

import legonn as lg


def failures(tester):
    """The failure messages recorded, without the location line Tester adds under each."""
    return [e.split('\n')[0] for e in tester.errors]


# (call, Tester.lua's failure message); each passes with the first arguments and fails with the second
CASES = [
    (lambda t, ok: t.assert_(ok), 'BOOL violation condition=false'),
    (lambda t, ok: t.assertlt(1, 2 if ok else 1), 'LT failed: 1 >= 1'),
    (lambda t, ok: t.assertgt(2 if ok else 1, 1), 'GT failed: 1 <= 1'),
    (lambda t, ok: t.assertle(1, 1 if ok else 0.5), 'LE failed: 1 > 0.5'),
    (lambda t, ok: t.assertge(1, 1 if ok else 1.5), 'GE failed: 1 < 1.5'),
    (lambda t, ok: t.asserteq(3, 3 if ok else 4), 'EQ failed: 3 ~= 4'),
    (lambda t, ok: t.assertne(3, 4 if ok else 3), 'NE failed: 3 == 3'),
    (lambda t, ok: t.assertalmosteq(1.0, 1.0 if ok else 1.5, 0.1), 'ALMOST_EQ failed: 1 ~= 1.5 with tolerance=0.1'),
    (lambda t, ok: t.eq(2.0, 2.05 if ok else 2.5, 0.1), 'EQ failed: 2 ~= 2.5 with tolerance=0.1'),
    (lambda t, ok: t.ne(2, 3 if ok else 2), 'NE failed: 2 == 2'),
    (lambda t, ok: t.assertGeneralEq('a', 'a' if ok else 1), 'EQ failed: values have different types '
                                                             '(first: string, second: number)'),
    (lambda t, ok: t.assertGeneralEq(True, ok), 'EQ failed: true (boolean) ~= false (boolean)'),
    (lambda t, ok: t.assertTensorEq(lg.ones(3), lg.ones(3) * (1 if ok else 3), 1e-6),
     'TensorEQ(==) violation: max diff=2, tolerance=1e-06'),
    (lambda t, ok: t.assertTensorNe(lg.ones(3), lg.zeros(3) if ok else lg.ones(3)),
     'TensorNE(==) violation: max diff=0, tolerance=0'),
    (lambda t, ok: t.assertTableEq([1, {'a': 2}], [1, {'a': 2 if ok else 5}]),
     'At table location 1.a: EQ failed: 2 ~= 5'),
    (lambda t, ok: t.assertTableNe([1, 2], [1, 3] if ok else [1, 2]), 'The tables are equal'),
    (lambda t, ok: t.assertError((lambda: 1 / 0) if ok else (lambda: None)), 'ERROR violation: err=nil'),
    (lambda t, ok: t.assertNoError((lambda: None) if ok else (lambda: 1 / 0)),
     'ERROR violation: err=division by zero'),
    (lambda t, ok: t.assertErrorMsg(lambda: int('x'), "invalid literal for int() with base 10: 'x'" if ok else 'no'),
     "ERROR violation: err=invalid literal for int() with base 10: 'x'"),
    (lambda t, ok: t.assertErrorPattern(lambda: lg.zeros(2).view(3), 'view' if ok else '^nomatch'),
     'ERROR violation: err='),
    (lambda t, ok: t.assertErrorObj(lambda: [][1], lambda e: isinstance(e, IndexError if ok else KeyError)),
     'ERROR violation: err=list index out of range'),
]


@pytest.mark.parametrize('call,message', CASES)
def test_each_assertion_passes_and_fails_with_tester_lua_message(call, message):
    """Tester.lua: an assertion returns true and counts a pass, or returns false and records its message
    (BOOL violation, LT/GT/LE/GE/EQ/NE failed, ALMOST_EQ, TensorEQ(==) violation, table locations,
    ERROR violation) under the running test's name."""
    t = lg.Tester()
    assert call(t, True) is True and t.errors == []
    assert call(t, False) is False
    assert failures(t)[0].startswith(message)
    assert t.assertionPass[''] == 1 and t.assertionFail[''] == 1


def test_message_is_prefixed_and_tolerance_and_message_come_in_either_order():
    """Tester.lua's getMessage and getToleranceAndMessage: the user's message is the first line of the failure;
    assertTensorEq/assertalmosteq/eq take 'tolerance, message' or 'message, tolerance'; a second number, a
    second string, another type or a negative tolerance is an error."""
    t = lg.Tester()
    assert not t.asserteq(1, 2, 'mine')
    assert t.errors[-1].split('\n')[:2] == ['mine', 'EQ failed: 1 ~= 2']
    assert t.assertTensorEq(lg.ones(2), lg.ones(2) + 0.5, 'msg', 0.5)
    assert not t.assertTensorEq(lg.ones(2), lg.ones(2) + 0.5, 0.4, 'msg')
    assert t.errors[-1].split('\n')[:2] == ['msg', 'TensorEQ(==) violation: max diff=0.5, tolerance=0.4']
    for bad in [(0.1, 0.2), ('a', 'b'), ([1],)]:
        with pytest.raises(TypeError, match='legonn.Tester.assertTensorEq'):
            t.assertTensorEq(lg.ones(2), lg.ones(2), *bad)
    with pytest.raises(ValueError, match='tolerance cannot be negative'):
        t.eq(1, 1, -1)
    with pytest.raises(TypeError, match='message parameter must be a string'):
        t.asserteq(1, 1, 3)


def test_assertalmosteq_default_tolerance_is_1e16():
    """Tester.lua's assertalmosteq: tolerance 1e-16 unless given."""
    t = lg.Tester()
    assert t.assertalmosteq(0.1 + 0.2, 0.3)                  # 5.6e-17 apart
    assert not t.assertalmosteq(1 + 2 ** -52, 1.0)
    assert failures(t) == ['ALMOST_EQ failed: 1 ~= 1 with tolerance=1e-16']   # Lua's tostring: 14 digits


def test_tensor_equality_rules():
    """Tester.lua's check.areTensorsEq: assertTensorEq ignores dimensions when the element counts match (with
    a warning), eq does not; types must match; NaN never equals; empty tensors are equal; NumPy arrays are
    tensors; the difference is taken in the tensors' own precision."""
    t = lg.Tester()
    assert t.assertTensorEq(lg.ones(1, 4), lg.ones(4))
    assert t.warnings[-1].startswith('Tensors have the same content but different dimensions.')
    assert not t.eq(lg.ones(1, 4), lg.ones(4))
    assert failures(t)[-1] == 'The tensors have different dimensions'
    assert not t.assertTensorEq(lg.ones(2, 3), lg.ones(5))
    assert failures(t)[-1] == 'The tensors have different sizes'
    assert not t.assertTensorEq(lg.ones(3), lg.ones(3).double())
    assert failures(t)[-1] == 'The tensors have different types'
    nan = lg.ones(2)
    nan[0] = float('nan')
    assert not t.assertTensorEq(nan, nan.clone(), 1e9)
    assert failures(t)[-1] == 'TensorEQ(==) violation: max diff=nan, tolerance=1000000000'
    assert t.assertTensorEq(lg.Tensor(), lg.Tensor())
    assert t.assertTensorEq(np.arange(3.0), lg.DoubleTensor([0, 1, 2]))
    assert t.eq(lg.ByteTensor([0, 2]), lg.ByteTensor([2, 0]), 2)   # Byte differences do not wrap round
    assert t.eq(lg.FloatStorage([1, 2]), lg.FloatStorage([1, 2.5]), 0.5)
    assert not t.eq(lg.FloatStorage([1, 2]), lg.FloatStorage([1]))
    assert failures(t)[-1] == 'The storages have different sizes'
    with pytest.raises(TypeError, match='First argument should be a Tensor, got list'):
        t.assertTensorEq([1], lg.ones(1))


def test_table_equality_reports_the_shallowest_difference():
    """Tester.lua's check.areTablesEq walks breadth first and names the location (keys joined by dots, list
    positions 0-based in a port) and a missing entry on either side; tensors inside tables compare exactly."""
    t = lg.Tester()
    deep = {'a': {'b': {'c': 1}}, 'z': 1}
    assert not t.assertTableEq(deep, {'a': {'b': {'c': 2}}, 'z': 2})
    assert failures(t)[-1] == 'At table location z: EQ failed: 1 ~= 2'
    assert not t.assertTableEq([1, 2], [1])
    assert failures(t)[-1] == 'Entry 1 missing in second table (is 2 in first)'
    assert not t.assertTableEq({'x': 1}, {'x': 1, 'y': 3})
    assert failures(t)[-1] == 'Entry y missing in first table (is 3 in second)'
    assert t.assertTableEq([lg.ones(2), (1, 2)], [lg.ones(2), [1, 2]])
    assert not t.assertTableEq([lg.ones(2)], [lg.zeros(2)])
    assert failures(t)[-1] == 'At table location 0: TensorEQ(==) violation: max diff=1, tolerance=0'
    with pytest.raises(TypeError, match='Second argument should be a Table'):
        t.assertTableEq([1], 1)


def test_assert_and_assertne_warn_as_tester_lua_does():
    """Tester.lua: assert on a non-boolean and assertne on tables or userdata pass or fail as usual and add a
    warning."""
    t = lg.Tester()
    assert t.assert_(1)
    assert t.warnings[-1].startswith(' :assert should only be used for boolean conditions.')
    assert t.assertne([1], [2])
    assert t.warnings[-1].startswith(' :assertne should only be used to compare basic lua objects')
    assert t._warningCount[''] == 2


def test_asserteq_and_assertne_compare_tables_and_tensors_as_lua_does():
    """Tester.lua's asserteq/assertne use Lua's == and ~=: a table or a tensor equals only itself (assertne
    warns for them; eq and assertTableEq compare contents)."""
    t = lg.Tester()
    x = lg.ones(2)
    assert t.asserteq(x, x) and not t.asserteq(x, x.clone())
    assert not t.asserteq([1], [1]) and t.eq([1], [1])
    assert t.assertne(x, x.clone()) and not t.assertne(x, x)
    assert t.asserteq('a', 'a') and t.asserteq(2, 2.0)


REPORT = """Running 3 tests
1/3 good ................................................................ [WAIT]\r\
1/3 good ................................................................ [PASS]
2/3 bad ................................................................. [WAIT]\r\
2/3 bad ................................................................. [FAIL]
3/3 boom ................................................................ [WAIT]\r\
3/3 boom ................................................................ [ERROR]
Completed 4 asserts in 3 tests with 1 failure and 1 error
--------------------------------------------------------------------------------
bad
EQ failed: 1 ~= 2
"""


def make_suite(tester):
    suite = lg.TestSuite()

    @suite
    def good():
        tester.asserteq(1, 1)
        tester.assertTensorEq(lg.ones(2), lg.ones(2), 1e-6)

    @suite
    def bad():
        tester.asserteq(1, 2)
        tester.asserteq(2, 2)

    def boom():
        raise RuntimeError('kaput')
    suite.boom = boom
    return suite


def test_report_text_and_failing_run_raises(capsys):
    """Tester.lua's _run and _report: 'Running N tests', one line per test (WAIT overwritten by PASS, FAIL or
    ERROR after a carriage return, dots to 80 columns), 'Completed ... asserts in ... tests with ... failures
    and ... errors', then each failure (test name, message, where) and each error's traceback between lines of
    80 dashes; run raises 'An error was found while running tests!' afterwards, so a script exits non-zero."""
    tester = lg.Tester()
    tester.add(make_suite(tester))
    with pytest.raises(AssertionError, match='An error was found while running tests!'):
        tester.run()
    out = capsys.readouterr().out
    assert out.startswith(REPORT)
    assert 'in bad\n' in out.split('-' * 80)[1]          # the failing assertion's location
    boom = out.split('-' * 80)[2]
    assert boom.startswith('\nboom\n Function call failed\nTraceback') and 'RuntimeError: kaput' in boom
    assert out.endswith('-' * 80 + '\n')
    assert tester.countasserts == 4


def test_passing_run_returns_zero_and_selects_tests_by_pattern(capsys):
    """Tester.lua's run(testNames): a name or a list of patterns (matched unanchored, as string.match) picks
    the tests; a pattern matching none is an error; a passing run returns 0 and prints no sections."""
    tester = lg.Tester()
    tester.add(make_suite(tester))
    assert tester.run('goo') == 0
    out = capsys.readouterr().out
    assert out == ('Running 1 test\n1/1 good ' + '.' * 64 + ' [WAIT]\r1/1 good ' + '.' * 64 + ' [PASS]\n'
                   'Completed 2 asserts in 1 test with 0 failures and 0 errors\n')
    with pytest.raises(AssertionError):
        tester.run(['good', 'bad'])
    assert 'Running 2 tests' in capsys.readouterr().out
    with pytest.raises(ValueError, match="Couldn't find test 'nothing'"):
        tester.run('nothing')


def test_early_abort_summary_only_and_disable(capsys):
    """Tester.lua: setEarlyAbort stops after the first test that fails; setSummaryOnly prints the summary line
    without the sections; disable skips a test, printed SKIP and counted 'disabled'."""
    tester = lg.Tester()
    tester.add(make_suite(tester))
    tester.setEarlyAbort(True)
    tester.setSummaryOnly(True)
    with pytest.raises(AssertionError):
        tester.run()
    out = capsys.readouterr().out
    assert 'Aborting on first error, not all tests have been executed\n' in out
    assert 'boom' not in out and '-' * 80 not in out
    tester = lg.Tester()
    tester.add(make_suite(tester)).disable(['bad', 'boom'])
    assert tester.run() == 0
    out = capsys.readouterr().out
    assert '[SKIP]' in out and out.endswith('Completed 2 asserts in 3 tests with 0 failures and 0 errors '
                                            'and 2 disabled\n')


def test_rethrow_errors_lets_failures_and_exceptions_out():
    """Tester.lua's setRethrowErrors: a failed assertion raises its message, and a test's own error propagates
    out of run."""
    tester = lg.Tester()
    tester.add(make_suite(tester))
    tester.setRethrowErrors(True)
    with pytest.raises(AssertionError, match=r'^EQ failed: 1 ~= 2$'):
        tester.run('bad')
    with pytest.raises(RuntimeError, match='kaput'):
        tester.run('boom')


def test_setup_teardown_and_warning_marker(capsys):
    """Tester.lua's add: members named _setUp and _tearDown run around each test with its name; a test that
    passed with a warning gets a '[+warning]' line and the summary counts it."""
    tester = lg.Tester()
    calls = []
    suite = lg.TestSuite()
    suite._setUp = lambda name: calls.append(('up', name))
    suite._tearDown = lambda name: calls.append(('down', name))
    suite.warns = lambda: tester.assert_(1)
    assert tester.add(suite).run() == 0
    assert calls == [('up', 'warns'), ('down', 'warns')]
    out = capsys.readouterr().out
    assert '\n' + ' ' * 70 + '[+warning]\n' in out
    assert 'with 0 failures and 0 errors and 1 warning\n' in out


def test_suite_and_add_errors():
    """TestSuite.lua and Tester.lua's add: a test defined twice, a member that is not a function, nested
    suites, a name given with a suite and a duplicate test name are errors; a plain dict is accepted with a
    warning; a function added alone is named after itself."""
    suite = lg.TestSuite()
    suite.a = lambda: None
    with pytest.raises(ValueError, match='Test a is already defined.'):
        suite.a = lambda: None
    with pytest.raises(TypeError, match='Only functions are supported'):
        suite.b = 3
    with pytest.raises(TypeError, match='Nested tables of tests are not supported'):
        suite.c = lg.TestSuite()
    assert suite.a is suite['a'] and list(suite.tests()) == ['a']
    tester = lg.Tester()
    with pytest.raises(ValueError, match='Name parameter is forbidden'):
        tester.add(suite, 'x')
    tester.add({'d': lambda: None})
    assert tester.warnings[-1].startswith('Should use TestSuite')

    def named():
        pass
    tester.add(named)
    assert list(tester.tests) == ['d', 'named']
    with pytest.raises(ValueError, match='Test with name named already exists!'):
        tester.add(named)
    with pytest.raises(TypeError, match='Only tables of functions and functions supported'):
        tester.add(3)


def test_snake_case_aliases():
    """DESIGN.md decision 2: every public camelCase method has a snake_case alias."""
    t = lg.Tester()
    assert t.assert_tensor_eq(lg.ones(2), lg.ones(2)) and not t.assert_table_eq([1], [2])
    t.set_early_abort(True)
    assert t.earlyAbort is True


@pytest.mark.gpu
def test_tensor_assertions_on_cuda_tensors():
    """Tester.lua's check.areTensorsEq on CudaTensors: the largest difference is taken on the device; a
    CudaTensor and a FloatTensor are of different types; CUDA storages compare too."""
    t = lg.Tester()
    a = lg.FloatTensor([1, 2, 3]).cuda()
    assert t.assertTensorEq(a, a + 1e-7, 1e-6)
    assert not t.assertTensorEq(a, a * 2, 1.5)
    assert failures(t)[-1] == 'TensorEQ(==) violation: max diff=3, tolerance=1.5'
    assert not t.eq(a, a.float())
    assert failures(t)[-1] == 'The tensors have different types'
    assert t.eq(a.storage(), (a + 0.25).storage(), 0.25)


def test_doc_tester_md_example(capsys):
    """torch7's doc/tester.md first example, ported: testA (eq of tensors differing by 1) and testC
    (assertNoError of a function reading an undefined global) fail, testB (eq of tables with a tolerance)
    passes; 'Completed 3 asserts in 3 tests with 2 failures and 0 errors', then each failure's message lines
    between dashes, and run raises 'An error was found while running tests!'."""
    mytest = lg.TestSuite()
    tester = lg.Tester()

    @mytest
    def testA():
        a = lg.Tensor([1, 2, 3])
        b = lg.Tensor([1, 2, 4])
        tester.eq(a, b, "a and b should be equal")

    @mytest
    def testB():
        a = [2, lg.Tensor([1, 2, 2])]
        b = [2, lg.Tensor([1, 2, 2.001])]
        tester.eq(a, b, 0.01, "a and b should be approximately equal")

    @mytest
    def testC():
        def myfunc():
            return "hello " + eval('world')   # the doc's undefined global (eval keeps pyflakes quiet)
        tester.assertNoError(myfunc, "myfunc shouldn't give an error")

    tester.add(mytest)
    with pytest.raises(AssertionError, match='An error was found while running tests!'):
        tester.run()
    out = capsys.readouterr().out
    lines = [line.split('\r')[-1] for line in out.split('\n')]
    assert lines[:5] == ['Running 3 tests', '1/3 testA ' + '.' * 63 + ' [FAIL]', '2/3 testB ' + '.' * 63 + ' [PASS]',
                         '3/3 testC ' + '.' * 63 + ' [FAIL]',
                         'Completed 3 asserts in 3 tests with 2 failures and 0 errors']
    sections = out.split('-' * 80 + '\n')
    assert sections[1].startswith('testA\na and b should be equal\nTensorEQ(==) violation: max diff=1, tolerance=0\n')
    assert sections[2].startswith("testC\nmyfunc shouldn't give an error\n"
                                  "ERROR violation: err=name 'world' is not defined\n")


def test_a_nil_tolerance_or_message_ends_the_arguments_as_ipairs_does():
    """Tester.lua's getToleranceAndMessage walks its arguments with ``ipairs``, which stops at the first nil:
    torch/nn's test.lua hands its ``equal`` helper's nil message on (``mytester:eq(t1, t2, 0.00001, msg)``),
    and what follows a nil is never read."""
    t = lg.Tester()
    assert t.eq(1.0, 1.000001, 0.00001, None)
    assert not t.eq(1.0, 1.1, 0.00001, None)
    assert t.errors[-1].startswith('EQ failed: 1 ~= 1.1 with tolerance=1e-05\n')
    # the tolerance after the nil is never read: the default, 0, applies and no message is prefixed
    assert t.assertTensorEq(lg.ones(2), lg.ones(2) + 0.5, None, 'never read', 0.6) is False
    assert t.errors[-1].startswith('TensorEQ(==) violation: max diff=0.5, tolerance=0\n')


def test_assert_tests_a_non_boolean_as_lua_does():
    """Tester.lua's assert passes a non-boolean condition as Lua's ``if`` does (only nil, here None, is false),
    with a warning: ``tester:assert({})`` and ``tester:assert(0)`` pass (torch7's test_Tester.lua,
    checkWarningOnAssertObject)."""
    t = lg.Tester()
    assert t.assert_({}) and t.assert_(0) and t.assert_([])
    assert not t.assert_(None) and t.errors[-1].find('BOOL violation condition=nil') != -1
    assert t._warningCount[''] == 4


@pytest.mark.parametrize('call', [
    lambda t: t.assert_(True, 'message', 'extra'),
    lambda t: t.assertlt(1, 2, 'message', 'extra'),
    lambda t: t.assertne(1, 2, 'message', 3),
    lambda t: t.assertNoError(lambda: None, 'message', 'extra'),
    lambda t: t.assertErrorPattern(lambda: None, 'x', 'message', 'extra'),
])
def test_arguments_after_the_message_are_an_error(call):
    """Tester.lua's getMessage: ``assert(next{...} == nil, "Unexpected arguments passed to test function")``
    (torch7's test_Tester.lua, checkWarningOnExtraAssertArguments, finds the words in the report)."""
    with pytest.raises(TypeError, match='Unexpected arguments passed to test function'):
        call(lg.Tester())


def test_add_takes_a_plain_list_as_a_lua_table():
    """Tester.lua's add takes any table: a list of functions is added with the plain-table warning, a list
    holding a list is refused as nested (torch7's test_Tester.lua, checkNestedTestsForbidden and
    checkWarningOnUsingTable, which find these words)."""
    tester = lg.Tester()
    with pytest.raises(TypeError, match='Nested sets of tests are not supported'):
        tester.add([[lambda: None]])
    tester.add([lambda: None])
    assert list(tester.tests) == ['0']
    assert tester.warnings[-1].startswith('Should use TestSuite rather than plain lua table')
