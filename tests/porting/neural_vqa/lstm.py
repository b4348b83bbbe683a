"""lstm.lua: the multi-layer LSTM cell as an nngraph gModule, inputs {x, c_1, h_1, ..., c_L, h_L}, outputs
{c_1, h_1, ..., c_L, h_L}; the gates are one Linear's 4 * rnn_size wide output narrowed along dimension 1."""
from legonn import nn


def create(input_size, rnn_size, num_layers):

    inputs = []

    inputs.append(nn.Identity()())  # x

    for L in range(1, num_layers + 1):
        inputs.append(nn.Identity()())  # c
        inputs.append(nn.Identity()())  # h

    x, input_size_L = None, None
    outputs = []

    for L in range(1, num_layers + 1):
        prev_c = inputs[2 * L - 1]
        prev_h = inputs[2 * L]

        if L == 1:
            x = inputs[0]
            input_size_L = input_size
        else:
            x = outputs[2 * (L - 1) - 1]
            input_size_L = rnn_size

        i2h = nn.Linear(input_size_L, 4 * rnn_size)(x)
        h2h = nn.Linear(rnn_size, 4 * rnn_size)(prev_h)
        preactivations = nn.CAddTable()([i2h, h2h])

        # gates
        pre_sigmoid_chunk = nn.Narrow(1, 0, 3 * rnn_size)(preactivations)
        all_gates = nn.Sigmoid()(pre_sigmoid_chunk)

        # input
        in_chunk = nn.Narrow(1, 3 * rnn_size, rnn_size)(preactivations)
        in_transform = nn.Tanh()(in_chunk)

        in_gate = nn.Narrow(1, 0, rnn_size)(all_gates)
        forget_gate = nn.Narrow(1, rnn_size, rnn_size)(all_gates)
        out_gate = nn.Narrow(1, 2 * rnn_size, rnn_size)(all_gates)

        next_c = nn.CAddTable()([
            nn.CMulTable()([forget_gate, prev_c]),
            nn.CMulTable()([in_gate, in_transform])
        ])

        c_transform = nn.Tanh()(next_c)
        next_h = nn.CMulTable()([out_gate, c_transform])

        outputs.append(next_c)
        outputs.append(next_h)

    return nn.gModule(inputs, outputs)
