"""2-D pooling over planes: max (plain and dilated), average, Lp and trainable sub-sampling, and
SpatialMaxUnpooling, max pooling's partial inverse.

Inputs are ``(C, H, W)`` or ``(N, C, H, W)``; outputs keep the planes. Output
sizes follow Torch7: floor((H + 2 padH - kH) / dH) + 1, or ceil after
``:ceil()``; a last window starting past the input (plus its padding) is dropped, with or without padding
(THNN drops it only when padded, and without padding pools an empty window).
"""

from ..tensor import Tensor, pool_kernels as pk
from ..tensor.backend import array_module
from ..tensor.indexing import whole_number
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.pooling import CeilMode, check_unpool_indices, offset_kind
from .base.initialisation import uniform_reset
from .base.batching import batched


class _Pooling2d(CeilMode, Module):
    """Shared geometry, checks and buffers of the window poolings."""

    positive_ints = ('kW', 'kH', 'dW', 'dH', 'dilationW', 'dilationH')
    nonnegative_ints = ('padW', 'padH')
    dilationW = dilationH = 1

    def _init_geometry(self, kW, kH, dW, dH, padW, padH):
        name = type(self).__name__
        self.checkHyper(kW=kW, kH=kH, dW=dW, dH=dH, padW=padW, padH=padH)
        if padW > kW // 2 or padH > kH // 2:
            raise ValueError(f"{name}: padding must be at most half the kernel size, got pad {padW},{padH} "
                             f"for kernel {kW}x{kH}")
        self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH

    def _geometry(self):
        """(kernel, stride, pad, dilation), each a (height, width) pair of ints. A field set after construction
        may hold a whole float: dpnn's SpatialGlimpse writes ``glimpseSize/size``, a Lua number, into kW, kH, dW
        and dH, which THNN reads as integers; a fractional one is refused, naming the module and field."""
        return tuple((self._whole_field(h), self._whole_field(w))
                     for h, w in (('kH', 'kW'), ('dH', 'dW'), ('padH', 'padW'), ('dilationH', 'dilationW')))

    def _whole_field(self, name):
        value = getattr(self, name)
        # an int, the common case, needs no check: the module's name for an error costs more than the pooling of
        # a small input (8 fields a call)
        return value if type(value) is int else whole_number(value, f"{self.shortName()}.{name}")

    def _output_hw(self, h, w):
        k, s, p, d = self._geometry()
        # THNN trims a last ceil-mode window starting past the input only when padded; without padding
        # such a window (size 6, kernel 2, stride 3) reads nothing and max pooling would give -inf there
        return tuple(pk.pool_output_size(size, k[i], s[i], p[i], d[i], self.ceil_mode, trim=True)
                     for i, size in enumerate((h, w)))

    def _check(self, input, gradOutput=None):
        x, _ = batched(self, input, (3, 4))
        self._check_planes(x, input)
        hw = self._output_hw(*x.shape[2:])
        if hw[0] < 1 or hw[1] < 1:
            k, s, p, d = self._geometry()
            raise input_error(self, f"an input of at least {d[0] * (k[0] - 1) + 1 - 2 * p[0]}x"
                              f"{d[1] * (k[1] - 1) + 1 - 2 * p[1]} (height x width) for kernel {k[1]}x{k[0]}, "
                              f"pad {p[1]},{p[0]}", f"{x.shape[2]}x{x.shape[3]} (input of size {tuple(input.size())})")
        if gradOutput is None:
            return x, hw
        expected = tuple(input.size())[:-2] + hw
        if not hasattr(gradOutput, 'size') or tuple(gradOutput.size()) != expected:
            got = tuple(gradOutput.size()) if hasattr(gradOutput, 'size') else type(gradOutput).__name__
            raise input_error(self, f"gradOutput of size {expected}", got)
        self.checkSameType(gradOutput, input, 'gradOutput')
        return x, hw, batched(self, gradOutput, (3, 4), 'gradOutput')[0]

    def _check_planes(self, x, input):
        pass

    def _out(self, name, input, hw):
        arr = self.bufferLike(name, input, tuple(input.size())[:-2] + tuple(hw))
        return arr if arr.ndim == 4 else arr[None]

    def _grad_in(self, input):
        arr = self.bufferLike('gradInput', input)
        return arr if arr.ndim == 4 else arr[None]

    def _text(self):
        s = f"{self.kW}x{self.kH}, {self.dW},{self.dH}"
        if self.padW or self.padH:
            s += f", {self.padW},{self.padH}"
        return s


