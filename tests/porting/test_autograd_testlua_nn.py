"""torch-autograd's test/test.lua, the nn side: AutoModule, AutoModuleLoaded, NNWrapperTableInput, GradCheck_MLP,
NNFunc_*, Models_*, Modules_*, Optim, OptimNN, NNFunc_WrapWithoutParams, FunctionalizeCriterionModule, ported
literally: one test per Lua function, each naming its lines, run once optimized and once direct as the Lua runs
them (the ``autograd_mode`` fixture, with the Lua's direct-mode skip list).

The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is ``.``, indices and dimensions are 0-based,
Lua tables are dicts (string keys) and lists (``params[1].W`` is ``params[0]['W']``), ``A * B`` of matrices is
``A @ B`` (or ``lg.mm``), ``torch.size``/``torch.nDimension`` are autograd.support's (legonn's namespace has
no such functions), a Lua function's several returns are a tuple, ``tester:assert(c)`` is ``assert c``.
test.lua runs in Torch7's default type, DoubleTensor (the ``double_default`` fixture), under
``autograd.protected(true)`` (the shared set-up, tests/porting/autograd_testlua.py).
"""
import math
import os

import pytest

import legonn as lg
from legonn import autograd, nn
from legonn.serialization import FormatError
from legonn.autograd.support import nDimension, size
from tests.porting.autograd_testlua import gradcheck, tester

pytestmark = pytest.mark.usefixtures('double_default', 'autograd_mode')

# test/data/*.th.* of torch-autograd's repository (Torch7 files: an nn model and criterion, and the AutoModule
# model and criterion the AutoModule test trains, with their functions compiled into them)
DATA = os.path.join(os.path.dirname(__file__), 'data', 'autograd')


def _auto_functions():
    """test.lua lines 15-27: the functions AutoModule and AutoModuleLoaded give their AutoModules."""
    def linear(input, weight, bias):
        y = weight @ input + bias
        return y

    def linearReLU(input, weight, bias):
        y = weight @ input + bias
        output = lg.mul(lg.abs(y) + y, 0.5)
        return output

    def mse(input, target):
        buffer = input - target
        return lg.sum(lg.cmul(buffer, buffer)) / (size(input, 0) * size(input, 1) if nDimension(input) == 2
                                                  else size(input, 0))
    return linear, linearReLU, mse


def _train_and_compare(model, autoModel, mseCriterion, autoMseCriterion, inputSize, n):
    """test.lua lines 47-84 (and 96-129): n steps of plain SGD on both models, then their weights must agree."""
    lr = 0.001
    autoParams, autoGradParams = autoModel.parameters()
    params, gradParams = model.parameters()
    tester.asserteq(len(params) == len(autoParams) and len(autoParams) == len(autoGradParams) and
                    len(autoGradParams) == len(gradParams), True, 'Wrong number of parameters/gradients parameters')

    for i in range(n):
        model.zeroGradParameters()
        autoModel.zeroGradParameters()
        input = lg.Tensor(inputSize).uniform(-5, 5)
        target = input.clone().exp()
        # Forward
        output1 = model.forward(input)
        output2 = autoModel.forward(input)
        mseOut1 = mseCriterion.forward(output1, target)
        mseOut2 = autoMseCriterion.forward(output2, target)
        # Backward
        gradOutput1 = mseCriterion.backward(output1, target)
        gradOutput2 = autoMseCriterion.backward(output2, target)
        gradInput1 = model.backward(input, gradOutput1)
        gradInput2 = autoModel.backward(input, gradOutput2)
        model.accGradParameters(input, gradOutput1)
        autoModel.accGradParameters(input, gradOutput2)
        for j in range(len(autoParams)):
            autoParams[j].add(-lr, autoGradParams[j])
        for j in range(len(params)):
            params[j].add(-lr, gradParams[j])
    tester.asserteq((model.modules[0].weight - autoModel.modules[0].weight).abs().max() < 1e-6, True,
                    "gradient accumulation must be the same.")
    tester.asserteq((model.modules[0].bias - autoModel.modules[0].bias).abs().max() < 1e-6, True,
                    "gradient accumulation must be the same.")
    tester.asserteq((model.modules[2].weight - autoModel.modules[1].weight).abs().max() < 1e-6, True,
                    "gradient accumulation must be the same.")
    tester.asserteq((model.modules[2].bias - autoModel.modules[1].bias).abs().max() < 1e-6, True,
                    "gradient accumulation must be the same.")


