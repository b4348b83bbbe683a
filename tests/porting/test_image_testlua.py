"""torch/image's test/test.lua (711 lines), ported literally: one test per ``test.X`` (and one per generated
``flip_tests`` entry, lines 263-287), each naming its lines. The edits are docs/porting.md's: ``torch.`` is
``lg.``, ``:`` is ``.``, indices and dimensions are 0-based (``image.flip``'s dim too), ``math.random`` is
Python's ``random`` (seeded by the ``lua_math_random`` fixture), Lua tables of options are dicts. The
``tester`` calls stay Tester calls, set to raise (tests/porting/nn_testlua.py's ``mytester``).

``image.test()`` runs in DoubleTensor (line 703): the ``double_default`` fixture sets it.

The Lua reads torch/image's ``assets/`` files. None is copied here: each is built in a temporary folder by
``asset()`` below from what the test says of it (netpbm files byte by byte, PNGs with legonn's own writer or,
for 16 bits, by hand (tests/image/png_files.py), a corrupted IHDR by changing one byte of a PNG legonn wrote).
``image.lena()`` (torch/image's 512 x 512 photograph, read from a JPEG) and ``image.fabio()`` (a 257 x 271
colour photograph read as grey) are not provided by legonn (docs/porting.md): the ``lena`` and ``fabio``
fixtures load a picture of those sizes made by tests/porting/image_testlua.py (muted colour waves, with grey,
black and white patches), saved as a PPM, so that its values are bytes / 255 as a decoded JPEG's; where the
Lua checks a property of the photograph, the same property is checked on that picture. PNG and JPEG need
Pillow (the ``image`` extra): those tests ``pytest.importorskip`` it, as tests/image does."""
import random
import struct

import numpy as np
import pytest

import legonn as lg
from legonn import image
from tests.image.png_files import png16_file, png_chunk
from tests.porting.image_testlua import photograph
from tests.porting.nn_testlua import mytester as tester

pytestmark = pytest.mark.usefixtures('double_default', 'lua_math_random')   # image.test(), lines 701-711

precision = 1e-4
precision_mean = 1e-3
precision_std = 1e-1


# ---- the photographs and assets, made here (see the module docstring) ----------------------------------

@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    """The folder standing for torch/image's ``assets/`` (files made on demand by ``asset``)."""
    return tmp_path_factory.mktemp('assets')


@pytest.fixture
def lena(assets):
    """``image.lena``: init.lua's ``image.load(path, 3)`` of a 3 x 512 x 512 picture (in the default type)."""
    return photograph(assets, 'lena.ppm', 512, 512, 3)


@pytest.fixture
def fabio(assets):
    """``image.fabio``: init.lua's ``image.load(path, 1)`` of a 3 x 257 x 271 colour picture: its luminance,
    ``H x W``."""
    return photograph(assets, 'fabio.ppm', 257, 271, 1)


def _rectangle():
    """rectangle.png as test_drawRect describes it: a 3 x 24 x 12 image of 3s with the outline of the rectangle
    from column 5, row 5 to column 10, row 20 (1-based, init.lua's drawRect) in (255, 0, 255)."""
    rect = lg.ByteTensor(3, 24, 12).fill(3)
    for c, v in enumerate((255, 0, 255)):
        rect[c, 4:20, 4].fill(v)
        rect[c, 4:20, 9].fill(v)
        rect[c, 4, 4:10].fill(v)
        rect[c, 19, 4:10].fill(v)
    return rect


