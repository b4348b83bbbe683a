"""A tensor's ``nn`` table: the C functions that Torch7 packages of the first nn era (stnbhwd, densecap's
BatchBilinearSamplerBHWD.lua) register on every tensor type's metatable and call from Lua as
``inputImages.nn.BilinearSamplerBHWD_updateOutput(self, inputImages, grids, self.output)``.

legonn's modules register the functions they implement (``nn_table.register``); ``x.nn`` is this one table
for every tensor type, and each function works on the device of the tensors it is given. The arguments are the
C function's: ``self`` first (the calling module, which the C functions of these packages never read), then the
tensors, results written into the tensors the caller made, as in C.

``x.THNN`` is the same kind of table for torch/nn's THNN.lua kernels, which nn's own Lua modules and user modules
copied from them call as ``input.THNN.SoftMax_updateOutput(input:cdata(), self.output:cdata())`` (HieCoAttenVQA's
maskSoftmax.lua): THNN.lua binds each function with its ``state`` argument already given, so the arguments are
the tensors (``x.cdata()`` is the tensor itself) and the numbers of lib/THNN/generic/THNN.h, in its order.
"""


class NNTable:
    """Functions by name; reading a name that no legonn module registered raises an AttributeError naming it
    and those that exist."""

    def __init__(self, label):
        self._label = label
        self._functions = {}

    def register(self, function):
        """Add ``function`` under its ``__name__``; returns it (a decorator)."""
        self._functions[function.__name__] = function
        return function

    def __getattr__(self, name):
        functions = self.__dict__['_functions']
        if name not in functions:
            raise AttributeError(f"tensor.{self.__dict__['_label']}: no C function {name!r} in legonn (it has "
                                 f"{sorted(functions)}); call the legonn module's updateOutput/updateGradInput "
                                 f"instead")
        return functions[name]

    def __dir__(self):
        return sorted(self._functions)

    def __repr__(self):
        return f"<tensor.{self._label} table: {', '.join(sorted(self._functions))}>"


nn_table = NNTable('nn')
thnn_table = NNTable('THNN')
