"""BiSequencer and BiSequencerLM (rnn's BiSequencer.lua, BiSequencerLM.lua): a forward rnn over the sequence, a
backward rnn over it reversed, their step outputs merged."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import (assert_gpu_matches_cpu, assert_jacobian, assert_rejected, assert_type_roundtrip,
                          central_difference, numeric_gradient)

rng = np.random.default_rng(5)
N, D, H, T = 3, 4, 5, 4


def seq(n=T, size=D, batch=N):
    return [lg.from_numpy(rng.normal(size=(batch, size))) for _ in range(n)]


def numpy_of(xs):
    return [x.numpy().copy() for x in xs]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def fast_lstm_reference(lstm, xs):
    """FastLSTM.lua's step in float64 NumPy: gates = i2g(x) + o2g(h), split into input gate, candidate, forget
    gate and output gate; c = f * c + i * tanh(candidate); h = o * tanh(c); zero initial h and c."""
    w, b = lstm.i2g.weight.numpy(), lstm.i2g.bias.numpy()
    u = lstm.o2g.weight.numpy()
    n = u.shape[1]
    h = np.zeros((xs[0].shape[0], n))
    c = np.zeros_like(h)
    outs = []
    for x in xs:
        g = x @ w.T + b + h @ u.T
        i, cand, f, o = sigmoid(g[:, :n]), np.tanh(g[:, n:2 * n]), sigmoid(g[:, 2 * n:3 * n]), sigmoid(g[:, 3 * n:])
        c = f * c + i * cand
        h = o * np.tanh(c)
        outs.append(h)
    return outs


def test_bisequencer_output_is_both_directions_joined():
    """BiSequencer.lua against a float64 NumPy reference: step t's output is [fwd_t, bwd_t] joined along the
    features, where fwd reads steps 0..T-1 and bwd reads T-1..0 (each FastLSTM from zero state)."""
    fwd, bwd = nn.FastLSTM(D, H).double(), nn.FastLSTM(D, H).double()
    brnn = nn.BiSequencer(fwd, bwd)
    xs = seq()
    out = brnn.forward(xs)
    x_np = numpy_of(xs)
    f_ref = fast_lstm_reference(fwd, x_np)
    b_ref = fast_lstm_reference(bwd, x_np[::-1])[::-1]
    assert len(out) == T
    for t in range(T):
        np.testing.assert_allclose(out[t].numpy(), np.concatenate([f_ref[t], b_ref[t]], 1), rtol=1e-12, atol=1e-14)


def test_bisequencerlm_output_is_shifted_directions_joined():
    """BiSequencerLM.lua against a float64 NumPy reference: step t's output is [fwd_{t-1}, bwd_{t+1}], fwd over
    steps 0..T-2, bwd over T-1..1, zeros for fwd at step 0 and for bwd at step T-1."""
    fwd, bwd = nn.FastLSTM(D, H).double(), nn.FastLSTM(D, H).double()
    brnn = nn.BiSequencerLM(fwd, bwd)
    xs = seq()
    out = brnn.forward(xs)
    x_np = numpy_of(xs)
    f_ref = [np.zeros((N, H))] + fast_lstm_reference(fwd, x_np[:-1])
    b_ref = fast_lstm_reference(bwd, x_np[1:][::-1])[::-1] + [np.zeros((N, H))]
    assert len(out) == T
    for t in range(T):
        np.testing.assert_allclose(out[t].numpy(), np.concatenate([f_ref[t], b_ref[t]], 1), rtol=1e-12, atol=1e-14)


def test_bisequencerlm_gradients_by_finite_differences_of_a_loss():
    """BiSequencerLM.lua's backward (the gradient of middle steps summed from both rnns, the first step's from
    fwd alone, the last's from bwd alone) against central differences of sum(output * gradOutput) for every
    input element and parameter, float64."""
    brnn = nn.BiSequencerLM(nn.FastLSTM(D, H), nn.FastLSTM(D, H)).double()
    xs, gos = seq(), seq(size=2 * H)

    def loss():
        return sum(float((o.numpy() * g.numpy()).sum()) for o, g in zip(brnn.forward(xs), gos))

    brnn.zeroGradParameters()
    brnn.forward(xs)
    gis = [g.clone() for g in brnn.backward(xs, gos)]
    for x, gi in zip(xs, gis):
        np.testing.assert_allclose(gi.numpy(), numeric_gradient(loss, x.numpy()), atol=1e-7)
    for p, g in zip(*brnn.parameters()):
        a, g = p.numpy(), g.numpy().copy()
        flat = a.reshape(-1)
        for k in rng.choice(flat.size, size=min(8, flat.size), replace=False):
            assert abs(g.reshape(-1)[k] - central_difference(loss, flat, k)) < 1e-7


@pytest.mark.parametrize('cls', [nn.BiSequencer, nn.BiSequencerLM])
def test_jacobian_over_a_short_sequence(cls):
    """BiSequencer.lua / BiSequencerLM.lua: nn.Jacobian of input and every parameter over a 3-step sequence of
    FastLSTMs, float64."""
    brnn = cls(nn.FastLSTM(D, H), nn.FastLSTM(D, H))
    assert_jacobian(brnn, seq(3, batch=2), tol=1e-6)


@pytest.mark.parametrize('cls', [nn.BiSequencer, nn.BiSequencerLM])
def test_jacobian_with_a_cadd_merge(cls):
    """A merge module other than the default JoinTable (BiSequencer.lua's third argument): CAddTable adds the
    two directions; Jacobians of input and parameters, float64."""
    brnn = cls(nn.LSTM(D, H), nn.LSTM(D, H), nn.CAddTable())
    out = brnn.double().forward(seq(3))
    assert tuple(out[0].size()) == (N, H)
    assert_jacobian(brnn, seq(3, batch=2), tol=1e-6)


def test_default_backward_is_a_reset_clone_and_merge_number_is_nInputDims():
    """BiSequencer.lua's defaults: bwd = fwd:clone() then reset (new parameters, not shared), merge = JoinTable
    along the features with nInputDims 1; a number as merge is JoinTable's nInputDims (2: 3-D steps are batches
    of 2-D ones)."""
    fwd = nn.LSTM(D, H)
    brnn = nn.BiSequencer(fwd)
    assert brnn.forwardModule is fwd and brnn.backwardModule is not fwd
    pf, pb = fwd.parameters()[0], brnn.backwardModule.parameters()[0]
    assert len(pf) == len(pb)
    assert all(a.storage() is not b.storage() for a, b in zip(pf, pb))
    assert any(not np.array_equal(a.numpy(), b.numpy()) for a, b in zip(pf, pb))
    assert isinstance(brnn.mergeModule, nn.JoinTable) and brnn.mergeModule.nInputDims == 1
    assert brnn.mergeModule.dimension == 0
    three_d = nn.BiSequencer(nn.Tanh(), None, 2)
    assert three_d.mergeModule.nInputDims == 2
    out = three_d.forward([lg.randn(2, 3, D) for _ in range(2)])
    assert tuple(out[0].size()) == (2, 6, D)   # JoinTable(1, 2) of 3-D steps joins their dimension 1


def test_fields_and_structure():
    """BiSequencer.lua's fields (forwardModule, backwardModule, mergeModule, fwdSeq, bwdSeq, mergeSeq, module)
    and BiSequencerLM.lua's (an AbstractRecurrent wrapped in a Sequencer, any other module used as given;
    modules = {_fwd, _bwd, _merge})."""
    brnn = nn.BiSequencer(nn.LSTM(D, H))
    assert brnn.modules == [brnn.module]
    assert brnn.fwdSeq.module is brnn.forwardModule and brnn.bwdSeq.module is brnn.backwardModule
    assert isinstance(brnn.mergeSeq, nn.Sequencer)
    given = nn.Sequencer(nn.LSTM(D, H))
    lm = nn.BiSequencerLM(given, nn.LSTM(D, H))
    assert lm.fwdSeq is given and isinstance(lm.bwdSeq, nn.Sequencer)
    assert lm.modules == [lm._fwd, lm._bwd, lm._merge]
    assert 'BiSequencerLM' in repr(lm) and '( merge )' in repr(lm)


@pytest.mark.parametrize('cls', [nn.BiSequencer, nn.BiSequencerLM])
def test_variable_length_sequences(cls):
    """BiSequencer.lua: the sequence length can change from one batch to the next (each forward is a new
    sequence); a shorter sequence after a longer one gives what a fresh module gives."""
    brnn = cls(nn.FastLSTM(D, H), nn.FastLSTM(D, H)).double()
    twin = brnn.clone()
    long_, short = seq(5), seq(3)
    brnn.forward(long_)
    brnn.backward(long_, seq(5, size=2 * H))
    out = brnn.forward(short)
    gi = brnn.backward(short, gos := seq(3, size=2 * H))
    out2 = twin.forward(short)
    gi2 = twin.backward(short, gos)
    assert len(out) == len(gi) == 3
    for a, b in zip(out + gi, out2 + gi2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


@pytest.mark.parametrize('cls', [nn.BiSequencer, nn.BiSequencerLM])
def test_float_double_roundtrip(cls):
    """float()/double() convert every rnn of both directions and the merge; outputs agree."""
    assert_type_roundtrip(cls(nn.FastLSTM(D, H), nn.LSTM(D, H)), seq(3))


@pytest.mark.gpu
@pytest.mark.parametrize('cls', [nn.BiSequencer, nn.BiSequencerLM])
def test_gpu_matches_cpu(cls):
    """cuda(): output, gradInput and parameter gradients equal the CPU module's (float64)."""
    assert_gpu_matches_cpu(cls(nn.FastLSTM(D, H), nn.LSTM(D, H)), seq(3))


