"""A gModule's element-wise regions (``fusion.Region``: an LSTM cell's gates, a GRU's) run as one step on the
CPU.

Node by node, each element-wise node of a small recurrent cell costs more in legonn's machinery than in
NumPy: the contract wrappers, checkContract, the recording forward, the table modules' and Elementwise's own
checks, the node bookkeeping. A region checks once what those checks would find for all its members (its
outside inputs, or on the way back its members' inputs, outputs and the gradients reaching it, are CPU
tensors of one floating type and size, non-empty; its members are the modules it was planned with, not in
place, on the CPU, not hooked), then runs each member's own array code in the node-by-node order into the
module's own buffers: Elementwise's ``_forward`` and ``_array_backward``, the table modules' ``fold_into``
(sums and products), CAddTable's copies of the gradient and CMulTable's ``product_gradients``; gradients that
meet are summed in the node-by-node sweep's order (``fusion.sum_orders``). So the results are bitwise those
of the node-by-node run, and every module's ``output``/``gradInput`` and ``_forward_sizes``/
``_forward_output_sizes``, every node's ``input``, ``output``, ``gradOutput``, ``gradInput``, ``grads`` and
(where gradients meet) ``gradBuffer``, and the gradients handed to the nodes outside are written as that run
writes them. A region whose inputs or members do not qualify runs node by node.
"""
from ..modules.base.elementwise import Elementwise
from ..modules.base.table_buffers import copy_pieces
from ..modules.table_arithmetic import CAddTable, CMulTable, fold_into
from ..tensor import Tensor
from .fusion import members_as_planned
from .node import gradient_met

# how a member's array code runs: an Elementwise module's, a sum's or a product's
_ELEMENTWISE, _SUM, _PRODUCT = 'elementwise', 'sum', 'product'


def _kind(cls):
    """How a member of class ``cls`` runs; None for an Elementwise class that changes what Elementwise's
    updateOutput or updateGradInput do (its array code is then not the whole of its work)."""
    if cls is CAddTable or cls is CMulTable:
        return _SUM if cls is CAddTable else _PRODUCT
    if cls.updateOutput is Elementwise.updateOutput and cls.updateGradInput is Elementwise.updateGradInput:
        return _ELEMENTWISE
    return None


def _kinds(region):
    """The members' kinds (made on first use), or None when one has none: the region then runs node by node."""
    if region.cpu_kinds is None:
        kinds = tuple(_kind(cls) for cls in region.types)
        region.cpu_kinds = kinds if None not in kinds else ()
    return region.cpu_kinds or None


def _runnable(ref, region):
    """Whether the region runs as one step on tensors like ``ref``: a non-empty CPU float tensor, the members
    as planned (fusion.members_as_planned) and on the CPU (checkContract's device check)."""
    if not (isinstance(ref, Tensor) and not ref._cuda and ref._dtype.kind == 'f' and 0 not in ref._size):
        return False
    for node in region.members:
        if node.module._type.startswith('legonn.Cuda'):
            return False
    return members_as_planned(region)


def forward(region):
    """Run ``region``'s forward as one step and fill the nodes' and modules' state; False (nothing done) when
    the region does not run so on these inputs."""
    kinds = _kinds(region)
    ref = region.outside[0].output
    if kinds is None or not _runnable(ref, region):
        return False
    cls, size = type(ref), ref._size
    for node in region.outside:
        value = node.output
        if type(value) is not cls or value._size != size:
            return False
    xp = ref.xp
    for node, kind in zip(region.members, kinds):
        module = node.module
        if kind is _ELEMENTWISE:
            x = node.input = node.inputs[0].output
            module._forward(x.array, module.bufferLike('output', x), xp)
            module._forward_sizes = (x._typename, x._size)
        else:
            x = node.input = [p.output for p in node.inputs]
            fold_into(xp.add if kind is _SUM else xp.multiply, [t.array for t in x], module.bufferLike('output', x[0]))
            module._forward_sizes = [(t._typename, t._size) for t in x]
        y = node.output = module.output
        module._forward_output_sizes = (y._typename, y._size)
    return True


def _backward_runnable(region, kinds, ref):
    """The backward's checks: every member's input, output and the gradients that reached it like ``ref``."""
    if kinds is None or not _runnable(ref, region):
        return False
    cls, size = type(ref), ref._size
    for node, kind in zip(region.members, kinds):
        x = node.input
        if kind is _ELEMENTWISE:
            x = (x,)
        elif type(x) is not list or len(x) != len(node.inputs):
            return False
        for t in (node.module.output, *node.grads, *x):
            if type(t) is not cls or t._size != size:
                return False
    return True


def backward(region):
    """Run ``region``'s backward as one step (after every node outside it that its outputs feed) and fill the
    nodes' and modules' state, handing gradients on to the nodes outside; False (nothing done) when the region
    does not run so on these gradients."""
    kinds = _kinds(region)
    members = region.members
    ref = members[0].module.output
    if not _backward_runnable(region, kinds, ref):
        return False
    xp = ref.xp
    for k in range(len(members) - 1, -1, -1):   # the node-by-node sweep's order, and so its sums
        node, kind = members[k], kinds[k]
        grads = node.grads
        node.gradOutput = go = grads[0] if len(grads) == 1 else gradient_met(node, region.sum_orders[k])
        module, x = node.module, node.input
        if kind is _ELEMENTWISE:
            module._array_backward(x, go, module.bufferLike('gradInput', x))
            node.gradInput = gi = module.gradInput
            node.inputs[0].grads.append(gi)
            continue
        slots = module._grad_slots(x)
        if kind is _SUM:
            copy_pieces([go.array] * len(slots), slots)
        else:
            CMulTable.product_gradients(xp, go.array, [t.array for t in x], slots)
        node.gradInput = gi = module.gradInput
        for parent, g in zip(node.inputs, gi):
            parent.grads.append(g)
    return True
