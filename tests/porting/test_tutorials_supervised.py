"""torch/tutorials' 2_supervised ported line by line: 1_data.lua (the SVHN ``{X=..., y=...}`` files read with
``torch.load(f, 'ascii')``, lines 98-134; the colour space change, the global and the local normalisation and
the printed statistics, 161-233; the ``extra`` set appended, 112-125), 2_model.lua (the three models and
the CUDA variant of the convnet, 36-133), 3_loss.lua (the margin, nll and mse criterions and the mse target
conversion, 31-100), 4_train.lua (the optimiser choice 73-105, ``train()`` with its closure ``feval``, the
ASGD average, the ConfusionMatrix and the loggers, 110-221), 5_test.lua (``test()``, 16-69) and doall.lua's
options and order (24-79).

Lua's globals, which the scripts share through ``dofile``, are attributes of one namespace ``G``; each script
is a function of it. The SVHN files are written by the test with ``lg.save_lua`` in the layout of the real
ones (X: a ByteTensor of n x 3 x 32 x 32 images stored transposed, y: a 1 x n DoubleTensor of labels
1 .. 10), with n small. Labels become 0-based where they are read (``loaded.y[1]`` is ``loaded['y'][0] - 1``).
"""
import os
import types

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn, optim, paths, xlua
from legonn import sys as tsys


def write_svhn(path, n, seed):
    """A stand-in for train_32x32.t7 / test_32x32.t7: colour blobs whose position says the class."""
    rng = np.random.default_rng(seed)
    y = rng.integers(1, 11, n)
    X = rng.integers(0, 120, (n, 3, 32, 32)).astype(np.uint8)
    for i in range(n):
        r, c = divmod(int(y[i]) - 1, 5)
        X[i, (int(y[i]) - 1) % 3, 16 * r:16 * r + 12, 6 * c:6 * c + 6] += 120
    X = X.transpose(0, 1, 3, 2).copy()        # mattorch's column-major images: 1_data.lua transposes them back
    lg.save_lua(path, {'X': lg.ByteTensor(X), 'y': lg.DoubleTensor(y[None, :].astype(np.float64))}, 'ascii')
    return X.transpose(0, 1, 3, 2), y


