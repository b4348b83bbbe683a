"""Containers with table (list) outputs: ConcatTable, ParallelTable, MapTable."""
from ..modules.base.contract_inputs import as_forward_input, as_grad_output, as_module_input
from ..modules.base.errors import input_error
from ..modules.base.table_buffers import describe
from .concat import backward_children, branch_repr, sum_child_grads
from .container import Container
from ..tensor.introspection import typename as lua_typename


class ConcatTable(Container):
    """output = [child_0(input), child_1(input), ...]; gradInput sums the children's gradInputs
    (tensors or tables shaped like the input)."""
    keeps_numbers = True   # every child takes the input as it came (a Lua table of numbers included)

    def __init__(self):
        super().__init__()
        self.output = []

    def updateOutput(self, input):
        self.output = [self.run_child(i, 'updateOutput', input) for i in range(len(self.modules))]
        return self.output

    def _check_grad(self, gradOutput):
        self.checkTable(gradOutput, length=len(self.modules), min_length=0, what='gradOutput')

    def updateGradInput(self, input, gradOutput):
        self._check_grad(gradOutput)
        if not self.modules:
            raise input_error(self, "at least one child module", "an empty container")
        return sum_child_grads(self, (self.run_child(i, 'updateGradInput', input, g)
                                      for i, g in enumerate(gradOutput)))

    def backward(self, input, gradOutput=None, scale=1):
        """Each child's whole ``backward`` in turn (ConcatTable.lua; see ``backward_children``)."""
        input, gradOutput = as_module_input(self, input, as_forward_input), as_grad_output(self, gradOutput)
        self._check_grad(gradOutput)
        if not self.modules:
            raise input_error(self, "at least one child module", "an empty container")
        return backward_children(self, input, gradOutput, gradOutput, scale)

    def accGradParameters(self, input, gradOutput, scale=1):
        self._check_grad(gradOutput)
        for i, g in enumerate(gradOutput):
            self.run_child(i, 'accGradParameters', input, g, scale)

    def __repr__(self):
        return branch_repr(self)


class _EntryWise(Container):
    """Entry i of the input table goes through child i; ``_check`` validates (and may add children)."""
    keeps_numbers = True   # a Lua table of numbers stays a table: each entry goes to its child as it came

    def __init__(self):
        super().__init__()
        self.output = []
        self.gradInput = []

    def _entries(self, input):
        """The input entries that go through a child: all of them (a MapTable grows a child per entry)."""
        return input

    def updateOutput(self, input):
        self._check(input)
        self.output = [self.run_child(i, 'updateOutput', x) for i, x in enumerate(self._entries(input))]
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._check(input, gradOutput)
        self.gradInput = [self.run_child(i, 'updateGradInput', x, g) for i, (x, g) in
                          enumerate(zip(self._entries(input), gradOutput))]
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self._check(input, gradOutput)
        for i, (x, g) in enumerate(zip(self._entries(input), gradOutput)):
            self.run_child(i, 'accGradParameters', x, g, scale)


class ParallelTable(_EntryWise):
    """output[i] = child_i(input[i]); the input table has an entry per child, and the entries after the last
    child's are left out of output and gradInput, as ParallelTable.lua loops over its children (rnn's test.lua
    hands its mock step modules such tables)."""

    def _entries(self, input):
        return input[:len(self.modules)]

    def _check(self, input, gradOutput=None):
        self.checkTable(input, min_length=len(self.modules))
        if gradOutput is not None:
            self.checkTable(gradOutput, length=len(self.modules), min_length=0, what='gradOutput')

    def __repr__(self):
        return branch_repr(self)


class MapTable(_EntryWise):
    """Apply one module to every entry of the input table.

    The module is cloned once per entry as needed; with ``shared`` (default) the clones
    share its weight, bias and their gradients, so there is one set of parameters
    (``parameters()`` lists every copy's views of it; ``getParameters()`` packs it once).
    """
    shared_names = ('weight', 'bias', 'gradWeight', 'gradBias')

    def __init__(self, module=None, shared=True):
        super().__init__()
        self.shared = shared
        if module is not None:
            self.add(module)

    @property
    def module(self):
        return self.modules[0] if self.modules else None

    def add(self, module):
        if self.modules:
            raise ValueError(f"{self.shortName()}.add: MapTable holds a single module (it has {describe(module)} "
                             f"already: {self.modules[0].shortName()})")
        return super().add(module)

    def resize(self, n):
        """Keep exactly ``n`` copies of the module."""
        self._extend(n)
        for m in self.modules[n:]:
            m.clearState()
        del self.modules[max(n, 1):]
        return self

    def _extend(self, n):
        if not self.modules:
            raise input_error(self, "a module to map (MapTable(module))", "an empty MapTable")
        names = self.shared_names if self.shared else ()
        while len(self.modules) < n:
            self.modules.append(self.modules[0].clone(*names))

    def _check(self, input, gradOutput=None):
        self.checkTable(input, min_length=0)
        if gradOutput is not None:
            self.checkTable(gradOutput, length=len(input), min_length=0, what='gradOutput')
        self._extend(len(input))

    def zeroGradParameters(self):
        if self.shared and self.modules:
            self.modules[0].zeroGradParameters()
        else:
            super().zeroGradParameters()

    def updateParameters(self, learningRate):
        if self.shared and self.modules:
            self.modules[0].updateParameters(learningRate)
        else:
            super().updateParameters(learningRate)

    def clearState(self):
        del self.modules[1:]
        return super().clearState()

    def __repr__(self):
        if not self.modules:
            return lua_typename(self) + ' { }'
        return lua_typename(self) + ' {\n  ' + repr(self.modules[0]).replace('\n', '\n        ') + '\n}'
