"""The loader's bounds: members that overlap or carry foreign zip features are refused, every malformed
field is a FormatError (never a raw ValueError/OverflowError/TypeError/NotImplementedError/RuntimeError),
non-regular paths are refused without reading, and the memory a load takes stays within the documented
multiple of the file's size (docs/format.md, "Loading untrusted files")."""
import io
import json
import os
import random
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile

import numpy as np
import pytest

import legonn as lg
from legonn import graph, nn

from .crafted_zip import assemble, local_header, npy, overlapping_chain, plain_zip, rezip_manifest
from .test_malicious import manifest_with, storage

# the documented bound: a load allocates at most this multiple of the file's size, plus a constant
BOUND_FACTOR, BOUND_CONSTANT = 40, 2 ** 20


def manifest_bytes(objects, root=None, **extra):
    return json.dumps(dict(manifest_with(objects, root), **extra), separators=(',', ':')).encode()


def ndarrays_manifest(lengths):
    objects = [{'kind': 'list', 'items': [{'$ref': k + 1} for k in range(len(lengths))]}]
    objects += [{'kind': 'ndarray', 'dtype': '|u1', 'shape': [n], 'cuda': False, 'array': f'arrays/{k}.npy'}
                for k, n in enumerate(lengths)]
    return manifest_bytes(objects)


def peak_bytes(fn, *args):
    """(the peak bytes Python allocated while ``fn(*args)`` ran, its result or the exception raised)."""
    tracemalloc.start()
    try:
        result = fn(*args)
    except Exception as err:  # noqa: BLE001  (the caller asserts on it)
        result = err
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, result


def peak_of_load(path):
    """(peak bytes allocated while loading ``path``, the result or the exception raised)."""
    lg.deserialize(lg.serialize(None))   # the first load imports the class registry: not measured
    return peak_bytes(lg.load, path)


def test_overlapping_members_are_refused_before_anything_is_read(tmp_path):
    # 30 members, each containing the next: 110 kB declaring 3 MB (the issue's 1.23 MB file declared 6.1 GB)
    data = overlapping_chain(ndarrays_manifest, links=30, tail_bytes=100_000)
    path = tmp_path / 'chain.lg'
    path.write_bytes(data)
    with zipfile.ZipFile(path) as zf:        # what a loader trusting zipfile would materialise
        declared = sum(info.file_size for info in zf.infolist())
    assert declared > 25 * len(data)
    peak, result = peak_of_load(path)
    assert isinstance(result, lg.FormatError) and 'overlaps' in str(result)
    assert peak < len(data) + 2 ** 20


def test_members_overlapping_the_zip_directory_or_sharing_a_header_are_refused(tmp_path):
    manifest = manifest_bytes([], root=None)
    good = plain_zip([('manifest.json', manifest)])
    # the directory says the manifest is longer than the bytes before the directory
    head = good.index(b'PK\x01\x02')
    grown = bytearray(good)
    for at in (head + 20, head + 24, 18, 22):    # central and local compressed/uncompressed sizes
        grown[at:at + 4] = (len(manifest) + 10).to_bytes(4, 'little')
    (tmp_path / 'x.lg').write_bytes(bytes(grown))
    with pytest.raises(lg.FormatError, match='overlaps'):
        lg.load(tmp_path / 'x.lg')
    # two directory entries pointing at one local header
    body = local_header('manifest.json', manifest) + manifest
    twice = assemble(body, [('manifest.json', manifest, 0, 0, 20), ('arrays/0.npy', manifest, 0, 0, 20)])
    with pytest.raises(lg.FormatError, match='named differently|overlaps'):
        lg.deserialize(twice)
    # one name twice (zipfile keeps the last; legonn refuses the ambiguity)
    dup = plain_zip([('manifest.json', manifest), ('manifest.json', manifest)])
    with pytest.raises(lg.FormatError, match='two members are named'):
        lg.deserialize(dup)


@pytest.mark.parametrize('flags', [0x1, 0x40, 0x20, 0x2000])
def test_encrypted_and_foreign_zip_flags_are_refused(flags):
    data = plain_zip([('manifest.json', manifest_bytes([], root=None))], flags=flags)
    with pytest.raises(lg.FormatError, match='encrypted or uses zip features'):
        lg.deserialize(data)


