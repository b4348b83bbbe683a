"""misc/GuidedBackpropReLU.lua of ramprs/grad-cam, ported line by line.

    Implementation of GuidedBackpropReLU that backpropagates positive gradients
    to input elements with positive activations; From the paper:

    Striving for Simplicity: The All Convolutional Net
    Jost Tobias Springenberg, Alexey Dosovitskiy, Thomas Brox, Martin Riedmiller
    http://arxiv.org/abs/1412.6806

``torch.class('nn.GuidedBackpropReLU', 'nn.Module')`` is a class of the port, registered under its Torch7 name
(docs/porting.md's torch.class row): legonn's nn namespace is not written into.
"""
import legonn as lg
from legonn import nn


class GuidedBackpropReLU(nn.Module):

    def updateOutput(self, input):
        self.output.resizeAs(input).copy(input)
        return self.output.cmul(lg.gt(input, 0).typeAs(input))

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        return self.gradInput.cmul(lg.gt(input, 0).typeAs(input)).cmul(lg.gt(gradOutput, 0).typeAs(input))


lg.register(GuidedBackpropReLU, 'nn.GuidedBackpropReLU')
