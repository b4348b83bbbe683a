"""legonn.matio (soumith/matio-ffi.torch's ``require 'matio'``): MAT files built here byte by byte from MATLAB's
"MAT-File Format" (level 5) read as matio-ffi's init.lua gives them on libmatio 1.5, save -> load round trips,
the bytes ``save`` writes, and damaged or crafted files refused with the file's name. SciPy, where it happens to
be installed, cross-checks both directions."""
import struct
import zlib

import numpy as np
import pytest

import legonn as lg
from legonn import matio, paths

MI = {'i1': 1, 'u1': 2, 'i2': 3, 'u2': 4, 'i4': 5, 'u4': 6, 'f4': 7, 'f8': 9, 'i8': 12, 'u8': 13}
CLASSES = {'f8': (6, 'DoubleTensor'), 'f4': (7, 'FloatTensor'), 'i1': (8, 'CharTensor'), 'u1': (9, 'ByteTensor'),
           'i2': (10, 'ShortTensor'), 'u2': (11, 'ShortTensor'), 'i4': (12, 'IntTensor'), 'u4': (13, 'IntTensor'),
           'i8': (14, 'LongTensor'), 'u8': (15, 'LongTensor')}


# --- MAT level-5 bytes, from the format document -----------------------------------------------------------

def tag(mtype, payload, order='<'):
    return struct.pack(order + 'II', mtype, len(payload)) + payload + b'\0' * (-len(payload) % 8)


def small(mtype, payload, order='<'):
    """The small data element: the byte count in the type word's high half (a 2-byte count then a 2-byte type
    when big-endian), the data in the second word."""
    packed = struct.pack(order + 'I', (len(payload) << 16) | mtype)
    return packed + payload + b'\0' * (4 - len(payload))


def array(mxclass, dims, name, content, flags=0, order='<'):
    """A miMATRIX element: flags, dims, name (small form when it fits), then ``content``."""
    name = name.encode()
    body = (tag(6, struct.pack(order + 'II', mxclass | flags, 0), order)
            + tag(5, np.asarray(dims, order + 'i4').tobytes(), order)
            + (small(1, name, order) if len(name) <= 4 else tag(1, name, order)) + content)
    return tag(14, body, order)


def column_major(a, stored, order='<'):
    """``a``'s data as MATLAB stores it: column by column, in the type ``stored``."""
    return tag(MI[stored], np.asarray(a).flatten('F').astype(order + stored).tobytes(), order)


def mat_file(*elements, order='<', version=0x0100):
    head = b'MATLAB 5.0 MAT-file, written by tests/matio'.ljust(116) + b'\0' * 8
    return head + struct.pack(order + 'H', version) + (b'IM' if order == '<' else b'MI') + b''.join(elements)


def compressed(element):
    packed = zlib.compress(element)
    return struct.pack('<II', 15, len(packed)) + packed


def load(tmp_path, raw, *args, name='f.mat'):
    path = tmp_path / name
    path.write_bytes(raw)
    return matio.load(str(path), *args)


A = np.array([[1, 2, 3], [4, 5, 6]])


# --- classes and orientation -------------------------------------------------------------------------------

@pytest.mark.parametrize('cls', sorted(CLASSES))
def test_each_numeric_class_reads_as_matios_tensor_type_in_the_mat_dims(tmp_path, cls):
    mxclass, kind = CLASSES[cls]
    t = load(tmp_path, mat_file(array(mxclass, (2, 3), 'a', column_major(A, cls))), 'a')
    assert t.type() == 'legonn.' + kind and t.size() == (2, 3)
    np.testing.assert_array_equal(t.numpy(), A)          # t[i][j] is MATLAB's A(i+1, j+1)
    assert t[1][2] == 6 and t.stride() == (1, 2) and not t.isContiguous()   # load_tensor's transposed view


