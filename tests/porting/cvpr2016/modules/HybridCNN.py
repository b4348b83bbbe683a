"""modules/HybridCNN.lua: the char-CNN-RNN text encoder. A batch x doc_length x alphasize one-hot document goes
through three TemporalConvolution/Threshold/TemporalMaxPooling stages (201 frames -> 8), is split into its frames and
read by ``FixedRNN.rnn(8, ...)``, then a Linear to emb_dim.

``FixedRNN`` is a global in the Lua, which train_sje_hybrid.lua sets (to modules.FixedRNN or modules.BidirectionalRNN)
before calling ``cnn``: Python's globals are per module, so the script sets this module's ``FixedRNN``."""
from legonn import nn

FixedRNN = None


def cnn(alphasize, emb_dim, dropout=None, avg=None, cnn_dim=None):
    dropout = dropout if dropout is not None else 0.0
    avg = avg if avg is not None else 0
    cnn_dim = cnn_dim if cnn_dim is not None else 256

    inputs = []
    inputs.append(nn.Identity()())  # Bag

    net = nn.Sequential()
    # 201 x alphasize
    net.add(nn.TemporalConvolution(alphasize, 384, 4))
    net.add(nn.Threshold())
    net.add(nn.TemporalMaxPooling(3, 3))
    # 66 x 256
    net.add(nn.TemporalConvolution(384, 512, 4))
    net.add(nn.Threshold())
    net.add(nn.TemporalMaxPooling(3, 3))
    # 21 x 256
    net.add(nn.TemporalConvolution(512, cnn_dim, 4))
    net.add(nn.Threshold())
    net.add(nn.TemporalMaxPooling(3, 2))
    # 8 x 256
    h1 = nn.SplitTable(1)(net(inputs[0]))
    r2 = FixedRNN.rnn(8, avg, cnn_dim)(h1)
    out = nn.Linear(cnn_dim, emb_dim)(nn.Dropout(dropout)(r2))
    outputs = []
    outputs.append(out)
    return nn.gModule(inputs, outputs)
