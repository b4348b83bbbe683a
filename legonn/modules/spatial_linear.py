"""nnx's per-pixel linear maps: SpatialLinear (nnx's SpatialLinear.lua, generic/SpatialLinear.c) and the linear
colour transforms of SpatialColorTransform (SpatialColorTransform.lua) built on it."""
from .base.errors import input_error
from .base.initialisation import uniform_reset
from .base.module import Module
from ..tensor.introspection import typename as lua_typename


class SpatialLinear(Module):
    """The same affine map at every pixel: input ``(fanin, H, W)``, output ``(fanout, H, W)`` with
    ``output[o] = bias[o] + sum_i weight[o, i] * input[i]``.

    ``SpatialLinear(fanin=1, fanout=1)``; ``weight`` ``(fanout, fanin)``, ``bias`` ``(fanout,)``, both uniform in
    +-1/sqrt(fanout) (the Lua divides by ``weight:size(1)``, the output count). ``weightDecay`` (0) as the C:
    when non-zero, ``weight`` is added to ``gradWeight`` once per pixel. nnx's C accumulates the parameter
    gradients inside updateGradInput; here they accumulate in accGradParameters (``backward`` gives the same
    sums, ``scale`` applies).
    """

    input_ranks = (3,)
    positive_ints = ('fanin', 'fanout')

    def __init__(self, fanin=1, fanout=1):
        super().__init__()
        self.checkHyper(fanin=fanin, fanout=fanout)
        self.fanin, self.fanout = fanin, fanout
        self.weightDecay = 0
        self.weight = self.output.new(fanout, fanin)
        self.bias = self.output.new(fanout)
        self.gradWeight = self.output.new(fanout, fanin).zero()
        self.gradBias = self.output.new(fanout).zero()
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.fanout, self.weight, self.bias)
        return self

    def _check(self, input):
        self.checkInput(input)
        self.checkSameType(input, self.weight)
        if input.size(0) != self.fanin:
            raise input_error(self, f"{self.fanin} input planes (fanin)", f"{input.size(0)} (input of size "
                              f"{tuple(input.size())})")
        return input.array.reshape(self.fanin, -1)

    def _flat_grad(self, input, gradOutput):
        x = self._check(input)
        self.checkSize(gradOutput, (self.fanout,) + tuple(input.size())[1:])
        self.checkSameType(gradOutput, self.weight, 'gradOutput')
        return x, gradOutput.array.reshape(self.fanout, -1)

    def updateOutput(self, input):
        x = self._check(input)
        out = self.bufferLike('output', input, (self.fanout,) + tuple(input.size())[1:])
        xp = input.xp
        xp.matmul(self.weight.array, x, out=out.reshape(self.fanout, -1))
        out += self.bias.array[:, None, None]
        return self.output

    def updateGradInput(self, input, gradOutput):
        _, go = self._flat_grad(input, gradOutput)
        gi = self.bufferLike('gradInput', input)
        input.xp.matmul(self.weight.array.T, go, out=gi.reshape(self.fanin, -1))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, go = self._flat_grad(input, gradOutput)
        self.gradWeight.array[...] += scale * (go @ x.T)
        self.gradBias.array[...] += scale * go.sum(1)
        if self.weightDecay != 0:
            self.gradWeight.array[...] += (scale * x.shape[1]) * self.weight.array

    def __repr__(self):
        return f"{lua_typename(self)}({self.fanin} -> {self.fanout})"


# the Lua's coefficients, row per output plane
_LINEAR_TRANSFORMS = {
    'yuv2rgb': ((1, 0, 1.13983), (1, -0.39465, -0.58060), (1, 2.03211, 0)),
    'rgb2yuv': ((0.299, 0.587, 0.114), (-0.14713, -0.28886, 0.436), (0.615, -0.51499, -0.10001)),
    'rgb2y': ((0.299, 0.587, 0.114),),
}
_IMAGE_TRANSFORMS = ('hsl2rgb', 'hsv2rgb', 'rgb2hsl', 'rgb2hsv', 'rgb2nrgb', 'rgb2y+nrgb')


class SpatialColorTransform(Module):
    """A fixed colour-space change of a ``(3, H, W)`` image: ``SpatialColorTransform('rgb2yuv')``,
    ``'yuv2rgb'`` (both ``(3, H, W)`` out) or ``'rgb2y'`` (``(1, H, W)`` out), nnx's coefficients, computed by an
    inner SpatialLinear (``self.linear``) with zero bias; gradInput is the transposed map.

    nnx's non-linear transforms (hsl2rgb, hsv2rgb, rgb2hsl, rgb2hsv, rgb2nrgb, rgb2y+nrgb) only call the image
    package forward and have no gradient; they are refused here with a pointer to ``legonn.image``'s functions
    of the same names (the nn layer may not import the image package, which sits above it).
    """

    input_ranks = (3,)

    def __init__(self, transform):
        super().__init__()
        if transform in _IMAGE_TRANSFORMS:
            raise ValueError(f"SpatialColorTransform: {transform!r} is not provided as a module (it has no "
                             f"gradient in nnx); call legonn.image.{transform.split('+')[-1]} on the image")
        if transform not in _LINEAR_TRANSFORMS:
            raise ValueError(f"SpatialColorTransform: transform must be one of {', '.join(_LINEAR_TRANSFORMS)}, "
                             f"got {transform!r}")
        self.transform = transform
        self.islinear = True
        rows = _LINEAR_TRANSFORMS[transform]
        self.linear = SpatialLinear(3, len(rows))
        self.linear.weight.copy(self.linear.weight.new(rows))
        self.linear.bias.zero()

    def updateOutput(self, input):
        self.output = self.linear.updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.linear.updateGradInput(input, gradOutput)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.transform!r})"