class SpatialMaxPooling(_Pooling2d):
    """Maximum over kW x kH windows moved by (dW, dH), zero-free padding (padding never wins).

    ``SpatialMaxPooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0)``; ``:ceil()`` / ``:floor()``
    pick the output-size rounding. ``indices`` holds, per output, the flat
    0-based position of the maximum in its input plane (what SpatialMaxUnpooling uses), -1 for a window of
    NaNs and -infs (output -inf, and no gradient, as THNN).
    """

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0):
        super().__init__()
        self._init_geometry(kW, kH, kW if dW is None else dW, kH if dH is None else dH, padW, padH)
        self._argmax = None
        self._input_hw = None

    @property
    def indices(self):
        """LongTensor of flat positions of each window's maximum in its input plane (0-based)."""
        if self._argmax is None:
            return None
        k, s, p, d = self._geometry()
        idx = pk.max_pool_indices(self._argmax.array, self._input_hw, k, s, p, d)
        t = Tensor._from_array(idx)
        return t if self.output.dim() == 4 else t.select(0, 0)

    def updateOutput(self, input):
        x, hw = self._check(input)
        k, s, p, d = self._geometry()
        argmax = self.bufferLike('_argmax', input, x.shape[:2] + hw, kind=offset_kind(k, input))
        pk.max_pool_forward(x, k, s, p, d, hw, out=self._out('output', input, hw), argmax=argmax)
        self._input_hw = tuple(x.shape[2:])
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, hw, go = self._check(input, gradOutput)
        if self._argmax is None or tuple(self._argmax.size()) != go.shape:
            raise input_error(self, "a forward() on this input before backward()", "no matching forward")
        k, s, p, d = self._geometry()
        pk.max_pool_backward(go, self._argmax.array, x.shape, k, s, p, d, out=self._grad_in(input))
        return self.gradInput

    def clearState(self):
        self._argmax = None
        return super().clearState()

    def __repr__(self):
        return f"{lua_typename(self)}({self._text()})"


class SpatialDilatedMaxPooling(SpatialMaxPooling):
    """SpatialMaxPooling whose windows read every ``dilationW``-th / ``dilationH``-th element.

    ``SpatialDilatedMaxPooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0, dilationW=1, dilationH=1)``;
    a window spans dilation * (k - 1) + 1 elements.
    """

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0, dilationW=1, dilationH=1):
        super().__init__(kW, kH, dW, dH, padW, padH)
        self.checkHyper(dilationW=dilationW, dilationH=dilationH)
        self.dilationW, self.dilationH = dilationW, dilationH

    def __repr__(self):
        return f"{lua_typename(self)}({self._text()}, {self.dilationW},{self.dilationH})"


class SpatialAveragePooling(_Pooling2d):
    """Mean over kW x kH windows moved by (dW, dH) (default stride 1, as Torch7).

    ``SpatialAveragePooling(kW, kH, dW=1, dH=1, padW=0, padH=0)``. With
    ``count_include_pad`` (the default; ``setCountExcludePad()`` turns it off) the
    zero padding counts in the divisor, as THNN: the window clipped to the padded input.
    ``divide = False`` (old saved models) multiplies that mean by kW * kH, as Torch7.
    """

    def __init__(self, kW, kH, dW=1, dH=1, padW=0, padH=0):
        super().__init__()
        self._init_geometry(kW, kH, dW, dH, padW, padH)
        self.count_include_pad = True
        self.divide = True

    def setCountIncludePad(self):
        self.count_include_pad = True
        return self

    def setCountExcludePad(self):
        self.count_include_pad = False
        return self

    def updateOutput(self, input):
        x, hw = self._check(input)
        k, s, p, _ = self._geometry()
        out = pk.avg_pool_forward(x, k, s, p, hw, self.count_include_pad, out=self._out('output', input, hw))
        if not self.divide:   # as SpatialAveragePooling.lua for old saved models: the mean times kW * kH
            out *= self.kW * self.kH
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, hw, go = self._check(input, gradOutput)
        k, s, p, _ = self._geometry()
        gi = pk.avg_pool_backward(go, x.shape, k, s, p, self.count_include_pad, out=self._grad_in(input))
        if not self.divide:   # SpatialAveragePooling.lua's gradInput:mul(kW * kH)
            gi *= self.kW * self.kH
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self._text()})"


