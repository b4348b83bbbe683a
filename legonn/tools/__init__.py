"""legonn.tools: what Torch7 users reached for add-ons to get.

``memoryUsage(model)`` reports the bytes a model holds; ``optimizeMemory(model, input, mode)`` lets
buffers whose lifetimes never overlap share storage (fmassa's optnet) and ``removeOptimization``
undoes it; ``debug.watch(model)`` stops at the first NaN or Inf and names the module; ``summary(model,
input)`` tabulates every module's output size, parameters, FLOPs and buffer memory.
"""
from . import debug
from .buffers import memoryUsage
from .optimize_memory import optimizeMemory, removeOptimization
from .summary import Summary, summary

__all__ = ['debug', 'memoryUsage', 'optimizeMemory', 'removeOptimization', 'summary', 'Summary']
