"""Index-driven operations (0-based indices, Torch7 names) and NumPy-style ``[]``.

``index``/``indexSelect``/``gather``/``maskedSelect`` return new tensors;
``indexCopy``/``indexAdd``/``indexFill``/``scatter``/``maskedFill``/``maskedCopy``
write into ``self``. ``t[...]`` gives a view for basic indexing (ints, slices,
None, Ellipsis) and a copy for advanced indexing, exactly where NumPy does.
"""
import math
import numbers

import numpy as np

from . import backend
from .pointwise import operand, stored_number
from .result_forms import result_form
from .scatter_kernels import scatter_add
from .storage import LongStorage, Storage


def lua_number(value):
    """``value`` as Lua's number: an ``int`` when it is a finite whole-number float, else unchanged. Lua has only
    doubles, so ported code computes sizes, indices and constructor arguments as floats (``torch.floor(n / b)``,
    ``self.weight[input[i]]`` of a DoubleTensor ``input``, ``nStages[1]`` of a tensor)."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and float(value).is_integer():
        return int(value)
    return value


def is_whole(value):
    """Whether ``value`` is a whole number as Lua has them: an integer, or a real number without a fraction
    (``3.0``); never a bool, NaN or an infinity."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) or float(value).is_integer()


def whole_number(value, what):
    """``value`` as an int when it is a whole number (``is_whole``); Torch7 truncates a fractional one silently,
    legonn refuses it (``what`` names the caller in the error)."""
    if not is_whole(value):
        raise TypeError(f"{what}: expected an integer or a whole number, got {value!r}")
    return int(value)


def _whole_entry(k, what):
    """One index entry with a float (a whole number, as Lua computes indices) made an int; a slice's float
    bounds too, since a range ``{1 + n/4, n/2 + n/4}`` ports to ``x[n/4:n/2 + n/4]`` (Torch7's __index__,
    torch7 generic/Tensor.c:979-988, reads the bounds with lua_tonumber)."""
    if isinstance(k, (float, np.floating)):
        return whole_number(k, what)
    if isinstance(k, str):
        # NumPy's IndexError would not say a string came: Torch7 reads a numeric string as its number
        # (generic/Tensor.c's lua_tonumber), as grad-cam's json keys are indexed; Python code converts it
        raise TypeError(f"{what}: expected an integer index, got the string {k!r}" +
                        (f" (Torch7 reads it as the number {k}: write int({k!r}))" if k.strip().lstrip('+-').isdigit()
                         else ''))
    if isinstance(k, slice) and any(isinstance(b, (float, np.floating)) for b in (k.start, k.stop, k.step)):
        return slice(*(whole_number(b, what) if isinstance(b, (float, np.floating)) else b
                       for b in (k.start, k.stop, k.step)))
    return k


def _whole_keys(key, what):
    """``key`` with its float entries and float slice bounds (whole numbers) made ints."""
    if type(key) is tuple:
        fixed = tuple(_whole_entry(k, what) for k in key)
        return key if all(a is b for a, b in zip(fixed, key)) else fixed
    return _whole_entry(key, what)


def _basic_key(key):
    items = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (numbers.Integral, slice, type(None), type(Ellipsis))) and not isinstance(k, bool)
               for k in items)


def _fitted(value, shape):
    """``value`` for a region of ``shape``: as it is when it broadcasts there, else, with as many elements,
    reshaped (Tensor.lua's __newindex__ copies a tensor into the region in row-major order, sizes aside)."""
    try:
        if np.broadcast_shapes(value.shape, shape) == tuple(shape):
            return value
    except ValueError:
        pass
    return value.reshape(shape) if value.size == math.prod(shape) else value


def _is_mask(key):
    """True for Torch7's mask index: a ByteTensor, or the booleans ``_torch_key`` made of one."""
    dtype = getattr(key, 'dtype', None)
    return dtype == np.bool_ or (dtype == np.uint8 and hasattr(key, 'storageOffset'))


