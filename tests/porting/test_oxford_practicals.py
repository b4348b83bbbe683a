"""The Oxford machine-learning practicals ported line by line.

oxford-cs-ml-2015/practical3: practical3.lua's logistic regression with optim (lines 19-228) on mnist.t7's
files as Torch7 holds them (written from the shipped 5k MNIST, padded to 32x32; its dataset-mnist.lua is
torch/demos' file, whose port tests/porting/test_demos_train_on_mnist.py this one imports) and
simple_example.lua (adagrad on a function of one variable); the gnuplot figures are left out.

oxford-cs-ml-2015/practical4: requ.lua's ``nn.ReQU`` (its TODOs completed as the writeup asks: z = x^2 for
x > 0, else 0), jacobiancheck.lua, gradcheck.lua (``checkgrad``'s TODO completed with a two-sided
difference), create_model.lua, iris_loader.lua (on a synthetic CSV of the same layout), train.lua and
main.lua's evaluation.

oxford-cs-ml-2015/practical6: the char-LSTM (LSTM.lua, Embedding.lua, data/CharLMMinibatchLoader.lua,
train.lua, sample.lua; model_utils.lua is karpathy's file, ported in tests/porting/test_lstm_char_cnn.py and
imported). oxford-cs-ml-2016/practical6 differs (PCA of MNIST, not an LSTM): p6_process_data.lua and
practical6.lua without the gnuplot figures.

Labels, classes and vocabulary codes are 0-based (mnist.t7's classes 1 .. 10 are shifted where the criterion
takes them); sizes are small; Torch7's default type (Double) is set."""
import math
import re
import sys

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn, optim
# practical3's dataset-mnist.lua is torch/demos' file, practical6's model_utils.lua the one lstm-char-cnn copied
from tests.porting.test_demos_train_on_mnist import DATA, mnist, write_mnist_t7
from tests.porting.test_lstm_char_cnn import model_utils

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs


def _np(t):
    return np.asarray(t.array, dtype=np.float64)


def _mnist_32x32(per_digit, offset=0):
    """``per_digit`` images of each digit (the file holds 500 of each, sorted by label), padded to 32x32 as
    torch7's mnist.t7 holds them, as a uint8 array and their labels."""
    d = np.load(DATA)
    rows = np.concatenate([np.arange(500 * c + offset, 500 * c + offset + per_digit) for c in range(10)])
    return np.pad(d['x'][rows], ((0, 0), (2, 2), (2, 2))), d['y'][rows]


# ================================================================ 2015 practical3

@pytest.fixture
def mnist_files(tmp_path, monkeypatch):
    """mnist.t7/train_32x32.t7 (400 digits) and test_32x32.t7 (200) as Torch7's files hold them, classes 1 .. 10,
    and dataset-mnist.lua's paths, relative to the directory the script runs in."""
    monkeypatch.chdir(tmp_path)
    write_mnist_t7(tmp_path)
    mnist.require()


def practical3(optimization, train_size=300, epochs=2):
    """practical3.lua as a function of its ``opt`` fields; returns the losses, the test predictions and
    labels, the model and the minibatch sizes the closure took."""
    lg.manualSeed(1)    # fix random seed so program runs the same every time

    opt = {'optimization': optimization, 'batch_size': 3, 'train_size': train_size, 'test_size': 0,
           'epochs': epochs}

    if opt['optimization'] == 'lbfgs':
        optimState = {'learningRate': 1e-1, 'maxIter': 2, 'nCorrection': 10}
        optimMethod = optim.lbfgs
    elif opt['optimization'] == 'sgd':
        optimState = {'learningRate': 1e-1, 'weightDecay': 0, 'momentum': 0, 'learningRateDecay': 1e-7}
        optimMethod = optim.sgd
    elif opt['optimization'] == 'adagrad':
        optimState = {'learningRate': 1e-1}
        optimMethod = optim.adagrad
    else:
        raise ValueError('Unknown optimizer')

    def load_dataset(train_or_test, count):
        if train_or_test == 'train':
            data = mnist.loadTrainSet(count, [32, 32])
        else:
            data = mnist.loadTestSet(count, [32, 32])

        # shuffle the dataset
        shuffled_indices = lg.randperm(data.data.size(0)).long()
        # creates a shuffled *copy*, with a new storage
        data.data = data.data.index(0, shuffled_indices).squeeze()
        data.labels = data.labels.index(0, shuffled_indices).squeeze()

        # vectorize each 2D data point into 1D
        data.data = data.data.reshape(data.data.size(0), 32 * 32)
        return data

    train = load_dataset('train', opt['train_size'])
    test = load_dataset('test', opt['test_size'])

    n_train_data = train.data.size(0)     # number of training data
    n_inputs = train.data.size(1)         # number of cols = number of dims of input
    n_outputs = train.labels.max()        # highest label = # of classes (the file's classes are 1 .. 10)

    lin_layer = nn.Linear(n_inputs, n_outputs)
    softmax = nn.LogSoftMax()
    model = nn.Sequential()
    model.add(lin_layer)
    model.add(softmax)

    criterion = nn.ClassNLLCriterion()

    parameters, gradParameters = model.getParameters()

    counter = 0
    batch_sizes = []

    def feval(x):
        nonlocal counter
        if x is not parameters:
            parameters.copy(x)

        # the Lua's start/end indices (1-based, the end included: batch_size + 1 rows)
        start_index = counter * opt['batch_size'] + 1
        end_index = min(n_train_data, (counter + 1) * opt['batch_size'] + 1)
        if end_index == n_train_data:
            counter = 0
        else:
            counter = counter + 1

        batch_inputs = train.data[start_index - 1:end_index, :]
        batch_targets = train.labels[start_index - 1:end_index] - 1     # classes 0 .. 9
        batch_sizes.append(batch_inputs.size(0))
        gradParameters.zero()

        batch_outputs = model.forward(batch_inputs)
        batch_loss = criterion.forward(batch_outputs, batch_targets)
        dloss_doutput = criterion.backward(batch_outputs, batch_targets)
        model.backward(batch_inputs, dloss_doutput)
        return batch_loss, gradParameters

    losses = []
    epochs = opt['epochs']
    iterations = epochs * math.ceil(n_train_data / opt['batch_size'])
    for i in range(1, iterations + 1):
        _, minibatch_loss, *_ = optimMethod(feval, parameters, optimState)
        if i % 10 == 0:
            print("minibatches processed: %6s, loss = %6.6f" % (i, minibatch_loss[0]))
        losses.append(minibatch_loss[0])

    logProbs = model.forward(test.data)
    classProbabilities = lg.exp(logProbs)
    _, classPredictions = lg.max(classProbabilities, 1)
    # classPredictions holds predicted classes from 0-9, the file's labels 1-10
    return losses, classPredictions, test.labels - 1, model, batch_sizes


