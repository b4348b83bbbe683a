"""Parity audit of legonn's rnn sequence machinery and sparse linears against PyTorch (CPU, float64).

Element-Research rnn's Sequencer, BiSequencer, BiSequencerLM, SeqBRNN, Repeater, MaskZero / TrimZero (and
``maskZero`` on FastLSTM, SeqLSTM), LookupTableMaskZero, SeqReverseSequence, SequencerCriterion,
MaskZeroCriterion, ModuleCriterion; torch/nn's SparseLinear. PyTorch has no sequencers: the references are
torch.nn.LSTM / LSTMCell (bidirectional where the Lua runs two rnns) with legonn's weights mapped, and loops of
torch ops doing what the Lua files do (masked rows zeroed, states reset). Forward, gradInput and parameter
gradients (with ``scale``) are compared. Indices are 0-based in legonn and PyTorch alike. CI has no torch: the file
is skipped there.
"""
import numpy as np
import pytest

torch = pytest.importorskip('torch')

import legonn as lg  # noqa: E402
from legonn import nn  # noqa: E402
from audit.torch_parity.test_layers import L, N, T, close, rng  # noqa: E402

F = torch.nn.functional
SCALE = 0.7
D, H = 3, 4


def _blocks(order):
    """Row indices taking the four H-row gate blocks in ``order``."""
    return np.concatenate([np.arange(k * H, (k + 1) * H) for k in order])


# FastLSTM's i2g / o2g rows are gates (i, z, f, o); torch.nn.LSTM's (i, f, g=z, o)
FAST_ROWS = _blocks((0, 2, 1, 3))
# SeqLSTM's weight columns are (i, f, o, g); torch.nn.LSTM's (i, f, g, o)
SEQ_COLS = _blocks((0, 1, 3, 2))


def _fast_lstm(r):
    cell = nn.FastLSTM(D, H).double()
    cell.i2g.weight.copy(L(r.normal(size=(4 * H, D)) * 0.5))
    cell.i2g.bias.copy(L(r.normal(size=4 * H) * 0.5))
    cell.o2g.weight.copy(L(r.normal(size=(4 * H, H)) * 0.5))
    return cell


def _fast_params(cell):
    """(w_ih, w_hh, b_ih) of torch.nn.LSTM's layout holding a FastLSTM's parameters."""
    return (cell.i2g.weight.numpy()[FAST_ROWS], cell.o2g.weight.numpy()[FAST_ROWS], cell.i2g.bias.numpy()[FAST_ROWS])


def _seq_params(m):
    W, b = m.weight.numpy(), m.bias.numpy()
    return W[:D, SEQ_COLS].T, W[D:, SEQ_COLS].T, b[SEQ_COLS]


def _torch_lstm(params, bparams=None):
    """torch.nn.LSTM (bidirectional when ``bparams`` are given) with bias_hh 0."""
    lstm = torch.nn.LSTM(D, H, bidirectional=bparams is not None).double()
    with torch.no_grad():
        for sfx, p in (('l0', params), ('l0_reverse', bparams)):
            if p is None:
                continue
            for name, v in zip(('weight_ih', 'weight_hh', 'bias_ih'), p):
                getattr(lstm, f'{name}_{sfx}').copy_(torch.as_tensor(v))
            getattr(lstm, f'bias_hh_{sfx}').zero_()
    return lstm


def _assert_fast_grads(cell, lstm, sfx='l0'):
    inv = np.argsort(FAST_ROWS)
    close(cell.i2g.gradWeight, SCALE * getattr(lstm, f'weight_ih_{sfx}').grad.numpy()[inv])
    close(cell.i2g.gradBias, SCALE * getattr(lstm, f'bias_ih_{sfx}').grad.numpy()[inv])
    close(cell.o2g.gradWeight, SCALE * getattr(lstm, f'weight_hh_{sfx}').grad.numpy()[inv])


def _assert_seq_grads(m, lstm, sfx='l0'):
    inv = np.argsort(SEQ_COLS)
    g = [getattr(lstm, f'{n}_{sfx}').grad.numpy() for n in ('weight_ih', 'weight_hh', 'bias_ih')]
    close(m.gradWeight, SCALE * np.concatenate([g[0].T, g[1].T])[:, inv])
    close(m.gradBias, SCALE * g[2][inv])


def _pass(m, x, go, scale=SCALE):
    """(output, gradInput) as arrays (tables stacked) of a zeroed module's forward and backward."""
    m.zeroGradParameters()
    out, gi = m.forward(x), m.backward(x, go, scale)
    st = lambda v: np.stack(N(v)) if isinstance(v, list) else N(v).copy()  # noqa: E731
    return st(out), st(gi)


def _steps(a):
    return [L(v) for v in a]


