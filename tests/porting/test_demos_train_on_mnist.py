"""torch/demos' train-a-digit-classifier ported line by line: train-on-mnist.lua (the lapp options 30-44, the
three models 67-121, ``train(dataset)`` with its closure ``feval``, the L1/L2 penalties, ``optim.sgd`` or
``optim.lbfgs`` with ``optim.lswolfe``, 168-292; ``test(dataset)`` 295-338; one pass of the final loop
343-355) and dataset-mnist.lua (``loadDataset`` with ``normalizeGlobal``, ``size`` and the ``__index``
metatable that builds ``{input, one-hot label}``, lines 19-80).

mnist.t7's ``train_32x32.t7``/``test_32x32.t7`` (a ByteTensor ``data`` of n x 1 x 32 x 32 and ``labels``
1 .. 10) are written by the test with ``lg.save_lua`` in that layout from the repository's MNIST slice
(examples/data/mnist_5k.npz, 28x28 digits padded to 32x32), with 2000/1000 patches shrunk to 200/100. The
class numbers read from the file are 1 .. 10: the one-hot label puts its 1 at ``class - 1``.
"""
import os
import pathlib

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim, paths, xlua
from legonn import sys as tsys
from legonn.pl import lapp

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'   # the shipped MNIST slice

USAGE = """
   -s,--save          (default "logs")      subdirectory to save logs
   -n,--network       (default "")          reload pretrained network
   -m,--model         (default "convnet")   type of model tor train: convnet | mlp | linear
   -f,--full                                use the full dataset
   -p,--plot                                plot while training
   -o,--optimization  (default "SGD")       optimization: SGD | LBFGS
   -r,--learningRate  (default 0.05)        learning rate, for SGD only
   -b,--batchSize     (default 10)          batch size
   -m,--momentum      (default 0)           momentum, for SGD only
   -i,--maxIter       (default 3)           maximum nb of iterations per batch, for LBFGS
   --coefL1           (default 0)           L1 penalty on the weights
   --coefL2           (default 0)           L2 penalty on the weights
   -t,--threads       (default 4)           number of threads
"""


def write_mnist_t7(folder, seed=0):
    """mnist.t7/train_32x32.t7 and test_32x32.t7 from the bundled slice."""
    with np.load(DATA) as f:
        x, y = f['x'], f['y']
    order = np.random.default_rng(seed).permutation(len(y))
    x = np.pad(x[order], ((0, 0), (2, 2), (2, 2)))[:, None]
    labels = y[order].astype(np.uint8) + 1
    os.makedirs(folder / 'mnist.t7', exist_ok=True)
    for name, sl in (('train_32x32.t7', slice(0, 400)), ('test_32x32.t7', slice(400, 600))):
        lg.save_lua(str(folder / 'mnist.t7' / name), {'data': lg.ByteTensor(x[sl].copy()),
                                                        'labels': lg.ByteTensor(labels[sl].copy())}, 'ascii')


# ---------------------------------------------------------------------------------------- dataset-mnist.lua
class mnist:
    @staticmethod
    def require():
        """The file's top level, run by ``require 'dataset-mnist'``: paths.concat makes the paths absolute
        against the directory the script runs in."""
        mnist.path_dataset = 'mnist.t7'
        mnist.path_trainset = paths.concat(mnist.path_dataset, 'train_32x32.t7')
        mnist.path_testset = paths.concat(mnist.path_dataset, 'test_32x32.t7')

    @staticmethod
    def loadTrainSet(maxLoad, geometry):
        return mnist.loadDataset(mnist.path_trainset, maxLoad, geometry)

    @staticmethod
    def loadTestSet(maxLoad, geometry):
        return mnist.loadDataset(mnist.path_testset, maxLoad, geometry)

    @staticmethod
    def loadDataset(fileName, maxLoad, geometry=None):
        f = lg.load(fileName, 'ascii')
        data = f['data'].type(lg.getdefaulttensortype())
        labels = f['labels']

        nExample = f['data'].size(0)
        if maxLoad and maxLoad > 0 and maxLoad < nExample:
            nExample = maxLoad
            print('<mnist> loading only ' + str(nExample) + ' examples')
        data = data[0:nExample, :, :, :]
        labels = labels[0:nExample]
        print('<mnist> done')
        return Dataset(data, labels, nExample)