@pytest.mark.parametrize('optimization', ['sgd', 'adagrad'])
def test_practical3_logistic_regression_learns(mnist_files, optimization):
    """The 'sgd' and 'adagrad' branches; the 'lbfgs' one (learning rate 0.1, two iterations a minibatch of 4)
    does not converge here, nor was it meant to (the handout asks the student to tune it)."""
    losses, predictions, labels, model, batch_sizes = practical3(optimization)
    # 1024 inputs to 10 classes
    assert model.getParameters()[0].size(0) == 1024 * 10 + 10
    # 300 images, 3 a batch: 100 minibatches an epoch, two epochs
    assert len(losses) == 200 and len(batch_sizes) == 200
    # the Lua's {start, start + batch_size} range holds batch_size + 1 rows; the last one stops at the data's end
    assert batch_sizes[:99] == [4] * 99 and batch_sizes[99] == 3
    first, last = np.mean(losses[:20]), np.mean(losses[-20:])
    assert last < 0.5 * first, (first, last)
    error = (predictions.view(-1).long() != labels.long()).double().mean()
    assert error < 0.35, error


def simple_example(start):
    """simple_example.lua from ``x = start`` (the Lua's 5; its note asks to try others): adagrad on
    f(x) = x^2/2 + x sin(x) until |f'(x)| < 0.005 or 50000 iterations. Returns x and the iteration count."""
    grad = lg.Tensor([0])

    def feval(x_vec):
        x = x_vec[0]
        f = 0.5 * x ** 2 + x * lg.sin(x)
        grad[0] = x + lg.sin(x) + x * lg.cos(x)
        return f, grad

    x = lg.Tensor([start])
    state = {'learningRate': 1e-2}
    iter = 0
    while True:
        optim.adagrad(feval, x, state)
        if grad.norm() < 0.005 or iter > 50000:
            break
        iter = iter + 1
    print("%.6f" % x[0])
    return x[0], iter


def test_simple_example_adagrad_reaches_a_stationary_point():
    """From 4 (from the Lua's 5 adagrad's shrinking steps need all 50000 iterations): the same iterates as
    adagrad's formula in plain Python, x -= lr g / (sqrt(sum g^2) + 1e-10), ending at a local minimum."""
    found, iters = simple_example(4)
    x, v, it = 4.0, 0.0, 0
    while True:
        g = x + math.sin(x) + x * math.cos(x)
        v += g * g
        x -= 1e-2 * g / (math.sqrt(v) + 1e-10)
        if abs(g) < 0.005 or it > 50000:
            break
        it += 1
    assert iters == it and abs(found - x) < 1e-12, (iters, it, found, x)
    assert iters < 50000
    # f'(x) = 0 and f''(x) = 1 + 2 cos(x) - x sin(x) > 0: a minimum
    assert abs(found + math.sin(found) + found * math.cos(found)) < 0.01
    assert 1 + 2 * math.cos(found) - found * math.sin(found) > 0


# ================================================================ 2015 practical4

class ReQU(nn.Module):
    """requ.lua's nn.ReQU with its TODOs done: z = x^2 where x > 0, else 0; dz/dx = 2x there."""

    def updateOutput(self, input):
        self.output.resizeAs(input).copy(input)
        self.output.cmul(input).cmul(lg.gt(input, 0).typeAs(input))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        self.gradInput.cmul(input).mul(2).cmul(lg.gt(input, 0).typeAs(input))
        return self.gradInput


