"""fbnn's temporal modules: KMaxPooling (fbnn/KMaxPooling.lua, src/KMaxPooling.cpp), GroupKMaxPooling
(fbnn/GroupKMaxPooling.lua, src/GroupKMaxPooling.cpp), TemporalConvolutionTBC (fbnn/TemporalConvolutionTBC.lua,
src/TemporalConvolutionTBC.cpp) and UnfoldedTemporalConvolution (fbnn/UnfoldedTemporalConvolution.lua); and
fbcunn's TemporalKMaxPooling (fbcunn/TemporalKMaxPooling.lua, src/TemporalKMaxPooling*.cu/.cpp), kept here
as fbcunn's LookupTableGPU is (fbcunn's Lua loads fbnn)."""
import math
import numbers

from ..modules.base.errors import check_hyper, input_error
from ..modules.base.initialisation import OptionalBias, uniform_reset
from ..modules.base.module import Module
from ..tensor.window_kernels import padded, scatter_windows, sliding_windows
from .base import FbnnClass


def kept_rows(xp, values, n):
    """The rows (axis -2 of ``values``) of the ``n`` largest values, in increasing row order; among equal
    values the earlier row wins, as the C++'s heap replaces its smallest only by a strictly larger value."""
    # a stable sort of -values puts the largest first and keeps the row order among equals
    order = xp.argsort(-values, axis=-2, kind='stable')[..., :n, :]
    return xp.sort(order, axis=-2)


def _k(module, length):
    """k, or max(k, floor(k_dynamic * length)) when k_dynamic > 0."""
    return max(module.k, int(module.k_dynamic * length)) if module.k_dynamic > 0 else module.k


def _check_k(owner, k, k_dynamic):
    check_hyper(owner, positive=dict(k=k))
    if isinstance(k_dynamic, bool) or not isinstance(k_dynamic, numbers.Real):
        raise TypeError(f"{owner}: k_dynamic must be a number, got {k_dynamic!r}")


class KMaxPooling(FbnnClass, Module):
    """k-max pooling over time (Kalchbrenner et al., 2014): for each column of a ``(L, C)`` input, its ``k``
    largest values kept in their original row order, giving ``(k, C)``; rows past the input's length are 0.

    ``KMaxPooling(k, k_dynamic=-1)``: with ``k_dynamic > 0``, k is ``max(k, floor(k_dynamic * L))``. Ties keep
    the earlier row. ``switches`` (a LongTensor ``(k, C)``) holds the chosen rows, 0-based (the C's are
    0-based too). gradInput copies each gradOutput value back to its row (zeros elsewhere).

    Not provided: the Lua's second argument ``updateOutput(input, input_info)`` (a length limiting the rows
    that compete, returned with the output in a table): legonn's updateOutput takes the input only. The
    lengths of the last call are kept as ``input_length`` and ``output_length`` (``min(L, k)``).
    """


    def __init__(self, k, k_dynamic=-1):
        super().__init__()
        _check_k('fbnn.KMaxPooling', k, k_dynamic)
        self.k, self.k_dynamic = k, k_dynamic

    def _check(self, input):
        self.checkTensor(input, (2,), floating=True)
        return input

    def updateOutput(self, input):
        self._check(input)
        xp = input.xp
        rows = input.size(0)
        k = _k(self, rows)
        self.input_length = rows
        self.output_length = n = min(rows, k)
        x = input.array
        chosen = kept_rows(xp, x, n)
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
        return f"{self.lua_name}.KMaxPooling({self.k})"


