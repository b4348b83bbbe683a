"""layers/Embedding.lua: a lookup table, ``torch.class('Embedding', 'nn.Module')`` (a global class): input a
vector of batch_size symbol indices (0-based here), output batch_size x outputSize rows of ``weight``.
Its gradInput is a tensor of the input's size left as resize finds it (the symbols take no gradient)."""
import legonn as lg
from legonn import nn


class Embedding(nn.Module):
    lua_package = None

    def __init__(self, inputSize, outputSize):
        super().__init__()
        self.outputSize = outputSize
        self.weight = lg.Tensor(inputSize, outputSize)
        self.gradWeight = lg.Tensor(inputSize, outputSize)

    def updateOutput(self, input):
        self.output.resize(input.size(0), self.outputSize)
        for i in range(input.size(0)):
            self.output[i].copy(self.weight[input[i]])
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is not None:
            self.gradInput.resize(input.size())
            return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale or 1
        if scale == 0:
            self.gradWeight.zero()
        for i in range(input.size(0)):
            word = input[i]
            self.gradWeight[word].add(gradOutput[i])


# we do not need to accumulate parameters when sharing
Embedding.sharedAccUpdateGradParameters = Embedding.accUpdateGradParameters
lg.register(Embedding)          # torch.class makes the class known to torch.MemoryFile (utils.cloneManyTimes)