class Dataset:
    """The table loadDataset returns: its methods, and the metatable's ``__index`` as ``__getitem__``."""

    def __init__(self, data, labels, nExample):
        self.data = data
        self.labels = labels
        self.nExample = nExample
        self.labelvector = lg.zeros(10)

    def normalizeGlobal(self, mean_, std_):
        std = std_ if std_ is not None else self.data.std()
        mean = mean_ if mean_ is not None else self.data.mean()
        self.data.add(-mean)
        self.data.mul(1 / std)
        return mean, std

    def size(self):
        return self.nExample

    def __getitem__(self, index):
        input = self.data[index]
        class_ = self.labels[index]
        label = self.labelvector.zero()
        label[class_ - 1] = 1                 # the file's classes are 1 .. 10
        example = [input, label]
        return example


# ------------------------------------------------------------------------------------------ train-on-mnist.lua
def run(argv, nbTraining=200, nbTesting=100):
    mnist.require()
    G = type('Globals', (), {})()
    opt = lapp(USAGE, argv)
    G.opt = opt

    lg.manualSeed(1)

    lg.setnumthreads(opt['threads'])
    print('<torch> set nb of threads to ' + str(lg.getnumthreads()))

    if opt['optimization'] == 'SGD':
        lg.setdefaulttensortype('torch.FloatTensor')

    if opt['optimization'] == 'LBFGS' and opt['batchSize'] < 100:
        raise ValueError('LBFGS should not be used with small mini-batches; 1000 is recommended')

    classes = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']

    geometry = [32, 32]

    if opt['network'] == '':
        model = nn.Sequential()

        if opt['model'] == 'convnet':
            model.add(nn.SpatialConvolutionMM(1, 32, 5, 5))
            model.add(nn.Tanh())
            model.add(nn.SpatialMaxPooling(3, 3, 3, 3, 1, 1))
            model.add(nn.SpatialConvolutionMM(32, 64, 5, 5))
            model.add(nn.Tanh())
            model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
            model.add(nn.Reshape(64 * 3 * 3))
            model.add(nn.Linear(64 * 3 * 3, 200))
            model.add(nn.Tanh())
            model.add(nn.Linear(200, len(classes)))

        elif opt['model'] == 'mlp':
            model.add(nn.Reshape(1024))
            model.add(nn.Linear(1024, 2048))
            model.add(nn.Tanh())
            model.add(nn.Linear(2048, len(classes)))

        elif opt['model'] == 'linear':
            model.add(nn.Reshape(1024))
            model.add(nn.Linear(1024, len(classes)))

        else:
            print('Unknown model type')
            raise ValueError()
    else:
        print('<trainer> reloading previously trained network')
        model = lg.load(opt['network'])

    parameters, gradParameters = model.getParameters()
    G.model, G.parameters, G.gradParameters = model, parameters, gradParameters

    print('<mnist> using model:')
    print(model)

    model.add(nn.LogSoftMax())
    criterion = nn.ClassNLLCriterion()

    if opt['full']:
        nbTrainingPatches = 60000
        nbTestingPatches = 10000
    else:
        nbTrainingPatches = nbTraining
        nbTestingPatches = nbTesting

    mean = std = None                  # globals never set in the Lua: each set uses its own statistics
    trainData = mnist.loadTrainSet(nbTrainingPatches, geometry)
    trainData.normalizeGlobal(mean, std)

    testData = mnist.loadTestSet(nbTestingPatches, geometry)
    testData.normalizeGlobal(mean, std)
    G.trainData, G.testData = trainData, testData

    confusion = optim.ConfusionMatrix(classes)
    G.confusion = confusion

    trainLogger = optim.Logger(paths.concat(opt['save'], 'train.log'))
    testLogger = optim.Logger(paths.concat(opt['save'], 'test.log'))
    G.trainLogger, G.testLogger = trainLogger, testLogger
    G.epoch = None
    G.sgdState = None
    G.lbfgsState = None
    G.fevals = []

    def train(dataset):
        G.epoch = G.epoch if G.epoch is not None else 1

        time = tsys.clock()

        print('<trainer> on training set:')
        print('<trainer> online epoch # ' + str(G.epoch) + ' [batchSize = ' + str(opt['batchSize']) + ']')
        for t in range(0, dataset.size(), opt['batchSize']):
            inputs = lg.Tensor(opt['batchSize'], 1, geometry[0], geometry[1])
            targets = lg.Tensor(opt['batchSize'])
            k = 0
            for i in range(t, min(t + opt['batchSize'], dataset.size())):
                sample = dataset[i]
                input = sample[0].clone()
                _, target = sample[1].clone().max(0)
                target = target.squeeze()
                inputs[k] = input
                targets[k] = target
                k = k + 1

            def feval(x):
                if x is not parameters:
                    parameters.copy(x)

                gradParameters.zero()

                outputs = model.forward(inputs)
                f = criterion.forward(outputs, targets)

                df_do = criterion.backward(outputs, targets)
                model.backward(inputs, df_do)

                if opt['coefL1'] != 0 or opt['coefL2'] != 0:
                    norm, sign = lg.norm, lg.sign

                    f = f + opt['coefL1'] * norm(parameters, 1)
                    f = f + opt['coefL2'] * norm(parameters, 2) ** 2 / 2

                    gradParameters.add(sign(parameters).mul(opt['coefL1']) + parameters.clone().mul(opt['coefL2']))

                for i in range(opt['batchSize']):
                    confusion.add(outputs[i], targets[i])

                return f, gradParameters

            G.fevals.append(feval)
            if opt['optimization'] == 'LBFGS':
                G.lbfgsState = G.lbfgsState or {'maxIter': opt['maxIter'], 'lineSearch': optim.lswolfe}
                optim.lbfgs(feval, parameters, G.lbfgsState)

                print('LBFGS step')
                print(' - progress in batch: ' + str(t) + '/' + str(dataset.size()))
                print(' - nb of iterations: ' + str(G.lbfgsState['nIter']))
                print(' - nb of function evalutions: ' + str(G.lbfgsState['funcEval']))

            elif opt['optimization'] == 'SGD':
                G.sgdState = G.sgdState or {'learningRate': opt['learningRate'], 'momentum': opt['momentum'],
                                            'learningRateDecay': 5e-7}
                optim.sgd(feval, parameters, G.sgdState)

                xlua.progress(t, dataset.size())

            else:
                raise ValueError('unknown optimization method')

        time = tsys.clock() - time
        time = time / dataset.size()
        print('<trainer> time to learn 1 sample = ' + str(time * 1000) + 'ms')

        print(confusion)
        trainLogger.add({'% mean class accuracy (train set)': confusion.totalValid * 100})
        G.train_mat = confusion.mat.clone()
        confusion.zero()

        filename = paths.concat(opt['save'], 'mnist.net')
        os.system('mkdir -p ' + tsys.dirname(filename))
        if paths.filep(filename):
            os.system('mv ' + filename + ' ' + filename + '.old')
        print('<trainer> saving network to ' + filename)

        G.epoch = G.epoch + 1

    def test(dataset):
        time = tsys.clock()

        print('<trainer> on testing Set:')
        G.test_preds, G.test_targets = [], []
        for t in range(0, dataset.size(), opt['batchSize']):
            xlua.progress(t, dataset.size())

            inputs = lg.Tensor(opt['batchSize'], 1, geometry[0], geometry[1])
            targets = lg.Tensor(opt['batchSize'])
            k = 0
            for i in range(t, min(t + opt['batchSize'], dataset.size())):
                sample = dataset[i]
                input = sample[0].clone()
                _, target = sample[1].clone().max(0)
                target = target.squeeze()
                inputs[k] = input
                targets[k] = target
                k = k + 1

            preds = model.forward(inputs)

            for i in range(opt['batchSize']):
                confusion.add(preds[i], targets[i])
            G.test_preds.append(preds.numpy().argmax(1))
            G.test_targets.append(targets.numpy().copy())

        time = tsys.clock() - time
        time = time / dataset.size()
        print('<trainer> time to test 1 sample = ' + str(time * 1000) + 'ms')

        print(confusion)
        testLogger.add({'% mean class accuracy (test set)': confusion.totalValid * 100})
        G.test_mat = confusion.mat.clone()
        G.test_totalValid = confusion.totalValid
        confusion.zero()

    G.train, G.test, G.criterion = train, test, criterion
    return G


