"""One SGD step of an MLP 784-128-10 (tanh, log-softmax cross-entropy, batch 128, FloatTensors) written as a
plain function for legonn.autograd: the direct runtime (trace and backward pass on every call) against the
optimized one (Python generated once, then run with its tensor pool). The two are timed with timeit in
interleaved rounds in this process (a burst of load on a shared machine hits both); each round's time per step,
then the median and the fastest round per mode and the median of the rounds' ratios (each round's two runs
share its load), are printed, with the optimized mode's first call (trace, code generation, compilation) apart.
``--batch`` changes the batch size (a small one shows the per-step overhead the generated code saves).

    python bench/autograd_mlp.py [--rounds 15] [--steps 20] [--batch 128] [--cuda]
"""
import argparse
import os
import statistics
import sys
import time
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import legonn as lg  # noqa: E402
from legonn import autograd  # noqa: E402

NIN, NHID, NOUT = 784, 128, 10
BATCH = 128   # --batch
LR = 0.01


def loss(p, x, onehot):
    """Mean cross-entropy of a tanh layer and a linear layer's log-softmax."""
    h = lg.tanh(x @ p['W1'] + p['b1'].view(1, NHID).expand(BATCH, NHID))
    o = h @ p['W2'] + p['b2'].view(1, NOUT).expand(BATCH, NOUT)
    logp = o - lg.log(lg.sum(lg.exp(o), 1)).expand(BATCH, NOUT)
    return -lg.sum(lg.cmul(logp, onehot)) / BATCH


def setup(cuda):
    lg.manualSeed(0)
    params = {'W1': lg.randn(NIN, NHID) * 0.05, 'b1': lg.zeros(NHID),
              'W2': lg.randn(NHID, NOUT) * 0.05, 'b2': lg.zeros(NOUT)}
    x = lg.randn(BATCH, NIN)
    onehot = lg.zeros(BATCH, NOUT)
    for i in range(BATCH):
        onehot[i][i % NOUT] = 1
    if cuda:
        params = {k: v.cuda() for k, v in params.items()}
        x, onehot = x.cuda(), onehot.cuda()
    return params, x, onehot


def step_fn(df, params, x, onehot):
    def step():
        grads, value = df(params, x, onehot)
        for k in params:
            params[k].add(-LR, grads[k])
        return value
    return step


def main():
    global BATCH
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rounds', type=int, default=15)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--batch', type=int, default=BATCH)
    ap.add_argument('--cuda', action='store_true')
    args = ap.parse_args()
    BATCH = args.batch
    params, x, onehot = setup(args.cuda)
    direct = step_fn(autograd(loss, optimize=False), params, x, onehot)
    start = time.perf_counter()
    optimized = step_fn(autograd(loss, optimize=True), params, x, onehot)
    optimized()
    first = time.perf_counter() - start
    direct()
    sync = lg.cutorch.synchronize if args.cuda else (lambda: None)
    times = {'direct': [], 'optimized': []}
    for _ in range(args.rounds):
        for name, step in (('direct', direct), ('optimized', optimized)):
            sync()
            t = timeit.timeit(lambda: (step(), sync()), number=args.steps)
            times[name].append(t / args.steps * 1e3)
    print(f"device: {'CUDA' if args.cuda else 'CPU'}; optimized first call (trace + generate + compile + run): "
          f"{first * 1e3:.1f} ms")
    for name, ts in times.items():
        print(f"{name:9s} ms/step: median {statistics.median(ts):.3f}  fastest {min(ts):.3f}  "
              f"rounds {' '.join(f'{t:.2f}' for t in ts)}")
    paired = [d / o for d, o in zip(times['direct'], times['optimized'])]
    medians = statistics.median(times['direct']) / statistics.median(times['optimized'])
    print(f"direct / optimized: of the medians {medians:.2f}"
          f", of the fastest {min(times['direct']) / min(times['optimized']):.2f}"
          f", median of the rounds' ratios {statistics.median(paired):.2f}")


if __name__ == '__main__':
    main()
