"""Criterions built from criterions and modules: ParallelCriterion, MultiCriterion,
CriterionTable, ModuleCriterion, SpatialAutoCropMSECriterion."""
from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.base.nn_utils import utils
from ..tensor import Tensor
from ..tensor.introspection import typename as lua_typename
from .criterion import Criterion
from .mse import MSECriterion


def _weighted_copy(dst, src, weight):
    """``weight * src`` into ``dst`` (a tensor or nested list reused when shapes allow); returns it."""
    if isinstance(src, list):
        dst = dst if isinstance(dst, list) and len(dst) == len(src) else [None] * len(src)
        return [_weighted_copy(d, s, weight) for d, s in zip(dst, src)]
    if type(dst) is not type(src):
        dst = src.new()
    dst.resizeAs(src)
    src.xp.multiply(src.array, weight, out=dst.array)
    return dst


def _add_weighted(dst, src, weight):
    if isinstance(src, list):
        for d, s in zip(dst, src):
            _add_weighted(d, s, weight)
    else:
        dst.array += weight * src.array


class _CriterionList(Criterion):
    """Criterions with weights, added by ``add(criterion, weight=1)``."""

    def __init__(self):
        super().__init__()
        self.criterions, self.weights = [], []

    def _targets(self, target):
        return target   # each criterion reads its own target (labels stay labels)

    def add(self, criterion, weight=1):
        if not isinstance(criterion, Criterion):
            raise TypeError(f"{type(self).__name__}.add: expected a criterion, got {type(criterion).__name__}")
        self.criterions.append(criterion)
        self.weights.append(weight)
        return self

    def __repr__(self):
        inner = ''.join(f"\n  ({i}) {w:g} * {c!r}" for i, (c, w) in enumerate(zip(self.criterions, self.weights)))
        return f"{lua_typename(self)}{inner}"


class ParallelCriterion(_CriterionList):
    """loss = sum_i w_i criterion_i(input[i], target[i]) over a list input.

    ``ParallelCriterion(repeatTarget=False)``; with ``repeatTarget`` every criterion gets the
    same target. ``gradInput`` is the list of each criterion's gradInput times its weight. As
    ParallelCriterion.lua, the input (and target) may hold more entries than there are criterions:
    the extra ones add nothing to the loss and get zero gradients.
    """

    def __init__(self, repeatTarget=False):
        super().__init__()
        self.repeatTarget = repeatTarget
        self.gradInput = []

    def _pairs(self, input, target):
        n = len(self.criterions)
        if not isinstance(input, list) or len(input) < n:
            got = f"a list of {len(input)}" if isinstance(input, list) else type(input).__name__
            raise input_error(self, f"a list of at least {n} inputs (one per criterion)", got, TypeError)
        if not self.repeatTarget and (not isinstance(target, list) or len(target) < n):
            got = f"a list of {len(target)}" if isinstance(target, list) else type(target).__name__
            raise input_error(self, f"a list of at least {n} targets (or repeatTarget=True)", got, TypeError)
        return [(x, c._targets(target if self.repeatTarget else target[i]))
                for i, (c, x) in enumerate(zip(self.criterions, input))]

    def updateOutput(self, input, target):
        self.output = sum(w * c.updateOutput(x, t)
                          for c, w, (x, t) in zip(self.criterions, self.weights, self._pairs(input, target)))
        return self.output

    def updateGradInput(self, input, target):
        pairs = self._pairs(input, target)
        old = self.gradInput if len(self.gradInput) == len(input) else [None] * len(input)
        grads = [_weighted_copy(g, c.updateGradInput(x, t), w)
                 for g, c, w, (x, t) in zip(old, self.criterions, self.weights, pairs)]
        # the entries no criterion scores: zeros shaped like them
        extra = [utils.recursiveFill(utils.recursiveResizeAs(g, x)[0], 0)
                 for g, x in zip(old[len(pairs):], input[len(pairs):])]
        self.gradInput = grads + extra
        return self.gradInput


class MultiCriterion(_CriterionList):
    """loss = sum_i w_i criterion_i(input, target): several losses of the same input and target.
    ``gradInput`` is the weighted sum of their gradients."""

    def updateOutput(self, input, target):
        self.output = sum(w * c.updateOutput(input, c._targets(target))
                          for c, w in zip(self.criterions, self.weights))
        return self.output

    def updateGradInput(self, input, target):
        if not self.criterions:
            # MultiCriterion.lua resizes gradInput as the input and fills it with 0 before adding each criterion's
            self.gradInput = utils.recursiveFill(utils.recursiveResizeAs(self.gradInput, input)[0], 0)
            return self.gradInput
        grads = [c.updateGradInput(input, c._targets(target)) for c in self.criterions]
        self.gradInput = _weighted_copy(self.gradInput, grads[0], self.weights[0])
        for g, w in zip(grads[1:], self.weights[1:]):
            _add_weighted(self.gradInput, g, w)
        return self.gradInput


