"""Layers that cut, reorder, repeat or pad the dimensions of a tensor.

Dimensions and indices are 0-based; negative ones count from the end.
"""
from ..tensor import tensor_class
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.table_buffers import view_buffer


def _dim(module, dim, ndim, what='dimension'):
    d = dim + ndim if dim < 0 else dim
    if not 0 <= d < ndim:
        raise input_error(module, f"an input with a {what} {dim}", f"a {ndim}-D input", IndexError)
    return d


def _grad_as_input(module, input, gradOutput):
    """gradInput of a module whose output is a view of the input: gradOutput viewed in the input's size."""
    module.checkSameType(module.checkTensor(gradOutput, what='gradOutput'), input, 'gradOutput')
    if gradOutput.nElement() != input.nElement():
        raise input_error(module, f"gradOutput of {input.nElement()} elements", gradOutput.nElement())
    view_buffer(module, 'gradInput', gradOutput.contiguous().view(input.size()))
    return module.gradInput


class Narrow(Module):
    """output = input.narrow(dimension, offset, length), copied.

    A negative ``offset`` counts from the end; a negative ``length`` too: -1 keeps
    everything from ``offset`` to the end, -2 all but the last element, ...
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, dimension, offset, length=1):
        super().__init__()
        if length == 0:
            raise ValueError("Narrow: length must be non-zero")
        self.dimension, self.index, self.length = dimension, offset, length

    def _window(self, input):
        self.checkTensor(input)
        d = _dim(self, self.dimension, input.dim())
        n = input.size(d)
        start = self.index + n if self.index < 0 else self.index
        length = n - start + self.length + 1 if self.length < 0 else self.length
        if start < 0 or length <= 0 or start + length > n:
            raise input_error(self, f"dimension {d} long enough for offset {self.index}, length {self.length}",
                              f"size {n} (input of size {tuple(input.size())})", IndexError)
        return d, start, length

    def updateOutput(self, input):
        d, start, length = self._window(input)
        view = input.narrow(d, start, length)
        self.bufferLike('output', view)[...] = view.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        d, start, length = self._window(input)
        self.checkSize(gradOutput, input.narrow(d, start, length).size())
        self.bufferLike('gradInput', input)[...] = 0
        self.gradInput.narrow(d, start, length).array[...] = gradOutput.array
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.dimension}, {self.index}, {self.length})'


class Select(Module):
    """output = input.select(dimension, index), copied (one dimension fewer)."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, dimension, index):
        super().__init__()
        self.dimension, self.index = dimension, index

    def _where(self, input):
        self.checkTensor(input)
        if input.dim() == 1:
            # Select.lua resizes its output as input:select(...), which for a vector is a number: Torch7 fails
            raise input_error(self, "an input of 2 or more dimensions (a vector's select is a number)",
                              f"a 1-D input of size {tuple(input.size())}")
        d = _dim(self, self.dimension, input.dim())
        n = input.size(d)
        i = self.index + n if self.index < 0 else self.index
        if not 0 <= i < n:
            raise input_error(self, f"index {self.index} within dimension {d}",
                              f"size {n} (input of size {tuple(input.size())})", IndexError)
        return d, i

    def updateOutput(self, input):
        d, i = self._where(input)
        view = input.select(d, i)
        self.bufferLike('output', view)[...] = view.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        d, i = self._where(input)
        self.checkSize(gradOutput, input.select(d, i).size())
        self.bufferLike('gradInput', input)[...] = 0
        self.gradInput.select(d, i).array[...] = gradOutput.array
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.dimension}, {self.index})'


class Transpose(Module):
    """Swap dimension pairs in order: ``Transpose((0, 1), (1, 2))``; output is a contiguous copy.

    ``setNumInputDims(n)`` shifts the pairs past leading batch dimensions.
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, *permutations):
        super().__init__()
        for p in permutations:
            if len(p) != 2:
                raise ValueError(f"Transpose: each permutation is a pair of dimensions, got {p!r}")
        self.permutations = [tuple(p) for p in permutations]
        self.numInputDims = None

    def setNumInputDims(self, numInputDims):
        self.numInputDims = numInputDims
        return self

    def _swap(self, x, pairs):
        offset = x.dim() - self.numInputDims if self.numInputDims is not None else 0
        for a, b in pairs:
            x = x.transpose(_dim(self, a + offset if a >= 0 else a, x.dim()),
                            _dim(self, b + offset if b >= 0 else b, x.dim()))
        return x

    def updateOutput(self, input):
        self.checkTensor(input)
        view = self._swap(input, self.permutations)
        self.bufferLike('output', view)[...] = view.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkTensor(input)
        self.checkSize(gradOutput, self._swap(input, self.permutations).size())
        back = self._swap(gradOutput, self.permutations[::-1])
        self.bufferLike('gradInput', back)[...] = back.array
        return self.gradInput

    def __repr__(self):
        return lua_typename(self) + '(' + ', '.join(f'{{{a}, {b}}}' for a, b in self.permutations) + ')'


class Squeeze(Module):
    """Drop dimensions of size 1 (all, or only ``dim``); the output is a view of the input.

    With ``numInputDims`` a batch dimension of size 1 is kept and ``dim`` is shifted past it.
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, dim=None, numInputDims=None):
        super().__init__()
        self.dim, self.numInputDims = dim, numInputDims

    def setNumInputDims(self, numInputDims):
        self.numInputDims = numInputDims
        return self

    def updateOutput(self, input):
        self.checkTensor(input)
        batch = self.numInputDims is not None and input.dim() == self.numInputDims + 1
        if self.dim is not None:
            d = _dim(self, self.dim + 1 if batch and self.dim >= 0 else self.dim, input.dim())
            view = input._squeezed(d)
        else:
            view = input._squeezed()
            if batch and input.size(0) == 1:
                view = view.unsqueeze(0)
        view_buffer(self, 'output', view)
        return self.output

    def updateGradInput(self, input, gradOutput):
        return _grad_as_input(self, input, gradOutput)

    def __repr__(self):
        return lua_typename(self) + (f'({self.dim})' if self.dim is not None else '')


