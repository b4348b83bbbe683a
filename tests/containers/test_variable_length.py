"""VariableLength (torch/rnn's VariableLength.lua) and its packing functions (VariableLength.c, on a tensor's
``nn`` table), and torch/rnn's nn.utils.getZeroMaskSequence/getZeroMaskBatch: checked against each sequence run
alone, by finite differences, on bad input, and on the GPU."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, standard_tests

D, H = 3, 4
LENGTHS = (2, 5, 1, 3)


def sequences():
    return [lg.DoubleTensor(n, D).uniform(-1, 1) for n in LENGTHS]


CASES = {
    'seqlstm': lambda: (nn.VariableLength(nn.SeqLSTM(D, H)), sequences()),
    'seqlstm-last': lambda: (nn.VariableLength(nn.SeqLSTM(D, H), True), sequences()),
    'reclstm': lambda: (nn.VariableLength(nn.Sequencer(nn.RecLSTM(D, H))), sequences()),
    'recgru-last': lambda: (nn.VariableLength(nn.Sequencer(nn.RecGRU(D, H)), True), sequences()),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), lambda case: CASES[case]())


def test_packing_fills_rows_longest_first_with_a_separator():
    """VariableLength.c: lengths 2, 5, 1, 3 in rows of 5 steps: [5], [3, then 1], [2]."""
    samples = sequences()
    output, mask = lg.DoubleTensor(), lg.ByteTensor()
    indexes, mapped = output.nn.VariableLength_FromSamples(samples, output, mask)
    assert indexes == [[1], [3, 2], [0]] and mapped == [[5], [3, 1], [2]]
    assert tuple(output.size()) == (5, 3, D)
    np.testing.assert_array_equal(mask.numpy().T, [[0, 0, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(output[4, 1].numpy(), samples[2][0].numpy())
    assert output[3, 1].norm() == 0 and output[2, 2].norm() == 0


def test_each_sequence_computes_as_if_alone():
    vl = nn.VariableLength(nn.SeqLSTM(D, H)).double()
    samples = sequences()
    outputs = vl.forward(samples)
    alone = nn.SeqLSTM(D, H).double()
    alone.weight.copy(vl.modules[0].weight)
    alone.bias.copy(vl.modules[0].bias)
    for x, out in zip(samples, outputs):
        np.testing.assert_allclose(out.numpy(), alone.forward(x.view(x.size(0), 1, D))[:, 0].numpy(), rtol=1e-12)


def test_get_zero_mask():
    x = lg.DoubleTensor(3, 2, 4).uniform(-1, 1)
    x[1, 0].zero()
    np.testing.assert_array_equal(nn.utils.getZeroMaskSequence(x).numpy(), [[0, 0], [1, 0], [0, 0]])
    mask = lg.ByteTensor()
    assert nn.utils.getZeroMaskBatch([x[1], x[0]], mask) is mask
    np.testing.assert_array_equal(mask.numpy(), [1, 0])
    with pytest.raises(ValueError, match='getZeroMaskSequence: expected a tensor of 2 or more dimensions'):
        nn.utils.getZeroMaskSequence(x[0, 0])


def test_bad_input_is_named():
    vl = nn.VariableLength(nn.SeqLSTM(D, H)).double()
    assert_rejected(vl, TypeError, 'VariableLength.*table of sequences', 'forward', lg.DoubleTensor(2, D))
    assert_rejected(vl, ValueError, r'sample 1 of size \(2, 4\)', 'forward',
                    [lg.DoubleTensor(2, D).zero(), lg.DoubleTensor(2, D + 1).zero()])
    out = vl.forward(sequences())
    with pytest.raises(ValueError, match="VariableLength.*gradOutput table of the output's 4 sequences"):
        vl.backward(sequences(), [o.clone() for o in out[:3]])
    with pytest.raises(TypeError, match='setZeroMask is not supported'):
        vl.setZeroMask(lg.ByteTensor(2, 2).zero())
    with pytest.raises(TypeError, match='ByteTensor on output'):
        lg.Tensor().nn.VariableLength_FromSamples(sequences(), lg.DoubleTensor(), lg.DoubleTensor())
