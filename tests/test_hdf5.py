"""legonn.hdf5 against deepmind/torch-hdf5: its tests (tests/*.lua), its reference files (tests/data, copied under
tests/data/hdf5 with their licence) and the type tables of luasrc/ffi.lua."""
import math
import pathlib
import sys

import numpy as np
import pytest

import legonn as lg
from legonn import hdf5

h5py = pytest.importorskip('h5py')

DATA = pathlib.Path(__file__).parent / 'data' / 'hdf5'


def lua_linspace(a, b, n):
    """torch.linspace(a, b, n) (TH's loop, in double): a + i * (b - a) / (n - 1)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = a + i * (b - a) / (n - 1)
    return out


def counting(rows, cols, step=1.0):
    """testData.lua's fill: ``k = k + step`` for each element in row-major order (apply's order)."""
    out = np.empty((rows, cols))
    k = 0.0
    for r in range(rows):
        for c in range(cols):
            k = k + step
            out[r, c] = k
    return out


def reread(tmp_path, location, data, options=None):
    """testData.lua / testStructure.lua's writeAndReread: write, close, open 'r', read(location):all()."""
    path = tmp_path / 'test.h5'
    f = hdf5.open(str(path), 'w')
    f.write(location, data, options)
    f.close()
    with hdf5.open(str(path), 'r') as f:
        return f.read(location).all()


@pytest.mark.parametrize('name, expected', [
    ('empty', {}),
    ('oneTensor', {'data': (0, 100)}),
    ('twoTensors', {'data1': (0, 100), 'data2': (0, 10)}),
    ('twoTensorsNested', {'group': {'data': (0, 100)}}),
])
def test_reference_files_read_as_their_lua_files_say(name, expected):
    """tests/testReference.lua's read half: each data/<name>.h5 (written by h5py) read with ``all()`` equals
    data/<name>.lua: torch.linspace(a, b, 100):resize(10, 10):float(), as FloatTensors in nested tables."""
    def check(got, want):
        assert sorted(got) == sorted(want)
        for key, value in want.items():
            if isinstance(value, dict):
                check(got[key], value)
            else:
                assert got[key].type() == 'torch.FloatTensor' and got[key].size() == (10, 10)
                np.testing.assert_array_equal(got[key].numpy(),
                                              lua_linspace(*value, 100).reshape(10, 10).astype(np.float32))
    with hdf5.open(str(DATA / f'{name}.h5'), 'r') as f:
        check(f.all(), expected)
        check(f.read('/').all(), expected)


@pytest.mark.parametrize('typename, dtype, step', [
    ('ByteTensor', '|u1', 1), ('CharTensor', '|i1', -1), ('ShortTensor', '<i2', 1), ('IntTensor', '<i4', 1),
    ('LongTensor', '<i8', 1), ('FloatTensor', '<f4', math.pi), ('DoubleTensor', '<f8', math.pi)])
def test_each_tensor_type_round_trips_as_ffi_lua_maps_it(tmp_path, typename, dtype, step):
    """testData.lua: a 4 x 6 tensor of each type (k = k + 1, or k + pi then div(7) for floats) reads back with
    its type and values; ffi.lua's fileTypeMap gives the HDF5 type in the file (STD_U8LE ... IEEE_F64LE).
    CharTensor (commented out in testData.lua: torch-hdf5 reads 1-byte integers as bytes) counts down to -24."""
    values = counting(4, 6, step)
    if step == math.pi:
        values = values / 7
    data = getattr(lg, typename)(values)
    got = reread(tmp_path, 'data', data)
    assert got.type() == data.type()
    np.testing.assert_array_equal(got.numpy(), values.astype(np.dtype(dtype)))
    with h5py.File(tmp_path / 'test.h5', 'r') as f:
        assert f['data'].dtype == np.dtype(dtype)


def test_non_contiguous_tensor(tmp_path):
    """testData.lua testNonContiguous: a transposed DoubleTensor is written as its values, in its sizes."""
    values = counting(4, 6, math.pi) / 7
    data = lg.DoubleTensor(values).t()
    got = reread(tmp_path, 'data', data)
    assert got.size() == (6, 4)
    np.testing.assert_array_equal(got.numpy(), values.T)


