"""Stand-in for the ``hash`` rock that tilecoding.lua requires (a C binding that hashes a tensor's memory; not part
of Torch7): ``hash.hash(tensor)`` is a deterministic non-negative integer of the tensor's values. Its numbers are not
the rock's, so the tile indices differ from Torch7's; equal tensors hash equal and unequal ones almost surely not,
which is what tilecoding relies on."""
import zlib

import numpy as np


def hash(tensor):
    return zlib.crc32(np.ascontiguousarray(tensor.double().numpy(), dtype=np.float64).tobytes())
