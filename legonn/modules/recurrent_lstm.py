"""SeqLSTM: a whole sequence through an LSTM layer in one module (Element-Research rnn's nn.SeqLSTM)."""
import math

from ..tensor.blas_kernels import StepProduct, addmm_into, transpose_into
from ..tensor.recurrent_kernels import LSTMBackwardSteps, LSTMForwardSteps
from ..tensor.introspection import typename as lua_typename
from .base.recurrent import SeqRecurrent
from .base.recurrent_step import zero_masked


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
    buffer_names = ('sequence_output', 'cell', 'cell_by_unit', 'tanh_cell', 'gate_buffer', 'gate_scratch',
                    'hidden_by_unit', 'cell0_by_unit',
                    'grad_x', 'grad_h0', 'grad_c0', 'grad_h_by_unit', 'grad_c_by_unit', 'recurrent_weight_t', 'ones')

    userPrevCell = None
    userNextGradCell = None   # a gradient for the last step's cell, added once by the next backward

    def __init__(self, inputsize, outputsize, *, maskzero=False):
        super().__init__(inputsize, outputsize, maskzero=maskzero)

    def updateOutput(self, input):
        states, x = self._split_input(input)
        self._check_cpu_type(x)
        given = [None] * (2 - len(states)) + states
        T, N, D = x._size
        H = self.hiddensize
        last_cell = self.cell_by_unit.array[-1].T if self.cell_by_unit.nElement() else None
        c0 = self._initial_state('c0', given[0], self.userPrevCell, last_cell, N)
        h0 = self._initial_state('h0', given[1], self.userPrevOutput, self._last_output(), N)
        self.userPrevOutput = self.userPrevCell = None
        projection = self._input_projection_by_unit(x)
        gates = self.bufferLike('gate_buffer', x, (T, 4 * H, N))
        h = self.bufferLike('sequence_output', x, (T, N, self.outputsize))
        hidden = self.bufferLike('hidden_by_unit', x, (T, H, N))
        c = self.bufferLike('cell_by_unit', x, (T, H, N))
        tanh_c = self.bufferLike('tanh_cell', x, (T, H, N))
        Wh_t = self.transposed_recurrent_weight(D)
        keep = self._keep_mask(x)
        c0 = transpose_into(self.bufferLike('cell0_by_unit', x, (H, N)), c0)
        cell_output, recurrent_input, after_step = self._forward_operands(x, h, hidden)
        steps = LSTMForwardSteps(projection, self.bias.array, gates, c0, c, tanh_c, hidden, cell_output)
        # gates[t] = W_h^T h_{t-1}^T, t >= 1, h being what the next step reads (the output)
        recurrent = StepProduct(gates, Wh_t, recurrent_input, 1.0, 0.0)
        for t in range(T):
            if t:
                recurrent.run(t, t - 1)
            else:
                addmm_into(gates[0], Wh_t, h0.T, 1.0, 0.0)
            steps.step(t)
            if keep is not None:
                # zero gates make the backward of a masked row zero with no mask of its own
                zero_masked(cell_output[t], keep[t])
                for arr in (hidden[t], c[t], tanh_c[t], gates[t]):
                    zero_masked(arr, keep[t].T)
            if after_step is not None:
                after_step(t)
        self._grad_gates_for = None
        self.cell = self.cell_by_unit.transpose(1, 2)   # rnn's cell: (seqlen, batch, outputsize) in either layout
        self.output = self._in_user_layout(self.sequence_output)
        return self.output

    def _forward_operands(self, x, h, hidden):
        """(the (T, N, H) rows the gate kernel writes h into, the unit-major (T, width, N) states the next step's
        recurrent product reads, a function run after each step or None): here h itself and its unit-major
        copy; SeqLSTMP projects them."""
        return h, hidden, None

    def _backward_operands(self, x, grad_output, grad_recurrent):
        """(the gradient of the kernel's h rows, the (H, N) gradient of h_t the kernel reads, a function run
        before each step or None), given the (T, N, outputsize) gradOutput and the unit-major gradient of the
        recurrent output that the backward loop carries: here gradOutput itself and that gradient (the kernel
        leaves the output's part of h_{t-1}'s gradient in it); SeqLSTMP maps them through its projection."""
        return grad_output, grad_recurrent, None

    def _backward_through_time(self, input, gradOutput):
        """Fill gate_scratch with the gate pre-activations' gradients, gate-major (4H, seqlen, batch), and
        the gradients of x, h0 and c0."""
        states, x, go = self._backward_input(input, gradOutput)
        T, N, D = x._size
        H, xp = self.hiddensize, x.xp
        go = xp.ascontiguousarray(go.array)
        grad_gates = self.bufferLike('gate_scratch', x, (4 * H, T, N))
        grad_h = transpose_into(self.bufferLike('grad_h_by_unit', x, (self.outputsize, N)), go[T - 1])
        grad_c = self.bufferLike('grad_c_by_unit', x, (H, N))
        grad_c[...] = 0
        next_h, next_c = self._take_user_gradient('gradPrevOutput', N), self._take_user_gradient('userNextGradCell', N)
        if next_h is not None:
            grad_h += next_h.T
        if next_c is not None:
            grad_c += next_c.T
        c0 = self.cell0_by_unit.array if len(states) < 2 else \
            transpose_into(self.bufferLike('cell0_by_unit', x, (H, N)), states[-2].array)
        cell_grad_output, cell_grad_h, before_step = self._backward_operands(x, go, grad_h)
        steps = LSTMBackwardSteps(self.gate_buffer.array, c0, self.cell_by_unit.array, self.tanh_cell.array,
                                  cell_grad_output, cell_grad_h, grad_c, grad_gates)
        recurrent = StepProduct(grad_h, self.weight.array[D:], grad_gates.transpose(1, 0, 2))
        keep = self._keep_mask(x)
        for t in range(T - 1, -1, -1):
            if keep is not None:
                # SeqLSTM.lua (torch/rnn) zeroes a masked step's h and c gradients by a select before the step:
                # its zero gates alone would give 0 * an inf or NaN gradOutput there, a NaN
                zero_masked(grad_h, keep[t].T)
                zero_masked(grad_c, keep[t].T)
            if before_step is not None:
                before_step(t)
            steps.step(t)   # leaves the output's part of h_{t-1}'s gradient in grad_h
            recurrent.run(None, t)   # and W_h grad_gates[:, t] is added
        transpose_into(self.bufferLike('grad_h0', x, (N, self.outputsize)), grad_h)
        transpose_into(self.bufferLike('grad_c0', x, (N, H)), grad_c)
        self.input_gradient(x)
        self.userGradPrevOutput, self.userGradPrevCell = self.grad_h0, self.grad_c0
        self._grad_gates_for = gradOutput
        return states, x

    def _accumulate_recurrent_gradients(self, h0, x, scale):
        self._accumulate_hidden_gradients(h0, x, slice(None), scale)

    def toFastLSTM(self):
        """A FastLSTM (the rnn package's step-by-step LSTM) with this layer's parameters and gradients
        (SeqLSTM.lua's toFastLSTM): weight's gate columns (i, f, o, g) become the row blocks (i, g, f, o) of its
        i2g (from the input rows) and o2g (from the hidden rows), bias those of i2g's bias."""
        D, H = self.inputsize, self.outputsize

        def pieces(weight, bias):
            xp = self.weight.xp
            columns = xp.concatenate([xp.arange(k * H, (k + 1) * H) for k in (0, 3, 1, 2)])
            return weight[:D, columns].T, bias[columns], weight[D:, columns].T

        return self._as_cell('FastLSTM', pieces)

    def toRecLSTM(self):
        """A RecLSTM (torch/rnn's step-by-step LSTM) with this layer's parameters and gradients (SeqLSTM.lua's
        toRecLSTM); it masks (``maskZero()``) when this layer does."""
        return self._as_rec('RecLSTM')


