"""GRU and MuFuRu (rnn's GRU.lua, Mufuru.lua): steps against NumPy, BPTT against finite differences,
remember/forget, types, the GPU, bad input, and ports of rnn's test/test.lua and test/GRU_test.lua."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from tests.checks import (assert_jacobian, assert_rejected, assert_type_roundtrip,
                          central_difference)
from tests.containers.recurrent_cells import (assert_bptt_matches_finite_differences, assert_cell_gpu_matches_cpu,
                                              assert_sequencer_equals_unrolled_step_module, run_sequence, sigmoid,
                                              unrolled_by_hand)

rng = np.random.default_rng(1)


def r(*shape):
    return rng.normal(size=shape)


# --- NumPy references of one step ------------------------------------------------------------------------
def gru_params(gru):
    """(W, b, U) into [r, z] and (Wh, bh, Uh) into h, joining the per-gate pairs of a GRU with dropout."""
    p = [t.numpy() for t in gru.parameters()[0]]
    if gru.p == 0:
        return p
    return [np.concatenate([p[0], p[2]]), np.concatenate([p[1], p[3]]), np.concatenate([p[4], p[5]])] + p[6:]


def gru_step(x, s, W, b, U, Wh, bh, Uh):
    """GRU.lua's step (its README's equations 1-4): r and z from one map each side, s = (1 - z) h + z s."""
    n = s.shape[-1]
    a = x @ W.T + b + s @ U.T
    rg, z = sigmoid(a[..., :n]), sigmoid(a[..., n:])
    h = np.tanh(x @ Wh.T + bh + (rg * s) @ Uh.T)
    return (1 - z) * h + z * s


OPS = {'keep': lambda s, v: s, 'replace': lambda s, v: v, 'mul': lambda s, v: s * v, 'diff': lambda s, v: s - v,
       'forget': lambda s, v: 0 * s, 'sqrt_diff': lambda s, v: 0.25 * np.sqrt(np.abs(s - v)),
       'max': np.maximum, 'min': np.minimum}


def mufuru_step(x, s, params, ops):
    """Mufuru.lua's step: reset gate, feature v = sigmoid(W [x, r s] + b), a softmax over the ops per unit."""
    Wrx, brx, Wrs, brs, Wv, bv, Wp, bp = params
    n = s.shape[-1]
    rg = sigmoid(x @ Wrx.T + brx + s @ Wrs.T + brs)
    v = sigmoid(np.concatenate([x, rg * s], -1) @ Wv.T + bv)
    logits = (np.concatenate([x, s], -1) @ Wp.T + bp).reshape(x.shape[0], len(ops), n)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    return sum(p[:, j] * OPS[op](s, v) for j, op in enumerate(ops))


def reference_sequence(step, xs, s):
    outputs = []
    for x in xs:
        s = step(x, s)
        outputs.append(s)
    return outputs


# --- numbers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize('p', [0, 0.25])
@pytest.mark.parametrize('batch', [(2,), ()], ids=['batch', 'single'])
def test_gru_steps_match_numpy(p, batch):
    """GRU.lua's maths over 4 steps (with p > 0 the maps are Linear pairs behind Dropouts, identities in
    evaluation), then 2 steps from a user state (userPrevOutput)."""
    gru = nn.GRU(3, 4, None, p).double()
    if p:
        gru.evaluate()   # JoinTable(0, 1) joins single inputs too, where GRU.lua's JoinTable(2) takes batches only
    P = gru_params(gru)
    xs = [r(*batch, 3) for _ in range(4)]
    outs, _ = run_sequence(gru, xs)
    want = reference_sequence(lambda x, s: gru_step(x, s, *P), xs, np.zeros((*batch, 4)))
    np.testing.assert_allclose(outs, want, rtol=1e-12, atol=1e-14)
    s0 = r(*batch, 4)
    gru.userPrevOutput = lg.as_tensor(s0)
    outs, _ = run_sequence(gru, xs[:2])
    np.testing.assert_allclose(outs, reference_sequence(lambda x, s: gru_step(x, s, *P), xs[:2], s0), rtol=1e-12)


