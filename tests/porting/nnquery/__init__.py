"""bshillingford/nnquery (BSD licence, Brendan Shillingford) ported line by line: nnquery/init.lua here, one .py per
.lua beside it. tests/porting/test_nnquery.py runs it, with nnquery/tests/test_elem.lua and test_nngraph.lua.

Not ported: example.lua does not compile in Lua (``print('...'..outputs:count()..' outputs, they are:' outputs)``
misses a ``..``); the test file runs its other lines.

Edits beyond Lua syntax and 0-based indices, each marked where it is made:

* ``classic`` classes and ``classic.module`` become Python classes and this package; ``mustHave`` methods are
  ``abc.abstractmethod``s; ``final`` (classic refuses an override) has no Python counterpart and goes. The module's
  ``__call`` metamethod (``nnq(module)`` wraps with the default context) is a callable module class.
* ElementList's iterator factories return Python iterators (Lua's stateful iterator functions ending in nil);
  ``nth``, ``slice``, ``[i]`` and the index handed to predicates are 0-based (``nth(0)`` first, ``-1`` last).
* nngraph's node fields (docs/porting.md's nngraph node ``children``/``mapindex`` row): legonn keeps one node per
  graph position, shared by ``fg`` and ``bg``, with no ``children``, ``data.mapindex`` or ``data.forwardNodeId``.
  A forward-graph node's ``children`` (the nodes it feeds) is ``g.fg.successors(node)``; its ``data.mapindex``
  (its inputs in order, the bookkeeping split/select/output nodes' too) is the forward edges' sources into it,
  ``[a for a, b in g.fg.edges if b is node]``; ``mod.fg.nodes[mi.forwardNodeId]`` is that node itself.
"""
import sys
import types

from .Context import Context
from .Element import Element
from .ModuleElement import ModuleElement
from .ChildlessElement import ChildlessElement
from .ContainerElement import ContainerElement
from .NNGraphGModuleElement import NNGraphGModuleElement
from .NNGraphNodeElement import NNGraphNodeElement
from .ElementList import ElementList

# Create a default context with some good default settings:
ctx = Context()
ctx.reg(NNGraphGModuleElement, NNGraphGModuleElement.isGmodule)
ctx.reg(NNGraphNodeElement, NNGraphNodeElement.isNode)
ctx.reg(ContainerElement, ContainerElement.isContainer)  # after since gModule IS_A Container
ctx.default(ChildlessElement)
default = ctx


# Copy the classic module metatable, and forward __call to default ctx
class _CallableModule(types.ModuleType):
    def __call__(self, *args):
        return self.default(*args)


sys.modules[__name__].__class__ = _CallableModule
