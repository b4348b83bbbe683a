"""nnx's pointwise modules: Minus (nnx's Minus.lua) and SaturatedLU (nnx's SaturatedLU.lua)."""
import numbers

from .base.elementwise import Elementwise
from ..tensor.introspection import typename as lua_typename


class Minus(Elementwise):
    """y = -x; gradInput = -gradOutput. Any shape."""

    cuda_forward = 'y = -x'
    cuda_backward = 'gi = -go'

    def _forward(self, x, out, xp):
        xp.negative(x, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.negative(gradOutput, out=gradInput)


class SaturatedLU(Elementwise):
    """``SaturatedLU(th=-1, v=-1, th2=1, v2=1)``: y = x, then ``v`` where y < ``th``, then ``v2`` where
    y > ``th2`` (in that order, as the Lua file's two masked fills of the output: a ``v`` above ``th2`` becomes
    ``v2``); the gradient passes where ``th <= x <= th2`` and is 0 elsewhere. Any shape."""

    def __init__(self, th=-1.0, v=-1.0, th2=1.0, v2=1.0):
        super().__init__()
        for name, value in (('th', th), ('v', v), ('th2', th2), ('v2', v2)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"SaturatedLU: expected a number for {name} "
                                f"(nn.SaturatedLU(lower-bound, value, upper-bound, value2)), got {value!r}")
        self.threshold, self.val, self.threshold2, self.val2 = float(th), float(v), float(th2), float(v2)

    def _forward(self, x, out, xp):
        out[...] = xp.where(x < self.threshold, self.val, x)
        out[...] = xp.where(out > self.threshold2, self.val2, out)

    def _mask(self, xp, x, out):
        xp.greater_equal(x, self.threshold, out=out)
        out &= x <= self.threshold2

    def __repr__(self):
        return f"{lua_typename(self)}({self.threshold:g}, {self.val:g}, {self.threshold2:g}, {self.val2:g})"
