"""StepLSTM: one time step of an LSTM, with an optional output projection (torch/rnn's nn.StepLSTM)."""
import math

from ..tensor.blas_kernels import addmm_into, transpose_into
from ..tensor.introspection import typename as lua_typename
from ..tensor.recurrent_kernels import LSTMBackwardSteps, LSTMForwardSteps
from .base.errors import check_hyper, input_error
from .base.recurrent_step import StepRecurrent, zero_masked


class StepLSTM(StepRecurrent):
    """One LSTM step: input ``{x[t] (batch, inputsize), h[t-1] (batch, outputsize), c[t-1] (batch, hiddensize)}``,
    output ``{h[t] (batch, outputsize), c[t] (batch, hiddensize)}``.

    With [x, h[t-1]] @ weight + bias = (a_i, a_f, a_o, a_g) (``weight`` ``(inputsize + outputsize, 4 hiddensize)``):
    i, f, o = sigmoid(a_i, a_f, a_o), g = tanh(a_g), c[t] = f c[t-1] + i g, and h[t] = o tanh(c[t]); with
    ``StepLSTM(inputsize, hiddensize, outputsize)`` (an LSTMP) that product, ``hidden`` ``(batch, hiddensize)``,
    is projected: h[t] = hidden @ weightO (``weightO`` ``(hiddensize, outputsize)``). SeqLSTM's and SeqLSTMP's
    maths, one step, computed by their gate kernels; ``gates`` holds the step's activations ``(batch,
    4 hiddensize)`` (i, f, o, g). ``maskZero()`` with ``setZeroMask(mask)``: the rows marked 1 get zero h[t],
    c[t] and gates, and no gradient.
    """

    def __init__(self, inputsize, hiddensize, outputsize=None):
        super().__init__()
        projected = outputsize is not None
        outputsize = outputsize if projected else hiddensize
        check_hyper('nn.StepLSTM', positive=dict(inputsize=inputsize, hiddensize=hiddensize, outputsize=outputsize))
        self.inputsize, self.hiddensize, self.outputsize = inputsize, hiddensize, outputsize
        D, H, R = inputsize, hiddensize, outputsize
        self.weight, self.gradWeight = self.output.new(D + R, 4 * H), self.output.new(D + R, 4 * H).zero()
        self.bias, self.gradBias = self.output.new(4 * H), self.output.new(4 * H).zero()
        self.weightO = self.output.new(H, R) if projected else None
        self.gradWeightO = self.output.new(H, R).zero() if projected else None
        self.reset()
        self.gates = self.output.new()
        self.output = [self.weight.new(), self.weight.new()]
        self.gradInput = [self.weight.new(), self.weight.new(), self.weight.new()]

    def parameters(self):
        if self.weightO is None:
            return [self.weight, self.bias], [self.gradWeight, self.gradBias]
        return [self.weight, self.bias, self.weightO], [self.gradWeight, self.gradBias, self.gradWeightO]

    def reset(self, std=None):
        """bias zero but entries outputsize to 2 outputsize, one (StepLSTM.lua counts the forget gate's place in
        outputsize units, as SeqLSTMP.lua); weight normal(0, 1/sqrt(hiddensize + inputsize)), weightO normal(0,
        1/sqrt(outputsize + hiddensize)), or both normal(0, ``std``)."""
        R = self.outputsize
        self.bias.zero()
        self.bias.narrow(0, R, R).fill(1)
        self.weight.normal(0, std or 1.0 / math.sqrt(self.hiddensize + self.inputsize))
        if self.weightO is not None:
            self.weightO.normal(0, std or 1.0 / math.sqrt(self.outputsize + self.hiddensize))
        return self

    def state_widths(self):
        return (('h[t-1]', self.outputsize), ('c[t-1]', self.hiddensize))

    def updateOutput(self, input):
        x, prev_h, prev_c = self._check_step(input)
        xp, D, H = x.xp, self.inputsize, self.hiddensize
        N = x.size(0)
        W = self.weight.array
        # a sequence of one step for the gate kernel: its input part (4H, 1, N), the recurrent product in gates
        projection = self.bufferLike('_projection', x, (4 * H, 1, N))
        addmm_into(projection[:, 0], W[:D].T, x.array.T, 1.0, 0.0)
        gates = self.bufferLike('_gates_by_unit', x, (1, 4 * H, N))
        addmm_into(gates[0], W[D:].T, prev_h.array.T, 1.0, 0.0)
        c0 = transpose_into(self.bufferLike('_cell0', x, (H, N)), prev_c.array)
        cell = self.bufferLike('_cell', x, (1, H, N))
        tanh_c = self.bufferLike('_tanh_cell', x, (1, H, N))
        by_unit = self.bufferLike('_hidden_by_unit', x, (1, H, N))
        hidden = self.bufferLike('_hidden_rows', x, (1, N, H))
        LSTMForwardSteps(projection, self.bias.array, gates, c0, cell, tanh_c, by_unit, hidden).step(0)
        next_h, next_c = self.output
        next_c.resize(N, H).array[...] = cell[0].T
        if self.weightO is None:
            next_h.resize(N, H).array[...] = hidden[0]
        else:
            xp.matmul(hidden[0], self.weightO.array, out=next_h.resize(N, self.outputsize).array)
        keep = self._keep_rows(x)
        self._keep = keep
        self._grad_gates_for = None
        if keep is not None:
            # zero gates make the step's gradient zero for those rows (StepLSTM.lua zeroes them too)
            for arr in (next_h.array, next_c.array, hidden[0]):
                zero_masked(arr, keep)
            zero_masked(gates[0], keep.T)
        self.gates.resize(N, 4 * H).array[...] = gates[0].T
        self.hidden = self._hidden_rows.select(0, 0)   # Lua's hidden: (batch, hiddensize)
        return self.output

    def _check_backward(self, input, gradOutput):
        x = self._check_step(input)[0]
        N = x.size(0)
        if self.__dict__.get('_cell') is None or self._cell.size(2) != N:
            raise input_error(self, "backward after a forward of this batch", f"input of size {tuple(x.size())}")
        self.checkTable(gradOutput, length=2, what='gradOutput')
        for k, width in enumerate((self.outputsize, self.hiddensize)):
            g = gradOutput[k]
            self.checkTensor(g, (2,), f'gradOutput[{k}]', floating=True)
            if tuple(g.size()) != (N, width):
                raise input_error(self, f"gradOutput[{k}] of size ({N}, {width})", f"size {tuple(g.size())}")
            self.checkSameType(g, self.weight, f'gradOutput[{k}]')
        return x

    def updateGradInput(self, input, gradOutput):
        """gradInput {x, h[t-1], c[t-1]}; the gates' gradients are kept for accGradParameters."""
        x = self._check_backward(input, gradOutput)
        xp, D, H, N = x.xp, self.inputsize, self.hiddensize, x.size(0)
        W = self.weight.array
        grad_next_h, grad_next_c = gradOutput[0].array, gradOutput[1].array
        if self.weightO is not None:
            # the kernel differentiates the unprojected hidden state: its gradient is grad_h weightO^T (row by row,
            # so a masked row's inf or NaN stays in its row until the mask below)
            grad_next_h = xp.matmul(grad_next_h, self.weightO.array.T)
        grad_h = transpose_into(self.bufferLike('_grad_h_by_unit', x, (H, N)), grad_next_h)
        grad_c = transpose_into(self.bufferLike('_grad_c_by_unit', x, (H, N)), grad_next_c)
        keep = getattr(self, '_keep', None)   # the forward's mask, as StepGRU's
        if keep is not None:
            # StepLSTM.lua's backward zeroes a masked row's gradOutput (its recursiveZeroMask, a maskedFill, in the
            # caller's tensors; here in the transposed copies): the zero gates alone would give those rows
            # 0 * gradOutput, NaN from an inf or NaN there
            zero_masked(grad_h, keep.T)
            zero_masked(grad_c, keep.T)
        grad_gates = self.bufferLike('grad_gates_by_unit', x, (4 * H, 1, N))
        LSTMBackwardSteps(self._gates_by_unit.array, self._cell0.array, self._cell.array, self._tanh_cell.array,
                          self._hidden_rows.array, grad_h, grad_c, grad_gates).step(0)
        gg = grad_gates[:, 0]   # (4H, N)
        grad_x, grad_prev_h, grad_prev_c = self.gradInput
        xp.matmul(gg.T, W[:D].T, out=grad_x.resize(N, D).array)
        xp.matmul(gg.T, W[D:].T, out=grad_prev_h.resize(N, self.outputsize).array)
        grad_prev_c.resize(N, H).array[...] = grad_c.T   # the kernel left c[t-1]'s gradient there
        self._grad_gates_for = list(gradOutput) if isinstance(gradOutput, list) else gradOutput
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        """gradWeight += scale [x, h[t-1]]^T grad_gates, gradBias += scale (its column sums), and with a
        projection gradWeightO += scale hidden^T grad h[t], from the last updateGradInput's gate gradients."""
        x = self._check_backward(input, gradOutput)
        D = self.inputsize
        gg = self._gate_gradients(input, gradOutput)
        gW = self.gradWeight.array
        addmm_into(gW[:D], x.array.T, gg.T, scale, 1.0)
        addmm_into(gW[D:], input[1].array.T, gg.T, scale, 1.0)
        self.gradBias.array[...] += scale * gg.sum(1)
        if self.weightO is not None:
            # a masked row adds nothing: its hidden is zero, and its gradient is zeroed (a copy: the caller's stays)
            grad_next_h = gradOutput[0].array
            keep = getattr(self, '_keep', None)
            if keep is not None:
                grad_next_h = grad_next_h.copy()
                zero_masked(grad_next_h, keep)
            addmm_into(self.gradWeightO.array, self.hidden.array.T, grad_next_h, scale, 1.0)

    def clearState(self, *names):
        for t in self.output + self.gradInput:
            t.set()
        self.gates.set()
        return super().clearState('_projection', '_gates_by_unit', '_cell0', '_cell', '_tanh_cell',
                                  '_hidden_by_unit', '_hidden_rows', 'hidden', '_grad_h_by_unit', '_grad_c_by_unit',
                                  'grad_gates_by_unit', *names)

    def __repr__(self):
        if self.weightO is not None:
            return f"{lua_typename(self)}({self.inputsize} -> {self.hiddensize} -> {self.outputsize})"
        return f"{lua_typename(self)}({self.inputsize} -> {self.outputsize})"
