"""distributions.cauchy (cauchy.lua): the Cauchy distribution of location ``a`` and scale ``b``. Numbers give
numbers; tensors (broadcasting) give a tensor, element by element."""
import math

from .values import elementwise


@elementwise('cauchy.pdf', ('x', 'a', 'b'))
def pdf(xp, x, a, b):
    """b / (pi ((x - a)^2 + b^2))."""
    return 1.0 / math.pi * b / ((x - a) ** 2 + b * b)


@elementwise('cauchy.logpdf', ('x', 'a', 'b'))
def logpdf(xp, x, a, b):
    """-log(pi) + log(b) - log((x - a)^2 + b^2)."""
    return -math.log(math.pi) + xp.log(b) - xp.log((x - a) ** 2 + b * b)


@elementwise('cauchy.cdf', ('x', 'a', 'b'))
def cdf(xp, x, a, b):
    """atan((x - a) / b) / pi + 1/2."""
    return 1.0 / math.pi * xp.arctan((x - a) / b) + 0.5


def qtl(p, a, b):
    """Not implemented in torch-distributions (cauchy.lua raises too)."""
    raise NotImplementedError("distributions.cauchy.qtl: not implemented (as in torch-distributions)")


def rnd(*args):
    """Not implemented in torch-distributions (cauchy.lua raises too): use ``x.cauchy(a, b)``."""
    raise NotImplementedError("distributions.cauchy.rnd: not implemented (as in torch-distributions)")
