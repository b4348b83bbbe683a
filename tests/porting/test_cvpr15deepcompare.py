"""szagoruyko/cvpr15deepcompare ported line by line: training/models/utils.lua (lines 1-40: testModel, MSRinit,
makeDataParallelTable), every model of training/models/ (2ch.lua, 2ch2stream.lua, 2chavg.lua, 2chdeep.lua,
siam.lua, siam2stream.lua: the two-channel nets, the siamese ones sharing one descriptor's weights through
``nn.Parallel(2,2)``, the two-stream fovea/iris nets with ``SpatialZeroPadding(-16, ...)`` as the central crop),
training/FPR95Meter.lua (the torchnet meter of the false positive rate at 95 % recall), training/train.lua
(lines 1-256: the options by ``xlua.envparams``, the provider read with ``torch.load``, the random flips and
rotations, the torchnet ListDataset over the N x 2 patch pairs, the matches/nonmatches interleaving with
ConcatDataset/sample/batch, the ParallelDatasetIterator, the OptimEngine with asgd and its averaged parameters
``state.optim.ax`` swapped in for the test, MarginCriterion, ConfusionMatrix, the json log, ``testOnly``
and the saved model) and torch/extract_cpu.lua, extract_gpu.lua, match_cpu.lua, match_gpu.lua (lines 1-35:
descriptors and similarities from the released ``.t7`` networks, which a stand-in written with
``lg.save_lua`` replaces).

The dataset file ``liberty/data.t7`` comes from a preprocessing script outside the repository (the README's
gist; pytorch/create_dataset_file.py writes the same fields): a table holding ``patches`` (N x 64 x 64
bytes), ``patches_mean`` (N x 1) and, at index 1, the match files' tables of ``matches``/``nonmatches`` pairs
of 0-based patch numbers. train.lua adds 1 to them ("original indexes are 0-based"); legonn's indices are
0-based, so the port leaves them as they are. A small stand-in is generated: matching pairs are two noisy
copies of one texture, non-matching pairs two different textures.

The repository has no pseudo-siamese or SPP model in Lua (its pytorch/eval.py adds siam_l2 variants only):
nothing to port there."""
import json
import math
import re
import sys

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, image, nn, optim, paths, torchnet as tnt, xlua
from legonn.pl import tablex


# --- training/models/utils.lua ----------------------------------------------------------------------------

class utils:
    @staticmethod
    def testModel(net):
        input = lg.randn(4, 2, 64, 64).typeAs(net.output)
        output = net.forward(input)
        gradInput = net.backward(input, output.clone())
        print([net.output, net.gradInput])

    @staticmethod
    def MSRinit(net):
        def init(v):
            if lg.typename(v).find('Convolution') >= 0:
                n = v.kW * v.kH * v.nOutputPlane
                v.weight.normal(0, math.sqrt(2 / n))
                v.bias.zero()
        return net.apply(init)

    @staticmethod
    def makeDataParallelTable(model, nGPU):
        if nGPU > 1:
            from legonn import cudnn
            gpus = lg.range(0, nGPU - 1).totable()
            fastest, benchmark = cudnn.fastest, cudnn.benchmark

            def init():
                from legonn import cudnn
                cudnn.fastest, cudnn.benchmark = fastest, benchmark

            dpt = nn.DataParallelTable(0, True, True) \
                .add(model, gpus) \
                .threads(init)
            dpt.gradInput = None

            model = dpt.cuda()
        return model


# --- training/models/*.lua: each file returns its model ---------------------------------------------------

def model_2ch():
    model = nn.Sequential()

    fSize = [2, 96, 192, 256, 256, 1]

    model.add(nn.SpatialConvolution(fSize[0], fSize[1], 7, 7, 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.SpatialConvolution(fSize[1], fSize[2], 5, 5))
    model.add(nn.ReLU())
    model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.SpatialConvolution(fSize[2], fSize[3], 3, 3))
    model.add(nn.ReLU())
    model.add(nn.View(-1).setNumInputDims(3))
    model.add(nn.Linear(fSize[3], fSize[4]))
    model.add(nn.ReLU())
    model.add(nn.Linear(fSize[4], fSize[5]))

    utils.MSRinit(model)
    utils.testModel(model)

    return model


