"""LinearRNN and LookupRNN: torch/rnn's simple recurrences (LinearRNN.lua, LookupRNN.lua), Recurrences whose step
module is built from nn layers."""
from ..modules.linear import Linear
from ..modules.lookup_table import LookupTableMaskZero
from ..modules.smooth_activations import Sigmoid
from ..modules.table_arithmetic import CAddTable
from ..modules.table_structure import JoinTable
from ..tensor.introspection import typename as lua_typename
from .recurrent import Recurrence
from .sequential import Sequential
from .tables import ParallelTable


class LinearRNN(Recurrence):
    """``LinearRNN(inputsize, outputsize, transfer=Sigmoid())``: h[t] = transfer(Linear([x[t], h[t-1]])), the
    Linear ``(inputsize + outputsize) -> outputsize`` over the joined input and previous output. Input
    ``(inputsize,)`` or ``(batch, inputsize)``, output h[t] of ``outputsize``; h[-1] is zeros."""

    def __init__(self, inputsize, outputsize, transfer=None):
        transfer = Sigmoid() if transfer is None else transfer
        stepmodule = Sequential() \
            .add(JoinTable(0, 1)) \
            .add(Linear(inputsize + outputsize, outputsize)) \
            .add(transfer)
        super().__init__(stepmodule, outputsize, 1)
        self.inputsize = inputsize
        self.outputsize = outputsize

    def __repr__(self):
        return f"{lua_typename(self)}({self.inputsize} -> {self.outputsize})"


class LookupRNN(Recurrence):
    """``LookupRNN(nindex, outputsize, transfer=Sigmoid(), merge=CAddTable())``: h[t] = transfer(merge(
    LookupTableMaskZero(nindex, outputsize)(x[t]), Linear(outputsize, outputsize)(h[t-1]))). Input: indices,
    ``()`` or ``(batch,)``, 0-based with -1 the padding (LookupTableMaskZero's, docs/porting.md); output h[t] of
    ``outputsize``."""

    def __init__(self, nindex, outputsize, transfer=None, merge=None):
        transfer = Sigmoid() if transfer is None else transfer
        merge = CAddTable() if merge is None else merge
        stepmodule = Sequential() \
            .add(ParallelTable()
                 .add(LookupTableMaskZero(nindex, outputsize))   # input layer
                 .add(Linear(outputsize, outputsize))) \
            .add(merge) \
            .add(transfer)   # input is {x[t], h[t-1]}
        super().__init__(stepmodule, outputsize, 0)
        self.nindex = nindex
        self.outputsize = outputsize

    def __repr__(self):
        return f"{lua_typename(self)}({self.nindex} -> {self.outputsize})"
