"""Element-Research/rnn's test/test.lua written on torch.Tester, ported literally: its header (the TestSuite,
``precision``, the module-level ``mytester``), two of its tests (Recurrent_oneElement, SequencerCriterion, the
CPU part) and ``rnn.test(tests, benchmark, exclude)``, run through legonn.Tester as the Lua file runs them.
The Lua lines are kept; only the syntax, 0-based class labels and dimensions change."""
import pytest

import legonn as lg
from legonn import nn

torch = lg

# --- test/test.lua's header ---------------------------------------------------------------------------------
rnntest = torch.TestSuite()
precision = 1e-5
mytester = None


@rnntest
def Recurrent_oneElement():
    # test sequence of one element
    x = torch.rand(200)
    target = torch.rand(2)

    rho = 5
    hiddenSize = 100
    # RNN
    r = nn.Recurrent(
        hiddenSize, nn.Linear(200, hiddenSize),
        nn.Linear(hiddenSize, hiddenSize), nn.Sigmoid(),
        rho
    )

    seq = nn.Sequential()
    seq.add(r)
    seq.add(nn.Linear(hiddenSize, 2))

    criterion = nn.MSECriterion()

    output = seq.forward(x)
    criterion.forward(output, target)
    gradOutput = criterion.backward(output, target)

    seq.backward(x, gradOutput)
    seq.updateParameters(0.01)


@rnntest
def SequencerCriterion():
    batchSize = 4
    inputSize = 10
    nStep = 5
    # https://github.com/Element-Research/rnn/issues/128
    criterion = nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1)
    sc = nn.SequencerCriterion(criterion.clone())
    input = []
    target = []
    err2 = 0
    gradInput2 = []
    for i in range(nStep):   # Lua's input[i] = ... grows the table, as append does
        input.append(torch.randn(batchSize, inputSize))
        target.append(torch.randperm(inputSize).narrow(0, 0, batchSize))
        err2 = err2 + criterion.forward(input[i], target[i])
        gradInput2.append(criterion.backward(input[i], target[i]).clone())
    err = sc.forward(input, target)
    mytester.assert_(abs(err - err2) < 0.000001, "SequencerCriterion forward err")
    gradInput = sc.backward(input, target)
    for i in range(nStep):
        mytester.assertTensorEq(gradInput[i], gradInput2[i], 0.000001, "SequencerCriterion backward err " + str(i))

    # test type()
    sc.gradInput = []
    sc.float()

    for i in range(nStep):
        input[i] = input[i].float()
        target[i] = target[i].float()

    err3 = sc.forward(input, target)
    mytester.assert_(abs(err - err3) < 0.000001, "SequencerCriterion forward type err")
    gradInput3 = sc.backward(input, target)
    for i in range(nStep):
        mytester.assertTensorEq(gradInput[i].float(), gradInput3[i], 0.000001,
                                "SequencerCriterion backward type err " + str(i))

    # Test tensor as input
    sc2 = sc.clone()
    split = nn.SplitTable(0)
    input = torch.randn(nStep, batchSize, inputSize).float()
    target = torch.Tensor(nStep, batchSize).float()
    for i in range(nStep):
        target[i] = torch.randperm(inputSize).narrow(0, 0, batchSize)
    errTensorInput = sc.forward(input, target)   # As Tensor
    errTableInput = sc2.forward(split.forward(input), split.forward(target))   # As Table
    mytester.assert_(abs(errTensorInput - errTableInput) == 0, "SequencerCriterion forward type err")
    gradInputTensor = sc.backward(input, target)
    gradInputTable = sc.backward(split.forward(input), split.forward(target))
    mytester.assertTensorEq(gradInputTensor, torch.cat(gradInputTable, 0).view(gradInputTensor.size()), 0,
                            "SequencerCriterion backward type err ")


def rnn_test(tests=None, benchmark_=None, exclude=None):
    """test/test.lua's rnn.test."""
    global mytester
    mytester = torch.Tester()
    mytester.add(rnntest)
    if exclude:
        assert tests
        tests = tests if torch.type(tests) == 'table' else [tests]
        excludes = {}
        for test in tests:
            assert torch.type(test) == 'string'
            excludes[test] = True
        tests = []
        for testname in rnntest.tests():
            if not excludes.get(testname):
                tests.append(testname)
            else:
                print("excluding test: " + testname)
    return mytester.run(tests)


@pytest.fixture(autouse=True)
def double():
    lg.setdefaulttensortype('legonn.DoubleTensor')     # Torch7's default; tests/conftest.py restores Float


def test_rnn_test_lua_runs_through_the_tester(capsys):
    """rnn's test/test.lua: ``rnn.test()`` adds the suite to a torch.Tester and runs it; both tests pass (14
    assertions: SequencerCriterion's forward and backward, as double, float and a tensor input) and the report
    says so."""
    lg.manualSeed(123)
    assert rnn_test() == 0
    out = capsys.readouterr().out
    assert out.startswith('Running 2 tests\n')
    assert out.count('[PASS]') == 2
    assert out.endswith('Completed 14 asserts in 2 tests with 0 failures and 0 errors\n')


def test_rnn_test_lua_selects_and_excludes_tests(capsys):
    """rnn's test/test.lua: ``rnn.test({'SequencerCriterion'})`` runs that test alone through Tester:run's
    name selection; ``rnn.test('SequencerCriterion', nil, true)`` excludes it."""
    assert rnn_test(['SequencerCriterion']) == 0
    assert 'Running 1 test\n1/1 SequencerCriterion' in capsys.readouterr().out
    assert rnn_test('SequencerCriterion', None, True) == 0
    out = capsys.readouterr().out
    assert out.startswith('excluding test: SequencerCriterion\nRunning 1 test\n1/1 Recurrent_oneElement')
