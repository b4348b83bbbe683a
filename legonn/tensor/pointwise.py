"""Element-wise arithmetic with Torch7's calling forms, and Python operators.

Torch7 methods write into ``self``: ``x.add(y)`` is ``x += y``, ``r.add(x, y)``
is ``r = x + y``. Operands must hold the same number of elements (Torch7's
rule: no broadcasting). Python operators (``+ - * / @ **``) follow NumPy's
broadcasting and return new tensors; ``+=`` and friends work in place. Where
the two rules part silently (operands of as many elements, shapes NumPy
broadcasts to more), the operators warn: ``AmbiguousBroadcastWarning``.
"""
import functools
import math
import numbers
import sys
import warnings

import numpy as np

from . import backend
from .blas_kernels import axpby_into


def is_operand(x):
    """True for a tensor or a NumPy/CuPy array: what TensorMath.lua's signatures read as a tensor argument (a
    tensor is recognised by its methods, since this module sits below tensor.py)."""
    return hasattr(x, 'storageOffset') or isinstance(x, np.ndarray) or backend.is_cupy_array(x)


@functools.lru_cache(maxsize=None)
def integer_bounds(dtype):
    """(smallest, largest) value of an integer element type; None for the floating ones (cached: ``_real`` is on
    every call's path, and building the NumPy dtype and its iinfo costs more than the rest of it)."""
    dt = np.dtype(dtype)
    return (int(np.iinfo(dt).min), int(np.iinfo(dt).max)) if dt.kind in 'iu' else None


def stored_number(value, dtype):
    """``value`` as TH stores a Lua number into an element of integer ``dtype`` (``t[i] = v``, ``t:fill(v)``):
    luaG_checkreal truncates it to an integer and C's conversion keeps its low bits, so 65025 in a ByteTensor is
    1 and -1 is 255. Values within the type's range, and every value for floating types, pass unchanged."""
    bounds = integer_bounds(dtype)
    if bounds is None or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return value
    if bounds[0] <= value <= bounds[1]:
        return value
    span = 1 << (8 * dtype.itemsize)
    low = int(value) % span
    return low - span if low > bounds[1] else low


# class -> whether its instances are numbers (bools are not; NumPy's are): asked of nearly every argument of
# every arithmetic call, answered per class, since the ABC test of numbers.Number costs more than a small
# tensor's addition
_NUMBER_CLASSES = {int: True, float: True, bool: False}


def _is_number(x):
    cls = type(x)
    known = _NUMBER_CLASSES.get(cls)
    if known is None:
        known = _NUMBER_CLASSES[cls] = issubclass(cls, numbers.Number) and not issubclass(cls, bool) or \
            issubclass(cls, (np.bool_, np.number))
    return known


def _axpy_fits(x, y):
    """True when x += v y can be BLAS axpy: contiguous float32/float64 NumPy arrays of one dtype, the same
    memory or none of it shared (NumPy's own loop handles partial overlap by copying; axpy would not)."""
    return type(x) is type(y) is np.ndarray and x.dtype == y.dtype and x.dtype.kind == 'f' and \
        x.dtype.itemsize >= 4 and x.flags.c_contiguous and y.flags.c_contiguous and \
        (x is y or x.ctypes.data == y.ctypes.data and x.shape == y.shape or not np.may_share_memory(x, y))


def repeats_elements(arr):
    """True when two positions of ``arr`` are one element of memory: a zero stride (``expand``), or windows that
    overlap (``unfold`` with a step under its size). Dimensions sorted by stride, each must step past all the
    memory the smaller ones span; a layout that fails this without overlapping only takes the slow path."""
    if arr.flags.c_contiguous or arr.flags.f_contiguous:   # the common case, answered without the loop
        return False
    extent = arr.itemsize
    for stride, n in sorted((abs(s), n) for s, n in zip(arr.strides, arr.shape) if n > 1):
        if stride < extent:
            return True
        extent += stride * (n - 1)
    return False


def apply_in_visit_order(ufunc, a, b, out):
    """``out = ufunc(a, b)`` one position of ``out`` at a time, row-major, each operand element read when its
    position comes, as TH_TENSOR_APPLY does on the CPU: where ``out`` repeats an element (an expanded tensor
    written in place), each later visit sees the earlier write, so Torch7's ``x:expand(3):mul(2)`` multiplies
    x's element three times (artistic-videos' multi-pass blend scales its expanded 3-plane weights so).
    cutorch copies such a tensor to contiguous memory first and applies the operation once per position,
    which CuPy's path computes."""
    a_arr, b_arr = isinstance(a, np.ndarray), isinstance(b, np.ndarray)
    for idx in np.ndindex(*out.shape):
        out[idx] = ufunc(a[idx] if a_arr else a, b[idx] if b_arr else b)


def write_elementwise(kernel, a, b, out):
    """``kernel(np or cupy, a, b, out)`` (writing an element-wise function of the operands ``a`` and ``b``,
    arrays, numbers or None, into ``out``); where ``out`` is a NumPy array that repeats an element of memory, one
    position at a time as ``apply_in_visit_order`` (TH_TENSOR_APPLY's order), the kernel called on that
    position's elements as one-element arrays of their own types."""
    if not (type(out) is np.ndarray and repeats_elements(out)):
        kernel(backend.array_module(out), a, b, out)
        return out
    a_arr, b_arr = isinstance(a, np.ndarray), isinstance(b, np.ndarray)

    def at_one_position(x, y):
        one = np.empty(1, out.dtype)
        kernel(np, np.asarray([x]) if a_arr else x, np.asarray([y]) if b_arr else y, one)
        return one[0]
    apply_in_visit_order(at_one_position, a, b, out)
    return out