class Unsqueeze(Module):
    """Insert a dimension of size 1 at position ``pos`` of the output (a view).

    With ``numInputDims``, ``pos`` counts past the extra leading (batch) dimensions. Without it, the first
    forward sets it to its input's rank, as Unsqueeze.lua's _getActualPosition does (``self.numInputDims =
    self.numInputDims or inputDim``): a later input of more dimensions counts them as batch dimensions
    (``Unsqueeze(1)`` of a ``(3, 4)`` then of a ``(2, 3, 4)`` gives ``(3, 1, 4)`` then ``(2, 3, 1, 4)``), one of
    fewer is refused. A negative ``pos`` (legonn's, from the end) reads no offset.
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, pos, numInputDims=None):
        super().__init__()
        self.pos, self.numInputDims = pos, numInputDims

    def setNumInputDims(self, numInputDims):
        self.numInputDims = numInputDims
        return self

    def _position(self, input, dims=None):
        """The 0-based position of the new dimension in ``input``'s view, ``dims`` (default numInputDims) being
        the rank of one sample."""
        self.checkTensor(input)
        dims = self.numInputDims if dims is None else dims
        offset = input.dim() - dims if dims is not None else 0
        if offset < 0:
            raise input_error(self, f"at least numInputDims={dims} dimensions (the first forward's rank unless "
                              "given, as in Unsqueeze.lua)", f"{input.dim()}-D")
        pos = self.pos + offset if self.pos >= 0 else self.pos + input.dim() + 1
        if not 0 <= pos <= input.dim():
            raise input_error(self, f"a position in [0, {input.dim()}] for a {input.dim()}-D input", self.pos,
                              IndexError)
        return pos

    def updateOutput(self, input):
        self.checkTensor(input)   # before its methods are used
        dims = input.dim() if self.numInputDims is None else self.numInputDims
        pos = self._position(input, dims)
        self.numInputDims = dims   # kept once the call succeeds: a failed call changes nothing
        view_buffer(self, 'output', input.unsqueeze(pos))
        return self.output

    def updateGradInput(self, input, gradOutput):
        pos = self._position(input)
        self.checkSize(gradOutput, input.unsqueeze(pos).size())
        return _grad_as_input(self, input, gradOutput)

    def __repr__(self):
        return f'{lua_typename(self)}(dim {self.pos})'


class Replicate(Module):
    """Repeat the input ``nf`` times along a new dimension ``dim`` (a stride-0 view, no copy).

    With ``ndim``, inputs of more than ``ndim`` dimensions are batches and the new
    dimension goes at ``dim + 1``. gradInput sums over the copies.
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, nf, dim=0, ndim=None):
        super().__init__()
        if dim < 0:
            raise ValueError(f"Replicate: dim must be >= 0, got {dim}")
        self.nfeatures, self.dim, self.ndim = nf, dim, ndim

    def _rdim(self, input):
        self.checkTensor(input)
        rdim = self.dim + (1 if self.ndim is not None and input.dim() > self.ndim else 0)
        if rdim > input.dim():
            raise input_error(self, f"at least {rdim} dimensions to replicate along dimension {rdim}",
                              f"{input.dim()}-D")
        return rdim

    def updateOutput(self, input):
        rdim = self._rdim(input)
        sizes = list(input.size())
        sizes.insert(rdim, self.nfeatures)
        view_buffer(self, 'output', input.unsqueeze(rdim).expand(*sizes))
        return self.output

    def updateGradInput(self, input, gradOutput):
        rdim = self._rdim(input)
        sizes = list(input.size())
        sizes.insert(rdim, self.nfeatures)
        self.checkSize(gradOutput, sizes)
        gradOutput.xp.sum(gradOutput.array, axis=rdim, out=self.bufferLike('gradInput', input))
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.nfeatures}, {self.dim})'


