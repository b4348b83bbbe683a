"""torch/rnn's test/test.lua (the package's 2017 home, which took over Element-Research/rnn): the cases of the
classes it added (StepLSTM, RecLSTM, StepGRU, RecGRU, LinearRNN, LookupRNN, VariableLength, ReverseSequence,
ReverseUnreverse, SeqBLSTM), of its zero masking (``maskZero()``/``setZeroMask``), and those that run RecLSTM in
the classes it shares with Element-Research's rnn (Recursor, Recurrence, BiSequencer). Ported literally: one
test per ``rnntest.X``, each naming its lines. The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is
``.``, indices, dimensions and time steps are 0-based (``modules[1]`` is ``modules[0]``, ``zeroMask[{2,1}]`` is
``zeroMask[1, 0]``), ``mytester:assertlt(a, b)`` is ``assert a < b``; the other ``mytester`` calls stay Tester
calls, set to raise. torch/rnn's ``SeqLSTM(inputsize, hiddensize, outputsize)`` is legonn's ``SeqLSTMP`` (docs/
porting.md's torch/rnn row).

The ``_C`` cases compare torch/rnn's C kernels with its Lua (``forceLua``); legonn has one implementation, so
they compare it with another of the same step: the nn-module LSTM step of FastLSTM (SeqLSTM's ``toFastLSTM``),
or, for the projection, SeqLSTMP run over one step.

rnn.test runs in Torch7's default type, DoubleTensor (the ``double_default`` fixture), with the shared set-up of
tests/porting/rnn_testlua.py (``mytester``, ``checkgrad`` for ``optim.checkgrad``, the same function). Lua's
``math.random`` is Python's ``random``, seeded per test (the ``lua_math_random`` fixture)."""
import random
from unittest import mock

import pytest

import legonn as lg
from legonn import nn
from tests.porting.rnn_testlua import checkgrad, mytester, precision
# test.lua lines 1844-1866's helpers are Element-Research's test.lua's, ported there
from tests.porting.test_rnn_testlua_sequencers import firstElement, lstmModule, recurrentModule

pytestmark = pytest.mark.usefixtures('double_default', 'lua_math_random')   # Torch7's default type, as rnn.test() runs


def test_RecLSTM_main():
    """test.lua lines 7-119. The Lua reads ``gradInput3`` from the first pass's ``gradInputs``; ported as
    written."""
    batchSize = random.randint(1, 2)
    inputSize = random.randint(3, 4)
    outputSize = random.randint(5, 6)
    nStep = 3
    input = [None] * nStep
    gradOutput = [None] * nStep
    for step in range(nStep):
        input[step] = lg.randn(batchSize, inputSize)
        if step == nStep - 1:
            # for the sake of keeping this unit test simple,
            gradOutput[step] = lg.randn(batchSize, outputSize)
        else:
            # only the last step will get a gradient from the output
            gradOutput[step] = lg.zeros(batchSize, outputSize)
    lstm = nn.RecLSTM(inputSize, outputSize)

    # we will use this to build an LSTM step by step (with shared params)
    lstmStep = lstm.modules[0].clone()

    # forward/backward through LSTM
    output = [None] * nStep
    lstm.zeroGradParameters()
    for step in range(nStep):
        output[step] = lstm.forward(input[step])
        assert lg.isTensor(input[step])

    gradInputs = [None] * nStep
    for step in range(nStep - 1, -1, -1):
        gradInputs[step] = lstm.backward(input[step], gradOutput[step], 1)

    gradInput = gradInputs[0]

    mlp2 = None   # this one will simulate seqlen = nStep
    inputs = None
    for step in range(nStep):
        # iteratively build an LSTM out of non-recurrent components
        lstm_ = lstmStep.clone()
        lstm_.share(lstmStep, 'weight', 'gradWeight', 'bias', 'gradBias')
        if step == 0:
            mlp2 = lstm_
        else:
            rnn = nn.Sequential()
            para = nn.ParallelTable()
            para.add(nn.Identity()).add(mlp2)
            rnn.add(para)
            rnn.add(nn.FlattenTable())
            rnn.add(lstm_)
            mlp2 = rnn

        # prepare inputs for mlp2
        if inputs:
            inputs = [input[step], inputs]
        else:
            inputs = [input[step], lg.zeros(batchSize, outputSize), lg.zeros(batchSize, outputSize)]
    mlp2.add(nn.SelectTable(0))   # just output the output (not cell)
    output2 = mlp2.forward(inputs)

    mlp2.zeroGradParameters()
    gradInput2 = mlp2.backward(inputs, gradOutput[nStep - 1], 1)   # /nStep)
    mytester.assertTensorEq(gradInput2[1][1][0], gradInput, 0.00001, "LSTM gradInput error")
    mytester.assertTensorEq(output[nStep - 1], output2, 0.00001, "LSTM output error")

    params, gradParams = lstm.parameters()
    params2, gradParams2 = lstmStep.parameters()
    mytester.assert_(len(params) == len(params2), f"LSTM parameters error {len(params)} ~= {len(params2)}")
    for i, gradParam in enumerate(gradParams):
        gradParam2 = gradParams2[i]
        mytester.assertTensorEq(gradParam, gradParam2, 0.000001, f"LSTM gradParam {i} error")

    gradParams = nn.utils.recursiveCopy(None, gradParams)[0]
    gradInput = gradInput.clone()
    mytester.assert_(lstm.zeroOutput.sum() == 0, "zeroOutput error")
    mytester.assert_(lstm.zeroCell.sum() == 0, "zeroCell error")
    lstm.forget()
    output = nn.utils.recursiveCopy(None, output)[0]
    output3 = [None] * nStep
    lstm.zeroGradParameters()
    for step in range(nStep):
        output3[step] = lstm.forward(input[step])

    gradInputs3 = [None] * nStep
    for step in range(nStep - 1, -1, -1):
        gradInputs3[step] = lstm.updateGradInput(input[step], gradOutput[step])
        lstm.accGradParameters(input[step], gradOutput[step], 1)
    gradInput3 = gradInputs[0]

    mytester.assert_(len(output) == len(output3), "LSTM output size error")
    for i, output_ in enumerate(output):
        mytester.assertTensorEq(output_, output3[i], 0.00001, f"LSTM forget (updateOutput) error {i}")

    mytester.assertTensorEq(gradInput, gradInput3, 0.00001, "LSTM updateGradInput error")

    params3, gradParams3 = lstm.parameters()
    mytester.assert_(len(params) == len(params3), f"LSTM parameters error {len(params)} ~= {len(params3)}")
    for i, gradParam in enumerate(gradParams):
        gradParam3 = gradParams3[i]
        mytester.assertTensorEq(gradParam, gradParam3, 0.000001, f"LSTM gradParam {i} error")


def test_RecLSTM_checkgrad():
    """test.lua lines 1575-1614. Class labels are 0-based: ``random(1, 2)`` is ``random(0, 2)`` (docs/porting.md's
    random row)."""
    hiddenSize = 2
    nIndex = 2
    r = nn.RecLSTM(hiddenSize, hiddenSize)

    rnn = nn.Sequential()
    rnn.add(r)
    rnn.add(nn.Linear(hiddenSize, nIndex))
    rnn.add(nn.LogSoftMax())
    rnn = nn.Recursor(rnn)

    criterion = nn.ClassNLLCriterion()
    inputs = lg.randn(3, 4, 2)
    targets = lg.Tensor(3, 4).random(0, 2)
    parameters, grads = rnn.getParameters()

    def f(x):
        parameters.copy(x)

        # Do the forward prop
        rnn.zeroGradParameters()
        err = 0
        outputs = [None] * inputs.size(0)
        for i in range(inputs.size(0)):
            outputs[i] = rnn.forward(inputs[i])
            err = err + criterion.forward(outputs[i], targets[i])
        for i in range(inputs.size(0) - 1, -1, -1):
            gradOutput = criterion.backward(outputs[i], targets[i])
            rnn.backward(inputs[i], gradOutput)
        rnn.forget()
        return err, grads

    err = checkgrad(f, parameters.clone())[0]
    mytester.assert_(err < 0.0001, "RecLSTM optim.checkgrad error")


