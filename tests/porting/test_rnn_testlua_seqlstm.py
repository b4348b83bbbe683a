"""Element-Research/rnn's test/test.lua, lines 4552-6829 (the local ``forwardbackward``,
``rnntest.LookupTableMaskZero`` ... ``rnntest.getHiddenState``, with the local ``check_size``), ported literally:
one test per ``rnntest.X``, each naming its lines. The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is
``.``, indices, class labels, dimensions and time steps are 0-based (LookupTableMaskZero's padding index is -1,
docs/porting.md's rnn rows), a Lua table of steps is a Python list, ``mytester:assertlt(a, b)`` is ``assert a < b``
and ``assertError`` is ``pytest.raises``; the other ``mytester`` calls stay Tester calls, set to raise.

rnn.test runs in Torch7's default type, DoubleTensor (the ``double_default`` fixture), with the shared set-up of
tests/porting/rnn_testlua.py (``precision``, ``mytester``, the global ``checkgrad``). Lua's ``math.random`` is
Python's ``random``, seeded per test as tests/porting/conftest.py's ``cunn_setup`` seeds it. The ``benchmark``
branches only time and are left out."""
import math
import random

import pytest

import legonn as lg
from legonn import nn
from tests.porting.rnn_testlua import checkgrad, mytester, precision

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as rnn.test() runs


@pytest.fixture(autouse=True)
def _seed_math_random():
    """Lua's ``math.random`` draws the sizes: seeded so they are the same on every run."""
    random.seed(1234)


def forwardbackward(module, criterion, input, expected):
    """test.lua lines 4552-4559."""
    output = module.forward(input)
    criterion.forward(output, expected)
    module.zeroGradParameters()
    module.backward(input, criterion.backward(output, expected))
    module.updateParameters(1)
    return output


def test_LookupTableMaskZero():
    """test.lua lines 4561-4592. Indices are 0-based and the padding index is -1 (docs/porting.md's
    LookupTableMaskZero row): ``torch.zeros`` of padding is a tensor filled with -1."""
    batchSize = random.randint(5, 10)
    outputSize = random.randint(5, 10)
    indexSize = batchSize

    m1 = nn.LookupTable(indexSize, outputSize)
    m2 = nn.LookupTableMaskZero(indexSize, outputSize)
    m2.weight.narrow(0, 1, indexSize).copy(m1.weight)
    criterion = nn.MSECriterion()
    # Zero padding will change averaging
    criterion.sizeAverage = False

    # verify that LookupTables have the same results (modulo zero padding)
    # through multiple backpropagations
    for i in range(10):
        input1 = lg.randperm(batchSize)
        input2 = lg.zeros(batchSize + 2).fill(-1)   # the padding index
        input2.narrow(0, 0, batchSize).copy(input1)
        expected1 = lg.rand(batchSize, outputSize)
        expected2 = lg.rand(batchSize + 2, outputSize)
        expected2.narrow(0, 0, batchSize).copy(expected1)
        o1 = forwardbackward(m1, criterion, input1, expected1)
        o2 = forwardbackward(m2, criterion, input2, expected2)
        # output modulo zero index should be the same
        assert lg.norm(o1 - o2.narrow(0, 0, batchSize), 2) < precision
        # zero index should yield zero vector
        assert o2[batchSize].norm(2) < precision
        assert o2[batchSize + 1].norm(2) < precision
        # weights should be equivalent
        assert lg.norm(m1.weight - m2.weight.narrow(0, 1, indexSize), 2) < precision


