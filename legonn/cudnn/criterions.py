"""cudnn.torch's SpatialCrossEntropyCriterion and VolumetricCrossEntropyCriterion: a log-softmax over the
classes at every position followed by nn.SpatialClassNLLCriterion, for batches only."""
from .. import nn
from ..criterions.criterion import Criterion
from ..modules.base.errors import input_error
from .base import CudnnClass
from .softmax import SpatialLogSoftMax, fold_time_height


class SpatialCrossEntropyCriterion(CudnnClass, Criterion):
    """loss = SpatialClassNLL(SpatialLogSoftMax(x), t) (cudnn/SpatialCrossEntropyCriterion.lua).

    ``SpatialCrossEntropyCriterion(weights=None)``: ``input`` raw scores ``(N, nClasses, H, W)``, ``target``
    0-based labels ``(N, H, W)``; ``weights`` one per class. ``sizeAverage`` (True) is copied into ``nll`` on
    every call, as the Lua does. Its parts are ``slsm`` (a cudnn.SpatialLogSoftMax) and ``nll``.
    """

    takes_labels = True

    def __init__(self, weights=None):
        super().__init__()
        self.slsm = SpatialLogSoftMax()
        self.nll = nn.SpatialClassNLLCriterion(weights)
        self.sizeAverage = True

    def _check(self, input, target, rank=4):
        for what, t, n in (('input', input, rank), ('target', target, rank - 1)):
            if t.dim() != n:
                raise input_error(self, f"a {n}-D {what} (mini-batches only)", f"size {tuple(t.size())}")
        if input.size(0) != target.size(0) or tuple(input.size())[2:] != tuple(target.size())[1:]:
            raise input_error(self, f"a target of size {(input.size(0),) + tuple(input.size())[2:]} (the input's "
                              "batch and positions)", f"size {tuple(target.size())}")

    def updateOutput(self, input, target):
        self._check(input, target)
        self.nll.sizeAverage = self.sizeAverage
        self.output = self.nll.updateOutput(self.slsm.updateOutput(input), target)
        return self.output

    def updateGradInput(self, input, target):
        self._check(input, target)
        self.nll.updateGradInput(self.slsm.output, target)
        self.gradInput = self.slsm.updateGradInput(input, self.nll.gradInput)
        return self.gradInput


class VolumetricCrossEntropyCriterion(CudnnClass, Criterion):
    """loss of ``scec`` (a cudnn.SpatialCrossEntropyCriterion) on the input with time and height folded into
    one axis (cudnn/VolumetricCrossEntropyCriterion.lua).

    ``VolumetricCrossEntropyCriterion(weights=None)``: ``input`` ``(N, nClasses, T, H, W)``, ``target`` 0-based
    labels ``(N, T, H, W)``; set ``scec.sizeAverage`` to sum instead of average, as in the Lua.
    """

    takes_labels = True

    def __init__(self, weights=None):
        super().__init__()
        self.scec = SpatialCrossEntropyCriterion(weights)

    def updateOutput(self, input, target):
        SpatialCrossEntropyCriterion._check(self, input, target, 5)
        self.output = self.scec.updateOutput(fold_time_height(input), fold_time_height(target))
        return self.output

    def updateGradInput(self, input, target):
        SpatialCrossEntropyCriterion._check(self, input, target, 5)
        self.gradInput = self.scec.updateGradInput(fold_time_height(input), fold_time_height(target)).view(input.size())
        return self.gradInput
