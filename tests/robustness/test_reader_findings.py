"""One test per defect the file fuzzer (file_fuzz.py) found in legonn's readers of untrusted files: each crafted
file is refused with a ValueError naming the reader (or read as the format's own reader reads it), within a
bounded allocation and without a foreign exception."""
import gzip
import io
import re
import struct
import time
import zlib

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, csvigo, image, loadcaffe, mnist
from tests.image.png_files import png_chunk
from tests.serialization.test_archive_bounds import peak_bytes
from tests.test_loadcaffe import pool_param, v2_layer, write


def zeros_deflated(n):
    return zlib.compress(bytes(n), 9)


# --- Torch7 ---------------------------------------------------------------------------------------------------

def t7_int(v):
    return struct.pack('<i', v)


def t7_string(s):
    return t7_int(len(s)) + s


def test_t7_an_empty_tensor_with_a_negative_size_is_a_format_error(tmp_path):
    # found: sizes (-N, 0) skipped the reader's size check (an empty tensor) and reached the tensor's own
    # ValueError, which names neither the file nor the byte
    body = (t7_int(4) + t7_int(1) + t7_string(b'V 1') + t7_string(b'torch.FloatTensor') + t7_int(2)
            + struct.pack('<qqqqq', -5, 0, 1, 1, 1) + t7_int(0))
    (tmp_path / 'neg.t7').write_bytes(body)
    with pytest.raises(lg.FormatError, match=r'neg\.t7: a torch\.FloatTensor has negative sizes \[-5, 0\]'):
        lg.load_lua(tmp_path / 'neg.t7')


# --- PNG ------------------------------------------------------------------------------------------------------

def png_with(ihdr_size, idat, depth=16, colour=2, extra=b''):
    ihdr = struct.pack('>IIBBBBB', *ihdr_size, depth, colour, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', ihdr) + extra + png_chunk(b'IDAT', idat)
            + png_chunk(b'IEND', b''))


def test_png16_a_zlib_bomb_is_inflated_only_as_far_as_the_image_needs(tmp_path):
    # found: zlib.decompress inflated the whole IDAT, so 64 kB of file took 64 MB (gigabytes for a larger one)
    rows = b''.join(b'\0' + bytes(range(24)) for _ in range(3))
    bomb = zlib.compressobj(9)
    idat = bomb.compress(rows) + bomb.compress(bytes(64 << 20)) + bomb.flush()
    path = tmp_path / 'bomb.png'
    path.write_bytes(png_with((4, 3), idat))
    assert len(idat) < 100_000
    image.loadPNG(str(path))   # the decoder's first call loads its compiled code: not measured
    peak, loaded = peak_bytes(image.loadPNG, str(path), None, 'byte')
    assert peak < 4 << 20, peak
    np.testing.assert_array_equal(loaded.numpy()[:, 0, 0], [0, 2, 4])


def test_png16_a_huge_ihdr_is_refused_before_anything_is_allocated(tmp_path):
    # found: an IHDR of 2^31 x 2^31 16-bit RGB pixels allocated its int64 output first (an unbounded allocation)
    path = tmp_path / 'huge.png'
    path.write_bytes(png_with((1 << 31, 1 << 31), zeros_deflated(100)))
    with pytest.raises(ValueError, match=r'image\.loadPNG: cannot decode the PNG: its IHDR claims 2147483648 x '
                                         r'2147483648 pixels, more than the 178956970'):
        image.loadPNG(str(path))
    # within the pixel limit, a short stream is refused before the output is allocated
    path.write_bytes(png_with((10000, 10000), zeros_deflated(1 << 20)))
    peak, err = peak_bytes(image.loadPNG, str(path))
    assert isinstance(err, ValueError) and 'truncated' in str(err) and peak < 8 << 20, (peak, err)


def test_pillow_png_claiming_more_than_deflate_can_give_is_refused(tmp_path):
    # found: Pillow allocates the IHDR's whole image before reading the data: 100 bytes claiming 60000 x 60000
    # RGBA took gigabytes (or raised numpy's "array is too big")
    path = tmp_path / 'claim.png'
    path.write_bytes(png_with((60000, 60000), zeros_deflated(10), depth=8, colour=6))
    for fn in (image.load, image.getPNGsize):
        with pytest.raises(ValueError, match=r"image\.\w+: cannot decode .*claim\.png.*claims 60000 x 60000 pixels "
                                             r"\(14400060000 bytes of rows\), more than its \d+ bytes can inflate"):
            fn(str(path))


