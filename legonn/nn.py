"""The flat namespace users import, like Lua's ``nn.*``: every module, container,
criterion (and nngraph's gModule), plus ``nn.Jacobian``."""
from . import containers, criterions, modules  # noqa: F401  (importing registers every class)
from . import graph  # noqa: F401  (nngraph: gModule, ModuleFromCriterion, JustElement, JustTable)
from .modules.typed import registry

globals().update(registry)
__all__ = sorted(registry)

from .modules.jacobian import Jacobian  # noqa: E402  (a helper class, not a module)
from .modules.sparse_jacobian import SparseJacobian  # noqa: E402  (a helper class, not a module)
from .modules.stochastic_gradient import StochasticGradient  # noqa: E402  (a trainer, not a module)

__all__.append('Jacobian')