def test_Recursor():
    """test.lua lines 1616-1747."""
    batchSize = 4
    inputSize = 3
    hiddenSize = 12   # unused, as in the Lua
    outputSize = 7
    seqlen = 5

    inputs = lg.randn(seqlen, batchSize, inputSize)
    gradOutputs = lg.randn(seqlen, batchSize, outputSize)

    # USE CASE 1. Recursor(LSTM)

    rnn = nn.RecLSTM(inputSize, outputSize)
    re2 = rnn.clone()
    re = nn.Recursor(nn.Sequential().add(rnn))
    re.zeroGradParameters()
    re2.zeroGradParameters()

    outputs = lg.Tensor(seqlen, batchSize, outputSize)
    outputs2 = outputs.clone()
    gradInputs = lg.Tensor(seqlen, batchSize, inputSize)

    for i in range(seqlen):
        # forward
        outputs[i] = re.forward(inputs[i])
        outputs2[i] = re2.forward(inputs[i])

    gradInputs_2 = lg.Tensor(seqlen, batchSize, inputSize)
    for i in range(seqlen - 1, -1, -1):
        # backward
        gradInputs_2[i] = re2.backward(inputs[i], gradOutputs[i])
        gradInputs[i] = re.backward(inputs[i], gradOutputs[i])

    mytester.assertTensorEq(outputs, outputs2, 0.0000001, "Recursor(LSTM) fwd err ")
    mytester.assertTensorEq(gradInputs, gradInputs_2, 0.0000001, "Recursor(LSTM) bwd err ")

    re2.updateParameters(0.1)
    re.updateParameters(0.1)

    params, gradParams = rnn.parameters()
    params2, gradParams2 = re2.parameters()

    mytester.assert_(len(params) == len(params2), "Recursor(LSTM) #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, f"Recursor(LSTM) updateParameter err {i}")
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001, f"Recursor(LSTM) accGradParams err {i}")

    # USE CASE 2. Sequencer(Recursor)

    re2 = nn.RecLSTM(inputSize, outputSize)
    lstm2 = re2.clone()
    rec = nn.Recursor(lstm2)
    seq = nn.Sequencer(rec)
    mytester.assert_(not getattr(rec, 'copyInputs', None))
    mytester.assert_(not getattr(rec, 'copyGradOutputs', None))
    mytester.assert_(not getattr(lstm2, 'copyInputs', None))
    mytester.assert_(not getattr(lstm2, 'copyGradOutputs', None))

    seq.zeroGradParameters()
    re2.zeroGradParameters()

    outputs = seq.forward(inputs)
    gradInputs = seq.backward(inputs, gradOutputs)

    for i in range(seqlen):
        outputs2[i] = re2.forward(inputs[i])

    for i in range(seqlen - 1, -1, -1):
        gradInputs_2[i] = re2.backward(inputs[i], gradOutputs[i])

    re2.updateParameters(0.1)

    mytester.assertTensorEq(outputs, outputs2, 0.0000001, "Sequencer(Recursor(LSTM)) fwd err ")
    mytester.assertTensorEq(gradInputs, gradInputs_2, 0.0000001, "Sequencer(Recursor(LSTM)) bwd err ")

    seq.updateParameters(0.1)

    params, gradParams = seq.parameters()
    params2, gradParams2 = re2.parameters()

    mytester.assert_(len(params) == len(params2), "Sequencer(Recursor(LSTM)) #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, f"Sequencer(Recursor(LSTM)) updateParameter err {i}")
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001,
                                f"Sequencer(Recursor(LSTM)) accGradParams err {i}")

    # USE CASE 3. Recursor(Recursor(LSTM))

    rnn = nn.RecLSTM(inputSize, outputSize)
    re2 = rnn.clone()
    re = nn.Recursor(nn.Recursor(nn.Sequential().add(rnn)))
    re.zeroGradParameters()
    re2.zeroGradParameters()

    for i in range(seqlen):
        # forward
        outputs = re.forward(inputs[i])
        outputs2 = re2.forward(inputs[i])

    for i in range(seqlen - 1, -1, -1):
        # backward
        gradInputs_2[i] = re2.backward(inputs[i], gradOutputs[i])

    re2.updateParameters(0.1)

    # recursor requires reverse-time-step order during backward
    for i in range(seqlen - 1, -1, -1):
        gradInputs[i] = re.backward(inputs[i], gradOutputs[i])

    mytester.assertTensorEq(outputs, outputs2, 0.0000001, "Recursor(Recursor(LSTM)) fwd err ")
    mytester.assertTensorEq(gradInputs, gradInputs_2, 0.0000001, "Recursor(Recursor(LSTM)) bwd err ")

    re.updateParameters(0.1)

    params, gradParams = rnn.parameters()
    params2, gradParams2 = re2.parameters()

    mytester.assert_(len(params) == len(params2), "Recursor(Recursor(LSTM)) #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, f"Recursor(Recursor(LSTM)) updateParameter err {i}")
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001,
                                f"Recursor(Recursor(LSTM)) accGradParams err {i}")


def test_Recurrence():
    """test.lua lines 1749-1799."""
    batchSize = 4
    inputSize = 3
    outputSize = 2
    seqlen = 3

    lstm2 = nn.RecLSTM(inputSize, outputSize)
    seq2 = nn.Sequencer(lstm2)

    stepmodule = nn.Sequential() \
        .add(nn.FlattenTable()) \
        .add(lstm2.modules[0].clone())
    recmodule = nn.Sequential() \
        .add(nn.Recurrence(stepmodule, [[outputSize], [outputSize]], 1, seqlen)) \
        .add(nn.SelectTable(0))
    lstm = recmodule
    seq = nn.Sequencer(lstm)

    inputs = lg.randn(seqlen, batchSize, inputSize)
    gradOutputs = lg.randn(seqlen, batchSize, outputSize)

    seq.zeroGradParameters()
    seq2.zeroGradParameters()

    params, gradParams = seq.parameters()
    params2, gradParams2 = seq2.parameters()

    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, f"Recurrence updateParameter err {i}")
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001, f"Recurrence accGradParams err {i}")

    outputs = seq.forward(inputs)
    outputs2 = seq2.forward(inputs)

    mytester.assertTensorEq(outputs, outputs2, 0.0000001, "Recurrence fwd err ")

    gradInputs = seq.backward(inputs, gradOutputs)
    gradInputs2 = seq2.backward(inputs, gradOutputs)

    mytester.assertTensorEq(gradInputs, gradInputs2, 0.0000001, "Recurrence bwd err ")

    seq.updateParameters(0.1)
    seq2.updateParameters(0.1)

    mytester.assert_(len(params) == len(params2), "Recurrence #params err")
    for i in range(len(params)):
        mytester.assertTensorEq(params[i], params2[i], 0.0000001, f"Recurrence updateParameter err {i}")
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001, f"Recurrence accGradParams err {i}")


def test_Recurrence_nested():
    """test.lua lines 1801-1842. ``step`` counts the steps forwarded (docs/porting.md's rnn time-steps row): 3
    where the Lua's, numbering the next step from 1, is 4."""
    # issue 107
    # this will test the use case where an AbstractRecurrent.modules[1]
    # contains an AbstractRecurrent instance!

    batchSize = 4
    hiddenSize = 2
    seqlen = 3

    lstm = nn.RecLSTM(hiddenSize, hiddenSize)

    rm = nn.Sequential() \
        .add(nn.CSubTable()) \
        .add(lstm) \
        .add(nn.Linear(hiddenSize, hiddenSize)) \
        .add(nn.Sigmoid())

    rnn = nn.Recurrence(rm, hiddenSize, 1)

    seq = nn.Sequencer(rnn)

    inputs, gradOutputs = [None] * seqlen, [None] * seqlen
    for i in range(seqlen):
        inputs[i] = lg.randn(batchSize, hiddenSize)
        gradOutputs[i] = lg.randn(batchSize, hiddenSize)

    for n in range(3):
        seq.evaluate()
        seq.training()
        seq.zeroGradParameters()

        seq.forward(inputs)
        seq.backward(inputs, gradOutputs)

        mytester.assert_(rnn.step == 3)
        mytester.assert_(lstm.step == 3)


