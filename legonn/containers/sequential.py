"""Sequential: feeds each child's output to the next child."""
from ..modules.base.errors import input_error
from ..modules.base.contract_inputs import as_forward_input, as_grad_output, as_module_input
from ..tensor import Tensor
from .container import Container


def _signature(x):
    """What backward must see again to match forward: a tensor's type and size (None for tables)."""
    return (type(x), x._size) if isinstance(x, Tensor) else None


class Sequential(Container):
    """output = m[n-1](...m[1](m[0](input))); any input/output the children accept.

    ``backward`` must get an input of the type and size ``forward`` got (Torch7's
    contract); it is checked before any child runs, so a mismatched call
    cannot leave some children's gradients accumulated and others not.
    """

    keeps_numbers = True   # the first child takes the input as it came (a Lua table of numbers included)

    def __init__(self):
        super().__init__()
        self._forwarded = None

    def add(self, module):
        """Append ``module``. As Sequential.lua:7-14 does, the container's ``output`` becomes the new last child's
        and, for the first child, its ``gradInput`` the child's: a Sequential assembled from modules that have
        already run reads their results without a forward of its own (ramprs/grad-cam's grad_cam splits a
        forwarded VGG into two Sequentials and backpropagates the second from the first's ``output``)."""
        super().add(module)
        self._track_ends()
        return self

    def _track_ends(self):
        """``output`` and ``gradInput`` are the last and first children's, as Sequential.lua's add, insert and
        remove leave them (an empty container keeps its own)."""
        if self.modules:
            self.output = self.modules[-1].output
            self.gradInput = self.modules[0].gradInput

    def insert(self, module, index=None):
        """Insert ``module`` at position ``index`` (0-based; default: the end)."""
        if index is None:
            return self.add(module)
        if not -len(self.modules) <= index <= len(self.modules):
            raise IndexError(f"{self.shortName()}.insert: index {index} out of range for "
                             f"{len(self.modules)} modules (0-based)")
        super().add(module)
        self.modules.insert(index, self.modules.pop())
        self._track_ends()
        return self

    def remove(self, index=None):
        """Remove and return the child at ``index`` (0-based; default: the last)."""
        if index is None:
            index = len(self.modules) - 1
        if not -len(self.modules) <= index < len(self.modules):
            raise IndexError(f"{self.shortName()}.remove: index {index} out of range for "
                             f"{len(self.modules)} modules (0-based)")
        removed = self.modules.pop(index)
        self._track_ends()
        return removed

    def initDiagHessianParameters(self):
        for m in self.modules:
            m.initDiagHessianParameters()

    def updateDiagHessianInput(self, input, diagHessianOutput):
        """hessian.lua: each child's updateDiagHessianInput, last to first, on the outputs of the last forward."""
        current = diagHessianOutput
        for i in range(len(self.modules) - 1, 0, -1):
            current = self.modules[i].updateDiagHessianInput(self.modules[i - 1].output, current)
        current = self.modules[0].updateDiagHessianInput(input, current)
        self.diagHessianInput = current
        return current

    def accDiagHessianParameters(self, input, diagHessianOutput):
        """hessian.lua: each child's accDiagHessianParameters, last to first; a child gets the
        ``diagHessianInput`` its successor's updateDiagHessianInput left (call that first)."""
        current = diagHessianOutput
        for i in range(len(self.modules) - 1, 0, -1):
            self.modules[i].accDiagHessianParameters(self.modules[i - 1].output, current)
            current = self.modules[i].diagHessianInput
        self.modules[0].accDiagHessianParameters(input, current)

    def updateOutput(self, input):
        current = input
        for i in range(len(self.modules)):
            current = self.run_child(i, 'updateOutput', current)
        self._forwarded = _signature(input)
        self.output = current
        return current

    def _check_backward_input(self, input):
        seen = self._forwarded
        if seen is not None and _signature(input) != seen:
            got = input.type() + f" of size {tuple(input.size())}" if isinstance(input, Tensor) else \
                f"a {type(input).__name__}"
            raise input_error(self, f"backward's input to match forward's ({seen[0]._typename} of size "
                              f"{seen[1]})", got)

    def _input_of(self, i, input):
        return self.modules[i - 1].output if i > 0 else input

    def updateGradInput(self, input, gradOutput):
        self._check_backward_input(input)
        current = gradOutput
        for i in range(len(self.modules) - 1, -1, -1):
            current = self.run_child(i, 'updateGradInput', self._input_of(i, input), current)
        self.gradInput = current
        return current

    def accGradParameters(self, input, gradOutput, scale=1):
        self._check_backward_input(input)
        current = gradOutput
        for i in range(len(self.modules) - 1, -1, -1):
            self.run_child(i, 'accGradParameters', self._input_of(i, input), current, scale)
            current = self.modules[i].gradInput

    def backward(self, input, gradOutput=None, scale=1):
        input, gradOutput = as_module_input(self, input, as_forward_input), as_grad_output(self, gradOutput)
        self._check_backward_input(input)
        self.checkParameterGradients()   # before the last child accumulates, not when an earlier one fails
        current = gradOutput
        for i in range(len(self.modules) - 1, -1, -1):
            current = self.run_child(i, 'backward', self._input_of(i, input), current, scale)
        self.gradInput = current
        return current

    def clearState(self, *names):
        self._forwarded = None
        return super().clearState(*names)

    def __repr__(self):
        if not self.modules:
            return 'nn.Sequential {}'
        chain = ' -> '.join(f'({i})' for i in range(len(self.modules)))
        lines = ['nn.Sequential {', f'  [input -> {chain} -> output]']
        for i, m in enumerate(self.modules):
            lines.append(f"  ({i}): " + repr(m).replace('\n', '\n  '))
        lines.append('}')
        return '\n'.join(lines)