def test_AutoModule():
    """test.lua lines 14-84."""
    linear, linearReLU, mse = _auto_functions()

    inputSize, outputSize = lg.random(10, 100), lg.random(100, 1000)
    inputSize = 24
    outputSize = 848

    model = nn.Sequential()
    linear1 = nn.Linear(inputSize, outputSize).reset()
    linear2 = nn.Linear(outputSize, inputSize).reset()
    model.add(linear1)
    model.add(nn.ReLU())
    model.add(linear2)

    mseCriterion = nn.MSECriterion()
    autoModel = nn.Sequential()
    autoLinear1ReLU = autograd.nn.AutoModule('AutoLinearReLU')(linearReLU, linear1.weight.clone(),
                                                                linear1.bias.clone())
    autoLinear2 = autograd.nn.AutoModule('AutoLinear')(linear, linear2.weight.clone(), linear2.bias.clone())
    autoModel.add(autoLinear1ReLU)
    autoModel.add(autoLinear2)
    autoMseCriterion = autograd.nn.AutoCriterion('AutoMSE')(mse)

    # Test
    _train_and_compare(model, autoModel, mseCriterion, autoMseCriterion, inputSize, n=1000)


def test_AutoModuleLoaded(tmp_path):
    """test.lua lines 86-129. The Lua loads test/data's model.th, criterion.th, autoModel.th and
    autoCriterion.th (for the Lua version running: JIT here). legonn's .t7 reader loads the first two; the
    AutoModule files hold the modules' Lua functions, compiled, which legonn never runs (docs/t7.md): they are
    refused with that reason (autoCriterion.th here; data/autograd/README.md: autoModel.th, refused alike,
    is not copied). The AutoModules are then what a legonn program saves: the same classes, built
    on the loaded model's weights (as the Lua made the saved ones, from clones of the nn model's), written
    with lg.save and read back with lg.load."""
    inputSize = 24
    outputSize = 848
    version = 'JIT'
    mseCriterion = lg.load(os.path.join(DATA, 'criterion.th.' + version))
    model = lg.load(os.path.join(DATA, 'model.th.' + version))
    with pytest.raises(FormatError, match='Lua function'):
        lg.load(os.path.join(DATA, 'autoCriterion.th.' + version))

    linear, linearReLU, mse = _auto_functions()
    saved = nn.Sequential()
    saved.add(autograd.nn.AutoModule('AutoLinearReLU')(linearReLU, model.modules[0].weight.clone(),
                                                        model.modules[0].bias.clone()))
    saved.add(autograd.nn.AutoModule('AutoLinear')(linear, model.modules[2].weight.clone(),
                                                    model.modules[2].bias.clone()))
    lg.save(str(tmp_path / 'autoModel.lg'), saved)
    lg.save(str(tmp_path / 'autoCriterion.lg'), autograd.nn.AutoCriterion('AutoMSE')(mse))
    autoModel = lg.load(str(tmp_path / 'autoModel.lg'))
    autoMseCriterion = lg.load(str(tmp_path / 'autoCriterion.lg'))
    assert lg.typename(autoModel.modules[1]) == 'autograd.nn.module.AutoLinear'
    assert lg.typename(autoMseCriterion) == 'autograd.nn.criterion.AutoMSE'

    # Test (the Lua's 1000 steps take ~9 s here in the direct mode: 300)
    _train_and_compare(model, autoModel, mseCriterion, autoMseCriterion, inputSize, n=300)


def test_NNWrapperTableInput():
    """test.lua lines 131-142."""
    A = lg.eye(10)
    B = lg.eye(10).mul(3)
    mmFn = autograd.nn.MM()

    def fn(inputs):
        return lg.sum(mmFn([inputs['A'], inputs['B']]))

    assert gradcheck(fn, {'A': A, 'B': B}), "Incorrect gradient"


