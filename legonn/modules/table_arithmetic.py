"""Element-wise arithmetic across a table of tensors of one element count.

Input: a list of tensors of one type and element count, of any sizes; output:
one tensor of the first input's sizes; gradInput: a list with one gradient
per input tensor, of that input's sizes. Torch7 computes with TH's add, cmul,
cdiv and masked ops, which pair the elements of equal-count tensors in order
whatever their sizes (TH_TENSOR_APPLY2/3 over nElement, torch7's
lib/TH/generic/THTensorMath.c); they never broadcast.
"""
from ..tensor import Tensor, cuda_kernels
from ..tensor.introspection import typename as lua_typename
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
            self.checkTensor(first, what='input[0]')
            for i, t in enumerate(input[1:], 1):
                self._check_pairable(t, first, f"input[{i}]")
        if gradOutput is not None and not (type(gradOutput) is cls and gradOutput._size == first._size):
            # gradOutput too is only copied or masked element by element (copy, maskedSelect): its count counts
            self._check_pairable(gradOutput, first, 'gradOutput')
        return input[0].xp

    def _check_pairable(self, x, first, what):
        """Raise unless ``x`` is a tensor of ``first``'s type and element count (TH's element-wise ops
        require only equal nElement: THTensor_(cadd) etc. raise "inconsistent tensor size" otherwise)."""
        self.checkTensor(x, what=what)
        if type(x) is not type(first):
            raise input_error(self, f"{what} of type {first.type()} (like input[0])", x.type(), TypeError)
        if x.nElement() != first.nElement():
            raise input_error(self, f"{what} of {first.nElement()} elements (like input[0], of size "
                                    f"{tuple(first.size())})", f"size {tuple(x.size())}")

    def _grad_slots(self, input):
        """The arrays of gradInput's tensors, one per input tensor, of its type and sizes (reused, else made)."""
        gi, n = self.__dict__.get('gradInput'), len(input)
        if type(gi) is list and len(gi) == n:
            # the common case, the buffers of the last call fitting as they are: what trim and slot would
            # leave, read without their calls (a graph's table nodes ask this at every backward)
            arrays = [g.array for g, x in zip(gi, input) if type(g) is type(x) and g._size == x._size]
            if len(arrays) == n:
                return arrays
        trim(self, 'gradInput', n)
        return [slot(self, 'gradInput', i, x).array for i, x in enumerate(input)]


def _shaped(arr, shape):
    """``arr`` with sizes ``shape`` (it holds as many elements), its elements in order: how TH pairs the
    elements of equal-count tensors of other sizes (a view where NumPy can make one)."""
    return arr if arr.shape == shape else arr.reshape(shape)


def _operands(input):
    """The input tensors' arrays, each with input[0]'s sizes (``_shaped`` inline: a call per module call)."""
    size = input[0]._size
    return [x.array if x._size == size else x.array.reshape(size) for x in input]


def fold_into(ufunc, arrays, out):
    """out = ufunc(...ufunc(ufunc(arrays[0], arrays[1]), arrays[2])..., arrays[-1]) for a binary ``ufunc``
    (NumPy's or CuPy's add, multiply) and arrays of ``out``'s shape: CAddTable's sums and CMulTable's products,
    in that order (a gModule's region on the CPU calls it too, graph/cpu_regions.py)."""
    if len(arrays) == 1:
        out[...] = arrays[0]
        return
    ufunc(arrays[0], arrays[1], out=out)   # the first written straight into the buffer: one pass fewer than a copy
    for x in arrays[2:]:
        ufunc(out, x, out=out)


