"""distributions.poisson (poisson.lua): the Poisson distribution of mean ``lambda_``. Numbers give numbers;
tensors give a tensor, element by element, a size-1 tensor expanding to the other's size (the Lua's
``vectorise1param``)."""
from . import cephes
from .values import elementwise


@elementwise('poisson.pdf', ('x', 'lambda'))
def pdf(xp, x, lambda_):
    """lambda^x / fac(x) exp(-lambda), cephes fac of x truncated to an integer (it takes a C int), which is
    MAXNUM for x < 0 and x > 170 (poisson.lua's formula, as the Lua computes it there)."""
    return xp.power(lambda_, x) / cephes.fac(xp.trunc(x), xp=xp) * xp.exp(-lambda_)


@elementwise('poisson.logpdf', ('x', 'lambda'))
def logpdf(xp, x, lambda_):
    """x log(lambda) - lgam(x + 1) - lambda."""
    return x * xp.log(lambda_) - cephes.lgam(x + 1, xp=xp) - lambda_


@elementwise('poisson.cdf', ('x', 'lambda'))
def cdf(xp, x, lambda_):
    """cephes pdtr(x, lambda) (x truncated to an integer) for x >= 0, else 0."""
    return xp.where(x >= 0, cephes.pdtr(xp.maximum(x, 0), lambda_, xp=xp), 0.0)


def qtl(p, lambda_):
    """Not implemented in torch-distributions (poisson.lua raises too)."""
    raise NotImplementedError("distributions.poisson.qtl: not implemented (as in torch-distributions)")


def rnd(p, lambda_):
    """Not implemented in torch-distributions (poisson.lua raises too)."""
    raise NotImplementedError("distributions.poisson.rnd: not implemented (as in torch-distributions)")
