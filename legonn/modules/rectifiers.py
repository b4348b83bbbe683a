"""The ReLU family: the input passes unchanged above a threshold (HardTanh: between two bounds) and is
replaced, scaled or saturated elsewhere. Threshold, ReLU, ReLU6, HardTanh, LeakyReLU, RReLU, PReLU, ELU,
CReLU (Torch7 doc/transfer.md), and dpnn's Clip; each takes any shape unless its docstring says otherwise.

The in-place variants (Torch7's ``ip``/``inplace`` flag) overwrite the input with the output and the
gradOutput with the gradInput, saving two buffers (see ``modules/base/elementwise.py``).
"""
from ..tensor import parallel, select_kernels
from ..tensor.introspection import typename as lua_typename
from .base.elementwise import Elementwise
from .base.errors import check_inplace, check_number, input_error
from .base.module import Module


class Threshold(Elementwise):
    """y = x where x > th, else v; gradient 1 where x > th, else 0.

    ``Threshold(th=1e-6, v=0, ip=False)`` as in Torch7. In place needs ``v <= th`` so
    that the overwritten input still tells which elements passed.
    """
    # NaN passes forward (x <= th is false for it) and gets no gradient, as on the CPU
    cuda_forward = 'y = x <= threshold ? val : x'
    cuda_backward = 'gi = x > threshold ? go : 0'
    cuda_params = ('threshold', 'val')

    def __init__(self, th=1e-6, v=0, ip=False):
        super().__init__()
        name = type(self).__name__
        check_number(name, 'th', th)
        check_number(name, 'v', v)
        check_inplace(name, ip)
        self.threshold = th
        self.val = v
        self.inplace = ip
        self.validateParameters()

    def validateParameters(self):
        """Raise ValueError unless ``val <= threshold`` in place. Threshold.lua checks it at construction and
        again at each forward and backward, so that fields set afterwards (or loaded) cannot make the in-place
        gradient, read from the overwritten input, pass the replaced elements. Here the array code (``_forward``,
        ``_mask``) and the CUDA twin (``_cuda_scalars``) call it where they read the fields: an override of
        updateOutput would take ReLU out of a gModule's fused CPU regions (graph/cpu_regions.py)."""
        if self.inplace and self.val > self.threshold:
            raise ValueError(f"{type(self).__name__}: in-place processing needs value ({self.val}) <= threshold "
                             f"({self.threshold})")

    def _cuda_scalars(self, dtype):
        self.validateParameters()
        return super()._cuda_scalars(dtype)

    def _forward(self, x, out, xp):
        self.validateParameters()
        if self.val == self.threshold:
            # ReLU's case in one pass: max(x, th) is x above th and th (== v) elsewhere
            parallel.map_parts(lambda a, b: xp.maximum(a, self.threshold, out=b), x, out)
            return
        below = self.bufferLike('_passed', self.output, kind='Byte')   # output: the input's size and device
        xp.less_equal(x, self.threshold, out=below)
        if out is not x:
            xp.copyto(out, x)
        xp.copyto(out, self.val, where=below.view(bool), casting='unsafe')

    def _mask(self, xp, x, out):
        self.validateParameters()
        # in place x holds the output, which passes the same elements since v <= th
        xp.greater(x, self.threshold, out=out)

    def _array_backward(self, input, gradOutput, gi):
        """The mask and the selection in one pass where the Numba kernels take the arrays (NumPy float32/float64,
        C-contiguous): no byte mask written and read back; else Elementwise's mask path."""
        x, go = input.array, gradOutput.array
        if select_kernels.above_takes(x, go, gi):
            self.validateParameters()
            parallel.map_parts(lambda a, g, out: select_kernels.select_above(a, self.threshold, g, out), x, go, gi)
        else:
            super()._array_backward(input, gradOutput, gi)


class ReLU(Threshold):
    """y = max(0, x); ``ReLU(ip=False)`` is ``Threshold(0, 0, ip)``."""

    def __init__(self, ip=False):
        super().__init__(0, 0, ip)


