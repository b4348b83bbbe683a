"""PartialLinear: a Linear layer restricted to a chosen subset of its outputs."""
from ..tensor import arange, as_tensor
from ..tensor.scatter_kernels import index_bounds, scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.typed import registry


class PartialLinear(Module):
    """y = x W[p]^T + b[p] for the output rows ``p`` chosen by ``setPartition``.

    ``PartialLinear(inputsize, outputsize, bias=True)``; ``weight`` is
    ``(outputsize, inputsize)``, ``bias`` ``(outputsize,)``. Input ``(inputsize,)`` or
    ``(batch, inputsize)``; output ``(len(p),)`` or ``(batch, len(p))``.
    ``setPartition(indices)`` takes 0-based output indices (a tensor, array or list);
    ``resetPartition()`` restores all outputs, making it a plain Linear layer. Only the
    partition's rows receive gradient. As Torch7, ``weight`` starts N(0, 1), ``bias`` 0.
    ``network`` is PartialLinear.lua's small net, the only way Lua code reaches the weight
    (``m.network.get(0).get(1).weight`` and ``.gradWeight`` are this module's tensors).
    """

    positive_ints = ('inputsize', 'outputsize')
    input_ranks = (1, 2)

    def __init__(self, inputsize, outputsize, bias=True):
        super().__init__()
        self.checkHyper(inputsize=inputsize, outputsize=outputsize)
        self.inputsize, self.outputsize = inputsize, outputsize
        self.weight = self.output.new(outputsize, inputsize)
        self.gradWeight = self.output.new(outputsize, inputsize)
        self.bias = self.output.new(outputsize) if bias else None
        self.gradBias = self.output.new(outputsize) if bias else None
        self.reset()
        self.resetPartition()

    def reset(self, stdv=1):
        self.weight.normal(0, stdv)
        if self.bias is not None:
            self.bias.zero()
        return self

    def setPartition(self, indices):
        """Use only the outputs ``indices`` (0-based), in that order."""
        p = as_tensor(indices).long()
        if p.dim() != 1 or p.nElement() == 0:
            raise ValueError(f"PartialLinear: a partition is a non-empty 1-D list of indices, got size "
                             f"{tuple(p.size())}")
        lo, hi = index_bounds(p.array)
        if lo < 0 or hi >= self.outputsize:
            raise IndexError(f"PartialLinear: partition indices must lie in [0, {self.outputsize}), got [{lo}, {hi}]")
        self.partition = p.cudaLong() if self.weight.is_cuda else p
        return self

    def resetPartition(self):
        self.partition = arange(self.outputsize, tensortype='legonn.LongTensor')
        if self.weight.is_cuda:
            self.partition = self.partition.cudaLong()
        return self

    @property
    def network(self):
        """PartialLinear.lua's ``network``: ``Sequential(ParallelTable(Identity, LookupTable), MM(false, true))``
        applied to ``[input, partition]``, made on each read around this module's own ``weight`` and
        ``gradWeight`` (the LookupTable's), so that reading or changing them through it acts on this module."""
        # the containers sit above this package: their classes come from the class registry
        Sequential, ParallelTable, Identity, LookupTable, MM = (registry[name] for name in (
            'Sequential', 'ParallelTable', 'Identity', 'LookupTable', 'MM'))
        table = LookupTable(1, self.inputsize)   # one row: its weight is replaced by this module's below
        net = Sequential().add(ParallelTable().add(Identity()).add(table)).add(MM(False, True))
        net.type(self.weight.type())   # the buffers on this module's type and device
        table.weight, table.gradWeight = self.weight, self.gradWeight
        return net

    def _check(self, input):
        self.checkInput(input)
        self.checkSameType(input, self.weight)
        if input.size(-1) != self.inputsize:
            raise input_error(self, f"{self.inputsize} input features", f"input of size {tuple(input.size())}")
        return self.partition.array

    def _out_sizes(self, input):
        return tuple(input.size())[:-1] + (self.partition.nElement(),)

    def updateOutput(self, input):
        p = self._check(input)
        out = self.bufferLike('output', input, self._out_sizes(input))
        input.xp.matmul(input.array, self.weight.array[p].T, out=out)
        if self.bias is not None:
            out += self.bias.array[p]
        return self.output

    def updateGradInput(self, input, gradOutput):
        p = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        input.xp.matmul(gradOutput.array, self.weight.array[p], out=self.bufferLike('gradInput', input))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        p = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        go = gradOutput.array.reshape(-1, p.size)
        x = input.array.reshape(-1, self.inputsize)
        scatter_add(self.gradWeight.array, p, scale * (go.T @ x))
        if self.bias is not None:
            scatter_add(self.gradBias.array, p, scale * go.sum(axis=0))

    def __repr__(self):
        return (f"{lua_typename(self)}({self.inputsize} -> {self.outputsize})"
                f"{'' if self.bias is not None else ' without bias'}")
