"""models/JointTrainContainer.lua: ``nn.JointTrainModule``, MSDNet's body: ``nBlocks`` blocks of MSDNet_Layers
(the first opening with MSDNet_Layer_first; ``base`` layers, then ``step`` per block, evenly or growing linearly),
the scales pruned ('min' or 'max') towards the end with 1x1 transition layers where a scale is dropped, and after
each block a classifier on its coarsest scale. The forward gives a table of the ``nBlocks`` exits' scores; the
backward sends each exit's gradient into its block's coarsest scale and on through the earlier blocks.

Edits beyond Lua syntax and 0-based indices: ``self.modules``, filled at Lua indices i and i + nBlocks, is a list
of 2 nBlocks places; the output table is a list that appends where the index is one past its end; the last
block's missing (pruned) scales read as nil, so ``self.modules[i].output[s]`` past its end is None;
``torch.ceil``/``torch.floor`` of numbers are ``math.ceil``/``math.floor``; ``math.floor(opt.reduction*nIn)`` is
``int(...)``; ``torch.save`` is ``lg.save``; ``print(steps)`` prints the list. The Lua's accGradParameters hands the
last block its own output as gradOutput (``gOut = self.modules[i].output``); the port keeps it (only the blocks'
parameter-free last modules, ReLU and JoinTable, read that gradOutput: see test_msdnet.py's Jacobian test)."""
import math

import legonn as lg
from legonn import cudnn, nn, paths

from .MSDNet_Layer import MSDNet_Layer, MSDNet_Layer_first, _tostring


def build_transition(nIn, nOut, outScales, offset, opt):
    def conv1x1(nIn, nOut):
        s = nn.Sequential()
        s.add(cudnn.SpatialConvolution(nIn, nOut, 1, 1, 1, 1, 0, 0))
        s.add(cudnn.SpatialBatchNormalization(nOut))
        s.add(cudnn.ReLU(True))
        return s
    net = nn.ParallelTable()
    for i in range(outScales):
        net.add(conv1x1(nIn * opt['grFactor'][offset + i], nOut * opt['grFactor'][offset + i]))
    return net


def build_block(nChannels, opt, step, layer_all, layer_tillnow):
    block = nn.Sequential()
    if layer_tillnow == 0:  # layer_curr == 0 means we are at the first block
        block.add(MSDNet_Layer_first(3, nChannels, opt))

    nIn = nChannels
    for i in range(step):
        inScales, outScales = opt['nScales'], opt['nScales']
        layer_tillnow = layer_tillnow + 1
        if opt['prune'] == 'min':
            inScales = min(opt['nScales'], layer_all - layer_tillnow + 2)
            outScales = min(opt['nScales'], layer_all - layer_tillnow + 1)
        elif opt['prune'] == 'max':
            interval = math.ceil(layer_all / opt['nScales'])
            inScales = opt['nScales'] - math.floor((max(0, layer_tillnow - 2)) / interval)
            outScales = opt['nScales'] - math.floor((layer_tillnow - 1) / interval)
        else:
            raise RuntimeError('Unknown prune option!')
        print('|', 'inScales ', inScales, 'outScales ', outScales, '|')
        block.add(MSDNet_Layer(nIn, opt['growthRate'], opt, inScales, outScales))
        nIn = nIn + opt['growthRate']
        if opt['prune'] == 'max' and inScales > outScales and opt['reduction'] > 0:
            offset = opt['nScales'] - outScales
            block.add(build_transition(nIn, int(opt['reduction'] * nIn), outScales, offset, opt))
            nIn = int(opt['reduction'] * nIn)
            print('|', 'Transition layer inserted!', '\t\t|')
        elif opt['prune'] == 'min' and opt['reduction'] > 0 and (layer_tillnow == math.floor(layer_all / 3) or
                                                                 layer_tillnow == math.floor(2 * layer_all / 3)):
            offset = opt['nScales'] - outScales
            block.add(build_transition(nIn, int(opt['reduction'] * nIn), outScales, offset, opt))
            nIn = int(opt['reduction'] * nIn)
            print('|', 'Transition layer inserted!', '\t\t|')
    return block, nIn


def build_classifier_cifar(nChannels, nClass):
    interChannels1, interChannels2 = 128, 128
    c = nn.Sequential()
    c.add(cudnn.SpatialConvolution(nChannels, interChannels1, 3, 3, 2, 2, 1, 1))
    c.add(cudnn.SpatialBatchNormalization(interChannels1))
    c.add(cudnn.ReLU(True))
    c.add(cudnn.SpatialConvolution(interChannels1, interChannels2, 3, 3, 2, 2, 1, 1))
    c.add(cudnn.SpatialBatchNormalization(interChannels2))
    c.add(cudnn.ReLU(True))
    c.add(cudnn.SpatialAveragePooling(2, 2))
    c.add(nn.Reshape(interChannels2))
    c.add(nn.Linear(interChannels2, nClass))
    return c


