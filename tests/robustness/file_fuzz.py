"""A seeded mutation fuzzer for legonn's readers of untrusted files, each case run in a worker process held to a
memory limit and a timeout, so that a segfault, a hang or a runaway allocation is caught and named.

Readers fuzzed (``READERS``): ``t7`` (``lg.load_lua`` of Torch7 files, binary and ascii), ``png``, ``jpg`` and
``ppm`` (legonn.image's ``load``, ``loadPNG``/``loadJPG``/``loadPPM``, ``decompressPNG``/``decompressJPG`` and
the ``get*size`` readers; 16-bit colour PNGs go through png16.py), ``cjson`` (``cjson.decode``), ``csvigo``
(``csvigo.load``), ``mnist`` (IDX files, plain and gzipped), ``caffe`` (``loadcaffe.load`` of a
``.caffemodel``), ``prototxt`` (loadcaffe's text-format parser) and ``matio`` (``matio.load`` of MAT v5/v7
files, compressed or not). legonn.tds reads files only through the
Torch7 reader (its containers are among the t7 seeds); legonn.hdf5 leaves the bytes to h5py. Seeds are real
files made by legonn's writers (or, for Torch7, the fixtures Torch7 wrote); each case applies one to three
mutations to a seed: bit flips, cuts, inserted, deleted or repeated bytes, and field edits that write extreme
values (0, -1, 2^31 - 1, 2^32 - 1, 2^63 - 1...) over the format's lengths and counts (little- or big-endian
words, protobuf varints, decimal numbers in text formats), plus crafted cases per reader (a zlib bomb, a PNG
header claiming 2^31 x 2^31 pixels, a JPEG frame claiming up to 65535 x 65535, chunk lengths past the end,
deep nesting of JSON, prototxt messages and Torch7 tables).

Each outcome is one of: ``loaded`` (the reader returned), ``refused`` (a ValueError, legonn's FormatError
included, whose message names the reader: what legonn promises for a bad file) or a finding: ``crash`` (the
worker died, e.g. by SIGSEGV), ``hang`` (no answer within the timeout), ``memory`` (MemoryError under the
worker's address-space limit, ``MEMORY_LIMIT``), or ``raw`` (any other exception: a foreign one, a
RecursionError, or a ValueError that does not name the reader). Cases are reproducible: case ``i`` of
reader ``r`` under seed ``s`` draws from ``random.Random(f'{s}:{r}:{i}')``.

Campaign (keep it under ~5 minutes on a shared machine)::

    python -m tests.robustness.file_fuzz --seconds 30 [--seed 0] [--save DIR] [reader ...]

runs each reader for ``--seconds`` (or ``--cases N`` cases), prints per-reader counts and each distinct
finding, and with ``--save`` writes each finding's input to DIR. tests/robustness/test_file_fuzz.py runs a
60 to 150 cases per reader in CI (under 30 s in all).
"""
import argparse
import gzip
import io
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T7_FIXTURES = os.path.join(ROOT, 'tests', 'serialization', 't7_fixtures')
MEMORY_LIMIT = 3 << 29          # 1.5 GiB of address space: a few-kB file must load in far less
CASE_TIMEOUT = 10.0             # seconds: every seed loads in milliseconds
FINDINGS = ('crash', 'hang', 'memory', 'raw')
INTERESTING = (0, 1, 2, 7, 8, 255, 256, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
               0x100000000, 2 ** 53, 2 ** 62, 2 ** 63 - 1, -1, -2, -(2 ** 31), -(2 ** 63))


# --- seeds ---------------------------------------------------------------------------------------------------

def _png_chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))


def _png(width, height, depth, colour, body, interlace=0):
    """A PNG of one IDAT holding ``body`` (already filtered rows) compressed."""
    ihdr = struct.pack('>IIBBBBB', width, height, depth, colour, 0, 0, interlace)
    return (b'\x89PNG\r\n\x1a\n' + _png_chunk(b'IHDR', ihdr) + _png_chunk(b'IDAT', zlib.compress(body))
            + _png_chunk(b'IEND', b''))


