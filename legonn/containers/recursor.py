"""Recursor: any module made an AbstractRecurrent, as rnn's Recursor.lua."""
from .abstract_recurrent import AbstractRecurrent
from ..tensor.introspection import typename as lua_typename


def as_recurrent(module):
    """``module`` itself when it is an AbstractRecurrent, else a Recursor of it (how rnn's sequencers take any
    module)."""
    return module if isinstance(module, AbstractRecurrent) else Recursor(module)


class Recursor(AbstractRecurrent):
    """Runs ``module`` once per forward, each step (0-based) on its own step clone (sharing parameters and
    gradients), so the module may itself hold recurrent modules (an LSTM in a Sequential): those are shared by
    the clones and keep their own steps. ``backward`` goes back through the steps in reverse order, one per call.
    Input and output are the module's; ``rho`` (default 9999999) bounds the steps kept."""

    zero_mask_steps = True   # torch/rnn's maskZero() and setZeroMask

    def __init__(self, module, rho=None):
        super().__init__(9999999 if rho is None else rho)
        self.recurrentModule = module
        self.module = module
        self.add(module)
        self.sharedClones[0] = module

    def updateOutput(self, input):
        return self._record_step(self.run_module(self._masked_step_module(), f"Recursor[step {self.step}]",
                                                 'updateOutput', input))

    def _updateGradInput(self, input, gradOutput):
        step = self.updateGradInputStep - 1
        return self.run_module(self._backwardStepModule(step), f"Recursor[step {step}]", 'updateGradInput', input,
                               gradOutput)

    def _accGradParameters(self, input, gradOutput, scale):
        step = self.accGradParametersStep - 1
        self.run_module(self._backwardStepModule(step), f"Recursor[step {step}]", 'accGradParameters', input,
                        gradOutput, scale)

    def maxBPTTstep(self, rho):
        """Set ``rho`` here and on the recurrent modules inside the module."""
        self.rho = rho
        self.module.maxBPTTstep(rho)

    def setStartState(self, startState=None):
        """torch/rnn's Recursor.lua: the decorated module's state before step 0."""
        return self.modules[0].setStartState(startState)

    def getHiddenState(self, step, input=None):
        return self.modules[0].getHiddenState(step, input)

    def setHiddenState(self, step, hiddenState):
        return self.modules[0].setHiddenState(step, hiddenState)

    def getGradHiddenState(self, step, input=None):
        return self.modules[0].getGradHiddenState(step, input)

    def setGradHiddenState(self, step, gradHiddenState):
        return self.modules[0].setGradHiddenState(step, gradHiddenState)

    def __repr__(self):
        return lua_typename(self) + ' @ ' + repr(self.modules[0])
