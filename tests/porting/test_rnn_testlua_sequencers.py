"""Element-Research/rnn's test/test.lua, lines 2513-4551 (``rnntest.Repeater`` ... ``rnntest.AbstractRecurrent_trimZero``,
with the local helpers ``recurrentModule``, ``lstmModule`` and ``firstElement``), ported literally: one test per
``rnntest.X``, each naming its lines. ``rnntest.SequencerCriterion`` (lines 2589-2662) is ported in
tests/porting/test_rnn_tester_port.py and not repeated here. The edits are docs/porting.md's: ``torch.`` is
``lg.``, ``:`` is ``.``, indices, dimensions, class labels and LookupTable indices are 0-based, rnn's time steps are
0-based (the ``AbstractRecurrent`` step row: ``step`` counts the steps forwarded), ``mytester:assertlt(a, b)`` is
``assert a < b`` and ``assertError`` is ``pytest.raises``; the other ``mytester`` calls stay Tester calls, set to
raise (tests/porting/rnn_testlua.py). ``torch.Tensor(n):random(1, k)``, which draws ``1 .. k``, is
``lg.Tensor(n).random(0, k)``: 0-based labels ``0 .. k-1``.

rnn.test runs in Torch7's default type, DoubleTensor (the ``double_default`` fixture)."""
import pytest

import legonn as lg
from legonn import nn, optim
from tests.porting.rnn_testlua import mytester, precision

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as rnn.test() runs


def test_Repeater():
    """test.lua lines 2513-2587: a Repeater of a Recurrent against the Recurrent stepped by hand, then a Repeater
    of a Recurrent against one of a Sequential holding it (the Recursor case)."""
    batchSize = 4
    inputSize = 10
    outputSize = 7
    nStep = 5
    inputModule = nn.Linear(inputSize, outputSize)
    transferModule = nn.Sigmoid()
    # test MLP feedback Module (because of Module:representations())
    feedbackModule = nn.Linear(outputSize, outputSize)
    # rho = nStep
    rnn = nn.Recurrent(outputSize, inputModule, feedbackModule, transferModule, nStep)
    rnn2 = rnn.clone()

    outputs, gradOutputs = {}, {}
    input = lg.randn(batchSize, inputSize)
    for step in range(nStep):
        outputs[step] = rnn.forward(input)
        gradOutputs[step] = lg.randn(batchSize, outputSize)
    gradInputs = {}
    for step in range(nStep - 1, -1, -1):
        gradInputs[step] = rnn.backward(input, gradOutputs[step])

    rnn3 = nn.Repeater(rnn2, nStep)
    outputs3 = rnn3.forward(input)
    gradInput3 = rnn3.backward(input, [gradOutputs[step] for step in range(nStep)])
    mytester.assert_(len(outputs3) == len(outputs), "Repeater output size err")
    mytester.assert_(len(outputs3) == len(gradInputs), "Repeater gradInputs size err")
    gradInput = gradInputs[0].clone().zero()
    for step, output in outputs.items():
        mytester.assertTensorEq(outputs3[step], output, 0.00001, "Repeater output " + str(step))
        gradInput.add(gradInputs[step])
    mytester.assertTensorEq(gradInput3, gradInput, 0.00001, "Repeater gradInput err")

    # test with Recursor

    inputModule = nn.Linear(inputSize, outputSize)
    transferModule = nn.Sigmoid()
    # test MLP feedback Module (because of Module:representations())
    feedbackModule = nn.Linear(outputSize, outputSize)
    # rho = nStep
    rnn = nn.Recurrent(outputSize, inputModule, feedbackModule, transferModule, nStep)
    rnn2 = rnn.clone()

    rnn3 = nn.Repeater(rnn, nStep)
    rnn4 = nn.Repeater(nn.Sequential().add(nn.Identity()).add(rnn2), nStep)

    rnn3.zeroGradParameters()
    rnn4.zeroGradParameters()

    outputs = rnn3.forward(input)
    outputs2 = rnn4.forward(input)

    gradOutputs = [gradOutputs[step] for step in range(nStep)]
    gradInput = rnn3.backward(input, gradOutputs)
    gradInput2 = rnn4.backward(input, gradOutputs)

    mytester.assert_(len(outputs) == len(outputs2), "Repeater output size err")
    for i in range(len(outputs)):
        mytester.assertTensorEq(outputs[i], outputs2[i], 0.0000001, "Repeater(Recursor) output err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001, "Repeater(Recursor) gradInput err")

    rnn3.updateParameters(1)
    rnn4.updateParameters(1)

    params, gradParams = rnn3.parameters()
    params2, gradParams2 = rnn4.parameters()

    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, "Repeater(Recursor) param err " + str(i))
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001, "Repeater(Recursor) gradParam err " + str(i))