def asset(assets, name, lena=None):
    """The file ``name`` of torch/image's assets, made in ``assets`` as the test using it describes it."""
    path = assets / name
    if path.exists():
        return str(path)
    if name == 'grace_hopper_512.jpg':
        image.saveJPG(str(path), lena())
    elif name == 'gray3x1.png':
        image.savePNG(str(path), lg.ByteTensor([[[0, 127, 255]]]))
    elif name == 'rgb2x1.png':
        image.savePNG(str(path), lg.ByteTensor([[[255, 0]], [[0, 127]], [[63, 0]]]))
    elif name == 'gray16-1x2.png':
        path.write_bytes(png16_file([[[0]], [[65534]]], 0))
    elif name == 'rgb16-2x1.png':
        path.write_bytes(png16_file([[[65535, 0, 16383], [0, 32767, 0]]], 2))
    elif name == 'corrupt-ihdr.png':
        # a PNG legonn wrote, its IHDR's interlace method set to 2 (only 0 and 1 exist), the CRC made to match
        good = image.compressPNG(lg.ByteTensor(1, 2, 2).fill(7)).numpy().tobytes()
        path.write_bytes(good[:8] + png_chunk(b'IHDR', good[16:28] + b'\x02') + good[33:])
    elif name == 'P6.ppm':
        # a 100 x 1 "French flag": one blue pixel, 84 white, 15 red
        path.write_bytes(b'P6\n100 1\n255\n' + b'\x00\x00\xff' + b'\xff' * 3 * 84 + b'\xff\x00\x00' * 15)
    elif name == 'P5.pgm':
        # 100 x 1, the first pixel 18 (0.07 * 255 = 17.85), the others 255
        path.write_bytes(b'P5\n100 1\n255\n' + b'\x12' + b'\xff' * 99)
    elif name == 'P2.pgm':
        # an ASCII PGM of 24 x 7, max gray 15 on its 4th line after a comment, values (row + 2 col) mod 16
        # (pixel (2, 2), 1-based, is 3), separated by one or two spaces
        rows = ['  '.join(' '.join(str((r + 2 * c) % 16) for c in range(h, h + 12)) for h in (0, 12))
                for r in range(7)]
        path.write_bytes(('P2\n# a made-up ascii.pgm\n24 7\n15\n' + '\n'.join(rows) + '\n').encode())
    elif name == 'P4.pbm':
        path.write_bytes(b'P4\n1 1\n\x80')
    elif name == 'bmp-without-ext':
        # the 14-byte header of a BMP file ('BM', its size, the pixels' offset), then the start of its DIB header
        path.write_bytes(b'BM' + struct.pack('<IHHI', 142, 0, 0, 138) + struct.pack('<Iii', 124, 1, 1))
    elif name == 'rectangle.png':
        image.savePNG(str(path), _rectangle())
    else:
        raise KeyError(name)
    return str(path)


def _pillow():
    pytest.importorskip('PIL', reason='PNG and JPEG need Pillow (legonn[image])')


# ---- test.lua lines 1-37: the shared helpers ------------------------------------------------------------

def assertByteTensorEq(actual, expected, rcond=None, msg=None):
    """test.lua lines 12-15."""
    rcond = rcond or 1e-5
    tester.assertTensorEq(actual.double(), expected.double(), rcond, msg)


def toByteTensor(x):
    """test.lua lines 18-23."""
    y = lg.round(x)
    y[lg.le(x, 0)] = 0
    y[lg.ge(x, 255)] = 255
    return y.byte()


def toByteImage(x):
    """test.lua lines 26-28."""
    return toByteTensor(lg.mul(x, 255))


def testFunctionOnByteTensor(lena, f, msg):
    """test.lua lines 31-36."""
    lena = lena().float()
    expected = toByteImage(f(lena))
    actual = f(toByteImage(lena))
    assertByteTensorEq(actual, expected, None, msg)


testFunctionOnByteTensor.__test__ = False   # a helper of the Lua's, not a test: pytest would collect it by its name


# ---- Flip test ------------------------------------------------------------------------------------------

