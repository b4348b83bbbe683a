"""szagoruyko/cifar.torch ported line by line: provider.lua (the Provider class, lines 5-106: the CIFAR-10 t7
batches read with ``torch.load(..., 'ascii')``, rgb -> yuv, Y normalised locally by
``nn.SpatialContrastiveNormalization(1, image.gaussian1D(7))``, U and V globally by the train set's mean and
std), train.lua (lines 1-215: the options read by lapp, trepl's colours, the BatchFlip module, the model built
with ``cast``, the Copy whose backward is switched off, ``getParameters``, optim.sgd with its config, the
ConfusionMatrix, the optim.Logger and its report, the shuffled minibatches of
``torch.randperm(n):long():split(bs)``), models/vgg_bn_drop.lua (lines 1-69: ConvBNReLU,
``MaxPooling(2,2,2,2):ceil()``, the MSR init over ``findModules``) and models/nin.lua (lines 1-39). Sizes are
shrunk (a few synthetic images per CIFAR batch file, short training runs); the models' widths are the Lua's."""
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn, optim, paths, xlua
from legonn.pl import lapp
from legonn.trepl import colorize as c


# --- provider.lua -----------------------------------------------------------------------------------------

class Provider:
    """provider.lua's class. ``trsize``/``tesize`` (50000/10000 in the Lua) and the images per batch file
    (10000) are arguments, so that a tiny synthetic set stands in for the download."""

    def __init__(self, full=None, trsize=50000, tesize=10000, per_batch=10000):
        # download dataset
        if not paths.dirp('cifar-10-batches-t7'):
            raise FileNotFoundError('cifar-10-batches-t7')   # the Lua runs wget and tar here

        # load dataset
        self.trainData = {
            'data': lg.Tensor(5 * per_batch, 3072),
            'labels': lg.Tensor(5 * per_batch),
            'size': lambda: trsize,
        }
        trainData = self.trainData
        for i in range(0, 5):
            subset = lg.load('cifar-10-batches-t7/data_batch_' + str(i + 1) + '.t7', 'ascii')
            trainData['data'][i * per_batch:(i + 1) * per_batch] = subset['data'].t()
            trainData['labels'][i * per_batch:(i + 1) * per_batch] = subset['labels']
        # trainData.labels = trainData.labels + 1: labels stay 0-based

        subset = lg.load('cifar-10-batches-t7/test_batch.t7', 'ascii')
        self.testData = {
            'data': subset['data'].t().double(),
            'labels': subset['labels'][0].double(),
            'size': lambda: tesize,
        }
        testData = self.testData
        # testData.labels = testData.labels + 1: labels stay 0-based

        # resize dataset (if using small version)
        trainData['data'] = trainData['data'][0:trsize]
        trainData['labels'] = trainData['labels'][0:trsize]

        testData['data'] = testData['data'][0:tesize]
        testData['labels'] = testData['labels'][0:tesize]

        # reshape data
        trainData['data'] = trainData['data'].reshape(trsize, 3, 32, 32)
        testData['data'] = testData['data'].reshape(tesize, 3, 32, 32)

    def normalize(self):
        # preprocess/normalize train/test sets
        trainData = self.trainData
        testData = self.testData

        print('<trainer> preprocessing data (color space + normalization)')

        # preprocess trainSet
        normalization = nn.SpatialContrastiveNormalization(1, image.gaussian1D(7))
        for i in range(trainData['size']()):
            xlua.progress(i, trainData['size']())
            # rgb -> yuv
            rgb = trainData['data'][i]
            yuv = image.rgb2yuv(rgb)
            # normalize y locally:
            yuv[0] = normalization(yuv[0:1])
            trainData['data'][i] = yuv
        # normalize u globally:
        mean_u = trainData['data'].select(1, 1).mean()
        std_u = trainData['data'].select(1, 1).std()
        trainData['data'].select(1, 1).add(-mean_u)
        trainData['data'].select(1, 1).div(std_u)
        # normalize v globally:
        mean_v = trainData['data'].select(1, 2).mean()
        std_v = trainData['data'].select(1, 2).std()
        trainData['data'].select(1, 2).add(-mean_v)
        trainData['data'].select(1, 2).div(std_v)

        trainData['mean_u'] = mean_u
        trainData['std_u'] = std_u
        trainData['mean_v'] = mean_v
        trainData['std_v'] = std_v

        # preprocess testSet
        for i in range(testData['size']()):
            xlua.progress(i, testData['size']())
            # rgb -> yuv
            rgb = testData['data'][i]
            yuv = image.rgb2yuv(rgb)
            # normalize y locally:
            yuv[0] = normalization(yuv[0:1])
            testData['data'][i] = yuv
        # normalize u globally:
        testData['data'].select(1, 1).add(-mean_u)
        testData['data'].select(1, 1).div(std_u)
        # normalize v globally:
        testData['data'].select(1, 2).add(-mean_v)
        testData['data'].select(1, 2).div(std_v)