@pytest.mark.parametrize('location, shape', [
    ('/', {'data': None}), ('/group', {'data': None}), ('/data', None), ('/group/data', None),
    ('/', {'group': {'data': None}}), ('/group1', {'group2': {'data': None}}),
    ('/group1/group2/group3', {'group4': {'group5': {'data': None}}})])
def test_tables_become_groups(tmp_path, location, shape):
    """testStructure.lua: tensors and (nested) tables written at the root, below it and along deep paths read
    back as the same structure (dicts for tables), with the same values."""
    def build(s):
        return lg.rand(4, 6).double() if s is None else {k: build(v) for k, v in s.items()}

    def same(a, b):
        if isinstance(b, dict):
            assert isinstance(a, dict) and sorted(a) == sorted(b)
            for k in b:
                same(a[k], b[k])
        else:
            assert a.type() == b.type()
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    data = build(shape)
    same(reread(tmp_path, location, data), data)


def test_chunked_writes_and_partial_reads(tmp_path):
    """testChunking.lua: chunks 4 x 4 (cut to the data's size for 2 x 2, as adjustForData does); a chunking of
    another rank is an error; partial's selections (Lua's {3, {1, 4}}, {{1, 13}, {1, 13}}, {{12, 13}, {1, 6}},
    {13, 13}, each made 0-based) give those blocks, all dimensions kept; a wrong number of ranges is an error."""
    path = str(tmp_path / 'foo.h5')
    options = hdf5.DataSetOptions()
    assert options.setChunked(4, 4) is options
    with hdf5.open(path) as f:
        f.write('small', lg.Tensor(2, 2).zero(), options)
        with pytest.raises(ValueError, match='3 dimensions; the data has 2'):
            f.write('bad', lg.Tensor(7, 5), hdf5.DataSetOptions().setChunked(4, 4, 4))
        f.write('data', lg.DoubleTensor(counting(13, 13)), options)
    data = counting(13, 13)
    with hdf5.open(path, 'r') as f:
        assert f.read('small')._dataset.chunks == (2, 2)
        assert f.read('data')._dataset.chunks == (4, 4)
        ds = f.read('data')
        np.testing.assert_array_equal(ds.partial(2, [0, 3]).numpy(), data[2:3, 0:4])
        np.testing.assert_array_equal(ds.partial([0, 12], [0, 12]).numpy(), data)
        np.testing.assert_array_equal(ds.partial([11, 12], [0, 5]).numpy(), data[11:13, 0:6])
        got = ds.partial(12, 12)
        assert got.size() == (1, 1) and got.numpy()[0, 0] == 169
        np.testing.assert_array_equal(ds.partial([-2, -1], -1).numpy(), data[11:13, 12:13])
        for bad in [(12, 12, 0), (0,)]:
            with pytest.raises(ValueError, match='dimension mismatch'):
                ds.partial(*bad)
        with pytest.raises(ValueError, match=r'index 13 is outside 0 \.\. 12'):   # Lua's {1, 13} unshifted
            ds.partial([1, 13], [0, 12])
        with pytest.raises(ValueError, match='ends before it starts'):
            ds.partial([3, 2], 0)
        assert ds.dataspaceSize() == ds.dataspace_size() == [13, 13]   # with its snake_case twin
        assert ds.getTensorFactory() is lg.DoubleTensor


def test_append_grows_the_first_dimension(tmp_path):
    """testChunking.lua testChunkedAppend: 13 x 13 written chunked, reopened 'r+', another 13 x 13 appended; the
    old rows and the new (Lua's row 16 = the appended row 3) read back, before and after reopening. A dataset
    written without chunking cannot grow (H5Dset_extent fails)."""
    path = str(tmp_path / 'foo.h5')
    data, more = counting(13, 13), counting(13, 13) + 169
    options = hdf5.DataSetOptions().setChunked(4, 4)
    with hdf5.open(path) as f:
        f.write('data', lg.Tensor(data), options)
        f.write('fixed', lg.Tensor(data))
    with hdf5.open(path, 'r+') as f:
        f.append('data', lg.Tensor(more), options)
        with pytest.raises(ValueError, match='not written chunked'):
            f.append('fixed', lg.Tensor(more))
        with pytest.raises(ValueError, match='same sizes after the first'):
            f.append('data', lg.Tensor(2, 5))
        for g in (f, None):
            g = g or hdf5.open(path)
            np.testing.assert_array_equal(g.read('data').partial(2, [0, 3]).numpy().ravel(), data[2, 0:4])
            np.testing.assert_array_equal(g.read('data').partial(15, [0, 3]).numpy().ravel(), more[2, 0:4])
            assert g.read('data').dataspaceSize() == [26, 13]
    with hdf5.open(path) as f:
        np.testing.assert_array_equal(f.read('data').all().numpy(), np.concatenate([data, more]))


