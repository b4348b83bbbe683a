"""legonn.image's files against torch/image's init.lua (load/save dispatch, todepth, clampImage, the
'byte'/'float'/'double' scaling) and its ppm.c / png.c / jpeg.c conventions. PNG and JPEG need Pillow."""
import struct
import sys
import zlib

import numpy as np
import pytest

import legonn as lg
from legonn import image
from tests.image.png_files import png16_file, png_chunk


def rgb_bytes(shape=(3, 5, 7), seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


def ppm_c_save(planes):
    """ppm.c save's loop: bytes[j++] = data[k*H*W + i], channels innermost, after its header."""
    c, h, w = planes.shape
    flat = planes.reshape(c, h * w)
    body = bytes(int(flat[k, i]) for i in range(h * w) for k in range(c))
    return (b'P6\n%d %d\n255\n' if c == 3 else b'P5\n%d %d\n255\n') % (w, h) + body


def clamp_image(x):
    """init.lua clampImage: a copy in double, saturated to [0, 1], times 255; the C savers' cast truncates."""
    out = np.zeros(x.shape, np.uint8)
    for idx in np.ndindex(*x.shape):
        v = min(max(float(x[idx]), 0.0), 1.0) * 255
        out[idx] = int(v)
    return out


# --- PPM / PGM ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('channels,ext', [(3, 'ppm'), (1, 'pgm')])
def test_ppm_pgm_round_trips_bytes_and_floats(tmp_path, channels, ext):
    """ppm.c save writes P6/P5 with maxval 255, channels interleaved; loadPPM returns C x H x W, floats
    divided by 255 (init.lua's mul(1/MAXVAL) in the tensor's precision)."""
    planes = rgb_bytes((channels, 5, 7))
    path = tmp_path / f'x.{ext}'
    image.save(str(path), planes)
    assert path.read_bytes() == ppm_c_save(planes)
    loaded = image.load(str(path), None, 'byte')
    assert loaded.type() == 'legonn.ByteTensor'
    np.testing.assert_array_equal(loaded.numpy(), planes)
    as_float = image.load(str(path), None, 'float')
    assert as_float.type() == 'legonn.FloatTensor'
    np.testing.assert_array_equal(as_float.numpy(), planes.astype(np.float32) * np.float32(1 / 255))
    as_double = image.load(str(path), None, 'double')
    np.testing.assert_array_equal(as_double.numpy(), planes * (1 / 255))
    # a float image saved goes through clampImage: loading a saved float load gives back the same bytes
    image.save(str(path), as_float)
    np.testing.assert_array_equal(image.load(str(path), None, 'byte').numpy(), planes)


def test_save_clamps_and_truncates_non_byte_images(tmp_path):
    """init.lua clampImage (saturate to [0, 1], then * 255) and the C's conversion to unsigned char."""
    x = np.array([[[-0.5, 0.0, 0.3, 0.5, 0.999, 1.0, 2.0]]], np.float64)
    path = tmp_path / 'c.pgm'
    image.savePGM(str(path), x)
    np.testing.assert_array_equal(image.loadPPM(str(path), None, 'byte').numpy(), clamp_image(x))
    assert list(clamp_image(x)[0, 0]) == [0, 0, 76, 127, 254, 255, 255]
    image.savePGM(str(path), x[0].astype(np.float32))   # H x W is one plane
    assert image.getSize(str(path)).tolist() == [1, 1, 7]


def test_ascii_and_commented_netpbm(tmp_path):
    """ppm.c: header numbers after separators and '#' comments; ASCII P2/P3 samples stored as 255 * c / maxval
    (integer division); binary samples taken as stored whatever the maxval."""
    p3 = tmp_path / 'a.ppm'
    p3.write_bytes(b'P3\n# a comment\n2 1\n15\n0 7 15  3 8 1\n')
    want = np.array([[[255 * 0 // 15, 255 * 3 // 15]], [[255 * 7 // 15, 255 * 8 // 15]],
                     [[255 * 15 // 15, 255 * 1 // 15]]], np.uint8)
    np.testing.assert_array_equal(image.load(str(p3), None, 'byte').numpy(), want)
    p2 = tmp_path / 'a.pgm'
    p2.write_bytes(b'P2 3 2 255\n1 2 3\n4 5 6\n')
    np.testing.assert_array_equal(image.load(str(p2), None, 'byte').numpy(), [[[1, 2, 3], [4, 5, 6]]])
    p5 = tmp_path / 'b.pgm'
    p5.write_bytes(b'P5\n2 2\n100\n' + bytes([10, 20, 99, 100]))
    np.testing.assert_array_equal(image.loadPPM(str(p5), None, 'byte').numpy(), [[[10, 20], [99, 100]]])
    assert image.getPPMsize(str(p3)) == (3, 1, 2)
    assert image.getSize(str(p2)).tolist() == [1, 2, 3]


def test_sixteen_bit_netpbm_is_big_endian(tmp_path):
    """A maxval above 255 means 2-byte samples (ppm.c); read most significant byte first, as Netpbm writes them
    (ppm.c reads the low byte first), and divided by 255 as loadPPM does."""
    path = tmp_path / 'w.pgm'
    path.write_bytes(b'P5\n2 1\n65535\n' + bytes([1, 2, 0, 255]))
    np.testing.assert_array_equal(image.load(str(path), None, 'double').numpy(), [[[258 / 255, 255 / 255]]])
    with pytest.raises(ValueError, match='image.loadPPM.*16-bit'):
        image.load(str(path), None, 'byte')


def test_netpbm_bad_input(tmp_path):
    """init.lua: savePPM takes 3xHxW only, savePGM 1xHxW or HxW; ppm.c: unsupported magic numbers, short
    files."""
    with pytest.raises(ValueError, match='image.savePPM'):
        image.savePPM(str(tmp_path / 'g.ppm'), rgb_bytes((1, 3, 3)))
    with pytest.raises(ValueError, match='image.savePGM'):
        image.savePGM(str(tmp_path / 'g.pgm'), rgb_bytes((3, 3, 3)))
    bad = tmp_path / 'b.ppm'
    bad.write_bytes(b'P4\n1 1\n\x00')
    with pytest.raises(ValueError, match="image.loadPPM: unsupported magic number: 'P4'.*P2, P3, P5 or P6"):
        image.loadPPM(str(bad))
    bad.write_bytes(b'P6\n4 4\n255\n' + bytes(10))
    with pytest.raises(ValueError, match='image.loadPPM.*truncated'):
        image.load(str(bad))


# --- load / save dispatch, types, depth -------------------------------------------------------------------

def test_load_tells_the_format_by_magic_then_extension(tmp_path):
    """init.lua load: the first bytes name jpg, png, pgm (P2/P5) or ppm (P3/P6) whatever the extension; else the
    extension; else 'unable to determine image type' / 'unknown image type'. save goes by the extension."""
    planes = rgb_bytes()
    path = tmp_path / 'x.ppm'
    image.save(str(path), planes)
    renamed = tmp_path / 'x.dat'
    renamed.write_bytes(path.read_bytes())
    np.testing.assert_array_equal(image.load(str(renamed), 3, 'byte').numpy(), planes)
    (tmp_path / 'noext').write_bytes(b'hello')
    with pytest.raises(ValueError, match='image.load: unable to determine image type for file'):
        image.load(str(tmp_path / 'noext'))
    (tmp_path / 'x.gif').write_bytes(b'GIF89a')
    with pytest.raises(ValueError, match="image.load.*unknown image type 'gif'"):
        image.load(str(tmp_path / 'x.gif'))
    with pytest.raises(ValueError, match="image.save.*unknown image type 'bmp'"):
        image.save(str(tmp_path / 'x.bmp'), planes)
    assert image.is_supported('JPEG') and image.is_supported('pgm') and not image.is_supported('Png')
    assert set(image.supported_filetypes) == {'jpg', 'JPG', 'jpeg', 'JPEG', 'png', 'PNG', 'ppm', 'PPM', 'pgm', 'PGM'}


def test_tensortype_default_is_the_default_tensor_type(tmp_path):
    """init.lua's template(nil) is torch.Tensor(): the default type, scaled as any non-byte type; an unknown
    type string is refused."""
    path = tmp_path / 'x.ppm'
    image.save(str(path), rgb_bytes())
    assert image.load(str(path)).type() == 'legonn.FloatTensor'
    lg.setdefaulttensortype('legonn.DoubleTensor')
    try:
        assert image.load(str(path)).type() == 'legonn.DoubleTensor'
    finally:
        lg.setdefaulttensortype('legonn.FloatTensor')
    with pytest.raises(ValueError, match="image.loadPPM: tensortype must be 'byte', 'float' or 'double'"):
        image.load(str(path), None, 'int')


@pytest.mark.parametrize('tensortype', ['byte', 'float', 'double'])
def test_depth_conversions(tmp_path, tensortype):
    """init.lua todepth: depth 1 of RGB is image.rgb2y's plane (0.299 r + 0.587 g + 0.114 b, a byte rounded
    by FromIntermediate) as H x W; depth 1 of grey stays 1 x H x W; depth 3 of grey repeats it; other
    depths keep the image."""
    rgb = rgb_bytes((3, 4, 6), 3)
    path = tmp_path / 'c.ppm'
    image.save(str(path), rgb)
    full = image.load(str(path), None, tensortype).numpy()
    y = image.load(str(path), 1, tensortype).numpy()
    want = np.zeros((4, 6))
    for j in range(4):
        for i in range(6):
            v = 0.299 * float(full[0, j, i]) + 0.587 * float(full[1, j, i]) + 0.114 * float(full[2, j, i])
            want[j, i] = min(max(int(np.float32(v) + np.float32(0.5)), 0), 255) if tensortype == 'byte' else v
    assert y.shape == (4, 6)
    np.testing.assert_allclose(y, want, rtol=1e-6)
    grey = tmp_path / 'g.pgm'
    image.save(str(grey), rgb[:1])
    assert image.load(str(grey), 1, tensortype).size() == (1, 4, 6)
    three = image.load(str(grey), 3, tensortype).numpy()
    np.testing.assert_array_equal(three, np.repeat(image.load(str(grey), None, tensortype).numpy(), 3, 0))
    assert image.load(str(path), 4, tensortype).size() == (3, 4, 6)


# --- PNG / JPEG through Pillow ----------------------------------------------------------------------------

@pytest.mark.parametrize('channels', [1, 3, 4])
def test_png_round_trips(tmp_path, channels):
    """png.c save (1, 3 or 4 channels, 8 bits) and load (C x H x W; float = byte / 255), lossless."""
    pytest.importorskip('PIL')
    planes = rgb_bytes((channels, 6, 5), channels)
    path = tmp_path / 'x.png'
    image.save(str(path), planes)
    np.testing.assert_array_equal(image.load(str(path), None, 'byte').numpy(), planes)
    as_float = image.loadPNG(str(path), None, 'float')
    np.testing.assert_array_equal(as_float.numpy(), planes.astype(np.float32) * np.float32(1 / 255))
    image.savePNG(str(path), as_float)
    np.testing.assert_array_equal(image.load(str(path), None, 'byte').numpy(), planes)
    assert image.getPNGsize(str(path)) == (channels, 6, 5)
    assert image.getSize(str(path)).tolist() == [channels, 6, 5]
    blob = image.compressPNG(planes)
    assert blob.type() == 'legonn.ByteTensor' and blob.dim() == 1
    assert bytes(blob.numpy()[:4]) == b'\x89PNG'
    np.testing.assert_array_equal(image.decompressPNG(blob, None, 'byte').numpy(), planes)
    np.testing.assert_array_equal(image.decompress(blob, None, 'byte').numpy(), planes)


def test_png_colour_types(tmp_path):
    """png.c load: grey+alpha gives 2 channels, a palette is expanded to RGB, 16-bit samples are divided by
    65535 (a ByteTensor keeps the high byte), 1-bit grey expands to 0/255."""
    Image = pytest.importorskip('PIL.Image')
    la = rgb_bytes((2, 3, 4), 5)
    Image.fromarray(la.transpose(1, 2, 0), 'LA').save(tmp_path / 'la.png')
    np.testing.assert_array_equal(image.load(str(tmp_path / 'la.png'), None, 'byte').numpy(), la)
    assert image.load(str(tmp_path / 'la.png'), 1, 'byte').size() == (1, 3, 4)
    rgb = rgb_bytes((3, 3, 4), 6)
    Image.fromarray(rgb.transpose(1, 2, 0)).quantize(8).save(tmp_path / 'p.png')
    palette = Image.open(tmp_path / 'p.png').convert('RGB')
    np.testing.assert_array_equal(image.load(str(tmp_path / 'p.png'), None, 'byte').numpy(),
                                  np.asarray(palette).transpose(2, 0, 1))
    wide = np.array([[0, 258, 65535], [4660, 1, 32768]], np.uint16)
    Image.fromarray(wide).save(tmp_path / 'w.png')
    np.testing.assert_allclose(image.load(str(tmp_path / 'w.png'), None, 'double').numpy(), wide[None] / 65535,
                               rtol=1e-12)
    np.testing.assert_array_equal(image.load(str(tmp_path / 'w.png'), None, 'byte').numpy(), (wide >> 8)[None])
    Image.fromarray(np.array([[True, False, True]])).save(tmp_path / 'b.png')
    np.testing.assert_array_equal(image.load(str(tmp_path / 'b.png'), None, 'byte').numpy(), [[[255, 0, 255]]])


@pytest.mark.parametrize('interlace', [0, 1])
@pytest.mark.parametrize('colour_type,channels', [(2, 3), (4, 2), (6, 4)])
def test_png_16_bit_colour(tmp_path, colour_type, channels, interlace):
    """png.c reads 16-bit RGB, grey+alpha and RGBA PNGs at 16 bits (torch/image test.lua's LoadPNG:
    32767/65535), which Pillow reads at 8 (and grey+alpha as RGBA): legonn decodes them itself (png16.py).
    Every filter and Adam7 interlacing come back exactly; the ByteTensor is the high bytes, which Pillow's own
    8-bit reading of the same file gives too; the size has png.c's channel count."""
    Image = pytest.importorskip('PIL.Image')
    samples = np.random.default_rng(colour_type + 10 * interlace).integers(0, 65536, (11, 13, channels))
    path = tmp_path / 'wide.png'
    path.write_bytes(png16_file(samples, colour_type, interlace))
    want = samples.transpose(2, 0, 1)
    np.testing.assert_allclose(image.load(str(path), None, 'double').numpy(), want / 65535, rtol=1e-15)
    assert image.loadPNG(str(path), None, 'float').type() == 'legonn.FloatTensor'
    high = image.load(str(path), None, 'byte').numpy()
    np.testing.assert_array_equal(high, want >> 8)
    pillow = np.asarray(Image.open(path)).transpose(2, 0, 1)
    # Pillow gives 16-bit grey+alpha as RGBA, the grey repeated
    np.testing.assert_array_equal(high, pillow[[0, 3]] if channels == 2 else pillow)
    assert image.getPNGsize(str(path)) == (channels, 11, 13)
    assert tuple(image.getSize(str(path))) == (channels, 11, 13)
    blob = lg.ByteTensor(np.frombuffer(path.read_bytes(), np.uint8).copy())
    np.testing.assert_array_equal(image.decompressPNG(blob, None, 'byte').numpy(), want >> 8)


def test_png_16_bit_colour_bad_files(tmp_path):
    """A 16-bit colour PNG with a bad IHDR (interlace 2), a filter type above 4, or image data cut short is a
    ValueError naming the function."""
    good = png16_file(np.zeros((2, 2, 3), np.int64), 2, 0)
    path = tmp_path / 'bad.png'
    path.write_bytes(good[:8] + png_chunk(b'IHDR', struct.pack('>IIBBBBB', 2, 2, 16, 2, 0, 0, 2)) + good[33:])
    with pytest.raises(ValueError, match=r'image\.loadPNG: cannot decode the PNG: its IHDR is invalid'):
        image.loadPNG(str(path))
    rows = b'\x07' + bytes(12) + b'\x00' + bytes(12)
    start, end = good.index(b'IDAT') - 4, good.index(b'IEND') - 4
    path.write_bytes(good[:start] + png_chunk(b'IDAT', zlib.compress(rows)) + good[end:])
    with pytest.raises(ValueError, match=r'image\.loadPNG: cannot decode the PNG: a row has a filter type'):
        image.loadPNG(str(path))
    path.write_bytes(good[:start] + png_chunk(b'IDAT', zlib.compress(rows[:13])) + good[end:])
    with pytest.raises(ValueError, match=r'image\.loadPNG: cannot decode the PNG: its image data is truncated'):
        image.load(str(path))


def test_png_16_bit_colour_chunk_crcs_checked_as_libpng(tmp_path):
    """png16.py read no chunk's CRC: a flipped byte in the image data was only zlib's "incorrect data check", one in
    the IHDR's height a wrong size, one in an ancillary chunk unseen. libpng's defaults: a critical chunk's CRC
    error is an error (png_chunk_error), before the chunk is used; an ancillary chunk's a warning, the chunk
    discarded."""
    samples = np.arange(2 * 3 * 4).reshape(2, 3, 4) * 1000
    good = png16_file(samples, 6, 0)
    path = tmp_path / 'crc.png'
    idat = good.index(b'IDAT') + 4
    stored = good[:idat - 8] + png_chunk(b'IDAT', zlib.compress(zlib.decompress(good[idat:good.index(b'IEND') - 8]),
                                                                  0)) + good[good.index(b'IEND') - 4:]
    path.write_bytes(stored)
    np.testing.assert_array_equal(image.loadPNG(str(path), None, 'double').numpy(), samples.transpose(2, 0, 1) / 65535)
    for chunk, offset in ((b'IDAT', 20), (b'IHDR', 5)):
        bad = bytearray(stored)
        bad[stored.index(chunk) + 4 + offset] ^= 0x10          # a byte of the chunk's data
        path.write_bytes(bytes(bad))
        with pytest.raises(ValueError, match=rf'image\.loadPNG: cannot decode the PNG: its {chunk.decode()} chunk '
                                             r'fails its CRC'):
            image.loadPNG(str(path))
    text = bytearray(png_chunk(b'tEXt', b'Comment\x00hello'))
    text[12] ^= 1
    path.write_bytes(stored[:33] + bytes(text) + stored[33:])
    with pytest.warns(UserWarning, match=r"image\.loadPNG: the PNG's tEXt chunk fails its CRC: ignored"):
        got = image.loadPNG(str(path), None, 'double')
    np.testing.assert_array_equal(got.numpy(), samples.transpose(2, 0, 1) / 65535)


@pytest.mark.parametrize('channels', [1, 3])
def test_jpeg_round_trips(tmp_path, channels):
    """jpeg.c save (1 or 3 channels; init.lua's quality 75, compressJPG's quality 0..100) and load: lossy, so
    compared loosely on a smooth image; a grey JPEG loads as 1 x H x W."""
    pytest.importorskip('PIL')
    yy, xx = np.mgrid[0:16, 0:24]
    planes = np.stack([xx * 5 + yy * 3 + 20 * k for k in range(channels)]).astype(np.uint8)
    path = tmp_path / 'x.jpg'
    image.save(str(path), planes)
    loaded = image.load(str(path), None, 'byte').numpy()
    assert loaded.shape == planes.shape
    assert np.abs(loaded.astype(int) - planes).mean() < 4
    assert image.getJPGsize(str(path)) == (channels, 16, 24)
    best = image.decompressJPG(image.compressJPG(planes, 100), None, 'float').numpy()
    assert np.abs(best * 255 - planes).mean() < 1.5
    small, large = image.compressJPG(planes, 5), image.compressJPG(planes, 95)
    assert small.nElement() < large.nElement()
    assert image.decompress(large, None, 'byte').size() == planes.shape


def test_png_jpeg_bad_input(tmp_path):
    """jpeg.c: 'quality should be between 0 and 100', 1 or 3 channels only; png.c: 1, 3 or 4 channels, a
    corrupt file is an error; init.lua: decompress takes a ByteTensor of JPEG or PNG bytes."""
    pytest.importorskip('PIL')
    with pytest.raises(ValueError, match='image.compressJPG.*quality'):
        image.compressJPG(rgb_bytes(), 101)
    with pytest.raises(ValueError, match='image.saveJPG.*1 or 3 channels'):
        image.saveJPG(str(tmp_path / 'x.jpg'), rgb_bytes((4, 3, 3)))
    with pytest.raises(ValueError, match='image.savePNG.*1 or 3 or 4 channels'):
        image.savePNG(str(tmp_path / 'x.png'), rgb_bytes((2, 3, 3)))
    with pytest.raises(TypeError, match='image.decompressPNG.*ByteTensor'):
        image.decompressPNG(lg.FloatTensor(10))
    with pytest.raises(ValueError, match='image.decompress.*JPEG or PNG'):
        image.decompress(lg.ByteTensor([1, 2, 3, 4, 5]))
    corrupt = tmp_path / 'corrupt.png'
    corrupt.write_bytes(b'\x89PNG\r\n\x1a\n' + bytes(40))
    with pytest.raises(ValueError, match='image.loadPNG: cannot decode'):
        image.load(str(corrupt))


def test_without_pillow_png_and_jpeg_name_the_extra(tmp_path, monkeypatch):
    """PNG and JPEG need the optional extra; PPM/PGM work without it."""
    monkeypatch.setitem(sys.modules, 'PIL', None)
    with pytest.raises(ImportError, match=r'image.savePNG.*pip install legonn\[image\]'):
        image.save(str(tmp_path / 'x.png'), rgb_bytes())
    with pytest.raises(ImportError, match=r'image.compressJPG.*pip install legonn\[image\]'):
        image.compressJPG(rgb_bytes())
    image.save(str(tmp_path / 'x.ppm'), rgb_bytes())
    assert image.load(str(tmp_path / 'x.ppm')).size() == (3, 5, 7)


@pytest.mark.gpu
def test_saving_a_cuda_tensor(tmp_path):
    """A CUDA image is saved from a host copy; images load as CPU tensors, as image.load's."""
    planes = rgb_bytes()
    image.save(str(tmp_path / 'x.ppm'), lg.from_numpy(planes).cudaByte())
    np.testing.assert_array_equal(image.load(str(tmp_path / 'x.ppm'), None, 'byte').numpy(), planes)
