"""google-deepmind/torch-totem's tests/test_totem.lua (BSD licence, Copyright 2014, Google Inc.; commit 21240faf)
ported line by line onto ``legonn.totem``; tests/porting/test_totem_testlua.py runs it (tests/porting/totem/__init__.py
says what else of the repository is ported).

The Lua file is a script: its main chunk is ``main(arg)``, which returns the two testers it ran. Edits beyond Lua
syntax and 0-based indices, each marked where it is made:

* ``subtester._success = function(self) ... end``: an override on one object takes no ``self`` in Python
  (docs/porting.md's ``m.updateGradInput = function(input) ...`` row).
* ``meta_assert_success(subtester:assert(true, MESSAGE))``: the two values returned are spread, ``*`` (the
  "several values as the last entry of an argument list" row).
* ``io.write = function() end`` around a sub-tester's run: ``sys.stdout`` is replaced instead (the
  ``io.write`` row); ``pcall(t.run, t)`` is a ``try`` (the ``x.f(r, y)`` and ``pcall`` rows).
* locals the test functions assign (``test_name_passed_to_setUp``, the call counts) are ``nonlocal`` (the closure
  row); ``postTests.test_setUp(tester)``, called with no argument, names it with a None default (the "fewer
  arguments" row).
* ``torch.class('totem.dummyClass', 'nn.Module')`` is a Python class with ``lua_package = 'totem'``; its
  ``Mod:type(type)`` override takes the cache legonn's containers hand it, as Lua dropped it (the "fewer
  arguments" row).
* Lua tables that are lists and records at once (``{1, "a", key = "value", ...}``) are dicts with 0-based integer
  keys; ``t2[k] = nil`` is ``del t2[k]``.
"""
import io
import sys

import legonn as torch
from legonn import nn, totem
from legonn.pl import tablex


