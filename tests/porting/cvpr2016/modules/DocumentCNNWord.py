"""modules/DocumentCNNWord.lua: the word-CNN text encoder without a recurrence (a batch x 30 x vocab_size caption,
three convolution stages to 5 x 256, two Linears to emb_dim)."""
from legonn import nn


def cnn(vocab_size, emb_dim, dropout=None):
    dropout = dropout if dropout is not None else 0.0

    net = nn.Sequential()
    # 30 x alphasize
    net.add(nn.TemporalConvolution(vocab_size, 256, 3))
    net.add(nn.Threshold())
    net.add(nn.TemporalMaxPooling(3, 3))
    # 10 x 256
    net.add(nn.TemporalConvolution(256, 256, 3))
    net.add(nn.Threshold())
    # 8 x 256
    net.add(nn.TemporalConvolution(256, 256, 3))
    net.add(nn.Threshold())
    # 6 x 256
    net.add(nn.Reshape(1280))
    net.add(nn.Linear(1280, 1024))
    net.add(nn.Dropout(dropout))
    net.add(nn.Linear(1024, emb_dim))
    return net