def _t7_seeds():
    import legonn as lg
    from legonn import nn
    seeds = []
    for name in sorted(os.listdir(T7_FIXTURES)):
        if name.endswith(('.t7', '.net')):
            with open(os.path.join(T7_FIXTURES, name), 'rb') as f:
                seeds.append(f.read())
    net = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).add(nn.Linear(4, 2))
    shared = lg.FloatTensor(2, 3).uniform()
    values = {'net': net, 'view': shared, 'again': shared, 'list': [1, 2.5, 'x', True], 'nested': {'a': {'b': []}}}
    for fmt in ('binary', 'ascii'):
        for obj in (net, values, lg.LongTensor([[1, 2], [3, 4]]).t()):
            out = io.BytesIO()
            lg.save_lua(out, obj, format=fmt)
            seeds.append(out.getvalue())
    return seeds


def _image_samples(rng, channels, height=7, width=5, bits=8):
    return rng.integers(0, 1 << bits, size=(channels, height, width)).astype(np.float64) / ((1 << bits) - 1)


def _encoded(fmt, planes, **params):
    from PIL import Image
    pixels = (planes * 255).round().astype(np.uint8)
    pixels = pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt, **params)
    return out.getvalue()


def _png_seeds():
    from PIL import Image
    rng = np.random.default_rng(0)
    seeds = [_encoded('PNG', _image_samples(rng, c)) for c in (1, 3, 4)]
    seeds.append(_encoded('PNG', _image_samples(rng, 3), optimize=True))
    palette = Image.fromarray((_image_samples(rng, 1)[0] * 15).astype(np.uint8), 'P')
    palette.putpalette(list(range(48)))
    out = io.BytesIO()
    palette.save(out, 'PNG')
    seeds.append(out.getvalue())
    for colour, channels in ((2, 3), (4, 2), (6, 4), (0, 1)):   # 16-bit: png16.py's, and Pillow's grey
        for interlace in (0, 1):
            samples = rng.integers(0, 65536, size=(9, 6, channels)).astype('>u2')
            rows = b''.join(b'\0' + samples[r].tobytes() for r in range(9))
            if interlace:
                from legonn.image.png16 import ADAM7
                rows = b''
                for r0, c0, dr, dc in ADAM7:
                    part = samples[r0::dr, c0::dc]
                    if part.size:
                        rows += b''.join(b'\0' + row.tobytes() for row in part)
            seeds.append(_png(6, 9, 16, colour, rows, interlace))
    return seeds


def _jpg_seeds():
    rng = np.random.default_rng(1)
    return [_encoded('JPEG', _image_samples(rng, c, 12, 10), quality=q) for c in (1, 3) for q in (20, 90)] + [
        _encoded('JPEG', _image_samples(rng, 3, 12, 10), progressive=True)]


def _ppm_seeds():
    rng = np.random.default_rng(2)
    seeds = []
    for magic, channels in ((b'P6', 3), (b'P5', 1)):
        for maxval in (255, 65535):
            dtype = '>u2' if maxval > 255 else np.uint8
            body = rng.integers(0, maxval + 1, size=(4, 5, channels)).astype(dtype).tobytes()
            seeds.append(b'%s\n# a comment\n5 4\n%d\n' % (magic, maxval) + body)
    for magic, channels in ((b'P3', 3), (b'P2', 1)):
        words = rng.integers(0, 16, size=4 * 5 * channels)
        seeds.append(b'%s\n5 4\n15\n' % magic + b' '.join(b'%d' % w for w in words) + b'\n')
    return seeds


def _cjson_seeds():
    return [b'{"a":[1,2,3.5,-4e10,true,false,null],"b":{"c":"d\\u00e9\\n","e":[[],[{}]]}}',
            b'[' * 40 + b'1' + b']' * 40, b'"\\ud83d\\ude00 text"', b'[NaN, Infinity, -Infinity, 1e308, 123456789012]']


