"""Inception (dpnn's Inception.lua): the columns, the port of dpnn's test/test.lua Inception, numbers against the
parts, Jacobian, types, GPU and bad configurations."""
import warnings

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def _small(**extra):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # the default max pooling shrinks its column, as dpnn warns too
        return nn.Inception(dict({'inputSize': 2, 'outputSize': [2, 3], 'reduceSize': [2, 2, 1, 2]}, **extra))



def test_lp_pooling_pool_is_not_size_checked():
    """dpnn's Inception.lua checks the pool column's size only when the pool has kW, dW and padW fields; nn's
    SpatialLPPooling (a Sequential of Square, SpatialAveragePooling, MulConstant, Sqrt) has no padW, so OpenFace's
    nn4 configs (``pool = nn.SpatialLPPooling(256, 2, 3, 3, 1, 1)``, a column 2 pixels smaller, padded by
    DepthConcat) print nothing. An unpadded max pool still warns, as in dpnn."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        nn.Inception({'inputSize': 4, 'kernelSize': [3, 5], 'kernelStride': [1, 1], 'outputSize': [2, 3],
                      'reduceSize': [2, 2, 2, 2], 'pool': nn.SpatialLPPooling(4, 2, 3, 3, 1, 1)})
    with pytest.warns(UserWarning, match='inconsistent output sizes in pooling'):
        nn.Inception({'inputSize': 4, 'kernelSize': [3, 5], 'kernelStride': [1, 1], 'outputSize': [2, 3],
                      'reduceSize': [2, 2, 2, 2], 'pool': nn.SpatialMaxPooling(3, 3, 1, 1)})

def test_inception_port():
    """dpnn test/test.lua Inception: output planes 16 + 24 + 8 + 12 at the input's size, finite values through
    forward, backward, updateParameters and maxParamNorm."""
    lg.manualSeed(0)
    with pytest.warns(UserWarning, match='inconsistent output sizes in pooling'):
        incep = nn.Inception({'inputSize': 3, 'outputSize': [16, 24], 'reduceSize': [14, 16, 8, 12]})
    for p in incep.parameters()[0]:
        assert np.isfinite(p.sum())
    x = lg.rand(8, 3, 12, 12)
    out = incep.forward(x)
    assert out.size() == (8, 60, 12, 12) and np.isfinite(out.sum())
    incep.zeroGradParameters()
    gi = incep.backward(x, lg.randn(8, 60, 12, 12))
    assert gi.size() == (8, 3, 12, 12) and np.isfinite(gi.sum())
    incep.updateParameters(0.1)
    incep.maxParamNorm(1)
    for p in incep.parameters()[0]:
        assert np.isfinite(p.sum())
        if p.dim() > 1:
            assert (np.sqrt((p.numpy().reshape(p.size(0), -1) ** 2).sum(1)) <= 1 + 1e-5).all()


def test_inception_columns_match_their_parts():
    """Column i: 1x1 reduce -> ReLU -> kxk conv (pad k // 2) -> ReLU; then pool -> 1x1 -> ReLU; then 1x1 -> ReLU;
    joined along planes, the pooled column's smaller maps centred and zero-padded (DepthConcat)."""
    m = _small().double()
    concat = m.modules[0]
    assert isinstance(concat, nn.DepthConcat) and len(concat.modules) == 4
    assert [c.modules[2].kW for c in concat.modules[:2]] == [5, 3]
    assert [c.modules[2].padW for c in concat.modules[:2]] == [2, 1]
    x = lg.DoubleTensor(np.random.default_rng(0).standard_normal((2, 2, 7, 7)))
    parts = [c.forward(x).numpy() for c in concat.modules]
    assert parts[2].shape == (2, 1, 5, 5)
    out = m.forward(x).numpy()
    np.testing.assert_allclose(out[:, :2], parts[0], rtol=1e-12)
    np.testing.assert_allclose(out[:, 2:5], parts[1], rtol=1e-12)
    np.testing.assert_allclose(out[:, 5:6, 1:6, 1:6], parts[2], rtol=1e-12)
    assert (out[:, 5, 0] == 0).all()
    np.testing.assert_allclose(out[:, 6:8], parts[3], rtol=1e-12)
    np.testing.assert_allclose(m.forward(x[0]).numpy(), out[0], rtol=1e-12)   # one image as a batch of one


def test_inception_options_jacobian_and_types():
    bn = _small(batchNorm=True, transfer=nn.Tanh(), padding=False, kernelSize=[3, 1], reduceSize=[2, 2, 1])
    assert len(bn.modules[0].modules) == 3 and isinstance(bn.modules[0].modules[0].modules[1],
                                                            nn.SpatialBatchNormalization)
    assert isinstance(bn.modules[0].modules[0].modules[2], nn.Tanh)
    assert_jacobian(_small(transfer=nn.Tanh(), kernelSize=[3, 1], outputSize=[1, 1], reduceSize=[1, 1, 1, 1]),
                    lg.randn(1, 2, 4, 4))
    assert_type_roundtrip(_small(), lg.randn(2, 2, 5, 5))
    with pytest.raises(ValueError, match='Inception: config.reduceSize is required'):
        nn.Inception({'inputSize': 2, 'outputSize': [2, 3]})
    with pytest.raises(ValueError, match="unknown configuration 'kernel'"):
        nn.Inception(inputSize=2, outputSize=[2, 3], reduceSize=[1, 1], kernel=3)
    with pytest.raises(ValueError, match=r'Inception.*DepthConcat'):
        _small().forward(lg.randn(2, 3, 5, 5))


@pytest.mark.gpu
def test_inception_on_the_gpu():
    assert_gpu_matches_cpu(_small(), lg.randn(2, 2, 5, 5))
