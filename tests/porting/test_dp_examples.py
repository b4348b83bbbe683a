"""Model builders of Element-Research/dp's examples (nicholas-leonard/dp: examples/deepinception.lua,
mixtureofexperts.lua, recurrentlanguagemodel.lua), which lean on dpnn and rnn, ported line by line with small
option values, and dp's training callback (updateGradParameters, updateParameters, maxParamNorm,
zeroGradParameters)."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn


def at(t, i):
    """Lua's ``t[i]`` of a table that may be shorter (dp's empty option tables ``{}``): nil past the end."""
    return t[i] if i < len(t) else None


class opt:
    activation = 'ReLU'
    dontPad = False
    batchNorm = True
    dropout = True
    dropoutProb = [0.2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    convChannelSize, convKernelSize, convKernelStride = [8, 16], [5, 5], [1, 1]
    convPoolSize, convPoolStride = [2, 2], [2, 2]
    incepChannelSize, incepReduceSize = [[8, 12], [8, 16]], [[12, 16, 8, 8], [12, 16, 8, 8]]
    incepReduceStride = incepKernelSize = incepKernelStride = incepPoolSize = incepPoolStride = []
    hiddenSize = [20]
    learningRate, momentum, maxOutNorm = 0.1, 0.9, 1


class ds:
    """The dataset calls the builder makes (an SVHN-like 3x16x16 set with its images stored 'bhwc')."""

    @staticmethod
    def imageSize(c):
        return {'c': 3, 'h': 16, 'w': 16}[c]

    @staticmethod
    def ioShapes():
        return 'bhwc'

    @staticmethod
    def classes():
        return list(range(10))

    @staticmethod
    def featureSize():
        return 3 * 16 * 16


def deepinception():
    """examples/deepinception.lua's --[[Model]]-- section."""
    insize = [1, ds.imageSize('c'), ds.imageSize('h'), ds.imageSize('w')]
    cnn = nn.Sequential()
    inputSize = ds.imageSize('c')
    depth = 0
    for i in range(len(opt.convChannelSize)):
        if opt.dropout and (at(opt.dropoutProb, depth) or 0) > 0:
            cnn.add(nn.SpatialDropout(opt.dropoutProb[depth]))
        cnn.add(nn.SpatialConvolution(inputSize, opt.convChannelSize[i], opt.convKernelSize[i], opt.convKernelSize[i],
                                      opt.convKernelStride[i], opt.convKernelStride[i],
                                      (not opt.dontPad) and math.floor(opt.convKernelSize[i] / 2) or 0))
        if opt.batchNorm:
            cnn.add(nn.SpatialBatchNormalization(opt.convChannelSize[i]))
        cnn.add(getattr(nn, opt.activation)())
        if at(opt.convPoolSize, i) and opt.convPoolSize[i] > 0:
            cnn.add(nn.SpatialMaxPooling(opt.convPoolSize[i], opt.convPoolSize[i],
                                         at(opt.convPoolStride, i) or opt.convPoolSize[i],
                                         at(opt.convPoolStride, i) or opt.convPoolSize[i]))
        inputSize = opt.convChannelSize[i]
        depth = depth + 1
    for i in range(len(opt.incepChannelSize)):
        if opt.dropout and (at(opt.dropoutProb, depth) or 0) > 0:
            cnn.add(nn.SpatialDropout(opt.dropoutProb[depth]))
        cnn.add(nn.Inception({
            'inputSize': inputSize, 'outputSize': opt.incepChannelSize[i], 'reduceSize': opt.incepReduceSize[i],
            'reduceStride': at(opt.incepReduceStride, i), 'kernelSize': at(opt.incepKernelSize, i),
            'kernelStride': at(opt.incepKernelStride, i), 'poolSize': at(opt.incepPoolSize, i),
            'poolStride': at(opt.incepPoolStride, i), 'transfer': getattr(nn, opt.activation)(),
            'batchNorm': opt.batchNorm, 'padding': not opt.dontPad}))
        inputSize = cnn.outside(insize)[1]
        depth = depth + 1
    outsize = cnn.outside(insize)
    inputSize = outsize[1] * outsize[2] * outsize[3]
    cnn.insert(nn.Convert(ds.ioShapes(), 'bchw'), 0)
    cnn.add(nn.Collapse(3))
    for i, hiddenSize in enumerate(opt.hiddenSize):
        if opt.dropout and (at(opt.dropoutProb, depth) or 0) > 0:
            cnn.add(nn.Dropout(opt.dropoutProb[depth]))
        cnn.add(nn.Linear(inputSize, hiddenSize))
        if opt.batchNorm:
            cnn.add(nn.BatchNormalization(hiddenSize))
        cnn.add(getattr(nn, opt.activation)())
        inputSize = hiddenSize
        depth = depth + 1
    if opt.dropout and (at(opt.dropoutProb, depth) or 0) > 0:
        cnn.add(nn.Dropout(opt.dropoutProb[depth]))
    cnn.add(nn.Linear(inputSize, len(ds.classes())))
    cnn.add(nn.LogSoftMax())
    return cnn