def test_FlipAgainstHFlip():
    """test.lua lines 45-91: image.flip along each dimension of 1- to 5-D tensors against image.hflip of the
    tensor with that dimension moved last (the flip dimension is 0-based here, docs/porting.md)."""
    for ndims in range(1, 6):
        for flip_dim in range(ndims):
            sz = []
            for i in range(ndims):
                sz.append(random.randint(5, 10))

            input = lg.rand(*sz)
            output = image.flip(input, flip_dim)

            # Now perform the same operation using HFLIP
            input_tran = input
            if flip_dim < ndims - 1:
                # First permute the flip dimension to X dim
                input_tran = input.transpose(flip_dim, ndims - 1).contiguous()
            # Now reshape it to 3D
            original_hflip_sz = input_tran.size()
            if ndims == 1:
                input_tran.resize(1, original_hflip_sz[0])
            if ndims > 3:
                sz1 = 1
                for i in range(ndims - 2):
                    sz1 = sz1 * original_hflip_sz[i]
                input_tran.resize(sz1, original_hflip_sz[input_tran.dim() - 2],
                                  original_hflip_sz[input_tran.dim() - 1])

            output_hflip = image.hflip(input_tran)

            # Put it back to Ndim
            output_hflip.resize(original_hflip_sz)

            if flip_dim < ndims - 1:
                # permute bacx the flip dimension
                output_hflip = output_hflip.transpose(flip_dim, ndims - 1).contiguous()

            err = output_hflip - output
            tester.asserteq(err.abs().max(), 0, 'error - bad flip! (ndims=' + str(ndims) + ',flip_dim='
                            + str(flip_dim) + ')')


# ---- Gaussian tests -------------------------------------------------------------------------------------

def naive_gaussian(args):
    """test.lua lines 97-134: the old gaussian of commit 71670e1, a loop over the kernel (dok.unpack of a
    table: the options as a dict, the defaults of its declaration)."""
    size = args.get('size', 3)
    sigma = args.get('sigma', 0.25)
    amplitude = args.get('amplitude', 1)
    normalize = args.get('normalize', False)
    width = args.get('width', size)
    height = args.get('height', size)
    sigma_horz = args.get('sigma_horz', sigma)
    sigma_vert = args.get('sigma_vert', sigma)
    mean_horz = args.get('mean_horz', 0.5)
    mean_vert = args.get('mean_vert', 0.5)

    # local vars
    center_x = mean_horz * width + 0.5
    center_y = mean_vert * height + 0.5

    # generate kernel: the Lua's two loops over (i, j), 1-based, as one NumPy expression over the same values
    # (the 480 x 640 loop of tensor writes, run twice, takes about 15 s here; the porting guide shrinks past ~3 s)
    i = np.arange(1, height + 1, dtype=np.float64)[:, None]
    j = np.arange(1, width + 1, dtype=np.float64)[None, :]
    gauss = lg.Tensor(amplitude * np.exp(-(np.power((j - center_x) / (sigma_horz * width), 2) / 2
                                           + np.power((i - center_y) / (sigma_vert * height), 2) / 2)))
    if normalize:
        gauss.div(gauss.sum())
    return gauss


def test_gaussian():
    """test.lua lines 136-164."""
    sigma_horz = 0.1 + random.random() * 0.3  # [0.1, 0.4]
    sigma_vert = 0.1 + random.random() * 0.3  # [0.1, 0.4]
    mean_horz = 0.1 + random.random() * 0.8  # [0.1, 0.9]
    mean_vert = 0.1 + random.random() * 0.8  # [0.1, 0.9]
    width = 640
    height = 480
    amplitude = 10

    for normalize in (True, False):
        im1 = image.gaussian({'amplitude': amplitude, 'normalize': normalize, 'width': width, 'height': height,
                              'sigma_horz': sigma_horz, 'sigma_vert': sigma_vert, 'mean_horz': mean_horz,
                              'mean_vert': mean_vert})

        im2 = naive_gaussian({'amplitude': amplitude, 'normalize': normalize, 'width': width, 'height': height,
                              'sigma_horz': sigma_horz, 'sigma_vert': sigma_vert, 'mean_horz': mean_horz,
                              'mean_vert': mean_vert})

        tester.assertlt(im1.add(-1, im2).sum(), precision, "Incorrect gaussian")


def test_byteGaussian():
    """test.lua lines 167-177: image.gaussian written into a ByteTensor is the FloatTensor one rounded."""
    expected = toByteTensor(image.gaussian({'amplitude': 1000, 'tensor': lg.FloatTensor(5, 5)}))
    actual = image.gaussian({'amplitude': 1000, 'tensor': lg.ByteTensor(5, 5)})
    assertByteTensorEq(actual, expected)


# ---- Gaussian pyramid test ------------------------------------------------------------------------------

