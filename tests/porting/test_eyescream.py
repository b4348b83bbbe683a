"""facebookarchive/eyescream (LAPGAN) ported line by line: cifar/layers/SpatialConvolutionUpsample.lua (all),
lsun/layers/cudnnSpatialConvolutionUpsample.lua (lines 10-40, its backward methods being cifar's),
cifar/utils/image.lua's normalize (lines 6-16), cifar/datasets/coarse_to_fine_cifar10.lua (all),
cifar/scripts/train_cifar_coarse_to_fine_classcond.lua (lines 39-270: the class-conditional coarse-to-fine D and
G graphs, the parameter counts, the data, the SGD states and their per-epoch decay),
cifar/train/double_conditional_adversarial.lua (train and test: lines 1-260) and lsun/model.lua's 'small' and
'large' models (lines 31-98) and lsun/modelGenerator/modelGen.lua (generateModelG, generateModelD: all, with the 'autogen'
call of model.lua's lines 99-119).

The CIFAR-10 batch files (cifar-10-batches-t7/data_batch_*.t7, read with ``torch.load(f, 'ascii')``) are written
here in Torch7's ascii format from MNIST digits scaled to 3 x 32 x 32, 16 images a file where the Lua's hold
10000 (``PER_FILE``; loadDataset's 50000 is 5 files of them). The edits beyond the syntax: labels are 0-based
(``labels:add(1)`` goes, docs/porting.md's class-label row) and so are the confusion matrix's classes (the
``+ 1`` goes); ``math.random(n)`` is ``random.randint(1, n) - 1`` where it picks a 0-based sample;
``opt.batchSize / 2`` is ``// 2`` where Python's ``range`` takes it (docs/porting.md's row); the script's
``torch.setdefaulttensortype('torch.CudaTensor')`` is the tensor type ``Tensor`` makes, and the nets it built on
the GPU are moved there before ``getParameters`` (docs/porting.md's setdefaulttensortype row); the script's
endless ``while true`` runs ``epochs`` times.
"""
import math
import os
import random

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, image, nn, optim, paths, xlua
from legonn import sys as tsys


