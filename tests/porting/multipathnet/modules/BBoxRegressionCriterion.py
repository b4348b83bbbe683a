"""modules/BBoxRegressionCriterion.lua: SmoothL1 between the regression outputs (B x 4N) of each row's target
class only (the background's four columns zeroed) and the targets, summed and divided by B. ``targets`` is
``{classes (B), boxes (B x 4N)}``; classes are 0-based here (the Lua's ``scatter`` of 1-based classes)."""
import legonn as lg
from legonn import nn


class BBoxRegressionCriterion(nn.SmoothL1Criterion):

    def updateOutput(self, inputs, targets):
        target_classes = targets[0]  # B
        target_boxes = targets[1]    # Bx84
        # inputs : Bx84

        self.sizeAverage = False

        target_classes = target_classes if lg.type(target_classes) == 'torch.CudaTensor' else target_classes.long()

        B = inputs.size(0)
        N = target_boxes.size(1) / 4

        if getattr(self, '_buffer1', None) is None:
            self._buffer1 = inputs.new()
        if getattr(self, '_buffer2', None) is None:
            self._buffer2 = inputs.new()
        self._buffer1.resize(B, N).zero()
        self._buffer1.scatter(1, target_classes.view(B, 1), 1)
        self._buffer2.resizeAs(inputs).copy(self._buffer1.view(B, N, 1).expand(B, N, 4))
        self._buffer2.narrow(1, 0, 4).zero()
        self._buffer2.cmul(inputs)

        super().updateOutput(self._buffer2, target_boxes)
        self.output = self.output / B
        return self.output

    def updateGradInput(self, inputs, targets):
        B = inputs.size(0)
        super().updateGradInput(self._buffer2, targets[1])
        return self.gradInput.div(B)


lg.register(BBoxRegressionCriterion, 'nn.BBoxRegressionCriterion')
