"""legonn.optim: Torch7's optimisers behind the closure interface.

``x, fs = optim.<name>(opfunc, x, config, state)`` where ``opfunc(x)`` returns
``(f, df/dx)``; ``x`` is updated in place and ``state`` defaults to ``config``.
optim knows nothing about networks: it works on any floating tensor, CPU or
GPU, and on NumPy/CuPy arrays (wrapped without copying). Also here:
``checkgrad``, ``ConfusionMatrix`` and ``Logger``. optim imports only the tensor
package; the top-level ``legonn`` registers ConfusionMatrix with serialization.
"""
import sys

from ..tensor.naming import LuaTablePackage
from .adadelta import adadelta
from .adagrad import adagrad
from .adam import adam
from .adamax import adamax
from .asgd import asgd
from .cg import cg
from .checkgrad import checkgrad
from .cmaes import cmaes
from .confusion import ConfusionMatrix
from .de import de
from .fista import FistaLS, fista
from .lbfgs import lbfgs
from .logger import Logger
from .lswolfe import lswolfe
from .nag import nag
from .polyinterp import polyinterp
from .rmsprop import rmsprop
from .rprop import rprop
from .sgd import sgd

__all__ = ['sgd', 'asgd', 'nag', 'adagrad', 'adadelta', 'adam', 'adamax', 'rmsprop', 'rprop', 'lbfgs', 'lswolfe',
           'polyinterp', 'cg', 'FistaLS', 'fista', 'cmaes', 'de', 'checkgrad', 'ConfusionMatrix', 'Logger']

# optim[opt.optimiser], as Lua reads its optim table by a name (LuaTablePackage)
sys.modules[__name__].__class__ = LuaTablePackage
