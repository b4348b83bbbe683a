"""distributions.nw (normalWishart.lua): the Normal-Wishart distribution of a mean and a precision matrix:
precision ~ W(ndof, scale), mean ~ N(loc, (beta precision)^-1)."""
import math

import numpy as np

from . import mvn, wishart
from .values import floating, is_tensor, result


def _inverse(where, m, factor):
    return result(m.xp.linalg.inv(floating(f'nw.{where}', m, 'the precision').astype(np.float64) * factor), m)


def logpdf(mean, precision, loc, beta, scale, ndof):
    """log NW(mean, precision; loc, beta, scale, ndof): a number. ``mean`` and ``loc`` are vectors of size D,
    ``precision`` and ``scale`` D x D, ``beta`` > 0, ``ndof`` > D - 1."""
    for name, v, dims in (('mean', mean, 1), ('precision', precision, 2), ('loc', loc, 1), ('scale', scale, 2)):
        if not is_tensor(v) or v.dim() != dims:
            raise TypeError(f"distributions.nw.logpdf: expected {name} as a {dims}D tensor")
    ndim = mean.size(0)
    if (tuple(precision.size()) != (ndim, ndim) or loc.size(0) != ndim or tuple(scale.size()) != (ndim, ndim)):
        raise ValueError(f"distributions.nw.logpdf: expected precision and scale {ndim} x {ndim} and loc of size "
                         f"{ndim}, as mean")
    if not ndof > ndim - 1:
        raise ValueError(f"distributions.nw.logpdf: ndof ({ndof}) must be greater than ndim - 1 ({ndim - 1})")
    return mvn.logpdf(mean, loc, _inverse('logpdf', precision, beta)) + wishart.logpdf(precision, ndof, scale)


def pdf(mean, precision, loc, beta, scale, ndof):
    """exp(logpdf(...))."""
    return math.exp(logpdf(mean, precision, loc, beta, scale, ndof))


def rnd(loc, beta, scale, ndof):
    """A sample ``(mean, precision)``: precision from W(ndof, scale), then mean from N(loc, (beta precision)^-1)."""
    precision = wishart.rnd(ndof, scale.size(0), scale)
    mean = mvn.rnd(loc, _inverse('rnd', precision, beta))
    return mean, precision


def entropy(loc, beta, scale, ndof):
    """The entropy of NW(loc, beta, scale, ndof): a number."""
    ndim = loc.size(0)
    if scale.size(0) != ndim:
        raise ValueError(f"distributions.nw.entropy: scale has {scale.size(0)} rows, loc {ndim} elements")
    return (ndim * (1 + math.log(2 * math.pi)) / 2
            - ndim * math.log(beta) / 2
            - wishart._elogdet(ndof, ndim, scale) / 2
            + wishart.entropy(ndof, scale))


def kl(q, p):
    """KL[q || p] of two Normal-Wishart distributions, tables (dicts) with ``loc``, ``beta``, ``scale`` and
    ``ndof`` (normalWishart.lua's formula)."""
    ndim = q['loc'].size(0)
    delta = (p['loc'].array - q['loc'].array).astype(np.float64)
    quadratic = float(delta @ (q['scale'].array.astype(np.float64) @ delta))
    return (wishart.kl(q, p)
            + (ndim * (math.log(q['beta']) - math.log(p['beta']))
               + ndim * p['beta'] / q['beta']
               - ndim
               + p['beta'] * q['ndof'] * quadratic) / 2)