def test_gaussianpyramid():
    """test.lua lines 183-194."""
    # Char, Short and Int tensors not supported.
    types = ['torch.ByteTensor', 'torch.FloatTensor', 'torch.DoubleTensor']
    for type in types:
        output, = image.gaussianpyramid(lg.rand(8, 8).type(type), [0.5])
        tester.assert_(output.type() == type, 'Type ' + type + ' produces a different output.')


# ---- Scale test -----------------------------------------------------------------------------------------

def outerProduct(x):
    """test.lua lines 199-202."""
    x = lg.Tensor(x)
    return lg.ger(x, x)


def test_bilinearUpscale():
    """test.lua lines 205-210."""
    im = outerProduct([1, 2, 4, 2])
    expected = outerProduct([1, 1.5, 2, 3, 4, 3, 2])
    actual = image.scale(im, expected.size(1), expected.size(0), 'bilinear')
    tester.assertTensorEq(actual, expected, 1e-5)


def test_bilinearDownscale():
    """test.lua lines 213-218."""
    im = outerProduct([1, 2, 4, 2])
    expected = outerProduct([1.25, 3, 2.5])
    actual = image.scale(im, expected.size(1), expected.size(0), 'bilinear')
    tester.assertTensorEq(actual, expected, 1e-5)


def test_bicubicUpscale():
    """test.lua lines 221-226."""
    im = outerProduct([1, 2, 4, 2])
    expected = outerProduct([1, 1.4375, 2, 3.1875, 4, 3.25, 2])
    actual = image.scale(im, expected.size(1), expected.size(0), 'bicubic')
    tester.assertTensorEq(actual, expected, 1e-5)


def test_bicubicDownscale():
    """test.lua lines 229-234."""
    im = outerProduct([1, 2, 4, 2])
    expected = outerProduct([1, 3.1875, 2])
    actual = image.scale(im, expected.size(1), expected.size(0), 'bicubic')
    tester.assertTensorEq(actual, expected, 1e-5)


def test_bicubicUpscale_ByteTensor():
    """test.lua lines 237-242."""
    im = lg.ByteTensor([[0, 1, 32]])
    expected = lg.ByteTensor([[0, 0, 9, 32]])
    actual = image.scale(im, expected.size(1), expected.size(0), 'bicubic')
    assertByteTensorEq(actual, expected)


def test_bilinearUpscale_ByteTensor():
    """test.lua lines 245-254."""
    im = lg.ByteTensor([[1, 2],
                        [2, 3]])
    expected = lg.ByteTensor([[1, 2, 2],
                              [2, 3, 3],
                              [2, 3, 3]])
    actual = image.scale(im, expected.size(1), expected.size(0))
    assertByteTensorEq(actual, expected)


# ---- flip tests (lines 260-287: two tests, each run for vflip and hflip) --------------------------------

def _test_transformation_largeByteImage(fabio, flip):
    """test.lua lines 261-273 (``flip_tests.test_transformation_largeByteImage``)."""
    x_real = fabio().double().mul(255)
    x_byte = x_real.clone().byte()

    assert x_byte.size(0) > 256 and x_byte.size(1) > 256, \
        'Tricky case only occurs for images larger than 256 px, pick another example'

    f_real = getattr(image, flip)(x_real)
    f_byte = getattr(image, flip)(x_byte)
    assertByteTensorEq(f_real.byte(), f_byte, 1e-16, flip + ':  result for double and byte images do not match')


def _test_inplace(lena, flip):
    """test.lua lines 275-281 (``flip_tests.test_inplace``)."""
    im = lena()
    not_inplace = getattr(image, flip)(im)
    in_place = im.clone()
    getattr(image, flip)(in_place, in_place)
    tester.assertTensorEq(in_place, not_inplace, 1e-16, flip + ': result in-place does not match result not in-place')


def test_test_transformation_largeByteImage_vflip(fabio):
    """test.lua lines 261-273 and 283-287, for vflip."""
    _test_transformation_largeByteImage(fabio, 'vflip')


def test_test_transformation_largeByteImage_hflip(fabio):
    """test.lua lines 261-273 and 283-287, for hflip."""
    _test_transformation_largeByteImage(fabio, 'hflip')


def test_test_inplace_vflip(lena):
    """test.lua lines 275-281 and 283-287, for vflip."""
    _test_inplace(lena, 'vflip')


