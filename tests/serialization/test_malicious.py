"""Crafted and damaged files: each load raises FormatError (a ValueError) with a clear message, runs
nothing from the file, writes nothing, and returns no partial object."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import legonn as lg
from legonn import nn

MARKER = 'pwned.txt'


class Exploit:
    """A pickle payload that would create a file when unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


def npy(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def write(path, manifest, members=(), compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, 'w', compression=compression) as zf:
        zf.writestr('manifest.json', manifest if isinstance(manifest, (str, bytes)) else json.dumps(manifest))
        for name, data in members:
            zf.writestr(name, data)
    return path


def good(tmp_path):
    path = tmp_path / 'good.lg'
    lg.save(path, nn.Sequential().add(nn.Linear(3, 2)))
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read('manifest.json'))
        members = [(n, zf.read(n)) for n in zf.namelist() if n != 'manifest.json']
    return manifest, members


def manifest_with(objects, root=None):
    return {'format': 'legonn', 'version': 1, 'root': {'$ref': 0} if root is None else root, 'objects': objects}


def storage(size=3, name='arrays/0.npy'):
    return {'kind': 'storage', 'dtype': '<f4', 'size': size, 'cuda': False, 'array': name}


def assert_refused(tmp_path, path, match):
    before = set(os.listdir(tmp_path))
    with pytest.raises(lg.FormatError, match=match):
        lg.load(path)
    assert set(os.listdir(tmp_path)) == before
    assert not os.path.exists(tmp_path / MARKER)


def test_unknown_classes_are_never_imported(tmp_path):
    for name in ('os.system', 'subprocess.Popen', 'builtins.eval', 'legonn.serialization.archive.write_archive'):
        path = write(tmp_path / 'x.lg', manifest_with([{'kind': 'object', 'class': name, 'state': {}}]))
        assert_refused(tmp_path, path, 'unknown class')


def test_path_traversal_and_foreign_member_names(tmp_path):
    for name in ('../../etc/passwd', '/etc/passwd', 'arrays/../manifest.json', 'arrays/0.npy/../../x', 'C:\\x'):
        path = write(tmp_path / 'x.lg', manifest_with([storage(name=name)]), [('arrays/0.npy', npy(np.zeros(3, 'f4')))])
        assert_refused(tmp_path, path, "not of the form 'arrays/<n>.npy'")


def test_missing_member(tmp_path):
    path = write(tmp_path / 'x.lg', manifest_with([storage(name='arrays/7.npy')]))
    assert_refused(tmp_path, path, 'missing')


def test_huge_declared_sizes(tmp_path):
    # the manifest claims 10^15 elements; the header says 3
    path = write(tmp_path / 'x.lg', manifest_with([storage(size=10 ** 15)]), [('arrays/0.npy', npy(np.zeros(3, 'f4')))])
    assert_refused(tmp_path, path, 'the manifest says')
    # a header that claims 10^15 elements, consistent with the manifest, over 12 bytes of data
    real = npy(np.zeros(3, 'f4'))
    text = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000000,), }"
    text = text.ljust(len(real) - 12 - 10 - 1) + '\n'
    forged = real[:8] + len(text).to_bytes(2, 'little') + text.encode('latin1') + real[-12:]
    path = write(tmp_path / 'x.lg', manifest_with([storage(size=10 ** 15)]), [('arrays/0.npy', forged)])
    assert_refused(tmp_path, path, 'truncated or crafted')
    # a tensor view reaching far outside its 3-element storage
    objects = [{'kind': 'tensor', 'type': 'FloatTensor', 'storage': {'$ref': 1}, 'offset': 0, 'size': [10 ** 6],
                'stride': [1]}, storage()]
    path = write(tmp_path / 'x.lg', manifest_with(objects), [('arrays/0.npy', npy(np.zeros(3, 'f4')))])
    assert_refused(tmp_path, path, 'outside its storage')


def test_compressed_members_are_refused(tmp_path):
    # a deflated member could expand far beyond the archive's size (a zip bomb)
    path = write(tmp_path / 'x.lg', manifest_with([storage(size=10 ** 6)]),
                 [('arrays/0.npy', npy(np.zeros(10 ** 6, 'f4')))], compression=zipfile.ZIP_DEFLATED)
    assert_refused(tmp_path, path, 'compressed')


def test_truncated_archives(tmp_path):
    source = tmp_path / 'good.lg'
    lg.save(source, {'w': lg.rand(100), 'm': nn.Linear(4, 4)})
    data = source.read_bytes()
    for cut in (0, 10, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1):
        path = tmp_path / 'cut.lg'
        path.write_bytes(data[:cut])
        assert_refused(tmp_path, path, 'truncated|corrupted|not a legonn archive|missing')