def write_ascii_batch(path, data, labels):
    """A CIFAR-10 batch file as cifar-10-torch.tar.gz holds it: ``torch.save(path, {data = ByteTensor(3072 x n),
    labels = ByteTensor(1 x n)}, 'ascii')``, in THDiskFile's ascii encoding (numbers as text lines, byte data
    raw), written by hand since legonn writes Torch7 files in binary only."""
    def string(s):
        return b'2\n%d\n%s\n' % (len(s), s)

    def byte_tensor(a, index):
        rows, cols = a.shape
        head = b'4\n%d\n' % index + b'3\nV 1\n' + b'16\ntorch.ByteTensor\n'
        head += b'2\n%d %d\n%d 1\n1\n' % (rows, cols, cols)
        storage = b'4\n%d\n' % (index + 1) + b'3\nV 1\n' + b'17\ntorch.ByteStorage\n'
        return head + storage + b'%d\n' % a.size + a.astype(np.uint8).tobytes() + b'\n'

    with open(path, 'wb') as f:
        f.write(b'3\n1\n2\n' + string(b'data') + byte_tensor(data, 2) + string(b'labels') + byte_tensor(labels, 4))


def numpy_yuv_normalised(rgb):
    """What Provider:normalize makes of one image, in NumPy: image.rgb2yuv's matrix (torch/image init.lua),
    then SpatialSubtractive- and SpatialDivisiveNormalization.lua on Y with the 7-tap gaussian1D kernel
    (normalised to sum 1), zero padding and its border coefficient, stds at or below 1e-4 raised to 1e-4."""
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.14713 * r - 0.28886 * g + 0.436 * b
    v = 0.615 * r - 0.51499 * g - 0.10001 * b
    k = np.exp(-0.5 * ((np.arange(1, 8) - 4) / (0.25 * 7)) ** 2)     # image.gaussian1D(7): sigma 0.25, amplitude 1
    k /= k.sum()

    def smooth(a):
        a = np.apply_along_axis(lambda row: np.convolve(row, k, 'same'), 1, a)
        return np.apply_along_axis(lambda col: np.convolve(col, k, 'same'), 0, a)
    coef = smooth(np.ones_like(y))
    centred = y - smooth(y) / coef
    std = np.sqrt(smooth(centred ** 2)) / coef
    return np.stack([centred / np.where(std > 1e-4, std, 1e-4), u, v])


@pytest.fixture
def cifar_folder(tmp_path, monkeypatch):
    """Six tiny batch files (4 images each) of random pixels in ``tmp_path/cifar-10-batches-t7``, the working
    directory the Lua expects them under. Returns the train and test images and labels as NumPy arrays."""
    rng = np.random.RandomState(7)
    folder = tmp_path / 'cifar-10-batches-t7'
    folder.mkdir()
    images, labels = rng.randint(0, 256, (24, 3072)), rng.randint(0, 10, (24,))
    for i in range(5):
        write_ascii_batch(folder / f'data_batch_{i + 1}.t7', images[4 * i:4 * i + 4].T, labels[None, 4 * i:4 * i + 4])
    write_ascii_batch(folder / 'test_batch.t7', images[20:].T, labels[None, 20:])
    monkeypatch.chdir(tmp_path)
    return images[:20], labels[:20], images[20:], labels[20:]