def test_GradCheck_MLP():
    """test.lua lines 808-858. The Lua's 1024 inputs give a finite-difference check over 51,200 weights of W1
    alone (~100 s here per mode): 64 inputs keep every layer and the check, with 3,200."""
    inputSize = 64
    classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]

    # Define our neural net
    def predict(params, input, target):
        h1 = lg.tanh(input @ params['W'][0] + params['B'][0])
        h2 = lg.tanh(h1 @ params['W'][1] + params['B'][1])
        h3 = h2 @ params['W'][2] + params['B'][2]
        out = autograd.util.logSoftMax(h3)
        return out

    # Define our training loss
    def f(params, input, target):
        prediction = predict(params, input, target)
        loss = autograd.loss.logMultinomialLoss(prediction, target)
        return loss, prediction

    # Define our parameters
    # [-1/sqrt(#output), 1/sqrt(#output)]
    lg.manualSeed(0)
    W1 = lg.Tensor(inputSize, 50).uniform(-1 / math.sqrt(50), 1 / math.sqrt(50))
    B1 = lg.Tensor(50).fill(0)
    W2 = lg.Tensor(50, 50).uniform(-1 / math.sqrt(50), 1 / math.sqrt(50))
    B2 = lg.Tensor(50).fill(0)
    W3 = lg.Tensor(50, len(classes)).uniform(-1 / math.sqrt(len(classes)), 1 / math.sqrt(len(classes)))
    B3 = lg.Tensor(len(classes)).fill(0)

    # Trainable parameters:
    params = {
        'W': [W1, W2, W3],
        'B': [B1, B2, B3],
    }

    input = lg.randn(1, inputSize)
    target = lg.zeros(1, 10)
    target[0][2] = 1

    p = {'W': params['W'], 'B': params['B'], 'input': input, 'target': target}

    def testme(params):
        return f({'W': params['W'], 'B': params['B']}, params['input'], params['target'])

    assert gradcheck(testme, p), "Incorrect Gradient"


def test_NNFunc_Basic():
    """test.lua lines 860-913."""
    # Tested params:
    inputSize = 100
    outputSize = 50
    x = lg.Tensor(inputSize).normal()

    # nn modules:
    linear1, linearParams = autograd.nn.Linear(inputSize, outputSize)
    params = {'linearParams': linearParams, 'x': x}

    # nn version:
    def f_nn(params):
        funcout = linear1(params['linearParams'], params['x'])
        return lg.sum(funcout)

    # autograd version:
    def f_autograd(params):
        return lg.sum(params['linearParams'][0] @ params['x'] + params['linearParams'][1])

    for _ in range(2):   # the Lua runs the block twice: a 2nd time, gradients should get recomputed
        # Get the NN predictions
        pred_nn = f_nn(params)
        g_nn = autograd(f_nn)
        grad_nn = g_nn(params)[0]

        # Get the autograd predictions
        pred_autograd = f_autograd(params)
        g_autograd = autograd(f_autograd)
        grad_autograd = g_autograd(params)[0]

        # Check
        tester.asserteq((grad_nn['linearParams'][0] - grad_autograd['linearParams'][0]).abs().max(), 0,
                        "Incorrect gradients")
        tester.asserteq((grad_nn['x'] - grad_autograd['x']).abs().max(), 0, "Incorrect gradients")

        # Run a 2nd time - gradients should get recomputed:
        params['linearParams'][0].normal()
        params['linearParams'][1].normal()
        params['x'].normal()


def test_NNFunc_MLP():
    """test.lua lines 915-946."""
    # More complex model:
    inputSize = 100
    hiddenSize = 50
    outputSize = 10

    # nn modules and their parameters:
    params = {}
    linear1, params['linear1'] = autograd.nn.Linear(inputSize, hiddenSize)
    acts1 = autograd.nn.Tanh()
    linear2, params['linear2'] = autograd.nn.Linear(hiddenSize, outputSize)
    acts2 = autograd.nn.Tanh()

    # input data
    params['x'] = lg.Tensor(inputSize).normal()

    # nn version:
    def mlp(params):
        h1 = acts1(linear1(params['linear1'], params['x']))
        h2 = acts2(linear2(params['linear2'], h1))
        o = lg.sum(h2)
        return o

    # Eval:
    pred = mlp(params)
    grads = autograd(mlp)(params)

    # Check grads:
    assert gradcheck(mlp, params), 'incorrect gradients'