def test_corrupted_bytes(tmp_path):
    source = tmp_path / 'good.lg'
    lg.save(source, {'w': lg.rand(100)})
    data = bytearray(source.read_bytes())
    start = data.find(b'\x93NUMPY') + 200      # inside the array's values
    data[start] ^= 0xFF
    path = tmp_path / 'bad.lg'
    path.write_bytes(bytes(data))
    assert_refused(tmp_path, path, 'corrupted|CRC')


def test_pickled_payloads_never_run(tmp_path):
    payload = pickle.dumps(Exploit(str(tmp_path / MARKER)))
    (tmp_path / 'raw.lg').write_bytes(payload)
    assert_refused(tmp_path, tmp_path / 'raw.lg', 'not a legonn archive')
    assert_refused(tmp_path, write(tmp_path / 'x.lg', payload), 'not valid JSON')
    obj_array = npy(np.array([Exploit(str(tmp_path / MARKER))], dtype=object), allow_pickle=True)
    objects = [{'kind': 'ndarray', 'dtype': '|O', 'shape': [1], 'cuda': False, 'array': 'arrays/0.npy'}]
    assert_refused(tmp_path, write(tmp_path / 'x.lg', manifest_with(objects), [('arrays/0.npy', obj_array)]),
                   'not one the format allows')
    # the manifest lies about the dtype: the header's object dtype is still refused
    objects[0]['dtype'] = '<f8'
    assert_refused(tmp_path, write(tmp_path / 'x.lg', manifest_with(objects), [('arrays/0.npy', obj_array)]),
                   'Python objects')


def test_malformed_manifests(tmp_path):
    cases = {
        'not valid JSON': b'{"format": ',
        'must be a JSON object': '[1, 2]',
        'format': {'format': 'other', 'version': 1, 'root': None, 'objects': []},
        'version': {'format': 'legonn', 'version': 99, 'root': None, 'objects': []},
        'points outside': manifest_with([], root={'$ref': 5}),
        'unknown kind': manifest_with([{'kind': 'lambda'}]),
        'malformed value': manifest_with([{'kind': 'list', 'items': [{'$eval': 'x'}]}]),
        'unhashable': manifest_with([{'kind': 'dict', 'items': [[{'$ref': 1}, 1]]}, {'kind': 'list', 'items': []}]),
        'contains itself': manifest_with([{'kind': 'tuple', 'items': [{'$ref': 0}]}]),
        'refused': manifest_with([{'kind': 'object', 'class': 'Tanh', 'state': {'__class__': 1}}]),
        'non-JSON constant': '{"format": NaN}',
        'nests too deeply': manifest_with([{'kind': 'tuple', 'items': [{'$ref': i + 1}]} for i in range(5000)]
                                          + [{'kind': 'tuple', 'items': []}]),
    }
    for match, manifest in cases.items():
        assert_refused(tmp_path, write(tmp_path / 'x.lg', manifest), match)


def test_two_objects_on_one_member(tmp_path):
    objects = [{'kind': 'list', 'items': [{'$ref': 1}, {'$ref': 2}]}, storage(), storage()]
    path = write(tmp_path / 'x.lg', manifest_with(objects), [('arrays/0.npy', npy(np.zeros(3, 'f4')))])
    assert_refused(tmp_path, path, 'named by two objects')


def test_a_valid_file_still_loads_after_the_checks(tmp_path):
    manifest, members = good(tmp_path)
    path = write(tmp_path / 'again.lg', manifest, members)
    model = lg.load(path)
    assert isinstance(model, nn.Sequential) and model.get(0).weight.size() == (2, 3)


def test_a_storage_without_its_array_must_be_empty(tmp_path):
    # format version 2 writes no member for an empty storage; a non-empty one must name its data
    loose = {k: v for k, v in storage(size=3).items() if k != 'array'}
    path = write(tmp_path / 'x.lg', manifest_with([loose]))
    assert_refused(tmp_path, path, 'not a string')
    empty = {k: v for k, v in storage(size=0).items() if k != 'array'}
    path = write(tmp_path / 'y.lg', manifest_with([empty]))
    assert lg.load(path).size() == 0
    for version in (0, 3, True, '2'):
        path = write(tmp_path / 'z.lg', dict(manifest_with([empty]), version=version))
        assert_refused(tmp_path, path, 'reads versions 1, 2')
