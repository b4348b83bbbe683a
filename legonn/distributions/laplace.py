"""distributions.laplace (laplace.lua): the Laplace distribution of location ``loc`` and scale ``scale``.
Numbers give numbers; tensors (broadcasting) give a tensor, element by element."""
from .values import elementwise


@elementwise('laplace.pdf', ('x', 'loc', 'scale'))
def pdf(xp, x, loc, scale):
    """exp(-|x - loc| / scale) / (2 scale)."""
    return 1.0 / (2.0 * scale) * xp.exp(-xp.abs(x - loc) / scale)


@elementwise('laplace.logpdf', ('x', 'loc', 'scale'))
def logpdf(xp, x, loc, scale):
    """-log(2 scale) - |x - loc| / scale."""
    return -xp.log(2.0 * scale) - xp.abs(x - loc) / scale


@elementwise('laplace.cdf', ('x', 'loc', 'scale'))
def cdf(xp, x, loc, scale):
    """exp((x - loc) / scale) / 2 below ``loc``, 1 - exp((loc - x) / scale) / 2 from it on."""
    return xp.where(x < loc, 0.5 * xp.exp((x - loc) / scale), 1 - 0.5 * xp.exp((loc - x) / scale))


def qtl(p, loc, scale):
    """Not implemented in torch-distributions (laplace.lua raises too)."""
    raise NotImplementedError("distributions.laplace.qtl: not implemented (as in torch-distributions)")


def rnd(*args):
    """Not implemented in torch-distributions (laplace.lua raises too)."""
    raise NotImplementedError("distributions.laplace.rnd: not implemented (as in torch-distributions)")
