"""eladhoffer/TripletNet ported line by line: TripletNet.lua (the nngraph triplet of shared embedding nets),
TripletNetBatch.lua, DistanceRatioCriterion.lua (the repo's own: SoftMax then MSE), Data.lua's list generators and
SimpleNormalization, DataContainer.lua, Main.lua's Train/Test/ErrorCount, Models/Model.lua and
Models/NiN_Pooled_Model.lua with their widths divided by ``div``. Main.lua's ``Optimizer`` is eladtools' (ported in
tests/porting/eladtools/Optimizer.py). Lua's ``math.random`` is Python's ``random`` (docs/porting.md)."""
import random

import legonn as lg
from legonn import cudnn, nn


# --- TripletNet.lua -----------------------------------------------------------------------------------------------
def CreateTripletNet(EmbeddingNet, inputs, distMetric, postProcess):
    embeddings = []
    dists = []
    nets = [EmbeddingNet]
    num = len(inputs)
    for i in range(num):
        if i < num - 1:
            nets.append(nets[0].clone('weight', 'bias', 'gradWeight', 'gradBias', 'running_mean', 'running_std'))
        embeddings.append(nets[i](inputs[i]))
    embedMain = embeddings[0]

    if postProcess:
        embedMain = postProcess(embedMain)

    for i in range(num - 1):
        if postProcess:
            dists.append(nn.View(-1, 1)(distMetric.clone()([embedMain, postProcess(embeddings[i + 1])])))
        else:
            dists.append(nn.View(-1, 1)(distMetric.clone()([embedMain, embeddings[i + 1]])))
    return nets, dists, embeddings


class TripletNet(nn.gModule):
    """TripletNet.lua: ``num`` inputs, each through a clone of the embedding net sharing its parameters; the output
    is the batch x (num - 1) distances of the first embedding to the others (one such output per ``collectFeat``
    entry)."""

    def __init__(self, EmbeddingNet, num=None, distMetric=None, collectFeat=None):
        # collectFeat is of for {{layerNum = number, postProcess = module},
        #                        {layerNum = number, postProcess = module}...}
        self.num = num or 3
        self.distMetric = distMetric or nn.PairwiseDistance(2)
        self.EmbeddingNet = EmbeddingNet
        self.nets = []
        collectFeat = collectFeat or [{'layerNum': len(self.EmbeddingNet)}]
        inputs = []
        outputs = []

        for i in range(self.num):
            inputs.append(nn.Identity()())

        start_layer = 0
        currInputs = inputs
        for f in range(len(collectFeat)):
            end_layer = collectFeat[f]['layerNum']      # a Lua layer number: the last layer taken, 1-based
            net = nn.Sequential()
            for l in range(start_layer, end_layer):
                net.add(self.EmbeddingNet.get(l))

            nets, dists, embeddings = CreateTripletNet(net, currInputs, self.distMetric,
                                                       collectFeat[f].get('postProcess'))
            currInputs = []
            for i in range(self.num):
                if i >= len(self.nets):
                    self.nets.append([])
                self.nets[i].append(nets[i])
                currInputs.append(embeddings[i])
            outputs.append(nn.JoinTable(1)(dists))
            start_layer = end_layer
        super().__init__(inputs, outputs)

    def shareWeights(self):
        for i in range(self.num - 1):
            for j in range(len(self.nets[i])):
                self.nets[i + 1][j].share(self.nets[0][j], 'weight', 'bias', 'gradWeight', 'gradBias',
                                          'running_mean', 'running_std')

    def type(self, t=None, cache=None):
        super().type(t, cache)
        self.shareWeights()


# --- TripletNetBatch.lua ------------------------------------------------------------------------------------------
def SizeSquashed(x):
    sz = x.size().totable()
    first = sz.pop(0)
    sz[0] = sz[0] * first
    return lg.LongStorage(sz)


