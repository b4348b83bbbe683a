"""MaskZeroCriterion: a criterion over the samples that are not padding (Element-Research rnn)."""
from ..modules.base.errors import check_hyper, input_error
from ..modules.base.recurrent_step import check_zero_mask, keep_array
from ..modules.base.table_buffers import map_tree
from ..modules.base.table_buffers import describe
from ..modules.base.zero_rows import first_tensor, zero_norm, zero_rows
from .criterion import Criterion
from ..tensor.introspection import typename as lua_typename


class MaskZeroCriterion(Criterion):
    """``criterion`` on the rows of a batch whose input row is not all zeros (MaskZeroCriterion.lua).

    ``MaskZeroCriterion(criterion, nInputDim)``: ``nInputDim`` is the number of non-batch dimensions of the
    input's first tensor (depth first in a table), which must have one more (a batch: single samples are
    refused, as the Lua file refuses them); 0 takes a vector of one number per sample (rnn's NCE examples).
    The rows whose first tensor's row is all zeros are taken out of every tensor of the input and target (both
    indexed on dimension 0) before ``criterion`` sees them, so the loss and any average are over the other
    rows; gradInput is zero on the masked rows. When every row is masked (``isEmptyBatch``) the loss is 0 and
    gradInput all zeros.

    ``MaskZeroCriterion(criterion)`` without nInputDim is torch/rnn's (its ``v2``): it masks the rows that
    ``setZeroMask`` marks (a ByteTensor of the batch size, 1 at padding; False masks nothing), which must come
    before the forward. Setting ``v2 = False`` tests the input's rows instead (torch/rnn's backwards
    compatibility: dimension 0 of the first tensor is the batch, whatever its dimensions), and ``v2 = True`` on
    an Element-Research ``MaskZeroCriterion(criterion, nInputDim)`` makes it use the mask."""

    def __init__(self, criterion, nInputDim=None):
        super().__init__()
        if not isinstance(criterion, Criterion):
            raise TypeError(f"MaskZeroCriterion: expected a criterion, got {type(criterion).__name__}")
        if nInputDim is not None:
            check_hyper('MaskZeroCriterion', nonnegative=dict(nInputDim=nInputDim))
        self.criterion = criterion
        self.nInputDim = nInputDim
        self.v2 = nInputDim is None
        self.takes_labels = criterion.takes_labels

    zeroMask = None
    isEmptyBatch = False

    def setZeroMask(self, zeroMask):
        """torch/rnn's: the rows to mask in the next forwards (a ByteTensor of the batch size, 1 where a row is
        padding), or False to mask none; used while ``v2`` is true, until ``clearState`` (which forgets it, as
        MaskZeroCriterion.lua's does)."""
        self.zeroMask = None if zeroMask is None else check_zero_mask(self, zeroMask)

    def _take_rows(self, buf, tensor, what):
        """``buf`` = the kept rows of ``tensor``."""
        if tensor.dim() == 0 or tensor.size(0) != self._batch:
            raise input_error(self, f"{what} with the input's batch of {self._batch} as its first dimension",
                              f"size {tuple(tensor.size())}")
        kept = tensor.xp.asarray(self._kept)
        buf.resize((kept.size,) + tensor._size[1:])
        tensor.xp.take(tensor.array, kept, axis=0, out=buf.array)

    def _rows(self, old, tree, what):
        """The kept rows of every tensor of ``tree``, in ``old``'s tensors where their types fit."""
        return map_tree(self, old, tree, self._take_rows, what)

    def _grad_rows(self, old, grad, input, what):
        """Zeros shaped like ``input`` with the kept rows from ``grad`` (the criterion's gradInput, or None)."""
        if isinstance(input, list):
            old = old if isinstance(old, list) else []
            return [self._grad_rows(old[i] if i < len(old) else None, None if grad is None else grad[i], x,
                                    f"{what}[{i}]") for i, x in enumerate(input)]
        buf = old if type(old) is type(input) else input.new()
        buf.resizeAs(input).zero()
        if grad is not None:
            buf.array[input.xp.asarray(self._kept)] = grad.array
        return buf

    def _batch_tensor(self, input):
        """The input's first tensor, whose dimension 0 is the batch that torch/rnn's masks cover."""
        x = first_tensor(input)
        if x is None or x.dim() == 0:
            raise input_error(self, "a batch input (its first tensor's dimension 0)", describe(input))
        return x

    def _select(self, input):
        """Record the batch size and the indices of the rows that are not padding (``_kept``)."""
        if self.v2:
            x = self._batch_tensor(input)
            if self.zeroMask is None:
                raise input_error(self, "a zeroMask tensor or false (setZeroMask) before forward, as v2 (torch/rnn's "
                                  "MaskZeroCriterion) masks the rows it marks", "none")
            keep = x.xp.ones(x.size(0)) if self.zeroMask is False else keep_array(self, self.zeroMask, x, (x.size(0),))
            self._set_kept(keep == 0)
            return
        if self.nInputDim is None:   # torch/rnn's v1: the rows of dimension 0, whatever the dimensions
            x = self._batch_tensor(input)
            self._set_kept(zero_norm(x.xp.ascontiguousarray(x.array).reshape(x.size(0), -1)))
            return
        batch, zero = zero_rows(self, input, self.nInputDim)
        if not batch:
            x = first_tensor(input)
            raise input_error(self, f"a batch: a first input tensor of {self.nInputDim + 1} dimensions (nInputDim "
                              f"{self.nInputDim}; single samples are not supported)", f"{x.dim()}-D")
        self._set_kept(zero)

    def _set_kept(self, zero):
        """From the boolean array ``zero`` over the batch's rows, true at padding: the batch size and the rows
        kept."""
        self._batch = zero.shape[0]
        self._kept = (zero == 0).nonzero()[0]
        self.isEmptyBatch = self._kept.size == 0

    def updateOutput(self, input, target):
        self._select(input)
        if self._kept.size == 0:   # every sample masked: no loss (the Lua file's issue 128)
            self.output = 0.0
            return self.output
        self._input = self._rows(self.__dict__.get('_input'), input, 'input')
        self._target = self._rows(self.__dict__.get('_target'), target, 'target')
        self.output = self.criterion.forward(self._input, self._target)
        return self.output

    def updateGradInput(self, input, target):
        # the rows are found again from this input (the Lua file reuses forward's, found from the same input)
        self._select(input)
        grad = None
        if self._kept.size:
            self._input = self._rows(self.__dict__.get('_input'), input, 'input')
            self._target = self._rows(self.__dict__.get('_target'), target, 'target')
            grad = self.criterion.backward(self._input, self._target)
        self.gradInput = self._grad_rows(self.gradInput, grad, input, 'input')
        return self.gradInput

    def clearState(self, *names):
        # MaskZeroCriterion.lua's clearState forgets setZeroMask's mask: a v2 forward after it needs a new one
        self.__dict__.pop('zeroMask', None)
        self.criterion.clearState()
        return super().clearState('_input', '_target', *names)

    def __repr__(self):
        return f"{lua_typename(self)}({self.criterion!r})"
