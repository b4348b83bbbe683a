"""inn's poolings: SpatialMaxPooling and SpatialAveragePooling (nn's, always rounding output sizes up, inn's
SpatialMaxPooling.lua / SpatialAveragePooling.lua), SpatialStochasticPooling (Zeiler and Fergus, 2013;
inn's SpatialStochasticPooling.cu) and SpatialPyramidPooling (He et al., 2014; SpatialPyramidPooling.lua)."""
import numpy as np

from .. import nn
from ..modules.base.errors import input_error
from ..modules.base.batching import batched
from ..tensor.bin_kernels import bin_positions, gather_bins, scatter_bins
from .base import InnClass


class _AlwaysCeil:
    """inn's obsolete poolings: ceil() at construction, and again at every updateOutput (so floor() does not
    stick)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.ceil()

    def updateOutput(self, input):
        self.ceil_mode = True
        return super().updateOutput(input)


class SpatialMaxPooling(InnClass, _AlwaysCeil, nn.SpatialMaxPooling):
    """``SpatialMaxPooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0)``: nn's with ceil() output sizes, always."""


class SpatialAveragePooling(InnClass, _AlwaysCeil, nn.SpatialAveragePooling):
    """``SpatialAveragePooling(kW, kH, dW=1, dH=1, padW=0, padH=0)``: nn's (its defaults, averages counting the
    padding) with ceil() output sizes, always."""


_FLT_MIN = float(np.finfo(np.float32).tiny)


