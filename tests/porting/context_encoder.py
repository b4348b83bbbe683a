"""pathak22/context-encoder (Context Encoders: feature learning by inpainting) ported line by line: train.lua and
train_random.lua (one ``train`` below: train_random.lua is train.lua with the random-region mask in place of the
centre, and the ``script`` option names which file a line comes from), test.lua and test_random.lua (``test``),
demo.lua, util.lua, data/data.lua and data/donkey_folder.lua. data/dataset.lua is soumith/imagenet-multiGPU.torch's
dataset.lua (the one difference, ``find -H`` for ``find``, only follows a symlinked folder), whose port
tests/porting/test_imagenet_multigpu_donkeys.py holds and this one imports.

Mechanical edits: ``opt`` is a dict (``os.getenv`` overrides are the test's ``opt`` changes); 1-based ranges
``{1 + fineSize/4, fineSize/2 + fineSize/4}`` are the slices ``fineSize / 4 : fineSize / 2 + fineSize / 4``
(whole-number float bounds, as Lua computes them); ``{1}``, ``{2}``, ``{3}``
of a channel are ``0:1``, ``1:2``, ``2:3``; ``torch.uniform``'s fractional corner of the random mask is
truncated with ``int`` as Torch7's range indexing truncates it (docs/porting.md); ``JoinTable(2)`` is
``JoinTable(1)``; a donkey's globals (``opt``, ``tid``, ``trainLoader``) are ``threads.local``'s;
``paths.dofile('donkey_folder.lua')`` is ``donkey_folder()``; ``local real_ctx = data:getBatch()`` keeps the
first of the two values Lua's ``unpack(res)`` returns (``[0]``); the ``display`` package is not ported
(``opt['display']`` is 0), so train.lua's display block (lines 418-435) and the Timers (tm, data_tm, epoch_tm) are
left out; ``cutorch.setDevice(opt.gpu)`` is device ``opt.gpu - 1``; the donkey's ``opt = options`` is
``dict(options)``, the copy torch/threads' serialisation makes (docs/porting.md). The lines the Lua repeats in
every script (the centre's ranges, its three mean-value fills, the mask search, the joint-loss branch) are the
helpers ``centre``, ``inner``, ``fill_centre``, ``random_mask`` and ``joint_gradient``.

Stand-ins, for size: the widths (nef, ngf, ndf, nBottleneck, nz), the batch and the image folder are tiny;
train_random's pattern is drawn at ``MAX_SIZE = opt['maskPatternSize']`` (10000 in the Lua: a 10000x10000 bicubic
resize); the epoch of the checkpoints (20 in the Lua) is ``opt['checkpointEvery']``; the number of epochs
(``niter``) and examples per epoch (``ntrain``) are one batch or two.
"""
import functools
import math
import os

import legonn as lg
from legonn import cudnn, image, nn, optim, paths, threads

from tests.porting.test_imagenet_multigpu_donkeys import dataLoader
from tests.porting.test_pix2pix import weights_init     # train.lua:58-67 is pix2pix's (and dcgan's) weights_init

MEAN_FILL = (2 * 117.0 / 255.0 - 1.0, 2 * 104.0 / 255.0 - 1.0, 2 * 123.0 / 255.0 - 1.0)


# --- util.lua ----------------------------------------------------------------------------------------------------

