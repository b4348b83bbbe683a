"""Each rank's disjoint share of every mini-batch, from one seeded order per epoch."""
import numpy as np


class DistributedSampler:
    """Splits an epoch of ``nsamples`` into global mini-batches of ``batch_size`` and gives rank ``rank`` of
    ``size`` its share of each (shares differ by at most one sample).

    The epoch's order is ``numpy.random.default_rng((seed, epoch)).permutation(nsamples)`` unless the caller
    hands its own (``order=``): the same for every rank and every world size, so the union of the ranks'
    shares at a step is exactly the batch one process would take there, and the shares of an epoch are
    disjoint and cover the data set once. That is what lets data-parallel training follow the
    single-process run, and a checkpoint resume with another number of processes.
    """

    def __init__(self, nsamples, batch_size, rank, size, seed=0):
        if not (isinstance(size, int) and size >= 1 and isinstance(rank, int) and 0 <= rank < size):
            raise ValueError(f"legonn.distributed.DistributedSampler: expected 0 <= rank < size, got rank {rank!r}, "
                             f"size {size!r}")
        if not (isinstance(batch_size, int) and batch_size >= 1 and isinstance(nsamples, int) and nsamples >= 0):
            raise ValueError(f"legonn.distributed.DistributedSampler: expected a non-negative sample count and a "
                             f"positive batch size, got {nsamples!r} and {batch_size!r}")
        self.nsamples, self.batch_size, self.rank, self.size, self.seed = nsamples, batch_size, rank, size, seed

    def __len__(self):
        """Steps per epoch."""
        return -(-self.nsamples // self.batch_size)

    def order(self, epoch):
        """The epoch's global order of sample indices."""
        return np.random.default_rng((self.seed, epoch)).permutation(self.nsamples)

    def batches(self, epoch, order=None):
        """Yields ``(indices, weight)`` per step: this rank's sample indices (possibly none when the global
        batch is smaller than the world) and their share ``len(indices) / global batch`` of the step."""
        order = self.order(epoch) if order is None else np.asarray(order)
        if order.shape != (self.nsamples,):
            raise ValueError(f"legonn.distributed.DistributedSampler.batches: expected an order of "
                             f"{self.nsamples} indices, got shape {order.shape}")
        for start in range(0, self.nsamples, self.batch_size):
            batch = order[start:start + self.batch_size]
            mine = np.array_split(batch, self.size)[self.rank]
            yield mine, len(mine) / len(batch)
