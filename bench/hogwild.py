"""Hogwild scaling: samples per second with 1 vs 2 workers, both backends (examples/hogwild.py).

    python bench/hogwild.py [--repeats 3] [--epochs 40]

Runs are interleaved and repeated; medians are reported (the machine is
shared). Also measures how much parallelism the machine offers right now:
the same pure-Python loop in 1 process, then in 2 processes at once
(2.0x on two idle cores); scaling above that figure is not possible.
Target: the process backend reaches >= 1.6x with 2 workers at equal
held-out accuracy (within 1 point).
"""
import argparse
import multiprocessing
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples'))

import hogwild  # noqa: E402


def _burn(_):
    s = 0
    for i in range(4_000_000):
        s += i
    return s


def headroom():
    """Throughput of 2 processes over 1 on a pure-Python loop: the parallelism available now."""
    with multiprocessing.get_context('forkserver').Pool(2) as pool:
        pool.map(_burn, [0, 1])     # warm
        t = time.perf_counter()
        pool.map(_burn, [0])
        one = time.perf_counter() - t
        t = time.perf_counter()
        pool.map(_burn, [0, 1])
        two = time.perf_counter() - t
    return 2 * one / two


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeats', type=int, default=3)
    # long enough that the workers' first-step warm-up (about a tenth of a second) is not what is measured
    parser.add_argument('--epochs', type=int, default=40)
    args = parser.parse_args()
    cases = [(w, b) for b in ('process', 'thread') for w in (1, 2)]
    rates = {c: [] for c in cases}
    accs = {c: [] for c in cases}
    rooms = []
    for _ in range(args.repeats):
        rooms.append(headroom())
        for workers, backend in cases:
            rate, acc, _ = hogwild.run(workers, backend, epochs=args.epochs, verbose=False)
            rates[(workers, backend)].append(rate)
            accs[(workers, backend)].append(acc)
    print(f"machine headroom (2-process / 1-process throughput, pure Python): median {statistics.median(rooms):.2f}x "
          f"(runs: {', '.join(f'{r:.2f}' for r in rooms)})")
    for backend in ('process', 'thread'):
        one, two = (statistics.median(rates[(w, backend)]) for w in (1, 2))
        a1, a2 = (statistics.median(accs[(w, backend)]) * 100 for w in (1, 2))
        print(f"{backend:>8}: 1 worker {one:.0f} samples/s (acc {a1:.2f}%), 2 workers {two:.0f} samples/s "
              f"(acc {a2:.2f}%): {two / one:.2f}x; runs 1w {[round(r) for r in rates[(1, backend)]]}, "
              f"2w {[round(r) for r in rates[(2, backend)]]}")


if __name__ == '__main__':
    main()
