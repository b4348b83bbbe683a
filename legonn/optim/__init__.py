"""legonn.optim: Torch7's optimisers behind the closure interface.

``x, fs = optim.<name>(opfunc, x, config, state)`` where ``opfunc(x)`` returns
``(f, df/dx)``; ``x`` is updated in place and ``state`` defaults to ``config``.
optim knows nothing about networks: it works on any floating tensor, CPU or
GPU, and on NumPy/CuPy arrays (wrapped without copying).
"""
from .sgd import sgd

__all__ = ['sgd']
