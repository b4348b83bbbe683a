"""RecurrentCell: what the rnn package's gated cells (LSTM, FastLSTM, GRU, MuFuRu) share; their Lua files
(LSTM.lua, GRU.lua) each repeat it."""
from ..modules.base.errors import check_hyper, check_probability, input_error
from ..modules.dropout import Dropout
from ..modules.table_structure import JoinTable
from .abstract_recurrent import AbstractRecurrent
from .sequential import Sequential
from .tables import ConcatTable, ParallelTable


def first_set(*values):
    """The first value that is not None (Lua's ``a or b or c`` over tensors, which are always true there)."""
    for v in values:
        if v is not None:
            return v
    return None


class RecurrentCell(AbstractRecurrent, abstract=True):
    """A cell run one step per forward on ``(inputSize,)`` or ``(batch, inputSize)`` inputs, its step module
    (``recurrentModule``) made by ``buildModel()``, with a lazy Dropout of probability ``p`` (``mono``: one mask
    row for the batch) wherever the subclass asks ``_dropout()``. ``zeroTensor`` stands for the state before
    step 0 and the gradient after the last step when the user sets none (``userPrevOutput``,
    ``userNextGradOutput``)."""

    def __init__(self, inputSize, outputSize, rho, p, mono):
        name = type(self).__name__
        check_hyper(name, positive=dict(inputSize=inputSize, outputSize=outputSize))
        self.p = check_probability(name, p)
        super().__init__(rho)
        self.mono = bool(mono)
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.recurrentModule = self.buildModel()
        self.modules.append(self.recurrentModule)
        self.sharedClones[0] = self.recurrentModule
        self.zeroTensor = self.output.new()
        # the user's state before step 0 and gradient after the last step (None: zeros), which the Lua reads as nil
        self.userPrevOutput = None
        self.userNextGradOutput = None

    def buildModel(self):
        raise NotImplementedError(f"{type(self).__name__} must define buildModel")

    def _dropout(self):
        return Dropout(self.p, False, False, lazy=True, mono=self.mono)

    def _gate_maps(self, layer, inputSize, count):
        """``layer(inputSize, outputSize)`` into ``count`` gates: one wide map, or with dropout ``count``
        Dropout + map pairs joined."""
        if self.p == 0:
            return layer(inputSize, count * self.outputSize)
        drops, maps = ConcatTable(), ParallelTable()
        for _ in range(count):
            drops.add(self._dropout())
            maps.add(layer(inputSize, self.outputSize))
        return Sequential().add(drops).add(maps).add(JoinTable(0, 1))

    # --- step numbers and the zero state --------------------------------------------------------------
    def _state_step(self, step, counter):
        """``step`` checked (0-based, -1 the state before step 0), None meaning ``counter - 1``."""
        if step is None:
            return counter - 1
        if step < -1:
            raise ValueError(f"{self.shortName()}: steps are 0-based (-1 is the state before step 0), got {step}")
        return step

    def _backward_counter(self):
        """The step the next backward call works back from."""
        return self.step if self.updateGradInputStep is None else self.updateGradInputStep

    def _user(self, name):
        """The user's tensor ``name`` (userPrevOutput, ...), or None when unset or emptied: clearState() empties
        them as LSTM.lua does (and saving is a clearState), after which the zero state stands in again, where
        the Lua would hand the empty tensor to the step module."""
        t = self.__dict__.get(name)
        return t if t is not None and t.nElement() > 0 else None

    def _zero_state(self, input):
        """Size the zero state to ``input``'s batch (a step's input; None leaves it)."""
        if input is not None:
            sizes = (input.size(0), self.outputSize) if input.dim() == 2 else (self.outputSize,)
            self.zeroTensor.resize(*sizes).zero()

    # --- one step ---------------------------------------------------------------------------------------
    def _check_step_input(self, input):
        self.checkTensor(input, ranks=(1, 2), floating=True)
        if input.size(-1) != self.inputSize:
            raise input_error(self, f"{self.inputSize} input features", f"{input.size(-1)} (input of size "
                              f"{tuple(input.size())})")

    def _label(self, step):
        return f"{type(self).__name__}[step {step}]"

    def _output_gradient(self, step, fromNext, gradOutput):
        """The gradient reaching step ``step``'s output: the one from the step after it (or the user's),
        ``fromNext``, plus the step's own ``gradOutput``, in the buffer ``_gradOutputs[step]``."""
        self.checkTensor(gradOutput, what='gradOutput')
        self.checkSize(gradOutput, tuple(fromNext.size()))
        total = self._gradOutputs.get(step)
        if total is None or type(total) is not type(fromNext):
            total = fromNext.new()
        total.resizeAs(fromNext).copy(fromNext).add(gradOutput)
        self._gradOutputs[step] = total
        return total

    def clearState(self, *names):
        self.zeroTensor.set()
        return super().clearState(*names)