# --- Sequencer ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('form', ['table', 'tensor'])
@pytest.mark.parametrize('T_,N_', [(5, 2), (1, 1), (3, 1)], ids=['seq', 'one', 'single_row'])
def test_sequencer_fast_lstm(form, T_, N_):
    """Sequencer(FastLSTM) over a table of steps or a seqlen x batch x D tensor: torch.nn.LSTM."""
    r = rng(1)
    cell = _fast_lstm(r)
    xs, gos = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H))
    inp, gin = (_steps(xs), _steps(gos)) if form == 'table' else (L(xs), L(gos))
    out, gi = _pass(nn.Sequencer(cell), inp, gin)
    ref = _torch_lstm(_fast_params(cell))
    tx = T(xs)
    y, _ = ref(tx)
    y.backward(torch.as_tensor(gos))
    close(out, y)
    close(gi, tx.grad)
    _assert_fast_grads(cell, ref)


def test_sequencer_linear_noncontiguous():
    """Sequencer(Linear) over a transposed (non-contiguous) seqlen x batch x D tensor: F.linear per step."""
    r = rng(2)
    lin = nn.Linear(D, H).double()
    x = np.ascontiguousarray(r.normal(size=(2, 5, D)).transpose(1, 0, 2).copy().T).T  # 5 x 2 x D, strided
    xl = lg.from_numpy(x)
    assert not xl.isContiguous()
    go = r.normal(size=(5, 2, H))
    out, gi = _pass(nn.Sequencer(lin), xl, L(go))
    _assert_linear(lin, x, go, out, gi)


def _assert_linear(lin, x, go, out, gi, masked=False):
    """``out``, ``gi`` and ``lin``'s gradients (with SCALE) are F.linear's over ``x`` for ``go``; with
    ``masked`` the rows of ``x`` that are all zeros give zero output rows (MaskZero)."""
    tW, tb, tx = T(lin.weight.numpy()), T(lin.bias.numpy()), T(x)
    y = F.linear(tx, tW, tb)
    if masked:
        y = y * (tx.detach().abs().sum(-1, keepdim=True) != 0).double()
    y.backward(torch.as_tensor(go))
    close(out, y)
    close(gi, tx.grad)
    close(lin.gradWeight, SCALE * tW.grad)
    close(lin.gradBias, SCALE * tb.grad)


def test_sequencer_remember_and_forget():
    """Sequencer(FastLSTM):remember(): a second sequence starts from the first's last h, c (its gradient stops
    there); forget() starts again from zeros. Without remember each forward is a new sequence."""
    r = rng(3)
    cell = _fast_lstm(r)
    seq = nn.Sequencer(cell)
    seq.remember('both')
    x1, x2 = r.normal(size=(3, 2, D)), r.normal(size=(4, 2, D))
    go2 = r.normal(size=(4, 2, H))
    ref = _torch_lstm(_fast_params(cell))
    seq.forward(_steps(x1))
    _, (h1, c1) = ref(T(x1, False))
    out, gi = _pass(seq, _steps(x2), _steps(go2))
    tx = T(x2)
    y, _ = ref(tx, (h1.detach(), c1.detach()))
    y.backward(torch.as_tensor(go2))
    close(out, y)
    close(gi, tx.grad)
    _assert_fast_grads(cell, ref)
    y0, _ = ref(T(x2, False))
    assert not np.allclose(out, N(y0), rtol=1e-3)
    seq.forget()
    close(np.stack(N(seq.forward(_steps(x2)))), y0)
    fresh = nn.Sequencer(cell.clone())
    fresh.forward(_steps(x1))
    close(np.stack(N(fresh.forward(_steps(x2)))), y0)


def _assert_bidirectional(out, gi, x, go, ref, add, tr=lambda a: a):
    """``out`` and ``gi`` are the bidirectional torch.nn.LSTM ``ref``'s output over the seqlen x batch x D ``x``
    (its two halves summed when ``add``) and its gradient for ``go``, both read through ``tr``."""
    tx = T(x)
    y, _ = ref(tx)
    if add:
        y = y[..., :H] + y[..., H:]
    y.backward(torch.as_tensor(go))
    close(out, tr(N(y)))
    close(gi, tr(tx.grad.numpy()))


@pytest.mark.parametrize('mode', ['both', 'train', 'eval', 'neither'])
@pytest.mark.parametrize('train', [True, False], ids=['training', 'evaluate'])
@pytest.mark.parametrize('form', ['table', 'tensor'])
def test_sequencer_remember_modes(mode, train, form):
    """Sequencer.lua's remember(mode): the second forward continues the first's state when the mode covers the
    current phase (training or evaluation), else starts from zeros."""
    r = rng(23)
    cell = _fast_lstm(r)
    seq = nn.Sequencer(cell)
    seq.remember(mode)
    seq.training() if train else seq.evaluate()
    x1, x2 = r.normal(size=(2, 2, D)), r.normal(size=(3, 2, D))
    wrap = _steps if form == 'table' else L
    seq.forward(wrap(x1))
    out = seq.forward(wrap(x2))
    out = np.stack(N(out)) if isinstance(out, list) else N(out)
    ref = _torch_lstm(_fast_params(cell))
    kept = mode == 'both' or mode == ('train' if train else 'eval')
    y = ref(T(np.concatenate([x1, x2]), False))[0][2:] if kept else ref(T(x2, False))[0]
    close(out, y)


