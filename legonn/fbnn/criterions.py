"""fbnn's criterions over probabilities and log-sum-exps: TrueNLLCriterion, SoftPlusLSECriterion,
SoftPlusLSEMinusLSECriterion, ClassNLLCriterionWithUNK, SequentialCriterion."""
from ..criterions.classnll import ClassNLLCriterion
from ..criterions.criterion import Criterion, loss_scalar
from ..modules.base.errors import input_error
from ..modules.base.flatten import flatten_parameters
from .base import FbnnClass

_EPS = 1e-8   # TrueNLLCriterion.lua's guard against log(0)
_SOFTPLUS_LINEAR = 20   # above it the Lua's softplus returns x itself


class TrueNLLCriterion(FbnnClass, Criterion):
    """nn.TrueNLLCriterion(): ``-log(p[t] + 1e-8)`` of probabilities (not log-probabilities) ``input``,
    ``(nClasses,)`` with one 0-based label or ``(batch, nClasses)`` with ``batch`` labels, summed over the
    batch and divided by it when ``sizeAverage`` (default). gradInput is ``-1 / (p[t] + 1e-8)`` (over the
    batch size) at each target, zero elsewhere."""

    input_ranks = (1, 2)
    takes_labels = True

    def __init__(self):
        super().__init__()
        self.sizeAverage = True

    def _picked(self, input, target):
        """(rows, picked probabilities p[n, t_n]) after the checks."""
        self.checkInput(input)
        self.checkLabels(input, target, input.size(-1))
        x = input.array.reshape(-1, input.size(-1))
        rows = input.xp.arange(x.shape[0])
        return rows, x[rows, target.array.reshape(-1)]

    def updateOutput(self, input, target):
        _, picked = self._picked(input, target)
        total = -input.xp.log(picked + _EPS).sum()
        self.output = loss_scalar(total, picked.shape[0] if input.dim() == 2 and self.sizeAverage else 1)
        return self.output

    def updateGradInput(self, input, target):
        rows, picked = self._picked(input, target)
        scale = -1 / picked.shape[0] if input.dim() == 2 and self.sizeAverage else -1
        grad = self.bufferLike('gradInput', input)
        grad[...] = 0
        grad.reshape(-1, input.size(-1))[rows, target.array.reshape(-1)] = scale / (picked + _EPS)
        return self.gradInput


def _log_sum_exp(x, xp):
    """Each row's ``log(sum(exp(x)))`` of a ``(batch, n)`` array, shifted by its maximum, as ``(batch, 1)``."""
    top = x.max(axis=1, keepdims=True)
    return xp.log(xp.exp(x - top).sum(axis=1, keepdims=True)) + top


def _softplus(v, xp):
    """The Lua's softplus: ``log(1 + exp(v))``, or ``v`` itself above 20 (no overflow)."""
    return xp.where(v > _SOFTPLUS_LINEAR, v, xp.log1p(xp.exp(xp.minimum(v, _SOFTPLUS_LINEAR))))


class _LSECriterion(FbnnClass, Criterion, abstract=True):
    """The two LSE criterions' constructor and forward: ``input`` ``(batch, n)`` scores, no target; ``LSE``
    ``(batch, 1)`` each row's log-sum-exp and ``SoftPlusLSE`` its softplus, kept as the Lua keeps them."""

    input_ranks = (2,)

    def __init__(self, sizeAverage=None):
        super().__init__()
        # kept as the Lua keeps it; neither criterion divides by the batch
        self.sizeAverage = True if sizeAverage is None else sizeAverage
        self.threshold = _SOFTPLUS_LINEAR
        self.LSE = self.gradInput.new()
        self.SoftPlusLSE = self.gradInput.new()

    def _lse(self, input):
        """(LSE, softplus(LSE)) arrays of ``input``'s rows, also left in ``self.LSE``/``self.SoftPlusLSE``."""
        self.checkInput(input)
        xp = input.xp
        lse = self.bufferLike('LSE', input, (input.size(0), 1))
        lse[...] = _log_sum_exp(input.array, xp)
        soft = self.bufferLike('SoftPlusLSE', input, (input.size(0), 1))
        soft[...] = _softplus(lse, xp)
        return lse, soft