class util:
    @staticmethod
    def recursiveTableClear(mAttribute, compulsoryAttr=None):
        """Lines 8-22: a fresh empty tensor of the same type for each tensor (or table of them)."""
        compulsoryAttr = True if compulsoryAttr is None else compulsoryAttr
        if isinstance(mAttribute, list):
            for i in range(len(mAttribute)):
                mAttribute[i] = util.recursiveTableClear(mAttribute[i])
            return mAttribute
        if compulsoryAttr:
            return mAttribute.new()
        return mAttribute.new() if mAttribute is not None else None

    @staticmethod
    def recursiveSave(netsave):
        """Lines 25-71."""
        for k, l in enumerate(netsave.modules):
            # check if itself is a parent module
            if getattr(netsave.modules[k], 'modules', None) is not None:
                util.recursiveSave(netsave.modules[k])

            # convert to CPU compatible model
            if lg.type(l) == 'cudnn.SpatialConvolution':
                new = nn.SpatialConvolution(l.nInputPlane, l.nOutputPlane, l.kW, l.kH, l.dW, l.dH, l.padW, l.padH)
                new.weight.copy(l.weight)
                new.bias.copy(l.bias)
                netsave.modules[k] = new
            elif lg.type(l) == 'fbnn.SpatialBatchNormalization':
                new = nn.SpatialBatchNormalization(l.weight.size(0), l.eps, l.momentum, l.affine)
                new.running_mean.copy(l.running_mean)
                new.running_std.copy(l.running_std)
                if l.affine:
                    new.weight.copy(l.weight)
                    new.bias.copy(l.bias)
                netsave.modules[k] = new

            # clean up buffers
            m = netsave.modules[k]
            m.output = util.recursiveTableClear(m.output)
            m.gradInput = util.recursiveTableClear(m.gradInput)
            m.finput = util.recursiveTableClear(getattr(m, 'finput', None), False)
            m.fgradInput = util.recursiveTableClear(getattr(m, 'fgradInput', None), False)
            m.buffer = None
            m.buffer2 = None
            m.centered = None
            m.std = None
            m.normalized = None
            if getattr(m, 'weight', None) is not None:
                m.weight = m.weight.clone()
                m.gradWeight = m.gradWeight.clone()
                m.bias = m.bias.clone()
                m.gradBias = m.gradBias.clone()

    @staticmethod
    def save(filename, net, gpu):
        """Lines 72-97."""
        net.float()     # if needed, bring back to CPU
        netsave = net.clone()
        if gpu > 0:
            net.cuda()
        util.recursiveSave(netsave)
        netsave.output = util.recursiveTableClear(netsave.output)
        netsave.gradInput = util.recursiveTableClear(netsave.gradInput)

        # applies recursively to all containers as well
        def drop_gradients(m):
            if getattr(m, 'weight', None) is not None:
                m.gradWeight = None
                m.gradBias = None
        netsave.apply(drop_gradients)
        lg.save(filename, netsave)

    @staticmethod
    def load(filename, gpu):
        """Lines 99-105."""
        net = lg.load(filename)

        def zero_gradients(m):
            if getattr(m, 'weight', None) is not None:
                m.gradWeight = m.weight.clone().zero()
                m.gradBias = m.bias.clone().zero()
        net.apply(zero_gradients)
        return net

    @staticmethod
    def recursiveCudnn(net):
        """Lines 107-124."""
        for k, l in enumerate(net.modules):
            if getattr(net.modules[k], 'modules', None) is not None:
                util.recursiveCudnn(net.modules[k])
            if lg.type(l) == 'nn.SpatialConvolution':
                new = cudnn.SpatialConvolution(l.nInputPlane, l.nOutputPlane, l.kW, l.kH, l.dW, l.dH, l.padW, l.padH)
                new.weight.copy(l.weight)
                new.bias.copy(l.bias)
                net.modules[k] = new

    @staticmethod
    def cudnn(net):
        util.recursiveCudnn(net)
        return net


# --- data/donkey_folder.lua --------------------------------------------------------------------------------------

def donkey_folder():
    """donkey_folder.lua, run in a donkey: sets the donkey's global ``trainLoader``."""
    G = threads.local
    opt = G.opt
    # Check for existence of opt.data
    opt['data'] = os.getenv('DATA_ROOT')
    if not paths.dirp(opt['data']):
        raise RuntimeError('Did not find directory: ')     # error(msg, level): the path is the level, not printed

    # a cache file of the training metadata (if doesnt exist, will be created)
    cache = "cache"
    cache_prefix = opt['data'].replace('/', '_')
    os.system('mkdir -p cache')
    trainCache = paths.concat(cache, cache_prefix + '_trainCache.t7')

    nc = opt['nc']
    loadSize = [nc, opt['loadSize']]
    sampleSize = [nc, opt['fineSize']]

    def loadImage(path):
        input = image.load(path, nc, 'float')
        # find the smaller dimension, and resize it to loadSize[2] (while keeping aspect ratio)
        if loadSize[1] > 0:
            iW = input.size(2)
            iH = input.size(1)
            if iW < iH:
                input = image.scale(input, loadSize[1], loadSize[1] * iH / iW)
            else:
                input = image.scale(input, loadSize[1] * iW / iH, loadSize[1])
        elif loadSize[1] < 0:
            scalef = 0
            if loadSize[1] == -1:
                scalef = lg.uniform(0.5, 1.5)
            else:
                scalef = lg.uniform(1, 3)
            iW = scalef * input.size(2)
            iH = scalef * input.size(1)
            input = image.scale(input, iH, iW)
        return input

    # function to load the image, jitter it appropriately (random crops etc.)
    def trainHook(self, path):
        input = loadImage(path)
        iW = input.size(2)
        iH = input.size(1)

        # do random crop
        oW = sampleSize[1]
        oH = sampleSize[1]
        h1 = math.ceil(lg.uniform(1e-2, iH - oH))
        w1 = math.ceil(lg.uniform(1e-2, iW - oW))
        out = image.crop(input, w1, h1, w1 + oW, h1 + oH)
        assert out.size(1) == oW
        assert out.size(2) == oH
        # do hflip with probability 0.5
        if lg.uniform() > 0.5:
            out = image.hflip(out)
        out.mul(2).add(-1)   # make it [0, 1] -> [-1, 1]
        return out

    if paths.filep(trainCache):
        print('Loading train metadata from cache')
        G.trainLoader = lg.load(trainCache)
        G.trainLoader.sampleHookTrain = trainHook
        G.trainLoader.loadSize = [nc, opt['loadSize'], opt['loadSize']]
        G.trainLoader.sampleSize = [nc, sampleSize[1], sampleSize[1]]
    else:
        print('Creating train metadata')
        G.trainLoader = dataLoader({'paths': [opt['data']], 'loadSize': [nc, loadSize[1], loadSize[1]],
                                    'sampleSize': [nc, sampleSize[1], sampleSize[1]], 'split': 100,
                                    'verbose': True})
        lg.save(trainCache, G.trainLoader)
        print('saved metadata cache at', trainCache)
        G.trainLoader.sampleHookTrain = trainHook

    # do some sanity checks on trainLoader
    class_ = G.trainLoader.imageClass
    nClasses = len(G.trainLoader.classes)
    assert class_.max() < nClasses, "class logic has error"      # classes are 0-based
    assert class_.min() >= 0, "class logic has error"


