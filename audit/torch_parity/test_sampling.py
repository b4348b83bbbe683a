"""Parity audit of legonn's grid sampling, interpolation and initialisation against PyTorch (CPU, float64).

- stnbhwd's spatial transformer (qassemoquab/stnbhwd is the contract): AffineGridGeneratorBHWD against
  ``F.affine_grid(align_corners=True)``, BilinearSamplerBHWD against ``F.grid_sample(bilinear, zeros,
  align_corners=True)`` (stnbhwd's grid is (y, x) in BHWD layout, PyTorch's (x, y) over NCHW: both -1..1 from
  the first to the last pixel centre, each corner outside the image read as 0), AffineTransformMatrixGenerator
  against autograd through R(a) S(s) T(tx, ty) built from PyTorch's pieces; spynet's ScaleBHWD against
  ``F.interpolate(bilinear, align_corners=True)``.
- torch/image (generic/image.c, init.lua): ``scale`` 'simple' against ``F.interpolate(nearest)``, 'bilinear'
  enlarging against ``grid_sample`` at image.c's single-precision positions and shrinking by whole factors
  against ``F.interpolate(area)``; ``warp``, ``affinetransform`` and ``rotate`` against ``grid_sample`` at the
  Lua's coordinates; ``translate``; ``convolve`` against ``conv2d`` ('valid', 'full', 'same'); ``lcn`` through
  conv2d; ``gaussian``, ``gaussian1D`` and ``laplacian`` against their init.lua / image.c formulas evaluated
  with torch.
- nnx's resamplers: SpatialUpSampling, SpatialDownSampling, SpatialMaxSampling, SpatialReSampling and
  SpatialReSamplingEx against PyTorch's nearest / average / adaptive max / aligned-corner bilinear maps, on
  sizes where nnx's single-precision ratios and weights are exact.
- Kaixhin/nninit: calcGain against ``calculate_gain``, calcFan against PyTorch's fan of the same weight, eye,
  orthogonal, constant, and the bound / standard deviation xavier and kaiming draw with.

Torch7 is the contract: where PyTorch's maths differ (bicubic's kernel, nearest's rounding of halves,
rotateBilinear's border, SpatialMaxSampling's cells, nninit's fans of temporal and full convolutions, its
convolution eye, its orthogonal for wide matrices, kaiming's default gain) the case asserts the exact
difference, citing both sources. image.c's single-precision steps (positions, warp's weights) are kept exact by
the choice of sizes and fields, so the comparisons stay at 1e-10.
Not compared (no PyTorch counterpart with the same rule): image.scale 'bilinear' shrinking by a fractional
factor (image.c weighs the pixels cut by each interval's ends; PyTorch's area bins are whole pixels), warp
'bicubic' and 'lanczos' (PyTorch's bicubic kernel differs, as for scale), polar/logpolar, nninit's random fills
(uniform, normal, sparse) and convolutionAware (not in legonn).
"""
import math
from unittest import mock

import numpy as np
import pytest

torch = pytest.importorskip('torch')
F = torch.nn.functional

import legonn as lg
from legonn import image, nn, nninit

RTOL, ATOL = 1e-10, 1e-12


def _t(a, grad=False):
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64, requires_grad=grad)


def _close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


def _strided(a):
    """The values of ``a`` in a non-contiguous view."""
    wide = np.zeros(a.shape + (2,))
    wide[..., 1] = a
    return wide[..., 1]


# --- stnbhwd: AffineGridGeneratorBHWD ---------------------------------------------------------------------

def _torch_affine_grid(theta, height, width):
    """stnbhwd's grid by F.affine_grid: swapping the rows and the first two columns of theta turns its
    (y, x, 1) -> (y', x') into PyTorch's (x, y, 1) -> (x', y'); the result is flipped back to (y, x)."""
    theta_xy = theta[:, [1, 0]][:, :, [1, 0, 2]]
    grid = F.affine_grid(theta_xy, (theta.shape[0], 1, height, width), align_corners=True)
    return grid.flip(-1)


@pytest.mark.parametrize('batch, height, width, strided', [
    (3, 2, 2, False), (2, 3, 5, True), (1, 7, 4, False), (None, 5, 6, False), (None, 2, 9, True)])
def test_affine_grid_generator(batch, height, width, strided):
    """AffineGridGeneratorBHWD.lua: baseGrid (y_i, x_j, 1), y_i = -1 + 2 (i-1)/(height-1), bmm with theta^T;
    gradInput = gradGrid^T baseGrid. F.affine_grid(align_corners=True) spans the same -1..1 grid."""
    rng = np.random.default_rng(height * 10 + width)
    shape = (2, 3) if batch is None else (batch, 2, 3)
    theta = rng.standard_normal(shape)
    tt = _t(theta.reshape(-1, 2, 3), grad=True)
    ref = _torch_affine_grid(tt, height, width)
    go = rng.standard_normal(tuple(ref.shape))
    ref.backward(_t(go))
    m = nn.AffineGridGeneratorBHWD(height, width)
    inp = lg.from_numpy(_strided(theta) if strided else theta)
    out_shape = (() if batch is None else (batch,)) + (height, width, 2)
    _close(m.forward(inp).array, ref.detach().numpy().reshape(out_shape))
    gi = m.backward(inp, lg.from_numpy(go.reshape(out_shape)))
    _close(gi.array, tt.grad.numpy().reshape(shape))


# --- stnbhwd: BilinearSamplerBHWD -----------------------------------------------------------------------

def _torch_sample(img, grid):
    """stnbhwd's sampling by grid_sample: images BHWD -> NCHW, grids (y, x) -> (x, y), the result back."""
    out = F.grid_sample(img.permute(0, 3, 1, 2), grid.flip(-1), mode='bilinear', padding_mode='zeros',
                        align_corners=True)
    return out.permute(0, 2, 3, 1)


def _check_sampler(img, grid, rng, batched=True):
    it, gt = _t(img, grad=True), _t(grid, grad=True)
    ref = _torch_sample(it if batched else it[None], gt if batched else gt[None])
    ref = ref if batched else ref[0]
    go = rng.standard_normal(tuple(ref.shape))
    ref.backward(_t(go))
    m = nn.BilinearSamplerBHWD()
    inp = [lg.from_numpy(img), lg.from_numpy(grid)]
    _close(m.forward(inp).array, ref.detach().numpy())
    gimg, ggrid = m.backward(inp, lg.from_numpy(go))
    _close(gimg.array, it.grad.numpy())
    _close(ggrid.array, gt.grad.numpy())


