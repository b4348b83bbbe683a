"""ArgMax: the index of the largest value along a dimension (dpnn's ArgMax.lua)."""
from .base.errors import check_hyper, input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename


class ArgMax(Module):
    """``ArgMax(dim=0, nInputDim=9999, asLong=True)``: the 0-based index of the maximum along ``dim`` (the first
    one on ties), ``dim`` moving one step right when the input has more than ``nInputDim`` dimensions (a batch).
    The output drops ``dim`` (a 1-D input gives size (1,)); it is a LongTensor on the input's device with
    ``asLong``, else of the input's type. No gradient goes through an index: gradInput is zeros."""

    reads_grad_output = False  # backward never reads gradOutput

    input_kind = 'tensor'
    input_dtypes = 'any'   # compares values only

    def __init__(self, dim=0, nInputDim=9999, asLong=True):
        super().__init__()
        check_hyper('ArgMax', nonnegative={'dim': dim, 'nInputDim': nInputDim})
        self.dim, self.nInputDim, self.asLong = dim, nInputDim, bool(asLong)

    def _dim(self, input):
        self.checkInput(input)
        d = self.dim + 1 if input.dim() > self.nInputDim else self.dim
        if d >= input.dim():
            raise input_error(self, f"an input with a dimension {d} (dim={self.dim}, nInputDim={self.nInputDim})",
                              f"a {input.dim()}-D input of size {tuple(input.size())}")
        return d

    def updateOutput(self, input):
        d = self._dim(input)
        indices = input.xp.argmax(input.array, axis=d)
        sizes = indices.shape or (1,)
        out = self.bufferLike('output', input, sizes, 'Long' if self.asLong else None)
        out[...] = indices.reshape(sizes)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._dim(input)
        self.bufferLike('gradInput', input)[...] = 0
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.dim})"