def test_deflate(tmp_path):
    """testDeflate.lua: 2000 x 2000 zeros chunked 128 x 128 with setDeflate() (level 6) make a file under
    100000 bytes; without compression the same data takes 32 MB. HDF5 compresses only chunked data."""
    path = tmp_path / 'foo.h5'
    with hdf5.open(str(path)) as f:
        f.write('data', lg.zeros(2000, 2000).double(), hdf5.DataSetOptions().setChunked(128, 128).setDeflate())
        with pytest.raises(ValueError, match='setDeflate needs setChunked'):
            f.write('plain', lg.zeros(3), hdf5.DataSetOptions().setDeflate(1))
    assert path.stat().st_size < 100000
    with h5py.File(path, 'r') as f:
        assert f['data'].compression == 'gzip' and f['data'].compression_opts == 6
    with pytest.raises(ValueError, match='from 0 to 9'):
        hdf5.DataSetOptions().setDeflate(10)


def test_reads_within_the_files_bound(tmp_path):
    """The bound on a read (1032 bytes per byte of the file, deflate's most, or 16 MiB): torch-hdf5's deflated
    zeros (testDeflate.lua's, 32 MB in a few tens of kB) read whole, as does a fill-value dataset h5py declared
    and never wrote within 16 MiB; past both, a dataset never written is refused."""
    path = tmp_path / 'zeros.h5'
    with hdf5.open(str(path)) as f:
        f.write('data', lg.zeros(2000, 2000).double(), hdf5.DataSetOptions().setChunked(128, 128).setDeflate(9))
    assert path.stat().st_size * hdf5.dataset.BYTES_PER_FILE_BYTE < 2 * 2000 * 2000 * 8   # near deflate's limit
    with hdf5.open(str(path), 'r') as f:
        data = f.read('data').all()
    assert data.size() == (2000, 2000) and not data.numpy().any()
    with h5py.File(tmp_path / 'fill.h5', 'w') as f:
        f.create_dataset('ok', shape=(1024, 4096), dtype='f4', fillvalue=-1)   # exactly 16 MiB
        f.create_dataset('over', shape=(1025, 4096), dtype='f4')
    with hdf5.open(str(tmp_path / 'fill.h5'), 'r') as f:
        assert (f.read('ok').all().numpy() == -1).all()
        with pytest.raises(ValueError, match=r"HDF5DataSet\.all \('/over' .*: reading 1025x4096 values needs "
                                             r"16793600 bytes, more than a file of \d+ bytes can code"):
            f.read('over').all()


def test_data_in_other_files_is_refused(tmp_path):
    """External links, external raw storage and virtual datasets would make a file read other files of this
    disk (libhdf5 follows them); torch-hdf5 writes none of them, so each is refused naming what it points at."""
    secret = tmp_path / 'secret.bin'
    secret.write_bytes(np.arange(8, dtype='<f8').tobytes())
    other = tmp_path / 'other.h5'
    with h5py.File(other, 'w') as f:
        f['data'] = np.arange(4.0)
    path = tmp_path / 'hostile.h5'
    with h5py.File(path, 'w') as f:
        f['link'] = h5py.ExternalLink(str(other), '/data')
        f.create_dataset('raw', shape=(8,), dtype='<f8', external=[(str(secret), 0, 64)])
        layout = h5py.VirtualLayout(shape=(4,), dtype='f8')
        layout[:] = h5py.VirtualSource(str(other), 'data', shape=(4,))
        f.create_virtual_dataset('virtual', layout)
        f['plain'] = np.arange(3.0)
    with hdf5.open(str(path), 'r') as f:
        with pytest.raises(ValueError, match=r"HDF5Group.read: 'link' .* external link to '/data' in .*other.h5"):
            f.read('/link')
        with pytest.raises(ValueError, match=r"HDF5DataSet.all .*'/raw'.* stored in external files .*secret.bin"):
            f.read('/raw').all()
        with pytest.raises(ValueError, match=r"HDF5DataSet.partial .* external files"):
            f.read('/raw').partial([0, 1])
        with pytest.raises(ValueError, match=r"HDF5DataSet.all .*'/virtual'.* a virtual dataset"):
            f.read('/virtual').all()
        with pytest.raises(ValueError, match=r"external link"):
            f.all()
        assert f.read('/plain').all().tolist() == [0.0, 1.0, 2.0]


