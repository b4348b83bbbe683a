"""RecurrentAttention: the recurrent model of visual attention's loop (Mnih et al., 2014; rnn's
RecurrentAttention.lua): an rnn that reads ``{input, action}`` and an action module (a locator ending in a
REINFORCE module) that chooses each step's action from the previous step's rnn output."""
from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.base.nn_utils import utils
from .recursor import as_recurrent
from .sequencer import AbstractSequencer
from ..tensor.introspection import typename as lua_typename


class RecurrentAttention(AbstractSequencer):
    """``RecurrentAttention(rnn, action, nStep, hiddenSize)``: input a batch (e.g. images, batch x ...); output
    the list of the rnn's ``nStep`` outputs (with ``forwardActions``, each the pair ``[output, action]``).

    Step 0's action is ``action`` of zeros of batch x ``hiddenSize`` (a list of sizes, as the Lua table
    ``{hiddenSize}``); step t's is ``action`` of step t-1's rnn output, and step t's output is
    ``rnn([input, action_t])``. ``rnn`` and ``action`` not already recurrent (AbstractRecurrent) are wrapped
    in a Recursor, so each step runs on its own clone; every forward starts with their ``forget()`` (whatever
    ``remember()`` says, as the Lua file).

    Backward goes through the steps in reverse: a step's hidden gradient is its gradOutput plus the gradient
    the next step's action sends back, and the rnn's gradient for the action is dropped, as in the Lua file
    (the action is trained by REINFORCE: its module ignores its gradOutput, which is zeros unless
    ``forwardActions``). gradInput is the sum over the steps of the rnn's gradient for ``input``."""

    input_kind = 'tensor'
    any_device = False   # the zeros of step 0's action are made on the input's device: it must be the module's

    def __init__(self, rnn, action, nStep, hiddenSize):
        super().__init__()
        for name, m in (('rnn', rnn), ('action', action)):
            if not isinstance(m, Module):
                raise TypeError(f"RecurrentAttention: {name} must be an nn module, got {type(m).__name__}")
        if isinstance(nStep, bool) or not isinstance(nStep, int) or nStep < 1:
            raise ValueError(f"RecurrentAttention: nStep must be a positive integer, got {nStep!r}")
        if not isinstance(hiddenSize, (list, tuple)) or not hiddenSize or not all(
                isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in hiddenSize):
            raise ValueError(f"RecurrentAttention: hiddenSize must be a list of positive sizes (the Lua table "
                             f"{{hiddenSize}}; tables of hidden layers are not supported), got {hiddenSize!r}")
        self.rnn = as_recurrent(rnn)
        self.action = as_recurrent(action)
        self.hiddenSize = list(hiddenSize)
        self.nStep = nStep
        self.modules = [self.rnn, self.action]
        self.output = []     # the rnn's output of each step
        self.actions = []    # the action of each step
        self.forwardActions = False
        self.gradHidden = []

    def updateOutput(self, input):
        self.checkTensor(input)
        self.rnn.forget()
        self.action.forget()
        self._hidden = [None] * self.nStep
        self.actions = [None] * self.nStep
        self.output = [None] * self.nStep
        for step in range(self.nStep):
            if step == 0:
                self.bufferLike('_initInput', input, (input.size(0), *self.hiddenSize))[...] = 0
                previous = self._initInput
            else:
                # the Lua file passes self.output[step - 1], the pair itself with forwardActions: the rnn output
                # is what the action is sampled from
                previous = self._hidden[step - 1]
            self.actions[step] = self.run_module(self.action, f"RecurrentAttention.action[step {step}]",
                                                 'updateOutput', previous)
            output = self.run_module(self.rnn, f"RecurrentAttention.rnn[step {step}]", 'updateOutput',
                                     [input, self.actions[step]])
            self._hidden[step] = output
            self.output[step] = [output, self.actions[step]] if self.forwardActions else output
        return self.output

    def _checkBackward(self, gradOutput):
        if self.rnn.step != self.nStep or len(self.__dict__.get('_hidden') or ()) != self.nStep:
            raise input_error(self, f"a forward of {self.nStep} steps before backward (inconsistent rnn steps)",
                              f"{self.rnn.step} rnn steps")
        if not isinstance(gradOutput, list) or len(gradOutput) != self.nStep:
            got = f"a table of {len(gradOutput)}" if isinstance(gradOutput, list) else type(gradOutput).__name__
            raise input_error(self, f"a gradOutput table of {self.nStep} entries (one per step)", got)
        if self.forwardActions and not all(isinstance(g, list) and len(g) == 2 for g in gradOutput):
            raise input_error(self, "a pair [gradOutput, gradAction] per step (forwardActions)", "another entry")

    def _previous(self, step):
        return self._initInput if step == 0 else self._hidden[step - 1]

    def updateGradInput(self, input, gradOutput):
        self._checkBackward(gradOutput)
        self.gradHidden = self.gradHidden + [None] * (self.nStep - len(self.gradHidden))
        for step in reversed(range(self.nStep)):
            if self.forwardActions:
                gradOutput_, gradAction_ = gradOutput[step]
            else:
                # REINFORCE modules ignore their gradOutput: zeros of the action's size
                action_output = self.actions[step]
                if type(self.__dict__.get('_gradAction')) is not type(action_output):
                    self._gradAction = action_output.new()
                if not self._gradAction.isSameSizeAs(action_output):
                    self._gradAction.resizeAs(action_output).zero()
                gradOutput_, gradAction_ = gradOutput[step], self._gradAction
            if step == self.nStep - 1:
                self.gradHidden[step] = utils.recursiveCopy(self.gradHidden[step], gradOutput_)[0]
            else:
                utils.recursiveAdd(self.gradHidden[step], gradOutput_)
            gradAction = self.run_module(self.action, f"RecurrentAttention.action[step {step}]", 'updateGradInput',
                                         self._previous(step), gradAction_)
            if step > 0:
                self.gradHidden[step - 1] = utils.recursiveCopy(self.gradHidden[step - 1], gradAction)[0]
            gradInput = self.run_module(self.rnn, f"RecurrentAttention.rnn[step {step}]", 'updateGradInput',
                                        [input, self.actions[step]], self.gradHidden[step])[0]
            if step == self.nStep - 1:
                self.gradInput.resizeAs(gradInput).copy(gradInput)
            else:
                self.gradInput.add(gradInput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self._checkBackward(gradOutput)
        if len(self.gradHidden) != self.nStep or any(g is None for g in self.gradHidden) or \
                not (self.forwardActions or '_gradAction' in self.__dict__):
            raise input_error(self, "updateGradInput before accGradParameters (it makes each step's hidden "
                              "gradient)", "accGradParameters alone")
        for step in reversed(range(self.nStep)):
            gradAction_ = gradOutput[step][1] if self.forwardActions else self._gradAction
            self.run_module(self.action, f"RecurrentAttention.action[step {step}]", 'accGradParameters',
                            self._previous(step), gradAction_, scale)
            self.run_module(self.rnn, f"RecurrentAttention.rnn[step {step}]", 'accGradParameters',
                            [input, self.actions[step]], self.gradHidden[step], scale)

    def __repr__(self):
        action = repr(self.action).replace('\n', '\n    |    ')
        rnn = repr(self.rnn).replace('\n', '\n    |    ')
        return f"{lua_typename(self)} {{\n  action : {action}\n  rnn     : {rnn}\n}}"
