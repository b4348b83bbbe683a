"""SeqBLSTM and SeqBGRU: torch/rnn's bidirectional fused layers (SeqBLSTM.lua, SeqBGRU.lua), a SeqLSTM or SeqGRU
reading a ``seqlen x batch x inputsize`` tensor forwards, a second one reading it backwards, their outputs
merged step by step; torch/rnn builds them on its tensor BiSequencer, which legonn's Element-Research
BiSequencer (a table of steps) is not, so they are built here as that BiSequencer builds its structure."""
from ..modules.base.module import Module
from ..modules.recurrent_gru import SeqGRU
from ..modules.recurrent_lstm import SeqLSTM, SeqLSTMP
from ..modules.table_arithmetic import CAddTable
from ..tensor.introspection import typename as lua_typename
from .decorators import Decorator
from .reverse_unreverse import ReverseUnreverse
from .sequential import Sequential
from .tables import ConcatTable


class SeqBidirectional(Decorator, abstract=True):
    """``Sequential(ConcatTable(forward, ReverseUnreverse(backward)), merge)``: ``backward`` is a clone of
    ``forward`` with its parameters reset, ``merge`` by default CAddTable (the two outputs summed). The
    zero mask (``maskZero()``, ``setZeroMask``) reaches both, the backward's reversed."""

    def __init__(self, forward, merge):
        if merge is not None and not isinstance(merge, Module):
            raise TypeError(f"nn.{type(self).__name__}: expected an nn module as merge, got {type(merge).__name__}")
        backward = forward.clone()
        backward.reset()
        self.forwardModule, self.backwardModule = forward, backward
        self.mergeModule = CAddTable() if merge is None else merge
        super().__init__(Sequential().add(ConcatTable().add(forward).add(ReverseUnreverse(backward)))
                         .add(self.mergeModule))

    def getForward(self):
        return self.forwardModule

    def getBackward(self):
        return self.backwardModule

    def __repr__(self):
        return f"{lua_typename(self)} @ " + repr(self.modules[0])


class SeqBLSTM(SeqBidirectional):
    """``SeqBLSTM(inputsize, hiddensize, outputsize=None, merge=None)``: two SeqLSTMs (SeqLSTMPs with
    ``outputsize``), the output ``seqlen x batch x outputsize`` (the default merge's). ``merge`` may come third."""

    def __init__(self, inputsize, hiddensize, outputsize=None, merge=None):
        if isinstance(outputsize, Module):
            merge, outputsize = outputsize, None
        forward = SeqLSTM(inputsize, hiddensize) if outputsize is None else \
            SeqLSTMP(inputsize, hiddensize, outputsize)
        super().__init__(forward, merge)


class SeqBGRU(SeqBidirectional):
    """``SeqBGRU(inputsize, outputsize, merge=None)``: two SeqGRUs, the output ``seqlen x batch x outputsize``."""

    def __init__(self, inputsize, outputsize, merge=None):
        super().__init__(SeqGRU(inputsize, outputsize), merge)