def test_RepeaterCriterion():
    """test.lua lines 2663-2716: RepeaterCriterion against its criterion summed over the steps, in double, float
    and with the steps as one tensor. The targets are 0-based classes (``randperm``'s values)."""
    batchSize = 4
    inputSize = 10
    nStep = 5
    criterion = nn.ClassNLLCriterion()
    sc = nn.RepeaterCriterion(criterion.clone())
    input = []
    target = lg.randperm(inputSize).narrow(0, 0, batchSize)
    err2 = 0
    gradInput2 = []
    for i in range(nStep):   # Lua's input[i] = ... grows the table, as append does
        input.append(lg.randn(batchSize, inputSize))
        err2 = err2 + criterion.forward(input[i], target)
        gradInput2.append(criterion.backward(input[i], target).clone())
    err = sc.forward(input, target)
    mytester.assert_(abs(err - err2) < 0.000001, "RepeaterCriterion forward err")
    gradInput = sc.backward(input, target)
    for i in range(nStep):
        mytester.assertTensorEq(gradInput[i], gradInput2[i], 0.000001, "RepeaterCriterion backward err " + str(i))

    # test type()
    sc.float()

    target = target.float()
    for i in range(nStep):
        input[i] = input[i].float()

    err3 = sc.forward(input, target)
    mytester.assert_(abs(err - err3) < 0.000001, "RepeaterCriterion forward type err")
    gradInput3 = sc.backward(input, target)
    for i in range(nStep):
        mytester.assertTensorEq(gradInput[i].float(), gradInput3[i], 0.000001,
                                "RepeaterCriterion backward type err " + str(i))

    # Test tensor as input
    sc.double()
    sc2 = sc.clone()
    split = nn.SplitTable(0)
    input = lg.randn(nStep, batchSize, inputSize)
    target = lg.randperm(inputSize).narrow(0, 0, batchSize)
    errTensorInput = sc.forward(input, target)   # As Tensor
    errTableInput = sc2.forward(split.forward(input), target)   # As Table
    mytester.assert_(abs(errTensorInput - errTableInput) == 0, "RepeaterCriterion forward type err")
    gradInputTensor = sc.backward(input, target)
    gradInputTable = sc.backward(split.forward(input), target)
    mytester.assertTensorEq(gradInputTensor, lg.cat(gradInputTable, 0).view(gradInputTensor.size()), 0,
                            "RepeaterCriterion backward type err ")


def test_RecurrentAttention():
    """test.lua lines 2717-3074: the Lua compares RecurrentAttention with ``nn.RATest``, a copy of an old
    RecurrentAttention written in the test, driving ``nn.ReTest``/``nn.ARTest``, the old Recurrent and
    AbstractRecurrent that test.lua's ``makeOldRecurrent`` (lines 9-513, outside this slice) rebuilds from rnn's
    1-based step internals (``self.rnn.step = step + 1``, ``updateGradInputThroughTime``, ``gradInputs[step]``)."""
    pytest.skip("needs makeOldRecurrent's nn.ReTest/nn.ARTest (test.lua lines 9-513), rnn's old AbstractRecurrent "
                "with 1-based step internals and updateGradInputThroughTime, which legonn's 0-based AbstractRecurrent "
                "(docs/porting.md's rnn time-step row) does not provide")


def test_LSTM_char_rnn():
    """test.lua lines 3416-3716: ``if not benchmark then return end``: the whole test times rnn's LSTM against
    char-rnn's on the GPU; test.lua's ``benchmark`` is false (line 5), so it returns at once."""
    pytest.skip("benchmark only (test.lua's `benchmark` is false): it only times LSTM against char-rnn's LSTM")


def test_Recurrent_checkgrad():
    """test.lua lines 3717-3755: optim.checkgrad of a Sequencer of a Recurrent over a LookupTable; the indices
    are 0-based (``random(0, nIndex)`` draws ``0 .. nIndex-1``)."""
    batchSize = 3
    hiddenSize = 2
    nIndex = 2
    rnn = nn.Recurrent(hiddenSize, nn.LookupTable(nIndex, hiddenSize),
                       nn.Linear(hiddenSize, hiddenSize))
    seq = nn.Sequential() \
        .add(rnn) \
        .add(nn.Linear(hiddenSize, hiddenSize))

    rnn = nn.Sequencer(seq)

    criterion = nn.SequencerCriterion(nn.MSECriterion())
    inputs, targets = [], []
    for i in range(2):
        inputs.append(lg.Tensor(batchSize).random(0, nIndex))
        targets.append(lg.randn(batchSize, hiddenSize))

    parameters, grads = rnn.getParameters()

    def f(x):
        parameters.copy(x)
        # Do the forward prop
        rnn.zeroGradParameters()
        assert grads.sum() == 0
        outputs = rnn.forward(inputs)
        err = criterion.forward(outputs, targets)
        gradOutputs = criterion.backward(outputs, targets)
        rnn.backward(inputs, gradOutputs)
        return err, grads

    err = optim.checkgrad(f, parameters.clone())[0]
    mytester.assert_(err < 0.0001, "Recurrent optim.checkgrad error")


def test_LSTM_checkgrad():
    """test.lua lines 3756-3796: optim.checkgrad of a Recursor of LSTM, Linear, LogSoftMax stepped by hand; the
    targets ``{1, 2, 1, 2}`` are the 0-based classes ``[0, 1, 0, 1]``."""
    hiddenSize = 2
    nIndex = 2
    r = nn.LSTM(hiddenSize, hiddenSize)

    rnn = nn.Sequential()
    rnn.add(r)
    rnn.add(nn.Linear(hiddenSize, nIndex))
    rnn.add(nn.LogSoftMax())
    rnn = nn.Recursor(rnn)

    criterion = nn.ClassNLLCriterion()
    inputs = lg.randn(4, 2)
    targets = lg.Tensor([0, 1, 0, 1]).resize(4, 1)
    parameters, grads = rnn.getParameters()

    def f(x):
        parameters.copy(x)

        # Do the forward prop
        rnn.zeroGradParameters()
        err = 0
        outputs = {}
        for i in range(inputs.size(0)):
            outputs[i] = rnn.forward(inputs[i])
            err = err + criterion.forward(outputs[i], targets[i])
        for i in range(inputs.size(0) - 1, -1, -1):
            gradOutput = criterion.backward(outputs[i], targets[i])
            rnn.backward(inputs[i], gradOutput)
        rnn.forget()
        return err, grads

    err = optim.checkgrad(f, parameters.clone())[0]
    mytester.assert_(err < 0.0001, "LSTM optim.checkgrad error")