# ---------------------------------------------------------------------------------------------- 1_data.lua
def lua_1_data(G):
    # lines 71-85 ('small' shrunk to what a test can run)
    if G.opt['size'] == 'extra':
        print('==> using extra training data')
        G.trsize = 30 + 12
        G.tesize = 20
    elif G.opt['size'] == 'small':
        print('==> using reduced training data, for fast experiments')
        G.trsize = 30
        G.tesize = 20

    print('==> loading dataset')
    G.loaded = lg.load(G.train_file, 'ascii')
    G.trainData = {
        'data': G.loaded['X'].transpose(2, 3),
        'labels': G.loaded['y'][0] - 1,           # the file's labels are 1 .. 10
        'size': lambda: G.trsize,
    }

    if G.opt['size'] == 'extra':
        G.loaded = lg.load(G.extra_file, 'ascii')
        G.trdata = lg.Tensor(G.trsize, 3, 32, 32)
        G.trdata[0:G.trainData['data'].size(0)] = G.trainData['data']
        G.trdata[G.trainData['data'].size(0):] = G.loaded['X'].transpose(2, 3)        # {n+1, -1}
        G.trlabels = lg.Tensor(G.trsize)
        G.trlabels[0:G.trainData['labels'].size(0)] = G.trainData['labels']
        G.trlabels[G.trainData['labels'].size(0):] = G.loaded['y'][0] - 1
        G.trainData = {
            'data': G.trdata,
            'labels': G.trlabels,
            'size': lambda: G.trsize,
        }

    G.loaded = lg.load(G.test_file, 'ascii')
    G.testData = {
        'data': G.loaded['X'].transpose(2, 3),
        'labels': G.loaded['y'][0] - 1,
        'size': lambda: G.tesize,
    }

    print('==> preprocessing data')
    G.trainData['data'] = G.trainData['data'].float()
    G.testData['data'] = G.testData['data'].float()

    print('==> preprocessing data: colorspace RGB -> YUV')
    for i in range(G.trainData['size']()):
        G.trainData['data'][i] = image.rgb2yuv(G.trainData['data'][i])
    for i in range(G.testData['size']()):
        G.testData['data'][i] = image.rgb2yuv(G.testData['data'][i])

    G.channels = ['y', 'u', 'v']

    print('==> preprocessing data: normalize each feature (channel) globally')
    G.mean = {}
    G.std = {}
    for i, channel in enumerate(G.channels):
        G.mean[i] = G.trainData['data'][:, i, :, :].mean()
        G.std[i] = G.trainData['data'][:, i, :, :].std()
        G.trainData['data'][:, i, :, :].add(-G.mean[i])
        G.trainData['data'][:, i, :, :].div(G.std[i])

    for i, channel in enumerate(G.channels):
        G.testData['data'][:, i, :, :].add(-G.mean[i])
        G.testData['data'][:, i, :, :].div(G.std[i])

    print('==> preprocessing data: normalize all three channels locally')
    G.neighborhood = image.gaussian1D(13)
    G.normalization = nn.SpatialContrastiveNormalization(1, G.neighborhood, 1).float()

    for c in range(len(G.channels)):
        for i in range(G.trainData['size']()):
            G.trainData['data'][i, c:c + 1, :, :] = G.normalization.forward(G.trainData['data'][i, c:c + 1, :, :])
        for i in range(G.testData['size']()):
            G.testData['data'][i, c:c + 1, :, :] = G.normalization.forward(G.testData['data'][i, c:c + 1, :, :])

    print('==> verify statistics')
    for i, channel in enumerate(G.channels):
        G.trainMean = G.trainData['data'][:, i].mean()
        G.trainStd = G.trainData['data'][:, i].std()

        G.testMean = G.testData['data'][:, i].mean()
        G.testStd = G.testData['data'][:, i].std()

        print('training data, ' + channel + '-channel, mean: ' + str(G.trainMean))
        print('training data, ' + channel + '-channel, standard deviation: ' + str(G.trainStd))

        print('test data, ' + channel + '-channel, mean: ' + str(G.testMean))
        print('test data, ' + channel + '-channel, standard deviation: ' + str(G.testStd))


# --------------------------------------------------------------------------------------------- 2_model.lua
def lua_2_model(G):
    print('==> define parameters')
    G.noutputs = 10

    G.nfeats = 3
    G.width = 32
    G.height = 32
    G.ninputs = G.nfeats * G.width * G.height

    G.nhiddens = G.ninputs / 2

    G.nstates = G.opt.get('nstates', [64, 64, 128])     # the test's own option: smaller layers for training
    G.filtsize = 5
    G.poolsize = 2
    G.normkernel = image.gaussian1D(7)

    print('==> construct model')
    if G.opt['model'] == 'linear':
        G.model = nn.Sequential()
        G.model.add(nn.Reshape(G.ninputs))
        G.model.add(nn.Linear(G.ninputs, G.noutputs))

    elif G.opt['model'] == 'mlp':
        G.model = nn.Sequential()
        G.model.add(nn.Reshape(G.ninputs))
        G.model.add(nn.Linear(G.ninputs, G.nhiddens))
        G.model.add(nn.Tanh())
        G.model.add(nn.Linear(G.nhiddens, G.noutputs))

    elif G.opt['model'] == 'convnet':
        nstates, filtsize, poolsize = G.nstates, G.filtsize, G.poolsize
        if G.opt['type'] == 'cuda':
            G.model = nn.Sequential()

            G.model.add(nn.SpatialConvolutionMM(G.nfeats, nstates[0], filtsize, filtsize))
            G.model.add(nn.ReLU())
            G.model.add(nn.SpatialMaxPooling(poolsize, poolsize, poolsize, poolsize))

            G.model.add(nn.SpatialConvolutionMM(nstates[0], nstates[1], filtsize, filtsize))
            G.model.add(nn.ReLU())
            G.model.add(nn.SpatialMaxPooling(poolsize, poolsize, poolsize, poolsize))

            G.model.add(nn.View(nstates[1] * filtsize * filtsize))
            G.model.add(nn.Dropout(0.5))
            G.model.add(nn.Linear(nstates[1] * filtsize * filtsize, nstates[2]))
            G.model.add(nn.ReLU())
            G.model.add(nn.Linear(nstates[2], G.noutputs))

        else:
            G.model = nn.Sequential()

            G.model.add(nn.SpatialConvolutionMM(G.nfeats, nstates[0], filtsize, filtsize))
            G.model.add(nn.Tanh())
            G.model.add(nn.SpatialLPPooling(nstates[0], 2, poolsize, poolsize, poolsize, poolsize))
            G.model.add(nn.SpatialSubtractiveNormalization(nstates[0], G.normkernel))

            G.model.add(nn.SpatialConvolutionMM(nstates[0], nstates[1], filtsize, filtsize))
            G.model.add(nn.Tanh())
            G.model.add(nn.SpatialLPPooling(nstates[1], 2, poolsize, poolsize, poolsize, poolsize))
            G.model.add(nn.SpatialSubtractiveNormalization(nstates[1], G.normkernel))

            G.model.add(nn.Reshape(nstates[1] * filtsize * filtsize))
            G.model.add(nn.Linear(nstates[1] * filtsize * filtsize, nstates[2]))
            G.model.add(nn.Tanh())
            G.model.add(nn.Linear(nstates[2], G.noutputs))
    else:
        raise ValueError('unknown -model')

    print('==> here is the model:')
    print(G.model)

    # the visualisation (itorch.image of the filters), as image.toDisplayTensor lays them out
    if G.opt['visualize'] and G.opt['model'] == 'convnet':
        print('==> visualizing ConvNet filters')
        print('Layer 1 filters:')
        # SpatialConvolutionMM's weight is 4-D here, 2-D in Torch7 (docs/porting.md): view it as the Lua's
        G.filters = [image.toDisplayTensor(G.model.get(0).weight.view(nstates[0], -1))]
        print('Layer 2 filters:')
        G.filters.append(image.toDisplayTensor(G.model.get(4).weight.view(nstates[1], -1)))


