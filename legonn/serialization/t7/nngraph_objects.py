"""A legonn gModule as the ``nn.gModule`` object nngraph keeps, for ``save_lua`` (graph.py reads it back).

nngraph's constructor (gmodule.lua) wraps the user's nodes in a bookkeeping ``outnode`` fed by the outputs and
an ``innode`` feeding the inputs (through one ``split`` of select nodes when there are several); the user's
nodes, which point to their inputs, are the backward graph ``bg = outnode:graph()`` (a breadth-first walk),
``fg = bg:reverse()`` holds new nodes sharing the same ``data`` tables, and ``forwardnodes`` /
``backwardnodes`` are the two graphs' topological sorts (graph's init.lua). The node ids, the order of
``modules`` and of every table here come from replaying those steps, so Torch7 reads the object as if its
own constructor had made it, and ``forward``, ``backward``, ``:type()``, ``:parameters()`` and ``graph.dot``
find every field they read: each node's ``data`` holds ``module`` (or ``nSplitOutputs`` / ``selectindex``),
``annotations``, ``mapindex`` (the inputs' data in order, and each input's data -> its position),
``reverseMap`` (the nodes fed) and ``forwardNodeId``; every graph node its ``id``, ``children`` (list and
child -> position) and the ``visited`` / ``marked`` flags its walks leave false. The inputs' tables
(``data.input``) are as the constructor leaves them: empty where it makes one, absent elsewhere.
"""
from .reader import LuaTable, TorchObject


def _insert(table, value):
    """``table.insert(t, v); t[v] = #t``: graph.lua's and node.lua's tables of a list and each entry's
    position (every entry is such a pair, so the list has half the keys)."""
    position = len(table) // 2 + 1
    table[position] = value
    table[value] = position


