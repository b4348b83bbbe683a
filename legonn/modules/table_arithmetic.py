"""Element-wise arithmetic across a table of equally sized tensors.

Input: a list of tensors of one size and type; output: one tensor of that
size; gradInput: a list with one gradient per input tensor.
"""
from ..tensor import Tensor, cuda_kernels
from .base.module import Module
from .base.errors import input_error
from .base.table_buffers import copy_pieces, slot, trim, view_buffer


class _ElementwiseTable(Module):
    """Shared checks of the table modules below; ``arity`` fixes the table length when set."""
    arity = None

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def _check(self, input, gradOutput=None):
        first = input[0] if type(input) is list and input else None
        cls = type(first)
        # the common case (a list of tensors of one type and size) in a few reads; else the full checks,
        # which also word the error
        if not (issubclass(cls, Tensor) and (self.arity is None or len(input) == self.arity) and
                all(type(t) is cls and t._size == first._size for t in input)):
            self.checkTable(input, length=self.arity)
            self.checkTensorsAlike(input)
        if gradOutput is not None and not (type(gradOutput) is cls and gradOutput._size == first._size):
            self.checkSize(gradOutput, input[0].size())
            self.checkSameType(gradOutput, input[0], 'gradOutput')
        return input[0].xp

    def _grad_slots(self, input):
        trim(self, 'gradInput', len(input))
        return [slot(self, 'gradInput', i, x).array for i, x in enumerate(input)]


class CAddTable(_ElementwiseTable):
    """output = input[0] + input[1] + ...; ``inplace=True`` accumulates into input[0] and shares gradOutput."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def updateOutput(self, input):
        self._check(input)
        if self.inplace:
            out = view_buffer(self, 'output', input[0]).array
            rest = input[1:]
        else:
            out = self.bufferLike('output', input[0])
            if len(input) == 1:
                out[...] = input[0].array
            else:   # the first sum written straight into the buffer: one pass fewer than copy-then-add
                input[0].xp.add(input[0].array, input[1].array, out=out)
            rest = input[2:]
        for x in rest:
            out += x.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._check(input, gradOutput)
        if self.inplace:
            trim(self, 'gradInput', len(input))
            for i in range(len(input)):
                slot(self, 'gradInput', i, gradOutput).set(gradOutput)
        else:
            slots = self._grad_slots(input)
            copy_pieces([gradOutput.array] * len(slots), slots)
        return self.gradInput

    def __repr__(self):
        return 'nn.CAddTable' + (' (in-place)' if self.inplace else '')


class CSubTable(_ElementwiseTable):
    """output = input[0] - input[1]."""
    arity = 2

    def updateOutput(self, input):
        xp = self._check(input)
        xp.subtract(input[0].array, input[1].array, out=self.bufferLike('output', input[0]))
        return self.output

    def updateGradInput(self, input, gradOutput):
        xp = self._check(input, gradOutput)
        g0, g1 = self._grad_slots(input)
        g0[...] = gradOutput.array
        xp.negative(gradOutput.array, out=g1)
        return self.gradInput


class CMulTable(_ElementwiseTable):
    """output = input[0] * input[1] * ... (element-wise)."""

    def updateOutput(self, input):
        xp = self._check(input)
        out = self.bufferLike('output', input[0])
        if len(input) == 1:
            out[...] = input[0].array
        else:   # the first product written straight into the buffer: one pass fewer than copy-then-multiply
            xp.multiply(input[0].array, input[1].array, out=out)
        for x in input[2:]:
            out *= x.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        xp = self._check(input, gradOutput)
        go = gradOutput.array
        slots = self._grad_slots(input)
        if len(input) == 2:   # the common case, each gradient one product
            a, b = input[0].array, input[1].array
            if _pair_kernel_applies(go, a, b, *slots):   # both products in one launch
                _pair_backward(go, a, b, *slots)
                return self.gradInput
            xp.multiply(go, b, out=slots[0])
            xp.multiply(go, a, out=slots[1])
            return self.gradInput
        # the product of the other factors, not output / input[i], so that zeros in the input are fine
        for i, g in enumerate(slots):
            others = [x.array for j, x in enumerate(input) if j != i]
            if others:
                xp.multiply(go, others[0], out=g)
            else:
                g[...] = go
            for x in others[1:]:
                g *= x
        return self.gradInput


class CDivTable(_ElementwiseTable):
    """output = input[0] / input[1] (element-wise)."""
    arity = 2

    def updateOutput(self, input):
        xp = self._check(input)
        xp.divide(input[0].array, input[1].array, out=self.bufferLike('output', input[0]))
        return self.output

    def updateGradInput(self, input, gradOutput):
        xp = self._check(input, gradOutput)
        g0, g1 = self._grad_slots(input)
        xp.divide(gradOutput.array, input[1].array, out=g0)
        # d(a/b)/db = -(a/b) / b
        xp.divide(input[0].array, input[1].array, out=g1)
        g1 *= g0
        xp.negative(g1, out=g1)
        return self.gradInput


class _ExtremumTable(_ElementwiseTable):
    """output = the element-wise max (or min) over the table; the gradient goes to the first input holding it."""
    better = None  # 'greater' or 'less'

    def updateOutput(self, input):
        xp = self._check(input)
        out = self.bufferLike('output', input[0])
        out[...] = input[0].array
        winner = self.bufferLike('_winner', input[0], kind='Long')
        winner[...] = 0
        for i, x in enumerate(input[1:], 1):
            wins = getattr(xp, self.better)(x.array, out)
            xp.copyto(out, x.array, where=wins)
            winner[wins] = i
        return self.output

    def updateGradInput(self, input, gradOutput):
        xp = self._check(input, gradOutput)
        winner = self.__dict__.get('_winner')
        if winner is None or tuple(winner.size()) != tuple(input[0].size()):
            raise input_error(self, "updateOutput to have run on an input of this size",
                              f"no recorded winners for size {tuple(input[0].size())}")
        winner = winner.array
        for i, g in enumerate(self._grad_slots(input)):
            xp.multiply(gradOutput.array, winner == i, out=g)
        return self.gradInput

    def clearState(self):
        return super().clearState('_winner')


class CMaxTable(_ExtremumTable):
    """output = element-wise maximum of the table's tensors."""
    better = 'greater'


class CMinTable(_ExtremumTable):
    """output = element-wise minimum of the table's tensors."""
    better = 'less'


_pair_backward = cuda_kernels.declare('cmul_pair_backward', 'T go, T a, T b', 'T ga, T gb',
                                     'ga = go * b; gb = go * a')


def _pair_kernel_applies(*arrays):
    """Whether CMulTable's two-factor gradient can be one CUDA kernel: arrays the kernels take, of one shape
    (the kernel does not broadcast its outputs)."""
    return cuda_kernels.takes(*arrays) and all(x.shape == arrays[0].shape for x in arrays[1:])
