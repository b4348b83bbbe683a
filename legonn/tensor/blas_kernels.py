"""BLAS calls that accumulate in place: GEMM out = beta * out + alpha * (a @ b), and axpby.

Torch7 accumulates parameter gradients with ``addmm`` (BLAS gemm with
beta = 1), so no temporary product is allocated. NumPy's ``matmul`` cannot
accumulate, so on the CPU this calls the CBLAS ``gemm`` of the OpenBLAS that
NumPy's wheels bundle (``openblas.library()``), through ctypes, when it can be
found; otherwise (other NumPy builds, CuPy arrays, odd layouts or dtypes) it
falls back to
``out += alpha * (a @ b)``. So do products of fewer than ``SMALL_PRODUCT`` output
elements: there the temporary is small, and NumPy's matmul costs about 2 us a call
against ctypes' 10 (the conversion of 14 arguments and three pointers).
"""
import ctypes
import functools

import numpy as np

try:
    from numpy.lib.array_utils import byte_bounds as _byte_bounds
except ImportError:   # NumPy 1.x
    from numpy import byte_bounds as _byte_bounds

from . import backend, cuda_kernels, openblas

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# below this many output elements (128 KB of float32) NumPy's matmul plus an add beats a ctypes gemm; measured
# one thread on the 2-core VM: 64x64 12.0 against 4.2 us, 128x128 19.2 against 12.4, 256x128 22.7 against 28.7
SMALL_PRODUCT = 1 << 15
# below this many elements NumPy's strided copy beats omatcopy, whose ctypes call and checks cost about 8 us;
# measured one thread on a 2-core Xeon VM: 2,080 elements 0.8 against 7.9 us, 16,384 8.6 against 9.7,
# 32,768 13-22 against 12-13, 65,536 67 against 17
SMALL_TRANSPOSE = 1 << 14


def _load_cblas():
    """({dtype: gemm}, {dtype: axpby}, {dtype: omatcopy}) from NumPy's bundled scipy-openblas,
    or three empty dicts when it is absent."""
    lib = openblas.library()
    if lib is not None:
        for suffix, int_type in (('64_', ctypes.c_int64), ('', ctypes.c_int32)):
            gemm, axpby, omatcopy = {}, {}, {}
            for dtype, letter, real in ((np.float32, 's', ctypes.c_float), (np.float64, 'd', ctypes.c_double)):
                fn = getattr(lib, f'scipy_cblas_{letter}gemm{suffix}', None)
                vec = getattr(lib, f'scipy_cblas_{letter}axpby{suffix}', None)
                copy = getattr(lib, f'scipy_cblas_{letter}omatcopy{suffix}', None)
                if fn is None or vec is None or copy is None:
                    break
                fn.restype = vec.restype = copy.restype = None
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, int_type, int_type, int_type, real,
                               ctypes.c_void_p, int_type, ctypes.c_void_p, int_type, real, ctypes.c_void_p, int_type]
                vec.argtypes = [int_type, real, ctypes.c_void_p, int_type, real, ctypes.c_void_p, int_type]
                copy.argtypes = [ctypes.c_int, ctypes.c_int, int_type, int_type, real, ctypes.c_void_p, int_type,
                                 ctypes.c_void_p, int_type]
                gemm[np.dtype(dtype)] = fn
                axpby[np.dtype(dtype)] = vec
                omatcopy[np.dtype(dtype)] = copy
            if len(gemm) == 2:
                return gemm, axpby, omatcopy
    return {}, {}, {}


_GEMM, _AXPBY, _OMATCOPY = _load_cblas()
_ROUTINES = {'gemm': _GEMM, 'axpby': _AXPBY, 'omatcopy': _OMATCOPY}


def _layout(arr):
    """(transpose flag, leading dimension) for a 2-D array whose memory BLAS can read as is, else None."""
    itemsize = arr.itemsize
    s0, s1 = arr.strides
    if s1 == itemsize and s0 >= max(1, arr.shape[1]) * itemsize and s0 % itemsize == 0:
        return _NO_TRANS, s0 // itemsize
    if s0 == itemsize and s1 >= max(1, arr.shape[0]) * itemsize and s1 % itemsize == 0:
        return _TRANS, s1 // itemsize
    return None


