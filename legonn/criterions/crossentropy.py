"""CrossEntropyCriterion: LogSoftMax followed by ClassNLLCriterion, in one criterion."""
from ..modules.softmax import LogSoftMax
from .classnll import ClassNLLCriterion
from .criterion import Criterion


class CrossEntropyCriterion(Criterion):
    """loss = ClassNLL(LogSoftMax(x), t): ``input`` raw scores ``(nClasses,)`` or ``(batch, nClasses)``,
    ``target`` 0-based labels; ``weights`` and ``sizeAverage`` as in ClassNLLCriterion."""

    takes_labels = True

    def __init__(self, weights=None, sizeAverage=True):
        super().__init__()
        self.lsm = LogSoftMax()
        self.nll = ClassNLLCriterion(weights, sizeAverage)
        self.sizeAverage = sizeAverage

    def _check(self, input, target):
        # checked here so errors name this criterion, not its parts
        self.checkTensor(input, (1, 2))
        self.checkLabels(input, target, input._size[-1])

    def updateOutput(self, input, target):
        self._check(input, target)
        self.nll.sizeAverage = self.sizeAverage
        self.output = self.nll.updateOutput(self.lsm.updateOutput(input), target)
        return self.output

    def updateGradInput(self, input, target):
        self._check(input, target)
        self.nll.sizeAverage = self.sizeAverage
        self.lsm.updateOutput(input)
        self.gradInput = self.lsm.updateGradInput(input, self.nll.updateGradInput(self.lsm.output, target))
        return self.gradInput

    def clearState(self, *names):
        self.lsm.clearState()
        self.nll.clearState()
        return super().clearState(*names)
