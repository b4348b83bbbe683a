"""torch/rnn's test/test.lua (2017), the cases that tests/porting/test_torch_rnn_testlua.py leaves: those of the
classes legonn has from Element-Research's rnn and dpnn (Sequencer, Repeater, SequencerCriterion,
MaskZeroCriterion, SeqLSTM, SeqGRU, NCE, the REINFORCE modules, SpatialGlimpse, ...) and torch/rnn's text metrics
(measure.lua's ``nn.get_bleu``, ``nn.get_rougeN``, ``nn.get_rougeS``). Ported literally: one test per
``rnntest.X``, each naming its lines, with that file's edits (docs/porting.md's): ``torch.`` is ``lg.``, ``:`` is
``.``, indices, dimensions, class labels and time steps are 0-based (a recurrent module's initial state, Lua's
step 0, is step -1), ``mytester:assertlt(a, b)`` is ``assert a < b``; the other ``mytester`` calls stay Tester
calls, set to raise. torch/rnn's ``SeqLSTM(inputsize, hiddensize, outputsize)`` is legonn's ``SeqLSTMP`` (docs/
porting.md's torch/rnn row). A part under ``if rnn.cuda then`` is its own ``test_X_cuda``, marked ``gpu``.

Many of these functions are Element-Research's (rnn's or dpnn's test.lua) token for token but for the
function's table name and the CUDA guard (``rnn.cuda`` for ``pcall(require 'cunn')``): those are ported once, in
the Element-Research port the docstring names, and run from here as torch/rnn's lines.

The others are ported here; where torch/rnn's class differs from legonn's Element-Research one legonn takes
torch/rnn's form as well (MaskZeroCriterion(criterion) and ``v2``, setZeroMask on SequencerCriterion,
AbstractRecurrent(stepmodule), setStartState on Recurrence and Recursor, SeqLSTM.toRecLSTM, SeqGRU.toRecGRU,
BiSequencer over a SeqLSTM, the text metrics). The ``_Lua_vs_C`` cases compare torch/rnn's C kernels with its
Lua (``forceLua``); legonn has one implementation, so they compare the fused layer with the rnn package's
nn-module cell of the same parameters (toFastLSTM, toGRU) in a Sequencer, as test_torch_rnn_testlua.py's ``_C``
cases do.

rnn.test runs in Torch7's default type, DoubleTensor (the ``double_default`` fixture). Lua's ``math.random`` is
Python's ``random``, seeded per test (the ``lua_math_random`` fixture)."""
import random

import pytest

import legonn as lg
from legonn import nn
from tests.porting import test_dpnn_testlua_glimpse_nce as dpnn_glimpse_nce
from tests.porting import test_dpnn_testlua_modules as dpnn_modules
from tests.porting import test_rnn_testlua_recurrent as er_recurrent
from tests.porting import test_rnn_testlua_seqlstm as er_seqlstm
from tests.porting import test_rnn_testlua_sequencers as er_sequencers
from tests.porting.rnn_testlua import checkgrad, mytester, precision

pytestmark = pytest.mark.usefixtures('double_default', 'lua_math_random')   # Torch7's default type, as rnn.test() runs


# --- the functions that are Element-Research's, token for token ------------------------------------------------

def test_Sequencer_tensoreval():
    """test.lua lines 1170-1224: Element-Research rnn's test.lua lines 2313-2367."""
    er_recurrent.test_Sequencer_tensoreval()


def test_BiSequencerLM():
    """test.lua lines 1302-1379: Element-Research rnn's lines 2434-2511."""
    er_recurrent.test_BiSequencerLM()


def test_RepeaterCriterion():
    """test.lua lines 1521-1573: Element-Research rnn's lines 2663-2715."""
    er_sequencers.test_RepeaterCriterion()


def test_LookupTableMaskZero():
    """test.lua lines 2018-2049: Element-Research rnn's lines 4561-4592 (with the helper ``forwardbackward``,
    lines 2009-2016, theirs too)."""
    er_seqlstm.test_LookupTableMaskZero()


def test_reinforce():
    """test.lua lines 2459-2478: Element-Research rnn's lines 5009-5028."""
    er_seqlstm.test_reinforce()


def test_rnnlm():
    """test.lua lines 2480-2594: Element-Research rnn's lines 5030-5144."""
    er_seqlstm.test_rnnlm()


def test_issue204():
    """test.lua lines 2596-2664: Element-Research rnn's lines 5146-5214."""
    er_seqlstm.test_issue204()


def test_clearState():
    """test.lua lines 3124-3158: Element-Research rnn's lines 5799-5833."""
    er_seqlstm.test_clearState()


def test_Module_gradParamClip():
    """test.lua lines 4971-4994: Element-Research dpnn's test.lua lines 256-279."""
    dpnn_modules.test_Module_gradParamClip()


def test_Module_getParameters():
    """test.lua lines 4996-5012: dpnn's lines 281-297."""
    dpnn_modules.test_Module_getParameters()


def test_ReinforceNormal():
    """test.lua lines 5056-5094: dpnn's lines 438-476."""
    dpnn_modules.test_ReinforceNormal()


def test_ReinforceGamma():
    """test.lua lines 5096-5136: dpnn's lines 478-518."""
    dpnn_modules.test_ReinforceGamma()


def test_ReinforceBernoulli():
    """test.lua lines 5138-5163: dpnn's lines 520-545."""
    dpnn_modules.test_ReinforceBernoulli()


def test_ReinforceCategorical():
    """test.lua lines 5165-5191: dpnn's lines 547-573."""
    dpnn_modules.test_ReinforceCategorical()


def test_VRClassReward():
    """test.lua lines 5193-5222: dpnn's lines 575-604, the CPU part."""
    dpnn_modules.test_VRClassReward()


@pytest.mark.gpu
def test_VRClassReward_cuda():
    """test.lua lines 5193-5222, the ``if rnn.cuda`` part (dpnn's ``require 'cunn'`` part)."""
    dpnn_modules.test_VRClassReward_cuda()


def test_BinaryClassReward():
    """test.lua lines 5224-5253: dpnn's lines 606-635."""
    dpnn_modules.test_BinaryClassReward()


def test_SpatialGlimpse():
    """test.lua lines 5255-5475: dpnn's lines 655-875, the CPU part."""
    dpnn_modules.test_SpatialGlimpse()


@pytest.mark.gpu
def test_SpatialGlimpse_cuda():
    """test.lua lines 5255-5475, the ``require 'cunn'`` part."""
    dpnn_modules.test_SpatialGlimpse_cuda()


def test_SpatialGlimpse_backwardcompat():
    """test.lua lines 5477-5647: dpnn's lines 877-1047."""
    dpnn_modules.test_SpatialGlimpse_backwardcompat()


def test_SpatialGlimpseRect():
    """test.lua lines 5650-5894: dpnn's lines 1050-1294, the CPU part."""
    dpnn_glimpse_nce.test_SpatialGlimpseRect()


@pytest.mark.gpu
def test_SpatialGlimpseRect_cuda():
    """test.lua lines 5650-5894, the ``require 'cunn'`` part."""
    dpnn_glimpse_nce.test_SpatialGlimpseRect_cuda()


def test_ArgMax():
    """test.lua lines 5896-5913: dpnn's lines 1296-1313."""
    dpnn_glimpse_nce.test_ArgMax()


def test_CategoricalEntropy():
    """test.lua lines 5915-5935: dpnn's lines 1315-1335."""
    dpnn_glimpse_nce.test_CategoricalEntropy()


def test_TotalDropout():
    """test.lua lines 5937-5957: dpnn's lines 1337-1357."""
    dpnn_glimpse_nce.test_TotalDropout()


def test_NCE_main():
    """test.lua lines 5959-6195: dpnn's lines 1776-2012, the CPU part."""
    dpnn_glimpse_nce.test_NCE_main()


@pytest.mark.gpu
def test_NCE_main_cuda():
    """test.lua lines 5959-6195, the ``if rnn.cuda`` part."""
    dpnn_glimpse_nce.test_NCE_main_cuda()


def test_NCE_multinomial():
    """test.lua lines 6197-6213: dpnn's lines 2014-2030."""
    dpnn_glimpse_nce.test_NCE_multinomial()


def test_NCE_batchnoise():
    """test.lua lines 6215-6383: dpnn's lines 2032-2200, the CPU part."""
    dpnn_glimpse_nce.test_NCE_batchnoise()


@pytest.mark.gpu
def test_NCE_batchnoise_cuda():
    """test.lua lines 6215-6383, the ``if rnn.cuda`` part."""
    dpnn_glimpse_nce.test_NCE_batchnoise_cuda()


def test_NCE_multicuda():
    """test.lua lines 6385-6465: dpnn's lines 2342-2422, NCEModule's ``multicuda`` over two GPUs."""
    pytest.skip("NCEModule:multicuda splits the weight over two GPUs (torchx); legonn drives one device, so "
                "model parallelism is out of scope (docs/coverage.md's GPU and NCEModule rows)")


# --- torch/rnn's own versions ------------------------------------------------------------------------------------

def test_Repeater():
    """test.lua lines 1381-1444."""
    batchSize = 4
    inputSize = 10
    outputSize = 7
    nStep = 5
    rnn = nn.LinearRNN(inputSize, outputSize)
    rnn2 = rnn.clone()

    inputs, outputs, gradOutputs = [], [], []
    input = lg.randn(batchSize, inputSize)
    for step in range(nStep):
        outputs.append(rnn.forward(input))
        gradOutputs.append(lg.randn(batchSize, outputSize))
    gradInputs = [None] * nStep
    for step in range(nStep - 1, -1, -1):
        gradInputs[step] = rnn.backward(input, gradOutputs[step])

    rnn3 = nn.Repeater(rnn2, nStep)
    outputs3 = rnn3.forward(input)
    gradInput3 = rnn3.backward(input, gradOutputs)
    mytester.assert_(len(outputs3) == len(outputs), "Repeater output size err")
    mytester.assert_(len(outputs3) == len(gradInputs), "Repeater gradInputs size err")
    gradInput = gradInputs[0].clone().zero()
    for step, output in enumerate(outputs):
        mytester.assertTensorEq(outputs3[step], output, 0.00001, "Repeater output " + str(step))
        gradInput.add(gradInputs[step])
    mytester.assertTensorEq(gradInput3, gradInput, 0.00001, "Repeater gradInput err")

    # test with Recursor
    rnn = nn.LinearRNN(inputSize, outputSize)
    rnn2 = rnn.clone()

    rnn3 = nn.Repeater(rnn, nStep)
    rnn4 = nn.Repeater(nn.Sequential().add(nn.Identity()).add(rnn2), nStep)

    rnn3.zeroGradParameters()
    rnn4.zeroGradParameters()

    outputs = rnn3.forward(input)
    outputs2 = rnn4.forward(input)

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


def _SequencerCriterion(cuda):
    """test.lua lines 1446-1519; the ``if rnn.cuda`` part (lines 1504-1518) when ``cuda``. Targets are 0-based
    classes (``randperm`` draws 0 .. n-1)."""
    batchSize = 4
    inputSize = 10
    outputSize = 7
    nStep = 5
    # https://github.com/Element-Research/rnn/issues/128
    criterion = nn.MaskZeroCriterion(nn.ClassNLLCriterion())
    criterion.v2 = False
    sc = nn.SequencerCriterion(criterion.clone())
    input = []
    target = []
    err2 = 0
    gradInput2 = []
    for i in range(nStep):
        input.append(lg.randn(batchSize, inputSize))
        target.append(lg.randperm(inputSize).narrow(0, 0, batchSize))
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
    input = lg.randn(nStep, batchSize, inputSize).float()
    target = lg.Tensor(nStep, batchSize).float()
    for i in range(nStep):
        target[i] = lg.randperm(inputSize).narrow(0, 0, batchSize)
    errTensorInput = sc.forward(input, target)   # As Tensor
    errTableInput = sc2.forward(split.forward(input), split.forward(target))   # As Table
    mytester.assert_(abs(errTensorInput - errTableInput) == 0, "SequencerCriterion forward type err")
    gradInputTensor = sc.backward(input, target)
    gradInputTable = sc.backward(split.forward(input), split.forward(target))
    mytester.assertTensorEq(gradInputTensor, lg.cat(gradInputTable, 0).view(gradInputTensor.size()), 0,
                            "SequencerCriterion backward type err ")

    if cuda:
        # test cuda()
        sc.gradInput = []
        sc.cuda()

        gradInput4 = []
        input = input.cuda()
        target = target.cuda()

        err4 = sc.forward(input, target)
        mytester.assert_(abs(errTensorInput - err4) < 0.000001, "SequencerCriterion forward cuda err")
        gradInput4 = sc.backward(input, target)
        for i in range(nStep):
            mytester.assertTensorEq(gradInput4[i].float(), gradInput3[i], 0.000001,
                                    "SequencerCriterion backward cuda err " + str(i))


def test_SequencerCriterion():
    """test.lua lines 1446-1519, the CPU part. torch/rnn's ``MaskZeroCriterion(criterion)`` then ``v2 = false``
    (the rows of zeros, as Element-Research's ``MaskZeroCriterion(criterion, 1)``)."""
    _SequencerCriterion(cuda=False)