# ---------------------------------------------------------------------------------------------- 3_loss.lua
def lua_3_loss(G):
    G.noutputs = 10

    print('==> define loss')
    if G.opt['loss'] == 'margin':
        G.criterion = nn.MultiMarginCriterion()

    elif G.opt['loss'] == 'nll':
        G.model.add(nn.LogSoftMax())
        G.criterion = nn.ClassNLLCriterion()

    elif G.opt['loss'] == 'mse':
        G.model.add(nn.Tanh())
        G.criterion = nn.MSECriterion()
        G.criterion.sizeAverage = False

        if getattr(G, 'trainData', None) is not None:
            trsize = G.trainData['labels'].size()[0]
            trlabels = lg.Tensor(trsize, G.noutputs)
            trlabels.fill(-1)
            for i in range(trsize):
                trlabels[i, G.trainData['labels'][i]] = 1
            G.trainData['labels'] = trlabels

            tesize = G.testData['labels'].size()[0]
            telabels = lg.Tensor(tesize, G.noutputs)
            telabels.fill(-1)
            for i in range(tesize):
                telabels[i, G.testData['labels'][i]] = 1
            G.testData['labels'] = telabels
    else:
        raise ValueError('unknown -loss')

    print('==> here is the loss function:')
    print(G.criterion)


