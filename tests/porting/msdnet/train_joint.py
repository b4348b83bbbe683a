"""train_joint.lua: ``MSDNet.Trainer``, fb.resnet.torch's Trainer for the multi-exit network: each batch's
``nBlocks`` exits are trained together through the ParallelCriterion (the target repeated ``nBlocks`` times), and
for every exit it accumulates the single exit's top-1/top-5 error and the error of the ensemble of exits 1..i
(the running sum of their softmax scores) — the anytime evaluation that ``test`` also reports.

Edits beyond Lua syntax and 0-based indices: those of tests/porting/test_resnext.py's Trainer (``self.input`` and
``self.target`` start as None so the Lua's ``or`` keeps what a CPU test hands in, ``torch[...]`` of the type's name
is ``getattr(lg, ...)``, ``params:storage() == ...`` compares with ``is``); ``torch.zeros(self.opt.nBlocks)`` tables
of errors are indexed from 0."""
import math
import re

import legonn as lg
from legonn import cutorch, nn, optim


class Trainer:
    typename = 'MSDNet.Trainer'

    def __init__(self, model, criterion, opt, optimState=None):
        self.model = model
        self.criterion = criterion
        self.optimState = optimState or {
            'learningRate': opt['LR'],
            'learningRateDecay': 0.0,
            'momentum': opt['momentum'],
            'nesterov': True,
            'dampening': 0.0,
            'weightDecay': opt['weightDecay'],
        }
        self.opt = opt
        self.params, self.gradParams = model.getParameters()
        self.input = None
        self.target = None

    def train(self, epoch, dataloader):
        # Trains the model for a single epoch
        self.optimState['learningRate'] = self.learningRate(epoch)

        timer = lg.Timer()
        dataTimer = lg.Timer()

        def feval(x):
            return self.criterion.output, self.gradParams

        trainSize = dataloader.size()
        lossSum = 0.0
        N = 0

        top1All, top5All = lg.zeros(self.opt['nBlocks']), lg.zeros(self.opt['nBlocks'])
        top1Evolve, top5Evolve = lg.zeros(self.opt['nBlocks']), lg.zeros(self.opt['nBlocks'])

        print('=> Training epoch # ' + str(epoch))
        # set the batch norm to training mode
        self.model.training()
        for n, sample in dataloader.run():
            dataTime = dataTimer.time()['real']

            # Copy input and target to the GPU
            self.copyInputs(sample)

            output = self.model.forward(self.input)
            batchSize = output[0].size(0)

            # create a table which contains `nBlocks' same targets
            multi_targets = []
            for i in range(self.opt['nBlocks']):
                multi_targets.append(self.target)
            loss = self.criterion.forward(self.model.output, multi_targets)
            lossSum = lossSum + loss

            self.model.zeroGradParameters()
            self.criterion.backward(self.model.output, multi_targets)
            self.model.backward(self.input, self.criterion.gradInput)

            optim.sgd(feval, self.params, self.optimState)

            # sotre the cumulative softmax() of exits to obtain the ensemble performance
            ensemble = lg.Tensor().resizeAs(output[0].float()).zero()
            top1, top5 = 0, 0
            for i in range(self.opt['nBlocks']):
                # single exit
                top1, top5 = self.computeScore(output[i].float(), sample['target'], 1)
                top1All[i] = top1All[i] + top1 * batchSize
                top5All[i] = top5All[i] + top5 * batchSize
                # ensemble
                ensemble.add(nn.SoftMax().forward(output[i].float()))
                top1, top5 = self.computeScore(ensemble, sample['target'], 1)
                top1Evolve[i] = top1Evolve[i] + top1 * batchSize
                top5Evolve[i] = top5Evolve[i] + top5 * batchSize

            N = N + batchSize

            print(' | Epoch: [%d][%d/%d]    Time %.3f  Data %.3f  Err %1.4f  top1 %7.3f  top5 %7.3f' % (
                epoch, n, trainSize, timer.time()['real'], dataTime, loss, top1All[self.opt['nBlocks'] - 1] / N,
                top5All[self.opt['nBlocks'] - 1] / N))

            # check that the storage didn't get changed due to an unfortunate getParameters call
            assert self.params.storage() is self.model.parameters()[0][0].storage()

            timer.reset()
            dataTimer.reset()

        for i in range(self.opt['nBlocks']):
            top1All[i] = top1All[i] / N
            top5All[i] = top5All[i] / N
            top1Evolve[i] = top1Evolve[i] / N
            top5Evolve[i] = top5Evolve[i] / N
            print(' * Train %d exit single top1: %7.3f  top5: %7.3f, \t Ensemble %d exit(s) top1: %7.3f  top5: %7.3f'
                  % (i + 1, top1All[i], top5All[i], i + 1, top1Evolve[i], top5Evolve[i]))

        return top1All, top5All, top1Evolve, top5Evolve, lossSum / N

    def test(self, epoch, dataloader, prefix=None):
        # Computes the top-1 and top-5 err on the validation/test set
        prefix = prefix or 'Test'
        timer = lg.Timer()
        dataTimer = lg.Timer()
        size = dataloader.size()

        nCrops = 10 if self.opt['tenCrop'] else 1
        N = 0

        top1All, top5All = lg.zeros(self.opt['nBlocks']), lg.zeros(self.opt['nBlocks'])
        top1Evolve, top5Evolve = lg.zeros(self.opt['nBlocks']), lg.zeros(self.opt['nBlocks'])

        self.model.evaluate()
        for n, sample in dataloader.run():
            dataTime = dataTimer.time()['real']

            # Copy input and target to the GPU
            self.copyInputs(sample)

            output = self.model.forward(self.input)
            batchSize = output[0].size(0) / nCrops
            # create a table which contains `nBlocks' same targets
            multi_targets = []
            for i in range(self.opt['nBlocks']):
                multi_targets.append(self.target)
            loss = self.criterion.forward(self.model.output, multi_targets)

            # sotre the cumulative softmax() of exits to obtain the ensemble performance
            ensemble = lg.Tensor().resizeAs(output[0].float()).zero()
            top1, top5 = 0, 0
            for i in range(self.opt['nBlocks']):
                # single exit
                ensemble = ensemble if ensemble is not None else lg.Tensor().resizeAs(output[0].float()).zero()
                top1, top5 = self.computeScore(output[i].float(), sample['target'], 1)
                top1All[i] = top1All[i] + top1 * batchSize
                top5All[i] = top5All[i] + top5 * batchSize
                # ensemble
                ensemble.add(nn.SoftMax().forward(output[i].float()))
                top1, top5 = self.computeScore(ensemble, sample['target'], 1)
                top1Evolve[i] = top1Evolve[i] + top1 * batchSize
                top5Evolve[i] = top5Evolve[i] + top5 * batchSize
            # --------------------------------------------------
            N = N + batchSize

            print(' | %s: [%d][%d/%d]    Time %.3f  Data %.3f  top1 %7.3f (cumul: %7.3f)  top5 %7.3f (cumul: %7.3f)' % (
                prefix, epoch, n, size, timer.time()['real'], dataTime, top1, top1All[self.opt['nBlocks'] - 1] / N,
                top5, top5All[self.opt['nBlocks'] - 1] / N))

            timer.reset()
            dataTimer.reset()
        self.model.training()

        for i in range(self.opt['nBlocks']):
            top1All[i] = top1All[i] / N
            top5All[i] = top5All[i] / N
            top1Evolve[i] = top1Evolve[i] / N
            top5Evolve[i] = top5Evolve[i] / N
            print(' * %s %d exit top1: %7.3f  top5: %7.3f, \t Ensemble %d exit(s) top1: %7.3f  top5: %7.3f' % (
                prefix, i + 1, top1All[i], top5All[i], i + 1, top1Evolve[i], top5Evolve[i]))

        return top1All, top5All, top1Evolve, top5Evolve

    def computeScore(self, output, target, nCrops):
        if nCrops > 1:
            # Sum over crops
            output = output.view(output.size(0) // nCrops, nCrops, output.size(1)) \
                .sum(1).squeeze(1)
            # :exp()

        # Coputes the top1 and top5 error rate
        batchSize = output.size(0)

        _, predictions = output.float().topk(5, 1, True, True)  # descending sort

        # Find which predictions match the target
        correct = predictions.eq(
            target.long().view(batchSize, 1).expandAs(predictions))

        # Top-1 score
        top1 = 1.0 - (correct.narrow(1, 0, 1).sum() / batchSize)

        # Top-5 score, if there are at least 5 classes
        len_ = min(5, correct.size(1))
        top5 = 1.0 - (correct.narrow(1, 0, len_).sum() / batchSize)

        return top1 * 100, top5 * 100

    def copyInputs(self, sample):
        # Copies the input to a CUDA tensor, if using 1 GPU, or to pinned memory,
        # if using DataParallelTable. The target is always copied to a CUDA tensor
        self.input = self.input if self.input is not None else (
            getattr(lg, re.search(r'torch.([A-Za-z]+)', self.opt['tensorType']).group(1))()
            if self.opt['nGPU'] == 1 else getCudaTensorType(self.opt['tensorType']))
        self.target = self.target if self.target is not None else lg.CudaLongTensor()
        self.input.resize(sample['input'].size()).copy(sample['input'])
        self.target.resize(sample['target'].size()).copy(sample['target'])

    def learningRate(self, epoch):
        # Training schedule
        decay = 0
        if self.opt['dataset'] == 'imagenet':
            decay = math.floor((epoch - 1) / 30)
        elif self.opt['dataset'] == 'cifar10':
            decay = 2 if epoch >= 0.75 * self.opt['nEpochs'] else 1 if epoch >= 0.5 * self.opt['nEpochs'] else 0
        elif self.opt['dataset'] == 'cifar100':
            decay = 2 if epoch >= 0.75 * self.opt['nEpochs'] else 1 if epoch >= 0.5 * self.opt['nEpochs'] else 0
        return self.opt['LR'] * math.pow(0.1, decay)


def getCudaTensorType(tensorType):
    if tensorType == 'torch.CudaHalfTensor':
        return cutorch.createCudaHostHalfTensor()
    elif tensorType == 'torch.CudaDoubleTensor':
        return cutorch.createCudaHostDoubleTensor()
    else:
        return cutorch.createCudaHostTensor()
