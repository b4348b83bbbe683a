"""torch/torch7's test/test_Tester.lua (the Tester's own tests), ported literally: the Lua's suite ``tests`` is a
``lg.TestSuite`` run by the Lua's ``tester`` with its ``_setUp`` and ``_tearDown``; each ``tests.X`` becomes the
pytest function ``test_X``, which runs that one test through the tester (its report printed, AssertionError
when it failed), and ``test_setUp_tearDown_calls`` is the Lua's closing run of the whole suite and its
``postTests`` (lines 606-626). Each suite function's docstring names its lines.

The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is ``.``, ``tester:assert`` is ``tester.assert_``,
a Lua call that passes on several results (``meta_assert_success(subtester:assert(...))``) spreads a tuple
(``meta_assert_success(*subtester.assert_(...))``), one truncated to its first result by parentheses takes
``[0]``, ``pcall`` is the small ``pcall`` below, and ``a == b`` of classes is ``a is b``. Lua's ``io.write``,
which the Lua replaces to silence a Tester or to read what it prints, is Python's ``sys.stdout``: replaced
with ``contextlib.redirect_stdout`` by ``disableIoWrite``/``captureIoWrite`` and put back by
``enableIoWrite``; ``string.match`` of what was written is ``re.search``."""
import contextlib
import io
import re

import pytest

import legonn as lg

torch = lg

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs

# --- lines 1-33 ---------------------------------------------------------------------------------------------
tester = torch.Tester()

MESSAGE = "a really useful informative error message"

subtester = torch.Tester()
# The message only interests us in case of failure
# (Lua's `function(self) ... end` assigned to the instance: legonn calls the instance's own attribute unbound)
subtester._success = lambda: (True, MESSAGE)
subtester._failure = lambda message: (False, message)

tests = torch.TestSuite()

test_name_passed_to_setUp = None
calls_to_setUp = 0
calls_to_tearDown = 0

_redirects = []


def disableIoWrite():
    _redirects.append(contextlib.redirect_stdout(io.StringIO()))
    _redirects[-1].__enter__()


def captureIoWrite():
    """Lua's ``io.write = function(s) if string.match(s, ...) ... end``: what is written is kept, to be searched."""
    written = io.StringIO()
    _redirects.append(contextlib.redirect_stdout(written))
    _redirects[-1].__enter__()
    return written


def enableIoWrite():
    _redirects.pop().__exit__(None, None, None)


def pcall(f, *args):
    """Lua's ``pcall``: (True, f's result) or (False, the error)."""
    try:
        return True, f(*args)
    except Exception as err:   # noqa: BLE001  (pcall catches every error)
        return False, err


def meta_assert_success(success, message):
    tester.assert_(success is True, "assert wasn't successful")
    tester.assert_(message.find(MESSAGE) != -1, "message doesn't match")


def meta_assert_failure(success, message):
    tester.assert_(success is False, "assert didn't fail")
    tester.assert_(message.find(MESSAGE) != -1, "message doesn't match")


@tests
def really_test_assert():
    """test_Tester.lua lines 35-40."""
    assert subtester.assert_(True, MESSAGE)[0], "subtester:assert doesn't actually work!"
    assert not subtester.assert_(False, MESSAGE)[0], "subtester:assert doesn't actually work!"


@tests
def setEarlyAbort():
    """test_Tester.lua lines 42-65."""
    disableIoWrite()

    for earlyAbort in (False, True):
        myTester = torch.Tester()

        invokedCount = 0
        myTests = {}

        def t1():
            nonlocal invokedCount
            invokedCount = invokedCount + 1
            myTester.assert_(False)
        myTests['t1'] = t1
        myTests['t2'] = myTests['t1']

        myTester.setEarlyAbort(earlyAbort)
        myTester.add(myTests)
        pcall(myTester.run)

        tester.assert_(invokedCount == (1 if earlyAbort else 2),
                       "wrong number of tests invoked for use with earlyAbort")

    enableIoWrite()


