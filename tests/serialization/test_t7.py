"""Reading Torch7 .t7 files (legonn.load_lua, and legonn.load dispatching to it).

The fixtures under t7_fixtures/ were written by real Torch7 (README.md there gives each one's
source and licence); expected values come from what their sources state: python-torchfile's
tests.py and README.md, and cpp-torch's example/basic/main.cpp (which forwards net.t7 on x.t7 and
prints the result beside y.t7, Torch7's output), and torch-ios's create_xor_net.lua (which built, trained
and saved the nn.Sequential in torch_ios_xor_model.net). Semantics of the format follow torch7's File.lua
(readObject) and generic/Tensor.c / generic/Storage.c (read).
Hand-built byte strings below (``T7``) exercise what no fixture holds: the ascii encoding,
index-field conversion, the other containers and damaged files; they are not presented as files Torch7 wrote.
"""
import io
import math
import os
import re
import struct
import threading

import numpy as np
import pytest

import legonn as lg
from legonn import nn, tds
from legonn.serialization import FormatError
from legonn.serialization.t7.reader import TorchObject

FIXTURES = os.path.join(os.path.dirname(__file__), 't7_fixtures')


def fixture(name):
    return os.path.join(FIXTURES, name)


# --- a minimal writer of Torch7's binary encoding, for crafted inputs --------------------------

