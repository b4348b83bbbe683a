"""distributions.dir (dirichlet.lua): the Dirichlet distribution of the vector of pseudo-counts ``alpha``."""
import math

import numpy as np

from ..tensor.random import generator
from . import cephes
from .values import floating, is_tensor, module_of, result, tensor_of


def _alpha(where, alpha):
    alpha = tensor_of(f'dir.{where}', alpha, 'alpha')
    return alpha, floating(f'dir.{where}', alpha, 'alpha').astype(np.float64).reshape(-1)


def rnd(alpha):
    """One sample (a tensor of ``alpha``'s size, summing to one): gamma(alpha_i, 1) draws, normalised.
    ``alpha`` may be a tensor or a list (``torch.Tensor(alpha)`` in the Lua)."""
    alpha, a = _alpha('rnd', alpha)
    g = generator(alpha._cuda).gamma(a, 1.0, size=a.shape)
    return result((g / g.sum()).reshape(tuple(alpha.size())), alpha)


def logpdf(x, alpha):
    """log Dir(x; alpha) = sum (alpha_i - 1) log x_i - sum lgam(alpha_i) + lgam(sum alpha_i): a number.
    ``x`` is a probability vector (nonnegative entries summing to one) of ``alpha``'s size."""
    if not is_tensor(x) or not is_tensor(alpha):
        raise TypeError('distributions.dir.logpdf: expected x and alpha as tensors')
    if x.nElement() != alpha.nElement():
        raise ValueError(f'distributions.dir.logpdf: x has {x.nElement()} elements and alpha {alpha.nElement()}')
    xp = module_of(x, alpha)
    xa = floating('dir.logpdf', x, 'x').astype(np.float64).reshape(-1)
    _, a = _alpha('logpdf', alpha)
    return float((xp.log(xa) * (a - 1)).sum() - cephes.lgam(a, xp=xp).sum()) + math.lgamma(float(a.sum()))


def pdf(x, alpha):
    """exp(logpdf(x, alpha))."""
    return math.exp(logpdf(x, alpha))


def entropy(alpha):
    """The entropy of Dir(alpha): a number."""
    alpha, a = _alpha('entropy', alpha)
    xp = alpha.xp
    a0 = float(a.sum())
    return (float(cephes.lgam(a, xp=xp).sum()) - math.lgamma(a0)
            + (a0 - a.shape[0]) * float(cephes.digamma(a0, np))
            - float((cephes.digamma(a, xp) * (a - 1)).sum()))


def kl(q, p):
    """KL[q || p] of two Dirichlet distributions, tables (dicts) with the field ``alpha``: a number."""
    for name, t in (('q', q), ('p', p)):
        if not isinstance(t, dict) or not is_tensor(t.get('alpha')):
            raise TypeError(f"distributions.dir.kl: expected {name} as a table (dict) with the tensor 'alpha'")
    xp = module_of(q['alpha'], p['alpha'])
    _, qa = _alpha('kl', q['alpha'])
    _, pa = _alpha('kl', p['alpha'])
    q0, p0 = float(qa.sum()), float(pa.sum())
    return (math.lgamma(q0) - math.lgamma(p0)
            - float(cephes.lgam(qa, xp=xp).sum()) + float(cephes.lgam(pa, xp=xp).sum())
            + (p0 - q0) * float(cephes.digamma(q0, np))
            + float((cephes.digamma(qa, xp) * (qa - pa)).sum()))