def test_pillow_exceptions_become_value_errors_naming_the_function(tmp_path):
    pytest.importorskip('PIL')
    # found: DecompressionBombError (an image of 400M 1-bit pixels, a file big enough for its rows) and
    # Pillow's raw ValueError for a short IHDR escaped as Pillow's own exceptions
    path = tmp_path / 'bomb.png'
    padding = png_chunk(b'tEXt', b'pad\0' + bytes(60_000))
    path.write_bytes(png_with((20000, 20000), zeros_deflated(10), depth=1, colour=0, extra=padding))
    with pytest.raises(ValueError, match=r'image\.loadPNG: cannot decode .*DecompressionBombError'):
        image.loadPNG(str(path))
    good = png_with((2, 2), zeros_deflated(6), depth=8, colour=0)
    short = good[:8] + struct.pack('>I', 5) + b'IHDR' + good[16:21] + struct.pack('>I', zlib.crc32(b'IHDR' +
                                                                                             good[16:21]))
    with pytest.raises(ValueError, match=r'image\.decompressPNG: cannot decode the given bytes: \w+'):
        image.decompressPNG(lg.ByteTensor(list(short)))


# --- PPM / PGM ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('data, match', [
    (b'P2 2 1 0\n1 1\n', 'has maxval 0, expected 1 to 65535'),   # found: a division by zero (a NumPy warning)
    (b'P2 2 1 255\n1 x\n', r"has the sample b'x', expected a decimal integer"),   # found: int()'s ValueError
    (b'P2 2 1 255\n1 ' + b'9' * 5000 + b'\n', 'expected a decimal integer from 0 to 2147483647'),  # OverflowError
    (b'P5 ' + b'9' * 200_000 + b' 1 255\n', 'a header number .* is past 2147483647'),   # found: quadratic time
])
def test_ppm_malformed_numbers_are_refused(tmp_path, data, match):
    path = tmp_path / 'x.pgm'
    path.write_bytes(data)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r'image\.loadPPM: .*' + match):
        image.loadPPM(str(path))
    assert time.perf_counter() - start < 1.0


# --- cjson, csvigo ----------------------------------------------------------------------------------------------

def test_cjson_decode_refuses_bytes_that_are_not_utf8_and_deep_nesting():
    # found: a raw UnicodeDecodeError and a RecursionError
    with pytest.raises(ValueError, match=r'cjson\.decode: byte 3 \(1-based\) is not UTF-8'):
        cjson.decode(b'["\xff"]')
    with pytest.raises(ValueError, match=r'cjson\.decode: found too many nested data structures'):
        cjson.decode(b'[' * 100_000)
    nested = cjson.decode('[' * 200 + '1' + ']' * 200)   # nesting within the limit still decodes
    for _ in range(200):
        nested, = nested
    assert nested == 1


def test_cjson_decode_reads_an_integer_past_pythons_digit_limit_as_strtod_does():
    # found: int()'s "Exceeds the limit (4300 digits)" ValueError; lua-cjson reads every number with strtod
    assert cjson.decode('[' + '9' * 5000 + ', -' + '1' * 5000 + ']') == [float('inf'), float('-inf')]
    assert cjson.decode('12345678901234567890') == 12345678901234567890


def test_csvigo_reads_bytes_that_are_not_utf8_as_replacement_characters(tmp_path):
    # found: a raw UnicodeDecodeError; 'large' mode already read them as U+FFFD
    path = tmp_path / 'x.csv'
    path.write_bytes(b'a,b\n\xff1,2\n')
    assert csvigo.load(path=str(path), mode='raw', verbose=False) == [['a', 'b'], ['\ufffd1', '2']]
    assert csvigo.load(path=str(path), mode='large', verbose=False)[1] == ['\ufffd1', '2']


# --- mnist ------------------------------------------------------------------------------------------------------

def idx_header(*dims):
    return (0x800 + len(dims)).to_bytes(4, 'big') + b''.join(d.to_bytes(4, 'big') for d in dims)


