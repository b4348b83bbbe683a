"""nnx's spatial modules (clementfarabet/lua---nnx): SpatialLinear, SpatialColorTransform, PixelSort,
SpatialUpSampling, SpatialDownSampling, SpatialMaxSampling, SpatialPadding, SpatialMatching,
SpatialRadialMatching, SpatialGraph, SpatialClassifier, SpatialPyramid, SpatialNormalization, SpatialFovea.

Each class: finite-difference Jacobians in float64, float()/double(), the GPU twin; its C (or Lua) loops
transcribed below in float64 NumPy; nnx's test/test-all.lua cases for it (0-based); bad input naming it."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_jacobian, assert_rejected, standard_tests


def _pyramid(focus):
    pyr = nn.SpatialPyramid([1, 2], [nn.SpatialConvolution(2, 4, 3, 3), nn.SpatialConvolution(2, 4, 3, 3)], 3, 3, 1, 1)
    if focus:
        pyr.focus(4, 2, 3, 3)   # test-all.lua's focus(5, 3), 1-based
    return nn.Sequential().add(pyr).add(nn.JoinTable(0))


def _fovea(focus, bilinear=False):
    """test-all.lua's template_SpatialFovea: 2 planes, ratios {1, 2}, identity preprocessors, 3x3 convolutions,
    fov 3, sub 1; focus(4, 7) there is focus(3, 6) here."""
    m = nn.SpatialFovea({'nInputPlane': 2, 'ratios': [1, 2], 'preProcessors': [nn.Identity(), nn.Identity()],
                         'processors': [nn.SpatialConvolution(2, 4, 3, 3), nn.SpatialConvolution(2, 4, 3, 3)],
                         'bilinear': bilinear, 'fov': 3, 'sub': 1})
    if focus:
        m.focus(3, 6, 3)
    return m


# name -> (module factory, input factory, Jacobian input bounds); SpatialNormalization with a fixed threshold (its
# adaptive one follows the input, a dependency nnx's gradient leaves out: test_normalization_* below)
CASES = {
    'linear': (lambda: nn.SpatialLinear(3, 4), lambda: lg.randn(3, 5, 6), (-2, 2)),
    'color-rgb2yuv': (lambda: nn.SpatialColorTransform('rgb2yuv'), lambda: lg.rand(3, 4, 5), (0, 1)),
    'color-yuv2rgb': (lambda: nn.SpatialColorTransform('yuv2rgb'), lambda: lg.rand(3, 4, 5), (0, 1)),
    'color-rgb2y': (lambda: nn.SpatialColorTransform('rgb2y'), lambda: lg.rand(3, 4, 5), (0, 1)),
    'pixelsort-3d': (lambda: nn.PixelSort(2), lambda: lg.randn(2, 4, 6), (-2, 2)),
    'pixelsort-4d': (lambda: nn.PixelSort(3), lambda: lg.randn(2, 3, 6, 3), (-2, 2)),
    'upsampling': (lambda: nn.SpatialUpSampling(3, 2), lambda: lg.randn(2, 3, 4), (-2, 2)),
    'upsampling-dims': (lambda: nn.SpatialUpSampling({'dW': 2, 'dH': 3, 'yDim': 0, 'xDim': 1}),
                        lambda: lg.randn(3, 2, 2, 2), (-2, 2)),
    'downsampling': (lambda: nn.SpatialDownSampling(2, 3), lambda: lg.randn(2, 7, 9), (-2, 2)),
    'maxsampling-down': (lambda: nn.SpatialMaxSampling(4, 3), lambda: lg.randn(2, 7, 9), (-2, 2)),
    'maxsampling-up': (lambda: nn.SpatialMaxSampling({'owidth': 6, 'oheight': 5}), lambda: lg.randn(1, 3, 4), (-2, 2)),
    'padding': (lambda: nn.SpatialPadding(1, 2, 0, 3, None, None, 0.5), lambda: lg.randn(2, 3, 4), (-2, 2)),
    'padding-crop': (lambda: nn.SpatialPadding(-1, 2, 1, -2, 0, 2), lambda: lg.randn(5, 2, 4), (-2, 2)),
    'matching': (lambda: nn.SpatialMatching(3, 2), lambda: [lg.randn(2, 3, 4), lg.randn(2, 5, 6)], (-2, 2)),
    'matching-full': (lambda: nn.SpatialMatching(4, 3, True), lambda: [lg.randn(2, 3, 4), lg.randn(2, 3, 4)], (-2, 2)),
    'radial': (lambda: nn.SpatialRadialMatching(3), lambda: [lg.randn(2, 3, 4), lg.randn(2, 6, 5)], (-2, 2)),
    'graph-euclid': (lambda: nn.SpatialGraph(), lambda: lg.rand(3, 4, 5), (0.1, 1)),
    'graph-euclid-raw': (lambda: nn.SpatialGraph({'normalize': False}), lambda: lg.rand(3, 4, 5), (0.1, 1)),
    'graph-cosine': (lambda: nn.SpatialGraph('cosine', False), lambda: lg.rand(3, 4, 5), (0.1, 1)),
    'classifier': (lambda: nn.SpatialClassifier(nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh())),
                   lambda: lg.randn(3, 2, 5), (-2, 2)),
    'pyramid-unfocused': (lambda: _pyramid(False), lambda: lg.rand(2, 8, 8), (0, 1)),
    'pyramid-focused': (lambda: _pyramid(True), lambda: lg.rand(2, 12, 12), (0, 1)),
    'normalization': (lambda: nn.SpatialNormalization(3, lg.Tensor([[1, 2, 1], [2, 4, 2], [1, 2, 1]]), 0.1),
                      lambda: lg.rand(3, 5, 6), (0, 1)),
    'normalization-pair': (lambda: nn.SpatialNormalization({'nInputPlane': 2, 'kernel': [lg.Tensor([[1, 2, 1, 1]]),
                                                                                         lg.Tensor([[1], [3]])],
                                                            'threshold': 0.1}), lambda: lg.rand(2, 5, 6), (0, 1)),
    'fovea-focused': (lambda: _fovea(True), lambda: lg.rand(2, 16, 16), (0, 1)),
    'fovea-unfocused': (lambda: _fovea(False), lambda: lg.rand(2, 16, 16), (0, 1)),
    'fovea-bilinear': (lambda: _fovea(False, True), lambda: lg.rand(2, 16, 16), (0, 1)),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(
    list(CASES), lambda name: (CASES[name][0](), CASES[name][1]()), bounds=lambda name: CASES[name][2])


def _host(t):
    return np.asarray(t.array, dtype=np.float64)


def _double(*shape, seed=0, lo=None):
    rs = np.random.RandomState(seed)
    a = rs.rand(*shape) if lo is not None else rs.randn(*shape)
    return lg.from_numpy(a)


# --- SpatialLinear ---------------------------------------------------------------------------------------------
def test_spatial_linear_matches_the_c_loops():
    """nnx generic/SpatialLinear.c: updateOutput fills each plane with its bias and adds weight[o][i] * plane i;
    updateGradInput adds, per pixel, gradOutput x input to gradWeight, gradOutput to gradBias, the weight when
    weightDecay != 0, and weight^T gradOutput to gradInput (here the parameter sums in accGradParameters)."""
    m = nn.SpatialLinear(3, 2).double()
    m.weightDecay = 0.5
    x, go = _double(3, 4, 5, seed=1), _double(2, 4, 5, seed=2)
    w, b = _host(m.weight), _host(m.bias)
    out = np.zeros((2, 4, 5))
    for o in range(2):
        out[o] = b[o]
        for i in range(3):
            out[o] += w[o, i] * x.numpy()[i]
    gw, gb, gi = np.zeros((2, 3)), np.zeros(2), np.zeros((3, 4, 5))
    for y in range(4):
        for xx in range(5):
            g, v = go.numpy()[:, y, xx], x.numpy()[:, y, xx]
            gw += np.outer(g, v)
            gb += g
            gw += w
            gi[:, y, xx] += w.T @ g
    m.zeroGradParameters()
    np.testing.assert_allclose(_host(m.forward(x)), out, rtol=1e-12)
    np.testing.assert_allclose(_host(m.backward(x, go)), gi, rtol=1e-12)
    np.testing.assert_allclose(_host(m.gradWeight), gw, rtol=1e-12)
    np.testing.assert_allclose(_host(m.gradBias), gb, rtol=1e-12)


def test_spatial_linear_as_test_all_lua():
    """nnx test/test-all.lua SpatialLinear: on a 1x1 image it is nn.Linear with the same weights; Jacobians
    w.r.t. input, weight and bias; reset's bound is 1/sqrt(fanout) (SpatialLinear.lua divides by
    weight:size(1))."""
    m, ground = nn.SpatialLinear(7, 4), nn.Linear(7, 4)
    ground.weight.copy(m.weight)
    ground.bias.copy(m.bias)
    x = lg.rand(7, 1, 1)
    np.testing.assert_allclose(_host(m.forward(x))[:, 0, 0], _host(ground.forward(x.select(1, 0).select(1, 0))),
                               rtol=1e-6)
    assert_jacobian(nn.SpatialLinear(5, 3), lg.rand(5, 6, 4))
    big = nn.SpatialLinear(2, 100)
    assert np.abs(_host(big.weight)).max() <= 1 / math.sqrt(100)
    assert np.abs(_host(big.weight)).max() > 0.5 / math.sqrt(100)


def test_color_transform_coefficients():
    """nnx SpatialColorTransform.lua: rgb2yuv's Y row is (0.299, 0.587, 0.114), U (-0.14713, -0.28886, 0.436),
    V (0.615, -0.51499, -0.10001), no bias; yuv2rgb's R = Y + 1.13983 V; rgb2y gives one plane. (Built under
    the double default type, Torch7's, so the coefficients are not rounded to single precision.)"""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    px = lg.DoubleTensor([[[0.2]], [[0.5]], [[0.9]]])
    yuv = nn.SpatialColorTransform('rgb2yuv').double().forward(px)
    r, g, b = 0.2, 0.5, 0.9
    np.testing.assert_allclose(_host(yuv)[:, 0, 0], [0.299 * r + 0.587 * g + 0.114 * b,
                                                      -0.14713 * r - 0.28886 * g + 0.436 * b,
                                                      0.615 * r - 0.51499 * g - 0.10001 * b], rtol=1e-12)
    rgb = nn.SpatialColorTransform('yuv2rgb').double().forward(px)
    np.testing.assert_allclose(_host(rgb)[:, 0, 0], [r + 1.13983 * b, r - 0.39465 * g - 0.58060 * b,
                                                      r + 2.03211 * g], rtol=1e-12)
    assert nn.SpatialColorTransform('rgb2y').forward(lg.rand(3, 2, 2)).size() == (1, 2, 2)
    with pytest.raises(ValueError, match="SpatialColorTransform.*legonn.image.rgb2hsv"):
        nn.SpatialColorTransform('rgb2hsv')
    with pytest.raises(ValueError, match="SpatialColorTransform.*one of"):
        nn.SpatialColorTransform('rgb2lab')


