"""recurrent.torch's examples/language/utils/OneHot.lua: ids (N, or N x T) to one-hot rows of outputSize (0-based
ids, docs/porting.md's Indices)."""
import legonn as lg
from legonn import nn


class OneHot(nn.Module):

    def __init__(self, outputSize):
        super().__init__()
        self.outputSize = outputSize

    def updateOutput(self, input):
        input_ = input
        if input.dim() == 1 or input.size(1) > 1:
            input_ = input.view(-1, 1)
        self.output.resize(input_.size(0), self.outputSize).zero()
        if lg.type(input_) == 'torch.CudaTensor':
            self.output.scatter(1, input_, 1)
        else:
            self.output.scatter(1, input_.long(), 1)
        if input.dim() == 1:
            self.output = self.output.view(input.size(0), -1)
        elif input.size(1) > 1:
            self.output = self.output.view(input.size(0), input.size(1), -1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        return self.gradInput


lg.register(OneHot)   # as torch.class does, for lg.load (docs/porting.md)
