"""ReverseUnreverse (torch/rnn's ReverseUnreverse.lua): a sequencer reading a sequence from its last step, its
output back in the input's order; and SeqBLSTM, SeqBGRU (SeqBLSTM.lua, SeqBGRU.lua) built on it: checked against
the reversal done by hand, by finite differences, with a zero mask, on bad input and on the GPU."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, standard_tests

T, N, D, H = 3, 2, 4, 5


def r(*sizes):
    return lg.DoubleTensor(*sizes).uniform(-1, 1)


CASES = {
    'sequencer': lambda: (nn.ReverseUnreverse(nn.Sequencer(nn.RecLSTM(D, H))), r(T, N, D)),
    'seqgru': lambda: (nn.ReverseUnreverse(nn.SeqGRU(D, H)), r(T, N, D)),
    'seqblstm': lambda: (nn.SeqBLSTM(D, H), r(T, N, D)),
    'seqblstm-projected-joined': lambda: (nn.SeqBLSTM(D, H, 3, nn.JoinTable(2)), r(T, N, D)),
    'seqbgru': lambda: (nn.SeqBGRU(D, H), r(T, N, D)),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), lambda case: CASES[case]())


def test_output_is_the_reversed_run_reversed():
    ru = nn.ReverseUnreverse(nn.SeqLSTM(D, H)).double()
    x = r(T, N, D)
    out = ru.forward(x).numpy()
    alone = ru.getModule().clone()
    expected = alone.forward(lg.from_numpy(x.numpy()[::-1].copy())).numpy()[::-1]
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_mask_steps_are_reversed_for_the_sequencer():
    ru = nn.ReverseUnreverse(nn.SeqLSTM(D, H).maskZero()).double()
    mask = lg.ByteTensor(T, N).zero()
    mask[0, 1] = 1
    ru.setZeroMask(mask)
    out = ru.forward(r(T, N, D))
    assert out[0, 1].norm() == 0 and out[T - 1, 1].norm() > 0 and out[0, 0].norm() > 0


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match='ReverseUnreverse: expected an AbstractSequencer, SeqLSTM or SeqGRU'):
        nn.ReverseUnreverse(nn.Linear(D, H))
    ru = nn.ReverseUnreverse(nn.SeqLSTM(D, H).maskZero()).double()
    with pytest.raises(TypeError, match='ReverseUnreverse.*zeroMask tensor of 2 or more dimensions'):
        ru.setZeroMask(lg.ByteTensor(N).zero())
    assert_rejected(ru, ValueError, 'SeqLSTM', 'forward', r(T, N, D + 1))


def test_seqbgru_sums_both_directions_and_masks_both():
    brnn = nn.SeqBGRU(D, H).double()
    x = r(T, N, D)
    out = brnn.forward(x).clone().numpy()
    fwd, bwd = brnn.getForward().clone(), brnn.getBackward().clone()
    expected = fwd.forward(x).numpy() + bwd.forward(lg.from_numpy(x.numpy()[::-1].copy())).numpy()[::-1]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    mask = lg.ByteTensor(T, N).zero()
    mask[0, 1] = 1
    brnn.maskZero().setZeroMask(mask)
    out = brnn.forward(x)
    assert out[0, 1].norm() == 0 and out[1, 1].norm() > 0
    with pytest.raises(TypeError, match='SeqBGRU: expected an nn module as merge'):
        nn.SeqBGRU(D, H, 'sum')
