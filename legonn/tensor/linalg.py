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
from .pointwise import is_operand
from .tensor import TENSOR_CLASSES


def _split(name, args, n_inputs, n_results, options):
    """(results or None, input tensors, option letters) of a call ``name([results,] inputs, [options])``."""
    lead = 0
    while lead < len(args) and is_operand(args[lead]):
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


def _finish(results, like, arrays, kinds=None):
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
    return _finish(results, a, [np.linalg.solve(am, bm), lu])


def inverse(*args):
    """``inverse([res,] x)``: the inverse of the square matrix x (getrf then getri)."""
    results, (x,), _ = _split('inverse', args, 1, 1, ())
    xm = _matrix('inverse', x, 'A', square=True)
    try:
        _getrf(xm)
    except np.linalg.LinAlgError as e:
        raise _singular('inverse', e) from None
    return _finish(results, x, [np.linalg.inv(xm)])


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
    return _finish(results, a, [np.linalg.solve(tri.T if trans == 'T' else tri, bm), am])


# --- Cholesky: potrf, potrs, potri, pstrf ----------------------------------
def _symmetric_from(a, uplo):
    """The symmetric matrix LAPACK sees when it reads only the ``uplo`` triangle of a."""
    tri = np.triu(a) if uplo == 'U' else np.tril(a)
    return tri + np.triu(tri, 1).T if uplo == 'U' else tri + np.tril(tri, -1).T


def _cholesky(name, a, uplo):
    try:
        low = np.linalg.cholesky(_symmetric_from(a, uplo))
    except np.linalg.LinAlgError:
        raise _singular(name, "the matrix is not positive definite") from None
    return low.T if uplo == 'U' else low


def potrf(*args):
    """``potrf([res,] A [, uplo='U'])``: the Cholesky factor of the symmetric positive-definite A, upper U with
    A = U^T U (``'U'``) or lower L with A = L L^T (``'L'``), the other triangle zero; reads only that triangle
    of A."""
    results, (a,), (uplo,) = _split('potrf', args, 1, 1, (('U', 'L'),))
    return _finish(results, a, [_cholesky('potrf', _matrix('potrf', a, 'A', square=True), uplo)])


def potrs(*args):
    """``potrs([res,] B, chol [, uplo='U'])``: the solution of A X = B from A's Cholesky factor ``chol`` (upper,
    A = chol^T chol, or lower with ``'L'``)."""
    results, (b, chol), (uplo,) = _split('potrs', args, 2, 1, (('U', 'L'),))
    c = _matrix('potrs', chol, 'chol', square=True)
    c = np.triu(c) if uplo == 'U' else np.tril(c)
    bm = _rhs('potrs', b, c)
    low = c.T if uplo == 'U' else c
    return _finish(results, chol, [np.linalg.solve(low.T, np.linalg.solve(low, bm))])


def potri(*args):
    """``potri([res,] chol [, uplo='U'])``: the inverse of A from its Cholesky factor (upper or lower), the whole
    symmetric matrix (THTensor_(potri) copies the computed triangle to the other)."""
    results, (chol,), (uplo,) = _split('potri', args, 1, 1, (('U', 'L'),))
    c = _matrix('potri', chol, 'chol', square=True)
    c = np.triu(c) if uplo == 'U' else np.tril(c)
    low = c.T if uplo == 'U' else c
    inv_low = np.linalg.inv(low)
    return _finish(results, chol, [inv_low.T @ inv_low])


def _pstrf(a, tol):
    """LAPACK pstf2's Cholesky with complete pivoting of a symmetric positive semi-definite matrix: U upper with
    P^T A P = U^T U, and the pivot order (0-based). Each step takes the largest remaining diagonal (the first
    of equal ones); a step whose pivot is at most ``tol`` (default n * eps * max(diag A)) ends it: rank < n."""
    n = a.shape[0]
    work = a.copy()
    piv = np.arange(n)
    u = np.zeros_like(a)
    if tol < 0:
        tol = n * np.finfo(a.dtype).eps * np.max(np.diag(a))
    for j in range(n):
        remaining = np.diag(work)[j:] - (u[:j, j:] ** 2).sum(axis=0)
        p = j + int(np.argmax(remaining))
        if not remaining[p - j] > tol:
            return u, piv, j
        if p != j:
            work[[j, p]] = work[[p, j]]
            work[:, [j, p]] = work[:, [p, j]]
            u[:, [j, p]] = u[:, [p, j]]
            piv[[j, p]] = piv[[p, j]]
        u[j, j] = np.sqrt(remaining[p - j])
        u[j, j + 1:] = (work[j, j + 1:] - u[:j, j] @ u[:j, j + 1:]) / u[j, j]
    return u, piv, n


