"""The flat namespace users import, like Lua's ``nn.*``: every module, container,
criterion (and nngraph's gModule), plus the helpers ``nn.Jacobian``,
``nn.SparseJacobian``, the trainer ``nn.StochasticGradient``, the connection
tables ``nn.tables.full/oneToOne/random`` of SpatialConvolutionMap and
``nn.utils.recursiveType``, torch/nn's ``nn.hessian`` (``enable()`` a no-op: the diagonal-Hessian
methods are always defined), and the rnn package's ``nn.rnn.recursiveCopy`` ..., and torch/rnn's
text metrics ``nn.get_bleu``, ``nn.get_rougeN``, ``nn.get_rougeS``"""
import sys

from . import containers, criterions, modules  # noqa: F401  (importing registers every class)
from . import graph  # noqa: F401  (nngraph: gModule, ModuleFromCriterion, JustElement, JustTable)
from .modules.base import hessian
from .modules.base.jacobian import Jacobian
from .modules.base.nn_utils import rnn, utils
from .modules.base.sparse_jacobian import SparseJacobian
from .modules.base.text_metrics import get_bleu, get_rougeN, get_rougeS
from .modules.base.connection_tables import tables
from .modules.stochastic_gradient import StochasticGradient
from .modules.base.typed import registry
from .tensor.naming import LuaTablePackage

globals().update(registry)

# torch/nn's flag for the row-by-row draws of Linear.lua's reset (and of the convolutions' resets), read as
# ``if nn.oldSeed then``. torch/nn never sets it, so it is nil unless a program does; it exists here so a
# user's module ported from those files (MemNN's LinearNB.lua) reads it as in Lua. legonn's own resets do
# not read it: with one generator, drawing a row at a time gives the numbers of one draw over the weight.
oldSeed = None
__all__ = sorted(registry) + ['Jacobian', 'SparseJacobian', 'StochasticGradient', 'get_bleu', 'get_rougeN',
                              'get_rougeS', 'hessian', 'oldSeed', 'rnn', 'tables', 'utils']

# nn[name], as Lua reads its nn table by a name (LuaTablePackage)
sys.modules[__name__].__class__ = LuaTablePackage
