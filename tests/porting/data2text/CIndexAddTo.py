"""onmt/modules/CIndexAddTo.lua of harvardnlp/data2text: {dst: N x V, src: N x K, idxs: N x K} -> dst with each
src[n][k] added at dst[n][idxs[n][k]] (repeated indices accumulate): the copy probabilities added to the words'
probabilities. Gradients flow to dst and src, none to idxs."""
import legonn as lg
from legonn import nn


class CIndexAddTo(nn.Module):
    def __init__(self, ip=None, maxbatchsize=None, maxcols=None):
        super().__init__()
        self.inplace = ip   # only good for one arg
        self.gradInput = []
        self.maxbatchsize = maxbatchsize or 1024
        self.maxcols = maxcols or 1000
        self.range = lg.range(0, self.maxbatchsize - 1)
        self.cols = lg.Tensor(self.maxcols)
        self.outerprod = lg.Tensor()

    def updateOutput(self, input):   # expects input to be 3 things
        dst, src, idxs = input[0], input[1], input[2]
        # number of examples, number of idxs per example, and width of dst
        N, K, V = src.size(0), src.size(1), dst.size(1)
        range_ = self.range.sub(0, N - 1)
        cols = self.cols.sub(0, K - 1).fill(V)
        newidxs = self.outerprod
        newidxs.resize(N, K)
        newidxs.ger(range_, cols)
        if lg.type(idxs) == 'torch.LongTensor':
            newidxs = newidxs.long()
        if getattr(self, 'opcopy', None) is None:   # in case idxs are CudaLongTensors
            self.opcopy = idxs.new()
        self.opcopy.resize(newidxs.size(0), newidxs.size(1))
        self.opcopy.copy(newidxs).add(idxs)
        newidxs = self.opcopy
        self.newidxs = newidxs
        if self.inplace:
            self.output.set(dst)
        else:
            self.output.resizeAs(dst).copy(dst)
        self.output.view(-1).indexAdd(0, newidxs.view(-1), src.view(-1))
        return self.output

    def updateGradInput(self, input, gradOutput):
        dst, src, idxs = input[0], input[1], input[2]
        while len(self.gradInput) < 2:   # self.gradInput[1] = self.gradInput[1] or dst.new() ...
            self.gradInput.append((dst if len(self.gradInput) == 0 else src).new())
        del self.gradInput[2:]   # self.gradInput[3] = nil
        if self.inplace:
            self.gradInput[0].set(gradOutput)
        else:
            self.gradInput[0].resizeAs(dst).copy(gradOutput)
        self.gradInput[1].resizeAs(src)
        newidxs = self.newidxs
        self.gradInput[1].view(-1).index(gradOutput.view(-1), 0, newidxs.view(-1))
        return self.gradInput


lg.register(CIndexAddTo, 'nn.CIndexAddTo')
