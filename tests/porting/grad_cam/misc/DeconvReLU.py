"""misc/DeconvReLU.lua of ramprs/grad-cam, ported line by line.

    Implementation of DeconvReLU that backpropagates positive gradients
    irrespective of activations; From the paper:

    Visualizing and Understanding Convolutional Networks
    Matthew D. Zeiler, Rob Fergus
    https://arxiv.org/abs/1311.2901

``torch.class('nn.DeconvReLU', 'nn.Module')`` is a class of the port, registered under its Torch7 name.
"""
import legonn as lg
from legonn import nn


class DeconvReLU(nn.Module):

    def updateOutput(self, input):
        self.output.resizeAs(input).copy(input)
        return self.output.cmul(lg.gt(input, 0).typeAs(input))

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        return self.gradInput.cmul(lg.gt(gradOutput, 0).typeAs(input))


lg.register(DeconvReLU, 'nn.DeconvReLU')
