"""facebookresearch/deepmask ported line by line: SpatialSymmetricPadding.lua (a user subclass of
nn.SpatialZeroPadding), modelUtils.lua (Module:replace callbacks turning Linear layers into convolutions,
updatePadding), DeepMask.lua and SharpMask.lua (user nn.Container subclasses holding their parts as fields),
TrainerDeepMask.lua's training step and trainMeters.lua's IoU meter (LuaJIT pointer loops over ``x:data()``).
The ``:cuda()`` calls are left out (a CPU run), torch.MemoryFile's writeObject/readObject is
lg.serialize/lg.deserialize (docs/porting.md), and the pretrained ResNet-50 trunk is a small stand-in with its
module layout. These are CPU idiom ports; tests/porting/deepmask/ is the full port (its ``:cuda()`` calls kept), run by
tests/porting/test_deepmask.py, whose SpatialSymmetricPadding this file tests."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn, optim

# SpatialSymmetricPadding.lua and modelUtils.lua are the full port's (tests/porting/deepmask/)
from .deepmask import modelUtils
from .deepmask.SpatialSymmetricPadding import SpatialSymmetricPadding


class utils:
    # modelUtils.lua's Linear-to-convolution callbacks from the full port (they call no :cuda()); updatePadding
    # below is the Lua's without its :cuda() (a CPU run)
    linear2convTrunk = staticmethod(modelUtils.linear2convTrunk)
    linear2convHead = staticmethod(modelUtils.linear2convHead)

    @staticmethod
    def updatePadding(net, nn_padding):
        if lg.typename(net) == "nn.Sequential" or lg.typename(net) == "nn.ConcatTable":
            for i in range(len(net.modules) - 1, -1, -1):
                out = utils.updatePadding(net.get(i), nn_padding)
                if out != -1:
                    pw, ph = out[0], out[1]
                    net.modules[i] = nn.Sequential().add(nn_padding(pw, pw, ph, ph)).add(net.modules[i])
        else:
            if lg.typename(net) == "nn.SpatialConvolution" or lg.typename(net) == "cudnn.SpatialConvolution":
                if (net.kW == 3 and net.kH == 3) or (net.kW == 7 and net.kH == 7):
                    pw, ph = net.padW, net.padH
                    net.padW, net.padH = 0, 0
                    return [pw, ph]
        return -1


def small_resnet():
    """A stand-in for pretrained/resnet-50.t7 with its module layout (conv1, bn, relu, maxpool, layer1..4, avg,
    view, linear) and its plane counts where SharpMask taps it (64, 256, 512, 1024)."""
    def block(nin, nout, stride):
        s = nn.Sequential().add(cudnn.SpatialConvolution(nin, nout, 3, 3, stride, stride, 1, 1))
        s.add(nn.SpatialBatchNormalization(nout)).add(cudnn.ReLU(True))
        shortcut = cudnn.SpatialConvolution(nin, nout, 1, 1, stride, stride)
        return nn.Sequential().add(nn.ConcatTable().add(s).add(shortcut)).add(nn.CAddTable(True))
    m = nn.Sequential()
    m.add(cudnn.SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3)).add(nn.SpatialBatchNormalization(64)).add(cudnn.ReLU(True))
    m.add(cudnn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    m.add(block(64, 256, 1)).add(block(256, 512, 2)).add(block(512, 1024, 2))
    m.add(cudnn.SpatialConvolution(1024, 2048, 1, 1, 2, 2))     # layer4, removed by createTrunk
    m.add(cudnn.SpatialAveragePooling(1, 1)).add(nn.View(2048)).add(nn.Linear(2048, 10))
    return m


class DeepMask(nn.Container):
    def __init__(self, config):
        super().__init__()
        self.createTrunk(config)
        self.createMaskBranch(config)
        self.createScoreBranch(config)
        npt, nps, npm = 0, 0, 0
        p1, p2, p3 = self.trunk.parameters()[0], self.maskBranch.parameters()[0], self.scoreBranch.parameters()[0]
        for v in p1: npt = npt + v.nElement()
        for v in p2: npm = npm + v.nElement()
        for v in p3: nps = nps + v.nElement()
        print('| number of paramaters total: %d' % (npt + nps + npm))

    def createTrunk(self, config):
        self.fSz = config['iSz'] / 16
        trunk = small_resnet()
        trunk.remove(); trunk.remove(); trunk.remove(); trunk.remove()
        trunk.add(nn.SpatialZeroPadding(-1, -1, -1, -1))
        trunk.add(cudnn.SpatialConvolution(1024, 128, 1, 1, 1, 1))
        trunk.add(cudnn.ReLU())
        trunk.add(nn.View(config['batch'], 128 * self.fSz * self.fSz))
        trunk.add(nn.Linear(128 * self.fSz * self.fSz, 512))
        if config['scratch']:
            for m in trunk.modules:
                if m.weight is not None: m.reset()
        utils.updatePadding(trunk, SpatialSymmetricPadding)
        self.trunk = trunk
        return trunk

    def createMaskBranch(self, config):
        maskBranch = nn.Sequential()
        maskBranch.add(nn.Linear(512, config['oSz'] * config['oSz']))
        self.maskBranch = nn.Sequential().add(maskBranch)
        return self.maskBranch

    def createScoreBranch(self, config):
        scoreBranch = nn.Sequential()
        scoreBranch.add(nn.Dropout(.5))
        scoreBranch.add(nn.Linear(512, 1024))
        scoreBranch.add(nn.Threshold(0, 1e-6))
        scoreBranch.add(nn.Dropout(.5))
        scoreBranch.add(nn.Linear(1024, 1))
        self.scoreBranch = scoreBranch
        return self.scoreBranch

    def training(self):
        self.trunk.training(); self.maskBranch.training(); self.scoreBranch.training()

    def evaluate(self):
        self.trunk.evaluate(); self.maskBranch.evaluate(); self.scoreBranch.evaluate()

    def float(self):
        self.trunk.float(); self.scoreBranch.float(); self.maskBranch.float()

    def inference(self):
        self.trunk.evaluate(); self.maskBranch.evaluate(); self.scoreBranch.evaluate()
        utils.linear2convTrunk(self.trunk, self.fSz)
        utils.linear2convHead(self.scoreBranch)
        utils.linear2convHead(self.maskBranch.modules[0])
        self.maskBranch = self.maskBranch.modules[0]

    def clone(self, *args):
        clone = lg.deserialize(lg.serialize(self))
        if len(args) > 0:
            clone.trunk.share(self.trunk, *args)
            clone.maskBranch.share(self.maskBranch, *args)
            clone.scoreBranch.share(self.scoreBranch, *args)
        return clone


lg.register(DeepMask)



class SharpMask(nn.Container):
    """SharpMask.lua; ``torch.load(config.dm..'/model.t7').model`` is the ``deepmask`` argument here."""

    def __init__(self, config, deepmask):
        super().__init__()
        self.km, self.ks = config['km'], config['ks']
        assert self.km >= 16 and self.km % 16 == 0 and self.ks >= 16 and self.ks % 16 == 0
        self.skpos = [7, 5, 4, 2]
        self.inps = {}
        self.trunk = deepmask.trunk
        self.scoreBranch = deepmask.scoreBranch
        self.maskBranchDM = deepmask.maskBranch
        self.fSz = deepmask.fSz
        self.createTopDownRefinement(config)

    def createVertical(self, config):
        netvs = {}
        n0 = nn.Sequential()
        n0.add(nn.Linear(512, self.fSz * self.fSz * self.km))
        n0.add(nn.View(config['batch'], self.km, self.fSz, self.fSz))
        netvs[0] = n0
        for i in range(1, len(self.skpos) + 1):
            netv = nn.Sequential()
            nInps = self.km / 2 ** (i - 1)
            netv.add(SpatialSymmetricPadding(1, 1, 1, 1))
            netv.add(cudnn.SpatialConvolution(nInps, nInps, 3, 3, 1, 1))
            netv.add(cudnn.ReLU())
            netv.add(SpatialSymmetricPadding(1, 1, 1, 1))
            netv.add(cudnn.SpatialConvolution(nInps, nInps / 2, 3, 3, 1, 1))
            netvs[len(netvs)] = netv
        self.netvs = netvs
        return netvs

    def createHorizontal(self, config):
        neths = {}
        for i in range(1, len(self.skpos) + 1):
            h = nn.Sequential()
            nInps = self.ks / 2 ** (i - 1)
            if i == 1: nhu1, nhu2, crop = 1024, 64, 0
            elif i == 2: nhu1, nhu2, crop = 512, 64, -2
            elif i == 3: nhu1, nhu2, crop = 256, 64, -4
            elif i == 4: nhu1, nhu2, crop = 64, 32, -8
            if crop != 0: h.add(nn.SpatialZeroPadding(crop, crop, crop, crop))
            h.add(SpatialSymmetricPadding(1, 1, 1, 1))
            h.add(cudnn.SpatialConvolution(nhu1, nhu2, 3, 3, 1, 1))
            h.add(cudnn.ReLU())
            h.add(SpatialSymmetricPadding(1, 1, 1, 1))
            h.add(cudnn.SpatialConvolution(nhu2, nInps, 3, 3, 1, 1))
            h.add(cudnn.ReLU())
            h.add(SpatialSymmetricPadding(1, 1, 1, 1))
            h.add(cudnn.SpatialConvolution(nInps, nInps / 2, 3, 3, 1, 1))
            neths[len(neths) + 1] = h
        self.neths = neths
        return neths

    def refinement(self, neth, netv):
        ref = nn.Sequential()
        par = nn.ParallelTable().add(neth).add(netv)
        ref.add(par)
        ref.add(nn.CAddTable(2))
        ref.add(cudnn.ReLU())
        ref.add(nn.SpatialUpSamplingNearest(2))
        return ref

    def createTopDownRefinement(self, config):
        self.createHorizontal(config)
        self.createVertical(config)
        refs = {}
        refs[0] = self.netvs[0]
        for i in range(1, len(self.skpos) + 1):
            refs[len(refs)] = self.refinement(self.neths[i], self.netvs[i])
        finalref = refs[len(refs) - 1]
        finalref.add(SpatialSymmetricPadding(1, 1, 1, 1))
        finalref.add(cudnn.SpatialConvolution((self.km) / 2 ** (len(refs) - 1), 1, 3, 3, 1, 1))
        finalref.add(nn.View(config['batch'], config['gSz'] * config['gSz']))
        self.refs = refs
        return refs

    def forward(self, input):
        currentOutput = self.trunk.forward(input)
        currentOutput = self.refs[0].forward(currentOutput)
        for k in range(1, len(self.refs)):
            F = self.trunk.modules[self.skpos[k - 1]].output
            self.inps[k] = [F, currentOutput]
            currentOutput = self.refs[k].forward(self.inps[k])
        self.output = currentOutput
        return self.output

    def backward(self, input, gradOutput):
        currentGrad = gradOutput
        for i in range(len(self.refs) - 1, 0, -1):
            currentGrad = self.refs[i].backward(self.inps[i], currentGrad)
            currentGrad = currentGrad[1]
        currentGrad = self.refs[0].backward(self.trunk.output, currentGrad)
        self.gradInput = currentGrad
        return currentGrad

    def zeroGradParameters(self):
        for k, v in self.refs.items(): self.refs[k].zeroGradParameters()

    def updateParameters(self, lr):
        for k, n in self.refs.items(): self.refs[k].updateParameters(lr)

    def setnpinference(self, np_):
        vsz = self.refs[0].modules[1].size
        self.refs[0].modules[1].resetSize(np_, vsz[1], vsz[2], vsz[3])



CONFIG = {'iSz': 32, 'oSz': 8, 'gSz': 8, 'batch': 2, 'scratch': False, 'lr': 1e-3, 'momentum': 0.9, 'wd': 5e-4}


def test_symmetric_padding_user_module():
    """SpatialSymmetricPadding.lua pads with Matlab's padarray 'symmetric' (cba[abcd...]) by narrow/copy on its
    own output, crops on negative pads, and inherits SpatialZeroPadding's updateGradInput (the padded region
    counts as constant: the gradient is gradOutput's centre). Registered, it saves and loads as a user class."""
    x = lg.randn(2, 3, 4, 5)
    pad = SpatialSymmetricPadding(2, 1, 1, 2)
    y = pad.forward(x)
    np.testing.assert_array_equal(y.numpy(), np.pad(x.numpy(), ((0, 0), (0, 0), (1, 2), (2, 1)), mode='symmetric'))
    g = lg.randn(2, 3, 7, 8)
    np.testing.assert_array_equal(pad.backward(x, g).numpy(), g.numpy()[:, :, 1:5, 2:7])
    crop = SpatialSymmetricPadding(-1, -1, -1, -1)
    np.testing.assert_array_equal(crop.forward(x).numpy(), x.numpy()[:, :, 1:3, 1:4])
    blob = lg.deserialize(lg.serialize(nn.Sequential().add(pad)))
    assert type(blob.get(0)) is SpatialSymmetricPadding
    np.testing.assert_array_equal(blob.forward(x).numpy(), y.numpy())


