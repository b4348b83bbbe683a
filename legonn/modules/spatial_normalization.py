"""Local normalisation of image planes: SpatialCrossMapLRN, SpatialSubtractiveNormalization,
SpatialDivisiveNormalization, SpatialContrastiveNormalization; and dpnn's per-plane SpatialFeatNormalization.

Inputs are ``(nPlanes, H, W)`` or ``(batch, nPlanes, H, W)``. Torch7 builds the
last three from padding, convolution and table modules; here each is the same
arithmetic written directly on arrays (one windowed correlation per call).
"""
import math

import numpy as np

from ..tensor import as_tensor
from ..tensor.backend import array_module, to_module
from ..tensor.window_kernels import padded, scatter_windows, sliding_windows
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import in_acctype
from .base.errors import check_number, input_error
from .base.module import Module
from .base.batching import batched


def _channel_window_sum(a, before, after):
    """out[:, c] = sum of a[:, c - before .. c + after] (clipped at the ends), one slice-add per offset."""
    out = a.copy()
    c = a.shape[1]
    for o in range(-before, after + 1):
        if o == 0 or abs(o) >= c:
            continue
        if o > 0:
            out[:, :c - o] += a[:, o:]
        else:
            out[:, -o:] += a[:, :c + o]
    return out


class SpatialCrossMapLRN(Module):
    """Local response normalisation across planes (Krizhevsky et al., 2012).

    ``SpatialCrossMapLRN(size, alpha=1e-4, beta=0.75, k=1)``:
    ``y[c] = x[c] / (k + alpha / size * sum_{c' in window(c)} x[c']^2) ^ beta``, the window being the
    ``size`` planes from ``c - (size - 1) // 2``. Input ``(nPlanes, H, W)`` or batched.
    """

    positive_ints = ('size',)

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.checkHyper(size=size)
        for name, v in (('alpha', alpha), ('beta', beta), ('k', k)):
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise ValueError(f"SpatialCrossMapLRN: {name} must be a number, got {v!r}")
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k
        self.scale = self.output.new()

    def _window(self):
        before = (self.size - 1) // 2
        return before, self.size - 1 - before

    def _scale(self, input, x):
        """k + alpha / size * the window's sum of squares, into the ``scale`` buffer; a half input's is summed in
        float, as THCUNN's LRNFillScale sums in its Acctype (five squares of 120 overflow half)."""
        before, after = self._window()
        scale = self.bufferLike('scale', input, x.shape)
        xa = in_acctype(x)
        scale[...] = _channel_window_sum(xa * xa, before, after) * (self.alpha / self.size) + self.k
        return scale

    def updateOutput(self, input):
        x, _ = batched(self, input, (3, 4))
        scale = self._scale(input, x)
        out = self.bufferLike('output', input).reshape(x.shape)
        input.xp.multiply(x, scale ** -self.beta, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, _ = batched(self, input, (3, 4))
        self.checkGradOutput(gradOutput, input)
        before, after = self._window()
        # in the sum type too, as THCUNN's LRNComputeDiff accumulates the ratios
        x, scale = in_acctype(x), in_acctype(self._scale(input, x))
        go = in_acctype(gradOutput.array.reshape(x.shape))
        ratio = go * x * scale ** (-self.beta - 1)        # gradOutput * output / scale
        gi = self.bufferLike('gradInput', input).reshape(x.shape)
        gi[...] = go * scale ** -self.beta - (2 * self.alpha * self.beta / self.size) * x * \
            _channel_window_sum(ratio, after, before)
        return self.gradInput

    def clearState(self):
        return super().clearState('scale')

    def __repr__(self):
        return f"{lua_typename(self)}({self.size}, {self.alpha}, {self.beta}, {self.k})"


def _averaging_kernel(owner, kernel):
    """The user's kernel as a float64 NumPy array, checked: 1-D or 2-D with odd sizes (default 9x9 ones)."""
    if kernel is None:
        return np.ones((9, 9))
    k = np.array(as_tensor(kernel).double().cpu().numpy(), dtype=np.float64)
    if k.ndim not in (1, 2):
        raise ValueError(f"{owner}: the averaging kernel must be 1-D or 2-D, got {k.ndim}-D")
    if any(n % 2 == 0 for n in k.shape):
        raise ValueError(f"{owner}: the averaging kernel must have odd sizes, got {k.shape}")
    return k


class _LocalNormalization(Module):
    """Shared by the subtractive and divisive forms: a plane-summed 2-D correlation with zero padding."""

    positive_ints = ('nInputPlane',)

    def __init__(self, nInputPlane, kernel, one_d_root):
        super().__init__()
        name = type(self).__name__
        self.checkHyper(nInputPlane=nInputPlane)
        k = _averaging_kernel(name, kernel)
        self.nInputPlane = nInputPlane
        # Torch7 normalises a 2-D kernel to sum 1/nInputPlane; a 1-D one is applied along both axes, so it is
        # normalised so that its outer square has the same total (1/sqrt(n) per axis for the divisive form)
        k = k / (k.sum() * (math.sqrt(nInputPlane) if one_d_root and k.ndim == 1 else nInputPlane))
        self.kernel = self.output.new(*k.shape).copy(k)
        self._kernel2d = k if k.ndim == 2 else np.outer(k, k)

    def _check(self, input):
        x, is_batch = batched(self, input, (3, 4))
        if x.shape[1] != self.nInputPlane:
            raise input_error(self, f"{self.nInputPlane} input planes (dimension {1 if is_batch else 0})",
                              f"{x.shape[1]} (input of size {tuple(input.size())})")
        if input.dtype.kind != 'f':
            raise input_error(self, "a floating-point input", input.type(), TypeError)
        return x

    def _k2(self, xp, dtype):
        return to_module(self._kernel2d, xp).astype(dtype)

    def _pads(self):
        kh, kw = self._kernel2d.shape
        return kh // 2, kw // 2

    def _correlate(self, s):
        """(N, H, W) -> (N, H, W): zero-padded correlation with the 2-D kernel (Torch7's SpatialConvolution)."""
        xp = array_module(s)
        k2 = self._k2(xp, s.dtype)
        ph, pw = self._pads()
        win = sliding_windows(padded(s, (1, 2), ((ph, ph), (pw, pw))), (1, 2), k2.shape, (1, 1))
        # np.tensordot's own reshapes and dot, called from here: its Python wrapper would raise dot's inf * 0
        # warning out of legonn's IEEE-silent filter (legonn.tensor.float_errors)
        return xp.dot(win.reshape(-1, k2.size), k2.reshape(-1, 1)).reshape(win.shape[:3])

    def _correlate_t(self, g):
        """The adjoint of ``_correlate``."""
        xp = array_module(g)
        k2 = self._k2(xp, g.dtype)
        ph, pw = self._pads()
        n, h, w = g.shape
        full = xp.zeros((n, h + 2 * ph, w + 2 * pw), dtype=g.dtype)
        scatter_windows(full, g[..., None, None] * k2, (1, 2), k2.shape, (1, 1))
        return full[:, ph:ph + h, pw:pw + w]

    def _coef(self, x):
        """Border correction: the plane-summed kernel mass inside the image at each pixel, (1, H, W)."""
        xp = array_module(x)
        return self.nInputPlane * self._correlate(xp.ones((1,) + x.shape[2:], dtype=x.dtype))


class SpatialSubtractiveNormalization(_LocalNormalization):
    """Subtracts from every plane the kernel-weighted local mean over all planes.

    ``SpatialSubtractiveNormalization(nInputPlane=1, kernel=None)``; ``kernel`` is 1-D (applied along H then
    W) or 2-D with odd sizes, default ``9x9`` ones. Near borders the mean is renormalised by the kernel mass
    inside the image. Input ``(nInputPlane, H, W)`` or batched; output the same size.
    """

    def __init__(self, nInputPlane=1, kernel=None):
        super().__init__(nInputPlane, kernel, one_d_root=False)

    def updateOutput(self, input):
        x = self._check(input)
        mean = self._correlate(x.sum(axis=1)) / self._coef(x)
        input.xp.subtract(x, mean[:, None], out=self.bufferLike('output', input).reshape(x.shape))
        return self.output

    def updateGradInput(self, input, gradOutput):
        x = self._check(input)
        self.checkGradOutput(gradOutput, input)
        go = gradOutput.array.reshape(x.shape)
        back = self._correlate_t(go.sum(axis=1) / self._coef(x))
        input.xp.subtract(go, back[:, None], out=self.bufferLike('gradInput', input).reshape(x.shape))
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.nInputPlane})"


