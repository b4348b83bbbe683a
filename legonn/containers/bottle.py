"""Bottle: apply a module made for ``nInputDim``-D inputs to inputs with extra leading dimensions."""
from ..modules.base.errors import input_error
from ..modules.base.table_buffers import view_buffer
from .decorators import Decorator
from ..tensor.introspection import typename as lua_typename


class Bottle(Decorator):
    """Fold the leading dimensions of an input with more than ``nInputDim`` dimensions into one batch
    dimension, run the module (which must return ``nOutputDim``-D, default ``nInputDim``) and unfold its
    output: (a, b, n) -> (a*b, n) -> module -> (a*b, m) -> (a, b, m). Other inputs go straight through."""
    any_device = False  # it reshapes/slices the input itself, so it checks the device first

    def __init__(self, module, nInputDim=2, nOutputDim=None):
        super().__init__(module)
        self.nInputDim = nInputDim
        self.nOutputDim = nInputDim if nOutputDim is None else nOutputDim

    def _folded(self, x):
        lead = x.dim() - self.nInputDim + 1
        n = 1
        for s in x.size()[:lead]:
            n *= s
        return x.contiguous().view(n, *x.size()[lead:]), tuple(x.size()[:lead])

    def updateOutput(self, input):
        self.checkTensor(input)
        if input.dim() <= self.nInputDim:
            return view_buffer(self, 'output', self.run_child(0, 'updateOutput', input))
        folded, lead = self._folded(input)
        out = self.run_child(0, 'updateOutput', folded)
        if out.dim() != self.nOutputDim:
            raise input_error(self, f"the module to return {self.nOutputDim}-D outputs",
                              f"{out.dim()}-D of size {tuple(out.size())}")
        return view_buffer(self, 'output', out.contiguous().view(*lead, *out.size()[1:]))

    def _grad_out(self, input, gradOutput):
        self.checkSize(gradOutput, self.output.size())
        return gradOutput.contiguous().view(*self.modules[0].output.size())

    def updateGradInput(self, input, gradOutput):
        self.checkTensor(input)
        if input.dim() <= self.nInputDim:
            return view_buffer(self, 'gradInput', self.run_child(0, 'updateGradInput', input, gradOutput))
        grad = self.run_child(0, 'updateGradInput', self._folded(input)[0], self._grad_out(input, gradOutput))
        return view_buffer(self, 'gradInput', grad.contiguous().view(*input.size()))

    def accGradParameters(self, input, gradOutput, scale=1):
        if input.dim() <= self.nInputDim:
            self.run_child(0, 'accGradParameters', input, gradOutput, scale)
        else:
            self.run_child(0, 'accGradParameters', self._folded(input)[0], self._grad_out(input, gradOutput), scale)

    def __repr__(self):
        return f'{lua_typename(self)}({self.nInputDim} -> {self.nOutputDim}) @ ' + repr(self.modules[0])
