"""model/GRU.lua: one timestep of an n-layer GRU (http://arxiv.org/pdf/1412.3555v1.pdf) with its softmax
decoder, an nngraph gModule."""
from legonn import nn

from ..util.OneHot import OneHot       # require 'util.OneHot' (a global class in Lua)


def gru(input_size, rnn_size, n, dropout=None):
    """Creates one timestep of one GRU"""
    dropout = dropout or 0
    # there are n+1 inputs (hiddens on each layer and x)
    inputs = []
    inputs.append(nn.Identity()())  # x
    for L in range(n):
        inputs.append(nn.Identity()())  # prev_h[L]

    def new_input_sum(insize, xv, hv):
        i2h = nn.Linear(insize, rnn_size)(xv)
        h2h = nn.Linear(rnn_size, rnn_size)(hv)
        return nn.CAddTable()([i2h, h2h])

    x = input_size_L = None
    outputs = []
    for L in range(n):

        prev_h = inputs[L + 1]
        # the input to this layer
        if L == 0:
            x = OneHot(input_size)(inputs[0])
            input_size_L = input_size
        else:
            x = outputs[L - 1]
            if dropout > 0:
                x = nn.Dropout(dropout)(x)  # apply dropout, if any
            input_size_L = rnn_size
        # GRU tick
        # forward the update and reset gates
        update_gate = nn.Sigmoid()(new_input_sum(input_size_L, x, prev_h))
        reset_gate = nn.Sigmoid()(new_input_sum(input_size_L, x, prev_h))
        # compute candidate hidden state
        gated_hidden = nn.CMulTable()([reset_gate, prev_h])
        p2 = nn.Linear(rnn_size, rnn_size)(gated_hidden)
        p1 = nn.Linear(input_size_L, rnn_size)(x)
        hidden_candidate = nn.Tanh()(nn.CAddTable()([p1, p2]))
        # compute new interpolated hidden state, based on the update gate
        zh = nn.CMulTable()([update_gate, hidden_candidate])
        zhm1 = nn.CMulTable()([nn.AddConstant(1, False)(nn.MulConstant(-1, False)(update_gate)), prev_h])
        next_h = nn.CAddTable()([zh, zhm1])

        outputs.append(next_h)
    # set up the decoder
    top_h = outputs[-1]
    if dropout > 0:
        top_h = nn.Dropout(dropout)(top_h)
    proj = nn.Linear(rnn_size, input_size)(top_h)
    logsoft = nn.LogSoftMax()(proj)
    outputs.append(logsoft)

    return nn.gModule(inputs, outputs)