@tests
def setRethrowErrors():
    """test_Tester.lua lines 67-79."""
    disableIoWrite()

    myTester = torch.Tester()
    myTester.setRethrowErrors(True)

    def f():
        raise RuntimeError("a throw")
    myTester.add(f)

    tester.assertErrorPattern(lambda: myTester.run(), "a throw", "error should be rethrown")

    enableIoWrite()


@tests
def disable():
    """test_Tester.lua lines 81-109."""
    disableIoWrite()

    for disableCount in (1, 2):
        myTester = torch.Tester()
        tests = {}
        invoked = {'test1': False, 'test2': False}   # Lua's test1Invoked, test2Invoked upvalues

        def test1():
            invoked['test1'] = True

        def test2():
            invoked['test2'] = True
        tests['test1'] = test1
        tests['test2'] = test2
        myTester.add(tests)

        if disableCount == 1:
            myTester.disable('test1').run()
            tester.assert_((not invoked['test1']) and invoked['test2'], "disabled test shouldn't have been invoked")
        else:
            myTester.disable(['test1', 'test2']).run()
            tester.assert_((not invoked['test1']) and (not invoked['test2']),
                           "disabled tests shouldn't have been invoked")

    enableIoWrite()


@tests
def assert_():
    """test_Tester.lua lines 111-114 (``tests.assert``: ``assert`` is a Python keyword)."""
    meta_assert_success(*subtester.assert_(True, MESSAGE))
    meta_assert_failure(*subtester.assert_(False, MESSAGE))


def testEqNe(eqExpected, *args):
    if eqExpected:
        meta_assert_success(*subtester.eq(*args))
        meta_assert_failure(*subtester.ne(*args))
    else:
        meta_assert_failure(*subtester.eq(*args))
        meta_assert_success(*subtester.ne(*args))


testEqNe.__test__ = False   # the Lua's helper, not a pytest test


@tests
def assertGeneral():
    """test_Tester.lua lines 133-148: a general check of :eq and :ne, and of mixed datatypes (in-depth tests of
    specific types, such as Tensor, follow with the functions for them)."""
    one = torch.Tensor([1])

    testEqNe(True, one, one, MESSAGE)
    testEqNe(False, one, 1, MESSAGE)
    testEqNe(True, "hi", "hi", MESSAGE)
    testEqNe(True, [one, 1], [one, 1], MESSAGE)
    testEqNe(True, [[[one]]], [[[one]]], MESSAGE)
    testEqNe(False, [[[one]]], [[one]], MESSAGE)
    testEqNe(True, torch.Storage([1]), torch.Storage([1]), MESSAGE)
    testEqNe(False, torch.FloatStorage([1]), torch.LongStorage([1]), MESSAGE)
    testEqNe(False, torch.Storage([1]), torch.Storage([1, 2]), MESSAGE)
    testEqNe(False, "one", 1, MESSAGE)
    testEqNe(False, [one], [one + torch.Tensor([1e-10])], MESSAGE)
    testEqNe(True, [one], [one + torch.Tensor([1e-10])], 1e-9, MESSAGE)


@tests
def assertlt():
    """test_Tester.lua lines 150-154."""
    meta_assert_success(*subtester.assertlt(1, 2, MESSAGE))
    meta_assert_failure(*subtester.assertlt(2, 1, MESSAGE))
    meta_assert_failure(*subtester.assertlt(1, 1, MESSAGE))


@tests
def assertgt():
    """test_Tester.lua lines 156-160."""
    meta_assert_success(*subtester.assertgt(2, 1, MESSAGE))
    meta_assert_failure(*subtester.assertgt(1, 2, MESSAGE))
    meta_assert_failure(*subtester.assertgt(1, 1, MESSAGE))


