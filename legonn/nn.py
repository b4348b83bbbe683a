"""The flat namespace users import, like Lua's ``nn.*``: every module, container,
criterion (and nngraph's gModule), plus the helpers ``nn.Jacobian``,
``nn.SparseJacobian``, the trainer ``nn.StochasticGradient``, the connection
tables ``nn.tables.full/oneToOne/random`` of SpatialConvolutionMap and
``nn.utils.recursiveType``."""
from . import containers, criterions, modules  # noqa: F401  (importing registers every class)
from . import graph  # noqa: F401  (nngraph: gModule, ModuleFromCriterion, JustElement, JustTable)
from .modules.jacobian import Jacobian
from .modules.nn_utils import utils
from .modules.sparse_jacobian import SparseJacobian
from .modules.spatial_convolution_map import tables
from .modules.stochastic_gradient import StochasticGradient
from .modules.typed import registry

globals().update(registry)
__all__ = sorted(registry) + ['Jacobian', 'SparseJacobian', 'StochasticGradient', 'tables', 'utils']
