"""torch-distlearn's examples/mnist.lua, line by line: a CNN trained on MNIST by ``numNodes`` processes (mnist.sh
starts them) with AllReduceSGD over an ``ipc.LocalhostTree``. ``main(argv, epochs)``: ``epochs`` is the Lua's
``for epoch = 1,100``, which tests/porting/test_distlearn.py shortens; ``main`` returns the parameters and the
last epoch's confusion matrix, for the test to read.

Edits beyond Lua syntax and 0-based indices (``--nodeIndex`` from 0, labels from 0, ``i`` of the batch loop
``i + 1`` where it counts), each marked where it is made:

* ``require 'dataset.Dataset'`` is tests/porting/distlearn/dataset.py, a stand-in (torch-dataset is not ported).
* ``pool2, params.pool2 = grad.nn.SpatialMaxPooling(...)``: legonn's wrapper of a module without parameters
  returns the function alone (tests/porting/test_autograd_examples.py's train-mnist-cnn, the same lines).
* ``print = function() end`` on the nodes other than the first: ``global print`` in ``main`` (docs/porting.md's
  row on a global assigned inside a function); it is this module's ``print``, per process as Lua's global.
"""
from legonn import autograd as grad
from legonn import optim, xlua
from legonn.autograd import loss as lossFuns
from legonn.autograd import util
from legonn.distributed import AllReduceSGD
from legonn.ipc import LocalhostTree
from legonn.pl import lapp

import legonn as torch
from tests.porting.distlearn.dataset import Dataset


def main(argv=None, epochs=100):
    global print
    opt = lapp("""
Train a CNN classifier on MNIST using AllReduceSGD.

   --nodeIndex         (default 0)
   --numNodes          (default 1)
""", argv)

    # Build the AllReduce tree
    tree = LocalhostTree(opt['nodeIndex'], opt['numNodes'])
    allReduceSGD = AllReduceSGD(tree)

    # Print only in instance 1!
    if opt['nodeIndex'] > 0:
        xlua.progress = lambda *args: None
        print = lambda *args: None  # noqa: A001

    # Load the MNIST dataset
    trainingDataset = Dataset('http://d3jod65ytittfm.cloudfront.net/dataset/mnist/train.t7', {
        'partition': opt['nodeIndex'],
        'partitions': opt['numNodes'],
    })

    def processor(res, processorOpt, input):
        input.copy(res.view(1, 1024))
        return True
    getTrainingBatch, numTrainingBatches = trainingDataset.sampledBatcher({
        'samplerKind': 'permutation',
        'batchSize': 1,
        'inputDims': [1024],
        'verbose': True,
        'processor': processor,
    })

    # Load in MNIST
    classes = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
    confusionMatrix = optim.ConfusionMatrix(classes)

    # Ensure params are equal on all nodes
    torch.manualSeed(0)

    # for CNNs, we rely on efficient nn-provided primitives:
    reshape = grad.nn.Reshape(1, 32, 32)

    params = {}
    conv1, params['conv1'] = grad.nn.SpatialConvolutionMM(1, 16, 5, 5)
    acts1 = grad.nn.Tanh()
    pool1 = grad.nn.SpatialMaxPooling(2, 2, 2, 2)

    conv2, params['conv2'] = grad.nn.SpatialConvolutionMM(16, 16, 5, 5)
    acts2 = grad.nn.Tanh()
    pool2 = grad.nn.SpatialMaxPooling(2, 2, 2, 2)   # the Lua's params.pool2 is nil: a pool has none

    flatten = grad.nn.Reshape(16 * 5 * 5)
    linear, params['linear'] = grad.nn.Linear(16 * 5 * 5, 10)

    # Cast the parameters
    params = grad.util.cast(params, 'float')

    # Make sure all the nodes have the same parameter values
    allReduceSGD.synchronizeParameters(params)

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

    # Get the gradients closure magically:
    df = grad(f, {
        'optimize': True,              # Generate fast code
        'stableGradients': True,       # Keep the gradient tensors stable so we can use CUDA IPC
    })

    # Train a neural network
    for epoch in range(1, epochs + 1):
        print('Training Epoch #' + str(epoch))
        for i in range(numTrainingBatches()):
            # Next sample:
            batch = getTrainingBatch()
            x = batch['input']
            y = util.oneHot(batch['target'], 10)

            # Grads:
            grads, loss, prediction = df(params, x, y)

            # Gather the grads from all nodes
            allReduceSGD.sumAndNormalizeGradients(grads)

            # Update weights and biases
            for iparam in range(2):
                params['conv1'][iparam] = params['conv1'][iparam] - grads['conv1'][iparam] * 0.01
                params['conv2'][iparam] = params['conv2'][iparam] - grads['conv2'][iparam] * 0.01
                params['linear'][iparam] = params['linear'][iparam] - grads['linear'][iparam] * 0.01

            # Log performance:
            confusionMatrix.add(prediction[0], y[0])
            if (i + 1) % 1000 == 0:
                # Reduce confusion matrix so all instances share the same:
                tree.allReduce(confusionMatrix.mat, lambda a, b: a.add(b))
                print(confusionMatrix)
                confusionMatrix.zero()

        # Make sure all nodes are in sync at the end of an epoch
        allReduceSGD.synchronizeParameters(params)
    return params, confusionMatrix