def main(arg=None):
    tester = totem.Tester()

    MESSAGE = "a really useful informative error message"

    subtester = totem.Tester()
    # The message only interests us in case of failure
    subtester._success = lambda: (True, MESSAGE)
    subtester._failure = lambda message: (False, message)

    tests = totem.TestSuite()

    test_name_passed_to_setUp = None
    calls_to_setUp = 0
    calls_to_tearDown = 0

    def meta_assert_success(success, message):
        tester.assert_(success is True, "assert wasn't successful")
        tester.assert_(message.find(MESSAGE) != -1, "message doesn't match")

    def meta_assert_failure(success, message):
        tester.assert_(success is False, "assert didn't fail")
        tester.assert_(message.find(MESSAGE) != -1, "message doesn't match")

    @tests
    def really_test_assert():
        assert subtester.assert_(True, MESSAGE)[0], "subtester:assert doesn't actually work!"
        assert not subtester.assert_(False, MESSAGE)[0], "subtester:assert doesn't actually work!"

    @tests
    def test_assert():
        meta_assert_success(*subtester.assert_(True, MESSAGE))
        meta_assert_failure(*subtester.assert_(False, MESSAGE))

    @tests
    def test_assertTensorEq_alltypes():
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
                if tensor1 == tensor2:
                    meta_assert_success(*subtester.assertTensorEq(t1, t2, 1e-6, MESSAGE))
                else:
                    meta_assert_failure(*subtester.assertTensorEq(t1, t2, 1e-6, MESSAGE))

    @tests
    def test_assertTensorSizes():
        t1 = torch.ones(2)
        t2 = torch.ones(3)
        t3 = torch.ones(1, 2)
        meta_assert_failure(*subtester.assertTensorEq(t1, t2, 1e-6, MESSAGE))
        meta_assert_success(*subtester.assertTensorNe(t1, t2, 1e-6, MESSAGE))
        meta_assert_failure(*subtester.assertTensorEq(t1, t3, 1e-6, MESSAGE))
        meta_assert_success(*subtester.assertTensorNe(t1, t3, 1e-6, MESSAGE))

    @tests
    def test_assertTensorEq():
        t1 = torch.randn(100, 100)
        t2 = t1.clone()
        t3 = torch.randn(100, 100)
        meta_assert_success(*subtester.assertTensorEq(t1, t2, 1e-6, MESSAGE))
        meta_assert_failure(*subtester.assertTensorEq(t1, t3, 1e-6, MESSAGE))

    @tests
    def test_assertTensorNe():
        t1 = torch.randn(100, 100)
        t2 = t1.clone()
        t3 = torch.randn(100, 100)
        meta_assert_success(*subtester.assertTensorNe(t1, t3, 1e-6, MESSAGE))
        meta_assert_failure(*subtester.assertTensorNe(t1, t2, 1e-6, MESSAGE))

    @tests
    def test_assertTensor_epsilon():
        t1 = torch.rand(100, 100)
        t2 = torch.rand(100, 100) * 1e-5
        t3 = t1 + t2
        meta_assert_success(*subtester.assertTensorEq(t1, t3, 1e-4, MESSAGE))
        meta_assert_failure(*subtester.assertTensorEq(t1, t3, 1e-6, MESSAGE))
        meta_assert_success(*subtester.assertTensorNe(t1, t3, 1e-6, MESSAGE))
        meta_assert_failure(*subtester.assertTensorNe(t1, t3, 1e-4, MESSAGE))

    @tests
    def test_assertStorageEq_alltypes():
        allTypes = [
            torch.ByteStorage,
            torch.CharStorage,
            torch.ShortStorage,
            torch.IntStorage,
            torch.LongStorage,
            torch.FloatStorage,
            torch.DoubleStorage,
        ]
        for storage1 in allTypes:
            for storage2 in allTypes:
                s1 = storage1([1, 2, 3, 4])
                s2 = storage2([1, 2, 3, 4])
                if storage1 == storage2:
                    meta_assert_success(*subtester.assertStorageEq(s1, s2, 1e-6, MESSAGE))
                else:
                    meta_assert_failure(*subtester.assertStorageEq(s1, s2, 1e-6, MESSAGE))

    @tests
    def test_assertStorageSizes():
        t1 = torch.ones(2)
        t2 = torch.ones(3)
        meta_assert_failure(*subtester.assertTensorEq(t1, t2, 1e-6, MESSAGE))

    @tests
    def test_assertStorageEq():
        t1 = torch.randn(100, 100)
        t2 = t1.clone()
        t3 = torch.randn(100, 100)
        s1 = t1.storage()
        s2 = t2.storage()
        s3 = t3.storage()
        meta_assert_success(*subtester.assertStorageEq(s1, s2, 1e-6, MESSAGE))
        meta_assert_failure(*subtester.assertStorageEq(s1, s3, 1e-6, MESSAGE))

    @tests
    def test_assertStorageNe():
        t1 = torch.randn(100, 100)
        t2 = t1.clone()
        t3 = torch.randn(100, 100)
        s1 = t1.storage()
        s2 = t2.storage()
        s3 = t3.storage()
        meta_assert_success(*subtester.assertStorageNe(s1, s3, 1e-6, MESSAGE))
        meta_assert_failure(*subtester.assertStorageNe(s1, s2, 1e-6, MESSAGE))

    @tests
    def test_assertTable():
        tensor = torch.rand(100, 100)
        t1 = {0: 1, 1: "a", 'key': "value", 'tensor': tensor, 'subtable': ["nested"]}
        t2 = {0: 1, 1: "a", 'key': "value", 'tensor': tensor, 'subtable': ["nested"]}
        meta_assert_success(*subtester.assertTableEq(t1, t2, MESSAGE))
        meta_assert_failure(*subtester.assertTableNe(t1, t2, MESSAGE))
        for k, v in t1.items():
            x = "something else"
            del t2[k]
            t2[x] = v
            meta_assert_success(*subtester.assertTableNe(t1, t2, MESSAGE))
            meta_assert_failure(*subtester.assertTableEq(t1, t2, MESSAGE))
            del t2[x]
            t2[k] = x
            meta_assert_success(*subtester.assertTableNe(t1, t2, MESSAGE))
            meta_assert_failure(*subtester.assertTableEq(t1, t2, MESSAGE))
            t2[k] = v
            meta_assert_success(*subtester.assertTableEq(t1, t2, MESSAGE))
            meta_assert_failure(*subtester.assertTableNe(t1, t2, MESSAGE))

    @tests
    def test_genericEq():
        tensor = torch.rand(100, 100)
        sameTensor = tensor.clone()
        t1 = {0: 1, 1: "a", 'key': "value", 'tensor': tensor, 'subtable': ["nested"]}
        t2 = {0: 1, 1: "a", 'key': "value", 'tensor': sameTensor, 'subtable': ["nested"]}
        meta_assert_success(*subtester.eq(t1, t2, MESSAGE, 1e-6))
        meta_assert_failure(*subtester.ne(t1, t2, MESSAGE, 1e-6))
        for k, v in t1.items():
            x = "something else"
            del t2[k]
            t2[x] = v
            meta_assert_success(*subtester.ne(t1, t2, MESSAGE, 1e-6))
            meta_assert_failure(*subtester.eq(t1, t2, MESSAGE, 1e-6))
            del t2[x]
            t2[k] = x
            meta_assert_success(*subtester.ne(t1, t2, MESSAGE, 1e-6))
            meta_assert_failure(*subtester.eq(t1, t2, MESSAGE, 1e-6))
            t2[k] = v
            meta_assert_success(*subtester.eq(t1, t2, MESSAGE, 1e-6))
            meta_assert_failure(*subtester.ne(t1, t2, MESSAGE, 1e-6))
        meta_assert_success(*subtester.eq(3, 3, MESSAGE, 1e-6))
        meta_assert_failure(*subtester.ne(3, 3, MESSAGE, 1e-6))
        meta_assert_success(*subtester.ne(3, "3", MESSAGE, 1e-6))
        meta_assert_failure(*subtester.eq(3, "3", MESSAGE, 1e-6))
        meta_assert_success(*subtester.eq("3", "3", MESSAGE, 1e-6))
        meta_assert_failure(*subtester.ne("3", "3", MESSAGE, 1e-6))

    # Returns a Tester with `numSuccess` success cases, `numFailure` failure
    # cases, and with an error if `hasError` is true.
    # Success and fail tests are evaluated with tester:eq
    def genDummyTest(numSuccess, numFailure, hasError=None, ret=None):
        hasError = hasError or False
        ret = ret or False

        dummyTester = totem.Tester()
        dummyTests = totem.TestSuite()

        if numSuccess > 0:
            @dummyTests
            def testDummySuccess():
                for i in range(numSuccess):
                    dummyTester.eq([1], [1], '', 0, ret)

        if numFailure > 0:
            @dummyTests
            def testDummyFailure():
                for i in range(numFailure):
                    dummyTester.eq([1], [2], '', 0, ret)

        if hasError:
            @dummyTests
            def testDummyError():
                raise RuntimeError('dummy error')

        return dummyTester.add(dummyTests)

    def pcall_run(t):   # Lua's pcall(t.run, t): whether it ran without an error
        try:
            t.run()
            return True
        except Exception:   # noqa: BLE001  (pcall catches every error)
            return False

    @tests
    def test_assertEqRet():
        # Create subtester - only a 'ret' value of false should trigger assertions

        retTesterNoAssert = genDummyTest(2, 0, False, True)
        retTesterAssertSuccess = genDummyTest(2, 0, False)
        retTesterAssertFail = genDummyTest(1, 1, False)
        retTesterAssertError = genDummyTest(1, 0, True)
        retTesterAssertErrorFail = genDummyTest(0, 2, True)

        # Change the write function so that the sub testers do not output anything
        oldWrite = sys.stdout
        sys.stdout = io.StringIO()

        success = pcall_run(retTesterNoAssert)
        tester.asserteq(success, True,
                        "retTesterNoAssert should always return true (no asserts)")

        success = pcall_run(retTesterAssertFail)
        tester.asserteq(success, False,
                        "retTesterAssertFail should return false (tests failed)")

        success = pcall_run(retTesterAssertSuccess)
        tester.asserteq(success, True,
                        "retTesterAssertSuccess should return true (tests succeeded)")

        success = pcall_run(retTesterAssertError)
        tester.asserteq(success, False,
                        "retTesterAssertError should return false (tests with error)")

        success = pcall_run(retTesterAssertErrorFail)
        tester.asserteq(success, False,
                        "retTesterAssertErrorFail should return false (tests with error + fail)")

        # Restore write function
        sys.stdout = oldWrite

        tester.asserteq(retTesterNoAssert.countasserts, 0,
                        "retTesterNoAssert should not have asserted")

        tester.asserteq(retTesterAssertFail.countasserts, 2,
                        "retTesterAssertFail should have asserted twice")

        tester.asserteq(retTesterAssertSuccess.countasserts, 2,
                        "retTesterAssertSuccess should have asserted twice")

        tester.asserteq(retTesterAssertError.countasserts, 1,
                        "retTesterAssertError should have asserted once")

        tester.asserteq(retTesterAssertErrorFail.countasserts, 2,
                        "retTesterAssertErrorFail should have asserted twice")

    def good_fn():
        pass

    def bad_fn():
        raise RuntimeError("muahaha!")

    @tests
    def test_assertError():
        meta_assert_success(*subtester.assertError(bad_fn, MESSAGE))
        meta_assert_failure(*subtester.assertError(good_fn, MESSAGE))

    @tests
    def test_assertNoError():
        meta_assert_success(*subtester.assertNoError(good_fn, MESSAGE))
        meta_assert_failure(*subtester.assertNoError(bad_fn, MESSAGE))

    @tests
    def test_assertErrorPattern():
        meta_assert_success(*subtester.assertErrorPattern(bad_fn, "haha", MESSAGE))
        meta_assert_failure(*subtester.assertErrorPattern(bad_fn, "hehe", MESSAGE))

    @tests
    def test_TensorEqChecksEmpty():
        t1 = torch.DoubleTensor()
        t2 = t1.clone()
        t3 = torch.randn(100, 100)

        success, msg = totem.areTensorsEq(t1, t2, 1e-5)
        tester.assert_(success, "areTensorsEq should return true")

        success, msg = totem.areTensorsEq(t1, t3, 1e-5)
        tester.assert_(not success, "areTensorsEq should return false")
        tester.assertErrorPattern(lambda: totem.assertTensorEq(t1, t3, 1e-5),
                                  "different dimensions",
                                  "wrong error message for tensors of different dimensions")

        tester.assertNoError(lambda: totem.assertTensorEq(t1, t2, 1e-5),
                             "assertTensorEq not raising an error")

    @tests
    def test_TensorEqChecks():
        t1 = torch.randn(100, 100)
        t2 = t1.clone()
        t3 = torch.randn(100, 100)

        success, msg = totem.areTensorsEq(t1, t2, 1e-5)
        tester.assert_(success, "areTensorsEq should return true")

        success, msg = totem.areTensorsEq(t1, t3, 1e-5)
        tester.assert_(not success, "areTensorsEq should return false")
        tester.asserteq(torch.type(msg), 'string', "areTensorsEq should return a message")

        tester.assertNoError(lambda: totem.assertTensorEq(t1, t2, 1e-5),
                             "assertTensorEq not raising an error")
        tester.assertError(lambda: totem.assertTensorEq(t1, t3, 1e-5),
                           "assertTensorEq not raising an error")

    @tests
    def test_TensorNeChecks():
        t1 = torch.randn(100, 100)
        t2 = t1.clone()
        t3 = torch.randn(100, 100)

        success, msg = totem.areTensorsNe(t1, t3, 1e-5)
        tester.assert_(success, "areTensorsNe should return true")

        success, msg = totem.areTensorsNe(t1, t2, 1e-5)
        tester.assert_(not success, "areTensorsNe should return false")
        tester.asserteq(torch.type(msg), 'string', "areTensorsNe should return a message")

        tester.assertNoError(lambda: totem.assertTensorNe(t1, t3, 1e-5),
                             "assertTensorNe not raising an error")
        tester.assertError(lambda: totem.assertTensorNe(t1, t2, 1e-5),
                           "assertTensorNe not raising an error")

    @tests
    def test_TensorArgumentErrorMessages():
        t = torch.ones(1)
        funcs = [
            totem.areTensorsEq,
            totem.areTensorsNe,
            totem.assertTensorEq,
            totem.assertTensorNe,
        ]

        for fn in funcs:
            tester.assertErrorPattern(lambda: fn(None, t, 0), "First argument")
            tester.assertErrorPattern(lambda: fn(t, None, 0), "Second argument")
            tester.assertErrorPattern(lambda: fn(t, t, "nan"), "Third argument")

    @tests
    def testSuite_duplicateTests():
        def createDuplicateTests():
            tests = totem.TestSuite()

            @tests
            def testThis():
                pass

            @tests
            def testThis():   # noqa: F811  (the duplicate is the point)
                pass
        tester.assertErrorPattern(createDuplicateTests,
                                  "Test testThis is already defined.")

    @tests
    def test_checkGradientsAcceptsGenericOutput():
        class dummyClass(nn.Module):
            lua_package = 'totem'

            def updateOutput(self, input):
                self.output = {
                    0: {
                        0: torch.randn(3, 5),
                        1: 1,
                        'strKey': 3,
                    },
                    1: 1,
                    2: torch.randn(3, 5),
                    'strKey': 4
                }
                return self.output

            def updateGradInput(self, input, gradOutput):
                self.gradInput = input.clone().fill(0)
                return self.gradInput
        mod = dummyClass()
        totem.nn.checkGradients(tester, mod, torch.randn(5, 5), 1e-6)

    @tests
    def test_checkTypePreservesSharing():
        mod = nn.Linear(10, 10)
        clonedMod = mod.clone('weights', 'bias', 'gradWeight', 'gradBias')
        seq = nn.Sequential().add(mod).add(clonedMod)
        totem.nn.checkTypePreservesSharing(tester, seq)

        class classWhichBreaksSharing(nn.Linear):
            lua_package = 'totem'

            def type(self, type, tensorCache=None):
                self.weight = self.weight.type(type)
                self.bias = self.bias.type(type)
        mod = classWhichBreaksSharing(10, 10)
        clonedMod = mod.clone('weight', 'bias', 'gradWeight', 'gradBias')
        seq = nn.Sequential().add(mod).add(clonedMod)
        dummyTest = totem.Tester()
        test = {}

        def checkShouldFail():
            totem.nn.checkTypePreservesSharing(dummyTest, seq, 'torch.FloatTensor')
        test['checkShouldFail'] = checkShouldFail
        dummyTest.add(test)
        # change io.write behavior to not output sub-tests
        oldWrite = sys.stdout
        sys.stdout = io.StringIO()
        testSuccess = pcall_run(dummyTest)
        sys.stdout = oldWrite
        tester.asserteq(testSuccess, False, 'expect test failure, mod breaks sharing')

    @tests
    def test_returnWithErrorFailureSuccess():
        emptyTest = genDummyTest(0, 0, False)
        sucTest = genDummyTest(1, 0, False)
        multSucTest = genDummyTest(4, 0, False)
        failTest = genDummyTest(0, 1, False)
        errTest = genDummyTest(0, 0, True)

        errFailTest = genDummyTest(0, 1, True)
        errSucTest = genDummyTest(1, 0, True)
        failSucTest = genDummyTest(1, 1, False)

        failSucErrTest = genDummyTest(1, 1, True)

        # change io.write behavior to not output sub-tests
        oldWrite = sys.stdout
        sys.stdout = io.StringIO()

        success = pcall_run(emptyTest)
        tester.asserteq(success, True, "pcall should succeed for empty tests")

        success = pcall_run(sucTest)
        tester.asserteq(success, True, "pcall should succeed for 1 successful test")

        success = pcall_run(multSucTest)
        tester.asserteq(success, True, "pcall should succeed for 2+ successful tests")

        success = pcall_run(failTest)
        tester.asserteq(success, False, "pcall should fail for tests with failure")

        success = pcall_run(errTest)
        tester.asserteq(success, False, "pcall should fail for tests with error")

        success = pcall_run(errFailTest)
        tester.asserteq(success, False, "pcall should fail for error+fail tests")

        success = pcall_run(errSucTest)
        tester.asserteq(success, False, "pcall should fail for error+success tests")

        success = pcall_run(failSucTest)
        tester.asserteq(success, False, "pcall should fail for fail+success tests")

        success = pcall_run(failSucErrTest)
        tester.asserteq(success, False, "pcall should fail for fail+success+err test")

        # restoring io.write original behavior
        sys.stdout = oldWrite

    @tests
    def test_setUp():
        tester.asserteq(test_name_passed_to_setUp, 'test_setUp')
        for key, value in tester.tests.items():
            tester.assertne(key, '_setUp')

    @tests
    def test_tearDown():
        for key, value in tester.tests.items():
            tester.assertne(key, '_tearDown')

    @tests
    def _setUp(name):
        nonlocal test_name_passed_to_setUp, calls_to_setUp
        test_name_passed_to_setUp = name
        calls_to_setUp = calls_to_setUp + 1

    @tests
    def _tearDown(name):
        nonlocal calls_to_tearDown
        calls_to_tearDown = calls_to_tearDown + 1

    tester.add(tests).run(arg=arg)

    # Additional tests to check that _setUp and _tearDown were called.
    test_count = tablex.size(tester.tests)
    postTests = totem.TestSuite()
    postTester = totem.Tester()

    @postTests
    def test_setUp(tester=None):   # noqa: F811  (postTests' own test of that name)
        postTester.asserteq(calls_to_setUp, test_count,
                            "Expected " + str(test_count) + " calls to _setUp")

    @postTests
    def test_tearDown():   # noqa: F811
        postTester.asserteq(calls_to_tearDown, test_count,
                            "Expected " + str(test_count) + " calls to _tearDown")

    postTester.add(postTests).run(arg=arg)
    return tester, postTester