def test_Recursor():
    """test.lua lines 3797-4004: Recursor of a Sequential holding a Recurrent, of an LSTM, a Sequencer of a
    Recursor and a Recursor of a Recursor, each against the plain module stepped by hand."""
    batchSize = 4
    inputSize = 3
    hiddenSize = 12
    outputSize = 7
    rho = 5

    # USE CASE 1. Recursor(Recurrent)

    inputModule = nn.Linear(inputSize, outputSize)
    transferModule = nn.Sigmoid()
    # test MLP feedback Module (because of Module:representations())
    feedbackModule = nn.Sequential()
    feedbackModule.add(nn.Linear(outputSize, hiddenSize))
    feedbackModule.add(nn.Sigmoid())
    feedbackModule.add(nn.Linear(hiddenSize, outputSize))
    start = nn.Add(outputSize)

    rnn = nn.Recurrent(start, nn.Identity(), feedbackModule, transferModule.clone(), rho)
    re = nn.Recursor(nn.Sequential().add(inputModule).add(rnn), rho)
    re.zeroGradParameters()

    re2 = nn.Recurrent(start.clone(), inputModule.clone(), feedbackModule.clone(), transferModule.clone(), rho)
    re2.zeroGradParameters()

    inputs = []
    gradOutputs = []
    outputs, outputs2 = [], []
    gradInputs = {}

    for i in range(rho):
        inputs.append(lg.randn(batchSize, inputSize))
        gradOutputs.append(lg.randn(batchSize, outputSize))
        # forward
        outputs.append(re.forward(inputs[i]))
        outputs2.append(re2.forward(inputs[i]))

    gradInputs_2 = {}
    for i in range(rho - 1, -1, -1):
        # backward
        gradInputs_2[i] = re2.backward(inputs[i], gradOutputs[i])

    re2.updateParameters(0.1)

    # recursor requires reverse-time-step order during backward
    for i in range(rho - 1, -1, -1):
        gradInputs[i] = re.backward(inputs[i], gradOutputs[i])

    for i in range(rho):
        mytester.assertTensorEq(outputs[i], outputs2[i], 0.0000001, "Recursor(Recurrent) fwd err " + str(i))
        mytester.assertTensorEq(gradInputs[i], gradInputs_2[i], 0.0000001, "Recursor(Recurrent) bwd err " + str(i))

    re.updateParameters(0.1)

    mlp = nn.Container().add(rnn.feedbackModule).add(rnn.startModule).add(inputModule)
    mlp2 = nn.Container().add(re2.feedbackModule).add(re2.startModule).add(re2.inputModule)

    params, gradParams = mlp.parameters()
    params2, gradParams2 = mlp2.parameters()

    mytester.assert_(len(params) == len(params2), "Recursor(Recurrent) #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, "Recursor(Recurrent) updateParameter err " + str(i))
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001,
                                "Recursor(Recurrent) accGradParams err " + str(i))

    # USE CASE 2. Recursor(LSTM)

    rnn = nn.LSTM(inputSize, outputSize)
    re2 = rnn.clone()
    re = nn.Recursor(nn.Sequential().add(rnn))
    re.zeroGradParameters()
    re2.zeroGradParameters()

    outputs, outputs2 = [], []
    gradInputs = {}

    for i in range(rho):
        # forward
        outputs.append(re.forward(inputs[i]))
        outputs2.append(re2.forward(inputs[i]))

    gradInputs_2 = {}
    for i in range(rho - 1, -1, -1):
        # backward
        gradInputs_2[i] = re2.backward(inputs[i], gradOutputs[i])

    re2.updateParameters(0.1)

    # recursor requires reverse-time-step order during backward
    for i in range(rho - 1, -1, -1):
        gradInputs[i] = re.backward(inputs[i], gradOutputs[i])

    for i in range(rho):
        mytester.assertTensorEq(outputs[i], outputs2[i], 0.0000001, "Recursor(LSTM) fwd err " + str(i))
        mytester.assertTensorEq(gradInputs[i], gradInputs_2[i], 0.0000001, "Recursor(LSTM) bwd err " + str(i))

    re.updateParameters(0.1)

    params, gradParams = rnn.parameters()
    params2, gradParams2 = re2.parameters()

    mytester.assert_(len(params) == len(params2), "Recursor(LSTM) #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, "Recursor(LSTM) updateParameter err " + str(i))
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001, "Recursor(LSTM) accGradParams err " + str(i))

    # USE CASE 3. Sequencer(Recursor)

    re2 = nn.LSTM(inputSize, outputSize)
    lstm2 = re2.clone()
    rec = nn.Recursor(lstm2)
    seq = nn.Sequencer(rec)
    # rnn's AbstractRecurrent never sets these fields: Lua reads nil, Python's getattr needs the default
    mytester.assert_(not getattr(rec, 'copyInputs', None))
    mytester.assert_(not getattr(rec, 'copyGradOutputs', None))
    mytester.assert_(not getattr(lstm2, 'copyInputs', None))
    mytester.assert_(not getattr(lstm2, 'copyGradOutputs', None))

    seq.zeroGradParameters()
    re2.zeroGradParameters()

    outputs = seq.forward(inputs)
    gradInputs = seq.backward(inputs, gradOutputs)

    outputs2 = []
    for i in range(rho):
        outputs2.append(re2.forward(inputs[i]))

    gradInputs_2 = {}
    for i in range(rho - 1, -1, -1):
        gradInputs_2[i] = re2.backward(inputs[i], gradOutputs[i])

    re2.updateParameters(0.1)

    for i in range(rho):
        mytester.assertTensorEq(outputs[i], outputs2[i], 0.0000001, "Sequencer(Recursor(LSTM)) fwd err " + str(i))
        mytester.assertTensorEq(gradInputs[i], gradInputs_2[i], 0.0000001,
                                "Sequencer(Recursor(LSTM)) bwd err " + str(i))

    seq.updateParameters(0.1)

    params, gradParams = seq.parameters()
    params2, gradParams2 = re2.parameters()

    mytester.assert_(len(params) == len(params2), "Sequencer(Recursor(LSTM)) #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001,
                                "Sequencer(Recursor(LSTM)) updateParameter err " + str(i))
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001,
                                "Sequencer(Recursor(LSTM)) accGradParams err " + str(i))

    # USE CASE 4. Recursor(Recursor(LSTM))

    rnn = nn.LSTM(inputSize, outputSize)
    re2 = rnn.clone()
    re = nn.Recursor(nn.Recursor(nn.Sequential().add(rnn)))
    re.zeroGradParameters()
    re2.zeroGradParameters()

    outputs, outputs2 = [], []
    gradInputs = {}

    for i in range(rho):
        # forward
        outputs.append(re.forward(inputs[i]))
        outputs2.append(re2.forward(inputs[i]))

    gradInputs_2 = {}
    for i in range(rho - 1, -1, -1):
        # backward
        gradInputs_2[i] = re2.backward(inputs[i], gradOutputs[i])

    re2.updateParameters(0.1)

    # recursor requires reverse-time-step order during backward
    for i in range(rho - 1, -1, -1):
        gradInputs[i] = re.backward(inputs[i], gradOutputs[i])

    for i in range(rho):
        mytester.assertTensorEq(outputs[i], outputs2[i], 0.0000001, "Recursor(Recursor(LSTM)) fwd err " + str(i))
        mytester.assertTensorEq(gradInputs[i], gradInputs_2[i], 0.0000001,
                                "Recursor(Recursor(LSTM)) bwd err " + str(i))

    re.updateParameters(0.1)

    params, gradParams = rnn.parameters()
    params2, gradParams2 = re2.parameters()

    mytester.assert_(len(params) == len(params2), "Recursor(Recursor(LSTM)) #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001,
                                "Recursor(Recursor(LSTM)) updateParameter err " + str(i))
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001,
                                "Recursor(Recursor(LSTM)) accGradParams err " + str(i))