def callback(model):
    """dp.Optimizer's callback in the examples: the ordering here is important."""
    model.updateGradParameters(opt.momentum)
    model.updateParameters(opt.learningRate)
    model.maxParamNorm(opt.maxOutNorm)
    model.zeroGradParameters()


@pytest.mark.filterwarnings('ignore:Inception')    # dpnn prints the same warning: the default pool is unpadded
def test_deepinception_builds_and_trains():
    """dpnn's ``outside`` gives the output size (a LongStorage, 1-based in Lua: ``outsize[2]`` is the planes,
    ``[1]`` here), ``insert(m, 1)`` is ``insert(m, 0)``, Convert('bhwc', 'bchw') takes dp's stored images,
    Collapse(3) keeps its count; the targets go through ``nn.ModuleCriterion(nn.ClassNLLCriterion(), nil,
    nn.Convert())``. After dp's callback every weight row has norm at most maxOutNorm, and a fixed batch's
    loss goes down."""
    lg.manualSeed(0)
    cnn = deepinception()
    assert lg.typename(cnn.get(0)) == 'nn.Convert'
    assert tuple(cnn.findModules('nn.Inception')[0][0].outside([1, 16, 4, 4])) == (1, 8 + 12 + 8 + 8, 4, 4)
    loss = nn.ModuleCriterion(nn.ClassNLLCriterion(), None, nn.Convert())
    x = lg.rand(8, 16, 16, 3)
    y = lg.LongTensor(8).random(10)
    cnn.training()
    cnn.zeroGradParameters()
    losses = []
    for _ in range(15):
        out = cnn.forward(x)
        losses.append(loss.forward(out, y))
        cnn.backward(x, loss.backward(out, y))
        callback(cnn)
    assert losses[-1] < losses[0]
    for m in cnn.findModules('nn.Linear')[0] + cnn.findModules('nn.SpatialConvolution')[0]:
        rows = m.weight.view(m.weight.size(0), -1)
        assert float(rows.norm(2, 1).max()) <= opt.maxOutNorm + 1e-5


def test_mixture_of_experts():
    """examples/mixtureofexperts.lua: a gater's SoftMax weights the experts' LogSoftMax outputs through
    nn.MixtureTable, behind Convert(ds:ioShapes(), 'bf')."""
    lg.manualSeed(1)
    nExpert, expertSize, gaterSize = 3, [7], [5]
    experts = nn.ConcatTable()
    for i in range(nExpert):
        inputSize = ds.featureSize()
        expert = nn.Sequential()
        for j, hiddenSize in enumerate(expertSize):
            expert.add(nn.Linear(inputSize, hiddenSize))
            expert.add(nn.Tanh())
            inputSize = hiddenSize
        expert.add(nn.Linear(inputSize, len(ds.classes())))
        expert.add(nn.LogSoftMax())
        experts.add(expert)
    gater = nn.Sequential()
    inputSize = ds.featureSize()
    for i, hiddenSize in enumerate(gaterSize):
        gater.add(nn.Linear(inputSize, hiddenSize))
        gater.add(nn.Tanh())
        inputSize = hiddenSize
    gater.add(nn.Linear(inputSize, nExpert))
    gater.add(nn.SoftMax())
    moe = nn.Sequential()
    moe.add(nn.Convert(ds.ioShapes(), 'bf'))
    trunk = nn.ConcatTable()
    trunk.add(gater)
    trunk.add(experts)
    moe.add(trunk)
    moe.add(nn.MixtureTable())
    x = lg.rand(4, 16, 16, 3)
    out = moe.forward(x)
    flat = x.view(4, -1)
    g = gater.forward(flat).numpy()
    e = np.stack([experts.get(k).forward(flat).numpy() for k in range(nExpert)], 1)
    np.testing.assert_allclose(out.numpy(), (g[:, :, None] * e).sum(1), rtol=1e-5, atol=1e-6)
    assert tuple(moe.backward(x, lg.randn(4, 10)).size()) == (4, 16, 16, 3)


