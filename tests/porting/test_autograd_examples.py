"""torch-autograd's examples/ (train-mnist-logistic, -mlp, -cnn, -autoencoder, train-penn-rnn, print-dotfile,
print-generatedcode), ported literally, each as a short run: the Lua's model, loss, initialisation and update
rule, over a few hundred digits (or a few hundred words) instead of 100 epochs of the full set. Each must lower
its loss, and its gradients must agree with central finite differences in float64 on a batch.

The edits are docs/porting.md's: ``torch.`` is ``lg.`` (imported as ``torch`` here, as the Lua names it),
``:`` is ``.``, indices 0-based, Lua tables dicts (string keys) and lists, ``A * B`` of matrices ``A @ B``,
``torch.size``/``torch.nDimension`` autograd.support's, several returns a tuple.

Data, with no download: get-mnist.lua fetched torch.data's mnist.tgz (32x32 digits, one-hot targets through
util.oneHot); here the shipped 5,000-digit slice through examples/mnist_data.py, padded from 28x28 to 32x32
(the CNN's Reshape(1,32,32) and Linear(16*5*5, 10) need that size), pixels in [0, 1]. get-penn.lua fetched the
Penn Treebank text; here CPython's bundled documentation (``pydoc_data.topics``, as examples/char_lstm.py),
split into words the same way (newlines become ``<eos>``).
"""
import contextlib
import importlib.util
import io
import math
import os
import random

import numpy as np
import pytest

import legonn as torch
from legonn import autograd as grad
from legonn import optim
from legonn.autograd import loss as lossFuns
from legonn.autograd import model, util
from legonn.autograd.support import nDimension, size

# Torch7's default type, DoubleTensor, as the examples ran under (they make FloatTensors explicitly): under
# legonn's float default, torch.log of a number (util.logSumExp's last step) would round to float32
pytestmark = pytest.mark.usefixtures('double_default')

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'examples')


@pytest.fixture(autouse=True)
def _restore_optimize():
    """Each example calls ``grad.optimize(true)`` at its top; put the default back after it."""
    before = grad.optimizing()
    yield
    grad.optimize(before)


