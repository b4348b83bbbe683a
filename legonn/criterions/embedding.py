"""Embedding losses: HingeEmbeddingCriterion, L1HingeEmbeddingCriterion,
CosineEmbeddingCriterion, DistanceRatioCriterion."""
from ..modules.base.errors import check_number, input_error
from .criterion import ALWAYS_AVERAGES, Criterion, loss_scalar
from .elementwise import _TargetFree
from ..tensor.introspection import typename as lua_typename
from ..tensor.pointwise import sigmoid_into


def _pair(criterion, input):
    """Check a two-tensor table input of equal sizes and one type; return it."""
    if not isinstance(input, list) or len(input) != 2:
        got = f"a list of {len(input)}" if isinstance(input, list) else type(input).__name__
        raise input_error(criterion, "a list of two tensors [x1, x2]", got, TypeError)
    for i, x in enumerate(input):
        criterion.checkTensor(x, what=f'input[{i}]', floating=True)
    criterion.checkSameType(input[1], input[0], 'input[1]', "input[0]'s")
    if input[0]._size != input[1]._size:
        raise input_error(criterion, "two inputs of the same size",
                          f"{tuple(input[0].size())} and {tuple(input[1].size())}")
    return input


def _signs(criterion, y, count, like):
    """The ±1 targets as an array of ``count`` values of ``like``'s dtype."""
    if not hasattr(y, 'nElement') or y.nElement() != count:
        got = f"size {tuple(y.size())}" if hasattr(y, 'size') else type(y).__name__
        raise input_error(criterion, f"{count} targets of 1 or -1", got)
    if y.is_cuda != like.is_cuda:
        raise input_error(criterion, "a target on the input's device", y.type(), TypeError)
    values = y.array.reshape(-1).astype(like.dtype)
    if count and not bool(((values == 1) | (values == -1)).all()):
        raise input_error(criterion, "targets of 1 or -1", "other values")
    return values


class HingeEmbeddingCriterion(Criterion):
    """loss = sum_i (x_i if y_i = 1 else max(0, margin - x_i)), for distances x and y in {-1, 1}.

    ``HingeEmbeddingCriterion(margin=1)``; input any shape, ``y`` as many elements (or a
    number for a one-element input). Averaged over elements when ``sizeAverage`` (default; as Torch7's, the
    constructor takes none: set the attribute to sum).
    """

    input_kind = 'tensor'
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self, margin=1):
        super().__init__()
        self.margin, self.sizeAverage = float(check_number('HingeEmbeddingCriterion', 'margin', margin)), True

    def _parts(self, input, y):
        self.checkInput(input)
        n = input.nElement()
        return input.array, _signs(self, y, n, input).reshape(input._size), (1.0 / n if self.sizeAverage and n
                                                                               else 1.0)

    def updateOutput(self, input, y):
        x, yv, norm = self._parts(input, y)
        xp = input.xp
        n = input.nElement()   # HingeEmbeddingCriterion.lua: output / input:nElement(), a division
        self.output = loss_scalar(xp.where(yv == 1, x, xp.maximum(self.margin - x, 0)).sum(),
                                  n if self.sizeAverage and n else 1)
        return self.output

    def updateGradInput(self, input, y):
        x, yv, norm = self._parts(input, y)
        gi = self.bufferLike('gradInput', input)
        input.xp.multiply(yv * ((yv == 1) | (x <= self.margin)), norm, out=gi)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.margin:g})"


class L1HingeEmbeddingCriterion(Criterion):
    """For a pair with L1 distance d = ||x1 - x2||_1: loss = d if y = 1, max(0, margin - d) if y = -1.

    ``L1HingeEmbeddingCriterion(margin=1)``; input ``[x1, x2]`` of equal size, ``y`` a number
    (1 or -1) or a one-element tensor. ``gradInput`` is a list of two; where x1 and x2 are
    equal the subgradient 0 is used (Torch7 draws a random sign there).
    """

    def __init__(self, margin=1):
        super().__init__()
        self.margin = float(check_number('L1HingeEmbeddingCriterion', 'margin', margin))

    def _parts(self, input, y):
        x1, x2 = _pair(self, input)
        sign = float(_signs(self, y, 1, x1)[0])
        diff = x1.array - x2.array
        return x1, diff, float(x1.xp.abs(diff).sum()), sign

    def updateOutput(self, input, y):
        _, _, d, sign = self._parts(input, y)
        self.output = d if sign == 1 else max(0.0, self.margin - d)
        return self.output

    def updateGradInput(self, input, y):
        x1, diff, d, sign = self._parts(input, y)
        factor = 1.0 if sign == 1 else (0.0 if d > self.margin else -1.0)
        g = self.bufferLike('_grad0', x1)
        x1.xp.multiply(x1.xp.sign(diff), factor, out=g)
        self.bufferLike('_grad1', x1)[...] = -g
        self.gradInput = [self._grad0, self._grad1]
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.margin:g})"


