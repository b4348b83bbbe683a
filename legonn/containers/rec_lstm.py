"""RecLSTM: torch/rnn's step-by-step LSTM (RecLSTM.lua), a RecStep whose step module is a StepLSTM."""
from ..modules.step_lstm import StepLSTM
from .rec_step import RecStep


class RecLSTM(RecStep):
    """``RecLSTM(inputsize, hiddensize, outputsize=None)``: one LSTM step per forward (its maths StepLSTM's and
    SeqLSTM's; with ``outputsize`` an LSTMP whose h is projected to outputsize). Input ``(batch, inputsize)``,
    output ``(batch, outputsize)``; ``cells[t]`` is step t's cell ``(batch, hiddensize)``, ``cell`` the latest.
    ``modules[0]`` is the StepLSTM holding ``weight``, ``bias`` (and ``weightO``)."""

    state_records = ('cells',)

    def __init__(self, inputsize, hiddensize, outputsize=None):
        super().__init__(StepLSTM(inputsize, hiddensize, outputsize))
        self.hiddensize = self.recurrentModule.hiddensize

    @property
    def zeroCell(self):
        """The zero c[-1] (RecLSTM.lua's ``zeroCell``)."""
        return self._zero_states[1]

    def state_sizes(self):
        return (self.recurrentModule.outputsize, self.recurrentModule.hiddensize)
