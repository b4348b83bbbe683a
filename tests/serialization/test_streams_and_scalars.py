"""File objects and bytes (``lg.save``/``lg.load`` on binary files, ``lg.serialize``/``lg.deserialize``,
Torch7's torch.serialize/deserialize that char-rnn's util/model_utils.lua clone_many_times goes through a
MemoryFile for), NumPy scalars of every kind the format holds, the dtypes it refuses, and the hook that
lets a class check its loaded state (``validateState``)."""
import io
import json
import math
import os
import zipfile

import numpy as np
import pytest

import legonn as lg
from legonn import nn

from .crafted_zip import overlapping_chain, rezip_manifest
from .test_archive_bounds import ndarrays_manifest


def bits(x):
    return np.asarray(x).tobytes()


@pytest.mark.parametrize('scalar', [np.complex64(1.5 - 2.25j), np.complex128(complex(1 / 3, -1e-300)),
                                    np.complex128(complex(math.inf, math.nan)), np.complex64(complex(-0.0, 3e38)),
                                    np.float16(0.1), np.float32(1 / 3), np.float32(-math.inf), np.int8(-128),
                                    np.uint64(2 ** 64 - 1), np.int64(-2 ** 63), np.bool_(True), np.uint8(255)])
def test_numpy_scalars_round_trip_exactly(scalar):
    back = lg.deserialize(lg.serialize({'s': scalar}))['s']
    assert type(back) is type(scalar) and bits(back) == bits(scalar)


@pytest.mark.parametrize('value', [1.5 - 2.25j, complex(math.inf, math.nan), complex(-0.0, 1e-300), 0j])
def test_python_complex_numbers_round_trip_exactly(value):
    back = lg.deserialize(lg.serialize([value, value]))
    assert type(back[0]) is complex and bits(back[0]) == bits(value) and bits(back[1]) == bits(value)


@pytest.mark.parametrize('raw', [[1.0], [1.0, 'x'], [1, 2], 'ab', None])
def test_malformed_python_complex_is_a_format_error(raw):
    manifest = {'format': 'legonn', 'version': 1, 'root': {'$ref': 0},
                'objects': [{'kind': 'complex', 'value': raw}]}
    data = rezip_manifest(lg.serialize(None), json.dumps(manifest).encode())
    with pytest.raises(lg.serialization.FormatError, match='complex needs a .real, imag. pair'):
        lg.deserialize(data)


def test_complex_scalars_inside_a_model_state(tmp_path):
    state = {'phase': np.complex64(0.5j), 'history': [np.complex128(1 + 1j), np.arange(3) * 1j]}
    lg.save(tmp_path / 's.lg', state)
    back = lg.load(tmp_path / 's.lg')
    assert back['phase'] == 0.5j and type(back['phase']) is np.complex64
    assert back['history'][0] == 1 + 1j and np.array_equal(back['history'][1], np.arange(3) * 1j)


def test_dtypes_outside_the_format_are_refused_when_saving():
    with pytest.raises(TypeError, match=r">f4 values.*astype\('<f4'\)"):
        lg.serialize({'x': np.zeros(3, '>f4')})
    with pytest.raises(TypeError, match=r"<f16 values"):
        lg.serialize([np.longdouble(1)])
    with pytest.raises(TypeError, match=r"<U1 values"):
        lg.serialize(np.array(['a']))