def _MaskZeroCriterion_cpu():
    batchSize = 3
    nClass = 10
    input = lg.randn(batchSize, nClass)
    target = lg.LongTensor(batchSize).random(0, nClass)   # 0-based labels

    nll = nn.ClassNLLCriterion()
    mznll = nn.MaskZeroCriterion(nll, 1)

    # test that it works when nothing to mask
    err = mznll.forward(input, target)
    gradInput = mznll.backward(input, target).clone()

    err2 = nll.forward(input, target)
    gradInput2 = nll.backward(input, target)

    mytester.assert_(abs(err - err2) < 0.0000001, "MaskZeroCriterion No-mask fwd err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.0000001, "MaskZeroCriterion No-mask bwd err")

    # test that it works when last row to mask
    input[batchSize - 1].zero()
    target[batchSize - 1] = -1   # a padding row's label is never read (docs/porting.md's LookupTableMaskZero row)

    err = mznll.forward(input, target)
    gradInput = mznll.backward(input, target).clone()

    input2 = input.narrow(0, 0, batchSize - 1)
    target2 = target.narrow(0, 0, batchSize - 1)
    err2 = nll.forward(input2, target2)
    gradInput2 = nll.backward(input2, target2)

    mytester.assert_(gradInput[batchSize - 1].sum() == 0, "MaskZeroCriterion last-mask bwd zero err")
    mytester.assert_(abs(err - err2) < 0.0000001, "MaskZeroCriterion last-mask fwd err")
    mytester.assertTensorEq(gradInput.narrow(0, 0, batchSize - 1), gradInput2, 0.0000001,
                            "MaskZeroCriterion last-mask bwd err")

    # test type-casting
    mznll.float()
    input3 = input.float()
    err3 = mznll.forward(input3, target)
    gradInput3 = mznll.backward(input3, target).clone()

    mytester.assert_(abs(err3 - err) < 0.0000001, "MaskZeroCriterion cast fwd err")
    mytester.assertTensorEq(gradInput3, gradInput.float(), 0.0000001, "MaskZeroCriterion cast bwd err")
    return mznll, input, target, err, gradInput3


def test_MaskZeroCriterion():
    """test.lua lines 4594-4669, without the ``pcall(require, 'cunn')`` part (test_MaskZeroCriterion_cuda).
    Class labels are 0-based."""
    batchSize = 3
    _MaskZeroCriterion_cpu()

    # issue 128
    input, target = lg.zeros(3, 2), lg.Tensor([0, 1, 0])   # batch size 3, 2 classes
    crit = nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1)
    # output from a masked module gives me all zeros
    loss = crit.forward(input, target)
    mytester.assert_(loss == 0, "MaskZeroCriterion all zeros fwd err")

    gradInput = crit.backward(input, target)
    mytester.assert_(gradInput.sum() == 0, "MaskZeroCriterion all zeros bwd err")

    # test table input
    inputSize = 5
    input = [lg.randn(batchSize, inputSize), lg.randn(batchSize, inputSize)]
    target = lg.randn(batchSize).fill(1)
    input[0][1].zero()
    criterion = nn.MaskZeroCriterion(nn.CosineEmbeddingCriterion(), 1)
    loss = criterion.forward(input, target)
    gradInput = criterion.backward(input, target)
    mytester.assert_(gradInput[0][1].sum() + gradInput[1][1].sum() == 0)


@pytest.mark.gpu
def test_MaskZeroCriterion_cuda():
    """test.lua lines 4594-4669: the ``pcall(require, 'cunn')`` part (lines 4637-4647), after the CPU part it
    follows."""
    mznll, input, target, err, gradInput3 = _MaskZeroCriterion_cpu()
    # test cuda
    mznll.cuda()
    input4 = input.cuda()
    target4 = target.cuda()
    err4 = mznll.forward(input4, target4)
    gradInput4 = mznll.backward(input4, target4).clone()

    mytester.assert_(abs(err4 - err) < 0.0000001, "MaskZeroCriterion cuda fwd err")
    mytester.assertTensorEq(gradInput4.float(), gradInput3, 0.0000001, "MaskZeroCriterion cuda bwd err")


