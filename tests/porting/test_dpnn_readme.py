"""Element-Research/dpnn's README.md snippets ported literally: the Module methods (sharedClone, maxParamNorm,
updateGradParameters, weightDecay, gradParamClip, reinforce), Serial's modes, Kmeans' clustering loop,
NCEModule's evaluation switches, VRClassReward in a ModuleCriterion, each checked against what its README
paragraph (or the Lua file it names) computes."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn


@pytest.fixture(autouse=True)
def double():
    lg.setdefaulttensortype('legonn.DoubleTensor')     # Torch7's default; tests/conftest.py restores Float


def mlp_with_grads():
    mlp = nn.Sequential().add(nn.Linear(4, 5)).add(nn.Tanh()).add(nn.Linear(5, 3))
    x = lg.randn(6, 4)
    mlp.zeroGradParameters()
    mlp.forward(x)
    mlp.backward(x, lg.randn(6, 3).mul(50))
    return mlp, x


def test_shared_clone_is_clone_then_share():
    """README 'sharedClone': equivalent to ``clone = mlp:clone(); clone:share(mlp, 'weight', 'bias',
    'gradWeight', 'gradBias')``."""
    mlp, _ = mlp_with_grads()
    clone = mlp.sharedClone()
    for m, c in zip(mlp.parameters(), clone.parameters()):
        assert all(a.storage() is b.storage() for a, b in zip(m, c))
    params_only = mlp.sharedClone(True, False)
    assert params_only.get(0).gradWeight.storage() is not mlp.get(0).gradWeight.storage()


def test_max_param_norm_bounds_rows():
    """README 'maxParamNorm(2)': each output neuron's weight row has norm at most 2 (torch.renorm); a 1-D
    parameter (the bias) is left alone."""
    mlp, _ = mlp_with_grads()
    mlp.get(0).weight.mul(10)
    bias = mlp.get(0).bias.clone()
    mlp.maxParamNorm(2)
    assert float(mlp.get(0).weight.norm(2, 1).max()) <= 2 + 1e-9
    assert float((mlp.get(0).bias - bias).abs().max()) == 0


@pytest.mark.parametrize('nesterov', [False, True])
def test_update_grad_parameters_momentum(nesterov):
    """README 'updateGradParameters': ``momGradParams = momFactor*momGradParams + (1-momDamp)*gradParams``
    then ``gradParams = momGradParams`` (classic) or ``gradParams = gradParams + momFactor*momGradParams``
    (Nesterov); momentumGradParameters starts as a copy of the gradients (Module.lua)."""
    mlp, _ = mlp_with_grads()
    g0 = [g.clone() for g in mlp.parameters()[1]]
    mlp.updateGradParameters(0.9, 0.5, nesterov)
    mom = [m for layer in (mlp.get(0), mlp.get(2)) for m in layer.momentumGradParameters()]
    for g, m, g1 in zip(g0, mom, mlp.parameters()[1]):
        np.testing.assert_allclose(m.numpy(), (0.9 + 0.5) * g.numpy(), rtol=1e-12)
        expected = g.numpy() + 0.9 * m.numpy() if nesterov else m.numpy()
        np.testing.assert_allclose(g1.numpy(), expected, rtol=1e-12)


def test_weight_decay_and_grad_param_clip():
    """README 'weightDecay(wdFactor)': an L2 gradient on parameters of at least 2 dimensions;
    'gradParamClip(cutoffNorm [, moduleLocal])': the norm of all gradients (or of each leaf module's) is
    brought down to cutoffNorm."""
    mlp, x = mlp_with_grads()
    mlp.zeroGradParameters()
    mlp.weightDecay(0.1)
    np.testing.assert_allclose(mlp.get(0).gradWeight.numpy(), 0.1 * mlp.get(0).weight.numpy(), rtol=1e-12)
    assert float(mlp.get(0).gradBias.abs().max()) == 0

    def norm(m):
        return np.sqrt(sum(float(g.norm()) ** 2 for g in m.parameters()[1]))
    mlp.forward(x)
    mlp.backward(x, lg.randn(6, 3).mul(50))
    assert norm(mlp) > 1
    mlp.gradParamClip(1)
    assert abs(norm(mlp) - 1) < 1e-12
    mlp.backward(x, lg.randn(6, 3).mul(50))
    mlp.gradParamClip(1, True)
    assert abs(norm(mlp.get(0)) - 1) < 1e-12 and abs(norm(mlp.get(2)) - 1) < 1e-12


def test_serial_modes():
    """README 'Serial': ``nn.Serial(module, [tensortype])`` with ``mediumSerial()`` empties output and gradInput
    (dpnn_mediumEmpty), ``lightSerial()`` the parameter gradients too, and a tensortype casts the saved copy."""
    mlp, x = mlp_with_grads()
    dmodule = nn.Serial(mlp)
    dmodule.mediumSerial()
    medium = lg.deserialize(lg.serialize(dmodule)).modules[0].get(0)
    assert medium.output.nElement() == 0 and medium.gradWeight.nElement() == 20
    dmodule.lightSerial()
    light = lg.deserialize(lg.serialize(dmodule)).modules[0]
    assert light.get(0).gradWeight is None
    np.testing.assert_allclose(light.forward(x).numpy(), mlp.forward(x).numpy(), rtol=1e-12)
    typed = lg.deserialize(lg.serialize(nn.Serial(mlp, 'torch.FloatTensor')))
    assert typed.modules[0].get(0).weight.type() == 'torch.FloatTensor'


def test_kmeans_readme_loop():
    """README 'Kmeans': attempts x iterations of zeroGradParameters, forward (sets km.loss), backward (gradOutput
    ignored: nil in Lua, None here), updateParameters(1), keeping the best clone. Two separated blobs are
    found: the best centroids sit at their means."""
    k, dim = 2, 2
    samples = lg.randn(40, 2).mul(0.1)
    samples[:20].add(5)
    attempts, iter_, bestKm, bestLoss, learningRate = 3, 10, None, float('inf'), 1
    for j in range(attempts):
        km = nn.Kmeans(k, dim)
        km.initKmeansPlus(samples)
        for i in range(iter_):
            km.zeroGradParameters()
            km.forward(samples)
            km.backward(samples, None)
            km.updateParameters(learningRate)
        if km.loss < bestLoss:
            bestLoss = km.loss
            bestKm = km.clone()
    centres = sorted(bestKm.weight.numpy().tolist())
    np.testing.assert_allclose(centres, [samples[20:].numpy().mean(0), samples[:20].numpy().mean(0)], atol=1e-9)


def test_nce_module_evaluation_switches():
    """README 'NCEModule': ``ncem:evaluate(); ncem.normalized = true`` computes the full Linear + SoftMax, and
    ``ncem.logsoftmax = true`` Linear + LogSoftMax, from the module's own weight and bias; in training
    NCECriterion trains it (targets 0-based)."""
    ncem = nn.NCEModule(4, 20, 5, lg.ones(20), 1)
    ncec = nn.NCECriterion()
    x, t = lg.randn(6, 4), lg.LongTensor(6).random(20)
    out = ncem.forward([x, t])
    loss = ncec.forward(out, t)
    assert np.isfinite(loss) and len(ncem.backward([x, t], ncec.backward(out, t))) == 2
    ncem.evaluate()
    ncem.normalized = True
    ncem.logsoftmax = True
    full = nn.Sequential().add(nn.Linear(4, 20)).add(nn.LogSoftMax())
    full.get(0).weight.copy(ncem.weight)
    full.get(0).bias.copy(ncem.bias)
    np.testing.assert_allclose(ncem.forward([x, t]).numpy(), full.forward(x).numpy(), rtol=1e-10)


def test_vr_class_reward_last_step_through_module_criterion():
    """README 'VRClassReward' note: for RNNs, ``nn.ModuleCriterion(VRClassReward, nn.SelectTable(-1))`` (-1
    stays -1: the last step). The reward a*(R - b) / batch (sizeAverage, VRClassReward.lua) is broadcast to the
    module's Reinforce modules by ``reinforce``; the loss is -sum(R)/batch."""
    action = nn.ReinforceNormal(0.1)
    model = nn.Sequential().add(nn.Linear(3, 2)).add(action)
    model.forward(lg.randn(4, 3))
    crit = nn.ModuleCriterion(nn.VRClassReward(model), nn.SelectTable(-1))
    probs = lg.Tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    baseline = lg.Tensor([0.5, 0.5, 0.5, 0.5])
    steps = [[lg.rand(4, 2), lg.rand(4)], [probs, baseline]]
    target = lg.LongTensor([0, 0, 0, 1])             # R = 1, 0, 1, 1
    assert crit.forward(steps, target) == pytest.approx(-3 / 4)
    crit.backward(steps, target)
    np.testing.assert_allclose(action.reward.numpy(), (np.array([1, 0, 1, 1]) - 0.5) / 4, rtol=1e-12)


def test_reinforce_family_readme_derivatives():
    """README 'ReinforceBernoulli' (x - p)/(p(1 - p)), 'ReinforceNormal' (x - u)/s^2, 'ReinforceGamma'
    ln(x) - digamma(k) - ln(t) (and, for a ``{k, t}`` input, x/t^2 - k/t), 'ReinforceCategorical' 1/p[x]: each
    gradInput is minus the reward broadcast by ``reinforce`` times that derivative (gradOutput ignored)."""
    reward = lg.Tensor([1.0, -0.5, 2.0])
    R = reward.numpy()[:, None]

    def run(module, input, zeros):
        output = module.forward(input)
        module.reinforce(reward)
        return output.numpy(), module.backward(input, zeros)

    p = lg.Tensor(3, 2).uniform(0.2, 0.8)
    x, g = run(nn.ReinforceBernoulli(), p, lg.zeros(3, 2))
    np.testing.assert_allclose(g.numpy(), -R * (x - p.numpy()) / (p.numpy() * (1 - p.numpy())), rtol=1e-12)
    u = lg.randn(3, 2)
    x, g = run(nn.ReinforceNormal(0.3), u, lg.zeros(3, 2))
    np.testing.assert_allclose(g.numpy(), -R * (x - u.numpy()) / 0.09, rtol=1e-12)
    k, t = lg.Tensor(3, 2).uniform(1, 2), lg.Tensor(3, 2).uniform(0.3, 0.6)
    K, T = k.numpy(), t.numpy()
    digamma = np.vectorize(lambda v, h=1e-5: (math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h))(K)
    x, g = run(nn.ReinforceGamma(0.5), k, lg.zeros(3, 2))
    np.testing.assert_allclose(g.numpy(), -R * (np.log(x) - digamma - np.log(0.5)), atol=1e-8)
    x, g = run(nn.ReinforceGamma(), [k, t], [lg.zeros(3, 2), lg.zeros(3, 2)])
    np.testing.assert_allclose(g[0].numpy(), -R * (np.log(x) - digamma - np.log(T)), atol=1e-8)
    np.testing.assert_allclose(g[1].numpy(), -R * (x / T ** 2 - K / T), rtol=1e-12)
    probs = nn.SoftMax().forward(lg.randn(3, 4))
    x, g = run(nn.ReinforceCategorical(), probs, lg.zeros(3, 4))
    assert x.sum(1).tolist() == [1, 1, 1]
    np.testing.assert_allclose(g.numpy(), -R * x / (probs.numpy() + 1e-8), rtol=1e-12)
