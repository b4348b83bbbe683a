"""inn's fixed per-plane maps: MeanSubtraction (a mean image subtracted, MeanSubtraction.lua) and ConstAffine
(a frozen batch normalisation ``a * x + b``, ConstAffine.lua)."""
from .. import nn
from ..modules.base.errors import check_hyper, input_error
from .base import InnClass


class MeanSubtraction(InnClass, nn.Module):
    """``output = input - mean``: ``MeanSubtraction(mean)``, ``mean`` a ``(C, H, W)`` image (or ``(1, C, H, W)``)
    subtracted from a ``(C, H, W)`` input or from every image of an ``(N, C, H, W)`` batch, broadcast without a
    copy. A ``(K, C, H, W)`` stack of means, as inn's: a batch of K images takes them image by image; a batch
    of another size takes the first, and after it every batch does (the Lua keeps the first image as
    ``self.mean``); a ``(C, H, W)`` input takes the first (inn's fails). gradInput is gradOutput itself, as
    inn's.
    """

    input_ranks = (3, 4)

    def __init__(self, mean):
        super().__init__()
        if not hasattr(mean, 'nElement'):
            raise TypeError(f"MeanSubtraction: expected a mean image tensor, got {type(mean).__name__}")
        self.mean = mean

    def _mean(self, input):
        self.checkInput(input)
        mean = self.mean
        if mean.dim() == 4 and input.dim() == 4 and mean.size(0) == input.size(0) and mean.size(0) != 1:
            # MeanSubtraction.lua:14,22: as many means as images skips the expansion: image i less mean i
            self.checkSameType(mean, input, 'mean')
            if mean.size() != input.size():
                raise input_error(self, f"a mean of size {tuple(mean.size())}", f"input of size "
                                  f"{tuple(input.size())}")
            return mean.array
        if mean.dim() == 4:
            mean = mean.select(0, 0)
            if input.dim() == 4:
                # MeanSubtraction.lua:16-20 replaces self.mean by its first image (expanded) for good: a later
                # batch of K images no longer takes the K means one by one
                self.mean = mean
        image = tuple(input.size())[-3:]
        if mean.nElement() != input.size(-1) * input.size(-2) * input.size(-3):
            raise input_error(self, f"a mean of {mean.nElement()} values to match images of size {image}",
                              f"input of size {tuple(input.size())}")
        self.checkSameType(mean, input, 'mean')
        return mean.array.reshape(image)

    def updateOutput(self, input):
        mean = self._mean(input)
        out = self.bufferLike('output', input)
        input.xp.subtract(input.array, mean, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._mean(input)
        self.checkGradOutput(gradOutput, input)
        self.gradInput = gradOutput
        return self.gradInput


class ConstAffine(InnClass, nn.Module):
    """``output = a * input + b`` per plane: ``ConstAffine(nOutputPlane, inplace)``, ``a`` (ones) and ``b``
    (zeros) ``(nOutputPlane,)`` tensors that are not parameters (no gradient; ``utils.BNtoFixed`` fills them
    from a trained batch normalisation). Input ``(N, nOutputPlane)`` or ``(N, nOutputPlane, H, W)``; gradInput
    ``= a * gradOutput``. inn's constructor tests ``self.inplace`` before setting it, so the module is never
    in place whatever ``inplace`` says; legonn keeps that (``inplace`` is False).
    """

    input_ranks = (2, 4)

    def __init__(self, nOutputPlane, inplace=None):
        super().__init__()
        check_hyper('ConstAffine', positive=dict(nOutputPlane=nOutputPlane))
        self.a = self.output.new(nOutputPlane)
        self.b = self.output.new(nOutputPlane)
        self.inplace = False
        self.reset()

    def reset(self, stdv=None):
        self.a.fill(1)
        self.b.zero()
        return self

    def _view(self, input):
        """(a, b) shaped to broadcast over ``input``."""
        self.checkInput(input)
        self.checkSameType(input, self.a)
        n = self.a.nElement()
        if input.size(1) != n:
            raise input_error(self, f"{n} planes (input.size(1))", f"{input.size(1)} (input of size "
                              f"{tuple(input.size())})")
        shape = (1, n) + (1,) * (input.dim() - 2)
        return self.a.array.reshape(shape), self.b.array.reshape(shape)

    def updateOutput(self, input):
        a, b = self._view(input)
        out = self.bufferLike('output', input)
        input.xp.multiply(input.array, a, out=out)
        out += b
        return self.output

    def updateGradInput(self, input, gradOutput):
        a, _ = self._view(input)
        self.checkGradOutput(gradOutput, input)
        gi = self.bufferLike('gradInput', input)
        input.xp.multiply(gradOutput.array, a, out=gi)
        return self.gradInput

    def __repr__(self):
        return f"inn.ConstAffine({self.a.nElement()})"
