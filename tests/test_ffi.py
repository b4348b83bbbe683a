"""legonn.ffi: LuaJIT's ``ffi.copy``/``ffi.string`` on ``x.data()`` views, as Torch7 data loaders pack paths into
a CharTensor (fb.resnet.torch's imagenet-gen.lua and imagenet.lua, imagenet-multiGPU.torch's dataset.lua)."""
import numpy as np
import pytest

import legonn as lg
from legonn import ffi


def test_copy_writes_the_string_and_its_nul_and_string_reads_it_back():
    paths = ['n01/a.JPEG', 'n02/bé.png', 'c/x']
    maxLength = max(len(p.encode()) for p in paths) + 1
    imagePath = lg.CharTensor(len(paths), maxLength).fill(7)   # not zeroed: the NUL must come from the copy
    for i, path in enumerate(paths):
        ffi.copy(imagePath[i].data(), path)
    assert [ffi.string(imagePath[i].data()) for i in range(len(paths))] == paths
    assert [ffi.string(lg.data(imagePath[i])) for i in range(len(paths))] == paths   # torch.data(x)
    row = imagePath[2].numpy()
    assert row.tolist() == [ord('c'), ord('/'), ord('x'), 0] + [7] * (maxLength - 4)


def test_pointer_steps_as_dataset_lua_walks_the_rows():
    """``ffi.copy(s_data, line); s_data = s_data + maxPathLength`` ports with ``s_data = s_data[maxPathLength:]``."""
    imagePath = lg.CharTensor(3, 5).zero()
    s_data = imagePath.data()
    for line in ('ab', 'cde', 'f'):
        ffi.copy(s_data, line)
        s_data = s_data[5:]
    assert [ffi.string(lg.data(imagePath[i])) for i in range(3)] == ['ab', 'cde', 'f']


def test_copy_with_a_length_and_string_with_a_length():
    data = b'\x89PNG\x00\x01'
    b = lg.ByteTensor(len(data))
    ffi.copy(b.data(), data, b.size(0))       # imagenet.lua's ffi.copy(b:data(), data, b:size(1))
    assert bytes(b.numpy()) == data
    assert ffi.string(b.data(), 4).encode('utf-8', 'surrogateescape') == b'\x89PNG'
    dst = lg.ByteTensor(6).zero()
    ffi.copy(dst.data()[2:], b.data(), 3)      # from another pointer, len bytes
    assert dst.numpy().tolist() == [0, 0, 0x89, ord('P'), ord('N'), 0]
    floats = lg.FloatTensor([1.5, -2.0])
    out = lg.FloatTensor(2).zero()
    ffi.copy(out.data(), floats.data(), 8)     # bytes, whatever the element type
    assert out.numpy().tolist() == [1.5, -2.0]
    assert lg.data(floats, True) == floats.numpy().__array_interface__['data'][0]
    assert lg.data(floats.storage()) is floats.storage().data


def test_data_of_a_size_is_its_longs_as_torch7s_fresh_long_storage():
    """``torch.data(x:size())``: Torch7's ``x:size()`` is a new LongStorage (generic/Tensor.c:24) and
    torch.data calls its ``:data()`` (FFInterface.lua:200); facebookarchive/MemNN's KVmemnn
    WeightedLookupTableSkinny.lua hands ``torch.data(self.gradWeight:size())`` to its C
    (tests/porting/test_memnn_kvmemnn.py). A fresh int64 array, as the storage is fresh."""
    x = lg.FloatTensor(5, 3)
    sizes = lg.data(x.size())
    assert sizes.dtype == np.int64 and sizes.tolist() == [5, 3]
    sizes[0] = 7                               # writing it leaves the tensor as the fresh storage does
    assert tuple(x.size()) == (5, 3) and lg.data(x.size()).tolist() == [5, 3]
    assert lg.data(lg.LongStorage([5, 3])).tolist() == [5, 3]


def test_bounds_are_checked_where_luajit_would_overrun_memory():
    row = lg.CharTensor(1, 4).zero()
    with pytest.raises(ValueError, match=r'ffi.copy: 5 bytes do not fit in dst, which holds 4'):
        ffi.copy(row[0].data(), 'abcd')        # 4 characters and the NUL
    with pytest.raises(ValueError, match='exceeds the 2 bytes of src'):
        ffi.copy(row[0].data(), 'ab', 3)
    with pytest.raises(ValueError, match='len is needed'):
        ffi.copy(row[0].data(), lg.CharTensor(2).data())
    row.fill(65)
    with pytest.raises(ValueError, match='no NUL byte ends the string in the 4 bytes'):
        ffi.string(row[0].data())
    with pytest.raises(TypeError, match='host pointer'):
        ffi.string(row[0])                     # the tensor, not its data()
    with pytest.raises(ValueError, match='len must be a non-negative integer'):
        ffi.string(row[0].data(), -1)
    with pytest.raises(TypeError, match='torch.data: expected a tensor or a storage'):
        lg.data([1, 2])
    assert ffi.os in ('Linux', 'OSX', 'Windows', 'Other')
    assert np.array_equal(row.numpy(), [[65] * 4])   # nothing was written by the refused calls


@pytest.mark.gpu
def test_a_cuda_pointer_is_refused():
    x = lg.CudaTensor(4)
    with pytest.raises(TypeError, match='device memory'):
        ffi.copy(lg.data(x), 'ab')


def test_require_ffi_finds_it():
    from legonn import paths
    assert paths.require('ffi') is ffi and lg.ffi is ffi
