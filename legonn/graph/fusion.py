"""Fused element-wise regions of a gModule on the GPU: one CUDA kernel each way for a connected group of
element-wise nodes. An LSTM cell's gates (three Sigmoids, two Tanhs, three CMulTables and a CAddTable: nine
launches forward, a dozen back) become one launch each way.

Small recurrent models on a GPU are bound by kernel launches (each costs the host several microseconds
through CuPy), and nngraph cells are mostly element-wise nodes. A fused run leaves every node and module as
the node-by-node run does: each module's ``output`` and ``gradInput`` buffers, each node's ``input``,
``output``, ``gradOutput`` and ``gradInput``, and ``gradBuffer`` where gradients meet, are written, so
introspection and debugging see the same state.

What fuses (``fusible``): Elementwise modules with a CUDA twin (Sigmoid, Tanh, Threshold/ReLU), not in
place; CAddTable (not in place) and CMulTable of two or more input nodes. A region is a group of such nodes
connected through edges between them, of at least two nodes, and convex (no path leaves it and comes back),
so it runs as one step of the graph's schedule. It runs fused when its outside inputs and the gradients that
reach it are non-empty CUDA float tensors of one type and size and legonn's kernels are on
(``LEGONN_GENERIC_KERNELS``); otherwise its nodes run one by one. On the CPU the same regions run as one step
of the members' own array code (cpu_regions.py); ``LEGONN_NODE_BY_NODE=1`` turns regions off everywhere.
"""
import hashlib
import heapq

from ..modules.base.elementwise import Elementwise
from ..modules.base.module import _sizes
from ..modules.table_arithmetic import CAddTable, CMulTable
from ..tensor import Tensor, cuda_kernels
from . import fusion_code


def fusible(node):
    """Whether ``node``'s module can join a fused region (its class, in-place flag and number of inputs)."""
    module = node.module
    if module is None or node.nSplitOutputs is not None or getattr(module, 'inplace', False):
        return False
    if isinstance(module, Elementwise):   # a twin of one formula each way
        return len(node.inputs) == 1 and module.cuda_forward is not None and module.cuda_backward is not None and \
            fusion_code.twin_formula(module.cuda_forward, 'y') is not None and \
            fusion_code.twin_formula(module.cuda_backward, 'gi') is not None
    return type(module) in (CAddTable, CMulTable) and len(node.inputs) >= 2


# --- the regions and the schedule -------------------------------------------------------------------------

class Region:
    """A convex group of fusible nodes (``members``, in forward order) run as one step.

    ``outside``: the nodes outside it whose outputs it reads, in first-use order; ``sources[k]``: where member
    ``k``'s inputs come from, ``('v', m)`` for member ``m``'s output or ``('e', j)`` for ``outside[j]``'s;
    ``uses[k]``: the ``(member, slot)`` pairs that read member ``k``'s output."""

    def __init__(self, members):
        self.members = members
        self.types = tuple(type(n.module) for n in members)
        position = {id(n): k for k, n in enumerate(members)}
        self.outside, outside_index = [], {}
        self.sources = []
        for node in members:
            sources = []
            for parent in node.inputs:
                if id(parent) in position:
                    sources.append(('v', position[id(parent)]))
                else:
                    if id(parent) not in outside_index:
                        outside_index[id(parent)] = len(self.outside)
                        self.outside.append(parent)
                    sources.append(('e', outside_index[id(parent)]))
            self.sources.append(tuple(sources))
        self.uses = [[] for _ in members]
        for k, sources in enumerate(self.sources):
            for slot, (kind, m) in enumerate(sources):
                if kind == 'v':
                    self.uses[m].append((k, slot))
        self.programs = {}   # 'forward', or the backward's gradient counts -> fusion_code.Program
        self.cpu_kinds = None   # how each member runs on the CPU (cpu_regions), made on first use there
        self.sum_orders = [None] * len(members)   # per member, sum_orders' entry
        # what the generated code depends on (cuda_params are class attributes, and so fixed per type)
        self.signature = (tuple((t.__name__, t.cuda_forward, t.cuda_backward, tuple(t.cuda_params))
                                if issubclass(t, Elementwise) else t.__name__ for t in self.types),
                          tuple(self.sources), len(self.outside))


def _components(order):
    """Groups of fusible nodes connected through edges between fusible nodes, each in forward order."""
    root = {id(n): id(n) for n in order if fusible(n)}

    def find(i):
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i
    for node in order:
        if id(node) in root:
            for parent in node.inputs:
                if id(parent) in root:
                    root[find(id(node))] = find(id(parent))
    groups = {}
    for node in order:
        if id(node) in root:
            groups.setdefault(find(id(node)), []).append(node)
    return [g for g in groups.values() if len(g) >= 2]


