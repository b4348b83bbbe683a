"""BiSequencer and BiSequencerLM: Element-Research rnn's bidirectional sequencers, a forward rnn read along a
sequence (a table of per-step tensors) and a backward rnn read in reverse, their step outputs merged."""
from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.base.nn_utils import utils
from ..modules.table_arithmetic import CAddTable
from ..modules.table_structure import JoinTable, ReverseTable, ZipTable
from .abstract_recurrent import AbstractRecurrent
from .decorators import Decorator
from .reverse_unreverse import ReverseUnreverse, reversed_steps
from .sequencer import AbstractSequencer, Sequencer
from .sequential import Sequential
from .tables import ConcatTable
from ..tensor.introspection import typename as lua_typename


def _directions(name, forward, backward, merge):
    """The (forward, backward, merge) modules as both Lua files choose them: backward defaults to a clone of
    forward with its parameters reset; merge to JoinTable(0, 1), or JoinTable(0, merge) for a number (the
    nInputDims of the per-step outputs: with 1 a 2-D step is a batch and the join is along its features)."""
    if not isinstance(forward, Module):
        raise TypeError(f"nn.{name}: expected an nn module as forward (argument 1), got {type(forward).__name__}")
    if backward is None:
        backward = forward.clone()
        backward.reset()
    if not isinstance(backward, Module):
        raise TypeError(f"nn.{name}: expected an nn module as backward (argument 2), got {type(backward).__name__}")
    if merge is None:
        merge = JoinTable(0, 1)
    elif isinstance(merge, int) and not isinstance(merge, bool):
        merge = JoinTable(0, merge)
    elif not isinstance(merge, Module):
        raise TypeError(f"nn.{name}: expected an nn module or a number (JoinTable's nInputDims) as merge "
                        f"(argument 3), got {type(merge).__name__}")
    return forward, backward, merge


def _is_seq(module):
    """torch/rnn's BiSequencer.isSeq: a module that reads a whole sequence (an AbstractSequencer, or a class
    named ``Seq...``: SeqLSTM, SeqGRU, SeqBLSTM, ...)."""
    return isinstance(module, AbstractSequencer) or \
        isinstance(module, Module) and (lua_typename(module) or '').startswith('nn.Seq')


def _check_sequence(module, input, min_steps):
    """A table of at least ``min_steps`` steps; the reversal (ReverseTable) needs a table, not a tensor."""
    if not isinstance(input, list):
        raise input_error(module, "a sequence as a table (list) of per-step tensors", type(input).__name__, TypeError)
    if len(input) < min_steps:
        raise input_error(module, f"a sequence of at least {min_steps} step{'s' if min_steps > 1 else ''}",
                          f"{len(input)} steps")