def model_2ch2stream():
    fSize = [2, 96, 192]
    featuresOut = fSize[2] * 2 * 2

    fovea = nn.Sequential() \
        .add(nn.Reshape(2, 32, 32)) \
        .add(nn.SpatialConvolution(fSize[0], fSize[1], 5, 5)) \
        .add(nn.ReLU()) \
        .add(nn.SpatialMaxPooling(2, 2, 2, 2)) \
        .add(nn.SpatialConvolution(fSize[1], fSize[1], 3, 3)) \
        .add(nn.ReLU()) \
        .add(nn.SpatialMaxPooling(2, 2, 2, 2)) \
        .add(nn.SpatialConvolution(fSize[1], fSize[2], 3, 3)) \
        .add(nn.ReLU()) \
        .add(nn.SpatialConvolution(fSize[2], fSize[2], 3, 3)) \
        .add(nn.ReLU()) \
        .add(nn.Reshape(featuresOut))

    iris = fovea.clone()

    # nn.Concat(2,2): Concat.lua reads only its dimension, the second 2 is dropped (docs/porting.md)
    model = nn.Sequential() \
        .add(nn.Concat(1)
             .add(nn.Sequential()
                  .add(nn.SpatialAveragePooling(2, 2, 2, 2))
                  .add(fovea))
             .add(nn.Sequential()
                  .add(nn.SpatialZeroPadding(-16, -16, -16, -16))
                  .add(iris))) \
        .add(nn.Linear(featuresOut * 2, featuresOut)) \
        .add(nn.ReLU()) \
        .add(nn.Linear(featuresOut, 1))

    utils.MSRinit(model)
    utils.testModel(model)

    return model


