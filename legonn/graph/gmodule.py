"""gModule: a module made of a graph of nodes (nngraph's ``nn.gModule``).

``gModule(inputs, outputs)`` runs the nodes the outputs depend on in
topological order; backward runs them in reverse, summing the gradients of a
node used more than once. One input or output is passed as itself, several as
a list (0-based, in the order given). Any node may carry a table.
"""
import os

from ..containers.container import Container
from ..modules.base.checks import tensor_leaves
from ..modules.base.contract_inputs import as_input_tree
from ..modules.base.errors import CAUGHT, add_path, input_error, name_error
from ..modules.base.module import Module
from ..tensor import Tensor, as_tensor_tree
from ..tensor import cuda_kernels
from ..tensor.conversion import convert_tree
from ..tensor.introspection import typename as lua_typename
from . import cpu_regions, debug, fusion
from .digraph import Graph, ancestors_in_order
from .node import Node, as_node_list, gradient_met

_NODE_STATE = ('input', 'output', 'gradOutput', 'gradInput', 'gradBuffer')


def _same_tensors(swept, gradOutput):
    """Whether ``gradOutput``'s tensors are, in order, the very tensors ``swept`` (the last sweep's). The tensors
    themselves are kept, not their ids: a gradOutput freed after updateGradInput can leave its id to the next."""
    leaves = tensor_leaves(gradOutput, [])
    return swept is not None and len(leaves) == len(swept) and all(a is b for a, b in zip(leaves, swept))


def _check_graph(inputs, outputs, order):
    """The checks nngraph makes at construction, each naming the node at fault and where it was made."""
    in_graph = {id(n) for n in order}
    input_ids = {id(n) for n in inputs}
    for i, node in enumerate(inputs):
        if id(node) not in in_graph:
            raise ValueError(f"input {i} ({node.where()}) is not used by any output")
        if node.inputs:
            raise ValueError(f"input {i} ({node.where()}) has inputs of its own; a gModule input must be "
                             f"made with module() and no argument")
    seen_modules = {}
    for node in order:
        if not node.inputs and id(node) not in input_ids:
            raise ValueError(f"{node.where()} has no inputs and is not among the gModule's inputs: the outputs "
                             f"must depend on the inputs alone")
        if node.nSplitOutputs is not None:
            used = sum(id(c) in in_graph for c in node.consumers)
            if used != node.nSplitOutputs:
                origin = node.annotations['_splitOf']
                raise ValueError(f"{node.nSplitOutputs - used} of split({node.nSplitOutputs}) outputs from "
                                 f"{origin.where()}, split at {node.siteText()}, are unused")
        for consumer in node.consumers:
            if id(consumer) not in in_graph:
                raise ValueError(f"{consumer.where()} does not connect to the gModule's outputs (it takes "
                                 f"{node.where()} as input)")
        if node.module is not None:
            other = seen_modules.setdefault(id(node.module), node)
            if other is not node:
                raise ValueError(f"{node.where()} and {other.where()} use the same module object; make one "
                                 f"node per module (share parameters with module.clone('weight', 'bias', "
                                 f"'gradWeight', 'gradBias'))")


def _zeros_where_missing(grad, output):
    """``grad`` with each None entry of a table, where ``output`` holds a tensor, replaced by zeros of its size:
    nngraph's backward drops a nil gradient (``table.insert(child.data.gradOutput, nil)`` adds nothing), so the
    node sums only the others. facebookarchive/SCRNNs' lstm.lua hands its encoder ``{gi_state_i.hid,
    gi_state_i.mem}`` with ``mem`` still nil at the last step."""
    if grad is None and isinstance(output, Tensor):
        return output.new().resizeAs(output).zero()
    if isinstance(grad, (list, tuple)) and isinstance(output, (list, tuple)) and len(grad) == len(output):
        filled = [_zeros_where_missing(g, o) for g, o in zip(grad, output)]
        if any(f is not g for f, g in zip(filled, grad)):
            return filled
    return grad