# --- data/data.lua -----------------------------------------------------------------------------------------------

def _donkey_init():
    pass                                        # require 'torch'


def _donkey_main(options, idx):
    G = threads.local
    G.opt = dict(options)       # the donkey's own copy, as torch/threads serialises the upvalue (porting.md)
    G.tid = idx
    seed = (G.opt['manualSeed'] if G.opt.get('manualSeed') else 0) + idx
    lg.manualSeed(seed)
    lg.setnumthreads(1)
    print('Starting donkey with id: %d seed: %d' % (G.tid, seed))
    assert options, 'options not found'
    assert G.opt, 'opt not given'
    donkey_folder()


def _trainLoaderSize():
    return threads.local.trainLoader.size()


def _getFromThreads():
    opt = threads.local.opt
    assert opt['batchSize'], 'opt.batchSize not found'
    return threads.local.trainLoader.sample(opt['batchSize'])


class _InlineJobs:
    """data.lua's ``n == 0`` stand-in for the pool: a job runs at once and its result goes to the callback."""

    def addjob(self, f1, f2):
        result = f1()
        f2(*result) if isinstance(result, tuple) else f2(result)     # Lua's f2(f1()) spreads every value

    def dojob(self):
        pass

    def synchronize(self):
        pass


class data:
    """data.lua's loader: ``data.new(n, opt)`` starts ``n`` donkeys (or runs the jobs inline for 0) and keeps
    one batch job queued per donkey; ``getBatch()`` queues one more and returns the oldest result's values."""

    @classmethod
    def new(cls, n, opt_):
        opt_ = opt_ or {}
        self = cls()
        self.result = []
        if n > 0:
            options = opt_
            self.threads = threads.Threads(n, _donkey_init, functools.partial(_donkey_main, options))
        else:
            threads.local.opt = opt_
            donkey_folder()
            self.threads = _InlineJobs()

        nSamples = 0

        def keep_size(c):
            nonlocal nSamples
            nSamples = c
        self.threads.addjob(_trainLoaderSize, keep_size)
        self.threads.synchronize()
        self._size = nSamples

        for i in range(n):
            self.threads.addjob(_getFromThreads, self._pushResult)
        return self

    def _pushResult(self, *res):
        self.result[:1] = [res]

    def getBatch(self):
        # queue another job
        self.threads.addjob(_getFromThreads, self._pushResult)
        self.threads.dojob()
        res = self.result[0]
        self.result[:1] = []
        return res              # Lua's unpack(res): data, scalarLabels

    def size(self):
        return self._size


# --- train.lua / train_random.lua --------------------------------------------------------------------------------

def centre(opt):
    """The ``{1 + fineSize/4, fineSize/2 + fineSize/4}`` range of the centre, as a slice."""
    return slice(opt['fineSize'] / 4, opt['fineSize'] / 2 + opt['fineSize'] / 4)


def inner(opt, offset):
    """The centre less ``overlapPred`` pixels on each side: ``{1 + offset + overlapPred, fineSize/2 + offset -
    overlapPred}`` with offset fineSize/4 in the image, 0 in the predicted centre."""
    return slice(offset + opt['overlapPred'], opt['fineSize'] / 2 + offset - opt['overlapPred'])


def fill_centre(image_ctx, opt, values):
    """The three lines ``image_ctx[{{},{c},{...},{...}}] = value`` of train.lua, test.lua and demo.lua."""
    s = inner(opt, opt['fineSize'] / 4)
    for c in range(3):
        image_ctx[:, c:c + 1, s, s] = values[c]


def random_pattern(opt):
    """train_random.lua's pattern (lines 273-284): a bicubic upscaling of uniform noise, thresholded at 25%."""
    res = 0.06      # the lower it is, the more continuous the output will be
    density = 0.25
    MAX_SIZE = opt['maskPatternSize']
    low_pattern = lg.Tensor(res * MAX_SIZE, res * MAX_SIZE).uniform(0, 1).mul(255)
    pattern = image.scale(low_pattern, MAX_SIZE, MAX_SIZE, 'bicubic')
    low_pattern = None
    pattern.div(255)
    pattern = lg.lt(pattern, density).byte()     # 25% 1s and 75% 0s
    pattern = pattern.byte()
    print('...Random pattern generated')
    return pattern