class HardTanh(Elementwise):
    """y = min(max(x, min_value), max_value); gradient 1 strictly inside (min_value, max_value), else 0.

    ``HardTanh(min_value=-1, max_value=1, inplace=False)`` as in Torch7.
    """

    def __init__(self, min_value=-1, max_value=1, inplace=False):
        super().__init__()
        name = type(self).__name__
        check_number(name, 'min_value', min_value)
        check_number(name, 'max_value', max_value)
        check_inplace(name, inplace)
        if not max_value > min_value:
            raise ValueError(f"{name}: max_value ({max_value}) must be larger than min_value ({min_value})")
        self.min_val = min_value
        self.max_val = max_value
        self.inplace = inplace

    def _forward(self, x, out, xp):
        xp.clip(x, self.min_val, self.max_val, out=out)

    def _mask(self, xp, x, out):
        # clipped values sit on the bounds, so the test gives the same mask in place
        xp.greater(x, self.min_val, out=out)
        out &= x < self.max_val



class Clip(Elementwise):
    """y = max(min(x, maxval), minval) (dpnn's Clip.lua); the gradient passes unchanged everywhere (gradInput =
    gradOutput, a straight-through estimate, unlike HardTanh's 0 outside the bounds). Any shape.

    ``Clip(minval, maxval)``; values above ``maxval`` are set to it first, then values below ``minval``."""

    def __init__(self, minval, maxval):
        super().__init__()
        check_number('Clip', 'minval', minval)
        check_number('Clip', 'maxval', maxval)
        self.minval, self.maxval = minval, maxval

    def _forward(self, x, out, xp):
        xp.minimum(x, self.maxval, out=out)
        xp.maximum(out, self.minval, out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        xp.copyto(gradInput, gradOutput)

    def __repr__(self):
        return f"{lua_typename(self)}({self.minval:g}, {self.maxval:g})"

class ELU(Elementwise):
    """y = x for x > 0, alpha * (exp(x) - 1) otherwise; any shape. ``ELU(alpha=1, inplace=False)``."""

    backward_reads_output = True

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        check_number('ELU', 'alpha', alpha)   # ELU.lua asserts a number: nn.ELU(true) is no in-place ELU(1)
        self.alpha = float(alpha)
        self.inplace = check_inplace('ELU', inplace)

    def _forward(self, x, out, xp):
        xp.copyto(out, xp.where(x > 0, x, self.alpha * xp.expm1(xp.minimum(x, 0))))

    def _backward(self, x, y, gradOutput, gradInput, xp):
        # from the output alone, so the in-place form (x overwritten) gives the same gradient
        xp.multiply(gradOutput, xp.where(y > 0, 1, y + self.alpha), out=gradInput)

    def __repr__(self):
        return f"{lua_typename(self)} (alpha:{self.alpha:g})"


class LeakyReLU(Elementwise):
    """y = x for x > 0, negval * x otherwise; any shape. ``LeakyReLU(negval=1/100, ip=False)``.

    As LeakyReLU.lua: a boolean first argument (``nn.LeakyReLU(true)``) means the default slope 1/100, the
    in-place flag still being the second argument (the Lua's ``local ip = negval`` lives only in that branch);
    a negative ``negval`` is allowed and turns ``ip`` off, since the in-place gradient tells the branch by
    the sign of the output.
    """

    backward_reads_output = True

    def __init__(self, negval=1 / 100, ip=False):
        super().__init__()
        if isinstance(negval, bool):
            negval = 1 / 100
        check_number('LeakyReLU', 'negval', negval)
        self.negval = float(negval)
        self.inplace = check_inplace('LeakyReLU', ip) and self.negval >= 0

    def _forward(self, x, out, xp):
        if self.inplace and self.negval < 0:   # set after construction: the overwritten input would lie
            raise ValueError(f"LeakyReLU: in-place processing needs negval >= 0, got {self.negval}")
        xp.multiply(x, xp.where(x > 0, 1, self.negval).astype(x.dtype), out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        # THNN reads the input's sign; in place the input holds y, whose sign is x's as negval >= 0 there
        xp.multiply(gradOutput, xp.where(x > 0, 1, self.negval).astype(x.dtype), out=gradInput)

    def __repr__(self):
        return f"{lua_typename(self)}({self.negval:g})"


class ReLU6(Elementwise):
    """y = min(max(x, 0), 6); any shape. ``ReLU6(inplace=False)``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = check_inplace('ReLU6', inplace)

    def _forward(self, x, out, xp):
        xp.clip(x, 0, 6, out=out)

    def _mask(self, xp, x, out):
        # 0 < y < 6 exactly where 0 < x < 6, so the overwritten input gives the same mask in place
        xp.greater(x, 0, out=out)
        out &= x < 6


class RReLU(Elementwise):
    """Randomized leaky ReLU: y = x for x > 0, a * x otherwise.

    In training ``a`` is drawn from U[l, u] for every element at each forward (kept in
    ``noise``; 1 where x > 0, so x = 0 gets a drawn slope as in THNN's RReLU.c); in evaluation
    ``a = (l + u) / 2``. As RReLU.c, the backward in training multiplies by ``noise`` only when
    ``u - l > 1e-6`` and by (l + u) / 2 otherwise. Any shape. ``RReLU(l=1/8, u=1/3, ip=False)``.
    """

    backward_reads_output = True

    def __init__(self, l=1 / 8, u=1 / 3, ip=False):
        super().__init__()
        if not 0 <= l <= u:
            raise ValueError(f"RReLU: expected 0 <= l <= u, got l={l}, u={u}")
        self.lower, self.upper = float(l), float(u)
        self.inplace = check_inplace('RReLU', ip)
        self.noise = self.output.new()

    def updateOutput(self, input):
        if self.train:
            self.bufferLike('noise', input)
            self.noise.uniform(self.lower, self.upper)
        return super().updateOutput(input)

    def _forward(self, x, out, xp):
        if self.train:   # RReLU.c:18 draws whatever the bounds; only its backward (RReLU.c:94) tests u - l
            noise = self.noise.array
            noise[x > 0] = 1
            xp.multiply(x, noise, out=out)
        else:
            slope = (self.lower + self.upper) / 2
            xp.multiply(x, xp.where(x >= 0, 1, slope).astype(x.dtype), out=out)

    def _backward(self, x, y, gradOutput, gradInput, xp):
        if self.train and self.upper - self.lower > 1e-6:
            xp.multiply(gradOutput, self.noise.array, out=gradInput)
        else:
            slope = (self.lower + self.upper) / 2
            xp.multiply(gradOutput, xp.where(y > 0, 1, slope).astype(y.dtype), out=gradInput)

    def clearState(self):
        return super().clearState('noise')

    def __repr__(self):
        return f"{lua_typename(self)} (l:{self.lower:.4f}, u:{self.upper:.4f})"


class PReLU(Module):
    """Parametric ReLU: y = x for x > 0, w * x otherwise, with a learnt slope ``w``.

    ``PReLU()`` (or ``PReLU(0)``) learns one slope shared by every element, any input
    shape. ``PReLU(nOutputPlane)`` learns one slope per channel: input ``(nOutputPlane,)`` or
    ``(batch, nOutputPlane, ...)`` of any rank. As THNN's PReLU, the channels are dimension 1
    whenever the input has more than one dimension (a single ``(C, h, w)`` image is
    ``(1, C, h, w)``).
    ``weight`` starts at 0.25 (Torch7's rule).
    """

    nonnegative_ints = ('nOutputPlane',)

    def __init__(self, nOutputPlane=0):
        super().__init__()
        self.checkHyper(nOutputPlane=nOutputPlane)
        self.nOutputPlane = nOutputPlane
        self.weight = self.output.new(max(nOutputPlane, 1)).fill(0.25)
        self.gradWeight = self.output.new(max(nOutputPlane, 1)).zero()

    def reset(self, stdv=None):
        self.weight.fill(0.25)
        return self

    def _slopes(self, input):
        """The slope array shaped to broadcast against the input (checks the input first)."""
        self.checkTensor(input, floating=True)
        self.checkSameType(input, self.weight)
        w = self.weight.array
        if self.nOutputPlane == 0:
            return w.reshape(())
        channel = 1 if input.dim() > 1 else 0
        if input.size(channel) != self.nOutputPlane:
            raise input_error(self, f"{self.nOutputPlane} channels in dimension {channel}",
                              f"input of size {tuple(input.size())}")
        shape = [1] * input.dim()
        shape[channel] = self.nOutputPlane
        return w.reshape(shape)

    def updateOutput(self, input):
        w = self._slopes(input)
        x = input.array
        xp = input.xp
        xp.multiply(x, xp.where(x > 0, 1, w).astype(x.dtype), out=self.bufferLike('output', input))
        return self.output

    def updateGradInput(self, input, gradOutput):
        w = self._slopes(input)
        self.checkGradOutput(gradOutput, input)
        x = input.array
        xp = input.xp
        xp.multiply(gradOutput.array, xp.where(x > 0, 1, w).astype(x.dtype), out=self.bufferLike('gradInput', input))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        w = self._slopes(input)
        self.checkGradOutput(gradOutput, input)
        x = input.array
        xp = input.xp
        contrib = xp.where(x > 0, 0, x * gradOutput.array)
        axes = tuple(d for d in range(x.ndim) if w.ndim == 0 or w.shape[d] == 1)
        self.gradWeight.array += scale * contrib.sum(axis=axes).reshape(self.gradWeight.array.shape)

    def __repr__(self):
        return f"{lua_typename(self)}({self.nOutputPlane})" if self.nOutputPlane else lua_typename(self)


class CReLU(Module):
    """Concatenated ReLU: [max(x, 0), max(-x, 0)] joined along the feature dimension.

    ``CReLU(nInputDims, inplace=False)``: an input of ``nInputDims`` dimensions is one
    sample and its dimension 0 doubles; one of ``nInputDims + 1`` is a batch and its
    dimension 1 doubles. Each sample is flattened, so the first half of the output holds
    max(x, 0) and the second max(-x, 0) in the input's own layout. ``inplace`` is kept for
    Torch7 compatibility (there it only concerns an internal buffer); the input is never
    overwritten.
    """

    positive_ints = ('nInputDims',)

    def __init__(self, nInputDims, inplace=False):
        super().__init__()
        self.checkHyper(nInputDims=nInputDims)
        self.nInputDims = nInputDims
        self.inplace = check_inplace('CReLU', inplace)

    def _rows(self, input):
        self.checkTensor(input, (self.nInputDims, self.nInputDims + 1), floating=True)
        batched = input.dim() == self.nInputDims + 1
        return batched, (input.size(0) if batched else 1)

    def updateOutput(self, input):
        batched, rows = self._rows(input)
        sizes = list(input.size())
        sizes[1 if batched else 0] *= 2
        out = self.bufferLike('output', input, sizes).reshape(rows, 2, -1)
        x = input.array.reshape(rows, 1, -1)
        xp = input.xp
        xp.maximum(x[:, 0], 0, out=out[:, 0])
        xp.maximum(-x[:, 0], 0, out=out[:, 1])
        return self.output

    def updateGradInput(self, input, gradOutput):
        batched, rows = self._rows(input)
        self.checkGradOutput(gradOutput, self.output)
        x = input.array.reshape(rows, -1)
        go = gradOutput.array.reshape(rows, 2, -1)
        gi = self.bufferLike('gradInput', input).reshape(rows, -1)
        xp = input.xp
        # CReLU.lua's ReLU selects (THNN: x > 0 ? go : 0): an inf or NaN gradOutput at a zeroed unit is dropped
        xp.subtract(xp.where(x > 0, go[:, 0], 0), xp.where(x < 0, go[:, 1], 0), out=gi)
        return self.gradInput

    def __repr__(self):
        return "nn.CReLU()"
