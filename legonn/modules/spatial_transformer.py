"""qassemoquab/stnbhwd's spatial transformer modules (Jaderberg et al., 2015), images in BHWD layout
(batch, height, width, depth = channels):

- AffineTransformMatrixGenerator (AffineTransformMatrixGenerator.lua): rotation/scale/translation
  parameters -> (B, 2, 3) affine matrices;
- AffineGridGeneratorBHWD (AffineGridGeneratorBHWD.lua): (B, 2, 3) matrices -> (B, H, W, 2) sampling grids
  in normalised coordinates (y first, then x, -1..1 spanning the input image);
- BilinearSamplerBHWD (BilinearSamplerBHWD.lua, generic/BilinearSamplerBHWD.c): {images, grids} -> images
  sampled bilinearly at the grid points, corners outside the image reading as zero.

Each also takes one unbatched sample (the batch dimension left out), as the Lua does.
"""
import functools

import numpy as np

from .base.errors import check_hyper, input_error
from .base.module import Module
from .base.table_buffers import slot, trim
from ..tensor.nn_table import nn_table
from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import reducer


@functools.lru_cache(maxsize=16)
def _base_grid(xp, height, width, dtype):
    """The (height * width, 3) rows (y, x, 1) of the normalised output grid: made once per sizes and type (the
    Lua's baseGrid, made in its constructor), shared by every call: never write into it."""
    ys = xp.linspace(-1, 1, height).astype(dtype)
    xs = xp.linspace(-1, 1, width).astype(dtype)
    grid = xp.ones((height, width, 3), dtype=dtype)
    grid[:, :, 0] = ys[:, None]
    grid[:, :, 1] = xs[None, :]
    grid = grid.reshape(-1, 3)
    if xp is np:
        grid.flags.writeable = False
    return grid


class AffineGridGeneratorBHWD(Module):
    """Sampling grid of an affine transform: ``output[b, i, j] = theta[b] @ (y_i, x_j, 1)`` with
    ``y_i = -1 + 2 i / (height - 1)``, ``x_j = -1 + 2 j / (width - 1)``.

    ``AffineGridGeneratorBHWD(height, width)``, both > 1. Input ``(B, 2, 3)`` (or ``(2, 3)``), output ``(B,
    height, width, 2)`` (or ``(height, width, 2)``), each point (y, x).
    """

    def __init__(self, height, width):
        super().__init__()
        check_hyper('AffineGridGeneratorBHWD', positive=dict(height=height, width=width))
        if height < 2 or width < 2:
            raise ValueError(f"AffineGridGeneratorBHWD: height and width must be > 1, got {height}x{width}")
        self.height, self.width = height, width

    def _theta(self, input):
        self.checkTensor(input, (2, 3), floating=True)
        if tuple(input.size())[-2:] != (2, 3):
            raise input_error(self, "affine transform matrices (B, 2, 3) or (2, 3)", tuple(input.size()))
        return input.array.reshape(-1, 2, 3)

    def _base(self, like):
        return _base_grid(like.xp, self.height, self.width, like.array.dtype)

    def updateOutput(self, input):
        theta = self._theta(input)
        lead = tuple(input.size())[:-2]
        out = self.bufferLike('output', input, lead + (self.height, self.width, 2))
        out.reshape(-1, self.height * self.width, 2)[...] = self._base(input) @ theta.transpose(0, 2, 1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        theta = self._theta(input)
        self.checkSize(gradOutput, tuple(input.size())[:-2] + (self.height, self.width, 2))
        self.checkSameType(gradOutput, input, 'gradOutput')
        g = gradOutput.array.reshape(-1, self.height * self.width, 2)
        gi = self.bufferLike('gradInput', input)
        gi.reshape(theta.shape)[...] = g.transpose(0, 2, 1) @ self._base(input)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.height}, {self.width})"


