"""SpatialPadding: nnx's constant-value padding (or cropping) of two chosen axes (nnx's SpatialPadding.lua)."""
from .base.errors import input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename


class SpatialPadding(Module):
    """Pads axis ``y_dim`` with ``pad_t`` rows before and ``pad_b`` after and axis ``x_dim`` with ``pad_l`` /
    ``pad_r`` columns, all filled with ``val``; a negative pad crops instead. Any rank; the other axes are kept.

    ``SpatialPadding(pad_l, pad_r=pad_l, pad_t=pad_l, pad_b=pad_l, y_dim=1, x_dim=2, val=0)``: the axes are
    0-based (nnx's defaults 2 and 3 are 1-based), so a ``(C, H, W)`` image pads H and W. gradInput is the
    gradOutput's part that came from the input (zero where the input was cropped away).
    """

    input_dtypes = 'any'  # moves values without arithmetic, so any element type (SpatialPadding.lua's copy)

    def __init__(self, pad_l, pad_r=None, pad_t=None, pad_b=None, y_dim=1, x_dim=2, val=0):
        super().__init__()
        pads = dict(pad_l=pad_l, pad_r=pad_l if pad_r is None else pad_r, pad_t=pad_l if pad_t is None else pad_t,
                    pad_b=pad_l if pad_b is None else pad_b)
        for name, v in list(pads.items()) + [('y_dim', y_dim), ('x_dim', x_dim)]:
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError(f"SpatialPadding: {name} must be an integer, got {v!r}")
        if y_dim < 0 or x_dim < 0 or y_dim == x_dim:
            raise ValueError(f"SpatialPadding: y_dim and x_dim must be two different non-negative axes, got "
                             f"y_dim={y_dim}, x_dim={x_dim}")
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise ValueError(f"SpatialPadding: val must be a number, got {val!r}")
        self.pad_l, self.pad_r, self.pad_t, self.pad_b = (pads[k] for k in ('pad_l', 'pad_r', 'pad_t', 'pad_b'))
        self.y_dim, self.x_dim, self.val = y_dim, x_dim, val

    def _windows(self, input):
        """(output sizes, the input's kept part, where it lands in the output), as index tuples."""
        self.checkTensor(input)
        sizes = list(input.size())
        if input.dim() <= max(self.y_dim, self.x_dim):
            raise input_error(self, f"an input with axes {self.y_dim} and {self.x_dim} (at least "
                              f"{max(self.y_dim, self.x_dim) + 1}-D)", f"{input.dim()}-D of size {tuple(sizes)}")
        src = [slice(None)] * len(sizes)
        dst = [slice(None)] * len(sizes)
        for axis, before, after in ((self.y_dim, self.pad_t, self.pad_b), (self.x_dim, self.pad_l, self.pad_r)):
            n = sizes[axis]
            size = n + before + after
            if size < 1 or min(n, n + before, n + after) < 1:
                raise input_error(self, f"an input large enough for pads ({before}, {after}) on axis {axis}",
                                  f"{n} along axis {axis} (input of size {tuple(input.size())})")
            src[axis] = slice(max(0, -before), n - max(0, -after))
            dst[axis] = slice(max(0, before), size - max(0, after))
            sizes[axis] = size
        return tuple(sizes), tuple(src), tuple(dst)

    def updateOutput(self, input):
        sizes, src, dst = self._windows(input)
        out = self.bufferLike('output', input, sizes)
        self.output.fill(self.val)   # SpatialPadding.lua's fill: a value out of an integer type's range wraps, as in TH
        out[dst] = input.array[src]
        return self.output

    def updateGradInput(self, input, gradOutput):
        sizes, src, dst = self._windows(input)
        self.checkSize(gradOutput, sizes)
        self.checkSameType(gradOutput, input, 'gradOutput')
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        gi[src] = gradOutput.array[dst]
        return self.gradInput

    def __repr__(self):
        return (f"{lua_typename(self)}(l={self.pad_l}, r={self.pad_r}, t={self.pad_t}, b={self.pad_b}"
                f"{f', val={self.val}' if self.val else ''})")
