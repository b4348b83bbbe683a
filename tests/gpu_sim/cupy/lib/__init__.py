"""cupy.lib on the host."""
from . import stride_tricks  # noqa: F401