class TemporalKMaxPooling(FbnnClass, Module):
    """fbcunn's ``nn.TemporalKMaxPooling(k, k_dynamic)``: for each feature column of a ``(L, F)`` input (or of
    each sample of a ``(B, L, F)`` batch), its k largest values over the L frames, written in frame order:
    output ``(k, F)`` (``(B, k, F)``).

    With ``k_dynamic`` (a number in [0, 1]; -1, the default, when not given) k is ``max(k, ceil(k_dynamic *
    L))`` (TemporalKMaxPoolingHost.cpp's checkAndAdjustK); a k larger than L is an error, as there. ``indices``
    holds the chosen frames, 0-based as the CUDA kernel writes them, in the input's (floating) type, as fbcunn's
    CudaTensor field: facebookarchive/NAMAS's beam search reads it (and adds 1 to make Lua word ids). Among
    equal values the earlier frame is kept. gradInput adds each gradOutput value to its frame, zeros elsewhere.

    fbcunn's is CUDA-only; legonn's runs on the CPU too, and its output and indices follow the input's device.
    """

    input_ranks = (2, 3)
    # fbcunn's constructor makes its buffers CudaTensors, so a module built under a CPU default type takes a
    # CUDA input there (NAMAS's beam builds it so and pools `out:cuda()`); it has no parameters to move
    any_device = True

    def __init__(self, k, k_dynamic=None):
        super().__init__()
        if k_dynamic is not None:
            _check_k('nn.TemporalKMaxPooling', k, k_dynamic)
            if not 0 <= k_dynamic <= 1:
                raise ValueError(f"nn.TemporalKMaxPooling: expected k_dynamic between 0 and 1, got {k_dynamic!r}")
        else:
            check_hyper('nn.TemporalKMaxPooling', positive=dict(k=k))
        self.k = k
        self.k_dynamic = -1 if k_dynamic is None else k_dynamic

    def _k(self, input):
        self.checkInput(input)
        length = input.size(-2)
        k = self.k if self.k_dynamic == -1 else max(self.k, math.ceil(self.k_dynamic * length))
        if k > length:
            raise input_error(self, f"a sequence of at least k = {k} frames (dimension {input.dim() - 2})",
                              f"{length} frames")
        return k

    def updateOutput(self, input):
        k = self._k(input)
        xp, x = input.xp, input.array
        chosen = kept_rows(xp, x, k)                                     # (..., k, F), frame order
        out = self.bufferLike('output', input, tuple(input.size())[:-2] + (k, input.size(-1)))
        out[...] = xp.take_along_axis(x, chosen, axis=-2)
        indices = self.bufferLike('indices', input, tuple(out.shape))
        indices[...] = chosen
        return self.output

    def updateGradInput(self, input, gradOutput):
        k = self._k(input)
        self.checkSize(gradOutput, tuple(input.size())[:-2] + (k, input.size(-1)))
        self.checkSameType(gradOutput, input, 'gradOutput')
        xp = input.xp
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        # as (B, L, F): each column's chosen frames are distinct, so one fancy assignment writes them
        features = input.size(-1)
        rows = self.indices.array.astype(xp.int64).reshape(-1, k, features)
        flat = gi.reshape(-1, input.size(-2), features)
        flat[xp.arange(rows.shape[0])[:, None, None], rows, xp.arange(features)[None, None, :]] = \
            gradOutput.array.reshape(rows.shape)
        return self.gradInput

    def __repr__(self):
        return f"nn.TemporalKMaxPooling({self.k})"


class GroupKMaxPooling(FbnnClass, Module):
    """Group k-max pooling: the ``k`` rows of largest Euclidean norm of a ``(L, D)`` input (or of each sample of
    a ``(B, L, D)`` batch), in their original order: output ``(k, D)`` (``(B, k, D)``); rows past L are 0.

    ``GroupKMaxPooling(k, k_dynamic=-1)``, k as KMaxPooling's. ``switches`` (LongTensor ``(k,)`` or ``(B,
    k)``) holds the chosen rows, 0-based. gradInput copies each gradOutput row back to its row; when ``L < k``
    the padding rows' switches are 0, so (as the C++) the last gradOutput row overwrites row 0's gradient.
    """

    input_ranks = (2, 3)

    def __init__(self, k, k_dynamic=-1):
        super().__init__()
        _check_k('fbnn.GroupKMaxPooling', k, k_dynamic)
        self.k, self.k_dynamic = k, k_dynamic

    def _sizes(self, input):
        self.checkInput(input)
        length = input.size(-2)
        return _k(self, length), min(length, _k(self, length))

    def updateOutput(self, input):
        k, n = self._sizes(input)
        xp, x = input.xp, input.array
        norms = xp.sqrt((x * x).sum(axis=-1, keepdims=True))
        chosen = kept_rows(xp, norms, n)[..., 0]                         # (..., n)
        lead = tuple(input.size())[:-2]
        switches = self.bufferLike('switches', input, lead + (k,), kind='Long')
        switches[...] = 0
        switches[..., :n] = chosen
        out = self.bufferLike('output', input, lead + (k, input.size(-1)))
        out[...] = 0
        out[..., :n, :] = xp.take_along_axis(x, chosen[..., None], axis=-2)
        return self.output

    def updateGradInput(self, input, gradOutput):
        k, n = self._sizes(input)
        self.checkSize(gradOutput, tuple(input.size())[:-2] + (k, input.size(-1)))
        self.checkSameType(gradOutput, input, 'gradOutput')
        xp, g = input.xp, gradOutput.array
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        # as (B, L, D): each sample's chosen rows are distinct, so one fancy assignment writes them
        rows = self.switches.array.reshape(-1, k)[:, :n]
        flat = gi.reshape((-1,) + gi.shape[-2:])
        flat[xp.arange(rows.shape[0])[:, None], rows] = g.reshape((-1, k) + g.shape[-1:])[:, :n]
        if n < k:
            gi[..., 0, :] = g[..., k - 1, :]
        return self.gradInput

    def __repr__(self):
        return f"{self.lua_name}.GroupKMaxPooling({self.k})"


class TemporalConvolutionTBC(FbnnClass, Module):
    """1-D convolution over time of a ``(T, B, nIn)`` input (time, batch, channels): output ``(T - kw + 1 +
    2 pad, B, nOut)``, ``out[t, b] = bias + sum_k in[t + k - pad, b] @ weight[k]`` with zeros outside the
    input.

    ``TemporalConvolutionTBC(nIn, nOut, kw, pad=0)``: ``weight`` ``(kw, nIn, nOut)``, ``bias`` ``(nOut,)``,
    uniform in +-1/sqrt(kw * nIn). As the C, accGradParameters scales gradWeight by ``scale`` but adds
    gradBias unscaled.
    """


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
        return f"{self.lua_name}.TemporalConvolutionTBC({self.nIn} -> {self.nOut}, {self.kw}, pad {self.pad})"


