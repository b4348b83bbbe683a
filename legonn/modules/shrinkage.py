"""Shrinkage, the input zeroed in a band around 0: SoftShrink and HardShrink (Torch7 doc/transfer.md)."""
from .base.elementwise import Elementwise
from .base.errors import check_number
from ..tensor.introspection import typename as lua_typename


def _check_lambda(name, lam):
    if check_number(name, 'lambda', lam) < 0:
        raise ValueError(f"{name}: lambda must be >= 0, got {lam}")
    return float(lam)


class _Shrink(Elementwise, abstract=True):
    """What SoftShrink and HardShrink share: ``lambda_``, the gradient's band and the repr."""

    def __init__(self, lam=0.5):
        super().__init__()
        self.lambda_ = _check_lambda(type(self).__name__, lam)

    def _mask(self, xp, x, out):
        # the gradient passes where |x| > lambda (SoftShrink.c/HardShrink.c select gradOutput there, 0 elsewhere)
        xp.greater(xp.abs(x), self.lambda_, out=out)

    def __repr__(self):
        return f"{lua_typename(self)}({self.lambda_:g})"


class SoftShrink(_Shrink):
    """y = x - lambda for x > lambda, x + lambda for x < -lambda, 0 otherwise; any shape.

    ``SoftShrink(lambda=0.5)`` (the argument is called ``lam`` in Python).
    """

    def _forward(self, x, out, xp):
        lam = self.lambda_
        xp.copyto(out, xp.where(x > lam, x - lam, xp.where(x < -lam, x + lam, 0)))


class HardShrink(_Shrink):
    """y = x where |x| > lambda, 0 otherwise; any shape. ``HardShrink(lambda=0.5)``."""

    def _forward(self, x, out, xp):
        xp.multiply(x, xp.abs(x) > self.lambda_, out=out)