@tests
def assertle():
    """test_Tester.lua lines 162-166."""
    meta_assert_success(*subtester.assertle(1, 2, MESSAGE))
    meta_assert_failure(*subtester.assertle(2, 1, MESSAGE))
    meta_assert_success(*subtester.assertle(1, 1, MESSAGE))


@tests
def assertge():
    """test_Tester.lua lines 168-172."""
    meta_assert_success(*subtester.assertge(2, 1, MESSAGE))
    meta_assert_failure(*subtester.assertge(1, 2, MESSAGE))
    meta_assert_success(*subtester.assertge(1, 1, MESSAGE))


@tests
def asserteq():
    """test_Tester.lua lines 174-177."""
    meta_assert_success(*subtester.asserteq(1, 1, MESSAGE))
    meta_assert_failure(*subtester.asserteq(1, 2, MESSAGE))


@tests
def assertalmosteq():
    """test_Tester.lua lines 179-185."""
    meta_assert_success(*subtester.assertalmosteq(1, 1, MESSAGE))
    meta_assert_success(*subtester.assertalmosteq(1, 1 + 1e-17, MESSAGE))
    meta_assert_success(*subtester.assertalmosteq(1, 2, 2, MESSAGE))
    meta_assert_failure(*subtester.assertalmosteq(1, 2, MESSAGE))
    meta_assert_failure(*subtester.assertalmosteq(1, 3, 1, MESSAGE))


@tests
def assertne():
    """test_Tester.lua lines 187-190."""
    meta_assert_success(*subtester.assertne(1, 2, MESSAGE))
    meta_assert_failure(*subtester.assertne(1, 1, MESSAGE))


# The `alsoTestEq` flag is provided to test :eq in addition to :assertTensorEq.
# The behaviour of the two isn't always the same due to handling of tensors of
# different dimensions but the same number of elements.
def testTensorEqNe(eqExpected, alsoTestEq, *args):
    if eqExpected:
        meta_assert_success(*subtester.assertTensorEq(*args))
        meta_assert_failure(*subtester.assertTensorNe(*args))
        if alsoTestEq:
            meta_assert_success(*subtester.eq(*args))
            meta_assert_failure(*subtester.ne(*args))
    else:
        meta_assert_failure(*subtester.assertTensorEq(*args))
        meta_assert_success(*subtester.assertTensorNe(*args))
        if alsoTestEq:
            meta_assert_failure(*subtester.eq(*args))
            meta_assert_success(*subtester.ne(*args))


testTensorEqNe.__test__ = False   # the Lua's helper, not a pytest test


@tests
def assertTensor_types():
    """test_Tester.lua lines 213-232."""
    allTypes = [
        torch.ByteTensor,
        torch.CharTensor,
        torch.ShortTensor,
        torch.IntTensor,
        torch.LongTensor,
        torch.FloatTensor,
        torch.DoubleTensor,
    ]
    for tensor1 in allTypes:
        for tensor2 in allTypes:
            t1 = tensor1().ones(10)
            t2 = tensor2().ones(10)
            testTensorEqNe(tensor1 is tensor2, True, t1, t2, 1e-6, MESSAGE)

    testTensorEqNe(False, True, torch.FloatTensor(), torch.LongTensor(), MESSAGE)


