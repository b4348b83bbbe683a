"""``tnt.Meter``, the base of every meter (torchnet's meter/init.lua), and what the meters share: their inputs
read as host arrays, and Lua's arithmetic on numbers (0/0 is NaN there, not an error).

A meter keeps its observations on the host, as torchnet's do (they copy what ``add`` gets into Double and Long
tensors): CUDA inputs are copied over."""
import numbers

import numpy as np

from ...tensor import Tensor, backend
from ...tensor.indexing import is_whole
from ...tensor.naming import TorchNamed


class Meter(TorchNamed):
    """Measures something over the observations given to ``add``: ``reset()`` forgets them, ``value()`` says what
    they measure. Every meter of torchnet but TimeMeter has the three; a subclass writes them."""

    # lg.typename: 'tnt.' and the class name, as torchnet registers its classes (torch.class('tnt.Meter')
    # in meter/init.lua:14), here and in every class derived from this one
    lua_package = 'tnt'

    def reset(self):
        raise NotImplementedError(f"{self.name}.reset: a tnt.Meter should implement reset()")

    def add(self, *args):
        raise NotImplementedError(f"{self.name}.add: a tnt.Meter should implement add()")

    def value(self, *args):
        raise NotImplementedError(f"{self.name}.value: a tnt.Meter should implement value()")

    @property
    def name(self):
        """``tnt.<Class>``, as errors name the meter."""
        return f"tnt.{type(self).__name__}"

    def __repr__(self):
        return f"{self.name}()"


def host_array(meter, method, what, value):
    """``value`` (a legonn.Tensor, a NumPy or CuPy array, or a list of numbers) as a NumPy array, CUDA data copied
    over; a TypeError naming ``meter.method`` and the argument ``what`` for anything else."""
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, np.ndarray) or backend.is_cupy_array(value):
        return backend.to_module(value, np)
    if isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value)
        except ValueError:     # a ragged list
            array = None
        if array is not None and array.dtype.kind in 'biuf':
            return array
    raise TypeError(f"{meter.name}.{method}: expected {what} as a tensor, got {type(value).__name__}")


def scores_and_targets(meter, output, target, what='target', squeeze=True):
    """``output`` (squeezed first when ``squeeze``) and ``target`` as N x K arrays of one size, a vector being one
    example's K, as the precision, recall and NDCG meters take them; a ValueError naming the meter and ``what``
    the target is otherwise."""
    out = host_array(meter, 'add', 'output', output)
    tgt = host_array(meter, 'add', what, target)
    out, tgt = (a.reshape(1, -1) if a.ndim <= 1 else a for a in (np.squeeze(out) if squeeze else out, tgt))
    if out.ndim != 2 or tgt.ndim != 2:
        raise ValueError(f"{meter.name}.add: wrong output or {what} size: {tuple(out.shape)} and "
                         f"{tuple(tgt.shape)} (1D or 2D expected)")
    if out.shape != tgt.shape:
        raise ValueError(f"{meter.name}.add: {what} and output do not match: {tuple(tgt.shape)} and "
                         f"{tuple(out.shape)}")
    return out, tgt


def check_binary(meter, array, message):
    """A ValueError ``<meter>.add: <message>`` unless every value of ``array`` is 0 or 1."""
    if not np.all((array == 0) | (array == 1)):
        raise ValueError(f"{meter.name}.add: {message}")


def number(meter, method, what, value):
    """``value`` as a Python float when it is a real number (Lua's number), else a TypeError naming the meter."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{meter.name}.{method}: expected {what} as a number, got {type(value).__name__}")


def count(owner, what, value):
    """``value`` as an int when it is a positive whole number (``3`` or ``3.0``: Lua's numbers are doubles), else a
    ValueError naming ``owner``."""
    if not is_whole(value) or value < 1:
        raise ValueError(f"{owner}: expected {what} as a positive integer, got {value!r}")
    return int(value)


def levels(meter, what, values):
    """A list of positive integers (ClassErrorMeter's topk, NDCGMeter's K, ...; whole numbers such as ``5.0``
    too), sorted as torchnet sorts them."""
    if not isinstance(values, (list, tuple)) or not values or not all(is_whole(v) and v > 0 for v in values):
        raise ValueError(f"{meter.name}: expected {what} as a non-empty list of positive integers, got {values!r}")
    return sorted(int(v) for v in values)


def by_level(meter, level, measured, one, unknown):
    """``value(level)`` of a meter measuring several levels (topk, thresholds, K): ``one(level)``, or
    ``{k: one(k)}`` for each level of ``measured`` (a dict keyed by them) when ``level`` is None; a level
    not in ``measured`` is a ValueError ``<meter>.value: <unknown(level)>``."""
    if level is None:
        return {k: one(k) for k in measured}
    if level not in measured:
        raise ValueError(f"{meter.name}.value: {unknown(level)}")
    return one(level)


def lua_div(a, b):
    """a / b as Lua computes it on numbers: IEEE division, so 0/0 is NaN and 1/0 infinity."""
    with np.errstate(divide='ignore', invalid='ignore'):
        return float(np.float64(a) / np.float64(b))


def sum_in_order(values):
    """The sum of a float64 array as THTensor_(sumall) adds a DoubleTensor, first to last (a number; 0 for none):
    NumPy's pairwise sum rounds otherwise, tens of ulps apart for 10^5 terms."""
    return float(np.add.accumulate(values)[-1]) if values.size else 0.0


def lua_sqrt(a):
    """math.sqrt as Lua's: NaN for a negative number."""
    with np.errstate(invalid='ignore'):
        return float(np.sqrt(np.float64(a)))
