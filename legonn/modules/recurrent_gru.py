"""SeqGRU: a whole sequence through a GRU layer in one module (Element-Research rnn's nn.SeqGRU)."""
from ..tensor.blas_kernels import StepProduct, addmm_into, transpose_into
from ..tensor.recurrent_kernels import GRUBackwardSteps, GRUForwardSteps
from .base.recurrent import SeqRecurrent
from .base.recurrent_step import zero_masked


class SeqGRU(SeqRecurrent):
    """GRU over a sequence: input ``(seqlen, batch, inputsize)``, output ``(seqlen, batch, outputsize)``.

    The rnn package's cell (the reset gate applied before the recurrent product, as in Cho et al.):
    with ``weight`` = [W_x; W_h] of size ``(inputsize + outputsize, 3 outputsize)``, columns (r, u, c),
    r, u = sigmoid(x W_x[:, r|u] + h_{t-1} W_h[:, r|u] + b), hc = tanh(x W_x[:, c] + (r h_{t-1}) W_h[:, c] + b_c),
    h_t = (1 - u) hc + u h_{t-1}. (PyTorch's nn.GRU multiplies r after the product instead.) The input
    may also be ``[h0, x]``; ``userPrevOutput``, ``remember()``/``forget()`` and ``maskzero`` work as in
    SeqLSTM; after backward ``userGradPrevOutput`` holds h0's gradient.

    The input products of all steps are one matrix product; each step makes the two recurrent products
    this cell needs and a fused gate kernel after each (``legonn.tensor.recurrent_kernels``; on the CPU,
    in float32 or float64).
    """

    gates = 3
    state_names = ('h0',)
    buffer_names = ('sequence_output', 'gate_buffer', 'gate_scratch', 'hidden_by_unit', 'h0_by_unit', 'reset_hidden',
                    'grad_x', 'grad_h0', 'grad_h_by_unit', 'grad_reset_hidden', 'recurrent_weight_t', 'ones')

    # SeqGRU.lua names its sizes inputSize and outputSize (SeqLSTM.lua: inputsize, outputsize)
    inputSize = property(lambda self: self.inputsize)
    outputSize = property(lambda self: self.outputsize)

    def updateOutput(self, input):
        states, x = self._split_input(input)
        self._check_cpu_type(x)
        T, N, D = x._size
        H = self.outputsize
        h0 = self._initial_state('h0', states[0] if states else None, self.userPrevOutput, self._last_output(), N)
        self.userPrevOutput = None
        projection = self._input_projection_by_unit(x)
        gates = self.bufferLike('gate_buffer', x, (T, 3 * H, N))
        h = self.bufferLike('sequence_output', x, (T, N, H))
        hidden = self.bufferLike('hidden_by_unit', x, (T, H, N))
        # r h_{t-1} of every step in the output's row layout, kept for the candidate weights' gradient
        rh = self.bufferLike('reset_hidden', x, (T, N, H))
        Wh_t = self.transposed_recurrent_weight(D)
        keep = self._keep_mask(x)
        h0 = transpose_into(self.bufferLike('h0_by_unit', x, (H, N)), h0)
        steps = GRUForwardSteps(projection, self.bias.array, gates, h0, hidden, rh, h)
        update_reset = StepProduct(gates[:, :2 * H], Wh_t[:2 * H], hidden, 1.0, 0.0)   # from h_{t-1}, t >= 1
        candidate = StepProduct(gates[:, 2 * H:], Wh_t[2 * H:], rh.transpose(0, 2, 1))   # += from r h_{t-1}
        for t in range(T):
            if t:
                update_reset.run(t, t - 1)
            else:
                addmm_into(gates[0, :2 * H], Wh_t[:2 * H], h0, 1.0, 0.0)
            steps.gates(t)
            candidate.run(t, t)
            steps.candidate(t)
            if keep is not None:
                zero_masked(h[t], keep[t])
                zero_masked(hidden[t], keep[t].T)
        self._grad_gates_for = None
        self.output = self._in_user_layout(self.sequence_output)
        return self.output

    def _backward_through_time(self, input, gradOutput):
        """Fill gate_scratch with the gate pre-activations' gradients, gate-major (3H, seqlen, batch), and the
        gradients of x and h0."""
        states, x, go = self._backward_input(input, gradOutput)
        T, N, D = x._size
        H, xp = self.outputsize, x.xp
        go = xp.ascontiguousarray(go.array)
        h0 = self.h0_by_unit.array if not states else \
            transpose_into(self.bufferLike('h0_by_unit', x, (H, N)), states[0].array)
        grad_gates = self.bufferLike('gate_scratch', x, (3 * H, T, N))
        dh = transpose_into(self.bufferLike('grad_h_by_unit', x, (H, N)), go[T - 1])
        next_h = self._take_user_gradient('gradPrevOutput', N)
        if next_h is not None:
            dh += next_h.T
        drh = self.bufferLike('grad_reset_hidden', x, (H, N))
        steps = GRUBackwardSteps(self.gate_buffer.array, h0, self.hidden_by_unit.array, go, dh, drh, grad_gates)
        keep = self._keep_mask(x)
        Wh, by_step = self.weight.array[D:], grad_gates.transpose(1, 0, 2)
        to_reset_hidden = StepProduct(drh, Wh[:, 2 * H:], by_step[:, 2 * H:], 1.0, 0.0)
        to_hidden = StepProduct(dh, Wh[:, :2 * H], by_step[:, :2 * H])
        for t in range(T - 1, -1, -1):
            if keep is not None:
                zero_masked(dh, keep[t].T)   # a masked step's output is a constant zero
            steps.candidate(t)
            to_reset_hidden.run(None, t)
            steps.reset(t)   # leaves dh u + drh r (+ the output's part) in dh
            to_hidden.run(None, t)
        transpose_into(self.bufferLike('grad_h0', x, (N, H)), dh)
        self.input_gradient(x)
        self.userGradPrevOutput = self.grad_h0
        self._grad_gates_for = gradOutput
        return states, x

    def _accumulate_recurrent_gradients(self, h0, x, scale):
        T, N, D = x._size
        H = self.outputsize
        self._accumulate_hidden_gradients(h0, x, slice(0, 2 * H), scale)
        # the candidate's recurrent weights multiply r h_prev, kept by the forward
        addmm_into(self.gradWeight.array[D:, 2 * H:], self.reset_hidden.array.reshape(T * N, H).T,
                   self.gate_scratch.array[2 * H:].reshape(H, T * N).T, scale, 1.0)

    def toGRU(self):
        """A GRU (the rnn package's step-by-step GRU) with this layer's parameters and gradients (SeqGRU.lua's
        toGRU): weight's (r, u) columns make its i2g and o2g, the candidate's columns its two maps into h."""
        D, H = self.inputsize, self.outputsize

        def pieces(weight, bias):
            gates, hidden = slice(0, 2 * H), slice(2 * H, 3 * H)
            return (weight[:D, gates].T, bias[gates], weight[D:, gates].T, weight[:D, hidden].T, bias[hidden],
                    weight[D:, hidden].T)

        return self._as_cell('GRU', pieces)

    def toRecGRU(self):
        """A RecGRU (torch/rnn's step-by-step GRU) with this layer's parameters and gradients (SeqGRU.lua's
        toRecGRU); it masks (``maskZero()``) when this layer does."""
        return self._as_rec('RecGRU')

