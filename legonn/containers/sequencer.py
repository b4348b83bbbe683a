"""AbstractSequencer, Sequencer, Repeater and SeqBRNN: Element-Research rnn's decorators that apply modules along a
sequence."""
from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.recurrent_lstm import SeqLSTM
from ..modules.base.nn_utils import utils
from ..modules.base.recurrent import REMEMBER_MODES, split_steps
from ..modules.sequence_reverse import SeqReverseSequence
from ..modules.shape import Transpose
from ..modules.table_arithmetic import CAddTable
from ..tensor import Tensor
from ..tensor.introspection import typename as lua_typename
from .container import Container
from .decorators import Decorator
from .recursor import as_recurrent
from .tables import ConcatTable
from .sequential import Sequential


def _copy_into(old, new):
    """``new`` (a tensor or table) copied into ``old``'s tensors where they have its types, else into new ones:
    a buffer follows the type of what it holds, as legonn's outputs follow their input's."""
    if isinstance(new, Tensor) and type(old) is not type(new):
        old = None
    return utils.recursiveCopy(old, new)[0]


class AbstractSequencer(Container):
    """Base of the rnn package's sequence decorators (AbstractSequencer.lua): ``remember(mode)`` decides
    whether a new sequence continues from the last one's hidden state, in 'train'ing, in 'eval'uation, in
    'both' or 'neither'; the sequencer sets its recurrent module's ``rho`` itself; a sharedClone is never a
    step clone."""

    def __init__(self):
        super().__init__()
        self._remember = 'neither'

    def remember(self, mode='both'):
        """Carry the hidden state from one sequence (forward) to the next in ``mode``; not passed down (the
        sequencer decides when its module forgets)."""
        if mode is None:
            mode = 'both'
        if mode not in REMEMBER_MODES:
            raise ValueError(f"{self.shortName()}.remember: expected one of {REMEMBER_MODES}, got {mode!r}")
        self._remember = mode
        return self

    def hasMemory(self):
        """True when the current mode (training or evaluation) remembers."""
        return self._remember in ('both', 'train' if self.train else 'eval')

    def maxBPTTstep(self, rho):
        """Nothing: a sequencer sets its module's rho to each sequence's length."""

    def sharedClone(self, shareParams=True, shareGradParams=True, stepClone=False):
        return super().sharedClone(shareParams, shareGradParams, False)


class Sequencer(AbstractSequencer):
    """Applies ``module`` to every step of a sequence: a ``seqlen x ...`` tensor (output a tensor
    ``seqlen x ...``) or a table of per-step tensors (output a table), as Sequencer.lua. An AbstractRecurrent
    module (Recurrent, LSTM, ...) is driven step by step; any other module is wrapped in a Recursor (then
    ``seq.module`` is that Recursor), whose step clones share its parameters and gradients. Each forward
    starts a new sequence (the module's ``forget()``) unless ``remember()`` says otherwise for the current
    mode; backward goes through the steps in reverse order."""

    def __init__(self, module):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"nn.Sequencer: expected an nn module, got a {type(module).__name__}")
        self.module = as_recurrent(module)
        self.add(self.module)
        self.tableoutput = []
        self.tablegradinput = []
        # evaluation's spare output tensors (table inputs): kept for a later, longer sequence
        self._output = []

    def _run(self, method, *args):
        return self.run_child(0, method, *args)

    def _join(self, name, steps, like):
        """Per-step results in the input's form: the table itself, or copied into the tensor buffer ``name``."""
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
        self.module.maxBPTTstep(len(steps))
        self._forward_steps = len(steps)
        if not self.hasMemory():
            self.module.forget()
        if self.train:
            self.tableoutput = [self._run('updateOutput', x) for x in steps]
            self.output = self._join('_output_buffer', self.tableoutput, input)
        elif isinstance(input, list):
            # in evaluation the module reuses one output buffer: each step's is copied out
            # (step t's target: the last call's step t, else a spare; the list is updated in place)
            table, spare = self.tableoutput, self._output
            pool = table + spare
            outs = [_copy_into(pool[t] if t < len(pool) else None, self._run('updateOutput', x))
                    for t, x in enumerate(steps)]
            self._output = spare[max(len(steps) - len(table), 0):] + table[len(steps):]
            table[:] = outs
            self.output = table
        else:
            arr = None
            for t, x in enumerate(steps):
                out = self._run('updateOutput', x)
                if arr is None:
                    arr = self.bufferLike('_output_buffer', out, (len(steps),) + tuple(out._size))
                arr[t] = out.array
            self.output = self._output_buffer
        return self.output

    def _backward_steps(self, input, gradOutput):
        steps, grads = split_steps(self, input, 'input'), split_steps(self, gradOutput, 'gradOutput')
        if isinstance(input, list) != isinstance(gradOutput, list):
            form = 'a table' if isinstance(input, list) else 'a tensor'
            raise input_error(self, f"a gradOutput of the input's form ({form})", type(gradOutput).__name__,
                              TypeError)
        if len(grads) != len(steps):
            raise input_error(self, f"a gradOutput of {len(steps)} steps", f"{len(grads)} steps")
        # the module's backward runs from the forward's last step down, each call taking the next earlier
        # step: a shorter sequence would pair its inputs with later steps (Sequencer.lua's silently wrong
        # gradients)
        forwarded = self.__dict__.get('_forward_steps')
        if forwarded is not None and len(steps) != forwarded:
            raise input_error(self, f"backward over the {forwarded} steps of the last forward", f"{len(steps)} steps")
        return steps, grads

    def updateGradInput(self, input, gradOutput):
        steps, grads = self._backward_steps(input, gradOutput)
        self.tablegradinput = [None] * len(steps)
        for t in reversed(range(len(steps))):
            self.tablegradinput[t] = self._run('updateGradInput', steps[t], grads[t])
        self.gradInput = self._join('_grad_buffer', self.tablegradinput, input)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        steps, grads = self._backward_steps(input, gradOutput)
        for t in reversed(range(len(steps))):
            self._run('accGradParameters', steps[t], grads[t], scale)

    def checkAccumulation(self, input, gradOutput):
        # the module checks each step's input and gradOutput (its clones' own forward records); the gradients
        # are checked here, before any step accumulates into them
        self.checkParameterGradients()

    def training(self):
        if not self.train:
            # a new training sequence starts afresh, and evaluation's buffers go
            self.forget()
            self._output = []
            self.tableoutput = []
        return super().training()

    def evaluate(self):
        if self.train:
            self.forget()
            # the training outputs were the step clones' buffers: not to be written into
            self.tableoutput = []
        return super().evaluate()

    def clearState(self, *names):
        self._output = []
        self.tableoutput = []
        self.tablegradinput = []
        return super().clearState('_output_buffer', '_grad_buffer', *names)

    def __repr__(self):
        return lua_typename(self) + ' @ ' + repr(self.module)