@pytest.mark.gpu
@pytest.mark.filterwarnings('ignore:Inception')
def test_deepinception_on_cuda_with_cpu_labels():
    """The examples' ``--cuda`` path: ``xp:cuda()`` casts the model and the loss, whose ``nn.Convert()`` target
    module brings dp's CPU LongTensor labels to the GPU (Convert.lua's type conversion), and the images in
    'bhwc' go through the model's own Convert."""
    cnn = deepinception().cuda()
    loss = nn.ModuleCriterion(nn.ClassNLLCriterion(), None, nn.Convert()).cuda()
    x = lg.rand(4, 16, 16, 3).cuda()
    y = lg.LongTensor(4).random(10)
    out = cnn.forward(x)
    assert np.isfinite(loss.forward(out, y))
    assert cnn.backward(x, loss.backward(out, y)).type() == 'legonn.CudaTensor'


class rlm_opt:
    hiddenSize = [6, 6]
    lstm = False
    zeroFirst = True
    dropout = True
    dropoutProb = 0.5
    bidirectional = False


def recurrent_lm(opt, V):
    """examples/recurrentlanguagemodel.lua's --[[Model]]-- section (the full LogSoftMax output layer)."""
    lm = nn.Sequential()
    inputSize = opt.hiddenSize[0]
    for i, hiddenSize in enumerate(opt.hiddenSize):
        if i != 0 and not opt.lstm:
            lm.add(nn.Sequencer(nn.Linear(inputSize, hiddenSize)))
        if opt.lstm:
            rnn = nn.Sequencer(nn.FastLSTM(inputSize, hiddenSize))
        else:
            rnn = nn.Recurrent(hiddenSize, nn.Identity(), nn.Linear(hiddenSize, hiddenSize), nn.Sigmoid(), 99999)
            if opt.zeroFirst:
                rnn.startModule.share(rnn.feedbackModule, 'bias')
            rnn = nn.Sequencer(rnn)
        lm.add(rnn)
        if opt.dropout:
            lm.add(nn.Sequencer(nn.Dropout(opt.dropoutProb)))
        inputSize = hiddenSize
    if opt.bidirectional:
        bwd = lm.clone()
        bwd.reset()
        bwd.remember('neither')
        brnn = nn.BiSequencerLM(lm, bwd)
        lm = nn.Sequential()
        lm.add(brnn)
        inputSize = inputSize * 2
    lm.insert(nn.SplitTable(0, 2), 0)
    if opt.dropout:
        lm.insert(nn.Dropout(opt.dropoutProb), 0)
    lookup = nn.LookupTable(V, opt.hiddenSize[0])
    lookup.maxOutNorm = -1
    lm.insert(lookup, 0)
    softmax = nn.Sequential()
    softmax.add(nn.Linear(inputSize, V))
    softmax.add(nn.LogSoftMax())
    lm.add(nn.Sequencer(softmax))
    lm.remember(opt.lstm and 'both' or 'eval')
    return lm, lookup

@pytest.mark.parametrize('bidirectional', [False, True])
def test_recurrent_language_model(bidirectional):
    """recurrentlanguagemodel.lua: nn.Recurrent(hiddenSize, Identity, Linear, Sigmoid, 99999) with --zeroFirst's
    ``rnn.startModule:share(rnn.feedbackModule, 'bias')``, ``lm:insert(nn.SplitTable(1,2), 1)`` (0-based dimension,
    the count 2 kept), --bidirectional's ``bwd = lm:clone(); bwd:reset(); bwd:remember('neither')`` into a
    BiSequencerLM, ``lookup.maxOutNorm = -1`` sparing the embedding from dp's maxParamNorm(2) callback. The loss
    of a fixed batch goes down; every other weight row ends with norm at most 2."""
    opt = type('opt', (rlm_opt,), {'bidirectional': bidirectional})
    V, rho, batch = 12, 5, 4
    lm, lookup = recurrent_lm(opt, V)
    rnn = lm.findModules('nn.Recurrent')[0][0]
    assert rnn.startModule.bias.storage() is rnn.feedbackModule.bias.storage()
    lookup.weight.mul(10)
    crit = nn.SequencerCriterion(nn.ClassNLLCriterion())
    x = lg.LongTensor(batch, rho).random(V)
    y = [lg.LongTensor(batch).random(V) for _ in range(rho)]
    losses = []
    for _ in range(20):
        out = lm.forward(x)
        losses.append(crit.forward(out, y))
        lm.backward(x, crit.backward(out, y))
        lm.updateGradParameters(0.9)
        lm.updateParameters(0.1)
        lm.maxParamNorm(2)
        lm.zeroGradParameters()
    assert losses[-1] < losses[0]
    assert float(lookup.weight.norm(2, 1).max()) > 2
    for m in lm.findModules('nn.Linear')[0]:
        assert float(m.weight.norm(2, 1).max()) <= 2 + 1e-5