def test_BiSequencer_main():
    """test.lua lines 1226-1279. legonn's BiSequencer is Element-Research's (docs/porting.md's torch/rnn
    BiSequencer row): the Lua's merge ``nn.CAddTable()`` is given, the input and gradOutput go in as tables of
    steps (``steps``) and the output and gradInput are stacked back (``lg.stack``). The reference (the Lua's
    ReverseUnreverse of a Sequencer) runs on the tensors as in the Lua."""
    hiddensize = 8
    batchsize = 4
    seqlen = 3

    def steps(x):
        return [x[t] for t in range(x.size(0))]

    fwd = nn.RecLSTM(hiddensize, hiddensize)
    bwd = nn.RecLSTM(hiddensize, hiddensize)
    fwd.zeroGradParameters()
    bwd.zeroGradParameters()
    brnn = nn.BiSequencer(fwd.clone(), bwd.clone(), nn.CAddTable())
    input = lg.randn(seqlen, batchsize, hiddensize)
    gradOutput = lg.randn(seqlen, batchsize, hiddensize)
    output = lg.stack(brnn.forward(steps(input)))
    gradInput = lg.stack(brnn.backward(steps(input), steps(gradOutput)))
    mytester.assert_(input.isSameSizeAs(output), "BiSequencer #outputs error")
    mytester.assert_(input.isSameSizeAs(gradInput), "BiSequencer #gradInput error")

    # forward
    fwdSeq = nn.Sequencer(fwd)
    bwdSeq = nn.ReverseUnreverse(nn.Sequencer(bwd))
    merge = nn.CAddTable()
    fwdOutputs = fwdSeq.forward(input)
    bwdOutputs = input.clone()
    bwdOutputs = bwdSeq.forward(input)
    output2 = merge.forward([fwdOutputs, bwdOutputs])
    mytester.assertTensorEq(output, output2, 0.000001, "BiSequencer output err ")

    # backward
    mergeGradInputs = merge.backward([fwdOutputs, bwdOutputs], gradOutput)
    bwdGradInputs = bwdSeq.backward(input, mergeGradInputs[1])
    fwdGradInputs = fwdSeq.backward(input, mergeGradInputs[0])
    gradInput2 = merge.clone().forward([fwdGradInputs, bwdGradInputs])
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001, "BiSequencer gradInput err ")

    # params
    brnn2 = nn.Sequential().add(fwd).add(bwd)
    params, gradParams = brnn.parameters()
    params2, gradParams2 = brnn2.parameters()
    mytester.assert_(len(params) == len(params2), "BiSequencer #params err")
    mytester.assert_(len(params) == len(gradParams), "BiSequencer #gradParams err")
    for i, param in enumerate(params):
        mytester.assertTensorEq(param, params2[i], 0.000001, f"BiSequencer params err {i}")
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.000001, f"BiSequencer gradParams err {i}")

    # updateParameters
    brnn.updateParameters(0.1)
    brnn2.updateParameters(0.1)
    brnn.zeroGradParameters()
    brnn2.zeroGradParameters()
    for i, param in enumerate(params):
        mytester.assertTensorEq(param, params2[i], 0.000001, f"BiSequencer params update err {i}")
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.000001, f"BiSequencer gradParams zero err {i}")


def test_BiSequencer_maskZero():
    """test.lua lines 1281-1300. legonn's BiSequencer is Element-Research's (docs/porting.md's torch/rnn
    BiSequencer row): over a table of steps, merging each step's two outputs, JoinTable by default where torch/rnn
    adds its whole sequences; here the Lua's merge, ``nn.CAddTable()``, is given, the input and gradOutput go in
    as their steps and the output and gradInput are stacked back."""
    hiddensize = 8
    batchsize = 4
    seqlen = 3
    fwd = nn.RecLSTM(hiddensize, hiddensize)
    bwd = nn.RecLSTM(hiddensize, hiddensize)
    fwd.zeroGradParameters()
    bwd.zeroGradParameters()
    brnn = nn.BiSequencer(fwd, bwd, nn.CAddTable()).maskZero()
    input = lg.randn(seqlen, batchsize, hiddensize)
    gradOutput = lg.randn(seqlen, batchsize, hiddensize)
    zeroMask = lg.ByteTensor(seqlen, batchsize).random(0, 2)
    brnn.setZeroMask(zeroMask)
    output = lg.stack(brnn.forward([input[t] for t in range(seqlen)]))
    zeroMask2 = nn.utils.getZeroMaskSequence(output)
    mytester.assertTensorEq(zeroMask, zeroMask2, 0.000001)
    gradInput = lg.stack(brnn.backward([input[t] for t in range(seqlen)], [gradOutput[t] for t in range(seqlen)]))
    zeroMask3 = nn.utils.getZeroMaskSequence(gradInput)
    mytester.assertTensorEq(zeroMask, zeroMask3, 0.000001)


