"""layers/Append.lua: ``Append(){oldParts, newPart, parentNodes}`` is a new Penlight List of ``oldParts`` followed by
``newPart``; the parents (a tensor or a list of them) get zero gradients."""
import legonn as lg
from legonn import nn
from legonn.pl import tablex
from legonn.pl.List import List

from ._or import _or


class Append(nn.Module):

    def __init__(self):
        super().__init__()
        self.output = List()
        self.gradInput = []

    def updateOutput(self, input):
        oldParts, newPart, parentNodes = input
        self.output = List(tablex.copy(oldParts))
        self.oldSize = len(self.output)
        self.output.append(newPart)
        self.newSize = len(self.output)
        return self.output

    def updateGradInput(self, input, gradOutput):
        list_, newPart, parentNodes = input

        self.gradInput = [None, None, None]
        assert len(gradOutput) == self.newSize
        assert len(list_) == self.oldSize
        self.gradInput[0] = tablex.sub(gradOutput, 0, self.oldSize - 1)
        self.gradInput[1] = gradOutput[self.newSize - 1]

        self.gradParents = _or(getattr(self, 'gradParents', None), [])
        if not isinstance(parentNodes, list):
            if not self.gradParents:
                self.gradParents.append(newPart.new())
            self.gradParents[0].resizeAs(parentNodes).zero()
            self.gradInput[2] = self.gradParents[0]
        else:
            for i, node in enumerate(parentNodes):
                if i == len(self.gradParents):
                    self.gradParents.append(newPart.new())
                self.gradParents[i].resizeAs(node).zero()
            self.gradInput[2] = self.gradParents
        return self.gradInput

    def type(self, type=None, tensorCache=None):
        self.gradInput = []
        for i in range(len(self.output)):
            self.output[i].type(type)  # Tensor.lua:234 names one argument: Lua drops tensorCache


lg.register(Append, 'nn.Append')
