"""Margin losses: MarginCriterion, SoftMarginCriterion, MultiMarginCriterion,
MultiLabelMarginCriterion, MultiLabelSoftMarginCriterion, MarginRankingCriterion."""
from ..modules.base.errors import check_number, input_error
from ..tensor import Tensor
from ..tensor.pointwise import sigmoid_into
from ..tensor.scatter_kernels import index_bounds
from ..tensor.introspection import typename as lua_typename
from .criterion import ALWAYS_AVERAGES, Criterion, loss_scalar
from .elementwise import _ElementwiseCriterion


def _softplus(z, xp):
    """log(1 + exp(z)) without overflow."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


class MarginCriterion(_ElementwiseCriterion):
    """Two-class hinge loss: sum_i max(0, margin - y_i x_i) for targets y in {-1, 1}
    (averaged over elements with ``sizeAverage``). ``MarginCriterion(margin=1)``: as Torch7's, the constructor
    takes no sizeAverage (it averages); set ``sizeAverage = False`` to sum."""
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self, margin=1):
        super().__init__()
        self.margin = float(check_number('MarginCriterion', 'margin', margin))

    def _terms(self, x, t, xp):
        return xp.maximum(self.margin - x * t, 0)

    def _derivative(self, x, t, xp):
        return xp.where(x * t < self.margin, -t, 0)

    def __repr__(self):
        return f"{lua_typename(self)}({self.margin:g})"


class SoftMarginCriterion(_ElementwiseCriterion):
    """Two-class logistic loss: sum_i log(1 + exp(-y_i x_i)) for targets y in {-1, 1}, averaged over the
    elements. ``SoftMarginCriterion()`` takes no argument, as Torch7's: to sum, set ``sizeAverage = False``."""
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self):
        super().__init__()

    def _terms(self, x, t, xp):
        return _softplus(-x * t, xp)

    def _derivative(self, x, t, xp):
        # THNN SoftMarginCriterion.c:40-41: -y z / (1 + z) with z = exp(-x y), i.e. -y / (1 + exp(x y)): TH's sigmoid
        # of -x y, which keeps every digit where it is tiny (0.5 (1 + tanh) lost them) and gives 0, not inf / inf,
        # where exp overflows
        s = -x * t
        sigmoid_into(xp, s, s)
        return -t * s


class MultiLabelSoftMarginCriterion(_ElementwiseCriterion):
    """Multi-label logistic loss: sum_i w_i (log(1 + exp(x_i)) - t_i x_i) for targets t in {0, 1}
    (averaged over elements with ``sizeAverage``).

    ``MultiLabelSoftMarginCriterion(weights=None, sizeAverage=True)``: ``weights`` is a 1-D
    tensor of one weight per class (the last dimension), applied to every row.
    """

    def __init__(self, weights=None, sizeAverage=True):
        super().__init__(sizeAverage)
        self.weights = self.classWeights(weights, retype=False)

    def _w(self, x):
        if self.weights is None:
            return 1
        if x.shape[-1] != self.weights.size(0):
            raise input_error(self, f"{self.weights.size(0)} classes in the last dimension (the weights')",
                              f"input of size {tuple(x.shape)}")
        return self.weights.array

    def _arrays(self, input, target):
        x, t = super()._arrays(input, target)
        if self.weights is not None:
            self.checkSameType(self.weights, input, 'weights')
        return x, t

    def _terms(self, x, t, xp):
        # MultiLabelSoftMarginCriterion.lua's overflow-free form, step for step:
        # log(exp(x - 2 x [x >= 0]) + 1) - (t - [x >= 0]) x = log(1 + exp(-|x|)) + max(x, 0) - t x
        positive = x >= 0
        return (xp.log(xp.exp(x * positive * -2 + x) + 1) - (t - positive) * x) * self._w(x)

    def updateGradInput(self, input, target):
        # MultiLabelSoftMarginCriterion.lua: (sigmoid(x) - t) * w, then :div(nElement); TH's sigmoid is
        # 1 / (1 + exp(-x))
        x, t = self._arrays(input, target)
        gi = self.bufferLike('gradInput', input)
        sigmoid_into(input.xp, x, gi)
        gi -= t
        if self.weights is not None:
            gi *= self._w(x)
        n = input.nElement()
        if self.sizeAverage and n:
            gi /= n
        return self.gradInput