def test_save_and_load_with_binary_file_objects(tmp_path):
    model = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh())
    buffer = io.BytesIO()
    assert lg.save(buffer, model) is buffer
    buffer.seek(0)
    back = lg.load(buffer)
    x = lg.rand(2, 3)
    assert np.array_equal(back.forward(x).numpy(), model.forward(x).numpy())
    prefixed = io.BytesIO(b'anything before the archive is ignored')
    prefixed.seek(0, io.SEEK_END)
    lg.save(prefixed, [1, 2])
    assert lg.load(prefixed) == [1, 2]
    with open(tmp_path / 'm.lg', 'wb') as f:
        lg.save(f, {'model': model})
        assert not f.closed                      # the caller's file stays open
    with open(tmp_path / 'm.lg', 'rb') as f:
        assert isinstance(lg.load(f)['model'], nn.Sequential)
    with open(tmp_path / 'm.lg', 'r') as text, pytest.raises(TypeError, match='text mode'):
        lg.load(text)
    with open(tmp_path / 'm.lg', 'w') as text, pytest.raises(TypeError, match='text mode'):
        lg.save(text, 1)


class Stream(io.RawIOBase):
    """A pipe-like binary stream: readable or writable once, never seekable."""

    def __init__(self, data=b''):
        self.data, self.out = io.BytesIO(data), io.BytesIO()

    def readable(self):
        return True

    def writable(self):
        return True

    def readinto(self, view):
        return self.data.readinto(view)

    def write(self, data):
        return self.out.write(data)


def test_unseekable_streams():
    sink = Stream()
    lg.save(sink, {'w': lg.ones(4), 'n': 5})
    back = lg.load(Stream(sink.out.getvalue()))
    assert back['n'] == 5 and back['w'].sum() == 4

    class ReadOnly:                    # nothing but read(), as some socket and archive wrappers offer
        def __init__(self, data):
            self.read = io.BytesIO(data).read

    assert lg.load(ReadOnly(sink.out.getvalue()))['n'] == 5


def test_serialize_and_deserialize_make_independent_clones():
    """char-rnn's clone_many_times: serialize the prototype once, deserialize it T times."""
    proto = nn.Sequential().add(nn.Linear(5, 5)).add(nn.Tanh())
    data = lg.serialize(proto)
    assert isinstance(data, bytes) and data == lg.serialize(proto)
    clones = [lg.deserialize(data) for _ in range(4)]
    clones[0].get(0).weight.fill(7)
    for clone in clones[1:]:
        assert np.array_equal(clone.get(0).weight.numpy(), proto.get(0).weight.numpy())
    assert lg.deserialize(bytearray(data)).get(0).weight.size() == (5, 5)
    assert lg.deserialize(memoryview(data)).get(0).bias.size() == (5,)
    with pytest.raises(TypeError, match='expected bytes'):
        lg.deserialize('not bytes')


def test_serialize_to_storage_round_trips_through_a_char_storage():
    """Torch7's torch.serializeToStorage gives serialize's bytes in a CharStorage and deserializeFromStorage
    reads them back (a ByteStorage of them too), with serialize's mode argument."""
    table = {1: 6, 'a': 42}
    storage = lg.serializeToStorage(table)
    assert storage.type() == 'torch.CharStorage' and bytes(storage.string(), 'utf-8', 'surrogateescape') == \
        lg.serialize(table)
    assert lg.deserializeFromStorage(storage) == table
    x = lg.randn(3, 4)
    back = lg.deserializeFromStorage(lg.ByteStorage().string(lg.serialize(x, 'binary')), 'ascii')
    assert np.array_equal(back.numpy(), x.numpy())
    with pytest.raises(TypeError, match='expected a CharStorage or ByteStorage, got FloatStorage'):
        lg.deserializeFromStorage(lg.FloatStorage(3))
    with pytest.raises(lg.FormatError):
        lg.deserializeFromStorage(lg.CharStorage(10))


