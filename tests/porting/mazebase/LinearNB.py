"""LinearNB.lua: a Linear layer without bias (y = W x), for a vector or a batch of vectors."""
import math

import legonn as lg
from legonn import nn


class LinearNB(nn.Module):
    typename = 'nn.LinearNB'

    def __init__(self, inputSize, outputSize):
        super().__init__()

        self.outputSize = outputSize
        self.inputSize = inputSize
        self.weight = lg.Tensor(outputSize, inputSize)
        self.gradWeight = lg.Tensor(outputSize, inputSize)

        self.reset()

    def reset(self, stdv=None):
        if stdv:
            stdv = stdv * math.sqrt(3)
        else:
            stdv = 1. / math.sqrt(self.weight.size(1))
        self.weight.uniform(-stdv, stdv)

    def updateOutput(self, input):
        if input.dim() == 1:
            self.output.resize(self.outputSize)
            self.output.zero()
            self.output.addmv(1, self.weight, input)
        elif input.dim() == 2:
            nframe = input.size(0)
            nunit = self.outputSize
            self.output.resize(nframe, nunit).zero()
            if getattr(self, 'addBuffer', None) is None or self.addBuffer.size(0) != nframe:
                self.addBuffer = input.new(nframe).fill(1)
            if nunit == 1:
                self.output.select(1, 0).addmv(1, input, self.weight.select(0, 0))
            else:
                self.output.addmm(1, input, self.weight.t())
        else:
            raise ValueError('input must be vector or matrix')

        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is not None:

            nElement = self.gradInput.nElement()
            self.gradInput.resizeAs(input)
            if self.gradInput.nElement() != nElement:
                self.gradInput.zero()
            if input.dim() == 1:
                self.gradInput.addmv(0, 1, self.weight.t(), gradOutput)
            elif input.dim() == 2:
                self.gradInput.addmm(0, 1, gradOutput, self.weight)

            return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale or 1

        if input.dim() == 1:
            self.gradWeight.addr(scale, gradOutput, input)
        elif input.dim() == 2:
            nunit = self.outputSize
            if nunit == 1:
                self.gradWeight.select(0, 0).addmv(scale, input.t(), gradOutput.select(1, 0))
            else:
                self.gradWeight.addmm(scale, gradOutput.t(), input)
