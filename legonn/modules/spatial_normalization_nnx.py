"""SpatialNormalization: nnx's (deprecated) local contrast normalisation (nnx's SpatialNormalization.lua).

nnx builds it from SpatialPadding, SpatialConvolutionMap, Sum, Replicate and table modules; here the same
arithmetic runs on arrays. It is not nn.SpatialContrastiveNormalization: nnx divides the square root of the
kernel-weighted sum of squares (over all planes) by the plane count times the border coefficient, where nn
averages before the root (a factor sqrt(nInputPlane) apart), its threshold has a 1e-3 floor, and it takes a
pair of 1-D kernels."""
from ..tensor import Tensor
from ..tensor.window_kernels import padded, scatter_windows, sliding_windows
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.lua_arguments import table_arguments
from .base.module import Module
from ..tensor.reductions import reducer


def _pads(kernel):
    """nnx's zero padding for a kernel: (top, bottom), (left, right); an even side pads one less after."""
    kh, kw = kernel.shape
    return ((kh // 2, kh // 2 - (1 - kh % 2)), (kw // 2, kw // 2 - (1 - kw % 2)))


class SpatialNormalization(Module):
    """Local contrast normalisation over all planes: input ``(nInputPlane, H, W)`` (or ``(H, W)``, taken as one
    plane, the output then ``(1, H, W)`` as nnx's), output of the input's planes and size.

    ``SpatialNormalization(nInputPlane, kernel, threshold=None)`` (or a table ``{'nInputPlane': n, 'kernel':
    k, 'threshold': t}``); ``kernel`` a 2-D tensor, or a list of two (nnx's ``{1xK, Kx1}`` pair, applied one
    after the other), each scaled to sum 1 (nnx scales the caller's tensor in place; legonn a copy). With
    ``C(x)`` the sum over planes of each plane zero-padded (``k // 2`` before, one less after for an even
    side) and correlated with the kernel, copied to every plane (for two kernels, C of the first's result
    through the second), and ``coef = C(ones)``:
    ``mean = C(x) / coef``, ``xz = x - mean``, ``std = sqrt(C(xz^2)) / coef``, output ``xz / max'(std)``,
    ``max'`` keeping values above ``t`` and replacing the others by ``t``, where ``t = threshold`` or, when
    none is given, ``max(mean of std, 1e-3)`` (recomputed at each forward, fixed in backward). gradInput is
    the composition's, as the Lua chain computes it (Sqrt's gradient 0 where its output is 0, as THNN's).
    nnx prints a deprecation warning at construction; legonn does not.
    """

    positive_ints = ('nfeatures',)

    def __init__(self, nInputPlane=None, kernel=None, threshold=None):
        super().__init__()
        if isinstance(nInputPlane, dict):
            nInputPlane, kernel, threshold = table_arguments(
                'SpatialNormalization', nInputPlane, ('nInputPlane', 'kernel', 'threshold'), (None, None, None))
        check_hyper('SpatialNormalization', positive=dict(nInputPlane=nInputPlane))
        kernels = list(kernel) if isinstance(kernel, (list, tuple)) else [kernel]
        if not 1 <= len(kernels) <= 2 or not all(isinstance(k, Tensor) and k.dim() == 2 for k in kernels):
            raise ValueError(f"SpatialNormalization: kernel must be a 2-D tensor or a list of two, got {kernel!r}")
        self.nfeatures = nInputPlane
        self.kernel = [k.clone().div(k.sum()).type(self.output.type()) for k in kernels]
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
            raise ValueError(f"SpatialNormalization: threshold must be a number, got {threshold!r}")
        self.fixedThres = threshold
        self.coef = self.output.new()

    def _kernels(self, input):
        if any(type(k) is not type(input) for k in self.kernel):
            raise input_error(self, f"a {self.kernel[0].type()} input (the module's type)", input.type(), TypeError)
        return [k.array for k in self.kernel]

    def _conv(self, xp, x, kernels):
        """C(x) for x (nf, H, W): one (H, W) map (every plane of C(x) is this map)."""
        s = x.sum(0)
        for i, k in enumerate(kernels):
            if i:
                s = s * self.nfeatures   # the second stage sums nf identical planes
            win = sliding_windows(padded(s, (0, 1), _pads(k)), (0, 1), k.shape, (1, 1))
            s = reducer(xp, 'sum')(win * k, axis=(-2, -1))
        return s

    def _conv_t(self, xp, g, kernels):
        """The adjoint of C for a gradient g (nf, H, W): one (H, W) map to add to every plane."""
        s = g.sum(0)
        for i, k in reversed(list(enumerate(kernels))):
            (t, b), (left, r) = _pads(k)
            full = xp.zeros((s.shape[0] + t + b, s.shape[1] + left + r), s.dtype)
            scatter_windows(full, s[..., None, None] * k, (0, 1), k.shape, (1, 1))
            s = full[t:t + s.shape[0], left:left + s.shape[1]]
            if i:
                s = s * self.nfeatures
        return s

    def _planes(self, input):
        self.checkTensor(input, (2, 3), floating=True)
        x = input.array[None] if input.dim() == 2 else input.array
        if x.shape[0] != self.nfeatures:
            raise input_error(self, f"{self.nfeatures} input planes (nInputPlane)", f"{x.shape[0]} (input of size "
                              f"{tuple(input.size())})")
        return x

    def _coef(self, input, x, kernels):
        """C(ones), recomputed when the image size (or the type) changes, as the Lua's."""
        if self.coef._size != x.shape[1:] or type(self.coef) is not type(input):
            self.bufferLike('coef', input, x.shape[1:])[...] = self._conv(input.xp, input.xp.ones_like(x), kernels)
        return self.coef.array

    def _centred(self, xp, x, kernels, coef):
        """(xz = x - mean, root = sqrt(C(xz^2)), std = root / coef) of the planes ``x``."""
        xz = x - self._conv(xp, x, kernels) / coef
        root = xp.sqrt(self._conv(xp, xz * xz, kernels))
        return xz, root, root / coef

    def updateOutput(self, input):
        x = self._planes(input)
        xp, kernels = input.xp, self._kernels(input)
        coef = self._coef(input, x, kernels)
        xz, _, std = self._centred(xp, x, kernels, coef)
        thres = self.fixedThres if self.fixedThres is not None else max(float(std.mean()), 1e-3)
        self.threshold = thres
        out = self.bufferLike('output', input, x.shape)
        out[...] = xz / xp.where(std > thres, std, thres)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x = self._planes(input)
        xp, kernels = input.xp, self._kernels(input)
        self.checkSize(gradOutput, x.shape)
        self.checkSameType(gradOutput, input, 'gradOutput')
        if getattr(self, 'threshold', None) is None:
            raise input_error(self, "a forward before updateGradInput", "none")
        coef = self._coef(input, x, kernels)
        go = gradOutput.array
        xz, root, std = self._centred(xp, x, kernels, coef)
        kept = std > self.threshold
        div = xp.where(kept, std, self.threshold)
        g_xz = go / div
        g_std = xp.where(kept, -go * xz / (div * div), 0)
        # Sqrt's backward (0.5 g / sqrt(v)), the root being the same map on every plane
        g_root = g_std / coef
        g_v = xp.where(root > 0, 0.5 * g_root / xp.where(root > 0, root, 1), 0)
        g_xz = g_xz + 2 * xz * self._conv_t(xp, g_v, kernels)
        gi = self.bufferLike('gradInput', input)
        gi[...] = (g_xz + self._conv_t(xp, -g_xz / coef, kernels)).reshape(gi.shape)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.nfeatures}, {'x'.join(map(str, self.kernel[0].size()))})"
