"""e-lab/ENet-training ported line by line: train/models/encoder.lua (lines 22-131: ``_bottleneck`` with its
ConcatTable of the main branch and the Identity/SpatialMaxPooling/nn.Padding branch, the moses ``_.bindn``
variants, the initial block's ConcatTable of a strided convolution and a max pooling joined on the planes,
the class weights from the label histogram and ``cudnn.SpatialCrossEntropyCriterion``),
train/models/decoder.lua (lines 22-131: the encoder loaded back, its classifier removed, its three
SpatialMaxPooling modules found with ``model:apply`` and handed to ``nn.SpatialMaxUnpooling`` in the
upsampling bottlenecks, SpatialFullConvolution with an output adjustment), train/data/loadCamVid.lua's
label histogram (lines 112-121: ``torch.histc`` of the labels) and train/train.lua's ``eval_E`` closure
with ``optim.adam`` and the weight decay added to the gradient (lines 57-122), and its confusion update
(lines 108-120).

The sizes are the Lua's (16, 64 and 128 planes, CamVid's 12 classes) on a 2 x 3 x 32 x 32 batch, so the
encoder's output is 4 x 4 (the Lua's label size, an eighth of the image) and the decoder's 32 x 32.
``cudnn.*`` classes run on the CPU; ``model:cuda()`` only where ``opt.cuda`` says (the GPU test), and the
DataParallelTable's replicas (legonn's, one after the other on one device) split each batch as cunn's.
"""
import functools
import math
import re

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, cutorch, nn, optim
from tests.checks import assert_jacobian

classes = ['Void', 'Sky', 'Building', 'Column-Pole', 'Road', 'Sidewalk', 'Tree', 'Sign-Symbol', 'Fence', 'Car',
           'Pedestrian', 'Bicyclist']
conClasses = classes[1:]


def camvid_labels(n, height, width):
    """loadCamVid.lua's labels and histogram (lines 112-121): CamVid's raw classes 0..10 and 11 (void) read
    from the ground-truth PNG become ``raw + 2`` with 13 wrapped to 1 (Void) in Lua, classes 1..12; here the
    labels are 0-based, so ``raw + 1`` with 12 wrapped to 0, and the histogram's range shifts with them."""
    gen = np.random.default_rng(0)
    raw = lg.from_numpy(gen.integers(0, 12, size=(n, height, width)).astype(np.uint8))
    histClasses = lg.Tensor(len(classes)).fill(0)
    labels = lg.FloatTensor(n, height, width)
    for i in range(n):
        rawImg = raw[i].float() + 1
        mask = rawImg.eq(12).float()
        rawImg = rawImg - mask * len(classes)
        labels[i] = rawImg
        histClasses = histClasses + lg.histc(labels[i], len(classes), 0, len(classes) - 1)
    return labels, histClasses


