"""torch/image's kernels (init.lua, image.c's gaussian) and filters (init.lua's convolve, lcn, erode, dilate,
gaussianpyramid over torch.conv2) against hand values and float64 loop transcriptions written here."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image


def _full_conv(x, k):
    """THTensorConv.c's fullConv2Dptr: every input pixel adds itself times the kernel into the output."""
    out = np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            for a in range(k.shape[0]):
                for b in range(k.shape[1]):
                    out[i + a, j + b] += x[i, j] * k[a, b]
    return out


def _valid_conv(x, k):
    """THTensorConv.c's validConv2Dptr: the kernel read backwards over each window."""
    rows, cols = x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            for a in range(k.shape[0]):
                for b in range(k.shape[1]):
                    out[i, j] += x[i + a, j + b] * k[k.shape[0] - 1 - a, k.shape[1] - 1 - b]
    return out


def test_gaussian_by_hand():
    """image.c's gaussian for size 3, sigma 0.25: centre (0.5 * 3 + 0.5) = 2 (1-based), so the offsets are
    -1, 0, 1 over sigma * size = 0.75: exp(-(1/0.75)^2 / 2) = exp(-8/9) beside the centre."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    e, c = math.exp(-8 / 9), math.exp(-16 / 9)
    want = np.array([[c, e, c], [e, 1, e], [c, e, c]])
    np.testing.assert_allclose(image.gaussian(3).numpy(), want, rtol=1e-15)
    np.testing.assert_allclose(image.gaussian({'size': 3, 'amplitude': 2}).numpy(), 2 * want, rtol=1e-15)
    np.testing.assert_allclose(image.gaussian(3, normalize=True).numpy(), want / want.sum(), rtol=1e-15)
    np.testing.assert_allclose(image.gaussian1D(3).numpy(), [e, 1, e], rtol=1e-15)
    np.testing.assert_allclose(image.gaussian1D({'size': 3, 'normalize': True}).numpy(),
                               np.array([e, 1, e]) / (1 + 2 * e), rtol=1e-15)


def test_kernels_take_none_as_the_default():
    """Lua's nil is no argument: DIGITS's nnhelpers.lua builds ``image.gaussian({size=3, sigma=radius,
    normalize=true})`` with radius nil and gets sigma 0.25; a None, in the table form or by position, was read
    as a number (NaN kernels, or a TypeError in gaussian1D and laplacian)."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    np.testing.assert_array_equal(image.gaussian({'size': 3, 'sigma': None, 'normalize': True}).numpy(),
                                  image.gaussian(3, normalize=True).numpy())
    np.testing.assert_array_equal(image.gaussian1D(3, None, None, None).numpy(), image.gaussian1D(3).numpy())
    np.testing.assert_array_equal(image.laplacian({'size': 5, 'sigma': None, 'amplitude': None}).numpy(),
                                  image.laplacian(5).numpy())
    with pytest.raises(TypeError, match=r"image\.gaussian: got an unexpected keyword argument 'mean'"):
        image.gaussian({'size': 3, 'mean': 0.5})


