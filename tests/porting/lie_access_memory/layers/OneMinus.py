"""layers/OneMinus.lua: ``function nn.OneMinus()``, a function the Lua assigns into the ``nn`` table; here a function
of the port (docs/porting.md's ``function torch.find`` row): ``OneMinus()(node)`` is the node ``1 - node``, nnx's
Minus of AddConstant(-1)."""
from legonn import nn


def OneMinus():
    return lambda layer: nn.Minus()(nn.AddConstant(-1)(layer))
