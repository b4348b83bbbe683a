"""Parallel: child i gets slice i of the input along ``inputDimension``; the
outputs are joined along ``outputDimension`` (both 0-based)."""
from ..modules.base.errors import input_error
from .concat import branch_repr, joined_size
from .container import Container


class Parallel(Container):
    """output = cat_i child_i(input.select(inputDimension, i)) along ``outputDimension``.

    The input has at most one slice per child along ``inputDimension`` (Torch7 uses the
    first children when it has fewer).
    """
    any_device = False  # it reshapes/slices the input itself, so it checks the device first

    def __init__(self, inputDimension=None, outputDimension=None):
        # Parallel.lua stores the dimensions as given, nil included: stanfordnlp/treelstm builds nn.Parallel()
        # only to hold two models for getParameters (module.md's listModules example, only to print it)
        super().__init__()
        self.inputDimension, self.outputDimension = inputDimension, outputDimension

    def _slices(self, input):
        if self.inputDimension is None or self.outputDimension is None:
            raise input_error(self, "an inputDimension and an outputDimension to run (nn.Parallel(inDim, outDim))",
                              f"nn.Parallel({self.inputDimension}, {self.outputDimension})", TypeError)
        self.checkTensor(input)
        d = self.inputDimension + input.dim() if self.inputDimension < 0 else self.inputDimension
        if not 0 <= d < input.dim():
            raise input_error(self, f"an input with a dimension {self.inputDimension}", f"{input.dim()}-D input")
        n = input.size(d)
        if n > len(self.modules) or n == 0:
            raise input_error(self, f"between 1 and {len(self.modules)} slices (one per child) along dimension {d}",
                              f"{n} slices (input of size {tuple(input.size())})")
        return [input.select(d, i) for i in range(n)], d

    def updateOutput(self, input):
        slices, _ = self._slices(input)
        outs = [self.run_child(i, 'updateOutput', x) for i, x in enumerate(slices)]
        od, sizes = joined_size(self, outs, self.outputDimension)
        self.bufferLike('output', outs[0], sizes)
        offset = 0
        for o in outs:
            self.output.narrow(od, offset, o.size(od)).array[...] = o.array
            offset += o.size(od)
        return self.output

    def _windows(self, input, gradOutput):
        slices, d = self._slices(input)
        od, sizes = joined_size(self, [self.modules[i].output for i in range(len(slices))], self.outputDimension)
        self.checkSize(gradOutput, sizes)
        windows, offset = [], 0
        for i in range(len(slices)):
            n = self.modules[i].output.size(od)
            windows.append(gradOutput.narrow(od, offset, n))
            offset += n
        return slices, d, windows

    def updateGradInput(self, input, gradOutput):
        slices, d, windows = self._windows(input, gradOutput)
        grads = [self.run_child(i, 'updateGradInput', x, w) for i, (x, w) in enumerate(zip(slices, windows))]
        self.bufferLike('gradInput', input)
        for i, g in enumerate(grads):
            self.gradInput.select(d, i).array[...] = g.array
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        slices, _, windows = self._windows(input, gradOutput)
        for i, (x, w) in enumerate(zip(slices, windows)):
            self.run_child(i, 'accGradParameters', x, w, scale)

    def __repr__(self):
        return branch_repr(self)
