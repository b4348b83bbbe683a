"""StepGRU: one time step of a GRU (torch/rnn's nn.StepGRU)."""
import math

from ..tensor.blas_kernels import addmm_into, transpose_into
from ..tensor.introspection import typename as lua_typename
from ..tensor.recurrent_kernels import GRUBackwardSteps, GRUForwardSteps
from .base.errors import check_hyper, input_error
from .base.recurrent_step import StepRecurrent, zero_masked


class StepGRU(StepRecurrent):
    """One GRU step: input ``{x[t] (batch, inputsize), h[t-1] (batch, outputsize)}``, output h[t] ``(batch,
    outputsize)``.

    With ``weight`` ``(inputsize + outputsize, 3 outputsize)`` (columns: reset r, update u, candidate) and
    ``bias``: r, u = sigmoid(x W_x[r|u] + h[t-1] W_h[r|u] + b[r|u]), hc = tanh(x W_x[c] + (r h[t-1]) W_h[c] +
    b[c]), h[t] = (1 - u) hc + u h[t-1]: SeqGRU's maths, one step, computed by its gate kernels. ``gates`` holds
    the step's (r, u, hc) ``(batch, 3 outputsize)``. ``maskZero()`` with ``setZeroMask(mask)``: the rows marked 1
    get a zero h[t] and gates, and no gradient.
    """

    def __init__(self, inputsize, outputsize):
        super().__init__()
        check_hyper('nn.StepGRU', positive=dict(inputsize=inputsize, outputsize=outputsize))
        self.inputsize, self.outputsize = inputsize, outputsize
        D, H = inputsize, outputsize
        self.weight, self.gradWeight = self.output.new(D + H, 3 * H), self.output.new(D + H, 3 * H).zero()
        self.bias, self.gradBias = self.output.new(3 * H), self.output.new(3 * H).zero()
        self.reset()
        self.gates = self.output.new()
        self.gradInput = [self.weight.new(), self.weight.new()]

    def parameters(self):
        return [self.weight, self.bias], [self.gradWeight, self.gradBias]

    def reset(self, std=None):
        """bias zero but the update gate's entries, one; weight normal(0, 1/sqrt(outputsize + inputsize)) or
        normal(0, ``std``) (StepGRU.lua)."""
        H = self.outputsize
        self.bias.zero()
        self.bias.narrow(0, H, H).fill(1)
        self.weight.normal(0, std or 1.0 / math.sqrt(self.outputsize + self.inputsize))
        return self

    def state_widths(self):
        return (('h[t-1]', self.outputsize),)

    def updateOutput(self, input):
        x, prev_h = self._check_step(input)
        D, H, N = self.inputsize, self.outputsize, x.size(0)
        W = self.weight.array
        Wh_t = W[D:].T   # (3H, H)
        # a sequence of one step for the gate kernels: its input part (3H, 1, N), the recurrent products in gates
        projection = self.bufferLike('_projection', x, (3 * H, 1, N))
        addmm_into(projection[:, 0], W[:D].T, x.array.T, 1.0, 0.0)
        h0 = transpose_into(self.bufferLike('_h0_by_unit', x, (H, N)), prev_h.array)
        gates = self.bufferLike('_gates_by_unit', x, (1, 3 * H, N))
        addmm_into(gates[0, :2 * H], Wh_t[:2 * H], h0, 1.0, 0.0)
        hidden = self.bufferLike('_hidden_by_unit', x, (1, H, N))
        rh = self.bufferLike('_reset_hidden', x, (1, N, H))
        rows = self.bufferLike('_hidden_rows', x, (1, N, H))
        steps = GRUForwardSteps(projection, self.bias.array, gates, h0, hidden, rh, rows)
        steps.gates(0)
        addmm_into(gates[0, 2 * H:], Wh_t[2 * H:], rh[0].T, 1.0, 1.0)
        steps.candidate(0)
        keep = self._keep_rows(x)
        self._keep = keep
        self._grad_gates_for = None
        if keep is not None:
            zero_masked(rows[0], keep)
            zero_masked(gates[0], keep.T)
        self.output.resize(N, H).array[...] = rows[0]
        self.gates.resize(N, 3 * H).array[...] = gates[0].T
        return self.output

    def _check_backward(self, input, gradOutput):
        x = self._check_step(input)[0]
        N, H = x.size(0), self.outputsize
        if self.__dict__.get('_hidden_by_unit') is None or self._hidden_by_unit.size(2) != N:
            raise input_error(self, "backward after a forward of this batch", f"input of size {tuple(x.size())}")
        self.checkTensor(gradOutput, (2,), 'gradOutput', floating=True)
        if tuple(gradOutput.size()) != (N, H):
            raise input_error(self, f"gradOutput of size ({N}, {H})", f"size {tuple(gradOutput.size())}")
        self.checkSameType(gradOutput, self.weight, 'gradOutput')
        return x

    def updateGradInput(self, input, gradOutput):
        """gradInput {x, h[t-1]}; the gates' gradients are kept for accGradParameters."""
        x = self._check_backward(input, gradOutput)
        xp, D, H, N = x.xp, self.inputsize, self.outputsize, x.size(0)
        Wh = self.weight.array[D:]
        dh = transpose_into(self.bufferLike('_grad_h_by_unit', x, (H, N)), gradOutput.array)
        if self._keep is not None:
            zero_masked(dh, self._keep.T)
        drh = self.bufferLike('_grad_reset_hidden', x, (H, N))
        grad_gates = self.bufferLike('grad_gates_by_unit', x, (3 * H, 1, N))
        steps = GRUBackwardSteps(self._gates_by_unit.array, self._h0_by_unit.array, self._hidden_by_unit.array,
                                 self._hidden_rows.array, dh, drh, grad_gates)
        gg = grad_gates[:, 0]   # (3H, N)
        steps.candidate(0)
        addmm_into(drh, Wh[:, 2 * H:], gg[2 * H:], 1.0, 0.0)   # the gradient of r h[t-1]
        steps.reset(0)   # leaves dh u + drh r in dh
        addmm_into(dh, Wh[:, :2 * H], gg[:2 * H], 1.0, 1.0)
        grad_x, grad_prev_h = self.gradInput
        xp.matmul(gg.T, self.weight.array[:D].T, out=grad_x.resize(N, D).array)
        grad_prev_h.resize(N, H).array[...] = dh.T
        self._grad_gates_for = list(gradOutput) if isinstance(gradOutput, list) else gradOutput
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        """gradWeight += scale [x, h[t-1]]^T grad_gates (the candidate's recurrent rows from r h[t-1]),
        gradBias += scale (their column sums), from the last updateGradInput's gate gradients."""
        x = self._check_backward(input, gradOutput)
        D, H = self.inputsize, self.outputsize
        gg = self._gate_gradients(input, gradOutput)
        gW = self.gradWeight.array
        addmm_into(gW[:D], x.array.T, gg.T, scale, 1.0)
        addmm_into(gW[D:, :2 * H], input[1].array.T, gg[:2 * H].T, scale, 1.0)
        addmm_into(gW[D:, 2 * H:], self._reset_hidden.array[0].T, gg[2 * H:].T, scale, 1.0)
        self.gradBias.array[...] += scale * gg.sum(1)

    def clearState(self, *names):
        for t in self.gradInput:
            t.set()
        self.gates.set()
        return super().clearState('_projection', '_h0_by_unit', '_gates_by_unit', '_hidden_by_unit',
                                  '_reset_hidden', '_hidden_rows', '_grad_h_by_unit', '_grad_reset_hidden',
                                  'grad_gates_by_unit', *names)

    def __repr__(self):
        return f"{lua_typename(self)}({self.inputsize} -> {self.outputsize})"