def test_Recurrence():
    """test.lua lines 4006-4122: a Recurrence of LSTM's recurrentModule against the LSTM, then a Recurrence of
    a hand-made step against a Recurrent. ``rm:insert(m, 1)`` inserts at position 0; the LookupTable's indices are
    0-based (``random(0, nIndex)``); the parameter index ``i ~= 3`` (the unshared gradBias) is ``i != 2``."""
    batchSize = 4
    inputSize = 10
    outputSize = 12
    rho = 3

    # 1. compare to LSTM
    lstm2 = nn.LSTM(inputSize, outputSize)
    rm = lstm2.recurrentModule.clone()
    seq2 = nn.Sequencer(lstm2)

    rm.insert(nn.FlattenTable(), 0)
    recurrence = nn.Recurrence(rm, [[outputSize], [outputSize]], 1)
    lstm = nn.Sequential().add(recurrence).add(nn.SelectTable(0))
    seq = nn.Sequencer(lstm)

    inputs, gradOutputs = [], []
    for i in range(rho):
        inputs.append(lg.randn(batchSize, inputSize))
        gradOutputs.append(lg.randn(batchSize, outputSize))

    seq.zeroGradParameters()
    seq2.zeroGradParameters()

    outputs = seq.forward(inputs)
    outputs2 = seq2.forward(inputs)

    for i in range(rho):
        mytester.assertTensorEq(outputs[i], outputs2[i], 0.0000001, "Recurrence fwd err " + str(i))

    gradInputs = seq.backward(inputs, gradOutputs)
    gradInputs2 = seq2.backward(inputs, gradOutputs)

    for i in range(rho):
        mytester.assertTensorEq(gradInputs[i], gradInputs2[i], 0.0000001, "Recurrence bwd err " + str(i))

    seq.updateParameters(0.1)
    seq2.updateParameters(0.1)

    params, gradParams = seq.parameters()
    params2, gradParams2 = seq2.parameters()

    mytester.assert_(len(params) == len(params2), "Recurrence #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, "Recurrence updateParameter err " + str(i))
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001, "Recurrence accGradParams err " + str(i))

    # 2. compare to simple RNN

    nIndex = 50
    hiddenSize = 20

    inputLayer = nn.LookupTable(nIndex, hiddenSize)
    feedbackLayer = nn.Linear(hiddenSize, hiddenSize)
    outputLayer = nn.Linear(hiddenSize, outputSize)

    rnn = nn.Recurrent(hiddenSize, inputLayer, feedbackLayer, nn.Sigmoid(), 99999)
    rnn.startModule.share(rnn.feedbackModule, 'bias')

    # just so the params are aligned
    seq2_ = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(inputLayer)
             .add(feedbackLayer)) \
        .add(outputLayer)

    seq2 = nn.Sequencer(nn.Sequential().add(rnn).add(outputLayer).add(nn.LogSoftMax()))

    rm = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(inputLayer.clone())
             .add(feedbackLayer.clone())) \
        .add(nn.CAddTable()) \
        .add(nn.Sigmoid())

    seq = nn.Sequencer(nn.Sequential()
                       .add(nn.Recurrence(rm, hiddenSize, 0))
                       .add(outputLayer.clone())
                       .add(nn.LogSoftMax()))

    inputs, gradOutputs = [], []
    for i in range(rho):
        inputs.append(lg.IntTensor(batchSize).random(0, nIndex))
        gradOutputs.append(lg.randn(batchSize, outputSize))

    seq.zeroGradParameters()
    seq2.zeroGradParameters()

    outputs = seq.forward(inputs)
    outputs2 = seq2.forward(inputs)

    for i in range(rho):
        mytester.assertTensorEq(outputs[i], outputs2[i], 0.0000001, "Recurrence RNN fwd err " + str(i))

    seq.backward(inputs, gradOutputs)
    seq2.backward(inputs, gradOutputs)

    seq.updateParameters(0.1)
    seq2.updateParameters(0.1)

    params, gradParams = seq.parameters()
    params2, gradParams2 = seq2_.parameters()

    mytester.assert_(len(params) == len(params2), "Recurrence RNN #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, "Recurrence RNN updateParameter err " + str(i))
        if i != 2:   # the gradBias isn't shared (else udpated twice)
            mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001,
                                    "Recurrence RNN accGradParams err " + str(i))