class CriterionTable(Module):
    """A criterion as a module whose input is the list ``[input, target]`` and whose output is the loss.

    ``CriterionTable(criterion)``. ``gradInput`` is ``[d loss / d input, zeros like the
    target]`` (Torch7 returns only the first; the second keeps the table's shape for
    containers). ``gradOutput`` is ignored, as in Torch7.
    """
    input_dtypes = 'any'  # the table carries targets (labels may be integers)

    def __init__(self, criterion):
        super().__init__()
        if not isinstance(criterion, Criterion):
            raise TypeError(f"CriterionTable: expected a criterion, got {type(criterion).__name__}")
        self.criterion = criterion
        self.gradInput = []

    def _split(self, input):
        if not isinstance(input, list) or len(input) != 2:
            got = f"a list of {len(input)}" if isinstance(input, list) else type(input).__name__
            raise input_error(self, "a list [input, target]", got, TypeError)
        return input

    def updateOutput(self, input):
        x, t = self._split(input)
        self.output = self.criterion.updateOutput(x, t)
        return self.output

    def updateGradInput(self, input, gradOutput=None):
        x, t = self._split(input)
        grad = self.criterion.updateGradInput(x, t)
        zero = t.new().resizeAs(t).zero() if isinstance(t, Tensor) else None
        self.gradInput = [grad, zero]
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.criterion!r})"


class ModuleCriterion(Criterion):
    """criterion(inputModule(input), targetModule(target)): modules applied before the loss.

    ``ModuleCriterion(criterion, inputModule=None, targetModule=None, castTarget=True)``.
    ``gradInput`` is backpropagated through ``inputModule`` (whose parameters receive no
    update, as in Torch7). With ``castTarget=False``, ``type()`` leaves ``targetModule`` alone.
    """

    def __init__(self, criterion, inputModule=None, targetModule=None, castTarget=True):
        super().__init__()
        if not isinstance(criterion, Criterion):
            raise TypeError(f"ModuleCriterion: expected a criterion, got {type(criterion).__name__}")
        self.criterion, self.inputModule, self.targetModule = criterion, inputModule, targetModule
        self.castTarget = castTarget

    def _targets(self, target):
        return target   # the target module or the criterion reads it

    def checkContract(self, input, what='input', floating=None, declared=True):
        # a target module takes the target as it comes, as ModuleCriterion.lua's: dp's nn.Convert() there
        # brings a CPU LongTensor of labels to a CUDA criterion; that module checks what it can take
        if what == 'target' and self.targetModule is not None:
            return
        super().checkContract(input, what, floating, declared)

    def _mapped(self, input, target):
        x = self.inputModule.forward(input) if self.inputModule is not None else input
        t = self.targetModule.forward(target) if self.targetModule is not None else self.criterion._targets(target)
        return x, t

    def updateOutput(self, input, target):
        # kept for the backward, as ModuleCriterion.lua's self.input/self.target: mapping again would draw a
        # random inputModule's noise anew and step a stateful one twice
        self._forwarded = self._mapped(input, target)
        self.output = self.criterion.updateOutput(*self._forwarded)
        return self.output

    def updateGradInput(self, input, target):
        x, t = self.__dict__.get('_forwarded') or self._mapped(input, target)
        grad = self.criterion.updateGradInput(x, t)
        if self.inputModule is not None:
            grad = self.inputModule.updateGradInput(input, grad)
        self.gradInput = grad
        return self.gradInput

    def clearState(self, *names):
        self.__dict__.pop('_forwarded', None)
        return super().clearState(*names)

    def type(self, typename=None, cache=None):
        if typename is not None:
            self.__dict__.pop('_forwarded', None)   # the next forward maps the input again, in the new type
        if typename is None or self.castTarget or self.targetModule is None:
            return super().type(typename, cache)
        target_module, self.targetModule = self.targetModule, None
        try:
            return super().type(typename, cache)
        finally:
            self.targetModule = target_module

    def __repr__(self):
        return f"{lua_typename(self)}({self.criterion!r})"


class SpatialAutoCropMSECriterion(MSECriterion):
    """MSE between an image input and the centre crop of a larger (or equal) target to the input's size.

    ``SpatialAutoCropMSECriterion(sizeAverage=True)``; input and target ``(C, H, W)`` or
    ``(N, C, H, W)``, the target at least as high and wide as the input; the crop starts at
    ``(H_t - H) // 2`` and ``(W_t - W) // 2``. ``gradInput`` has the input's size.
    """

    input_ranks = (3, 4)

    def _cropped(self, input, target):
        self.checkInput(input)
        if not isinstance(target, Tensor) or target.dim() != input.dim():
            got = f"{target.dim()}-D" if isinstance(target, Tensor) else type(target).__name__
            raise input_error(self, f"a {input.dim()}-D target like the input", got)
        h, w = input.size(-2), input.size(-1)
        th, tw = target.size(-2), target.size(-1)
        if th < h or tw < w or target.size()[:-2] != input.size()[:-2]:
            raise input_error(self, f"a target of size {tuple(input.size())[:-2]} x (>= {h}) x (>= {w})",
                              f"size {tuple(target.size())}")
        top, left = (th - h) // 2, (tw - w) // 2
        return target.narrow(-2, top, h).narrow(-1, left, w)

    def updateOutput(self, input, target):
        return super().updateOutput(input, self._cropped(input, target))

    def updateGradInput(self, input, target):
        return super().updateGradInput(input, self._cropped(input, target))
