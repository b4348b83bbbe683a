"""The idioms of a word-level PTB LSTM (nngraph cells unrolled through clones made by in-memory serialization,
dropout switched through ``module.train``, gradient clipping by norm) and of a char-level LSTM with a
hand-written embedding module and parameters flattened by hand across several modules, written anew."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


class RowLookup(nn.Module):
    """A hand-written embedding: row ``input[i]`` of ``weight`` for each code, read with ``weight[code]``."""

    def __init__(self, n, d):
        super().__init__()
        self.weight = lg.Tensor(n, d).uniform(-1, 1)
        self.gradWeight = lg.Tensor(n, d).zero()

    def updateOutput(self, input):
        self.output.resize(input.size(0), self.weight.size(1))
        for i in range(input.size(0)):
            self.output[i].copy(self.weight[input[i]])
        return self.output

    def accGradParameters(self, input, gradOutput, scale=1):
        for i in range(input.size(0)):
            self.gradWeight[input[i]].add(gradOutput[i])


def test_whole_number_floats_as_sizes_and_indices():
    """torch7 generic/Tensor.c reads sizes and ``t[i]`` indices with luaL_checklong, and a Lua number is a
    double: codes kept in a DoubleTensor index rows (``weight[input[i]]``), and a size computed in floating
    point (``Tensor(nParameters - holes)`` with holes summed from a FloatTensor) makes a tensor. A fractional
    one is refused, naming the tensor type."""
    m = RowLookup(5, 3)
    codes = lg.DoubleTensor([4, 0, 4])
    out = m.forward(codes)
    np.testing.assert_array_equal(out.numpy(), m.weight.numpy()[[4, 0, 4]])
    m.accGradParameters(codes, lg.ones(3, 3))
    np.testing.assert_array_equal(m.gradWeight.numpy()[:, 0], [1, 0, 0, 0, 2])

    holes = lg.FloatTensor([1, 1, 0, 0]).cumsum(0)
    flat = lg.Tensor(6 - holes[len(holes) - 1])
    assert flat.size() == (4,)
    assert lg.zeros(np.float32(2.0), 3.0).size() == (2, 3)
    t = lg.zeros(3, 3)
    t[1.0, np.float64(2.0)] = 5
    t[0.0] = 1
    assert t[1.0, 2.0] == 5 and t.sum() == 8

    with pytest.raises(TypeError, match=r"FloatTensor\[\].*whole number.*1\.5"):
        t[1.5] = 7
    assert t.sum() == 8
    with pytest.raises(TypeError, match="whole number"):
        t[0.5]
    with pytest.raises(TypeError, match="whole number"):
        lg.Tensor(2.5)