def test_bad_constructor_arguments():
    """BiSequencer.lua's / BiSequencerLM.lua's argument errors: forward and backward must be modules, merge a
    module or a number."""
    for cls in (nn.BiSequencer, nn.BiSequencerLM):
        with pytest.raises(TypeError, match=f"{cls.__name__}: expected an nn module as forward"):
            cls('lstm')
        with pytest.raises(TypeError, match="as backward"):
            cls(nn.LSTM(D, H), 3)
        with pytest.raises(TypeError, match="as merge"):
            cls(nn.LSTM(D, H), None, 'join')


@pytest.mark.parametrize('cls, steps', [(nn.BiSequencer, 1), (nn.BiSequencerLM, 2)])
def test_bad_input(cls, steps):
    """A tensor instead of a table (the reversal needs a table), too short a sequence, and a gradOutput of the
    wrong length are refused naming the module, and change no parameter."""
    brnn = cls(nn.LSTM(D, H)).double()
    assert_rejected(brnn, TypeError, f"{cls.__name__}.*table", 'forward', lg.randn(T, N, D).double())
    assert_rejected(brnn, ValueError, f"{cls.__name__}.*at least {steps} step", 'forward', seq(steps - 1))
    xs = seq()
    brnn.forward(xs)
    assert_rejected(brnn, ValueError, "step", 'backward', xs, seq(T - 1, size=2 * H))
    assert_rejected(brnn, ValueError, f"{cls.__name__}.*LSTM.*expected", 'forward',
                    [lg.randn(N, D).double(), lg.randn(N + 1, D).double()] + seq(2))


