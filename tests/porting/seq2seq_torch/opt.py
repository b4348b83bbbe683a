"""seq2seq.torch's opt.lua, which main.lua runs with ``dofile('opt.lua')``: its command line, the process set-up
and the globals ``cmd``, ``opt``, ``buildRNN``, ``buildBiDiRNN``. ``dofile(arg)`` runs the file's top level (the
Lua's ``arg``, the script's arguments, passed in) and sets this module's ``cmd`` and ``opt``.

``os.date()`` is C's ``%c``; ``opt.save`` and the log are written under the working directory as in the Lua.
The Lua's ``recEncDec`` is a global (set by both builders); kept so. ``buildBiDiRNN`` (learnWords.lua's encoder,
``require 'nnx'``) wraps each layer in ``nn.Bidirectional``, which neither recurrent.torch nor nnx defines: not
run here."""
import os
import time

import legonn as lg
from legonn import nn

from .. import recurrent_torch as recurrent

cmd = opt = recEncDec = None


def dofile(arg=None):
    global cmd, opt
    cmd = lg.CmdLine()
    cmd.addTime()
    cmd.text()
    cmd.text('Training recurrent networks on seq2seq tasks')
    cmd.text()
    cmd.text('==>Options')

    cmd.text('===>Data Options')
    cmd.option('-shuffle', False, 'shuffle training samples')

    cmd.text('===>Model And Training Regime')
    cmd.option('-model', 'GRU', 'Recurrent model [RNN, iRNN, LSTM, GRU]')
    cmd.option('-seqLength', 50, 'number of timesteps to unroll for')
    cmd.option('-rnnSize', 256, 'size of rnn hidden layer')
    cmd.option('-numLayers', 1, 'number of layers in the LSTM')
    cmd.option('-dropout', 0, 'dropout p value')
    cmd.option('-LR', 1e-3, 'learning rate')
    cmd.option('-LRDecay', 0, 'learning rate decay (in # samples)')
    cmd.option('-weightDecay', 0, 'L2 penalty on the weights')
    cmd.option('-momentum', 0, 'momentum')
    cmd.option('-batchSize', 32, 'batch size')
    cmd.option('-decayRate', 2, 'exponential decay rate')
    cmd.option('-initWeight', 0.05, 'uniform weight initialization range')
    cmd.option('-earlyStop', 5, 'number of bad epochs to stop after')
    cmd.option('-optimization', 'adam', 'optimization method')
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
    opt['save'] = lg.paths.concat('./Results', opt['save'])
    lg.setnumthreads(opt['threads'])
    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')

    # Output files configuration
    os.system('mkdir -p ' + opt['save'])
    cmd.log(opt['save'] + '/log.txt', opt)

    if opt['type'] == 'cuda':
        from legonn import cutorch
        cutorch.setDevice(opt['devid'] - 1)   # devices are 0-based (docs/porting.md's cutorch row)
        cutorch.manualSeed(opt['seed'])
        cutorch.setHeapTracking(True)

    types = {
        'cuda': 'torch.CudaTensor',
        'float': 'torch.FloatTensor',
        'cl': 'torch.ClTensor',
        'double': 'torch.DoubleTensor'
    }

    opt['tensorType'] = types.get(opt['type']) or 'torch.FloatTensor'
    return opt


def buildRNN(vocabSize, reverse=None):
    global recEncDec
    rnnTypes = {'LSTM': recurrent.LSTM, 'RNN': recurrent.RNN, 'GRU': recurrent.GRU, 'iRNN': recurrent.iRNN}
    rnn = rnnTypes[opt['model']]
    hiddenSize = opt.get('embeddingSize')
    recEncDec = nn.Sequential().add(nn.LookupTable(vocabSize, opt['rnnSize']))
    if reverse:
        recEncDec.add(recurrent.Reverse(1))
    for i in range(opt['numLayers']):
        recEncDec.add(rnn(opt['rnnSize'], opt['rnnSize'], opt['initWeight']))
        if opt['dropout'] > 0:
            recEncDec.add(nn.Dropout(opt['dropout']))
    return recEncDec


def buildBiDiRNN(vocabSize):
    global recEncDec
    rnnTypes = {'LSTM': recurrent.LSTM, 'RNN': recurrent.RNN, 'GRU': recurrent.GRU, 'iRNN': recurrent.iRNN}
    rnn = rnnTypes[opt['model']]
    hiddenSize = opt.get('embeddingSize')
    recEncDec = nn.Sequential().add(nn.LookupTable(vocabSize, opt['rnnSize'])).add(nn.Probe())
    for i in range(opt['numLayers']):
        recEncDec.add(nn.Bidirectional(rnn(opt['rnnSize'], opt['rnnSize'] / 2, opt['initWeight'])))
        if opt['dropout'] > 0:
            recEncDec.add(nn.Dropout(opt['dropout']))
    return recEncDec
