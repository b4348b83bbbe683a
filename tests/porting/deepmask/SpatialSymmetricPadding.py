"""SpatialSymmetricPadding.lua: pads a 4-D input with mirror reflections of itself (Matlab's padarray
'symmetric', cba[abcd...]); updateGradInput is nn.SpatialZeroPadding's (the padded region counts as constant)."""
import legonn as lg
from legonn import nn


class SpatialSymmetricPadding(nn.SpatialZeroPadding):

    def __init__(self, pad_l, pad_r=None, pad_t=None, pad_b=None):
        nn.SpatialZeroPadding.__init__(self, pad_l, pad_r, pad_t, pad_b)

    def updateOutput(self, input):
        assert input.dim() == 4, "only Dimension=4 implemented"
        # sizes
        h = input.size(2) + self.pad_t + self.pad_b
        w = input.size(3) + self.pad_l + self.pad_r
        if w < 1 or h < 1:
            raise RuntimeError('input is too small')
        self.output.resize(input.size(0), input.size(1), h, w)
        self.output.zero()
        # crop input if necessary
        c_input = input
        if self.pad_t < 0:
            c_input = c_input.narrow(2, 0 - self.pad_t, c_input.size(2) + self.pad_t)
        if self.pad_b < 0:
            c_input = c_input.narrow(2, 0, c_input.size(2) + self.pad_b)
        if self.pad_l < 0:
            c_input = c_input.narrow(3, 0 - self.pad_l, c_input.size(3) + self.pad_l)
        if self.pad_r < 0:
            c_input = c_input.narrow(3, 0, c_input.size(3) + self.pad_r)
        # crop outout if necessary
        c_output = self.output
        if self.pad_t > 0:
            c_output = c_output.narrow(2, 0 + self.pad_t, c_output.size(2) - self.pad_t)
        if self.pad_b > 0:
            c_output = c_output.narrow(2, 0, c_output.size(2) - self.pad_b)
        if self.pad_l > 0:
            c_output = c_output.narrow(3, 0 + self.pad_l, c_output.size(3) - self.pad_l)
        if self.pad_r > 0:
            c_output = c_output.narrow(3, 0, c_output.size(3) - self.pad_r)
        # copy input to output
        c_output.copy(c_input)
        # symmetric padding that fills in values on the padded region
        if w < 2 * self.pad_l or w < 2 * self.pad_r or h < 2 * self.pad_t or h < 2 * self.pad_b:
            raise RuntimeError('input is too small')
        for i in range(1, self.pad_t + 1):
            self.output.narrow(2, self.pad_t - i, 1).copy(
                self.output.narrow(2, i + self.pad_t - 1, 1))
        for i in range(1, self.pad_b + 1):
            self.output.narrow(2, self.output.size(2) - self.pad_b + i - 1, 1).copy(
                self.output.narrow(2, self.output.size(2) - self.pad_b - i, 1))
        for i in range(1, self.pad_l + 1):
            self.output.narrow(3, self.pad_l - i, 1).copy(
                self.output.narrow(3, i + self.pad_l - 1, 1))
        for i in range(1, self.pad_r + 1):
            self.output.narrow(3, self.output.size(3) - self.pad_r + i - 1, 1).copy(
                self.output.narrow(3, self.output.size(3) - self.pad_r - i, 1))
        return self.output


lg.register(SpatialSymmetricPadding, 'nn.SpatialSymmetricPadding')
