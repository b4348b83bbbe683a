"""SeqLSTM: a whole sequence through an LSTM layer in one module (Element-Research rnn's nn.SeqLSTM)."""
from ..tensor.blas_kernels import StepProduct, addmm_into, transpose_into
from ..tensor.recurrent_kernels import LSTMBackwardSteps, LSTMForwardSteps
from .base.recurrent import SeqRecurrent


class SeqLSTM(SeqRecurrent):
    """LSTM over a sequence: input ``(seqlen, batch, inputsize)``, output ``(seqlen, batch, outputsize)``.

    With [x_t, h_{t-1}] @ weight + bias = (a_i, a_f, a_o, a_g) (``weight`` ``(inputsize + outputsize,
    4 outputsize)``): i, f, o = sigmoid(a_i, a_f, a_o), g = tanh(a_g), c_t = f c_{t-1} + i g,
    h_t = o tanh(c_t). The input may also be the table ``[h0, x]`` or ``[c0, h0, x]`` (each ``(batch,
    outputsize)``); gradInput then has the same form. ``userPrevOutput`` / ``userPrevCell`` set the
    next forward's h0 / c0 once; ``remember()`` starts each forward from the last one's final state
    (``forget()`` drops it); with ``maskzero`` a step whose input row is all zeros outputs zeros and
    the row's state restarts from zeros. After backward, ``userGradPrevOutput`` / ``userGradPrevCell``
    hold the gradients of h0 / c0.

    The input products of all steps are one matrix product, each step adds one recurrent product and
    one pass of fused gate arithmetic; the parameter gradients are three products over all steps.
    Internally the gates, cells and hidden states are unit-major (``gate_buffer`` ``(seqlen, 4 outputsize,
    batch)``, ``cell`` ``(seqlen, outputsize, batch)``): see ``legonn.tensor.recurrent_kernels``. On the CPU
    it computes in float32 or float64.
    """

    gates = 4
    state_names = ('c0', 'h0')
    buffer_names = ('sequence_output', 'cell', 'cell_by_unit', 'tanh_cell', 'gate_buffer', 'gate_scratch', 'hidden_by_unit', 'cell0_by_unit', 'grad_x',
                    'grad_h0', 'grad_c0', 'grad_h_by_unit', 'grad_c_by_unit', 'recurrent_weight_t', 'ones')

    # SeqLSTM.lua's hidden size, equal to outputsize without SeqLSTMP's projection
    hiddensize = property(lambda self: self.outputsize)

    def __init__(self, inputsize, outputsize, *, maskzero=False):
        super().__init__(inputsize, outputsize, maskzero=maskzero)
        self.userPrevCell = None
        self.userNextGradCell = None   # a gradient for the last step's cell, added once by the next backward

    def updateOutput(self, input):
        states, x = self._split_input(input)
        self._check_cpu_type(x)
        given = [None] * (2 - len(states)) + states
        T, N, D = x._size
        H = self.outputsize
        last_cell = self.cell_by_unit.array[-1].T if self.cell_by_unit.nElement() else None
        c0 = self._initial_state('c0', given[0], self.userPrevCell, last_cell, N)
        h0 = self._initial_state('h0', given[1], self.userPrevOutput, self._last_output(), N)
        self.userPrevOutput = self.userPrevCell = None
        projection = self._input_projection_by_unit(x)
        gates = self.bufferLike('gate_buffer', x, (T, 4 * H, N))
        h = self.bufferLike('sequence_output', x, (T, N, H))
        hidden = self.bufferLike('hidden_by_unit', x, (T, H, N))
        c = self.bufferLike('cell_by_unit', x, (T, H, N))
        tanh_c = self.bufferLike('tanh_cell', x, (T, H, N))
        Wh_t = self.transposed_recurrent_weight(D)
        keep = self._keep_mask(x)
        c0 = transpose_into(self.bufferLike('cell0_by_unit', x, (H, N)), c0)
        steps = LSTMForwardSteps(projection, self.bias.array, gates, c0, c, tanh_c, hidden, h)
        recurrent = StepProduct(gates, Wh_t, hidden, 1.0, 0.0)   # gates[t] = W_h^T h_{t-1}^T, t >= 1
        for t in range(T):
            if t:
                recurrent.run(t, t - 1)
            else:
                addmm_into(gates[0], Wh_t, h0.T, 1.0, 0.0)
            steps.step(t)
            if keep is not None:
                # zero gates make the backward of a masked row zero with no mask of its own
                h[t] *= keep[t]
                for arr in (hidden[t], c[t], tanh_c[t], gates[t]):
                    arr *= keep[t].T
        self._grad_gates_for = None
        self.cell = self.cell_by_unit.transpose(1, 2)   # rnn's cell: (seqlen, batch, outputsize) in either layout
        self.output = self._in_user_layout(self.sequence_output)
        return self.output

    def _backward_through_time(self, input, gradOutput):
        """Fill gate_scratch with the gate pre-activations' gradients, gate-major (4H, seqlen, batch), and
        the gradients of x, h0 and c0."""
        states, x, go = self._backward_input(input, gradOutput)
        T, N, D = x._size
        H, xp = self.outputsize, x.xp
        go = xp.ascontiguousarray(go.array)
        grad_gates = self.bufferLike('gate_scratch', x, (4 * H, T, N))
        grad_h = transpose_into(self.bufferLike('grad_h_by_unit', x, (H, N)), go[T - 1])
        grad_c = self.bufferLike('grad_c_by_unit', x, (H, N))
        grad_c[...] = 0
        next_h, next_c = self._take_user_gradient('gradPrevOutput', N), self._take_user_gradient('userNextGradCell', N)
        if next_h is not None:
            grad_h += next_h.T
        if next_c is not None:
            grad_c += next_c.T
        c0 = self.cell0_by_unit.array if len(states) < 2 else \
            transpose_into(self.bufferLike('cell0_by_unit', x, (H, N)), states[-2].array)
        steps = LSTMBackwardSteps(self.gate_buffer.array, c0, self.cell_by_unit.array, self.tanh_cell.array, go, grad_h,
                                  grad_c, grad_gates)
        recurrent = StepProduct(grad_h, self.weight.array[D:], grad_gates.transpose(1, 0, 2))
        for t in range(T - 1, -1, -1):
            steps.step(t)   # leaves the output's part of h_{t-1}'s gradient in grad_h
            recurrent.run(None, t)   # and W_h grad_gates[:, t] is added
        transpose_into(self.bufferLike('grad_h0', x, (N, H)), grad_h)
        transpose_into(self.bufferLike('grad_c0', x, (N, H)), grad_c)
        self.input_gradient(x)
        self.userGradPrevOutput, self.userGradPrevCell = self.grad_h0, self.grad_c0
        self._grad_gates_for = gradOutput
        return states, x

    def _accumulate_recurrent_gradients(self, h0, x, scale):
        self._accumulate_hidden_gradients(h0, x, slice(None), scale)