def create_model(opt):
    """create_model.lua: linear -> sigmoid/requ -> linear -> logsoftmax, and a ClassNLLCriterion."""
    n_inputs = 4
    embedding_dim = 2
    n_classes = 3

    model = nn.Sequential()
    model.add(nn.Linear(n_inputs, embedding_dim))

    if opt['nonlinearity_type'] == 'requ':
        model.add(ReQU())
    elif opt['nonlinearity_type'] == 'sigmoid':
        model.add(nn.Sigmoid())
    else:
        raise ValueError('undefined nonlinearity_type ' + str(opt['nonlinearity_type']))

    model.add(nn.Linear(embedding_dim, n_classes))
    model.add(nn.LogSoftMax())

    criterion = nn.ClassNLLCriterion()
    return model, criterion


def jacobian_wrt_input(module, x, eps, two_sided=False):
    """jacobiancheck.lua; ``two_sided`` is the TODO's central estimate (z cloned: modules reuse their
    output buffer)."""
    z = module.forward(x).clone()
    jac = lg.DoubleTensor(z.size(0), x.size(0))

    # true Jacobian, row by row
    one_hot = lg.zeros(z.size())
    for i in range(z.size(0)):
        one_hot[i] = 1
        jac[i].copy(module.backward(x, one_hot))
        one_hot[i] = 0

    # finite-differences Jacobian, column by column
    jac_est = lg.DoubleTensor(z.size(0), x.size(0))
    for i in range(x.size(0)):
        if two_sided:
            x[i] = x[i] + eps
            z_up = module.forward(x).clone()
            x[i] = x[i] - 2 * eps
            z_down = module.forward(x)
            x[i] = x[i] + eps
            jac_est[:, i].copy(z_up).add(-1, z_down).div(2 * eps)
        else:
            x[i] = x[i] + eps
            z_offset = module.forward(x)
            x[i] = x[i] - eps
            jac_est[:, i].copy(z_offset).add(-1, z).div(eps)

    abs_diff = (jac - jac_est).abs()
    return jac, jac_est, lg.mean(abs_diff), lg.min(abs_diff), lg.max(abs_diff)


def checkgrad(f, g, x, eps=None):
    """gradcheck.lua's checkgrad with its TODO done: a two-sided estimate of each df/dx_i."""
    grad = g(x).clone()

    eps = eps if eps is not None else 1e-7
    grad_est = lg.DoubleTensor(grad.size())
    for i in range(grad.size(0)):
        x[i] = x[i] + eps
        f_up = f(x)
        x[i] = x[i] - 2 * eps
        f_down = f(x)
        x[i] = x[i] + eps
        grad_est[i] = (f_up - f_down) / (2 * eps)

    # (symmetric) relative error of gradient
    diff = lg.norm(grad - grad_est) / lg.norm(grad + grad_est)
    return diff, grad, grad_est


def fakedata(n):
    data = {}
    data['inputs'] = lg.randn(n, 4)                         # random standard normal distribution for inputs
    data['targets'] = lg.rand(n).mul(3).floor()             # random integers from {0,1,2}
    return data


IRIS_NAMES = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]


class loader:
    """iris_loader.lua. ``torch.DiskFile(f, 'r')``, ``f:quiet()``, ``f:readString('*l')`` become a Python
    file's ``readline().rstrip('\\n')`` (docs/porting.md); '' still ends the loop at the end of the file."""
    lookup = IRIS_NAMES
    _classname_to_index = {v: k for k, v in enumerate(lookup)}
    path = 'iris.data.csv'

    @staticmethod
    def classname_to_index(name):
        return loader._classname_to_index[name]

    @staticmethod
    def load_data():
        data = {'inputs': [], 'targets': [], 'targets_by_name': []}
        with open(loader.path) as f:
            line = f.readline().rstrip('\n')
            while line != '':
                f1, f2, f3, f4, class_name = re.match(r'([^,]+),([^,]+),([^,]+),([^,]+),([^,]+)', line).groups()
                data['inputs'].append([float(f1), float(f2), float(f3), float(f4)])
                data['targets'].append(loader.classname_to_index(class_name))
                data['targets_by_name'].append(class_name)
                line = f.readline().rstrip('\n')

        data['inputs'] = lg.Tensor(data['inputs'])
        data['targets'] = lg.Tensor(data['targets'])

        # shuffle the dataset
        shuffled_indices = lg.randperm(data['inputs'].size(0)).long()
        data['inputs'] = data['inputs'].index(0, shuffled_indices).squeeze()
        data['targets'] = data['targets'].index(0, shuffled_indices).squeeze()
        return data


def train(opt, data):
    """train.lua: full-batch adagrad from weights uniform in +-0.01 (ReQU's biases offset by 0.5)."""
    model, criterion = create_model(opt)
    params, grads = model.getParameters()

    # (re-)initialize weights
    params.uniform(-0.01, 0.01)
    if opt['nonlinearity_type'] == 'requ':
        # offset the biases so that the ReQU starts at x > 0, where dz/dx is nonzero
        for lin in model.findModules('nn.Linear')[0]:
            lin.bias.add(0.5)

    def feval(x):
        if x is not params:
            params.copy(x)
        grads.zero()

        outputs = model.forward(data['inputs'])
        loss = criterion.forward(outputs, data['targets'])
        dloss_doutput = criterion.backward(outputs, data['targets'])
        model.backward(data['inputs'], dloss_doutput)
        return loss, grads

    losses = []
    optim_state = {'learningRate': 1e-1}
    for i in range(1, opt['training_iterations'] + 1):
        _, loss = optim.adagrad(feval, params, optim_state)
        losses.append(loss[0])
        if i % opt['print_every'] == 0:
            print("iteration %4d, loss = %6.6f" % (i, loss[0]))
    return model, losses