@pytest.mark.parametrize('B, H, W, D, h, w, spread', [
    (2, 5, 7, 3, 4, 6, 1.0),      # inside the image
    (3, 6, 4, 2, 5, 5, 1.4),      # points up to 0.4 beyond each border: some corners outside
    (1, 1, 5, 2, 3, 4, 1.2),      # a 1-pixel-high image: y reads row 0 whatever the point, its gradient 0
    (2, 4, 4, 1, 3, 3, 4.0),      # far outside: zeros, zero gradients
])
def test_bilinear_sampler(B, H, W, D, h, w, spread):
    """BilinearSamplerBHWD.c: (y + 1)(H - 1)/2, floor, the four corners each read only when inside (else 0);
    gradGrids from the four dot products with gradOutput, times (H - 1)/2 and (W - 1)/2."""
    rng = np.random.default_rng(B * 100 + H * 10 + W)
    img = rng.standard_normal((B, H, W, D))
    grid = rng.uniform(-spread, spread, (B, h, w, 2))
    _check_sampler(img, grid, rng)


def test_bilinear_sampler_exact_pixels_and_borders():
    """Points on pixel centres and on the borders (±1, and one pixel past them: floor's branch at an integer
    coordinate, the top-left corner inside and the other three outside, or all outside)."""
    rng = np.random.default_rng(5)
    H, W = 4, 5
    img = rng.standard_normal((2, H, W, 3))
    ys = np.array([-1, -1 - 2 / (H - 1), -1 / 3, 0, 1 / 3, 1, 1 + 2 / (H - 1)])
    xs = np.array([-1, -1.5, -0.5, 0, 0.5, 1, 1.5])
    grid = np.stack(np.broadcast_arrays(ys[:, None], xs[None, :]), -1)
    _check_sampler(img, np.stack([grid, grid[::-1]]), rng)


def test_bilinear_sampler_single_sample_and_strided():
    """One sample (H, W, D) with (h, w, 2): the Lua's addOuterDim; a strided grid."""
    rng = np.random.default_rng(6)
    img = rng.standard_normal((5, 6, 2))
    grid = _strided(rng.uniform(-1.2, 1.2, (3, 4, 2)))
    _check_sampler(img, grid, rng, batched=False)


def test_bilinear_sampler_c_function_broadcast_batch():
    """The C function on images with stride 0 along B (densecap's BatchBilinearSamplerBHWD): the image
    gradient sums over the batch, as autograd through an expanded input."""
    rng = np.random.default_rng(7)
    one = rng.standard_normal((1, 5, 6, 3))
    grids = rng.uniform(-1.1, 1.1, (4, 3, 3, 2))
    ot, gt = _t(one, grad=True), _t(grids, grad=True)
    ref = _torch_sample(ot.expand(4, -1, -1, -1), gt)
    go = rng.standard_normal(tuple(ref.shape))
    ref.backward(_t(go))
    images = lg.from_numpy(one).expand(4, 5, 6, 3)
    out = lg.DoubleTensor(4, 3, 3, 3)
    images.nn.BilinearSamplerBHWD_updateOutput(None, images, lg.from_numpy(grids), out)
    _close(out.array, ref.detach().numpy())
    gimg, ggrid = lg.DoubleTensor(1, 5, 6, 3).zero(), lg.DoubleTensor(4, 3, 3, 2)
    images.nn.BilinearSamplerBHWD_updateGradInput(None, images, lg.from_numpy(grids), gimg.expand(4, 5, 6, 3),
                                                  ggrid, lg.from_numpy(go))
    _close(gimg.array, ot.grad.numpy())
    _close(ggrid.array, gt.grad.numpy())


# --- stnbhwd: AffineTransformMatrixGenerator ------------------------------------------------------------

def _torch_transform(p, rot, sca, tra):
    """AffineTransformMatrixGenerator.lua's product R(a) S(s) T(tx, ty) (the unused factors left out) built
    with torch ops, rows 1..2; with no flag the 6 parameters are the matrix."""
    if not (rot or sca or tra):
        return p.reshape(-1, 2, 3)
    B = p.shape[0]
    total = torch.eye(3, dtype=torch.float64).expand(B, 3, 3)
    col, zero, one = 0, torch.zeros(B, dtype=torch.float64), torch.ones(B, dtype=torch.float64)
    if rot:
        a = p[:, col]
        c, s = torch.cos(a), torch.sin(a)
        total = total @ torch.stack([torch.stack([c, -s, zero], 1), torch.stack([s, c, zero], 1),
                                     torch.stack([zero, zero, one], 1)], 1)
        col += 1
    if sca:
        s = p[:, col]
        total = total @ torch.stack([torch.stack([s, zero, zero], 1), torch.stack([zero, s, zero], 1),
                                     torch.stack([zero, zero, one], 1)], 1)
        col += 1
    if tra:
        tx, ty = p[:, col], p[:, col + 1]
        total = total @ torch.stack([torch.stack([one, zero, tx], 1), torch.stack([zero, one, ty], 1),
                                     torch.stack([zero, zero, one], 1)], 1)
    return total[:, :2]


@pytest.mark.parametrize('rot, sca, tra', [(r, s, t) for r in (False, True) for s in (False, True)
                                           for t in (False, True)])
@pytest.mark.parametrize('batch', [4, None])
def test_affine_transform_matrix_generator(rot, sca, tra, batch):
    """Forward against the product; gradInput (the Lua's hand-written chain: translation, then scale, then
    rotation) against autograd through it."""
    n = 6 if not (rot or sca or tra) else rot + sca + 2 * tra
    rng = np.random.default_rng(n * 8 + rot * 4 + sca * 2 + tra)
    shape = (n,) if batch is None else (batch, n)
    p = rng.uniform(-2, 2, shape)
    pt = _t(p.reshape(-1, n), grad=True)
    ref = _torch_transform(pt, rot, sca, tra)
    go = rng.standard_normal(tuple(ref.shape))
    ref.backward(_t(go))
    m = nn.AffineTransformMatrixGenerator(rot, sca, tra)
    out_shape = (() if batch is None else (batch,)) + (2, 3)
    _close(m.forward(lg.from_numpy(p)).array, ref.detach().numpy().reshape(out_shape))
    gi = m.backward(lg.from_numpy(p), lg.from_numpy(go.reshape(out_shape)))
    _close(gi.array, pt.grad.numpy().reshape(shape))


# --- spynet: ScaleBHWD ----------------------------------------------------------------------------------

@pytest.mark.parametrize('shape, scale', [((2, 3, 4, 2), 2), ((1, 5, 2, 3), 3), ((4, 3, 1), 2),
                                          ((2, 1, 3, 2), 2), ((2, 3, 3, 2), 1)])
def test_scale_bhwd(shape, scale):
    """ScaleBHWD.cu's getTopLeft: output (y, x) reads (H - 1) y / (scale H - 1) bilinearly: PyTorch's
    align_corners=True bilinear up-sampling on the BCHW layout."""
    rng = np.random.default_rng(sum(shape) + scale)
    x = rng.standard_normal(shape)
    xt = _t(x, grad=True)
    batched = xt if len(shape) == 4 else xt[None]
    H, W = shape[-3:-1]
    ref = F.interpolate(batched.permute(0, 3, 1, 2), size=(H * scale, W * scale), mode='bilinear',
                        align_corners=True).permute(0, 2, 3, 1)
    ref = ref if len(shape) == 4 else ref[0]
    go = rng.standard_normal(tuple(ref.shape))
    ref.backward(_t(go))
    m = nn.ScaleBHWD(scale)
    _close(m.forward(lg.from_numpy(x)).array, ref.detach().numpy())
    _close(m.backward(lg.from_numpy(x), lg.from_numpy(go)).array, xt.grad.numpy())