class BiSequencer(Decorator, AbstractSequencer):
    """``BiSequencer(forward, backward=None, merge=None)``: ``forward`` (an rnn such as LSTM, or any module)
    reads a sequence, a table of ``nStep`` per-step tensors (``batch x inputSize`` or ``inputSize``), in order;
    ``backward`` reads it from the last step to the first; step t's output is ``merge({fwd_t, bwd_t})``,
    by default the two joined along the features (``batch x (fwdSize + bwdSize)``). As BiSequencer.lua it
    decorates one structure, ``Sequential(ConcatTable(fwdSeq, Sequential(ReverseTable, bwdSeq, ReverseTable)),
    ZipTable, mergeSeq)``, the three Sequencers ``fwdSeq``, ``bwdSeq``, ``mergeSeq`` of the three modules
    (``forwardModule``, ``backwardModule``, ``mergeModule``). Each forward is a new sequence for both rnns
    (their Sequencers forget) unless told otherwise (``brnn.fwdSeq.remember()``); the backward rnn must not
    remember.

    A ``forward`` that reads whole sequences (a Sequencer, SeqLSTM, SeqGRU: torch/rnn's ``isSeq``) gives
    torch/rnn's BiSequencer instead: a ``seqlen x ...`` tensor in and out, ``Sequential(ConcatTable(forward,
    ReverseUnreverse(backward)), merge)``, merge by default CAddTable over the two output sequences
    (``sequence_form``; ``getForward()``, ``getBackward()`` give the two sequencers)."""

    def __init__(self, forward, backward=None, merge=None):
        if _is_seq(forward):
            self._init_sequence_form(forward, backward, merge)
            return
        self.forwardModule, self.backwardModule, self.mergeModule = _directions('BiSequencer', forward, backward,
                                                                                merge)
        self.fwdSeq = Sequencer(self.forwardModule)
        self.bwdSeq = Sequencer(self.backwardModule)
        self.mergeSeq = Sequencer(self.mergeModule)
        reverse = Sequential().add(ReverseTable()).add(self.bwdSeq).add(ReverseTable())
        brnn = Sequential().add(ConcatTable().add(self.fwdSeq).add(reverse)).add(ZipTable()).add(self.mergeSeq)
        super().__init__(brnn)
        self.output = []
        self.gradInput = []

    sequence_form = False

    def _init_sequence_form(self, forward, backward, merge):
        """torch/rnn's BiSequencer.lua, for a forward module that reads whole sequences (a Sequencer, SeqLSTM,
        SeqGRU, ...: Element-Research's form would wrap it in a Sequencer of steps, which it cannot read):
        ``Sequential(ConcatTable(forward, ReverseUnreverse(backward)), merge)`` over a ``seqlen x ...`` tensor,
        backward by default a clone of forward with its parameters reset, merge by default CAddTable (the two
        output sequences summed)."""
        if backward is None:
            backward = forward.clone()
            backward.reset()
        for what, m in (('backward (argument 2)', backward), ('merge (argument 3)', merge)):
            if m is not None and not isinstance(m, Module):
                raise TypeError(f"nn.BiSequencer: expected an nn module or nil as {what}, got {type(m).__name__}")
        self.sequence_form = True
        self.fwdSeq = forward
        self.bwdSeq = backward if _is_seq(backward) else Sequencer(backward)
        self.forwardModule, self.backwardModule = forward, backward
        self.mergeModule = CAddTable() if merge is None else merge
        super().__init__(Sequential().add(ConcatTable().add(self.fwdSeq).add(ReverseUnreverse(self.bwdSeq)))
                         .add(self.mergeModule))

    @property
    def module(self):
        """The decorated structure, the field BiSequencer.lua keeps it in (``brnn.module``)."""
        return self.modules[0]

    def remember(self, mode='both'):
        """In torch/rnn's form, the forward rnn remembers in ``mode`` and the backward one never (BiSequencer.lua);
        else AbstractSequencer's."""
        if not self.sequence_form:
            return super().remember(mode)
        self.fwdSeq.remember(mode)
        self.bwdSeq.remember('neither')
        return self

    def getForward(self):
        """The sequencer of the forward rnn (torch/rnn's BiSequencer.lua)."""
        return self.fwdSeq

    def getBackward(self):
        """The sequencer of the backward rnn, which reads the sequence reversed (torch/rnn's BiSequencer.lua)."""
        return self.bwdSeq

    def updateOutput(self, input):
        if not self.sequence_form:
            _check_sequence(self, input, 1)
        return super().updateOutput(input)

    def setZeroMask(self, zeroMask):
        """torch/rnn's zero mask ``(seqlen, batch)`` (or False) for the next sequence: the forward rnn gets it,
        the backward rnn, which reads the steps from the last, gets it with its steps reversed
        (ReverseUnreverse.lua's setZeroMask)."""
        if self.sequence_form:
            return Module.setZeroMask(self, zeroMask)
        self.fwdSeq.setZeroMask(zeroMask)
        self.bwdSeq.setZeroMask(reversed_steps(zeroMask))
        self.mergeSeq.setZeroMask(zeroMask)
        return self