def test_Recurrence_FastLSTM():
    """test.lua lines 4124-4164 (issue 107): a Recurrence whose recurrentModule holds a FastLSTM. After 3 steps
    the Lua's ``step == 4`` (the next step's number) is legonn's ``step == 3`` (the steps forwarded: the rnn time
    step row of docs/porting.md)."""
    # issue 107
    # this will test the use case where an AbstractRecurrent.recurrentModule
    # contains an AbstractRecurrent instance!

    batchSize = 4
    hiddenSize = 10
    rho = 3

    lstm = nn.FastLSTM(hiddenSize, hiddenSize)

    rm = nn.Sequential() \
        .add(nn.CSubTable()) \
        .add(lstm) \
        .add(nn.Linear(hiddenSize, hiddenSize)) \
        .add(nn.Sigmoid())

    rnn = nn.Recurrence(rm, hiddenSize, 1)

    seq = nn.Sequencer(rnn)

    inputs, gradOutputs = [], []
    for i in range(rho):
        inputs.append(lg.randn(batchSize, hiddenSize))
        gradOutputs.append(lg.randn(batchSize, hiddenSize))

    for n in range(3):
        seq.evaluate()
        seq.training()
        seq.zeroGradParameters()

        seq.forward(inputs)
        seq.backward(inputs, gradOutputs)

        mytester.assert_(rnn.step == 3)
        mytester.assert_(lstm.step == 3)


# mock Recurrent and LSTM recurrentModules for UT
# must be stateless
# forwarding zeros must not return zeros -> use Sigmoid()
def recurrentModule():
    """test.lua lines 4167-4176."""
    recurrent = nn.Sequential()
    parallel = nn.ParallelTable()
    parallel.add(nn.Sigmoid()); parallel.add(nn.Identity())
    recurrent = nn.Sequential()
    recurrent.add(parallel)
    recurrent.add(nn.SelectTable(0))
    return recurrent


def lstmModule():
    """test.lua lines 4177-4186: ``nn.NarrowTable(1, 2)`` keeps entries 0 and 1."""
    recurrent = nn.Sequential()
    parallel = nn.ParallelTable()
    parallel.add(nn.Sigmoid()); parallel.add(nn.Identity()); parallel.add(nn.Identity())
    recurrent = nn.Sequential()
    recurrent.add(parallel)
    recurrent.add(nn.NarrowTable(0, 2))
    return recurrent


def firstElement(a):
    """test.lua lines 4187-4189."""
    return a[0] if isinstance(a, list) else a


