"""SpatialGlimpse: the retina of the recurrent model of visual attention (Mnih et al., 2014; dpnn's
SpatialGlimpse.lua): crops of growing size around a location, each scaled down to one glimpse size."""
import math

from ..modules.base.errors import input_error
from ..modules.spatial_pooling import SpatialAveragePooling
from ..modules.spatial_resampling import SpatialReSampling
from .container import Container
from ..tensor.introspection import typename as lua_typename


def _size_pair(size):
    if isinstance(size, (list, tuple)):
        if len(size) != 2:
            raise ValueError(f"SpatialGlimpse: size must be a number or {{height, width}}, got {size!r}")
        return size[0], size[1]
    return size, size


class SpatialGlimpse(Container):
    """``SpatialGlimpse(size, depth=3, scale=2)``: input ``{image, location}``, image of
    batch x channels x height x width (or one image, channels x height x width), location of batch x 2 (or 2):
    the (y, x) centre of the glimpse, from (-1, -1) at the top left to (1, 1) at the bottom right. The output
    (batch x depth*channels x h x w, with ``size`` = h = w or ``{h, w}``) holds ``depth`` patches per channel:
    the first h x w pixels around the location, each next one ``floor(scale *`` the previous side``)`` and
    brought down to h x w by the child ``module``: a SpatialAveragePooling for ``scale`` 2, nnx's
    SpatialReSampling (bilinear) for any other positive scale, as in the Lua file; a SpatialReSampling
    assigned to ``module`` replaces the pooling, as dpnn's test.lua does. Patches reaching out of the image
    see zeros.

    Backward gives the image the gradient of the crops and the child; the location gets zeros (a glimpse is
    not differentiable in its location: REINFORCE trains it)."""

    input_kind = 'table'
    input_dtypes = 'floating'

    def __init__(self, size, depth=3, scale=2):
        super().__init__()
        self.height, self.width = _size_pair(size)
        self.depth, self.scale = depth, scale
        for name in ('height', 'width', 'depth'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SpatialGlimpse: {name} must be a positive integer, got {value!r}")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(f"SpatialGlimpse: scale must be a positive number, got {scale!r}")
        if scale != 2 and min(self.height, self.width) < 2:
            raise ValueError(f"SpatialGlimpse: a scale other than 2 resamples with nnx's SpatialReSampling, which "
                             f"needs a glimpse of at least 2x2, got {self.height}x{self.width}")
        gh, gw = self.height, self.width
        for _ in range(depth - 1):
            gh, gw = math.floor(gh * scale), math.floor(gw * scale)
            if gh < 1 or gw < 1:
                raise ValueError(f"SpatialGlimpse: scale {scale!r} shrinks the patches of a {self.height}x"
                                 f"{self.width} glimpse to {gh}x{gw} by depth {depth}")
        self.gradInput = [self.gradInput.new(), self.gradInput.new()]
        self.modules = [SpatialAveragePooling(2, 2, 2, 2) if scale == 2 else
                        SpatialReSampling(owidth=self.width, oheight=self.height)]

    @property
    def module(self):
        """The child that brings each larger patch down to the glimpse size (the Lua file's ``self.module``)."""
        return self.modules[0]

    @module.setter
    def module(self, child):
        # dpnn's test.lua swaps in a SpatialReSampling by assigning sg.module; the container's list follows
        self.modules[0] = child

    def _batch(self, input):
        """(image, location, one): both as batches (views), and whether a single example came."""
        self.checkTable(input, min_length=2)
        image, location = input[0], input[1]
        self.checkTensor(image, (3, 4), 'image (input[0])', floating=True)
        self.checkTensor(location, (1, 2), 'location (input[1])', floating=True)
        one = image.dim() == 3
        if one:
            image = image.view(1, *image.size())
        if location.dim() == 1:
            location = location.view(1, *location.size())
        if location._size != (image.size(0), 2):
            raise input_error(self, f"a location of size ({image.size(0)}, 2) (a (y, x) per image)",
                              f"size {tuple(input[1].size())}")
        if location._cuda != image._cuda:
            raise input_error(self, f"a location on the image's device ({image.type()})", location.type(), TypeError)
        return image, location, one

    def _patches(self, image, location):
        """For each depth: (patch height, width, padding top, left, index arrays of the patches in the padded
        image)."""
        xp = image.xp
        n, c, H, W = image.size()
        yx = (location.array.astype('float64') + 1) / 2
        gh, gw = self.height, self.width
        out = []
        for d in range(self.depth):
            if d > 0:
                gh, gw = math.floor(gh * self.scale), math.floor(gw * self.scale)
            ph, pw = (gh - 1) // 2, (gw - 1) // 2
            h, w = H + 2 * ph - gh, W + 2 * pw - gw
            top = xp.floor(xp.minimum(h, xp.maximum(0, yx[:, 0] * h))).astype('int64')
            left = xp.floor(xp.minimum(w, xp.maximum(0, yx[:, 1] * w))).astype('int64')
            rows = (top[:, None] + xp.arange(gh))[:, None, :, None]
            cols = (left[:, None] + xp.arange(gw))[:, None, None, :]
            index = (xp.arange(n)[:, None, None, None], xp.arange(c)[None, :, None, None], rows, cols)
            out.append((gh, gw, ph, pw, index))
        return out

    def _padded(self, image, patches):
        """The zeroed buffer of the image padded once, for the widest patch, as (its middle, where the image
        lies; each depth's frame, the image padded for that depth's patch)."""
        n, c, H, W = image.size()
        PH, PW = max(p[2] for p in patches), max(p[3] for p in patches)
        padded = self.bufferLike('_paddedImage', image, (n, c, H + 2 * PH, W + 2 * PW))
        padded[...] = 0
        frames = [padded[:, :, PH - ph:PH + ph + H, PW - pw:PW + pw + W] for _, _, ph, pw, _ in patches]
        return padded[:, :, PH:PH + H, PW:PW + W], frames

    def _pool_for(self, gh, gw):
        """Set an averaging child's window to a (gh / height) x (gw / width) block; a resampling child has its
        output size already."""
        m = self.module
        if isinstance(m, SpatialAveragePooling):
            m.kH = m.dH = gh // self.height
            m.kW = m.dW = gw // self.width

    def updateOutput(self, input):
        image, location, one = self._batch(input)
        n, c, H, W = image.size()
        out = self.bufferLike('output', image, (n, self.depth, c, self.height, self.width))
        patches = self._patches(image, location)
        middle, frames = self._padded(image, patches)
        middle[...] = image.array
        for d, ((gh, gw, ph, pw, index), frame) in enumerate(zip(patches, frames)):
            if d == 0:
                out[:, 0] = frame[index]
            else:
                self.bufferLike('_crop', image, (n, c, gh, gw))[...] = frame[index]
                self._pool_for(gh, gw)
                out[:, d] = self.run_child(0, 'updateOutput', self._crop).array
        self.output = self.output.view(n, self.depth * c, self.height, self.width)
        if one:
            self.output = self.output.view(self.depth * c, self.height, self.width)
        return self.output

    def updateGradInput(self, input, gradOutput):
        image, location, one = self._batch(input)
        n, c, H, W = image.size()
        sizes = (n, self.depth * c, self.height, self.width)
        self.checkSize(gradOutput, sizes[1:] if one else sizes)
        self.checkSameType(gradOutput, image, 'gradOutput')
        grads = gradOutput.view(n, self.depth, c, self.height, self.width)
        patches = self._patches(image, location)
        # each depth's patches are added into its frame as forward read them (one patch per image and depth: no
        # overlap within a depth); the middle is then the gradient of the image
        middle, frames = self._padded(image, patches)
        for d, ((gh, gw, ph, pw, index), frame) in enumerate(zip(patches, frames)):
            if d == 0:
                frame[index] += grads.array[:, 0]
            else:
                # average pooling's gradient reads only the crop's size
                self.bufferLike('_crop', image, (n, c, gh, gw))
                self._pool_for(gh, gw)
                frame[index] += self.run_child(0, 'updateGradInput', self._crop, grads.select(1, d)).array
        self.bufferLike('_gradImage', image)[...] = middle
        gradLocation = self.gradInput[1] if type(self.gradInput[1]) is type(input[1]) else input[1].new()
        gradLocation.resizeAs(input[1]).zero()
        self.gradInput = [self._gradImage.view(*input[0].size()), gradLocation]
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        pass   # no parameters

    def clearState(self, *names):
        return super().clearState('_paddedImage', '_crop', '_gradImage', *names)

    def __repr__(self):
        return f"{lua_typename(self)}({self.height}x{self.width}, {self.depth}, {self.scale})"
