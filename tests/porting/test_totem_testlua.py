"""google-deepmind/torch-totem run through its port, tests/porting/totem/, onto ``legonn.totem``: tests/test_totem.lua's
27 tests and its two checks that ``_setUp``/``_tearDown`` ran once per test, and examples/*.lua's reports."""
import importlib
import io
import sys

import pytest

import legonn as lg

from .totem.tests import test_totem as totem_testlua

pytestmark = pytest.mark.usefixtures('double_default')


def test_test_totem_lua_passes_every_test_and_its_set_up_checks(capsys):
    lg.manualSeed(1)
    tester, postTester = totem_testlua.main()   # run() raises AssertionError when a test fails or errors
    out = capsys.readouterr().out
    assert 'Completed 542 asserts in 27 tests with 0 failures and 0 errors' in out
    assert len(tester.tests) == 27
    assert all(tester.assertionFail[name] == 0 and tester.testError[name] == 0 for name in tester.tests)
    # every test made assertions, and the meta-asserts of test_assert counted towards the outer tester
    assert all(tester.assertionPass[name] > 0 for name in tester.tests if name != 'really_test_assert')
    assert tester.assertionPass['test_assert'] == 4
    assert postTester.countasserts == 2 and sum(postTester.assertionFail.values()) == 0


def test_the_sharing_check_of_the_port_fails_on_the_class_that_breaks_sharing():
    """test_checkTypePreservesSharing expects its sub-tester to fail: with Torch7's DoubleTensor default the cast to
    FloatTensor in classWhichBreaksSharing:type makes new tensors; the check sees it."""
    from legonn import nn, totem

    class classWhichBreaksSharing(nn.Linear):
        def type(self, type, tensorCache=None):
            self.weight = self.weight.type(type)
            self.bias = self.bias.type(type)

    mod = classWhichBreaksSharing(10, 10)
    seq = nn.Sequential().add(mod).add(mod.clone('weight', 'bias', 'gradWeight', 'gradBias'))
    dummy = totem.Tester()
    dummy.add(lambda: totem.nn.checkTypePreservesSharing(dummy, seq, 'torch.FloatTensor'), 'checkShouldFail')
    old, sys.stdout = sys.stdout, io.StringIO()
    try:
        with pytest.raises(AssertionError):
            dummy.run()
    finally:
        sys.stdout = old
    assert dummy.assertionFail['checkShouldFail'] == 1
    assert 'Sharing is broken for parameter #0' in dummy.errors[0]


# totem's examples/*.lua, ported in tests/porting/totem/examples: what each run reports in Torch7 (every
# test_storage, test_table and test_tensor test fails one of its two assertions by design; test_simple has a
# failing and a raising test; test_rethrow's C reads a nil global)
EXAMPLE_REPORTS = [
    ('test_simple', 'Completed 3 asserts in 3 tests with 1 failure and 1 error'),
    ('test_storage', 'Completed 8 asserts in 4 tests with 4 failures and 0 errors'),
    ('test_table', 'Completed 14 asserts in 7 tests with 7 failures and 0 errors'),
    ('test_tensor', 'Completed 14 asserts in 7 tests with 7 failures and 0 errors'),
    ('test_rethrow', 'Completed 2 asserts in 3 tests with 0 failures and 1 error and 1 warning'),
]


@pytest.mark.parametrize('name, report', EXAMPLE_REPORTS)
def test_examples_report_what_torch7_reports(name, report, capsys):
    module = importlib.import_module(f'tests.porting.totem.examples.{name}')
    with pytest.raises(AssertionError, match='An error was found while running tests!'):
        module.main([])
    out = capsys.readouterr().out
    assert report + '\n' in out
    assert 'legonn/totem' not in out   # failures point at the example's lines


def test_example_test_nn_passes_its_gradient_and_minibatch_checks(capsys):
    from .totem.examples import test_nn
    lg.manualSeed(2)
    assert test_nn.main([]) == 0
    # checkGradients: 2 comparisons, and the copy module's size check in each of its 1 + (1 + 2 * 110) + (1 + 2 * 50)
    # backward passes (110 parameters, 50 inputs), as nn.lua counts them; checkMinibatch: 2 for each of 5 rows
    assert 'Completed 335 asserts in 2 tests with 0 failures and 0 errors' in capsys.readouterr().out


def test_example_options_list_log_output_and_rethrow(tmp_path, capsys):
    from .totem.examples import test_rethrow, test_simple
    assert test_simple.main(['--list']) == 0
    assert capsys.readouterr().out == 'a\nb\nc\n'
    log = tmp_path / 'log'
    with pytest.raises(AssertionError):
        test_simple.main(['--log-output', str(log), '--summary'])
    assert log.read_text() == 'a 1 1 0\nb 1 0 0\nc 0 0 1\n[total] 2 1 1\n'
    with pytest.raises(TypeError, match='concatenate'):   # --rethrow: C's own error leaves the run
        test_rethrow.main(['--rethrow'])


@pytest.mark.parametrize('name, what', [('test_nested_filenames', 'got str'), ('test_nested_dofile', 'got int')])
def test_nested_examples_are_refused_as_torch7_refuses_them(name, what, capsys):
    """Tester.lua's add takes functions and tables of them only; these two examples predate it."""
    module = importlib.import_module(f'tests.porting.totem.examples.{name}')
    with pytest.raises(TypeError, match=f'Only tables of functions and functions supported, {what}'):
        module.main([])
