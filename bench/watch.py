"""What lg.debug.watch costs: the LeNet-5 SGD step of bench/lenet.py (batch 64 and 256) with and
without a NaN/Inf watch on the model, interleaved block by block in one process (a burst of load on a
shared machine hits both), median step time over all blocks. ``--cuda`` runs it on the GPU.

    python bench/watch.py [--blocks 15] [--steps 3] [--batch 64 256] [--cuda]
"""
import argparse
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, '..'), os.path.join(HERE, '..', 'examples'), HERE]

import legonn as lg  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from legonn import nn  # noqa: E402
from lenet import lenet  # noqa: E402  (examples/lenet.py: the model)
from sgd_step import sgd_step  # noqa: E402


def timed(step, sync, steps):
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return (time.perf_counter() - t0) / steps


def measure(batch, blocks, steps, cuda):
    """(median ms without the watch, median ms with it)."""
    model = lenet()
    xp = lg.tensor.backend.cupy() if cuda else np
    rng = np.random.default_rng(0)
    x = xp.asarray(rng.random((batch, 1, 28, 28), dtype=np.float32))
    y = xp.asarray(rng.integers(0, 10, batch))
    step = sgd_step(model, nn.ClassNLLCriterion(), x, y, cuda)
    sync = xp.cuda.Device().synchronize if cuda else (lambda: None)
    for _ in range(2):
        step()   # warm-up: buffers allocated, kernels compiled
    plain, watched = [], []
    for _ in range(blocks):
        plain.append(timed(step, sync, steps))
        with lg.debug.watch(model):
            watched.append(timed(step, sync, steps))
    return statistics.median(plain) * 1e3, statistics.median(watched) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--blocks', type=int, default=15)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--batch', type=int, nargs='+', default=[64, 256])
    parser.add_argument('--cuda', action='store_true')
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, {'GPU' if args.cuda else 'CPU'}")
    for batch in args.batch:
        plain, watched = measure(batch, args.blocks, args.steps, args.cuda)
        print(f"LeNet-5 step, batch {batch:4d}: {plain:8.2f} ms plain, {watched:8.2f} ms watched: "
              f"{watched / plain:.3f}x")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == '__main__':
    main()