# --------------------------------------------------------------------------------------------- 4_train.lua
def lua_4_train(G):
    opt = G.opt
    if opt['type'] == 'cuda':
        G.model.cuda()
        G.criterion.cuda()

    print('==> defining some tools')
    G.classes = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']
    G.confusion = optim.ConfusionMatrix(G.classes)

    G.trainLogger = optim.Logger(paths.concat(opt['save'], 'train.log'))
    G.testLogger = optim.Logger(paths.concat(opt['save'], 'test.log'))

    if G.model is not None:
        G.parameters, G.gradParameters = G.model.getParameters()

    print('==> configuring optimizer')
    if opt['optimization'] == 'CG':
        G.optimState = {'maxIter': opt['maxIter']}
        G.optimMethod = optim.cg

    elif opt['optimization'] == 'LBFGS':
        G.optimState = {'learningRate': opt['learningRate'], 'maxIter': opt['maxIter'], 'nCorrection': 10}
        G.optimMethod = optim.lbfgs

    elif opt['optimization'] == 'SGD':
        G.optimState = {'learningRate': opt['learningRate'], 'weightDecay': opt['weightDecay'],
                        'momentum': opt['momentum'], 'learningRateDecay': 1e-7}
        G.optimMethod = optim.sgd

    elif opt['optimization'] == 'ASGD':
        G.optimState = {'eta0': opt['learningRate'], 't0': G.trsize * opt['t0']}
        G.optimMethod = optim.asgd
    else:
        raise ValueError('unknown optimization method')

    print('==> defining training procedure')

    def train():
        G.epoch = G.epoch if G.epoch is not None else 1
        time = tsys.clock()
        G.model.training()

        G.shuffle = lg.randperm(G.trsize)

        print('==> doing epoch on training data:')
        print('==> online epoch # ' + str(G.epoch) + ' [batchSize = ' + str(opt['batchSize']) + ']')
        for t in range(0, G.trainData['size'](), opt['batchSize']):
            xlua.progress(t, G.trainData['size']())

            inputs = []
            targets = []
            for i in range(t, min(t + opt['batchSize'], G.trainData['size']())):
                input = G.trainData['data'][G.shuffle[i]]
                target = G.trainData['labels'][G.shuffle[i]]
                if opt['type'] == 'double':
                    input = input.double()
                    if opt['loss'] == 'mse':
                        target = target.double()
                elif opt['type'] == 'cuda':
                    input = input.cuda()
                    if opt['loss'] == 'mse':
                        target = target.cuda()
                inputs.append(input)
                targets.append(target)

            def feval(x):
                if x is not G.parameters:
                    G.parameters.copy(x)

                G.gradParameters.zero()

                f = 0

                for i in range(len(inputs)):
                    output = G.model.forward(inputs[i])
                    err = G.criterion.forward(output, targets[i])
                    f = f + err

                    df_do = G.criterion.backward(output, targets[i])
                    G.model.backward(inputs[i], df_do)

                    G.confusion.add(output, targets[i])

                G.gradParameters.div(len(inputs))
                f = f / len(inputs)

                return f, G.gradParameters

            G.feval = feval      # kept for the test: the last mini-batch's closure
            if G.optimMethod is optim.asgd:
                _, _, G.average = G.optimMethod(feval, G.parameters, G.optimState)
            else:
                G.optimMethod(feval, G.parameters, G.optimState)

        time = tsys.clock() - time
        time = time / G.trainData['size']()
        print('\n==> time to learn 1 sample = ' + str(time * 1000) + 'ms')

        print(G.confusion)

        G.trainLogger.add({'% mean class accuracy (train set)': G.confusion.totalValid * 100})
        if opt['plot']:
            G.trainLogger.style({'% mean class accuracy (train set)': '-'})
            G.trainLogger.plot()

        filename = paths.concat(opt['save'], 'model.net')
        os.system('mkdir -p ' + tsys.dirname(filename))
        print('==> saving model to ' + filename)
        lg.save(filename, G.model)

        G.train_confusion = G.confusion.mat.clone()     # kept for the test, before the zero() below
        G.confusion.zero()
        G.epoch = G.epoch + 1

    G.epoch = None
    G.average = None
    G.train = train


# ---------------------------------------------------------------------------------------------- 5_test.lua
def lua_5_test(G):
    opt = G.opt
    print('==> defining test procedure')

    def test():
        time = tsys.clock()

        if G.average is not None:
            G.cachedparams = G.parameters.clone()
            G.parameters.copy(G.average)

        G.model.evaluate()

        print('==> testing on test set:')
        G.test_preds = []          # kept for the test: what confusion:add saw
        for t in range(G.testData['size']()):
            xlua.progress(t, G.testData['size']())

            input = G.testData['data'][t]
            if opt['type'] == 'double':
                input = input.double()
            elif opt['type'] == 'cuda':
                input = input.cuda()
            target = G.testData['labels'][t]

            pred = G.model.forward(input)
            G.confusion.add(pred, target)
            G.test_preds.append(pred.clone())

        time = tsys.clock() - time
        time = time / G.testData['size']()
        print('\n==> time to test 1 sample = ' + str(time * 1000) + 'ms')

        print(G.confusion)

        G.testLogger.add({'% mean class accuracy (test set)': G.confusion.totalValid * 100})
        if opt['plot']:
            G.testLogger.style({'% mean class accuracy (test set)': '-'})
            G.testLogger.plot()

        if G.average is not None:
            G.parameters.copy(G.cachedparams)

        G.test_confusion = G.confusion.mat.clone()
        G.confusion.zero()

    G.test = test