# --- PixelSort ---------------------------------------------------------------------------------------------------
def test_pixel_sort_matches_the_lua_views():
    """nnx PixelSort.lua: the input viewed (b, c, h/r, r, w/r, r), permuted (1, 2, 4, 6, 3, 5) and viewed (b, c*r^2,
    h/r, w/r), so output (c*r^2 + i*r + j, y, x) = input (c, y*r + i, x*r + j); gradInput undoes it; the inverse
    of nn.PixelShuffle(r)."""
    r = 2
    x = _double(3, 2, 4, 6, seed=3)
    m = nn.PixelSort(r).double()
    out = np.zeros((3, 8, 2, 3))
    for n in range(3):
        for c in range(2):
            for i in range(r):
                for j in range(r):
                    for y in range(2):
                        for xx in range(3):
                            out[n, c * r * r + i * r + j, y, xx] = x.numpy()[n, c, y * r + i, xx * r + j]
    np.testing.assert_array_equal(_host(m.forward(x)), out)
    np.testing.assert_array_equal(_host(m.backward(x, lg.from_numpy(out))), x.numpy())
    np.testing.assert_array_equal(_host(nn.PixelShuffle(r).double().forward(m.output)), x.numpy())
    with pytest.raises(ValueError, match=r"PixelSort.*divisible by downscaleFactor = 2"):
        m.forward(lg.randn(2, 3, 5).double())


