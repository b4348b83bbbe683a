"""SpatialFovea: nnx's multi-scale fovea (nnx's SpatialFovea.lua): a pyramid of the input, processed per scale and
brought back to one resolution."""
from ..modules.base.errors import input_error
from ..modules.base.lua_arguments import table_arguments
from ..modules.identity import Identity
from ..modules.spatial_padding_constant import SpatialPadding
from ..modules.spatial_pooling import SpatialSubSampling
from ..modules.spatial_resampling import SpatialReSampling
from ..modules.spatial_sampling import SpatialUpSampling
from .container import Container
from ..tensor.introspection import typename as lua_typename

_ARGUMENTS = ('nInputPlane', 'ratios', 'processors', 'preProcessors', 'fov', 'sub', 'bilinear', 'cachePrePreproc')


class SpatialFovea(Container):
    """input ``(nInputPlane, H, W)`` -> for each scale ``r`` of ``ratios``: down-sampled by ``r``,
    ``preProcessors[i]``, zero-padded by ``(fov - sub) // 2`` on each side, ``processors[i]``, up-sampled by
    ``r`` -> the processors' outputs stacked along the planes.

    ``SpatialFovea({'nInputPlane': n, 'ratios': [1, 2], 'processors': [...], 'preProcessors': [...], 'fov': 1,
    'sub': 1, 'bilinear': False})`` (or those arguments in that order). The down-sampling is an
    nn.SpatialSubSampling(n, r, r, r, r) of weight 1/r^2 (an ``r x r`` block average), the up-sampling
    nnx's SpatialUpSampling(r, r); with ``bilinear``, SpatialReSampling both ways. ``focus(x, y, fov)``
    (``x, y`` 0-based: nnx's are 1-based) switches to focused mode, where each scale is cropped, after
    padding, to the ``fov x fov`` window at ``(floor(floor(x / r) / sub) * sub, ...)`` and nothing is
    up-sampled (so each processor should give 1x1); ``focus()`` goes back.

    ``modules`` is the processors, so parameters are theirs (the preprocessors' are left out of parameters()
    and accGradParameters, as nnx's). nnx's ``cachePrePreproc`` (beta: results cached by the input's sum and
    std) is not provided.
    """

    # it builds its samplers for the input's type and stacks the scales itself, so it checks, as a layer does,
    # what it is given
    input_dtypes = 'floating'
    any_device = False

    def __init__(self, nInputPlane=None, ratios=None, processors=None, preProcessors=None, fov=1, sub=1,
                 bilinear=False, cachePrePreproc=False):
        super().__init__()
        if isinstance(nInputPlane, dict):
            (nInputPlane, ratios, processors, preProcessors, fov, sub, bilinear,
             cachePrePreproc) = table_arguments('SpatialFovea', nInputPlane, _ARGUMENTS,
                                                (None, None, None, None, 1, 1, False, False))
        if not isinstance(nInputPlane, int) or isinstance(nInputPlane, bool) or nInputPlane < 1:
            raise ValueError(f"SpatialFovea: nInputPlane must be a positive integer, got {nInputPlane!r}")
        if not ratios or processors is None or len(processors) != len(ratios):
            raise ValueError(f"SpatialFovea: the number of processors provided should == the number of ratios "
                             f"(scales), got {len(processors or [])} processors for ratios {ratios!r}")
        if cachePrePreproc:
            raise ValueError("SpatialFovea: cachePrePreproc (nnx's beta cache) is not provided")
        self.nInputPlane, self.ratios = nInputPlane, list(ratios)
        self.preProcessors = list(preProcessors or [])
        self.fov, self.sub, self.bilinear = fov, sub, bool(bilinear)
        self.cachePrePreproc = False
        self.padding = fov - sub
        self.focused = False
        self.x = self.y = None
        for p in processors:
            self.add(p)

    @property
    def processors(self):
        return self.modules

    def focus(self, x=None, y=None, fov=None):
        """Focus on pixel ``(x, y)`` (0-based) with a window of ``fov``; ``focus()`` unfocuses."""
        self.x, self.y = x, y
        self.fov = fov or self.fov
        self.focused = x is not None and y is not None and self.fov is not None

    def _configure(self, input):
        """The per-scale samplers and padders, rebuilt at each forward as nnx's configure does."""
        self.downsamplers, self.padders, self.upsamplers = [], [], []
        for r in self.ratios:
            if self.bilinear:
                down = SpatialReSampling(1 / r, 1 / r)
            else:
                down = SpatialSubSampling(self.nInputPlane, r, r, r, r)
                down.weight.fill(1 / r ** 2)
                down.bias.zero()
            pad = self.padding // 2
            padder = Identity() if self.padding == 0 else SpatialPadding(pad, pad, pad, pad)
            up = SpatialReSampling(r, r) if self.bilinear else SpatialUpSampling(r, r)
            for group, m in ((self.downsamplers, down), (self.padders, padder), (self.upsamplers, up)):
                group.append(m.type(input.type()))

    def _window(self, idx):
        r = self.ratios[idx]
        return (self.x // r) // self.sub * self.sub, (self.y // r) // self.sub * self.sub

    def updateOutput(self, input):
        self.checkTensor(input, (3,), floating=True)
        if input.size(0) != self.nInputPlane:
            raise input_error(self, f"{self.nInputPlane} input planes", f"{input.size(0)} (input of size "
                              f"{tuple(input.size())})")
        self._configure(input)
        n = len(self.ratios)
        self.pyramid = [self.downsamplers[i].updateOutput(input) for i in range(n)]
        self.preProcessed = [self.preProcessors[i].updateOutput(self.pyramid[i]) if i < len(self.preProcessors)
                             else self.pyramid[i] for i in range(n)]
        self.padded = [self.padders[i].updateOutput(self.preProcessed[i]) for i in range(n)]
        if self.focused:
            self.narrowed = []
            for i in range(n):
                ox, oy = self._window(i)
                self.narrowed.append(self.padded[i].narrow(2, ox, self.fov).narrow(1, oy, self.fov))
        else:
            self.narrowed = list(self.padded)
        self.processed = [self.run_child(i, 'updateOutput', self.narrowed[i]) for i in range(n)]
        self.upsampled = list(self.processed) if self.focused else \
            [self.upsamplers[i].updateOutput(self.processed[i]) for i in range(n)]
        sizes = {tuple(u.size())[1:] for u in self.upsampled}
        if len(sizes) != 1:
            raise input_error(self, "scales whose outputs have one size to be stacked",
                              f"sizes {[tuple(u.size()) for u in self.upsampled]}")
        planes = sum(u.size(0) for u in self.upsampled)
        out = self.bufferLike('output', self.upsampled[0], (planes,) + sizes.pop())
        start = 0
        for u in self.upsampled:
            out[start:start + u.size(0)] = u.array
            start += u.size(0)
        return self.output

    def updateGradInput(self, input, gradOutput):
        n = len(self.ratios)
        if getattr(self, 'processed', None) is None:
            raise input_error(self, "a forward before updateGradInput", "none")
        self.checkTensor(input, (3,), floating=True)
        self.checkSize(gradOutput, tuple(self.output.size()))
        start, grads = 0, []
        for u in self.upsampled:
            grads.append(gradOutput.narrow(0, start, u.size(0)))
            start += u.size(0)
        self.gradProcessed = grads if self.focused else \
            [self.upsamplers[i].updateGradInput(self.processed[i], grads[i]) for i in range(n)]
        grad_narrowed = [self.run_child(i, 'updateGradInput', self.narrowed[i], self.gradProcessed[i])
                         for i in range(n)]
        if self.focused:
            grad_padded = []
            for i in range(n):
                g = self.padded[i].new().resizeAs(self.padded[i]).zero()
                ox, oy = self._window(i)
                g.narrow(2, ox, self.fov).narrow(1, oy, self.fov).copy(grad_narrowed[i])
                grad_padded.append(g)
        else:
            grad_padded = grad_narrowed
        grad_pre = [self.padders[i].updateGradInput(self.preProcessed[i], grad_padded[i]) for i in range(n)]
        grad_pyramid = [self.preProcessors[i].updateGradInput(self.pyramid[i], grad_pre[i])
                        if i < len(self.preProcessors) else grad_pre[i] for i in range(n)]
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        for i in range(n):
            gi += self.downsamplers[i].updateGradInput(input, grad_pyramid[i]).array
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        # nnx's uses the gradients updateGradInput left per scale
        if getattr(self, 'gradProcessed', None) is None or getattr(self, 'narrowed', None) is None:
            raise input_error(self, "a forward and updateGradInput before accGradParameters", "none")
        self.checkSize(gradOutput, tuple(self.output.size()))
        for i in range(len(self.ratios)):
            self.run_child(i, 'accGradParameters', self.narrowed[i], self.gradProcessed[i], scale)

    def clearState(self, *names):
        for name in ('pyramid', 'preProcessed', 'padded', 'narrowed', 'processed', 'upsampled', 'gradProcessed',
                     'downsamplers', 'padders', 'upsamplers'):
            self.__dict__.pop(name, None)
        return super().clearState(*names)

    def __repr__(self):
        lines = [lua_typename(self) + ' {', '  input']
        for i, p in enumerate(self.processors):
            pre = f"{self.preProcessors[i]!r} -> " if i < len(self.preProcessors) else ''
            lines.append(f"  |`-> ({i}): {pre}{p!r}".replace('\n', '\n  |    '))
        lines += ['   ... -> output', '}']
        return '\n'.join(lines)
