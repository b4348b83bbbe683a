"""Stand-in for the ``hash`` rock that tilecoding.lua requires (a C library binding, not part of Torch7's
distribution), for the one call twrl makes: ``hash.hash(tensor)``. The rock's libhash_hash with no seed and no
modulo resets an XXH64 state with seed 0, feeds it the tensor's elements as they lie in memory (its
TH_TENSOR_APPLY over the contiguous chunks), and returns the digest modulo 2^53 (LH_MAX_MOD) as a Lua number.
``hash`` below computes the same: XXH64 (Yann Collet's xxHash, 64-bit variant, written here from its
specification) of the tensor's values in order, in the tensor's own element type (a DoubleTensor's 8-byte
little-endian doubles), modulo 2^53. So the tiles tilecoding.lua picks are Torch7's.
"""
import struct

import numpy as np

MASK = (1 << 64) - 1
PRIME1 = 0x9E3779B185EBCA87
PRIME2 = 0xC2B2AE3D27D4EB4F
PRIME3 = 0x165667B19E3779F9
PRIME4 = 0x85EBCA77C2B2AE63
PRIME5 = 0x27D4EB2F165667C5
LH_MAX_MOD = 9007199254740992          # 2^53, the largest integer a Lua number holds exactly


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & MASK


def _round(acc, lane):
    return (_rotl((acc + lane * PRIME2) & MASK, 31) * PRIME1) & MASK


def _merge(h, acc):
    return ((h ^ _round(0, acc)) * PRIME1 + PRIME4) & MASK


def xxh64(data, seed=0):
    """XXH64 of the bytes ``data`` with ``seed``: a 64-bit unsigned integer."""
    n, p = len(data), 0
    if n >= 32:
        acc = [(seed + PRIME1 + PRIME2) & MASK, (seed + PRIME2) & MASK, seed & MASK, (seed - PRIME1) & MASK]
        while p + 32 <= n:
            lanes = struct.unpack_from('<4Q', data, p)
            acc = [_round(a, lane) for a, lane in zip(acc, lanes)]
            p += 32
        h = (_rotl(acc[0], 1) + _rotl(acc[1], 7) + _rotl(acc[2], 12) + _rotl(acc[3], 18)) & MASK
        for a in acc:
            h = _merge(h, a)
    else:
        h = (seed + PRIME5) & MASK
    h = (h + n) & MASK
    while p + 8 <= n:
        h = (_rotl(h ^ _round(0, struct.unpack_from('<Q', data, p)[0]), 27) * PRIME1 + PRIME4) & MASK
        p += 8
    if p + 4 <= n:
        h = (_rotl(h ^ (struct.unpack_from('<I', data, p)[0] * PRIME1 & MASK), 23) * PRIME2 + PRIME3) & MASK
        p += 4
    while p < n:
        h = (_rotl(h ^ (data[p] * PRIME5 & MASK), 11) * PRIME1) & MASK
        p += 1
    h ^= h >> 33
    h = (h * PRIME2) & MASK
    h ^= h >> 29
    h = (h * PRIME3) & MASK
    return h ^ (h >> 32)


def hash(tensor):
    """The rock's ``hash.hash(tensor)``: XXH64, seed 0, of the elements in order, modulo 2^53 (a float, as the
    Lua number the rock pushes)."""
    values = np.ascontiguousarray(tensor.numpy())
    return float(xxh64(values.astype(values.dtype.newbyteorder('<')).tobytes()) % LH_MAX_MOD)