@pytest.mark.parametrize('kind', ['ByteTensor', 'LongTensor'])
def test_pixel_sort_and_padding_take_any_element_type(kind):
    """PixelSort.lua and SpatialPadding.lua only fill, narrow, view and copy, so an integer image goes through
    them as in Torch7, output and gradInput of its type; SpatialPadding's val is written with fill, so -1 in a
    ByteTensor is 255 as TH converts it."""
    x = lg.from_numpy(np.arange(2 * 4 * 6).reshape(2, 4, 6)).type('legonn.' + kind)
    xa = x.numpy()
    sort = nn.PixelSort(2)
    out = sort.forward(x)
    assert out.type() == x.type()
    for c, i, j, y, xx in np.ndindex(2, 2, 2, 2, 3):
        assert out.numpy()[c * 4 + i * 2 + j, y, xx] == xa[c, y * 2 + i, xx * 2 + j]
    np.testing.assert_array_equal(sort.backward(x, out).numpy(), xa)
    pad = nn.SpatialPadding(1, -1, 0, 2, 1, 2, -1)
    out = pad.forward(x)
    fill = 255 if kind == 'ByteTensor' else -1
    assert out.type() == x.type() and out.size() == (2, 6, 6)
    np.testing.assert_array_equal(out.numpy()[:, :4, 1:], xa[:, :, :5])
    assert (out.numpy()[:, 4:] == fill).all() and (out.numpy()[:, :, 0] == fill).all()
    gi = pad.backward(x, out)
    assert gi.type() == x.type()
    np.testing.assert_array_equal(gi.numpy(), np.concatenate([xa[:, :, :5], np.zeros_like(xa[:, :, 5:])], 2))




