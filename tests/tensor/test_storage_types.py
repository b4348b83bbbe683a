"""Construction, zero-copy interop, resize, copy across types, type strings and the default type."""
import copy
import gc
import os
import pickle

import numpy as np
import pytest

import legonn as lg

CPU_TYPES = {'FloatTensor': np.float32, 'DoubleTensor': np.float64, 'HalfTensor': np.float16,
             'ByteTensor': np.uint8, 'CharTensor': np.int8, 'ShortTensor': np.int16, 'IntTensor': np.int32,
             'LongTensor': np.int64}


@pytest.mark.parametrize('name,dtype', CPU_TYPES.items())
def test_typed_tensors(name, dtype):
    cls = getattr(lg, name)
    t = cls(2, 3)
    assert t.type() == 'legonn.' + name
    assert t.array.dtype == dtype and t.tolist() == [[0, 0, 0], [0, 0, 0]]
    assert cls([1, 2]).array.dtype == dtype
    assert lg.Tensor(2).type(f'torch.{name}').type() == 'legonn.' + name


def test_default_type():
    assert lg.getdefaulttensortype() == 'legonn.FloatTensor'
    assert lg.Tensor(2).type() == 'legonn.FloatTensor'
    lg.setdefaulttensortype('torch.DoubleTensor')
    assert lg.getdefaulttensortype() == 'legonn.DoubleTensor'
    assert lg.Tensor(2).type() == 'legonn.DoubleTensor'
    assert lg.zeros(2).type() == 'legonn.DoubleTensor'
    assert isinstance(lg.Tensor(1), lg.DoubleTensor) and isinstance(lg.Tensor(1), lg.Tensor)
    with pytest.raises(TypeError, match='CPU floating'):
        lg.setdefaulttensortype('legonn.LongTensor')


def test_unknown_type_string():
    with pytest.raises(TypeError, match="unknown tensor type 'legonn.FlotTensor'.*legonn.FloatTensor"):
        lg.Tensor(2).type('legonn.FlotTensor')
    with pytest.raises(TypeError, match='string'):
        lg.Tensor(2).type(3)


def test_type_conversion_copies_values():
    x = lg.Tensor([[1.5, -2.0], [3.25, 4.0]])
    d = x.double()
    assert d.type() == 'legonn.DoubleTensor' and d.tolist() == x.tolist()
    assert not np.shares_memory(d.array, x.array)
    assert x.float() is x and x.type('torch.FloatTensor') is x
    assert x.long().tolist() == [[1, -2], [3, 4]]
    assert x.int().type() == 'legonn.IntTensor'
    assert x.byte().type() == 'legonn.ByteTensor' and x.char().type() == 'legonn.CharTensor'
    assert x.short().type() == 'legonn.ShortTensor' and x.half().type() == 'legonn.HalfTensor'
    assert x.typeAs(lg.LongTensor(1)).type() == 'legonn.LongTensor'
    # conversion of a non-contiguous view gives its values
    assert x.t().double().tolist() == [[1.5, 3.25], [-2.0, 4.0]]


def test_from_numpy_shares_memory():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = lg.from_numpy(a)
    assert t.type() == 'legonn.DoubleTensor'
    assert np.shares_memory(t.numpy(), a) and np.shares_memory(np.asarray(t), a)
    t.select(0, 0).fill(-1)
    assert a[0].tolist() == [-1, -1, -1]
    a[1, 2] = 42
    assert t[1, 2] == 42


