"""Reductions with Torch7's conventions.

Without a dimension a reduction returns a Python number; with one it returns
a tensor that keeps the reduced dimension with size 1 (Torch7 keeps it).
Sums and products along a dimension, and running ones, keep the tensor's type
as Torch7's do (a ByteTensor mask's ``sum(d)`` is a ByteTensor, wrapping past
255 as there); whole-tensor sums are numbers, exact for every integer type.
``max``/``min``/``sort``-style calls return (values, 0-based LongTensor indices).

Floating tensors accumulate as THTensorMath.c does, in its ``accreal`` (double): whole-tensor sums, means,
variances and norms are double-precision numbers, running sums and products round each double partial
result into the tensor's type, and a sum or product along a dimension of stride 1 sums in double then rounds
(along another dimension Torch7 adds slice by slice in the tensor's own type, as NumPy does). A FloatTensor's
float32 accumulation in NumPy differs from Torch7's already in the fourth digit of a 1e5-element sum.
"""
import numpy as np

from .indexing import whole_number
from .result_forms import result_form


def _accreal(dtype):
    """THTensorMath.c's accumulation type for a floating ``real``: double (float for half); None for integers,
    whose int64 accumulation NumPy already does."""
    if dtype.kind != 'f':
        return None
    return np.float64 if dtype.itemsize >= 4 else np.float32


# NumPy's reduction functions (np.sum, np.cumsum, ndarray.sum, ...) are Python wrappers, so the IEEE warning
# their ufunc raises (inf - inf in a sum, a sum past the largest double) is attributed to NumPy's own module,
# which float_errors' filter (legonn's modules only) leaves alone. On the CPU the ufuncs' reduce and accumulate
# are called from here instead: the warning is then legonn's, silent as Torch7's and CuPy's results are.
_NUMPY_REDUCERS = {'sum': np.add.reduce, 'prod': np.multiply.reduce, 'max': np.maximum.reduce,
                   'min': np.minimum.reduce, 'cumsum': np.add.accumulate, 'cumprod': np.multiply.accumulate}


def reducer(xp, name):
    """``xp``'s reduction ``name`` (sum, prod, max, min: called with ``axis``, None for the whole array; cumsum,
    cumprod: with an axis): NumPy's ufunc method, CuPy's function."""
    return _NUMPY_REDUCERS[name] if xp is np else getattr(xp, name)


def in_acctype(a):
    """``a`` in THCUNN's ``Acctype``, the type its kernels sum in: float32 for a half array, else ``a`` itself
    (THC's accreal is float for float; CPU modules sum their own types as before)."""
    return a.astype(np.float32) if a.dtype == np.float16 else a


