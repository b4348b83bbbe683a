"""legonn.totem against google-deepmind/torch-totem's Tester.lua, asserts.lua and nn.lua: totem's Tester changes
(dimensions, ``ret``, storages, command-line options), the free asserts and the checks of modules, each passing on
a correct module and failing on one with the bug the check is for."""
import io
import sys
import tempfile

import pytest

import legonn as lg
from legonn import nn, totem


@pytest.fixture(autouse=True)
def _double():
    lg.setdefaulttensortype('torch.DoubleTensor')   # totem's checks are written for Torch7's default
    lg.manualSeed(3)


def run_quietly(tester, arg=None):
    """Run a tester, its report captured (the port's ``io.write = function() end``); True when it passed."""
    old, sys.stdout = sys.stdout, io.StringIO()
    try:
        tester.run(arg=arg)
        return True, sys.stdout.getvalue()
    except AssertionError:
        return False, sys.stdout.getvalue()
    finally:
        sys.stdout = old


def one_test(fn, name='check'):
    tester = totem.Tester()
    tester.add(lambda: fn(tester), name)
    return tester


# --- Tester.lua ------------------------------------------------------------------------------------------------
def test_a_failure_is_reported_where_the_test_asserted():
    """Regression: lg.Tester reported the last frame outside legonn/tensor/tester.py, which for totem.Tester
    (whose _assert_sub calls lg.Tester's) was legonn/totem/tester.py; it is the test's own line, as Tester.lua."""
    def check(tester):
        tester.assertne(10, 10, 'a ~= b')
    passed, out = run_quietly(one_test(check))
    assert not passed
    where = out.split('NE failed: 10 == 10\n')[1].split('\n')[0]
    assert __file__ in where and 'in check' in where
    assert 'legonn/totem' not in out and 'legonn/tensor/tester.py' not in out


def test_assertTensorEq_finds_tensors_of_other_dimensions_unequal_unlike_torch_tester():
    tester = totem.Tester()
    assert not tester.assertTensorEq(lg.ones(2), lg.ones(1, 2), 1e-6)
    assert tester.errors[-1].split('\n')[0] == 'The tensors have different dimensions'
    assert tester.assertTensorNe(lg.ones(2), lg.ones(1, 2), 1e-6)
    assert lg.Tester().assertTensorEq(lg.ones(2), lg.ones(1, 2), 1e-6)   # Tester.lua keeps it for torch's own


def test_eq_with_ret_returns_the_outcome_without_an_assertion():
    tester = totem.Tester()
    tester.add(lambda: None, 'x')   # the counters of the running test
    tester._currentTestName = 'x'
    tester.assertionPass['x'] = tester.assertionFail['x'] = 0
    assert tester.eq([1], [1], '', 0, True) is True
    assert tester.eq([1], [2], '', 0, True) is False
    assert tester.ne([1], [2], '', 0, True) is True
    assert tester.assertionPass['x'] == 0 and tester.assertionFail['x'] == 0 and tester.errors == []
    assert tester.eq([1], [2], 'msg', 0) is False   # without ret it asserts
    assert tester.assertionFail['x'] == 1 and tester._ret is None


def test_assertStorageEq_and_Ne():
    tester = totem.Tester()
    s = lg.DoubleStorage([1, 2, 3])
    assert tester.assertStorageEq(s, lg.DoubleStorage([1, 2, 3.5]), 0.5, 'close')
    assert not tester.assertStorageEq(s, lg.IntStorage([1, 2, 3]), 0.5)
    assert tester.errors[-1].split('\n')[0] == 'The storages have different types'
    assert tester.assertStorageNe(s, lg.DoubleStorage([1, 2]))
    assert not tester.assertStorageNe(s, s.clone() if hasattr(s, 'clone') else lg.DoubleStorage([1, 2, 3]))


