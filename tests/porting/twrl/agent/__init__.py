"""src/agent/init.lua of twitter-archive/torch-twrl (MIT licence, Twitter): the agent package."""
from . import baseAgent, learningUpdate, model, policy  # noqa: F401
