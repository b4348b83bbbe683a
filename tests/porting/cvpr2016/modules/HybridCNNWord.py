"""modules/HybridCNNWord.lua: the word-CNN-RNN text encoder. A batch x 30 x vocab_size one-hot caption goes through
three TemporalConvolution/Threshold stages and a max-pooling (30 words -> 8 frames), is split into its frames and
read by ``FixedRNN.rnn(length, 1, 512)`` (the global the caller sets, as for HybridCNN.py), then a Linear to
emb_dim."""
from legonn import nn

FixedRNN = None


def cnn(vocab_size, emb_dim, dropout=None, length=None):
    dropout = dropout if dropout is not None else 0.0
    length = length if length is not None else 8

    inputs = []
    inputs.append(nn.Identity()())

    net = nn.Sequential()
    # 30 x alphasize
    net.add(nn.TemporalConvolution(vocab_size, 512, 3))
    net.add(nn.Threshold())
    # 28 x alphasize
    net.add(nn.TemporalConvolution(512, 512, 2))
    net.add(nn.Threshold())
    # 27 x alphasize
    net.add(nn.TemporalMaxPooling(3, 3))
    # 9 x alphasize
    net.add(nn.TemporalConvolution(512, 512, 2))
    net.add(nn.Threshold())
    # 8 x 256
    h1 = nn.SplitTable(1)(net(inputs[0]))
    r2 = FixedRNN.rnn(length, 1, 512)(h1)
    out = nn.Linear(512, emb_dim)(nn.Dropout(dropout)(r2))
    outputs = []
    outputs.append(out)
    return nn.gModule(inputs, outputs)
