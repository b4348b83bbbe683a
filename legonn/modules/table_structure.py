"""Modules that build, cut and rearrange tables (Python lists, nested).

Dimensions and table indices are 0-based; negative ones count from the end.
"""
import numbers

from ..tensor import Tensor, cuda_kernels
from ..tensor.scatter_kernels import out_of_range, scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.table_buffers import (batch_dim, copy_pieces, copy_tree, describe, same_nesting, slot, trim, view_buffer,
                                 zero_mirror)
from .base.view_cache import views_of


def _table_index(module, index, n, what='index'):
    """A 0-based (negative from the end) index into a table of ``n`` entries, range-checked."""
    i = index + n if index < 0 else index
    if not 0 <= i < n:
        raise input_error(module, f"a table with an entry at {what} {index}", f"a table of {n} entries",
                          IndexError)
    return i


class JoinTable(Module):
    """Concatenate a table of tensors along ``dimension`` into one tensor.

    The output takes input[0]'s sizes, but for the sum of the entries' sizes along ``dimension``; an entry fills
    its slice in row-major order, so it agrees with input[0] in every other dimension, or holds as many elements as
    its slice (JoinTable.lua:38-39 copies each entry into a narrow of the output, and Torch7's copy only compares
    element counts: reedscot/icml2016's generator joins its B x nz x 1 x 1 noise with a B x nt text code). With
    ``nInputDims`` set, inputs of nInputDims + 1 dimensions are batches and the join happens at ``dimension + 1``.
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, dimension, nInputDims=None):
        super().__init__()
        self.dimension = dimension
        self.nInputDims = nInputDims
        self.gradInput = []

    def _check(self, input):
        """The join's dimension, and whether an entry is shaped otherwise than its slice (see _fills_slice)."""
        self.checkTable(input)
        first = self.checkTensor(input[0], what='input[0]')
        d = batch_dim(self, self.dimension, first.dim(), self.nInputDims)
        reshaped = False
        for i, t in enumerate(input[1:], 1):
            self.checkTensor(t, what=f'input[{i}]')
            same = t.dim() == first.dim() and all(a == b for k, (a, b) in enumerate(zip(t.size(), first.size()))
                                                  if k != d)
            if not same:
                if not self._fills_slice(t, first, d):
                    raise input_error(self, f"input[{i}] matching input[0]'s size {tuple(first.size())} outside "
                                      f"dimension {d}", tuple(t.size()))
                reshaped = True
            self.checkSameType(t, first, f'input[{i}]', "input[0]'s")
        return d, reshaped

    @staticmethod
    def _fills_slice(t, first, d):
        """Whether ``t``, shaped unlike ``first`` outside dimension ``d``, holds as many elements as its slice of the
        output (input[0]'s sizes with ``t.size(d)`` at ``d``), which Torch7's copy fills in row-major order."""
        if t.dim() <= d or first.size(d) == 0:
            return False
        return t.nElement() == first.nElement() // first.size(d) * t.size(d)

    def updateOutput(self, input):
        d, reshaped = self._check(input)
        sizes = list(input[0].size())
        sizes[d] = sum(t.size(d) for t in input)
        out = self.bufferLike('output', input[0], sizes)
        pieces = [t.array for t in input]
        if reshaped:
            views = self._pieces(out, input, d)
            copy_pieces([p.reshape(v.shape) for p, v in zip(pieces, views)], views)
        elif cuda_kernels.join_applies(out, pieces, d):   # one launch for pieces of different sizes too
            cuda_kernels.join_rows(pieces, out, d)
        else:
            copy_pieces(pieces, self._pieces(out, input, d))
        return self.output

    @staticmethod
    def _pieces(joined, input, d):
        """The views of ``joined`` that the entries of ``input`` fill, along dimension ``d``."""
        lead = (slice(None),) * d
        views, offset = [], 0
        for t in input:
            n = t._size[d]
            views.append(joined[lead + (slice(offset, offset + n),)])
            offset += n
        return views

    def updateGradInput(self, input, gradOutput):
        d, reshaped = self._check(input)
        sizes = list(input[0].size())
        sizes[d] = sum(t.size(d) for t in input)
        self.checkSize(gradOutput, sizes)
        trim(self, 'gradInput', len(input))
        slots = [slot(self, 'gradInput', i, t).array for i, t in enumerate(input)]
        if reshaped:    # JoinTable.lua:52, 65: each gradInput keeps its entry's shape
            views = self._pieces(gradOutput.array, input, d)
            copy_pieces([v.reshape(g.shape) for g, v in zip(slots, views)], slots)
        elif cuda_kernels.join_applies(gradOutput.array, slots, d):
            cuda_kernels.split_rows(gradOutput.array, slots, d)
        else:
            copy_pieces(self._pieces(gradOutput.array, input, d), slots)
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.dimension})'