def encoder(opt):
    """train/models/encoder.lua lines 22-131."""
    histClasses = opt['datahistClasses']
    classes = opt['dataClasses']

    model = nn.Sequential()

    ct = 0

    def _bottleneck(internal_scale, use_relu, asymetric, dilated, input, output, downsample=None):
        nonlocal ct
        internal = output / internal_scale
        input_stride = 2 if downsample else 1

        sum = nn.ConcatTable()

        main = nn.Sequential()
        other = nn.Sequential()
        sum.add(main).add(other)

        main.add(cudnn.SpatialConvolution(input, internal, input_stride, input_stride, input_stride, input_stride,
                                          0, 0).noBias())
        main.add(nn.SpatialBatchNormalization(internal, 1e-3))
        if use_relu:
            main.add(nn.PReLU(internal))
        if not asymetric and not dilated:
            main.add(cudnn.SpatialConvolution(internal, internal, 3, 3, 1, 1, 1, 1))
        elif asymetric:
            pad = (asymetric - 1) / 2
            main.add(cudnn.SpatialConvolution(internal, internal, asymetric, 1, 1, 1, pad, 0).noBias())
            main.add(cudnn.SpatialConvolution(internal, internal, 1, asymetric, 1, 1, 0, pad))
        elif dilated:
            main.add(nn.SpatialDilatedConvolution(internal, internal, 3, 3, 1, 1, dilated, dilated, dilated,
                                                  dilated))
        else:
            assert False, 'You shouldn\'t be here'
        main.add(nn.SpatialBatchNormalization(internal, 1e-3))
        if use_relu:
            main.add(nn.PReLU(internal))
        main.add(cudnn.SpatialConvolution(internal, output, 1, 1, 1, 1, 0, 0).noBias())
        main.add(nn.SpatialBatchNormalization(output, 1e-3))
        main.add(nn.SpatialDropout(0.01 if ct < 5 else 0.1))
        ct = ct + 1

        other.add(nn.Identity())
        if downsample:
            other.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        if input != output:
            other.add(nn.Padding(0, output - input, 3))

        return nn.Sequential().add(sum).add(nn.CAddTable()).add(nn.PReLU(output))

    # moses' _.bindn(f, ...) binds the first arguments
    bottleneck = functools.partial(_bottleneck, 4, True, False, False)
    cbottleneck = functools.partial(_bottleneck, 4, True, False, False)
    xbottleneck = functools.partial(_bottleneck, 4, True, 7, False)
    wbottleneck = functools.partial(_bottleneck, 4, True, 5, False)
    dbottleneck = functools.partial(_bottleneck, 4, True, False, 2)
    xdbottleneck = functools.partial(_bottleneck, 4, True, False, 4)
    xxdbottleneck = functools.partial(_bottleneck, 4, True, False, 8)
    xxxdbottleneck = functools.partial(_bottleneck, 4, True, False, 16)
    xxxxdbottleneck = functools.partial(_bottleneck, 4, True, False, 32)
    del xbottleneck, xxxxdbottleneck   # bound in the Lua, never used

    initial_block = nn.ConcatTable()   # the Lua's nn.ConcatTable(2): see docs/porting.md
    initial_block.add(cudnn.SpatialConvolution(3, 13, 3, 3, 2, 2, 1, 1))
    initial_block.add(nn.SpatialMaxPooling(2, 2, 2, 2))

    model.add(initial_block)                                         # 128x256
    model.add(nn.JoinTable(1))   # can't use Concat, because SpatialConvolution needs contiguous gradOutput
    model.add(nn.SpatialBatchNormalization(16, 1e-3))
    model.add(nn.PReLU(16))
    model.add(bottleneck(16, 64, True))                              # 64x128
    for i in range(4):
        model.add(bottleneck(64, 64))
    model.add(bottleneck(64, 128, True))                             # 32x64
    for i in range(2):
        model.add(cbottleneck(128, 128))
        model.add(dbottleneck(128, 128))
        model.add(wbottleneck(128, 128))
        model.add(xdbottleneck(128, 128))
        model.add(cbottleneck(128, 128))
        model.add(xxdbottleneck(128, 128))
        model.add(wbottleneck(128, 128))
        model.add(xxxdbottleneck(128, 128))
    model.add(cudnn.SpatialConvolution(128, len(classes), 1, 1))

    gpu_list = []
    # for i = 1,cutorch.getDeviceCount() do gpu_list[i] = i end
    if opt['nGPU'] == 1:
        gpu_list.append(opt['devid'])
    else:
        for i in range(opt['nGPU']):
            gpu_list.append(i)
    if opt['cuda']:    # the Lua always moves the model: legonn's CPU tests leave it on the host
        model = model.cuda()
    model = nn.DataParallelTable(0, True, True).add(model, gpu_list)
    print(str(opt['nGPU']) + " GPUs being used")

    # Loss: NLL
    normHist = histClasses / histClasses.sum()
    classWeights = lg.Tensor(len(classes)).fill(1)
    for i in range(len(classes)):
        if histClasses[i] < 1 or i == 0:   # ignore unlabeled
            classWeights[i] = 0
        else:
            classWeights[i] = 1 / (lg.log(1.2 + normHist[i]))

    loss = cudnn.SpatialCrossEntropyCriterion(classWeights)

    if opt['cuda']:
        loss.cuda()

    return {'model': model, 'loss': loss}