class _LabelRows(Criterion):
    """Shared by the multi-class margins: a 1-D or 2-D float input, processed as rows."""

    input_ranks = (1, 2)
    takes_labels = True

    def _rows(self, input):
        self.checkInput(input)
        return input.array.reshape(-1, input.size(-1))

    def _scale(self, rows, dim):
        """The gradient's factor: 1 / (rows * dim) with ``sizeAverage``, else 1 / dim (THNN's ``g``)."""
        return 1.0 / (dim * (rows if self.sizeAverage else 1))

    def _loss(self, total, rows, dim):
        """The summed hinge terms over the class count, then over the row count with ``sizeAverage``: two
        divisions, as THNN's ``sum /= dim; if (sizeAverage) sum /= nframe``."""
        loss = float(total) / dim
        return loss / rows if self.sizeAverage else loss


class MultiMarginCriterion(_LabelRows):
    """Multi-class hinge loss: for a row x with label y,
    sum_{d != y} w_y max(0, margin - x_y + x_d)^p / dim (averaged over rows with ``sizeAverage``).

    ``MultiMarginCriterion(p=1, weights=None, margin=1)``; input ``(dim,)`` or
    ``(batch, dim)``, target one 0-based label per row (an int, list or integer tensor);
    ``weights`` a 1-D tensor of ``dim`` class weights. As Torch7's, the constructor takes no
    sizeAverage (it averages); set ``sizeAverage = False`` to sum.
    """
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self, p=1, weights=None, margin=1):
        super().__init__()
        if isinstance(p, bool) or p not in (1, 2):   # Lua's assert(p == 1 or p == 2): true is neither
            raise ValueError(f"MultiMarginCriterion: only p = 1 and p = 2 are supported, got {p!r}")
        self.p, self.weights = p, self.classWeights(weights, retype=False)
        self.margin, self.sizeAverage = float(check_number('MultiMarginCriterion', 'margin', margin)), True

    def _hinge(self, input, target):
        """(rows, labels, z = margin - x_y + x_d with z[y] excluded, per-row weight)."""
        x = self._rows(input)
        self.checkLabels(input, target, x.shape[1])
        xp = input.xp
        y = target.array.reshape(-1).astype('int64')
        z = self.margin - xp.take_along_axis(x, y[:, None], axis=1) + x
        other = xp.arange(x.shape[1])[None, :] != y[:, None]
        z = xp.where(other & (z > 0), z, 0)
        w = 1
        if self.weights is not None:
            self.checkSameType(self.weights, input, 'weights')
            if self.weights.size(0) != x.shape[1]:
                raise input_error(self, f"weights of {x.shape[1]} classes", f"{self.weights.size(0)}")
            w = self.weights.array[y][:, None]
        return x, y, z, w

    def updateOutput(self, input, target):
        x, y, z, w = self._hinge(input, target)
        terms = z if self.p == 1 else z * z
        self.output = self._loss((terms * w).sum(), *x.shape)
        return self.output

    def updateGradInput(self, input, target):
        x, y, z, w = self._hinge(input, target)
        xp = input.xp
        scale = self._scale(*x.shape)
        # THNN's h = (p == 1) ? g : 2*g*z, then h *= weights[target] (z is 0 where the hinge is inactive)
        g = (xp.where(z > 0, scale, 0) if self.p == 1 else 2 * scale * z) * w
        g = g.astype(x.dtype)
        rows = xp.arange(x.shape[0])
        g[rows, y] = -g.sum(axis=1)      # the label's entry: minus the others' sum (its own is 0)
        gi = self.bufferLike('gradInput', input)
        gi[...] = g.reshape(gi.shape)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}(p={self.p}, margin={self.margin:g})"


