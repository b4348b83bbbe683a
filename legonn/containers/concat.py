"""Concat and DepthConcat: every child sees the same input; their outputs are
joined along ``dimension`` (0-based, negative from the end). gradInput is the
sum of the children's gradInputs (a tensor, or a table for table inputs)."""
from ..modules.base.contract_inputs import as_grad_output, as_module_input
from ..modules.base.errors import input_error
from ..modules.base.table_buffers import add_tree, copy_tree
from ..tensor import as_tensor_tree
from .container import Container


def branch_repr(container):
    """Torch7's drawing of a container whose children work side by side."""
    lines = [f"nn.{type(container).__name__} {{", '  input']
    last = len(container.modules) - 1
    for i, m in enumerate(container.modules):
        lead, cont = ('     `-> ', '         ') if i == last else ('    |`-> ', '    |    ')
        lines.append(f"{lead}({i}): " + repr(m).replace('\n', '\n' + cont))
    lines += ['     ... -> output', '}']
    return '\n'.join(lines)


def sum_child_grads(container, grads):
    """Sum the children's gradInputs (tensors or tables) into ``container.gradInput``, reusing its tensors.
    ``grads`` is consumed lazily: each child's gradInput is taken in before the next child runs, as
    Concat.lua and ConcatTable.lua do, so children whose gradInputs share one storage (fb.resnet.torch's
    shareGradInput) are summed correctly."""
    grads = iter(grads)
    total = copy_tree(container.gradInput, next(grads))
    container.gradInput = total
    for g in grads:
        add_tree(total, g, container, 'children gradInput')
    return total


def backward_children(container, input, gradOutput, grads, scale):
    """Each child's whole ``backward`` on its part ``grads[i]`` of ``gradOutput``, in turn, as Concat.lua and
    ConcatTable.lua do: a child's gradients are accumulated before the next child may overwrite a gradInput
    storage it shares with another. The whole gradOutput is checked before the first child accumulates."""
    container.checkAccumulation(input, gradOutput)
    return sum_child_grads(container, (container.run_child(i, 'backward', input, g, scale)
                                       for i, g in enumerate(grads)))


def same_size_outside(module, sizes, i, out, d):
    """Child ``i``'s output must have the size so far (child 0's) outside the joined dimension ``d``."""
    if out.dim() != len(sizes) or any(a != b for k, (a, b) in enumerate(zip(out.size(), sizes)) if k != d):
        raise input_error(module, f"child {i} output matching child 0's size {tuple(sizes)} outside "
                          f"dimension {d}", tuple(out.size()))
    return sizes


def joined_size(module, outs, dimension, merged_size=same_size_outside):
    """(d, size) of the children's outputs ``outs`` joined along ``dimension`` (negative: from the end),
    after checking them; ``merged_size(module, sizes, i, out, d)`` takes child i's output into the size."""
    for i, o in enumerate(outs):
        module.checkTensor(o, what=f'output of child {i}')
    d = dimension + outs[0].dim() if dimension < 0 else dimension
    if not 0 <= d < outs[0].dim():
        raise input_error(module, f"child outputs with a dimension {dimension}", f"{outs[0].dim()}-D outputs")
    sizes = list(outs[0].size())
    for i, o in enumerate(outs[1:], 1):
        sizes = merged_size(module, sizes, i, o, d)
    sizes[d] = sum(o.size(d) for o in outs)
    return d, sizes


class Concat(Container):
    """output = the children's outputs (same input each) concatenated along ``dimension``."""

    def __init__(self, dimension):
        super().__init__()
        self.dimension = dimension

    def _output_size(self, outs):
        return joined_size(self, outs, self.dimension, self._merged_size)

    _merged_size = staticmethod(same_size_outside)

    def _place(self, out, i, offset, d, sizes):
        """The window of a full-size tensor where child ``i``'s output goes."""
        return out.narrow(d, offset, self.modules[i].output.size(d))

    def updateOutput(self, input):
        if not self.modules:
            raise input_error(self, "at least one child module", "an empty container")
        outs = [self.run_child(i, 'updateOutput', input) for i in range(len(self.modules))]
        d, sizes = self._output_size(outs)
        self.bufferLike('output', outs[0], sizes)
        self._fill_output(outs, d, sizes)
        return self.output

    def _fill_output(self, outs, d, sizes):
        offset = 0
        for i, o in enumerate(outs):
            self._place(self.output, i, offset, d, sizes).array[...] = o.array
            offset += o.size(d)

    def _grad_windows(self, gradOutput):
        """gradOutput cut into the children's windows, after checking its size."""
        d, sizes = self._output_size([m.output for m in self.modules])
        self.checkSize(gradOutput, sizes)
        windows, offset = [], 0
        for i, m in enumerate(self.modules):
            windows.append(self._place(gradOutput, i, offset, d, sizes))
            offset += m.output.size(d)
        return windows

    def updateGradInput(self, input, gradOutput):
        windows = self._grad_windows(gradOutput)
        return sum_child_grads(self, (self.run_child(i, 'updateGradInput', input, w)
                                      for i, w in enumerate(windows)))

    def backward(self, input, gradOutput=None, scale=1):
        """Each child's whole ``backward`` in turn (Concat.lua, DepthConcat.lua; see ``backward_children``)."""
        input, gradOutput = as_module_input(self, input, as_tensor_tree), as_grad_output(self, gradOutput)
        return backward_children(self, input, gradOutput, self._grad_windows(gradOutput), scale)

    def accGradParameters(self, input, gradOutput, scale=1):
        for i, w in enumerate(self._grad_windows(gradOutput)):
            self.run_child(i, 'accGradParameters', input, w, scale)

    def __repr__(self):
        return branch_repr(self)


class DepthConcat(Concat):
    """Concat for outputs whose other dimensions differ (e.g. Inception branches): the output takes the
    largest size in every other dimension and each child's output sits centred in its window, zero-padded."""

    @staticmethod
    def _merged_size(module, sizes, i, out, d):
        """The largest size in every dimension so far, child ``i``'s output taken in."""
        if out.dim() != len(sizes):
            raise input_error(module, f"child {i} output of {len(sizes)} dimensions like child 0",
                              f"{out.dim()}-D of size {tuple(out.size())}")
        return [max(a, b) for a, b in zip(sizes, out.size())]

    def _place(self, out, i, offset, d, sizes):
        child = self.modules[i].output
        window = out.narrow(d, offset, child.size(d))
        for k in range(len(sizes)):
            if k != d and sizes[k] != child.size(k):
                window = window.narrow(k, (sizes[k] - child.size(k)) // 2, child.size(k))
        return window

    def _fill_output(self, outs, d, sizes):
        self.output.zero()
        super()._fill_output(outs, d, sizes)
