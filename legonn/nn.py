"""The flat namespace users import, like Lua's ``nn.*``: every module, container,
criterion (and nngraph's gModule), plus the helpers ``nn.Jacobian``,
``nn.SparseJacobian``, the trainer ``nn.StochasticGradient``, the connection
tables ``nn.tables.full/oneToOne/random`` of SpatialConvolutionMap and
``nn.utils.recursiveType``, torch/nn's ``nn.hessian`` (``enable()`` a no-op: the diagonal-Hessian
methods are always defined), and the rnn package's ``nn.rnn.recursiveCopy`` ..."""
from . import containers, criterions, modules  # noqa: F401  (importing registers every class)
from . import graph  # noqa: F401  (nngraph: gModule, ModuleFromCriterion, JustElement, JustTable)
from .modules.base import hessian
from .modules.base.jacobian import Jacobian
from .modules.base.nn_utils import rnn, utils
from .modules.base.sparse_jacobian import SparseJacobian
from .modules.base.connection_tables import tables
from .modules.stochastic_gradient import StochasticGradient
from .modules.base.typed import registry

globals().update(registry)
__all__ = sorted(registry) + ['Jacobian', 'SparseJacobian', 'StochasticGradient', 'hessian', 'rnn', 'tables', 'utils']
