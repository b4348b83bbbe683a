"""StepLSTM (torch/rnn's StepLSTM.lua): one LSTM step {x, h[t-1], c[t-1]} -> {h[t], c[t]}, with an optional
projection, checked against a float64 NumPy transcription of StepLSTM.lua's Lua branch, by finite differences,
with torch/rnn's zero mask, and on bad input."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, standard_tests

N, D, H, R = 3, 4, 5, 2


def r(*sizes):
    return lg.DoubleTensor(*sizes).uniform(-1, 1)


def masked(module, rows):
    mask = lg.ByteTensor(N).zero()
    for n in rows:
        mask[n] = 1
    module.maskZero().setZeroMask(mask)
    return module


CASES = {
    'lstm': lambda: (nn.StepLSTM(D, H), [r(N, D), r(N, H), r(N, H)]),
    'lstmp': lambda: (nn.StepLSTM(D, H, R), [r(N, D), r(N, R), r(N, H)]),
    'lstm-masked': lambda: (masked(nn.StepLSTM(D, H), [1]), [r(N, D), r(N, H), r(N, H)]),
    'lstmp-masked': lambda: (masked(nn.StepLSTM(D, H, R), [0, 2]), [r(N, D), r(N, R), r(N, H)]),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), lambda case: CASES[case]())


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lua_step(W, b, Wo, x, h, c):
    """StepLSTM.lua's Lua updateOutput: (h[t], c[t], gates)."""
    Hs = c.shape[1]
    a = b + x @ W[:x.shape[1]] + h @ W[x.shape[1]:]
    a[:, :3 * Hs] = sigmoid(a[:, :3 * Hs])
    a[:, 3 * Hs:] = np.tanh(a[:, 3 * Hs:])
    i, f, o, g = (a[:, k * Hs:(k + 1) * Hs] for k in range(4))
    c_next = f * c + i * g
    hidden = o * np.tanh(c_next)
    return (hidden if Wo is None else hidden @ Wo), c_next, a


@pytest.mark.parametrize('projected', [False, True])
def test_forward_matches_the_lua_branch(projected):
    m = nn.StepLSTM(D, H, R) if projected else nn.StepLSTM(D, H)
    m.double()
    width = R if projected else H
    x = [r(N, D), r(N, width), r(N, H)]
    h, c = m.forward(x)
    Wo = m.weightO.numpy() if projected else None
    h2, c2, gates = lua_step(m.weight.numpy(), m.bias.numpy(), Wo, *(t.numpy() for t in x))
    np.testing.assert_allclose(h.numpy(), h2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c.numpy(), c2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m.gates.numpy(), gates, rtol=1e-12, atol=1e-14)


def test_reset_follows_steplstm_lua():
    """bias zero but entries outputsize..2 outputsize; weight and weightO drawn with their stdv."""
    m = nn.StepLSTM(D, H, R)
    expected = np.zeros(4 * H)
    expected[R:2 * R] = 1
    np.testing.assert_array_equal(m.bias.numpy(), expected)
    m.reset(0.5)
    assert abs(m.weight.std() - 0.5) < 0.2 and tuple(m.weight.size()) == (D + R, 4 * H)
    assert tuple(m.weightO.size()) == (H, R)


def test_masked_rows_output_zeros_and_get_no_gradient():
    m = masked(nn.StepLSTM(D, H).double(), [1])
    x = [r(N, D), r(N, H), r(N, H)]
    h, c = m.forward(x)
    assert h[1].norm() == 0 and c[1].norm() == 0 and m.gates[1].norm() == 0
    assert h[0].norm() > 0 and h[2].norm() > 0
    gi = m.backward(x, [r(N, H), r(N, H)])
    for g in gi:
        assert g[1].norm() == 0 and g[0].norm() > 0


