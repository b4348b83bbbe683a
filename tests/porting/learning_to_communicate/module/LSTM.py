"""code/module/LSTM.lua: an n-layer LSTM with optional recurrent batch normalisation, inputs {x, prev_c[1],
prev_h[1], ...}, outputs {next_c[1], next_h[1], ...}."""
from legonn import graph, nn


def LSTM(input_size, rnn_size, n, dropout=None, bn=None):
    dropout = dropout or 0

    # there will be 2*n+1 inputs
    inputs = []
    inputs.append(nn.Identity()())          # x
    for L in range(n):
        inputs.append(nn.Identity()())      # prev_c[L]
        inputs.append(nn.Identity()())      # prev_h[L]

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
                x = nn.Dropout(dropout)(x)     # apply dropout, if any
            input_size_L = rnn_size
        # recurrent batch normalization
        # http://arxiv.org/abs/1603.09025
        if bn:
            bn_wx = nn.BatchNormalization(4 * rnn_size, 1e-5, 0.1, True)
            bn_wh = nn.BatchNormalization(4 * rnn_size, 1e-5, 0.1, True)
            bn_c = nn.BatchNormalization(rnn_size, 1e-5, 0.1, True)
        else:
            bn_wx = nn.Identity()
            bn_wh = nn.Identity()
            bn_c = nn.Identity()
        # evaluate the input sums at once for efficiency
        i2h = bn_wx(nn.Linear(input_size_L, 4 * rnn_size)(x).annotate({'name': 'i2h_' + str(L)})
                    ).annotate({'name': 'bn_wx_' + str(L)})
        h2h = bn_wh(nn.Linear(rnn_size, 4 * rnn_size, False)(prev_h).annotate({'name': 'h2h_' + str(L)})
                    ).annotate({'name': 'bn_wh_' + str(L)})
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
        next_h = nn.CMulTable()([out_gate, nn.Tanh()(bn_c(next_c).annotate({'name': 'bn_c_' + str(L)}))])

        outputs.append(next_c)
        outputs.append(next_h)

    graph.annotateNodes()

    return nn.gModule(inputs, outputs)
