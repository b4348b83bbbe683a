"""Tensor type names (``legonn.FloatTensor`` ...) and their dtypes.

Type strings follow Torch7; ``torch.`` is accepted in place of ``legonn.`` so
ported Lua code reads the same. CUDA twins live on CuPy.
"""
import threading

import numpy as np

# short name -> (dtype, on GPU)
TYPES = {
    'FloatTensor': (np.float32, False),
    'DoubleTensor': (np.float64, False),
    'HalfTensor': (np.float16, False),
    'ByteTensor': (np.uint8, False),
    'CharTensor': (np.int8, False),
    'ShortTensor': (np.int16, False),
    'IntTensor': (np.int32, False),
    'LongTensor': (np.int64, False),
    'CudaTensor': (np.float32, True),
    'CudaDoubleTensor': (np.float64, True),
    'CudaHalfTensor': (np.float16, True),
    'CudaByteTensor': (np.uint8, True),
    'CudaCharTensor': (np.int8, True),
    'CudaShortTensor': (np.int16, True),
    'CudaIntTensor': (np.int32, True),
    'CudaLongTensor': (np.int64, True),
}

_BY_DTYPE = {(np.dtype(dt), cuda): name for name, (dt, cuda) in TYPES.items()}
FLOATING = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


class TypeName(str):
    """A type string, spelt 'legonn.FloatTensor', that also equals Torch7's spelling 'torch.FloatTensor', so a
    ported comparison such as ``input:type() == 'torch.CudaTensor'`` holds as in Torch7. It hashes as the legonn
    spelling: a dict keyed by 'torch.' names does not find it (look up ``lg.typename`` spellings there)."""
    __slots__ = ()

    def __eq__(self, other):
        if isinstance(other, str) and other.startswith('torch.'):
            other = 'legonn.' + other[len('torch.'):]
        return str.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    __hash__ = str.__hash__


def short_name(typename):
    """'torch.FloatTensor' / 'legonn.FloatTensor' / 'FloatTensor' -> 'FloatTensor'."""
    if not isinstance(typename, str):
        raise TypeError(f"a tensor type name must be a string such as 'legonn.FloatTensor', got {typename!r}")
    name = typename
    for prefix in ('legonn.', 'torch.'):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    if name not in TYPES:
        known = ', '.join('legonn.' + n for n in TYPES)
        raise TypeError(f"unknown tensor type {typename!r}; known types: {known}")
    return name


def full_name(typename):
    return 'legonn.' + short_name(typename)


def name_for(dtype, cuda):
    """Short type name for a NumPy dtype on CPU or GPU; TypeError for dtypes Torch7 has no tensor for."""
    key = (np.dtype(dtype), bool(cuda))
    if key not in _BY_DTYPE:
        raise TypeError(f"legonn has no tensor type for dtype {np.dtype(dtype)}; supported: "
                        "float16/32/64, uint8, int8, int16, int32, int64 (bool is stored as uint8)")
    return _BY_DTYPE[key]


def device_twin(typename, cuda):
    """The type with ``typename``'s element type on the GPU (``cuda``) or the CPU:
    'legonn.DoubleTensor' -> 'legonn.CudaDoubleTensor', 'legonn.CudaTensor' -> 'legonn.FloatTensor'."""
    return 'legonn.' + name_for(TYPES[short_name(typename)][0], cuda)


class _Default(threading.local):
    """The default tensor type of each thread. Torch7 keeps it per Lua state (torch7's init.lua:110-116 sets
    that state's ``torch.Tensor``; line 153 starts every state at Double), and every torch/threads worker or
    torch-ipc map thread is a fresh state: a worker's call changes only its own, and the main script's never
    reaches the workers. So here each thread starts at ``name`` (legonn's FloatTensor, where a Lua state starts
    at Double) until it sets its own. A class attribute, not a per-thread ``__init__``: one lookup to read."""
    name = 'FloatTensor'


_default = _Default()


def setdefaulttensortype(typename):
    """Set the type that ``legonn.Tensor(...)`` and new modules use (a CPU floating type) in this thread only,
    as Torch7's call sets it in its own Lua state: the other threads keep theirs."""
    name = short_name(typename)
    dtype, cuda = TYPES[name]
    if cuda or np.dtype(dtype) not in FLOATING:
        raise TypeError(f"the default tensor type must be a CPU floating type, got {typename!r}")
    _default.name = name


def getdefaulttensortype():
    """The type string that ``legonn.Tensor(...)`` and new modules use in this thread (``'legonn.FloatTensor'``
    at the start of every thread)."""
    return TypeName('legonn.' + _default.name)


def default_short_name():
    return _default.name


def fresh_default():
    """Forget this thread's own default type: it reads the starting one again. For a forked worker process,
    whose thread is a copy of the forking one, to start as a fresh Lua state does."""
    vars(_default).pop('name', None)


class FloatingShortcuts:
    """Torch7's ``:float()``, ``:double()``, ``:half()``, ``:cudaHalf()``, ``:cudaDouble()`` as ``self.type(name)``:
    shared by tensors and modules. The name is a TypeName, as Module.lua's ``self:type('torch.FloatTensor')``
    hands Torch7's spelling: a ported ``type`` override comparing it with 'torch.FloatTensor' holds
    (multipathnet's ModelParallelTable.lua:353 accepts only ``typeStr == "torch.CudaTensor"``)."""

    def float(self, *cache):
        """This object as ``legonn.FloatTensor`` (float32): ``self`` when it is already that type. A module passes
        a tensor cache on to ``type`` (Module.lua's ``:float(...)``), so tensors shared across calls stay shared."""
        return self.type(TypeName('legonn.FloatTensor'), *cache)

    def double(self, *cache):
        """This object as ``legonn.DoubleTensor`` (float64): ``self`` when it is already that type. A module passes
        a tensor cache on to ``type`` (Module.lua's ``:double(...)``), so tensors shared across calls stay shared."""
        return self.type(TypeName('legonn.DoubleTensor'), *cache)

    def half(self, *cache):
        """This object as ``legonn.HalfTensor`` (float16): ``self`` when it is already that type. A module passes
        a tensor cache on to ``type`` (Module.lua's ``:half(...)``), so tensors shared across calls stay shared."""
        return self.type(TypeName('legonn.HalfTensor'), *cache)

    def cudaHalf(self):
        """This object as ``legonn.CudaHalfTensor`` (float16 on the GPU): cutorch's tensor converter and
        Criterion.lua's ``cudaHalf`` (modules have it too)."""
        return self.type(TypeName('legonn.CudaHalfTensor'))

    def cudaDouble(self):
        """This object as ``legonn.CudaDoubleTensor`` (float64 on the GPU): cutorch's tensor converter and
        Criterion.lua's ``cudaDouble`` (modules have it too)."""
        return self.type(TypeName('legonn.CudaDoubleTensor'))
