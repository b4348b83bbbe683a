"""AbstractRecurrent: the base of Element-Research rnn's step-by-step recurrent modules (Recursor,
Recurrent, Recurrence, LSTM, GRU, ...), as AbstractRecurrent.lua.

Such a module is called once per time step: each ``forward`` is the next step, run on that step's clone of
``recurrentModule`` (a ``stepClone`` sharing its parameters and gradients, kept in ``sharedClones``, so each
step keeps its own buffers for backward). ``backward``/``updateGradInput``/``accGradParameters`` then go back
through the steps in reverse order, one step per call, until ``forget()`` starts a new sequence.

Steps are 0-based: the first forward is step 0 and ``step`` counts the steps forwarded so far (the index of the
next one); the hidden state "before step 0" (Lua's step 0) is step -1. In ``evaluate()`` mode every step runs
on ``recurrentModule`` itself, no clone, so nothing is kept for backward.
"""
import weakref

from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.base.nn_utils import rnn
from ..tensor import Tensor
from ..tensor.introspection import typename as lua_typename
from .container import Container
from .mask_zero import MaskZero, TrimZero

# each step clone's (parameter or gradient, its original's) pairs, which getStepModule re-syncs at every step,
# made at the clone's first use so that a step reads no parameter tree; and, for each recurrentModule, its
# parameters and gradients when they were made: forget() drops the pairs when those tensors were replaced since
# (share(), a module added), type() always. Held weakly and outside the modules, so copies, saved files and
# type() never carry them
_PAIRS = weakref.WeakKeyDictionary()


def _shared_pairs(clone, originals):
    """(tensor of ``clone``, its counterpart in ``originals``) for each parameter and gradient, in
    ``parameters()`` order, that is not the counterpart itself (a nested recurrent module is held as itself)."""
    params, grads = clone.parameters()
    theirs = [m.parameters() for m in originals]
    others = [t for p, _ in theirs for t in p] + [t for _, g in theirs for t in g]
    return [(mine, other) for mine, other in zip(params + grads, others)
            if mine is not other and mine is not None and other is not None]


def _follow(pairs):
    """Point each tensor that no longer views its counterpart's storage back at it."""
    for mine, other in pairs:
        if mine._storage is not other._storage:
            mine.set(other)


