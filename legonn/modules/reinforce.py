"""dpnn's REINFORCE modules (Williams, 1992): stochastic units whose forward draws a sample and whose backward
gives -reward * d ln f(sample | input) / d input, ignoring gradOutput. A reward criterion (VRClassReward)
hands the reward to every module of a network with ``module.reinforce(reward)`` before backward."""
import numbers

from ..tensor import Tensor
from ..tensor.random import generator
from ..tensor.special import digamma
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module

# Reinforce{Normal,Categorical}.lua's guards against a division by zero
_STDEV_EPS = 1e-8
_PROB_EPS = 1e-8


class Reinforce(Module):
    """``Reinforce(stochastic=False)``: the base of the REINFORCE modules (Reinforce.lua). Alone it is the
    identity forward (its output is its input's storage) and gives the reward, broadcast to the input's size,
    as gradInput. ``stochastic`` true keeps sampling in evaluation; false samples only in training (evaluation
    then uses the distribution's mode or mean). ``reinforce(reward)`` stores ``reward``, a 1-D tensor with one
    value per example of the batch (or one value for a single example)."""

    reads_grad_output = False  # backward never reads gradOutput

    def __init__(self, stochastic=False):
        super().__init__()
        self.stochastic = stochastic

    def reinforce(self, reward):
        super().reinforce(reward)
        self.reward = reward
        return self

    def _sampling(self):
        return bool(self.stochastic) or self.train is not False

    def updateOutput(self, input):
        self.checkTensor(input)
        self.output.set(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        reward = self.rewardAs(input)
        self.gradInput.resizeAs(reward).copy(reward)
        return self.gradInput

    def rewardAs(self, input):
        """The reward as a view of ``input``'s size: example i's reward over all of input row i (a batch of
        ``reward.size(0)`` rows), or the one reward over all of an input that is a single example."""
        reward = self.__dict__.get('reward')
        if not isinstance(reward, Tensor):
            raise input_error(self, "a reward given by reinforce(reward) before backward", "none", RuntimeError)
        if reward.dim() != 1:
            raise input_error(self, "a 1-D reward (one value per example)", f"size {tuple(reward.size())}")
        if reward._cuda != input._cuda:
            raise input_error(self, f"a reward on the input's device ({input.type()})", reward.type(), TypeError)
        if input.isSameSizeAs(reward):
            return reward
        if input.dim() == 0 or reward.size(0) != input.size(0):
            # Reinforce.lua reads the input as one example (online mode): one reward for all of it
            if reward.size(0) != 1:
                raise input_error(self, f"a reward of {input.size(0) if input.dim() else 1} values (one per row "
                                  f"of the input of size {tuple(input.size())}) or of 1 value (one example)",
                                  f"{reward.size(0)} values")
            return reward.view(*([1] * input.dim())).expandAs(input)
        return reward.view(reward.size(0), *([1] * (input.dim() - 1))).expandAs(input)

    def _times_minus_reward(self, grad, like):
        """grad *= -reward (as ``like``'s size): gradient descent on the expected reward."""
        grad.array[...] *= -self.rewardAs(like).array
        return grad

    def __repr__(self):
        return f"{lua_typename(self)}"


def _parameter_pair(module, input, own, names):
    """(first, second) of a module whose input is ``first`` with ``own`` (a constructor argument) as the
    second parameter, or the table ``{first, second}`` (then ``own`` is None)."""
    if isinstance(input, list):
        module.checkTable(input, length=2)
        first, second = input
        module.checkTensor(first, what=f"{names[0]} (input[0])", floating=True)
        module.checkTensor(second, what=f"{names[1]} (input[1])", floating=True)
        if second._size != first._size:
            raise input_error(module, f"input[1] ({names[1]}) of input[0]'s size {tuple(first.size())}",
                              tuple(second.size()))
        return first, second
    module.checkTensor(input, what=f"{names[0]} input", floating=True)
    if own is None:
        raise input_error(module, f"a table {{{names[0]}, {names[1]}}} (no {names[1]} was given to the "
                          "constructor)", "a tensor", TypeError)
    return input, own


def _broadcast(module, value, like, name):
    """A tensor ``value`` as an array broadcastable to ``like``: of its size, or one row shared by every row
    of a batch (a tensor with one dimension fewer). A number stays a number."""
    if isinstance(value, numbers.Number):
        return value
    if value._cuda != like._cuda:
        raise input_error(module, f"a {name} on the input's device ({like.type()})", value.type(), TypeError)
    if value._size == like._size or value.dim() + 1 == like.dim() and value._size == like._size[1:]:
        return value.array
    raise input_error(module, f"a {name} of the input's size {tuple(like.size())} or of its row's size "
                      f"{tuple(like.size())[1:]}", tuple(value.size()))


def _check_positive_number(owner, name, value):
    if value is not None and not isinstance(value, Tensor) and (
            isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0):
        raise ValueError(f"{owner}: {name} must be a positive number, a tensor or None, got {value!r}")
    return value


class _TwoParameterReinforce(Reinforce):
    """The base of ReinforceNormal and ReinforceGamma, whose distributions have two parameters: the input is the
    first, the second is the constructor argument ``own`` or, when that is None, input[1] of a table input.
    The subclass's ``parameter_names`` (first, second) name them in errors; the argument is kept as the attribute
    named ``second``."""

    def __init__(self, own, stochastic):
        super().__init__(stochastic)
        name = self.parameter_names[1]
        setattr(self, name, _check_positive_number(type(self).__name__, name, own))
        if own is None:
            self.gradInput = [self.gradInput.new(), self.gradInput.new()]

    def _pair(self, input):
        """(first, second, second as an array or number broadcastable to first)."""
        first, second = _parameter_pair(self, input, getattr(self, self.parameter_names[1]), self.parameter_names)
        return first, second, _broadcast(self, second, first, self.parameter_names[1])

    def _set_gradInput(self, input, first, grad_first, second, grad_second):
        """gradInput = -reward times d ln f / d first (``grad_first``, an array of first's size) and, for a table
        input, times d ln f / d second (``grad_second(second's array)``, computed only then)."""
        table = isinstance(input, list)
        grad = self.gradInput[0] if table else self.gradInput
        grad.resizeAs(first).array[...] = grad_first
        self._times_minus_reward(grad, first)
        if table:
            grad = self.gradInput[1].resizeAs(second)
            grad.array[...] = grad_second(second.array)
            self._times_minus_reward(grad, second)
        return self.gradInput


class ReinforceNormal(_TwoParameterReinforce):
    """``ReinforceNormal(stdev=None, stochastic=False)``: input the means ``mu`` (any shape, batch first), or
    the table ``{mu, sigma}`` when no ``stdev`` is given; output one sample of N(mu, sigma^2) per element while
    sampling, ``mu`` itself otherwise (ReinforceNormal.lua). ``stdev`` is a number, a tensor of mu's size or
    one row of it. Backward: d/dmu = -reward (x - mu) / sigma^2 and, for a table input,
    d/dsigma = -reward ((x - mu)^2 - sigma^2) / (sigma^3 + 1e-8)."""

    parameter_names = ('mean', 'stdev')

    def __init__(self, stdev=None, stochastic=False):
        super().__init__(stdev, stochastic)

    def updateOutput(self, input):
        mean, _, sigma = self._pair(input)
        out = self.output.resizeAs(mean)
        if self._sampling():
            out.normal()
            out.array[...] *= sigma
            out.array[...] += mean.array
        else:
            out.copy(mean)
        return self.output

    def updateGradInput(self, input, gradOutput):
        mean, stdev, sigma = self._pair(input)
        self.checkForwardInput(input)
        diff = self.output.array - mean.array
        return self._set_gradInput(input, mean, diff / (sigma * sigma),
                                   stdev, lambda s: (diff * diff - s * s) / (s * s * s + _STDEV_EPS))


class _SampledTensorReinforce(Reinforce):
    """The base of ReinforceBernoulli and ReinforceCategorical, whose input is the one tensor of the
    distribution's parameters: forward writes a sample into the output (the subclass's ``_sample(input, out)``)
    while sampling and copies the input otherwise; backward is -reward times ``_score(p, x)``, d ln f(x | p) / dp
    for the input's array p and the output's x."""

    input_kind = 'tensor'

    def updateOutput(self, input):
        self.checkInput(input)
        out = self.output.resizeAs(input)
        if self._sampling():
            self._sample(input, out)
        else:
            out.copy(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkForwardInput(input)
        self.gradInput.resizeAs(input).array[...] = self._score(input.array, self.output.array)
        return self._times_minus_reward(self.gradInput, input)


class ReinforceBernoulli(_SampledTensorReinforce):
    """``ReinforceBernoulli(stochastic=False)``: input probabilities p (any shape, batch first); output 1 with
    probability p and 0 otherwise while sampling, p itself otherwise (ReinforceBernoulli.lua). Backward:
    -reward (x - p) / (p (1 - p))."""

    def _sample(self, input, out):
        u = generator(input._cuda).uniform(size=input._size)
        input.xp.less(u, input.array, out=out.array, casting='unsafe')

    def _score(self, p, x):
        return (x - p) / ((1 - p) * p)


class ReinforceCategorical(_SampledTensorReinforce):
    """``ReinforceCategorical(stochastic=False)``: input a batch of categorical distributions (batch x classes,
    rows of non-negative weights); output the one-hot encoding of one class drawn per row while sampling, the
    input itself otherwise (ReinforceCategorical.lua). Backward: -reward x / (p + 1e-8)."""

    input_ranks = (2,)

    def _sample(self, input, out):
        # multinomial refuses rows that are no distribution (the error then names this module)
        self._index = input.multinomial(1, True)
        out.zero().scatter(1, self._index, 1)

    def _score(self, p, x):
        return x / (p + _PROB_EPS)


class ReinforceGamma(_TwoParameterReinforce):
    """``ReinforceGamma(scale=None, stochastic=False)``: input the shapes k (positive, any shape, batch first),
    or the table ``{k, theta}`` when no ``scale`` is given; output one sample of Gamma(k, theta) per element
    while sampling, the mean k theta otherwise (ReinforceGamma.lua, which drew with randomkit; legonn draws
    with NumPy's or CuPy's gamma). ``scale`` is a number, a tensor of k's size or one row of it. Backward:
    d/dk = -reward (ln x - digamma(k) - ln theta) and, for a table input,
    d/dtheta = -reward (x / theta^2 - k / theta)."""

    parameter_names = ('shape', 'scale')

    def __init__(self, scale=None, stochastic=False):
        super().__init__(scale, stochastic)

    def _parameters(self, input):
        shape, scale, theta = self._pair(input)
        xp = shape.xp
        if not bool((shape.array > 0).all()) or not bool(xp.all(xp.asarray(theta) > 0)):
            raise input_error(self, "positive shapes and scales", "a value <= 0")
        return shape, scale, theta

    def updateOutput(self, input):
        shape, _, theta = self._parameters(input)
        out = self.output.resizeAs(shape)
        if self._sampling():
            out.array[...] = generator(shape._cuda).gamma(shape.array, theta, size=shape._size)
        else:
            out.array[...] = shape.array * theta
        return self.output

    def updateGradInput(self, input, gradOutput):
        shape, scale, theta = self._parameters(input)
        self.checkForwardInput(input)
        xp = shape.xp
        x = self.output.array
        return self._set_gradInput(input, shape, xp.log(x) - digamma(shape.array, xp) - xp.log(theta),
                                   scale, lambda theta: x / (theta * theta) - shape.array / theta)