def _children(node):
    table = node['children']
    return [table[i] for i in range(1, len(table) // 2 + 1)]


def _node(data):
    """graph.Node's constructor (nngraph.Node's adds to ``data`` only what it lacks; ours has it all)."""
    node = TorchObject('nngraph.Node', 1)
    node.update({'data': data, 'id': 0, 'children': LuaTable(), 'visited': False, 'marked': False})
    return node


def _data(label, **fields):
    """A node's data table, in the order nngraph.Node's constructor fills it."""
    data = LuaTable(fields)
    data.update({'annotations': LuaTable(label), 'mapindex': LuaTable(), 'reverseMap': LuaTable()})
    return data


def _feed(node, source):
    """nngraph.Node:add(source, true): ``source`` becomes ``node``'s next input."""
    if source not in node['children']:
        _insert(node['children'], source)
    _insert(node['data']['mapindex'], source['data'])
    source['data']['reverseMap'][node] = True


class _Graph:
    """graph.Graph: its nodes and edges, each table a list with every entry's position."""

    def __init__(self):
        self.obj = TorchObject('graph.Graph', 1)
        self.obj.update({'nodes': LuaTable(), 'edges': LuaTable()})
        self.pairs = []   # (from, to) of each edge, in order
        self.origin = {}  # id(node) -> the node it copies, for a graph made by reverse()

    def add(self, source, target):
        """Graph:add(graph.Edge(source, target)): numbers the nodes by their first appearance."""
        edge = TorchObject('graph.Edge', 1)
        edge.update({'from': source, 'to': target})
        _insert(self.obj['edges'], edge)
        nodes = self.obj['nodes']
        for node in (source, target):
            if node not in nodes:
                _insert(nodes, node)
        if target not in source['children']:
            _insert(source['children'], target)
        source['id'], target['id'] = nodes[source], nodes[target]
        self.pairs.append((source, target))

    def reverse(self):
        """Graph:reverse(): new nodes sharing the data, every edge turned round. Returns it and
        {id(node): its new node}; the new graph's ``origin`` maps back."""
        reversed_, made = _Graph(), {}
        for source, target in self.pairs:
            for node in (source, target):
                if id(node) not in made:
                    made[id(node)] = _node(node['data'])
                    reversed_.origin[id(made[id(node)])] = node
            reversed_.add(made[id(target)], made[id(source)])
        return reversed_, made

    def roots(self):
        """Nodes that edges leave and none enters, in the order of ``nodes``."""
        targets = {id(t) for _, t in self.pairs}
        roots, seen = [], set()
        for source, _ in self.pairs:
            if id(source) not in targets and id(source) not in seen:
                seen.add(id(source))
                roots.append(source)
        nodes = self.obj['nodes']
        return sorted(roots, key=lambda n: nodes[n])

    def topsort(self):
        """Graph:topsort(): the depth-first post-order of the reversed graph from its roots (under a dummy
        root when there are several), mapped back to this graph's nodes."""
        reversed_, _ = self.reverse()
        roots = reversed_.roots()
        if len(roots) > 1:
            root = _node('dummy_root')
            for r in roots:
                _insert(root['children'], r)
        else:
            root = roots[0]
        order, visited = [], {id(root)}
        stack = [(root, iter(_children(root)))]
        while stack:   # Node:visit's recursion, kept off Python's stack for deep graphs
            node, pending = stack[-1]
            child = next(pending, None)
            if child is None:
                stack.pop()
                if id(node) in reversed_.origin:   # not the dummy root
                    order.append(reversed_.origin[id(node)])
            elif id(child) not in visited:
                visited.add(id(child))
                stack.append((child, iter(_children(child))))
        return order


def _breadth_first(root):
    """Node:graph(): the graph of the edges from each node to its children, walked breadth first from ``root``."""
    graph, queue, marked = _Graph(), [root], {id(root)}
    while queue:
        node = queue.pop(0)
        for child in _children(node):
            graph.add(node, child)
            if id(child) not in marked:
                marked.add(id(child))
                queue.append(child)
    return graph


def _label(node):
    """The annotations nngraph keeps of a legonn node: all but legonn's own ``_splitOf`` (the node split, which
    nngraph finds through ``mapindex``)."""
    return {k: v for k, v in node.annotations.items() if k != '_splitOf'}


def fill_gmodule(module, obj, module_object, where):
    """Fill ``obj`` (the nn.gModule TorchObject of the legonn gModule ``module``) as gmodule.lua's constructor
    does; ``module_object(m, where)`` gives the TorchObject of each node's module."""
    made = {}   # id(legonn node) -> nngraph.Node of the backward graph (the user's nodes in nngraph)
    for node in module.forwardnodes:
        if node.selectindex is not None:
            data = _data(_label(node), selectindex=node.selectindex + 1, input=LuaTable())
        elif node.nSplitOutputs is not None:
            data = _data(_label(node), nSplitOutputs=node.nSplitOutputs)
        else:
            data = _data(_label(node), module=node.module)   # its TorchObject once the modules are numbered
        made[id(node)] = _node(data)
        for source in node.inputs:
            _feed(made[id(node)], made[id(source)])
    outnode = _node(_data(_label(module.outnode), input=LuaTable()))
    for node in module.outputnodes:
        _feed(outnode, made[id(node)])
    label = _label(module.innode)
    innode = _node(_data(label, input=LuaTable()))
    inputs = [made[id(n)] for n in module.inputnodes]
    if len(inputs) == 1:
        _feed(inputs[0], innode)
    else:   # node.lua's split: one node of nSplitOutputs, then a select node per input
        debug = label.get('_debugLabel', '')
        split = _node(_data({'_debugLabel': f"{debug} split at [gModule]-mnode"}, nSplitOutputs=len(inputs)))
        _feed(split, innode)
        for i, node in enumerate(inputs):
            select = _node(_data({'_debugLabel': f"{debug}-{i + 1}"}, selectindex=i + 1, input=LuaTable()))
            _feed(select, split)
            _feed(node, select)
    bg = _breadth_first(outnode)
    fg, forward_of = bg.reverse()
    forwardnodes, backwardnodes = fg.topsort(), bg.topsort()
    modules = []
    for node in forwardnodes:
        data = node['data']
        data['forwardNodeId'] = node['id']
        if data.get('module') is not None:
            data['module'] = module_object(data['module'], f"{where}.modules[{len(modules)}]")
            modules.append(data['module'])
    obj['modules'] = modules
    obj['outnode'] = outnode
    obj['verbose'] = False
    obj['nInputs'] = len(inputs)
    obj['bg'], obj['fg'] = bg.obj, fg.obj
    obj['innode'] = forward_of[id(innode)]
    obj['forwardnodes'], obj['backwardnodes'] = forwardnodes, backwardnodes
    # gmodule.lua leaves output and gradInput nil, except that several outputs are the outnode's input table
    if len(module.outputnodes) > 1:
        obj['output'] = outnode['data']['input']
    if isinstance(getattr(module, 'name', None), str):
        obj['name'] = module.name   # gModule:__tostring__ prints it
