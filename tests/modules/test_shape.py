"""Narrow, Select, Transpose, Squeeze, Unsqueeze, Replicate, Padding, Contiguous, Copy, Collapse."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import named_case_tests

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


def padded(x, axis, before, after_at, pad, value):
    """x with ``pad`` entries of ``value`` inserted along ``axis`` after ``after_at`` entries."""
    shape = list(x.shape)
    shape[axis] = pad
    return np.concatenate([np.take(x, range(after_at), axis), np.full(shape, value),
                           np.take(x, range(after_at, x.shape[axis]), axis)], axis)


CASES = [
    ('Narrow', lambda: nn.Narrow(1, 1, 2), lambda: r(2, 4), lambda x: x[:, 1:3]),
    ('Narrow-neglen', lambda: nn.Narrow(1, 1, -1), lambda: r(2, 4), lambda x: x[:, 1:]),
    ('Narrow-neglen2', lambda: nn.Narrow(0, 0, -2), lambda: r(4, 2), lambda x: x[:3]),
    ('Narrow-negoffset', lambda: nn.Narrow(-1, -2, 2), lambda: r(2, 4), lambda x: x[:, 2:]),
    ('Select', lambda: nn.Select(1, 2), lambda: r(2, 3, 2), lambda x: x[:, 2]),
    ('Select-neg', lambda: nn.Select(-1, -1), lambda: r(2, 3), lambda x: x[:, -1]),
    ('Transpose', lambda: nn.Transpose((0, 1), (1, 2)), lambda: r(2, 3, 4),
     lambda x: x.swapaxes(0, 1).swapaxes(1, 2)),
    ('Transpose-batch', lambda: nn.Transpose((0, 1)).setNumInputDims(2), lambda: r(5, 2, 3),
     lambda x: x.swapaxes(1, 2)),
    ('Squeeze', lambda: nn.Squeeze(), lambda: r(2, 1, 3, 1), lambda x: x.reshape(2, 3)),
    ('Squeeze-dim', lambda: nn.Squeeze(1), lambda: r(2, 1, 1), lambda x: x.reshape(2, 1)),
    ('Squeeze-batch1', lambda: nn.Squeeze(None, 2), lambda: r(1, 1, 3), lambda x: x.reshape(1, 3)),
    ('Unsqueeze', lambda: nn.Unsqueeze(1), lambda: r(2, 3), lambda x: x[:, None]),
    ('Unsqueeze-batch', lambda: nn.Unsqueeze(0, 2), lambda: r(4, 2, 3), lambda x: x[:, None]),
    ('Replicate', lambda: nn.Replicate(3), lambda: r(2, 2), lambda x: np.stack([x] * 3)),
    ('Replicate-dim-batch', lambda: nn.Replicate(3, 0, 1), lambda: r(2, 2), lambda x: np.stack([x] * 3, 1)),
    ('Padding-right', lambda: nn.Padding(0, 2, 1, -1.0), lambda: r(3), lambda x: padded(x, 0, 0, 3, 2, -1.0)),
    ('Padding-left-batch', lambda: nn.Padding(0, -2, 1, 5.0), lambda: r(2, 3), lambda x: padded(x, 1, 0, 0, 2, 5.0)),
    ('Padding-index', lambda: nn.Padding(0, -2, 1, -1.0, 1), lambda: r(2, 3),
     lambda x: padded(x, 1, 0, 1, 2, -1.0)),
    ('Padding-right-index', lambda: nn.Padding(1, 1, None, 0.0, 1), lambda: r(2, 3),
     lambda x: padded(x, 1, 0, 2, 1, 0.0)),
    ('Contiguous', lambda: nn.Contiguous(), lambda: r(3, 2).T, lambda x: x),
    ('Copy', lambda: nn.Copy(None, None, True), lambda: r(2, 3), lambda x: x),
    ('Collapse', lambda: nn.Collapse(2), lambda: r(2, 3, 4), lambda x: x.reshape(2, 12)),
    ('Collapse-single', lambda: nn.Collapse(2), lambda: r(3, 4), lambda x: x.reshape(12)),
]
test_jacobian, test_type_roundtrip, test_gpu, test_matches_numpy = named_case_tests(CASES)


def test_views_share_the_input_storage():
    x = lg.DoubleTensor(r(2, 1, 3))
    for m in (nn.Squeeze(), nn.Unsqueeze(0), nn.Replicate(4), nn.Contiguous(), nn.Collapse(1)):
        assert m.double().forward(x).storage() is x.storage(), m
    assert nn.Replicate(4).double().forward(x).stride(0) == 0
    # Narrow / Select / Transpose copy, so that later writes to the input do not show
    assert nn.Narrow(0, 0).double().forward(x).storage() is not x.storage()


def test_copy_converts_types_and_passes_through_without_force():
    m = nn.Copy('legonn.DoubleTensor', 'legonn.FloatTensor')
    out = m.forward(lg.DoubleTensor(r(2, 2)))
    assert out.type() == 'legonn.FloatTensor'
    gi = m.backward(lg.DoubleTensor(r(2, 2)), lg.FloatTensor(2, 2).fill(1))
    assert gi.type() == 'legonn.DoubleTensor' and gi.numpy().sum() == 4
    same = nn.Copy('legonn.DoubleTensor', 'legonn.DoubleTensor')
    x = lg.DoubleTensor(r(2))
    assert same.forward(x).storage() is x.storage()
    pinned = nn.Copy('legonn.DoubleTensor', 'legonn.FloatTensor', False, True)
    pinned.double()
    assert pinned.forward(x).type() == 'legonn.FloatTensor'
    # Copy.lua decides at construction: types given unequal always copy, even an input of the output's type
    converting = nn.Copy('legonn.FloatTensor', 'legonn.DoubleTensor')
    y = converting.forward(x)
    assert y.storage() is not x.storage() and y.tolist() == x.tolist()
    assert converting.backward(lg.FloatTensor(2), x).storage() is not x.storage()


def test_padding_fills_the_value_and_gradient_skips_it():
    m = nn.Padding(0, 2, None, 7.0).double()
    out = m.forward(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(out.numpy(), [1, 2, 7, 7])
    np.testing.assert_array_equal(m.backward(np.array([1.0, 2.0]), np.arange(4.0)).numpy(), [0, 1])


def test_padding_value_wraps_into_an_integer_type_as_fill_does():
    # Padding.lua fills with output:fill(value): TH converts the number to the tensor's C type, so -1 is a byte's
    # 255 and 2.9 a long's 2 (NumPy's assignment refused the -1 with an OverflowError)
    byte = nn.Padding(0, -1, None, -1).forward(lg.ByteTensor([3, 4]))
    assert byte.type() == 'legonn.ByteTensor' and byte.tolist() == [255, 3, 4]
    assert nn.Padding(0, 1, None, 2.9).forward(lg.LongTensor([5])).tolist() == [5, 2]


def test_errors_name_module_and_leave_state():
    with pytest.raises(IndexError, match=r"Narrow\(1, 3, 2\): expected dimension 1 long enough for offset 3, "
                                         r"length 2, got size 4"):
        nn.Narrow(1, 3, 2).forward(r(2, 4))
    with pytest.raises(IndexError, match=r"Select\(0, 5\): expected index 5 within dimension 0, got size 2"):
        nn.Select(0, 5).forward(r(2, 4))
    # Select.lua's resizeAs of a vector's select (a number) fails in Torch7; legonn's select of a vector is a number
    with pytest.raises(ValueError, match=r"Select\(0, 1\): expected an input of 2 or more dimensions \(a vector's "
                                         r"select is a number\), got a 1-D input of size \(4,\)"):
        nn.Select(0, 1).forward(r(4))
    with pytest.raises(IndexError, match=r"Transpose\(\{0, 3\}\): expected an input with a dimension 3"):
        nn.Transpose((0, 3)).forward(r(2, 4))
    with pytest.raises(IndexError, match=r"Unsqueeze\(dim 4\): expected a position in \[0, 2\]"):
        nn.Unsqueeze(4).forward(r(2, 4))
    with pytest.raises(ValueError, match=r"Sequential\[0\] Narrow\(0, 0, 1\): expected gradOutput of size \(1, 4\), "
                                         r"got \(2, 4\)"):
        s = nn.Sequential().add(nn.Narrow(0, 0))
        s.forward(r(2, 4))
        s.backward(r(2, 4), r(2, 4))
    with pytest.raises(ValueError):
        nn.Narrow(0, 0, 0)


def test_unsqueeze_refuses_a_table_with_a_checked_error():
    with pytest.raises(TypeError, match=r"Unsqueeze\(dim 1\): expected a tensor input, got a list of 1 entries"):
        nn.Unsqueeze(1).forward([lg.FloatTensor(2, 3)])


def test_unsqueeze_keeps_the_first_forwards_rank_as_lua_does():
    """Unsqueeze.lua's _getActualPosition sets ``self.numInputDims = self.numInputDims or inputDim`` at the first
    forward: a later input of more dimensions has them as leading batch dimensions (the singleton moves with the
    sample), one of fewer is refused (its assert: numInputDims must be <= input:dim()). legonn inserted at ``pos``
    of every input, so the batch's singleton landed one dimension early; a failed first call fixes nothing."""
    m = nn.Unsqueeze(1)
    bad = nn.Unsqueeze(3)
    with pytest.raises(IndexError):
        bad.forward(r(2, 4))
    assert bad.numInputDims is None
    assert tuple(m.forward(r(3, 4)).size()) == (3, 1, 4)
    assert m.numInputDims == 2
    x = r(2, 3, 4)
    y = m.forward(x)
    assert tuple(y.size()) == (2, 3, 1, 4)   # pos 1 + one batch dimension, Lua's actualPos 2 + 1
    np.testing.assert_array_equal(y.numpy(), np.asarray(x)[:, :, None])
    assert tuple(m.backward(x, y.clone()).size()) == (2, 3, 4)
    with pytest.raises(ValueError, match=r"Unsqueeze\(dim 1\): expected at least numInputDims=2 dimensions"):
        m.forward(r(4))
    assert tuple(nn.Unsqueeze(1, 1).forward(r(3, 4)).size()) == (3, 4, 1)   # given: as before