# A class attribute by which an operand's class asks legonn's Tensor operators (``+ - * / ** @ // %`` and their
# reflected forms) to return NotImplemented rather than raise, as Python's protocol lets a class that knows its
# operands (NumPy's ``__array_priority__`` plays this part for arrays): ``tensor + x`` then calls
# ``type(x).__radd__``. legonn.autograd's traced values (DirectNode, Value) declare it, so that ``tensor + node``
# is traced by the node's operator while the Tensor class is left as it is. Any other operand legonn cannot
# convert is legonn's TypeError, as before; the in-place operators (``+=``) do not defer: they write into the
# tensor, which a deferring operand could not do.
DEFER_ATTRIBUTE = '__legonn_defer__'


def operand(x):
    """The array behind a tensor or ndarray operand; numbers pass through."""
    arr = getattr(x, 'array', None)
    if arr is not None and not isinstance(x, np.ndarray):
        return arr
    if isinstance(x, np.ndarray) or backend.is_cupy_array(x) or _is_number(x):
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    raise TypeError(f"expected a tensor, an array or a number, got {type(x).__name__}")


class AmbiguousBroadcastWarning(UserWarning):
    """A Python operator broadcast two tensors (or arrays) of as many elements but different shapes to a larger
    result: Torch7's operators pair such operands' elements in order and keep the left one's shape, so ported
    code meant that, where NumPy's rule (legonn's) makes a table (an ``n``-vector minus an ``n x 1`` matrix is
    ``n x n``)."""


def _sizes(shape):
    return 'x'.join(map(str, shape))


def _broadcasts_into(shape, sizes):
    """Whether an operand of ``shape`` broadcasts into ``sizes`` (an in-place result keeps its target's sizes)."""
    try:
        return np.broadcast_shapes(tuple(shape), tuple(sizes)) == tuple(sizes)
    except ValueError:
        return False


def _as_shape(x, name, shape):
    """How to spell ``name`` (the operand ``x``) seen in ``shape``: a tensor's view, an array's reshape."""
    dims = ', '.join(map(str, shape))
    return f'{name}.view({dims})' if hasattr(x, 'storageOffset') else f'{name}.reshape({dims})'


def _expanded(x, name, shape):
    """How to spell ``name`` (the operand ``x``) broadcast to ``shape`` explicitly."""
    dims = ', '.join(map(str, shape))
    return f'{name}.expand({dims})' if hasattr(x, 'storageOffset') else f'np.broadcast_to({name}, ({dims}))'


def warn_if_ambiguous(form, left, right, result_shape):
    """Warn with ``AmbiguousBroadcastWarning`` when the operands ``left`` and ``right`` of ``form`` (``'{} - {}'``,
    ``'np.subtract({}, {})'``), tensors or arrays, hold as many elements in different shapes and broadcast to
    ``result_shape``, of another count (so more than one element: one-element operands broadcast to one). The
    warning names the caller's line (the first frame outside this file), so Python's default filter shows it
    once per call site."""
    shape_l, shape_r = getattr(left, 'shape', None), getattr(right, 'shape', None)
    if shape_l is None or shape_r is None or shape_l == shape_r:
        return
    count = math.prod(shape_l)
    if count != math.prod(shape_r) or count == math.prod(result_shape):
        return
    message = (f"{form.format('a', 'b')} of sizes {_sizes(shape_l)} (a) and {_sizes(shape_r)} (b), {count} elements "
               f"each, broadcasts to {_sizes(result_shape)} by NumPy's rule, where Torch7's operator pairs the "
               f"elements in order and keeps a's size. Say which is meant: "
               f"{form.format('a', _as_shape(right, 'b', shape_l))} pairs them, "
               f"{form.format(_expanded(left, 'a', result_shape), 'b')} broadcasts")
    frame, level = sys._getframe(), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, AmbiguousBroadcastWarning, stacklevel=level)


def _unary(name, apply):
    def method(self, src=None):
        source = self.array if src is None else self._result_from(src, name)
        write_elementwise(lambda xp, a, _, out: apply(xp, a, out), source, None, self.array)
        return self
    method.__name__ = name
    method.__doc__ = (f"``t.{name}()`` applies {name} in place; ``r.{name}(x)`` writes {name}(x) into ``r``.")
    return method


def remainder_into(xp, a, b, out):
    """out = Torch7's remainder of a by b (arrays or numbers of module ``xp``): a - b * floor(a / b) for floating
    types, as THTensorMath.c computes it (NaN where b is 0; not NumPy's exact fmod-based remainder, which differs
    in the last bits), and the remainder with the divisor's sign for integers. For float32 the quotient is a float
    and the rest is computed in double, as C promotes floor's result, then rounded into ``out``."""
    if out.dtype.kind != 'f':
        xp.remainder(a, b, out=out, casting='unsafe')
        return out
    if _is_number(b):
        b = out.dtype.type(b)   # cwrap passes the number as the C real: a FloatTensor's 3.3 is 3.3f in both uses
    q = xp.floor(xp.true_divide(a, b, dtype=out.dtype if out.dtype.itemsize >= 4 else np.float32))
    rest = xp.asarray(a, dtype=np.float64) - xp.asarray(b, dtype=np.float64) * q
    xp.copyto(out, rest, casting='unsafe')
    return out