def test_unsigned_classes_copy_their_bits_into_the_signed_tensor(tmp_path):
    # init.lua: uint16 -> ShortTensor by ffi.copy of the bytes, so 65535 reads as -1 (and uint32/uint64 alike)
    big = np.array([[65535, 1, 32768]])
    elements = [array(11, (1, 3), 'u16', column_major(big, 'u2')),
                array(13, (1, 2), 'u32', column_major([[2 ** 32 - 1, 7]], 'u4')),
                array(15, (1, 1), 'u64', column_major([[2 ** 64 - 2]], 'u8'))]
    out = load(tmp_path, mat_file(*elements))
    assert out['u16'].numpy().tolist() == [[-1, 1, -32768]]
    assert out['u32'].type() == 'legonn.IntTensor' and out['u32'].numpy().tolist() == [[-1, 7]]
    assert out['u64'].type() == 'legonn.LongTensor' and out['u64'].numpy().tolist() == [[-2]]


def test_matlab_narrow_storage_is_widened_by_value(tmp_path):
    # MATLAB stores a whole-numbered double matrix as uint8 (and its 1-character name in the small form)
    raw = mat_file(array(6, (2, 3), 'M', column_major(A, 'u1')),
                   array(7, (1, 2), 'S', column_major([[-3, 300]], 'i2')))
    out = load(tmp_path, raw)
    assert out['M'].type() == 'legonn.DoubleTensor' and out['M'].numpy().tolist() == A.tolist()
    assert out['S'].type() == 'legonn.FloatTensor' and out['S'].numpy().tolist() == [[-3, 300]]


def test_three_dims_keep_matlabs_indexing(tmp_path):
    B = np.arange(24).reshape(2, 3, 4)
    t = load(tmp_path, mat_file(array(12, (2, 3, 4), 'B', column_major(B, 'i4'))), 'B')
    assert t.size() == (2, 3, 4) and t.stride() == (1, 2, 6)
    np.testing.assert_array_equal(t.numpy(), B)          # B(i+1, j+1, k+1) = t[i][j][k]


def test_big_endian_and_compressed_files(tmp_path):
    be = mat_file(array(6, (2, 3), 'a', column_major(A, 'i2', '>'), order='>'), order='>')
    np.testing.assert_array_equal(load(tmp_path, be, 'a').numpy(), A)
    v7 = mat_file(compressed(array(6, (2, 3), 'a', column_major(A, 'f8'))),
                  array(9, (1, 1), 'b', column_major([[7]], 'u1')))
    out = load(tmp_path, v7)
    assert sorted(out) == ['a', 'b'] and out['a'].numpy().tolist() == A.tolist() and out['b'][0][0] == 7


def test_chars_logicals_cells_and_structs(tmp_path, monkeypatch):
    text = np.array([[ord(c) for c in 'hello']])
    rows = np.array([[ord(c) for c in 'ab'], [ord(c) for c in 'cd']])
    hello = array(4, (1, 5), 's', column_major(text, 'u2'))
    grid = array(4, (2, 2), 'g', tag(17, rows.flatten('F').astype('<u2').tobytes()))      # miUTF16, as MATLAB
    logical = array(9, (1, 2), 'L', column_major([[1, 0]], 'u1'), flags=0x0200)
    cell = array(1, (1, 3), 'c', array(6, (1, 1), '', column_major([[2.5]], 'f8'))
                 + array(4, (1, 2), '', column_major([[104, 105]], 'u1')) + tag(14, b''))   # an empty cell
    names = b'x'.ljust(8, b'\0') + b'yy'.ljust(8, b'\0')
    one = array(2, (1, 1), 'st', small(5, struct.pack('<i', 8)) + tag(1, names)
                + array(6, (1, 1), '', column_major([[1]], 'f8')) + array(6, (0, 0), '', tag(9, b'')))
    two = array(2, (1, 2), 'sa', small(5, struct.pack('<i', 8)) + tag(1, b'p'.ljust(8, b'\0'))
                + array(6, (1, 1), '', column_major([[1]], 'f8')) + array(6, (1, 1), '', column_major([[2]], 'f8')))
    blank = array(4, (0, 0), 'blank', tag(17, b''))
    raw = mat_file(hello, grid, logical, cell, one, two, blank)
    out = load(tmp_path, raw)
    assert out['s'].type() == 'legonn.CharTensor' and out['s'].numpy().tolist() == text.tolist()
    assert out['g'].numpy().tolist() == rows.tolist()
    assert out['L'].type() == 'legonn.ByteTensor' and out['L'].numpy().tolist() == [[1, 0]]
    c = out['c']
    assert len(c) == 3 and c[0][0][0] == 2.5 and c[1].numpy().tolist() == [[104, 105]] and c[2] is None
    assert list(out['st']) == ['x'] and out['st']['x'][0][0] == 1      # the empty field reads as nil: left out
    assert [[d['p'][0][0] for d in row] for row in out['sa']] == [[1, 2]]
    monkeypatch.setattr(matio, 'use_lua_strings', True)
    strings = load(tmp_path, raw)
    assert strings['s'] == 'hello' and strings['g'] == 'acbd' and strings['c'][1] == 'hi'   # column-major
    assert 'blank' not in out and strings['blank'] == ''    # an empty char: nil as a tensor, '' as a string


