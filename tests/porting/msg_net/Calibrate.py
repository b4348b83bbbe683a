"""modules/Calibrate.lua: an identity layer that keeps the Gram matrix of what passes through it (``getGram``);
MSG-Net inserts one after each style layer of the loss network to extract a style's features."""
import legonn as lg
from legonn import nn

from tests.porting.test_fast_neural_style_train import GramMatrix


class Calibrate(nn.Module):

    def __init__(self):
        super().__init__()
        self.gram = lg.Tensor()
        self.calibrator = GramMatrix()

    def updateOutput(self, input):
        assert self and input is not None
        self.gram = self.calibrator.forward(input).squeeze()
        return input

    def updateGradInput(self, input, gradOutput):
        assert self and gradOutput is not None
        self.gradInput = gradOutput
        return self.gradInput

    def getGram(self):
        return self.gram.clone()
