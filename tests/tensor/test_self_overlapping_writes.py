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


def test_python_in_place_operators_on_an_expanded_tensor_as_the_methods():
    """``x += y`` is legonn's spelling of ``x:add(y)`` (DESIGN.md): on an expanded tensor it visits each position
    as TH's cadd does, and so do ``*=``, ``/=``, ``**=``, ``//=`` and ``%=``."""
    x = lg.DoubleTensor([1])
    y = x.expand(3)
    y += 1
    assert x[0] == 4                                 # as y.add(1); not 2
    x = lg.DoubleTensor([2])
    y = x.expand(2)
    y **= 2
    assert x[0] == 16
    x = lg.DoubleTensor([100])
    y = x.expand(3)
    y %= lg.DoubleTensor([30, 7, 4])
    assert x[0] == 3                                 # as cremainder
    x = lg.IntTensor([9])
    y = x.expand(2)
    y //= 2
    assert x[0] == 2

def test_which_layouts_repeat_elements():
    a = np.zeros((3, 4))
    assert not repeats_elements(a) and not repeats_elements(a.T) and not repeats_elements(a[:, ::2])
    assert not repeats_elements(a[1:, 1:3])
    assert repeats_elements(np.broadcast_to(np.zeros((3, 1)), (3, 4)))
    assert repeats_elements(lg.DoubleTensor(6).unfold(0, 3, 2).numpy())
    assert not repeats_elements(lg.DoubleTensor(6).unfold(0, 3, 3).numpy())



def test_remainder_clamp_cmax_lerp_pow_repeat_per_position():
    """THTensorMath.c's remainder, fmod, clamp, cmax/cmin, lerp and cpow are TH_TENSOR_APPLY loops as add and
    mul are: on an expanded tensor each visit reads what the last one wrote (the last write alone, NumPy's
    whole-array answer, is the comment's second figure)."""
    x = lg.DoubleTensor([100])
    x.expand(3).cremainder(lg.DoubleTensor([30, 7, 4]))
    assert x[0] == 3                                 # 100 % 30 % 7 % 4; not 100 % 4 = 0
    x = lg.DoubleTensor([100])
    x.expand(2).cfmod(lg.DoubleTensor([30, 7]))
    assert x[0] == 3                                 # fmod(fmod(100, 30), 7); not 2
    x = lg.DoubleTensor([0])
    x.expand(2).clamp(5, 1)                          # lo > hi: below 5 gives 5, anything else 1
    assert x[0] == 1                                 # 0 -> 5 -> 1; not 5
    x = lg.DoubleTensor([0])
    x.expand(3).cmax(lg.DoubleTensor([3, 1, 2]))
    assert x[0] == 3                                 # not 2
    x = lg.DoubleTensor([5])
    x.expand(3).cmin(lg.DoubleTensor([1, 4, 3]))
    assert x[0] == 1                                 # not 3
    x = lg.DoubleTensor([0])
    x.expand(3).lerp(lg.DoubleTensor([8, 8, 8]), 0.5)
    assert x[0] == 7                                 # 4, 6, 7; not 4
    x = lg.IntTensor([2])
    x.expand(3).pow(2)
    assert x[0] == 256                               # C's double pow each visit; not 4
    x = lg.DoubleTensor([1, 2, 3, 4, 5])
    x.unfold(0, 3, 1).lerp(lg.DoubleTensor(3, 3).zero(), 0.5)   # elements inside 1, 2, 3, 2, 1 windows
    assert x.tolist() == [0.5, 0.5, 0.375, 1, 2.5]   # halved once per window
    x = lg.IntTensor([10, 20, 30])
    r = lg.IntTensor([0])
    r.expand(3).clamp(x, 15, 25)                     # the r.f(x) form: the last position's write stays
    assert r[0] == 25 and x.tolist() == [10, 20, 30]


def test_shifts_and_bitwise_ops_repeat_per_position():
    x = lg.IntTensor([1])
    x.expand(3).lshift(2)
    assert x[0] == 64                                # 1 << 2 << 2 << 2; not 4
    x = lg.DoubleTensor([1])
    x.expand(3).lshift(1)
    assert x[0] == 8                                 # floating tensors multiply by 2**v each visit
    x = lg.IntTensor([64])
    x.expand(2).crshift(lg.IntTensor([1, 2]))
    assert x[0] == 8                                 # 64 >> 1 >> 2; not 16
    x = lg.IntTensor([5])
    x.expand(2).bitxor(3)
    assert x[0] == 5                                 # 5 ^ 3 ^ 3; not 6
    x = lg.IntTensor([7])
    x.expand(3).cbitand(lg.IntTensor([6, 3, 5]))
    assert x[0] == 0                                 # 7 & 6 & 3 & 5; not 5
    x = lg.ByteTensor([1])
    x.expand(2).cbitor(lg.ByteTensor([2, 4]))
    assert x[0] == 7                                 # 1 | 2 | 4; not 5

@pytest.mark.gpu
def test_cuda_tensors_apply_once_per_position_as_cutorch():
    x = lg.DoubleTensor([2]).cuda()
    x.expand(3).mul(2)
    assert float(x[0]) == 4
    x = lg.DoubleTensor([0]).cuda()
    x.expand(3).lerp(lg.DoubleTensor([8, 8, 8]).cuda(), 0.5)
    assert float(x[0]) == 4
    x = lg.IntTensor([1]).cuda()
    x.expand(3).lshift(2)
    assert int(x[0]) == 4
