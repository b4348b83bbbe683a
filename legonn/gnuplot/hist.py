"""gnuplot.lua's histograms (hist.lua): ``histc`` counts a tensor's values in equal bins and prints them as
a text chart; ``hist`` also plots the counts as boxes at the bin centres."""
import numpy as np

from ..tensor import as_tensor
from .plots import bar


class Histogram:
    """hist.lua's histogram table: ``raw`` (the counts, a DoubleTensor), ``bins``, ``binwidth``, ``entries``
    (one ``{'val': centre, 'nb': count}`` per bin), ``max``/``min`` (the 0-based bins holding the most and
    fewest values; 1-based in Lua). ``str()`` draws it as hist.lua's text chart."""

    def __init__(self, raw, lo, hi):
        counts = raw.numpy()
        self.raw, self.bins = raw, len(counts)
        self.binwidth = (hi - lo) / self.bins
        self.entries = [{'val': lo + (i + 0.5) * self.binwidth, 'nb': float(c)} for i, c in enumerate(counts)]
        self.max, self.min = int(np.argmax(counts)), int(np.argmin(counts))

    def __len__(self):
        return self.bins

    def __getitem__(self, i):
        return self.entries[i]

    def __str__(self, bar_height=10):
        top = self.entries[self.max]['nb']
        step = top / (bar_height + 1)
        level, started = top - step, [False] * self.bins
        lo, hi = self.entries[self.min], self.entries[self.max]
        lines = [f"nsamples:  min:(bin:{self.min}/#{lo['nb']:.0f}/cntr:{lo['val']:2.2f})  "
                 f"max:(bin:{self.max}/#{hi['nb']:.0f}/cntr:{hi['val']:2.2f})",
                 '--------:' + '-' * self.bins]
        for _ in range(bar_height):
            row = []
            for j, entry in enumerate(self.entries):
                if started[j]:
                    row.append('|')
                elif entry['nb'] < level:
                    row.append(' ')
                else:
                    # the bar starts in this row: a full, two-thirds or one-third mark for where it tops
                    started[j] = True
                    part = (top - entry['nb']) / step
                    row.append('|' if part > 0.66 else ':' if part > 0.33 else '.')
            lines.append(f'{level:1.2e}:' + ''.join(row))
            top, level = level, level - step
        marks = [j for j in range(self.bins) if (j - 1) % 6 == 0]
        lines.append('--------:' + ''.join('^' if j in marks else '-' for j in range(self.bins)))
        lines.append('centers ' + ''.join(('-' if self.entries[j]['val'] < 0 else '+')
                                           + f"{abs(self.entries[j]['val']):1.2f} " for j in marks))
        return '\n'.join(lines)


def histc(tensor, bins=72, min=None, max=None, raw=False):
    """Counts of ``tensor``'s values in ``bins`` equal bins over [min, max] (the tensor's own range by
    default), as ``torch.histc`` in double; with ``raw`` the counts (a DoubleTensor of ``bins``), else a
    ``Histogram``."""
    t = as_tensor(tensor).double()
    lo = float(t.min()) if min is None else float(min)
    hi = float(t.max()) if max is None else float(max)
    counts = t.histc(bins, lo, hi)
    if raw:
        return counts
    return Histogram(counts, lo, hi)


def hist(tensor, bins=72, min=None, max=None):
    """``histc``, plotted as boxes of the counts at the bin centres; returns the ``Histogram``."""
    h = histc(tensor, bins, min, max)
    centres = np.array([entry['val'] for entry in h.entries])
    bar(centres, h.raw)
    return h