@pytest.mark.gpu
def test_SequencerCriterion_cuda():
    """test.lua lines 1446-1519, with its ``if rnn.cuda`` part (lines 1504-1518)."""
    _SequencerCriterion(cuda=True)


def _MaskZeroCriterion(cuda):
    """test.lua lines 2051-2164; the ``if rnn.cuda`` part (lines 2109-2122) when ``cuda``. Labels are 0-based
    (``random(1, nClass)`` draws 1 .. nClass: ``random(0, nClass)`` draws 0 .. nClass-1, docs/porting.md); the
    masked row's label ``0`` is never read (docs/porting.md's LookupTableMaskZero row) and stays."""
    def testMaskZeroCriterion(v2):
        batchSize = 3
        nClass = 10
        input = lg.randn(batchSize, nClass)
        target = lg.LongTensor(batchSize).random(0, nClass)

        nll = nn.ClassNLLCriterion()
        mznll = nn.MaskZeroCriterion(nll, 1)
        mznll.v2 = v2

        # test that it works when nothing to mask
        if v2:
            mznll.setZeroMask(False)
        err = mznll.forward(input, target)
        gradInput = mznll.backward(input, target).clone()

        err2 = nll.forward(input, target)
        gradInput2 = nll.backward(input, target)

        mytester.assert_(abs(err - err2) < 0.0000001, "MaskZeroCriterion No-mask fwd err")
        mytester.assertTensorEq(gradInput, gradInput2, 0.0000001, "MaskZeroCriterion No-mask bwd err")

        # test that it works when last row to mask
        zeroMask = None
        if v2:
            zeroMask = lg.ByteTensor(batchSize).zero()
            zeroMask[batchSize - 1] = 1
            mznll.setZeroMask(zeroMask)
        else:
            input[batchSize - 1].zero()
            target[batchSize - 1] = 0

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
        if v2:
            mznll.setZeroMask(zeroMask)
        err3 = mznll.forward(input3, target)
        gradInput3 = mznll.backward(input3, target).clone()

        mytester.assert_(abs(err3 - err) < 0.0000001, "MaskZeroCriterion cast fwd err")
        mytester.assertTensorEq(gradInput3, gradInput.float(), 0.0000001, "MaskZeroCriterion cast bwd err")

        if cuda:
            # test cuda
            mznll.cuda()
            if v2:
                mznll.setZeroMask(zeroMask.cudaByte())
            input4 = input.cuda()
            target4 = target.cuda()
            err4 = mznll.forward(input4, target4)
            gradInput4 = mznll.backward(input4, target4).clone()

            mytester.assert_(abs(err4 - err) < 0.0000001, "MaskZeroCriterion cuda fwd err " + str(v2))
            mytester.assertTensorEq(gradInput4.float(), gradInput3, 0.0000001,
                                    "MaskZeroCriterion cuda bwd err " + str(v2))

        # issue 128
        input, target = lg.zeros(3, 2), lg.Tensor([0, 1, 0])   # batch size 3, 2 classes
        crit = nn.MaskZeroCriterion(nn.ClassNLLCriterion())
        crit.v2 = v2
        if v2:
            zeroMask.fill(1)
            crit.setZeroMask(zeroMask)

        # output from a masked module gives me all zeros
        loss = crit.forward(input, target)
        mytester.assert_(crit.isEmptyBatch)
        mytester.assert_(loss == 0, "MaskZeroCriterion all zeros fwd err " + str(v2))

        gradInput = crit.backward(input, target)
        mytester.assert_(gradInput.sum() == 0, "MaskZeroCriterion all zeros bwd err " + str(v2))

        # test table input
        inputSize = 5
        input = [lg.randn(batchSize, inputSize), lg.randn(batchSize, inputSize)]
        target = lg.randn(batchSize).fill(1)

        criterion = nn.MaskZeroCriterion(nn.CosineEmbeddingCriterion(), 1)
        criterion.v2 = v2
        if v2:
            zeroMask.zero()
            zeroMask[1] = 1
            criterion.setZeroMask(zeroMask)
        else:
            input[0][1].zero()

        loss = criterion.forward(input, target)
        gradInput = criterion.backward(input, target)
        mytester.assert_(gradInput[0][1].sum() + gradInput[1][1].sum() == 0)

    testMaskZeroCriterion(False)
    testMaskZeroCriterion(True)


def test_MaskZeroCriterion():
    """test.lua lines 2051-2164, the CPU part: torch/rnn's v1 (the rows of zeros) and v2 (``setZeroMask``)."""
    _MaskZeroCriterion(cuda=False)


@pytest.mark.gpu
def test_MaskZeroCriterion_cuda():
    """test.lua lines 2051-2164, with its ``if rnn.cuda`` part (lines 2109-2122)."""
    _MaskZeroCriterion(cuda=True)


def test_issue129():
    """test.lua lines 2277-2320. torch/rnn's Sequencer holds its Recursor as ``modules[1]`` (``modules[0]``),
    whose ``modules[1]`` is the step module."""
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
                            model.get(1).modules[0].sharedClones[0].modules[0].running_mean, 0.000001)
    mytester.assertTensorEq(model.get(1).modules[0].sharedClones[0].modules[0].running_mean,
                            model.get(1).modules[0].modules[0].modules[0].running_mean, 0.0000001)

    model.evaluate()
    output2 = model.forward(input).clone()

    mytester.assertTensorEq(output, output2, 0.0002, "issue 129 err")


def test_SeqGRU_noHiddenTest():
    """test.lua lines 3447-3464 (Element-Research's ``noHiddenTest``), with the helper ``check_size``, lines
    3438-3443, Element-Research's too."""
    check_size = er_seqlstm.check_size
    # Make sure that everything works when we don't pass initial hidden or initial
    # cell state; in this case we only pass input sequence of vectors
    N, T, D, H = 4, 5, 6, 7
    gru = nn.SeqGRU(D, H)

    for t in range(3):
        x = lg.randn(T, N, D)
        dout = lg.randn(T, N, H)

        out = gru.forward(x)
        din = gru.backward(x, dout)

        mytester.assert_(lg.isTensor(din))
        check_size(din, [T, N, D])

        # Make sure the initial hidden state are zero
        mytester.assertTensorEq(gru.h0, lg.zeros(N, H), 0)


def test_SeqGRU_rememberStatesTest():
    """test.lua lines 3467-3494. ``out[T]`` (the last step) is ``out[T - 1]``."""
    N, T, D, H = 5, 6, 7, 8
    gru = nn.SeqGRU(D, H)
    gru.remember('both')

    final_h = None
    for t in range(4):
        x = lg.randn(T, N, D)
        dout = lg.randn(T, N, H)
        out = gru.forward(x)
        din = gru.backward(x, dout)

        if t == 0:
            mytester.assertTensorEq(gru.h0, lg.zeros(N, H), 0)
        elif t > 0:
            mytester.assertTensorEq(gru.h0, final_h, 0)
        final_h = out[T - 1].clone()

    # Initial states should reset to zero after we call resetStates
    gru.forget()
    x = lg.randn(T, N, D)
    dout = lg.randn(T, N, H)
    gru.forward(x)
    gru.backward(x, dout)
    mytester.assertTensorEq(gru.h0, lg.zeros(N, H), 0)


def test_bleu():
    """test.lua lines 6467-6473."""
    cand = [1, 2, 3, 2, 3, 2, 3, 4, 5, 2, 1, 3, 2, 3]
    ref = [3, 2, 3, 2, 1, 3, 2, 3, 2, 3, 4, 5, 2, 1, 3]
    bleu = nn.get_bleu(cand, ref, 4)
    mytester.assert_(abs(bleu - 0.83101069788036) < 0.000001)


def test_get_rougeN():
    """test.lua lines 6475-6481."""
    cand = [1, 2, 3, 2, 3, 2, 3, 4, 5, 2, 1, 3, 2, 3]
    ref = [3, 2, 3, 2, 1, 3, 2, 3, 2, 3, 4, 5, 2, 1, 3]
    rouge = nn.get_rougeN(cand, ref, 4)
    mytester.assert_(abs(rouge - 0.75) < 0.000000000001)


def test_get_rougeS():
    """test.lua lines 6484-6498. ``str:split(" ")`` is ``str.split(" ")``."""
    cand_tbl = [
        'police kill the gunman',
        'the gunman kill police',
        'the gunman police killed'
    ]
    ref_str = "police killed the gunman"
    ref = ref_str.split(" ")
    rouge = nn.get_rougeS(cand_tbl[0].split(" "), ref, 1, 4)
    mytester.assert_(abs(rouge - 1 / 2) < 0.001)
    rouge = nn.get_rougeS(cand_tbl[1].split(" "), ref, 1, 4)
    mytester.assert_(abs(rouge - 1 / 6) < 0.001)
    rouge = nn.get_rougeS(cand_tbl[2].split(" "), ref, 1, 4)
    mytester.assert_(abs(rouge - 1 / 3) < 0.001)


def test_MaskZero_where():
    """test.lua lines 2166-2275. ``inputs[seqlen] = table.remove(inputs, 1)`` moves the first step to the end;
    moses' ``_.first(t, 3)`` and ``_.last(t, 3)`` are ``t[:3]`` and ``t[-3:]``."""
    hiddensize = 5
    batchsize = 4
    seqlen = 7

    rnn = nn.LinearRNN(hiddensize, hiddensize).maskZero()
    rnn = nn.Sequencer(rnn)

    # is there any difference between start and end padding?

    inputs, gradOutputs = [], []

    for i in range(seqlen):
        inputs.append(lg.randn(batchsize, hiddensize))
        gradOutputs.append(lg.randn(batchsize, hiddensize))

    zeroMask = lg.ByteTensor(seqlen, batchsize).zero()
    zeroMask[0].fill(1)
    rnn.setZeroMask(zeroMask)
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
    inputs.append(inputs.pop(0))
    gradOutputs.append(gradOutputs.pop(0))

    zeroMask.zero()[seqlen - 1].fill(1)
    rnn.setZeroMask(zeroMask)
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
        inputs.append(lg.randn(batchsize, hiddensize))
        gradOutputs.append(lg.randn(batchsize, hiddensize))

    zeroMask = lg.ByteTensor(seqlen, batchsize).zero()
    zeroMask[3].fill(1)
    rnn.setZeroMask(zeroMask)
    rnn.forget()
    rnn2 = rnn.clone()

    outputs = rnn.forward(inputs)
    rnn.zeroGradParameters()
    gradInputs = rnn.backward(inputs, gradOutputs)

    inputs1 = inputs[:3]
    gradOutputs1 = gradOutputs[:3]

    zeroMask = lg.ByteTensor(3, batchsize).zero()
    rnn2.setZeroMask(zeroMask)
    outputs1 = rnn2.forward(inputs1)
    rnn2.zeroGradParameters()
    gradInputs1 = rnn2.backward(inputs1, gradOutputs1)

    for i in range(3):
        mytester.assertTensorEq(outputs[i], outputs1[i], 0.000001)
        mytester.assertTensorEq(gradInputs[i], gradInputs1[i], 0.000001)

    rnn2.forget()   # forget at mask zero

    inputs2 = inputs[-3:]
    gradOutputs2 = gradOutputs[-3:]

    rnn2.setZeroMask(zeroMask)
    outputs2 = rnn2.forward(inputs2)
    gradInputs2 = rnn2.backward(inputs2, gradOutputs2)

    params, gradParams = rnn.parameters()
    params2, gradParams2 = rnn2.parameters()

    for i in range(len(params)):
        mytester.assertTensorEq(gradParams2[i], gradParams[i], 0.000001)

    for i in range(3):
        mytester.assertTensorEq(outputs[i + 4], outputs2[i], 0.000001)
        mytester.assertTensorEq(gradInputs[i + 4], gradInputs2[i], 0.000001)


def test_encoderdecoder():
    """test.lua lines 2322-2457. Word indices and labels are 0-based; the encoder's last step is
    ``opt.inputSeqLen - 1`` and the decoder's initial state, Lua's step 0, is step -1 (docs/porting.md's rnn
    time-steps row)."""
    lg.manualSeed(123)

    class opt:
        pass
    opt.learningRate = 0.1
    opt.hiddenSz = 2
    opt.vocabSz = 5
    opt.inputSeqLen = 3   # length of the encoded sequence

    # Forward coupling: Copy encoder cell and output to decoder LSTM
    def forwardConnect(encLSTM, decLSTM):
        decLSTM.setHiddenState(-1, encLSTM.getHiddenState(opt.inputSeqLen - 1))

    # Backward coupling: Copy decoder gradients to encoder LSTM
    def backwardConnect(encLSTM, decLSTM):
        encLSTM.setGradHiddenState(opt.inputSeqLen - 1, decLSTM.getGradHiddenState(-1))

    # Encoder
    enc = nn.Sequential()
    enc.add(nn.LookupTable(opt.vocabSz, opt.hiddenSz))
    enc.add(nn.SplitTable(0, 2))   # works for both online and mini-batch mode
    encLSTM = nn.RecGRU(opt.hiddenSz, opt.hiddenSz)
    enc.add(nn.Sequencer(encLSTM))
    enc.add(nn.SelectTable(-1))

    # Decoder
    dec = nn.Sequential()
    dec.add(nn.LookupTable(opt.vocabSz, opt.hiddenSz))
    dec.add(nn.SplitTable(0, 2))   # works for both online and mini-batch mode
    decLSTM = nn.RecGRU(opt.hiddenSz, opt.hiddenSz)
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