class CosineEmbeddingCriterion(Criterion):
    """For pairs with cosine similarity c: loss = 1 - c if y = 1, max(0, c - margin) if y = -1.

    ``CosineEmbeddingCriterion(margin=0)``; input ``[x1, x2]`` of ``(dim,)`` or
    ``(batch, dim)``; ``y`` one ±1 per row (a number for one pair). Averaged over rows when
    ``sizeAverage`` (default; as Torch7's, the constructor takes none: set the attribute to sum). 1e-12 is
    added to the squared norms, as in Torch7.
    """

    EPS = 1e-12
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self, margin=0):
        super().__init__()
        self.margin, self.sizeAverage = float(check_number('CosineEmbeddingCriterion', 'margin', margin)), True

    def _parts(self, input, y):
        x1, x2 = _pair(self, input)
        self.checkTensor(x1, (1, 2), 'input[0]')
        a, b = x1.array.reshape(-1, x1.size(-1)), x2.array.reshape(-1, x1.size(-1))
        yv = _signs(self, y, a.shape[0], x1)
        xp = x1.xp
        dot = (a * b).sum(axis=1)
        inv_a, inv_b = 1 / ((a * a).sum(axis=1) + self.EPS), 1 / ((b * b).sum(axis=1) + self.EPS)
        cos = dot * xp.sqrt(inv_a * inv_b)
        over = cos - self.margin
        # TH's cmax(0) is `x > 0 ? x : 0` (THTensorMath.c's cmaxValue): a NaN gives 0, where maximum keeps it
        terms = xp.where(yv == 1, 1 - cos, xp.where(over > 0, over, 0))
        rows = a.shape[0] if self.sizeAverage else 1   # CosineEmbeddingCriterion.lua divides by y:size(1)
        return a, b, yv, dot, inv_a, inv_b, terms, rows

    def updateOutput(self, input, y):
        *_, terms, rows = self._parts(input, y)
        self.output = loss_scalar(terms.sum(), rows)
        return self.output

    def updateGradInput(self, input, y):
        a, b, yv, dot, inv_a, inv_b, terms, rows = self._parts(input, y)
        xp = input[0].xp
        # d cos / d a = (b - dot a / |a|^2) / (|a| |b|); the loss is -cos for y = 1, cos for y = -1, and the
        # Lua zeroes the rows whose term is <= 0 for either sign (CosineEmbeddingCriterion.lua:108-112): a
        # y = 1 pair whose rounded cosine reaches 1 too, by a select (a NaN input there gives zeros), a NaN
        # term's row keeping its NaN
        scale = (xp.sqrt(inv_a * inv_b) * -yv)[:, None]   # -1 for y = 1, 1 for y = -1, in the input's type
        zeroed = (terms <= 0)[:, None]
        for i, (u, v, inv_u) in enumerate(((a, b, inv_a), (b, a, inv_b))):
            g = self.bufferLike(f'_grad{i}', input[i])
            grad = xp.where(zeroed, 0, scale * (v - (dot * inv_u)[:, None] * u))
            g[...] = (grad / rows).reshape(g.shape)   # gw:div(y:size(1))
        self.gradInput = [self._grad0, self._grad1]
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.margin:g})"


class DistanceRatioCriterion(_TargetFree):
    """Triplet loss on distances: sum_i X_i + log(exp(-X_i) + exp(-Y_i)) = -log of the softmax
    probability that the similar pair (distance X) is closer than the dissimilar one (Y).

    ``DistanceRatioCriterion(sizeAverage=True)``; input ``[X, Y]`` of equal size, first
    dimension the batch (the sum is divided by its size with ``sizeAverage``); no target
    (``forward([X, Y])``). ``gradInput`` is a list of two.
    """

    def __init__(self, sizeAverage=True):
        super().__init__()
        self.sizeAverage = sizeAverage

    def _parts(self, input):
        X, Y = _pair(self, input)
        rows = X.size(0) if self.sizeAverage and X.dim() and X.size(0) else 1   # DistanceRatioCriterion.lua
        return X, X.array, Y.array, rows                                        # divides by X:size(1)

    def updateOutput(self, input, target=None):
        X, x, y, rows = self._parts(input)
        xp = X.xp
        self.output = loss_scalar((x + xp.logaddexp(-x, -y)).sum(), rows)
        return self.output

    def updateGradInput(self, input, target=None):
        X, x, y, rows = self._parts(input)
        xp = X.xp
        # DistanceRatioCriterion.lua: dY = -exp(-Y) / (exp(-X) + exp(-Y)) = -sigmoid(X - Y), and dX = 1 - exp(-X) /
        # (exp(-X) + exp(-Y)) the same number; TH's sigmoid keeps its digits where it is tiny (1 minus a tanh-based
        # probability lost them)
        q = x - y
        sigmoid_into(xp, q, q)
        q /= rows
        self.bufferLike('_grad0', X)[...] = q
        self.bufferLike('_grad1', input[1])[...] = -q
        self.gradInput = [self._grad0, self._grad1]
        return self.gradInput
