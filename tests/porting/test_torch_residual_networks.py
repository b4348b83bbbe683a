"""gcr/torch-residual-networks ported line by line: residual-layers.lua (addResidualLayer2, lines 27-93: two
3x3 cudnn convolutions initialised with nninit's kaiming and constant, batch normalisation, and the shortcut of
option (A): ``SpatialAveragePooling(1, 1, stride, stride)`` subsampling, ``nn.Padding`` of zero planes or
``nn.Narrow``, summed by ``CAddTable`` in an nngraph gModule; its commented test, lines 153-163),
data/cifar-dataset.lua (``Dataset.CIFAR``: the t7 batches read with ``torch.load(..., 'ascii')``, the preprocessing
by the mean image and the global std, ``sampleIndices`` with its random shifts of up to 4 pixels and flips,
``sample`` and ``getBatch``), train-helpers.lua (evaluateModel's top-1/top-5 and TrainingHelpers.trainForever,
lines 25-83) and train-cifar.lua (lines 44-231 and 254-262: the lapp options, the 6N+2-layer network, the
learning rate schedule and the sub-batches of forwardBackwardBatch, evalModel, ``--loadFrom`` and the endless
training loop).

The scripts run on CUDA only (``require 'cudnn'``, ``inputs:cuda()``, ``model:cuda()``): the whole training runs
on the GPU simulator; the CPU tests build the networks (legonn's cudnn modules compute on the CPU too) and run the
dataset, the helpers and the loop with CPU batches. The CIFAR class's 50000/10000 images are arguments, so that
a few synthetic images per batch file stand in for the download. lab-workbook (the experiment log, which also
saves the model and sgdState) is absent, as its ``pcall(require, ...)`` allows; the test saves them as its
``saveTorch`` would, for ``--loadFrom``. ``Date{os.date()}`` (a global train-helpers.lua never defines: Penlight's
Date loaded by some other package) is Python's date."""
import datetime
import math
import warnings

import numpy as np
import pytest

import legonn as lg
from legonn import cutorch, image, nn, nninit, optim, xlua
from legonn.pl import lapp
from tests.checks import assert_jacobian


# --- residual-layers.lua ----------------------------------------------------------------------------------

def addResidualLayer2(input, nChannels, nOutChannels=None, stride=None):
    """Residual layers! Implements option (A) from Section 3.3. The input is passed through two 3x3 convolution
    filters. In parallel, if the number of input and output channels differ or if the stride is not 1, then the
    input is downsampled or zero-padded to have the correct size and number of channels. Finally, the two
    versions of the input are added together."""
    from legonn import cudnn
    nOutChannels = nOutChannels or nChannels
    stride = stride or 1
    # Path 1: Convolution
    # The first layer does the downsampling and the striding
    net = cudnn.SpatialConvolution(nChannels, nOutChannels,
                                   3, 3, stride, stride, 1, 1) \
        .init('weight', nninit.kaiming, {'gain': 'relu'}) \
        .init('bias', nninit.constant, 0)(input)
    net = cudnn.SpatialBatchNormalization(nOutChannels) \
        .init('weight', nninit.normal, 1.0, 0.002) \
        .init('bias', nninit.constant, 0)(net)
    net = cudnn.ReLU(True)(net)
    net = cudnn.SpatialConvolution(nOutChannels, nOutChannels,
                                   3, 3, 1, 1, 1, 1) \
        .init('weight', nninit.kaiming, {'gain': 'relu'}) \
        .init('bias', nninit.constant, 0)(net)
    # Should we put Batch Normalization here? I think not, because
    # BN would force the output to have unit variance, which breaks the residual
    # property of the network.
    # What about ReLU here? I think maybe not for the same reason. Figure 2
    # implies that they don't use it here

    # Path 2: Identity / skip connection
    skip = input
    if stride > 1:
        # optional downsampling
        skip = nn.SpatialAveragePooling(1, 1, stride, stride)(skip)
    if nOutChannels > nChannels:
        # optional padding
        skip = nn.Padding(0, (nOutChannels - nChannels), 3)(skip)
    elif nOutChannels < nChannels:
        # optional narrow, ugh.
        skip = nn.Narrow(1, 0, nOutChannels)(skip)
        # NOTE this BREAKS with non-batch inputs!!

    # Add them together
    net = cudnn.SpatialBatchNormalization(nOutChannels)(net)
    net = nn.CAddTable()([net, skip])
    net = cudnn.ReLU(True)(net)
    # ^ don't put a ReLU here! see http://gitxiv.com/comments/7rffyqcPLirEEsmpX

    return net