def test_a_hook_replaces_each_value_as_it_is_written():
    """Torch7's File:writeObject(object, debugname, hook) (File.lua): every value met, the root first, is written
    as hook(value), the replacement's own contents pass through the hook too, and a value met twice stays one
    object (references follow the object met, not what the hook made of it)."""
    t = lg.FloatTensor([1, 2])
    seen = []

    def hook(v):
        seen.append(v)
        return v.double() if v is t else 'two' if v == 2 else v

    back = lg.deserialize(lg.serialize({'a': t, 'b': t, 'n': [2, 3]}, hook=hook))
    assert back['a'] is back['b'] and back['a'].type() == 'torch.DoubleTensor' and back['n'] == ['two', 3]
    assert sum(v is t for v in seen) == 2
    assert lg.deserialize(lg.serialize(t, hook=lambda v: 5)) == 5
    f = io.BytesIO()
    lg.save(f, [t], hook=lambda v: v if isinstance(v, list) else 'x')
    f.seek(0)
    assert lg.load(f) == ['x']


def test_deserialize_applies_every_check_of_load():
    with pytest.raises(lg.FormatError, match='not a legonn archive'):
        lg.deserialize(b'\x80\x04not a zip')
    with pytest.raises(lg.FormatError, match='overlaps'):
        lg.deserialize(overlapping_chain(ndarrays_manifest, links=5, tail_bytes=1000))
    truncated = lg.serialize(lg.rand(100))[:-40]
    with pytest.raises(lg.FormatError):
        lg.deserialize(truncated)


class Checked:
    """A user class whose state must hold a positive ``count`` and a ``weight`` of that many elements."""
    calls = []

    def __init__(self, count):
        self.count, self.weight = count, lg.zeros(count)

    def validateState(self):
        Checked.calls.append(self)
        if type(self.count) is not int or self.count <= 0:
            raise ValueError(f"Checked: count must be a positive integer, got {self.count!r}")
        if self.weight.nElement() != self.count:
            raise TypeError(f"Checked: weight has {self.weight.nElement()} elements, count is {self.count}")


@pytest.fixture
def checked():
    lg.register(Checked, name='tests.Checked')
    Checked.calls.clear()
    return Checked


def _forge(obj, old, new):
    """``obj`` serialized, with the text ``old`` of its manifest replaced by ``new`` (as a crafted file)."""
    data = lg.serialize(obj)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = zf.read('manifest.json')
    assert old.encode() in manifest
    return rezip_manifest(data, manifest.replace(old.encode(), new.encode()))


def test_validate_state_runs_after_every_object_is_built(checked):
    parent = {'a': checked(3), 'b': [checked(2)]}
    back = lg.deserialize(lg.serialize(parent))
    assert len(checked.calls) == 2 and all(c.weight.nElement() == c.count for c in checked.calls)
    assert back['a'].count == 3 and back['b'][0].count == 2


def test_validate_state_errors_become_format_errors(checked):
    with pytest.raises(lg.FormatError, match="invalid state: Checked: count must be a positive integer, got -4"):
        lg.deserialize(_forge(checked(3), '"count":3', '"count":-4'))
    with pytest.raises(lg.FormatError, match="invalid state: Checked: weight has 3 elements, count is 5") as err:
        lg.deserialize(_forge(checked(3), '"count":3', '"count":5'))
    assert isinstance(err.value.__cause__, TypeError)


def test_a_module_missing_a_field_is_a_format_error():
    # a Linear's missing gradBias reads as the None every module has for an absent parameter (Torch7's nil):
    # torch.load accepts such a module (neuraltalk2's checkpoints drop their gradients on purpose), and
    # backward refuses it until the gradient is back
    linear = lg.deserialize(_forge(nn.Linear(2, 3), '"gradBias":', '"renamed":'))
    assert linear.gradBias is None
    x = lg.randn(4, 2)
    with pytest.raises(ValueError, match=r"Linear\(2 -> 3\): expected gradient 1"):
        linear.backward(x, linear.forward(x).clone())
    with pytest.raises(lg.FormatError, match=r"\(BatchNormalization\) has an invalid state: .*running_mean"):
        lg.deserialize(_forge(nn.BatchNormalization(3), '"running_mean":', '"renamed":'))


def test_a_file_cannot_shadow_validate_state(checked):
    with pytest.raises(lg.FormatError, match="attribute name 'validateState' refused"):
        lg.deserialize(_forge(checked(3), '"count":3', '"validateState":3'))


