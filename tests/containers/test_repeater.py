"""Repeater (rnn's Repeater.lua) and RepeaterCriterion (RepeaterCriterion.lua)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_rejected, assert_type_roundtrip

rng = np.random.default_rng(3)
N, D, H, T = 4, 10, 7, 5


def r(*shape):
    return lg.from_numpy(rng.normal(size=shape))


def recurrent():
    return nn.Recurrent(H, nn.Linear(D, H), nn.Linear(H, H), nn.Sigmoid(), T).double()


def test_repeater_is_the_module_fed_the_same_input():
    """rnn test/test.lua Repeater: Repeater(rnn, 5) gives the outputs of the Recurrent fed the same input 5
    times, and the sum of its 5 gradInputs; Repeater(Sequential(Identity, rnn)) (a Recursor inside) gives the
    same outputs, gradInput and parameter gradients as Repeater(rnn)."""
    rnn = recurrent()
    twin = rnn.clone()
    x = r(N, D)
    gos = [r(N, H) for _ in range(T)]
    outs = [rnn.forward(x).clone() for _ in range(T)]
    total = sum(rnn.backward(x, gos[t]).numpy().copy() for t in reversed(range(T)))
    rep = nn.Repeater(twin, T)
    outs3 = rep.forward(x)
    assert isinstance(outs3, list) and len(outs3) == T
    for a, b in zip(outs3, outs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rep.backward(x, gos).numpy(), total, rtol=1e-10)

    rnn = recurrent()
    rep3 = nn.Repeater(rnn, T)
    rep4 = nn.Repeater(nn.Sequential().add(nn.Identity()).add(rnn.clone()), T)
    assert isinstance(rep4.module, nn.Recursor) and rep3.module is rnn
    rep3.zeroGradParameters()
    rep4.zeroGradParameters()
    for a, b in zip(rep3.forward(x), rep4.forward(x)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rep3.backward(x, gos).numpy(), rep4.backward(x, gos).numpy(), rtol=1e-10)
    rep3.updateParameters(1)
    rep4.updateParameters(1)
    for (p, g), (p2, g2) in zip(zip(*rep3.parameters()), zip(*rep4.parameters())):
        np.testing.assert_allclose(p.numpy(), p2.numpy(), rtol=1e-10)
        np.testing.assert_allclose(g.numpy(), g2.numpy(), rtol=1e-10)


def test_repeater_matches_numpy_and_restarts():
    """Repeater.lua: h[0] = tanh(W x + b + s), h[t] = tanh(W x + b + U h[t-1] + c) for a Recurrent with a Tanh
    transfer; each forward forgets, so the same input gives the same table again; rho reaches the module."""
    rnn = nn.Recurrent(3, nn.Linear(2, 3), nn.Linear(3, 3), nn.Tanh(), 99).double()
    rep = nn.Repeater(rnn, 3)
    assert rnn.rho == 3
    x = r(2, 2)
    W, b = rnn.inputModule.weight.numpy(), rnn.inputModule.bias.numpy()
    U, c = rnn.feedbackModule.weight.numpy(), rnn.feedbackModule.bias.numpy()
    h = [np.tanh(x.numpy() @ W.T + b + rnn.startModule.bias.numpy())]
    for _ in range(2):
        h.append(np.tanh(x.numpy() @ W.T + b + h[-1] @ U.T + c))
    for _ in range(2):
        for a, e in zip(rep.forward(x), h):
            np.testing.assert_allclose(a.numpy(), e, rtol=1e-12)
    rep.maxBPTTstep(4)
    assert rep.rho == rnn.rho == 4 and len(rep.forward(x)) == 4


def test_repeater_jacobian_type_gpu():
    """Repeater.lua: Jacobian (input and parameters) of 3 repeats; float/double; the GPU (simulator)."""
    assert_jacobian(nn.Repeater(nn.Recurrent(3, nn.Linear(2, 3), nn.Linear(3, 3)), 3), r(2, 2))
    assert_jacobian(nn.Repeater(nn.Sequential().add(nn.Linear(2, 3)).add(nn.Tanh()), 2), r(2, 2))
    assert_type_roundtrip(nn.Repeater(recurrent(), 3), r(N, D))


@pytest.mark.gpu
def test_repeater_gpu():
    assert_gpu_matches_cpu(nn.Repeater(recurrent(), 3), r(N, D))


def test_repeater_errors_and_repr():
    """Repeater.lua's asserts: rho a number; backward after a forward of rho steps, with a table of rho
    gradOutputs; nothing changes when refused."""
    with pytest.raises(ValueError, match="rho"):
        nn.Repeater(nn.Linear(2, 2), 'x')
    with pytest.raises(TypeError, match="nn module"):
        nn.Repeater('m', 2)
    rep = nn.Repeater(recurrent(), 3)
    x = r(N, D)
    assert_rejected(rep, ValueError, "a forward of 3 steps", 'backward', x, [r(N, H)] * 3)
    rep.forward(x)
    assert_rejected(rep, TypeError, "a gradOutput table of 3 steps", 'backward', x, [r(N, H)] * 2)
    assert_rejected(rep, TypeError, "a gradOutput table of 3 steps", 'updateGradInput', x, r(N, H))
    assert repr(nn.Repeater(nn.Linear(2, 2), 4)).splitlines()[-2] == '  [output(0),output(1),...,output(3)]'


def test_repeater_criterion_repeats_the_target():
    """rnn test/test.lua RepeaterCriterion: the sum over steps of ClassNLL(input[t], target) and each step's
    gradInput; after float() the same; a seqlen x batch x n tensor input gives the table input's loss and the
    gradInput stacked."""
    crit = nn.ClassNLLCriterion().double()
    sc = nn.RepeaterCriterion(crit.clone())
    xs = [r(N, D) for _ in range(T)]
    target = lg.randperm(D).narrow(0, 0, N)
    expected = sum(crit.forward(x, target) for x in xs)
    grads = [crit.backward(x, target).clone() for x in xs]
    assert sc.forward(xs, target) == pytest.approx(expected, abs=1e-12)
    for a, b in zip(sc.backward(xs, target), grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    sc.float()
    assert sc.forward([x.float() for x in xs], target.float()) == pytest.approx(expected, abs=1e-5)
    for a, b in zip(sc.backward([x.float() for x in xs], target.float()), grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    sc.double()
    x = r(T, N, D)
    split = nn.SplitTable(0).forward(x)
    assert sc.forward(x, target) == sc.clone().forward(split, target)
    g = sc.backward(x, target).clone()
    np.testing.assert_array_equal(g.numpy(), np.stack([t.numpy() for t in sc.backward(split, target)]))
    assert nn.Jacobian.testCriterion(nn.RepeaterCriterion(nn.MSECriterion()), [r(2, 3), r(2, 3)], r(2, 3)) < 1e-6
    with pytest.raises(TypeError, match="RepeaterCriterion: expected a criterion"):
        nn.RepeaterCriterion(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="RepeaterCriterion.*non-empty sequence"):
        sc.forward([], target)
    assert repr(sc) == 'nn.RepeaterCriterion(nn.ClassNLLCriterion)'
