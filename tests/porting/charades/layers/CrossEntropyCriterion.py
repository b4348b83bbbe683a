"""layers/CrossEntropyCriterion.lua: an older copy of torch/nn's CrossEntropyCriterion (LogSoftMax then
ClassNLLCriterion, squeezing input and target), which no file of the repository requires: models/init.lua's
``nn.CrossEntropyCriterion()`` is torch/nn's. Ported as a class of this module, not registered under the nn
name (legonn's ``nn.CrossEntropyCriterion`` stays nn's)."""
from legonn import nn


class CrossEntropyCriterion(nn.Criterion):
    def __init__(self, weights=None):
        super().__init__()
        self.lsm = nn.LogSoftMax()
        self.nll = nn.ClassNLLCriterion(weights)

    def updateOutput(self, input, target):
        input = input.squeeze()
        target = target if isinstance(target, (int, float)) else target.squeeze()
        self.lsm.updateOutput(input)
        self.nll.updateOutput(self.lsm.output, target)
        self.output = self.nll.output
        return self.output

    def updateGradInput(self, input, target):
        size = input.size()
        input = input.squeeze()
        target = target if isinstance(target, (int, float)) else target.squeeze()
        self.nll.updateGradInput(self.lsm.output, target)
        self.lsm.updateGradInput(input, self.nll.gradInput)
        self.gradInput.view(self.lsm.gradInput, size)
        return self.gradInput
