"""distributions.wishart (wishart.lua): the Wishart distribution of ``ndof`` degrees of freedom and positive
definite ``scale`` matrix (ndim x ndim) over positive definite matrices."""
import math

import numpy as np

from ..tensor import backend
from ..tensor.random import generator
from ..tensor.tensor import default_class
from . import cephes, util
from .values import floating, is_tensor, module_of, result


def _square(where, m, what, ndim=None):
    if not is_tensor(m) or m.dim() != 2 or m.size(0) != m.size(1) or (ndim is not None and m.size(0) != ndim):
        size = f"{m.type()} of size {tuple(m.size())}" if is_tensor(m) else type(m).__name__
        raise ValueError(f"distributions.wishart.{where}: expected {what} as a "
                         f"{'square' if ndim is None else f'{ndim} x {ndim}'} matrix, got {size}")
    return floating(f'wishart.{where}', m, what).astype(np.float64)


def _posdef(where, m, what, ndim=None):
    a = _square(where, m, what, ndim)
    if util.cholesky_upper(a, m.xp) is None:
        raise ValueError(f"distributions.wishart.{where}: {what} must be positive definite")
    return a


def _logdet(m):
    """log det of a tensor or of a float64 array (an inverse computed here)."""
    return util.logdet(m) if is_tensor(m) else util.logdet_array(m, backend.array_module(m))


def rnd(ndof, ndim, scale=None):
    """A sample, an ndim x ndim positive definite matrix, by the Bartlett decomposition (Odell and Feiveson):
    T upper triangular with T_ii = sqrt(chi2(ndof - i)) (i from 0) and standard normal T_ij above the diagonal,
    then T^T T, or U^T T^T T U for ``scale`` = U^T U. Requires ndof > ndim - 1. Drawn on the CPU generator
    (the Lua's torch.normal and randomkit), then moved to ``scale``'s device."""
    if not ndof > ndim - 1:
        raise ValueError(f"distributions.wishart.rnd: ndof ({ndof}) must be greater than ndim - 1 ({ndim - 1})")
    if scale is not None:
        _posdef('rnd', scale, 'scale', ndim)
    gen = generator()
    T = np.zeros((ndim, ndim))
    for i in range(ndim):
        T[i, i] = math.sqrt(2.0 * gen.gamma((ndof - i) / 2.0))   # a chi-square draw of ndof - i dof
        for j in range(i + 1, ndim):
            T[i, j] = gen.standard_normal()
    if scale is None:
        return result(T.T @ T, default_class())
    xp = scale.xp
    T = xp.asarray(T)
    chol = util.cholesky_upper(scale.array.astype(np.float64), xp)
    return result(chol.T @ T.T @ T @ chol, scale)


def _lognorm(ndof, ndim, scale):
    """The log normaliser: ndof ndim log(2) / 2 + ndof log det(scale) / 2 + lmvgam(ndof / 2, ndim)."""
    return ndof * ndim * math.log(2) / 2 + ndof * _logdet(scale) / 2 + cephes.lmvgam(ndof / 2, ndim)


def _lognorm2(ndof, ndim, inv_scale):
    """The log normaliser from the inverse of the scale matrix."""
    return ndof * ndim * math.log(2) / 2 - ndof * _logdet(inv_scale) / 2 + cephes.lmvgam(ndof / 2, ndim)


def _elogdet(ndof, ndim, scale):
    """E[log det X]: ndim log 2 + log det(scale) + sum over i = 1 .. ndim of digamma((ndof + 1 - i) / 2)."""
    return (ndim * math.log(2) + _logdet(scale)
            + float(cephes.digamma((ndof + 1 - np.arange(1, ndim + 1)) / 2, np).sum()))


def logpdf(X, ndof, scale):
    """log W(X; ndof, scale) of the positive definite matrix ``X``: a number."""
    s = _posdef('logpdf', scale, 'scale')
    ndim = s.shape[0]
    if not ndof > ndim - 1:
        raise ValueError(f"distributions.wishart.logpdf: ndof ({ndof}) must be greater than ndim - 1 ({ndim - 1})")
    x = _posdef('logpdf', X, 'X', ndim)
    xp = module_of(X, scale)
    return ((ndof - ndim - 1) * _logdet(X) / 2
            - float((xp.linalg.inv(s) * x).sum()) / 2
            - _lognorm(ndof, ndim, scale))


def pdf(X, ndof, scale):
    """exp(logpdf(X, ndof, scale))."""
    return math.exp(logpdf(X, ndof, scale))


def entropy(ndof, scale):
    """The entropy of W(ndof, scale): a number."""
    ndim = _posdef('entropy', scale, 'scale').shape[0]
    return (_lognorm(ndof, ndim, scale)
            - (ndof - ndim - 1) * _elogdet(ndof, ndim, scale) / 2
            + (ndim * ndof) / 2)


def kl(q, p):
    """KL[q || p] of two Wishart distributions, tables (dicts) with ``ndof`` and ``scale``; ``p`` may give
    ``inverseScale`` instead (the faster form)."""
    if not isinstance(q, dict) or 'ndof' not in q or not is_tensor(q.get('scale')):
        raise TypeError("distributions.wishart.kl: expected q as a table (dict) with 'ndof' and 'scale'")
    if not isinstance(p, dict) or 'ndof' not in p or not (is_tensor(p.get('scale'))
                                                          or is_tensor(p.get('inverseScale'))):
        raise TypeError("distributions.wishart.kl: expected p as a table (dict) with 'ndof' and 'scale' or "
                        "'inverseScale'")
    q_scale = _square('kl', q['scale'], 'q.scale')
    ndim = q_scale.shape[0]
    xp = q['scale'].xp
    if is_tensor(p.get('inverseScale')):
        inv_scale_p = _square('kl', p['inverseScale'], 'p.inverseScale', ndim)
    else:
        inv_scale_p = xp.linalg.inv(_square('kl', p['scale'], 'p.scale', ndim))
    return ((q['ndof'] - p['ndof']) * _elogdet(q['ndof'], ndim, q['scale']) / 2
            - q['ndof'] * ndim / 2
            + q['ndof'] * float((inv_scale_p * q_scale).sum()) / 2
            + _lognorm2(p['ndof'], ndim, inv_scale_p)
            - _lognorm(q['ndof'], ndim, q['scale']))
