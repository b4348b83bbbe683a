"""torch-distlearn's examples/cifar10.lua, line by line: a 4-layer CNN with batch normalization trained on CIFAR-10
by ``numNodes`` processes (cifar10.sh starts them) with AllReduceSGD over an ``ipc.LocalhostTree``, on the GPU
with ``--cuda``. ``main(argv, epochs)``: ``epochs`` is the Lua's ``for epoch = 1,100``, which
tests/porting/test_distlearn.py shortens; ``main`` returns the parameters and the confusion matrix.

Edits beyond Lua syntax and 0-based indices (``--nodeIndex`` and ``--gpu`` from 0, labels from 0, ``i`` of the
batch loop ``i + 1`` where it counts), each marked where it is made:

* ``require 'dataset.Dataset'`` is tests/porting/distlearn/dataset.py, a stand-in (torch-dataset is not ported):
  synthetic images as PNG bytes instead of the URL's CIFAR-10.
* ``linear(params[np], flatten(h), 0.5)``: torch-autograd's wrapped Linear takes ``(params, input)`` and Lua drops
  the third argument; Python refuses it (docs/porting.md's row on a function called with more arguments than it
  names): dropped.
* ``print = function() end`` on the nodes other than the first: ``global print`` in ``main`` (docs/porting.md's
  row on a global assigned inside a function).
"""
import math

from legonn import autograd as grad
from legonn import optim, xlua
from legonn.distributed import AllReduceSGD
from legonn.ipc import LocalhostTree
from legonn.pl import lapp

import legonn as torch
from tests.porting.distlearn.dataset import Dataset


