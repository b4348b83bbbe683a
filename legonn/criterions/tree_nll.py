"""TreeNLLCriterion: nnx's negative log-likelihood of SoftMaxTree's outputs (nnx's TreeNLLCriterion.lua)."""
from .criterion import Criterion, loss_scalar
from ..tensor.reductions import reducer


class TreeNLLCriterion(Criterion):
    """loss = -mean(input): ``input`` ``(batch,)`` holds the log-likelihood of each example's target, which
    SoftMaxTree already picked (so ``target`` is not read and may be omitted); gradInput is ``-1 / batch``
    everywhere (the Lua file's nn.Mean backward of -1). The Lua file returns the loss without keeping it in
    ``output``; legonn keeps it there too."""

    input_kind = 'tensor'
    input_ranks = (1,)

    def updateOutput(self, input, target=None):
        self.checkInput(input)
        self.output = loss_scalar(reducer(input.xp, 'sum')(input.array, axis=None), input.nElement(), sign=-1)
        return self.output

    def updateGradInput(self, input, target=None):
        self.checkInput(input)
        gi = self.bufferLike('gradInput', input)
        gi[...] = -1 / input.nElement()
        return self.gradInput
