"""lg.save_lua: Torch7's binary format written back (torch/File.lua's writeObject, generic/Tensor.c and
Storage.c's write, tds's __write). Every real Torch7 file of t7_fixtures/, read without conversion and written
again, gives its bytes back exactly; built values give the bytes test_t7's hand writer ``T7`` builds."""
import io
import os

import numpy as np
import pytest

import legonn as lg
from legonn import nn, tds
from legonn.serialization.t7.reader import LuaTable

from .test_t7 import REAL, T7, fixture
from .test_t7_tds import tds_header


def written(obj):
    out = io.BytesIO()
    assert lg.save_lua(out, obj) is out
    return out.getvalue()


@pytest.mark.parametrize('name', REAL)
def test_real_torch7_files_are_written_back_byte_for_byte(name):
    data = open(fixture(name), 'rb').read()
    assert written(lg.load_lua(fixture(name), convert=False)) == data


def test_tds_containers_are_written_as_tds_writes_them():
    h = tds.Hash()
    h['v'] = tds.Vec(1, None, 'x')
    h[2] = True
    w = tds_header(T7(), 'tds.Hash', 2).value('v')
    tds_header(w, 'tds.Vec', 3).value(1).value(None).value('x')
    w.value(2).value(True)
    assert written(h) == w.bytes()
    counter = tds.AtomicCounter()
    counter.set(9)
    assert written(counter) == T7().int(4).index().string('V 0').string('tds.AtomicCounter').long(9).bytes()


def test_round_trip_of_nested_shared_and_cyclic_values(tmp_path):
    """A table holding a tds.Hash twice and itself, a Hash holding itself, two views of one storage."""
    base = lg.DoubleTensor(np.arange(12.0))
    h = tds.Hash({'name': 'run'})
    h['me'] = h
    table = {'a': h, 'b': h, 'views': [base.narrow(0, 2, 6).view(2, 3), base], 'list': [1, 2.5, 'three']}
    table['self'] = table
    path = tmp_path / 'values.t7'
    assert lg.save_lua(str(path), table) == str(path)
    back = lg.load(str(path))
    assert isinstance(back, LuaTable) and back['self'] is back and back['a'] is back['b']
    assert isinstance(back['a'], tds.Hash) and back['a']['me'] is back['a'] and back['a']['name'] == 'run'
    view, whole = back['views']
    assert view.storage() is whole.storage() and view.storageOffset() == 2
    np.testing.assert_array_equal(view.numpy(), np.arange(2.0, 8.0).reshape(2, 3))
    assert back['list'] == [1, 2.5, 'three']


def test_a_hook_replaces_each_value_as_it_is_written():
    """File:writeObject's hook (File.lua) in save_lua: each value is written as hook(value), and a value met
    twice is one object in the file, as Torch7 keeps references to the object met."""
    t = lg.FloatTensor([1, 2])
    f = io.BytesIO()
    lg.save_lua(f, {'a': t, 'b': t, 'n': 2}, hook=lambda v: v.double() if v is t else 'two' if v == 2 else v)
    f.seek(0)
    back = lg.load(f)
    assert back['a'] is back['b'] and back['a'].type() == 'torch.DoubleTensor' and back['n'] == 'two'


def test_nils_are_left_out_as_lua_does():
    """Lua cannot hold a nil value in a table: a list's None positions and a dict's None values are not written
    (a tds.Vec keeps its nils: vec.lua writes them)."""
    assert written([None, 'x']) == T7().value({2: 'x'}).bytes()
    assert written({'a': None, 'b': 1}) == T7().value({'b': 1}).bytes()


def test_empty_tensors_are_torch7s():
    """TH cuts a tensor's sizes at the first 0: an empty tensor has no dimensions and no storage."""
    data = written(lg.FloatTensor(0))
    assert data == T7().int(4).index().string('V 1').string('torch.FloatTensor').int(0).long(1).int(0).bytes()
    assert lg.load_lua(io.BytesIO(data)).nElement() == 0


def test_what_torch7_cannot_hold_is_refused_naming_where():
    with pytest.raises(TypeError, match=r"legonn.save_lua: the saved object\['model'\] is a legonn.*SpatialReSampling, "
                                        r"which save_lua cannot write as a Torch7 nn object .*lg.save keeps every"):
        # nnx's class: torch/nn's are written (test_t7_module_writer)
        written({'model': nn.SpatialReSampling(owidth=4, oheight=4)})
    with pytest.raises(TypeError, match='the key None'):
        written({None: 1})
    with pytest.raises(TypeError, match=r'the saved object\[0\] is a builtins.set'):
        written([{1, 2}])
    # a table or object used as a key is named by its kind: its repr would spell out all it holds (a gModule's
    # mapindex keys are whole node data tables)
    with pytest.raises(TypeError, match=r'the saved object\[<table>\] is a builtins.set'):
        written({LuaTable({'big': list(range(5))}): {1}})


def test_nesting_past_the_recursion_limit_is_a_clear_error():
    """A chain of tables deeper than the writer (and load_lua) recurse is refused, not a bare RecursionError."""
    deep = []
    for _ in range(50000):
        deep = [deep]
    with pytest.raises(ValueError, match='legonn.save_lua: the saved object nests tables and objects too deeply'):
        written(deep)


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / 'keep.t7'
    lg.save_lua(str(path), [1, 2])
    with pytest.raises(TypeError):
        lg.save_lua(str(path), [object()])
    assert lg.load(str(path)) == [1, 2] and sorted(os.listdir(tmp_path)) == ['keep.t7']