@pytest.mark.parametrize('make', [
    lambda: np.arange(24, dtype=np.float32).reshape(4, 6)[:, 1::2],      # non-contiguous
    lambda: np.arange(24, dtype=np.float32).reshape(4, 6)[::-1, ::-2],   # negative strides
    lambda: np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4)),
    lambda: np.arange(12, dtype=np.int64).reshape(3, 4).T,
])
def test_from_numpy_strided_arrays(make):
    a = make()
    t = lg.from_numpy(a)
    assert t.tolist() == a.tolist()
    assert np.shares_memory(t.numpy(), a)
    assert tuple(t.stride()) == tuple(s // a.itemsize for s in a.strides)
    t.fill(3)
    assert (a == 3).all()
    t.select(0, 1).fill(-7)           # a new view rebuilds its array from the shared storage
    assert (a[1] == -7).all() and (a[0] == 3).all()
    # the storage offset points at element [0, 0] of the array
    assert t.storage().data[t.storageOffset()] == a[0, 0]


@pytest.mark.parametrize('shape,strides', [((), ()), ((5,), (1,)), ((2, 3), (3, 1)), ((2, 3, 4), (12, 4, 1)),
                                            ((4, 1, 3), (3, 3, 1)), ((3, 1), (1, 1)), ((0, 3), (3, 1)),
                                            ((2, 0, 3), (3, 3, 1))])
def test_contiguous_arrays_and_new_tensors_get_row_major_strides(shape, strides):
    # size-1 and size-0 dimensions do not scale the dimensions before them (TH's rule)
    a = np.zeros(shape, np.float32)
    t = lg.from_numpy(a)
    assert tuple(t.stride()) == strides and t.storageOffset() == 0 and t.storage().size() == a.size
    assert np.shares_memory(t.numpy(), a) or not a.size   # the array's own memory (NumPy: none when empty)
    if shape:
        assert tuple(lg.FloatTensor(*shape).stride()) == strides


def test_from_numpy_errors():
    with pytest.raises(TypeError, match='numpy.ndarray'):
        lg.from_numpy([1, 2])
    with pytest.raises(TypeError, match='complex128'):
        lg.from_numpy(np.zeros(2, dtype=np.complex128))


@pytest.mark.parametrize('make', [lambda: lg.FloatTensor([[1.0, None]]), lambda: lg.LongTensor([2, None, 3]),
                                  lambda: lg.DoubleStorage([1.0, None]), lambda: lg.LongStorage([2, None, 4])])
def test_a_none_among_the_values_is_refused_not_stored_as_nan(make):
    """A ported Lua table with a nil in it (im2markup's ``torch.LongStorage({batch_size, max_encoder_l, n})`` with
    ``max_encoder_l`` never set): Torch7 stops (generic/Storage.c "element at index %d is not a number",
    generic/Tensor.c "invalid element (not a number)"), NumPy would store NaN in a floating type."""
    with pytest.raises(TypeError, match='None'):
        make()


def test_bool_arrays_become_byte_tensors():
    t = lg.from_numpy(np.array([True, False]))
    assert t.type() == 'legonn.ByteTensor' and t.tolist() == [1, 0]


def test_constructor_from_array_wraps_when_types_match():
    a = np.ones(3, dtype=np.float32)
    t = lg.FloatTensor(a)
    assert np.shares_memory(t.array, a)
    d = lg.DoubleTensor(a)            # other dtype: converted
    assert not np.shares_memory(d.array, a) and d.tolist() == [1, 1, 1]
    assert lg.FloatTensor(t).storage() is t.storage()
    with pytest.raises(TypeError, match='convert'):
        lg.DoubleTensor(t)


def test_constructor_errors():
    with pytest.raises(ValueError, match='non-negative'):
        lg.Tensor(2, -1)
    with pytest.raises(TypeError, match='integer'):
        lg.Tensor(2.5)


def test_resize_grows_storage_and_keeps_prefix():
    x = lg.Tensor([1, 2, 3])
    storage = x.storage()
    x.resize(2, 3)
    assert x.size() == (2, 3) and x.stride() == (3, 1)
    assert storage.size() == 6 and x.storage() is storage
    assert x.tolist()[0] == [1, 2, 3]
    x.resize(2)                 # shrinking keeps the storage
    assert storage.size() == 6 and x.tolist() == [1, 2]
    same = x.resize(2)
    assert same is x


def test_resize_reallocation_reaches_other_views():
    x = lg.zeros(4)
    alias = lg.FloatTensor().set(x)
    x.resize(10).fill(5)
    # the storage object is shared, so alias sees the reallocated buffer
    assert alias.tolist() == [5, 5, 5, 5]


def test_resize_as_and_same_size_keeps_strides():
    x = lg.zeros(3, 4).t()
    assert x.resize(4, 3).stride() == (1, 4)      # same sizes: untouched, as Torch7
    y = lg.Tensor().resizeAs(x)
    assert y.size() == (4, 3) and y.isContiguous()


def test_copy_across_types_and_shapes():
    src = lg.LongTensor([[1, 2], [3, 4]])
    dst = lg.FloatTensor(4)
    assert dst.copy(src) is dst
    assert dst.tolist() == [1, 2, 3, 4]
    d = lg.DoubleTensor(2, 2).copy(np.array([0.5, 1.5, 2.5, 3.5]))
    assert d.tolist() == [[0.5, 1.5], [2.5, 3.5]]
    b = lg.ByteTensor(3).copy(lg.Tensor([1.9, 2.1, 255.0]))
    assert b.tolist() == [1, 2, 255]
    t = lg.zeros(2, 3)
    t.t().copy(lg.range(0, 5).view(3, 2))     # writes through a transposed view
    assert t.tolist() == [[0, 2, 4], [1, 3, 5]]


def test_copy_element_count_mismatch():
    with pytest.raises(ValueError, match='expected a source of 4 elements.*got 3'):
        lg.Tensor(2, 2).copy(lg.Tensor(3))


def test_clone_contiguous():
    x = lg.range(0, 5).view(2, 3)
    c = x.clone()
    assert c.tolist() == x.tolist() and c.storage() is not x.storage()
    t = x.t()
    tc = t.contiguous()
    assert tc.isContiguous() and tc.tolist() == t.tolist() and tc.storage() is not x.storage()
    assert x.contiguous() is x


def test_fill_zero_and_numbers():
    x = lg.Tensor(2, 2).fill(3.5)
    assert x.tolist() == [[3.5, 3.5], [3.5, 3.5]]
    assert x.zero().sum() == 0
    assert float(lg.Tensor([2.5])) == 2.5 and int(lg.LongTensor([7])) == 7
    assert lg.Tensor([4]).item() == 4
    with pytest.raises(ValueError, match='one element'):
        lg.Tensor(2).item()
    with pytest.raises(ValueError, match='ambiguous'):
        bool(lg.Tensor(2))
    assert len(lg.Tensor(3, 2)) == 3
    assert [r.tolist() for r in lg.range(0, 3).view(2, 2)] == [[0, 1], [2, 3]]


def test_storage_api():
    x = lg.range(0, 3)
    s = x.storage()
    assert s.type() == 'legonn.FloatStorage' and len(s) == 4 and s.elementSize() == 4
    assert s[2] == 2.0
    s[2] = 9
    assert x[2] == 9
    assert s.tolist() == [0, 1, 9, 3]
    assert 'legonn.FloatStorage of size 4' in repr(s)
    with pytest.raises(ValueError, match='expected 4 elements'):
        s.copy(np.zeros(3, dtype=np.float32))


def test_deepcopy_and_pickle_keep_views_shared():
    x = lg.range(0, 5)
    pair = [x, x.narrow(0, 2, 2)]
    a, b = copy.deepcopy(pair)
    assert a.storage() is b.storage() and a.storage() is not x.storage()
    b.fill(-1)
    assert a.tolist() == [0, 1, -1, -1, 4, 5] and x[2] == 2
    y = pickle.loads(pickle.dumps(lg.LongTensor([[1, 2], [3, 4]])))
    assert y.type() == 'legonn.LongTensor' and y.tolist() == [[1, 2], [3, 4]]


def test_cuda_without_cupy_names_the_install(monkeypatch):
    if lg.gpu_available():
        pytest.skip('a GPU is present')
    with pytest.raises((ImportError, RuntimeError)) as err:
        lg.Tensor(2).cuda()
    if isinstance(err.value, ImportError):
        assert "pip install 'legonn[cuda]' cupy-cuda12x" in str(err.value) and 'cupy-cuda13x' in str(err.value)
    with pytest.raises((ImportError, RuntimeError)):
        lg.CudaTensor(2)


def test_numpy_of_cpu_and_interfaces():
    x = lg.Tensor(2)
    with pytest.raises(AttributeError):
        x.__cuda_array_interface__
    assert x.numpy() is x.array
    # DLPack on the CPU goes through NumPy
    y = np.from_dlpack(x)
    assert np.shares_memory(y, x.array)


def test_asarray_dtype_and_copy_flags():
    x = lg.Tensor([1, 2])
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert not np.shares_memory(np.array(x), x.array)          # np.array copies by default
    with pytest.raises(ValueError, match='needs a copy'):
        np.asarray(x, dtype=np.float64, copy=False)


def test_convert_tree_keeps_views_shared():
    from legonn.tensor.conversion import convert_tree
    base = lg.range(0, 5)
    tree = {'all': base, 'part': [base.narrow(0, 2, 3)], 'idx': lg.LongTensor([1]), 'n': 3}
    out = convert_tree(tree, 'legonn.DoubleTensor', {})
    assert out['all'].type() == 'legonn.DoubleTensor' and out['part'][0].type() == 'legonn.DoubleTensor'
    assert out['part'][0].storage() is out['all'].storage() and out['part'][0].storageOffset() == 2
    assert out['idx'].type() == 'legonn.LongTensor' and out['n'] == 3     # integer tensors keep their type
    out['part'][0].fill(-1)
    assert out['all'].tolist() == [0, 1, -1, -1, -1, 5] and base[2] == 2


def test_pickle_keeps_views_on_one_storage():
    import pickle
    base = lg.rand(4, 5)
    row, col = base.select(0, 1), base.select(1, 2)
    base2, row2, col2 = pickle.loads(pickle.dumps((base, row, col)))
    assert row2.storage() is base2.storage() and col2.storage() is base2.storage()
    assert (row2.storageOffset(), row2.stride()) == (5, (1,))
    row2.fill(3)
    assert base2.select(0, 1).sum() == 15 and col2[1] == 3


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_typed_storage_stores_values_as_c_casts_them(cuda):
    """generic/Storage.c fills ``torch.ByteStorage({...})`` with ``(real)luaL_checknumber``: a fraction truncates
    and an integer out of range keeps its low bits, as the tensor constructor stores them (legonn raised NumPy's
    OverflowError 'Python integer 300 out of bounds for uint8')."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    prefix = 'Cuda' if cuda else ''
    values = [300, -1, 2.9, -129]
    for kind, bits, signed in (('Byte', 8, False), ('Char', 8, True), ('Int', 32, True)):
        want = [(int(v) % (1 << bits)) - ((1 << bits) if signed and int(v) % (1 << bits) >= 1 << (bits - 1) else 0)
                for v in values]
        assert getattr(lg, f'{prefix}{kind}Storage')(values).tolist() == want
        assert getattr(lg, f'{prefix}{kind}Tensor')(values).tolist() == want
    assert lg.ByteStorage([300, -1, 2.9, -129]).tolist() == [44, 255, 2, 127]
    assert getattr(lg, f'{prefix}DoubleStorage')([1, 2.5]).tolist() == [1.0, 2.5]


def test_storage_alias_is_the_default_type_storage():
    """torch7 doc/storage.md: torch.Storage() is the storage of the default tensor type, with every form."""
    old = lg.getdefaulttensortype()
    try:
        lg.setdefaulttensortype('torch.DoubleTensor')
        assert lg.Storage().size() == 0 and type(lg.Storage()) is lg.DoubleStorage
        assert isinstance(lg.Storage(10).fill(1), lg.DoubleStorage)
    finally:
        lg.setdefaulttensortype(old)


def test_typed_storage_views_another_storage():
    """torch7 generic/Storage.c torch_Storage_(new): TYPEStorage(storage [, offset [, size]]) shares the memory of
    elements offset .. offset+size-1 (0-based here), same type only, bounds checked."""
    x = lg.DoubleStorage(10)
    y = lg.DoubleStorage(x, 2, 5)
    x.fill(0)
    assert y.fill(1) is y
    assert x.tolist() == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0]
    assert lg.DoubleStorage(x, 8).size() == 2
    whole = lg.DoubleStorage(x)
    whole[0] = 7
    assert x[0] == 7
    with pytest.raises(TypeError, match='expected a FloatStorage'):
        lg.FloatStorage(x, 2, 5)
    with pytest.raises(IndexError, match='size 5 out of bounds'):
        lg.DoubleStorage(x, 8, 5)
    with pytest.raises(IndexError, match='offset 10'):
        lg.DoubleStorage(x, 10)


@pytest.mark.gpu
def test_cuda_storages_as_cutorch():
    """cutorch's torch.CudaStorage (float32) and its typed twins: zeros or values on the GPU; a CudaTensor built
    on one with size 0 (fb.resnet's and DenseNet's shareGradInput, ``torch.CudaTensor(storage, 1, 0)``) grows
    the shared storage in place on resize, so every tensor on it sees the memory; views and tensors must match
    the storage's device."""
    s = lg.CudaStorage(1)
    assert s.type() == 'torch.CudaStorage' and s.is_cuda and lg.isStorage(s)
    a, b = lg.CudaTensor(s, 0, 0), lg.CudaTensor(s, 0, 0)
    a.resize(2, 3).fill(2)
    assert s.size() == 6 and a.storage() is s and b.storage() is s
    b.resize(6)
    assert b.tolist() == [2.0] * 6
    assert lg.CudaDoubleStorage([1, 2]).type() == 'legonn.CudaDoubleStorage'
    assert lg.CudaLongStorage(3).tolist() == [0, 0, 0]
    view = lg.CudaStorage(s, 1, 2)
    view[0] = 7
    assert s[1] == 7
    with pytest.raises(TypeError, match='expected a CudaStorage to view, got legonn.FloatStorage'):
        lg.CudaStorage(lg.FloatStorage(3), 0, 2)
    with pytest.raises(TypeError, match='expected a FloatStorage to view, got legonn.CudaStorage'):
        lg.FloatStorage(s, 0, 2)
    with pytest.raises(TypeError, match='storage is legonn.CudaStorage, expected a matching storage'):
        lg.FloatTensor(s)
    with pytest.raises(TypeError, match='map a FloatStorage and copy it'):
        lg.CudaStorage('/dev/null')


def test_cuda_storage_classes_without_a_gpu():
    """The Cuda*Storage names exist whatever the machine (a script may name them); without CuPy or a GPU
    building one says what is missing, as a CudaTensor does."""
    assert lg.CudaStorage.__name__ == 'CudaStorage'
    assert {n for n in dir(lg) if n.startswith('Cuda') and n.endswith('Storage')} == {
        'CudaStorage', 'CudaDoubleStorage', 'CudaHalfStorage', 'CudaByteStorage', 'CudaCharStorage',
        'CudaShortStorage', 'CudaIntStorage', 'CudaLongStorage'}
    if lg.gpu_available():
        pytest.skip('a GPU is present')
    with pytest.raises((ImportError, RuntimeError)):
        lg.CudaStorage(2)


def test_typed_storage_maps_a_file(tmp_path):
    """torch7 THStorage_(newWithMapping), doc/storage.md: TYPEStorage(filename [, shared [, size]]) maps the
    file; private mappings leave it alone, shared ones write to it (and create or extend it)."""
    path = tmp_path / 'hello.txt'
    path.write_bytes(b'Hello World\n')
    x = lg.CharStorage(str(path))
    assert x.size() == 12 and x[0] == 72 and x.string() == 'Hello World\n'
    assert x.fill(42).string() == '*' * 12
    assert path.read_bytes() == b'Hello World\n'
    lg.CharStorage(str(path), True).fill(42)
    assert path.read_bytes() == b'*' * 12
    ints = lg.IntStorage(str(tmp_path / 'new.bin'), True, 3).fill(5)
    assert ints.size() == 3 and (tmp_path / 'new.bin').stat().st_size == 12
    with pytest.raises(ValueError, match='holds 12 elements'):
        lg.ByteStorage(str(path), False, 20)


@pytest.mark.skipif(not os.path.isdir('/dev/shm'), reason='POSIX shared memory shows under /dev/shm on Linux only')
def test_typed_storage_maps_shared_memory_and_unlinks_it_when_freed():
    """torch7 generic/Storage.c and THMapAllocator: TYPEStorage(name, true, size, true) maps the shm_open object
    ``name`` (created, sized), which another mapping of /dev/shm/name sees, and which is unlinked once nothing holds
    the storage's memory; sharedMem without shared maps the file as before (torch7's test_sharedmem.lua)."""
    name = f'legonn_test_{os.getpid()}'
    s = lg.DoubleStorage(name, True, 5, True)
    t = lg.DoubleTensor(s, 0, lg.LongStorage([5]))
    other = lg.DoubleStorage('/dev/shm/' + name, True, 5)
    t.fill(2.5)
    assert other.tolist() == [2.5] * 5 and os.path.getsize('/dev/shm/' + name) == 40
    other.fill(1)
    assert t.tolist() == [1] * 5
    del s, other
    gc.collect()
    assert os.path.exists('/dev/shm/' + name)      # the tensor still holds the memory
    del t
    gc.collect()
    assert not os.path.exists('/dev/shm/' + name)
    with pytest.raises(FileNotFoundError):   # not shared: sharedMem is ignored, the (missing) file is opened
        lg.DoubleStorage('/dev/shm/' + name + '_none', False, 0, True)


def test_byte_and_char_storages_hold_strings():
    """torch7 generic/Storage.c string(): a Byte/CharStorage read as or set from a string, NULs kept."""
    x = lg.CharStorage().string('blah blah')
    assert x.tolist() == [98, 108, 97, 104, 32, 98, 108, 97, 104] and x.string() == 'blah blah'
    assert lg.ByteStorage().string(b'a\0b').string() == 'a\0b'
    assert lg.ByteTensor([104, 105]).storage().string() == 'hi'
    with pytest.raises(TypeError, match='only a ByteStorage or CharStorage'):
        lg.DoubleStorage(2).string()


def test_real_converts_to_the_default_type():
    """Tensor.lua's ``x:real()`` is ``x:type(torch.getdefaulttensortype())``."""
    x = lg.LongTensor([[1, 2], [3, 4]])
    f = x.real()
    assert f.type() == 'legonn.FloatTensor' and f.tolist() == x.tolist()
    assert f.real() is f
    previous = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        assert x.real().type() == 'legonn.DoubleTensor' and f.real().type() == 'legonn.DoubleTensor'
    finally:
        lg.setdefaulttensortype(previous)


@pytest.mark.parametrize('name,dtype', CPU_TYPES.items())
def test_every_storage_of_a_type_is_an_instance_of_its_class(name, dtype, tmp_path):
    """Torch7 has one class per storage type: ``torch.isTypeOf(s, 'torch.LongStorage')`` and ``torch.type(s)``
    hold for every LongStorage, ``x:storage()`` and a loaded one too. legonn makes most storages as a plain
    Storage; ``isinstance(s, lg.LongStorage)`` still holds for each of them, and for no storage of another type."""
    storage_name = name.replace('Tensor', 'Storage')
    cls = getattr(lg, storage_name)
    x = getattr(lg, name)([1, 2, 3])
    lg.save(str(tmp_path / 'storage.lg'), x.storage())
    lg.serialization.save_lua(str(tmp_path / 'storage.t7'), x.storage())
    made = {'x.storage()': x.storage(), 'a wrapped array': lg.from_numpy(np.arange(3, dtype=dtype)).storage(),
            'lg.load': lg.load(str(tmp_path / 'storage.lg')),
            'a .t7 file': lg.serialization.load_lua(str(tmp_path / 'storage.t7')),
            'the constructor': cls([1, 2, 3])}
    for how, s in made.items():
        assert s.tolist() == [0, 1, 2] if how == 'a wrapped array' else s.tolist() == [1, 2, 3]
        assert isinstance(s, cls) and lg.isTypeOf(s, cls) and lg.isTypeOf(s, f'torch.{storage_name}'), how
        assert lg.type(s) == f'legonn.{storage_name}', how
        others = [c for c in lg.tensor.storage.TYPED_STORAGES if c is not cls]
        assert not any(isinstance(s, c) or lg.isTypeOf(s, c) for c in others), how
    assert not isinstance(x, cls) and not isinstance(x.storage().data, cls) and not isinstance(3, cls)


@pytest.mark.gpu
def test_every_cuda_storage_is_an_instance_of_its_cuda_class():
    """A CudaTensor's storage is cutorch's torch.CudaStorage, not a FloatStorage, whose dtype it shares."""
    s = lg.CudaTensor(3).fill(2).storage()
    assert isinstance(s, lg.CudaStorage) and not isinstance(s, lg.FloatStorage)
    assert isinstance(lg.FloatTensor(2).storage(), lg.FloatStorage)
    assert not isinstance(lg.FloatTensor(2).storage(), lg.CudaStorage)
    assert isinstance(lg.CudaLongTensor(2).storage(), lg.CudaLongStorage)


def test_a_size_is_a_tuple_and_only_a_constructed_storage_has_its_typed_class():
    """docs/porting.md: ``x.size()`` is a tuple, which no type query calls a LongStorage (Torch7's is one), and
    the storage of a tensor is of the plain Storage class, which ``isinstance`` (not ``type(s) is``) sees as its
    type's."""
    x = lg.LongTensor(2, 3)
    sz = x.size()
    assert isinstance(sz, tuple) and isinstance(x.stride(), tuple)
    assert (lg.type(sz), lg.typename(sz)) == ('table', None)
    assert not isinstance(sz, lg.LongStorage) and not lg.isTypeOf(sz, 'torch.LongStorage')
    assert type(x.storage()) is lg.Storage and isinstance(x.storage(), lg.LongStorage)
    assert type(lg.LongStorage([2, 3])) is lg.LongStorage


def test_a_long_storage_however_made_gives_sizes_and_an_element_position(tmp_path):
    """Torch7 reads a LongStorage passed to a tensor constructor as sizes and one used as a ``[]`` key as an
    element's position; a LongTensor's storage and a loaded LongStorage are LongStorages there too."""
    lg.save(str(tmp_path / 's.lg'), lg.LongStorage([1, 2, 3]))
    x = lg.arange(24).double().view(2, 3, 4)
    for s in (lg.LongTensor([1, 2, 3]).storage(), lg.load(str(tmp_path / 's.lg'))):
        assert lg.FloatTensor(s).size() == (1, 2, 3) and lg.FloatTensor(s).sum() == 0
        assert x[s] == 23
        x[s] = -1
        assert x[s] == -1 and x.numpy()[1, 2, 3] == -1
        x[s] = 23