class T7:
    """Builds the bytes ``torch.save`` would write (binary, 8-byte longs) for simple values."""

    def __init__(self, long_format='<q'):
        self.out, self.next_index, self.long_format = bytearray(), 1, long_format
        self.written = {}   # id(dict or object tuple) -> its index: written again, it is a reference

    def int(self, v):
        self.out += struct.pack('<i', v)
        return self

    def long(self, *vs):
        for v in vs:
            self.out += struct.pack(self.long_format, v)
        return self

    def string(self, s):
        raw = s.encode() if isinstance(s, str) else s
        return self.int(len(raw)).chars(raw)

    def chars(self, raw):
        self.out += raw
        return self

    def index(self):
        self.next_index += 1
        return self.int(self.next_index - 1)

    def value(self, v):
        if v is None:
            return self.int(0)
        if isinstance(v, bool):
            return self.int(5).int(int(v))
        if isinstance(v, (int, float)):
            self.int(1)
            self.out += struct.pack('<d', float(v))
            return self
        if isinstance(v, str):
            return self.int(2).string(v)
        if id(v) in self.written:
            return self.int(3 if isinstance(v, dict) else 4).int(self.written[id(v)])
        if isinstance(v, (dict, tuple)):
            self.written[id(v)] = self.next_index
        if isinstance(v, dict):
            self.int(3).index().int(len(v))
            for k, x in v.items():
                self.value(k).value(x)
            return self
        if isinstance(v, tuple) and v[0] == 'object':   # ('object', 'nn.Linear', {fields})
            self.int(4).index().string('V 1').string(v[1])
            return self.value(v[2])
        if isinstance(v, np.ndarray):
            return self.tensor(v)
        raise TypeError(v)

    def tensor(self, arr):
        name = {np.float64: 'Double', np.float32: 'Float', np.int64: 'Long', np.uint8: 'Byte'}[arr.dtype.type]
        self.int(4).index().string('V 1').string(f'torch.{name}Tensor').int(arr.ndim)
        self.long(*arr.shape).long(*(s // arr.itemsize for s in arr.strides)).long(1)
        self.int(4).index().string('V 1').string(f'torch.{name}Storage').long(arr.size)
        return self.chars(np.ascontiguousarray(arr).tobytes())

    def bytes(self):
        return bytes(self.out)


def load_bytes(data, **kwargs):
    return lg.load_lua(io.BytesIO(data), **kwargs)


def nn_object(name, **fields):
    return ('object', 'nn.' + name, fields)


# --- python-torchfile's fixtures (tests.py and README.md state the values) ---------------------

def test_table_with_a_number():
    """tests.py test_dict: hello=123.t7 holds {hello = 123}."""
    obj = lg.load_lua(fixture('hello=123.t7'))
    assert obj == {'hello': 123} and type(obj['hello']) is int


def test_list_table_becomes_a_list():
    """tests.py test_list_heuristic: keys 1..4 hold 'hello', 'world', 'third item', 123."""
    assert lg.load_lua(fixture('list_table.t7')) == ['hello', 'world', 'third item', 123]


def test_custom_class_keeps_its_name():
    """tests.py test_custom_class: an object of torch.class('Blah')."""
    obj = lg.load_lua(fixture('custom_class.t7'))
    assert isinstance(obj, TorchObject) and obj.typename == 'Blah' and len(obj) == 0


def test_double_and_float_tensors():
    """tests.py test_basic_tensors: [[1, 2, 3], [4, 5, 6.9]] as doubles; the float tensor sums to 12.97241666913."""
    f64 = lg.load_lua(fixture('doubletensor.t7'))
    assert f64.type() == 'legonn.DoubleTensor'
    np.testing.assert_array_equal(f64.numpy(), np.array([[1, 2, 3], [4, 5, 6.9]]))
    f32 = lg.load_lua(fixture('floattensor.t7'))
    assert f32.type() == 'legonn.FloatTensor'
    assert abs(float(f32.numpy().astype(np.float64).sum()) - 12.97241666913) < 1e-5


def test_recursive_class_and_table():
    """README (testfiles_x86_64): recursive_class.t7 is an object of class A whose field a is itself;
    recursive_kv_table.t7 is a table whose one key and value are the table itself."""
    obj = lg.load_lua(fixture('recursive_class.t7'))
    assert obj.typename == 'A' and obj['a'] is obj
    table = lg.load_lua(fixture('recursive_kv_table.t7'))
    (key,) = table.keys()
    assert key is table and table[key] is table


def test_tds_hash_and_vec():
    """tests.py TestTDS: tds_hash.t7 has 3 entries with [1] = 2 and [10] = 11; tds_vec.t7 is {123, 456}. They
    load as legonn.tds's containers (the Vec indexed from 0), through lg.load too."""
    h = lg.load_lua(fixture('tds_hash.t7'))
    assert isinstance(h, tds.Hash) and len(h) == 3 and h[1] == 2 and h[10] == 11
    v = lg.load(fixture('tds_vec.t7'))
    assert isinstance(v, tds.Vec) and list(v) == [123, 456]


@pytest.mark.parametrize('name', ['function.t7', 'function_upvals.t7'])
def test_lua_functions_are_refused(name, tmp_path, monkeypatch):
    """tests.py test_function: these files hold dumped Lua functions; legonn never runs file contents."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FormatError, match='Lua function'):
        lg.load_lua(fixture(name))
    assert os.listdir(tmp_path) == []


def test_gmodule_runs_forward():
    """README.md: gmodule_with_linear_identity.t7's nn.Linear has weight [-0.0248373, 0.17503954] and bias
    [0.05159848, -0.25367146]; its nodes' labels give the source: a = nn.Identity()(), b = nn.Identity()(),
    c = nn.Linear(1,2)(a), and a CAddTable of c and b as the output."""
    g = lg.load_lua(fixture('gmodule_with_linear_identity.t7'))
    assert isinstance(g, nn.gModule)
    assert [type(m).__name__ for m in g.modules] == ['Identity', 'Identity', 'Linear', 'CAddTable']
    linear = g.modules[2]
    np.testing.assert_allclose(linear.weight.numpy().ravel(), [-0.0248373, 0.17503954], rtol=1e-6)
    np.testing.assert_allclose(linear.bias.numpy(), [0.05159848, -0.25367146], rtol=1e-6)
    a, b = np.array([3.0]), np.array([1.0, -2.0])
    out = g.forward([lg.DoubleTensor(a), lg.DoubleTensor(b)])
    expected = np.array([-0.0248373, 0.17503954]) * 3.0 + np.array([0.05159848, -0.25367146]) + b
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


# --- cpp-torch's example (main.cpp forwards net.t7 on x.t7 and prints it beside y.t7) ------------

def test_linear_checkpoint_runs_forward_like_torch7():
    """example/basic: net.t7 is an nn.Linear of float tensors; y.t7 is Torch7's output for x.t7, and the
    module, saved after that forward, keeps the same values in its output field."""
    model = lg.load(fixture('cpptorch_linear_net.t7'))   # lg.load recognises a Torch7 file
    x, y = lg.load_lua(fixture('cpptorch_linear_x.t7')), lg.load_lua(fixture('cpptorch_linear_y.t7'))
    assert isinstance(model, nn.Linear) and model.weight.type() == 'legonn.FloatTensor'
    assert tuple(model.weight.size()) == (2, 3) and tuple(model.bias.size()) == (2,)
    assert x.type() == y.type() == 'legonn.FloatTensor'
    np.testing.assert_array_equal(model.forward(x).numpy(), y.numpy())
    np.testing.assert_array_equal(lg.load_lua(fixture('cpptorch_linear_net.t7'), convert=False)['output'].numpy(),
                                  y.numpy())
    # the loaded parameters are the file's: the output is weight @ x + bias
    np.testing.assert_allclose(model.weight.numpy() @ x.numpy() + model.bias.numpy(), y.numpy())


# --- torch-ios's pretrained XOR network (create_xor_net.lua trained and saved it) ---------------

XOR_NET = 'torch_ios_xor_model.net'


def xor_target(x):
    """create_xor_net.lua's training target: -1 where x[1]*x[2] > 0, else 1."""
    return np.where(x[..., 0] * x[..., 1] > 0, -1.0, 1.0)


def test_sequential_checkpoint_loads_as_built_by_its_script():
    """torch-ios ios_lua_scripts/XOR_Example_Scripts/create_xor_net.lua: with the default tensor type
    torch.FloatTensor, mlp = nn.Sequential() of nn.Linear(2, 20), nn.Tanh(), nn.Linear(20, 1), trained
    2500 steps with MSECriterion and saved by torch.save("xor_model.net", mlp, "binary")."""
    model = lg.load(fixture(XOR_NET))
    assert isinstance(model, nn.Sequential)
    assert [type(m).__name__ for m in model.modules] == ['Linear', 'Tanh', 'Linear']
    first, last = model.modules[0], model.modules[2]
    assert tuple(first.weight.size()) == (20, 2) and tuple(first.bias.size()) == (20,)
    assert tuple(last.weight.size()) == (1, 20) and tuple(last.bias.size()) == (1,)
    assert all(p.type() == 'legonn.FloatTensor' for p in model.parameters()[0])
    raw = lg.load_lua(fixture(XOR_NET), convert=False)
    assert [m.typename for m in raw['modules']] == ['nn.Linear', 'nn.Tanh', 'nn.Linear']
    np.testing.assert_array_equal(first.weight.numpy(), raw['modules'][0]['weight'].numpy())
    np.testing.assert_array_equal(last.bias.numpy(), raw['modules'][2]['bias'].numpy())


def test_sequential_checkpoint_runs_forward():
    """Forward of the loaded network is W2 tanh(W1 x + b1) + b2 with the file's weights, one sample or a
    batch, and it has learnt what create_xor_net.lua taught it: the sign of its output on the four
    corners (+-1, +-1) is the training target's."""
    model = lg.load(fixture(XOR_NET))
    w1, b1 = model.modules[0].weight.numpy(), model.modules[0].bias.numpy()
    w2, b2 = model.modules[2].weight.numpy(), model.modules[2].bias.numpy()
    corners = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1], [0.5, 0.7], [-0.3, 0.9]], dtype=np.float32)
    by_hand = np.tanh(corners @ w1.T + b1) @ w2.T + b2
    out = model.forward(corners)
    assert out.type() == 'legonn.FloatTensor' and tuple(out.size()) == (6, 1)
    np.testing.assert_allclose(out.numpy(), by_hand, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.sign(out.numpy()[:4, 0]), xor_target(corners[:4]))
    single = model.forward(corners[2])
    assert tuple(single.size()) == (1,)
    np.testing.assert_allclose(single.numpy(), by_hand[2], rtol=1e-5, atol=1e-6)


