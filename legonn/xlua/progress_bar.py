"""``xlua.progress``: xlua's text progress bar, drawn on stdout as xlua draws it.

``[====>......]  ETA: 1m5s | Step: 12ms`` with the count written over the bar's middle (by backspaces),
the width that of the terminal (``$COLUMNS``, else the terminal's, else 80; at most 120), a bar of
``width - 34`` characters, timings averaged over the last 100 calls. tqdm, legonn's progress-bar
dependency, draws its own layout; scripts and logs that expect xlua's get xlua's.
"""
import math
import numbers
import shutil
import sys
import time

from ..tensor.introspection import tostring
from .printing import formatTime

_clock = time.perf_counter   # the wall clock of the timings (torch.Timer's real time in xlua)
_SMOOTHING = 100             # calls the ETA and step average over


def _term_length():
    """The terminal's width in columns, at most 120 (xlua's ``tput cols``, 80 when unknown)."""
    return min(shutil.get_terminal_size((80, 24)).columns, 120)


class _Bar:
    """The state xlua keeps between calls: whether the last bar completed, its last fill, its clock start,
    and the (count, time) of its recent calls."""

    def __init__(self):
        self.done = True
        self.previous = -1
        self.start = 0.0
        self.indices = []
        self.times = []

    def update(self, current, goal):
        """Draw the bar for 0-based ``current`` of ``goal`` (see ``progress``)."""
        term = _term_length()
        bar_length = max(term - 34, 1)
        # the distance from the previous call of a running bar: the call whose step reaches the goal is the last
        stride = 1 if self.done else max(current + 1 - self.indices[-1], 1)
        shown = goal if current + stride >= goal else current + 1
        percent = math.floor(shown * bar_length / goal)
        new_bar = self.done and (self.previous == -1 or percent < self.previous)
        if self.done and not new_bar:
            # a completed bar ignores calls until one goes back to an earlier point (the next epoch); xlua
            # still writes its carriage return
            sys.stdout.write('\r')
            sys.stdout.flush()
            return
        if new_bar:
            self.done, self.start, self.indices, self.times = False, _clock(), [shown], [0.0]
        self.previous = percent
        out = [] if new_bar else ['\r']
        out.append(' [' + ''.join('=' if i < percent else '>' if i == percent else '.'
                                  for i in range(1, bar_length + 1)) + '] ')
        pad = term - bar_length - 4
        out.append(' ' * pad + '\b' * pad)
        elapsed = _clock() - self.start
        step = 0 if shown == self.indices[0] else (elapsed - self.times[0]) / (shown - self.indices[0])
        remaining = max(0, (goal - shown) * step)
        self.indices.append(shown)
        self.times.append(elapsed)
        if len(self.indices) > _SMOOTHING:
            del self.indices[0], self.times[0]
        tm = (f" ETA: {formatTime(remaining)}" if percent < bar_length else f" Tot: {formatTime(elapsed)}") + \
            f" | Step: {formatTime(step)}"
        out.append(tm + '\b' * int(5 + len(tm) + bar_length / 2))   # back to the bar's middle
        out.append(f" {tostring(shown)}/{tostring(goal)} ")
        if percent == bar_length:
            self.done = True
            out.append('\n')
        out.append('\r')
        sys.stdout.write(''.join(out))
        sys.stdout.flush()


_BAR = _Bar()


def progress(current, goal):
    """Draw xlua's progress bar at item ``current`` of ``goal``.

    ``current`` is 0-based: the index of the item (or of the batch's first item) being processed. The bar
    shows ``current + 1`` of ``goal``, the count Lua's 1-based call showed, and completes (full bar, total
    time, newline) at the call whose step from the previous call reaches ``goal``: the last call of
    ``for i in range(n): xlua.progress(i, n)`` and of ``for t in range(0, n, bs): xlua.progress(t, n)``.
    ``progress(goal, goal)`` completes it too (a ``current`` past ``goal`` counts as ``goal``). After a
    completed bar, the next call that goes back (the next epoch) starts a new one."""
    for name, value in (('current', current), ('goal', goal)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise TypeError(f"xlua.progress: {name} must be a finite number, got {value!r}")
    if goal <= 0 or current < 0:
        raise ValueError(f"xlua.progress: expected 0 <= current and 0 < goal, got current={current!r}, "
                         f"goal={goal!r}")
    _BAR.update(min(current, goal), goal)