@pytest.fixture
def iris_csv(tmp_path, monkeypatch):
    """iris.data.csv's layout (four measurements, the class name) for 3 x 20 synthetic flowers."""
    rng = np.random.RandomState(0)
    centres = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]])
    lines = [','.join('%.1f' % v for v in centres[c] + 0.25 * rng.randn(4)) + ',' + IRIS_NAMES[c]
             for c in range(3) for _ in range(20)]
    (tmp_path / 'iris.data.csv').write_text('\n'.join(lines) + '\n')
    monkeypatch.chdir(tmp_path)


def test_requ_matches_numpy_and_its_jacobian_checks():
    x = lg.randn(10)
    xn = _np(x)
    np.testing.assert_allclose(_np(ReQU().forward(x)), np.where(xn > 0, xn ** 2, 0), rtol=1e-15)
    # jacobiancheck.lua: the one-sided estimate is off by about eps; the two-sided one by far less
    jac, jac_est, mean, mn, mx = jacobian_wrt_input(ReQU(), x.clone(), 1e-6)
    np.testing.assert_allclose(_np(jac), np.diag(np.where(xn > 0, 2 * xn, 0)), rtol=1e-15)
    assert mx < 1e-5
    assert jacobian_wrt_input(ReQU(), x.clone(), 1e-6, two_sided=True)[4] < 1e-8
    from tests.checks import assert_jacobian
    assert_jacobian(ReQU(), lg.randn(3, 5))


def test_gradcheck_of_the_requ_model():
    """gradcheck.lua: checkgrad of the loss of the requ model on fakedata(5)."""
    opt = {'nonlinearity_type': 'requ'}
    lg.manualSeed(1)
    data = fakedata(5)
    assert set(_np(data['targets']).tolist()) <= {0, 1, 2}
    model, criterion = create_model(opt)
    parameters, gradParameters = model.getParameters()
    # 4 -> 2 and 2 -> 3 Linears
    assert parameters.size(0) == (4 * 2 + 2) + (2 * 3 + 3)
    parameters.add(0.3)     # away from the kink at 0, where one-sided slopes differ

    def f(x):
        if x is not parameters:
            parameters.copy(x)
        return criterion.forward(model.forward(data['inputs']), data['targets'])

    def g(x):
        if x is not parameters:
            parameters.copy(x)
        gradParameters.zero()
        outputs = model.forward(data['inputs'])
        criterion.forward(outputs, data['targets'])
        model.backward(data['inputs'], criterion.backward(outputs, data['targets']))
        return gradParameters

    diff, grad, grad_est = checkgrad(f, g, parameters)
    assert diff < 1e-6, diff
    assert grad.norm() > 0.01


@pytest.mark.parametrize('nonlinearity_type', ['sigmoid', 'requ'])
def test_practical4_main_trains_and_classifies(iris_csv, nonlinearity_type):
    """main.lua with both nonlinearities (its TODOs uncommented): the loss falls, the training set is mostly
    classified right, and the class-region slice (size 20 here, 60 in the Lua) holds probabilities."""
    lg.manualSeed(1)
    data = loader.load_data()
    assert data['inputs'].size() == (60, 4) and sorted(set(_np(data['targets']).tolist())) == [0, 1, 2]
    opt = {'nonlinearity_type': nonlinearity_type, 'training_iterations': 150, 'print_every': 25}
    model, losses = train(opt, data)
    assert len(losses) == 150 and losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])

    log_probs = model.forward(data['inputs'])
    _, predictions = lg.max(log_probs, 1)
    # an n x 1 against an n-vector: element by element, as TH's eq of equal element counts
    correct = lg.mean(lg.eq(predictions.long(), data['targets'].long()).double())
    assert correct > 0.85, correct

    f1 = 3      # feature on first axis (the Lua's 4)
    f2 = 2      # feature on second axis
    size = 20   # resolution
    f1grid = lg.linspace(data['inputs'][:, f1].min(), data['inputs'][:, f1].max(), size)
    f2grid = lg.linspace(data['inputs'][:, f2].min(), data['inputs'][:, f2].max(), size)
    result = lg.Tensor(size, size)
    input = data['inputs'][0].clone()
    for i in range(size):
        input[f1] = f1grid[i]
        for j in range(size):
            input[f2] = f2grid[j]
            result[i, j] = math.exp(model.forward(input)[0])
    assert 0 <= result.min() and result.max() <= 1
    # setosa (class 0) has the small petals: its probability is highest in the grid's low corner
    assert result[0][0] > result[size - 1][size - 1]


# ================================================================ 2015 practical6: the char-LSTM

