"""Meters of averages: AverageValueMeter, MovingAverageValueMeter, MSEMeter (torchnet's meter/
averagevaluemeter.lua, movingaveragevaluemeter.lua, msemeter.lua)."""
import numpy as np

from ...tensor import default_class
from ..arguments import named_table
from .meter import Meter, count, host_array, lua_div, lua_sqrt, number


class AverageValueMeter(Meter):
    """The mean and the unbiased standard deviation of the numbers given to ``add(value, n=1)``, each counted
    ``n`` times (a weight). ``value()`` returns ``(mean, std)``: NaN where undefined (no values; one value's
    std), as Lua's 0/0."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.sum, self.n, self.var = 0.0, 0.0, 0.0

    @named_table
    def add(self, value, n=1):
        value = number(self, 'add', 'value', value)
        n = number(self, 'add', 'n', n)
        if n < 0:
            raise ValueError(f"{self.name}.add: example weights cannot be negative, got n={n}")
        self.sum += n * value
        self.var += n * value * value
        self.n += n

    def value(self):
        mean = lua_div(self.sum, self.n)
        return mean, lua_sqrt(lua_div(self.var - self.n * mean * mean, self.n - 1))


class MovingAverageValueMeter(Meter):
    """The mean and the standard deviation of the last ``windowsize`` numbers given to ``add(value)``. The
    window is a tensor of the default type (``valuequeue``, as torchnet's ``torch.Tensor(windowsize)``), so its
    values are rounded to float unless the default type is double, as in Torch7. ``value()`` returns
    ``(mean, std)``, with the counts Lua takes: ``n = min(added, windowsize)``, mean = sum / max(1, n),
    std = sqrt((sum of squares - n mean^2) / max(1, n - 1))."""

    @named_table
    def __init__(self, windowsize):
        self.windowsize = count('tnt.MovingAverageValueMeter', 'windowsize', windowsize)
        self.valuequeue = default_class()(self.windowsize)
        self.reset()

    def reset(self):
        self.sum, self.n, self.var = 0.0, 0, 0.0
        self.valuequeue.fill(0)

    @named_table
    def add(self, value):
        value = number(self, 'add', 'value', value)
        queue = self.valuequeue.array
        slot = self.n % self.windowsize
        old = float(queue[slot])
        self.sum += value - old
        self.var += value * value - old * old
        queue[slot] = value
        self.n += 1

    def value(self):
        n = min(self.n, self.windowsize)
        mean = self.sum / max(1, n)
        return mean, lua_sqrt((self.var - n * mean * mean) / max(1, n - 1))


class MSEMeter(Meter):
    """The mean squared error over every element given to ``add(output, target)`` (tensors of one size and
    type), or its root when ``root``. Each batch's squares are computed in the tensors' type and summed in
    double, as Torch7's ``torch.add(output, -target):pow(2):sum()``."""

    @named_table
    def __init__(self, root=False):
        self.reset()
        self.root = bool(root)

    def reset(self):
        self.n, self.sesum = 0, 0.0

    @named_table
    def add(self, output, target):
        out = host_array(self, 'add', 'output', output)
        tgt = host_array(self, 'add', 'target', target)
        if out.shape != tgt.shape:
            raise ValueError(f"{self.name}.add: output and target not the same size: {tuple(out.shape)} and "
                             f"{tuple(tgt.shape)}")
        if out.dtype != tgt.dtype:
            raise TypeError(f"{self.name}.add: output and target not the same type: {out.dtype} and {tgt.dtype}")
        diff = out - tgt
        self.n += out.size
        self.sesum += float(np.sum((diff * diff).astype(np.float64)))

    def value(self):
        mse = self.sesum / max(1, self.n)
        return lua_sqrt(mse) if self.root else mse
