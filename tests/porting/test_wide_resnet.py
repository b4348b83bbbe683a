"""szagoruyko/wide-residual-networks ported line by line: models/wide-resnet.lua (createModel, lines 28-114: the
wide basic block of BN-ReLU-conv pairs in a ConcatTable with an Identity or 1x1-conv shortcut, summed by an
in-place CAddTable; stage widths from ``torch.Tensor{16, 16*k, 32*k, 64*k}``), models/utils.lua (lines 1-31:
MSRinit, FCinit, DisableBias, testModel) and train.lua (lines 17-240 without the graph drawing: the options read by
``xlua.envparams`` as scripts/train_cifar.sh exports them, ``epoch_step`` as a number or a Lua table, the per-channel
mean/std, hflip and randomcrop transforms, the torchnet ListDataset/shuffle/batch and ParallelDatasetIterator, the
OptimEngine with its hooks, the LR schedule that replaces ``state.config`` and ``state.optim``, optim.sgd with nesterov
and weightDecay, the json log; for CUDA data types cudnn.convert and optnet.optimizeMemory). Depth 10 (one block per
stage), small widths and a few 32 x 32 images keep it fast. hflip and randomcrop draw from each worker's own generator,
which ``exec('manualSeed', epoch)`` seeds alike in every worker, as in the Lua's threads; which worker fetches which
sample is a race there as here, so the tests assert what holds whatever the draws."""
import json
import math
import re

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, image, nn, optim, paths, torchnet as tnt, xlua
from legonn.pl import pretty, tablex
from legonn.trepl import colorize as c

opt = None     # train.lua's global opt, which utils.testModel reads


# --- models/utils.lua -------------------------------------------------------------------------------------

class utils:
    @staticmethod
    def MSRinit(model):
        for v in model.findModules('nn.SpatialConvolution')[0]:
            n = v.kW * v.kH * v.nInputPlane
            v.weight.normal(0, math.sqrt(2 / n))
            if v.bias is not None:
                v.bias.zero()

    @staticmethod
    def FCinit(model):
        for v in model.findModules('nn.Linear')[0]:
            v.bias.zero()

    @staticmethod
    def DisableBias(model):
        for v in model.findModules('nn.SpatialConvolution')[0]:
            v.bias = None
            v.gradBias = None

    @staticmethod
    def testModel(model):
        model.float()
        imageSize = opt['imageSize'] if opt is not None and opt.get('imageSize') is not None else 32
        input = lg.randn(1, 3, imageSize, imageSize).type(model._type)
        print('forward output', [model.forward(input)])
        print('backward output', [model.backward(input, model.output)])
        model.reset()

    @staticmethod
    def makeDataParallelTable(model, nGPU):
        if nGPU > 1:
            raise NotImplementedError('the DataParallelTable branch is tests/porting/test_data_parallel_idioms.py')
        return model


# --- models/wide-resnet.lua -------------------------------------------------------------------------------

Convolution = nn.SpatialConvolution
Avg = nn.SpatialAveragePooling
ReLU = nn.ReLU
Max = nn.SpatialMaxPooling
SBatchNorm = nn.SpatialBatchNormalization


