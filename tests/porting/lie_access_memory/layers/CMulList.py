"""layers/CMulList.lua: ``CMulList(){list, tensor}``: tensor (batch, L) times a list of L tensors (batch, 1) or
(batch), column by column; two tensors are CMulTable's."""
import legonn as lg
from legonn import nn


class CMulList(nn.CMulTable):

    def updateOutput(self, input):
        if lg.isTensor(input[0]):
            return super().updateOutput(input)
        # if tensor has size (batchsize, L), then
        # list should be a list of L tensors each of size (batchsize, 1)
        list_, tensor = input
        self.output = self.output if self.output is not None else tensor.new()
        self.output.resizeAs(tensor)
        for i in range(len(list_)):
            # the conditional below is needed to circumvent a cmul bug
            # see https://github.com/torch/torch7/issues/674
            if list_[i].dim() == 2:
                o = self.output[:, i:i + 1]
            elif list_[i].dim() == 1:
                o = self.output[:, i]
            else:
                raise RuntimeError('list[' + str(i) + ']:dim() == ' + str(list_[i].dim()))
            o.cmul(list_[i], tensor[:, i])
        return self.output

    def updateGradInput(self, input, gradOutput):
        if lg.isTensor(input[0]):
            return super().updateGradInput(input, gradOutput)
        # if tensor has size (batchsize, L), then
        # list should be a list of L tensors each of ize (batchsize, 1)
        list_, tensor = input
        self.gradList = []
        self.gradTensor = getattr(self, 'gradTensor', None)
        self.gradTensor = self.gradTensor if self.gradTensor is not None else tensor.new()
        self.gradTensor.resizeAs(tensor)
        for i in range(len(list_)):
            if list_[i].dim() == 2:
                gt = self.gradTensor[:, i:i + 1]
            elif list_[i].dim() == 1:
                gt = self.gradTensor[:, i]
            else:
                raise RuntimeError('list[' + str(i) + ']:dim() == ' + str(list_[i].dim()))
            gt.cmul(list_[i], gradOutput[:, i])

            self.gradList.append(tensor.new())
            self.gradList[i].resizeAs(tensor[:, i])
            self.gradList[i].cmul(tensor[:, i], gradOutput[:, i])
        # each gradient viewed as its (batchsize, 1) entry: nngraph's recursiveAdd sums Append's and this module's
        # gradients of one strength by element count, legonn's gModule refuses another shape (docs/porting.md)
        self.gradInput = [[g.viewAs(l) for g, l in zip(self.gradList, list_)], self.gradTensor]
        return self.gradInput


lg.register(CMulList, 'nn.CMulList')