def test_sequencer_of_a_stack_with_an_rnn_inside():
    """Sequencer(Sequential(Linear, FastLSTM, Tanh, Linear)): the Sequencer's Recursor runs a step clone of the
    stack per step, the FastLSTM inside shared (dpnn's stepClone), so it recurs: Linear, torch.nn.LSTM, tanh,
    Linear. The two Linears' gradients sum over the steps."""
    r = rng(25)
    cell = _fast_lstm(r)
    lin1, lin2 = nn.Linear(5, D).double(), nn.Linear(H, 2).double()
    stack = nn.Sequential().add(lin1).add(cell).add(nn.Tanh()).add(lin2)
    T_, N_ = 4, 2
    xs, gos = r.normal(size=(T_, N_, 5)), r.normal(size=(T_, N_, 2))
    out, gi = _pass(nn.Sequencer(stack), _steps(xs), _steps(gos))
    ref = _torch_lstm(_fast_params(cell))
    P = [T(p.numpy()) for p in (lin1.weight, lin1.bias, lin2.weight, lin2.bias)]
    tx = T(xs)
    y = F.linear(torch.tanh(ref(F.linear(tx, P[0], P[1]))[0]), P[2], P[3])
    y.backward(torch.as_tensor(gos))
    close(out, y)
    close(gi, tx.grad)
    _assert_fast_grads(cell, ref)
    close([lin1.gradWeight, lin1.gradBias, lin2.gradWeight, lin2.gradBias], [SCALE * p.grad for p in P])


# --- bidirectional --------------------------------------------------------------------------------------------
@pytest.mark.parametrize('merge', ['join', 'add'])
def test_bisequencer(merge):
    """BiSequencer(FastLSTM, FastLSTM, merge): the forward cell reads the steps in order, the backward cell in
    reverse; JoinTable gives torch.nn.LSTM(bidirectional)'s output, CAddTable the sum of its two halves."""
    r = rng(4)
    fwd, bwd = _fast_lstm(r), _fast_lstm(r)
    T_, N_ = 4, 3
    brnn = nn.BiSequencer(fwd, bwd, nn.CAddTable() if merge == 'add' else None)
    xs = r.normal(size=(T_, N_, D))
    gos = r.normal(size=(T_, N_, 2 * H if merge == 'join' else H))
    out, gi = _pass(brnn, _steps(xs), _steps(gos))
    ref = _torch_lstm(_fast_params(fwd), _fast_params(bwd))
    _assert_bidirectional(out, gi, xs, gos, ref, merge == 'add')
    _assert_fast_grads(fwd, ref)
    _assert_fast_grads(bwd, ref, 'l0_reverse')


def test_bisequencer_lm():
    """BiSequencerLM: step t merges the forward rnn's output of step t-1 (zeros at t=0) with the backward rnn's
    of step t+1 (zeros at the last step): torch.nn.LSTM over x[:-1] forwards and x[1:] backwards."""
    r = rng(5)
    fwd, bwd = _fast_lstm(r), _fast_lstm(r)
    T_, N_ = 5, 2
    lm = nn.BiSequencerLM(fwd, bwd)
    xs, gos = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, 2 * H))
    out, gi = _pass(lm, _steps(xs), _steps(gos))
    f, b = _torch_lstm(_fast_params(fwd)), _torch_lstm(_fast_params(bwd))
    tx = T(xs)
    yf, _ = f(tx[:-1])
    yb, _ = b(tx[1:].flip(0))
    z = torch.zeros(1, N_, H, dtype=torch.float64)
    y = torch.cat([torch.cat([z, yf]), torch.cat([yb.flip(0), z])], 2)
    y.backward(torch.as_tensor(gos))
    close(out, y)
    close(gi, tx.grad)
    _assert_fast_grads(fwd, f)
    _assert_fast_grads(bwd, b)


@pytest.mark.parametrize('batchFirst', [False, True])
def test_seq_brnn(batchFirst):
    """SeqBRNN: two SeqLSTMs, the second between SeqReverseSequences, summed (CAddTable): torch.nn.LSTM
    (bidirectional)'s two halves summed; batchFirst transposes in and out."""
    r = rng(6)
    m = nn.SeqBRNN(D, H, batchFirst).double()
    for s in (m.forwardModule, m.backwardModule):
        s.weight.copy(L(r.normal(size=(D + H, 4 * H)) * 0.5))
        s.bias.copy(L(r.normal(size=4 * H) * 0.5))
    T_, N_ = 4, 3
    x, go = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H))
    tr = (lambda a: a.transpose(1, 0, 2).copy()) if batchFirst else (lambda a: a)
    out, gi = _pass(m, L(tr(x)), L(tr(go)))
    ref = _torch_lstm(_seq_params(m.forwardModule), _seq_params(m.backwardModule))
    _assert_bidirectional(out, gi, x, go, ref, True, tr)
    _assert_seq_grads(m.forwardModule, ref)
    _assert_seq_grads(m.backwardModule, ref, 'l0_reverse')


