"""Storage: the flat 1-D buffer (NumPy or CuPy) that tensors view."""
import contextlib
import numbers
import os
import threading
import weakref

import numpy as np

from . import backend, shared_memory
from .naming import TorchNamed
from .printing import format_storage
from .types import TYPES, TypeName, name_for


# what tensors and storages may still allocate in this thread (elements), or None: no limit. A file's reader
# sets it while a constructor runs on the file's numbers (allocation_budget), so a crafted size is refused
# before memory is touched instead of allocating what the file never held
class _Budget(threading.local):
    """Per thread: the elements left (None: no limit) and what the budget is for. Class defaults, so a thread that
    never set one reads None without the AttributeError a bare ``threading.local`` raises and ``getattr`` catches,
    which cost more than the rest of a small tensor's allocation."""
    left = None
    what = None


_BUDGET = _Budget()


@contextlib.contextmanager
def allocation_budget(elements, what):
    """Within the block, tensors and storages made or grown in this thread allocate ``elements`` elements at
    most in all; more raises ValueError naming ``what``. Nested budgets: the inner one applies."""
    outer = _BUDGET.left, _BUDGET.what
    _BUDGET.left, _BUDGET.what = int(elements), what
    try:
        yield
    finally:
        _BUDGET.left, _BUDGET.what = outer


def charge_allocation(n):
    """Count ``n`` new elements against this thread's allocation budget, if one is set (else nothing)."""
    left = _BUDGET.left
    if left is not None:
        if n > left:
            raise ValueError(f"{_BUDGET.what}: would allocate {n} elements, more than the {left} its budget has left")
        _BUDGET.left = left - n


class Storage(TorchNamed):
    """A flat, typed 1-D buffer; tensors are (storage, offset, sizes, strides) views of it.

    ``data`` is the backing 1-D ndarray (NumPy or CuPy). ``resize`` reallocates
    it and bumps ``version`` so that every tensor viewing this storage rebuilds
    its cached array view on next access, as Torch7's storages behave.
    """
    __slots__ = ('data', 'version', '__weakref__')

    def __new__(cls, data=0, *args):
        if cls is Storage and not hasattr(data, 'ndim'):
            # Torch7's torch.Storage(...) is the default type's storage class, with all its constructor forms
            from .types import default_short_name
            cls = _STORAGE_BY_NAME.get(default_short_name().replace('Tensor', 'Storage'), cls)
        return object.__new__(cls)

    def __init__(self, data=0):
        if not hasattr(data, 'ndim'):   # Torch7's torch.Storage(n) / torch.Storage({...}): the default type
            from .types import default_short_name
            data = _values(data, TYPES[default_short_name()][0])
        if data.ndim != 1:
            raise ValueError(f"Storage: expected a 1-D buffer, got {data.ndim}-D")
        self.data = data
        self.version = 0

    @classmethod
    def over(cls, flat):
        """A storage over the 1-D array ``flat`` itself (no copy), made without the constructor's argument forms:
        a tensor wrapping an array (every array handed to a forward or a criterion) makes one."""
        storage = object.__new__(cls)
        storage.data = flat
        storage.version = 0
        return storage

    @classmethod
    def allocate(cls, n, dtype, cuda=False):
        xp = backend.cupy() if cuda else np
        charge_allocation(int(n))
        return cls(xp.empty(int(n), dtype=dtype))

    def __reduce__(self):
        return Storage, (self.data,)

    # --- queries -------------------------------------------------------
    @property
    def dtype(self):
        return self.data.dtype

    @property
    def is_cuda(self):
        return backend.is_cupy_array(self.data)

    def size(self):
        return int(self.data.shape[0])

    def __len__(self):
        return self.size()

    def type(self):
        return TypeName('legonn.' + name_for(self.dtype, self.is_cuda).replace('Tensor', 'Storage'))

    def elementSize(self):
        return self.data.dtype.itemsize

    def getDevice(self):
        """cutorch's ``storage:getDevice()``, 0-based: the GPU holding the elements, -1 while there are none
        (cutorch's 0, a storage with no memory); a CPU storage has no device to name."""
        if not self.is_cuda:
            raise TypeError(f"{self.type()}.getDevice: only a CUDA storage has a device")
        return int(self.data.device.id) if self.size() else -1

    # --- mutation ------------------------------------------------------
    def resize(self, n):
        """Reallocate to ``n`` elements, keeping the common prefix."""
        n = int(n)
        if n != self.size():
            xp = backend.array_module(self.data)
            charge_allocation(n)
            new = xp.empty(n, dtype=self.data.dtype)
            keep = min(n, self.size())
            if keep:   # a new tensor's first resize has nothing to keep, and slicing costs more than the rest
                new[:keep] = self.data[:keep]
            self.data = new
            self.version += 1
        return self

    def fill(self, value):
        self.data.fill(value)
        return self

    def copy(self, other):
        src = other.data if isinstance(other, Storage) else other
        if len(src) != self.size():
            raise ValueError(f"Storage.copy: expected {self.size()} elements, got {len(src)}")
        self.data[...] = backend.to_module(src, backend.array_module(self.data))
        return self

    def string(self, text=None):
        """Torch7's ``string`` of a ByteStorage or CharStorage (generic/Storage.c): ``string()`` is the bytes
        as text (UTF-8, any other byte kept by surrogateescape); ``string(str)`` resizes the storage to the
        bytes of ``str`` (a ``str`` or ``bytes``), copies them in and returns self."""
        if self.data.dtype not in (np.uint8, np.int8):
            raise TypeError(f"{self.type()}.string: only a ByteStorage or CharStorage holds a string")
        if text is None:
            return np.asarray(backend.to_module(self.data, np)).tobytes().decode('utf-8', 'surrogateescape')
        raw = text.encode('utf-8', 'surrogateescape') if isinstance(text, str) else bytes(text)
        self.data = backend.to_module(np.frombuffer(raw, dtype=self.data.dtype).copy(),
                                      backend.array_module(self.data))
        self.version += 1
        return self

    def tolist(self):
        return self.data.tolist()

    totable = tolist

    def __getitem__(self, i):
        return self.data[i].item()

    def __setitem__(self, i, value):
        self.data[i] = value

    def __iter__(self):
        return iter(self.tolist())

    def __repr__(self):
        return format_storage(self)


