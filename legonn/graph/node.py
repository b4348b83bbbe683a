"""Graph nodes: a module bundled with the nodes that feed it (nngraph's ``nngraph.Node``).

``module()`` makes a node with no inputs (a graph input), ``module(a)``,
``module([a, b])`` or ``module(a, b)`` a node fed by ``a`` (and ``b``, as a
table). Each node remembers where in the user's code it was created, so
errors and graph dumps can point there. Nodes only describe the graph;
``gModule`` runs it.
"""
import functools
import os
import sys

from ..modules.identity import Identity
from .dot import node_label
from .extras import JustElement, JustTable


def sum_into(buffer, grads):
    """Sum the gradient trees ``grads`` (two or more, in order) into ``buffer`` (reused when it fits): a node's
    gradBuffer where gradients meet. Returns the sum."""
    first = grads[0]
    if isinstance(first, (list, tuple)):
        buffer = buffer if isinstance(buffer, list) else []
        del buffer[len(first):]
        for i in range(len(first)):
            part = sum_into(buffer[i] if i < len(buffer) else None, [g[i] for g in grads])
            buffer[i:i + 1] = [part]
        return buffer
    if type(buffer) is not type(first):
        buffer = first.new()
    out = buffer.resizeAs(first).array
    xp = first.xp
    xp.add(first.array, grads[1].array, out=out)
    for g in grads[2:]:
        out += g.array
    return buffer


def in_sweep_order(grads, positions):
    """Reorder the list ``grads`` into the node-by-node sweep's order: ``positions`` (fusion.sum_orders) of the
    gradients after a graph output's own, which stays first."""
    seeded = len(grads) - len(positions)
    grads[seeded:] = [grads[seeded + i] for i in positions]


def gradient_met(node, positions=None):
    """The gradient reaching ``node`` (not a split): its one gradient, or the sum of its several into its
    gradBuffer, in the node-by-node sweep's order (``positions``: fusion.sum_orders' entry, None when they
    arrive in it)."""
    grads = node.grads
    if len(grads) == 1:
        return grads[0]
    if positions is not None:
        in_sweep_order(grads, positions)
    node.gradBuffer = go = sum_into(node.gradBuffer, grads)
    return go


@functools.lru_cache(maxsize=256)
def _normalised(path):
    """An absolute path with ``..`` and symbolic links resolved, so that legonn imported through
    ``examples/../legonn`` or a symlink is still recognised as legonn."""
    return os.path.realpath(path)


_PACKAGE_DIR = _normalised(os.path.dirname(os.path.dirname(__file__))) + os.sep