def test_MaskZero_main():
    """test.lua lines 4191-4291: MaskZero of the mock recurrent modules: forward of zero and non-zero rows,
    Jacobians through SplitTable, and a ParallelTable of convolution and Linear on inputs with zero rows. Row and
    dimension arguments are 0-based (``r[1]:zero()`` is ``r[0].zero()``, ``narrow(1, 1, n)`` is
    ``narrow(0, 0, n)``, the norm's dimension ``vectorDim - 1``)."""
    recurrents = {'recurrent': recurrentModule(), 'lstm': lstmModule()}
    # Note we use lstmModule input signature and firstElement to prevent duplicate code
    for name, recurrent in recurrents.items():
        # test encapsulated module first
        # non batch
        i = lg.rand(10)
        e = nn.Sigmoid().forward(i)
        o = firstElement(recurrent.forward([i, lg.zeros(10), lg.zeros(10)]))
        mytester.assertlt(lg.norm(o - e), precision, 'mock ' + name + ' failed for non batch')
        # batch
        i = lg.rand(5, 10)
        e = nn.Sigmoid().forward(i)
        o = firstElement(recurrent.forward([i, lg.zeros(5, 10), lg.zeros(5, 10)]))
        mytester.assertlt(lg.norm(o - e), precision, 'mock ' + name + ' module failed for batch')

        # test mask zero module now
        module = nn.MaskZero(recurrent, 1)
        # non batch forward
        i = lg.rand(10)
        e = firstElement(recurrent.forward([i, lg.rand(10), lg.rand(10)]))
        o = firstElement(module.forward([i, lg.rand(10), lg.rand(10)]))
        mytester.assertgt(lg.norm(i - o), precision, 'error on non batch forward for ' + name)
        mytester.assertlt(lg.norm(e - o), precision, 'error on non batch forward for ' + name)
        i = lg.zeros(10)
        o = firstElement(module.forward([i, lg.rand(10), lg.rand(10)]))
        mytester.assertlt(lg.norm(i - o), precision, 'error on non batch forward for ' + name)
        # batch forward
        i = lg.rand(5, 10)
        e = firstElement(recurrent.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        o = firstElement(module.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        mytester.assertgt(lg.norm(i - o), precision, 'error on batch forward for ' + name)
        mytester.assertlt(lg.norm(e - o), precision, 'error on batch forward for ' + name)
        i = lg.zeros(5, 10)
        o = firstElement(module.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        mytester.assertlt(lg.norm(i - o), precision, 'error on batch forward for ' + name)
        i = lg.Tensor([[0, 0, 0], [1, 2, 5]])
        # clone r because it will be update by module:forward call
        r = firstElement(recurrent.forward([i, lg.rand(2, 3), lg.rand(2, 3)])).clone()
        o = firstElement(module.forward([i, lg.rand(2, 3), lg.rand(2, 3)]))
        mytester.assertgt(lg.norm(r - o), precision, 'error on batch forward for ' + name)
        r[0].zero()
        mytester.assertlt(lg.norm(r - o), precision, 'error on batch forward for ' + name)

        # check gradients
        jac = nn.Jacobian
        # Note: testJacobian doesn't support table inputs or outputs
        # Use a SplitTable and SelectTable to adapt module
        module = nn.Sequential()
        module.add(nn.SplitTable(0))
        module.add(nn.MaskZero(recurrent, 1))
        if name == 'lstm':
            module.add(nn.SelectTable(0))

        input = lg.rand(3 if name == 'lstm' else 2, 10)
        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error on state for ' + name)
        # IO
        ferr, berr = jac.testIO(module, input)
        mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err for ' + name)
        mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err for ' + name)
        # batch
        # rebuild module to avoid correlated tests
        module = nn.Sequential()
        module.add(nn.SplitTable(0))
        module.add(nn.MaskZero(recurrent, 1))
        if name == 'lstm':
            module.add(nn.SelectTable(0))

        input = lg.rand(3 if name == 'lstm' else 2, 5, 10)
        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'batch error on state for ' + name)

        # full test on convolution and linear modules
        module = nn.Sequential().add(nn.ParallelTable().add(nn.SpatialConvolution(1, 2, 3, 3)).add(nn.Linear(100, 2)))
        batchNum = 5
        input = [lg.rand(batchNum, 1, 10, 10), lg.rand(batchNum, 100)]
        zeroRowNum = 2
        for i in range(len(input)):
            input[i].narrow(0, 0, zeroRowNum).zero()
        output = module.forward(input)
        for i in range(len(input)):
            for j in range(batchNum):
                rmi = input[i][j].view(-1)   # collapse dims
                vectorDim = rmi.dim()
                rn = rmi.new()
                rn.norm(rmi, 2, vectorDim - 1)
                err = rn[0]
                if j < zeroRowNum:
                    # check zero outputs
                    mytester.assertlt(err, precision, 'batch ' + str(i) + ':' + str(j) + ' error on state for ' + name)
                else:
                    # check non-zero outputs
                    mytester.assertgt(err, precision, 'batch ' + str(i) + ':' + str(j) + ' error on state for ' + name)


def test_TrimZero_main():
    """test.lua lines 4293-4444: TrimZero of the mock recurrent modules against MaskZero, as MaskZero_main, then
    FastLSTM and GRU Sequencers trained with ``maskZero(1)`` and with ``trimZero(1)`` must give the same losses.
    LookupTableMaskZero's indices are 0-based with -1 the padding (docs/porting.md's row): the Lua's ``x`` minus
    one. ``torch.ceil(torch.rand(n))`` (all class 1) is class 0: minus one too."""
    recurrents = {'recurrent': recurrentModule(), 'lstm': lstmModule()}
    # Note we use lstmModule input signature and firstElement to prevent duplicate code
    for name, recurrent in recurrents.items():
        # test encapsulated module first
        # non batch
        i = lg.rand(10)
        e = nn.Sigmoid().forward(i)
        o = firstElement(recurrent.forward([i, lg.zeros(10), lg.zeros(10)]))
        mytester.assertlt(lg.norm(o - e), precision, 'mock ' + name + ' failed for non batch')
        # batch
        i = lg.rand(5, 10)
        e = nn.Sigmoid().forward(i)
        o = firstElement(recurrent.forward([i, lg.zeros(5, 10), lg.zeros(5, 10)]))
        mytester.assertlt(lg.norm(o - e), precision, 'mock ' + name + ' module failed for batch')

        # test mask zero module now
        module = nn.TrimZero(recurrent, 1)
        module2 = nn.MaskZero(recurrent, 1)
        # non batch forward
        i = lg.rand(10)
        e = firstElement(recurrent.forward([i, lg.rand(10), lg.rand(10)]))
        o = firstElement(module.forward([i, lg.rand(10), lg.rand(10)]))
        o2 = firstElement(module2.forward([i, lg.rand(10), lg.rand(10)]))
        mytester.assertgt(lg.norm(i - o), precision, 'error on non batch forward for ' + name)
        mytester.assertlt(lg.norm(e - o), precision, 'error on non batch forward for ' + name)
        mytester.assertlt(lg.norm(o2 - o), precision, 'error on non batch forward for ' + name)
        i = lg.zeros(10)
        o = firstElement(module.forward([i, lg.rand(10), lg.rand(10)]))
        o2 = firstElement(module2.forward([i, lg.rand(10), lg.rand(10)]))
        mytester.assertlt(lg.norm(i - o), precision, 'error on non batch forward for ' + name)
        mytester.assertlt(lg.norm(o2 - o), precision, 'error on non batch forward for ' + name)
        # batch forward
        i = lg.rand(5, 10)
        e = firstElement(recurrent.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        o = firstElement(module.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        o2 = firstElement(module2.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        mytester.assertgt(lg.norm(i - o), precision, 'error on batch forward for ' + name)
        mytester.assertlt(lg.norm(e - o), precision, 'error on batch forward for ' + name)
        mytester.assertlt(lg.norm(o2 - o), precision, 'error on batch forward for ' + name)
        i = lg.zeros(5, 10)
        o = firstElement(module.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        o2 = firstElement(module2.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        mytester.assertlt(lg.norm(i - o), precision, 'error on batch forward for ' + name)
        mytester.assertlt(lg.norm(o2 - o), precision, 'error on batch forward for ' + name)
        i = lg.Tensor([[0, 0, 0], [1, 2, 5]])
        # clone r because it will be update by module:forward call
        r = firstElement(recurrent.forward([i, lg.rand(2, 3), lg.rand(2, 3)])).clone()
        o = firstElement(module.forward([i, lg.rand(2, 3), lg.rand(2, 3)]))
        o2 = firstElement(module2.forward([i, lg.rand(2, 3), lg.rand(2, 3)]))
        mytester.assertgt(lg.norm(r - o), precision, 'error on batch forward for ' + name)
        r[0].zero()
        mytester.assertlt(lg.norm(r - o), precision, 'error on batch forward for ' + name)
        mytester.assertlt(lg.norm(o2 - o), precision, 'error on batch forward for ' + name)

        # check gradients
        jac = nn.Jacobian
        # Note: testJacobian doesn't support table inputs or outputs
        # Use a SplitTable and SelectTable to adapt module
        module = nn.Sequential()
        module.add(nn.SplitTable(0))
        module.add(nn.TrimZero(recurrent, 1))
        if name == 'lstm':
            module.add(nn.SelectTable(0))

        input = lg.rand(3 if name == 'lstm' else 2, 10)
        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error on state for ' + name)
        # IO
        ferr, berr = jac.testIO(module, input)
        mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err for ' + name)
        mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err for ' + name)
        # batch
        # rebuild module to avoid correlated tests
        module = nn.Sequential()
        module.add(nn.SplitTable(0))
        module.add(nn.TrimZero(recurrent, 1))
        if name == 'lstm':
            module.add(nn.SelectTable(0))

        input = lg.rand(3 if name == 'lstm' else 2, 5, 10)
        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'batch error on state for ' + name)

        # full test on convolution and linear modules
        module = nn.Sequential().add(nn.ParallelTable().add(nn.SpatialConvolution(1, 2, 3, 3)).add(nn.Linear(100, 2)))
        batchNum = 5
        input = [lg.rand(batchNum, 1, 10, 10), lg.rand(batchNum, 100)]
        zeroRowNum = 2
        for i in range(len(input)):
            input[i].narrow(0, 0, zeroRowNum).zero()
        output = module.forward(input)
        for i in range(len(input)):
            for j in range(batchNum):
                rmi = input[i][j].view(-1)   # collapse dims
                vectorDim = rmi.dim()
                rn = rmi.new()
                rn.norm(rmi, 2, vectorDim - 1)
                err = rn[0]
                if j < zeroRowNum:
                    # check zero outputs
                    mytester.assertlt(err, precision, 'batch ' + str(i) + ':' + str(j) + ' error on state for ' + name)
                else:
                    # check non-zero outputs
                    mytester.assertgt(err, precision, 'batch ' + str(i) + ':' + str(j) + ' error on state for ' + name)

    # check to have the same loss
    rnn_size = 8
    vocabSize = 7
    word_embedding_size = 10
    x = lg.Tensor([[[1, 2, 3], [0, 4, 5], [0, 0, 7]],
                   [[1, 2, 3], [2, 4, 5], [0, 0, 7]],
                   [[1, 2, 3], [2, 4, 5], [3, 0, 7]]]) - 1   # 0-based words, -1 the padding
    t = lg.ceil(lg.rand(x.size(1))) - 1   # class 0
    rnns = ['FastLSTM', 'GRU']
    methods = ['maskZero', 'trimZero']
    loss = lg.Tensor(len(rnns), len(methods), 3)

    for ir, arch in enumerate(rnns):
        rnn = getattr(nn, arch)(word_embedding_size, rnn_size)
        model = nn.Sequential() \
            .add(nn.LookupTableMaskZero(vocabSize, word_embedding_size)) \
            .add(nn.SplitTable(1)) \
            .add(nn.Sequencer(rnn)) \
            .add(nn.SelectTable(-1)) \
            .add(nn.Linear(rnn_size, 10))
        model.getParameters()[0].uniform(-0.1, 0.1)
        criterion = nn.CrossEntropyCriterion()
        models = []
        for j in range(len(methods)):
            models.append(model.clone())
        for im, method in enumerate(methods):
            model = models[im]
            rnn = model.get(2).module
            getattr(rnn, method)(1)
            for i in range(loss.size(2)):
                model.zeroGradParameters()
                y = model.forward(x[i])
                loss[ir][im][i] = criterion.forward(y, t)
                dy = criterion.backward(y, t)
                model.backward(x[i], dy)
                model.updateParameters(.5)
    mytester.assertTensorEq(loss.select(1, 0), loss.select(1, 1), 0.0000001, "loss check")


def _abstractRecurrent_zeroInputs():
    """The input both AbstractRecurrent_maskZero and AbstractRecurrent_trimZero build (test.lua lines 4446-4458
    and 4500-4512): 4 steps of a batch of 4 sequences of lengths 1 to 4, left-padded with zero rows."""
    inputs = []

    input = lg.zeros(4, 4, 10)
    sequence = lg.randn(4, 10)
    input.select(1, 0).select(0, 3).copy(sequence[0])
    input.select(1, 1).narrow(0, 2, 2).copy(sequence.narrow(0, 0, 2))
    input.select(1, 2).narrow(0, 1, 3).copy(sequence.narrow(0, 0, 3))
    input.select(1, 3).copy(sequence)

    for i in range(4):
        inputs.append(input[i])
    return inputs


def _testmask(inputs, rnn, method):
    """test.lua's local ``testmask`` (lines 4461-4480 and 4515-4534, the same but for ``rnn:maskZero(1)`` or
    ``rnn:trimZero(1)``): the outputs of the padding rows are zero and a sequence's outputs do not depend on the
    padding before it. Rows are 0-based (``outputs[1][4]`` is ``outputs[0][3]``)."""
    seq = nn.Sequencer(getattr(rnn, method)(1))

    outputs = seq.forward(inputs)

    mytester.assert_(abs(outputs[0].narrow(0, 0, 3).sum()) < 0.0000001, lg.type(rnn) + " mask zero 1 err")
    mytester.assert_(abs(outputs[1].narrow(0, 0, 2).sum()) < 0.0000001, lg.type(rnn) + " mask zero 2 err")
    mytester.assert_(abs(outputs[2].narrow(0, 0, 1).sum()) < 0.0000001, lg.type(rnn) + " mask zero 3 err")

    mytester.assertTensorEq(outputs[0][3], outputs[1][2], 0.0000001, lg.type(rnn) + " mask zero err")
    mytester.assertTensorEq(outputs[0][3], outputs[2][1], 0.0000001, lg.type(rnn) + " mask zero err")
    mytester.assertTensorEq(outputs[0][3], outputs[3][0], 0.0000001, lg.type(rnn) + " mask zero err")

    mytester.assertTensorEq(outputs[1][3], outputs[2][2], 0.0000001, lg.type(rnn) + " mask zero err")
    mytester.assertTensorEq(outputs[1][3], outputs[3][1], 0.0000001, lg.type(rnn) + " mask zero err")

    mytester.assertTensorEq(outputs[2][3], outputs[3][2], 0.0000001, lg.type(rnn) + " mask zero err")


def _abstractRecurrent_stepModule():
    """test.lua lines 4482-4487 (and 4536-4541): the Recurrence's step module."""
    return nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.Linear(10, 10))
             .add(nn.Linear(10, 10))) \
        .add(nn.CAddTable()) \
        .add(nn.Sigmoid())


def test_AbstractRecurrent_maskZero():
    """test.lua lines 4445-4497: ``maskZero(1)`` of a Recurrence, an LSTM and a GRU; Recurrent refuses it."""
    inputs = _abstractRecurrent_zeroInputs()

    rm = _abstractRecurrent_stepModule()

    _testmask(inputs, nn.Recurrence(rm, 10, 1), 'maskZero')
    _testmask(inputs, nn.LSTM(10, 10), 'maskZero')
    _testmask(inputs, nn.GRU(10, 10), 'maskZero')

    with pytest.raises(TypeError, match="maskZero is not supported"):   # "nn.Recurrent supposed to give error on maskZero()"
        nn.Recurrent(10, nn.Linear(10, 10), nn.Linear(10, 10)).maskZero()


def test_AbstractRecurrent_trimZero():
    """test.lua lines 4499-4551: ``trimZero(1)`` of a Recurrence, an LSTM and a GRU; Recurrent refuses it."""
    inputs = _abstractRecurrent_zeroInputs()

    rm = _abstractRecurrent_stepModule()

    _testmask(inputs, nn.Recurrence(rm, 10, 1), 'trimZero')
    _testmask(inputs, nn.LSTM(10, 10), 'trimZero')
    _testmask(inputs, nn.GRU(10, 10), 'trimZero')

    with pytest.raises(TypeError, match="trimZero is not supported"):   # "nn.Recurrent supposed to give error on trimZero()"
        nn.Recurrent(10, nn.Linear(10, 10), nn.Linear(10, 10)).trimZero()
