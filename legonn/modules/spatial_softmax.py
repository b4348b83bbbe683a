"""SoftMax and LogSoftMax across planes at every pixel: SpatialSoftMax, SpatialLogSoftMax."""
from .base.errors import input_error
from .base.module import Module


def feature_axis(module, input):
    """The axis normalised over, as THNN's SoftMax: 0 for 1-D and 3-D inputs, 1 for 2-D and 4-D."""
    module.checkTensor(input, (1, 2, 3, 4))
    if input.dtype.kind != 'f':
        raise input_error(module, "a floating-point input", input.type(), TypeError)
    return 0 if input.dim() in (1, 3) else 1


class SpatialSoftMax(Module):
    """Softmax over planes at every position: ``(nPlanes, H, W)`` or ``(batch, nPlanes, H, W)``.

    ``y[c, h, w] = exp(x[c, h, w]) / sum_c' exp(x[c', h, w])``; output the input's size.
    """

    def updateOutput(self, input):
        axis = feature_axis(self, input)
        xp = input.xp
        x = input.array
        out = self.bufferLike('output', input)
        xp.subtract(x, x.max(axis=axis, keepdims=True), out=out)
        xp.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        return self.output

    def updateGradInput(self, input, gradOutput):
        axis = feature_axis(self, input)
        self.checkGradOutput(gradOutput, self.output)
        y, go = self.output.array, gradOutput.array
        gi = self.bufferLike('gradInput', input)
        gi[...] = y * (go - (go * y).sum(axis=axis, keepdims=True))
        return self.gradInput


class SpatialLogSoftMax(Module):
    """Log-softmax over planes at every position: ``(nPlanes, H, W)`` or ``(batch, nPlanes, H, W)``.

    ``y[c, h, w] = x[c, h, w] - log sum_c' exp(x[c', h, w])``; output the input's size.
    """

    def updateOutput(self, input):
        axis = feature_axis(self, input)
        xp = input.xp
        x = input.array
        out = self.bufferLike('output', input)
        xp.subtract(x, x.max(axis=axis, keepdims=True), out=out)
        out -= xp.log(xp.exp(out).sum(axis=axis, keepdims=True))
        return self.output

    def updateGradInput(self, input, gradOutput):
        axis = feature_axis(self, input)
        self.checkGradOutput(gradOutput, self.output)
        xp = input.xp
        go = gradOutput.array
        gi = self.bufferLike('gradInput', input)
        gi[...] = go - xp.exp(self.output.array) * go.sum(axis=axis, keepdims=True)
        return self.gradInput