def random_mask(pattern, opt):
    """train_random.lua's mask search (lines 316-330): a fineSize window of the pattern with 20-30% ones."""
    MAX_SIZE = pattern.size(0)
    wastedIter = 0
    while True:
        x = lg.uniform(1, MAX_SIZE - opt['fineSize'])
        y = lg.uniform(1, MAX_SIZE - opt['fineSize'])
        # {y, y+fineSize-1}: Torch7 truncates the fractional bounds
        mask = pattern[int(y) - 1:int(y + opt['fineSize'] - 1), int(x) - 1:int(x + opt['fineSize'] - 1)]
        area = mask.sum() * 100. / (opt['fineSize'] * opt['fineSize'])
        if area > 20 and area < 30:     # want it to be approx 75% 0s and 25% 1s
            break
        wastedIter = wastedIter + 1
    return mask


def build_nets(opt):
    """Lines 69-199 of train.lua (the ``fineSize == 128`` blocks and 128-pixel output of train_random.lua)."""
    random = opt['script'] == 'train_random.lua'
    nc = opt['nc']
    nz = opt['nz']
    nBottleneck = opt['nBottleneck']
    ndf = opt['ndf']
    ngf = opt['ngf']
    nef = opt['nef']
    SpatialBatchNormalization = nn.SpatialBatchNormalization
    SpatialConvolution = nn.SpatialConvolution
    SpatialFullConvolution = nn.SpatialFullConvolution

    # Encode Input Context to noise (architecture similar to Discriminator)
    netE = nn.Sequential()
    netE.add(SpatialConvolution(nc, nef, 4, 4, 2, 2, 1, 1))
    netE.add(nn.LeakyReLU(0.2, True))
    if not random or opt['fineSize'] == 128:
        netE.add(SpatialConvolution(nef, nef, 4, 4, 2, 2, 1, 1))
        netE.add(SpatialBatchNormalization(nef)).add(nn.LeakyReLU(0.2, True))
    netE.add(SpatialConvolution(nef, nef * 2, 4, 4, 2, 2, 1, 1))
    netE.add(SpatialBatchNormalization(nef * 2)).add(nn.LeakyReLU(0.2, True))
    netE.add(SpatialConvolution(nef * 2, nef * 4, 4, 4, 2, 2, 1, 1))
    netE.add(SpatialBatchNormalization(nef * 4)).add(nn.LeakyReLU(0.2, True))
    netE.add(SpatialConvolution(nef * 4, nef * 8, 4, 4, 2, 2, 1, 1))
    netE.add(SpatialBatchNormalization(nef * 8)).add(nn.LeakyReLU(0.2, True))
    netE.add(SpatialConvolution(nef * 8, nBottleneck, 4, 4))
    # state size: (nBottleneck) x 1 x 1

    netG = nn.Sequential()
    nz_size = nBottleneck
    if opt['noiseGen']:
        netG_noise = nn.Sequential()
        netG_noise.add(SpatialConvolution(nz, nz, 1, 1, 1, 1, 0, 0))
        netG_pl = nn.ParallelTable()
        netG_pl.add(netE)
        netG_pl.add(netG_noise)
        netG.add(netG_pl)
        netG.add(nn.JoinTable(1))
        netG.add(SpatialBatchNormalization(nBottleneck + nz)).add(nn.LeakyReLU(0.2, True))
        nz_size = nBottleneck + nz
    else:
        netG.add(netE)
        netG.add(SpatialBatchNormalization(nBottleneck)).add(nn.LeakyReLU(0.2, True))
        nz_size = nBottleneck

    # Decode noise to generate image
    netG.add(SpatialFullConvolution(nz_size, ngf * 8, 4, 4))
    netG.add(SpatialBatchNormalization(ngf * 8)).add(nn.ReLU(True))
    netG.add(SpatialFullConvolution(ngf * 8, ngf * 4, 4, 4, 2, 2, 1, 1))
    netG.add(SpatialBatchNormalization(ngf * 4)).add(nn.ReLU(True))
    netG.add(SpatialFullConvolution(ngf * 4, ngf * 2, 4, 4, 2, 2, 1, 1))
    netG.add(SpatialBatchNormalization(ngf * 2)).add(nn.ReLU(True))
    netG.add(SpatialFullConvolution(ngf * 2, ngf, 4, 4, 2, 2, 1, 1))
    netG.add(SpatialBatchNormalization(ngf)).add(nn.ReLU(True))
    if random and opt['fineSize'] == 128:
        netG.add(SpatialFullConvolution(ngf, ngf, 4, 4, 2, 2, 1, 1))
        netG.add(SpatialBatchNormalization(ngf)).add(nn.ReLU(True))
    netG.add(SpatialFullConvolution(ngf, nc, 4, 4, 2, 2, 1, 1))
    netG.add(nn.Tanh())
    netG.apply(weights_init)

    netD = nn.Sequential()
    if opt['conditionAdv']:
        assert not random, 'conditional adv not implemented'
        netD_ctx = nn.Sequential()
        netD_ctx.add(SpatialConvolution(nc, ndf, 5, 5, 2, 2, 2, 2))
        netD_pred = nn.Sequential()
        netD_pred.add(SpatialConvolution(nc, ndf, 5, 5, 2, 2, 2 + 32, 2 + 32))  # 32: keep the context's scaling
        netD_pl = nn.ParallelTable()
        netD_pl.add(netD_ctx)
        netD_pl.add(netD_pred)
        netD.add(netD_pl)
        netD.add(nn.JoinTable(1))
        netD.add(nn.LeakyReLU(0.2, True))
        netD.add(SpatialConvolution(ndf * 2, ndf, 4, 4, 2, 2, 1, 1))
        netD.add(SpatialBatchNormalization(ndf)).add(nn.LeakyReLU(0.2, True))
    else:
        netD.add(SpatialConvolution(nc, ndf, 4, 4, 2, 2, 1, 1))
        netD.add(nn.LeakyReLU(0.2, True))
    if random and opt['fineSize'] == 128:
        netD.add(SpatialConvolution(ndf, ndf, 4, 4, 2, 2, 1, 1))
        netD.add(SpatialBatchNormalization(ndf)).add(nn.LeakyReLU(0.2, True))
    netD.add(SpatialConvolution(ndf, ndf * 2, 4, 4, 2, 2, 1, 1))
    netD.add(SpatialBatchNormalization(ndf * 2)).add(nn.LeakyReLU(0.2, True))
    netD.add(SpatialConvolution(ndf * 2, ndf * 4, 4, 4, 2, 2, 1, 1))
    netD.add(SpatialBatchNormalization(ndf * 4)).add(nn.LeakyReLU(0.2, True))
    netD.add(SpatialConvolution(ndf * 4, ndf * 8, 4, 4, 2, 2, 1, 1))
    netD.add(SpatialBatchNormalization(ndf * 8)).add(nn.LeakyReLU(0.2, True))
    netD.add(SpatialConvolution(ndf * 8, 1, 4, 4))
    netD.add(nn.Sigmoid())
    netD.add(nn.View(1).setNumInputDims(3))
    netD.apply(weights_init)
    return netG, netD