def test_what_matio_reads_as_nil_is_left_out_with_its_message(tmp_path, capsys):
    sparse = array(5, (3, 3), 'sp', column_major([[0]], 'i4') + column_major([[0, 0, 0, 0]], 'i4')
                   + column_major([[0]], 'f8'))
    cplx = array(6, (1, 1), 'z', column_major([[1]], 'f8') + column_major([[2]], 'f8'), flags=0x0800)
    empty = array(6, (0, 0), 'e', tag(9, b''))
    out = load(tmp_path, mat_file(sparse, cplx, empty, array(6, (1, 1), 'k', column_major([[3]], 'f8'))))
    assert list(out) == ['k'] and out['k'][0][0] == 3
    said = capsys.readouterr().out
    assert 'Unsupported variable type: 5' in said and 'complex' in said


def test_load_by_name_and_names(tmp_path, capsys):
    raw = mat_file(*(array(6, (1, 1), n, column_major([[i]], 'f8')) for i, n in enumerate(('a', 'b', 'c'))))
    assert load(tmp_path, raw, 'b')[0][0] == 1
    assert sorted(load(tmp_path, raw, ['c', 'a'])) == ['a', 'c']
    assert load(tmp_path, raw, 'nope') is None and 'Could not find variable with name: nope' in capsys.readouterr().out
    assert load(tmp_path, mat_file()) is None and 'No variables in this file' in capsys.readouterr().out


# --- save ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('compression', ['COMPRESSION_ZLIB', 'COMPRESSION_NONE'])
def test_save_load_round_trips(tmp_path, monkeypatch, compression):
    monkeypatch.setattr(matio, 'compression', getattr(matio.ffi, compression))
    rng = np.random.RandomState(0)
    tensors = {kind: lg.from_numpy(rng.randint(-100, 100, size=(3, 4, 2)).astype('f8')).type('torch.' + kind)
               for kind in ('DoubleTensor', 'FloatTensor', 'IntTensor', 'LongTensor', 'ShortTensor', 'CharTensor')}
    tensors['ByteTensor'] = lg.ByteTensor(2, 5).random(0, 256)
    tensors['noncontiguous'] = lg.from_numpy(rng.rand(4, 6)).t()
    data = dict(tensors, vector=lg.FloatTensor([1, 2, 3]), n=9, s='hello', yes=True, nested={'t1': 9, 't2': False})
    path = str(tmp_path / 'r.mat')
    matio.save(path, data)
    out = matio.load(path)
    for key, t in tensors.items():
        assert out[key].type() == t.type() and out[key].numpy().tolist() == t.numpy().tolist(), key
    assert out['vector'].size() == (3, 1) and out['vector'].numpy().ravel().tolist() == [1, 2, 3]
    assert out['n'].type() == 'legonn.DoubleTensor' and out['n'].numpy().tolist() == [[9]]
    assert out['s'].type() == 'legonn.CharTensor' and bytes(out['s'].numpy().astype('u1').ravel()) == b'hello'
    assert out['yes'].type() == 'legonn.ByteTensor' and out['yes'][0][0] == 1
    assert out['nested']['t1'][0][0] == 9 and out['nested']['t2'][0][0] == 0
    matio.save(path, tensors['IntTensor'])              # a lone tensor is the variable x
    assert list(matio.load(path)) == ['x']