def _convex(group):
    """No path from the group through a node outside it back into the group."""
    inside = {id(n) for n in group}
    stack = [c for n in group for c in n.consumers if id(c) not in inside]
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for c in node.consumers:
            if id(c) in inside:
                return False
            stack.append(c)
    return True


def plan(order):
    """(schedule, regions, sum_orders): the forward order with each region as one step (a topological order of
    the graph with regions contracted, as close to ``order`` as it allows), or None when nothing fuses."""
    regions = [Region(g) for g in _components(order) if _convex(g)]
    if not regions:
        return None
    step_of = {}
    for node in order:
        step_of[id(node)] = node
    for region in regions:
        for node in region.members:
            step_of[id(node)] = region
    rank = {id(n): i for i, n in enumerate(order)}
    steps = list({id(s): s for s in step_of.values()}.values())
    first = {id(s): min(rank[id(n)] for n in (s.members if isinstance(s, Region) else [s])) for s in steps}
    needs = {id(s): set() for s in steps}
    for node in order:
        for parent in node.inputs:
            a, b = step_of.get(id(parent)), step_of[id(node)]
            if a is not None and a is not b:
                needs[id(b)].add(id(a))
    waiting = {k: len(v) for k, v in needs.items()}
    feeds = {id(s): [] for s in steps}
    for k, v in needs.items():
        for a in v:
            feeds[a].append(k)
    by_id = {id(s): s for s in steps}
    ready = [(first[k], k) for k, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    schedule = []
    while ready:
        _, k = heapq.heappop(ready)
        schedule.append(by_id[k])
        for c in feeds[k]:
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, (first[c], c))
    orders = sum_orders(order, schedule)
    for region in regions:
        region.sum_orders = [orders.get(id(n)) for n in region.members]
    return schedule, regions, orders


def sum_orders(order, schedule):
    """{id(node): positions} for each node whose gradients reach it in another order when the schedule runs than
    in the node-by-node sweep: the positions, among the gradients from the nodes it feeds (after a graph
    output's own, which comes first either way), of that sweep's order, so that a run with regions sums them in
    it, bit for bit (three or more terms: float sums depend on their order).

    The sweep appends a node's gradients as its consumers run, in reverse forward order; the schedule runs its
    steps in reverse, a region's members in reverse; each consumer appends in the order of its inputs."""
    rank = {id(n): i for i, n in enumerate(order)}
    arrival = {}
    for position, step in enumerate(schedule):
        if isinstance(step, Region):
            arrival.update((id(n), (-position, -k)) for k, n in enumerate(step.members))
        else:
            arrival[id(step)] = (-position, 0)
    uses = {id(n): [] for n in order}
    for consumer in order:
        for slot, parent in enumerate(consumer.inputs):
            uses[id(parent)].append((consumer, slot))
    orders = {}
    for node in order:
        if node.nSplitOutputs is not None or len(uses[id(node)]) < 2:   # a split's gradients go by index
            continue
        swept = sorted(uses[id(node)], key=lambda u: (-rank[id(u[0])], u[1]))
        arrived = [(id(c), slot) for c, slot in sorted(uses[id(node)], key=lambda u: (arrival[id(u[0])], u[1]))]
        positions = tuple(arrived.index((id(c), slot)) for c, slot in swept)
        if positions != tuple(range(len(positions))):
            orders[id(node)] = positions
    return orders


# --- running a region ---------------------------------------------------------------------------------------

_made = {}   # (signature, direction, the program's inputs) -> ElementwiseKernel


def _cuda_kernel(region, which, program):
    key = (region.signature, which, program.inputs)
    if key not in _made:
        ins, outs, body = fusion_code.cuda_source(program)
        name = f'fused_{which}_' + hashlib.sha1(repr((ins, outs, body)).encode()).hexdigest()[:16]
        _made[key] = cuda_kernels.elementwise(name, ins, outs, body)
    return _made[key]


def _launch(region, which, program, tensors, scalars, outs):
    """Run ``program`` on the input ``tensors``, the ``scalars`` and the output tensors ``outs`` (each by name)."""
    _cuda_kernel(region, which, program)(*[tensors[n].array for n in program.inputs],
                                         *[scalars[n] for n in program.scalars],
                                         *[outs[o].array for o, _ in program.outputs])


def _alike(t, ref):
    return type(t) is type(ref) and t._size == ref._size