def createModel(opt):
    assert opt and opt['depth']
    assert opt and opt['num_classes']
    assert opt and opt['widen_factor']

    def Dropout():
        return nn.Dropout(opt['dropout'] if opt and opt.get('dropout') is not None else 0, None, True)

    depth = opt['depth']

    blocks = []

    def wide_basic(nInputPlane, nOutputPlane, stride):
        conv_params = [
            [3, 3, stride, stride, 1, 1],
            [3, 3, 1, 1, 1, 1],
        ]
        nBottleneckPlane = nOutputPlane

        block = nn.Sequential()
        convs = nn.Sequential()

        for i, v in enumerate(conv_params):
            if i == 0:
                module = convs if nInputPlane == nOutputPlane else block
                module.add(SBatchNorm(nInputPlane)).add(ReLU(True))
                convs.add(Convolution(nInputPlane, nBottleneckPlane, *v))
            else:
                convs.add(SBatchNorm(nBottleneckPlane)).add(ReLU(True))
                if opt['dropout'] > 0:
                    convs.add(Dropout())
                convs.add(Convolution(nBottleneckPlane, nBottleneckPlane, *v))

        shortcut = nn.Identity() if nInputPlane == nOutputPlane else \
            Convolution(nInputPlane, nOutputPlane, 1, 1, stride, stride, 0, 0)

        return (block
                .add(nn.ConcatTable()
                     .add(convs)
                     .add(shortcut))
                .add(nn.CAddTable(True)))

    # Stacking Residual Units on the same stage
    def layer(block, nInputPlane, nOutputPlane, count, stride):
        s = nn.Sequential()

        s.add(block(nInputPlane, nOutputPlane, stride))
        for i in range(1, count):
            s.add(block(nOutputPlane, nOutputPlane, 1))
        return s

    model = nn.Sequential()
    assert (depth - 4) % 6 == 0, 'depth should be 6n+4'
    n = (depth - 4) // 6       # a loop bound: porting.md's // for Lua's /

    k = opt['widen_factor']
    nStages = lg.Tensor([16, 16 * k, 32 * k, 64 * k])

    model.add(Convolution(3, nStages[0], 3, 3, 1, 1, 1, 1))  # one conv at the beginning (spatial size: 32x32)
    model.add(layer(wide_basic, nStages[0], nStages[1], n, 1))  # Stage 1 (spatial size: 32x32)
    model.add(layer(wide_basic, nStages[1], nStages[2], n, 2))  # Stage 2 (spatial size: 16x16)
    model.add(layer(wide_basic, nStages[2], nStages[3], n, 2))  # Stage 3 (spatial size: 8x8)
    model.add(SBatchNorm(nStages[3]))
    model.add(ReLU(True))
    model.add(Avg(8, 8, 1, 1))
    model.add(nn.View(nStages[3]).setNumInputDims(3))
    model.add(nn.Linear(nStages[3], opt['num_classes']))

    utils.DisableBias(model)
    utils.testModel(model)
    utils.MSRinit(model)
    utils.FCinit(model)

    # model:get(1).gradInput = nil

    return model


def wrn_parameters(depth, k, num_classes):
    """The parameter count read off the Lua: a bias-free 3 -> 16 conv; per block of a -> b planes BN(a), a 3x3
    a -> b and a 3x3 b -> b conv (no biases), BN(b), and a 1x1 a -> b shortcut conv when a != b; the last
    BN and the Linear (with bias)."""
    n = (depth - 4) // 6
    stages = [16, 16 * k, 32 * k, 64 * k]
    total = 9 * 3 * 16
    for a, b in zip(stages, stages[1:]):
        for i in range(n):
            a_ = a if i == 0 else b
            total += 2 * a_ + 9 * a_ * b + 2 * b + 9 * b * b + (a_ * b if a_ != b else 0)
    return total + 2 * stages[3] + stages[3] * num_classes + num_classes


def test_wide_resnet_structure_and_init():
    """Depth 10, widen factor 2: 303,706 parameters (also from wrn_parameters), the convolutions without biases
    (DisableBias) yet trainable, MSR init of std sqrt(2 / (kW kH nInputPlane)), zero Linear bias; a 32 x 32
    batch goes 32 -> 16 -> 8 planes of 128 and out as 2 x 10. testModel ran forward and backward in float."""
    global opt
    opt = {'depth': 10, 'num_classes': 10, 'widen_factor': 2, 'dropout': 0, 'imageSize': 32}
    model = createModel(opt)
    assert wrn_parameters(10, 2, 10) == 303706
    params, grads = model.getParameters()
    assert params.nElement() == 303706 and params.type() == 'torch.FloatTensor'
    convs = model.findModules('nn.SpatialConvolution')[0]
    assert len(convs) == 1 + 3 * 3 and all(c.bias is None and c.gradBias is None for c in convs)
    big = convs[-2].weight.numpy()                                   # stage 3's 128 -> 128 conv: 147,456 draws
    assert convs[-2].nInputPlane == 128 and abs(big.std() / math.sqrt(2 / (9 * 128)) - 1) < 0.01
    assert model.get(8).bias.abs().max() == 0
    x = lg.randn(2, 3, 32, 32)
    assert model.forward(x).size() == (2, 10)
    assert model.get(3).output.size() == (2, 128, 8, 8) and model.get(2).output.size() == (2, 64, 16, 16)
    assert model.get(7).output.size() == (2, 128)
    model.backward(x, lg.randn(2, 10))
    assert convs[-2].gradWeight.abs().sum() > 0
    block = model.get(1).get(0)                              # 16 -> 32: BN-ReLU before the ConcatTable
    assert [type(m).__name__ for m in block.modules] == ['SpatialBatchNormalization', 'ReLU', 'ConcatTable',
                                                         'CAddTable']
    assert type(block.get(2).get(1)).__name__ == 'SpatialConvolution'