def write_both(tmp_path, data, suffix=''):
    for name in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'):
        (tmp_path / (name + suffix)).write_bytes(data)


def test_mnist_a_corrupt_gzip_file_is_a_value_error(tmp_path):
    # found: gzip.BadGzipFile, zlib.error and EOFError escaped
    good = gzip.compress(idx_header(2, 3) + bytes(6), mtime=0)
    for bad in (good[:2] + b'\x07' + good[3:], good[:10] + b'\xff' * 8, good[:15]):   # method, deflate, cut
        write_both(tmp_path, bad, '.gz')
        with pytest.raises(ValueError, match=r'mnist: .*train-images-idx3-ubyte\.gz: not a readable gzip file'):
            mnist.traindataset(tmp_path)


def test_mnist_a_gzip_bomb_is_inflated_only_as_far_as_its_header_says(tmp_path):
    # found: gzip's read() inflated the whole file: 64 kB took 64 MB (gigabytes for a larger one)
    write_both(tmp_path, gzip.compress(idx_header(2, 3) + bytes(range(6)) + bytes(64 << 20), mtime=0), '.gz')
    peak, data = peak_bytes(mnist.traindataset, tmp_path)
    assert peak < 8 << 20, peak
    assert data.size == 2 and data.data.numpy().tolist() == [[0, 1, 2], [3, 4, 5]]


def test_mnist_sizes_whose_product_overflows_int64_and_too_many_dimensions_are_refused(tmp_path):
    # found: np.prod wrapped around (sizes 2^31 x 2^31 x 2^31 gave a small count, then NumPy's reshape error);
    # more than 64 dimensions reached NumPy's "maximum supported dimension" error
    write_both(tmp_path, idx_header(1 << 31, 1 << 31, 1 << 31) + bytes(64))
    with pytest.raises(ValueError, match=r'mnist: .*truncated: expected 9903520314283042199192993792 data bytes'):
        mnist.traindataset(tmp_path)
    write_both(tmp_path, idx_header(*[1] * 65) + b'\0')
    with pytest.raises(ValueError, match=r"mnist: .*at most NumPy's 64 dimensions\), got 0x00000841"):
        mnist.traindataset(tmp_path)


# --- loadcaffe ------------------------------------------------------------------------------------------------

def test_loadcaffe_a_module_refusing_a_layers_sizes_names_the_layer(tmp_path, capsys):
    # found: a pooling kernel of 0 raised SpatialMaxPooling's own error, naming neither loadcaffe nor the layer
    prototxt, model = write(tmp_path, v2_layer('pool1', 'Pooling', pool_param(121, 0, 0, 2)))
    with pytest.raises(ValueError, match=r"loadcaffe: layer 'pool1' \(type Pooling\): SpatialMaxPooling: kW must "
                                         r"be a positive integer, got 0"):
        loadcaffe.load(prototxt, model)


def test_t7_an_ascii_number_too_large_for_its_storage_is_a_format_error(tmp_path):
    # found: NumPy's OverflowError escaped when an ascii file's LongStorage held 2^70
    for storage, value in (('Long', 2 ** 70), ('Int', 2 ** 40), ('Short', -40000)):
        name = f'torch.{storage}Storage'.encode()
        (tmp_path / 'big.t7').write_bytes(b'4\n1\n3\nV 1\n%d\n%s\n2\n7 %d\n' % (len(name), name, value))
        match = rf'big\.t7: the data of a {storage}Storage: a number does not fit its int\d+ values \(at byte'
        with pytest.raises(lg.FormatError, match=match):
            lg.load_lua(tmp_path / 'big.t7')


def test_hdf5_a_null_dataspace_is_a_value_error_naming_the_call(tmp_path):
    # found: a dataset of h5py's Empty (no dataspace) reached the tensor factory (a TypeError naming neither
    # hdf5 nor the dataset); dataspaceSize and repr iterated None
    h5py = pytest.importorskip('h5py')
    from legonn import hdf5
    with h5py.File(tmp_path / 'e.h5', 'w') as f:
        f['e'] = h5py.Empty('f')
    f = hdf5.open(str(tmp_path / 'e.h5'), 'r')
    for call in ('all', 'dataspaceSize'):
        with pytest.raises(ValueError, match=rf"HDF5DataSet\.{call} \('/e' in .*e\.h5'\): the dataset has a null "
                                             r"dataspace"):
            getattr(f.read('e'), call)()
    with pytest.raises(ValueError, match=r"HDF5DataSet\.partial .*null dataspace"):
        f.read('e').partial([0, 0])
    assert repr(f.read('e')) == '[HDF5DataSet /e float32 null]'
    f.close()


