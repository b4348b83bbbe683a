"""exp, expm1, tanh and sigmoid for legonn's Numba kernels, written so that LLVM vectorises them.

Numba compiles ``math.exp`` and ``math.tanh`` to calls into the C library, one element at a time:
llvmlite has no vector maths library (no SVML), so a fused gate kernel built on them ran slower than
NumPy's SIMD ufuncs (bench/lstm.md, "Fused gate kernels in Numba"). Here each function is straight-line
arithmetic that the loop vectoriser turns into AVX instructions:

- exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 (|r| <= ln2 / 2), with ln 2 split in a high
  part (k ln2_hi is exact) and a low part; exp(r) is its Taylor polynomial, truncated where the next
  term is under the type's rounding unit (degree 7 for float32, 13 for float64). 2^k is built from
  exponent bits in two factors, so results down to the subnormal range come out as NumPy's do.
- expm1(y) = 2^k (e^r - 1) + (2^k - 1) from the same reduction for y <= ln2 / 2, which for |y| <= ln2 / 2
  (k = 0) is e^r - 1's own polynomial, with no cancellation near 0; e^y - 1 above.
- tanh(x) = -expm1(-2|x|) / (2 + expm1(-2|x|)), signed: no overflow, exact limits, relative accuracy
  near 0.
- sigmoid(x) = 1 / (1 + exp(-x)): the limit 0 where exp(-x) overflows, as ``pointwise.sigmoid_into``.

Accuracy, measured by tests/tensor/test_fast_math.py against long-double references, largest error in
either type: exp 1.2 ulp, sigmoid 2.4, tanh 2.9, expm1 4.4.

``exp``, ``expm1``, ``tanh`` and ``sigmoid`` are called inside ``numba.njit`` code; the argument's type
(float32 or float64) picks the constants at compile time.
"""
import decimal
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload


def _from_bits(float_type, llvm_type, width):
    """A Numba intrinsic: the ``float_type`` whose bit pattern is an integer's low ``width`` bits (sign-extended
    from a narrower integer)."""
    @intrinsic
    def from_bits(typingctx, bits):
        if not isinstance(bits, types.Integer):
            return None

        def codegen(context, builder, signature, args):
            value = args[0]
            if bits.bitwidth > width:
                value = builder.trunc(value, ir.IntType(width))
            elif bits.bitwidth < width:
                value = builder.sext(value, ir.IntType(width))
            return builder.bitcast(value, llvm_type)
        return float_type(bits), codegen
    return from_bits


_FROM_BITS = {np.dtype(np.float32): _from_bits(types.float32, ir.FloatType(), 32),
              np.dtype(np.float64): _from_bits(types.float64, ir.DoubleType(), 64)}


def _ln2_split(precision, free_bits):
    """(hi, lo): ln 2 = hi + lo, hi with ``precision - free_bits`` significant bits (so that k hi is exact in
    a type of ``precision`` bits for |k| < 2^free_bits), lo the rest, both from 40 digits of ln 2."""
    ln2 = decimal.Context(prec=40).ln(2)
    scale = 2 ** (precision - free_bits)
    hi = math.floor(ln2 * scale) / scale
    return hi, float(ln2 - decimal.Decimal(hi))


