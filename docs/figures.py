"""Redraws the example model pictures in docs/ (lenet.svg, concat.svg) with ``graph.dot``.

Run from the repository root: ``python docs/figures.py``.
"""
import os
import sys

import legonn as lg
from legonn import graph, nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples'))
from lenet import lenet  # noqa: E402  (the example's own network)


def inception_block():
    """A small Inception-style network: three branches joined by a Concat over the channels."""
    branches = nn.Concat(1)
    branches.add(nn.Sequential().add(nn.SpatialConvolution(8, 4, 1, 1)).add(nn.ReLU()))
    branches.add(nn.Sequential().add(nn.SpatialConvolution(8, 4, 3, 3, 1, 1, 1, 1)).add(nn.ReLU()))
    branches.add(nn.SpatialMaxPooling(3, 3, 1, 1, 1, 1))
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1)).add(nn.ReLU()).add(branches)
    model.add(nn.View(16 * 8 * 8)).add(nn.Linear(16 * 8 * 8, 10)).add(nn.LogSoftMax())
    return model


def main():
    folder = os.path.dirname(os.path.abspath(__file__))
    model = lenet()
    model.forward(lg.randn(4, 1, 28, 28))
    graph.dot(model, 'LeNet-5', os.path.join(folder, 'lenet'))
    model = inception_block()
    model.forward(lg.randn(2, 3, 8, 8))
    graph.dot(model, 'A Concat network (Inception-style block)', os.path.join(folder, 'concat'))
    for name in ('lenet', 'concat'):
        os.remove(os.path.join(folder, f'{name}.dot'))


if __name__ == '__main__':
    main()