def test_files_written_by_h5py_read_as_tensors(tmp_path):
    """ffi.lua's _getTorchType maps integers by width (1: Byte, 2: Short, 4: Int, 8: Long) and floats (4: Float,
    8: Double); legonn keeps signed 1-byte integers' signs (CharTensor), widens unsigned 2- and 4-byte ones (which
    torch-hdf5 reinterprets as signed), reads half floats as a HalfTensor, booleans as bytes, big-endian data by
    value, and refuses strings as torch-hdf5 refuses other classes."""
    path = tmp_path / 'py.h5'
    cases = {'i1': (np.array([-128, -1, 127], np.int8), 'CharTensor'),
             'u2': (np.array([0, 40000, 65535], np.uint16), 'IntTensor'),
             'u4': (np.array([0, 4000000000], np.uint32), 'LongTensor'),
             'f2': (np.array([0.5, -2.0], np.float16), 'HalfTensor'),
             'b': (np.array([True, False, True]), 'ByteTensor'),
             'be': (np.array([1.5, -2.25], '>f4'), 'FloatTensor'),
             'u8': (np.array([1, 2 ** 63 - 1], np.uint64), 'LongTensor')}
    with h5py.File(path, 'w') as f:
        for name, (values, _) in cases.items():
            f[name] = values
        f['text'] = np.array([b'ab', b'cd'])
        f['huge'] = np.array([2 ** 63], np.uint64)
    with hdf5.open(str(path), 'r') as f:
        for name, (values, typename) in cases.items():
            got = f.read(name).all()
            assert got.type() == 'torch.' + typename, name
            assert got.numpy().tolist() == values.astype(np.int64 if name == 'b' else values.dtype).tolist()
        with pytest.raises(TypeError, match='unsupported'):
            f.read('text').all()
        with pytest.raises(ValueError, match='do not fit a LongTensor'):
            f.read('huge').all()


def test_numpy_arrays_are_written_and_results_wrap_what_h5py_read(tmp_path, monkeypatch):
    """write takes NumPy arrays as tensors (as_tensor); all() and partial() wrap the array h5py returns without
    copying it again: the result views that very array, contiguous, alone on its storage."""
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    path = str(tmp_path / 'x.h5')
    with hdf5.open(path, 'w') as f:
        f.write('/x', a)
    returned = []
    read = h5py.Dataset.__getitem__
    monkeypatch.setattr(h5py.Dataset, '__getitem__', lambda ds, key: returned.append(read(ds, key)) or returned[-1])
    with hdf5.open(path, 'r') as f:
        for reading in (lambda: f.read('x').all(), lambda: f.read('x').partial([0, 2], [1, 2])):
            got = reading()
            assert got.type() == 'torch.IntTensor' and got.isContiguous() and got.storageOffset() == 0
            assert np.shares_memory(got.numpy(), returned[-1]) and got.storage().size() == returned[-1].size
    np.testing.assert_array_equal(got.numpy(), a[:, 1:3])


