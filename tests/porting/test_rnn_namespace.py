"""The rnn package's ``nn.rnn`` helpers (rnn's recursiveUtils.lua), which ported rnn code calls, e.g.
examples/encoder-decoder-coupling.lua's ``nn.rnn.recursiveCopy(dec.userPrevOutput, enc.outputs[seqLen])``."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


def test_shared_helpers_are_nn_utils():
    """recursiveResizeAs, recursiveCopy, recursiveAdd, recursiveFill, recursiveType are nn.utils' own (one
    implementation), returning (t1, t2) as the Lua ones."""
    for name in ('recursiveResizeAs', 'recursiveCopy', 'recursiveAdd', 'recursiveFill', 'recursiveType'):
        assert getattr(nn.rnn, name) is getattr(nn.utils, name)
    src = [lg.randn(2, 3), [lg.randn(4)]]
    out = nn.rnn.recursiveCopy(None, src)[0]
    assert nn.rnn.recursiveTensorEq(out, src) and out[0] is not src[0]


def test_rnn_own_helpers():
    """recursiveUtils.lua's recursiveSet (views of the same storages), recursiveNew (empty tensors of each
    type), recursiveSum, recursiveNormal, recursiveTensorEq (largest difference under 1e-5)."""
    src = [lg.randn(2, 3).double(), {'h': lg.randn(4)}]
    viewed, _ = nn.rnn.recursiveSet(None, src)
    assert viewed[0].storage() is src[0].storage() and viewed[1]['h'].storage() is src[1]['h'].storage()
    new = nn.rnn.recursiveNew(src)
    assert new[0].type() == 'legonn.DoubleTensor' and new[0].nElement() == 0 and new[1]['h'].nElement() == 0
    total = src[0].numpy().sum() + src[1]['h'].numpy().sum()
    assert np.isclose(nn.rnn.recursiveSum(src), total)
    zeros = [lg.zeros(1000)]
    assert nn.rnn.recursiveNormal(zeros) is zeros and 0.8 < zeros[0].numpy().std() < 1.2
    near = [src[0] + 1e-7, {'h': src[1]['h'].clone()}]
    assert nn.rnn.recursiveTensorEq(near, src)
    near[1]['h'][0] = near[1]['h'][0] + 1e-3
    assert not nn.rnn.recursiveTensorEq(near, src)
    with pytest.raises(TypeError, match='nn.rnn.recursiveNew'):
        nn.rnn.recursiveNew([3])


def test_cells_user_state_fields_read_before_set():
    """rnn's LSTM.lua / GRU.lua fields userPrevOutput, userPrevCell, userNextGradOutput, userNextGradCell are
    nil until the user sets them; examples/encoder-decoder-coupling.lua reads dec.userPrevOutput (to copy into
    it) before ever setting it. Here they read None, and setting them still seeds step 0."""
    for cell in (nn.LSTM(3, 4), nn.FastLSTM(3, 4), nn.GRU(3, 4), nn.LSTM(3, 4).maskZero(1)):
        assert cell.userPrevOutput is None and cell.userNextGradOutput is None
    lstm = nn.LSTM(3, 4).double()
    assert lstm.userPrevCell is None and lstm.userNextGradCell is None
    x = lg.randn(2, 3).double()
    plain = lstm.forward(x).clone()
    lstm.forget()
    lstm.userPrevOutput = nn.rnn.recursiveCopy(lstm.userPrevOutput, lg.ones(2, 4).double())[0]
    assert not np.allclose(lstm.forward(x).numpy(), plain.numpy())
