"""distributions.norm (gaussian.lua): the univariate normal distribution N(mu, sigma^2), sigma its standard
deviation. Numbers give numbers; tensors (broadcasting) give a tensor, element by element."""
import math

from . import cephes
from .values import elementwise


@elementwise('norm.pdf', ('x', 'mu', 'sigma'))
def pdf(xp, x, mu, sigma):
    """exp(-(x - mu)^2 / (2 sigma^2)) / sqrt(2 pi sigma^2)."""
    return xp.exp(-.5 * (x - mu) * (x - mu) / (sigma * sigma)) / xp.sqrt(2.0 * math.pi * sigma * sigma)


@elementwise('norm.logpdf', ('x', 'mu', 'sigma'))
def logpdf(xp, x, mu, sigma):
    """-(x - mu)^2 / (2 sigma^2) - log(2 pi sigma^2) / 2."""
    return -.5 * (x - mu) * (x - mu) / (sigma * sigma) - 0.5 * xp.log(2 * math.pi * sigma * sigma)


@elementwise('norm.cdf', ('x', 'mu', 'sigma'))
def cdf(xp, x, mu, sigma):
    """(1 + erf((x - mu) / sqrt(2 sigma^2))) / 2."""
    return 0.5 * (1.0 + cephes.erf((x - mu) / xp.sqrt(2 * sigma * sigma), xp=xp))


@elementwise('norm.qtl', ('p', 'mu', 'sigma'))
def qtl(xp, p, mu, sigma):
    """The quantile of probability ``p``: ndtri(p) sigma + mu."""
    return cephes.ndtri(p, xp=xp) * sigma + mu


def rnd(*args):
    """Not implemented in torch-distributions (gaussian.lua raises too): use ``lg.randn`` or ``x.normal(mu, s)``."""
    raise NotImplementedError("distributions.norm.rnd: not implemented (as in torch-distributions)")