def test_hdf5_a_dataset_declared_but_never_written_is_read_only_within_the_files_bound(tmp_path):
    # found: a 1.4 kB file declaring a 2^20 x 2^20 float64 dataset it never wrote (HDF5 gives its fill value)
    # made all() allocate 8 TiB, as torch-hdf5 would; reads are now bounded by what the file's bytes can code
    h5py = pytest.importorskip('h5py')
    from legonn import hdf5
    with h5py.File(tmp_path / 'huge.h5', 'w') as f:
        f.create_dataset('d', shape=(1 << 20, 1 << 20), dtype='f8', fillvalue=2.5)
    size = (tmp_path / 'huge.h5').stat().st_size
    f = hdf5.open(str(tmp_path / 'huge.h5'), 'r')
    d = f.read('d')
    peak, err = peak_bytes(d.all)
    assert peak < 1 << 20, peak
    assert isinstance(err, ValueError) and re.match(
        rf"HDF5DataSet\.all \('/d' in .*huge\.h5'\): reading 1048576x1048576 values needs 8796093022208 bytes, "
        rf"more than a file of {size} bytes can code \(1032 per byte", str(err)), err
    with pytest.raises(ValueError, match=r"HDF5DataSet\.partial .*reading 4096x1048576 values needs"):
        d.partial([0, 4095], [0, -1])
    # a block within the bound reads the fill value, as HDF5 gives it
    assert d.partial([5, 6], [0, 2047]).numpy().tolist() == [[2.5] * 2048] * 2
    assert d.dataspaceSize() == [1 << 20, 1 << 20]
    f.close()


def test_t7_an_empty_tensor_whose_other_sizes_overflow_is_a_format_error(tmp_path):
    # found: sizes (0, 2^62, 2^62) made NumPy's "array is too big" ValueError, naming neither file nor byte
    body = (t7_int(4) + t7_int(1) + t7_string(b'V 1') + t7_string(b'torch.FloatTensor') + t7_int(3)
            + struct.pack('<qqqqqqq', 0, 1 << 62, 1 << 62, 1, 1, 1, 1) + t7_int(0))
    (tmp_path / 'wide.t7').write_bytes(body)
    with pytest.raises(lg.FormatError, match=r'wide\.t7: a torch\.FloatTensor of sizes \[0, 4611686018427387904, '
                                             r'4611686018427387904\] is larger than NumPy allows'):
        lg.load_lua(tmp_path / 'wide.t7')


def jpeg_claiming(width, height, progressive=False):
    """A 16 x 16 JPEG whose frame header is rewritten to claim ``width`` x ``height`` pixels."""
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(buf, 'JPEG', progressive=progressive)
    data = bytearray(buf.getvalue())
    at = data.index(b'\xff\xc2' if progressive else b'\xff\xc0')
    data[at + 5:at + 9] = struct.pack('>HH', height, width)
    return bytes(data)


def test_a_jpeg_claiming_more_pixels_than_its_bytes_can_code_is_refused(tmp_path):
    pytest.importorskip('PIL')
    # found: libjpeg pads a short scan, so a 631-byte file claiming 13000 x 13000 pixels loaded as a 3 x 13000 x
    # 13000 tensor (3 GB of RSS)
    for progressive in (False, True):
        data = jpeg_claiming(13000, 13000, progressive)
        (tmp_path / 'big.jpg').write_bytes(data)
        for fn in (image.load, image.getJPGsize):
            with pytest.raises(ValueError, match=r"image\.\w+: cannot decode .*big\.jpg.*frame header claims 13000 x "
                                                 rf"13000 pixels, more than its {len(data)} bytes can code"):
                fn(str(tmp_path / 'big.jpg'))
    # a claim within what the bytes can code still decodes, as libjpeg pads it
    assert tuple(image.decompressJPG(lg.ByteTensor(list(jpeg_claiming(200, 100))), None, 'byte').size()) == \
        (3, 100, 200)
