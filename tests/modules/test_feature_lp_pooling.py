"""FeatureLPPooling: Lp pooling across features, batch and non-batch layouts."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def reference(x, width, stride, power, axis):
    """Torch7's loop: y[o] = (sum_i x[o * stride + i] ^ p) ^ (1 / p) along ``axis``."""
    x = np.moveaxis(x, axis, 0)
    n_out = (x.shape[0] - width) // stride + 1
    y = np.stack([(x[o * stride:o * stride + width] ** power).sum(0) ** (1.0 / power) for o in range(n_out)])
    return np.moveaxis(y, 0, axis)


# (width, stride, power, batch_mode, input shape)
CASES = [
    pytest.param(2, 1, 2, False, (5,), id='1d'),
    pytest.param(3, 2, 2, False, (7, 2), id='2d'),
    pytest.param(2, 2, 3, False, (4, 2, 2), id='3d-p3'),
    pytest.param(3, 1, 2, True, (2, 4), id='batch-2d'),
    pytest.param(2, 3, 2, True, (2, 6, 2), id='batch-3d'),
    pytest.param(4, 4, 1.5, True, (2, 9, 1, 2), id='batch-4d-p1.5'),
]


@pytest.mark.parametrize('width,stride,power,batch,shape', CASES)
def test_matches_reference(width, stride, power, batch, shape):
    x = np.random.default_rng(1).uniform(0.1, 2.0, size=shape)
    out = nn.FeatureLPPooling(width, stride, power, batch).forward(x)
    np.testing.assert_allclose(out.numpy(), reference(x, width, stride, power, 1 if batch else 0), rtol=1e-12)


@pytest.mark.parametrize('width,stride,power,batch,shape', CASES)
def test_jacobian(width, stride, power, batch, shape):
    # positive inputs: a non-integer power of a negative value is NaN, as in Torch7
    assert_jacobian(nn.FeatureLPPooling(width, stride, power, batch), lg.rand(*shape), minval=0.2, maxval=2)


def test_even_power_takes_signed_inputs_and_zero_outputs_pass_no_gradient():
    m = nn.FeatureLPPooling(2, 1, 2, False).double()
    assert_jacobian(m, lg.randn(5))
    x = lg.DoubleTensor([0.0, 0.0, 3.0])
    np.testing.assert_allclose(m.forward(x).numpy(), [0.0, 3.0])
    np.testing.assert_allclose(m.backward(x, lg.DoubleTensor([1.0, 1.0])).numpy(), [0.0, 0.0, 1.0])


@pytest.mark.parametrize('width,stride,power,batch,shape', CASES)
def test_type_roundtrip(width, stride, power, batch, shape):
    assert_type_roundtrip(nn.FeatureLPPooling(width, stride, power, batch), lg.rand(*shape).add(0.1))


@pytest.mark.gpu
@pytest.mark.parametrize('width,stride,power,batch,shape', CASES)
def test_gpu_matches_cpu(width, stride, power, batch, shape):
    assert_gpu_matches_cpu(nn.FeatureLPPooling(width, stride, power, batch), lg.rand(*shape).add(0.1))


def test_repr_and_constructor_errors():
    assert repr(nn.FeatureLPPooling(2, 1, 2, True)) == 'nn.FeatureLPPooling(w2 s1 power 2 batch 1)'
    for args, what in (((1, 1, 2), 'width'), ((17, 1, 2), 'width'), ((2, 0, 2), 'stride'), ((2, 5, 2), 'stride'),
                       ((2, 1, 0), 'power'), ((2, 1, 2, 1), 'batch_mode')):
        with pytest.raises(ValueError, match=f'FeatureLPPooling: {what}'):
            nn.FeatureLPPooling(*args)


def test_bad_input_names_the_module():
    m = nn.FeatureLPPooling(3, 1, 2, True)
    with pytest.raises(ValueError, match=r'FeatureLPPooling\(w3 s1 power 2 batch 1\): expected a 2-D or 3-D or 4-D'):
        m.forward(lg.randn(4))
    with pytest.raises(ValueError, match=r'expected at least width=3 features along dimension 1, got 2'):
        m.forward(lg.randn(4, 2))
    with pytest.raises(TypeError, match=r'FeatureLPPooling.*floating-point'):
        m.forward(lg.LongTensor(2, 4).zero())
    m.forward(lg.randn(2, 4))
    with pytest.raises(ValueError, match=r'FeatureLPPooling.*gradOutput of size \(2, 2\)'):
        m.backward(lg.randn(2, 4), lg.randn(2, 3))