def test_gaussian_options_match_image_c():
    """image.c's loop with separate widths, sigmas and means (column u, row v, both 0-based here)."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    width, height, su, sv, mu, mv, amp = 5, 4, 0.3, 0.2, 0.4, 0.6, 1.5
    want = np.empty((height, width))
    for v in range(height):
        for u in range(width):
            du = (u + 1 - (mu * width + 0.5)) / (su * width)
            dv = (v + 1 - (mv * height + 0.5)) / (sv * height)
            want[v, u] = amp * math.exp(-0.5 * (du * du + dv * dv))
    got = image.gaussian(width=width, height=height, sigma_horz=su, sigma_vert=sv, mean_horz=mu, mean_vert=mv,
                         amplitude=amp)
    assert tuple(got.size()) == (4, 5)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-14)
    into = lg.DoubleTensor(height, width)
    assert image.gaussian(tensor=into, sigma_horz=su, sigma_vert=sv, mean_horz=mu, mean_vert=mv,
                          amplitude=amp) is into
    np.testing.assert_allclose(into.numpy(), want, rtol=1e-14)


def test_float_gaussian_rounds_as_image_c():
    """For a FloatTensor image.c's temp_t is float: offsets and sums in float, the exponential in double, the
    normalising sum accumulated in float pixel after pixel. A float32 transcription gives the same bits."""
    f = np.float32
    width = height = 9
    sigma = 1.591 / 9
    mean = f(f(0.5) * f(width) + 0.5)
    over = f(1.0 / (f(sigma) * f(width)))
    want = np.empty((height, width), np.float32)
    for v in range(height):
        for u in range(width):
            du, dv = f(f(u + 1) - mean) * over, f(f(v + 1) - mean) * over
            want[v, u] = f(f(1) * math.exp(-0.5 * float(f(du * du + dv * dv))))
    total = f(0)
    for value in want.ravel():
        total = f(total + value)
    want = want * f(1.0 / total)
    got = image.gaussian(size=9, sigma=sigma, normalize=True)
    assert isinstance(got, lg.FloatTensor)
    assert (got.numpy() == want).all()


def test_byte_gaussian_rounds_as_image_c():
    """image.c's gaussian is built for ByteTensors too (torch/image test.lua's byteGaussian): each value,
    computed in float, is stored by FromIntermediate (plus 0.5, clamped to 0..255, truncated); normalize then
    sums the stored bytes in float and multiplies each by the reciprocal, the C's ``*=`` truncating into the
    byte. A float32 transcription gives the same bytes."""
    f = np.float32
    # normalised bytes are 0 but where one value holds the whole sum (amplitude 0.6: the centre, 1)
    for amplitude, normalize in ((1000, False), (3, False), (1000, True), (0.6, True)):
        mean = f(f(0.5) * f(5) + 0.5)
        over = f(1.0 / (f(0.25) * f(5)))
        want = np.empty((5, 5))
        for v in range(5):
            for u in range(5):
                du, dv = f(f(u + 1) - mean) * over, f(f(v + 1) - mean) * over
                value = f(f(amplitude) * math.exp(-0.5 * float(f(du * du + dv * dv))))
                want[v, u] = min(max(math.floor(f(value + 0.5)), 0), 255)
        if normalize:
            total = f(0)
            for value in want.ravel():
                total = f(total + f(value))
            want = np.trunc((want.astype(np.float32) * f(1.0 / total)).astype(np.float64))
        got = image.gaussian(amplitude=amplitude, normalize=normalize, tensor=lg.ByteTensor(5, 5))
        assert isinstance(got, lg.ByteTensor)
        np.testing.assert_array_equal(got.numpy(), want)
    with pytest.raises(TypeError, match=r'image\.gaussian: expected a floating tensor or a ByteTensor, got '):
        image.gaussian(tensor=lg.IntTensor(3, 3))


def test_laplacian_matches_init_lua():
    """init.lua's laplacian loop, whose row index pairs with the horizontal mean, sigma and width."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    width, height, sh, sv = 5, 3, 0.2, 0.3
    want = np.empty((height, width))
    for i in range(1, height + 1):
        for j in range(1, width + 1):
            xsq = ((i - (0.5 * width + 0.5)) / (sh * width)) ** 2 / 2
            ysq = ((j - (0.5 * height + 0.5)) / (sv * height)) ** 2 / 2
            want[i - 1, j - 1] = (1 - (xsq + ysq)) * 2 * math.exp(-(xsq + ysq))
    got = image.laplacian(width=width, height=height, sigma_horz=sh, sigma_vert=sv, amplitude=2)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-14)
    np.testing.assert_allclose(image.laplacian(width=width, height=height, sigma_horz=sh, sigma_vert=sv,
                                               normalize=True).numpy(), want / want.sum(), rtol=1e-13)


