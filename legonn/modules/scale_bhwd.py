"""ScaleBHWD: bilinear up-scaling of BHWD images (batch, height, width, depth = channels), from the `spy`
package that anuragranj/spynet ships in extras/spybhwd (ScaleBHWD.lua, ScaleBHWD.cu); spynet's coarse-to-fine
pyramid doubles each level's flow with it between two nn.Transpose.
"""
from ..tensor.interpolation_kernels import interpolate_linear, interpolate_linear_grad
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.module import Module


class ScaleBHWD(Module):
    """``ScaleBHWD(scale)``: images ``(B, H, W, D)`` (or one ``(H, W, D)``) to ``(B, scale H, scale W, D)``.

    Output pixel ``(y, x)`` reads input coordinates ``(H - 1) y / (scale H - 1)``, ``(W - 1) x / (scale W - 1)``
    bilinearly (aligned corners), as ScaleBHWD.cu's ``getTopLeft``: the same numbers as
    ``nn.SpatialUpSamplingBilinear(scale)`` on the BCHW layout. ``scale`` is a positive integer (the Lua's
    default 1, a copy). The CPU C of spynet (generic/ScaleBHWD.c) divides those coordinates as integers, a
    bug its CUDA kernel, the one spynet runs, does not have: this module follows the CUDA kernel.
    """

    input_ranks = (3, 4)
    positive_ints = ('scale',)

    def __init__(self, scale=None):
        super().__init__()
        scale = 1 if scale is None else scale
        check_hyper('ScaleBHWD', positive=dict(scale=scale))
        self.scale = scale

    def _moved(self, input):
        """The input's array with its channel axis moved before the two spatial axes (a view)."""
        self.checkInput(input)
        if input.array.dtype.kind != 'f':
            raise input_error(self, "a floating-point input", input.type(), TypeError)
        return input.xp.moveaxis(input.array, -1, -3)

    def updateOutput(self, input):
        x = self._moved(input)
        h, w = x.shape[-2] * self.scale, x.shape[-1] * self.scale
        out = self.bufferLike('output', input, tuple(input.size())[:-3] + (h, w, input.size(-1)))
        input.xp.moveaxis(out, -1, -3)[...] = interpolate_linear(input.xp, x, (h, w))
        return self.output

    def updateGradInput(self, input, gradOutput):
        x = self._moved(input)
        self.checkGradOutput(gradOutput, self.output)
        gi = self.bufferLike('gradInput', input)
        g = input.xp.moveaxis(gradOutput.array, -1, -3)
        input.xp.moveaxis(gi, -1, -3)[...] = interpolate_linear_grad(input.xp, g, x.shape[-2:])
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.scale})"