def test_MaskZero_main():
    """test.lua lines 1868-1960. The Lua replaces ``module.clearState`` before ``testIO`` so that the copy testIO
    saves keeps the mask (MaskZero.lua's clearState forgets it, as legonn's does); the replacement is made on the
    Sequential class for the call, since a function attribute on the instance could not be saved."""
    recurrents = {'recurrent': recurrentModule(), 'lstm': lstmModule()}
    # Note we use lstmModule input signature and firstElement to prevent duplicate code
    for name, recurrent in recurrents.items():
        # test encapsulated module first
        # batch
        i = lg.rand(5, 10)
        e = nn.Sigmoid().forward(i)
        o = firstElement(recurrent.forward([i, lg.zeros(5, 10), lg.zeros(5, 10)]))
        mytester.assertlt(lg.norm(o - e), precision, 'mock ' + name + ' module failed for batch')

        # test mask zero module now
        module = nn.MaskZero(recurrent)
        module.setZeroMask(False)
        # batch forward
        i = lg.rand(5, 10)
        e = firstElement(recurrent.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        o = firstElement(module.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        mytester.assertgt(lg.norm(i - o), precision, 'error on batch forward for ' + name)
        mytester.assertlt(lg.norm(e - o), precision, 'error on batch forward for ' + name)
        i = lg.zeros(5, 10)
        module.setZeroMask(lg.ByteTensor(5).fill(1))
        o = firstElement(module.forward([i, lg.rand(5, 10), lg.rand(5, 10)]))
        mytester.assertlt(lg.norm(i - o), precision, 'error on batch forward for ' + name)
        i = lg.Tensor([[0, 0, 0], [1, 2, 5]])
        module.setZeroMask(lg.ByteTensor([1, 0]))
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
        module.add(nn.MaskZero(recurrent))
        if name == 'lstm':
            module.add(nn.SelectTable(0))

        input = lg.rand(3 if name == 'lstm' else 2, 10)
        module.setZeroMask(False)
        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'error on state for ' + name)
        # IO
        # function module.clearState(self) return self end
        with mock.patch.object(nn.Sequential, 'clearState', lambda self: self):
            ferr, berr = jac.testIO(module, input)
        mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err for ' + name)
        mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err for ' + name)
        # batch
        # rebuild module to avoid correlated tests
        module = nn.Sequential()
        module.add(nn.SplitTable(0))
        module.add(nn.MaskZero(recurrent))
        if name == 'lstm':
            module.add(nn.SelectTable(0))
        module.setZeroMask(False)

        input = lg.rand(3 if name == 'lstm' else 2, 5, 10)
        err = jac.testJacobian(module, input)
        mytester.assertlt(err, precision, 'batch error on state for ' + name)

        # full test on convolution and linear modules
        module = nn.Sequential().add(nn.ParallelTable().add(nn.SpatialConvolution(1, 2, 3, 3)).add(nn.Linear(100, 2)))
        # module = module:float()
        batchNum = 5
        input = [lg.rand(batchNum, 1, 10, 10), lg.rand(batchNum, 100)]
        zeroRowNum = 2
        for i in range(len(input)):
            input[i].narrow(0, 0, zeroRowNum).zero()
        # module = nn.MaskZero(module, 3)
        output = module.forward(input)   # noqa: F841  (the Lua checks the inputs' rows, not it)
        for i in range(len(input)):
            for j in range(batchNum):
                rmi = input[i][j].view(-1)   # collapse dims
                vectorDim = rmi.dim()
                rn = rmi.new()
                rn.norm(rmi, 2, vectorDim - 1)
                err = rn[0]
                if j < zeroRowNum:
                    # check zero outputs
                    mytester.assertlt(err, precision, f'batch {i}:{j} error on state for ' + name)
                else:
                    # check non-zero outputs
                    mytester.assertgt(err, precision, f'batch {i}:{j} error on state for ' + name)


def test_nn_utils_getZeroMask():
    """test.lua lines 1962-1970."""
    sequence = lg.randn(3, 4, 2)
    sequence[0, 1].fill(0)
    zeroMask = nn.utils.getZeroMaskSequence(sequence)
    mytester.assert_(lg.type(zeroMask) == 'torch.ByteTensor')
    zeroMask2 = lg.Tensor(3, 4).fill(0)
    zeroMask2[0, 1] = 1
    mytester.assertTensorEq(zeroMask.type(lg.type(zeroMask2)), zeroMask2, 0.00000001)


def test_AbstractRecurrent_maskZero():
    """test.lua lines 1972-2007."""
    input = lg.zeros(4, 4, 10)
    sequence = lg.randn(4, 10)
    input.select(1, 0).select(0, 3).copy(sequence[0])
    input.select(1, 1).narrow(0, 2, 2).copy(sequence.narrow(0, 0, 2))
    input.select(1, 2).narrow(0, 1, 3).copy(sequence.narrow(0, 0, 3))
    input.select(1, 3).copy(sequence)

    def testmask(rnn):
        seq = nn.Sequencer(rnn.maskZero())

        zeroMask = nn.utils.getZeroMaskSequence(input)
        seq.setZeroMask(zeroMask)
        outputs = seq.forward(input)

        mytester.assert_(abs(outputs[0].narrow(0, 0, 3).sum()) < 0.0000001, lg.type(rnn) + " mask zero 1 err")
        mytester.assert_(abs(outputs[1].narrow(0, 0, 2).sum()) < 0.0000001, lg.type(rnn) + " mask zero 2 err")
        mytester.assert_(abs(outputs[2].narrow(0, 0, 1).sum()) < 0.0000001, lg.type(rnn) + " mask zero 3 err")

        mytester.assertTensorEq(outputs[0][3], outputs[1][2], 0.0000001, lg.type(rnn) + " mask zero err")
        mytester.assertTensorEq(outputs[0][3], outputs[2][1], 0.0000001, lg.type(rnn) + " mask zero err")
        mytester.assertTensorEq(outputs[0][3], outputs[3][0], 0.0000001, lg.type(rnn) + " mask zero err")

        mytester.assertTensorEq(outputs[1][3], outputs[2][2], 0.0000001, lg.type(rnn) + " mask zero err")
        mytester.assertTensorEq(outputs[1][3], outputs[3][1], 0.0000001, lg.type(rnn) + " mask zero err")

        mytester.assertTensorEq(outputs[2][3], outputs[3][2], 0.0000001, lg.type(rnn) + " mask zero err")

    testmask(nn.LinearRNN(10, 10))
    testmask(nn.RecLSTM(10, 10))
    testmask(nn.RecGRU(10, 10))


def _seq_maskzero(make):
    """test.lua's SeqLSTM_maskzero and SeqGRU_maskzero (their ``benchmark`` branches only time: left out)."""
    T, N, D, H = 3, 2, 4, 5
    seqlstm = make(D, H)
    seqlstm2 = seqlstm.clone().maskZero()
    zeroMask = lg.ByteTensor(T, N).zero()
    seqlstm2.setZeroMask(zeroMask)

    input = lg.randn(T, N, D)
    gradOutput = lg.randn(T, N, H)

    output = seqlstm.forward(input)
    output2 = seqlstm2.forward(input)

    mytester.assertTensorEq(output, output2, 0.000001)

    seqlstm.zeroGradParameters()
    gradInput = seqlstm.backward(input, gradOutput)
    seqlstm2.zeroGradParameters()
    gradInput2 = seqlstm2.backward(input, gradOutput)

    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = seqlstm.getParameters()
    params2, gradParams2 = seqlstm2.getParameters()

    mytester.assertTensorEq(gradParams, gradParams2, 0.000001)


def test_SeqLSTM_maskzero():
    """test.lua lines 2874-2947: tests that it works with non-masked inputs regardless of maskzero's value."""
    _seq_maskzero(nn.SeqLSTM)


def test_SeqGRU_maskzero():
    """test.lua lines 3620-3692: tests that it works with non-masked inputs regardless of maskzero's value."""
    _seq_maskzero(nn.SeqGRU)


def test_StepLSTM():
    """test.lua lines 4273-4310."""
    seqlen, batchsize = 3, 4
    inputsize, outputsize = 2, 5
    steplstm = nn.StepLSTM(inputsize, outputsize)
    stepmodule = nn.Sequential() \
        .add(nn.FlattenTable()) \
        .add(steplstm)
    recmodule = nn.Sequential() \
        .add(nn.Recurrence(stepmodule, [[outputsize], [outputsize]], 1, seqlen)) \
        .add(nn.SelectTable(0))
    lstm = nn.Sequencer(recmodule)

    input = lg.randn(seqlen, batchsize, inputsize)
    output = lstm.forward(input)

    seqlstm = nn.SeqLSTM(inputsize, outputsize)
    seqlstm.weight.copy(steplstm.weight)
    seqlstm.bias.copy(steplstm.bias)

    output2 = seqlstm.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001)

    lstm.zeroGradParameters()
    seqlstm.zeroGradParameters()

    gradOutput = lg.randn(seqlen, batchsize, outputsize)
    gradInput = lstm.backward(input, gradOutput)

    gradInput2 = seqlstm.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = lstm.parameters()
    params2, gradParams2 = seqlstm.parameters()

    for i in range(len(params2)):
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001)


