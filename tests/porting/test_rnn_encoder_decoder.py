"""rnn's examples/encoder-decoder-coupling.lua with opt.useSeqLSTM = false, ported line by line: an encoder and a
decoder nn.LSTM, each maskZero(1) in a Sequencer, coupled forward through userPrevOutput/userPrevCell and
backward through getGradHiddenState/setGradHiddenState; variable-length sentences padded with the padding index
(the Lua's 0 is -1 here, the labels shifted down by one)."""
import legonn as lg
from legonn import nn


def test_encoder_decoder_coupling_example_learns():
    """The example's loop for 60 of its 1000 iterations: the loss falls below half the first."""
    opt = {'learningRate': 0.1, 'hiddenSize': 6, 'numLayers': 1, 'vocabSize': 7, 'seqLen': 7, 'niter': 60}

    def forwardConnect(enc, dec):
        for i in range(len(enc.lstmLayers)):
            dec.lstmLayers[i].userPrevOutput = nn.utils.recursiveCopy(
                dec.lstmLayers[i].userPrevOutput, enc.lstmLayers[i].outputs[opt['seqLen'] - 1])[0]
            dec.lstmLayers[i].userPrevCell = nn.utils.recursiveCopy(
                dec.lstmLayers[i].userPrevCell, enc.lstmLayers[i].cells[opt['seqLen'] - 1])[0]

    def backwardConnect(enc, dec):
        for i in range(len(enc.lstmLayers)):
            enc.lstmLayers[i].setGradHiddenState(opt['seqLen'] - 1, dec.lstmLayers[i].getGradHiddenState(-1))

    lg.manualSeed(1)
    enc = nn.Sequential()
    enc.add(nn.LookupTableMaskZero(opt['vocabSize'], opt['hiddenSize']))
    enc.lstmLayers = []
    for i in range(opt['numLayers']):
        enc.lstmLayers.append(nn.LSTM(opt['hiddenSize'], opt['hiddenSize']).maskZero(1))
        enc.add(nn.Sequencer(enc.lstmLayers[i]))
    enc.add(nn.Select(0, -1))

    dec = nn.Sequential()
    dec.add(nn.LookupTableMaskZero(opt['vocabSize'], opt['hiddenSize']))
    dec.lstmLayers = []
    for i in range(opt['numLayers']):
        dec.lstmLayers.append(nn.LSTM(opt['hiddenSize'], opt['hiddenSize']).maskZero(1))
        dec.add(nn.Sequencer(dec.lstmLayers[i]))
    dec.add(nn.Sequencer(nn.MaskZero(nn.Linear(opt['hiddenSize'], opt['vocabSize']), 1)))
    dec.add(nn.Sequencer(nn.MaskZero(nn.LogSoftMax(), 1)))

    criterion = nn.SequencerCriterion(nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1))

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
        zeroTensor = lg.Tensor(encOut.size()).zero()
        enc.backward(encInSeq, zeroTensor)
        dec.updateParameters(opt['learningRate'])
        enc.updateParameters(opt['learningRate'])
    assert errs[-1] < errs[0] / 2
