"""PNG and JPEG files through Pillow (the optional extra ``legonn[image]``), with torch/image's png.c and
jpeg.c conventions: channels first, grey ``1 x H x W``, grey+alpha 2 channels, RGBA 4; 16-bit PNG samples
scaled by 65535 (a ByteTensor keeps their high byte; 16-bit colour PNGs are decoded by png16.py, as Pillow
reads them at 8 bits); files or in-memory ByteTensors of the encoded bytes."""
import io
import struct

import numpy as np

from ..extras import optional_module
from ..tensor import as_tensor, backend
from . import png16
from .samples import clamped_bytes, to_depth, typed_image

PNG_MAGIC, JPG_MAGIC = b'\x89PNG', b'\xff\xd8\xff'


def _pillow(name):
    """The PIL.Image module, or an ImportError naming ``image.<name>`` and the extra to install."""
    return optional_module('PIL.Image', 'image', 'pillow', f'image.{name}',
                           'reads and writes PNG and JPEG through Pillow')


def _source_bytes(name, source):
    """The encoded bytes of a file path or of a ByteTensor of them."""
    if isinstance(source, (str, bytes)) or hasattr(source, '__fspath__'):
        with open(source, 'rb') as f:
            return f.read()
    return _encoded_bytes(name, source)


def _decoded(name, source, read, data=None):
    """``read(image)`` of the Pillow image decoded from ``source`` (whose bytes are ``data`` when given); a file
    Pillow cannot decode (corrupt, or not a PNG/JPEG) is a ValueError naming ``image.<name>``."""
    Image = _pillow(name)
    data = _source_bytes(name, source) if data is None else data
    what = repr(source) if isinstance(source, str) else 'the given bytes'
    if data.startswith(PNG_MAGIC) and len(data) >= 26 and data[12:16] == b'IHDR':
        _check_png_size(name, what, data)
    elif data.startswith(JPG_MAGIC):
        _check_jpeg_size(name, what, data)
    try:
        with Image.open(io.BytesIO(data)) as img:
            return read(img)
    except MemoryError:
        raise
    except Exception as err:  # noqa: BLE001  (Pillow's decoders raise OSError, SyntaxError, ValueError,
        # struct.error, EOFError, IndexError, DecompressionBombError... on a corrupt file)
        raise ValueError(f"image.{name}: cannot decode {what}: {type(err).__name__}: {err}") from err


# bits per pixel of a sample, per PNG colour type: grey, RGB, palette index, grey+alpha, RGBA
_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# deflate's largest ratio of inflated to compressed bytes (a 258-byte match coded in under 2 bits, plus headers)
_DEFLATE_RATIO = 1032


def _check_png_size(name, what, data):
    """Refuse a PNG whose IHDR claims more pixel bytes than its file could inflate to: Pillow allocates the whole
    image before reading the data, so a 100-byte file claiming 60000 x 60000 pixels would take gigabytes."""
    width, height, depth, colour = struct.unpack('>IIBB', data[16:26])
    row = 1 + (width * depth * _PNG_SAMPLES.get(colour, 1) + 7) // 8   # a filter byte, then the samples
    if height * row > _DEFLATE_RATIO * len(data):
        raise ValueError(f"image.{name}: cannot decode {what}: its IHDR claims {width} x {height} pixels "
                         f"({height * row} bytes of rows), more than its {len(data)} bytes can inflate to")


# the Huffman-coded frame markers (SOF0-3, SOF5-7); the arithmetic-coded ones are bounded by Pillow's limit only
_HUFFMAN_FRAMES = (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7)
# a JPEG's pixels per byte at most: a component covers at least 1/16 of the image (sampling factors are 1..4),
# in 8 x 8 blocks each coded in at least one bit (its DC code)
_JPEG_PIXELS_PER_BYTE = 16 * 64 * 8


def _check_jpeg_size(name, what, data):
    """Refuse a Huffman-coded JPEG whose frame header claims more pixels than its bytes could code: libjpeg pads a
    short scan, so a 600-byte file claiming 13000 x 13000 pixels would load as a 500 MB image (3 GB as a
    tensor)."""
    pos = 2
    while pos + 9 <= len(data):
        if data[pos] != 0xFF or data[pos + 1] == 0xFF:
            pos += 1   # as libjpeg's next_marker: stray bytes before a marker and fill bytes are skipped
            continue
        marker = data[pos + 1]
        if marker in _HUFFMAN_FRAMES:
            height, width = struct.unpack('>HH', data[pos + 5:pos + 9])
            if height * width > _JPEG_PIXELS_PER_BYTE * len(data):
                raise ValueError(f"image.{name}: cannot decode {what}: its frame header claims {width} x {height} "
                                 f"pixels, more than its {len(data)} bytes can code")
            return
        if marker == 0xDA or 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return   # a scan before any frame (Pillow refuses it) or an arithmetic-coded frame
        pos += 2 if 0xD0 <= marker <= 0xD8 or marker == 0x01 else 2 + int.from_bytes(data[pos + 2:pos + 4], 'big')


def _encoded_bytes(name, tensor):
    """The bytes held by a 1-D ByteTensor (or uint8 array), or the error naming ``image.<name>``."""
    t = as_tensor(tensor)
    if t.array.dtype != np.uint8:
        raise TypeError(f"image.{name}: expected a ByteTensor of compressed bytes, got {t.type()}")
    return backend.to_module(t.array, np).tobytes()


