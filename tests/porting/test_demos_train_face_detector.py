"""torch/demos' train-face-detector ported line by line: run.lua (the lapp options and the order), data.lua
(the face and background PNGs loaded into one tensor, the randperm split 80/20, the global and local
normalisation of the Y channel and its printed statistics), model.lua (the CNN with ``nn.Threshold``, its
biases filled with 0.2, the classifier), train.lua (``eval_E`` and ``optim.sgd`` over full mini-batches, the
ConfusionMatrix and logger, ``netLighter`` stripping a clone before ``torch.save``) and test.lua.

Each file ``require``s the others and shares ``opt``, ``classes``, ``trainData``/``testData`` as globals:
here each is a function of one namespace ``G``. face-dataset/ (28034 backgrounds and 13233 faces, 32x32
PNGs) is written by the test: 48 backgrounds and 32 faces. The labels stay the file's 1 = face, 2 =
background in the loader and become 0-based where ClassNLLCriterion reads them (``labelsAll[f] = 1`` is 0).
"""
import os

import numpy as np
import pytest

import legonn as lg
from legonn import cutorch, image, nn, optim, paths, xlua
from legonn import sys as tsys
from legonn.pl import lapp

N_BG, N_FACE = 48, 32       # the Lua's 28034 and 13233


def write_faces(folder, seed=0):
    """face-dataset/bg/bg_<f>.png and face/face_<f>.png: a bright disc on noise is a face."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder / 'face-dataset' / 'bg', exist_ok=True)
    os.makedirs(folder / 'face-dataset' / 'face', exist_ok=True)
    yy, xx = np.mgrid[0:32, 0:32]
    disc = ((yy - 16) ** 2 + (xx - 16) ** 2 < 64)
    for f in range(N_BG + N_FACE):
        img = rng.integers(0, 140, (3, 32, 32))
        if f >= N_BG:
            img[:, disc] += 110
            path = folder / 'face-dataset' / 'face' / ('face_%d.png' % f)
        else:
            path = folder / 'face-dataset' / 'bg' / ('bg_%d.png' % f)
        image.save(str(path), lg.ByteTensor(img.astype(np.uint8)))


USAGE = """
   -r,--learningRate       (default 1e-3)        learning rate
   -d,--learningRateDecay  (default 1e-7)        learning rate decay (in # samples)
   -w,--weightDecay        (default 1e-5)        L2 penalty on the weights
   -m,--momentum           (default 0.1)         momentum
   -d,--dropout            (default 0.5)         dropout amount
   -b,--batchSize          (default 128)         batch size
   -t,--threads            (default 8)           number of threads
   -p,--type               (default float)       float or cuda
   -i,--devid              (default 1)           device ID (if using CUDA)
   -s,--size               (default small)       dataset: small or full or extra
   -o,--save               (default results)     save directory
"""


# --------------------------------------------------------------------------------------------- data.lua
def lua_data(G):
    opt = G.opt
    print(tsys.COLORS['red'] + '==> loading dataset')
    imagesAll = lg.Tensor(N_BG + N_FACE, 3, 32, 32)
    labelsAll = lg.Tensor(N_BG + N_FACE)
    G.classes = ['face', 'backg']

    for f in range(0, N_BG):
        imagesAll[f] = image.load('face-dataset/bg/bg_' + str(f) + '.png')
        labelsAll[f] = 1          # 2 = background: class 1 counted from 0
    for f in range(N_BG, N_BG + N_FACE):
        imagesAll[f] = image.load('face-dataset/face/face_' + str(f) + '.png')
        labelsAll[f] = 0          # 1 = face

    labelsShuffle = lg.randperm(labelsAll.size()[0])
    portionTrain = 0.8
    trsize = lg.floor(labelsShuffle.size(0) * portionTrain)
    tesize = labelsShuffle.size(0) - trsize

    trainData = {
        'data': lg.Tensor(trsize, 1, 32, 32),
        'labels': lg.Tensor(trsize),
        'size': lambda: trsize,
    }
    testData = {
        'data': lg.Tensor(tesize, 1, 32, 32),
        'labels': lg.Tensor(tesize),
        'size': lambda: tesize,
    }

    for i in range(trsize):
        trainData['data'][i] = imagesAll[labelsShuffle[i]][0].clone()
        trainData['labels'][i] = labelsAll[labelsShuffle[i]]
    for i in range(trsize, tesize + trsize):
        testData['data'][i - trsize] = imagesAll[labelsShuffle[i]][0].clone()
        testData['labels'][i - trsize] = labelsAll[labelsShuffle[i]]
    G.imagesAll, G.labelsShuffle = imagesAll, labelsShuffle

    channels = ['y']
    mean = {}
    std = {}
    for i, channel in enumerate(channels):
        mean[i] = trainData['data'][:, i, :, :].mean()
        std[i] = trainData['data'][:, i, :, :].std()
        trainData['data'][:, i, :, :].add(-mean[i])
        trainData['data'][:, i, :, :].div(std[i])

    for i, channel in enumerate(channels):
        testData['data'][:, i, :, :].add(-mean[i])
        testData['data'][:, i, :, :].div(std[i])

    neighborhood = image.gaussian1D(5)
    normalization = nn.SpatialContrastiveNormalization(1, neighborhood, 1).float()

    for c in range(len(channels)):
        for i in range(trainData['size']()):
            trainData['data'][i, c:c + 1, :, :] = normalization.forward(trainData['data'][i, c:c + 1, :, :])
        for i in range(testData['size']()):
            testData['data'][i, c:c + 1, :, :] = normalization.forward(testData['data'][i, c:c + 1, :, :])

    G.stats = []
    for i, channel in enumerate(channels):
        trainMean = trainData['data'][:, i].mean()
        trainStd = trainData['data'][:, i].std()
        testMean = testData['data'][:, i].mean()
        testStd = testData['data'][:, i].std()
        print('training data, ' + channel + '-channel, mean: ' + str(trainMean))
        print('training data, ' + channel + '-channel, standard deviation: ' + str(trainStd))
        print('test data, ' + channel + '-channel, mean: ' + str(testMean))
        print('test data, ' + channel + '-channel, standard deviation: ' + str(testStd))
        G.stats.append((trainMean, trainStd, testMean, testStd))

    G.trainData, G.testData = trainData, testData
    return {'trainData': trainData, 'testData': testData, 'mean': mean, 'std': std, 'classes': G.classes}


# -------------------------------------------------------------------------------------------- model.lua
def lua_model(G):
    opt = G.opt
    if opt['type'] == 'cuda':
        nn.SpatialConvolutionMM = nn.SpatialConvolution      # the test restores it (monkeypatch)

    noutputs = 2
    nfeats = 1
    width = 32
    height = 32
    nstates = [16, 32]
    filtsize = [5, 7]
    poolsize = 4

    CNN = nn.Sequential()
    CNN.add(nn.SpatialConvolutionMM(nfeats, nstates[0], filtsize[0], filtsize[0]))
    CNN.add(nn.Threshold())
    CNN.add(nn.SpatialMaxPooling(poolsize, poolsize, poolsize, poolsize))
    CNN.add(nn.SpatialConvolutionMM(nstates[0], nstates[1], filtsize[1], filtsize[1]))
    CNN.add(nn.Threshold())

    classifier = nn.Sequential()
    classifier.add(nn.Reshape(nstates[1]))
    classifier.add(nn.Linear(nstates[1], 2))
    classifier.add(nn.LogSoftMax())

    i = None          # the Lua reads a global ``i`` never set: its zeroing branch never runs
    for _, layer in enumerate(CNN.modules):
        if layer.bias is not None:
            layer.bias.fill(.2)
            if i == len(CNN.modules) - 1:
                layer.bias.zero()

    model = nn.Sequential()
    model.add(CNN)
    model.add(classifier)

    G.loss = nn.ClassNLLCriterion()
    print(model)

    if opt['type'] == 'cuda':
        model.cuda()
        G.loss.cuda()
    return {'model': model, 'loss': G.loss}


# -------------------------------------------------------------------------------------------- train.lua
def nilling(module):
    module.gradBias = None
    if getattr(module, 'finput', None) is not None:
        module.finput = lg.Tensor()
    module.gradWeight = None
    module.output = lg.Tensor()
    if getattr(module, 'fgradInput', None) is not None:
        module.fgradInput = lg.Tensor()
    module.gradInput = None


def netLighter(network):
    nilling(network)
    if getattr(network, 'modules', None) is not None:
        for _, a in enumerate(network.modules):
            netLighter(a)


def lua_train(G, t):
    opt = G.opt
    model = t['model']
    loss = t['loss']

    confusion = optim.ConfusionMatrix(G.classes)
    trainLogger = optim.Logger(paths.concat(opt['save'], 'train.log'))
    w, dE_dw = model.getParameters()

    optimState = {
        'learningRate': opt['learningRate'],
        'momentum': opt['momentum'],
        'weightDecay': opt['weightDecay'],
        'learningRateDecay': opt['learningRateDecay'],
    }

    x = lg.Tensor(opt['batchSize'], G.trainData['data'].size(1), G.trainData['data'].size(2),
                  G.trainData['data'].size(3))
    yt = lg.Tensor(opt['batchSize'])
    if opt['type'] == 'cuda':
        x = x.cuda()
        yt = yt.cuda()

    epoch = None
    G.batch_losses = []

    def train(trainData):
        nonlocal epoch
        epoch = epoch if epoch is not None else 1
        time = tsys.clock()
        shuffle = lg.randperm(trainData['size']())

        print('==> online epoch # ' + str(epoch) + ' [batchSize = ' + str(opt['batchSize']) + ']')
        for t in range(0, trainData['size'](), opt['batchSize']):
            xlua.progress(t, trainData['size']())
            if (t + opt['batchSize'] - 1) > trainData['size']() - 1:
                break

            idx = 0
            for i in range(t, t + opt['batchSize']):
                x[idx] = trainData['data'][shuffle[i]]
                yt[idx] = trainData['labels'][shuffle[i]]
                idx = idx + 1

            def eval_E(w):
                dE_dw.zero()
                y = model.forward(x)
                E = loss.forward(y, yt)
                dE_dy = loss.backward(y, yt)
                model.backward(x, dE_dy)
                for i in range(opt['batchSize']):
                    confusion.add(y[i], yt[i])
                G.batch_losses.append(E)
                return E, dE_dw

            optim.sgd(eval_E, w, optimState)

        time = tsys.clock() - time
        time = time / trainData['size']()
        print('\n==> time to learn 1 sample = ' + str(time * 1000) + 'ms')

        print(confusion)
        trainLogger.add({'% mean class accuracy (train set)': confusion.totalValid * 100})
        if opt.get('plot'):
            trainLogger.style({'% mean class accuracy (train set)': '-'})
            trainLogger.plot()

        filename = paths.concat(opt['save'], 'model.net')
        os.system('mkdir -p ' + tsys.dirname(filename))
        print('==> saving model to ' + filename)
        G.model1 = model.clone()
        netLighter(G.model1)
        lg.save(filename, G.model1)
        G.train_total = int(confusion.mat.sum())

        confusion.zero()
        epoch = epoch + 1
    return train


# --------------------------------------------------------------------------------------------- test.lua
def lua_test(G, t):
    opt = G.opt
    model = t['model']
    confusion = optim.ConfusionMatrix(G.classes)
    testLogger = optim.Logger(paths.concat(opt['save'], 'test.log'))
    inputs = lg.Tensor(opt['batchSize'], G.testData['data'].size(1), G.testData['data'].size(2),
                       G.testData['data'].size(3))
    targets = lg.Tensor(opt['batchSize'])
    if opt['type'] == 'cuda':
        inputs = inputs.cuda()
        targets = targets.cuda()

    def test(testData):
        time = tsys.clock()
        G.test_preds, G.test_targets = [], []
        for t in range(0, testData['size'](), opt['batchSize']):
            xlua.progress(t, testData['size']())
            if (t + opt['batchSize'] - 1) > testData['size']() - 1:
                break
            idx = 0
            for i in range(t, t + opt['batchSize']):
                inputs[idx] = testData['data'][i]
                targets[idx] = testData['labels'][i]
                idx = idx + 1
            preds = model.forward(inputs)
            for i in range(opt['batchSize']):
                confusion.add(preds[i], targets[i])
            G.test_preds.extend(preds.float().numpy().argmax(1))
            G.test_targets.extend(targets.float().numpy().astype(int))

        time = tsys.clock() - time
        time = time / testData['size']()
        print('\n==> time to test 1 sample = ' + str(time * 1000) + 'ms')

        print(confusion)
        testLogger.add({'% mean class accuracy (test set)': confusion.totalValid * 100})
        G.test_mat = confusion.mat.clone()
        confusion.zero()
    return test


# ---------------------------------------------------------------------------------------------- run.lua
def run(argv):
    G = type('Globals', (), {})()
    G.opt = lapp(USAGE, argv)
    lg.setnumthreads(G.opt['threads'])
    lg.manualSeed(1)
    lg.setdefaulttensortype('torch.FloatTensor')
    if G.opt['type'] == 'cuda':
        print('==> switching to CUDA')
        cutorch.setDevice(G.opt['devid'] - 1)            # devices are 0-based
        print('==> using GPU #' + str(cutorch.getDevice()))

    G.data = lua_data(G)
    G.model = lua_model(G)                # require 'model', shared by train.lua and test.lua
    G.train = lua_train(G, G.model)
    G.test = lua_test(G, G.model)
    return G


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    write_faces(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_face_detector(in_tmp):
    G = run(['-b', '8', '-r', '0.05', '-t', '2', '-d', '0.3'])
    assert G.opt['dropout'] == 0.3 and G.opt['learningRateDecay'] == 1e-7    # -d is the later flag's, as in lapp

    # the split: 80 images, floor(0.8 * 80) = 64 to train; every image once, labels as the file names say
    assert G.data['trainData']['size']() == 64 and G.data['testData']['size']() == 16
    assert sorted(G.labelsShuffle.tolist()) == list(range(80))
    k = int(G.labelsShuffle[5])
    assert G.data['trainData']['labels'][5] == (0 if k >= N_BG else 1)

    # model.lua: conv 1->16 5x5, conv 16->32 7x7, Linear(32, 2); the convolutions' biases are 0.2
    model = G.model['model']
    params = model.getParameters()[0]
    assert params.nElement() == (25 * 16 + 16) + (16 * 49 * 32 + 32) + (32 * 2 + 2)
    assert model.get(0).get(3).bias.eq(0.2).all()

    G.train(G.data['trainData'])
    G.test(G.data['testData'])
    G.train(G.data['trainData'])
    G.test(G.data['testData'])
    assert G.train_total == 64                       # 8 full batches of 8
    first, last = np.mean(G.batch_losses[:8]), np.mean(G.batch_losses[-8:])
    assert last < first
    counts = np.zeros((2, 2), dtype=np.int64)
    np.add.at(counts, (np.array(G.test_targets), np.array(G.test_preds)), 1)
    assert np.array_equal(G.test_mat.numpy(), counts) and counts.sum() == 16

    # the stripped clone saved by train.lua loads back and classifies as the model does
    back = lg.load(os.path.join('results', 'model.net'))
    assert back.get(0).get(0).gradWeight is None and back.get(0).get(0).gradInput is None
    x = G.data['testData']['data'][0:4]
    assert np.allclose(back.forward(x).numpy(), model.forward(x).numpy(), atol=1e-6)


@pytest.mark.gpu
def test_face_detector_cuda(in_tmp, monkeypatch):
    """run.lua's -p cuda: SpatialConvolutionMM replaced by SpatialConvolution in model.lua, the model, the
    criterion and the batch buffers on the GPU."""
    monkeypatch.setattr(nn, 'SpatialConvolutionMM', nn.SpatialConvolutionMM)
    G = run(['-b', '8', '-r', '0.05', '-t', '2', '-p', 'cuda'])
    model = G.model['model']
    assert lg.typename(model.get(0).get(0)) == 'nn.SpatialConvolution'
    assert model.getParameters()[0].type() == 'torch.CudaTensor'
    G.train(G.data['trainData'])
    G.test(G.data['testData'])
    assert G.train_total == 64 and int(G.test_mat.sum()) == 16
    back = lg.load(os.path.join('results', 'model.net'))
    x = G.data['testData']['data'][0:4]
    assert np.allclose(back.float().forward(x).numpy(), model.forward(x.cuda()).float().numpy(), atol=1e-5)
