"""A stand-in for the ``murmurhash3`` rock Cache.lua requires: ``hash32(key, seed)``, MurmurHash3's x86 32-bit
hash of the key's bytes, as an unsigned number (Cache.lua names its cache files by it)."""

_MASK = 0xFFFFFFFF


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & _MASK


def _fmix(h):
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    return h ^ (h >> 16)


def hash32(key, seed=0):
    """The 32-bit MurmurHash3 of ``key`` (str as UTF-8, or bytes) with ``seed``."""
    data = key.encode('utf-8') if isinstance(key, str) else bytes(key)
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & _MASK
    nblocks = len(data) // 4
    for i in range(nblocks):
        k = int.from_bytes(data[4 * i:4 * i + 4], 'little')
        k = _rotl((k * c1) & _MASK, 15) * c2 & _MASK
        h = _rotl(h ^ k, 13)
        h = (h * 5 + 0xE6546B64) & _MASK
    tail = data[4 * nblocks:]
    if tail:
        k = int.from_bytes(tail, 'little')
        k = _rotl((k * c1) & _MASK, 15) * c2 & _MASK
        h ^= k
    return _fmix(h ^ len(data))