def _outside_its_buffer(arr, root, routine, name):
    """None when every element of ``arr`` lies inside the buffer it views, else how far it reaches; ``root``: the
    last array of ``arr``'s chain of NumPy-made views, whose ``base`` is a foreign link (``as_strided``'s
    interface holder, a bytes/mmap/ctypes buffer); ValueError when the extent of such a buffer cannot be found.
    """
    while root.base is not None:
        base = root.base
        if isinstance(base, np.ndarray):
            root = base
        elif isinstance(getattr(base, 'base', None), np.ndarray):   # as_strided's interface holder
            root = base.base
        else:
            try:
                root = np.frombuffer(base, np.uint8)
            except TypeError:
                raise ValueError(f"{routine}: {name}: cannot tell the extent of the buffer it views "
                                 f"(a {type(base).__name__})") from None
            break
    start, end = root.ctypes.data, root.ctypes.data + root.nbytes
    low, high = _byte_bounds(arr)
    if arr.size and (low < start or high > end):
        return f"bytes {low - start} to {high - start} of {end - start}"
    return None


def _require_inside(arr, routine, name):
    """Raise ValueError naming ``routine`` and ``name`` when ``arr`` reaches outside the buffer it views.

    A chain of NumPy-made views (slices, reshapes, ``np.ndarray(buffer=...)``, a strides change) is
    checked by NumPy when each view is made, so only a chain with a foreign link needs its addresses
    compared (``_outside_its_buffer``); the common chain is walked here, without a further call.
    """
    root = arr
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root.base is None:
        return
    outside = _outside_its_buffer(arr, root, routine, name)
    if outside:
        raise ValueError(f"{routine}: {name} reaches outside its buffer ({outside})")


def _refuse(where, arr, shape, dtype, layout):
    """Raise the error that says why ``arr`` cannot be a native operand of ``shape`` and ``dtype``."""
    if type(arr) is not np.ndarray:
        raise TypeError(f"{where} must be a NumPy array, got {type(arr).__name__}")
    if arr.dtype != dtype:
        raise TypeError(f"{where} must be {np.dtype(dtype)}, got {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{where} must have shape {shape}, got {arr.shape}")
    if not arr.flags.aligned:
        raise ValueError(f"{where} is not aligned to its {arr.itemsize}-byte elements")
    if layout is None:
        raise ValueError(f"{where} must be contiguous, got strides {arr.strides}")
    raise ValueError(f"{where} must have unit stride along one axis, got strides {arr.strides}")


def check_operands(routine, dtype, *operands):
    """The gateway to native code: each operand ``(name, array, shape, layout)`` must be a NumPy array of
    ``dtype`` and ``shape``, aligned, laid out so that native code can read it (``layout`` None: C-contiguous;
    else ``'matrix'``, 2-D with a unit stride along one axis) and lying inside the buffer it views; raises
    TypeError/ValueError naming ``routine`` and the operand otherwise. Returns each matrix operand's
    (transpose flag, leading dimension).

    Every native call takes its operands through here (this module's ctypes BLAS calls by ``_native``,
    the Numba kernels of ``recurrent_kernels``), so a wrong size, dtype, stride or view from any caller
    (or loaded file) is refused before native code sees a pointer.
    """
    layouts = []
    for name, arr, shape, layout in operands:
        # one cheap test for the common case; the message is worked out only for a refusal
        fits = type(arr) is np.ndarray and (arr.dtype is dtype or arr.dtype == dtype) and arr.shape == shape \
            and arr.flags.aligned
        lay = _layout(arr) if fits and layout is not None else None
        if not fits or (not arr.flags.c_contiguous if layout is None else lay is None):
            _refuse(f"{routine}: {name}", arr, shape, dtype, layout)
        if layout is not None:
            layouts.append(lay)
        _require_inside(arr, routine, name)
    return layouts


def _native(routine, dtype, *operands):
    """The OpenBLAS function ``routine`` for ``dtype`` and each matrix operand's (flag, leading dim), once
    ``check_operands`` has passed every operand."""
    layouts = check_operands(f"blas_kernels.{routine}", dtype, *operands)
    return _ROUTINES[routine][np.dtype(dtype)], layouts