def test_Module_sharedClone():
    """test.lua lines 4725-4969 (dpnn's lines 8-254 but for LinearRNN in place of Recurrent, run without the
    ``require 'rnn'`` guard)."""

    def testrnn(mlp, name):
        mlp.zeroGradParameters()
        mlp = mlp.clone()
        clone = mlp.clone().sharedClone(True, True)

        for i in range(2):
            input = lg.randn(2, 3)
            gradOutput = lg.randn(2, 4)

            output = mlp.forward(input)
            gradInput = mlp.backward(input, gradOutput)
            output4 = clone.forward(input)
            gradInput4 = clone.backward(input, gradOutput)

            mytester.assertTensorEq(output, output4, 0.00001, name + " updateOutput")
            mytester.assertTensorEq(gradInput, gradInput4, 0.00001, name + " updateGradInput")

            mlp.updateParameters(0.1)
            clone.updateParameters(0.1)

            params, gradParams = mlp.parameters()
            params2, gradParams2 = clone.parameters()

            assert len(params) == len(params2), name + " num params err"
            assert len(gradParams) == len(gradParams2), name + " num gradParams err"

            for i, param in enumerate(params):
                mytester.assertTensorEq(param, params2[i], 0.00001, name + " params2 err " + str(i))
                mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.00001, name + " gradParams2 err " + str(i))

    def test(mlp, name):
        mlp.zeroGradParameters()
        clone = mlp.clone()
        clone.share(mlp, "weight", "bias", "gradWeight", "gradBias")   # this actually won't work for nn.Recurrent

        mlp2 = mlp.clone()   # not shared with mlp
        clone2 = mlp2.sharedClone(True, True)
        mlp2.__test = 1
        clone2.__test = 2
        assert mlp2.__test != clone2.__test

        params, gradParams = mlp.parameters()
        params4, gradParams4 = clone.parameters()
        params2, gradParams2 = clone2.parameters()
        params3, gradParams3 = mlp2.parameters()

        assert len(params) == len(params2), name + " num params err"
        assert len(params3) == len(params2), name + " num params err"
        assert len(gradParams) == len(gradParams2), name + " num gradParams err"
        assert len(gradParams) == len(gradParams3), name + " num gradParams err"

        input = lg.randn(2, 3)
        gradOutput = lg.randn(2, 4)

        output = mlp.forward(input)
        gradInput = mlp.backward(input, gradOutput)

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params4[i], 0.00001, name + " params4  err " + str(i))
            mytester.assertTensorEq(gradParams[i], gradParams4[i], 0.00001, name + " gradParams4 err " + str(i))

        output4 = clone.forward(input)
        gradInput4 = clone.backward(input, gradOutput)

        mytester.assertTensorEq(output, output4, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput, gradInput4, 0.00001, name + " updateGradInput")

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params4[i], 0.00001, name + " params4  err " + str(i))
            mytester.assertTensorEq(gradParams[i], gradParams4[i], 0.00001, name + " gradParams4 err " + str(i))

        output2 = clone2.forward(input)
        gradInput2 = clone2.backward(input, gradOutput)

        mytester.assertTensorEq(output, output2, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput, gradInput2, 0.00001, name + " updateGradInput")

        for i, param in enumerate(params):
            mytester.assertTensorEq(params2[i], params3[i], 0.00001, name + " params 2 3  err " + str(i))
            mytester.assertTensorEq(gradParams2[i], gradParams3[i], 0.00001, name + " gradParams 2 3 err " + str(i))

        output3 = mlp2.forward(input)
        gradInput3 = mlp2.backward(input, gradOutput)

        mytester.assertTensorEq(output3, output2, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput3, gradInput2, 0.00001, name + " updateGradInput")

        for i, param in enumerate(params):
            mytester.assertTensorEq(params2[i], params3[i], 0.00001, name + " params 2 3  err " + str(i))
            mytester.assertTensorEq(gradParams2[i], gradParams3[i], 0.00001, name + " gradParams 2 3 err " + str(i))

        mlp.updateParameters(0.1)
        mlp2.updateParameters(0.1)

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params3[i], 0.00001,
                                    name + " params3 (mlp vs mlp:clone()) err " + str(i))  # fail
            mytester.assertTensorEq(gradParams[i], gradParams3[i], 0.00001, name + " gradParams3 err " + str(i))  # fail

    test(nn.Linear(3, 4), 'linear')

    mlp = nn.Sequential()
    mlp.add(nn.Linear(3, 7))
    mlp.add(nn.Tanh())
    mlp.add(nn.Euclidean(7, 4))
    mlp.add(nn.LogSoftMax())
    test(mlp, 'sequential')

    def test2(rnn, name):
        rnn.zeroGradParameters()
        clone = rnn.sharedClone()

        input = lg.randn(2, 3)
        gradOutput = lg.randn(2, 4)

        output = rnn.forward(input)
        gradInput = rnn.backward(input, gradOutput)
        output2 = clone.forward(input)
        gradInput2 = clone.backward(input, gradOutput)

        mytester.assertTensorEq(output, output2, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput, gradInput2, 0.00001, name + " updateGradInput")

        rnn.updateParameters(0.1)
        clone.updateParameters(0.1)

        params, gradParams = rnn.parameters()
        params2, gradParams2 = clone.parameters()

        assert len(params) == len(params2), name + " num params err"
        assert len(gradParams) == len(gradParams2), name + " num gradParams err"

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params2[i], 0.00001,
                                    name + " params (rnn vs rnn:sharedClone()) err " + str(i))
            mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.00001,
                                    name + " gradParams (rnn vs rnn:sharedClone()) err " + str(i))

        output = rnn.forward(input)
        gradInput = rnn.backward(input, gradOutput)
        output2 = clone.forward(input)
        gradInput2 = clone.backward(input, gradOutput)

        mytester.assertTensorEq(output, output2, 0.00001, name + " updateOutput")
        mytester.assertTensorEq(gradInput, gradInput2, 0.00001, name + " updateGradInput")

        rnn.updateParameters(0.1)
        clone.updateParameters(0.1)

        params, gradParams = rnn.parameters()
        params2, gradParams2 = clone.parameters()

        assert len(params) == len(params2), name + " num params err"
        assert len(gradParams) == len(gradParams2), name + " num gradParams err"

        for i, param in enumerate(params):
            mytester.assertTensorEq(param, params2[i], 0.00001,
                                    name + " params (rnn vs rnn:sharedClone()) err " + str(i))
            mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.00001,
                                    name + " gradParams (rnn vs rnn:sharedClone()) err " + str(i))

    rnn = nn.LinearRNN(3, 4)
    testrnn(rnn, 'rnn1')
    seq = nn.Sequential()
    seq.add(nn.Repeater(nn.LinearRNN(3, 2), 3))
    seq.add(nn.Sequencer(nn.Linear(2, 4)))
    seq.add(nn.SelectTable(-1))
    test2(seq, 'rnn2')
    test2(seq, 'rnn3')

    # if pcall(function() require 'nngraph' end): importing legonn's nn loads nngraph
    lin1 = nn.Linear(10, 10)
    p1, gp1 = lin1.getParameters()

    lin2_ = lin1.clone()

    x = nn.Identity()()
    y = lin2_(x)

    lin2 = nn.gModule([x], [y])

    lin3 = lin2.sharedClone()

    input = lg.randn(4, 10)
    gradOutput = lg.randn(4, 10)

    lin1.zeroGradParameters()
    lin2.zeroGradParameters()

    params1, gradParams1 = lin1.parameters()
    params2, gradParams2 = lin2.parameters()
    params3, gradParams3 = lin3.parameters()

    output1 = lin1.forward(input)
    gradInput1 = lin1.backward(input, gradOutput)
    lin1.updateParameters(0.1)

    output2 = lin2.forward(input)
    gradInput2 = lin2.backward(input, gradOutput)
    lin2.updateParameters(0.1)

    mytester.assertTensorEq(output1, output2, 0.000001)
    mytester.assertTensorEq(gradInput1, gradInput2, 0.000001)

    for i in range(len(params2)):
        mytester.assertTensorEq(params2[i], params3[i], 0.000001, "sharedClone nngraph param err " + str(i))
        mytester.assertTensorEq(gradParams2[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))
        mytester.assertTensorEq(params1[i], params3[i], 0.000001, "sharedClone nngraph param err " + str(i))
        mytester.assertTensorEq(gradParams1[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))

    # ok now lets forward/backward/update lin1 and lin3 to test sharedClone

    output1 = lin1.forward(input)
    gradInput1 = lin1.backward(input, gradOutput)

    output3 = lin3.forward(input)
    gradInput3 = lin3.backward(input, gradOutput)

    for i in range(len(params2)):
        mytester.assertTensorEq(params2[i], params3[i], 0.000001, "sharedClone nngraph param err " + str(i))
        mytester.assertTensorEq(gradParams2[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))
        mytester.assertTensorEq(params1[i], params3[i], 0.000001, "sharedClone nngraph param err " + str(i))
        mytester.assertTensorEq(gradParams1[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))

    mytester.assertTensorEq(output1, output3, 0.000001)
    mytester.assertTensorEq(gradInput1, gradInput3, 0.000001)

    for i in range(len(params2)):
        mytester.assertTensorEq(gradParams1[i], gradParams3[i], 0.000001, "sharedClone nngraph gradParam err " + str(i))