def _entry_nodes(inputs, innode):
    """The edges of nngraph's bookkeeping between ``innode`` and the graph's inputs: innode feeds the one input;
    several are fed as gmodule.lua's ``innode:split(#inputs)`` (node.lua) feeds them, through a split node of
    ``nSplitOutputs`` and one select node per input. The run hands each input its entry directly: these nodes
    only make ``fg`` and its numbering nngraph's."""
    if len(inputs) == 1:
        return [(innode, inputs[0])]
    split = Node(site=innode.site, nSplitOutputs=len(inputs))
    selects = [Node(site=innode.site, selectindex=i) for i in range(len(inputs))]
    return [(innode, split)] + [(split, sel) for sel in selects] + list(zip(selects, inputs))


def _number_as_nngraph(edges, outnode):
    """Set each node's ``id`` as nngraph numbers its forward graph (gmodule.lua's ``outnode:graph()`` then
    ``reverse()``, torch/graph's init.lua and node.lua): a breadth-first walk from the output node along the
    forward ``edges`` turned round gives the backward graph's edges, each node to its inputs in order; the forward
    graph takes those edges in that order, reversed, and numbers the nodes as they come, each edge's input end
    first. A chain's last module is 1 and the output node 2. Ids count from 1, as Lua's: a node's id is its
    position in ``fg.nodes`` (torch/graph's Graph:add), so ``fg.nodes[node.id - 1]`` is the node (SCRNNs'
    set_internal_layers) and a search by id finds what Lua's finds (torch-Video-Tutorials' getNode). Returns the
    nodes in that order and the forward edges in nngraph's order: Graph:reverse (torch/graph's init.lua:76-86) adds
    them as the walk met them, so a node's successors come in the order nngraph's ``children`` lists them
    (bshillingford/nnquery's siblings read it)."""
    sources = {}
    for a, b in edges:
        sources.setdefault(id(b), []).append(a)
    walked, marked, queue = [], {id(outnode)}, [outnode]
    while queue:
        node = queue.pop(0)
        for child in sources.get(id(node), []):
            walked.append((node, child))
            if id(child) not in marked:
                marked.add(id(child))
                queue.append(child)
    numbered = []
    seen = set()
    for parent, child in walked:
        for node in (child, parent):
            if id(node) not in seen:
                seen.add(id(node))
                numbered.append(node)
                node.id = len(numbered)
    return numbered, [(child, parent) for parent, child in walked]