def refuse_none_values(arr, what):
    """Raise if ``arr``, made by NumPy from Python lists, holds a None (a ported Lua nil): NumPy would store it as
    NaN in a floating array, where Torch7 stops (generic/Storage.c: "element at index %d is not a number";
    generic/Tensor.c: "invalid element (not a number)")."""
    if arr.dtype.kind == 'O' and any(v is None for v in arr.flat):
        raise TypeError(f"{what}: expected numbers, got None among the values (Lua's nil is not a number either)")


def _values(size_or_values, dtype, what='Storage(values)'):
    """A storage's buffer: ``n`` zeros, or the given values (a list, or another storage's)."""
    if isinstance(size_or_values, Storage):
        size_or_values = size_or_values.tolist()
    if isinstance(size_or_values, numbers.Real) and not isinstance(size_or_values, bool):
        # a size; Lua computes sizes as floats, so a whole-number float is one too
        from .indexing import whole_number
        return np.zeros(whole_number(size_or_values, 'Storage(n)'), dtype=dtype)
    # the values as Python gives them, then converted as C stores a number (generic/Storage.c's (real) cast of
    # luaL_checknumber): 2.9 truncates and 300 keeps its low bits, 44, in a ByteStorage, as a tensor's
    # constructor does (NumPy refuses to make 300 a uint8 directly)
    values = np.asarray(list(size_or_values))
    refuse_none_values(values, what)
    return values.astype(dtype, copy=False)


def _view(name, source, dtype, cuda, offset=0, size=None):
    """Torch7's ``torch.<name>(storage [, offset [, size]])`` (generic/Storage.c): elements ``offset ..
    offset+size-1`` (0-based) of ``source``, sharing its memory (on ``source``'s device, which must be the
    storage type's)."""
    if not isinstance(source, Storage) or source.dtype != np.dtype(dtype) or source.is_cuda != cuda:
        got = source.type() if isinstance(source, Storage) else type(source).__name__
        raise TypeError(f"{name}(storage, offset, size): expected a {name} to view, got {got}")
    n = source.size()
    if not 0 <= offset < n:
        raise IndexError(f"{name}(storage, offset, size): offset {offset} out of bounds for a storage of {n} "
                         f"elements (0-based)")
    size = n - offset if size is None else size
    if not 1 <= size <= n - offset:
        raise IndexError(f"{name}(storage, offset, size): size {size} out of bounds: 1 .. {n - offset} from "
                         f"offset {offset}")
    return source.data[offset:offset + size]


def _mapped(name, path, dtype, shared=False, size=0, shared_mem=False):
    """Torch7's ``torch.<name>(filename [, shared [, size [, sharedMem]]])`` (THStorage_(newWithMapping)): the
    file's bytes as ``size`` elements (all of the file when 0). Shared: writes reach the file, which is created or
    extended to ``size`` elements; else the mapping is copy-on-write and the file must hold ``size`` elements.
    ``sharedMem`` (with ``shared`` only, as Storage.c reads it) maps the POSIX shared-memory object ``filename``
    instead (``shm_open``'s; /dev/shm/<filename> on Linux)."""
    if shared and shared_mem:
        return _shm_mapped(name, os.fspath(path), dtype, size)
    itemsize = np.dtype(dtype).itemsize
    path = os.fspath(path)
    if shared:
        if not os.path.exists(path):
            open(path, 'wb').close()
        if size and os.path.getsize(path) < size * itemsize:
            os.truncate(path, size * itemsize)
    length = os.path.getsize(path) // itemsize
    if size and size > length:
        raise ValueError(f"{name}({path!r}, shared={shared}, size={size}): the file holds {length} elements")
    size = size or length
    if size == 0:
        raise ValueError(f"{name}({path!r}): cannot map an empty file without a size")
    return np.memmap(path, dtype=dtype, mode='r+' if shared else 'c', shape=(size,))