@pytest.mark.gpu
def test_cuda_tensors_are_written_as_torch7s_cuda_types():
    """cutorch's names (torch.CudaTensor for float, torch.CudaDoubleStorage, ...), the data copied from the GPU;
    the file loads back on the GPU or the CPU."""
    t = lg.FloatTensor(np.arange(6, dtype=np.float32).reshape(2, 3)).cuda()
    data = written({'x': t, 'd': t.type('legonn.CudaDoubleTensor')})
    for name in (b'torch.CudaTensor', b'torch.CudaStorage', b'torch.CudaDoubleTensor', b'torch.CudaDoubleStorage'):
        assert name in data
    back = lg.load_lua(io.BytesIO(data), device='cuda')
    assert back['x'].type() == 'legonn.CudaTensor' and back['d'].type() == 'legonn.CudaDoubleTensor'
    assert lg.load_lua(io.BytesIO(data))['d'].type() == 'legonn.CudaDoubleTensor'   # where saved, CUDA usable
    np.testing.assert_array_equal(lg.load_lua(io.BytesIO(data), device='cpu')['x'].numpy(), t.cpu().numpy())


# --- the ascii encoding: torch.save(path, obj, 'ascii') -----------------------------------------------------

def written_ascii(obj):
    out = io.BytesIO()
    lg.save_lua(out, obj, 'ascii')
    return out.getvalue()


def test_ascii_bytes_are_thdiskfiles():
    """THDiskFile's ascii mode: each write's numbers as text separated by spaces and ended by a newline, chars
    raw then a newline, doubles %.17g: the text test_t7 reads by hand, byte for byte."""
    value = {'hello': 123, 'flag': True, 't': lg.DoubleTensor([0.5, -1.25])}
    assert written_ascii(value) == (b"3\n1\n3\n"
                                    b"2\n5\nhello\n1\n123\n"
                                    b"2\n4\nflag\n5\n1\n"
                                    b"2\n1\nt\n4\n2\n3\nV 1\n18\ntorch.DoubleTensor\n1\n2\n1\n1\n"
                                    b"4\n3\n3\nV 1\n19\ntorch.DoubleStorage\n2\n0.5 -1.25\n")
    floats = written_ascii(lg.FloatTensor([1 / 3, 2.5e-38]))
    assert b"\n0.333333343 2.49999998e-38\n" in floats     # %.9g: every float32 back exactly
    assert written_ascii('') == b"2\n0\n"                  # no chars, no newline (auto-spacing writes n > 0)


@pytest.mark.parametrize('name', REAL)
def test_real_torch7_files_come_back_the_same_through_ascii(name):
    """Every real fixture, read raw, written in ascii and read again, is written in binary as the file's bytes."""
    raw = lg.load_lua(fixture(name), convert=False)
    again = lg.load_lua(io.BytesIO(written_ascii(raw)), convert=False)
    assert written(again) == open(fixture(name), 'rb').read()


def test_ascii_round_trip_of_every_storage_type_strings_and_models():
    """Bytes and chars with newlines inside, the extreme values of each integer type, doubles and floats that
    need every digit, infinities and NaN, strings with blanks and newlines, tds, a model and a gModule: the same
    after an ascii round trip as after a binary one."""
    rng = np.random.default_rng(0)
    tensors = [lg.ByteTensor(np.array([10, 0, 255, 32], np.uint8)), lg.CharTensor(np.array([10, -128, 127], np.int8)),
               lg.ShortTensor(np.array([-2 ** 15, 2 ** 15 - 1], np.int16)),
               lg.IntTensor(np.array([-2 ** 31, 2 ** 31 - 1], np.int32)),
               lg.LongTensor(np.array([-2 ** 63, 2 ** 63 - 1], np.int64)),
               lg.DoubleTensor(np.array([np.pi, -1e-310, np.inf, -np.inf, np.nan, 1e308])),
               lg.FloatTensor(rng.standard_normal(7).astype(np.float32))]
    h = tds.Hash({'line': 'a b\nc'})
    x = nn.Identity()()
    model = nn.Sequential().add(nn.SpatialConvolution(1, 2, 3, 3)).add(nn.ReLU()).add(nn.View(-1))
    graph = nn.gModule([x], [nn.Tanh()(nn.Linear(3, 2)(x))])
    value = {'tensors': tensors, 'hash': h, 'text': ' two words \n', 'n': 1 / 3, 'model': model, 'graph': graph}
    by_ascii = lg.load_lua(io.BytesIO(written_ascii(value)))
    by_binary = lg.load_lua(io.BytesIO(written(value)))
    for a, b in zip(by_ascii['tensors'], by_binary['tensors']):
        assert a.type() == b.type()
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert by_ascii['hash']['line'] == 'a b\nc' and by_ascii['text'] == ' two words \n' and by_ascii['n'] == 1 / 3
    image = lg.Tensor(2, 1, 5, 5).uniform()
    np.testing.assert_array_equal(by_ascii['model'].forward(image).numpy(), model.forward(image).numpy())
    v = lg.Tensor(4, 3).uniform()
    np.testing.assert_array_equal(by_ascii['graph'].forward(v).numpy(), graph.forward(v).numpy())


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match=r"format must be 'binary' or 'ascii'.*got 'text'"):
        lg.save_lua(io.BytesIO(), 1, 'text')