def test_NNFunc_CNN():
    """test.lua lines 948-974. The Lua's 16 planes give 10,250 weights to the finite differences (~9 s here per
    mode): 4 planes keep the layers, with 2,570."""
    # Start params with input data:
    params = {'x': lg.Tensor(3, 8, 8).normal()}

    # nn modules:
    conv1, params['conv1'] = autograd.nn.SpatialConvolutionMM(3, 4, 3, 3, 1, 1, 1, 1)
    acts1 = autograd.nn.Tanh()
    flatten = autograd.nn.Reshape(4 * 8 * 8)
    linear2, params['linear2'] = autograd.nn.Linear(4 * 8 * 8, 10)
    acts2 = autograd.nn.Tanh()

    # nn version:
    def cnn(params):
        h1 = acts1(conv1(params['conv1'], params['x']))
        h2 = acts2(linear2(params['linear2'], flatten(h1)))
        o = lg.sum(h2)
        return o

    # Eval:
    pred = cnn(params)
    grads = autograd(cnn)(params)

    # Check grads:
    assert gradcheck(cnn, params), 'incorrect gradients'


def test_NNFunc_Float():
    """test.lua lines 976-1013."""
    # More complex model:
    inputSize = 100
    hiddenSize = 50
    outputSize = 10

    # Input data
    x = lg.FloatTensor(inputSize).normal()

    # nn modules:
    linear1, pLinear1 = autograd.nn.Linear(inputSize, hiddenSize)
    acts1 = autograd.nn.Tanh()
    linear2, pLinear2 = autograd.nn.Linear(hiddenSize, outputSize)
    acts2 = autograd.nn.Tanh()
    params = autograd.util.cast({
        'linear1': pLinear1,
        'linear2': pLinear2,
        'x': x}, "float")

    # nn version:
    def mlp(params):
        h1 = acts1(linear1(params['linear1'], params['x']))
        h2 = acts2(linear2(params['linear2'], h1))
        o = lg.sum(h2)
        return o

    # Eval:
    grads = autograd(mlp)(params)[0]
    pred = mlp(params)

    # Check grads:
    tester.asserteq(lg.typename(grads['linear1'][0]), 'torch.FloatTensor', 'incorrect type')
    tester.asserteq(lg.typename(grads['linear1'][1]), 'torch.FloatTensor', 'incorrect type')
    tester.asserteq(lg.typename(grads['linear2'][0]), 'torch.FloatTensor', 'incorrect type')
    tester.asserteq(lg.typename(grads['linear2'][1]), 'torch.FloatTensor', 'incorrect type')


def test_NNFunc_DynamicWrap():
    """test.lua lines 1015-1063."""
    # Define regular nn model:
    model = nn.Sequential()
    model.add(nn.SpatialConvolutionMM(3, 16, 3, 3, 1, 1, 1, 1))
    model.add(nn.Tanh())
    model.add(nn.Reshape(16 * 8 * 8))
    model.add(nn.Linear(16 * 8 * 8, 10))
    model.add(nn.Tanh())

    # Functionalize!
    modelf, params = autograd.functionalize(model)

    # Loss
    # local loss = autograd.nn.MSECriterion()
    loss = autograd.functionalize(nn.MSECriterion())

    # Input
    x = lg.Tensor(3, 8, 8).normal()
    y = lg.Tensor(10).normal()

    # Force to double (util.cast of a Lua array gives an array: a list here, to which the Lua then adds a key;
    # a list cannot hold ``x``, so the parameters become a dict of the positions 0..n-1 and 'x')
    params = dict(enumerate(autograd.util.cast(params, "double")))

    # nn version (the Lua hands modelf the whole table, whose array part nnwrapper reads with ipairs: here the
    # list of the positions' parameters)
    def cnn(params, y):
        h2 = modelf([params[i] for i in range(len(params) - 1)], params['x'])
        return loss(h2, y)

    # Eval:
    params['x'] = x
    pred = cnn(params, y)
    grads = autograd(cnn)(params, y)[0]

    # Clone model to compare to built-in nn grad eval:
    model2 = model.clone()
    model2.zeroGradParameters()
    yhat = model2.forward(x)
    gx = model2.backward(x, nn.MSECriterion().backward(yhat, y))
    _, grads2 = model.parameters()

    # Check errs:
    for i in range(len(grads) - 1):   # the Lua's ipairs: the positions, not 'x'
        err = (grads[i] - grads2[i]).abs().max()
        tester.asserteq(err, 0, 'incorrect grad wrapper')
    err = (gx - grads['x']).abs().max()
    tester.asserteq(err, 0, 'incorrect grad wrapper')