class LSTM:
    """LSTM.lua."""

    @staticmethod
    def lstm(opt):
        """One time step of one LSTM: {x, prev_c, prev_h} -> {next_c, next_h}."""
        x = nn.Identity()()
        prev_c = nn.Identity()()
        prev_h = nn.Identity()()

        def new_input_sum():
            # transforms input
            i2h = nn.Linear(opt['rnn_size'], opt['rnn_size'])(x)
            # transforms previous timestep's output
            h2h = nn.Linear(opt['rnn_size'], opt['rnn_size'])(prev_h)
            return nn.CAddTable()([i2h, h2h])

        in_gate = nn.Sigmoid()(new_input_sum())
        forget_gate = nn.Sigmoid()(new_input_sum())
        out_gate = nn.Sigmoid()(new_input_sum())
        in_transform = nn.Tanh()(new_input_sum())

        next_c = nn.CAddTable()([
            nn.CMulTable()([forget_gate, prev_c]),
            nn.CMulTable()([in_gate, in_transform]),
        ])
        next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])

        return nn.gModule([x, prev_c, prev_h], [next_c, next_h])


class Embedding(nn.Module):
    """Embedding.lua (``torch.class('Embedding', 'nn.Module')``, a global class): rows of ``weight`` picked by
    a vector of indices; no gradient reaches the indices."""
    lua_package = None

    def __init__(self, inputSize, outputSize):
        super().__init__()
        self.outputSize = outputSize
        self.weight = lg.Tensor(inputSize, outputSize)
        self.gradWeight = lg.Tensor(inputSize, outputSize)

    def updateOutput(self, input):
        self.output.resize(input.size(0), self.outputSize)
        for i in range(input.size(0)):
            self.output[i].copy(self.weight[input[i]])
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is not None:
            self.gradInput.resize(input.size())
            return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale if scale is not None else 1
        if scale == 0:
            self.gradWeight.zero()
        for i in range(input.size(0)):
            word = input[i]
            self.gradWeight[word].add(gradOutput[i])


# we do not need to accumulate parameters when sharing
Embedding.sharedAccUpdateGradParameters = Embedding.accUpdateGradParameters
lg.register(Embedding, 'Embedding')


class CharLMMinibatchLoader:
    """data/CharLMMinibatchLoader.lua: the text as one tensor of character codes cut into batch_size rows and
    split into seq_length columns; y is x shifted by one character. Codes are 0-based."""

    @staticmethod
    def create(tensor_file, vocab_file, batch_size, seq_length):
        self = CharLMMinibatchLoader()

        # construct a tensor with all the data
        data = lg.load(tensor_file)
        self.vocab_mapping = lg.load(vocab_file)

        # cut off the end so that it divides evenly
        len = data.size(0)
        if len % (batch_size * seq_length) != 0:
            data = data.sub(0, batch_size * seq_length * math.floor(len / (batch_size * seq_length)) - 1)

        # count vocab
        self.vocab_size = 0
        for _ in self.vocab_mapping:
            self.vocab_size = self.vocab_size + 1

        self.batch_size = batch_size
        self.seq_length = seq_length

        ydata = data.clone()
        ydata.sub(0, -2).copy(data.sub(1, -1))
        ydata[-1] = data[0]
        self.x_batches = data.view(batch_size, -1).split(seq_length, 1)   # #rows = #batches
        self.nbatches = len_(self.x_batches)
        self.y_batches = ydata.view(batch_size, -1).split(seq_length, 1)
        assert len_(self.x_batches) == len_(self.y_batches)

        self.current_batch = -1
        self.evaluated_batches = 0    # number of times next_batch() called
        return self

    @staticmethod
    def text_to_tensor(in_textfile, out_vocabfile, out_tensorfile):
        """The vocabulary (sorted characters, numbered from 0) and the text as a ByteTensor of their codes.
        ``torch.DiskFile(f):readString('*a')`` is a Python file's ``read()``."""
        with open(in_textfile) as f:
            rawdata = f.read()     # the whole file at once

        # record all of them into a set
        unordered = {}
        for char in rawdata:
            if char not in unordered:
                unordered[char] = True

        # sort them
        ordered = []
        for char in unordered:
            ordered.append(char)
        ordered.sort()     # now order maps int->char

        # invert `ordered` to create the char->int mapping
        vocab_mapping = {}
        for i, char in enumerate(ordered):
            vocab_mapping[char] = i

        # construct a tensor with all the data
        data = lg.ByteTensor(len(rawdata))
        for i in range(len(rawdata)):
            data[i] = vocab_mapping[rawdata[i]]

        lg.save(out_vocabfile, vocab_mapping)
        lg.save(out_tensorfile, data)

    def next_batch(self):
        self.current_batch = (self.current_batch + 1) % self.nbatches
        self.evaluated_batches = self.evaluated_batches + 1
        return self.x_batches[self.current_batch], self.y_batches[self.current_batch]


len_ = len


