"""rnnlib/nn/SequenceTable.lua: ``nn.SequenceTable(dim, modules, initfun)``, a container that applies its
``modules`` one after the other along the ``dim``-th entry of its input table, each taking the state the previous
one returned and the next item of the sequence; the output is the table of every step's outputs, transposed
(``mutils.transpose``) so that ``output[d][t]`` is entry ``d`` of step ``t``.

argcheck's ``SequenceTable{dim = 2, modules = ...}`` (named) and ``SequenceTable(2, ...)`` (positional) calls are
Python keyword and positional arguments. ``dim`` is 0-based: rnnlib's ``dim = 1`` (over the hidden states,
depth) is ``dim=0``, ``dim = 2`` (over the input sequence, time) is ``dim=1``. ``#self.inputs`` as an index is
``len(self.inputs) - 1``; ``for t = #input[d], 1, -1`` is ``range(len(input[d]) - 1, -1, -1)``.
"""
import legonn as lg
from legonn import nn

from .. import mutils


# | Perform a shallow copy where only the table structure is replicated.
def _shallowcopy(tbl):
    if isinstance(tbl, dict):
        return dict(tbl)
    return list(tbl)


class SequenceTable(nn.Container):

    # | Initialize the model.
    def __init__(self, dim, modules=None, initfun=None):
        super().__init__()
        # This allows the user to manipulate the input during a forward pass.
        self.initfun = initfun
        self.modules = modules if modules is not None else self.modules
        self.dim = dim

    # | Perform a forward propagation through the SequenceTable.
    # Acts in a similar fashion as nn.Sequential but with an additional input and
    # output for each module (stored along the dim-th dimension).
    # input: a table such that `input[dim]` is a sequence.
    # output: a table of the size #input where output[dim] is a sequence of output.
    def updateOutput(self, input):
        d = self.dim
        if self.initfun:
            input = self.initfun(input, self.inputs[len(self.inputs) - 1], d)
        self.inputs = []
        self.output = []
        currentOutput = _shallowcopy(input)
        for t in range(len(input[d])):
            currentOutput[d] = input[d][t]
            self.inputs.append(currentOutput)
            currentOutput = self.modules[t].forward(currentOutput)
            self.output.append(_shallowcopy(currentOutput))
        self.output = mutils.transpose(self.output)
        return self.output

    # | Calculates the gradient with respect to the model's input.
    # Accumulates the gradients along `self.dim` and returns only the
    # final gradients for all dimension not equal to `self.dim`.
    # Again, in that respect this is very similar to a nn.Sequential's
    # backward, except that along `self.dim` the gradients are
    # accumulated into a list.
    def updateGradInput(self, input, gradOutput):
        d = self.dim
        # `transpose` creates a shallowcopy, so the gradOutput is not mutated.
        gradOutput = mutils.transpose(gradOutput)
        currentGradOutput = gradOutput[len(input[d]) - 1]
        gradInputAlongD = [None] * len(input[d])
        for t in range(len(input[d]) - 1, -1, -1):
            currentGradOutput[d] = gradOutput[t][d]
            currentGradOutput = _shallowcopy(
                self.modules[t].updateGradInput(
                    self.inputs[t], currentGradOutput)
            )
            gradInputAlongD[t] = currentGradOutput[d]
        currentGradOutput[d] = gradInputAlongD
        self.gradInput = currentGradOutput
        return self.gradInput

    # | Accumulates the gradient wrt the parameters.
    # Uses the gradInputs accumulated in :updateGradInput.
    def accGradParameters(self, input, gradOutput, scale=1):
        d = self.dim
        # `transpose` creates a shallowcopy, so the gradOutput is not mutated.
        gradOutput = mutils.transpose(gradOutput)
        currentGradOutput = gradOutput[len(input[d]) - 1]
        for t in range(len(input[d]) - 1, -1, -1):
            currentGradOutput[d] = gradOutput[t][d]
            self.modules[t].accGradParameters(
                self.inputs[t], currentGradOutput, scale)
            currentGradOutput = _shallowcopy(self.modules[t].gradInput)

    # | The backward pass rewritten here for convenience.
    def backward(self, input, gradOutput, scale=1):
        d = self.dim
        # `transpose` creates a shallowcopy, so the gradOutput is not mutated.
        gradOutput = mutils.transpose(gradOutput)
        currentGradOutput = gradOutput[len(input[d]) - 1]
        gradInputAlongD = [None] * len(input[d])
        for t in range(len(input[d]) - 1, -1, -1):
            currentGradOutput[d] = gradOutput[t][d]
            currentGradOutput = _shallowcopy(
                self.modules[t].backward(
                    self.inputs[t], currentGradOutput, scale)
            )
            gradInputAlongD[t] = currentGradOutput[d]
        currentGradOutput[d] = gradInputAlongD
        self.gradInput = currentGradOutput
        return self.gradInput


lg.register(SequenceTable, 'nn.SequenceTable')