def test_provider_loads_the_ascii_batches(cifar_folder):
    """Provider:__init reads the five train batches and the test batch (torch.load(..., 'ascii')), transposes
    3072 x n to n x 3072, keeps trsize/tesize of them and reshapes to n x 3 x 32 x 32 DoubleTensors."""
    train_x, train_y, test_x, test_y = cifar_folder
    lg.setdefaulttensortype('torch.DoubleTensor')
    provider = Provider(None, trsize=18, tesize=3, per_batch=4)
    assert provider.trainData['data'].size() == (18, 3, 32, 32) and provider.trainData['size']() == 18
    assert provider.testData['data'].size() == (3, 3, 32, 32) and provider.testData['size']() == 3
    assert provider.trainData['data'].type() == provider.testData['data'].type() == 'torch.DoubleTensor'
    np.testing.assert_array_equal(provider.trainData['data'].numpy(), train_x[:18].reshape(18, 3, 32, 32))
    np.testing.assert_array_equal(provider.trainData['labels'].numpy(), train_y[:18])
    np.testing.assert_array_equal(provider.testData['data'].numpy(), test_x[:3].reshape(3, 3, 32, 32))
    np.testing.assert_array_equal(provider.testData['labels'].numpy(), test_y[:3])


def test_provider_normalize_against_numpy(cifar_folder):
    """Provider:normalize: Y of each image normalised locally as numpy_yuv_normalised computes it; U and V of
    the train set have mean 0 and (unbiased) std 1, and the test set is shifted and scaled by the train set's
    numbers, which are kept as trainData.mean_u ... std_v."""
    train_x, _, test_x, _ = cifar_folder
    lg.setdefaulttensortype('torch.DoubleTensor')
    provider = Provider(None, trsize=20, tesize=4, per_batch=4)
    provider.trainData['data'].div(255)          # images in [0, 1], as rgb2yuv expects (any scale computes)
    provider.testData['data'].div(255)
    provider.normalize()

    train = np.stack([numpy_yuv_normalised(x.reshape(3, 32, 32) / 255) for x in train_x])
    test = np.stack([numpy_yuv_normalised(x.reshape(3, 32, 32) / 255) for x in test_x])
    mean_u, std_u = train[:, 1].mean(), train[:, 1].std(ddof=1)
    mean_v, std_v = train[:, 2].mean(), train[:, 2].std(ddof=1)
    for data in (train, test):
        data[:, 1] = (data[:, 1] - mean_u) / std_u
        data[:, 2] = (data[:, 2] - mean_v) / std_v
    got = provider.trainData
    np.testing.assert_allclose([got['mean_u'], got['std_u'], got['mean_v'], got['std_v']],
                               [mean_u, std_u, mean_v, std_v], rtol=1e-12)
    np.testing.assert_allclose(got['data'].numpy(), train, atol=1e-9)
    np.testing.assert_allclose(provider.testData['data'].numpy(), test, atol=1e-9)
    assert abs(got['data'].select(1, 1).mean()) < 1e-12 and abs(got['data'].select(1, 2).std() - 1) < 1e-12


# --- train.lua: the data augmentation module --------------------------------------------------------------

class BatchFlip(nn.Module):
    """train.lua lines 23-42: in training, flips half of the batch's images left to right, in place."""

    def __init__(self):
        super().__init__()
        self.train = True

    def updateOutput(self, input):
        if self.train:
            bs = input.size(0)
            flip_mask = lg.randperm(bs).le(bs / 2 - 1)      # randperm is 0-based: the bound shifts too
            for i in range(input.size(0)):
                if flip_mask[i] == 1:
                    image.hflip(input[i], input[i])
        self.output.set(input)
        return self.output