class SplitTable(Module):
    """Split a tensor along ``dimension`` into a table of its slices (views, no copy).

    ``nInputDims`` as in JoinTable. gradInput is one tensor assembled from the table gradOutput.
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, dimension, nInputDims=None):
        super().__init__()
        self.dimension = dimension
        self.nInputDims = nInputDims
        self.output = []

    def updateOutput(self, input):
        self.checkTensor(input)
        d = batch_dim(self, self.dimension, input.dim(), self.nInputDims)
        if not self._cut_from(self.output, input, d):
            self.output = [input.select(d, i) for i in range(input.size(d))]
        return self.output

    @staticmethod
    def _cut_from(pieces, input, d):
        """Whether the list ``pieces`` (the last call's output) holds exactly ``input.select(d, i)`` for every i:
        tensors of its type on its storage at those offsets, sizes and strides. A module fed the same buffer at
        every call (a Reshape's output: an LSTM cell's gates) then hands on the same views instead of making
        them again; a piece resized or re-pointed since fails the test, and the pieces are made afresh."""
        size, stride = input._size, input._stride
        n = size[d]
        if type(pieces) is not list or len(pieces) != n or not n:
            return False
        cls, storage, step = type(input), input._storage, stride[d]
        piece_size, piece_stride = size[:d] + size[d + 1:], stride[:d] + stride[d + 1:]
        offset = input._offset
        for p in pieces:
            if type(p) is not cls or p._storage is not storage or p._offset != offset or p._size != piece_size or \
                    p._stride != piece_stride:
                return False
            offset += step
        return True

    def updateGradInput(self, input, gradOutput):
        self.checkTensor(input)
        d = batch_dim(self, self.dimension, input.dim(), self.nInputDims)
        self.checkTable(gradOutput, length=input.size(d), min_length=0, what='gradOutput')
        piece = input._size[:d] + input._size[d + 1:]
        for i, g in enumerate(gradOutput):
            if not (isinstance(g, Tensor) and g._size == piece):   # the common case in two reads
                self.checkSize(g, piece, f'gradOutput[{i}]')
        lead = (slice(None),) * d
        n = len(gradOutput)
        # the slices of the buffer made once while it keeps its array (an LSTM cell's gates, at every time step);
        # the Ellipsis keeps a 1-D input's slices 0-d views, where NumPy's gi[i] would be a copied scalar
        slots = views_of(self, 'gradInput', self.bufferLike('gradInput', input), (d, n),
                         lambda gi: [gi[lead + (i, Ellipsis)] for i in range(n)])
        copy_pieces([g.array for g in gradOutput], slots)
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.dimension})'


class SelectTable(Module):
    """output = input[index] (the entry itself, tensor or table); gradInput is zero elsewhere.

    ``index`` is a 0-based position in a list (negative counts from the end), or a key
    of a dict input (Lua tables with string keys: ``SelectTable('key')``).
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, index):
        super().__init__()
        self.index = index
        self.gradInput = []

    def _key(self, input):
        if not isinstance(input, dict):
            raise input_error(self, f"a dict input holding key {self.index!r}", describe(input), TypeError)
        if self.index not in input:
            raise input_error(self, f"a dict input holding key {self.index!r}", f"keys {sorted(map(str, input))}",
                              IndexError)
        return self.index

    def updateOutput(self, input):
        if isinstance(self.index, str):
            self.output = input[self._key(input)]
            return self.output
        self.checkTable(input, min_length=0)
        self.output = input[_table_index(self, self.index, len(input))]
        return self.output

    def updateGradInput(self, input, gradOutput):
        if isinstance(self.index, str):
            key = self._key(input)
            old = self.gradInput if isinstance(self.gradInput, dict) else {}
            self.gradInput = {k: zero_mirror(old.get(k), v) for k, v in input.items()}
            self.gradInput[key] = copy_tree(old.get(key), gradOutput)
            return self.gradInput
        self.checkTable(input, min_length=0)
        i = _table_index(self, self.index, len(input))
        if not same_nesting(input[i], gradOutput):
            raise input_error(self, f"gradOutput shaped like input[{i}] ({describe(input[i])})", describe(gradOutput))
        if isinstance(gradOutput, Tensor):
            self.checkSameType(gradOutput, input[i], 'gradOutput', f"input[{i}]'s")
        self.gradInput = zero_mirror(self.gradInput, input)
        self.gradInput[i] = copy_tree(self.gradInput[i], gradOutput)
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.index})'