def test_dropout_between_the_convolutions():
    """opt.dropout > 0 puts nn.Dropout(p, nil, true) (in place) after each block's second BN-ReLU: three
    blocks at depth 10; in training it zeroes about p of that layer's units, in evaluate mode none."""
    global opt
    opt = {'depth': 10, 'num_classes': 10, 'widen_factor': 1, 'dropout': 0.3}
    model = createModel(opt)
    drops = model.findModules('nn.Dropout')[0]
    assert len(drops) == 3 and all(d.p == 0.3 and d.inplace for d in drops)
    convs = model.get(1).get(0).get(0).get(0)
    assert [type(m).__name__ for m in convs.modules] == ['SpatialBatchNormalization', 'ReLU', 'SpatialConvolution',
                                                         'SpatialBatchNormalization', 'ReLU', 'Dropout',
                                                         'SpatialConvolution']
    model.training()
    model.forward(lg.randn(2, 3, 32, 32))
    kept = drops[0].output.numpy()
    relu_positive = (kept != 0).mean()
    model.evaluate()
    model.forward(lg.randn(2, 3, 32, 32))
    assert 0.25 < relu_positive < 0.45                    # ReLU keeps about half, dropout 70 % of those
    assert 0.4 < (drops[0].output.numpy() != 0).mean() < 0.6


def test_wide_basic_block_sums_its_branches():
    """A same-width block (widen factor 1, stage 1): BN-ReLU-conv-BN-ReLU-conv plus the Identity shortcut,
    checked against the branches run by hand; its gradient w.r.t. the input against finite differences
    (float64, evaluate mode, so that BN is a fixed affine map)."""
    global opt
    opt = {'depth': 10, 'num_classes': 10, 'widen_factor': 1, 'dropout': 0}
    model = createModel(opt).double()
    block = model.get(1).get(0)
    assert len(block.modules) == 2                               # ConcatTable and CAddTable only
    convs = block.get(0).get(0)
    for bn in convs.findModules('nn.SpatialBatchNormalization')[0]:
        bn.running_mean.uniform(-0.5, 0.5)
        bn.running_var.uniform(0.5, 1.5)
        bn.weight.uniform(0.5, 1.5)
        bn.bias.uniform(-0.1, 0.1)
    block.evaluate()
    x = lg.DoubleTensor(1, 16, 4, 4).normal()
    expected = convs.forward(x).clone().numpy() + x.numpy()
    np.testing.assert_allclose(block.forward(x).numpy(), expected, rtol=1e-12)
    from tests.checks import assert_jacobian
    assert_jacobian(block, x)


# --- train.lua --------------------------------------------------------------------------------------------

def tonumber(s):
    """Lua's tonumber of a string: the number, or None."""
    try:
        return float(s)
    except ValueError:
        return None


