"""Small versions of the models the tools are measured on: LeNet-5, a VGG-style convnet, an
Inception-style Concat network and the char-LSTM's time step."""
import os
import sys

import legonn as lg
from legonn import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'examples'))
import char_lstm  # noqa: E402
from lenet import lenet  # noqa: E402,F401  (re-exported for the tests)


def vgg(width=8, classes=10):
    """8 padded 3x3 convolutions on 3x32x32 in four stages of two, each stage ending in 2x2 max pooling."""
    model, planes = nn.Sequential(), 3
    for stage in range(4):
        out = width * 2 ** stage
        for _ in range(2):
            model.add(nn.SpatialConvolution(planes, out, 3, 3, 1, 1, 1, 1)).add(nn.ReLU())
            planes = out
        model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.View(planes * 2 * 2)).add(nn.Linear(planes * 2 * 2, classes)).add(nn.LogSoftMax())
    return model


def inception():
    """conv -> ReLU -> Concat of three branches (1x1, 3x3, pooling) -> Linear -> LogSoftMax on 3x8x8."""
    block = nn.Concat(1)
    block.add(nn.Sequential().add(nn.SpatialConvolution(8, 4, 1, 1)).add(nn.ReLU()))
    block.add(nn.Sequential().add(nn.SpatialConvolution(8, 4, 3, 3, 1, 1, 1, 1)).add(nn.ReLU()))
    block.add(nn.SpatialMaxPooling(3, 3, 1, 1, 1, 1))
    model = nn.Sequential().add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1)).add(nn.ReLU()).add(block)
    return model.add(nn.View(16 * 8 * 8)).add(nn.Linear(16 * 8 * 8, 10)).add(nn.LogSoftMax())


def lstm_step(vocab=20, embed=8, rnn=16, layers=2):
    """The char-LSTM's time step (a gModule of gModules) and a maker of its inputs for a batch."""
    step = char_lstm.time_step(vocab, embed, rnn, layers)

    def make_input(batch):
        return [lg.randn(batch, embed)] + [lg.randn(batch, rnn) for _ in range(2 * layers)]
    return step, make_input