class _TablesOut(Module):
    """A module whose output and gradInput are both tables (lists), empty until the first call."""

    def __init__(self):
        super().__init__()
        self.output = []
        self.gradInput = []


class NarrowTable(_TablesOut):
    """output = input[offset : offset + length] (the entries themselves).

    A negative ``length`` counts from the end: -1 keeps everything from ``offset`` on.
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, offset, length=1):
        super().__init__()
        if not isinstance(offset, int) or not isinstance(length, int) or length == 0:
            raise ValueError(f"NarrowTable: expected integer offset and non-zero length, got {offset!r}, {length!r}")
        self.offset = offset
        self.length = length

    def _range(self, input):
        self.checkTable(input, min_length=0)
        n = len(input)
        start = self.offset + n if self.offset < 0 else self.offset
        length = n - start + self.length + 1 if self.length < 0 else self.length
        if start < 0 or length <= 0 or start + length > n:
            raise input_error(self, f"a table holding entries {self.offset} .. (length {self.length})",
                              f"a table of {n} entries", IndexError)
        return start, length

    def updateOutput(self, input):
        start, length = self._range(input)
        self.output = list(input[start:start + length])
        return self.output

    def updateGradInput(self, input, gradOutput):
        start, length = self._range(input)
        self.checkTable(gradOutput, length=length, what='gradOutput')
        for k in range(length):
            if not same_nesting(input[start + k], gradOutput[k]):
                raise input_error(self, f"gradOutput[{k}] shaped like input[{start + k}] "
                                  f"({describe(input[start + k])})", describe(gradOutput[k]))
        self.gradInput = zero_mirror(self.gradInput, input)
        for k in range(length):
            self.gradInput[start + k] = copy_tree(self.gradInput[start + k], gradOutput[k])
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.offset}, {self.length})'


def _flatten(tree, out):
    if isinstance(tree, list):
        for v in tree:
            _flatten(v, out)
    else:
        out.append(tree)
    return out


def _unflatten(like, flat, pos):
    """Rebuild ``like``'s nesting from the flat list, starting at ``pos[0]``."""
    if isinstance(like, list):
        return [_unflatten(v, flat, pos) for v in like]
    pos[0] += 1
    return flat[pos[0] - 1]


def _flatten_map(tree, out):
    """Append ``tree``'s tensors to ``out`` (depth first); return its nesting with each tensor's index in ``out``."""
    if isinstance(tree, list):
        return [_flatten_map(v, out) for v in tree]
    out.append(tree)
    return len(out) - 1


def _maps(output, tree, input_map):
    """Whether ``input_map`` still sends each tensor of ``tree`` to that very tensor in ``output``."""
    if isinstance(tree, list):
        return isinstance(input_map, list) and len(tree) == len(input_map) and all(
            _maps(output, v, m) for v, m in zip(tree, input_map))
    return isinstance(input_map, int) and input_map < len(output) and output[input_map] is tree


class FlattenTable(_TablesOut):
    """Flatten a nested table into a flat table of its tensors (depth first); gradInput re-nests gradOutput.

    ``input_map`` has the input's nesting with each tensor's (0-based) index in the output; while a new input
    holds the same tensors in the same places, the output list is kept rather than rebuilt, as in Torch7.
    """
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self):
        super().__init__()
        self.input_map = []

    def updateOutput(self, input):
        self.checkTable(input, min_length=0)
        if not _maps(self.output, input, self.__dict__.get('input_map')):
            self.output = []
            self.input_map = _flatten_map(input, self.output)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkTable(input, min_length=0)
        flat = _flatten(input, [])
        self.checkTable(gradOutput, length=len(flat), min_length=0, what='gradOutput')
        for k, (x, g) in enumerate(zip(flat, gradOutput)):
            self.checkSize(g, x.size(), f'gradOutput[{k}]')
        self.gradInput = _unflatten(input, list(gradOutput), [0])
        return self.gradInput



