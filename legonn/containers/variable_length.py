"""VariableLength: torch/rnn's decorator that runs a zero-masked sequence module on a table of sequences of
different lengths (VariableLength.lua), and the four C functions it calls on a tensor's ``nn`` table
(src/generic/c/VariableLength.c), which pack the sequences into one ``(maxlength, rows, ...)`` tensor and back.

The packing: sequences by decreasing length fill each row (a column of the packed tensor) from step 0, each
followed by one separator step, while they fit in the longest's length; ``indexes[row]`` lists the (0-based)
sequences of a row in order, ``mappedLengths[row]`` their lengths; the mask is 1 at separator and unused
steps. Sequences of one length are taken in their table order (the C's qsort leaves that order unspecified).
"""
from ..modules.base.errors import input_error
from ..tensor import Tensor
from ..tensor.introspection import typename as lua_typename
from ..tensor.nn_table import nn_table
from .decorators import Decorator


def _rows(lengths):
    """(indexes, mappedLengths) of VariableLength.c's packing of sequences of ``lengths``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    assigned = [False] * len(order)
    longest = lengths[order[-1]]
    indexes, mapped = [[]], [[]]
    available, count = longest, 0
    while count < len(order):
        added = False
        for k in range(len(order) - 1, -1, -1):
            i = order[k]
            if not assigned[k] and lengths[i] <= available:
                indexes[-1].append(i)
                mapped[-1].append(lengths[i])
                assigned[k] = True
                available -= lengths[i] + 1
                count += 1
                added = True
        if not added:
            indexes.append([])
            mapped.append([])
            available = longest
    return indexes, mapped


def _places(indexes, mappedLengths):
    """(row, first step, length, sequence) of each packed sequence."""
    for row, (ids, lengths) in enumerate(zip(indexes, mappedLengths)):
        start = 0
        for index, length in zip(ids, lengths):
            yield row, start, length, index
            start += length + 1


def _check_packed(name, indexes, mappedLengths, packed, what):
    if not isinstance(indexes, list) or not isinstance(mappedLengths, list) or len(indexes) != len(mappedLengths):
        raise TypeError(f"tensor.nn.{name}: expected indexes and mappedLengths, tables of one entry per row, got "
                        f"{type(indexes).__name__} and {type(mappedLengths).__name__}")
    if not isinstance(packed, Tensor) or packed.dim() < 2 or packed.size(1) != len(indexes):
        got = f"size {tuple(packed.size())}" if isinstance(packed, Tensor) else type(packed).__name__
        raise ValueError(f"tensor.nn.{name}: expected {what} a maxlength x {len(indexes)} [x ...] tensor, got {got}")


@nn_table.register
def VariableLength_FromSamples(samples, output, mask):
    """Pack the table ``samples`` (tensors ``(length_i, ...)`` of one type and trailing size) into ``output``
    ``(maxlength, rows, ...)`` (zeros where no sequence is) and ``mask`` ``(maxlength, rows)`` (a ByteTensor on
    output's device, 1 at the steps that hold none); returns (indexes, mappedLengths)."""
    name = 'VariableLength_FromSamples'
    if not isinstance(samples, list) or not samples or not all(isinstance(s, Tensor) for s in samples):
        raise TypeError(f"tensor.nn.{name}: expected a non-empty table of tensors, got {type(samples).__name__}")
    step = tuple(samples[0].size())[1:]
    for k, s in enumerate(samples):
        if s.dim() < 1 or tuple(s.size())[1:] != step or s.size(0) < 1:
            trailing = ''.join(f', {n}' for n in step)
            raise ValueError(f"tensor.nn.{name}: expected every sample of size (length >= 1{trailing}), got sample "
                             f"{k} of size {tuple(s.size())}")
        if type(s) is not type(output):
            raise TypeError(f"tensor.nn.{name}: expected samples of output's type {output.type()}, got sample {k} "
                            f"a {s.type()}")
    if mask._dtype.kind not in 'ub' or mask._dtype.itemsize != 1 or mask._cuda != output._cuda:
        raise TypeError(f"tensor.nn.{name}: expected mask a ByteTensor on output's device, got a {mask.type()}")
    indexes, mapped = _rows([s.size(0) for s in samples])
    output.resize((max(mapped[0]), len(indexes)) + step).zero()
    mask.resize(output.size(0), len(indexes)).fill(1)
    for row, start, length, index in _places(indexes, mapped):
        output.select(1, row).narrow(0, start, length).copy(samples[index])
        mask.select(1, row).narrow(0, start, length).fill(0)
    return indexes, mapped


@nn_table.register
def VariableLength_ToSamples(indexes, mappedLengths, input):
    """The table of sequences packed in ``input`` ``(maxlength, rows, ...)``, views of it, in sequence order."""
    _check_packed('VariableLength_ToSamples', indexes, mappedLengths, input, 'input')
    places = sorted(_places(indexes, mappedLengths), key=lambda p: p[3])
    return [input.select(1, row).narrow(0, start, length) for row, start, length, _ in places]


@nn_table.register
def VariableLength_ToFinal(indexes, mappedLengths, input, output):
    """Into ``output`` ``(sequences, ...)``: the last step of each sequence packed in ``input``."""
    _check_packed('VariableLength_ToFinal', indexes, mappedLengths, input, 'input')
    places = list(_places(indexes, mappedLengths))
    output.resize((len(places),) + tuple(input.size())[2:])
    for row, start, length, index in places:
        output.select(0, index).copy(input.select(1, row).select(0, start + length - 1))


@nn_table.register
def VariableLength_FromFinal(indexes, mappedLengths, input, output):
    """Into ``output`` ``(maxlength, rows, ...)``, zeros but at the last step of each packed sequence, which
    holds that sequence's row of ``input`` ``(sequences, ...)``."""
    places = list(_places(indexes, mappedLengths))
    if not isinstance(input, Tensor) or input.dim() < 1 or input.size(0) != len(places):
        got = f"size {tuple(input.size())}" if isinstance(input, Tensor) else type(input).__name__
        raise ValueError(f"tensor.nn.VariableLength_FromFinal: expected input of {len(places)} rows (one per "
                         f"sequence), got {got}")
    longest = max(length for _, _, length, _ in places)
    output.resize((longest, len(indexes)) + tuple(input.size())[1:]).zero()
    for row, start, length, index in places:
        output.select(1, row).select(0, start + length - 1).copy(input.select(0, index))


class VariableLength(Decorator):
    """``VariableLength(module, lastOnly=False)``: ``module`` (made to ``maskZero()``) is a sequence module
    taking ``(seqlen, batch, ...)`` with torch/rnn's ``setZeroMask`` (a SeqLSTM, a Sequencer of RecLSTM, ...).
    The input is a table of sequences ``(length_i, ...)``; they are packed (VariableLength_FromSamples), masked
    between them, run through ``module`` in one forward, and unpacked: the output is the table of each
    sequence's outputs ``(length_i, ...)``, or with ``lastOnly`` the tensor of their last steps ``(sequences,
    ...)``. gradOutput has the output's form; gradInput the input's."""

    def __init__(self, module, lastOnly=False):
        super().__init__(module)
        module.maskZero()
        self.lastOnly = bool(lastOnly)
        self.output = [] if not self.lastOnly else self.output
        self.gradInput = []

    def _buffers(self, like):
        for name, kind in (('_input', None), ('_gradOutput', None), ('_mask', 'Byte')):
            self.bufferLike(name, like, (0,), kind=kind)

    def updateOutput(self, input):
        if not isinstance(input, list) or not input or not all(isinstance(x, Tensor) for x in input):
            raise input_error(self, "a non-empty table of sequences (length x ...) as input", type(input).__name__,
                              TypeError)
        cuda = self._type.startswith('legonn.Cuda')
        for k, x in enumerate(input):
            if x._cuda != cuda or type(x) is not type(input[0]):
                raise input_error(self, f"sequences of one type on the module's device ({self._type})",
                                  f"sequence {k} a {x.type()}", TypeError)
        self._buffers(input[0])
        self.indexes, self.mappedLengths = VariableLength_FromSamples(input, self._input, self._mask)
        self.modules[0].setZeroMask(self._mask)
        output = self.run_child(0, 'updateOutput', self._input)
        if self.lastOnly:
            if not isinstance(self.output, Tensor) or type(self.output) is not type(output):
                self.output = output.new()
            VariableLength_ToFinal(self.indexes, self.mappedLengths, output, self.output)
        else:
            self.output = VariableLength_ToSamples(self.indexes, self.mappedLengths, output)
        return self.output

    def _packed_gradient(self, gradOutput):
        if self.__dict__.get('indexes') is None:
            raise input_error(self, "a forward before backward", "a backward first")
        if self.lastOnly:
            if not isinstance(gradOutput, Tensor) or tuple(gradOutput.size()) != tuple(self.output.size()):
                got = f"size {tuple(gradOutput.size())}" if isinstance(gradOutput, Tensor) else \
                    type(gradOutput).__name__
                raise input_error(self, f"a gradOutput of the output's size {tuple(self.output.size())}", got)
            VariableLength_FromFinal(self.indexes, self.mappedLengths, gradOutput, self._gradOutput)
        else:
            if not isinstance(gradOutput, list) or len(gradOutput) != len(self.output) or any(
                    not isinstance(g, Tensor) or tuple(g.size()) != tuple(o.size())
                    for g, o in zip(gradOutput, self.output)):
                raise input_error(self, f"a gradOutput table of the output's {len(self.output)} sequences, each of "
                                  "its sequence's size", "another", ValueError)
            VariableLength_FromSamples(gradOutput, self._gradOutput, self._mask)
        return self._gradOutput

    def updateGradInput(self, input, gradOutput):
        gradOutput = self._packed_gradient(gradOutput)
        gradInput = self.run_child(0, 'updateGradInput', self._input, gradOutput)
        self.gradInput = VariableLength_ToSamples(self.indexes, self.mappedLengths, gradInput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        # requires a previous call to updateGradInput, which packed the gradient
        self.run_child(0, 'accGradParameters', self._input, self._gradOutput, scale)

    def setZeroMask(self, zeroMask):
        raise TypeError(f"{self.shortName()}: setZeroMask is not supported (VariableLength makes the mask)")

    def clearState(self, *names):
        self.gradInput = []
        self.output = self.output.set() if isinstance(self.output, Tensor) else []
        self.indexes = self.mappedLengths = None
        return super().clearState('_input', '_gradOutput', '_mask', *names)

    def __repr__(self):
        return f'{lua_typename(self)}{"(lastOnly)" if self.lastOnly else ""} @ ' + repr(self.modules[0])