def test_deepmask_trainer_step_hands_sgd_the_trunk_output():
    """TrainerDeepMask.lua trains the shared trunk with ``optim.sgd(fevaltrunk, self.pt, ...)`` where
    ``fevaltrunk`` returns ``self.model.trunk.output, self.gt``: a batch of features as the "loss", which
    torch/optim's sgd.lua never reads (``return x,{fx}``). legonn refused a loss of several elements; the
    first-order methods now hand it back as Torch7 does. The trunk sits in two Sequentials (mask and score
    nets) with one getParameters per part; ``model:clone('weight', 'bias')`` (through a MemoryFile in the Lua)
    shares the trained weights."""
    lg.manualSeed(1)
    model = DeepMask(CONFIG)
    criterion = nn.SoftMarginCriterion()
    maskNet = nn.Sequential().add(model.trunk).add(model.maskBranch)
    scoreNet = nn.Sequential().add(model.trunk).add(model.scoreBranch)
    optimState = {}
    for v in ['trunk', 'mask', 'score']:
        optimState[v] = {'learningRate': CONFIG['lr'], 'learningRateDecay': 0, 'momentum': CONFIG['momentum'],
                         'dampening': 0, 'weightDecay': CONFIG['wd']}
    pt, gt = model.trunk.getParameters()
    pm, gm = model.maskBranch.getParameters()
    ps, gs = model.scoreBranch.getParameters()
    modelsv = {'model': model.clone('weight', 'bias'), 'config': CONFIG}
    model.training()

    def fevaltrunk(*_):
        return model.trunk.output, gt

    def fevalmask(*_):
        return criterion.output, gm

    def fevalscore(*_):
        return criterion.output, gs
    inputs = lg.randn(2, 3, 64, 64)
    start = pt.clone()
    for head in (1, 2):
        if head == 1:
            net, params, feval, state = maskNet, pm, fevalmask, optimState['mask']
            labels = lg.Tensor(2, 64).random(2).mul(2).add(-1)
        else:
            net, params, feval, state = scoreNet, ps, fevalscore, optimState['score']
            labels = lg.Tensor(2, 1).random(2).mul(2).add(-1)
        outputs = net.forward(inputs)
        criterion.forward(outputs, labels)
        net.zeroGradParameters()
        gradOutputs = criterion.backward(outputs, labels)
        if head == 1:
            gradOutputs.mul(inputs.size(0))
        net.backward(inputs, gradOutputs)
        _, fs = optim.sgd(fevaltrunk, pt, optimState['trunk'])
        assert fs[0] is model.trunk.output
        optim.sgd(feval, params, state)
    assert (pt - start).abs().max() > 0
    conv = modelsv['model'].trunk.get(0).get(1)
    assert conv.weight.storage() is pt.storage()
    with pytest.raises(FloatingPointError):
        optim.sgd(lambda _: (lg.Tensor([1.0, float('nan')]), gt), pt, optimState['trunk'])


