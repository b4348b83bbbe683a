"""src/agent/model/tilecoding.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line (based on
Sutton's tiles3). ``tiling`` is a count the hashed coordinates hold as a value, not an index: it runs 1..numTilings as
in the Lua. ``require 'hash'`` is hash.py, the rock's XXH64 hash written in Python (see its docstring); ``math.randomseed(1337)`` is
``random.seed(1337)`` (docs/porting.md's math.random row), run when the module loads, as the Lua file's top line."""
import math
import random

import legonn as lg

from ... import hash

random.seed(1337)


def tilecoding(opt):
    # Set a random seed for consistent hashing
    tc = {}

    def tiles(memorySize, numTilings, floats, ints=None):
        ints = ints or []
        Tiles = []
        qfloats = []
        coords = []
        for i in range(len(floats)):
            qfloats.append(math.floor(floats[i] * numTilings))
        # for each tiling
        for tiling in range(1, numTilings + 1):
            tilingX2 = tiling * 2
            coords = [tiling]
            b = tiling
            # building hashable float to coords
            for q in range(len(qfloats)):
                coords.append(math.floor((qfloats[q] + b) / numTilings))
                b = b + tilingX2
            # extend hashable coords with ints
            for i in range(len(ints)):
                coords.append(ints[i])
            feature = hash.hash(lg.Tensor(coords)) % memorySize
            Tiles.append(feature)
        return Tiles
    tc['tiles'] = tiles
    return tc


getModel = tilecoding
