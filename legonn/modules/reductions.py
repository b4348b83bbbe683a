"""Reductions over a dimension (Sum, Mean, Max, Min), p-norm normalisation and
batched matrix products of a table of two tensors (MM, MV).

Dimensions are 0-based; a negative one counts from the end. ``nInputDims``
follows Torch7: a non-negative ``dimension`` moves one step right when the
input has nInputDims + 1 dimensions (a batch).
"""
import math

from .base.errors import check_number, input_error
from .base.module import Module
from .base.table_buffers import batch_dim, slot, trim
from ..tensor import default_class
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import accumulated_along, reducer


def _reduced_size(sizes, d, squeeze):
    """The size a reduction over ``d`` leaves: ``d`` removed (squeeze) or kept as 1; never empty."""
    sizes = list(sizes)
    if squeeze and len(sizes) > 1:
        del sizes[d]
    else:
        sizes[d] = 1
    return sizes


class _AlongDimension(Module):
    """A reduction along ``dimension``, shifted past the batch dimension of batch input (``nInputDims``)."""

    input_kind = 'tensor'

    def _dim(self, input):
        self.checkInput(input)
        return batch_dim(self, self.dimension, input.dim(), self.nInputDims)


class Sum(_AlongDimension):
    """Sum over ``dimension`` (0 by default); ``sizeAverage`` divides by its size (a mean).

    ``squeeze`` (default True) removes the reduced dimension unless the input is 1-D,
    where the output keeps size (1,) as in Torch7.
    """

    def __init__(self, dimension=0, nInputDims=None, sizeAverage=False, squeeze=True):
        super().__init__()
        if not isinstance(squeeze, bool):
            raise ValueError(f"{type(self).__name__}: squeeze must be True or False, got {squeeze!r}")
        self.dimension, self.nInputDims, self.sizeAverage, self.squeeze = dimension, nInputDims, sizeAverage, squeeze

    def updateOutput(self, input):
        d = self._dim(input)
        xp = input.xp
        out = self.bufferLike('output', input, _reduced_size(input.size(), d, self.squeeze))
        # Sum.lua's output:sum(input, dim): THTensor_(sum) adds a dimension of stride 1 in double
        accumulated_along(xp, 'sum', input.array, d, input.stride(d) == 1, keepdims=out.ndim == input.dim(), out=out)
        if self.sizeAverage:
            out /= input.size(d)
        return self.output

    def updateGradInput(self, input, gradOutput):
        d = self._dim(input)
        self.checkSize(gradOutput, _reduced_size(input.size(), d, self.squeeze))
        g = gradOutput.array
        gi = self.bufferLike('gradInput', input)
        gi[...] = g.reshape(_reduced_size(input.size(), d, False))
        if self.sizeAverage:
            gi /= input.size(d)
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.dimension})'


class Mean(Sum):
    """Mean over ``dimension``: ``Sum(dimension, nInputDims, sizeAverage=True)``.

    As Mean.lua's ``__init(dimension, nInputDims)``, the constructor takes no ``squeeze`` (Lua drops one passed
    there and squeezes): to keep the dimension, use ``Sum(dimension, nInputDims, True, False)``.
    """
    unread_arguments_note = ("Torch7's Mean reads no squeeze and always squeezes (a Lua false there is "
                             "dropped): to keep the dimension use nn.Sum(dimension, nInputDims, true, false)")

    def __init__(self, dimension=0, nInputDims=None):
        super().__init__(dimension, nInputDims, True)