@pytest.mark.parametrize('ops', [None, ['keep', 'replace'], ['max', 'min', 'sqrt_diff']], ids=['all', 'gru', 'some'])
def test_mufuru_steps_match_numpy(ops):
    """Mufuru.lua's maths over 4 steps; the default ops are all eight, in the Lua's order."""
    m = nn.MuFuRu(3, 4, ops).double()
    ops = ops or ['keep', 'replace', 'mul', 'diff', 'forget', 'sqrt_diff', 'max', 'min']
    assert m.ops == ops and m.num_ops == len(ops)
    P = [t.numpy() for t in m.parameters()[0]]
    assert P[6].shape == (len(ops) * 4, 7)
    xs = [r(2, 3) for _ in range(4)]
    outs, _ = run_sequence(m, xs)
    want = reference_sequence(lambda x, s: mufuru_step(x, s, P, ops), xs, np.zeros((2, 4)))
    np.testing.assert_allclose(outs, want, rtol=1e-12, atol=1e-14)


# --- gradients through time ------------------------------------------------------------------------------
CELLS = {
    'gru': lambda: nn.GRU(3, 2),
    'mufuru': lambda: nn.MuFuRu(3, 2),
    'mufuru-gru': lambda: nn.MuFuRu(3, 2, ['keep', 'replace']),
}


@pytest.mark.parametrize('name', CELLS)
def test_bptt_matches_finite_differences(name):
    """Every input and parameter gradient of a 3-step sequence (BPTT through the step clones sharing the
    parameters) against central differences, in float64."""
    xs = [r(2, 3) for _ in range(3)]
    assert_bptt_matches_finite_differences(CELLS[name](), xs, [r(2, 2) for _ in range(3)], tol=1e-6)


@pytest.mark.parametrize('mono', [False, True])
def test_bayesian_gru_bptt_matches_finite_differences(mono):
    """p > 0: the six lazy Dropout masks (mono: one row each) are kept until the backward; the gradients are
    those of the masked maps."""
    gru = nn.GRU(3, 2, None, 0.4, mono)
    assert len(gru.findModules('nn.Dropout')[0]) == 6
    assert_bptt_matches_finite_differences(gru, [r(2, 3) for _ in range(3)], [r(2, 2) for _ in range(3)])


@pytest.mark.parametrize('name', ['gru', 'mufuru'])
def test_jacobian_over_a_sequence(name):
    """nn.Jacobian over a 3-step sequence (the Unroll driver of test_recursor.py), input and parameters."""
    assert_jacobian(nn.Sequencer(CELLS[name]()), lg.DoubleTensor(3, 2, 3), tol=1e-4)


# --- sequences, types, GPU, errors -----------------------------------------------------------------------
def test_state_carries_over_until_forget():
    """Without forget() the next forward continues the sequence; forget() starts from zeros again."""
    gru = nn.GRU(3, 4).double()
    xs = [r(2, 3) for _ in range(6)]
    whole, _ = run_sequence(gru, xs)
    gru.forget()
    parts = [gru.forward(x).numpy().copy() for x in xs]
    np.testing.assert_allclose(parts, whole, rtol=1e-13)
    restarted, _ = run_sequence(gru, xs[3:])
    assert not np.allclose(restarted[0], whole[3])
    np.testing.assert_allclose(run_sequence(gru, xs[:3])[0], whole[:3], rtol=1e-13)


@pytest.mark.parametrize('name', CELLS)
def test_evaluation_reuses_the_step_module(name):
    """GRU.lua and Mufuru.lua in evaluation run recurrentModule itself, with the training numbers."""
    m = CELLS[name]().double()
    xs = [r(2, 3) for _ in range(4)]
    trained, _ = run_sequence(m, xs)
    m.evaluate()
    np.testing.assert_allclose(run_sequence(m, xs)[0], trained, rtol=1e-13)


@pytest.mark.parametrize('name', CELLS)
def test_type_roundtrip(name):
    """GRU.lua and Mufuru.lua: float() and double() convert a sequence through a Sequencer."""
    assert_type_roundtrip(nn.Sequencer(CELLS[name]()), lg.randn(3, 3, 3))


def test_a_conversion_keeps_the_sequence():
    """GRU.lua has no type() of its own: AbstractRecurrent's converts the states with the rest, and the next
    step continues the sequence (LSTM.lua's forgets)."""
    xs = [r(2, 3) for _ in range(3)]
    gru = nn.GRU(3, 4).double()
    whole, _ = run_sequence(gru, xs)
    gru.forget()
    gru.float()
    gru.forward(lg.as_tensor(xs[0]).float())
    gru.double()
    assert gru.step == 1 and gru.outputs[0].type() == 'legonn.DoubleTensor'
    np.testing.assert_allclose(gru.forward(lg.as_tensor(xs[1])).numpy(), whole[1], rtol=1e-5)
    lstm = nn.LSTM(3, 4)
    lstm.forward(lg.randn(2, 3))
    assert lstm.double().step == 0


