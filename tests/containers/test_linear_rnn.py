"""LinearRNN and LookupRNN (torch/rnn's LinearRNN.lua, LookupRNN.lua): Recurrences of nn layers, checked against
a float64 NumPy transcription, by finite differences through a Sequencer, and on bad input."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_parameter_jacobians, assert_rejected, standard_tests

T, N, D, H, V = 3, 2, 4, 5, 6


def r(*sizes):
    return lg.DoubleTensor(*sizes).uniform(-1, 1)


def indices():
    return lg.LongTensor(T, N).random(-1, V)


CASES = {
    'linear': lambda: (nn.Sequencer(nn.LinearRNN(D, H)), r(T, N, D)),
    'linear-tanh': lambda: (nn.Sequencer(nn.LinearRNN(D, H, nn.Tanh())), r(T, N, D)),
    'lookup': lambda: (nn.Sequencer(nn.LookupRNN(V, H)), indices()),
}

_, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), lambda case: CASES[case]())
# indices have no Jacobian: LookupRNN's is its parameters' alone
test_jacobian = standard_tests(['linear', 'linear-tanh'], lambda case: CASES[case]())[0]


def test_lookup_parameter_jacobians():
    """Without padding: the padding row, zeroed at each forward, gathers gradients as LookupTableMaskZero.lua's
    does, which no finite difference sees."""
    module = nn.Sequencer(nn.LookupRNN(V, H))
    assert_parameter_jacobians(module.double(), lg.LongTensor(T, N).random(0, V))


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_linear_rnn_is_a_sigmoid_of_the_joined_step():
    m = nn.LinearRNN(D, H).double()
    seq = nn.Sequencer(m)
    x = r(T, N, D)
    out = seq.forward(x).numpy()
    linear = m.recurrentModule.modules[1]
    W, b, h = linear.weight.numpy(), linear.bias.numpy(), np.zeros((N, H))
    for t in range(T):
        h = sigmoid(np.concatenate([x[t].numpy(), h], 1) @ W.T + b)
        np.testing.assert_allclose(out[t], h, rtol=1e-12)
    assert repr(m) == 'nn.LinearRNN(4 -> 5)'


def test_lookup_rnn_adds_the_looked_up_row_and_pads_with_minus_one():
    m = nn.LookupRNN(V, H).double()
    seq = nn.Sequencer(m)
    x = indices()
    x[0, 0] = -1
    out = seq.forward(x).numpy()
    lookup, linear = m.recurrentModule.modules[0].modules
    E, W, b, h = lookup.weight.numpy(), linear.weight.numpy(), linear.bias.numpy(), np.zeros((N, H))
    for t in range(T):
        h = sigmoid(E[x[t].numpy() + 1] + h @ W.T + b)
        np.testing.assert_allclose(out[t], h, rtol=1e-12)
    assert E[0].sum() == 0 and repr(m) == 'nn.LookupRNN(6 -> 5)'


def test_bad_input_is_named():
    assert_rejected(nn.Sequencer(nn.LinearRNN(D, H).double()), ValueError, r'LinearRNN|Linear', 'forward',
                    r(T, N, D + 1))
    assert_rejected(nn.Sequencer(nn.LookupRNN(V, H).double()), (ValueError, IndexError), r'LookupTable',
                    'forward', lg.LongTensor(T, N).fill(V))


def test_masked_steps_restart_from_zeros():
    """torch/rnn's maskZero() then setZeroMask: a step of a marked row outputs zeros (its x is not zero), and
    the next step starts from a zero state: its output is a fresh sequence's first."""
    rnn = nn.LinearRNN(D, H).double().maskZero()
    seq = nn.Sequencer(rnn)
    x = r(T, N, D)
    mask = lg.ByteTensor(T, N).zero()
    mask[1, 0] = 1
    seq.setZeroMask(mask)
    out = seq.forward(x).clone()
    assert out[1, 0].norm() == 0 and out[1, 1].norm() > 0
    alone = nn.Sequencer(rnn.clone())   # a new sequence, unmasked
    alone.setZeroMask(False)
    fresh = alone.forward(x[2:3])
    np.testing.assert_allclose(out[2, 0].numpy(), fresh[0, 0].numpy(), rtol=1e-12)
    gi = seq.backward(x, r(T, N, H))
    assert gi[1, 0].norm() == 0 and gi[1, 1].norm() > 0
    seq.setZeroMask(False)
    assert seq.forward(x)[1, 0].norm() > 0
    with pytest.raises(ValueError, match=r'MaskZero.*a zeroMask \(setZeroMask\) before forward'):
        nn.Sequencer(nn.LinearRNN(D, H).double().maskZero()).forward(x)


def test_maskzero_takes_a_given_mask():
    """MaskZero.setZeroMask (torch/rnn's v2): the marked rows, not the zero ones; False: none; None: the zero
    rows again."""
    m = nn.MaskZero(nn.Linear(D, H), 1).double()
    x = r(N + 1, D)
    x[0].zero()
    mask = lg.ByteTensor(N + 1).zero()
    mask[2] = 1
    m.setZeroMask(mask)
    out = m.forward(x)
    assert out[2].norm() == 0 and out[0].norm() > 0
    m.setZeroMask(False)
    assert m.forward(x)[0].norm() > 0 and m.output[2].norm() > 0
    m.setZeroMask(None)
    assert m.forward(x)[0].norm() == 0 and m.output[2].norm() > 0
    m.setZeroMask(lg.ByteTensor(N).zero())
    with pytest.raises(ValueError, match='MaskZero.*zeroMask of 3 elements'):
        m.forward(x)
    torch_rnn = nn.MaskZero(nn.Linear(D, H)).double()   # torch/rnn's: no nInputDim, a mask each forward
    with pytest.raises(ValueError, match='MaskZero.*zeroMask'):
        torch_rnn.forward(x)
    torch_rnn.setZeroMask(mask)
    assert torch_rnn.forward(x)[2].norm() == 0
    # loading validates it: no nInputDim is a valid state; lg.save writes the module as clearState leaves it,
    # and MaskZero.lua's clearState forgets the mask, so the copy needs its own
    copy = lg.deserialize(lg.serialize(torch_rnn))
    assert copy.nInputDim is None and copy.givenZeroMask is None and torch_rnn.givenZeroMask is mask
    copy.setZeroMask(mask)
    assert copy.forward(x)[2].norm() == 0
