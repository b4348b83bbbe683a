"""SeqReverseSequence: a sequence in reverse time order (Element-Research rnn's nn.SeqReverseSequence)."""
from .base.module import Module


class SeqReverseSequence(Module):
    """Reverses the input along dimension ``dim`` (0-based; default 0, the time dimension of a
    ``seqlen x batch x ...`` sequence). Output and gradInput are copies of the input's shape."""

    input_dtypes = 'any'

    def __init__(self, dim=0):
        super().__init__()
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 0:
            raise ValueError(f"SeqReverseSequence: dim must be a non-negative integer, got {dim!r}")
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
        return f"nn.SeqReverseSequence({self.dim})"