def _rnn_test_lua_port(cls, shift):
    """The shared body of rnn test.lua's BiSequencer and BiSequencerLM tests: the module against Sequencers of
    the two LSTMs, ZipTable and a Sequencer of JoinTable driven by hand; its parameters and gradients against
    those of Sequential(fwd, bwd), and again after updateParameters(0.1) and zeroGradParameters."""
    hidden, batch, n = 8, 4, 3
    fwd, bwd = nn.LSTM(hidden, hidden).double(), nn.LSTM(hidden, hidden).double()
    fwd.zeroGradParameters()
    bwd.zeroGradParameters()
    brnn = cls(fwd.clone(), bwd.clone())
    xs = [lg.randn(batch, hidden).double() for _ in range(n)]
    gos = [lg.randn(batch, 2 * hidden).double() for _ in range(n)]
    outs = brnn.forward(xs)
    gis = brnn.backward(xs, gos)
    assert len(outs) == len(gis) == n

    fwd_seq, bwd_seq = nn.Sequencer(fwd), nn.Sequencer(bwd)
    merge = nn.Sequential().add(nn.ZipTable()).add(nn.Sequencer(nn.JoinTable(0, 1)))
    f_in = xs[:-1] if shift else xs
    b_in = xs[1:] if shift else xs
    f_out = list(fwd_seq.forward(f_in))
    b_out = list(bwd_seq.forward(b_in[::-1]))[::-1]
    if shift:
        f_out = [f_out[0].clone().zero()] + f_out
        b_out = b_out + [b_out[0].clone().zero()]
    outs2 = merge.forward([f_out, b_out])
    for a, b in zip(outs, outs2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)

    mg = merge.backward([f_out, b_out], gos)
    f_go, b_go = (mg[0][1:], mg[1][:-1]) if shift else (mg[0], mg[1])
    b_gi = list(bwd_seq.backward(b_in[::-1], b_go[::-1]))[::-1]
    f_gi = fwd_seq.backward(f_in, f_go)
    for t, gi in enumerate(gis):
        if not shift:
            want = f_gi[t].numpy() + b_gi[t].numpy()
        elif t == 0:
            want = f_gi[0].numpy()
        elif t == n - 1:
            want = b_gi[n - 2].numpy()
        else:
            want = f_gi[t].numpy() + b_gi[t - 1].numpy()
        np.testing.assert_allclose(gi.numpy(), want, atol=1e-6)

    brnn2 = nn.Sequential().add(fwd).add(bwd)
    params, grads = brnn.parameters()
    params2, grads2 = brnn2.parameters()
    assert len(params) == len(params2) == len(grads)
    for p, p2, g, g2 in zip(params, params2, grads, grads2):
        np.testing.assert_allclose(p.numpy(), p2.numpy(), atol=1e-6)
        np.testing.assert_allclose(g.numpy(), g2.numpy(), atol=1e-6)
    brnn.updateParameters(0.1)
    brnn2.updateParameters(0.1)
    brnn.zeroGradParameters()
    brnn2.zeroGradParameters()
    for p, p2, g, g2 in zip(params, params2, grads, grads2):
        np.testing.assert_allclose(p.numpy(), p2.numpy(), atol=1e-6)
        np.testing.assert_allclose(g.numpy(), g2.numpy(), atol=1e-6)


