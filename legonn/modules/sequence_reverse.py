"""SeqReverseSequence and ReverseSequence: a sequence in reverse time order (Element-Research rnn's
nn.SeqReverseSequence, torch/rnn's nn.ReverseSequence)."""
from .base.errors import input_error
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
            raise input_error(self, f"{'an' if what == 'input' else 'a'} {what} of at least {self.dim + 1} dimensions",
                              f"size {tuple(x.size())}")
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


class ReverseSequence(Module):
    """torch/rnn's nn.ReverseSequence: a sequence in reverse step order, a ``seqlen x ...`` tensor (reversed
    along dimension 0, a copy) or a table of steps (the same tensors, last first); gradInput is gradOutput
    reversed alike."""

    input_dtypes = 'any'

    def _reverse(self, name, x, what):
        if isinstance(x, list):
            setattr(self, name, x[::-1])
            return getattr(self, name)
        self.checkTensor(x, None, what)
        if x.dim() == 0:
            raise input_error(self, f"a seqlen x ... {what} or a table of steps", "a 0-D tensor")
        if not isinstance(getattr(self, name), type(x)):
            setattr(self, name, x.new())
        out = self.bufferLike(name, x)
        out[...] = x.xp.flip(x.array, 0)
        return getattr(self, name)

    def updateOutput(self, input):
        return self._reverse('output', input, 'input')

    def updateGradInput(self, input, gradOutput):
        if isinstance(input, list) != isinstance(gradOutput, list):
            form = 'a table' if isinstance(input, list) else 'a tensor'
            raise input_error(self, f"a gradOutput of the input's form ({form})", type(gradOutput).__name__,
                              TypeError)
        if isinstance(input, list):
            if len(gradOutput) != len(input):
                raise input_error(self, f"a gradOutput of {len(input)} steps", f"{len(gradOutput)} steps")
        else:
            self.checkGradOutput(gradOutput, self.output)
        return self._reverse('gradInput', gradOutput, 'gradOutput')