def test_Models_NeuralNetwork():
    """test.lua lines 1065-1097."""
    # Define model:
    f, params, _ = autograd.model.NeuralNetwork({
        'inputFeatures': 100,
        'hiddenFeatures': [50, 2],
        'classifier': True,
    })

    # Loss:
    def loss(params, input, target):
        pred = f(params, input)
        loss = autograd.loss.crossEntropy(pred, target)[0]
        return loss, pred

    params[0][0].normal(0, 0.01)
    params[1][0].normal(0, 0.01)

    i = lg.randn(100)
    t = lg.Tensor([1, 0])

    l, pred = loss(params, i, t)
    grads = autograd(loss)(params, i, t)[0]

    tester.asserteq(isinstance(l, float), True, 'loss should be a scalar')
    tester.asserteq(grads[0][0].dim(), 2, 'weights for layer 2 have incorrect dims')
    tester.asserteq(grads[0][1].dim(), 1, 'biases for layer 2 have incorrect dims')
    tester.asserteq(grads[1][0].dim(), 2, 'weights for layer 4 have incorrect dims')
    tester.asserteq(grads[1][1].dim(), 1, 'biases for layer 4 have incorrect dims')

    # Gradcheck
    assert gradcheck(loss, params, i, t), 'incorrect gradients'


def test_Models_SpatialNetwork():
    """test.lua lines 1099-1140. The Lua's 16 planes per layer take ~8 s here per mode: 8 planes, and the upper
    layers' 8 inputs to match."""
    # Define conv layers:
    f1, params1, _ = autograd.model.SpatialNetwork({
        'inputFeatures': 3,
        'hiddenFeatures': [8, 8],
        'poolings': [4, 2],
        'kernelSize': 3,
        'activations': 'Tanh',
    })

    # Define upper regular layers:
    f2, params2, _ = autograd.model.NeuralNetwork({
        'inputFeatures': 8,
        'hiddenFeatures': [32, 2],
        'classifier': True,
    })

    # Loss == full conv-net with least-squares loss:
    def loss(params, input, target):
        conv = f1(params[0], input)
        pred = f2(params[1], conv)
        loss = autograd.loss.leastSquares(pred, target)[0]
        return loss, pred

    params = [params1, params2]
    params[0][0][0].normal(0, 0.01)
    params[0][1][0].normal(0, 0.01)
    params[1][0][0].normal(0, 0.01)
    params[1][1][0].normal(0, 0.01)

    i = lg.randn(3, 8, 8)
    t = lg.randn(2)

    l, pred = loss(params, i, t)
    grads = autograd(loss)(params, i, t)[0]

    tester.asserteq(isinstance(l, float), True, 'loss should be a scalar')

    # Gradcheck:
    assert gradcheck(loss, params, i, t), 'incorrect gradients'


# The Models_Recurrent* tests' sequences: the Lua's 13 steps make the gradchecks of an LSTM and a GRU take ~20 s each
# here per mode; 4 steps run the same recurrences (every step past the first reads the one before)
SEQUENCE_STEPS = 4


def _recurrent_checks(f, params, i):
    """test.lua's body shared by the Models_Recurrent* tests: a summed output, its gradients, a gradcheck."""
    # Loss
    def loss(params, input):
        v = f(params, input)[0]
        return lg.sum(v)

    # Test on sequence data:
    o = loss(params, i)
    g = autograd(loss)(params, i)[0]

    # Checks
    tester.asserteq(isinstance(g, list), True, 'gradients could not be computed')

    # Gradcheck:
    assert gradcheck(loss, params, i), 'incorrect gradients'


def test_Models_RecurrentNetwork():
    """test.lua lines 1142-1170."""
    # Define RNN:
    f, params = autograd.model.RecurrentNetwork({
        'inputFeatures': 10,
        'hiddenFeatures': 10,
        'outputType': 'last',
    })

    # Params:
    params[0]['W'].normal(0, 0.01)
    params[0]['b'].normal(0, 0.01)

    # Test on sequence data (the Lua's 13 steps: 4 here, SEQUENCE_STEPS)
    i = lg.randn(SEQUENCE_STEPS, 10)
    _recurrent_checks(f, params, i)


