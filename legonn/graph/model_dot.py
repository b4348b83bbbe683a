"""DOT text for any module tree, not only gModules (what optimize-net's ``graphgen`` drew for Torch7).

A leaf module is a box showing its path in the tree, its repr and, after a
forward, its output size. Containers are labelled clusters: Sequential is a
chain; Concat, DepthConcat, Parallel and ConcatTable fan the input out to
their children and join the results in a small node naming the join;
ParallelTable and MapTable send entry ``[i]`` of the table to child ``i``;
decorators and Bottle wrap their child; a gModule's nodes are drawn inline,
edge for edge. ``dot(model, title, path)`` renders it like a graph.
"""
from ..containers.concat import Concat
from ..containers.parallel import Parallel
from ..containers.sequential import Sequential
from ..containers.tables import ConcatTable, _EntryWise
from ..modules.base.module import Module
from .dot import LABEL_FONT, _quote, _shape
from .gmodule import gModule


class _DotWriter:
    """Collects nodes, clusters and edges while walking the tree."""

    def __init__(self):
        self.lines, self.edges, self.count = [], [], 0

    def node(self, label, **attrs):
        self.count += 1
        name = f"m{self.count}"
        attrs['label'] = label + '\n'  # the last line left-justified too
        self.lines.append(f"{name}[{', '.join(f'{k}={_quote(v)}' for k, v in attrs.items())}];")
        return name

    def edge(self, a, b, label=None):
        self.edges.append(f"{a} -> {b}" + (f" [label={_quote(label)}]" if label else '') + ';')

    def module(self, m, path, entries):
        """Draw ``m`` (named ``path``) fed by the node names ``entries``; returns the names of its exits."""
        if isinstance(m, gModule):
            return self._cluster(m, path, lambda: self._graph(m, path, entries))
        if isinstance(m, Sequential):
            return self._cluster(m, path, lambda: self._chain(m, path, entries))
        if isinstance(m, _EntryWise):
            return self._cluster(m, path, lambda: self._fan(m, path, entries, per_entry=True))
        if isinstance(m, (Concat, ConcatTable, Parallel)):
            return self._cluster(m, path, lambda: self._fan(m, path, entries))
        if m.children():  # decorators, Bottle and any other wrapper: the children in a chain
            return self._cluster(m, path, lambda: self._chain(m, path, entries))
        label = f"{path}\n{_first_line(m)}" + _output_line(m)
        name = self.node(label, shape='box')
        for e in entries:
            self.edge(e, name)
        return [name]

    def _cluster(self, m, path, draw):
        self.count += 1
        self.lines.append(f"subgraph cluster_{self.count} {{")
        kind = _first_line(m).rstrip(' {')
        head = path if kind == f"nn.{path}" else f"{path}  {kind}"
        self.lines.append(f"label={_quote(head + _output_line(m))};")
        exits = draw()
        self.lines.append('}')
        return exits

    def _chain(self, m, path, entries):
        for i, child in enumerate(m.children()):
            entries = self.module(child, f"{path}[{i}]", entries)
        return entries

    def _fan(self, m, path, entries, per_entry=False):
        join = self.node(f"{type(m).__name__} join" + _output_line(m), shape='box', style='rounded,filled',
                         fillcolor='lightgrey')
        for i, child in enumerate(m.children()):
            if per_entry:
                split = self.node(f"[{i}]", shape='plaintext')
                for e in entries:
                    self.edge(e, split)
                exits = self.module(child, f"{path}[{i}]", [split])
            else:
                exits = self.module(child, f"{path}[{i}]", entries)
            for x in exits:
                self.edge(x, join)
        return [join]

    def _graph(self, g, path, entries):
        """A gModule's nodes: module nodes drawn as modules, bookkeeping nodes (inputs, selects) as ovals."""
        exits = {}
        for node in g.forwardnodes:
            feeds = [x for parent in node.inputs for x in exits[id(parent)]] or entries
            step = f"{path}.{node.graphNodeName()}"
            if node.module is not None:
                exits[id(node)] = self.module(node.module, step, feeds)
            else:
                name = self.node(f"{node.graphNodeName()}\n{node.kind()}", shape='ellipse')
                for f in feeds:
                    self.edge(f, name)
                exits[id(node)] = [name]
        return [x for n in g.outputnodes for x in exits[id(n)]]


def _first_line(m):
    return repr(m).split('\n', 1)[0]


def _output_line(m):
    """'output = FloatTensor[4x10]' once a forward has filled ``m.output``; '' before."""
    output = getattr(m, 'output', None)
    leaves = output if isinstance(output, (list, tuple)) else [output]
    if not any(getattr(t, 'nElement', lambda: 0)() for t in leaves):
        return ''
    return f"\noutput = {_shape(output)}"


def model_to_dot(model, title=None):
    """DOT text drawing the module tree ``model`` from an input node to an output node."""
    if not isinstance(model, Module):
        raise TypeError(f"graph.model_to_dot: expected an nn module, got {type(model).__name__}")
    writer = _DotWriter()
    start = writer.node('input', shape='ellipse')
    exits = writer.module(model, type(model).__name__, [start])
    end = writer.node('output', shape='ellipse')
    for x in exits:
        writer.edge(x, end)
    font = f'fontname="{LABEL_FONT}", fontsize=10'
    head = ['digraph G {', f'graph [{font}];', f'node [{font}, margin="0.2,0.06"];']
    if title:
        head.append(f'labelloc="t";\nlabel={_quote(title)};')
    return '\n'.join(head + writer.lines + writer.edges + ['}']) + '\n'