def test_StepLSTM_C():
    """test.lua lines 4312-4346, against FastLSTM's nn-module step (SeqLSTM's toFastLSTM) in place of forceLua:
    its gates are not one tensor, so ``steplstm.gates`` is checked against the activations from the step's
    own inputs, and the gates' gradients through the bias gradient (their column sums)."""
    batchsize, inputsize, outputsize = 2, 3, 4
    steplstm = nn.StepLSTM(inputsize, outputsize)
    seqlstm = nn.SeqLSTM(inputsize, outputsize)
    seqlstm.weight.copy(steplstm.weight)
    seqlstm.bias.copy(steplstm.bias)
    fastlstm = seqlstm.toFastLSTM()
    steplstm2 = fastlstm.recurrentModule

    input = [lg.randn(batchsize, inputsize), lg.randn(batchsize, outputsize), lg.randn(batchsize, outputsize)]
    output = steplstm.forward(input)
    output2 = steplstm2.forward(input)

    mytester.assertTensorEq(output[0], output2[0], 0.000001)
    mytester.assertTensorEq(output[1], output2[1], 0.000001)
    # the gates from [x, h] W + b: sigmoid of the first three quarters, tanh of the last
    H = outputsize
    gates = lg.mm(lg.cat(input[0], input[1], 1), steplstm.weight) + \
        steplstm.bias.view(1, 4 * H).expand(batchsize, 4 * H)
    gates2 = lg.cat(lg.sigmoid(gates.narrow(1, 0, 3 * H)), lg.tanh(gates.narrow(1, 3 * H, H)), 1)
    mytester.assertTensorEq(steplstm.gates, gates2, 0.000001)

    steplstm.zeroGradParameters()
    steplstm2.zeroGradParameters()

    gradOutput = [lg.randn(batchsize, outputsize), lg.randn(batchsize, outputsize)]
    gradInput = steplstm.backward(input, gradOutput, 1)
    gradInput2 = steplstm2.backward(input, gradOutput, 1)

    mytester.assertTensorEq(gradInput[0], gradInput2[0], 0.000001)
    mytester.assertTensorEq(gradInput[1], gradInput2[1], 0.000001)
    mytester.assertTensorEq(gradInput[2], gradInput2[2], 0.000001)

    # FastLSTM's gradients in StepLSTM's layout: toFastLSTM's gate order (i, g, f, o) back to (i, f, o, g)
    params2, gradParams2 = fastlstm.parameters()
    i2g_w, i2g_b, o2g_w = gradParams2[0], gradParams2[1], gradParams2[2]
    columns = lg.LongTensor([k * H + j for k in (0, 2, 3, 1) for j in range(H)])
    gradWeight2 = lg.cat(i2g_w.t(), o2g_w.t(), 0).index(1, columns)
    gradBias2 = i2g_b.index(0, columns)
    params, gradParams = steplstm.parameters()
    mytester.assertTensorEq(gradParams[0], gradWeight2, 0.0000001)
    mytester.assertTensorEq(gradParams[1], gradBias2, 0.0000001)


def test_StepLSTM_projection():
    """test.lua lines 4348-4386. torch/rnn's SeqLSTMP is legonn's too."""
    seqlen, batchsize = 2, 3
    inputsize, hiddensize, outputsize = 4, 5, 6
    steplstm = nn.StepLSTM(inputsize, hiddensize, outputsize)
    stepmodule = nn.Sequential() \
        .add(nn.FlattenTable()) \
        .add(steplstm)
    recmodule = nn.Sequential() \
        .add(nn.Recurrence(stepmodule, [[outputsize], [hiddensize]], 1, seqlen)) \
        .add(nn.SelectTable(0))
    lstm = nn.Sequencer(recmodule)

    input = lg.randn(seqlen, batchsize, inputsize)
    output = lstm.forward(input)

    seqlstm = nn.SeqLSTMP(inputsize, hiddensize, outputsize)
    seqlstm.weight.copy(steplstm.weight)
    seqlstm.bias.copy(steplstm.bias)
    seqlstm.weightO.copy(steplstm.weightO)

    output2 = seqlstm.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001)

    lstm.zeroGradParameters()
    seqlstm.zeroGradParameters()

    gradOutput = lg.randn(seqlen, batchsize, outputsize)
    gradInput = lstm.backward(input, gradOutput)

    gradInput2 = seqlstm.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = lstm.parameters()
    params2, gradParams2 = seqlstm.parameters()

    for i in range(len(params2)):
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001)


def test_StepLSTM_C_projection():
    """test.lua lines 4388-4423, against SeqLSTMP over one step (its table input [c0, h0, x]) in place of
    forceLua: ``gates`` and ``hidden`` against SeqLSTMP's step buffers, the gradients of h0 and c0 its
    ``userGradPrevOutput`` and ``userGradPrevCell``, the cell's gradient given as ``userNextGradCell``."""
    batchsize, inputsize, hiddensize, outputsize = 2, 3, 4, 5
    steplstm = nn.StepLSTM(inputsize, hiddensize, outputsize)
    steplstm2 = nn.SeqLSTMP(inputsize, hiddensize, outputsize)
    steplstm2.weight.copy(steplstm.weight)
    steplstm2.bias.copy(steplstm.bias)
    steplstm2.weightO.copy(steplstm.weightO)

    input = [lg.randn(batchsize, inputsize), lg.randn(batchsize, outputsize), lg.randn(batchsize, hiddensize)]
    input2 = [input[2], input[1], input[0].view(1, batchsize, inputsize)]
    output = steplstm.forward(input)
    output2 = steplstm2.forward(input2)

    mytester.assertTensorEq(output[0], output2[0], 0.000001)
    mytester.assertTensorEq(output[1], steplstm2.cell[0], 0.000001)
    mytester.assertTensorEq(steplstm.gates, steplstm2.gate_buffer[0].t(), 0.000001)
    mytester.assertTensorEq(steplstm.hidden, steplstm2.hidden_rows[0], 0.000001)

    steplstm.zeroGradParameters()
    steplstm2.zeroGradParameters()

    gradOutput = [lg.randn(batchsize, outputsize), lg.randn(batchsize, hiddensize)]
    gradInput = steplstm.backward(input, gradOutput, 1)
    gradGates = steplstm.grad_gates_by_unit.select(1, 0).clone()
    steplstm2.userNextGradCell = gradOutput[1].clone()
    steplstm2.backward(input2, gradOutput[0].view(1, batchsize, outputsize), 1)
    gradGates2 = steplstm2.gate_scratch.select(1, 0)

    mytester.assertTensorEq(gradInput[0], steplstm2.gradInput[2][0], 0.000001)
    mytester.assertTensorEq(gradInput[1], steplstm2.userGradPrevOutput, 0.000001)
    mytester.assertTensorEq(gradInput[2], steplstm2.userGradPrevCell, 0.000001)
    mytester.assertTensorEq(gradGates, gradGates2, 0.000001)

    params, gradParams = steplstm.parameters()
    params2, gradParams2 = steplstm2.parameters()

    for i in range(3):
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001)


def test_RecLSTM():
    """test.lua lines 4493-4524."""
    seqlen, batchsize = 3, 4
    inputsize, outputsize = 2, 5
    reclstm = nn.RecLSTM(inputsize, outputsize)
    lstm = nn.Sequencer(reclstm)

    input = lg.randn(seqlen, batchsize, inputsize)
    output = lstm.forward(input)

    seqlstm = nn.SeqLSTM(inputsize, outputsize)
    seqlstm.weight.copy(reclstm.modules[0].weight)
    seqlstm.bias.copy(reclstm.modules[0].bias)

    output2 = seqlstm.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001)

    lstm.zeroGradParameters()
    seqlstm.zeroGradParameters()

    gradOutput = lg.randn(seqlen, batchsize, outputsize)
    gradInput = lstm.backward(input, gradOutput)

    gradInput2 = seqlstm.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = lstm.parameters()
    params2, gradParams2 = seqlstm.parameters()

    for i in range(len(params2)):
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001)


def test_RecLSTM_projection():
    """test.lua lines 4526-4558. torch/rnn's ``nn.SeqLSTM(inputsize, hiddensize, outputsize)`` is legonn's
    ``nn.SeqLSTMP`` (docs/porting.md's torch/rnn row)."""
    seqlen, batchsize = 3, 4
    inputsize, hiddensize, outputsize = 2, 6, 5
    reclstm = nn.RecLSTM(inputsize, hiddensize, outputsize)
    lstm = nn.Sequencer(reclstm)

    input = lg.randn(seqlen, batchsize, inputsize)
    output = lstm.forward(input)

    seqlstm = nn.SeqLSTMP(inputsize, hiddensize, outputsize)
    seqlstm.weight.copy(reclstm.modules[0].weight)
    seqlstm.bias.copy(reclstm.modules[0].bias)
    seqlstm.weightO.copy(reclstm.modules[0].weightO)

    output2 = seqlstm.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001)

    lstm.zeroGradParameters()
    seqlstm.zeroGradParameters()

    gradOutput = lg.randn(seqlen, batchsize, outputsize)
    gradInput = lstm.backward(input, gradOutput)

    gradInput2 = seqlstm.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = lstm.parameters()
    params2, gradParams2 = seqlstm.parameters()

    for i in range(3):
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001)