def test_odd_zip_versions_and_a_data_descriptor():
    with pytest.raises(lg.FormatError, match='not a legonn archive.*version'):
        lg.deserialize(plain_zip([('manifest.json', manifest_bytes([], root=None))], version=99))
    # bit 3 (sizes in a trailing descriptor) is what zipfile writes to unseekable streams: accepted
    assert lg.deserialize(plain_zip([('manifest.json', manifest_bytes([], root=7))], flags=0x08)) == 7


def _archive(objects, members=(), root=None, raw_manifest=None):
    manifest = raw_manifest if raw_manifest is not None else manifest_bytes(objects, root)
    return plain_zip([('manifest.json', manifest)] + list(members))


def _ndarray(dtype='<f4', shape=(3,)):
    return {'kind': 'ndarray', 'dtype': dtype, 'shape': list(shape), 'cuda': False, 'array': 'arrays/0.npy'}


def _tensor(size, stride, offset=0):
    return [{'kind': 'tensor', 'type': 'FloatTensor', 'storage': {'$ref': 1}, 'offset': offset, 'size': size,
             'stride': stride}, storage()]


F4 = [('arrays/0.npy', npy(np.zeros(3, 'f4')))]
TEMPLATE = manifest_bytes([{'kind': 'storage', 'dtype': '<f4', 'size': 3, 'cuda': False, 'array': 'arrays/0.npy'}])
MALFORMED = {
    'oversized dtype string': (_archive([_ndarray('<f4,' * 100_000)], F4), 'is not one the format allows'),
    'huge string dtype': (_archive([_ndarray('S999999999999999')], F4), 'is not one the format allows'),
    'big-endian storage': (_archive([dict(storage(), dtype='>f4')], F4), 'is not one the format allows'),
    'big-endian array': (_archive([_ndarray('>f4')], [('arrays/0.npy', npy(np.zeros(3, '>f4')))]),
                         'is not one the format allows'),
    'long double': (_archive([_ndarray('<f16')], F4), 'is not one the format allows'),
    'bool storage': (_archive([dict(storage(), dtype='|b1')], F4), 'is not one the format allows'),
    '4300-digit integer': (_archive([], raw_manifest=TEMPLATE.replace(b'"size":3', b'"size":' + b'9' * 4400)),
                           'not valid JSON'),
    'non-finite float literal': (_archive([], raw_manifest=TEMPLATE.replace(b'"size":3', b'"size":1e999')),
                                 'not a finite float'),
    '65-dim array': (_archive([_ndarray(shape=(1,) * 65)], F4), 'at most 64'),
    '65-dim tensor': (_archive(_tensor([1] * 65, [1] * 65), F4), 'at most 64'),
    'int8 scalar of 1000': (_archive([{'kind': 'scalar', 'dtype': '|i1', 'value': 1000}]), 'does not fit'),
    'uint64 scalar of -1': (_archive([{'kind': 'scalar', 'dtype': '<u8', 'value': -1}]), 'does not fit'),
    'float16 scalar of 1e10': (_archive([{'kind': 'scalar', 'dtype': '<f2', 'value': 1e10}]), 'overflows'),
    'float scalar holding a string': (_archive([{'kind': 'scalar', 'dtype': '<f4', 'value': 'x'}]), 'needs a float'),
    'int scalar holding a float': (_archive([{'kind': 'scalar', 'dtype': '<i4', 'value': 1.5}]), 'needs a int'),
    'complex scalar of one number': (_archive([{'kind': 'scalar', 'dtype': '<c8', 'value': 1.0}]), 'pair of floats'),
    'complex scalar of strings': (_archive([{'kind': 'scalar', 'dtype': '<c8', 'value': ['a', 'b']}]),
                                  'pair of floats'),
    'stride-0 view of 2**70 elements': (_archive(_tensor([2 ** 35, 2 ** 35], [0, 0]), F4), 'cannot be viewed'),
    'size-1 dimension with a 10**30 stride': (_archive(_tensor([1, 3], [10 ** 30, 1]), F4), 'cannot be viewed'),
    'array member named by a list': (_archive([dict(storage(), array=['arrays/0.npy'])], F4), 'not a string'),
    'tensor type given as an object': (_archive([dict(_tensor([3], [1])[0], type={'a': 1}), storage()], F4),
                                       'unknown tensor type'),
    'tensortype given as a list': (_archive([{'kind': 'tensortype', 'type': ['FloatTensor']}]),
                                   'unknown tensor type'),
    '$float given as a list': (_archive([{'kind': 'list', 'items': [{'$float': ['inf']}]}]), 'malformed value'),
    'npy header past its size limit': (_archive([storage()], [('arrays/0.npy', b'\x93NUMPY\x02\x00'
                                                               + (10 ** 6).to_bytes(4, 'little') + b' ' * 64)]),
                                       'bad .npy header'),
    'garbage npy header': (_archive([storage()], [('arrays/0.npy', b'\x93NUMPY\x01\x00\x10\x00{"descr": ((((((')]),
                           'bad .npy header'),
}


