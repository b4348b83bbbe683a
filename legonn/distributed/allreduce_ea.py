"""Elastic averaging SGD across ranks (torch-distlearn's AllReduceEA; Zhang, Choromanska & LeCun 2015)."""
from legonn.distributed.communicator import FLOAT_DTYPES, contiguous_array, world
from legonn.distributed.tree_allreduce import TreeAllReduceEA, is_tree
from legonn.tensor import Tensor
from legonn.tensor.naming import TorchNamed


class AllReduceEA(TorchNamed):
    """Every rank trains its own copy of the model; every ``tau`` steps each copy is pulled towards a shared
    center variable by ``alpha`` times their distance, and the center moves by the sum of those pulls.

    ``synchronizeParameters(params)`` starts all ranks (and the center) from rank 0's parameters;
    ``averageParameters(params)`` is called after each optimiser step; ``synchronizeCenter(params)`` copies
    the center into ``params`` at the end (the model to evaluate or save). ``params`` is getParameters()'s
    flat vector (a legonn tensor or a NumPy/CuPy array). The center is the same on every rank because it
    only ever changes by the allreduced sum.

    ``AllReduceEA(tree, tau, alpha)`` with a torch-ipc tree (``legonn.ipc.Tree``, ``LocalhostTree``) first is
    distlearn's own AllReduceEA.lua (a ``TreeAllReduceEA``): tables of tensors, uneven steps.
    """

    def __new__(cls, *args, **kwargs):
        if args and is_tree(args[0]):
            return TreeAllReduceEA(*args, **kwargs)
        return super().__new__(cls)

    def __init__(self, tau, alpha, communicator=None):
        if not (isinstance(tau, int) and tau >= 1):
            raise ValueError(f"legonn.distributed.AllReduceEA: tau must be a positive step count, got {tau!r}")
        if not 0 < alpha < 1:
            raise ValueError(f"legonn.distributed.AllReduceEA: alpha must lie in (0, 1), got {alpha!r}")
        self.tau, self.alpha = tau, alpha
        self.communicator = communicator or world()
        self.step = 0
        self.center = self._pull = None

    def _array(self, params, what):
        return contiguous_array(params, f'AllReduceEA.{what}', FLOAT_DTYPES)

    def synchronizeParameters(self, params):
        """Broadcast rank 0's parameters to every rank and make them the center; returns ``params``."""
        self.communicator.broadcast(params, root=0)
        self.center = self._array(params, 'synchronizeParameters').copy()
        # the buffer each averaging step's pull is computed in and allreduced, in the machine's shared memory
        self._pull = self.communicator.shareMemory(Tensor._from_array(self.center.copy()))
        self.step = 0
        return params

    def averageParameters(self, params):
        """Count a step; on every ``tau``-th, move ``params`` and the center towards each other."""
        arr = self._array(params, 'averageParameters')
        if self.center is None:
            raise RuntimeError("legonn.distributed.AllReduceEA: call synchronizeParameters(params) before training")
        if arr.shape != self.center.shape or arr.dtype != self.center.dtype:
            raise ValueError(f"legonn.distributed.AllReduceEA.averageParameters: expected {self.center.size} "
                             f"{self.center.dtype.name} parameters (as synchronized), got {arr.size} {arr.dtype.name}")
        self.step += 1
        if self.step % self.tau:
            return params
        pull = self._pull.array
        self._pull.xp.subtract(arr, self.center, out=pull)
        pull *= self.alpha
        arr -= pull
        self.communicator.allreduce(self._pull, 'sum')
        self.center += pull
        return params

    def synchronizeCenter(self, params):
        """Copy the center into ``params``; returns them."""
        if self.center is None:
            raise RuntimeError("legonn.distributed.AllReduceEA: call synchronizeParameters(params) before training")
        self._array(params, 'synchronizeCenter')[...] = self.center
        return params
