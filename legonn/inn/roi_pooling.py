"""ROIPooling: Fast R-CNN's max pooling of regions of interest to a fixed grid (Girshick, 2015; inn's
ROIPooling.lua and ROIPooling.cu, both its kernels)."""
import numpy as np

from .. import nn
from ..modules.base.errors import input_error
from ..tensor.backend import to_module
from ..tensor.bin_kernels import bin_max, scatter_bins
from .base import InnClass


_FLT_MAX = float(np.finfo(np.float32).max)


def _round(v):
    """C's round(): halves away from zero."""
    return np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))


def roi_bins(box, W, H, spatial_scale, v2, height, width):
    """(rows, cols) bounds of the ``H x W`` bins of one box ``(x1, y1, x2, y2)`` (0-based image coordinates,
    scaled by ``spatial_scale``) on a ``height x width`` map, in the .cu's single precision: the box corners
    rounded, its size at least 1; bins floor/ceil of ``i * size / H`` (v1) or rounded (v2, whose box end is one
    less), offset by the box start and clipped to the map."""
    f = np.float32
    scale = f(spatial_scale)
    start_w, start_h, end_w, end_h = (int(_round(f(c) * scale)) for c in box)
    if v2:
        end_w, end_h = end_w - 1, end_h - 1
    bounds = []
    for start, end, n, size in ((start_h, end_h, H, height), (start_w, end_w, W, width)):
        step = f(max(end - start + 1, 1)) / f(n)
        i = np.arange(n, dtype=np.float32)
        lo, hi = (_round(i * step), _round((i + 1) * step)) if v2 else (np.floor(i * step), np.ceil((i + 1) * step))
        bounds.append((np.clip(lo.astype(np.int64) + start, 0, size), np.clip(hi.astype(np.int64) + start, 0, size)))
    return bounds[0], bounds[1]


class ROIPooling(InnClass, nn.Module):
    """Max pooling of each region of interest to an ``H x W`` grid: input ``{data (N, C, height, width), rois
    (R, 5)}``, output ``(R, C, H, W)``.

    ``ROIPooling(W, H, spatial_scale=1)``, ``setSpatialScale(scale)``. Each row of ``rois`` is ``(image index,
    x1, y1, x2, y2)``, all **0-based** (inn's, as Fast R-CNN's Lua, are 1-based: subtract 1 from each of the
    five); the box is scaled by ``spatial_scale`` onto the feature map (1/16 for VGG16's conv5). ``v2``
    (True, inn's default) selects the .cu's ROIPoolForwardV2 bins (rounded edges, box end exclusive); False
    the original Fast R-CNN bins. An empty bin gives 0; as the .cu's ``>`` from ``-FLT_MAX``, a NaN is never
    the maximum, and a bin holding nothing above -FLT_MAX gives -FLT_MAX and no gradient. gradInput is
    ``{gradient w.r.t. data, zeros like rois}``; each gradOutput goes to its bin's (first, row-major) maximum.
    ``indices`` ``(R, C, H, W)`` holds that maximum's position ``y * width + x`` in its plane, -1 for an empty
    bin (or one without such a maximum).
    """

    input_kind = 'table'
    positive_ints = ('W', 'H')

    def __init__(self, W, H, spatial_scale=1):
        super().__init__()
        self.checkHyper(W=W, H=H)
        self.W, self.H = W, H
        self.setSpatialScale(spatial_scale)
        self.gradInput = []
        self.indices = self.output.new()
        self.v2 = True

    def setSpatialScale(self, scale):
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(f"{type(self).__name__}: spatial_scale must be a positive number, got {scale!r}")
        self.spatial_scale = scale
        return self

    def _check(self, input):
        self.checkTable(input, 2)
        data, rois = input
        self.checkTensor(data, (4,), 'input[0] (data)', floating=True)
        self.checkTensor(rois, (2,), 'input[1] (rois)', floating=True)
        if rois.size(1) != 5:
            raise input_error(self, "rois of size (R, 5): image index, x1, y1, x2, y2", tuple(rois.size()))
        if rois.is_cuda != data.is_cuda:
            raise input_error(self, "rois on the data's device", rois.type(), TypeError)
        boxes = to_module(rois.array, np).astype(np.float64)   # the box geometry is host work, one copy
        if not np.isfinite(boxes).all():
            raise input_error(self, "finite box coordinates in rois", "NaN or infinite values")
        images = boxes[:, 0]
        n = data.size(0)
        if not (np.all(images == np.floor(images)) and np.all((images >= 0) & (images < n))):
            raise input_error(self, f"image indices in 0..{n - 1} (0-based) in rois[:, 0]", images.tolist())
        return data, rois, boxes

    def _all_bins(self, data, boxes):
        height, width = data.size(2), data.size(3)
        return [(int(b[0]), roi_bins(b[1:], self.W, self.H, self.spatial_scale, self.v2, height, width))
                for b in boxes]

    def updateOutput(self, input):
        data, rois, boxes = self._check(input)
        xp = data.xp
        r, c = rois.size(0), data.size(1)
        out = self.bufferLike('output', data, (r, c, self.H, self.W))
        idx = self.bufferLike('indices', data, (r, c, self.H, self.W), kind='Long')
        x = data.array
        for i, (image, (rows, cols)) in enumerate(self._all_bins(data, boxes)):
            # the .cu's running max starts at -FLT_MAX: NaNs and values at or below it never win
            out[i], idx[i] = bin_max(xp, x[image], rows, cols, start=-_FLT_MAX)
        return self.output

    def updateGradInput(self, input, gradOutput):
        data, rois, boxes = self._check(input)
        sizes = (rois.size(0), data.size(1), self.H, self.W)
        self.checkSize(gradOutput, sizes)
        self.checkSameType(gradOutput, data, 'gradOutput')
        if self.indices._size != sizes:
            raise input_error(self, f"indices of size {sizes} from a forward of this input",
                              f"{tuple(self.indices.size())}")
        xp = data.xp
        gd = self.bufferLike('gradInput_boxes', data)
        gd[...] = 0
        idx, go = self.indices.array, gradOutput.array
        for i, image in enumerate(boxes[:, 0].astype(np.int64)):
            scatter_bins(xp, gd[image], idx[i], go[i])
        self.bufferLike('gradInput_rois', rois)[...] = 0
        self.gradInput = [self.gradInput_boxes, self.gradInput_rois]
        return self.gradInput

    def clearState(self):
        return super().clearState('gradInput_rois', 'gradInput_boxes', 'indices')

    def __repr__(self):
        return f"inn.ROIPooling({self.W}x{self.H}, spatial_scale={self.spatial_scale})"
