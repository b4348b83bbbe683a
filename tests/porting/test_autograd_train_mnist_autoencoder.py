"""torch-autograd's examples/train-mnist-autoencoder.lua, ported literally as a short run whose loss falls: an
L2-regularized autoencoder with tied weights, trained on minibatches of 100.

The data is get-mnist.lua's port (tests/porting/test_autograd_train_mnist_mlp.py's ``setupData``): 4,000
training digits, so the Lua's ``trainData.size / 1000`` minibatches per epoch are 4. The Lua trains 100 epochs
and prints the loss on the first 10,000 digits after each; the port trains 5 epochs and checks the loss on the
first 1,000 digits falls. ``Value.len(params.W)`` (the optimized runtime's length of a traced table) is
``len(params['W'])``. Both modes run (the ``autograd_mode`` fixture)."""
import math

import pytest

import legonn as lg
from legonn import autograd as grad
from legonn.autograd import loss as lossFuns
from legonn.autograd import util
from tests.porting.test_autograd_train_mnist_mlp import DATA, setupData

pytestmark = [pytest.mark.usefixtures('autograd_mode'),
              pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')]


def test_train_mnist_autoencoder():
    """train-mnist-autoencoder.lua, lines 1-106."""
    grad.optimize(grad.optimizing())   # the Lua's grad.optimize(true): the mode the fixture chose

    # Load in MNIST
    trainData, testData, classes = setupData()
    trainData['x'] = trainData['x'].contiguous().view(trainData['x'].size(0), -1).double()
    inputSize = trainData['x'][0].nElement()

    # Define our neural net
    def predict(params, input):
        size = grad.support.size
        # Encoder
        h1 = util.sigmoid(input @ params['W'][0] + lg.expand(params['B'][0], size(input, 0), size(params['B'][0], 1)))
        h2 = util.sigmoid(h1 @ params['W'][1] + lg.expand(params['B'][1], size(input, 0), size(params['B'][1], 1)))
        h3 = util.sigmoid(h2 @ params['W'][2] + lg.expand(params['B'][2], size(input, 0), size(params['B'][2], 1)))
        # Decoder
        h4 = util.sigmoid(h3 @ lg.t(params['W'][2]) + lg.expand(params['B'][3], size(input, 0),
                                                                 size(params['B'][3], 1)))
        h5 = util.sigmoid(h4 @ lg.t(params['W'][1]) + lg.expand(params['B'][4], size(input, 0),
                                                                 size(params['B'][4], 1)))
        out = util.sigmoid(h5 @ lg.t(params['W'][0]) + lg.expand(params['B'][5], size(input, 0),
                                                                  size(params['B'][5], 1)))
        return out

    # Define our training loss
    def f(params, input, l2Lambda):
        # Reconstruction loss
        prediction = predict(params, input)
        loss = lossFuns.logBCELoss(prediction, input, 1e-6) / grad.support.size(input, 0)
        # L2 penalty on the weights
        for i in range(len(params['W'])):
            loss = loss + l2Lambda * lg.sum(lg.pow(params['W'][i], 2))
        return loss, prediction

    # Get the gradients closure magically:
    df = grad(f, {'optimize': grad.optimizing()})

    sizes = {'input': inputSize, 'h1': 50, 'h2': 25, 'h3': 10}

    # L2 penalty strength
    l2Lambda = 0.0

    # Define our parameters
    # [-1/sqrt(#output), 1/sqrt(#output)]
    lg.manualSeed(0)
    W1 = lg.DoubleTensor(sizes['input'], sizes['h1']).uniform(-1 / math.sqrt(sizes['h1']), 1 / math.sqrt(sizes['h1']))
    W2 = lg.DoubleTensor(sizes['h1'], sizes['h2']).uniform(-1 / math.sqrt(sizes['h2']), 1 / math.sqrt(sizes['h2']))
    W3 = lg.DoubleTensor(sizes['h2'], sizes['h3']).uniform(-1 / math.sqrt(sizes['h3']), 1 / math.sqrt(sizes['h3']))
    B1 = lg.DoubleTensor(1, sizes['h1']).fill(0)
    B2 = lg.DoubleTensor(1, sizes['h2']).fill(0)
    B3 = lg.DoubleTensor(1, sizes['h3']).fill(0)
    B4 = lg.DoubleTensor(1, sizes['h2']).fill(0)
    B5 = lg.DoubleTensor(1, sizes['h1']).fill(0)
    B6 = lg.DoubleTensor(1, sizes['input']).fill(0)

    # Trainable parameters:
    params = {
        'W': [W1, W2, W3],
        'B': [B1, B2, B3, B4, B5, B6],
    }

    first = f(params, trainData['x'].narrow(0, 0, 1000), l2Lambda)[0]
    losses = []

    # Train a neural network (5 epochs; the Lua's 100)
    for epoch in range(5):
        print('Training Epoch #' + str(epoch + 1))
        for i in range(trainData['size'] // 1000):
            # Next minibatch:
            x = trainData['x'].narrow(0, i * 100, 100)

            # Grads:
            grads, loss, prediction = df(params, x, l2Lambda)

            # Update weights and biases
            for j in range(len(params['W'])):
                params['W'][j] = params['W'][j] - grads['W'][j] * 0.01

            for j in range(len(params['B'])):
                params['B'][j] = params['B'][j] - grads['B'][j] * 0.01

        # Log performance (the first 1,000 digits; the Lua's 10,000):
        losses.append(f(params, trainData['x'].narrow(0, 0, 1000), l2Lambda)[0])
        print('Cross-entropy loss: ' + str(losses[-1]))

    assert all(b < a for a, b in zip([first] + losses, losses)), (first, losses)
