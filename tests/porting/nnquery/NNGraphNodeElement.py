"""nnquery/NNGraphNodeElement.lua of bshillingford/nnquery (BSD licence), ported line by line: an Element for an
nngraph node. A node's ``data.mapindex`` (its inputs, in order) is the forward edges' sources into it (package
docstring; docs/porting.md)."""
import importlib

import legonn as lg
from legonn import graph

from .Element import Element

nnquery = importlib.import_module(__package__)


class NNGraphNodeElement(Element):
    def __init__(self, *args):
        super().__init__(*args)

    def _set_gmod(self, gmod, gmod_el):
        assert not getattr(self, '_gmod', None) and not getattr(self, '_gmod_el', None)
        self._gmod = gmod
        self._gmod_el = gmod_el

    def _init_parents(self, *_):
        assert getattr(self, '_gmod', None) and getattr(self, '_gmod_el', None), \
            "internal error: don't wrap a gmodule node directly"

        # Find all the parents:
        self._parents = []
        for mi in [a for a, b in self._gmod.fg.edges if b is self.val()]:  # self:val().data.mapindex
            self._parents.append(self._gmod_el._wrap(self._gmod.fg.nodes[mi.id - 1]))

    # Alias for val().data.module.
    def module(self):
        return self.val().data.module

    # Alias for val().data.annotations.name.
    def name(self):
        return self.val().data.annotations.get('name')

    # Returns an ElementList for parent nngraph nodes of this element.
    def parents(self):
        return nnquery.ElementList.fromtable(self._parents)

    # Returns an ElementList for children nngraph nodes of this element.
    def children(self):
        childelems = self._gmod_el._wrapall(self._gmod.fg.successors(self.val()))  # self:val().children
        for child in childelems:
            # at this point, should have all parents set by the ctor, incl ourself
            assert isinstance(child, NNGraphNodeElement), 'All wrappers for nodes should be NodeElements'
        return nnquery.ElementList.fromtable(childelems)

    def __str__(self):
        val = self.val()
        prints = []
        for key in ['module', 'nSplitOutputs']:
            if getattr(val.data, key, None) is not None:
                prints.append('d.%s=%s' % (key, str(getattr(val.data, key))))
        if val.data.annotations:
            for k, v in val.data.annotations.items():
                prints.append('d.a.%s=%s' % (k, v))
        return '%s[%s]' % (type(self).__name__, ', '.join(prints))

    @staticmethod
    def isNode(m):
        return lg.isTypeOf(m, graph.Node)
