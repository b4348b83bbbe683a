"""CrossEntropyCriterion: LogSoftMax followed by ClassNLLCriterion, in one criterion."""
from ..modules.softmax import LogSoftMax
from .classnll import ClassNLLCriterion
from .criterion import Criterion


class CrossEntropyCriterion(Criterion):
    """loss = ClassNLL(LogSoftMax(x), t): ``input`` raw scores ``(nClasses,)`` or ``(batch, nClasses)``,
    ``target`` 0-based labels; ``weights`` and ``sizeAverage`` as in ClassNLLCriterion. As in Torch7,
    ``sizeAverage`` reaches ``self.nll`` only when it changes, so ``crit.nll.sizeAverage = False`` sticks."""

    input_ranks = (1, 2)
    takes_labels = True

    def __init__(self, weights=None, sizeAverage=True):
        super().__init__()
        self.lsm = LogSoftMax()
        self.nll = ClassNLLCriterion(weights, sizeAverage)
        self.sizeAverage = self.nll.sizeAverage
        # Torch7 copies sizeAverage into nll only when it changed, so that setting
        # ``crit.nll.sizeAverage`` directly (doc/criterion.md does) keeps working
        self._pushedSizeAverage = self.sizeAverage

    def _sync_size_average(self):
        if self.sizeAverage != getattr(self, '_pushedSizeAverage', self.sizeAverage):
            self.nll.sizeAverage = self.sizeAverage
            self._pushedSizeAverage = self.sizeAverage

    def _check(self, input, target):
        # checked here so errors name this criterion, not its parts; on the GPU self.nll reads the labels' range
        # anyway (its kernels with the loss), so it is left to it (errors then name self.nll inside this criterion)
        self.checkInput(input)
        self.checkLabels(input, target, input._size[-1], self.nll.ignoreIndex, ranged=not input._cuda)

    def updateOutput(self, input, target):
        self._check(input, target)
        self._sync_size_average()
        self.output = self.nll.updateOutput(self.lsm.updateOutput(input), target)
        return self.output

    def updateGradInput(self, input, target):
        self._check(input, target)
        self._sync_size_average()
        self.lsm.updateOutput(input)
        self.gradInput = self.lsm.updateGradInput(input, self.nll.updateGradInput(self.lsm.output, target))
        return self.gradInput

    def clearState(self, *names):
        self.lsm.clearState()
        self.nll.clearState()
        return super().clearState(*names)