def test_MaskZero_where():
    """test.lua lines 4671-4778. moses' ``_.first(t, 3)`` and ``_.last(t, 3)`` are ``t[:3]`` and ``t[-3:]``."""
    hiddensize = 5
    batchsize = 4
    seqlen = 7

    rnn = nn.FastLSTM(hiddensize, hiddensize)
    rnn.maskZero(1)
    rnn = nn.Sequencer(rnn)

    # is there any difference between start and end padding?

    inputs, gradOutputs = [], []

    for i in range(seqlen):
        if i == 0:
            inputs.append(lg.zeros(batchsize, hiddensize))
        else:
            inputs.append(lg.randn(batchsize, hiddensize))
        gradOutputs.append(lg.randn(batchsize, hiddensize))

    outputs = rnn.forward(inputs)
    rnn.zeroGradParameters()
    gradInputs = rnn.backward(inputs, gradOutputs)

    params, gradParams = rnn.parameters()
    params2, gradParams2 = [], []
    for i in range(len(params)):
        params2.append(params[i].clone())
        gradParams2.append(gradParams[i].clone())

    outputs2, gradInputs2 = [], []
    for i in range(seqlen):
        outputs2.append(outputs[i].clone())
        gradInputs2.append(gradInputs[i].clone())
    inputs.append(inputs.pop(0))   # inputs[seqlen] = table.remove(inputs, 1)
    gradOutputs.append(gradOutputs.pop(0))

    rnn.forget()
    outputs = rnn.forward(inputs)
    rnn.zeroGradParameters()
    gradInputs = rnn.backward(inputs, gradOutputs)

    for i in range(seqlen - 1):
        mytester.assertTensorEq(outputs[i], outputs2[i + 1], 0.000001)
        mytester.assertTensorEq(gradInputs[i], gradInputs2[i + 1], 0.000001)

    for i in range(len(params)):
        mytester.assertTensorEq(gradParams2[i], gradParams[i], 0.000001)

    # how about in the middle? is it the same as a forget() in between

    inputs, gradOutputs = [], []

    for i in range(seqlen):
        if i == 3:
            inputs.append(lg.zeros(batchsize, hiddensize))
        else:
            inputs.append(lg.randn(batchsize, hiddensize))
        gradOutputs.append(lg.randn(batchsize, hiddensize))

    rnn.forget()
    rnn2 = rnn.clone()

    outputs = rnn.forward(inputs)
    rnn.zeroGradParameters()
    gradInputs = rnn.backward(inputs, gradOutputs)

    inputs1 = inputs[:3]
    gradOutputs1 = gradOutputs[:3]

    outputs1 = rnn2.forward(inputs1)
    rnn2.zeroGradParameters()
    gradInputs1 = rnn2.backward(inputs1, gradOutputs1)

    for i in range(3):
        mytester.assertTensorEq(outputs[i], outputs1[i], 0.000001)
        mytester.assertTensorEq(gradInputs[i], gradInputs1[i], 0.000001)

    rnn2.forget()   # forget at mask zero

    inputs2 = inputs[-3:]
    gradOutputs2 = gradOutputs[-3:]

    outputs2 = rnn2.forward(inputs2)
    gradInputs2 = rnn2.backward(inputs2, gradOutputs2)

    params, gradParams = rnn.parameters()
    params2, gradParams2 = rnn2.parameters()

    for i in range(len(params)):
        mytester.assertTensorEq(gradParams2[i], gradParams[i], 0.000001)

    for i in range(3):
        mytester.assertTensorEq(outputs[i + 4], outputs2[i], 0.000001)
        mytester.assertTensorEq(gradInputs[i + 4], gradInputs2[i], 0.000001)


def test_issue129():
    """test.lua lines 4780-4823."""
    # test without rnn
    model1 = nn.Sequential()
    model1.add(nn.SpatialBatchNormalization(2))

    input = lg.randn(4, 2, 64, 64)   # batch_size X channels X height X width

    model1.training()
    for i in range(1000):   # to run training enough times
        output = model1.forward(input).clone()

    model1.evaluate()
    output2 = model1.forward(input).clone()

    mytester.assertTensorEq(output, output2, 0.0002, "issue 129 err")

    # test with rnn
    normalize = nn.Sequential()
    normalize.add(nn.SpatialBatchNormalization(2))

    model = nn.Sequential()
    model.add(nn.SplitTable(0))   # since sequencer expects table as input
    model.add(nn.Sequencer(normalize))   # wrapping batch-normalization in a sequencer
    model.add(nn.JoinTable(0))   # since sequencer outputs table

    input.resize(1, 4, 2, 64, 64)   # time_step X batch_size X channels X height X width

    model.training()

    for i in range(1000):   # to run training enough times
        output = model.forward(input).clone()

    mytester.assertTensorEq(model1.get(0).running_mean,
                            model.get(1).module.sharedClones[0].modules[0].running_mean, 0.000001)
    mytester.assertTensorEq(model.get(1).module.sharedClones[0].modules[0].running_mean,
                            model.get(1).module.recurrentModule.modules[0].running_mean, 0.0000001)

    model.evaluate()
    output2 = model.forward(input).clone()

    mytester.assertTensorEq(output, output2, 0.0002, "issue 129 err")