@pytest.mark.parametrize('dim', [0, 1, 2])
def test_seq_reverse_sequence(dim):
    r = rng(7)
    x, go = r.normal(size=(4, 3, 2)), r.normal(size=(4, 3, 2))
    out, gi = _pass(nn.SeqReverseSequence(dim), L(x), L(go))
    tx = T(x)
    y = tx.flip(dim)
    y.backward(torch.as_tensor(go))
    close(out, y)
    close(gi, tx.grad)


# --- zero masking ---------------------------------------------------------------------------------------------
def _masked_lstm_loop(cell_params, tx, mask_input=True):
    """rnn's FastLSTM under maskZero(1), by torch ops: torch.nn.LSTMCell per step; a row whose input is all
    zeros gets h = c = 0 (MaskZero zeroes the step's {h, c} output, so the next step restarts from zeros)."""
    ref = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for name, v in zip(('weight_ih', 'weight_hh', 'bias_ih'), cell_params):
            getattr(ref, name).copy_(torch.as_tensor(v))
        ref.bias_hh.zero_()
    h = c = torch.zeros(tx.shape[1], H, dtype=torch.float64)
    ys = []
    for t in range(tx.shape[0]):
        h, c = ref(tx[t], (h, c))
        keep = (tx[t].detach().abs().sum(1, keepdim=True) != 0).double()
        h, c = h * keep, c * keep
        ys.append(h)
    return ref, torch.stack(ys)


@pytest.mark.parametrize('how', ['maskZero', 'trimZero'])
def test_fast_lstm_mask_zero(how):
    """Sequencer(FastLSTM:maskZero(1)) (and trimZero(1)) over left-padded sequences and one row zeroed mid-way:
    the zero rows' outputs are zero, their states restart from zeros, their gradients are zero."""
    r = rng(8)
    cell = _fast_lstm(r)
    params = _fast_params(cell)
    getattr(cell, how)(1)
    T_, N_ = 5, 3
    xs, gos = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H))
    xs[:2, 0] = 0
    xs[:4, 1] = 0
    xs[2, 2] = 0
    out, gi = _pass(nn.Sequencer(cell), _steps(xs), _steps(gos))
    tx = T(xs)
    ref, y = _masked_lstm_loop(params, tx)
    y.backward(torch.as_tensor(gos))
    close(out, y)
    assert not out[2, 2].any() and not out[:4, 1].any()
    close(gi, tx.grad)
    assert not gi[2, 2].any()
    inv = np.argsort(FAST_ROWS)
    close(cell.i2g.gradWeight, SCALE * ref.weight_ih.grad.numpy()[inv])
    close(cell.i2g.gradBias, SCALE * ref.bias_ih.grad.numpy()[inv])
    close(cell.o2g.gradWeight, SCALE * ref.weight_hh.grad.numpy()[inv])


@pytest.mark.parametrize('cls', ['MaskZero', 'TrimZero'])
def test_mask_zero_two_input_dims(cls):
    """MaskZero / TrimZero(module, 2) over batch x 3 x 4: a sample is masked when all its 12 numbers are 0 (one
    zero row inside a sample is not enough)."""
    r = rng(24)
    m = getattr(nn, cls)(nn.Tanh(), 2)
    x, go = r.normal(size=(4, 3, 4)), r.normal(size=(4, 3, 4))
    x[1] = 0
    x[2, 0] = 0
    out, gi = _pass(m, L(x), L(go))
    tx = T(x)
    keep = (tx.detach().abs().sum((1, 2), keepdim=True) != 0).double()
    y = torch.tanh(tx) * keep
    y.backward(torch.as_tensor(go))
    close(out, y)
    close(gi, tx.grad)
    assert out[2].any() and not out[1].any()


@pytest.mark.parametrize('cls', ['MaskZero', 'TrimZero'])
@pytest.mark.parametrize('batch', [True, False])
def test_mask_zero_linear(cls, batch):
    """MaskZero / TrimZero(Linear, 1): rows of zeros give zero output rows and zero gradients (the bias's too)."""
    r = rng(9)
    lin = nn.Linear(D, H).double()
    m = getattr(nn, cls)(lin, 1)
    x, go = r.normal(size=(4, D)), r.normal(size=(4, H))
    x[1] = x[3] = 0
    if not batch:
        x, go = x[1], go[1]
    out, gi = _pass(m, L(x), L(go))
    _assert_linear(lin, x, go, out, gi, masked=True)


def test_seq_lstm_maskzero_with_states_across_sequences():
    """SeqLSTM(maskzero) with remember: a row zeroed at the last step hands zero h, c to the next sequence."""
    r = rng(10)
    m = nn.SeqLSTM(D, H, maskzero=True).double()
    m.weight.copy(L(r.normal(size=(D + H, 4 * H)) * 0.5))
    m.bias.copy(L(r.normal(size=4 * H) * 0.5))
    m.remember('both')
    x1, x2 = r.normal(size=(3, 2, D)), r.normal(size=(2, 2, D))
    x1[2, 0] = 0
    m.forward(L(x1))
    out = N(m.forward(L(x2))).copy()
    _, y = _masked_lstm_loop(_seq_params(m), T(np.concatenate([x1, x2]), False))
    close(out, y[3:])