class ReverseTable(_TablesOut):
    """output = the input table's entries in reverse order (the entries themselves); gradInput reverses
    gradOutput the same way (dpnn's ReverseTable.lua). Entries may be numbers: ``forward([1, 2, 3, 4])`` is
    ``[4, 3, 2, 1]``, as dpnn's README shows."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type
    keeps_numbers = True

    def updateOutput(self, input):
        self.checkTable(input, min_length=0)
        self.output = input[::-1]
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkTable(input, min_length=0)
        self.checkTable(gradOutput, length=len(input), min_length=0, what='gradOutput')
        n = len(input)
        for k, g in enumerate(gradOutput):
            x = input[n - 1 - k]
            alike = isinstance(g, numbers.Number) if isinstance(x, numbers.Number) else same_nesting(x, g)
            if not alike:
                raise input_error(self, f"gradOutput[{k}] shaped like input[{n - 1 - k}] ({describe(x)})", describe(g))
        self.gradInput = gradOutput[::-1]
        return self.gradInput

class ZipTable(_TablesOut):
    """Zip a table of tables: {{a1, a2}, {b1, b2}} -> {{a1, b1}, {a2, b2}} (entries themselves, which may be
    numbers or strings: ZipTable.lua only moves them, and table.md zips ``{{'a1','a2'}, {'b1','b2'}}``)."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type
    keeps_numbers = True

    @staticmethod
    def _zip(module, tables, what):
        module.checkTable(tables, what=what)
        for i, t in enumerate(tables):
            module.checkTable(t, length=len(tables[0]), min_length=0, what=f'{what}[{i}]')
        return [[t[j] for t in tables] for j in range(len(tables[0]))]

    def updateOutput(self, input):
        self.output = self._zip(self, input, 'input')
        return self.output

    def updateGradInput(self, input, gradOutput):
        zipped = self._zip(self, input, 'input')
        if not same_nesting(zipped, gradOutput):
            raise input_error(self, f"gradOutput nested like the output ({describe(zipped)} of "
                              f"{describe(zipped[0]) if zipped else 'nothing'})", describe(gradOutput))
        self.gradInput = self._zip(self, gradOutput, 'gradOutput') if gradOutput else [[] for _ in input]
        return self.gradInput


class ZipTableOneToMany(_TablesOut):
    """{v, {a, b, c}} -> {{v, a}, {v, b}, {v, c}}; v's gradient sums over the pairs. Forward moves any entries
    (table.md zips ``{'el', {'a','b','c'}}``, as ZipTableOneToMany.lua's updateOutput only pairs them); backward
    needs ``v`` a tensor, whose size its gradient takes (the Lua's ``resizeAs(inputEl)``)."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type
    keeps_numbers = True

    def _check(self, input):
        self.checkTable(input, length=2)
        return self.checkTable(input[1], min_length=0, what='input[1]')

    def updateOutput(self, input):
        many = self._check(input)
        self.output = [[input[0], v] for v in many]
        return self.output

    def updateGradInput(self, input, gradOutput):
        many = self._check(input)
        self.checkTensor(input[0], what='input[0]')
        if not same_nesting([[input[0], v] for v in many], gradOutput):
            raise input_error(self, f"a gradOutput table of {len(many)} pairs shaped like the output",
                              describe(gradOutput))
        one = self.bufferLike('_gradOne', input[0])
        one[...] = 0
        for pair in gradOutput:
            one += pair[0].array
        self.gradInput = [self._gradOne, [pair[1] for pair in gradOutput]]
        return self.gradInput

    def clearState(self):
        return super().clearState('_gradOne')


class CAddTensorTable(_TablesOut):
    """{t, {a, b, ...}} -> {t + a, t + b, ...}; t's gradient sums over the outputs."""

    def _check(self, input):
        self.checkTable(input, length=2)
        base = self.checkTensor(input[0], what='input[0]')
        self.checkTable(input[1], what='input[1]')
        for i, t in enumerate(input[1]):
            self.checkSize(t, base.size(), f'input[1][{i}]')
        return base

    def updateOutput(self, input):
        base = self._check(input)
        trim(self, 'output', len(input[1]))
        for i, t in enumerate(input[1]):
            base.xp.add(base.array, t.array, out=slot(self, 'output', i, base).array)
        return self.output

    def updateGradInput(self, input, gradOutput):
        base = self._check(input)
        self.checkTable(gradOutput, length=len(input[1]), what='gradOutput')
        for i, g in enumerate(gradOutput):
            self.checkSize(g, base.size(), f'gradOutput[{i}]')
        if len(self.gradInput) != 2 or not isinstance(self.gradInput[1], list):
            self.gradInput = [None, []]
        total = self.gradInput[0] if type(self.gradInput[0]) is type(base) else base.new()
        acc = total.resizeAs(base).zero().array
        many = self.gradInput[1]
        del many[len(gradOutput):]
        for i, g in enumerate(gradOutput):
            acc += g.array
            if i == len(many):
                many.append(g.new())
            many[i] = copy_tree(many[i], g)
        self.gradInput[0] = total
        return self.gradInput