class Padding(Module):
    """Add ``abs(pad)`` entries of ``value`` along ``dim``: after the data if ``pad > 0``, before it if ``pad < 0``
    (none if ``pad`` is 0).

    ``index`` moves the padding that many entries inwards from that end. With
    ``nInputDim``, inputs of another rank are batches and the padding goes at ``dim + 1``.
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, dim, pad, nInputDim=None, value=0, index=0):
        super().__init__()
        # pad 0 is allowed, as in Padding.lua: the output is a copy of the input
        self.dim, self.pad, self.nInputDim, self.value, self.index = dim, pad, nInputDim, value, index

    def _geometry(self, input):
        self.checkTensor(input)
        dim = self.dim + 1 if self.nInputDim is not None and input.dim() != self.nInputDim and self.dim >= 0 \
            else self.dim
        d = _dim(self, dim, input.dim())
        n = input.size(d)
        if not 0 <= self.index <= n:
            raise input_error(self, f"index {self.index} within [0, {n}] along dimension {d}", f"size {n}",
                              IndexError)
        # number of input entries that come before the padding
        before = n - self.index if self.pad > 0 else self.index
        return d, n, before, abs(self.pad)

    def updateOutput(self, input):
        d, n, before, pad = self._geometry(input)
        sizes = list(input.size())
        sizes[d] += pad
        self.bufferLike('output', input, sizes)
        self.output.fill(self.value)   # Padding.lua's fill: a value out of an integer type's range wraps, as in TH
        if before:
            self.output.narrow(d, 0, before).array[...] = input.narrow(d, 0, before).array
        if n - before:
            self.output.narrow(d, before + pad, n - before).array[...] = input.narrow(d, before, n - before).array
        return self.output

    def updateGradInput(self, input, gradOutput):
        d, n, before, pad = self._geometry(input)
        sizes = list(input.size())
        sizes[d] += pad
        self.checkSize(gradOutput, sizes)
        self.bufferLike('gradInput', input)
        if before:
            self.gradInput.narrow(d, 0, before).array[...] = gradOutput.narrow(d, 0, before).array
        if n - before:
            self.gradInput.narrow(d, before, n - before).array[...] = gradOutput.narrow(d, before + pad,
                                                                                         n - before).array
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.dim}, {self.pad})'


class Contiguous(Module):
    """output = the input itself if contiguous, else a contiguous copy (same for the gradient)."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def updateOutput(self, input):
        self.checkTensor(input)
        if input.isContiguous():
            view_buffer(self, 'output', input)
        else:
            self.bufferLike('output', input)[...] = input.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkSize(gradOutput, input.size())
        if gradOutput.isContiguous():
            view_buffer(self, 'gradInput', gradOutput)
        else:
            self.bufferLike('gradInput', gradOutput)[...] = gradOutput.array
        return self.gradInput


class Copy(Module):
    """Copy the input into a tensor of type ``outtype`` and the gradient back into type ``intype``.

    With equal types given and ``forceCopy`` false the output is the input itself (the gradInput the
    gradOutput); as Copy.lua that is decided by the types given to the constructor, so
    ``Copy('torch.FloatTensor', 'torch.DoubleTensor')`` copies even a DoubleTensor input. ``dontCast``
    makes ``type()``/``cuda()`` leave this module's types alone.
    """
    input_dtypes = 'any'  # converts between types and devices
    any_device = True

    def __init__(self, intype=None, outtype=None, forceCopy=False, dontCast=False):
        super().__init__()
        if intype is not None:
            self.gradInput = tensor_class(intype)()
        if outtype is not None:
            self.output = tensor_class(outtype)()
        self.forceCopy, self.dontCast = forceCopy, dontCast
        self.passThrough = not forceCopy and type(self.gradInput) is type(self.output)

    def type(self, typename=None, cache=None):
        if typename is not None and self.dontCast:
            return self
        return super().type(typename, cache)

    def _pass(self, name, x):
        buf = self.__dict__[name]
        if getattr(self, 'passThrough', not self.forceCopy) and type(buf) is type(x):
            buf.set(x)
        else:
            buf.resize(x.size()).copy(x)
        return buf

    def updateOutput(self, input):
        self.checkTensor(input)
        return self._pass('output', input)

    def updateGradInput(self, input, gradOutput):
        self.checkSize(gradOutput, input.size())
        return self._pass('gradInput', gradOutput)

    def __repr__(self):
        return f'{lua_typename(self)}({self.gradInput.type()} -> {self.output.type()})'


class Collapse(Module):
    """View the input as (batch, -1) when it has more than ``nInputDim`` dimensions, else as (-1,)."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, nInputDim):
        super().__init__()
        self.nInputDim = nInputDim

    def updateOutput(self, input):
        self.checkTensor(input)
        x = input.contiguous()
        view_buffer(self, 'output', x.view(x.size(0), -1) if x.dim() > self.nInputDim else x.view(-1))
        return self.output

    def updateGradInput(self, input, gradOutput):
        return _grad_as_input(self, input, gradOutput)

    def __repr__(self):
        return f'{lua_typename(self)}({self.nInputDim})'