class _Extremum(_AlongDimension):
    """Max or min over ``dimension``; the gradient goes to the (first) arg-extremum, recorded in ``_indices``."""
    pick = None  # 'argmax' or 'argmin'

    def __init__(self, dimension=0, nInputDims=None):
        super().__init__()
        self.dimension, self.nInputDims = dimension, nInputDims

    def updateOutput(self, input):
        d = self._dim(input)
        xp = input.xp
        sizes = _reduced_size(input.size(), d, True)
        idx = self.bufferLike('_indices', input, sizes, kind='Long')
        found = getattr(xp, self.pick)(input.array, axis=d)
        idx[...] = found.reshape(sizes)
        out = self.bufferLike('output', input, sizes)
        out[...] = xp.take_along_axis(input.array, xp.expand_dims(found, d), axis=d).reshape(sizes)
        return self.output

    def updateGradInput(self, input, gradOutput):
        d = self._dim(input)
        sizes = _reduced_size(input.size(), d, True)
        self.checkSize(gradOutput, sizes)
        idx = self.__dict__.get('_indices')
        if idx is None or tuple(idx.size()) != tuple(sizes):
            raise input_error(self, "updateOutput to have run on an input of this size",
                              f"no recorded indices for size {tuple(sizes)}")
        xp = input.xp
        keep = _reduced_size(input.size(), d, False)
        shape = [1] * input.dim()
        shape[d] = input.size(d)
        hit = xp.arange(input.size(d)).reshape(shape) == idx.array.reshape(keep)
        xp.multiply(hit, gradOutput.array.reshape(keep), out=self.bufferLike('gradInput', input))
        return self.gradInput

    def clearState(self):
        return super().clearState('_indices')

    def __repr__(self):
        return f'{lua_typename(self)}({self.dimension})'


class Max(_Extremum):
    """Maximum over ``dimension`` (output drops that dimension; 1-D input gives size (1,))."""
    input_dtypes = 'any'  # selects values, so any element type
    pick = 'argmax'


class Min(_Extremum):
    """Minimum over ``dimension`` (output drops that dimension; 1-D input gives size (1,))."""
    input_dtypes = 'any'  # selects values, so any element type
    pick = 'argmin'


class Normalize(Module):
    """Divide each row by its ``p``-norm: y = x / (sum |x|^p + eps)^(1/p); ``p=math.inf`` uses max |x| + eps.

    Input (n,) or (batch, n); output the same size.
    """

    input_ranks = (1, 2)

    def __init__(self, p, eps=1e-10):
        super().__init__()
        if not check_number('Normalize', 'p', p) > 0:
            raise ValueError(f"Normalize: p must be > 0, got {p!r}")
        self.p, self.eps = p, check_number('Normalize', 'eps', eps)

    def _norm(self, x, xp):
        """(norm of each row, kept as a column; d norm / d x)."""
        if math.isinf(self.p):
            a = xp.abs(x)
            norm = a.max(axis=-1, keepdims=True) + self.eps
            first = xp.argmax(a, axis=-1)[..., None]
            # Normalize.lua:74-75 and :112 take x[argmax] / norm^3 (norm = max |x| + eps): sign x (norm - eps) / norm
            # times the 1 / norm^2 below
            dnorm = (xp.arange(x.shape[-1]) == first) * x / norm
        else:
            a = xp.abs(x)
            norm = ((a ** self.p).sum(axis=-1, keepdims=True) + self.eps) ** (1.0 / self.p)
            if self.p < 2:   # Normalize.lua:83-85's (|x| + eps)^(p-2) x for p < 2 (finite at 0 where p < 1)
                slope = (a + self.eps) ** (self.p - 2) * x
            else:
                slope = a ** (self.p - 1) * xp.sign(x)
            dnorm = slope / norm ** (self.p - 1)
        return norm, dnorm

    def updateOutput(self, input):
        x, xp = input.array, input.xp
        norm, _ = self._norm(x, xp)
        xp.divide(x, norm, out=self.bufferLike('output', input))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, input)
        x, g, xp = input.array, gradOutput.array, input.xp
        norm, dnorm = self._norm(x, xp)
        # dy_i/dx_j = delta_ij / n - x_i dn/dx_j / n^2
        dot = reducer(xp, 'sum')(g * x, axis=-1, keepdims=True)
        xp.subtract(g / norm, dot * dnorm / norm ** 2, out=self.bufferLike('gradInput', input))
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.p})'