# --- Up / down / max sampling --------------------------------------------------------------------------------
def test_upsampling_matches_the_c_loops():
    """nnx generic/SpatialUpSampling.c on the Lua's 4-D reshape (planes before yDim, y, x, planes after xDim):
    output (y, x) = input (y // dH, x // dW); gradInput accumulates gradOutput the same way."""
    dW, dH = 3, 2
    x, m = _double(2, 3, 4, 2, seed=4), nn.SpatialUpSampling(dW, dH, 1, 2).double()
    xi = x.numpy()
    out = np.zeros((2, 6, 12, 2))
    for k1 in range(2):
        for k2 in range(2):
            for y in range(6):
                for xx in range(12):
                    out[k1, y, xx, k2] = xi[k1, y // dH, xx // dW, k2]
    np.testing.assert_array_equal(_host(m.forward(x)), out)
    go = _double(2, 6, 12, 2, seed=5)
    gi = np.zeros_like(xi)
    for k1 in range(2):
        for k2 in range(2):
            for y in range(6):
                for xx in range(12):
                    gi[k1, y // dH, xx // dW, k2] += go.numpy()[k1, y, xx, k2]
    np.testing.assert_allclose(_host(m.backward(x, go)), gi, rtol=1e-12)
    with pytest.raises(ValueError, match="SpatialUpSampling: yDim must be xDim - 1"):
        nn.SpatialUpSampling(2, 2, 0, 2)


@pytest.mark.parametrize('dtype', ['double', 'float'])
def test_downsampling_matches_the_c_loops(dtype):
    """nnx generic/SpatialDownSampling.c: each output the sum of its rH x rW block times (real)(1.0f/(rH*rW)), the
    factor a float; gradInput the gradOutput of the block times the same factor; the remainder rows and columns
    get no gradient."""
    rW, rH = 3, 2
    x = _double(2, 5, 7, seed=6)
    m = nn.SpatialDownSampling(rW, rH)
    if dtype == 'float':
        x, m = x.float(), m.float()
    else:
        m.double()
    xi = np.asarray(x.array)
    real = xi.dtype.type
    factor = real(np.float32(1.0) / np.float32(rH * rW))
    out = np.zeros((2, 2, 2), xi.dtype)
    for k in range(2):
        for y in range(2):
            for xx in range(2):
                avg = real(0)
                for i in range(y * rH, (y + 1) * rH):
                    for j in range(xx * rW, (xx + 1) * rW):
                        avg = real(avg + xi[k, i, j])
                out[k, y, xx] = real(avg * factor)
    np.testing.assert_allclose(np.asarray(m.forward(x).array), out, rtol=1e-6 if dtype == 'float' else 1e-15)
    go = np.asarray(_double(2, 2, 2, seed=7).array).astype(xi.dtype)
    gi = np.zeros_like(xi)
    for k in range(2):
        for y in range(2):
            for xx in range(2):
                gi[k, y * rH:(y + 1) * rH, xx * rW:(xx + 1) * rW] += go[k, y, xx]
    gi *= factor
    np.testing.assert_allclose(np.asarray(m.backward(x, lg.from_numpy(go)).array), gi, rtol=1e-6)
    with pytest.raises(ValueError, match=r"SpatialDownSampling.*at least 2x3"):
        m.forward(lg.randn(2, 1, 7).type(m.type()))


def _max_sampling_loops(xi, ow, oh):
    """generic/SpatialMaxSampling.c's updateOutput: float steps, the first maximum kept, 1-based (y, x) offsets."""
    c, ih, iw = xi.shape
    dW, dH = np.float32(iw) / np.float32(ow), np.float32(ih) / np.float32(oh)
    out, idx = np.zeros((c, oh, ow)), np.zeros((2, c, oh, ow))
    for k in range(c):
        for i in range(oh):
            for j in range(ow):
                ixs, iys = int(np.float32(j) * dW), int(np.float32(i) * dH)
                ixe = max(ixs + 1, int(np.float32(j + 1) * dW))
                iye = max(iys + 1, int(np.float32(i + 1) * dH))
                best, where, t = -np.inf, -1, 0
                for y in range(iys, iye):
                    for x in range(ixs, ixe):
                        if xi[k, y, x] > best:
                            best, where = xi[k, y, x], t
                        t += 1
                out[k, i, j] = best
                idx[0, k, i, j] = where // (ixe - ixs) + 1
                idx[1, k, i, j] = where % (ixe - ixs) + 1
    return out, idx


@pytest.mark.parametrize('size', [(4, 3), (6, 5), (9, 7), (3, 3)], ids=['down', 'up', 'same', 'uneven'])
def test_max_sampling_matches_the_c_loops(size):
    """nnx generic/SpatialMaxSampling.c: the grid of single-precision steps width/owidth, the first maximum of
    each cell (strict >), indices 1-based in the C and 0-based here; gradInput puts each gradOutput on it."""
    ow, oh = size
    x = _double(2, 7, 9, seed=8)
    x.numpy()[0, 1, 1] = x.numpy()[0, 1, 2] = 5.0    # a tie: the first one wins
    m = nn.SpatialMaxSampling(ow, oh).double()
    out, idx = _max_sampling_loops(x.numpy(), ow, oh)
    np.testing.assert_array_equal(_host(m.forward(x)), out)
    np.testing.assert_array_equal(_host(m.indices), idx - 1)
    go = _double(2, oh, ow, seed=9)
    gi = np.zeros((2, 7, 9))
    dW, dH = np.float32(9) / np.float32(ow), np.float32(7) / np.float32(oh)
    for k in range(2):
        for i in range(oh):
            for j in range(ow):
                y = int(idx[0, k, i, j]) - 1 + int(np.float32(i) * dH)
                xx = int(idx[1, k, i, j]) - 1 + int(np.float32(j) * dW)
                gi[k, y, xx] += go.numpy()[k, i, j]
    np.testing.assert_allclose(_host(m.backward(x, go)), gi, rtol=1e-15)



def test_max_sampling_never_takes_a_nan_as_the_c():
    """generic/SpatialMaxSampling.c keeps ``val > maxval`` from -inf: a NaN is never a cell's maximum (NumPy's max
    would return it), and a cell of NaNs and -infs gives -inf; that cell gets no gradient (the C's index is then
    meaningless), the others theirs."""
    x = _double(2, 7, 9, seed=11)
    a = x.numpy()
    a[0, 0, 0] = a[0, 3, 4] = a[1, 6, 8] = np.nan
    a[1, :2, :3] = -np.inf
    a[1, 0, 1] = np.nan
    m = nn.SpatialMaxSampling(3, 3).double()
    out, idx = _max_sampling_loops(a, 3, 3)
    got = _host(m.forward(x))
    np.testing.assert_array_equal(got, out)
    assert not np.isnan(got).any() and got[1, 0, 0] == -np.inf
    found = np.isfinite(out)
    np.testing.assert_array_equal(_host(m.indices)[:, found], idx[:, found] - 1)
    go = _double(2, 3, 3, seed=12)
    gi = np.zeros((2, 7, 9))
    dW, dH = np.float32(9) / np.float32(3), np.float32(7) / np.float32(3)
    for k, i, j in zip(*np.nonzero(found)):
        y = int(idx[0, k, i, j]) - 1 + int(np.float32(i) * dH)
        gi[k, y, int(idx[1, k, i, j]) - 1 + int(np.float32(j) * dW)] += go.numpy()[k, i, j]
    np.testing.assert_array_equal(_host(m.backward(x, go)), gi)

def test_sampling_as_test_all_lua():
    """nnx test/test-all.lua SpatialUpSampling and SpatialDownSampling: random sizes and factors, Jacobians, and
    testIO (a second forward/backward gives the same numbers)."""
    rs = np.random.RandomState(10)
    for _ in range(3):
        fanin, sx, sy, mx, my = rs.randint(1, 5), rs.randint(1, 5), rs.randint(1, 5), rs.randint(2, 7), rs.randint(2, 7)
        assert_jacobian(nn.SpatialUpSampling(mx, my), lg.rand(fanin, sy, sx))
        fanin, sx, sy = rs.randint(1, 5), rs.randint(4, 12), rs.randint(4, 12)
        mx, my = rs.randint(2, min(sx, 6) + 1), rs.randint(2, min(sy, 6) + 1)
        m, x = nn.SpatialDownSampling(mx, my).double(), lg.rand(fanin, sy, sx).double()
        assert_jacobian(m, x)
        out1, go = m.forward(x).clone(), lg.randn(*m.output.size()).double()
        gi1 = m.backward(x, go).clone()
        assert m.forward(x).equal(out1) and m.backward(x, go).equal(gi1)


# --- SpatialPadding -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize('pads', [(1, 2, 0, 3), (-1, 2, 1, -2), (0, -3, -1, 0), (2, 2, 2, 2)])
def test_padding_matches_the_lua_narrows(pads):
    """nnx SpatialPadding.lua: output filled with val, the input (narrowed where a pad is negative) copied into the
    output narrowed where a pad is positive; gradInput the matching part of gradOutput, zero elsewhere."""
    l, r, t, b = pads
    x = _double(2, 5, 6, seed=11)
    m = nn.SpatialPadding(l, r, t, b, 1, 2, -0.25).double()
    h, w = 5 + t + b, 6 + l + r
    kept = [(y, xx, y + t, xx + l) for y in range(5) for xx in range(6) if 0 <= y + t < h and 0 <= xx + l < w]
    out = np.full((2, h, w), -0.25)
    for y, xx, oy, ox in kept:
        out[:, oy, ox] = x.numpy()[:, y, xx]
    np.testing.assert_array_equal(_host(m.forward(x)), out)
    go = _double(2, h, w, seed=12)
    gi = np.zeros((2, 5, 6))
    for y, xx, oy, ox in kept:
        gi[:, y, xx] = go.numpy()[:, oy, ox]
    np.testing.assert_array_equal(_host(m.backward(x, go)), gi)


def test_padding_as_test_all_lua():
    """nnx test/test-all.lua SpatialPadding: random pads 0..8 and a random pad value, default axes (nil, nil)."""
    rs = np.random.RandomState(13)
    for _ in range(3):
        pads = [int(v) for v in rs.randint(0, 9, 4)]
        m = nn.SpatialPadding(*pads, None, None, float(rs.randn()))
        assert_jacobian(m, lg.rand(rs.randint(1, 4), rs.randint(4, 17), rs.randint(4, 17)))
    assert nn.SpatialPadding(2).forward(lg.rand(1, 3, 3)).size() == (1, 7, 7)   # pad_r, pad_t, pad_b = pad_l
    with pytest.raises(ValueError, match="SpatialPadding.*large enough"):
        nn.SpatialPadding(-2, -2).forward(lg.rand(1, 5, 3))
    with pytest.raises(ValueError, match="SpatialPadding: pad_r must be an integer"):
        nn.SpatialPadding(1, 0.5)


# --- SpatialMatching, SpatialRadialMatching -------------------------------------------------------------------
def _matching_loops(x1, x2, maxh, maxw, full, go):
    """generic/SpatialMatching.c: output and both gradients."""
    k, h, w = x1.shape
    out = np.full((h, w, maxh, maxw), 1e30)
    g1, g2 = np.zeros_like(x1), np.zeros_like(x2)
    if full:
        hh1, hh2 = math.ceil(maxh / 2) - 1, math.floor(maxh / 2) + 1
        hw1, hw2 = math.ceil(maxw / 2) - 1, math.floor(maxw / 2) + 1
    for y1 in range(h):
        for xx1 in range(w):
            ys = range(max(0, y1 - hh1), min(h, y1 + hh2)) if full else range(y1, y1 + maxh)
            for y2 in ys:
                xs = range(max(0, xx1 - hw1), min(w, xx1 + hw2)) if full else range(xx1, xx1 + maxw)
                for xx2 in xs:
                    dy, dx = (y2 - y1 + hh1, xx2 - xx1 + hw1) if full else (y2 - y1, xx2 - xx1)
                    d = x1[:, y1, xx1] - x2[:, y2, xx2]
                    out[y1, xx1, dy, dx] = (d * d).sum()
                    p = 2 * d * go[y1, xx1, dy, dx]
                    g1[:, y1, xx1] += p
                    g2[:, y2, xx2] -= p
    return out, g1, g2


@pytest.mark.parametrize('maxh,maxw,full', [(3, 2, False), (4, 3, True), (5, 5, True), (1, 4, False)])
def test_matching_matches_the_c_loops(maxh, maxw, full):
    """nnx generic/SpatialMatching.c: squared distances over the window (from (y, x) without full_output; centred,
    ceil(max/2) - 1 before, with it, unreached offsets 1e30), gradients 2 (x1 - x2) gradOutput, + to input1,
    - to input2."""
    x1 = _double(3, 4, 5, seed=14)
    x2 = _double(3, 4, 5, seed=15) if full else _double(3, 4 + maxh - 1, 5 + maxw - 1, seed=15)
    go = _double(4, 5, maxh, maxw, seed=16)
    m = nn.SpatialMatching(maxh, maxw, full).double()
    out, g1, g2 = _matching_loops(x1.numpy(), x2.numpy(), maxh, maxw, full, go.numpy())
    np.testing.assert_allclose(_host(m.forward([x1, x2])), out, rtol=1e-12)
    gi = m.backward([x1, x2], go)
    np.testing.assert_allclose(_host(gi[0]), g1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_host(gi[1]), g2, rtol=1e-12, atol=1e-12)


def test_radial_matching_matches_the_c_loops():
    """nnx generic/SpatialRadialMatching.c: output (y, x, d) = sum_k (x1[k, y, x] - x2[k, y + d, x])^2 and its
    gradients."""
    x1, x2, go = _double(2, 3, 4, seed=17), _double(2, 6, 5, seed=18), _double(3, 4, 4, seed=19)
    out, g1, g2 = np.zeros((3, 4, 4)), np.zeros((2, 3, 4)), np.zeros((2, 6, 5))
    a, b, g = x1.numpy(), x2.numpy(), go.numpy()
    for y in range(3):
        for x in range(4):
            for y2 in range(y, y + 4):
                d = a[:, y, x] - b[:, y2, x]
                out[y, x, y2 - y] = (d * d).sum()
                g1[:, y, x] += 2 * d * g[y, x, y2 - y]
                g2[:, y2, x] -= 2 * d * g[y, x, y2 - y]
    m = nn.SpatialRadialMatching(4).double()
    np.testing.assert_allclose(_host(m.forward([x1, x2])), out, rtol=1e-12)
    gi = m.backward([x1, x2], go)
    np.testing.assert_allclose(_host(gi[0]), g1, rtol=1e-12)
    np.testing.assert_allclose(_host(gi[1]), g2, rtol=1e-12)


@pytest.mark.parametrize('channels,iwidth,iheight,maxw,maxh,full', [
    (4, 16, 16, 5, 5, True), (4, 16, 16, 5, 5, False), (3, 16, 16, 6, 6, True), (3, 20, 20, 4, 4, False),
    (3, 12, 16, 5, 7, True)], ids=['1', '2', '3', '4', '5'])
def test_matching_as_test_all_lua(channels, iwidth, iheight, maxw, maxh, full):
    """nnx test/test-all.lua SpatialMatching_1..5: SplitTable(1), input1 narrowed to the window centres
    (Narrow(2, floor(maxh/2), ...), 1-based, is Narrow(1, floor(maxh/2) - 1, ...) here), SpatialMatching."""
    module = nn.Sequential().add(nn.SplitTable(0))
    seq1 = nn.Sequential().add(nn.Narrow(1, maxh // 2 - 1, iheight - maxh + 1)) \
        .add(nn.Narrow(2, maxw // 2 - 1, iwidth - maxw + 1))
    module.add(nn.ParallelTable().add(seq1).add(nn.Identity())).add(nn.SpatialMatching(maxh, maxw, full))
    assert_jacobian(module, lg.rand(2, channels, iheight, iwidth), tol=1e-5)


def test_matching_rejects_bad_tables():
    """The C reads input2 past its end when it is too small; legonn refuses, naming the module."""
    m = nn.SpatialMatching(3, 3)
    with pytest.raises(ValueError, match=r"SpatialMatching.*input\[1\] of at least 5x6"):
        m.forward([lg.randn(2, 3, 4), lg.randn(2, 4, 6)])
    with pytest.raises(ValueError, match=r"SpatialMatching.*input\[1\] with 2 planes"):
        m.forward([lg.randn(2, 3, 4), lg.randn(3, 5, 6)])
    with pytest.raises(TypeError, match="SpatialMatching.*table"):
        m.forward(lg.randn(2, 3, 4))
    with pytest.raises(ValueError, match="SpatialRadialMatching.*input\\[1\\] of at least 5x4"):
        nn.SpatialRadialMatching(3).forward([lg.randn(2, 3, 4), lg.randn(2, 4, 4)])


# --- SpatialGraph -------------------------------------------------------------------------------------------------
def _graph_loops(x, go, cosine, norm):
    """generic/SpatialGraph.c: 4-connex edges, Euclidean (sqrt of the summed squares, times 1/sqrt(K) when
    normalized) or unnormalized cosine (K - sum (a + 1e-12)(b + 1e-12)); and the gradient loops."""
    k, h, w = x.shape
    out, gi = np.zeros((2, h, w)), np.zeros_like(x)
    normer = 1 / math.sqrt(k) if norm else 1
    for y in range(h):
        for xx in range(w):
            for plane, (y2, x2) in ((0, (y, xx + 1)), (1, (y + 1, xx))):
                if y2 >= h or x2 >= w:
                    continue
                if cosine:
                    out[plane, y, xx] = k - ((x[:, y, xx] + 1e-12) * (x[:, y2, x2] + 1e-12)).sum()
                    gi[:, y, xx] -= x[:, y2, x2] * go[plane, y, xx]
                    gi[:, y2, x2] -= x[:, y, xx] * go[plane, y, xx]
                else:
                    d = x[:, y, xx] - x[:, y2, x2]
                    out[plane, y, xx] = math.sqrt((d * d).sum()) * normer
                    p = np.array([v / out[plane, y, xx] if v != 0 else 0.0 for v in d]) * go[plane, y, xx] * normer ** 2
                    gi[:, y, xx] += p
                    gi[:, y2, x2] -= p
    return out, gi


@pytest.mark.parametrize('dist,norm', [('euclid', True), ('euclid', False), ('cosine', False)])
def test_graph_matches_the_c_loops(dist, norm):
    """nnx generic/SpatialGraph.c: both planes of edges and the gradient (the Euclidean one divided by the output,
    skipped where the difference is 0, as the C); a repeated pixel gives a zero edge and no NaN."""
    x = _double(3, 4, 5, seed=20, lo=0)
    x.numpy()[:, 2, 3] = x.numpy()[:, 2, 4]
    go = _double(2, 4, 5, seed=21)
    m = nn.SpatialGraph({'dist': dist, 'normalize': norm}).double()
    out, gi = _graph_loops(x.numpy(), go.numpy(), dist == 'cosine', norm)
    np.testing.assert_allclose(_host(m.forward(x)), out, rtol=1e-12)
    np.testing.assert_allclose(_host(m.backward(x, go)), gi, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('channels,iwidth,iheight,dist,norm', [
    (3, 16, 16, 'euclid', True), (16, 4, 4, 'euclid', True), (256, 2, 2, 'euclid', False), (2, 16, 16, 'cosine', False),
    (64, 3, 3, 'cosine', False)], ids=['1', '2', '3', '4', '5'])
def test_graph_as_test_all_lua(channels, iwidth, iheight, dist, norm):
    """nnx test/test-all.lua SpatialGraph_1..5: input torch.rand(iwidth, iheight, channels) (its first axis is the
    features), Jacobian on inputs in [0.1, 1]."""
    assert_jacobian(nn.SpatialGraph({'normalize': norm, 'dist': dist}), lg.rand(iwidth, iheight, channels),
                    minval=0.1, maxval=1)


def test_graph_constructor_errors():
    """nnx SpatialGraph.lua: connexity 4 only, euclid or cosine, no normalized cosine."""
    with pytest.raises(ValueError, match="SpatialGraph: 4 is the only connexity"):
        nn.SpatialGraph('euclid', True, 8)
    with pytest.raises(ValueError, match="SpatialGraph: normalized cosine"):
        nn.SpatialGraph('cosine')
    with pytest.raises(ValueError, match="SpatialGraph: dist must be"):
        nn.SpatialGraph('manhattan')


# --- SpatialClassifier, SpatialPyramid ----------------------------------------------------------------------------
def test_classifier_classifies_every_pixel():
    """nnx SpatialClassifier.lua: the (K, H, W) input transposed to (H*W, K) rows, classified, transposed back to
    (N, H, W) (or left (H*W, N) without spatialOutput); gradients the same way."""
    lin = nn.Linear(3, 2).double()
    m = nn.SpatialClassifier(lin).double()
    x, go = _double(3, 2, 4, seed=22), _double(2, 2, 4, seed=23)
    w, b = _host(lin.weight), _host(lin.bias)
    out = np.zeros((2, 2, 4))
    gi = np.zeros((3, 2, 4))
    for y in range(2):
        for xx in range(4):
            out[:, y, xx] = w @ x.numpy()[:, y, xx] + b
            gi[:, y, xx] = w.T @ go.numpy()[:, y, xx]
    np.testing.assert_allclose(_host(m.forward(x)), out, rtol=1e-12)
    m.zeroGradParameters()
    np.testing.assert_allclose(_host(m.backward(x, go)), gi, rtol=1e-12)
    np.testing.assert_allclose(_host(lin.gradBias), go.numpy().sum((1, 2)), rtol=1e-12)
    m.spatialOutput = False
    assert m.forward(x).size() == (8, 2)
    with pytest.raises(ValueError, match="SpatialClassifier.*3-D"):
        m.forward(lg.randn(3, 4).double())
    with pytest.raises(TypeError, match="SpatialClassifier.*no container"):
        m.add(nn.Tanh())


def test_pyramid_pipelines():
    """nnx SpatialPyramid.lua: unfocused, each processor's output is up-sampled back to the input's size; focused
    (focus(x, y, 3, 3)), each scale gives 3x3 outputs of the window around (x, y); sizes must be multiples of the
    ratios; parameters are the processors' (4 tensors), in either mode."""
    pyr = nn.SpatialPyramid([1, 2], [nn.SpatialConvolution(2, 4, 3, 3), nn.SpatialConvolution(2, 4, 3, 3)], 3, 3, 1, 1)
    x = lg.rand(2, 8, 8)
    assert [t.size() for t in pyr.forward(x)] == [(4, 8, 8), (4, 8, 8)]
    pyr.focus(4, 2, 3, 3)
    assert [t.size() for t in pyr.forward(x)] == [(4, 3, 3), (4, 3, 3)]
    assert len(pyr.parameters()[0]) == 4
    pyr.focus()
    assert not pyr.focused and len(pyr.parameters()[0]) == 4
    with pytest.raises(ValueError, match="SpatialPyramid.*multiples of the ratios"):
        pyr.forward(lg.rand(2, 7, 8))


def test_pyramid_focus_window():
    """nnx SpatialPyramid.lua configureFocus: the window of scale i is ratio_i * ((w - 1) dW + kW) wide, from
    ceil(win / 2) before the (1-based) focus pixel to floor(win / 2) after it, then block-averaged by the ratio:
    with identity processors, a 3x3 kernel and focus(4, 2) (0-based) on an 8x8 image, scale 1 is the 3x3 window
    centred on row 2, column 4 and scale 2 the 2x2 averages of rows 0..5, columns 2..7."""
    pyr = nn.SpatialPyramid([1, 2], [nn.Identity(), nn.Identity()], 3, 3, 1, 1).double()
    x = _double(2, 8, 8, seed=24)
    pyr.focus(4, 2, 1, 1)
    out = pyr.forward(x)
    np.testing.assert_array_equal(_host(out[0]), x.numpy()[:, 1:4, 3:6])
    window = x.numpy()[:, 0:6, 2:8]
    np.testing.assert_allclose(_host(out[1]), window.reshape(2, 3, 2, 3, 2).mean((2, 4)), rtol=1e-12)


# --- SpatialNormalization ---------------------------------------------------------------------------------------
def _nnx_normalization(x, kernels, fixed):
    """nnx SpatialNormalization.lua's chain, module by module: per kernel SpatialPadding(k//2, k//2 - even, ...),
    SpatialConvolutionMap(oneToOne) (a correlation of each plane), Sum over planes, Replicate; coef from ones;
    CDivTable, CSubTable, Square, Sqrt, CDivTable, Threshold(t, t), CDivTable. Returns (output, threshold)."""
    nf, h, w = x.shape

    def conv(a):
        for k in kernels:
            kh, kw = k.shape
            t, left = kh // 2, kw // 2
            p = np.zeros((nf, h + kh - 1, w + kw - 1))
            p[:, t:t + h, left:left + w] = a
            maps = np.zeros((nf, h, w))
            for f in range(nf):
                for y in range(h):
                    for xx in range(w):
                        maps[f, y, xx] = (p[f, y:y + kh, xx:xx + kw] * k).sum()
            a = np.repeat(maps.sum(0)[None], nf, 0)
        return a

    kernels = [k / k.sum() for k in kernels]
    coef = conv(np.ones_like(x))
    xz = x - conv(x) / coef
    std = np.sqrt(conv(xz * xz)) / coef
    t = fixed if fixed is not None else max(std.mean(), 1e-3)
    return xz / np.where(std > t, std, t), t


@pytest.mark.parametrize('kernels,fixed', [
    ([[[1, 2, 1], [2, 4, 2], [1, 2, 1]]], 0.1), ([[[1, 2, 1], [2, 4, 2], [1, 2, 1]]], None),
    ([[[1, 2], [3, 1]]], None), ([[[1, 2, 1, 1]], [[1], [3], [1]]], 0.2)], ids=['3x3', 'adaptive', 'even', 'pair'])
def test_normalization_matches_the_lua_chain(kernels, fixed):
    """nnx SpatialNormalization.lua: the output of its module chain (transcribed above), the adaptive threshold
    max(mean std, 1e-3) included; its gradient equals central differences taken with the threshold held at the
    forward's value (the Lua's Threshold module keeps it so in backward). Built under the double default type,
    Torch7's, so the normalised kernel is not rounded to single precision."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    x = _double(3, 5, 6, seed=25, lo=0)
    ks = [np.array(k, np.float64) for k in kernels]
    kernel = [lg.from_numpy(k.copy()) for k in ks] if len(ks) > 1 else lg.from_numpy(ks[0].copy())
    m = nn.SpatialNormalization(3, kernel, fixed).double()
    ref, t = _nnx_normalization(x.numpy(), ks, fixed)
    np.testing.assert_allclose(_host(m.forward(x)), ref, rtol=1e-12, atol=1e-12)
    assert m.threshold == pytest.approx(t, rel=1e-12)
    g = _double(3, 5, 6, seed=26)
    gi = _host(m.backward(x, g))
    for index in [(0, 0, 0), (1, 2, 3), (2, 4, 5), (0, 3, 1), (2, 0, 4)]:
        step = np.zeros(x.size())
        step[index] = 1e-6
        plus, _ = _nnx_normalization(x.numpy() + step, ks, t)
        minus, _ = _nnx_normalization(x.numpy() - step, ks, t)
        assert abs(((plus - minus) * g.numpy()).sum() / 2e-6 - gi[index]) < 1e-7


def test_normalization_as_test_all_lua():
    """nnx test/test-all.lua SpatialNormalization_Gaussian2D (9x9 gaussian, threshold 0.1), _Gaussian1D (the
    11x1 and 1x11 gaussian pair) and _io; a 2-D input is one plane, its output (1, H, W) as nnx's."""
    from legonn import image
    rs = np.random.RandomState(27)
    n, size = rs.randint(5, 11), rs.randint(11, 21)
    assert_jacobian(nn.SpatialNormalization(n, image.gaussian(9), 0.1), lg.rand(n, size, size))
    v = image.gaussian1D(11).resize(11, 1)
    n, size = rs.randint(5, 11), rs.randint(14, 21)
    assert_jacobian(nn.SpatialNormalization(n, [v, v.t()], 0.1), lg.rand(n, size, size))
    m, x = nn.SpatialNormalization(3, image.gaussian(7)).double(), lg.rand(3, 12, 12).double()
    out, go = m.forward(x).clone(), lg.randn(3, 12, 12).double()
    gi = m.backward(x, go).clone()
    assert m.forward(x).equal(out) and m.backward(x, go).equal(gi)
    still = lg.from_numpy(0.5 + 1e-6 * np.random.RandomState(28).rand(3, 12, 12))
    out = _host(m.forward(still))   # a nearly flat image: the threshold's 1e-3 floor divides
    ref, t = _nnx_normalization(still.numpy(), [_host(k) for k in m.kernel], None)
    assert m.threshold == t == 1e-3
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-12)
    flat = nn.SpatialNormalization(1, image.gaussian(3), 0.1)
    assert flat.forward(lg.rand(5, 6)).size() == (1, 5, 6)
    with pytest.raises(ValueError, match=r"SpatialNormalization.*3 input planes"):
        m.forward(lg.rand(2, 12, 12).double())
    with pytest.raises(ValueError, match="SpatialNormalization: kernel must be a 2-D tensor"):
        nn.SpatialNormalization(3, image.gaussian1D(5))


def _block_average(x, r):
    c, h, w = x.shape
    out = np.zeros((c, h // r, w // r))
    for y in range(h // r):
        for xx in range(w // r):
            out[:, y, xx] = x[:, y * r:(y + 1) * r, xx * r:(xx + 1) * r].sum((1, 2)) * (1 / r ** 2)
    return out


def test_fovea_scales_and_focus():
    """nnx SpatialFovea.lua with identity processors: unfocused, scale r is the r x r block average (a
    SpatialSubSampling of weight 1/r^2) up-sampled back by nearest neighbour, the scales stacked along the planes;
    focused (focus(x, y, fov), 0-based), scale r is the fov x fov window at (floor(x / r), floor(y / r)) of the
    block average zero-padded by (fov - sub) // 2; gradInput sums what each scale sends back."""
    x = _double(2, 8, 8, seed=29)
    m = nn.SpatialFovea(2, [1, 2], [nn.Identity(), nn.Identity()]).double()
    out = _host(m.forward(x))
    avg = _block_average(x.numpy(), 2)
    np.testing.assert_allclose(out[:2], x.numpy(), rtol=1e-12)
    np.testing.assert_allclose(out[2:], avg.repeat(2, 1).repeat(2, 2), rtol=1e-12)
    go = _double(4, 8, 8, seed=30)
    gi = go.numpy()[:2] + go.numpy()[2:].reshape(2, 4, 2, 4, 2).sum((2, 4)).repeat(2, 1).repeat(2, 2) / 4
    np.testing.assert_allclose(_host(m.backward(x, go)), gi, rtol=1e-12)
    m = nn.SpatialFovea({'nInputPlane': 2, 'ratios': [1, 2], 'processors': [nn.Identity(), nn.Identity()],
                         'fov': 3, 'sub': 1}).double()
    m.focus(3, 6, 3)
    out = _host(m.forward(x))
    padded1 = np.pad(x.numpy(), ((0, 0), (1, 1), (1, 1)))
    padded2 = np.pad(avg, ((0, 0), (1, 1), (1, 1)))
    np.testing.assert_allclose(out[:2], padded1[:, 6:9, 3:6], rtol=1e-12)
    np.testing.assert_allclose(out[2:], padded2[:, 3:6, 1:4], rtol=1e-12)
    with pytest.raises(ValueError, match="SpatialFovea: the number of processors"):
        nn.SpatialFovea(2, [1, 2], [nn.Identity()])
    with pytest.raises(ValueError, match=r"SpatialFovea.*2 input planes"):
        m.forward(lg.rand(3, 8, 8).double())


# --- errors and the contract ----------------------------------------------------------------------------------
def test_bad_input_names_the_module_and_changes_nothing():
    """A wrong number of planes or a wrong gradOutput size raises naming the module, parameters untouched."""
    m = nn.SpatialLinear(3, 2)
    assert_rejected(m, ValueError, r"SpatialLinear\(3 -> 2\).*3 input planes", 'forward', lg.randn(4, 2, 2))
    x = lg.randn(3, 2, 2)
    m.forward(x)
    assert_rejected(m, ValueError, r"SpatialLinear.*gradOutput of size \(2, 2, 2\)", 'backward', x, lg.randn(2, 3, 2))
    with pytest.raises(ValueError, match=r"SpatialMaxSampling.*3-D"):
        nn.SpatialMaxSampling(2, 2).forward(lg.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="SpatialMaxSampling: owidth must be a positive integer"):
        nn.SpatialMaxSampling(0, 2)
    with pytest.raises(ValueError, match="SpatialDownSampling: rH must be a positive integer"):
        nn.SpatialDownSampling(2)
    with pytest.raises(ValueError, match=r"SpatialUpSampling.*x axis 2"):
        nn.SpatialUpSampling(2, 2).forward(lg.randn(3, 4))