def test_sequential_checkpoint_replays_torch7s_last_training_step():
    """create_xor_net.lua's loop ends with forward(input), zeroGradParameters(), backward(input,
    MSECriterion's gradient) and updateParameters(0.01), then saves the model with its buffers.
    Linear.lua's accGradParameters makes gradWeight = gradOutput x input (outer product) and
    gradBias = gradOutput, so the last input is gradWeight's rows divided by gradBias; undoing the
    update (updateParameters(-0.01)) restores the weights that step saw. legonn's forward and backward
    of that step must then give what Torch7 computed and saved: each module's output and gradInput,
    and the gradients."""
    raw = lg.load_lua(fixture(XOR_NET), convert=False)
    saved_first, saved_tanh, saved_last = raw['modules']

    def assert_as_saved(tensor, saved):
        # float32: sums may round apart from Torch7's, and Tanh's 1 - y*y cancels where y nears +-1
        np.testing.assert_allclose(tensor.numpy(), saved.numpy(), rtol=1e-5, atol=1e-6)

    grad_bias = saved_first['gradBias'].numpy().astype(np.float64)
    x = (grad_bias @ saved_first['gradWeight'].numpy()) / (grad_bias @ grad_bias)
    assert_as_saved(lg.from_numpy(np.outer(grad_bias, x)), saved_first['gradWeight'])   # of rank one
    x = x.astype(np.float32)
    target = np.array([xor_target(x)], dtype=np.float32)

    model = lg.load(fixture(XOR_NET))
    model.updateParameters(-0.01)   # the saved gradients are those of the last step: undo its update
    out = model.forward(x)
    assert_as_saved(model.modules[0].output, saved_first['output'])
    assert_as_saved(model.modules[1].output, saved_tanh['output'])
    assert_as_saved(out, raw['output'])

    criterion = nn.MSECriterion()
    criterion.forward(out, target)
    model.zeroGradParameters()
    model.backward(x, criterion.backward(out, target))
    for module, saved in zip(model.modules, raw['modules']):
        assert_as_saved(module.gradInput, saved['gradInput'])
        if 'gradWeight' in saved:
            assert_as_saved(module.gradWeight, saved['gradWeight'])
            assert_as_saved(module.gradBias, saved['gradBias'])
    assert_as_saved(model.gradInput, raw['gradInput'])


@pytest.mark.gpu
def test_sequential_checkpoint_runs_on_the_gpu():
    """device='cuda' gives a CUDA Sequential whose forward is the CPU one's."""
    corners = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=np.float32)
    expected = lg.load(fixture(XOR_NET)).forward(corners).numpy()
    model = lg.load_lua(fixture(XOR_NET), device='cuda')
    assert all(p.type() == 'legonn.CudaTensor' for p in model.parameters()[0])
    out = model.forward(lg.from_numpy(corners).cuda())
    assert out.type() == 'legonn.CudaTensor'
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)


# --- tensors: offsets, strides, shared storages -----------------------------------------------

def test_views_share_their_storage_and_offsets_become_zero_based():
    """generic/Tensor.c read: storageOffset is written 1-based; strides are kept; one storage index, one storage."""
    storage = np.arange(12, dtype=np.float64)
    w = T7()
    w.int(3).index().int(2)
    w.value('whole')
    w.int(4).index().string('V 1').string('torch.DoubleTensor').int(2).long(3, 4).long(4, 1).long(1)
    w.int(4).index().string('V 1').string('torch.DoubleStorage').long(12).chars(storage.tobytes())
    w.value('column')   # the transpose-like view: column 2 (1-based offset 3), stride 4
    w.int(4).index().string('V 1').string('torch.DoubleTensor').int(1).long(3).long(4).long(3)
    w.int(4).int(3)     # a reference to storage index 3, already read
    obj = load_bytes(w.bytes())
    whole, column = obj['whole'], obj['column']
    assert whole.storage() is column.storage()
    assert column.storageOffset() == 2 and column.stride() == (4,)
    np.testing.assert_array_equal(column.numpy(), [2, 6, 10])
    column.fill(-1)
    np.testing.assert_array_equal(whole.numpy()[:, 2], [-1, -1, -1])


@pytest.mark.parametrize('dtype,name', [(np.uint8, 'Byte'), (np.int64, 'Long'), (np.float32, 'Float')])
def test_tensor_types(dtype, name):
    arr = np.arange(6, dtype=dtype).reshape(2, 3)
    t = load_bytes(T7().tensor(arr).bytes())
    assert t.type() == f'legonn.{name}Tensor'
    np.testing.assert_array_equal(t.numpy(), arr)


def cuda_tensor_bytes(values):
    """The bytes cutorch's torch.save writes for a CudaTensor of ``values``: a FloatTensor's under the names
    torch.CudaTensor/torch.CudaStorage."""
    data = T7().tensor(np.asarray(values, dtype=np.float32)).bytes().replace(b'torch.Float', b'torch.Cuda')
    data = data.replace(struct.pack('<i', len('torch.FloatTensor')) + b'torch.CudaTensor',
                        struct.pack('<i', len('torch.CudaTensor')) + b'torch.CudaTensor')
    return data.replace(struct.pack('<i', len('torch.FloatStorage')) + b'torch.CudaStorage',
                        struct.pack('<i', len('torch.CudaStorage')) + b'torch.CudaStorage')


def test_cuda_tensors_load_on_the_cpu(without_cuda):
    """cutorch writes torch.CudaTensor/torch.CudaStorage like float ones; where legonn cannot use CUDA they come
    back as FloatTensors."""
    data = cuda_tensor_bytes(np.arange(3))
    t = load_bytes(data)
    assert t.type() == 'legonn.FloatTensor'
    np.testing.assert_array_equal(t.numpy(), [0, 1, 2])


def test_four_byte_longs():
    """Files written where a C long has 4 bytes (Windows builds) need long_size=4."""
    data = T7('<i').tensor(np.array([[1.5, 2.5]])).bytes()
    np.testing.assert_array_equal(load_bytes(data, long_size=4).numpy(), [[1.5, 2.5]])
    with pytest.raises(FormatError):
        load_bytes(data)


def test_load_mode_b32_reads_four_byte_longs(tmp_path):
    """torch7 File.lua: torch.load(filename, 'b32') reads a file whose longs have 4 bytes."""
    path = tmp_path / 'windows.t7'
    path.write_bytes(T7('<i').tensor(np.array([[1.5, 2.5]])).bytes())
    np.testing.assert_array_equal(lg.load(path, 'b32').numpy(), [[1.5, 2.5]])
    with pytest.raises(FormatError):
        lg.load(path, 'b64')


def test_load_recognises_binary_and_ascii_t7_files(tmp_path):
    binary, ascii_ = tmp_path / 'a.t7', tmp_path / 'b.txt'
    binary.write_bytes(T7().value({'x': 1}).bytes())
    ascii_.write_bytes(b"3\n1\n1\n2\n1\nx\n1\n2\n")
    assert lg.load(binary) == {'x': 1} and lg.load(ascii_) == {'x': 2}


# --- the ascii encoding (torch.save(path, obj, 'ascii')), written here by hand -------------------

