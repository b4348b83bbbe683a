"""DistNLLCriterion: nnx's cross-entropy between a target distribution and the input's (nnx's
DistNLLCriterion.lua)."""
from ..modules.arithmetic import Log
from ..modules.softmax import LogSoftMax, SoftMax
from .criterion import Criterion, loss_scalar
from ..tensor.introspection import typename as lua_typename

_OPTIONS = ('inputIsADistance', 'inputIsProbability', 'inputIsLogProbability', 'targetIsProbability')


class DistNLLCriterion(Criterion):
    """loss = -sum_i log q_i * p_i over every element: ``q`` the input's distribution, ``p`` the target's.

    ``DistNLLCriterion(opts)`` (a dict, or keywords) with nnx's options: ``inputIsADistance`` (the input is
    negated first), ``inputIsProbability`` (log q = log(input)), ``inputIsLogProbability`` (log q = input;
    otherwise log q = LogSoftMax(input)), ``targetIsProbability`` (default True; False: p = SoftMax(target)).
    Input and target ``(n,)`` or ``(batch, n)`` of the same size (the softmaxes along the last dimension); the
    loss is summed, never averaged; gradInput goes back through the input's normalisation."""

    input_ranks = (1, 2)

    def __init__(self, opts=None, **options):
        super().__init__()
        opts = dict(opts or {}, **options)
        unknown = sorted(set(opts) - set(_OPTIONS))
        if unknown:
            raise ValueError(f"DistNLLCriterion: expected options among {', '.join(_OPTIONS)}, got {unknown}")
        self.inputIsADistance = bool(opts.get('inputIsADistance', False))
        self.inputIsProbability = bool(opts.get('inputIsProbability', False))
        self.inputIsLogProbability = bool(opts.get('inputIsLogProbability', False))
        self.targetIsProbability = bool(opts.get('targetIsProbability', True))
        self.targetSoftMax, self.inputLogSoftMax, self.inputLog = SoftMax(), LogSoftMax(), Log()

    def _normalize(self, input, target):
        """(the input as normalised, log q, p), as the Lua file's normalize."""
        self.checkInput(input)
        self.checkSize(target, tuple(input.size()), 'target')
        self.checkSameType(target, input, 'target')
        p = target if self.targetIsProbability else self.targetSoftMax.updateOutput(target)
        x = input
        if self.inputIsADistance:
            input.xp.negative(input.array, out=self.bufferLike('_negated', input))
            x = self._negated
        if self.inputIsLogProbability:
            return x, x, p
        if self.inputIsProbability:
            return x, self.inputLog.updateOutput(x), p
        return x, self.inputLogSoftMax.updateOutput(x), p

    def updateOutput(self, input, target):
        _, logq, p = self._normalize(input, target)
        self.output = loss_scalar((logq.array * p.array).sum(), sign=-1)
        return self.output

    def updateGradInput(self, input, target):
        x, _, p = self._normalize(input, target)
        p.xp.negative(p.array, out=self.bufferLike('_gradLog', p))
        gradLog = self._gradLog
        if self.inputIsLogProbability:
            grad = gradLog
        elif self.inputIsProbability:
            grad = self.inputLog.updateGradInput(x, gradLog)
        else:
            grad = self.inputLogSoftMax.updateGradInput(x, gradLog)
        gi = self.bufferLike('gradInput', input)
        gi[...] = -grad.array if self.inputIsADistance else grad.array
        return self.gradInput

    def clearState(self):
        return super().clearState('_negated', '_gradLog')

    def __repr__(self):
        on = [name for name in _OPTIONS if getattr(self, name) != (name == 'targetIsProbability')]
        return lua_typename(self) + (f"({', '.join(f'{name}={getattr(self, name)}' for name in on)})" if on else '')