@pytest.mark.gpu
@pytest.mark.parametrize('name', CELLS)
def test_gpu_matches_cpu(name):
    """GRU.lua and Mufuru.lua on the GPU (the simulator here): a step and a 4-step sequence match the CPU."""
    assert_cell_gpu_matches_cpu(CELLS[name])


def test_bad_input_is_refused_before_any_step():
    """GRU.lua's step input (batch x inputSize or inputSize) and gradOutput are checked before anything runs;
    MuFuRu takes batches (Mufuru.lua joins along dimension 2); setHiddenState asserts a tensor."""
    gru = nn.GRU(3, 4).double()
    for bad, match in ((lg.DoubleTensor(2, 5), '3 input features'), (lg.DoubleTensor(2, 2, 3), 'GRU'),
                       (lg.IntTensor(2, 3), 'GRU')):
        with pytest.raises((ValueError, TypeError), match=match):
            gru.forward(bad)
    assert gru.step == 0
    gru.forward(lg.DoubleTensor(2, 3).normal())
    gru.zeroGradParameters()
    assert_rejected(gru, ValueError, 'GRU', 'backward', lg.DoubleTensor(2, 3), lg.DoubleTensor(2, 7))
    assert_rejected(gru, ValueError, r'GRU.*gradOutput of size \(2, 4\), got \(8,\)', 'backward',
                    lg.DoubleTensor(2, 3), lg.DoubleTensor(8))
    with pytest.raises(ValueError, match='MuFuRu.*batch|MuFuRu'):
        nn.MuFuRu(3, 4).forward(lg.randn(3))
    with pytest.raises(TypeError, match='setHiddenState'):
        gru.setHiddenState(0, [lg.randn(4)])


@pytest.mark.parametrize('make', [lambda: nn.GRU(0, 4), lambda: nn.GRU(3, None), lambda: nn.GRU(3, 4, 0),
                                  lambda: nn.GRU(3, 4, 5, 1), lambda: nn.MuFuRu(3, 4, ['keep', 'nope']),
                                  lambda: nn.MuFuRu(3, 4, [])])
def test_bad_hyper_parameters(make):
    """GRU.lua's and Mufuru.lua's constructor arguments: sizes, rho, p and unknown ops are refused at
    construction."""
    with pytest.raises(ValueError):
        make()


def test_migrate_copies_a_gru_into_a_bayesian_gru():
    """GRU.lua's migrate: a p > 0 GRU given a p = 0 GRU's six parameters computes the same in evaluation."""
    plain, bayes = nn.GRU(3, 4).double(), nn.GRU(3, 4, None, 0.3).double()
    bayes.migrate(plain.parameters()[0])
    bayes.evaluate()
    xs = [r(2, 3) for _ in range(3)]
    np.testing.assert_allclose(run_sequence(bayes, xs)[0], run_sequence(plain, xs)[0], rtol=1e-12)
    with pytest.raises(ValueError, match='dropout'):
        plain.migrate(plain.parameters()[0])
    with pytest.raises(NotImplementedError):
        nn.MuFuRu(3, 4).migrate([])


def test_repr():
    """GRU.lua's and Mufuru.lua's __tostring__."""
    assert repr(nn.GRU(3, 4, None, 0.25)) == 'nn.GRU(3 -> 4, 0.25)'
    assert repr(nn.MuFuRu(3, 4, ['keep', 'max'])) == 'nn.MuFuRu(3 -> 4) { keep max }'