# --- torch/image: scale, warp, rotate, translate -----------------------------------------------------------

def _grid_at(ys, xs, H, W):
    """grid_sample's align_corners=True grid (x, y) for the pixel positions (rows ys, columns xs)."""
    gy = 2 * np.asarray(ys, np.float64) / max(H - 1, 1) - 1
    gx = 2 * np.asarray(xs, np.float64) / max(W - 1, 1) - 1
    gy, gx = np.broadcast_arrays(gy, gx)
    return _t(np.stack([gx, gy], -1)[None])


def _sample_at(planes, ys, xs, mode='bilinear', padding='border'):
    """``planes`` (C, H, W) read by grid_sample at the pixel positions: (C, h, w)."""
    C, H, W = planes.shape
    return F.grid_sample(_t(planes)[None], _grid_at(ys, xs, H, W), mode=mode, padding_mode=padding,
                         align_corners=True)[0].numpy()


@pytest.mark.parametrize('size, out', [((3, 5, 7), (9, 11)), ((2, 4, 6), (13, 7)), ((6, 5), (3, 10)),
                                       ((1, 9, 8), (4, 3)), ((3, 7, 5), (7, 5))])
def test_scale_simple(size, out):
    """image.c scaleSimple: pixel (floor(i * (float)srcW / dstW)), clamped: PyTorch's nearest mode, whose
    index is floor(dst_index * (float)(input_size / output_size)) too."""
    x = np.random.default_rng(sum(size)).standard_normal(size)
    h, w = out
    got = image.scale(lg.from_numpy(x), w, h, 'simple').array
    planes = x if x.ndim == 3 else x[None]
    ref = F.interpolate(_t(planes)[None], size=(h, w), mode='nearest')[0].numpy()
    np.testing.assert_array_equal(got, ref if x.ndim == 3 else ref[0])


def _c_positions(n_in, n_out):
    """image.c scaleLinear_rowcol's enlarging positions: di * ((float)(n_in - 1) / (n_out - 1)) in float."""
    scale = np.float32(n_in - 1) / np.float32(n_out - 1)
    return (np.arange(n_out, dtype=np.float32) * scale).astype(np.float64)


@pytest.mark.parametrize('size, out', [((3, 5, 7), (9, 11)), ((2, 4, 6), (13, 7)), ((7, 2), (20, 5)),
                                       ((1, 3, 3), (3, 3 * 5))])
