"""RecStep: what torch/rnn's step-by-step recurrent modules RecLSTM and RecGRU share (RecLSTM.lua, RecGRU.lua).

Each forward is one time step of a batch ``(batch, inputsize)`` run by the step module (a StepLSTM or StepGRU,
cloned per step by AbstractRecurrent). Steps are 0-based: the state before step 0 (step -1) is ``startState``
when set (``setStartState``, or ``setHiddenState(-1, ...)``), else zeros.
"""
from ..modules.base.errors import input_error
from ..tensor.introspection import typename as lua_typename
from .abstract_recurrent import AbstractRecurrent


class RecStep(AbstractRecurrent, abstract=True):
    """What RecLSTM and RecGRU share: the step module runs ``{x[t], state[t-1]...}`` to the step's state (its
    first tensor the output), the state before step 0 is ``startState`` or zeros, the gradient after the last
    step zeros; torch/rnn's ``maskZero()`` / ``setZeroMask`` reach every step module. A subclass names the
    state's widths in ``state_sizes()`` and ``state_records`` (the per-step records of the states after the
    output, e.g. ``cells``)."""

    zero_mask_steps = True
    state_records = ()

    def __init__(self, stepmodule):
        super().__init__(stepmodule)
        self.inputsize, self.outputsize = stepmodule.inputsize, stepmodule.outputsize
        self.startState = None
        self._zero_states = [stepmodule.weight.new() for _ in self.state_sizes()]
        self._grad_records = [{} for _ in self.state_records]
        for name in self.state_records:
            setattr(self, name, {})

    def state_sizes(self):
        raise NotImplementedError

    @property
    def zeroOutput(self):
        """The zero h[-1] (RecLSTM.lua's, RecGRU.lua's ``zeroOutput``), sized by the last step 0's batch."""
        return self._zero_states[0]

    def maskZero(self, v1=False):
        """torch/rnn's maskZero(): every step module zeroes the rows that ``setZeroMask``'s mask marks at its
        step. (Element-Research's ``maskZero(nInputDim)`` decorator is not this module's.) Returns this
        module."""
        if v1 is not False and v1 is not None and not isinstance(v1, bool):
            raise TypeError(f"{self.shortName()}: maskZero takes torch/rnn's optional v1 flag, got {v1!r} (an "
                            "nInputDim is Element-Research's maskZero, for LSTM, GRU, Recurrence)")
        for module in list(self.sharedClones.values()) + [self.recurrentModule]:
            module.maskZero(v1)
        return self

    def setStartState(self, startState=None):
        """The state step 0 starts from (AbstractRecurrent.lua's setStartState); None: zeros."""
        self.startState = startState
        return self

    # --- hidden state ------------------------------------------------------------------------------
    def _step(self, step, counter):
        return counter - 1 if step is None else step

    def _records(self):
        return [self.outputs] + [getattr(self, name) for name in self.state_records]

    # the state of a step is a table [h, c] (RecLSTM) or, with no state_records, the tensor h (RecGRU)
    def _pack(self, state):
        return state if self.state_records else state[0]

    def _unpack(self, state):
        return [state] if not self.state_records and not isinstance(state, (list, tuple)) else state

    def getHiddenState(self, step=None, input=None):
        """The state after step ``step`` (0-based; default the latest; -1: ``startState`` or zeros of
        ``input``'s batch): a table (RecLSTM's [h, c]) or a tensor (RecGRU's h)."""
        return self._pack(self._get_state(step, input))

    def setHiddenState(self, step, hiddenState):
        return self._set_state(step, self._unpack(hiddenState))

    def getGradHiddenState(self, step=None, input=None):
        return self._pack(self._get_grad_state(step))

    def setGradHiddenState(self, step, gradHiddenState):
        return self._set_grad_state(step, self._unpack(gradHiddenState))

    def _get_state(self, step, input=None):
        step = self._step(step, self.step)
        if step == -1:
            if input is not None:
                # also the gradient after the last step (RecLSTM.lua's initZeroTensor)
                for z, size in zip(self._zero_states, self.state_sizes()):
                    z.resize(input.size(0), size).zero()
            if self.startState is None:
                return list(self._zero_states)
            state = list(self._unpack(self.startState))
            if input is not None:
                for s, size in zip(state, self.state_sizes()):
                    if tuple(s.size()) != (input.size(0), size):
                        raise input_error(self, f"a start state of size ({input.size(0)}, {size})",
                                          f"size {tuple(s.size())}")
            return state
        return [records.get(step) for records in self._records()]

    def _set_state(self, step, hiddenState):
        step = self._step(step, self.step)
        self._check_state('setHiddenState', hiddenState)
        if step == -1:
            # Sequencer forgets before each sequence, which would drop a record for step -1 (RecLSTM.lua)
            return self.setStartState(self._pack(hiddenState))
        for records, s in zip(self._records(), hiddenState):
            records[step] = s

    def _backward_counter(self):
        return self.step if self.updateGradInputStep is None else self.updateGradInputStep

    def _get_grad_state(self, step):
        step = self._step(step, self._backward_counter())
        grads = [self.gradOutputs] + self._grad_records
        if step == self.step - 1:
            return [g.get(step, z) for g, z in zip(grads, self._zero_states)]
        return [g.get(step) for g in grads]

    def _set_grad_state(self, step, gradHiddenState):
        step = self._step(step, self._backward_counter())
        self._check_state('setGradHiddenState', gradHiddenState)
        for g, s in zip([self.gradOutputs] + self._grad_records, gradHiddenState):
            g[step] = s

    def _check_state(self, method, state):
        count = 1 + len(self.state_records)
        if not isinstance(state, (list, tuple)) or len(state) != count:
            got = f"a table of {len(state)}" if isinstance(state, (list, tuple)) else f"a {type(state).__name__}"
            raise TypeError(f"{self.shortName()}.{method}: expected a table of {count} tensors, got {got}")

    # --- forward and backward, one step per call -----------------------------------------------------
    def updateOutput(self, input):
        self.checkTensor(input, (2,), 'input (batchsize x inputsize: only batch mode)', floating=True)
        prev = self._get_state(self.step - 1, input)
        # in evaluation the mask's row goes to recurrentModule itself (AbstractRecurrent.lua)
        module = self._masked_step_module()
        state = self.run_module(module, f"{type(self).__name__}[step {self.step}]", 'updateOutput', [input] + prev)
        state = state if isinstance(state, list) else [state]
        for name, s in zip(self.state_records, state[1:]):
            getattr(self, name)[self.step] = s
        if self.state_records:
            self.cell = state[1]
        return self._record_step(state[0])

    def _step_gradients(self, step, gradOutput):
        """[the gradient of step ``step``'s output, this step's plus the one from the next step, then the other
        states' gradients from the next step]."""
        after = self._get_grad_state(step)
        self.checkTensor(gradOutput, (2,), 'gradOutput')
        if tuple(gradOutput.size()) != tuple(after[0].size()):
            raise input_error(self, f"a gradOutput of size {tuple(after[0].size())}",
                              f"size {tuple(gradOutput.size())}")
        total = self._gradOutputs.get(step)
        if total is None or type(total) is not type(gradOutput):
            total = gradOutput.new()
        total.resizeAs(after[0]).copy(after[0]).add(gradOutput)
        self._gradOutputs[step] = total
        return [total] + after[1:]

    def _updateGradInput(self, input, gradOutput):
        step = self.updateGradInputStep - 1
        grads = self._step_gradients(step, gradOutput)
        gradInputs = self.run_module(self.getStepModule(step), f"{type(self).__name__}[step {step}]",
                                     'updateGradInput', [input] + self._get_state(step - 1), self._pack(grads))
        self._set_grad_state(step - 1, gradInputs[1:])
        return gradInputs[0]

    def _accGradParameters(self, input, gradOutput, scale):
        step = self.accGradParametersStep - 1
        grads = self._get_grad_state(step)
        grads[0] = self._gradOutputs.get(step, grads[0])
        self.run_module(self.getStepModule(step), f"{type(self).__name__}[step {step}]", 'accGradParameters',
                        [input] + self._get_state(step - 1), self._pack(grads), scale)

    def forget(self):
        super().forget()
        if self.train:
            for name in self.state_records:
                setattr(self, name, {})
            self._grad_records = [{} for _ in self.state_records]
        return self

    def clearState(self, *names):
        self.startState = None
        for z in self._zero_states:
            z.set()
        return super().clearState(*names)

    def type(self, typename=None, cache=None):
        # RecLSTM.lua: a conversion ends the sequence and empties the states
        if typename is not None:
            self.forget()
            self.clearState()
        return super().type(typename, cache)

    def __repr__(self):
        hidden = self.recurrentModule.__dict__.get('weightO')
        middle = f" -> {self.recurrentModule.hiddensize}" if hidden is not None else ""
        return f"{lua_typename(self)}({self.inputsize}{middle} -> {self.outputsize})"