class SpatialStochasticPooling(InnClass, nn.SpatialMaxPooling):
    """Stochastic pooling over ``kW x kH`` windows with steps ``dW, dH`` (no padding): input ``(C, H, W)`` or
    ``(N, C, H, W)``, output ``ceil((H - kH) / dH) + 1`` by ``ceil((W - kW) / dW) + 1`` per plane, windows
    clipped at the border.

    ``SpatialStochasticPooling(kW, kH, dW=kW, dH=kH)`` (a subclass of nn.SpatialMaxPooling, as inn's). The
    activations are meant non-negative (after a ReLU). In training each output is one activation of its
    window drawn with probability proportional to its value, as the .cu: a uniform ``u`` per output (legonn's
    RNG on the CPU, CuPy's on the GPU; ``lg.manualSeed`` makes it repeatable), then the first activation in
    row-major order whose running sum reaches ``u * sum``; gradInput sends each gradOutput to the drawn
    activation. In evaluation the output is the probability-weighted average ``sum(a^2) / (FLT_MIN +
    sum(a))``. A window where nothing reaches the threshold (negative sums; or an empty window past the
    border) gives 0 and no gradient (the .cu leaves such an output unwritten).

    ``indices`` holds the drawn position ``y * W + x`` in its plane (0-based; inn's counts from the start of
    the whole input). backward is defined in training only (in evaluation inn's reads the draws as indices).
    Inn's constructor moves the module to the GPU (it has no CPU code); legonn's runs on either.
    """

    def __init__(self, kW, kH, dW=None, dH=None):
        super().__init__(kW, kH, kW if dW is None else dW, kH if dH is None else dH)
        self.train = True

    def _grid(self, input):
        """The input as (N, C, H, W), the output's (height, width), and the windows' row and column bounds."""
        x, _ = batched(self, input, (3, 4))
        h, w = x.shape[2:]
        if h < self.kH or w < self.kW:
            raise input_error(self, f"an input of at least {self.kH}x{self.kW} (kH x kW)",
                              f"{h}x{w} (input of size {tuple(input.size())})")
        oh = -(-(h - self.kH) // self.dH) + 1
        ow = -(-(w - self.kW) // self.dW) + 1
        starts_h, starts_w = np.arange(oh) * self.dH, np.arange(ow) * self.dW
        rows = (starts_h, np.minimum(starts_h + self.kH, h))
        cols = (starts_w, np.minimum(starts_w + self.kW, w))
        return x, (oh, ow), rows, cols

    def updateOutput(self, input):
        x, (oh, ow), rows, cols = self._grid(input)
        xp = input.xp
        positions, valid = (xp.asarray(a) for a in bin_positions(rows, cols, *x.shape[2:]))
        windows = xp.where(valid, gather_bins(xp, x, positions), 0)
        out = self.bufferLike('output', input, tuple(input.size())[:-2] + (oh, ow)).reshape(x.shape[:2] + (oh, ow))
        if not self.train:
            out[...] = (windows * windows).sum(-1) / (windows.sum(-1) + _FLT_MIN)
            return self.output
        draws = self.bufferLike('_draws', input, out.shape)
        self._draws.uniform(0, 1)
        running = xp.cumsum(windows, axis=-1)
        reached = (running >= (draws * running[..., -1])[..., None]) & valid
        first = reached.argmax(axis=-1)
        found = reached.any(-1)
        out[...] = xp.where(found, xp.take_along_axis(windows, first[..., None], -1)[..., 0], 0)
        idx = self.bufferLike('_drawn', input, out.shape, kind='Long')
        idx[...] = xp.where(found, positions.reshape(oh * ow, -1)[xp.arange(oh * ow).reshape(oh, ow), first], -1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkTraining()
        x, (oh, ow), _, _ = self._grid(input)
        sizes = tuple(input.size())[:-2] + (oh, ow)
        self.checkSize(gradOutput, sizes)
        self.checkSameType(gradOutput, input, 'gradOutput')
        drawn = self.__dict__.get('_drawn')
        if drawn is None or drawn._size != x.shape[:2] + (oh, ow):
            raise input_error(self, f"draws of size {sizes} from a training forward of this input",
                              "none" if drawn is None else f"{tuple(drawn.size())}")
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        scatter_bins(input.xp, gi.reshape(x.shape), drawn.array,
                     gradOutput.array.reshape(x.shape[:2] + (oh, ow)))
        return self.gradInput

    @property
    def indices(self):
        """LongTensor of the drawn positions, ``(N, C, oH, oW)`` (a 3-D input's too), -1 where none."""
        return self.__dict__.get('_drawn')

    def clearState(self):
        super().clearState()
        return self.clearBuffers('_draws', '_drawn')

    def __repr__(self):
        return f"inn.SpatialStochasticPooling({self.kW}x{self.kH}, {self.dW},{self.dH})"


class SpatialPyramidPooling(InnClass, nn.Concat):
    """Adaptive max pooling to each grid of a pyramid, flattened and concatenated: input ``(C, H, W)`` gives
    ``C * sum(w_i * h_i)`` values, ``(N, C, H, W)`` gives ``(N, C * sum(w_i * h_i))``, whatever H and W.

    ``SpatialPyramidPooling({4, 4}, {3, 3})`` as ``SpatialPyramidPooling([4, 4], [3, 3])`` or
    ``SpatialPyramidPooling([[4, 4], [3, 3]])``, each entry ``(w, h)``. An nn.Concat of one
    ``Sequential(SpatialAdaptiveMaxPooling(w, h), View(-1):setNumInputDims(3), Contiguous())`` per level, as
    inn's; ``pyr`` keeps the levels.
    """

    def __init__(self, *pyr):
        super().__init__(0)
        levels = pyr[0] if len(pyr) == 1 and pyr[0] and isinstance(pyr[0][0], (list, tuple)) else pyr
        if not levels or not all(isinstance(v, (list, tuple)) and len(v) == 2 for v in levels):
            raise ValueError(f"SpatialPyramidPooling: expected levels (w, h) such as ([4, 4], [3, 3]), got {pyr!r}")
        self.pyr = [list(v) for v in levels]
        for w, h in self.pyr:
            super().add(nn.Sequential().add(nn.SpatialAdaptiveMaxPooling(w, h))
                        .add(nn.View(-1).setNumInputDims(3)).add(nn.Contiguous()))

    def updateOutput(self, input):
        self.checkTensor(input, (3, 4))
        self.dimension = input.dim() - 3    # inn's 1-based input:dim() - 2
        return super().updateOutput(input)

    def __repr__(self):
        return f"inn.SpatialPyramidPooling({self.pyr})"