# ---- cifar/layers/SpatialConvolutionUpsample.lua -----------------------------------------------------------
class SpatialConvolutionUpsample(nn.SpatialConvolution):
    def __init__(self, nInputPlane, nOutputPlane, kW, kH, factor=None):
        factor = factor if factor is not None else 2
        assert kW and kH and nInputPlane and nOutputPlane
        assert kW % 2 == 1, 'kW has to be odd'
        assert kH % 2 == 1, 'kH has to be odd'
        self.factor = factor
        self.kW = kW
        self.kH = kH
        self.nInputPlaneU = nInputPlane
        self.nOutputPlaneU = nOutputPlane
        super().__init__(nInputPlane, nOutputPlane * factor * factor, kW, kH, 1, 1, (kW - 1) / 2)

    def updateOutput(self, input):
        self.output = super().updateOutput(input)
        if input.dim() == 4:
            self.h = input.size(2)
            self.w = input.size(3)
            self.output = self.output.view(input.size(0), self.nOutputPlaneU, self.h * self.factor,
                                           self.w * self.factor)
        else:
            self.h = input.size(1)
            self.w = input.size(2)
            self.output = self.output.view(self.nOutputPlaneU, self.h * self.factor, self.w * self.factor)
        return self.output

    def _planes(self, input, gradOutput):
        """The gradOutput viewed as the convolution's planes (the four methods' shared first lines)."""
        if input.dim() == 4:
            return gradOutput.view(input.size(0), self.nOutputPlaneU * self.factor * self.factor, self.h, self.w)
        return gradOutput.view(self.nOutputPlaneU * self.factor * self.factor, self.h, self.w)

    def updateGradInput(self, input, gradOutput):
        gradOutput = self._planes(input, gradOutput)
        self.gradInput = super().updateGradInput(input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        gradOutput = self._planes(input, gradOutput)
        super().accGradParameters(input, gradOutput, scale)

    def accUpdateGradParameters(self, input, gradOutput, scale):
        gradOutput = self._planes(input, gradOutput)
        super().accUpdateGradParameters(input, gradOutput, scale)


lg.register(SpatialConvolutionUpsample, 'nn.SpatialConvolutionUpsample')   # require 'layers.SpatialConvolutionUpsample'


# ---- lsun/layers/cudnnSpatialConvolutionUpsample.lua -------------------------------------------------------
class lsun_layers:
    class SpatialConvolutionUpsample(cudnn.SpatialConvolution):
        lua_package = 'cudnn'

        def __init__(self, nInputPlane, nOutputPlane, kW, kH, factor=None, groups=None):
            factor = factor if factor is not None else 2
            assert kW and kH and nInputPlane and nOutputPlane
            assert kW % 2 == 1, 'kW has to be odd'
            assert kH % 2 == 1, 'kH has to be odd'
            self.factor = factor
            self.kW = kW
            self.kH = kH
            self.nInputPlaneU = nInputPlane
            self.nOutputPlaneU = nOutputPlane
            super().__init__(nInputPlane, nOutputPlane * factor * factor, kW, kH, 1, 1, (kW - 1) / 2, (kH - 1) / 2,
                             groups if groups is not None else 1)

        def updateOutput(self, input):
            self.output = super().updateOutput(input)
            if input.dim() == 4:
                self.h = input.size(2)
                self.w = input.size(3)
                self.output = self.output.view(input.size(0), self.nOutputPlaneU, self.h * self.factor,
                                               self.w * self.factor)
            else:
                self.h = input.size(1)
                self.w = input.size(2)
                self.output = self.output.view(self.nOutputPlaneU, self.h * self.factor, self.w * self.factor)
            return self.output

        _planes = SpatialConvolutionUpsample._planes

        def updateGradInput(self, input, gradOutput):
            gradOutput = self._planes(input, gradOutput)
            self.gradInput = super().updateGradInput(input, gradOutput)
            return self.gradInput

        def accGradParameters(self, input, gradOutput, scale=1):
            gradOutput = self._planes(input, gradOutput)
            super().accGradParameters(input, gradOutput, scale)


lg.register(lsun_layers.SpatialConvolutionUpsample, 'cudnn.SpatialConvolutionUpsample')


# ---- cifar/utils/image.lua ---------------------------------------------------------------------------------
def normalize(data, mean_=None, std_=None):
    mean = mean_ if mean_ is not None else data.mean(0)
    std = std_ if std_ is not None else data.std(0, True)
    eps = 1e-7
    for i in range(data.size(0)):
        data[i].add(-1, mean)
        data[i].cdiv(std + eps)
    return mean, std


# ---- cifar/datasets/coarse_to_fine_cifar10.lua -------------------------------------------------------------
PER_FILE = 16   # the Lua's batch files hold 10000 images each


class cifar:
    path_dataset = 'cifar-10-batches-t7/'
    coarseSize = 16
    fineSize = 32

    @staticmethod
    def init(fineSize, coarseSize):
        cifar.fineSize = fineSize
        cifar.coarseSize = coarseSize

    @staticmethod
    def loadTrainSet(start, stop, augment=None, crop=None):
        return cifar.loadDataset(True, start, stop, augment, crop)

    @staticmethod
    def loadDataset(isTrain, start=None, stop=None, augment=None, crop=None):
        defaultType = lg.getdefaulttensortype()
        if isTrain:   # load train data
            data = lg.FloatTensor(5 * PER_FILE, 3, 32, 32)
            labels = lg.FloatTensor(5 * PER_FILE)
            for i in range(5):
                subset = lg.load(cifar.path_dataset + 'data_batch_' + str(i + 1) + '.t7', 'ascii')
                data[i * PER_FILE:(i + 1) * PER_FILE] = subset['data'].t().reshape(PER_FILE, 3, 32, 32)
                labels[i * PER_FILE:(i + 1) * PER_FILE] = subset['labels']
        else:   # load test data
            subset = lg.load(cifar.path_dataset + 'test_batch.t7', 'ascii')
            data = subset['data'].t().reshape(PER_FILE, 3, 32, 32).type('torch.FloatTensor')
            labels = subset['labels'].t().type(defaultType)

        start = start if start is not None else 1
        stop = stop if stop is not None else data.size(0)

        # select chunk
        data = data[start - 1:stop]
        labels = labels[start - 1:stop]
        N = stop - start + 1
        print('<cifar10> loaded ' + str(N) + ' examples')
        return CoarseToFineDataset(data, labels, N)


class CoarseToFineDataset:
    """loadDataset's table: its functions and the ``__index`` metamethod giving ``{diff, labelvector, cond, fine}``."""

    def __init__(self, data, labels, N):
        self.data = data   # on cpu
        self.labels = labels
        self.N = N
        self.coarseData = lg.FloatTensor(N, 3, cifar.fineSize, cifar.fineSize)
        self.fineData = lg.FloatTensor(N, 3, cifar.fineSize, cifar.fineSize)
        self.diffData = lg.FloatTensor(N, 3, cifar.fineSize, cifar.fineSize)
        self.labelvector = lg.zeros(10)

    # Coarse data
    def makeCoarse(self):
        for i in range(self.N):
            tmp = image.scale(self.data[i], cifar.coarseSize, cifar.coarseSize)
            self.coarseData[i] = image.scale(tmp, cifar.fineSize, cifar.fineSize)

    # Fine data
    def makeFine(self):
        for i in range(self.N):
            self.fineData[i] = image.scale(self.data[i], cifar.fineSize, cifar.fineSize)

    # Diff (coarse - fine)
    def makeDiff(self):
        for i in range(self.N):
            self.diffData[i] = lg.add(self.fineData[i], -1, self.coarseData[i])

    def size(self):
        return self.N

    def numClasses(self):
        return 10

    def __getitem__(self, index):
        diff = self.diffData[index]
        cond = self.coarseData[index]
        fine = self.fineData[index]
        self.labelvector.zero()
        self.labelvector[int(self.labels[index])] = 1
        return [diff, self.labelvector, cond, fine]


# ---- cifar/train/double_conditional_adversarial.lua --------------------------------------------------------
# the script's globals, which the trainer reads
opt = model_D = model_G = criterion = parameters_D = gradParameters_D = parameters_G = gradParameters_G = None
sgdState_D = sgdState_G = confusion = trainLogger = testLogger = epoch = None
record = {}


def Tensor(*sizes):
    """``torch.Tensor(...)`` under the script's default type: CudaTensor with ``--gpu``, else FloatTensor."""
    return lg.Tensor(*sizes).type('torch.CudaTensor' if opt['gpu'] is not False else 'torch.FloatTensor')


class adversarial:
    @staticmethod
    def train(dataset, N=None):
        global epoch
        epoch = epoch if epoch is not None else 1
        N = N if N is not None else dataset.size()
        time = tsys.clock()
        dataBatchSize = opt['batchSize'] // 2

        inputs = Tensor(opt['batchSize'], opt['geometry'][0], opt['geometry'][1], opt['geometry'][2])
        targets = Tensor(opt['batchSize'])
        if isinstance(opt['noiseDim'], (int, float)):
            noise_inputs = Tensor(opt['batchSize'], opt['noiseDim'])
        else:
            noise_inputs = Tensor(opt['batchSize'], opt['noiseDim'][0], opt['noiseDim'][1], opt['noiseDim'][2])
        if isinstance(opt['condDim1'], (int, float)):
            cond_inputs1 = Tensor(opt['batchSize'], opt['condDim1'])
        else:
            cond_inputs1 = Tensor(opt['batchSize'], opt['condDim1'][0], opt['condDim1'][1], opt['condDim1'][2])
        if isinstance(opt['condDim2'], (int, float)):
            cond_inputs2 = Tensor(opt['batchSize'], opt['condDim2'])
        else:
            cond_inputs2 = Tensor(opt['batchSize'], opt['condDim2'][0], opt['condDim2'][1], opt['condDim2'][2])

        print('\n<trainer> on training set:')
        print('<trainer> online epoch # ' + str(epoch) + ' [batchSize = ' + str(opt['batchSize']) + ' lr = ' +
              str(sgdState_D['learningRate']) + ', momentum = ' + str(sgdState_D['momentum']) + ']')
        for t in range(0, N, dataBatchSize * opt['K']):

            # create closure to evaluate f(X) and df/dX of discriminator
            def fevalD(x):
                if x is not parameters_D:   # get new parameters
                    parameters_D.copy(x)
                gradParameters_D.zero()   # reset gradients

                # forward pass
                outputs = model_D.forward([inputs, cond_inputs1, cond_inputs2])
                f = criterion.forward(outputs, targets)

                # backward pass
                df_do = criterion.backward(outputs, targets)
                model_D.backward([inputs, cond_inputs1, cond_inputs2], df_do)

                # penalties (L1 and L2):
                if opt['coefL1'] != 0 or opt['coefL2'] != 0:
                    norm, sign = lg.norm, lg.sign
                    # Loss:
                    f = f + opt['coefL1'] * norm(parameters_D, 1)
                    f = f + opt['coefL2'] * norm(parameters_D, 2) ** 2 / 2
                    # Gradients:
                    gradParameters_D.add(sign(parameters_D).mul(opt['coefL1']) +
                                         parameters_D.clone().mul(opt['coefL2']))
                # update confusion
                for i in range(opt['batchSize']):
                    c = 1 if outputs[i][0] > 0.5 else 0
                    confusion.add(c, targets[i])
                record['errD'].append(f)
                return f, gradParameters_D

            # create closure to evaluate f(X) and df/dX of generator
            def fevalG(x):
                if x is not parameters_G:   # get new parameters
                    parameters_G.copy(x)
                gradParameters_G.zero()   # reset gradients

                # forward pass
                samples = model_G.forward([noise_inputs, cond_inputs1, cond_inputs2])
                outputs = model_D.forward([samples, cond_inputs1, cond_inputs2])
                f = criterion.forward(outputs, targets)

                # backward pass
                df_samples = criterion.backward(outputs, targets)
                model_D.backward([samples, cond_inputs1, cond_inputs2], df_samples)
                df_do = model_D.gradInput[0]
                model_G.backward([noise_inputs, cond_inputs1, cond_inputs2], df_do)

                # penalties (L1 and L2):
                if opt['coefL1'] != 0 or opt['coefL2'] != 0:
                    norm, sign = lg.norm, lg.sign
                    # Loss:
                    f = f + opt['coefL1'] * norm(parameters_D, 1)
                    f = f + opt['coefL2'] * norm(parameters_D, 2) ** 2 / 2
                    # Gradients:
                    gradParameters_G.add(sign(parameters_G).mul(opt['coefL1']) +
                                         parameters_G.clone().mul(opt['coefL2']))
                record['errG'].append(f)
                return f, gradParameters_G

            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            # Get half a minibatch of real, half fake
            for k in range(opt['K']):
                # (1.1) Real data
                k = 0
                for i in range(t, min(t + dataBatchSize, dataset.size())):
                    # load new sample
                    idx = random.randint(1, dataset.size()) - 1
                    sample = dataset[idx]
                    inputs[k] = sample[0].clone()
                    cond_inputs1[k] = sample[1].clone()
                    cond_inputs2[k] = sample[2].clone()
                    k = k + 1
                targets[0:dataBatchSize].fill(1)
                # (1.2) Sampled data
                noise_inputs.uniform(-1, 1)
                for i in range(dataBatchSize, opt['batchSize']):
                    idx = random.randint(1, dataset.size()) - 1
                    sample = dataset[idx]
                    cond_inputs1[i] = sample[1].clone()
                    cond_inputs2[i] = sample[2].clone()
                samples = model_G.forward([noise_inputs[dataBatchSize:opt['batchSize']],
                                           cond_inputs1[dataBatchSize:opt['batchSize']],
                                           cond_inputs2[dataBatchSize:opt['batchSize']]])
                for i in range(dataBatchSize):
                    inputs[k] = samples[i].clone()
                    k = k + 1
                targets[dataBatchSize:opt['batchSize']].fill(0)

                optim.sgd(fevalD, parameters_D, sgdState_D)

            # (2) Update G network: maximize log(D(G(z)))
            noise_inputs.uniform(-1, 1)
            for i in range(opt['batchSize']):
                idx = random.randint(1, dataset.size()) - 1
                sample = dataset[idx]
                cond_inputs1[i] = sample[1].clone()
                cond_inputs2[i] = sample[2].clone()
            targets.fill(1)
            optim.sgd(fevalG, parameters_G, sgdState_G)

            # disp progress
            xlua.progress(t, N)

        # time taken
        time = tsys.clock() - time
        time = time / dataset.size()
        print('<trainer> time to learn 1 sample = ' + str(time * 1000) + 'ms')

        # print confusion matrix
        print(confusion)
        trainLogger.add({'% mean class accuracy (train set)': confusion.totalValid * 100})
        record['train_accuracy'].append(confusion.totalValid)
        confusion.zero()

        # save/log current net
        if epoch % opt['saveFreq'] == 0:
            filename = paths.concat(opt['save'], 'conditional_adversarial.net')
            os.system('mkdir -p ' + tsys.dirname(filename))
            if paths.filep(filename):
                os.system('mv ' + filename + ' ' + filename + '.old')
            print('<trainer> saving network to ' + filename)
            lg.save(filename, {'D': model_D, 'G': model_G, 'opt': opt})   # E = model_E is nil: Lua stores no key

        # next epoch
        epoch = epoch + 1

    @staticmethod
    def test(dataset, N=None):
        time = tsys.clock()
        N = N if N is not None else dataset.size()

        inputs = Tensor(opt['batchSize'], opt['geometry'][0], opt['geometry'][1], opt['geometry'][2])
        noise_inputs = Tensor(opt['batchSize'], opt['noiseDim'][0], opt['noiseDim'][1], opt['noiseDim'][2])
        cond_inputs1 = Tensor(opt['batchSize'], opt['condDim1'])
        cond_inputs2 = Tensor(opt['batchSize'], opt['condDim2'][0], opt['condDim2'][1], opt['condDim2'][2])

        print('\n<trainer> on testing set:')
        for t in range(0, N, opt['batchSize']):
            # display progress
            xlua.progress(t, N)

            # (1) Real data
            targets = lg.ones(opt['batchSize'])
            k = 0
            for i in range(t, min(t + opt['batchSize'], dataset.size())):
                idx = random.randint(1, dataset.size()) - 1
                sample = dataset[idx]
                inputs[k] = sample[0].clone()
                cond_inputs1[k] = sample[1].clone()
                cond_inputs2[k] = sample[2].clone()
                k = k + 1
            preds = model_D.forward([inputs, cond_inputs1, cond_inputs2])   # get predictions from D
            # add to confusion matrix
            for i in range(opt['batchSize']):
                c = 1 if preds[i][0] > 0.5 else 0
                confusion.add(c, targets[i])

            # (2) Generated data (don't need this really, since no 'validation' generations)
            noise_inputs.uniform(-1, 1)
            for i in range(opt['batchSize']):
                sample = dataset[random.randint(1, dataset.size()) - 1]
                cond_inputs1[i] = sample[1].clone()
                cond_inputs2[i] = sample[2].clone()
            samples = model_G.forward([noise_inputs, cond_inputs1, cond_inputs2])
            targets = lg.zeros(opt['batchSize'])
            preds = model_D.forward([samples, cond_inputs1, cond_inputs2])   # get predictions from D
            # add to confusion matrix
            for i in range(opt['batchSize']):
                c = 1 if preds[i][0] > 0.5 else 0
                confusion.add(c, targets[i])

        # timing
        time = tsys.clock() - time
        time = time / dataset.size()
        print('<trainer> time to test 1 sample = ' + str(time * 1000) + 'ms')

        # print confusion matrix
        print(confusion)
        testLogger.add({'% mean class accuracy (test set)': confusion.totalValid * 100})
        record['test_accuracy'].append(confusion.totalValid)
        confusion.zero()
        return cond_inputs1


# ---- cifar/scripts/train_cifar_coarse_to_fine_classcond.lua ------------------------------------------------
def main(options, ntrain, nval, epochs):
    """The script from line 39 (its lapp options given as a dict); returns nothing, the globals hold the state."""
    global opt, model_D, model_G, criterion, parameters_D, gradParameters_D, parameters_G, gradParameters_G
    global sgdState_D, sgdState_G, confusion, trainLogger, testLogger, epoch, record
    opt = dict(options)
    epoch = None
    record = {'errD': [], 'errG': [], 'train_accuracy': [], 'test_accuracy': []}
    if opt['gpu'] < 0 or opt['gpu'] > 3:
        opt['gpu'] = False

    lg.manualSeed(1)   # fix seed
    random.seed(1)     # math.random, which the trainer draws samples with
    lg.setnumthreads(opt['threads'])
    if opt['gpu'] is not False:
        from legonn import cutorch
        cutorch.setDevice(opt['gpu'])   # the Lua's opt.gpu + 1, a 1-based device
    lg.setdefaulttensortype('torch.FloatTensor')

    opt['noiseDim'] = [1, opt['fineSize'], opt['fineSize']]
    classes = ['0', '1']
    opt['geometry'] = [3, opt['fineSize'], opt['fineSize']]
    opt['condDim1'] = 10
    opt['condDim2'] = [3, opt['fineSize'], opt['fineSize']]

    if opt['network'] == '':
        # define D network to train
        nplanes = opt['hidden_D']
        x_d = nn.Identity()()
        x_c1 = nn.Identity()()
        x_c2 = nn.Identity()()
        d1 = nn.CAddTable()([x_d, x_c2])
        c1 = nn.Linear(opt['condDim1'], opt['condDim2'][1] * opt['condDim2'][2])(x_c1)
        c2 = nn.Reshape(1, opt['condDim2'][1], opt['condDim2'][2])(nn.ReLU()(c1))
        d2 = nn.JoinTable(1, 2)([d1, c2])
        d3 = nn.SpatialConvolution(3 + 1, nplanes, 5, 5)(d2)
        d4 = nn.SpatialConvolution(nplanes, nplanes, 5, 5, 2, 2)(nn.ReLU()(d3))
        sz = int(((opt['fineSize'] - 5 + 1) - 5) / 2 + 1)   # math.floor
        d5 = nn.Reshape(nplanes * sz * sz)(d4)
        d6 = nn.Linear(nplanes * sz * sz, 1)(nn.Dropout()(nn.ReLU()(d5)))
        d7 = nn.Sigmoid()(d6)
        model_D = nn.gModule([x_d, x_c1, x_c2], [d7])

        # define G network to train
        nplanes = opt['hidden_G']
        x_n = nn.Identity()()    # noise (shaped as coarse map)
        g_c1 = nn.Identity()()   # class vector
        g_c2 = nn.Identity()()   # coarse map
        class1 = nn.Linear(opt['condDim1'], opt['condDim2'][1] * opt['condDim2'][2])(g_c1)
        class2 = nn.Reshape(1, opt['condDim2'][1], opt['condDim2'][2])(nn.ReLU()(class1))   # class vector to a map
        g1 = nn.JoinTable(1, 2)([x_n, class2, g_c2])   # combine maps into 5 channels
        g2 = SpatialConvolutionUpsample(5, nplanes, 7, 7, 1)(g1)
        g3 = SpatialConvolutionUpsample(nplanes, nplanes, 7, 7, 1)(nn.ReLU()(g2))
        g4 = SpatialConvolutionUpsample(nplanes, 3, 5, 5, 1)(nn.ReLU()(g3))
        model_G = nn.gModule([x_n, g_c1, g_c2], [g4])
    else:
        print('<trainer> reloading previously trained network: ' + opt['network'])
        tmp = lg.load(opt['network'])
        model_D = tmp['D']
        model_G = tmp['G']

    # loss function: negative log-likelihood
    criterion = nn.BCECriterion()
    if opt['gpu'] is not False:   # the Lua built them under the CudaTensor default type, before getParameters
        model_D.cuda()
        model_G.cuda()
        criterion.cuda()

    # retrieve parameters and gradients
    parameters_D, gradParameters_D = model_D.getParameters()
    parameters_G, gradParameters_G = model_G.getParameters()

    for name, model in (('D', model_D), ('G', model_G)):
        nparams = 0
        for i in range(len(model.forwardnodes)):
            if model.forwardnodes[i].data.module is not None and model.forwardnodes[i].data.module.weight is not None:
                nparams = nparams + model.forwardnodes[i].data.module.weight.nElement()
        record['nparams_' + name] = nparams

    # get/create dataset
    cifar.init(opt['fineSize'], opt['coarseSize'])

    # create training set and normalize
    trainData = cifar.loadTrainSet(1, ntrain)
    mean, std = normalize(trainData.data)
    trainData.makeFine()
    trainData.makeCoarse()
    trainData.makeDiff()

    # create validation set and normalize
    valData = cifar.loadTrainSet(ntrain + 1, ntrain + nval)
    normalize(valData.data, mean, std)
    valData.makeFine()
    valData.makeCoarse()
    valData.makeDiff()

    # this matrix records the current confusion across classes
    confusion = optim.ConfusionMatrix(classes)

    # log results to files
    trainLogger = optim.Logger(paths.concat(opt['save'], 'train.log'))
    testLogger = optim.Logger(paths.concat(opt['save'], 'test.log'))

    if opt['gpu'] is not False:
        print('Copy model to gpu')
        model_D.cuda()
        model_G.cuda()

    # Training parameters
    sgdState_D = {'learningRate': opt['learningRate'], 'momentum': opt['momentum']}
    sgdState_G = {'learningRate': opt['learningRate'], 'momentum': opt['momentum']}

    # training loop
    for _ in range(epochs):
        # train/test
        adversarial.train(trainData)
        adversarial.test(valData)

        sgdState_D['momentum'] = min(sgdState_D['momentum'] + 0.0008, 0.7)
        sgdState_D['learningRate'] = max(sgdState_D['learningRate'] / 1.00004, 0.000001)
        sgdState_G['momentum'] = min(sgdState_G['momentum'] + 0.0008, 0.7)
        sgdState_G['learningRate'] = max(sgdState_G['learningRate'] / 1.00004, 0.000001)
    return trainData, valData


# ---- lsun/model.lua ('small' and 'large') ------------------------------------------------------------------
def lsun_model(opt):
    """lsun/model.lua's 'small' and 'large' D and G (the Lua's cudnn modules, the LAPGAN's 'large' layers with
    groups, FeatureLPPooling and affine-free batch normalisation)."""
    if opt['model'] == 'small':
        nplanes = 64
        model_D = nn.Sequential()
        model_D.add(nn.CAddTable())
        model_D.add(nn.SpatialConvolution(3, nplanes, 5, 5))   # 28 x 28
        model_D.add(nn.ReLU())
        model_D.add(nn.SpatialConvolution(nplanes, nplanes, 5, 5, 2, 2))
        sz = int(((opt['fineSize'] - 5 + 1) - 5) / 2 + 1)
        model_D.add(nn.View(nplanes * sz * sz))
        model_D.add(nn.ReLU())
        model_D.add(nn.Linear(nplanes * sz * sz, 1))
        model_D.add(nn.Sigmoid())
        nplanes = 128
        model_G = nn.Sequential()
        model_G.add(nn.JoinTable(1, 2))
        model_G.add(lsun_layers.SpatialConvolutionUpsample(3 + 1, nplanes, 7, 7, 1))
        model_G.add(nn.ReLU())
        model_G.add(lsun_layers.SpatialConvolutionUpsample(nplanes, nplanes, 7, 7, 1))
        model_G.add(nn.ReLU())
        model_G.add(lsun_layers.SpatialConvolutionUpsample(nplanes, 3, 5, 5, 1))
        model_G.add(nn.View(opt['geometry'][0], opt['geometry'][1], opt['geometry'][2]))
    elif opt['model'] == 'large':
        model_G = nn.Sequential()
        model_G.add(nn.JoinTable(1, 2))
        model_G.add(lsun_layers.SpatialConvolutionUpsample(3 + 1, 64, 7, 7, 1, 1)).add(cudnn.ReLU(True))
        model_G.add(nn.SpatialBatchNormalization(64, None, None, False))
        model_G.add(lsun_layers.SpatialConvolutionUpsample(64, 368, 7, 7, 1, 4)).add(cudnn.ReLU(True))
        model_G.add(nn.SpatialBatchNormalization(368, None, None, False))
        model_G.add(nn.SpatialDropout(0.5))
        model_G.add(lsun_layers.SpatialConvolutionUpsample(368, 128, 7, 7, 1, 4)).add(cudnn.ReLU(True))
        model_G.add(nn.SpatialBatchNormalization(128, None, None, False))
        model_G.add(nn.FeatureLPPooling(2, 2, 2, True))
        model_G.add(lsun_layers.SpatialConvolutionUpsample(64, 224, 5, 5, 1, 2)).add(cudnn.ReLU(True))
        model_G.add(nn.SpatialBatchNormalization(224, None, None, False))
        model_G.add(nn.SpatialDropout(0.5))
        model_G.add(lsun_layers.SpatialConvolutionUpsample(224, 3, 7, 7, 1, 1))
        model_G.add(nn.SpatialBatchNormalization(3, None, None, False))
        model_G.add(nn.View(opt['geometry'][0], opt['geometry'][1], opt['geometry'][2]))

        model_D = nn.Sequential()
        model_D.add(nn.CAddTable())
        model_D.add(cudnn.SpatialConvolution(3, 48, 3, 3))
        model_D.add(cudnn.ReLU(True))
        model_D.add(cudnn.SpatialConvolution(48, 448, 5, 5, 1, 1, 0, 0, 4))
        model_D.add(cudnn.ReLU(True))
        model_D.add(cudnn.SpatialConvolution(448, 416, 7, 7, 1, 1, 0, 0, 16))
        model_D.add(cudnn.ReLU())
        dummy_input = lg.zeros(opt['batchSize'], 3, opt['fineSize'], opt['fineSize'])
        out = model_D.forward([dummy_input, dummy_input])
        nElem = out.nElement() / opt['batchSize']
        model_D.add(nn.View(nElem).setNumInputDims(3))
        model_D.add(nn.Linear(nElem, 1))
        model_D.add(nn.Sigmoid())
    return model_D, model_G


# ---- lsun/modelGenerator/modelGen.lua ----------------------------------------------------------------------
def generateModelG(opt, minLayers, maxLayers, minPlanes, maxPlanes, minKH, maxKH, poolType, nGroupsMin, nGroupsMax,
                   dropoutType, batchNorm):
    """A random G: square odd kernels, planes a multiple of 16, grouped cudnn upsampling convolutions, maxout
    (VolumetricMaxPooling over the planes of a 4-D batch) or LP-out pooling; returns it and its description."""
    assert minPlanes % 16 == 0, 'minPlanes has to be a multiple of 16'
    assert maxPlanes % 16 == 0, 'maxPlanes has to be a multiple of 16'
    bn = lg.random(0, 4)
    minPlanes = minPlanes / 16
    maxPlanes = maxPlanes / 16
    maxKH = min(maxKH, opt['geometry'][1] - 1)
    desc = ''
    if dropoutType > 0:
        if lg.random(1, 3) == 1:
            dropoutType = 0
    nLayers = lg.random(minLayers, maxLayers + 1)

    def nPlanes():
        return lg.random(minPlanes, maxPlanes + 1) * 16   # planes are always a multiple of 16

    def kH():
        return math.floor((lg.random(minKH, maxKH + 1) / 2)) * 2 + 1   # odd kernel size

    def getFactor():
        if poolType == 'mixed' or poolType == 'maxout' or poolType == 'poolout':
            return lg.random(1, 3)
        return 1

    def pool(model, factor):
        nonlocal desc
        if factor > 1:
            t = None
            if poolType == 'maxout':
                t = 1
            elif poolType == 'poolout':
                t = 2
            elif poolType == 'mixed':
                t = lg.random(1, 3)
            if t == 1:
                desc = desc + '___P_' + 'MOut_' + lua_str(factor)
                model.add(nn.VolumetricMaxPooling(factor, 1, 1))
            elif t == 2:
                desc = desc + '___P_' + 'LPOut_' + lua_str(factor)
                model.add(nn.FeatureLPPooling(2, 2, 2, True))

    model = nn.Sequential()
    desc = desc + '___JT22'
    model.add(nn.JoinTable(1, 2))
    factor = getFactor()
    planesOut = lg.random(1, 6) * 16
    k = kH()
    desc = desc + '___C_' + lua_str(4) + '_' + lua_str(planesOut) + '_g' + lua_str(1) + '_' + lua_str(k) + 'x' + lua_str(k)
    model.add(lsun_layers.SpatialConvolutionUpsample(3 + 1, planesOut, k, k, 1, 1))
    if bn == 1:
        desc = desc + '__BNA'
        model.add(nn.SpatialBatchNormalization(planesOut, None, None, True))
    desc = desc + '___R'
    model.add(cudnn.ReLU(True))
    if bn == 2:
        desc = desc + '__BN'
        model.add(nn.SpatialBatchNormalization(planesOut, None, None, False))

    pool(model, factor)
    planesOut = planesOut / factor
    planesIn = planesOut

    for i in range(nLayers - 2):
        factor = getFactor()
        planesOut = nPlanes()
        k = kH()
        groups = 13
        while planesIn % groups != 0 or planesOut % groups != 0:
            if planesOut > 256 or planesIn > 256:
                pow_ = lg.random(2, nGroupsMax + 1)
            else:
                pow_ = lg.random(nGroupsMin, nGroupsMax + 1)
            groups = math.pow(2, pow_)
        desc = desc + '___C_' + lua_str(planesIn) + '_' + lua_str(planesOut) + '_g' + lua_str(groups) + '_' + \
            lua_str(k) + 'x' + lua_str(k)
        model.add(lsun_layers.SpatialConvolutionUpsample(planesIn, planesOut, k, k, 1, groups))
        if bn == 1:
            desc = desc + '__BNA'
            model.add(nn.SpatialBatchNormalization(planesOut, None, None, True))
        desc = desc + '___R'
        model.add(cudnn.ReLU(True))
        if bn == 2:
            desc = desc + '__BN'
            model.add(nn.SpatialBatchNormalization(planesOut, None, None, False))
        if dropoutType == 2:
            dp = lg.random(1, 3)
            if dp == 2:
                desc = desc + '___SDrop ' + lua_str(0.5)
                model.add(nn.SpatialDropout(0.5))
        pool(model, factor)
        planesOut = planesOut / factor
        planesIn = planesOut
    desc = desc + '___C_' + lua_str(planesIn) + '_' + lua_str(3) + '_g' + lua_str(1) + '_' + lua_str(k) + 'x' + lua_str(k)
    model.add(lsun_layers.SpatialConvolutionUpsample(planesIn, 3, k, k, 1, 1))
    if bn > 0:
        desc = desc + '__BNA'
        model.add(nn.SpatialBatchNormalization(3, None, None, True))

    input1 = lg.zeros(10, 3, opt['geometry'][1], opt['geometry'][1])
    input2 = lg.zeros(10, 1, opt['geometry'][1], opt['geometry'][1])
    model.forward([input1, input2])
    return model, desc


def generateModelD(opt, minLayers, maxLayers, minPlanes, maxPlanes, minKH, maxKH, poolType, nGroupsMin, nGroupsMax,
                   dropoutType):
    """A random D: convolutions (grouped), max, LP or average pooling, a linear scorer; it and its description."""
    assert minPlanes % 16 == 0, 'minPlanes has to be a multiple of 16'
    assert maxPlanes % 16 == 0, 'maxPlanes has to be a multiple of 16'
    minPlanes = minPlanes / 16
    maxPlanes = maxPlanes / 16
    iH = opt['geometry'][1]
    maxKH = min(maxKH, opt['geometry'][1] - 1)
    if lg.random(1, 3) == 1:
        poolType = 'none'
    desc = ''
    if dropoutType > 0:
        if lg.random(1, 3) == 1:
            dropoutType = 0
    nLayers = lg.random(minLayers, maxLayers + 1)

    def nPlanes():
        return lg.random(minPlanes, maxPlanes + 1) * 16

    def kH():
        return math.floor(lg.random(minKH, maxKH + 1) / 2) * 2 + 1

    def pool(model, planes):
        nonlocal desc, iH
        if poolType == 'none':
            return
        if lg.random(1, 3) == 1:
            return
        if math.floor(iH / 2) < 1:
            return True
        t = None
        if poolType == 'max':
            t = 3
        elif poolType == 'lp':
            t = 4
        elif poolType == 'avg':
            t = 5
        elif poolType == 'mixed':
            t = lg.random(3, 6)
        if t == 3:
            desc = desc + '___P_' + 'Max_' + lua_str(2)
            model.add(cudnn.SpatialMaxPooling(2, 2, 2, 2))
        elif t == 4:
            desc = desc + '___P_' + 'LP_' + lua_str(2)
            model.add(nn.SpatialLPPooling(planes, 2, 2, 2, 2, 2))
        elif t == 5:
            desc = desc + '___P_' + 'Avg_' + lua_str(2)
            model.add(cudnn.SpatialAveragePooling(2, 2, 2, 2))
        iH = math.floor(iH / 2)

    model = nn.Sequential()
    desc = desc + '___CAdd'
    model.add(nn.CAddTable())

    planesOut = lg.random(1, 6) * 16
    k = kH()
    desc = desc + '___C_' + lua_str(3) + '_' + lua_str(planesOut) + '_g' + lua_str(1) + '_' + lua_str(k) + 'x' + lua_str(k)
    model.add(cudnn.SpatialConvolution(3, planesOut, k, k, 1, 1))
    desc = desc + '___R'
    model.add(cudnn.ReLU(True))
    iH = iH - k + 1
    pool(model, planesOut)
    assert iH >= 1

    planesIn = planesOut
    for i in range(nLayers - 2):
        planesOut = nPlanes()
        k = kH()
        groups = 13
        while planesIn % groups != 0 or planesOut % groups != 0:
            if planesOut > 256 or planesIn > 256:
                pow_ = lg.random(2, nGroupsMax + 1)
            else:
                pow_ = lg.random(nGroupsMin, nGroupsMax + 1)
            groups = math.pow(2, pow_)
        if (iH - k + 1) < 1:
            break
        iH = iH - k + 1
        assert iH >= 1
        desc = desc + '___C_' + lua_str(planesIn) + '_' + lua_str(planesOut) + '_g' + lua_str(groups) + '_' + \
            lua_str(k) + 'x' + lua_str(k)
        model.add(cudnn.SpatialConvolution(planesIn, planesOut, k, k, 1, 1, 0, 0, groups))
        desc = desc + '___R'
        model.add(cudnn.ReLU(True))
        planesIn = planesOut
        if pool(model, planesOut):
            break
        assert iH >= 1
    desc = desc + '___V_' + lua_str(planesIn * iH * iH)
    model.add(nn.View(planesIn * iH * iH).setNumInputDims(3))
    desc = desc + '___L ' + lua_str(planesIn * iH * iH) + '_' + lua_str(1)
    model.add(nn.Linear(planesIn * iH * iH, 1))
    desc = desc + '___Sig'
    model.add(nn.Sigmoid())

    input1 = lg.zeros(13, 3, opt['geometry'][1], opt['geometry'][1])
    input2 = lg.zeros(13, 3, opt['geometry'][1], opt['geometry'][1])
    model.forward([input1, input2])
    return model, desc


def lua_str(x):
    """Lua's ``..`` of a number: LUAI_NUMFFORMAT's ``%.14g``, so a whole float is written without a fraction."""
    return '%.14g' % x


# ---- the tests ---------------------------------------------------------------------------------------------
def write_cifar_standin(folder):
    """cifar-10-batches-t7's five ascii files from MNIST digits: each a table {data = ByteTensor 3072 x n (one
    column per image, planes then rows), labels = ByteTensor n}, as the Lua reads them with :t():reshape."""
    d = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'examples', 'data',
                             'mnist_5k.npz'))   # the MNIST slice the repository ships
    rng = np.random.RandomState(0)
    order = rng.permutation(len(d['y']))[:5 * PER_FILE]
    os.makedirs(folder, exist_ok=True)
    scaled = image.scale(lg.from_numpy(d['x'][order].astype(np.float32)), 32, 32).numpy()   # digits as planes
    for f in range(5):
        rows = order[f * PER_FILE:(f + 1) * PER_FILE]
        planes = scaled[f * PER_FILE:(f + 1) * PER_FILE, None]
        data = np.repeat(planes, 3, 1).clip(0, 255).astype(np.uint8)
        lg.save_lua(os.path.join(folder, 'data_batch_%d.t7' % (f + 1)),
                    {'data': lg.from_numpy(np.ascontiguousarray(data.reshape(PER_FILE, -1).T)),
                     'labels': lg.from_numpy(d['y'][rows].astype(np.uint8))}, 'ascii')
    return d['y'][order]