def main(argv=None, epochs=100):
    global print
    opt = lapp("""
Train a CNN classifier on CIFAR-10 using AllReduceSGD.

   --nodeIndex         (default 0)         node index
   --numNodes          (default 1)         num nodes spawned in parallel
   --batchSize         (default 32)        batch size, per node
   --learningRate      (default .1)        learning rate
   --cuda                                  use cuda
   --gpu               (default 0)         which gpu to use (only when using cuda)
""", argv)

    # Requires
    if opt['cuda']:
        from legonn import cutorch
        cutorch.setDevice(opt['gpu'])

    # Build the AllReduce tree
    tree = LocalhostTree(opt['nodeIndex'], opt['numNodes'])
    allReduceSGD = AllReduceSGD(tree)

    # Print only in instance 1!
    if opt['nodeIndex'] > 0:
        xlua.progress = lambda *args: None
        print = lambda *args: None  # noqa: A001

    # Adapt batch size, per node:
    opt['batchSize'] = math.ceil(opt['batchSize'] / opt['numNodes'])
    print('Batch size: per node = ' + str(opt['batchSize']) + ', total = ' + str(opt['batchSize'] * opt['numNodes']))

    # Load the CIFAR-10 dataset
    trainingDataset = Dataset('http://d3jod65ytittfm.cloudfront.net/dataset/cifar10/training.csv', {
        # Partition dataset so each node sees a subset:
        'partition': opt['nodeIndex'],
        'partitions': opt['numNodes'],
    })

    def processor(res, processorOpt, input):
        # This function is not a closure, it is run in a clean Lua environment
        from legonn import image
        # Turn the res string into a ByteTensor (containing the PNG file's contents)
        bytes = torch.ByteTensor(len(res))
        bytes.storage().string(res)
        # Decompress the PNG bytes into a Tensor
        pixels = image.decompressPNG(bytes)
        # Copy the pixels tensor into the mini-batch
        input.copy(pixels)
        return True
    getTrainingBatch, numTrainingBatches = trainingDataset.sampledBatcher({
        'samplerKind': 'label-uniform',
        'batchSize': opt['batchSize'],
        'inputDims': [3, 32, 32],
        'verbose': True,
        'cuda': opt['cuda'],
        'processor': processor,
    })

    # Load in MNIST
    classes = [
        'airplane', 'automobile', 'bird', 'cat',
        'deer', 'dog', 'frog', 'horse', 'ship', 'truck'
    ]
    confusionMatrix = optim.ConfusionMatrix(classes)

    # for CNNs, we rely on efficient nn-provided primitives:
    conv, params, bn, acts, pool = [None] * 4, [None] * 9, [None] * 4, [None] * 4, [None] * 4

    # Ensure same init on all nodes:
    torch.manualSeed(0)

    # layer 1:
    conv[0], params[0] = grad.nn.SpatialConvolutionMM(3, 64, 5, 5, 1, 1, 2, 2)
    bn[0], params[1] = grad.nn.SpatialBatchNormalization(64, 1e-3)
    acts[0] = grad.nn.ReLU()
    pool[0] = grad.nn.SpatialMaxPooling(2, 2, 2, 2)

    # layer 2:
    conv[1], params[2] = grad.nn.SpatialConvolutionMM(64, 128, 5, 5, 1, 1, 2, 2)
    bn[1], params[3] = grad.nn.SpatialBatchNormalization(128, 1e-3)
    acts[1] = grad.nn.ReLU()
    pool[1] = grad.nn.SpatialMaxPooling(2, 2, 2, 2)

    # layer 3:
    conv[2], params[4] = grad.nn.SpatialConvolutionMM(128, 256, 5, 5, 1, 1, 2, 2)
    bn[2], params[5] = grad.nn.SpatialBatchNormalization(256, 1e-3)
    acts[2] = grad.nn.ReLU()
    pool[2] = grad.nn.SpatialMaxPooling(2, 2, 2, 2)

    # layer 4:
    conv[3], params[6] = grad.nn.SpatialConvolutionMM(256, 512, 5, 5, 1, 1, 2, 2)
    bn[3], params[7] = grad.nn.SpatialBatchNormalization(512, 1e-3)
    acts[3] = grad.nn.ReLU()
    pool[3] = grad.nn.SpatialMaxPooling(2, 2, 2, 2)

    # layer 5:
    flatten = grad.nn.Reshape(512 * 2 * 2)
    linear, params[8] = grad.nn.Linear(512 * 2 * 2, 10)

    # Cast the parameters
    params = grad.util.cast(params, 'cuda' if opt['cuda'] else 'float')

    # Make sure all the nodes have the same parameter values
    allReduceSGD.synchronizeParameters(params)

    # Loss:
    logSoftMax = grad.nn.LogSoftMax()
    crossEntropy = grad.nn.ClassNLLCriterion()

    # Define our network
    def predict(params, input, target):
        h = input
        np = 0
        for i in range(len(conv)):
            h = pool[i](acts[i](bn[i](params[np + 1], conv[i](params[np], h))))
            np = np + 2
        hl = linear(params[np], flatten(h))   # the Lua's third argument, 0.5, is never read: dropped
        out = logSoftMax(hl)
        return out

    # Define our loss function
    def f(params, input, target):
        prediction = predict(params, input, target)
        loss = crossEntropy(prediction, target)
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
            y = batch['target']

            # Grads:
            grads, loss, prediction = df(params, x, y)

            # Gather the grads from all nodes
            allReduceSGD.sumAndNormalizeGradients(grads)

            # Update weights and biases
            for layer in range(len(params)):
                for i_ in range(len(params[layer])):
                    params[layer][i_].add(-opt['learningRate'], grads[layer][i_])

            # Log performance:
            for b in range(batch['batchSize']):
                confusionMatrix.add(prediction[b], y[b])

            # Display progress:
            xlua.progress(i, numTrainingBatches())
            if (i + 1) % 100 == 0:
                # Reduce confusion matrix so all instances share the same:
                tree.allReduce(confusionMatrix.mat, lambda a, b: a.add(b))
                print(confusionMatrix)
                confusionMatrix.zero()

        # Make sure all nodes are in sync at the end of an epoch
        allReduceSGD.synchronizeParameters(params)

        # TODO: run validation here (can be distributed too)
    return params, confusionMatrix
