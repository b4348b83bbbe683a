"""torch7/doc/utility.md's examples, ported by docs/porting.md's rules: ``torch.class`` becomes a Python class
declaring its Lua ``typename`` (porting.md's plain-class row), the introspection functions keep their names."""
import math

import pytest

import legonn as lg
from legonn import nn


class Foo:
    """utility.md's ``local Foo = torch.class('Foo')``."""
    typename = 'Foo'

    def __init__(self):
        self.contents = 'this is some text'

    def print(self):
        print(self.contents)

    def bip(self):
        print('bip')


class Bar(Foo):
    """utility.md's ``local Bar, parent = torch.class('torch.Bar', 'Foo')``."""
    typename = 'torch.Bar'

    def __init__(self, stuff):
        Foo.__init__(self)                                  # parent.__init(self)
        self.stuff = stuff

    def boing(self):
        print('boing!')

    def print(self):
        print(self.contents)
        print(self.stuff)


def test_torch_class_a_class_and_its_child(capsys):
    """"torch.class(name, [parentName], [module])": ``foo:print()``; ``bar:print()`` (overridden),
    ``bar:boing()`` (the child's), ``bar:bip()`` (the parent's); the names typename and isTypeOf see."""
    foo = Foo()
    foo.print()
    bar = Bar('ha ha!')
    bar.print()
    bar.boing()
    bar.bip()
    assert capsys.readouterr().out == 'this is some text\nthis is some text\nha ha!\nboing!\nbip\n'
    assert lg.typename(foo) == 'Foo' and lg.typename(bar) == 'torch.Bar'
    assert lg.isTypeOf(bar, 'Foo') and lg.isTypeOf(bar, 'torch.Bar') and not lg.isTypeOf(foo, 'torch.Bar')


def test_type_and_typename():
    """"torch.type(object)" answers Lua's type for plain values; "torch.typename(object)" nil for them."""
    assert lg.type(lg.DoubleTensor()) == 'torch.DoubleTensor'
    assert lg.type({}) == 'table' and lg.type(7) == 'number'
    assert lg.typename(lg.DoubleTensor()) == 'torch.DoubleTensor'
    assert lg.typename({}) is None and lg.typename(7) is None


def test_is_type_of_walks_the_parents_and_reads_a_pattern():
    """"isTypeOf(object, typeSpec)": a string, a pattern or the class; a literal must be the whole name
    (init.lua lines 129-151)."""
    x = lg.LongTensor()
    assert lg.isTypeOf(x, 'torch.LongTensor') and lg.isTypeOf(x, lg.LongTensor)
    assert lg.isTypeOf(x, 'torch.*Tensor') and not lg.isTypeOf(x, 'torch.Long')
    assert not lg.isTypeOf(x, lg.FloatTensor)


def test_factory_pointer_and_totable():
    """"torch.factory(name)" (an empty object, nil for an unknown name), "torch.pointer(object)" (one id per
    object), "torch.totable(object)" of ``torch.Tensor({1, 2, 3})``, as methods too."""
    assert lg.factory('torch.DoubleTensor')().type() == 'torch.DoubleTensor'
    assert lg.factory('no.SuchClass') is None
    a, b = lg.Tensor(), lg.Tensor()
    assert lg.pointer(a) == lg.pointer(a) != lg.pointer(b)
    assert lg.totable(lg.Tensor([1, 2, 3])) == [1, 2, 3]
    assert lg.Tensor([[1, 2], [3, 4]]).totable() == [[1, 2], [3, 4]]
    assert lg.IntStorage([5, 6]).totable() == [5, 6]


def test_setmetatable_makes_a_table_an_object_of_the_named_class():
    """"torch.setmetatable(table, classname)": a table of a module's fields becomes that module (fb.resnet.torch's
    deepCopy: a new object over the same tensors); a dict cannot change class in place, so the result is used.
    An object changes class in place; an unknown name fails as luaT's "unknown typename"."""
    linear = nn.Linear(3, 2)
    copy = lg.setmetatable(dict(vars(linear)), lg.typename(linear))
    assert type(copy) is nn.Linear and copy is not linear and copy.weight is linear.weight
    x = lg.Tensor(4, 3).uniform()
    assert copy.forward(x).equal(linear.forward(x))
    obj = nn.Identity()
    assert lg.setmetatable(obj, 'nn.Tanh') is obj and type(obj) is nn.Tanh
    assert obj.forward(lg.Tensor([0.5]))[0] == pytest.approx(math.tanh(0.5))
    with pytest.raises(ValueError, match="unknown typename 'nn.NoSuchModule'"):
        lg.setmetatable({}, 'nn.NoSuchModule')
    with pytest.raises(TypeError, match='named by strings'):
        lg.setmetatable({0: 1}, 'nn.Identity')


def test_default_tensor_type_is_a_floating_type():
    """"torch.getdefaulttensortype()" and "torch.setdefaulttensortype([typename])": Torch7's init.lua (line 110)
    takes any tensor type, the doc listing Byte .. Double; legonn's default is a CPU floating type (porting.md's
    row): an integer type is refused, named in the message."""
    old = lg.getdefaulttensortype()
    try:
        lg.setdefaulttensortype('torch.DoubleTensor')
        assert lg.getdefaulttensortype() == 'torch.DoubleTensor' and lg.Tensor(2).type() == 'torch.DoubleTensor'
        assert lg.Storage(2).type() == 'torch.DoubleStorage'
        with pytest.raises(TypeError, match='torch.ByteTensor'):
            lg.setdefaulttensortype('torch.ByteTensor')
        assert lg.getdefaulttensortype() == 'torch.DoubleTensor'
    finally:
        lg.setdefaulttensortype(old)