def test_ascii_table_string_and_tensor():
    """THDiskFile ascii mode: numbers as text, each write ending in a newline; chars (strings) raw."""
    text = (b"3\n1\n3\n"                            # table, index 1, 3 entries
            b"2\n5\nhello\n1\n123\n"                # hello = 123
            b"2\n4\nflag\n5\n1\n"                   # flag = true
            b"2\n1\nt\n4\n2\n3\nV 1\n18\ntorch.DoubleTensor\n1\n2\n1\n1\n"
            b"4\n3\n3\nV 1\n19\ntorch.DoubleStorage\n2\n0.5 -1.25\n")
    obj = load_bytes(text)
    assert obj['hello'] == 123 and obj['flag'] is True
    np.testing.assert_array_equal(obj['t'].numpy(), [0.5, -1.25])


# --- nn objects: 0-based fields, parameters, refusals ------------------------------------------

def test_index_fields_become_zero_based():
    """JoinTable.lua / SelectTable.lua / Narrow.lua / LookupTable.lua keep Lua's 1-based values."""
    w = T7().value({
        'join': nn_object('JoinTable', dimension=2),
        'select': nn_object('SelectTable', index=1),
        'last': nn_object('SelectTable', index=-1),
        'narrow': nn_object('Narrow', dimension=1, index=3, length=2),
        'lookup': nn_object('LookupTable', weight=np.ones((4, 2)), paddingValue=1),
        'nopad': nn_object('LookupTable', weight=np.ones((4, 2)), paddingValue=0),
        'nll': nn_object('ClassNLLCriterion', weights=np.array([1.0, 2.0, 3.0]), sizeAverage=False),
    })
    obj = load_bytes(w.bytes())
    assert obj['join'].dimension == 1 and obj['select'].index == 0 and obj['last'].index == -1
    assert (obj['narrow'].dimension, obj['narrow'].index, obj['narrow'].length) == (0, 2, 2)
    assert obj['lookup'].paddingValue == 0 and obj['nopad'].paddingValue is None
    nll = obj['nll']
    assert isinstance(nll, nn.ClassNLLCriterion) and nll.sizeAverage is False
    np.testing.assert_array_equal(nll.weights.numpy(), [1, 2, 3])
    # class 2 (0-based) has weight 3: the loss of a sure wrong answer is weighted as in Torch7
    log_probs = lg.DoubleTensor(np.log(np.full((1, 3), 1 / 3)))
    assert np.isclose(nll.forward(log_probs, lg.LongTensor([2])), 3 * np.log(3))


def test_rnn_support_modules_load():
    """rnn's LookupTableMaskZero.lua (weight of nIndex + 1 rows, the padding row first), SAdd.lua, CopyGrad.lua and
    ExpandAs.lua saved by Torch7 load as legonn's classes: Lua's index 0 (padding) is -1 here, index i is i - 1."""
    weight = np.arange(8.0).reshape(4, 2)
    obj = load_bytes(T7().value({
        'lookup': nn_object('LookupTableMaskZero', weight=weight),
        'sadd': nn_object('SAdd', addend=-1, negate=True),
        'copy': nn_object('CopyGrad'),
        'expand': nn_object('ExpandAs'),
    }).bytes())
    lookup = obj['lookup']
    assert isinstance(lookup, nn.LookupTableMaskZero) and lookup.weight.size() == (4, 2)
    np.testing.assert_array_equal(lookup.forward(lg.LongTensor([-1, 0, 2])).numpy(), [[0, 0], [2, 3], [6, 7]])
    np.testing.assert_array_equal(obj['sadd'].forward(lg.DoubleTensor([0.25, 2])).numpy(), [0.75, -1])
    assert isinstance(obj['copy'], nn.CopyGrad) and isinstance(obj['expand'], nn.ExpandAs)


def test_a_negative_narrow_index_keeps_narrow_lua_meaning():
    """Narrow.lua: a negative index means index = 1, length = size - length (nn's test.lua, 'Narrow #5':
    nn.Narrow(2, -1, 7) on 10 columns is input:narrow(2, 1, 3))."""
    w = T7().value({'from_start': nn_object('Narrow', dimension=2, index=-1, length=7),
                    'both_negative': nn_object('Narrow', dimension=2, index=-1, length=-5)})
    obj = load_bytes(w.bytes())
    x = lg.randn(3, 10, 4)
    np.testing.assert_array_equal(obj['from_start'].forward(x).numpy(), x.numpy()[:, 0:3])
    # length -5 first becomes 10 + 1 - 5 + 2 = 8, then 10 - 8 = 2 from the start
    np.testing.assert_array_equal(obj['both_negative'].forward(x).numpy(), x.numpy()[:, 0:2])


def test_nngraph_just_element_and_just_table_load():
    """nngraph's node:split(1) saves an nngraph.JustElement (node.lua); legonn keeps both in nn."""
    obj = load_bytes(T7().value({'one': ('object', 'nngraph.JustElement', {}),
                                 'table': ('object', 'nngraph.JustTable', {})}).bytes())
    x = lg.ones(2)
    assert isinstance(obj['one'], nn.JustElement) and obj['one'].forward([x]) is x
    assert isinstance(obj['table'], nn.JustTable) and obj['table'].forward(x)[0] is x


def test_linear_keeps_parameters_and_runs():
    weight, bias = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), np.array([10.0, 20.0])
    m = load_bytes(T7().value(nn_object('Linear', weight=weight, bias=bias, train=False)).bytes())
    assert isinstance(m, nn.Linear) and m.train is False
    np.testing.assert_array_equal(m.forward(lg.DoubleTensor([1.0, 2.0, 3.0])).numpy(), [11.0, 23.0])


def test_plain_fields_a_lua_program_set_are_kept():
    """torch.load gives back a module's whole table: classify.lua (torch/tutorials) reads ``net.transform``.
    Tables of plain values on a container, under names it lacks, become attributes; numbers and flags (the nn
    classes' own settings, some under other names in legonn), fields of other modules, empty tables, tensors,
    Torch objects, cycles, private (``_``) fields and the module's own attributes are not touched."""
    weight, bias = np.eye(2), np.zeros(2)
    cycle = {}
    cycle['self'] = cycle
    transform = {'mean': {1: 0.5, 2: 0.25}, 'std': {1: 2.0, 2: 4.0}, 'name': 'nin', 'bgr': False}
    seq = nn_object('Sequential', modules={1: nn_object('Linear', weight=weight, bias=bias, note={1: 'a'})},
                    transform=transform, sizes={1: 224, 2: 224}, imageSize=224, stash=np.ones(3), loop=cycle,
                    _cache={1: 'x'}, other=('object', 'my.Thing', {'a': 1}), empty={}, train=True)
    m = load_bytes(T7().value(seq).bytes())
    assert m.transform == {'mean': [0.5, 0.25], 'std': [2.0, 4.0], 'name': 'nin', 'bgr': False}
    assert m.sizes == [224, 224]
    for name in ('imageSize', 'stash', 'loop', '_cache', 'other', 'empty'):
        assert not hasattr(m, name), name
    assert not hasattr(m.get(0), 'note')
    assert isinstance(m.modules, list) and m.train is True