def _options(tmp_path, **kw):
    o = {'save': str(tmp_path / 'logs'), 'saveFreq': 1, 'network': '', 'learningRate': 0.02, 'batchSize': 8,
         'momentum': 0, 'coefL1': 0, 'coefL2': 0, 'threads': 1, 'gpu': -1, 'K': 1, 'hidden_G': 8, 'hidden_D': 8,
         'coarseSize': 16, 'fineSize': 32}
    o.update(kw)
    return o


@pytest.fixture(scope='module')
def cifar_standin(tmp_path_factory):
    folder = tmp_path_factory.mktemp('eyescream') / 'cifar-10-batches-t7'
    return str(folder) + '/', write_cifar_standin(str(folder))


@pytest.fixture
def cifar_files(cifar_standin, monkeypatch):
    monkeypatch.setattr(cifar, 'path_dataset', cifar_standin[0])
    return cifar_standin[1]


def test_upsample_is_a_convolution_viewed():
    """SpatialConvolutionUpsample(nIn, nOut, k, k, f): a 'same' convolution to nOut f^2 planes (padH takes padW,
    nn's default) whose output is viewed as nOut planes f times larger; factor 1 is the convolution itself.
    Jacobians (input, weight, bias) by finite differences, batched and single."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    assert SpatialConvolutionUpsample(2, 3, 3, 5, 2).padH == 1   # padW's (kW - 1) / 2, whatever kH (nn's default)
    m = SpatialConvolutionUpsample(2, 3, 3, 3, 2)
    assert (m.padW, m.padH, m.nOutputPlane, m.factor) == (1, 1, 12, 2)
    x = lg.Tensor(2, 2, 4, 5).normal(0, 1)
    y = m.forward(x)
    conv = nn.SpatialConvolution(2, 12, 3, 3, 1, 1, 1, 1)
    conv.weight.copy(m.weight)
    conv.bias.copy(m.bias)
    np.testing.assert_array_equal(y.numpy(), conv.forward(x).numpy().reshape(2, 3, 8, 10))
    assert nn.Jacobian.testJacobian(m, x) < 1e-6
    assert nn.Jacobian.testJacobianParameters(m, x, m.weight, m.gradWeight) < 1e-6
    assert nn.Jacobian.testJacobianParameters(m, x, m.bias, m.gradBias) < 1e-6
    x3 = lg.Tensor(2, 4, 5).normal(0, 1)
    assert tuple(m.forward(x3).size()) == (3, 8, 10)
    assert nn.Jacobian.testJacobian(m, x3) < 1e-6
    one = SpatialConvolutionUpsample(2, 3, 5, 5, 1)
    assert tuple(one.forward(x).size()) == (2, 3, 4, 5)


def test_cudnn_upsample_with_groups():
    """lsun's cudnn.SpatialConvolutionUpsample: cudnn's convolution (padH from kH, groups), viewed likewise."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = lsun_layers.SpatialConvolutionUpsample(4, 2, 3, 3, 2, 2)
    assert lg.typename(m) == 'cudnn.SpatialConvolutionUpsample' and tuple(m.weight.size()) == (8, 2, 3, 3)
    x = lg.Tensor(2, 4, 3, 3).normal(0, 1)
    assert tuple(m.forward(x).size()) == (2, 2, 6, 6)
    assert nn.Jacobian.testJacobian(m, x) < 1e-6
    assert nn.Jacobian.testJacobianParameters(m, x, m.weight, m.gradWeight) < 1e-6