def _csvigo_seeds():
    return [b'name,age,score\nann,31,4.5\n"b, ob",27,"x""y"\n', b'1,2,3\n4,5,6\r\n7,8,9\n',
            b'a b  c\n1 2 3\n']


def _idx(array):
    return (0x800 + array.ndim).to_bytes(4, 'big') + b''.join(int(d).to_bytes(4, 'big') for d in array.shape) + \
        array.astype(np.uint8).tobytes()


def _mnist_seeds():
    rng = np.random.default_rng(3)
    images, labels = rng.integers(0, 256, size=(6, 5, 4)), rng.integers(0, 10, size=6)
    plain = [_idx(images), _idx(labels)]
    return plain + [gzip.compress(raw, mtime=0) for raw in plain]


def _prototxt_seeds():
    return [b'name: "net"\ninput: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 13\ninput_dim: 13\n'
            b'layer {\n  name: "conv1"\n  type: "Convolution"\n  bottom: "data"\n  top: "conv1"\n'
            b'  convolution_param { num_output: 8 kernel_size: 3 stride: 2 pad: [1, 1] }\n}\n'
            b'layers < name: "fc" type: INNER_PRODUCT inner_product_param { num_output: 10 bias_term: true } >\n'
            b'layer { name: "drop" type: "Dropout" dropout_param { dropout_ratio: 0.5e0 } }  # a comment\n']


def _caffe_seeds():
    sys.path.insert(0, ROOT)
    from tests.test_loadcaffe import alexnet, lenet
    return [lenet()[0], alexnet()[0]]


def _matio_seeds():
    import legonn as lg
    from legonn import matio
    seeds = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, 'seed.mat')
        for compression in (matio.ffi.COMPRESSION_ZLIB, matio.ffi.COMPRESSION_NONE):
            matio.compression = compression
            matio.save(path, {'a': lg.from_numpy(np.arange(6.).reshape(2, 3)), 'i': lg.IntTensor(2, 3, 2).fill(7),
                              's': 'text', 'b': True, 'st': {'n': 4, 'inner': {'c': lg.ByteTensor(3).fill(1)}}})
            with open(path, 'rb') as f:
                seeds.append(f.read())
        matio.compression = matio.ffi.COMPRESSION_ZLIB
    return seeds


# --- what each reader is asked: each function gives the calls made on a case's file, each run on its own ---

def _bytes_tensor(path):
    import legonn as lg
    with open(path, 'rb') as f:
        return lg.ByteTensor(list(f.read()))


def _run_t7(path):
    import legonn as lg
    return [lambda: lg.load_lua(path), lambda: lg.load_lua(path, convert=False),
            lambda: lg.load(path, mode='b32')]   # a 4-byte long, as Windows' Torch7 wrote


def _run_png(path):
    from legonn import image
    return [lambda: image.load(path), lambda: image.getPNGsize(path),
            lambda: image.decompressPNG(_bytes_tensor(path), None, 'byte')]


def _run_jpg(path):
    from legonn import image
    return [lambda: image.load(path), lambda: image.getJPGsize(path),
            lambda: image.decompressJPG(_bytes_tensor(path), None, 'byte')]


def _run_ppm(path):
    from legonn import image
    return [lambda: image.load(path), lambda: image.getPPMsize(path)]


def _run_cjson(path):
    from legonn import cjson
    with open(path, 'rb') as f:
        data = f.read()
    return [lambda: cjson.decode(data)]


def _run_csvigo(path):
    from legonn import csvigo
    return [lambda mode=mode: list(csvigo.load(path=path, mode=mode, verbose=False))
            for mode in ('tidy', 'raw', 'large')] + [lambda: csvigo.load(path=path, mode='query', verbose=False)]


