"""UpSampling: nearest or (bi/tri)linear up-sampling of batched images and volumes (Torch7's nn.UpSampling)."""
from .base.errors import check_hyper, input_error
from .base.module import Module
from ..tensor.interpolation_kernels import interpolate_linear, interpolate_linear_grad
from ..tensor.introspection import typename as lua_typename

LINEAR_MODES = ('linear', 'bilinear', 'trilinear')


class UpSampling(Module):
    """Up-samples ``(batch, planes, H, W)`` images or ``(batch, planes, D, H, W)`` volumes.

    ``UpSampling(scale, mode='nearest')``: every spatial size times the integer ``scale``;
    nearest repeats each pixel (voxel), ``'linear'`` (also ``'bilinear'``, ``'trilinear'``)
    interpolates with aligned corners. ``UpSampling({'oheight': h, 'owidth': w[, 'odepth': d]},
    'linear')`` interpolates to a fixed size (``odepth`` is needed for volumes); nearest
    mode needs a scale. Unlike Torch7, an unknown mode is an error rather than nearest.
    """

    input_ranks = (4, 5)

    def __init__(self, params, mode='nearest'):
        super().__init__()
        if mode in LINEAR_MODES:
            self.mode = 'linear'
        elif mode in (None, 'nearest'):
            self.mode = 'nearest'
        else:
            raise ValueError(f"UpSampling: mode must be 'nearest' or one of {LINEAR_MODES}, got {mode!r}")
        self.scale_factor = self.odepth = self.oheight = self.owidth = None
        if isinstance(params, dict):
            if self.mode == 'nearest':
                raise ValueError("UpSampling: nearest-neighbour up-sampling needs an integer scale, got a size table")
            self.odepth, self.oheight, self.owidth = params.get('odepth'), params.get('oheight'), params.get('owidth')
            sizes = dict(oheight=self.oheight, owidth=self.owidth)
            if self.odepth is not None:
                sizes['odepth'] = self.odepth
            check_hyper('UpSampling', positive=sizes)
        else:
            check_hyper('UpSampling', positive=dict(scale_factor=params))
            self.scale_factor = params

    def _output_sizes(self, input):
        """The spatial output sizes (D, H, W or H, W) after checking the input."""
        self.checkInput(input)
        spatial = tuple(input.size())[2:]
        if self.scale_factor is not None:
            return tuple(s * self.scale_factor for s in spatial)
        if len(spatial) == 3 and self.odepth is None:
            raise input_error(self, "a 4-D input (no odepth was given for volumes)",
                              f"a 5-D input of size {tuple(input.size())}")
        return ((self.odepth,) if len(spatial) == 3 else ()) + (self.oheight, self.owidth)

    def _check_linear(self, input):
        if input.dtype.kind != 'f':
            raise input_error(self, "a floating-point input for linear up-sampling", input.type(), TypeError)

    def updateOutput(self, input):
        out_sizes = self._output_sizes(input)
        x = input.array
        lead = x.shape[:2]
        out = self.bufferLike('output', input, lead + out_sizes)
        if self.mode == 'nearest':
            s = self.scale_factor
            # out viewed as (batch, planes, n0, s, n1, s[, n2, s]): each input element fills an s^d block
            expanded = out.reshape(lead + sum(((n, s) for n in x.shape[2:]), ()))
            expanded[...] = x[(Ellipsis,) + sum(((slice(None), None) for _ in x.shape[2:]), ())]
            return self.output
        self._check_linear(input)
        out[...] = interpolate_linear(input.xp, x, out_sizes)
        return self.output

    def updateGradInput(self, input, gradOutput):
        out_sizes = self._output_sizes(input)
        self.checkTensor(gradOutput, None, 'gradOutput')
        self.checkSameType(gradOutput, input, 'gradOutput')
        if tuple(gradOutput.size())[2:] != out_sizes or tuple(gradOutput.size())[:2] != tuple(input.size())[:2]:
            raise input_error(self, f"gradOutput of size {tuple(input.size())[:2] + out_sizes}",
                              tuple(gradOutput.size()))
        g = gradOutput.array
        lead = g.shape[:2]
        gi = self.bufferLike('gradInput', input)
        if self.mode == 'nearest':
            s = self.scale_factor
            in_spatial = tuple(input.size())[2:]
            blocks = g.reshape(lead + sum(((n, s) for n in in_spatial), ()))
            blocks.sum(axis=tuple(range(3, blocks.ndim, 2)), out=gi)
            return self.gradInput
        self._check_linear(input)
        gi[...] = interpolate_linear_grad(input.xp, g, tuple(input.size())[2:])
        return self.gradInput

    def __repr__(self):
        if self.scale_factor is not None:
            return f"{lua_typename(self)}({self.scale_factor}x, {self.mode})"
        sizes = ((self.odepth,) if self.odepth is not None else ()) + (self.oheight, self.owidth)
        return f"{lua_typename(self)}({'x'.join(map(str, sizes))}, {self.mode})"
