"""dpnn's reward criterions VRClassReward and BinaryClassReward against float64 NumPy references of the Lua
files, and dpnn's test.lua tests of them (rewritten, with 0-based labels)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


def ref_reward(scores, labels, baseline, scale=1.0, size_average=True):
    """VRClassReward.lua: (loss, the reward reinforce() gets, the baseline's MSE gradient)."""
    reward = scale * (scores.argmax(1) == labels).astype(np.float64)
    n = len(reward)
    loss = -reward.sum() / (n if size_average else 1)
    vr = (reward - baseline.reshape(-1)) / (n if size_average else 1)
    grad_baseline = 2 * (baseline - reward.reshape(baseline.shape)) / baseline.size
    return loss, vr, grad_baseline


@pytest.mark.parametrize('scale, size_average', [(1, True), (2.5, True), (1, False)])
def test_vr_class_reward_matches_the_lua_formulas(scale, size_average):
    """VRClassReward.lua: loss -sum(reward) (/ batch), reinforce(reward - baseline (/ batch)), a zero gradient
    for the prediction and the MSE gradient of the baseline towards the reward."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    rng = np.random.default_rng(0)
    scores, baseline = rng.normal(size=(9, 4)), rng.normal(size=(9, 1))
    labels = scores.argmax(1)
    labels[::2] = (labels[::2] + 1) % 4
    rf = nn.Reinforce()
    crit = nn.VRClassReward(rf, scale)
    crit.sizeAverage = size_average
    loss = crit.forward([scores, baseline], lg.LongTensor(labels.tolist()))
    grads = crit.backward([scores, baseline], lg.LongTensor(labels.tolist()))
    ref_loss, ref_vr, ref_gb = ref_reward(scores, labels, baseline, scale, size_average)
    assert loss == pytest.approx(ref_loss, rel=1e-15)
    np.testing.assert_allclose(rf.reward.numpy(), ref_vr, rtol=1e-14)
    assert grads[0].isSameSizeAs(lg.from_numpy(scores)) and grads[0].abs().max() == 0
    np.testing.assert_allclose(grads[1].numpy(), ref_gb, rtol=1e-14)


def dpnn_vr_class_reward(labels):
    """dpnn's test.lua VRClassReward case: a float {prediction (13 x 10), baseline (13 x 1)} and a ``labels``
    tensor (IntTensor or LongTensor) of 13 0-based classes through a VRClassReward rewarding a Reinforce.
    Returns (input, target, the Reinforce, the criterion, loss, gradInput)."""
    inp = [lg.randn(13, 10), lg.randn(13, 1)]
    target = labels(13).random(0, 10)
    rf = nn.Reinforce()
    vrc = nn.VRClassReward(rf)
    err = vrc.forward(inp, target)
    return inp, target, rf, vrc, err, vrc.backward(inp, target)


def test_dpnn_vr_class_reward():
    """Port of dpnn's test.lua VRClassReward: float inputs, IntTensor labels (0-based), loss = -mean reward."""
    inp, target, _, _, err, grads = dpnn_vr_class_reward(lg.IntTensor)
    reward = (inp[0].numpy().argmax(1) == target.numpy()).astype(np.float32)
    assert err == pytest.approx(-reward.mean(), abs=1e-7)
    expected = nn.MSECriterion().backward(inp[1], lg.from_numpy(reward))
    np.testing.assert_allclose(grads[1].numpy(), expected.numpy(), atol=1e-6)
    assert abs(float(grads[0].sum())) < 1e-6


def test_vr_class_reward_single_example():
    """VRClassReward.lua's toBatch: a 1-D prediction is one example; the gradients keep the input's shapes."""
    rf = nn.Reinforce()
    crit = nn.VRClassReward(rf)
    pred, base = lg.Tensor([0.1, 0.9, 0.0]), lg.Tensor([0.25])
    assert crit.forward([pred, base], 1) == -1
    g = crit.backward([pred, base], 1)
    assert g[0].size() == (3,) and g[1].size() == (1,)
    np.testing.assert_allclose(rf.reward.numpy(), [0.75])


def test_dpnn_binary_class_reward():
    """Port of dpnn's test.lua BinaryClassReward, and its comparison with VRClassReward on two classes."""
    inp = [lg.Tensor(10).uniform(0, 1), lg.randn(10, 1)]
    target = lg.LongTensor(10).random(0, 2)
    rf = nn.Reinforce()
    bcr = nn.BinaryClassReward(rf)
    err = bcr.forward(inp, target)
    grads = bcr.backward(inp, target)
    reward = ((inp[0].numpy() > 0.5) == target.numpy()).astype(np.float32)
    assert err == pytest.approx(-reward.mean(), abs=1e-7)
    np.testing.assert_allclose(grads[1].numpy(), nn.MSECriterion().backward(inp[1], lg.from_numpy(reward)).numpy(),
                               atol=1e-6)
    assert grads[0].abs().max() == 0
    onehot = np.zeros((10, 2), dtype=np.float32)
    onehot[np.arange(10), (inp[0].numpy() > 0.5).astype(int)] = 1
    rf2 = nn.Reinforce()
    vrc = nn.VRClassReward(rf2)
    assert vrc.forward([onehot, inp[1]], target) == pytest.approx(err, abs=1e-7)
    np.testing.assert_allclose(vrc.backward([onehot, inp[1]], target)[1].numpy(), grads[1].numpy(), atol=1e-7)
    np.testing.assert_allclose(rf2.reward.numpy(), rf.reward.numpy(), atol=1e-7)


def test_type_leaves_the_module_alone():
    """VRClassReward.lua's type(): the criterion converts its buffers and baseline criterion, never the module
    (the network converts it)."""
    net = nn.Linear(2, 2)
    crit = nn.VRClassReward(net).double()
    assert crit.type() == 'legonn.DoubleTensor' and crit.criterion.type() == 'legonn.DoubleTensor'
    assert crit.module is net and net.type() == 'legonn.FloatTensor'


@pytest.mark.gpu
def test_vr_class_reward_gpu():
    """The CUDA criterion gives the CPU's loss, reward and gradients (dpnn's test.lua's cunn part)."""
    inp, target, rf, vrc, err, grads = dpnn_vr_class_reward(lg.LongTensor)
    g = [t.clone() for t in grads]
    reward = rf.reward.clone()
    rf.cuda()
    vrc.cuda()
    gpu_in = [t.cuda() for t in inp]
    assert vrc.forward(gpu_in, target.cuda()) == pytest.approx(err, abs=1e-6)
    gg = vrc.backward(gpu_in, target.cuda())
    for a, b in zip(g, gg):
        np.testing.assert_allclose(a.numpy(), b.cpu().numpy(), atol=1e-6)
    assert rf.reward.type() == 'legonn.CudaTensor'
    np.testing.assert_allclose(rf.reward.cpu().numpy(), reward.numpy(), atol=1e-6)


def test_bad_input():
    """Errors name the criterion: labels out of range (a 1-based label), a wrong table, backward before
    forward, bad constructor arguments."""
    crit = nn.VRClassReward(nn.Reinforce())
    with pytest.raises(IndexError, match=r"VRClassReward: expected labels in \[0, 3\) \(0-based\), got labels in "
                                         r"\[1, 3\]"):
        crit.forward([lg.randn(2, 3), lg.randn(2)], lg.LongTensor([1, 3]))
    with pytest.raises(ValueError, match=r"VRClassReward: expected an input table of 2 entries"):
        crit.forward([lg.randn(2, 3)], lg.LongTensor([1, 2]))
    with pytest.raises(ValueError, match=r"VRClassReward: expected a forward on this input before backward"):
        nn.VRClassReward(nn.Reinforce()).backward([lg.randn(2, 3), lg.randn(2)], lg.LongTensor([1, 2]))
    crit.forward([lg.randn(2, 3), lg.randn(2)], lg.LongTensor([1, 2]))
    with pytest.raises(ValueError, match=r"a baseline of 3 values for 2 rewards"):
        crit.backward([lg.randn(2, 3), lg.randn(3)], lg.LongTensor([1, 2]))
    with pytest.raises(ValueError, match=r"BinaryClassReward: expected a target of 3 classes"):
        nn.BinaryClassReward(nn.Reinforce()).forward([lg.rand(3), lg.randn(3)], lg.LongTensor([1, 0]))
    with pytest.raises(TypeError, match=r"VRClassReward: module must be an nn module"):
        nn.VRClassReward(None)
    with pytest.raises(ValueError, match=r"VRClassReward: scale must be a number"):
        nn.VRClassReward(nn.Reinforce(), 'x')