def _check_2d(routine, **arrays):
    """Raise the ValueError naming ``routine`` and the first of ``arrays`` that is not a 2-D array (callers test
    the common case, all 2-D, themselves: the keyword call costs a BLAS wrapper more than its test)."""
    for name, arr in arrays.items():
        if getattr(arr, 'ndim', None) != 2:
            raise ValueError(f"blas_kernels.{routine}: {name} must be a 2-D array, got "
                             f"{getattr(arr, 'shape', type(arr).__name__)}")


def addmm_into(out, a, b, alpha=1.0, beta=1.0, a_transposed=False):
    """out = beta * out + alpha * (a @ b) for 2-D arrays ``a`` (m x k), ``b`` (k x n), ``out`` (m x n);
    ValueError when the sizes disagree. ``a_transposed``: ``a`` is passed as its transpose (k x m), which cuBLAS
    reads as it lies (a CuPy transposed view is a call of its own; the host paths take the view)."""
    if getattr(out, 'ndim', None) != 2 or getattr(a, 'ndim', None) != 2 or getattr(b, 'ndim', None) != 2:
        _check_2d('addmm_into', out=out, a=a, b=b)
    (m, k), n = (a.shape[::-1] if a_transposed else a.shape), b.shape[1]
    if b.shape[0] != k or out.shape != (m, n):
        raise ValueError(f"blas_kernels.addmm_into: expected a (m x k), b (k x n), out (m x n), got a {(m, k)}"
                         f"{' (transposed)' if a_transposed else ''}, b {b.shape}, out {out.shape}")
    if cuda_kernels.device_floats(out, a, b) and (out.flags.c_contiguous or out.flags.f_contiguous) and min(m, n, k) > 0:
        # cuBLAS accumulates in place: one launch, no temporary (a launch-bound step's gradient products)
        backend.cublas().gemm('T' if a_transposed else 'N', 'N', a, b, out=out, alpha=alpha, beta=beta)
        return out
    if a_transposed:
        a = a.T
    if out.dtype in _GEMM and type(out) is type(a) is type(b) is np.ndarray and a.dtype == b.dtype == out.dtype \
            and out.flags.c_contiguous and min(m, n, k) > 0 and m * n >= SMALL_PRODUCT and _layout(a) and _layout(b):
        gemm, (op_a, op_b, _) = _native('gemm', out.dtype, ('a', a, (m, k), 'matrix'), ('b', b, (k, n), 'matrix'),
                                        ('out', out, (m, n), 'matrix'))
        gemm(_ROW_MAJOR, op_a[0], op_b[0], m, n, k, alpha, a.ctypes.data, op_a[1], b.ctypes.data, op_b[1],
             beta, out.ctypes.data, n)
        return out
    for name, arr in (('out', out), ('a', a), ('b', b)):
        # NumPy's own matmul trusts a view as much as gemm would: a foreign one is measured first here too
        if type(arr) is np.ndarray:
            _require_inside(arr, 'blas_kernels.addmm_into', name)
    with np.errstate(over='ignore', invalid='ignore'):   # as quiet as gemm about values beyond the type's range
        product = a @ b
    if alpha != 1:
        product *= alpha
    if beta == 0:
        out[...] = product
    else:
        if beta != 1:
            out *= beta
        out += product
    return out


