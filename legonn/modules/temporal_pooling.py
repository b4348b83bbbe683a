"""Temporal (1-D) pooling over sequences of frames: TemporalMaxPooling, TemporalSubSampling,
TemporalDynamicKMaxPooling.

Inputs are ``(nFrames, frameSize)`` or ``(batch, nFrames, frameSize)``; each
feature (column) is pooled independently along the frames.
"""
import math

import numpy as np

from ..tensor import pool_kernels as pk
from ..tensor.scatter_kernels import scatter_add_along
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.initialisation import uniform_reset
from .base.batching import batched
from .base.convolution import frame_count, frames_input
from .base.typed import kind_class


class TemporalMaxPooling(Module):
    """Max over windows of ``kW`` frames moved by ``dW``, per feature.

    ``TemporalMaxPooling(kW, dW=kW)``; output ``((nFrames - kW) // dW + 1, frameSize)``. ``indices`` (a
    LongTensor shaped like the output) hold the 0-based offset of the maximum inside its window, as Torch7 (-1
    for a window of NaNs and -infs: output -inf, no gradient).
    """

    positive_ints = ('kW', 'dW')

    def __init__(self, kW, dW=None):
        super().__init__()
        dW = kW if dW is None else dW
        self.checkHyper(kW=kW, dW=dW)
        self.kW, self.dW = kW, dW
        self.indices = kind_class(self.output, 'Long')()

    def _check(self, input):
        x, is_batch = batched(self, input, (2, 3))
        if input.dtype.kind != 'f':
            raise input_error(self, "a floating-point input", input.type(), TypeError)
        return x, is_batch, frame_count(self, x, input, self.kW, self.dW, 1)

    def updateOutput(self, input):
        x, is_batch, n_out = self._check(input)
        # features as channels: (N, F, T) views put the frames on the pooled axis
        out, argmax = pk.max_pool_forward(x.transpose(0, 2, 1), (self.kW,), (self.dW,), (0,), (1,), (n_out,))
        size = tuple(input.size())[:-2] + (n_out, x.shape[2])
        self.bufferLike('output', input, size)[...] = out.transpose(0, 2, 1).reshape(size)
        # no winner (a window of NaNs and -infs) is THNN's index -1, which backward never matches
        won = input.xp.where(argmax == self.kW, -1, argmax.astype(np.int64))
        self.bufferLike('indices', input, size, kind='Long')[...] = won.transpose(0, 2, 1).reshape(size)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, is_batch, n_out = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        n, f = x.shape[0], x.shape[2]
        argmax = self.indices.array.reshape(n, n_out, f).transpose(0, 2, 1)
        go = gradOutput.array.reshape(n, n_out, f).transpose(0, 2, 1)
        gi = pk.max_pool_backward(go, argmax, (n, f, x.shape[1]), (self.kW,), (self.dW,), (0,), (1,))
        self.bufferLike('gradInput', input).reshape(x.shape)[...] = gi.transpose(0, 2, 1)
        return self.gradInput

    def clearState(self):
        self.indices.set()
        return super().clearState()

    def __repr__(self):
        return f"{lua_typename(self)}({self.kW}, {self.dW})"