def test_RecLSTM_maskzero():
    """test.lua lines 4560-4602. The Lua's last loop compares each gradient with itself (``gradParams[i]``
    twice); ported as written."""
    T, N, D, H = 3, 2, 4, 5
    reclstm = nn.RecLSTM(D, H).maskZero()
    seqlstm = nn.Sequencer(reclstm)
    seqlstm2 = nn.SeqLSTM(D, H).maskZero()
    seqlstm2.weight.copy(reclstm.modules[0].weight)
    seqlstm2.bias.copy(reclstm.modules[0].bias)

    input = lg.randn(T, N, D)
    # input[{2,1}]:fill(0)
    # input[{3,2}]:fill(0)
    gradOutput = lg.randn(T, N, H)

    zeroMask = lg.ByteTensor(T, N).zero()
    zeroMask[1, 0] = 1
    zeroMask[2, 1] = 1
    seqlstm.setZeroMask(zeroMask)
    seqlstm2.setZeroMask(zeroMask)
    output = seqlstm.forward(input)
    output2 = seqlstm2.forward(input)

    mytester.assert_(output[1, 0].norm() == 0)
    mytester.assert_(output[2, 1].norm() == 0)

    mytester.assertTensorEq(output, output2, 0.000001)

    seqlstm.zeroGradParameters()
    gradInput = seqlstm.backward(input, gradOutput)
    seqlstm2.zeroGradParameters()
    gradInput2 = seqlstm2.backward(input, gradOutput)

    mytester.assert_(gradInput[1, 0].norm() == 0)
    mytester.assert_(gradInput[2, 1].norm() == 0)

    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = seqlstm.parameters()
    params2, gradParams2 = seqlstm2.parameters()

    for i in range(len(params)):
        mytester.assertTensorEq(gradParams[i], gradParams[i], 0.0000001)


def test_StepGRU():
    """test.lua lines 4425-4457."""
    seqlen, batchsize = 3, 4
    inputsize, outputsize = 2, 5
    stepmodule = nn.StepGRU(inputsize, outputsize)
    recmodule = nn.Recurrence(stepmodule, outputsize, 1, seqlen)
    gru = nn.Sequencer(recmodule)

    input = lg.randn(seqlen, batchsize, inputsize)
    output = gru.forward(input)

    seqgru = nn.SeqGRU(inputsize, outputsize)
    seqgru.weight.copy(stepmodule.weight)
    seqgru.bias.copy(stepmodule.bias)

    output2 = seqgru.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001)

    gru.zeroGradParameters()
    seqgru.zeroGradParameters()

    gradOutput = lg.randn(seqlen, batchsize, outputsize)
    gradInput = gru.backward(input, gradOutput)

    gradInput2 = seqgru.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = gru.parameters()
    params2, gradParams2 = seqgru.parameters()

    for i in range(len(params2)):
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001)


def test_StepGRU_C():
    """test.lua lines 4459-4491, against GRU's nn-module step (SeqGRU's toGRU) in place of forceLua: its gates
    are not one tensor, so ``stepgru.gates`` is checked against the activations from the step's own inputs,
    and the gates' gradients through the bias gradient (their column sums)."""
    batchsize, inputsize, outputsize = 2, 3, 4
    stepgru = nn.StepGRU(inputsize, outputsize)
    seqgru = nn.SeqGRU(inputsize, outputsize)
    seqgru.weight.copy(stepgru.weight)
    seqgru.bias.copy(stepgru.bias)
    gru = seqgru.toGRU()
    stepgru2 = gru.recurrentModule

    input = [lg.randn(batchsize, inputsize), lg.randn(batchsize, outputsize)]
    output = stepgru.forward(input)
    output2 = stepgru2.forward(input)

    mytester.assertTensorEq(output, output2, 0.000001)
    # the gates: r, u = sigmoid([x, h] W[r|u] + b), hc = tanh(x W_x[c] + (r h) W_h[c] + b[c])
    H, D = outputsize, inputsize
    W, b = stepgru.weight, stepgru.bias
    ru = lg.sigmoid(lg.mm(lg.cat(input[0], input[1], 1), W.narrow(1, 0, 2 * H)) + b.narrow(0, 0, 2 * H).view(1, 2 * H)
                    .expand(batchsize, 2 * H))
    rh = lg.cmul(ru.narrow(1, 0, H), input[1])
    hc = lg.tanh(lg.mm(input[0], W.narrow(0, 0, D).narrow(1, 2 * H, H))
                 + lg.mm(rh, W.narrow(0, D, H).narrow(1, 2 * H, H))
                 + b.narrow(0, 2 * H, H).view(1, H).expand(batchsize, H))
    mytester.assertTensorEq(stepgru.gates, lg.cat(ru, hc, 1), 0.000001)

    stepgru.zeroGradParameters()
    stepgru2.zeroGradParameters()

    gradOutput = lg.randn(batchsize, outputsize)
    gradInput = stepgru.backward(input, gradOutput, 1)
    gradInput2 = stepgru2.backward(input, gradOutput, 1)

    mytester.assertTensorEq(gradInput[0], gradInput2[0], 0.000001)
    mytester.assertTensorEq(gradInput[1], gradInput2[1], 0.000001)
    mytester.assertTensorEq(stepgru.gradBias, stepgru.grad_gates_by_unit.select(1, 0).sum(1).view(3 * H), 0.0000001)

    # GRU's parameter gradients in StepGRU's layout (toGRU's pieces: i2g, o2g for r and u, i2h, h2h for hc)
    i2g_w, i2g_b, o2g_w, i2h_w, i2h_b, h2h_w = gru.parameters()[1]
    gradWeight2 = lg.cat(lg.cat(i2g_w.t(), i2h_w.t(), 1), lg.cat(o2g_w.t(), h2h_w.t(), 1), 0)
    gradBias2 = lg.cat(i2g_b, i2h_b, 0)
    params, gradParams = stepgru.parameters()

    mytester.assertTensorEq(gradParams[0], gradWeight2, 0.0000001)
    mytester.assertTensorEq(gradParams[1], gradBias2, 0.0000001)


def test_RecGRU():
    """test.lua lines 4604-4635."""
    seqlen, batchsize = 3, 4
    inputsize, outputsize = 2, 5
    recgru = nn.RecGRU(inputsize, outputsize)
    gru = nn.Sequencer(recgru)

    input = lg.randn(seqlen, batchsize, inputsize)
    output = gru.forward(input)

    seqgru = nn.SeqGRU(inputsize, outputsize)
    seqgru.weight.copy(recgru.modules[0].weight)
    seqgru.bias.copy(recgru.modules[0].bias)

    output2 = seqgru.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001)

    gru.zeroGradParameters()
    seqgru.zeroGradParameters()

    gradOutput = lg.randn(seqlen, batchsize, outputsize)
    gradInput = gru.backward(input, gradOutput)

    gradInput2 = seqgru.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = gru.parameters()
    params2, gradParams2 = seqgru.parameters()

    for i in range(len(params2)):
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001)


