"""src/agent/learningUpdate/init.lua of twitter-archive/torch-twrl (MIT licence, Twitter)."""
from . import noLearning, reinforce, tdLambda, util  # noqa: F401
