"""modules/FixedRNN.lua: a ReLU RNN unrolled over ``nstep`` inputs (each batch x emb_dim), its i2h and h2h Linears
shared across steps; the output is the time-average of the hidden states (``avg`` is not read)."""
from legonn import nn


def rnn(nstep, avg, emb_dim=None):
    emb_dim = emb_dim if emb_dim is not None else 256
    inputs = []
    for n in range(nstep):
        inputs.append(nn.Identity()())

    i2h = {}
    h2h = {}
    relu = {}
    sum = None
    for i, v in enumerate(inputs):
        i2h[i] = nn.Sequential()
        i2h[i].add(nn.Linear(emb_dim, emb_dim))
        if i > 0:
            i2h[i].share(i2h[0], 'weight', 'bias', 'gradWeight', 'gradBias')

            h2h[i - 1] = nn.Sequential()
            h2h[i - 1].add(nn.Linear(emb_dim, emb_dim))
            if i > 1:
                h2h[i - 1].share(h2h[i - 2], 'weight', 'bias', 'gradWeight', 'gradBias')

            relu[i] = nn.ReLU()(nn.CAddTable()([i2h[i](inputs[i]),
                                               h2h[i - 1](relu[i - 1])]))
        else:
            relu[i] = nn.ReLU()(i2h[i](inputs[i]))
        if i == 0:
            sum = relu[0]
        else:
            sum = nn.CAddTable()([sum, relu[i]])
    hid = nn.MulConstant(1. / len(inputs))(sum)

    outputs = []
    outputs.append(hid)
    return nn.gModule(inputs, outputs)
