"""SequencerCriterion and RepeaterCriterion: a criterion applied at every step of a sequence (Element-Research
rnn)."""
from ..modules.base.errors import input_error
from ..modules.base.recurrent import split_steps
from ..modules.base.table_buffers import slot, trim
from .composite import _weighted_copy
from .criterion import Criterion
from ..tensor import Tensor
from ..tensor.introspection import typename as lua_typename


class SequencerCriterion(Criterion):
    """The sum over steps of ``criterion(input[t], target[t])`` (divided by seqlen with ``sizeAverage``).

    ``input`` is a ``seqlen x ...`` tensor or a table of per-step tensors, ``target`` likewise (labels
    ``seqlen x batch`` for ClassNLLCriterion); gradInput has the input's form."""

    def __init__(self, criterion, sizeAverage=False):
        super().__init__()
        if not isinstance(criterion, Criterion):
            raise TypeError(f"{type(self).__name__}: expected a criterion, got {type(criterion).__name__}")
        self.criterion = criterion
        self.sizeAverage = bool(sizeAverage)
        self.takes_labels = criterion.takes_labels

    def getStepCriterion(self, step):
        """The criterion of step ``step`` (0-based): a clone of ``criterion``, made on first use and kept in
        ``clones``, as SequencerCriterion.lua's. legonn's own steps all run ``criterion`` (each step's gradient
        is copied out before the next); a subclass ported from Lua whose ``updateOutput`` asks for each step's
        criterion gets it here."""
        clones = self.__dict__.setdefault('clones', {})
        if step not in clones:
            clones[step] = self.criterion.clone()
        return clones[step]

    stepZeroMask = None

    def setZeroMask(self, zeroMask):
        """torch/rnn's AbstractSequencerCriterion.lua: False for every step, or a mask ``seqlen x batch`` whose
        row t the criterion gets (``setZeroMask``) for step t, in each forward and backward after this."""
        if zeroMask is not False and (not isinstance(zeroMask, Tensor) or zeroMask.dim() < 2):
            got = f"{zeroMask.dim()}-D" if isinstance(zeroMask, Tensor) else type(zeroMask).__name__
            raise input_error(self, "a zeroMask of 2 or more dimensions (seqlen x batchsize), or false", got)
        self.stepZeroMask = zeroMask

    def _step_mask(self, t, nSteps):
        """Give the criterion step t's row of the mask that setZeroMask set, if any."""
        mask = self.stepZeroMask
        if mask is None or mask is False:
            if mask is False:
                self.criterion.setZeroMask(False)
            return
        if mask.size(0) != nSteps:
            raise input_error(self, f"a zeroMask of {nSteps} steps (the input's)", f"size {tuple(mask.size())}")
        self.criterion.setZeroMask(mask[t])

    def _targets(self, target):
        return target if isinstance(target, list) else super()._targets(target)

    def _steps(self, input, target):
        xs, ys = split_steps(self, input, 'input'), split_steps(self, target, 'target')
        if len(xs) != len(ys) or not xs:
            raise input_error(self, f"a non-empty target of {len(xs)} steps (the input's)", f"{len(ys)} steps")
        return xs, ys

    def updateOutput(self, input, target):
        xs, ys = self._steps(input, target)
        loss = 0
        for t, (x, y) in enumerate(zip(xs, ys)):
            self._step_mask(t, len(xs))
            loss = loss + self.criterion.forward(x, y)
        self.output = loss / len(xs) if self.sizeAverage else loss
        return self.output

    def updateGradInput(self, input, target):
        xs, ys = self._steps(input, target)
        scale = 1.0 / len(xs) if self.sizeAverage else 1.0
        table = isinstance(input, list)
        if table:
            trim(self, 'gradInput', len(xs))
        else:
            self.bufferLike('gradInput', input)
        for t, (x, y) in enumerate(zip(xs, ys)):
            self._step_mask(t, len(xs))
            step = self.criterion.backward(x, y)
            if isinstance(step, list):
                # a criterion of table inputs (MarginRankingCriterion, CosineEmbeddingCriterion): its gradInput
                # is a table, scaled entry by entry as the rnn package's table_div does
                grads = self.gradInput
                grads.extend([None] * (t + 1 - len(grads)))
                grads[t] = _weighted_copy(grads[t], step, scale)
                continue
            # step t's gradient lives in a buffer of its own whatever the input's form, as in SequencerCriterion.lua
            # each step's criterion clone keeps its gradInput: a table gradInput returned earlier holds these
            # buffers, so it shows the latest backward's step gradients as the Lua's does (rnn test.lua's
            # SequencerCriterion compares such a table, kept from a float backward, with the CUDA gradients)
            g = slot(self, '_stepGradInputs', t, step)
            step.xp.multiply(step.array, scale, out=g.array)
            if table:
                self.gradInput[t:t + 1] = [g]
            else:
                self.gradInput.select(0, t).copy(g)
        return self.gradInput

    def clearState(self):
        return super().clearState('_stepGradInputs')

    def __repr__(self):
        return f"{lua_typename(self)}({self.criterion!r})"


class RepeaterCriterion(SequencerCriterion):
    """The sum over steps of ``criterion(input[t], target)``: one target for every step (rnn's
    RepeaterCriterion.lua, for a Repeater's or Sequencer's outputs). ``input`` is a ``seqlen x ...`` tensor or a
    table of per-step tensors; gradInput has the input's form."""

    def __init__(self, criterion):
        super().__init__(criterion)

    def _steps(self, input, target):
        xs = split_steps(self, input, 'input')
        if not xs:
            raise input_error(self, "a non-empty sequence", "no steps")
        return xs, [target] * len(xs)

    def __repr__(self):
        return f"{lua_typename(self)}({self.criterion!r})"
