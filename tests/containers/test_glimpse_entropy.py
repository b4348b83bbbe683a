"""dpnn's SpatialGlimpse and CategoricalEntropy: Jacobians, float64 NumPy references of the Lua files, type
round trips, GPU, bad input, and dpnn's test.lua tests of them (rewritten, 0-based)."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_type_roundtrip, standard_tests

rng = np.random.default_rng(0)


def ref_glimpse(image, location, h, w, depth, scale=2):
    """SpatialGlimpse.lua's loops: for each image and depth, zero-pad, crop around the location, average down
    (scale 2) or resample with nnx's SpatialReSampling (other scales; checked against nnx's C in test_nnx)."""
    resample = nn.SpatialReSampling(owidth=w, oheight=h).double() if w > 1 and h > 1 else None
    n, c, H, W = image.shape
    out = np.zeros((n, depth, c, h, w))
    for i in range(n):
        y, x = (location[i] + 1) / 2
        gh, gw = h, w
        for d in range(depth):
            if d > 0:
                gh, gw = math.floor(gh * scale), math.floor(gw * scale)
            ph, pw = (gh - 1) // 2, (gw - 1) // 2
            pad = np.zeros((c, H + 2 * ph, W + 2 * pw))
            pad[:, ph:ph + H, pw:pw + W] = image[i]
            hh, ww = pad.shape[1] - gh, pad.shape[2] - gw
            top, left = int(np.floor(min(hh, max(0, y * hh)))), int(np.floor(min(ww, max(0, x * ww))))
            crop = pad[:, top:top + gh, left:left + gw]
            if d == 0:
                out[i, d] = crop
            elif scale == 2:
                out[i, d] = crop.reshape(c, h, gh // h, w, gw // w).mean(axis=(2, 4))
            else:
                out[i, d] = resample.forward(lg.from_numpy(np.ascontiguousarray(crop))).numpy()
    return out.reshape(n, depth * c, h, w)


def glimpse_input(n=2, c=2, size=9):
    return [rng.normal(size=(n, c, size, size)), rng.uniform(-1, 1, size=(n, 2))]


GLIMPSES = [
    ('square-3', lambda: nn.SpatialGlimpse(3), lambda: glimpse_input()),
    ('rect-2x3-depth2', lambda: nn.SpatialGlimpse([2, 3], 2), lambda: glimpse_input(3, 1, 10)),
    ('one-image', lambda: nn.SpatialGlimpse(2, 3), lambda: [rng.normal(size=(2, 8, 8)), rng.uniform(-1, 1, 2)]),
    ('scale-1.5', lambda: nn.SpatialGlimpse(3, 3, 1.5), lambda: glimpse_input()),
    ('rect-2x3-scale-3', lambda: nn.SpatialGlimpse([2, 3], 2, 3), lambda: glimpse_input(2, 2, 7)),
    ('scale-0.5-shrinking', lambda: nn.SpatialGlimpse(4, 3, 0.5), lambda: glimpse_input()),
]


def _build(case):
    return case[1](), case[2]()


test_glimpse_jacobian, test_glimpse_type_roundtrip, test_glimpse_gpu = standard_tests(
    GLIMPSES, _build, ids=[c[0] for c in GLIMPSES])


@pytest.mark.parametrize('case', GLIMPSES, ids=[c[0] for c in GLIMPSES])
def test_glimpse_matches_the_lua_loops(case):
    """The output equals a float64 NumPy port of SpatialGlimpse.lua's per-image loops; the location's gradient is
    zero."""
    module, (image, loc) = _build(case)
    module.double()
    out = module.forward([image, loc]).numpy()
    one = image.ndim == 3
    batch_image, batch_loc = (image[None], loc[None]) if one else (image, loc)
    expected = ref_glimpse(batch_image, batch_loc, module.height, module.width, module.depth, module.scale)
    np.testing.assert_allclose(out, expected[0] if one else expected, rtol=1e-14, atol=1e-15)
    g = module.backward([image, loc], lg.from_numpy(np.ones(out.shape)))
    assert g[1].size() == tuple(loc.shape) and g[1].abs().max() == 0
    assert g[0].size() == tuple(image.shape)


def test_glimpse_pads_into_one_kept_buffer():
    """SpatialGlimpse.lua zero-pads the image afresh for every depth (``self._pad:resize(...):zero()``); legonn pads
    it once per forward, for the widest patch, into a buffer kept from call to call, which backward's padded
    frames reuse too; the numbers are the Lua loops' (forward) and the per-depth frames' sum (backward)."""
    sg = nn.SpatialGlimpse(3).double()
    image, loc = glimpse_input()
    sg.forward([image, loc])
    buffer = sg._paddedImage.storage()
    grad = rng.normal(size=(2, 6, 3, 3))
    for _ in range(2):
        out = sg.forward([image, loc]).numpy()
        gi = sg.backward([image, loc], lg.from_numpy(grad))[0].numpy()
        assert sg._paddedImage.storage() is buffer
    np.testing.assert_allclose(out, ref_glimpse(image, loc, 3, 3, 3), rtol=1e-14, atol=1e-15)
    fresh = nn.SpatialGlimpse(3).double()
    fresh.forward([image, loc])
    np.testing.assert_array_equal(fresh.backward([image, loc], lg.from_numpy(grad))[0].numpy(), gi)
    sg.clearState()
    assert sg._paddedImage.nElement() == 0


def _lua_image():
    """dpnn's test.lua image: 1 x 2 x 8 x 8 holding 1 .. 128."""
    return lg.range(1, 128).resize(1, 2, 8, 8)