def test_test_inplace_hflip(lena):
    """test.lua lines 275-281 and 283-287, for hflip."""
    _test_inplace(lena, 'hflip')


def test_test_vflip_simple():
    """test.lua lines 289-305."""
    im_even = lg.Tensor([[1, 2], [3, 4]])
    expected_even = lg.Tensor([[3, 4], [1, 2]])
    x_even = image.vflip(im_even)
    tester.assertTensorEq(expected_even, x_even, 1e-16, 'vflip: fails on even size')
    # test inplace
    image.vflip(im_even, im_even)
    tester.assertTensorEq(expected_even, im_even, 1e-16, 'vflip: fails on even size in place')

    im_odd = lg.Tensor([[1, 2], [3, 4], [5, 6]])
    expected_odd = lg.Tensor([[5, 6], [3, 4], [1, 2]])
    x_odd = image.vflip(im_odd)
    tester.assertTensorEq(expected_odd, x_odd, 1e-16, 'vflip: fails on odd size')
    # test inplace
    image.vflip(im_odd, im_odd)
    tester.assertTensorEq(expected_odd, im_odd, 1e-16, 'vflip: fails on odd size in place')


def test_test_hflip_simple():
    """test.lua lines 307-323."""
    im_even = lg.Tensor([[1, 2], [3, 4]])
    expected_even = lg.Tensor([[2, 1], [4, 3]])
    x_even = image.hflip(im_even)
    tester.assertTensorEq(expected_even, x_even, 1e-16, 'hflip: fails on even size')
    # test inplace
    image.hflip(im_even, im_even)
    tester.assertTensorEq(expected_even, im_even, 1e-16, 'hflip: fails on even size in place')

    im_odd = lg.Tensor([[1, 2, 3], [4, 5, 6]])
    expected_odd = lg.Tensor([[3, 2, 1], [6, 5, 4]])
    x_odd = image.hflip(im_odd)
    tester.assertTensorEq(expected_odd, x_odd, 1e-16, 'hflip: fails on odd size')
    # test inplace
    image.hflip(im_odd, im_odd)
    tester.assertTensorEq(expected_odd, im_odd, 1e-16, 'hflip: fails on odd size in place')


# ---- decompress jpg test --------------------------------------------------------------------------------

def toBlob(filename):
    """test.lua lines 532-542 (also lines 354-362 of CompareLoadAndDecompress): a file's bytes as a
    ByteTensor."""
    with open(filename, 'rb') as f:
        return lg.ByteTensor(np.frombuffer(f.read(), np.uint8).copy())


def test_CompareLoadAndDecompress(assets, lena):
    """test.lua lines 328-365. grace_hopper_512.jpg is the picture of ``lena`` saved by image.saveJPG. The
    graphicsmagick part (lines 339-352) runs only where that Lua package is installed: it is not ported."""
    _pillow()
    # This test breaks if someone removes lena from the repo
    imfile = asset(assets, 'grace_hopper_512.jpg', lena)

    # Load lena directly from the filename
    img = image.loadJPG(imfile)

    # Now load the raw binary from the source file into a ByteTensor
    img_binary = toBlob(imfile)

    # Now decompress the image from the ByteTensor
    img_from_tensor = image.decompressJPG(img_binary)

    tester.assertlt((img_from_tensor - img).abs().max(), precision, 'images from load and decompress dont match! ')


def test_LoadInvalid():
    """test.lua lines 367-377."""
    _pillow()
    # Make sure nothing nasty happens if we try and load a "garbage" tensor
    file_size_bytes = 1000
    img_binary = lg.rand(file_size_bytes).mul(255).byte()

    # Now decompress the image from the ByteTensor
    tester.assertError(lambda: image.decompressJPG(img_binary), 'A non-nil was returned on an invalid input!')


# ---- compress jpg test ----------------------------------------------------------------------------------