def test_Models_RecurrentLSTMNetwork():
    """test.lua lines 1172-1221."""
    # Define RNN:
    f, params, _ = autograd.model.RecurrentLSTMNetwork({
        'inputFeatures': 10,
        'hiddenFeatures': 10,
        'outputType': 'last',
    })

    # Params:
    params[0]['W'].normal(0, 0.01)
    params[0]['b'].normal(0, 0.01)

    # Test on sequence data (the Lua's 13 steps: 4 here, SEQUENCE_STEPS)
    i = lg.randn(SEQUENCE_STEPS, 10)
    _recurrent_checks(f, params, i)

    # Define RNN with all states exposed:
    f, params, _ = autograd.model.RecurrentLSTMNetwork({
        'inputFeatures': 10,
        'hiddenFeatures': 10,
        'outputType': 'all',
    })
    _recurrent_checks(f, params, i)


def test_Models_RecurrentGRUNetwork():
    """test.lua lines 1223-1274."""
    # Define RNN:
    f, params = autograd.model.RecurrentGRUNetwork({
        'inputFeatures': 10,
        'hiddenFeatures': 10,
        'outputType': 'last',
    })

    # Params:
    params[0]['W'].normal(0, 0.01)
    params[0]['b'].normal(0, 0.01)
    params[0]['V'].normal(0, 0.01)
    params[0]['c'].normal(0, 0.01)

    # Test on sequence data (the Lua's 13 steps: 4 here, SEQUENCE_STEPS)
    i = lg.randn(SEQUENCE_STEPS, 10)
    _recurrent_checks(f, params, i)

    # Define RNN with all states exposed:
    f, params = autograd.model.RecurrentGRUNetwork({
        'inputFeatures': 10,
        'hiddenFeatures': 10,
        'outputType': 'all',
    })
    _recurrent_checks(f, params, i)


