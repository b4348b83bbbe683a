"""layers/InvNormalize.lua: ``InvNormalize(p, eps)(t)``, t a nonnegative matrix (batch_size, mem_length): 1/(t + eps)^p
with each row L1 normalized. ``p or 1`` is ``p if p is not None else 1`` (the Lua keeps a p of 0)."""
import math

import legonn as lg
from legonn import nn

from ._or import _or


class InvNormalize(nn.Module):
    """InvNormalize(p, eps)(t)
    where t is a nonegative matrix of size (batch_size, mem_length)
    computes 1/(t + eps)^p with each row L1 normalized"""

    def __init__(self, p=None, eps=None):
        super().__init__()
        self.p = p if p is not None else 1
        self.eps = eps if eps is not None else 1e-10

    def updateOutput(self, input):
        # row_min_raw = min(input, 2); row_min_over_raw = row_min_raw / input; row_sum = sum(row_min_over_raw, 2);
        # output = row_min_over_raw / row_sum
        self.row_min_raw = _or(getattr(self, 'row_min', None), input.new())  # a_min in notes
        self.row_min_over_raw = _or(getattr(self, 'row_min_over_raw', None), input.new())  # v in notes
        self.row_sum = _or(getattr(self, 'row_sum', None), input.new())  # U in notes

        # row_min has size (batch_size, 1)
        self.row_min_raw.resize(input.size(0), 1).min(input, 1)
        self.row_min_raw.add(self.eps)
        # row_min_over_raw has size (batch_size, mem_length)
        self.row_min_over_raw.resizeAs(input)
        self.row_min_over_raw.copy(self.row_min_raw.expandAs(input))
        input.add(self.eps)

        self.row_min_over_raw.cdiv(input)

        input.add(-self.eps)

        self.row_min_over_raw.pow(self.p)

        # row_sum has size (batch_size, 1)
        self.row_sum.resize(input.size(0), 1).norm(self.row_min_over_raw, 1, 1)

        # output has size (batch_size, mem_length)
        self.output.resizeAs(input).copy(self.row_min_over_raw)
        self.output.cdiv(self.row_sum.expandAs(input))

        self.backward_ready = True
        return self.output

    def updateGradInput(self, input, gradOutput):
        # gradInput = (v.dot(H - H^T) / a_min) * v^2 / U^2
        assert self.backward_ready
        self.gradInput = self.gradInput if self.gradInput is not None else input.new()
        self.w = _or(getattr(self, 'w', None), input.new())

        batch_size = input.size(0)
        M = gradOutput.size(1)
        g = gradOutput.view(batch_size, 1, M)
        self.w.resize(batch_size, 1, 1)
        self.w.bmm(g, self.output.view(batch_size, M, 1))
        self.w = self.w.view(batch_size, 1)

        self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        self.gradInput.csub(self.w.expandAs(input))
        # this destroys row_min_over_raw, but we can just retrieve it from input if necessary
        # a p of 0 (test_layers.lua draws torch.random() % 4): Lua's (p+1)/p is inf, Python's a ZeroDivisionError
        self.row_min_over_raw.pow((self.p + 1) / self.p if self.p != 0 else math.inf)
        self.gradInput.cmul(self.row_min_over_raw)
        self.gradInput.mul(-self.p)
        # this destroys row_min_raw
        self.gradInput.cdiv(self.row_min_raw.cmul(self.row_sum).expandAs(input))

        self.backward_ready = False
        return self.gradInput


lg.register(InvNormalize, 'nn.InvNormalize')