def _functions(dtype, degree, free_bits):
    """(exp, expm1) for one floating type, compiled by Numba on first use; ``degree`` is the Taylor
    polynomial's."""
    info = np.finfo(dtype)
    f, int_type = dtype.type, np.dtype(f'i{dtype.itemsize}').type
    from_bits = _FROM_BITS[dtype]
    coeffs = tuple(f(1 / math.factorial(k)) for k in range(degree + 1))
    ln2_hi, ln2_lo = (f(v) for v in _ln2_split(info.nmant + 1, free_bits))
    log2e, half, one, zero, inf = f(1 / math.log(2)), f(0.5), f(1), f(0), f(np.inf)
    half_ln2 = f(math.log(2) / 2)
    # the arguments whose exp is neither 0 nor inf in this type: up to ln(max), down to ln(half the
    # smallest subnormal)
    high = np.nextafter(f(math.log(float(info.max))), f(0))
    low = f(math.log(float(info.smallest_subnormal)) - math.log(2))
    bias, shift = int_type(info.maxexp - 1), int_type(info.nmant)

    @njit
    def reduced(x):
        """(e^r - 1, 2^k1, 2^k2) with x = (k1 + k2) ln 2 + r, |r| <= ln2 / 2, each factor a normal number,
        x clamped to [low, high] first (so that k and the exponent bits stay in range: the callers restore
        the limits 0 and inf). A result is scaled by one factor, then the other: subnormal results round
        once, as the C library's."""
        xc = min(max(x, low), high)
        k = np.floor(xc * log2e + half)
        r = (xc - k * ln2_hi) - k * ln2_lo
        p = coeffs[degree]
        for j in range(degree - 1, 0, -1):   # Horner's rule, unrolled by LLVM
            p = p * r + coeffs[j]
        ki = int_type(k)
        k1 = ki >> int_type(1)
        return r * p, from_bits((k1 + bias) << shift), from_bits((ki - k1 + bias) << shift)

    @njit
    def exp(x):
        q, s1, s2 = reduced(x)
        e = ((one + q) * s1) * s2
        e = zero if x < low else e
        return inf if x > high else e

    @njit
    def expm1(x):
        # for x <= ln2 / 2: 2^k (e^r - 1) + (2^k - 1), which is e^r - 1 itself (no cancellation near 0)
        # when |x| <= ln2 / 2 and costs at most a couple of ulp below; above, e^x - 1 loses nothing
        q, s1, s2 = reduced(x)
        e = (q * s1) * s2 + (s1 * s2 - one) if x <= half_ln2 else ((one + q) * s1) * s2 - one
        e = -one if x < low else e
        return inf if x > high else e

    return exp, expm1


# (exp, expm1) by Numba type; k of the reduction is under 2^9 (float32) and 2^11 (float64) in magnitude
_BY_TYPE = {types.float32: _functions(np.dtype(np.float32), 7, 9),
            types.float64: _functions(np.dtype(np.float64), 13, 12)}


def exp(x):
    """e^x (inside Numba code)."""
    raise NotImplementedError("fast_math.exp runs inside numba.njit code")


def expm1(x):
    """e^x - 1 (inside Numba code)."""
    raise NotImplementedError("fast_math.expm1 runs inside numba.njit code")


def tanh(x):
    """tanh(x) (inside Numba code)."""
    raise NotImplementedError("fast_math.tanh runs inside numba.njit code")


def sigmoid(x):
    """1 / (1 + e^-x) (inside Numba code)."""
    raise NotImplementedError("fast_math.sigmoid runs inside numba.njit code")


def _overload(stub, body):
    """Overload ``stub`` for float32 and float64 with ``body(exp, expm1, constant)``, which returns the
    implementation (``constant(v)``: v in the argument's type). The implementation is inlined where it is
    called (Numba's IR) so that LLVM sees the whole loop body and vectorises it; other types get no
    implementation (a typing error)."""
    @overload(stub, inline='always')
    def choose(x):
        if x not in _BY_TYPE:
            return None
        return body(*_BY_TYPE[x], x.cast_python_value)


def _tanh_body(exp_of, expm1_of, constant):
    two = constant(2)

    def tanh_impl(x):
        e = expm1_of(-two * abs(x))   # in (-1, 0]: tanh |x| = -e / (2 + e)
        return math.copysign(abs(e) / (two + e), x)
    return tanh_impl


def _sigmoid_body(exp_of, expm1_of, constant):
    one = constant(1)
    return lambda x: one / (one + exp_of(-x))


_overload(exp, lambda exp_of, expm1_of, constant: lambda x: exp_of(x))
_overload(expm1, lambda exp_of, expm1_of, constant: lambda x: expm1_of(x))
_overload(tanh, _tanh_body)
_overload(sigmoid, _sigmoid_body)