class MultiLabelMarginCriterion(_LabelRows):
    """Multi-label hinge loss: for a row x with target classes J,
    sum_{j in J} sum_{d not in J} max(0, 1 - x_j + x_d) / dim (averaged over rows with ``sizeAverage``).

    Input ``(dim,)`` or ``(batch, dim)``; the target is an integer tensor of the input's
    size holding each row's 0-based target classes first, then -1 padding (Torch7's 0
    padding, shifted to 0-based): ``[3, 0, -1, -1]`` means classes 3 and 0. A class repeated
    before the first -1 is an error, so Torch7's 0 padding ported literally fails loudly. As Torch7's,
    the constructor takes no argument (it averages); set ``sizeAverage = False`` to sum.
    """
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self):
        super().__init__()
        self.sizeAverage = True

    def _hinge(self, input, target):
        x = self._rows(input)
        rows, dim = x.shape
        if not isinstance(target, Tensor) or target.dtype.kind not in 'iu':
            got = target.type() if isinstance(target, Tensor) else type(target).__name__
            raise input_error(self, "an integer target tensor of class indices padded with -1", got, TypeError)
        if target.nElement() != x.size or target.dim() != input.dim():
            raise input_error(self, f"a target of the input's size {tuple(input.size())}",
                              f"size {tuple(target.size())}")
        if target.is_cuda != input.is_cuda:
            raise input_error(self, "a target on the input's device", target.type(), TypeError)
        xp = input.xp
        t = target.array.reshape(rows, dim).astype('int64')
        lo, hi = index_bounds(t) if t.size else (0, 0)
        if lo < -1 or hi >= dim:
            raise input_error(self, f"target classes in [0, {dim}) or -1 padding", f"values in [{lo}, {hi}]",
                              IndexError)
        valid = xp.cumprod(t >= 0, axis=1).astype(bool)                       # before the first -1
        k = int(valid.sum(axis=1).max()) if rows else 0
        t, valid = t[:, :k], valid[:, :k]            # the (rows, k, dim) arrays below need only k targets
        onehot = (t[:, :, None] == xp.arange(dim)[None, None, :]) & valid[:, :, None]   # (rows, k, dim)
        if k > 1 and int(onehot.sum(axis=1).max()) > 1:
            # a literal port pads with Torch7's 0, which is legonn's class 0: refuse rather than count it twice
            raise input_error(self, "each target class once, then -1 padding (Torch7's 0 padding is -1 here)",
                              "a class repeated before the first -1")
        is_target = onehot.any(axis=1)
        x_j = xp.take_along_axis(x, xp.where(valid, t, 0), axis=1)               # (rows, k)
        z = 1 - x_j[:, :, None] + x[:, None, :]
        active = valid[:, :, None] & ~is_target[:, None, :] & (z > 0)
        return x, z, active, onehot

    def updateOutput(self, input, target):
        x, z, active, _ = self._hinge(input, target)
        # the C adds z only where z > 0 (a select: a -inf or NaN hinge it skips must not become NaN via 0 * z)
        self.output = self._loss(input.xp.where(active, z, 0).sum(), *x.shape)
        return self.output

    def updateGradInput(self, input, target):
        x, z, active, onehot = self._hinge(input, target)
        g = self._scale(*x.shape)
        per_target = active.sum(axis=2)                                          # (rows, k)
        grad = active.sum(axis=1) - (onehot * per_target[:, :, None]).sum(axis=1)
        gi = self.bufferLike('gradInput', input)
        gi[...] = (g * grad).reshape(gi.shape)
        return self.gradInput


class MarginRankingCriterion(Criterion):
    """Ranking hinge loss for a pair of scores: sum_i max(0, -y_i (x1_i - x2_i) + margin), y in {-1, 1}.

    ``MarginRankingCriterion(margin=1)``. Input ``[x1, x2]`` of equal size (``(batch,)`` or
    one-element tensors); target ``y`` of the same size, or a number for one pair. With ``sizeAverage``
    (default) the sum is divided by ``y.size(0)`` as in Torch7 (the pairs of a 1-D batch; the rows of a
    2-D one). ``gradInput`` is a list of two. As Torch7's, the constructor takes no sizeAverage: set the
    attribute to sum.
    """
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self, margin=1):
        super().__init__()
        self.margin, self.sizeAverage = float(check_number('MarginRankingCriterion', 'margin', margin)), True
        self.gradInput = [self.gradInput, self.gradInput.new()]

    def _parts(self, input, y):
        if not isinstance(input, list) or len(input) != 2:
            raise input_error(self, "a list of two score tensors [x1, x2]", type(input).__name__, TypeError)
        x1, x2 = input
        for i, x in enumerate(input):
            self.checkTensor(x, what=f'input[{i}]', floating=True)
        self.checkSameType(x2, x1, 'input[1]', "input[0]'s")
        if x1._size != x2._size:
            raise input_error(self, "two inputs of the same size", f"{tuple(x1.size())} and {tuple(x2.size())}")
        self.checkSameCount(x1, y)
        if y.is_cuda != x1.is_cuda:
            raise input_error(self, "a target on the input's device", y.type(), TypeError)
        yv = y.array.reshape(x1._size).astype(x1.dtype)
        dist = -yv * (x1.array - x2.array) + self.margin
        # MarginRankingCriterion.lua divides the loss and both gradients by y:size(1) (for 2-D scores, the rows)
        count = y.size(0) if self.sizeAverage and y.dim() and y.size(0) else 1
        return yv, dist, count

    def updateOutput(self, input, y):
        _, dist, count = self._parts(input, y)
        self.output = loss_scalar(input[0].xp.maximum(dist, 0).sum(), count)
        return self.output

    def updateGradInput(self, input, y):
        yv, dist, count = self._parts(input, y)
        g = (dist >= 0) * yv / count
        for i, sign in ((0, -1), (1, 1)):
            self.bufferLike(f'_grad{i}', input[i])[...] = sign * g
        self.gradInput = [self._grad0, self._grad1]
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.margin:g})"