def test_batch_flip_flips_half_the_batch_in_place():
    """BatchFlip flips exactly bs/2 images of the batch (each along its width, the others untouched), writes
    them into the input itself, and its output shares the input's storage; evaluate() turns it off."""
    flip = BatchFlip().float()
    x = lg.FloatTensor(6, 3, 4, 5).uniform()
    before = x.numpy().copy()
    y = flip.forward(x)
    assert y.storage() is x.storage() and y.size() == x.size()
    flipped = [i for i in range(6) if not np.array_equal(x.numpy()[i], before[i])]
    assert len(flipped) == 3
    for i in range(6):
        np.testing.assert_array_equal(x.numpy()[i], before[i][:, :, ::-1] if i in flipped else before[i])
    flip.evaluate()
    again = x.numpy().copy()
    flip.forward(x)
    np.testing.assert_array_equal(x.numpy(), again)


# --- models/vgg_bn_drop.lua and models/nin.lua ------------------------------------------------------------

def vgg_bn_drop():
    vgg = nn.Sequential()

    # building block
    def ConvBNReLU(nInputPlane, nOutputPlane):
        vgg.add(nn.SpatialConvolution(nInputPlane, nOutputPlane, 3, 3, 1, 1, 1, 1))
        vgg.add(nn.SpatialBatchNormalization(nOutputPlane, 1e-3))
        vgg.add(nn.ReLU(True))
        return vgg

    # Will use "ceil" MaxPooling because we want to save as much
    # space as we can
    MaxPooling = nn.SpatialMaxPooling

    ConvBNReLU(3, 64).add(nn.Dropout(0.3))
    ConvBNReLU(64, 64)
    vgg.add(MaxPooling(2, 2, 2, 2).ceil())

    ConvBNReLU(64, 128).add(nn.Dropout(0.4))
    ConvBNReLU(128, 128)
    vgg.add(MaxPooling(2, 2, 2, 2).ceil())

    ConvBNReLU(128, 256).add(nn.Dropout(0.4))
    ConvBNReLU(256, 256).add(nn.Dropout(0.4))
    ConvBNReLU(256, 256)
    vgg.add(MaxPooling(2, 2, 2, 2).ceil())

    ConvBNReLU(256, 512).add(nn.Dropout(0.4))
    ConvBNReLU(512, 512).add(nn.Dropout(0.4))
    ConvBNReLU(512, 512)
    vgg.add(MaxPooling(2, 2, 2, 2).ceil())

    ConvBNReLU(512, 512).add(nn.Dropout(0.4))
    ConvBNReLU(512, 512).add(nn.Dropout(0.4))
    ConvBNReLU(512, 512)
    vgg.add(MaxPooling(2, 2, 2, 2).ceil())
    vgg.add(nn.View(512))

    classifier = nn.Sequential()
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(512, 512))
    classifier.add(nn.BatchNormalization(512))
    classifier.add(nn.ReLU(True))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(512, 10))
    vgg.add(classifier)

    # initialization from MSR
    def MSRinit(net):
        def init(name):
            for v in net.findModules(name)[0]:
                n = v.kW * v.kH * v.nOutputPlane
                v.weight.normal(0, math.sqrt(2 / n))
                v.bias.zero()
        # have to do for both backends
        init('nn.SpatialConvolution')

    MSRinit(vgg)

    # check that we can propagate forward without errors
    # should get 16x10 tensor
    # print(#vgg:cuda():forward(torch.CudaTensor(16,3,32,32)))

    return vgg


def nin(backend_name='nn'):
    """models/nin.lua; ``backend_name`` is the global train.lua never sets (nil formats as the string 'nil'
    in Lua's string.format, so the init loop finds nothing there: here it is the argument)."""
    model = nn.Sequential()

    def Block(*arg):
        model.add(nn.SpatialConvolution(*arg))
        model.add(nn.SpatialBatchNormalization(arg[1], 1e-3))
        model.add(nn.ReLU(True))
        return model

    Block(3, 192, 5, 5, 1, 1, 2, 2)
    Block(192, 160, 1, 1)
    Block(160, 96, 1, 1)
    model.add(nn.SpatialMaxPooling(3, 3, 2, 2).ceil())
    model.add(nn.Dropout())
    Block(96, 192, 5, 5, 1, 1, 2, 2)
    Block(192, 192, 1, 1)
    Block(192, 192, 1, 1)
    model.add(nn.SpatialAveragePooling(3, 3, 2, 2).ceil())
    model.add(nn.Dropout())
    Block(192, 192, 3, 3, 1, 1, 1, 1)
    Block(192, 192, 1, 1)
    Block(192, 10, 1, 1)
    model.add(nn.SpatialAveragePooling(8, 8, 1, 1).ceil())
    model.add(nn.View(10))

    for v in model.findModules('%s.SpatialConvolution' % backend_name)[0]:
        v.weight.normal(0, 0.05)
        v.bias.zero()

    return model