def test_Sequencer_tensor():
    """test.lua lines 683-1168: Sequencer's test with tensors for tables. Steps are 0-based (``step`` is the next
    step's index, so the Lua's ``step - 1`` and ``step - nStep7[i]`` stay, and ``sub``, which keeps both ends,
    takes the same arguments); ``nStep7[i]``, a tensor element, is made an ``int`` for ``range``."""
    # test Sequencer where input/gradOutput are tensors instead of tables
    batchSize = 4
    inputSize = 3
    outputSize = 7
    nStep = 5

    # test with recurrent module
    stepmodule = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.Linear(inputSize, outputSize))
             .add(nn.Euclidean(outputSize, outputSize))) \
        .add(nn.CAddTable()) \
        .add(nn.Sigmoid())

    rnn = nn.Recurrence(stepmodule, outputSize, 1)
    rnn.zeroGradParameters()
    rnn2 = rnn.clone()

    outputs = lg.Tensor(nStep, batchSize, outputSize)
    inputs = lg.randn(nStep, batchSize, inputSize)
    gradOutputs = lg.randn(nStep, batchSize, outputSize)
    for step in range(nStep):
        outputs[step] = rnn.forward(inputs[step]).clone()

    gradInputs = lg.Tensor(nStep, batchSize, inputSize)
    for step in range(nStep - 1, -1, -1):
        gradInputs[step] = rnn.backward(inputs[step], gradOutputs[step])

    gradOutput1 = gradOutputs[0].clone()
    rnn3 = nn.Sequencer(rnn2)
    outputs3 = rnn3.forward(inputs)
    mytester.assert_(outputs3.size(0) == outputs.size(0), "Sequencer output size err")
    for step in range(nStep):
        mytester.assertTensorEq(outputs3[step], outputs[step], 0.00001, "Sequencer output " + str(step))
    gradInputs3 = rnn3.backward(inputs, gradOutputs)

    mytester.assert_(gradInputs3.size(0) == gradInputs.size(0), "Sequencer gradInputs size err")
    mytester.assert_(gradInputs3[0].nElement() != 0)

    for step in range(nStep):
        mytester.assertTensorEq(gradInputs3[step], gradInputs[step], 0.00001, "Sequencer gradInputs " + str(step))
    mytester.assertTensorEq(gradOutputs[0], gradOutput1, 0.00001, "Sequencer rnn gradOutput modified error")

    nStep7 = lg.Tensor([5, 4, 5, 3, 7, 3, 3, 3])

    def testRemember(rnn):
        rnn.zeroGradParameters()
        # test remember for training mode (with variable length)
        rnn7 = rnn.clone()
        rnn7.zeroGradParameters()
        rnn8 = rnn7.clone()
        rnn9 = rnn7.clone()
        rnn10 = nn.Recursor(rnn7.clone())

        inputs7 = lg.randn(int(nStep7.sum()), batchSize, outputSize)
        outputs9 = lg.Tensor(int(nStep7.sum()), batchSize, outputSize)
        for step in range(int(nStep7.sum())):
            outputs9[step] = rnn9.forward(inputs7[step]).clone()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember forward err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember forward2 err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        outputs7 = lg.Tensor(int(nStep7.sum()), batchSize, outputSize)
        gradOutputs7 = lg.randn(int(nStep7.sum()), batchSize, outputSize)
        gradInputs7 = lg.Tensor(int(nStep7.sum()), batchSize, outputSize)
        for i in range(nStep7.size(0)):
            # forward
            for j in range(int(nStep7[i])):
                outputs7[step] = rnn7.forward(inputs7[step])
                step = step + 1
            # backward
            rnn7.maxBPTTstep(int(nStep7[i]))
            for _step in range(step - 1, step - int(nStep7[i]) - 1, -1):
                gradInputs7[_step] = rnn7.backward(inputs7[_step], gradOutputs7[_step])
            # update
            rnn7.updateParameters(1)
            rnn7.zeroGradParameters()

        # nn.Recursor

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn10.forward(inputs7[step]), 0.000001,
                                        "Recursor " + lg.type(rnn10) + " remember forward err " + str(step))
                step = step + 1

        rnn10.forget()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn10.forward(inputs7[step]), 0.000001,
                                        "Recursor " + lg.type(rnn10) + " remember forward2 err " + str(step))
                step = step + 1

        rnn10.forget()

        step = 0
        outputs10, gradOutputs10, gradInputs10 = {}, {}, {}
        for i in range(nStep7.size(0)):
            start = step
            nStep_ = 0
            for j in range(int(nStep7[i])):
                outputs10[step] = rnn10.forward(inputs7[step]).clone()
                step = step + 1
                nStep_ = nStep_ + 1
            rnn10.maxBPTTstep(int(nStep7[i]))
            nStep2 = 0
            for s in range(step - 1, start - 1, -1):
                gradInputs10[s] = rnn10.backward(inputs7[s], gradOutputs7[s]).clone()
                nStep2 = nStep2 + 1
            assert nStep_ == nStep2
            rnn10.updateParameters(1)
            rnn10.zeroGradParameters()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(gradInputs10[step], gradInputs7[step], 0.0000001,
                                        "Recursor %s remember variable backward err %d %d" % (lg.type(rnn7), i, j))
                mytester.assertTensorEq(outputs10[step], outputs7[step], 0.0000001,
                                        "Recursor %s remember variable forward err %d %d" % (lg.type(rnn7), i, j))
                step = step + 1

        # nn.Sequencer

        seq = nn.Sequencer(rnn8)
        seq.remember('both')
        outputs8, gradInputs8 = {}, {}
        step = 0
        for i in range(nStep7.size(0)):
            inputs8 = inputs7.sub(step, step + int(nStep7[i]) - 1)
            gradOutputs8 = gradOutputs7.sub(step, step + int(nStep7[i]) - 1)
            outputs8[i] = seq.forward(inputs8).clone()
            gradInputs8[i] = seq.backward(inputs8, gradOutputs8).clone()
            seq.updateParameters(1)
            seq.zeroGradParameters()
            step = step + int(nStep7[i])

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(gradInputs8[i][j], gradInputs7[step], 0.0000001,
                                        "Sequencer %s remember variable backward err %d %d" % (lg.type(rnn7), i, j))
                mytester.assertTensorEq(outputs8[i][j], outputs7[step], 0.0000001,
                                        "Sequencer %s remember variable forward err %d %d" % (lg.type(rnn7), i, j))
                step = step + 1

        params7 = rnn7.parameters()[0]
        params8 = rnn8.parameters()[0]
        for i in range(len(params7)):
            mytester.assertTensorEq(params7[i], params8[i], 0.0000001,
                                    "Sequencer %s remember params err %d" % (lg.type(rnn7), i))

        # test in evaluation mode with remember and variable seqlen
        rnn7 = rnn.clone()   # a fresh copy (no hidden states)
        params7 = rnn7.parameters()[0]
        params9 = rnn9.parameters()[0]   # not a fresh copy
        for i, param in enumerate(rnn8.parameters()[0]):
            params7[i].copy(param)
            params9[i].copy(param)

        rnn7.evaluate()
        rnn9.evaluate()
        rnn9.forget()

        inputs7 = lg.randn(int(nStep7.sum()), batchSize, outputSize)
        outputs9 = lg.Tensor(int(nStep7.sum()), batchSize, outputSize)
        for step in range(int(nStep7.sum())):
            outputs9[step] = rnn9.forward(inputs7[step])

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember eval forward err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember eval forward2 err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        outputs7 = {}
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                outputs7[step] = rnn7.forward(inputs7[step]).clone()
                step = step + 1

        seq.remember('both')
        outputs8 = {}
        step = 0
        for i in range(nStep7.size(0)):
            seq.evaluate()
            inputs8 = inputs7.sub(step, step + int(nStep7[i]) - 1)
            gradOutputs8 = gradOutputs7.sub(step, step + int(nStep7[i]) - 1)
            outputs8[i] = seq.forward(inputs8).clone()
            step = step + int(nStep7[i])

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs8[i][j], outputs7[step], 0.0000001,
                                        "Sequencer %s remember variable eval forward err %d %d" % (lg.type(rnn7), i, j))
                step = step + 1

        # test remember for training mode (with variable length) (from evaluation to training)

        rnn7.forget()
        rnn9.forget()

        rnn7.training()
        rnn9.training()

        rnn7.zeroGradParameters()
        seq.zeroGradParameters()
        rnn9.zeroGradParameters()

        inputs7 = lg.randn(int(nStep7.sum()), batchSize, outputSize)
        outputs9 = lg.Tensor(int(nStep7.sum()), batchSize, outputSize)
        for step in range(int(nStep7.sum())):
            outputs9[step] = rnn9.forward(inputs7[step]).clone()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember forward err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember forward2 err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        outputs7 = lg.Tensor(int(nStep7.sum()), batchSize, outputSize)
        gradOutputs7 = lg.randn(int(nStep7.sum()), batchSize, outputSize)
        gradInputs7 = lg.Tensor(int(nStep7.sum()), batchSize, outputSize)
        for i in range(nStep7.size(0)):
            # forward
            for j in range(int(nStep7[i])):
                outputs7[step] = rnn7.forward(inputs7[step])
                step = step + 1
            # backward
            rnn7.maxBPTTstep(int(nStep7[i]))
            for _step in range(step - 1, step - int(nStep7[i]) - 1, -1):
                gradInputs7[_step] = rnn7.backward(inputs7[_step], gradOutputs7[_step])
            # update
            rnn7.updateParameters(1)
            rnn7.zeroGradParameters()

        seq.remember('both')
        outputs8, gradInputs8 = {}, {}
        step = 0
        for i in range(nStep7.size(0)):
            seq.training()
            inputs8 = inputs7.sub(step, step + int(nStep7[i]) - 1)
            gradOutputs8 = gradOutputs7.sub(step, step + int(nStep7[i]) - 1)
            outputs8[i] = seq.forward(inputs8).clone()
            gradInputs8[i] = seq.backward(inputs8, gradOutputs8).clone()
            seq.updateParameters(1)
            seq.zeroGradParameters()
            step = step + int(nStep7[i])

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(gradInputs8[i][j], gradInputs7[step], 0.0000001,
                                        "Sequencer %s remember variable backward err %d %d" % (lg.type(rnn7), i, j))
                mytester.assertTensorEq(outputs8[i][j], outputs7[step], 0.0000001,
                                        "Sequencer %s remember variable forward err %d %d" % (lg.type(rnn7), i, j))
                step = step + 1

        params7 = rnn7.parameters()[0]
        params8 = rnn8.parameters()[0]
        for i in range(len(params7)):
            mytester.assertTensorEq(params7[i], params8[i], 0.0000001,
                                    "Sequencer %s remember params err %d" % (lg.type(rnn7), i))

    linearRNN = nn.LinearRNN(outputSize, outputSize)
    linearRNN.maxBPTTstep(int(nStep7.max()))
    testRemember(linearRNN)
    recLSTM = nn.RecLSTM(outputSize, outputSize)
    recLSTM.maxBPTTstep(int(nStep7.max()))
    testRemember(recLSTM)

    # test in evaluation mode
    rnn3.evaluate()
    outputs4 = rnn3.forward(inputs)
    outputs4_ = outputs4.clone()
    mytester.assert_(outputs4.size(0) == outputs.size(0), "Sequencer evaluate output size err")
    for step in range(nStep):
        mytester.assertTensorEq(outputs4[step], outputs[step], 0.00001, "Sequencer evaluate output " + str(step))
    inputs5 = inputs.sub(0, nStep - 2)   # remove last input
    outputs5 = rnn3.forward(inputs5)
    mytester.assert_(outputs5.size(0) == outputs.size(0) - 1, "Sequencer evaluate -1 output size err")
    for step in range(nStep - 1):
        mytester.assertTensorEq(outputs[step], outputs5[step], 0.00001, "Sequencer evaluate -1 output " + str(step))

    # test evaluation with remember
    rnn3.remember()
    rnn3.evaluate()
    rnn3.forget()
    inputsA, inputsB = inputs.sub(0, 2), inputs.sub(3, 4)
    outputsA = rnn3.forward(inputsA).clone()
    outputsB = rnn3.forward(inputsB)
    mytester.assert_(outputsA.size(0) == 3, "Sequencer evaluate-remember output size err A")
    mytester.assert_(outputsB.size(0) == 2, "Sequencer evaluate-remember output size err B")
    outputsAB = [outputsA[0], outputsA[1], outputsA[2], outputsB[0], outputsB[1]]
    for step in range(5):
        mytester.assertTensorEq(outputsAB[step], outputs4_[step], 0.00001,
                                "Sequencer evaluate-remember output " + str(step))

    # test with non-recurrent module
    inputSize = 10
    inputs = lg.randn(nStep, batchSize, inputSize)
    linear = nn.Euclidean(inputSize, outputSize)
    seq, outputs, gradInputs = None, None, None
    for k in range(3):
        outputs, gradInputs = [], []
        linear.zeroGradParameters()
        clone = linear.clone()
        for step in range(nStep):
            outputs.append(linear.forward(inputs[step]).clone())
            gradInputs.append(linear.backward(inputs[step], gradOutputs[step]).clone())

        seq = nn.Sequencer(clone)
        outputs2 = seq.forward(inputs)
        gradInputs2 = seq.backward(inputs, gradOutputs)

        mytester.assert_(outputs2.size(0) == len(outputs), "Sequencer output size err")
        mytester.assert_(gradInputs2.size(0) == len(gradInputs), "Sequencer gradInputs size err")
        for step, output in enumerate(outputs):
            mytester.assertTensorEq(outputs2[step], output, 0.00001, "Sequencer output " + str(step))
            mytester.assertTensorEq(gradInputs2[step], gradInputs[step], 0.00001, "Sequencer gradInputs " + str(step))

    inputs3 = inputs.float()
    gradOutputs3 = gradOutputs.float()
    seq3 = seq.float()
    outputs3 = seq.forward(inputs3)
    gradInputs3 = seq.backward(inputs3, gradOutputs3)

    # test for zeroGradParameters
    seq = nn.Sequencer(nn.Linear(inputSize, outputSize))
    seq.zeroGradParameters()
    seq.forward(inputs)
    seq.backward(inputs, gradOutputs)
    params, gradParams = seq.parameters()
    for i, gradParam in enumerate(gradParams):
        mytester.assert_(gradParam.sum() != 0, "Sequencer:backward err " + str(i))
    param, gradParam = seq.getParameters()
    seq.zeroGradParameters()
    mytester.assert_(gradParam.sum() == 0, "Sequencer:getParameters err")
    params, gradParams = seq.parameters()
    for i, gradParam in enumerate(gradParams):
        mytester.assert_(gradParam.sum() == 0, "Sequencer:zeroGradParameters err " + str(i))

    # test with LSTM
    outputSize = inputSize
    lstm = nn.LSTM(inputSize, outputSize, None, False)
    lstm.zeroGradParameters()
    lstm2 = lstm.clone()

    inputs = lg.randn(nStep, batchSize, inputSize)
    outputs = lg.Tensor(nStep, batchSize, outputSize)
    gradOutputs = lg.randn(nStep, batchSize, outputSize)

    gradOutput1 = gradOutputs[1].clone()
    for step in range(nStep):
        outputs[step] = lstm.forward(inputs[step])

    gradInputs72 = lg.Tensor(nStep, batchSize, inputSize)
    for step in range(nStep - 1, -1, -1):
        gradInputs72[step] = lstm.backward(inputs[step], gradOutputs[step])

    lstm3 = nn.Sequencer(lstm2)
    lstm3.zeroGradParameters()
    outputs3 = lstm3.forward(inputs)
    gradInputs3 = lstm3.backward(inputs, gradOutputs)
    mytester.assert_(outputs3.size(0) == outputs.size(0), "Sequencer LSTM output size err")
    mytester.assert_(gradInputs3.size(0) == gradInputs72.size(0), "Sequencer LSTM gradInputs size err")
    for step in range(nStep):
        mytester.assertTensorEq(outputs3[step], outputs[step], 0.00001, "Sequencer LSTM output " + str(step))
        mytester.assertTensorEq(gradInputs3[step], gradInputs72[step], 0.00001,
                                "Sequencer LSTM gradInputs " + str(step))
    mytester.assertTensorEq(gradOutputs[1], gradOutput1, 0.00001, "Sequencer lstm gradOutput modified error")

    # test remember modes : 'both', 'eval' for training(), evaluate(), training()
    lstm = nn.LSTM(5, 5)
    seq = nn.Sequencer(lstm)
    inputTrain = lg.randn(3, 5)
    inputEval = lg.randn(1, 5)

    # this shouldn't fail
    modes = ['both', 'eval']
    for i, mode in enumerate(modes):
        seq.remember(mode)

        # do one epoch of training
        seq.training()
        seq.forward(inputTrain)
        seq.backward(inputTrain, inputTrain)

        # evaluate
        seq.evaluate()
        seq.forward(inputEval)

        # do another epoch of training
        seq.training()
        seq.forward(inputTrain)
        seq.backward(inputTrain, inputTrain)