@pytest.mark.parametrize('case', sorted(MALFORMED))
def test_every_malformed_field_is_a_format_error(case):
    data, match = MALFORMED[case]
    with pytest.raises(lg.FormatError, match=match):   # any other exception type fails the test
        lg.deserialize(data)


def test_random_corruptions_raise_only_format_errors(tmp_path):
    """2,000 seeded mutations of a real checkpoint (byte flips, cuts, JSON edits): each loads or raises
    FormatError, nothing else."""
    model = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).add(nn.Linear(4, 2))
    original = lg.serialize({'model': model, 'step': np.int64(3), 'lr': np.float32(0.5), 'c': np.complex64(1j)})
    manifest_at = original.index(b'{"format"')
    manifest_end = original.index(b'PK', manifest_at)
    rng = random.Random(14)
    weird = [b'-1', b'1e999', b'9' * 5000, b'""', b'[]', b'{}', b'null', b'true', b'"<f16"', b'[' * 50,
             b'{"$ref":-1}', b'{"$float":"inf"}', b'"|O"', b'2147483648', b'[1,[2]]', b'"x"']
    outcomes = {'loaded': 0, 'FormatError': 0}
    for trial in range(2000):
        data = bytearray(original)
        kind = trial % 4
        if kind == 0:                       # flip bytes anywhere
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1:                     # cut the file
            data = data[:rng.randrange(len(data))]
        else:                               # replace one JSON token of the manifest (CRC updated)
            start = rng.randrange(manifest_at, manifest_end - 1)
            stop = min(manifest_end, start + rng.randint(1, 6))
            text = bytes(data[manifest_at:start]) + rng.choice(weird) + bytes(data[stop:manifest_end])
            data = bytearray(rezip_manifest(original, text))
        try:
            lg.deserialize(bytes(data))
            outcomes['loaded'] += 1
        except lg.FormatError:
            outcomes['FormatError'] += 1
    assert sum(outcomes.values()) == 2000 and outcomes['FormatError'] > 1000


def test_mutated_manifest_fields_raise_only_format_errors():
    """1,000 seeded edits of a real manifest's fields (values swapped for odd JSON: unhashable lists and
    objects where names go, huge or negative numbers, foreign dtypes, dangling references, keys removed):
    each loads or raises FormatError, nothing else."""
    x = nn.Identity()()
    model = graph.gModule([x], [nn.Tanh()(nn.Linear(3, 3)(x))])
    original = lg.serialize({'g': model, 'conv': nn.SpatialConvolution(1, 2, 3, 3), 'crit': nn.ClassNLLCriterion(),
                             'h': np.float16(1.5), 'c': np.complex64(1j), 'view': lg.rand(4, 4).t(), 'set': {1, (2, 3)},
                             'array': np.arange(6).reshape(2, 3)})
    with zipfile.ZipFile(io.BytesIO(original)) as zf:
        manifest = json.loads(zf.read('manifest.json'))
    odd = [None, True, -1, 2 ** 64, -2 ** 63, 1.5, '', '<f16', '>f4', '|O', 'FloatTensor', 'Linear', [], [1], [[]],
           {}, {'$ref': 0}, {'$ref': 10 ** 9}, {'$float': 'nan'}, [1] * 70, 'arrays/0.npy', 'arrays/99.npy']
    fields = list(_field_paths(manifest))
    rng = random.Random(16)
    refused = 0
    for _ in range(1000):
        edited = json.loads(json.dumps(manifest))
        for _ in range(rng.randint(1, 3)):
            _edit(edited, rng.choice(fields), rng.choice(odd + ['<remove>']))
        try:
            # on the CPU: an edit that marks a storage as saved from the GPU makes a valid file, which
            # device='saved' would rightly refuse without CuPy (an ImportError saying so)
            lg.deserialize(rezip_manifest(original, json.dumps(edited).encode()), device='cpu')
        except lg.FormatError:
            refused += 1
    assert refused > 500


