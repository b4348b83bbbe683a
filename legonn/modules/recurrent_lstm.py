"""SeqLSTM: a whole sequence through an LSTM layer in one module (Element-Research rnn's nn.SeqLSTM)."""
from ..tensor.blas_kernels import addmm_into
from ..tensor.recurrent_kernels import lstm_backward_through_time, lstm_forward_step
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
    Internally the gates and cells are unit-major (``gate_buffer`` ``(seqlen, 4 outputsize, batch)``,
    ``cell`` ``(seqlen, outputsize, batch)``): see ``legonn.tensor.recurrent_kernels``.
    """

    gates = 4
    state_names = ('c0', 'h0')
    buffer_names = ('cell', 'tanh_cell', 'gate_buffer', 'gate_scratch', 'grad_gate_buffer', 'grad_x', 'grad_h0',
                    'grad_c0', 'grad_h_by_unit', 'grad_c_by_unit', 'recurrent_weight_t', 'ones', 'cell_factor')

    def __init__(self, inputsize, outputsize, maskzero=False):
        super().__init__(inputsize, outputsize, maskzero)
        self.userPrevCell = None

    def updateOutput(self, input):
        states, x = self._split_input(input)
        given = [None] * (2 - len(states)) + states
        T, N, D = x._size
        H, xp = self.outputsize, x.xp
        last_cell = self.cell.array[-1].T if self.cell.nElement() else None
        c0 = self._initial_state('c0', given[0], self.userPrevCell, last_cell, N)
        h0 = self._initial_state('h0', given[1], self.userPrevOutput, self._last_output(), N)
        self.userPrevOutput = self.userPrevCell = None
        projection = self._input_projection_by_unit(x)
        gates = self.bufferLike('gate_buffer', x, (T, 4 * H, N))
        h = self.bufferLike('output', x, (T, N, H))
        c = self.bufferLike('cell', x, (T, H, N))
        tanh_c = self.bufferLike('tanh_cell', x, (T, H, N))
        Wh_t = self.transposed_recurrent_weight(D)
        bias = self.bias.array[:, None]
        keep = self._keep_mask(x)
        h_prev, c_prev = h0.T, c0.T
        for t in range(T):
            xp.add(projection[:, t], bias, out=gates[t])
            addmm_into(gates[t], Wh_t, h_prev)
            lstm_forward_step(gates[t], c_prev, c[t], tanh_c[t], h[t], xp)
            if keep is not None:
                # zero gates make the backward of a masked row zero with no mask of its own
                h[t] *= keep[t]
                for arr in (c[t], tanh_c[t], gates[t]):
                    arr *= keep[t].T
            h_prev, c_prev = h[t].T, c[t]
        self._grad_gates_for = None
        return self.output

    def _backward_through_time(self, input, gradOutput):
        """Fill gate_scratch with the gate pre-activations' gradients, gate-major (4H, seqlen, batch), and
        the gradients of x, h0 and c0."""
        states, x = self._backward_input(input, gradOutput)
        T, N, D = x._size
        H = self.outputsize
        c0 = states[-2].array if len(states) == 2 else self.c0.array
        dgates = self.bufferLike('grad_gate_buffer', x, (T, 4 * H, N))
        grad_h = self.bufferLike('grad_h_by_unit', x, (H, N))
        grad_c = self.bufferLike('grad_c_by_unit', x, (H, N))
        lstm_backward_through_time(self.gate_buffer.array, self.cell.array, c0.T, self.tanh_cell.array, gradOutput.array,
                                   self.weight.array[D:], dgates, grad_h, grad_c,
                                   self.bufferLike('cell_factor', x, (T, H, N)), x.xp)
        self.bufferLike('grad_h0', x, (N, H))[...] = grad_h.T
        self.bufferLike('grad_c0', x, (N, H))[...] = grad_c.T
        self.gradients_by_gate(x, dgates)
        self.userGradPrevOutput, self.userGradPrevCell = self.grad_h0, self.grad_c0
        self._grad_gates_for = gradOutput
        return states, x

    def _accumulate_recurrent_gradients(self, h0, x, scale):
        self._accumulate_hidden_gradients(h0, x, slice(None), scale)
