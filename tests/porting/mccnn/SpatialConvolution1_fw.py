"""SpatialConvolution1_fw.lua (jzbontar/mc-cnn): a 1x1 convolution, forward only (the slow architecture's fully
connected layers applied at every pixel of the test image); weight (out, in), bias (1, out, 1, 1)."""
import legonn as lg
from legonn import nn


class SpatialConvolution1_fw(nn.Module):
    def __init__(self, inputSize, outputSize):
        super().__init__()
        self.cuda()

        self.weight = lg.CudaTensor(outputSize, inputSize)
        self.bias = lg.CudaTensor(1, outputSize, 1, 1)

    def updateOutput(self, input):
        num_ex = input.size(0)
        fm_in = input.size(1)
        h = input.size(2)
        w = input.size(3)
        fm_out = self.weight.size(0)

        input.resize(num_ex, fm_in, h * w)
        self.output.resize(num_ex, fm_out, h * w)
        for i in range(num_ex):
            self.output[i].addmm(0, 1, self.weight, input[i])
        input.resize(num_ex, fm_in, h, w)
        self.output.resize(num_ex, fm_out, h, w)

        self.output.add(self.bias.expandAs(self.output))

        # -- Free memory
        # input:storage():resize(0)
        return self.output
