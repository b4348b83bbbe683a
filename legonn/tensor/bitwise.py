"""Torch7's shifts and bitwise operations (THTensorMath.c's lshift, rshift, bitand, bitor, bitxor and their
element-wise ``c`` twins), with Torch7's calling forms: ``x.bitand(v)`` in place, ``r.bitand(x, v)`` into r.

Integer tensors shift as C's unsigned types (a logical right shift, wrapping left shift); floating tensors
shift by multiplying or dividing by 2**v, as Torch7's; the bitwise operations refuse floating tensors, as
Torch7 does ("only supported for integer type tensors").
"""
import numpy as np

from .pointwise import _is_number, write_elementwise


class BitwiseMixin:
    __slots__ = ()

    def _bit_args(self, name, args, element_wise):
        """(source array, second operand) of ``x.name(v)`` / ``r.name(x, v)`` (a tensor instead of v when
        ``element_wise``)."""
        if len(args) not in (1, 2) or element_wise == _is_number(args[-1]):
            want = 'tensor' if element_wise else 'value'
            raise TypeError(f"{self._typename}.{name}: expected ({want}) or (tensor, {want}), got "
                            f"{[type(a).__name__ for a in args]}")
        src = self.array if len(args) == 1 else self._result_from(args[0], name)
        other = self._same_count(args[-1], name) if element_wise else args[-1]
        return src, other

    def _as_own(self, value, dtype):
        # Torch7 converts the value to the tensor's C type first (wrapping); NumPy 2 would refuse 300 for uint8
        if _is_number(value):
            return np.array(value).astype(dtype)[()]   # a NumPy scalar: CuPy takes those, not 0-d arrays
        return value.astype(dtype, copy=False)

    def _shift(self, name, args, element_wise, left):
        src, amount = self._bit_args(name, args, element_wise)
        unsigned = np.dtype(f'u{self.dtype.itemsize}')

        def shift(xp, src, amount, out):
            if out.dtype.kind == 'f':
                factor = xp.power(2.0, xp.asarray(amount, dtype=np.float64))
                (xp.multiply if left else xp.true_divide)(src, factor, out=out, casting='unsafe')
                return
            shifted = (xp.left_shift if left else xp.right_shift)(
                xp.asarray(src).astype(unsigned), self._as_own(amount, unsigned))
            xp.copyto(out, shifted, casting='unsafe')
        write_elementwise(shift, src, amount, self.array)
        return self

    def _bitwise(self, name, ufunc, args, element_wise):
        if self.dtype.kind not in 'iu':
            raise TypeError(f"{self._typename}.{name}: {name} is only supported for integer type tensors")
        src, other = self._bit_args(name, args, element_wise)
        write_elementwise(lambda xp, a, b, out: getattr(xp, ufunc)(a, b, out=out, casting='unsafe'),
                          src, self._as_own(other, self.dtype), self.array)
        return self

    def lshift(self, *args):
        """``x.lshift(v)`` in place or ``r.lshift(x, v)``: x << v (x * 2**v for floating tensors)."""
        return self._shift('lshift', args, False, True)

    def rshift(self, *args):
        """``x.rshift(v)`` in place or ``r.rshift(x, v)``: x >> v, logical (x / 2**v for floating tensors)."""
        return self._shift('rshift', args, False, False)

    def clshift(self, *args):
        """``x.clshift(y)`` in place or ``r.clshift(x, y)``: element-wise ``lshift``."""
        return self._shift('clshift', args, True, True)

    def crshift(self, *args):
        """``x.crshift(y)`` in place or ``r.crshift(x, y)``: element-wise ``rshift``."""
        return self._shift('crshift', args, True, False)

    def bitand(self, *args):
        """``x.bitand(v)`` in place or ``r.bitand(x, v)``: x & v (integer tensors)."""
        return self._bitwise('bitand', 'bitwise_and', args, False)

    def bitor(self, *args):
        """``x.bitor(v)`` in place or ``r.bitor(x, v)``: x | v (integer tensors)."""
        return self._bitwise('bitor', 'bitwise_or', args, False)

    def bitxor(self, *args):
        """``x.bitxor(v)`` in place or ``r.bitxor(x, v)``: x ^ v (integer tensors)."""
        return self._bitwise('bitxor', 'bitwise_xor', args, False)

    def cbitand(self, *args):
        """``x.cbitand(y)`` in place or ``r.cbitand(x, y)``: element-wise ``bitand``."""
        return self._bitwise('cbitand', 'bitwise_and', args, True)

    def cbitor(self, *args):
        """``x.cbitor(y)`` in place or ``r.cbitor(x, y)``: element-wise ``bitor``."""
        return self._bitwise('cbitor', 'bitwise_or', args, True)

    def cbitxor(self, *args):
        """``x.cbitxor(y)`` in place or ``r.cbitxor(x, y)``: element-wise ``bitxor``."""
        return self._bitwise('cbitxor', 'bitwise_xor', args, True)