# ----------------------------------------------------------------------------------------------- doall.lua
def doall_options(args):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('SVHN Loss Function')
    cmd.text()
    cmd.text('Options:')
    cmd.option('-seed', 1, 'fixed input seed for repeatable experiments')
    cmd.option('-threads', 2, 'number of threads')
    cmd.option('-size', 'full', 'how many samples do we load: small | full | extra')
    cmd.option('-model', 'convnet', 'type of model to construct: linear | mlp | convnet')
    cmd.option('-loss', 'nll', 'type of loss function to minimize: nll | mse | margin')
    cmd.option('-save', 'results', 'subdirectory to save/log experiments in')
    cmd.option('-plot', False, 'live plot')
    cmd.option('-optimization', 'SGD', 'optimization method: SGD | ASGD | CG | LBFGS')
    cmd.option('-learningRate', 1e-3, 'learning rate at t=0')
    cmd.option('-batchSize', 1, 'mini-batch size (1 = pure stochastic)')
    cmd.option('-weightDecay', 0, 'weight decay (SGD only)')
    cmd.option('-momentum', 0, 'momentum (SGD only)')
    cmd.option('-t0', 1, 'start averaging at t0 (ASGD only), in nb of epochs')
    cmd.option('-maxIter', 2, 'maximum nb of iterations for CG and LBFGS')
    cmd.option('-type', 'double', 'type: double | float | cuda')
    cmd.text()
    return cmd.parse(args)


def doall(tmp_path, args, epochs=1, **extra):
    """doall.lua with the SVHN files in tmp_path; ``extra`` holds options the Lua does not have."""
    tmp_path.mkdir(exist_ok=True)
    G = types.SimpleNamespace()
    G.opt = doall_options(['-size', 'small', '-save', str(tmp_path / 'results')] + args)
    G.opt['visualize'] = False
    G.opt.update(extra)
    if G.opt['type'] == 'float':
        lg.setdefaulttensortype('torch.FloatTensor')
    elif G.opt['type'] == 'cuda':
        lg.setdefaulttensortype('torch.FloatTensor')     # require 'cunn' goes
    elif G.opt['type'] == 'double':       # Torch7's default: the test suite's may differ
        lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(G.opt['seed'])

    G.train_file = str(tmp_path / 'train_32x32.t7')
    G.test_file = str(tmp_path / 'test_32x32.t7')
    G.raw_train = write_svhn(G.train_file, 30, 1)
    G.raw_test = write_svhn(G.test_file, 20, 2)

    lua_1_data(G)
    lua_2_model(G)
    lua_3_loss(G)
    lua_4_train(G)
    lua_5_test(G)
    for _ in range(epochs):
        G.train()
        G.test()
    return G


def rgb2yuv_numpy(x):
    """image.rgb2yuv's matrix (image/init.lua) on n x 3 x h x w."""
    m = np.array([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]])
    return np.einsum('ck,nkhw->nchw', m, x)