def _samples(img):
    """(``C x H x W`` integer samples, their maximum) of a decoded Pillow image, as png.c / jpeg.c give them:
    palettes become RGB, 1-bit grey 0/255, 16-bit grey its 16-bit values."""
    if img.mode in ('I;16', 'I;16B', 'I;16L', 'I'):
        arr = np.asarray(img).astype(np.int64)
        return arr[None], 65535
    if img.mode == 'P':
        img = img.convert('RGB')
    elif img.mode == '1':
        img = img.convert('L')
    elif img.mode not in ('L', 'LA', 'RGB', 'RGBA', 'CMYK'):
        img = img.convert('RGB')
    arr = np.asarray(img)
    return (arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)), 255


def _load(name, source, depth, tensortype):
    data = _source_bytes(name, source)
    if png16.is_wide_colour(data):
        # Pillow would give these 8 bits per sample
        samples, maxval = png16.decode(name, data), 65535
    else:
        samples, maxval = _decoded(name, source, _samples, data)
    if maxval == 65535 and tensortype == 'byte':
        samples = samples >> 8   # png.c reads a 16-bit file's high byte into a ByteTensor
        maxval = 255
    return to_depth(name, typed_image(name, samples, tensortype, maxval), depth)


def _channels(img):
    """The channel count ``_samples`` gives for a Pillow image, from its header."""
    return {'L': 1, '1': 1, 'I;16': 1, 'I;16B': 1, 'I;16L': 1, 'I': 1, 'LA': 2, 'RGBA': 4, 'CMYK': 4}.get(img.mode, 3)


def _size(name, filename):
    data = _source_bytes(name, filename)
    if png16.is_wide_colour(data):
        # Pillow counts 16-bit grey+alpha as RGBA
        return png16.size(data)
    return _decoded(name, filename, lambda img: (_channels(img), img.height, img.width), data)


def _encode(name, tensor, fmt, channels, **params):
    """The encoded bytes of ``tensor`` clamped as ``save`` does."""
    Image = _pillow(name)
    planes = clamped_bytes(name, tensor, channels)
    pixels = planes[0] if planes.shape[0] == 1 else planes.transpose(1, 2, 0)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, fmt, **params)
    return buffer.getvalue()


def _check_quality(name, quality):
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 0 <= quality <= 100:
        raise ValueError(f"image.{name}: quality must be an integer between 0 and 100, got {quality!r}")
    return int(quality)


def loadPNG(filename, depth=None, tensortype=None):
    """A PNG file as a ``C x H x W`` tensor (see ``load`` for ``depth`` and ``tensortype``)."""
    return _load('loadPNG', filename, depth, tensortype)


def loadJPG(filename, depth=None, tensortype=None):
    """A JPEG file as a ``C x H x W`` tensor (see ``load`` for ``depth`` and ``tensortype``)."""
    return _load('loadJPG', filename, depth, tensortype)


def decompressPNG(tensor, depth=None, tensortype=None):
    """The image encoded by the PNG bytes in a ByteTensor (as ``compressPNG`` gives)."""
    return _load('decompressPNG', tensor, depth, tensortype)


def decompressJPG(tensor, depth=None, tensortype=None):
    """The image encoded by the JPEG bytes in a ByteTensor (as ``compressJPG`` gives)."""
    return _load('decompressJPG', tensor, depth, tensortype)


def decompress(tensor, depth=None, tensortype=None):
    """The image encoded in a ByteTensor of JPEG or PNG bytes, told by their magic number."""
    data = _encoded_bytes('decompress', tensor)
    if data.startswith(JPG_MAGIC):
        return decompressJPG(tensor, depth, tensortype)
    if data.startswith(PNG_MAGIC):
        return decompressPNG(tensor, depth, tensortype)
    raise ValueError(f"image.decompress: expected JPEG or PNG bytes, got a tensor starting {data[:4]!r}")


def savePNG(filename, tensor):
    """Write an image of 1, 3 or 4 channels (``C x H x W``, or ``H x W``) as an 8-bit PNG."""
    with open(filename, 'wb') as f:
        f.write(_encode('savePNG', tensor, 'PNG', (1, 3, 4)))


def saveJPG(filename, tensor):
    """Write an image of 1 or 3 channels as a JPEG of quality 75 (init.lua's)."""
    with open(filename, 'wb') as f:
        f.write(_encode('saveJPG', tensor, 'JPEG', (1, 3), quality=75))


def compressPNG(tensor):
    """A 1-D ByteTensor of the PNG encoding of an image of 1, 3 or 4 channels."""
    return as_tensor(np.frombuffer(_encode('compressPNG', tensor, 'PNG', (1, 3, 4)), np.uint8).copy())


def compressJPG(tensor, quality=75):
    """A 1-D ByteTensor of the JPEG encoding (``quality`` 0..100) of an image of 1 or 3 channels."""
    quality = _check_quality('compressJPG', quality)
    data = _encode('compressJPG', tensor, 'JPEG', (1, 3), quality=quality)
    return as_tensor(np.frombuffer(data, np.uint8).copy())


def getPNGsize(filename):
    """``(C, H, W)`` of a PNG file, from its header."""
    return _size('getPNGsize', filename)


def getJPGsize(filename):
    """``(C, H, W)`` of a JPEG file, from its header."""
    return _size('getJPGsize', filename)
