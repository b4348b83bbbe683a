"""FunctionWrapper: nnx's module made of user functions (nnx's FunctionWrapper.lua)."""
from ..tensor import Tensor
from .base.module import Module


class FunctionWrapper(Module):
    """``FunctionWrapper(init, updateOutput, updateGradInput)``: ``init(self)`` runs once at construction;
    ``output = updateOutput(self, input)`` and ``gradInput = updateGradInput(self, input, gradOutput)`` (each
    called with the module, as Lua's ``self``). No parameters; the functions decide what input they take."""

    input_dtypes = 'any'   # the user's functions check what they take

    def __init__(self, init, updateOutput, updateGradInput):
        super().__init__()
        for name, fn in (('init', init), ('updateOutput', updateOutput), ('updateGradInput', updateGradInput)):
            if not callable(fn):
                raise TypeError(f"FunctionWrapper: expected a function for {name}, got {type(fn).__name__}")
        init(self)
        self.fn_updateOutput, self.fn_updateGradInput = updateOutput, updateGradInput

    def updateOutput(self, input):
        self.output = self.fn_updateOutput(self, input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        if isinstance(self.output, Tensor) and self.output.nElement():
            # whatever the functions compute, a gradOutput must be shaped like the output it belongs to
            self.checkGradOutput(gradOutput, self.output)
        self.gradInput = self.fn_updateGradInput(self, input, gradOutput)
        return self.gradInput
