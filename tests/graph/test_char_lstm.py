"""The LSTM of examples/char_lstm.py: the cell against a NumPy reference and finite
differences, and backprop through time over shared clones against finite differences."""
import os
import sys

import numpy as np

import legonn as lg
from tests.checks import assert_jacobian

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'examples'))
import char_lstm  # noqa: E402


def _np(t):
    return np.asarray(t.array, dtype=np.float64)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_cell_matches_lstm_equations():
    cell = char_lstm.lstm_cell(3, 2).double()
    x, c, h = lg.randn(4, 3).double(), lg.randn(4, 2).double(), lg.randn(4, 2).double()
    next_c, next_h = cell.forward([x, c, h])
    lin = next(m for m in cell.modules if type(m).__name__ == 'Linear')
    z = np.concatenate([_np(x), _np(h)], 1) @ _np(lin.weight).T + _np(lin.bias)
    i, f, o, g = _sigmoid(z[:, :2]), _sigmoid(z[:, 2:4]), _sigmoid(z[:, 4:6]), np.tanh(z[:, 6:])
    expected_c = f * _np(c) + i * g
    np.testing.assert_allclose(_np(next_c), expected_c, rtol=1e-12)
    np.testing.assert_allclose(_np(next_h), o * np.tanh(expected_c), rtol=1e-12)
    assert_jacobian(char_lstm.lstm_cell(2, 2), [lg.randn(2, 2), lg.randn(2, 2), lg.randn(2, 2)])


def numeric_gradient(params, loss):
    """Central differences of ``loss()`` with respect to each entry of the flat array ``params``."""
    numeric = np.zeros(params.size)
    for k in range(params.size):
        orig = params[k]
        params[k] = orig + 1e-6
        up = loss()
        params[k] = orig - 1e-6
        down = loss()
        params[k] = orig
        numeric[k] = (up - down) / 2e-6
    return numeric


def test_backprop_through_time_over_shared_clones():
    lg.setdefaulttensortype('legonn.DoubleTensor')
    model = char_lstm.CharLSTM(vocab=5, embed=3, rnn_size=3, layers=2, seq_length=3, cuda=False)
    x = lg.from_numpy(np.array([[0, 1, 2], [3, 4, 0]]))
    y = lg.from_numpy(np.array([[1, 2, 3], [4, 0, 1]]))
    state = model.zero_state(2)

    def loss():
        return model.forward(x, y, state)[0]

    model.grads.zero()
    _, inputs, _ = model.forward(x, y, state)
    model.backward(x, y, inputs)
    analytic = _np(model.grads).copy()
    assert np.abs(analytic).max() > 0
    numeric = numeric_gradient(model.params.array, loss)
    np.testing.assert_allclose(analytic, numeric, atol=1e-7)
    linears = [m for m in model.clones[2].listModules() if type(m).__name__ == 'Linear']
    assert len(linears) == 3 and all(m.weight.storage() is model.params.storage() for m in linears)


def test_fused_model_gradients_and_sampling():
    """--fused: SeqLSTM layers; the flat gradient against finite differences, state carried by remember()."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    model = char_lstm.FusedCharLSTM(vocab=5, embed=3, rnn_size=3, layers=2, seq_length=3, cuda=False)
    x = lg.from_numpy(np.array([[0, 1, 2], [3, 4, 0]]))
    y = lg.from_numpy(np.array([[1, 2, 3], [4, 0, 1]]))

    def loss():
        model.zero_state(2)   # every evaluation from zeros: remember() would carry the last chunk's state
        return model.forward(x, y, [])[0]

    model.grads.zero()
    loss()
    model.backward(x, y, None)
    analytic = _np(model.grads).copy()
    numeric = numeric_gradient(model.params.array, loss)
    assert np.abs(analytic).max() > 0
    np.testing.assert_allclose(analytic, numeric, atol=1e-7)
    text = model.sample('abcde', 'ab', 10, 1.0, np.random.default_rng(0))
    assert text.startswith('ab') and len(text) >= 12 and set(text) <= set('abcde')