def test_dataset_and_normalize(tmp_path, cifar_files):
    """loadDataset reads the ascii t7 batches (columns are images); normalize leaves each pixel with mean 0 and
    std 1 (``std(1, true)`` divides by n); a sample is {fine - coarse, one-hot label (0-based), coarse, fine}, coarse being the image
    scaled down to coarseSize and back."""
    cifar.init(32, 16)
    data = cifar.loadTrainSet(1, 40)
    np.testing.assert_array_equal(data.labels.numpy(), cifar_files[:40])
    mean, std = normalize(data.data)
    assert np.abs(data.data.numpy().mean(0)).max() < 1e-4
    assert np.abs(data.data.numpy().std(0)[std.numpy()[0] > 1e-3] - 1).max() < 1e-3   # std(1, true): over n
    data.makeFine()
    data.makeCoarse()
    data.makeDiff()
    diff, label, coarse, fine = data[5]
    assert label.sum() == 1 and int(label.numpy().argmax()) == cifar_files[5]
    np.testing.assert_allclose(diff.numpy(), fine.numpy() - coarse.numpy(), atol=1e-6)
    np.testing.assert_allclose(coarse.numpy(), image.scale(image.scale(data.data[5], 16, 16), 32, 32).numpy())


def test_classcond_training_saves_and_reloads(tmp_path, cifar_files):
    """The script's two epochs on 32 training and 16 validation images: D's loss falls (its BCE, averaged over
    its first and last steps), the parameter counts are the weights' (biases left out, as the Lua counts), the
    confusion accuracies are fractions, the decayed SGD states, the per-epoch checkpoint (the old one renamed
    .old) reloads as ``--network`` into nets computing the same."""
    monkey_cwd = os.getcwd()
    opt0 = _options(tmp_path)
    try:
        trainData, valData = main(opt0, 32, 16, 2)
    finally:
        os.chdir(monkey_cwd)
    errD = record['errD']
    assert len(errD) == 2 * 32 // 4 and np.mean(errD[-3:]) < np.mean(errD[:3]), errD
    assert record['nparams_D'] == 10 * 32 * 32 + 8 * 4 * 25 + 8 * 8 * 25 + 8 * 12 * 12
    assert record['nparams_G'] == 10 * 32 * 32 + 8 * 5 * 49 + 8 * 8 * 49 + 3 * 8 * 25
    assert all(0 <= a <= 1 for a in record['train_accuracy'] + record['test_accuracy'])
    assert sgdState_D['momentum'] == pytest.approx(0.0016) and sgdState_G['learningRate'] == pytest.approx(0.02 / 1.00004 ** 2)
    filename = paths.concat(opt0['save'], 'conditional_adversarial.net')
    assert paths.filep(filename) and paths.filep(filename + '.old')
    saved = lg.load(filename)
    assert set(saved) == {'D', 'G', 'opt'} and saved['opt']['geometry'] == [3, 32, 32]

    sample = valData[3]
    noise = lg.Tensor(1, 1, 32, 32).uniform(-1, 1)
    cond1, cond2 = sample[1].view(1, 10).clone(), sample[2].view(1, 3, 32, 32).clone()
    model_G.evaluate()
    expected = model_G.forward([noise, cond1, cond2]).clone()
    main(_options(tmp_path, network=filename), 8, 8, 0)
    model_G.evaluate()
    np.testing.assert_array_equal(model_G.forward([noise, cond1, cond2]).numpy(), expected.numpy())


