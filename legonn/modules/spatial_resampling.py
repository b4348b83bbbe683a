"""SpatialReSampling: nnx's bilinear resampling of image planes to a given size (nnx's SpatialReSampling.lua and
generic/SpatialReSampling.c)."""
from ..tensor.interpolation_kernels import resample_bilinear, resample_bilinear_grad
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.lua_arguments import table_arguments
from .base.module import Module


class SpatialReSampling(Module):
    """Bilinear resampling: input ``(nPlanes, H, W)`` or ``(batch, nPlanes, H, W)``, output ``(nPlanes, oheight,
    owidth)`` or batched.

    ``SpatialReSampling({'owidth': ow, 'oheight': oh})`` (or ``owidth=, oheight=``; positional arguments
    in the Lua order ``rwidth, rheight, owidth, oheight``) gives a fixed size;
    ``SpatialReSampling({'rwidth': rw, 'rheight': rh})`` gives ``int(rw * W)`` x ``int(rh * H)`` (the C reads
    the size as an integer; a given owidth/oheight wins over the ratio). Output pixel ``(y, x)`` is the
    bilinear mix of the four input pixels around ``(y * (H - 1) / (oheight - 1), x * (W - 1) / (owidth -
    1))``, with nnx's C arithmetic: positions and the four weights in single precision, the sum in the
    tensor's type, neighbours past the last row or column clamped onto it. gradInput spreads each gradOutput
    pixel back with the same weights, the output size read from gradOutput as the C does. The Lua file keeps the size computed from the ratios on its first call;
    legonn computes it from each input. An output side of 1 (where the C divides by zero) is refused."""

    input_ranks = (3, 4)
    input_dtypes = 'floating'

    def __init__(self, rwidth=None, rheight=None, owidth=None, oheight=None):
        super().__init__()
        if isinstance(rwidth, dict):   # the Lua call with a table, SpatialReSampling{owidth=..., oheight=...}
            rwidth, rheight, owidth, oheight = table_arguments(
                'SpatialReSampling', rwidth, ('rwidth', 'rheight', 'owidth', 'oheight'), (None,) * 4)
        self.rwidth, self.rheight, self.owidth, self.oheight = rwidth, rheight, owidth, oheight
        for side, fixed, ratio in (('width', owidth, rwidth), ('height', oheight, rheight)):
            if fixed is not None:
                check_hyper('SpatialReSampling', positive={'o' + side: fixed})
                if fixed < 2:
                    raise ValueError(f"SpatialReSampling: o{side} must be at least 2 (nnx divides by o{side} - 1), "
                                     f"got {fixed!r}")
            elif isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio > 0:
                raise ValueError(f"SpatialReSampling: give o{side} or a positive ratio r{side}, got "
                                 f"o{side}={fixed!r}, r{side}={ratio!r}")

    def _size(self, input):
        """(oheight, owidth) for this input."""
        h, w = input.size(-2), input.size(-1)
        oh = self.oheight if self.oheight is not None else int(self.rheight * h)
        ow = self.owidth if self.owidth is not None else int(self.rwidth * w)
        if oh < 2 or ow < 2:
            raise input_error(self, "an output of at least 2x2 from the ratios (nnx divides by its size - 1)",
                              f"{oh}x{ow} from a {h}x{w} input")
        return oh, ow

    def updateOutput(self, input):
        self.checkInput(input)
        oh, ow = self._size(input)
        out = self.bufferLike('output', input, tuple(input.size())[:-2] + (oh, ow))
        out[...] = resample_bilinear(input.xp, input.array, oh, ow)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        # nnx's C takes the output size from gradOutput, not from owidth/oheight nor the last forward: dpnn's
        # test.lua hands a resampler built for 8x8 the 4x4 gradient of a glimpse to spread over an 8x8 input
        size = tuple(gradOutput.size()) if hasattr(gradOutput, 'size') else None
        if size is None or len(size) != input.dim() or size[:-2] != tuple(input.size())[:-2] or min(size[-2:]) < 2:
            raise input_error(self, f"a gradOutput of size {tuple(input.size())[:-2]} x oheight x owidth, each "
                              "side at least 2 (nnx divides by its size - 1)",
                              size if size is not None else type(gradOutput).__name__)
        self.checkSameType(gradOutput, input, 'gradOutput')
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        resample_bilinear_grad(input.xp, gradOutput.array, gi)
        return self.gradInput

    def __repr__(self):
        if self.owidth is not None and self.oheight is not None:
            return f"{lua_typename(self)}({self.oheight}x{self.owidth})"
        return (f"{lua_typename(self)}(owidth={self.owidth}, oheight={self.oheight}, rwidth={self.rwidth}, "
                f"rheight={self.rheight})")
