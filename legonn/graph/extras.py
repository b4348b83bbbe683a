"""nngraph's helper modules: JustElement, JustTable and ModuleFromCriterion."""
from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..tensor.introspection import typename as lua_typename


class JustElement(Module):
    """Unwraps a table of one element: input ``[x]``, output ``x`` (what ``node.split(1)`` uses)."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def updateOutput(self, input):
        if not isinstance(input, (list, tuple)) or len(input) != 1:
            got = f"a list of {len(input)}" if isinstance(input, (list, tuple)) else type(input).__name__
            raise input_error(self, "a table (list) of one element", got, TypeError)
        self.output = input[0]
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkGradTree(gradOutput, input[0] if isinstance(input, (list, tuple)) and input else input)
        self.gradInput = [gradOutput]
        return self.gradInput

    def clearState(self):
        # output is the caller's tensor: forget it, never empty it
        self.output, self.gradInput = self.output.new() if hasattr(self.output, 'new') else [], []
        return self


class JustTable(Module):
    """Wraps its input in a table: input ``x``, output ``[x]``."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def updateOutput(self, input):
        self.output = [input]
        return self.output

    def updateGradInput(self, input, gradOutput):
        if not isinstance(gradOutput, (list, tuple)) or len(gradOutput) != 1:
            got = f"a list of {len(gradOutput)}" if isinstance(gradOutput, (list, tuple)) else \
                type(gradOutput).__name__
            raise input_error(self, "a gradOutput table (list) of one element", got, TypeError)
        self.checkGradTree(gradOutput[0], input)
        self.gradInput = gradOutput[0]
        return self.gradInput

    def clearState(self):
        self.output = []
        self.gradInput = self.gradInput.new() if hasattr(self.gradInput, 'new') else []
        return self


def _scaled_copy(buffer, grad, factor):
    """``grad * factor`` written into ``buffer`` (a tensor, or a list for table gradients)."""
    if isinstance(grad, (list, tuple)):
        buffer = buffer if isinstance(buffer, list) and len(buffer) == len(grad) else [None] * len(grad)
        return [_scaled_copy(b, g, factor) for b, g in zip(buffer, grad)]
    if type(buffer) is not type(grad):
        buffer = grad.new()
    grad.xp.multiply(grad.array, factor, out=buffer.resizeAs(grad).array)
    return buffer


class ModuleFromCriterion(Module):
    """A criterion as a module: input ``[prediction, target]``, output a 1-element tensor, the loss.

    The gradient flows to the prediction (times the 1-element gradOutput); the
    target's gradient is zero. ``criterion(node_a, node_b)`` builds one.
    """
    input_dtypes = 'any'  # the table carries targets (labels may be integers)

    def __init__(self, criterion):
        super().__init__()
        self.criterion = criterion
        self.gradInput = [self.output.new(), self.output.new()]

    def _split(self, input):
        if not isinstance(input, (list, tuple)) or len(input) != 2:
            got = f"a list of {len(input)}" if isinstance(input, (list, tuple)) else type(input).__name__
            raise input_error(self, "a table (list) [prediction, target]", got, TypeError)
        return input

    def updateOutput(self, input):
        prediction, target = self._split(input)
        loss = self.criterion.updateOutput(prediction, target)
        reference = prediction[0] if isinstance(prediction, (list, tuple)) else prediction
        self.bufferLike('output', reference, (1,))[0] = loss
        return self.output

    def updateGradInput(self, input, gradOutput):
        prediction, target = self._split(input)
        grad = self.criterion.updateGradInput(prediction, target)
        factor = gradOutput.array.reshape(-1)[0] if hasattr(gradOutput, 'array') else gradOutput
        self.gradInput[0] = _scaled_copy(self.gradInput[0], grad, factor)
        zero = self.gradInput[1] if type(self.gradInput[1]) is type(target) else target.new()
        self.gradInput[1] = zero.resizeAs(target).zero()
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.criterion!r})"