@pytest.mark.parametrize('shape', [(5,), (3, 4)])
def test_lookup_table_mask_zero(shape):
    """LookupTableMaskZero(n, k): legonn's index -1 is Torch7's 0, the padding (a zero row, no gradient kept out
    of the weight's row 0); index i is Torch7's i+1, row i+1: F.embedding of index+1 with row 0 zeroed."""
    r = rng(11)
    n, k = 6, 3
    m = nn.LookupTableMaskZero(n, k).double()
    m.weight.copy(L(r.normal(size=(n + 1, k))))
    idx = r.integers(-1, n, size=shape)
    idx.flat[0] = -1
    go = r.normal(size=shape + (k,))
    x = lg.from_numpy(idx.astype(np.int64))
    m.zeroGradParameters()
    out = N(m.forward(x)).copy()
    m.backward(x, L(go), SCALE)
    W = m.weight.numpy().copy()
    assert not W[0].any()
    tW = T(W)
    y = F.embedding(torch.as_tensor(idx + 1), tW)
    y.backward(torch.as_tensor(go))
    close(out, y)
    assert not out.reshape(-1, k)[0].any()
    # Torch7 accumulates the padding's gradient into row 0 (LookupTableMaskZero.lua keeps LookupTable's
    # accGradParameters); torch's padding_idx=0 would drop it: the two differ by exactly row 0
    close(m.gradWeight, SCALE * tW.grad)
    tW2 = T(W)
    F.embedding(torch.as_tensor(idx + 1), tW2, padding_idx=0).backward(torch.as_tensor(go))
    want = SCALE * tW2.grad.numpy()
    want[0] = SCALE * go.reshape(-1, k)[(idx == -1).reshape(-1)].sum(0)
    close(m.gradWeight, want)


# --- Repeater -------------------------------------------------------------------------------------------------
def test_repeater():
    """Repeater(FastLSTM, rho): the same input at each of rho steps; gradInput sums the steps'."""
    r = rng(12)
    cell = _fast_lstm(r)
    rho, N_ = 4, 2
    x, gos = r.normal(size=(N_, D)), r.normal(size=(rho, N_, H))
    out, gi = _pass(nn.Repeater(cell, rho), L(x), _steps(gos))
    ref = _torch_lstm(_fast_params(cell))
    tx = T(x)
    y, _ = ref(tx.expand(rho, N_, D))
    y.backward(torch.as_tensor(gos))
    close(out, y)
    close(gi, tx.grad)
    _assert_fast_grads(cell, ref)


def test_recurrent_attention_with_a_deterministic_action():
    """RecurrentAttention(rnn = Sequential(JoinTable, FastLSTM), action = Sequential(Linear, Tanh), nStep, {H}):
    a_0 = action(zeros), a_t = action(h_{t-1}), h_t = LSTM([x, a_t]); the rnn's gradient for the action is
    dropped (RecurrentAttention.lua: the action learns by REINFORCE), so the action is a constant for the
    gradients and its Linear gets none. gradInput sums the steps' gradients of x."""
    r = rng(26)
    Dx, A, nStep, N_ = 2, 1, 4, 3
    assert Dx + A == D
    cell = _fast_lstm(r)
    rnn = nn.Sequential().add(nn.JoinTable(1)).add(cell)
    lin = nn.Linear(H, A).double()
    ra = nn.RecurrentAttention(rnn, nn.Sequential().add(lin).add(nn.Tanh()), nStep, [H]).double()
    x, gos = r.normal(size=(N_, Dx)), r.normal(size=(nStep, N_, H))
    out, gi = _pass(ra, L(x), _steps(gos))
    ref = _torch_lstm(_fast_params(cell))
    tW, tb, tx = T(lin.weight.numpy()), T(lin.bias.numpy()), T(x)
    h = torch.zeros(1, N_, H, dtype=torch.float64)
    state, ys = None, []
    for t in range(nStep):
        a = torch.tanh(F.linear(h[0], tW, tb)).detach()
        h, state = ref(torch.cat([tx, a], 1)[None], state)
        ys.append(h[0])
    y = torch.stack(ys)
    y.backward(torch.as_tensor(gos))
    close(out, y)
    close(gi, tx.grad)
    _assert_fast_grads(cell, ref)
    assert not lin.gradWeight.numpy().any() and not lin.gradBias.numpy().any()


