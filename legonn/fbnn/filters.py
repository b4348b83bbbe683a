"""fbnn's fixed-filter layers: LaplacianOfGaussian (fbnn/LaplacianOfGaussian.lua) and DifferenceOfGaussian
(fbnn/DifferenceOfGaussian.lua)."""
import math
import numbers

import numpy as np

from ..modules.base.errors import check_hyper, input_error
from ..modules.base.module import Module
from ..tensor.window_kernels import scatter_windows, sliding_windows
from .base import FbnnClass


def log_filter(sigma, k=None):
    """The Lua's getFilter: a ``k x k`` image.gaussian (normalised, sigma 0.1 of its width; ``k`` defaults to
    ceil(10 sigma), made odd) differentiated twice along each axis by forward differences, the two second
    derivatives summed on their common ``(k - 2) x (k - 2)`` support."""
    from .. import image
    size = k if k is not None else math.ceil(sigma * 10)
    if size % 2 == 0:
        size += 1
    ker = image.gaussian({'normalize': True, 'width': size, 'height': size, 'sigma': .1}).array
    d_y, d_x = ker[:-1] - ker[1:], ker[:, :-1] - ker[:, 1:]
    d_yy, d_xx = d_y[:-1] - d_y[1:], d_x[:, :-1] - d_x[:, 1:]
    return d_yy[:, 1:1 + d_xx.shape[1]] + d_xx[1:1 + d_yy.shape[0]]


class LaplacianOfGaussian(FbnnClass, Module):
    """Each input plane filtered (correlation, stride 1) by the same Laplacian-of-Gaussian filter, with
    ``padding`` zeros around: input ``(C, H, W)`` or ``(N, C, H, W)``, output ``(..., C, H + 2 padding - kH + 1,
    W + 2 padding - kW + 1)`` (the input's size with the default padding).

    ``LaplacianOfGaussian(nInputPlane, sigma, k=None, padding=None)``: ``sigma`` in pixels only sets the default
    filter size (ceil(10 sigma), odd; see ``log_filter``), ``padding`` defaults to half the filter size.
    ``weight`` ``(nInputPlane, kH, kW)`` holds the filter and never learns (no gradWeight, updateParameters
    does nothing); the Lua's one-element zero ``bias`` is kept and adds nothing.
    """

    input_ranks = (3, 4)

    def __init__(self, nInputPlane, sigma, k=None, padding=None):
        super().__init__()
        check_hyper('fbnn.LaplacianOfGaussian', positive=dict(nInputPlane=nInputPlane))
        if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real) or not sigma > 0:
            raise ValueError(f"{self.lua_name}.LaplacianOfGaussian: sigma must be a positive number, got {sigma!r}")
        if k is not None:
            check_hyper('fbnn.LaplacianOfGaussian', positive=dict(k=k))
            if k < 3:
                raise ValueError(f"{self.lua_name}.LaplacianOfGaussian: the filter size k must be at least 3, got {k}")
        filt = log_filter(sigma, k)
        self.nInputPlane = self.nOutputPlane = nInputPlane
        self.weight = self.output.new(nInputPlane, *filt.shape)
        self.weight.array[...] = filt
        self.bias = self.output.new(1).zero()
        self.kH, self.kW = filt.shape
        self.padding = self.kH // 2 if padding is None else padding
        check_hyper('fbnn.LaplacianOfGaussian', nonnegative=dict(padding=self.padding))
        self.dW = self.dH = 1

    def parameters(self):
        # the Lua's nn.Module:parameters() gives {weight, bias} with no gradients; legonn's optimisers need
        # pairs, and the filter is fixed: nothing to learn
        return [], []

    def reset(self, stdv=None):
        return self

    def updateParameters(self, learningRate):
        pass

    def _planes(self, input):
        """The input as (N, C, H, W), and the output's height and width."""
        self.checkInput(input)
        self.checkSameType(input, self.weight)
        if input.size(-3) != self.nInputPlane:
            raise input_error(self, f"{self.nInputPlane} planes (dimension {input.dim() - 3})",
                              f"input of size {tuple(input.size())}")
        p = self.padding
        o_h, o_w = input.size(-2) + 2 * p - self.kH + 1, input.size(-1) + 2 * p - self.kW + 1
        if o_h < 1 or o_w < 1:
            raise input_error(self, f"an image of at least {self.kH - 2 * p}x{self.kW - 2 * p} (with padding {p})",
                              f"{input.size(-2)}x{input.size(-1)}")
        return input.array.reshape((-1,) + input.array.shape[-3:]), (o_h, o_w)

    def updateOutput(self, input):
        x, (o_h, o_w) = self._planes(input)
        p = self.padding
        win = sliding_windows(input.xp.pad(x, ((0, 0), (0, 0), (p, p), (p, p))), (2, 3), (self.kH, self.kW), (1, 1))
        out = self.bufferLike('output', input, tuple(input.size())[:-2] + (o_h, o_w))
        out.reshape((-1,) + out.shape[-3:])[...] = input.xp.einsum('ncyxab,cab->ncyx', win, self.weight.array)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, (o_h, o_w) = self._planes(input)
        self.checkSize(gradOutput, tuple(input.size())[:-2] + (o_h, o_w))
        self.checkSameType(gradOutput, input, 'gradOutput')
        g = gradOutput.array.reshape((-1,) + gradOutput.array.shape[-3:])
        (n, c, h, w), p = x.shape, self.padding
        gpad = input.xp.zeros((n, c, h + 2 * p, w + 2 * p), dtype=x.dtype)
        scatter_windows(gpad, input.xp.einsum('ncyx,cab->ncyxab', g, self.weight.array), (2, 3),
                        (self.kH, self.kW), (1, 1))
        gi = self.bufferLike('gradInput', input)
        gi.reshape(x.shape)[...] = gpad[:, :, p:p + h, p:p + w]
        return self.gradInput

    def __repr__(self):
        return f"{self.lua_name}.LaplacianOfGaussian({self.nInputPlane}, {self.kH}x{self.kW}, padding {self.padding})"


