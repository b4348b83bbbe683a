"""Up-sampling of image planes: SpatialUpSamplingNearest, SpatialUpSamplingBilinear.

Inputs are ``(nPlanes, H, W)`` or ``(batch, nPlanes, H, W)``.
"""
from ..tensor.interpolation_kernels import interpolate_linear, interpolate_linear_grad, repeat_pixels, sum_pixel_blocks
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.module import Module


class SpatialUpSamplingNearest(Module):
    """Repeats every pixel ``scale x scale`` times: output ``(nPlanes, H * scale, W * scale)``.

    ``SpatialUpSamplingNearest(scale)``, ``scale`` a positive integer. A scale of 1 is built but refused by
    forward and backward, as Torch7's: SpatialUpSamplingNearest.lua's constructor refuses only a scale below 1,
    THNN's shapeCheck (generic/SpatialUpSamplingNearest.c) one not greater than 1.
    """

    input_ranks = (3, 4)
    positive_ints = ('scale_factor',)

    def __init__(self, scale):
        super().__init__()
        check_hyper('SpatialUpSamplingNearest', positive=dict(scale=scale))
        self.scale_factor = scale

    def _check_scale(self):
        if self.scale_factor <= 1:
            raise input_error(self, "a scale_factor greater than 1 (THNN's SpatialUpSamplingNearest refuses 1)",
                              self.scale_factor)

    def updateOutput(self, input):
        self._check_scale()
        s = self.scale_factor
        *lead, h, w = input.size()
        lead = tuple(lead)
        repeat_pixels(input.array, s, self.bufferLike('output', input, lead + (h * s, w * s)))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self._check_scale()
        self.checkGradOutput(gradOutput, self.output)
        sum_pixel_blocks(gradOutput.array, self.scale_factor, self.bufferLike('gradInput', input))
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.scale_factor})"


class SpatialUpSamplingBilinear(Module):
    """Bilinear up-sampling with aligned corners, as Torch7.

    ``SpatialUpSamplingBilinear(scale)`` gives ``(H * scale, W * scale)``;
    ``SpatialUpSamplingBilinear({'oheight': oh, 'owidth': ow})`` a fixed size: the constructor takes the one
    argument SpatialUpSamplingBilinear.lua's reads, a number or that table.
    Each output reads its (up to) four neighbours, the last axis first, as THNN's loop.
    """

    input_ranks = (3, 4)
    unread_arguments_note = ("Torch7's constructor reads one argument, the scale or a table {oheight=, owidth=} "
                             "(a size passed after a scale is dropped): pass {'oheight': oh, 'owidth': ow}")

    def __init__(self, params):
        super().__init__()
        self.scale_factor, self.oheight, self.owidth = None, None, None
        if isinstance(params, dict):
            self.oheight, self.owidth = params.get('oheight'), params.get('owidth')
            check_hyper('SpatialUpSamplingBilinear', positive=dict(oheight=self.oheight, owidth=self.owidth))
        else:
            self.scale_factor = params
            check_hyper('SpatialUpSamplingBilinear', positive=dict(scale=params))

    def _output_size(self, input):
        self.checkInput(input)
        h, w = input.size(-2), input.size(-1)
        if input.array.dtype.kind != 'f':
            raise input_error(self, "a floating-point input", input.type(), TypeError)
        return (h * self.scale_factor, w * self.scale_factor) if self.scale_factor else (self.oheight, self.owidth)

    def updateOutput(self, input):
        sizes = self._output_size(input)
        out = self.bufferLike('output', input, tuple(input.size())[:-2] + sizes)
        out[...] = interpolate_linear(input.xp, input.array, sizes)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._output_size(input)
        self.checkGradOutput(gradOutput, self.output)
        gi = self.bufferLike('gradInput', input)
        gi[...] = interpolate_linear_grad(input.xp, gradOutput.array, tuple(input.size())[-2:])
        return self.gradInput

    def __repr__(self):
        if self.scale_factor:
            return f"{lua_typename(self)}({self.scale_factor})"
        return f"{lua_typename(self)}({self.oheight}, {self.owidth})"