class BiSequencerLM(AbstractSequencer):
    """``BiSequencerLM(forward, backward=None, merge=None)``, for language models (BiSequencerLM.lua): over a
    table of ``nStep >= 2`` per-step tensors, ``forward`` reads steps 0 .. nStep-2 in order and ``backward``
    reads steps nStep-1 .. 1 in reverse, so neither sees the step it stands for. Step t's output merges the
    forward rnn's output of step t-1 with the backward rnn's of step t+1, zeros standing in for the forward
    output at step 0 and the backward output at step nStep-1 (by default joined along the features,
    ``batch x (fwdSize + bwdSize)``). An AbstractRecurrent forward/backward is wrapped in a Sequencer; any
    other module is taken to be one already (a Sequencer or a stack of them). ``modules`` are
    ``[_fwd, _bwd, _merge]``: the forward Sequencer, ``Sequential(ReverseTable, bwdSeq, ReverseTable)`` and
    ``Sequential(ZipTable, mergeSeq)``."""

    def __init__(self, forward, backward=None, merge=None):
        self.forwardModule, self.backwardModule, self.mergeModule = _directions('BiSequencerLM', forward, backward,
                                                                                merge)
        super().__init__()
        self.fwdSeq = self._sequencer(self.forwardModule)
        self.bwdSeq = self._sequencer(self.backwardModule)
        self.mergeSeq = Sequencer(self.mergeModule)
        self._fwd = self.fwdSeq
        self._bwd = Sequential().add(ReverseTable()).add(self.bwdSeq).add(ReverseTable())
        self._merge = Sequential().add(ZipTable()).add(self.mergeSeq)
        self.add(self._fwd).add(self._bwd).add(self._merge)
        self.output = []
        self.gradInput = []

    @staticmethod
    def _sequencer(module):
        return Sequencer(module) if isinstance(module, AbstractRecurrent) else module

    def updateOutput(self, input):
        _check_sequence(self, input, 2)
        fwd_out = self.run_child(0, 'updateOutput', input[:-1])
        bwd_out = self.run_child(1, 'updateOutput', input[1:])
        # zeros for the step each direction cannot see: before the first step, after the last
        self._firstStep = utils.recursiveFill(utils.recursiveResizeAs(self.__dict__.get('_firstStep'),
                                                                      fwd_out[0])[0], 0)
        self._lastStep = utils.recursiveFill(utils.recursiveResizeAs(self.__dict__.get('_lastStep'),
                                                                     bwd_out[0])[0], 0)
        self._mergeInput = [[self._firstStep] + list(fwd_out), list(bwd_out) + [self._lastStep]]
        self.output = self.run_child(2, 'updateOutput', self._mergeInput)
        return self.output

    def _merge_backward(self, input, gradOutput, method, *scale):
        """The merge's (method) backward; the gradients the two rnns get: the forward rnn's outputs were
        merge inputs 1 .. nStep-1 of its first table, the backward rnn's 0 .. nStep-2 of its second."""
        _check_sequence(self, input, 2)
        if not isinstance(gradOutput, list) or len(gradOutput) != len(input):
            got = f"{len(gradOutput)} steps" if isinstance(gradOutput, list) else type(gradOutput).__name__
            raise input_error(self, f"a gradOutput table of {len(input)} steps (the input's)", got)
        if method == 'updateGradInput':
            self._mergeGradInput = self.run_child(2, method, self._mergeInput, gradOutput)
        else:
            self.run_child(2, method, self._mergeInput, gradOutput, *scale)
        return self._mergeGradInput[0][1:], self._mergeGradInput[1][:-1]

    def updateGradInput(self, input, gradOutput):
        fwd_grad, bwd_grad = self._merge_backward(input, gradOutput, 'updateGradInput')
        fwd_gi = self.run_child(0, 'updateGradInput', input[:-1], fwd_grad)
        bwd_gi = self.run_child(1, 'updateGradInput', input[1:], bwd_grad)
        # step t fed the forward rnn at its step t and the backward rnn at its step t-1; the sums go into this
        # module's own buffers (the first and last steps' gradients are the rnns' own, as in the Lua file)
        sums = self.__dict__.setdefault('_gradSums', [])
        for t in range(1, len(input) - 1):
            if len(sums) < t:
                sums.append(None)
            sums[t - 1] = utils.recursiveAdd(utils.recursiveCopy(sums[t - 1], fwd_gi[t])[0], bwd_gi[t - 1])[0]
        self.gradInput = [fwd_gi[0]] + sums[:len(input) - 2] + [bwd_gi[-1]]
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        fwd_grad, bwd_grad = self._merge_backward(input, gradOutput, 'accGradParameters', scale)
        self.run_child(0, 'accGradParameters', input[:-1], fwd_grad, scale)
        self.run_child(1, 'accGradParameters', input[1:], bwd_grad, scale)

    def clearState(self, *names):
        return super().clearState('_firstStep', '_lastStep', '_mergeInput', '_mergeGradInput', '_gradSums', *names)

    def __repr__(self):
        pad = '\n  |    '
        parts = [f"\n  ( {label} ): " + repr(m).replace('\n', pad)
                 for label, m in ((' fwd ', self._fwd), (' bwd ', self._bwd), ('merge', self._merge))]
        return lua_typename(self) + ' {' + ''.join(parts) + '\n}'