def one_pass(G):
    """One turn of the Lua's ``while true do`` loop."""
    G.train(G.trainData)
    G.test(G.testData)
    if G.opt['plot']:
        G.trainLogger.style({'% mean class accuracy (train set)': '-'})
        G.testLogger.style({'% mean class accuracy (test set)': '-'})
        G.trainLogger.plot()
        G.testLogger.plot()


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """The Lua runs beside its mnist.t7 folder; so does the port."""
    write_mnist_t7(tmp_path)
    monkeypatch.chdir(tmp_path)
    lg.setdefaulttensortype('torch.DoubleTensor')     # Torch7's default; tests/conftest.py restores Float
    return tmp_path


def nll_on(G, dataset):
    """The mean loss over the whole set, in one batch."""
    targets = dataset.labels[0:dataset.size()].double() - 1
    return G.criterion.forward(G.model.forward(dataset.data.type(lg.getdefaulttensortype())), targets)


@pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')
def test_convnet_sgd_one_epoch(in_tmp):
    G = run(['--plot', '-t', '2'])
    assert lg.getdefaulttensortype() in ('torch.FloatTensor', 'legonn.FloatTensor')
    # conv 1->32 5x5, conv 32->64 5x5, Linear(64*3*3, 200), Linear(200, 10), counted from the Lua's sizes
    assert G.parameters.nElement() == (25 * 32 + 32) + (32 * 25 * 64 + 64) + (576 * 200 + 200) + (200 * 10 + 10)
    assert abs(G.trainData.data.mean()) < 1e-4 and G.trainData.data.std() == pytest.approx(1, abs=1e-4)

    before = nll_on(G, G.testData)
    one_pass(G)
    assert nll_on(G, G.testData) < 0.95 * before

    # 200 samples in batches of 10: each counted once; the test matrix is a NumPy count
    assert int(G.train_mat.sum()) == 200
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (np.concatenate(G.test_targets).astype(int), np.concatenate(G.test_preds)), 1)
    assert np.array_equal(G.test_mat.numpy(), counts)
    assert G.test_totalValid == pytest.approx(np.trace(counts) / 100)
    assert G.test_totalValid > 0.3      # chance is 0.1
    assert os.path.exists(in_tmp / 'logs' / 'test.log.svg')


@pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')
def test_lbfgs_needs_big_batches_and_lowers_the_loss(in_tmp):
    with pytest.raises(ValueError, match='LBFGS should not be used with small mini-batches'):
        run(['-o', 'LBFGS'])
    G = run(['-o', 'LBFGS', '-b', '100', '-m', '0', '--model', 'linear', '-i', '3'])
    assert lg.getdefaulttensortype() in ('torch.DoubleTensor', 'legonn.DoubleTensor')
    assert G.parameters.nElement() == 1024 * 10 + 10
    start = G.parameters.clone()
    G.train(G.trainData)
    # two batches of at most maxIter iterations each (lbfgs stops early once a step changes too little)
    assert 2 <= G.lbfgsState['nIter'] <= 2 * 3 and G.lbfgsState['funcEval'] >= G.lbfgsState['nIter']
    last = G.fevals[-1]
    after = last(G.parameters)[0]
    G.parameters.copy(start)
    assert after < last(G.parameters)[0]


@pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')
def test_l1_l2_penalties(in_tmp):
    coef1, coef2 = 1e-3, 1e-2
    plain = run(['-o', 'LBFGS', '-b', '100', '--model', 'linear', '-i', '1'])
    plain.train(plain.trainData)
    feval = plain.fevals[-1]
    p = plain.parameters.clone()
    f0, g0 = feval(p)[0], plain.gradParameters.numpy().copy()

    penal = run(['-o', 'LBFGS', '-b', '100', '--model', 'linear', '-i', '1',
                 '--coefL1', str(coef1), '--coefL2', str(coef2)])
    penal.train(penal.trainData)
    f1, g1 = penal.fevals[-1](p)[0], penal.gradParameters.numpy().copy()
    w = p.numpy()
    # the penalties Lua adds, computed with NumPy: f + c1 |w|_1 + c2 |w|^2 / 2, g + c1 sign(w) + c2 w
    assert f1 - f0 == pytest.approx(coef1 * np.abs(w).sum() + coef2 * (w ** 2).sum() / 2, rel=1e-6)
    assert np.allclose(g1 - g0, coef1 * np.sign(w) + coef2 * w, atol=1e-10)
