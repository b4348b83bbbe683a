"""recurrent.torch's MaskPaddingCriterion.lua: applies a criterion to the rows whose target is not the padding
value, and gives the padded rows a zero gradient."""
import legonn as lg
from legonn import nn


class MaskPaddingCriterion(nn.Criterion):

    def __init__(self, criterion, padVal=None):
        super().__init__()
        self.padVal = padVal if padVal is not None else 0
        self.index = lg.Tensor()
        self.criterion = criterion
        self.type(criterion.gradInput.type())

    def setPadding(self, padding):
        self.padVal = padding

    def reduceReshape(self, input, target):
        target = target.contiguous().view(-1, 1)
        self.index = self.index.long()
        # range(1, n): the positions of the rows, 0-based here
        self.index.resize(target.size(0)).range(0, target.size(0) - 1)
        self.index = self.index.maskedSelect(target.ne(self.padVal).byte())
        self.reducedTarget = target.view(-1).index(0, self.index)
        self.reducedInput = input.view(-1, input.size(input.dim() - 1)).index(0, self.index)

    def updateOutput(self, input, target):
        self.reduceReshape(input, target)
        return self.criterion.updateOutput(self.reducedInput, self.reducedTarget)

    def updateGradInput(self, input, target):
        if getattr(self, 'reducedInput', None) is None:
            self.reduceReshape(input, target)
        gradOutput = self.criterion.updateGradInput(self.reducedInput, self.reducedTarget)
        self.gradInput.resizeAs(input).zero()
        self.gradInput.view(-1, input.size(input.dim() - 1)).indexCopy(
            0, self.index, gradOutput.view(-1, gradOutput.size(gradOutput.dim() - 1)))
        return self.gradInput


lg.register(MaskPaddingCriterion)   # as torch.class does, for lg.load (docs/porting.md)
