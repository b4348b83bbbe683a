"""recurrent.torch's TemporalCriterion.lua: a criterion summed over the time dimension (dimension 1 here) of
batch x time x ... outputs; by default computed once with time viewed as batch and multiplied by the length.

Its loops over time (``evalAsBatch`` false) index with ``i``, a global the file never sets, where the loop
variable is ``t``: in Torch7 ``input:select(2, t)`` works but ``target[i]`` (a table input) reads ``target[nil]``
and fails. The port keeps ``i`` as the nil the Lua reads (docs/porting.md's unset-global row)."""
import legonn as lg
from legonn import nn

i = None   # the global the Lua's loops read (never set)


class TemporalCriterion(nn.Criterion):

    def __init__(self, criterion, repeatTarget=None, evalAsBatch=None):
        super().__init__()
        self.criterion = criterion
        self.gradInput = []
        self.repeatTarget = repeatTarget
        self.evalAsBatch = evalAsBatch
        if self.evalAsBatch is None:
            self.evalAsBatch = True

    def makeContiguous(self, input, target=None):
        if not input.isContiguous():
            if getattr(self, '_input', None) is None:  # `self._input or x.new()`: a nil test
                self._input = input.new()
            self._input.typeAs(input).resizeAs(input).copy(input)
            input = self._input
        if target is not None and not target.isContiguous():
            if getattr(self, '_target', None) is None:  # `self._target or x.new()`: a nil test
                self._target = target.new()
            self._target.typeAs(target).resizeAs(target).copy(target)
            target = self._target
        return input, target

    def updateOutput(self, input, target):
        input, target = self.makeContiguous(input, target)
        if lg.isTensor(input) and self.evalAsBatch:
            self.output = self.criterion.updateOutput(viewTimeAsBatch(input), viewTimeAsBatch(target)) * input.size(1)
        else:
            self.output = 0
            if lg.type(input) == 'table':
                for t in range(len(input)):
                    # Lua's `local target = ... target ...` reads the outer target on its right and shadows it for
                    # this pass only; Python would rebind the outer name for the next pass: named target_
                    target_ = target if self.repeatTarget else target[i]
                    self.output = self.output + self.criterion.updateOutput(input[i], target_.squeeze())
            else:
                for t in range(input.size(1)):
                    target_ = target if self.repeatTarget else target.select(1, t)
                    self.output = self.output + self.criterion.updateOutput(input.select(1, t), target_)
        return self.output

    def updateGradInput(self, input, target):
        input, target = self.makeContiguous(input, target)
        if lg.isTensor(input) and self.evalAsBatch:
            self.gradInput = self.criterion.updateGradInput(viewTimeAsBatch(input),
                                                            viewTimeAsBatch(target)).viewAs(input) * input.size(1)
        else:
            self.gradInput = nn.utils.recursiveResizeAs(self.gradInput, input)[0]
            nn.utils.recursiveFill(self.gradInput, 0)
            if lg.type(input) == 'table':
                for t in range(len(input)):
                    target_ = target if self.repeatTarget else target[i]
                    nn.utils.recursiveAdd(self.gradInput[i], self.criterion.updateGradInput(input[i], target_.squeeze()))
            else:
                for t in range(input.size(1)):
                    target_ = target if self.repeatTarget else target.select(1, t)
                    nn.utils.recursiveAdd(self.gradInput.select(1, t),
                                          self.criterion.updateGradInput(input.select(1, t), target_))
        return self.gradInput

    def type(self, type=None, tensorCache=None):
        self.gradInput = []
        return super().type(type, tensorCache)


lg.register(TemporalCriterion)   # as torch.class does, for lg.load (docs/porting.md)


def viewTimeAsBatch(input):
    szInput = list(input.size())
    szInput[1] = szInput[0] * szInput[1]
    szInput.pop(0)
    return input.view(*szInput)
