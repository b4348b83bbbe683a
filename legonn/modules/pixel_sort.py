"""PixelSort: nnx's reverse pixel shuffle (nnx's PixelSort.lua), space to depth."""
from .base.errors import input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename


class PixelSort(Module):
    """Rearranges ``(C, H, W)`` into ``(C * r^2, H / r, W / r)`` (or batched), ``r = downscaleFactor``.

    Output ``(c * r^2 + i * r + j, h, w)`` is input ``(c, h * r + i, w * r + j)`` (0-based), the inverse of
    nn.PixelShuffle(r). H and W must be multiples of r (the Lua's views fail otherwise).
    """

    input_ranks = (3, 4)
    input_dtypes = 'any'  # moves values without arithmetic, so any element type (PixelSort.lua's copy)
    positive_ints = ('downscaleFactor',)

    def __init__(self, downscaleFactor):
        super().__init__()
        self.checkHyper(downscaleFactor=downscaleFactor)
        self.downscaleFactor = downscaleFactor
        self.downscaleFactorSquared = downscaleFactor * downscaleFactor

    def _check(self, input):
        self.checkInput(input)
        r = self.downscaleFactor
        h, w = input.size(-2), input.size(-1)
        if h % r or w % r:
            raise input_error(self, f"a height and width divisible by downscaleFactor = {r}",
                              f"{h}x{w} (input of size {tuple(input.size())})")
        n = input.size(0) if input.dim() == 4 else 1
        return n, input.size(-3), h // r, w // r

    def updateOutput(self, input):
        n, c, h, w = self._check(input)
        r = self.downscaleFactor
        out = self.bufferLike('output', input, tuple(input.size())[:-3] + (c * r * r, h, w))
        out.reshape(n, c, r, r, h, w)[...] = input.array.reshape(n, c, h, r, w, r).transpose(0, 1, 3, 5, 2, 4)
        return self.output

    def updateGradInput(self, input, gradOutput):
        n, c, h, w = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        r = self.downscaleFactor
        gi = self.bufferLike('gradInput', input)
        gi.reshape(n, c, h, r, w, r)[...] = gradOutput.array.reshape(n, c, r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.downscaleFactor})"