def test_deepmask_inference_turns_linear_layers_into_convolutions():
    """DeepMask:inference (modelUtils.lua linear2convTrunk/linear2convHead through Module:replace): each Linear
    becomes a cudnn.SpatialConvolution built from ``torch.reshape(x.weight, nOut, nInp, fSz, fSz)`` with
    ``nInp = x.weight:size(2)/(fSz*fSz)`` (a whole float, as Lua's numbers), the crop and Views become
    Identities, Threshold becomes ReLU. On a training-size patch the centre of the convolutional output is the
    Linear trunk's output."""
    lg.manualSeed(2)
    model = DeepMask(CONFIG)
    model.evaluate()
    inputs = lg.randn(2, 3, 64, 64)
    feat = model.trunk.forward(inputs).clone()
    score = model.scoreBranch.forward(feat).clone()
    model.inference()
    assert not model.trunk.findModules('nn.Linear')[0] and not model.trunk.findModules('nn.View')[0]
    conv = model.trunk.forward(inputs)
    assert tuple(conv.size()) == (2, 512, 3, 3)
    np.testing.assert_allclose(conv[:, :, 1, 1].numpy(), feat.numpy(), rtol=1e-4, atol=1e-5)
    s = model.scoreBranch.forward(conv)
    np.testing.assert_allclose(s[:, :, 1, 1].numpy(), score.numpy(), rtol=1e-4, atol=1e-5)
    assert tuple(model.maskBranch.forward(conv).size()) == (2, 64, 3, 3)