class AbstractRecurrent(Container):
    """Base of the recurrent modules driven one step per forward. A subclass sets ``recurrentModule`` (also
    ``modules[0]`` and ``sharedClones[0]``; torch/rnn's ``AbstractRecurrent(stepmodule)`` sets the three) and
    writes ``updateOutput`` (one step: ``recycle()``, then ``getStepModule(self.step)``, then ``step += 1``),
    ``_updateGradInput`` and ``_accGradParameters`` (the step they work on is ``updateGradInputStep - 1`` and
    ``accGradParametersStep - 1``), and the hidden-state getters and setters. ``rho`` is the most steps kept
    for back-propagation through time. ``type()`` converts the step clones with the rest (they sit in the
    ``sharedClones`` dict), keeping them views of the converted parameters."""

    dpnn_stepclone = True

    # AbstractRecurrent.lua keeps nn.rnn's recursive helpers on the class, "for backwards compatibility": old
    # code (rnn's test.lua) calls ``lstm.recursiveCopy(nil, t)``
    recursiveResizeAs = staticmethod(rnn.recursiveResizeAs)
    recursiveSet = staticmethod(rnn.recursiveSet)
    recursiveCopy = staticmethod(rnn.recursiveCopy)
    recursiveAdd = staticmethod(rnn.recursiveAdd)
    recursiveTensorEq = staticmethod(rnn.recursiveTensorEq)
    recursiveNormal = staticmethod(rnn.recursiveNormal)

    def __init__(self, rho=None):
        super().__init__()
        # torch/rnn's AbstractRecurrent(stepmodule) is given its step module rather than rho
        stepmodule, rho = (rho, None) if isinstance(rho, Module) else (None, rho)
        self.rho = 99999 if rho is None else rho
        if isinstance(self.rho, bool) or not isinstance(self.rho, int) or self.rho < 1:
            raise ValueError(f"nn.{type(self).__name__}: expected rho (the most steps to back-propagate through) "
                             f"to be a positive integer, or torch/rnn's step module, got {rho!r}")
        # per-step records, keyed by 0-based step
        self.outputs = {}
        self.gradInputs = {}
        self._gradOutputs = {}
        self.gradOutputs = {}
        self.step = 0
        self.sharedClones = {}
        self.updateGradInputStep = None
        self.accGradParametersStep = None
        if stepmodule is not None:
            self.recurrentModule = stepmodule
            self.add(stepmodule)
            self.sharedClones[0] = stepmodule

    # --- step clones -------------------------------------------------------------------------------
    def getStepModule(self, step):
        """The clone of ``recurrentModule`` that runs step ``step`` (0-based), made by ``stepClone()`` on
        first use."""
        module = self.sharedClones.get(step)
        if module is None:
            module = self.recurrentModule.stepClone()
            self.sharedClones[step] = module
            self.nSharedClone = len(self.sharedClones)
        elif module is not self.recurrentModule:
            pairs = _PAIRS.get(module)
            if pairs is None:
                pairs = _PAIRS[module] = _shared_pairs(module, (self.recurrentModule,))
            # getParameters rebinds the originals' tensors in place, even between a step's forward and backward
            _follow(pairs)
        return module

    def _backwardStepModule(self, step):
        """The clone of step ``step`` for its backward, first shown that step's output (``setOutputStep``): a
        recurrent module nested in it is one object for every clone and shows its latest output, which a layer
        after it would differentiate at (Recursor.lua)."""
        module = self.getStepModule(step)
        module.setOutputStep(step)
        return module

    def _step_module(self):
        """The module that runs the next forward: its step clone in training, ``recurrentModule`` in evaluation."""
        if not self.train:
            return self.recurrentModule
        self.recycle()
        return self.getStepModule(self.step)

    def _masked_step_module(self):
        """``_step_module()`` shown its step's row of the zero mask that ``setZeroMask`` gave (torch/rnn's
        AbstractRecurrent.updateOutput), when one was given."""
        module = self._step_module()
        mask = self.__dict__.get('zeroMask')
        if mask is not None and mask is not False:
            if self.zeroMaskStep >= mask.size(0):
                raise input_error(self, f"at most {mask.size(0)} forwards (the zeroMask's steps) after setZeroMask",
                                  f"forward {self.zeroMaskStep + 1}")
            module.setZeroMask(mask[self.zeroMaskStep])
            self.zeroMaskStep += 1
        return module

    def _record_step(self, output):
        """Keep ``output`` as the output of the step just run and move on to the next step (no backward of the new
        sequence of steps has begun)."""
        self.outputs[self.step] = output
        self.output = output
        self.step += 1
        self.gradPrevOutput = None
        self.updateGradInputStep = None
        self.accGradParametersStep = None
        return output

    @staticmethod
    def keepShared(clone, *originals):
        """Point each parameter and gradient of ``clone`` that no longer views the storage of its counterpart in
        ``originals`` (their parameters in order) back at it: ``getParameters`` after the clones were made moves
        the originals' tensors into one flat storage (Torch7 then leaves the clones behind)."""
        _follow(_shared_pairs(clone, originals))

    def _unpairClones(self, unless_unchanged=False):
        """Drop keepShared's pairs of the step clones (with ``unless_unchanged``: only when the tensors of
        ``recurrentModule.parameters()`` are no longer those they were made with)."""
        params, grads = self.recurrentModule.parameters()
        now = params + grads
        then = _PAIRS.get(self.recurrentModule)
        if unless_unchanged and then is not None and len(then) == len(now) and \
                all(a is b for a, b in zip(then, now)):
            return
        for clone in self.sharedClones.values():
            _PAIRS.pop(clone, None)
        _PAIRS[self.recurrentModule] = now

    def recycle(self, offset=0):
        """Before a training step: give the current step the clone (and gradient buffer) of the step ``rho + 1``
        back, when it has none yet, and drop the output and gradInput records older than that, so at most
        ``max(rho + 1, clones made)`` clones exist. ``offset`` is rnn's argument, unused there too."""
        if 'nSharedClone' not in self.__dict__:
            self.nSharedClone = len(self.sharedClones)
        rho = max(self.rho + 1, self.nSharedClone)
        if self.sharedClones.get(self.step) is None:
            old = self.sharedClones.pop(self.step - rho, None)
            if old is not None:
                self.sharedClones[self.step] = old
            grad = self._gradOutputs.pop(self.step - rho, None)
            if grad is not None:
                self._gradOutputs[self.step] = grad
        self.outputs.pop(self.step - rho - 1, None)
        self.gradInputs.pop(self.step - rho - 1, None)
        return self

    # --- backward, one step per call, in reverse order of the forwards -----------------------------
    def updateGradInput(self, input, gradOutput):
        """The gradient of the input of the latest step not yet back-propagated (the last forward's first,
        then the one before, ...)."""
        mask = self.__dict__.get('zeroMask')
        if mask is not None and mask is not False and mask.size(0) != self.zeroMaskStep:
            raise input_error(self, f"{mask.size(0)} forwards (the zeroMask's steps) before a backward",
                              f"{self.zeroMaskStep}")
        if self.updateGradInputStep is None:
            self.updateGradInputStep = self.step
        elif self.updateGradInputStep == 0 and self.step > 0:
            # every step is back-propagated: another backward pass over the same forwards starts again from the
            # last step, with no gradient from after it (rnn asserts here; nn.Jacobian's one updateGradInput
            # per output element of one forward needs it)
            self.updateGradInputStep = self.step
            self.accGradParametersStep = None
            self.gradPrevOutput = None
        if self.updateGradInputStep < 1:
            raise input_error(self, "a forward() for each backward step (updateGradInput goes back through the "
                              "steps forwarded since forget())", "a backward with no step left")
        self.gradInput = self._updateGradInput(input, gradOutput)
        self.updateGradInputStep -= 1
        self.gradInputs[self.updateGradInputStep] = self.gradInput
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        """Accumulate the parameter gradients of the latest step not yet accumulated; its updateGradInput
        must have run."""
        if self.updateGradInputStep is None or self.updateGradInputStep >= self.step:
            raise input_error(self, "updateGradInput before accGradParameters for each step",
                              "accGradParameters of a step whose updateGradInput has not run")
        if self.accGradParametersStep is None:
            self.accGradParametersStep = self.step
        if self.accGradParametersStep < 1:
            raise input_error(self, "a forward() for each accGradParameters step", "no step left")
        self._accGradParameters(input, gradOutput, scale)
        self.accGradParametersStep -= 1

    def checkAccumulation(self, input, gradOutput):
        # a step's input and gradOutput need not match the last forward's (that was the last step, and steps
        # may differ in size): each step's clone checks its own when accGradParameters reaches it; the gradients
        # are checked here, once per backward pass (at its last step), before any step accumulates into them
        if self.accGradParametersStep is None:
            self.checkParameterGradients()

    def _updateGradInput(self, input, gradOutput):
        raise NotImplementedError(f"{type(self).__name__} must define _updateGradInput")

    def _accGradParameters(self, input, gradOutput, scale):
        raise NotImplementedError(f"{type(self).__name__} must define _accGradParameters")

    # --- sequences -------------------------------------------------------------------------------
    def forget(self):
        """Start a new sequence: the next forward is step 0 again, from the initial hidden state. In training
        the per-step records are dropped and the step clones renumbered from 0 (in their step order), to be
        reused; in evaluation the records are kept (they are not step clones' but ``recurrentModule``'s)."""
        super().forget()
        self._unpairClones(unless_unchanged=True)
        if self.train:
            self.outputs = {}
            self.gradInputs = {}
            self.sharedClones = dict(enumerate(m for _, m in sorted(self.sharedClones.items())))
            self._gradOutputs = dict(enumerate(g for _, g in sorted(self._gradOutputs.items())))
            self.gradOutputs = {}
        self.step = 0
        return self

    def type(self, typename=None, cache=None):
        if typename is not None:
            # the conversion puts new tensors in place of the paired ones
            self._unpairClones()
        return super().type(typename, cache)

    def _decorateStep(self, decorator, nInputDim):
        self.recurrentModule = decorator(self.recurrentModule, nInputDim, True)
        self.sharedClones = {0: self.recurrentModule}
        self.modules[0] = self.recurrentModule
        return self

    def maskZero(self, nInputDim=None):
        """Decorate ``recurrentModule`` (the step module) with ``MaskZero(recurrentModule, nInputDim)``: a sample
        whose input row is all zeros gets a zero output at that step, so the hidden state it hands the next
        step is reset, and no gradient flows through it; sequences of several lengths padded with zero rows
        share a batch. ``nInputDim``: the non-batch dimensions of the first tensor of a step's input. Step clones
        made before are dropped (call it before the first forward). Returns this module.

        Without ``nInputDim`` (torch/rnn's ``maskZero()``, for the modules that hand ``setZeroMask``'s rows to
        their steps, ``zero_mask_steps``): ``MaskZero(recurrentModule)``, which masks the rows of the mask."""
        if nInputDim is not None and not isinstance(nInputDim, bool):
            return self._decorateStep(MaskZero, nInputDim)
        if not self.zero_mask_steps:
            raise TypeError(f"{self.shortName()}: maskZero() without nInputDim is torch/rnn's (with setZeroMask); "
                            "this Element-Research module masks zero input rows with maskZero(nInputDim)")
        if nInputDim:
            raise ValueError(f"{self.shortName()}: maskZero(true) (torch/rnn's v1, the mask from the input's zero "
                             "rows) is maskZero(nInputDim) here")
        if not isinstance(self.recurrentModule, MaskZero):
            self._decorateStep(MaskZero, None)
        return self

    # torch/rnn's zero masking: a subclass whose steps take setZeroMask's rows (its updateOutput runs
    # _masked_step_module) sets it
    zero_mask_steps = False

    def setZeroMask(self, zeroMask):
        """torch/rnn's mask for the next sequence: a ByteTensor ``(seqlen, batch)``, 1 where a step's row is
        padding, whose row t goes to step t's module (which zeroes those rows' outputs and gradients, so the
        state restarts from zeros); or False, no mask. For the modules whose steps take it (``zero_mask_steps``:
        RecLSTM, RecGRU, Recurrence, Recursor, ...); Element-Research's cells (LSTM, GRU, ...) mask with
        ``maskZero(nInputDim)``."""
        if not self.zero_mask_steps:
            raise TypeError(f"{self.shortName()}: setZeroMask is torch/rnn's (RecLSTM, RecGRU, Recurrence, "
                            "Recursor); this Element-Research module masks zero input rows with maskZero(nInputDim)")
        if zeroMask is False:
            self.zeroMask = False
            for module in list(self.sharedClones.values()) + [self.recurrentModule]:
                module.setZeroMask(False)
            return self
        if isinstance(self.recurrentModule, AbstractRecurrent):
            # it steps itself: the whole mask is its
            self.recurrentModule.setZeroMask(zeroMask)
            return self
        if getattr(zeroMask, 'dim', None) is None or zeroMask.dim() < 2:
            raise input_error(self, "a zeroMask of 2 or more dimensions (seqlen x batchsize) or false",
                              f"{zeroMask.dim()}-D" if hasattr(zeroMask, 'dim') else type(zeroMask).__name__,
                              TypeError if not hasattr(zeroMask, 'dim') else ValueError)
        self.zeroMask = zeroMask
        self.zeroMaskStep = 0
        return self

    def trimZero(self, nInputDim):
        """As ``maskZero`` with ``TrimZero``: the step module runs on the rows that are not padding only. A
        module with inner dropout (``p`` > 0) needs ``mono`` dropout masks (one row for the batch), which stay
        right when rows are removed (AbstractRecurrent.lua asks it of GRU)."""
        if self.__dict__.get('p') and not self.__dict__.get('mono'):
            raise ValueError(f"{self.shortName()}: trimZero with dropout (p = {self.p}) needs the mono option "
                             "(one dropout mask row for the whole batch)")
        return self._decorateStep(TrimZero, nInputDim)

    def maxBPTTstep(self, rho):
        """Set ``rho``, the most steps kept for back-propagation through time (a Sequencer sets it to the length
        of each sequence)."""
        self.rho = rho

    def setOutputStep(self, step):
        """Show step ``step``'s (0-based) output as ``output`` (and its gradInput, once made, as ``gradInput``):
        a Recursor calls it on a step clone before that step's backward, since a clone holding this module
        holds the module itself, whose ``output`` is the latest step's."""
        output = self.outputs.get(step)
        if output is None:
            raise input_error(self, f"a recorded output for step {step}", "none (that step was not forwarded, "
                              "or it is older than rho)")
        self.output = output
        self.gradInput = self.gradInputs.get(step, self.gradInput)

    def getHiddenState(self, step, input=None):
        raise NotImplementedError(f"{type(self).__name__} does not define getHiddenState")

    def setHiddenState(self, step, hiddenState):
        raise NotImplementedError(f"{type(self).__name__} does not define setHiddenState")

    def getGradHiddenState(self, step, input=None):
        raise NotImplementedError(f"{type(self).__name__} does not define getGradHiddenState")

    def setGradHiddenState(self, step, gradHiddenState):
        raise NotImplementedError(f"{type(self).__name__} does not define setGradHiddenState")

    # --- the step clones in whole-tree operations ---------------------------------------------------
    def includingSharedClones(self, f):
        """``f()`` with ``modules`` temporarily the children followed by every step clone, so that a walk over
        ``modules`` reaches the clones too (training, evaluate); returns what ``f`` returns."""
        modules = self.modules
        self.modules = list(modules) + [m for _, m in sorted(self.sharedClones.items())]
        try:
            return f()
        finally:
            self.modules = modules

    def reinforce(self, reward):
        """Hand REINFORCE rewards to the step clones (AbstractRecurrent.lua): a list of rewards, or a tensor of
        2 or more dimensions (one reward per step along its first), goes to the last steps forwarded, the last
        reward to the last step; one 1-D reward goes to every step clone (and ``recurrentModule``)."""
        if isinstance(reward, (list, tuple)) or isinstance(reward, Tensor) and reward.dim() >= 2:
            count = len(reward) if isinstance(reward, (list, tuple)) else reward.size(0)
            if count > self.step:
                raise input_error(self, f"at most one reward per step forwarded ({self.step})", f"{count} rewards")
            for k in range(count):
                self.getStepModule(self.step - 1 - k).reinforce(reward[count - 1 - k])
            return self
        return self.includingSharedClones(lambda: Container.reinforce(self, reward))

    def training(self):
        return self.includingSharedClones(lambda: Container.training(self))

    def evaluate(self):
        return self.includingSharedClones(lambda: Container.evaluate(self))

    def clearState(self, *names):
        """``forget()``, then empty the per-step records and every step clone's buffers."""
        self.forget()
        for name in ('_gradOutputs', 'outputs', 'gradInputs', 'gradOutputs'):
            if isinstance(self.__dict__.get(name), dict):
                self.__dict__[name] = {}
        for clone in self.sharedClones.values():
            clone.clearState()
        self.recurrentModule.clearState()
        self.__dict__.pop('zeroMask', None)
        return super().clearState('_input', '_gradOutput', 'gradPrevOutput', 'cell', *names)

    def __repr__(self):
        size_in, size_out = self.__dict__.get('inputSize'), self.__dict__.get('outputSize')
        if isinstance(size_in, int) and isinstance(size_out, int):
            return f"{lua_typename(self)}({size_in} -> {size_out})"
        return super().__repr__()
