"""Dropout: training masks and scaling (v2 and Torch7's v1), evaluation, in place, gradients, types."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def test_training_scales_kept_elements():
    m = nn.Dropout(0.25).double()
    x = np.full((200, 50), 2.0)
    y = m.forward(x).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 2.0 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.02  # 10,000 draws: 0.02 is about 4.6 standard deviations
    go = np.random.default_rng(0).standard_normal(x.shape)
    np.testing.assert_allclose(m.backward(x, go).numpy(), go * m.noise.numpy())
    np.testing.assert_allclose(m.noise.numpy()[kept], 1 / 0.75)


def test_v1_scales_at_evaluation():
    m = nn.Dropout(0.4, True).double()
    x = np.full((50, 40), 3.0)
    y = m.forward(x).numpy()
    assert set(np.unique(y)) == {0.0, 3.0}
    m.evaluate()
    np.testing.assert_allclose(m.forward(x).numpy(), 3.0 * 0.6)
    np.testing.assert_allclose(m.backward(x, np.ones_like(x)).numpy(), 0.6)


@pytest.mark.parametrize('shape', [(6,), (3, 4)])
def test_evaluation_is_identity(shape):
    m = nn.Dropout(0.7).double().evaluate()
    x = np.random.default_rng(0).standard_normal(shape)
    np.testing.assert_array_equal(m.forward(x).numpy(), x)
    np.testing.assert_array_equal(m.backward(x, 2 * x).numpy(), 2 * x)


@pytest.mark.parametrize('shape', [(6,), (3, 4)])
def test_jacobian_with_a_fixed_mask(shape):
    # p = 0 keeps the mask fixed across the finite-difference forwards; evaluation mode does too
    assert_jacobian(nn.Dropout(0), lg.DoubleTensor(*shape))
    assert_jacobian(nn.Dropout(0.5, True).evaluate(), lg.DoubleTensor(*shape))


def test_backward_matches_its_own_forward_mask():
    m = nn.Dropout(0.5).double()
    x = lg.DoubleTensor(4, 5).normal()
    y = m.forward(x).clone()
    # the map is linear given the mask: backward of the identity gradient equals forward(x) / x
    gi = m.backward(x, lg.DoubleTensor(4, 5).fill(1))
    np.testing.assert_allclose(gi.numpy() * x.numpy(), y.numpy(), rtol=1e-12)


def test_inplace():
    m = nn.Dropout(0.5, False, True).double()
    x = lg.DoubleTensor(10, 10).fill(1)
    y = m.forward(x)
    assert y.isSetTo(x) and set(np.unique(x.numpy())) <= {0.0, 2.0}   # Dropout.lua's self.output:set(input)
    go = lg.DoubleTensor(10, 10).fill(1)
    assert m.backward(x, go).isSetTo(go)
    np.testing.assert_array_equal(go.numpy(), m.noise.numpy())


def test_seeded_masks_repeat():
    lg.manualSeed(7)
    a = nn.Dropout().forward(lg.ones(8, 8)).clone()
    lg.manualSeed(7)
    b = nn.Dropout().forward(lg.ones(8, 8))
    assert a.equal(b)


def test_type_roundtrip():
    assert_type_roundtrip(nn.Dropout(0.3).evaluate(), lg.rand(3, 4))
    m = nn.Dropout(0.3)
    m.forward(lg.rand(3, 4))
    assert m.double().noise.type() == 'legonn.DoubleTensor'


@pytest.mark.gpu
def test_gpu_matches_cpu():
    assert_gpu_matches_cpu(nn.Dropout(0.3).evaluate(), lg.DoubleTensor(3, 4).normal())
    assert_gpu_matches_cpu(nn.Dropout(0.3, True).evaluate(), lg.DoubleTensor(5).normal())
    m = nn.Dropout(0.5).cudaDouble()
    x = lg.DoubleTensor(4, 6).fill(1).cudaDouble()
    y = m.forward(x)
    assert y.is_cuda and set(np.unique(y.array.get())) <= {0.0, 2.0}
    np.testing.assert_array_equal(m.backward(x, x).array.get(), m.noise.array.get())


@pytest.mark.parametrize('p', [1, 1.5, -0.1, 'half'])
def test_bad_probability(p):
    with pytest.raises(ValueError, match='Dropout'):
        nn.Dropout(p)


def test_repr_and_setp():
    assert repr(nn.Dropout(0.25)) == 'nn.Dropout(0.250000)'
    assert nn.Dropout().setp(0.1).p == 0.1


@pytest.mark.parametrize('make,size', [(nn.SpatialDropout, (2, 3, 2, 2)), (nn.VolumetricDropout, (2, 3, 2, 2, 2))])
def test_plane_dropout_backward_refuses_a_table_grad_output(make, size):
    m = make()
    x = lg.FloatTensor(*size).uniform()
    m.forward(x)
    with pytest.raises(TypeError, match=rf"{make.__name__}\(0.500000\): expected a legonn.FloatTensor gradOutput, "
                                        r"got a list"):
        m.backward(x, [x.clone()])


def test_lazy_keeps_its_mask_until_a_backward():
    """rnn's Dropout.lua: a lazy Dropout draws a mask on its first forward, keeps it through later forwards,
    and draws again after updateGradInput (which sets flag) or clearState."""
    lg.manualSeed(3)
    m = nn.Dropout(0.5, False, False, lazy=True).double()
    x = lg.DoubleTensor(20, 30).fill(1)
    first = m.forward(x).clone()
    assert first.equal(m.forward(x)) and not m.flag
    np.testing.assert_array_equal(m.backward(x, x).numpy(), first.numpy())   # the same mask, then flag
    assert m.flag
    second = m.forward(x).clone()
    assert not second.equal(first)
    m.clearState()
    assert m.flag and not m.forward(x).equal(second)
    busy = nn.Dropout(0.5).double()
    assert not busy.forward(x).clone().equal(busy.forward(x))
    # a batch of another size cannot reuse the kept mask: a new one is drawn
    assert m.forward(lg.DoubleTensor(4, 30).fill(1)).size() == (4, 30)


def test_mono_draws_one_row_for_the_whole_batch():
    """rnn's Dropout.lua: mono samples noise of size 1 x ... and expands it over the batch."""
    m = nn.Dropout(0.5, False, False, lazy=False, mono=True).double()
    x = lg.DoubleTensor(np.random.default_rng(0).standard_normal((6, 40)))
    y = m.forward(x).numpy()
    mask = m.noise.numpy()
    assert mask.shape == (1, 40) and set(np.unique(mask)) == {0.0, 2.0}
    np.testing.assert_allclose(y, x.numpy() * mask, rtol=1e-12)
    go = np.random.default_rng(1).standard_normal((6, 40))
    np.testing.assert_allclose(m.backward(x, go).numpy(), go * mask, rtol=1e-12)
    assert repr(nn.Dropout(0.25, lazy=True, mono=True)) == 'nn.Dropout(0.250000, lazy, mono)'


def test_rnn_argument_order_is_refused():
    """rnn's Dropout(p, v1, inplace, lazy, mono): five positional arguments fail rather than mean
    stochasticInference (torch/nn's fourth); lazy and mono are passed by name."""
    with pytest.raises(TypeError):
        nn.Dropout(0.5, False, False, True, True)
    assert nn.Dropout(0.5, None, None, None, lazy=None, mono=None).lazy is False
