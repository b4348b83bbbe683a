"""StereoJoin1.lua (jzbontar/mc-cnn): the dot products of consecutive feature pairs (rows 2i and 2i + 1 of a
(2N, C, H, W) batch), (N, 1, H, W); the fast architecture's training head."""
import legonn as lg
from legonn import nn


def slice_input(input):
    sizes = lg.LongStorage([input.size(0) // 2, input.size(1), input.size(2), input.size(3)])
    strides = lg.LongStorage([input.stride(0) * 2, input.stride(1), input.stride(2), input.stride(3)])
    input_L = lg.CudaTensor(input.storage(), 0, sizes, strides)
    input_R = lg.CudaTensor(input.storage(), input.stride(0), sizes, strides)
    return input_L, input_R


class StereoJoin1(nn.Module):
    def __init__(self):
        super().__init__()
        self.gradInput = lg.CudaTensor()
        self.tmp = lg.CudaTensor()

    def updateOutput(self, input):
        input_L, input_R = slice_input(input)
        self.tmp.resizeAs(input_L)
        self.tmp.cmul(input_L, input_R)
        self.output.sum(self.tmp, 1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input)
        input_L, input_R = slice_input(input)
        gradInput_L, gradInput_R = slice_input(self.gradInput)
        gradInput_L.cmul(input_R, gradOutput.expandAs(input_R))
        gradInput_R.cmul(input_L, gradOutput.expandAs(input_L))
        return self.gradInput