def make_tester():
    tester = totem.Tester()
    suite = totem.TestSuite()

    @suite
    def good():
        tester.asserteq(1, 1)
        tester.asserteq(2, 2)

    @suite
    def bad():
        tester.asserteq(1, 2)

    @suite
    def boom():
        raise RuntimeError('kaput')
    return tester.add(suite)


def test_run_reads_tester_lua_options_from_arg(tmp_path, capsys):
    tester = make_tester()
    assert tester.run(arg=['--list']) == 0
    assert capsys.readouterr().out == 'good\nbad\nboom\n'

    log = tmp_path / 'log.txt'
    passed, out = run_quietly(make_tester(), ['--log-output', str(log), '--summary'])
    assert not passed
    assert out.endswith('Completed 3 asserts in 3 tests with 1 failure and 1 error\n')   # no sections
    assert log.read_text() == 'good 2 0 0\nbad 0 1 0\nboom 0 0 1\n[total] 2 1 1\n'

    passed, out = run_quietly(make_tester(), ['good'])
    assert passed and 'Running 1 test\n' in out

    passed, out = run_quietly(make_tester(), ['--early-abort'])
    assert 'Aborting on first error' in out and '3/3' not in out

    with pytest.raises(RuntimeError, match='kaput'):
        run_quietly(make_tester(), ['--rethrow', 'boom'])


def test_run_reads_no_command_line_unless_given():
    """sys.argv (pytest's own arguments here) is never read: the options come from ``arg`` only."""
    passed, out = run_quietly(make_tester(), None)
    assert not passed and out.startswith('Running 3 tests')


# --- asserts.lua ---------------------------------------------------------------------------------------------
def test_free_asserts():
    a = lg.randn(4, 5)
    assert totem.areTensorsEq(a, a.clone()) == (True, None)
    ok, message = totem.areTensorsEq(a, a + 1e-3, 1e-4)
    assert not ok and message.startswith('TensorEQ(==) violation: max diff=')
    assert totem.areTensorsNe(a, a + 1e-3, 1e-4)[0]
    assert totem.areTensorsEq(a, a.float()) == (False, 'The tensors have different types')
    with pytest.raises(AssertionError, match='different dimensions'):
        totem.assertTensorEq(lg.DoubleTensor(), a)
    assert totem.assertTensorNe(a, a * 2)[0]
    assert totem.areStoragesEq(lg.IntStorage([1, 2]), lg.IntStorage([1, 3]), 1)[0]
    with pytest.raises(AssertionError, match='different sizes'):
        totem.assertStorageEq(lg.IntStorage([1, 2]), lg.IntStorage([1]))
    assert totem.assertStorageNe(lg.IntStorage([1, 2]), lg.IntStorage([1, 3]))[0]
    nested = {'x': [1, a], 'y': 'z'}
    assert totem.areEq(nested, {'x': [1, a.clone()], 'y': 'z'})[0]
    assert not totem.areTablesEq(nested, {'x': [1, a + 1], 'y': 'z'})[0]
    assert totem.assertTableEq([1.0, 2.0], [1.0, 2.5], 0.5)[0]
    assert totem.assertTableNe([1, 2], [1, 3])[0]
    with pytest.raises(AssertionError):
        totem.assertTableEq([1], [2])
    assert totem.areEq(3, '3', 0, True) == (True, None)


@pytest.mark.parametrize('fn', [totem.areTensorsEq, totem.areTensorsNe, totem.assertTensorEq, totem.assertTensorNe])
def test_bad_arguments_are_errors_naming_the_function(fn):
    t = lg.ones(1)
    with pytest.raises(TypeError, match=r'legonn\.totem\.areTensorsEq: First argument should be a Tensor, got '
                                        r'NoneType'):
        fn(None, t, 0)
    with pytest.raises(TypeError, match='Second argument'):
        fn(t, [1], 0)
    with pytest.raises(TypeError, match='Third argument should be a number'):
        fn(t, t, 'nan')
    with pytest.raises(TypeError, match='First argument should be a Storage'):
        totem.areStoragesEq(t, t)
    with pytest.raises(TypeError, match='Second argument should be a Table'):
        totem.areTablesEq([1], t)


