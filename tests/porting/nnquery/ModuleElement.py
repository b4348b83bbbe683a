"""nnquery/ModuleElement.lua of bshillingford/nnquery (BSD licence), ported line by line: abstract class adding
manual parent tracking to Element, for nn modules."""
import importlib

from .Element import Element

nnquery = importlib.import_module(__package__)


class ModuleElement(Element):
    def __init__(self, *args):
        super().__init__(*args)
        self._parents = []

    # Returns an ElementList for parents of this element (set by _set_parents).
    def parents(self):
        return nnquery.ElementList.fromtable(self._parents)

    # Sets parent, intended to be used by ContainerElement only.
    def _set_parents(self, parents):
        self._parents = parents
