"""Reduction through memory the ranks of one machine share: an MPI-3 shared-memory window
(``MPI.Win.Allocate_shared``) with one segment of the buffer per rank, each rank reading and writing every
segment directly.

An MPI allreduce between processes of one machine moves the data through the library's shared-memory
cells: every value is copied into a cell, out of it, reduced, and copied back the same way. When the buffer
(the flat gradient) lives in the window instead, rank ``r`` of ``n`` sums its ``1/n`` chunk of all ``n``
segments and writes the result into every segment: each rank reads and writes the buffer's size once.
"""
import numpy as np

# chunk boundaries on 64-byte cache lines, so that no line is written by two ranks
LINE_BYTES = 64


class SharedSegments:
    """One window of ``count`` values of ``dtype`` per rank of ``node`` (an MPI communicator of ranks on one
    machine). ``mine`` is this rank's segment, ``segments[r]`` rank ``r``'s; ``chunk`` is the slice of them
    this rank reduces. Collective over ``node``: every rank constructs it with the same count and dtype."""

    def __init__(self, node, count, dtype):
        from mpi4py import MPI
        dtype = np.dtype(dtype)
        info = MPI.Info.Create()
        info.Set('alloc_shared_noncontig', 'true')   # each segment page-aligned on its own: no shared lines
        self.window = MPI.Win.Allocate_shared(count * dtype.itemsize, dtype.itemsize, info, comm=node)
        info.Free()
        # MPI-3's unified memory model: loads and stores on the window are synchronized by Win_sync inside a
        # passive-target epoch that lasts as long as the window
        self.window.Lock_all(MPI.MODE_NOCHECK)
        self.segments = [np.frombuffer(self.window.Shared_query(r)[0], dtype=dtype, count=count)
                         for r in range(node.size)]
        self.mine = self.segments[node.rank]
        line = max(1, LINE_BYTES // dtype.itemsize)
        bounds = [count * r // node.size // line * line for r in range(node.size)] + [count]
        self.chunk = slice(bounds[node.rank], bounds[node.rank + 1])

    def sync(self):
        """Order this rank's loads and stores on the window against the other ranks' (around a barrier)."""
        self.window.Sync()

    def sum_chunk(self):
        """This rank's chunk of its own segment := the sum of every segment's chunk, in rank order (the same
        order on every rank and in every step). Returns that chunk."""
        mine, parts = self.mine[self.chunk], [segment[self.chunk] for segment in self.segments]
        np.add(parts[0], parts[1], out=mine)
        for part in parts[2:]:
            mine += part
        return mine

    def spread_chunk(self):
        """Copy this rank's chunk of its own segment into the same chunk of every other segment."""
        mine = self.mine[self.chunk]
        for segment in self.segments:
            if segment is not self.mine:
                segment[self.chunk] = mine
