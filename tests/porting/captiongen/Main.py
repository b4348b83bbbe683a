"""captionGeneration.torch's Main.lua: a caption model trained on COCO: the pretrained CNN's feature maps (cut at
``config.FeatLayerCNN``) averaged and embedded as the first step of a sequence whose other steps are the caption's
word embeddings, a recurrent.torch GRU over it, dropout and a Linear classifier over time, trained with eladtools'
Optimizer to predict each next word; buffers of images come from the LMDB providers two at a time.

``main(arg, config)`` runs the script with ``arg`` its command line and ``config`` Config.lua's table (the tests
point its paths at files they write and its LMDB environments at the in-memory stand-in); it returns the per-epoch
training and validation losses and the model's parts for the tests to read. ``cmd:option('-epoch', -1, ...)`` with
EarlyStop(5, -1) trains until 5 epochs bring no new lowest validation loss, as the Lua.

Edits beyond syntax and indices: ``#cnnModel`` (Sequential's ``__len``) is ``len(cnnModel)``, and its layer
``config.FeatLayerCNN`` (a 1-based position in the saved model) is position ``FeatLayerCNN - 1``; the Container
methods of recurrent.torch (``model:sequence()``, ``model:zeroState()``) are its package's functions;
``data.trainingData:shuffleItems()`` under ``-shuffle`` reads a field Data.lua never returns (an error in Lua as
here, not reached by the tests)."""
import math
import os
import time

import legonn as lg
from legonn import nn, optim, paths, xlua

from .. import recurrent_torch as recurrent_pkg
from ..eladtools.EarlyStop import EarlyStop
from ..dataprovider.Container import Container
from ..eladtools.Optimizer import Optimizer
from . import Data


