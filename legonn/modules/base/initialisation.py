"""Torch7's parameter initialisation rule, shared by the linear, convolution, pooling and temporal layers."""
import math


def uniform_reset(stdv, fan, *params):
    """Torch7's reset rule: each of ``params`` uniform in [-b, b], b = 1/sqrt(fan) by default and
    sqrt(3) * stdv when a standard deviation is given (a uniform law of that deviation). A parameter
    that is None (a bias dropped by ``noBias()``) is skipped."""
    bound = stdv * math.sqrt(3) if stdv is not None else 1.0 / math.sqrt(fan)
    for p in params:
        if p is not None:
            p.uniform(-bound, bound)
