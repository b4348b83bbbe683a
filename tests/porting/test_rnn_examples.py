"""Short, seeded versions of Element-Research rnn's examples/*.lua, ported line by line (Lua syntax to Python,
1-based indices to 0-based, a fixed number of iterations and seeded offsets in place of endless loops and
math.random): each must run as written and its loss must fall. The full ports (longer runs, all options) were
run by hand; these keep a few dozen iterations each."""
import math

import numpy as np

import legonn as lg
from legonn import nn


def _next_item_data(batchSize):
    """The examples' dummy dataset: one long sequence 0, 1, ..., 9, 0, 1, ... and a batch of start offsets."""
    sequence_ = lg.LongTensor().range(0, 9)
    sequence = lg.LongTensor(100, 10).copy(sequence_.view(1, 10).expand(100, 10))
    sequence.resize(100 * 10)
    offsets = lg.LongTensor([(97 * i + 13) % sequence.size(0) for i in range(batchSize)])
    return sequence, offsets


def _next_item_batch(sequence, offsets, rho, batchSize):
    inputs, targets = [], []
    for step in range(rho):
        inputs.append(sequence.index(0, offsets))
        offsets.add(1)
        for j in range(batchSize):
            if offsets[j] >= sequence.size(0):
                offsets[j] = 0
        targets.append(sequence.index(0, offsets))
    return inputs, targets


def _train_next_item(rnn, niter, rho=5, batchSize=8, lr=0.1, nIndex=10):
    """The examples' training loop (zeroGradParameters, forward, SequencerCriterion of ClassNLL, backward,
    updateParameters); returns the losses."""
    criterion = nn.SequencerCriterion(nn.ClassNLLCriterion())
    sequence, offsets = _next_item_data(batchSize)
    errs = []
    for iteration in range(niter):
        inputs, targets = _next_item_batch(sequence, offsets, rho, batchSize)
        rnn.zeroGradParameters()
        outputs = rnn.forward(inputs)
        assert len(outputs) == rho and tuple(outputs[0].size()) == (batchSize, nIndex)
        errs.append(criterion.forward(outputs, targets))
        gradOutputs = criterion.backward(outputs, targets)
        gradInputs = rnn.backward(inputs, gradOutputs)
        assert len(gradInputs) == rho
        rnn.updateParameters(lr)
    return errs


def test_simple_recurrence_network():
    """rnn examples/simple-recurrence-network.lua: a Recurrence of {LookupTable, Linear} -> CAddTable -> Sigmoid
    with a Linear and LogSoftMax, in a Sequencer; NLL over 5 steps falls from about 5 ln 10 to below a third."""
    lg.manualSeed(1)
    hiddenSize, nIndex = 7, 10
    rm = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.LookupTable(nIndex, hiddenSize))
             .add(nn.Linear(hiddenSize, hiddenSize))) \
        .add(nn.CAddTable()) \
        .add(nn.Sigmoid())
    rnn = nn.Sequential() \
        .add(nn.Recurrence(rm, hiddenSize, 0)) \
        .add(nn.Linear(hiddenSize, nIndex)) \
        .add(nn.LogSoftMax())
    rnn = nn.Sequencer(rnn)
    errs = _train_next_item(rnn, 250)
    assert errs[0] > 10 and np.mean(errs[-10:]) < errs[0] / 3


def test_simple_bisequencer_network():
    """rnn examples/simple-bisequencer-network.lua: a BiSequencerLM of a Recurrent (LookupTable input) and its
    reset clone, JoinTable merge, then Sequencers of Linear(2 hidden -> nIndex) and LogSoftMax; the clone's
    reset() goes through the LookupTable (LookupTable.reset's default stdv). NLL falls below a third."""
    lg.manualSeed(2)
    rho, hiddenSize, nIndex = 5, 7, 10
    fwd = nn.Recurrent(
        hiddenSize, nn.LookupTable(nIndex, hiddenSize),
        nn.Linear(hiddenSize, hiddenSize), nn.Sigmoid(),
        rho
    )
    bwd = fwd.clone()
    bwd.reset()
    merge = nn.JoinTable(0, 1)
    brnn = nn.BiSequencerLM(fwd, bwd, merge)
    rnn = nn.Sequential() \
        .add(brnn) \
        .add(nn.Sequencer(nn.Linear(hiddenSize * 2, nIndex))) \
        .add(nn.Sequencer(nn.LogSoftMax()))
    errs = _train_next_item(rnn, 250)
    assert errs[0] > 10 and np.mean(errs[-10:]) < errs[0] / 3


