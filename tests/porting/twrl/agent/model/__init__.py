"""src/agent/model/init.lua of twitter-archive/torch-twrl (MIT licence, Twitter)."""
from . import mlp, noModel, qFunction, tilecoding  # noqa: F401