# --- data/cifar-dataset.lua -------------------------------------------------------------------------------

class CIFAR:
    typename = 'Dataset.CIFAR'                # torch.class("Dataset.CIFAR")

    def __init__(self, path, mode, batchSize, trsize=50000, tesize=10000):
        self.batchSize = batchSize
        self.mode = mode
        per_batch = trsize // 5               # 10000 in the Lua: the images of one batch file

        if mode == "train":
            self.data = lg.Tensor(trsize, 3 * 32 * 32)
            self.labels = lg.Tensor(trsize)
            self.size = lambda: trsize
            for i in range(0, 5):
                subset = lg.load(path + '/data_batch_' + str(i + 1) + '.t7', 'ascii')
                self.data[i * per_batch:(i + 1) * per_batch] = subset['data'].t()
                self.labels[i * per_batch:(i + 1) * per_batch] = subset['labels']
            # the labels are 0 .. 9 in the file and in legonn: the Lua's + 1 is not needed
        elif mode == "test":
            subset = lg.load(path + '/test_batch.t7', 'ascii')
            self.data = subset['data'].t().double()
            self.labels = subset['labels'][0].double()
            self.size = lambda: tesize

        self.data = self.data[0:self.size()]  # Allow using a subset :)
        self.data = self.data.reshape(self.size(), 3, 32, 32)

    def preprocess(self, mean=None, std=None):
        mean = mean if mean is not None else self.data.mean(0)
        std = std if std is not None else self.data.std()  # Complete std!
        self.data.add(-mean.expandAs(self.data)).mul(1 / std)
        return mean, std

    def sampleIndices(self, batch, indices=None):
        if indices is None:
            indices = batch
            batch = None
        n = indices.size(0)
        batch = batch or {'inputs': lg.zeros(n, 3, 32, 32),
                          'outputs': lg.zeros(n)}
        batch['outputs'].copy(self.labels.index(0, indices))
        if self.mode == "train":
            batch['inputs'].zero()
            for i, index in enumerate(lg.totable(indices)):
                # Copy self.data[index] into batch.inputs[i], with
                # preprocessing
                input = batch['inputs'][i]
                input.zero()
                xoffs, yoffs = lg.random(-4, 5), lg.random(-4, 5)      # torch.random(-4,4)
                # {first, last} pixel ranges, both ends included, 0-based
                input_y = [max(0, 0 + yoffs),
                           min(31, 31 + yoffs)]
                data_y = [max(0, 0 - yoffs),
                          min(31, 31 - yoffs)]
                input_x = [max(0, 0 + xoffs),
                           min(31, 31 + xoffs)]
                data_x = [max(0, 0 - xoffs),
                          min(31, 31 - xoffs)]

                input[:, input_y[0]:input_y[1] + 1, input_x[0]:input_x[1] + 1] = \
                    self.data[index][:, data_y[0]:data_y[1] + 1, data_x[0]:data_x[1] + 1]
                # Horizontal flip!!
                if lg.random(1, 3) == 1:                                # torch.random(1,2)
                    input.copy(image.hflip(input))
        elif self.mode == "test":
            batch['inputs'].copy(self.data.index(0, indices))
        return batch

    def sample(self, batch, batch_size=None):
        if batch_size is None:
            batch_size = batch
            batch = None
        return self.sampleIndices(
            batch,
            (lg.rand(batch_size) * self.size()).long()
        )

    def getBatch(self):
        # You should use sample instead! :-)
        batch = self.sample(self.batchSize)
        return batch['inputs'], batch['outputs']


class Dataset:
    CIFAR = CIFAR


# --- train-helpers.lua ------------------------------------------------------------------------------------

