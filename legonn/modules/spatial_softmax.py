"""SoftMax and LogSoftMax across planes at every pixel: SpatialSoftMax, SpatialLogSoftMax.

A CudaHalfTensor's sums over the planes are taken in float, as THCUNN's kernels take them (its AccumT)."""
from .base.module import Module
from ..tensor.reductions import in_acctype


def feature_axis(module, input):
    """The axis normalised over, as THNN's SoftMax: 0 for 1-D and 3-D inputs, 1 for 2-D and 4-D."""
    module.checkInput(input)
    return 0 if input.dim() in (1, 3) else 1


def shifted_input(module, input):
    """``module``'s output buffer holding ``input`` less its maximum over the feature axis (what both modules
    exponentiate: no term exceeds exp(0), so none overflows), and that axis."""
    axis = feature_axis(module, input)
    x = input.array
    out = module.bufferLike('output', input)
    input.xp.subtract(x, x.max(axis=axis, keepdims=True), out=out)
    return out, axis


class SpatialSoftMax(Module):
    """Softmax over planes at every position: ``(nPlanes, H, W)`` or ``(batch, nPlanes, H, W)``.

    ``y[c, h, w] = exp(x[c, h, w]) / sum_c' exp(x[c', h, w])``; output the input's size.
    """

    input_ranks = (1, 2, 3, 4)

    def updateOutput(self, input):
        out, axis = shifted_input(self, input)
        input.xp.exp(out, out=out)
        out /= in_acctype(out).sum(axis=axis, keepdims=True)
        return self.output

    def updateGradInput(self, input, gradOutput):
        axis = feature_axis(self, input)
        self.checkGradOutput(gradOutput, self.output)
        y, go = self.output.array, gradOutput.array
        gi = self.bufferLike('gradInput', input)
        gi[...] = y * (go - in_acctype(go * y).sum(axis=axis, keepdims=True))
        return self.gradInput


class SpatialLogSoftMax(Module):
    """Log-softmax over planes at every position: ``(nPlanes, H, W)`` or ``(batch, nPlanes, H, W)``.

    ``y[c, h, w] = x[c, h, w] - log sum_c' exp(x[c', h, w])``; output the input's size.
    """

    input_ranks = (1, 2, 3, 4)

    def updateOutput(self, input):
        out, axis = shifted_input(self, input)
        xp = input.xp
        out -= xp.log(in_acctype(xp.exp(out)).sum(axis=axis, keepdims=True))
        return self.output

    def updateGradInput(self, input, gradOutput):
        axis = feature_axis(self, input)
        self.checkGradOutput(gradOutput, self.output)
        xp = input.xp
        go = gradOutput.array
        gi = self.bufferLike('gradInput', input)
        gi[...] = go - xp.exp(self.output.array) * in_acctype(go).sum(axis=axis, keepdims=True)
        return self.gradInput
