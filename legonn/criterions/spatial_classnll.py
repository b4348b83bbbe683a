"""SpatialClassNLLCriterion: the negative log-likelihood of a class label at every pixel."""
from ..modules.base.errors import input_error
from ..tensor.scatter_kernels import out_of_range
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import reducer
from .criterion import Criterion


class SpatialClassNLLCriterion(Criterion):
    """``loss = -sum_{n,h,w} weights[t] * input[n, t, h, w] / sum_{n,h,w} weights[t]`` with ``t = target[n, h, w]``.

    ``SpatialClassNLLCriterion(weights=None, sizeAverage=True)``. Input ``(batch, nClasses, H, W)`` of
    log-probabilities (e.g. from SpatialLogSoftMax), target ``(batch, H, W)`` of 0-based integer labels;
    ``(nClasses, H, W)`` with ``(H, W)`` labels is accepted as a batch of one. Without ``sizeAverage`` the
    weighted sum is returned. ``total_weight`` keeps the denominator of the last call.
    """

    takes_labels = True

    def __init__(self, weights=None, sizeAverage=True):
        super().__init__()
        self.weights = self.classWeights(weights)
        self.sizeAverage = bool(sizeAverage)
        self.total_weight = 0.0

    def _check(self, input, target):
        if not hasattr(input, 'dim') or input.dim() not in (3, 4):
            got = f"{input.dim()}-D" if hasattr(input, 'dim') else type(input).__name__
            raise input_error(self, "a 4-D input (batch, nClasses, H, W) or a 3-D one", got)
        if not hasattr(target, 'dtype') or target.dtype.kind not in 'iu':
            kind = target.type() if hasattr(target, 'type') else type(target).__name__
            raise input_error(self, "integer class labels (e.g. a LongTensor)", kind, TypeError)
        x = input.array if input.dim() == 4 else input.array[None]
        expected = (x.shape[0],) + x.shape[2:]
        if target.nElement() != x.shape[0] * x.shape[2] * x.shape[3] or \
                tuple(target.size()) not in (expected, expected[1:]):
            raise input_error(self, f"a target of size {expected if input.dim() == 4 else expected[1:]}",
                              f"{tuple(target.size())} (input of size {tuple(input.size())})")
        n_classes = x.shape[1]
        if self.weights is not None and self.weights.nElement() != n_classes:
            raise input_error(self, f"one weight per class ({n_classes})", f"{self.weights.nElement()} weights")
        xp = input.xp
        t = target.array
        if target.is_cuda != input.is_cuda:
            raise input_error(self, f"a target on the input's device ({'GPU' if input.is_cuda else 'CPU'})",
                              target.type(), TypeError)
        bad = out_of_range(t, n_classes)
        if bad:
            raise input_error(self, f"labels in [0, {n_classes})", f"labels in [{bad[0]}, {bad[1]}]", IndexError)
        t = t.reshape(x.shape[0], 1, x.shape[2], x.shape[3]).astype(xp.int64)
        w = xp.ones(t.shape, dtype=x.dtype) if self.weights is None else \
            xp.asarray(self.weights.array, dtype=x.dtype)[t]
        return x, t, w

    def updateOutput(self, input, target):
        x, t, w = self._check(input, target)
        xp = input.xp
        picked = xp.take_along_axis(x, t, axis=1)
        total = float(reducer(xp, 'sum')(w, axis=None))
        loss = -float(reducer(xp, 'sum')(picked * w, axis=None))
        self.total_weight = total
        self.output = loss / total if self.sizeAverage and total else loss
        return self.output

    def updateGradInput(self, input, target):
        x, t, w = self._check(input, target)
        xp = input.xp
        total = float(w.sum())
        g = self.gradInput
        if type(g) is not type(input):
            g = self.gradInput = input.new()
        gi = g.resizeAs(input).zero().array
        gi4 = gi if input.dim() == 4 else gi[None]
        if not total > 0:
            return self.gradInput   # THNN returns before writing when the total weight is not positive
        n, _, h, wd = gi4.shape
        # one fancy-indexed assignment (labels are unique per pixel, so no accumulation is needed) of THNN's
        # -(weights[t]) / normalize, a division
        gi4[xp.arange(n)[:, None, None, None], t, xp.arange(h)[:, None], xp.arange(wd)] = \
            -w / total if self.sizeAverage else -w
        return self.gradInput

    def __repr__(self):
        return lua_typename(self)

