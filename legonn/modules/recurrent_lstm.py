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
    """

    gates = 4
    state_names = ('c0', 'h0')
    buffer_names = ('cell', 'tanh_cell', 'gate_buffer', 'grad_gate_buffer', 'grad_x', 'grad_h0', 'grad_c0',
                    'recurrent_weight_t', 'cell_factor')

    def __init__(self, inputsize, outputsize, maskzero=False):
        super().__init__(inputsize, outputsize, maskzero)
        self.userPrevCell = None

    def updateOutput(self, input):
        states, x = self._split_input(input)
        given = [None] * (2 - len(states)) + states
        T, N, D = x._size
        H, xp = self.outputsize, x.xp
        c0 = self._initial_state('c0', given[0], self.userPrevCell, self.cell, N)
        h0 = self._initial_state('h0', given[1], self.userPrevOutput, self.output, N)
        self.userPrevOutput = self.userPrevCell = None
        W = self.weight.array
        gates, h = self._input_projection(x)
        c = self.bufferLike('cell', x, (T, N, H))
        tanh_c = self.bufferLike('tanh_cell', x, (T, N, H))
        keep = self._keep_mask(x)
        Wh = W[D:]
        h_prev, c_prev = h0, c0
        for t in range(T):
            addmm_into(gates[t], h_prev, Wh)
            lstm_forward_step(gates[t], c_prev, c[t], tanh_c[t], h[t], xp)
            if keep is not None:
                # zero gates make the backward of a masked row zero with no mask of its own
                for arr in (h[t], c[t], tanh_c[t], gates[t]):
                    arr *= keep[t]
            h_prev, c_prev = h[t], c[t]
        self._grad_gates_for = None
        return self.output

    def _backward_through_time(self, input, gradOutput):
        """Fill grad_gate_buffer (seqlen, batch, 4H) and the gradients of x, h0, c0."""
        states, x = self._backward_input(input, gradOutput)
        T, N, D = x._size
        H = self.outputsize
        c0 = states[-2].array if len(states) == 2 else self.c0.array
        dgates = self.bufferLike('grad_gate_buffer', x, (T, N, 4 * H))
        lstm_backward_through_time(self.gate_buffer.array, self.cell.array, c0, self.tanh_cell.array, gradOutput.array,
                                   self.transposed_recurrent_weight(D, 0, 4 * H), dgates,
                                   self.bufferLike('grad_h0', x, (N, H)), self.bufferLike('grad_c0', x, (N, H)),
                                   self.bufferLike('cell_factor', x, (T, N, H)), x.xp)
        self.input_gradient(x, dgates)
        self.userGradPrevOutput, self.userGradPrevCell = self.grad_h0, self.grad_c0
        self._grad_gates_for = gradOutput
        return states, x

    def _accumulate_recurrent_gradients(self, h0, x, scale):
        self._accumulate_hidden_gradients(h0, x, slice(None), scale)
