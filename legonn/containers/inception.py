"""Inception: GoogLeNet's block of parallel convolution columns joined along the planes (dpnn's Inception.lua;
Szegedy et al. 2014)."""
import math
import warnings

from ..modules.batch_normalization import SpatialBatchNormalization
from ..modules.rectifiers import ReLU
from ..modules.spatial_convolution import SpatialConvolution
from ..modules.spatial_pooling import SpatialLPPooling, SpatialMaxPooling
from .concat import DepthConcat
from .decorators import Decorator
from .sequential import Sequential

_KEYS = ('inputSize', 'outputSize', 'reduceSize', 'reduceStride', 'transfer', 'batchNorm', 'padding', 'kernelSize',
         'kernelStride', 'poolSize', 'poolStride', 'pool')


def _out(size, k, stride, pad=0):
    """A convolution's or pooling's output length (the Lua file's size checks)."""
    return math.floor((size + 2 * pad - k) / stride + 1)


class Inception(Decorator):
    """``len(kernelSize)`` columns ``1x1 conv (reduce) -> transfer -> kxk conv -> transfer``, a column ``pool -> 1x1
    conv -> transfer`` and a column ``1x1 conv -> transfer``, joined along the planes by a DepthConcat.

    ``Inception(config)``, ``config`` a dict as dpnn's table (or the same names as keywords): ``inputSize`` (input
    planes), ``outputSize`` (planes of each kxk conv), ``reduceSize`` (planes of each 1x1 reduce: one per kxk
    column, then the pool column's and the last column's; either of those two may be missing), optional
    ``reduceStride``, ``transfer`` (a module, cloned: default ReLU), ``batchNorm`` (a SpatialBatchNormalization
    after each conv), ``padding`` (default True: kxk convs padded by floor(k / 2)), ``kernelSize`` (default [5,
    3]), ``kernelStride`` (default [1, 1]), ``poolSize`` (3), ``poolStride`` (1), ``pool`` (default
    SpatialMaxPooling(poolSize, poolSize, poolStride, poolStride)). Input ``(inputSize, H, W)`` or batched."""

    def __init__(self, config=None, **kwargs):
        config = dict(config or {}, **kwargs)
        unknown = sorted(set(config) - set(_KEYS))
        if unknown:
            raise ValueError(f"Inception: unknown configuration {unknown[0]!r} (known: {', '.join(_KEYS)})")
        for key in ('inputSize', 'outputSize', 'reduceSize'):
            if config.get(key) is None:
                raise ValueError(f"Inception: config.{key} is required")
        self.inputSize, self.outputSize = config['inputSize'], list(config['outputSize'])
        self.reduceSize = list(config['reduceSize'])
        self.reduceStride = list(config.get('reduceStride') or [])
        self.transfer = config.get('transfer') or ReLU()
        self.batchNorm = config.get('batchNorm')
        self.padding = True if config.get('padding') is None else config['padding']
        self.kernelSize = list(config.get('kernelSize') or [5, 3])
        self.kernelStride = list(config.get('kernelStride') or [1, 1])
        self.poolSize = config.get('poolSize') or 3
        self.poolStride = config.get('poolStride') or 1
        self.pool = config.get('pool') or SpatialMaxPooling(self.poolSize, self.poolSize, self.poolStride,
                                                            self.poolStride)
        if len(self.outputSize) < len(self.kernelSize) or len(self.reduceSize) < len(self.kernelSize):
            raise ValueError(f"Inception: outputSize and reduceSize need an entry per kernelSize "
                             f"({len(self.kernelSize)}), got {len(self.outputSize)} and {len(self.reduceSize)}")
        concat = DepthConcat(1)
        iW, iH = 100, 200   # a sample size, to warn when the columns' outputs would differ
        sizes = []
        for i, k in enumerate(self.kernelSize):
            column = self._reduced(Sequential(), i)
            pad = k // 2 if self.padding else 0
            stride = self.kernelStride[i]
            column.add(SpatialConvolution(self.reduceSize[i], self.outputSize[i], k, k, stride, stride, pad))
            self._finish(column, self.outputSize[i])
            concat.add(column)
            sizes.append((_out(iW, k, stride, pad), _out(iH, k, stride, pad)))
        if len(set(sizes)) > 1:
            warnings.warn("Inception: inconsistent output sizes", stacklevel=2)
        i = len(self.kernelSize)
        column = Sequential().add(self.pool)
        if self._has(i):
            self._reduced(column, i)
        concat.add(column)
        pool = self.pool
        # dpnn checks a pool with kW, dW and padW fields; nn's SpatialLPPooling (a Sequential there) has no padW
        if not isinstance(pool, SpatialLPPooling) and all(getattr(pool, a, None) is not None
                                                          for a in ('kW', 'dW', 'padW')):
            pooled = (_out(iW, pool.kW, pool.dW, pool.padW), _out(iH, pool.kH, pool.dH, pool.padH))
            if pooled != sizes[0]:
                warnings.warn("Inception: inconsistent output sizes in pooling", stacklevel=2)
        if self._has(i + 1):
            concat.add(self._reduced(Sequential(), i + 1))
            stride = self._stride(i + 1)
            if (_out(iW, 1, stride), _out(iH, 1, stride)) != sizes[0]:
                warnings.warn("Inception: inconsistent output sizes in 1x1 conv", stacklevel=2)
        super().__init__(concat)

    def _has(self, i):
        return i < len(self.reduceSize) and self.reduceSize[i] is not None

    def _stride(self, i):
        return self.reduceStride[i] if i < len(self.reduceStride) and self.reduceStride[i] is not None else 1

    def _finish(self, column, planes):
        if self.batchNorm:
            column.add(SpatialBatchNormalization(planes))
        return column.add(self.transfer.clone())

    def _reduced(self, column, i):
        """``column`` plus column i's 1x1 reduce convolution and what follows it."""
        stride = self._stride(i)
        column.add(SpatialConvolution(self.inputSize, self.reduceSize[i], 1, 1, stride, stride))
        return self._finish(column, self.reduceSize[i])

    # a single image goes through the columns as a batch of one
    def updateOutput(self, input):
        self.output = self.fromBatch(self.run_child(0, 'updateOutput', self.toBatch(input, 3)), 0)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, g = self.toBatch(input, 3), self.toBatch(gradOutput, 3)
        self.gradInput = self.fromBatch(self.run_child(0, 'updateGradInput', x, g), 0)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, g = self.toBatch(input, 3), self.toBatch(gradOutput, 3)
        self.run_child(0, 'accGradParameters', x, g, scale)