def test_issue170():
    """test.lua lines 4825-4869. Word indices are 0-based and 0 (padding) is -1; ``torch.ceil(torch.rand(n))``,
    all ones, is the class 0. ``nn[arch]`` is ``getattr(nn, arch)``; ``rnn[method](rnn, 1)`` is
    ``getattr(rnn, method)(1)``."""
    lg.manualSeed(123)

    rnn_size = 8
    vocabSize = 7
    word_embedding_size = 10
    rnn_dropout = .00000001   # dropout ignores manualSeed()
    mono = True
    x = lg.Tensor([[0, 1, 2], [-1, 3, 4], [-1, -1, 6]])
    t = lg.ceil(lg.rand(x.size(1))) - 1
    rnns = ['GRU']
    methods = ['maskZero', 'trimZero']
    loss = lg.Tensor(len(rnns), len(methods), 1)

    for ir, arch in enumerate(rnns):
        rnn = getattr(nn, arch)(word_embedding_size, rnn_size, None, rnn_dropout, True)
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
                y = model.forward(x)
                loss[ir][im][i] = criterion.forward(y, t)
                dy = criterion.backward(y, t)
                model.backward(x, dy)
                w, dw = model.parameters()
                model.updateParameters(.5)
    mytester.assertTensorEq(loss.select(1, 0), loss.select(1, 1), 0.0000001, "loss check")