def test_Sequencer_main():
    """test.lua lines 193-681. Steps are 0-based: ``step`` is the next step's index, so the Lua's ``step - 1``
    and ``step - nStep7[i]`` stay; tables filled backwards are dicts keyed by step; ``_.slice(t, a, b)`` (``b``
    included) is ``t[a:b + 1]``; ``nStep7[i]``, a tensor element, is made an ``int`` for ``range``."""
    batchSize = 4
    inputSize = 3
    outputSize = 7
    nStep = 5

    stepmodule = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.Linear(inputSize, outputSize))
             .add(nn.Euclidean(outputSize, outputSize))) \
        .add(nn.CAddTable()) \
        .add(nn.Sigmoid())

    rnn = nn.Recurrence(stepmodule, outputSize, 1)
    rnn.zeroGradParameters()
    rnn2 = rnn.clone()

    inputs, outputs, gradOutputs = [], [], []
    for step in range(nStep):
        inputs.append(lg.randn(batchSize, inputSize))
        outputs.append(rnn.forward(inputs[step]).clone())
        gradOutputs.append(lg.randn(batchSize, outputSize))

    gradInputs = {}
    for step in range(nStep - 1, -1, -1):
        gradInputs[step] = rnn.backward(inputs[step], gradOutputs[step])

    gradOutput1 = gradOutputs[0].clone()
    rnn3 = nn.Sequencer(rnn2)
    outputs3 = rnn3.forward(inputs)
    mytester.assert_(len(outputs3) == len(outputs), "Sequencer output size err")
    for step, output in enumerate(outputs):
        mytester.assertTensorEq(outputs3[step], output, 0.00001, "Sequencer output " + str(step))
    gradInputs3 = rnn3.backward(inputs, gradOutputs)

    mytester.assert_(len(gradInputs3) == len(gradInputs), "Sequencer gradInputs size err")
    mytester.assert_(gradInputs3[0].nElement() != 0)

    for step, output in enumerate(outputs):
        mytester.assertTensorEq(gradInputs3[step], gradInputs[step], 0.00001, "Sequencer gradInputs " + str(step))
    mytester.assertTensorEq(gradOutputs[0], gradOutput1, 0.00001, "Sequencer rnn gradOutput modified error")

    nStep7 = lg.Tensor([5, 4, 5, 3, 7, 3, 3, 3])

    def testRemember(rnn):
        rnn.zeroGradParameters()
        # test remember for training mode (with variable length)
        rnn7 = rnn.clone()
        rnn7.zeroGradParameters()
        rnn8 = rnn7.clone()
        rnn9 = rnn7.clone()
        rnn10 = nn.Recursor(rnn7.clone())

        inputs7, outputs9 = [], []
        for step in range(int(nStep7.sum())):
            inputs7.append(lg.randn(batchSize, outputSize))
            outputs9.append(rnn9.forward(inputs7[step]).clone())

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember forward err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember forward2 err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        outputs7, gradOutputs7, gradInputs7 = {}, {}, {}
        for i in range(nStep7.size(0)):
            # forward
            for j in range(int(nStep7[i])):
                outputs7[step] = rnn7.forward(inputs7[step]).clone()
                gradOutputs7[step] = lg.randn(batchSize, outputSize)
                step = step + 1
            # backward
            rnn7.maxBPTTstep(int(nStep7[i]))
            for _step in range(step - 1, step - int(nStep7[i]) - 1, -1):
                gradInputs7[_step] = rnn7.backward(inputs7[_step], gradOutputs7[_step]).clone()
            # update
            rnn7.updateParameters(1)
            rnn7.zeroGradParameters()

        # nn.Recursor

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn10.forward(inputs7[step]), 0.000001,
                                        "Recursor " + lg.type(rnn10) + " remember forward err " + str(step))
                step = step + 1

        rnn10.forget()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn10.forward(inputs7[step]), 0.000001,
                                        "Recursor " + lg.type(rnn10) + " remember forward2 err " + str(step))
                step = step + 1

        rnn10.forget()

        step = 0
        outputs10, gradOutputs10, gradInputs10 = {}, {}, {}
        for i in range(nStep7.size(0)):
            start = step
            nStep_ = 0
            for j in range(int(nStep7[i])):
                outputs10[step] = rnn10.forward(inputs7[step]).clone()
                step = step + 1
                nStep_ = nStep_ + 1
            rnn10.maxBPTTstep(int(nStep7[i]))
            nStep2 = 0
            for s in range(step - 1, start - 1, -1):
                gradInputs10[s] = rnn10.backward(inputs7[s], gradOutputs7[s]).clone()
                nStep2 = nStep2 + 1
            assert nStep_ == nStep2
            rnn10.updateParameters(1)
            rnn10.zeroGradParameters()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(gradInputs10[step], gradInputs7[step], 0.0000001,
                                        "Recursor %s remember variable backward err %d %d" % (lg.type(rnn7), i, j))
                mytester.assertTensorEq(outputs10[step], outputs7[step], 0.0000001,
                                        "Recursor %s remember variable forward err %d %d" % (lg.type(rnn7), i, j))
                step = step + 1

        # nn.Sequencer

        seq = nn.Sequencer(rnn8)
        seq.remember('both')
        outputs8, gradInputs8 = {}, {}
        step = 0
        for i in range(nStep7.size(0)):
            inputs8 = inputs7[step:step + int(nStep7[i])]
            gradOutputs8 = [gradOutputs7[k] for k in range(step, step + int(nStep7[i]))]
            outputs8[i] = [v.clone() for v in seq.forward(inputs8)]
            gradInputs8[i] = [v.clone() for v in seq.backward(inputs8, gradOutputs8)]
            seq.updateParameters(1)
            seq.zeroGradParameters()
            step = step + int(nStep7[i])

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(gradInputs8[i][j], gradInputs7[step], 0.0000001,
                                        "Sequencer %s remember variable backward err %d %d" % (lg.type(rnn7), i, j))
                mytester.assertTensorEq(outputs8[i][j], outputs7[step], 0.0000001,
                                        "Sequencer %s remember variable forward err %d %d" % (lg.type(rnn7), i, j))
                step = step + 1

        params7 = rnn7.parameters()[0]
        params8 = rnn8.parameters()[0]
        for i in range(len(params7)):
            mytester.assertTensorEq(params7[i], params8[i], 0.0000001,
                                    "Sequencer %s remember params err %d" % (lg.type(rnn7), i))

        # test in evaluation mode with remember and variable seqlen
        rnn7 = rnn.clone()   # a fresh copy (no hidden states)
        params7 = rnn7.parameters()[0]
        params9 = rnn9.parameters()[0]   # not a fresh copy
        for i, param in enumerate(rnn8.parameters()[0]):
            params7[i].copy(param)
            params9[i].copy(param)

        rnn7.evaluate()
        rnn9.evaluate()
        rnn9.forget()

        inputs7, outputs9 = [], []
        for step in range(int(nStep7.sum())):
            inputs7.append(lg.randn(batchSize, outputSize))
            outputs9.append(rnn9.forward(inputs7[step]).clone())

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember eval forward err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember eval forward2 err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        outputs7 = {}
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                outputs7[step] = rnn7.forward(inputs7[step]).clone()
                step = step + 1

        seq.remember('both')
        outputs8 = {}
        step = 0
        for i in range(nStep7.size(0)):
            seq.evaluate()
            inputs8 = inputs7[step:step + int(nStep7[i])]
            gradOutputs8 = [gradOutputs7[k] for k in range(step, step + int(nStep7[i]))]
            outputs8[i] = [v.clone() for v in seq.forward(inputs8)]
            step = step + int(nStep7[i])

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs8[i][j], outputs7[step], 0.0000001,
                                        "Sequencer %s remember variable eval forward err %d %d" % (lg.type(rnn7), i, j))
                step = step + 1

        # test remember for training mode (with variable length) (from evaluation to training)

        rnn7.forget()
        rnn9.forget()

        rnn7.training()
        rnn9.training()

        rnn7.zeroGradParameters()
        seq.zeroGradParameters()
        rnn9.zeroGradParameters()

        inputs7, outputs9 = [], []
        for step in range(int(nStep7.sum())):
            inputs7.append(lg.randn(batchSize, outputSize))
            outputs9.append(rnn9.forward(inputs7[step]).clone())

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember forward err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(outputs9[step], rnn7.forward(inputs7[step]), 0.000001,
                                        "Sequencer " + lg.type(rnn7) + " remember forward2 err " + str(step))
                step = step + 1

        rnn7.forget()

        step = 0
        outputs7, gradOutputs7, gradInputs7 = {}, {}, {}
        for i in range(nStep7.size(0)):
            # forward
            for j in range(int(nStep7[i])):
                outputs7[step] = rnn7.forward(inputs7[step]).clone()
                gradOutputs7[step] = lg.randn(batchSize, outputSize)
                step = step + 1
            # backward
            rnn7.maxBPTTstep(int(nStep7[i]))
            for _step in range(step - 1, step - int(nStep7[i]) - 1, -1):
                gradInputs7[_step] = rnn7.backward(inputs7[_step], gradOutputs7[_step]).clone()
            # update
            rnn7.updateParameters(1)
            rnn7.zeroGradParameters()

        seq.remember('both')
        outputs8, gradInputs8 = {}, {}
        step = 0
        for i in range(nStep7.size(0)):
            seq.training()
            inputs8 = inputs7[step:step + int(nStep7[i])]
            gradOutputs8 = [gradOutputs7[k] for k in range(step, step + int(nStep7[i]))]
            outputs8[i] = [v.clone() for v in seq.forward(inputs8)]
            gradInputs8[i] = [v.clone() for v in seq.backward(inputs8, gradOutputs8)]
            seq.updateParameters(1)
            seq.zeroGradParameters()
            step = step + int(nStep7[i])

        step = 0
        for i in range(nStep7.size(0)):
            for j in range(int(nStep7[i])):
                mytester.assertTensorEq(gradInputs8[i][j], gradInputs7[step], 0.0000001,
                                        "Sequencer %s remember variable backward err %d %d" % (lg.type(rnn7), i, j))
                mytester.assertTensorEq(outputs8[i][j], outputs7[step], 0.0000001,
                                        "Sequencer %s remember variable forward err %d %d" % (lg.type(rnn7), i, j))
                step = step + 1

        params7 = rnn7.parameters()[0]
        params8 = rnn8.parameters()[0]
        for i in range(len(params7)):
            mytester.assertTensorEq(params7[i], params8[i], 0.0000001,
                                    "Sequencer %s remember params err %d" % (lg.type(rnn7), i))

    linearRNN = nn.LinearRNN(outputSize, outputSize)
    linearRNN.maxBPTTstep(int(nStep7.max()))
    testRemember(linearRNN)
    recLSTM = nn.RecLSTM(outputSize, outputSize)
    recLSTM.maxBPTTstep(int(nStep7.max()))
    testRemember(recLSTM)

    # test in evaluation mode
    rnn3.evaluate()
    outputs4 = rnn3.forward(inputs)
    outputs4_ = [v.clone() for v in outputs4]
    mytester.assert_(len(outputs4) == len(outputs), "Sequencer evaluate output size err")
    for step, output in enumerate(outputs):
        mytester.assertTensorEq(outputs4[step], output, 0.00001, "Sequencer evaluate output " + str(step))
    inputs5 = list(inputs)
    inputs5.pop(nStep - 1)   # remove last input
    outputs5 = rnn3.forward(inputs5)
    mytester.assert_(len(outputs5) == len(outputs) - 1, "Sequencer evaluate -1 output size err")
    for step, output in enumerate(outputs5):
        mytester.assertTensorEq(outputs[step], output, 0.00001, "Sequencer evaluate -1 output " + str(step))

    # test evaluation with remember
    rnn3.remember()
    rnn3.evaluate()
    rnn3.forget()
    inputsA, inputsB = [inputs[0], inputs[1], inputs[2]], [inputs[3], inputs[4]]
    outputsA = [v.clone() for v in rnn3.forward(inputsA)]
    outputsB = rnn3.forward(inputsB)
    mytester.assert_(len(outputsA) == 3, "Sequencer evaluate-remember output size err A")
    mytester.assert_(len(outputsB) == 2, "Sequencer evaluate-remember output size err B")
    outputsAB = [*outputsA]
    outputsAB[3:5] = outputsB
    for step, output in enumerate(outputs4_):
        mytester.assertTensorEq(outputsAB[step], output, 0.00001, "Sequencer evaluate-remember output " + str(step))

    # test with non-recurrent module
    inputSize = 10
    inputs = []
    for step in range(nStep):
        inputs.append(lg.randn(batchSize, inputSize))
    linear = nn.Euclidean(inputSize, outputSize)
    seq, outputs, gradInputs = None, None, None
    for k in range(3):
        outputs, gradInputs = [], []
        linear.zeroGradParameters()
        clone = linear.clone()
        for step in range(nStep):
            outputs.append(linear.forward(inputs[step]).clone())
            gradInputs.append(linear.backward(inputs[step], gradOutputs[step]).clone())

        seq = nn.Sequencer(clone)
        outputs2 = seq.forward(inputs)
        gradInputs2 = seq.backward(inputs, gradOutputs)

        mytester.assert_(len(outputs2) == len(outputs), "Sequencer output size err")
        mytester.assert_(len(gradInputs2) == len(gradInputs), "Sequencer gradInputs size err")
        for step, output in enumerate(outputs):
            mytester.assertTensorEq(outputs2[step], output, 0.00001, "Sequencer output " + str(step))
            mytester.assertTensorEq(gradInputs2[step], gradInputs[step], 0.00001, "Sequencer gradInputs " + str(step))

    inputs3, gradOutputs3 = [], []
    for i in range(len(inputs)):
        inputs3.append(inputs[i].float())
        gradOutputs3.append(gradOutputs[i].float())
    seq3 = seq.float()
    outputs3 = seq.forward(inputs3)
    gradInputs3 = seq.backward(inputs3, gradOutputs3)

    # test for zeroGradParameters
    seq = nn.Sequencer(nn.Linear(inputSize, outputSize))
    seq.zeroGradParameters()
    seq.forward(inputs)
    seq.backward(inputs, gradOutputs)
    params, gradParams = seq.parameters()
    for i, gradParam in enumerate(gradParams):
        mytester.assert_(gradParam.sum() != 0, "Sequencer:backward err " + str(i))
    param, gradParam = seq.getParameters()
    seq.zeroGradParameters()
    mytester.assert_(gradParam.sum() == 0, "Sequencer:getParameters err")
    params, gradParams = seq.parameters()
    for i, gradParam in enumerate(gradParams):
        mytester.assert_(gradParam.sum() == 0, "Sequencer:zeroGradParameters err " + str(i))

    # test with LSTM
    outputSize = inputSize
    # the Lua's fourth argument, Element-Research LSTM's cell2gate, is more than RecLSTM.lua's __init names: Lua
    # drops it, Python refuses it (docs/porting.md's torch.class row)
    lstm = nn.RecLSTM(inputSize, outputSize, None)
    lstm.zeroGradParameters()
    lstm2 = lstm.clone()

    inputs, outputs, gradOutputs = [], [], []
    for step in range(nStep):
        inputs.append(lg.randn(batchSize, inputSize))
        gradOutputs.append(lg.randn(batchSize, outputSize))
    gradOutput1 = gradOutputs[1].clone()
    for step in range(nStep):
        outputs.append(lstm.forward(inputs[step]))

    gradInputs72 = {}
    for step in range(nStep - 1, -1, -1):
        gradInputs72[step] = lstm.backward(inputs[step], gradOutputs[step])

    lstm3 = nn.Sequencer(lstm2)
    lstm3.zeroGradParameters()
    outputs3 = lstm3.forward(inputs)
    gradInputs3 = lstm3.backward(inputs, gradOutputs)
    mytester.assert_(len(outputs3) == len(outputs), "Sequencer LSTM output size err")
    mytester.assert_(len(gradInputs3) == len(gradInputs72), "Sequencer LSTM gradInputs size err")
    for step, output in enumerate(outputs):
        mytester.assertTensorEq(outputs3[step], output, 0.00001, "Sequencer LSTM output " + str(step))
        mytester.assertTensorEq(gradInputs3[step], gradInputs72[step], 0.00001,
                                "Sequencer LSTM gradInputs " + str(step))
    mytester.assertTensorEq(gradOutputs[1], gradOutput1, 0.00001, "Sequencer lstm gradOutput modified error")

    # test remember modes : 'both', 'eval' for training(), evaluate(), training()
    lstm = nn.RecLSTM(5, 5)
    seq = nn.Sequencer(lstm)
    inputTrain = [lg.randn(1, 5), lg.randn(1, 5), lg.randn(1, 5)]
    inputEval = [lg.randn(1, 5)]

    # this shouldn't fail
    modes = ['both', 'eval']
    for i, mode in enumerate(modes):
        seq.remember(mode)

        # do one epoch of training
        seq.training()
        seq.forward(inputTrain)
        seq.backward(inputTrain, inputTrain)

        # evaluate
        seq.evaluate()
        seq.forward(inputEval)

        # do another epoch of training
        seq.training()
        seq.forward(inputTrain)
        seq.backward(inputTrain, inputTrain)