# --- ports of rnn's test/test.lua ------------------------------------------------------------------------
def test_gru_main():
    """test/test.lua GRU: a GRU over 3 steps against its step module unrolled by hand (clones sharing the
    parameters), outputs, gradInput and parameter gradients; the same after forget(). (The Lua decorates the
    GRU with maskZero(1), issue 145; here the GRU is bare.)"""
    batch, nIn, nOut, nStep = 2, 3, 5, 3
    gru = nn.GRU(nIn, nOut).double()
    stepModule = gru.recurrentModule.clone()
    xs = [lg.as_tensor(r(batch, nIn)) for _ in range(nStep)]
    gos = [lg.zeros(batch, nOut).double() for _ in range(nStep - 1)] + [lg.as_tensor(r(batch, nOut))]
    gru.zeroGradParameters()
    outs = [gru.forward(x).clone() for x in xs]
    gradInput = [gru.backward(xs[t], gos[t]).clone() for t in reversed(range(nStep))][-1]
    unrolled, inputs = unrolled_by_hand(stepModule, xs, [lg.zeros(batch, nOut).double()])
    out2 = unrolled.forward(inputs)
    unrolled.zeroGradParameters()
    gradInput2 = unrolled.backward(inputs, gos[-1])
    np.testing.assert_allclose(out2.numpy(), outs[-1].numpy(), atol=1e-12)
    np.testing.assert_allclose(gradInput2[1][1][0].numpy(), gradInput.numpy(), atol=1e-12)
    for g, g2 in zip(gru.parameters()[1], stepModule.parameters()[1]):
        np.testing.assert_allclose(g.numpy(), g2.numpy(), atol=1e-12)
    grads = [g.clone() for g in gru.parameters()[1]]
    assert gru.zeroTensor.sum() == 0
    gru.forget()
    gru.zeroGradParameters()
    outs3 = [gru.forward(x).clone() for x in xs]
    gradInput3 = [gru.backward(xs[t], gos[t]).clone() for t in reversed(range(nStep))][-1]
    np.testing.assert_allclose([o.numpy() for o in outs3], [o.numpy() for o in outs], atol=1e-12)
    np.testing.assert_allclose(gradInput3.numpy(), gradInput.numpy(), atol=1e-12)
    for g, g3 in zip(grads, gru.parameters()[1]):
        np.testing.assert_allclose(g3.numpy(), g.numpy(), atol=1e-12)


def test_mufuru_gradients():
    """test/test.lua MufuruGradients: checkgrad of a MuFuRu over a sequence trained with a cross-entropy
    (labels 0-based) on every step."""
    seqlen, batch, nIn, nOut = 3, 2, 2, 2
    model = nn.Sequencer(nn.MuFuRu(nIn, nOut)).double()
    params, grads = model.getParameters()
    crit = nn.CrossEntropyCriterion().double()
    x = lg.as_tensor(r(seqlen, batch, nIn))
    target = lg.LongTensor(rng.integers(0, nOut, (seqlen * batch,)).tolist())

    def feval(w):
        params.copy(w)
        model.zeroGradParameters()
        out = model.forward(x).view(seqlen * batch, nOut)
        err = crit.forward(out, target)
        model.backward(x, crit.backward(out, target).view(seqlen, batch, nOut))
        return err, grads

    assert optim.checkgrad(feval, params.clone())[0] < 1e-6


def test_get_and_set_hidden_state():
    """test/test.lua getHiddenState for the GRU (0-based steps): states and gradient states handed from a
    clone run ahead give the same forwards and backwards."""
    seqlen, batch = 7, 3
    gru = nn.GRU(4, 5).double()
    xs, gos = lg.as_tensor(r(2 * seqlen, batch, 4)), lg.as_tensor(r(2 * seqlen, batch, 5))
    gru2 = gru.clone()
    for t in range(seqlen):
        gru2.forward(xs[t])
    for t in range(seqlen):
        gru.setHiddenState(t - 1, gru2.getHiddenState(seqlen + t - 1))
        np.testing.assert_allclose(gru.forward(xs[seqlen + t]).numpy(), gru2.forward(xs[seqlen + t]).numpy(),
                                   atol=1e-12)
    gru.zeroGradParameters()
    gru2.zeroGradParameters()
    gru.forget()
    for t in range(seqlen):
        gru.forward(xs[t])
        np.testing.assert_allclose(gru.getHiddenState(t).numpy(), gru2.getHiddenState(t).numpy(), atol=1e-12)
    for t in reversed(range(seqlen, 2 * seqlen)):
        gru2.backward(xs[t], gos[t])
    gru2.zeroGradParameters()
    for t in reversed(range(seqlen)):
        gru.setGradHiddenState(t, gru2.getGradHiddenState(t))
        np.testing.assert_allclose(gru.backward(xs[t], gos[t]).numpy(), gru2.backward(xs[t], gos[t]).numpy(),
                                   atol=1e-12)
    for g, g2 in zip(gru.parameters()[1], gru2.parameters()[1]):
        np.testing.assert_allclose(g.numpy(), g2.numpy(), atol=1e-12)


