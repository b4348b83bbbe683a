"""nnx's distances between the feature vectors of pixels: SpatialMatching and SpatialRadialMatching (stereo
matching costs of two feature maps, generic/SpatialMatching.c and generic/SpatialRadialMatching.c) and
SpatialGraph (edge weights between 4-connected neighbours of one map, generic/SpatialGraph.c).

Each loops over the offsets (a few dozen) and computes every pixel of an offset at once."""
import math

from ..tensor import Tensor
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.lua_arguments import table_arguments
from .base.module import Module


class _PairOfMaps(Module, abstract=True):
    """A table ``{input1 (K, H1, W1), input2 (K, H2, W2)}`` in, a squared-distance volume out; gradInput is
    the table of both gradients."""

    input_kind = 'table'

    def _check_pair(self, input):
        self.checkTable(input, 2)
        for i, x in enumerate(input):
            self.checkTensor(x, (3,), f"input[{i}]", floating=True)
        if type(input[1]) is not type(input[0]):
            raise input_error(self, f"input[1] of type {input[0].type()} (like input[0])", input[1].type(), TypeError)
        if input[0].size(0) != input[1].size(0):
            raise input_error(self, f"input[1] with {input[0].size(0)} planes (like input[0])",
                              f"{input[1].size(0)} (size {tuple(input[1].size())})")
        k, h, w = input[0].size()
        need_h, need_w = self._needed(h, w)
        if input[1].size(1) < need_h or input[1].size(2) < need_w:
            raise input_error(self, f"input[1] of at least {need_h}x{need_w} pixels for a {h}x{w} input[0]",
                              f"{input[1].size(1)}x{input[1].size(2)}")
        return h, w

    def _pairs(self, h, w):
        """For each offset, (its output index, input1 rows, input1 cols, input2 rows, input2 cols) as slices."""
        raise NotImplementedError

    def updateOutput(self, input):
        h, w = self._check_pair(input)
        x1, x2 = input[0].array, input[1].array
        out = self.bufferLike('output', input[0], (h, w) + self._offset_shape())
        out[...] = self._fill
        for where, r1, c1, r2, c2 in self._pairs(h, w):
            diff = x1[:, r1, c1] - x2[:, r2, c2]
            out[(r1, c1) + where] = (diff * diff).sum(0)
        return self.output

    def updateGradInput(self, input, gradOutput):
        h, w = self._check_pair(input)
        self.checkSize(gradOutput, (h, w) + self._offset_shape())
        self.checkSameType(gradOutput, input[0], 'gradOutput')
        x1, x2, go = input[0].array, input[1].array, gradOutput.array
        g1 = self.bufferLike('gradInput1', input[0])
        g2 = self.bufferLike('gradInput2', input[1])
        g1[...] = 0
        g2[...] = 0
        for where, r1, c1, r2, c2 in self._pairs(h, w):
            partial = 2 * (x1[:, r1, c1] - x2[:, r2, c2]) * go[(r1, c1) + where]
            g1[:, r1, c1] += partial
            g2[:, r2, c2] -= partial
        self.gradInput = [self.gradInput1, self.gradInput2]
        return self.gradInput


class SpatialMatching(_PairOfMaps):
    """Squared distances between each pixel of ``input1`` and a ``maxh x maxw`` window of ``input2``: output
    ``(H1, W1, maxh, maxw)``.

    ``SpatialMatching(maxh=11, maxw=11, full_output=False)``. Without full_output, ``output[y, x, dy, dx] =
    sum_k (input1[k, y, x] - input2[k, y + dy, x + dx])^2`` and input2 must be at least ``(H1 + maxh - 1) x
    (W1 + maxw - 1)``. With it, the window is centred: ``input2[k, y + dy - a, x + dx - b]`` with ``a =
    ceil(maxh/2) - 1``, ``b = ceil(maxw/2) - 1``; offsets falling outside the ``H1 x W1`` image hold 1e30
    (no gradient), as the C, which reads input2 on input1's size only.
    """

    def __init__(self, maxh=11, maxw=11, full_output=False):
        super().__init__()
        check_hyper('SpatialMatching', positive=dict(maxh=maxh, maxw=maxw))
        self.maxh, self.maxw, self.full_output = maxh, maxw, bool(full_output)
        self.gradInput1 = self.output.new()
        self.gradInput2 = self.output.new()

    @property
    def _fill(self):
        return 1e30 if self.full_output else 0

    def _offset_shape(self):
        return (self.maxh, self.maxw)

    def _needed(self, h, w):
        return (h, w) if self.full_output else (h + self.maxh - 1, w + self.maxw - 1)

    def _pairs(self, h, w):
        half_h, half_w = math.ceil(self.maxh / 2) - 1, math.ceil(self.maxw / 2) - 1
        for dy in range(self.maxh):
            for dx in range(self.maxw):
                if not self.full_output:
                    yield (dy, dx), slice(0, h), slice(0, w), slice(dy, dy + h), slice(dx, dx + w)
                    continue
                sy, sx = dy - half_h, dx - half_w    # input2 pixel = input1 pixel + (sy, sx), inside h x w
                y0, y1, x0, x1 = max(0, -sy), min(h, h - sy), max(0, -sx), min(w, w - sx)
                if y0 < y1 and x0 < x1:
                    yield ((dy, dx), slice(y0, y1), slice(x0, x1), slice(y0 + sy, y1 + sy),
                           slice(x0 + sx, x1 + sx))

    def __repr__(self):
        return f"{lua_typename(self)}({self.maxh}x{self.maxw}{', full' if self.full_output else ''})"