def test_scale_bilinear_enlarging(size, out):
    """image.c scaleBilinear enlarging: (1 - f) p[i] + f p[i + 1] at each row's, then each column's float
    position, the last pixel copied: bilinear interpolation with aligned corners, so grid_sample at those
    positions (PyTorch's interpolate computes them in double: about 1e-7 apart)."""
    x = np.random.default_rng(sum(size) + 1).standard_normal(size)
    h, w = out
    got = image.scale(lg.from_numpy(x), w, h, 'bilinear').array
    planes = x if x.ndim == 3 else x[None]
    H, W = planes.shape[1:]
    ys = _c_positions(H, h) if h != H else np.arange(H, dtype=np.float64)
    xs = _c_positions(W, w) if w != W else np.arange(W, dtype=np.float64)
    ref = _sample_at(planes, ys[:, None], xs[None, :])
    _close(got, ref if x.ndim == 3 else ref[0])
    # and PyTorch's own rule: the same to the float rounding of the positions
    interp = F.interpolate(_t(planes)[None], size=(h, w), mode='bilinear', align_corners=True)[0].numpy()
    _close(got, interp if x.ndim == 3 else interp[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('size, factor', [((3, 12, 8), (3, 2)), ((2, 9, 9), (3, 3)), ((10, 4), (5, 4))])
def test_scale_bilinear_shrinking_whole_factors(size, factor):
    """image.c scaleBilinear shrinking: the mean over [di * scale, (di + 1) * scale); for a whole factor every
    interval is whole pixels: PyTorch's area mode (adaptive average pooling)."""
    x = np.random.default_rng(sum(size) + 2).standard_normal(size)
    H, W = size[-2:]
    h, w = H // factor[0], W // factor[1]
    got = image.scale(lg.from_numpy(x), w, h, 'bilinear').array
    planes = x if x.ndim == 3 else x[None]
    ref = F.interpolate(_t(planes)[None], size=(h, w), mode='area')[0].numpy()
    _close(got, ref if x.ndim == 3 else ref[0])


def test_scale_bilinear_rows_enlarged_columns_shrunk():
    """image.c scaleBilinear resamples each row first (5 -> 17 columns, positions di / 4, exact in float), then
    each column (12 -> 4 rows, blocks of 3): aligned-corner bilinear along x, then area along y."""
    x = np.random.default_rng(16).standard_normal((2, 12, 5))
    rows = F.interpolate(_t(x)[None], size=(12, 17), mode='bilinear', align_corners=True)
    _close(image.scale(lg.from_numpy(x), 17, 4, 'bilinear').array,
           F.interpolate(rows, size=(4, 17), mode='area')[0].numpy())


def test_scale_bicubic_is_catmull_rom_not_pytorch_bicubic():
    """Expected difference. image.c's cubicInterpolate is Catmull-Rom (Keys' kernel with a = -0.5), which
    reproduces a quadratic exactly away from the ends; PyTorch's bicubic (aten UpSample.h,
    cubic_convolution1/2) uses a = -0.75, which does not. On a quadratic row enlarged 2 -> 3.5 times, legonn
    gives the quadratic at the C's positions; PyTorch is off by a clear margin."""
    W, w = 9, 25
    q = lambda t: 0.3 * t * t - 2 * t + 1      # noqa: E731
    x = np.tile(q(np.arange(W, dtype=np.float64)), (3, 1))
    got = image.scale(lg.from_numpy(x), w, 3, 'bicubic').array
    pos = _c_positions(W, w)
    interior = (pos >= 1) & (pos < W - 2)      # all four neighbours of floor(pos) inside
    _close(got[1, interior], q(pos[interior]))
    torch_bicubic = F.interpolate(_t(x)[None, None], size=(3, w), mode='bicubic', align_corners=True)[0, 0]
    assert np.abs(torch_bicubic.numpy()[1, interior] - q(pos[interior])).max() > 1e-3


def _warp_positions(field, offset):
    """image.c warp's positions: the field (plus the pixel's own row and column with offset_mode), in float."""
    fy, fx = field[0].astype(np.float32), field[1].astype(np.float32)
    if offset:
        fy = fy + np.arange(fy.shape[0], dtype=np.float32)[:, None]
        fx = fx + np.arange(fx.shape[1], dtype=np.float32)[None, :]
    return fy.astype(np.float64), fx.astype(np.float64)


@pytest.mark.parametrize('offset', [True, False])
@pytest.mark.parametrize('size', [(3, 6, 7), (5, 4)])
def test_warp_bilinear_clamp_and_pad(size, offset):
    """image.c warp, bilinear: a position clamped to [0, n - 1] read bilinearly ('clamp'), i.e. grid_sample's
    border padding at the unclamped position; 'pad' sets pad_value where the position is off the image. The
    C's weights are float products (``temp_t nw = (ix_se - ix) * (iy_se - iy)`` of floats): the field is
    taken on a 1/64 grid, where those products are exact, so the comparison can be tight."""
    rng = np.random.default_rng(sum(size) + offset)
    x = rng.standard_normal(size)
    H, W = size[-2:]
    oh, ow = H + 1, W - 1
    if offset:
        field = rng.uniform(-2, 2, (2, oh, ow))
    else:
        field = np.stack([rng.uniform(-1.5, H + 0.5, (oh, ow)), rng.uniform(-1.5, W + 0.5, (oh, ow))])
    field = np.round(field * 64) / 64
    ys, xs = _warp_positions(field, offset)
    planes = x if x.ndim == 3 else x[None]
    ref = _sample_at(planes, ys, xs)
    ref = ref if x.ndim == 3 else ref[0]
    _close(image.warp(lg.from_numpy(x), lg.from_numpy(field), 'bilinear', offset, 'clamp').array, ref)
    off = (ys < 0) | (ys > H - 1) | (xs < 0) | (xs > W - 1)
    assert off.any() and not off.all()
    _close(image.warp(lg.from_numpy(x), lg.from_numpy(field), 'bilinear', offset, 'pad', 0.25).array,
           np.where(off, 0.25, ref))


def test_warp_simple_rounds_halves_up():
    """image.c warp, 'simple': the pixel at (long)(p + 0.5), p clamped to >= 0: halves go up. PyTorch's
    nearest grid_sample (aten GridSampler.h, nearbyint) rounds halves to even. Away from halves they agree;
    at p = 0.5 and 2.5 Torch7 reads pixels 1 and 3 where PyTorch reads 0 and 2."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 5, 6))
    field = np.stack([rng.uniform(0, 4, (4, 5)), rng.uniform(0, 5, (4, 5))])
    ys, xs = _warp_positions(field, False)
    _close(image.warp(lg.from_numpy(x), lg.from_numpy(field), 'simple', False).array,
           _sample_at(x, ys, xs, mode='nearest'))
    halves = np.stack([np.full((1, 2), 1.0), np.array([[0.5, 2.5]])])
    got = image.warp(lg.from_numpy(x), lg.from_numpy(halves), 'simple', False).array
    np.testing.assert_array_equal(got, x[:, 1:2, [1, 3]])
    ys, xs = _warp_positions(halves, False)
    np.testing.assert_array_equal(_sample_at(x, ys, xs, mode='nearest'), x[:, 1:2, [0, 2]])


@pytest.mark.parametrize('mode, clamp', [('bilinear', 'clamp'), ('bilinear', 'pad'), ('simple', 'clamp')])
def test_affinetransform(mode, clamp):
    """init.lua affinetransform: field = g - matrix g - translation with g = -(pixel - centre), warped with
    offset_mode on, so destination pixel q reads the source at centre + matrix (q - centre) - translation:
    grid_sample there (border padding for 'clamp'; pad_value off the image for 'pad'). A matrix and a
    translation of few binary digits keep image.c's float positions and weights exact ('simple' rounds the
    positions on halves up, as image.c's floor(p + 0.5))."""
    x = np.random.default_rng(15).standard_normal((2, 7, 9))
    H, W = 7, 9
    matrix, shift = np.array([[0.75, 0.25], [-0.5, 1.25]]), np.array([0.5, -1.25])
    qy, qx = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64), indexing='ij')
    dy, dx = qy - (H - 1) / 2, qx - (W - 1) / 2
    ys = (H - 1) / 2 + matrix[0, 0] * dy + matrix[0, 1] * dx - shift[0]
    xs = (W - 1) / 2 + matrix[1, 0] * dy + matrix[1, 1] * dx - shift[1]
    if mode == 'simple':
        # positions on halves here: image.c's floor(p + 0.5) (see test_warp_simple_rounds_halves_up), then read
        ref = _sample_at(x, np.floor(ys + 0.5), np.floor(xs + 0.5), mode='nearest')
    else:
        ref = _sample_at(x, ys, xs)
    if clamp == 'pad':
        off = (ys < 0) | (ys > H - 1) | (xs < 0) | (xs > W - 1)
        assert off.any() and not off.all()
        ref = np.where(off, -0.5, ref)
    got = image.affinetransform(lg.from_numpy(x), lg.from_numpy(matrix), mode, lg.from_numpy(shift), clamp,
                                *((-0.5,) if clamp == 'pad' else ()))
    _close(got.array, ref)


@pytest.mark.parametrize('theta', [0.3, -1.1, 2.5])
def test_rotate_simple(theta):
    """image.c rotate: destination (i, j) reads (round(cos t (i - xc) - sin t (j - yc) + xc), round(cos t (j -
    yc) + sin t (i - xc) + yc)) in float, 0 outside: grid_sample nearest (zeros) at those positions (no position
    falls on a half here)."""
    x = np.random.default_rng(12).standard_normal((2, 7, 8))
    H, W = 7, 8
    f32 = np.float32
    xc, yc = f32((W - 1) / 2.0), f32((H - 1) / 2.0)
    jd, id_ = np.meshgrid(np.arange(H, dtype=f32), np.arange(W, dtype=f32), indexing='ij')
    t = float(f32(theta))
    c, s = f32(math.cos(t)), f32(math.sin(t))
    pi = (c * (id_ - xc) - s * (jd - yc) + xc).astype(np.float64)
    pj = (c * (jd - yc) + s * (id_ - xc) + yc).astype(np.float64)
    assert np.abs(np.abs(pi - np.floor(pi)) - 0.5).min() > 1e-4
    ref = _sample_at(x, pj, pi, mode='nearest', padding='zeros')
    np.testing.assert_array_equal(image.rotate(lg.from_numpy(x), theta, 'simple').array, ref)


