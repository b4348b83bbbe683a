"""NormStabilizer (rnn's NormStabilizer.lua): identity forward, the norm-stabiliser cost's gradient added in
backward, its loss, types, the GPU, bad input, and the port of rnn's test/test.lua NormStabilizer."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from tests.checks import assert_gpu_matches_cpu, assert_type_roundtrip, central_difference
from tests.containers.recurrent_cells import run_sequence

rng = np.random.default_rng(2)


def r(*shape):
    return rng.normal(size=shape)


def norm_cost(hs, beta):
    """beta / batch * sum over t >= 1 and rows of (||h[t]|| - ||h[t-1]||)^2 (Krueger and Memisevic)."""
    norms = [np.linalg.norm(h, axis=1) for h in hs]
    return beta / hs[0].shape[0] * sum(float(((norms[t] - norms[t - 1]) ** 2).sum()) for t in range(1, len(hs)))


def reference_grad_inputs(hs, gos, beta):
    """NormStabilizer.lua's backward written row by row, as test/test.lua's NormStabilizerTest does it."""
    grads = []
    for t, (h, go) in enumerate(zip(hs, gos)):
        g = go.copy()
        for b in range(h.shape[0]):
            n = np.linalg.norm(h[b])
            for s in (t - 1, t + 1):
                if 0 <= s < len(hs):
                    g[b] += 2 * beta * (n - np.linalg.norm(hs[s][b])) / h.shape[0] * h[b] / n
        grads.append(g)
    return grads


@pytest.mark.parametrize('steps', [1, 2, 4])
def test_backward_adds_the_cost_gradient(steps):
    """Forward is the identity; each step's gradInput is its gradOutput plus the cost's gradient, against the
    row-by-row reference and against central differences of <h, gradOutput> + cost."""
    beta = 3.0
    ns = nn.NormStabilizer(beta).double()
    hs, gos = [r(3, 4) for _ in range(steps)], [r(3, 4) for _ in range(steps)]
    outs, gis = run_sequence(ns, hs, gos)
    np.testing.assert_array_equal(outs, hs)
    np.testing.assert_allclose(gis, reference_grad_inputs(hs, gos, beta), rtol=1e-12)
    for t in range(steps):
        np.testing.assert_allclose(ns.sharedClones[t].norm.numpy()[:, 0], np.linalg.norm(hs[t], axis=1), rtol=1e-14)

    def loss():
        return sum(float((h * g).sum()) for h, g in zip(hs, gos)) + norm_cost(hs, beta)

    for t, h in enumerate(hs):
        for i in np.ndindex(h.shape):
            assert abs(central_difference(loss, h, i) - gis[t][i]) < 1e-7


def test_update_loss():
    """updateLoss: the cost divided by the number of steps (NormStabilizer.lua; legonn takes the difference
    of the norms where the Lua's loss adds them, see the class docstring)."""
    ns = nn.NormStabilizer(2.0).double()
    hs = [r(3, 4) for _ in range(5)]
    run_sequence(ns, hs)
    assert ns.updateLoss() == pytest.approx(norm_cost(hs, 2.0) / 5, rel=1e-12)
    assert ns.loss == pytest.approx(norm_cost(hs, 2.0) / 5, rel=1e-12)
    run_sequence(ns, hs[:1])
    assert ns.updateLoss() == 0


def test_evaluation_is_the_identity():
    """NormStabilizer.lua in evaluation: recurrentModule's identity, no norms kept."""
    ns = nn.NormStabilizer().double().evaluate()
    h = lg.as_tensor(r(2, 3))
    assert ns.forward(h).equal(h) and 'norm' not in ns.recurrentModule.__dict__


def test_type_roundtrip_and_repr():
    """NormStabilizer.lua: beta defaults to 1, __tostring__, float()/double() through a Sequencer."""
    assert repr(nn.NormStabilizer(0.5)) == 'nn.NormStabilizer' and nn.NormStabilizer().beta == 1
    assert_type_roundtrip(nn.Sequencer(nn.NormStabilizer(2)), lg.randn(3, 2, 4))


@pytest.mark.gpu
def test_gpu_matches_cpu():
    """NormStabilizer.lua on the GPU (the simulator here): a sequence matches the CPU."""
    assert_gpu_matches_cpu(nn.Sequencer(nn.NormStabilizer(2)), lg.randn(3, 2, 4))


def test_bad_input():
    """NormStabilizer.lua asserts a 2-D input; gradOutput sizes are checked; backward needs the norms a training
    forward keeps."""
    ns = nn.NormStabilizer()
    for bad in (lg.randn(4), lg.randn(2, 3, 4), lg.LongTensor(2, 3)):
        with pytest.raises((ValueError, TypeError), match='NormStabilizer'):
            ns.forward(bad)
    assert ns.step == 0
    ns.forward(lg.randn(2, 3))
    with pytest.raises(ValueError, match=r'NormStabilizer.*gradOutput of size \(2, 3\)'):
        ns.backward(lg.randn(2, 3), lg.randn(3, 2))
    fresh = nn.NormStabilizer().evaluate()   # no step norms kept: nothing to back-propagate with
    fresh.forward(lg.randn(2, 3))
    fresh.training()
    with pytest.raises(ValueError, match='NormStabilizer.*training forward'):
        fresh.backward(lg.randn(2, 3), lg.randn(2, 3))


def test_norm_stabilizer_checkgrad():
    """test/test.lua NormStabilizer: optim.checkgrad of Sequencer(Sequential(Recurrent, NormStabilizer)) trained
    with an MSE per step plus the norm cost (the Lua's SequencerCriterionNormStab, whose own gradient is the
    MSE's: the NormStabilizer adds the cost's), over a few updates."""
    batch, rho, hidden, nIn, beta = 3, 2, 3, 4, 50.0
    recurrent = nn.Recurrent(hidden, nn.Linear(nIn, hidden), nn.Linear(hidden, hidden), nn.Sigmoid(), rho)
    model = nn.Sequencer(nn.Sequential().add(recurrent).add(nn.NormStabilizer(beta))).double()
    mse = nn.MSECriterion().double()
    params, grads = model.getParameters()
    for _ in range(2):
        xs = lg.as_tensor(r(rho, batch, nIn))
        targets = [lg.as_tensor(r(batch, hidden)) for _ in range(rho)]

        def feval(w):
            params.copy(w)
            model.zeroGradParameters()
            outs = model.forward(xs)
            err = sum(mse.forward(outs[t], targets[t]) for t in range(rho)) + norm_cost(list(outs.numpy()), beta)
            model.backward(xs, lg.stack([mse.backward(outs[t], targets[t]).clone() for t in range(rho)]))
            return err, grads

        assert optim.checkgrad(feval, params.clone(), 1e-6)[0] < 1e-6
        model.updateParameters(0.1)
