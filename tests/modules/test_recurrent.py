"""The rnn package's fused sequence modules: SeqLSTM, SeqGRU, SeqBRNN, Sequencer, SeqReverseSequence (and torch/rnn's
ReverseSequence),
SequencerCriterion. Gradients by finite differences (maskzero and remember() included), results against
a step-by-step gModule cell built from legonn's own modules with the same weights."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules import Module
from tests.checks import assert_jacobian, standard_tests

T, N, D, H = 5, 3, 4, 6


def seq(*sizes):
    return lg.DoubleTensor(*sizes).uniform(-1, 1)


def batch_first(rnn):
    """rnn's ``seqlstm.batchfirst = true``: sequences batch x seqlen x ... (SeqLSTM.lua, SeqGRU.lua)."""
    rnn.batchfirst = True
    return rnn


CASES = {
    'lstm': lambda: (nn.SeqLSTM(D, H), seq(T, N, D)),
    'lstm-h0': lambda: (nn.SeqLSTM(D, H), [seq(N, H), seq(T, N, D)]),
    'lstm-c0-h0': lambda: (nn.SeqLSTM(D, H), [seq(N, H), seq(N, H), seq(T, N, D)]),
    'lstm-one-step': lambda: (nn.SeqLSTM(D, H), seq(1, N, D)),
    'gru': lambda: (nn.SeqGRU(D, H), seq(T, N, D)),
    'gru-h0': lambda: (nn.SeqGRU(D, H), [seq(N, H), seq(T, N, D)]),
    'brnn': lambda: (nn.SeqBRNN(D, H), seq(T, N, D)),
    'lstm-batchfirst': lambda: (batch_first(nn.SeqLSTM(D, H)), seq(N, T, D)),
    'lstm-batchfirst-c0-h0': lambda: (batch_first(nn.SeqLSTM(D, H)), [seq(N, H), seq(N, H), seq(N, T, D)]),
    'gru-batchfirst': lambda: (batch_first(nn.SeqGRU(D, H)), seq(N, T, D)),
    'brnn-batchfirst-join': lambda: (nn.SeqBRNN(D, H, True, nn.JoinTable(2)), seq(N, T, D)),
    'reverse': lambda: (nn.SeqReverseSequence(), seq(T, N, D)),
    'reverse-dim1': lambda: (nn.SeqReverseSequence(1), seq(T, N, D)),
    'torch-rnn-reverse': lambda: (nn.ReverseSequence(), seq(T, N, D)),
    'torch-rnn-reverse-table': lambda: (nn.ReverseSequence(), [seq(N, D), seq(N, D), seq(N, D)]),
    'sequencer': lambda: (nn.Sequencer(nn.Sequential().add(nn.Linear(D, 2)).add(nn.Tanh())), seq(T, N, D)),
    'sequencer-table': lambda: (nn.Sequencer(nn.Linear(D, 2)), [seq(N, D), seq(N, D)]),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), lambda case: CASES[case]())


class KeepRows(Module):
    """Multiplies the input by a fixed 0/1 mask: perturbing a masked entry leaves it zero, so maskzero's
    mask stays put under finite differences."""

    def __init__(self, keep):
        super().__init__()
        self.keep = keep

    def updateOutput(self, input):
        self.output.resizeAs(input).array[...] = input.array * self.keep
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).array[...] = gradOutput.array * self.keep
        return self.gradInput


