"""RecGRU: torch/rnn's step-by-step GRU (RecGRU.lua), a RecStep whose step module is a StepGRU."""
from ..modules.step_gru import StepGRU
from .rec_step import RecStep


class RecGRU(RecStep):
    """``RecGRU(inputsize, outputsize)``: one GRU step per forward (its maths StepGRU's and SeqGRU's). Input
    ``(batch, inputsize)``, output h[t] ``(batch, outputsize)``; ``modules[0]`` is the StepGRU holding
    ``weight`` and ``bias``."""

    def __init__(self, inputsize, outputsize):
        super().__init__(StepGRU(inputsize, outputsize))

    def state_sizes(self):
        return (self.outputsize,)
