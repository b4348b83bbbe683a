"""Storage: the flat 1-D buffer (NumPy or CuPy) that tensors view."""
import numpy as np

from . import backend
from .naming import TorchNamed
from .types import TypeName, name_for


class Storage(TorchNamed):
    """A flat, typed 1-D buffer; tensors are (storage, offset, sizes, strides) views of it.

    ``data`` is the backing 1-D ndarray (NumPy or CuPy). ``resize`` reallocates
    it and bumps ``version`` so that every tensor viewing this storage rebuilds
    its cached array view on next access, as Torch7's storages behave.
    """
    __slots__ = ('data', 'version', '__weakref__')

    def __init__(self, data):
        if not hasattr(data, 'ndim'):   # Torch7's torch.Storage(n) / torch.Storage({...}): the default type
            from .types import TYPES, default_short_name
            data = _values(data, TYPES[default_short_name()][0])
        if data.ndim != 1:
            raise ValueError(f"Storage: expected a 1-D buffer, got {data.ndim}-D")
        self.data = data
        self.version = 0

    @classmethod
    def allocate(cls, n, dtype, cuda=False):
        xp = backend.cupy() if cuda else np
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

    # --- mutation ------------------------------------------------------
    def resize(self, n):
        """Reallocate to ``n`` elements, keeping the common prefix."""
        n = int(n)
        if n != self.size():
            xp = backend.array_module(self.data)
            new = xp.empty(n, dtype=self.data.dtype)
            keep = min(n, self.size())
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
        body = '\n'.join(f' {v}' for v in self.tolist()[:20])
        more = '\n ...' if self.size() > 20 else ''
        return f"{body}{more}\n[{self.type()} of size {self.size()}]"


def _values(size_or_values, dtype):
    """A storage's buffer: ``n`` zeros, or the given values (a list, or another storage's)."""
    if isinstance(size_or_values, Storage):
        size_or_values = size_or_values.tolist()
    if isinstance(size_or_values, int) and not isinstance(size_or_values, bool):
        return np.zeros(size_or_values, dtype=dtype)
    return np.asarray(list(size_or_values), dtype=dtype)


def _typed_storage(name, dtype):
    """Torch7's ``torch.<name>``: a storage of ``dtype`` holding ``n`` zeros or the given values."""
    def __init__(self, size_or_values=0):
        Storage.__init__(self, _values(size_or_values, dtype))

    def __reduce__(self):
        return type(self), (self.tolist(),)
    doc = (f"Torch7's ``torch.{name}``: {np.dtype(dtype).name} storage of ``n`` zeros, or holding the given values "
           f"(``{name}([2, 3])``).")
    return type(name, (Storage,), {'__slots__': (), '__init__': __init__, '__reduce__': __reduce__,
                                   '__doc__': doc, '__module__': __name__})


FloatStorage = _typed_storage('FloatStorage', np.float32)
DoubleStorage = _typed_storage('DoubleStorage', np.float64)
HalfStorage = _typed_storage('HalfStorage', np.float16)
ByteStorage = _typed_storage('ByteStorage', np.uint8)
CharStorage = _typed_storage('CharStorage', np.int8)
ShortStorage = _typed_storage('ShortStorage', np.int16)
IntStorage = _typed_storage('IntStorage', np.int32)
# used as sizes it is iterable: t.resize(*LongStorage([2, 3]))
LongStorage = _typed_storage('LongStorage', np.int64)
TYPED_STORAGES = (FloatStorage, DoubleStorage, HalfStorage, ByteStorage, CharStorage, ShortStorage, IntStorage,
                  LongStorage)
