"""layers/MixtureTable.lua: replaces torch/nn's MixtureTable's __init, updateOutput, updateGradInput and type for the
whole Lua process (its parent is nn.Module); here a subclass of legonn's class the port uses. ``dim`` is 0-based,
defaulting to 1 (0 for an unbatched gater): ``self.dim or 2`` is written with an ``is None`` test, since a 0-based
dim of 0 is false in Python. The gradInput table gets its second entry's slot before the tensor branch assigns it
(a Python list does not grow on assignment)."""
import legonn as lg
from legonn import nn

from ._or import _or


class MixtureTable(nn.MixtureTable):

    def __init__(self, dim=None):
        nn.Module.__init__(self)
        self.dim = dim
        self.size = lg.LongStorage()
        self.batchSize = 0
        self.size2 = lg.LongStorage()
        self.backwardSetup = False
        self.gradInput = []

    def updateOutput(self, input):
        gaterInput, expertInputs = input

        # buffers
        self._gaterView = _or(getattr(self, 'gaterView', None), input[0].new())
        self._expert = _or(getattr(self, '_expert', None), input[0].new())
        self._expertView = _or(getattr(self, '_expertView', None), input[0].new())

        self.dimG = 1
        batchSize = gaterInput.size(0)
        if gaterInput.dim() < 2:
            self.dimG = 0
            self.dim = _or(self.dim, 0)
            batchSize = 1
        self.dim = _or(self.dim, 1)
        if getattr(self, 'table', None) or isinstance(expertInputs, list):
            # expertInput is a Table :
            self.table = True
            if gaterInput.size(self.dimG) != len(expertInputs):
                raise RuntimeError("Should be one gater output per expert")
            expertInput = expertInputs[0]
            if self.batchSize != batchSize or prod(self.size) != gaterInput.nElement():
                self.size.resize(expertInput.dim() + 1).fill(1)
                if self.dimG > 0:
                    self.size[0] = gaterInput.size(0)
                self.size[self.dim] = gaterInput.size(self.dimG)
                self.output = self.output.type(expertInput.type())
                self.output.resizeAs(expertInput)
                self.backwardSetup = False
                self.batchSize = batchSize
            self._gaterView.view(gaterInput, self.size)
            self.output.zero()
            # multiply accumulate gater outputs by their commensurate expert
            for i, expertInput in enumerate(expertInputs):
                gate = self._gaterView.select(self.dim, i).expandAs(expertInput)
                self.output.addcmul(expertInput, gate)
        else:
            if self.batchSize != batchSize or prod(self.size) != gaterInput.nElement():
                self.size.resize(expertInputs.dim()).fill(1)
                if self.dimG > 0:
                    self.size[0] = gaterInput.size(0)
                self.size[self.dim] = gaterInput.size(self.dimG)
                self.output.resizeAs(expertInputs.select(self.dim, 0))
                self.gradInput.extend([None] * (2 - len(self.gradInput)))
                self.gradInput[1] = getattr(self, '_gradInput', None)
                self.batchSize = batchSize
                self.backwardSetup = False
            self._gaterView.view(gaterInput, self.size)
            self._expert.cmul(self._gaterView.expandAs(expertInputs), expertInputs)
            self.output.sum(self._expert, self.dim)
            self.output.resizeAs(expertInputs.select(self.dim, 0))

        return self.output

    def updateGradInput(self, input, gradOutput):
        gaterInput, expertInputs = input
        self.gradInput = nn.utils.recursiveResizeAs(self.gradInput, input)[0]
        gaterGradInput, expertGradInputs = self.gradInput

        # buffers
        self._sum = _or(getattr(self, '_sum', None), input[0].new())
        self._gradInput = _or(getattr(self, '_gradInput', None), [input[0].new(), []])
        self._expertView2 = _or(getattr(self, '_expertView2', None), input[0].new())
        self._expert2 = _or(getattr(self, '_expert2', None), input[0].new())

        if getattr(self, 'table', None):
            if not self.backwardSetup:
                for i, expertInput in enumerate(expertInputs):
                    expertGradInput = expertGradInputs[i] if i < len(expertGradInputs) else expertInput.clone()
                    expertGradInput.resizeAs(expertInput)
                    expertGradInputs[i] = expertGradInput
                gaterGradInput.resizeAs(gaterInput)
                self.backwardSetup = True

            # like CMulTable, but with broadcasting
            for i, expertGradInput in enumerate(expertGradInputs):
                # gater updateGradInput
                self._expert.cmul(gradOutput, expertInputs[i])
                if self.dimG == 0:
                    self._expertView.view(self._expert, -1)
                else:
                    self._expertView.view(self._expert, gradOutput.size(0), -1)
                self._sum.sum(self._expertView, self.dimG)
                if self.dimG == 0:
                    gaterGradInput[i] = self._sum.select(self.dimG, 0)
                else:
                    gaterGradInput.select(self.dimG, i).copy(self._sum.select(self.dimG, 0))

                # expert updateGradInput
                gate = self._gaterView.select(self.dim, i).expandAs(expertGradInput)
                expertGradInput.cmul(gate, gradOutput)
        else:
            if not self.backwardSetup:
                self.size2.resize(expertInputs.dim())
                self.size2.copy(expertInputs.size())
                self.size2[self.dim] = 1
                gaterGradInput.resizeAs(gaterInput)
                self.backwardSetup = True

            # gater updateGradInput
            self._expertView.view(gradOutput, self.size2)
            gradOutput = self._expertView.expandAs(expertInputs)
            self._expert.cmul(gradOutput, expertInputs)
            expert = self._expert.transpose(self.dim, self.dimG)
            if not expert.isContiguous():
                self._expert2.resizeAs(expert)
                self._expert2.copy(expert)
                expert = self._expert2
            if self.dimG == 0:
                self._expertView2.view(expert, gaterInput.size(0), -1)
            else:
                self._expertView2.view(expert, gaterInput.size(0), gaterInput.size(1), -1)
            gaterGradInput.sum(self._expertView2, self.dimG + 1)
            gaterGradInput.resizeAs(gaterInput)

            # expert updateGradInput
            expertGradInputs.cmul(self._gaterView.expandAs(expertInputs), gradOutput)

        return self.gradInput

    def type(self, type=None, tensorCache=None):
        self._gaterView = None
        self._expert = None
        self._expertView = None
        self._sum = None
        self._gradInput = None
        self._expert2 = None
        self._expertView2 = None
        self.output.type(type)  # Tensor.lua:234 names one argument: Lua drops tensorCache
        return nn.Module.type(self, type, tensorCache)


def prod(storage):
    p = 1
    for i in range(len(storage)):
        p = p * storage[i]
    return p


# Torch7 saves it as nn.MixtureTable; lg.save needs a name of its own (docs/porting.md, the nn.LinearNoBias row)
lg.register(MixtureTable, 'lie_access_memory.MixtureTable')