def test_simple_bisequencer_network_variable():
    """rnn examples/simple-bisequencer-network-variable.lua: a masked bidirectional FastLSTM over right-padded
    variable-length sequences and their reversals (padding index -1 where the Lua's is 0: LookupTableMaskZero,
    FastLSTM.maskZero, MaskZero, MaskZeroCriterion), the two LSTMs' lookup tables shared by sharedClone; the NLL
    falls and the accuracy over the unpadded steps rises."""
    lg.manualSeed(0)
    batchSize, rho, hiddenSize, nIndex, lr = 8, 10, 5, 10, 0.1
    sharedLookupTable = nn.LookupTableMaskZero(nIndex, hiddenSize)
    fwd = nn.Sequential() \
        .add(sharedLookupTable) \
        .add(nn.FastLSTM(hiddenSize, hiddenSize).maskZero(1))
    fwdSeq = nn.Sequencer(fwd)
    bwd = nn.Sequential() \
        .add(sharedLookupTable.sharedClone()) \
        .add(nn.FastLSTM(hiddenSize, hiddenSize).maskZero(1))
    bwdSeq = nn.Sequencer(bwd)
    mergeSeq = nn.Sequencer(nn.JoinTable(0, 1))
    parallel = nn.ParallelTable()
    parallel.add(fwdSeq).add(bwdSeq)
    brnn = nn.Sequential() \
        .add(parallel) \
        .add(nn.ZipTable()) \
        .add(mergeSeq)
    rnn = nn.Sequential() \
        .add(brnn) \
        .add(nn.Sequencer(nn.MaskZero(nn.Linear(hiddenSize * 2, nIndex), 1))) \
        .add(nn.Sequencer(nn.MaskZero(nn.LogSoftMax(), 1)))
    criterion = nn.SequencerCriterion(nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1))
    sequence, offsets = _next_item_data(batchSize)
    maxStep = [1 + (3 * j + 4) % rho for j in range(batchSize)]   # a length per sample, 1 .. rho

    errs, accs = [], []
    for iteration in range(40):
        inputs, targets = _next_item_batch(sequence, offsets, rho, batchSize)
        inputs_rev = []
        for step in range(rho):
            for j in range(batchSize):
                if step >= maxStep[j]:
                    inputs[step][j] = -1
                    targets[step][j] = -1
        for step in range(rho):
            inputs_rev.append(lg.LongTensor(batchSize))
            for j in range(batchSize):
                inputs_rev[step][j] = inputs[maxStep[j] - 1 - step][j] if step < maxStep[j] else -1

        rnn.zeroGradParameters()
        outputs = rnn.forward([inputs, inputs_rev])
        errs.append(criterion.forward(outputs, targets))
        correct = total = 0
        for step in range(rho):
            _, preds = outputs[step].max(1)
            for j in range(batchSize):
                if step < maxStep[j]:
                    correct += int(targets[step][j] == preds[j][0])
                    total += 1
                else:   # padded steps give zero rows
                    assert float(outputs[step][j].abs().sum()) == 0
        accs.append(correct / total)
        gradOutputs = criterion.backward(outputs, targets)
        rnn.backward([inputs, inputs_rev], gradOutputs)
        rnn.updateParameters(lr)
    assert errs[-1] < 0.75 * errs[0]
    assert np.mean(accs[-5:]) > np.mean(accs[:5]) + 0.2


