"""ReverseUnreverse: torch/rnn's decorator that runs a sequencer over a sequence read from its last step, its
output put back in the input's order (ReverseUnreverse.lua, the backward half of torch/rnn's BiSequencer)."""
from ..modules.base.errors import input_error
from ..modules.base.recurrent import SeqRecurrent
from ..modules.sequence_reverse import ReverseSequence
from .decorators import Decorator
from .sequencer import AbstractSequencer
from .sequential import Sequential


def reversed_steps(zeroMask):
    """A copy of the ``(seqlen, batch)`` zero mask with its steps in reverse order (False stays False)."""
    if zeroMask is False or zeroMask is None:
        return zeroMask
    reverse = zeroMask.new().resizeAs(zeroMask)
    reverse.array[...] = zeroMask.array[::-1]
    return reverse


class ReverseUnreverse(Decorator):
    """``ReverseUnreverse(sequencer)``: ``Sequential(ReverseSequence(), sequencer, ReverseSequence())`` over a
    ``seqlen x ...`` tensor or a table of steps; ``sequencer`` is a Sequencer (any AbstractSequencer), a SeqLSTM
    or a SeqGRU. ``setZeroMask(mask)`` hands the sequencer the mask ``(seqlen, batch)`` with its steps
    reversed, as it reads them."""

    def __init__(self, sequencer):
        if not isinstance(sequencer, (AbstractSequencer, SeqRecurrent)):
            raise TypeError(f"nn.ReverseUnreverse: expected an AbstractSequencer, SeqLSTM or SeqGRU, got "
                            f"{type(sequencer).__name__}")
        super().__init__(Sequential().add(ReverseSequence()).add(sequencer).add(ReverseSequence()))

    def setZeroMask(self, zeroMask):
        if getattr(zeroMask, 'dim', None) is None or zeroMask.dim() < 2:
            got = f"{zeroMask.dim()}-D" if hasattr(zeroMask, 'dim') else type(zeroMask).__name__
            raise input_error(self, "a zeroMask tensor of 2 or more dimensions (seqlen x batchsize)", got, TypeError)
        self.modules[0].setZeroMask(reversed_steps(zeroMask))

    def getModule(self):
        """The decorated sequencer."""
        return self.modules[0].modules[1]
