"""recurrent.torch's examples/language/utils/trainRecurrent.lua, which charRNN.lua and wordRNN.lua ``require``: it
reads the caller's globals ``opt``, ``cmd``, ``data`` and ``modelConfig`` and returns train, evaluate, sample,
saveModel, optimState and model. ``require`` runs it once; here ``load(opt, cmd, data, modelConfig)`` runs its top
level with those globals passed in.

Edits beyond syntax and indices: eladtools' Optimizer is the port in tests/porting/eladtools/Optimizer.py;
the Container methods of recurrent.torch (``model:sequence()``, ``model:forget()``, ``model:zeroState()``,
``recurrent:single()``) are its package's functions (docs/porting.md's row), the package imported as
``recurrent_torch`` since the file's local ``recurrent`` (the model's recurrent part) shadows it in the Lua too.
The multi-GPU branch (nn.DataParallelTable over ``opt.nGPU`` devices) reads ``initState`` and ``stateSize``, which
nothing sets: kept as written.

reshapeData's last batch row reads the label after its slice, ``wordVec:index(1, endIdxs)`` with ``endIdxs`` up to
``endPos + 1``: when the text's length is a multiple of batchSize x seqLength that is one past the end, an index
error in Torch7 as here (the tests size their corpora so that it is not)."""
import os

import legonn as lg
from legonn import nn, optim, paths, xlua

from ..... import recurrent_torch
from .....eladtools.Optimizer import Optimizer