def char_lstm_train(arg):
    """train.lua; returns the losses, the options, the protos and the flat parameters."""
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Training a simple character-level LSTM language model')
    cmd.text()
    cmd.text('Options')
    cmd.option('-vocabfile', 'vocabfile.t7', 'filename of the string->int table')
    cmd.option('-datafile', 'datafile.t7', 'filename of the serialized torch ByteTensor to load')
    cmd.option('-batch_size', 16, 'number of sequences to train on in parallel')
    cmd.option('-seq_length', 16, 'number of timesteps to unroll to')
    cmd.option('-rnn_size', 256, 'size of LSTM internal state')
    cmd.option('-max_epochs', 1, 'number of full passes through the training data')
    cmd.option('-savefile', 'model_autosave',
               'filename to autosave the model (protos) to, appended with the,param,string.t7')
    cmd.option('-save_every', 100, 'save every 100 steps, overwriting the existing file')
    cmd.option('-print_every', 10, 'how many steps/minibatches between printing out the loss')
    cmd.option('-seed', 123, 'torch manual random number generator seed')
    cmd.text()

    # parse input params
    opt = cmd.parse(arg)

    lg.manualSeed(opt['seed'])
    opt['savefile'] = cmd.string(opt['savefile'], opt, {'save_every': True, 'print_every': True, 'savefile': True,
                                                        'vocabfile': True, 'datafile': True}) + '.t7'

    loader = CharLMMinibatchLoader.create(opt['datafile'], opt['vocabfile'], opt['batch_size'], opt['seq_length'])
    vocab_size = loader.vocab_size    # the number of distinct characters

    # define model prototypes for ONE timestep, then clone them
    protos = {}
    protos['embed'] = Embedding(vocab_size, opt['rnn_size'])
    # lstm timestep's input: {x, prev_c, prev_h}, output: {next_c, next_h}
    protos['lstm'] = LSTM.lstm(opt)
    protos['softmax'] = nn.Sequential().add(nn.Linear(opt['rnn_size'], vocab_size)).add(nn.LogSoftMax())
    protos['criterion'] = nn.ClassNLLCriterion()

    # put the above things into one flattened parameters tensor
    params, grad_params = model_utils.combine_all_parameters(protos['embed'], protos['lstm'], protos['softmax'])
    params.uniform(-0.08, 0.08)

    # make a bunch of clones, AFTER flattening, as that reallocates memory (the Lua's third argument,
    # ``not proto.parameters``, is one clone_many_times never names: dropped)
    clones = {}
    for name, proto in protos.items():
        clones[name] = model_utils.clone_many_times(proto, opt['seq_length'])

    # LSTM initial state (zero initially, but final state gets sent to initial state when we do BPTT)
    initstate_c = lg.zeros(opt['batch_size'], opt['rnn_size'])
    initstate_h = initstate_c.clone()

    # LSTM final state's backward message (dloss/dfinalstate) is 0, since it doesn't influence predictions
    dfinalstate_c = initstate_c.clone()

    def feval(params_):
        if params_ is not params:
            params.copy(params_)
        grad_params.zero()

        # get minibatch
        x, y = loader.next_batch()

        # forward pass
        embeddings = {}                 # input embeddings
        lstm_c = {0: initstate_c}       # internal cell states of LSTM
        lstm_h = {0: initstate_h}       # output values of LSTM
        predictions = {}                # softmax outputs
        loss = 0

        # t keeps the Lua's 1 .. seq_length (the states' keys, step 0 the initial state); columns and clones
        # are 0-based
        for t in range(1, opt['seq_length'] + 1):
            embeddings[t] = clones['embed'][t - 1].forward(x[:, t - 1])

            lstm_c[t], lstm_h[t] = clones['lstm'][t - 1].forward([embeddings[t], lstm_c[t - 1], lstm_h[t - 1]])

            predictions[t] = clones['softmax'][t - 1].forward(lstm_h[t])
            loss = loss + clones['criterion'][t - 1].forward(predictions[t], y[:, t - 1])

        # backward pass: complete reverse order of the above
        dembeddings = {}                                  # d loss / d input embeddings
        dlstm_c = {opt['seq_length']: dfinalstate_c}      # internal cell states of LSTM
        dlstm_h = {}                                      # output values of LSTM
        for t in range(opt['seq_length'], 0, -1):
            # backprop through loss, and softmax/linear
            doutput_t = clones['criterion'][t - 1].backward(predictions[t], y[:, t - 1])
            # h_T feeds the softmax only; h_t also the next step: the two gradients add up
            if t == opt['seq_length']:
                assert dlstm_h.get(t) is None
                dlstm_h[t] = clones['softmax'][t - 1].backward(lstm_h[t], doutput_t)
            else:
                dlstm_h[t].add(clones['softmax'][t - 1].backward(lstm_h[t], doutput_t))

            # backprop through LSTM timestep
            dembeddings[t], dlstm_c[t - 1], dlstm_h[t - 1] = clones['lstm'][t - 1].backward(
                [embeddings[t], lstm_c[t - 1], lstm_h[t - 1]],
                [dlstm_c[t], dlstm_h[t]],
            )

            # backprop through embeddings
            clones['embed'][t - 1].backward(x[:, t - 1], dembeddings[t])

        # transfer final state to initial state (BPTT): #lstm_c counts from key 1, never the [0] entry
        initstate_c.copy(lstm_c[len(lstm_c) - 1])
        initstate_h.copy(lstm_h[len(lstm_h) - 1])

        # clip gradient element-wise
        grad_params.clamp(-5, 5)
        return loss, grad_params

    losses = []
    optim_state = {'learningRate': 1e-1}
    iterations = opt['max_epochs'] * loader.nbatches
    for i in range(1, iterations + 1):
        _, loss = optim.adagrad(feval, params, optim_state)
        losses.append(loss[0])

        if i % opt['save_every'] == 0:
            lg.save(opt['savefile'], protos)
        if i % opt['print_every'] == 0:
            print("iteration %4d, loss = %6.8f, loss/seq_len = %6.8f, gradnorm = %6.4e"
                  % (i, loss[0], loss[0] / opt['seq_length'], grad_params.norm()))
    return losses, opt, protos, clones, params, loader


