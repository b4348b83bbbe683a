"""autograd.model, autograd.module, autograd.loss and autograd.optim (legonn/autograd/model/, module/, loss.py,
optim.py): references in NumPy, finite differences in float64, and the Lua's bugs fixed."""
import numpy as np
import pytest

import legonn as lg
from legonn import autograd, optim
from tests.autograd.test_core import numeric_gradient

pytestmark = pytest.mark.usefixtures('double')


@pytest.fixture
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')


def _check_gradients(loss, params, *args, keys):
    """autograd's gradients of ``loss(params, *args)`` for each ``params[key]`` against central differences."""
    grads = autograd(loss)(params, *args)[0]
    for key in keys:
        expected = numeric_gradient(lambda p: loss(p, *args), params, key)
        np.testing.assert_allclose(grads[key].numpy(), expected.numpy(), atol=1e-7, err_msg=key)


def test_soft_attention_with_layer_normalization():
    """The Lua's layerNormalization option always failed (it read the gain off LayerNormalization's function and
    called an undefined layer_norm)."""
    f, params = autograd.module.SoftAttention({'hiddenFeatures': 3, 'subjectFeatures': 4, 'subjectChoices': 5,
                                               'layerNormalization': True})
    p = params[0]
    assert sorted(p) == ['W_att_h', 'W_att_subject', 'focus_ln_bias', 'focus_ln_gain']
    p['W_att_subject'].normal(0, 1)
    p['W_att_h'].normal(0, 1)
    subject, h = lg.randn(2, 4, 5), lg.randn(2, 3)
    attention, focus = f(params, subject, h)
    logits = (np.einsum('f,bfc->bc', p['W_att_subject'].numpy()[0, 0], subject.numpy())
              + h.numpy() @ p['W_att_h'].numpy())
    normed = (logits - logits.mean(1, keepdims=True)) / np.sqrt(logits.var(1, keepdims=True) + 1e-5)
    expected = np.exp(normed) / np.exp(normed).sum(1, keepdims=True)
    np.testing.assert_allclose(focus.numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(attention.numpy(), np.einsum('bfc,bc->bf', subject.numpy(), expected), atol=1e-12)
    _check_gradients(lambda p, s, h: lg.sum(f(p, s, h)[0]), p, subject, h,
                     keys=('W_att_subject', 'W_att_h', 'focus_ln_gain', 'focus_ln_bias'))


def test_masked_batch_normalization_centres_on_the_running_mean():
    """The Lua subtracted the running standard deviation; its state then held traced values."""
    f, params, state = autograd.module.MaskedBatchNormalization({'nOutputs': 3, 'momentum': 0.3})
    params[0]['gain'].uniform(0.5, 1.5)
    params[0]['bias'].normal(0, 1)
    x = lg.randn(6, 3)
    mask = lg.DoubleTensor(6, 3).bernoulli(0.7)
    mask[0].fill(1)
    before_mean, before_std = state['running_mean'].numpy().copy(), state['running_std'].numpy().copy()
    grads, loss = autograd(lambda p, x, m, s: lg.sum(f(p, x, m, s)))(params, x, mask, state)

    m, xv, mk = 0.3, x.numpy(), mask.numpy()
    n = mk.sum()
    masked = xv * mk
    running_mean = m * (masked / n).sum(0) + (1 - m) * before_mean
    centred = (masked - running_mean) * mk
    running_std = m * np.sqrt((centred ** 2 / n).sum(0) + 1e-5) + (1 - m) * before_std
    out = centred / running_std * params[0]['gain'].numpy() + params[0]['bias'].numpy()
    assert loss == pytest.approx(out.sum(), abs=1e-10)
    np.testing.assert_allclose(state['running_mean'].numpy(), running_mean, atol=1e-12)
    np.testing.assert_allclose(state['running_std'].numpy(), running_std, atol=1e-12)
    assert type(state['running_mean']) is lg.DoubleTensor and type(state['running_std']) is lg.DoubleTensor
    evaluation = dict(state, train=0)
    _check_gradients(lambda p, x, m, s: lg.sum(lg.cmul(f(p, x, m, s), x)), params[0], x, mask, evaluation,
                     keys=('gain', 'bias'))


def test_fast_weights_network_gradients():
    f, params = autograd.model.RecurrentFWNetwork({'inputFeatures': 3, 'hiddenFeatures': 4, 'outputType': 'all'})
    params[0]['W'].normal(0, 0.5)
    params[0]['b'].normal(0, 0.5)
    x = lg.randn(2, 3, 3)
    out, state = f(params, x)
    assert out.size(0) == 2 and out.size(1) == 3 and out.size(2) == 4 and state['h'].size(1) == 4
    _check_gradients(lambda p, x: lg.sum(f([p], x)[0]), params[0], x, keys=('W', 'b'))


def test_lstm_with_batch_normalization():
    f, params, layers = autograd.model.RecurrentLSTMNetwork({'inputFeatures': 3, 'hiddenFeatures': 2,
                                                             'batchNormalization': True,
                                                             'maxBatchNormalizationLayers': 2})
    p = params[0]
    assert len(layers['lstm_bn']) == 2 and p['lstm_bn_1'].min() == 0.1 and p['cell_bn_2'].max() == 0
    p['W'].normal(0, 0.5)
    x = lg.randn(4, 3, 3)   # 3 steps: the third uses the last pair of layers
    _check_gradients(lambda p, x: lg.sum(f([p], x, None, layers)[0]), p, x,
                     keys=('W', 'lstm_bn_1', 'lstm_bn_2', 'cell_bn_1', 'cell_bn_2'))


def test_alexnet_sizes_its_classifier_from_the_image():
    f, params, layers = autograd.model.AlexNet(3, 12, 12, {'hiddenFeatures': [4, 6], 'poolings': [2, 2]},
                                               {'hiddenFeatures': [5, 3]})
    assert params[2][0].size(1) == 6 * 3 * 3 and params[-1][0].size(0) == 3
    assert f(params, lg.randn(3, 12, 12)).size(0) == 3
    with pytest.raises(ValueError, match='per-layer kernel sizes are not supported'):
        autograd.model.AlexNet(3, 12, 12, {'kernelSizes': [3, 5]})
    with pytest.raises(ValueError, match='Input features on the fully-connected layers cannot be manually set'):
        autograd.model.AlexNet(3, 12, 12, None, {'inputFeatures': 7})


def test_spatial_network_with_an_even_kernel_pads_as_torch7():
    """SpatialNetwork.lua's default padding, math.ceil(kernelSize-1)/2, is 1.5 for a kernel of 4; Torch7's
    SpatialConvolutionMM hands it to THNN's C through LuaJIT's FFI as an int: 1. So a 4x4 kernel on a 6x6 image
    gives 5x5 maps, each sum(w * x) over the window of the image padded by one zero."""
    f, params, _ = autograd.model.SpatialNetwork({'inputFeatures': 1, 'hiddenFeatures': [1], 'kernelSize': 4,
                                                 'activations': 'Tanh'})
    w = np.arange(16.0).reshape(4, 4) / 40 - 0.2
    params[0][0].copy(lg.DoubleTensor(w.reshape(1, 16)))
    params[0][1].fill(0.1)
    x = np.linspace(-1, 1, 36).reshape(6, 6)
    out = f(params, lg.DoubleTensor(x.reshape(1, 1, 6, 6)))
    padded = np.pad(x, 1)
    expected = np.tanh(np.array([[(padded[i:i + 4, j:j + 4] * w).sum() + 0.1 for j in range(5)]
                                 for i in range(5)]))
    assert tuple(out.size()) == (1, 1, 5, 5)
    np.testing.assert_allclose(out.numpy()[0, 0], expected, rtol=1e-12)


def test_losses_against_numpy():
    out, target = lg.randn(6), lg.DoubleTensor([0, 1, 0, 0, 1, 0])
    o, t = out.numpy(), target.numpy()
    log_softmax = o - np.log(np.exp(o).sum())
    loss, yhat = autograd.loss.crossEntropy(out, target)
    assert loss == pytest.approx(-(log_softmax * t).sum(), abs=1e-12)
    np.testing.assert_allclose(yhat.numpy(), log_softmax, atol=1e-12)
    loss, yhat = autograd.loss.binaryCrossEntropy(out, target)
    s = 1 / (1 + np.exp(-o)) * (1 - 2e-6) + 1e-6
    assert loss == pytest.approx(-(t * np.log(s) + (1 - t) * np.log(1 - s)).sum(), abs=1e-10)
    assert autograd.loss.leastSquares(out, target)[0] == pytest.approx(((o - t) ** 2).sum(), abs=1e-12)
    probabilities = lg.rand(6) * 0.8 + 0.1
    p = probabilities.numpy()
    assert autograd.loss.logBCELoss(probabilities, target) == pytest.approx(
        -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum(), abs=1e-12)
    assert autograd.loss.logMultinomialLoss(out, target) == pytest.approx(-(o * t).sum(), abs=1e-12)
    pairs = o[t == 1][:, None] - o[t == 0][None, :]
    assert autograd.loss.margin(out, target, 0.5)[0] == pytest.approx(np.maximum(0.5 - pairs, 0).sum(), abs=1e-12)


def test_loss_gradients():
    target = lg.DoubleTensor([0, 1, 0, 1])
    for name in ('crossEntropy', 'binaryCrossEntropy', 'leastSquares', 'margin'):
        loss = getattr(autograd.loss, name)
        _check_gradients(lambda p, t: loss(p['out'], t)[0], {'out': lg.randn(4)}, target, keys=('out',))


def test_optim_wrapper_keeps_a_state_per_parameter():
    """autograd.optim.adam steps each parameter tensor with its own copy of the state, as legonn.optim.adam
    called per tensor."""
    def f(p, x):
        return lg.sum(lg.tanh(x @ p['W'] + p['b']))

    params = {'W': lg.randn(3, 2), 'b': lg.randn(2)}
    reference = {k: v.clone() for k, v in params.items()}
    ref_states = {k: {'learningRate': 0.1} for k in reference}
    optimfn, states = autograd.optim.adam(autograd(f), {'learningRate': 0.1}, params)
    assert len(states) == 2 and states[0] is not states[1]
    for _ in range(3):
        x = lg.randn(4, 3)
        grads, loss = optimfn(x)
        ref_grads, ref_loss = autograd(f)(reference, x)
        assert loss == pytest.approx(ref_loss, abs=1e-12)
        for key in ('W', 'b'):
            optim.adam(lambda _, g=ref_grads[key]: (ref_loss, g), reference[key], ref_states[key])
    for key in ('W', 'b'):
        np.testing.assert_allclose(params[key].numpy(), reference[key].numpy(), atol=1e-12)
    assert states[0]['t'] == 3   # sortedFlatten's order: 'W' then 'b'; adam counts its steps in the state
    assert not hasattr(autograd.optim, 'checkgrad') and not hasattr(autograd.optim, 'ConfusionMatrix')


@pytest.mark.parametrize('name', ['RecurrentNetwork', 'RecurrentLSTMNetwork', 'RecurrentGRUNetwork',
                                  'RecurrentFWNetwork'])
def test_recurrent_models_continue_from_their_state(name):
    """A sequence run in two parts, the second from the state the first returned, gives the whole run's
    outputs (the 'all' outputs of both parts, joined, and the last state). The Lua's fast-weights network
    returned h alone, not its fast weights A: a continued run restarted them from zeros."""
    made = getattr(autograd.model, name)({'inputFeatures': 3, 'hiddenFeatures': 4, 'outputType': 'all'})
    f, params = made[0], made[1]
    for t in autograd.util.sortedFlatten(params):
        t.normal(0, 0.5)
    x = lg.randn(2, 5, 3)
    whole, whole_state = f(params, x)[:2]
    first, state = f(params, x.narrow(1, 0, 3))[:2]
    second, last_state = f(params, x.narrow(1, 3, 2), state)[:2]
    np.testing.assert_allclose(lg.cat(first, second, 1).numpy(), whole.numpy(), atol=1e-12)
    for key in whole_state:
        np.testing.assert_allclose(last_state[key].numpy(), whole_state[key].numpy(), atol=1e-12)


@pytest.mark.gpu
def test_models_on_cuda():
    """NeuralNetwork's ``cuda`` option casts its parameters to CudaTensors and its wrapped layers follow a CUDA
    input; an LSTM's functions run on CUDA parameters and input. Gradients match the CPU's."""
    f, params, _ = autograd.model.NeuralNetwork({'inputFeatures': 6, 'hiddenFeatures': [5, 2], 'cuda': True})
    assert params[0][0].type() == 'legonn.CudaTensor'
    x, t = lg.randn(6), lg.DoubleTensor([1, 0])
    loss = lambda p, x, t: autograd.loss.crossEntropy(f(p, x), t)[0]
    grads, value = autograd(loss)(params, x.cuda(), t.cuda())
    cpu = autograd.util.cast(params, 'double')
    cpu_grads, cpu_value = autograd(loss)(cpu, x, t)
    assert value == pytest.approx(cpu_value, rel=1e-5)
    for got, expected in zip(autograd.util.sortedFlatten(grads), autograd.util.sortedFlatten(cpu_grads)):
        assert got.type() == 'legonn.CudaTensor'
        np.testing.assert_allclose(got.double().numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)

    g, lstm_params, _ = autograd.model.RecurrentLSTMNetwork({'inputFeatures': 3, 'hiddenFeatures': 4})
    lstm_params[0]['W'].normal(0, 0.5)
    seq = lg.randn(2, 3, 3)
    lstm_loss = lambda p, x: lg.sum(g(p, x)[0])
    cpu_grads = autograd(lstm_loss)(lstm_params, seq)[0]
    grads = autograd(lstm_loss)(autograd.util.cast(lstm_params, 'cuda'), seq.cuda())[0]
    assert grads[0]['W'].type() == 'legonn.CudaTensor'
    np.testing.assert_allclose(grads[0]['W'].double().numpy(), cpu_grads[0]['W'].numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('name', ['NeuralNetwork', 'SpatialNetwork', 'RecurrentNetwork', 'RecurrentLSTMNetwork',
                                  'RecurrentGRUNetwork', 'RecurrentFWNetwork'])
def test_models_refuse_options_that_are_no_dict(name):
    model = getattr(autograd.model, name)
    with pytest.raises(TypeError, match=rf'^autograd\.model\.{name}: expected a dict of options, got str$'):
        model('hiddenFeatures=10')
    assert len(model()) >= 2   # no options: the Lua's defaults (opt or {})
    with pytest.raises(TypeError, match=r'^autograd\.model\.AlexNet \(mlpOpt\): expected a dict of options, got list'):
        autograd.model.AlexNet(3, 32, 32, None, [10])