class SpatialRadialMatching(_PairOfMaps):
    """Squared distances between each pixel of ``input1`` and the ``maxh`` pixels below it (same column) in
    ``input2``: output ``(H1, W1, maxh)``, ``output[y, x, d] = sum_k (input1[k, y, x] - input2[k, y + d,
    x])^2``; input2 must be at least ``(H1 + maxh - 1) x W1``.

    ``SpatialRadialMatching(maxh)``. (nnx's commented-out mask argument is not provided.)
    """

    _fill = 0

    def __init__(self, maxh):
        super().__init__()
        check_hyper('SpatialRadialMatching', positive=dict(maxh=maxh))
        self.maxh = maxh
        self.gradInput1 = self.output.new()
        self.gradInput2 = self.output.new()

    def _offset_shape(self):
        return (self.maxh,)

    def _needed(self, h, w):
        return h + self.maxh - 1, w

    def _pairs(self, h, w):
        for d in range(self.maxh):
            yield (d,), slice(0, h), slice(0, w), slice(d, d + h), slice(0, w)

    def __repr__(self):
        return f"{lua_typename(self)}({self.maxh})"


class SpatialGraph(Module):
    """Edge weights of the 4-connected pixel grid of a ``(K, H, W)`` feature map: output ``(2, H, W)``, plane 0
    the edge from each pixel to its right neighbour, plane 1 to the one below (the last column of plane 0
    and last row of plane 1 are 0).

    ``SpatialGraph(dist='euclid', normalize=True, connex=4)`` (or a table ``{'dist': 'cosine', 'normalize':
    False}``). 'euclid': the Euclidean distance of the two feature vectors, divided by sqrt(K) when
    normalize (inputs in [0, 1] then give weights in [0, 1]). 'cosine' (only with ``normalize=False``, as nnx):
    ``K - sum_k (a_k + 1e-12)(b_k + 1e-12)``; its gradient, as the C, leaves out the 1e-12. As the Lua,
    ``self.dist`` is then 0 (euclid) or 1 (cosine) and ``self.normalize`` 1 or 0.
    """

    input_ranks = (3,)

    def __init__(self, dist='euclid', normalize=True, connex=4):
        super().__init__()
        if isinstance(dist, dict):
            dist, normalize, connex = table_arguments('SpatialGraph', dist, ('dist', 'normalize', 'connex'),
                                                      ('euclid', True, 4))
        if connex != 4:
            raise ValueError(f"SpatialGraph: 4 is the only connexity supported, got connex={connex!r}")
        if dist not in ('euclid', 'cosine'):
            raise ValueError(f"SpatialGraph: dist must be 'euclid' or 'cosine', got {dist!r}")
        if dist == 'cosine' and normalize:
            raise ValueError("SpatialGraph: normalized cosine is not supported (nnx has no gradient for it); "
                             "give normalize=False")
        self.connex = connex
        self.dist = 0 if dist == 'euclid' else 1
        self.normalize = 1 if normalize else 0

    @staticmethod
    def _edges():
        """(output plane, first pixels, neighbour pixels) as slices of the (H, W) grid."""
        return ((0, (slice(None), slice(0, -1)), (slice(None), slice(1, None))),
                (1, (slice(0, -1), slice(None)), (slice(1, None), slice(None))))

    def updateOutput(self, input):
        self.checkInput(input)
        x = input.array
        out = self.bufferLike('output', input, (2,) + tuple(input.size())[1:])
        out[...] = 0
        k = x.shape[0]
        for plane, a, b in self._edges():
            xa, xb = x[(slice(None),) + a], x[(slice(None),) + b]
            if self.dist == 0:
                diff = xa - xb
                normer = 1 / math.sqrt(k) if self.normalize else 1
                out[(plane,) + a] = input.xp.sqrt((diff * diff).sum(0)) * normer
            else:
                out[(plane,) + a] = k - ((xa + 1e-12) * (xb + 1e-12)).sum(0)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkSize(gradOutput, (2,) + tuple(input.size())[1:])
        self.checkSameType(gradOutput, input, 'gradOutput')
        if not isinstance(self.output, Tensor) or self.output._size != gradOutput._size:
            raise input_error(self, "a forward of this input before updateGradInput", "no output")
        x, go, out = input.array, gradOutput.array, self.output.array
        xp = input.xp
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        k = x.shape[0]
        for plane, a, b in self._edges():
            xa, xb = x[(slice(None),) + a], x[(slice(None),) + b]
            g = go[(plane,) + a]
            if self.dist == 0:
                diff = xa - xb
                o = out[(plane,) + a]
                # the C divides only where the difference is non-zero: zero distances give zero gradient
                safe = xp.where(o == 0, 1, o)
                partial = xp.where(diff != 0, diff / safe, 0) * (g * (1 / k if self.normalize else 1))
                gi[(slice(None),) + a] += partial
                gi[(slice(None),) + b] -= partial
            else:
                gi[(slice(None),) + a] -= xb * g
                gi[(slice(None),) + b] -= xa * g
        return self.gradInput

    def __repr__(self):
        dist = 'euclid' if self.dist == 0 else 'cosine'
        return f"{lua_typename(self)}({dist}{', normalized' if self.normalize else ''})"
