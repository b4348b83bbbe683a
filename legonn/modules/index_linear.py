"""IndexLinear: a Linear layer over sparse (key, value) features given as key and value lists."""
import numbers

import numpy as np

from ..tensor import Tensor, arange
from ..tensor.backend import to_module
from ..tensor.scatter_kernels import index_bounds, out_of_range, scatter_add
from ..tensor.sparse_kernels import add_rows_product
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.module import Module
from .base.initialisation import uniform_reset


class IndexLinear(Module):
    """y = b + sum_k value_k * W[key_k + keysOffset] for each sample's (key, value) pairs.

    ``IndexLinear(inputSize, outputSize, doGradInput=False, keysOffset=0, weight=None,
    bias=None)``; ``weight`` is ``(inputSize, outputSize)`` (one row per key, 0-based),
    ``bias`` ``(outputSize,)``; both start at zero as in Torch7 (call ``reset()`` for a random
    start) or are the tensors given. Input, as Torch7:
    ``[keys, values]`` (one sample: 1-D integer keys and float values; output ``(outputSize,)``),
    ``[[keys_0, ...], [values_0, ...]]`` (a batch) or ``[keys, values, sizes]`` (a batch
    concatenated, ``sizes`` the per-sample counts); batch output ``(batch, outputSize)``.
    With ``doGradInput`` the gradient is dense, as Torch7's: per sample the keys
    0..inputSize-1 and d loss / d value for each, in the input's layout; else ``[]``.
    ``gradWeight`` is dense here (Torch7 accumulates it sparsely).

    ``normalize=True`` is Torch7's max-normalise mode: ``weight`` is
    ``(inputSize, 4 + outputSize)``, its first four columns per key holding the largest
    |value| seen in training, its inverse, an update scale (1) and a learnt per-key
    offset; each value becomes ``value / max + offset`` (``sign(value) + offset`` when it
    exceeds the max, in evaluation) before the product with the key's last
    ``outputSize`` columns. As in THNN's IndexLinear.c, a training forward takes the
    entries in order (sample by sample) and raises a key's max before normalising the
    entry that exceeds it, so an entry is normalised by the max of what came before it
    and itself, not by the batch's. The normalised values are kept
    (``normalizedValues``) for the gradients of the next backward, as Torch7 does. The
    first three columns are state and get no gradient. As in Torch7 there is no
    gradInput in this mode.

    ``updateParameters(lr)`` and ``accUpdateGradParameters(input, gradOutput, lr)`` are THNN's
    IndexLinear.c: the bias takes its step; then each (key, value) entry, in order, first decays
    its key's row (``row -= weightDecay * s * row``, a **sparse** weight decay of the rows
    touched, once per occurrence; ``weightDecay`` is not multiplied by the learning rate) and
    then takes its own step ``lr * s * value * gradOutput``. ``s`` is 1, or in the normalise mode
    the key's update scale ``weight[key][2]`` (a training forward sets it to 1); in that mode the
    key's offset ``weight[key][3]`` first steps by ``lr * s * gradOutput . row``, the row as the
    key's earlier entries left it. As in IndexLinear.c's outDim == 1 max-normalise case, with
    ``outputSize == 1`` and ``normalize`` the decay has the other sign (``row += weightDecay * s
    * row``) and ``accUpdateGradParameters`` sets ``s`` to 0 on the keys it updated (THCUNN
    decays and keeps ``s``; legonn does as THNN on both devices). ``updateParameters`` reads
    the entries that ``accGradParameters`` recorded since ``zeroGradParameters`` (THNN's
    running keys and gradients), not the dense ``gradWeight``: a key met n times decays n times
    with its steps interleaved, which the sum cannot give; edits made to ``gradWeight`` do not
    reach it, and with nothing recorded it changes nothing (the bias neither), as Torch7's.
    The record is the gradients entry by entry (IndexLinear.lua's running buffers are its
    gradWeight), so it goes with them: ``zeroGradParameters`` and ``clearState`` forget it, and
    so does an ``accGradParameters`` that finds ``gradBias`` and the rows it touched zero (an
    optim closure's ``gradParams.zero()`` over ``getParameters``' vector, which Torch7's
    IndexLinear could not flatten): such a loop keeps one step's entries, not every step's.

    ``weightDecay`` is a number field (0 by default), as Torch7's IndexLinear: on this class it
    hides ``Module.weightDecay(wdFactor)`` (dpnn's dense L2 on the gradients), as the field does
    in Lua; ``Module.weightDecay(m, wdFactor)`` still calls that method.
    """
    input_dtypes = 'any'  # integer indices are part of its input
    # the batch sizes may stay on the host (the cunn module reads them there); keys and values are checked
    # against the weight's device in _check_pair
    any_device = True

    def __init__(self, inputSize, outputSize, doGradInput=False, keysOffset=0, weight=None, bias=None,
                 normalize=False):
        super().__init__()
        if normalize and doGradInput:
            raise ValueError("IndexLinear: doGradInput is not defined in the max-normalise mode (normalize=True), "
                             "as in Torch7")
        self.normalize = 4 if normalize else 0
        check_hyper('IndexLinear', positive=dict(inputSize=inputSize, outputSize=outputSize))
        if not isinstance(keysOffset, int):
            raise ValueError(f"IndexLinear: keysOffset must be an integer, got {keysOffset!r}")
        columns = outputSize + self.normalize
        self.weight = weight if weight is not None else self.output.new(inputSize, columns).zero()
        self.bias = bias if bias is not None else self.output.new(outputSize).zero()
        if tuple(self.weight.size()) != (inputSize, columns) or tuple(self.bias.size()) != (outputSize,):
            raise ValueError(f"IndexLinear: expected a weight of size {(inputSize, columns)} and a bias of "
                             f"{(outputSize,)}, got {tuple(self.weight.size())} and {tuple(self.bias.size())}")
        self.gradWeight = self.weight.new(inputSize, columns)
        self.gradBias = self.bias.new(outputSize)
        self.doGradInput, self.keysOffset = bool(doGradInput), keysOffset
        self.gradInput = []
        self.weightDecay = 0
        # what accGradParameters saw since zeroGradParameters, per call: (rows, values, sample of each entry,
        # scale * gradOutput), from which updateParameters takes THNN's per-entry steps
        self._running = []

    def reset(self, stdv=None):
        uniform_reset(stdv, self.weight.size(1), self.weight, self.bias)
        self.bias.mul(1e-6)   # Torch7 starts the bias near zero
        if self.normalize:
            self.weight.narrow(1, 0, self.normalize).zero()
        return self

    def _normalized(self, rows, vals, update):
        """Torch7's max-normalised values; with ``update`` (a training forward) each entry first
        raises its key's max (column 0) and inverse (column 1), in the entries' order."""
        xp, w = self.weight.xp, self.weight.array
        magnitude = xp.abs(vals)
        if not update:
            return xp.where(magnitude > w[rows, 0], xp.sign(vals), vals * w[rows, 1]) + w[rows, 3]
        so_far, keys, batch_max = _running_max_per_key(xp, rows, magnitude)
        running = xp.maximum(so_far, w[rows, 0])
        raised = running > w[rows, 0]
        # an entry at or after a raise of its key's max divides by the max so far, as IndexLinear.c's
        # 1/absVal stored at the raise; the others use the stored inverse. None exceeds its running max.
        inverse = xp.where(raised, 1 / xp.where(raised, running, 1), w[rows, 1])
        grow = batch_max > w[keys, 0]
        w[keys[grow], 0] = batch_max[grow]
        w[keys[grow], 1] = 1 / batch_max[grow]
        w[keys, 2] = 1
        return vals * inverse + w[rows, 3]

    def _flat(self, input):
        """(rows of W, values, sample of each entry, end of each sample's entries, layout) after checking
        everything; entries come sample by sample."""
        if not isinstance(input, list) or len(input) not in (2, 3):
            raise input_error(self, "[keys, values], [[keys...], [values...]] or [keys, values, sizes]",
                              type(input).__name__, TypeError)
        xp = self.weight.xp
        if len(input) == 3:
            keys, values, sizes = input
            layout = 'flat'
            self._check_pair(keys, values, 'input')
            self.checkTensor(sizes, (1,), 'sizes')
            counts = sizes.array.astype('int64')
            total = int(counts.sum())
            if total != keys.nElement() or (counts.size and index_bounds(counts)[0] < 0):
                raise input_error(self, f"sizes that sum to the {keys.nElement()} keys", f"sizes summing to {total}")
            ends = xp.cumsum(to_module(counts, xp))
            key_arr, val_arr = keys.array, values.array
        elif isinstance(input[0], list):
            keys, values = input
            layout = 'list'
            if len(keys) != len(values):
                raise input_error(self, "as many value tensors as key tensors", f"{len(values)} and {len(keys)}")
            for b, (k, v) in enumerate(zip(keys, values)):
                self._check_pair(k, v, f'sample {b}')
            key_arr = xp.concatenate([k.array for k in keys]) if keys else xp.zeros(0, 'int64')
            val_arr = xp.concatenate([v.array for v in values]) if keys else xp.zeros(0, self.weight.dtype)
            ends = xp.asarray(np.cumsum([k.nElement() for k in keys], dtype='int64'))
        else:
            keys, values = input
            layout = 'single'
            self._check_pair(keys, values, 'input')
            key_arr, val_arr = keys.array, values.array
            ends = xp.asarray(np.array([keys.nElement()], dtype='int64'))
        # sample of each entry: how many ends lie at or below its position
        samples = xp.searchsorted(ends, xp.arange(key_arr.size), side='right')
        rows = key_arr.astype('int64') + self.keysOffset
        n_in = self.weight.size(0)
        bad = out_of_range(rows, n_in)
        if bad:
            raise input_error(self, f"keys + keysOffset in [0, {n_in})", f"[{bad[0]}, {bad[1]}]", IndexError)
        return rows, val_arr, samples, ends, layout

    def _check_pair(self, keys, values, what):
        self.checkTensor(keys, (1,), f'{what} keys')
        if keys.dtype.kind not in 'iu':
            raise input_error(self, f"integer {what} keys", keys.type(), TypeError)
        if keys.is_cuda != self.weight.is_cuda:
            raise input_error(self, f"{what} keys on the weight's device ({'GPU' if self.weight.is_cuda else 'CPU'})",
                              keys.type(), TypeError)
        self.checkTensor(values, what=f'{what} values', floating=True)
        self.checkSameType(values, self.weight, f'{what} values')
        if values._size != keys._size:
            raise input_error(self, f"{what} values of the keys' size {tuple(keys.size())}", tuple(values.size()))

    def updateOutput(self, input):
        rows, vals, samples, ends, layout = self._flat(input)
        n_out = self.bias.size(0)
        if self.normalize:
            vals = self._normalized(rows, vals, update=self.train)
            self.bufferLike('normalizedValues', self.weight, vals.shape)[...] = vals
        shape = (n_out,) if layout == 'single' else (ends.size, n_out)
        out = self.bufferLike('output', self.weight, shape).reshape(-1, n_out)
        out[...] = self.bias.array
        add_rows_product(out, ends, rows, vals, self.weight.array, self.normalize)
        return self.output

    def _output_sized(self, gradOutput):
        """A 1-D gradOutput of outputSize as a one-sample batch's (1, outputSize), as IndexLinear.lua's
        updateGradInput takes gradOutput:dim() == 1 and THNN's accGradParameters reads its elements; any other
        gradOutput as it is."""
        if (isinstance(gradOutput, Tensor) and gradOutput.dim() == 1 and self.output.dim() == 2
                and self.output.size(0) == 1):
            return gradOutput.contiguous().view(1, gradOutput.size(0))
        return gradOutput

    def checkAccumulation(self, input, gradOutput):
        super().checkAccumulation(input, self._output_sized(gradOutput))

    def _grad_rows(self, gradOutput):
        """gradOutput as (batch, outputSize) rows, after checking it against the output."""
        gradOutput = self._output_sized(gradOutput)
        self.checkGradOutput(gradOutput, self.output)
        return gradOutput.array.reshape(-1, self.bias.size(0))

    def updateGradInput(self, input, gradOutput):
        rows, vals, samples, ends, layout = self._flat(input)
        go = self._grad_rows(gradOutput)
        if not self.doGradInput:
            self.gradInput = []
            return self.gradInput
        n, n_in = ends.size, self.weight.size(0)
        dense = Tensor._from_array(go @ self.weight.array.T)                  # (batch, inputSize)
        keys = arange(n_in, tensortype='legonn.LongTensor')
        keys = keys.cudaLong() if self.weight.is_cuda else keys
        if layout == 'single':
            self.gradInput = [keys, dense.select(0, 0)]
        elif layout == 'flat':
            self.gradInput = [keys.view(1, n_in).expand(n, n_in).clone(), dense]
        else:
            self.gradInput = [[keys.clone() for _ in range(n)], [dense.select(0, b) for b in range(n)]]
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        rows, vals, samples, ends, layout = self._flat(input)
        go = self._grad_rows(gradOutput)
        nrm = self.normalize
        self._forget_zeroed_record()
        if not nrm:
            scatter_add(self.gradWeight.array, rows, (scale * vals)[:, None] * go[samples])
        else:
            # The weights' part takes the values the forward normalised, as Torch7's normalizedValues: a
            # training forward has moved the maxima since.
            w = self.weight.array
            g_weights = (scale * self.normalizedValues.array)[:, None] * go[samples]
            g_offset = scale * (go[samples] * w[rows, nrm:]).sum(axis=1)
            scatter_add(self.gradWeight.array[:, nrm:], rows, g_weights)
            scatter_add(self.gradWeight.array[:, nrm - 1], rows, g_offset)
            vals = self.normalizedValues.array
        self.gradBias.array += scale * go.sum(axis=0)
        self._running.append((rows, vals.copy(), samples, scale * go))

    def _forget_zeroed_record(self):
        """Forget the record when gradBias and the gradWeight rows it touched read zero: the gradients were
        zeroed since without zeroGradParameters (an optim closure's ``gradParams.zero()`` over getParameters'
        flat vector), and the record is those gradients entry by entry, as IndexLinear.lua's running buffers
        are its gradWeight. A record whose own gradients are all zero is forgotten too (nothing tells the two
        apart); its entries would only have decayed their rows in updateParameters."""
        if not self._running or bool(self.gradBias.array.any()):
            return
        xp = self.weight.xp
        rows = xp.concatenate([to_module(r, xp) for r, *_ in self._running])
        if not bool(self.gradWeight.array[rows].any()):
            self._running = []

    def zeroGradParameters(self):
        super().zeroGradParameters()
        self._running = []

    def updateParameters(self, learningRate):
        """THNN's IndexLinear_updateParameters over the entries recorded since zeroGradParameters (see the
        class's docstring); nothing without any, as IndexLinear.lua's ``counter > 1``."""
        if not self._running:
            return
        xp, dtype = self.weight.xp, self.weight.dtype
        rows, vals, samples, grads, seen = [], [], [], [], 0
        for r, v, smp, g in self._running:   # one per accGradParameters call, not per entry
            rows.append(to_module(r, xp))
            vals.append(to_module(v, xp).astype(dtype, copy=False))
            samples.append(to_module(smp, xp) + seen)
            grads.append(to_module(g, xp).astype(dtype, copy=False))
            seen += g.shape[0]
        self.bias.array -= learningRate * self.gradBias.array
        grads = xp.concatenate(grads)
        self._sparse_steps(xp.concatenate(rows), xp.concatenate(vals), grads[xp.concatenate(samples)],
                           learningRate)

    def accUpdateGradParameters(self, input, gradOutput, lr):
        """THNN's IndexLinear_accUpdateGradParameters: the same per-entry decay and steps as updateParameters,
        of ``lr`` times this gradOutput, straight into the weight (nothing recorded, gradWeight untouched)."""
        rows, vals, samples, ends, layout = self._flat(input)
        go = self._grad_rows(gradOutput)
        self.bias.array -= lr * go.sum(axis=0)
        self._sparse_steps(rows, self.normalizedValues.array if self.normalize else vals, go[samples], lr)
        if self.normalize and self.bias.size(0) == 1:
            # IndexLinear.c's outDim == 1 max-normalise case resets the update scale of the keys it updated
            self.weight.array[rows, 2] = 0

    def _sparse_steps(self, rows, vals, grads, lr):
        """IndexLinear.c's loop over entries e (rows, vals, grads: the entry's gradOutput row), vectorised:
        with s the key's update scale, decay d = weightDecay * s and step L = lr * s,
        ``offset -= L * grads[e] . row`` (normalise mode), then ``row = f * row - L * vals[e] * grads[e]``
        with f = 1 - d (1 + d in the outDim == 1 max-normalise case). A key's rows after its entries
        are an inclusive scan of those affine maps over its entries in order, whose closed form is
        ``f^count * row0 - L * sum_e f^(later entries of the key) * vals[e] * grads[e]``."""
        wd = self.weightDecay
        if isinstance(wd, bool) or not isinstance(wd, numbers.Real):
            raise input_error(self, "a number weightDecay", repr(wd), TypeError)
        xp, w, nrm = self.weight.xp, self.weight.array, self.normalize
        if rows.size == 0:
            return
        scale = w[rows, 2] if nrm else xp.ones(rows.shape, w.dtype)
        steps = lr * scale
        flip = -1 if (nrm and self.bias.size(0) == 1) else 1   # IndexLinear.c adds that case's decay
        order, key = _order_by_key(xp, rows)
        steps, grads = steps[order], grads[order]
        factor = 1 - flip * wd * scale[order]
        moves = -(steps * vals[order])[:, None] * grads
        _affine_scan_per_key(xp, key, factor, moves)
        end = _run_ends(xp, key)
        start = xp.ones(key.size, dtype=bool)
        start[1:] = end[:-1]
        row0 = w[key, nrm:]
        after = factor[:, None] * row0 + moves
        if nrm:
            before = row0.copy()
            before[1:] = xp.where(start[1:, None], row0[1:], after[:-1])
            scatter_add(w[:, nrm - 1], key, -steps * (grads * before).sum(axis=1))
        w[key[end], nrm:] = after[end]

    def clearState(self):
        self._running = []   # IndexLinear.lua's clearState empties its running buffers
        return super().clearState('normalizedValues')

    def __repr__(self):
        normalize = ', normalize' if self.normalize else ''
        return f"{lua_typename(self)}({self.weight.size(0)} -> {self.bias.size(0)}{normalize})"