def test_vgg_bn_drop_structure_init_and_output():
    """13 ConvBNReLU blocks (conv 3x3 weight and bias, BN weight and bias), two Linear and one BN in the
    classifier: 14,991,946 parameters counted from the Lua's widths. The MSR init draws each conv's weights
    with std sqrt(2 / (kW kH nOutputPlane)) and zeroes its bias; five ceil poolings take 32 to 1, and a batch
    of two gives 2 x 10."""
    widths = [3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    expected = sum(9 * a * b + b + 2 * b for a, b in zip(widths, widths[1:]))
    expected += (512 * 512 + 512) + 2 * 512 + (512 * 10 + 10)
    assert expected == 14991946
    vgg = vgg_bn_drop()
    params, grads = vgg.getParameters()
    assert params.nElement() == grads.nElement() == expected
    convs = vgg.findModules('nn.SpatialConvolution')[0]
    assert len(convs) == 13 and len(vgg.findModules('nn.SpatialMaxPooling')[0]) == 5
    assert len(vgg.findModules('nn.Dropout')[0]) == 10
    for conv in convs:
        assert conv.bias.abs().max() == 0
    last = convs[-1].weight.numpy()                 # 2.4 million draws: their std is within 0.2 % of the aim
    assert abs(last.std() / math.sqrt(2 / (9 * 512)) - 1) < 0.005 and abs(last.mean()) < 1e-4
    assert abs(convs[0].weight.numpy().std() / math.sqrt(2 / (9 * 64)) - 1) < 0.1
    vgg.evaluate()
    out = vgg.forward(lg.Tensor(2, 3, 32, 32).normal())
    assert out.size() == (2, 10)
    assert vgg.get(7).output.size() == (2, 64, 16, 16)


def test_nin_structure_and_output():
    """models/nin.lua: nine conv-BN-ReLU blocks; the ceil poolings take 32 -> 16 (3x3 stride 2: ceil(29/2)+1)
    -> 8, and the 8x8 average gives 1x1, viewed as 10 scores per image. Parameters counted from the Lua's sizes; the
    init loop (with the backend named) draws weights of std 0.05 and zeroes the biases."""
    blocks = [(3, 192, 5), (192, 160, 1), (160, 96, 1), (96, 192, 5), (192, 192, 1), (192, 192, 1),
              (192, 192, 3), (192, 192, 1), (192, 10, 1)]
    expected = sum(k * k * a * b + b + 2 * b for a, b, k in blocks)
    model = nin()
    assert model.getParameters()[0].nElement() == expected
    weights = np.concatenate([c.weight.numpy().ravel() for c in model.findModules('nn.SpatialConvolution')[0]])
    assert abs(weights.std() / 0.05 - 1) < 0.01
    model.evaluate()
    assert model.forward(lg.Tensor(2, 3, 32, 32).normal()).size() == (2, 10)
    assert model.get(9).output.size() == (2, 96, 16, 16) and model.get(20).output.size() == (2, 192, 8, 8)
    # the Lua's check forwards one image: View(10) (no setNumInputDims) then drops the batch of one, as here
    assert model.forward(lg.Tensor(1, 3, 32, 32).normal()).size() == (10,)


# --- train.lua --------------------------------------------------------------------------------------------

def tiny(opt=None):
    """A model file of the size a test trains in a second (the Lua's are models/*.lua of 15 million
    parameters): one ConvBNReLU as vgg_bn_drop.lua builds it, a ceil pooling to 8 x 8, a Linear to 10 scores."""
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1))
    model.add(nn.SpatialBatchNormalization(8, 1e-3))
    model.add(nn.ReLU(True))
    model.add(nn.SpatialMaxPooling(4, 4, 4, 4).ceil())
    model.add(nn.View(8 * 8 * 8))
    model.add(nn.Linear(8 * 8 * 8, 10))
    return model


