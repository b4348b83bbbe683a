"""SeqLSTMP (Element-Research rnn's SeqLSTMP.lua over SeqLSTM.lua): an LSTM whose output is a projection
of its hidden state, read back by the next step. Checked against a float64 NumPy transcription of the two
Lua files' loops, by finite differences, and in the forms SeqLSTM takes."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, standard_tests

T, N, D, H, R = 4, 3, 5, 6, 2


def seq(*sizes):
    return lg.DoubleTensor(*sizes).uniform(-1, 1)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lua_forward(W, b, Wo, x, h0, c0):
    """SeqLSTM.lua's updateOutput with SeqLSTMP.lua's adapter: gates = b + x_t Wx + r_{t-1} Wh, i f o
    sigmoid, g tanh, c = f c_prev + i g, h = o tanh(c), r = h Wo."""
    Wx, Wh = W[:D], W[D:]
    r, c, rs, hs, cs = h0, c0, [], [], []
    for t in range(x.shape[0]):
        a = b + x[t] @ Wx + r @ Wh
        i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        r = h @ Wo
        rs.append(r), hs.append(h), cs.append(c)
    return np.stack(rs), np.stack(hs), np.stack(cs)


def lua_backward(W, b, Wo, x, h0, c0, grad_r):
    """SeqLSTM.lua's backward with SeqLSTMP.lua's gradAdapter: (grad x, grad h0, grad c0, grad W, grad b,
    grad Wo)."""
    Wx, Wh = W[:D], W[D:]
    rs, hs, cs = lua_forward(W, b, Wo, x, h0, c0)
    gW, gb, gWo, gx = np.zeros_like(W), np.zeros_like(b), np.zeros_like(Wo), np.zeros_like(x)
    grad_next_r, grad_next_c = np.zeros_like(h0), np.zeros_like(c0)
    for t in range(x.shape[0] - 1, -1, -1):
        prev_r, prev_c = (h0, c0) if t == 0 else (rs[t - 1], cs[t - 1])
        grad_next_r = grad_next_r + grad_r[t]
        gWo += hs[t].T @ grad_next_r
        grad_h = grad_next_r @ Wo.T
        a = b + x[t] @ Wx + prev_r @ Wh
        i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
        tc = np.tanh(cs[t])
        grad_next_c = grad_next_c + (1 - tc ** 2) * o * grad_h
        grad_a = np.concatenate([(1 - i) * i * g * grad_next_c, (1 - f) * f * prev_c * grad_next_c,
                                 (1 - o) * o * tc * grad_h, (1 - g ** 2) * i * grad_next_c], axis=1)
        gx[t] = grad_a @ Wx.T
        gW[:D] += x[t].T @ grad_a
        gW[D:] += prev_r.T @ grad_a
        gb += grad_a.sum(0)
        grad_next_r = grad_a @ Wh.T
        grad_next_c = grad_next_c * f
    return gx, grad_next_r, grad_next_c, gW, gb, gWo


def numpy_of(m):
    return m.weight.numpy(), m.bias.numpy(), m.weightO.numpy()


def test_sizes_fields_and_the_lua_reset():
    """SeqLSTMP.lua: weight (D + R, 4H), bias 4H, weightO (H, R); reset fills bias[R:2R] (its outputsize
    range) with ones and the rest with zeros; parameters() lists weightO after weight and bias."""
    m = nn.SeqLSTMP(D, H, R)
    assert (m.inputsize, m.hiddensize, m.outputsize) == (D, H, R)
    assert m.weight.size() == (D + R, 4 * H) and m.bias.size() == (4 * H,) and m.weightO.size() == (H, R)
    expected_bias = np.zeros(4 * H)
    expected_bias[R:2 * R] = 1
    assert np.array_equal(m.bias.numpy(), expected_bias)
    params, grads = m.parameters()
    assert params[2] is m.weightO and grads[2] is m.gradWeightO
    flat, _ = m.getParameters()
    assert flat.nElement() == (D + R) * 4 * H + 4 * H + H * R
    assert repr(m) == f"nn.SeqLSTMP({D} -> {H} -> {R})"


@pytest.mark.parametrize('form', ['x', 'h0-x', 'c0-h0-x'])
def test_matches_the_lua_loops_forward_and_backward(form):
    """SeqLSTM.lua + SeqLSTMP.lua in float64: outputs, the cell, gradInput in the input's table form, and
    the gradients of weight, bias and weightO, all to rounding."""
    lg.manualSeed(3)
    m = nn.SeqLSTMP(D, H, R).double()
    x, h0, c0 = seq(T, N, D), seq(N, R), seq(N, H)
    input = {'x': x, 'h0-x': [h0, x], 'c0-h0-x': [c0, h0, x]}[form]
    h0a = h0.numpy() if form != 'x' else np.zeros((N, R))
    c0a = c0.numpy() if form == 'c0-h0-x' else np.zeros((N, H))
    out = m.forward(input)
    rs, _, cs = lua_forward(*numpy_of(m), x.numpy(), h0a, c0a)
    np.testing.assert_allclose(out.numpy(), rs, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(m.cell.numpy(), cs, rtol=1e-12, atol=1e-13)
    go = seq(T, N, R)
    m.zeroGradParameters()
    gi = m.backward(input, go)
    gx, gh0, gc0, gW, gb, gWo = lua_backward(*numpy_of(m), x.numpy(), h0a, c0a, go.numpy())
    got = {'x': [gi], 'h0-x': gi, 'c0-h0-x': gi}[form]
    want = {'x': [gx], 'h0-x': [gh0, gx], 'c0-h0-x': [gc0, gh0, gx]}[form]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-10, atol=1e-12)
    for g, w in ((m.gradWeight, gW), (m.gradBias, gb), (m.gradWeightO, gWo)):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.userGradPrevOutput.numpy(), gh0, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.userGradPrevCell.numpy(), gc0, rtol=1e-10, atol=1e-12)


def batch_first(m):
    m.batchfirst = True
    return m


CASES = {
    'lstmp': lambda: (nn.SeqLSTMP(D, H, R), seq(T, N, D)),
    'lstmp-wide-output': lambda: (nn.SeqLSTMP(D, 3, 4), seq(T, N, D)),
    'lstmp-c0-h0': lambda: (nn.SeqLSTMP(D, H, R), [seq(N, H), seq(N, R), seq(T, N, D)]),
    'lstmp-batchfirst': lambda: (batch_first(nn.SeqLSTMP(D, H, R)), seq(N, T, D)),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), lambda case: CASES[case]())


def test_remember_carries_the_projected_output_and_the_cell():
    """rnn's remember(): the next forward starts from the last step's r (outputsize wide) and c (hiddensize
    wide), as one forward over the joined sequence."""
    m = nn.SeqLSTMP(D, H, R).double()
    m.remember('both')
    x = seq(2 * T, N, D)
    first, second = m.forward(x[:T]).clone(), m.forward(x[T:]).clone()
    whole = nn.SeqLSTMP(D, H, R).double()
    whole.weight.copy(m.weight), whole.bias.copy(m.bias), whole.weightO.copy(m.weightO)
    joined = whole.forward(x).numpy()
    np.testing.assert_allclose(np.concatenate([first.numpy(), second.numpy()]), joined, rtol=1e-12)
    m.forget()
    np.testing.assert_allclose(m.forward(x[T:]).numpy(), whole.forward(x[T:]).numpy(), rtol=1e-12)


def test_maskzero_zeroes_the_masked_rows_and_restarts_them():
    """maskzero: a step whose input row is all zeros outputs zeros and the row restarts from zero states
    (SeqLSTM.lua's recursiveMask of r, c and the gates); the gradient of a masked step's input is zero."""
    m = nn.SeqLSTMP(D, H, R, maskzero=True).double()
    x = seq(T, N, D)
    x.array[1, 0] = 0
    out = m.forward(x).numpy()
    assert np.all(out[1, 0] == 0) and np.all(out[1, 1:] != 0)
    # row 0 from step 2 on equals a fresh SeqLSTMP on steps 2.. of that row
    fresh = nn.SeqLSTMP(D, H, R).double()
    fresh.weight.copy(m.weight), fresh.bias.copy(m.bias), fresh.weightO.copy(m.weightO)
    np.testing.assert_allclose(out[2:, :1], fresh.forward(lg.DoubleTensor(x.numpy()[2:, :1].copy())).numpy(),
                               rtol=1e-12)
    gi = m.backward(x, seq(T, N, R)).numpy()
    assert np.all(gi[1, 0] == 0)


def test_user_states_take_their_own_widths():
    """userPrevCell is (batch, hiddensize) and userPrevOutput (batch, outputsize); userNextGradCell and
    gradPrevOutput likewise; a state of the other width is refused naming the module."""
    m = nn.SeqLSTMP(D, H, R).double()
    c0, h0 = seq(N, H), seq(N, R)
    m.userPrevCell, m.userPrevOutput = c0, h0
    x = seq(T, N, D)
    out = m.forward(x).numpy()
    rs, _, _ = lua_forward(*numpy_of(m), x.numpy(), h0.numpy(), c0.numpy())
    np.testing.assert_allclose(out, rs, rtol=1e-12, atol=1e-13)
    m.userPrevCell = seq(N, R)
    with pytest.raises(ValueError, match=rf"SeqLSTMP.*\({N}, {H}\)"):
        m.forward(x)


def test_bad_input_names_the_module_and_changes_nothing():
    m = nn.SeqLSTMP(D, H, R).double()
    before = m.getParameters()[0].clone()
    assert_rejected(m, ValueError, rf"SeqLSTMP\({D} -> {H} -> {R}\): expected a seqlen x batch x {D} tensor", 'forward',
                    seq(T, N, D + 1))
    with pytest.raises(ValueError, match='SeqLSTMP.*hiddensize'):
        nn.SeqLSTMP(D, 0, R)
    assert np.array_equal(m.getParameters()[0].numpy(), before.numpy())


def test_saves_and_loads(tmp_path):
    m = nn.SeqLSTMP(D, H, R).double()
    x = seq(T, N, D)
    path = str(tmp_path / 'lstmp.lg')
    lg.save(path, m)
    back = lg.load(path)
    np.testing.assert_array_equal(back.forward(x).numpy(), m.forward(x).numpy())
    assert back.hiddensize == H