def evaluateModel(model, datasetTest, batchSize):
    print("Evaluating...")
    model.evaluate()
    correct1 = 0
    correct5 = 0
    total = 0
    batches = lg.range(0, datasetTest.size() - 1).long().split(batchSize)
    for i in range(len(batches)):
        results = datasetTest.sampleIndices(None, batches[i])
        batch, labels = results['inputs'], results['outputs']
        labels = labels.long()
        y = model.forward(batch.cuda()).float()
        _, indices = lg.sort(y, 1, True)
        # indices has shape (batchSize, nClasses)
        top1 = indices.select(1, 0)
        top5 = indices.narrow(1, 0, 5)
        correct1 = correct1 + lg.eq(top1, labels).sum()
        correct5 = correct5 + lg.eq(top5, labels.view(-1, 1).expandAs(top5)).sum()
        total = total + indices.size(0)
        xlua.progress(total, datasetTest.size())
    return {'correct1': correct1 / total, 'correct5': correct5 / total}


class TrainingHelpers:
    @staticmethod
    def trainForever(forwardBackwardBatch, weights, sgdState, epochSize, afterEpoch=None):
        d = datetime.date.today()                                       # Date{os.date()}
        modelTag = "%04d%02d%02d-%d" % (d.year, d.month, d.day, lg.random())
        sgdState['epochSize'] = epochSize
        sgdState['epochCounter'] = sgdState.get('epochCounter', 0)
        sgdState['nSampledImages'] = sgdState.get('nSampledImages', 0)
        sgdState['nEvalCounter'] = sgdState.get('nEvalCounter', 0)
        whichOptimMethod = optim.sgd
        # the counters kept in sgdState, which optim.sgd reads as its config: meant (docs/porting.md)
        warnings.filterwarnings('ignore', "optim.sgd: unknown config key 'nEvalCounter'")
        if sgdState.get('whichOptimMethod') is not None:
            whichOptimMethod = getattr(optim, sgdState['whichOptimMethod'])
        while True:  # Each epoch
            # Run forward and backward pass on inputs and labels
            loss_val, gradients, batchProcessed = forwardBackwardBatch()
            # SGD step: modifies weights in-place
            whichOptimMethod(lambda x: (loss_val, gradients),
                             weights,
                             sgdState)
            # Display progress and loss
            sgdState['nSampledImages'] = sgdState['nSampledImages'] + batchProcessed
            sgdState['nEvalCounter'] = sgdState['nEvalCounter'] + 1
            xlua.progress(sgdState['nSampledImages'] % epochSize, epochSize)

            if math.floor(sgdState['nSampledImages'] / epochSize) != sgdState['epochCounter']:
                # Epoch completed!
                xlua.progress(epochSize, epochSize)
                sgdState['epochCounter'] = math.floor(sgdState['nSampledImages'] / epochSize)
                if afterEpoch is not None:
                    afterEpoch()
                print("\n\n----- Epoch " + str(sgdState['epochCounter']) + " -----")


# --- train-cifar.lua --------------------------------------------------------------------------------------

def build_model(N):
    """train-cifar.lua lines 66-87: the network of 6N+2 layers for 3 x 32 x 32 inputs (before its ``:cuda()``)."""
    from legonn import cudnn
    input = nn.Identity()()
    # -----> 3, 32,32
    model = cudnn.SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1) \
        .init('weight', nninit.kaiming, {'gain': 'relu'}) \
        .init('bias', nninit.constant, 0)(input)
    model = cudnn.SpatialBatchNormalization(16)(model)
    model = cudnn.ReLU(True)(model)
    # -----> 16, 32,32   First Group
    for i in range(N):
        model = addResidualLayer2(model, 16)
    # -----> 32, 16,16   Second Group
    model = addResidualLayer2(model, 16, 32, 2)
    for i in range(N - 1):
        model = addResidualLayer2(model, 32)
    # -----> 64, 8,8     Third Group
    model = addResidualLayer2(model, 32, 64, 2)
    for i in range(N - 1):
        model = addResidualLayer2(model, 64)
    # -----> 10, 8,8     Pooling, Linear, Softmax
    model = nn.SpatialAveragePooling(8, 8)(model)
    model = nn.Reshape(64)(model)
    model = nn.Linear(64, 10)(model)
    model = nn.LogSoftMax()(model)

    return nn.gModule([input], [model])


USAGE = """
      --batchSize       (default 128)      Sub-batch size
      --iterSize        (default 1)       How many sub-batches in each batch
      --Nsize           (default 3)       Model has 6*n+2 layers.
      --dataRoot        (default /mnt/cifar) Data root folder
      --loadFrom        (default "")      Model to load
      --experimentName  (default "snapshots/cifar-residual-experiment1")
"""


