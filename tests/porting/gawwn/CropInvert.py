"""CropInvert.lua: ``nn.CropInvert``, the inverse of a batch of axis-aligned affine crops: input and output are
B x 2 x 3 matrices [[s_y, 0, t_y], [0, s_x, t_x]]; the output holds [[1/s_y, 0, -t_y/s_y], [0, 1/s_x, -t_x/s_x]]
(every other entry 0)."""
import math

import legonn as lg
from legonn import nn


class CropInvert(nn.Module):

    def __init__(self):
        super().__init__()

    def updateOutput(self, input):
        self.output.resizeAs(input).fill(0)
        for b in range(input.size(0)):
            self.output[b, 0, 0] = 1.0 / input[b, 0, 0]
            self.output[b, 1, 1] = 1.0 / input[b, 1, 1]
            self.output[b, 0, 2] = -input[b, 0, 2] / input[b, 0, 0]
            self.output[b, 1, 2] = -input[b, 1, 2] / input[b, 1, 1]
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = input.clone().fill(0)
        for b in range(input.size(0)):
            s_x = input[b, 0, 0]
            d_s_x = gradOutput[b, 0, 0]
            s_y = input[b, 1, 1]
            d_s_y = gradOutput[b, 1, 1]
            t_x = input[b, 0, 2]
            d_t_x = gradOutput[b, 0, 2]
            t_y = input[b, 1, 2]
            d_t_y = gradOutput[b, 1, 2]

            self.gradInput[b, 0, 0] = -d_s_x / math.pow(s_x, 2) + d_t_x * t_x / math.pow(s_x, 2)
            self.gradInput[b, 1, 1] = -d_s_y / math.pow(s_y, 2) + d_t_y * t_y / math.pow(s_y, 2)
            self.gradInput[b, 0, 2] = d_t_x * (-1 / s_x)
            self.gradInput[b, 1, 2] = d_t_y * (-1 / s_y)
        return self.gradInput


# torch.class('nn.CropInvert', 'nn.Module'): reached as CropInvert.CropInvert, legonn's nn gains no class
lg.register(CropInvert, 'nn.CropInvert')
