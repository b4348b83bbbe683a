"""rnnlib/make.lua: ``rnnlib.make(outerdim, model, hinitfn)``, the outer layer of a two-dimensional recurrent
network: a table of modules gives a SequenceTable (no weight sharing along the outer dimension), a module a
RecurrentTable (sharing), a cell function a RecurrentTable of its gModule.

argcheck's three overloads, chosen by the type of ``model`` ("table", "nn.Module", "function"), are one function
testing that type. ``outerdim`` is 0-based (SequenceTable's ``dim``).
"""
from legonn import nn

from .env import rnnlib
from .nn.RecurrentTable import RecurrentTable
from .nn.SequenceTable import SequenceTable


def make(outerdim, model, hinitfn=None):
    if isinstance(model, (list, tuple)):
        return SequenceTable(outerdim, model, hinitfn)
    if isinstance(model, nn.Module):
        return RecurrentTable(outerdim, model, hinitfn)
    if callable(model):
        return RecurrentTable(outerdim, rnnlib.cell.gModule(model), hinitfn)
    raise TypeError(f"rnnlib.make: expected a table of modules, an nn.Module or a cell function as model, "
                    f"got {type(model).__name__}")


rnnlib.make = make
