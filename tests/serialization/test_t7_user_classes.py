"""Torch7 files holding a class of the user's own (torch.class('nn.X', 'nn.Module') in a Lua script, such as
CycleGAN's util/InstanceNormalization.lua in its pretrained .t7 models): a Python class registered under that
Torch7 name with ``lg.register(cls, 'nn.X')`` is rebuilt by load_lua as torch.load rebuilds it (File.lua's
readObject: the object gets its class and its saved fields, and no constructor runs), and written by save_lua
as torch.save writes it (its class name, version 1, its fields)."""
import io

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.serialization import FormatError
from legonn.serialization.t7.reader import TorchObject

from .test_t7 import T7, load_bytes, nn_object


class ScaleShift(nn.Module):
    """y = weight * x + shift, with an inner Linear kept in a field (as InstanceNormalization keeps ``bn``);
    counts its constructor calls."""
    built = 0

    def __init__(self, n, shift):
        super().__init__()
        ScaleShift.built += 1
        self.weight = lg.Tensor(n).fill(1)
        self.gradWeight = lg.Tensor(n).zero()
        self.shift = shift
        self.inner = nn.Linear(n, n)

    def updateOutput(self, input):
        self.output.resizeAs(input).copy(input).cmul(self.weight.view(1, -1).expandAs(input)).add(self.shift)
        return self.output


class Unnamed(nn.Module):
    pass


lg.register(ScaleShift, 'nn.ScaleShift')
lg.register(Unnamed)


def _saved_scale_shift():
    """The bytes of an nn.Sequential holding the nn.ScaleShift object a Lua ScaleShift would save, after
    a CUDA run (its ``_type`` says CudaTensor, its tensors are float ones here) and with an nn.Linear field."""
    linear = nn_object('Linear', weight=np.eye(2, dtype=np.float32), bias=np.array([1, 2], np.float32),
                       _type='torch.FloatTensor')
    fields = {'weight': np.array([2, 3], np.float32), 'gradWeight': np.zeros(2, np.float32), 'shift': 0.5,
              'inner': linear, 'train': True, '_type': 'torch.CudaTensor', 'prev': -1, 'tag': 'x'}
    return T7().value(nn_object('Sequential', modules={1: ('object', 'nn.ScaleShift', fields)})).bytes()


def test_a_registered_class_is_rebuilt_from_its_fields_without_its_constructor():
    built = ScaleShift.built
    seq = load_bytes(_saved_scale_shift())
    m = seq.modules[0]
    assert type(m) is ScaleShift and ScaleShift.built == built
    assert m.shift == 0.5 and m.prev == -1 and m.tag == 'x' and m.train is True
    assert isinstance(m.inner, nn.Linear) and m.inner.bias.tolist() == [1, 2]
    assert m.type() == 'torch.FloatTensor' and m.weight.type() == 'torch.FloatTensor'
    y = seq.forward(lg.FloatTensor([[1, 1], [2, 0]]))
    np.testing.assert_array_equal(y.numpy(), [[2.5, 3.5], [4.5, 0.5]])
    assert lg.typename(m) == 'nn.ScaleShift' and seq.findModules('nn.ScaleShift')[0] == [m]


def test_an_unregistered_user_class_is_still_refused_and_a_non_name_field_too():
    data = T7().value(nn_object('Sequential', modules={1: ('object', 'nn.NotRegistered', {'a': 1})})).bytes()
    with pytest.raises(FormatError, match='NotRegistered.*no counterpart'):
        load_bytes(data)
    bad = T7().value(('object', 'nn.ScaleShift', {1: 2})).bytes()
    with pytest.raises(FormatError, match='nn.ScaleShift: has the field 1'):
        load_bytes(bad)


def test_save_lua_writes_a_registered_class_under_its_torch7_name():
    lg.manualSeed(0)
    m = ScaleShift(2, 0.25)
    m.weight.copy(lg.FloatTensor([3, -1]))
    seq = nn.Sequential().add(m)
    x = lg.FloatTensor([[1, 2], [3, 4]])
    y = seq.forward(x).clone()
    out = io.BytesIO()
    lg.save_lua(out, seq)
    out.seek(0)
    raw = lg.load_lua(out, convert=False)['modules'][0]
    assert isinstance(raw, TorchObject) and raw.typename == 'nn.ScaleShift' and raw.version == 1
    assert sorted(raw) == ['_type', 'gradInput', 'gradWeight', 'inner', 'output', 'shift', 'train', 'weight']
    assert raw['_type'] == 'torch.FloatTensor' and raw['output'].nElement() == 0 and raw['shift'] == 0.25
    assert isinstance(raw['inner'], TorchObject) and raw['inner'].typename == 'nn.Linear'
    out.seek(0)
    back = lg.load_lua(out)
    np.testing.assert_array_equal(back.forward(x).numpy(), y.numpy())
    np.testing.assert_array_equal(back.modules[0].inner.weight.numpy(), m.inner.weight.numpy())


def test_save_lua_refuses_a_class_registered_only_under_its_python_name():
    with pytest.raises(TypeError, match=r"Unnamed.*legonn.register\(cls, 'nn.MyLayer'\)"):
        lg.save_lua(io.BytesIO(), nn.Sequential().add(Unnamed()))


def test_the_torch7_name_of_legonns_own_class_is_not_taken():
    # luaT refuses to define nn.Linear again; taking the name would give load_lua's every nn.Linear to the user
    class MyLinear(nn.Linear):
        pass

    for name in ('nn.Linear', 'nn.LinearNoBias'):
        with pytest.raises(ValueError, match=f"the name '{name}' already stands for legonn"):
            lg.register(MyLinear, name)
    linear = nn_object('Linear', weight=np.eye(2, dtype=np.float32), bias=np.array([1, 2], np.float32),
                       gradWeight=np.zeros((2, 2), np.float32), gradBias=np.zeros(2, np.float32))
    assert type(load_bytes(T7().value(linear).bytes())) is nn.Linear