def save_whitened_dataset(path, n_train, n_test):
    """A stand-in for datasets/cifar10_whitened.t7 as the repository's preprocessing writes it (ByteTensor
    images N x 3 x 32 x 32, labels 0 .. 9 here where the Lua's are 1 .. 10): class c is a colour, c's digits
    in base 3 picking each channel's level (70, 130 or 190), plus noise; hflip and randomcrop keep it. Written
    as a Torch7 file, so that ``torch.load(opt.dataset)`` reads it as the Lua does."""
    rng = np.random.RandomState(5)
    colours = np.array([[70 + 60 * (c // 3 ** ch % 3) for ch in range(3)] for c in range(10)])

    def split(n):
        labels = rng.permutation(np.arange(n) % 10)         # every class, so that labels:max() is the last
        data = colours[labels][:, :, None, None] + rng.randint(-30, 31, (n, 3, 32, 32))
        return {'data': lg.ByteTensor(data.astype(np.uint8)), 'labels': lg.DoubleTensor(labels.astype(float))}
    lg.save_lua(path, {'trainData': split(n_train), 'testData': split(n_test)})


def train_lua(capture=None):
    """train.lua lines 17-240, less the graph drawing (optnet.graphgen, iterm). ``capture`` (the test's, not
    the Lua's) receives the engine's final training state."""
    global opt
    opt = {
        'dataset': './datasets/cifar10_whitened.t7',
        'save': 'logs',
        'batchSize': 128,
        'learningRate': 0.1,
        'learningRateDecay': 0,
        'learningRateDecayRatio': 0.2,
        'weightDecay': 0.0005,
        'dampening': 0,
        'momentum': 0.9,
        'epoch_step': "80",
        'max_epoch': 300,
        'model': 'nin',
        'optimMethod': 'sgd',
        'init_value': 10,
        'depth': 50,
        'shortcutType': 'A',
        'nesterov': False,
        'dropout': 0,
        'hflip': True,
        'randomcrop': 4,
        'imageSize': 32,
        'randomcrop_type': 'zero',
        'cudnn_deterministic': False,
        'optnet_optimize': True,
        'generate_graph': False,
        'multiply_input_factor': 1,
        'widen_factor': 1,
        'nGPU': 1,
        'data_type': 'torch.CudaTensor',
        'seed': 444,
    }
    opt = xlua.envparams(opt)

    lg.manualSeed(opt['seed'])

    opt['epoch_step'] = tonumber(opt['epoch_step']) if tonumber(opt['epoch_step']) is not None \
        else pretty.read(opt['epoch_step'])      # loadstring('return '..s)(): the Lua table, parsed, never run
    print(opt)

    meanstd = {'mean': [125.3, 123.0, 113.9], 'std': [63.0, 62.1, 66.7]}
    print(c.blue('==>') + ' loading data')
    provider = lg.load(opt['dataset'])
    opt['num_classes'] = provider['testData']['labels'].max() + 1     # labels 0 .. n-1: the count is max + 1
    if lg.type(provider['trainData']['data']) == 'torch.ByteTensor':
        for v in ['trainData', 'testData']:
            provider[v]['data'] = provider[v]['data'].float()  # :div(256)
            for ch in range(3):
                provider[v]['data'].select(1, ch).add(-meanstd['mean'][ch]).div(meanstd['std'][ch])

    def cast(x):
        return x.type(opt['data_type'])

    print(c.blue('==>') + ' configuring model')
    model = nn.Sequential()
    net = MODELS[opt['model']](opt)
    if re.search(r'torch\.Cuda.*Tensor', opt['data_type']):
        from legonn import cudnn, optnet
        xlua.require('cunn')
        cudnn.convert(net, cudnn).cuda()
        if opt['cudnn_deterministic']:
            net.apply(lambda m: m.setMode(1, 1, 1) if hasattr(m, 'setMode') else None)

        print(net)
        print('Network has', len(net.findModules('cudnn.SpatialConvolution')[0]), 'convolutions')

        sample_input = lg.randn(8, 3, opt['imageSize'], opt['imageSize']).cuda()
        # opt.generate_graph: optnet.graphgen and iterm.dot are not ported
        if opt['optnet_optimize']:
            optnet.optimizeMemory(net, sample_input, {'inplace': False, 'mode': 'training'})
        # to avoid optnet messing cudnn FindEx
        cudnn.benchmark = True
    model.add(utils.makeDataParallelTable(net, opt['nGPU']))
    cast(model)

    def hflip(x):
        return x if lg.random(0, 2) == 1 else image.hflip(x)      # torch.random(0,1): 0 or 1

    def randomcrop(x):
        pad = opt['randomcrop']
        if opt['randomcrop_type'] == 'reflection':
            module = nn.SpatialReflectionPadding(pad, pad, pad, pad).float()
        elif opt['randomcrop_type'] == 'zero':
            module = nn.SpatialZeroPadding(pad, pad, pad, pad).float()
        else:
            raise ValueError('unknown mode')

        imsize = opt['imageSize']
        padded = module.forward(x)
        x = lg.random(0, pad * 2 + 1)       # torch.random(1, pad*2 + 1), an offset counted from 1
        y = lg.random(0, pad * 2 + 1)
        return padded.narrow(2, x, imsize).narrow(1, y, imsize)

    def getIterator(mode):
        dataset = provider[mode + 'Data']

        list_dataset = tnt.ListDataset(
            list=lg.range(0, dataset['labels'].numel() - 1).long(),
            load=lambda idx: {
                'input': dataset['data'][idx].float(),
                'target': lg.LongTensor([dataset['labels'][idx]]),
            },
        )

        d = (list_dataset
             .shuffle()
             .transform({
                 'input': tnt.transform.compose([f for f in [
                     hflip if opt['hflip'] else None,
                     randomcrop if opt['randomcrop'] > 0 else None,
                 ] if f is not None]),    # Lua's {a or nil, b or nil} keeps the functions given
             })
             .batch(opt['batchSize'], 'skip-last')) if mode == 'train' else \
            (list_dataset
             .batch(opt['batchSize'], 'include-last'))

        d.manualSeed = lambda seed: lg.manualSeed(seed)

        return tnt.ParallelDatasetIterator(
            nthread=2,
            init=lambda threadid: None,       # require 'torchnet', 'image', 'nn'
            closure=lambda threadid: d,
        )

    def log(t):
        print('json_stats: ' + cjson.encode(tablex.merge(t, opt, True)))

    print('Will save at ' + opt['save'])
    paths.mkdir(opt['save'])

    engine = tnt.OptimEngine()
    criterion = cast(nn.CrossEntropyCriterion())
    meter = tnt.AverageValueMeter()
    clerr = tnt.ClassErrorMeter(topk=[1])
    train_timer = lg.Timer()
    test_timer = lg.Timer()

    def onStartEpoch(state):
        epoch = state.epoch + 1
        print('==> online epoch # ' + str(epoch) + ' [batchSize = ' + str(opt['batchSize']) + ']')
        meter.reset()
        clerr.reset()
        train_timer.reset()
        # tablex.find gives a 0-based position: the first step's is 0, false in Python, so test for None
        if lg.type(opt['epoch_step']) == 'number' and epoch % opt['epoch_step'] == 0 or \
                lg.type(opt['epoch_step']) == 'table' and tablex.find(opt['epoch_step'], epoch) is not None:
            opt['learningRate'] = opt['learningRate'] * opt['learningRateDecayRatio']
            state.config = tablex.deepcopy(opt)
            state.optim = tablex.deepcopy(opt)

        state.iterator.exec('manualSeed', state.epoch + 1)
        state.iterator.exec('resample')
    engine.hooks.onStartEpoch = onStartEpoch

    def onEndEpoch(state):
        train_loss = meter.value()[0]
        train_err = clerr.value(k=1)
        train_time = train_timer.time()['real']
        meter.reset()
        clerr.reset()
        test_timer.reset()

        engine.test(
            network=model,
            iterator=getIterator('test'),
            criterion=criterion,
        )

        log({
            'loss': train_loss,
            'train_loss': train_loss,
            'train_acc': 100 - train_err,
            'epoch': state.epoch,
            'test_acc': 100 - clerr.value(k=1),
            'lr': opt['learningRate'],
            'train_time': train_time,
            'test_time': test_timer.time()['real'],
            'n_parameters': state.params.numel(),
        })
    engine.hooks.onEndEpoch = onEndEpoch

    def onForwardCriterion(state):
        meter.add(state.criterion.output)
        clerr.add(state.network.output, state.sample['target'])
    engine.hooks.onForwardCriterion = onForwardCriterion

    inputs = cast(lg.Tensor())
    targets = cast(lg.Tensor())

    def onSample(state):
        inputs.resize(state.sample['input'].size()).copy(state.sample['input'])
        targets.resize(state.sample['target'].size()).copy(state.sample['target'])
        state.sample['input'] = inputs
        state.sample['target'] = targets
    engine.hooks.onSample = onSample

    if capture is not None:
        engine.hooks.onEnd = lambda state: capture.append(state) if state.training else None

    engine.train(
        network=model,
        iterator=getIterator('train'),
        criterion=criterion,
        optimMethod=optim.sgd,
        config=tablex.deepcopy(opt),
        maxepoch=opt['max_epoch'],
    )

    lg.save(opt['save'] + '/model.t7', net.clearState())
    return model


MODELS = {'wide-resnet': createModel}      # dofile('models/'..opt.model..'.lua')


ENV = {'learningRate': '0.1', 'epoch_step': '{2,3}', 'max_epoch': '3', 'learningRateDecay': '0',
       'learningRateDecayRatio': '0.2', 'nesterov': 'true', 'randomcrop_type': 'reflection', 'model': 'wide-resnet',
       'depth': '10', 'widen_factor': '1', 'batchSize': '8', 'dataset': 'cifar10_whitened.t7',
       'data_type': 'torch.FloatTensor'}


def test_training_with_the_lr_schedule(tmp_path, monkeypatch, capsys):
    """The options of scripts/train_cifar.sh (nesterov, reflection padding, epoch_step as the table {2,3}) with
    depth 10, width 1 and 36 + 12 images for three epochs of four batches of 8 (skip-last drops the last 4).
    The json log shows the rate 0.1, 0.02, 0.004 (each step multiplies it by 0.2 and starts sgd afresh: the
    last epoch's evalCounter is 4), the loss falls, the parameter count is wrn_parameters', and the saved
    net reloads to give the trained model's scores."""
    monkeypatch.chdir(tmp_path)
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    save_whitened_dataset(str(tmp_path / 'cifar10_whitened.t7'), 36, 12)
    states = []
    model = train_lua(states)
    stats = [json.loads(line[len('json_stats: '):]) for line in capsys.readouterr().out.splitlines()
             if line.startswith('json_stats: ')]
    assert [s['epoch'] for s in stats] == [1, 2, 3]
    np.testing.assert_allclose([s['lr'] for s in stats], [0.1, 0.02, 0.004])
    assert all(s['n_parameters'] == wrn_parameters(10, 1, 10) for s in stats)
    assert stats[0]['epoch_step'] == [2, 3] and stats[0]['nesterov'] is True
    assert stats[2]['train_loss'] < stats[0]['train_loss'] - 0.2
    state = states[0]
    assert state.optim['evalCounter'] == 4 and state.config['nesterov'] is True
    assert state.config['learningRate'] == pytest.approx(0.004) and state.t == 12

    net = lg.load(str(tmp_path / 'logs' / 'model.t7'))
    net.evaluate()
    model.evaluate()
    x = lg.randn(4, 3, 32, 32)
    np.testing.assert_allclose(net.forward(x).numpy(), model.forward(x).numpy(), rtol=1e-5, atol=1e-6)


def test_epoch_step_as_a_number():
    """epoch_step "80" reads as a number (tonumber), a table string through pretty.read: the two branches of
    train.lua line 54."""
    assert tonumber('80') == 80 and tonumber('{60,120,160}') is None
    assert pretty.read('{60,120,160}') == [60, 120, 160]
    assert tablex.find([60, 120, 160], 60) == 0 and tablex.find([60, 120, 160], 61) is None


@pytest.mark.gpu
def test_training_on_cuda_with_cudnn_and_optnet(tmp_path, monkeypatch, capsys):
    """data_type torch.CudaTensor (the Lua's default): the net converted to cudnn modules, optnet's memory
    sharing on, the engine fed CUDA batches; one epoch trains and logs, and the saved net reloads."""
    from legonn import cudnn
    monkeypatch.setattr(cudnn, 'benchmark', cudnn.benchmark)    # train.lua sets it for the process: put it back
    monkeypatch.chdir(tmp_path)
    for k, v in dict(ENV, data_type='torch.CudaTensor', max_epoch='1').items():
        monkeypatch.setenv(k, v)
    save_whitened_dataset(str(tmp_path / 'cifar10_whitened.t7'), 36, 12)
    states = []
    model = train_lua(states)
    out = capsys.readouterr().out
    assert 'Network has 9 convolutions' in out        # 1 + 2 per block + the 1x1 shortcuts of stages 2 and 3
    stats = [json.loads(line[len('json_stats: '):]) for line in out.splitlines() if line.startswith('json_stats: ')]
    assert len(stats) == 1 and stats[0]['n_parameters'] == wrn_parameters(10, 1, 10)
    assert states[0].params.type() == 'torch.CudaTensor' and states[0].optim['evalCounter'] == 4
    assert type(model.get(0).get(0)).__module__.startswith('legonn.cudnn')
    assert lg.load(str(tmp_path / 'logs' / 'model.t7')) is not None