def _scalars(region, dtype):
    return {f's{k}_{p}': dtype.type(getattr(n.module, p)) for k, (n, t) in enumerate(zip(region.members, region.types))
            if issubclass(t, Elementwise) for p in t.cuda_params}


def members_as_planned(region):
    """Whether every member is still a module of the class the region was planned with, not in place, and with
    neither updateOutput nor updateGradInput shadowed on the instance (tools.instance_hooks: optimizeMemory's
    tracer, the NaN watch, a user's patch expect them called): else the region runs node by node."""
    for node, cls in zip(region.members, region.types):   # a loop, not all(...): this runs every step
        module = node.module
        own = module.__dict__
        if type(module) is not cls or getattr(module, 'inplace', False) or 'updateOutput' in own or \
                'updateGradInput' in own:
            return False
    return True


def _runnable(ref, region):
    """Whether a region runs fused on tensors like ``ref``: non-empty CUDA floats the kernels take, members
    as planned."""
    return isinstance(ref, Tensor) and ref._cuda and 0 not in ref._size and cuda_kernels.takes(ref.array) and \
        members_as_planned(region)


def forward(region):
    """Run ``region``'s forward as one kernel and fill the nodes' and modules' state; False (nothing done) when
    the region does not fuse for these inputs."""
    values = [n.output for n in region.outside]
    ref = values[0]
    if not (_runnable(ref, region) and all(_alike(v, ref) for v in values[1:])):
        return False
    outs = {}
    for k, node in enumerate(region.members):
        parents = node.inputs
        x = parents[0].output if len(parents) == 1 else [p.output for p in parents]
        node.input = x
        module = node.module
        module.bufferLike('output', ref)
        outs[f'o{k}'] = node.output = module.output
        module._forward_sizes = _sizes(x)   # as the recording forward wrapper keeps them
        module._forward_output_sizes = _sizes(module.output)
    _launch(region, 'forward', _forward_program(region), {f'e{j}': v for j, v in enumerate(values)},
            _scalars(region, ref._dtype), outs)
    return True


def backward(region):
    """Run ``region``'s backward as one kernel (after every node outside it that its outputs feed) and fill the
    nodes' and modules' state, handing gradients on to the nodes outside; False (nothing done) when the region
    does not fuse for these gradients."""
    members = region.members
    ref = members[0].module.output
    counts = tuple(len(n.grads) for n in members)
    inputs = [n.output for n in region.outside]
    if not (_runnable(ref, region) and all(_alike(g, ref) for n in members for g in n.grads) and
            all(_alike(t, ref) for t in inputs) and all(_alike(n.module.output, ref) for n in members)):
        return False
    meets = [counts[k] + len(region.uses[k]) > 1 for k in range(len(members))]   # several gradients: a gradBuffer
    outs = {}
    for k, node in enumerate(members):
        module = node.module
        if isinstance(module, Elementwise):
            module.bufferLike('gradInput', node.input)
            outs[f'd{k}_0'] = module.gradInput
        else:
            module._grad_slots(node.input)
            outs.update((f'd{k}_{slot}', t) for slot, t in enumerate(module.gradInput))
        if meets[k]:
            if type(node.gradBuffer) is not type(ref):
                node.gradBuffer = ref.new()
            outs[f'b{k}'] = node.gradBuffer.resizeAs(ref)
    tensors = {f'e{j}': t for j, t in enumerate(inputs)}
    tensors.update({f'y{k}': n.module.output for k, n in enumerate(members)})
    tensors.update({f'c{k}_{i}': g for k, n in enumerate(members) for i, g in enumerate(n.grads)})
    _launch(region, 'backward', _backward_program(region, counts), tensors, _scalars(region, ref._dtype), outs)
    for k in reversed(range(len(members))):   # in the node-by-node sweep's order
        node = members[k]
        gi = node.gradInput = node.module.gradInput
        if meets[k]:
            node.gradOutput = node.gradBuffer
        elif counts[k]:
            node.gradOutput = node.grads[0]
        else:
            m, slot = region.uses[k][0]
            user = members[m].module.gradInput
            node.gradOutput = user if isinstance(user, Tensor) else user[slot]
        pieces = [gi] if isinstance(gi, Tensor) else gi
        for (kind, _), parent, g in zip(region.sources[k], node.inputs, pieces):
            if kind == 'e':
                parent.grads.append(g)
    return True


def _forward_program(region):
    program = region.programs.get('forward')
    if program is None:
        program = region.programs['forward'] = fusion_code.forward_program(region)
    return program


def _backward_program(region, counts):
    program = region.programs.get(counts)
    if program is None:
        program = region.programs[counts] = fusion_code.backward_program(region, counts)
    return program