class UnfoldedTemporalConvolution(FbnnClass, OptionalBias, Module):
    """nn.TemporalConvolution with stride 1 and ``pad`` zero frames before and after the sequence: input ``(L,
    nin)`` or ``(N, L, nin)``, output ``(L + 2 pad - kw + 1, nout)`` (batched alike), ``out[t] = bias + weight @
    (in[t - pad], ..., in[t - pad + kw - 1])`` (frames concatenated; zeros outside the input).

    ``UnfoldedTemporalConvolution(nin, nout, kw, dW=1, pad=0)``: only ``dW = 1``, as the Lua. ``weight`` is
    ``(nout, kw * nin)`` and ``bias`` ``(nout,)``, nn.Linear's (the Lua's inner ``linear``: its reset rule, its
    ``noBias()``; the module is not a container here, the parameters are its own).
    """


    def parameterSizes(self):
        sizes = {'weight': (self.outputFrameSize, self.kW * self.inputFrameSize)}
        if self.bias is not None:
            sizes['bias'] = (self.outputFrameSize,)
        return sizes

    def __init__(self, nin, nout, kw, dW=1, pad=0):
        super().__init__()
        check_hyper('fbnn.UnfoldedTemporalConvolution', positive=dict(nin=nin, nout=nout, kw=kw),
                    nonnegative=dict(pad=pad))
        if dW != 1:
            raise ValueError(f"{self.lua_name}.UnfoldedTemporalConvolution: only dW = 1 is supported, got {dW!r}")
        self.kW, self.dW, self.pad, self.inputFrameSize, self.outputFrameSize = kw, 1, pad, nin, nout
        self.weight = self.output.new(nout, kw * nin)
        self.gradWeight = self.output.new(nout, kw * nin).zero()
        self.bias = self.output.new(nout)
        self.gradBias = self.output.new(nout).zero()
        self.reset()

    def reset(self, stdv=None):
        """nn.Linear's rule: uniform in +-1/sqrt(kw * nin)."""
        uniform_reset(stdv, self.kW * self.inputFrameSize, self.weight, self.bias)
        return self

    def _frames(self, input):
        """The input as (N, L, nin), and the output length."""
        self.checkTensor(input, (2, 3), floating=True)
        self.checkSameType(input, self.weight)
        if input.size(-1) != self.inputFrameSize:
            raise input_error(self, f"{self.inputFrameSize} features per frame (last dimension)",
                              f"input of size {tuple(input.size())}")
        length = input.size(-2)
        olen = length + 2 * self.pad - self.kW + 1
        if olen < 1:
            raise input_error(self, f"at least {self.kW - 2 * self.pad} frames", f"{length}")
        return input.array.reshape(-1, length, self.inputFrameSize), olen

    def _unfolded(self, x, olen):
        """(N, olen, kw * nin): row t holds frames t .. t + kw - 1 of the zero-padded input."""
        windows = sliding_windows(padded(x, (1,), ((self.pad, self.pad),)), (1,), (self.kW,), (1,))
        return windows.transpose(0, 1, 3, 2).reshape(x.shape[0], olen, self.kW * self.inputFrameSize)

    def updateOutput(self, input):
        x, olen = self._frames(input)
        out = self.bufferLike('output', input, tuple(input.size())[:-2] + (olen, self.outputFrameSize))
        res = self._unfolded(x, olen) @ self.weight.array.T
        if self.bias is not None:
            res += self.bias.array
        out.reshape(res.shape)[...] = res
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, olen = self._frames(input)
        self.checkSize(gradOutput, tuple(input.size())[:-2] + (olen, self.outputFrameSize))
        self.checkSameType(gradOutput, input, 'gradOutput')
        n, length, nin = x.shape
        g = gradOutput.array.reshape(n, olen, self.outputFrameSize)
        gcols = (g @ self.weight.array).reshape(n, olen, self.kW, nin)
        gpad = input.xp.zeros((n, length + 2 * self.pad, nin), dtype=x.dtype)
        scatter_windows(gpad, gcols.transpose(0, 1, 3, 2), (1,), (self.kW,), (1,))
        gi = self.bufferLike('gradInput', input)
        gi.reshape(x.shape)[...] = gpad[:, self.pad:self.pad + length]
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, olen = self._frames(input)
        self.checkSize(gradOutput, tuple(input.size())[:-2] + (olen, self.outputFrameSize))
        g = gradOutput.array.reshape(-1, self.outputFrameSize)
        cols = self._unfolded(x, olen).reshape(-1, self.kW * self.inputFrameSize)
        self.gradWeight.array[...] += scale * (g.T @ cols)
        if self.bias is not None:
            self.gradBias.array[...] += scale * g.sum(axis=0)

    def __repr__(self):
        return (f"{self.lua_name}.UnfoldedTemporalConvolution({self.inputFrameSize} -> {self.outputFrameSize}, "
                f"{self.kW}, pad {self.pad})")