@pytest.mark.parametrize('ksize', [(3, 3), (2, 4)])
def test_convolve_modes(ksize):
    """init.lua's convolve: torch.conv2 valid by default, full for 'full', and 'same' narrowed out of the full
    result from ceil(k / 2) (1-based)."""
    rng = np.random.default_rng(0)
    x, k = rng.random((6, 7)), rng.random(ksize)
    full = _full_conv(x, k)
    np.testing.assert_allclose(image.convolve(lg.DoubleTensor(x), lg.DoubleTensor(k)).numpy(), _valid_conv(x, k),
                               rtol=1e-14)
    np.testing.assert_allclose(image.convolve(x, k, 'full').numpy(), full, rtol=1e-14)
    top, left = math.ceil(ksize[0] / 2) - 1, math.ceil(ksize[1] / 2) - 1
    same = image.convolve(x, k, 'same')
    assert tuple(same.size()) == (6, 7)
    np.testing.assert_allclose(same.numpy(), full[top:top + 6, left:left + 7], rtol=1e-14)


def test_convolve_3d_and_dst():
    """A 2-D kernel applies to each plane of a 3-D image (init.lua copies it per plane); with dst, dst gets the
    full result and 'same' returns a view of it."""
    rng = np.random.default_rng(1)
    x, k = rng.random((2, 5, 5)), rng.random((3, 3))
    got = image.convolve(lg.DoubleTensor(x), lg.DoubleTensor(k), 'valid')
    for p in range(2):
        np.testing.assert_allclose(got.numpy()[p], _valid_conv(x[p], k), rtol=1e-14)
    dst = lg.DoubleTensor()
    same = image.convolve(dst, lg.DoubleTensor(x), lg.DoubleTensor(k), 'same')
    assert tuple(dst.size()) == (2, 7, 7) and same.storage() is dst.storage()
    np.testing.assert_allclose(same.numpy()[1], _full_conv(x[1], k)[1:6, 1:6], rtol=1e-14)


def test_lcn_matches_init_lua():
    """init.lua's lcn: standardise by mean and (n - 1) std, subtract the local mean (conv2 with the kernel),
    divide by the local std floored at 1; a valid DoubleTensor result."""
    rng = np.random.default_rng(2)
    x = (rng.random((12, 11)) * 4).astype(np.float32).astype(np.float64)   # a FloatTensor's values
    k = rng.random((3, 5))
    k /= k.sum()
    z = (x - x.mean()) / x.std(ddof=1)
    mean, sq = _valid_conv(z, k), _valid_conv(z * z, k)
    want = np.empty(mean.shape)
    for i in range(mean.shape[0]):
        for j in range(mean.shape[1]):
            std = max(math.sqrt(max(sq[i, j] - mean[i, j] ** 2, 0)), 1)
            want[i, j] = (z[i + 1, j + 2] - mean[i, j]) / std
    got = image.lcn(lg.FloatTensor(x.astype(np.float32)), lg.DoubleTensor(k))
    assert isinstance(got, lg.DoubleTensor)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    default = image.lcn(lg.DoubleTensor(x)[None])
    assert tuple(default.size()) == (4, 3)


def test_erode_and_dilate():
    """init.lua's erode (conv2 of the image padded with 1 equal to the kernel's sum) and dilate (the kernel
    flipped, padded with 0, conv2 positive), against a transcription over a non-symmetric kernel."""
    rng = np.random.default_rng(3)
    x = (rng.random((7, 8)) > 0.3).astype(np.float64)
    k = np.array([[0, 1, 1], [0, 1, 0], [0, 0, 0]], np.float64)

    def padded(value):
        p = np.full((9, 10), value, np.float64)
        p[1:8, 1:9] = x
        return p

    want_erode = (_valid_conv(padded(1), k) == k.sum()).astype(np.float64)
    want_dilate = (_valid_conv(padded(0), k[::-1, ::-1]) > 0).astype(np.float64)
    got = image.erode(lg.DoubleTensor(x), lg.DoubleTensor(k))
    assert isinstance(got, lg.DoubleTensor) and (got.numpy() == want_erode).all()
    assert (image.dilate(lg.DoubleTensor(x), lg.DoubleTensor(k)).numpy() == want_dilate).all()
    # the 3 x 3 default: erosion keeps a pixel whose whole neighbourhood is set (outside counts as set)
    ones = np.ones((3, 3))
    assert (image.erode(lg.DoubleTensor(x)).numpy() == (_valid_conv(padded(1), ones) == 9)).all()
    assert (image.dilate(lg.DoubleTensor(x), None, 1).numpy()[0] == 1).all()


