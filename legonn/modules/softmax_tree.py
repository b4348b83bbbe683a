"""SoftMaxTree: nnx's hierarchical softmax, the log-probability of each target along its path in a tree of
softmaxes (nnx's SoftMaxTree.lua and generic/SoftMaxTree.c)."""
import numpy as np

from ..tensor import TENSOR_CLASSES, Tensor
from ..tensor.backend import to_module
from ..tensor.scatter_kernels import scatter_add
from ..tensor.special import exp_minus_approx
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.initialisation import uniform_reset
from .base.module import Module
from .base.table_buffers import slot, trim


def _children(owner, parent, ids):
    """``ids`` (a 1-D tensor, array, list or tuple of node ids) as a list of ints, checked."""
    if isinstance(ids, Tensor):
        ids = ids.numpy()
    arr = np.asarray(ids)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in 'iuf' or (arr != np.round(arr)).any():
        raise ValueError(f"{owner}: hierarchy[{parent}] must be a non-empty 1-D tensor of node ids, got {ids!r}")
    return [int(v) for v in arr]


class SoftMaxTree(Module):
    """``SoftMaxTree(inputSize, hierarchy, rootId=0)``: input ``{input, target}``, input ``(batch,
    inputSize)``, target ``(batch,)`` node ids (0-based, like every index in legonn); output ``(batch,)``, the
    log-probability of each target: the sum, over the parents on its path up to ``rootId``, of the child's
    entry in the log-softmax of ``W_p x + b_p`` over that parent's children.

    ``hierarchy`` maps each parent id to a 1-D tensor (or list) of its children's ids (a tree: one parent per
    child, every parent reaching the root). ``weight`` ``(nChildNode, inputSize)`` and ``bias`` hold each
    parent's children's rows, parents in ascending id order (Lua's ``pairs`` order for an array of ids),
    children as listed; ``parentChildren[p] = (first row, nChildren)`` and ``childParent[c] = (parent,
    index among its siblings)``, 0-based, -1 where unused. As nnx's C, the log-sum-exp adds Torch7's
    approximate exponential (THExpMinusApprox) in double precision, while the gradients use the exact one.

    ``gradInput`` is ``{d input, zeros like target}``; accGradParameters adds into the path's rows of
    ``gradWeight``/``gradBias`` and records in ``updates`` (parent id -> sum of scales) the parents it
    touched, cleared by zeroGradParameters. Unlike the Lua file, ``parameters()`` always returns the whole
    ``{weight, bias}`` (getParameters needs the dense tensors); nnx's ``accUpdate`` and ``static`` options
    are not built."""

    input_kind = 'table'
    input_dtypes = 'any'   # the target holds node ids: checked in _parts
    positive_ints = ('inputSize',)
    nonnegative_ints = ('rootId',)

    def parameterSizes(self):
        return {'weight': (self.nChildNode, self.inputSize), 'bias': (self.nChildNode,)}

    def __init__(self, inputSize, hierarchy, rootId=0):
        super().__init__()
        self.checkHyper(inputSize=inputSize, rootId=rootId)
        if not isinstance(hierarchy, dict) or not hierarchy:
            raise ValueError(f"SoftMaxTree: hierarchy must be a non-empty dict of parent id -> child ids, got "
                             f"{type(hierarchy).__name__}")
        families = {}
        for parent in sorted(hierarchy):
            if isinstance(parent, bool) or not isinstance(parent, int) or parent < 0:
                raise ValueError(f"SoftMaxTree: parent ids must be non-negative integers, got {parent!r}")
            families[parent] = _children('SoftMaxTree', parent, hierarchy[parent])
        ids = [c for kids in families.values() for c in kids]
        if min(ids) < 0:
            raise ValueError(f"SoftMaxTree: node ids must be non-negative, got {min(ids)}")
        if len(set(ids)) != len(ids):
            raise ValueError("SoftMaxTree: a node is the child of two parents (the hierarchy must be a tree)")
        if rootId not in families:
            raise ValueError(f"SoftMaxTree: the root {rootId} has no children in the hierarchy")
        self.inputSize, self.rootId = inputSize, rootId
        self.nChildNode, self.nParentNode = len(ids), len(families)
        self.maxParentId, self.maxChildId = max(families), max(ids)
        self.maxFamily = max(len(kids) for kids in families.values())
        parentChildren = np.full((self.maxParentId + 1, 2), -1, dtype=np.int32)
        childParent = np.full((self.maxChildId + 1, 2), -1, dtype=np.int32)
        start = 0
        for parent, kids in families.items():
            parentChildren[parent] = (start, len(kids))
            for i, child in enumerate(kids):
                childParent[child] = (parent, i)
            start += len(kids)
        self.maxDept = max(self._depth(childParent, p) for p in families)
        self.parentIds = TENSOR_CLASSES['IntTensor'](list(families))
        self.childIds = TENSOR_CLASSES['IntTensor'](ids)
        self.parentChildren = TENSOR_CLASSES['IntTensor'](parentChildren)
        self.childParent = TENSOR_CLASSES['IntTensor'](childParent)
        self.weight = self.output.new(self.nChildNode, inputSize)
        self.gradWeight = self.output.new(self.nChildNode, inputSize).zero()
        self.bias = self.output.new(self.nChildNode)
        self.gradBias = self.output.new(self.nChildNode).zero()
        self.updates = {}
        self.gradInput = [self.output.new(), TENSOR_CLASSES['IntTensor']()]
        self.reset()

    def _depth(self, childParent, parent):
        """Parents on the path from ``parent`` up to the root, ``parent`` and the root included."""
        depth, node = 1, parent
        while node != self.rootId:
            if node > self.maxChildId or childParent[node, 0] < 0:
                raise ValueError(f"SoftMaxTree: node {node} has no parent and is not the root {self.rootId}")
            node = int(childParent[node, 0])
            depth += 1
            if depth > len(childParent) + 1:
                raise ValueError(f"SoftMaxTree: the hierarchy has a cycle through node {parent}")
        return depth

    def reset(self, stdv=None):
        """Weight, then bias, uniform in [-b, b], b = 1/sqrt(nChildNode * inputSize) (nnx's rule) or sqrt(3)*stdv."""
        uniform_reset(stdv, self.nChildNode * self.inputSize, self.weight, self.bias)
        return self

    # --- paths ---------------------------------------------------------------------------------------------
    def _parts(self, inputTable):
        """(input, target) of ``inputTable``, their types and sizes checked."""
        self.checkTable(inputTable, length=2)
        input, target = inputTable
        self.checkTensor(input, (2,), 'input[0]', floating=True)
        self.checkSameType(input, self.weight, 'input[0]')
        if input.size(1) != self.inputSize:
            raise input_error(self, f"input[0] of {self.inputSize} columns", f"size {tuple(input.size())}")
        self.checkTensor(target, (1,), 'input[1] (the targets)')
        if target.dtype.kind not in 'iu':
            raise input_error(self, "an integer target tensor (node ids)", target.type(), TypeError)
        if target.size(0) != input.size(0):
            raise input_error(self, f"{input.size(0)} targets (one per row of input[0])", target.size(0))
        return input, target

    def _targetIds(self, target):
        """The target ids as an int64 array on the weight's device, checked to be children in the tree."""
        xp = self.weight.xp
        idx = self.checkIndices(target, self.maxChildId + 1, 'ids', xp)
        if idx.size and bool((to_module(self.childParent.array, xp)[idx, 0] < 0).any()):
            raise input_error(self, "targets that are children in the tree", "a node without a parent", IndexError)
        return idx

    def _paths(self, input, target):
        """(parents, sibling indices, active), each (batch, maxDept), kept in buffers for the backward of this
        forward: the path from each target up to the root, padded with inactive steps (parent = the root,
        index 0)."""
        xp = self.weight.xp
        childParent = to_module(self.childParent.array, xp).astype('int64')
        shape = (target.shape[0], self.maxDept)
        parents = self.bufferLike('_pathParents', input, shape, 'Long')
        index = self.bufferLike('_pathIndex', input, shape, 'Long')
        active = self.bufferLike('_pathActive', input, shape, 'Byte')
        node, going = target, xp.ones(shape[0], dtype=bool)
        for d in range(self.maxDept):
            parent = childParent[node, 0]
            parents[:, d] = xp.where(going, parent, self.rootId)
            index[:, d] = xp.where(going, childParent[node, 1], 0)
            active[:, d] = going
            going = going & (parent != self.rootId)
            node = xp.where(going, parent, 0)
        return parents, index, active.view(bool)

    def _rows(self, parents):
        """(rows of weight of each step's children, (batch, maxDept, maxFamily), clipped; which are real)."""
        xp = self.weight.xp
        parentChildren = to_module(self.parentChildren.array, xp).astype('int64')
        first, count = parentChildren[parents, 0], parentChildren[parents, 1]
        k = xp.arange(self.maxFamily)
        rows = first[..., None] + k
        return xp.minimum(rows, self.nChildNode - 1), k < count[..., None]

    def updateOutput(self, inputTable):
        input, target = self._parts(inputTable)
        xp, x = input.xp, input.array
        parents, index, active = self._paths(input, self._targetIds(target))
        rows, real = self._rows(parents)
        logits = xp.einsum('bdkj,bj->bdk', self.weight.array[rows], x) + self.bias.array[rows]
        top = xp.where(real, logits, -xp.inf).max(axis=2, keepdims=True)
        total = xp.where(real, exp_minus_approx(top - logits, xp), 0.0).sum(axis=2, keepdims=True)
        # nnx keeps each step's log-softmax (in the tensor's type) for the backward pass
        logsoft = self.bufferLike('_multiBuffer', input, logits.shape)
        logsoft[...] = logits - (top + xp.log(total))
        picked = xp.take_along_axis(logsoft, index[..., None], axis=2)[..., 0].astype('float64')
        out = self.bufferLike('output', input, (x.shape[0],))
        out[...] = xp.where(active, picked, 0.0).sum(axis=1)
        return self.output

    def _linearGrads(self, inputTable, gradOutput):
        """(input, parents, active, rows, gradient of each step's linear outputs (batch, maxDept, maxFamily)):
        -exp(logsoftmax) * g, plus g at the target's child, as nnx's C writes into its buffer. The paths and
        log-softmax are those the last forward kept (backward takes forward's input, as everywhere in nn)."""
        input, _ = self._parts(inputTable)
        self.checkTensor(gradOutput, (1,), 'gradOutput', floating=True)
        self.checkSameType(gradOutput, self.weight, 'gradOutput')
        self.checkSize(gradOutput, (input.size(0),), 'gradOutput')
        logsoft = self.__dict__.get('_multiBuffer')
        if logsoft is None or logsoft.size(0) != input.size(0):
            raise input_error(self, "a forward on this input before backward", "none")
        xp = input.xp
        parents, index = self._pathParents.array, self._pathIndex.array
        active = self._pathActive.array.view(bool)
        rows, real = self._rows(parents)
        g = gradOutput.array[:, None, None]
        grads = -xp.exp(logsoft.array) * g
        grads += (xp.arange(self.maxFamily) == index[..., None]) * g
        # a select, not a product with the 0/1 mask: the padding slots read rows of parents off the path
        # (clipped), whose inf or NaN weights nnx's C never reads, and 0 * inf would be NaN
        on_path = real & active[..., None]
        grads = xp.where(on_path, grads, 0)
        return input, parents, on_path, rows, grads

    def updateGradInput(self, inputTable, gradOutput):
        input, _, on_path, rows, grads = self._linearGrads(inputTable, gradOutput)
        xp = input.xp
        # the padding slots' rows count as zeros (their weights, maybe inf or NaN, are not nnx's to read)
        weights = xp.where(on_path[..., None], self.weight.array[rows], 0)
        slot(self, 'gradInput', 0, input).array[...] = xp.einsum('bdk,bdkj->bj', grads, weights)
        slot(self, 'gradInput', 1, inputTable[1]).zero()
        trim(self, 'gradInput', 2)
        return self.gradInput

    def accGradParameters(self, inputTable, gradOutput, scale=1):
        input, parents, on_path, rows, grads = self._linearGrads(inputTable, gradOutput)
        x = input.array
        # only the slots on a path add to their rows: a padding slot's clipped row belongs to another parent,
        # which nnx's C leaves alone (0 * an inf in x would write NaN there)
        sample = on_path.nonzero()[0]
        picked = grads[on_path] * scale
        scatter_add(self.gradWeight.array, rows[on_path], picked[:, None] * x[sample])
        scatter_add(self.gradBias.array, rows[on_path], picked)
        # nnx's C adds the scale to updates[parent] at every step of every path
        active = on_path.any(axis=2)
        touched, counts = np.unique(to_module(parents, np)[to_module(active, np)], return_counts=True)
        for p, n in zip(touched.tolist(), counts.tolist()):
            self.updates[p] = self.updates.get(p, 0) + scale * n

    def getNodeParameters(self, parentId):
        """``([weight, bias], [gradWeight, gradBias])``: views of the rows of ``parentId``'s children."""
        if not (isinstance(parentId, int) and 0 <= parentId <= self.maxParentId) or \
                int(self.parentChildren[parentId, 1]) < 0:
            raise ValueError(f"SoftMaxTree: {parentId!r} is not a parent in the tree")
        first, count = (int(v) for v in self.parentChildren[parentId].numpy())
        return ([self.weight.narrow(0, first, count), self.bias.narrow(0, first, count)],
                [self.gradWeight.narrow(0, first, count), self.gradBias.narrow(0, first, count)])

    def zeroGradParameters(self):
        self.updates.clear()
        return super().zeroGradParameters()

    def clearState(self, *names):
        return super().clearState('_multiBuffer', '_pathParents', '_pathIndex', '_pathActive', *names)

    def __repr__(self):
        return f"{lua_typename(self)}({self.inputSize} -> {self.nChildNode} nodes, root {self.rootId})"
