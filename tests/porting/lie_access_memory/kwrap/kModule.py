"""kwrap/kModule.lua: ``nn.kModule(inputs, outputs)``, a kWrap of the gModule whose input and output nodes are the
leaves of the nested maps ``inputs`` and ``outputs``."""
import legonn as lg
from legonn import nn
from legonn.pl.OrderedMap import OrderedMap

from .kWrap import kWrap

Om = OrderedMap


class kModule(kWrap):

    def __init__(self, inputs, outputs, allow_table_input=None):
        nn.Module.__init__(self)
        self.input_map = inputs
        self.output_map = outputs
        self.allow_table_input = allow_table_input
        ins = self.merge_inputs(inputs)
        outs = self.merge(outputs, outputs)
        self.mod = nn.gModule(ins, outs)


lg.register(kModule, 'nn.kModule')