def _shm_mapped(name, shm_name, dtype, size):
    """THMapAllocator's TH_ALLOCATOR_MAPPED_SHAREDMEM: the shared-memory object ``shm_name``, created or extended to
    ``size`` elements (all of it when 0), mapped shared; it is unlinked when the mapping is freed (here: when no
    storage or tensor holds the array any more), as THMapAllocator_free unlinks it."""
    if not shared_memory.AVAILABLE:   # Windows: Torch7 has no shm_open there either
        raise OSError(f"{name}({shm_name!r}, true, {size}, true): shm_open is unavailable on this platform")
    itemsize = np.dtype(dtype).itemsize
    data = np.frombuffer(shared_memory.map_shared_memory(shm_name, size * itemsize, rule='open_or_create',
                                                         caller=f"{name}({shm_name!r})", unit=itemsize),
                         dtype=dtype)
    weakref.finalize(data, shared_memory.unlink_shared_memory, shm_name)
    return data


class _TypedStorageClass(type):
    """The class of ``lg.LongStorage`` and the other typed storage classes. Torch7 has one class per storage type,
    so ``torch.isTypeOf(s, 'torch.LongStorage')`` holds for every LongStorage; legonn makes most storages as a plain
    ``Storage`` (``x.storage()``, a tensor over an array, ``lg.load``, a .t7 file), whose type is its buffer's.
    ``isinstance(s, lg.LongStorage)`` therefore asks for that type (dtype and device), however ``s`` was made; no
    storage's creation pays for it."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Storage) and obj.data.dtype == cls._dtype and \
            backend.is_cupy_array(obj.data) == cls._cuda


def _typed_storage(name, dtype, cuda=False):
    """Torch7's ``torch.<name>``: a storage of ``dtype`` (on the GPU for cutorch's ``torch.Cuda*Storage``)
    holding ``n`` zeros or the given values, viewing another storage of its type, or mapping a file (host
    storages only)."""
    def __init__(self, source=0, *args):
        if isinstance(source, Storage) and (args or source.dtype == np.dtype(dtype)):
            data = _view(name, source, dtype, cuda, *args)
        elif isinstance(source, (str, os.PathLike)):
            if cuda:
                host = name_for(dtype, False).replace('Tensor', 'Storage')
                raise TypeError(f"{name}(filename): cutorch maps no file into GPU memory; map a {host} and copy it")
            data = _mapped(name, source, dtype, *args)
        elif args:
            raise TypeError(f"{name}: expected (size), (values), (storage [, offset [, size]]) or (filename [, "
                            f"shared [, size [, sharedMem]]]), got {1 + len(args)} arguments")
        else:
            data = _values(source, dtype, f'{name}(values)')
            if cuda:
                data = backend.cupy().asarray(data)
        Storage.__init__(self, data)

    def __reduce__(self):
        return type(self), (self.tolist(),)
    doc = (f"Torch7's ``torch.{name}``: {np.dtype(dtype).name} storage{' on the GPU' if cuda else ''} of ``n`` "
           f"zeros, holding the given values (``{name}([2, 3])``), viewing elements ``offset ..`` (0-based) of "
           f"another {name} (``{name}(s, offset, size)``)"
           + ("." if cuda else f", or mapping a file (``{name}(filename, shared, size)``) or a shared-memory "
                                f"object (``{name}(name, True, size, True)``)."))
    return _TypedStorageClass(name, (Storage,), {'__slots__': (), '__init__': __init__, '__reduce__': __reduce__,
                                                 '__doc__': doc, '__module__': __name__,
                                                 '_dtype': np.dtype(dtype), '_cuda': cuda})


FloatStorage = _typed_storage('FloatStorage', np.float32)
DoubleStorage = _typed_storage('DoubleStorage', np.float64)
HalfStorage = _typed_storage('HalfStorage', np.float16)
ByteStorage = _typed_storage('ByteStorage', np.uint8)
CharStorage = _typed_storage('CharStorage', np.int8)
ShortStorage = _typed_storage('ShortStorage', np.int16)
IntStorage = _typed_storage('IntStorage', np.int32)
# used as sizes it is iterable: t.resize(*LongStorage([2, 3]))
LongStorage = _typed_storage('LongStorage', np.int64)
# cutorch's torch.CudaStorage (float32), torch.CudaDoubleStorage, ...: the CUDA tensor types' storages
CUDA_STORAGES = tuple(_typed_storage(name.replace('Tensor', 'Storage'), dt, cuda=True)
                      for name, (dt, on_gpu) in TYPES.items() if on_gpu)
TYPED_STORAGES = (FloatStorage, DoubleStorage, HalfStorage, ByteStorage, CharStorage, ShortStorage, IntStorage,
                  LongStorage) + CUDA_STORAGES
_STORAGE_BY_NAME = {cls.__name__: cls for cls in TYPED_STORAGES}