@tests
def assertTensor_sizes():
    """test_Tester.lua lines 234-254. ``torch.Tensor()`` has no dimensions in Torch7 and one, of size 0, in
    legonn (docs/porting.md's empty-tensor row): it still differs from every other tensor here, by its size
    where Torch7 found its dimensions differ."""
    t = torch.Tensor()  # no dimensions
    t2 = torch.ones(2)
    t3 = torch.ones(3)
    t12 = torch.ones(1, 2)
    assert subtester._assertTensorEqIgnoresDims is True  # default state
    testTensorEqNe(False, False, t, t2, 1e-6, MESSAGE)
    testTensorEqNe(False, False, t, t3, 1e-6, MESSAGE)
    testTensorEqNe(False, False, t, t12, 1e-6, MESSAGE)
    testTensorEqNe(False, False, t2, t3, 1e-6, MESSAGE)
    testTensorEqNe(True, False, t2, t12, 1e-6, MESSAGE)
    testTensorEqNe(False, False, t3, t12, 1e-6, MESSAGE)
    subtester._assertTensorEqIgnoresDims = False
    testTensorEqNe(False, True, t, t2, 1e-6, MESSAGE)
    testTensorEqNe(False, True, t, t3, 1e-6, MESSAGE)
    testTensorEqNe(False, True, t, t12, 1e-6, MESSAGE)
    testTensorEqNe(False, True, t2, t3, 1e-6, MESSAGE)
    testTensorEqNe(False, True, t2, t12, 1e-6, MESSAGE)
    testTensorEqNe(False, True, t3, t12, 1e-6, MESSAGE)
    subtester._assertTensorEqIgnoresDims = True  # reset back


@tests
def assertTensor_epsilon():
    """test_Tester.lua lines 256-262."""
    t1 = torch.rand(100, 100)
    t2 = torch.rand(100, 100) * 1e-5
    t3 = t1 + t2
    testTensorEqNe(True, True, t1, t3, 1e-4, MESSAGE)
    testTensorEqNe(False, True, t1, t3, 1e-6, MESSAGE)


@tests
def assertTensor_arg():
    """test_Tester.lua lines 264-276."""
    one = torch.Tensor([1])

    tester.assertErrorPattern(lambda: subtester.assertTensorEq(one, 2), "Second argument should be a Tensor")

    # Test that assertTensorEq support message and tolerance in either ordering
    tester.assertNoError(lambda: subtester.assertTensorEq(one, one, 0.1, MESSAGE))
    tester.assertNoError(lambda: subtester.assertTensorEq(one, one, MESSAGE, 0.1))


@tests
def assertTensor():
    """test_Tester.lua lines 278-285."""
    t1 = torch.randn(100, 100)
    t2 = t1.clone()
    t3 = torch.randn(100, 100)
    testTensorEqNe(True, True, t1, t2, 1e-6, MESSAGE)
    testTensorEqNe(False, True, t1, t3, 1e-6, MESSAGE)
    testTensorEqNe(True, True, torch.Tensor(), torch.Tensor(), MESSAGE)


@tests
def assertTensorDimWarning():
    """test_Tester.lua lines 289-308: calling assertTensorEq with two tensors with the same content but different
    dimensions gives a warning."""
    myTester = torch.Tester()
    myTester.add(lambda: myTester.assertTensorEq(torch.Tensor([[1]]), torch.Tensor([1])))

    written = captureIoWrite()
    myTester.run()
    enableIoWrite()
    warningGiven = re.search('but different dimensions', written.getvalue()) is not None

    tester.assert_(warningGiven, "Calling :assertTensorEq({{1}}, {1}) should give a warning")


def testTableEqNe(eqExpected, *args):
    if eqExpected:
        meta_assert_success(*subtester.assertTableEq(*args))
        meta_assert_failure(*subtester.assertTableNe(*args))
        meta_assert_success(*subtester.eq(*args))
        meta_assert_failure(*subtester.ne(*args))
    else:
        meta_assert_failure(*subtester.assertTableEq(*args))
        meta_assert_success(*subtester.assertTableNe(*args))
        meta_assert_failure(*subtester.eq(*args))
        meta_assert_success(*subtester.ne(*args))


testTableEqNe.__test__ = False   # the Lua's helper, not a pytest test