def test_rotate_bilinear_interior_and_border_rule():
    """image.c rotateBilinear: positions (in double for a Double image) read bilinearly. Where the four
    neighbours are inside, grid_sample (zeros) at the same positions. Expected difference at the border: a
    point within half a pixel past the last row or column takes that pixel whole (rotateBilinear's
    ``if (ii1 == width && wi < 0.5) ii1 = ii0``), where PyTorch's zeros padding weighs it by 1 - w."""
    x = np.random.default_rng(13).standard_normal((1, 9, 10))
    H, W = 9, 10
    theta = 0.4
    f32 = np.float32
    xc, yc = float(f32((W - 1) / 2.0)), float(f32((H - 1) / 2.0))
    t = float(f32(theta))
    jd, id_ = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64), indexing='ij')
    ri = math.cos(t) * (id_ - xc) - math.sin(t) * (jd - yc) + xc
    rj = math.cos(t) * (jd - yc) + math.sin(t) * (id_ - xc) + yc
    got = image.rotate(lg.from_numpy(x), theta, 'bilinear').array
    ref = _sample_at(x, rj, ri, padding='zeros')
    inside = (ri >= 0) & (ri < W - 1) & (rj >= 0) & (rj < H - 1)
    assert inside.sum() > 40
    _close(got[:, inside], ref[:, inside])
    # past the last column by less than half a pixel, rows inside: Torch7 reads column W - 1 whole
    edge = (ri > W - 1) & (ri < W - 0.5) & (rj >= 0) & (rj < H - 1)
    assert edge.any()
    full = _sample_at(x, rj, np.minimum(ri, W - 1), padding='zeros')
    _close(got[:, edge], full[:, edge])
    wi = (ri - np.floor(ri))[edge]
    _close(full[:, edge] - ref[:, edge], wi * full[:, edge])


@pytest.mark.parametrize('dx, dy', [(2, -1), (-3, 0), (0, 4), (9, 1)])
def test_translate(dx, dy):
    """image.c translate: dst(y + dy, x + dx) = src(y, x), the rest 0: nearest grid_sample at (y - dy, x - dx)
    with zeros padding."""
    x = np.random.default_rng(14).standard_normal((2, 5, 6))
    ys, xs = np.meshgrid(np.arange(5.0) - dy, np.arange(6.0) - dx, indexing='ij')
    np.testing.assert_array_equal(image.translate(lg.from_numpy(x), dx, dy).array,
                                  _sample_at(x, ys, xs, mode='nearest', padding='zeros'))


# --- torch/image: convolve and the kernels ------------------------------------------------------------------

def _torch_full_conv(src3, ker4, groups):
    """torch.conv2's full convolution (the kernel flipped) by conv2d with kH - 1, kW - 1 padding."""
    kh, kw = ker4.shape[-2:]
    return F.conv2d(_t(src3)[None], _t(ker4).flip(-1, -2), padding=(kh - 1, kw - 1), groups=groups)[0].numpy()


@pytest.mark.parametrize('mode', ['valid', 'full', 'same', None])
@pytest.mark.parametrize('src_shape, ker_shape', [((7, 9), (3, 4)), ((3, 8, 6), (5, 3)), ((2, 6, 7), (2, 2, 3)),
                                                  ((3, 6, 6), (4, 3, 3, 2)), ((5, 5), (1, 1))])
def test_convolve(src_shape, ker_shape, mode):
    """init.lua image.convolve: torch.conv2 of each plane with its kernel ('V' or 'F'; 'same' the full result
    from row ceil(kH/2) - 1, column ceil(kW/2) - 1): conv2d with the kernel flipped, groups = planes for 2-D
    and 3-D kernels. (A D x C x kH x kW kernel's 'same' offsets are legonn's documented kH/kW ones,
    docs/porting.md.)"""
    rng = np.random.default_rng(len(src_shape) * 10 + len(ker_shape))
    src, ker = rng.standard_normal(src_shape), rng.standard_normal(ker_shape)
    src3 = src if src.ndim == 3 else src[None]
    C = src3.shape[0]
    if ker.ndim == 4:
        ker4, groups = ker, 1
    else:
        ker4 = np.broadcast_to(ker if ker.ndim == 3 else ker[None], (C,) + ker.shape[-2:])[:, None]
        groups = C
    full = _torch_full_conv(src3, ker4, groups)
    kh, kw = ker.shape[-2:]
    H, W = src3.shape[1:]
    expected = {'full': full, 'valid': full[:, kh - 1:H, kw - 1:W], None: full[:, kh - 1:H, kw - 1:W],
                'same': full[:, math.ceil(kh / 2) - 1:][:, :H, math.ceil(kw / 2) - 1:][:, :, :W]}[mode]
    # the full mode reads a strided source
    args = (lg.from_numpy(_strided(src) if mode == 'full' else src), lg.from_numpy(ker)) + \
        (() if mode is None else (mode,))
    _close(image.convolve(*args).array, expected if src.ndim == 3 else expected[0])


@pytest.fixture
def double_default():
    old = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype(old)


@pytest.mark.parametrize('kw', [dict(), dict(size=5, sigma=0.3, amplitude=2.0), dict(width=4, height=7, normalize=True),
                                dict(size=6, sigma_horz=0.2, sigma_vert=0.4, mean_horz=0.3, mean_vert=0.7)])
def test_gaussian_kernels(kw, double_default):
    """image.c gaussian: amplitude exp(-((u + 1 - (mh W + 0.5)) / (sh W))^2 / 2 - ((v + 1 - (mv H + 0.5)) /
    (sv H))^2 / 2), over its sum when normalize; init.lua gaussian1D likewise in 1-D."""
    p = dict(size=3, sigma=0.25, amplitude=1.0, normalize=False, mean_horz=0.5, mean_vert=0.5)
    p.update(kw)
    W, H = p.get('width', p['size']), p.get('height', p['size'])
    sh, sv = p.get('sigma_horz', p['sigma']), p.get('sigma_vert', p['sigma'])
    u = torch.arange(1, W + 1, dtype=torch.float64)
    v = torch.arange(1, H + 1, dtype=torch.float64)[:, None]
    du = (u - (p['mean_horz'] * W + 0.5)) / (sh * W)
    dv = (v - (p['mean_vert'] * H + 0.5)) / (sv * H)
    ref = p['amplitude'] * torch.exp(-0.5 * (du * du + dv * dv))
    ref = ref / ref.sum() if p['normalize'] else ref
    got = image.gaussian(**kw)
    assert got.type() == 'legonn.DoubleTensor'
    _close(got.array, ref.numpy())
    if 'width' not in kw and 'sigma_horz' not in kw:
        g1 = p['amplitude'] * torch.exp(-((u - (0.5 * W + 0.5)) / (p['sigma'] * W)) ** 2 / 2)
        g1 = g1 / g1.sum() if p['normalize'] else g1
        _close(image.gaussian1D(size=W, sigma=p['sigma'], amplitude=p['amplitude'],
                                normalize=p['normalize']).array, g1.numpy())


@pytest.mark.parametrize('kw', [dict(), dict(size=5, sigma=0.3, amplitude=2.0, normalize=True),
                                dict(width=4, height=7, sigma_horz=0.2, sigma_vert=0.3, mean_horz=0.4)])