def test_gaussianpyramid_at_scale_one():
    """init.lua's gaussianpyramid: scale 1 copies the previous image; each next one starts from the previous
    convolved ('same') with a normalised 3 x 3 Gaussian of sigma 0.25 (in Torch7's default type, double)."""
    x = np.random.default_rng(4).random((2, 6, 5))
    e, c = math.exp(-8 / 9), math.exp(-16 / 9)
    k = np.array([[c, e, c], [e, 1, e], [c, e, c]])
    k /= k.sum()
    dst = [lg.DoubleTensor(), None]
    got = image.gaussianpyramid(dst, lg.DoubleTensor(x), [1, 1, 1])
    assert got is dst and len(got) == 3
    assert np.array_equal(got[0].numpy(), x)
    blurred = np.stack([_full_conv(x[p], k)[1:7, 1:6] for p in range(2)])
    np.testing.assert_allclose(got[1].numpy(), blurred, rtol=1e-14)
    blurred2 = np.stack([_full_conv(blurred[p], k)[1:7, 1:6] for p in range(2)])
    np.testing.assert_allclose(got[2].numpy(), blurred2, rtol=1e-14)


def test_gaussianpyramid_scales_simply():
    """A scale other than 1 resamples with image.scale's 'simple' (image.c's scaleSimple: nearest, the source
    index i * src / dst in float, truncated); sizes are truncated products."""
    x = np.random.default_rng(5).random((8, 6))
    got = image.gaussianpyramid(lg.DoubleTensor(x), [0.5])
    assert tuple(got[0].size()) == (4, 3)
    sy, sx = np.float32(8) / np.float32(4), np.float32(6) / np.float32(3)
    want = [[x[int(np.float32(j) * sy), int(np.float32(i) * sx)] for i in range(3)] for j in range(4)]
    assert np.array_equal(got[0].numpy(), want)


def test_bad_arguments_name_the_function():
    """Errors name image.<function> and what it expected."""
    with pytest.raises(ValueError, match=r"image\.convolve: expected the mode 'full', 'valid' or 'same'"):
        image.convolve(lg.DoubleTensor(5, 5), lg.DoubleTensor(3, 3), 'circular')
    with pytest.raises(TypeError, match=r'image\.convolve: expected \(\[dst,\] src, kernel \[, mode\]\)'):
        image.convolve(lg.DoubleTensor(5, 5))
    with pytest.raises(ValueError, match=r'image\.convolve: .*smaller than the kernel'):
        image.convolve(lg.DoubleTensor(2, 2), lg.DoubleTensor(3, 3))
    with pytest.raises(ValueError, match=r'image\.lcn: expected a grey image'):
        image.lcn(lg.DoubleTensor(3, 5, 5))
    with pytest.raises(ValueError, match=r'image\.erode: expected a 2-D kernel of odd sizes'):
        image.erode(lg.DoubleTensor(5, 5), lg.DoubleTensor(2, 2))
    with pytest.raises(ValueError, match=r'image\.gaussian: expected width to be a positive whole number'):
        image.gaussian(width=2.5)
    with pytest.raises(ValueError, match=r'image\.gaussian1D: expected a non-empty 1-D tensor'):
        image.gaussian1D(tensor=lg.DoubleTensor(2, 2))
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'sigmaa'"):
        image.gaussian({'sigmaa': 1})
    with pytest.raises(ValueError, match=r'image\.gaussianpyramid: expected a 2-D or 3-D src'):
        image.gaussianpyramid(lg.DoubleTensor(5), [1])


