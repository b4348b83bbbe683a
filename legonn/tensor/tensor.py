"""The Tensor: a (storage, offset, sizes, strides) view, exactly Torch7's model.

Views (``select``, ``narrow``, ``transpose``, ``view``, ``unfold``, ``expand``,
basic ``[]`` indexing) share the storage; ``storage()``, ``storageOffset()``
and ``stride()`` report the geometry in elements. ``array`` is the cached
NumPy/CuPy view of that geometry that numeric code works on; it is rebuilt
when the geometry changes or the storage is reallocated.

Arithmetic, reductions, indexing, random filling and printing live in the
mixins of the sibling files; this file holds construction, geometry and type
conversion.
"""
import functools
import math
import numbers

import numpy as np

from . import backend
from .naming import TorchNamed
from .storage import LongStorage, Storage, charge_allocation, refuse_none_values
from .types import TYPES, FloatingShortcuts, TypeName, default_short_name, device_twin, name_for, short_name
from .pointwise import PointwiseMixin, stored_number
from .bitwise import BitwiseMixin
from .matrix_products import MatrixProductsMixin
from .reductions import ReductionMixin
from .indexing import IndexingMixin, lua_number, whole_number
from .random import RandomMixin
from .nn_table import nn_table, thnn_table
from .printing import format_tensor
from .result_forms import result_form


@functools.lru_cache(maxsize=4096)
def contiguous_strides(sizes):
    """Row-major strides (in elements) for the tuple ``sizes``; size-0 and size-1 dimensions do not scale the
    rest. Cached: every tensor made from an array, every resize and view asks, mostly for a few shapes."""
    strides = []
    acc = 1
    for n in reversed(sizes):
        strides.append(acc)
        if n > 1:
            acc *= n
    strides.reverse()
    return tuple(strides)


def given_strides(sizes, strides):
    """The strides of a tensor built or set with explicit ``strides``: TH's resizeNd
    (lib/TH/generic/THTensor.c) keeps each non-negative one and makes a negative one
    (Torch7's "choose for me") the contiguous stride over the dimensions after it."""
    if strides is None:
        return contiguous_strides(sizes)
    strides = [int(s) for s in strides]
    if any(s < 0 for s in strides) and len(strides) == len(sizes):
        for d in range(len(sizes) - 1, -1, -1):
            if strides[d] < 0:
                strides[d] = 1 if d == len(sizes) - 1 else sizes[d + 1] * strides[d + 1]
    return tuple(strides)


class Size(tuple):
    """The sizes ``x.size()`` returns: a tuple that, like the LongStorage of Torch7's ``x:size()``, gives a
    tensor constructor sizes rather than values (``x.new(x.size())``, ``lg.Tensor(x.size())``: a tensor of
    x's sizes, as ``torch.Tensor(#x)``); a plain tuple or list there still gives values. It answers the
    LongStorage methods ported code calls on it: ``x.size().totable()`` (a list) and ``x.size().size()`` (the
    number of dimensions); ``tolist`` too, as a Storage's, so ``lg.totable(x.size())`` works."""
    __slots__ = ()

    def totable(self):
        return list(self)

    tolist = totable

    def size(self):
        return len(self)

    def __setitem__(self, index, value):
        # Torch7's x:size() is a fresh LongStorage that code edits in place (OpenNMT's JoinReplicateTable:
        # `local sz = input[i]:size(); sz[dim] = maxSize`); this tuple cannot be, so the error says what to write
        raise TypeError(f"x.size() is a tuple and cannot be assigned (index {index}); edit a copy: "
                        f"sz = list(x.size()); sz[{index}] = {value!r}, then pass sz (or lg.LongStorage(sz)) on")


def _parse_sizes(args, what):
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(LongStorage([2, 3]))`` or ``f(tensor_of_sizes)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    elif len(args) == 1 and isinstance(args[0], Storage):
        args = tuple(args[0].tolist())
    elif len(args) == 1 and isinstance(args[0], Tensor):
        args = tuple(int(v) for v in args[0].tolist())
    if all(type(a) is int for a in args):     # the common case, without the slower ABC checks
        return tuple(args)
    # whole-number floats too: Lua computes sizes as doubles (model_utils.lua's Tensor(nParameters - holes))
    return tuple(whole_number(a, f"{what}: sizes {args!r}") for a in args)