class MM(Module):
    """{A, B} -> A @ B for 2-D matrices or 3-D batches of them; ``transA``/``transB`` transpose first."""

    def __init__(self, transA=False, transB=False):
        super().__init__()
        self.transA, self.transB = transA, transB
        # MM.lua's {torch.Tensor(), torch.Tensor()}: code reads them before any backward (facebookresearch/MIXER's
        # make_cuda_mm converts mm.gradInput[1] and [2] with :cuda() right after construction)
        self.gradInput = [default_class()(), default_class()()]

    def _operands(self, input):
        self.checkTable(input, length=2)
        a, b = self.checkTensor(input[0], what='input[0]'), self.checkTensor(input[1], what='input[1]')
        if a.dim() not in (2, 3) or b.dim() != a.dim():
            raise input_error(self, "two 2-D matrices or two 3-D batches", f"{a.dim()}-D and {b.dim()}-D inputs")
        self.checkSameType(b, a, 'input[1]', "input[0]'s")
        xp = a.xp
        A = xp.swapaxes(a.array, -1, -2) if self.transA else a.array
        B = xp.swapaxes(b.array, -1, -2) if self.transB else b.array
        if A.shape[-1] != B.shape[-2] or A.shape[:-2] != B.shape[:-2]:
            raise input_error(self, "matrices whose sizes multiply (after any transposition)",
                              f"{tuple(A.shape)} @ {tuple(B.shape)}")
        return a, b, A, B

    def updateOutput(self, input):
        a, _, A, B = self._operands(input)
        a.xp.matmul(A, B, out=self.bufferLike('output', a, A.shape[:-1] + B.shape[-1:]))
        return self.output

    def updateGradInput(self, input, gradOutput):
        a, b, A, B = self._operands(input)
        self.checkSize(gradOutput, A.shape[:-1] + B.shape[-1:])
        xp, g = a.xp, gradOutput.array
        trim(self, 'gradInput', 2)
        ga, gb = slot(self, 'gradInput', 0, a).array, slot(self, 'gradInput', 1, b).array
        t = lambda m: xp.swapaxes(m, -1, -2)  # noqa: E731
        # dA = g B^T, dB = A^T g; transposed operands take the transposed gradient
        dA, dB = g @ t(B), t(A) @ g
        ga[...] = t(dA) if self.transA else dA
        gb[...] = t(dB) if self.transB else dB
        return self.gradInput


class MV(Module):
    """{M, v} -> M @ v for a 2-D matrix and a 1-D vector, or 3-D / 2-D batches; ``trans`` transposes M first."""

    def __init__(self, trans=False):
        super().__init__()
        if not isinstance(trans, bool):
            raise ValueError(f"MV: trans must be True or False, got {trans!r}")
        self.trans = trans
        self.gradInput = [default_class()(), default_class()()]   # MV.lua's {torch.Tensor(), torch.Tensor()}

    def _operands(self, input):
        self.checkTable(input, length=2)
        m, v = self.checkTensor(input[0], what='input[0]'), self.checkTensor(input[1], what='input[1]')
        if (m.dim(), v.dim()) not in ((2, 1), (3, 2)):
            raise input_error(self, "a 2-D matrix and 1-D vector or a 3-D and a 2-D batch",
                              f"{m.dim()}-D and {v.dim()}-D inputs")
        self.checkSameType(v, m, 'input[1]', "input[0]'s")
        M = m.xp.swapaxes(m.array, -1, -2) if self.trans else m.array
        if M.shape[-1] != v.size(-1) or M.shape[:-2] != tuple(v.size())[:-1]:
            raise input_error(self, "a vector as long as the matrix's rows (after any transposition)",
                              f"{tuple(M.shape)} @ {tuple(v.size())}")
        return m, v, M

    def updateOutput(self, input):
        m, v, M = self._operands(input)
        out = self.bufferLike('output', m, M.shape[:-1])
        out[...] = (M @ v.array[..., None])[..., 0]
        return self.output

    def updateGradInput(self, input, gradOutput):
        m, v, M = self._operands(input)
        self.checkSize(gradOutput, M.shape[:-1])
        xp, g = m.xp, gradOutput.array
        trim(self, 'gradInput', 2)
        gm, gv = slot(self, 'gradInput', 0, m).array, slot(self, 'gradInput', 1, v).array
        outer = g[..., :, None] * v.array[..., None, :]
        gm[...] = xp.swapaxes(outer, -1, -2) if self.trans else outer
        gv[...] = (xp.swapaxes(M, -1, -2) @ g[..., None])[..., 0]
        return self.gradInput
