"""torch-autograd's examples/train-mnist-cnn.lua, ported literally as a short run whose loss falls: a
convolutional net of wrapped nn modules (autograd.nn), float parameters.

The data is get-mnist.lua's port (tests/porting/test_autograd_train_mnist_mlp.py's ``setupData``): 28x28 digits
where mnist.t7's are 32x32, so the first Reshape is (1, 28, 28) and the flattened maps 16x4x4 (the Lua's 16x5x5).
The Lua trains 100 epochs over every digit; the port one epoch over 600 digits, and checks the mean loss on test
digits falls. Both modes run (the ``autograd_mode`` fixture), as test_autograd_train_mnist_mlp.py's."""
import pytest

import legonn as lg
from legonn import autograd as grad
from legonn import optim
from legonn.autograd import loss as lossFuns
from legonn.autograd import util
from tests.porting.test_autograd_train_mnist_mlp import DATA, setupData

pytestmark = [pytest.mark.usefixtures('autograd_mode'),
              pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')]


def test_train_mnist_cnn():
    """train-mnist-cnn.lua, lines 1-82."""
    grad.optimize(grad.optimizing())   # the Lua's grad.optimize(true): the mode the fixture chose

    # Load in MNIST
    trainData, testData, classes = setupData()
    inputSize = trainData['x'][0].nElement()
    confusionMatrix = optim.ConfusionMatrix(classes)

    # for CNNs, we rely on efficient nn-provided primitives:
    reshape = grad.nn.Reshape(1, 28, 28)

    params = {}
    conv1, params['conv1'] = grad.nn.SpatialConvolutionMM(1, 16, 5, 5)
    acts1 = grad.nn.Tanh()
    pool1 = grad.nn.SpatialMaxPooling(2, 2, 2, 2)

    conv2, params['conv2'] = grad.nn.SpatialConvolutionMM(16, 16, 5, 5)
    acts2 = grad.nn.Tanh()
    pool2 = grad.nn.SpatialMaxPooling(2, 2, 2, 2)   # the Lua's params.pool2 is nil: pooling has no parameters

    flatten = grad.nn.Reshape(16 * 4 * 4)
    linear, params['linear'] = grad.nn.Linear(16 * 4 * 4, 10)

    # Cast the parameters
    params = grad.util.cast(params, 'float')

    # Define our network
    def predict(params, input, target):
        h1 = pool1(acts1(conv1(params['conv1'], reshape(input))))
        h2 = pool2(acts2(conv2(params['conv2'], h1)))
        h3 = linear(params['linear'], flatten(h2))
        out = util.logSoftMax(h3)
        return out

    # Define our loss function
    def f(params, input, target):
        prediction = predict(params, input, target)
        loss = lossFuns.logMultinomialLoss(prediction, target)
        return loss, prediction

    # Define our parameters
    lg.manualSeed(0)

    def test_loss():
        """The port's check: the mean loss over the first 100 test digits."""
        return sum(f(params, testData['x'][i].view(1, inputSize), lg.view(testData['y'][i], 1, 10))[0]
                   for i in range(100)) / 100

    before = test_loss()

    # Get the gradients closure magically:
    df = grad(f, {'optimize': grad.optimizing()})

    # Train a neural network (one epoch over 600 digits; the Lua's 100 over all)
    for epoch in range(1):
        print('Training Epoch #' + str(epoch + 1))
        for i in range(600):
            # Next sample:
            x = trainData['x'][i].view(1, inputSize)
            y = lg.view(trainData['y'][i], 1, 10)

            # Grads:
            grads, loss, prediction = df(params, x, y)

            # Update weights and biases
            for iparam in range(2):
                params['conv1'][iparam] = params['conv1'][iparam] - grads['conv1'][iparam] * 0.01
                params['conv2'][iparam] = params['conv2'][iparam] - grads['conv2'][iparam] * 0.01
                params['linear'][iparam] = params['linear'][iparam] - grads['linear'][iparam] * 0.01

            # Log performance:
            confusionMatrix.add(prediction[0], y[0])
            if (i + 1) % 1000 == 0:
                print(confusionMatrix)
                confusionMatrix.zero()

    assert grads['conv1'][0].type() == 'torch.FloatTensor' and conv1.module.weight.type() == 'torch.FloatTensor'
    assert confusionMatrix.mat.sum() == 600
    after = test_loss()
    assert after < 0.6 * before, (before, after)   # 2.3 (chance) before