def cunn_data_parallel_table(gpus, modules, version=3):
    """The bytes cunn's DataParallelTable:__write makes (DataParallelTable.lua, __version 3): the GPU assignments,
    then the fields (which hold the same table again, and only the first replica's module)."""
    w = T7()
    w.int(4).index().string(f'V {version}').string('nn.DataParallelTable')
    if version >= 2:
        w.value(gpus)
    fields = {'dimension': 1, 'modules': modules, 'gpuAssignments': gpus, 'flattenParams': True,
              'usenccl': False, 'typeStr': 'torch.CudaTensor', 'train': True, 'inputGpu': {}, 'outputGpu': {},
              'impl': ('object', 'nn.DataParallelTable.Basic', {}), 'output': np.zeros(0, np.float32)}
    return w.value(fields).bytes()


def test_cunn_data_parallel_table_loads():
    """cunn's DataParallelTable.lua __write/__read: the pre-written gpuAssignments are skipped, the saved module is
    the replica on every GPU id (1-based there, 0-based here), and the dimension becomes 0-based."""
    weight, bias = np.arange(6, dtype=np.float32).reshape(3, 2), np.array([1, 2, 3], np.float32)
    linear = nn_object('Linear', weight=weight, bias=bias, gradWeight=np.zeros((3, 2), np.float32),
                       gradBias=np.zeros(3, np.float32))
    dpt = load_bytes(cunn_data_parallel_table({1: 1, 2: 2, 3: 4}, {1: linear}))
    assert isinstance(dpt, nn.DataParallelTable) and dpt.gpuAssignments == [0, 1, 3] and dpt.dimension == 0
    assert dpt.flattenParams and isinstance(dpt.get(0), nn.Linear)
    x = lg.FloatTensor(5, 2).uniform()
    np.testing.assert_allclose(dpt.forward(x).numpy(), x.numpy() @ weight.T + bias, rtol=1e-6)
    with pytest.raises(FormatError, match=r'DataParallelTable: expected one nn module in modules and a list of '
                                          r'Torch7 \(1-based\) GPU ids'):
        load_bytes(cunn_data_parallel_table({1: 0}, {1: linear}))


def test_unknown_nn_class_is_refused_by_name():
    data = T7().value(nn_object('FancyLayer', size=3)).bytes()
    with pytest.raises(FormatError, match='nn.FancyLayer'):
        load_bytes(data)
    raw = load_bytes(data, convert=False)
    assert raw.typename == 'nn.FancyLayer' and raw['size'] == 3


def test_class_names_are_labels_never_code(tmp_path, monkeypatch):
    """A class name is only ever a string: nothing is looked up or imported from it."""
    monkeypatch.chdir(tmp_path)
    obj = load_bytes(T7().value(('object', 'os.system', {'cmd': 'touch pwned'})).bytes())
    assert isinstance(obj, TorchObject) and obj.typename == 'os.system' and os.listdir(tmp_path) == []


def test_load_keeps_legonn_archives(tmp_path):
    path = tmp_path / 'model.t7'
    lg.save(path, nn.Linear(2, 3))   # a legonn archive, whatever its extension
    assert isinstance(lg.load(path), nn.Linear)


# --- damaged and crafted files -----------------------------------------------------------------

REAL = sorted(n for n in os.listdir(FIXTURES) if n.endswith(('.t7', '.net')) and not n.startswith('function'))


