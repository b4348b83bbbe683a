"""SeqReverseSequence: a sequence in reverse time order (Element-Research rnn's nn.SeqReverseSequence)."""
from .base.module import Module
from ..tensor.introspection import typename as lua_typename


class SeqReverseSequence(Module):
    """Reverses the input along dimension ``dim`` (0-based; default 0, the time dimension of a
    ``seqlen x batch x ...`` sequence). Output and gradInput are copies of the input's shape."""

    input_dtypes = 'any'
    nonnegative_ints = ('dim',)

    def __init__(self, dim=0):
        super().__init__()
        self.checkHyper(dim=dim)
        self.dim = dim

    def _flip(self, name, x, what):
        self.checkTensor(x, None, what)
        if x.dim() <= self.dim:
            raise ValueError(f"{self.shortName()}: expected a {what} of at least {self.dim + 1} dimensions, "
                             f"got size {tuple(x.size())}")
        out = self.bufferLike(name, x)
        out[...] = x.xp.flip(x.array, self.dim)
        return getattr(self, name)

    def updateOutput(self, input):
        return self._flip('output', input, 'input')

    def updateGradInput(self, input, gradOutput):
        self.checkGradOutput(gradOutput, self.output)
        return self._flip('gradInput', gradOutput, 'gradOutput')

    def __repr__(self):
        return f"{lua_typename(self)}({self.dim})"
