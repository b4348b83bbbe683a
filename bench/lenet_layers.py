"""Where the W2 LeNet step of ``shared/bench/compare.py`` spends its time, module by module, inside the step.

The model, batch (64 MNIST digits) and optimiser are W2's (the first convolution computes its input
gradient, as W2's does); each module's ``updateOutput``, ``updateGradInput`` and ``accGradParameters``
is wrapped by a timer on the instance, so the figures are taken in the real step (caches and threads as
the step leaves them), not with each layer alone. Prints, per module, the median milliseconds per step
of each of the three methods, and the median step time.

    PYTHONPATH=$PWD python bench/lenet_layers.py [--steps 20] [--blocks 7]

It imports whichever ``legonn`` ``PYTHONPATH`` names, so the same script times any tree.
"""
import argparse
import os
import statistics
import sys
import time

import legonn as lg  # noqa: F401  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np
from legonn import nn, optim

MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'shared', 'data', 'mnist_5k.npz')
METHODS = ('updateOutput', 'updateGradInput', 'accGradParameters')


def w2_model():
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(1, 20, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.SpatialConvolution(20, 50, 5, 5)).add(nn.ReLU()).add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.View(800)).add(nn.Linear(800, 500)).add(nn.ReLU()).add(nn.Linear(500, 10)).add(nn.LogSoftMax())
    return model


def batch(n=64, seed=2):
    rng = np.random.default_rng(seed)
    if os.path.exists(MNIST):
        d = np.load(MNIST)
        idx = rng.permutation(len(d['y']))[:n]
        return (d['x'][idx].astype(np.float32) / 255.0).reshape(n, 1, 28, 28), d['y'][idx].astype(np.int64)
    print('shared/data/mnist_5k.npz not found: random digits', file=sys.stderr)
    return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n)


def timed(spent, key, method):
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.perf_counter() - start
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--steps', type=int, default=20, help='steps per timed block')
    parser.add_argument('--blocks', type=int, default=7, help='timed blocks; medians over blocks are printed')
    args = parser.parse_args()
    model, criterion = w2_model(), nn.ClassNLLCriterion()
    x, y = batch()
    spent = {}
    for i, m in enumerate(model.modules):
        for name in METHODS:
            if hasattr(m, name):
                setattr(m, name, timed(spent, (i, name), getattr(m, name)))
    params, grads = model.getParameters()
    config = {'learningRate': 0.1, 'momentum': 0.9}

    def feval(_):
        grads.zero()
        output = model.forward(x)
        loss = criterion.forward(output, y)
        model.backward(x, criterion.backward(output, y))
        return loss, grads

    for _ in range(5):
        optim.sgd(feval, params, config)
    blocks, steps = [], []
    for _ in range(args.blocks):
        spent.clear()
        start = time.perf_counter()
        for _ in range(args.steps):
            optim.sgd(feval, params, config)
        steps.append((time.perf_counter() - start) / args.steps)
        blocks.append({k: v / args.steps for k, v in spent.items()})
    print(f"legonn from {os.path.dirname(lg.__file__)}, {lg.getnumthreads()} threads, "
          f"{args.blocks} blocks x {args.steps} steps; ms per step, median over blocks")
    print(f"  {'module':44s} {'forward':>8s} {'gradIn':>8s} {'accGrad':>8s}")
    total = 0.0
    for i, m in enumerate(model.modules):
        cells = []
        for name in METHODS:
            values = [b[(i, name)] for b in blocks if (i, name) in b]
            cells.append(statistics.median(values) * 1e3 if values else None)
            total += cells[-1] or 0.0
        text = ' '.join(f"{c:8.3f}" if c is not None else f"{'-':>8s}" for c in cells)
        print(f"  {i:2d} {repr(m)[:41]:41s} {text}")
    print(f"  modules' sum {total:.2f} ms; step {statistics.median(steps) * 1e3:.2f} ms "
          f"(min {min(steps) * 1e3:.2f})")


if __name__ == '__main__':
    main()