def wtl2_matrix(df_dg_l2, opt, mask_global=None):
    """The per-pixel L2 weights of train.lua lines 380-382 (train_random.lua 425-429): ``overlapL2Weight * wtl2``
    on the overlap border (or the unmasked pixels), ``wtl2`` inside."""
    overlapL2Weight = 10
    wtl2Matrix = df_dg_l2.clone().fill(overlapL2Weight * opt['wtl2'])
    if mask_global is None:
        s = inner(opt, 0)
        wtl2Matrix[:, :, s, s].fill(opt['wtl2'])
    else:
        for i in range(3):
            wtl2Matrix[:, i:i + 1, :, :][mask_global] = opt['wtl2']
    return wtl2Matrix


def joint_gradient(df_dg, df_dg_l2, errG, errG_l2, opt, mask_global=None):
    """train.lua lines 366-390: the adversarial gradient and the (weighted) L2 one summed into ``df_dg``;
    returns ``errG_total``."""
    overlap = opt['useOverlapPred'] if opt['script'] == 'train_random.lua' else opt['overlapPred']
    if overlap == 0:
        if opt['wtl2'] > 0 and opt['wtl2'] < 1:
            df_dg.mul(1 - opt['wtl2']).add(opt['wtl2'], df_dg_l2)
            return (1 - opt['wtl2']) * errG + opt['wtl2'] * errG_l2
        df_dg.add(opt['wtl2'], df_dg_l2)
        return errG + opt['wtl2'] * errG_l2
    wtl2Matrix = wtl2_matrix(df_dg_l2, opt, mask_global)
    if opt['wtl2'] > 0 and opt['wtl2'] < 1:
        df_dg.mul(1 - opt['wtl2']).addcmul(1, wtl2Matrix, df_dg_l2)
        return (1 - opt['wtl2']) * errG + opt['wtl2'] * errG_l2
    df_dg.addcmul(1, wtl2Matrix, df_dg_l2)
    return errG + opt['wtl2'] * errG_l2