def _edit(manifest, path, new):
    """Set (or, for '<remove>', delete) the field at ``path`` if an earlier edit left it reachable."""
    holder = manifest
    try:
        for key in path[:-1]:
            holder = holder[key]
        if new == '<remove>':
            del holder[path[-1]]
        else:
            holder[path[-1]] = new
    except (KeyError, IndexError, TypeError):
        pass


def _field_paths(value, path=()):
    """The key paths of every field nested in a JSON value."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield path + (key,)
        yield from _field_paths(child, path + (key,))


def test_non_regular_paths_are_refused_without_reading(tmp_path):
    # in a subprocess with a timeout: a loader that opened a FIFO for reading would wait for a writer forever
    fifo = tmp_path / 'fifo'
    os.mkfifo(fifo)
    script = textwrap.dedent(f"""
        import legonn as lg
        for path in ('/dev/zero', {str(fifo)!r}, {str(tmp_path)!r}):
            try:
                lg.load(path)
            except lg.FormatError as err:
                print('refused:', err)
    """)
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3
    assert 'a character device' in lines[0] and 'a FIFO' in lines[1] and 'a folder' in lines[2]
    assert all('refused without reading' in line for line in lines)


def test_bytes_and_pathlike_paths(tmp_path):
    path = os.fsencode(tmp_path / 'model.lg')
    assert lg.save(path, {'w': lg.ones(3)}) == path
    assert lg.load(path)['w'].sum() == 3
    assert lg.load(tmp_path / 'model.lg')['w'].sum() == 3
    with pytest.raises(FileNotFoundError):
        lg.load(os.fsencode(tmp_path / 'missing.lg'))


def _chain(n):
    model = nn.Sequential()
    for _ in range(n):
        model.add(nn.Linear(4, 4)).add(nn.Tanh())
    return model


def test_ordinary_checkpoints_load_within_the_bound_and_arrays_are_read_once(tmp_path):
    cases = {
        'array-heavy': nn.Linear(500, 500),
        'many small modules': _chain(100),
        'plain values': {f'k{i}': [i, str(i), float(i)] for i in range(3000)},
    }
    ratios = {}
    for name, obj in cases.items():
        path = tmp_path / 'ckpt.lg'
        lg.save(path, obj)
        peak, result = peak_of_load(path)
        assert not isinstance(result, Exception), result
        ratios[name] = peak / os.path.getsize(path)
        assert peak <= BOUND_FACTOR * os.path.getsize(path) + BOUND_CONSTANT, (name, peak)
    # arrays go straight from the file into their final buffers: one copy, no intermediate bytes
    assert ratios['array-heavy'] < 1.2, ratios


def test_crafted_worst_cases_stay_within_the_bound(tmp_path):
    n = 20_000
    f4 = [('arrays/0.npy', npy(np.zeros(1, 'f4')))]
    one = [dict(storage(size=1))]
    zero_d = {'kind': 'tensor', 'type': 'FloatTensor', 'storage': {'$ref': 0}, 'offset': 0, 'size': [], 'stride': []}
    crafted = {
        'unused nested lists': _archive([], raw_manifest=manifest_bytes([], None, x=[[] for _ in range(n)])),
        'unused nested dicts': _archive([], raw_manifest=manifest_bytes([], None, x=[{} for _ in range(n)])),
        'empty sets': _archive([{'kind': 'set', 'items': []} for _ in range(n // 4)]),
        'references': _archive([{'kind': 'list', 'items': [{'$ref': 0}] * n}]),
        'objects': _archive([{'kind': 'object', 'class': 'Tanh', 'state': {}} for _ in range(n // 10)]),
        'scalars': _archive([{'kind': 'scalar', 'dtype': '<f4', 'value': 1.5} for _ in range(n // 4)]),
        '0-d tensors on one storage': _archive(one + [zero_d] * (n // 10), f4, root={'$ref': 1}),
        'empty storages': _archive([dict(storage(size=0), array=f'arrays/{k}.npy') for k in range(n // 20)],
                                   [(f'arrays/{k}.npy', npy(np.zeros(0, 'f4'))) for k in range(n // 20)]),
        'unreferenced members': _archive([], [(f'x{k}', b'') for k in range(n // 10)], root=None),
    }
    for name, data in crafted.items():
        path = tmp_path / 'crafted.lg'
        path.write_bytes(data)
        peak, _ = peak_of_load(path)
        print(f'{name}: {len(data)} bytes, peak {peak} ({peak / len(data):.1f}x)')
        assert peak <= BOUND_FACTOR * len(data) + BOUND_CONSTANT, (name, peak, len(data))