def _corners(xp, img, grid):
    """The four neighbours of each grid point of ``grid`` (B, h, w, 2) in ``img`` (B, H, W, D), top-left,
    top-right, bottom-left, bottom-right: a list of (weight, inside mask, y index, x index), each (B, h, w); and
    the top-left weights (wy, wx)."""
    H, W = img.shape[1], img.shape[2]
    # coordinates beyond the image by more than a pixel are clipped: all four neighbours stay outside and
    # the integer conversion cannot overflow; NaN reads as outside too
    ycoord = xp.nan_to_num((grid[..., 0] + 1) * (H - 1) / 2, nan=-2.0).clip(-2, H + 1)
    xcoord = xp.nan_to_num((grid[..., 1] + 1) * (W - 1) / 2, nan=-2.0).clip(-2, W + 1)
    y0, x0 = xp.floor(ycoord), xp.floor(xcoord)
    wy, wx = 1 - (ycoord - y0), 1 - (xcoord - x0)
    y0, x0 = y0.astype(xp.int64), x0.astype(xp.int64)
    corners = []
    for dy, fy in ((0, wy), (1, 1 - wy)):
        for dx, fx in ((0, wx), (1, 1 - wx)):
            yi, xi = y0 + dy, x0 + dx
            inside = (yi >= 0) & (yi <= H - 1) & (xi >= 0) & (xi <= W - 1)
            corners.append((fy * fx, inside, yi.clip(0, H - 1), xi.clip(0, W - 1)))
    return corners, wy, wx


def _sample(xp, img, grid, out):
    """out (B, h, w, D) = ``img`` (B, H, W, D) sampled bilinearly at ``grid`` (B, h, w, 2)."""
    corners, _, _ = _corners(xp, img, grid)
    batch = xp.arange(img.shape[0]).reshape(-1, 1, 1)
    # an outside neighbour reads 0, as the C's 'if (topLeftIsIn) inTopLeft = ...': a select, so an inf or NaN
    # border pixel (the clipped index) does not become NaN through 0 * pixel
    out[...] = sum(w[..., None] * xp.where(inside[..., None], img[batch, yi, xi], 0) for w, inside, yi, xi in corners)


def _sample_backward(xp, img, grid, g, gimg, ggrid):
    """Adds the gradient of the sampling with respect to ``img`` into ``gimg`` (B, H, W, D), written through
    with repeated positions accumulating, so a batch of views of one image (stride 0 along B) sums the batch as
    the C's atomic adds do; sets ``ggrid`` (B, h, w, 2), zero where the output does not depend on the point."""
    corners, wy, wx = _corners(xp, img, grid)
    batch = xp.broadcast_to(xp.arange(img.shape[0]).reshape(-1, 1, 1), grid.shape[:-1])
    dots = []
    for w, inside, yi, xi in corners:
        # <image pixel, gradOutput> for the gradient of the weights; the C skips outside pixels (selects here:
        # an inf or NaN gradOutput or border pixel must not reach the clipped position as 0 * inf)
        dots.append(xp.where(inside, reducer(xp, 'sum')(img[batch, yi, xi] * g, axis=-1), 0))
        scatter_add(gimg, (batch.ravel(), yi.ravel(), xi.ravel()),
                    xp.where(inside[..., None], w[..., None] * g, 0).reshape(-1, g.shape[-1]))
    tl, tr, bl, br = dots
    ggrid[..., 0] = (-wx * tl + wx * bl - (1 - wx) * tr + (1 - wx) * br) * (img.shape[1] - 1) / 2
    ggrid[..., 1] = (-wy * tl + wy * tr - (1 - wy) * bl + (1 - wy) * br) * (img.shape[2] - 1) / 2


