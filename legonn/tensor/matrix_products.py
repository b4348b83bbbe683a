"""Matrix products with Torch7's calling forms (addmm, addmv, addr, mm, mv, bmm, dot), and the diagonal and
triangle selections (diag, tril, triu).

``r.addmm(v1, M, v2, A, B)`` computes r = v1*M + v2*(A @ B); ``M.addmm(A, B)``
accumulates in place. NumPy's BLAS or cuBLAS does the arithmetic.
"""
import numbers

import numpy as np

from .blas_kernels import addmm_into
from .pointwise import _is_number, operand
from .reductions import reducer


def _split(args, n_mats, what, typename):
    """Torch7's optional-scalar argument lists -> (v1, M or None, v2, mats)."""
    tensors = [i for i, a in enumerate(args) if not _is_number(a)]
    if len(tensors) not in (n_mats, n_mats + 1) or len(args) - len(tensors) > 2:
        raise TypeError(f"{typename}.{what}: expected ([v1,] [M,] [v2,] {', '.join('t%d' % i for i in range(n_mats))})")
    mats = [operand(args[i]) for i in tensors[-n_mats:]]
    base = args[tensors[0]] if len(tensors) == n_mats + 1 else None
    numbers = [a for a in args if _is_number(a)]
    if base is None:
        v1, v2 = (1, numbers[0]) if len(numbers) == 1 else (tuple(numbers) if numbers else (1, 1))
    else:
        before = [a for a in args[:tensors[0]] if _is_number(a)]
        between = [a for a in args[tensors[0] + 1:tensors[-n_mats]] if _is_number(a)]
        v1 = before[0] if before else 1
        v2 = between[0] if between else 1
    return v1, base, v2, mats


def _inner_sizes_match(what, shapes):
    (a, b) = shapes
    if what == 'addr':
        return True
    if what in ('addbmm', 'baddbmm'):
        return a[0] == b[0] and a[2] == b[1]
    return a[1] == b[0]


