"""MaskedSelect: {tensor, mask} -> selected values, gradient scattered back, zero mask gradient."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip

MASK = np.array([[1, 0, 1], [0, 0, 1]], dtype=np.uint8)


class FixedMask(nn.Module):
    """MaskedSelect with the mask fixed, so finite differences only move the data tensor."""

    def __init__(self, mask):
        super().__init__()
        self.inner, self.mask = nn.MaskedSelect(), lg.ByteTensor(mask)

    def updateOutput(self, input):
        self.output = self.inner.updateOutput([input, self.mask])
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.inner.updateGradInput([input, self.mask], gradOutput)[0]
        return self.gradInput


def test_selects_in_row_major_order_and_scatters_back():
    x = np.random.default_rng(0).normal(size=(2, 3))
    m = nn.MaskedSelect()
    out = m.forward([x, MASK])
    np.testing.assert_array_equal(out.numpy(), x[MASK.astype(bool)])
    assert out.dim() == 1 and out.size(0) == 3
    go = np.array([1.0, 2.0, 3.0])
    gx, gmask = m.backward([x, MASK], go)
    expected = np.zeros((2, 3))
    expected[MASK.astype(bool)] = go
    np.testing.assert_array_equal(gx.numpy(), expected)
    assert gmask.type() == 'legonn.ByteTensor' and tuple(gmask.size()) == (2, 3)
    assert not gmask.numpy().any()


def test_boolean_mask_and_empty_selection():
    x = lg.randn(4)
    m = nn.MaskedSelect()
    assert m.forward([x, np.zeros(4, dtype=bool)]).nElement() == 0
    gx = m.backward([x, np.zeros(4, dtype=bool)], lg.Tensor(0))[0]
    assert not gx.numpy().any()


def test_jacobian():
    assert_jacobian(FixedMask(MASK), lg.randn(2, 3))


def test_type_roundtrip():
    assert_type_roundtrip(FixedMask(MASK), lg.randn(2, 3))


@pytest.mark.gpu
def test_gpu_matches_cpu():
    m = nn.MaskedSelect()
    x = lg.randn(2, 3).double()
    mask = lg.ByteTensor(MASK)
    out = m.forward([x, mask]).numpy().copy()
    g = m.cuda().forward([x.cudaDouble(), mask.cudaByte()])
    np.testing.assert_array_equal(g.cpu().numpy(), out)
    gx, gmask = m.backward([x.cudaDouble(), mask.cudaByte()], lg.ones(3).cudaDouble())
    assert gx.is_cuda and gmask.type() == 'legonn.CudaByteTensor'
    np.testing.assert_array_equal(gx.cpu().numpy(), MASK.astype(float))


@pytest.mark.gpu
def test_gpu_wrapper_matches_cpu():
    assert_gpu_matches_cpu(FixedMask(MASK), lg.randn(2, 3))


def test_bad_input_names_the_module():
    m = nn.MaskedSelect()
    x = lg.randn(2, 3)
    with pytest.raises(TypeError, match=r'MaskedSelect: expected a table \(list\) input'):
        m.forward(x)
    with pytest.raises(ValueError, match=r"MaskedSelect: expected input\[1\]: a mask of input\[0\]'s size \(2, 3\)"):
        m.forward([x, np.ones((3, 2), dtype=np.uint8)])
    with pytest.raises(TypeError, match=r'MaskedSelect: expected input\[1\]: an integer \(ByteTensor\) mask'):
        m.forward([x, lg.ones(2, 3)])
    m.forward([x, MASK])
    with pytest.raises(ValueError, match=r'MaskedSelect: expected gradOutput of size \(3,\)'):
        m.backward([x, MASK], lg.ones(4))
