"""misc/LSTM.lua: ``LSTM.lstm_conventional``, an n-layer LSTM step as an nngraph gModule whose state is one flat
vector (c1, h1, c2, h2, ...). ``LSTM = require 'misc.LSTM'`` is ``from .misc import LSTM`` (the module is the table)."""
from legonn import nn

# Code is based on implementation in
# https://github.com/oxford-cs-ml-2015/practical6


def lstm_conventional(input_size, rnn_size, noutput, n, dropout=None):
    dropout = dropout or 0
    # my wrapper
    h_old = nn.Identity()()
    input = nn.Identity()()
    # there will be 2*n+1 inputs
    inputs = []
    inputs.append(input)  # x
    for L in range(1, n + 1):
        inputs.append(nn.Narrow(1, 2 * (L - 1) * rnn_size, rnn_size)(h_old))  # prev_c[L]
        inputs.append(nn.Narrow(1, 2 * (L - 1) * rnn_size + rnn_size, rnn_size)(h_old))  # prev_h[L]

    outputs = []
    for L in range(1, n + 1):
        # c,h from previos timesteps
        prev_h = inputs[L * 2]
        prev_c = inputs[L * 2 - 1]
        # the input to this layer
        if L == 1:
            x = inputs[0]
            input_size_L = input_size
        else:
            x = outputs[(L - 1) * 2 - 1]
            if dropout > 0:
                x = nn.Dropout(dropout)(x)  # apply dropout, if any
            input_size_L = rnn_size
        # evaluate the input sums at once for efficiency
        i2h = nn.Linear(input_size_L, 4 * rnn_size)(x)
        h2h = nn.Linear(rnn_size, 4 * rnn_size)(prev_h)
        all_input_sums = nn.CAddTable()([i2h, h2h])
        # decode the gates
        sigmoid_chunk = nn.Narrow(1, 0, 3 * rnn_size)(all_input_sums)
        sigmoid_chunk = nn.Sigmoid()(sigmoid_chunk)
        in_gate = nn.Narrow(1, 0, rnn_size)(sigmoid_chunk)
        forget_gate = nn.Narrow(1, rnn_size, rnn_size)(sigmoid_chunk)
        out_gate = nn.Narrow(1, 2 * rnn_size, rnn_size)(sigmoid_chunk)
        # decode the write inputs
        in_transform = nn.Narrow(1, 3 * rnn_size, rnn_size)(all_input_sums)
        in_transform = nn.Tanh()(in_transform)
        # perform the LSTM update
        next_c = nn.CAddTable()([
            nn.CMulTable()([forget_gate, prev_c]),
            nn.CMulTable()([in_gate, in_transform])
        ])
        # gated cells form the output
        next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])

        outputs.append(next_c)
        outputs.append(next_h)

    # set up the decoder
    top_h = outputs[len(outputs) - 1]
    if dropout > 0:
        top_h = nn.Dropout(dropout)(top_h)
    proj = nn.Linear(rnn_size, noutput)(top_h)

    h_new = nn.JoinTable(0, 1)(outputs)
    outs = proj

    return nn.gModule([h_old, input], [h_new, outs])