DEFAULTS = dict(batchSize=64, loadSize=350, fineSize=128, nBottleneck=100, nef=64, ngf=64, ndf=64, nc=3, wtl2=0,
                overlapPred=0, useOverlapPred=0, nThreads=4, niter=25, lr=0.0002, beta1=0.5, ntrain=math.inf,
                display=0, display_id=10, display_iter=50, gpu=1, name='train1', manualSeed=0, conditionAdv=0,
                noiseGen=0, noisetype='normal', nz=100, script='train.lua', maskPatternSize=10000,
                checkpointEvery=20)


def train(opt, record=None):
    """train.lua (train_random.lua with ``opt['script']``) from line 35 on; ``record`` collects per-step figures
    the Lua prints (errD, errG, errG_l2) and the last masks."""
    record = {} if record is None else record
    random = opt['script'] == 'train_random.lua'
    if opt['display'] == 0:
        opt['display'] = False
    if opt['conditionAdv'] == 0:
        opt['conditionAdv'] = False
    if opt['noiseGen'] == 0:
        opt['noiseGen'] = False

    if opt['manualSeed'] == 0:
        opt['manualSeed'] = lg.random(1, 10001)     # torch.random(1, 10000): the upper end is exclusive here
    print("Seed: " + str(opt['manualSeed']))
    lg.manualSeed(opt['manualSeed'])
    lg.setnumthreads(1)
    lg.setdefaulttensortype('torch.FloatTensor')

    # create data loader
    data_ = data.new(opt['nThreads'], opt)
    print("Dataset Size: ", data_.size())

    nc = opt['nc']
    nz = opt['nz']
    real_label = 1
    fake_label = 0
    netG, netD = build_nets(opt)

    criterion = nn.BCECriterion()
    criterionMSE = None
    if opt['wtl2'] != 0:
        criterionMSE = nn.MSECriterion()

    optimStateG = {'learningRate': opt['lr'] * 10 if 0 < opt['wtl2'] < 1 else opt['lr'], 'beta1': opt['beta1']}
    optimStateD = {'learningRate': opt['lr'], 'beta1': opt['beta1']}

    fs = opt['fineSize']
    out_size = fs if random else fs / 2
    mask_global = lg.ByteTensor(opt['batchSize'], fs, fs) if random else None
    input_ctx = lg.Tensor(opt['batchSize'], nc, fs, fs)
    input_center = lg.Tensor(opt['batchSize'], nc, out_size, out_size)
    input_real_center = None
    if opt['wtl2'] != 0:
        input_real_center = lg.Tensor(opt['batchSize'], nc, out_size, out_size)
    noise = lg.Tensor(opt['batchSize'], nz, 1, 1)
    label = lg.Tensor(opt['batchSize'])

    if opt['gpu'] > 0:
        from legonn import cutorch
        cutorch.setDevice(opt['gpu'] - 1)
        input_ctx = input_ctx.cuda(); input_center = input_center.cuda()
        noise = noise.cuda(); label = label.cuda()
        netG = util.cudnn(netG); netD = util.cudnn(netD)
        netD.cuda(); netG.cuda(); criterion.cuda()
        if opt['wtl2'] != 0:
            criterionMSE.cuda(); input_real_center = input_real_center.cuda()

    parametersD, gradParametersD = netD.getParameters()
    parametersG, gradParametersG = netG.getParameters()
    pattern = random_pattern(opt) if random else None

    def zero_conv_biases(m):
        if 'Convolution' in lg.type(m):
            m.bias.zero()

    def fDx(x):
        netD.apply(zero_conv_biases)
        netG.apply(zero_conv_biases)
        gradParametersD.zero()

        # train with real
        real_ctx = data_.getBatch()[0]
        if random:
            real_center = real_ctx      # view
        else:
            real_center = real_ctx[:, :, centre(opt), centre(opt)].clone()   # copy by value
            fill_centre(real_ctx, opt, MEAN_FILL)
            input_ctx.copy(real_ctx)
        input_center.copy(real_center)
        if opt['wtl2'] != 0:
            input_real_center.copy(real_center)
        if random:
            mask = random_mask(pattern, opt)
            lg.repeatTensor(mask_global, mask, opt['batchSize'], 1, 1)
            for c in range(3):
                real_ctx[:, c:c + 1, :, :][mask_global] = MEAN_FILL[c]
            input_ctx.copy(real_ctx)
            record['mask_global'] = mask_global.clone()
        record['input_ctx'] = input_ctx.clone()
        record['real_center'] = input_center.clone()
        label.fill(real_label)

        d_input = [input_ctx, input_center] if opt['conditionAdv'] else input_center
        output = netD.forward(d_input)
        errD_real = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward(d_input, df_do)

        # train with fake
        if opt['noisetype'] == 'uniform':
            noise.uniform(-1, 1)
        elif opt['noisetype'] == 'normal':
            noise.normal(0, 1)
        fake = netG.forward([input_ctx, noise] if opt['noiseGen'] else input_ctx)
        input_center.copy(fake)
        label.fill(fake_label)

        output = netD.forward(d_input)
        errD_fake = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward(d_input, df_do)

        errD = errD_real + errD_fake
        record.setdefault('errD', []).append(errD)
        return errD, gradParametersD

    def fGx(x):
        netD.apply(zero_conv_biases)
        netG.apply(zero_conv_biases)
        gradParametersG.zero()

        label.fill(real_label)   # fake labels are real for generator cost
        output = netD.output     # netD:forward was already executed in fDx, so save computation
        errG = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        if opt['conditionAdv']:
            df_dg = netD.updateGradInput([input_ctx, input_center], df_do)
            df_dg = df_dg[1]     # df_dg[2] because conditional GAN
        else:
            df_dg = netD.updateGradInput(input_center, df_do)

        errG_total = errG
        if opt['wtl2'] != 0:
            errG_l2 = criterionMSE.forward(input_center, input_real_center)
            df_dg_l2 = criterionMSE.backward(input_center, input_real_center)
            errG_total = joint_gradient(df_dg, df_dg_l2, errG, errG_l2, opt, mask_global)
            record.setdefault('errG_l2', []).append(errG_l2)
        record['df_dg'] = df_dg.clone()
        netG.backward([input_ctx, noise] if opt['noiseGen'] else input_ctx, df_dg)
        record.setdefault('errG', []).append(errG)
        record.setdefault('errG_total', []).append(errG_total)
        return errG_total, gradParametersG

    for epoch in range(1, opt['niter'] + 1):
        counter = 0
        for i in range(1, int(min(data_.size(), opt['ntrain'])) + 1, opt['batchSize']):
            optim.adam(fDx, parametersD, optimStateD)   # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
            optim.adam(fGx, parametersG, optimStateG)   # (2) Update G: maximize log(D(G(z)))
            counter = counter + 1
            if ((i - 1) / opt['batchSize']) % 1 == 0:
                print(('Epoch: [%d][%8d / %8d]\t Err_G_L2: %.4f   Err_G: %.4f  Err_D: %.4f') % (
                    epoch, ((i - 1) / opt['batchSize']),
                    math.floor(min(data_.size(), opt['ntrain']) / opt['batchSize']),
                    record['errG_l2'][-1] if 'errG_l2' in record else -1, record['errG'][-1], record['errD'][-1]))
        paths.mkdir('checkpoints')
        parametersD, gradParametersD = None, None    # nil them to avoid spiking memory
        parametersG, gradParametersG = None, None
        if epoch % opt['checkpointEvery'] == 0:
            util.save('checkpoints/' + opt['name'] + '_' + str(epoch) + '_net_G.t7', netG, opt['gpu'])
            util.save('checkpoints/' + opt['name'] + '_' + str(epoch) + '_net_D.t7', netD, opt['gpu'])
        parametersD, gradParametersD = netD.getParameters()     # reflatten the params and get them
        parametersG, gradParametersG = netG.getParameters()
    record['pattern'] = pattern
    return netG, netD, record


