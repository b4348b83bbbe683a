"""lg.factory, Torch7's torch.factory (torch7's init.lua: the class's ``factory`` makes the object and sets its
metatable, never calling ``__init``; luaT.c's luaT_lua_factory returns nil for a name no class has)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


class Saved(nn.Container):
    """OpenNMT's Encoder.load pattern: a class whose constructor builds a network, loaded by
    ``torch.factory('onmt.Encoder')()`` and its parent's ``__init`` called by hand on the saved network."""
    lua_package = 'onmt'

    def __init__(self, rnn_size):
        super().__init__()
        self.add(nn.Linear(rnn_size, rnn_size))
        self.built = True

    @staticmethod
    def load(pretrained):
        self = lg.factory('onmt.Saved')()
        nn.Container.__init__(self)
        self.add(pretrained['modules'][0])
        return self

    def updateOutput(self, input):
        self.output = self.modules[0].updateOutput(input)
        return self.output


lg.register(Saved)


@pytest.mark.parametrize('name, kind', [('torch.FloatTensor', 'legonn.FloatTensor'),
                                        ('legonn.LongTensor', 'legonn.LongTensor'),
                                        ('torch.DoubleStorage', 'legonn.DoubleStorage')])
def test_a_tensor_or_storage_type_makes_an_empty_one(name, kind):
    made = lg.factory(name)()
    assert lg.typename(made) == kind
    assert (made.nElement() if lg.isTensor(made) else made.size()) == 0


def test_a_module_is_made_without_its_constructor():
    bare = lg.factory('nn.Linear')()
    assert type(bare) is nn.Linear and bare.weight is None
    nn.Linear.__init__(bare, 3, 2)
    assert bare.forward(lg.Tensor(4, 3).zero()).size() == (4, 2)
    assert type(lg.factory('cudnn.SpatialConvolution')()).__module__.startswith('legonn.cudnn')


def test_a_registered_class_by_its_torch7_name_or_its_registered_name():
    saved = Saved(3)
    x = lg.Tensor(2, 3).uniform()
    loaded = Saved.load({'modules': saved.modules})
    assert type(loaded) is Saved and not hasattr(loaded, 'built')
    np.testing.assert_array_equal(loaded.forward(x).numpy(), saved.forward(x).numpy())
    assert type(lg.factory(f'{Saved.__module__}.Saved')()) is Saved


def test_an_unknown_name_is_nil_and_a_non_string_an_error():
    assert lg.factory('onmt.Nothing') is None and lg.factory('torch.NoSuchTensor') is None
    assert lg.factory('Linear') is None   # Torch7's names carry their package
    with pytest.raises(TypeError, match='expected a class name'):
        lg.factory(nn.Linear)


def test_setmetatable_makes_the_object_of_a_table_of_fields():
    """torch.setmetatable(tbl, name) (torch7's init.lua): the table becomes an object of the class, its fields the
    table's; legonn returns the object, holding the dict's values themselves (fb.resnet.torch's deepCopy)."""
    lin = nn.Linear(3, 2)
    fields = dict(vars(lin))
    copy = lg.setmetatable(fields, 'nn.Linear')
    assert lg.typename(copy) == 'nn.Linear' and copy is not lin
    assert copy.weight is lin.weight and copy.bias is lin.bias and sorted(vars(copy)) == sorted(vars(lin))
    x = lg.randn(4, 3)
    np.testing.assert_array_equal(copy.forward(x).numpy(), lin.forward(x).numpy())
    assert lg.typename(lg.setmetatable({'x': 1}, 'onmt.Saved')) == 'onmt.Saved'
    with pytest.raises(ValueError, match="legonn.setmetatable: no class is named 'nn.NoSuch'"):
        lg.setmetatable({}, 'nn.NoSuch')
    with pytest.raises(TypeError, match='legonn.setmetatable: expected a table of fields'):
        lg.setmetatable([1], 'nn.Linear')
    with pytest.raises(TypeError, match="fields are named by strings, got the key 1"):
        lg.setmetatable({1: 'a'}, 'nn.Linear')
    with pytest.raises(TypeError, match="'torch.FloatTensor' is not a class of table objects"):
        lg.setmetatable({}, 'torch.FloatTensor')
