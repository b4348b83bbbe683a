"""distributions.chi2 (chi2.lua): the chi-square distribution of ``dof`` degrees of freedom. Numbers give
numbers; tensors (broadcasting) give a tensor, element by element."""
import math

from . import cephes
from .values import elementwise


@elementwise('chi2.pdf', ('x', 'dof'))
def pdf(xp, x, dof):
    """x^(dof/2 - 1) exp(-x/2) / (2^(dof/2) Gamma(dof/2)); inf at x = 0 for dof < 2, as the Lua's math.pow,
    and Gamma is cephes gamma (chi2.lua), signed and NaN at its poles for a dof of 0 or less."""
    return xp.power(x, dof / 2 - 1) * xp.exp(-x / 2) / (xp.power(2.0, dof / 2) * cephes.gamma(dof / 2, xp=xp))


@elementwise('chi2.logpdf', ('x', 'dof'))
def logpdf(xp, x, dof):
    """-dof/2 log 2 - lgam(dof/2) + (dof/2 - 1) log x - x/2."""
    return -dof / 2 * math.log(2) - cephes.lgam(dof / 2, xp=xp) + (dof / 2 - 1) * xp.log(x) - x / 2


@elementwise('chi2.cdf', ('x', 'dof'))
def cdf(xp, x, dof):
    """cephes chdtr(dof, x)."""
    return cephes.chdtr(dof, x, xp=xp)


def qtl(p, dof):
    """Not implemented in torch-distributions (chi2.lua raises too)."""
    raise NotImplementedError("distributions.chi2.qtl: not implemented (as in torch-distributions)")


def rnd(*args):
    """Not implemented in torch-distributions (chi2.lua raises too)."""
    raise NotImplementedError("distributions.chi2.rnd: not implemented (as in torch-distributions)")