class BilinearSamplerBHWD(Module):
    """Bilinear sampling of ``images`` (B, H, W, D) at ``grids`` (B, h, w, 2) of normalised (y, x) points.

    Input ``{images, grids}`` (or one sample, ``{(H, W, D), (h, w, 2)}``), output ``(B, h, w, D)``. Point
    (y, x) reads pixel coordinates ``(y + 1) (H - 1) / 2``, ``(x + 1) (W - 1) / 2``; each of the four
    neighbouring pixels outside the image contributes zero, so points far outside give zeros and zero
    gradients. gradInput is ``{gradImages, gradGrids}``; gradGrids is the derivative of the bilinear weights
    (zero where the output does not depend on the point, as the C).
    """

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def _parts(self, input):
        self.checkTable(input, length=2)
        images = self.checkTensor(input[0], (3, 4), 'input[0] (images)', floating=True)
        grids = self.checkTensor(input[1], (images.dim(),), 'input[1] (grids)', floating=True)
        self.checkSameType(grids, images, 'input[1] (grids)', "input[0]'s")
        if grids.size(-1) != 2 or (images.dim() == 4 and grids.size(0) != images.size(0)):
            raise input_error(self, f"grids of size ({'B, ' if images.dim() == 4 else ''}h, w, 2) for images of "
                              f"size {tuple(images.size())}", tuple(grids.size()))
        return images.array.reshape((-1,) + images.array.shape[-3:]), grids.array.reshape(
            (-1,) + grids.array.shape[-3:])

    def updateOutput(self, input):
        img, grid = self._parts(input)
        out = self.bufferLike('output', input[0], tuple(input[1].size())[:-1] + (input[0].size(-1),))
        _sample(input[0].xp, img, grid, out.reshape((-1,) + out.shape[-3:]))
        return self.output

    def updateGradInput(self, input, gradOutput):
        img, grid = self._parts(input)
        self.checkSize(gradOutput, tuple(input[1].size())[:-1] + (input[0].size(-1),))
        self.checkSameType(gradOutput, input[0], 'gradOutput')
        g = gradOutput.array.reshape((-1,) + gradOutput.array.shape[-3:])
        trim(self, 'gradInput', 2)
        gimg = slot(self, 'gradInput', 0, input[0]).array
        ggrid = slot(self, 'gradInput', 1, input[1]).array
        gimg[...] = 0
        _sample_backward(input[0].xp, img, grid, g, gimg.reshape(img.shape), ggrid.reshape(grid.shape))
        return self.gradInput


def _c_arrays(name, images, grids, **outs):
    """The arrays of a C function's tensors, checked as stnbhwd's C checks them: 4-D images (B, H, W, D) and
    grids (B, h, w, 2), and each result tensor of the size the caller must have given it."""
    if images.dim() != 4 or grids.dim() != 4 or grids.size(3) != 2 or grids.size(0) != images.size(0):
        raise ValueError(f"tensor.nn.{name}: expected images (B, H, W, D) and grids (B, h, w, 2), got sizes "
                         f"{tuple(images.size())} and {tuple(grids.size())}")
    B, h, w = grids.size(0), grids.size(1), grids.size(2)
    wanted = {'output': (B, h, w, images.size(3)), 'gradOutput': (B, h, w, images.size(3)),
              'gradInputImages': tuple(images.size()), 'gradGrids': tuple(grids.size())}
    for what, t in outs.items():
        if tuple(t.size()) != wanted[what] or t.type() != images.type():
            raise ValueError(f"tensor.nn.{name}: expected {what} a {images.type()} of size {wanted[what]}, got a "
                             f"{t.type()} of size {tuple(t.size())}")
    return images.array, grids.array, {what: t.array for what, t in outs.items()}


@nn_table.register
def BilinearSamplerBHWD_updateOutput(self, inputImages, grids, output):
    """stnbhwd's C forward: writes the samples into ``output``, which the caller has sized (B, h, w, D).
    ``inputImages`` may be a view with stride 0 along B (densecap's BatchBilinearSamplerBHWD)."""
    img, grid, outs = _c_arrays('BilinearSamplerBHWD_updateOutput', inputImages, grids, output=output)
    _sample(inputImages.xp, img, grid, outs['output'])


@nn_table.register
def BilinearSamplerBHWD_updateGradInput(self, inputImages, grids, gradInputImages, gradGrids, gradOutput):
    """stnbhwd's C backward: adds the image gradient into ``gradInputImages`` (the caller zeroes it; a view with
    stride 0 along B sums over the batch, as the CUDA kernel's atomic adds do) and sets ``gradGrids``."""
    img, grid, outs = _c_arrays('BilinearSamplerBHWD_updateGradInput', inputImages, grids,
                                gradInputImages=gradInputImages, gradGrids=gradGrids, gradOutput=gradOutput)
    _sample_backward(inputImages.xp, img, grid, outs['gradOutput'], outs['gradInputImages'], outs['gradGrids'])


