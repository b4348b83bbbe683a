"""modules/ModeSwitch.lua: a container running its first module in training mode and its second in evaluate
mode (backward only in training)."""
import legonn as lg
from legonn import nn


class ModeSwitch(nn.Container):

    def __init__(self, train_module, test_module):
        super().__init__()
        self.train = True
        self.modules = [train_module, test_module]

    def updateOutput(self, input):
        active = self.modules[0] if self.train else self.modules[1]
        self.output = active.updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.train:
            self.gradInput = self.modules[0].updateGradInput(input, gradOutput)
        else:
            raise RuntimeError('backprop not defined in evaluate mode')
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        pass

    def __tostring__(self):
        return nn.ParallelTable.__tostring__(self)


lg.register(ModeSwitch, 'nn.ModeSwitch')