def decoder(opt):
    """train/models/decoder.lua lines 22-131."""
    histClasses = opt['datahistClasses']
    classes = opt['dataClasses']

    # encoder CNN:
    model = lg.load(opt['CNNEncoder'])
    if lg.typename(model) == 'nn.DataParallelTable':
        model = model.get(0)
    model.remove(len(model.modules) - 1)   # remove the classifier

    # SpatialMaxUnpooling requires nn modules...
    def replace_cudnn_pooling(module):
        if getattr(module, 'modules', None) is not None:
            for i, submodule in enumerate(module.modules):
                if re.search('cudnn.SpatialMaxPooling', lg.typename(submodule)):
                    module.modules[i] = nn.SpatialMaxPooling(2, 2, 2, 2)   # TODO: make more flexible
    model.apply(replace_cudnn_pooling)

    # find pooling modules
    pooling_modules = []

    def find_pooling(module):
        if re.search('nn.SpatialMaxPooling', lg.typename(module)):
            pooling_modules.append(module)
    model.apply(find_pooling)
    assert len(pooling_modules) == 3, 'There should be 3 pooling modules'

    def bottleneck(input, output, upsample=None, reverse_module=None):
        internal = output / 4
        input_stride = 2 if upsample else 1
        del input_stride   # computed, never used, in the Lua

        module = nn.Sequential()
        sum = nn.ConcatTable()
        main = nn.Sequential()
        other = nn.Sequential()
        sum.add(main).add(other)

        main.add(cudnn.SpatialConvolution(input, internal, 1, 1, 1, 1, 0, 0).noBias())
        main.add(nn.SpatialBatchNormalization(internal, 1e-3))
        main.add(cudnn.ReLU(True))
        if not upsample:
            main.add(cudnn.SpatialConvolution(internal, internal, 3, 3, 1, 1, 1, 1))
        else:
            main.add(nn.SpatialFullConvolution(internal, internal, 3, 3, 2, 2, 1, 1, 1, 1))
        main.add(nn.SpatialBatchNormalization(internal, 1e-3))
        main.add(cudnn.ReLU(True))
        main.add(cudnn.SpatialConvolution(internal, output, 1, 1, 1, 1, 0, 0).noBias())
        main.add(nn.SpatialBatchNormalization(output, 1e-3))

        other.add(nn.Identity())
        if input != output or upsample:
            other.add(cudnn.SpatialConvolution(input, output, 1, 1, 1, 1, 0, 0).noBias())
            other.add(nn.SpatialBatchNormalization(output, 1e-3))
            if upsample and reverse_module:
                other.add(nn.SpatialMaxUnpooling(reverse_module))

        if upsample and not reverse_module:
            main.remove(len(main.modules) - 1)   # remove BN
            return main
        return module.add(sum).add(nn.CAddTable()).add(cudnn.ReLU(True))

    model.add(bottleneck(128, 64, True, pooling_modules[2]))         # 32x64
    model.add(bottleneck(64, 64))
    model.add(bottleneck(64, 64))
    model.add(bottleneck(64, 16, True, pooling_modules[1]))          # 64x128
    model.add(bottleneck(16, 16))
    model.add(nn.SpatialFullConvolution(16, len(classes), 2, 2, 2, 2))

    if opt['cuda'] and cutorch.getDeviceCount() > 1:
        gpu_list = []
        for i in range(cutorch.getDeviceCount()):
            gpu_list.append(i)
        model = nn.DataParallelTable(0).add(model.cuda(), gpu_list)
        print(str(opt['nGPU']) + " GPUs being used")

    # Loss: NLL
    normHist = histClasses / histClasses.sum()
    classWeights = lg.Tensor(len(classes)).fill(1)
    for i in range(len(classes)):
        # Ignore unlabeled and egoVehicle
        if i == 0:
            classWeights[i] = 0
        if histClasses[i] < 1:
            print("Class " + str(i) + " not found")
            classWeights[i] = 0
        else:
            classWeights[i] = 1 / (lg.log(1.02 + normHist[i]))

    loss = cudnn.SpatialCrossEntropyCriterion(classWeights)

    if opt['cuda']:
        model.cuda()
        loss.cuda()

    return {'model': model, 'loss': loss}