class SpatialDivisiveNormalization(_LocalNormalization):
    """Divides every plane by the kernel-weighted local standard deviation over all planes.

    ``SpatialDivisiveNormalization(nInputPlane=1, kernel=None, threshold=1e-4, thresval=threshold)``:
    ``std = sqrt(corr(sum_c x_c^2, K)) / coef`` (coef: the border correction); values of ``std`` not above
    ``threshold`` become ``thresval``; ``y = x / std``. Input ``(nInputPlane, H, W)`` or batched.
    """

    def __init__(self, nInputPlane=1, kernel=None, threshold=1e-4, thresval=None):
        super().__init__(nInputPlane, kernel, one_d_root=True)
        self.threshold = check_number('SpatialDivisiveNormalization', 'threshold', threshold)
        self.thresval = threshold if thresval is None else check_number('SpatialDivisiveNormalization', 'thresval',
                                                                         thresval)

    def _forward_parts(self, x):
        xp = array_module(x)
        std = xp.sqrt(self._correlate((x * x).sum(axis=1)))
        coef = self._coef(x)
        adjusted = std / coef
        keep = adjusted > self.threshold
        return std, coef, keep, xp.where(keep, adjusted, self.thresval)

    def updateOutput(self, input):
        x = self._check(input)
        _, _, _, div = self._forward_parts(x)
        input.xp.divide(x, div[:, None], out=self.bufferLike('output', input).reshape(x.shape))
        return self.output

    def updateGradInput(self, input, gradOutput):
        x = self._check(input)
        self.checkGradOutput(gradOutput, input)
        xp = input.xp
        std, coef, keep, div = self._forward_parts(x)
        go = gradOutput.array.reshape(x.shape)
        g_div = -(go * x).sum(axis=1) / (div * div)
        g_std = xp.where(keep, g_div, 0) / coef
        safe = xp.where(std > 0, std, 1)
        g_u = xp.where(std > 0, g_std / (2 * safe), 0)
        gi = self.bufferLike('gradInput', input).reshape(x.shape)
        gi[...] = go / div[:, None] + 2 * x * self._correlate_t(g_u)[:, None]
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.nInputPlane})"


