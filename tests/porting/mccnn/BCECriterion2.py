"""BCECriterion2.lua (jzbontar/mc-cnn): binary cross-entropy with log(x + 1e-12), the slow architecture's loss."""
from legonn import nn

eps = 1e-12


class BCECriterion2(nn.Criterion):
    def __init__(self):
        super().__init__()
        self.sizeAverage = True

    def updateOutput(self, input, target):
        # log(input) * target + log(1 - input) * (1 - target)

        self.term1 = getattr(self, 'term1', None) if getattr(self, 'term1', None) is not None else input.new()
        self.term2 = getattr(self, 'term2', None) if getattr(self, 'term2', None) is not None else input.new()
        self.term3 = getattr(self, 'term3', None) if getattr(self, 'term3', None) is not None else input.new()

        self.term1.resizeAs(input)
        self.term2.resizeAs(input)
        self.term3.resizeAs(input)

        self.term1.fill(1).add(-1, target)
        self.term2.fill(1).add(-1, input).add(eps).log().cmul(self.term1)

        self.term3.copy(input).add(eps).log().cmul(target)
        self.term3.add(self.term2)

        if self.sizeAverage:
            self.term3.div(target.nElement())

        self.output = - self.term3.sum()

        return self.output

    def updateGradInput(self, input, target):
        # target / input - (1 - target) / (1 - input)

        self.term1 = getattr(self, 'term1', None) if getattr(self, 'term1', None) is not None else input.new()
        self.term2 = getattr(self, 'term2', None) if getattr(self, 'term2', None) is not None else input.new()
        self.term3 = getattr(self, 'term3', None) if getattr(self, 'term3', None) is not None else input.new()

        self.term1.resizeAs(input)
        self.term2.resizeAs(input)
        self.term3.resizeAs(input)

        self.term1.fill(1).add(-1, target)
        self.term2.fill(1).add(-1, input)

        self.term2.add(eps)
        self.term1.cdiv(self.term2)

        self.term3.copy(input).add(eps)

        self.gradInput.resizeAs(input)
        self.gradInput.copy(target).cdiv(self.term3)

        self.gradInput.add(-1, self.term1)

        if self.sizeAverage:
            self.gradInput.div(target.nElement())

        self.gradInput.mul(-1)

        return self.gradInput