def train_cifar(argv, trsize=50000, tesize=10000):
    """train-cifar.lua; ``argv`` stands for the command line, ``trsize``/``tesize`` for the CIFAR class's sizes.
    It trains forever, as the Lua, until evalModel's exit after 200 epochs."""
    # lab-workbook is not installed: hasWorkbook is false
    hasWorkbook = False
    print("WARNING: No workbook support. No results will be saved.")

    opt = lapp(USAGE, argv)
    print(opt)

    # create data loader
    dataTrain = Dataset.CIFAR(opt['dataRoot'], "train", opt['batchSize'], trsize, tesize)
    dataTest = Dataset.CIFAR(opt['dataRoot'], "test", opt['batchSize'], trsize, tesize)
    mean, std = dataTrain.preprocess()
    dataTest.preprocess(mean, std)
    print("Dataset size: ", dataTrain.size())

    # Residual network.
    # Input: 3x32x32
    N = opt['Nsize']
    if opt['loadFrom'] == "":
        model = build_model(N)
        model.cuda()
    else:
        print("Loading model from " + opt['loadFrom'])
        cutorch.setDevice(0)
        model = lg.load(opt['loadFrom'])
        print("Done")

    loss = nn.ClassNLLCriterion()
    loss.cuda()

    sgdState = {
        # For SGD with momentum ---
        # My semi-working settings
        'learningRate': "will be set later",
        'weightDecay': 1e-4,
        # Settings from their paper
        # learningRate = 0.1,
        # weightDecay    = 1e-4,

        'momentum': 0.9,
        'dampening': 0,
        'nesterov': True,
    }

    if opt['loadFrom'] != "":
        print("Trying to load sgdState from " + opt['loadFrom'].replace("model", "sgdState"))
        sgdState = lg.load(opt['loadFrom'].replace("model", "sgdState"))
        print("Got", sgdState['nSampledImages'], "images")

    # Actual Training! -----------------------------
    weights, gradients = model.getParameters()

    def forwardBackwardBatch(batch=None):
        model.training()
        gradients.zero()

        # From https://github.com/bgshih/cifar.torch/blob/master/train.lua#L119-L128
        if sgdState['epochCounter'] < 80:
            sgdState['learningRate'] = 0.1
        elif sgdState['epochCounter'] < 120:
            sgdState['learningRate'] = 0.01
        else:
            sgdState['learningRate'] = 0.001

        loss_val = 0
        N = opt['iterSize']
        inputs, labels = None, None
        for i in range(N):
            inputs, labels = dataTrain.getBatch()
            inputs = inputs.cuda()
            labels = labels.cuda()
            y = model.forward(inputs)
            loss_val = loss_val + loss.forward(y, labels)
            df_dw = loss.backward(y, labels)
            model.backward(inputs, df_dw)
            # The above call will accumulate all GPUs' parameters onto GPU #1
        loss_val = loss_val / N
        gradients.mul(1.0 / N)

        return loss_val, gradients, inputs.size(0) * N

    def evalModel():
        results = evaluateModel(model, dataTest, opt['batchSize'])
        if (sgdState.get('epochCounter') or 0) > 200:
            print("Training complete, go home")
            raise SystemExit()                                         # os.exit()

    evalModel()

    TrainingHelpers.trainForever(
        forwardBackwardBatch,
        weights,
        sgdState,
        dataTrain.size(),
        evalModel
    )


# --- a stand-in for cifar-10-batches-t7 -------------------------------------------------------------------