MODELS = {'vgg_bn_drop': vgg_bn_drop, 'nin': nin, 'tiny': tiny}   # dofile('models/'..opt.model..'.lua')


def train_lua(provider, epoch=None):
    """train.lua lines 7-215 with its globals as locals of this function; the options come from the command
    line (sys.argv) as lapp reads them. ``provider`` is the object the Lua reads from provider.t7 (a Provider
    holds functions, which legonn's files do not store); ``epoch`` is the global the Lua's ``epoch = epoch or
    1`` starts from. Returns the objects a test looks at."""
    opt = lapp("""
   -s,--save                  (default "logs")      subdirectory to save logs
   -b,--batchSize             (default 128)          batch size
   -r,--learningRate          (default 1)        learning rate
   --learningRateDecay        (default 1e-7)      learning rate decay
   --weightDecay              (default 0.0005)      weightDecay
   -m,--momentum              (default 0.9)         momentum
   --epoch_step               (default 25)          epoch step
   --model                    (default vgg_bn_drop)     model name
   --max_epoch                (default 300)           maximum number of iterations
   --backend                  (default nn)            backend
   --type                     (default cuda)          cuda/float/cl
""")

    print(opt)

    def cast(t):
        if opt['type'] == 'cuda':
            xlua.require('cunn')
            return t.cuda()
        elif opt['type'] == 'float':
            return t.float()
        elif opt['type'] == 'cl':
            xlua.require('clnn')
            return t.cl()
        else:
            raise ValueError('Unknown type ' + opt['type'])

    print(c.blue('==>') + ' configuring model')
    model = nn.Sequential()
    model.add(BatchFlip().float())
    model.add(cast(nn.Copy('torch.FloatTensor', lg.type(cast(lg.Tensor())))))
    model.add(cast(MODELS[opt['model']]()))
    model.get(1).updateGradInput = lambda input, gradOutput: None

    print(model)

    print(c.blue('==>') + ' loading data')
    provider['trainData']['data'] = provider['trainData']['data'].float()
    provider['testData']['data'] = provider['testData']['data'].float()

    confusion = optim.ConfusionMatrix(10)

    print('Will save at ' + opt['save'])
    paths.mkdir(opt['save'])
    testLogger = optim.Logger(paths.concat(opt['save'], 'test.log'))
    testLogger.setNames(['% mean class accuracy (train set)', '% mean class accuracy (test set)'])
    testLogger.showPlot = False

    parameters, gradParameters = model.getParameters()

    print(c.blue('==>') + ' setting criterion')
    criterion = cast(nn.CrossEntropyCriterion())

    print(c.blue('==>') + ' configuring optimizer')
    optimState = {
        'learningRate': opt['learningRate'],
        'weightDecay': opt['weightDecay'],
        'momentum': opt['momentum'],
        'learningRateDecay': opt['learningRateDecay'],
    }
    g = {'epoch': epoch, 'train_acc': None, 'losses': []}

    def train():
        model.training()
        g['epoch'] = g['epoch'] if g['epoch'] is not None else 1

        # drop learning rate every "epoch_step" epochs
        if g['epoch'] % opt['epoch_step'] == 0:
            optimState['learningRate'] = optimState['learningRate'] / 2

        print(c.blue('==>') + ' online epoch # ' + str(g['epoch']) + ' [batchSize = ' + str(opt['batchSize']) + ']')

        targets = cast(lg.FloatTensor(opt['batchSize']))
        indices = lg.randperm(provider['trainData']['data'].size(0)).long().split(opt['batchSize'])
        # remove last element so that all the batches have equal size
        del indices[-1]

        tic = lg.tic()
        for t, v in enumerate(indices):
            xlua.progress(t, len(indices))

            inputs = provider['trainData']['data'].index(0, v)
            targets.copy(provider['trainData']['labels'].index(0, v))

            def feval(x):
                if x is not parameters:
                    parameters.copy(x)
                gradParameters.zero()

                outputs = model.forward(inputs)
                f = criterion.forward(outputs, targets)
                df_do = criterion.backward(outputs, targets)
                model.backward(inputs, df_do)

                confusion.batchAdd(outputs, targets)

                g['losses'].append(f)
                return f, gradParameters
            optim.sgd(feval, parameters, optimState)

        confusion.updateValids()
        print(('Train accuracy: ' + c.cyan('%.2f') + ' %%\t time: %.2f s') % (confusion.totalValid * 100, lg.toc(tic)))

        g['train_acc'] = confusion.totalValid * 100

        confusion.zero()
        g['epoch'] = g['epoch'] + 1

    def test():
        # disable flips, dropouts and batch normalization
        model.evaluate()
        print(c.blue('==>') + ' testing')
        bs = 125
        for i in range(0, provider['testData']['data'].size(0), bs):
            outputs = model.forward(provider['testData']['data'].narrow(0, i, bs))
            confusion.batchAdd(outputs, provider['testData']['labels'].narrow(0, i, bs))

        confusion.updateValids()
        print('Test accuracy:', confusion.totalValid * 100)
        g['test_acc'] = confusion.totalValid * 100

        if testLogger is not None:
            paths.mkdir(opt['save'])
            testLogger.add([g['train_acc'], confusion.totalValid * 100])
            testLogger.style(['-', '-'])
            testLogger.plot()

            # optim.Logger plots to test.log.svg (Torch7's gnuplot wrote test.log.eps, which the Lua converts
            # to a PNG with ImageMagick and encodes with openssl: here the SVG is encoded by Python)
            if paths.filep(opt['save'] + '/test.log.svg'):
                import base64
                with open(opt['save'] + '/test.log.svg', 'rb') as f:
                    base64im = base64.b64encode(f.read()).decode('ascii')

                file = open(opt['save'] + '/report.html', 'w')
                file.write(("""
      <!DOCTYPE html>
      <html>
      <body>
      <title>%s - %s</title>
      <img src="data:image/svg+xml;base64,%s">
      <h4>optimState:</h4>
      <table>
      """) % (opt['save'], g['epoch'], base64im))
                for k, v in optimState.items():
                    if lg.type(v) == 'number':
                        file.write('<tr><td>' + k + '</td><td>' + str(v) + '</td></tr>\n')
                file.write('</table><pre>\n')
                file.write(str(confusion) + '\n')
                file.write(str(model) + '\n')
                file.write('</pre></body></html>')
                file.close()

        # save model every 50 epochs
        if g['epoch'] % 50 == 0:
            filename = paths.concat(opt['save'], 'model.net')
            print('==> saving model to ' + filename)
            lg.save(filename, model.get(2).clearState())

        confusion.zero()

    g['accuracies'] = []
    for i in range(opt['max_epoch']):
        train()
        test()
        g['accuracies'].append((g['train_acc'], g['test_acc']))
    testLogger.close()
    return model, optimState, g