def test_save_writes_matlabs_layout(tmp_path, monkeypatch):
    monkeypatch.setattr(matio, 'compression', matio.ffi.COMPRESSION_NONE)
    path = tmp_path / 'w.mat'
    matio.save(str(path), {'a': lg.DoubleTensor(lg.from_numpy(A.astype('f8'))), 'b': True})
    raw = path.read_bytes()
    assert raw[:10] == b'MATLAB 5.0' and raw[124:128] == b'\x00\x01IM' and len(raw) % 8 == 0
    expected_a = array(6, (2, 3), 'a', column_major(A, 'f8'))
    assert raw[128:128 + len(expected_a)] == expected_a              # column-major doubles, tag by tag
    rest = raw[128 + len(expected_a):]
    assert struct.unpack('<IIII', rest[:16]) == (14, len(rest) - 8, 6, 8)
    assert struct.unpack('<I', rest[16:20])[0] == 9 | 0x0200        # uint8 class, logical flag
    monkeypatch.setattr(matio, 'compression', matio.ffi.COMPRESSION_ZLIB)
    matio.save(str(path), {'a': lg.DoubleTensor(lg.from_numpy(A.astype('f8')))})
    raw = path.read_bytes()
    mtype, size = struct.unpack('<II', raw[128:136])
    assert mtype == 15 and len(raw) == 136 + size and zlib.decompress(raw[136:]) == expected_a


def test_save_refuses_what_matio_cannot_write(tmp_path):
    path = str(tmp_path / 'x.mat')
    with pytest.raises(ValueError, match='only tensor or table of tensors supported'):
        matio.save(path, [1, 2])
    with pytest.raises(ValueError, match=r'x.mat: v.*unsupported type list'):
        matio.save(path, {'v': [1, 2]})
    with pytest.raises(ValueError, match=r'x.mat: st.*ASCII strings'):
        matio.save(path, {'st': {'\u00e9t\u00e9': 1}})
    with pytest.raises(ValueError, match=r'x.mat: h.*HalfTensor'):
        matio.save(path, {'h': lg.HalfTensor(2)})


def test_require_gives_legonn_matio():
    assert paths.require('matio') is matio and lg.matio is matio


# --- damaged and crafted files -------------------------------------------------------------------------------

def test_truncated_files_are_refused_naming_the_file(tmp_path):
    good = mat_file(compressed(array(6, (2, 3), 'a', column_major(A, 'f8'))),
                    array(6, (2, 3), 'b', column_major(A, 'f8')))
    assert sorted(load(tmp_path, good)) == ['a', 'b']
    for cut in (0, 100, 130, 140, 160, len(good) - 60, len(good) - 9):
        with pytest.raises(ValueError, match=r'matio.load: .*cut\.mat: '):
            load(tmp_path, good[:cut], name='cut.mat')


