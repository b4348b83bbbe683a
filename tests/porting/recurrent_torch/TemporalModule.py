"""recurrent.torch's TemporalModule.lua: runs a module over batch x time x ... by viewing time as batch."""
import legonn as lg
from legonn import nn


class TemporalModule(nn.Sequential):

    def __init__(self, module):
        super().__init__()
        self.modules = [module]

    def makeContiguous(self, input, gradOutput=None):
        if not input.isContiguous():
            if getattr(self, '_input', None) is None:  # `self._input or x.new()`: a nil test
                self._input = input.new()
            self._input.typeAs(input).resizeAs(input).copy(input)
            input = self._input
        if gradOutput is not None and not gradOutput.isContiguous():
            if getattr(self, '_gradOutput', None) is None:  # `self._gradOutput or x.new()`: a nil test
                self._gradOutput = gradOutput.new()
            self._gradOutput.typeAs(gradOutput).resizeAs(gradOutput).copy(gradOutput)
            gradOutput = self._gradOutput
        return input, gradOutput

    def updateOutput(self, input):
        input = self.makeContiguous(input)[0]
        timeLength = input.size(1)
        self.output = viewTime(super().updateOutput(viewTimeAsBatch(input)), timeLength)
        return self.output

    def updateGradInput(self, input, gradOutput, *args):
        input, gradOutput = self.makeContiguous(input, gradOutput)
        self.gradInput = super().updateGradInput(viewTimeAsBatch(input), viewTimeAsBatch(gradOutput),
                                                 *args).viewAs(input)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, *args):
        input, gradOutput = self.makeContiguous(input, gradOutput)
        super().accGradParameters(viewTimeAsBatch(input), viewTimeAsBatch(gradOutput), *args)

    def backward(self, input, gradOutput, *args):
        input, gradOutput = self.makeContiguous(input, gradOutput)
        self.gradInput = super().backward(viewTimeAsBatch(input), viewTimeAsBatch(gradOutput), *args).viewAs(input)
        return self.gradInput

    def __tostring__(self):
        tab = '  '
        line = '\n'
        next = ' -> '
        str_ = 'nn.TemporalModule'
        str_ = str_ + ' {' + line + tab + '[input'
        for i in range(len(self.modules)):
            str_ = str_ + next + '(' + lg.tostring(i + 1) + ')'
        str_ = str_ + next + 'output]'
        for i in range(len(self.modules)):
            str_ = (str_ + line + tab + '(' + lg.tostring(i + 1) + '): '
                    + lg.tostring(self.modules[i]).replace(line, line + tab))
        str_ = str_ + line + '}'
        return str_


lg.register(TemporalModule)   # as torch.class does, for lg.load (docs/porting.md)


def viewTimeAsBatch(input):
    szInput = list(input.size())
    szInput[1] = szInput[0] * szInput[1]
    szInput.pop(0)
    return input.view(*szInput)


def viewTime(input, timeLength):
    szInput = list(input.size())
    szInput[0] = timeLength
    return input.view(-1, *szInput)
