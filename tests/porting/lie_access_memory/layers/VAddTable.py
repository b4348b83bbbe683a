"""layers/VAddTable.lua: ``VAddTable(neg_A)(A, BList)``: A (batch, M) and a list of L tensors (batch, M) give
(batch, L, M), each B + A (B - A with ``neg_A``)."""
import legonn as lg
from legonn import nn


class VAddTable(nn.Module):

    def __init__(self, neg_A=None):
        # if neg_A, then compute B - A instead of B + A
        super().__init__()
        self.gradInput = [lg.Tensor(), []]
        self.neg_A = neg_A

    def updateOutput(self, input):
        A, BList = input[0], input[1]
        assert len(BList) > 0, 'second input must be a nonempty list'
        # assuming A has size (batch, M) and BList is a list of tensors of the same size
        batch_size = A.size(0)
        M = A.size(1)
        _A = A.view(batch_size, 1, M)
        if self.output is None:
            self.output = A.new()
        self.output.resize(batch_size, len(BList), M)
        for i in range(len(BList)):
            _B = BList[i].view(batch_size, 1, M)
            if self.neg_A:
                self.output.narrow(1, i, 1).csub(_B, _A)
            else:
                self.output.narrow(1, i, 1).add(_A, _B)
        assert self.output.size(0) == batch_size
        assert self.output.size(1) == len(BList)
        assert self.output.size(2) == M
        return self.output

    def updateGradInput(self, input, gradOutput):
        A, BList = input
        batch_size = A.size(0)
        M = A.size(1)

        if len(self.gradInput) != 2:
            gradA = self.gradInput[0] if len(self.gradInput) > 0 else A.new()
            self.gradInput = [gradA, []]
        self.gradInput[1] = []
        self.gradInput[0].resizeAs(A).zero()
        for i in range(len(BList)):
            g = gradOutput[:, i, :]
            if self.neg_A:
                self.gradInput[0].csub(g)
            else:
                self.gradInput[0].add(g)
            self.gradInput[1].append(g)
        return self.gradInput


lg.register(VAddTable, 'nn.VAddTable')