def _run_mnist(path):
    from legonn import mnist

    def read():
        folder = os.path.dirname(path)
        with open(path, 'rb') as f:
            gz = '.gz' if f.read(2) == b'\x1f\x8b' else ''
        names = [os.path.join(folder, name + gz) for name in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte')]
        for name in names:   # the same file as images and labels: as many of each
            shutil.copyfile(path, name)
        try:
            mnist.traindataset(folder)
        finally:
            for name in names:
                os.remove(name)
    return [read]


def _run_matio(path):
    from legonn import matio

    def strings():
        matio.use_lua_strings = True
        try:
            return matio.load(path)
        finally:
            matio.use_lua_strings = False
    return [lambda: matio.load(path), lambda: matio.load(path, 'a'), strings]


def _run_caffe(path):
    from legonn import loadcaffe
    return [lambda: loadcaffe.load(None, path)]


def _run_prototxt(path):
    from legonn.loadcaffe import text_format
    return [lambda: text_format.parse_file(path)]


# --- mutations -----------------------------------------------------------------------------------------------

def _flip(rng, data, spec):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def _cut(rng, data, spec):
    return data[:rng.randrange(len(data))]


def _insert(rng, data, spec):
    at = rng.randrange(len(data) + 1)
    if rng.random() < 0.5:
        extra = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
    else:
        extra = bytes([rng.choice((0, 0xFF, 0x7F, 0x80, ord('9')))]) * rng.randint(1, 256)
    return data[:at] + extra + data[at:]


def _delete(rng, data, spec):
    at = rng.randrange(len(data))
    return data[:at] + data[at + rng.randint(1, 64):]


def _repeat(rng, data, spec):
    start = rng.randrange(len(data))
    piece = data[start:start + rng.randint(1, 64)]
    at = rng.randrange(len(data) + 1)
    return data[:at] + piece * rng.randint(1, 8) + data[at:]


def _word(rng, data, spec):
    """An extreme value over a word of the format's length fields (4 or 8 bytes, the format's byte order)."""
    size = rng.choice((4, 4, 8))
    if len(data) < size:
        return data
    at = rng.randrange(0, len(data) - size + 1)
    if rng.random() < 0.7:
        at -= at % 4   # lengths and counts sit on 4-byte boundaries in the binary formats fuzzed here
    value = rng.choice(INTERESTING) + rng.choice((0, 0, 1, -1))
    word = (value % (1 << 8 * size)).to_bytes(size, spec.byteorder)
    return data[:at] + word + data[at + size:]


def _varint(rng, data, spec):
    """A protobuf varint of an extreme value written over the bytes at a random place."""
    value = rng.choice(INTERESTING) % (1 << 64)
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            break
    at = rng.randrange(len(data))
    return data[:at] + bytes(out) + data[at + len(out):]


_NUMBER = re.compile(rb'-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')


def _number(rng, data, spec):
    """An extreme decimal number in place of one the text holds (a count, a size, a sample)."""
    found = list(_NUMBER.finditer(data))
    if not found:
        return data
    m = rng.choice(found)
    new = rng.choice([b'%d' % v for v in INTERESTING] + [b'9' * 400, b'9' * 5000, b'1e999', b'-0', b'0.5'])
    return data[:m.start()] + new + data[m.end():]


def _nest(rng, data, spec):
    """Deep nesting: many opening brackets (JSON, prototxt's message braces) at a random place."""
    opener = rng.choice(spec.openers)
    at = rng.randrange(len(data) + 1)
    return data[:at] + opener * rng.choice((100, 1000, 10 ** 5)) + data[at:]


def _t7_deep(rng, data, spec):
    """A binary Torch7 object wrapped in nested one-entry tables (``{[1] = {[1] = ... object}}``), 100 to
    25,000 deep, their indices kept apart from the object's."""
    if data[:1].isdigit():
        return data   # ascii: left to the other mutations
    depth = rng.choice((100, 5000, 19000, 25000))   # load_lua allows 20000 levels of recursion
    wrap = b''.join(struct.pack('<iiiid', 3, (1 << 30) + i, 1, 1, 1.0) for i in range(depth))
    return wrap + data


def _jpeg_frame(rng, data, spec):
    """A JPEG's frame header (SOF0/SOF2) claiming another size: 0, 1, or up to 65535 x 65535 pixels."""
    at = max(data.find(b'\xff\xc0'), data.find(b'\xff\xc2'))
    if at < 0 or at + 9 > len(data):
        return data
    height, width = (rng.choice((0, 1, 5000, 13000, 40000, 65535)) for _ in range(2))
    return data[:at + 5] + struct.pack('>HH', height, width) + data[at + 9:]


def _png_chunks(rng, data, spec):
    """A PNG's chunks rewritten: a huge IHDR size, a chunk length past the end, or an IDAT replaced by a zlib
    bomb (a few kB inflating to hundreds of MB), each with its CRC recomputed."""
    pos, chunks = 8, []
    while pos + 12 <= len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        chunks.append([kind, data[pos + 8:pos + 8 + length]])
        pos += 12 + length
    if not chunks:
        return data
    choice = rng.randrange(4)
    if choice == 0 and chunks[0][0] == b'IHDR' and len(chunks[0][1]) == 13:
        w, h = (rng.choice((1 << 31, (1 << 32) - 1, 1 << 16, 100000, 1)) for _ in range(2))
        chunks[0][1] = struct.pack('>II', w, h) + chunks[0][1][8:]
    elif choice == 1:
        bomb = zlib.compressobj(9)
        body = bomb.compress(bytes(1 << 20)) * rng.choice((16, 256)) + bomb.flush()
        chunks = [c for c in chunks if c[0] != b'IDAT']
        chunks.insert(1, [b'IDAT', body])
        if chunks[0][0] == b'IHDR' and len(chunks[0][1]) == 13 and rng.random() < 0.5:
            chunks[0][1] = struct.pack('>II', 8192, 8192) + chunks[0][1][8:]
    out = b'\x89PNG\r\n\x1a\n' + b''.join(_png_chunk(k, d) for k, d in chunks)
    if choice == 2:   # a chunk whose length runs past the end of the file
        at = 8 + sum(12 + len(d) for _, d in chunks[:rng.randrange(len(chunks))])
        out = out[:at] + struct.pack('>I', rng.choice((0x7FFFFFFF, 0xFFFFFFFF, len(out)))) + out[at + 4:]
    return out


@dataclass
class Reader:
    """A reader fuzzed: its seed files, the function that reads a path, the file suffix, the words that a clean
    refusal's message holds, the byte order of its binary fields and its crafted mutations."""
    name: str
    seeds: object
    run: object
    suffix: str
    names: tuple
    byteorder: str = 'little'
    crafted: tuple = ()
    openers: tuple = (b'[',)
    text: bool = False


_BINARY = (_flip, _cut, _insert, _delete, _repeat, _word)
_TEXT = (_flip, _cut, _insert, _delete, _repeat, _number)

READERS = {r.name: r for r in (
    Reader('t7', _t7_seeds, _run_t7, '.t7', ('case.t7',), crafted=(_number, _t7_deep)),
    Reader('png', _png_seeds, _run_png, '.png', ('image.',), 'big', crafted=(_png_chunks, _png_chunks)),
    Reader('jpg', _jpg_seeds, _run_jpg, '.jpg', ('image.',), 'big', crafted=(_jpeg_frame,)),
    Reader('ppm', _ppm_seeds, _run_ppm, '.ppm', ('image.',), 'big', crafted=(_number, _number)),
    Reader('cjson', _cjson_seeds, _run_cjson, '.json', ('cjson.',), crafted=(_nest,), openers=(b'[', b'{"a":'),
           text=True),
    Reader('csvigo', _csvigo_seeds, _run_csvigo, '.csv', ('csvigo',), text=True),
    Reader('mnist', _mnist_seeds, _run_mnist, '.idx', ('mnist',), 'big'),
    Reader('matio', _matio_seeds, _run_matio, '.mat', ('matio.',)),
    Reader('caffe', _caffe_seeds, _run_caffe, '.caffemodel', ('loadcaffe',), crafted=(_varint, _varint)),
    Reader('prototxt', _prototxt_seeds, _run_prototxt, '.prototxt', ('loadcaffe',), crafted=(_nest,),
           openers=(b'layer {', b'p <'), text=True),
)}


def _run_probe(path):
    """The harness's own check (tests/robustness/test_file_fuzz.py): the file says how to fail."""
    with open(path, 'rb') as f:
        what = f.read()

    def fail():
        if what == b'segv':
            os.kill(os.getpid(), signal.SIGSEGV)
        elif what == b'hang':
            time.sleep(3600)
        elif what == b'alloc':
            bytearray(MEMORY_LIMIT)
        elif what == b'raise':
            raise KeyError('a foreign exception')
        elif what == b'refuse':
            raise ValueError('probe: a clean refusal')
    return [fail]


PROBE = Reader('probe', lambda: [], _run_probe, '.probe', ('probe',))


def mutate(rng, data, spec):
    """One to three mutations of ``data`` drawn by ``rng``."""
    ops = (_TEXT if spec.text else _BINARY) + spec.crafted
    for _ in range(rng.choice((1, 1, 2, 3))):
        if data:
            data = rng.choice(ops)(rng, data, spec)
    return data


# --- the worker ----------------------------------------------------------------------------------------------

def _outcome(spec, path):
    """(outcome, detail) of the reader's calls on ``path`` in this process: the first finding, else the first
    call's outcome."""
    results = [_call(spec, call) for call in spec.run(path)]
    return next((r for r in results if r[0] in FINDINGS), results[0])


def _call(spec, call):
    try:
        call()
    except MemoryError:
        return 'memory', 'MemoryError'
    except RecursionError as err:
        return 'raw', f'RecursionError: {err}'
    except ValueError as err:
        message = str(err)
        if isinstance(err, UnicodeError) or not any(n in message for n in spec.names):
            return 'raw', f'{type(err).__module__}.{type(err).__name__}: {message[:300]}'
        return 'refused', f'{type(err).__name__}: {message[:300]}'
    except Exception as err:  # noqa: BLE001  (every other exception is what this fuzzer looks for)
        return 'raw', f'{type(err).__module__}.{type(err).__name__}: {str(err)[:300]}'
    return 'loaded', ''


def worker():
    """Reads cases from stdin (a JSON line naming the reader and the length, then the bytes), answers a JSON line
    each; whatever the readers print goes to /dev/null."""
    import warnings
    warnings.simplefilter('ignore')
    answer = os.fdopen(os.dup(1), 'w')
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    import legonn  # noqa: F401  (imported before the first case so that its time is not the case's)
    from legonn import cjson, csvigo, image, loadcaffe, mnist  # noqa: F401
    folder = tempfile.mkdtemp(prefix='legonn-fuzz-')
    answer.write('ready\n')
    answer.flush()
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            break
        head = json.loads(line)
        data = sys.stdin.buffer.read(head['size'])
        spec = READERS.get(head['reader'], PROBE)
        path = os.path.join(folder, 'case' + spec.suffix)
        with open(path, 'wb') as f:
            f.write(data)
        outcome, detail = _outcome(spec, path)
        answer.write(json.dumps({'outcome': outcome, 'detail': detail}) + '\n')
        answer.flush()
    shutil.rmtree(folder, ignore_errors=True)


def _limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Worker:
    """A worker process, restarted after it dies or hangs."""

    def __init__(self):
        self.proc = None

    def start(self):
        env = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1',
                   NUMBA_NUM_THREADS='1', MKL_NUM_THREADS='1')
        self.proc = subprocess.Popen([sys.executable, '-m', 'tests.robustness.file_fuzz', '--worker'], cwd=ROOT,
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     preexec_fn=_limits)
        if self._line(60) != b'ready\n':
            raise RuntimeError('the fuzz worker did not start')

    def _line(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else None

    def case(self, reader, data, timeout=CASE_TIMEOUT):
        """(outcome, detail) of one case."""
        if self.proc is None:
            self.start()
        try:
            self.proc.stdin.write(json.dumps({'reader': reader, 'size': len(data)}).encode() + b'\n' + data)
            self.proc.stdin.flush()
            line = self._line(timeout)
        except BrokenPipeError:
            line = b''
        if line:
            result = json.loads(line)
            return result['outcome'], result['detail']
        if line is None:
            self.stop()
            return 'hang', f'no answer in {timeout:.0f} s'
        code = self.proc.wait()
        self.proc = None
        what = f'killed by {signal.Signals(-code).name}' if code < 0 else f'exited with {code}'
        return 'crash', f'the worker {what}'

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc.stdin.close()
            self.proc = None


# --- campaigns -----------------------------------------------------------------------------------------------



@dataclass
class Tally:
    """One reader's campaign: counts per outcome and each distinct finding (its detail, first case, input)."""
    reader: str
    counts: dict = field(default_factory=lambda: dict.fromkeys(('loaded', 'refused') + FINDINGS, 0))
    findings: dict = field(default_factory=dict)

    @property
    def cases(self):
        return sum(self.counts.values())


def _signature(outcome, detail):
    """A finding's kind without its numbers, so that one defect counts once."""
    return outcome + ': ' + re.sub(r'\d+', 'N', detail.split('\n')[0])[:120]


def campaign(reader, cases=None, seconds=None, seed=0, worker=None, save=None):
    """The Tally of ``cases`` cases (or as many as fit in ``seconds``) of ``reader``."""
    spec = READERS[reader]
    seeds = spec.seeds()
    own = worker is None
    worker = worker or Worker()
    tally, deadline = Tally(reader), None if seconds is None else time.monotonic() + seconds
    i = 0
    try:
        while (cases is None or i < cases) and (deadline is None or time.monotonic() < deadline):
            rng = random.Random(f'{seed}:{reader}:{i}')
            data = mutate(rng, rng.choice(seeds), spec)
            outcome, detail = worker.case(reader, data)
            tally.counts[outcome] += 1
            if outcome in FINDINGS:
                key = _signature(outcome, detail)
                if key not in tally.findings:
                    tally.findings[key] = (detail, i, len(data))
                    if save:
                        os.makedirs(save, exist_ok=True)
                        with open(os.path.join(save, f'{reader}-{i}{spec.suffix}'), 'wb') as f:
                            f.write(data)
            i += 1
    finally:
        if own:
            worker.stop()
    return tally


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('readers', nargs='*', help=f'readers to fuzz (default all: {", ".join(READERS)})')
    parser.add_argument('--seconds', type=float, default=30.0, help='time per reader (default 30)')
    parser.add_argument('--cases', type=int, help='cases per reader, instead of a time')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--save', help='folder to write each finding\'s input to')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker()
    total = 0
    for reader in args.readers or list(READERS):
        tally = campaign(reader, args.cases, None if args.cases else args.seconds, args.seed, save=args.save)
        counts = ', '.join(f'{k} {v}' for k, v in tally.counts.items())
        print(f'{reader}: {tally.cases} cases: {counts}', flush=True)
        for key, (detail, case, size) in tally.findings.items():
            print(f'    case {case} ({size} bytes): {detail[:200]}', flush=True)
        total += sum(tally.counts[k] for k in FINDINGS)
    return 1 if total else 0


if __name__ == '__main__':
    sys.exit(main())