@tests
def assertTable():
    """test_Tester.lua lines 324-351. The mixed tables ``{1, "a", key = "value", ...}`` are dicts whose list part
    has the 0-based keys 0 and 1 (docs/porting.md's table rows); ``t2[k] = nil`` is ``del t2[k]``."""
    testTableEqNe(True, [1, 2, 3], [1, 2, 3], MESSAGE)
    testTableEqNe(False, [1, 2, 3], [3, 2, 1], MESSAGE)
    testTableEqNe(True, [1, 2, [4, 5]], [1, 2, [4, 5]], MESSAGE)
    testTableEqNe(False, [1, 2, 3], [1, 2], MESSAGE)
    testTableEqNe(False, [1, 2, 3], [1, 2, 3, 4], MESSAGE)
    testTableEqNe(True, [[1]], [[1]], MESSAGE)
    testTableEqNe(False, [[1]], [[[1]]], MESSAGE)
    testTableEqNe(True, [False], [False], MESSAGE)
    testTableEqNe(False, [True], [False], MESSAGE)
    testTableEqNe(False, [False], [True], MESSAGE)

    tensor = torch.rand(100, 100)
    t1 = {0: 1, 1: "a", 'key': "value", 'tensor': tensor, 'subtable': ["nested"]}
    t2 = {0: 1, 1: "a", 'key': "value", 'tensor': tensor, 'subtable': ["nested"]}
    testTableEqNe(True, t1, t2, MESSAGE)
    for k, v in t1.items():
        x = "something else"
        del t2[k]
        t2[x] = v
        testTableEqNe(False, t1, t2, MESSAGE)
        del t2[x]
        t2[k] = x
        testTableEqNe(False, t1, t2, MESSAGE)
        t2[k] = v
        testTableEqNe(True, t1, t2, MESSAGE)


def good_fn():
    pass


def bad_fn():
    raise RuntimeError("muahaha!")


@tests
def assertError():
    """test_Tester.lua lines 356-359."""
    meta_assert_success(*subtester.assertError(bad_fn, MESSAGE))
    meta_assert_failure(*subtester.assertError(good_fn, MESSAGE))


@tests
def assertNoError():
    """test_Tester.lua lines 361-364."""
    meta_assert_success(*subtester.assertNoError(good_fn, MESSAGE))
    meta_assert_failure(*subtester.assertNoError(bad_fn, MESSAGE))


@tests
def assertErrorPattern():
    """test_Tester.lua lines 366-369."""
    meta_assert_success(*subtester.assertErrorPattern(bad_fn, "haha", MESSAGE))
    meta_assert_failure(*subtester.assertErrorPattern(bad_fn, "hehe", MESSAGE))


@tests
def testSuite_duplicateTests():
    """test_Tester.lua lines 371-379."""
    def createDuplicateTests():
        tests = torch.TestSuite()

        @tests
        def testThis():
            pass

        @tests
        def testThis():   # noqa: F811  (the duplicate is the point)
            pass
    tester.assertErrorPattern(createDuplicateTests, "Test testThis is already defined.")


def genDummyTest(numSuccess, numFailure, hasError=False):
    """test_Tester.lua lines 385-414: a Tester with ``numSuccess`` success cases, ``numFailure`` failure cases,
    and with an error if ``hasError`` is true. Success and fail tests are evaluated with tester:eq."""
    dummyTester = torch.Tester()
    dummyTests = torch.TestSuite()

    if numSuccess > 0:
        @dummyTests
        def testDummySuccess():
            for i in range(numSuccess):
                dummyTester.eq([1], [1], '', 0)

    if numFailure > 0:
        @dummyTests
        def testDummyFailure():
            for i in range(numFailure):
                dummyTester.eq([1], [2], '', 0)

    if hasError:
        @dummyTests
        def testDummyError():
            raise RuntimeError('dummy error')

    return dummyTester.add(dummyTests)