# --- nn.lua ----------------------------------------------------------------------------------------------------
class WrongGradInput(nn.Linear):
    """Linear whose gradInput is twice what it should be."""
    def updateGradInput(self, input, gradOutput):
        return super().updateGradInput(input, gradOutput).mul(2)


class WrongGradWeight(nn.Linear):
    """Linear that forgets its bias's gradient."""
    def accGradParameters(self, input, gradOutput, scale=1):
        self.gradWeight.addmm(scale, gradOutput.t(), input)


def test_checkGradients_passes_on_correct_modules():
    for module, input in [(nn.Linear(4, 3), lg.randn(5, 4)),
                          (nn.Sequential().add(nn.Linear(4, 3)).add(nn.Tanh()).add(nn.Dropout(0.5)), lg.randn(5, 4)),
                          (nn.CMulTable(), [lg.randn(2, 3), lg.randn(2, 3)]),
                          (nn.ConcatTable().add(nn.Identity()).add(nn.Sigmoid()), lg.randn(3))]:
        tester = one_test(lambda t, m=module, x=input: totem.nn.checkGradients(t, m, x))
        passed, out = run_quietly(tester)
        assert passed, out
        assert tester.countasserts >= 2


@pytest.mark.parametrize('cls, what', [(WrongGradInput, 'wrong grad w.r.t. input'),
                                       (WrongGradWeight, 'wrong grad w.r.t. params')])
def test_checkGradients_finds_a_wrong_gradient(cls, what):
    tester = one_test(lambda t: totem.nn.checkGradients(t, cls(4, 3), lg.randn(5, 4)))
    passed, out = run_quietly(tester)
    assert not passed
    assert [e.split('\n')[1] for e in tester.errors] == [what]


class MeanCentre(nn.Module):
    """input minus the mean of the whole input: a batch is not its rows one by one."""
    def updateOutput(self, input):
        self.output = input - input.mean()
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput - gradOutput.mean()
        return self.gradInput


def test_checkMinibatch():
    tester = one_test(lambda t: totem.nn.checkMinibatch(t, nn.Linear(4, 3), lg.randn(5, 4), 1e-12))
    assert run_quietly(tester)[0] and tester.countasserts == 10
    tester = one_test(lambda t: totem.nn.checkMinibatch(t, MeanCentre(), lg.randn(5, 4)))
    assert not run_quietly(tester)[0]
    assert 'wrong minibatch output' in tester.errors[0]


class KeepsADoubleBuffer(nn.Linear):
    """Linear whose type() casts its parameters but not a buffer of its own."""
    def __init__(self, n, m):
        super().__init__(n, m)
        self.buffer = lg.DoubleTensor(3).zero()

    def type(self, typename=None, cache=None):
        buffer = self.buffer
        result = super().type(typename, cache)
        self.buffer = buffer
        return result


def test_checkTypeCastable():
    tester = one_test(lambda t: totem.nn.checkTypeCastable(t, nn.Linear(4, 3), lg.randn(5, 4), None, 1e-5))
    passed, out = run_quietly(tester)
    assert passed, out
    assert tester.countasserts == 6
    tester = one_test(lambda t: totem.nn.checkTypeCastable(t, KeepsADoubleBuffer(4, 3), lg.randn(5, 4)))
    assert not run_quietly(tester)[0]
    assert 'still contains objects of original type' in tester.errors[0] and 'self.buffer' in tester.errors[0]


def test_checkSerializable(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))   # paths.tmpname's file goes there
    tester = one_test(lambda t: totem.nn.checkSerializable(t, nn.Sequential().add(nn.Linear(4, 3)).add(nn.Tanh()),
                                                           lg.randn(5, 4)))
    passed, out = run_quietly(tester)
    assert passed, out
    assert tester.countasserts == 3
    assert len(list(tmp_path.iterdir())) == 1


