"""torch/optim's doc/intro.md, ported by docs/porting.md: the Overview's interface, the Example's config
loop, and the "Training using optim" XOR walk-through (network, criterion, data set, flattened parameters,
50 epochs of SGD, prediction sample by sample and as a minibatch). The doc's printed predictions are "something
like" (an unseeded run): what it states is asserted (one value per sample, the minibatch giving the samples'
values; the loss falling), and the run is seeded. ``torch.CudaTensor({...})`` becomes ``lg.Tensor`` on the
CPU (docs/porting.md: name the CUDA type only where a GPU is used)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim

pytestmark = pytest.mark.usefixtures('double_default')


def test_optim_overview_interface():
    """Overview: ``x*, {f}, ... = optim.method(opfunc, x[, config][, state])``; for SGD ``#f == 1``, f the
    value before the update; with no state, config holds the state."""
    x = lg.Tensor([1.0, -2.0])

    def opfunc(x):
        return float(x.dot(x)), x * 2

    config = {'learningRate': 0.25}
    xstar, fs = optim.sgd(opfunc, x, config)
    assert xstar is x and len(fs) == 1 and fs[0] == 5.0
    np.testing.assert_allclose(x.numpy(), [0.5, -1.0])
    assert config['evalCounter'] == 1                      # the state went into config
    state = {}
    optim.sgd(opfunc, x, {'learningRate': 0.25}, state)
    assert state['evalCounter'] == 1


def test_optim_example_config_loop():
    """Example: one config table (learningRate 1e-3, momentum 0.5) passed to optim.sgd at every sample keeps
    the momentum buffer between calls."""
    config = {'learningRate': 1e-3, 'momentum': 0.5}
    x = lg.Tensor([1.0])
    training_samples = [2.0, 2.0, 2.0]
    for i, sample in enumerate(training_samples):
        def func(x, sample=sample):
            return float(sample * x[0]), lg.Tensor([sample])
        optim.sgd(func, x, config)
    # sgd.lua's buffer: d1 = g, then d = mom d + (1 - damp) g with damp defaulting to mom, so a constant
    # gradient keeps it at 2; a dampening of 0 accumulates instead (2, 3, 3.5)
    np.testing.assert_allclose(config['dfdx'].numpy(), [2.0])
    np.testing.assert_allclose(float(x[0]), 1 - 1e-3 * 6)
    config = {'learningRate': 1e-3, 'momentum': 0.5, 'dampening': 0}
    x = lg.Tensor([1.0])
    for sample in training_samples:
        optim.sgd(lambda x: (float(sample * x[0]), lg.Tensor([sample])), x, config)
    np.testing.assert_allclose(config['dfdx'].numpy(), [3.5])
    np.testing.assert_allclose(float(x[0]), 1 - 1e-3 * (2 + 3 + 3.5))


@pytest.fixture
def xor_training():
    """The walk-through's model, criterion and 128-sample minibatch, seeded."""
    lg.manualSeed(123)
    model = nn.Sequential()                            # make a multi-layer perceptron
    inputs, outputs, HUs = 2, 1, 20                    # parameters
    model.add(nn.Linear(inputs, HUs))
    model.add(nn.Tanh())
    model.add(nn.Linear(HUs, outputs))
    criterion = nn.MSECriterion()
    batchSize = 128
    batchInputs = lg.DoubleTensor(batchSize, inputs)
    batchLabels = lg.DoubleTensor(batchSize)
    for i in range(batchSize):
        input = lg.randn(2)                            # normally distributed example in 2d
        if input[0] * input[1] > 0:                    # calculate label for XOR function
            label = -1
        else:
            label = 1
        batchInputs[i].copy(input)
        batchLabels[i] = label
    return model, criterion, batchInputs, batchLabels


def test_optim_training_flatten_parameters(xor_training):
    """Flatten parameters: one 1-D tensor of all weights and biases (2*20 + 20 + 20*1 + 1 = 81), the layers'
    tensors now views onto it, and likewise the gradients."""
    model = xor_training[0]
    params, gradParams = model.getParameters()
    assert params.dim() == 1 and params.nElement() == 81 and gradParams.nElement() == 81
    params.fill(0.5)
    assert float(model.get(0).weight.min()) == 0.5 and float(model.get(2).bias[0]) == 0.5
    model.get(0).gradWeight.fill(3)
    assert float(gradParams[:40].min()) == 3


def test_optim_training_xor(xor_training):
    """Training and Test the network: 50 epochs of optim.sgd at learningRate 0.01 lower the loss; each
    prediction of a 2-vector is one value, and a 4 x 2 minibatch gives the four samples' values, in order."""
    model, criterion, batchInputs, batchLabels = xor_training
    params, gradParams = model.getParameters()
    optimState = {'learningRate': 0.01}
    losses = []
    for epoch in range(50):
        def feval(params):
            gradParams.zero()
            outputs = model.forward(batchInputs)
            loss = criterion.forward(outputs, batchLabels)
            dloss_doutputs = criterion.backward(outputs, batchLabels)
            model.backward(batchInputs, dloss_doutputs)
            return loss, gradParams
        losses.append(optim.sgd(feval, params, optimState)[1][0])
    assert losses[-1] < losses[0]
    x = lg.Tensor(2)
    single = []
    for a, b in [(0.5, 0.5), (0.5, -0.5), (-0.5, 0.5), (-0.5, -0.5)]:
        x[0] = a
        x[1] = b
        out = model.forward(x)
        assert out.size() == (1,)                      # "[torch.DoubleTensor of dimension 1]"
        single.append(float(out[0]))
    x = lg.Tensor([[0.5, 0.5], [0.5, -0.5], [-0.5, 0.5], [-0.5, -0.5]])
    batch = model.forward(x)
    assert batch.size() == (4, 1)
    np.testing.assert_allclose(batch.numpy().ravel(), single, rtol=1e-12)
