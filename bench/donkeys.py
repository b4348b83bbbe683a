"""Donkey overlap: one epoch of examples/donkeys.py loading inline vs with 2 donkeys.

    python bench/donkeys.py [--repeats 5] [--backend process]

Measures, interleaved and repeated (medians, the machine is shared): the
load-only epoch, the train-only epoch (batches loaded beforehand), the
epoch with inline loading, and the epoch with 2 donkeys. Target: with
donkeys the epoch takes at most 1.15 x max(load-only, train-only).
Each run is a fresh process running the example for 2 epochs; the second
epoch is timed (the first includes starting the workers).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, '..', 'examples', 'donkeys.py')


def epoch_time(*args):
    out = subprocess.run([sys.executable, EXAMPLE, '--epochs', '2', *args], capture_output=True, text=True,
                         check=True).stdout
    return float(re.findall(r'^epoch 2: ([\d.]+)s', out, re.M)[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--backend', default='process', choices=('process', 'thread'))
    args = parser.parse_args()
    cases = {'load only': ['--mode', 'load', '--donkeys', '0'],
             'train only': ['--mode', 'train'],
             'inline loading': ['--donkeys', '0'],
             f'2 donkeys ({args.backend})': ['--donkeys', '2', '--backend', args.backend]}
    times = {name: [] for name in cases}
    for _ in range(args.repeats):
        for name, case in cases.items():
            times[name].append(epoch_time(*case))
    med = {name: statistics.median(v) for name, v in times.items()}
    for name, v in times.items():
        print(f"{name:>22}: median {med[name]:.2f}s  (runs: {', '.join(f'{t:.2f}' for t in v)})")
    bound = max(med['load only'], med['train only'])
    donkeys = med[f'2 donkeys ({args.backend})']
    print(f"2 donkeys / max(load only, train only) = {donkeys / bound:.2f} (target <= 1.15); "
          f"inline / max = {med['inline loading'] / bound:.2f}")


if __name__ == '__main__':
    main()