def load(opt, cmd, data, modelConfig):
    # ----------------------------------------------------------------------
    # Output files configuration
    os.system('mkdir -p ' + opt['save'])

    cmd.log(opt['save'] + '/log.txt', opt)
    netFilename = paths.concat(opt['save'], 'Net')
    optStateFilename = paths.concat(opt['save'], 'optState')

    vocabSize = data['vocabSize']
    vocab = data['vocab']
    decoder = data['decoder']

    trainRegime = modelConfig.get('regime')
    recurrent = modelConfig['recurrent']
    stateSize = modelConfig.get('stateSize')
    embedder = modelConfig['embedder']
    classifier = modelConfig['classifier']

    # Model + Loss:
    model = nn.Sequential()
    model.add(embedder)
    model.add(recurrent)
    model.add(recurrent_torch.TemporalModule(classifier))
    criterion = nn.CrossEntropyCriterion()  # ClassNLLCriterion()

    TensorType = 'torch.FloatTensor'

    if opt['type'] == 'cuda':
        from legonn import cutorch
        cutorch.setDevice(opt['devid'] - 1)   # devices are 0-based (docs/porting.md's cutorch row)
        cutorch.manualSeed(opt['seed'])

        model.cuda()

        criterion = criterion.cuda()
        TensorType = 'torch.CudaTensor'

        # -Support for multiple GPUs - currently data parallel scheme
        if opt['nGPU'] > 1:
            initState.resize(opt['batchSize'] / opt['nGPU'], stateSize)  # noqa: F821 (a global nothing sets)
            net = model
            model = nn.DataParallelTable(0)
            model.add(net, 0)
            for i in range(1, opt['nGPU']):
                cutorch.setDevice(i)
                model.add(net.clone(), i)  # Use the ith GPU
            cutorch.setDevice(opt['devid'] - 1)

    # sequential criterion
    seqCriterion = recurrent_torch.TemporalCriterion(criterion)

    # Optimization configuration
    Weights, Gradients = model.getParameters()

    # initialize weights uniformly
    Weights.uniform(-opt['initWeight'], opt['initWeight'])

    savedModel = {
        'embedder': embedder.clone('weight', 'bias', 'running_mean', 'running_std'),
        'recurrent': recurrent.clone('weight', 'bias', 'running_mean', 'running_std'),
        'classifier': classifier.clone('weight', 'bias', 'running_mean', 'running_std')
    }

    # ----------------------------------------------------------------------
    print('\n==> Network')
    print(model)
    print('\n==>' + lg.tostring(Weights.nElement()) + ' Parameters')

    print('\n==> Criterion')
    print(criterion)

    if trainRegime:
        print('\n==> Training Regime')
        for x, val in trainRegime.items():
            print('%12s' % x, *val)
    # ------------------Optimization Configuration--------------------------

    optimState = {
        'learningRate': opt['LR'],
        'momentum': opt['momentum'],
        'weightDecay': opt['weightDecay'],
        'learningRateDecay': opt['LRDecay']
    }

    optimizer = Optimizer(
        Model=model,
        Loss=seqCriterion,
        OptFunction=getattr(optim, opt['optimization']),
        OptState=optimState,
        Parameters=[Weights, Gradients],
        Regime=trainRegime,
        GradRenorm=opt['gradClip']
    )

    # ----------------------------------------------------------------------
    # -utility functions

    def reshapeData(wordVec, seqLength, batchSize):
        offset = 0   # `offset or 0` of a global nothing sets
        length = wordVec.nElement()
        numBatches = lg.floor(length / (batchSize * seqLength))

        batchWordVec = wordVec.new().resize(numBatches, batchSize, seqLength)
        endWords = wordVec.new().resize(numBatches, batchSize, 1)

        endIdxs = lg.LongTensor()
        for i in range(batchSize):
            startPos = lg.round(i * length / batchSize)
            sliceLength = seqLength * numBatches
            endPos = startPos + sliceLength - 1

            batchWordVec.select(1, i).copy(wordVec.narrow(0, startPos, sliceLength))
            endIdxs.range(startPos + seqLength, endPos + 1, seqLength)
            endWords.select(1, i).copy(wordVec.index(0, endIdxs))
        return batchWordVec, endWords

    def saveModel(epoch):
        fn = netFilename + '_' + lg.tostring(epoch) + '.t7'
        lg.save(fn, {
            'embedder': savedModel['embedder'].clone().float(),
            'recurrent': savedModel['recurrent'].clone().float(),
            'classifier': savedModel['classifier'].clone().float(),
            'inputSize': None,     # the globals inputSize and stateSize: nil
            'stateSize': stateSize,
            'vocab': vocab,
            'decoder': decoder
        })

    # ----------------------------------------------------------------------
    def ForwardSeq(dataVec, train):

        data, labels = reshapeData(dataVec, opt['seqLength'], opt['batchSize'])
        sizeData = data.size(0)
        numSamples = 0
        lossVal = 0
        currLoss = 0
        x = lg.Tensor(opt['batchSize'], opt['seqLength']).type(TensorType)
        yt = lg.Tensor(opt['batchSize'], opt['seqLength']).type(TensorType)

        # input is a sequence
        recurrent_torch.sequence(model)
        recurrent_torch.forget(model)

        for b in range(sizeData):
            if b == 0 or opt['shuffle']:  # no dependancy between consecutive batches
                recurrent_torch.zeroState(model)
            x.copy(data[b])
            yt.narrow(1, 0, opt['seqLength'] - 1).copy(x.narrow(1, 1, opt['seqLength'] - 1))
            yt.select(1, opt['seqLength'] - 1).copy(labels[b])

            if train:
                if opt['nGPU'] > 1:
                    model.syncParameters()
                y, currLoss = optimizer.optimize(x, yt)[:2]
            else:
                y = model.forward(x)
                currLoss = seqCriterion.forward(y, yt)
            lossVal = currLoss / opt['seqLength'] + lossVal
            numSamples = numSamples + x.size(0)
            xlua.progress(numSamples - 1, sizeData * opt['batchSize'])   # 0-based t (docs/porting.md)

        xlua.progress(numSamples - 1, sizeData)
        return lossVal / sizeData

    def ForwardSingle(dataVec):
        sizeData = dataVec.nElement()
        numSamples = 0
        lossVal = 0
        currLoss = 0

        # input is from a single time step
        recurrent_torch.single(model)

        x = lg.Tensor(1, 1).type(TensorType)
        y = None
        for i in range(sizeData - 1):
            x.fill(dataVec[i])
            y = recurrent.forward(embedder.forward(x).select(1, 0))
            currLoss = criterion.forward(y, dataVec[i + 1])
            lossVal = currLoss + lossVal
            if (i + 1) % 100 == 0:
                xlua.progress(i, sizeData)

        return lossVal / sizeData

    # ------------------------------

    def train(dataVec):
        model.training()
        return ForwardSeq(dataVec, True)

    def evaluate(dataVec):
        model.evaluate()
        return ForwardSeq(dataVec, False)

    def sample(str, num=None, space=None, temperature=None):
        global wordNum
        num = num or 50
        temperature = temperature if temperature is not None else 1

        def smp(preds):
            if temperature == 0:
                _, num = preds.max(1)
                return num
            else:
                preds.div(temperature)  # scale by temperature
                probs = preds.squeeze()
                probs.div(probs.sum())  # renormalize so probs sum to one
                num = lg.multinomial(probs.float(), 1).typeAs(preds)
                return num

        recurrent.evaluate()
        recurrent_torch.single(recurrent)

        sampleModel = nn.Sequential().add(embedder).add(recurrent).add(classifier).add(nn.SoftMax().type(TensorType))

        pred = predText = embedded = None
        if str:
            encoded = data['encode'](str)
            for i in range(encoded.nElement()):
                pred = sampleModel.forward(encoded.narrow(0, i, 1))
            wordNum = smp(pred)

            predText = str + '... ' + decoder[wordNum.squeeze()]
        else:
            wordNum = lg.Tensor(1).random(vocabSize).type(TensorType)
            predText = ''

        for i in range(num):
            pred = sampleModel.forward(wordNum)
            wordNum = smp(pred)
            if space:
                predText = predText + ' ' + decoder[wordNum.squeeze()]
            else:
                predText = predText + decoder[wordNum.squeeze()]
        return predText

    return {
        'train': train,
        'evaluate': evaluate,
        'sample': sample,
        'saveModel': saveModel,
        'optimState': optimState,
        'model': model
    }