def test_CompressAndDecompress(lena):
    """test.lua lines 383-410."""
    _pillow()
    # This test is unfortunately a correlated test: it will only be valid
    # if decompressJPG is OK.  However, since decompressJPG has it's own unit
    # test, this is problably fine.

    img = lena()

    quality = 100
    img_compressed = image.compressJPG(img, quality)
    size_100 = img_compressed.size(0)
    img_decompressed = image.decompressJPG(img_compressed)
    err = img_decompressed - img

    # Now in general we will get BIG compression artifacts (even at quality=100)
    # but they will be relatively small, so instead of a abs():max() test, we do
    # a mean and std test.
    mean_err = err.mean()
    std_err = err.std()
    tester.assertlt(mean_err, precision_mean, 'compressJPG error is too high! ')
    tester.assertlt(std_err, precision_std, 'compressJPG error is too high! ')

    # Also check that the quality setting scales the size of the compressed image
    quality = 25
    img_compressed = image.compressJPG(img, quality)
    size_25 = img_compressed.size(0)
    tester.assertlt(size_25, size_100, 'compressJPG quality setting error! ')


def test_CompressAndDecompressPNG(lena):
    """test.lua lines 412-423."""
    _pillow()
    img = lena()

    img_compressed_png = image.compressPNG(img)
    img_compressed_png.size(0)
    img_decompressed_png = image.decompressPNG(img_compressed_png)
    err_png = img_decompressed_png - img
    mean_err_png = err_png.mean()
    std_err_png = err_png.std()
    tester.assertlt(mean_err_png, precision_mean, 'compressPNG error is too high! ')
    tester.assertlt(std_err_png, precision_std, 'compressPNG error is too high! ')


# ---- Lab conversion test --------------------------------------------------------------------------------

def testRoundtrip(lena, forward, backward):
    """test.lua lines 429-433."""
    expected = lena()
    actual = backward(forward(expected))
    tester.assertTensorEq(actual, expected, 1e-4)


testRoundtrip.__test__ = False   # a helper of the Lua's, not a test: pytest would collect it by its name


def test_rgb2lab(lena):
    """test.lua lines 436-438."""
    testRoundtrip(lena, image.rgb2lab, image.lab2rgb)


def test_rgb2hsv(lena):
    """test.lua lines 441-443."""
    testRoundtrip(lena, image.rgb2hsv, image.hsv2rgb)


def test_rgb2hsl(lena):
    """test.lua lines 446-448."""
    testRoundtrip(lena, image.rgb2hsl, image.hsl2rgb)


def test_rgb2y():
    """test.lua lines 451-456."""
    x = lg.FloatTensor([[[1, 0, 0], [0, 1, 0], [0, 0, 1]]]).transpose(0, 2)
    actual = image.rgb2y(x)
    expected = lg.FloatTensor([[[0.299], [0.587], [0.114]]])
    tester.assertTensorEq(actual, expected, 1e-5)


def test_y2jet():
    """test.lua lines 459-464. y2jet's levels are 0-based in legonn (docs/porting.md's image.y2jet row): the
    Lua's levels 1 .. 10 are 0 .. 9 here."""
    levels = lg.Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) - 1
    expected = image.jetColormap(10)
    actual = image.y2jet(levels)[:, 0, :].t()
    tester.assertTensorEq(actual, expected, 1e-5)


def test_rgb2labByteTensor(lena):
    """test.lua lines 467-471."""
    lena = lena().byte()
    tester.assertError(lambda: image.rgb2lab(lena))
    tester.assertError(lambda: image.lab2rgb(lena))


def testByteTensorRoundtrip(lena, forward, backward, cond, msg):
    """test.lua lines 474-479."""
    lena = toByteImage(lena())
    expected = lena
    actual = backward(forward(expected))
    assertByteTensorEq(actual, expected, cond, msg)


testByteTensorRoundtrip.__test__ = False   # a helper of the Lua's, not a test: pytest would collect it by its name


def test_toFromByteTensor(lena):
    """test.lua lines 482-486 (its ``msg`` is an undefined global there: nil)."""
    expected = toByteImage(lena().float())
    actual = toByteImage(expected.float().div(255))
    assertByteTensorEq(actual, expected, None, None)