class AffineTransformMatrixGenerator(Module):
    """(B, 2, 3) affine matrices from transform parameters, for AffineGridGeneratorBHWD.

    ``AffineTransformMatrixGenerator(useRotation=False, useScale=False, useTranslation=False)``. With none
    set, the input (B, 6) is the matrix itself (read row by row). Otherwise each input row holds, in this
    order, the angle ``a`` (useRotation), the scale ``s`` (useScale) and ``tx, ty`` (useTranslation), and the
    output is the top two rows of ``R(a) S(s) T(tx, ty)`` with ``R = [[cos a, -sin a, 0], [sin a, cos a, 0],
    [0, 0, 1]]``, ``S = diag(s, s, 1)``, ``T = [[1, 0, tx], [0, 1, ty], [0, 0, 1]]`` (the unused factors
    left out). A 1-D input is one sample, giving (2, 3).
    """

    def __init__(self, useRotation=False, useScale=False, useTranslation=False):
        super().__init__()
        self.fullMode = not (useRotation or useScale or useTranslation)
        self.useRotation, self.useScale, self.useTranslation = bool(useRotation), bool(useScale), \
            bool(useTranslation)

    def _params(self, input):
        self.checkTensor(input, (1, 2), floating=True)
        n = 6 if self.fullMode else self.useRotation + self.useScale + 2 * self.useTranslation
        if input.size(-1) != n:
            raise input_error(self, f"{n} transform parameters per sample", f"{input.size(-1)} (input of size "
                              f"{tuple(input.size())})")
        return input.array.reshape(-1, n)

    def _factors(self, xp, p):
        """The 3x3 matrices (B, 3, 3) multiplied left to right, each with the parameter columns it uses."""
        batch, dtype = p.shape[0], p.dtype
        factors, col = [], 0

        def eye():
            return xp.broadcast_to(xp.eye(3, dtype=dtype), (batch, 3, 3)).copy()
        if self.useRotation:
            m, a = eye(), p[:, col]
            m[:, 0, 0] = m[:, 1, 1] = xp.cos(a)
            m[:, 0, 1], m[:, 1, 0] = -xp.sin(a), xp.sin(a)
            factors.append(('rotation', col, m))
            col += 1
        if self.useScale:
            m = eye()
            m[:, 0, 0] = m[:, 1, 1] = p[:, col]
            factors.append(('scale', col, m))
            col += 1
        if self.useTranslation:
            m = eye()
            m[:, 0, 2], m[:, 1, 2] = p[:, col], p[:, col + 1]
            factors.append(('translation', col, m))
        return factors

    def updateOutput(self, input):
        p = self._params(input)
        out = self.bufferLike('output', input, tuple(input.size())[:-1] + (2, 3))
        if self.fullMode:
            out.reshape(-1, 2, 3)[...] = p.reshape(-1, 2, 3)
            return self.output
        xp = input.xp
        total = xp.broadcast_to(xp.eye(3, dtype=p.dtype), (p.shape[0], 3, 3))
        for _, _, m in self._factors(xp, p):
            total = total @ m
        out.reshape(-1, 2, 3)[...] = total[:, :2]
        return self.output

    def updateGradInput(self, input, gradOutput):
        p = self._params(input)
        self.checkSize(gradOutput, tuple(input.size())[:-1] + (2, 3))
        self.checkSameType(gradOutput, input, 'gradOutput')
        gi = self.bufferLike('gradInput', input).reshape(p.shape)
        if self.fullMode:
            gi[...] = gradOutput.array.reshape(p.shape)
            return self.gradInput
        xp = input.xp
        factors = self._factors(xp, p)
        g = xp.zeros((p.shape[0], 3, 3), dtype=p.dtype)
        g[:, :2] = gradOutput.array.reshape(-1, 2, 3)
        eye = xp.broadcast_to(xp.eye(3, dtype=p.dtype), g.shape)
        for k, (kind, col, m) in enumerate(factors):
            # d loss / d factor k = (product before k)^T g (product after k)^T
            before, after = eye, eye
            for _, _, f in factors[:k]:
                before = before @ f
            for _, _, f in factors[k + 1:]:
                after = after @ f
            gm = before.transpose(0, 2, 1) @ g @ after.transpose(0, 2, 1)
            if kind == 'rotation':
                a = p[:, col]
                s, c = xp.sin(a), xp.cos(a)
                gi[:, col] = -s * (gm[:, 0, 0] + gm[:, 1, 1]) + c * (gm[:, 1, 0] - gm[:, 0, 1])
            elif kind == 'scale':
                gi[:, col] = gm[:, 0, 0] + gm[:, 1, 1]
            else:
                gi[:, col], gi[:, col + 1] = gm[:, 0, 2], gm[:, 1, 2]
        return self.gradInput

    def __repr__(self):
        return (f"{lua_typename(self)}({self.useRotation}, {self.useScale}, "
                f"{self.useTranslation})")