class TripletNetBatch(nn.Module):
    """TripletNetBatch.lua: one net over the num x batch x ... input viewed as (num * batch) x ...; output
    batch x (num - 1), the distances of the first chunk's embeddings to the others'."""

    def __init__(self, net=None, dist=None):
        self.dist = dist or nn.PairwiseDistance(2)
        self.Net = net or nn.Sequential()
        self.output = lg.Tensor()
        self.netOutput = lg.Tensor()
        self.distGradInput = lg.Tensor()

    def add(self, module):
        self.Net.add(module)

    def updateOutput(self, input):
        x = input.view(SizeSquashed(input))
        self.output.resize(input.size(1), input.size(0) - 1).typeAs(x)

        self.netOutput = self.Net.updateOutput(x)
        self.sub_output = lg.chunk(self.netOutput, input.size(0))

        for i in range(input.size(0) - 1):
            self.output[:, i].copy(self.dist.updateOutput([self.sub_output[0], self.sub_output[i + 1]]))
        return self.output

    def updateGradInput(self, input, gradOutput):
        sz = self.netOutput.size().totable()
        sz[0] = input.size(1)
        sz.insert(0, input.size(0))
        self.distGradInput.resize(*sz)
        self.distGradInput.zero()
        for i in range(input.size(0) - 1):
            dyi = gradOutput[:, i]
            dEi = self.dist.updateGradInput([self.sub_output[0], self.sub_output[i + 1]], dyi)
            self.distGradInput[0].add(dEi[0])
            self.distGradInput[i + 1].copy(dEi[1])

        x = input.view(SizeSquashed(input))
        self.gradInput = self.Net.updateGradInput(x, self.distGradInput.view(SizeSquashed(self.distGradInput)))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        x = input.view(SizeSquashed(input))
        self.Net.accGradParameters(x, self.distGradInput.view(SizeSquashed(self.distGradInput)), scale)

    def training(self):
        self.Net.training()

    def evaluate(self):
        self.Net.evaluate()

    def getParameters(self):
        w, g = self.Net.getParameters()
        return w, g

    def parameters(self):
        return self.Net.parameters()

    def type(self, t=None, cache=None):
        self.Net.type(t)
        self.dist.type(t)
        self.output = self.output.type(t)
        self.netOutput = self.netOutput.type(t)
        self.distGradInput = self.distGradInput.type(t)


# --- DistanceRatioCriterion.lua (the repo's class, not nn's of the same name) --------------------------------------
class DistanceRatioCriterion(nn.Criterion):
    """The repo's nn.DistanceRatioCriterion: MSE of SoftMax(dists) against a one-hot row at column ``target``
    (0 by default: the first distance, to the negative, should dominate)."""

    def __init__(self):
        super().__init__()
        self.SoftMax = nn.SoftMax()
        self.MSE = nn.MSECriterion()
        self.Target = lg.Tensor()

    def createTarget(self, input, target):
        target = target or 0
        self.Target.resizeAs(input).typeAs(input).zero()
        self.Target[:, target].add(1)

    def updateOutput(self, input, target=None):
        if not self.Target.isSameSizeAs(input):
            self.createTarget(input, target)
        self.output = self.MSE.updateOutput(self.SoftMax.updateOutput(input), self.Target)
        return self.output

    def updateGradInput(self, input, target=None):
        if not self.Target.isSameSizeAs(input):
            self.createTarget(input, target)

        self.gradInput = self.SoftMax.updateGradInput(input, self.MSE.updateGradInput(self.SoftMax.output,
                                                                                        self.Target))
        return self.gradInput

    def type(self, t=None, cache=None):
        super().type(t, cache)
        self.SoftMax.type(t)
        self.MSE.type(t)
        self.Target = self.Target.type(t)
        return self