def pstrf(*args):
    """``U, piv = pstrf([res, piv,] A [, uplo='U'] [, tol=-1])``: Cholesky with complete pivoting of the
    symmetric positive semi-definite A (its ``uplo`` triangle): P^T A P = U^T U (or L L^T with ``'L'``), piv an
    IntTensor of 0-based indices with P[piv[k], k] = 1. A rank-deficient A is an error, as in Torch7."""
    lead = sum(1 for a in args[:3] if is_operand(a))
    tol = args[-1] if len(args) > lead and not isinstance(args[-1], str) else -1
    options = args[:-1] if len(args) > lead and not isinstance(args[-1], str) else args
    results, (a,), (uplo,) = _split('pstrf', options, 1, 2, (('U', 'L'),))
    u, piv, rank = _pstrf(_symmetric_from(_matrix('pstrf', a, 'A', square=True), uplo), tol)
    if rank < u.shape[0]:
        raise _singular('pstrf', "matrix is rank deficient or not positive semidefinite")
    return _finish(results, a, [u if uplo == 'U' else u.T, piv], kinds=[None, 'IntTensor'])


# --- QR: qr, geqrf, orgqr, ormqr; gels -------------------------------------
def _geqrf(a):
    """LAPACK geqrf's packed QR of a: R on and above the diagonal, the Householder vectors below it, and tau."""
    h, tau = np.linalg.qr(a, mode='raw')
    return np.ascontiguousarray(h.T).astype(a.dtype), tau.astype(a.dtype)


def _householder_q(packed, tau, order):
    """Q = H(0) H(1) ... H(k-1) of order ``order`` from geqrf's reflectors: H(i) = I - tau[i] v v^T with v[i] = 1,
    v below i the packed column i, zeros above."""
    q = np.eye(order, dtype=packed.dtype)
    for i in reversed(range(tau.shape[0])):
        v = np.zeros(order, dtype=packed.dtype)
        v[i] = 1
        v[i + 1:] = packed[i + 1:order, i]
        q -= tau[i] * np.outer(v, v @ q)
    return q


def geqrf(*args):
    """``m, tau = geqrf([m, tau,] a)``: LAPACK geqrf's QR of a without forming Q: R on and above m's diagonal,
    the elementary reflectors below it, and their scale factors tau (``min(rows, cols)`` of them)."""
    results, (a,), _ = _split('geqrf', args, 1, 2, ())
    return _finish(results, a, list(_geqrf(_matrix('geqrf', a, 'A'))))


def orgqr(*args):
    """``orgqr([q,] m, tau)``: the Q of geqrf's reflectors (m and tau): its first ``len(tau)`` columns (m's later
    columns, if it has more, are kept as they are, as LAPACK orgqr called with k columns leaves them)."""
    results, (m, tau), _ = _split('orgqr', args, 2, 1, ())
    packed, t = _matrix('orgqr', m, 'A'), _host(tau).reshape(-1)
    q = packed.copy()
    q[:, :t.shape[0]] = _householder_q(packed, t, packed.shape[0])[:, :t.shape[0]]
    return _finish(results, m, [q])


def ormqr(*args):
    """``ormqr([res,] m, tau, mat [, side='L'] [, trans='N'])``: mat multiplied by the Q of geqrf's reflectors,
    as LAPACK ormqr: Q mat (``'L'``, ``'N'``), Q^T mat (``'L'``, ``'T'``), mat Q (``'R'``, ``'N'``), mat Q^T
    (``'R'``, ``'T'``)."""
    results, (m, tau, mat), (side, trans) = _split('ormqr', args, 3, 1, (('L', 'R'), ('N', 'T')))
    packed, t, c = _matrix('ormqr', m, 'A'), _host(tau).reshape(-1), _matrix('ormqr', mat, 'mat')
    q = _householder_q(packed, t, c.shape[0] if side == 'L' else c.shape[1])
    q = q.T if trans == 'T' else q
    return _finish(results, mat, [q @ c if side == 'L' else c @ q])


