"""Reductions with Torch7's conventions.

Without a dimension a reduction returns a Python number; with one it returns
a tensor that keeps the reduced dimension with size 1 (Torch7 keeps it).
Sums and products along a dimension, and running ones, keep the tensor's type
as Torch7's do (a ByteTensor mask's ``sum(d)`` is a ByteTensor, wrapping past
255 as there); whole-tensor sums are numbers, exact for every integer type.
``max``/``min``/``sort``-style calls return (values, 0-based LongTensor indices).
"""
import numpy as np

from .pointwise import result_form


# Torch7 accumulates floating reductions in accreal, wider than the tensor's type (THTensorMath.c: double for
# float, float for half): a FloatTensor's sum, mean, var, std, prod and norm are those numbers, and along a
# dimension they are rounded back to the type once, at the end.
_ACCUMULATE = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32}


class ReductionMixin:
    __slots__ = ()

    def _reduce(self, fn, dim, keep_type=False, **kwargs):
        acc = _ACCUMULATE.get(self.array.dtype)
        if acc is not None:
            kwargs['dtype'] = acc
        if dim is None:
            return fn(self.array, **kwargs).item()
        d = self._dim_index(dim)
        if keep_type and acc is None:
            kwargs['dtype'] = self.array.dtype
        r = fn(self.array, axis=d, keepdims=True, **kwargs)
        return self._from_result(r if acc is None else r.astype(self.array.dtype))

    @result_form(1)
    def sum(self, dim=None):
        """Sum of all elements (a number), or along ``dim`` (a tensor of this type keeping that dimension with
        size 1); ``r.sum(x, dim)`` writes the sum of ``x`` along ``dim`` into ``r``, as do prod, mean, cumsum and
        cumprod."""
        return self._reduce(self.xp.sum, dim, keep_type=True)

    @result_form(1)
    def prod(self, dim=None):
        """Product of all elements (a number), or along ``dim`` (of this type, kept with size 1)."""
        return self._reduce(self.xp.prod, dim, keep_type=True)

    @result_form(1)
    def mean(self, dim=None):
        """Mean of all elements (a number), or along ``dim`` (kept with size 1)."""
        return self._reduce(self.xp.mean, dim)

    def var(self, dim=None, biased=False):
        """Variance (of all elements: a number; along ``dim``: kept with size 1); divides by n-1 unless ``biased``
        (Torch7's flag) is true. ``var(True)`` is Torch7's ``x:var(true)``, the biased variance of all elements."""
        if isinstance(dim, bool):
            dim, biased = None, dim
        return self._reduce(self.xp.var, dim, ddof=0 if biased else 1)

    def std(self, dim=None, biased=False):
        """Standard deviation, with ``var``'s arguments."""
        if isinstance(dim, bool):
            dim, biased = None, dim
        return self._reduce(self.xp.std, dim, ddof=0 if biased else 1)

    def all(self):
        """True when every element is non-zero."""
        return bool(self.xp.all(self.array))

    def any(self):
        """True when some element is non-zero."""
        return bool(self.xp.any(self.array))

    def _extreme(self, dim, arg, val):
        if dim is None:
            if self.nElement() == 0:
                raise ValueError(f"{self._typename}: max/min of an empty tensor")
            return val(self.array).item()
        d = self._dim_index(dim)
        idx = arg(self.array, axis=d)
        idx = self.xp.expand_dims(idx, d)
        values = self.xp.take_along_axis(self.array, idx, axis=d)
        return self._from_result(values), self._from_result(idx.astype(np.int64))

    def max(self, dim=None):
        """Largest value, or (values, indices) along ``dim``."""
        return self._extreme(dim, self.xp.argmax, self.xp.max)

    def min(self, dim=None):
        """Smallest value, or (values, indices) along ``dim``."""
        return self._extreme(dim, self.xp.argmin, self.xp.min)

    def norm(self, p=2, dim=None):
        """p-norm of all elements (a number), or along ``dim`` (kept with size 1)."""
        a = self.array
        xp = self.xp
        axis = None if dim is None else self._dim_index(dim)
        if p == 0:
            r = (a != 0).sum(axis=axis, keepdims=axis is not None).astype(a.dtype)
        elif p == float('inf'):
            r = xp.abs(a).max(axis=axis, keepdims=axis is not None)
        else:
            wide = xp.abs(a).astype(_ACCUMULATE.get(a.dtype, a.dtype), copy=False)
            r = (wide ** p).sum(axis=axis, keepdims=axis is not None) ** (1.0 / p)
        return r.item() if axis is None else self._from_result(r.astype(a.dtype, copy=False))

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
        norms = (xp.abs(a) ** p).sum(axis=others, keepdims=True) ** (1.0 / p)
        # the 1e-7 keeps Torch7's arithmetic (and avoids dividing by a zero norm)
        factor = xp.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
        if a is not self.array:
            self.resize(tuple(a.shape))
        xp.multiply(a, factor, out=self.array, casting='unsafe')
        return self

    def histc(self, nbins=100, min=0, max=0):
        """Histogram of the values in ``nbins`` equal bins over [min, max] (the data's range when min == max);
        values outside are ignored. Returns a new tensor of this type."""
        if isinstance(nbins, bool) or not isinstance(nbins, int) or nbins <= 0:
            raise ValueError(f"{self._typename}.histc: nbins must be a positive integer, got {nbins!r}")
        xp = self.xp
        a = self.array.reshape(-1).astype(np.float64)
        lo, hi = float(min), float(max)
        if lo == hi and a.size:
            lo, hi = float(a.min()), float(a.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        a = a[(a >= lo) & (a <= hi)]
        bins = xp.minimum(((a - lo) / (hi - lo) * nbins).astype(np.int64), nbins - 1)
        counts = xp.bincount(bins, minlength=nbins)
        return self._from_array(counts.astype(self.dtype))

    def dist(self, other, p=2):
        """The ``p``-norm of ``self - other`` (a number)."""
        from .pointwise import operand
        diff = self.array - operand(other)
        return self._from_array(diff).norm(p)

    @result_form(0, 1)
    def cumsum(self, dim=0):
        """A new tensor of this type of running sums along ``dim``."""
        a = self.array
        return self._from_result(self.xp.cumsum(a, axis=self._dim_index(dim), dtype=a.dtype))

    @result_form(0, 1)
    def cumprod(self, dim=0):
        """A new tensor of this type of running products along ``dim``."""
        a = self.array
        return self._from_result(self.xp.cumprod(a, axis=self._dim_index(dim), dtype=a.dtype))

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

    def median(self, dim=-1):
        """(values, indices) of the lower median along ``dim``, kept with size 1."""
        return self.kthvalue((self.size(dim) - 1) // 2, dim)

    def kthvalue(self, k, dim=-1):
        """(values, indices) of the k-th smallest (0-based) along ``dim``, kept with size 1."""
        d = self._dim_index(dim)
        if not 0 <= k < self._size[d]:
            raise IndexError(f"{self._typename}.kthvalue: k={k} out of range for dimension of size {self._size[d]}")
        order = self.xp.argsort(self.array, axis=d, kind='stable')
        idx = order[(slice(None),) * d + (slice(k, k + 1),)]
        return self._from_result(self.xp.take_along_axis(self.array, idx, axis=d)), \
            self._from_result(idx.astype(np.int64))

    def trace(self):
        """Sum of the diagonal of a matrix (a number)."""
        return self.xp.trace(self.array).item()
