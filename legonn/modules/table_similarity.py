"""Similarities and mixtures of a table of tensors.

DotProduct, CosineDistance and PairwiseDistance take {a, b} with a and b of one
size, (n,) or (batch, n), and output (1,) or (batch,). MixtureTable weighs
experts by a gater.
"""
from .base.errors import input_error
from .base.module import Module
from .base.table_buffers import slot, slot_in, trim
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import reducer


class _PairMeasure(Module):
    """Checks shared by the {a, b} -> one number per row modules."""

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def _rows(self, input, gradOutput=None):
        """(a, b) as (batch, n) arrays, and gradOutput as a (batch, 1) column."""
        self.checkTable(input, length=2)
        a, b = self.checkTensorsAlike(input)
        if a.dim() not in (1, 2):
            raise input_error(self, "1-D or 2-D (batch) inputs", f"{a.dim()}-D of size {tuple(a.size())}")
        rows = 1 if a.dim() == 1 else a.size(0)
        A, B = a.array.reshape(rows, -1), b.array.reshape(rows, -1)
        if gradOutput is None:
            return A, B
        self.checkSize(gradOutput, (rows,))
        self.checkSameType(gradOutput, a, 'gradOutput')
        return A, B, gradOutput.array.reshape(rows, 1)

    def _out(self, input, values):
        rows = 1 if input[0].dim() == 1 else input[0].size(0)
        self.bufferLike('output', input[0], (rows,))[...] = values
        return self.output

    def _grads(self, input, ga, gb):
        trim(self, 'gradInput', 2)
        slot(self, 'gradInput', 0, input[0]).array[...] = ga.reshape(input[0].array.shape)
        slot(self, 'gradInput', 1, input[1]).array[...] = gb.reshape(input[1].array.shape)
        return self.gradInput


class DotProduct(_PairMeasure):
    """output[k] = sum_i a[k, i] * b[k, i]."""

    def updateOutput(self, input):
        A, B = self._rows(input)
        return self._out(input, (A * B).sum(axis=1))

    def updateGradInput(self, input, gradOutput):
        A, B, g = self._rows(input, gradOutput)
        return self._grads(input, g * B, g * A)


class CosineDistance(_PairMeasure):
    """output[k] = a_k . b_k / (|a_k| |b_k|) (cosine similarity; 1e-12 added to each squared norm)."""
    eps = 1e-12

    def _parts(self, A, B):
        ab = (A * B).sum(axis=1, keepdims=True)
        aa = (A * A).sum(axis=1, keepdims=True) + self.eps
        bb = (B * B).sum(axis=1, keepdims=True) + self.eps
        return ab, aa, bb

    def updateOutput(self, input):
        A, B = self._rows(input)
        ab, aa, bb = self._parts(A, B)
        return self._out(input, (ab / input[0].xp.sqrt(aa * bb))[:, 0])

    def updateGradInput(self, input, gradOutput):
        A, B, g = self._rows(input, gradOutput)
        ab, aa, bb = self._parts(A, B)
        inv = 1 / input[0].xp.sqrt(aa * bb)
        # d cos / da = b / (|a||b|) - cos a / |a|^2
        ga = g * (B * inv - ab * inv * A / aa)
        gb = g * (A * inv - ab * inv * B / bb)
        return self._grads(input, ga, gb)


class PairwiseDistance(_PairMeasure):
    """output[k] = |a_k - b_k|_p (p = 2 by default); the gradient divides by (output[k] + 1e-6)^(p-1), as Torch7's."""

    def __init__(self, p=2):
        super().__init__()
        if not p >= 1:
            raise ValueError(f"PairwiseDistance: p must be >= 1, got {p!r}")
        self.norm = p

    def updateOutput(self, input):
        A, B = self._rows(input)
        xp = input[0].xp
        return self._out(input, (xp.abs(A - B) ** self.norm).sum(axis=1) ** (1.0 / self.norm))

    def updateGradInput(self, input, gradOutput):
        A, B, g = self._rows(input, gradOutput)
        xp = input[0].xp
        d = A - B
        dist = (xp.abs(d) ** self.norm).sum(axis=1, keepdims=True) ** (1.0 / self.norm)
        # d |d|_p / d d_i = |d_i|^(p-1) sign(d_i) / |d|_p^(p-1), over (|d|_p + 1e-6)^(p-1) as PairwiseDistance.lua:64
        # and :69 ("prevent divide by zero"): 0 where the distance is 0; p = 1 is the sign alone (its :52)
        ga = g * xp.abs(d) ** (self.norm - 1) * xp.sign(d)
        if self.norm != 1:
            ga /= (dist + 1e-6) ** (self.norm - 1)
        return self._grads(input, ga, -ga)

    def __repr__(self):
        return f'{lua_typename(self)}({self.norm})'