class Repeater(AbstractSequencer):
    """Presents the same input to a recurrent module ``rho`` times (rnn's Repeater.lua): the output is the table
    of the ``rho`` step outputs (copies), the gradInput the sum of the steps' gradInputs, back-propagated in
    reverse step order; gradOutput is a table of ``rho`` gradients. A module that is no AbstractRecurrent is
    wrapped in a Recursor. Every forward starts a new sequence (``forget()``)."""

    def __init__(self, module, rho):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"nn.Repeater: expected an nn module, got a {type(module).__name__}")
        if isinstance(rho, bool) or not isinstance(rho, int) or rho < 1:
            raise ValueError(f"nn.Repeater: expected rho (the number of steps) to be a positive integer, got {rho!r}")
        self.rho = rho
        self.module = as_recurrent(module)
        # the module back-propagates through all the steps
        self.module.maxBPTTstep(rho)
        self.add(self.module)
        self.output = []

    def updateOutput(self, input):
        self.module.forget()
        old = self.output if isinstance(self.output, list) else []
        self.output = [_copy_into(old[t] if t < len(old) else None, self.run_child(0, 'updateOutput', input))
                       for t in range(self.rho)]
        return self.output

    def _check_backward(self, gradOutput):
        if self.module.step != self.rho:
            raise input_error(self, f"a forward of {self.rho} steps before backward (its module has forwarded "
                              "them since)", f"a module at step {self.module.step}")
        if not isinstance(gradOutput, list) or len(gradOutput) != self.rho:
            got = f"a table of {len(gradOutput)}" if isinstance(gradOutput, list) else type(gradOutput).__name__
            raise input_error(self, f"a gradOutput table of {self.rho} steps", got, TypeError)

    def updateGradInput(self, input, gradOutput):
        self._check_backward(gradOutput)
        for t in reversed(range(self.rho)):
            grad = self.run_child(0, 'updateGradInput', input, gradOutput[t])
            if t == self.rho - 1:
                self.gradInput = _copy_into(self.gradInput, grad)
            else:
                utils.recursiveAdd(self.gradInput, grad)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self._check_backward(gradOutput)
        for t in reversed(range(self.rho)):
            self.run_child(0, 'accGradParameters', input, gradOutput[t], scale)

    def checkAccumulation(self, input, gradOutput):
        # the module checks each step's gradOutput; the gradients are checked here, before any step accumulates
        self.checkParameterGradients()

    def maxBPTTstep(self, rho):
        """Repeat ``rho`` times from now on, back-propagating through them all."""
        self.rho = rho
        self.module.maxBPTTstep(rho)

    def __repr__(self):
        pad = '  '
        arrows = f"{pad}     V         V             V     "
        return '\n'.join([lua_typename(self) + ' {', f"{pad}[  input,    input,  ...,  input  ]", arrows,
                          pad + repr(self.modules[0]).replace('\n', '\n' + pad), arrows,
                          f"{pad}[output(0),output(1),...,output({self.rho - 1})]", '}'])


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
        return f"{lua_typename(self)}({self.forwardModule.inputsize} -> {self.forwardModule.outputsize})"