def qr(*args):
    """``q, r = qr([q, r,] x)``: the thin QR of the matrix x (geqrf then orgqr): q ``m`` x k with orthonormal
    columns, r k x ``n`` upper triangular, k = min(m, n)."""
    results, (x,), _ = _split('qr', args, 1, 2, ())
    packed, tau = _geqrf(_matrix('qr', x, 'A'))
    k = tau.shape[0]
    return _finish(results, x, [_householder_q(packed, tau, packed.shape[0])[:, :k], np.triu(packed[:k])])


def gels(*args):
    """``X, F = gels([resb, resa,] B, A)``: for a full-rank ``m`` x ``n`` A, the least-squares solution of A X = B
    (m >= n) or the least-norm one (m < n), ``n`` x k (THTensor_(gels) keeps X's first n rows; a 1-D B is one
    column); F is LAPACK gels's factorization of A (geqrf's packed QR, or gelqf's LQ when m < n)."""
    results, (b, a), _ = _split('gels', args, 2, 2, ())
    am = _matrix('gels', a, 'A')
    bm = _rhs('gels', b, am)
    m, n = am.shape
    packed = _geqrf(am)[0] if m >= n else _geqrf(am.T)[0].T
    diag = np.abs(np.diag(packed))
    if diag.size and not diag.min() > 0:
        raise _singular('gels', f"The {int(np.argmin(diag)) + 1}-th diagonal element of the triangular factor of "
                                f"A is zero")
    return _finish(results, a, [np.linalg.lstsq(am, bm, rcond=None)[0], packed])


# --- eigenvalues and singular values: symeig, eig, svd ---------------------
def symeig(*args):
    """``e, V = symeig([rese, resv,] A [, jobz='N'] [, uplo='U'])``: the eigenvalues of the symmetric matrix seen
    in A's ``uplo`` triangle, ascending, and with ``'V'`` its orthonormal eigenvectors as V's columns (A =
    V diag(e) V^T). With ``'N'`` V holds a copy of A (Torch7 leaves LAPACK's workspace there)."""
    results, (a,), (jobz, uplo) = _split('symeig', args, 1, 2, (('N', 'V'), ('U', 'L')))
    am = _matrix('symeig', a, 'A', square=True)
    if jobz == 'N':
        return _finish(results, a, [np.linalg.eigvalsh(am, UPLO=uplo), am])
    e, v = np.linalg.eigh(am, UPLO=uplo)
    return _finish(results, a, [e, v])


def eig(*args):
    """``e, V = eig([rese, resv,] A [, jobvr='N'])``: LAPACK geev's eigenvalues of the square matrix A as an
    ``n`` x 2 tensor of (real, imaginary) rows in geev's order, and with ``'V'`` the right eigenvectors as V's
    columns (a complex pair j, j+1 stored as the real and imaginary parts of the first, as geev packs them);
    with ``'N'`` V is empty."""
    results, (a,), (jobvr,) = _split('eig', args, 1, 2, (('N', 'V'),))
    am = _matrix('eig', a, 'A', square=True)
    w, vectors = np.linalg.eig(am)
    e = np.stack([w.real, w.imag], axis=1)
    if jobvr == 'N':
        return _finish(results, a, [e, np.zeros((0,))])
    v = np.empty(am.shape, dtype=am.dtype)
    j = 0
    while j < am.shape[0]:
        if w.imag[j] != 0 and j + 1 < am.shape[0]:
            v[:, j], v[:, j + 1] = vectors[:, j].real, vectors[:, j].imag
            j += 2
        else:
            v[:, j] = vectors[:, j].real
            j += 1
    return _finish(results, a, [e, v])


def svd(*args):
    """``U, S, V = svd([resu, ress, resv,] A [, jobu='S'])``: A = U diag(S) V^T for the ``m`` x ``n`` A, S the
    k = min(m, n) singular values descending; ``'S'``: U ``m`` x k and V ``n`` x k, ``'A'``: U ``m`` x m and
    V ``n`` x n. V, not V^T, as Torch7 returns it."""
    results, (a,), (jobu,) = _split('svd', args, 1, 3, (('S', 'A'),))
    u, s, vt = np.linalg.svd(_matrix('svd', a, 'A'), full_matrices=jobu == 'A')
    return _finish(results, a, [u, s, vt.T])