class TemporalSubSampling(Module):
    """Per-feature scaled sum over windows: ``y[t, f] = bias[f] + weight[f] * sum_k x[t dW + k, f]``.

    ``TemporalSubSampling(inputFrameSize, kW, dW=1)``; ``weight`` and ``bias`` are ``(inputFrameSize,)``;
    output ``((nFrames - kW) // dW + 1, inputFrameSize)``, batched or not.
    """

    positive_ints = ('inputFrameSize', 'kW', 'dW')

    def parameterSizes(self):
        return {'weight': (self.inputFrameSize,), 'bias': (self.inputFrameSize,)}

    def __init__(self, inputFrameSize, kW, dW=1):
        super().__init__()
        self.checkHyper(inputFrameSize=inputFrameSize, kW=kW, dW=dW)
        self.inputFrameSize, self.kW, self.dW = inputFrameSize, kW, dW
        self.weight = self.output.new(inputFrameSize)
        self.gradWeight = self.output.new(inputFrameSize)
        self.bias = self.output.new(inputFrameSize)
        self.gradBias = self.output.new(inputFrameSize)
        self.reset()

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(kW) by default (Torch7's rule)."""
        uniform_reset(stdv, self.kW, self.weight, self.bias)
        return self

    def _check(self, input):
        return frames_input(self, input)

    def _sums(self, x, n_out):
        """Window sums (N, nOut, F), pooling the (N, F, T) view of the frames."""
        return pk.sum_pool_forward(x.transpose(0, 2, 1), (self.kW,), (self.dW,), (0,), (n_out,)).transpose(0, 2, 1)

    def updateOutput(self, input):
        x, is_batch, n_out = self._check(input)
        out = self.bufferLike('output', input, tuple(input.size())[:-2] + (n_out, self.inputFrameSize))
        out[...] = (self._sums(x, n_out) * self.weight.array + self.bias.array).reshape(out.shape)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, is_batch, n_out = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        go = gradOutput.array.reshape(x.shape[0], n_out, self.inputFrameSize) * self.weight.array
        gi = pk.sum_pool_backward(go.transpose(0, 2, 1), (x.shape[0], self.inputFrameSize, x.shape[1]),
                                  (self.kW,), (self.dW,), (0,))
        self.bufferLike('gradInput', input).reshape(x.shape)[...] = gi.transpose(0, 2, 1)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, is_batch, n_out = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        go = gradOutput.array.reshape(x.shape[0], n_out, self.inputFrameSize)
        self.gradWeight.array += scale * (go * self._sums(x, n_out)).sum(axis=(0, 1))
        self.gradBias.array += scale * go.sum(axis=(0, 1))

    def __repr__(self):
        return f"{lua_typename(self)}({self.inputFrameSize}, {self.kW}, {self.dW})"


class TemporalDynamicKMaxPooling(Module):
    """Keeps the ``k`` largest values of each feature along the frames, in their original order.

    ``TemporalDynamicKMaxPooling(minK, factor=0)``: ``k = max(minK, ceil(factor * nFrames))`` (Kalchbrenner
    et al., 2014). Input ``(nFrames, frameSize)`` or batched; output ``(k, frameSize)``. ``indices`` hold the
    0-based frame of each kept value.
    """

    positive_ints = ('minK',)

    def __init__(self, minK, factor=0):
        super().__init__()
        self.checkHyper(minK=minK)
        if not isinstance(factor, (int, float)) or isinstance(factor, bool) or factor < 0:
            raise ValueError(f"TemporalDynamicKMaxPooling: factor must be a non-negative number, got {factor!r}")
        self.minK, self.factor = minK, factor
        self.indices = kind_class(self.output, 'Long')()

    def _check(self, input):
        x, is_batch = batched(self, input, (2, 3))
        if input.dtype.kind != 'f':
            raise input_error(self, "a floating-point input", input.type(), TypeError)
        n = x.shape[1]
        k = max(self.minK, math.ceil(self.factor * n))
        if n < k:
            raise input_error(self, f"at least k = {k} frames", f"{n} (input of size {tuple(input.size())})")
        return x, is_batch, k

    def updateOutput(self, input):
        x, is_batch, k = self._check(input)
        xp = input.xp
        top = xp.sort(xp.argsort(-x, axis=1)[:, :k], axis=1)
        size = tuple(input.size())[:-2] + (k, x.shape[2])
        self.bufferLike('output', input, size)[...] = xp.take_along_axis(x, top, 1).reshape(size)
        self.bufferLike('indices', input, size, kind='Long')[...] = top.reshape(size)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, is_batch, k = self._check(input)
        self.checkForwardInput(input)   # the indices are frames of the input forward saw
        self.checkGradOutput(gradOutput, self.output)
        n, f = x.shape[0], x.shape[2]
        gi = self.bufferLike('gradInput', input).reshape(x.shape)
        gi.fill(0)
        # each feature's gradient goes back to the frames it kept, along its own sequence (axis 1)
        scatter_add_along(gi, self.indices.array.reshape(n, k, f), gradOutput.array.reshape(n, k, f), 1)
        return self.gradInput

    def clearState(self):
        self.indices.set()
        return super().clearState()

    def __repr__(self):
        return f"{lua_typename(self)}({self.minK}, {self.factor})"
