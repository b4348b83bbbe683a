"""jnhwkim/cbp (Compact Bilinear Pooling for Torch7 nn, BSD-3-Clause licence) ported line by line; the test file
is tests/porting/test_cbp.py. init.lua's ``torch.include`` lines are the imports below: CompactBilinearPooling.lua
and SignedSquareRoot.lua register ``nn.CompactBilinearPooling`` and ``nn.SignedSquareRoot`` (as the Lua's
``torch.class('nn.X', ...)`` does; legonn's nn has neither name), test/test.lua is test.py.
"""
from legonn import nn

from .CompactBilinearPooling import CompactBilinearPooling
from .SignedSquareRoot import SignedSquareRoot

# init.lua: `cbp = {}`, `cbp.version = 1`, `nn.cbp = cbp` (the Lua's global table is this package)
version = 1
nn.CompactBilinearPooling = CompactBilinearPooling
nn.SignedSquareRoot = SignedSquareRoot