def test_errors_name_the_call(tmp_path):
    """file.lua / group.lua's error cases, as ValueError/TypeError naming the call: an unknown mode, a missing
    directory, a tensor at the root, a missing path, an existing dataset, types torch-hdf5 cannot write; and
    (where HDF5's own errors would speak) writing to a read-only file and using a closed one."""
    path = str(tmp_path / 'e.h5')
    with pytest.raises(ValueError, match="unknown mode 'x'"):
        hdf5.open(path, 'x')
    with pytest.raises(FileNotFoundError, match='no such directory'):
        hdf5.open(str(tmp_path / 'missing' / 'e.h5'))
    with hdf5.open(path, 'w') as f:
        with pytest.raises(ValueError, match='must provide a table'):
            f.write('/', lg.zeros(2))
        f.write('a/b', lg.zeros(2))
        with pytest.raises(ValueError, match="'b' already exists"):
            f.write('a/b', lg.zeros(2))
        with pytest.raises(ValueError, match="is a dataset, not a group"):
            f.write('a/b/c', lg.zeros(2))
        with pytest.raises(ValueError, match="no such child 'c'"):
            f.read('/a/c')
        with pytest.raises(TypeError, match='no HDF5 type for a HalfTensor'):
            f.write('h', lg.HalfTensor(2))
        with pytest.raises(TypeError, match='expected a tensor or a dict'):
            f.write('l', [1, 2])
    with pytest.raises(FileExistsError):
        hdf5.open(path, 'w-')
    f = hdf5.HDF5File.open(path, 'r')
    assert f.read('a').all()['b'].size() == (2,)
    with pytest.raises(ValueError, match="open read-only"):
        f.write('c', lg.zeros(2))
    dataset = f.read('a/b')
    f.close()
    for call in (lambda: f.read('a'), f.all, dataset.all, dataset.dataspaceSize):
        with pytest.raises(ValueError, match='closed'):
            call()


def test_without_h5py_open_says_what_to_install(monkeypatch):
    """h5py is an optional extra: legonn.hdf5 imports without it, and open names the extra."""
    monkeypatch.setitem(sys.modules, 'h5py', None)
    with pytest.raises(ImportError, match=r'pip install legonn\[hdf5\]'):
        hdf5.open('whatever.h5', 'r')


def test_neuraltalk2_data_loader_ported(tmp_path):
    """karpathy/neuraltalk2's misc/DataLoader.lua reading a data.h5 laid out as its prepro.py writes it (uint8
    images N x 3 x S x S, uint32 labels M x L, uint32 1-based label_start_ix/label_end_ix), ported line by line:
    dataspaceSize, all(), and getBatch's partial reads with every index shifted down by one (the 1-based pointers
    stored in the file are data: they shift where they become indices). getBatch draws ixl at random; here it
    is the first caption's pointer, ix1."""
    rng = np.random.default_rng(0)
    n, size, length, per_image = 4, 8, 5, 2
    images = rng.integers(0, 256, (n, 3, size, size), dtype=np.uint8)
    labels = rng.integers(1, 50, (3 * n, length), dtype=np.uint32)
    start = np.arange(n, dtype=np.uint32) * 3 + 1     # prepro.py: label_start_ix[i] = counter, from 1
    end = start + 2
    with h5py.File(tmp_path / 'data.h5', 'w') as f:   # prepro.py's create_dataset calls
        f.create_dataset('labels', dtype='uint32', data=labels)
        f.create_dataset('label_start_ix', dtype='uint32', data=start)
        f.create_dataset('label_end_ix', dtype='uint32', data=end)
        f.create_dataset('images', (n, 3, size, size), dtype='uint8')[...] = images

    h5_file = hdf5.open(str(tmp_path / 'data.h5'), 'r')
    images_size = h5_file.read('/images').dataspaceSize()
    assert len(images_size) == 4, '/images should be a 4D tensor'
    assert images_size[2] == images_size[3], 'width and height must match'
    num_images, num_channels, max_image_size = images_size[0], images_size[1], images_size[2]
    seq_length = h5_file.read('/labels').dataspaceSize()[1]
    label_start_ix = h5_file.read('/label_start_ix').all()
    label_end_ix = h5_file.read('/label_end_ix').all()

    split_ix, batch_size = [2, 0], 2
    img_batch_raw = lg.ByteTensor(batch_size, 3, size, size)
    label_batch = lg.LongTensor(batch_size * per_image, seq_length)
    for i in range(batch_size):
        ix = split_ix[i]
        img = h5_file.read('/images').partial([ix, ix], [0, num_channels - 1], [0, max_image_size - 1],
                                              [0, max_image_size - 1])
        img_batch_raw[i] = img
        ix1 = label_start_ix[ix]
        ix2 = label_end_ix[ix]
        assert ix2 - ix1 + 1 > 0
        ixl = ix1
        seq = h5_file.read('/labels').partial([ixl - 1, ixl + per_image - 2], [0, seq_length - 1])
        il = i * per_image
        label_batch[il:il + per_image] = seq
    h5_file.close()

    assert (num_images, seq_length) == (n, length)
    assert label_start_ix.type() == 'torch.LongTensor'   # uint32 widens (torch-hdf5: an IntTensor, same values)
    np.testing.assert_array_equal(img_batch_raw.numpy(), images[split_ix])
    want = np.concatenate([labels[start[ix] - 1:start[ix] - 1 + per_image] for ix in split_ix])
    np.testing.assert_array_equal(label_batch.numpy(), want)


