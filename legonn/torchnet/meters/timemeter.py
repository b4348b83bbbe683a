"""TimeMeter (torchnet's meter/timemeter.lua), on legonn's ``Timer`` (Torch7's ``torch.Timer``)."""
from ...tensor.timer import Timer
from ..arguments import named_table
from .meter import Meter, lua_div, number


class TimeMeter(Meter):
    """Wall-clock seconds since creation or ``reset()``, not counting the time between ``stop()`` and
    ``resume()``; ``value()`` divides them by the units counted by ``incUnit(value=1)`` when ``unit`` (the time
    per batch, say)."""

    @named_table
    def __init__(self, unit=False):
        self.unit = bool(unit)
        self.timer = Timer()
        self.reset()

    def reset(self):
        self.timer.reset()
        self.n = 0

    def stop(self):
        self.timer.stop()

    def resume(self):
        self.timer.resume()

    def incUnit(self, value=1):
        self.n += number(self, 'incUnit', 'value', value)

    def value(self):
        time = self.timer.time()['real']
        return lua_div(time, self.n) if self.unit else time
