"""Connection tables (Torch7's nn.tables) and the construction both map convolutions share.

A connection table is an (nConnections, 2) tensor of 0-based ``[input plane, output plane]`` rows.
"""
import numpy as np

from ...tensor import LongTensor, randperm
from ...tensor.scatter_kernels import scatter_add
from ...tensor.introspection import typename as lua_typename
from .initialisation import uniform_reset


class tables:
    """Connection tables (Torch7's nn.tables), 0-based ``[input, output]`` rows as LongTensors."""

    @staticmethod
    def full(nin, nout):
        """Every input plane to every output plane (rows ordered by output, then input)."""
        o, i = np.meshgrid(np.arange(nout), np.arange(nin), indexing='ij')
        return LongTensor(np.stack([i.ravel(), o.ravel()], axis=1))

    @staticmethod
    def oneToOne(nfeat):
        """Plane i to plane i."""
        r = np.arange(nfeat)
        return LongTensor(np.stack([r, r], axis=1))

    @staticmethod
    def random(nin, nout, nto):
        """Each output plane reads ``nto`` distinct random input planes, inputs spread evenly (legonn's RNG)."""
        if nto > nin:
            raise ValueError(f"tables.random: nto ({nto}) must not exceed nin ({nin})")
        rows, pool = [], []
        for o in range(nout):
            if len(pool) < nto:
                pool = [int(v) for v in randperm(nin).tolist()]
            chosen, pool = pool[:nto], pool[nto:]
            rows.extend([i, o] for i in chosen)
        return LongTensor(rows)


def connection_table(owner, connTable):
    arr = np.asarray(connTable.tolist() if hasattr(connTable, 'tolist') else connTable)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0 or arr.dtype.kind not in 'iuf' \
            or (arr != np.round(arr)).any() or (arr < 0).any():
        raise ValueError(f"{owner}: connTable must be an (nConnections, 2) table of 0-based [input, output] plane "
                         f"indices, got {arr.shape} {arr.dtype}")
    if arr[:, 1].min() != 0:
        # Torch7's tables are 1-based; ported literally, output plane 0 would silently stay bias-only
        raise ValueError(f"{owner}: connTable connects no input to output plane 0 (its output planes start at "
                         f"{arr[:, 1].min()}); legonn's tables are 0-based: subtract 1 from a Torch7 table")
    return LongTensor(arr.astype(np.int64))


class MapParameters:
    """Shared construction, Torch7's fan-in initialisation and the dense-kernel hooks (see Convolution2d) of the
    map convolutions: each connection's kernel is scattered into a dense kernel of the convolution it runs on,
    (out, in) planes, or (in, out) for a transposed (full) convolution."""

    positive_ints = ('kW', 'kH', 'dW', 'dH', 'nInputPlane', 'nOutputPlane')
    transposed_kernel = False   # the dense kernel is (in, out) planes: SpatialFullConvolutionMap

    def _table_planes(self, input):
        """``input`` narrowed to its first nInputPlane planes when it has more.

        THNN's SpatialConvolutionMap.c and SpatialFullConvolutionMap.c check only ``planes >= nInputPlane``:
        a table (``tables.random(nin, ...)``) that happens to use no connection from the last planes of an
        nin-plane input counts fewer planes than the input has, and the planes past it are read by nothing.
        """
        axis = input.dim() - 3 if hasattr(input, 'dim') and input.dim() in (3, 4) else None
        if axis is not None and input.size(axis) > self.nInputPlane:
            return input.narrow(axis, 0, self.nInputPlane), axis
        return input, None

    def updateOutput(self, input):
        return super().updateOutput(self._table_planes(input)[0])

    def updateGradInput(self, input, gradOutput):
        used, axis = self._table_planes(input)
        if axis is None or self.gradInput is None:
            return super().updateGradInput(input, gradOutput)
        gradInput = super().updateGradInput(used, gradOutput)
        part = gradInput.clone()
        # gradInput has the input's size, as THNN's resizeAs + zero: planes no connection reads get 0. Filled in
        # place: hessian.lua's updateDiagHessianInput hands its diagHessianInput in as gradInput and reads it back
        gradInput.resizeAs(input).zero()
        gradInput.narrow(axis, 0, self.nInputPlane).copy(part)
        return gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        return super().accGradParameters(self._table_planes(input)[0], gradOutput, scale)

    def parameterSizes(self):
        return {'connTable': (None, 2), 'weight': (self.connTable._size[0], self.kH, self.kW),
                'bias': (self.nOutputPlane,)}

    def _init_map(self, connTable, kW, kH, dW, dH):
        name = type(self).__name__
        self.checkHyper(kW=kW, kH=kH, dW=dW, dH=dH)
        self.connTable = connection_table(name, connTable)
        table = self.connTable.array
        self.nInputPlane = int(table[:, 0].max()) + 1
        self.nOutputPlane = int(table[:, 1].max()) + 1
        self.kW, self.kH, self.dW, self.dH = kW, kH, dW, dH
        n = table.shape[0]
        self.weight = self.output.new(n, kH, kW)
        self.gradWeight = self.output.new(n, kH, kW)
        self.bias = self.output.new(self.nOutputPlane)
        self.gradBias = self.output.new(self.nOutputPlane)
        self.reset()

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv]; by default stdv = 1/sqrt(kW*kH*fan-in of the output plane), per plane."""
        if stdv is not None:
            uniform_reset(stdv, None, self.weight, self.bias)   # a given stdv sets the bound: no fan-in
            return self
        table = np.asarray(self.connTable.tolist())
        fan_in = np.bincount(table[:, 1], minlength=self.nOutputPlane).astype(np.float64)
        bound = 1.0 / np.sqrt(self.kW * self.kH * np.maximum(fan_in, 1))
        xp = self.weight.xp
        self.weight.uniform(-1, 1)
        self.weight.array *= xp.asarray(bound[table[:, 1]].reshape(-1, 1, 1), dtype=self.weight.dtype)
        self.bias.uniform(-1, 1)
        self.bias.array *= xp.asarray(bound, dtype=self.bias.dtype)
        return self

    def _pairs(self):
        """Flat index of each connection in the dense (out, in) kernel, or (in, out) when transposed_kernel."""
        t = self.connTable.array
        if self.connTable.xp is not self.weight.xp:
            t = self.weight.xp.asarray(np.asarray(self.connTable.tolist()))
        if self.transposed_kernel:
            return t[:, 0] * self.nOutputPlane + t[:, 1]
        return t[:, 1] * self.nInputPlane + t[:, 0]

    def _planes(self):
        if self.transposed_kernel:
            return self.nInputPlane, self.nOutputPlane
        return self.nOutputPlane, self.nInputPlane

    def denseWeight(self):
        planes = self._planes()
        dense = self.weight.xp.zeros((planes[0] * planes[1], self.kH, self.kW), dtype=self.weight.dtype)
        scatter_add(dense, self._pairs(), self.weight.array)
        return dense.reshape(planes + (self.kH, self.kW))

    def accDenseGradients(self, addDenseGradients, scale):
        gw = self.weight.xp.zeros(self._planes() + (self.kH, self.kW), dtype=self.weight.dtype)
        addDenseGradients(gw, self.gradBias.array, scale)
        self.gradWeight.array += gw.reshape(-1, self.kH, self.kW)[self._pairs()]

    def __repr__(self):
        return (f"{lua_typename(self)}({self.nInputPlane} -> {self.nOutputPlane}, {self.kW}x{self.kH}, "
                f"{self.dW},{self.dH})")