def build_classifier_imagenet(nChannels, nClass):
    c = nn.Sequential()
    c.add(cudnn.SpatialConvolution(nChannels, nChannels, 3, 3, 2, 2, 1, 1))
    c.add(cudnn.SpatialBatchNormalization(nChannels))
    c.add(cudnn.ReLU(True))
    c.add(cudnn.SpatialConvolution(nChannels, nChannels, 3, 3, 2, 2, 1, 1))
    c.add(cudnn.SpatialBatchNormalization(nChannels))
    c.add(cudnn.ReLU(True))
    c.add(cudnn.SpatialAveragePooling(2, 2))
    c.add(nn.Reshape(nChannels))
    c.add(nn.Linear(nChannels, 1000))
    return c


class JointTrainModule(nn.Container):

    def __init__(self, nChannels, opt):
        nn.Container.__init__(self)

        self.train = True
        self.nChannels = nChannels
        self.nBlocks = opt['nBlocks']
        self.opt = opt

        nIn = nChannels
        self.modules = [None] * (2 * self.nBlocks)

        # calculate the step size of each blocks
        layer_curr, layer_all = 0, opt['base']
        steps = [opt['base']]
        for i in range(1, self.nBlocks):
            steps.append(opt['step'] if opt['stepmode'] == 'even' else
                         opt['step'] * i + 1 if opt['stepmode'] == 'lin_grow' else False)
            layer_all = layer_all + steps[i]
        print("building network of steps: ")
        print(steps)
        lg.save(paths.concat(opt['save'], 'layer_specific.t7'), steps)

        for i in range(self.nBlocks):
            print(' ----------------------- Block ' + str(i + 1) + ' -----------------------')
            self.modules[i], nIn = build_block(nIn, opt, steps[i], layer_all, layer_curr)
            layer_curr = layer_curr + steps[i]
            if opt['dataset'] == 'cifar10':
                self.modules[i + self.nBlocks] = build_classifier_cifar(nIn * opt['grFactor'][opt['nScales'] - 1], 10)
            elif opt['dataset'] == 'cifar100':
                self.modules[i + self.nBlocks] = build_classifier_cifar(nIn * opt['grFactor'][opt['nScales'] - 1], 100)
            elif opt['dataset'] == 'imagenet':
                self.modules[i + self.nBlocks] = build_classifier_imagenet(nIn * opt['grFactor'][opt['nScales'] - 1],
                                                                           1000)
            else:
                raise RuntimeError('Unknown dataset!')
        self.gradInput = []
        self.output = []

    def updateOutput(self, input):
        for i in range(self.nBlocks):
            tmp_input = input if (i == 0) else self.modules[i - 1].output
            tmp_output1 = self.rethrowErrors(self.modules[i], i, 'updateOutput', tmp_input)
            tmp_output2 = self.rethrowErrors(self.modules[i + self.nBlocks], i + self.nBlocks, 'updateOutput',
                                             tmp_output1[len(tmp_output1) - 1])
            self.output[i:i + 1] = [tmp_output2]
        return self.output

    def updateGradInput(self, input, gradOutput):

        nScales = self.opt['nScales']
        for i in range(self.nBlocks - 1, -1, -1):
            features = self.modules[i].output[len(self.modules[i].output) - 1]
            self.modules[i + self.nBlocks].updateGradInput(features, gradOutput[i])
            gOut = []
            if i == self.nBlocks - 1:
                for s in range(nScales):
                    out = self.modules[i].output[s] if s < len(self.modules[i].output) else None
                    if out is not None:
                        gOut.append(out.new().resizeAs(out).zero())
            else:
                gOut = self.modules[i + 1].gradInput
            gOut[len(gOut) - 1].add(self.modules[i + self.nBlocks].gradInput)
            tmp_input = input if (i == 0) else self.modules[i - 1].output
            self.modules[i].updateGradInput(tmp_input, gOut)
        self.gradInput = self.modules[0].gradInput

        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale if scale is not None else 1
        for i in range(self.nBlocks - 1, -1, -1):
            features = self.modules[i].output[len(self.modules[i].output) - 1]
            self.modules[i + self.nBlocks].accGradParameters(features, gradOutput[i], scale)
            tmp_input = input if (i == 0) else self.modules[i - 1].output
            if i == self.nBlocks - 1:
                gOut = self.modules[i].output
            else:
                gOut = self.modules[i + 1].gradInput
            self.modules[i].accGradParameters(tmp_input, gOut, scale)

    def __tostring__(self):
        return _tostring(self, 'JointTrainModule')
