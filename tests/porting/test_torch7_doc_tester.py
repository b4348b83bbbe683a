"""torch7/doc/tester.md's examples, ported by docs/porting.md's Tester row (``@mytest`` over a function,
``tester.assert_``), checked against the report the doc shows. A Python traceback stands where Lua's stack
traceback was, and Python's NameError message where Lua's "attempt to concatenate global 'world'"."""
import pytest

import legonn as lg


def report_lines(out):
    """The report as a terminal shows it: Tester.lua (lines 419, 443) writes each test's line with ``[WAIT]``,
    then ``\\r`` and the line again with its result."""
    return [line.split('\r')[-1] for line in out.rstrip('\n').split('\n')]


def test_the_framework_example_reports_two_failures(capsys):
    """tester.md's first example: testA's tensors differ by 1, testB's tables agree within 0.01, testC's
    function fails; ``run`` reports them, then raises "An error was found while running tests!"."""
    mytest = lg.TestSuite()
    tester = lg.Tester()

    @mytest
    def testA():
        a = lg.Tensor([1, 2, 3])
        b = lg.Tensor([1, 2, 4])
        tester.eq(a, b, 'a and b should be equal')

    @mytest
    def testB():
        a = [2, lg.Tensor([1, 2, 2])]
        b = [2, lg.Tensor([1, 2, 2.001])]
        tester.eq(a, b, 0.01, 'a and b should be approximately equal')

    @mytest
    def testC():
        def myfunc():
            return 'hello ' + world                         # noqa: F821 (the undefined global is the point)
        tester.assertNoError(myfunc, "myfunc shouldn't give an error")

    tester.add(mytest)
    with pytest.raises(AssertionError, match='An error was found while running tests!'):
        tester.run()
    lines = report_lines(capsys.readouterr().out)
    dots = lambda name: '.' * (80 - 6 - 2 - 4 - len(name))
    assert lines[0] == 'Running 3 tests'
    assert sorted(lines[1:4]) == sorted([f'1/3 testA {dots("testA")} [FAIL]', f'2/3 testB {dots("testB")} [PASS]',
                                         f'3/3 testC {dots("testC")} [FAIL]'])
    assert lines[4] == 'Completed 3 asserts in 3 tests with 2 failures and 0 errors'
    assert lines[5] == '-' * 80 and lines[6:9] == ['testA', 'a and b should be equal',
                                                    'TensorEQ(==) violation: max diff=1, tolerance=0']
    c = lines.index('testC')
    assert lines[c - 1] == '-' * 80
    assert lines[c + 1] == "myfunc shouldn't give an error"
    assert lines[c + 2].startswith('ERROR violation: err=') and "'world'" in lines[c + 2]


def test_run_selects_tests_by_name_pattern(capsys):
    """"run(testNames)": ``tester:run("test1")`` and ``tester:run({"test2", "test3"})``."""
    ran = []
    tester = lg.Tester()
    suite = lg.TestSuite()
    for name in ('test1', 'test2', 'test3'):
        suite[name] = (lambda n: lambda: ran.append(n) or tester.assert_(True))(name)
    tester.add(suite)
    tester.run('test1')
    assert ran == ['test1']
    tester.run(['test2', 'test3'])
    assert ran == ['test1', 'test2', 'test3']
    tester.run()
    assert sorted(ran[3:]) == ['test1', 'test2', 'test3']


def test_disable_skips_and_reports_the_test(capsys):
    """"disable(testNames)": ``tester:add(tests):disable('brokenTest'):run()``."""
    tester = lg.Tester()
    tests = lg.TestSuite()
    called = []

    @tests
    def brokenTest():
        called.append(True)

    tester.add(tests).disable('brokenTest').run()
    assert called == []
    assert report_lines(capsys.readouterr().out) == [
        'Running 1 test',
        '1/1 brokenTest ' + '.' * (80 - 6 - 2 - 4 - len('brokenTest')) + ' [SKIP]',
        'Completed 0 asserts in 1 test with 0 failures and 0 errors and 1 disabled']


def test_a_test_suite_refuses_a_second_test_of_the_same_name():
    """"TestSuite": defining ``test.myTest`` twice fails with "Test myTest is already defined."."""
    test = lg.TestSuite()

    @test
    def myTest():
        pass

    with pytest.raises(ValueError, match='Test myTest is already defined.'):
        @test
        def myTest():                                          # noqa: F811 (the duplicate is the point)
            pass
