"""legonn: Torch7's nn world (tensors, modules, containers, criterions, nngraph,
optim, threads) on NumPy and CuPy. Indexing is 0-based everywhere."""
import importlib
import os
import sys as _sys   # not `sys`: legonn.sys is torch/sys's port (legonn/torch_sys.py)

if 'numpy' not in _sys.modules:
    # OpenBLAS reads this once, when NumPy loads it: its idle workers spin for 2^20 cycles (about 0.4 ms)
    # after a BLAS call, then sleep. Its default (2^28, about 0.1 s) took a core from legonn's own kernel
    # threads (legonn.tensor.parallel) between the GEMMs of every layer; much shorter (2^14) put the workers
    # to sleep between the per-step products of a recurrent net, and waking them cost more than the second
    # thread gave (bench/lstm.md, "OpenBLAS's idle timeout, again"). A value the user set is kept.
    os.environ.setdefault('OPENBLAS_THREAD_TIMEOUT', '20')

from .tensor import *  # noqa: F401,F403  (the tensor API is legonn's top level, as torch.* in Lua)
from .tensor import __all__ as _tensor_all

__version__ = '0.1.0'
__all__ = list(_tensor_all)

# --- persistence: lg.save / lg.load / lg.register (legonn.serialization imports only the tensor package at
# import time; the packages above it register their classes into it, and this top-level package, above them
# all, registers the import that makes them do so before a save or load looks a class up)
from .serialization import *  # noqa: F401,F403,E402  (save, load, serialize, ..., FormatError)
from .serialization import __all__ as _serialization_all  # noqa: E402
from .serialization.classes import factory, register_builtin, register_importer, setmetatable  # noqa: E402

__all__ += _serialization_all + ['factory', 'setmetatable']


def _import_saveable_packages():
    """Import nn (every Module and Criterion), graph, cudnn, inn and fbnn, which register the classes a file may
    name, and register optim's ConfusionMatrix (optim itself imports only the tensor package), the NoBackward step of
    dpnn's dontBackward, tds's containers (tds, too, imports only the tensor package) and torch.Generator."""
    for name in ('nn', 'graph', 'cudnn', 'inn', 'fbnn'):
        importlib.import_module(f'{__name__}.{name}')
    register_builtin('optim.ConfusionMatrix', importlib.import_module(f'{__name__}.optim').ConfusionMatrix)
    register_builtin('nn.NoBackward', importlib.import_module(f'{__name__}.modules.base.training').NoBackward)
    tds = importlib.import_module(f'{__name__}.tds')
    for cls in (tds.Hash, tds.Vec, tds.AtomicCounter):
        register_builtin(cls.typename, cls)
    register_builtin('torch.Generator', Generator)


register_importer(_import_saveable_packages)

# torch-level helpers ported code calls: torch.typename / torch.type / torch.isTensor, torch.multinomial,
# torch.Timer, torch.tic/toc, torch.CmdLine, torch.Tester/TestSuite, torch.LongStorage and the other typed storages
# (legonn.type answers Lua's type names for plain values, legonn.tostring Lua's tostring of any value)
from .tensor.introspection import (data, isStorage, isTensor, isTypeOf, pointer, torch_type as type,  # noqa: E402
                                   tostring, typename)
from .tensor.random import SCALAR_DRAWS  # noqa: E402
from .tensor.sampling import multinomial, multinomialAlias, multinomialAliasSetup  # noqa: E402
from .tensor.storage import TYPED_STORAGES  # noqa: E402
from .tensor.cmdline import CmdLine  # noqa: E402
from .tensor.timer import Timer, tic, toc  # noqa: E402
from .tensor.tester import Tester, TestSuite  # noqa: E402

globals().update(SCALAR_DRAWS)   # torch.random(), torch.uniform(a, b), torch.normal(mean, std), ...
globals().update({cls.__name__: cls for cls in TYPED_STORAGES})   # torch.FloatStorage(n), torch.LongStorage({...})
__all__ += ['typename', 'type', 'tostring', 'isTensor', 'isStorage', 'isTypeOf', 'pointer', 'data', 'multinomial',
            'multinomialAlias', 'multinomialAliasSetup', 'Timer', 'tic', 'toc',
            'CmdLine', 'Tester', 'TestSuite'] + \
    list(SCALAR_DRAWS) + [cls.__name__ for cls in TYPED_STORAGES]

# `lg.nn.Linear(...)` works after a bare `import legonn as lg`; the subpackages load on first use
_SUBPACKAGES = ('nn', 'optim', 'threads', 'graph', 'modules', 'containers', 'criterions', 'tools', 'cuda', 'cudnn',
                'cutorch', 'image', 'paths', 'xlua', 'dataload', 'hdf5', 'tds', 'inn', 'loadcaffe', 'torchnet',
                'nninit', 'sys', 'csvigo', 'cjson', 'optnet', 'gnuplot', 'mnist', 'pl', 'lfs', 'fbnn', 'trepl', 'ffi',
                'autograd', 'dok', 'audio', 'totem', 'distributions', 'matio')
# packages whose file has another name: legonn.sys (torch/sys) must not be a sys.py beside Python's sys
_RENAMED = {'sys': 'torch_sys'}
# the model tools (legonn.tools) at the top level: lg.debug.watch, lg.optimizeMemory, lg.summary, ...
_TOOLS = ('debug', 'memoryUsage', 'optimizeMemory', 'removeOptimization', 'summary')


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f'{__name__}.{_RENAMED.get(name, name)}')
    if name in _TOOLS:
        return getattr(importlib.import_module(f'{__name__}.tools'), name)
    raise AttributeError(f"module 'legonn' has no attribute {name!r}")
