"""CTCCriterion: nnx's connectionist temporal classification loss (nnx's CTCCriterion.lua, which hands the
sums to Baidu's warp-ctc: include/detail/cpu_ctc.h)."""
import numbers

import numpy as np

from ..modules.base.errors import CAUGHT, input_error, name_outer
from ..tensor import Tensor, as_tensor
from ..tensor.backend import to_module
from ..tensor.introspection import typename as lua_typename
from .criterion import Criterion, loss_scalar

# warp-ctc computes in float and floors each probability at FLT_MIN before taking its log
_FLOOR = float(np.finfo(np.float32).tiny)


def _ints(owner, what, value):
    """``value`` (a tensor, array, list or tuple of whole numbers; a Lua table) as a list of ints."""
    if isinstance(value, Tensor):
        value = value.numpy() if not value.is_cuda else value.array.get()
    arr = np.asarray(value) if not isinstance(value, numbers.Number) else None
    if arr is None or arr.ndim != 1 or (arr.size and (arr.dtype.kind not in 'iuf' or (arr != np.round(arr)).any())):
        raise input_error(owner, f"{what} as a 1-D table of whole numbers", repr(value), TypeError)
    return [int(v) for v in arr]


def _extended(labels, lengths):
    """The blank-extended label sequences, padded to the longest, as host arrays (batch, 2 * L + 1): the class of
    each position (blanks between and around the labels), ``skip`` (a label position reachable from two
    positions back: its label differs from the previous one), ``valid`` (inside the sequence); and which
    sequences fit their frames (labels plus repeated neighbours, cpu_ctc.h's ``L + repeats <= T``)."""
    width = 2 * max(len(seq) for seq in labels) + 1
    ext = np.zeros((len(labels), width), dtype=np.int64)
    skip = np.zeros((len(labels), width), dtype=bool)
    valid = np.zeros((len(labels), width), dtype=bool)
    feasible = np.zeros(len(labels), dtype=bool)
    for b, seq in enumerate(labels):
        ext[b, 1:2 * len(seq):2] = seq
        valid[b, :2 * len(seq) + 1] = True
        differs = [seq[i] != seq[i - 1] for i in range(1, len(seq))]
        skip[b, 3:2 * len(seq):2] = differs
        feasible[b] = len(seq) + differs.count(False) <= lengths[b]
    return ext, skip, valid, feasible