class SoftPlusLSECriterion(_LSECriterion):
    """nn.SoftPlusLSECriterion(sizeAverage): ``sum_n softplus(LSE_n)``, ``LSE_n = log sum_j exp(x[n, j])``,
    of ``(batch, n)`` scores (not averaged, whatever ``sizeAverage``); gradInput ``exp(x - softplus(LSE))``."""

    def updateOutput(self, input, target=None):
        _, soft = self._lse(input)
        self.output = loss_scalar(soft.sum())
        return self.output

    def updateGradInput(self, input, target=None):
        _, soft = self._lse(input)
        grad = self.bufferLike('gradInput', input)
        input.xp.exp(input.array - soft, out=grad)
        return self.gradInput


class SoftPlusLSEMinusLSECriterion(_LSECriterion):
    """nn.SoftPlusLSEMinusLSECriterion(sizeAverage): ``sum_n softplus(LSE_n) - LSE_n`` of ``(batch, n)``
    scores (not averaged); gradInput ``exp(x - softplus(LSE)) - exp(x - LSE)``."""

    def updateOutput(self, input, target=None):
        lse, soft = self._lse(input)
        self.output = loss_scalar((soft - lse).sum())
        return self.output

    def updateGradInput(self, input, target=None):
        lse, soft = self._lse(input)
        xp, x = input.xp, input.array
        grad = self.bufferLike('gradInput', input)
        xp.subtract(xp.exp(x - soft), xp.exp(x - lse), out=grad)
        return self.gradInput


class ClassNLLCriterionWithUNK(FbnnClass, Criterion):
    """nn.ClassNLLCriterionWithUNK(unk_index, sizeAverage): nn.ClassNLLCriterion over log-probabilities that
    skips the rows labelled ``unk_index`` (0-based; None skips none). ``self.n`` is how many rows counted
    (the Lua's second return value).

    As ClassNLLCriterionWithUNK.lua: a batch without an unk label is ClassNLLCriterion's (averaged when
    ``sizeAverage``, the default); a batch with one sums the other rows' ``-x[n, t_n]`` without averaging,
    and their gradient is -1 at each target, 0 on unk rows. A 1-D input labelled unk gives 0 and a zero
    gradient (the Lua returns the previous call's loss).
    """

    input_ranks = (1, 2)
    takes_labels = True

    def __init__(self, unk_index=None, sizeAverage=None):
        super().__init__()
        self.unk_index = unk_index
        self.crit = ClassNLLCriterion()
        if sizeAverage is not None:
            self.crit.sizeAverage = sizeAverage
        self.n = 0

    def _known(self, input, target):
        """The mask of rows whose label is not ``unk_index`` (an array of booleans), or None when all are."""
        self.checkInput(input)
        if input.dim() == 2 and target.dim() != 1:
            raise input_error(self, "a 1-D tensor of labels for a 2-D input", f"labels of size "
                              f"{tuple(target.size())}")
        self.checkLabels(input, target, input.size(-1), self.unk_index)
        if self.unk_index is None:
            return None
        known = target.array.reshape(-1) != self.unk_index
        return None if bool(known.all()) else known

    def updateOutput(self, input, target):
        known = self._known(input, target)
        if known is None:
            self.n = input.size(0) if input.dim() == 2 else 1
            self.output = self.crit.updateOutput(input, target)
            return self.output
        x = input.array.reshape(-1, input.size(-1))
        rows = input.xp.nonzero(known)[0]
        self.n = int(rows.shape[0])
        self.output = loss_scalar(x[rows, target.array.reshape(-1)[rows]].sum(), sign=-1)
        return self.output

    def updateGradInput(self, input, target):
        known = self._known(input, target)
        if known is None:
            self.gradInput = self.crit.updateGradInput(input, target)
            return self.gradInput
        grad = self.bufferLike('gradInput', input)
        grad[...] = 0
        rows = input.xp.nonzero(known)[0]
        grad.reshape(-1, input.size(-1))[rows, target.array.reshape(-1)[rows]] = -1
        return self.gradInput


