"""src/agent/policy/init.lua of twitter-archive/torch-twrl (MIT licence, Twitter): the policies by name."""
from . import actionSamplers, egreedy as _egreedy, random as _random, stochasticModelPolicy

egreedy = _egreedy.getPolicy
normal = stochasticModelPolicy.getStochasticModelPolicy({
    'actionSampler': actionSamplers.normal
})
categorical = stochasticModelPolicy.getStochasticModelPolicy({
    'actionSampler': actionSamplers.categorical
})
random = _random.getPolicy
