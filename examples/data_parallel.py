"""``--distributed`` for the example scripts: under ``mpiexec -n N`` every rank trains a replica of the model
on its share of each global mini-batch (legonn.distributed's AllReduceSGD and DistributedSampler); without
it the same calls run one process unchanged.

``--batch-size`` stays the global batch: the ranks' shares of a step are exactly the batch one process
would take there, and the gradients are weighted by share and summed, so the steps are the one-process
steps up to float summation order. Only rank 0 prints and writes logs and checkpoints; a checkpoint holds
no rank count, so ``--resume`` works with any number of processes. The ranks on one machine split its
cores between them (legonn's and BLAS's threads).
"""
import legonn as lg
import legonn.distributed as dist
import numpy as np
from legonn import optim


class Replicas:
    """This process's place among the replicas: rank 0 of 1 unless ``distributed``."""

    def __init__(self, distributed):
        self.rank, self.size, self.sgd = 0, 1, None
        if distributed:
            communicator = dist.init()
            self.rank, self.size, self.sgd = communicator.rank, communicator.size, dist.AllReduceSGD(communicator)
            # the ranks on one machine share its cores: split legonn's (and BLAS's) threads between them
            from mpi4py import MPI
            on_this_machine = communicator.comm.Split_type(MPI.COMM_TYPE_SHARED).Get_size()
            lg.setnumthreads(max(1, lg.getnumthreads() // on_this_machine))

    @property
    def root(self):
        """Whether this process prints and writes files."""
        return self.rank == 0

    def print(self, *args, **kwargs):
        if self.root:
            print(*args, **kwargs)

    def logger(self, path, names, history):
        """On rank 0 an optim.Logger at ``path`` with columns ``names`` (plotted against the epoch) and the
        rows of ``history``; None elsewhere."""
        if not self.root:
            return None
        logger = optim.Logger(path)
        logger.setNames(names).setAxisLabels('epoch')
        for row in history:
            logger.add(row)
        return logger

    def root_first(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` on rank 0, then on the other ranks: for work that writes files (a cache)
        the others then only read."""
        if self.sgd is not None and not self.root:
            dist.barrier()
        result = fn(*args, **kwargs)
        if self.sgd is not None and self.root:
            dist.barrier()
        return result

    def synchronize(self, params):
        """Start every replica from rank 0's parameters."""
        if self.sgd is not None:
            self.sgd.synchronizeParameters(params)

    def batches(self, order, batch_size, x, y):
        """This rank's ``(inputs, targets)`` share of each global mini-batch of ``order``."""
        for idx, _ in dist.DistributedSampler(len(order), batch_size, self.rank, self.size).batches(0, order):
            yield x[idx], y[idx]

    def reduce(self, grads, loss, count):
        """After this rank's backward on ``count`` samples (none: ``grads`` zero): make ``grads`` the gradient
        of the global batch's mean loss on every rank and return that loss."""
        if self.sgd is None:
            return loss
        totals = dist.allreduce(np.array([count, count * loss]))
        self.sgd.sumAndNormalizeGradients(grads, count / totals[0])
        return float(totals[1] / totals[0])
