"""Synchronous data-parallel SGD on getParameters()'s flat vectors (torch-distlearn's AllReduceSGD)."""
from legonn.distributed.communicator import FLOAT_DTYPES, contiguous_array, world
from legonn.distributed.tree_allreduce import TreeAllReduceSGD, is_tree
from legonn.tensor.naming import TorchNamed


class AllReduceSGD(TorchNamed):
    """Keeps every rank's model identical: ``synchronizeParameters(params)`` once at the start copies rank
    0's flat parameters to all ranks; ``sumAndNormalizeGradients(grads)`` in each step's feval turns every
    rank's flat gradient into the average over ranks, one allreduce. Any ``optim`` algorithm then takes
    the same step on every rank without knowing of the others.

    ``weight``: when ranks hold mini-batch shards of different sizes, pass this rank's share of the global
    batch (``local / global`` samples, as ``DistributedSampler.batches`` yields it): the gradients are then
    weighted by it and summed, which is the gradient of the whole global batch's mean loss.

    A gradient tensor handed in two consecutive steps is the model's own: the second step moves its storage
    into memory shared by the machine's ranks (``Communicator.shareMemory``), where the allreduce sums it in
    place; tensors handed once (or NumPy/CuPy arrays) stay where they are and go through MPI's allreduce.

    ``AllReduceSGD(tree)`` with a torch-ipc tree (``legonn.ipc.Tree``, ``LocalhostTree``) instead of a
    communicator is distlearn's own AllReduceSGD.lua (a ``TreeAllReduceSGD``): tables of tensors, uneven steps.
    """

    def __new__(cls, communicator=None):
        if is_tree(communicator):
            return TreeAllReduceSGD(communicator)
        return super().__new__(cls)

    def __init__(self, communicator=None):
        self.communicator = communicator or world()
        self._previous = None   # the gradient handed in the previous step
        self._offered = False   # whether it was handed to shareMemory

    def synchronizeParameters(self, params):
        """Broadcast rank 0's parameters (a flat tensor or array) to every rank; returns them."""
        return self.communicator.broadcast(params, root=0)

    def sumAndNormalizeGradients(self, grads, weight=None):
        """Replace ``grads`` with the mean over ranks (or the ``weight``-weighted sum); returns them."""
        if grads is not self._previous:
            self._previous, self._offered = grads, False
        elif not self._offered:
            self.communicator.shareMemory(grads)   # collective: every rank hands its gradient twice alike
            self._offered = True
        if weight is None:
            return self.communicator.allreduce(grads, 'mean')
        arr = contiguous_array(grads, 'AllReduceSGD.sumAndNormalizeGradients', FLOAT_DTYPES)
        arr *= weight
        return self.communicator.allreduce(grads, 'sum')