def test_lsun_models():
    """lsun/model.lua's 'small' and 'large' D and G at a fine size of 16 (the LAPGAN's first scale): G maps
    {coarse, noise} to a 3-plane image, D scores {image, coarse}; one backward through each."""
    lg.setdefaulttensortype('torch.FloatTensor')
    for name in ('small', 'large'):
        opt_l = {'model': name, 'fineSize': 16, 'batchSize': 2, 'geometry': [3, 16, 16]}
        D, G = lsun_model(opt_l)
        coarse, noise = lg.Tensor(2, 3, 16, 16).normal(0, 1), lg.Tensor(2, 1, 16, 16).uniform(-1, 1)
        fake = G.forward([coarse, noise])
        assert tuple(fake.size()) == (2, 3, 16, 16)
        score = D.forward([fake, coarse])
        assert tuple(score.size()) == (2, 1) and ((score.numpy() > 0) & (score.numpy() < 1)).all()
        gD = D.backward([fake, coarse], lg.ones(2, 1))
        G.backward([coarse, noise], gD[0])
        assert float(G.getParameters()[1].abs().sum()) > 0


def test_autogen_models():
    """model.lua's 'autogen': generateModelG(3, 5, 128, 512, 3, 7, 'mixed', 0, 4, 2, true) and D drawn until D has
    fewer free parameters than G but more than a tenth, at the LSUN fine size 32 here narrowed (planes 16 to 64):
    the description names each layer as Lua writes numbers (a plane count from ``/`` without '.0'), G's output
    is an image and D's a score."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(8)   # a G with both maxout (VolumetricMaxPooling over planes) and LP-out pooling
    opt_a = {'geometry': [3, 16, 16]}

    def freeParams(m):
        p = 0
        for v in m.listModules():
            p = p + (v.weight.nElement() if v.weight is not None else 0)
            p = p + (v.bias.nElement() if v.bias is not None else 0)
        return p
    model_G, desc_G = generateModelG(opt_a, 3, 4, 16, 64, 3, 7, 'mixed', 0, 4, 2, True)
    model_G.add(nn.View(3, 16, 16))
    assert desc_G.startswith('___JT22___C_4_') and '.0' not in desc_G, desc_G
    assert '___P_MOut_2' in desc_G and '___P_LPOut_2' in desc_G, desc_G
    for trygen in range(2, 500):
        model_D, desc_D = generateModelD(opt_a, 2, 4, 16, 64, 3, 7, 'mixed', 0, 4, 2)
        if freeParams(model_D) < freeParams(model_G) and freeParams(model_D) > freeParams(model_G) / 10:
            break
    assert desc_D.startswith('___CAdd___C_3_') and desc_D.endswith('_1___Sig') and '.0' not in desc_D, desc_D
    coarse, noise = lg.Tensor(2, 3, 16, 16).normal(0, 1), lg.Tensor(2, 1, 16, 16).uniform(-1, 1)
    fake = model_G.forward([coarse, noise])
    assert tuple(fake.size()) == (2, 3, 16, 16)
    assert tuple(model_D.forward([fake, coarse]).size()) == (2, 1)
    assert str(64 / 1) == '64.0' and lua_str(64 / 1) == '64'   # docs/porting.md's row on a number in ``..``


def test_python_range_refuses_lua_division():
    """docs/porting.md's row: ``opt.batchSize / 2`` is a number Lua's ``for`` takes; Python's division gives a
    float that ``range`` refuses, so the port writes ``//``."""
    with pytest.raises(TypeError):
        range(0, 8, 8 / 2 * 1)
    assert list(range(0, 8, 8 // 2)) == [0, 4]


@pytest.mark.gpu
def test_classcond_training_gpu(tmp_path, cifar_files):
    """The script with ``--gpu 0``: CUDA nets and tensors (the Lua's CudaTensor default type), CPU samples copied
    in; one epoch trains and the checkpoint is written."""
    cwd = os.getcwd()
    try:
        main(_options(tmp_path, gpu=0), 16, 8, 1)
    finally:
        os.chdir(cwd)
    assert parameters_D.type() == 'torch.CudaTensor' and len(record['errD']) == 4
    assert np.isfinite(record['errD']).all() and np.isfinite(record['errG']).all()
    assert paths.filep(paths.concat(opt['save'], 'conditional_adversarial.net'))


@pytest.mark.gpu
def test_cuda_after_get_parameters_disconnects_the_flat_tensors():
    """docs/porting.md's setdefaulttensortype row: flattened first and converted after (the Lua's order, harmless
    under its CudaTensor default), a model's parameters move to the GPU while the flat tensors stay on the CPU."""
    m = nn.Sequential().add(nn.Linear(3, 2))
    flat, grad = m.getParameters()
    m.cuda()
    assert flat.type() == 'torch.FloatTensor' and m.get(0).weight.type() == 'torch.CudaTensor'
    flat.fill(7)
    assert float(m.get(0).weight.sum()) != 7 * 6
