"""legonn.graph: Torch7's nngraph.

Calling a module on graph nodes (or on nothing) makes a node; ``gModule``
turns nodes into a module; ``dot`` draws a graph or any module tree; ``setDebug`` dumps the
graph with the failing node in red when a run fails; ``annotateNodes`` names
nodes after local variables; ``nest`` builds a node out of nested lists.

Importing this package registers its node builders with ``modules.base.module.register_graph_builders``:
a module called on nodes (or on nothing) makes a node, ``[node_a, node_b] - module`` chains like
``node - module``, and ``criterion(node_a, node_b)`` makes a ``ModuleFromCriterion`` node, as
nngraph does in Lua. Node and Graph register with serialization so ``legonn.save`` can write them.
"""
from ..modules.base.module import register_graph_builders
from ..serialization.classes import register_builtin
from .debug import annotateNodes, setDebug
from .digraph import Graph
from .dot import dot, graph_to_dot, render_svg
from .extras import JustElement, JustTable, ModuleFromCriterion
from .gmodule import gModule
from .model_dot import model_to_dot
from .node import Node, make_node, nest


def _criterion_node(criterion, *args):
    """``criterion(node_a, node_b)``: a ModuleFromCriterion node."""
    return ModuleFromCriterion(criterion)(*args)


register_graph_builders(make_node, _criterion_node)
register_builtin('graph.Node', Node)
register_builtin('graph.Graph', Graph)

__all__ = ['Node', 'Graph', 'gModule', 'JustElement', 'JustTable', 'ModuleFromCriterion', 'nest', 'dot',
           'graph_to_dot', 'model_to_dot', 'render_svg', 'setDebug', 'annotateNodes']