# --- test.lua / test_random.lua ----------------------------------------------------------------------------------

TEST_DEFAULTS = dict(batchSize=30, net='', name='test1', gpu=1, nc=3, display=0, loadSize=0, fineSize=128,
                     nThreads=1, manualSeed=0, overlapPred=0, useOverlapPred=0, noiseGen=0, noisetype='normal',
                     nz=100, script='test.lua', maskPatternSize=10000)


def test(opt):
    """test.lua (test_random.lua with ``opt['script']``) from line 26 on; returns the tensors it saves or shows:
    the context with the prediction pasted in, the prediction, the real centre, and the saved image."""
    random = opt['script'] == 'test_random.lua'
    if opt['display'] == 0:
        opt['display'] = False
    if opt['noiseGen'] == 0:
        opt['noiseGen'] = False
    if opt['manualSeed'] == 0:
        opt['manualSeed'] = lg.random(1, 10001)
    lg.manualSeed(opt['manualSeed'])

    # load Context-Encoder
    assert opt['net'] != '', 'provide a generator model'
    net = util.load(opt['net'], opt['gpu'])
    net.evaluate()

    fs = opt['fineSize']
    input_image_ctx = lg.Tensor(opt['batchSize'], opt['nc'], fs, fs)
    noise = None
    if opt['noiseGen']:
        noise = lg.Tensor(opt['batchSize'], opt['nz'], 1, 1)
        if opt['noisetype'] == 'uniform':
            noise.uniform(-1, 1)
        elif opt['noisetype'] == 'normal':
            noise.normal(0, 1)

    if opt['gpu'] > 0:
        net = util.cudnn(net)
        net.cuda()
        input_image_ctx = input_image_ctx.cuda()
        if opt['noiseGen']:
            noise = noise.cuda()
    else:
        net.float()

    pattern = random_pattern(opt) if random else None

    # load data
    data_ = data.new(opt['nThreads'], opt)
    image_ctx = data_.getBatch()[0]

    if random:
        mask = random_mask(pattern, opt)
        mask = lg.repeatTensor(mask, opt['batchSize'], 1, 1)
        real_center = image_ctx.clone()     # original input image
        for c in range(3):                  # fill masked region with mean value
            image_ctx[:, c:c + 1, :, :][mask] = MEAN_FILL[c]
    else:
        real_center = image_ctx[:, :, centre(opt), centre(opt)].clone()     # copy by value
        fill_centre(image_ctx, opt, MEAN_FILL)
    input_image_ctx.copy(image_ctx)

    # run Context-Encoder to inpaint center
    pred_center = net.forward([input_image_ctx, noise] if opt['noiseGen'] else input_image_ctx)
    print('Prediction: Min, Max, Mean, Stdv: ', pred_center.min(), pred_center.max(), pred_center.mean(),
          pred_center.std())

    # paste predicted center in the context
    if random:
        for c in range(3):
            image_ctx[:, c:c + 1, :, :][mask] = pred_center[:, c:c + 1, :, :][mask].float()
    else:
        image_ctx[:, :, inner(opt, fs / 4), inner(opt, fs / 4)].copy(
            pred_center[:, :, inner(opt, 0), inner(opt, 0)])
    pasted = image_ctx.clone()

    # re-transform scale back to normal
    input_image_ctx.add(1).mul(0.5)
    image_ctx.add(1).mul(0.5)
    pred_center.add(1).mul(0.5)
    real_center.add(1).mul(0.5)
    shown = pred_center.clone(), real_center.clone()

    # save outputs in a pretty manner
    real_center = None; pred_center = None
    pretty_output = lg.Tensor(2 * opt['batchSize'], opt['nc'], fs, fs)
    if random:
        for c in range(3):
            input_image_ctx[:, c:c + 1, :, :][mask] = 1.0
    else:
        fill_centre(input_image_ctx, opt, (1, 1, 1))
    for i in range(opt['batchSize']):
        pretty_output[2 * i].copy(input_image_ctx[i])
        pretty_output[2 * i + 1].copy(image_ctx[i])
    image.save(opt['name'] + '.png', image.toDisplayTensor(pretty_output))
    return pasted, shown[0], shown[1], pretty_output