def save_cifar_batches(root, per_batch, n_test, seed=0):
    """data_batch_1..5.t7 and test_batch.t7 in Torch7's ascii format, as the cifar-10-batches-t7 archive: ``data``
    a 3072 x n ByteTensor (one image per column), ``labels`` a 1 x n ByteTensor of 0 .. 9. Class c is an image
    whose channel levels spell c in base 3, plus noise."""
    rng = np.random.RandomState(seed)
    colours = np.array([[60 + 70 * (c // 3 ** ch % 3) for ch in range(3)] for c in range(10)])

    def batch(n):
        labels = np.arange(n) % 10
        rng.shuffle(labels)
        images = colours[labels][:, :, None, None] + rng.randint(-25, 26, (n, 3, 32, 32))
        return {'data': lg.ByteTensor(images.reshape(n, 3072).T.copy().astype(np.uint8)),
                'labels': lg.ByteTensor(labels[None].astype(np.uint8))}
    for i in range(5):
        lg.save_lua(f'{root}/data_batch_{i + 1}.t7', batch(per_batch), 'ascii')
    lg.save_lua(f'{root}/test_batch.t7', batch(n_test), 'ascii')


# --- tests ------------------------------------------------------------------------------------------------

def test_resnet_structure_and_init():
    """N = 1: 8 layers (the first conv, three residual blocks of two convs, the Linear); 16 -> 32 -> 64 planes
    at 32 -> 16 -> 8 pixels; kaiming init with the ReLU gain (std sqrt(2 / (3 * 3 * nInputPlane))), zero conv
    biases, the first BN of each block drawn from N(1, 0.002); the parameter count read off the Lua."""
    lg.manualSeed(1)
    model = build_model(1)
    convs = model.findModules('cudnn.SpatialConvolution')[0]
    assert len(convs) == 7
    block_params = lambda a, b: 9 * a * b + b + 2 * b + 9 * b * b + b + 2 * b
    expected = 9 * 3 * 16 + 16 + 2 * 16 + block_params(16, 16) + block_params(16, 32) + block_params(32, 64) + \
        64 * 10 + 10
    assert model.getParameters()[0].nElement() == expected
    assert all(c.bias.abs().max() == 0 for c in convs)
    w = convs[-1].weight.numpy()                                # 64 -> 64: 36864 draws
    assert abs(w.std() / math.sqrt(2 / (9 * 64)) - 1) < 0.03
    bns = model.findModules('cudnn.SpatialBatchNormalization')[0]
    drawn = [bn for bn in bns if abs(bn.weight.mean() - 1) < 0.01]  # the others keep BN's uniform [0, 1) draw
    assert len(bns) == 7 and len(drawn) == 3 and all(bn.weight.std() < 0.004 for bn in drawn)
    x = lg.randn(2, 3, 32, 32)
    out = model.forward(x)
    assert out.size() == (2, 10) and np.allclose(np.exp(out.numpy()).sum(1), 1, atol=1e-5)
    sizes = sorted({tuple(m.output.size()[1:]) for m in model.findModules('nn.CAddTable')[0]})
    assert sizes == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]


def test_downsampling_block_against_numpy():
    """addResidualLayer2(input, 16, 32, 2): relu(BN(conv(relu(BN(conv_s2(x))))) + skip), the skip being every
    second pixel of x (SpatialAveragePooling(1, 1, 2, 2)) followed by 16 zero planes (nn.Padding(1, 16, 3));
    checked against the block's own branch outputs and a NumPy skip, in evaluate mode."""
    lg.manualSeed(2)
    input = nn.Identity()()
    block = nn.gModule([input], [addResidualLayer2(input, 16, 32, 2)])
    for bn in block.findModules('cudnn.SpatialBatchNormalization')[0]:
        bn.running_mean.uniform(-0.2, 0.2)
        bn.running_var.uniform(0.5, 1.5)
    block.evaluate()
    x = lg.randn(2, 16, 8, 8)
    out = block.forward(x).numpy()
    skip = np.concatenate([x.numpy()[:, :, ::2, ::2], np.zeros((2, 16, 4, 4), np.float32)], 1)
    bn2 = block.findModules('cudnn.SpatialBatchNormalization')[0][1]
    np.testing.assert_allclose(out, np.maximum(bn2.output.numpy() + skip, 0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('nIn, nOut, stride', [(3, 6, 2), (6, 4, 1)])
def test_residual_block_gradients(nIn, nOut, stride):
    """The Lua's own test block (residual-layers.lua line 154: 3 -> 6 channels, stride 2) and a narrowing one
    (nn.Narrow on the skip) against finite differences in float64, in evaluate mode (BN a fixed affine map)."""
    lg.manualSeed(3)
    input = nn.Identity()()
    net = nn.gModule([input], [addResidualLayer2(input, nIn, nOut, stride)])
    net.evaluate()
    assert_jacobian(net, lg.DoubleTensor(2, nIn, 4, 4).uniform(-1, 1), tol=1e-4)


def test_cifar_dataset_and_evaluation(tmp_path):
    """Dataset.CIFAR reads the five ascii batch files into one set (one image per column, transposed), and the
    test file; preprocess subtracts the train set's mean image and divides by its global std, handed on to the
    test set; sampleIndices shifts each training image by up to 4 pixels with zeros coming in, maybe flipped,
    and copies test images as they are; sample draws 0-based indices."""
    save_cifar_batches(str(tmp_path), 4, 10)
    train = Dataset.CIFAR(str(tmp_path), 'train', 5, 20, 10)
    test = Dataset.CIFAR(str(tmp_path), 'test', 5, 20, 10)
    assert train.size() == 20 and train.data.size() == (20, 3, 32, 32) and test.data.size() == (10, 3, 32, 32)
    raw = lg.load(str(tmp_path / 'data_batch_2.t7'), 'ascii')
    assert train.data[4].equal(raw['data'].t()[0].double().view(3, 32, 32))
    assert train.labels[4] == raw['labels'][0][0]
    raw, raw_test = train.data.numpy().copy(), test.data.numpy().copy()
    mean, std = train.preprocess()
    test.preprocess(mean, std)
    # the std of the raw images ("Complete std!"), taken before the mean image is subtracted
    assert std == pytest.approx(raw.std(ddof=1), rel=1e-5) and mean.size() == (1, 3, 32, 32)
    np.testing.assert_allclose(train.data.numpy(), (raw - raw.mean(0)) / std, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(test.data.numpy(), (raw_test - raw.mean(0)) / std, rtol=1e-4, atol=1e-5)
    batch = test.sampleIndices(None, lg.LongTensor([3, 0]))
    assert batch['inputs'][0].equal(test.data[3].float()) and batch['outputs'][1] == test.labels[0]
    lg.manualSeed(4)
    moved = 0
    for index in range(20):
        got = train.sampleIndices(lg.LongTensor([index]))['inputs'][0].numpy()
        src = train.data[index].numpy()
        found = False
        for flip in (False, True):
            img = got[:, :, ::-1] if flip else got
            for dy in range(-4, 5):
                for dx in range(-4, 5):
                    shifted = np.zeros_like(src)
                    shifted[:, max(0, dy):32 + min(0, dy), max(0, dx):32 + min(0, dx)] = \
                        src[:, max(0, -dy):32 - max(0, dy), max(0, -dx):32 - max(0, dx)]
                    if np.allclose(img, shifted, atol=1e-6):
                        found, moved = True, moved + (dy != 0 or dx != 0)
        assert found
    assert moved > 10
    inputs, outputs = train.getBatch()
    assert inputs.size() == (5, 3, 32, 32) and outputs.size() == (5,) and 0 <= outputs.min() <= outputs.max() <= 9


def tiny_classifier():
    return nn.Sequential().add(nn.View(-1).setNumInputDims(3)).add(nn.Linear(3072, 10)).add(nn.LogSoftMax())


def test_train_forever_counts_epochs(tmp_path):
    """trainForever on CPU batches: each step runs optim.sgd on what forwardBackwardBatch returns, counts the
    sampled images, and calls afterEpoch each time a multiple of the epoch size is passed (the test's afterEpoch
    ends the endless loop); the loss of a linear classifier on the stand-in falls."""
    save_cifar_batches(str(tmp_path), 4, 10)
    data = Dataset.CIFAR(str(tmp_path), 'train', 6, 20, 10)
    data.preprocess()
    lg.manualSeed(5)
    model = tiny_classifier()
    crit = nn.ClassNLLCriterion()
    weights, gradients = model.getParameters()
    sgdState = {'learningRate': 0.05, 'momentum': 0.9, 'dampening': 0, 'nesterov': True}
    losses = []

    def forwardBackwardBatch():
        gradients.zero()
        inputs, labels = data.getBatch()
        y = model.forward(inputs)
        loss_val = crit.forward(y, labels)
        model.backward(inputs, crit.backward(y, labels))
        losses.append(loss_val)
        return loss_val, gradients, inputs.size(0)
    epochs = []

    def afterEpoch():
        epochs.append((sgdState['epochCounter'], sgdState['nSampledImages']))
        if len(epochs) == 6:
            raise StopIteration
    with pytest.raises(StopIteration):
        TrainingHelpers.trainForever(forwardBackwardBatch, weights, sgdState, 20, afterEpoch)
    # batches of 6 on an epoch of 20: epochs end after 24, 42, 60, 84, 102, 120 images
    assert epochs == [(1, 24), (2, 42), (3, 60), (4, 84), (5, 102), (6, 120)]
    assert sgdState['nEvalCounter'] == 20 and sgdState['evalCounter'] == 20
    assert np.mean(losses[-4:]) < np.mean(losses[:4]) / 2


@pytest.mark.gpu
def test_evaluate_model_top1_top5_against_numpy(tmp_path):
    """evaluateModel: the test set in batches of 3 (the last one short), scores from the CUDA model brought back
    as floats, top-1 and top-5 hits against NumPy's ranking of the same scores."""
    save_cifar_batches(str(tmp_path), 4, 10)
    data = Dataset.CIFAR(str(tmp_path), 'test', 3, 20, 10)
    data.preprocess()
    lg.manualSeed(7)
    model = tiny_classifier().cuda()
    results = evaluateModel(model, data, 3)
    scores = model.forward(data.data.cuda()).float().numpy()
    order = np.argsort(-scores, 1, kind='stable')
    labels = data.labels.numpy()
    assert results['correct1'] == pytest.approx(np.mean(order[:, 0] == labels))
    assert results['correct5'] == pytest.approx(np.mean((order[:, :5] == labels[:, None]).any(1)))


class StopTraining(Exception):
    pass


@pytest.mark.gpu
def test_train_cifar_on_cuda_and_load_from(tmp_path, monkeypatch, capsys):
    """train-cifar.lua as run: N = 1, sub-batches of 5 (iterSize 2) of 20 training images, the model and the
    criterion on the GPU; the learning rate is 0.1 below epoch 80; the endless loop is stopped by the test
    after 2 epochs (evaluateModel raising on its 3rd call: one before training, one per epoch). The model and
    sgdState saved as lab-workbook's saveTorch would are read back by --loadFrom (the model onto the GPU, as
    torch.load keeps it), which goes on counting from them."""
    save_cifar_batches(str(tmp_path), 4, 5)
    calls, stop_at = [], [3]
    real = evaluateModel

    def stopping(model, datasetTest, batchSize):
        calls.append(real(model, datasetTest, batchSize))
        if len(calls) == stop_at[0]:
            raise StopTraining
    monkeypatch.setitem(globals(), 'evaluateModel', stopping)
    seen = {}
    real_forever = TrainingHelpers.trainForever

    def forever(forwardBackwardBatch, weights, sgdState, epochSize, afterEpoch=None):
        seen.update(weights=weights, sgdState=sgdState)
        return real_forever(forwardBackwardBatch, weights, sgdState, epochSize, afterEpoch)
    monkeypatch.setattr(TrainingHelpers, 'trainForever', staticmethod(forever))
    argv = ['--Nsize', '1', '--batchSize', '5', '--iterSize', '2', '--dataRoot', str(tmp_path)]
    lg.manualSeed(6)
    with pytest.raises(StopTraining):
        train_cifar(argv, 20, 5)
    state = seen['sgdState']
    # two steps of 2 x 5 images per epoch of 20
    assert state['epochCounter'] == 2 and state['nSampledImages'] == 40 and state['learningRate'] == 0.1
    assert state['nEvalCounter'] == 4 and state['evalCounter'] == 4
    assert seen['weights'].type() == 'torch.CudaTensor'
    assert all(0 <= r['correct1'] <= r['correct5'] <= 1 for r in calls)

    # the checkpoint lab-workbook would have written, and --loadFrom
    model_path = str(tmp_path / 'model.t7')
    lg.save(model_path, globals()['build_model'](1).cuda())
    lg.save(str(tmp_path / 'sgdState.t7'), state)
    calls.clear()
    stop_at[0] = 2
    with pytest.raises(StopTraining):
        train_cifar(argv + ['--loadFrom', model_path], 20, 5)
    assert seen['sgdState']['nSampledImages'] == 60 and seen['sgdState']['epochCounter'] == 3
    assert seen['weights'].type() == 'torch.CudaTensor'
    assert 'Got 40 images' in capsys.readouterr().out