def test_laplacian_kernel(kw, double_default):
    """init.lua image.laplacian: row i (1-based) and column j give xsq = ((i - (mh W + 0.5)) / (sh W))^2 / 2,
    ysq = ((j - (mv H + 0.5)) / (sv H))^2 / 2 (the Lua's horizontal/vertical swap kept), value (1 - xsq - ysq)
    amplitude exp(-(xsq + ysq)), over its sum when normalize."""
    p = dict(size=3, sigma=0.1, amplitude=1.0, normalize=False, mean_horz=0.5, mean_vert=0.5)
    p.update(kw)
    W, H = p.get('width', p['size']), p.get('height', p['size'])
    sh, sv = p.get('sigma_horz', p['sigma']), p.get('sigma_vert', p['sigma'])
    i = torch.arange(1, H + 1, dtype=torch.float64)[:, None]
    j = torch.arange(1, W + 1, dtype=torch.float64)
    xsq = ((i - (p['mean_horz'] * W + 0.5)) / (sh * W)) ** 2 / 2
    ysq = ((j - (p['mean_vert'] * H + 0.5)) / (sv * H)) ** 2 / 2
    ref = (1 - (xsq + ysq)) * p['amplitude'] * torch.exp(-(xsq + ysq))
    ref = ref / ref.sum() if p['normalize'] else ref
    _close(image.laplacian(**kw).array, ref.numpy())


# --- nninit -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('gain, torch_args', [('linear', ('linear',)), ('sigmoid', ('sigmoid',)),
                                              ('tanh', ('tanh',)), ('relu', ('relu',)),
                                              (('lrelu', {'leakiness': 0.3}), ('leaky_relu', 0.3)),
                                              (('lrelu', {'leakiness': 0}), ('leaky_relu', 0)),
                                              (None, ('linear',)), (0.7, None)])
def test_calc_gain(gain, torch_args):
    """nninit.lua calcGain: 'linear'/'sigmoid' 1, 'tanh' 5/3, 'relu' sqrt(2), 'lrelu' sqrt(2 / (1 + l^2)), a
    number as it is, none 1: torch.nn.init.calculate_gain's values."""
    expected = gain if torch_args is None else torch.nn.init.calculate_gain(*torch_args)
    assert nninit.calcGain(gain) == pytest.approx(expected, rel=1e-15)


def _torch_fan(weight):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.from_numpy(weight.numpy()))


@pytest.mark.parametrize('make', [lambda: nn.Linear(7, 4), lambda: nn.LookupTable(9, 5),
                                  lambda: nn.SpatialConvolution(3, 6, 5, 2),
                                  lambda: nn.SpatialConvolution(2, 3, 1, 4),
                                  lambda: nn.VolumetricConvolution(2, 5, 3, 4, 2)],
                         ids=['Linear', 'LookupTable', 'SpatialConvolution', 'SpatialConvolution1x4',
                              'VolumetricConvolution'])
def test_calc_fan_matches_pytorch(make):
    """nninit.lua calcFan: weight:size(2), size(1) for Linear and LookupTable; nInputPlane kW kH (kT) and
    nOutputPlane kW kH (kT) for convolutions: PyTorch's fan of the same weight layout."""
    m = make().double()
    assert tuple(nninit.calcFan(m)) == _torch_fan(m.weight)


def test_calc_fan_temporal_and_full_convolutions_differ():
    """Expected differences. nninit.lua calcFan: TemporalConvolution gives weight:size(2), size(1), i.e.
    (inputFrameSize kW, outputFrameSize), where PyTorch's fan of a Conv1d weight (out, in, kW) is (in kW, out kW)
    (torch/nn/init.py _calculate_fan_in_and_fan_out: fan_out = size(0) * receptive field). The full
    convolutions' weights are (nInputPlane, nOutputPlane, ...); nninit reads the planes from the module, so
    its fan in is nInputPlane kW kH where PyTorch's fan of that weight swaps the two."""
    m = nn.TemporalConvolution(3, 5, 4).double()
    assert nninit.calcFan(m) == (12, 5)
    conv1d = torch.empty(5, 3, 4)
    assert torch.nn.init._calculate_fan_in_and_fan_out(conv1d) == (12, 20)
    full = nn.SpatialFullConvolution(2, 3, 5, 4).double()
    assert tuple(nninit.calcFan(full)) == (2 * 20, 3 * 20)
    assert _torch_fan(full.weight) == (3 * 20, 2 * 20)
    vfull = nn.VolumetricFullConvolution(2, 3, 3, 5, 4).double()
    assert tuple(nninit.calcFan(vfull)) == (2 * 60, 3 * 60)
    assert _torch_fan(vfull.weight) == (3 * 60, 2 * 60)


class _Recorder:
    """Records the arguments of the draws a tensor method is called with."""

    def __init__(self):
        self.calls = []

    def patch(self, cls, name):
        original = getattr(cls, name)
        calls = self.calls

        def record(tensor, *args, **kwargs):
            calls.append((name, args))
            return original(tensor, *args, **kwargs)
        return mock.patch.object(cls, name, record)


def _legonn_draw(module, scheme, options):
    rec = _Recorder()
    cls = type(module.weight)
    with rec.patch(cls, 'uniform'), rec.patch(cls, 'normal'):
        module.init('weight', scheme, options)
    assert len(rec.calls) == 1
    return rec.calls[0]


def _torch_draw(fn, weight_shape, **kwargs):
    rec = _Recorder()
    with rec.patch(torch.Tensor, 'uniform_'), rec.patch(torch.Tensor, 'normal_'):
        fn(torch.empty(weight_shape, dtype=torch.float64), **kwargs)
    assert len(rec.calls) == 1
    return rec.calls[0]


def _same_draw(ours, theirs):
    name, args = ours
    tname, targs = theirs
    assert name + '_' == tname
    args = [float(a) for a in args]
    targs = [float(a) for a in targs]
    if name == 'normal':
        args, targs = args[:2], targs[:2]
    np.testing.assert_allclose(args, targs, rtol=1e-14, atol=0)


MODULES = [(lambda: nn.Linear(7, 4), (4, 7)), (lambda: nn.SpatialConvolution(3, 6, 5, 2), (6, 3, 2, 5)),
           (lambda: nn.VolumetricConvolution(2, 5, 3, 4, 2), (5, 2, 3, 2, 4))]


@pytest.mark.parametrize('make, shape', MODULES, ids=['Linear', 'SpatialConvolution', 'VolumetricConvolution'])
@pytest.mark.parametrize('dist, gain, tgain', [('uniform', None, 1.0), ('normal', 'relu', math.sqrt(2)),
                                               ('uniform', ('lrelu', {'leakiness': 0.2}), math.sqrt(2 / 1.04)),
                                               (None, 'tanh', 5 / 3)])
def test_xavier_draws(make, shape, dist, gain, tgain):
    """nninit.lua xavier: stdv = gain sqrt(2 / (fanIn + fanOut)), U(-stdv sqrt(3), stdv sqrt(3)) (the default)
    or N(0, stdv): xavier_uniform_ / xavier_normal_'s bound and std for the same fans and gain."""
    ours = _legonn_draw(make().double(), nninit.xavier, {'dist': dist, 'gain': gain})
    fn = torch.nn.init.xavier_normal_ if dist == 'normal' else torch.nn.init.xavier_uniform_
    _same_draw(ours, _torch_draw(fn, shape, gain=tgain))