def char_lstm_sample(arg):
    """sample.lua; returns the written text."""
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Test a simple character-level LSTM language model')
    cmd.text()
    cmd.text('Options')
    cmd.option('-vocabfile', 'vocabfile.t7', 'filename of the string->int table')
    cmd.option('-model', 'model_file.t7', 'contains just the protos table, and nothing else')
    cmd.option('-seed', 123, 'random number generator\'s seed')
    cmd.option('-sample', False, 'false to use max at each timestep, true to sample at each timestep')
    cmd.option('-primetext', "hello my name is ", 'used as a prompt to "seed" the state of the LSTM using a given '
               'sequence, before we sample. set to a space " " to disable')
    cmd.option('-length', 200, 'number of characters to sample')
    cmd.text()

    opt = cmd.parse(arg)

    lg.manualSeed(opt['seed'])

    vocab = lg.load(opt['vocabfile'])
    ivocab = {}
    for c, i in vocab.items():
        ivocab[i] = c

    # load model and recreate a few important numbers
    protos = lg.load(opt['model'])
    opt['rnn_size'] = protos['embed'].weight.size(1)

    # LSTM initial state, note that we're using minibatches OF SIZE ONE here
    prev_c = lg.zeros(1, opt['rnn_size'])
    prev_h = prev_c.clone()

    seed_text = opt['primetext']
    prev_char = None

    # do some seeded timesteps
    for c in seed_text:
        prev_char = lg.Tensor([vocab[c]])

        embedding = protos['embed'].forward(prev_char)
        next_c, next_h = protos['lstm'].forward([embedding, prev_c, prev_h])

        prev_c.copy(next_c)
        prev_h.copy(next_h)

    # now start sampling/argmaxing
    written = []
    for i in range(opt['length']):
        # embedding and LSTM
        embedding = protos['embed'].forward(prev_char)
        next_c, next_h = protos['lstm'].forward([embedding, prev_c, prev_h])
        prev_c.copy(next_c)
        prev_h.copy(next_h)

        # softmax from previous timestep
        log_probs = protos['softmax'].forward(next_h)

        if not opt['sample']:
            # use argmax
            _, prev_char_ = log_probs.max(1)
            prev_char = prev_char_.resize(1)
        else:
            # use sampling
            probs = lg.exp(log_probs).squeeze()
            prev_char = lg.multinomial(probs, 1).resize(1)

        sys.stdout.write(ivocab[int(prev_char[0])])
        written.append(ivocab[int(prev_char[0])])
    sys.stdout.write('\n')
    sys.stdout.flush()
    return ''.join(written)


TEXT = 'hello my name is ada. ' * 24


@pytest.fixture
def char_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'input.txt').write_text(TEXT)
    CharLMMinibatchLoader.text_to_tensor('input.txt', 'vocabfile.t7', 'datafile.t7')


def test_char_lm_loader_cuts_shifts_and_splits(char_data):
    vocab = lg.load('vocabfile.t7')
    assert sorted(vocab.values()) == list(range(len(set(TEXT)))) and vocab[' '] == 0
    loader = CharLMMinibatchLoader.create('datafile.t7', 'vocabfile.t7', 4, 8)
    # 528 characters cut to 512 (16 batches of 4 x 8), so each of the 4 rows holds 128
    assert loader.nbatches == 16 and loader.vocab_size == len(set(TEXT))
    x, y = loader.next_batch()
    assert x.size() == (4, 8) and loader.current_batch == 0
    codes = [vocab[c] for c in TEXT]
    assert _np(x[0]).tolist() == codes[:8] and _np(y[0]).tolist() == codes[1:9]
    assert _np(x[1]).tolist() == codes[128:136]
    for _ in range(15):
        x, y = loader.next_batch()
    # the last target wraps round to the first character
    assert int(y[3][7]) == codes[0] and loader.evaluated_batches == 16
    loader.next_batch()
    assert loader.current_batch == 0


def test_combine_all_parameters_keeps_values_packs_shared_once_and_drops_holes():
    """model_utils.lua's flatten: a clone sharing weight and bias is packed once; a weight viewing part of a
    larger storage leaves holes, which the second pass squeezes out; every value is kept."""
    a = nn.Linear(3, 2)
    b = a.clone('weight', 'bias', 'gradWeight', 'gradBias')
    c = nn.Linear(2, 2)
    big = lg.randn(5, 2)
    c.weight = big[1:3]             # rows 0, 3 and 4 of the storage are holes
    before = [_np(t).copy() for t in (a.weight, a.bias, c.weight, c.bias)]
    params, grads = model_utils.combine_all_parameters(a, b, c)
    assert params.size(0) == grads.size(0) == (3 * 2 + 2) + (2 * 2 + 2)
    for t, value in zip((a.weight, a.bias, c.weight, c.bias), before):
        np.testing.assert_array_equal(_np(t), value)
        assert t.storage() is params.storage()
    assert b.weight.storage() is params.storage()
    params.fill(2)
    assert a.weight.sum() == 12 and b.bias.sum() == 4 and c.weight.sum() == 8


