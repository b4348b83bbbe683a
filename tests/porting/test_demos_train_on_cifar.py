"""torch/demos' train-on-cifar/train-on-cifar.lua ported line by line: the options (lines 25-53), the three
models with ``nn.SpatialConvolutionMap`` over ``nn.tables.random`` connection tables (62-125), the five
``data_batch_<i>.t7`` files and ``test_batch.t7`` read with ``torch.load(f, 'ascii')`` and the YUV / local /
global normalisation (130-219, its ``div(-std_u)`` kept), ``train(dataset)`` with CG, L-BFGS or SGD (266-388),
``test(dataset)`` (391-441) and one turn of the final loop with the two loggers (446-460).

cifar-10-batches-t7's files (``data``: a 3072 x n ByteTensor, ``labels``: a 1 x n ByteTensor of 0 .. 9) are
written by the test with ``lg.save_lua`` in that layout, 8 images a training file and 24 in the test file
where the real ones hold 10000;
``trsize``/``tesize`` are 30/20 where the Lua's small set is 2000/1000. Labels stay 0-based: the Lua's
``labels + 1`` goes. Left out: the ``display`` function (``image.display`` windows), reloading a network
with ``model:read(torch.DiskFile(...))``, and ASGD, whose ``t0 = nbTrainingPatches * opt.t0`` reads a global
this script never sets (Lua fails there too).
"""
import os

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn, optim, paths, xlua
from legonn import sys as tsys

PER_FILE = 8      # the Lua's files hold 10000 images each