@pytest.mark.gpu
def test_cuda_tensors_are_written_from_the_host(tmp_path):
    """A CUDA tensor is written as its CPU twin's type (torch-hdf5 has no CUDA types); reads give CPU tensors."""
    x = lg.randn(3, 5).cuda()
    got = reread(tmp_path, 'x', x)
    assert got.type() == 'torch.FloatTensor'
    np.testing.assert_array_equal(got.numpy(), x.float().numpy())


@pytest.mark.parametrize('name, offset, byte, what, error', [
    # one byte of a reference file changed, as the mutation fuzzing of the readers found them: libhdf5's
    # complaints came through h5py as a bare RuntimeError, KeyError or ValueError naming no call and no file
    ('empty', 18, 75, r"HDF5Group.all \(\[HDF5Group /\] of '.*bad.h5'\)", 'RuntimeError.*addr overflow'),
    ('oneTensor', 682, 69, r"HDF5Group.all \(\[HDF5Group /\] of '.*bad.h5'\)", 'RuntimeError.*bad local heap'),
    ('oneTensor', 165, 8, r"HDF5Group.read \('data' in \[HDF5Group /\] of '.*bad.h5'\)", 'KeyError.*local heap'),
    ('twoTensors', 891, 9, r"HDF5DataSet.getTensorFactory \('/data1' in '.*bad.h5'\)", 'ValueError.*precision'),
])
def test_a_corrupt_file_is_a_value_error_naming_the_call(tmp_path, name, offset, byte, what, error):
    """A file whose HDF5 structure is broken raises a ValueError naming the call, the group or dataset and the
    file, with libhdf5's complaint, when ``all()`` or ``read`` reaches the broken part."""
    data = bytearray((DATA / f'{name}.h5').read_bytes())
    data[offset] = byte
    (tmp_path / 'bad.h5').write_bytes(bytes(data))
    with hdf5.open(str(tmp_path / 'bad.h5'), 'r') as f:
        with pytest.raises(ValueError, match=f'{what}: cannot read the file, its HDF5 structure is corrupt '
                                             f'\\({error}'):
            f.all()


def test_a_file_rewritten_on_disk_is_read_fresh_or_refused(tmp_path):
    """libhdf5 gives an open of a file that is still open the first handle's view: a file rewritten on disk (in
    place, as another program's writer does) between two opens read as the old file, silently (its groups, its
    datasets). legonn refuses that open, naming the file and the open handle; once that handle is closed the new
    file reads fresh. A file unchanged since may be opened twice."""
    path, other = tmp_path / 'a.h5', tmp_path / 'b.h5'
    with hdf5.open(str(path), 'w') as f:
        f.write('/x', lg.Tensor([1, 2, 3]))
    old = hdf5.open(str(path), 'r')
    with hdf5.open(str(path), 'r') as again:
        assert sorted(again.all()) == ['x']
    with hdf5.open(str(other), 'w') as f:
        f.write('/y', lg.range(1, 100))
    with open(path, 'r+b') as disk:
        disk.write(other.read_bytes())
        disk.truncate()
    with pytest.raises(ValueError, match=r"hdf5.open: .*a.h5 was rewritten on disk since \[HDF5File: .*a.h5\] "
                                         r"opened it, which is still open"):
        hdf5.open(str(path), 'r')
    assert old.read('/x').all().tolist() == [1, 2, 3]
    old.close()
    with hdf5.open(str(path), 'r') as f:
        assert sorted(f.all()) == ['y'] and f.read('/y').all().tolist() == list(range(1, 101))