def _encoder_decoder(useSeqLSTM, niter, perLayer=False):
    """rnn examples/encoder-decoder-coupling.lua with opt.useSeqLSTM as given; returns the losses. Without
    SeqLSTMs the encoder's last-step gradient is set through the Sequential (the Lua's enc:setGradHiddenState),
    or with ``perLayer`` on each LSTM from its decoder LSTM's getGradHiddenState."""
    opt = {'learningRate': 0.1, 'hiddenSize': 6, 'numLayers': 1, 'useSeqLSTM': useSeqLSTM, 'vocabSize': 7,
           'seqLen': 7, 'niter': niter}

    def forwardConnect(enc, dec):
        for i in range(len(enc.lstmLayers)):
            if opt['useSeqLSTM']:
                dec.lstmLayers[i].userPrevOutput = enc.lstmLayers[i].output[opt['seqLen'] - 1]
                dec.lstmLayers[i].userPrevCell = enc.lstmLayers[i].cell[opt['seqLen'] - 1]
            else:
                dec.lstmLayers[i].userPrevOutput = nn.rnn.recursiveCopy(
                    dec.lstmLayers[i].userPrevOutput, enc.lstmLayers[i].outputs[opt['seqLen'] - 1])[0]
                dec.lstmLayers[i].userPrevCell = nn.rnn.recursiveCopy(
                    dec.lstmLayers[i].userPrevCell, enc.lstmLayers[i].cells[opt['seqLen'] - 1])[0]

    def backwardConnect(enc, dec):
        for i in range(len(enc.lstmLayers)):
            if opt['useSeqLSTM']:
                enc.lstmLayers[i].userNextGradCell = dec.lstmLayers[i].userGradPrevCell
                enc.lstmLayers[i].gradPrevOutput = dec.lstmLayers[i].userGradPrevOutput
            elif perLayer:
                enc.lstmLayers[i].setGradHiddenState(opt['seqLen'] - 1, dec.lstmLayers[i].getGradHiddenState(-1))
            else:
                enc.setGradHiddenState(opt['seqLen'] - 1, dec.getGradHiddenState(-1))

    def coder(last):
        net = nn.Sequential()
        net.add(nn.LookupTableMaskZero(opt['vocabSize'], opt['hiddenSize']))
        net.lstmLayers = []
        for i in range(opt['numLayers']):
            if opt['useSeqLSTM']:
                net.lstmLayers.append(nn.SeqLSTM(opt['hiddenSize'], opt['hiddenSize']))
                net.lstmLayers[i].maskZero()
                net.add(net.lstmLayers[i])
            else:
                net.lstmLayers.append(nn.LSTM(opt['hiddenSize'], opt['hiddenSize']).maskZero(1))
                net.add(nn.Sequencer(net.lstmLayers[i]))
        for m in last:
            net.add(m)
        return net

    enc = coder([nn.Select(0, -1)])
    dec = coder([nn.Sequencer(nn.MaskZero(nn.Linear(opt['hiddenSize'], opt['vocabSize']), 1)),
                 nn.Sequencer(nn.MaskZero(nn.LogSoftMax(), 1))])
    criterion = nn.SequencerCriterion(nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1))
    # the Lua's words 1..7 are 0..6, its padding 0 is -1
    encInSeq = lg.Tensor([[-1, -1, -1, -1, 0, 1, 2], [-1, -1, -1, 3, 2, 1, 0]]).t()
    decInSeq = lg.Tensor([[5, 0, 1, 2, 3, -1, -1, -1], [5, 4, 3, 2, 1, 0, -1, -1]]).t()
    decOutSeq = lg.Tensor([[0, 1, 2, 3, 6, -1, -1, -1], [4, 3, 2, 1, 0, 6, -1, -1]]).t()
    errs = []
    for i in range(opt['niter']):
        enc.zeroGradParameters()
        dec.zeroGradParameters()
        encOut = enc.forward(encInSeq)
        forwardConnect(enc, dec)
        decOut = dec.forward(decInSeq)
        errs.append(criterion.forward(decOut, decOutSeq))
        gradOutput = criterion.backward(decOut, decOutSeq)
        dec.backward(decInSeq, gradOutput)
        backwardConnect(enc, dec)
        zeroTensor = lg.Tensor(encOut).zero()
        enc.backward(encInSeq, zeroTensor)
        dec.updateParameters(opt['learningRate'])
        enc.updateParameters(opt['learningRate'])
    assert len(decOut) == 8 and tuple(decOut[0].size()) == (2, opt['vocabSize'])
    return errs