class StepProduct:
    """out = beta out + alpha (a @ b) at each step of a recurrent loop, with its checks made once.

    ``out`` and ``b`` are each one matrix (the same at every step) or a stack of them, ``(steps, rows,
    cols)`` with the step first (pass a transposed view to step along another axis); ``a`` is one matrix.
    On the CPU, for float32/float64 arrays that BLAS can read, they are checked by ``check_operands``
    when bound (the whole stack lying inside its buffer, every slice of it laid out alike), and
    ``run(t_out, t_b)`` then checks only the step indices and calls gemm on the slices' addresses: a
    per-step ``addmm_into`` spent about 10 us on its checks, views and ctypes pointers, a call here 2.
    Other arrays (CuPy's, other dtypes, no bundled OpenBLAS) take ``addmm_into`` at each step.
    """

    def __init__(self, out, a, b, alpha=1.0, beta=1.0):
        self.alpha, self.beta = alpha, beta
        self._arrays = (out, a, b)   # also keeps alive the memory the pointers reach
        self._steps = [(x.shape[0], x.strides[0]) if x.ndim == 3 else None for x in self._arrays]
        native = all(type(x) is np.ndarray for x in self._arrays) and out.dtype in _GEMM \
            and out.dtype == a.dtype == b.dtype and 0 not in out.shape[-2:] + a.shape
        self._native = self._bind(out.dtype) if native else None

    def _bind(self, dtype):
        """(gemm, pointers, layouts, sizes) once every operand is checked."""
        out, a, b = self._arrays
        (m, k), n = a.shape, out.shape[-1]
        routine = 'blas_kernels.StepProduct'
        pointers, layouts = [], []
        for name, arr, shape in (('out', out, (m, n)), ('a', a, (m, k)), ('b', b, (k, n))):
            first = arr[0] if arr.ndim == 3 else arr
            (layout,) = check_operands(routine, dtype, (name, first, shape, 'matrix'))
            if arr.ndim == 3:
                check_operands(routine, dtype, (name + '[-1]', arr[-1], shape, 'matrix'))
                _require_inside(arr, routine, name)
            pointers.append(first.ctypes.data)
            layouts.append(layout)
        if layouts[0][0] != _NO_TRANS:
            raise ValueError(f"{routine}: out must have unit-stride rows, got strides {out.strides[-2:]}")
        return _GEMM[np.dtype(dtype)], pointers, layouts, (m, n, k)

    def _offset(self, which, t):
        """The byte offset of operand ``which``'s step t from its first matrix (0 for a single matrix, whose
        t must be None)."""
        steps = self._steps[which]
        if steps is None:
            if t is not None:
                raise ValueError("blas_kernels.StepProduct: a step index for an operand that is one matrix")
            return 0
        if t is None or not 0 <= t < steps[0]:
            raise ValueError(f"blas_kernels.StepProduct: step {t} outside a stack of {steps[0]}")
        return steps[1] * t

    def run(self, t_out=None, t_b=None):
        """The product at step ``t_out`` of ``out`` (None: out is one matrix) and ``t_b`` of ``b``."""
        offset_out, offset_b = self._offset(0, t_out), self._offset(2, t_b)
        if self._native is None:
            out, a, b = self._arrays
            addmm_into(out if t_out is None else out[t_out], a, b if t_b is None else b[t_b], self.alpha, self.beta)
            return
        gemm, (p_out, p_a, p_b), ((_, ldc), (op_a, lda), (op_b, ldb)), (m, n, k) = self._native
        gemm(_ROW_MAJOR, op_a, op_b, m, n, k, self.alpha, p_a, lda, p_b + offset_b, ldb, self.beta, p_out + offset_out,
             ldc)


@functools.lru_cache(maxsize=64)
def _ones(n, dtype):
    """A constant device vector of ``n`` ones (never written), for sums done as products."""
    return backend.cupy().ones(n, dtype)


def add_sums(target, a, axis, scale=1.0):
    """target += scale * a.sum(axis) for a 2-D array ``a`` and a 1-D ``target`` (bias gradients). On CuPy one
    cuBLAS gemv against a vector of ones, where sum, scale and add are three launches."""
    if cuda_kernels.device_floats(target, a) and target.flags.c_contiguous and a.size:
        backend.cublas().gemv('T' if axis == 0 else 'N', scale, a, _ones(a.shape[axis], a.dtype), 1.0, target)
        return target
    # NumPy's sum method is add.reduce behind a Python wrapper (_methods._sum): the reduction itself, called
    # directly, is the same sums without the wrapper (a Linear's bias gradient at every accumulation)
    sums = np.add.reduce(a, axis) if type(a) is np.ndarray else a.sum(axis)
    if scale != 1:
        sums *= scale
    target += sums
    return target


_axpby = cuda_kernels.declare('axpby', 'T x, T alpha, T beta', 'T y', 'y = alpha * x + beta * y')