@tests
def runStatusAndAssertCounts():
    """test_Tester.lua lines 416-473."""
    emptyTest = genDummyTest(0, 0, False)
    sucTest = genDummyTest(1, 0, False)
    multSucTest = genDummyTest(4, 0, False)
    failTest = genDummyTest(0, 1, False)
    errTest = genDummyTest(0, 0, True)
    errFailTest = genDummyTest(0, 1, True)
    errSucTest = genDummyTest(1, 0, True)
    failSucTest = genDummyTest(1, 1, False)
    failSucErrTest = genDummyTest(1, 1, True)

    disableIoWrite()

    success, msg = pcall(emptyTest.run)
    tester.asserteq(success, True, "pcall should succeed for empty tests")

    success, msg = pcall(sucTest.run)
    tester.asserteq(success, True, "pcall should succeed for 1 successful test")

    success, msg = pcall(multSucTest.run)
    tester.asserteq(success, True, "pcall should succeed for 2+ successful tests")

    success, msg = pcall(failTest.run)
    tester.asserteq(success, False, "pcall should fail for tests with failure")

    success, msg = pcall(errTest.run)
    tester.asserteq(success, False, "pcall should fail for tests with error")

    success, msg = pcall(errFailTest.run)
    tester.asserteq(success, False, "pcall should fail for error+fail tests")

    success, msg = pcall(errSucTest.run)
    tester.asserteq(success, False, "pcall should fail for error+success tests")

    success, msg = pcall(failSucTest.run)
    tester.asserteq(success, False, "pcall should fail for fail+success tests")

    success, msg = pcall(failSucErrTest.run)
    tester.asserteq(success, False, "pcall should fail for fail+success+err test")

    enableIoWrite()

    tester.asserteq(emptyTest.countasserts, 0, "emptyTest should have 0 asserts")
    tester.asserteq(sucTest.countasserts, 1, "sucTest should have 1 assert")
    tester.asserteq(multSucTest.countasserts, 4, "multSucTest should have 4 asserts")
    tester.asserteq(failTest.countasserts, 1, "failTest should have 1 assert")
    tester.asserteq(errTest.countasserts, 0, "errTest should have 0 asserts")
    tester.asserteq(errFailTest.countasserts, 1, "errFailTest should have 1 assert")
    tester.asserteq(errSucTest.countasserts, 1, "errSucTest should have 0 asserts")
    tester.asserteq(failSucTest.countasserts, 2, "failSucTest should have 2 asserts")


@tests
def checkNestedTestsForbidden():
    """test_Tester.lua lines 475-485: ``{{function() end}}`` is a list holding a list."""
    disableIoWrite()

    myTester = torch.Tester()
    myTests = [[lambda: None]]
    tester.assertErrorPattern(lambda: myTester.add(myTests), "Nested sets",
                              "tester should forbid adding nested test sets")

    enableIoWrite()


@tests
def checkWarningOnAssertObject():
    """test_Tester.lua lines 487-507: calling assert with an object generates a warning (and passes: a table is
    true in Lua)."""
    myTester = torch.Tester()
    myTests = {}

    def assertAbuse():
        myTester.assert_({})
    myTests['assertAbuse'] = assertAbuse
    myTester.add(myTests)

    written = captureIoWrite()
    myTester.run()
    enableIoWrite()
    warningGiven = re.search('should only be used for boolean', written.getvalue()) is not None

    tester.assert_(warningGiven, "Should warn on calling :assert(object)")


@tests
def checkWarningOnAssertNeObject():
    """test_Tester.lua lines 509-529: calling assertne with two objects generates a warning."""
    myTester = torch.Tester()
    myTests = {}

    def assertAbuse():
        myTester.assertne({}, {})
    myTests['assertAbuse'] = assertAbuse
    myTester.add(myTests)

    written = captureIoWrite()
    myTester.run()
    enableIoWrite()
    warningGiven = re.search('assertne should only be used to compare basic', written.getvalue()) is not None

    tester.assert_(warningGiven, "Should warn on calling :assertne(obj, obj)")


