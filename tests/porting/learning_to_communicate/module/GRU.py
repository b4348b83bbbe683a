"""code/module/GRU.lua: an n-layer GRU as an nngraph gModule, inputs {x, prev_h[1..n]}, outputs {next_h[1..n]}.
Edits: ``new_input_sum`` is a global function in the Lua (no ``local``), a nested one here."""
from legonn import graph, nn


def GRU(input_size, rnn_size, n, dropout=None):
    dropout = dropout or 0
    # there are n+1 inputs (hiddens on each layer and x)
    inputs = []
    inputs.append(nn.Identity()())      # x
    for L in range(n):
        inputs.append(nn.Identity()())  # prev_h[L]

    def new_input_sum(insize, xv, hv):
        i2h = nn.Linear(insize, rnn_size)(xv)
        h2h = nn.Linear(rnn_size, rnn_size)(hv)
        return nn.CAddTable()([i2h, h2h])

    outputs = []
    for L in range(1, n + 1):
        prev_h = inputs[L]
        # the input to this layer
        if L == 1:
            x = inputs[0]
            input_size_L = input_size
        else:
            x = outputs[L - 2]
            if dropout > 0:
                x = nn.Dropout(dropout)(x)     # apply dropout, if any
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

    graph.annotateNodes()

    return nn.gModule(inputs, outputs)
