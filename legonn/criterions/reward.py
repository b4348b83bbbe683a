"""dpnn's variance-reduced reward criterions for REINFORCE: VRClassReward and BinaryClassReward.

The input is the table ``{prediction, baseline}``. The reward is ``scale`` for each example classified right
and 0 otherwise; the loss is minus its sum (its mean with ``sizeAverage``). Backward hands the
variance-reduced reward ``reward - baseline`` (divided by the batch size with ``sizeAverage``) to every
REINFORCE module of ``module`` with ``module.reinforce``, gives the prediction a zero gradient and trains the
baseline towards the reward with ``criterion`` (MSECriterion by default)."""
from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.base.table_buffers import slot
from ..tensor import Tensor
from ..tensor.introspection import typename as lua_typename
from .criterion import Criterion
from .mse import MSECriterion


class _RewardCriterion(Criterion, abstract=True):
    """What VRClassReward and BinaryClassReward share: the constructor, the backward and type()."""

    input_kind = 'table'

    def __init__(self, module, scale=1, criterion=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(module, Module):
            raise TypeError(f"{name}: module must be an nn module (the one whose REINFORCE modules get the "
                            f"reward), got {type(module).__name__}")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)):
            raise ValueError(f"{name}: scale must be a number, got {scale!r}")
        if criterion is not None and not isinstance(criterion, Criterion):
            raise TypeError(f"{name}: criterion must be a criterion, got {type(criterion).__name__}")
        self.module = module
        self.scale = scale
        self.criterion = MSECriterion() if criterion is None else criterion
        self.sizeAverage = True
        self.gradInput = [self.gradInput]

    def _pair(self, input):
        """(prediction, baseline) of the table input, both tensors."""
        self.checkTable(input, length=2)
        prediction, baseline = input
        self.checkTensor(prediction, what='prediction (input[0])', floating=True)
        self.checkTensor(baseline, what='baseline (input[1])', floating=True)
        return prediction, baseline

    def _set_reward(self, hits, prediction, batch):
        """reward = scale * hits (one boolean per example) in the prediction's type; returns the loss."""
        reward = self.__dict__.get('reward')
        self.reward = reward if type(reward) is type(prediction) else prediction.new()
        self.reward.resize(batch).array[...] = hits.reshape(-1) * self.scale
        total = -float(self.reward.array.sum())
        self.output = total / batch if self.sizeAverage else total
        return self.output

    def updateGradInput(self, input, target):
        prediction, baseline = self._pair(input)
        reward = self.__dict__.get('reward')
        if not isinstance(reward, Tensor) or reward.nElement() != baseline.nElement():
            raise input_error(self, "a forward on this input before backward, and a baseline of one value per "
                              "example", f"a baseline of {baseline.nElement()} values for "
                              f"{reward.nElement() if isinstance(reward, Tensor) else 'no'} rewards")
        if type(self.__dict__.get('vrReward')) is not type(reward):
            self.vrReward = reward.new()
        self.vrReward.resizeAs(reward).copy(reward)
        self.vrReward.array[...] -= baseline.array.reshape(reward.array.shape)
        if self.sizeAverage:
            self.vrReward.array[...] /= reward.nElement()
        self.module.reinforce(self.vrReward)
        slot(self, 'gradInput', 0, prediction).zero()
        self.criterion.forward(baseline, reward)
        self.gradInput[1:] = [self.criterion.backward(baseline, reward)]
        return self.gradInput

    def type(self, typename=None, cache=None):
        # the module is converted with the network it belongs to, never by its reward criterion (dpnn)
        module = self.__dict__.pop('module', None)
        try:
            return super().type(typename, cache)
        finally:
            if module is not None:
                self.module = module

    def __repr__(self):
        return f"{lua_typename(self)}"


class VRClassReward(_RewardCriterion):
    """``VRClassReward(module, scale=1, criterion=MSECriterion())`` (VRClassReward.lua): input
    ``{prediction, baseline}``, prediction of batch x classes (or classes, one example), baseline of one value
    per example; target the 0-based class labels. An example's reward is ``scale`` when its largest prediction
    (the first on ties) is its label."""

    takes_labels = True

    def updateOutput(self, input, target):
        prediction, _ = self._pair(input)
        scores = prediction.view(1, -1) if prediction.dim() == 1 else prediction
        self.checkTensor(scores, ranks=(2,), what='prediction (input[0])')
        self.checkLabels(scores, target, scores.size(1))
        xp = scores.xp
        hits = xp.argmax(scores.array, axis=1) == target.array.reshape(-1)
        return self._set_reward(hits, scores, scores.size(0))


class BinaryClassReward(_RewardCriterion):
    """``BinaryClassReward(module, scale=1, criterion=MSECriterion())`` (BinaryClassReward.lua): input
    ``{prediction, baseline}``, prediction a 1-D tensor of probabilities of class 1, baseline one value per
    example; target the 0/1 classes. An example's reward is ``scale`` when (prediction > 0.5) equals its target."""

    def updateOutput(self, input, target):
        prediction, _ = self._pair(input)
        self.checkTensor(prediction, ranks=(1,), what='prediction (input[0])')
        self.checkTensor(target, ranks=(1,), what='target')
        if target.nElement() != prediction.nElement():
            raise input_error(self, f"a target of {prediction.nElement()} classes (one per prediction)",
                              f"size {tuple(target.size())}")
        if target._cuda != prediction._cuda:
            raise input_error(self, f"a target on the prediction's device ({prediction.type()})", target.type(),
                              TypeError)
        hits = (prediction.array > 0.5) == target.array
        return self._set_reward(hits, prediction, prediction.size(0))
