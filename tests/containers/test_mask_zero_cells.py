"""maskZero/trimZero on the rnn package's LSTM, FastLSTM and GRU over zero-padded sequences (AbstractRecurrent.lua,
MaskZero.lua, TrimZero.lua); ports of test/test.lua's AbstractRecurrent_maskZero, AbstractRecurrent_trimZero,
MaskZero_where and TrimZero_main's loss check."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_close_trees, central_difference
from tests.containers.recurrent_cells import (assert_lua_mask_zero_outputs, lua_mask_zero_sequences, run_sequence,
                                             sigmoid)

rng = np.random.default_rng(0)
METHODS = ['maskZero', 'trimZero']


def left_padded(lengths=(4, 2, 1, 3), n_in=3):
    """Per-step ``batch x n_in`` arrays: sample j's lengths[j] steps at the end, zero rows before."""
    x = np.zeros((max(lengths), len(lengths), n_in))
    for j, n in enumerate(lengths):
        x[len(x) - n:, j] = rng.normal(size=(n, n_in))
    return list(x)


def fast_lstm_reference(lstm, xs):
    """NumPy float64 of FastLSTM.lua's steps ([i, z, f, o] = W x + b + U h) with the padding rows' h and c
    zeroed after each step, as MaskZero around the step module does."""
    W, b, U = (t.numpy().astype(np.float64) for t in (lstm.i2g.weight, lstm.i2g.bias, lstm.o2g.weight))
    n = lstm.outputSize
    h = c = np.zeros((xs[0].shape[0], n))
    outs = []
    for x in xs:
        keep = (np.abs(x).sum(axis=1) != 0)[:, None]
        a = x @ W.T + b + h @ U.T
        i, z, f, o = (a[:, k * n:(k + 1) * n] for k in range(4))
        c = keep * (sigmoid(f) * c + sigmoid(i) * np.tanh(z))
        h = keep * sigmoid(o) * np.tanh(c)
        outs.append(h)
    return outs