def test_rgb2hsvByteTensor(lena):
    """test.lua lines 489-494."""
    testFunctionOnByteTensor(lena, image.rgb2hsv, 'image.rgb2hsv error for ByteTensor')
    testFunctionOnByteTensor(lena, image.hsv2rgb, 'image.hsv2rgb error for ByteTensor')
    testByteTensorRoundtrip(lena, image.rgb2hsv, image.hsv2rgb, 3, 'image.rgb2hsv roundtrip error for ByteTensor')


def test_rgb2hslByteTensor(lena):
    """test.lua lines 497-502."""
    testFunctionOnByteTensor(lena, image.rgb2hsl, 'image.hsl2rgb error for ByteTensor')
    testFunctionOnByteTensor(lena, image.hsl2rgb, 'image.rgb2hsl error for ByteTensor')
    testByteTensorRoundtrip(lena, image.rgb2hsl, image.hsl2rgb, 3, 'image.rgb2hsl roundtrip error for ByteTensor')


def test_rgb2yByteTensor(lena):
    """test.lua lines 505-507."""
    testFunctionOnByteTensor(lena, image.rgb2y, 'image.rgb2y error for ByteTensor')


def test_y2jetByteTensor():
    """test.lua lines 510-515 (levels 0-based, as test_y2jet)."""
    levels = lg.Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) - 1
    expected = toByteImage(image.y2jet(levels))
    actual = image.y2jet(levels.byte())
    assertByteTensorEq(actual, expected, None)


# ---- PNG test -------------------------------------------------------------------------------------------

def checkPNG(imfile, depth, tensortype, want):
    """test.lua lines 544-551."""
    img = image.load(imfile, depth, tensortype)
    # Tensors have to be converted to double, since assertTensorEq does not support ByteTensor
    assertByteTensorEq(img, want, precision_mean, '%s: pixel values are unexpected' % imfile)


def test_LoadPNG(assets):
    """test.lua lines 553-581. The files are made as the comments describe them: 8-bit ones with image.savePNG,
    16-bit ones by hand."""
    _pillow()
    # Gray 8-bit PNG image with width = 3, height = 1
    gray8byte = lg.ByteTensor([[[0, 127, 255]]])
    checkPNG(asset(assets, 'gray3x1.png'), 1, 'byte', gray8byte)

    gray8double = lg.DoubleTensor([[[0, 127 / 255, 1]]])
    checkPNG(asset(assets, 'gray3x1.png'), 1, 'double', gray8double)

    # Gray 16-bit PNG image with width=1, height = 2
    gray16byte = lg.ByteTensor([[[0], [255]]])
    checkPNG(asset(assets, 'gray16-1x2.png'), 1, 'byte', gray16byte)

    gray16float = lg.FloatTensor([[[0], [65534 / 65535]]])
    checkPNG(asset(assets, 'gray16-1x2.png'), 1, 'float', gray16float)

    # Color 8-bit PNG image with width = 2, height = 1
    rgb8byte = lg.ByteTensor([[[255, 0]], [[0, 127]], [[63, 0]]])
    checkPNG(asset(assets, 'rgb2x1.png'), 3, 'byte', rgb8byte)

    rgb8float = lg.FloatTensor([[[1, 0]], [[0, 127 / 255]], [[63 / 255, 0]]])
    checkPNG(asset(assets, 'rgb2x1.png'), 3, 'float', rgb8float)

    # Color 16-bit PNG image with width = 2, height = 1
    rgb16byte = lg.ByteTensor([[[255, 0]], [[0, 127]], [[63, 0]]])
    checkPNG(asset(assets, 'rgb16-2x1.png'), 3, 'byte', rgb16byte)

    rgb16float = lg.FloatTensor([[[1, 0]], [[0, 32767 / 65535]], [[16383 / 65535, 0]]])
    checkPNG(asset(assets, 'rgb16-2x1.png'), 3, 'float', rgb16float)


def test_DecompressPNG(assets):
    """test.lua lines 583-590."""
    _pillow()
    tester.assertTensorEq(image.load(asset(assets, 'rgb2x1.png')),
                          image.decompressPNG(toBlob(asset(assets, 'rgb2x1.png'))), precision_mean,
                          'decompressed and loaded images should be equal')


