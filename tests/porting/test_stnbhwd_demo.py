"""qassemoquab/stnbhwd's demo ported line by line: demo/spatial_transformer.lua (the whole file: the
ConcatTable of the Transpose-to-BHWD branch and the localisation network, its last Linear initialised to the
identity transform, ``nn.View(2,3)``, ``AffineGridGeneratorBHWD(32,32)``, ``BilinearSamplerBHWD`` and the
Transpose back), demo/distort_mnist.lua's ``distortData32`` (lines 24-41: image.rotate, image.scale and a
random placement in a 42 x 42 canvas scaled back to 32 x 32, then the mean/std normalisation of
``createDatasetsDistorted``, lines 57-60) and demo/demo_mnist.lua (lines 15-58: the MLP classifier with the
spatial transformer inserted in front, ``nn.Optim`` (fbnn's, demo/Optim.lua) stepping ``optim.sgd``, the
validation accuracy from ``pred:max(2)``); and the README's AffineTransformMatrixGenerator between the
localisation network and the grid generator.

The digits are the MNIST slice shipped in examples/data (28 x 28, padded to the demo's 32 x 32 as
mnist.t7's train_32x32 is); labels are 0-based. ``cudnn.*`` classes run on the CPU; ``:cuda()`` is left out.
"""
import pathlib

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, fbnn, image, nn, optim

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'   # the shipped MNIST slice


def spatial_transformer():
    """demo/spatial_transformer.lua: returns (spanet, tranet) (globals in the Lua)."""
    spanet = nn.Sequential()

    concat = nn.ConcatTable()

    # first branch is there to transpose inputs to BHWD, for the bilinear sampler
    tranet = nn.Sequential()
    tranet.add(nn.Identity())
    tranet.add(nn.Transpose([1, 2], [2, 3]))

    # second branch is the localization network
    locnet = nn.Sequential()
    locnet.add(cudnn.SpatialMaxPooling(2, 2, 2, 2))
    locnet.add(cudnn.SpatialConvolution(1, 20, 5, 5))
    locnet.add(cudnn.ReLU(True))
    locnet.add(cudnn.SpatialMaxPooling(2, 2, 2, 2))
    locnet.add(cudnn.SpatialConvolution(20, 20, 5, 5))
    locnet.add(cudnn.ReLU(True))
    locnet.add(nn.View(20 * 2 * 2))
    locnet.add(nn.Linear(20 * 2 * 2, 20))
    locnet.add(cudnn.ReLU(True))

    # we initialize the output layer so it gives the identity transform
    outLayer = nn.Linear(20, 6)
    outLayer.weight.fill(0)
    bias = lg.FloatTensor(6).fill(0)
    bias[0] = 1
    bias[4] = 1
    outLayer.bias.copy(bias)
    locnet.add(outLayer)

    # there we generate the grids
    locnet.add(nn.View(2, 3))
    locnet.add(nn.AffineGridGeneratorBHWD(32, 32))

    # we need a table input for the bilinear sampler, so we use concattable
    concat.add(tranet)
    concat.add(locnet)

    spanet.add(concat)
    spanet.add(nn.BilinearSamplerBHWD())

    # and we transpose back to standard BDHW format for subsequent processing by nn modules
    spanet.add(nn.Transpose([2, 3], [1, 2]))
    return spanet, tranet


def distortData32(foo):
    """demo/distort_mnist.lua lines 24-41."""
    res = lg.FloatTensor(foo.size(0), 1, 32, 32).fill(0)
    distImg = lg.FloatTensor(1, 42, 42).fill(0)
    for i in range(foo.size(0)):
        baseImg = foo.select(0, i)

        r = image.rotate(baseImg, lg.uniform(-3.14 / 4, 3.14 / 4))
        scale = lg.uniform(0.7, 1.2)
        sz = lg.floor(scale * 32)
        s = image.scale(r, sz, sz)
        rest = 42 - sz
        offsetx = lg.random(0, rest + 1)      # torch.random(1, 1+rest): 1-based, both ends
        offsety = lg.random(0, rest + 1)

        distImg.zero()
        distImg.narrow(1, offsety, sz).narrow(2, offsetx, sz).copy(s)
        res.select(0, i).copy(image.scale(distImg, 32, 32))
    return res


