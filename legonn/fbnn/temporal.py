"""fbnn's temporal modules: KMaxPooling (fbnn/KMaxPooling.lua, src/KMaxPooling.cpp) and
TemporalConvolutionTBC (fbnn/TemporalConvolutionTBC.lua, src/TemporalConvolutionTBC.cpp)."""
import numbers

from ..modules.base.errors import check_hyper, input_error
from ..modules.base.initialisation import uniform_reset
from ..modules.base.module import Module


class KMaxPooling(Module):
    """k-max pooling over time (Kalchbrenner et al., 2014): for each column of a ``(L, C)`` input, its ``k``
    largest values kept in their original row order, giving ``(k, C)``; rows past the input's length are 0.

    ``KMaxPooling(k, k_dynamic=-1)``: with ``k_dynamic > 0``, k is ``max(k, floor(k_dynamic * L))``. Ties keep
    the earlier row. ``switches`` (a LongTensor ``(k, C)``) holds the chosen rows, 0-based (the C's are
    0-based too). gradInput copies each gradOutput value back to its row (zeros elsewhere).

    Not provided: the Lua's second argument ``updateOutput(input, input_info)`` (a length limiting the rows
    that compete, returned with the output in a table): legonn's updateOutput takes the input only. The
    lengths of the last call are kept as ``input_length`` and ``output_length`` (``min(L, k)``).
    """

    lua_package = 'fbnn'

    def __init__(self, k, k_dynamic=-1):
        super().__init__()
        check_hyper('fbnn.KMaxPooling', positive=dict(k=k))
        if isinstance(k_dynamic, bool) or not isinstance(k_dynamic, numbers.Real):
            raise TypeError(f"fbnn.KMaxPooling: k_dynamic must be a number, got {k_dynamic!r}")
        self.k, self.k_dynamic = k, k_dynamic

    def _check(self, input):
        self.checkTensor(input, (2,), floating=True)
        return input

    def updateOutput(self, input):
        self._check(input)
        xp = input.xp
        rows = input.size(0)
        k = self.k
        if self.k_dynamic > 0:
            k = max(k, int(self.k_dynamic * input.size(0)))
        self.input_length = rows
        self.output_length = min(rows, k)
        n = self.output_length
        x = input.array[:rows]
        # stable sort of -x: the largest values first, the earlier row first among equals
        order = xp.argsort(-x, axis=0, kind='stable')[:n]
        chosen = xp.sort(order, axis=0)
        out = self.bufferLike('output', input, (k, input.size(1)))
        out[...] = 0
        out[:n] = xp.take_along_axis(x, chosen, axis=0)
        switches = self.bufferLike('switches', input, (k, input.size(1)), kind='Long')
        switches[...] = 0
        switches[:n] = chosen
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._check(input)
        self.checkSize(gradOutput, tuple(self.output.size()))
        self.checkSameType(gradOutput, input, 'gradOutput')
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        n = self.output_length
        cols = input.xp.arange(input.size(1))[None, :]
        gi[self.switches.array[:n], cols] = gradOutput.array[:n]
        return self.gradInput

    def __repr__(self):
        return f"fbnn.KMaxPooling({self.k})"


class TemporalConvolutionTBC(Module):
    """1-D convolution over time of a ``(T, B, nIn)`` input (time, batch, channels): output ``(T - kw + 1 +
    2 pad, B, nOut)``, ``out[t, b] = bias + sum_k in[t + k - pad, b] @ weight[k]`` with zeros outside the
    input.

    ``TemporalConvolutionTBC(nIn, nOut, kw, pad=0)``: ``weight`` ``(kw, nIn, nOut)``, ``bias`` ``(nOut,)``,
    uniform in +-1/sqrt(kw * nIn). As the C, accGradParameters scales gradWeight by ``scale`` but adds
    gradBias unscaled.
    """

    lua_package = 'fbnn'

    def parameterSizes(self):
        return {'weight': (self.kw, self.nIn, self.nOut), 'bias': (self.nOut,)}

    def __init__(self, nIn, nOut, kw, pad=0):
        super().__init__()
        check_hyper('fbnn.TemporalConvolutionTBC', positive=dict(nIn=nIn, nOut=nOut, kw=kw),
                    nonnegative=dict(pad=pad))
        self.nIn, self.nOut, self.kw, self.pad = nIn, nOut, kw, pad
        self.weight = self.output.new(kw, nIn, nOut)
        self.gradWeight = self.output.new(kw, nIn, nOut).zero()
        self.bias = self.output.new(nOut)
        self.gradBias = self.output.new(nOut).zero()
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.kw * self.nIn, self.weight, self.bias)
        return self

    def noBias(self):
        raise NotImplementedError("fbnn.TemporalConvolutionTBC: noBias mode is not implemented (nor in fbnn)")

    def _spans(self, input):
        """Per kernel tap k: (input rows, output rows) slices it connects; and the output length."""
        self.checkTensor(input, (3,), floating=True)
        self.checkSameType(input, self.weight)
        if input.size(2) != self.nIn:
            raise input_error(self, f"{self.nIn} input channels (dimension 2)", f"input of size "
                              f"{tuple(input.size())}")
        ilen = input.size(0)
        olen = ilen - self.kw + 1 + 2 * self.pad
        if olen < 1:
            raise input_error(self, f"at least {self.kw - 2 * self.pad} time steps", f"{ilen}")
        spans = []
        for k in range(self.kw):
            i0, o0 = max(0, k - self.pad), max(0, self.pad - k)
            t = min(ilen + self.pad - k, olen) - o0
            if t > 0:
                spans.append((k, slice(i0, i0 + t), slice(o0, o0 + t)))
        return spans, olen

    def updateOutput(self, input):
        spans, olen = self._spans(input)
        out = self.bufferLike('output', input, (olen, input.size(1), self.nOut))
        out[...] = self.bias.array
        for k, i, o in spans:
            out[o] += input.array[i] @ self.weight.array[k]
        return self.output

    def updateGradInput(self, input, gradOutput):
        spans, olen = self._spans(input)
        self.checkSize(gradOutput, (olen, input.size(1), self.nOut))
        self.checkSameType(gradOutput, input, 'gradOutput')
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        for k, i, o in spans:
            gi[i] += gradOutput.array[o] @ self.weight.array[k].T
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        spans, olen = self._spans(input)
        self.checkSize(gradOutput, (olen, input.size(1), self.nOut))
        self.checkSameType(gradOutput, input, 'gradOutput')
        g = gradOutput.array
        self.gradBias.array[...] += g.sum(axis=(0, 1))
        for k, i, o in spans:
            self.gradWeight.array[k] += scale * (input.array[i].reshape(-1, self.nIn).T
                                                 @ g[o].reshape(-1, self.nOut))

    def __repr__(self):
        return f"fbnn.TemporalConvolutionTBC({self.nIn} -> {self.nOut}, {self.kw}, pad {self.pad})"
