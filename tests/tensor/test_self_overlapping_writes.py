"""In-place arithmetic on a tensor whose positions repeat an element of memory (``expand``'s zero strides,
``unfold``'s overlapping windows): TH_TENSOR_APPLY visits the positions in turn, each reading what the earlier
visits wrote, so Torch7's ``x:expand(3):mul(2)`` multiplies x's element three times (artistic-videos'
artistic_video_multiPass.lua scales expanded flow weights so); cutorch copies such a tensor to contiguous memory
first and applies the operation once per position."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn.tensor.pointwise import repeats_elements


def test_binary_ops_on_an_expanded_tensor_repeat_per_position():
    x = lg.DoubleTensor([2])
    x.expand(3).mul(2)
    assert x[0] == 16                                # 2 * 2^3, as TH's APPLY2
    x = lg.DoubleTensor([1])
    y = x.expand(3)
    y.add(y)
    assert x[0] == 8                                 # each visit doubles what the last one left
    x = lg.DoubleTensor([1, 2])
    x.view(2, 1).expand(2, 3).add(1)
    assert x.tolist() == [4, 5]
    x = lg.DoubleTensor([1, 2, 3, 4, 5])
    x.unfold(0, 3, 1).mul(2)                         # elements inside 1, 2, 3, 2, 1 windows
    assert x.tolist() == [2, 8, 24, 16, 10]
    x = lg.IntTensor([9])
    x.expand(2).div(2)
    assert x[0] == 2                                 # 9 // 2 // 2, C's truncation each time
    x = lg.DoubleTensor([1])
    x.expand(3).addcmul(2, lg.DoubleTensor([1, 1, 1]), lg.DoubleTensor([1, 2, 3]))
    assert x[0] == 13                                # 1 + 2*1 + 2*2 + 2*3


def test_unary_ops_and_results_written_into_an_expanded_tensor():
    x = lg.DoubleTensor([0.5])
    x.expand(3).exp()
    assert x[0] == pytest.approx(math.exp(math.exp(math.exp(0.5))), rel=1e-14)
    r = lg.DoubleTensor([0])
    r.expand(3).exp(lg.DoubleTensor([0.0, 1.0, 2.0]))   # r = exp(x) position by position: the last write stays
    assert r[0] == pytest.approx(math.exp(2.0), rel=1e-14)
    x = lg.DoubleTensor(4, 1).fill(0)
    y = x.expand(4, 2)
    y.fill(1)
    counter = iter(range(1, 9))
    y.apply(lambda _: next(counter))                 # torch7's doc/tensor.md expand example
    assert x.view(4).tolist() == [2, 4, 6, 8]


def test_which_layouts_repeat_elements():
    a = np.zeros((3, 4))
    assert not repeats_elements(a) and not repeats_elements(a.T) and not repeats_elements(a[:, ::2])
    assert not repeats_elements(a[1:, 1:3])
    assert repeats_elements(np.broadcast_to(np.zeros((3, 1)), (3, 4)))
    assert repeats_elements(lg.DoubleTensor(6).unfold(0, 3, 2).numpy())
    assert not repeats_elements(lg.DoubleTensor(6).unfold(0, 3, 3).numpy())


@pytest.mark.gpu
def test_cuda_tensors_apply_once_per_position_as_cutorch():
    x = lg.DoubleTensor([2]).cuda()
    x.expand(3).mul(2)
    assert float(x[0]) == 4