def test_MufuruGradients():
    """test.lua lines 3794-3818. The class labels are 0-based (``random(1, n)`` draws 1 .. n: ``random(0, n)``
    draws 0 .. n-1). ``checkgrad`` is test.lua's global one (lines 3771-3792, Element-Research's, in
    tests/porting/rnn_testlua.py); it returns three values, ``local err = ...`` keeps the first."""
    batchSize = 2
    inputSize = 3
    outputSize = 4
    seqlen = 5

    rnn = nn.MuFuRu(inputSize, outputSize)
    module = nn.Sequencer(rnn)
    w, dw = module.getParameters()
    crit = nn.SequencerCriterion(nn.CrossEntropyCriterion())

    input = lg.randn(seqlen, batchSize, inputSize)
    target = lg.LongTensor(seqlen, batchSize).random(0, outputSize)

    def feval(x):
        if w is not x:
            w.copy(x)
        module.zeroGradParameters()
        out = module.forward(input)
        err = crit.forward(out, target)
        gradOutput = crit.backward(out, target)
        module.backward(input, gradOutput)
        return err, dw

    err = checkgrad(feval, w.clone())[0]
    assert err < precision, "error in computing grad parameters"


def test_NormStabilizer():
    """test.lua lines 3160-3329. ``torch.class('nn.X', 'nn.Y')`` is a Python subclass (docs/porting.md's row);
    steps are 0-based (``curStep > 1``, "a step before it", is ``curStep > 0``)."""
    from legonn import optim

    class SequencerCriterionNormStab(nn.SequencerCriterion):
        def __init__(self, criterion, beta):
            super().__init__(criterion)
            self.beta = beta

        def updateOutput(self, inputTable, targetTable):
            self.output = 0
            for i, input in enumerate(inputTable):
                criterion = self.getStepCriterion(i)
                self.output = self.output + criterion.forward(input, targetTable[i])
                if i > 0:
                    reg = 0
                    for j in range(input.size(0)):
                        reg = reg + ((input[j].norm() - inputTable[i - 1][j].norm()) ** 2)
                    self.output = self.output + self.beta * reg / input.size(0)
            return self.output

    # Make a simple RNN and training set to test gradients
    # hyper-parameters
    batchSize = 3
    seqlen = 2
    hiddenSize = 3
    inputSize = 4
    lr = 0.1
    beta = 50.0

    r = nn.LinearRNN(inputSize, hiddenSize)

    # build simple recurrent neural network
    rnn = nn.Sequential() \
        .add(r) \
        .add(nn.NormStabilizer(beta))

    rnn = nn.Sequencer(rnn)
    criterion = SequencerCriterionNormStab(nn.MSECriterion(), beta)

    iteration = 1
    params, gradParams = rnn.getParameters()

    while iteration < 5:
        # generate a random data point
        inputs, targets = [], []
        for step in range(seqlen):
            inputs.append(lg.randn(batchSize, inputSize))
            targets.append(lg.randn(batchSize, hiddenSize))

        # set up closure
        def feval(params_new):
            if params is not params_new:
                params.copy(params_new)

            rnn.zeroGradParameters()
            outputs = rnn.forward(inputs)
            err = criterion.forward(outputs, targets)
            gradOutputs = criterion.backward(outputs, targets)
            gradInputs = rnn.backward(inputs, gradOutputs)
            return err, gradParams

        # compare numerical to analytic gradient
        diff, dC, dC_est = optim.checkgrad(feval, params, 1e-10)
        mytester.assert_(diff < 1e-3, "Numerical gradient and analytic gradient do not match.")

        rnn.updateParameters(lr)

        iteration = iteration + 1

    # compare to other implementation :
    class NormStabilizerTest(nn.AbstractRecurrent):
        def __init__(self, beta):
            super().__init__(nn.CopyGrad())
            self.beta = beta

        def _accGradParameters(self, input, gradOutput, scale):
            pass   # No parameters to update

        def updateOutput(self, input):
            if self.train is not False:
                self.recycle()
                recurrentModule = self.getStepModule(self.step)
                output = recurrentModule.updateOutput(input)
            else:
                output = self.recurrentModule.updateOutput(input)

            self.outputs[self.step] = output

            self.output = output
            self.step = self.step + 1
            self.gradPrevOutput = None
            self.updateGradInputStep = None
            self.accGradParametersStep = None

            return self.output

        def _updateGradInput(self, input, gradOutput):
            # First grab h[t] and h[t+1] :
            # backward propagate through this step
            curStep = self.updateGradInputStep - 1
            hiddenModule = self.getStepModule(curStep)
            hiddenModule.updateGradInput(input, gradOutput)
            hiddenState = hiddenModule.output

            if curStep < self.step:
                batchSize = hiddenState.size(0)
                if curStep > 0:
                    prevHiddenModule = self.getStepModule(curStep - 1)
                    prevHiddenState = prevHiddenModule.output
                    # Add norm stabilizer cost function directly to respective CopyGrad.gradInput tensors
                    for i in range(batchSize):
                        dRegdNorm = self.beta * 2 * (hiddenState[i].norm() - prevHiddenState[i].norm()) / batchSize
                        dNormdHid = lg.div(hiddenState[i], hiddenState[i].norm())
                        hiddenModule.gradInput[i].add(lg.mul(dNormdHid, dRegdNorm))
                if curStep < self.step - 1:
                    nextHiddenModule = self.getStepModule(curStep + 1)
                    nextHiddenState = nextHiddenModule.output
                    for i in range(batchSize):
                        dRegdNorm = self.beta * -2 * (nextHiddenState[i].norm() - hiddenState[i].norm()) / batchSize
                        dNormdHid = lg.div(hiddenState[i], hiddenState[i].norm())
                        hiddenModule.gradInput[i].add(lg.mul(dNormdHid, dRegdNorm))
            return hiddenModule.gradInput

    ns = nn.NormStabilizer(beta)
    ns2 = NormStabilizerTest(beta)

    seq = nn.Sequencer(ns)
    seq2 = nn.Sequencer(ns2)

    inputs, gradOutputs = [], []
    for step in range(seqlen):
        inputs.append(lg.randn(batchSize, inputSize))
        gradOutputs.append(lg.randn(batchSize, inputSize))

    outputs = seq.forward(inputs)
    outputs2 = seq2.forward(inputs)
    gradInputs = seq.backward(inputs, gradOutputs)
    gradInputs2 = seq2.backward(inputs, gradOutputs)

    for step in range(seqlen):
        mytester.assertTensorEq(outputs[step], outputs2[step], 0.0000001)
        mytester.assertTensorEq(gradInputs[step], gradInputs2[step], 0.0000001)

    ns.updateLoss()


def test_NCE_MaskZero():
    """test.lua lines 3331-3437. LookupTableMaskZero's words are 0-based and its padding is -1 (Lua's
    ``random(0, vocabsize)`` draws padding 0 and words 1 .. vocabsize: here -1 .. vocabsize - 1), so the mask of
    the padding is ``getZeroMaskSequence(input + 1)`` (docs/porting.md's VariableLength row); NCE's targets are
    0-based; dimensions are 0-based. ``opt.dropout`` is never set: ``nn.Dropout(nil)`` is a Dropout of 0.5,
    ``opt.get('dropout')`` here.

    The last check is statistical (the error of an epoch below the first's within 12 epochs); Torch7's draws are
    not legonn's, so the generator is seeded, as in the Element-Research port of this case."""
    lg.manualSeed(0)
    opt = dict(
        datasize=20,
        batchsize=4,
        seqlen=5,
        uniform=0.1,
        hiddensize=[100],
        vocabsize=100,
        k=25
    )

    lm = nn.Sequential()

    # input layer (i.e. word embedding space)
    lookup = nn.LookupTableMaskZero(opt['vocabsize'], opt['hiddensize'][0])
    lookup.maxnormout = -1   # prevent weird maxnormout behaviour
    lm.add(lookup)   # input is seqlen x batchsize

    # rnn layers
    inputsize = opt['hiddensize'][0]
    for i, hiddensize in enumerate(opt['hiddensize']):
        lm.add(nn.SeqLSTM(inputsize, hiddensize).maskZero())
        lm.add(nn.Dropout(opt.get('dropout')))
        inputsize = hiddensize

    lm.add(nn.SplitTable(0))

    # output layer
    unigram = lg.FloatTensor().range(1, opt['vocabsize'])
    unigram.pow(2)
    ncemodule = nn.NCEModule(inputsize, opt['vocabsize'], opt['k'], unigram)

    # NCE requires {input, target} as inputs
    lm = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(lm).add(nn.Identity())) \
        .add(nn.ZipTable())   # {{x1,x2,...}, {t1,t2,...}} -> {{x1,t1},{x2,t2},...}

    # encapsulate stepmodule into a Sequencer
    lm.add(nn.Sequencer(nn.MaskZero(ncemodule)))

    # remember previous state between batches
    lm.remember()

    if opt['uniform'] > 0:
        for k, param in enumerate(lm.parameters()[0]):
            param.uniform(-opt['uniform'], opt['uniform'])
        ncemodule.reset()

    # loss function

    crit = nn.MaskZeroCriterion(nn.NCECriterion())

    targetmodule = nn.SplitTable(0)
    criterion = nn.SequencerCriterion(crit)

    data = dict(
        inputs=lg.LongTensor(opt['datasize'], opt['seqlen'], opt['batchsize']).random(-1, opt['vocabsize']),
        targets=lg.LongTensor(opt['datasize'], opt['seqlen'], opt['batchsize']).random(0, opt['vocabsize'])
    )

    starterr = None
    err = None
    found = False
    for epoch in range(12):
        err = 0
        for i in range(opt['datasize']):
            input, target = data['inputs'][i], data['targets'][i]
            target = targetmodule.forward(target)
            zeroMask = nn.utils.getZeroMaskSequence(input + 1)
            lm.setZeroMask(zeroMask)
            criterion.setZeroMask(zeroMask)
            output = lm.forward([input, target])
            err = err + criterion.forward(output, target)
            gradOutput = criterion.backward(output, target)
            if not found:
                for i in range(input.size(0)):
                    for j in range(input.size(1)):
                        if input[i, j] == -1:
                            found = True
                            # test that it works with mask zero
                            mytester.assert_(output[i][0][j] == 0)
                            mytester.assert_(gradOutput[i][0][j] == 0)
            lm.zeroGradParameters()
            gradInput = lm.backward([input, target], gradOutput)
            lm.updateParameters(0.05)
        if epoch == 0:
            starterr = err
        if epoch > 2 and err < starterr:
            break
    mytester.assert_(found)
    mytester.assert_(err < starterr, "err=%f should be smaller than starterr=%f" % (err, starterr))


