"""``require 'tds'``: torch/tds's containers, ``tds.Hash``, ``tds.Vec`` and ``tds.AtomicCounter``, as Python
objects with tds's methods and printing.

``tds.Vec`` is indexed from 0 (Lua's from 1). Missing keys of a Hash read as None (Lua's nil) and storing
None removes a key. The containers hold what tds holds (numbers, strings, booleans, tds containers,
tensors), so ``lg.save``/``lg.load`` write and read them (legonn's format, under tds's class names), and
the ``.t7`` reader gives a Torch7 file's tds containers as these classes.
"""
from .atomic import AtomicCounter
from .hash import Hash
from .vec import Vec

# tds's lower-case names of the same constructors (tds.hash, tds.vec, tds.atomic_counter)
hash = Hash
vec = Vec
atomic_counter = AtomicCounter

__all__ = ['Hash', 'Vec', 'AtomicCounter', 'hash', 'vec', 'atomic_counter']