def separable_provider(trsize, tesize):
    """A Provider-shaped object of 32 x 32 images whose class c (0 .. 9) is a bright band across rows 3c + 1 and
    3c + 2, over noise: unchanged by BatchFlip's flips, learnable by the tiny model in a few dozen steps."""
    rng = np.random.RandomState(3)

    def split(n):
        labels = rng.randint(0, 10, n)
        data = rng.normal(0, 0.3, (n, 3, 32, 32))
        for i, c in enumerate(labels):
            data[i, :, 3 * c + 1:3 * c + 3] += 2
        return {'data': lg.DoubleTensor(data), 'labels': lg.DoubleTensor(labels.astype(float)),
                'size': lambda: n}
    return {'trainData': split(trsize), 'testData': split(tesize)}


ARGV = ['train.lua', '-b', '16', '-r', '0.5', '--epoch_step', '49', '--model', 'tiny', '--max_epoch', '2',
        '--type', 'float']


def test_train_and_test_loops(tmp_path, monkeypatch, capsys):
    """Two epochs (the global epoch starting at 48, so that epoch 49 halves the rate and the test after it saves
    the model) of 64 images in batches of 16, the last batch dropped: 3 sgd steps an epoch, each counted in
    optimState.evalCounter (sgd keeps its state in the config table it is given). The loss falls, the test
    accuracy the ConfusionMatrix reports equals the argmax count done in NumPy, the Logger's file holds the
    names and two rows of accuracies, the report lists optimState's numbers, and model.net reloads as the
    trained network. The Copy's backward is off: it hands back nothing. lapp read the command line, and the
    progress lines carry trepl's colours."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr('sys.argv', ARGV)          # th train.lua -b 16 -r 0.5 --epoch_step 49 ...
    provider = separable_provider(64, 125)
    model, optimState, g = train_lua(provider, epoch=48)
    assert optimState['evalCounter'] == 6 and optimState['learningRate'] == 0.25
    assert g['epoch'] == 50 and len(g['losses']) == 6
    out = capsys.readouterr().out
    assert "'batchSize': 16" in out and "'type': 'float'" in out and "'learningRateDecay': 1e-07" in out
    assert '\x1b[0;34m==>\x1b[0m online epoch # 49 [batchSize = 16]' in out
    assert ('Train accuracy: \x1b[0;36m%.2f\x1b[0m %%' % g['accuracies'][-1][0]) in out
    assert g['losses'][-1] < g['losses'][0] / 2
    assert model.get(1).gradInput.nElement() == 0

    test_x, test_y = provider['testData']['data'], provider['testData']['labels'].numpy()
    model.evaluate()
    scores = model.forward(test_x).numpy()
    np.testing.assert_allclose(g['accuracies'][-1][1], 100 * np.mean(scores.argmax(1) == test_y))
    assert g['accuracies'][-1][1] > 50

    log = (tmp_path / 'logs' / 'test.log').read_text().splitlines()
    assert log[0] == '% mean class accuracy (train set)\t% mean class accuracy (test set)\t'
    rows = [[float(v) for v in line.split('\t') if v] for line in log[1:]]
    np.testing.assert_allclose(rows, g['accuracies'], rtol=1e-4)
    report = (tmp_path / 'logs' / 'report.html').read_text()
    assert '<tr><td>evalCounter</td><td>6</td></tr>' in report and '<td>learningRate</td><td>0.25</td>' in report
    assert 'ConfusionMatrix' in report and 'nn.Sequential' in report and 'dfdx' not in report

    saved = lg.load(str(tmp_path / 'logs' / 'model.net'))
    saved.evaluate()
    np.testing.assert_allclose(saved.forward(test_x.float()).numpy(), scores, rtol=1e-5, atol=1e-6)


def test_minibatches_of_randperm_split():
    """torch.randperm(n):long():split(bs) with the last entry removed: full batches only, every index at most
    once, all of them when bs divides n less one batch."""
    indices = lg.randperm(50).long().split(16)
    assert [len(v) for v in indices] == [16, 16, 16, 2]
    del indices[-1]
    seen = np.concatenate([v.numpy() for v in indices])
    assert len(set(seen.tolist())) == 48 and seen.min() >= 0 and seen.max() <= 49
    assert indices[0].type() == 'torch.LongTensor'


@pytest.mark.gpu
def test_train_loop_with_type_cuda(tmp_path, monkeypatch):
    """opt.type = 'cuda': the BatchFlip stays a float module on the host, nn.Copy moves each batch to the GPU,
    the model and criterion are CUDA; the test loop's CUDA scores meet CPU labels in the ConfusionMatrix."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr('sys.argv', ARGV[:-2])     # --type takes its default, cuda
    provider = separable_provider(64, 125)
    model, optimState, g = train_lua(provider, epoch=48)
    assert model.get(2).output.type() == 'torch.CudaTensor'
    assert optimState['evalCounter'] == 6 and g['losses'][-1] < g['losses'][0] / 2
    assert g['accuracies'][-1][1] > 50