@pytest.mark.parametrize('size', ['small', 'extra'])
def test_data_layout_colour_and_global_normalisation(tmp_path, size):
    lg.setdefaulttensortype('torch.DoubleTensor')
    G = types.SimpleNamespace(opt={'size': size})
    G.train_file, G.test_file = str(tmp_path / 'train_32x32.t7'), str(tmp_path / 'test_32x32.t7')
    G.extra_file = str(tmp_path / 'extra_32x32.t7')
    X, y = write_svhn(G.train_file, 30, 1)
    Xt, yt = write_svhn(G.test_file, 20, 2)
    if size == 'extra':                      # the extra images follow the training ones
        Xe, ye = write_svhn(G.extra_file, 12, 3)
        X, y = np.concatenate([X, Xe]), np.concatenate([y, ye])
    assert open(G.train_file, 'rb').read(2) == b'3\n'      # the ascii encoding 1_data.lua reads
    lua_1_data(G)

    assert G.trainData['data'].type() == 'torch.FloatTensor'
    assert G.trainData['data'].size() == (len(y), 3, 32, 32)
    assert np.array_equal(G.trainData['labels'].numpy(), y - 1)
    assert np.array_equal(G.testData['labels'].numpy(), yt - 1)

    # the channel means and stds 1_data.lua keeps (std as Torch7's: divided by n - 1)
    yuv = rgb2yuv_numpy(X.astype(np.float32))
    for i in range(3):
        assert G.mean[i] == pytest.approx(yuv[:, i].mean(), rel=1e-4, abs=1e-4)      # float32 images
        assert G.std[i] == pytest.approx(yuv[:, i].std(ddof=1), rel=1e-4)

    # the statistics it prints, after the local normalisation: per channel mean ~0, std ~1
    for i in range(3):
        ch = G.trainData['data'][:, i].numpy()
        assert abs(ch.mean()) < 0.05
        assert 0.5 < ch.std(ddof=1) < 1.05


@pytest.mark.parametrize('model, type_, count', [
    ('linear', 'double', 3 * 32 * 32 * 10 + 10),
    ('mlp', 'double', 3072 * 1536 + 1536 + 1536 * 10 + 10),
    # conv 3->64 5x5, conv 64->64 5x5, Linear(64*5*5, 128), Linear(128, 10); the pooling and the
    # subtractive normalisation have no parameters
    ('convnet', 'double', (3 * 25 * 64 + 64) + (64 * 25 * 64 + 64) + (1600 * 128 + 128) + (128 * 10 + 10)),
    ('convnet', 'cuda', (3 * 25 * 64 + 64) + (64 * 25 * 64 + 64) + (1600 * 128 + 128) + (128 * 10 + 10)),
])
def test_models_parameter_counts_and_output(model, type_, count):
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(1)
    # the cuda model's get(5) is a ReLU, with no weight to show: its visualisation fails in Lua too
    G = types.SimpleNamespace(opt={'model': model, 'type': type_, 'visualize': type_ != 'cuda'})
    lua_2_model(G)
    assert G.model.getParameters()[0].nElement() == count
    G.model.evaluate()
    assert G.model.forward(lg.randn(3, 32, 32)).size() == (10,)
    assert G.model.forward(lg.randn(2, 3, 32, 32)).size() == (2, 10)
    if model == 'convnet' and type_ != 'cuda':
        # SpatialConvolutionMM's weights are nOutputPlane x (nInputPlane * kH * kW): one grey image each
        assert [f.size() for f in G.filters] == [(64, 75), (64, 1600)]


def test_loss_choices_and_mse_targets(tmp_path):
    lg.setdefaulttensortype('torch.DoubleTensor')
    for loss, crit, last in [('margin', 'nn.MultiMarginCriterion', 'nn.Linear'),
                             ('nll', 'nn.ClassNLLCriterion', 'nn.LogSoftMax'),
                             ('mse', 'nn.MSECriterion', 'nn.Tanh')]:
        G = types.SimpleNamespace(opt={'model': 'linear', 'loss': loss, 'type': 'double', 'visualize': False})
        lua_2_model(G)
        labels = lg.Tensor([3, 0, 9, 3])
        G.trainData = {'labels': labels}
        G.testData = {'labels': labels[0:2]}
        lua_3_loss(G)
        assert lg.typename(G.criterion) == crit
        assert lg.typename(G.model.get(G.model.size() - 1)) == last
    assert G.criterion.sizeAverage is False
    # 1-of-N targets in {-1, 1}, as a NumPy one-hot
    expected = -np.ones((4, 10))
    expected[np.arange(4), [3, 0, 9, 3]] = 1
    assert np.array_equal(G.trainData['labels'].numpy(), expected)
    assert np.array_equal(G.testData['labels'].numpy(), expected[:2])


@pytest.mark.parametrize('method', ['SGD', 'ASGD', 'CG', 'LBFGS'])
def test_each_optimizer_lowers_the_loss_of_one_batch(tmp_path, method):
    G = doall(tmp_path, ['-model', 'linear', '-optimization', method, '-batchSize', '10',
                         '-learningRate', '1e-2'])
    feval = G.feval              # the closure of the epoch's last mini-batch
    start = feval(G.parameters)[0]
    for _ in range(4):
        G.optimMethod(feval, G.parameters, G.optimState)
    assert feval(G.parameters)[0] < 0.9 * start


