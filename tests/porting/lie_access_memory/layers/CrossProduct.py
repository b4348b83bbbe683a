"""layers/CrossProduct.lua: ``CrossProduct(){A, B}`` is the cross product of A and B along their last dimension
(of size 3)."""
import legonn as lg
from legonn import nn


class CrossProduct(nn.Module):

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, input):
        """expect last dimension has size 3 for both inputs"""
        A, B = input
        self.output = lg.cross(A, B, A.nDimension() - 1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        # G d(u x v)/dv = (G1 x u | ... | Gn x u)^T; G d(u x v)/du = (v x G1 | ... | v x Gn)^T (the Lua's notes)
        A, B = input
        for i in range(2):
            if i == len(self.gradInput):
                self.gradInput.append(A.new())
            self.gradInput[i].type(A.type())
        # d/du
        self.gradInput[0].cross(B, gradOutput, B.nDimension() - 1)
        self.gradInput[1].cross(gradOutput, A, A.nDimension() - 1)
        return self.gradInput

    def type(self, type=None, tensorCache=None):
        self.gradInput = []
        return super().type(type, tensorCache)


lg.register(CrossProduct, 'nn.CrossProduct')