class MatrixProductsMixin:
    __slots__ = ()

    def _accumulate(self, what, args, n_mats, product):
        v1, base, v2, mats = _split(args, n_mats, what, self._typename)
        # cwrap hands the scalars to THTensor_(addmm) and the others as the C real of the tensor's type: an
        # integer tensor's 0.5 and 2.7 are 0 and 2 (NumPy refused to scale an integer product by a float)
        v1, v2 = self._real(v1), self._real(v2)
        ranks = self._blas_ranks[what]
        shapes = [tuple(x.shape) for x in mats]
        if tuple(m.ndim for m in mats) != ranks or not _inner_sizes_match(what, shapes):
            raise ValueError(f"{self._typename}.{what}: expected operands of ranks {ranks} with matching inner "
                             f"sizes, got sizes {shapes[0]} and {shapes[1]}")
        # addmm accumulates with BLAS gemm (beta = v1) without a temporary product, unless an operand
        # shares memory with the result: gemm would then read what it has already written
        in_place = what == 'addmm' and not any(self.xp.may_share_memory(m, self.array) for m in mats)
        prod = None if in_place else product(self.xp, *mats)
        prod_shape = (shapes[0][0], shapes[1][1]) if in_place else tuple(prod.shape)
        if prod is not None and v2 != 1:
            prod *= v2
        if base is not None and base is not self:
            base_arr = operand(base)
            if int(np.prod(base_arr.shape)) != int(np.prod(prod_shape)):
                raise ValueError(f"{self._typename}.{what}: the added tensor has sizes {tuple(base_arr.shape)}, "
                                 f"the product has sizes {prod_shape}")
            base_arr = base_arr.reshape(prod_shape)
            self.resize(prod_shape)
            if v1 != 0:   # beta 0: BLAS never reads the added tensor, so its NaNs do not reach the result
                self.array[...] = base_arr * v1 if v1 != 1 else base_arr
                v1 = 1
        elif prod_shape != self._size:
            raise ValueError(f"{self._typename}.{what}: result of sizes {prod_shape} does not match "
                             f"this tensor's sizes {self._size}")
        if in_place:
            addmm_into(self.array, mats[0], mats[1], alpha=v2, beta=v1)
            return self
        if v1 == 0:
            # Torch7's gemv/ger/gemm with beta 0 write the product without reading the result's old values
            # (THBlas scal's a == 0 case): a freshly resized result's garbage, NaN included, is not kept
            self.array[...] = prod
        else:
            if v1 != 1:
                self.array *= v1
            self.array += prod
        return self

    _blas_ranks = {'addmm': (2, 2), 'addmv': (2, 1), 'addr': (1, 1), 'addbmm': (3, 3), 'baddbmm': (3, 3)}

    def addmm(self, *args):
        """r = v1*M + v2*(A @ B) for matrices A (n x k), B (k x m)."""
        return self._accumulate('addmm', args, 2, lambda xp, a, b: xp.matmul(a, b))

    def addmv(self, *args):
        """r = v1*v + v2*(A @ x) for a matrix A and vector x."""
        return self._accumulate('addmv', args, 2, lambda xp, a, b: xp.matmul(a, b))

    def addr(self, *args):
        """r = v1*M + v2*outer(x, y)."""
        return self._accumulate('addr', args, 2, lambda xp, a, b: xp.outer(a, b))

    def addbmm(self, *args):
        """r = v1*M + v2*sum_i(A[i] @ B[i])."""
        return self._accumulate('addbmm', args, 2, lambda xp, a, b: reducer(xp, 'sum')(xp.matmul(a, b), axis=0))

    def baddbmm(self, *args):
        """r = v1*M + v2*(A[i] @ B[i]) batch-wise."""
        return self._accumulate('baddbmm', args, 2, lambda xp, a, b: xp.matmul(a, b))

    def _product_into(self, what, a, b, ranks):
        a, b = operand(a), operand(b)
        if (a.ndim, b.ndim) != ranks or not _inner_sizes_match('addbmm' if what == 'bmm' else what,
                                                               (a.shape, b.shape)):
            raise ValueError(f"{self._typename}.{what}: incompatible operands of sizes {tuple(a.shape)} and "
                             f"{tuple(b.shape)}")
        out_shape = a.shape[:-1] + (b.shape[-1],) if b.ndim > 1 else a.shape[:-1]
        self.resize(tuple(out_shape))
        if self.isContiguous() and a.dtype == b.dtype == self.dtype:
            self.xp.matmul(a, b, out=self.array)
        else:
            self.array[...] = self.xp.matmul(a, b)
        return self

    def mm(self, a, b):
        """r = A @ B (2-D)."""
        return self._product_into('mm', a, b, (2, 2))

    def mv(self, a, x):
        """r = A @ x (matrix, vector)."""
        return self._product_into('mv', a, x, (2, 1))

    def bmm(self, a, b):
        """r[i] = A[i] @ B[i] (3-D batches)."""
        return self._product_into('bmm', a, b, (3, 3))

    def dot(self, other):
        """Sum of the element-wise product, as a Python number."""
        other = self._same_count(other, 'dot')
        return self.xp.vdot(self.array.reshape(-1), other.reshape(-1)).item()

    def ger(self, x, y):
        """r = outer(x, y) of two vectors (TensorMath.lua's dim=1 arguments: a matrix is refused, not flattened)."""
        x, y = operand(x), operand(y)
        if getattr(x, 'ndim', 0) != 1 or getattr(y, 'ndim', 0) != 1:
            raise ValueError(f"{self._typename}.ger: expected two vectors, got sizes {tuple(getattr(x, 'shape', ()))} "
                             f"and {tuple(getattr(y, 'shape', ()))}")
        self.resize(x.shape[0], y.shape[0])
        self.xp.outer(x, y, out=self.array)
        return self

    def match(self, m1, m2, gain=1):
        """r[i][j] = gain * sum_k (m1[i][k] - m2[j][k])**2: the squared distances between the rows of ``m1``
        (N1 x D) and those of ``m2`` (N2 x D) into this N1 x N2 tensor. As THTensor_(match), each operand is
        read as its first size by the rest of its elements (``m1`` of sizes 4x2x3 is four rows of six)."""
        m1, m2 = operand(m1), operand(m2)
        rows = []
        for what, m in (('m1', m1), ('m2', m2)):
            if getattr(m, 'ndim', 0) < 1 or m.shape[0] == 0:
                raise ValueError(f"{self._typename}.match: {what} must be a non-empty tensor of rows, got sizes "
                                 f"{tuple(getattr(m, 'shape', ()))}")
            rows.append(m.reshape(m.shape[0], -1))
        a, b = rows
        if a.shape[1] != b.shape[1]:
            raise ValueError(f"{self._typename}.match: m1 and m2 must have the same inner vector dim, got rows of "
                             f"{a.shape[1]} and {b.shape[1]} elements")
        self.resize(a.shape[0], b.shape[0])
        real = np.dtype(self._dtype)
        a, b = a.astype(real, copy=False), b.astype(real, copy=False)
        # the differences themselves, not |a|^2 + |b|^2 - 2ab, whose cancellation loses what Torch7 keeps; a
        # block of rows at a time so the N1 x N2 x D temporary stays near a million elements
        block = max(1, (1 << 20) // max(1, b.shape[0] * b.shape[1]))
        for start in range(0, a.shape[0], block):
            diff = a[start:start + block, None, :] - b[None, :, :]
            self.array[start:start + block] = reducer(self.xp, 'sum')(diff * diff, axis=2) * real.type(gain)
        return self

    def cross(self, *args):
        """Cross product along a dimension of size 3: ``a.cross(b [, dim])`` returns a new tensor,
        ``r.cross(a, b [, dim])`` writes into ``r``. ``dim`` defaults to the first dimension of size 3."""
        dim = args[-1] if args and isinstance(args[-1], numbers.Integral) and not isinstance(args[-1], bool) else None
        tensors = args[:-1] if dim is not None else args
        if len(tensors) == 1:
            return self.new().cross(self, tensors[0], *(() if dim is None else (dim,)))
        if len(tensors) != 2:
            raise TypeError(f"{self._typename}.cross: expected (b [, dim]) or (a, b [, dim])")
        a, b = operand(tensors[0]), operand(tensors[1])
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(f"{self._typename}.cross: operands differ in size: {tuple(a.shape)} and {tuple(b.shape)}")
        if dim is None:
            threes = [d for d, n in enumerate(a.shape) if n == 3]
            if not threes:
                raise ValueError(f"{self._typename}.cross: no dimension of size 3 in sizes {tuple(a.shape)}")
            dim = threes[0]
        if not -a.ndim <= dim < a.ndim or a.shape[dim] != 3:
            raise ValueError(f"{self._typename}.cross: dimension {dim} of sizes {tuple(a.shape)} is not of size 3")
        d = dim % a.ndim
        self.resize(tuple(a.shape))
        self.array[...] = self.xp.cross(a, b, axis=d)
        return self

    # --- diagonals and triangles ---------------------------------------------
    def _matrix_source(self, what, args, ranks):
        """(source array, diagonal offset k, whether ``self`` is the result) of ``x.f([k])`` or ``r.f(x [, k])``."""
        into = bool(args) and not _is_number(args[0])
        src, rest = (operand(args[0]), args[1:]) if into else (self.array, args)
        k = rest[0] if rest else 0
        if len(rest) > 1 or isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"{self._typename}.{what}: expected ([tensor,] [k]) with an integer k, got {args!r}")
        if src.ndim not in ranks:
            raise ValueError(f"{self._typename}.{what}: expected a {' or '.join(f'{r}-D' for r in ranks)} tensor, "
                             f"got sizes {tuple(src.shape)}")
        return src, int(k), into

    def _selected(self, result, into):
        if not into:
            return self._from_result(result)
        self.resize(tuple(result.shape))
        self.array[...] = result
        return self

    def diag(self, *args):
        """Torch7's diag: of a 1-D tensor, the square matrix holding it on diagonal ``k`` (0 the main one, above
        it for k > 0, below for k < 0); of a 2-D tensor, a 1-D copy of its diagonal ``k``. ``x.diag([k])``
        returns a new tensor, ``r.diag(x [, k])`` writes into ``r``."""
        src, k, into = self._matrix_source('diag', args, (1, 2))
        return self._selected(self.xp.diag(src, k).copy(), into)

    def tril(self, *args):
        """The lower triangle of a matrix, on and below diagonal ``k``, zeros elsewhere: ``x.tril([k])`` new,
        ``r.tril(x [, k])`` into ``r``."""
        src, k, into = self._matrix_source('tril', args, (2,))
        return self._selected(self.xp.tril(src, k), into)

    def triu(self, *args):
        """The upper triangle of a matrix, on and above diagonal ``k``: ``x.triu([k])`` or ``r.triu(x [, k])``."""
        src, k, into = self._matrix_source('triu', args, (2,))
        return self._selected(self.xp.triu(src, k), into)
