"""Learnt scaling and shifting: Add, Mul, CMul, CAdd (Torch7 doc/simple.md)."""
from .base.errors import input_error
from .base.initialisation import uniform_reset
from .base.module import Module
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import reducer


def _sizes(name, args):
    """Torch7's ``CMul(2, 3)`` / ``CMul({2, 3})`` size forms."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if not args or any(not isinstance(n, int) or isinstance(n, bool) or n <= 0 for n in args):
        raise ValueError(f"{name}: sizes must be positive integers, got {args!r}")
    return tuple(args)


def broadcast_shapes(module, input, param, scalar=False):
    """(input shape, parameter shape) under which ``input`` and the parameter broadcast, Torch7's rules:

    the same number of elements pairs them element by element; the same number of
    dimensions expands the parameter's size-1 dimensions; otherwise dimension 0 of the
    input is a batch and each sample must hold as many elements as the parameter.
    ``scalar``: a one-element parameter applied to every element.
    """
    module.checkTensor(input, floating=True)
    module.checkSameType(input, param)
    n, shape, x_shape = param.nElement(), tuple(param.size()), tuple(input.size())
    if scalar:
        return x_shape, (1,) * len(x_shape)
    if input.nElement() == n:
        return shape, shape
    if len(x_shape) == len(shape) and all(p in (1, s) for p, s in zip(shape, x_shape)):
        return x_shape, shape
    if len(x_shape) > 1 and input.nElement() == x_shape[0] * n:
        return (x_shape[0], n), (1, n)
    raise input_error(module, f"an input of size {shape}, one that expands it, or a batch of samples of "
                      f"{n} elements", f"input of size {x_shape}")


def reduce_to(arr, shape):
    """Sum ``arr`` over the dimensions that ``shape`` broadcast (size 1 in ``shape``)."""
    axes = tuple(d for d, (p, s) in enumerate(zip(shape, arr.shape)) if p == 1 and s != 1)
    return arr.sum(axis=axes, keepdims=True) if axes else arr


class Add(Module):
    """y = x + b with a learnt bias ``b`` of ``inputSize`` elements, or of that shape when
    ``inputSize`` is a size tuple (one shared element with ``scalar=True``). Input of the
    bias's size, or a batch ``(batch, ...)`` of such samples. ``Add(inputSize, scalar=False)``."""

    def __init__(self, inputSize, scalar=False):
        super().__init__()
        sizes = (1,) if scalar else _sizes('Add', (inputSize,))
        self.scalar = bool(scalar)
        self.bias = self.output.new(*sizes)
        self.gradBias = self.output.new(*sizes)
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.bias.size(0), self.bias)   # Torch7's fan: the bias's first dimension
        return self

    def updateOutput(self, input):
        xs, bs = broadcast_shapes(self, input, self.bias, self.scalar)
        out = self.bufferLike('output', input)
        input.xp.add(input.array.reshape(xs), self.bias.array.reshape(bs), out=out.reshape(xs))
        return self.output

    def updateGradInput(self, input, gradOutput):
        broadcast_shapes(self, input, self.bias, self.scalar)
        self.checkGradOutput(gradOutput, input)
        input.xp.copyto(self.bufferLike('gradInput', input), gradOutput.array)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        xs, bs = broadcast_shapes(self, input, self.bias, self.scalar)
        self.checkGradOutput(gradOutput, input)
        g = reduce_to(gradOutput.array.reshape(xs), bs)
        self.gradBias.array += scale * g.reshape(self.gradBias.array.shape)

    def __repr__(self):
        return f"{lua_typename(self)}({'scalar' if self.scalar else 'x'.join(map(str, self.bias.size()))})"


class Mul(Module):
    """y = w * x with one learnt scalar ``w`` (``weight``, one element); any input shape."""

    def __init__(self):
        super().__init__()
        self.weight = self.output.new(1)
        self.gradWeight = self.output.new(1)
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, 1, self.weight)
        return self

    def _check(self, input):
        self.checkTensor(input, floating=True)
        self.checkSameType(input, self.weight)

    def updateOutput(self, input):
        self._check(input)
        input.xp.multiply(input.array, self.weight.array[0], out=self.bufferLike('output', input))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._check(input)
        self.checkGradOutput(gradOutput, input)
        input.xp.multiply(gradOutput.array, self.weight.array[0], out=self.bufferLike('gradInput', input))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self._check(input)
        self.checkGradOutput(gradOutput, input)
        self.gradWeight.array += scale * reducer(input.xp, 'sum')(input.array * gradOutput.array, axis=None)


class CMul(Module):
    """y = x * w element by element with a learnt ``weight`` of the given size.

    ``CMul(2, 3)`` or ``CMul((2, 3))``. The input has the weight's number of elements,
    or its number of dimensions with the weight's size-1 dimensions expanded, or is a
    batch whose samples hold the weight's number of elements (see ``broadcast_shapes``).
    """

    def __init__(self, *size):
        super().__init__()
        self.size = _sizes('CMul', size)
        self.weight = self.output.new(*self.size)
        self.gradWeight = self.output.new(*self.size)
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.weight.nElement(), self.weight)
        return self

    def updateOutput(self, input):
        xs, ws = broadcast_shapes(self, input, self.weight)
        out = self.bufferLike('output', input)
        input.xp.multiply(input.array.reshape(xs), self.weight.array.reshape(ws), out=out.reshape(xs))
        return self.output

    def updateGradInput(self, input, gradOutput):
        xs, ws = broadcast_shapes(self, input, self.weight)
        self.checkGradOutput(gradOutput, input)
        gi = self.bufferLike('gradInput', input)
        input.xp.multiply(gradOutput.array.reshape(xs), self.weight.array.reshape(ws), out=gi.reshape(xs))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        xs, ws = broadcast_shapes(self, input, self.weight)
        self.checkGradOutput(gradOutput, input)
        g = reduce_to(input.array.reshape(xs) * gradOutput.array.reshape(xs), ws)
        self.gradWeight.array += scale * g.reshape(self.size)

    def __repr__(self):
        return f"{lua_typename(self)}({'x'.join(map(str, self.size))})"


class CAdd(Module):
    """y = x + b element by element with a learnt ``bias`` of the given size; inputs as ``CMul``.
    ``CAdd(2, 3)`` or ``CAdd((2, 3))``."""

    def __init__(self, *size):
        super().__init__()
        self.size = _sizes('CAdd', size)
        self.bias = self.output.new(*self.size)
        self.gradBias = self.output.new(*self.size)
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.bias.nElement(), self.bias)
        return self

    def updateOutput(self, input):
        xs, bs = broadcast_shapes(self, input, self.bias)
        out = self.bufferLike('output', input)
        input.xp.add(input.array.reshape(xs), self.bias.array.reshape(bs), out=out.reshape(xs))
        return self.output

    def updateGradInput(self, input, gradOutput):
        broadcast_shapes(self, input, self.bias)
        self.checkGradOutput(gradOutput, input)
        input.xp.copyto(self.bufferLike('gradInput', input), gradOutput.array)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        xs, bs = broadcast_shapes(self, input, self.bias)
        self.checkGradOutput(gradOutput, input)
        self.gradBias.array += scale * reduce_to(gradOutput.array.reshape(xs), bs).reshape(self.size)

    def __repr__(self):
        return f"{lua_typename(self)}({'x'.join(map(str, self.size))})"