# --- Models/Model.lua and Models/NiN_Pooled_Model.lua (widths divided by ``div``) ----------------------------------
def Model(div=1):
    model = nn.Sequential()

    # Convolution Layers

    model.add(cudnn.SpatialConvolution(3, 64 // div, 5, 5))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(2, 2))
    model.add(nn.Dropout(0.25))

    model.add(cudnn.SpatialConvolution(64 // div, 128 // div, 3, 3))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(2, 2))
    model.add(nn.Dropout(0.25))

    model.add(cudnn.SpatialConvolution(128 // div, 256 // div, 3, 3))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(2, 2))

    model.add(nn.Dropout(0.25))
    model.add(cudnn.SpatialConvolution(256 // div, 128 // div, 2, 2))
    model.add(nn.ReLU())
    model.add(nn.View(128 // div))
    return model


def NiN_Pooled_Model(div=1):
    model = nn.Sequential()

    model.add(cudnn.SpatialConvolution(3, 192 // div, 5, 5, 1, 1, 2, 2))
    model.add(cudnn.ReLU(True))
    model.add(nn.SpatialConvolutionMM(192 // div, 160 // div, 1, 1))
    model.add(cudnn.ReLU(True))
    model.add(nn.SpatialConvolutionMM(160 // div, 96 // div, 1, 1))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))
    model.add(cudnn.SpatialConvolution(96 // div, 192 // div, 5, 5, 1, 1, 2, 2))
    model.add(cudnn.ReLU(True))
    model.add(nn.SpatialConvolutionMM(192 // div, 192 // div, 1, 1))
    model.add(cudnn.ReLU(True))

    model.add(nn.SpatialConvolutionMM(192 // div, 192 // div, 1, 1))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))
    model.add(cudnn.SpatialConvolution(192 // div, 192 // div, 3, 3, 1, 1, 1, 1))
    model.add(cudnn.ReLU(True))
    model.add(nn.SpatialConvolutionMM(192 // div, 192 // div, 1, 1))
    model.add(cudnn.ReLU(True))
    model.add(cudnn.SpatialMaxPooling(7, 7))
    model.add(nn.View(192 // div))
    return model


# --- Data.lua (SimpleNormalization and the list generators) -------------------------------------------------------
def SimpleNormalization(TrainData, TestData):
    TrainData['data'] = TrainData['data'].float()
    TestData['data'] = TestData['data'].float()
    mean = TrainData['data'].mean()
    std = TrainData['data'].std()

    TrainData['data'].add(-mean).div(std)
    TestData['data'].add(-mean).div(std)


def ArrangeByLabel(labels):
    Ordered = {}

    for i in range(labels.size(0)):
        if Ordered.get(labels[i]) is None:
            Ordered[labels[i]] = []
        Ordered[labels[i]].append(i)
    return Ordered


def GenerateList(labels, num, size):
    list = lg.IntTensor(size, num)
    Ordered = ArrangeByLabel(labels)
    nClasses = len(Ordered)
    c = lg.IntTensor(num - 1)

    for i in range(size):
        c[0] = random.randint(1, nClasses) - 1     # compared class
        n1 = random.randint(1, len(Ordered[c[0]])) - 1
        n_last = random.randint(1, len(Ordered[c[0]])) - 1

        while n_last == n1:
            n_last = random.randint(1, len(Ordered[c[0]])) - 1

        list[i][0] = Ordered[c[0]][n1]
        list[i][num - 1] = Ordered[c[0]][n_last]

        for j in range(1, num - 1):    # dissimilar classes
            while True:
                c[j] = random.randint(1, nClasses) - 1
                if c[j] != c[0]:
                    break

            n_j = random.randint(1, len(Ordered[c[j]])) - 1
            list[i][j] = Ordered[c[j]][n_j]
    return list


def GenerateListTriplets(labels, size):
    list = lg.IntTensor(size, 3)
    Ordered = ArrangeByLabel(labels)
    nClasses = len(Ordered)
    for i in range(size):
        c1 = random.randint(1, nClasses) - 1
        c2 = random.randint(1, nClasses) - 1
        while c2 == c1:
            c2 = random.randint(1, nClasses) - 1
        n1 = random.randint(1, len(Ordered[c1])) - 1
        n2 = random.randint(1, len(Ordered[c2])) - 1
        n3 = random.randint(1, len(Ordered[c1])) - 1
        while n3 == n1:
            n3 = random.randint(1, len(Ordered[c1])) - 1

        list[i][0] = Ordered[c1][n1]
        list[i][1] = Ordered[c2][n2]
        list[i][2] = Ordered[c1][n3]
    return list


# --- DataContainer.lua (Augment left out: Main.lua's default -augment false) --------------------------------------
def CatNumSize(num, size):
    stg = lg.LongStorage(size.size() + 1)
    stg[0] = num
    for i in range(1, stg.size()):
        stg[i] = size[i - 1]
    return stg


class DataContainer:
    typename = 'DataContainer'

    def __init__(self, BatchSize, List, Data, TensorType='torch.FloatTensor', ListGenFunc=None, Augment=False):
        self.BatchSize = BatchSize
        self.TensorType = TensorType
        self.Augment = Augment
        self.Batch = lg.Tensor().type(self.TensorType)
        self.Data = Data
        self.List = List
        self.ListGenFunc = ListGenFunc
        self.NumEachSet = self.List.size(1)
        self.Reset()

    def Reset(self):
        self.CurrentItem = 0

    def size(self):
        return self.List.size(0)

    def GenerateList(self):
        self.List = self.ListGenFunc()

    def GetNextBatch(self):
        size = min(self.size() - self.CurrentItem, self.BatchSize)
        if size <= 0:
            return None

        # Lua's ``self.Batch:dim() == 0``: legonn's empty tensor has one dimension of size 0 (docs/porting.md)
        if self.Batch.nElement() == 0 or size < self.BatchSize:
            nsz = CatNumSize(self.NumEachSet, CatNumSize(size, self.Data[0].size()))
            self.Batch.resize(nsz)
        for i in range(self.NumEachSet):
            d = self.Data.index(0, self.List[self.CurrentItem:self.CurrentItem + size, i].long())
            self.Batch[i].copy(d)
        self.CurrentItem = self.CurrentItem + size
        return self.Batch


# --- Main.lua (Train, Test, ErrorCount) ---------------------------------------------------------------------------
def ErrorCount(y):
    if lg.type(y) == 'table':
        y = y[-1]
    return y[:, 1].ge(y[:, 0]).sum()


def Train(DataC, TripletNet, optimizer):
    DataC.Reset()
    DataC.GenerateList()
    TripletNet.training()
    err = 0
    x = DataC.GetNextBatch()

    while x is not None:
        y = optimizer.optimize([x[0], x[1], x[2]], 0)[0]     # Lua's 1: the target column
        err = err + ErrorCount(y)
        x = DataC.GetNextBatch()
    return err / DataC.size()


def Test(DataC, TripletNet):
    DataC.Reset()
    TripletNet.evaluate()
    err = 0
    x = DataC.GetNextBatch()
    while x is not None:
        y = TripletNet.forward([x[0], x[1], x[2]])
        err = err + ErrorCount(y)
        x = DataC.GetNextBatch()
    return err / DataC.size()