@pytest.mark.parametrize('raw, says', [
    (b'not a mat file', 'too short'),
    (b'x' * 200, "endian indicator"),
    (mat_file(version=0x0200) + b'\x89HDF', 'v7.3'),
    (mat_file(version=0x0300), 'version word'),
    (mat_file(struct.pack('<II', 15, 8) + b'garbage!'), 'compressed data is damaged'),
    (mat_file(array(6, (2 ** 31 - 1, 2 ** 31 - 1), 'a', column_major([[1.0]], 'f8'))),
     'its dims hold 4611686014132420609'),
    (mat_file(array(6, (-1, 3), 'a', tag(9, b''))), 'negative dimension'),
    (mat_file(struct.pack('<II', 14, 0xFFFFFFF0)), 'claims 4294967280 bytes'),
    (mat_file(array(1, (1, 2), 'c', array(6, (1, 1), '', column_major([[1]], 'f8')))), 'element 1 of 2 is missing'),
    (mat_file(array(2, (1, 1), 's', small(5, struct.pack('<i', 0)) + tag(1, b'x'))), 'field names of 1 bytes'),
    (mat_file(array(6, (1, 1), 'a', tag(14, b''))), 'its data has element type 14'),
])
def test_crafted_files_are_refused_without_allocating(tmp_path, raw, says):
    with pytest.raises(ValueError, match='matio.load: .*bad.mat: .*' + says.replace('(', r'\(')):
        load(tmp_path, raw, name='bad.mat')


def test_deep_nesting_and_zlib_bombs_are_bounded(tmp_path):
    nested = array(6, (1, 1), '', column_major([[1]], 'f8'))
    for _ in range(200):
        nested = array(1, (1, 1), '', nested)
    with pytest.raises(ValueError, match='deep.mat: .*nested more than'):
        load(tmp_path, mat_file(compressed(array(1, (1, 1), 'n', nested))), name='deep.mat')
    zeros = array(6, (1000, 1000), 'z', column_major(np.zeros((1000, 1000)), 'f8'))
    bomb = mat_file(compressed(zeros))
    assert len(bomb) < 20000 and load(tmp_path, bomb, 'z').sum() == 0   # a real (compressible) matrix loads
    cut = zlib.compress(zeros)[:-100]                     # a stream cut short inside a whole element
    with pytest.raises(ValueError, match='bomb.mat: .*ends early'):
        load(tmp_path, mat_file(struct.pack('<II', 15, len(cut)) + cut), name='bomb.mat')


# --- SciPy, where installed ----------------------------------------------------------------------------------

def test_scipy_reads_what_matio_writes_and_the_reverse(tmp_path):
    sio = pytest.importorskip('scipy.io')
    B = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    path = str(tmp_path / 'x.mat')
    matio.save(path, {'a': lg.from_numpy(A.astype('f8')), 'B': lg.from_numpy(B), 's': 'hi', 'st': {'q': 3}})
    m = sio.loadmat(path)
    assert m['a'].tolist() == A.tolist() and m['B'].tolist() == B.tolist() and m['s'][0] == 'hi'
    assert m['st']['q'][0, 0][0, 0] == 3
    for do_compression in (False, True):
        sio.savemat(path, {'a': A.astype('f4'), 'B': B, 's': 'hello', 'c': np.array([[1.0, 'ab']], dtype=object)},
                    do_compression=do_compression)
        out = matio.load(path)
        assert out['a'].type() == 'legonn.FloatTensor' and out['a'].numpy().tolist() == A.tolist()
        assert out['B'].numpy().tolist() == B.tolist()
        assert bytes(out['s'].numpy().astype('u1').ravel()) == b'hello' and out['c'][0][0][0] == 1


@pytest.mark.gpu
def test_cuda_tensors_load_through_the_cpu_and_are_refused_by_save(tmp_path):
    path = str(tmp_path / 'g.mat')
    matio.save(path, {'a': lg.from_numpy(A.astype('f8'))})
    a = matio.load(path, 'a').cuda()
    assert a.type() == 'legonn.CudaTensor' and a.type('torch.DoubleTensor').numpy().tolist() == A.tolist()
    with pytest.raises(ValueError, match='unsupported type of tensor: legonn.Cuda'):
        matio.save(path, {'a': a})


def test_a_missing_file_raises_where_matio_printed(tmp_path):
    # matio-ffi prints "File could not be opened" and returns nil; legonn raises (docs/porting.md)
    with pytest.raises(FileNotFoundError, match='absent.mat'):
        matio.load(str(tmp_path / 'absent.mat'))