def test_RecGRU_maskzero():
    """test.lua lines 4637-4679. The Lua's last loop compares each gradient with itself (``gradParams[i]``
    twice); ported as written."""
    T, N, D, H = 3, 2, 4, 5
    recgru = nn.RecGRU(D, H).maskZero()
    seqgru = nn.Sequencer(recgru)
    seqgru2 = nn.SeqGRU(D, H).maskZero()
    seqgru2.weight.copy(recgru.modules[0].weight)
    seqgru2.bias.copy(recgru.modules[0].bias)

    input = lg.randn(T, N, D)
    input[1, 0].fill(0)
    input[2, 1].fill(0)
    gradOutput = lg.randn(T, N, H)

    zeroMask = lg.ByteTensor(T, N).zero()
    zeroMask[1, 0] = 1
    zeroMask[2, 1] = 1
    seqgru.setZeroMask(zeroMask)
    seqgru2.setZeroMask(zeroMask)
    output = seqgru.forward(input)
    output2 = seqgru2.forward(input)

    mytester.assert_(output[1, 0].norm() == 0)
    mytester.assert_(output[2, 1].norm() == 0)

    mytester.assertTensorEq(output, output2, 0.000001)

    seqgru.zeroGradParameters()
    gradInput = seqgru.backward(input, gradOutput)
    seqgru2.zeroGradParameters()
    gradInput2 = seqgru2.backward(input, gradOutput)

    mytester.assert_(gradInput[1, 0].norm() == 0)
    mytester.assert_(gradInput[2, 1].norm() == 0)

    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = seqgru.parameters()
    params2, gradParams2 = seqgru2.parameters()

    for i in range(len(params)):
        mytester.assertTensorEq(gradParams[i], gradParams[i], 0.0000001)


def test_LinearRNN():
    """test.lua lines 4681-4701."""
    inputsize, outputsize = 3, 4
    seqlen, batchsize = 5, 2

    input = lg.randn(seqlen, batchsize, inputsize)
    gradOutput = lg.randn(seqlen, batchsize, outputsize)

    lrnn = nn.Sequencer(nn.LinearRNN(inputsize, outputsize))

    output = lrnn.forward(input)
    lrnn.zeroGradParameters()
    gradInput = lrnn.backward(input, gradOutput)

    mytester.assert_(output.isSameSizeAs(gradOutput))
    mytester.assert_(gradInput.isSameSizeAs(input))

    params, gradParams = lrnn.parameters()
    for i in range(2):
        mytester.assert_(gradParams[i].abs().mean() > 0.000001)


def test_LookupRNN():
    """test.lua lines 4703-4723. ``random(1, nindex)`` draws the 1-based indices 1 .. nindex; legonn's indices
    are 0-based, ``random(0, nindex)`` drawing 0 .. nindex-1 (docs/porting.md's random and LookupTableMaskZero
    rows)."""
    nindex, outputsize = 3, 4
    seqlen, batchsize = 5, 2

    input = lg.LongTensor(seqlen, batchsize).random(0, nindex)
    gradOutput = lg.randn(seqlen, batchsize, outputsize)

    lrnn = nn.Sequencer(nn.LookupRNN(nindex, outputsize))

    output = lrnn.forward(input)
    lrnn.zeroGradParameters()
    lrnn.backward(input, gradOutput)

    mytester.assert_(output.isSameSizeAs(gradOutput))

    params, gradParams = lrnn.parameters()
    for i in range(2):
        mytester.assert_(gradParams[i].abs().mean() > 0.000001)


# VariableLength's C functions (src/generic/c/VariableLength.c) are on a tensor's ``nn`` table, as in Lua. Their
# ``indexes`` are 0-based sequence numbers (Lua's 1-based); ``random(maxLength)`` (1 .. maxLength) is
# ``random(1, maxLength + 1)`` (docs/porting.md's random row).

def _from_samples(cuda):
    """test.lua lines 3915-3952 (cuda: lines 3954-3997, which compare in float)."""
    lg.manualSeed(0)
    nSamples = 10
    maxLength = 20
    for run in range(10):
        lengths = lg.LongTensor(nSamples)
        lengths.random(1, maxLength + 1)
        samples = [None] * nSamples
        for i in range(nSamples):
            t = lg.rand(lengths[i], 5)
            samples[i] = t.cuda() if cuda else t
        output = lg.CudaTensor() if cuda else lg.Tensor()
        mask = lg.CudaByteTensor() if cuda else lg.ByteTensor()
        indexes, mappedLengths = output.nn.VariableLength_FromSamples(samples, output, mask)

        if cuda:
            output = output.float()
            mask = mask.byte()
        for i, ids in enumerate(indexes):
            m = mask.select(1, i)
            t = output.select(1, i)
            for j, sampleId in enumerate(ids):
                l = lengths[sampleId]
                # check that the length was mapped correctly
                mytester.assert_(l == mappedLengths[i][j])
                # checks that the mask is 0 for valid entries
                mytester.assert_(abs(m.narrow(0, 0, l).sum()) < 0.000001)
                # checks that the valid entries are equal
                mytester.assertTensorEq(t.narrow(0, 0, l), samples[sampleId].float() if cuda else samples[sampleId])
                if l < m.size(0):
                    mytester.assert_(m[l] == 1)
                if l + 1 < m.size(0):
                    m = m.narrow(0, l + 1, m.size(0) - l - 1)
                    t = t.narrow(0, l + 1, t.size(0) - l - 1)


def test_VariableLength_FromSamples():
    """test.lua lines 3915-3952."""
    _from_samples(False)


@pytest.mark.gpu
def test_VariableLength_FromSamples_cuda():
    """test.lua lines 3954-3997."""
    _from_samples(True)


def _to_samples(cuda):
    """test.lua lines 3999-4018 (cuda: lines 4020-4042)."""
    nSamples = 10
    maxLength = 20
    for run in range(10):
        lengths = lg.LongTensor(nSamples)
        lengths.random(1, maxLength + 1)
        samples = [None] * nSamples
        for i in range(nSamples):
            samples[i] = lg.rand(lengths[i], 5).cuda() if cuda else lg.rand(lengths[i], 5)
        output = lg.CudaTensor() if cuda else lg.Tensor()
        mask = lg.CudaByteTensor() if cuda else lg.ByteTensor()
        indexes, mappedLengths = output.nn.VariableLength_FromSamples(samples, output, mask)
        new_samples = output.nn.VariableLength_ToSamples(indexes, mappedLengths, output)
        mytester.assert_(len(samples) == len(new_samples))
        for i in range(nSamples):
            if cuda:
                mytester.assertTensorEq(samples[i].float(), new_samples[i].float())
            else:
                mytester.assertTensorEq(samples[i], new_samples[i])


def test_VariableLength_ToSamples():
    """test.lua lines 3999-4018."""
    _to_samples(False)


@pytest.mark.gpu
def test_VariableLength_ToSamples_cuda():
    """test.lua lines 4020-4042."""
    _to_samples(True)


def _to_final(cuda):
    """test.lua lines 4044-4066 (cuda: lines 4068-4093)."""
    nSamples = 10
    maxLength = 20
    for run in range(10):
        lengths = lg.LongTensor(nSamples)
        lengths.random(1, maxLength + 1)
        samples = [None] * nSamples
        for i in range(nSamples):
            t = lg.rand(lengths[i], 5)
            samples[i] = t.cuda() if cuda else t
        output = lg.CudaTensor() if cuda else lg.Tensor()
        mask = lg.CudaByteTensor() if cuda else lg.ByteTensor()
        indexes, mappedLengths = output.nn.VariableLength_FromSamples(samples, output, mask)

        final = lg.CudaTensor() if cuda else lg.Tensor()
        output.nn.VariableLength_ToFinal(indexes, mappedLengths, output, final)

        for i in range(nSamples):
            if cuda:
                mytester.assertTensorEq(samples[i].select(0, lengths[i] - 1).float(), final.select(0, i).float())
            else:
                mytester.assertTensorEq(samples[i].select(0, lengths[i] - 1), final.select(0, i))


def test_VariableLength_ToFinal():
    """test.lua lines 4044-4066."""
    _to_final(False)


@pytest.mark.gpu
def test_VariableLength_ToFinal_cuda():
    """test.lua lines 4068-4093."""
    _to_final(True)


