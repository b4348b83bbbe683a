"""Kmeans: an online (hard) k-means layer with its own centroid update (Torch7's nn.Kmeans)."""
import math
import numbers

from ..tensor import Tensor, as_tensor
from ..tensor.random import generator
from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module


class Kmeans(Module):
    """Assigns each row of a ``(batch, dim)`` input to its nearest of ``k`` centroids.

    ``Kmeans(k, dim, scale=None)``. ``weight`` ``(k, dim)`` holds the centroids; the output
    ``(batch,)`` holds each sample's 0-based centroid index (in the module's float type) and
    ``loss`` the summed squared distance of the samples to their centroids (the
    within-cluster error of the last forward). ``gradInput`` is zero: the layer trains by its
    own rule. ``accGradParameters`` adds ``-scale / n_c * sum (x - c)`` over the n_c samples
    assigned to centroid c (``scale``: the constructor's, else the call's), so a gradient
    step ``c -= lr * gradWeight`` moves each centroid towards its samples' mean.
    ``initRandom(x)`` and ``initKmeansPlus(x, p)`` seed the centroids from data.
    """

    reads_grad_output = False  # backward never reads gradOutput

    input_ranks = (2,)
    positive_ints = ('k', 'dim')

    def __init__(self, k, dim, scale=None):
        super().__init__()
        self.checkHyper(k=k, dim=dim)
        if scale is not None and (not isinstance(scale, numbers.Real) or isinstance(scale, bool) or scale <= 0):
            raise ValueError(f"Kmeans: scale must be a positive number or None, got {scale!r}")
        self.k, self.dim, self.scale = k, dim, scale
        self.weight = self.output.new(k, dim)
        self.gradWeight = self.output.new(k, dim).zero()
        self.loss = 0.0
        self.clusterSampleCount = self.output.new(k).zero()
        self.p = None
        self.reset()

    def reset(self, stdev=None):
        """Centroids uniform in [-stdev, stdev], stdev = 1 by default (Torch7's rule)."""
        stdev = 1.0 if stdev is None else stdev
        self.weight.uniform(-stdev, stdev)
        return self

    def _check(self, input, what='input'):
        self.checkInput(input, what)
        self.checkSameType(input, self.weight, what)
        if input.size(1) != self.dim:
            raise input_error(self, f"{what} rows of dim={self.dim} values", f"size {tuple(input.size())}")

    def _distances(self, x):
        """(k, batch) squared Euclidean distances of the rows of ``x`` to the centroids."""
        diff = x[None, :, :] - self.weight.array[:, None, :]
        return (diff * diff).sum(axis=2)

    def initRandom(self, input):
        """Each centroid a row of ``input`` drawn uniformly (with replacement, as Torch7)."""
        input = as_tensor(input)
        self._check(input)
        n = input.size(0)
        if n < self.k:
            raise input_error(self, f"at least k={self.k} samples to initialise from", f"{n}")
        rows = generator(False).integers(0, n, size=self.k)
        self.weight.array[...] = input.array[input.xp.asarray(rows)]
        return self

    def initKmeansPlus(self, input, p=None):
        """k-means++ seeding: the first centroid a random row; each next one drawn uniformly from the
        ceil((1 - p) * n) rows farthest (squared distance) from their nearest chosen centroid.
        ``p`` defaults to the last one used, else 0.95."""
        p = p if p is not None else (self.p if self.p is not None else 0.95)
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"{self.shortName()}: initKmeansPlus p must be in [0, 1], got {p!r}")
        input = as_tensor(input)
        self._check(input)
        self.p = p
        x, xp = input.array, input.xp
        n = input.size(0)
        pcount = max(1, math.ceil((1 - p) * n))
        rng = generator(False)
        w = self.weight.array
        w[0] = x[int(rng.integers(0, n))]
        nearest = xp.full(n, xp.inf, dtype=x.dtype)
        for c in range(1, self.k):
            diff = x - w[c - 1]
            xp.minimum(nearest, (diff * diff).sum(axis=1), out=nearest)
            farthest = xp.argsort(-nearest, kind='stable')
            w[c] = x[farthest[int(rng.integers(0, pcount))]]    # a device index: no host round trip
        return self

    def updateOutput(self, input):
        self._check(input)
        dist = self._distances(input.array)
        nearest = dist.argmin(axis=0)
        # kept as a LongTensor so type()/cuda() move it with the module
        self._minIndx = Tensor._from_result(nearest.astype('int64'))
        self.bufferLike('output', self.weight, (input.size(0),))[...] = nearest
        self.loss = float(dist.min(axis=0).sum())
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._check(input)
        self.bufferLike('gradInput', input)[...] = 0
        return self.gradInput

    def checkAccumulation(self, input, gradOutput):
        # the k-means step reads only the input's assignment: gradOutput is ignored (may be None)
        self.checkParameterGradients()

    def accGradParameters(self, input, gradOutput, scale=1):
        scale = self.scale if self.scale is not None else scale
        if scale <= 0:
            raise input_error(self, "a positive scale (the k-means update has no negative step)", scale)
        self._check(input)
        assigned = self.__dict__.get('_minIndx')
        if assigned is None or assigned.nElement() != input.size(0) or assigned.is_cuda != input.is_cuda:
            raise input_error(self, "the input of the last forward call (accGradParameters uses its assignment)",
                              f"an input of size {tuple(input.size())}")
        xp, w = input.xp, self.weight.array
        counts = xp.bincount(assigned.array, minlength=self.k).astype(w.dtype)
        self.clusterSampleCount.array[...] = counts
        # -scale / n_c * sum over c's samples of (x - c); 1e-7 keeps empty clusters finite, as Torch7. Each sample
        # is added to its own cluster only (indexAdd; a one-hot product cost k times more and spread a NaN sample
        # to every cluster)
        step = scatter_add(xp.zeros_like(w), assigned.array, input.array) - counts[:, None] * w
        self.gradWeight.array += (-scale) * step / (counts + 1e-7)[:, None]

    def clearState(self):
        return super().clearState('_minIndx')

    def __repr__(self):
        return f"{lua_typename(self)}({self.k}, {self.dim})"
