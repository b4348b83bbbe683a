"""rnnlib/env.lua: the package table every rnnlib file adds its functions to (``rnnlib.cell``, ``rnnlib.make``,
``rnnlib.makeRecurrent``, ...). A namespace object stands for the Lua table."""
import types

rnnlib = types.SimpleNamespace()