# --- criterions -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize('sizeAverage', [False, True])
@pytest.mark.parametrize('form', ['table', 'tensor'])
def test_sequencer_criterion(sizeAverage, form):
    """SequencerCriterion(ClassNLLCriterion) and (MSECriterion): the sum of the steps' losses, divided by seqlen
    with sizeAverage (the inner criterion averaging over its batch as usual)."""
    r = rng(13)
    T_, N_, C = 4, 3, 5
    x = np.log(r.dirichlet(np.ones(C), size=(T_, N_)))
    tgt = r.integers(0, C, size=(T_, N_))
    reg_x, reg_t = r.normal(size=(T_, N_, 2)), r.normal(size=(T_, N_, 2))
    for crit, inp, target, fn in (
            (nn.ClassNLLCriterion(), x, tgt, lambda a, b: F.nll_loss(a, torch.as_tensor(b))),
            (nn.MSECriterion(), reg_x, reg_t, lambda a, b: F.mse_loss(a, torch.as_tensor(b)))):
        sc = nn.SequencerCriterion(crit, sizeAverage)
        if form == 'table':
            li = _steps(inp)
            lt = [lg.from_numpy(t.copy()) if t.dtype.kind == 'i' else L(t) for t in target]
        else:
            li, lt = L(inp), lg.from_numpy(target.copy()) if target.dtype.kind == 'i' else L(target)
        loss = sc.forward(li, lt)
        gi = sc.backward(li, lt)
        gi = np.stack(N(gi)) if isinstance(gi, list) else N(gi)
        ti = T(inp)
        ref = sum(fn(ti[t], target[t]) for t in range(T_)) / (T_ if sizeAverage else 1)
        ref.backward()
        close(loss, ref.item())
        close(gi, ti.grad)


@pytest.mark.parametrize('all_masked', [False, True])
def test_mask_zero_criterion(all_masked):
    """MaskZeroCriterion(ClassNLLCriterion, 1): rows whose input is all zeros are left out of the loss and its
    batch average; their gradient is zero; all rows masked gives loss 0."""
    r = rng(14)
    N_, C = 5, 4
    x = np.log(r.dirichlet(np.ones(C), size=N_))
    x[[1, 3]] = 0
    if all_masked:
        x[:] = 0
    tgt = r.integers(0, C, size=N_)
    c = nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1)
    li, lt = L(x), lg.from_numpy(tgt.copy())
    loss = c.forward(li, lt)
    gi = N(c.backward(li, lt)).copy()
    keep = np.abs(x).sum(1) != 0
    if all_masked:
        assert loss == 0 and not gi.any()
        return
    tx = T(x)
    ref = F.nll_loss(tx[torch.as_tensor(keep)], torch.as_tensor(tgt[keep]))
    ref.backward()
    close(loss, ref.item())
    close(gi, tx.grad)


@pytest.mark.parametrize('sizeAverage', [False, True])
def test_sequencer_of_mask_zero_criterion(sizeAverage):
    """SequencerCriterion(MaskZeroCriterion(ClassNLLCriterion, 1)) over left-padded sequences: each step's loss
    averages over its unpadded rows; a step with every row padded adds 0."""
    r = rng(22)
    T_, N_, C = 4, 3, 5
    x = np.log(r.dirichlet(np.ones(C), size=(T_, N_)))
    x[0] = 0
    x[1, [0, 2]] = 0
    tgt = r.integers(0, C, size=(T_, N_))
    sc = nn.SequencerCriterion(nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1), sizeAverage)
    li, lt = L(x), lg.from_numpy(tgt.copy())
    loss = sc.forward(li, lt)
    gi = N(sc.backward(li, lt)).copy()
    tx = T(x)
    keep = torch.as_tensor(np.abs(x).sum(2) != 0)
    ref = sum(F.nll_loss(tx[t][keep[t]], torch.as_tensor(tgt[t])[keep[t]]) for t in range(1, T_))
    ref = ref / (T_ if sizeAverage else 1)
    ref.backward()
    close(loss, ref.item())
    close(gi, tx.grad)
    assert not gi[0].any()


def test_module_criterion():
    """ModuleCriterion(MSECriterion, LogSoftMax, MulConstant): the loss of the two modules' outputs, the
    gradient through inputModule."""
    r = rng(15)
    x, t = r.normal(size=(3, 4)), r.normal(size=(3, 4))
    c = nn.ModuleCriterion(nn.MSECriterion(), nn.LogSoftMax(), nn.MulConstant(2.5))
    loss = c.forward(L(x), L(t))
    gi = N(c.backward(L(x), L(t)))
    tx = T(x)
    ref = F.mse_loss(F.log_softmax(tx, 1), torch.as_tensor(2.5 * t))
    ref.backward()
    close(loss, ref.item())
    close(gi, tx.grad)


# --- SparseLinear ---------------------------------------------------------------------------------------------
def _sparse_batch(r, n_in, nnzs, repeat=False):
    """Per-sample (nnz, 2) arrays of (0-based index, value), and the dense batch they stand for (an index given
    twice, with ``repeat``, adds its values)."""
    samples, dense = [], np.zeros((len(nnzs), n_in))
    for b, nnz in enumerate(nnzs):
        idx = r.choice(n_in, size=nnz, replace=repeat)
        val = r.normal(size=nnz)
        samples.append(np.stack([idx, val], 1))
        np.add.at(dense[b], idx, val)
    return samples, dense


