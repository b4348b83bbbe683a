"""Smooth activations, curves built from exp, log or tanh: Tanh, Sigmoid, SoftPlus, SoftSign, LogSigmoid,
TanhShrink; and the normalising SoftMin and GatedLinearUnit (Torch7 doc/transfer.md)."""
from ..tensor.pointwise import sigmoid_into
from ..tensor.introspection import typename as lua_typename
from .base.elementwise import Elementwise
from .base.errors import check_number, input_error
from .base.hessian import PointWiseDiagHessian, diag_hessian_input_buffer
from .base.module import Module


class Tanh(PointWiseDiagHessian, Elementwise):
    """y = tanh(x); dy/dx = 1 - y^2; any shape."""

    backward_reads_output = True
    cuda_forward = 'y = tanh(x)'
    cuda_backward = 'gi = go * (1 - y * y)'

    def _forward(self, x, out, xp):
        xp.tanh(x, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.multiply(y, y, out=gradInput)
        xp.subtract(1, gradInput, out=gradInput)
        gradInput *= gradOutput


class Sigmoid(Elementwise):
    """y = 1 / (1 + exp(-x)); dy/dx = y (1 - y); any shape."""

    backward_reads_output = True
    cuda_forward = 'y = 1 / (1 + exp(-x))'
    cuda_backward = 'gi = go * y * (1 - y)'

    def _forward(self, x, out, xp):
        sigmoid_into(xp, x, out)  # overflow-free for large |x|

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.subtract(1, y, out=gradInput)
        gradInput *= y
        gradInput *= gradOutput


class SoftPlus(Elementwise):
    """y = log(1 + exp(beta * x)) / beta, and y = x where beta * x > threshold (for stability).

    Any shape. ``SoftPlus(beta=1)``; ``threshold`` is 20, as SoftPlus.lua sets it whatever is passed
    (its constructor reads only beta); it stays a field a user may change after construction.
    """

    backward_reads_output = True
    unread_arguments_note = ("Torch7's SoftPlus reads only beta and fixes threshold at 20 (a second argument "
                             "is dropped): leave it out, and to change it set m.threshold")

    def __init__(self, beta=1):
        super().__init__()
        if check_number('SoftPlus', 'beta', beta) <= 0:
            raise ValueError(f"SoftPlus: beta must be positive, got {beta}")
        self.beta, self.threshold = float(beta), 20.0

    def _forward(self, x, out, xp):
        bx = self.beta * x
        soft = xp.log1p(xp.exp(xp.minimum(bx, self.threshold))) / self.beta
        xp.copyto(out, xp.where(bx > self.threshold, x, soft))

    def _backward(self, x, y, gradOutput, gradInput, xp):
        by = self.beta * y
        # 1 - exp(-beta y) is the logistic sigmoid of beta x, computed from the output
        deriv = xp.where(by > self.threshold, 1, -xp.expm1(-by))
        xp.multiply(gradOutput, deriv, out=gradInput)

    def __repr__(self):
        return f"{lua_typename(self)}(beta={self.beta:g}, threshold={self.threshold:g})"


class SoftSign(Elementwise):
    """y = x / (1 + |x|); any shape."""

    def _forward(self, x, out, xp):
        xp.divide(x, 1 + xp.abs(x), out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.divide(gradOutput, xp.square(1 + xp.abs(x)), out=gradInput)


class LogSigmoid(Elementwise):
    """y = log(1 / (1 + exp(-x))); any shape."""

    backward_reads_output = True

    def _forward(self, x, out, xp):
        # -(max(-x, 0) + log(1 + exp(-|x|))) never overflows
        xp.negative(xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x))), out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        # dy/dx = 1 - sigmoid(x) = 1 - exp(y)
        xp.multiply(gradOutput, -xp.expm1(y), out=gradInput)


class TanhShrink(Elementwise):
    """y = x - tanh(x); any shape."""

    def _forward(self, x, out, xp):
        xp.subtract(x, xp.tanh(x), out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.multiply(gradOutput, xp.square(xp.tanh(x)), out=gradInput)

    def updateDiagHessianInput(self, input, diagHessianOutput):
        """hessian.lua's rule, kept as Torch7 computes it: h + tanh'(x)^2 h with tanh'(x) = 1 - tanh(x)^2
        (the squared derivative of this module, tanh(x)^4 h, is not what it computes)."""
        diag_hessian_input_buffer(self, input)
        xp, h = input.xp, diagHessianOutput.array
        slope = 1 - xp.square(xp.tanh(input.array))
        xp.add(h, slope * slope * h, out=self.diagHessianInput.array)
        return self.diagHessianInput


class SoftMin(Module):
    """y = exp(-x_i) / sum_j exp(-x_j) over the feature dimension.

    Input ``(n,)`` or ``(n, h, w)``: over dimension 0; ``(batch, n)`` or
    ``(batch, n, h, w)``: over dimension 1 (Torch7's SoftMax layout).
    """

    input_ranks = (1, 2, 3, 4)

    def _axis(self, input):
        self.checkInput(input)
        return 1 if input.dim() in (2, 4) else 0

    def updateOutput(self, input):
        axis = self._axis(input)
        x = -input.array
        xp = input.xp
        x -= x.max(axis=axis, keepdims=True)
        out = self.bufferLike('output', input)
        xp.exp(x, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        return self.output

    def updateGradInput(self, input, gradOutput):
        axis = self._axis(input)
        self.checkGradOutput(gradOutput, input)
        y, go = self.output.array, gradOutput.array
        # softmax's backward, negated because the softmax sees -x
        dot = (go * y).sum(axis=axis, keepdims=True)
        input.xp.multiply(y, dot - go, out=self.bufferLike('gradInput', input))
        return self.gradInput


class GatedLinearUnit(Module):
    """y = a * sigmoid(b), where a and b are the first and second halves of the input along ``dim``.

    ``GatedLinearUnit(dim=-1)`` (0-based; default the last dimension, as Torch7). The
    size of ``dim`` must be even; the output has half of it.
    """

    def __init__(self, dim=-1):
        super().__init__()
        if not isinstance(dim, int):
            raise ValueError(f"GatedLinearUnit: dim must be an integer, got {dim!r}")
        self.dim = dim

    def _split(self, input):
        self.checkTensor(input, floating=True)
        nd = input.dim()
        if not -nd <= self.dim < nd:
            raise input_error(self, f"an input with dimension {self.dim}", f"{nd}-D of size {tuple(input.size())}")
        axis = self.dim % nd
        if input.size(axis) % 2:
            raise input_error(self, f"an even size in dimension {axis}", f"input of size {tuple(input.size())}")
        return axis, input.size(axis) // 2

    def updateOutput(self, input):
        axis, half = self._split(input)
        xp = input.xp
        a, b = xp.split(input.array, 2, axis=axis)
        sizes = list(input.size())
        sizes[axis] = half
        out = self.bufferLike('output', input, sizes)
        xp.multiply(a, 1 / (1 + xp.exp(-b)), out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        axis, half = self._split(input)
        self.checkGradOutput(gradOutput, self.output)
        xp = input.xp
        a, b = xp.split(input.array, 2, axis=axis)
        gi = self.bufferLike('gradInput', input)
        ga, gb = xp.split(gi, 2, axis=axis)
        go = gradOutput.array
        sig = 1 / (1 + xp.exp(-b))
        xp.multiply(go, sig, out=ga)
        xp.multiply(go * a * sig, 1 - sig, out=gb)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.dim})"
