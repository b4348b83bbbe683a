"""PushTable and PullTable: nnx's pair that carries one entry of a table past the modules between them (nnx's
PushTable.lua and PullTable.lua), e.g. SoftMaxTree's targets around the layers that transform its input."""
from ..tensor import Tensor, default_class
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.table_buffers import describe


def _check_grads(module, gradOutputTable, outputs):
    """Each tensor of ``gradOutputTable`` shaped like the output entry it belongs to."""
    for i, (g, out) in enumerate(zip(gradOutputTable, outputs)):
        if isinstance(out, Tensor) and (not isinstance(g, Tensor) or g._size != out._size):
            got = tuple(g.size()) if isinstance(g, Tensor) else type(g).__name__
            raise input_error(module, f"gradOutput[{i}] of size {tuple(out.size())}", got)


def _index(owner, index):
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"{owner}: index must be a non-negative int (0-based), got {index!r}")
    return index


class _Linked(Module, abstract=True):
    """A module that holds its partner(s): type() converts everything but them, as the Lua files' type(), since
    each side holds the other."""

    input_dtypes = 'any'   # moves table entries (targets may be integers) without arithmetic
    _link = None

    def type(self, typename=None, cache=None):
        if typename is None:
            return super().type()
        link = self.__dict__.pop(self._link, None)
        try:
            return super().type(typename, cache)
        finally:
            if link is not None:
                self.__dict__[self._link] = link


class PushTable(_Linked):
    """``PushTable(index)``: output = the input table without entry ``index`` (0-based), which goes to every
    PullTable made by ``pull(index)``; those put it back into their own input table.

    Backward: the pulls' gradients for the entry (the first since the forward copied, later ones added, as
    the Lua file) become ``gradInput[index]``; the other entries take ``gradOutput``'s. Where no pull has
    sent a gradient since the forward, ``gradInput[index]`` is zeros like the entry (the Lua file hands back
    its empty or stale buffer)."""

    _link = '_pulls'

    def __init__(self, index):
        super().__init__()
        self._index = _index('PushTable', index)
        self._pulls = ()
        self.output, self.gradInput = [], []
        self._gradInput = default_class()()
        self._forward = False

    def pull(self, index):
        """A new PullTable that inserts the pushed entry at ``index`` (0-based) of its input table."""
        pull = PullTable(self, index)
        self._pulls += (pull,)
        return pull

    def _table(self, inputTable, what='input'):
        self.checkTable(inputTable, min_length=self._index + 1, what=what)
        return inputTable

    def updateOutput(self, inputTable):
        self._table(inputTable)
        self.output = inputTable[:self._index] + inputTable[self._index + 1:]
        for pull in self._pulls:
            pull._output = inputTable[self._index]
        self._forward = True
        return self.output

    def _updateGradInput(self, gradOutput):
        """A pull's gradient for the pushed entry: copied after a forward, added afterwards."""
        if self._forward or type(self._gradInput) is not type(gradOutput) or \
                self._gradInput._size != gradOutput._size:
            self._gradInput = gradOutput.clone()
        else:
            self._gradInput.add(gradOutput)
        self._forward = False

    def updateGradInput(self, inputTable, gradOutputTable):
        self._table(inputTable)
        self.checkTable(gradOutputTable, length=len(inputTable) - 1, min_length=0, what='gradOutput')
        _check_grads(self, gradOutputTable, inputTable[:self._index] + inputTable[self._index + 1:])
        pushed = inputTable[self._index]
        grad = self._gradInput
        if self._forward or not isinstance(pushed, Tensor) or grad._size != pushed._size:
            grad = pushed.new().resizeAs(pushed).zero() if isinstance(pushed, Tensor) else None
        self.gradInput = gradOutputTable[:self._index] + [grad] + gradOutputTable[self._index:]
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self._index})"


class PullTable(_Linked):
    """``PullTable(push, index)`` (made by ``push.pull(index)``): output = the input table with the entry
    ``push`` last pushed inserted at ``index`` (0-based); a tensor input becomes ``[pushed, input]``
    (index 0) or ``[input, pushed]`` (index 1). Backward sends ``gradOutput[index]`` to the push and returns
    the other entries (a tensor for a tensor input)."""

    _link = '_push'

    def __init__(self, push, index):
        super().__init__()
        if not isinstance(push, PushTable):
            raise TypeError(f"PullTable: expected a PushTable, got {type(push).__name__}")
        self._push, self._index = push, _index('PullTable', index)
        self._output = None
        self.output, self.gradInput = [], []

    def _pushed(self):
        if self._output is None:
            raise input_error(self, "a forward of its PushTable first", "nothing pushed")
        return self._output

    def _merged(self, input):
        """The input with the pushed entry put in at the index (a new list)."""
        pushed = self._pushed()
        if isinstance(input, list):
            if self._index > len(input):
                raise input_error(self, f"a table of at least {self._index} entries", describe(input), IndexError)
            return input[:self._index] + [pushed] + input[self._index:]
        if self._index > 1:
            raise input_error(self, "a table input (a tensor input takes index 0 or 1)", describe(input), TypeError)
        return [pushed, input] if self._index == 0 else [input, pushed]

    def updateOutput(self, input):
        self.output = self._merged(input)
        return self.output

    def updateGradInput(self, input, gradOutputTable):
        n = len(input) + 1 if isinstance(input, list) else 2
        self.checkTable(gradOutputTable, length=n, what='gradOutput')
        _check_grads(self, gradOutputTable, self._merged(input))
        self._push._updateGradInput(gradOutputTable[self._index])
        rest = gradOutputTable[:self._index] + gradOutputTable[self._index + 1:]
        self.gradInput = rest if isinstance(input, list) else rest[0]
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self._index})"
