"""SoftMax and LogSoftMax over the feature dimension; nnx's MultiSoftMax over the last one.

The normalised dimension follows Torch7: the only one of a 1-D input, the
second of a 2-D (batch, features) input, the first of a 3-D (channels, h, w)
input and the second of a 4-D (batch, channels, h, w) input.
"""
from ..tensor import cuda_kernels
from ..tensor.nn_table import thnn_table
from ..tensor.reductions import reducer
from .base.module import Module

_AXIS = {1: 0, 2: 1, 3: 0, 4: 1}


class _Normalised(Module):
    """What both share: the input check, the normalised axis and the reduced buffer ``_norm``.

    Reductions are the arrays' own methods: ``np.sum``/``np.max`` add a Python wrapper of about 1.2 us a call,
    a third of the whole reduction of a (32, 65) batch."""

    input_ranks = (1, 2, 3, 4)

    def _axis(self, input):
        self.checkInput(input)
        return _AXIS[len(input._size)]

    def _reduced(self, input, axis):
        """The (size-1 along ``axis``, an axis or a tuple of them) buffer for per-row maxima and sums."""
        sizes = list(input._size)
        for a in (axis if isinstance(axis, tuple) else (axis,)):
            sizes[a] = 1
        return self.bufferLike('_norm', input, sizes)

    def clearState(self, *names):
        return super().clearState('_norm', '_exp', *names)


class SoftMax(_Normalised):
    """y_i = exp(x_i) / sum_j exp(x_j) along the feature dimension; input 1-D to 4-D."""

    def updateOutput(self, input):
        axis = self._axis(input)
        xp, x = input.xp, input.array
        out = self.bufferLike('output', input)
        norm = self._reduced(input, axis)
        x.max(axis=axis, keepdims=True, out=norm)  # shifting by the max keeps exp from overflowing
        xp.subtract(x, norm, out=out)
        xp.exp(out, out=out)
        out.sum(axis=axis, keepdims=True, out=norm)
        out /= norm
        return self.output

    def updateGradInput(self, input, gradOutput):
        # dx_i = y_i (g_i - sum_j g_j y_j)
        axis = self._axis(input)
        self.checkGradOutput(gradOutput, self.output)
        xp, y, g = input.xp, self.output.array, gradOutput.array
        gi = self.bufferLike('gradInput', input)
        norm = self._reduced(input, axis)
        xp.multiply(g, y, out=gi)
        gi.sum(axis=axis, keepdims=True, out=norm)
        xp.subtract(g, norm, out=gi)
        gi *= y
        return self.gradInput


class MultiSoftMax(SoftMax):
    """nnx's MultiSoftMax (dp's multi-output classifiers): SoftMax over the last dimension of a 2-D (batch,
    classes) or 3-D (batch, outputs, classes) input, each of the batch x outputs rows normalised on its own
    (the Lua file views a 3-D input as (batch * outputs, classes) for THNN's SoftMax). Where the Lua file's
    2-D forward returns nil (it returns THNN's result), legonn returns the output."""

    input_ranks = (2, 3)

    def _axis(self, input):
        self.checkInput(input)
        return len(input._size) - 1


class LogSoftMax(_Normalised):
    """y_i = x_i - log sum_j exp(x_j) along the feature dimension; input 1-D to 4-D."""

    def updateOutput(self, input):
        axis = self._axis(input)
        xp, x = input.xp, input.array
        out = self.bufferLike('output', input)
        if cuda_kernels.log_softmax_applies(x):   # a batch on the GPU: one kernel for the six steps below
            cuda_kernels.log_softmax_forward(x, out)
            return self.output
        norm = self._reduced(input, axis)
        x.max(axis=axis, keepdims=True, out=norm)
        xp.subtract(x, norm, out=out)
        exp = self.bufferLike('_exp', input)
        xp.exp(out, out=exp)
        exp.sum(axis=axis, keepdims=True, out=norm)
        xp.log(norm, out=norm)
        out -= norm
        return self.output

    def updateGradInput(self, input, gradOutput):
        # dx_i = g_i - exp(y_i) sum_j g_j
        axis = self._axis(input)
        self.checkGradOutput(gradOutput, self.output)
        xp, g = input.xp, gradOutput.array
        gi = self.bufferLike('gradInput', input)
        if cuda_kernels.log_softmax_applies(gi):
            cuda_kernels.log_softmax_backward(g, self.output.array, gi)
            return self.gradInput
        norm = self._reduced(input, axis)
        reducer(xp, 'sum')(g, axis=axis, keepdims=True, out=norm)
        xp.exp(self.output.array, out=gi)
        gi *= norm
        xp.subtract(g, gi, out=gi)
        return self.gradInput


def _thnn_call(name, module_class, input, output, gradOutput=None, gradInput=None):
    """THNN.h's SoftMax and LogSoftMax functions (torch/nn's SoftMax.lua and LogSoftMax.lua call them): a module
    of ``module_class`` computes into the caller's tensors, which must be of ``input``'s type, as THNN's are of
    one; ``output`` (and ``gradInput``) are resized in place, as THTensor_(resizeAs) does."""
    given = {'output': output, 'gradOutput': gradOutput, 'gradInput': gradInput}
    for what, t in given.items():
        if t is not None and (not hasattr(t, 'type') or t.type() != input.type()):
            got = t.type() if hasattr(t, 'type') else type(t).__name__
            raise TypeError(f"tensor.THNN.{name}: expected {what} a {input.type()} (the input's type), got {got}")
    module = module_class()
    module.output = output
    if gradOutput is None:
        module.updateOutput(input)
    else:
        module.gradInput = gradInput
        module.updateGradInput(input, gradOutput)


@thnn_table.register
def SoftMax_updateOutput(input, output):
    """THNN's SoftMax_updateOutput(input, output): ``output`` becomes the soft max of ``input`` along nn.SoftMax's
    dimension."""
    _thnn_call('SoftMax_updateOutput', SoftMax, input, output)


@thnn_table.register
def SoftMax_updateGradInput(input, gradOutput, gradInput, output):
    """THNN's SoftMax_updateGradInput(input, gradOutput, gradInput, output): ``gradInput`` from the forward's
    ``output`` (the input is not read, as in THNN: maskSoftmax.lua's masked input gives the same gradient)."""
    _thnn_call('SoftMax_updateGradInput', SoftMax, input, output, gradOutput, gradInput)


@thnn_table.register
def LogSoftMax_updateOutput(input, output):
    """THNN's LogSoftMax_updateOutput(input, output)."""
    _thnn_call('LogSoftMax_updateOutput', LogSoftMax, input, output)


@thnn_table.register
def LogSoftMax_updateGradInput(input, gradOutput, gradInput, output):
    """THNN's LogSoftMax_updateGradInput(input, gradOutput, gradInput, output)."""
    _thnn_call('LogSoftMax_updateGradInput', LogSoftMax, input, output, gradOutput, gradInput)