@pytest.mark.parametrize('make, shape', MODULES, ids=['Linear', 'SpatialConvolution', 'VolumetricConvolution'])
@pytest.mark.parametrize('dist, gain, nonlinearity, a', [('uniform', 'relu', 'relu', 0), (None, 'relu', 'relu', 0),
                                                         ('normal', ('lrelu', {'leakiness': 0.3}), 'leaky_relu', 0.3),
                                                         ('uniform', 'linear', 'linear', 0)])
def test_kaiming_draws(make, shape, dist, gain, nonlinearity, a):
    """nninit.lua kaiming: stdv = gain sqrt(1 / fanIn), N(0, stdv) (the default) or U(-stdv sqrt(3), ...):
    kaiming_normal_ / kaiming_uniform_ with mode 'fan_in' and the same gain."""
    ours = _legonn_draw(make().double(), nninit.kaiming, {'dist': dist, 'gain': gain})
    fn = torch.nn.init.kaiming_uniform_ if dist == 'uniform' else torch.nn.init.kaiming_normal_
    _same_draw(ours, _torch_draw(fn, shape, a=a, mode='fan_in', nonlinearity=nonlinearity))


def test_kaiming_default_gain_differs():
    """Expected difference. nninit.lua kaiming without a gain: calcGain(nil) = 1, stdv sqrt(1 / fanIn);
    PyTorch's kaiming_normal_ defaults to nonlinearity='leaky_relu', a=0, a gain of sqrt(2)."""
    ours = _legonn_draw(nn.Linear(7, 4).double(), nninit.kaiming, None)
    theirs = _torch_draw(torch.nn.init.kaiming_normal_, (4, 7))
    assert ours[0] == 'normal' and theirs[0] == 'normal_'
    assert float(ours[1][1]) == pytest.approx(math.sqrt(1 / 7), rel=1e-15)
    assert float(theirs[1][1]) == pytest.approx(math.sqrt(2) * float(ours[1][1]), rel=1e-15)


def test_eye_linear_and_constant():
    """nninit.lua eye of a Linear: torch.eye(rows, cols), torch.nn.init.eye_; constant: fill, constant_."""
    for rows, cols in ((4, 6), (5, 3), (3, 3)):
        m = nn.Linear(cols, rows).double().init('weight', nninit.eye)
        np.testing.assert_array_equal(m.weight.array, torch.nn.init.eye_(torch.empty(rows, cols)).double().numpy())
    m = nn.Linear(3, 2).double().init('weight', nninit.constant, -0.375)
    np.testing.assert_array_equal(m.weight.array, torch.nn.init.constant_(torch.empty(2, 3), -0.375).double())


def test_eye_convolution_differs_from_dirac():
    """Expected difference. nninit.lua eye of a SpatialConvolution views the weight as (nIn, nOut, kW, kH) and
    puts 1/nInputPlane at the centre ceil(k/2) of every plane pair: each output plane is the inputs' mean.
    PyTorch's dirac_ (torch/nn/init.py) puts 1 at weight[d, d, k // 2, k // 2]: each output is its input.
    With one plane in and out and odd kernels they agree."""
    m = nn.SpatialConvolution(1, 1, 3, 5).double().init('weight', nninit.eye)
    np.testing.assert_array_equal(m.weight.array, torch.nn.init.dirac_(torch.empty(1, 1, 5, 3)).double().numpy())
    m = nn.SpatialConvolution(3, 3, 3, 3).double().init('weight', nninit.eye)
    dirac = torch.nn.init.dirac_(torch.empty(3, 3, 3, 3)).double().numpy()
    np.testing.assert_array_equal(m.weight.array, dirac.sum(0, keepdims=True).repeat(3, 0) / 3)


@pytest.mark.parametrize('rows, cols, gain', [(8, 3, 'relu'), (5, 5, None), (18, 2 * 3 * 3, 2.0)])
def test_orthogonal_tall_and_square(rows, cols, gain):
    """nninit.lua orthogonal: U of svd(fanOut x fanIn) when fanOut > fanIn, V when square, times the gain:
    orthonormal columns scaled by the gain, as torch.nn.init.orthogonal_'s result for these shapes."""
    m = nn.Linear(cols, rows).double().init('weight', nninit.orthogonal, {'gain': gain})
    g = nninit.calcGain(gain)
    w = m.weight.array
    theirs = torch.nn.init.orthogonal_(torch.empty(rows, cols, dtype=torch.float64), gain=g).numpy()
    _close(w.T @ w, theirs.T @ theirs, atol=1e-12)
    _close(w.T @ w, g * g * np.eye(cols), atol=1e-12)


def test_orthogonal_wide_differs():
    """Expected difference. For fanOut < fanIn nninit.lua takes V:narrow(1, 1, fanOut) of V (fanIn x fanOut,
    contiguous: THTensorLapack.c gesvd2 copies it out) and resizes it to fanOut x fanIn: V's elements row by
    row, whose rows are not orthonormal. torch.nn.init.orthogonal_ gives orthonormal rows. The values are V's
    (same draw, each singular vector's sign aside), checked with torch.linalg.svd."""
    rows, cols = 3, 7
    m = nn.Linear(cols, rows).double()
    lg.manualSeed(5)
    m.init('weight', nninit.orthogonal)
    lg.manualSeed(5)
    a = lg.DoubleTensor(rows, cols).normal(0, 1).array
    v = torch.linalg.svd(_t(a), full_matrices=False)[2].T.numpy()     # fanIn x fanOut
    _close(np.abs(m.weight.array.ravel()), np.abs(v.ravel()), atol=1e-12)
    w = m.weight.array
    assert np.abs(w @ w.T - np.eye(rows)).max() > 0.05
    theirs = torch.nn.init.orthogonal_(torch.empty(rows, cols, dtype=torch.float64)).numpy()
    _close(theirs @ theirs.T, np.eye(rows), atol=1e-12)


# --- nnx's resamplers: SpatialUpSampling, SpatialDownSampling, SpatialMaxSampling, SpatialReSampling -------

def _check_module(module, x, torch_fn, seed):
    """Output and gradInput of ``module`` on ``x`` against autograd through ``torch_fn``."""
    xt = _t(x, grad=True)
    ref = torch_fn(xt)
    go = np.random.default_rng(seed).standard_normal(tuple(ref.shape))
    ref.backward(_t(go))
    _close(module.forward(lg.from_numpy(x)).array, ref.detach().numpy())
    _close(module.backward(lg.from_numpy(x), lg.from_numpy(go)).array, xt.grad.numpy())


