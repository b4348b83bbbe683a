"""Rebuilding a Torch7 ``nn.gModule`` (nngraph) as a legonn gModule from its saved forward graph.

nngraph saves the nodes in execution order (``forwardnodes``); each node's
``data.mapindex`` lists, 1-based, the ``data`` of the nodes feeding it. A
bookkeeping ``innode`` (split into one select node per input when there are
several) feeds the graph inputs, and ``outnode`` is fed by the outputs. The
graph is rebuilt by calling each converted module on its parents' new nodes,
as the user's code once did, so legonn's gModule checks it like any other.
"""
from ..archive import FormatError
from .reader import TorchObject


def graph_module(obj, converter, where):
    """The legonn gModule for the nn.gModule ``obj``; its modules come from ``converter``."""
    nodes, innode, outnode = obj.get('forwardnodes'), obj.get('innode'), obj.get('outnode')
    if not isinstance(nodes, list) or not all(_is_node(n) for n in nodes + [innode, outnode]):
        raise FormatError(f"{where}: forwardnodes, innode and outnode must be nngraph nodes")
    # innode and outnode may be nodes of the backward graph: nodes of both graphs share their data
    by_data = {id(n['data']): n for n in nodes}
    innode, outnode = by_data.get(id(innode['data'])), by_data.get(id(outnode['data']))
    if innode is None or outnode is None:
        raise FormatError(f"{where}: innode and outnode must be among forwardnodes")
    made = {id(innode): _INPUT}   # id(torch node) -> legonn node, tuple of split nodes, or _INPUT
    inputs = {}                   # input position (0-based) -> legonn node
    for node in nodes:
        if node is innode or node is outnode:
            continue
        data, parents = node['data'], [made.get(id(p)) for p in _parents(node, by_data, where)]
        if any(p is None for p in parents):
            raise FormatError(f"{where}: node {node.get('id')} is fed by a node that comes later")
        if data.get('selectindex') is not None:
            made[id(node)] = _select(parents, data, where)
        elif data.get('nSplitOutputs') is not None and data.get('module') is None:
            made[id(node)] = _INPUT if parents == [_INPUT] else _split(parents, data, where)
        elif converter.is_module(data.get('module')):
            made[id(node)] = _apply(converter.module(data['module']), parents, inputs, where)
        elif isinstance(data.get('module'), TorchObject):
            kind = data['module'].typename
            raise FormatError(f"{where}: node {node.get('id')} holds a {kind}, which is no nn class; pass "
                              f"load_lua(path, converters={{'{kind}': function(fields) -> module}}) for your own "
                              "classes")
        else:
            raise FormatError(f"{where}: node {node.get('id')} has no module and is no split or select node")
        _annotate(made[id(node)], data)
    outputs = [made.get(id(p)) for p in _parents(outnode, by_data, where)]
    if not outputs or any(o is None for o in outputs) or not inputs or sorted(inputs) != list(range(len(inputs))):
        raise FormatError(f"{where}: the graph's inputs {sorted(inputs)} or outputs are incomplete")
    ordered = [inputs[i] for i in range(len(inputs))]
    try:
        graph = converter.classes['gModule'](ordered if len(ordered) > 1 else ordered[0],
                                             outputs if len(outputs) > 1 else outputs[0])
    except (TypeError, ValueError) as err:   # legonn's own graph checks
        raise FormatError(f"{where}: the saved graph is not a valid gModule: {err}") from None
    if isinstance(obj.get('name'), str):   # set by the user (gmodule.lua prints it), as save_lua writes it
        graph.name = obj['name']
    if 'train' in obj:   # the modules keep their own flags, which :evaluate() on the graph set too
        if not isinstance(obj['train'], bool):
            raise FormatError(f"{where}: train must be a boolean, got {type(obj['train']).__name__}")
        graph.train = obj['train']
    return graph


class _InputSlot:
    """Stands for the graph input (or, once selected, input number ``position``) while rebuilding."""

    def __init__(self, position=0):
        self.position = position


_INPUT = _InputSlot()


def _is_node(n):
    return isinstance(n, TorchObject) and n.typename == 'nngraph.Node' and isinstance(n.get('data'), dict)


def _parents(node, by_data, where):
    mapindex = node['data'].get('mapindex') or {}
    if isinstance(mapindex, list):
        entries = mapindex
    else:
        count = sum(1 for k in mapindex if type(k) is int)
        entries = [mapindex.get(i) for i in range(1, count + 1)]
    try:
        return [by_data[id(d)] for d in entries]
    except KeyError:
        raise FormatError(f"{where}: node {node.get('id')} names a parent that is not in forwardnodes") from None


def _select(parents, data, where):
    index = data['selectindex']
    if len(parents) != 1 or type(index) is not int or index < 1:
        raise FormatError(f"{where}: a select node needs one parent and a 1-based selectindex, got {index!r}")
    if parents[0] is _INPUT:
        return _InputSlot(index - 1)
    if not isinstance(parents[0], tuple) or index > len(parents[0]):
        raise FormatError(f"{where}: select node {index} does not follow a split of as many outputs")
    return parents[0][index - 1]


def _split(parents, data, where):
    count = data['nSplitOutputs']
    if len(parents) != 1 or isinstance(parents[0], (tuple, _InputSlot)) or type(count) is not int or count < 1:
        raise FormatError(f"{where}: a split node needs one module node as its parent and a positive "
                          f"nSplitOutputs, got {count!r}")
    return parents[0].split(count)


def _apply(module, parents, inputs, where):
    if parents and all(isinstance(p, _InputSlot) for p in parents):
        if len(parents) != 1 or parents[0].position in inputs:
            raise FormatError(f"{where}: graph input {parents[0].position + 1} feeds more than one input node")
        node = module()
        inputs[parents[0].position] = node
        return node
    if not parents or any(isinstance(p, (tuple, _InputSlot)) for p in parents):
        raise FormatError(f"{where}: a module node is fed by nothing, by a split node itself, or by the graph "
                          "input together with other nodes")
    try:
        return module(parents[0]) if len(parents) == 1 else module(parents)
    except (TypeError, ValueError) as err:   # legonn's own node checks (a node fed twice by one parent, ...)
        raise FormatError(f"{where}: the saved graph is not a valid gModule: {err}") from None


def _annotate(node, data):
    notes = data.get('annotations')
    if hasattr(node, 'annotate') and isinstance(notes, dict):
        node.annotate({k: v for k, v in notes.items() if k in ('name', 'description') and isinstance(v, str)})