def test_Modules_LayerNormalization():
    """test.lua lines 1276-1311."""
    f, params = autograd.module.LayerNormalization({'nOutputs': 100})

    # Loss:
    def loss(params, input):
        normed = f(params, input)
        l = lg.sum(normed)
        return l, normed

    dloss = autograd(loss)

    params[0]['gain'].fill(1)
    params[0]['bias'].fill(0.1)

    i = lg.randn(100)   # test 1D input
    l, i_normed = loss(params, i)
    grads = dloss(params, i)[0]

    tester.asserteq(isinstance(l, float), True, 'loss should be a scalar')
    tester.asserteq(grads[0]['gain'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(grads[0]['bias'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(i_normed.dim(), i.dim(), 'normed input has incorrect dim')

    i = lg.randn(5, 100)   # batch x nOutputs
    l, i_normed = loss(params, i)
    grads = dloss(params, i)[0]

    tester.asserteq(isinstance(l, float), True, 'loss should be a scalar')
    tester.asserteq(grads[0]['gain'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(grads[0]['bias'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(i_normed.dim(), i.dim(), 'normed input has incorrect dim')

    # Gradcheck
    assert gradcheck(loss, params, i), 'incorrect gradients'


def test_Modules_SoftAttention():
    """test.lua lines 1313-1363."""
    f, params = autograd.module.SoftAttention({
        'hiddenFeatures': 50,
        'subjectFeatures': 100,
        'subjectChoices': 16,
    })

    # Loss:
    def loss(params, input, hidden):
        at, ft = f(params, input, hidden)
        l = lg.sum(at)
        return l, at, ft

    dloss = autograd(loss)

    params[0]['W_att_subject'].normal(0, 0.01)
    params[0]['W_att_h'].normal(0, 0.01)
    params[0]['b_att'].zero()

    x = lg.randn(100, 16)
    h = lg.randn(50)
    l, a, f_ = loss(params, x, h)
    grads = dloss(params, x, h)[0]

    tester.asserteq(isinstance(l, float), True, 'loss should be a scalar')
    tester.asserteq(grads[0]['W_att_subject'].dim(), 3, 'W_att_subject grad has incorrect dim')
    tester.asserteq(grads[0]['W_att_h'].dim(), 2, 'W_att_h grad has incorrect dim')
    tester.asserteq(grads[0]['b_att'].dim(), 2, 'b_att grad has incorrect dim')
    tester.asserteq(size(a, 0), size(x, 0), 'attention has incorrect dim')
    tester.asserteq(size(f_, 0), size(x, 1), 'focus has incorrect dim')

    # Gradcheck
    assert gradcheck(loss, params, x, h), 'incorrect gradients'

    x = lg.randn(10, 100, 16)
    h = lg.randn(10, 50)
    l, a, f_ = loss(params, x, h)
    grads = dloss(params, x, h)[0]
    tester.asserteq(isinstance(l, float), True, 'loss should be a scalar')
    tester.asserteq(grads[0]['W_att_subject'].dim(), 3, 'W_att_subject grad has incorrect dim')
    tester.asserteq(grads[0]['W_att_h'].dim(), 2, 'W_att_h grad has incorrect dim')
    tester.asserteq(grads[0]['b_att'].dim(), 2, 'b_att grad has incorrect dim')
    tester.asserteq(size(a, 1), size(x, 1), 'attention has incorrect dim')
    tester.asserteq(size(f_, 1), size(x, 2), 'focus has incorrect dim')
    tester.asserteq(size(a, 0), size(x, 0), 'attention has incorrect batch size')
    tester.asserteq(size(f_, 0), size(x, 0), 'focus has incorrect batch size')

    # Gradcheck
    assert gradcheck(loss, params, x, h), 'incorrect gradients'


def test_Modules_MaskedBatchNormalization():
    """test.lua lines 1365-1434."""
    f, params, state = autograd.module.MaskedBatchNormalization({'nOutputs': 100})
    threshold = 1e-5
    eval_state = {'momentum': state['momentum'], 'train': 0,
                  'running_mean': state['running_mean'],
                  'running_std': state['running_std']}

    # Loss:
    def loss(params, input, mask, state):
        normed = f(params, input, mask, state)
        l = lg.sum(normed)
        return l, normed

    dloss = autograd(loss)

    params[0]['gain'].fill(0.1)
    params[0]['bias'].fill(0.1)

    i = lg.randn(100)   # test 1D input
    mask = lg.bernoulli(i.new(i.size()))
    pre_mean = state['running_mean'].clone()
    pre_std = state['running_std'].clone()
    l, i_normed = loss(params, i, mask, state)
    grads = dloss(params, i, mask, state)[0]

    tester.asserteq(isinstance(l, float), True, 'loss should be a scalar')
    tester.asserteq(grads[0]['gain'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(grads[0]['bias'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(i_normed.dim(), i.dim(), 'normed input has incorrect dim')
    assert not pre_mean.equal(state['running_mean']), 'running mean did not change with train = 1'
    assert not pre_std.equal(state['running_std']), 'running std did not change with train = 1'

    # Gradcheck
    assert gradcheck(loss, params, i, mask, eval_state), 'incorrect gradients'

    i = lg.randn(5, 100)   # batch x nOutputs
    mask = lg.bernoulli(i.new(i.size()))
    pre_mean = eval_state['running_mean'].clone()
    pre_std = eval_state['running_std'].clone()
    l, i_normed = loss(params, i, mask, eval_state)
    grads = dloss(params, i, mask, eval_state)[0]

    tester.asserteq(isinstance(l, float), True, 'loss should be a scalar')
    tester.asserteq(grads[0]['gain'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(grads[0]['bias'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(i_normed.dim(), i.dim(), 'normed input has incorrect dim')
    assert pre_mean.equal(eval_state['running_mean']), 'running mean changed with train = 0'
    assert pre_std.equal(eval_state['running_std']), 'running std changed with train = 0'

    # Gradcheck
    assert gradcheck(loss, params, i, mask, eval_state), 'incorrect gradients'

    i = lg.randn(5, 10, 100)   # batch x time x nOutputs
    mask = lg.bernoulli(i.new(i.size()))
    pre_mean = state['running_mean'].clone()
    pre_std = state['running_std'].clone()
    l, i_normed = loss(params, i, mask, state)
    grads = dloss(params, i, mask, state)[0]

    tester.asserteq(isinstance(l, float), True, 'loss should be a scalar')
    tester.asserteq(grads[0]['gain'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(grads[0]['bias'].dim(), 2, 'gain has incorrect dim')
    tester.asserteq(i_normed.dim(), i.dim(), 'normed input has incorrect dim')
    assert not pre_mean.equal(state['running_mean']), 'running mean did not change with train = 1'
    assert not pre_std.equal(state['running_std']), 'running std did not change with train = 1'

    # Gradcheck
    assert gradcheck(loss, params, i, mask, eval_state), 'incorrect gradients'


def test_Optim():
    """test.lua lines 1499-1544. The Lua's 5,000 samples make 50,000 calls of df (~80 s here per mode): 250
    samples compare the same two loops."""
    def f(p, x, y):
        h1 = lg.tanh(x @ p['W'][0] + p['b'][0])
        return lg.sqrt(lg.sum(lg.pow(y - h1, 2)))

    df = autograd(f)

    nData = 250
    xs = lg.randn(nData, 10)
    ys = lg.Tensor(nData, 1)
    for i in range(nData):
        ys[i][0] = math.tanh(xs[i].sum())

    learningRate = 1e-3
    params = {
        'W': [lg.randn(10, 1)],
        'b': [lg.randn(1)],
    }
    params3 = {
        'W': [params['W'][0].clone()],
        'b': [params['b'][0].clone()],
    }

    for e in range(5):
        loss1 = 0
        for i in range(nData):
            grads, l = df(params, xs.narrow(0, i, 1), ys.narrow(0, i, 1))
            loss1 = loss1 + l / nData
            params['W'][0].add(-learningRate, grads['W'][0])
            params['b'][0].add(-learningRate, grads['b'][0])

    state = {'learningRate': learningRate}
    for e in range(5):
        optimfn, states = autograd.optim.sgd(df, state, params3)
        loss3 = 0
        for i in range(nData):
            grads, loss = optimfn(xs.narrow(0, i, 1), ys.narrow(0, i, 1))
            loss3 = loss3 + loss / nData
    assert abs(loss1 - loss3) < 1e-6, 'sgd wrapper should produce same loss'


def test_OptimNN():
    """test.lua lines 1546-1597."""
    lg.manualSeed(0)

    # Set up the localizer network
    locnet = nn.Sequential()
    locnet.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    locnet.add(nn.SpatialConvolution(1, 20, 5, 5))
    locnet.add(nn.ReLU(True))
    locnet.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    locnet.add(nn.SpatialConvolution(20, 20, 5, 5))
    locnet.add(nn.ReLU(True))
    locnet.add(nn.View(20 * 2 * 2))
    locnet.add(nn.Linear(20 * 2 * 2, 20))
    locnet.add(nn.ReLU(True))
    locnet.add(nn.Linear(20, 6))

    # Functionalize networks
    agLocnet, locParams = autograd.functionalize(locnet)

    # Set up parameters
    params = {
        'locParams': locParams,
    }

    # Define our loss function
    def f(inputs, bhwdImages, labels):
        warpPrediction = agLocnet(inputs['locParams'], bhwdImages)
        return lg.sum(warpPrediction)

    g = autograd(f, {'optimize': True})

    # FAILS FOR OTHER OPTIMIZERS AS WELL
    optimfn, states = autograd.optim.sgd(g, {'learningRate': 1e-2}, params)

    for i in range(3):
        # Get images in BHWD format, labels in one-hot format:
        data = lg.randn(256, 1, 32, 32)
        target = lg.zeros(256).random(0, 9)

        # Calculate gradients:
        grads, loss = optimfn(data, target)


def test_NNFunc_WrapWithoutParams():
    """test.lua lines 1599-1607."""
    # Tests that we can wrap NN modules that do not take parameters
    tanh = autograd.functionalize(nn.Tanh())
    a = lg.eye(3)
    tester.assertTensorEq(lg.tanh(a), autograd.nn.Tanh()(a), 1e-8)
    tester.assertTensorEq(lg.tanh(a), tanh(a), 1e-8)
    loss = autograd.functionalize(nn.MSECriterion())


def test_FunctionalizeCriterionModule():
    """test.lua lines 1609-1625. ClassNLLCriterion's labels are 0-based (DESIGN.md decision 1): the Lua's {1, 8}
    are 0 and 7."""
    # Tests the use of table-valued inputs in criterions
    input = [lg.rand(2, 10), lg.randn(2, 10)]
    target = [lg.IntTensor([0, 7]), lg.randn(2, 10)]
    nll = nn.ClassNLLCriterion()
    mse = nn.MSECriterion()
    pc = nn.ParallelCriterion().add(nll, 0.5).add(mse)
    output1 = pc.forward(input, target)
    pcf = autograd.functionalize(pc)
    output2 = pcf(input, target)
    tester.asserteq(output1, output2, 'loss not equal')

    def f(x, y):
        return pcf(x, y)

    assert gradcheck(f, input, target), 'incorrect gradients'
