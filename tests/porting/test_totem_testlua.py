"""google-deepmind/torch-totem's tests/test_totem.lua run through its port, tests/porting/totem_testlua.py, onto
``legonn.totem``: the script's 27 tests and its two checks that ``_setUp``/``_tearDown`` ran once per test."""
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