class ExpandAs(_TablesOut):
    """{a, b} -> {a, b expanded to a's size} (rnn's ExpandAs.lua): ``a`` itself and a view of ``b`` that repeats
    it along each dimension where b has size 1 (no copy). b has a's number of dimensions and, on each one, a's
    size or 1. gradInput: {gradOutput[0], gradOutput[1] summed over those dimensions, of b's size}."""

    def _check(self, input):
        self.checkTable(input, length=2)
        a = self.checkTensor(input[0], what='input[0]')
        b = self.checkTensor(input[1], what='input[1]')
        if b.dim() != a.dim() or any(n not in (m, 1) for n, m in zip(b.size(), a.size())):
            raise input_error(self, f"input[1] of {a.dim()} dimensions, each of input[0]'s size {tuple(a.size())} "
                              "or 1", f"size {tuple(b.size())}")
        return a, b

    def updateOutput(self, input):
        a, b = self._check(input)
        self.output = [a, view_buffer(self, '_expanded', b.expandAs(a))]
        return self.output

    def updateGradInput(self, input, gradOutput):
        a, b = self._check(input)
        self.checkTable(gradOutput, length=2, what='gradOutput')
        self.checkSize(gradOutput[0], a.size(), 'gradOutput[0]')
        self.checkSize(gradOutput[1], a.size(), 'gradOutput[1]')
        axes = tuple(d for d in range(b.dim()) if b.size(d) != a.size(d))
        grad_b = self.bufferLike('_gradExpanded', b)
        b.xp.sum(gradOutput[1].array, axis=axes, keepdims=True, out=grad_b)
        self.gradInput = [gradOutput[0], self._gradExpanded]
        return self.gradInput

    def clearState(self, *names):
        return super().clearState('_expanded', '_gradExpanded', *names)


class Index(Module):
    """{t, idx} -> t.index(dimension, idx): the slices of t at the 0-based LongTensor indices ``idx``.

    The gradient with respect to the indices is zero.
    """
    input_dtypes = 'any'  # integer indices are part of its input

    def __init__(self, dimension):
        super().__init__()
        self.dimension = dimension
        self.gradInput = []

    def _check(self, input):
        self.checkTable(input, length=2)
        t = self.checkTensor(input[0], what='input[0]')
        idx = self.checkTensor(input[1], what='input[1]')
        if idx.dim() != 1 or idx.dtype.kind not in 'iu':
            raise input_error(self, "input[1]: a 1-D integer (LongTensor) index", describe(idx) + f' of {idx.type()}',
                              TypeError)
        d = self.dimension + t.dim() if self.dimension < 0 else self.dimension
        if not 0 <= d < t.dim():
            raise input_error(self, f"input[0] with a dimension {self.dimension}", describe(t))
        bad = out_of_range(idx.array, t.size(d))
        if bad:
            raise input_error(self, f"indices in [0, {t.size(d) - 1}] along dimension {d}",
                              f"indices from {bad[0]} to {bad[1]}", IndexError)
        return t, idx, d

    def updateOutput(self, input):
        t, idx, d = self._check(input)
        sizes = list(t.size())
        sizes[d] = idx.size(0)
        out = self.bufferLike('output', t, sizes)
        t.xp.take(t.array, idx.array, axis=d, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        t, idx, d = self._check(input)
        sizes = list(t.size())
        sizes[d] = idx.size(0)
        self.checkSize(gradOutput, sizes)
        trim(self, 'gradInput', 2)
        g = slot(self, 'gradInput', 0, t).zero().array
        slot(self, 'gradInput', 1, idx).zero()
        scatter_add(t.xp.moveaxis(g, d, 0), idx.array, t.xp.moveaxis(gradOutput.array, d, 0))
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.dimension})'
