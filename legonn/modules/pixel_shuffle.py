"""PixelShuffle: sub-pixel rearrangement (Shi et al., 2016)."""
from .base.errors import input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename


class PixelShuffle(Module):
    """Rearranges ``(C * r^2, H, W)`` into ``(C, H * r, W * r)`` (or batched), ``r = upscaleFactor``.

    Output pixel ``(c, h * r + i, w * r + j)`` is input ``(c * r^2 + i * r + j, h, w)``, as Torch7.
    """

    input_ranks = (3, 4)
    input_dtypes = 'any'  # moves values without arithmetic, so any element type (PixelShuffle.lua's copy)
    positive_ints = ('upscaleFactor',)

    def __init__(self, upscaleFactor):
        super().__init__()
        self.checkHyper(upscaleFactor=upscaleFactor)
        self.upscaleFactor = upscaleFactor
        self.upscaleFactorSquared = upscaleFactor * upscaleFactor

    def _check(self, input):
        self.checkInput(input)
        c = input.size(-3)
        if c % self.upscaleFactorSquared:
            raise input_error(self, f"a number of planes divisible by upscaleFactor^2 = {self.upscaleFactorSquared}",
                              f"{c} (input of size {tuple(input.size())})")
        n = input.size(0) if input.dim() == 4 else 1
        return n, c // self.upscaleFactorSquared, input.size(-2), input.size(-1)

    def updateOutput(self, input):
        n, c, h, w = self._check(input)
        r = self.upscaleFactor
        out = self.bufferLike('output', input, tuple(input.size())[:-3] + (c, h * r, w * r))
        staged = input.array.reshape(n, c, r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
        out.reshape(n, c, h, r, w, r)[...] = staged
        return self.output

    def updateGradInput(self, input, gradOutput):
        n, c, h, w = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        r = self.upscaleFactor
        gi = self.bufferLike('gradInput', input)
        gi.reshape(n, c, r, r, h, w)[...] = gradOutput.array.reshape(n, c, h, r, w, r).transpose(0, 1, 3, 5, 2, 4)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.upscaleFactor})"
