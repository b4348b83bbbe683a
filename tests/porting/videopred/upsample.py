"""upsample.lua: nn.SpatialUpSample, a bilinear (triangle-kernel) upsampling of a square ``h x h`` map to
``H x H`` by the matrix ``M`` (``H x h``, rows normalised): output = M x M^T per plane."""
import math

import legonn as lg
from legonn import nn


class SpatialUpSample(nn.Module):

    # for now, assume square input
    def __init__(self, inputH, outputH):
        super().__init__()
        self.h = inputH
        self.H = outputH
        self.M = lg.zeros(self.H, self.h)
        s = self.H / self.h
        for k in range(1, self.h + 1):
            for x in range(1, self.H + 1):
                v = max(0, 1 - abs((x - 1) / s - (s - 1) / (2 * s) - k + 1))
                self.M[x - 1][k - 1] = v
        # fix the first and last lines:
        self.M.cdiv(self.M.sum(1).expandAs(self.M))
        self.output = lg.Tensor()
        self.tmp = lg.Tensor()
        self.tmp2 = lg.Tensor()
        self.gradInput = lg.Tensor()

    def updateOutput(self, input):
        assert input.dim() == 4
        bsz, nfeature = input.size(0), input.size(1)
        h, w = input.size(2), input.size(3)
        assert h == self.h
        assert w == self.h
        self.tmp.resize(bsz * nfeature * h, self.H)
        self.tmp.mm(input.view(bsz * nfeature * h, w), self.M.t())
        self.tmp = self.tmp.view(bsz * nfeature, h, self.H)
        self.tmp2.resize(bsz * nfeature * self.H, h)
        self.tmp2.copy(self.tmp.transpose(1, 2))
        self.tmp.resize(bsz * nfeature * self.H, self.H)
        self.tmp.mm(self.tmp2, self.M.t())
        self.output.resize(bsz, nfeature, self.H, self.H)
        self.output.copy(self.tmp.view(-1, self.H, self.H).transpose(1, 2))
        return self.output

    def updateGradInput(self, input, gradOutput):
        bsz, nfeature = input.size(0), input.size(1)
        h, w = input.size(2), input.size(3)
        self.tmp.resize(bsz * nfeature * self.H, self.H)
        self.tmp.copy(gradOutput.view(-1, self.H, self.H).transpose(1, 2))
        self.tmp2.resize(bsz * nfeature * self.H, h)
        self.tmp2.mm(self.tmp, self.M)
        self.tmp2 = self.tmp2.view(bsz * nfeature, self.H, h)
        self.tmp.resize(bsz * nfeature * h, self.H)
        self.tmp.copy(self.tmp2.transpose(1, 2))
        self.gradInput.resize(bsz * nfeature * h, w)
        self.gradInput.mm(self.tmp, self.M)
        self.gradInput = self.gradInput.view(bsz, nfeature, h, w)
        return self.gradInput