def test_save_returns_the_path_it_was_given(tmp_path):
    path = str(tmp_path / 'x.lg')
    assert lg.save(path, 1) == path and os.path.exists(path)


@pytest.mark.gpu
def test_gpu_views_and_complex_scalars_through_bytes():
    """CUDA tensors (a transposed view included) and a complex scalar, through serialize/deserialize onto the
    GPU: views are rebuilt there during the load."""
    weight = lg.rand(3, 4).cuda()
    state = {'w': weight, 'wt': weight.t(), 'phase': np.complex64(2 - 1j)}
    back = lg.deserialize(lg.serialize(state), device='cuda')
    assert back['w'].type() == 'legonn.CudaTensor' and back['wt'].storage() is back['w'].storage()
    assert np.array_equal(back['wt'].cpu().numpy(), weight.t().cpu().numpy())
    assert back['phase'] == np.complex64(2 - 1j)


@pytest.mark.gpu
def test_storage_bytes_and_hooks_with_cuda_tensors():
    """serializeToStorage/deserializeFromStorage keep a CudaTensor on the GPU, as deserialize does; a hook that
    moves a CUDA tensor to the host (File:writeObject's use: Cuda to Float) writes the host copy once."""
    x = lg.rand(3, 4).cuda()
    back = lg.deserializeFromStorage(lg.serializeToStorage(x))
    assert back.type() == 'legonn.CudaTensor' and np.array_equal(back.cpu().numpy(), x.cpu().numpy())
    moved = lg.deserialize(lg.serialize([x, x], hook=lambda v: v.float() if lg.isTensor(v) and v.is_cuda else v))
    assert moved[0] is moved[1] and moved[0].type() == 'legonn.FloatTensor'
    assert np.array_equal(moved[0].numpy(), x.cpu().numpy())


@pytest.mark.gpu
def test_deserialize_keeps_each_tensor_on_its_device():
    """Torch7's torch.deserialize (and a MemoryFile's readObject) gives a CudaTensor back a CudaTensor and a
    LongTensor a LongTensor: deserialize's default device 'saved' does the same, for a CUDA module (its type
    and every buffer) beside a CPU tensor, where 'cpu' brings everything to the host; load(device='saved')
    reads a file so, and a Torch7 file too."""
    net = nn.Sequential().add(nn.Linear(3, 2)).cuda()
    net.forward(lg.rand(4, 3).cuda())
    ids = lg.LongTensor([2, 0])
    blob = lg.serialize([net, ids])
    back, back_ids = lg.deserialize(blob)
    assert back.type() == 'legonn.CudaTensor' and back.get(0).weight.type() == 'legonn.CudaTensor'
    assert back.get(0).output.type() == 'legonn.CudaTensor' and back_ids.type() == 'legonn.LongTensor'
    np.testing.assert_array_equal(back.forward(lg.ones(1, 3).cuda()).cpu().numpy(),
                                  net.forward(lg.ones(1, 3).cuda()).cpu().numpy())
    cpu, _ = lg.deserialize(blob, device='cpu')
    assert cpu.type() == 'legonn.FloatTensor' and cpu.get(0).weight.type() == 'legonn.FloatTensor'
    assert lg.load(io.BytesIO(blob), device='saved')[1].type() == 'legonn.LongTensor'
    t7 = io.BytesIO()
    lg.save_lua(t7, [net.get(0).weight, ids])
    w, i = lg.load_lua(io.BytesIO(t7.getvalue()), device='saved')
    assert w.type() == 'legonn.CudaTensor' and i.type() == 'legonn.LongTensor'
    assert lg.load_lua(io.BytesIO(t7.getvalue()), device='cpu')[0].type() == 'legonn.FloatTensor'
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda', 'saved' or None .*got 'gpu'"):
        lg.deserialize(blob, device='gpu')
