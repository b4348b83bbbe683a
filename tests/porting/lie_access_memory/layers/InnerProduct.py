"""layers/InnerProduct.lua: ``InnerProduct()(A, BList)``: A (batch, M) and a list of L tensors (batch, M) give the
inner products (batch, L)."""
import legonn as lg
from legonn import nn

from ._or import _or


class InnerProduct(nn.Module):
    # if A has size (batch, M), and BList is a list of length L of the same sized tensor, then
    # return a tensor of size (batch, L)

    def __init__(self):
        super().__init__()
        self.gradInput = [lg.Tensor(), []]

    def updateOutput(self, input):
        A, BList = input[0], input[1]
        assert len(BList) > 0, 'second input must be a nonempty list'
        # assuming A has size (batch, M) and BList is a list of tensors of the same size
        batch_size = A.size(0)
        M = A.size(1)
        _A = A.view(batch_size, 1, M)
        if self.output is None:
            self.output = A.new()
        self.output.resize(batch_size, len(BList), 1)
        for i in range(len(BList)):
            _B = BList[i].view(batch_size, M, 1)
            self.output.narrow(1, i, 1).bmm(_A, _B)
        self.output.view(self.output, batch_size, len(BList))
        assert self.output.size(0) == batch_size
        assert self.output.size(1) == len(BList)
        return self.output

    def updateGradInput(self, input, gradOutput):
        A, BList = input

        if len(self.gradInput) != 2:
            gradA = self.gradInput[0] if len(self.gradInput) > 0 else A.new()
            self.gradInput = [gradA, []]
        self._gradInput2 = _or(getattr(self, '_gradInput2', None), [])
        for i in range(len(BList)):
            if i == len(self._gradInput2):
                self._gradInput2.append(BList[i].new())
            self._gradInput2[i].resizeAs(BList[i])
        self.gradInput[1] = []
        self.gradInput[0].resizeAs(A).zero()
        for i in range(len(BList)):
            self.gradInput[1].append(self._gradInput2[i])
            g = gradOutput[:, i:i + 1].expandAs(A)
            self.gradInput[0].addcmul(BList[i], g)
            self.gradInput[1][i].resizeAs(A).cmul(A, g)
        return self.gradInput


lg.register(InnerProduct, 'nn.InnerProduct')
