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
(``LEGONN_GENERIC_KERNELS``); otherwise its nodes run one by one, as always on the CPU.
"""
import hashlib
import heapq
import re

from ..modules.base.elementwise import Elementwise
from ..modules.base.module import _sizes
from ..modules.table_arithmetic import CAddTable, CMulTable
from ..tensor import Tensor, cuda_kernels


def fusible(node):
    """Whether ``node``'s module can join a fused region (its class, in-place flag and number of inputs)."""
    module = node.module
    if module is None or node.nSplitOutputs is not None or getattr(module, 'inplace', False):
        return False
    if isinstance(module, Elementwise):
        return len(node.inputs) == 1 and module.cuda_forward is not None and module.cuda_backward is not None
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
    """(schedule, regions): the forward order with each region as one step (a topological order of the
    graph with regions contracted, as close to ``order`` as it allows), or None when nothing fuses."""
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
    return schedule, regions


# --- the kernels ------------------------------------------------------------------------------------------

def _operand(source):
    kind, i = source
    return f'v{i}' if kind == 'v' else f'e{i}'


def _scalars(region):
    """The kernel's scalar parameters: each Elementwise member's ``cuda_params``, as ``s<k>_<name>``."""
    return [f's{k}_{p}' for k, t in enumerate(region.types) if issubclass(t, Elementwise) for p in t.cuda_params]


def _twin(cls, k, body, names):
    """A block running the twin ``body`` of member ``k`` with ``names`` (name -> expression) and its parameters
    (``s<k>_<param>``) bound, only those the body reads (the compilers warn of unused locals)."""
    names = dict(names, **{p: f's{k}_{p}' for p in cls.cuda_params})
    binds = ''.join(f'const T {name} = {value}; ' for name, value in names.items() if re.search(rf'\b{name}\b', body))
    return f'{{ {binds}{body}; '


def forward_source(region):
    """(in_params, out_params, body) of the region's forward ElementwiseKernel: outside inputs ``e<j>``,
    scalars, and every member's output ``o<k>``."""
    lines = []
    for k, (cls, sources) in enumerate(zip(region.types, region.sources)):
        operands = [_operand(s) for s in sources]
        if issubclass(cls, Elementwise):
            lines.append(f'T v{k}; {{ T y; ' + _twin(cls, k, cls.cuda_forward, {'x': operands[0]}) + f'v{k} = y; }} }}')
        else:
            lines.append(f'const T v{k} = {(" + " if cls is CAddTable else " * ").join(operands)};')
        lines.append(f'o{k} = v{k};')
    ins = [f'T e{j}' for j in range(len(region.outside))] + [f'T {s}' for s in _scalars(region)]
    outs = [f'T o{k}' for k in range(len(region.members))]
    return ', '.join(ins), ', '.join(outs), '\n'.join(lines)


def backward_source(region, counts):
    """((in_params, out_params, body), outside, outputs) of the region's backward ElementwiseKernel, for
    ``counts[k]`` gradients reaching member ``k`` from outside the region. Its inputs are the outside inputs
    ``e<j>`` for j in ``outside`` and the members' outputs ``y<k>`` for k in ``outputs`` (those the gradients
    read), the gradients ``c<k>_<i>`` and the scalars; its outputs each member's gradInput entries
    ``d<k>_<slot>`` and, where several gradients meet, its gradBuffer ``b<k>``."""
    lines = []
    for k in reversed(range(len(region.members))):
        cls, sources = region.types[k], region.sources[k]
        terms = [f'c{k}_{i}' for i in range(counts[k])] + [f'g{m}_{slot}' for m, slot in region.uses[k]]
        lines.append(f'const T g{k} = {" + ".join(terms)};')
        if len(terms) > 1:
            lines.append(f'b{k} = g{k};')
        operands = [_operand(s) for s in sources]
        if issubclass(cls, Elementwise):
            lines.append(f'T g{k}_0; {{ T gi; ' + _twin(cls, k, cls.cuda_backward,
                                                       {'x': operands[0], 'y': f'v{k}', 'go': f'g{k}'}) +
                         f'g{k}_0 = gi; }} }}')
        else:
            for slot in range(len(sources)):
                others = [o for i, o in enumerate(operands) if i != slot]
                value = f'g{k}' if cls is CAddTable else ' * '.join([f'g{k}'] + others)
                lines.append(f'const T g{k}_{slot} = {value};')
        lines.extend(f'd{k}_{slot} = g{k}_{slot};' for slot in range(len(sources)))
    body = '\n'.join(lines)
    outside = [j for j in range(len(region.outside)) if re.search(rf'\be{j}\b', body)]
    outputs = [k for k in range(len(region.members)) if re.search(rf'\bv{k}\b', body)]
    ins = ([f'T e{j}' for j in outside] + [f'T y{k}' for k in outputs] +
           [f'T c{k}_{i}' for k in range(len(region.members)) for i in range(counts[k])] +
           [f'T {s}' for s in _scalars(region)])
    outs = [f'T d{k}_{slot}' for k, sources in enumerate(region.sources) for slot in range(len(sources))]
    outs += [f'T b{k}' for k in range(len(region.members)) if counts[k] + len(region.uses[k]) > 1]
    body = '\n'.join([f'const T v{k} = y{k};' for k in outputs] + [body])
    return (', '.join(ins), ', '.join(outs), body), outside, outputs


