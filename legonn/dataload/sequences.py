"""SequenceLoader (SequenceLoader.lua) and MultiSequence (MultiSequence.lua): batches of
``seqlen x batchsize`` for language models, iterated with ``subiter(seqlen)``; targets are the inputs one
step ahead."""
import math

from ..tensor.functions import tensor_argument
from ..tensor.random import SCALAR_DRAWS
from . import nested
from .dataloader import DataLoader, check_count

# MultiSequence's separator of two sequences of word ids: Torch7's input 0 (LookupTableMaskZero's padding) and
# target 1 (the first class) shifted to legonn's 0-based ids (its LookupTableMaskZero pads with -1)
_MASK_INPUT, _MASK_TARGET = -1, 0


class _SubiterOnly(DataLoader):
    """A loader of one long stream cut into ``batchsize`` columns: ``sub`` only, no sampling."""

    def sample(self, *args):
        """Not implemented (as in the Lua): the columns are read in order."""
        self._not_implemented('sample')

    def sampleiter(self, seqlen=32, epochsize=None, *args):
        """Not implemented (as in the Lua): use ``subiter``."""
        self._not_implemented('sampleiter', '; use subiter instead')

    def subiter(self, seqlen=32, epochsize=None, *args):
        """``DataLoader.subiter`` with batches of ``seqlen`` time-steps: ``(nsampled, inputs, targets)`` with
        ``inputs``/``targets`` of ``seqlen x batchsize`` (the last one of an epoch may be shorter)."""
        return super().subiter(seqlen, epochsize, *args)

    def _sizes(self, tensor, excludedim):
        """``tensor``'s sizes less ``excludedim``; the time dimension, when kept, reads ``size()``."""
        size = nested.sizes(tensor, excludedim)
        if excludedim is False or excludedim != 0:
            size[0] = self.size()
        return size

    def tsize(self, excludedim=0):
        """The sizes of the targets: ``isize``'s."""
        return self.isize(excludedim)


class SequenceLoader(_SubiterOnly):
    """``SequenceLoader(sequence, batchsize, bidirectional=False)``: the 1-D ``sequence`` (word ids, 0-based)
    cut into ``batchsize`` contiguous columns of ``floor(len / batchsize)`` steps (the rest is dropped), stored
    as ``data`` (steps x batchsize). ``sub(start, stop)`` gives steps ``start .. stop`` (0-based, inclusive) as
    views of ``data``; the targets are the steps one later, or the inputs themselves when ``bidirectional``."""

    def __init__(self, sequence, batchsize, bidirectional=False):
        sequence = tensor_argument('SequenceLoader', 'sequence', sequence)
        self.batchsize = check_count('SequenceLoader', 'batchsize', batchsize)
        if sequence.dim() != 1:
            raise ValueError(f"SequenceLoader: expected a 1-D sequence (time first), got sizes "
                             f"{tuple(sequence.size())}")
        self.bidirectional = bidirectional
        steps = sequence.size(0) // batchsize
        if steps < (1 if bidirectional else 2):
            raise ValueError(f"SequenceLoader: a sequence of {sequence.size(0)} steps makes fewer than "
                             f"{1 if bidirectional else 2} steps per column of a batch of {batchsize}")
        self.data = sequence.sub(0, steps * batchsize - 1).view(batchsize, steps).t().contiguous()

    def sub(self, start, stop, inputs=None, targets=None):
        """``(inputs, targets)``: steps ``start .. stop`` (0-based, inclusive) and the steps one later (or the
        same, bidirectional), set into the given tensors as views of ``data``."""
        start, stop = self._check_range('SequenceLoader.sub', start, stop)
        inputs = self.data.new() if inputs is None else inputs
        targets = inputs.new() if targets is None else targets
        inputs.set(self.data.sub(start, stop))
        if self.bidirectional:
            targets.set(inputs)
        else:
            targets.set(self.data.sub(start + 1, stop + 1))
        return inputs, targets

    def size(self):
        """The number of steps a column gives: all of them when bidirectional, else all but the last."""
        return self.data.size(0) if self.bidirectional else self.data.size(0) - 1

    def isize(self, excludedim=0):
        """The sizes of ``data`` less dimension ``excludedim`` (0-based: 0, the default, leaves ``[batchsize]``);
        with another one (or False) the time dimension reads ``size()``."""
        return self._sizes(self.data, excludedim)


