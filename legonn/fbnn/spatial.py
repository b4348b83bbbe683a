"""fbnn's spatial modules: Upsample (fbnn/Upsample.lua)."""
import numbers

from ..modules.base.module import Module


class Upsample(Module):
    """Nearest-neighbour up-sampling by an integer ``factor``: ``(C, H, W)`` -> ``(C, H * f, W * f)`` (or
    batched, ``(N, C, H, W)``), output pixel ``(y, x)`` = input pixel ``(y // f, x // f)``; gradInput sums
    each input pixel's ``f x f`` gradOutput block.

    ``Upsample(factor)``, a whole number >= 1 (Lua numbers: 2.0 is accepted).
    """

    lua_package = 'fbnn'
    input_ranks = (3, 4)

    def __init__(self, factor):
        super().__init__()
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or factor != int(factor) \
                or factor < 1:
            raise ValueError(f"fbnn.Upsample: factor must be a whole number >= 1, got {factor!r}")
        self.factor = int(factor)

    def _shapes(self, input):
        """(input as (lead, H, 1, W, 1), output sizes, output as (lead, H, f, W, f))."""
        self.checkInput(input)
        f, sizes = self.factor, tuple(input.size())
        lead, (h, w) = sizes[:-2], sizes[-2:]
        return lead + (h, 1, w, 1), lead + (h * f, w * f), lead + (h, f, w, f)

    def updateOutput(self, input):
        small, out_sizes, big = self._shapes(input)
        self.bufferLike('output', input, out_sizes).reshape(big)[...] = input.array.reshape(small)
        return self.output

    def updateGradInput(self, input, gradOutput):
        small, out_sizes, big = self._shapes(input)
        self.checkSize(gradOutput, out_sizes)
        self.checkSameType(gradOutput, input, 'gradOutput')
        gi = self.bufferLike('gradInput', input)
        gi.reshape(small)[...] = gradOutput.array.reshape(big).sum(axis=(-3, -1), keepdims=True)
        return self.gradInput

    def __repr__(self):
        return f"fbnn.Upsample(factor {self.factor})"
