"""Memory over a long training run: the MNIST MLP of examples/mnist.py (784-256-256-10, ReLU,
LogSoftMax + ClassNLL, batch 32, SGD with momentum 0.9) for 10,000 steps on the bundled digits,
with the resident set size read from /proc/self/statm every ``--every`` steps. A leak of even one
small buffer per step shows as a steady climb; a flat curve after the first steps means none.

    python bench/memory.py [--steps 10000] [--every 1000] [--hidden 256]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import legonn as lg  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from legonn import nn, optim  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples', 'data', 'mnist_5k.npz')
PAGE = os.sysconf('SC_PAGE_SIZE')


def rss_mib():
    """Resident set size of this process in MiB (second field of /proc/self/statm, in pages)."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE / 2 ** 20


def training_rss(steps, every, hidden=256, batch=32, seed=1):
    """Yield (step, RSS in MiB) every ``every`` steps of MLP training (step 0: before the first)."""
    lg.manualSeed(seed)
    data = np.load(DATA)
    x = (data['x'].reshape(len(data['y']), -1) / 255.0).astype(np.float32)
    y = data['y'].astype(np.int64)
    model = nn.Sequential().add(nn.Linear(784, hidden)).add(nn.ReLU()).add(nn.Linear(hidden, hidden))
    model.add(nn.ReLU()).add(nn.Linear(hidden, 10)).add(nn.LogSoftMax())
    criterion = nn.ClassNLLCriterion()
    params, grads = model.getParameters()
    config = {'learningRate': 0.05, 'momentum': 0.9, 'dampening': 0}
    rng = np.random.default_rng(seed)
    yield 0, rss_mib()
    for step in range(1, steps + 1):
        idx = rng.integers(0, len(y), batch)
        inputs, targets = x[idx], y[idx]

        def feval(_):
            grads.zero()
            out = model.forward(inputs)
            loss = criterion.forward(out, targets)
            model.backward(inputs, criterion.backward(out, targets))
            return loss, grads

        optim.sgd(feval, params, config)
        if step % every == 0:
            yield step, rss_mib()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--steps', type=int, default=10000)
    parser.add_argument('--every', type=int, default=1000)
    parser.add_argument('--hidden', type=int, default=256)
    args = parser.parse_args()
    start = time.perf_counter()
    rows = list(training_rss(args.steps, args.every, args.hidden))
    for step, rss in rows:
        print(f"step {step:6d}: RSS {rss:8.2f} MiB")
    first = rows[1][1] if len(rows) > 1 else rows[0][1]
    print(f"growth from step {rows[1][0] if len(rows) > 1 else 0} to step {rows[-1][0]}: "
          f"{rows[-1][1] - first:+.2f} MiB; {time.perf_counter() - start:.1f}s")


if __name__ == '__main__':
    main()
