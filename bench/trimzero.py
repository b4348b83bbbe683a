"""TrimZero against MaskZero on a language-model batch of variable-length sentences: rnn's test/test_trimzero.lua.

Model (the Lua script's): LookupTableMaskZero(vocab, emb) -> SplitTable -> Sequencer(FastLSTM or GRU with
maskZero(1) or trimZero(1)) -> last step -> Linear(hidden, 10) -> CrossEntropyCriterion; each sentence is
left-padded with a random number (0 to seqlen - 1) of padding indices (-1, the Lua script's 0). One training
step is forward, backward and updateParameters(0.5). The two methods start from the same weights and alternate
block by block; the script checks their losses agree and prints each one's median step time.

    python3 bench/trimzero.py [--cell FastLSTM|GRU] [--repeats 5] [--steps 3]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import legonn as lg  # noqa: E402  (legonn before NumPy, as the README asks)
import numpy as np  # noqa: E402
from legonn import nn  # noqa: E402

ARGS = argparse.ArgumentParser(description=__doc__.split('\n')[0])
ARGS.add_argument('--cell', choices=['FastLSTM', 'GRU'], default='FastLSTM')
ARGS.add_argument('--batch', type=int, default=200)
ARGS.add_argument('--seq', type=int, default=26)
ARGS.add_argument('--vocab', type=int, default=1000)
ARGS.add_argument('--emb', type=int, default=200)
ARGS.add_argument('--hidden', type=int, default=300)
ARGS.add_argument('--repeats', type=int, default=5, help='timed blocks per method (median reported)')
ARGS.add_argument('--steps', type=int, default=3, help='training steps per block')
OPTS = ARGS.parse_args()


def main():
    rng = np.random.default_rng(123)
    x = rng.integers(0, OPTS.vocab, size=(OPTS.batch, OPTS.seq))
    for row, pad in zip(x, rng.integers(0, OPTS.seq, size=OPTS.batch)):
        row[:pad] = -1
    x = lg.LongTensor(x)
    t = lg.LongTensor(rng.integers(0, 10, size=OPTS.batch))
    base = (nn.Sequential().add(nn.LookupTableMaskZero(OPTS.vocab, OPTS.emb)).add(nn.SplitTable(1))
            .add(nn.Sequencer(getattr(nn, OPTS.cell)(OPTS.emb, OPTS.hidden))).add(nn.SelectTable(-1))
            .add(nn.Linear(OPTS.hidden, 10)))
    base.getParameters()[0].uniform(-0.1, 0.1)
    crit = nn.CrossEntropyCriterion()
    models = {}
    for method in ('maskZero', 'trimZero'):
        models[method] = base.clone()
        getattr(models[method].get(2).module, method)(1)
    first = {m: crit.forward(models[m].forward(x), t) for m in models}
    print(f"first loss: maskZero {first['maskZero']:.6f}, trimZero {first['trimZero']:.6f}")
    assert abs(first['maskZero'] - first['trimZero']) < 1e-5
    times = {m: [] for m in models}
    for _ in range(OPTS.repeats):
        for method, model in models.items():
            start = time.perf_counter()
            for _ in range(OPTS.steps):
                model.zeroGradParameters()
                y = model.forward(x)
                crit.forward(y, t)
                model.backward(x, crit.backward(y, t))
                model.updateParameters(0.5)
            times[method].append((time.perf_counter() - start) / OPTS.steps)
    mask, trim = statistics.median(times['maskZero']), statistics.median(times['trimZero'])
    print(f"{OPTS.cell}, batch {OPTS.batch}, {OPTS.seq} steps, padding {int((x.numpy() < 0).sum())} of "
          f"{x.nElement()} positions")
    print(f"maskZero {1000 * mask:.1f} ms/step, trimZero {1000 * trim:.1f} ms/step: trimZero/maskZero "
          f"{trim / mask:.2f}x")


if __name__ == '__main__':
    main()
