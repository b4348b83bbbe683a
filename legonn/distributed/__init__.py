"""Data-parallel training over MPI (mpi4py; ``pip install 'legonn[mpi]'``), torch-distlearn style.

    import legonn.distributed as dist
    dist.init()                                   # MPI COMM_WORLD (or init(comm) for a sub-communicator)
    sgd = dist.AllReduceSGD()
    sgd.synchronizeParameters(params)             # rank 0's parameters everywhere
    def feval(_):
        ...forward, backward on this rank's shard...
        sgd.sumAndNormalizeGradients(grad_params) # one allreduce: the mean gradient
        return loss, grad_params
    optim.sgd(feval, params, config)              # any optim algorithm, unchanged

Run with ``mpiexec -n 2 python train.py``. See docs/distributed.md. The ranks of one machine reduce the
flat gradient in memory they share (``Communicator.shareMemory``; AllReduceSGD moves it there itself), and
across machines over MPI. Only this package imports MPI, and only when ``init`` is called; nothing else in
legonn imports this package.
"""
from legonn.distributed.allreduce_ea import AllReduceEA
from legonn.distributed.allreduce_sgd import AllReduceSGD
from legonn.distributed.communicator import (Communicator, DistributedError, allreduce, barrier, broadcast, init,
                                             rank, size, world)
from legonn.distributed.sampler import DistributedSampler

__all__ = ['AllReduceEA', 'AllReduceSGD', 'Communicator', 'DistributedError', 'DistributedSampler', 'allreduce',
           'barrier', 'broadcast', 'init', 'rank', 'size', 'world']