def silent_mean(xp, a, axis, keepdims=False):
    """``a.mean(axis)`` as NumPy computes it (a half array summed in float32, the mean rounded back to half),
    summed through ``reducer``, which stays silent on inf - inf as Torch7's sums do."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    count = 1
    for d in axes:
        count *= a.shape[d]
    return (reducer(xp, 'sum')(in_acctype(a), axis=axis, keepdims=keepdims) / count).astype(a.dtype, copy=False)


def accumulated_along(xp, name, a, axis, unit_stride, keepdims=True, out=None):
    """The sum or product (``name``) of the array ``a`` along ``axis`` as THTensor_(sum)/(prod) compute it: a
    floating array along a dimension of stride 1 (``unit_stride``; or of size 1) in accreal (double), rounded to
    its type once; along another dimension, or an integer array, in its own type. NumPy casts the operand in
    buffered chunks for the double reduce (no copy of ``a``); the result, ``a``'s dtype, goes into ``out`` when
    given."""
    fn = reducer(xp, name)
    acc = _accreal(a.dtype)
    if acc is None or (not unit_stride and a.shape[axis] > 1):
        return fn(a, axis=axis, keepdims=keepdims, dtype=a.dtype, out=out)
    # not fn(..., dtype=acc, out=out) into a float32 out: NumPy would round the running sum to float32 after
    # every 8192-element buffer, which misses TH's once-rounded sum on longer rows (tests/modules/test_reductions.py)
    wide = fn(a, axis=axis, keepdims=keepdims, dtype=acc)
    if out is None:
        return wide.astype(a.dtype)
    out[...] = wide
    return out


class ReductionMixin:
    __slots__ = ()

    def _reduce(self, fn, dim, keep_type=False, **kwargs):
        if dim is None:
            return fn(self.array, axis=None, **kwargs).item()
        d = self._dim_index(dim)
        if keep_type:
            kwargs['dtype'] = self.array.dtype
        return self._from_result(fn(self.array, axis=d, keepdims=True, **kwargs))

    def _accumulated(self, name, dim):
        """sum/prod (``name``) as THTensor_(sumall)/(sum): in accreal for a whole floating tensor and along a
        dimension of stride 1, in the tensor's type along others (see the module docstring)."""
        acc = _accreal(self._dtype)   # the class's dtype: the array view is built once, below
        arr = self.array
        if dim is None:
            fn = reducer(self.xp, name)
            return fn(arr, axis=None, dtype=acc).item() if acc is not None else self._reduce(fn, None, keep_type=True)
        d = self._dim_index(dim)
        return self._from_result(accumulated_along(self.xp, name, arr, d, self._stride[d] == 1))

    @result_form
    def sum(self, dim=None):
        """Sum of all elements (a number), or along ``dim`` (a tensor of this type keeping that dimension with
        size 1)."""
        return self._accumulated('sum', dim)

    @result_form
    def prod(self, dim=None):
        """Product of all elements (a number), or along ``dim`` (of this type, kept with size 1)."""
        return self._accumulated('prod', dim)

    @result_form
    def mean(self, dim=None):
        """Mean of all elements (a number), or along ``dim`` (kept with size 1): for floating tensors the sum
        divided by the count, as THTensor_(meanall)/(mean) (a double quotient; along ``dim``, in this type)."""
        if _accreal(self.array.dtype) is None:
            return self._reduce(self.xp.mean, dim)
        if dim is None:
            if self.nElement() == 0:
                raise ValueError(f"{self._typename}.mean: empty tensor")
            return self.sum() / self.nElement()
        total = self.sum(dim)
        self.xp.true_divide(total.array, self.array.dtype.type(self._size[self._dim_index(dim)]), out=total.array)
        return total

    def _spread(self, dim, biased, root):
        """var (std with ``root``) as THTensor_(varall)/(var): for floating tensors, all elements by two passes
        in double; along ``dim`` from the double sums of z and z*z (z*z in this type), rounded into it."""
        xp, a = self.xp, self.array
        if _accreal(a.dtype) is None:
            return self._reduce(xp.std if root else xp.var, dim, ddof=0 if biased else 1)
        if dim is None:
            wide = a.astype(np.float64)
            # one element, unbiased: 0/0, NaN without a warning, as THTensor_(varall)'s C division
            # (torch7 lib/TH/generic/THTensorMath.c:3184); cnn-benchmarks' std of a single timed pass
            with np.errstate(invalid='ignore', divide='ignore'):
                var = float(reducer(xp, 'sum')((wide - self.mean()) ** 2, axis=None)
                            / (wide.size - (0 if biased else 1)))
            return var ** 0.5 if root else var
        d = self._dim_index(dim)
        n = self._size[d]
        real = a.dtype.type
        total = reducer(xp, 'sum')
        mean = total(a, axis=d, keepdims=True, dtype=np.float64) / n
        sum2 = total(a * a, axis=d, keepdims=True, dtype=np.float64)
        if biased:
            var = sum2 / n - mean * mean
        else:
            var = sum2 / (n - 1) - np.float64(real(n) / real(n - 1)) * mean * mean
        var = xp.maximum(var, 0).astype(a.dtype)
        return self._from_result(xp.sqrt(var) if root else var)

    @result_form
    def var(self, dim=None, biased=False):
        """Variance (of all elements: a number; along ``dim``: kept with size 1); divides by n-1 unless ``biased``
        (Torch7's flag) is true. ``var(True)`` is Torch7's ``x:var(true)``, the biased variance of all elements."""
        if isinstance(dim, bool):
            dim, biased = None, dim
        return self._spread(dim, biased, False)

    @result_form
    def std(self, dim=None, biased=False):
        """Standard deviation, with ``var``'s arguments."""
        if isinstance(dim, bool):
            dim, biased = None, dim
        return self._spread(dim, biased, True)

    def all(self):
        """True when every element is non-zero; an empty tensor is refused, as TH's logicalall (cutorch's
        answers its reduction's start, true)."""
        return bool(self.xp.all(self._logical_operand('all')))

    def any(self):
        """True when some element is non-zero; an empty tensor is refused, as TH's logicalany (cutorch's
        answers false)."""
        return bool(self.xp.any(self._logical_operand('any')))

    def _logical_operand(self, name):
        if self.nElement() == 0:
            raise ValueError(f"{self._typename}.{name}: empty Tensor (TH's logical{name} has no answer for it)")
        return self.array

    def _extreme(self, dim, arg, val):
        if dim is None:
            if self.nElement() == 0:
                raise ValueError(f"{self._typename}: max/min of an empty tensor")
            return val(self.array, axis=None).item()
        d = self._dim_index(dim)
        idx = arg(self.array, axis=d)
        idx = self.xp.expand_dims(idx, d)
        values = self.xp.take_along_axis(self.array, idx, axis=d)
        return self._from_result(values), self._from_result(idx.astype(np.int64))

    @result_form
    def max(self, dim=None):
        """Largest value, or (values, indices) along ``dim``."""
        return self._extreme(dim, self.xp.argmax, reducer(self.xp, 'max'))

    @result_form
    def min(self, dim=None):
        """Smallest value, or (values, indices) along ``dim``."""
        return self._extreme(dim, self.xp.argmin, reducer(self.xp, 'min'))

    @result_form
    def norm(self, p=2, dim=None):
        """p-norm of all elements (a number), or along ``dim`` (kept with size 1). Floating tensors follow
        THTensor_(normall)/(norm): |x|**p in this type summed in double, the root taken in this type (of the whole
        tensor: p = 1 and 2 entirely in double); the infinity norm is the largest |x| (Torch7's formula gives 1)."""
        a = self.array
        xp = self.xp
        axis = None if dim is None else self._dim_index(dim)
        acc = _accreal(a.dtype)
        if acc is not None and p not in (0, float('inf')):
            return self._norm_in_accreal(p, axis, acc)
        keep = axis is not None
        if p == 0:
            r = reducer(xp, 'sum')(a != 0, axis=axis, keepdims=keep).astype(a.dtype)
        elif p == float('inf'):
            r = reducer(xp, 'max')(xp.abs(a), axis=axis, keepdims=keep)
        else:
            r = reducer(xp, 'sum')(xp.abs(a) ** p, axis=axis, keepdims=keep) ** (1.0 / p)
        return r.item() if axis is None else self._from_result(r)

    def _norm_in_accreal(self, p, axis, acc):
        xp, a = self.xp, self.array
        real = a.dtype.type
        add = reducer(xp, 'sum')
        if axis is None and p in (1, 2):
            wide = xp.abs(a).astype(acc)
            return float(add(wide, axis=None)) if p == 1 else float(xp.sqrt(add(wide * wide, axis=None)))
        total = add(xp.power(xp.abs(a), real(p)), axis=axis, keepdims=axis is not None, dtype=acc)
        root = xp.power(xp.asarray(total).astype(a.dtype), real(1.0 / real(p)))
        return float(root) if axis is None else self._from_result(root)

    def renorm(self, *args):
        """``x.renorm(p, dim, maxnorm)`` in place or ``r.renorm(x, p, dim, maxnorm)``: rescale each slice
        ``select(dim, i)`` whose p-norm exceeds ``maxnorm`` to norm ``maxnorm`` (Torch7's max-norm constraint)."""
        if len(args) == 4:
            src, (p, dim, maxnorm) = args[0], args[1:]
        elif len(args) == 3:
            src, (p, dim, maxnorm) = self, args
        else:
            raise TypeError(f"{self._typename}.renorm: expected ([tensor,] p, dim, maxnorm), got {len(args)} arguments")
        from .pointwise import operand
        a = operand(src)
        if a.ndim < 2:
            raise ValueError(f"{self._typename}.renorm: expected a tensor of at least 2 dimensions, got {a.ndim}-D")
        if not p > 0:
            raise ValueError(f"{self._typename}.renorm: p must be positive, got {p}")
        if not -a.ndim <= dim < a.ndim:
            raise IndexError(f"{self._typename}.renorm: dimension {dim} out of range for a {a.ndim}-D tensor")
        xp = self.xp
        others = tuple(k for k in range(a.ndim) if k != dim % a.ndim)
        norms = reducer(xp, 'sum')(xp.abs(a) ** p, axis=others, keepdims=True) ** (1.0 / p)
        # the 1e-7 keeps Torch7's arithmetic (and avoids dividing by a zero norm)
        factor = xp.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
        if a is not self.array:
            self.resize(tuple(a.shape))
        xp.multiply(a, factor, out=self.array, casting='unsafe')
        return self

    def _binned(self, what, nbins, lo, hi):
        """(bin of each element or -1 outside [lo, hi], as this tensor's shape) for histc/bhistc: the data's
        range when lo == hi, widened by 1 each way when that is one value (THTensor_(histc))."""
        if isinstance(nbins, bool) or not isinstance(nbins, int) or nbins <= 0:
            raise ValueError(f"{self._typename}.{what}: nbins must be a positive integer, got {nbins!r}")
        xp = self.xp
        a = self.array.astype(np.float64)
        lo, hi = float(lo), float(hi)
        if lo == hi and a.size:
            lo, hi = float(a.min()), float(a.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        inside = (a >= lo) & (a <= hi)
        bins = xp.minimum(((a - lo) / (hi - lo) * nbins).astype(np.int64), nbins - 1)
        return xp.where(inside, bins, -1)

    @result_form
    def histc(self, nbins=100, min=0, max=0):
        """Histogram of the values in ``nbins`` equal bins over [min, max] (the data's range when min == max);
        values outside are ignored. Returns a new tensor of this type."""
        bins = self._binned('histc', nbins, min, max).reshape(-1)
        counts = self.xp.bincount(bins[bins >= 0], minlength=nbins)
        return self._from_array(counts.astype(self.dtype))

    @result_form
    def bhistc(self, nbins=100, min=0, max=0):
        """``histc`` of each row of a matrix, over one range for all rows (the whole matrix's when min == max):
        a new (rows x nbins) tensor of this type (THTensor_(bhistc))."""
        if self.dim() != 2:
            raise ValueError(f"{self._typename}.bhistc: expected a 2-D tensor, got sizes {self._size}")
        bins = self._binned('bhistc', nbins, min, max)
        rows = self._size[0]
        flat = (bins + nbins * self.xp.arange(rows)[:, None])[bins >= 0]
        counts = self.xp.bincount(flat, minlength=rows * nbins).reshape(rows, nbins)
        return self._from_array(counts.astype(self.dtype))

    def dist(self, other, p=2):
        """The ``p``-norm of ``self - other`` (a number). For floating tensors as THTensor_(dist): |x - y|**p
        summed in this type, element after element, and the root taken in this type. The two pair their elements
        in order and need only as many (TH_TENSOR_APPLY2's rule: a 3x4 and a 12-vector), never broadcast."""
        diff = self.array - self._same_count(other, 'dist')
        if _accreal(diff.dtype) is None or p in (0, float('inf')):
            return self._from_array(diff).norm(p)
        real = diff.dtype.type
        terms = self.xp.power(self.xp.abs(diff), real(p)).reshape(-1)
        total = reducer(self.xp, 'cumsum')(terms, axis=0)[-1] if terms.size else real(0)   # cumsum: a sequential sum
        return float(self.xp.power(total, real(1.0 / real(p))))

    @result_form
    def cumsum(self, dim=0):
        """A new tensor of this type of running sums along ``dim`` (each a double partial sum rounded into this
        type for floating tensors, as THTensor_(cumsum))."""
        a = self.array
        running = reducer(self.xp, 'cumsum')(a, axis=self._dim_index(dim), dtype=_accreal(a.dtype) or a.dtype)
        return self._from_result(running.astype(a.dtype, copy=False))

    @result_form
    def cumprod(self, dim=0):
        """A new tensor of this type of running products along ``dim`` (accumulated as ``cumsum``)."""
        a = self.array
        running = reducer(self.xp, 'cumprod')(a, axis=self._dim_index(dim), dtype=_accreal(a.dtype) or a.dtype)
        return self._from_result(running.astype(a.dtype, copy=False))

    @result_form
    def mode(self, dim=-1):
        """(values, indices) of the most frequent value along ``dim``, kept with size 1: the smallest of equally
        frequent values, and the last position holding it (THTensor_(mode) walks the sorted slice)."""
        d = self._dim_index(dim)
        xp = self.xp
        n = self._size[d]
        if n == 0:
            raise ValueError(f"{self._typename}.mode: dimension {d} is empty")
        a = xp.moveaxis(self.array, d, -1)
        rows = a.reshape(-1, n)
        order = xp.argsort(rows, axis=1, kind='stable')
        ordered = xp.take_along_axis(rows, order, axis=1)
        # number the runs of equal values (per row, then across rows), count each run's length
        new_run = xp.ones(ordered.shape, dtype=bool)
        new_run[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        run = xp.cumsum(new_run.reshape(-1)) - 1
        length = xp.bincount(run)[run].reshape(ordered.shape)
        run_end = xp.ones(ordered.shape, dtype=bool)
        run_end[:, :-1] = new_run[:, 1:]
        best = xp.argmax(xp.where(run_end, length, 0), axis=1)[:, None]   # the first: the smallest value
        kept = a.shape[:-1] + (1,)
        values = xp.take_along_axis(ordered, best, axis=1).reshape(kept)
        indices = xp.take_along_axis(order, best, axis=1).reshape(kept)
        return self._from_result(xp.moveaxis(values, -1, d)), \
            self._from_result(xp.moveaxis(indices, -1, d).astype(np.int64))

    @result_form
    def median(self, dim=-1):
        """(values, indices) of the lower median along ``dim``, kept with size 1."""
        return self.kthvalue((self.size(dim) - 1) // 2, dim)

    @result_form
    def kthvalue(self, k, dim=-1):
        """(values, indices) of the k-th smallest (0-based) along ``dim``, kept with size 1."""
        d = self._dim_index(dim)
        if type(k) is not int:
            k = whole_number(k, f"{self._typename}.kthvalue: k")
        if not 0 <= k < self._size[d]:
            raise IndexError(f"{self._typename}.kthvalue: k={k} out of range for dimension of size {self._size[d]}")
        order = self.xp.argsort(self.array, axis=d, kind='stable')
        idx = order[(slice(None),) * d + (slice(k, k + 1),)]
        return self._from_result(self.xp.take_along_axis(self.array, idx, axis=d)), \
            self._from_result(idx.astype(np.int64))

    def trace(self):
        """Sum of the diagonal of a matrix (a number); THTensor_(trace) refuses anything but a matrix."""
        if self.dim() != 2:
            raise ValueError(f"{self._typename}.trace: expected a matrix, got sizes {self._size}")
        return reducer(self.xp, 'sum')(self.xp.diagonal(self.array), axis=None).item()