def _kernel(which, source):
    """The ElementwiseKernel of ``source`` (built once per source text)."""
    name = f'fused_{which}_' + hashlib.sha1(repr(source).encode()).hexdigest()[:16]
    return cuda_kernels.elementwise(name, *source)


_kernels = {}


def _forward_kernel(region):
    key = (region.signature, 'forward')
    kernel = _kernels.get(key)
    if kernel is None:
        kernel = _kernels[key] = _kernel('forward', forward_source(region))
    return kernel


def _backward_kernel(region, counts):
    """(kernel, outside inputs read, member outputs read), as backward_source says."""
    key = (region.signature, 'backward', counts)
    made = _kernels.get(key)
    if made is None:
        source, outside, outputs = backward_source(region, counts)
        made = _kernels[key] = (_kernel('backward', source), outside, outputs)
    return made


# --- running a region ---------------------------------------------------------------------------------------

def _alike(t, ref):
    return type(t) is type(ref) and t._size == ref._size


def _scalar_values(region, dtype):
    return [dtype.type(getattr(n.module, p)) for n, t in zip(region.members, region.types)
            if issubclass(t, Elementwise) for p in t.cuda_params]


def _members_unchanged(region):
    """The members' modules are still of the classes the code was made for, and fusible."""
    return all(type(n.module) is t and not getattr(n.module, 'inplace', False)
               for n, t in zip(region.members, region.types))


def forward(region):
    """Run ``region``'s forward as one kernel and fill the nodes' and modules' state; False (nothing done) when
    the region does not fuse for these inputs."""
    values = [n.output for n in region.outside]
    ref = values[0]
    if not (isinstance(ref, Tensor) and ref._cuda and 0 not in ref._size and cuda_kernels.takes(ref.array) and
            all(_alike(v, ref) for v in values[1:]) and _members_unchanged(region)):
        return False
    outs = []
    for node in region.members:
        parents = node.inputs
        x = parents[0].output if len(parents) == 1 else [p.output for p in parents]
        node.input = x
        module = node.module
        outs.append(module.bufferLike('output', ref))
        module._forward_sizes = _sizes(x)   # as the recording forward wrapper keeps it
        node.output = module.output
    kernel = _forward_kernel(region)
    kernel(*[v.array for v in values], *_scalar_values(region, ref._dtype), *outs)
    return True


def backward(region):
    """Run ``region``'s backward as one kernel (after every node outside it that its outputs feed) and fill the
    nodes' and modules' state, handing gradients on to the nodes outside; False (nothing done) when the region
    does not fuse for these gradients."""
    members = region.members
    ref = members[0].module.output
    counts = tuple(len(n.grads) for n in members)
    grads = [g for n in members for g in n.grads]
    inputs = [n.output for n in region.outside]
    if not (isinstance(ref, Tensor) and ref._cuda and 0 not in ref._size and cuda_kernels.takes(ref.array) and
            _members_unchanged(region) and all(_alike(t, ref) for t in grads + inputs) and
            all(_alike(n.module.output, ref) for n in members)):
        return False
    slots = []
    for node in members:
        module = node.module
        if isinstance(module, Elementwise):
            slots.append(module.bufferLike('gradInput', node.input))
        else:
            slots.extend(module._grad_slots(node.input))
    buffers = []
    for k, node in enumerate(members):
        if counts[k] + len(region.uses[k]) > 1:
            if type(node.gradBuffer) is not type(ref):
                node.gradBuffer = ref.new()
            buffers.append(node.gradBuffer.resizeAs(ref).array)
    kernel, outside, outputs = _backward_kernel(region, counts)
    kernel(*[inputs[j].array for j in outside], *[members[k].module.output.array for k in outputs],
           *[g.array for g in grads], *_scalar_values(region, ref._dtype), *slots, *buffers)
    for k in reversed(range(len(members))):   # in the node-by-node sweep's order
        node = members[k]
        gi = node.gradInput = node.module.gradInput
        if counts[k] + len(region.uses[k]) > 1:
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
