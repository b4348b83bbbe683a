"""modules/BidirectionalRNN.lua: FixedRNN's ReLU recurrence read forwards and backwards over ``nstep`` inputs (one
i2h shared by both directions, an h2h each), the output the mean of all 2 x nstep states. Its signature has no
``avg``: train_sje_hybrid.lua's ``-bidirectional 1`` makes HybridCNN.lua call it as ``FixedRNN.rnn(8, avg, cnn_dim)``,
so ``emb_dim`` receives ``avg`` (0, which ``emb_dim or 256`` keeps in Lua) and the Linears are 0 x 0: that option
fails in Torch7 as here."""
from legonn import nn


def rnn(nstep, emb_dim=None, *_):     # HybridCNN passes a third argument, which Lua drops
    emb_dim = emb_dim if emb_dim is not None else 256
    inputs = []
    for n in range(nstep):
        inputs.append(nn.Identity()())

    i2h = {}
    h2h = {}
    relu = {}
    inp = {}
    sum = None
    # forward RNN
    for i, v in enumerate(inputs):
        i2h[i] = nn.Sequential()
        i2h[i].add(nn.Linear(emb_dim, emb_dim))
        inp[i] = i2h[i](inputs[i])
        if i > 0:
            i2h[i].share(i2h[0], 'weight', 'bias', 'gradWeight', 'gradBias')
            h2h[i - 1] = nn.Sequential()
            h2h[i - 1].add(nn.Linear(emb_dim, emb_dim))
            if i > 1:
                h2h[i - 1].share(h2h[i - 2], 'weight', 'bias', 'gradWeight', 'gradBias')
            relu[i] = nn.ReLU()(nn.CAddTable()([inp[i],
                                               h2h[i - 1](relu[i - 1])]))
        else:
            relu[i] = nn.ReLU()(inp[i])
        if i == 0:
            sum = relu[0]
        else:
            sum = nn.CAddTable()([sum, relu[i]])
    # backward RNN
    h2h2 = {}
    relu2 = {}
    for i, v in enumerate(inputs):
        ix = len(inputs) - i - 1
        if i > 0:
            h2h2[i - 1] = nn.Sequential()
            h2h2[i - 1].add(nn.Linear(emb_dim, emb_dim))
            if i > 1:
                h2h2[i - 1].share(h2h2[i - 2], 'weight', 'bias', 'gradWeight', 'gradBias')
            relu2[i] = nn.ReLU()(nn.CAddTable()([inp[ix],
                                                h2h2[i - 1](relu2[i - 1])]))
        else:
            relu2[i] = nn.ReLU()(inp[ix])
        sum = nn.CAddTable()([sum, relu2[i]])
    hid = nn.MulConstant(1. / (2 * len(inputs)))(sum)

    outputs = []
    outputs.append(hid)
    return nn.gModule(inputs, outputs)