def test_encoderdecoder():
    """test.lua lines 4871-5007. Word indices and labels are 0-based; the encoder's last step is
    ``opt.inputSeqLen - 1`` and the decoder's initial state is step -1 (docs/porting.md's rnn time-steps row)."""
    lg.manualSeed(123)

    class opt:
        pass
    opt.learningRate = 0.1
    opt.hiddenSz = 2
    opt.vocabSz = 5
    opt.inputSeqLen = 3   # length of the encoded sequence

    # Forward coupling: Copy encoder cell and output to decoder LSTM
    # (recursiveCopy returns the Lua's two values as a pair: ``local x = f()`` keeps the first, ``[0]``)
    def forwardConnect(encLSTM, decLSTM):
        decLSTM.userPrevOutput = nn.rnn.recursiveCopy(decLSTM.userPrevOutput,
                                                      encLSTM.outputs[opt.inputSeqLen - 1])[0]
        decLSTM.userPrevCell = nn.rnn.recursiveCopy(decLSTM.userPrevCell, encLSTM.cells[opt.inputSeqLen - 1])[0]

    # Backward coupling: Copy decoder gradients to encoder LSTM
    def backwardConnect(encLSTM, decLSTM):
        encLSTM.setGradHiddenState(opt.inputSeqLen - 1, decLSTM.getGradHiddenState(-1))

    # Encoder
    enc = nn.Sequential()
    enc.add(nn.LookupTable(opt.vocabSz, opt.hiddenSz))
    enc.add(nn.SplitTable(0, 2))   # works for both online and mini-batch mode
    encLSTM = nn.LSTM(opt.hiddenSz, opt.hiddenSz)
    enc.add(nn.Sequencer(encLSTM))
    enc.add(nn.SelectTable(-1))

    # Decoder
    dec = nn.Sequential()
    dec.add(nn.LookupTable(opt.vocabSz, opt.hiddenSz))
    dec.add(nn.SplitTable(0, 2))   # works for both online and mini-batch mode
    decLSTM = nn.LSTM(opt.hiddenSz, opt.hiddenSz)
    dec.add(nn.Sequencer(decLSTM))
    dec.add(nn.Sequencer(nn.Linear(opt.hiddenSz, opt.vocabSz)))
    dec.add(nn.Sequencer(nn.LogSoftMax()))

    criterion = nn.SequencerCriterion(nn.ClassNLLCriterion())

    encParams, encGradParams = enc.getParameters()
    decParams, decGradParams = dec.getParameters()

    enc.zeroGradParameters()
    dec.zeroGradParameters()

    # Some example data (batchsize = 2)
    encInSeq = lg.Tensor([[0, 1, 2], [2, 1, 0]])
    decInSeq = lg.Tensor([[0, 1, 2, 3], [3, 2, 1, 0]])
    decOutSeq = lg.Tensor([[1, 2, 3, 0], [0, 1, 3, 2]])
    decOutSeq = nn.SplitTable(0, 1).forward(decOutSeq)

    # Forward pass
    encOut = enc.forward(encInSeq)
    forwardConnect(encLSTM, decLSTM)
    decOut = dec.forward(decInSeq)
    Edec = criterion.forward(decOut, decOutSeq)

    # Backward pass
    gEdec = criterion.backward(decOut, decOutSeq)
    dec.backward(decInSeq, gEdec)
    backwardConnect(encLSTM, decLSTM)
    zeroTensor = lg.zeros(encOut.size())
    enc.backward(encInSeq, zeroTensor)

    def numgradtest():
        # Here, we do a numerical gradient check to make sure the coupling is correct:
        eps = 1e-5

        decGP_est, encGP_est = lg.DoubleTensor(decGradParams.size()), lg.DoubleTensor(encGradParams.size())

        # Easy function to do forward pass over coupled network and get error
        def forwardPass():
            encOut = enc.forward(encInSeq)
            forwardConnect(encLSTM, decLSTM)
            decOut = dec.forward(decInSeq)
            E = criterion.forward(decOut, decOutSeq)
            return E

        # Check encoder
        for i in range(encGradParams.size(0)):
            # Forward with \theta+eps
            encParams[i] = encParams[i] + eps
            C1 = forwardPass()
            # Forward with \theta-eps
            encParams[i] = encParams[i] - 2 * eps
            C2 = forwardPass()

            encParams[i] = encParams[i] + eps
            encGP_est[i] = (C1 - C2) / (2 * eps)
        mytester.assertTensorEq(encGradParams, encGP_est, eps, "Numerical gradient check for encoder failed")

        # Check decoder
        for i in range(decGradParams.size(0)):
            # Forward with \theta+eps
            decParams[i] = decParams[i] + eps
            C1 = forwardPass()
            # Forward with \theta-eps
            decParams[i] = decParams[i] - 2 * eps
            C2 = forwardPass()

            decParams[i] = decParams[i] + eps
            decGP_est[i] = (C1 - C2) / (2 * eps)
        mytester.assertTensorEq(decGradParams, decGP_est, eps, "Numerical gradient check for decoder failed")

    numgradtest()

    encGradParams.zero()
    decGradParams.zero()

    # issue 142

    # batchsize = 3

    encInSeq = lg.Tensor([[0, 1, 2], [2, 1, 0], [0, 2, 4]])
    decInSeq = lg.Tensor([[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 4, 0]])
    decOutSeq = lg.Tensor([[1, 2, 3, 0], [0, 1, 3, 2], [0, 1, 4, 2]])
    decOutSeq = nn.SplitTable(0, 1).forward(decOutSeq)

    # Forward pass
    encOut = enc.forward(encInSeq)
    forwardConnect(encLSTM, decLSTM)
    decOut = dec.forward(decInSeq)
    Edec = criterion.forward(decOut, decOutSeq)

    # Backward pass
    gEdec = criterion.backward(decOut, decOutSeq)
    dec.backward(decInSeq, gEdec)
    backwardConnect(encLSTM, decLSTM)
    zeroTensor = lg.zeros(encOut.size())
    enc.backward(encInSeq, zeroTensor)

    numgradtest()


def test_reinforce():
    """test.lua lines 5009-5028. Steps are 0-based (docs/porting.md's rnn time-steps row)."""
    # test that AbstractRecurrent:reinforce(rewards) words
    seqLen = 4
    batchSize = 3
    rewards = []
    for i in range(seqLen):
        rewards.append(lg.randn(batchSize))
    rf = nn.ReinforceNormal(0.1)
    rnn = nn.Recursor(rf)
    input = lg.randn(batchSize, 3)
    for i in range(seqLen):
        rnn.forward(input)
    rnn.reinforce(rewards)
    for i in range(seqLen):
        rm = rnn.getStepModule(i)
        mytester.assertTensorEq(rm.reward, rewards[i], 0.000001, "Reinforce error")