def _running_max_per_key(xp, rows, magnitude):
    """For each entry, the largest ``magnitude`` among its key's entries up to and including it; and
    the distinct keys with their largest ``magnitude``.

    Entries are ordered by key (then position) and a doubling scan takes maxima within each key's run:
    log2(n) whole-array steps that NumPy and CuPy both run.
    """
    n = rows.size
    order, key = _order_by_key(xp, rows)
    scan = magnitude[order]
    shift = 1
    while shift < n:
        same = key[shift:] == key[:-shift]
        scan[shift:] = xp.where(same, xp.maximum(scan[shift:], scan[:-shift]), scan[shift:])
        shift *= 2
    so_far = xp.empty_like(scan)
    so_far[order] = scan
    run_end = _run_ends(xp, key)
    return so_far, key[run_end], scan[run_end]


def _order_by_key(xp, rows):
    """The entries' order by key, then position (a stable sort), and the keys in that order."""
    order = xp.lexsort(xp.stack([xp.arange(rows.size), rows]))
    return order, rows[order]


def _run_ends(xp, key):
    """True at the last entry of each run of equal ``key`` (sorted keys)."""
    end = xp.ones(key.size, dtype=bool)
    end[:-1] = key[1:] != key[:-1]
    return end


def _affine_scan_per_key(xp, key, factor, shift):
    """In place, within each run of equal ``key``: entry i's map ``x -> factor[i] * x + shift[i]`` becomes the
    composition of its run's maps up to and including it (``shift`` is (n, width)); a doubling scan, as
    _running_max_per_key's."""
    n, step = key.size, 1
    while step < n:
        same = key[step:] == key[:-step]
        shift[step:] = xp.where(same[:, None], factor[step:, None] * shift[:-step] + shift[step:], shift[step:])
        factor[step:] = xp.where(same, factor[step:] * factor[:-step], factor[step:])
        step *= 2