def _mnist_data():
    spec = importlib.util.spec_from_file_location('mnist_data', os.path.join(EXAMPLES, 'mnist_data.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def get_mnist(n_train):
    """get-mnist.lua: ``(trainData, testData, classes)``, each data set a dict with ``x`` (n x 32 x 32
    FloatTensor), ``y`` (n x 10 one-hot, util.oneHot of the labels) and ``size``; ``n_train`` digits to train on
    (the Lua: all 60,000) and the held-out 1,000."""
    x_train, y_train, x_test, y_test = _mnist_data().load()

    def dataset(x, y):
        x = np.pad(x, ((0, 0), (2, 2), (2, 2)))       # torch.data's mnist.t7 holds 32x32 digits
        return {'x': torch.FloatTensor(np.ascontiguousarray(x)),
                'y': util.oneHot(torch.FloatTensor(y.astype(np.float32)), 10), 'size': len(y)}
    classes = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
    return dataset(x_train[:n_train], y_train[:n_train]), dataset(x_test, y_test), classes


def assert_gradients_match_finite_differences(f, params, *args, samples=12, eps=1e-6, tol=1e-6):
    """``grad(f)``'s gradients of ``params`` (cast to double, as the inputs must be), in the direct and the
    optimized runtime, against central differences of ``f``'s loss on ``samples`` elements of every parameter
    tensor: its largest-gradient element and others drawn at random."""
    params = util.cast(params, 'double')
    args = [util.cast(a, 'double') if isinstance(a, (torch.Tensor, dict, list)) else a for a in args]
    rng = random.Random(0)
    for optimize in (False, True):
        grads = grad(f, {'optimize': optimize})(params, *args)[0]
        for p, g in zip(util.sortedFlatten(params), util.sortedFlatten(grads)):
            flat_p, flat_g = p.view(-1), g.contiguous().view(-1)
            picks = {int(torch.abs(flat_g).max(0)[1][0])} | {rng.randrange(flat_p.size(0)) for _ in range(samples)}
            for i in picks:
                val = flat_p[i]
                flat_p[i] = val + eps
                up = f(params, *args)[0]
                flat_p[i] = val - eps
                down = f(params, *args)[0]
                flat_p[i] = val
                numeric = (up - down) / (2 * eps)
                assert abs(numeric - flat_g[i]) <= tol * max(1.0, abs(numeric)), \
                    (optimize, tuple(p.size()), i, numeric, flat_g[i])


def _mnist_mlp_f():
    """train-mnist-mlp.lua lines 17-32 (print-dotfile.lua and print-generatedcode.lua define the same)."""
    def predict(params, input, target):
        h1 = torch.tanh(input @ params['W'][0] + params['B'][0])
        h2 = torch.tanh(h1 @ params['W'][1] + params['B'][1])
        h3 = h2 @ params['W'][2] + params['B'][2]
        out = util.logSoftMax(h3)
        return out

    def f(params, input, target):
        prediction = predict(params, input, target)
        loss = lossFuns.logMultinomialLoss(prediction, target)
        return loss, prediction
    return f


def _mnist_logistic_f():
    """train-mnist-logistic.lua lines 17-30."""
    def predict(params, input, target, predictionOnly=None):
        h1 = input @ params['W'][0] + params['B'][0]
        out = util.logSoftMax(h1)
        return out

    def f(params, input, target):
        prediction = predict(params, input, target)
        loss = lossFuns.logMultinomialLoss(prediction, target)
        return loss, prediction
    return f


def _train_per_sample(df, params, trainData, inputSize, update, confusionMatrix):
    """The examples' training loop over one epoch of ``trainData`` (train-mnist-mlp.lua lines 53-73): one digit
    at a time, ``update(params, grads)``, the ConfusionMatrix fed; returns each step's loss."""
    losses = []
    for i in range(trainData['size']):
        # Next sample:
        x = trainData['x'][i].view(1, inputSize)
        y = torch.view(trainData['y'][i], 1, 10)

        # Grads:
        grads, loss, prediction = df(params, x, y)
        losses.append(loss)

        # Update weights and biases
        update(params, grads)

        # Log performance:
        confusionMatrix.add(prediction[0], y[0])
    return losses


def _mean_loss(f, params, data, inputSize):
    return sum(f(params, data['x'][i].view(1, inputSize), torch.view(data['y'][i], 1, 10))[0]
               for i in range(data['size'])) / data['size']


def _sgd_W_B(params, grads):
    """train-mnist-mlp.lua lines 64-67."""
    for i in range(len(params['W'])):
        params['W'][i] = params['W'][i] - grads['W'][i] * 0.01
        params['B'][i] = params['B'][i] - grads['B'][i] * 0.01


def _train_one_epoch_and_check(f, params, trainData, testData, confusionMatrix, ratio):
    """train-mnist-logistic.lua's and train-mnist-mlp.lua's shared loop (``grad(f)``, then SGD per sample), then
    the checks: the held-out loss falls below ``ratio`` of its start, the last 100 losses below the first 100,
    the epoch's running accuracy above 0.3 (chance is 0.1), and the gradients match finite differences."""
    inputSize = trainData['x'][0].nElement()
    df = grad(f, {'optimize': True})
    before = _mean_loss(f, params, testData, inputSize)
    losses = _train_per_sample(df, params, trainData, inputSize, _sgd_W_B, confusionMatrix)
    after = _mean_loss(f, params, testData, inputSize)
    assert after < ratio * before, (before, after)
    assert np.mean(losses[-100:]) < np.mean(losses[:100])
    confusionMatrix.updateValids()
    assert confusionMatrix.totalValid > 0.3

    x = trainData['x'][:8].view(8, inputSize)
    assert_gradients_match_finite_differences(f, params, x, trainData['y'][:8])


def test_train_mnist_logistic():
    """examples/train-mnist-logistic.lua: one epoch over 500 digits (the Lua: 100 epochs of 60,000)."""
    grad.optimize(True)
    trainData, testData, classes = get_mnist(500)
    inputSize = trainData['x'][0].nElement()
    confusionMatrix = optim.ConfusionMatrix(len(classes))
    f = _mnist_logistic_f()

    # Define our parameters
    # [-1/sqrt(#output), 1/sqrt(#output)]
    torch.manualSeed(0)
    W1 = torch.FloatTensor(inputSize, len(classes)).uniform(-1 / math.sqrt(len(classes)),
                                                            1 / math.sqrt(len(classes)))
    B1 = torch.FloatTensor(len(classes)).fill(0)
    params = {'W': [W1], 'B': [B1]}

    # Get the gradients closure magically:
    _train_one_epoch_and_check(f, params, trainData, testData, confusionMatrix, 0.6)


def test_train_mnist_mlp():
    """examples/train-mnist-mlp.lua: one epoch over 500 digits (the Lua: 100 epochs of 60,000)."""
    grad.optimize(True)
    trainData, testData, classes = get_mnist(500)
    inputSize = trainData['x'][0].nElement()
    confusionMatrix = optim.ConfusionMatrix(len(classes))
    f = _mnist_mlp_f()

    # Define our parameters
    # [-1/sqrt(#output), 1/sqrt(#output)]
    torch.manualSeed(0)
    W1 = torch.FloatTensor(inputSize, 50).uniform(-1 / math.sqrt(50), 1 / math.sqrt(50))
    B1 = torch.FloatTensor(50).fill(0)
    W2 = torch.FloatTensor(50, 50).uniform(-1 / math.sqrt(50), 1 / math.sqrt(50))
    B2 = torch.FloatTensor(50).fill(0)
    W3 = torch.FloatTensor(50, len(classes)).uniform(-1 / math.sqrt(len(classes)), 1 / math.sqrt(len(classes)))
    B3 = torch.FloatTensor(len(classes)).fill(0)
    params = {'W': [W1, W2, W3], 'B': [B1, B2, B3]}

    # Get the gradients closure magically:
    _train_one_epoch_and_check(f, params, trainData, testData, confusionMatrix, 0.7)


def test_train_mnist_cnn():
    """examples/train-mnist-cnn.lua: one epoch over 300 digits (the Lua: 100 epochs of 60,000)."""
    grad.optimize(True)
    trainData, testData, classes = get_mnist(300)
    testData = {'x': testData['x'][:100], 'y': testData['y'][:100], 'size': 100}
    inputSize = trainData['x'][0].nElement()
    confusionMatrix = optim.ConfusionMatrix(len(classes))

    # for CNNs, we rely on efficient nn-provided primitives:
    reshape = grad.nn.Reshape(1, 32, 32)

    params = {}
    conv1, params['conv1'] = grad.nn.SpatialConvolutionMM(1, 16, 5, 5)
    acts1 = grad.nn.Tanh()
    pool1 = grad.nn.SpatialMaxPooling(2, 2, 2, 2)

    conv2, params['conv2'] = grad.nn.SpatialConvolutionMM(16, 16, 5, 5)
    acts2 = grad.nn.Tanh()
    pool2 = grad.nn.SpatialMaxPooling(2, 2, 2, 2)     # the Lua's params.pool2 is nil: a pool has none

    flatten = grad.nn.Reshape(16 * 5 * 5)
    linear, params['linear'] = grad.nn.Linear(16 * 5 * 5, 10)

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

    torch.manualSeed(0)

    # Get the gradients closure magically:
    df = grad(f, {'optimize': True})

    def update(params, grads):
        for iparam in range(2):
            params['conv1'][iparam] = params['conv1'][iparam] - grads['conv1'][iparam] * 0.01
            params['conv2'][iparam] = params['conv2'][iparam] - grads['conv2'][iparam] * 0.01
            params['linear'][iparam] = params['linear'][iparam] - grads['linear'][iparam] * 0.01

    before = _mean_loss(f, params, testData, inputSize)
    losses = _train_per_sample(df, params, trainData, inputSize, update, confusionMatrix)
    after = _mean_loss(f, params, testData, inputSize)
    assert after < 0.8 * before, (before, after)
    assert np.mean(losses[-100:]) < np.mean(losses[:100])

    # the wrapped modules take one digit (Reshape(1,32,32)): the batch is checked one digit at a time
    for i in range(2):
        assert_gradients_match_finite_differences(f, params, trainData['x'][i].view(1, inputSize),
                                                  torch.view(trainData['y'][i], 1, 10), samples=6)


def test_train_mnist_autoencoder():
    """examples/train-mnist-autoencoder.lua: 3 epochs of 5 minibatches of 100 digits (the Lua: 100 epochs of 60;
    it logs the loss of the first 10,000 digits, here of the 500 trained on)."""
    grad.optimize(True)
    trainData, testData, classes = get_mnist(500)
    trainData['x'] = trainData['x'].view(trainData['x'].size(0), -1).double()
    inputSize = trainData['x'][0].nElement()

    # Define our neural net
    def predict(params, input):
        def expand(B):
            return torch.expand(B, size(input, 0), size(B, 1))
        # Encoder
        h1 = util.sigmoid(input @ params['W'][0] + expand(params['B'][0]))
        h2 = util.sigmoid(h1 @ params['W'][1] + expand(params['B'][1]))
        h3 = util.sigmoid(h2 @ params['W'][2] + expand(params['B'][2]))
        # Decoder
        h4 = util.sigmoid(h3 @ torch.t(params['W'][2]) + expand(params['B'][3]))
        h5 = util.sigmoid(h4 @ torch.t(params['W'][1]) + expand(params['B'][4]))
        out = util.sigmoid(h5 @ torch.t(params['W'][0]) + expand(params['B'][5]))
        return out

    # Define our training loss
    def f(params, input, l2Lambda):
        # Reconstruction loss
        prediction = predict(params, input)
        loss = lossFuns.logBCELoss(prediction, input, 1e-6) / size(input, 0)
        # L2 penalty on the weights
        for i in range(len(params['W'])):
            loss = loss + l2Lambda * torch.sum(torch.pow(params['W'][i], 2))
        return loss, prediction

    # Get the gradients closure magically:
    df = grad(f, {'optimize': True})

    sizes = {'input': inputSize, 'h1': 50, 'h2': 25, 'h3': 10}

    # L2 penalty strength (the Lua's 0.0; the check below also runs the penalty)
    l2Lambda = 0.0

    # Define our parameters
    # [-1/sqrt(#output), 1/sqrt(#output)]
    torch.manualSeed(0)

    def uniform(rows, cols):
        return torch.DoubleTensor(sizes[rows], sizes[cols]).uniform(-1 / math.sqrt(sizes[cols]),
                                                                    1 / math.sqrt(sizes[cols]))
    W1, W2, W3 = uniform('input', 'h1'), uniform('h1', 'h2'), uniform('h2', 'h3')
    B1, B2, B3, B4, B5, B6 = (torch.DoubleTensor(1, sizes[k]).fill(0)
                              for k in ('h1', 'h2', 'h3', 'h2', 'h1', 'input'))
    params = {'W': [W1, W2, W3], 'B': [B1, B2, B3, B4, B5, B6]}

    logged = [f(params, trainData['x'], l2Lambda)[0]]
    for epoch in range(3):
        for i in range(trainData['size'] // 100):
            # Next minibatch:
            x = trainData['x'][i * 100:(i + 1) * 100, :]

            # Grads:
            grads, loss, prediction = df(params, x, l2Lambda)

            # Update weights and biases
            for k in range(len(params['W'])):
                params['W'][k] = params['W'][k] - grads['W'][k] * 0.01
            for k in range(len(params['B'])):
                params['B'][k] = params['B'][k] - grads['B'][k] * 0.01

        # Log performance:
        logged.append(f(params, trainData['x'], l2Lambda)[0])
    assert all(b < a for a, b in zip(logged, logged[1:])), logged

    assert_gradients_match_finite_differences(f, params, trainData['x'][:10], 1e-3)


def get_penn(n_train, n_valid):
    """get-penn.lua: ``(trainData, valData, testData, dict)``, each data set a FloatTensor of word ids (0-based,
    docs/porting.md), the dictionary ``{'word2id', 'id2word'}`` grown over the three; the text is CPython's
    bundled documentation (no download), its first ``n_train`` words to train on, the next ``n_valid`` to
    validate and as many to test."""
    import pydoc_data.topics as topics
    word2id, id2word = {}, []
    # Parse words:
    data = '\n'.join(topics.topics[k] for k in sorted(topics.topics)).replace('\n', '<eos>')
    tokens = data.split()

    def loadDataset(tokens):
        # Build dictionary:
        ids = torch.FloatTensor(len(tokens))
        for i, token in enumerate(tokens):
            if token not in word2id:
                word2id[token] = len(id2word)
                id2word.append(token)
            ids[i] = word2id[token]
        # Final dataset:
        return ids
    ends = (n_train, n_train + n_valid, n_train + 2 * n_valid)
    return (loadDataset(tokens[:ends[0]]), loadDataset(tokens[ends[0]:ends[1]]), loadDataset(tokens[ends[1]:ends[2]]),
            {'word2id': word2id, 'id2word': id2word})


@pytest.mark.parametrize('recurrent,learningRate', [('LSTM', 20), ('GRU', 20), ('FW', 5)])
def test_train_penn_rnn(recurrent, learningRate):
    """examples/train-penn-rnn.lua with its options' defaults except: --wordDim and --hiddens 32 (200),
    --batchSize 10 (20), 1 epoch (20) of 3,000 words (Penn's 930,000), --type double (float; the gradient check
    needs double anyway), and for --model FW --learningRate 5 (20: the fast-weights net diverges at 20 on these
    words); the validation pass is run, the test pass (the same code on other words) is not."""
    opt = {'nEpochs': 1, 'bpropLength': 20, 'batchSize': 10, 'wordDim': 32, 'hiddens': 32, 'capEpoch': -1,
           'reportEvery': 200, 'learningRate': learningRate, 'maxGradNorm': .25, 'paramRange': .1, 'dropout': 0,
           'type': 'double', 'model': recurrent}
    d = grad
    d.optimize(True)

    # Seed
    torch.manualSeed(1)

    # Load in PENN Treebank dataset
    trainData, valData, testData, dict_ = get_penn(3000, 500)
    nTokens = len(dict_['id2word'])
    trainData, valData = trainData.double(), valData.double()

    # Define LSTM layers:
    lstm1, params = getattr(model, 'Recurrent' + opt['model'] + 'Network')({
        'inputFeatures': opt['wordDim'], 'hiddenFeatures': opt['hiddens'], 'outputType': 'all'})[:2]
    lstm2 = getattr(model, 'Recurrent' + opt['model'] + 'Network')({
        'inputFeatures': opt['hiddens'], 'hiddenFeatures': opt['hiddens'], 'outputType': 'all'}, params)[0]

    # Dropout
    regularize = util.dropout

    # Use built-in nn modules:
    lsm = d.nn.LogSoftMax()
    lossf = d.nn.ClassNLLCriterion()

    # Complete trainable function:
    def f(params, x, y, prevState, dropout=0):
        # N elements:
        batchSize = size(x, 0)
        bpropLength = size(x, 1)
        nElements = batchSize * bpropLength

        # Select word vectors
        x = util.lookup(params['words']['W'], x)

        # Encode all inputs through LSTM layers (the Lua's prevState[1] of an empty table is nil: None here;
        # the LSTM's third return, its layers, is dropped as the Lua's two-name assignment drops it):
        h1, newState1 = lstm1(params[0], regularize(x, dropout), prevState[0] if prevState else None)[:2]
        h2, newState2 = lstm2(params[1], regularize(h1, dropout), prevState[1] if prevState else None)[:2]

        # Flatten batch + temporal
        h2f = torch.view(h2, nElements, opt['hiddens'])
        yf = torch.view(y, nElements)

        # Linear classifier:
        h3 = regularize(h2f, dropout) @ params[2]['W'] + torch.expand(params[2]['b'], nElements, nTokens)

        # Lsm
        yhat = lsm(h3)

        # Loss:
        loss = lossf(yhat, yf)

        # Return avergage loss
        return loss, [newState1, newState2]

    # Linear classifier params:
    params.append({'W': torch.Tensor(opt['hiddens'], nTokens), 'b': torch.Tensor(1, nTokens)})

    # Init weights + cast:
    for weights in params:
        for k in weights:
            weights[k] = weights[k].double()
            weights[k].uniform(-opt['paramRange'], opt['paramRange'])

    # Word dictionary to train:
    words = torch.DoubleTensor(nTokens, opt['wordDim'])
    words.uniform(-opt['paramRange'], opt['paramRange'])
    # a Lua table with both positions (the layers) and names (words): a dict keyed by 0, 1, 2 and 'words'
    params = dict(enumerate(params), words={'W': words})

    # Reformat training data for batches:
    epochLength = math.floor(trainData.size(0) / opt['batchSize'])
    trainData = trainData.narrow(0, 0, epochLength * opt['batchSize']).view(opt['batchSize'], epochLength)

    # Reformat val for batches:
    valLength = math.floor(valData.size(0) / opt['batchSize'])
    valData = valData.narrow(0, 0, valLength * opt['batchSize']).view(opt['batchSize'], valLength)

    def validate(data):
        """Lines 235-252: the mean loss over the data's sequences, the state carried along."""
        aloss, steps, lstmState = 0, 0, []
        for i in range(0, data.size(1) - opt['bpropLength'], opt['bpropLength']):
            # Next sequence:
            x = data.narrow(1, i, opt['bpropLength']).contiguous()
            y = data.narrow(1, i + 1, opt['bpropLength']).contiguous()
            # Estimate loss:
            loss, lstmState = f(params, x, y, lstmState)
            aloss = aloss + loss
            steps = steps + 1
        return aloss / steps

    # Train it
    lr = opt['learningRate']
    df = d(f, {'optimize': True})
    valBefore = validate(valData)
    trainBefore = validate(trainData)
    for epoch in range(opt['nEpochs']):
        lstmState = []     # clear LSTM state at each new epoch
        for i in range(0, epochLength - opt['bpropLength'], opt['bpropLength']):
            # Next sequence:
            x = trainData.narrow(1, i, opt['bpropLength']).contiguous()
            y = trainData.narrow(1, i + 1, opt['bpropLength']).contiguous()

            # Grads:
            grads, loss, lstmState = df(params, x, y, lstmState, opt['dropout'])

            # Cap gradient norms:
            norm = 0
            for g in util.sortedFlatten(grads):
                norm = norm + torch.sum(torch.pow(g, 2))
            norm = math.sqrt(norm)
            if norm > opt['maxGradNorm']:
                for g in util.sortedFlatten(grads):
                    g.mul(opt['maxGradNorm'] / norm)

            # Update params:
            for k, vs in grads.items():
                for kk in (vs if isinstance(vs, dict) else range(len(vs))):
                    params[k][kk].add(-lr, grads[k][kk])
    trainAfter = validate(trainData)
    valAfter = validate(valData)
    # the perplexity of the words trained on falls by over a third, and of the unseen ones too
    assert trainAfter < trainBefore - 0.4, (trainBefore, trainAfter)
    assert valAfter < valBefore, (valBefore, valAfter)

    x = trainData.narrow(1, 0, 3).contiguous()[:2]
    y = trainData.narrow(1, 1, 3).contiguous()[:2]
    assert_gradients_match_finite_differences(f, params, x, y, [], samples=3)


def _print_example_params():
    """print-dotfile.lua and print-generatedcode.lua lines 30-47: the MLP's parameters, an input, a target."""
    inputSize = 1024
    classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    torch.manualSeed(0)
    W1 = torch.Tensor(inputSize, 50).uniform(-1 / math.sqrt(50), 1 / math.sqrt(50))
    B1 = torch.Tensor(50).fill(0)
    W2 = torch.Tensor(50, 50).uniform(-1 / math.sqrt(50), 1 / math.sqrt(50))
    B2 = torch.Tensor(50).fill(0)
    W3 = torch.Tensor(50, len(classes)).uniform(-1 / math.sqrt(len(classes)), 1 / math.sqrt(len(classes)))
    B3 = torch.Tensor(len(classes)).fill(0)
    params = {'W': [W1, W2, W3], 'B': [B1, B2, B3]}
    input = torch.randn(1, inputSize)
    target = torch.zeros(1, len(classes))
    target[0][2] = 1
    return params, input, target


def test_print_dotfile(tmp_path):
    """examples/print-dotfile.lua: the forward pass's graph as a DOT file. The Lua then renders it with
    ``dot -Tsvg`` and opens it in Safari (Mac OS X only): not run; the file is read instead."""
    f = _mnist_mlp_f()
    params, input, target = _print_example_params()

    # Get our function, just the forward pass, along with the DOT file showing the graph
    fileName = str(tmp_path / 'graph.dot')
    g = grad(f, {'dotFile': fileName, 'optimize': True, 'withGradients': False, 'withForward': True})

    # Run the function to produce the dotfile
    loss, prediction = g(params, input, target)
    assert loss == pytest.approx(f(params, input, target)[0], rel=1e-12)
    with open(fileName) as dot:
        text = dot.read()
    assert text.startswith('digraph')
    for name in ('torch.mm', 'torch.tanh', 'torch.sum', 'torch.exp'):
        assert name in text, name
    assert_gradients_match_finite_differences(f, params, input, target)


def test_print_generatedcode():
    """examples/print-generatedcode.lua: the generated code of the forward pass, then of forward and backward
    (legonn generates Python, docs/autograd.md)."""
    f = _mnist_mlp_f()
    params, input, target = _print_example_params()

    shown = []
    for withGradients in (False, True):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            g = grad(f, {'showCode': True, 'optimize': True, 'withGradients': withGradients, 'withForward': True})
            tmp = g(params, input, target)
        shown.append(out.getvalue())
        assert tmp[-2 if withGradients else 0] == pytest.approx(f(params, input, target)[0], rel=1e-12)
    forward, backward = shown
    assert 'def generated(' in forward and 'torch_tanh' in forward and 'torch_t(' not in forward
    # the backward pass multiplies by the transposed weights and returns the gradients' table
    assert 'torch_t(' in backward and "{'W': [" in backward and "'B': [" in backward
    compile(forward, '<forward>', 'exec')
    compile(backward, '<backward>', 'exec')


# ------------------------------------------------------------------ examples/autograd_mnist.py, the newcomer's
def _run_autograd_mnist(tmp_path, *options):
    """examples/autograd_mnist.py run as a user runs it (a redirected subprocess) for one epoch over 300 digits
    of a user's own IDX files (``--data-dir``, written here from the shipped slice); its held-out accuracy in %."""
    from tests.test_examples import run
    x_train, y_train, x_test, y_test = _mnist_data().load()
    for stem, array in (('train-images-idx3-ubyte', x_train[:300] * 255), ('train-labels-idx1-ubyte', y_train[:300]),
                        ('t10k-images-idx3-ubyte', x_test[:200] * 255), ('t10k-labels-idx1-ubyte', y_test[:200])):
        array = array.round().astype(np.uint8)
        header = bytes([0, 0, 0x08, array.ndim]) + b''.join(int(n).to_bytes(4, 'big') for n in array.shape)
        (tmp_path / stem).write_bytes(header + array.tobytes())
    out = run('autograd_mnist', '--data-dir', str(tmp_path), '--epochs', '1', '--hidden', '32', *options, cwd=tmp_path)
    assert '300 training and 200 held-out digits' in out, out
    return float(out.split('held-out accuracy ')[1].split('%')[0])


@pytest.mark.parametrize('options', [['--model', 'function', '--mode', 'optimized'],
                                     ['--model', 'nn', '--mode', 'direct', '--optimizer', 'sgd', '--lr', '0.1']])
def test_autograd_mnist_example_runs_and_learns(options, tmp_path):
    """The newcomer's example, briefly: one epoch must reach 50% held-out accuracy (chance: 10%)."""
    assert _run_autograd_mnist(tmp_path, *options) > 50


@pytest.mark.gpu
@pytest.mark.parametrize('model', ['function', 'nn'])
def test_autograd_mnist_example_on_the_gpu(model, tmp_path):
    """The example with ``--cuda`` (parameters cast to CudaTensors, optimized mode)."""
    assert _run_autograd_mnist(tmp_path, '--cuda', '--model', model) > 50


def test_autograd_mnist_example_help_and_imports():
    """As tests/test_examples.py checks the other examples: every valued option shows its default, no sys.path
    tricks."""
    from tests.test_examples import EXAMPLES as examples, test_help_shows_every_default
    test_help_shows_every_default('autograd_mnist', tmp_path=examples)
    with open(os.path.join(examples, 'autograd_mnist.py'), encoding='utf-8') as f:
        assert 'sys.path' not in f.read()