def dog_filter(sigma, size):
    """The Lua's getGaussianFilter: ``exp(-D / (2 sigma^2))`` normalised to sum 1, with D the squared distance
    of 1-based (i, j) to (floor(size/2), floor(size/2)), i.e. centred one pixel up and left of the middle for
    odd sizes, as the Lua."""
    c = size // 2
    idx = np.arange(1, size + 1) - c
    filt = np.exp(-(idx[:, None] ** 2 + idx[None, :] ** 2) / (2 * sigma * sigma))
    return filt / filt.sum()


class DifferenceOfGaussian(FbnnClass, Module):
    """A difference-of-Gaussian pyramid: a table of ``nOctaves`` tensors, octave m ``(..., nScalesPerOctave *
    C, H_m, W_m)`` with ``H_0 = H`` and each next octave sampled at the odd rows and columns (0-based) of the
    previous octave's sigma-2 blur.

    In each octave every plane is blurred (zero padding of half the filter size, the size kept) by Gaussians of
    sigma ``1, 2^(1/S), ..., 2^((S-1)/S)`` and 2 (``S = nScalesPerOctave``, filter size ceil(2 sigma_max * 2.5)
    made odd; see ``dog_filter``); plane ``c * S + n`` of the octave is blur n minus blur n + 1.

    ``DifferenceOfGaussian(nInputPlane, nOctaves=3, nScalesPerOctave=5)``; input ``(C, H, W)`` or ``(N, C, H,
    W)`` with H and W at least ``2^nOctaves`` (the Lua subsamples after every octave and fails below). The Lua
    defines no backward: updateGradInput raises.
    """

    input_ranks = (3, 4)

    def __init__(self, nInputPlane, nOctaves=3, nScalesPerOctave=5):
        super().__init__()
        check_hyper('fbnn.DifferenceOfGaussian', positive=dict(nInputPlane=nInputPlane, nOctaves=nOctaves,
                                                              nScalesPerOctave=nScalesPerOctave))
        self.nInputPlane, self.nOctaves, self.nScalesPerOctave = nInputPlane, nOctaves, nScalesPerOctave
        self.nOutputPlane = nOctaves
        self.dW = self.dH = 1
        sigmas = [2 ** (n / nScalesPerOctave) for n in range(nScalesPerOctave)] + [2.0]
        self.sigma = self.output.new(sigmas)
        size = math.ceil(max(sigmas) * 2.5)
        size += 1 - size % 2
        self.filter = self.output.new(len(sigmas), size, size)
        for n, s in enumerate(sigmas):
            self.filter.array[n] = dog_filter(s, size)
        self.kH = self.kW = size
        self.padH = self.padW = size // 2
        self.output = []

    def updateOutput(self, input):
        self.checkInput(input)
        if input.size(-3) != self.nInputPlane:
            raise input_error(self, f"{self.nInputPlane} planes (dimension {input.dim() - 3})",
                              f"input of size {tuple(input.size())}")
        least = 2 ** self.nOctaves
        if input.size(-2) < least or input.size(-1) < least:
            raise input_error(self, f"an image of at least {least}x{least} for {self.nOctaves} octaves",
                              f"{input.size(-2)}x{input.size(-1)}")
        xp, p = input.xp, self.padH
        filt = xp.asarray(self.filter.array).astype(input.array.dtype)
        x = input.array.reshape((-1,) + input.array.shape[-3:])
        outputs = []
        for _ in range(self.nOctaves):
            win = sliding_windows(xp.pad(x, ((0, 0), (0, 0), (p, p), (p, p))), (2, 3), (self.kH, self.kW), (1, 1))
            blurs = xp.einsum('ncyxab,sab->ncsyx', win, filt)
            dog = blurs[:, :, :-1] - blurs[:, :, 1:]
            out = input.new(*(tuple(input.size())[:-3] + (dog.shape[1] * dog.shape[2],) + dog.shape[-2:]))
            out.array.reshape(dog.shape[0], -1, *dog.shape[-2:])[...] = dog.reshape(dog.shape[0], -1,
                                                                                     *dog.shape[-2:])
            outputs.append(out)
            x = blurs[:, :, -1, 1::2, 1::2]
        self.output = outputs
        return self.output

    def updateGradInput(self, input, gradOutput):
        raise NotImplementedError(f"{self!r}: fbnn's DifferenceOfGaussian defines no backward pass")

    def __repr__(self):
        return f"{self.lua_name}.DifferenceOfGaussian({self.nInputPlane}, {self.nOctaves}, {self.nScalesPerOctave})"
