"""UpSampling: nearest and (bi/tri)linear up-sampling of 4-D and 5-D batches."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import standard_tests

CASES = [
    pytest.param(lambda: nn.UpSampling(2), (1, 2, 2, 3), id='nearest-2d'),
    pytest.param(lambda: nn.UpSampling(2), (1, 1, 2, 2, 2), id='nearest-3d'),
    pytest.param(lambda: nn.UpSampling(2, 'bilinear'), (2, 1, 2, 3), id='bilinear'),
    pytest.param(lambda: nn.UpSampling({'oheight': 3, 'owidth': 4}, 'linear'), (1, 2, 2, 2), id='bilinear-size'),
    pytest.param(lambda: nn.UpSampling(2, 'trilinear'), (1, 1, 2, 2, 2), id='trilinear'),
    pytest.param(lambda: nn.UpSampling({'odepth': 3, 'oheight': 2, 'owidth': 3}, 'linear'), (1, 1, 2, 3, 2),
                 id='trilinear-size'),
]


def linear_weights(n_in, n_out):
    """Aligned-corner linear interpolation weights, written element by element (Torch7's loop)."""
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        pos = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        lo = int(np.floor(pos))
        hi = min(lo + 1, n_in - 1)
        m[o, lo] += 1 - (pos - lo)
        m[o, hi] += pos - lo
    return m


def _build(case):
    make, shape = case
    return make(), lg.randn(*shape)


test_jacobian, test_type_roundtrip, test_gpu_matches_cpu = standard_tests(CASES, _build)


def test_nearest_repeats_each_voxel():
    x = np.random.default_rng(0).normal(size=(2, 1, 2, 3, 2))
    out = nn.UpSampling(3).forward(x).numpy()
    assert out.shape == (2, 1, 6, 9, 6)
    np.testing.assert_array_equal(out, x.repeat(3, 2).repeat(3, 3).repeat(3, 4))
    gi = nn.UpSampling(3).double().backward(x, np.ones(out.shape)).numpy()
    np.testing.assert_array_equal(gi, np.full(x.shape, 27.0))


def test_linear_scale_gives_size_times_scale_with_aligned_corners():
    x = np.random.default_rng(1).normal(size=(1, 2, 3, 4))
    out = nn.UpSampling(2, 'linear').forward(x).numpy()
    assert out.shape == (1, 2, 6, 8)
    ref = np.einsum('ah,nchw,bw->ncab', linear_weights(3, 6), x, linear_weights(4, 8))
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    np.testing.assert_allclose(out[..., 0, 0], x[..., 0, 0])
    np.testing.assert_allclose(out[..., -1, -1], x[..., -1, -1])


def test_trilinear_to_a_given_size():
    x = np.random.default_rng(2).normal(size=(1, 1, 2, 3, 2))
    out = nn.UpSampling({'odepth': 4, 'oheight': 5, 'owidth': 3}, 'trilinear').forward(x).numpy()
    ref = np.einsum('ad,ncdhw,bh,ew->ncabe', linear_weights(2, 4), x, linear_weights(3, 5), linear_weights(2, 3))
    np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_repr_and_constructor_errors():
    assert repr(nn.UpSampling(2)) == 'nn.UpSampling(2x, nearest)'
    assert repr(nn.UpSampling({'oheight': 3, 'owidth': 4}, 'bilinear')) == 'nn.UpSampling(3x4, linear)'
    assert repr(nn.UpSampling({'odepth': 2, 'oheight': 3, 'owidth': 4}, 'linear')) == 'nn.UpSampling(2x3x4, linear)'
    with pytest.raises(ValueError, match='UpSampling: scale_factor must be a positive integer'):
        nn.UpSampling(1.5)
    with pytest.raises(ValueError, match='UpSampling: nearest-neighbour up-sampling needs an integer scale'):
        nn.UpSampling({'oheight': 3, 'owidth': 4})
    with pytest.raises(ValueError, match='UpSampling: owidth must be a positive integer'):
        nn.UpSampling({'oheight': 3}, 'linear')
    with pytest.raises(ValueError, match="UpSampling: mode must be 'nearest'"):
        nn.UpSampling(2, 'cubic')


def test_bad_input_names_the_module():
    with pytest.raises(ValueError, match=r'UpSampling\(2x, nearest\): expected a 4-D or 5-D input, got 3-D'):
        nn.UpSampling(2).forward(lg.randn(2, 3, 3))
    with pytest.raises(ValueError, match=r'UpSampling\(3x4, linear\): expected a 4-D input \(no odepth'):
        nn.UpSampling({'oheight': 3, 'owidth': 4}, 'linear').forward(lg.randn(1, 1, 2, 2, 2))
    m = nn.UpSampling(2, 'linear')
    with pytest.raises(TypeError, match=r'UpSampling\(2x, linear\): expected a floating-point tensor input'):
        m.forward(lg.LongTensor(1, 1, 2, 2).zero())
    m.forward(lg.randn(1, 1, 2, 2))
    with pytest.raises(ValueError, match=r'UpSampling\(2x, linear\): expected gradOutput of size \(1, 1, 4, 4\)'):
        m.backward(lg.randn(1, 1, 2, 2), lg.randn(1, 1, 4, 3))


def _thnn_linear(x, out_sizes, grad=None):
    """THNN's Spatial/VolumetricUpSampling{Bilinear,Trilinear} loops over the last len(out_sizes) axes of x:
    the forward ``l0 * (... x[low] ...) + l1 * (... x[high] ...)`` nested from the first axis, or, given
    ``grad``, the backward adding each output's gradient times its weights' product to its 2^k neighbours;
    equal sizes copy."""
    k = len(out_sizes)
    in_sizes = x.shape[-k:]
    if in_sizes == tuple(out_sizes):
        return x.copy() if grad is None else grad.copy()
    rules = []
    for n, o in zip(in_sizes, out_sizes):
        ratio = (n - 1) / (o - 1) if o > 1 else 0.0
        rules.append([(int(j * ratio), min(int(j * ratio) + 1, n - 1), j * ratio - int(j * ratio)) for j in range(o)])
    out = np.zeros(x.shape[:-k] + tuple(out_sizes))
    gi = np.zeros_like(x)
    for pos in np.ndindex(*out_sizes):
        def value(axis, at):
            if axis == k:
                return x[(Ellipsis,) + at]
            low, high, frac = rules[axis][pos[axis]]
            return (1 - frac) * value(axis + 1, at + (low,)) + frac * value(axis + 1, at + (high,))
        if grad is None:
            out[(Ellipsis,) + pos] = value(0, ())
            continue
        for corner in np.ndindex(*(2,) * k):
            weight, at = 1.0, ()
            for axis, c in enumerate(corner):
                low, high, frac = rules[axis][pos[axis]]
                weight, at = weight * (frac if c else 1 - frac), at + ((high if c else low),)
            gi[(Ellipsis,) + at] += weight * grad[(Ellipsis,) + pos]
    return out if grad is None else gi


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
@pytest.mark.parametrize('make, shape, out_sizes', [
    (lambda: nn.SpatialUpSamplingBilinear({'oheight': 7, 'owidth': 9}), (2, 4, 5), (7, 9)),
    (lambda: nn.SpatialUpSamplingBilinear(1), (2, 4, 5), (4, 5)),
    (lambda: nn.UpSampling(2, 'bilinear'), (1, 2, 3, 4), (6, 8)),
    (lambda: nn.UpSampling({'odepth': 5, 'oheight': 4, 'owidth': 7}, 'linear'), (1, 2, 3, 4, 3), (5, 4, 7)),
])
def test_linear_inf_and_nan_reach_only_their_neighbours(tensor, make, shape, out_sizes):
    # THNN reads each output's 2^k neighbours (equal sizes copy): an inf or NaN input or gradOutput reaches
    # only the outputs (inputs) next to it; a dense interpolation matrix made it NaN along whole rows
    rng = np.random.default_rng(8)
    x, go = rng.standard_normal(shape), rng.standard_normal(shape[:-len(out_sizes)] + out_sizes)
    x.reshape(-1)[[1, x.size - 7]] = np.inf, np.nan
    go.reshape(-1)[[2, go.size // 2]] = -np.inf, np.nan
    m = make().type(tensor)
    out = m.forward(lg.DoubleTensor(x).type(tensor)).double().numpy()
    gi = m.backward(lg.DoubleTensor(x).type(tensor), lg.DoubleTensor(go).type(tensor)).double().numpy()
    want, want_gi = _thnn_linear(x, out_sizes), _thnn_linear(x, out_sizes, go)
    assert 0 < (~np.isfinite(want)).sum() < want.size // 2 and 0 < (~np.isfinite(want_gi)).sum() < x.size // 2
    np.testing.assert_allclose(out, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gi, want_gi, rtol=1e-13, atol=1e-15)