def test_rnn_test_lua_bisequencer():
    """rnn test/test.lua rnntest.BiSequencer, rewritten: outputs, gradInputs, parameters and their update."""
    _rnn_test_lua_port(nn.BiSequencer, shift=False)


def test_rnn_test_lua_bisequencerlm():
    """rnn test/test.lua rnntest.BiSequencerLM, rewritten: outputs (zero-padded shifted directions),
    gradInputs, parameters and their update."""
    _rnn_test_lua_port(nn.BiSequencerLM, shift=True)


@pytest.mark.parametrize('cls', [nn.BiSequencer, nn.BiSequencerLM])
def test_acc_update_grad_parameters(cls):
    """BiSequencerLM.lua's accUpdateGradParameters (and the one Decorator gives BiSequencer): the same parameters
    as a backward then updateParameters(lr) on a twin."""
    brnn = cls(nn.FastLSTM(D, H)).double()
    twin = brnn.clone()
    xs, gos = seq(), seq(size=2 * H)
    brnn.forward(xs)
    brnn.updateGradInput(xs, gos)
    brnn.accUpdateGradParameters(xs, gos, 0.1)
    twin.zeroGradParameters()
    twin.forward(xs)
    twin.backward(xs, gos)
    twin.updateParameters(0.1)
    for p, q in zip(brnn.parameters()[0], twin.parameters()[0]):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-12, atol=1e-15)