class SequenceColumns(_SubiterOnly):
    """The machinery MultiSequence and MultiImageSequence share: ``batchsize`` columns, each laying sequences
    one after the other with a separator step before each; ``trackers[column]`` remembers the sequence a
    column is in (``seqid``) and its next step there (``idx``, 0-based), so each ``sub`` goes on where the
    previous one stopped. A subclass gives ``_nsequence()``, ``_separate(input, target, step)`` and
    ``_continue(input, target, step, seqlen, tracker)`` (steps written, clearing ``seqid`` at the end)."""

    randseq = False

    def reset(self):
        """Start every column afresh at the first sequence (and forget ``subiter``'s position)."""
        super().reset()
        self.trackers = {'nextseq': 0}

    def _next_sequence(self):
        if self.randseq:
            return SCALAR_DRAWS['random'](0, self._nsequence())
        seqid = self.trackers['nextseq']
        self.trackers['nextseq'] = (seqid + 1) % self._nsequence()
        return seqid

    def _steps(self, where, start, stop):
        """The number of steps ``start .. stop`` (inclusive) spans, checked."""
        start, stop = check_count(where, 'start', start, False), check_count(where, 'stop', stop, False)
        if stop < start:
            raise ValueError(f"{where}: expected start <= stop (0-based, inclusive), got start={start}, stop={stop}")
        return stop - start + 1

    def _buffers(self, where, start, stop, inputs, targets, new):
        """``(inputs, targets, seqlen)``: the buffers (``new()`` when None; ``targets`` like ``inputs``) resized
        to ``seqlen x batchsize x isize()`` / ``tsize()`` and zeroed, for ``sub(start, stop)``."""
        seqlen = self._steps(where, start, stop)
        inputs = new() if inputs is None else inputs
        inputs.resize(seqlen, self.batchsize, *self.isize()).zero()
        targets = inputs.new() if targets is None else targets
        targets.resize(seqlen, self.batchsize, *self.tsize()).zero()
        return inputs, targets, seqlen

    def _fill(self, inputs, targets, seqlen):
        """Fill ``seqlen`` steps of every column of ``inputs``/``targets`` (time x column x ...)."""
        for column in range(self.batchsize):
            input, target = inputs.select(1, column), targets.select(1, column)
            tracker = self.trackers.setdefault(column, {})
            step = 0
            while step < seqlen:
                if tracker.get('seqid') is None:
                    tracker['idx'] = 0
                    self._separate(input, target, step)
                    step += 1
                    tracker['seqid'] = self._next_sequence()
                if step < seqlen:
                    step += self._continue(input, target, step, seqlen, tracker)


class MultiSequence(SequenceColumns):
    """``MultiSequence(sequences, batchsize)``: a list of independent sequences (tensors, time first: sentences
    of word ids, 0-based) laid one after the other in each of ``batchsize`` columns. Each column takes the next
    sequence when its current one ends, so a batch is ``seqlen x batchsize [x ...]`` and targets are the inputs
    one step ahead. Before each sequence a column has a separator step: for 1-D sequences input -1 (legonn's
    LookupTableMaskZero padding) and target 0, else zeros in both (Torch7: input 0, target 1, and zeros).
    ``randseq = True`` makes columns draw their next sequence at random. ``size()`` is
    ``ceil(total length / batchsize)``."""

    def __init__(self, sequences, batchsize):
        if not isinstance(sequences, (list, tuple)) or not sequences:
            raise TypeError(f"MultiSequence: sequences must be a non-empty list of tensors, got "
                            f"{type(sequences).__name__}")
        self.sequences = [tensor_argument('MultiSequence', f'sequences[{i}]', s) for i, s in enumerate(sequences)]
        short = [i for i, s in enumerate(self.sequences) if s.dim() == 0 or s.size(0) < 2]
        if short:
            raise ValueError(f"MultiSequence: every sequence needs at least 2 steps (an input and its target), "
                             f"sequences {short[:10]} have fewer")
        self.batchsize = check_count('MultiSequence', 'batchsize', batchsize)
        self.seqlen = math.ceil(sum(s.size(0) for s in self.sequences) / batchsize)
        self.reset()

    def _nsequence(self):
        return len(self.sequences)

    def sub(self, start, stop, inputs=None, targets=None):
        """``(inputs, targets)`` of ``stop - start + 1`` steps x ``batchsize`` (resized buffers): each column
        goes on from where its previous ``sub`` stopped, whatever ``start`` is (only the length counts)."""
        inputs, targets, seqlen = self._buffers('MultiSequence.sub', start, stop, inputs, targets,
                                                self.sequences[0].new)
        self._fill(inputs, targets, seqlen)
        return inputs, targets

    def _separate(self, input, target, step):
        """The separator step: -1 / 0 for word ids, zeros for vectors."""
        if input.dim() == 1:
            input[step], target[step] = _MASK_INPUT, _MASK_TARGET
        else:
            input[step].fill(0)
            target[step].fill(0)

    def _continue(self, input, target, step, seqlen, tracker):
        """Copy the column's sequence on from ``tracker['idx']``, as far as it or the batch goes."""
        sequence = self.sequences[tracker['seqid']]
        last = sequence.size(0) - 2   # the last step that has a target
        stop = min(tracker['idx'] + seqlen - step - 1, last)
        n = stop - tracker['idx'] + 1
        input.narrow(0, step, n).copy(sequence.sub(tracker['idx'], stop))
        target.narrow(0, step, n).copy(sequence.sub(tracker['idx'] + 1, stop + 1))
        tracker['idx'] = stop + 1
        if stop == last:
            tracker['seqid'] = None
        return n

    def size(self):
        """``ceil(total length of the sequences / batchsize)``: the steps of an epoch."""
        return self.seqlen

    def isize(self, excludedim=0):
        """The sizes of the first sequence less dimension ``excludedim`` (0-based; 0 leaves a step's sizes);
        with another one (or False) the time dimension reads ``size()``."""
        return self._sizes(self.sequences[0], excludedim)
