"""lib/InstanceNormalization.lua of rtqichen/style-swap (MIT licence; itself from jcjohnson/fast-neural-style),
ported line by line: each (image, plane) of a C x H x W or N x C x H x W input normalised over its pixels, then
scaled by weight[c] and shifted by bias[c], through a SpatialBatchNormalization over N*C planes."""
import legonn as lg
from legonn import nn


class InstanceNormalization(nn.Module):

    def __init__(self, nOutput, eps=None):
        super().__init__()

        self.eps = eps or 1e-5

        self.nOutput = nOutput
        self.prev_N = -1

        self.weight = lg.Tensor(nOutput).uniform()
        self.bias = lg.Tensor(nOutput).zero()
        self.gradWeight = lg.Tensor(nOutput)
        self.gradBias = lg.Tensor(nOutput)

    def updateOutput(self, input):
        if input.nDimension() == 3:
            N, C, H, W = 1, input.size(0), input.size(1), input.size(2)
        elif input.nDimension() == 4:
            N, C = input.size(0), input.size(1)
            H, W = input.size(2), input.size(3)
        assert C == self.nOutput

        if N != self.prev_N or (getattr(self, 'bn', None) and self.type() != self.bn.type()):
            self.bn = nn.SpatialBatchNormalization(N * C, self.eps)
            self.bn.type(self.type())
            self.prev_N = N

        # Set params for BN
        self.bn.weight.repeatTensor(self.weight, N)
        self.bn.bias.repeatTensor(self.bias, N)

        input_view = input.view(1, N * C, H, W)
        self.bn.training()
        self.output = self.bn.forward(input_view).viewAs(input)

        return self.output

    def updateGradInput(self, input, gradOutput):
        if input.nDimension() == 3:
            N, C, H, W = 1, input.size(0), input.size(1), input.size(2)
        elif input.nDimension() == 4:
            N, C = input.size(0), input.size(1)
            H, W = input.size(2), input.size(3)
        assert self.bn

        input_view = input.view(1, N * C, H, W)
        gradOutput_view = gradOutput.view(1, N * C, H, W)

        self.bn.gradWeight.zero()
        self.bn.gradBias.zero()

        self.bn.training()
        self.gradInput = self.bn.backward(input_view, gradOutput_view).viewAs(input)

        self.gradWeight.add(self.bn.gradWeight.view(N, C).sum(0))
        self.gradBias.add(self.bn.gradBias.view(N, C).sum(0))
        return self.gradInput

    def clearState(self):
        self.output = self.output.new()
        self.gradInput = self.gradInput.new()
        if getattr(self, 'bn', None):
            self.bn.clearState()
