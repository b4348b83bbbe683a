"""Activation memory before and after lg.optimizeMemory, in inference and in training, for LeNet-5
(28x28, batch 64), a VGG-style convnet (8 padded 3x3 convolutions on 3x32x32, 32 to 256 planes,
batch 32) and the char-LSTM's time step (2 layers of 128, vocabulary 65, embedding 32, batch 50).

"Memory" is ``lg.memoryUsage(model)['buffers']``: every non-parameter buffer the model holds
(outputs, gradInputs, convolution columns, ...) after one pass, shared memory counted once. Each row
also checks that the optimised model computes bitwise what an unoptimised copy does on fresh inputs.

    python bench/memory_opt.py [--cuda]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))

import legonn as lg  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from tests.tools.models import lenet, lstm_step, vgg  # noqa: E402


def host(tree):
    return [np.array(t.array.get() if hasattr(t.array, 'get') else t.array) for t in
            (tree if isinstance(tree, list) else [tree]) if t is not None]


def grad_like(out):
    return [lg.randn(*o.size()).type(o.type()) for o in out] if isinstance(out, list) else \
        lg.randn(*out.size()).type(out.type())


def bitwise_same(model, twin, make_input, training):
    x = make_input()
    same = all(np.array_equal(a, b) for a, b in zip(host(model.forward(x)), host(twin.forward(x))))
    if training:
        g = grad_like(model.output)
        model.zeroGradParameters()
        twin.zeroGradParameters()
        same &= all(np.array_equal(a, b) for a, b in zip(host(model.backward(x, g)), host(twin.backward(x, g))))
        same &= all(np.array_equal(a, b) for a, b in zip(host(model.parameters()[1]), host(twin.parameters()[1])))
    return same


def row(name, build, make_input, mode, cuda):
    model = build().cuda() if cuda else build()
    x = make_input()
    out = model.forward(x)
    if mode == 'training':
        model.backward(x, grad_like(out))
    twin = model.clone()
    before = lg.memoryUsage(model)['buffers']
    lg.optimizeMemory(model, x, mode)
    after = lg.memoryUsage(model)['buffers']
    same = bitwise_same(model, twin, make_input, mode == 'training')
    print(f"| {name} | {mode} | {before / 2 ** 20:.2f} | {after / 2 ** 20:.2f} | {1 - after / before:.1%} | "
          f"{'yes' if same else 'NO'} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--cuda', action='store_true')
    args = parser.parse_args()
    cuda = args.cuda

    def on_device(t):
        return t.cuda() if cuda else t

    def lstm():
        return lstm_step(vocab=65, embed=32, rnn=128, layers=2)
    lstm_input = lstm()[1]

    models = [('LeNet-5, batch 64', lenet, lambda: on_device(lg.randn(64, 1, 28, 28))),
              ('VGG-style 8 conv, batch 32', lambda: vgg(32), lambda: on_device(lg.randn(32, 3, 32, 32))),
              ('char-LSTM time step, batch 50', lambda: lstm()[0],
               lambda: [on_device(t) for t in lstm_input(50)])]
    print('| model | mode | before (MiB) | after (MiB) | less | bitwise same |')
    print('|---|---|---|---|---|---|')
    for name, build, make_input in models:
        for mode in ('inference', 'training'):
            lg.manualSeed(1)
            row(name, build, make_input, mode, cuda)


if __name__ == '__main__':
    main()
