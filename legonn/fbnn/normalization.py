"""fbnn's normalisations: L2Normalize (fbnn/L2Normalize.lua) and ProjectiveGradientNormalization
(fbnn/ProjectiveGradientNormalization.lua)."""
import numbers

from ..modules.base.module import Module
from .base import FbnnClass


class L2Normalize(FbnnClass, Module):
    """Each row divided by its Euclidean norm: ``y = x / ||x||`` over the last dimension of a ``(n,)`` or
    ``(batch, n)`` input; gradInput ``(g - y (y . g)) / ||x||``. A zero row gives NaN, as the Lua."""

    lua_name = 'fbnn'
    input_ranks = (1, 2)

    def _norms(self, input):
        self.checkInput(input)
        return input.xp.sqrt((input.array * input.array).sum(axis=-1, keepdims=True))

    def updateOutput(self, input):
        norms = self._norms(input)
        self.bufferLike('output', input)[...] = input.array / norms
        return self.output

    def updateGradInput(self, input, gradOutput):
        norms = self._norms(input)
        self.checkGradOutput(gradOutput, input)
        y, g = input.array / norms, gradOutput.array
        self.bufferLike('gradInput', input)[...] = (g - y * (y * g).sum(axis=-1, keepdims=True)) / norms
        return self.gradInput

    def __repr__(self):
        return 'fbnn.L2Normalize'


class ProjectiveGradientNormalization(FbnnClass, Module):
    """Identity forward; backward removes from gradOutput its component along the whole input:
    ``gradInput = g - u (u . g)`` with ``u = x / ||x||`` (norm and dot product over every element), or ``g``
    itself when ``x`` is all zeros. This is not the input's true gradient (Mark Tygert's normalisation).

    ``ProjectiveGradientNormalization(eps=1e-5)``: ``eps`` is stored, as the Lua, which never uses it.
    """

    lua_name = 'fbnn'

    def __init__(self, eps=1e-5):
        super().__init__()
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
            raise TypeError(f"{self.lua_name}.ProjectiveGradientNormalization: eps must be a number, got {eps!r}")
        self.eps = eps

    def updateOutput(self, input):
        self.checkInput(input)
        self.bufferLike('output', input)[...] = input.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, input)
        x, g = input.array, gradOutput.array
        norm = float(input.xp.sqrt((x * x).sum()))
        gi = self.bufferLike('gradInput', input)
        if norm == 0:
            gi[...] = g
        else:
            u = x / norm
            gi[...] = g - u * (u * g).sum()
        return self.gradInput

    def __repr__(self):
        return f"{self.lua_name}.ProjectiveGradientNormalization({self.eps:g})"