@tests
def checkWarningOnExtraAssertArguments():
    """test_Tester.lua lines 531-550: calling assert with extra args gives an error."""
    myTester = torch.Tester()
    myTests = {}

    def assertAbuse():
        myTester.assert_(True, "some message", "extra argument")
    myTests['assertAbuse'] = assertAbuse
    myTester.add(myTests)

    written = captureIoWrite()
    tester.assertError(lambda: myTester.run())
    enableIoWrite()
    errorGiven = re.search('Unexpected arguments', written.getvalue()) is not None

    tester.assert_(errorGiven, ":assert should fail on extra arguments")


@tests
def checkWarningOnUsingTable():
    """test_Tester.lua lines 552-568: not using a TestSuite gives a warning."""
    myTester = torch.Tester()
    myTests = {}
    myTester.add(myTests)

    written = captureIoWrite()
    myTester.run()

    enableIoWrite()
    errorGiven = re.search('use TestSuite rather than plain lua table', written.getvalue()) is not None
    tester.assert_(errorGiven, "Using a plain lua table for testsuite should warn")


@tests
def checkMaxAllowedSetUpAndTearDown():
    """test_Tester.lua lines 570-582: at most 1 set-up and at most 1 tear-down function."""
    def f():
        pass
    myTester = torch.Tester()

    for name in ('_setUp', '_tearDown'):
        tester.assertNoError(lambda: myTester.add(f, name), "Adding 1 set-up / tear-down should be fine")
        tester.assertErrorPattern(lambda: myTester.add(f, name), "Only one",
                                  "Adding second set-up / tear-down should fail")


def _test_setUp():
    """test_Tester.lua lines 584-589 (assigned as ``tests.test_setUp``: pytest would run a module-level
    ``test_setUp`` outside the tester)."""
    tester.asserteq(test_name_passed_to_setUp, 'test_setUp')
    for key, value in tester.tests.items():
        tester.assertne(key, '_setUp')


tests.test_setUp = _test_setUp


def _test_tearDown():
    """test_Tester.lua lines 591-595."""
    for key, value in tester.tests.items():
        tester.assertne(key, '_tearDown')


tests.test_tearDown = _test_tearDown


@tests
def _setUp(name):
    """test_Tester.lua lines 597-600."""
    global test_name_passed_to_setUp, calls_to_setUp
    test_name_passed_to_setUp = name
    calls_to_setUp = calls_to_setUp + 1


@tests
def _tearDown(name):
    """test_Tester.lua lines 602-604."""
    global calls_to_tearDown
    calls_to_tearDown = calls_to_tearDown + 1


tester.add(tests)   # line 606's `tester:add(tests):run()`: the run is each test_X below, then the whole suite


def _one_test(name):
    """``test_<name>``: the Lua's run of ``tests.<name>`` alone (``tester:run(name)``, the pattern anchored)."""
    def test():
        tester.run(f'^{name}$')
    test.__name__ = test.__qualname__ = f'test_{name}'
    test.__doc__ = tests[name].__doc__
    return test


for _name in tests.tests():
    if not _name.startswith('_'):
        globals()[_one_test(_name).__name__] = _one_test(_name)
del tests   # a module-level callable named tests is one pytest tries, and fails, to collect


def test_setUp_tearDown_calls():
    """test_Tester.lua lines 606-626: the whole suite run at once, then additional tests to check that _setUp and
    _tearDown were called once per test. The counts start from 0 here, as the Lua's single run starts them:
    the test_X above ran the tests one at a time through the same tester."""
    global calls_to_setUp, calls_to_tearDown
    calls_to_setUp = calls_to_tearDown = 0
    tester.run()

    test_count = 0
    for _ in tester.tests:
        test_count = test_count + 1
    postTests = torch.TestSuite()
    postTester = torch.Tester()

    @postTests
    def test_setUp(tester=None):
        postTester.asserteq(calls_to_setUp, test_count, "Expected " + str(test_count) + " calls to _setUp")

    @postTests
    def test_tearDown():
        postTester.asserteq(calls_to_tearDown, test_count, "Expected " + str(test_count) + " calls to _tearDown")

    postTester.add(postTests).run()