class SpatialContrastiveNormalization(Module):
    """SpatialSubtractiveNormalization followed by SpatialDivisiveNormalization with the same kernel.

    ``SpatialContrastiveNormalization(nInputPlane=1, kernel=None, threshold=1e-4, thresval=threshold)``;
    input ``(nInputPlane, H, W)`` or batched.
    """

    positive_ints = ('nInputPlane',)

    def __init__(self, nInputPlane=1, kernel=None, threshold=1e-4, thresval=None):
        super().__init__()
        self.nInputPlane = nInputPlane
        self.subtractive = SpatialSubtractiveNormalization(nInputPlane, kernel)
        self.divisive = SpatialDivisiveNormalization(nInputPlane, kernel, threshold, thresval)

    def updateOutput(self, input):
        _LocalNormalization._check(self, input)
        centred = self.subtractive.updateOutput(input)
        self.output = self.divisive.updateOutput(centred)
        return self.output

    def updateGradInput(self, input, gradOutput):
        _LocalNormalization._check(self, input)
        g = self.divisive.updateGradInput(self.subtractive.output, gradOutput)
        self.gradInput = self.subtractive.updateGradInput(input, g)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.nInputPlane})"


class SpatialFeatNormalization(Module):
    """output[c] = (input[c] - mean[c]) / std[c] for each feature plane c (dpnn's SpatialFeatNormalization.lua: the
    usual per-channel image preprocessing); gradInput[c] = gradOutput[c] / std[c].

    ``SpatialFeatNormalization(mean, std=None)``: 1-D tensors of ``noOfFeats`` values, copied (``std`` default
    ones); input ``(noOfFeats, H, W)`` or ``(batch, noOfFeats, H, W)``."""

    input_ranks = (3, 4)

    def __init__(self, mean, std=None):
        super().__init__()
        mean = as_tensor(mean)
        if mean.dim() != 1:
            raise ValueError(f"SpatialFeatNormalization: mean/std should be 1-D, got a {mean.dim()}-D mean")
        std = None if std is None else as_tensor(std)
        if std is not None and std.nElement() != mean.nElement():
            raise ValueError(f"SpatialFeatNormalization: expected {mean.nElement()} std values (one per mean), got "
                             f"{std.nElement()}")
        self.mean = self.output.new(mean.nElement()).copy(mean)
        self.std = self.output.new(mean.nElement())
        if std is not None:
            self.std.copy(std.view(-1))
        else:
            self.std.fill(1)
        self.noOfFeats = mean.nElement()

    def _planes(self, t):
        """(mean, std) shaped to broadcast over ``t``'s planes, after checking its feature count."""
        if t.size(-3) != self.noOfFeats:
            raise input_error(self, f"{self.noOfFeats} feature planes", f"{t.size(-3)} (size {tuple(t.size())})")
        self.checkSameType(t, self.mean)
        return self.mean.array.reshape(-1, 1, 1), self.std.array.reshape(-1, 1, 1)

    def updateOutput(self, input):
        mean, std = self._planes(input)
        out = self.bufferLike('output', input)
        input.xp.subtract(input.array, mean, out=out)
        out /= std
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, input)
        _, std = self._planes(gradOutput)
        gradOutput.xp.divide(gradOutput.array, std, out=self.bufferLike('gradInput', gradOutput))
        return self.gradInput