def createDatasetsDistorted(n_train, n_test, batchSize):
    """demo/distort_mnist.lua lines 43-94 on the shipped MNIST slice (mnist.t7's 32 x 32 digits are the
    28 x 28 ones padded by 2 on each side)."""
    with np.load(DATA) as f:
        order = np.random.default_rng(0).permutation(len(f['y']))
        x = np.pad(f['x'][order], ((0, 0), (2, 2), (2, 2))).astype(np.float32)[:, None]
        y = f['y'][order].astype(np.float32)
    train = {'data': lg.from_numpy(x[:n_train]), 'labels': lg.from_numpy(y[:n_train])}
    test = {'data': lg.from_numpy(x[n_train:n_train + n_test]), 'labels': lg.from_numpy(y[n_train:n_train + n_test])}
    train['data'] = train['data'].float()
    train['labels'] = train['labels'].float()
    test['data'] = test['data'].float()
    test['labels'] = test['labels'].float()

    # distortion
    train['data'] = distortData32(train['data'])
    test['data'] = distortData32(test['data'])

    mean = train['data'].mean()
    std = train['data'].std()
    train['data'].add(-mean).div(std)
    test['data'].add(-mean).div(std)

    def batches(d, n):
        return {'getBatch': lambda idx: (d['data'].narrow(0, idx * batchSize, batchSize),
                                         d['labels'].narrow(0, idx * batchSize, batchSize), batchSize),
                'getNumBatches': lambda: lg.floor(n / batchSize)}

    return batches(train, n_train), batches(test, n_test)


def demo_model(use_stn=True):
    """demo/demo_mnist.lua lines 15-36."""
    model = nn.Sequential()
    model.add(nn.View(32 * 32))
    model.add(nn.Linear(32 * 32, 128))
    model.add(cudnn.ReLU(True))
    model.add(nn.Linear(128, 128))
    model.add(cudnn.ReLU(True))
    model.add(nn.Linear(128, 10))
    model.add(nn.LogSoftMax())
    spanet = tranet = None
    if use_stn:
        spanet, tranet = spatial_transformer()
        model.insert(spanet, 0)
    return model, spanet, tranet


def test_the_identity_initialisation_reproduces_the_input():
    spanet, tranet = spatial_transformer()
    x = lg.rand(3, 1, 32, 32)
    y = spanet.forward(x)
    assert tuple(y.size()) == (3, 1, 32, 32)
    np.testing.assert_allclose(np.asarray(y), np.asarray(x), atol=1e-5)
    # tranet's output is the BHWD copy the sampler reads
    assert tuple(tranet.output.size()) == (3, 32, 32, 1)
    np.testing.assert_array_equal(np.asarray(tranet.output), np.asarray(x).transpose(0, 2, 3, 1))
    # the localisation network's parameters, counted from the Lua by hand
    assert spanet.getParameters()[0].nElement() == (20 * 25 + 20) + (20 * 20 * 25 + 20) + (80 * 20 + 20) + (20 * 6 + 6)
    # a backward pass reaches the zero-initialised last layer
    outLayer = spanet.get(0).get(1).get(9)
    spanet.zeroGradParameters()
    spanet.backward(x, y.clone().fill(1))
    assert float(outLayer.gradWeight.abs().sum()) > 0


def test_a_shifted_transform_samples_the_shifted_image():
    """Bias (1, 0, ty, 0, 1, tx) moves the sampling grid by (ty, tx) in normalised units: with a shift of two
    pixels (2 * 2 / 31) the output is the input two pixels on, zeros past the edge."""
    spanet, _ = spatial_transformer()
    shift = 2 * 2 / 31
    outLayer = spanet.get(0).get(1).get(9)
    outLayer.bias[2] = shift
    x = lg.rand(2, 1, 32, 32)
    y = np.asarray(spanet.forward(x))
    np.testing.assert_allclose(y[:, :, :30, :], np.asarray(x)[:, :, 2:, :], atol=1e-4)
    np.testing.assert_allclose(y[:, :, 30:, :], 0, atol=1e-4)


def test_the_transformer_gradient_matches_finite_differences():
    """The whole spanet in float64: directional derivatives of a random projection of the output, along random
    directions of the input and of the parameters, against central differences."""
    lg.manualSeed(1)
    spanet, _ = spatial_transformer()
    spanet.get(0).get(1).get(9).reset()   # a transform away from the identity, so the grid moves
    spanet.double()
    x = lg.rand(2, 1, 32, 32).double()
    proj = lg.randn(2, 1, 32, 32).double()
    params, grads = spanet.getParameters()

    def f():
        return float((spanet.forward(x) * proj).sum())

    grads.zero()
    spanet.forward(x)
    gx = spanet.backward(x, proj).clone()
    rng = np.random.default_rng(2)
    eps = 1e-6
    for target, analytic in ((x, gx), (params, grads)):
        for _ in range(3):
            d = lg.from_numpy(rng.standard_normal(tuple(target.size())))
            target.add(eps, d)
            up = f()
            target.add(-2 * eps, d)
            down = f()
            target.add(eps, d)
            numeric = (up - down) / (2 * eps)
            exact = float((analytic * d).sum())
            assert abs(numeric - exact) <= 1e-5 * max(1.0, abs(exact)), (numeric, exact)


@pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')
def test_demo_training_lowers_the_loss_with_fbnn_optim():
    lg.manualSeed(0)
    datasetTrain, datasetVal = createDatasetsDistorted(64, 64, 32)
    model, spanet, tranet = demo_model(True)
    criterion = nn.ClassNLLCriterion()
    # the demo's 0.01 over 30 epochs of 234 batches; 0.1 over 15 epochs of 2 batches here
    optimState = {'learningRate': 0.1, 'momentum': 0.9, 'weightDecay': 5e-4}
    optimizer = fbnn.Optim(model, optimState)

    def val_error(datasetVal):
        model.evaluate()
        valError, correct, all = 0, 0, 0
        for batchidx in range(datasetVal['getNumBatches']()):
            inputs, labels, _ = datasetVal['getBatch'](batchidx)
            pred = model.forward(inputs)
            valError = valError + criterion.forward(pred, labels)
            _, preds = pred.max(1)
            correct = correct + preds.eq(labels).sum()
            all = all + preds.size(0)
        return valError / datasetVal['getNumBatches'](), correct / all * 100

    trainErrors = []
    for epoch in range(1, 16):
        model.training()
        trainError = 0
        for batchidx in range(datasetTrain['getNumBatches']()):
            inputs, labels, _ = datasetTrain['getBatch'](batchidx)
            err = optimizer.optimize(optim.sgd, inputs, labels, criterion)[0]   # Lua keeps the first of (err, output)
            trainError = trainError + err
        trainErrors.append(trainError / datasetTrain['getNumBatches']())
    assert trainErrors[-1] < 0.6 * trainErrors[0], trainErrors
    # 64 digits over-fit long before they generalise: the demo's validation loop, run on the training batches
    _, accuracy = val_error(datasetTrain)
    assert accuracy > 60, accuracy           # chance is 10 %
    # the demo's count, preds:eq(labels) of an N x 1 LongTensor and N labels (element by element, as Torch7
    # pairs tensors of one size), is NumPy's argmax accuracy
    correct = 0
    for batchidx in range(datasetTrain['getNumBatches']()):
        inputs, labels, _ = datasetTrain['getBatch'](batchidx)
        correct += int((np.asarray(model.forward(inputs)).argmax(1) == np.asarray(labels)).sum())
    assert accuracy == correct / 64 * 100
    # the validation loop proper: 2 batches of 32 held-out digits, counted whole
    valError, accuracy = val_error(datasetVal)
    assert valError > 0 and accuracy * 64 / 100 == pytest.approx(round(accuracy * 64 / 100))
    # the localisation network was trained: its last layer left the identity
    assert float(spanet.get(0).get(1).get(9).weight.abs().sum()) > 0
    assert tuple(spanet.output.size()) == (32, 1, 32, 32) and tuple(tranet.get(0).output.size()) == (32, 1, 32, 32)


def test_affine_transform_matrix_generator_between_locnet_and_grid():
    """README's advanced module: the localisation network gives (angle, scale, tx, ty); with the last Linear
    initialised to (0, 1, 0, 0) the transform is the identity, and an angle of pi/2 turns the image a quarter."""
    locnet = nn.Sequential()
    locnet.add(nn.View(32 * 32))
    outLayer = nn.Linear(32 * 32, 4)
    outLayer.weight.fill(0)
    outLayer.bias.copy(lg.FloatTensor([0, 1, 0, 0]))
    locnet.add(outLayer)
    locnet.add(nn.AffineTransformMatrixGenerator(True, True, True))
    locnet.add(nn.AffineGridGeneratorBHWD(32, 32))
    concat = nn.ConcatTable().add(nn.Transpose([1, 2], [2, 3])).add(locnet)
    spanet = nn.Sequential().add(concat).add(nn.BilinearSamplerBHWD()).add(nn.Transpose([2, 3], [1, 2]))
    x = lg.rand(2, 1, 32, 32)
    np.testing.assert_allclose(np.asarray(spanet.forward(x)), np.asarray(x), atol=1e-5)
    outLayer.bias[0] = np.pi / 2
    y = np.asarray(spanet.forward(x))
    # R(pi/2) maps the output point (y, x) to the input point (-x, y): output[i, j] = input[31 - j, i]
    np.testing.assert_allclose(y[:, 0], _quarter_turn(np.asarray(x)[:, 0]), atol=1e-4)


def _quarter_turn(a):
    """output[b, i, j] = a[b, n - 1 - j, i] for n x n images."""
    out = np.empty_like(a)
    n = a.shape[1]
    for i in range(n):
        for j in range(n):
            out[:, i, j] = a[:, n - 1 - j, i]
    return out


@pytest.mark.gpu
def test_spatial_transformer_on_cuda_tensors():
    """demo_mnist.lua's ``model:cuda()``: the identity-initialised transformer reproduces a CUDA batch, and a
    moved grid gives the CPU's samples."""
    spanet, _ = spatial_transformer()
    spanet.get(0).get(1).get(9).bias[2] = 0.1
    x = lg.rand(2, 1, 32, 32)
    y_cpu = spanet.forward(x).clone()
    spanet.cuda()
    y_gpu = spanet.forward(x.cuda())
    assert y_gpu.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(np.asarray(y_gpu.float()), np.asarray(y_cpu), atol=1e-5)
    g = spanet.backward(x.cuda(), lg.randn(2, 1, 32, 32).cuda())
    assert tuple(g.size()) == (2, 1, 32, 32) and np.isfinite(np.asarray(g.float())).all()
