"""model/LSTM.lua: one timestep of an n-layer LSTM with its softmax decoder, an nngraph gModule. Layers count from
0 (the annotations are ``i2h_0``, ``h2h_0``, ...: train.py's forget-gate loop reads them with the same base)."""
from legonn import nn

from ..util.OneHot import OneHot       # require 'util.OneHot' (a global class in Lua)


def lstm(input_size, rnn_size, n, dropout=None):
    dropout = dropout or 0

    # there will be 2*n+1 inputs
    inputs = []
    inputs.append(nn.Identity()())  # x
    for L in range(n):
        inputs.append(nn.Identity()())  # prev_c[L]
        inputs.append(nn.Identity()())  # prev_h[L]

    x = input_size_L = None
    outputs = []
    for L in range(n):
        # c,h from previos timesteps
        prev_h = inputs[L * 2 + 2]
        prev_c = inputs[L * 2 + 1]
        # the input to this layer
        if L == 0:
            x = OneHot(input_size)(inputs[0])
            input_size_L = input_size
        else:
            x = outputs[(L - 1) * 2 + 1]
            if dropout > 0:
                x = nn.Dropout(dropout)(x)  # apply dropout, if any
            input_size_L = rnn_size
        # evaluate the input sums at once for efficiency
        i2h = nn.Linear(input_size_L, 4 * rnn_size)(x).annotate({'name': 'i2h_' + str(L)})
        h2h = nn.Linear(rnn_size, 4 * rnn_size)(prev_h).annotate({'name': 'h2h_' + str(L)})
        all_input_sums = nn.CAddTable()([i2h, h2h])

        reshaped = nn.Reshape(4, rnn_size)(all_input_sums)
        n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
        # decode the gates
        in_gate = nn.Sigmoid()(n1)
        forget_gate = nn.Sigmoid()(n2)
        out_gate = nn.Sigmoid()(n3)
        # decode the write inputs
        in_transform = nn.Tanh()(n4)
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
    top_h = outputs[-1]
    if dropout > 0:
        top_h = nn.Dropout(dropout)(top_h)
    proj = nn.Linear(rnn_size, input_size)(top_h).annotate({'name': 'decoder'})
    logsoft = nn.LogSoftMax()(proj)
    outputs.append(logsoft)

    return nn.gModule(inputs, outputs)