def _key_arrays(key):
    if isinstance(key, tuple):
        return tuple(_key_arrays(k) for k in key)
    arr = getattr(key, 'array', None)
    if arr is not None and not isinstance(key, np.ndarray):
        return arr.astype(bool) if key.dtype == np.uint8 else arr
    return key


def _index_bounds(idx):
    """(smallest, largest) entry of the non-empty integer array ``idx``, as Python ints. A short one (the few
    indices ported code selects) is read as a list: a third of the time of two reductions (one transfer, not
    two, from a GPU)."""
    if idx.size <= 16:
        values = (idx if idx.ndim == 1 else idx.reshape(-1)).tolist()
        return min(values), max(values)
    return int(idx.min()), int(idx.max())


class IndexingMixin:
    __slots__ = ()

    def _indices(self, index, dim_size, what):
        idx = operand(index)
        if type(idx) is not np.ndarray or self._cuda:   # a CPU tensor's own indices need neither step
            if isinstance(idx, numbers.Integral):
                idx = np.asarray([idx])
            idx = backend.to_module(idx, self.xp)
        if idx.dtype.kind not in 'iu':
            raise TypeError(f"{self._typename}.{what}: expected integer (LongTensor) indices, got dtype {idx.dtype}")
        if idx.size:
            low, high = _index_bounds(idx)
            if low < -dim_size or high >= dim_size:
                raise IndexError(f"{self._typename}.{what}: index out of range [0, {dim_size}) "
                                 f"(got min {low}, max {high})")
        return idx

    # --- [] -----------------------------------------------------------------
    def _element_key(self, key):
        """A LongStorage key as the position it names: Torch7's ``x[torch.LongStorage{2, 3}]`` is one element
        (generic/Tensor.c's __index__/__newindex__), never NumPy's fancy indexing of rows 2 and 3."""
        position = tuple(int(i) for i in key.tolist())
        if len(position) != len(self._size):
            raise IndexError(f"{self._typename}[LongStorage]: expected {len(self._size)} indices (one per "
                             f"dimension), got {len(position)}")
        return position

    def _torch_key(self, key):
        """Torch7's meaning of a ``[]`` key NumPy would read otherwise: a LongStorage is one element's position
        (``_element_key``); a CudaTensor key of a CudaTensor is a mask of its non-zero elements (cutorch's rule);
        a ByteTensor mask with as many elements as this tensor but other sizes is reshaped
        to its sizes (``_mask``), as Torch7's ``x[mask]`` is maskedSelect (and ``x[mask] = v``
        maskedFill/maskedCopy), which only count elements."""
        if isinstance(key, Storage) and isinstance(key, LongStorage):   # Storage first: an int key stays cheap
            return self._element_key(key)
        if self._typename == 'legonn.CudaTensor' and getattr(key, '_typename', None) == 'legonn.CudaTensor':
            # cutorch's CudaTensor also takes a CudaTensor key as a mask (its generic/Tensor.c __index__ and
            # __newindex__: maskedSelect, maskedFill, maskedCopy with a float mask), its non-zero elements chosen
            key = key.ne(0)
        if getattr(key, 'dtype', None) == np.uint8 and hasattr(key, 'array') and tuple(key.shape) != self._size \
                and math.prod(key.shape) == self.nElement():
            return self._mask(key, '[]')
        return key

    def __getitem__(self, key):
        if type(key) is int:
            # x[i], the commonest key, which none of the conversions below changes: element i of a vector, or
            # the view of slice i along the first dimension (whose offset is the one _view_of would compute)
            res = self.array[key]
            if res.ndim == 0:
                return res.item()
            n = self._size[0]
            t = self._view(self._offset + (key + n if key < 0 else key) * self._stride[0], res.shape,
                           [s // res.itemsize for s in res.strides])
            t._arr = res
            return t
        key = _whole_keys(self._torch_key(key), f"{self._typename}[]")
        res = self.array[_key_arrays(key)]
        if res.ndim == 0:
            return res.item()
        return self._view_of(res) if _basic_key(key) else self._from_array(res)

    def _view_of(self, arr):
        """Tensor sharing storage for ``arr``, a basic-indexing view of ``self.array``."""
        itemsize = arr.dtype.itemsize
        delta = backend.address(arr) - backend.address(self._storage.data)
        t = self._view(delta // itemsize, arr.shape, [s // itemsize for s in arr.strides])
        t._arr = arr
        return t

    def __setitem__(self, key, value):
        key = self._torch_key(key)
        if _is_mask(key) and hasattr(value, 'storageOffset'):
            # Torch7's x[mask] = y is maskedCopy (generic/Tensor.c's __newindex__): y's elements in order,
            # whatever y's sizes, where NumPy would want y shaped as the selection
            self.maskedCopy(key, value)
            return
        value = operand(value)
        if not isinstance(value, numbers.Number):
            value = backend.to_module(value, self.xp)
            if value.size == 1 and value.ndim:
                # t[i] = one_element_tensor (Torch7's targets[k] = target:squeeze()): a 0-d value
                # broadcasts into a single element as well as into any slice
                value = value.reshape(())
        else:
            value = stored_number(value, self.array.dtype)
        key = _key_arrays(_whole_keys(key, f"{self._typename}[]"))
        if not isinstance(value, numbers.Number) and value.ndim and _basic_key(key):
            value = _fitted(value, self.array[key].shape)
        self.array[key] = value

    # --- masks ----------------------------------------------------------------
    def _mask(self, mask, what):
        """``mask`` as booleans of this tensor's sizes. TH's masked functions walk tensor and mask together in
        row-major order (TH_TENSOR_APPLY2), so only the element counts must agree: a 2x6 mask serves a 3x4."""
        m = operand(mask)
        if tuple(m.shape) != self._size:
            if math.prod(m.shape) != self.nElement():
                raise ValueError(f"{self._typename}.{what}: mask of sizes {tuple(m.shape)} "
                                 f"({math.prod(m.shape)} elements) does not match the {self.nElement()} elements "
                                 f"of sizes {self._size}")
            m = m.reshape(self._size)
        return backend.to_module(m, self.xp).astype(bool)

    def maskedFill(self, mask, value):
        """Set the elements where ``mask`` (a ByteTensor of these sizes) is non-zero to ``value``; returns self."""
        self.array[self._mask(mask, 'maskedFill')] = stored_number(value, self.array.dtype)
        return self

    def maskedSelect(self, *args):
        """``x.maskedSelect(mask)``: a new 1-D tensor of the elements where ``mask`` is non-zero, in row-major
        order; ``r.maskedSelect(src, mask)`` writes them into ``r`` (generic/Tensor.c's three-argument form)."""
        if len(args) == 2:
            selected = args[0].maskedSelect(args[1])
            return self.resize(selected._size).copy(selected)
        if len(args) != 1:
            raise TypeError(f"{self._typename}.maskedSelect: expected ([src,] mask), got {len(args)} arguments")
        return self._from_array(self.array[self._mask(args[0], 'maskedSelect')])

    def maskedCopy(self, mask, src):
        """Copy ``src``'s first elements, in order, into the places where ``mask`` is non-zero; returns self."""
        m = self._mask(mask, 'maskedCopy')
        n = int(m.sum())
        values = backend.to_module(operand(src), self.xp).reshape(-1)
        if values.size < n:
            raise ValueError(f"{self._typename}.maskedCopy: the mask selects {n} elements, the source has "
                             f"{values.size}")
        self.array[m] = values[:n]
        return self

    @result_form
    def nonzero(self):
        """LongTensor of the 0-based coordinates of non-zero elements, one row each."""
        return self._from_result(self.xp.stack(self.xp.nonzero(self.array), 1).astype(np.int64))

    # --- index along a dimension ---------------------------------------------
    @result_form
    def index(self, dim, index):
        """New tensor of the slices ``index`` (0-based) along ``dim``."""
        d = self._dim_index(dim)
        idx = self._slice_indices(index, d, 'index')
        flat = idx if idx.ndim == 1 else idx.reshape(-1)
        return self._from_result(self.array.take(flat, axis=d))   # the method: no Python wrapper

    indexSelect = index

    def _slice_indices(self, index, d, what):
        """The indices of index, indexCopy, indexAdd and indexFill along dimension ``d``: a CUDA tensor also takes
        them in its own type, as cutorch's torch/generic/Tensor.c (see ``_own_type_index``)."""
        if self._cuda:
            index = self._own_type_index(index, what)
        return self._indices(index, self._size[d], what)

    def _slices(self, d, idx):
        return (slice(None),) * d + (idx.reshape(-1),)

    def _source_for(self, d, idx, src, what):
        src = backend.to_module(operand(src), self.xp)
        want = self._size[:d] + (idx.size,) + self._size[d + 1:]
        if tuple(src.shape) != want:
            raise ValueError(f"{self._typename}.{what}: expected a source of sizes {want}, got {tuple(src.shape)}")
        return src

    def indexCopy(self, dim, index, src):
        """Copy ``src``'s slices into the slices ``index`` (0-based) along ``dim``; returns self."""
        d = self._dim_index(dim)
        idx = self._slice_indices(index, d, 'indexCopy')
        self.array[self._slices(d, idx)] = self._source_for(d, idx, src, 'indexCopy')
        return self

    def indexAdd(self, dim, index, src):
        """Add ``src``'s slices into the slices ``index`` along ``dim``; repeated indices accumulate."""
        d = self._dim_index(dim)
        idx = self._slice_indices(index, d, 'indexAdd')
        values = self._source_for(d, idx, src, 'indexAdd')
        scatter_add(self.array, self._slices(d, idx), values)
        return self

    def indexFill(self, dim, index, value):
        """Fill the slices ``index`` (0-based) along ``dim`` with ``value``; returns self."""
        d = self._dim_index(dim)
        idx = self._slice_indices(index, d, 'indexFill')
        self.array[self._slices(d, idx)] = stored_number(value, self.array.dtype)   # C's cast, as maskedFill
        return self

    # --- gather / scatter -------------------------------------------------------
    def _own_type_index(self, index, what):
        """cutorch's gather and scatter, and its index, indexCopy, indexAdd and indexFill, also take an index of
        the tensor's own CUDA type (TensorMath.lua's backward-compatible forms and torch/generic/Tensor.c copy it
        into a CudaLongTensor; torch-rnn's TemporalCrossEntropyCriterion passes CudaTensor targets so): such an
        index of whole numbers serves as integers here, a fractional one is refused (the copy would truncate it).
        Torch7's CPU forms want a LongTensor, as ``_indices`` does."""
        if not (getattr(index, '_cuda', False) and index.dtype.kind == 'f' and index.dtype == self.dtype):
            return index
        arr = index.array
        if not bool(self.xp.isfinite(arr).all()) or not bool((arr == self.xp.trunc(arr)).all()):
            raise TypeError(f"{self._typename}.{what}: expected whole-number indices in a {index.type()} index, "
                            "got a fractional or non-finite value")
        return arr.astype(np.int64)

    def _gather_index(self, d, index, what):
        if self._cuda and what != 'scatterAdd':   # a CPU tensor's index is _indices' alone to check
            index = self._own_type_index(index, what)
        idx = self._indices(index, self._size[d], what)
        if idx.ndim != self.dim() or any(i > s for k, (i, s) in enumerate(zip(idx.shape, self._size)) if k != d):
            raise ValueError(f"{self._typename}.{what}: index of sizes {tuple(idx.shape)} does not fit a tensor of "
                             f"sizes {self._size} along dimension {d}")
        return idx

    def _scatter_source(self, src, idx, what):
        """The part of ``src`` that index ``idx`` scatters: src must have idx's dimensions and at least its sizes
        (THTensor_(scatter)'s "Input tensor must have same dimensions as output tensor")."""
        if src.ndim != idx.ndim or any(s < i for s, i in zip(src.shape, idx.shape)):
            raise ValueError(f"{self._typename}.{what}: source of sizes {tuple(src.shape)} does not cover the index "
                             f"of sizes {tuple(idx.shape)} (expected as many dimensions, each at least as large)")
        return backend.to_module(src, self.xp)[tuple(slice(0, n) for n in idx.shape)]

    @result_form
    def gather(self, dim, index):
        """out[i][j] = self[index[i][j]][j] for dim 0 (and likewise for other dims), a new tensor of index's sizes;
        ``r.gather(x, dim, index)`` writes x's into ``r``."""
        d = self._dim_index(dim)
        idx = self._gather_index(d, index, 'gather')
        region = tuple(slice(0, n) if k != d else slice(None) for k, n in enumerate(idx.shape))
        return self._from_result(self.xp.take_along_axis(self.array[region], idx, axis=d))

    def _scatter_coords(self, d, idx):
        xp = self.xp
        nd = idx.ndim
        # open-grid coordinates built by hand: CuPy's indices() has no sparse form in every version
        coords = [xp.arange(n).reshape((1,) * k + (n,) + (1,) * (nd - k - 1)) for k, n in enumerate(idx.shape)]
        coords[d] = idx
        return tuple(coords)

    def scatter(self, dim, index, src):
        """self[index[i][j]][j] = src[i][j] for dim 0 (src may be a number)."""
        d = self._dim_index(dim)
        idx = self._gather_index(d, index, 'scatter')
        value = operand(src)
        if isinstance(value, numbers.Number):
            value = stored_number(value, self.array.dtype)   # scatter's fill form: the number as this type's real
        else:
            value = self._scatter_source(value, idx, 'scatter')
        self.array[self._scatter_coords(d, idx)] = value
        return self

    def scatterAdd(self, dim, index, src):
        """Add ``src[i][j]`` into ``self[index[i][j]][j]`` (``dim`` 0; likewise for others); repeats accumulate."""
        d = self._dim_index(dim)
        idx = self._gather_index(d, index, 'scatterAdd')
        values = self._scatter_source(operand(src), idx, 'scatterAdd')
        scatter_add(self.array, self._scatter_coords(d, idx), values)
        return self

    # --- ordering ----------------------------------------------------------------
    @result_form
    def sort(self, dim=-1, descending=False):
        """(values, indices) sorted along ``dim``; ascending unless ``descending``. ``x.sort(True)`` sorts the last
        dimension in descending order, as Torch7's (a boolean there is the order, not a dimension)."""
        if isinstance(dim, bool):
            dim, descending = -1, dim
        d = self._dim_index(dim)
        xp = self.xp
        if descending:
            # stable descending order: sort the reversed slice ascending, reverse back, map the positions
            n = self._size[d]
            order = (n - 1) - xp.flip(xp.argsort(xp.flip(self.array, axis=d), axis=d, kind='stable'), axis=d)
        else:
            order = xp.argsort(self.array, axis=d, kind='stable')
        return self._from_result(xp.take_along_axis(self.array, order, axis=d)), \
            self._from_result(order.astype(np.int64))

    @result_form
    def topk(self, k=1, dim=-1, dir=False, sort=True):
        """(values, indices) of the k smallest along ``dim`` (Torch7's default); ``dir=True`` for the k largest.

        Results always come sorted (smallest first, or largest first with ``dir``); Torch7 allows any order
        unless ``sort`` is true, so sorted output satisfies both settings. ``x.topk(k, True)`` takes the k largest
        along the last dimension, as TensorMath.lua's (long, index, boolean, boolean) signature reads it."""
        if isinstance(dim, bool):
            dim, dir = -1, dim     # the next flag is then ``sort``: the results come sorted anyway
        d = self._dim_index(dim)
        k = lua_number(k)
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k <= self._size[d]:
            raise ValueError(f"{self._typename}.topk: k={k!r} out of range for dimension of size {self._size[d]}")
        values, order = self.sort(d, descending=bool(dir))
        return values.narrow(d, 0, k).contiguous(), order.narrow(d, 0, k).contiguous()