def _from_final(cuda):
    """test.lua lines 4095-4126 (cuda: lines 4128-4162)."""
    lg.manualSeed(2)
    nSamples = 10
    maxLength = 20
    for run in range(1):
        lengths = lg.LongTensor(nSamples)
        lengths.random(1, maxLength + 1)
        samples = [None] * nSamples
        for i in range(nSamples):
            t = lg.rand(lengths[i], 5)
            samples[i] = t.cuda() if cuda else t
        output = lg.CudaTensor() if cuda else lg.Tensor()
        mask = lg.CudaByteTensor() if cuda else lg.ByteTensor()
        indexes, mappedLengths = output.nn.VariableLength_FromSamples(samples, output, mask)

        final = lg.CudaTensor() if cuda else lg.Tensor()
        output.nn.VariableLength_ToFinal(indexes, mappedLengths, output, final)

        re_output = lg.CudaTensor() if cuda else lg.Tensor()
        output.nn.VariableLength_FromFinal(indexes, mappedLengths, final, re_output)

        new_samples = output.nn.VariableLength_ToSamples(indexes, mappedLengths, re_output)

        for i in range(nSamples):
            if lengths[i] > 1:
                mytester.assert_(new_samples[i].narrow(0, 0, lengths[i] - 1).abs().sum() < 0.000001)
            if cuda:
                mytester.assertTensorEq(samples[i].select(0, lengths[i] - 1).float(),
                                        new_samples[i].select(0, lengths[i] - 1).float())
            else:
                mytester.assertTensorEq(samples[i].select(0, lengths[i] - 1), new_samples[i].select(0, lengths[i] - 1))


def test_VariableLength_FromFinal():
    """test.lua lines 4095-4126."""
    _from_final(False)


@pytest.mark.gpu
def test_VariableLength_FromFinal_cuda():
    """test.lua lines 4128-4162."""
    _from_final(True)


def test_VariableLength_lstm():
    """test.lua lines 4164-4271. The language model's indices are 0-based, ``random(0, nIndex)``, and its
    padding is -1 (docs/porting.md's LookupTableMaskZero row): input2 starts filled with -1, and the zero mask
    of its padding is getZeroMaskSequence's of ``input2 + 1``."""
    # test seqlen x batchsize x hiddensize
    maxLength = 8
    batchSize = 3
    hiddenSize = 5
    nIndex = 20

    def testVL(testLM, lastOnly):
        # VL(LSTM): test forward

        input = [None] * batchSize
        if not testLM:
            for i in range(batchSize):
                input[i] = lg.randn(lg.random(1, maxLength + 1), hiddenSize)

            lstm = nn.SeqLSTM(hiddenSize, hiddenSize).maskZero()

            input2 = lg.Tensor(maxLength, batchSize, hiddenSize).zero()
        else:
            for i in range(batchSize):
                input[i] = lg.Tensor(lg.random(1, maxLength + 1)).random(0, nIndex)

            lstm = nn.Sequential() \
                .add(nn.LookupTableMaskZero(nIndex, hiddenSize)) \
                .add(nn.SeqLSTM(hiddenSize, hiddenSize).maskZero())

            input2 = lg.Tensor(maxLength, batchSize).fill(-1)

        vl = nn.VariableLength(lstm.clone(), lastOnly)

        output = vl.forward(input)

        for i in range(batchSize):
            seqlen = input[i].size(0)
            input2.select(1, i).narrow(0, maxLength - seqlen, seqlen).copy(input[i])

        lstm.setZeroMask(nn.utils.getZeroMaskSequence(input2 + 1 if testLM else input2))
        output2 = lstm.forward(input2)

        if not lastOnly:
            for i in range(batchSize):
                out1 = output[i]
                seqlen = input[i].size(0)
                mytester.assert_(out1.size(0) == seqlen)
                out2 = output2.select(1, i).narrow(0, maxLength - seqlen, seqlen)
                mytester.assertTensorEq(out1, out2, 0.00000001)
        else:
            mytester.assertTensorEq(output, output2[maxLength - 1], 0.000001)

        # VL(LSTM): test backward

        if not lastOnly:
            gradOutput = [None] * batchSize
            for i in range(batchSize):
                gradOutput[i] = lg.randn(output[i].size())

            gradOutput2 = lg.Tensor(maxLength, batchSize, hiddenSize).zero()
            for i in range(batchSize):
                seqlen = gradOutput[i].size(0)
                gradOutput2.select(1, i).narrow(0, maxLength - seqlen, seqlen).copy(gradOutput[i])
        else:
            gradOutput = lg.randn(batchSize, hiddenSize)
            gradOutput2 = lg.Tensor(maxLength, batchSize, hiddenSize).zero()
            gradOutput2[maxLength - 1].copy(gradOutput)

        vl.zeroGradParameters()
        gradInput = vl.backward(input, gradOutput)

        for i in range(batchSize):
            mytester.assert_(input[i].isSameSizeAs(gradInput[i]))

        lstm.zeroGradParameters()
        gradInput2 = lstm.backward(input2, gradOutput2)

        for i in range(batchSize):
            gradIn1 = gradInput[i]
            seqlen = input[i].size(0)
            mytester.assert_(gradIn1.size(0) == seqlen)
            gradIn2 = gradInput2.select(1, i).narrow(0, maxLength - seqlen, seqlen)
            mytester.assertTensorEq(gradIn1, gradIn2, 0.00000001)

        params, gradParams = vl.parameters()
        params2, gradParams2 = lstm.parameters()

        for i in range(len(params2)):
            mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.000001)

    # testVL(testLstm, lastOnly)
    testVL(False, False)
    testVL(True, False)
    testVL(False, True)
    testVL(True, True)


def test_ReverseSequence():
    """test.lua lines 5014-5054."""
    # test table

    # input : { a, b, c, d }
    # output : { c, b, a, d }
    r = nn.ReverseSequence()
    input = [lg.randn(3, 4), lg.randn(3, 4), lg.randn(3, 4), lg.randn(3, 4)]
    output = r.forward(input)

    mytester.assert_(len(output) == 4, "ReverseSequence #output")
    k = 0
    for i in range(len(input) - 1, -1, -1):
        mytester.assertTensorEq(input[i], output[k], 0.00001, f"ReverseSequence output err {k}")
        k = k + 1

    gradInput = r.backward(input, output)
    mytester.assert_(len(gradInput) == 4, "ReverseSequence #gradInput")
    for i in range(len(input)):
        mytester.assertTensorEq(gradInput[i], input[i], 0.00001, f"ReverseSequence gradInput err {i}")

    # test tensor

    r = nn.ReverseSequence()
    input = lg.randn(5, 4, 3)
    output = r.forward(input)

    mytester.assert_(output.isSameSizeAs(input), "ReverseSequence #output")
    k = 0
    for i in range(4, -1, -1):
        mytester.assertTensorEq(input[i], output[k], 0.00001, f"ReverseSequence output err {k}")
        k = k + 1

    gradInput = r.backward(input, output)
    mytester.assert_(gradInput.isSameSizeAs(input), "ReverseSequence #gradInput")
    for i in range(5):
        mytester.assertTensorEq(gradInput[i], input[i], 0.00001, f"ReverseSequence gradInput err {i}")


def test_SeqBLSTMTest():
    """test.lua lines 3079-3099. ``nn.SeqReverseSequence(1)`` reverses dimension 0 (0-based dimensions)."""
    brnn = nn.SeqBLSTM(5, 5)

    input = lg.rand(5, 1, 5)
    output = brnn.forward(input).clone()
    fwd = brnn.getForward()
    bwd = brnn.getBackward()
    fwd.clearState()
    bwd.clearState()

    fwdOutput = fwd.forward(input)

    reverseSequence = nn.SeqReverseSequence(0)

    reversedInput = reverseSequence.forward(input)
    bwdOutput = bwd.forward(reversedInput)
    bwdOutput = reverseSequence.forward(bwdOutput)

    expectedOutput = lg.add(fwdOutput, bwdOutput)
    mytester.assertTensorEq(expectedOutput, output, 0)