class SpatialLPPooling(_Pooling2d):
    """Lp norm of each window: (sum x^p)^(1/p) over kW x kH windows moved by (dW, dH).

    ``SpatialLPPooling(nInputPlane, pnorm, kW, kH, dW=kW, dH=kH)``; Torch7 builds it
    from Power/SpatialAveragePooling/MulConstant, which this computes in one module
    (for odd p, negative window sums give NaN there too). As there, ``nInputPlane`` is
    only recorded: none of those modules has a plane count, so any number of planes pools
    (OpenFace's nn4.small2 pools 1024 planes with ``SpatialLPPooling(960, ...)``).
    """

    positive_ints = _Pooling2d.positive_ints + ('nInputPlane',)

    def __init__(self, nInputPlane, pnorm, kW, kH, dW=None, dH=None):
        super().__init__()
        self.checkHyper(nInputPlane=nInputPlane)
        if not isinstance(pnorm, (int, float)) or isinstance(pnorm, bool) or pnorm <= 0:
            raise ValueError(f"{type(self).__name__}: pnorm must be a positive number, got {pnorm!r}")
        self._init_geometry(kW, kH, kW if dW is None else dW, kH if dH is None else dH, 0, 0)
        self.nInputPlane, self.pnorm = nInputPlane, pnorm

    def _powered(self, x):
        return x * x if self.pnorm == 2 else x ** self.pnorm

    def updateOutput(self, input):
        x, hw = self._check(input)
        k, s, p, _ = self._geometry()
        out = self._out('output', input, hw)
        pk.sum_pool_forward(self._powered(x), k, s, p, hw, out=out)
        xp = array_module(out)
        if self.pnorm == 2:
            xp.sqrt(out, out=out)       # Torch7's nn.Sqrt for pnorm 2
        else:
            xp.power(out, 1.0 / self.pnorm, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, hw, go = self._check(input, gradOutput)
        k, s, p, _ = self._geometry()
        self.updateOutput(input)
        out = self.output.array if self.output.dim() == 4 else self.output.array[None]
        # d/dx (sum x^p)^(1/p) = S^(1/p - 1) x^(p - 1) = out^(1 - p) x^(p - 1)
        if self.pnorm == 2:
            # Torch7's pnorm 2 ends in nn.Sqrt, whose backward (THNN Sqrt.c) is 0 where the output is 0: a
            # window of zeros passes no gradient instead of inf * 0 = NaN (other p end in nn.Power: NaN there too)
            xp = array_module(out)
            zero = out == 0
            g = xp.where(zero, 0, go / xp.where(zero, 1, out))
        else:
            g = go * out ** (1 - self.pnorm)
        gi = pk.sum_pool_backward(g, x.shape, k, s, p, out=self._grad_in(input))
        gi *= x ** (self.pnorm - 1)
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.nInputPlane}, {self.pnorm}, {self.kW}x{self.kH}, {self.dW},{self.dH})"