class Tensor(PointwiseMixin, BitwiseMixin, MatrixProductsMixin, ReductionMixin, IndexingMixin, RandomMixin,
             FloatingShortcuts, TorchNamed):
    """A typed n-dimensional view of a Storage.

    ``Tensor(2, 3)`` allocates a zero-filled 2x3 tensor of the default type,
    ``Tensor([[1, 2], [3, 4]])`` takes values, ``Tensor(storage, offset, sizes,
    strides)`` views a storage, ``Tensor(other)`` views ``other``'s storage and
    ``Tensor(ndarray)`` wraps a NumPy/CuPy array without copying when its dtype
    and device match the tensor type (else it converts).
    """
    __slots__ = ('_storage', '_offset', '_size', '_stride', '_arr', '_ver', '__weakref__')
    _dtype = None   # set on the typed subclasses (FloatTensor, ...)
    _cuda = False
    _typename = None

    def __new__(cls, *args, **kwargs):
        if cls is Tensor:
            cls = TENSOR_CLASSES[default_short_name()]
        return object.__new__(cls)

    def __init__(self, *args):
        if not args:
            self._set(Storage.allocate(0, self._dtype, self._cuda), 0, (0,), (1,))
            return
        first = args[0]
        # the Storage test before LongStorage's: a size (an int) would otherwise pay for its metaclass's type test
        if (isinstance(first, Size) or isinstance(first, Storage) and isinstance(first, LongStorage)) and \
                (np.dtype(self._dtype) != np.int64 or self._cuda):
            # Torch7's torch.FloatTensor(sizes [, strides]) with LongStorages (x:size() is one): a new tensor
            # of those sizes (a LongStorage is viewed only by a LongTensor, whose own storage type it is)
            self._init_from_size_storages(*args)
        elif isinstance(first, Storage):
            self._init_from_storage(*args)
        elif isinstance(first, Tensor) and len(args) == 1:
            if type(first) is not type(self):
                raise TypeError(f"{self._typename}(tensor): expected a {self._typename} to view, got "
                                f"{first.type()}; use tensor.type('{self._typename}') to convert")
            self._set(first._storage, first._offset, first._size, first._stride)
        elif isinstance(first, (list, tuple, np.ndarray)) or backend.is_cupy_array(first) or \
                isinstance(first, Tensor):
            if len(args) != 1:
                raise TypeError(f"{self._typename}(values): expected one list or array, got {len(args)} arguments")
            self._init_from_values(first)
        else:
            sizes = _parse_sizes(args, self._typename)
            if any(n < 0 for n in sizes):
                raise ValueError(f"{self._typename}: sizes must be non-negative, got {sizes}")
            xp = backend.cupy() if self._cuda else np
            charge_allocation(math.prod(sizes))
            arr = xp.zeros(sizes, dtype=self._dtype)
            self._adopt(arr)

    def _init_from_size_storages(self, sizes, strides=None):
        sizes = _parse_sizes((tuple(sizes),), self._typename)
        strides = given_strides(sizes, strides)
        if len(strides) != len(sizes):
            raise ValueError(f"{self._typename}(sizes, strides): expected {len(sizes)} strides, got {strides}")
        extent = 1 + sum((n - 1) * s for n, s in zip(sizes, strides)) if all(sizes) else 0
        xp = backend.cupy() if self._cuda else np
        charge_allocation(extent)
        self._set(Storage(xp.zeros(extent, dtype=self._dtype)), 0, sizes, strides)   # zeros, like Tensor(2, 3)

    def _init_from_storage(self, storage, offset=0, sizes=None, strides=None, *more):
        if storage.dtype != np.dtype(self._dtype) or storage.is_cuda != self._cuda:
            raise TypeError(f"{self._typename}: storage is {storage.type()}, expected a matching storage")
        if isinstance(sizes, numbers.Integral) and (strides is None or isinstance(strides, numbers.Integral)):
            # Torch7's (storage, offset, sz1 [, st1, sz2 [, st2, ...]]): sizes and strides taken in turns
            pairs = (sizes, strides) + more
            sizes = pairs[0::2]
            strides = None if strides is None else pairs[1::2]
            if strides is not None and len(strides) != len(sizes):
                raise TypeError(f"{self._typename}(storage, offset, sz1, st1, ...): a stride for every size, got "
                                f"{len(sizes)} sizes and {len(strides)} strides")
        elif more:
            raise TypeError(f"{self._typename}(storage, offset, sizes, strides): too many arguments")
        if sizes is None:
            sizes = (storage.size() - offset,)
        sizes = _parse_sizes((sizes,), self._typename)
        strides = given_strides(sizes, strides)
        self._set(storage, int(offset), sizes, strides)
        self._check_bounds()

    def _init_from_values(self, values):
        xp = backend.cupy() if self._cuda else np
        if isinstance(values, Tensor):
            values = values.array
        arr = backend.to_module(values, xp) if not isinstance(values, (list, tuple)) else xp.asarray(values)
        refuse_none_values(arr, f'{self._typename}(values)')   # CuPy has no object arrays: it refuses a None itself
        if arr.dtype.kind == 'c':
            # a cast would drop the imaginary part without a word
            raise TypeError(f"{self._typename}(values): legonn has no complex tensors, got an array of dtype "
                            f"{arr.dtype}; pass its .real or abs() explicitly")
        if arr.dtype != np.dtype(self._dtype):
            arr = arr.astype(self._dtype)
        self._adopt(arr)

    # --- internal construction -----------------------------------------
    def _set(self, storage, offset, sizes, strides):
        self._storage = storage
        self._offset = offset
        self._size = tuple(sizes)
        self._stride = tuple(strides)
        self._arr = None
        self._ver = storage.version

    def _adopt(self, arr):
        """Point this tensor at ``arr``'s memory (no copy): its storage becomes a flat view of it."""
        if arr.dtype.kind == 'b':   # NumPy's bool, the one kind 'b' (a kind test: no dtype made to compare)
            arr = arr.view(np.uint8)
        itemsize = arr.dtype.itemsize
        if arr.flags.c_contiguous:
            flat = arr.reshape(-1)
            strides = contiguous_strides(arr.shape)
            offset = 0
        elif any(s % itemsize for s in arr.strides):
            arr = backend.array_module(arr).ascontiguousarray(arr)
            return self._adopt(arr)
        else:
            strides = tuple(s // itemsize for s in arr.strides)
            # the flat buffer starts at the lowest address the view touches
            flip = tuple(slice(None, None, -1) if s < 0 else slice(None) for s in strides)
            low_view = arr[flip]
            extent = sum(abs(s) * (n - 1) for s, n in zip(strides, arr.shape)) + 1 if arr.size else 0
            xp = backend.array_module(arr)
            flat = xp.lib.stride_tricks.as_strided(low_view, shape=(extent,), strides=(itemsize,))
            offset = -sum(s * (n - 1) for s, n in zip(strides, arr.shape) if s < 0)
        self._set(Storage.over(flat), offset, arr.shape, strides)   # flat is 1-D: the constructor's checks hold
        self._arr = arr
        return self

    @classmethod
    def _from_array(cls, arr):
        """Wrap an ndarray (any supported dtype, either device) in the matching tensor type, no copy."""
        tcls = _CLASS_BY_DTYPE.get((arr.dtype, type(arr) is not np.ndarray and backend.is_cupy_array(arr)))
        if tcls is None:
            if arr.dtype == np.bool_:
                arr = arr.view(np.uint8)
            tcls = TENSOR_CLASSES[name_for(arr.dtype, backend.is_cupy_array(arr))]
        t = object.__new__(tcls)
        return t._adopt(arr)

    @classmethod
    def _empty(cls, sizes):
        """A new contiguous tensor of ``sizes`` with its elements left unset, for a result written whole: what
        an empty tensor resized to ``sizes`` is, in one allocation."""
        xp = backend.cupy() if cls._cuda else np
        charge_allocation(math.prod(sizes))
        return object.__new__(cls)._adopt(xp.empty(sizes, dtype=cls._dtype))

    @classmethod
    def _from_result(cls, arr):
        """Wrap a freshly computed array as a contiguous tensor, as Torch7's results are: NumPy lays a result out
        like its operands, and one computed from a transposed tensor would refuse ``view``. Copies only then."""
        if not arr.flags.c_contiguous:
            arr = backend.array_module(arr).ascontiguousarray(arr)
        return cls._from_array(arr)

    def _view(self, offset, sizes, strides, key=None):
        """A tensor viewing this one's storage. With ``key`` (a basic index reproducing the geometry), its
        array is this tensor's cached array indexed by ``key``: far cheaper than building it from the
        storage on first use, which matters for the views modules make on every call."""
        t = object.__new__(type(self))
        t._set(self._storage, offset, sizes, strides)
        if key is not None:
            arr = self._arr
            if arr is not None and self._ver == t._ver:
                t._arr = arr[key]
        return t

    def _check_bounds(self):
        if not self._size or 0 in self._size:
            return
        lo = self._offset + sum(s * (n - 1) for s, n in zip(self._stride, self._size) if s < 0)
        hi = self._offset + sum(s * (n - 1) for s, n in zip(self._stride, self._size) if s > 0)
        if lo < 0 or hi >= self._storage.size():
            raise ValueError(f"{self._typename}: view (offset {self._offset}, sizes {self._size}, strides "
                             f"{self._stride}) reaches outside its storage of {self._storage.size()} elements")

    @property
    def array(self):
        """The NumPy or CuPy array view of this tensor's geometry (shares memory)."""
        arr = self._arr
        if arr is None or self._ver != self._storage.version:
            data = self._storage.data
            itemsize = data.dtype.itemsize
            strides = tuple(s * itemsize for s in self._stride)
            if self._cuda:
                cp = backend.cupy()
                arr = cp.ndarray(self._size, data.dtype, memptr=data.data + self._offset * itemsize,
                                 strides=strides)
            else:
                arr = np.ndarray(self._size, data.dtype, buffer=data, offset=self._offset * itemsize,
                                 strides=strides)
            self._arr = arr
            self._ver = self._storage.version
        return arr

    @array.setter
    def array(self, values):
        # `t.array += x` ends by assigning the same array back: nothing to do then
        current = self.array
        if values is not current:
            current[...] = values

    # --- geometry queries ----------------------------------------------
    def size(self, dim=None):
        """The sizes as a ``Size`` (a tuple), or the size of dimension ``dim``."""
        if dim is None:
            return Size(self._size)
        return self._size[self._dim_index(dim)]

    @property
    def shape(self):
        """The sizes as a tuple (NumPy's name for ``size()``)."""
        return self._size

    def dim(self):
        """The number of dimensions."""
        return len(self._size)

    nDimension = dim

    @property
    def ndim(self):
        """The number of dimensions (NumPy's name for ``dim()``)."""
        return len(self._size)

    def nElement(self):
        """The number of elements (the product of the sizes)."""
        n = 1
        for s in self._size:
            n *= s
        return n

    numel = nElement

    def stride(self, dim=None):
        """The strides in elements as a tuple, or the stride of dimension ``dim``."""
        if dim is None:
            return self._stride
        return self._stride[self._dim_index(dim)]

    def storage(self):
        """The Storage (flat buffer) this tensor views."""
        return self._storage

    def storageOffset(self):
        """Where this tensor's first element lies in its storage (0-based, in elements)."""
        return self._offset

    def data(self):
        """Torch7's ``x:data()``, the pointer to this tensor's first element: the storage as a 1-D NumPy/CuPy
        view from that element on, so ``p[i]`` reads and writes element ``storageOffset() + i`` (strides are the
        caller's, as with the pointer). LuaJIT pointers index from 0: a port keeps ``p[i]`` as it is."""
        return self._storage.data[self._offset:]

    def isContiguous(self):
        """True when the elements lie in row-major order without gaps (size-1 dimensions' strides ignored)."""
        expected = 1
        for n, s in zip(reversed(self._size), reversed(self._stride)):
            if n != 1:
                if s != expected:
                    return False
                expected *= n
        return True

    @staticmethod
    def isTensor(obj):
        """Torch7's ``torch.Tensor.isTensor(x)``, the alias of ``torch.isTensor``: whether ``obj`` is a tensor."""
        return isinstance(obj, Tensor)

    def isSameSizeAs(self, other):
        """True when ``other`` has the same sizes."""
        return self._size == tuple(other.size())

    def isSize(self, sizes):
        """True when the sizes equal ``sizes``."""
        return self._size == tuple(sizes)

    def isSetTo(self, other):
        """True when both tensors view the same storage with the same offset, sizes and strides."""
        return (self._storage is other._storage and self._offset == other._offset and self._size == other._size
                and self._stride == other._stride and self.nElement() > 0)

    @property
    def dtype(self):
        """The NumPy dtype of the elements."""
        return np.dtype(self._dtype)

    @property
    def is_cuda(self):
        """True for a tensor on the GPU (CuPy)."""
        return self._cuda

    @property
    def xp(self):
        """The array module (numpy or cupy) this tensor lives on."""
        return backend.cupy() if self._cuda else np

    def _dim_index(self, dim):
        n = len(self._size)
        if type(dim) is int and -n <= dim < n:
            return dim + n if dim < 0 else dim
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"{self._typename}: dimension must be an integer, got {dim!r}")
        if not -n <= dim < n:
            raise IndexError(f"{self._typename}: dimension {dim} out of range for a {n}-D tensor "
                             f"(0-based, valid: {-n}..{n - 1})")
        return dim + n if dim < 0 else int(dim)

    # --- views -----------------------------------------------------------
    def select(self, dim, index):
        """The slice at ``index`` (0-based) along ``dim``, one dimension fewer; shares storage. Of a 1-D tensor
        it is element ``index`` as a number (as ``x[index]``) whatever ``dim`` says: generic/Tensor.c's select
        pushes a vector's ``get1d`` without checking the dimension (test.lua's lua_max calls
        ``row:select(2, j)``); Torch7 has no 0-dim tensor to return."""
        d = 0 if len(self._size) == 1 and type(dim) is int else self._dim_index(dim)
        n = self._size[d]
        if type(index) is not int:
            index = whole_number(index, f"{self._typename}.select: index")
        if not -n <= index < n:
            raise IndexError(f"{self._typename}.select: index {index} out of range for dimension {d} of size {n}")
        index = int(index + n if index < 0 else index)
        if len(self._size) == 1:
            return self.array[index].item()
        return self._view(self._offset + index * self._stride[d],
                          self._size[:d] + self._size[d + 1:], self._stride[:d] + self._stride[d + 1:],
                          (slice(None),) * d + (index, Ellipsis))

    def narrow(self, dim, start, length):
        """Elements ``start .. start+length-1`` along ``dim``; shares storage."""
        d = self._dim_index(dim)
        n = self._size[d]
        if type(start) is not int or type(length) is not int:
            start, length = (whole_number(v, f"{self._typename}.narrow: start and length") for v in (start, length))
        if start < 0:
            start += n
        if start < 0 or length < 0 or start + length > n:
            raise IndexError(f"{self._typename}.narrow: range [{start}, {start + length}) outside dimension "
                             f"{d} of size {n}")
        sizes = list(self._size)
        sizes[d] = length
        return self._view(self._offset + start * self._stride[d], sizes, self._stride,
                          (slice(None),) * d + (slice(int(start), int(start + length)),))

    def sub(self, *bounds):
        """Torch7's ``sub(d0start, d0end, d1start, d1end, ...)`` with 0-based inclusive ends; negatives count from
        the end."""
        if len(bounds) % 2 or len(bounds) // 2 > self.dim():
            raise ValueError(f"{self._typename}.sub: expected pairs of bounds for at most {self.dim()} "
                             f"dimensions, got {bounds}")
        t = self
        for d in range(len(bounds) // 2):
            lo, hi = bounds[2 * d], bounds[2 * d + 1]
            n = self._size[d]
            lo, hi = (lo + n if lo < 0 else lo), (hi + n if hi < 0 else hi)
            t = t.narrow(d, lo, hi - lo + 1)
        return t

    def transpose(self, dim1, dim2):
        """A view with dimensions ``dim1`` and ``dim2`` swapped; shares storage."""
        d1, d2 = self._dim_index(dim1), self._dim_index(dim2)
        sizes, strides = list(self._size), list(self._stride)
        sizes[d1], sizes[d2] = sizes[d2], sizes[d1]
        strides[d1], strides[d2] = strides[d2], strides[d1]
        return self._view(self._offset, sizes, strides)

    def t(self):
        """The transpose of a 2-D tensor (a view)."""
        if self.dim() != 2:
            raise ValueError(f"{self._typename}.t: expected a 2-D tensor, got {self.dim()}-D; use transpose(d1, d2)")
        return self.transpose(0, 1)

    def permute(self, *dims):
        """A view with the dimensions reordered: dimension i of the result is dimension ``dims[i]`` of this one."""
        dims = _parse_sizes(dims, f'{self._typename}.permute')
        if sorted(self._dim_index(d) for d in dims) != list(range(self.dim())):
            raise ValueError(f"{self._typename}.permute: expected a permutation of 0..{self.dim() - 1}, got {dims}")
        return self._view(self._offset, [self._size[d] for d in dims], [self._stride[d] for d in dims])

    def _becomes(self, view, what):
        """Tensor.lua's ``result:view(src, ...)`` forms: this tensor is set to ``view``'s geometry; returns self."""
        if type(view) is not type(self):
            raise TypeError(f"{self._typename}.{what}: the result must have the source's type, got {view.type()}")
        self._set(view._storage, view._offset, view._size, view._stride)
        return self

    def view(self, *sizes):
        """Same storage seen with new sizes (one may be -1). A non-contiguous tensor is viewed when its strides
        allow it without a copy (NumPy's rule), where Tensor.lua asserts contiguity (docs/porting.md's row).
        ``r.view(src, sizes)`` makes ``r`` that view of ``src`` (Tensor.lua's result form)."""
        if len(sizes) > 1 and isinstance(sizes[0], Tensor):
            return self._becomes(sizes[0].view(*sizes[1:]), 'view')
        sizes = self._infer_sizes(_parse_sizes(sizes, f'{self._typename}.view'), 'view')
        if self.isContiguous():
            t = self._view(self._offset, sizes, contiguous_strides(sizes))
            arr = self._arr
            if arr is not None and self._ver == t._ver and arr.flags.c_contiguous:
                t._arr = arr.reshape(sizes)   # a view, never a copy, of a C-contiguous array
            return t
        t, copied = self._reshaped(sizes)
        if copied:
            raise ValueError(f"{self._typename}.view: sizes {self._size} with strides {self._stride} cannot be "
                             f"viewed as {sizes} without a copy; call contiguous() first")
        return t

    def _reshaped(self, sizes):
        """(tensor, copied) for a non-contiguous tensor seen with ``sizes``: a view of this storage when the
        strides allow one, else a new contiguous tensor holding the copy (copied True). NumPy's reshape makes
        that decision; its copy shares no memory with the original (assigning .shape, which refused instead,
        is deprecated since NumPy 2.5)."""
        arr = self.array
        probe = arr.reshape(sizes)
        if probe.size > 1 and not self.xp.may_share_memory(probe, arr):
            return type(self)._from_array(probe), True
        itemsize = probe.dtype.itemsize
        return self._view(self._offset, sizes, [s // itemsize for s in probe.strides]), False

    def viewAs(self, other, template=None):
        """``view`` with ``other``'s sizes; ``r.viewAs(src, template)`` makes ``r`` that view of ``src``."""
        if template is not None:
            return self._becomes(other.viewAs(template), 'viewAs')
        return self.view(tuple(other.size()))

    @result_form
    def reshape(self, *sizes):
        """``x.reshape(sizes)``: a new contiguous tensor holding x's elements, row by row, with ``sizes`` (one may be
        -1); never a view (THTensor_(reshape) resizes its result and copies into it), so writing into it leaves x
        alone. ``r.reshape(x, sizes)`` writes into r. ``view`` is the sharing form."""
        sizes = self._infer_sizes(_parse_sizes(sizes, f'{self._typename}.reshape'), 'reshape')
        return type(self)._from_array(self.array.copy(order='C').reshape(sizes))

    def _view_or_copy(self, *sizes):
        """A view when the strides allow one, else a contiguous copy (NumPy's rule; nn.Reshape and nn.View's)."""
        sizes = self._infer_sizes(_parse_sizes(sizes, f'{self._typename}.reshape'), 'reshape')
        if self.isContiguous():
            return self.view(sizes)
        return self._reshaped(sizes)[0]   # the copy, when one is needed, is made once

    def _infer_sizes(self, sizes, what):
        n = self.nElement()
        if sizes.count(-1) > 1:
            raise ValueError(f"{self._typename}.{what}: only one size may be -1, got {sizes}")
        if -1 in sizes:
            known = 1
            for s in sizes:
                if s != -1:
                    known *= s
            if known == 0 or n % known:
                raise ValueError(f"{self._typename}.{what}: cannot infer -1 in {sizes} for {n} elements")
            sizes = tuple(n // known if s == -1 else s for s in sizes)
        total = 1
        for s in sizes:
            total *= s
        if total != n:
            raise ValueError(f"{self._typename}.{what}: sizes {sizes} hold {total} elements, the tensor has {n}")
        return sizes

    def expand(self, *sizes):
        """Repeat size-1 dimensions by giving them stride 0 (no copy); -1 keeps a size. ``r.expand(src, sizes)``
        makes ``r`` that view of ``src`` (Tensor.lua's result form)."""
        if len(sizes) > 1 and isinstance(sizes[0], Tensor):
            return self._becomes(sizes[0].expand(*sizes[1:]), 'expand')
        sizes = _parse_sizes(sizes, f'{self._typename}.expand')
        lead = len(sizes) - self.dim()
        if lead < 0:
            raise ValueError(f"{self._typename}.expand: cannot expand {self._size} to fewer dimensions {sizes}")
        old_sizes = (1,) * lead + self._size
        old_strides = (0,) * lead + self._stride
        new_sizes, new_strides = [], []
        for want, have, st in zip(sizes, old_sizes, old_strides):
            if want == -1 or want == have:
                new_sizes.append(have)
                new_strides.append(st)
            elif have == 1:
                new_sizes.append(want)
                new_strides.append(0)
            else:
                raise ValueError(f"{self._typename}.expand: cannot expand size {self._size} to {sizes}: only "
                                 "size-1 dimensions can be expanded")
        return self._view(self._offset, new_sizes, new_strides)

    def expandAs(self, other, template=None):
        """``expand`` to ``other``'s sizes; ``r.expandAs(src, template)`` makes ``r`` that view of ``src``."""
        if template is not None:
            return self._becomes(other.expandAs(template), 'expandAs')
        return self.expand(tuple(other.size()))

    def unfold(self, dim, size, step):
        """All slices of length ``size`` along ``dim`` taken every ``step``, as a new last dimension (whole-number
        floats count as ints: Lua computes them, ``unfold(1, math.sqrt(n), math.sqrt(n))``)."""
        if type(size) is not int or type(step) is not int:
            size, step = (whole_number(v, f"{self._typename}.unfold: size and step") for v in (size, step))
        d = self._dim_index(dim) if self.dim() else 0
        n = self._size[d] if self.dim() else 1
        if size > n or step <= 0 or size <= 0:
            raise ValueError(f"{self._typename}.unfold: slice size {size} / step {step} invalid for dimension {d} "
                             f"of size {n}")
        sizes, strides = list(self._size), list(self._stride)
        sizes[d] = (n - size) // step + 1
        strides[d] = self._stride[d] * step
        return self._view(self._offset, sizes + [size], strides + [self._stride[d]])

    def squeeze(self, dim=None):
        """Drop size-1 dimensions (only ``dim`` when given), as a view. A result of one element is that
        element as a Python number, as TensorMath.lua's squeeze returns a Lua number when the squeezed
        tensor is 1-D of size 1 (with ``dim``, only when the tensor had one dimension already): ported code
        uses it as one (``torch.LongTensor({x:squeeze()})``, ``t[x:squeeze()]`` of a table)."""
        view = self._squeezed(dim)
        if view._size == (1,) and (dim is None or self.dim() <= 1):
            return view.item()
        return view

    def _squeezed(self, dim=None):
        """``squeeze`` always as a tensor view (TH's THTensor_squeeze: a tensor of ones keeps one dimension)."""
        if dim is None:
            keep = [i for i, n in enumerate(self._size) if n != 1]
        else:
            d = self._dim_index(dim)
            keep = [i for i in range(self.dim()) if i != d or self._size[i] != 1]
        if not keep and self._size:
            return self._view(self._offset, (1,), (1,))
        return self._view(self._offset, [self._size[i] for i in keep], [self._stride[i] for i in keep])

    def unsqueeze(self, dim):
        """A view with a size-1 dimension inserted at ``dim``."""
        n = self.dim() + 1
        if not -n <= dim < n:
            raise IndexError(f"{self._typename}.unsqueeze: dimension {dim} out of range for result of {n} dims")
        d = dim + n if dim < 0 else dim
        inner = self._stride[d] * self._size[d] if d < self.dim() else 1
        return self._view(self._offset, self._size[:d] + (1,) + self._size[d:],
                          self._stride[:d] + (inner,) + self._stride[d:])

    def split(self, size, dim=0):
        """Views of at most ``size`` elements along ``dim`` (the last one may be shorter), as a list."""
        d = self._dim_index(dim)
        size = lua_number(size)
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0:
            raise ValueError(f"{self._typename}.split: size must be a positive integer, got {size!r}")
        n = self._size[d]
        return [self.narrow(d, start, min(size, n - start)) for start in range(0, n, size)]

    def chunk(self, n, dim=0):
        """At most ``n`` views of near-equal size along ``dim`` (``split`` by ceil(size / n)), as a list."""
        d = self._dim_index(dim)
        n = lua_number(n)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
            raise ValueError(f"{self._typename}.chunk: the number of chunks must be a positive integer, got {n!r}")
        return self.split(max(-(-self._size[d] // n), 1), d)

    def repeatTensor(self, *sizes):
        """A new tensor holding this one tiled ``sizes[i]`` times along dimension i (extra leading dims allowed);
        ``r.repeatTensor(src, sizes)`` resizes ``r`` and tiles ``src`` into it (Tensor.lua's result form)."""
        if len(sizes) > 1 and isinstance(sizes[0], Tensor):
            tiled = sizes[0].repeatTensor(*sizes[1:])
            return self.resize(tiled._size).copy(tiled)
        reps = _parse_sizes(sizes, f'{self._typename}.repeatTensor')
        if len(reps) < self.dim() or any(r < 0 for r in reps):
            raise ValueError(f"{self._typename}.repeatTensor: expected at least {self.dim()} non-negative repeat "
                             f"counts, got {reps}")
        return self._from_result(self.xp.tile(self.array, reps))

    # --- in-place geometry ---------------------------------------------
    def resize(self, *sizes):
        """Make this tensor contiguous of ``sizes``, growing its storage if needed (Torch7's resize)."""
        # hot path: modules resize their output buffers on every call, mostly to the same sizes
        if sizes == self._size or len(sizes) == 1 and sizes[0] == self._size:
            return self
        sizes = _parse_sizes(sizes, f'{self._typename}.resize')
        if sizes == self._size:
            return self
        if any(n < 0 for n in sizes):
            raise ValueError(f"{self._typename}.resize: sizes must be non-negative, got {sizes}")
        n = 1
        for s in sizes:
            n *= s
        if self._offset + n > self._storage.size():
            self._storage.resize(self._offset + n)
        self._size = sizes
        self._stride = contiguous_strides(sizes)
        self._arr = None
        return self

    def resizeAs(self, other):
        """Resize to ``other``'s sizes (contiguous, growing the storage if needed); returns self."""
        return self.resize(tuple(other.size()))

    def set(self, source=None, offset=0, sizes=None, strides=None, *more):
        """View ``source`` (a tensor or a storage), or become empty when called with nothing. A storage takes
        the constructor's forms: ``(storage, offset, sizes [, strides])`` or ``(storage, offset, sz1, st1, sz2,
        st2, ...)``."""
        if source is None:
            self._set(Storage.allocate(0, self._dtype, self._cuda), 0, (0,), (1,))
        elif isinstance(source, Tensor):
            if type(source) is not type(self):
                raise TypeError(f"{self._typename}.set: expected a {self._typename}, got {source.type()}")
            self._set(source._storage, source._offset, source._size, source._stride)
        else:
            self._init_from_storage(source, offset, sizes, strides, *more)
        return self

    # --- copies ----------------------------------------------------------
    def contiguous(self):
        """This tensor when contiguous, else a contiguous copy."""
        return self if self.isContiguous() else self.clone()

    def clone(self):
        """A contiguous copy with its own storage."""
        return type(self)._from_array(self.xp.array(self.array, order='C', copy=True))

    def new(self, *args):
        """A new tensor of this type (same arguments as the constructor)."""
        return type(self)(*args)

    def copy(self, src):
        """Copy ``src``'s values (any type, either device, same number of elements) into this tensor."""
        if isinstance(src, Tensor) and src._size == self._size and src._cuda is self._cuda:
            # the common case (a buffer refilled from a tensor of its sizes on its device): nothing to convert
            self.xp.copyto(self.array, src.array, casting='unsafe')
            return self
        src_arr = src.array if isinstance(src, Tensor) else src
        if isinstance(src_arr, (list, tuple, numbers.Number)):
            src_arr = np.asarray(src_arr)
        n_src = math.prod(src_arr.shape)
        if n_src != self.nElement():
            raise ValueError(f"{self._typename}.copy: expected a source of {self.nElement()} elements "
                             f"(sizes {self._size}), got {n_src} (sizes {tuple(src_arr.shape)})")
        xp = self.xp
        src_arr = backend.to_module(src_arr, xp)
        if tuple(src_arr.shape) != self._size:
            src_arr = src_arr.reshape(self._size)
        xp.copyto(self.array, src_arr, casting='unsafe')
        return self

    def copyAsync(self, src):
        """cutorch's ``copyAsync`` (generic/CTensor.c, THCTensorCopy.c): copy ``src``, the twin of this tensor's
        element type on the other side (host to GPU or GPU to host), both contiguous and of as many elements; a
        CUDA tensor also takes its own type (a plain ``copy``). legonn runs one stream per device and the copy
        is done when this returns, so ``cutorch.streamSynchronize`` finds nothing pending; returns self."""
        twin = device_twin(self._typename, not self._cuda)
        same = isinstance(src, Tensor) and src.type() == self._typename
        if self._cuda and same:
            return self.copy(src)
        if not (isinstance(src, Tensor) and src.type() == twin):
            expected = f"a {twin} or a {self._typename}" if self._cuda else f"a {twin}"
            got = src.type() if isinstance(src, Tensor) else type(src).__name__
            raise TypeError(f"{self._typename}.copyAsync: expected {expected}, got {got}")
        if self.nElement() != src.nElement():
            raise ValueError(f"{self._typename}.copyAsync: sizes do not match ({self.nElement()} elements here, "
                             f"{src.nElement()} in the source)")
        if not self.isContiguous():
            raise ValueError(f"{self._typename}.copyAsync: the target tensor must be contiguous")
        if not src.isContiguous():
            raise ValueError(f"{self._typename}.copyAsync: the source tensor must be contiguous")
        return self.copy(src)

    def fill(self, value):
        """Set every element to ``value`` (wrapped into an integer type's range as TH's conversion does);
        returns self."""
        if self._dtype.kind in 'iu':   # only integer types need it: a float's fill stays one NumPy call
            value = stored_number(value, self._dtype)
        self.array.fill(value)
        return self

    def zero(self):
        """Set every element to 0; returns self."""
        self.array.fill(0)   # 0 fits every type: no wrap to check
        return self

    # --- types -------------------------------------------------------------
    @property
    def nn(self):
        """The ``nn`` table of C functions (legonn/tensor/nn_table.py): ``x.nn.BilinearSamplerBHWD_updateOutput``."""
        return nn_table

    @property
    def THNN(self):
        """torch/nn's THNN kernels by name (legonn/tensor/nn_table.py): ``x.THNN.SoftMax_updateOutput``."""
        return thnn_table

    def cdata(self):
        """The handle THNN's functions take (Torch7's ``x:cdata()``, a C pointer): the tensor itself."""
        return self

    def type(self, typename=None):
        """Without argument: the type string. With one: this tensor converted (``self`` if already that type)."""
        if typename is None:
            # a TypeName for callers (it also equals 'torch.' spellings); _typename stays a plain str, which
            # the checks on every call compare at C speed
            return TypeName(self._typename)
        cls = TENSOR_CLASSES[short_name(typename)]
        if cls is type(self):
            return self
        xp = backend.cupy() if cls._cuda else np
        arr = backend.to_module(self.array, xp).astype(cls._dtype, order='C', copy=True)
        return cls._from_array(arr)

    def typeAs(self, other):
        """This tensor converted to ``other``'s type (``self`` if already that type)."""
        return self.type(other.type())

    def real(self):
        """This tensor converted to the default tensor type (``self`` if already that type), as Tensor.lua's."""
        return self.type(default_short_name())

    def byte(self):
        """This tensor as a ``legonn.ByteTensor`` (uint8)."""
        return self.type('legonn.ByteTensor')

    def char(self):
        """This tensor as a ``legonn.CharTensor`` (int8)."""
        return self.type('legonn.CharTensor')

    def short(self):
        """This tensor as a ``legonn.ShortTensor`` (int16)."""
        return self.type('legonn.ShortTensor')

    def int(self):
        """This tensor as a ``legonn.IntTensor`` (int32)."""
        return self.type('legonn.IntTensor')

    def long(self):
        """This tensor as a ``legonn.LongTensor`` (int64)."""
        return self.type('legonn.LongTensor')

    def cuda(self):
        """This tensor as a ``legonn.CudaTensor`` (float32 on the GPU) whatever its type, as cutorch's
        ``x:cuda()``: a LongTensor of labels or a ByteTensor mask becomes float, ready to meet a CUDA
        model's floats. ``cudaDouble()``, ``cudaLong()``, ... keep another element type."""
        backend.cupy()   # before converting, so a missing CuPy says so rather than failing inside type()
        return self.type('legonn.CudaTensor')

    def cpu(self):
        """The CPU twin of this type (element type kept: CudaDouble -> Double); ``self`` for a CPU tensor."""
        return self.type(device_twin(self._typename, False))

    def cudaByte(self):
        """This tensor as a ``legonn.CudaByteTensor`` (uint8 on the GPU), as cutorch's converter."""
        return self.type('legonn.CudaByteTensor')

    def cudaChar(self):
        """This tensor as a ``legonn.CudaCharTensor`` (int8 on the GPU), as cutorch's converter."""
        return self.type('legonn.CudaCharTensor')

    def cudaShort(self):
        """This tensor as a ``legonn.CudaShortTensor`` (int16 on the GPU), as cutorch's converter."""
        return self.type('legonn.CudaShortTensor')

    def cudaInt(self):
        """This tensor as a ``legonn.CudaIntTensor`` (int32 on the GPU), as cutorch's converter."""
        return self.type('legonn.CudaIntTensor')

    def cudaLong(self):
        """This tensor as a ``legonn.CudaLongTensor`` (int64 on the GPU), as cutorch's converter."""
        return self.type('legonn.CudaLongTensor')

    # --- interop -----------------------------------------------------------
    def numpy(self):
        """The NumPy view of this CPU tensor (no copy)."""
        if self._cuda:
            raise TypeError(f"{self._typename}.numpy(): a CUDA tensor has no NumPy view; call .cpu() or .float() first")
        return self.array

    def __array__(self, dtype=None, copy=None):
        if self._cuda:
            raise TypeError(f"cannot convert {self._typename} to a NumPy array implicitly; call .cpu() first")
        arr = self.array
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            if copy is False:
                raise ValueError(f"{self._typename} holds {arr.dtype}; a {np.dtype(dtype)} array needs a copy")
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    @property
    def __cuda_array_interface__(self):
        if not self._cuda:
            raise AttributeError('__cuda_array_interface__ exists only on CUDA tensors')
        return self.array.__cuda_array_interface__

    def __dlpack__(self, *args, **kwargs):
        return self.array.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()

    def tolist(self):
        """The values as nested Python lists (a number for a 0-dimensional tensor)."""
        return self.array.tolist()

    totable = tolist

    def elementSize(self):
        """Bytes per element (Torch7's ``elementSize``: its storage's element size)."""
        return self._storage.elementSize()

    def getDevice(self):
        """cutorch's ``x:getDevice()``, 0-based as legonn's devices: its storage's GPU, -1 for a tensor with no
        elements in its storage (cutorch's 0: a tensor with no storage)."""
        if not self._cuda:
            raise TypeError(f"{self._typename}.getDevice: only a CUDA tensor has a device")
        return self._storage.getDevice()

    # Torch7's factories as methods (TensorMath.lua's method={default='nil'}): x.range(0, 3), x.zeros(2, 3),
    # x.eye(3), x.rand(2, 3) ... write into x
    def range(self, *args):
        """``x.range(start, end [, step])`` writes ``legonn.range(start, end, step)`` into x (keeping its shape
        when it holds as many elements, as THTensor_(range)); returns x."""
        from .functions import range as range_into
        return range_into(self, *args)

    def linspace(self, *args):
        """``x.linspace(start, end [, n])`` writes ``legonn.linspace`` into x, as ``range``; returns x."""
        from .functions import linspace
        return linspace(self, *args)

    def logspace(self, *args):
        """``x.logspace(start, end [, n])`` writes ``legonn.logspace`` into x, as ``range``; returns x."""
        from .functions import logspace
        return logspace(self, *args)

    def zeros(self, *sizes):
        """``x.zeros(sizes)`` resizes x to ``sizes`` and fills it with 0; returns x."""
        from .functions import zeros
        return zeros(self, *sizes)

    def ones(self, *sizes):
        """``x.ones(sizes)`` resizes x to ``sizes`` and fills it with 1; returns x."""
        from .functions import ones
        return ones(self, *sizes)

    def eye(self, *args):
        """``x.eye(n [, m])`` makes x the ``n`` x ``m`` identity; returns x."""
        from .functions import eye
        return eye(self, *args)

    def rand(self, *sizes):
        """``x.rand(sizes)`` resizes x and fills it with uniform samples in [0, 1); returns x."""
        from .functions import rand
        return rand(self, *sizes)

    def randn(self, *sizes):
        """``x.randn(sizes)`` resizes x and fills it with standard normal samples; returns x."""
        from .functions import randn
        return randn(self, *sizes)

    def randperm(self, *args):
        """``x.randperm([gen,] n)`` makes x a random permutation of 0 .. n-1 (0-based, as ``legonn.randperm``);
        returns x."""
        from .functions import randperm
        return randperm(self, *args)

    # TensorMath.lua wraps the convolutions as methods too: r.conv2(x, k) writes into r, x.conv2(k) is new
    def conv2(self, *args):
        """``r.conv2(x, k [, 'V' or 'F'])`` into r, or ``x.conv2(k [, mode])``: ``legonn.conv2``."""
        from .tensor_conv import conv2
        return conv2(self, *args)

    def xcorr2(self, *args):
        """``r.xcorr2(x, k [, mode])`` into r, or ``x.xcorr2(k [, mode])``: ``legonn.xcorr2``."""
        from .tensor_conv import xcorr2
        return xcorr2(self, *args)

    def conv3(self, *args):
        """``r.conv3(x, k [, mode])`` into r, or ``x.conv3(k [, mode])``: ``legonn.conv3``."""
        from .tensor_conv import conv3
        return conv3(self, *args)

    def xcorr3(self, *args):
        """``r.xcorr3(x, k [, mode])`` into r, or ``x.xcorr3(k [, mode])``: ``legonn.xcorr3``."""
        from .tensor_conv import xcorr3
        return xcorr3(self, *args)

    def cat(self, *args, dim=-1):
        """Torch7's method form of ``cat`` (TensorMath.lua wraps it with the result first): ``r.cat([x1, ...]
        [, dim])`` and ``r.cat(x1, x2 [, dim])`` write the concatenation into r and return it; ``x.cat(y [, dim])``
        is a new tensor joining x and y."""
        from .functions import cat
        return cat(self, *args, dim=dim)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.nElement() != 1:
            raise ValueError(f"{self._typename}.item: expected one element, got {self.nElement()}")
        return self.array.reshape(-1)[0].item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        """A one-element tensor as a Python index (``x[t]``, ``range(t)``), as Torch7 code uses ``t:squeeze()``.
        A floating tensor qualifies when its value is integral (Torch7 keeps labels in FloatTensors)."""
        if self.nElement() != 1:
            raise TypeError(f"only a one-element {self._typename} can be used as an index, got "
                            f"{self.nElement()} elements (sizes {self._size})")
        value = self.item()
        if isinstance(value, float):
            if not value.is_integer():
                raise TypeError(f"a {self._typename} holding {value} cannot be used as an index: "
                                "the value is not integral")
            value = int(value)
        return value

    def __bool__(self):
        if self.nElement() != 1:
            raise ValueError(f"the truth value of a {self._typename} with {self.nElement()} elements is "
                             "ambiguous; use .all() or .any() (a ported Lua `if t then` tests for nil: "
                             "`if t is not None:`)")
        return bool(self.item())

    def __len__(self):
        if not self._size:
            raise TypeError('len() of a 0-dimensional tensor')
        return self._size[0]

    def __iter__(self):
        if self.dim() == 1:
            return iter(self.tolist())
        return (self.select(0, i) for i in range(len(self)))

    def __repr__(self):
        return format_tensor(self)

    __str__ = __repr__

    # Tensors hash by identity (they are mutable buffers), while == compares element-wise (PyTorch's
    # rule): dict keys work, but ``t in list`` and ``list.index(t)`` do not; search by ``is`` instead.
    __hash__ = object.__hash__

    def __deepcopy__(self, memo):
        storage = memo.get(id(self._storage))
        if storage is None:
            storage = Storage(self._storage.data.copy())
            memo[id(self._storage)] = storage
        t = object.__new__(type(self))
        t._set(storage, self._offset, self._size, self._stride)
        return t

    def __reduce__(self):
        # pickled as (storage, geometry): pickle's memo then keeps views of one storage on one storage
        return _rebuild_tensor, (self._typename, self._storage, self._offset, self._size, self._stride)


def _rebuild_tensor(typename, storage, offset, sizes, strides):
    # the geometry as pickled, negative strides (a wrapped reversed array) included: the constructor would read
    # a negative stride as Torch7's "choose the contiguous one"
    t = TENSOR_CLASSES[short_name(typename)]()
    t._set(storage, int(offset), tuple(sizes), tuple(strides))
    t._check_bounds()
    return t


def _make_typed_classes():
    classes = {}
    for name, (dtype, cuda) in TYPES.items():
        cls = type(name, (Tensor,), {
            '__slots__': (), '_dtype': np.dtype(dtype), '_cuda': cuda, '_typename': 'legonn.' + name,
            '__doc__': f"A {np.dtype(dtype)} tensor on the {'GPU (CuPy)' if cuda else 'CPU (NumPy)'}; "
                       "see legonn.Tensor for the constructor forms."})
        cls.__module__ = 'legonn'
        classes[name] = cls
    return classes


TENSOR_CLASSES = _make_typed_classes()
# (dtype, on GPU) -> class, for the hot path of _from_array
_CLASS_BY_DTYPE = {(cls._dtype, cls._cuda): cls for cls in TENSOR_CLASSES.values()}


def tensor_class(typename):
    """The tensor class for a type string (``'torch.DoubleTensor'`` works too)."""
    return TENSOR_CLASSES[short_name(typename)]


def default_class():
    """The tensor class of the default type (``FloatTensor`` unless ``setdefaulttensortype`` changed it)."""
    return TENSOR_CLASSES[default_short_name()]
