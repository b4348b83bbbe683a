"""CategoricalEntropy: a regulariser that pushes a batch of categorical distributions towards a high entropy
(dpnn's CategoricalEntropy.lua)."""
from ..modules.arithmetic import AddConstant, Log, MulConstant
from ..modules.identity import Identity
from ..modules.reductions import Sum
from ..modules.table_arithmetic import CMulTable
from .container import Container
from .sequential import Sequential
from .tables import ConcatTable
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import reducer


class CategoricalEntropy(Container):
    """``CategoricalEntropy(scale=1, minEntropy=None)``: input a batch x classes tensor of probabilities (a
    softmax's output). Forward is the identity (the output shares the input's storage). Backward adds to
    gradOutput the gradient of ``-scale * H`` (divided by the batch size with ``sizeAverage``), where
    H = -sum_x p(x) ln(p(x) + 1e-6) is the entropy of the batch's average distribution p = sum over the batch /
    sum of all the input; with ``minEntropy`` only while H (kept in ``entropy``) is below it. The entropy is
    computed by the child ``module``, built of nn modules as the Lua file builds it."""

    input_kind = 'tensor'
    input_ranks = (2,)
    input_dtypes = 'floating'
    empty_inputs = False   # it computes on its input itself, unlike the containers that only hand it on

    def __init__(self, scale=1, minEntropy=None):
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)):
            raise ValueError(f"CategoricalEntropy: scale must be a number, got {scale!r}")
        if minEntropy is not None and (isinstance(minEntropy, bool) or not isinstance(minEntropy, (int, float))):
            raise ValueError(f"CategoricalEntropy: minEntropy must be a number or None, got {minEntropy!r}")
        self.scale, self.minEntropy = scale, minEntropy
        self._mul = MulConstant(1)   # set to 1 / sum(input) on each call: the batch's counts as probabilities
        log_p = Sequential().add(AddConstant(0.000001)).add(Log())
        self.module = (Sequential().add(Sum(0)).add(self._mul)
                       .add(ConcatTable().add(Identity()).add(log_p))
                       .add(CMulTable()).add(Sum()).add(MulConstant(-1)))
        self.modules = [self.module]
        self.minusOne = self.output.new(1).fill(-scale)   # gradient descent on -H: ascent on the entropy
        self.sizeAverage = True

    def updateOutput(self, input):
        self.checkInput(input)
        self.output.set(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, input)
        self._mul.constant_scalar = 1 / float(reducer(input.xp, 'sum')(input.array, axis=None))
        self.entropy = float(self.run_child(0, 'updateOutput', input).array[0])
        self.gradInput.resizeAs(input).copy(gradOutput)
        if self.minEntropy is None or self.entropy < self.minEntropy:
            gradEntropy = self.run_child(0, 'updateGradInput', input, self.minusOne).array
            if self.sizeAverage:
                gradEntropy = gradEntropy / input.size(0)
            self.gradInput.array[...] += gradEntropy
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        pass   # no parameters: the entropy's own modules have none

    def __repr__(self):
        return lua_typename(self)