def test_mask_is_required_after_maskzero_and_may_be_false():
    m = nn.StepLSTM(D, H).double().maskZero()
    x = [r(N, D), r(N, H), r(N, H)]
    with pytest.raises(ValueError, match=r'StepLSTM.*zeroMask'):
        m.forward(x)
    m.setZeroMask(False)
    expected = nn.StepLSTM(D, H).double()
    expected.weight.copy(m.weight)
    expected.bias.copy(m.bias)
    np.testing.assert_array_equal(m.forward(x)[0].numpy(), expected.forward(x)[0].numpy())
    with pytest.raises(ValueError, match='zeroMask of 3 elements'):
        m.setZeroMask(lg.ByteTensor(4).zero())
        m.forward(x)
    with pytest.raises(TypeError, match='ByteTensor zeroMask'):
        m.setZeroMask(lg.DoubleTensor(N).zero())
    with pytest.raises(ValueError, match='v1'):
        m.maskZero(True)


def test_updategradinput_then_accgradparameters_is_backward():
    """The parameter gradients come in accGradParameters (torch/rnn computes them in updateGradInput, with
    scale 1: docs/porting.md's StepLSTM row); together they are backward's, any scale."""
    m = nn.StepLSTM(D, H, R).double()
    x, go = [r(N, D), r(N, R), r(N, H)], [r(N, R), r(N, H)]
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, go, 0.5)
    once = [g.clone() for g in m.parameters()[1]]
    m.zeroGradParameters()
    m.updateGradInput(x, go)
    assert all(g.norm() == 0 for g in m.parameters()[1])
    m.accGradParameters(x, go, 0.5)
    for a, b in zip(once, m.parameters()[1]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # accGradParameters alone, or after an updateGradInput of another gradOutput, differentiates its own
    m.zeroGradParameters()
    m.forward(x)
    m.updateGradInput(x, [go[0] * 2, go[1]])
    m.accGradParameters(x, go, 0.5)
    for a, b in zip(once, m.parameters()[1]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-13)


@pytest.mark.parametrize('bad, error, match', [
    (lambda: r(N, D), TypeError, 'table'),
    (lambda: [r(N, D), r(N, H)], ValueError, 'StepLSTM'),
    (lambda: [r(N, D + 1), r(N, H), r(N, H)], ValueError, r'input\[0\] of 4 features'),
    (lambda: [r(N, D), r(N, H + 1), r(N, H)], ValueError, r'input\[1\] \(h\[t-1\]\) of size \(3, 5\)'),
    (lambda: [r(N, D), r(N, H), r(N - 1, H)], ValueError, r'input\[2\] \(c\[t-1\]\) of size \(3, 5\)'),
    (lambda: [r(D), r(N, H), r(N, H)], ValueError, r'2-D input\[0\]'),
    (lambda: [r(N, D).float(), r(N, H), r(N, H)], TypeError, 'DoubleTensor'),
])
def test_bad_input_is_named(bad, error, match):
    m = nn.StepLSTM(D, H).double()
    assert_rejected(m, error, match, 'forward', bad())


def test_bad_gradoutput_is_named():
    m = nn.StepLSTM(D, H).double()
    x = [r(N, D), r(N, H), r(N, H)]
    m.forward(x)
    assert_rejected(m, ValueError, r'gradOutput\[1\] of size \(3, 5\)', 'backward', x, [r(N, H), r(N, H + 1)])
    with pytest.raises(ValueError, match='StepLSTM.*positive'):
        nn.StepLSTM(D, 0)


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_masked_row_is_exactly_zero_even_from_inf_and_nan(tensor):
    # StepLSTM.lua zeroes the masked rows with recursiveZeroMask's maskedFill (a select): an inf input or a NaN
    # state in a masked row gives zeros there (a product with the 0/1 mask gave NaN), the other rows unchanged
    plain = nn.StepLSTM(D, H).type(tensor)
    m = masked(plain.clone(), [1]).type(tensor)
    x = [r(N, D), r(N, H), r(N, H)]
    x[0][1][2], x[1][1][0] = float('inf'), float('nan')
    x = [t.type(tensor) for t in x]
    h, c = (t.double().numpy() for t in m.forward(x))
    h0, c0 = (t.double().numpy() for t in plain.forward(x))
    for got, unmasked in ((h, h0), (c, c0)):
        np.testing.assert_array_equal(got[1], 0)
        np.testing.assert_array_equal(got[[0, 2]], unmasked[[0, 2]])
