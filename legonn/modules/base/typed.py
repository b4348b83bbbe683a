"""Typed: what modules and criterions share: a tensor type, conversion of every
tensor they hold (keeping views shared), deep copies, the class registry, and
the buffer and input-check helpers their ``updateOutput``/``updateGradInput`` use."""
import copy

from ...tensor import TENSOR_CLASSES, Tensor, default_class
from ...tensor.conversion import convert_tree
from ...tensor.naming import TorchNamed
from ...tensor.types import FloatingShortcuts, device_twin, full_name
from .errors import input_error
from .nil_arguments import nil_means_default

# every Module/Criterion class by name: the nn namespace and safe loading draw on it
registry = {}


def _tensor_leaves(tree, out):
    if isinstance(tree, Tensor):
        out.append(tree)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            _tensor_leaves(v, out)
    return out


def _acceptable_tensors(table, cuda, any_device, floating):
    """True when every entry of the list ``table`` is a non-empty tensor that ``checkContract`` accepts
    (on the ``cuda`` side unless ``any_device``, floating if ``floating``)."""
    for t in table:
        if not isinstance(t, Tensor) or 0 in t._size or (t._cuda != cuda and not any_device) or \
                (floating and t._dtype.kind != 'f'):
            return False
    return True


def _emptied(value):
    if isinstance(value, Tensor):
        return value.new()
    if isinstance(value, list):
        return [_emptied(v) for v in value]
    return value


def kind_class(reference, kind):
    """The tensor class of element kind ``kind`` ('Byte', 'Int', 'Long', ...) on ``reference``'s device."""
    return TENSOR_CLASSES[('Cuda' if reference._cuda else '') + kind + 'Tensor']


class Typed(FloatingShortcuts, TorchNamed):
    converts_with_cache = True
    # What inputs the module accepts, checked by checkContract before any arithmetic:
    # 'floating' tensors, or 'any' element type for modules that only move data (View, SelectTable, ...).
    # Torch7's nn.Module checks nothing, so a user's subclass of Module or Criterion takes any input;
    # legonn's own classes are 'floating' unless they (or a legonn base) declare otherwise.
    input_dtypes = 'any'
    # True for modules that convert between types or devices (Copy, Convert, DontCast).
    any_device = False

    def __init_subclass__(cls, abstract=False, **kwargs):
        super().__init_subclass__(**kwargs)
        # only legonn's own classes: a user's subclass must not shadow an nn class of the same name
        # (users make theirs loadable with legonn.register); an engine declared with
        # ``class Engine(Module, abstract=True)`` is no nn class at all (its subclasses are)
        nil_means_default(cls)
        own = cls.__module__.startswith('legonn.')
        if not cls.__name__.startswith('_') and own and not abstract:
            registry[cls.__name__] = cls
        declared_by = next(klass for klass in cls.__mro__ if 'input_dtypes' in vars(klass))
        if own and declared_by is Typed and not vars(cls).get('contract_base'):
            cls.input_dtypes = 'floating'

    def __init__(self):
        self._type = default_class()._typename

    def type(self, typename=None, cache=None):
        """Without argument: the tensor type. With one: convert every tensor held (and sub-modules)."""
        if typename is None:
            return self._type
        cache = {} if cache is None else cache
        for key, value in list(self.__dict__.items()):
            self.__dict__[key] = convert_tree(value, typename, cache)
        self._type = full_name(typename)
        return self

    def cuda(self):
        """Move every tensor to the GPU (CuPy), keeping the element type."""
        return self.type(device_twin(self._type, True))

    def cpu(self):
        return self.type(device_twin(self._type, False))

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
        return repr(self).split('\n', 1)[0].replace('nn.', '').rstrip(' {')

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

    def checkTensor(self, x, ranks=None, what='input'):
        """Raise a path-naming error unless ``x`` is a tensor whose rank is in ``ranks`` (None: any rank)."""
        if not isinstance(x, Tensor):
            raise input_error(self, f"a tensor {what}", f"a {type(x).__name__}", TypeError)
        if ranks is not None and len(x._size) not in ranks:
            ranks_txt = ' or '.join(f'{r}-D' for r in ranks)
            raise input_error(self, f"a {ranks_txt} {what}", f"{x.dim()}-D of size {tuple(x.size())}")
        return x

    def checkSameType(self, x, reference, what='input'):
        """Raise a TypeError naming this module unless ``x`` has ``reference``'s type and device."""
        if type(x) is not type(reference):
            got = x.type() if isinstance(x, Tensor) else f"a {type(x).__name__}"
            raise input_error(self, f"a {reference.type()} {what} (the module's type)", got, TypeError)
        return x

    def checkContract(self, input, what='input', floating=None):
        """Raise an error naming this module when a tensor of ``input`` (a tensor or nested table) is
        empty (ValueError), on the other device than the module, or an integer tensor where floats are
        expected (``floating``: default from ``input_dtypes``) (TypeError)."""
        cuda = self._type.startswith('legonn.Cuda')
        if floating is None:
            floating = self.input_dtypes == 'floating'
        if isinstance(input, Tensor):
            # the common case, a single acceptable tensor, in a few attribute reads
            if (input._cuda == cuda or self.any_device) and (not floating or input._dtype.kind == 'f') and \
                    0 not in input._size:
                return
            leaves = (input,)
        elif type(input) is list and _acceptable_tensors(input, cuda, self.any_device, floating):
            return   # the other common case, a flat table of acceptable tensors, without collecting them
        else:
            leaves = _tensor_leaves(input, [])
        for t in leaves:
            if 0 in t._size:
                raise input_error(self, f"a non-empty {what}", f"size {t._size}")
            if t._cuda != cuda and not self.any_device:
                raise input_error(self, f"a {self._type} {what} (the module's type)", t._typename, TypeError)
            if floating and t._dtype.kind != 'f':
                raise input_error(self, f"a floating-point tensor {what}", t._typename, TypeError)

    def checkGradOutput(self, gradOutput, reference):
        """Raise unless ``gradOutput`` is a tensor of ``reference``'s type and size (``reference``:
        the output, or the input for shape-keeping modules)."""
        if type(gradOutput) is not type(reference):
            got = gradOutput.type() if isinstance(gradOutput, Tensor) else f"a {type(gradOutput).__name__}"
            raise input_error(self, f"a {reference.type()} gradOutput", got, TypeError)
        if gradOutput._size != reference._size:
            raise input_error(self, f"gradOutput of size {tuple(reference.size())}", tuple(gradOutput.size()))
        return gradOutput
