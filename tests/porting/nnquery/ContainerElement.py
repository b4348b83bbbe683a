"""nnquery/ContainerElement.lua of bshillingford/nnquery (BSD licence), ported line by line: an nn.Container's
children are its ``modules``."""
import importlib

import legonn as lg
from legonn import nn

from .ModuleElement import ModuleElement

nnquery = importlib.import_module(__package__)


class ContainerElement(ModuleElement):
    def children(self):
        wrappeds = self._ctx.wrapall(self._val.modules)
        for wrapped in wrappeds:
            wrapped._set_parents([self])
        return nnquery.ElementList.fromtable(wrappeds)

    @staticmethod
    def isContainer(m):
        return lg.isTypeOf(m, nn.Container)
