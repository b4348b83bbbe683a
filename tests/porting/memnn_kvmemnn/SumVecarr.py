"""KVmemnn/library/SumVecarr.lua of facebookarchive/MemNN, ported line by line.

``ffi.load('libmemnn.so')`` with its ``ffi.cdef`` is the port's libmemnn (the C translated into Python).
"""
import legonn as lg
from legonn import nn

from . import libmemnn as C


class SumVecarr(nn.Module):

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, input):
        data, len = input
        if len.type() == 'torch.DoubleTensor':
            len = len.type('torch.FloatTensor')

        self.output.resize(len.size(0), data.size(1))

        # C implementation
        if data.type() == 'torch.DoubleTensor':
            C.sum_doubles(
                lg.data(data),
                lg.data(len),
                len.size(0),
                data.size(1),
                lg.data(self.output)
            )
        else:
            C.sum_floats(
                lg.data(data),
                lg.data(len),
                len.size(0),
                data.size(1),
                lg.data(self.output)
            )
        return self.output

    def updateGradInput(self, input, gradOutput):
        data, len = input
        if len.type() == 'torch.DoubleTensor':
            len = len.type('torch.FloatTensor')
        if not self.gradInput:   # Lua: self.gradInput[1] == nil (the table starts empty)
            self.gradInput.append(lg.Tensor())
        self.gradInput[0].resizeAs(data)
        # Lua: self.gradInput[2] = len:clone(), the FloatTensor made above from a DoubleTensor len; legonn's
        # accGradParameters refuses a gradient of another type than the output it flows back to
        # (docs/porting.md's row on gradients of another floating type), so it is the input's len.
        self.gradInput[1:] = [input[1].clone()]

        # C implementation
        if data.type() == 'torch.DoubleTensor':
            C.grad_doubles(
                lg.data(gradOutput),
                lg.data(len),
                gradOutput.size(0),
                data.size(1),
                lg.data(self.gradInput[0])
            )
        else:
            C.grad_floats(
                lg.data(gradOutput),
                lg.data(len),
                gradOutput.size(0),
                data.size(1),
                lg.data(self.gradInput[0])
            )
        return self.gradInput


lg.register(SumVecarr, 'nn.SumVecarr')