def write_cifar(folder, seed=0):
    """cifar-10-batches-t7: five training files and a test file of coloured squares, the class their colour."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder / 'cifar-10-batches-t7', exist_ok=True)
    names = ['data_batch_%d.t7' % (i + 1) for i in range(5)] + ['test_batch.t7']
    for name in names:
        n = 24 if name == 'test_batch.t7' else PER_FILE
        labels = rng.integers(0, 10, n)
        img = rng.integers(0, 60, (n, 3, 32, 32))
        for k, c in enumerate(labels):
            img[k, c % 3, 8:24, 8:24] += 20 * c
        data = img.reshape(n, 3072).T.astype(np.uint8).copy()
        lg.save_lua(str(folder / 'cifar-10-batches-t7' / name),
                    {'data': lg.ByteTensor(data), 'labels': lg.ByteTensor(labels[None, :].astype(np.uint8))},
                    'ascii')


def run(argv):
    G = type('Globals', (), {})()
    dname, fname = tsys.fpath()
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('CIFAR Training')
    cmd.text()
    cmd.text('Options:')
    cmd.option('-save', fname.replace('.py', ''), 'subdirectory to save/log experiments in')
    cmd.option('-network', '', 'reload pretrained network')
    cmd.option('-model', 'convnet', 'type of model to train: convnet | mlp | linear')
    cmd.option('-full', False, 'use full dataset (50,000 samples)')
    cmd.option('-visualize', False, 'visualize input data and weights during training')
    cmd.option('-seed', 1, 'fixed input seed for repeatable experiments')
    cmd.option('-optimization', 'SGD', 'optimization method: SGD | ASGD | CG | LBFGS')
    cmd.option('-learningRate', 1e-3, 'learning rate at t=0')
    cmd.option('-batchSize', 1, 'mini-batch size (1 = pure stochastic)')
    cmd.option('-weightDecay', 0, 'weight decay (SGD only)')
    cmd.option('-momentum', 0, 'momentum (SGD only)')
    cmd.option('-t0', 1, 'start averaging at t0 (ASGD only), in nb of epochs')
    cmd.option('-maxIter', 5, 'maximum nb of iterations for CG and LBFGS')
    cmd.option('-threads', 2, 'nb of threads to use')
    cmd.text()
    opt = cmd.parse(argv)
    G.opt = opt

    lg.manualSeed(opt['seed'])
    lg.setnumthreads(opt['threads'])
    print('<torch> set nb of threads to ' + str(opt['threads']))

    classes = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']

    model = nn.Sequential()
    if opt['model'] == 'convnet':
        model.add(nn.SpatialConvolutionMap(nn.tables.random(3, 16, 1), 5, 5))
        model.add(nn.Tanh())
        model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(nn.SpatialConvolutionMap(nn.tables.random(16, 256, 4), 5, 5))
        model.add(nn.Tanh())
        model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(nn.Reshape(256 * 5 * 5))
        model.add(nn.Linear(256 * 5 * 5, 128))
        model.add(nn.Tanh())
        model.add(nn.Linear(128, len(classes)))
    elif opt['model'] == 'mlp':
        model.add(nn.Reshape(3 * 32 * 32))
        model.add(nn.Linear(3 * 32 * 32, 1 * 32 * 32))
        model.add(nn.Tanh())
        model.add(nn.Linear(1 * 32 * 32, len(classes)))
    elif opt['model'] == 'linear':
        model.add(nn.Reshape(3 * 32 * 32))
        model.add(nn.Linear(3 * 32 * 32, len(classes)))
    else:
        print('Unknown model type')
        raise ValueError()

    parameters, gradParameters = model.getParameters()
    G.model, G.parameters = model, parameters

    print('<cifar> using model:')
    print(model)

    model.add(nn.LogSoftMax())
    criterion = nn.ClassNLLCriterion()

    if opt['full']:
        trsize = 50000
        tesize = 10000
    else:
        trsize = 30
        tesize = 20

    trainData = {
        'data': lg.Tensor(5 * PER_FILE, 3072),
        'labels': lg.Tensor(5 * PER_FILE),
        'size': lambda: trsize,
    }
    for i in range(0, 5):
        subset = lg.load('cifar-10-batches-t7/data_batch_' + str(i + 1) + '.t7', 'ascii')
        trainData['data'][i * PER_FILE:(i + 1) * PER_FILE] = subset['data'].t()
        trainData['labels'][i * PER_FILE:(i + 1) * PER_FILE] = subset['labels']

    subset = lg.load('cifar-10-batches-t7/test_batch.t7', 'ascii')
    testData = {
        'data': subset['data'].t().double(),
        'labels': subset['labels'][0].double(),
        'size': lambda: tesize,
    }

    trainData['data'] = trainData['data'][0:trsize]
    trainData['labels'] = trainData['labels'][0:trsize]

    testData['data'] = testData['data'][0:tesize]
    testData['labels'] = testData['labels'][0:tesize]

    trainData['data'] = trainData['data'].reshape(trsize, 3, 32, 32)
    testData['data'] = testData['data'].reshape(tesize, 3, 32, 32)
    G.raw_train = trainData['data'].clone()

    print('<trainer> preprocessing data (color space + normalization)')
    normalization = nn.SpatialContrastiveNormalization(1, image.gaussian1D(7))
    for i in range(trainData['size']()):
        rgb = trainData['data'][i]
        yuv = image.rgb2yuv(rgb)
        yuv[0] = normalization(yuv[0:1])
        trainData['data'][i] = yuv
    mean_u = trainData['data'][:, 1, :, :].mean()
    std_u = trainData['data'][:, 1, :, :].std()
    trainData['data'][:, 1, :, :].add(-mean_u)
    trainData['data'][:, 1, :, :].div(-std_u)
    mean_v = trainData['data'][:, 2, :, :].mean()
    std_v = trainData['data'][:, 2, :, :].std()
    trainData['data'][:, 2, :, :].add(-mean_v)
    trainData['data'][:, 2, :, :].div(-std_v)

    for i in range(testData['size']()):
        rgb = testData['data'][i]
        yuv = image.rgb2yuv(rgb)
        yuv[0] = normalization(yuv[0:1])
        testData['data'][i] = yuv
    testData['data'][:, 1, :, :].add(-mean_u)
    testData['data'][:, 1, :, :].div(-std_u)
    testData['data'][:, 2, :, :].add(-mean_v)
    testData['data'][:, 2, :, :].div(-std_v)
    G.trainData, G.testData, G.normalization = trainData, testData, normalization

    confusion = optim.ConfusionMatrix(classes)
    accLogger = optim.Logger(paths.concat(opt['save'], 'accuracy.log'))
    errLogger = optim.Logger(paths.concat(opt['save'], 'error.log'))
    G.epoch = None
    G.config = None
    G.average = None
    G.losses = []

    def train(dataset):
        G.epoch = G.epoch if G.epoch is not None else 1
        time = tsys.clock()
        trainError = 0

        print('<trainer> on training set:')
        print('<trainer> online epoch # ' + str(G.epoch) + ' [batchSize = ' + str(opt['batchSize']) + ']')
        for t in range(0, dataset['size'](), opt['batchSize']):
            xlua.progress(t, dataset['size']())

            inputs = []
            targets = []
            for i in range(t, min(t + opt['batchSize'], dataset['size']())):
                input = dataset['data'][i]
                target = dataset['labels'][i]
                inputs.append(input)
                targets.append(target)

            def feval(x):
                nonlocal trainError
                if x is not parameters:
                    parameters.copy(x)

                gradParameters.zero()

                f = 0

                for i in range(len(inputs)):
                    output = model.forward(inputs[i])
                    err = criterion.forward(output, targets[i])
                    f = f + err

                    df_do = criterion.backward(output, targets[i])
                    model.backward(inputs[i], df_do)

                    confusion.add(output, targets[i])

                gradParameters.div(len(inputs))
                f = f / len(inputs)
                trainError = trainError + f
                G.losses[-1].append(f)           # kept for the test: this mini-batch's evaluations

                return f, gradParameters

            G.losses.append([])
            if opt['optimization'] == 'CG':
                G.config = G.config or {'maxIter': opt['maxIter']}
                optim.cg(feval, parameters, G.config)
            elif opt['optimization'] == 'LBFGS':
                G.config = G.config or {'learningRate': opt['learningRate'], 'maxIter': opt['maxIter'],
                                        'nCorrection': 10}
                optim.lbfgs(feval, parameters, G.config)
            elif opt['optimization'] == 'SGD':
                G.config = G.config or {'learningRate': opt['learningRate'], 'weightDecay': opt['weightDecay'],
                                        'momentum': opt['momentum'], 'learningRateDecay': 5e-7}
                optim.sgd(feval, parameters, G.config)
            else:
                raise ValueError('unknown optimization method')

        trainError = trainError / (dataset['size']() // opt['batchSize'])

        time = tsys.clock() - time
        time = time / dataset['size']()
        print('<trainer> time to learn 1 sample = ' + str(time * 1000) + 'ms')

        print(confusion)
        trainAccuracy = confusion.totalValid * 100
        G.train_total = int(confusion.mat.sum())
        confusion.zero()

        filename = paths.concat(opt['save'], 'cifar.net')
        os.system('mkdir -p ' + paths.dirname(filename))
        if paths.filep(filename):
            os.system('mv ' + filename + ' ' + filename + '.old')
        print('<trainer> saving network to ' + filename)
        lg.save(filename, model)

        G.epoch = G.epoch + 1
        return trainAccuracy, trainError

    def test(dataset):
        testError = 0
        time = tsys.clock()

        print('<trainer> on testing Set:')
        G.preds = []
        for t in range(dataset['size']()):
            xlua.progress(t, dataset['size']())
            input = dataset['data'][t]
            target = dataset['labels'][t]

            pred = model.forward(input)
            confusion.add(pred, target)
            G.preds.append(int(np.argmax(pred.numpy())))

            err = criterion.forward(pred, target)
            testError = testError + err

        time = tsys.clock() - time
        time = time / dataset['size']()
        print('<trainer> time to test 1 sample = ' + str(time * 1000) + 'ms')

        testError = testError / dataset['size']()

        print(confusion)
        testAccuracy = confusion.totalValid * 100
        G.test_mat = confusion.mat.clone()
        confusion.zero()
        return testAccuracy, testError

    def one_turn():
        trainAcc, trainErr = train(trainData)
        testAcc, testErr = test(testData)

        accLogger.add({'% train accuracy': trainAcc, '% test accuracy': testAcc})
        errLogger.add({'% train error': trainErr, '% test error': testErr})

        accLogger.style({'% train accuracy': '-', '% test accuracy': '-'})
        errLogger.style({'% train error': '-', '% test error': '-'})
        G.plots = [accLogger.plot(), errLogger.plot()]
        return trainAcc, trainErr, testAcc, testErr

    G.one_turn, G.test = one_turn, test
    return G


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    write_cifar(tmp_path)
    monkeypatch.chdir(tmp_path)
    lg.setdefaulttensortype('torch.DoubleTensor')     # Torch7's default; tests/conftest.py restores Float
    return tmp_path


def test_convnet_connection_tables_and_parameters(in_tmp):
    G = run(['-save', 'results'])
    # SpatialConvolutionMap: one 5x5 kernel per table row, one bias per output plane; tables.random(3, 16, 1)
    # has 16 rows, tables.random(16, 256, 4) 256 * 4
    expected = (16 * 25 + 16) + (256 * 4 * 25 + 256) + (6400 * 128 + 128) + (128 * 10 + 10)
    assert G.parameters.nElement() == expected
    table = G.model.get(3).connTable.numpy()
    assert table.shape == (1024, 2) and table[:, 0].min() >= 0 and table[:, 0].max() <= 15
    assert np.array_equal(np.bincount(table[:, 1].astype(int), minlength=256), np.full(256, 4))
    G.model.evaluate()
    assert G.model.forward(G.testData['data'][0]).size() == (10,)


def test_data_and_preprocessing(in_tmp):
    G = run(['-save', 'results', '-model', 'linear'])
    # the images come back in file order, labels 0-based as stored
    first = lg.load('cifar-10-batches-t7/data_batch_2.t7', 'ascii')
    assert np.array_equal(G.raw_train[PER_FILE + 3].numpy().reshape(3072), first['data'].numpy()[:, 3])
    assert np.array_equal(G.trainData['labels'][PER_FILE:2 * PER_FILE].numpy(), first['labels'].numpy()[0])
    # u and v: mean 0 and std 1 over the training set, the sign flipped by the Lua's div(-std)
    for c in (1, 2):
        ch = G.trainData['data'][:, c].numpy()
        assert abs(ch.mean()) < 1e-9 and ch.std(ddof=1) == pytest.approx(1, rel=1e-9)
    raw = G.raw_train[4].numpy()
    u = -0.14713 * raw[0] - 0.28886 * raw[1] + 0.436 * raw[2]
    assert np.corrcoef(u.ravel(), G.trainData['data'][4, 1].numpy().ravel())[0, 1] == pytest.approx(-1)


@pytest.mark.parametrize('method', ['SGD', 'CG'])
def test_one_turn(in_tmp, method):
    G = run(['-save', 'results', '-model', 'linear', '-optimization', method, '-batchSize', '10',
             '-learningRate', '1e-2', '-maxIter', '3'])
    first = G.one_turn()
    trainAcc, trainErr, testAcc, testErr = G.one_turn()
    if method == 'SGD':
        assert trainErr < first[1]        # the mean training loss falls from one epoch to the next
        assert G.train_total == 30
    else:
        # CG fits each mini-batch (its line searches evaluate it several times: each counted in the matrix)
        assert all(min(evals) < evals[0] for evals in G.losses) and G.train_total > 30
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (G.testData['labels'].numpy().astype(int), np.array(G.preds)), 1)
    assert np.array_equal(G.test_mat.numpy(), counts)
    assert testAcc == pytest.approx(100 * np.trace(counts) / 20)
    assert all(os.path.exists(p) for p in G.plots)
    log = open('results/accuracy.log').read().split('\n')
    assert log[0].split() == ['%', 'train', 'accuracy', '%', 'test', 'accuracy']