class MixtureTable(Module):
    """{gater, experts} -> sum_i gater[..., i] * expert_i.

    ``gater`` is (n,) or (batch, n). ``experts`` is a table of n tensors of one size
    ((batch, ...) in batch mode), or one tensor holding the experts along dimension
    ``dim`` (default: 1 in batch mode, 0 otherwise).
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim
        self.gradInput = []

    def _check(self, input):
        self.checkTable(input, length=2)
        gater = self.checkTensor(input[0], what='input[0] (gater)')
        if gater.dim() not in (1, 2):
            raise input_error(self, "a 1-D or 2-D (batch) gater", f"{gater.dim()}-D")
        n = gater.size(-1)
        batch = gater.dim() == 2
        experts = input[1]
        if isinstance(experts, list):
            self.checkTable(experts, length=n, what='experts')
            self.checkTensorsAlike(experts, 'experts')
            if batch and (experts[0].dim() < 1 or experts[0].size(0) != gater.size(0)):
                raise input_error(self, f"experts with batch size {gater.size(0)}", tuple(experts[0].size()))
            return gater, experts, None
        self.checkTensor(experts, what='input[1] (experts)')
        d = self.dim if self.dim is not None else (1 if batch else 0)
        d = d + experts.dim() if d < 0 else d
        if not 0 <= d < experts.dim() or experts.size(d) != n or (batch and experts.size(0) != gater.size(0)):
            raise input_error(self, f"experts tensor with {n} experts along dimension {d}"
                              + (f" and batch size {gater.size(0)}" if batch else ""), tuple(experts.size()))
        return gater, experts, d

    @staticmethod
    def _gate(gater, i, like):
        """Gate i as an array broadcastable against an expert of ``like``'s rank."""
        g = gater.array[..., i]
        return g.reshape(g.shape + (1,) * (like.dim() - g.ndim))

    @staticmethod
    def _gates_along(gater, experts, d):
        """The gater's array shaped to broadcast against the experts tensor along its dimension ``d``."""
        shape = [1] * experts.dim()
        shape[d] = gater.size(-1)
        if gater.dim() == 2:
            shape[0] = gater.size(0)
        return gater.array.reshape(shape)

    def updateOutput(self, input):
        gater, experts, d = self._check(input)
        if d is None:
            out = self.bufferLike('output', experts[0])
            out[...] = 0
            for i, e in enumerate(experts):
                out += self._gate(gater, i, e) * e.array
        else:
            xp = experts.xp
            sizes = list(experts.size())
            del sizes[d]
            out = self.bufferLike('output', experts, sizes)
            xp.sum(self._gates_along(gater, experts, d) * experts.array, axis=d, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        gater, experts, d = self._check(input)
        g = self.checkSize(gradOutput, self.output.size()).array
        trim(self, 'gradInput', 2)
        ggate = slot(self, 'gradInput', 0, gater).array
        if d is None:
            if len(self.gradInput) < 2 or not isinstance(self.gradInput[1], list):
                self.gradInput[1:] = [[]]
            expert_grads = self.gradInput[1]
            del expert_grads[len(experts):]
            for i, e in enumerate(experts):
                prod = g * e.array
                ggate[..., i] = reducer(gater.xp, 'sum')(prod.reshape(prod.shape[0], -1) if gater.dim() == 2 else prod,
                                                         axis=1 if gater.dim() == 2 else None)
                slot_in(expert_grads, i, e).array[...] = self._gate(gater, i, e) * g
        else:
            xp = experts.xp
            gx = xp.expand_dims(g, d)
            prod = xp.moveaxis(gx * experts.array, d, -1)
            keep = 1 if gater.dim() == 2 else 0
            ggate[...] = prod.reshape(prod.shape[:keep] + (-1, gater.size(-1))).sum(axis=keep)
            slot(self, 'gradInput', 1, experts).array[...] = self._gates_along(gater, experts, d) * gx
        return self.gradInput

    def __repr__(self):
        return lua_typename(self) + (f'({self.dim})' if self.dim is not None else '')