class SequentialCriterion(FbnnClass, Criterion):
    """nn.SequentialCriterion(module, criterion): ``criterion(module(input), target)``, a preprocessing
    module (trainable or not) before a criterion. gradInput is the module's backward of the criterion's
    gradient; ``accGradParameters``, ``updateParameters``, ``zeroGradParameters``, ``parameters`` and
    ``getParameters`` reach the module's (and the criterion's, when it has them)."""

    input_dtypes = 'any'   # the module's and criterion's own checks apply

    def __init__(self, module, criterion):
        super().__init__()
        if not hasattr(module, 'updateGradInput') or not hasattr(criterion, 'updateGradInput'):
            raise TypeError(f"SequentialCriterion: expected a module and a criterion, got "
                            f"{type(module).__name__} and {type(criterion).__name__}")
        self.module = module
        self.criterion = criterion

    def parameters(self):
        params, grads = self.module.parameters() or ([], [])
        params, grads = list(params), list(grads)
        if hasattr(self.criterion, 'parameters'):
            more = self.criterion.parameters() or ([], [])
            params += more[0]
            grads += more[1]
        return params, grads

    def getParameters(self):
        return flatten_parameters(*self.parameters(), owner=self)

    def updateOutput(self, input, target):
        # forward runs each one's input checks, which a bare updateOutput call need not (the Lua's is forward's)
        self.module.forward(input)
        self.output = self.criterion.forward(self.module.output, target)
        return self.output

    def updateGradInput(self, input, target):
        derr_do = self.criterion.updateGradInput(self.module.output, target)
        self.gradInput = self.module.updateGradInput(input, derr_do)
        return self.gradInput

    def accGradParameters(self, input, target, scale=1):
        if hasattr(self.criterion, 'accGradParameters'):
            self.criterion.accGradParameters(self.module.output, target, scale)
        self.module.accGradParameters(input, self.criterion.gradInput, scale)

    def updateParameters(self, learningRate):
        self.module.updateParameters(learningRate)
        if hasattr(self.criterion, 'updateParameters'):
            self.criterion.updateParameters(learningRate)

    def zeroGradParameters(self):
        if hasattr(self.criterion, 'zeroGradParameters'):
            self.criterion.zeroGradParameters()
        self.module.zeroGradParameters()


class SparseNLLCriterion(FbnnClass, Criterion):
    """nn.SparseNLLCriterion(K): the negative log-likelihood against a sparse target distribution,
    ``-sum_i sum_j p[i, j] * x[i, idx[i, j]]`` (over the batch when ``sizeAverage``, the default), for
    log-probabilities ``x`` ``(batch, nClasses)`` (or ``(nClasses,)``) and ``target = [targetP, targetIdx]``, each
    ``(batch, K)`` (or ``(K,)``): K probabilities and their 0-based classes, no class twice in a row.
    gradInput is ``-p[i, j]`` (over the batch) at ``(i, idx[i, j])``, zero elsewhere (SparseNLLCriterion.cpp).
    With ``do_target_check`` (default) each row of targetP must sum to 1 within 1e-3.
    The loss is a number (the Lua's is a 1-element tensor).
    """

    input_ranks = (1, 2)

    def __init__(self, K):
        super().__init__()
        self.K = K
        self.do_target_check = True
        self.sizeAverage = True

    def _target(self, input, target):
        """(rows, probabilities, int64 class indices), each ``(batch, K)`` arrays, after the checks."""
        self.checkInput(input)
        if not isinstance(target, (list, tuple)) or len(target) != 2:
            raise input_error(self, "a target [targetP, targetIdx]", f"a {type(target).__name__}", TypeError)
        probs, idx = target
        self.checkSameType(probs, input, 'targetP')
        batch = input.size(0) if input.dim() == 2 else 1
        if probs.nElement() != idx.nElement() or probs.nElement() % batch or probs.dim() != input.dim():
            raise input_error(self, f"targetP and targetIdx of one size, {batch} rows",
                              f"sizes {tuple(probs.size())} and {tuple(idx.size())}")
        k = probs.nElement() // batch
        classes = self.checkIndices(idx, input.size(-1), 'targetIdx', input.xp).reshape(batch, k)
        p = probs.array.reshape(batch, k)
        if self.do_target_check and batch and float(abs(p.sum(axis=1) - 1).max()) > 1e-3:
            raise ValueError(f"{self.shortName()}: expected targetP rows that are probability vectors (summing "
                             "to 1; set do_target_check = False to allow others), got row sums "
                             f"{p.sum(axis=1).tolist()}")
        return input.xp.arange(batch)[:, None], p, classes

    def updateOutput(self, input, target):
        rows, p, classes = self._target(input, target)
        x = input.array.reshape(rows.shape[0], -1)
        self.output = loss_scalar((x[rows, classes] * p).sum(), rows.shape[0] if self.sizeAverage else 1, -1)
        return self.output

    def updateGradInput(self, input, target):
        rows, p, classes = self._target(input, target)
        grad = self.bufferLike('gradInput', input)
        grad[...] = 0
        grad.reshape(rows.shape[0], -1)[rows, classes] = -p / (rows.shape[0] if self.sizeAverage else 1)
        return self.gradInput
