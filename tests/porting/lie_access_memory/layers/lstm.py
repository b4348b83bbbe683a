"""layers/lstm.lua: ``LSTMGatesX(in_size, rnn_size)``, nn.Linear(in_size, 4 * rnn_size) whose ``reset`` can fill the
forget, in and out gates' biases, and ``LSTM(isz, rsz, x, prev_h, prev_c, kw)``, one LSTM step on nngraph nodes,
returning ``next_h, next_c``."""
import legonn as lg
from legonn import graph, nn


class LSTMGatesX(nn.Linear):
    """LSTMGatesX(in_size, rnn_size) is just nn.Linear(in_size, 4 * rnn_size), where the (4 * rnn_size) splits into
    4 parts, resp. the forget, in, and out gates, and in_transform, the new input into the hidden state.
    The only difference is that there's custom init for the bias of the part for forget gates"""

    def __init__(self, in_size, rnn_size):
        super().__init__(in_size, 4 * rnn_size)

    def reset(self, stdv=None, forget_bias=None, in_bias=None, out_bias=None):
        super().reset(stdv)
        s = self.weight.size(0) / 4
        if forget_bias:
            self.bias.narrow(0, 0, s).fill(forget_bias)
        if in_bias:
            self.bias.narrow(0, s, s).fill(in_bias)
        if out_bias:
            self.bias.narrow(0, 2 * s, s).fill(out_bias)

        return self


def LSTM(isz, rsz, x, prev_h, prev_c, kw=None):
    kw = kw or {}
    # evaluate the input sums at once for efficiency
    i2h = LSTMGatesX(isz, rsz)(x)
    h2h = LSTMGatesX(rsz, rsz)(prev_h)
    all_input_sums = nn.CAddTable()([i2h, h2h])

    reshaped = nn.View(4, rsz).setNumInputDims(1)(all_input_sums)
    n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
    # decode the gates
    forget_gate = nn.Sigmoid()(n1)
    in_gate = nn.Sigmoid()(n2)
    out_gate = nn.Sigmoid()(n3)
    # decode the write inputs
    in_transform = nn.Tanh()(n4)
    in_ = nn.CMulTable()([in_gate, in_transform])
    # perform the LSTM update
    next_c = nn.CAddTable()([
        nn.CMulTable()([forget_gate, prev_c]),
        in_
    ])
    # gated cells form the output
    next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])
    graph.annotateNodes()
    return next_h, next_c


lg.register(LSTMGatesX, 'nn.LSTMGatesX')
