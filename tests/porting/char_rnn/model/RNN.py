"""model/RNN.lua: one timestep of an n-layer vanilla RNN (h = tanh(W x + U h_prev)) with its softmax decoder,
an nngraph gModule."""
from legonn import nn

from ..util.OneHot import OneHot       # require 'util.OneHot' (a global class in Lua)


def rnn(input_size, rnn_size, n, dropout):

    # there are n+1 inputs (hiddens on each layer and x)
    inputs = []
    inputs.append(nn.Identity()())  # x
    for L in range(n):
        inputs.append(nn.Identity()())  # prev_h[L]

    x = input_size_L = None
    outputs = []
    for L in range(n):

        prev_h = inputs[L + 1]
        if L == 0:
            x = OneHot(input_size)(inputs[0])
            input_size_L = input_size
        else:
            x = outputs[L - 1]
            if dropout > 0:
                x = nn.Dropout(dropout)(x)  # apply dropout, if any
            input_size_L = rnn_size

        # RNN tick
        i2h = nn.Linear(input_size_L, rnn_size)(x)
        h2h = nn.Linear(rnn_size, rnn_size)(prev_h)
        next_h = nn.Tanh()(nn.CAddTable()([i2h, h2h]))

        outputs.append(next_h)
    # set up the decoder
    top_h = outputs[-1]
    if dropout > 0:
        top_h = nn.Dropout(dropout)(top_h)
    proj = nn.Linear(rnn_size, input_size)(top_h)
    logsoft = nn.LogSoftMax()(proj)
    outputs.append(logsoft)

    return nn.gModule(inputs, outputs)