# --- demo.lua ----------------------------------------------------------------------------------------------------

DEMO_DEFAULTS = dict(batchSize=21, net='', imDir='', name='demo_out', gpu=1, nc=3, manualSeed=0, overlapPred=0)


def demo(opt):
    """demo.lua from line 18 on; returns the context with the prediction pasted in and the saved image."""
    if opt['manualSeed'] == 0:
        opt['manualSeed'] = lg.random(1, 10001)
    lg.manualSeed(opt['manualSeed'])

    # load Context-Encoder
    assert opt['net'] != '', 'provide a generator model'
    net = util.load(opt['net'], opt['gpu'])     # lines 27-30: torch.load and util.load's zeroed gradients
    net.evaluate()

    inputSize = 128
    image_ctx = lg.Tensor(opt['batchSize'], opt['nc'], inputSize, inputSize)
    input_image_ctx = lg.Tensor(opt['batchSize'], opt['nc'], inputSize, inputSize)
    if opt['gpu'] > 0:
        net.cuda()
        input_image_ctx = input_image_ctx.cuda()
    else:
        net.float()

    # load data
    for i in range(opt['batchSize']):
        imPath = (opt['imDir'] + "/%03d_im.png") % (i + 1)      # the files are numbered from 001
        input = image.load(imPath, None, 'float')   # the Lua's global ``nc`` is nil: the file's depth
        input = image.scale(input, inputSize, inputSize)
        input.mul(2).add(-1)
        image_ctx[i].copy(input)

    ctx = dict(opt, fineSize=inputSize)
    real_center = image_ctx[:, :, centre(ctx), centre(ctx)].clone()
    fill_centre(image_ctx, ctx, MEAN_FILL)
    input_image_ctx.copy(image_ctx)

    pred_center = net.forward(input_image_ctx)
    image_ctx[:, :, inner(ctx, inputSize / 4), inner(ctx, inputSize / 4)].copy(
        pred_center[:, :, inner(ctx, 0), inner(ctx, 0)])
    pasted = image_ctx.clone()

    input_image_ctx.add(1).mul(0.5)
    image_ctx.add(1).mul(0.5)
    pred_center.add(1).mul(0.5)
    real_center.add(1).mul(0.5)

    real_center = None; pred_center = None
    pretty_output = lg.Tensor(2 * opt['batchSize'], opt['nc'], inputSize, inputSize)
    fill_centre(input_image_ctx, ctx, (1, 1, 1))
    for i in range(opt['batchSize']):
        pretty_output[2 * i].copy(input_image_ctx[i])
        pretty_output[2 * i + 1].copy(image_ctx[i])
    image.save(opt['name'] + '.png', image.toDisplayTensor(pretty_output))
    return pasted, pretty_output
