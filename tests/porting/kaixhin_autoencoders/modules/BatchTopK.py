"""modules/BatchTopK.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line."""
import math

import legonn as lg
from legonn import nn


class BatchTopK(nn.Module):
    def __init__(self, k=None, flag=None):
        super().__init__()
        self.k = k or 1
        self.flag = flag or False

    def updateOutput(self, input):
        if self.train:
            nDim = input.nDimension()
            assert nDim == 2, 'Error: Must be a minibatch'
            batchSize = input.size(0)
            kSize = math.ceil(self.k * batchSize)

            self.output.resizeAs(input).zero()  # Zero outputs
            self.buffer, self.indices = lg.topk(input, kSize, 0, self.flag)
            self.output.scatter(0, self.indices, self.buffer)  # Retain top k%
        else:
            self.output = input  # Pass all inputs during evaluation

        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.train:
            self.gradInput.resizeAs(input).zero()  # Zero gradients
            self.gradInput.scatter(0, self.indices, gradOutput.gather(0, self.indices))  # Allocate gradients according to indices
        else:
            self.gradInput = gradOutput

        return self.gradInput
