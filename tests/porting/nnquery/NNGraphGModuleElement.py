"""nnquery/NNGraphGModuleElement.lua of bshillingford/nnquery (BSD licence), ported line by line: an nn.gModule
element, whose children are its input nodes.

nngraph's ``node.children`` of a forward-graph node is ``mod.fg.successors(node)`` here, and ``data.mapindex`` /
``mod.fg.nodes[mi.forwardNodeId]`` the forward edges' sources (package docstring; docs/porting.md)."""
import importlib

import legonn as lg
from legonn import nn

from .ModuleElement import ModuleElement

nnquery = importlib.import_module(__package__)


class NNGraphGModuleElement(ModuleElement):
    def __init__(self, *args):
        super().__init__(*args)

        # Find root node first
        mod = self.val()
        nInputs = mod.nInputs or len(mod.fg.successors(mod.innode))  # innode.children
        node = mod.innode
        if nInputs != len(mod.fg.successors(node)):
            assert len(mod.fg.successors(node)) == 1, "expected single child root nngraph node"
            node = mod.fg.successors(node)[0]
        assert nInputs == len(mod.fg.successors(node)), "at this point, # children should equal # nngraph inputs"
        self._root = node

        # Sort children if needed:
        innodes = mod.fg.successors(node)
        if innodes[0].data.selectindex is not None and len(innodes) > 1:
            def key(x):
                assert x.data.selectindex is not None, "selectindex should exist for all nodes"
                return x.data.selectindex
            innodes.sort(key=key)
        self._innodes = innodes

        # Pre-build Elements for nodes and mapping of fg node -> Element
        self._node2el = {}
        # Wrap all nodes and set their gModule references:
        for node in mod.fg.nodes:
            # this is the only place we should ever wrap a node using ctx
            el = self._ctx.wrap(node)
            el._set_gmod(mod, self)
            self._node2el[node] = el

        # Initialize the parents of all the nodes, now that _node2el is ready:
        for node, el in self._node2el.items():
            el._init_parents(mod, self)
        # Override parent of inputs to be this gmodule element:
        for innode in innodes:
            self._node2el[innode]._parents = [self]

    # not the version in ctx: this uses the cached elements in the GModule element
    def _wrap(self, x):
        assert self._node2el.get(x), 'internal error: node not found'
        return self._node2el[x]

    def _wrapall(self, tbl):
        result = []
        for v in tbl:
            result.append(self._wrap(v))
        return result

    # Returns ElementList consisting of input nodes of module's forward graph.
    def children(self):
        return self.inputs()

    # Returns ElementList consisting of modules in graph, in the order that nngraph evaluates them on a forward pass.
    def modules(self):
        mods = []
        for node in self.val().forwardnodes:
            if node.data.module is not None:
                mods.append(node.data.module)

        return nnquery.ElementList.fromtable(self._wrapall(mods))

    # Returns ElementList consisting of input nodes of module's **forward graph**.
    def inputs(self):
        return nnquery.ElementList.fromtable(self._wrapall(self._innodes))

    # Returns ElementList consisting of output nodes of module's **forward graph**.
    def outputs(self):
        mod = self.val()
        leaves = mod.fg.leaves()
        assert len(leaves) == 1, "gmodule forward graph should have a single leaf"
        leaf = leaves[0]

        # Get node objects in order of output (leaf.data.mapindex):
        outnodes = []
        for mi in [a for a, b in mod.fg.edges if b is leaf]:
            outnodes.append(mod.fg.nodes[mi.id - 1])

        return nnquery.ElementList.fromtable(self._wrapall(outnodes))

    @staticmethod
    def isGmodule(m):
        return lg.isTypeOf(m, nn.gModule)