class CAddTable(_ElementwiseTable):
    """output = input[0] + input[1] + ...; ``inplace=True`` accumulates into input[0] and shares gradOutput."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def updateOutput(self, input):
        self._check(input)
        if self.inplace:
            out = view_buffer(self, 'output', input[0]).array
            for x in _operands(input)[1:]:
                out += x
        else:
            fold_into(input[0].xp.add, _operands(input), self.bufferLike('output', input[0]))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._check(input, gradOutput)
        if self.inplace:
            trim(self, 'gradInput', len(input))
            for i in range(len(input)):
                slot(self, 'gradInput', i, gradOutput).set(gradOutput)
        else:
            slots = self._grad_slots(input)
            go = gradOutput.array
            copy_pieces([go if g.shape == go.shape else go.reshape(g.shape) for g in slots], slots)
        return self.gradInput

    def __repr__(self):
        return lua_typename(self) + (' (in-place)' if self.inplace else '')


class CSubTable(_ElementwiseTable):
    """output = input[0] - input[1]."""
    arity = 2

    def updateOutput(self, input):
        xp = self._check(input)
        xp.subtract(*_operands(input), out=self.bufferLike('output', input[0]))
        return self.output

    def updateGradInput(self, input, gradOutput):
        xp = self._check(input, gradOutput)
        g0, g1 = self._grad_slots(input)
        g0[...] = _shaped(gradOutput.array, g0.shape)
        xp.negative(_shaped(gradOutput.array, g1.shape), out=g1)
        return self.gradInput


class CMulTable(_ElementwiseTable):
    """output = input[0] * input[1] * ... (element-wise)."""

    def updateOutput(self, input):
        xp = self._check(input)
        fold_into(xp.multiply, _operands(input), self.bufferLike('output', input[0]))
        return self.output

    def updateGradInput(self, input, gradOutput):
        xp = self._check(input, gradOutput)
        go = gradOutput.array
        slots = self._grad_slots(input)
        arrays = [x.array for x in input]
        if len(arrays) == 2 and _pair_kernel_applies(go, *arrays, *slots):   # both products in one launch
            _pair_backward(go, *arrays, *slots)
        else:
            self.product_gradients(xp, go, arrays, slots)
        return self.gradInput

    @staticmethod
    def product_gradients(xp, go, arrays, slots):
        """slots[i] = go * (the product of the arrays other than arrays[i], in order): the product of the other
        factors, not output / arrays[i], so that zeros in the input are fine. Arrays of equal element counts,
        each gradient in its slot's shape (TH pairs the elements of tensors of other sizes in order)."""
        if len(arrays) == 2 and arrays[0].shape == arrays[1].shape == go.shape:   # the common case: a product each
            xp.multiply(go, arrays[1], out=slots[0])
            xp.multiply(go, arrays[0], out=slots[1])
            return
        for i, g in enumerate(slots):
            others = [_shaped(x, g.shape) for j, x in enumerate(arrays) if j != i]
            if others:
                xp.multiply(_shaped(go, g.shape), others[0], out=g)
            else:
                g[...] = _shaped(go, g.shape)
            for x in others[1:]:
                g *= x


class CDivTable(_ElementwiseTable):
    """output = input[0] / input[1] (element-wise)."""
    arity = 2

    def updateOutput(self, input):
        xp = self._check(input)
        xp.divide(*_operands(input), out=self.bufferLike('output', input[0]))
        return self.output

    def updateGradInput(self, input, gradOutput):
        xp = self._check(input, gradOutput)
        g0, g1 = self._grad_slots(input)
        a, b = input[0].array, input[1].array
        xp.divide(_shaped(gradOutput.array, a.shape), _shaped(b, a.shape), out=g0)
        # d(a/b)/db = -(a/b) / b, in input[1]'s sizes
        xp.divide(_shaped(a, b.shape), b, out=g1)
        g1 *= _shaped(g0, b.shape)
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
        for i, x in enumerate(_operands(input)[1:], 1):
            wins = getattr(xp, self.better)(x, out)
            xp.copyto(out, x, where=wins)
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
            xp.multiply(_shaped(gradOutput.array, g.shape), _shaped(winner == i, g.shape), out=g)
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
    (the kernel does not broadcast its outputs, nor pairs the elements of other sizes)."""
    return cuda_kernels.takes(*arrays) and all(x.shape == arrays[0].shape for x in arrays[1:])
