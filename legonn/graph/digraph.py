"""Graph: a directed graph of nodes, as a gModule exposes it in ``fg`` (forward) and ``bg`` (backward).

Edges point the way data flows: in ``fg`` from a node to the nodes it feeds,
in ``bg`` (``fg.reverse()``) from a node to the nodes its gradient goes to.
"""


def ancestors_in_order(outputs):
    """Every node the ``outputs`` depend on, each after all of its inputs; a ValueError names a cycle."""
    order, state = [], {}  # state: 1 = being visited (on the path), 2 = done
    for root in outputs:
        if state.get(id(root)) == 2:
            continue
        path = [(root, iter(root.inputs))]
        state[id(root)] = 1
        while path:
            node, pending = path[-1]
            nxt = next(pending, None)
            if nxt is None:
                path.pop()
                state[id(node)] = 2
                order.append(node)
            elif state.get(id(nxt)) == 1:
                cycle = [n for n, _ in path[[n for n, _ in path].index(nxt):]]
                raise ValueError("the graph has a cycle: " + ' -> '.join(n.where() for n in cycle + [nxt]))
            elif state.get(id(nxt)) is None:
                state[id(nxt)] = 1
                path.append((nxt, iter(nxt.inputs)))
    return order


class Graph:
    """``nodes`` and ``edges`` (pairs of nodes); ``backward`` tells a gradient graph from a forward one."""

    def __init__(self, nodes, edges, backward=False):
        self.nodes = list(nodes)
        self.edges = list(edges)
        self.backward = backward

    def reverse(self):
        """The same nodes with every edge turned round."""
        return Graph(self.nodes, [(b, a) for a, b in self.edges], not self.backward)

    def successors(self, node):
        return [b for a, b in self.edges if a is node]

    def roots(self):
        """Nodes no edge enters."""
        targets = {id(b) for _, b in self.edges}
        return [n for n in self.nodes if id(n) not in targets]

    def leaves(self):
        """Nodes no edge leaves."""
        sources = {id(a) for a, _ in self.edges}
        return [n for n in self.nodes if id(n) not in sources]

    def topsort(self):
        """The nodes ordered so that every edge goes forwards."""
        indegree = {id(n): 0 for n in self.nodes}
        for _, b in self.edges:
            indegree[id(b)] += 1
        ready = [n for n in self.nodes if indegree[id(n)] == 0]
        order = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for succ in self.successors(node):
                indegree[id(succ)] -= 1
                if indegree[id(succ)] == 0:
                    ready.append(succ)
        if len(order) != len(self.nodes):
            raise ValueError("the graph has a cycle")
        return order

    def todot(self, title=None, failed=None):
        """Graphviz DOT text; ``failed`` (a node) is filled red."""
        from .dot import graph_to_dot
        return graph_to_dot(self, title, failed)

    def __repr__(self):
        kind = 'backward' if self.backward else 'forward'
        return f"<{kind} graph of {len(self.nodes)} nodes, {len(self.edges)} edges>"
