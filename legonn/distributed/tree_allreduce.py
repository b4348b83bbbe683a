"""torch-distlearn's AllReduceSGD and AllReduceEA over a torch-ipc tree (``legonn.ipc.Tree``, ``LocalhostTree``,
...): what ``AllReduceSGD(tree)`` and ``AllReduceEA(tree, tau, alpha)`` build.

Unlike the MPI classes, these take what distlearn takes: a tensor or a (nested) table of tensors, in the
tree's deterministic walk order, and nodes may run different numbers of steps in an epoch (the data split
unevenly): the nodes out of steps keep joining the allreduces with zeros until every node is done.
"""
from legonn.tensor import LongTensor
from legonn.tensor.naming import TorchNamed


def is_tree(obj):
    """Whether ``obj`` is a torch-ipc style tree (it has the tree's allReduce, scatter and walkTable)."""
    return all(callable(getattr(obj, name, None)) for name in ('allReduce', 'scatter', 'walkTable'))


def _add(a, b):
    return a.add(b)


class TreeAllReduceSGD(TorchNamed):
    """distlearn's AllReduceSGD.lua on ``tree``: ``sumAndNormalizeGradients(grads)`` in every step (the
    gradients summed over the nodes that took the step, divided by their number), ``synchronizeParameters(
    params)`` at the start (the root's parameters everywhere) and after each epoch (the parameters of the node
    that ran the most steps everywhere, after the others finished the steps they lacked with zero gradients)."""

    def __init__(self, tree):
        self.tree = tree
        # how many steps each node did in this epoch
        self.stepsPerNode = LongTensor(tree.numNodes).fill(0)

    def sumGradients(self, grads):
        """Sum ``grads`` over the nodes, in place."""
        self.tree.allReduce(grads, _add)
        self.stepsPerNode[self.tree.nodeIndex] = self.stepsPerNode[self.tree.nodeIndex] + 1

    def sumAndNormalizeGradients(self, grads):
        """Average ``grads`` over the nodes that took this step, in place."""
        _, n = self.tree.allReduce(grads, _add)
        # not every node takes every step when the data split unevenly
        if n > 1:
            self.tree.walkTable(grads, lambda grad: grad.mul(1 / n))
        self.stepsPerNode[self.tree.nodeIndex] = self.stepsPerNode[self.tree.nodeIndex] + 1

    def synchronizeParameters(self, params):
        """The same ``params`` on every node (filled in place)."""
        tree = self.tree
        if self.stepsPerNode[tree.nodeIndex] > 0:
            # join the allreduces of the nodes still stepping, with zeros, until all are done
            tree.allReduce(None, _add, lambda a, i: a.fill(0))
            tree.allReduce(self.stepsPerNode, _add)
            _, indices = self.stepsPerNode.sort()
            # the node with the most steps keeps its parameters, the others zero theirs: the sum is its own
            if tree.nodeIndex != indices[tree.numNodes - 1]:
                tree.walkTable(params, lambda param: param.fill(0))
            tree.allReduce(params, _add)
            self.stepsPerNode.fill(0)
        else:
            tree.scatter(params)
        return params


class TreeAllReduceEA(TorchNamed):
    """distlearn's AllReduceEA.lua on ``tree`` (elastic averaging, arXiv:1412.6651): every ``tau``-th
    ``averageParameters(params)`` moves each node's parameters towards the center by ``alpha`` times their
    difference and the center by the sum of those moves; ``synchronizeCenter(params)`` makes the center the
    root's on every node, ``synchronizeParameters(params)`` the parameters (and center) the root's."""

    def __init__(self, tree, tau, alpha):
        if not (isinstance(tau, int) and tau >= 1):
            raise ValueError(f"legonn.distributed.AllReduceEA: tau must be a positive step count, got {tau!r}")
        self.tree, self.tau, self.alpha = tree, tau, alpha
        self.step = 0
        self.center = self.delta = self.flatParam = None

    def _oneTimeInit(self, params):
        if self.center is None:
            self.center, self.delta, self.flatParam = [], [], []

            def keep(param):
                self.center.append(param.clone())
                self.delta.append(param.clone())
                self.flatParam.append(param)
            self.tree.walkTable(params, keep)

    def _pull(self, i, param):
        """delta[i] := alpha (param - center[i]); param moves by -delta[i]. Returns delta[i]."""
        self.delta[i].add(param, -1, self.center[i]).mul(self.alpha)
        param.add(-1, self.delta[i])
        return self.delta[i]

    def averageParameters(self, params):
        """Count a step; on every ``tau``-th, the elastic averaging move."""
        self._oneTimeInit(params)
        self.step += 1
        if self.step % self.tau == 0:
            i = 0

            def pull(param):
                nonlocal i
                self._pull(i, param)
                i += 1
            self.tree.walkTable(params, pull)
            self.tree.allReduce(self.delta, _add)
            for i in range(len(self.center)):
                self.center[i].add(self.delta[i])

    def _handleUnevenSteps(self):
        # a final averaging in which the nodes out of steps take part with zero moves until all are done
        if self.step > 0:
            for d in self.delta:
                d.fill(0)

            def zero(_, i):
                self.center[i].add(self.delta[i])
                return self._pull(i, self.flatParam[i])
            self.tree.allReduce(self.delta, _add, zero)
            self.step = 0

    def synchronizeCenter(self, params):
        """The root's center on every node (it drifts with rounding errors); call at the end of an epoch."""
        self._oneTimeInit(params)
        self._handleUnevenSteps()
        self.tree.scatter(self.center)

    def synchronizeParameters(self, params):
        """The root's parameters on every node, and the center reset to them."""
        self._oneTimeInit(params)
        self._handleUnevenSteps()
        self.tree.scatter(params)
        i = 0

        def reset(param):
            nonlocal i
            self.center[i].copy(param)
            i += 1
        self.tree.walkTable(params, reset)
