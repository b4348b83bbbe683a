"""PartialLinear: a Linear layer restricted to a chosen subset of its outputs."""
from ..tensor import Tensor, arange, as_tensor
from ..tensor.random import getRNGState, setRNGState
from ..tensor.scatter_kernels import index_bounds, scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.typed import registry


def _lua_network(table):
    """PartialLinear.lua's network around the LookupTable ``table``:
    ``Sequential(ParallelTable(Identity, table), MM(false, true))``, applied to ``[input, partition]``."""
    # the containers sit above this package: their classes come from the class registry
    Sequential, ParallelTable, Identity, MM = (registry[name] for name in (
        'Sequential', 'ParallelTable', 'Identity', 'MM'))
    return Sequential().add(ParallelTable().add(Identity()).add(table)).add(MM(False, True))


def _in_lookup_table(name):
    """A property reading and assigning field ``name`` of the network's LookupTable, which holds the weight as
    PartialLinear.lua's parameters() reads it (``network:get(1):get(2)``)."""
    def table(self):
        return self.network.modules[0].modules[1]
    return property(lambda self: getattr(table(self), name), lambda self, value: setattr(table(self), name, value))


class PartialLinear(Module):
    """y = x W[p]^T + b[p] for the output rows ``p`` chosen by ``setPartition``.

    ``PartialLinear(inputsize, outputsize, bias=True)``. As PartialLinear.lua, the weight
    ``(outputsize, inputsize)`` lives in the LookupTable of ``network``, the small net
    ``Sequential(ParallelTable(Identity, LookupTable), MM(false, true))`` built once by the
    constructor (``m.network.get(0).get(1).weight`` and ``.gradWeight``, what ``parameters()``
    returns); ``weight`` and ``gradWeight`` read and assign that LookupTable's (legonn's names:
    the Lua module has no such fields). ``bias`` is a row ``(1, outputsize)``, as the Lua's.
    Input ``(inputsize,)`` or ``(batch, inputsize)``; output ``(len(p),)`` or ``(batch, len(p))``.
    ``setPartition(indices)`` takes 0-based output indices (a tensor, array or list);
    ``resetPartition()`` restores all outputs, making it a plain Linear layer. Only the
    partition's rows receive gradient. The weight starts N(0, 1) (the LookupTable's reset), the
    bias 0; ``reset()`` changes nothing, as PartialLinear.lua has none (Module's is empty).
    """

    positive_ints = ('inputsize', 'outputsize')
    input_ranks = (1, 2)

    def __init__(self, inputsize, outputsize, bias=True):
        super().__init__()
        self.checkHyper(inputsize=inputsize, outputsize=outputsize)
        # define the layer as a small network:
        self.network = _lua_network(registry['LookupTable'](outputsize, inputsize))
        if bias:
            self.bias = self.output.new(1, outputsize).zero()
            self.gradBias = self.output.new(1, outputsize).zero()
        # set partition:
        self.inputsize, self.outputsize = inputsize, outputsize
        self.resetPartition()

    weight, gradWeight = _in_lookup_table('weight'), _in_lookup_table('gradWeight')

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
            out += self.bias.array[0, p]
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
            scatter_add(self.gradBias.array[0], p, scale * go.sum(axis=0))

    # --- what lg.load checks ------------------------------------------------------------------
    def _upgrade_saved_state(self):
        """A module saved by a legonn whose PartialLinear kept ``weight`` and ``gradWeight`` itself and a bias of
        ``(outputsize,)``: the network is built around them and the bias (and its gradient) made the Lua's row in
        place. Idempotent; the placeholder LookupTable's draw from the CPU generator is undone, as a load draws no
        random numbers."""
        state = self.__dict__
        if 'network' not in state and 'weight' in state:
            rng = getRNGState()
            table = registry['LookupTable'](1, 1)
            setRNGState(rng)
            state['network'] = _lua_network(table).type(self._type)
            table.weight, table.gradWeight = state.pop('weight'), state.pop('gradWeight', None)
        for name in ('bias', 'gradBias'):
            t = state.get(name)
            if t is not None and hasattr(t, 'dim') and t.dim() == 1:
                t.resize(1, t.nElement())

    def parameterSizes(self):
        return {'bias': (1, self.outputsize)}

    def validateState(self):
        self._upgrade_saved_state()
        state = super().validateState()   # the sizes first: the network's shape is checked against them
        net = self.__dict__.get('network')
        parallel = type(net) is registry['Sequential'] and len(net.modules) == 2 and net.modules[0]
        if not (type(parallel) is registry['ParallelTable'] and type(net.modules[1]) is registry['MM']
                and [type(m) for m in parallel.modules] == [registry['Identity'], registry['LookupTable']]):
            raise ValueError("PartialLinear: network must be PartialLinear.lua's Sequential(ParallelTable(Identity, "
                             f"LookupTable), MM), got {net!r:.200}")
        weight = self.weight
        sizes = tuple(weight.size()) if isinstance(weight, Tensor) else type(weight).__name__
        if sizes != (self.outputsize, self.inputsize):
            raise ValueError(f"PartialLinear: weight must be of size {self.outputsize}x{self.inputsize}, got {sizes}")
        return state

    def __repr__(self):
        return (f"{lua_typename(self)}({self.inputsize} -> {self.outputsize})"
                f"{'' if self.bias is not None else ' without bias'}")
