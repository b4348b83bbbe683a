"""torch.isTypeOf's Lua patterns and the ``torch.Tensor.isTensor`` alias (torch7's init.lua and Tensor.lua), and Lua's
``tostring`` (``lg.tostring``)."""
import re

import pytest

import legonn as lg
from legonn import nn


def test_is_type_of_takes_a_lua_pattern():
    """init.lua's isTypeOf matches the name anywhere (``string.match``), but a spec that matches only itself
    must be the whole name: 'torch.*Tensor' and '.*Long' match a LongTensor, 'torch.Long' does not."""
    t = lg.LongTensor()
    assert lg.isTypeOf(t, 'torch.*Tensor') and lg.isTypeOf(t, '.*Long') and lg.isTypeOf(t, 'Long.-r$')
    assert lg.isTypeOf(t, '^torch%.%u%l+Tensor$') and lg.isTypeOf(t, '[%a.]+')
    assert not lg.isTypeOf(t, 'torch.Long') and not lg.isTypeOf(t, 'LongTensor') and not lg.isTypeOf(t, 'Int')
    assert lg.isTypeOf(t, 'torch.LongTensor') and lg.isTypeOf(t, 'legonn.LongTensor')
    assert not lg.isTypeOf(t, 'torch%.Long%d')


def test_is_type_of_patterns_walk_a_module_s_parents():
    """The pattern is tried on each class up the hierarchy, as init.lua walks the metatables."""
    m = nn.Linear(2, 2)
    assert lg.isTypeOf(m, 'nn%.Mod.*') and lg.isTypeOf(m, 'nn.Module') and not lg.isTypeOf(m, 'nn.Mod')


def test_is_type_of_refuses_a_pattern_it_cannot_translate():
    with pytest.raises(ValueError, match='complement class %A inside a set'):
        lg.isTypeOf(lg.LongTensor(), '[%A]')


def test_tensor_is_tensor_alias():
    """Tensor.lua's ``torch.Tensor.isTensor`` is ``torch.isTensor``."""
    assert lg.Tensor.isTensor(lg.rand(2)) and lg.DoubleTensor.isTensor(lg.rand(2)[0:1])
    assert not lg.Tensor.isTensor(lg.rand(2).storage()) and not lg.Tensor.isTensor(3)


def test_is_type_of_walks_the_typenames_plain_classes_declare():
    """A ported ``torch.class('B', 'A')`` is ``class B(A)`` declaring ``typename``: isTypeOf matches the parents'
    names too, and a name that only contains another class's is no match."""
    A = type('A', (), {'typename': 'pkg.A'})
    B = type('B', (A,), {'typename': 'pkg.B'})
    Other = type('Other', (), {'typename': 'pkg.OtherA'})
    assert lg.typename(B()) == 'pkg.B' and lg.isTypeOf(B(), 'pkg.A') and lg.isTypeOf(B(), 'pkg%.B')
    assert not lg.isTypeOf(A(), 'pkg.B') and not lg.isTypeOf(Other(), 'A') and not lg.isTypeOf(Other(), 'pkg.A')
    assert lg.isTypeOf(Other(), 'pkg.Oth.*')


def test_lua_type_is_torch_type_for_plain_values_and_userdata_else():
    """Lua's own ``type`` (the Tester's and pl.pretty's) is ``torch.type``'s name for plain values (a NumPy bool
    is a boolean for both) and 'userdata' for tensors, storages, arrays and other objects."""
    import numpy as np
    from legonn.tensor.introspection import lua_type
    plain = [(None, 'nil'), (True, 'boolean'), (np.True_, 'boolean'), (3, 'number'), (2.5, 'number'),
             (np.float32(1), 'number'), ('s', 'string'), ((1,), 'table'), ([1], 'table'), ({}, 'table'),
             (len, 'function')]
    for value, name in plain:
        assert lg.type(value) == name and lua_type(value) == name, value
    for value in (lg.Tensor(2), lg.Tensor(2).storage(), np.zeros(2), object()):
        assert lua_type(value) == 'userdata' and lg.type(value) != 'userdata'
    assert lg.type(lg.Tensor(2)) == 'torch.FloatTensor'


def test_is_type_of_an_object_reads_its_class_name():
    """torch7's init.lua takes ``getmetatable(typeSpec).__typename`` of a spec that is no string: fairseq's
    ZipAlong.lua asks ``torch.isTypeOf(dest, src)`` of two tensors (is dest of src's type)."""
    assert lg.isTypeOf(lg.LongTensor(2), lg.LongTensor()) and not lg.isTypeOf(lg.LongTensor(2), lg.DoubleTensor())
    assert lg.isTypeOf(nn.Linear(2, 2), nn.Linear(1, 1)) and not lg.isTypeOf(nn.Tanh(), nn.Linear(1, 1))
    with pytest.raises(TypeError, match='torch.isTypeOf: type must be provided as .* got float'):
        lg.isTypeOf(lg.Tensor(), 3.0)


