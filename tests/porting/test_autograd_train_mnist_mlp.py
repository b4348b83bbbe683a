"""torch-autograd's examples/train-mnist-mlp.lua (and the get-mnist.lua it loads), ported literally as a short
run whose loss falls.

get-mnist.lua downloads torch.data's mnist.t7 (60,000 training digits); here the data is the repository's MNIST
slice, examples/data/mnist_5k.npz (5,000 digits sorted by label, shuffled here; 28x28, scaled to [0, 1] floats,
labels as FloatTensors, as mnist.t7 holds them), 4,000 for training and 1,000 for testing. The Lua trains 100
epochs over every digit; the port trains one epoch over 1,000 digits and checks the mean loss on the test digits
falls. Labels are 0-based (``util.oneHot``'s, DESIGN.md decision 1). The Lua's ``grad.optimize(true)`` is the
default it sets; the ``autograd_mode`` fixture runs the port in both modes (test.lua's two runs) and puts the
default back."""
import math
import pathlib

import numpy as np
import pytest

import legonn as lg
from legonn import autograd as grad
from legonn import optim
from legonn.autograd import loss as lossFuns
from legonn.autograd import util

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'   # the shipped slice

pytestmark = [pytest.mark.usefixtures('autograd_mode'),
              pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')]


def setupData():
    """get-mnist.lua's setupData: (trainData, testData, classes), each set {x, y (one-hot), size}."""
    classes = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
    with np.load(DATA) as f:
        order = np.random.default_rng(0).permutation(len(f['y']))   # the file is sorted by label
        x = lg.from_numpy(f['x'][order].astype(np.float32) / 255)
        y = lg.from_numpy(f['y'][order].astype(np.float32))
    trainData = {'x': x.narrow(0, 0, 4000), 'y': util.oneHot(y.narrow(0, 0, 4000), 10), 'size': 4000}
    testData = {'x': x.narrow(0, 4000, 1000), 'y': util.oneHot(y.narrow(0, 4000, 1000), 10), 'size': 1000}
    return trainData, testData, classes


def test_train_mnist_mlp():
    """train-mnist-mlp.lua, lines 1-77."""
    grad.optimize(grad.optimizing())   # the Lua's grad.optimize(true): the mode the fixture chose

    # Load in MNIST
    trainData, testData, classes = setupData()
    inputSize = trainData['x'][0].nElement()
    confusionMatrix = optim.ConfusionMatrix(classes)

    # Define our neural net
    def predict(params, input, target):
        h1 = lg.tanh(input @ params['W'][0] + params['B'][0])
        h2 = lg.tanh(h1 @ params['W'][1] + params['B'][1])
        h3 = h2 @ params['W'][2] + params['B'][2]
        out = util.logSoftMax(h3)
        return out

    # Define our training loss
    def f(params, input, target):
        prediction = predict(params, input, target)
        loss = lossFuns.logMultinomialLoss(prediction, target)
        return loss, prediction

    # Define our parameters
    # [-1/sqrt(#output), 1/sqrt(#output)]
    lg.manualSeed(0)
    W1 = lg.FloatTensor(inputSize, 50).uniform(-1 / math.sqrt(50), 1 / math.sqrt(50))
    B1 = lg.FloatTensor(50).fill(0)
    W2 = lg.FloatTensor(50, 50).uniform(-1 / math.sqrt(50), 1 / math.sqrt(50))
    B2 = lg.FloatTensor(50).fill(0)
    W3 = lg.FloatTensor(50, len(classes)).uniform(-1 / math.sqrt(len(classes)), 1 / math.sqrt(len(classes)))
    B3 = lg.FloatTensor(len(classes)).fill(0)

    # Trainable parameters:
    params = {
        'W': [W1, W2, W3],
        'B': [B1, B2, B3],
    }

    def test_loss():
        """The port's check: the mean loss over the first 300 test digits (one at a time: util.logSoftMax
        normalizes over the whole tensor it is given, as the Lua's, so a batch would be one distribution)."""
        return sum(f(params, testData['x'][i].view(1, inputSize), lg.view(testData['y'][i], 1, 10))[0]
                   for i in range(300)) / 300

    before = test_loss()

    # Get the gradients closure magically:
    df = grad(f, {'optimize': grad.optimizing()})

    # Train a neural network (one epoch over 1,000 digits; the Lua's 100 over all)
    printed = 0
    for epoch in range(1):
        print('Training Epoch #' + str(epoch + 1))
        for i in range(1000):
            # Next sample:
            x = trainData['x'][i].view(1, inputSize)
            y = lg.view(trainData['y'][i], 1, 10)

            # Grads:
            grads, loss, prediction = df(params, x, y)

            # Update weights and biases
            for j in range(len(params['W'])):
                params['W'][j] = params['W'][j] - grads['W'][j] * 0.01
                params['B'][j] = params['B'][j] - grads['B'][j] * 0.01

            # Log performance:
            confusionMatrix.add(prediction[0], y[0])
            if (i + 1) % 1000 == 0:
                print(confusionMatrix)
                printed += int(confusionMatrix.mat.sum())
                confusionMatrix.zero()

    assert printed == 1000 and confusionMatrix.mat.sum() == 0
    after = test_loss()
    assert after < 0.5 * before, (before, after)   # 2.3 (chance) before