def test_encoder_decoder_coupling_seqlstm():
    """rnn examples/encoder-decoder-coupling.lua with SeqLSTMs: the decoder starts from the encoder's last output
    and cell (userPrevOutput/userPrevCell), the encoder's backward from the decoder's gradients of them; the NLL
    over the padded target sequences falls to a quarter in 150 iterations."""
    lg.manualSeed(3)
    errs = _encoder_decoder(True, 150)
    assert errs[-1] < errs[0] / 4


def test_encoder_decoder_coupling_lstm():
    """The same example with useSeqLSTM false: LSTM.maskZero(1) in Sequencers, the decoder's userPrevOutput and
    userPrevCell copied with nn.rnn.recursiveCopy (they read None before the first copy, as nil in the Lua) and
    the encoder's last-step gradient set from the decoder's step -1 (the Lua's step 0) with
    setGradHiddenState/getGradHiddenState. The NLL halves in 60 iterations."""
    lg.manualSeed(3)
    errs = _encoder_decoder(False, 60)
    assert errs[-1] < errs[0] / 2


def test_recurrent_time_series():
    """rnn examples/recurrent-time-series.lua (options as a dict): a Recurrent of Linear input and feedback
    layers predicts the next vector of a multi-variate sequence; the MSE of the last 50 iterations is under a
    fifth of the first 50's."""
    lg.manualSeed(4)
    opt = {'rho': 5, 'multiSize': 6, 'hiddenSize': 10, 'dataSize': 100, 'batchSize': 8, 'nIterations': 400,
           'learningRate': 0.001}

    def evalPDF(vMean, vSigma, vX):
        for i in range(vMean.size(0)):
            b = (vX[i] - vMean[i]) / vSigma[i]
            vX[i] = math.exp(-b * b / 2) / (vSigma[i] * math.sqrt(2 * math.pi))
        return vX

    vBias = lg.randn(opt['multiSize'])
    vMean = lg.Tensor(opt['multiSize']).fill(5)
    vSigma = lg.linspace(1, opt['multiSize'], opt['multiSize'])
    sequence = lg.Tensor(opt['dataSize'], opt['multiSize'])
    j = 0
    for i in range(opt['dataSize']):
        sequence[i, :].fill(j)
        evalPDF(vMean, vSigma, sequence[i, :])
        sequence[i, :].add(vBias)
        j = j + 1
        if j > 10:
            j = 0
    offsets = lg.LongTensor(opt['batchSize']).random(0, opt['dataSize'])
    r = nn.Recurrent(opt['hiddenSize'], nn.Linear(opt['multiSize'], opt['hiddenSize']),
                     nn.Linear(opt['hiddenSize'], opt['hiddenSize']), nn.Sigmoid(), opt['rho'])
    rnn = nn.Sequencer(nn.Sequential().add(r).add(nn.Linear(opt['hiddenSize'], opt['multiSize'])))
    criterion = nn.SequencerCriterion(nn.MSECriterion())
    avgErrs = lg.Tensor(opt['nIterations']).fill(0)
    for k in range(opt['nIterations']):
        inputs, targets = [], []
        for step in range(opt['rho']):
            inputs.append(sequence.new())
            inputs[step].index(sequence, 0, offsets)
            offsets.add(1)
            offsets[offsets.ge(opt['dataSize'])] = 0
            targets.append(sequence.new())
            targets[step].index(sequence, 0, offsets)
        outputs = rnn.forward(inputs)
        avgErrs[k] = criterion.forward(outputs, targets)
        rnn.zeroGradParameters()
        rnn.backward(inputs, criterion.backward(outputs, targets))
        rnn.updateParameters(opt['learningRate'])
    assert tuple(outputs[0].size()) == (opt['batchSize'], opt['multiSize'])
    assert float(avgErrs[-50:].mean()) < float(avgErrs[:50].mean()) / 5