def test_tostring_writes_values_as_lua_does():
    """Lua's tostring: nil, booleans, numbers as LuaJIT's %.14g (an integral float has no '.0'), strings as they
    are; Python's str would give 'None', 'True', '3.0', '1e-05' alike only for the last."""
    assert [lg.tostring(v) for v in (None, True, False, 3, 3.0, 1e-5, 0.1, 2 ** 53, -0.5)] == \
        ['nil', 'true', 'false', '3', '3', '1e-05', '0.1', '9007199254740992', '-0.5']
    assert lg.tostring(float('nan')) == 'nan' and lg.tostring(-float('inf')) == '-inf'
    assert lg.tostring(lg.LongTensor([7]).sum()) == '7' and lg.tostring(lg.FloatTensor([0.1])[0]) == '0.10000000149012'
    assert lg.tostring('a b') == 'a b'


def test_tostring_of_tables_functions_and_torch_objects():
    """A table or function is 'table: 0x...' ('function: 0x...'), the same text for the same object; a module or
    criterion writes its __tostring__, a tensor its printed text, a Torch7 class without __tostring__ its
    typename (luaT's __tostring answer)."""
    t, f = [1, 2], (lambda: 0)
    assert re.fullmatch(r'table: 0x[0-9a-f]{8,}', lg.tostring(t)) and lg.tostring(t) == lg.tostring(t)
    assert re.fullmatch(r'function: 0x[0-9a-f]{8,}', lg.tostring(f))
    assert lg.tostring(nn.Linear(2, 3)) == 'nn.Linear(2 -> 3)' == nn.Linear(2, 3).__tostring__()
    assert lg.tostring(nn.MSECriterion()) == 'nn.MSECriterion'
    x = lg.DoubleTensor([1, 2])
    assert lg.tostring(x) == str(x) and lg.tostring(x).endswith('[legonn.DoubleTensor of size 2]')
    assert lg.tostring(lg.Timer()) == 'legonn.Timer'

    class Point:
        def __tostring__(self):
            return 'Point(1, 2)'
    assert lg.tostring(Point()) == 'Point(1, 2)'


def test_a_class_itself_has_no_typename_and_is_a_table():
    """A Torch7 class (``nn.SpatialMaxPooling``, ``cudnn.SpatialMaxPooling``) is luaT's constructor table, whose
    metatable luaT never registers (luaT.c:675-841 registers the instances' metatable only), so
    ``torch.typename(cls)`` is nil (luaT_typename, luaT.c:281) and ``torch.type(cls)`` Lua's 'table' (init.lua:120).
    soumith/convnet-benchmarks' googlenet.lua tests ``torch.type(lib[2]) == 'nn.SpatialMaxPooling'`` of a class,
    always false in Torch7, so it always takes cudnn.SpatialAveragePooling."""
    from legonn import cudnn
    from legonn.tensor.introspection import lua_type
    for cls in (nn.SpatialMaxPooling, cudnn.SpatialMaxPooling, nn.Linear, nn.MSECriterion, lg.FloatTensor):
        assert lg.typename(cls) is None, cls
        assert lg.type(cls) == 'table' and lua_type(cls) == 'table', cls
    assert lg.type(nn.SpatialMaxPooling(2, 2)) == 'nn.SpatialMaxPooling'
    assert lg.type(cudnn.SpatialMaxPooling(2, 2)) == 'cudnn.SpatialMaxPooling'


def test_a_tensor_and_a_storage_carry_their_typename_field():
    """luaT writes ``__typename`` into every registered metatable (luaT.c:726-728), which a tensor or storage
    reads: KVmemnn's vector_array.lua decides ``useDoubles = hash[i].__typename == 'torch.DoubleTensor'``
    (tests/porting/test_memnn_kvmemnn.py). Modules carry it already (modules/base/typed.py)."""
    x = lg.DoubleTensor(2)
    assert getattr(x, '__typename') == 'torch.DoubleTensor' == lg.typename(x)
    assert getattr(lg.FloatTensor(1), '__typename') != 'torch.DoubleTensor'
    assert getattr(x.storage(), '__typename') == 'torch.DoubleStorage'
    assert getattr(lg.LongStorage(2), '__typename') == 'torch.LongStorage'
