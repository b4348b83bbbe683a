"""The rnn package's step-by-step cells against its fused sequence layers: forward and backward of
nn.Sequencer(nn.FastLSTM(H, H)) against nn.SeqLSTM(H, H), and of nn.Sequencer(nn.GRU(H, H)) against nn.SeqGRU(H, H).

Each model takes a float32 ``seq x batch x H`` tensor (default 50 x 32 x 256) and a gradOutput of the same
size; one timed step is zeroGradParameters, forward and backward. The models alternate, step by step, after
two warm-up steps each; the script prints each one's best and median step time and the ratios of the medians.
The cells run their step module (nn modules, as the Lua builds them) once per time step; SeqLSTM/SeqGRU
compute the input products of all steps in one product and fuse each step's gates.

    python3 bench/rnn_cells.py [--threads 1] [--repeats 9] [--hidden 256] [--seq 50] [--batch 32]
"""
import argparse
import os
import statistics
import sys
import time

ARGS = argparse.ArgumentParser(description=__doc__.split('\n')[0])
ARGS.add_argument('--hidden', type=int, default=256)
ARGS.add_argument('--seq', type=int, default=50)
ARGS.add_argument('--batch', type=int, default=32)
ARGS.add_argument('--repeats', type=int, default=9, help='timed steps per model (median reported)')
ARGS.add_argument('--threads', type=int, default=None, help='BLAS and legonn threads (default: library default)')
OPTS = ARGS.parse_args()
if OPTS.threads:
    # before NumPy loads OpenBLAS
    os.environ['OPENBLAS_NUM_THREADS'] = os.environ['OMP_NUM_THREADS'] = str(OPTS.threads)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import legonn as lg  # noqa: E402  (legonn before NumPy, as the README asks)
import numpy as np  # noqa: E402
from legonn import nn  # noqa: E402


def main():
    if OPTS.threads:
        lg.setnumthreads(OPTS.threads)
    T, B, H = OPTS.seq, OPTS.batch, OPTS.hidden
    rng = np.random.default_rng(0)
    x = lg.FloatTensor(rng.standard_normal((T, B, H)).astype(np.float32))
    go = lg.FloatTensor(rng.standard_normal((T, B, H)).astype(np.float32))
    models = {'Sequencer(FastLSTM)': nn.Sequencer(nn.FastLSTM(H, H)), 'SeqLSTM': nn.SeqLSTM(H, H),
              'Sequencer(GRU)': nn.Sequencer(nn.GRU(H, H)), 'SeqGRU': nn.SeqGRU(H, H)}

    def step(model):
        model.zeroGradParameters()
        model.forward(x)
        model.backward(x, go)

    for model in models.values():
        step(model)
        step(model)
    times = {name: [] for name in models}
    for _ in range(OPTS.repeats):
        for name, model in models.items():
            start = time.perf_counter()
            step(model)
            times[name].append(time.perf_counter() - start)
    print(f"{T} steps, batch {B}, {H} -> {H}, float32, threads {OPTS.threads or 'default'}")
    for name, ts in times.items():
        print(f"  {name:20s} best {min(ts) * 1e3:7.1f} ms, median {statistics.median(ts) * 1e3:7.1f} ms "
              f"({statistics.median(ts) / T * 1e3:.2f} ms per time step)")
    for cell, fused in (('Sequencer(FastLSTM)', 'SeqLSTM'), ('Sequencer(GRU)', 'SeqGRU')):
        print(f"  {cell} / {fused}: {statistics.median(times[cell]) / statistics.median(times[fused]):.2f}x")


if __name__ == '__main__':
    main()