def test_getHiddenState():
    """test.lua lines 3820-3912. Steps are 0-based (docs/porting.md's rnn time-steps row): the Lua's hidden
    state of step ``s`` (0 the initial one) is legonn's step ``s - 1`` (-1 the initial one); the Lua's loop
    variable ``step`` (1 ..) is ``step + 1`` here (0 ..); ``hs[1][1]`` is ``hs[0][0]``."""
    seqlen, batchsize = 7, 3
    inputsize, outputsize = 4, 5
    input = lg.randn(seqlen * 2, batchsize, inputsize)
    gradOutput = lg.randn(seqlen * 2, batchsize, outputsize)

    def testHiddenState(lstm, recurrence=None):
        lstm2 = lstm.clone()

        # test forward
        for step in range(seqlen):   # initialize lstm2 hidden state
            lstm2.forward(input[step])

        for step in range(seqlen):
            hiddenState = lstm2.getHiddenState(seqlen + step - 1)
            if isinstance(hiddenState, list):
                mytester.assert_(len(hiddenState) >= 1)
            else:
                mytester.assert_(lg.isTensor(hiddenState))
            lstm.setHiddenState(step - 1, hiddenState)
            output = lstm.forward(input[seqlen + step])
            output2 = lstm2.forward(input[seqlen + step])
            mytester.assertTensorEq(output, output2, 0.0000001, "error in step " + str(step + 1))

        # test backward
        lstm.zeroGradParameters()
        lstm2.zeroGradParameters()
        lstm.forget()
        lstm.setStartState()   # empties start states

        for step in range(seqlen):
            lstm.forward(input[step])
            hs = lstm.getHiddenState(step)
            hs2 = lstm2.getHiddenState(step)
            if isinstance(hs, list):
                if recurrence:
                    hs = hs[0][0]
                    hs2 = hs2[0][0]
                if isinstance(hs, list):
                    for i in range(len(hs)):
                        mytester.assertTensorEq(hs[i], hs2[i], 0.0000001)
                else:
                    mytester.assertTensorEq(hs, hs2, 0.0000001)
            else:
                mytester.assertTensorEq(hs, hs2, 0.0000001)

        for step in range(seqlen * 2 - 1, seqlen - 1, -1):
            lstm2.backward(input[step], gradOutput[step])

        lstm2.zeroGradParameters()

        for step in range(seqlen - 1, -1, -1):
            gradHiddenState = lstm2.getGradHiddenState(step)
            if isinstance(gradHiddenState, list):
                mytester.assert_(len(gradHiddenState) >= 1)
            else:
                mytester.assert_(lg.isTensor(gradHiddenState))
            lstm.setGradHiddenState(step, gradHiddenState)
            gradInput = lstm.backward(input[step], gradOutput[step])
            gradInput2 = lstm2.backward(input[step], gradOutput[step])
            mytester.assertTensorEq(gradInput, gradInput2, 0.0000001)

        params, gradParams = lstm.parameters()
        params2, gradParams2 = lstm2.parameters()

        for i in range(len(params)):
            mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.00000001)

    lstm = nn.RecLSTM(inputsize, outputsize)
    testHiddenState(lstm)

    gru = nn.RecGRU(inputsize, outputsize)
    testHiddenState(gru)

    gru.forget()
    gru.setStartState()
    testHiddenState(nn.Recursor(gru), False)

    testHiddenState(nn.LinearRNN(inputsize, outputsize), True)


def test_SeqLSTMP_main():
    """test.lua lines 2949-3077. torch/rnn's three-size ``SeqLSTM`` is ``SeqLSTMP`` (docs/porting.md's torch/rnn
    row). Parameter and time-step indices are 0-based; ``x:sub(a, b)`` (inclusive) is ``x.sub(a - 1, b - 1)``;
    ``zeroMask[{i,j}]`` is ``zeroMask[i, j]`` and ``zeroMask[3]`` is ``zeroMask[2]``."""
    # test that LSTM = LSTMP when projection layer is identity
    inputsize = 2
    hiddensize = 3
    outputsize = 3
    seqlen = 6
    batchsize = 5

    lstm = nn.SeqLSTM(inputsize, outputsize)
    lstmp = nn.SeqLSTMP(inputsize, hiddensize, outputsize)

    params, gradParams = lstm.parameters()
    paramsp, gradParamsp = lstmp.parameters()

    mytester.assert_(len(params) + 1 == len(paramsp))

    for i in range(len(params)):
        paramsp[i].copy(params[i])

    wO = paramsp[2]
    mytester.assertTableEq(wO.size().totable(), [3, 3])
    wO.eye(3, 3)

    input = lg.randn(seqlen, batchsize, inputsize)
    gradOutput = lg.randn(seqlen, batchsize, outputsize)

    output = lstm.forward(input)
    outputp = lstmp.forward(input)

    mytester.assertTensorEq(output, outputp, 0.000001)

    lstm.zeroGradParameters()
    lstmp.zeroGradParameters()

    mytester.assert_(abs(gradParamsp[2].sum()) < 0.00001)

    gradInput = lstm.backward(input, gradOutput)
    gradInputp = lstmp.backward(input, gradOutput)

    mytester.assertTensorEq(gradInput, gradInputp, 0.000001)

    for i in range(len(params)):
        mytester.assertTensorEq(gradParams[i], gradParamsp[i], 0.000001)

    mytester.assert_(abs(gradParamsp[2].sum()) > 0.00001)

    # test with maskzero

    lstmp.maskZero()
    lstm.maskZero()

    zeroMask = lg.ByteTensor(seqlen, batchsize).zero()

    for i in range(seqlen):
        for j in range(batchsize):
            if random.random() < 0.2:
                zeroMask[i, j] = 1

    lstmp.setZeroMask(zeroMask)
    lstm.setZeroMask(zeroMask)

    output = lstm.forward(input)
    outputp = lstmp.forward(input)

    mytester.assertTensorEq(output, outputp, 0.000001)

    lstm.zeroGradParameters()
    lstmp.zeroGradParameters()

    gradInput = lstm.backward(input, gradOutput)
    gradInputp = lstmp.backward(input, gradOutput)

    mytester.assertTensorEq(gradInput, gradInputp, 0.000001)

    for i in range(len(params)):
        mytester.assertTensorEq(gradParams[i], gradParamsp[i], 0.000001)

    mytester.assert_(abs(gradParamsp[2].sum()) > 0.00001)

    # test with hiddensize ~= outputsize and maskzero
    lstm = None

    hiddensize = 4

    lstmp = nn.SeqLSTMP(inputsize, hiddensize, outputsize)
    lstmp2 = nn.SeqLSTMP(inputsize, hiddensize, outputsize)

    params, gradParams = lstmp.parameters()
    params2, gradParams2 = lstmp2.parameters()

    for i in range(len(params)):
        params[i].copy(params2[i])

    lstmp.zeroGradParameters()
    lstmp2.zeroGradParameters()

    input = lg.randn(seqlen, batchsize, inputsize)
    zeroMask.zero()
    zeroMask[2] = 1   # zero the 3rd time-step

    lstmp.maskZero()
    lstmp.setZeroMask(zeroMask)
    output = lstmp.forward(input)
    gradInput = lstmp.backward(input, gradOutput)

    lstmp2.remember('neither')
    input1, input2 = input.sub(0, 1), input.sub(3, seqlen - 1)
    gradOutput1, gradOutput2 = gradOutput.sub(0, 1), gradOutput.sub(3, seqlen - 1)
    output2 = lg.zeros(output.size())
    gradInput2 = lg.zeros(gradInput.size())
    output2.sub(0, 1).copy(lstmp2.forward(input1))
    gradInput2.sub(0, 1).copy(lstmp2.backward(input1, gradOutput1))
    output2.sub(3, seqlen - 1).copy(lstmp2.forward(input2))
    gradInput2.sub(3, seqlen - 1).copy(lstmp2.backward(input2, gradOutput2))

    mytester.assertTensorEq(output, output2, 0.000001)
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    for i in range(len(params)):
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.000001, 'error in gradParams ' + str(i))


def test_SeqLSTM_main():
    """test.lua lines 2666-2795. ``zeroMask[{i,j}]`` is ``zeroMask[i, j]``. The last part's ``lstm2:maskZero(1)``
    (torch/rnn's v1, refused: docs/porting.md's zero-masking row) is ``lstm2.maskZero()``: testmodule's own
    ``lstm2:maskZero()`` sets v2 again before any forward, so the Lua runs v2 there too."""
    inputsize = 2
    outputsize = 3

    # compare SeqLSTM to RecLSTM (forward, backward, update)
    def testmodule(seqlstm, seqlen, batchsize, lstm2=None, remember=None, eval=None, seqlstm2=None, maskzero=None):

        lstm2 = lstm2 or seqlstm.toRecLSTM()
        remember = remember or 'neither'
        seqlstm2 = seqlstm2 or nn.Sequencer(lstm2)

        input = lg.randn(seqlen, batchsize, inputsize)
        if maskzero:
            lstm2.maskZero()
            zeroMask = lg.ByteTensor(seqlen, batchsize).zero()
            for i in range(seqlen):
                for j in range(batchsize):
                    if random.random() < 0.2:
                        zeroMask[i, j] = 1
            seqlstm.setZeroMask(zeroMask)
            seqlstm2.setZeroMask(zeroMask)
        else:
            seqlstm.setZeroMask(False)
            seqlstm2.setZeroMask(False)
        gradOutput = lg.randn(seqlen, batchsize, outputsize)

        seqlstm2.remember(remember)
        mytester.assert_(seqlstm2._remember == remember, str(seqlstm2._remember) + '~=' + str(remember))
        seqlstm.remember(remember)

        if eval:
            seqlstm.evaluate()
            seqlstm2.evaluate()
        else:
            seqlstm.training()
            seqlstm2.training()

        # forward

        output = seqlstm.forward(input)

        output2 = seqlstm2.forward(input)
        mytester.assertTensorEq(output, output2, 0.000001)

        mytester.assertTableEq(output.size().totable(), gradOutput.size().totable(), 0.000001)

        if not eval:
            # backward

            seqlstm.zeroGradParameters()
            seqlstm2.zeroGradParameters()
            gradInput = seqlstm.backward(input, gradOutput)
            gradInput2 = seqlstm2.backward(input, gradOutput)
            mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

            params, gradParams = seqlstm.parameters()
            params2, gradParams2 = lstm2.parameters()

            for i in range(len(params)):
                mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.000001, str(gradParams2[i].size()))

        return lstm2, seqlstm2

    seqlen = 4
    batchsize = 5

    seqlstm = nn.SeqLSTM(inputsize, outputsize).maskZero()
    seqlstm.reset(0.1)

    lstm2 = testmodule(seqlstm, seqlen, batchsize)[0]

    # test forget

    lstm2, seqlstm2 = testmodule(seqlstm, seqlen, batchsize, lstm2)

    # test remember

    testmodule(seqlstm, seqlen, batchsize, lstm2, 'both', False, seqlstm2)
    mytester.assert_(seqlstm._remember == 'both')

    # test variable input size :

    seqlen = 5
    batchsize = 6

    testmodule(seqlstm, seqlen, batchsize)

    # test forget (eval)

    eval = True

    p1 = seqlstm.getParameters()[0]
    p2 = lstm2.getParameters()[0]
    mytester.assertTensorEq(p1, p2, 0.0000001)
    testmodule(seqlstm, seqlen, batchsize, lstm2, None, eval, seqlstm2)
    mytester.assert_(seqlstm._remember == 'neither')

    # test remember (eval)

    p1 = seqlstm.getParameters()[0]
    p2 = lstm2.getParameters()[0]
    mytester.assertTensorEq(p1, p2, 0.0000001)
    testmodule(seqlstm, seqlen, batchsize, lstm2, 'both', eval, seqlstm2)
    mytester.assert_(seqlstm.train is False)
    mytester.assert_(lstm2.train is False)
    mytester.assert_(seqlstm._remember == 'both')

    # test variable input size (eval) :

    seqlen = 4
    batchsize = 5

    testmodule(seqlstm, seqlen, batchsize, lstm2, None, eval)

    # test variable length sequences

    seqlstm.maskzero = True
    lstm2.maskZero()

    testmodule(seqlstm, seqlen, batchsize, lstm2, None, False, None, True)