def test_sharpmask_refinement_forward_backward():
    """SharpMask.lua: ParallelTable of the horizontal (skip) and vertical nets, ``nn.CAddTable(2)`` (a truthy
    in-place flag), SpatialUpSamplingNearest(2), refs kept in a table with a key 0, the trunk's intermediate
    outputs read from ``trunk.modules[skpos[k]].output``; backward hands each refinement its input pair and
    keeps the vertical gradient; setnpinference resets the first View from its ``size``."""
    lg.manualSeed(3)
    config = dict(CONFIG, iSz=64, gSz=64, km=32, ks=32)
    sm = SharpMask(config, DeepMask(config))
    x = lg.randn(2, 3, 96, 96)
    y = sm.forward(x)
    assert tuple(y.size()) == (2, 64 * 64)
    sm.zeroGradParameters()
    before = sm.refs[4].modules[-2].weight.clone()
    assert tuple(sm.backward(x, lg.randn(2, 64 * 64)).size()) == (2, 512)
    sm.updateParameters(0.01)
    assert (sm.refs[4].modules[-2].weight - before).abs().max() > 0
    sm.setnpinference(5)
    assert tuple(sm.refs[0].modules[1].size) == (5, 32, 4, 4)


class IouMeter:
    """trainMeters.lua's IouMeter: LuaJIT pointer loops (``for b = 0,batch-1``, ``pPtr[id]``,
    ``iouptr[self.n+b]``) index from 0 already and keep their numbers with ``x.data()``."""

    def __init__(self, thr, sz):
        self.sz = sz
        self.iou = lg.Tensor(sz)
        self.thr = math.log(thr / (1 - thr))
        self.reset()

    def reset(self):
        self.iou.zero()
        self.n = 0

    def add(self, output, target):
        target, output = target.squeeze().float(), output.squeeze().float()
        assert output.nElement() == target.nElement(), 'target and output do not match'
        batch, h, w = output.size(0), output.size(1), output.size(2)
        nOuts = h * w
        iouptr = self.iou.data()
        pred = output.ge(self.thr)
        pPtr, tPtr = pred.data(), target.data()
        for b in range(0, batch):
            int_, uni = 0, 0
            for i in range(0, nOuts):
                id_ = b * nOuts + i
                if pPtr[id_] == 1 and tPtr[id_] == 1:
                    int_ = int_ + 1
                if pPtr[id_] == 1 or tPtr[id_] == 1:
                    uni = uni + 1
            if uni > 0:
                iouptr[self.n + b] = int_ / uni
        self.n = self.n + batch

    def value(self, s):
        nb = max(self.iou.ne(0).sum(), 1)
        iou = self.iou.narrow(0, 0, nb)
        if s == 'mean':
            res = iou.mean()
        elif s == 'median':
            res = iou.median()[0].squeeze()       # iou:median():squeeze(): median's first value
        else:
            iouSort, _ = iou.sort()
            res = iouSort.ge(float(s)).sum() / nb
        return res * 100


def test_iou_meter_pointer_loops():
    """TrainerDeepMask.lua's test meter (trainMeters.lua IouMeter) against NumPy's IoU of thresholded masks."""
    m = IouMeter(0.5, 20)
    out, tgt = lg.randn(3, 4, 4), lg.Tensor(3, 4, 4).bernoulli(0.5)
    m.add(out, tgt)
    P, T = out.numpy() >= 0, tgt.numpy() == 1
    ref = (P & T).sum((1, 2)) / (P | T).sum((1, 2))
    np.testing.assert_allclose(m.iou.numpy()[:3], ref, rtol=1e-6)
    assert m.value('mean') == pytest.approx(ref.mean() * 100, rel=1e-6)
    assert m.value('median') == pytest.approx(np.sort(ref)[1] * 100, rel=1e-6)
    assert m.value('0.3') == pytest.approx((ref >= 0.3).mean() * 100)