def creation_site():
    """(file, line, function) of the innermost caller outside the legonn package."""
    frame = sys._getframe(1)
    while frame is not None and _normalised(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return ('?', 0, '?')
    return (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def short_path(path):
    """``path`` relative to the working directory when it lies below it (like Lua's short_src)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith('..') else rel


def describe_input(value, index, where):
    """Why ``value`` cannot be used as graph node number ``index`` of ``where`` (nngraph's wording)."""
    if value is None:
        return f"{where}[{index}] is None (typo / bad index?)"
    if hasattr(value, 'updateOutput'):
        return (f"{where}[{index}] is an nn module, specifically {value.shortName()}, but the only valid thing to "
                f"pass is a graph node. Did you forget a second set of parentheses, which turn a module into a node?")
    return f"{where}[{index}] should be a graph node but is of type {type(value).__name__}"


def as_node_list(values, where):
    """``values`` (a node or a list of nodes) as a list of nodes, or a TypeError saying which entry is wrong."""
    if isinstance(values, Node):
        return [values]
    if not isinstance(values, (list, tuple)):
        raise TypeError(describe_input(values, 0, where))
    if not values:
        raise ValueError(f"cannot pass an empty list of {where}. To make a node with no incoming connections, "
                         f"call the module with no argument: module()")
    for i, v in enumerate(values):
        if not isinstance(v, Node):
            raise TypeError(describe_input(v, i, where))
    return list(values)


class Node:
    """One node of a graph: ``module`` (None for the bookkeeping nodes) applied to the outputs of ``inputs``.

    ``annotations`` holds ``name``, ``description`` and ``graphAttributes``
    (Graphviz attributes used by ``graph.dot``), and ``_debugLabel``, nngraph's
    '[file]:line_function' of the node's creation; ``site`` is that (file, line,
    function). ``node.data`` is the node itself: nngraph keeps these fields in a
    ``data`` table, so ported ``node.data.module`` / ``node.data.annotations`` read them. A split node (``nSplitOutputs``) passes a table
    through; a select node (``selectindex``) picks one entry of its input table.
    After a run, ``input``, ``output`` and ``gradOutput`` hold what flowed through.
    """

    is_graph_node = True

    def __init__(self, module=None, inputs=(), site=None, nSplitOutputs=None, selectindex=None):
        self.module = module
        self.inputs = []
        self.consumers = []
        self.site = site if site is not None else creation_site()
        path, line, function = self.site
        self.annotations = {'_debugLabel': f"[{short_path(path)}]:{line}_{function}"}
        self.nSplitOutputs = nSplitOutputs
        self.selectindex = selectindex
        self.id = None
        self.input = self.output = self.gradOutput = self.gradInput = None
        self.grads = []
        self.gradBuffer = None
        for node in inputs:
            self.add(node)

    def add(self, node, domap=True):
        """Append ``node`` to this node's inputs (in order: it is entry ``len(inputs)`` of the input table).

        ``domap`` is nngraph's (node.lua:35 ``nnNode:add(child, domap)``): true makes the child an input the node
        reads, which every edge here is; nngraph's false form, an edge that feeds no data, is refused."""
        if not domap:
            raise ValueError(f"{self.where()}: add(node, domap=False), an edge that feeds no input, is not supported: "
                             "every legonn edge makes the node an input (nngraph's domap=true)")
        if any(n is node for n in self.inputs):
            raise ValueError(f"{node.where()} is passed twice as an input of {self.where()}; "
                             f"a node may feed another only once (use an nn.Identity node to duplicate it)")
        self.inputs.append(node)
        node.consumers.append(self)
        return self

    # --- building ----------------------------------------------------------------
    def split(self, noutput):
        """``noutput`` nodes, each taking one entry of this node's table output (0-based order)."""
        if not isinstance(noutput, int) or isinstance(noutput, bool) or noutput < 1:
            raise ValueError(f"{self.where()}: split expects a positive number of outputs, got {noutput!r}")
        site = creation_site()
        if noutput == 1:
            return JustElement()(self)
        splitter = Node(inputs=[self], site=site, nSplitOutputs=noutput)
        splitter.annotations['_splitOf'] = self
        label = self.annotations.get('_debugLabel', '<unknown>')
        splitter.annotations['_debugLabel'] = f"{label} split at [{short_path(site[0])}]:{site[1]}-mnode"
        outputs = tuple(Node(inputs=[splitter], site=site, selectindex=i) for i in range(noutput))
        # the suffix names the output the way legonn indexes it (selectindex, the tuple, SelectTable): 0-based,
        # where nngraph's node.lua numbers from 1 as Lua does; a label is text, so a port comparing it fails loudly
        for i, node in enumerate(outputs):
            node.annotations['_debugLabel'] = f"{label}-{i}"
        return outputs

    def annotate(self, annotations=None, **kwargs):
        """Set annotations: ``name``, ``description``, ``graphAttributes`` (a dict of Graphviz
        attributes) or anything else, as keywords or one dict; returns the node."""
        self.annotations.update(annotations or {}, **kwargs)
        return self

    def graphNodeAttributes(self):
        """The Graphviz attributes ``graph.dot`` draws this node with: ``annotations['graphAttributes']``
        (made empty when absent), its ``tooltip`` defaulting to the creation label, as node.lua's."""
        attributes = self.annotations.setdefault('graphAttributes', {})
        if 'tooltip' not in attributes and self.annotations.get('_debugLabel'):
            attributes['tooltip'] = self.annotations['_debugLabel']
        return attributes

    def __sub__(self, module):
        """``node - module`` is ``module(node)``: chains read like the data flow."""
        if not callable(module) or not hasattr(module, 'updateOutput'):
            return NotImplemented
        return module(self)

    # --- naming ----------------------------------------------------------------------
    @property
    def name(self):
        return self.annotations.get('name')

    @property
    def data(self):
        return self

    def label(self):
        """The text nngraph draws in the node: name, description, module or role, the data that flowed
        through it and, for several inputs, their nodes."""
        return node_label(self)

    def siteText(self):
        """'file:line' of the node's creation."""
        path, line, _ = self.site
        return f"{short_path(path)}:{line}"

    def kind(self):
        """What the node does, in words: its module, or its bookkeeping role."""
        if self.module is not None:
            return self.module.shortName()
        if self.selectindex is not None:
            return f"select [{self.selectindex}]"
        if self.nSplitOutputs is not None:
            return f"split({self.nSplitOutputs})"
        return 'Identity'

    def graphNodeName(self):
        ident = self.id if self.id is not None else '?'
        return f"{self.name} ({ident})" if self.name else f"Node{ident}"

    def where(self):
        """How errors name this node: id, annotation name, module and creation site."""
        ident = f"node {self.id}" if self.id is not None else 'node'
        name = f" '{self.name}'" if self.name else ''
        split = ''
        if self.selectindex is not None or self.nSplitOutputs is not None:
            source = self.inputs[0] if self.selectindex is not None else self
            origin = source.annotations.get('_splitOf')
            if origin is not None:
                split = f" of {origin.where()}"
        return f"{ident}{name} [{self.kind()}{split}, created at {self.siteText()}]"

    def __repr__(self):
        return f"<graph {self.where()}>"


def make_node(module, *args):
    """What ``module(...)`` returns when given graph nodes or nothing (registered with
    ``modules.base.module.register_graph_builders``)."""
    if not args:
        inputs = []
    elif len(args) == 1:
        inputs = as_node_list(args[0], 'inputs')
    else:
        inputs = as_node_list(list(args), 'inputs')
    return Node(module, inputs)


def nest(value):
    """A node whose output has the nesting of ``value`` (a node or nested lists of nodes)."""
    if isinstance(value, Node):
        return value
    if not isinstance(value, (list, tuple)) or not value:
        raise TypeError(f"nest: expected a node or a non-empty (nested) list of nodes, got {value!r}")
    if len(value) == 1:
        return JustTable()(nest(value[0]))
    return Identity()([nest(v) for v in value])