@pytest.mark.parametrize('name', REAL)
def test_truncated_fixtures_raise_format_error(name):
    data = open(fixture(name), 'rb').read()
    for cut in sorted({1, 4, 7, len(data) // 3, len(data) // 2, len(data) - 1}):
        with pytest.raises(FormatError):
            load_bytes(data[:cut])
    with pytest.raises(FormatError, match='follow'):
        load_bytes(data + b'\0')


@pytest.mark.parametrize('name', REAL)
def test_corrupted_fixtures_load_or_raise_format_error(name):
    data = bytearray(open(fixture(name), 'rb').read())
    rng = np.random.default_rng(7)
    for _ in range(40):
        damaged = bytearray(data)
        for pos in rng.integers(0, len(data), size=3):
            damaged[pos] = int(rng.integers(0, 256))
        for convert in (False, True):
            try:
                load_bytes(bytes(damaged), convert=convert)
            except FormatError:
                pass


@pytest.mark.parametrize('data,message', [
    (T7().int(9).bytes(), 'type tag'),
    (T7().int(2).int(2 ** 31 - 1).bytes(), 'cannot fit'),
    (T7().int(3).int(1).int(2 ** 30).bytes(), 'cannot fit'),
    (T7().int(4).int(1).string('V 1').string('torch.DoubleStorage').long(2 ** 60).bytes(), 'cannot fit'),
    (T7().int(4).int(1).string('V 1').string('torch.DoubleStorage').long(-1).bytes(), 'cannot fit'),
    (T7().int(4).int(1).string('V 1').string('torch.DoubleTensor').int(1).long(5).long(1).long(1)
     .int(4).int(2).string('V 1').string('torch.DoubleStorage').long(2).chars(bytes(16)).bytes(), 'reaches past'),
    (T7().int(4).int(1).string('V 1').string('torch.DoubleTensor').int(1).long(2).long(1).long(1)
     .int(4).int(1).bytes(), 'itself'),
    (T7().int(4).int(1).string('V 1').string('torch.FloatTensor').int(1).long(2).long(1).long(1)
     .int(4).int(2).string('V 1').string('torch.DoubleStorage').long(2).chars(bytes(16)).bytes(), 'own type'),
    (T7().int(5).int(7).bytes(), 'boolean'),
    (T7().int(3).int(1).int(1).int(0).int(0).bytes(), 'nil'),
    (b'', 'empty'),
])
def test_crafted_files_raise_format_error(data, message):
    with pytest.raises(FormatError, match=message):
        load_bytes(data)


def test_deep_nesting_raises_format_error():
    w = T7()
    for _ in range(200000):
        w.int(3).index().int(1).value(1)
    with pytest.raises(FormatError):
        load_bytes(w.value(1).bytes())


@pytest.mark.gpu
def test_device_cuda_puts_tensors_and_modules_on_the_gpu():
    """device='cuda': storages are made on the GPU and modules are CUDA modules (float ones are CudaTensors)."""
    model = lg.load_lua(fixture('cpptorch_linear_net.t7'), device='cuda')
    assert model.weight.type() == 'legonn.CudaTensor'
    x = lg.load_lua(fixture('cpptorch_linear_x.t7'), device='cuda')
    out = model.forward(x)
    assert out.type() == 'legonn.CudaTensor'
    np.testing.assert_array_equal(out.cpu().numpy(), lg.load_lua(fixture('cpptorch_linear_y.t7')).numpy())


def test_shape_modules_convert_their_dimensions():
    """Reshape.lua (size, batchMode), Transpose.lua (1-based pairs), Squeeze/Unsqueeze.lua, Padding.lua (index 1)."""
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    obj = load_bytes(T7().value({
        'reshape': nn_object('Reshape', size=np.array([4, 6], dtype=np.int64), batchMode=False),
        'transpose': nn_object('Transpose', permutations={1: {1: 1, 2: 3}}),
        'squeeze': nn_object('Squeeze', dim=2),
        'unsqueeze': nn_object('Unsqueeze', pos=1),
        'padding': nn_object('Padding', dim=2, pad=2, value=-1, index=1),
    }).bytes())
    assert tuple(obj['reshape'].forward(lg.DoubleTensor(x)).size()) == (4, 6)
    np.testing.assert_array_equal(obj['transpose'].forward(lg.DoubleTensor(x)).numpy(), x.transpose(2, 1, 0))
    assert tuple(obj['squeeze'].forward(lg.DoubleTensor(np.zeros((2, 1, 3)))).size()) == (2, 3)
    assert tuple(obj['unsqueeze'].forward(lg.DoubleTensor(x)).size()) == (1, 2, 3, 4)
    padded = obj['padding'].forward(lg.DoubleTensor(x)).numpy()
    assert padded.shape == (2, 5, 4) and (padded[:, 3:] == -1).all()
    np.testing.assert_array_equal(padded[:, :3], x)


def test_convolutions_and_batch_normalization():
    """SpatialConvolutionMM.lua keeps a 2-D weight; noBias() leaves bias nil; old BatchNormalization files
    kept running_std = 1/sqrt(var + eps) instead of running_var."""
    weight = np.arange(2 * 1 * 2 * 2, dtype=np.float64).reshape(2, 4)
    obj = load_bytes(T7().value({
        'mm': nn_object('SpatialConvolutionMM', nInputPlane=1, nOutputPlane=2, kW=2, kH=2, dW=1, dH=1, padW=0,
                        padH=0, weight=weight, bias=np.array([0.5, -0.5])),
        'nobias': nn_object('SpatialConvolution', nInputPlane=1, nOutputPlane=2, kW=2, kH=2, dW=1, dH=1, padW=0,
                            padH=0, weight=weight.reshape(2, 1, 2, 2)),
        'bn': nn_object('BatchNormalization', eps=1e-5, momentum=0.1, affine=False, train=False,
                        running_mean=np.array([1.0, 2.0]), running_std=1 / np.sqrt(np.array([4.0, 9.0]) + 1e-5)),
    }).bytes())
    x = np.arange(9, dtype=np.float64).reshape(1, 3, 3)
    patches = np.stack([x[0, i:i + 2, j:j + 2].ravel() for i in range(2) for j in range(2)], axis=1)
    expected = (weight @ patches).reshape(2, 2, 2)
    np.testing.assert_allclose(obj['mm'].forward(lg.DoubleTensor(x)).numpy(),
                               expected + np.array([0.5, -0.5])[:, None, None])
    assert obj['nobias'].bias is None
    np.testing.assert_allclose(obj['nobias'].forward(lg.DoubleTensor(x)).numpy(), expected)
    bn = obj['bn']
    np.testing.assert_allclose(bn.running_var.numpy(), [4.0, 9.0])
    np.testing.assert_allclose(bn.forward(lg.DoubleTensor([[3.0, 5.0]])).numpy(),
                               [[2 / np.sqrt(4 + 1e-5), 3 / np.sqrt(9 + 1e-5)]])


def graph_node(number, module=None, parents=(), **extra):
    """An nngraph.Node as nngraph saves it: its data names its parents' data in mapindex (1-based)."""
    data = dict(extra, mapindex={i + 1: p[2]['data'] for i, p in enumerate(parents)}, forwardNodeId=number)
    if module is not None:
        data['module'] = module
    return ('object', 'nngraph.Node', {'data': data, 'id': number})


def test_gmodule_with_a_split_module_output():
    """nngraph's node:split(n) (as char-rnn's LSTM does with SplitTable(2)(reshaped):split(4)) saves a split
    node and n select nodes with 1-based selectindex; gmodule.lua's single input feeds the Identity directly."""
    weight, bias = np.arange(8, dtype=np.float64).reshape(4, 2), np.array([1.0, -1.0, 0.5, 2.0])
    innode = graph_node(1, input={})
    a = graph_node(2, nn_object('Identity'), [innode])
    linear = graph_node(3, nn_object('Linear', weight=weight, bias=bias), [a])
    reshape = graph_node(4, nn_object('Reshape', size=np.array([2, 2], dtype=np.int64)), [linear])
    split_table = graph_node(5, nn_object('SplitTable', dimension=1), [reshape])
    split = graph_node(6, None, [split_table], nSplitOutputs=2)
    first, second = (graph_node(7 + i, None, [split], selectindex=i + 1) for i in range(2))
    difference = graph_node(9, nn_object('CSubTable'), [second, first])
    outnode = graph_node(10, None, [difference])
    order = [innode, a, linear, reshape, split_table, split, first, second, difference, outnode]
    data = T7().value(nn_object('gModule', forwardnodes={i + 1: n for i, n in enumerate(order)}, innode=innode,
                                outnode=outnode, nInputs=1)).bytes()
    g = load_bytes(data)
    assert isinstance(g, nn.gModule) and len(g.modules) == 5
    x = np.array([1.0, 2.0])
    rows = (weight @ x + bias).reshape(2, 2)
    np.testing.assert_allclose(g.forward(lg.DoubleTensor(x)).numpy(), rows[1] - rows[0])


def test_nested_containers_share_modules():
    """A module saved twice (Torch7 writes it once and refers to it by index) loads as one module."""
    linear = nn_object('Linear', weight=np.eye(2), bias=np.zeros(2))
    w = T7()
    w.int(4).index().string('V 1').string('nn.Sequential')
    w.int(3).index().int(1).value('modules')
    w.int(3).index().int(2)
    w.value(1).value(linear)
    w.value(2).int(4).int(4)   # the same nn.Linear again: its index
    seq = load_bytes(w.bytes())
    assert seq.modules[0] is seq.modules[1]


def test_user_converters_for_user_classes():
    """char-rnn's OneHot is torch.class('OneHot', 'nn.Module'): the caller says what to build for it."""
    data = T7().value(nn_object('Sequential', modules={1: ('object', 'OneHot', {'outputSize': 5})})).bytes()
    with pytest.raises(FormatError, match="OneHot among its modules.*converters"):
        load_bytes(data)
    built = load_bytes(data, converters={'OneHot': lambda fields: nn.LookupTable(fields['outputSize'], 5)})
    assert isinstance(built.modules[0], nn.LookupTable) and built.modules[0].weight.size(0) == 5
    with pytest.raises(TypeError, match='not a module'):
        load_bytes(data, converters={'OneHot': lambda fields: 42})


def test_every_mapped_class_exists_in_legonn():
    from legonn import cudnn
    from legonn.serialization.t7.modules import ARGUMENTS
    assert [name for name in ARGUMENTS
            if not (hasattr(cudnn, name[6:]) if name.startswith('cudnn.') else hasattr(nn, name))] == []


@pytest.mark.parametrize('make, key, shape', [
    (lambda: nn.Linear(2, 3), 'weight', (1 << 17, 1 << 17)),
    (lambda: nn.LookupTable(3, 2), 'weight', (1 << 17, 1 << 17)),
    (lambda: nn.CMul(3), 'weight', (1 << 34,)),
    (lambda: nn.BatchNormalization(3), 'running_mean', (1 << 34,)),
    (lambda: nn.BatchNormalization(3), 'running_std', (1 << 34,)),   # old files' field, converted by a copy
])
def test_a_parameter_repeating_its_storage_is_refused_before_building(make, key, shape):
    """A saved parameter viewing one stored value with stride 0 (a file of under 1 KB, found by the fuzzing of
    the readers) declares sizes the converter would build the module with: 64 GiB of parameters (was a
    MemoryError, or the memory gone). Refused as a FormatError naming the class and the field instead."""
    def change(obj):
        obj[key] = lg.DoubleTensor(1).view(*[1] * len(shape)).expand(*shape)
        if key == 'running_std':
            del obj['running_var']
    crafted = crafted_t7(make(), change)
    assert len(crafted) < 1200
    with pytest.raises(FormatError, match=f"nn.{type(make()).__name__}: {key} has sizes {re.escape(str(shape))} and "
                                          f"strides .*: {math.prod(shape)} values viewing a storage of 1"):
        lg.load_lua(io.BytesIO(crafted))


def crafted_t7(module, change):
    """The bytes of ``module`` saved as a .t7 file after ``change(fields)`` edited its raw fields."""
    raw = io.BytesIO()
    lg.save_lua(raw, module)
    obj = lg.load_lua(io.BytesIO(raw.getvalue()), convert=False)
    change(obj)
    crafted = io.BytesIO()
    lg.save_lua(crafted, obj)
    return crafted.getvalue()


def test_a_table_keyed_by_both_true_and_one_is_refused_not_merged():
    """Lua keeps the keys true and 1 apart (File.lua's readObject sets both); a dict would merge them."""
    w = T7()
    w.int(3).index().int(2)
    w.value(1).value('one').value(True).value('yes')
    with pytest.raises(FormatError, match='both the key True and the key 1'):
        load_bytes(w.bytes())
    w = T7()
    w.int(3).index().int(2)
    w.value(True).value('yes').value(2).value('two')
    assert load_bytes(w.bytes()) == {True: 'yes', 2: 'two'}


def lua_object(module):
    """A legonn module tree as Torch7 saves the same tree: class name, weight/bias (and a BatchNormalization's
    running statistics), children in ``modules`` (a Lua list, keys 1..n)."""
    fields = {k: getattr(module, k).numpy().copy() for k in ('weight', 'bias', 'running_mean', 'running_var')
              if isinstance(getattr(module, k, None), lg.Tensor)}
    if isinstance(module, nn.Container):
        fields['modules'] = {i + 1: lua_object(m) for i, m in enumerate(module.modules)}
    return nn_object(type(module).__name__, **fields)


def saved_cell(cell, **fields):
    """An rnn cell as Torch7 saves it: its sizes and flags, and its step module under recurrentModule."""
    step = lua_object(cell.recurrentModule)
    return nn_object(type(cell).__name__, inputSize=cell.inputSize, outputSize=cell.outputSize, rho=7,
                     recurrentModule=step, modules={1: step}, _type='torch.DoubleTensor', **fields)


@pytest.mark.parametrize('make, fields', [
    (lambda: nn.LSTM(3, 4), {'cell2gate': True, 'p': 0, 'mono': False}),
    (lambda: nn.LSTM(3, 4, None, False), {'cell2gate': False}),
    (lambda: nn.FastLSTM(3, 4), {}),
    (lambda: nn.FastLSTM(3, 4, None, None, None, None, 0.5), {'p': 0.5}),
    (lambda: nn.GRU(3, 4, None, 0.25), {'p': 0.25, 'mono': False}),
    (lambda: nn.MuFuRu(3, 4, ['keep', 'max']), {'ops': {1: 'keep', 2: 'max'}}),
], ids=['lstm', 'lstm-no-peepholes', 'fast', 'fast-dropout', 'bayesian-gru', 'mufuru'])
def test_rnn_cells_load(make, fields):
    """rnn's LSTM.lua, FastLSTM.lua, GRU.lua, Mufuru.lua objects: the cell is built from its saved sizes and flags,
    and takes the parameters of its saved step module in Module:parameters() order (the Lua builds the step
    modules as legonn does): the loaded cell computes what the cell it was made from computes."""
    reference = make().double()
    for p in reference.parameters()[0]:
        p.uniform(-0.5, 0.5)
    loaded = load_bytes(T7().value(saved_cell(reference, train=False, **fields)).bytes())
    assert type(loaded) is type(reference) and loaded.rho == 7 and not loaded.train
    assert loaded.type() == 'legonn.DoubleTensor' and repr(loaded) == repr(reference)
    reference.evaluate()
    xs = [lg.DoubleTensor(2, 3).normal() for _ in range(3)]
    for x in xs:
        np.testing.assert_allclose(loaded.forward(x).numpy(), reference.forward(x).numpy(), rtol=1e-12)


def test_rnn_fast_lstm_saved_as_a_graph_and_norm_stabilizer_load():
    """A FastLSTM saved with usenngraph holds a gModule as its step module: its maps come from the i2g and o2g
    fields. With FastLSTM.bn's BatchNormalizations in that graph the file is refused (which normalises what is
    not in the fields); NormStabilizer keeps its beta."""
    reference = nn.FastLSTM(3, 4).double()
    graph = nn_object('gModule', modules={1: nn_object('Identity'), 2: lua_object(reference.o2g),
                                          3: lua_object(reference.i2g)})
    obj = nn_object('FastLSTM', inputSize=3, outputSize=4, rho=9999, recurrentModule=graph, modules={1: graph},
                    i2g=lua_object(reference.i2g), o2g=lua_object(reference.o2g), _type='torch.DoubleTensor')
    loaded = load_bytes(T7().value(obj).bytes())
    x = lg.DoubleTensor(2, 3).normal()
    np.testing.assert_allclose(loaded.forward(x).numpy(), reference.forward(x).numpy(), rtol=1e-12)
    graph[2]['modules'] = {1: nn_object('BatchNormalization', weight=np.ones(16), bias=np.zeros(16))}
    with pytest.raises(FormatError, match='FastLSTM.*batch normalisation'):
        load_bytes(T7().value(obj).bytes())
    ns = load_bytes(T7().value(nn_object('NormStabilizer', beta=3.0, recurrentModule=nn_object('CopyGrad'))).bytes())
    assert isinstance(ns, nn.NormStabilizer) and ns.beta == 3.0


@pytest.mark.parametrize('method', ['maskZero', 'trimZero'])
def test_rnn_cell_saved_with_masking_loads_masked(method):
    """A cell saved after its maskZero(1) or trimZero(1) (rnn's AbstractRecurrent.lua: the step module inside a
    MaskZero or TrimZero) loads decorated the same way: rows of zeros give zero outputs."""
    reference = getattr(nn.GRU(3, 4).double(), method)(1)
    obj = saved_cell(reference)
    obj[2]['recurrentModule'][2]['nInputDim'] = 1
    loaded = load_bytes(T7().value(obj).bytes())
    assert type(loaded.recurrentModule) is type(reference.recurrentModule)
    x = lg.DoubleTensor(3, 3).normal()
    x[1].zero()
    for _ in range(2):
        out = loaded.forward(x).numpy()
        np.testing.assert_allclose(out, reference.forward(x).numpy(), rtol=1e-12)
        assert not out[1].any() and out[0].any()


def test_rnn_linear_no_bias_loads():
    """rnn's LinearNoBias.lua (an nn.Linear without bias) loads as legonn's, with its weight."""
    weight = np.arange(6.0).reshape(2, 3)
    m = load_bytes(T7().value(nn_object('LinearNoBias', weight=weight)).bytes())
    assert isinstance(m, nn.LinearNoBias) and m.bias is None
    np.testing.assert_array_equal(m.forward(lg.DoubleTensor([1, 0, 2])).numpy(), weight @ [1, 0, 2])


def test_dropout_flags_load():
    """Dropout.lua's stochastic_inference and rnn's Dropout.lua lazy and mono fields reach legonn's Dropout."""
    plain = load_bytes(T7().value(nn_object('Dropout', p=0.25, v2=True)).bytes())
    assert (plain.p, plain.v2, plain.lazy, plain.mono, plain.stochastic_inference) == (0.25, True, False, False, False)
    rnn = load_bytes(T7().value(nn_object('Dropout', p=0.5, v2=False, lazy=True, mono=True,
                                          stochastic_inference=True)).bytes())
    assert (rnn.v2, rnn.lazy, rnn.mono, rnn.stochastic_inference) == (False, True, True, True)


def test_rnn_cell_with_other_parameters_is_refused():
    """A step module whose parameters do not fit the cell its fields describe raises FormatError naming it."""
    cell = saved_cell(nn.GRU(3, 4).double())
    cell[2]['outputSize'] = 5
    with pytest.raises(FormatError, match='nn.GRU.*sizes'):
        load_bytes(T7().value(cell).bytes())
    cell = saved_cell(nn.GRU(3, 4).double())
    del cell[2]['recurrentModule']
    with pytest.raises(FormatError, match='nn.GRU.*step module'):
        load_bytes(T7().value(cell).bytes())


@pytest.mark.parametrize('make, fields', [
    (lambda: nn.SpatialConvolution(2, 3, 3, 3), {'nInputPlane': 100000, 'nOutputPlane': 100000}),
    (lambda: nn.SpatialFullConvolution(2, 3, 3, 3), {'kW': 30000, 'kH': 30000}),
    (lambda: nn.TemporalConvolution(2, 3, 3), {'inputFrameSize': 10 ** 6, 'outputFrameSize': 10 ** 6}),
])
def test_a_constructor_asked_for_more_than_the_file_holds_is_refused_before_it_allocates(make, fields):
    """The converter builds a module with its constructor from the file's numbers before it compares the built
    parameters with the saved ones: a kilobyte naming 100000 planes in and out asked for 335 GiB (a MemoryError,
    or the memory gone: found by the fuzzing of the readers). The constructor runs under an allocation budget of
    four times the saved tensors' elements plus 16M, so it is refused as a FormatError first; a faithful file
    loads as before."""
    assert type(lg.load_lua(io.BytesIO(crafted_t7(make(), lambda obj: None)))) is type(make())
    crafted = crafted_t7(make(), lambda obj: obj.update(fields))
    assert len(crafted) < 2000
    with pytest.raises(FormatError, match=rf"nn.{type(make()).__name__}: its saved fields do not make a legonn "
                                          r".*would allocate \d+ elements, more than the \d+ its budget has left"):
        lg.load_lua(io.BytesIO(crafted))


def test_an_allocation_budget_counts_every_allocation_in_its_block_and_its_thread_only():
    from legonn.tensor.storage import allocation_budget
    with allocation_budget(100, 'a test'):
        lg.FloatTensor(60)
        with pytest.raises(ValueError, match=r"^a test: would allocate 50 elements, more than the 40 its budget"):
            lg.FloatTensor(5, 10)
        with pytest.raises(ValueError, match="would allocate 41 elements"):
            lg.FloatTensor().resize(41)
        done = []
        worker = threading.Thread(target=lambda: done.append(lg.FloatTensor(1000).nElement()))
        worker.start()
        worker.join()
        assert done == [1000]
    assert lg.FloatTensor(1000).nElement() == 1000
