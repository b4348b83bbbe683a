"""jnhwkim/cbp (Compact Bilinear Pooling for Torch7 nn, BSD-3-Clause licence) ported line by line; the test file
is tests/porting/test_cbp.py. init.lua's ``torch.include`` lines are the imports below: CompactBilinearPooling.lua
and SignedSquareRoot.lua register ``nn.CompactBilinearPooling`` and ``nn.SignedSquareRoot`` (as the Lua's
``torch.class('nn.X', ...)`` does; legonn's nn has neither name), test/test.lua is test.py. The classes are registered under those names (``lg.register``), so that ``lg.load`` reads the
modules MulLowBiVQA's MCB saves; the Lua's ``nn.CompactBilinearPooling(...)`` calls name the classes
(docs/porting.md's ``torch.class('nn.MyLayer', 'nn.Module')`` row): legonn's nn namespace is not extended.
CompactBilinearPooling.lua never calls its parent's ``__init``, as the port (legonn's Module works without it).
"""
import legonn as lg

from .CompactBilinearPooling import CompactBilinearPooling
from .SignedSquareRoot import SignedSquareRoot

# init.lua: `cbp = {}`, `cbp.version = 1`, `nn.cbp = cbp` (the Lua's global table is this package)
version = 1
lg.register(CompactBilinearPooling, 'nn.CompactBilinearPooling')
lg.register(SignedSquareRoot, 'nn.SignedSquareRoot')