@pytest.mark.parametrize('shape, dW, dH', [((3, 4, 5), 2, 3), ((2, 2, 3, 3), 1, 2), ((1, 1, 1), 4, 4)])
def test_nnx_spatial_up_sampling(shape, dW, dH):
    """nnx SpatialUpSampling.c: output (y, x) = input (y / dH, x / dW) (integer division); the gradient sums
    each block: PyTorch's nearest up-sampling by whole factors."""
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    lead = len(shape) - 2

    def fn(t):
        t4 = t.reshape((-1, 1) + t.shape[-2:])
        return F.interpolate(t4, scale_factor=(dH, dW), mode='nearest').reshape(t.shape[:lead] + (
            t.shape[-2] * dH, t.shape[-1] * dW))
    m = nn.SpatialUpSampling(dW, dH, yDim=lead, xDim=lead + 1)
    _check_module(m, x, fn, 1)


@pytest.mark.parametrize('shape, rW, rH', [((3, 8, 6), 2, 2), ((2, 9, 8), 4, 1), ((1, 5, 9), 2, 4)])
def test_nnx_spatial_down_sampling(shape, rW, rH):
    """nnx SpatialDownSampling.c: the block sum times (float)(1 / (rW rH)), rows and columns past the last
    whole block dropped: avg_pool2d with stride = kernel (block areas that are powers of two here, where the
    float reciprocal is exact)."""
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    _check_module(nn.SpatialDownSampling(rW, rH), x, lambda t: F.avg_pool2d(t[None], (rH, rW))[0], 2)


@pytest.mark.parametrize('shape, ow, oh', [((3, 8, 6), 3, 4), ((2, 6, 6), 6, 2), ((1, 4, 9), 3, 1)])
def test_nnx_spatial_max_sampling(shape, ow, oh):
    """nnx SpatialMaxSampling.c: cell i covers rows int(i H / oh) .. int((i + 1) H / oh) (at least one), its
    maximum; for sides that divide evenly these are adaptive_max_pool2d's cells."""
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    _check_module(nn.SpatialMaxSampling(ow, oh), x, lambda t: F.adaptive_max_pool2d(t[None], (oh, ow))[0], 3)


def test_nnx_spatial_max_sampling_cells_differ_from_adaptive():
    """Expected difference. SpatialMaxSampling.c's cell ends at int((i + 1) H / oh) (at least start + 1);
    PyTorch's adaptive pooling (aten AdaptivePooling.h end_index) ends at ceil((i + 1) H / oh), so its cells
    overlap where H / oh is fractional. Rows 0..4 into 2 cells: nnx's [0, 2) and [2, 5), PyTorch's [0, 3) and
    [2, 5); a maximum in row 2 shows it."""
    x = np.zeros((1, 5, 1))
    x[0, 2, 0] = 1.0
    np.testing.assert_array_equal(nn.SpatialMaxSampling(1, 2).forward(lg.from_numpy(x)).array[0, :, 0], [0, 1])
    np.testing.assert_array_equal(F.adaptive_max_pool2d(_t(x)[None], (2, 1))[0, 0, :, 0].numpy(), [1, 1])


@pytest.mark.parametrize('shape, oh, ow', [((2, 5, 3), 9, 5), ((2, 3, 3, 9), 9, 5), ((1, 9, 17), 3, 5)])
def test_nnx_spatial_resampling(shape, oh, ow):
    """nnx SpatialReSampling.c: output (y, x) mixes the four pixels around (y (H - 1) / (oh - 1), x (W - 1) /
    (ow - 1)) with single-precision positions and weights: bilinear interpolation with aligned corners (sizes
    whose ratios are powers of two, where the float positions and weights are exact)."""
    x = np.random.default_rng(sum(shape)).standard_normal(shape)

    def fn(t):
        t4 = t if t.dim() == 4 else t[None]
        out = F.interpolate(t4, size=(oh, ow), mode='bilinear', align_corners=True)
        return out if t.dim() == 4 else out[0]
    _check_module(nn.SpatialReSampling(owidth=ow, oheight=oh), x, fn, 4)


@pytest.mark.parametrize('mode, shape, oh, ow, torch_mode', [
    ('simple', (2, 3, 4), 6, 12, 'nearest'),       # growing by whole factors: (y // dH, x // dW)
    ('simple', (2, 9, 8), 3, 4, 'nearest'),        # shrinking: (y dH, x dW)
    ('average', (3, 8, 12), 4, 3, 'area'),         # blocks of 2 x 4, a float reciprocal that is exact
    ('average', (1, 2, 3), 4, 6, 'nearest'),       # growing: as simple
    ('bilinear', (2, 5, 3), 9, 5, 'bilinear'),     # ratios 1/2: exact float positions and weights
])
def test_nnx_spatial_resampling_ex(mode, shape, oh, ow, torch_mode):
    """nnx SpatialReSamplingEx.c: 'simple' copies (y // dH) growing (dH = oheight / H) or (y dH) shrinking
    (dH = H / oheight): PyTorch's nearest for whole factors; 'average' shrinking is the block mean (avg
    pooling); 'bilinear' is SpatialReSampling's aligned-corner interpolation."""
    x = np.random.default_rng(sum(shape) + len(mode)).standard_normal(shape)
    kw = {'align_corners': True} if torch_mode == 'bilinear' else {}
    _check_module(nn.SpatialReSamplingEx(owidth=ow, oheight=oh, mode=mode), x,
                  lambda t: F.interpolate(t[None], size=(oh, ow), mode=torch_mode, **kw)[0], 5)


@pytest.mark.parametrize('shape, ker_shape', [((13, 11), None), ((1, 10, 12), (3, 4)), ((8, 9), (5, 5))])
def test_lcn(shape, ker_shape):
    """init.lua image.lcn: the image standardised (mean, (n - 1) std), local mean m = conv2(im, ker) and local
    std s = max(sqrt(max(conv2(im^2, ker) - m^2, 0)), 1) ('valid'), result (im[floor(kH/2):, floor(kW/2):] - m)
    / s; the default kernel a normalised 9 x 9 gaussian of sigma 1.591 / 9 (image.c's formula in double)."""
    rng = np.random.default_rng(sum(shape))
    x = rng.uniform(0, 1, shape)
    if ker_shape is None:
        u = torch.arange(1, 10, dtype=torch.float64)
        d = (u - 5) / (1.591 / 9 * 9)
        ker = torch.exp(-0.5 * (d[:, None] ** 2 + d ** 2))
        ker = ker / ker.sum()
    else:
        ker = _t(rng.uniform(0, 1, ker_shape))
    im = _t(x.reshape(shape[-2:]))
    im = (im - im.mean()) / im.std()
    conv = lambda a: F.conv2d(a[None, None], ker.flip(0, 1)[None, None])[0, 0]    # noqa: E731
    m = conv(im)
    s = torch.sqrt(torch.clamp(conv(im * im) - m * m, min=0)).clamp(min=1)
    kh, kw = ker.shape
    expected = (im[kh // 2:kh // 2 + m.shape[0], kw // 2:kw // 2 + m.shape[1]] - m) / s
    got = image.lcn(lg.from_numpy(x)) if ker_shape is None else image.lcn(lg.from_numpy(x), lg.from_numpy(ker.numpy()))
    _close(got.array, expected.numpy())