def keep_mask():
    keep = np.ones((T, N, 1))
    keep[1, 0] = keep[3, 2] = keep[0, 1] = keep[4, 1] = 0
    return keep


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_maskzero_jacobian_and_zero_rows(cls):
    keep = keep_mask()
    rnn = cls(D, H, maskzero=True)
    net = nn.Sequential().add(KeepRows(keep)).add(rnn)
    assert_jacobian(net, seq(T, N, D))
    x = seq(T, N, D)
    out = net.forward(x).numpy()
    assert np.all(out[keep[..., 0] == 0] == 0) and np.all(out[keep[..., 0] == 1] != 0)
    # after a masked step the row restarts from zeros: step 2 of row 0 equals a fresh start on it
    masked_input = x.numpy() * keep
    fresh = cls(D, H).double()
    fresh.weight.copy(rnn.weight)
    fresh.bias.copy(rnn.bias)
    restart = fresh.forward(lg.from_numpy(np.ascontiguousarray(masked_input[2:, :1]))).numpy()
    np.testing.assert_allclose(out[2:, :1], restart, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_remember_carries_the_state_across_calls(cls):
    rnn = cls(D, H).double().remember()
    whole = seq(2 * T, N, D)
    first, second = whole.narrow(0, 0, T).clone(), whole.narrow(0, T, T).clone()
    rnn.forward(first)
    carried = rnn.forward(second).numpy().copy()
    rnn.forget()
    np.testing.assert_allclose(carried, rnn.forward(whole).numpy()[T:], rtol=1e-12)
    assert not np.allclose(carried, cls(D, H).double().share(rnn, 'weight', 'bias').forward(second).numpy())
    # 'eval' only: in training each call starts from zeros again
    rnn.remember('eval').forget()
    rnn.forward(first)
    np.testing.assert_allclose(rnn.forward(second).numpy(), rnn.forward(second).numpy())
    with pytest.raises(ValueError, match='remember'):
        rnn.remember('always')
    rnn.remember('both')
    with pytest.raises(ValueError, match=f'expected a batch of {N} sequences'):
        rnn.forward(seq(T, N + 1, D))
    assert rnn.forget().forward(seq(T, N + 1, D)).size() == (T, N + 1, H)


class SecondCall(Module):
    """Forward = the rnn's second call on ``x``, the first call on a fixed sequence having set the
    remembered state; gradients stop at the call boundary, as in the rnn package."""

    def __init__(self, rnn, first):
        super().__init__()
        self.rnn, self.first = rnn.remember(), first

    def updateOutput(self, input):
        self.rnn.forget()
        self.rnn.forward(self.first)
        self.output = self.rnn.forward(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.rnn.updateGradInput(input, gradOutput)
        return self.gradInput


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_remember_jacobian_across_calls(cls):
    rnn = cls(D, H).double()
    assert_jacobian(SecondCall(rnn, seq(T, N, D)), seq(T, N, D), params=False)


class UserStates(Module):
    """Forward with userPrevOutput (and userPrevCell) set to fixed tensors before each call."""

    def __init__(self, rnn, h0, c0=None):
        super().__init__()
        self.rnn, self.h0, self.c0 = rnn, h0, c0

    def parameters(self):
        return self.rnn.parameters()

    def updateOutput(self, input):
        self.rnn.userPrevOutput, self.rnn.userPrevCell = self.h0, self.c0
        self.output = self.rnn.forward(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.rnn.updateGradInput(input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.rnn.accGradParameters(input, gradOutput, scale)


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_user_prev_states(cls):
    h0, c0 = seq(N, H), seq(N, H)
    states = [c0, h0] if cls is nn.SeqLSTM else [h0]
    rnn = cls(D, H).double()
    assert_jacobian(UserStates(rnn, *states[::-1]), seq(T, N, D))
    x = seq(T, N, D)
    with_table = rnn.forward(states + [x]).numpy().copy()
    grads = [g.numpy().copy() for g in rnn.backward(states + [x], lg.ones(T, N, H).double())]
    rnn.userPrevOutput, rnn.userPrevCell = h0, (c0 if cls is nn.SeqLSTM else None)
    np.testing.assert_allclose(rnn.forward(x).numpy(), with_table, rtol=1e-12)
    assert rnn.userPrevOutput is None   # used once
    rnn.backward(x, lg.ones(T, N, H).double())
    np.testing.assert_allclose(rnn.userGradPrevOutput.numpy(), grads[-2], rtol=1e-12)


# --- against a step-by-step gModule cell of legonn's own modules -----------------------------------------
def lstm_cell(rnn):
    """(x, c, h) -> (c', h') from Linear/Sigmoid/Tanh/CMulTable/CAddTable, SeqLSTM's weights copied in."""
    x, c, h = nn.Identity()(), nn.Identity()(), nn.Identity()()
    lin = nn.Linear(D + H, 4 * H).double()
    lin.weight.copy(rnn.weight.t())
    lin.bias.copy(rnn.bias)
    pre = lin(nn.JoinTable(1)([x, h]))
    i, f, o = (nn.Sigmoid()(nn.Narrow(1, k * H, H)(pre)) for k in range(3))
    g = nn.Tanh()(nn.Narrow(1, 3 * H, H)(pre))
    c2 = nn.CAddTable()([nn.CMulTable()([f, c]), nn.CMulTable()([i, g])])
    h2 = nn.CMulTable()([o, nn.Tanh()(c2)])
    return nn.gModule([x, c, h], [c2, h2]).double(), [lin]


def gru_cell(rnn):
    """(x, h) -> (h,) with the reset gate before the recurrent product, SeqGRU's weights copied in."""
    W, b = rnn.weight, rnn.bias
    x, h = nn.Identity()(), nn.Identity()()
    gates = nn.Linear(D + H, 2 * H).double()
    gates.weight.copy(W.narrow(1, 0, 2 * H).t())
    gates.bias.copy(b.narrow(0, 0, 2 * H))
    cand_x, cand_h = nn.Linear(D, H).double(), nn.Linear(H, H, bias=False).double()
    cand_x.weight.copy(W.narrow(0, 0, D).narrow(1, 2 * H, H).t())
    cand_x.bias.copy(b.narrow(0, 2 * H, H))
    cand_h.weight.copy(W.narrow(0, D, H).narrow(1, 2 * H, H).t())
    ru = nn.Sigmoid()(gates(nn.JoinTable(1)([x, h])))
    r, u = nn.Narrow(1, 0, H)(ru), nn.Narrow(1, H, H)(ru)
    hc = nn.Tanh()(nn.CAddTable()([cand_x(x), cand_h(nn.CMulTable()([r, h]))]))
    h2 = nn.CAddTable()([hc, nn.CMulTable()([u, nn.CSubTable()([h, hc])])])
    return nn.gModule([x, h], [h2]).double(), [gates, cand_x, cand_h]


def unrolled(cell, n_states, x, grad_out):
    """Outputs, gradInput and the per-step cells after forward and BPTT through clones of ``cell``."""
    cells = [cell.clone() for _ in range(T)]
    state, inputs, outs = [lg.zeros(N, H).double() for _ in range(n_states)], [], []
    for t in range(T):
        inputs.append([x.select(0, t)] + state)
        out = cells[t].forward(inputs[-1])
        state = out if isinstance(out, list) else [out]
        outs.append(state[-1].numpy().copy())
    dstate, dx = [lg.zeros(N, H).double() for _ in range(n_states)], []
    for t in range(T - 1, -1, -1):
        dstate[-1] = dstate[-1] + grad_out.select(0, t)
        cells[t].zeroGradParameters()
        g = cells[t].backward(inputs[t], dstate if n_states > 1 else dstate[0])
        dx.append(g[0].numpy().copy())
        dstate = [s.clone() for s in g[1:]]
    return np.stack(outs), np.stack(dx[::-1]), cells


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_equals_a_step_by_step_gmodule(cls):
    rnn = cls(D, H).double()
    rnn.bias.uniform(-1, 1)
    x, grad_out = seq(T, N, D), seq(T, N, H)
    cell, linears = (lstm_cell if cls is nn.SeqLSTM else gru_cell)(rnn)
    outs, dx, cells = unrolled(cell, 2 if cls is nn.SeqLSTM else 1, x, grad_out)
    np.testing.assert_allclose(rnn.forward(x).numpy(), outs, rtol=1e-10, atol=1e-12)
    rnn.zeroGradParameters()
    np.testing.assert_allclose(rnn.backward(x, grad_out).numpy(), dx, rtol=1e-10, atol=1e-12)
    # each step's Linear gradients, summed over the steps, mapped into SeqLSTM/SeqGRU's layout
    sums = [sum(c.findModules('nn.Linear')[0][k].gradWeight.numpy() for c in cells) for k in range(len(linears))]
    bias_sums = [sum(c.findModules('nn.Linear')[0][k].gradBias.numpy() for c in cells)
                 for k in range(len(linears)) if linears[k].bias is not None]
    gW, gb = rnn.gradWeight.numpy(), rnn.gradBias.numpy()
    found = cells[0].findModules('nn.Linear')[0]
    by_shape = {tuple(m.weight.size()): k for k, m in enumerate(found)}
    if cls is nn.SeqLSTM:
        np.testing.assert_allclose(gW, sums[0].T, rtol=1e-10)
        np.testing.assert_allclose(gb, bias_sums[0], rtol=1e-10)
    else:
        g_gates, g_cx, g_ch = (sums[by_shape[s]] for s in ((2 * H, D + H), (H, D), (H, H)))
        np.testing.assert_allclose(gW[:, :2 * H], g_gates.T, rtol=1e-10)
        np.testing.assert_allclose(gW[:D, 2 * H:], g_cx.T, rtol=1e-10)
        np.testing.assert_allclose(gW[D:, 2 * H:], g_ch.T, rtol=1e-10)


# --- containers and criterion ----------------------------------------------------------------------------
def test_seqbrnn_is_forward_plus_reversed_backward():
    brnn = nn.SeqBRNN(D, H).double()
    x = seq(T, N, D)
    fwd = brnn.forwardModule.forward(x).numpy().copy()
    bwd = brnn.backwardModule.forward(lg.from_numpy(x.numpy()[::-1].copy())).numpy()[::-1]
    np.testing.assert_allclose(brnn.forward(x).numpy(), fwd + bwd, rtol=1e-12)
    assert len(brnn.parameters()[0]) == 4


def test_sequencer_applies_the_module_at_each_step_with_shared_parameters():
    lin = nn.Linear(D, 2).double()
    s = nn.Sequencer(lin)
    x = seq(T, N, D)
    out = s.forward(x).numpy()
    np.testing.assert_allclose(out, x.numpy() @ lin.weight.numpy().T + lin.bias.numpy(), rtol=1e-12)
    s.zeroGradParameters()
    go = seq(T, N, 2)
    s.backward(x, go)
    np.testing.assert_allclose(lin.gradWeight.numpy(), np.einsum('tno,tnd->od', go.numpy(), x.numpy()), rtol=1e-12)
    params, _ = s.getParameters()
    params.fill(0.5)   # rebound by getParameters: every step's clone must still see the module's weights
    np.testing.assert_allclose(s.forward(x).numpy(), np.repeat(x.numpy().sum(2, keepdims=True) * 0.5 + 0.5, 2, axis=2),
                               rtol=1e-12)


def test_sequencer_criterion_sums_the_steps():
    x = lg.DoubleTensor(T, N, 4).uniform(-2, 0)
    y = lg.LongTensor(np.random.default_rng(0).integers(0, 4, (T, N)))
    crit = nn.SequencerCriterion(nn.ClassNLLCriterion())
    expected = sum(nn.ClassNLLCriterion().forward(x.select(0, t), y.select(0, t)) for t in range(T))
    assert crit.forward(x, y) == pytest.approx(expected, rel=1e-12)
    assert nn.Jacobian.testCriterion(crit, x, y) < 1e-6
    mean = nn.SequencerCriterion(nn.MSECriterion(), sizeAverage=True)
    xs, ys = [seq(N, 2), seq(N, 2)], [seq(N, 2), seq(N, 2)]
    assert mean.forward(xs, ys) == pytest.approx(sum(nn.MSECriterion().forward(a, b) for a, b in zip(xs, ys)) / 2)
    assert nn.Jacobian.testCriterion(mean, xs, ys) < 1e-6


# --- errors ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_bad_input_names_the_module_and_changes_nothing(cls):
    rnn = cls(D, H).double()
    before = rnn.weight.clone()
    with pytest.raises(ValueError, match=f'{cls.__name__}.*expected a seqlen x batch x {D} tensor'):
        rnn.forward(seq(T, N, D + 1))
    with pytest.raises(ValueError, match='h0 of size'):
        rnn.forward([seq(N + 1, H), seq(T, N, D)])
    x = seq(T, N, D)
    rnn.forward(x)
    with pytest.raises(ValueError, match='gradOutput of size'):
        rnn.backward(x, seq(T, N, H + 1))
    assert rnn.weight.equal(before) and rnn.gradWeight.numpy().sum() == 0
    with pytest.raises(ValueError, match='outputsize'):
        cls(D, 0)


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_backward_over_a_shorter_sequence_names_the_module_once(cls):
    """A backward over fewer steps (or another batch) than the forward's is refused, the module named once, and
    once more under a container's step."""
    rnn = cls(D, H).double()
    rnn.forward(seq(T, N, D))
    name = f'{cls.__name__}({D} -> {H})'
    for run, path in ((rnn, name), (nn.Sequential().add(rnn), f'Sequential[0] {name}')):
        for steps, batch in ((T - 1, N), (T, N - 1)):
            with pytest.raises(ValueError) as err:
                run.backward(seq(steps, batch, D), seq(steps, batch, H))
            assert str(err.value) == (f'{path}: expected backward after a forward of this input, got an input of '
                                      f'size ({steps}, {batch}, {D})')


def test_reverse_sequences_name_themselves_once():
    for module, x, message in (
            (nn.SeqReverseSequence(2), seq(N, D), f'SeqReverseSequence(2): expected an input of at least 3 '
                                                  f'dimensions, got size ({N}, {D})'),
            (nn.ReverseSequence(), lg.from_numpy(np.array(3.0)), 'ReverseSequence: expected a seqlen x ... input '
                                                                 'or a table of steps, got a 0-D tensor')):
        with pytest.raises(ValueError) as err:
            module.forward(x)
        assert str(err.value) == message


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_first_layer_idiom_skips_the_input_gradient(cls):
    rnn, twin = cls(D, H).double(), cls(D, H).double()
    twin.share(rnn, 'weight', 'bias')
    twin.gradInput = None
    x, go = seq(T, N, D), seq(T, N, H)
    rnn.forward(x)
    twin.forward(x)
    rnn.zeroGradParameters()
    twin.zeroGradParameters()
    assert rnn.backward(x, go) is not None and twin.backward(x, go) is None
    np.testing.assert_allclose(twin.gradWeight.numpy(), rnn.gradWeight.numpy(), rtol=1e-12)


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_refuses_a_half_sequence_on_the_cpu(cls):
    rnn = cls(D, H).half()
    with pytest.raises(TypeError, match=f'{cls.__name__}.*FloatTensor or DoubleTensor sequence on the CPU.*Half'):
        rnn.forward(seq(T, N, D).half())


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_float32_follows_float64(cls):
    """The float32 kernels (their own exp and tanh, fast_math) against the float64 path, same weights."""
    rnn = cls(D, H).double()
    single = rnn.clone().float()
    x, go = seq(T, N, D), seq(T, N, H)
    out = rnn.forward(x).numpy()
    grad = rnn.backward(x, go).numpy()
    np.testing.assert_allclose(single.forward(x.float()).numpy(), out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(single.backward(x.float(), go.float()).numpy(), grad, rtol=1e-5, atol=1e-6)


# --- the rnn package's own tests (Element-Research rnn test/test.lua), written anew -----------------------
@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_batchfirst_is_the_transposed_layout(cls):
    """SeqLSTM.lua / SeqGRU.lua's ``batchfirst``: input, gradOutput, output and gradInput are batch x seqlen
    x ... and the numbers are those of the seqlen-first module on the transposed sequence (rnn's
    SeqLSTM_main, batchfirst part). legonn ignored the flag and read batch x seqlen as seqlen x batch."""
    first = cls(D, H).double()
    rnn = batch_first(first.clone())
    x, go = seq(N, T, D), seq(N, T, H)
    xt, got = x.transpose(0, 1).contiguous(), go.transpose(0, 1).contiguous()
    out = rnn.forward(x)
    assert out.size() == (N, T, H)
    np.testing.assert_allclose(out.numpy(), first.forward(xt).numpy().transpose(1, 0, 2), rtol=1e-12)
    rnn.zeroGradParameters()
    first.zeroGradParameters()
    grad = rnn.backward(x, go)
    assert grad.size() == (N, T, D)
    np.testing.assert_allclose(grad.numpy(), first.backward(xt, got).numpy().transpose(1, 0, 2), rtol=1e-12)
    np.testing.assert_allclose(rnn.gradWeight.numpy(), first.gradWeight.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rnn.gradBias.numpy(), first.gradBias.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=f'expected a batch x seqlen x {D} tensor'):
        rnn.forward(seq(N, T, D + 1))
    with pytest.raises(ValueError, match='gradOutput of size'):
        rnn.backward(x, got)
    # remember() carries the last step of every sequence (rnn's SeqLSTM_issue207: batch 32, then 1 after forget)
    rnn.remember('both')
    rnn.forget().forward(x)
    carried = rnn.forward(x).numpy().copy()
    first.remember('both')
    first.forget().forward(xt)
    np.testing.assert_allclose(carried, first.forward(xt).numpy().transpose(1, 0, 2), rtol=1e-12)
    assert rnn.forget().forward(seq(1, T, D)).size() == (1, T, H)


def test_seqbrnn_takes_batchfirst_then_merge():
    """SeqBRNN.lua's constructor is (inputDim, hiddenDim, batchFirst, merge); batchFirst puts a Transpose
    before and after the inner Sequential (rnn's SeqBRNNJoinTest and BRNNBatchFirstTest). legonn took merge
    third, so Torch7's ``nn.SeqBRNN(5, 5, false, nn.JoinTable(3))`` failed."""
    x = seq(T, N, D)
    brnn = nn.SeqBRNN(D, H, False, nn.JoinTable(2)).double()
    both = brnn.modules[0].get(0)
    fwd, bwd = both.get(0), both.get(1).get(1)
    out = brnn.forward(x).numpy().copy()
    reversed_x = lg.from_numpy(x.numpy()[::-1].copy())
    expected = np.concatenate([fwd.forward(x).numpy(), bwd.forward(reversed_x).numpy()[::-1]], axis=2)
    np.testing.assert_array_equal(out, expected)
    first = nn.SeqBRNN(D, H, True, nn.JoinTable(2)).double()
    assert isinstance(first.modules[0].get(0), nn.Transpose) and isinstance(first.modules[0].get(3), nn.Transpose)
    both = first.modules[0].get(1)
    both.get(0).share(fwd, 'weight', 'bias')
    both.get(1).get(1).share(bwd, 'weight', 'bias')
    np.testing.assert_array_equal(first.forward(x.transpose(0, 1).contiguous()).numpy(), expected.transpose(1, 0, 2))
    with pytest.raises(TypeError, match='batchFirst'):
        nn.SeqBRNN(D, H, nn.JoinTable(2))


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_reset_states_and_the_size_names(cls):
    """rnn's SeqGRU_rememberStatesTest: with remember('both') h0 is the last call's final output, and
    resetStates() (SeqLSTM.lua, SeqGRU.lua) restarts from zeros; SeqGRU.lua names its sizes inputSize and
    outputSize. legonn had neither resetStates nor those names."""
    rnn = cls(D, H).double().remember('both')
    final = None
    for _ in range(3):
        out = rnn.forward(seq(T, N, D))
        np.testing.assert_array_equal(rnn.h0.numpy(), np.zeros((N, H)) if final is None else final)
        final = out.numpy()[-1].copy()
    assert rnn.resetStates() is rnn
    rnn.forward(seq(T, N, D))
    np.testing.assert_array_equal(rnn.h0.numpy(), np.zeros((N, H)))
    if cls is nn.SeqGRU:
        assert (rnn.inputSize, rnn.outputSize) == (D, H)


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
@pytest.mark.parametrize('layout', ['seqlen-first', 'batchfirst'])
def test_encoder_decoder_coupling(cls, layout):
    """rnn's examples/encoder-decoder-coupling.lua with SeqLSTM: the decoder starts from the encoder's last
    output and cell (``output[T]``, ``cell[T]``, each batch x outputsize: SeqLSTM.lua's cell is seqlen x
    batch x outputsize), and the encoder's backward adds the decoder's userGradPrevOutput / userGradPrevCell
    set as ``gradPrevOutput`` / ``userNextGradCell`` (used once). The pair then equals one module over the
    joined sequence. legonn's cell was unit-major (seqlen x outputsize x batch) and it had neither gradient."""
    lstm = cls is nn.SeqLSTM
    enc = cls(D, H).double()
    dec = enc.clone()
    whole, go = seq(2 * T, N, D), seq(2 * T, N, H)
    one = enc.clone()
    ref_out = one.forward(whole).numpy().copy()
    one.zeroGradParameters()
    ref_grad = one.backward(whole, lg.cat(lg.zeros(T, N, H).double(), go.narrow(0, T, T), 0)).numpy()
    x1, x2, g2 = whole.narrow(0, 0, T).clone(), whole.narrow(0, T, T).clone(), go.narrow(0, T, T).clone()
    if layout == 'batchfirst':
        for m in (enc, dec):
            batch_first(m)
        x1, x2, g2 = (t.transpose(0, 1).contiguous() for t in (x1, x2, g2))
    last = T - 1
    enc_out = enc.forward(x1)
    dec.userPrevOutput = enc_out.select(1, last) if enc.batchfirst else enc_out[last]
    if lstm:
        assert enc.cell.size() == (T, N, H)
        dec.userPrevCell = enc.cell[last]
    dec_out = dec.forward(x2).numpy()
    dec.backward(x2, g2)
    enc.gradPrevOutput = dec.userGradPrevOutput
    if lstm:
        enc.userNextGradCell = dec.userGradPrevCell
    grad1 = enc.backward(x1, lg.zeros(*x1.size()[:2], H).double()).numpy()
    assert enc.gradPrevOutput is None and (not lstm or enc.userNextGradCell is None)
    if enc.batchfirst:
        dec_out, grad1 = dec_out.transpose(1, 0, 2), grad1.transpose(1, 0, 2)
    np.testing.assert_allclose(dec_out, ref_out[T:], rtol=1e-12)
    np.testing.assert_allclose(grad1, ref_grad[:T], rtol=1e-10, atol=1e-13)
    enc.gradPrevOutput = seq(N + 1, H)
    with pytest.raises(ValueError, match=f'gradPrevOutput of size \\({N}, {H}\\)'):
        enc.backward(x1, lg.zeros(*x1.size()[:2], H).double())


@pytest.mark.parametrize('cls', [nn.SeqLSTM, nn.SeqGRU])
def test_third_positional_argument_is_not_maskzero(cls):
    """SeqLSTM.lua's constructor is (inputsize, hiddensize, outputsize), the third SeqLSTMP's projection size
    (SeqGRU.lua takes two): Torch7's ``nn.SeqLSTM(D, H, H)`` is an unmasked LSTM. legonn read a third
    positional argument as maskzero, masking silently; now maskzero is keyword-only and a third positional
    argument is refused."""
    with pytest.raises(TypeError):
        cls(D, H, H)
    assert cls(D, H, maskzero=True).maskzero and not cls(D, H).maskzero


def test_the_fields_rnn_code_reads():
    """Fields the rnn package's modules keep and its tests and examples read: Sequencer.lua's and
    SeqBRNN.lua's ``module`` (the decorated module, in a Recursor unless recurrent; SeqBRNN's inner Sequential),
    SeqBRNN.lua's ``merge``, SeqLSTM.lua's ``hiddensize`` (outputsize without SeqLSTMP's projection). legonn had
    none of them."""
    lin = nn.Linear(D, 2)
    # Sequencer.lua decorates a module that is no AbstractRecurrent with a Recursor: that is its ``module``
    wrapped = nn.Sequencer(lin).module
    assert isinstance(wrapped, nn.Recursor) and wrapped.module is lin
    rec = nn.Recurrence(nn.CAddTable(), D, 1)
    assert nn.Sequencer(rec).module is rec
    join = nn.JoinTable(2)
    brnn = nn.SeqBRNN(D, H, False, join)
    assert brnn.module is brnn.modules[0] and brnn.merge is join and brnn.module.get(1) is join
    assert isinstance(nn.SeqBRNN(D, H).merge, nn.CAddTable)
    assert nn.SeqLSTM(D, H).hiddensize == H


def test_remember_and_forget_reach_the_recurrent_modules_of_a_tree():
    """The rnn package's Module.lua gives every module forget() and remember(mode), passed down through
    ``modules``: examples/recurrent-language-model.lua calls ``lm:remember('both')`` on a Sequential holding
    the recurrent layers. legonn had them only on SeqLSTM/SeqGRU and Sequencer (AttributeError on a
    Sequential)."""
    lstm, gru = nn.SeqLSTM(D, H).double(), nn.SeqGRU(H, H).double()
    lm = nn.Sequential().add(lstm).add(nn.Sequencer(nn.Tanh())).add(nn.Sequential().add(gru))
    assert lm.remember('both') is lm and lstm._remember == gru._remember == 'both'
    x = seq(T, N, D)
    first = lm.forward(x).numpy().copy()
    assert not np.allclose(lm.forward(x).numpy(), first)   # started from the last call's state
    assert lm.forget() is lm
    np.testing.assert_allclose(lm.forward(x).numpy(), first, rtol=1e-12)
    assert nn.Linear(D, 2).forget().remember('eval') is not None
    with pytest.raises(ValueError, match='remember'):
        lm.remember('always')


def test_sequencer_criterion_step_gradients_are_buffers_a_later_backward_rewrites():
    """rnn's SequencerCriterion.lua returns, for a table input, a table of its step criteria's own gradInput
    buffers, and a later backward (of a tensor or a table) writes each step's gradient into them again: a table
    gradInput kept from an earlier backward shows the latest step gradients, as rnn test.lua's SequencerCriterion
    relies on. The tensor gradInput stays the input's form; clearState empties the step buffers."""
    crit = nn.SequencerCriterion(nn.MSECriterion())
    xs, ys = [seq(N, 2), seq(N, 2)], [seq(N, 2), seq(N, 2)]
    kept = crit.backward(xs, ys)
    x, y = lg.DoubleTensor(2, N, 2).uniform(), lg.DoubleTensor(2, N, 2).uniform()
    g = crit.backward(x, y)
    assert tuple(g.size()) == (2, N, 2)
    for t in range(2):
        expected = nn.MSECriterion().backward(x[t], y[t])
        np.testing.assert_allclose(g[t].numpy(), expected.numpy(), rtol=1e-15)
        np.testing.assert_allclose(kept[t].numpy(), expected.numpy(), rtol=1e-15)
    crit.clearState()
    assert all(b.nElement() == 0 for b in crit._stepGradInputs)


def test_sequencer_criterion_of_a_table_criterion():
    """Element-Research rnn's SequencerCriterion.lua: each step's gradInput may be a table (a criterion of
    table inputs such as MarginRankingCriterion), divided entry by entry by the step count with sizeAverage
    (its table_div); the loss is the sum (or mean) of the steps' losses."""
    rng = np.random.default_rng(5)
    xs = [[rng.standard_normal(3), rng.standard_normal(3)] for _ in range(2)]
    ys = [np.array([1.0, -1.0, 1.0]), np.array([-1.0, -1.0, 1.0])]
    crit = nn.SequencerCriterion(nn.MarginRankingCriterion(0.5).double(), True)
    inputs = [[lg.DoubleTensor(a), lg.DoubleTensor(b)] for a, b in xs]
    targets = [lg.DoubleTensor(y) for y in ys]
    loss, total = crit.forward(inputs, targets), 0.0
    for (a, b), y in zip(xs, ys):
        total += np.maximum(-y * (a - b) + 0.5, 0).sum() / 3
    assert loss == pytest.approx(total / 2, rel=1e-15)
    grads = crit.backward(inputs, targets)
    assert len(grads) == 2 and all(len(g) == 2 for g in grads)
    for g, (a, b), y in zip(grads, xs, ys):
        mask = (-y * (a - b) + 0.5 >= 0) * y / 3 / 2
        np.testing.assert_allclose(g[0].numpy(), -mask, rtol=1e-15)
        np.testing.assert_allclose(g[1].numpy(), mask, rtol=1e-15)


def test_sequencer_criterion_step_criteria():
    """SequencerCriterion.lua's ``getStepCriterion(step)``: a clone of the criterion per step, made on first use
    and kept in ``clones``, so a subclass's own ``updateOutput`` (rnn test.lua's SequencerCriterionNormStab) can
    run each step on its own criterion; the clones compute what the criterion does."""
    crit = nn.SequencerCriterion(nn.MSECriterion().double())
    first, second = crit.getStepCriterion(0), crit.getStepCriterion(1)
    assert first is crit.getStepCriterion(0) and first is not second and first is not crit.criterion
    assert sorted(crit.clones) == [0, 1] and type(first) is nn.MSECriterion
    x, y = seq(3, 2), seq(3, 2)
    assert first.forward(x, y) == pytest.approx(crit.criterion.forward(x, y), rel=1e-15)


def test_reverse_sequence_is_refused_bad_input():
    """torch/rnn's ReverseSequence: a 0-D input, or a gradOutput of another form or length, named."""
    r = nn.ReverseSequence()
    with pytest.raises(ValueError, match='ReverseSequence: expected a seqlen x ... input'):
        r.forward(lg.from_numpy(np.array(3.0)))
    r.forward([seq(N, D), seq(N, D)])
    with pytest.raises(TypeError, match=r"ReverseSequence.*gradOutput of the input's form \(a table\)"):
        r.backward([seq(N, D), seq(N, D)], seq(2, N, D))
    with pytest.raises(ValueError, match='ReverseSequence.*gradOutput of 2 steps'):
        r.backward([seq(N, D), seq(N, D)], [seq(N, D)])