def confusion_numpy(preds, targets, n=10):
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (np.asarray(targets, dtype=np.int64), np.asarray(preds)), 1)
    return counts


def test_doall_convnet_sgd(tmp_path):
    G = doall(tmp_path, ['-model', 'convnet', '-plot', '-learningRate', '1e-2'], epochs=1, nstates=[6, 6, 16])

    def mean_loss():
        G.model.evaluate()
        return np.mean([G.criterion.forward(G.model.forward(G.trainData['data'][i].double()),
                                            G.trainData['labels'][i]) for i in range(G.trsize)])
    before = mean_loss()
    G.train()
    G.test()
    assert mean_loss() < before

    # every sample counted once per epoch; the test matrix is a NumPy count of argmax against label
    assert int(G.train_confusion.sum()) == G.trsize
    preds = [int(np.argmax(p.numpy())) for p in G.test_preds]
    assert np.array_equal(G.test_confusion.numpy(), confusion_numpy(preds, G.testData['labels'].numpy()))

    # the loggers, their plots (SVG: legonn draws them itself), the saved network
    lines = open(str(tmp_path / 'results' / 'train.log')).read().split('\n')
    assert lines[0].strip() == '% mean class accuracy (train set)'
    train_acc = np.trace(G.train_confusion.numpy()) / G.trsize * 100
    assert len(lines) == 4 and lines[3] == ''         # the header and the two epochs' lines
    assert float(lines[2]) == pytest.approx(train_acc, abs=1e-3)
    assert G.trainLogger.plot().endswith('train.log.svg')
    assert os.path.exists(str(tmp_path / 'results' / 'train.log.svg'))
    assert os.path.exists(str(tmp_path / 'results' / 'test.log'))
    back = lg.load(str(tmp_path / 'results' / 'model.net'))
    x = G.testData['data'][0].double()
    assert np.allclose(back.forward(x).numpy(), G.model.forward(x).numpy())


def test_doall_asgd_tests_with_the_average(tmp_path):
    # averaging starts after t0 = trsize * 0.2 = 6 steps of the 30
    G = doall(tmp_path, ['-model', 'linear', '-optimization', 'ASGD', '-t0', '0.2', '-learningRate', '1e-2'],
              epochs=1)
    assert G.average is not None and not np.allclose(G.average.numpy(), G.parameters.numpy())
    params = G.parameters.clone()
    G.test()
    assert np.array_equal(G.parameters.numpy(), params.numpy())      # restored after the test
    G.parameters.copy(G.average)
    assert np.allclose(G.model.forward(G.testData['data'][3].double()).numpy(), G.test_preds[3].numpy())


def test_doall_mse_margin(tmp_path):
    for loss in ['mse', 'margin']:
        G = doall(tmp_path / loss, ['-model', 'linear', '-loss', loss, '-learningRate', '1e-3'], epochs=2)
        assert int(G.train_confusion.sum()) == G.trsize
        assert int(G.test_confusion.sum()) == G.tesize


@pytest.mark.gpu
@pytest.mark.parametrize('loss', ['nll', 'mse'])
def test_doall_cuda(tmp_path, loss):
    """doall.lua's -type cuda: the ReLU/Dropout convnet, model and criterion moved with :cuda(), each sample
    (and the mse targets) copied to the GPU in train(); the ConfusionMatrix takes the CUDA outputs."""
    G = doall(tmp_path, ['-type', 'cuda', '-model', 'convnet', '-loss', loss, '-learningRate', '1e-2'],
              epochs=1, nstates=[4, 4, 8])
    assert G.parameters.type() == 'torch.CudaTensor'
    assert int(G.train_confusion.sum()) == G.trsize and int(G.test_confusion.sum()) == G.tesize
    x = G.testData['data'][0].cuda()
    G.model.evaluate()
    assert G.model.forward(x).is_cuda
    assert np.allclose(G.model.forward(x).float().numpy(), G.test_preds[0].float().numpy(), atol=1e-5)
