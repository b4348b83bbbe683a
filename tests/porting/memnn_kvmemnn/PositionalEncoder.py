"""KVmemnn/library/PositionalEncoder.lua of facebookarchive/MemNN, ported line by line.

``ffi.load('libmemnn.so')`` with its ``ffi.cdef`` is the port's libmemnn (the C translated into Python; see
its docstring and docs/porting.md's ffi.load row).
"""
import legonn as lg
from legonn import nn

from . import libmemnn as C


class PositionalEncoder(nn.Module):

    def __init__(self, forwardLen=None):
        """- For more details, see page 5 of this paper: http://arxiv.org/abs/1503.08895
        - forwardLen specifies whether to also return the len field of the input"""
        super().__init__()
        self.forwardLen = forwardLen
        if self.forwardLen:
            self.output = [lg.Tensor(), lg.Tensor()]
        else:
            self.output = lg.Tensor()
        self.gradInput = [lg.Tensor(), lg.Tensor()]

    def updateOutput(self, input):
        """- Computes the forward operation using the C transform.
        - If precomputed matrix is available (see lowMemoryMode), uses it."""
        inputs = input[0]
        len = input[1]
        if len.type() == 'torch.DoubleTensor':
            len = len.type('torch.FloatTensor')

        if self.forwardLen:
            output = self.output[0]
            self.output[1] = len.clone()
        else:
            output = self.output
        output.resizeAs(inputs)

        C.pe_transform(
            inputs.size(1),
            len.size(0),
            lg.data(inputs),
            lg.data(len),
            lg.data(output)
        )

        return self.output

    def updateGradInput(self, input, gradOutput):
        """- Computes the backward operation using the C transform.
        - If precomputed matrix is available (see lowMemoryMode), uses it."""
        inputs = input[0]
        len = input[1]
        if len.type() == 'torch.DoubleTensor':
            len = len.type('torch.FloatTensor')

        if lg.type(gradOutput) == 'table':
            gradOutput = gradOutput[0]

        # contains the useful output
        self.gradInput[0].resizeAs(inputs)
        # empty, just maintains API boundaries
        self.gradInput[1] = len.clone()

        C.pe_transform(
            inputs.size(1),
            len.size(0),
            lg.data(gradOutput),
            lg.data(len),
            lg.data(self.gradInput[0])
        )
        return self.gradInput


lg.register(PositionalEncoder, 'nn.PositionalEncoder')