class SeqLSTMP(SeqLSTM):
    """SeqLSTM with a recurrent projection (rnn's nn.SeqLSTMP): the cell and its gates are ``hiddensize`` (H)
    wide, h_t = o tanh(c_t) as in SeqLSTM, and the output is its projection r_t = h_t @ weightO (``weightO``
    ``(hiddensize, outputsize)``), which the next step reads in place of h_t: ``weight`` is ``(inputsize +
    outputsize, 4 hiddensize)``. Input ``(seqlen, batch, inputsize)``, output ``(seqlen, batch, outputsize)``;
    the table forms, ``remember``, ``maskzero``, ``batchfirst`` and the user states are SeqLSTM's, with the cell
    states (``c0``, ``userPrevCell``, ``userNextGradCell``) ``(batch, hiddensize)`` and the output's (``h0``,
    ``userPrevOutput``, ``gradPrevOutput``) ``(batch, outputsize)``.

    ``reset`` draws weight from normal(0, 1/sqrt(hiddensize + inputsize)) and weightO from normal(0,
    1/sqrt(outputsize + hiddensize)), and sets bias entries outputsize to 2 outputsize to one: SeqLSTMP.lua's
    rule, which counts the forget gate's place in outputsize units (it is the forget gate's first outputsize
    entries when outputsize <= hiddensize)."""

    positive_ints = ('inputsize', 'hiddensize', 'outputsize')
    buffer_names = SeqLSTM.buffer_names + ('hidden_rows', 'output_by_unit', 'projection_t', 'hidden_grad_output',
                                           'grad_hidden_by_unit', 'grad_output_rows')

    hiddensize = None   # a plain attribute here (the base's property answers outputsize)

    def __init__(self, inputsize, hiddensize, outputsize, *, maskzero=False):
        self.checkHyper(hiddensize=hiddensize)
        self.hiddensize = hiddensize
        # SeqLSTM's constructor fixes the cell's width to outputsize: the base takes both widths
        SeqRecurrent.__init__(self, inputsize, outputsize, maskzero=maskzero, hiddensize=hiddensize)

    def _allocate_parameters(self, H):
        super()._allocate_parameters(H)
        self.weightO, self.gradWeightO = self.output.new(H, self.outputsize), self.output.new(H, self.outputsize).zero()

    def parameters(self):
        return [self.weight, self.bias, self.weightO], [self.gradWeight, self.gradBias, self.gradWeightO]

    def parameterSizes(self):
        D, H, R = self.inputsize, self.hiddensize, self.outputsize
        return {'weight': (D + R, 4 * H), 'bias': (4 * H,), 'weightO': (H, R)}

    def reset(self, stdv=None):
        D, H, R = self.inputsize, self.hiddensize, self.outputsize
        self.weight.normal(0, 1.0 / math.sqrt(H + D) if stdv is None else stdv)
        self.weightO.normal(0, 1.0 / math.sqrt(R + H) if stdv is None else stdv)
        self.bias.zero()
        self.bias.narrow(0, R, R).fill(1)
        return self

    def _forward_operands(self, x, h, hidden):
        """The gate kernel writes h_t into ``hidden_rows`` (T, N, H); after each step r_t = weightO^T h_t goes
        unit-major into ``output_by_unit`` (T, R, N), which the next step's product reads, and as rows into the
        output h."""
        T, N, _ = x._size
        H, R = self.hiddensize, self.outputsize
        rows = self.bufferLike('hidden_rows', x, (T, N, H))
        by_unit = self.bufferLike('output_by_unit', x, (T, R, N))
        Wo_t = transpose_into(self.bufferLike('projection_t', self.weight, (R, H)), self.weightO.array)
        project = StepProduct(by_unit, Wo_t, hidden, 1.0, 0.0)

        def after_step(t):
            project.run(t, t)
            transpose_into(h[t], by_unit[t])

        return rows, by_unit, after_step

    def _backward_operands(self, x, grad_output, grad_recurrent):
        """The loop carries r_t's gradient (R, N) in ``grad_recurrent``; before step t it is kept as rows for
        gradWeightO, mapped to h_t's, weightO times it, for the kernel (whose own output gradient is zero), and
        replaced by gradOutput's part of r_{t-1}'s, to which the step's W_h product is added."""
        T, N, _ = x._size
        H = self.hiddensize
        zeros = self.bufferLike('hidden_grad_output', x, (T, N, H))
        zeros[...] = 0
        grad_hidden = self.bufferLike('grad_hidden_by_unit', x, (H, N))
        grad_rows = self.bufferLike('grad_output_rows', x, (T, N, self.outputsize))
        unproject = StepProduct(grad_hidden, self.weightO.array, grad_recurrent, 1.0, 0.0)

        def before_step(t):
            transpose_into(grad_rows[t], grad_recurrent)
            unproject.run(None, None)
            if t:
                transpose_into(grad_recurrent, grad_output[t - 1])
            else:
                grad_recurrent[...] = 0

        return zeros, grad_hidden, before_step

    def _accumulate_recurrent_gradients(self, h0, x, scale):
        super()._accumulate_recurrent_gradients(h0, x, scale)
        T, N, _ = x._size
        H, R = self.hiddensize, self.outputsize
        # gradWeightO += scale sum over steps of h_t^T grad r_t: one product over all steps' rows
        addmm_into(self.gradWeightO.array, self.hidden_rows.array.reshape(T * N, H).T,
                   self.grad_output_rows.array.reshape(T * N, R), scale, 1.0)

    def __repr__(self):
        return f"{lua_typename(self)}({self.inputsize} -> {self.hiddensize} -> {self.outputsize})"
