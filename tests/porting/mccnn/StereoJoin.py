"""StereoJoin.lua (jzbontar/mc-cnn): the cost volume of a left/right feature pair. Its
``adcensus.StereoJoin_forward2`` is not in adcensus.cu's function table, so updateOutput fails in Lua (a call of
nil) as in the port (an AttributeError); main.lua only builds the module (net_te's last layer, removed before use)."""
import legonn as lg
from legonn import nn

from . import adcensus


class StereoJoin(nn.Module):
    def __init__(self, disp_max):
        super().__init__()
        self.direction = -1
        self.disp_max = disp_max
        self.output_L = lg.CudaTensor()

    def updateOutput(self, input):
        assert input.size(0) == 2
        input_L = input[0:1]
        input_R = input[1:2]
        self.output_L.resize(1, self.disp_max, input_L.size(2), input_L.size(3))
        adcensus.StereoJoin_forward2(input_L, input_R, self.output_L)
        return self.output_L
