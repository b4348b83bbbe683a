"""nnquery/Element.lua of bshillingford/nnquery (BSD licence), ported line by line.

Abstract base class for all elements: an interface and common functionality for search and querying. Modules are
a DAG rather than a tree (several parents, i.e. inputs); the root is where the query begins."""
import importlib
from abc import ABC, abstractmethod

nnquery = importlib.import_module(__package__)


class Element(ABC):
    # Constructor called by the execution context. ctx is a Context, val the wrapped value (usually an nn module).
    def __init__(self, ctx, val):
        assert ctx and isinstance(ctx, nnquery.Context), 'a Context ctx must be given'
        assert val is not None, 'val must be given'
        self._ctx = ctx
        self._val = val

    # Returns the object that this Element wraps.
    def val(self):
        return self._val

    # Returns true if the Element instances refer to the same element (by reference, Lua's == of tables).
    def equals(self, other):
        return self._val is other._val

    # Returns an ElementList for children of this element. Pure virtual.
    @abstractmethod
    def children(self):
        pass

    # Returns an ElementList for parents of this element. Pure virtual.
    @abstractmethod
    def parents(self):
        pass

    # Alias for parents():only().
    def parent(self):
        return self.parents().only()

    # Alias for children():nth().
    def nth_child(self, *args):
        return self.children().nth(*args)

    # Alias for children():first().
    def first_child(self):
        return self.children().first()

    # Alias for children():last().
    def last_child(self):
        return self.children().last()

    # Returns an ElementList for following siblings of this element. Raises if this element has several parents.
    def following_siblings(self):
        parents = self.parents().totable()
        if len(parents) != 1:
            raise ValueError('finds siblings only for elements with precisely one parent')
        all_siblings = parents[0].children()
        # after is exclusive, which is what we want
        return all_siblings.after(lambda el, *_: el.equals(self))

    # Returns an ElementList for preceding siblings of this element, the first child of the parent first.
    def preceding_siblings(self):
        parents = self.parents().totable()
        if len(parents) != 1:
            raise ValueError('finds siblings only for elements with precisely one parent')
        all_siblings = parents[0].children()
        # before is exclusive, which is what we want
        return all_siblings.before(lambda el, *_: el.equals(self))

    # Returns an ElementList of all descendants.
    def descendants(self):
        descs = []
        self.dfs(lambda el: descs.append(el))
        return nnquery.ElementList.fromtable(descs)

    # Returns an ElementList of all ancestors.
    def ancestors(self):
        descs = []
        self.dfs(lambda el: descs.append(el), 'parents')
        return nnquery.ElementList.fromtable(descs)

    # Recurses down the DAG below this Element in DFS order, calling the callback at each Element.
    # With children_func_name 'parents', the graph's edges are flipped.
    def dfs(self, func_visit, children_func_name=None):
        children_func_name = children_func_name or 'children'
        visited_table = {}

        def traverse(el):
            for child in getattr(el, children_func_name)().iter():
                if not visited_table.get(child.val()):
                    visited_table[child.val()] = True
                    func_visit(child)
                    traverse(child)
        traverse(self)

    def __str__(self):
        return '%s[val=%s]' % (type(self).__name__, str(self.val()))