@pytest.mark.parametrize('form', ['single', 'list', 'legacy', 'repeated'])
def test_sparse_linear(form):
    """SparseLinear: y = W x + b for the sparse x, against torch.sparse.mm; gradWeight += scale go x^T (the
    columns of the indices present), gradBias += scale sum(go); doGradInput's dense (index, go W) rows."""
    r = rng(16)
    n_in, n_out = 9, 4
    m = nn.SparseLinear(n_in, n_out, True).double()
    # Torch7's legacy batch (a batch x nnz x 2 tensor) has one nnz for every sample
    nnzs = {'single': [3], 'list': [3, 1, 5], 'legacy': [3, 3, 3], 'repeated': [12, 9]}[form]
    samples, dense = _sparse_batch(r, n_in, nnzs, form == 'repeated')
    go = r.normal(size=(len(nnzs), n_out))
    if form == 'single':
        x, g = L(samples[0]), L(go[0])
    elif form in ('list', 'repeated'):
        x, g = [L(s) for s in samples], L(go)
    else:
        x, g = L(np.stack(samples)), L(go)
    m.zeroGradParameters()
    out = N(m.forward(x)).copy()
    gi = m.backward(x, g, SCALE)
    rows = np.nonzero(dense)
    sp = torch.sparse_coo_tensor(np.stack(rows), dense[rows], dense.shape, dtype=torch.float64,
                                 check_invariants=True)
    tW, tb = T(m.weight.numpy()), T(m.bias.numpy())
    y = torch.sparse.mm(sp, tW.T) + tb
    tg = torch.as_tensor(go)
    y.backward(tg)
    close(out.reshape(-1, n_out), y)
    close(m.gradWeight, SCALE * tW.grad)
    close(m.gradBias, SCALE * tb.grad)
    want = N(tg @ torch.as_tensor(m.weight.numpy()))
    gis = N(gi) if isinstance(gi, list) else list(N(gi))
    assert len(gis) == len(want)
    for gb, w in zip(gis, want):
        close(gb[:, 0], np.arange(n_in))
        close(gb[:, 1], w)


@pytest.mark.parametrize('form', ['single', 'legacy'])
def test_sparse_linear_weight_decay_and_sparse_update(form):
    """SparseLinear.lua's weightDecay field (THNN SparseLinear.c: gradWeight += weightDecay * weight, every
    column) and its sparse update after one backward: updateParameters steps the bias and only the columns of the
    input's non-zero values, zeroGradParameters zeroes only those. Reference: torch autograd of W x + b plus the
    decay, the update masked to those columns."""
    r = rng(17)
    n_in, n_out, wd, lr = 7, 3, 0.05, 0.4
    m = nn.SparseLinear(n_in, n_out).double()
    m.weightDecay = wd
    samples, dense = _sparse_batch(r, n_in, [3] if form == 'single' else [2, 2])
    samples[0][-1, 1] = dense[0, int(samples[0][-1, 0])] = 0   # an entry whose value is 0: not a used column
    go = r.normal(size=(len(samples), n_out))
    x, g = (L(samples[0]), L(go[0])) if form == 'single' else (L(np.stack(samples)), L(go))
    m.zeroGradParameters()
    W0, b0 = m.weight.numpy().copy(), m.bias.numpy().copy()
    m.forward(x)
    m.backward(x, g, SCALE)
    tW, tb = T(W0), T(b0)
    (torch.as_tensor(dense) @ tW.T + tb).backward(torch.as_tensor(go) * SCALE)
    gW = tW.grad.numpy() + wd * W0
    close(m.gradWeight, gW)
    close(m.gradBias, tb.grad)
    used = np.zeros(n_in, bool)
    used[[int(i) for s in samples for i, v in s if v != 0]] = True
    m.updateParameters(lr)
    close(m.weight, W0 - lr * gW * used)
    close(m.bias, b0 - lr * tb.grad.numpy())
    m.zeroGradParameters()
    close(m.gradWeight, gW * ~used)


@pytest.mark.parametrize('form', ['single', 'list', 'flat'])
def test_index_linear(form):
    """IndexLinear: y = b + sum_k value_k W[key_k] (F.embedding_bag, mode 'sum', per_sample_weights = values);
    gradWeight, gradBias with scale; doGradInput's dense value gradient go W^T per key."""
    r = rng(18)
    n_in, n_out = 8, 3
    m = nn.IndexLinear(n_in, n_out, True).reset().double()
    m.bias.copy(L(r.normal(size=n_out)))
    keys = [r.choice(n_in, size=k, replace=False) for k in ([4] if form == 'single' else [3, 1, 5])]
    vals = [r.normal(size=len(k)) for k in keys]
    go = r.normal(size=(len(keys), n_out))
    LK = lambda k: lg.from_numpy(np.asarray(k, np.int64).copy())  # noqa: E731
    if form == 'single':
        x, g = [LK(keys[0]), L(vals[0])], L(go[0])
    elif form == 'list':
        x, g = [[LK(k) for k in keys], [L(v) for v in vals]], L(go)
    else:
        x, g = [LK(np.concatenate(keys)), L(np.concatenate(vals)), LK([len(k) for k in keys])], L(go)
    m.zeroGradParameters()
    out = N(m.forward(x)).copy()
    gi = m.backward(x, g, SCALE)
    tW, tb = T(m.weight.numpy()), T(m.bias.numpy())
    offsets = torch.as_tensor(np.cumsum([0] + [len(k) for k in keys[:-1]]))
    y = F.embedding_bag(torch.as_tensor(np.concatenate(keys)), tW, offsets, mode='sum',
                        per_sample_weights=torch.as_tensor(np.concatenate(vals))) + tb
    y.backward(torch.as_tensor(go) * SCALE)
    close(out.reshape(-1, n_out), y)
    close(m.gradWeight, tW.grad)
    close(m.gradBias, tb.grad)
    want = go @ m.weight.numpy().T   # d loss / d value of key j in sample b
    dense = np.stack(N(gi[1])) if isinstance(gi[1], list) else N(gi[1]).reshape(len(keys), n_in)
    close(dense, want)


