"""MaskZero and TrimZero: Element-Research rnn's decorators for sequences padded with rows of zeros.

Where a row (sample) of the decorated module's first input tensor is all zeros, the decorator's output row is
zero and no gradient flows back through it, so sequences of several lengths can share a batch.
"""
import warnings

from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.base.recurrent_step import check_zero_mask, keep_array
from ..modules.base.table_buffers import describe, map_tree
from ..modules.base.zero_rows import first_tensor, zero_rows
from .decorators import Decorator


class MaskZero(Decorator):
    """Zeroes the rows of ``module``'s output (a tensor or a table of them) whose input row is all zeros.

    ``MaskZero(module, nInputDim)``: ``nInputDim`` is the number of non-batch dimensions of the first tensor of
    the input (depth first in a table): with that many dimensions the input is one sample, masked whole when it
    is all zeros; with one more, dimension 0 is the batch and each row is masked on its own (a row is masked
    when its L2 norm is 0, as MaskZero.lua). Every output tensor must then have the batch as its first
    dimension. Backward zeroes the same rows of gradOutput before passing it to the module, in
    ``updateGradInput`` and ``accGradParameters`` alike.

    ``MaskZero(module)`` without nInputDim is torch/rnn's: it masks the rows that ``setZeroMask`` marks (a
    ByteTensor of the batch size), which must come before each forward.

    For a recurrent module, mask its step module with ``AbstractRecurrent.maskZero(nInputDim)`` rather than
    decorating the recurrent module itself: a masked step then also resets the hidden state it hands on.
    ``MaskZero(rnn, n)`` of a recurrent module warns of it, unless the third argument ``silent`` is true.
    """
    nonnegative_ints = ('nInputDim',)   # 0: each sample a number (rnn's NCE examples mask NCEModule so)
    empty_inputs = False   # the masks are computed on the input's rows, unlike the containers that hand it on

    def __init__(self, module, nInputDim=None, silent=False):
        super().__init__(module)
        if nInputDim is not None:
            self.checkHyper(nInputDim=nInputDim)
        self.nInputDim = nInputDim
        if module.dpnn_stepclone and not silent:
            warnings.warn(f"{type(self).__name__} decorates the recurrent module {module.shortName()} itself: use its "
                          f"{'maskZero' if type(self) is MaskZero else 'trimZero'}({nInputDim}) to decorate its step "
                          "module, so that a masked step also resets the hidden state", stacklevel=3)

    @property
    def module(self):
        """The decorated module (Decorator.lua's ``self.modules[1]``)."""
        return self.modules[0]

    def validateState(self):
        if self.__dict__.get('nInputDim', 0) is not None:   # None: torch/rnn's MaskZero(module)
            Module.validateState(self)   # nInputDim, as the constructor checks it
        return super().validateState()

    givenZeroMask = None

    def setZeroMask(self, zeroMask):
        """torch/rnn's MaskZero.lua: mask the rows that ``zeroMask`` (a contiguous ByteTensor of the batch size)
        marks with 1 rather than the input's all-zero rows; False masks nothing; None goes back to the rows.
        ``clearState`` forgets it, as MaskZero.lua's does. ``type()`` keeps it (on the module's new device):
        MaskZero.lua's type calls clearState to drop the buffers before converting, the mask going with them
        incidentally (torch/rnn's scripts set a mask before every forward), and legonn's type keeps buffers."""
        self.givenZeroMask = None if zeroMask is None else check_zero_mask(self, zeroMask)

    def _zero_rows(self, input):
        """Record in ``self.zeroMask`` (a ByteTensor of the batch size, or of one element for a single sample)
        which rows of the input's first tensor are all zeros (or which ``setZeroMask`` marks), and in
        ``self.batchmode`` whether it is a batch."""
        given = self.givenZeroMask
        if given is None:
            if self.nInputDim is None:
                raise input_error(self, "a zeroMask (setZeroMask) before forward, as MaskZero(module) without "
                                  "nInputDim is torch/rnn's", "none")
            self.batchmode, zero = zero_rows(self, input, self.nInputDim)
        else:
            # torch/rnn's mask is over the batch rows, dimension 0 of the input's first tensor
            x = first_tensor(input)
            if x is None or x.dim() == 0:
                raise input_error(self, "a batch input (its first tensor's dimension 0)", describe(input))
            self.batchmode = True
            zero = x.xp.zeros(x.size(0), dtype=bool) if given is False else \
                keep_array(self, given, x, (x.size(0),)) == 0
        self.bufferLike('zeroMask', first_tensor(input), zero.shape, kind='Byte')[...] = zero
        return self.zeroMask

    def _mask_fill(self, buf, tensor, what):
        """``buf`` = ``tensor`` with the masked rows zeroed (Lua's copy then maskedFill)."""
        mask = self.zeroMask.array.astype(bool)
        if self.batchmode:
            if tensor.dim() == 0 or tensor.size(0) != mask.shape[0]:
                raise input_error(self, f"{what} with the input's batch of {mask.shape[0]} as its first dimension",
                                  f"size {tuple(tensor.size())}")
            mask = mask.reshape((-1,) + (1,) * (tensor.dim() - 1))
        buf.resize(tensor._size)
        buf.array[...] = tensor.xp.where(mask, 0, tensor.array)

    def _forward_mask(self):
        """The ``zeroMask`` of the last forward; without one (a backward first) the call is refused."""
        mask = self.__dict__.get('zeroMask')
        if mask is None or mask.nElement() == 0:
            raise input_error(self, "a forward() before backward()", "no forward since construction or clearState()")
        return mask

    def _mask(self, old, tree, what):
        self._forward_mask()
        return map_tree(self, old, tree, self._mask_fill, what)

    def updateOutput(self, input):
        self._zero_rows(input)
        output = self.run_child(0, 'updateOutput', input)
        self.output = self._mask(self.output, output, 'output')
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._gradOutput = self._mask(self.__dict__.get('_gradOutput'), gradOutput, 'gradOutput')
        self.gradInput = self.run_child(0, 'updateGradInput', input, self._gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        # the masked gradOutput, where Decorator.lua passes on the one it gets: the parameters' gradient is then
        # that of the masked output (the Lua's differs only when the module's own last layer has parameters)
        self._gradOutput = self._mask(self.__dict__.get('_gradOutput'), gradOutput, 'gradOutput')
        self.run_child(0, 'accGradParameters', input, self._gradOutput, scale)

    def clearState(self, *names):
        # MaskZero.lua's clearState forgets setZeroMask's mask too: a forward after it needs a new one
        self.__dict__.pop('givenZeroMask', None)
        return super().clearState('zeroMask', '_gradOutput', *names)


class TrimZero(MaskZero):
    """MaskZero that runs ``module`` on the unmasked rows only (TrimZero.lua): a batch whose masked rows are
    removed from every tensor of the input (a single zero row when all are masked), a single masked sample
    replaced by zeros; the output and gradInput get their masked rows back as zeros. The numbers are
    MaskZero's for modules that treat rows independently; it saves work when many rows are padding.
    ``TrimZero(module, nInputDim)`` as MaskZero; a recurrent module with dropout (``p`` > 0) must have ``mono``
    dropout masks (TrimZero.lua asks it of GRU, LSTM and FastLSTM).
    """

    def __init__(self, module, nInputDim, silent=False):
        if getattr(module, 'dpnn_stepclone', False) and module.__dict__.get('p') and not module.__dict__.get('mono'):
            raise ValueError(f"TrimZero: {module.shortName()} has dropout (p = {module.p}): TrimZero needs its mono "
                             "option (one dropout mask row for the whole batch)")
        super().__init__(module, nInputDim, silent)

    def _trim_fill(self, buf, tensor, what):
        """``buf`` = ``tensor``'s unmasked rows (a batch), or ``tensor`` / zeros (one sample)."""
        kept = self._kept
        if not self.batchmode:
            buf.resize(tensor._size)
            buf.array[...] = 0 if kept.size == 0 else tensor.array
            return
        if tensor.dim() == 0 or tensor.size(0) != self.zeroMask.nElement():
            raise input_error(self, f"{what} with the input's batch of {self.zeroMask.nElement()} as its first "
                              "dimension", f"size {tuple(tensor.size())}")
        if kept.size == 0:   # nothing left: the module runs on one row of zeros, as TrimZero.lua
            buf.resize((1,) + tensor._size[1:]).zero()
            return
        buf.resize((kept.size,) + tensor._size[1:])
        tensor.xp.take(tensor.array, kept, axis=0, out=buf.array)

    def _untrim_fill(self, buf, tensor, what):
        """``buf`` = ``tensor`` (the module's result on the kept rows) with the masked rows put back as zeros."""
        kept = self._kept
        rows = self.zeroMask.nElement() if self.batchmode else None
        if self.batchmode and tensor.size(0) != max(kept.size, 1):
            raise input_error(self, f"the module's {what} to have the {max(kept.size, 1)} rows it was given as its "
                              "first dimension", f"size {tuple(tensor.size())}")
        buf.resize(tensor._size if rows is None else (rows,) + tensor._size[1:]).zero()
        if rows is None:
            if kept.size:
                buf.array[...] = tensor.array
        elif kept.size:
            buf.array[kept] = tensor.array

    def _trim(self, old, tree, what):
        mask = self._forward_mask()
        # the rows kept, as indices (empty when every row is masked), found from the mask each time: it follows
        # the module to another device, where these indices would not
        self._kept = mask.xp.flatnonzero(mask.array == 0)
        return map_tree(self, old, tree, self._trim_fill, what)

    def updateOutput(self, input):
        self._zero_rows(input)
        self._temp = self._trim(self.__dict__.get('_temp'), input, 'input')
        output = self.run_child(0, 'updateOutput', self._temp)
        self.output = map_tree(self, self.output, output, self._untrim_fill, 'output')
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._temp = self._trim(self.__dict__.get('_temp'), input, 'input')
        self._gradTemp = self._trim(self.__dict__.get('_gradTemp'), gradOutput, 'gradOutput')
        grad = self.run_child(0, 'updateGradInput', self._temp, self._gradTemp)
        self.gradInput = map_tree(self, self.gradInput, grad, self._untrim_fill, 'gradInput')
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        # the trimmed gradOutput, where TrimZero.lua passes the whole one (of the wrong batch size for the module
        # once rows are trimmed)
        self._temp = self._trim(self.__dict__.get('_temp'), input, 'input')
        self._gradTemp = self._trim(self.__dict__.get('_gradTemp'), gradOutput, 'gradOutput')
        self.run_child(0, 'accGradParameters', self._temp, self._gradTemp, scale)

    def clearState(self, *names):
        self.__dict__.pop('_kept', None)
        return super().clearState('_temp', '_gradTemp', *names)
