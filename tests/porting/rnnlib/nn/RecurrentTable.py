"""rnnlib/nn/RecurrentTable.lua: ``nn.RecurrentTable(dim, module, initfun, sharedfields)``, a SequenceTable whose
steps are clones of one ``module`` sharing its ``sharedfields`` (weight, gradWeight, bias, gradBias), made as the
input sequence needs them (``extend``). Its parameters, updateParameters, zeroGradParameters and apply act on the
first module only.

``dim`` is 0-based as SequenceTable's. ``table.unpack(self.sharedfields)`` is ``*self.sharedfields``;
``for t = #self.modules, 2, -1 do self.modules[t] = nil end`` keeps the first module: ``del self.modules[1:]``.
"""
import legonn as lg

from .SequenceTable import SequenceTable


class RecurrentTable(SequenceTable):

    # | Initialize the model.
    # `sharedfields` gives a table that must be unpacked for weight sharing.
    def __init__(self, dim, module, initfun=None, sharedfields=None):
        super().__init__(dim, [module], initfun)
        self.sharedfields = sharedfields if sharedfields is not None else [
            'weight', 'gradWeight',
            'bias', 'gradBias',
        ]

    def add(self, *args):
        raise RuntimeError('Cannot add module to RecurrentTable')

    # | Unroll the core model (the column model)
    # to create an RNN. We unroll until self.modules is of length `size`.
    # This is lazy and does *not* reclone.
    def extend(self, size):
        assert self.modules and len(self.modules) >= 1
        assert self.sharedfields
        for t in range(len(self.modules), size):
            self.modules.append(self.modules[0].clone(*self.sharedfields))

    # Forcibly resize an RNN to `size` timesteps.
    # This deletes all the previous clones.
    # Please invoke the garbage collector after calling this method.
    def resize(self, size):
        assert self.modules and len(self.modules) >= 1
        assert self.sharedfields
        del self.modules[1:]
        self.extend(size)

    # | Apply a function to the main module.
    # This does not overload the :applyToModules() function so stuff like
    # :training() and :evaluate() are not changed.
    def apply(self, fun):
        assert self.modules and len(self.modules) >= 1
        # The function is only applied to the original module.
        # This prevents strange things from happening with functions that are
        # not idempotent.
        self.modules[0].apply(fun)

    # | Return the parameters from the only module in the container.
    def parameters(self):
        assert self.modules and len(self.modules) >= 1
        return self.modules[0].parameters()

    # | :getParameters() makes all clones point to an invalid region in memory,
    # so all clones *must be re-cloned*.
    def getParameters(self):
        w, dw = self.modules[0].getParameters()
        # Recall the resize removes all clones and reclones.
        self.resize(len(self.modules))
        return w, dw

    def updateParameters(self, lr):
        assert self.modules and len(self.modules) >= 1
        assert lr >= 0
        self.modules[0].updateParameters(lr)

    def zeroGradParameters(self):
        assert self.modules and len(self.modules) >= 1
        self.modules[0].zeroGradParameters()

    # | Replicates the core module until it is long enough and then performs the
    # forward propagation using SequenceTable's updateOutput.
    def updateOutput(self, input):
        # wrap singleton dimensions
        if lg.isTensor(input[self.dim]):
            input[self.dim] = [input[self.dim]]
        self.extend(len(input[self.dim]))
        return super().updateOutput(input)


lg.register(RecurrentTable, 'nn.RecurrentTable')
