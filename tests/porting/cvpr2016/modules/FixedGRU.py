"""modules/FixedGRU.lua: a GRU unrolled over ``nstep`` inputs (each batch x emb_dim), its gates' Linears shared across
steps; the output is the last hidden state, or with ``avg == 1`` the time-average."""
from legonn import nn


def rnn(nstep, avg=None, emb_dim=None):
    if avg is None:
        avg = 0
    if emb_dim is None:
        emb_dim = 256
    inputs = []
    for n in range(nstep):
        inputs.append(nn.Identity()())

    # gates for update
    i2h_update = {}
    h2h_update = {}
    # gates for reset
    i2h_reset = {}
    h2h_reset = {}
    # candidate hidden state
    i2h = {}
    h2h = {}
    # actual hidden state
    hids = {}

    for i, v in enumerate(inputs):
        i2h_update[i] = nn.Sequential()
        i2h_update[i].add(nn.Linear(emb_dim, emb_dim))
        i2h_reset[i] = nn.Sequential()
        i2h_reset[i].add(nn.Linear(emb_dim, emb_dim))
        i2h[i] = nn.Sequential()
        i2h[i].add(nn.Linear(emb_dim, emb_dim))

        if i > 0:
            i2h_update[i].share(i2h_update[0], 'weight', 'bias', 'gradWeight', 'gradBias')
            i2h_reset[i].share(i2h_reset[0], 'weight', 'bias', 'gradWeight', 'gradBias')
            i2h[i].share(i2h[0], 'weight', 'bias', 'gradWeight', 'gradBias')

            h2h_update[i - 1] = nn.Sequential()
            h2h_update[i - 1].add(nn.Linear(emb_dim, emb_dim))
            h2h_reset[i - 1] = nn.Sequential()
            h2h_reset[i - 1].add(nn.Linear(emb_dim, emb_dim))
            h2h[i - 1] = nn.Sequential()
            h2h[i - 1].add(nn.Linear(emb_dim, emb_dim))

            if i > 1:
                h2h_update[i - 1].share(h2h_update[i - 2], 'weight', 'bias', 'gradWeight', 'gradBias')
                h2h_reset[i - 1].share(h2h_reset[i - 2], 'weight', 'bias', 'gradWeight', 'gradBias')
                h2h[i - 1].share(h2h[i - 2], 'weight', 'bias', 'gradWeight', 'gradBias')

            # compute update and reset gates.
            update = nn.Sigmoid()(nn.CAddTable()([i2h_update[i](inputs[i]), h2h_update[i - 1](hids[i - 1])]))
            reset = nn.Sigmoid()(nn.CAddTable()([i2h_reset[i](inputs[i]), h2h_reset[i - 1](hids[i - 1])]))

            # compute candidate hidden state.
            gated_hidden = nn.CMulTable()([reset, hids[i - 1]])
            p1 = i2h[i](inputs[i])
            p2 = h2h[i - 1](gated_hidden)
            hidden_cand = nn.Tanh()(nn.CAddTable()([p1, p2]))

            # use gates to interpolate hidden state.
            zh = nn.CMulTable()([update, hidden_cand])
            zhm1 = nn.CMulTable()([nn.AddConstant(1, False)(nn.MulConstant(-1, False)(update)), hids[i - 1]])
            hids[i] = nn.CAddTable()([zh, zhm1])
        else:
            hids[i] = nn.Tanh()(i2h[i](inputs[i]))

    if avg == 1:
        hid = hids[0]
        for n in range(1, nstep):
            hid = nn.CAddTable()([hid, hids[n]])
        hid = nn.MulConstant(1. / nstep)(hid)
    else:
        hid = hids[len(hids) - 1]

    outputs = []
    outputs.append(hid)
    return nn.gModule(inputs, outputs)
