"""Pointwise arithmetic: Abs, Exp, Log, Sqrt, Square, Power, Clamp, AddConstant, MulConstant, and rnn's SAdd.

Every module takes any input shape and returns the input's shape (Torch7 doc/simple.md).
"""
import numbers

from .base.elementwise import Elementwise
from .base.errors import check_inplace, check_number, input_error
from .base.hessian import PointWiseDiagHessian
from ..tensor.introspection import typename as lua_typename


class Abs(Elementwise):
    """y = |x|."""

    def _forward(self, x, out, xp):
        xp.abs(x, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.multiply(gradOutput, xp.where(x >= 0, 1, -1).astype(x.dtype), out=gradInput)


class Exp(Elementwise):
    """y = exp(x)."""

    backward_reads_output = True

    def _forward(self, x, out, xp):
        xp.exp(x, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.multiply(gradOutput, y, out=gradInput)


class Log(Elementwise):
    """y = log(x)."""

    def _forward(self, x, out, xp):
        xp.log(x, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.divide(gradOutput, x, out=gradInput)


class Sqrt(PointWiseDiagHessian, Elementwise):
    """y = sqrt(x + b). ``Sqrt(b=0)``; the gradient is 0 where y is 0 (Torch7's rule)."""

    backward_reads_output = True

    def __init__(self, b=0):
        super().__init__()
        self.eps = float(check_number('Sqrt', 'b', b))

    def _forward(self, x, out, xp):
        xp.sqrt(x + self.eps, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        # Sqrt.c selects (y == 0 ? 0 : 0.5 * go / y): a product with y != 0 would be NaN for an inf gradOutput
        safe = xp.where(y == 0, 1, y)
        xp.copyto(gradInput, xp.where(y == 0, 0, 0.5 * gradOutput / safe))


class Square(PointWiseDiagHessian, Elementwise):
    """y = x * x."""

    def _forward(self, x, out, xp):
        xp.square(x, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.multiply(2 * x, gradOutput, out=gradInput)


class Power(Elementwise):
    """y = x ^ p. ``Power(p)``."""

    def __init__(self, p):
        super().__init__()
        self.pow = check_number('Power', 'the power p', p)

    def _forward(self, x, out, xp):
        xp.power(x, self.pow, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.multiply(self.pow * xp.power(x, self.pow - 1), gradOutput, out=gradInput)

    def __repr__(self):
        return f"{lua_typename(self)}({self.pow:g})"


class Clamp(Elementwise):
    """y = min(max(x, min_value), max_value); the gradient passes where min_value < x < max_value.

    ``Clamp(min_value, max_value)``.
    """

    def __init__(self, min_value, max_value):
        super().__init__()
        if not min_value <= max_value:
            raise ValueError(f"Clamp: expected min_value <= max_value, got {min_value} > {max_value}")
        self.min_val, self.max_val = float(min_value), float(max_value)

    def _forward(self, x, out, xp):
        xp.clip(x, self.min_val, self.max_val, out=out)

    def _mask(self, xp, x, out):
        # Clamp.lua is a HardTanh: HardTanh.c passes gradOutput where min_val < x < max_val, 0 elsewhere
        xp.greater(x, self.min_val, out=out)
        out &= x < self.max_val

    def __repr__(self):
        return f"{lua_typename(self)}({self.min_val:g}, {self.max_val:g})"


class AddConstant(Elementwise):
    """y = x + c. ``AddConstant(constant_scalar, ip=False)``.

    ``c`` is a number, or a 1-D tensor added to every row of a 1-D or 2-D input whose
    last dimension matches it. In place, the input is overwritten by the output and
    restored by ``updateGradInput``.
    """

    def __init__(self, constant_scalar, ip=False):
        super().__init__()
        if not isinstance(constant_scalar, numbers.Real) and not (
                hasattr(constant_scalar, 'dim') and constant_scalar.dim() == 1):
            raise ValueError(f"AddConstant: the constant must be a number or a 1-D tensor, got {constant_scalar!r}")
        self.constant_scalar = constant_scalar
        self.inplace = check_inplace('AddConstant', ip)

    def _constant(self, input):
        c = self.constant_scalar
        if isinstance(c, numbers.Real):
            return c
        self.checkTensor(input, floating=True)
        self.checkSameType(input, c)
        if input.dim() not in (1, 2) or input.size(-1) != c.size(0):
            raise input_error(self, f"a 1-D or 2-D input whose last dimension is the constant's {c.size(0)}",
                              f"input of size {tuple(input.size())}")
        return c.array

    def updateOutput(self, input):
        self._constant(input)
        return super().updateOutput(input)

    def _forward(self, x, out, xp):
        c = self.constant_scalar
        xp.add(x, c if isinstance(c, numbers.Real) else c.array, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.copyto(gradInput, gradOutput)

    def updateGradInput(self, input, gradOutput):
        c = self._constant(input)
        super().updateGradInput(input, gradOutput)
        if self.inplace:
            input.array -= c
        return self.gradInput

    def __repr__(self):
        c = self.constant_scalar
        return f"{lua_typename(self)}({c:g})" if isinstance(c, numbers.Real) else f"{lua_typename(self)}(tensor)"


class MulConstant(Elementwise):
    """y = c * x. ``MulConstant(constant_scalar, ip=False)``; in place, the input is
    overwritten by the output and restored by ``updateGradInput``."""

    def __init__(self, constant_scalar, ip=False):
        super().__init__()
        if not isinstance(constant_scalar, numbers.Real):
            raise ValueError(f"MulConstant: the constant must be a number, got {constant_scalar!r}")
        if ip and constant_scalar == 0:
            raise ValueError("MulConstant: an in-place multiplication by 0 cannot restore its input")
        self.constant_scalar = constant_scalar
        self.inplace = check_inplace('MulConstant', ip)

    def _forward(self, x, out, xp):
        xp.multiply(x, self.constant_scalar, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.multiply(gradOutput, self.constant_scalar, out=gradInput)

    def updateGradInput(self, input, gradOutput):
        super().updateGradInput(input, gradOutput)
        if self.inplace:
            input.array /= self.constant_scalar
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.constant_scalar:g})"


class SAdd(Elementwise):
    """y = x + addend, or -(x + addend) when ``negate``: ``SAdd(-1, True)`` is 1 - x, the (1 - z) of rnn's GRU
    (SAdd.lua). ``SAdd(addend, negate=False)``, ``addend`` a number."""

    def __init__(self, addend, negate=False):
        super().__init__()
        if isinstance(addend, bool) or not isinstance(addend, numbers.Real):
            raise ValueError(f"SAdd: the addend must be a number, got {addend!r}")
        if not isinstance(negate, bool):
            raise ValueError(f"SAdd: negate must be a boolean, got {negate!r}")
        self.addend, self.negate = addend, negate

    def _forward(self, x, out, xp):
        xp.add(x, self.addend, out=out)
        if self.negate:
            xp.negative(out, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        if self.negate:
            xp.negative(gradOutput, out=gradInput)
        else:
            xp.copyto(gradInput, gradOutput)
