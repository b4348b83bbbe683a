"""DataLoader: the interface of every dataload loader (DataLoader.lua), and its two iterators.

Indices are 0-based: ``sub(start, stop)`` takes rows ``start .. stop`` inclusive (Torch7's ``sub(1, 100)`` is
``sub(0, 99)``), ``sample`` draws indices in ``[0, size())``. Batches are legonn Tensors written into the
``inputs``/``targets`` buffers a call is given, resized, as dataload's are: an iterator hands each call the
previous batch's tensors, so a batch kept across iterations must be ``clone()``d.
"""
import copy
import gc

from ..tensor import LongTensor
from ..tensor.indexing import is_whole
from ..tensor.naming import TorchNamed


def check_count(where, name, value, positive=True):
    """``value`` as an int, or a TypeError/ValueError naming ``where`` when it is not a (positive) integer; a
    whole-number float (``32.0``) counts, as Lua's numbers are doubles."""
    if not is_whole(value):
        raise TypeError(f"{where}: {name} must be an integer, got {type(value).__name__} {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{where}: {name} must be positive, got {value}")
    return int(value)


def epoch_size(where, epochsize, size):
    """The number of samples an iterator yields: ``epochsize``, or ``size`` when it is None or not positive
    (the Lua's ``-1`` default)."""
    if epochsize is None:
        return size
    return check_count(where, 'epochsize', epochsize, positive=False) if epochsize > 0 else size


class DataLoader(TorchNamed):
    """Base class: a subclass writes ``index``, ``size``, ``isize``, ``tsize``, ``shuffle`` and ``split`` (or
    overrides ``sub``/``sample``); ``sample``, ``sub``, ``subiter`` and ``sampleiter`` then work."""

    _indices = None
    _start = None
    _gcdelay = 200   # collectgarbage's default gcdelay

    def _not_implemented(self, method, hint=''):
        raise NotImplementedError(f"{type(self).__name__}.{method} is not implemented{hint}")

    def index(self, indices, inputs=None, targets=None, *args):
        """The samples ``indices`` (0-based LongTensor) as ``(inputs, targets)``, written into the buffers."""
        self._not_implemented('index')

    def sample(self, batchsize, inputs=None, targets=None, *args):
        """``batchsize`` samples drawn uniformly with replacement from ``[0, size())`` with legonn's generator,
        as ``index`` returns them."""
        batchsize = check_count(f"{type(self).__name__}.sample", 'batchsize', batchsize)
        self._indices = LongTensor() if self._indices is None else self._indices
        self._indices.resize(batchsize).random(0, self.size())
        return self.index(self._indices, inputs, targets, *args)

    def sub(self, start, stop, inputs=None, targets=None, *args):
        """Samples ``start .. stop`` (0-based, inclusive), as ``index`` returns them."""
        start, stop = self._check_range(f"{type(self).__name__}.sub", start, stop)
        self._indices = LongTensor() if self._indices is None else self._indices
        self._indices.range(start, stop)
        return self.index(self._indices, inputs, targets, *args)

    def _check_range(self, where, start, stop):
        """``(start, stop)`` as ints, or an error naming ``where`` unless ``0 <= start <= stop < size()``."""
        start, stop = check_count(where, 'start', start, False), check_count(where, 'stop', stop, False)
        if not 0 <= start <= stop < self.size():
            raise ValueError(f"{where}: expected 0 <= start <= stop < size() = {self.size()} (0-based, inclusive), "
                             f"got start={start}, stop={stop}")
        return start, stop

    def _next_range(self, bs, size):
        """``(start, stop)`` of the next ``subiter`` batch of at most ``bs`` samples: from where the previous
        one stopped to the end at most; the position moves past it, wrapping to 0 at the end."""
        start = self._start or 0
        stop = min(start + bs - 1, size - 1)
        self._start = stop + 1 if stop + 1 < size else 0
        return start, stop

    def shuffle(self):
        """Shuffle the samples in place."""
        self._not_implemented('shuffle')

    def split(self, ratio):
        """Two loaders: the first ``floor(size() * ratio)`` samples, and the rest."""
        self._not_implemented('split')

    def size(self):
        """The number of samples."""
        self._not_implemented('size')

    def isize(self, excludedim=0):
        """The sizes of the inputs as a list (nested like them), dimension ``excludedim`` (0-based) left out;
        ``isize(False)`` keeps every dimension."""
        self._not_implemented('isize')

    def tsize(self, excludedim=0):
        """The sizes of the targets, as ``isize``."""
        self._not_implemented('tsize')

    def reset(self):
        """Forget the index buffer and where ``subiter`` stopped (AsyncIterator calls it before copying the
        loader to its workers)."""
        self._indices = None
        self._start = None

    def collectgarbage(self):
        """Run Python's garbage collector (``_force_collect``) every ``gcdelay`` (default 200) calls; the
        iterators call this once a batch."""
        self.gcdelay = getattr(self, 'gcdelay', self._gcdelay)
        self.gccount = getattr(self, 'gccount', 0) + 1
        if self.gccount >= self.gcdelay:
            self._force_collect()
            self.gccount = 0

    def _force_collect(self):
        gc.collect()

    def clone(self, *names):
        """A deep copy; the attributes ``names`` of the copy are this loader's own objects (shared)."""
        clone = copy.deepcopy(self)
        for name in names:
            setattr(clone, name, getattr(self, name))
        return clone

    def subiter(self, batchsize=32, epochsize=None, *args):
        """A generator of ``(nsampled, inputs, targets, ...)`` over consecutive batches of ``batchsize``
        samples, ``epochsize`` samples in all (None or -1: ``size()``). It starts where the previous ``subiter``
        of this loader stopped and wraps around to sample 0 at the end; a batch never crosses the end, so
        the one before the wrap may be short. For validation and test sets."""
        where = f"{type(self).__name__}.subiter"
        batchsize = check_count(where, 'batchsize', batchsize)
        size = self.size()
        epochsize = epoch_size(where, epochsize, size)
        nsampled = 0
        inputs = targets = None
        while nsampled < epochsize:
            start, stop = self._next_range(min(nsampled + batchsize, epochsize) - nsampled, size)
            batch = self.sub(start, stop, inputs, targets, *args)
            inputs, targets = batch[0], batch[1]
            nsampled += stop - start + 1
            self.collectgarbage()
            yield (nsampled,) + tuple(batch)

    def sampleiter(self, batchsize=32, epochsize=None, *args):
        """A generator of ``(nsampled, inputs, targets, ...)`` over batches of ``batchsize`` samples drawn with
        ``sample``, ``epochsize`` samples in all (None or -1: ``size()``). For training sets."""
        where = f"{type(self).__name__}.sampleiter"
        batchsize = check_count(where, 'batchsize', batchsize)
        epochsize = epoch_size(where, epochsize, self.size())
        nsampled = 0
        inputs = targets = None
        while nsampled < epochsize:
            bs = min(nsampled + batchsize, epochsize) - nsampled
            batch = self.sample(bs, inputs, targets, *args)
            inputs, targets = batch[0], batch[1]
            nsampled += bs
            self.collectgarbage()
            yield (nsampled,) + tuple(batch)