def test_SeqGRU_main():
    """test.lua lines 3496-3618. ``zeroMask[{i,j}]`` is ``zeroMask[i, j]``."""
    inputsize, outputsize = 2, 3
    # compare SeqGRU to GRU (forward, backward, update)
    def testmodule(seqGRU, seqlen, batchsize, gru2=None, remember=None, eval=None, seqGRU2=None, maskzero=None):

        gru2 = gru2 or seqGRU.toRecGRU()
        remember = remember or 'neither'
        seqGRU2 = seqGRU2 or nn.Sequencer(gru2)

        input = lg.randn(seqlen, batchsize, inputsize)
        if maskzero:
            seqGRU.maskZero()
            gru2.maskZero()
            zeroMask = lg.ByteTensor(seqlen, batchsize).zero()
            for i in range(seqlen):
                for j in range(batchsize):
                    if random.random() < 0.2:
                        zeroMask[i, j] = 1
            seqGRU.setZeroMask(zeroMask)
            seqGRU2.setZeroMask(zeroMask)
        else:
            seqGRU.setZeroMask(False)
            seqGRU2.setZeroMask(False)
        gradOutput = lg.randn(seqlen, batchsize, outputsize)

        seqGRU2.remember(remember)
        mytester.assert_(seqGRU2._remember == remember, str(seqGRU2._remember) + '~=' + str(remember))
        seqGRU.remember(remember)

        if eval:
            seqGRU.evaluate()
            seqGRU2.evaluate()
        else:
            seqGRU.training()
            seqGRU2.training()

        # forward

        output = seqGRU.forward(input)
        output2 = seqGRU2.forward(input)
        mytester.assertTensorEq(output, output2, 0.000001)

        mytester.assertTableEq(output.size().totable(), gradOutput.size().totable(), 0.000001)

        if not eval:
            # backward

            seqGRU.zeroGradParameters()
            seqGRU2.zeroGradParameters()
            gradInput = seqGRU.backward(input, gradOutput)
            gradInput2 = seqGRU2.backward(input, gradOutput)
            mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

            params, gradParams = seqGRU.parameters()
            params2, gradParams2 = gru2.parameters()

            for i in range(len(params)):
                mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.000001, str(gradParams2[i].size()))

        return gru2, seqGRU2

    seqlen = 5
    batchsize = 6

    seqGRU = nn.SeqGRU(inputsize, outputsize)
    seqGRU.reset(0.1)

    gru2 = testmodule(seqGRU, seqlen, batchsize)[0]

    # test forget

    gru2, seqGRU2 = testmodule(seqGRU, seqlen, batchsize, gru2)

    # test remember

    testmodule(seqGRU, seqlen, batchsize, gru2, 'both', False, seqGRU2)
    mytester.assert_(seqGRU._remember == 'both')

    # test variable input size :

    seqlen = 4
    batchsize = 5

    testmodule(seqGRU, seqlen, batchsize)

    # test forget (eval)

    eval = True

    p1 = seqGRU.getParameters()[0]
    p2 = gru2.getParameters()[0]
    mytester.assertTensorEq(p1, p2, 0.0000001)
    testmodule(seqGRU, seqlen, batchsize, gru2, None, eval, seqGRU2)
    mytester.assert_(seqGRU._remember == 'neither')

    # test remember (eval)

    p1 = seqGRU.getParameters()[0]
    p2 = gru2.getParameters()[0]
    mytester.assertTensorEq(p1, p2, 0.0000001)
    testmodule(seqGRU, seqlen, batchsize, gru2, 'both', eval, seqGRU2)
    mytester.assert_(seqGRU.train is False)
    mytester.assert_(gru2.train is False)
    mytester.assert_(seqGRU._remember == 'both')

    # test variable input size (eval) :

    seqlen = 4
    batchsize = 5

    testmodule(seqGRU, seqlen, batchsize, gru2, None, eval)

    # test variable length sequences

    testmodule(seqGRU, seqlen, batchsize, gru2, None, False, None, True)


def _Seq_Lua_vs_C(Seq, toCell):
    """test.lua's SeqLSTM_Lua_vs_C and SeqGRU_Lua_vs_C. ``seqX2.forceLua = true`` runs torch/rnn's Lua code in
    place of its C kernels; legonn has one implementation, so the second is the rnn package's nn-module cell of
    the same parameters (``toCell``: toFastLSTM, toGRU) in a Sequencer, as test_torch_rnn_testlua.py's ``_C``
    cases do. Its gradients are in the cell's layout: the first layer's are compared through ``toCell()``, which
    copies them there."""
    seqlen, batchsize = 3, 4
    inputsize, outputsize = 2, 5

    input = lg.randn(seqlen, batchsize, inputsize)

    seqlstm = Seq(inputsize, outputsize)
    seqlstm2 = nn.Sequencer(toCell(seqlstm))

    output = seqlstm.forward(input)
    output2 = seqlstm2.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001)

    seqlstm.zeroGradParameters()
    seqlstm2.zeroGradParameters()

    gradOutput = lg.randn(seqlen, batchsize, outputsize)

    gradInput = seqlstm.backward(input, gradOutput)
    gradInput2 = seqlstm2.backward(input, gradOutput)

    mytester.assertTensorEq(gradInput, gradInput2, 0.000001)

    params, gradParams = toCell(seqlstm).parameters()
    params2, gradParams2 = seqlstm2.parameters()

    mytester.assert_(len(params2) == len(params) and len(params2) > 0)
    for i in range(len(params2)):
        mytester.assertTensorEq(gradParams[i], gradParams2[i], 0.0000001)


def test_SeqLSTM_Lua_vs_C():
    """test.lua lines 2797-2829, against FastLSTM (``_Seq_Lua_vs_C``)."""
    _Seq_Lua_vs_C(nn.SeqLSTM, lambda seq: seq.toFastLSTM())


def test_SeqGRU_Lua_vs_C():
    """test.lua lines 3694-3726, against GRU (``_Seq_Lua_vs_C``)."""
    _Seq_Lua_vs_C(nn.SeqGRU, lambda seq: seq.toGRU())


def _Seq_cuda(Seq):
    """test.lua's SeqLSTM_cuda and SeqGRU_cuda: the layer on the GPU against the CPU, in FloatTensor."""
    ty = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.FloatTensor')

    seqlen, batchsize = 3, 4
    inputsize, outputsize = 2, 5

    input = lg.randn(seqlen, batchsize, inputsize)

    seqlstm = Seq(inputsize, outputsize)
    seqlstmCuda = Seq(inputsize, outputsize)
    seqlstmCuda.weight.copy(seqlstm.weight)
    seqlstmCuda.bias.copy(seqlstm.bias)
    seqlstmCuda.cuda()

    output = seqlstm.forward(input)
    outputCuda = seqlstmCuda.forward(input.cuda())
    mytester.assertTensorEq(output, outputCuda.float(), precision)

    seqlstm.zeroGradParameters()
    seqlstmCuda.zeroGradParameters()

    gradOutput = lg.randn(seqlen, batchsize, outputsize)

    gradInput = seqlstm.backward(input, gradOutput)
    gradInputCuda = seqlstmCuda.backward(input.cuda(), gradOutput.cuda())

    mytester.assertTensorEq(gradInput, gradInputCuda.float(), precision)

    params, gradParams = seqlstm.parameters()
    paramsCuda, gradParamsCuda = seqlstmCuda.parameters()

    for i in range(len(paramsCuda)):
        mytester.assertTensorEq(gradParams[i], gradParamsCuda[i].float(), precision)

    lg.setdefaulttensortype(ty)


@pytest.mark.gpu
def test_SeqLSTM_cuda():
    """test.lua lines 2831-2872."""
    _Seq_cuda(nn.SeqLSTM)


@pytest.mark.gpu
def test_SeqGRU_cuda():
    """test.lua lines 3728-3769."""
    _Seq_cuda(nn.SeqGRU)


def test_RecurrentAttention():
    """test.lua lines 121-191. The Lua returns unless nnx loads: legonn provides nnx's modules. ``opt.glimpseScale``
    is never set (nil: SpatialGlimpse's default scale, ``None`` here); ``JoinTable(1, 1)`` is ``JoinTable(0,
    1)``."""
    class opt:
        glimpseDepth = 3
        glimpseHiddenSize = 20
        glimpsePatchSize = 8
        locatorHiddenSize = 20
        imageHiddenSize = 20
        hiddenSize = 20
        seqlen = 5
        locatorStd = 0.1
        inputSize = 28
        nClass = 10
        batchSize = 4
        glimpseScale = None

    # glimpse network (rnn input layer)
    locationSensor = nn.Sequential()
    locationSensor.add(nn.SelectTable(1))
    locationSensor.add(nn.Linear(2, opt.locatorHiddenSize))
    locationSensor.add(nn.ReLU())

    glimpseSensor = nn.Sequential()
    glimpseSensor.add(nn.SpatialGlimpse(opt.glimpsePatchSize, opt.glimpseDepth, opt.glimpseScale))
    glimpseSensor.add(nn.Collapse(3))
    glimpseSensor.add(nn.Linear(1 * (opt.glimpsePatchSize ** 2) * opt.glimpseDepth, opt.glimpseHiddenSize))
    glimpseSensor.add(nn.ReLU())

    glimpse = nn.Sequential()
    glimpse.add(nn.ConcatTable().add(locationSensor).add(glimpseSensor))
    glimpse.add(nn.JoinTable(0, 1))
    glimpse.add(nn.Linear(opt.glimpseHiddenSize + opt.locatorHiddenSize, opt.imageHiddenSize))
    glimpse.add(nn.ReLU())
    glimpse.add(nn.LinearRNN(opt.imageHiddenSize, opt.hiddenSize))

    # recurrent neural network
    rnn = nn.Recursor(glimpse)

    # output layer (actions)
    locator = nn.Sequential()
    locator.add(nn.Linear(opt.hiddenSize, 2))
    locator.add(nn.HardTanh())   # bounds mean between -1 and 1
    rn = nn.ReinforceNormal(2 * opt.locatorStd)
    rn.evaluate()   # so we can match the output from sg to sg2 (i.e deterministic)
    locator.add(rn)   # sample from normal, uses REINFORCE learning rule
    locator.add(nn.HardTanh())   # bounds sample between -1 and 1

    # model is a reinforcement learning agent
    rva = nn.RecurrentAttention(rnn.clone(), locator.clone(), opt.seqlen, [opt.hiddenSize])

    input = lg.randn(opt.batchSize, 1, opt.inputSize, opt.inputSize)
    gradOutput = []
    for step in range(opt.seqlen):
        gradOutput.append(lg.randn(opt.batchSize, opt.hiddenSize))

    rva.zeroGradParameters()

    output = rva.forward(input)

    mytester.assert_(len(output) == opt.seqlen, "RecurrentAttention #output err")

    reward = lg.randn(opt.batchSize)
    rva.reinforce(reward)
    gradInput = rva.backward(input, gradOutput)

    mytester.assert_(gradInput.isSameSizeAs(input))

    rva.updateParameters(1)


def test_BiSequencer_JoinTable():
    """test.lua lines 3101-3122. torch/rnn's BiSequencer of a module reading whole sequences (here a SeqLSTM)
    takes a ``seqlen x batch x size`` tensor (legonn's BiSequencer does so for such a module); dimensions are
    0-based (``JoinTable(3)`` is ``JoinTable(2)``, ``SeqReverseSequence(1)`` is ``SeqReverseSequence(0)``)."""
    lstm = nn.SeqLSTM(5, 5)
    brnn = nn.BiSequencer(lstm, None, nn.JoinTable(2))

    input = lg.rand(5, 1, 5)
    output = brnn.forward(input)
    fwd = brnn.getForward()
    bwd = brnn.getBackward()
    fwd.clearState()
    bwd.clearState()

    fwdOutput = fwd.forward(input)

    reverseSequence = nn.SeqReverseSequence(0)

    reversedInput = reverseSequence.forward(input)
    bwdOutput = bwd.forward(reversedInput)
    bwdOutput = reverseSequence.forward(bwdOutput)

    expectedOutput = nn.JoinTable(2).forward([fwdOutput, bwdOutput])
    mytester.assertTensorEq(expectedOutput, output, 0)