@pytest.mark.parametrize('method', METHODS)
def test_masked_fast_lstm_matches_numpy(method):
    lstm = getattr(nn.FastLSTM(3, 2), method)(1).double()
    xs = left_padded()
    outputs, _ = run_sequence(lstm, xs)
    for got, want in zip(outputs, fast_lstm_reference(lstm, xs)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert not outputs[0][1:3].any() and not outputs[1][2].any()


@pytest.mark.parametrize('method', METHODS)
@pytest.mark.parametrize('make', [lambda: nn.FastLSTM(3, 2), lambda: nn.LSTM(3, 2), lambda: nn.GRU(3, 2)],
                         ids=['FastLSTM', 'LSTM', 'GRU'])
def test_bptt_against_finite_differences_over_padding(method, make):
    """Back-propagation through a padded batch agrees with central differences (float64) for the input elements
    outside the padding and for every parameter; the padding gets no gradient."""
    lstm = getattr(make(), method)(1).double()
    xs = left_padded((3, 1, 2))
    gos = [rng.normal(size=(3, 2)) for _ in xs]

    def loss():
        outputs, _ = run_sequence(lstm, xs)
        return sum(float((o * g).sum()) for o, g in zip(outputs, gos))

    lstm.zeroGradParameters()
    _, grads = run_sequence(lstm, xs, gos)
    param_grads = [g.numpy().copy() for g in lstm.parameters()[1]]
    for t, x in enumerate(xs):
        for i in np.ndindex(x.shape):
            if not x[i[0]].any():
                assert grads[t][i] == 0
                continue
            assert abs(central_difference(loss, x, i) - grads[t][i]) < 1e-7
    for p, g in zip(lstm.parameters()[0], param_grads):
        a = p.numpy()
        for i in np.ndindex(a.shape):
            assert abs(central_difference(loss, a, i) - g[i]) < 1e-7


@pytest.mark.parametrize('method', METHODS)
def test_type_roundtrip(method):
    lstm = getattr(nn.FastLSTM(3, 2), method)(1)
    xs = left_padded()
    out32, _ = run_sequence(lstm.float(), [x.astype(np.float32) for x in xs])
    out64, _ = run_sequence(lstm.double(), xs)
    assert lstm.recurrentModule.type() == 'legonn.DoubleTensor'
    for a, b in zip(out32, out64):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
@pytest.mark.parametrize('method', METHODS)
def test_gpu(method):
    net = nn.Sequencer(getattr(nn.FastLSTM(3, 2), method)(1)).double()
    xs = [lg.from_numpy(x) for x in left_padded()]
    gos = [lg.from_numpy(rng.normal(size=(4, 2))) for _ in xs]
    gpu = net.clone().cudaDouble()
    assert_close_trees(net.forward(xs), gpu.forward([x.cudaDouble() for x in xs]))
    net.zeroGradParameters()
    gpu.zeroGradParameters()
    assert_close_trees(net.backward(xs, gos), gpu.backward([x.cudaDouble() for x in xs], [g.cudaDouble() for g in gos]))
    for g, gg in zip(net.parameters()[1], gpu.parameters()[1]):
        assert_close_trees(g, gg)


# --- test.lua ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('method', METHODS)
@pytest.mark.parametrize('make', [lambda: nn.LSTM(10, 10), lambda: nn.GRU(10, 10), lambda: nn.FastLSTM(10, 10)],
                         ids=['LSTM', 'GRU', 'FastLSTM'])
def test_lua_abstract_recurrent_mask_zero(method, make):
    """test.lua rnntest.AbstractRecurrent_maskZero / _trimZero (its LSTM and GRU cases; FastLSTM added): sequences of
    lengths 1 to 4 ending at the last step; padded steps give zeros and each real step the output the same
    sequence gives in the other samples."""
    x = lua_mask_zero_sequences(rng)
    outputs = nn.Sequencer(getattr(make(), method)(1)).double().forward(list(x))
    out = np.stack([o.numpy() for o in outputs])
    assert_lua_mask_zero_outputs(out)


def test_lua_mask_zero_where():
    """test.lua rnntest.MaskZero_where: a FastLSTM with maskZero gives the same outputs, gradInputs and parameter
    gradients whether a padding step comes first or last; padding in the middle of a sequence equals a forget()
    there."""
    hidden, batch, seqlen = 5, 4, 7
    net = nn.Sequencer(nn.FastLSTM(hidden, hidden).maskZero(1)).double()
    xs = [lg.zeros(batch, hidden).double()] + [lg.randn(batch, hidden).double() for _ in range(seqlen - 1)]
    gos = [lg.randn(batch, hidden).double() for _ in range(seqlen)]
    outputs = [o.clone() for o in net.forward(xs)]
    net.zeroGradParameters()
    grads = [g.clone() for g in net.backward(xs, gos)]
    param_grads = [g.clone() for g in net.parameters()[1]]
    xs2, gos2 = xs[1:] + xs[:1], gos[1:] + gos[:1]
    outputs2 = net.forward(xs2)
    net.zeroGradParameters()
    grads2 = net.backward(xs2, gos2)
    for t in range(seqlen - 1):
        assert (outputs2[t] - outputs[t + 1]).abs().max() < 1e-6
        assert (grads2[t] - grads[t + 1]).abs().max() < 1e-6
    for a, b in zip(net.parameters()[1], param_grads):
        assert (a - b).abs().max() < 1e-6
    # padding at step 3 (0-based) of 7 against two sequences of 3 steps with a forget() between
    xs = [lg.randn(batch, hidden).double() if t != 3 else lg.zeros(batch, hidden).double() for t in range(seqlen)]
    gos = [lg.randn(batch, hidden).double() for _ in range(seqlen)]
    net2 = net.clone()
    outputs = net.forward(xs)
    net.zeroGradParameters()
    grads = net.backward(xs, gos)
    first_out = [o.clone() for o in net2.forward(xs[:3])]
    net2.zeroGradParameters()
    first_grads = [g.clone() for g in net2.backward(xs[:3], gos[:3])]
    second_out = net2.forward(xs[4:])   # a Sequencer's forward begins with forget()
    second_grads = net2.backward(xs[4:], gos[4:])
    for t in range(3):
        assert (outputs[t] - first_out[t]).abs().max() < 1e-6 and (grads[t] - first_grads[t]).abs().max() < 1e-6
        assert (outputs[t + 4] - second_out[t]).abs().max() < 1e-6
        assert (grads[t + 4] - second_grads[t]).abs().max() < 1e-6
    for a, b in zip(net.parameters()[1], net2.parameters()[1]):
        assert (a - b).abs().max() < 1e-6


@pytest.mark.parametrize('arch', ['FastLSTM', 'GRU'])
def test_lua_trim_zero_loss_equals_mask_zero(arch):
    """test.lua rnntest.TrimZero_main's last check: a LookupTableMaskZero, SplitTable, the recurrent module over
    the steps, the last step's output, a Linear and CrossEntropyCriterion, three SGD steps on three batches:
    maskZero and trimZero give the same losses. The padding index is test.lua's 0 shifted down with the words,
    -1, and its labels ceil(rand) = 1 are 0."""
    x = lg.LongTensor([[[1, 2, 3], [0, 4, 5], [0, 0, 7]],
                       [[1, 2, 3], [2, 4, 5], [0, 0, 7]],
                       [[1, 2, 3], [2, 4, 5], [3, 0, 7]]]) - 1
    t = lg.LongTensor([0, 0, 0])
    model = (nn.Sequential().add(nn.LookupTableMaskZero(7, 10)).add(nn.SplitTable(1))
             .add(nn.Sequencer(getattr(nn, arch)(10, 8))).add(nn.SelectTable(-1)).add(nn.Linear(8, 10))).double()
    model.getParameters()[0].uniform(-0.1, 0.1)
    crit = nn.CrossEntropyCriterion().double()
    losses = {}
    for method in METHODS:
        m = model.clone()
        getattr(m.get(2).module, method)(1)
        losses[method] = []
        for i in range(3):
            m.zeroGradParameters()
            y = m.forward(x[i])
            losses[method].append(crit.forward(y, t))
            m.backward(x[i], crit.backward(y, t))
            m.updateParameters(0.5)
    np.testing.assert_allclose(losses['maskZero'], losses['trimZero'], atol=1e-7)
    assert losses['maskZero'][2] != losses['maskZero'][0]   # the parameters moved


def test_trim_zero_of_a_bayesian_gru_needs_mono():
    """AbstractRecurrent.lua's trimZero: a GRU with dropout p > 0 must use mono masks (one row for the batch);
    TrimZero.lua's constructor asks it of a GRU, LSTM or FastLSTM."""
    with pytest.raises(ValueError, match=r'GRU\(3 -> 2, 0.50\): trimZero with dropout \(p = 0.5\) needs the mono '
                                         'option'):
        nn.GRU(3, 2, 9999, 0.5).trimZero(1)
    assert type(nn.GRU(3, 2, 9999, 0.5, True).trimZero(1).recurrentModule) is nn.TrimZero
    assert type(nn.GRU(3, 2, 9999, 0.5).maskZero(1).recurrentModule) is nn.MaskZero
    # TrimZero.lua asks the same of a GRU, LSTM or FastLSTM it decorates itself
    for make in (nn.GRU, nn.LSTM, nn.FastLSTM):
        with pytest.raises(ValueError, match=r'TrimZero: .* has dropout \(p = 0.5\): TrimZero needs its mono option'):
            nn.TrimZero(make(3, 2, 9999, p=0.5), 1)
        nn.TrimZero(make(3, 2, 9999, p=0.5, mono=True), 1, True)
