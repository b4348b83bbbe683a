"""Temporal (1-D) convolutions over sequences of frames: TemporalConvolution, TemporalRowConvolution.

Inputs are ``(nFrames, inputFrameSize)`` or ``(batch, nFrames, inputFrameSize)``,
frames along the first non-batch axis as in Torch7.
"""

from ..tensor.blas_kernels import add_sums, addmm_into
from ..tensor.window_kernels import scatter_windows, sliding_windows
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.initialisation import OptionalBias, uniform_reset
from .base.batching import batched
from .base.convolution import frame_count, frames_input


class TemporalConvolution(Module):
    """1-D convolution: each output frame is a Linear map of ``kW`` consecutive input frames.

    ``TemporalConvolution(inputFrameSize, outputFrameSize, kW, dW=1)``; input ``(nFrames, inputFrameSize)``
    or batched, output ``(nOutputFrame, outputFrameSize)`` with ``nOutputFrame = (nFrames - kW) // dW + 1``.
    ``weight`` is ``(outputFrameSize, kW * inputFrameSize)`` (frame after frame, as Torch7), ``bias``
    ``(outputFrameSize,)``.
    """

    positive_ints = ('inputFrameSize', 'outputFrameSize', 'kW', 'dW')

    def parameterSizes(self):
        return {'weight': (self.outputFrameSize, self.inputFrameSize * self.kW), 'bias': (self.outputFrameSize,)}

    def __init__(self, inputFrameSize, outputFrameSize, kW, dW=1):
        super().__init__()
        self.checkHyper(inputFrameSize=inputFrameSize, outputFrameSize=outputFrameSize, kW=kW, dW=dW)
        self.inputFrameSize, self.outputFrameSize, self.kW, self.dW = inputFrameSize, outputFrameSize, kW, dW
        self.weight = self.output.new(outputFrameSize, inputFrameSize * kW)
        self.gradWeight = self.output.new(outputFrameSize, inputFrameSize * kW)
        self.bias = self.output.new(outputFrameSize)
        self.gradBias = self.output.new(outputFrameSize)
        self.finput = self.output.new()
        self.fgradInput = self.output.new()
        self.reset()

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(kW*inputFrameSize) by default (Torch7's rule)."""
        uniform_reset(stdv, self.kW * self.inputFrameSize, self.weight, self.bias)
        return self

    def _check(self, input):
        return frames_input(self, input)

    def _columns(self, input, x, n_out):
        """Buffer ``finput`` filled with the input's windows, (N, nOut, kW * inputFrameSize) frame after frame."""
        n, f = x.shape[0], self.inputFrameSize
        win = sliding_windows(x, (1,), (self.kW,), (self.dW,))            # (N, nOut, F, kW)
        cols = self.bufferLike('finput', input, (n, n_out, self.kW * f))
        input.xp.copyto(cols.reshape(n, n_out, self.kW, f), win.transpose(0, 1, 3, 2))
        return cols

    def updateOutput(self, input):
        x, is_batch, n_out = self._check(input)
        n = x.shape[0]
        cols = self._columns(input, x, n_out)
        out = self.bufferLike('output', input, ((n,) if is_batch else ()) + (n_out, self.outputFrameSize))
        # one GEMM over every frame of the batch: NumPy's stacked matmul of (N, nOut, kW*F) by a transposed
        # weight runs one small product per sequence, 7x slower at 32x24x1536 by 1536x512 (bench/temporal_conv.py)
        out2 = out.reshape(n * n_out, self.outputFrameSize)
        input.xp.matmul(cols.reshape(n * n_out, -1), self.weight.array.T, out=out2)
        out2 += self.bias.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, is_batch, n_out = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        n, f = x.shape[0], self.inputFrameSize
        go = gradOutput.array.reshape(n, n_out, self.outputFrameSize)
        gcols = self.bufferLike('fgradInput', input, (n, n_out, self.kW * f))
        input.xp.matmul(go.reshape(n * n_out, -1), self.weight.array, out=gcols.reshape(n * n_out, -1))   # one GEMM
        gi = self.bufferLike('gradInput', input)
        gi.fill(0)
        scatter_windows(gi.reshape(x.shape), gcols.reshape(n, n_out, self.kW, f).transpose(0, 1, 3, 2),
                        (1,), (self.kW,), (self.dW,))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, is_batch, n_out = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        # gradWeight += scale * go^T finput over every frame of the batch, as Linear's: BLAS accumulates in place,
        # and IEEE results (inf * 0) pass silently from legonn's frame where np.tensordot's wrapper warned
        go = gradOutput.array.reshape(-1, self.outputFrameSize)
        # the windows of the input given here, not the last forward's: THNN's TemporalConvolution.c:328 reads input
        cols = self._columns(input, x, n_out)
        addmm_into(self.gradWeight.array, go, cols.reshape(go.shape[0], -1), scale, 1.0, a_transposed=True)
        add_sums(self.gradBias.array, go, 0, scale)

    def clearState(self):
        return super().clearState('finput', 'fgradInput')

    def __repr__(self):
        return f"{lua_typename(self)}({self.inputFrameSize} -> {self.outputFrameSize}, {self.kW}, {self.dW})"


class TemporalRowConvolution(OptionalBias, Module):
    """Depthwise 1-D convolution: each feature row is convolved with its own ``kW``-tap kernel.

    ``TemporalRowConvolution(inputFrameSize, kW, dW=1, featFirst=False)``; input ``(nFrames, inputFrameSize)``
    (or ``(inputFrameSize, nFrames)`` with ``featFirst``), batched or not; output in the same layout with
    ``(nFrames - kW) // dW + 1`` frames. ``weight`` is ``(inputFrameSize, 1, kW)``, ``bias``
    ``(inputFrameSize,)``.
    """

    positive_ints = ('inputFrameSize', 'kW', 'dW')

    def parameterSizes(self):
        return {'weight': (self.inputFrameSize, 1, self.kW), 'bias': (self.inputFrameSize,)}

    def __init__(self, inputFrameSize, kW, dW=1, featFirst=False):
        super().__init__()
        self.checkHyper(inputFrameSize=inputFrameSize, kW=kW, dW=dW)
        self.inputFrameSize, self.kW, self.dW = inputFrameSize, kW, dW
        self.featFirst = bool(featFirst)
        self.weight = self.output.new(inputFrameSize, 1, kW)
        self.gradWeight = self.output.new(inputFrameSize, 1, kW)
        self.bias = self.output.new(inputFrameSize)
        self.gradBias = self.output.new(inputFrameSize)
        self.reset()

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(kW*inputFrameSize) by default (Torch7's rule)."""
        uniform_reset(stdv, self.kW * self.inputFrameSize, self.weight, self.bias)
        return self

    def _check(self, input):
        """The input as (N, features, frames) (a view), its batch flag and the output frame count."""
        x, is_batch = batched(self, input, (2, 3))
        self.checkSameType(input, self.weight)
        xf = x if self.featFirst else x.transpose(0, 2, 1)
        if xf.shape[1] != self.inputFrameSize:
            where = 'first non-batch' if self.featFirst else 'last'
            raise input_error(self, f"inputFrameSize = {self.inputFrameSize} features ({where} dimension)",
                              f"{xf.shape[1]} (input of size {tuple(input.size())})")
        return xf, is_batch, frame_count(self, xf, input, self.kW, self.dW, 2)

    def _layout(self, arr, n_out):
        """An (N, features, frames) view of an array in the module's own layout."""
        shaped = arr.reshape((-1, self.inputFrameSize, n_out) if self.featFirst else (-1, n_out, self.inputFrameSize))
        return shaped if self.featFirst else shaped.transpose(0, 2, 1)

    def updateOutput(self, input):
        xf, is_batch, n_out = self._check(input)
        f = self.inputFrameSize
        size = (n_out, f) if not self.featFirst else (f, n_out)
        out = self._layout(self.bufferLike('output', input, ((xf.shape[0],) if is_batch else ()) + size), n_out)
        win = sliding_windows(xf, (2,), (self.kW,), (self.dW,))          # (N, F, nOut, kW)
        input.xp.matmul(win, self.weight.array.reshape(f, self.kW, 1), out=out[..., None])
        if self.bias is not None:
            out += self.bias.array[:, None]
        return self.output

    def updateGradInput(self, input, gradOutput):
        xf, is_batch, n_out = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        go = self._layout(gradOutput.array, n_out)
        gi = self._layout(self.bufferLike('gradInput', input), xf.shape[2])
        gi.fill(0)
        cols = go[..., None] * self.weight.array.reshape(1, self.inputFrameSize, 1, self.kW)
        scatter_windows(gi, cols, (2,), (self.kW,), (self.dW,))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        xf, is_batch, n_out = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        go = self._layout(gradOutput.array, n_out)
        win = sliding_windows(xf, (2,), (self.kW,), (self.dW,))
        gw = input.xp.matmul(go[..., None, :], win).sum(axis=0)           # (F, 1, kW)
        self.gradWeight.array += scale * gw
        if self.bias is not None:
            self.gradBias.array += scale * go.sum(axis=(0, 2))

    def __repr__(self):
        s = f"{lua_typename(self)}({self.inputFrameSize}, {self.kW}"
        if self.dW != 1:
            s += f", {self.dW}"
        return s + (')' if self.bias is not None else ') without bias')
