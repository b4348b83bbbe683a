"""SpatialReSampling: nnx's bilinear resampling of image planes to a given size (nnx's SpatialReSampling.lua and
generic/SpatialReSampling.c)."""
import numpy as np

from ..tensor.scatter_kernels import scatter_add
from .base.errors import check_hyper, input_error
from .base.module import Module


def _axis(xp, n_in, n_out):
    """Along one axis, as nnx's C computes it in single precision: (low neighbour, clamped high neighbour,
    weight of the high one ``pos - low``, weight of the low one ``low + 1 - pos``), each of length ``n_out``;
    ``pos = ((n_in - 1) / (n_out - 1)) * i`` puts the first and last output pixels on the input's corners."""
    ratio = np.float32(n_in - 1) / np.float32(n_out - 1)
    pos = xp.arange(n_out, dtype=xp.float32) * ratio
    low = xp.floor(pos)
    index = low.astype(xp.int64)
    return index, xp.minimum(index + 1, n_in - 1), pos - low, (low + 1) - pos


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
    pixel back with the same weights. The Lua file keeps the size computed from the ratios on its first call;
    legonn computes it from each input. An output side of 1 (where the C divides by zero) is refused."""

    input_ranks = (3, 4)
    input_dtypes = 'floating'

    def __init__(self, rwidth=None, rheight=None, owidth=None, oheight=None):
        super().__init__()
        if isinstance(rwidth, dict):   # the Lua call with a table, SpatialReSampling{owidth=..., oheight=...}
            params = rwidth
            unknown = set(params) - {'rwidth', 'rheight', 'owidth', 'oheight'}
            if unknown:
                raise ValueError(f"SpatialReSampling: unknown argument {sorted(unknown)[0]!r} (expected rwidth, "
                                 f"rheight, owidth, oheight)")
            rwidth, rheight = params.get('rwidth'), params.get('rheight')
            owidth, oheight = params.get('owidth'), params.get('oheight')
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

    def _neighbours(self, input, oh, ow):
        """The four (row, column) index pairs, flat into an H*W plane, each (oh, ow), in the C's order nw, ne,
        sw, se, with their weights, in the input's type."""
        xp, h, w = input.xp, input.size(-2), input.size(-1)
        y0, y1, fy, gy = _axis(xp, h, oh)
        x0, x1, fx, gx = _axis(xp, w, ow)
        rows = (y0, y0, y1, y1)
        cols = (x0, x1, x0, x1)
        # the C's surfaces: nw = (ix_se-ix)*(iy_se-iy), ne = (ix-ix_sw)*(iy_sw-iy), sw = (ix_ne-ix)*(iy-iy_ne),
        # se = (ix-ix_nw)*(iy-iy_nw), products taken in single precision before meeting the input
        weights = (gx[None, :] * gy[:, None], fx[None, :] * gy[:, None],
                   gx[None, :] * fy[:, None], fx[None, :] * fy[:, None])
        dtype = input.array.dtype
        return ([r[:, None] * w + c[None, :] for r, c in zip(rows, cols)], [v.astype(dtype) for v in weights])

    def updateOutput(self, input):
        self.checkInput(input)
        oh, ow = self._size(input)
        flat, weights = self._neighbours(input, oh, ow)
        lead = tuple(input.size())[:-2]
        x = input.array.reshape(lead + (-1,))
        out = self.bufferLike('output', input, lead + (oh, ow))
        total = x[..., flat[0]] * weights[0]
        for index, weight in zip(flat[1:], weights[1:]):
            total += x[..., index] * weight   # summed in the C's order nw + ne + sw + se
        out[...] = total
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, self.output)
        oh, ow = self._size(input)
        if tuple(gradOutput.size())[-2:] != (oh, ow):
            raise input_error(self, f"a gradOutput of {oh}x{ow} pixels", f"size {tuple(gradOutput.size())}")
        flat, weights = self._neighbours(input, oh, ow)
        xp = input.xp
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        planes = gi.reshape(-1, input.size(-2) * input.size(-1))
        go = gradOutput.array.reshape(-1, oh * ow)
        # per output pixel its four contributions, pixel after pixel, as the C accumulates them
        index = xp.stack([f.reshape(-1) for f in flat], axis=1).reshape(-1)
        values = xp.stack([go * v.reshape(-1) for v in weights], axis=2).reshape(go.shape[0], -1)
        scatter_add(planes.T, index, values.T)
        return self.gradInput

    def __repr__(self):
        if self.owidth is not None and self.oheight is not None:
            return f"nn.SpatialReSampling({self.oheight}x{self.owidth})"
        return (f"nn.SpatialReSampling(owidth={self.owidth}, oheight={self.oheight}, rwidth={self.rwidth}, "
                f"rheight={self.rheight})")
