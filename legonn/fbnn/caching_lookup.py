"""fbnn's CachingLookupTable: a write-back cache of a LookupTable's rows, whose updates reach the table when a
row is evicted or flushed (CachingLookupTable.lua)."""
import math

from ..modules.base.module import Module
from ..serialization.classes import register_builtin
from ..tensor.random import SCALAR_DRAWS
from .base import FbnnClass
from .lookups import ZeroIndexGradient

_ROWS_PER_WAY = 8


class _Way:
    """A fully associative part of the cache: at most ``size`` rows (copies of the backing table's), each with
    the updates not yet written back."""

    def __init__(self, size, backing, stats):
        self.size, self.backing, self.stats = size, backing, stats
        self.rows = {}
        self.bufferedGrads = {}

    def pull(self, row):
        """The cached copy of ``row``, read from the backing table on a miss (after making room)."""
        if row in self.rows:
            self.stats['hit'] += 1
            return self.rows[row]
        self.stats['miss'] += 1
        self.trim()
        self.rows[row] = self.backing.weight.array[row].copy()
        return self.rows[row]

    def updateRow(self, row, addend, lr=1.0):
        """``row -= lr * addend`` in the cache, the change buffered for the write-back."""
        self.pull(row)[...] -= lr * addend
        buffered = self.bufferedGrads.setdefault(row, self.backing.weight.xp.zeros_like(addend))
        buffered -= lr * addend

    def writeBackOne(self, row):
        if row in self.bufferedGrads:
            self.backing.weight.array[row] += self.bufferedGrads.pop(row)

    def evict(self, row=None):
        """Write ``row`` (default: one drawn at random from the cached rows) back and drop it."""
        if row is None:
            rows = list(self.rows)
            row = rows[int(SCALAR_DRAWS['random'](len(rows)))]  # 0-based [0, n): every cached row can go
        self.writeBackOne(row)
        del self.rows[row]
        self.stats['evict'] += 1

    def trim(self):
        while len(self.rows) >= self.size:
            self.evict()

    def flush(self):
        for row in list(self.rows):
            self.evict(row)
        self.stats['flush'] += 1


class CachingLookupTable(ZeroIndexGradient, FbnnClass, Module):
    """nn.CachingLookupTable(backingLut, numRows): forward looks rows of ``backingLut`` (a LookupTable) up through
    a write-back cache of about ``numRows`` rows (ways of 8 rows; a full way evicts a random row); input
    ``(n,)`` or ``(batch, n)`` 0-based indices, output ``(..., nOutput)``. Only
    ``accUpdateGradParameters(input, gradOutput, lr)`` trains it: each row ``-= lr * gradOutput[i]`` in the
    cache, reaching the backing table on eviction or ``flush()``, so several caches over one table lose no
    update. ``accGradParameters``, ``zeroGradParameters`` and ``updateParameters`` raise NotImplementedError,
    as the Lua's assert. ``stats`` counts hits, misses, evictions and flushes; ``readRow``, ``writeRow``,
    ``updateRow``, ``updateRows`` (straight to the table), ``dumpStats``. gradInput is zeros of the input's
    size. Which row a full way evicts comes from legonn's generator (the Lua's from table order too).
    """

    input_ranks = (1, 2)
    input_dtypes = 'any'   # integer indices

    def __init__(self, backingLut, numRows, *ignored):
        super().__init__()
        weight = getattr(backingLut, 'weight', None)
        if weight is None or weight.dim() != 2:
            raise TypeError(f"CachingLookupTable: expected a LookupTable to cache, got {type(backingLut).__name__}")
        if not 1 <= numRows <= weight.size(0):
            raise ValueError(f"CachingLookupTable: expected numRows in [1, {weight.size(0)}] (the table's rows), "
                             f"got {numRows}")
        self.backing = backingLut
        self.numRows = numRows
        self.numCols = weight.size(1)
        self.numWays = math.ceil(numRows / _ROWS_PER_WAY)
        self.stats = {'hit': 0, 'miss': 0, 'evict': 0, 'flush': 0}
        self.ways = [_Way(_ROWS_PER_WAY, backingLut, self.stats) for _ in range(self.numWays)]

    def _way(self, row):
        return self.ways[row % self.numWays]

    def _indices(self, input):
        self.checkInput(input)
        return self.checkIndices(input, self.backing.weight.size(0), 'indices').reshape(-1).tolist()

    def flush(self):
        for way in self.ways:
            way.flush()

    def dumpStats(self):
        for name, count in self.stats.items():
            print('STAT', name, count)

    def accUpdateOnly(self):
        self.backing.accUpdateOnly()
        return self

    def reset(self, stdv=None):
        self.flush()
        self.backing.reset(stdv)
        return self

    def readRow(self, row):
        return self._way(row).pull(row)

    def writeRow(self, row, val):
        self._way(row).pull(row)[...] = getattr(val, 'array', val)

    def updateRow(self, row, val, lr=1.0):
        self._way(row).updateRow(row, getattr(val, 'array', val), lr)

    def updateRows(self, rows, val):
        """``table.weight[rows[i]] += val[i]`` in the backing table itself (not through the cache)."""
        for i, row in enumerate(rows.tolist()):
            self.backing.weight.array[int(row)] += val.array[i]

    def updateOutput(self, input):
        rows = self._indices(input)
        out = self.bufferLike('output', self.backing.weight, tuple(input.size()) + (self.numCols,))
        flat = out.reshape(-1, self.numCols)
        for i, row in enumerate(rows):
            flat[i] = self.readRow(row)
        return self.output

    def _not_implemented(self, name):
        raise NotImplementedError(f"{self.shortName()}: {name} is not implemented (CachingLookupTable.lua asserts; "
                                  "train it with accUpdateGradParameters)")

    def accGradParameters(self, input, gradOutput, scale=1):
        self._not_implemented('accGradParameters')

    def zeroGradParameters(self):
        self._not_implemented('zeroGradParameters')

    def updateParameters(self, learningRate):
        self._not_implemented('updateParameters')

    def accUpdateGradParameters(self, input, gradOutput, lr=1.0):
        rows = self._indices(input)
        go = gradOutput.array.reshape(len(rows), self.numCols)
        touched = set()
        for i, row in enumerate(rows):
            self._way(row).updateRow(row, go[i], lr)
            touched.add(row % self.numWays)
        # back to each way's equilibrium size
        for w in touched:
            self.ways[w].trim()

    def type(self, typename=None, cache=None):
        if typename is None:
            return super().type()
        self.flush()
        return super().type(typename, cache)


# a saved CachingLookupTable holds its ways
register_builtin('fbnn.CachingLookupTable.Way', _Way)