_GREY = lg.FloatTensor(3, 8, 8)
# (call, the size given): sizes no array can have, as Python's big integers, huge floats and an infinity
_HUGE_SIZES = [
    (lambda n: image.gaussian(n), 'gaussian'), (lambda n: image.gaussian(width=3, height=n), 'gaussian'),
    (lambda n: image.gaussian1D(n), 'gaussian1D'), (lambda n: image.laplacian(n), 'laplacian'),
    (lambda n: image.laplacian({'size': 3, 'width': n}), 'laplacian'),
    (lambda n: image.colormap(n), 'colormap'), (lambda n: image.jetColormap(n), 'jetColormap'),
    (lambda n: image.scale(_GREY, n), 'scale'), (lambda n: image.scale(_GREY, 4, n), 'scale'),
    (lambda n: image.gaussianpyramid(_GREY, [1, n]), 'gaussianpyramid'),
]


@pytest.mark.parametrize('size', [10 ** 400, 2 ** 62, 10 ** 20, 1e300, float('inf')],
                         ids=['1e400', '2^62', '1e20', '1e300', 'inf'])
@pytest.mark.parametrize('call, name', _HUGE_SIZES, ids=[f'{n}-{i}' for i, (_, n) in enumerate(_HUGE_SIZES)])
def test_sizes_no_array_can_have_are_refused_naming_the_function(call, name, size):
    """A size past what NumPy can describe (float64 bytes beyond its index type) is the function's ValueError,
    saying what it expected and what came, never Python's OverflowError nor NumPy's own message."""
    with pytest.raises(ValueError) as err:
        call(size)
    text = str(err.value)
    assert text.startswith(f'image.{name}: expected ') and ', got ' in text, text
    assert len(text) < 300   # a 401-digit integer is named by its length


def test_the_largest_sizes_are_still_accepted():
    """The bound refuses nothing an array can hold: one element under it passes the check (and then fails
    only to allocate, as any array that size would), small kernels are unchanged."""
    from legonn.image.arguments import MAX_ELEMENTS, result_sizes
    assert result_sizes('gaussian', 'a kernel size', width=MAX_ELEMENTS, height=1) == [MAX_ELEMENTS, 1]
    with pytest.raises(ValueError, match='within'):
        result_sizes('gaussian', 'a kernel size', width=MAX_ELEMENTS + 1, height=1)
    assert tuple(image.gaussian(3).size()) == (3, 3) and tuple(image.colormap(0).size()) == (0, 3)


@pytest.mark.gpu
def test_filters_on_cuda_tensors():
    """convolve, erode and dilate on CuPy arrays give the CPU's numbers."""
    rng = np.random.default_rng(6)
    x, k = lg.DoubleTensor(rng.random((2, 6, 6))), lg.DoubleTensor(rng.random((3, 3)))
    for mode in ('valid', 'full', 'same'):
        gpu = image.convolve(x.cudaDouble(), k.cudaDouble(), mode)
        np.testing.assert_allclose(gpu.cpu().numpy(), image.convolve(x, k, mode).numpy(), rtol=1e-12)
    b = lg.DoubleTensor((rng.random((6, 7)) > 0.5).astype(np.float64))
    assert np.array_equal(image.erode(b.cudaDouble()).cpu().numpy(), image.erode(b).numpy())
    assert np.array_equal(image.dilate(b.cudaDouble()).cpu().numpy(), image.dilate(b).numpy())


@pytest.mark.gpu
def test_gaussian_into_cuda_tensors():
    """image.gaussian written into CUDA Byte and Float tensors gives the CPU's values, on the device."""
    for cpu, cuda in ((lg.ByteTensor(5, 7), lg.ByteTensor(5, 7).cudaByte()),
                      (lg.FloatTensor(5, 7), lg.FloatTensor(5, 7).cuda())):
        got = image.gaussian(amplitude=300, sigma=0.3, tensor=cuda)
        assert got.is_cuda
        np.testing.assert_array_equal(got.cpu().numpy(), image.gaussian(amplitude=300, sigma=0.3, tensor=cpu).numpy())