class SpatialSubSampling(_Pooling2d):
    """Trainable sub-sampling: output[c] = weight[c] * (sum of each kW x kH window of plane c) + bias[c].

    ``SpatialSubSampling(nInputPlane, kW, kH, dW=1, dH=1)``; ``weight`` and ``bias`` are ``(nInputPlane,)``.
    """

    positive_ints = _Pooling2d.positive_ints + ('nInputPlane',)

    def parameterSizes(self):
        return {'weight': (self.nInputPlane,), 'bias': (self.nInputPlane,)}

    def __init__(self, nInputPlane, kW, kH, dW=1, dH=1):
        super().__init__()
        self.checkHyper(nInputPlane=nInputPlane)
        self._init_geometry(kW, kH, dW, dH, 0, 0)
        self.nInputPlane = nInputPlane
        self.weight = self.output.new(nInputPlane)
        self.bias = self.output.new(nInputPlane)
        self.gradWeight = self.output.new(nInputPlane)
        self.gradBias = self.output.new(nInputPlane)
        self.reset()

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(kW*kH) by default (Torch7's rule)."""
        uniform_reset(stdv, self.kW * self.kH, self.weight, self.bias)
        return self

    def _check_planes(self, x, input):
        self.checkSameType(input, self.weight)
        if x.shape[1] != self.nInputPlane:
            raise input_error(self, f"an input with {self.nInputPlane} planes", f"{x.shape[1]} planes (input of "
                              f"size {tuple(input.size())})")

    def updateOutput(self, input):
        x, hw = self._check(input)
        k, s, p, _ = self._geometry()
        out = self._out('output', input, hw)
        pk.sum_pool_forward(x, k, s, p, hw, out=out)
        out *= self.weight.array.reshape(-1, 1, 1)
        out += self.bias.array.reshape(-1, 1, 1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, hw, go = self._check(input, gradOutput)
        k, s, p, _ = self._geometry()
        pk.sum_pool_backward(go * self.weight.array.reshape(-1, 1, 1), x.shape, k, s, p, out=self._grad_in(input))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, hw, go = self._check(input, gradOutput)
        k, s, p, _ = self._geometry()
        sums = pk.sum_pool_forward(x, k, s, p, hw)
        self.gradWeight.array += scale * (go * sums).sum(axis=(0, 2, 3))
        self.gradBias.array += scale * go.sum(axis=(0, 2, 3))

    def __repr__(self):
        return f"{lua_typename(self)}({self.nInputPlane}, {self.kW}x{self.kH}, {self.dW},{self.dH})"


class SpatialMaxUnpooling(Module):
    """Puts each input value back where the paired pooling found its maximum; zeros elsewhere.

    ``SpatialMaxUnpooling(poolingModule)`` with a SpatialMaxPooling (or
    SpatialDilatedMaxPooling) that has run forward; input of the pooling's output
    size, output of its input size: (C, H, W) or (N, C, H, W).
    """

    def __init__(self, poolingModule):
        super().__init__()
        if not isinstance(poolingModule, SpatialMaxPooling):
            raise TypeError(f"SpatialMaxUnpooling: expected a SpatialMaxPooling module, got "
                            f"{type(poolingModule).__name__}")
        self.pooling = poolingModule

    def _check(self, input, gradOutput=None):
        x, _ = batched(self, input, (3, 4))
        idx = self.pooling.indices
        if idx is None:
            raise input_error(self, f"its pooling module {self.pooling.shortName()} to have run forward first",
                              "a pooling module with no indices")
        if tuple(idx.size()) != tuple(input.size()):
            raise input_error(self, f"an input of the pooling's output size {tuple(idx.size())}",
                              f"{tuple(input.size())}")
        sizes = tuple(input.size())[:-2] + self.pooling._input_hw
        if gradOutput is not None:
            if not hasattr(gradOutput, 'size') or tuple(gradOutput.size()) != sizes:
                raise input_error(self, f"gradOutput of size {sizes}", tuple(getattr(gradOutput, 'size', tuple)()))
            self.checkSameType(gradOutput, input, 'gradOutput')
        check_unpool_indices(self, idx.array)
        return x, idx.array.reshape(x.shape), sizes

    def _flat(self, x, idx):
        xp = array_module(idx)
        n, c = x.shape[:2]
        h, w = self.pooling._input_hw
        return (idx.reshape(n * c, -1) + (xp.arange(n * c) * (h * w))[:, None]).reshape(-1)

    def updateOutput(self, input):
        x, idx, sizes = self._check(input)
        out = self.bufferLike('output', input, sizes)
        out.fill(0)
        # overlapping pooling windows can name one position twice: the last write wins, as in THNN
        out.reshape(-1)[self._flat(x, idx)] = x.reshape(-1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, idx, sizes = self._check(input, gradOutput)
        gi = self.bufferLike('gradInput', input)
        gi.reshape(-1)[...] = gradOutput.array.reshape(-1)[self._flat(x, idx)]
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)} associated to {self.pooling!r}"