@pytest.mark.parametrize('size, fill, top', [(4, 0, 2), (5, 0, 1), (4, -1, None), (5, -1, None), (4, 1, None),
                                             (5, 1, None)])
def test_dpnn_glimpse_positions(size, fill, top):
    """Port of dpnn's test.lua SpatialGlimpse: the first patch of a centre, top-left and bottom-right glimpse."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    image = _lua_image()
    out = nn.SpatialGlimpse(size).forward([image, lg.Tensor(1, 2).fill(fill)])
    assert out.size() == (1, 6, size, size)
    first = out.view(1, 3, 2, size, size).select(1, 0).numpy()
    pad = (size - 1) // 2
    padded = np.zeros((1, 2, 8 + 2 * pad, 8 + 2 * pad))
    padded[:, :, pad:pad + 8, pad:pad + 8] = image.numpy()
    if top is not None:   # the centre: a window of the image itself
        np.testing.assert_array_equal(first, image.numpy()[:, :, top:top + size, top:top + size])
    elif fill == -1:
        np.testing.assert_array_equal(first, padded[:, :, :size, :size])
    else:
        end = padded.shape[2]
        np.testing.assert_array_equal(first, padded[:, :, end - size:, end - size:])


def test_dpnn_glimpse_online_and_backward():
    """Port of dpnn's test.lua SpatialGlimpse: one image gives the batch's first output; a depth-1 backward
    puts gradOutput back on the crop; a depth-2 backward adds the average pooling's gradient of the second
    patch (Lua's SpatialAveragePooling(2, 2, 2, 2) of the 8 x 8 patch)."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    image, loc = _lua_image(), lg.zeros(1, 2)
    out = nn.SpatialGlimpse(4).forward([image, loc]).clone()
    np.testing.assert_array_equal(nn.SpatialGlimpse(4).forward([image[0], loc[0]]).numpy(), out[0].numpy())
    sg = nn.SpatialGlimpse(4, 1)
    out = sg.forward([image, loc])
    g = sg.backward([image, loc], out)
    expected = np.zeros((1, 2, 8, 8))
    expected[:, :, 2:6, 2:6] = out.numpy()
    np.testing.assert_array_equal(g[0].numpy(), expected)
    sg = nn.SpatialGlimpse(4, 2)
    out = sg.forward([image, loc])
    grad_out = out.clone()
    g = sg.backward([image, loc], grad_out)[0].clone()
    second = out.view(1, 2, 2, 4, 4).select(1, 1)
    pooled = nn.SpatialAveragePooling(2, 2, 2, 2).double().updateGradInput(lg.zeros(1, 2, 8, 8), second.clone())
    np.testing.assert_allclose(g.numpy(), expected + pooled.numpy(), rtol=1e-14)
    g_one = nn.SpatialGlimpse(4, 2).backward([image[0], loc[0]], grad_out[0])
    np.testing.assert_allclose(g_one[0].numpy(), g[0].numpy(), rtol=1e-14)
    assert g_one[1].size() == (2,)


@pytest.mark.parametrize('size, cols', [(4, slice(0, 8)), ((4, 2), slice(2, 6))], ids=['square', 'rect'])
def test_dpnn_glimpse_with_resampling(size, cols):
    """Port of dpnn's test.lua SpatialGlimpse and SpatialGlimpseRect with ``sg.module =
    nn.SpatialReSampling{...}`` (nnx): the first patch is the centre crop; with the first depth's gradOutput
    zeroed the image gets SpatialReSampling's gradient of the second patch (8 x 8, 8 x 4 for the rect glimpse:
    image columns 2..5, where the Lua Rect test resamples the whole 8 x 8 image); with it, the crop's gradient
    is added; one image gives the batch's first gradient and a zero location gradient."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    h, w = (size, size) if isinstance(size, int) else size
    image, loc = _lua_image(), lg.zeros(1, 2)
    sg = nn.SpatialGlimpse(size, 2)
    sg.module = nn.SpatialReSampling({'owidth': w, 'oheight': h})
    out = sg.forward([image, loc])
    out_ = out.view(1, 2, 2, h, w)
    y0, x0 = (8 - h) // 2, (8 - w) // 2
    np.testing.assert_array_equal(out_.select(1, 0).numpy(), image.numpy()[:, :, y0:y0 + h, x0:x0 + w])
    second = out_.select(1, 1).clone()
    patch = lg.from_numpy(np.ascontiguousarray(image.numpy()[:, :, :, cols]))
    srs = nn.SpatialReSampling({'oheight': h, 'owidth': w})
    srs.forward(patch)
    expected = np.zeros((1, 2, 8, 8))
    expected[:, :, :, cols] = srs.updateGradInput(patch, second).numpy()
    grad_out = out.clone()
    grad_out.view(1, 2, 2, h, w).select(1, 0).fill(0)
    np.testing.assert_allclose(sg.backward([image, loc], grad_out)[0].numpy(), expected, rtol=1e-14)
    grad_out = out.clone()
    g = sg.backward([image, loc], grad_out)
    expected[:, :, y0:y0 + h, x0:x0 + w] += out_.select(1, 0).numpy()
    np.testing.assert_allclose(g[0].numpy(), expected, rtol=1e-14)
    g = [t.clone() for t in g]
    sg.forward([image[0], loc[0]])
    g_one = sg.backward([image[0], loc[0]], grad_out[0])
    np.testing.assert_allclose(g_one[0].numpy(), g[0][0].numpy(), rtol=1e-14)
    assert g_one[1].size() == (2,) and g_one[1].abs().max() == 0


def test_glimpse_scales_other_than_two_resample():
    """dpnn SpatialGlimpse.lua: ``scale ~= 2`` makes ``self.module`` nnx's SpatialReSampling{oheight, owidth}
    and each patch side ``math.floor(side * scale)``: SpatialGlimpse(2, 3, 1.5) on a 6 x 6 ramp takes 2, 3
    and 4 pixel patches, the last two resampled to 2 x 2 (their corner pixels, as the resampling aligns
    corners)."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    sg = nn.SpatialGlimpse(2, 3, 1.5)
    assert type(sg.module).__name__ == 'SpatialReSampling'
    image = lg.range(0, 35).resize(1, 1, 6, 6)
    out = sg.forward([image, lg.zeros(1, 2)]).numpy()[0]
    img = image.numpy()[0, 0]
    # centre crops: 2 x 2 at (2, 2); 3 x 3 at (1, 1); 4 x 4 at (1, 1) of the image (paddings 0, 1, 1)
    np.testing.assert_array_equal(out[0], img[2:4, 2:4])
    np.testing.assert_array_equal(out[1], img[[1, 3]][:, [1, 3]])
    np.testing.assert_array_equal(out[2], img[[1, 4]][:, [1, 4]])


def test_glimpse_bad_input():
    """Errors name the module: a location per image, 2 coordinates, a table input; construction checks."""
    sg = nn.SpatialGlimpse(3)
    with pytest.raises(ValueError, match=r"SpatialGlimpse\(3x3, 3, 2\): expected a location of size \(2, 2\)"):
        sg.forward([lg.randn(2, 1, 8, 8), lg.randn(3, 2)])
    with pytest.raises(ValueError, match=r"expected a 3-D or 4-D image \(input\[0\]\)"):
        sg.forward([lg.randn(8, 8), lg.randn(2)])
    with pytest.raises(TypeError, match=r"expected a table"):
        sg.forward(lg.randn(1, 1, 8, 8))
    sg.forward([lg.randn(2, 1, 8, 8), lg.randn(2, 2)])
    with pytest.raises(ValueError, match=r"expected gradOutput of size \(2, 3, 3, 3\)"):
        sg.backward([lg.randn(2, 1, 8, 8), lg.randn(2, 2)], lg.randn(2, 3, 3, 2))
    with pytest.raises(ValueError, match=r"SpatialGlimpse: scale must be a positive number, got 0"):
        nn.SpatialGlimpse(3, 3, 0)
    with pytest.raises(ValueError, match=r"SpatialGlimpse: scale 0.5 shrinks the patches of a 3x3 glimpse to 0x0"):
        nn.SpatialGlimpse(3, 3, 0.5)
    with pytest.raises(ValueError, match=r"SpatialGlimpse: a scale other than 2 .* at least 2x2, got 1x3"):
        nn.SpatialGlimpse([1, 3], 2, 3)
    with pytest.raises(ValueError, match=r"depth must be a positive integer"):
        nn.SpatialGlimpse(3, 0)


# --- CategoricalEntropy --------------------------------------------------------------------------------------
def ref_entropy(p_batch, scale=1.0, size_average=True):
    """CategoricalEntropy.lua: (H, the gradient it adds): p the batch's column sums / the total, H = -sum p
    ln(p + 1e-6), and the gradient of -scale H through the 1/total constant (MulConstant) / batch."""
    total = p_batch.sum()
    p = p_batch.sum(0) / total
    log_p = np.log(p + 1e-6)
    H = -(p * log_p).sum()
    dH_dp = -(log_p + p / (p + 1e-6))
    grad = -scale * dH_dp / total
    grad = np.broadcast_to(grad, p_batch.shape) / (p_batch.shape[0] if size_average else 1)
    return H, grad


def softmax_rows(n, k):
    x = rng.normal(size=(n, k))
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


@pytest.mark.parametrize('scale, size_average', [(1, True), (0.3, True), (2, False)])
def test_entropy_matches_the_lua_maths(scale, size_average):
    """The output is the input; the gradient adds -scale dH/dinput (/ batch) to gradOutput, H kept in
    ``entropy``."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    p, go = softmax_rows(6, 4), rng.normal(size=(6, 4))
    ce = nn.CategoricalEntropy(scale)
    ce.sizeAverage = size_average
    x = lg.from_numpy(p)
    assert ce.forward(x).storage() is x.storage()
    g = ce.backward(x, go).numpy()
    H, grad = ref_entropy(p, scale, size_average)
    assert ce.entropy == pytest.approx(H, rel=1e-14)
    np.testing.assert_allclose(g, go + grad, rtol=1e-13)


def test_entropy_gradient_by_finite_differences():
    """The added gradient is -d H(sum_b x / S) / dx / batch with S the input's total held fixed (the Lua file's
    MulConstant), by central differences."""
    p = softmax_rows(5, 3)
    S = p.sum()

    def H(x):
        q = x.sum(0) / S
        return -(q * np.log(q + 1e-6)).sum()

    ce = nn.CategoricalEntropy().double()
    g = ce.backward(lg.from_numpy(p), np.zeros_like(p)).numpy()
    eps = 1e-6
    num = np.zeros_like(p)
    for idx in np.ndindex(*p.shape):
        d = np.zeros_like(p)
        d[idx] = eps
        num[idx] = -(H(p + d) - H(p - d)) / (2 * eps) / 5
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)


def test_dpnn_categorical_entropy():
    """Port of dpnn's test.lua CategoricalEntropy: identity forward, the entropy, the gradient
    (1 + ln p) / sum(input) / batch it checks (to its 1e-6)."""
    inp = nn.SoftMax().forward(lg.randn(10, 5)).clone()
    ce = nn.CategoricalEntropy()
    np.testing.assert_array_equal(ce.forward(inp).numpy(), inp.numpy())
    g = ce.backward(inp, lg.zeros(10, 5))
    p = inp.numpy().astype(np.float64).sum(0)
    p /= p.sum()
    log_p = np.log(p + 1e-6)
    assert abs(ce.entropy + (p * log_p).sum()) < 1e-6
    np.testing.assert_allclose(g.numpy(), np.broadcast_to((log_p + 1) / float(inp.sum()) / 10, (10, 5)), atol=1e-6)


def test_entropy_above_min_entropy_adds_nothing():
    """CategoricalEntropy.lua's minEntropy: the gradient is only added while the entropy is below it."""
    p = softmax_rows(4, 3)
    go = rng.normal(size=(4, 3))
    ce = nn.CategoricalEntropy(1, 0.01).double()
    np.testing.assert_array_equal(ce.backward(lg.from_numpy(p), go).numpy(), go)
    ce = nn.CategoricalEntropy(1, 10).double()
    assert not np.array_equal(ce.backward(lg.from_numpy(p), go).numpy(), go)


def test_entropy_type_roundtrip_and_gpu():
    p = softmax_rows(4, 3)
    assert_type_roundtrip(nn.CategoricalEntropy(), p)


@pytest.mark.gpu
def test_entropy_gpu():
    assert_gpu_matches_cpu(nn.CategoricalEntropy(0.5), softmax_rows(4, 3))


def test_entropy_bad_input():
    """Batches only (the Lua file's assert), a gradOutput of the input's size, numeric arguments."""
    with pytest.raises(ValueError, match=r"CategoricalEntropy: expected a 2-D input"):
        nn.CategoricalEntropy().forward(lg.rand(3))
    ce = nn.CategoricalEntropy()
    with pytest.raises(ValueError, match=r"CategoricalEntropy: expected gradOutput of size \(2, 3\)"):
        ce.backward(lg.rand(2, 3), lg.rand(2, 2))
    with pytest.raises(ValueError, match=r"scale must be a number"):
        nn.CategoricalEntropy('a')
