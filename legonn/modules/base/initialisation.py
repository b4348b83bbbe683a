"""Torch7's parameter initialisation rule, shared by the linear, convolution, pooling and temporal layers, and
``noBias``, which leaves that rule a bias to skip."""
import math


def uniform_reset(stdv, fan, *params):
    """Torch7's reset rule: each of ``params`` uniform in [-b, b], b = 1/sqrt(fan) by default and
    sqrt(3) * stdv when a standard deviation is given (a uniform law of that deviation). A parameter
    that is None (a bias dropped by ``noBias()``) is skipped."""
    bound = stdv * math.sqrt(3) if stdv is not None else 1.0 / math.sqrt(fan)
    for p in params:
        if p is not None:
            p.uniform(-bound, bound)


class OptionalBias:
    """Torch7's ``noBias()`` of the layers whose bias is optional (Linear, the convolutions): drop the bias and
    its gradient (both None, as Lua's nil), returning the module. ``uniform_reset`` then skips it."""

    def noBias(self):
        self.bias = None
        self.gradBias = None
        return self