def power_by_value_into(xp, a, value, out):
    """out = a ** value for a floating array ``a`` and a number ``value``, as Torch7 computes it. THTensor_(pow)
    (torch7 lib/TH/generic/THTensorMath.c:2920-2947) multiplies for 2 and 3, takes 1/x and 1/(x*x) for -1 and
    -2, sqrt(x) and 1/sqrt(x) for 0.5 and -0.5, C's pow for any other exponent; cutorch's THCTensor_(pow)
    (lib/THC/generic/THCTensorMathPointwise.cu:166, THCTensorMathPointwise.cuh's TensorPowOp) has the same cases
    but 0.5 and -0.5, which go to pow. The cases differ from pow at the edges: 1/(x*x) is 0 where x*x overflows
    (pow: a subnormal), 1/sqrt(-0.) is -inf and 1/sqrt(-inf) NaN (pow: inf and 0)."""
    if value == 1:
        xp.copyto(out, a, casting='unsafe')
    elif value == 2:
        xp.multiply(a, a, out=out, casting='unsafe')
    elif value in (3, -2):
        square = xp.multiply(a, a)
        if value == 3:
            xp.multiply(square, a, out=out, casting='unsafe')
        else:
            xp.reciprocal(square, out=out, casting='unsafe')
    elif value == -1:
        xp.reciprocal(a, out=out, casting='unsafe')
    elif value in (0.5, -0.5) and xp is np:
        xp.sqrt(a, out=out, casting='unsafe')
        if value == -0.5:
            xp.reciprocal(out, out=out)
    else:
        xp.power(a, value, out=out, casting='unsafe')


def _no_elements(v):
    """``v`` sliced to no elements along every axis (a number or 0-dim array as it is): an operand that keeps
    its dtype and its kind (array, 0-dim, Python scalar) for the type rules, at no arithmetic cost."""
    return v[(slice(0, 0),) * v.ndim] if getattr(v, 'ndim', 0) else v


def _th_remainder(xp, a, b):
    """``a % b`` (arrays or numbers of module ``xp``) as a new array of NumPy's result type and shape, with
    floating results computed as THTensor_(remainder)'s (``remainder_into``). The type is ``%``'s own on the
    operands emptied (the same rules on NumPy and CuPy, without computing the elements' remainders only to
    overwrite them); the shape is the operands' broadcast."""
    dtype = (_no_elements(a) % _no_elements(b)).dtype
    if dtype.kind != 'f':
        return xp.asarray(a % b)
    return remainder_into(xp, a, b, xp.empty(np.broadcast_shapes(np.shape(a), np.shape(b)), dtype=dtype))


def _ufunc(ufunc_name):
    return lambda xp, x, out: getattr(xp, ufunc_name)(x, out=out, casting='unsafe')


def sigmoid_into(xp, x, out):
    """out = sigmoid(x) for arrays of module ``xp``, overflow-free (Sigmoid calls it directly)."""
    if out.dtype.kind != 'f' or out.dtype.itemsize < 4:
        # half (and integer results): 0.5 * tanh(x / 2) + 0.5 never overflows and keeps its few bits exact
        xp.multiply(x, 0.5, out=out, casting='unsafe')
        xp.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return
    # 1 / (1 + exp(-x)): exp is about twice as fast as tanh in NumPy's SIMD kernels. Where exp(-x)
    # overflows to inf the result is the exact limit 0; only NumPy's warning about it is silenced.
    with np.errstate(over='ignore'):
        xp.negative(x, out=out, casting='unsafe')
        xp.exp(out, out=out)
    out += 1
    xp.reciprocal(out, out=out)


def _rsqrt(xp, x, out):
    xp.sqrt(x, out=out, casting='unsafe')
    xp.reciprocal(out, out=out)


def _frac(xp, x, out):
    """TH_frac (torch7 lib/TH/THMath.h:10), cutorch's frac too: x - trunc(x), +0 for a whole number of either
    sign (C's fmod(x, 1) would keep the dividend's sign, -0)."""
    xp.subtract(x, xp.trunc(x), out=out, casting='unsafe')


def _round(xp, x, out):
    """C's ``round``, as Torch7's maths: halves go away from zero (NumPy's ``rint`` takes them to even). The
    fraction ``x - trunc(x)`` is exact, so no sum near a half can round up first (``floor(x + 0.5)`` takes
    0.49999999999999994 to 1)."""
    whole = xp.trunc(x)
    part = x - whole
    whole += part >= 0.5
    whole -= part <= -0.5
    if whole.dtype.kind == 'f':   # C's round keeps x's sign: round(-0.2) is -0 (trunc's -0 plus 0 is +0)
        whole = xp.copysign(whole, x)
    xp.copyto(out, whole, casting='unsafe')


def _sign(xp, x, out):
    """TH's sign, ``(x > 0) - (x < 0)``: 0 for NaN too, where NumPy's sign gives NaN."""
    xp.sign(x, out=out, casting='unsafe')
    if out.dtype.kind == 'f':
        xp.copyto(out, 0, where=out != out)


def _cinv(xp, x, out):
    xp.reciprocal(x, out=out, casting='unsafe')


UNARY = {name: _ufunc(name) for name in (
    'abs', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'tanh', 'floor', 'ceil', 'trunc',
    'cos', 'sin', 'tan', 'cosh', 'sinh', 'square')}
UNARY.update({'acos': _ufunc('arccos'), 'asin': _ufunc('arcsin'), 'atan': _ufunc('arctan'),
              'neg': _ufunc('negative'), 'round': _round, 'sign': _sign, 'sigmoid': sigmoid_into,
              'rsqrt': _rsqrt, 'frac': _frac, 'cinv': _cinv})