def make_train(t, opt):
    """train/train.lua lines 17-122: the closure over ``w, dE_dw``, ``optim.adam`` with the weight decay added
    to the gradient, and the confusion update of ``opt.noConfusion == 'all'``."""
    loss = t['loss']
    model = t['model']
    w, dE_dw = model.getParameters()
    if opt.get('dataconClasses'):
        confusion = optim.ConfusionMatrix(opt['dataconClasses'])
    else:
        confusion = optim.ConfusionMatrix(opt['dataClasses'])
    optimState = {'learningRate': opt['learningRate'], 'momentum': opt['momentum'],
                  'learningRateDecay': opt['learningRateDecay']}
    x = lg.Tensor(opt['batchSize'], opt['channels'], opt['imHeight'], opt['imWidth'])
    yt = lg.Tensor(opt['batchSize'], opt['labelHeight'], opt['labelWidth'])

    if opt['cuda']:
        x = x.cuda()
        yt = yt.cuda()
    errors = []

    def train(trainData, classes, epoch):
        if epoch % opt['lrDecayEvery'] == 0:
            optimState['learningRate'] = optimState['learningRate'] * opt['learningRateDecay']
        shuffle = lg.randperm(trainData['size']())
        model.training()
        for t in range(0, trainData['size'](), opt['batchSize']):
            # batch fits?
            if (t + opt['batchSize'] - 1) > trainData['size']() - 1:
                break

            # create mini batch
            idx = 0
            for i in range(t, t + opt['batchSize']):
                x[idx] = trainData['data'][shuffle[i]]
                yt[idx] = trainData['labels'][shuffle[i]]
                idx = idx + 1

            def eval_E(w):
                # reset gradients
                model.zeroGradParameters()
                y = model.forward(x)
                err = loss.forward(y, yt)
                dE_dy = loss.backward(y, yt)
                model.backward(x, dE_dy)
                dE_dw.add(opt['weightDecay'], w)
                return err, dE_dw

            _, errt = optim.adam(eval_E, w, optimState)
            errors.append(errt[0])

            # update confusion
            if opt['noConfusion'] == 'all':
                model.evaluate()
                y = model.forward(x).transpose(1, 3).transpose(1, 2)
                y = y.reshape(y.numel() // y.size(3), len(classes)).sub(0, -1, 1, len(opt['dataClasses']) - 1)
                _, predictions = y.max(1)
                predictions = predictions.view(-1)
                k = yt.view(-1)
                if opt.get('dataconClasses'):
                    k = k - 1
                confusion.batchAdd(predictions, k)
                model.training()
        return confusion, model, loss

    return train, errors


def _opt(**over):
    opt = {'learningRate': 5e-3, 'learningRateDecay': 1e-7, 'weightDecay': 2e-4, 'momentum': 0.9, 'batchSize': 2,
           'lrDecayEvery': 100, 'channels': 3, 'imHeight': 32, 'imWidth': 32, 'labelHeight': 4, 'labelWidth': 4,
           'noConfusion': 'all', 'dataClasses': classes, 'dataconClasses': conClasses, 'nGPU': 2, 'devid': 0,
           'cuda': False}
    opt.update(over)
    return opt


def _toy_data(opt):
    """Two images whose 8 x 8 blocks (or pixels) are coloured by their label, so the task can be learnt."""
    labels, hist = camvid_labels(2, opt['labelHeight'], opt['labelWidth'])
    scale = opt['imHeight'] // opt['labelHeight']
    palette = lg.from_numpy(np.random.default_rng(1).uniform(0, 1, size=(len(classes), 3)).astype(np.float32))
    data = lg.FloatTensor(2, 3, opt['imHeight'], opt['imWidth'])
    for n in range(2):
        for i in range(opt['imHeight']):
            for j in range(opt['imWidth']):
                data[n, :, i, j] = palette[int(labels[n, i // scale, j // scale])]
    return {'data': data, 'labels': labels, 'size': lambda: 2}, hist


def _encoder_parameter_count():
    """The encoder's parameters counted from encoder.lua's structure by hand."""
    def bn(c):
        return 2 * c

    def bottleneck(cin, cout, kind, downsample=False):
        internal = cout // 4
        k = 2 if downsample else 1
        n = cin * internal * k * k + bn(internal) + internal          # projection (no bias), BN, PReLU
        if kind == 'plain':
            n += internal * internal * 9 + internal                    # 3x3 with bias
        elif kind == 'dilated':
            n += internal * internal * 9 + internal
        else:                                                          # asymmetric 5: 5x1 without, 1x5 with bias
            n += internal * internal * 5 + internal * internal * 5 + internal
        n += bn(internal) + internal + internal * cout + bn(cout)      # BN, PReLU, expansion (no bias), BN
        return n + cout                                                # the block's PReLU

    n = 3 * 13 * 9 + 13 + bn(16) + 16
    n += bottleneck(16, 64, 'plain', True) + 4 * bottleneck(64, 64, 'plain')
    n += bottleneck(64, 128, 'plain', True)
    n += 2 * (2 * bottleneck(128, 128, 'plain') + 4 * bottleneck(128, 128, 'dilated')
              + 2 * bottleneck(128, 128, 'asym'))
    return n + 128 * 12 + 12


def test_encoder_structure_shapes_and_class_weights():
    opt = _opt()
    data, hist = _toy_data(opt)
    assert hist.sum() == 2 * 4 * 4 and hist.size(0) == 12
    opt['datahistClasses'] = hist
    t = encoder(opt)
    model = t['model']
    assert lg.typename(model) == 'nn.DataParallelTable'
    assert model.getParameters()[0].nElement() == _encoder_parameter_count()
    net = model.get(0)
    assert len(net.findModules('nn.SpatialDilatedConvolution')[0]) == 8
    assert len(net.findModules('nn.Padding')[0]) == 2
    y = model.forward(data['data'])
    assert tuple(y.size()) == (2, 12, 4, 4)
    # two replicas, one image each: the first is the module itself; its initial block holds 13 convolution
    # planes then the 3 pooled input planes, joined on dimension 1
    init = net.get(1).output
    assert init.size(0) == 1
    pooled = np.asarray(data['data'])[:1].reshape(1, 3, 16, 2, 16, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(np.asarray(init)[:, 13:], pooled)
    weights = np.asarray(t['loss'].nll.weights)
    normHist = np.asarray(hist) / np.asarray(hist).sum()
    expected = np.where((np.asarray(hist) < 1) | (np.arange(12) == 0), 0, 1 / np.log(1.2 + normHist))
    np.testing.assert_allclose(weights, expected, rtol=1e-6)
    assert weights[0] == 0


def test_encoder_training_step_lowers_the_loss_and_fills_the_confusion():
    lg.manualSeed(0)
    opt = _opt()
    data, hist = _toy_data(opt)
    opt['datahistClasses'] = hist
    t = encoder(opt)
    train, errors = make_train(t, opt)
    for epoch in range(1, 7):
        confusion, _, _ = train(data, opt['dataClasses'], epoch)
    assert errors[-1] < 0.7 * errors[0], errors
    # Void pixels (label 0, k = -1) are skipped, the others counted once per evaluated step
    void = int((data['labels'] == 0).sum())
    assert confusion.mat.sum() == 6 * (2 * 16 - void)
    assert tuple(confusion.mat.size()) == (11, 11)


@pytest.mark.parametrize('converted', [False, True], ids=['nn', 'cudnn.convert'])
def test_decoder_unpools_with_the_encoders_indices(tmp_path, converted):
    """The encoder is saved as encoder.lua leaves it (a DataParallelTable), or after ``cudnn.convert``, whose
    cudnn.SpatialMaxPooling the decoder swaps back for nn's."""
    lg.manualSeed(0)
    opt = _opt(labelHeight=32, labelWidth=32)
    labels, hist = camvid_labels(2, 32, 32)
    opt['datahistClasses'] = hist
    enc = encoder(dict(opt, labelHeight=4, labelWidth=4))['model']
    if converted:
        enc = cudnn.convert(enc, cudnn)
        assert len(enc.findModules('cudnn.SpatialMaxPooling')[0]) >= 3
    opt['CNNEncoder'] = str(tmp_path / 'model-100.net')
    lg.save(opt['CNNEncoder'], enc)
    t = decoder(opt)
    model = t['model']
    assert lg.typename(model) == 'nn.Sequential'
    assert not model.findModules('cudnn.SpatialMaxPooling')[0]
    x = lg.rand(2, 3, 32, 32)
    y = model.forward(x)
    assert tuple(y.size()) == (2, 12, 32, 32)
    # the first upsampling bottleneck's unpooling reads the third pooling module's indices: each pooled
    # value goes back to the place its maximum came from, every other place is 0
    unpools, containers = model.findModules('nn.SpatialMaxUnpooling')
    unpool = unpools[0]
    assert unpool.pooling is model.findModules('nn.SpatialMaxPooling')[0][2]
    inp = np.asarray(containers[0].get(2).output)                   # the BatchNormalization before it
    idx = np.asarray(unpool.pooling.indices).reshape(2, 64, -1)
    expected = np.zeros((2, 64, 8 * 8), np.float32)
    np.put_along_axis(expected, idx, inp.reshape(2, 64, -1), axis=2)
    np.testing.assert_array_equal(np.asarray(unpool.output), expected.reshape(2, 64, 8, 8))
    err = t['loss'].forward(y, labels)
    assert math.isfinite(err)
    g = model.backward(x, t['loss'].backward(y, labels))
    assert tuple(g.size()) == (2, 3, 32, 32)


@pytest.mark.gpu
def test_encoder_on_cuda_tensors_matches_the_cpu_and_trains():
    """encoder.lua's ``model:cuda()`` and ``loss:cuda()`` and train.lua's CUDA minibatch buffers: in
    evaluation the CUDA model gives the CPU model's scores, and training steps on the GPU lower the loss."""
    opt = _opt()
    data, hist = _toy_data(opt)
    opt['datahistClasses'] = hist
    lg.manualSeed(0)
    cpu = encoder(opt)
    lg.manualSeed(0)
    gpu = encoder(dict(opt, cuda=True))
    assert gpu['model'].get(0).get(0).get(0).weight.type() == 'torch.CudaTensor'
    for t in (cpu, gpu):
        t['model'].evaluate()
    y_cpu = cpu['model'].forward(data['data'])
    y_gpu = gpu['model'].forward(data['data'].cuda())
    np.testing.assert_allclose(np.asarray(y_gpu.float()), np.asarray(y_cpu), rtol=1e-3, atol=1e-4)
    train, errors = make_train(gpu, dict(opt, cuda=True))
    for epoch in range(1, 7):
        train(data, opt['dataClasses'], epoch)
    assert errors[-1] < 0.7 * errors[0], errors