def test_char_lstm_trains_shares_parameters_and_samples_reproducibly(char_data, capsys):
    arg = ['-batch_size', '4', '-seq_length', '8', '-rnn_size', '12', '-max_epochs', '3', '-save_every', '48',
           '-print_every', '16']
    losses, opt, protos, clones, params, loader = char_lstm_train(arg)
    V, H = loader.vocab_size, 12
    # Embedding V x H; LSTM.lua's 4 gates, each two H -> H Linears; the softmax's H -> V Linear
    assert params.size(0) == V * H + 4 * 2 * (H * H + H) + (H * V + V)
    # cmd:string names the options set away from their defaults, less the ignored ones
    assert opt['savefile'] == 'model_autosave,batch_size=4,max_epochs=3,rnn_size=12,seq_length=8.t7'
    # the clones (and the protos) see the one flat storage
    assert len(clones['lstm']) == 8 and len(clones['criterion']) == 8
    flat = params.storage()
    assert clones['embed'][5].weight.storage() is flat and protos['embed'].weight.storage() is flat
    assert clones['lstm'][7].parameters()[0][0].storage() is flat
    assert len(losses) == 48
    first, last = np.mean(losses[:4]), np.mean(losses[-4:])
    assert last < 0.5 * first, (first, last)
    assert 'iteration   48' in capsys.readouterr().out

    # sample.lua on the model train.lua saved (at iteration 48)
    sample_arg = ['-model', opt['savefile'], '-length', '30', '-primetext', 'hello my name ']
    greedy = char_lstm_sample(sample_arg)
    assert greedy == char_lstm_sample(sample_arg)
    # after 'hello my name ' the trained model goes on with the text it learnt
    assert len(greedy) == 30 and greedy.startswith('s ada. hello my name is ada.'), greedy
    # CmdLine's boolean option is a flag: '-sample' alone turns it on
    sampled = char_lstm_sample(sample_arg + ['-sample', '-seed', '7'])
    assert sampled == char_lstm_sample(sample_arg + ['-sample', '-seed', '7'])
    assert set(sampled) <= set(TEXT)
    assert capsys.readouterr().out.split('\n')[0] == greedy


# ================================================================ 2016 practical6: PCA

def p6_process_data():
    """p6_process_data.lua: each column standardised (a zero-variance column only centred), then the SVD."""
    data = lg.load('practical6_data.t7', 'ascii')

    means = data.mean(0).squeeze()
    stds = data.std(0).squeeze()
    for i in range(stds.size()[0]):
        data[:, i:i + 1].add(-means[i])
        if stds[i] > 0:
            data[:, i:i + 1].mul(1 / stds[i])

    lg.save_lua('p6_normalised_data.t7', data, 'ascii')

    svd_data = {}
    svd_data['U'], svd_data['S'], svd_data['V'] = lg.svd(data)
    lg.save_lua('svd_data.t7', svd_data, 'ascii')


def practical6_2016(components):
    """practical6.lua without its gnuplot figures: the projection on the first 3 PCs and the PCs as images."""
    data = lg.load('p6_normalised_data.t7', 'ascii')
    svd = lg.load('svd_data.t7', 'ascii')
    data3 = lg.mm(data, svd['V'][:, 0:3])

    for i in range(len(components)):
        idx = components[i]
        filename = 'PC%04d.png' % idx
        image.save(filename, (svd['V'][:, idx - 1:idx] / (svd['V'][:, idx - 1:idx].max())).reshape(1, 32, 32))
    return data, svd, data3


def test_pca_practical_2016(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, _ = _mnist_32x32(12)          # 120 images, 12 of each digit in order (the Lua's: 500 of each)
    raw = x.reshape(120, 1024).astype(np.float64)
    lg.save_lua('practical6_data.t7', lg.DoubleTensor(raw), 'ascii')
    p6_process_data()
    data, svd, data3 = practical6_2016([1, 2, 3, 25, 100])

    std = raw.std(0, ddof=1)        # torch's std divides by n - 1
    expected = (raw - raw.mean(0)) / np.where(std > 0, std, 1)
    np.testing.assert_allclose(_np(data), expected, rtol=1e-12, atol=1e-12)
    U, S, V = _np(svd['U']), _np(svd['S']), _np(svd['V'])
    assert U.shape == (120, 120) and S.shape == (120,) and V.shape == (1024, 120)
    np.testing.assert_allclose(U * S @ V.T, expected, atol=1e-9)
    np.testing.assert_allclose(S, np.linalg.svd(expected, compute_uv=False), rtol=1e-9, atol=1e-9)
    # the projection on the first three PCs is the data's first three principal scores, U_k S_k
    np.testing.assert_allclose(_np(data3), U[:, :3] * S[:3], atol=1e-9)
    # the writeup's 'Advanced' item: reconstructions from more PCs are closer
    errors = [np.linalg.norm(expected - expected @ V[:, :k] @ V[:, :k].T) for k in (1, 2, 4, 8, 16, 20)]
    assert all(a > b for a, b in zip(errors, errors[1:]))
    for idx in (1, 2, 3, 25, 100):
        assert image.load('PC%04d.png' % idx).size()[-2:] == (32, 32)