class PointwiseMixin:
    __slots__ = ()

    def _real(self, value, dtype=None):
        """A number argument as the element type (``dtype``, default this tensor's): cwrap converts a Lua number
        to the C ``real`` of the tensor's type before the call, so an integer tensor's number arguments are
        truncated toward zero (LongTensor:mul(0.5) multiplies by 0, IntTensor:div(2.5) divides by 2) and keep
        the low bits a store keeps (``stored_number``: ByteTensor:div(300) divides by 44, :add(-1) adds 255,
        where NumPy would raise OverflowError; densecap's BoxSampler inverts a 0/1 mask with
        ``neg_mask:mul(pos_mask, -1):add(1)``). Arrays and the numbers of floating tensors are returned as they
        are."""
        dtype = self._dtype if dtype is None else dtype
        bounds = integer_bounds(dtype)
        if bounds is None or type(value) is int and bounds[0] <= value <= bounds[1] or not _is_number(value):
            return value
        return stored_number(int(value), dtype)   # int() truncates toward zero, as C's cast does

    def _same_count(self, other, what):
        """``other`` as an array with this tensor's element count (Torch7's no-broadcast rule)."""
        if type(other) is type(self) and other._size == self._size:
            return other.array   # a tensor of this type and sizes (same device): nothing below applies to it
        arr = operand(other)
        if _is_number(arr):
            return arr
        n = math.prod(arr.shape)
        if tuple(arr.shape) == self._size or n == self.nElement() and n:
            if backend.is_cupy_array(arr) != self._cuda:
                raise TypeError(f"{self._typename}.{what}: operand is on the "
                                f"{'GPU' if self._cuda is False else 'CPU'}, this tensor is not")
            return arr.reshape(self._size) if tuple(arr.shape) != self._size else arr
        raise ValueError(f"{self._typename}.{what}: expected an operand of {self.nElement()} elements "
                         f"(sizes {self._size}), got sizes {tuple(arr.shape)}")

    def _result_from(self, src, what):
        """Resize ``self`` like ``src`` and return src's array (the ``r.f(x, ...)`` form)."""
        if type(src) is type(self):   # same device: only the resize below is left to do
            self.resize(src._size)
            return src.array
        arr = operand(src)
        if _is_number(arr):
            raise TypeError(f"{self._typename}.{what}: expected a tensor source, got a number")
        if backend.is_cupy_array(arr) != self._cuda:
            raise TypeError(f"{self._typename}.{what}: source and result must be on the same device")
        self.resize(tuple(arr.shape))
        return arr

    def _into(self, ufunc, a, b):
        out = self.array
        if type(out) is np.ndarray and repeats_elements(out):
            apply_in_visit_order(getattr(np, ufunc), a, b, out)
            return self
        getattr(self.xp, ufunc)(a, b, out=out, casting='unsafe')
        return self

    # --- Torch7 arithmetic ---------------------------------------------
    def add(self, *args):
        """``x.add(v)``, ``x.add(y)``, ``x.add(v, y)`` (x += v*y), ``r.add(x, y)``, ``r.add(x, v, y)``."""
        if len(args) == 1:
            return self._into('add', self.array, self._real(self._same_count(args[0], 'add')))
        if len(args) == 2 and _is_number(args[0]):
            y, v = self._same_count(args[1], 'add'), self._real(args[0])
            if v == 1:
                return self._into('add', self.array, y)
            if _axpy_fits(self.array, y):
                # one pass, no temporary (Torch7's SGD step, params:add(-lr, grads)): 0.052 against 0.072 ms on
                # 350k floats alone, 0.18 against 0.29 ms inside a training step (bench/lstm.md)
                axpby_into(self.array.reshape(-1), v, y.reshape(-1))
                return self
            return self._into('add', self.array, y * v)
        if len(args) == 2:
            x = self._result_from(args[0], 'add')
            return self._into('add', x, self._real(self._same_count(args[1], 'add')))
        if len(args) == 3:
            x = self._result_from(args[0], 'add')
            return self._into('add', x, self._same_count(args[2], 'add') * self._real(args[1]))
        raise TypeError(f"{self._typename}.add: expected 1 to 3 arguments, got {len(args)}")

    def csub(self, *args):
        """``x.csub(v)``, ``x.csub(y)``, ``x.csub(v, y)`` (x -= v*y) in place, or ``r.csub(x, v)``,
        ``r.csub(x, y)``, ``r.csub(x, v, y)`` into r: TensorMath.lua gives csub add's argument forms, and TH's
        csub is add with the value negated."""
        if len(args) == 1:
            return self.add(-args[0]) if _is_number(args[0]) else self.add(-1, args[0])
        if len(args) == 2 and _is_number(args[0]):
            return self.add(-args[0], args[1])
        if len(args) == 2:
            return self.add(args[0], -args[1]) if _is_number(args[1]) else self.add(args[0], -1, args[1])
        if len(args) == 3:
            return self.add(args[0], -args[1], args[2])
        raise TypeError(f"{self._typename}.csub: expected 1 to 3 arguments, got {len(args)}")

    def _scalar_op(self, ufunc, name, args, into=None):
        if len(args) not in (1, 2):
            raise TypeError(f"{self._typename}.{name}: expected (value) or (tensor, value), got {len(args)} arguments")
        if not _is_number(args[-1]):
            raise TypeError(f"{self._typename}.{name}: expected a number as the value, got {type(args[-1]).__name__}"
                            f"{'; use c' + name + ' for element-wise ' + name if name in ('mul', 'div') else ''}")
        src = self.array if len(args) == 1 else self._result_from(args[0], name)
        return (into or self._into)(ufunc, src, self._real(args[-1]))

    def _into_quotient(self, a, b):
        if self.dtype.kind == 'f':
            return self._into('true_divide', a, b)
        # integer tensors divide like C (Torch7): the quotient is truncated towards zero
        if type(self.array) is np.ndarray and repeats_elements(self.array):
            apply_in_visit_order(lambda x, y: np.trunc(np.true_divide(x, y)), a, b, self.array)
            return self
        q = self.xp.true_divide(a, b)
        self.xp.trunc(q, out=q)
        self.xp.copyto(self.array, q, casting='unsafe')
        return self

    def mul(self, *args):
        """``x.mul(v)`` in place or ``r.mul(x, v)``."""
        return self._scalar_op('multiply', 'mul', args)

    def div(self, *args):
        """``x.div(v)`` in place or ``r.div(x, v)``; integer tensors truncate towards zero as in Torch7."""
        if len(args) not in (1, 2) or not _is_number(args[-1]):
            return self._scalar_op('true_divide', 'div', args)  # raises the argument error
        return self._into_quotient(self.array if len(args) == 1 else self._result_from(args[0], 'div'),
                                   self._real(args[-1]))

    def fmod(self, *args):
        """``x.fmod(v)`` in place or ``r.fmod(x, v)``: remainder with the sign of the dividend (C's fmod)."""
        return self._scalar_op('fmod', 'fmod', args)

    mod = fmod   # TensorMath.lua's alias

    def remainder(self, *args):
        """``x.remainder(v)`` in place or ``r.remainder(x, v)``: remainder with the sign of the divisor, computed
        as Torch7's x - v * floor(x / v) (see ``remainder_into``)."""
        if len(args) not in (1, 2) or not _is_number(args[-1]):
            return self._scalar_op('remainder', 'remainder', args)   # raises the argument error
        src = self.array if len(args) == 1 else self._result_from(args[0], 'remainder')
        write_elementwise(remainder_into, src, self._real(args[-1]), self.array)
        return self

    def cfmod(self, *args):
        """``x.cfmod(y)`` in place or ``r.cfmod(x, y)``: element-wise C fmod (the dividend's sign)."""
        return self._tensor_op('fmod', 'cfmod', args)

    cmod = cfmod   # TensorMath.lua's deprecated alias

    def cremainder(self, *args):
        """``x.cremainder(y)`` in place or ``r.cremainder(x, y)``: element-wise ``remainder`` (the divisor's
        sign, NaN where y is 0 for floating types)."""
        if len(args) not in (1, 2):
            return self._tensor_op('remainder', 'cremainder', args)   # raises the argument error
        src = self.array if len(args) == 1 else self._result_from(args[0], 'cremainder')
        write_elementwise(remainder_into, src, self._same_count(args[-1], 'cremainder'), self.array)
        return self

    def _tensor_op(self, ufunc, name, args, into=None):
        into = into or self._into
        if len(args) == 1:
            return into(ufunc, self.array, self._same_count(args[0], name))
        if len(args) == 2:
            return into(ufunc, self._result_from(args[0], name), self._same_count(args[1], name))
        raise TypeError(f"{self._typename}.{name}: expected (tensor) or (tensor, tensor), got {len(args)} arguments")

    def cmul(self, *args):
        """``x.cmul(y)`` in place or ``r.cmul(x, y)``: element-wise product."""
        return self._tensor_op('multiply', 'cmul', args)

    def cdiv(self, *args):
        """``x.cdiv(y)`` in place or ``r.cdiv(x, y)``: element-wise quotient (truncated for integer tensors)."""
        if len(args) == 1:
            return self._into_quotient(self.array, self._same_count(args[0], 'cdiv'))
        if len(args) == 2:
            return self._into_quotient(self._result_from(args[0], 'cdiv'), self._same_count(args[1], 'cdiv'))
        raise TypeError(f"{self._typename}.cdiv: expected (tensor) or (tensor, tensor), got {len(args)} arguments")

    def _choose(self, comparison, name, args):
        """THTensor_(cmax)/(cmin)'s ``x > y ? x : y``: a NaN in x gives y and a NaN in y gives NaN (NumPy's
        maximum would give NaN for both; x.cmax(0) turns Torch7's NaNs into 0)."""
        if len(args) not in (1, 2):
            return self._tensor_op(comparison, name, args)   # raises the argument error
        a = self.array if len(args) == 1 else self._result_from(args[0], name)
        b = self._real(self._same_count(args[-1], name))

        def choose(xp, a, b, out):
            xp.copyto(out, xp.where(getattr(xp, comparison)(a, b), a, b), casting='unsafe')
        write_elementwise(choose, a, b, self.array)
        return self

    def cmax(self, *args):
        """``x.cmax(y)`` in place or ``r.cmax(x, y)``: element-wise maximum (y a tensor or a number), with
        Torch7's NaN rule (see ``_choose``)."""
        return self._choose('greater', 'cmax', args)

    def cmin(self, *args):
        """``x.cmin(y)`` in place or ``r.cmin(x, y)``: element-wise minimum, as ``cmax``."""
        return self._choose('less', 'cmin', args)

    def atan2(self, *args):
        """``y.atan2(x)`` in place or ``r.atan2(y, x)``: the angle of the point (x, y), C's atan2(y, x)."""
        return self._tensor_op('arctan2', 'atan2', args)

    def _into_power(self, ufunc, a, b):
        if self.dtype.kind == 'f':
            return self._into(ufunc, a, b)
        # THTensor_(cpow) calls C's pow(double, double) for every type and converts the double into the element:
        # an integer tensor's negative exponent gives 2**-1 = 0.5 -> 0 (NumPy's integer power raises), and
        # powers past 2**53 are the rounded double's, not the exact integer's
        def double_power(xp, a, b, out):
            xp.copyto(out, xp.power(xp.asarray(a, dtype=np.float64), xp.asarray(b, dtype=np.float64)), casting='unsafe')
        write_elementwise(double_power, a, b, self.array)
        return self

    def cpow(self, *args):
        """``x.cpow(y)`` in place or ``r.cpow(x, y)``: ``x`` to the element-wise power ``y``, through C's double
        ``pow`` for integer tensors as THTensor_(cpow)."""
        return self._tensor_op('power', 'cpow', args, into=self._into_power)

    def pow(self, *args):
        """``x.pow(v)`` in place, ``r.pow(x, v)`` (x**v) or ``r.pow(v, x)`` (v**x); an integer tensor's (which
        Torch7 has only in cpow) as cpow's, through C's double pow."""
        if len(args) == 2 and _is_number(args[0]):
            x = self._result_from(args[1], 'pow')
            return self._into_power('power', self._real(args[0]), x)
        if self.dtype.kind == 'f':
            return self._scalar_op('power', 'pow', args, into=self._into_power_by_value)
        return self._scalar_op('power', 'pow', args, into=self._into_power)

    def _into_power_by_value(self, _, a, value):
        write_elementwise(lambda xp, x, _, out: power_by_value_into(xp, x, value, out), a, None, self.array)
        return self

    def clamp(self, *args):
        """``x.clamp(lo, hi)`` in place or ``r.clamp(x, lo, hi)``: THTensor_(clamp)'s ``x < lo ? lo : (x > hi ?
        hi : x)``, so with ``lo > hi`` an element below lo becomes lo and any other hi (NaN stays NaN)."""
        if len(args) == 2:
            src = self.array
        elif len(args) == 3:
            src = self._result_from(args[0], 'clamp')
        else:
            raise TypeError(f"{self._typename}.clamp: expected (min, max) or (tensor, min, max)")
        lo, hi = self._real(args[-2]), self._real(args[-1])

        def clamp(xp, a, _, out):
            if lo > hi:   # NumPy's clip would give hi everywhere
                xp.copyto(out, xp.where(a < lo, lo, xp.minimum(a, hi)), casting='unsafe')
            else:
                xp.clip(a, lo, hi, out=out)
        write_elementwise(clamp, src, None, self.array)
        return self

    def _addc(self, ufunc, name, args):
        args = list(args)
        if len(args) in (3, 4) and not _is_number(args[0]):
            base = self._result_from(args.pop(0), name)
            if base is not self.array:
                self.array[...] = base
        value = self._real(args.pop(0)) if len(args) == 3 else 1
        if len(args) != 2:
            raise TypeError(f"{self._typename}.{name}: expected ([tensor,] [value,] t1, t2)")
        t1, t2 = self._same_count(args[0], name), self._same_count(args[1], name)
        # TH and THC round as ``value * t1`` then ``* t2`` (or ``/ t2``): that order gives Torch7's last bit
        prod = getattr(self.xp, ufunc)(t1 * value if value != 1 else t1, t2)
        if ufunc == 'true_divide' and self.dtype.kind != 'f':
            # an integer tensor's ``value * t1 / t2`` divides like C (TH's and THC's): truncated towards zero
            self.xp.trunc(prod, out=prod)
            prod = prod.astype(self.dtype)
        return self._into('add', self.array, prod)   # _into: an expanded x gets prod once per position, as TH

    def addcmul(self, *args):
        """``x.addcmul([v,] t1, t2)``: x += v * t1 * t2 (``r.addcmul(x, v, t1, t2)`` writes into r)."""
        return self._addc('multiply', 'addcmul', args)

    def addcdiv(self, *args):
        """``x.addcdiv([v,] t1, t2)``: x += v * t1 / t2 (``r.addcdiv(x, v, t1, t2)`` writes into r)."""
        return self._addc('true_divide', 'addcdiv', args)

    def lerp(self, *args):
        """``r.lerp(a, b, w)``: r = a + w * (b - a); ``x.lerp(b, w)`` in place."""
        if len(args) == 2:
            b, w = args
            a = self.array
        else:
            a = self._result_from(args[0], 'lerp')
            b, w = args[1], args[2]
        b = self._same_count(b, 'lerp')

        def lerp(xp, a, b, out):
            out[...] = a + w * (b - a)
        write_elementwise(lerp, a, b, self.array)
        return self

    # --- Python callbacks per element (Torch7's apply/map/map2; slow, for convenience) ---
    def _per_element(self, fn, others, what):
        sources = [self._same_count(o, what).reshape(-1).tolist() for o in others]
        values = self.array.reshape(-1).tolist()
        for i, v in enumerate(values):
            r = fn(v, *(src[i] for src in sources))
            if r is not None:
                values[i] = r
        self.array[...] = self.xp.asarray(values).reshape(self._size)
        return self

    def apply(self, fn):
        """``fn(x)`` on every element in order; a non-None return value replaces the element."""
        return self._per_element(fn, (), 'apply')

    def map(self, other, fn):
        """``fn(x, y)`` for every element x of this tensor and y of ``other``; non-None results replace x."""
        return self._per_element(fn, (other,), 'map')

    def map2(self, t1, t2, fn):
        """``fn(x, y, z)`` over this tensor, ``t1`` and ``t2``; non-None results replace x."""
        return self._per_element(fn, (t1, t2), 'map2')

    # --- comparisons (new ByteTensor, or into a ByteTensor result) -------
    def _compare(self, ufunc, name, args):
        from .tensor import TENSOR_CLASSES
        if len(args) == 1:
            res_arr = getattr(self.xp, ufunc)(self.array, self._real(operand(args[0])) if _is_number(operand(args[0]))
                                              else self._same_count(args[0], name))
            return TENSOR_CLASSES['CudaByteTensor' if self._cuda else 'ByteTensor']._from_result(res_arr)
        if len(args) == 2:
            src = operand(args[0])
            self.resize(tuple(src.shape))
            # the value is converted to the source's element type (ltValue's real), not the result's
            getattr(self.xp, ufunc)(src, self._real(operand(args[1]), src.dtype), out=self.array, casting='unsafe')
            return self
        raise TypeError(f"{self._typename}.{name}: expected (value or tensor) or (tensor, value or tensor)")

    def eq(self, *args):
        """``t.eq(v)``: a new ByteTensor, 1 where ``t == v`` (v: number or tensor); ``r.eq(x, v)`` writes into r."""
        return self._compare('equal', 'eq', args)

    def ne(self, *args):
        """``t.ne(v)``: a new ByteTensor, 1 where ``t != v``; ``r.ne(x, v)`` writes into ``r``."""
        return self._compare('not_equal', 'ne', args)

    def gt(self, *args):
        """``t.gt(v)``: a new ByteTensor, 1 where ``t > v``; ``r.gt(x, v)`` writes into ``r``."""
        return self._compare('greater', 'gt', args)

    def lt(self, *args):
        """``t.lt(v)``: a new ByteTensor, 1 where ``t < v``; ``r.lt(x, v)`` writes into ``r``."""
        return self._compare('less', 'lt', args)

    def ge(self, *args):
        """``t.ge(v)``: a new ByteTensor, 1 where ``t >= v``; ``r.ge(x, v)`` writes into ``r``."""
        return self._compare('greater_equal', 'ge', args)

    def le(self, *args):
        """``t.le(v)``: a new ByteTensor, 1 where ``t <= v``; ``r.le(x, v)`` writes into ``r``."""
        return self._compare('less_equal', 'le', args)

    def equal(self, other):
        """True when ``other`` has the same sizes and values."""
        arr = operand(other)
        return tuple(arr.shape) == self._size and bool(self.xp.all(self.array == arr))

    # --- NumPy ufuncs on tensors ----------------------------------------
    # Without this, ndarray.__add__ would take the tensor as an array and ``np.ones(3) + t`` would be an
    # ndarray while ``t + np.ones(3)`` is a tensor. The priority covers NumPy paths that skip ufuncs.
    __array_priority__ = 1000

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """Run a NumPy ufunc on the arrays behind tensor operands; array results come back as tensors
        (``out=`` tensors are written in place and returned), numbers stay numbers."""
        from .tensor import Tensor

        def unwrap(x):
            return x.array if isinstance(x, Tensor) else x
        out = kwargs.get('out')
        if out is not None:
            kwargs['out'] = tuple(unwrap(o) for o in out)
        result = getattr(ufunc, method)(*(unwrap(x) for x in inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        shape = getattr(result, 'shape', None)
        # ``ndarray - tensor`` comes here (NumPy's operator defers to this method), as does np.subtract: a result
        # of either operand's shape cannot be an ambiguous broadcast; a matrix product (a signature) pairs nothing
        if len(inputs) == 2 and shape is not None and (shape != getattr(inputs[0], 'shape', shape) or
                                                        shape != getattr(inputs[1], 'shape', shape)) and \
                method == '__call__' and ufunc.signature is None:
            warn_if_ambiguous(f'np.{ufunc.__name__}({{}}, {{}})', *inputs, shape)

        def wrap(r):
            return Tensor._from_result(r) if hasattr(r, 'ndim') and r.ndim else r
        return tuple(wrap(r) for r in result) if isinstance(result, tuple) else wrap(result)

    # --- Python operators: NumPy broadcasting, new tensors ---------------
    def _binop(self, other, fn, form=None, reflected=False, written=None, as_real=False):
        """``fn(self's array, other)`` as a new tensor; ``NotImplemented`` for an operand whose class declares
        ``__legonn_defer__`` (see ``DEFER_ATTRIBUTE``), so that Python calls its reflected operator. ``form``
        (``'{} - {}'``) names an element-wise operator: a result of another shape than this tensor's is checked
        for an ambiguous broadcast, of the operands as
        the caller wrote them (``reflected`` puts ``other`` on the left; ``written`` is ``other`` before a
        conversion the caller made). With ``as_real`` (TensorOperator.c's ``+ - * %``, and ``//``, an integer
        tensor's ``div``) an integer tensor takes a Python integer outside its range as Torch7 does, as its C
        real (luaG_checkreal): a ByteTensor's ``b + 300`` adds 44 and ``b * -1`` multiplies by 255, where NumPy
        raises OverflowError. ``/`` and the comparisons keep the number (they compute in a wider type), and
        ``**`` NumPy's rules (Torch7 has no power operator: a ByteTensor's ``b ** -1`` is NumPy's error, not a
        power of 255)."""
        from .tensor import Tensor
        try:
            arr = operand(other)
        except TypeError:
            # only after the tensor, array and number paths: those pay nothing for the check
            if getattr(type(other), DEFER_ATTRIBUTE, False):
                return NotImplemented
            raise
        if as_real and type(arr) is int:
            arr = stored_number(arr, self.array.dtype)
        result = self.xp.asarray(fn(self.array, arr))
        if result.shape != self._size and form is not None:
            other = other if written is None else written
            warn_if_ambiguous(form, *((other, self) if reflected else (self, other)), result.shape)
        return Tensor._from_result(result)

    def _comparison(self, other, fn, form):
        """An element-wise comparison operator; NotImplemented for operands that are no array or number,
        so ``t == None`` or ``t == 'a'`` falls back to Python's identity answer instead of failing."""
        try:
            arr = operand(other)   # converted once: _binop passes an array through
        except TypeError:
            return NotImplemented
        return self._binop(arr, fn, form, written=other)

    def _same_count_binop(self, other, fn, form, reflected=False):
        """``t + u`` / ``t - u`` of tensors whose sizes do not broadcast but hold as many elements:
        Torch7's operators (TensorOperator.c: copy ``t``, then ``cadd``) pair the elements in order
        and give ``t``'s sizes (``p[0:100] - linear.weight`` of a 10x10 weight); other shapes broadcast."""
        try:
            return self._binop(other, fn, form, reflected, as_real=True)
        except ValueError:
            arr = operand(other)
            if not hasattr(arr, 'shape') or arr.size != self.array.size:
                raise
            return self._binop(arr.reshape(self.array.shape), fn)

    def __add__(self, other):
        return self._same_count_binop(other, lambda a, b: a + b, '{} + {}')

    def __radd__(self, other):
        return self._same_count_binop(other, lambda a, b: b + a, '{} + {}', True)

    def __sub__(self, other):
        return self._same_count_binop(other, lambda a, b: a - b, '{} - {}')

    def __rsub__(self, other):
        return self._binop(other, lambda a, b: b - a, '{} - {}', True, as_real=True)

    def __mul__(self, other):
        return self._binop(other, lambda a, b: a * b, '{} * {}', as_real=True)

    def __rmul__(self, other):
        return self._binop(other, lambda a, b: b * a, '{} * {}', True, as_real=True)

    def __truediv__(self, other):
        return self._binop(other, lambda a, b: a / b, '{} / {}')

    def __rtruediv__(self, other):
        return self._binop(other, lambda a, b: b / a, '{} / {}', True)

    def __pow__(self, other):
        return self._binop(other, lambda a, b: a ** b, '{} ** {}')

    def __rpow__(self, other):
        return self._binop(other, lambda a, b: b ** a, '{} ** {}', True)

    # a matrix product contracts its operands instead of pairing their elements: no pairing to warn about
    def __matmul__(self, other):
        return self._binop(other, lambda a, b: a @ b)

    def __rmatmul__(self, other):
        return self._binop(other, lambda a, b: b @ a)

    def __floordiv__(self, other):
        return self._binop(other, lambda a, b: a // b, '{} // {}', as_real=True)

    def __rfloordiv__(self, other):
        return self._binop(other, lambda a, b: b // a, '{} // {}', True, as_real=True)

    # TensorOperator.c's ``t % v`` is THTensor_(remainder): x - v * floor(x / v) for floating tensors, which
    # differs from NumPy's exact remainder in the last bits (a sixth of double elements drawn in -10 .. 10)
    def __mod__(self, other):
        return self._binop(other, lambda a, b: _th_remainder(self.xp, a, b), '{} % {}', as_real=True)

    def __rmod__(self, other):
        return self._binop(other, lambda a, b: _th_remainder(self.xp, b, a), '{} % {}', True, as_real=True)

    def __neg__(self):
        return self._binop(0, lambda a, _: -a)

    def __abs__(self):
        return self._binop(0, lambda a, _: abs(a))

    # Comparisons are element-wise like PyTorch's and NumPy's, == and != included: they return a
    # ByteTensor. Tensors still hash by identity (see Tensor.__hash__), so they work as dict keys.
    def __lt__(self, other):
        return self._comparison(other, lambda a, b: a < b, '{} < {}')

    def __le__(self, other):
        return self._comparison(other, lambda a, b: a <= b, '{} <= {}')

    def __gt__(self, other):
        return self._comparison(other, lambda a, b: a > b, '{} > {}')

    def __ge__(self, other):
        return self._comparison(other, lambda a, b: a >= b, '{} >= {}')

    def __eq__(self, other):
        return self._comparison(other, lambda a, b: a == b, '{} == {}')

    def __ne__(self, other):
        return self._comparison(other, lambda a, b: a != b, '{} != {}')

    def _inplace(self, other, ufunc, symbol, pairs=False, apply=None):
        """``self <symbol>= other`` written into this tensor's elements (views of it see the change), ``other``
        broadcast into its sizes. With ``pairs`` (``+=``, ``-=``, as Torch7's ``x:add(y)``, ``x:csub(y)``: cadd)
        an ``other`` that cannot broadcast but holds as many elements is paired with them in order, as ``+`` and
        ``-`` do; any other size that cannot go into this tensor's is a ValueError naming the operator and both
        sizes."""
        arr, sizes = operand(other), self.array.shape
        shape = getattr(arr, 'shape', sizes)
        if shape != sizes and not _broadcasts_into(shape, sizes):   # equal sizes (and numbers) skip the test
            if not (pairs and math.prod(shape) == self.array.size):
                raise ValueError(f"{self.type()}: x {symbol}= y needs y of x's size {_sizes(sizes)} or one that "
                                 f"broadcasts into it, got y of size {_sizes(shape)}")
            arr = arr.reshape(sizes)
        if type(arr) is int:
            arr = stored_number(arr, self.array.dtype)   # as _binop: ``b += 300`` adds 44 to a ByteTensor
        if apply is None:
            def apply(xp, a, b, out):
                getattr(xp, ufunc)(a, b, out=out, casting='same_kind')
        write_elementwise(apply, self.array, arr, self.array)   # an expanded x as x:add(y) (TH_TENSOR_APPLY)
        return self

    def __iadd__(self, other):
        return self._inplace(other, 'add', '+', pairs=True)

    def __isub__(self, other):
        return self._inplace(other, 'subtract', '-', pairs=True)

    # Torch7's ``*`` of two tensors is a matrix product and ``/`` takes a number (TensorOperator.c): neither
    # pairs elements, so ``*=`` and ``/=`` only broadcast
    def __imul__(self, other):
        return self._inplace(other, 'multiply', '*')

    def __itruediv__(self, other):
        return self._inplace(other, 'true_divide', '/')

    # without these Python would rebind ``x **= 2`` to a new tensor, leaving x's views (and x's other names)
    # unchanged, where Torch7's ``x:pow(2)`` and ``x:remainder(n)`` write into x
    def __ipow__(self, other):
        return self._inplace(other, 'power', '**')

    def __ifloordiv__(self, other):
        return self._inplace(other, 'floor_divide', '//')

    def __imod__(self, other):
        return self._inplace(other, 'remainder', '%', apply=remainder_into if self.dtype.kind == 'f' else None)


for _name, _apply in UNARY.items():
    setattr(PointwiseMixin, _name, _unary(_name, _apply))