@pytest.mark.parametrize('lastOnly', [False, True])
def test_variable_length_seq_lstm(lastOnly):
    """VariableLength(SeqLSTM): sequences of several lengths packed with masked steps between them give each its
    own torch.nn.LSTM from zero states (the mask resets them); lastOnly the last step of each."""
    r = rng(19)
    m = nn.SeqLSTM(D, H).double()
    m.weight.copy(L(r.normal(size=(D + H, 4 * H)) * 0.5))
    m.bias.copy(L(r.normal(size=4 * H) * 0.5))
    params = _seq_params(m)
    vl = nn.VariableLength(m, lastOnly)
    lengths = [4, 1, 3, 2, 5]
    seqs = [r.normal(size=(n, D)) for n in lengths]
    gos = [r.normal(size=(H,) if lastOnly else (n, H)) for n in lengths]
    vl.zeroGradParameters()
    out = vl.forward([L(s) for s in seqs])
    gi = vl.backward([L(s) for s in seqs], L(np.stack(gos)) if lastOnly else [L(g) for g in gos], SCALE)
    ref = _torch_lstm(params)
    txs = [T(s) for s in seqs]
    ys = [ref(tx[:, None])[0][:, 0] for tx in txs]
    for k, (y, g) in enumerate(zip(ys, gos)):
        (y[-1] if lastOnly else y).backward(torch.as_tensor(g))
        close(out[k] if lastOnly else out[k], y[-1] if lastOnly else y)
        close(gi[k], txs[k].grad)
    _assert_seq_grads(m, ref)


def test_bisequencer_of_seq_lstm():
    """torch/rnn's BiSequencer(SeqLSTM) over a seqlen x batch x D tensor: the forward SeqLSTM and a reversed
    backward one (ReverseUnreverse), summed (CAddTable): torch.nn.LSTM(bidirectional)'s halves summed."""
    r = rng(20)
    fwd, bwd = nn.SeqLSTM(D, H).double(), nn.SeqLSTM(D, H).double()
    for s in (fwd, bwd):
        s.weight.copy(L(r.normal(size=(D + H, 4 * H)) * 0.5))
        s.bias.copy(L(r.normal(size=4 * H) * 0.5))
    brnn = nn.BiSequencer(fwd, bwd)
    x, go = r.normal(size=(4, 2, D)), r.normal(size=(4, 2, H))
    out, gi = _pass(brnn, L(x), L(go))
    ref = _torch_lstm(_seq_params(fwd), _seq_params(bwd))
    _assert_bidirectional(out, gi, x, go, ref, True)
    _assert_seq_grads(fwd, ref)
    _assert_seq_grads(bwd, ref, 'l0_reverse')


def test_sequencer_gru_mask_zero():
    """Sequencer(GRU:maskZero(1)): rnn's GRU.lua cell (the reset gate before the recurrent product, which
    torch.nn.GRUCell puts after it: its maths by torch ops), a zero input row giving h = 0."""
    r = rng(21)
    cell = nn.GRU(D, H).double()
    params, _ = cell.parameters()
    for p in params:
        p.copy(L(r.normal(size=tuple(p.size())) * 0.5))
    P = [T(p.numpy()) for p in params]
    cell.maskZero(1)
    T_, N_ = 4, 3
    xs, gos = r.normal(size=(T_, N_, D)), r.normal(size=(T_, N_, H))
    xs[:2, 0] = 0
    xs[2, 1] = 0
    out, gi = _pass(nn.Sequencer(cell), _steps(xs), _steps(gos))
    tx = T(xs)
    h, ys = torch.zeros(N_, H, dtype=torch.float64), []
    for t in range(T_):
        a = tx[t] @ P[0].T + P[1] + h @ P[2].T
        rr, u = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:])
        hc = torch.tanh(tx[t] @ P[3].T + P[4] + (rr * h) @ P[5].T)
        h = ((1 - u) * hc + u * h) * (tx[t].detach().abs().sum(1, keepdim=True) != 0)
        ys.append(h)
    y = torch.stack(ys)
    y.backward(torch.as_tensor(gos))
    close(out, y)
    close(gi, tx.grad)
    close(cell.parameters()[1], [SCALE * p.grad.numpy() for p in P])
