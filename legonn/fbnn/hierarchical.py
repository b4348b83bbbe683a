"""fbnn's ClassHierarchicalNLLCriterion: a two-level softmax classifier (cluster, then class within the
cluster) that holds its own linear layers (ClassHierarchicalNLLCriterion.lua)."""
import math

from ..criterions.criterion import Criterion, loss_scalar
from ..modules.base.errors import input_error
from ..tensor.random import SCALAR_DRAWS
from .base import FbnnClass


def _log_softmax(v, xp):
    shifted = v - v.max()
    return shifted - xp.log(xp.exp(shifted).sum())


def _draw(probabilities):
    """ClassHierarchicalNLLCriterion.lua's sampleMultiNomial: the first index whose running sum of
    ``probabilities`` passes a uniform draw (legonn's generator; the Lua draws from math.random)."""
    u = SCALAR_DRAWS['uniform']()
    total = 0.0
    for i, p in enumerate(probabilities.tolist()):
        total += p
        if total > u:
            return i
    return len(probabilities) - 1


class ClassHierarchicalNLLCriterion(FbnnClass, Criterion):
    """nn.ClassHierarchicalNLLCriterion(mapping, clusterCounts, inputSize): for one sample ``x``
    ``(inputSize,)`` (no batches, as the Lua) and a 0-based class label ``t``, the loss is
    ``-log softmax(C x + c)[k] - log softmax(W_k x + w_k)[j]`` where ``(k, j) = mapping[t]`` (0-based cluster
    and position in it), ``C`` ``clusterMatrix`` ``(nClusters, inputSize)`` and ``W_k`` the ``clusterCounts[k]``
    rows of ``classMatrix`` ``(nClasses, inputSize)`` from ``startIndex[k]`` (with biases ``clusterBias``,
    ``classBias``). Matrices are drawn N(0, 1/inputSize), biases zero.

    updateGradInput also accumulates the parameters' gradients (``clusterMatrixDx``, ``clusterBiasDx``,
    ``classMatrixDx``, ``classBiasDx``, the last only in the target's cluster), as the Lua;
    ``updateParameters(lr)`` steps the cluster parameters and the last target's cluster block;
    ``zeroGradParametersCluster()``, ``zeroGradParametersClass(target)``; ``infer(x, sampling)`` returns the
    0-based ``[cluster, class in cluster]`` of the best (or a sampled) class.
    """

    input_ranks = (1,)
    takes_labels = True

    def __init__(self, mapping, clusterCounts, inputSize):
        super().__init__()
        n_clusters, n_classes = clusterCounts.size(0), mapping.size(0)
        if int(clusterCounts.sum()) != n_classes:
            raise ValueError(f"ClassHierarchicalNLLCriterion: expected clusterCounts summing to the {n_classes} "
                             f"classes of mapping, got {int(clusterCounts.sum())}")
        new = self.gradInput.new
        self.mapping = new(mapping.size()).copy(mapping)
        self.clusterCounts = new(n_clusters).copy(clusterCounts)
        counts = [int(c) for c in clusterCounts.tolist()]
        self.startIndex = new([sum(counts[:k]) for k in range(n_clusters)])
        stdev = 1 / math.sqrt(inputSize)
        self.clusterMatrix = new(n_clusters, inputSize).normal(0, 1).mul(stdev)
        self.classMatrix = new(n_classes, inputSize).normal(0, 1).mul(stdev)
        self.clusterBias, self.classBias = new(n_clusters).zero(), new(n_classes).zero()
        self.clusterMatrixDx, self.classMatrixDx = new(n_clusters, inputSize).zero(), new(n_classes, inputSize).zero()
        self.clusterBiasDx, self.classBiasDx = new(n_clusters).zero(), new(n_classes).zero()
        self.clusterID = self.classID = self.startCluster = self.numClasses = 0

    def _block(self, cluster):
        """(first row, rows) of ``cluster``'s classes in classMatrix."""
        return int(self.startIndex.array[cluster]), int(self.clusterCounts.array[cluster])

    def _scores(self, input):
        """The cluster scores of a checked ``input``."""
        self.checkInput(input)
        self.checkSameType(input, self.clusterMatrix)
        if input.size(0) != self.clusterMatrix.size(1):
            raise input_error(self, f"{self.clusterMatrix.size(1)} input features", f"{input.size(0)}")
        return self.clusterMatrix.array @ input.array + self.clusterBias.array

    def _class_scores(self, input, block):
        """The scores of the classes ``block`` (one cluster's rows of classMatrix): only those, as the Lua's
        narrow, not every class's."""
        return self.classMatrix.array[block] @ input.array + self.classBias.array[block]

    def _forward(self, input, target):
        """(log-softmax of the clusters, of the target's cluster block, cluster scores' block slice) and the
        target's (cluster, class) recorded as the Lua records them."""
        self.checkLabels(input, target, self.mapping.size(0))
        clusters = self._scores(input)
        t = int(target.array.reshape(-1)[0])
        self.clusterID, self.classID = (int(v) for v in self.mapping.array[t])
        self.startCluster, self.numClasses = self._block(self.clusterID)
        block = slice(self.startCluster, self.startCluster + self.numClasses)
        xp = input.xp
        return _log_softmax(clusters, xp), _log_softmax(self._class_scores(input, block), xp), block

    def updateOutput(self, input, target):
        log_clusters, log_classes, _ = self._forward(input, target)
        self.output = loss_scalar(log_clusters[self.clusterID] + log_classes[self.classID], sign=-1)
        return self.output

    def updateGradInput(self, input, target):
        log_clusters, log_classes, block = self._forward(input, target)
        xp, x = input.xp, input.array
        # d loss / d scores of a log-softmax picked at one index: softmax - one-hot
        d_clusters = xp.exp(log_clusters)
        d_clusters[self.clusterID] -= 1
        d_classes = xp.exp(log_classes)
        d_classes[self.classID] -= 1
        self.clusterBiasDx.array[...] += d_clusters
        self.clusterMatrixDx.array[...] += xp.outer(d_clusters, x)
        self.classBiasDx.array[block] += d_classes
        self.classMatrixDx.array[block] += xp.outer(d_classes, x)
        grad = self.bufferLike('gradInput', input)
        grad[...] = self.clusterMatrix.array.T @ d_clusters + self.classMatrix.array[block].T @ d_classes
        return self.gradInput

    def zeroGradParameters(self):
        for t in (self.clusterBiasDx, self.clusterMatrixDx, self.classBiasDx, self.classMatrixDx):
            t.zero()

    def zeroGradParametersCluster(self):
        self.clusterBiasDx.zero()
        self.clusterMatrixDx.zero()

    def zeroGradParametersClass(self, target):
        """Zero the class gradients of ``target``'s (a 0-based class) cluster."""
        start, n = self._block(int(self.mapping.array[int(target)][0]))
        self.classMatrixDx.array[start:start + n] = 0
        self.classBiasDx.array[start:start + n] = 0

    def updateParameters(self, learningRate):
        block = slice(self.startCluster, self.startCluster + self.numClasses)
        self.classMatrix.array[block] -= learningRate * self.classMatrixDx.array[block]
        self.classBias.array[block] -= learningRate * self.classBiasDx.array[block]
        self.clusterMatrix.array[...] -= learningRate * self.clusterMatrixDx.array
        self.clusterBias.array[...] -= learningRate * self.clusterBiasDx.array

    def infer(self, input, sampling=False):
        """The 0-based ``[cluster, class in cluster]`` of the most likely class of ``input`` (the best cluster,
        then its best class), or with ``sampling`` drawn from the cluster then the class softmax."""
        clusters = self._scores(input)
        xp = input.xp
        pick = (lambda scores: _draw(xp.exp(_log_softmax(scores, xp)))) if sampling else (
            lambda scores: int(scores.argmax()))
        self.clusterID = pick(clusters)
        self.startCluster, self.numClasses = self._block(self.clusterID)
        self.classID = pick(self._class_scores(input, slice(self.startCluster, self.startCluster + self.numClasses)))
        return [self.clusterID, self.classID]
