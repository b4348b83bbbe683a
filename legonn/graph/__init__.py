"""legonn.graph: Torch7's nngraph.

Calling a module on graph nodes (or on nothing) makes a node; ``gModule``
turns nodes into a module; ``dot`` draws a graph or any module tree; ``setDebug`` dumps the
graph with the failing node in red when a run fails; ``annotateNodes`` names
nodes after local variables; ``nest`` builds a node out of nested lists.

Importing this package installs the node builder on ``Module`` (the hook
``Module.node_factory``), lets ``[node_a, node_b] - module`` chain like
``node - module``, and makes ``criterion(node_a, node_b)`` a
``ModuleFromCriterion`` node, as nngraph does in Lua.
"""
from ..criterions.criterion import Criterion
from ..modules.module import Module, is_graph_node_arg
from .debug import annotateNodes, setDebug
from .digraph import Graph
from .dot import dot, graph_to_dot, render_svg
from .extras import JustElement, JustTable, ModuleFromCriterion
from .gmodule import gModule
from .model_dot import model_to_dot
from .node import Node, make_node, nest

Module.node_factory = make_node


def _table_chain(module, prev):
    """``[node_a, node_b] - module``: the list is the module's table input."""
    if isinstance(prev, (list, tuple)) and is_graph_node_arg(prev):
        return module(prev)
    return NotImplemented


Module.__rsub__ = _table_chain

_criterion_forward = Criterion.__call__


def _criterion_call(criterion, *args):
    """On graph nodes a criterion becomes a ModuleFromCriterion node; on data it is ``forward``."""
    if args and all(is_graph_node_arg(a) for a in args):
        return ModuleFromCriterion(criterion)(*args)
    return _criterion_forward(criterion, *args)


Criterion.__call__ = _criterion_call

__all__ = ['Node', 'Graph', 'gModule', 'JustElement', 'JustTable', 'ModuleFromCriterion', 'nest', 'dot',
           'graph_to_dot', 'model_to_dot', 'render_svg', 'setDebug', 'annotateNodes']