def axpby_into(y, alpha, x, beta=1.0, scratch=None):
    """y = alpha * x + beta * y in one pass over memory (BLAS axpby, over the elements of C-contiguous arrays)
    for arrays of one shape (ValueError when they differ).

    Optimisers update every parameter this way; NumPy needs two or three passes (and
    a temporary, or ``scratch``, an array like ``y`` to hold alpha * x) for the same.
    """
    if getattr(y, 'shape', None) is None or getattr(x, 'shape', None) != y.shape:
        raise ValueError(f"blas_kernels.axpby_into: expected x and y of one shape, got x "
                         f"{getattr(x, 'shape', type(x).__name__)}, y {getattr(y, 'shape', type(y).__name__)}")
    if y.dtype in _AXPBY and type(x) is type(y) is np.ndarray and x.dtype == y.dtype and \
            y.flags.c_contiguous and x.flags.c_contiguous:
        axpby, _ = _native('axpby', y.dtype, ('x', x, y.shape, None), ('y', y, y.shape, None))
        axpby(y.size, alpha, x.ctypes.data, 1, beta, y.ctypes.data, 1)
        return y
    if cuda_kernels.takes(y, x):   # one kernel where the array code launches two or three
        _axpby(x, y.dtype.type(alpha), y.dtype.type(beta), y)
        return y
    if beta != 1:
        y *= beta
    if alpha == 1:
        y += x
    elif scratch is not None:
        backend.array_module(y).multiply(x, alpha, out=scratch)
        y += scratch
    else:
        y += alpha * x
    return y


_momentum_step = cuda_kernels.declare('momentum_step', 'T g, T momentum, T gain, T rate', 'T v, T x',
                                      'v = momentum * v + gain * g; x += rate * v')


def momentum_step_into(x, v, g, momentum, gain, rate, scratch=None):
    """v = momentum * v + gain * g, then x += rate * v, for arrays of one shape (SGD with momentum, on the flat
    vectors of getParameters() or any parameter tensor): one kernel on CuPy, where two axpby passes launch two;
    two axpby_into passes elsewhere."""
    if cuda_kernels.takes(x, v, g) and x.shape == v.shape == g.shape:
        t = x.dtype.type
        _momentum_step(g, t(momentum), t(gain), t(rate), v, x)
        return x
    axpby_into(v, gain, g, momentum, scratch)
    return axpby_into(x, rate, v, 1.0, scratch)


def transpose_into(out, a):
    """out = a.T for 2-D arrays ``a`` (m x n) and ``out`` (n x m) (ValueError otherwise): BLAS ``omatcopy``
    on the CPU when both have unit-stride rows.

    NumPy's strided copy moves one element at a time, several times slower than
    this cache-blocked transpose from ``SMALL_TRANSPOSE`` elements on; the convolutions
    move every batch between (N, C, H, W) and batch-innermost layouts with it. Smaller
    arrays, other layouts, dtypes and CuPy arrays take ``out[...] = a.T``.
    """
    if getattr(out, 'ndim', None) != 2 or getattr(a, 'ndim', None) != 2:
        _check_2d('transpose_into', out=out, a=a)
    if out.shape != a.shape[::-1]:
        raise ValueError(f"blas_kernels.transpose_into: expected out of shape {a.shape[::-1]} for a of shape "
                         f"{a.shape}, got {out.shape}")
    if out.dtype in _OMATCOPY and type(a) is type(out) is np.ndarray and a.dtype == out.dtype \
            and a.size >= SMALL_TRANSPOSE and (_layout(a) or (0,))[0] == _NO_TRANS and (_layout(out) or (0,))[0] == _NO_TRANS:
        omatcopy, (lda, ldb) = _native('omatcopy', out.dtype, ('a', a, a.shape, 'matrix'),
                                       ('out', out, out.shape, 'matrix'))
        omatcopy(_ROW_MAJOR, _TRANS, a.shape[0], a.shape[1], 1.0, a.ctypes.data, lda[1], out.ctypes.data, ldb[1])
        return out
    for name, arr in (('out', out), ('a', a)):
        if type(arr) is np.ndarray:   # NumPy's copy trusts a view as omatcopy would: a foreign one is measured
            _require_inside(arr, 'blas_kernels.transpose_into', name)
    out[...] = a.T
    return out