class CTCCriterion(Criterion):
    """``CTCCriterion(batchFirst=False)``: the negative log-likelihood of each label sequence under every
    alignment of it (blanks between and around, repeats merged) to the softmax of the activations.

    ``forward(input, target, sizes)``: ``input`` ``(seqLength, batch, classes)`` activations (``(batch,
    seqLength, classes)`` with ``batchFirst``; or ``(seqLength * batch, classes)``, row ``t * batch + b``);
    ``target`` a table of ``batch`` label sequences (lists or 1-D tensors) of class columns, column 0 the blank:
    warp-ctc's labels are already 0-based, so a Lua script's ``{{1, 2}, {3}}`` stays ``[[1, 2], [3]]``;
    ``sizes`` the length of each sequence (a tensor or list; default: every sequence the whole input, which the
    Lua file refuses). Rows past a sequence's length are not read.

    As the Lua file: ``forward`` returns the costs' sum divided by ``batch`` while ``output`` keeps the sum, and
    ``gradInput`` (d sum / d input, shaped like the input, zero past each length) is computed by the forward;
    ``backward`` returns it shaped as the input it is given (a backward before any forward runs one). As
    warp-ctc, a sequence with more labels (plus repeated neighbours) than frames costs 0 and gets no gradient,
    and each probability is floored at FLT_MIN.
    legonn runs warp-ctc's recursions in float64 (warp-ctc in float32) and gives gradInput the input's type
    (the Lua file's CPU path returns a FloatTensor)."""

    input_kind = 'tensor'
    input_ranks = (2, 3)

    def __init__(self, batchFirst=False):
        super().__init__()
        if not isinstance(batchFirst, bool):
            raise ValueError(f"CTCCriterion: batchFirst must be a boolean, got {batchFirst!r}")
        self.batchFirst = batchFirst

    def _targets(self, target):
        return target   # ragged label tables: read by _labels

    def forward(self, input, target=None, sizes=None):
        return self._sized_call('updateOutput', input, target, sizes)

    def backward(self, input, target=None, sizes=None):
        return self._sized_call('updateGradInput', input, target, sizes)

    def _sized_call(self, method, input, target, sizes):
        try:
            input = as_tensor(input)
            self.checkContract(input)
            return getattr(self, method)(input, target, sizes)
        except CAUGHT as err:
            name_outer(self, err)
            raise

    # --- arguments ---------------------------------------------------------------------------------------
    def _rows(self, input):
        """The activations as warp-ctc reads them: (rows, classes), row ``t * batch + b`` (a view or a copy)."""
        self.checkInput(input)
        x = input.array
        if input.dim() == 3:
            x = (x.swapaxes(0, 1) if self.batchFirst else x).reshape(-1, x.shape[2])
        return x

    def _sizes(self, input, rows, sizes):
        """(batch, lengths as a list): as warp-ctc, the rows hold ``len(sizes)`` interleaved sequences of
        ``rows / len(sizes)`` frames, whatever the input's shape; without ``sizes``, the input's batch of
        full-length sequences."""
        if sizes is None:
            batch = input.size(0 if self.batchFirst else 1) if input.dim() == 3 else 1
            return batch, [rows // batch] * batch
        lengths = _ints(self, 'sizes', sizes)
        if not lengths or rows % len(lengths):
            raise input_error(self, f"sizes of sequences that split the {rows} frames evenly",
                              f"{len(lengths)} sizes")
        frames = rows // len(lengths)
        if min(lengths) < 1 or max(lengths) > frames:
            raise input_error(self, f"sequence sizes in [1, {frames}]", f"sizes in [{min(lengths)}, {max(lengths)}]")
        return len(lengths), lengths

    def _labels(self, target, batch, classes):
        """The label sequences as lists of ints in [1, classes - 1] (0 is the blank)."""
        if isinstance(target, Tensor) and target.dim() == 2:
            target = [target.select(0, i) for i in range(target.size(0))]
        if not isinstance(target, (list, tuple)) or len(target) != batch:
            got = f"a table of {len(target)}" if isinstance(target, (list, tuple)) else type(target).__name__
            raise input_error(self, f"a table of {batch} label sequences (one per sequence)", got, TypeError)
        labels = [_ints(self, f"target[{i}]", seq) for i, seq in enumerate(target)]
        flat = [v for seq in labels for v in seq]
        if flat and (min(flat) < 1 or max(flat) >= classes):
            raise input_error(self, f"labels in [1, {classes - 1}] (column 0 is the blank)",
                              f"labels in [{min(flat)}, {max(flat)}]", IndexError)
        return labels

    # --- the recursions ------------------------------------------------------------------------------------
    def _costs_and_grads(self, xp, x, labels, lengths):
        """(cost of each sequence, d sum of costs / d activations (frames, batch, classes)) of the activations
        ``x`` (rows, classes) by warp-ctc's forward-backward recursions in log space, every sequence at once
        over the blank-extended labels."""
        batch, classes = len(lengths), x.shape[1]
        x = x.reshape(-1, batch, classes).astype('float64')
        frames = x.shape[0]
        length = to_module(np.asarray(lengths), xp)
        inside = (xp.arange(frames)[:, None] < length)[:, :, None]
        x = xp.where(inside, x, 0.0)   # rows past a sequence's length are padding, never read (even NaN)
        top = x.max(axis=2, keepdims=True)
        probs = xp.exp(x - top)
        probs /= probs.sum(axis=2, keepdims=True)
        logp = xp.log(xp.maximum(probs, _FLOOR))
        ext, skip, valid, feasible = _extended(labels, lengths)
        width = ext.shape[1]
        ext, skip, valid = (to_module(a, xp) for a in (ext, skip, valid))
        end = to_module(np.asarray([2 * len(seq) for seq in labels]), xp)   # the last extended position
        emit = xp.take_along_axis(logp, xp.broadcast_to(ext, (frames, batch, width)), axis=2)
        emit = xp.where(valid, emit, -xp.inf)
        s = xp.arange(width)

        def step(prev, neighbour_shift):
            """log of prev[s] + prev[s -/+ 1] + (where allowed) prev[s -/+ 2]."""
            out = prev.copy()
            if neighbour_shift > 0:
                out[:, 1:] = xp.logaddexp(out[:, 1:], prev[:, :-1])
                out[:, 2:] = xp.where(skip[:, 2:], xp.logaddexp(out[:, 2:], prev[:, :-2]), out[:, 2:])
            else:
                out[:, :-1] = xp.logaddexp(out[:, :-1], prev[:, 1:])
                out[:, :-2] = xp.where(skip[:, 2:], xp.logaddexp(out[:, :-2], prev[:, 2:]), out[:, :-2])
            return out

        alpha = xp.full((frames, batch, width), -xp.inf)
        alpha[0] = xp.where(s < 2, emit[0], -xp.inf)
        for t in range(1, frames):
            alpha[t] = step(alpha[t - 1], 1) + emit[t]
        beta = xp.full((frames, batch, width), -xp.inf)
        for t in range(frames - 1, -1, -1):
            last = (t == length - 1)[:, None]
            start = xp.where((s == end[:, None]) | (s == end[:, None] - 1), emit[t], -xp.inf)
            later = step(beta[t + 1], -1) + emit[t] if t + 1 < frames else start
            beta[t] = xp.where(last, start, xp.where((t < length - 1)[:, None], later, -xp.inf))
        final = alpha[length - 1, xp.arange(batch)]
        loglike = xp.logaddexp(xp.take_along_axis(final, end[:, None], axis=1)[:, 0],
                               xp.take_along_axis(final, xp.maximum(end - 1, 0)[:, None], axis=1)[:, 0])
        loglike = xp.where(end > 0, loglike, xp.take_along_axis(final, end[:, None], axis=1)[:, 0])
        # each frame's occupancy of each extended position, summed per class: alpha and beta both hold the
        # frame's probability, so it is divided out once
        usable = to_module(feasible, xp)
        known = xp.where(usable, loglike, 0.0)
        occupancy = xp.exp(alpha + beta - xp.where(valid, emit, 0.0) - known[:, None])
        onehot = (ext[:, :, None] == xp.arange(classes)) & valid[:, :, None]
        grads = probs - xp.einsum('tbs,bsc->tbc', occupancy, onehot.astype('float64'))
        grads *= inside & usable[:, None]
        costs = xp.where(usable, -loglike, 0.0)
        return costs, grads

    # --- the contract --------------------------------------------------------------------------------------
    def updateOutput(self, input, target, sizes=None):
        x = self._rows(input)
        batch, lengths = self._sizes(input, x.shape[0], sizes)
        labels = self._labels(target, batch, x.shape[1])
        costs, grads = self._costs_and_grads(input.xp, x, labels, lengths)
        flat = self.bufferLike('_grads', input, x.shape)
        flat[...] = grads.reshape(x.shape)
        self.output = loss_scalar(costs.sum())
        return self.output / batch

    def updateGradInput(self, input, target=None, sizes=None):
        """The gradient the last forward computed (as the Lua file: whatever input this call is given), shaped
        as ``input``; without a forward on as many values, the forward of ``(input, target, sizes)`` first."""
        self.checkInput(input)
        flat = self.__dict__.get('_grads')
        if flat is None or flat.nElement() != input.nElement():
            self.updateOutput(input, target, sizes)
            flat = self._grads
        gi = self.bufferLike('gradInput', input)
        if input.dim() == 3 and self.batchFirst:
            frames_first = flat.array.reshape(input.size(1), input.size(0), -1)
            gi[...] = frames_first.swapaxes(0, 1)
        else:
            gi[...] = flat.array.reshape(gi.shape)
        return self.gradInput

    def clearState(self, *names):
        return super().clearState('_grads', *names)

    def __repr__(self):
        return lua_typename(self) + ('(batchFirst)' if self.batchFirst else '')
