"""StepGRU (torch/rnn's StepGRU.lua): one GRU step {x, h[t-1]} -> h[t], checked against a float64 NumPy
transcription of StepGRU.lua's Lua branch, by finite differences, with torch/rnn's zero mask, and on bad input."""
import numpy as np
import pytest

from legonn import nn
from tests.checks import assert_rejected, standard_tests
from tests.modules.test_step_lstm import D, H, N, masked, r

CASES = {
    'gru': lambda: (nn.StepGRU(D, H), [r(N, D), r(N, H)]),
    'gru-masked': lambda: (masked(nn.StepGRU(D, H), [0, 2]), [r(N, D), r(N, H)]),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), lambda case: CASES[case]())


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_forward_matches_the_lua_branch():
    m = nn.StepGRU(D, H).double()
    x, h = r(N, D), r(N, H)
    out = m.forward([x, h])
    W, b, xa, ha = m.weight.numpy(), m.bias.numpy(), x.numpy(), h.numpy()
    a = b + xa @ W[:D]
    ru = sigmoid(a[:, :2 * H] + ha @ W[D:, :2 * H])
    rg, u = ru[:, :H], ru[:, H:]
    hc = np.tanh(a[:, 2 * H:] + (rg * ha) @ W[D:, 2 * H:])
    np.testing.assert_allclose(out.numpy(), (1 - u) * hc + u * ha, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m.gates.numpy(), np.concatenate([ru, hc], 1), rtol=1e-12, atol=1e-14)
    expected = np.zeros(3 * H)
    expected[H:2 * H] = 1
    np.testing.assert_array_equal(nn.StepGRU(D, H).bias.numpy(), expected)


def test_masked_rows_output_zeros_and_get_no_gradient():
    m = masked(nn.StepGRU(D, H).double(), [1])
    x = [r(N, D), r(N, H)]
    out = m.forward(x)
    assert out[1].norm() == 0 and m.gates[1].norm() == 0 and out[0].norm() > 0
    for g in m.backward(x, r(N, H)):
        assert g[1].norm() == 0 and g[0].norm() > 0


@pytest.mark.parametrize('bad, error, match', [
    (lambda: r(N, D), TypeError, 'table'),
    (lambda: [r(N, D), r(N, H), r(N, H)], ValueError, 'StepGRU'),
    (lambda: [r(N, D + 1), r(N, H)], ValueError, r'input\[0\] of 4 features'),
    (lambda: [r(N, D), r(N + 1, H)], ValueError, r'input\[1\] \(h\[t-1\]\) of size \(3, 5\)'),
    (lambda: [r(N, D), r(N, H).float()], TypeError, 'DoubleTensor'),
])
def test_bad_input_is_named(bad, error, match):
    assert_rejected(nn.StepGRU(D, H).double(), error, match, 'forward', bad())


def test_bad_gradoutput_is_named():
    m = nn.StepGRU(D, H).double()
    x = [r(N, D), r(N, H)]
    m.forward(x)
    assert_rejected(m, ValueError, r'gradOutput of size \(3, 5\)', 'backward', x, r(N, H + 1))


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_masked_row_is_exactly_zero_even_from_inf_and_nan(tensor):
    # StepGRU.lua zeroes the masked rows, forwards and backwards, with recursiveZeroMask's maskedFill (a
    # select): an inf input, a NaN state or an inf gradOutput in a masked row gives zeros (a 0/1 product, NaN)
    plain = nn.StepGRU(D, H).type(tensor)
    m = masked(plain.clone(), [1]).type(tensor)
    x = [r(N, D), r(N, H)]
    x[0][1][2], x[1][1][0] = float('inf'), float('nan')
    x = [t.type(tensor) for t in x]
    out = m.forward(x).double().numpy()
    np.testing.assert_array_equal(out[1], 0)
    np.testing.assert_array_equal(out[[0, 2]], plain.forward(x).double().numpy()[[0, 2]])
    x[0][1][2], x[1][1][0] = 0.5, 0.25
    m.forward(x)
    go = r(N, H)
    go[1][3] = float('inf')
    gx, gh = (t.double().numpy() for t in m.backward(x, go.type(tensor)))
    np.testing.assert_array_equal(gx[1], 0)
    np.testing.assert_array_equal(gh[1], 0)
    assert np.isfinite(gx).all() and np.isfinite(gh).all()