def test_LoadCorruptedPNG(assets):
    """test.lua lines 592-598. The error is Pillow's, reported as legonn's 'cannot decode' (png.c reports
    libpng's 'Error during init_io'): docs/porting.md's PNG row."""
    _pillow()
    tester.assertErrorPattern(lambda: image.load(asset(assets, 'corrupt-ihdr.png')), 'cannot decode',
                              'corrupted image should not be loaded or unexpected error message')


# ---- PPM test -------------------------------------------------------------------------------------------

def test_test_ppmload(assets):
    """test.lua lines 603-617."""
    # test.ppm is a 100x1 "French flag" like image, i.e the first pixel is blue
    # the 84 next pixels are white and the 15 last pixels are red.
    # This makes possible to implement a non regression test vs. the former
    # PPM loader which had for effect to skip the first 85 pixels because of
    # a header parser bug
    img = image.load(asset(assets, 'P6.ppm'))
    pix = img[:, 0:1, 0:1]

    # Check the first pixel is blue
    ref = lg.zeros(3, 1, 1)
    ref[2][0][0] = 1
    tester.assertTensorEq(pix, ref, 0, "PPM load: first pixel check failed")


def test_test_pgmaload(assets):
    """test.lua lines 620-634."""
    # ascii.ppm is a PGMA file (ascii pgm)
    img = image.load(asset(assets, 'P2.pgm'), 1, 'byte')
    max_gray = 15  # 4th line of ascii.pgm
    ascii_val = 3  # pixel (2,2) in the file
    pix_val = (255 * ascii_val) // max_gray

    pix = img[0][1][1]

    # Check that Pixel(1, 2,2) == 3
    ref = pix_val
    tester.asserteq(pix, ref, "PGMA load: pixel check failed")


def test_test_pgmload(assets):
    """test.lua lines 636-647."""
    # test.ppm is a 100x1 "French flag" like image, i.e the first pixel is blue
    # the 84 next pixels are white and the 15 last pixels are red.
    # This makes possible to implement a non regression test vs. the former
    # PPM loader which had for effect to skip the first 85 pixels because of
    # a header parser bug
    img = image.load(asset(assets, 'P5.pgm'))
    pix = img[:, 0:1, 0:1]

    ref = lg.zeros(1, 1, 1)
    ref[0][0][0] = 0.07
    tester.assertTensorEq(pix, ref, 0.001, "PPM load: first pixel check failed")


def test_test_pbmload(assets):
    """test.lua lines 649-656."""
    # test.pbm is a Portable BitMap (not supported)
    tester.assertErrorPattern(lambda: image.loadPPM(asset(assets, 'P4.pbm')), "unsupported magic number",
                              "PBM format should not be loaded or unexpected error message")


# ---- Load unknown image type without extension test -----------------------------------------------------

def test_LoadUnknownImageTypeWithoutExtension(assets):
    """test.lua lines 661-667."""
    tester.assertErrorPattern(lambda: image.load(asset(assets, 'bmp-without-ext')),
                              "unable to determine image type for file",
                              "unknown image type should not be loaded or unexpected error message")


# ---- Text drawing test ----------------------------------------------------------------------------------

def test_test_textdraw():
    """test.lua lines 672-685."""
    pytest.skip("image.drawText is not provided (docs/porting.md's image.drawText row): it draws with "
                "torch/image's font.c bitmap font, which legonn does not copy")


# ---- Text drawing rect ----------------------------------------------------------------------------------

def test_test_drawRect(assets):
    """test.lua lines 690-707. drawRect's corners are 0-based in legonn (docs/porting.md's image.y2jet and
    drawRect row): the Lua's (5, 5, 10, 20) are (4, 4, 9, 19). rectangle.png is made by ``_rectangle``."""
    _pillow()
    types = {"torch.ByteTensor": "byte", "torch.DoubleTensor": "double", "torch.FloatTensor": "float"}
    for k, v in types.items():
        bg = lg.zeros(3, 24, 12).type(k)
        if k == 'torch.ByteTensor':
            bg.fill(3)
        else:
            bg.fill(3 / 255)
        img = image.drawRect(bg, 4, 4, 9, 19, {'color': [255, 0, 255]})
        checkPNG(asset(assets, "rectangle.png"), 3, v, img)