def main(arg, config):
    # -------------------------------------------------------

    cmd = lg.CmdLine()
    cmd.addTime()
    cmd.text()
    cmd.text('Training recurrent networks to create captions from images')
    cmd.text()
    cmd.text('==>Options')

    cmd.text('===>Data Options')
    cmd.option('-shuffle', False, 'shuffle training samples')

    cmd.text('===>Model And Training Regime')
    cmd.option('-model', 'GRU', 'Model file - must return a model bulider function')
    cmd.option('-seqLength', 10, 'number of timesteps to unroll for')
    cmd.option('-embeddingSize', 128, 'size of word embedding')
    cmd.option('-rnnSize', 128, 'size of rnn hidden layer')
    cmd.option('-numLayers', 2, 'number of layers in the LSTM')
    cmd.option('-dropout', 0.5, 'dropout p value')
    cmd.option('-LR', 1e-3, 'learning rate')
    cmd.option('-LRDecay', 0, 'learning rate decay (in # samples)')
    cmd.option('-weightDecay', 0, 'L2 penalty on the weights')
    cmd.option('-momentum', 0.9, 'momentum')
    cmd.option('-batchSize', 32, 'batch size')
    cmd.option('-decayRate', 0.95, 'decay rate for rmsprop')
    cmd.option('-initWeight', 0.08, 'uniform weight initialization range')
    cmd.option('-optimization', 'adam', 'optimization method')
    cmd.option('-gradClip', 5, 'clip gradients at this value')
    cmd.option('-epoch', -1, 'number of epochs to train, -1 for unbounded')

    cmd.text('===>Platform Optimization')
    cmd.option('-threads', 8, 'number of threads')
    cmd.option('-type', 'cuda', 'float or cuda')
    cmd.option('-devid', 1, 'device ID (if using CUDA)')
    cmd.option('-nGPU', 1, 'num of gpu devices used')
    cmd.option('-bufferSize', 5120, 'buffer size')
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
    AllowVarBatch = not opt['constBatchSize']

    # ----------------------------------------------------------------------
    # Output files configuration
    os.system('mkdir -p ' + opt['save'])

    cmd.log(opt['save'] + '/Log.txt', opt)
    netFilename = paths.concat(opt['save'], 'Net')
    logFilename = paths.concat(opt['save'], 'LossRate.log')
    optStateFilename = paths.concat(opt['save'], 'optState')
    Log = optim.Logger(logFilename)

    # ----------------------------------------------------------------------
    data = Data.make_data(config)
    normalization = config['Normalization']

    config['SentenceLength'] = opt['seqLength']
    vocabSize = 0
    for _ in config['Vocab'].items():
        vocabSize = vocabSize + 1
    print('Vocab Size: ' + lg.tostring(vocabSize))
    # ----------------------------------------------------------------------
    # Model + Loss:

    modelConfig = {}
    if paths.filep(opt['load']):
        modelConfig = lg.load(opt['load'])
        print('==>Loaded Net from: ' + opt['load'])
    else:
        rnnTypes = {'LSTM': recurrent_pkg.LSTM, 'RNN': recurrent_pkg.RNN, 'GRU': recurrent_pkg.GRU,
                    'iRNN': recurrent_pkg.iRNN}
        rnn = rnnTypes[opt['model']]
        modelConfig['recurrent'] = rnn(opt['embeddingSize'], opt['rnnSize'])

    trainRegime = modelConfig.get('regime')
    recurrent = modelConfig['recurrent']

    textEmbedder = nn.Sequential()
    textEmbedder.add(nn.LookupTable(vocabSize, opt['embeddingSize']))
    imageEmbedder = nn.Sequential()
    imageEmbedder.add(nn.Mean(2))
    imageEmbedder.add(nn.Mean(2))
    imageEmbedder.add(nn.Linear(config['NumFeatsCNN'], opt['embeddingSize']))
    imageEmbedder.add(nn.ReLU())
    imageEmbedder.add(nn.View(1, opt['embeddingSize']).setNumInputDims(1))

    embedder = nn.Sequential().add(nn.ParallelTable().add(imageEmbedder).add(textEmbedder)).add(nn.JoinTable(0, 2))
    classifier = nn.Linear(opt['rnnSize'], vocabSize)
    loss = recurrent_pkg.TemporalCriterion(nn.CrossEntropyCriterion())

    cnnModel = lg.load(config['PreTrainedCNN'])
    removeAfter = config['FeatLayerCNN']
    for i in range(len(cnnModel) - 1, removeAfter - 2, -1):   # 1-based i = #cnnModel .. removeAfter
        cnnModel.remove(i)
    model = nn.Sequential().add(embedder).add(recurrent).add(nn.Dropout(opt['dropout'])) \
        .add(recurrent_pkg.TemporalModule(classifier))

    TensorType = 'torch.FloatTensor'

    if opt['type'] == 'cuda':
        from legonn import cutorch
        cutorch.setDevice(opt['devid'] - 1)   # devices are 0-based (docs/porting.md's cutorch row)
        cutorch.manualSeed(opt['seed'])
        cnnModel.cuda()
        model.cuda()
        loss = loss.cuda()
        TensorType = 'torch.CudaTensor'

        # -Support for multiple GPUs - currently data parallel scheme
        if opt['nGPU'] > 1:
            initState.resize(opt['batchSize'] / opt['nGPU'], stateSize)  # noqa: F821 (globals nothing sets)
            recurrent.setState(initState)  # noqa: F821
            net = model
            model = nn.DataParallelTable(0)
            model.add(net, 0)
            for i in range(1, opt['nGPU']):
                cutorch.setDevice(i)
                model.add(net.clone(), i)  # Use the ith GPU
            cutorch.setDevice(opt['devid'] - 1)

    # Optimization configuration
    Weights, Gradients = model.getParameters()

    savedModel = {
        'textEmbedder': textEmbedder.clone('weight', 'bias', 'running_mean', 'running_std'),
        'imageEmbedder': imageEmbedder.clone('weight', 'bias', 'running_mean', 'running_std'),
        'classifier': classifier.clone('weight', 'bias', 'running_mean', 'running_std'),
        'recurrent': recurrent.clone('weight', 'bias', 'running_mean', 'running_std')
    }

    # ----------------------------------------------------------------------
    print('\n==> Network')
    print(model)
    print('\n==>' + lg.tostring(Weights.nElement()) + ' Parameters')

    print('\n==> Loss')
    print(loss)

    # ------------------Optimization Configuration--------------------------

    optimState = {
        'learningRate': opt['LR'],
        'momentum': opt['momentum'],
        'weightDecay': opt['weightDecay'],
        'learningRateDecay': opt['LRDecay'],
        'alpha': opt['decayRate']
    }

    optimizer = Optimizer(
        Model=model,
        Loss=loss,
        OptFunction=getattr(optim, opt['optimization']),
        OptState=optimState,
        Parameters=[Weights, Gradients],
        Regime=trainRegime,
        GradRenorm=opt['gradClip']
    )

    # ----------------------------------------------------------------------

    def saveModel(fn):
        lg.save(fn, {
            'textEmbedder': savedModel['textEmbedder'].clone().float(),
            'imageEmbedder': savedModel['imageEmbedder'].clone().float(),
            'classifier': savedModel['classifier'].clone().float(),
            'recurrent': savedModel['recurrent'].clone().float(),
            'inputSize': config['InputSize'],
            'stateSize': None,   # the global stateSize: nil
            'vocab': config['Vocab'],
            'decoder': data['decoder']
        })

    # ----------------------------------------------------------------------
    def Forward(DB, train):

        SizeData = math.floor(DB.size() / opt['batchSize']) * opt['batchSize']
        dataIndices = lg.range(0, SizeData - 1, opt['bufferSize']).long()
        if train and opt['shuffle']:  # shuffle batches from LMDB
            dataIndices = dataIndices.index(0, lg.randperm(dataIndices.size(0)).long())

        numBuffers = 2
        currBuffer = 0
        BufferSources = []
        for i in range(numBuffers):
            BufferSources.append(Container(Source=[lg.ByteTensor(), lg.IntTensor()]))

        currBatch = 0

        def BufferNext():
            nonlocal currBuffer, currBatch
            currBuffer = (currBuffer + 1) % numBuffers
            if currBatch > dataIndices.size(0) - 1:
                BufferSources[currBuffer] = None
                return
            sizeBuffer = min(opt['bufferSize'], SizeData - int(dataIndices[currBatch]))
            BufferSources[currBuffer].Data.resize(sizeBuffer, *config['InputSize'])
            BufferSources[currBuffer].Labels.resize(sizeBuffer, opt['seqLength'])
            DB.asyncCacheSeq(config['Key'](int(dataIndices[currBatch])), sizeBuffer, BufferSources[currBuffer].Data,
                             BufferSources[currBuffer].Labels)
            currBatch = currBatch + 1

        MiniBatch = Container(
            Name='GPU_Batch',
            MaxNumItems=opt['batchSize'],
            Source=BufferSources[currBuffer],
            TensorType=TensorType
        )

        yt = MiniBatch.Labels
        y = lg.Tensor()
        images = MiniBatch.Data
        NumSamples = 0
        lossVal = 0
        currLoss = 0
        recurrent_pkg.sequence(model)

        BufferNext()

        while NumSamples < SizeData:
            DB.synchronize()
            MiniBatch.reset()
            MiniBatch.Source = BufferSources[currBuffer]
            if train and opt['shuffle']:
                MiniBatch.Source.shuffleItems()
            BufferNext()

            while MiniBatch.getNextBatch():
                recurrent_pkg.zeroState(model)
                if len(normalization) > 0:
                    MiniBatch.normalize(*normalization)
                imageRep = cnnModel.forward(images)
                x = [imageRep, yt.narrow(1, 0, opt['seqLength'] - 1)]
                if train:
                    if opt['nGPU'] > 1:
                        model.syncParameters()
                    y, currLoss = optimizer.optimize(x, yt)[:2]
                else:
                    y = model.forward(x)
                    currLoss = loss.forward(y, yt)
                lossVal = currLoss / opt['seqLength'] + lossVal
                NumSamples = NumSamples + opt['batchSize']
                xlua.progress(NumSamples - 1, SizeData)   # 0-based t (docs/porting.md's xlua row)

        xlua.progress(NumSamples - 1, SizeData)
        return lossVal / math.ceil(SizeData / opt['batchSize'])

    # ------------------------------

    def Train(data):
        model.training()
        embedder.training()
        return Forward(data, True)

    def Evaluate(data):
        model.evaluate()
        embedder.evaluate()
        return Forward(data, False)

    data['ValDB'].threads()
    data['TrainDB'].threads()

    decreaseLR = EarlyStop(1)
    stopTraining = EarlyStop(5, opt['epoch'])
    epoch = 1

    history = {'train': [], 'val': []}
    while True:
        ErrTrain = LossTrain = None
        print('\nEpoch ' + lg.tostring(epoch) + '\n')
        optimizer.updateRegime(epoch, True)
        LossTrain = Train(data['TrainDB'])
        saveModel(netFilename + '_' + lg.tostring(epoch) + '.t7')
        if opt['optState']:
            lg.save(optStateFilename + '_epoch_' + lg.tostring(epoch) + '.t7', optimState)
        print('\nTraining Perplexity: ' + lg.tostring(math.exp(LossTrain)))

        LossVal = Evaluate(data['ValDB'])

        print('\nValidation Perplexity: ' + lg.tostring(math.exp(LossVal)))

        if not opt.get('testonly'):
            Log.add({'Training Perplexity': math.exp(LossTrain), 'Validation Perplexity': math.exp(LossVal)})
            Log.style({'Training Perplexity': '-', 'Validation Perplexity': '-'})
            Log.plot()
        if opt['shuffle']:
            data['trainingData'].shuffleItems()
        epoch = epoch + 1
        history['train'].append(LossTrain)
        history['val'].append(LossVal)

        if decreaseLR.update(LossVal):
            optimState['learningRate'] = optimState['learningRate'] / 1.5
            print("Learning Rate decreased to: " + lg.tostring(optimState['learningRate']))
            decreaseLR.reset()

        if stopTraining.update(LossVal):
            break

    lowestLoss, bestIteration = stopTraining.lowest()

    print("Best Iteration was " + lg.tostring(bestIteration) + ", With a validation loss of: " + lg.tostring(lowestLoss))
    return history, {'model': model, 'cnnModel': cnnModel, 'imageEmbedder': imageEmbedder,
                     'textEmbedder': textEmbedder, 'recurrent': recurrent, 'classifier': classifier,
                     'data': data, 'opt': opt}
