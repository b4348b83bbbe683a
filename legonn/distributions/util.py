"""distributions.util (util.lua): positive-definiteness and log-determinants of matrices, by Cholesky."""
import numpy as np

from ..tensor.linalg import _symmetric_from
from .values import floating, is_tensor


def cholesky_upper(a, xp):
    """The upper Cholesky factor U of the symmetric matrix ``a`` (a = U^T U, torch.potrf's), or None when ``a``
    is not positive definite (potrf fails). NumPy raises then; CuPy's factor holds NaNs instead. As potrf's
    default 'U' (THTensorLapack.c's LAPACK potrf), only the upper triangle of ``a`` is read."""
    try:
        lower = xp.linalg.cholesky(_symmetric_from(a, 'U'))
    except np.linalg.LinAlgError:
        return None
    if not bool(xp.all(xp.isfinite(lower))):
        return None
    return lower.T


def _matrix(where, m):
    if not is_tensor(m) or m.dim() != 2 or m.size(0) != m.size(1):
        raise TypeError(f"distributions.util.{where}: expected a square matrix (2D tensor), got "
                        f"{m.type() + ' of size ' + str(tuple(m.size())) if is_tensor(m) else type(m).__name__}")
    return floating(f'util.{where}', m, 'the matrix').astype(np.float64)


def isposdef(m):
    """Whether the matrix ``m`` is positive definite (its Cholesky factorisation succeeds)."""
    return cholesky_upper(_matrix('isposdef', m), m.xp) is not None


def logdet_array(a, xp):
    """log det of the float64 array ``a``: 2 sum log diag U by Cholesky, or the sum of the logs of its singular
    values where Cholesky fails (util.lua's fallback, for a matrix that is not symmetric positive definite)."""
    upper = cholesky_upper(a, xp)
    if upper is not None:
        return 2 * float(xp.log(xp.diag(upper)).sum())
    return float(xp.log(xp.linalg.svd(a, compute_uv=False)).sum())


def logdet(m):
    """The log-determinant of the square matrix ``m`` (a number)."""
    return logdet_array(_matrix('logdet', m), m.xp)
