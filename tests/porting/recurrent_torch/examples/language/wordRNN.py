"""recurrent.torch's examples/language/wordRNN.lua: a word-level RNN language model on Penn Treebank
(./data/ptb.{train,valid,test}.txt): LookupTable -> stacked recurrent layers -> Linear sharing the LookupTable's
weight, trained with eladtools' Optimizer until eladtools' EarlyStop says stop, reporting perplexities.

``main(arg)`` runs the script with ``arg`` its command line. The globals the Lua shares with trainRecurrent.lua
(``cmd``, ``opt``, ``data``, ``modelConfig``) are passed to its ``load``. ``main`` returns the per-epoch training,
validation and test losses, for a test to read."""
import math
import time

import legonn as lg
from legonn import nn, optim, paths

from .... import recurrent_torch as recurrent
from ....eladtools.EarlyStop import EarlyStop
from .utils import trainRecurrent
from .utils.textDataProvider import decodeFunc, encodeFunc, loadTextFileWords


def main(arg=None):
    # -------------------------------------------------------

    cmd = lg.CmdLine()
    cmd.addTime()
    cmd.text()
    cmd.text('Training recurrent networks on word-level text dataset - Penn Treebank')
    cmd.text()
    cmd.text('==>Options')

    cmd.text('===>Data Options')
    cmd.option('-shuffle', False, 'shuffle training samples')

    cmd.text('===>Model And Training Regime')
    cmd.option('-model', 'LSTM', 'Recurrent model [RNN, iRNN, LSTM, GRU]')
    cmd.option('-seqLength', 50, 'number of timesteps to unroll for')
    cmd.option('-rnnSize', 128, 'size of rnn hidden layer')
    cmd.option('-numLayers', 2, 'number of layers in the LSTM')
    cmd.option('-dropout', 0.5, 'dropout p value')
    cmd.option('-LR', 2e-3, 'learning rate')
    cmd.option('-LRDecay', 0, 'learning rate decay (in # samples)')
    cmd.option('-weightDecay', 0, 'L2 penalty on the weights')
    cmd.option('-momentum', 0, 'momentum')
    cmd.option('-batchSize', 50, 'batch size')
    cmd.option('-decayRate', 2, 'exponential decay rate')
    cmd.option('-initWeight', 0.08, 'uniform weight initialization range')
    cmd.option('-earlyStop', 5, 'number of bad epochs to stop after')
    cmd.option('-optimization', 'rmsprop', 'optimization method')
    cmd.option('-gradClip', 5, 'clip gradients at this value')
    cmd.option('-epoch', 100, 'number of epochs to train')
    cmd.option('-epochDecay', 5, 'number of epochs to start decay learning rate')

    cmd.text('===>Platform Optimization')
    cmd.option('-threads', 8, 'number of threads')
    cmd.option('-type', 'cuda', 'float or cuda')
    cmd.option('-devid', 1, 'device ID (if using CUDA)')
    cmd.option('-nGPU', 1, 'num of gpu devices used')
    cmd.option('-seed', 123, 'torch manual random number generator seed')
    cmd.option('-constBatchSize', False, 'do not allow varying batch sizes')

    cmd.text('===>Save/Load Options')
    cmd.option('-load', '', 'load existing net weights')
    cmd.option('-save', time.strftime('%c').replace(' ', ''), 'save directory')
    cmd.option('-optState', False, 'Save optimization state every epoch')
    cmd.option('-checkpoint', 0, 'Save a weight check point every n samples. 0 for off')

    opt = cmd.parse(arg or [])
    opt['save'] = paths.concat('./Results', opt['save'])
    lg.setnumthreads(opt['threads'])
    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')

    # ----------------------------------------------------------------------
    trainWordVec = testWordVec = valWordVec = decoder = decoder_ = vocab = None

    trainWordVec, vocab, decoder = loadTextFileWords('./data/ptb.train.txt')
    testWordVec, vocab, decoder_ = loadTextFileWords('./data/ptb.test.txt', vocab)
    assert len(decoder) == len(decoder_)  # no new words
    valWordVec, vocab, decoder_ = loadTextFileWords('./data/ptb.valid.txt', vocab)
    assert len(decoder) == len(decoder_)  # no new words
    data = {
        'trainingData': trainWordVec,
        'testData': testWordVec,
        'validationData': valWordVec,
        'vocabSize': len(decoder),
        'decoder': decoder,
        'vocab': vocab,
        'decode': decodeFunc(vocab, 'word'),
        'encode': encodeFunc(vocab, 'word')
    }
    vocabSize = len(decoder)
    # ----------------------------------------------------------------------

    if paths.filep(opt['load']):
        modelConfig = lg.load(opt['load'])
        print('==>Loaded Net from: ' + opt['load'])
    else:
        modelConfig = {}
        rnnTypes = {'LSTM': recurrent.LSTM, 'RNN': recurrent.RNN, 'GRU': recurrent.GRU, 'iRNN': recurrent.iRNN}
        rnn = rnnTypes[opt['model']]
        hiddenSize = opt['rnnSize']
        modelConfig['recurrent'] = nn.Sequential()
        for i in range(opt['numLayers']):
            modelConfig['recurrent'].add(rnn(hiddenSize, opt['rnnSize'], opt['initWeight']))
            # modelConfig.recurrent:add(nn.TemporalModule(nn.BatchNormalization(opt.rnnSize)))
            if opt['dropout'] > 0:
                modelConfig['recurrent'].add(nn.Dropout(opt['dropout']))
            hiddenSize = opt['rnnSize']
        modelConfig['embedder'] = nn.LookupTable(vocabSize, opt['rnnSize'])
        modelConfig['classifier'] = nn.Linear(opt['rnnSize'], vocabSize)

    modelConfig['classifier'].share(modelConfig['embedder'], 'weight', 'gradWeight')

    trainingConfig = trainRecurrent.load(opt, cmd, data, modelConfig)
    train = trainingConfig['train']
    evaluate = trainingConfig['evaluate']
    sample = trainingConfig['sample']
    optimState = trainingConfig['optimState']
    saveModel = trainingConfig['saveModel']

    logFilename = paths.concat(opt['save'], 'LossRate.log')
    log = optim.Logger(logFilename)
    decreaseLR = EarlyStop(1, opt['epochDecay'])
    stopTraining = EarlyStop(opt['earlyStop'], opt['epoch'])
    epoch = 1

    history = {'train': [], 'val': [], 'test': []}
    while True:
        print('\nEpoch ' + lg.tostring(epoch) + '\n')
        LossTrain = train(data['trainingData'])
        saveModel(epoch)
        if opt['optState']:
            lg.save(optStateFilename + '_epoch_' + lg.tostring(epoch) + '.t7', optimState)  # noqa: F821 (nil global)
        print('\nTraining Perplexity: ' + lg.tostring(math.exp(LossTrain)))

        LossVal = evaluate(data['validationData'])

        print('\nValidation Perplexity: ' + lg.tostring(math.exp(LossVal)))

        LossTest = evaluate(data['testData'])

        # print('\nSampled Text:\n' .. sample('the meaning of life is', 50, true))

        print('\nTest Perplexity: ' + lg.tostring(math.exp(LossTest)))
        log.add({'Training Loss': LossTrain, 'Validation Loss': LossVal, 'Test Loss': LossTest})
        log.style({'Training Loss': '-', 'Validation Loss': '-', 'Test Loss': '-'})
        log.plot()
        history['train'].append(LossTrain)
        history['val'].append(LossVal)
        history['test'].append(LossTest)
        epoch = epoch + 1

        if decreaseLR.update(LossVal):
            optimState['learningRate'] = optimState['learningRate'] / opt['decayRate']
            print("Learning Rate decreased to: " + lg.tostring(optimState['learningRate']))
            decreaseLR = EarlyStop(1, 1)
            decreaseLR.reset()

        if stopTraining.update(LossVal):
            break

    lowestLoss, bestIteration = stopTraining.lowest()

    print("Best Iteration was " + lg.tostring(bestIteration) + ", With a validation loss of: " + lg.tostring(lowestLoss))
    return history