class gModule(Container):
    """A graph of modules from ``inputs`` (nodes made with ``module()``) to ``outputs`` (nodes).

    Input: one tensor (or table) per input node, a list when there are several.
    Output: the output nodes' values, a list when there are several. ``fg`` and
    ``bg`` are the forward and backward graphs (with a bookkeeping node at each
    end); ``forwardnodes`` the nodes in execution order; ``name`` names the
    graph in errors and debug dumps.
    """
    # every node's module checks what it is given, so errors name the node
    input_dtypes = 'any'
    any_device = True

    def __init__(self, inputs, outputs):
        super().__init__()
        inputs = as_node_list(inputs, 'inputs')
        outputs = as_node_list(outputs, 'outputs')
        for where, nodes in (('inputs', inputs), ('outputs', outputs)):
            for i, node in enumerate(nodes):
                for j in range(i):
                    if nodes[j] is node:
                        raise ValueError(f"{where}[{j}] and {where}[{i}] are the same node ({node.where()}); "
                                         f"pass each node once")
        order = ancestors_in_order(outputs)
        self.innode = Node(site=inputs[0].site)
        self.outnode = Node(site=outputs[0].site)
        edges = _entry_nodes(inputs, self.innode)
        edges += [(parent, node) for node in order for parent in node.inputs]
        edges += [(n, self.outnode) for n in outputs]
        nodes, walked = _number_as_nngraph(edges, self.outnode)    # before the checks: their errors name ids
        _check_graph(inputs, outputs, order)
        self.inputnodes, self.outputnodes = inputs, outputs
        self.nInputs = len(inputs)
        self.forwardnodes = order
        self.backwardnodes = order[::-1]
        self.name = None
        for node in order:
            if node.module is not None:
                self.modules.append(node.module)
        self.fg = Graph(nodes, walked)
        self.bg = self.fg.reverse()

    # --- forward ---------------------------------------------------------------------
    def updateOutput(self, input):
        self.__dict__.pop('_swept', None)
        self._take_input(input)
        node = None
        try:
            fused = self._fused_plan()
            if fused is None:
                for node in self.forwardnodes:
                    self._forward_node(node)
            else:
                run = self._region_runner()
                for step in fused[0]:
                    if type(step) is not fusion.Region:
                        node = step
                        self._forward_node(node)
                        continue
                    node = step.members[0]
                    if not run.forward(step):
                        for node in step.members:
                            self._forward_node(node)
        except Exception as err:
            self._failed(node, err, 'forward')
            raise
        return self._give_output()

    def runForwardFunction(self, func, input):
        """gmodule.lua's: run ``func(module, x)`` (or, for a string, the module's method of that name) at every
        node in forward order, ``x`` the node's input, and return the graph's output made of the results;
        ``updateOutput`` is ``runForwardFunction('updateOutput', input)``, node by node."""
        if isinstance(func, str):
            name = func

            def func(module, x):
                return getattr(module, name)(x)
        self._take_input(input)
        node = None
        try:
            for node in self.forwardnodes:
                self._forward_node(node, func)
        except Exception as err:
            self._failed(node, err, 'forward')
            raise
        return self._give_output()

    def _take_input(self, input):
        """Hand ``input`` (a list of one per input node, or the one input) to the input nodes."""
        nodes = self.inputnodes
        if len(nodes) == 1:
            nodes[0].input = input
        else:
            if not isinstance(input, (list, tuple)) or len(input) != len(nodes):
                got = f"a list of {len(input)}" if isinstance(input, (list, tuple)) else f"a {type(input).__name__}"
                names = ', '.join(n.where() for n in nodes)
                raise input_error(self, f"a list of {len(nodes)} inputs (for {names})", got)
            for node, x in zip(nodes, input):
                node.input = x
        self.innode.output = input

    def _give_output(self):
        """The output nodes' outputs as the graph's output (one, or a list)."""
        outs = self.outputnodes
        self.output = outs[0].output if len(outs) == 1 else [n.output for n in outs]
        self.outnode.input = self.output
        return self.output

    def _forward_node(self, node, func=None):
        parents = node.inputs
        if parents:
            x = parents[0].output if len(parents) == 1 else [p.output for p in parents]
            node.input = x
        else:
            x = node.input
        if node.module is not None:
            node.module.checkContract(x)
            node.output = node.module.updateOutput(x) if func is None else func(node.module, x)
        elif node.selectindex is not None:
            node.output = x[node.selectindex]
        else:
            if node.nSplitOutputs is not None:
                self._check_split(node, x)
            node.output = x

    def _fused_plan(self):
        """fusion.plan of this graph (its element-wise regions run as one step each way: a CUDA kernel, or on
        the CPU one check and the members' array code), else None: with ``LEGONN_NODE_BY_NODE=1``, and on a
        CUDA gModule with legonn's kernels off. Made once per graph (and after ``replace``)."""
        if os.environ.get('LEGONN_NODE_BY_NODE', '') not in ('', '0') or \
                self._type.startswith('legonn.Cuda') and not cuda_kernels.enabled():
            return None
        if '_fusion' not in self.__dict__:
            plan = fusion.plan(self.forwardnodes)
            # and the backward's schedule, each step with its sum_orders entry (None for most), looked up once
            self._fusion = None if plan is None else \
                plan + ([(step, plan[2].get(id(step))) for step in reversed(plan[0])],)
        return self._fusion

    def _region_runner(self):
        """What runs the plan's regions: one generated kernel each way on the GPU (fusion), the members' own
        array code on the CPU (cpu_regions)."""
        return fusion if self._type.startswith('legonn.Cuda') else cpu_regions

    def _check_split(self, node, x):
        if not isinstance(x, (list, tuple)):
            raise TypeError(f"split({node.nSplitOutputs}) expected a table (list) to split, got "
                            f"{type(x).__name__}")
        if len(x) != node.nSplitOutputs:
            raise ValueError(f"split({node.nSplitOutputs}) cannot split {len(x)} outputs")

    # --- backward ----------------------------------------------------------------------
    def _seed_gradients(self, gradOutput):
        gradOutput = _zeros_where_missing(gradOutput, self.output)
        outs = self.outputnodes
        if len(outs) > 1 and (not isinstance(gradOutput, (list, tuple)) or len(gradOutput) != len(outs)):
            got = f"a list of {len(gradOutput)}" if isinstance(gradOutput, (list, tuple)) else \
                f"a {type(gradOutput).__name__}"
            raise input_error(self, f"a list of {len(outs)} gradOutputs (one per output)", got)
        for node in self.forwardnodes:
            node.grads = [None] * node.nSplitOutputs if node.nSplitOutputs is not None else []
        if len(outs) == 1:
            outs[0].grads.append(gradOutput)
        else:
            for node, g in zip(outs, gradOutput):
                node.grads.append(g)
        self.outnode.gradOutput = gradOutput

    def _propagate(self, gradOutput):
        """The reverse sweep of updateGradInput: every node's gradOutput and gradInput."""
        self.__dict__.pop('_swept', None)
        self._seed_gradients(gradOutput)
        node = None
        try:
            fused = self._fused_plan()
            if fused is None:
                for node in self.backwardnodes:
                    self._backward_node(node)
            else:
                run, orders = self._region_runner(), fused[2]
                for step, order in fused[3]:
                    if type(step) is not fusion.Region:
                        node = step
                        self._backward_node(node, order)
                        continue
                    node = step.members[-1]
                    if not run.backward(step):
                        for node in reversed(step.members):
                            self._backward_node(node, orders.get(id(node)))
        except Exception as err:
            self._failed(node, err, 'backward')
            raise
        nodes = self.inputnodes
        self.gradInput = nodes[0].gradInput if len(nodes) == 1 else [n.gradInput for n in nodes]
        self.innode.gradOutput = self.gradInput
        self._swept = tuple(tensor_leaves(gradOutput, []))
        return self.gradInput

    def _backward_node(self, node, sum_order=None):
        """The node's step of the reverse sweep; ``sum_order``: fusion.sum_orders' entry for the node when a
        plan's schedule runs (its gradients then arrive in another order than in the node-by-node sweep)."""
        grads = node.grads
        # gradient_met's one-gradient case inline: most nodes take one gradient, and this runs for every node
        go = grads if node.nSplitOutputs is not None else grads[0] if len(grads) == 1 else \
            None if not grads else gradient_met(node, sum_order)   # none reached it: nngraph's nil
        node.gradOutput = go
        if go is None:
            # no gradient reached this node (see below): nngraph calls its module with a nil gradOutput, whose
            # gradInput (Identity's, the index input's) is nil again; nothing flows on
            node.gradInput = None
            if node.selectindex is not None:
                node.inputs[0].grads[node.selectindex] = None
            return
        gi = go if node.module is None else node.module.updateGradInput(node.input, go)
        node.gradInput = gi
        parents = node.inputs
        if node.selectindex is not None:
            parents[0].grads[node.selectindex] = gi
        elif len(parents) == 1:
            parents[0].grads.append(gi)
        elif parents:
            # nngraph hands input node k its ``gradInput[k]`` (gmodule.lua:424-431): entries past the inputs are
            # never read (learning_to_execute's MaskedLoss returns three for its two); a missing or nil one is
            # ``table.insert(child.data.gradOutput, nil)``, which appends nothing, so that input gets no gradient
            # (data2text's CIndexAddTo returns none for its index input)
            if not isinstance(gi, (list, tuple)):
                raise TypeError(f"expected a table of {len(parents)} gradInputs (one per input node), "
                                f"got {type(gi).__name__}")
            for parent, g in zip(parents, gi):
                if g is not None:
                    parent.grads.append(g)

    def _accumulate(self, scale, update=False):
        """accGradParameters of every node from the gradOutputs the last sweep left in the nodes; with ``update``
        their accUpdateGradParameters (``scale`` is then the learning rate)."""
        method = 'accUpdateGradParameters' if update else 'accGradParameters'
        noop, noop_update = Module.accGradParameters, Module.accUpdateGradParameters
        node = None
        try:
            for node in self.backwardnodes:
                module = node.module
                if module is None:
                    continue
                cls, own = type(module), module.__dict__
                if cls.accGradParameters is noop and 'accGradParameters' not in own and (
                        not update or cls.accUpdateGradParameters is noop_update and
                        'accUpdateGradParameters' not in own):
                    # Module's own accGradParameters (accUpdateGradParameters with ``update``), which does
                    # nothing (a parameter-free module's): skipped, tested inline, as a call through the
                    # contract's wrapper costs a recurrent cell's sweep more than several of its element-wise
                    # nodes' array work
                    continue
                if isinstance(module, gModule):
                    module._accumulate(scale, update)
                else:
                    getattr(module, method)(node.input, node.gradOutput, scale)
        except Exception as err:
            self._failed(node, err, 'backward')
            raise

    def updateGradInput(self, input, gradOutput):
        return self._propagate(gradOutput)

    def accGradParameters(self, input, gradOutput, scale=1):
        # The nodes' gradOutputs must be this gradOutput's: sweep again unless the last sweep since the forward was
        # for these very tensors (gmodule.lua reads the nodes' gradOutputs as updateGradInput left them). Sweeping
        # twice would count twice the gradients of a module that accumulates them in its updateGradInput
        # (cudnn's batch normalisations: nn.Jacobian's updateGradInput then accGradParameters doubled them).
        if not _same_tensors(self.__dict__.get('_swept'), gradOutput):
            self._propagate(gradOutput)
        self._accumulate(scale, update=bool(self.__dict__.get('_updating')))   # see accUpdateGradParameters

    def backward(self, input, gradOutput=None, scale=1):
        """updateGradInput, then accGradParameters from the same sweep.

        Every gradInput is computed before any parameter gradient moves, so a
        failure on the way back leaves the accumulated gradients untouched.
        """
        input, gradOutput = as_tensor_tree(input), as_input_tree(gradOutput)
        try:
            self.checkParameterGradients()
            self._propagate(gradOutput)
            self._accumulate(scale)
        except CAUGHT as err:
            name_error(self, err)
            raise
        return self.gradInput

    def _failed(self, node, err, phase):
        """Name the failing node in ``err`` (and dump the graph in debug mode)."""
        if node is None:
            return
        add_path(err, f"{self.shortName()} {node.where()}", node.module)
        if debug.enabled():
            written = debug.write_failure_graph(self, node)
            if hasattr(err, 'add_note'):
                err.add_note(f"({phase} failed; {written})")

    # --- the container ------------------------------------------------------------------
    def type(self, typename=None, cache=None):
        if typename is None:
            return super().type()
        cache = {} if cache is None else cache
        super().type(typename, cache)
        for node in self.fg.nodes:
            for name in _NODE_STATE:
                setattr(node, name, convert_tree(getattr(node, name), typename, cache))
            node.grads = convert_tree(node.grads, typename, cache)
        return self

    def clearState(self):
        self.__dict__.pop('_fusion', None)
        for m in self.modules:
            m.clearState()
        for node in self.fg.nodes:
            for name in _NODE_STATE:
                setattr(node, name, None)
            node.grads = []
        # output and gradInput view children's buffers (or the caller's input): drop them, never empty them
        self.output = self.output.new() if hasattr(self.output, 'new') else []
        self.gradInput = self.gradInput.new() if hasattr(self.gradInput, 'new') else []
        return self

    def replace(self, callback):
        """Replace modules: ``callback(m)`` returns the module to use instead of ``m`` (or ``m``)."""
        out = callback(self)
        self.__dict__.pop('_fusion', None)   # the regions depend on the modules
        for node in self.forwardnodes:
            if node.module is not None:
                old = node.module
                new = old.replace(callback) if hasattr(old, 'replace') else callback(old)
                node.module = new
                self.modules[self.modules.index(old)] = new
        return out

    def map(self, other, fn):
        """Call ``fn(mine, theirs)`` on the modules of this gModule and a same-shaped ``other``."""
        if len(other.forwardnodes) != len(self.forwardnodes):
            raise ValueError(f"{self.shortName()}.map: the other gModule has a different structure")
        for mine, theirs in zip(self.forwardnodes, other.forwardnodes):
            if (mine.module is None) != (theirs.module is None):
                raise ValueError(f"{self.shortName()}.map: the other gModule has a different structure")
            if mine.module is not None:
                fn(mine.module, theirs.module)

    def __repr__(self):
        head = f"{lua_typename(self)}({self.name})" if self.name else lua_typename(self)
        lines = [f"{head} {{", f"  [{self.nInputs} input(s) -> {len(self.outputnodes)} output(s), "
                 f"{len(self.forwardnodes)} nodes]"]
        for node in self.forwardnodes:
            if node.module is not None:
                label = f"({node.id}) '{node.name}'" if node.name else f"({node.id})"
                lines.append(f"  {label}: " + repr(node.module).replace('\n', '\n  '))
        lines.append('}')
        return '\n'.join(lines)