def test_torch_rnn_sequence_form():
    """torch/rnn's BiSequencer(forward) of a module reading whole sequences (SeqLSTM): a seqlen x batch x size
    tensor in, the forward output plus the backward layer's output on the reversed sequence, reversed back
    (CAddTable by default); Jacobian in float64; a zero mask reaches the backward rnn reversed; bad merge
    refused; the Element-Research form of a step module is unchanged (a table of steps)."""
    brnn = nn.BiSequencer(nn.SeqLSTM(D, H)).double()
    assert brnn.sequence_form and lg.typename(brnn.mergeModule) == 'nn.CAddTable'
    x = lg.from_numpy(rng.normal(size=(T, N, D)))
    fwd, bwd = brnn.getForward(), brnn.getBackward()
    want = fwd.clone().forward(x).numpy() + np.flip(bwd.clone().forward(lg.from_numpy(
        np.ascontiguousarray(np.flip(x.numpy(), 0)))).numpy(), 0)
    np.testing.assert_allclose(brnn.forward(x).numpy(), want, rtol=1e-12)
    assert_jacobian(nn.BiSequencer(nn.SeqGRU(D, H)), x)
    masked = nn.BiSequencer(nn.SeqLSTM(D, H).maskZero()).double()
    mask = lg.ByteTensor(T, N).zero()
    mask[0, 1] = 1
    masked.setZeroMask(mask)
    out = masked.forward(x)
    # both directions' outputs of the padded row are zero: the backward rnn got the mask reversed
    assert not out[0, 1].numpy().any() and out[1, 1].numpy().any()
    with pytest.raises(TypeError, match=r"nn\.BiSequencer: expected an nn module or nil as merge \(argument 3\), "
                                        r"got int"):
        nn.BiSequencer(nn.SeqLSTM(D, H), None, 3)
    assert not nn.BiSequencer(nn.LSTM(D, H)).sequence_form
    # torch/rnn's remember: the forward rnn's mode, never the backward's
    assert masked.remember('both') is masked
    assert masked.getForward()._remember == 'both' and masked.getBackward()._remember == 'neither'


def test_error_paths_read_as_the_printed_tree():
    """print(brnn) shows ``nn.BiSequencer @ nn.Sequential {`` then ``(2): nn.Sequencer @ nn.Recursor @
    nn.JoinTable(0)``: an error's path reads the same, each decorator as ``X @`` (it read ``BiSequencer[0]
    Sequential[2]``, a decorator's index print never shows, beside ``Sequencer @ Recursor @ JoinTable(0)``)."""
    brnn = nn.BiSequencer(nn.Linear(3, 4), nn.Linear(3, 5))
    xs = [lg.randn(2, 3), lg.randn(2, 3)]
    brnn.forward(xs)
    assert '(2): nn.Sequencer @ nn.Recursor @ nn.JoinTable(0)' in repr(brnn)
    with pytest.raises(ValueError, match=r'^BiSequencer @ Sequential\[2\] Sequencer @ Recursor @ JoinTable\(0\): '
                                         r'expected a gradOutput of 2 steps, got 1'):
        brnn.backward(xs, [lg.randn(2, 9)])
    with pytest.raises(ValueError, match=r'^BiSequencer @ Sequential\[0\] ConcatTable\[0\] Sequencer @ '
                                         r'Recursor\[step 1\] Linear\(3 -> 4\): expected 3 input features, got 4'):
        brnn.forward([lg.randn(2, 3), lg.randn(2, 4)])
