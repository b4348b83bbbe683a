"""Torch7's LAPACK functions (TH/generic/THTensorLapack.c as TensorMath.lua wraps them), with their argument
and result forms: result tensors first when given (``torch.gesv(resb, resa, B, A)``), option letters last
(``'U'``/``'L'``, ``'N'``/``'T'``, ``'V'``/``'N'``, ``'S'``/``'A'``), every result returned as Lua returns them
(a tuple where Torch7 returns several values: take ``[0]`` where Lua code keeps the first).

The factorizations run on NumPy's LAPACK in the tensor's own precision (single for FloatTensor, as Torch7's
s-routines), on the host for CUDA tensors (the results go back to the device). Results are contiguous row-major
tensors, where Torch7 returns some column-major (strides ``1, m``); the values are the same.
"""
import numpy as np

from . import backend
from .functions import as_tensor
from .tensor import TENSOR_CLASSES


def _is_tensor(a):
    return hasattr(a, 'storageOffset') or isinstance(a, np.ndarray) or backend.is_cupy_array(a)


def _split(name, args, n_inputs, n_results, options):
    """(results or None, input tensors, option letters) of a call ``name([results,] inputs, [options])``."""
    lead = 0
    while lead < len(args) and _is_tensor(args[lead]):
        lead += 1
    if lead == n_inputs + n_results:
        results, inputs = list(args[:n_results]), [as_tensor(a) for a in args[n_results:lead]]
    elif lead == n_inputs:
        results, inputs = None, [as_tensor(a) for a in args[:lead]]
    else:
        raise TypeError(f"legonn.{name}: expected {n_inputs} tensor arguments, or {n_results} result tensors "
                        f"before them; got {lead} tensors")
    rest = list(args[lead:])
    if len(rest) > len(options):
        raise TypeError(f"legonn.{name}: expected at most {len(options)} option arguments after the tensors, got "
                        f"{rest!r}")
    chosen = []
    for i, allowed in enumerate(options):
        value = rest[i] if i < len(rest) else allowed[0]
        if isinstance(allowed, tuple) and value not in allowed:
            raise ValueError(f"legonn.{name}: option {i + 1} must be one of {allowed}, got {value!r}")
        chosen.append(value)
    for t in inputs:
        if t.dtype.kind != 'f':
            raise TypeError(f"legonn.{name}: expected floating tensors (Float or Double), got a {t.type()}")
    return results, inputs, chosen


def _host(t):
    return np.array(backend.to_module(t.array, np), dtype=t.dtype)


def _matrix(name, t, what, square=False):
    a = _host(t)
    if a.ndim != 2 or (square and a.shape[0] != a.shape[1]):
        raise ValueError(f"legonn.{name}: {what} should be a {'square ' if square else ''}2-D matrix, got sizes "
                         f"{tuple(a.shape)}")
    return a


def _rhs(name, b, a):
    """B as a matrix (a 1-D B is one column, as THTensor_(gesv) views it), its rows checked against A's."""
    bm = _host(b)
    if bm.ndim == 1:
        bm = bm[:, None]
    if bm.ndim != 2 or bm.shape[0] != a.shape[0]:
        raise ValueError(f"legonn.{name}: A,B size incompatible - A has {a.shape[0]} rows, B has sizes "
                         f"{tuple(b.size())}")
    return bm


def _finish(name, results, like, arrays, kinds=None):
    """Tensors of ``like``'s type and device for ``arrays`` (or of ``kinds[i]`` where given); copied into the
    given ``results`` when there are some. One tensor alone is returned bare, several as a tuple."""
    out = []
    for i, arr in enumerate(arrays):
        cls = type(like)
        if kinds and kinds[i]:
            cls = TENSOR_CLASSES[('Cuda' if like.is_cuda else '') + kinds[i]]
        xp = like.xp
        made = cls._from_array(backend.to_module(np.ascontiguousarray(arr, dtype=cls._dtype), xp))
        if results is not None:
            made = as_tensor(results[i]).resize(tuple(made.size())).copy(made)
        out.append(made)
    return out[0] if len(out) == 1 else tuple(out)


def _singular(name, what):
    return np.linalg.LinAlgError(f"legonn.{name}: {what}")


# --- LU: gesv, inverse -----------------------------------------------------
def _getrf(a):
    """LAPACK getrf's packed LU of a square matrix with partial pivoting (the first largest pivot of each
    column): L's multipliers below the diagonal, U on and above it. Raises on an exactly singular U."""
    lu = a.copy()
    n = lu.shape[0]
    for j in range(n):
        p = j + int(np.argmax(np.abs(lu[j:, j])))
        if lu[p, j] == 0:
            raise np.linalg.LinAlgError(f"U({j + 1},{j + 1}) is zero, singular U")
        if p != j:
            lu[[j, p]] = lu[[p, j]]
        lu[j + 1:, j] /= lu[j, j]
        lu[j + 1:, j + 1:] -= np.outer(lu[j + 1:, j], lu[j, j + 1:])
    return lu


def gesv(*args):
    """``X, LU = gesv([resb, resa,] B, A)``: the solution of A X = B (A square, B ``m`` x ``k`` or a vector, which
    gives ``m`` x 1) and LAPACK's packed LU factors of A (row pivoting as getrf's)."""
    results, (b, a), _ = _split('gesv', args, 2, 2, ())
    am = _matrix('gesv', a, 'A', square=True)
    bm = _rhs('gesv', b, am)
    try:
        lu = _getrf(am)
    except np.linalg.LinAlgError as e:
        raise _singular('gesv', e) from None
    return _finish('gesv', results, a, [np.linalg.solve(am, bm), lu])


def inverse(*args):
    """``inverse([res,] x)``: the inverse of the square matrix x (getrf then getri)."""
    results, (x,), _ = _split('inverse', args, 1, 1, ())
    xm = _matrix('inverse', x, 'A', square=True)
    try:
        _getrf(xm)
    except np.linalg.LinAlgError as e:
        raise _singular('inverse', e) from None
    return _finish('inverse', results, x, [np.linalg.inv(xm)])


def trtrs(*args):
    """``X, A = trtrs([resb, resa,] B, A [, uplo='U'] [, trans='N'] [, diag='N'])``: the solution of A X = B
    (``trans='T'``: A^T X = B) using only A's upper (``'U'``) or lower (``'L'``) triangle, its diagonal taken as
    ones when ``diag='U'``; the second result is a copy of A."""
    results, (b, a), (uplo, trans, diag) = _split('trtrs', args, 2, 2, (('U', 'L'), ('N', 'T'), ('N', 'U')))
    am = _matrix('trtrs', a, 'A', square=True)
    bm = _rhs('trtrs', b, am)
    tri = np.triu(am) if uplo == 'U' else np.tril(am)
    if diag == 'U':
        np.fill_diagonal(tri, 1)
    zero = np.flatnonzero(np.diag(tri) == 0)
    if zero.size:
        raise _singular('trtrs', f"A({zero[0] + 1},{zero[0] + 1}) is zero, singular A")
    return _finish('trtrs', results, a, [np.linalg.solve(tri.T if trans == 'T' else tri, bm), am])