class BreaksSharing(nn.Linear):
    """Linear whose type() makes new tensors one by one (totem's classWhichBreaksSharing)."""
    def type(self, typename=None, cache=None):
        self.weight = self.weight.type(typename)
        self.bias = self.bias.type(typename)
        return self


def test_checkTypePreservesSharing():
    mod = nn.Linear(4, 4)
    seq = nn.Sequential().add(mod).add(mod.clone('weight', 'bias', 'gradWeight', 'gradBias'))
    tester = one_test(lambda t: totem.nn.checkTypePreservesSharing(t, seq))
    assert run_quietly(tester)[0]
    mod = BreaksSharing(4, 4)
    seq = nn.Sequential().add(mod).add(mod.clone('weight', 'bias', 'gradWeight', 'gradBias'))
    tester = one_test(lambda t: totem.nn.checkTypePreservesSharing(t, seq))
    assert not run_quietly(tester)[0]
    assert 'Sharing is broken for parameter #0' in tester.errors[0]


def test_io_write_silenced_by_replacing_sys_stdout(capsys):
    """docs/porting.md's io.write row: the Tester writes to sys.stdout as it is when it writes."""
    passed, out = run_quietly(make_tester())
    assert not passed and 'Completed 3 asserts' in out
    assert capsys.readouterr().out == ''


@pytest.mark.gpu
def test_checks_on_cuda():
    """checkTypeCastable to CudaTensor and back, and checkGradients of a CUDA module (float: steps of 1e-3)."""
    lg.setdefaulttensortype('torch.FloatTensor')
    tester = one_test(lambda t: totem.nn.checkTypeCastable(t, nn.Linear(4, 3), lg.randn(5, 4), 'torch.CudaTensor',
                                                           1e-5))
    passed, out = run_quietly(tester)
    assert passed, out
    tester = one_test(lambda t: totem.nn.checkGradients(t, nn.Linear(4, 3).cuda(), lg.randn(5, 4).cuda()))
    passed, out = run_quietly(tester)
    assert passed, out
    tester = one_test(lambda t: totem.nn.checkGradients(t, WrongGradInput(4, 3).cuda(), lg.randn(5, 4).cuda()))
    assert not run_quietly(tester)[0]


def test_snake_case_aliases():
    """DESIGN.md decision 2, for the package's functions and the Tester's methods."""
    assert totem.nn.check_gradients is totem.nn.checkGradients and totem.are_tensors_eq is totem.areTensorsEq
    assert totem.Tester().assert_storage_eq(lg.IntStorage([1]), lg.IntStorage([1]))


def test_type_checks_cast_nothing_under_the_float_default():
    """docs/porting.md's row: totem's default toType is FloatTensor, legonn's default type; built under it, a module
    whose type() breaks sharing passes checkTypePreservesSharing, which fails it under Torch7's DoubleTensor."""
    def sharing_check():
        mod = BreaksSharing(4, 4)
        seq = nn.Sequential().add(mod).add(mod.clone('weight', 'bias', 'gradWeight', 'gradBias'))
        return one_test(lambda t: totem.nn.checkTypePreservesSharing(t, seq))
    lg.setdefaulttensortype('torch.FloatTensor')
    assert run_quietly(sharing_check())[0]
    lg.setdefaulttensortype('torch.DoubleTensor')
    assert not run_quietly(sharing_check())[0]


@pytest.mark.gpu
def test_checkGradients_of_a_stochastic_cuda_module_replays_the_gpu_generator():
    """nn.lua's checkpointRNG saves cutorch's generator too whenever cutorch is loaded, which CUDA code in Lua always
    has done: a CUDA Dropout draws the same mask in every evaluation, whether or not legonn.cutorch was imported."""
    lg.setdefaulttensortype('torch.FloatTensor')
    module = nn.Sequential().add(nn.Linear(4, 3)).add(nn.Dropout(0.5)).cuda()
    tester = one_test(lambda t: totem.nn.checkGradients(t, module, lg.randn(5, 4).cuda()))
    passed, out = run_quietly(tester)
    assert passed, out