def test_noise_contrastive_estimate():
    """rnn examples/noise-contrastive-estimate.lua's model and training step on a synthetic corpus (dataload's
    Google Billion Words replaced): LookupTableMaskZero, a SeqLSTM with ``maskzero = True``, SplitTable, then
    ParallelTable(lm, Identity) -> ZipTable -> Sequencer(MaskZero(NCEModule, 1)) against
    SequencerCriterion(MaskZeroCriterion(NCECriterion(), 0)), with updateGradParameters(momentum),
    updateParameters and maxParamNorm; the targets' zero gradient passes back through the Identity. The NCE loss
    of the last 10 of 69 batches is under 92% of the first 10's (it falls slowly: NCE with a fixed Z = 1)."""
    lg.manualSeed(5)
    nvocab, inputsize, hiddensize, k, seqlen, batchsize = 30, 16, 16, 10, 6, 8
    opt = {'uniform': 0.1, 'momentum': 0.9, 'lr': 0.05, 'maxnormout': -1}
    n = 70 * seqlen * batchsize + batchsize
    corpus = lg.LongTensor(n)
    corpus[0] = 1
    draws = lg.LongTensor(n).random(nvocab)
    noise = lg.Tensor(n).uniform()
    for t in range(1, n):
        corpus[t] = (3 * corpus[t - 1] + 1) % nvocab if noise[t] < 0.8 else draws[t]
    wordfreq = lg.LongTensor(nvocab).zero()
    wordfreq.indexAdd(0, corpus, lg.LongTensor(n).fill(1))
    data = corpus.view(batchsize, n // batchsize).t().contiguous()

    lm = nn.Sequential()
    lm.add(nn.LookupTableMaskZero(nvocab, inputsize))
    rnn = nn.SeqLSTM(inputsize, hiddensize)
    rnn.maskzero = True
    lm.add(rnn)
    lm.add(nn.SplitTable(0))
    ncemodule = nn.NCEModule(hiddensize, nvocab, k, wordfreq.float(), 1)
    ncemodule.batchnoise = True
    lm = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(lm).add(nn.Identity())) \
        .add(nn.ZipTable())
    lm.add(nn.Sequencer(nn.MaskZero(ncemodule, 1)))
    lm.remember()
    for param in lm.parameters()[0]:
        param.uniform(-opt['uniform'], opt['uniform'])
    ncemodule.reset()
    criterion = nn.SequencerCriterion(nn.MaskZeroCriterion(nn.NCECriterion(), 0))
    targetmodule = nn.SplitTable(0)

    errs = []
    lm.training()
    for i in range(0, data.size(0) - seqlen - 1, seqlen):
        inputs = data.narrow(0, i, seqlen)
        targets = targetmodule.forward(data.narrow(0, i + 1, seqlen))
        inputs = [inputs, targets]
        outputs = lm.forward(inputs)
        errs.append(criterion.forward(outputs, targets))
        gradOutputs = criterion.backward(outputs, targets)
        lm.zeroGradParameters()
        gradInputs = lm.backward(inputs, gradOutputs)
        assert gradInputs[1][0].type() == 'legonn.LongTensor'
        lm.updateGradParameters(opt['momentum'])
        lm.updateParameters(opt['lr'])
        lm.maxParamNorm(opt['maxnormout'])
    assert len(outputs) == seqlen and len(outputs[0]) == 4
    assert np.mean(errs[-10:]) < 0.92 * np.mean(errs[:10])
