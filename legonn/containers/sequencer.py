"""Sequencer and SeqBRNN: Element-Research rnn's decorators that apply modules along a sequence."""
from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.recurrent_lstm import SeqLSTM
from ..modules.base.recurrent import split_steps
from ..modules.sequence_reverse import SeqReverseSequence
from ..modules.shape import Transpose
from ..modules.table_arithmetic import CAddTable
from .tables import ConcatTable
from .decorators import Decorator
from .sequential import Sequential

SHARED = ('weight', 'bias', 'gradWeight', 'gradBias')


class Sequencer(Decorator):
    """Applies ``module`` to every step of a sequence: a ``seqlen x ...`` tensor (output a tensor
    ``seqlen x ...``) or a table of per-step tensors (output a table). Each step runs on its own clone
    sharing the module's parameters and gradients, so backward sees each step's own state, as in the
    rnn package. ``remember()``/``forget()`` pass to the module (Module.forget and Module.remember)."""

    def __init__(self, module):
        super().__init__(module)
        self._steps = []

    @property
    def module(self):
        """The decorated module, the field Sequencer.lua keeps it in (``seq.module``)."""
        return self.modules[0]

    def _step(self, t):
        """The module of step t: the module itself for step 0, else a clone whose parameters are (again,
        in case getParameters rebound them) views of the module's."""
        module = self.modules[0]
        if t == 0:
            return module
        while len(self._steps) < t:
            self._steps.append(module.clone())
        clone = self._steps[t - 1]
        if type(clone.output) is not type(module.output):
            clone.type(module.type())
        return clone.share(module, *SHARED)

    def _run(self, t, method, *args):
        return self.run_module(self._step(t), f"Sequencer[step {t}]", method, *args)

    def _join(self, name, steps, like):
        """Per-step results as the input's form: a table, or stacked into the tensor buffer ``name``."""
        if isinstance(like, list):
            return list(steps)
        first = steps[0]
        arr = self.bufferLike(name, first, (len(steps),) + tuple(first._size))
        for t, s in enumerate(steps):
            arr[t] = s.array
        return getattr(self, name)

    def updateOutput(self, input):
        steps = split_steps(self, input, 'input')
        if not steps:
            raise input_error(self, "a non-empty sequence", "no steps")
        self.output = self._join('_output_buffer', [self._run(t, 'updateOutput', x) for t, x in enumerate(steps)],
                                 input)
        return self.output

    def _check_steps(self, steps, grads):
        if len(grads) != len(steps):
            raise input_error(self, f"a gradOutput of {len(steps)} steps", f"{len(grads)} steps")

    def updateGradInput(self, input, gradOutput):
        steps, grads = split_steps(self, input, 'input'), split_steps(self, gradOutput, 'gradOutput')
        self._check_steps(steps, grads)
        self.gradInput = self._join('_grad_buffer', [self._run(t, 'updateGradInput', x, g)
                                                     for t, (x, g) in enumerate(zip(steps, grads))], input)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        steps, grads = split_steps(self, input, 'input'), split_steps(self, gradOutput, 'gradOutput')
        self._check_steps(steps, grads)
        for t, (x, g) in enumerate(zip(steps, grads)):
            self._run(t, 'accGradParameters', x, g, scale)

    def type(self, typename=None, cache=None):
        if typename is not None:
            self._steps = []   # rebuilt from the converted module on the next call
        return super().type(typename, cache)

    def clearState(self, *names):
        self._steps = []
        return super().clearState('_output_buffer', '_grad_buffer', *names)


class SeqBRNN(Decorator):
    """Bidirectional LSTM over a ``seqlen x batch x inputSize`` sequence: a SeqLSTM reads it forwards,
    another reads it backwards (between two SeqReverseSequence), and ``merge`` (default CAddTable)
    combines their ``seqlen x batch x outputSize`` outputs step by step, as the rnn package builds it
    (SeqBRNN.lua). With ``batchFirst`` the input and output are ``batch x seqlen x ...``: a Transpose
    before and after the rest, the inner Sequential's first and last modules. ``forwardModule`` and
    ``backwardModule`` are the two SeqLSTMs."""

    def __init__(self, inputSize, outputSize, batchFirst=False, merge=None):
        if isinstance(batchFirst, Module):
            raise TypeError(f"nn.SeqBRNN: expected batchFirst (a boolean) as the third argument and merge as the "
                            f"fourth, as SeqBRNN.lua's (inputDim, hiddenDim, batchFirst, merge); got a "
                            f"{type(batchFirst).__name__}")
        self.forwardModule = SeqLSTM(inputSize, outputSize)
        self.backwardModule = SeqLSTM(inputSize, outputSize)
        self.batchFirst = bool(batchFirst)
        backward = Sequential().add(SeqReverseSequence(0)).add(self.backwardModule).add(SeqReverseSequence(0))
        both = ConcatTable().add(self.forwardModule).add(backward)
        self.merge = merge if merge is not None else CAddTable()
        brnn = Sequential().add(both).add(self.merge)
        if self.batchFirst:
            brnn.insert(Transpose([0, 1]), 0)
            brnn.add(Transpose([0, 1]))
        super().__init__(brnn)

    @property
    def module(self):
        """The inner Sequential, the field SeqBRNN.lua keeps it in (``brnn.module``)."""
        return self.modules[0]

    def __repr__(self):
        return f"nn.SeqBRNN({self.forwardModule.inputsize} -> {self.forwardModule.outputsize})"