def model_2chavg():
    fSize = [2, 96, 192, 256, 256]
    featuresOut = fSize[3]

    model = nn.Sequential()
    model.add(nn.SpatialConvolution(fSize[0], fSize[1], 7, 7, 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.SpatialConvolution(fSize[1], fSize[2], 5, 5))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(fSize[2], fSize[3], 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(fSize[3], fSize[4], 1, 1))
    model.add(nn.ReLU())
    model.add(nn.SpatialAveragePooling(2, 2, 2, 2))
    model.add(nn.Reshape(featuresOut * 2 * 2))
    model.add(nn.Linear(featuresOut * 2 * 2, 1))

    return model


def model_2chdeep():
    model = nn.Sequential()

    fSize = [2, 96, 192]
    featuresOut = fSize[2] * 2 * 2

    model.add(nn.SpatialConvolution(fSize[0], fSize[1], 4, 4, 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(fSize[1], fSize[1], 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(fSize[1], fSize[1], 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(fSize[1], fSize[1], 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialMaxPooling(2, 2, 2, 2).ceil())
    model.add(nn.SpatialConvolution(fSize[1], fSize[2], 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(fSize[2], fSize[2], 3, 3))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolution(fSize[2], fSize[2], 3, 3))
    model.add(nn.ReLU())
    model.add(nn.View(-1).setNumInputDims(3))
    model.add(nn.Linear(featuresOut, featuresOut))
    model.add(nn.ReLU())
    model.add(nn.Linear(featuresOut, 1))

    utils.MSRinit(model)
    utils.testModel(model)

    return model


def model_siam():
    fSize = [1, 96, 192, 256]
    featuresOut = fSize[3]

    desc = nn.Sequential()
    desc.add(nn.Reshape(1, 64, 64))
    desc.add(nn.SpatialConvolution(fSize[0], fSize[1], 7, 7, 3, 3))
    desc.add(nn.ReLU())
    desc.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    desc.add(nn.SpatialConvolution(fSize[1], fSize[2], 5, 5))
    desc.add(nn.ReLU())
    desc.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    desc.add(nn.SpatialConvolution(fSize[2], fSize[3], 3, 3))
    desc.add(nn.ReLU())
    desc.add(nn.View(-1).setNumInputDims(3))
    desc.add(nn.Contiguous())

    siamese = nn.Parallel(1, 1)
    siam = desc.clone()
    desc.share(siam, 'weight', 'bias', 'gradWeight', 'gradBias')
    siamese.add(desc)
    siamese.add(siam)

    top = nn.Sequential()
    top.add(nn.Linear(featuresOut * 2, featuresOut * 2))
    top.add(nn.ReLU())
    top.add(nn.Linear(featuresOut * 2, 1))

    model = nn.Sequential() \
        .add(siamese) \
        .add(top)

    utils.MSRinit(model)
    utils.testModel(model)

    return model


def model_siam2stream():
    fSize = [1, 96, 192, 256]
    featuresOut = fSize[3]

    iris = nn.Sequential()
    iris.add(nn.Reshape(1, 64, 64))
    iris.add(nn.SpatialZeroPadding(-16, -16, -16, -16))
    iris.add(nn.SpatialConvolution(fSize[0], fSize[1], 4, 4, 2, 2))
    iris.add(nn.ReLU())
    iris.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    iris.add(nn.SpatialConvolution(fSize[1], fSize[2], 3, 3))
    iris.add(nn.ReLU())
    iris.add(nn.SpatialConvolution(fSize[2], fSize[3], 3, 3))
    iris.add(nn.ReLU())
    iris.add(nn.SpatialConvolution(fSize[3], fSize[3], 3, 3))
    iris.add(nn.Reshape(featuresOut))

    fovea = nn.Sequential()
    fovea.add(nn.Reshape(1, 64, 64))
    fovea.add(nn.SpatialAveragePooling(2, 2, 2, 2))
    fovea.add(nn.SpatialConvolution(fSize[0], fSize[1], 4, 4, 2, 2))
    fovea.add(nn.ReLU())
    fovea.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    fovea.add(nn.SpatialConvolution(fSize[1], fSize[2], 3, 3))
    fovea.add(nn.ReLU())
    fovea.add(nn.SpatialConvolution(fSize[2], fSize[3], 3, 3))
    fovea.add(nn.ReLU())
    fovea.add(nn.SpatialConvolution(fSize[3], fSize[3], 3, 3))
    fovea.add(nn.Reshape(featuresOut))

    eye = nn.Concat(1)                       # nn.Concat(2,2): the second argument is never read
    eye.add(iris).add(fovea)

    siamese = nn.Parallel(1, 1)
    siam = eye.clone()
    eye.share(siam, 'weight', 'bias', 'gradWeight', 'gradBias')
    siamese.add(eye).add(siam)

    model = nn.Sequential()
    model.add(siamese)
    model.add(nn.Linear(featuresOut * 4, featuresOut * 4))
    model.add(nn.ReLU())
    model.add(nn.Linear(featuresOut * 4, featuresOut * 4))
    model.add(nn.ReLU())
    model.add(nn.Linear(featuresOut * 4, 1))

    return model


MODELS = {'2ch': model_2ch, '2ch2stream': model_2ch2stream, '2chavg': model_2chavg, '2chdeep': model_2chdeep,
          'siam': model_siam, 'siam2stream': model_siam2stream}     # paths.dofile('models/'..opt.model..'.lua')


# --- training/FPR95Meter.lua ------------------------------------------------------------------------------

class FPR95Meter(tnt.Meter):
    """Compute false positive rate at 95%
    For more information see http://www.mathworks.com/help/nnet/ref/roc.html"""
    typename = 'tnt.FPR95Meter'           # torch.class('tnt.FPR95Meter', 'tnt.Meter', tnt)

    def __init__(self):
        self.reset()

    def reset(self):
        self.targets = []
        self.outputs = []
        self.tpr, self.fpr = None, None

    def add(self, output, target):
        for name, value in (('output', output), ('target', target)):     # argcheck's type='torch.*Tensor'
            if not lg.isTensor(value):
                raise TypeError(f"tnt.FPR95Meter.add: expected {name} to be a tensor, got {type(value).__name__}")
        if output.numel() != 1:
            output = output.squeeze()
        if target.numel() != 1:
            target = target.squeeze()
        self.targets.append(target.float())
        self.outputs.append(output.float())

    def value(self, t=None):
        targets = lg.cat(self.targets)
        outputs = lg.cat(self.outputs)
        self.tpr, self.fpr = roc(targets, outputs)
        _, k = (self.tpr - 0.95).abs().min(0)
        FPR95 = self.fpr[k[0]]
        return FPR95


def roc(targets, outputs):
    L, I = lg.sort(outputs, 0, True)
    labels = targets.index(0, I)
    TPR = lg.cumsum(labels.gt(0).float()) / labels.gt(0).float().sum()
    FPR = lg.cumsum(labels.lt(0).float()) / labels.lt(0).float().sum()
    return TPR, FPR


# --- training/train.lua -----------------------------------------------------------------------------------

def log(t, opt):
    """train.lua's global log, with its upvalue opt passed."""
    print('json_stats: ' + cjson.encode(tablex.merge(t, opt, True)))


def random_transform(x):
    a = lg.random(6)                        # torch.random(6): 1 .. 6 there, 0 .. 5 here
    for i in range(2):
        dst = x[i]
        if a == 0:     # do nothing
            pass
        elif a == 1:
            image.rotate(dst, dst.clone(), math.pi / 2)
        elif a == 2:
            image.rotate(dst, dst.clone(), math.pi)
        elif a == 3:
            image.rotate(dst, dst.clone(), -math.pi / 2)
        elif a == 4:
            image.hflip(dst, dst.clone())
        elif a == 5:
            image.vflip(dst, dst.clone())
    if lg.random(0, 2) == 1:                # torch.random(0,1)
        x_hat = x.clone()
        x[0].copy(x_hat[1])
        x[1].copy(x_hat[0])
    return x


def train_lua(capture=None):
    """train.lua lines 10-256. ``capture`` (the test's, not the Lua's) receives the engine's state and the
    meters at the end of training."""
    opt = {
        'save_folder': 'logs',
        'batchSize': 256,
        'learningRate': 0.1,
        'weightDecay': 0.0005,
        'momentum': 0.9,
        't0': 1e+4,
        'eta0': 0.1,
        'max_epoch': 1200,
        'model': '2ch',
        'optimMethod': 'asgd',
        'backend': 'cudnn',
        'train_set': 'notredame',
        'test_set': 'liberty',
        'train_matches': 'm50_500000_500000_0.txt',
        'test_matches': 'm50_100000_100000_0.txt',
        'nDonkeys': 12,
        'manualSeed': 555,
        'grad_clamp': 2,
        'data_type': 'torch.CudaTensor',
        'testOnly': False,
        'nGPU': 1,
    }
    opt = xlua.envparams(opt)
    print(opt)

    # Data loading --

    def loadProvider():
        print('Loading train and test data')
        p = {
            'train': lg.load(opt['train_set']),
            'test': lg.load(opt['test_set']),
        }

        # assign matches and nonmatches
        # the file's indexes are 0-based, as legonn's: the Lua's + 1 is not needed
        for i, v in enumerate(['matches', 'nonmatches']):
            p['train'][v] = p['train'][1][opt['train_matches']][v]
            p['test'][v] = p['test'][1][opt['test_matches']][v]
        return p
    provider = loadProvider()

    def getIterator(mode):
        def closure(threadid):
            dataset = provider[mode]

            def getListDataset(pair_type):
                def load(idx):
                    im = lg.FloatTensor(2, 64, 64)
                    for i in range(2):
                        mean = dataset['patches_mean'][idx[i]][0]
                        im[i].copy(dataset['patches'][idx[i]]).add(-mean).div(256)
                    return {
                        'input': im,
                        'target': lg.LongTensor([1 if pair_type == 'matches' else -1]),
                    }
                list_dataset = tnt.ListDataset(
                    list=dataset[pair_type],
                    load=load,
                )
                if mode == 'train':
                    list_dataset = list_dataset.shuffle().transform({'input': random_transform})
                return tnt.BatchDataset(
                    dataset=list_dataset,
                    policy='skip-last' if mode == 'train' else 'include-last',
                    batchsize=opt['batchSize'] / 2,
                )

            concat = tnt.ConcatDataset(
                datasets=[
                    getListDataset('matches'),
                    getListDataset('nonmatches'),
                ]
            )

            n = concat.size()
            multi_idx = lg.range(0, n - 1).view(2, -1).t().reshape(n)

            return concat \
                .sample(lambda dataset, idx: multi_idx[idx]) \
                .batch(2) \
                .transform({
                    'input': lambda x: x.view(-1, 2, 64, 64),
                    'target': lambda y: y.view(-1),
                })

        return tnt.ParallelDatasetIterator(
            nthread=opt['nDonkeys'],
            init=lambda threadid: None,     # require 'torchnet'; require 'image'
            closure=closure,
        )

    # Network setup --

    def cast(x):
        return x.type(opt['data_type'])

    model = lg.load(opt['model']) if opt['testOnly'] else MODELS[opt['model']]()
    if re.search(r'torch\.Cuda.*Tensor', opt['data_type']):
        from legonn import cudnn
        cudnn.convert(model, cudnn).cuda()
        cudnn.benchmark = True
        model = utils.makeDataParallelTable(model, opt['nGPU'])
    cast(model)
    print(model)

    engine = tnt.OptimEngine()
    criterion = cast(nn.MarginCriterion())

    # timers
    train_timer = lg.Timer()
    test_timer = lg.Timer()
    data_timer = lg.Timer()

    # meters
    meter = tnt.AverageValueMeter()
    confusion = optim.ConfusionMatrix(2)
    data_time_meter = tnt.AverageValueMeter()
    fpr95meter = FPR95Meter()                  # tnt.FPR95Meter(), which require 'FPR95Meter' declared

    inputs = cast(lg.Tensor())
    targets = cast(lg.Tensor())

    def onSample(state):
        if state.training:
            data_time_meter.add(data_timer.time()['real'])
        inputs.resize(state.sample['input'].size()).copy(state.sample['input'])
        targets.resize(state.sample['target'].size()).copy(state.sample['target'])
        state.sample['input'] = inputs
        state.sample['target'] = targets
    engine.hooks.onSample = onSample

    def onForwardCriterion(state):
        meter.add(state.criterion.output)
        # classes 0 (non-match) and 1 (match): the Lua's :add(1) made them 1 and 2
        confusion.batchAdd(state.network.output.gt(0), state.sample['target'].gt(0))
        if not state.training:
            fpr95meter.add(state.network.output, state.sample['target'])
    engine.hooks.onForwardCriterion = onForwardCriterion

    def test():
        engine.test(
            network=model,
            iterator=getIterator('test'),
            criterion=criterion,
        )
        confusion.updateValids()
        return fpr95meter.value()

    def onStartEpoch(state):
        epoch = state.epoch + 1
        print('==>' + ' online epoch # ' + str(epoch) + ' [batchSize = ' + str(opt['batchSize']) + ']')
        meter.reset()
        confusion.zero()
        train_timer.reset()
        data_time_meter.reset()
    engine.hooks.onStartEpoch = onStartEpoch

    def onEndEpoch(state):
        train_loss = meter.value()[0]
        confusion.updateValids()
        train_acc = confusion.totalValid * 100
        train_time = train_timer.time()['real']
        meter.reset()
        print(confusion)
        confusion.zero()
        test_timer.reset()
        fpr95meter.reset()

        cache = state.params.clone()
        state.params.copy(state.optim['ax'])

        testFPR95 = test()

        state.params.copy(cache)

        log({
            'loss': train_loss,
            'train_loss': train_loss,
            'train_acc': train_acc,
            'data_loading_time': data_time_meter.value()[0],
            'epoch': state.epoch,
            'test_acc': confusion.totalValid * 100,
            'testFPR95': testFPR95,
            'lr': opt['learningRate'],
            'train_time': train_time,
            'test_time': test_timer.time()['real'],
        }, opt)
    engine.hooks.onEndEpoch = onEndEpoch

    def onUpdate(state):
        data_timer.reset()
    engine.hooks.onUpdate = onUpdate

    if opt['testOnly']:
        print('Testing on ' + opt['test_set'])
        print('FPR95:', test())
        sys.exit()                              # os.exit()

    if capture is not None:
        engine.hooks.onEnd = lambda state: capture.update(state=state, fpr95meter=fpr95meter) \
            if state.training else None

    engine.train(
        network=model,
        iterator=getIterator('train'),
        criterion=criterion,
        optimMethod=getattr(optim, opt['optimMethod']),
        config=tablex.deepcopy(opt),
        maxepoch=opt['max_epoch'],
    )

    modelpath = paths.concat(opt['save_folder'], 'model.t7')
    print('Saving to ' + modelpath)
    # the Lua's global cudnn is nil here on the CPU path (only the CUDA branch requires it), so its save fails
    # there; legonn's cudnn.convert runs on the CPU
    from legonn import cudnn
    lg.save(modelpath, cudnn.convert(model, nn).float().clearState())
    return model


# --- a stand-in for the preprocessed dataset --------------------------------------------------------------

def save_patch_dataset(path, n_textures, matches_name, seed):
    """``data.t7`` as train.lua reads it: 3 patches per texture (the texture twice and its negative, each with
    noise), their means (N x 1), and at index 1 the match file's pairs of 0-based patch numbers: a texture and
    its copy match, a texture and its negative do not."""
    rng = np.random.RandomState(seed)
    textures = rng.randint(-80, 81, (n_textures, 8, 8)).repeat(8, 1).repeat(8, 2)     # 8 x 8 blocks of grey
    triples = np.stack([128 + textures, 128 + textures, 128 - textures], 1).reshape(-1, 64, 64)
    patches = np.clip(triples + rng.randint(-12, 13, triples.shape), 0, 255)
    matches = np.array([[3 * t, 3 * t + 1] for t in range(n_textures)])
    nonmatches = np.array([[3 * t, 3 * t + 2] for t in range(n_textures)])
    lg.save_lua(path, {
        'patches': lg.ByteTensor(patches.astype(np.uint8)),
        'patches_mean': lg.FloatTensor(patches.reshape(len(patches), -1).mean(1, keepdims=True)),
        1: {matches_name: {'matches': lg.LongTensor(matches), 'nonmatches': lg.LongTensor(nonmatches)}},
    })


ENV = {'train_set': 'notredame.t7', 'test_set': 'liberty.t7', 'train_matches': 'm50_train.txt',
       'test_matches': 'm50_test.txt', 'batchSize': '16', 'max_epoch': '4', 'nDonkeys': '2', 'model': '2ch',
       'eta0': '0.2', 't0': '1', 'data_type': 'torch.FloatTensor'}


def make_datasets(tmp_path):
    save_patch_dataset(str(tmp_path / 'notredame.t7'), 24, 'm50_train.txt', 1)
    save_patch_dataset(str(tmp_path / 'liberty.t7'), 8, 'm50_test.txt', 2)


def json_stats(out):
    return [json.loads(line[len('json_stats: '):]) for line in out.splitlines() if line.startswith('json_stats: ')]


# --- tests ------------------------------------------------------------------------------------------------

def n_params(model):
    return model.getParameters()[0].nElement()


@pytest.mark.parametrize('name, params, feature', [
    ('2ch', 2 * 96 * 49 + 96 + 96 * 192 * 25 + 192 + 192 * 256 * 9 + 256 + 256 * 256 + 256 + 256 + 1, None),
    ('2ch2stream', 2 * (2 * 96 * 25 + 96 + 96 * 96 * 9 + 96 + 96 * 192 * 9 + 192 + 192 * 192 * 9 + 192)
     + 1536 * 768 + 768 + 768 + 1, (0, 1536)),
    ('2chavg', 2 * 96 * 49 + 96 + 96 * 192 * 25 + 192 + 192 * 256 * 9 + 256 + 256 * 256 + 256 + 1024 + 1, None),
    ('2chdeep', 2 * 96 * 16 + 96 + 3 * (96 * 96 * 9 + 96) + 96 * 192 * 9 + 192 + 2 * (192 * 192 * 9 + 192)
     + 768 * 768 + 768 + 768 + 1, None),
    ('siam', 96 * 49 + 96 + 96 * 192 * 25 + 192 + 192 * 256 * 9 + 256 + 512 * 512 + 512 + 512 + 1, (0, 512)),
    ('siam2stream', 2 * (96 * 16 + 96 + 96 * 192 * 9 + 192 + 192 * 256 * 9 + 256 + 256 * 256 * 9 + 256)
     + 2 * (1024 * 1024 + 1024) + 1024 + 1, (0, 1024)),
])
def test_every_model_builds_at_full_size(name, params, feature):
    """Each models/*.lua at its real sizes: the parameter count read off the Lua (a siamese net counts its
    shared branch once: getParameters flattens shared storages once), a 3 x 2 x 64 x 64 batch scored as 3 x 1,
    and where the first module is a Concat or Parallel its output width (two 256 descriptors for siam, fovea
    and iris streams for the 2-stream nets)."""
    lg.manualSeed(1)
    model = MODELS[name]()
    assert n_params(model) == params
    x = lg.randn(3, 2, 64, 64)
    assert model.forward(x).size() == (3, 1)
    if feature is not None:
        assert model.get(feature[0]).output.size() == (3, feature[1])


def test_msr_init_and_the_shared_siamese_branches():
    """MSRinit draws each convolution's weight from N(0, 2 / (kW kH nOutputPlane)) and zeroes its bias; siam.lua's
    two branches share weight, bias and their gradients (desc:share), so one backward accumulates both patches'
    gradients in one tensor, and the score of (a, b) differs from (b, a) only through the top layers."""
    lg.manualSeed(2)
    model = model_siam()
    conv2 = model.get(0).get(0).get(4)
    assert abs(conv2.weight.std() / math.sqrt(2 / (5 * 5 * 192)) - 1) < 0.02 and conv2.bias.abs().max() == 0
    a, b = model.get(0).get(0), model.get(0).get(1)
    assert a.get(1).weight is not b.get(1).weight
    assert a.get(1).weight.equal(b.get(1).weight) and a.get(7).bias.equal(b.get(7).bias)
    x = lg.randn(2, 2, 64, 64)
    model.zeroGradParameters()
    model.forward(x)
    model.backward(x, lg.ones(2, 1))
    g_both = a.get(1).gradWeight.clone()
    # the same gradient, computed branch by branch with a fresh clone of the descriptor
    desc = a.clone()
    desc.zeroGradParameters()
    top_grad = model.get(1).gradInput
    for i in range(2):
        desc.forward(x.select(1, i))
        desc.backward(x.select(1, i), top_grad.narrow(1, 256 * i, 256))
    np.testing.assert_allclose(g_both.numpy(), desc.get(1).gradWeight.numpy(), rtol=1e-4, atol=1e-5)
    assert b.get(1).gradWeight.equal(g_both)                    # one gradient tensor for both branches
    a.get(1).weight.fill(0.5)                                   # and one weight
    assert b.get(1).weight.eq(0.5).all()


def test_two_stream_crop_and_fovea():
    """2ch2stream.lua: the fovea stream sees the 64 x 64 pair averaged down to 32 x 32, the iris stream the
    central 32 x 32 crop (SpatialZeroPadding(-16, -16, -16, -16)); checked against NumPy."""
    lg.manualSeed(3)
    model = model_2ch2stream()
    x = lg.randn(2, 2, 64, 64)
    model.forward(x)
    fovea_in = model.get(0).get(0).get(0).output.numpy()
    iris_in = model.get(0).get(1).get(0).output.numpy()
    xn = x.numpy()
    np.testing.assert_allclose(fovea_in, xn.reshape(2, 2, 32, 2, 32, 2).mean((3, 5)), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(iris_in, xn[:, :, 16:48, 16:48])


def test_fpr95_meter_against_numpy():
    """FPR95Meter.lua: outputs sorted descending, the cumulated true and false positive rates, and the FPR where
    the TPR is closest to 0.95 (the first such point); outputs added as N x 1 batches are squeezed."""
    rng = np.random.RandomState(4)
    targets = np.where(rng.rand(200) < 0.5, 1, -1)
    outputs = targets * 0.8 + rng.randn(200)
    meter = FPR95Meter()
    for s in range(0, 200, 50):
        meter.add(lg.FloatTensor(outputs[s:s + 50, None]), lg.LongTensor(targets[s:s + 50]))
    got = meter.value()
    order = np.argsort(-outputs.astype(np.float32), kind='stable')
    labels = targets[order]
    tpr = np.cumsum(labels > 0) / (labels > 0).sum()
    fpr = np.cumsum(labels < 0) / (labels < 0).sum()
    expected = fpr[np.argmin(np.abs(tpr.astype(np.float32) - np.float32(0.95)))]
    assert got == pytest.approx(expected, abs=1e-6) and 0 < got < 1
    assert meter.tpr.size() == (200,) and meter.tpr[-1] == 1
    meter.reset()
    assert meter.tpr is None and meter.targets == []
    with pytest.raises(TypeError, match='tnt.FPR95Meter.add: expected output to be a tensor'):
        meter.add([1.0], lg.LongTensor([1]))
    assert lg.typename(meter) == 'tnt.FPR95Meter'


# train.lua's shuffle and random_transform draw in the iterator's threads, whose generators Torch7 seeds from the
# OS's entropy (train.lua seeds none), and with two threads which one draws for which batch is the scheduler's: the
# fall of the loss varied from 0.10 to 0.14 over runs (asserted: 0.05). One donkey with a seeded generator gives
# the same figures on every run; the ParallelDatasetIterator is the same code with one thread.
@pytest.mark.usefixtures('reproducible_workers')
def test_training_with_asgd_and_the_averaged_test(tmp_path, monkeypatch, capsys):
    """train.lua on CPU (data_type torch.FloatTensor) with the 2ch model, 24 + 24 training pairs in batches of 16
    (8 matches and 8 non-matches, interleaved by multi_idx), four epochs: the json log has each epoch's loss,
    accuracy and test FPR95, the loss falls, asgd's state holds the averaged parameters ``ax`` that the test ran
    with; the saved model reloads, and testOnly prints the FPR95 of the saved (current, not averaged) model."""
    monkeypatch.chdir(tmp_path)
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv('nDonkeys', '1')
    make_datasets(tmp_path)
    paths.mkdir('logs')                       # the README's mkdir -p $save_folder
    lg.manualSeed(5)
    captured = {}
    model = train_lua(captured)
    stats = json_stats(capsys.readouterr().out)
    assert [s['epoch'] for s in stats] == [1, 2, 3, 4]
    assert all(s['model'] == '2ch' and s['optimMethod'] == 'asgd' and 0 <= s['testFPR95'] <= 1 for s in stats)
    assert stats[3]['train_loss'] < stats[0]['train_loss'] - 0.05     # the hinge loss starts near 1
    assert stats[3]['testFPR95'] <= 0.25
    state = captured['state']
    assert state.t == 12 and state.optim['t'] == 12                    # 3 batches of 16 per epoch
    assert not state.optim['ax'].equal(state.params)                   # the average lags the iterate
    # the test iterator covers all 16 test pairs in order: 8 x 2 samples in the FPR95 meter
    assert captured['fpr95meter'].tpr.size() == (16,)

    net = lg.load(str(tmp_path / 'logs' / 'model.t7'))
    x = lg.randn(4, 2, 64, 64)
    np.testing.assert_allclose(net.forward(x).numpy(), model.forward(x).numpy(), rtol=1e-5, atol=1e-6)

    monkeypatch.setenv('testOnly', 'true')
    monkeypatch.setenv('model', str(tmp_path / 'logs' / 'model.t7'))
    with pytest.raises(SystemExit):
        train_lua()
    out = capsys.readouterr().out
    assert 'Testing on liberty.t7' in out and re.search(r'FPR95:\s+[0-9.e-]+', out)


def test_random_transform_moves_both_patches_alike():
    """train.lua's random_transform: one of six (identity, three rotations, two flips) applied to both patches
    of a pair in place, then half the time the two swapped; over many draws every one of the twelve outcomes,
    each checked against NumPy's rot90/flip."""
    base = np.random.RandomState(8).rand(2, 64, 64).astype(np.float32)
    moves = [lambda a: a, lambda a: np.rot90(a, 1), lambda a: np.rot90(a, 2), lambda a: np.rot90(a, -1),
             lambda a: a[:, ::-1], lambda a: a[::-1]]
    seen = set()
    lg.manualSeed(9)
    for _ in range(120):
        x = lg.FloatTensor(base.copy())
        assert random_transform(x) is x
        y = x.numpy()
        found = [(m, swap) for m, f in enumerate(moves) for swap in (0, 1)
                 if np.array_equal(y[0], f(base[swap])) and np.array_equal(y[1], f(base[1 - swap]))]
        assert len(found) == 1
        seen.add(found[0])
    assert len(seen) == 12


def test_extract_and_match_scripts_on_released_style_networks(tmp_path):
    """torch/extract_cpu.lua and match_cpu.lua on networks saved as Torch7 files (``lg.save_lua``, as the
    released ``*_nn.t7``): siam2stream's descriptor is ``net:get(1):get(1)``, 512 values per patch after the
    in-place mean subtraction; 2ch scores a batch of pairs; both equal the in-memory models' outputs."""
    lg.manualSeed(6)
    siam2stream, two_ch = model_siam2stream(), model_2ch()
    lg.save_lua(str(tmp_path / 'siam2stream_liberty_nn.t7'), siam2stream)
    lg.save_lua(str(tmp_path / '2ch_liberty_nn.t7'), two_ch)

    # extract_cpu.lua
    N = 7
    patches = lg.rand(N, 1, 64, 64).float()
    net = lg.load(str(tmp_path / 'siam2stream_liberty_nn.t7'))
    net = net.get(0).get(0)
    p = patches.view(N, 1, 64 * 64)
    p.add(-p.mean(2).expandAs(p))
    output = net.forward(patches)
    print(output.size())
    assert output.size() == (N, 512)
    assert abs(patches.view(N, -1).mean(1)).max() < 1e-5
    np.testing.assert_allclose(output.numpy(), siam2stream.get(0).get(0).forward(patches).numpy(), rtol=1e-5,
                               atol=1e-5)

    # match_cpu.lua
    patches = lg.rand(N, 2, 64, 64).float()
    net = lg.load(str(tmp_path / '2ch_liberty_nn.t7'))
    p = patches.view(N, 2, 64 * 64)
    p.add(-p.mean(2).expandAs(p))
    output = net.forward(patches)
    assert output.size() == (N, 1)
    np.testing.assert_allclose(output.numpy(), two_ch.forward(patches).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.gpu
def test_extract_and_match_on_the_gpu(tmp_path):
    """torch/extract_gpu.lua and match_gpu.lua: the loaded net ``:cuda()``, CUDA patches, the descriptors written
    batch by batch into the views ``descriptors:split(batch_size)`` gives; they equal the CPU net's."""
    lg.manualSeed(7)
    lg.save_lua(str(tmp_path / 'siam2stream_liberty_nn.t7'), model_siam2stream())
    lg.save_lua(str(tmp_path / '2ch_liberty_nn.t7'), model_2ch())

    N = 5
    patches = lg.rand(N, 1, 64, 64).cuda()
    net = lg.load(str(tmp_path / 'siam2stream_liberty_nn.t7')).cuda()
    net = net.get(0).get(0)
    p = patches.view(N, 1, 64 * 64)
    p.add(-p.mean(2).expandAs(p))
    output = net.forward(patches)
    assert output.size() == (N, 512) and output.type() == 'torch.CudaTensor'
    batch_size = 2
    descriptors = lg.CudaTensor(N, 512)
    descriptors_split = descriptors.split(batch_size)
    for i, v in enumerate(patches.split(batch_size)):
        descriptors_split[i].copy(net.forward(v))
    cpu = lg.load(str(tmp_path / 'siam2stream_liberty_nn.t7')).get(0).get(0)
    np.testing.assert_allclose(descriptors.float().numpy(), cpu.forward(patches.float()).numpy(), rtol=1e-4,
                               atol=1e-4)

    patches = lg.rand(N, 2, 64, 64).cuda()
    net = lg.load(str(tmp_path / '2ch_liberty_nn.t7')).cuda()
    p = patches.view(N, 2, 64 * 64)
    p.add(-p.mean(2).expandAs(p))
    similarities = lg.CudaTensor(N)
    similarities_split = similarities.split(batch_size)
    for i, v in enumerate(patches.split(batch_size)):
        similarities_split[i].copy(net.forward(v))
    cpu = lg.load(str(tmp_path / '2ch_liberty_nn.t7'))
    np.testing.assert_allclose(similarities.float().numpy(), cpu.forward(patches.float()).numpy().ravel(),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.gpu
def test_training_on_cuda_with_cudnn(tmp_path, monkeypatch, capsys):
    """data_type torch.CudaTensor (the Lua's default): the siam model converted to cudnn modules and CUDA batches
    fed through onSample's persistent CUDA tensors; one epoch logs, and the saved (nn, float) model reloads."""
    from legonn import cudnn
    monkeypatch.setattr(cudnn, 'benchmark', cudnn.benchmark)
    monkeypatch.chdir(tmp_path)
    for k, v in dict(ENV, data_type='torch.CudaTensor', max_epoch='1', model='siam').items():
        monkeypatch.setenv(k, v)
    make_datasets(tmp_path)
    paths.mkdir('logs')
    captured = {}
    model = train_lua(captured)
    stats = json_stats(capsys.readouterr().out)
    assert len(stats) == 1 and 0 <= stats[0]['testFPR95'] <= 1
    assert captured['state'].params.type() == 'torch.CudaTensor'
    assert model.get(0).get(0).get(1).weight.type() == 'torch.FloatTensor'   # converted back for the save
    net = lg.load(str(tmp_path / 'logs' / 'model.t7'))
    assert type(net.get(0).get(0).get(1)).__module__.startswith('legonn.modules') or \
        lg.typename(net.get(0).get(0).get(1)) == 'nn.SpatialConvolution'
    x = lg.randn(2, 2, 64, 64)
    np.testing.assert_allclose(net.forward(x).numpy(), model.forward(x).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_data_parallel_table_for_several_gpus():
    """utils.makeDataParallelTable(model, 2) (train.lua with nGPU=2): the cudnn model wrapped in a
    DataParallelTable over the batch dimension with the cudnn flags handed to its threads; its scores and its
    parameter gradients are the model's own (the two replicas' halves summed)."""
    from legonn import cudnn
    lg.manualSeed(8)
    model = cudnn.convert(model_2ch(), cudnn).cuda()
    twin = model.clone()
    dpt = utils.makeDataParallelTable(model, 2)
    assert lg.typename(dpt) == 'nn.DataParallelTable' and dpt.gradInput is None
    x = lg.randn(4, 2, 64, 64).cuda()
    np.testing.assert_allclose(dpt.forward(x).float().numpy(), twin.forward(x).float().numpy(), rtol=1e-4,
                               atol=1e-5)
    dpt.zeroGradParameters()
    twin.zeroGradParameters()
    dpt.backward(x, lg.ones(4, 1).cuda())
    twin.backward(x, lg.ones(4, 1).cuda())
    np.testing.assert_allclose(model.get(0).gradWeight.float().numpy(), twin.get(0).gradWeight.float().numpy(),
                               rtol=1e-3, atol=1e-4)
