"""modules/BBoxNorm.lua: in evaluate mode, un-normalises box regressions (n x 4k): each 4-vector times ``std``
plus ``mean``; in training mode the identity."""
import legonn as lg
from legonn import nn


class BBoxNorm(nn.Module):

    def __init__(self, mean, std):
        assert mean is not None and std is not None
        super().__init__()
        self.mean = mean
        self.std = std

    def updateOutput(self, input):
        assert input.dim() == 2 and input.size(1) % 4 == 0
        self.output.set(input)
        if not self.train:
            if not input.isContiguous():
                if getattr(self, '_output', None) is None:
                    self._output = input.new()
                self._output.resizeAs(input).copy(input)
                self.output = self._output

            output = self.output.view(-1, 4)
            output.cmul(self.std.expandAs(output)).add(self.mean.expandAs(output))
        return self.output

    def updateGradInput(self, input, gradOutput):
        assert self.train, 'cannot updateGradInput in evaluate mode'
        self.gradInput = gradOutput
        return self.gradInput

    def clearState(self):
        nn.utils.clear(self, '_output')
        return super().clearState()


lg.register(BBoxNorm, 'nn.BBoxNorm')
