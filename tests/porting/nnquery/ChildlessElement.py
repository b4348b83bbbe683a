"""nnquery/ChildlessElement.lua of bshillingford/nnquery (BSD licence), ported line by line: a concrete element
with no children, using manually added parents."""
import importlib

from .ModuleElement import ModuleElement

nnquery = importlib.import_module(__package__)


class ChildlessElement(ModuleElement):
    # Returns children, in this case empty ElementList.
    def children(self):
        return nnquery.ElementList.create_empty()
