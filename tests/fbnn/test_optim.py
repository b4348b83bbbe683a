"""fbnn's nn.Optim (Optim.lua): per-module weight and bias states, the bias without weight decay, optimize's
forward/backward/step, setParameters, save and checkpoints; fbnn/test.lua's Optim_weight_bias_parameters."""
import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn, optim

RNG = np.random.default_rng(5)


def _model():
    return nn.Sequential().add(nn.Linear(3, 2)).add(nn.Tanh()).add(nn.Add(2)).double()


def test_weight_bias_parameters_test_lua():
    """fbnn/test.lua Optim_weight_bias_parameters: a Linear gives two pairs, the weight's not a bias, holding
    the module's own weight/gradWeight tensors; a Tanh gives none."""
    lin = nn.Linear(10, 10)
    weight, bias = fbnn.Optim.weight_bias_parameters(lin)
    assert not weight.is_bias and weight.param is lin.weight and weight.grad is lin.gradWeight
    assert bias.is_bias and bias[0] is lin.bias and bias[1] is lin.gradBias
    assert fbnn.Optim.weight_bias_parameters(nn.Tanh()) == [None, None]
    assert fbnn.Optim.weight_bias_parameters(nn.Add(3))[0] is None


def test_optimize_steps_each_parameter_with_its_state():
    """Optim.lua's optimize then updateParameters with optim.sgd: the Linear's weight steps by
    lr * (grad + wd * w), its bias by lr * grad (weightDecay 0 for biases); nn.Add's bias, behind a missing
    weight, is never stepped (ipairs stops at the nil weight pair)."""
    model = _model()
    lin, add = model.get(0), model.get(2)
    x, t = lg.DoubleTensor(RNG.normal(0, 1, (4, 3))), lg.DoubleTensor(RNG.normal(0, 1, (4, 2)))
    w, b, a = lin.weight.numpy().copy(), lin.bias.numpy().copy(), add.bias.numpy().copy()
    # the gradients, by hand: MSE of tanh(x W^T + b) + a
    pre = x.numpy() @ w.T + b
    out = np.tanh(pre) + a
    d_out = 2 * (out - t.numpy()) / out.size
    d_pre = d_out * (1 - np.tanh(pre) ** 2)
    gw, gb = d_pre.T @ x.numpy(), d_pre.sum(0)
    opt = fbnn.Optim(model, {'learningRate': 0.1, 'weightDecay': 0.01})
    err, output = opt.optimize(optim.sgd, x, t, nn.MSECriterion())
    assert err == pytest.approx(float(np.mean((out - t.numpy()) ** 2)), rel=1e-12)
    np.testing.assert_allclose(output.numpy(), out, rtol=1e-12)
    np.testing.assert_allclose(lin.weight.numpy(), w - 0.1 * (gw + 0.01 * w), rtol=1e-12)
    np.testing.assert_allclose(lin.bias.numpy(), b - 0.1 * gb, rtol=1e-12)
    np.testing.assert_array_equal(add.bias.numpy(), a)
    states = opt.modulesToOptState
    assert [len(states[m]) for m in (model, lin, model.get(1), add)] == [0, 2, 0, 0]
    assert states[lin][0]['weightDecay'] == 0.01 and states[lin][1]['weightDecay'] == 0.0
    assert states[lin][0] is not states[lin][1]


def test_set_parameters_and_checkpoints():
    """setParameters writes into optState and every state; save()/checkpoint_data hands the same states to a
    new Optim of the same model; a checkpoint of another model is refused."""
    model = _model()
    config = {'learningRate': 0.1}
    opt = fbnn.Optim(model, config)
    opt.setParameters({'learningRate': 0.5})
    assert config['learningRate'] == 0.5
    assert all(s['learningRate'] == 0.5 for states in opt.modulesToOptState.values() for s in states)
    again = fbnn.Optim(model, None, opt.save())
    assert again.modulesToOptState is opt.modulesToOptState
    with pytest.raises(ValueError, match='Optim: expected checkpoint_data'):
        fbnn.Optim(_model(), None, opt.save())


def test_momentum_state_is_kept_per_parameter_and_typed():
    """Two optimize steps with momentum: each parameter's dfdx buffer lives in its own state, converted by
    type()."""
    model = _model()
    opt = fbnn.Optim(model, {'learningRate': 0.1, 'momentum': 0.9})
    x, t = lg.DoubleTensor(RNG.normal(0, 1, (4, 3))), lg.DoubleTensor(RNG.normal(0, 1, (4, 2)))
    for _ in range(2):
        opt.optimize(optim.sgd, x, t, nn.MSECriterion())
    lin = model.get(0)
    weight_state, bias_state = opt.modulesToOptState[lin]
    assert weight_state['dfdx'].size() == lin.weight.size() and bias_state['dfdx'].size() == lin.bias.size()
    opt.type('legonn.FloatTensor')
    assert opt.modulesToOptState[lin][0]['dfdx'].type() == 'legonn.FloatTensor'


@pytest.mark.parametrize('args, error, match', [
    ((3, {'learningRate': 1}), TypeError, 'Optim: expected a module'),
    ((nn.Linear(2, 2),), ValueError, 'exactly one of optState and checkpoint_data, got neither'),
    ((nn.Linear(2, 2), {}, {'optim_state': {}}), ValueError, 'got both'),
])
def test_bad_arguments_name_optim(args, error, match):
    with pytest.raises(error, match=match):
        fbnn.Optim(*args)


def test_bad_set_parameters():
    with pytest.raises(TypeError, match='Optim.setParameters: expected a dict'):
        fbnn.Optim(nn.Linear(2, 2), {}).setParameters(0.1)


def test_an_optim_saves_and_loads_with_its_states(tmp_path):
    """Optim.lua is a torch.class ('nn.Optim'), so torch.save writes one with its model and per-module states
    (multipathnet's train.lua saves ``state.optimizer`` at every snapshot): lg.save/lg.load round-trip it,
    the states still keyed by the loaded model's own modules."""
    model = nn.Sequential().add(nn.Linear(3, 2)).add(nn.Tanh())
    opt = fbnn.Optim(model, {'learningRate': 0.1, 'momentum': 0.9})
    x, t = lg.Tensor(4, 3).uniform(-1, 1), lg.Tensor(4, 2).uniform(-1, 1)
    opt.optimize(optim.sgd, x, t, nn.MSECriterion())
    path = str(tmp_path / 'optimState.t7')
    lg.save(path, opt)
    back = lg.load(path)
    assert isinstance(back, fbnn.Optim) and lg.typename(back) == 'nn.Optim'
    linear = back.model.get(0)
    assert set(back.modulesToOptState) == set(back.model.listModules())
    np.testing.assert_array_equal(back.modulesToOptState[linear][0]['dfdx'].numpy(),
                                  opt.modulesToOptState[model.get(0)][0]['dfdx'].numpy())
    assert back.modulesToOptState[linear][1]['weightDecay'] == 0
    np.testing.assert_array_equal(linear.weight.numpy(), model.get(0).weight.numpy())