# --- ports of rnn's test/GRU_test.lua (written for a sequence GRU taking {h0, x}: here the step-by-step GRU with
# userPrevOutput as h0, and rnn's convention s = (1 - z) h + z s) ------------------------------------------------
def test_forward_from_a_given_initial_state():
    """GRU_test.lua testForward: the outputs from a given h0 against a naive loop over the gates."""
    N, T, D, H = 3, 4, 5, 6
    gru = nn.GRU(D, H).double()
    h0, x = r(N, H), r(N, T, D)
    gru.userPrevOutput = lg.as_tensor(h0)
    outs, _ = run_sequence(gru, [x[:, t] for t in range(T)])
    W, b, U, Wh, bh, Uh = (p.numpy() for p in gru.parameters()[0])
    prev = h0
    for t in range(T):
        a = x[:, t] @ W.T + b + prev @ U.T
        reset, update = sigmoid(a[:, :H]), sigmoid(a[:, H:])
        hc = np.tanh(x[:, t] @ Wh.T + bh + (prev * reset) @ Uh.T)
        prev = hc * (1 - update) + prev * update
        np.testing.assert_allclose(outs[t], prev, rtol=1e-10)


def test_gradcheck_with_an_initial_state():
    """GRU_test.lua gradcheck: the gradients of x, h0 (getGradHiddenState(-1)), the weights and the biases
    against central differences of sum(dh * h)."""
    N, T, D, H = 2, 3, 4, 5
    gru = nn.GRU(D, H).double()
    x, h0, dh = r(T, N, D), r(N, H), r(T, N, H)

    def loss():
        gru.userPrevOutput = lg.as_tensor(h0)
        return sum(float((o * g).sum()) for o, g in zip(run_sequence(gru, list(x))[0], dh))

    gru.zeroGradParameters()
    gru.userPrevOutput = lg.as_tensor(h0)
    _, dx = run_sequence(gru, list(x), list(dh))
    dh0 = gru.getGradHiddenState(-1).numpy().copy()
    exact = [np.array(dx), dh0] + [g.numpy().copy() for g in gru.parameters()[1]]
    arrays = [x, h0] + [p.numpy() for p in gru.parameters()[0]]
    for a, g in zip(arrays, exact):
        for i in np.ndindex(a.shape):
            assert abs(central_difference(loss, a, i) - g[i]) < 1e-7


def test_every_sequence_starts_from_zeros_after_forget():
    """GRU_test.lua noHiddenTest: sequence after sequence, with forget() between them the initial state is
    zero (the outputs are those of a fresh GRU) and gradInputs have the input's sizes."""
    N, T, D, H = 4, 5, 6, 7
    gru = nn.GRU(D, H).double()
    fresh = gru.clone()
    for _ in range(3):
        x, dout = r(T, N, D), r(T, N, H)
        outs, gis = run_sequence(gru, list(x), list(dout))
        assert all(g.shape == (N, D) for g in gis)
        np.testing.assert_allclose(outs, run_sequence(fresh, list(x))[0], rtol=1e-13)
        np.testing.assert_array_equal(gru.getHiddenState(-1).numpy(), np.zeros((N, H)))


def test_remembered_state_carries_to_the_next_sequence():
    """GRU_test.lua rememberStatesTest: without forget() each sequence starts from the last output of the one
    before; forget() (its resetStates) makes the next start from zeros."""
    N, T, D, H = 5, 6, 7, 8
    gru = nn.GRU(D, H).double()
    reference = gru.clone()
    final = np.zeros((N, H))
    gru.forget()
    for _ in range(4):
        x = r(T, N, D)
        outs = [gru.forward(lg.as_tensor(step)).numpy().copy() for step in x]
        reference.userPrevOutput = lg.as_tensor(final)
        np.testing.assert_allclose(outs, run_sequence(reference, list(x))[0], rtol=1e-12)
        final = outs[-1]
    gru.forget()
    reference.userPrevOutput = None
    x = r(T, N, D)
    np.testing.assert_allclose([gru.forward(lg.as_tensor(step)).numpy().copy() for step in x],
                               run_sequence(reference, list(x))[0], rtol=1e-13)
    np.testing.assert_array_equal(gru.getHiddenState(-1).numpy(), np.zeros((N, H)))


@pytest.mark.parametrize('make', [lambda: nn.GRU(3, 4), lambda: nn.MuFuRu(3, 4)], ids=['gru', 'mufuru'])
def test_trained_sequences_equal_an_unrolled_step_module_bit_for_bit(make):
    """GRU.lua's and Mufuru.lua's steps through AbstractRecurrent.lua's bookkeeping add no arithmetic of their
    own: see ``assert_sequencer_equals_unrolled_step_module`` (the step module maps [x, h] to h)."""
    assert_sequencer_equals_unrolled_step_module(make().double(), 3, [4])
