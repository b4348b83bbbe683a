"""One training step of a one-layer character LSTM: legonn (gModule cell, unrolled clones) vs PyTorch eager.

Model (both sides): vocab 65 one-hot inputs -> LSTM (hidden 256) -> Linear(256, 65) -> LogSoftMax ->
ClassNLL at every step of a 50-step sequence, batch 32, full backprop through time, then an SGD
update. legonn uses examples/char_lstm.py's step gModule cloned 50 times with shared parameters;
PyTorch unrolls ``torch.nn.LSTMCell`` the same way. One-hot inputs are built before timing.
PyTorch is needed for this script only (``pip install torch``).

    python3 bench/lstm.py [--threads 1] [--repeats 7] [--cuda]

Prints the median step time of each and their ratio (legonn / PyTorch).
"""
import argparse
import os
import statistics
import sys
import time

ARGS = argparse.ArgumentParser(description=__doc__.split('\n')[0])
ARGS.add_argument('--vocab', type=int, default=65)
ARGS.add_argument('--hidden', type=int, default=256)
ARGS.add_argument('--seq', type=int, default=50)
ARGS.add_argument('--batch', type=int, default=32)
ARGS.add_argument('--repeats', type=int, default=7, help='timed steps per framework (median reported)')
ARGS.add_argument('--warmup', type=int, default=2)
ARGS.add_argument('--threads', type=int, default=None, help='BLAS / PyTorch threads (default: library default)')
ARGS.add_argument('--cuda', action='store_true')
ARGS.add_argument('--only', choices=['legonn', 'torch'], help='time one framework only')
OPTS = ARGS.parse_args()
if OPTS.threads:
    # must be set before NumPy loads OpenBLAS
    os.environ['OPENBLAS_NUM_THREADS'] = os.environ['OMP_NUM_THREADS'] = str(OPTS.threads)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'examples'))

# legonn before NumPy, as a user imports it: OpenBLAS's idle workers then sleep instead of spinning,
# which would also slow PyTorch's threads in this shared process
import legonn  # noqa: E402,F401
import numpy as np  # noqa: E402


def data(opts):
    rng = np.random.default_rng(0)
    x = rng.integers(0, opts.vocab, (opts.seq, opts.batch))
    y = rng.integers(0, opts.vocab, (opts.seq, opts.batch))
    onehot = np.zeros((opts.seq, opts.batch, opts.vocab), dtype=np.float32)
    onehot[np.arange(opts.seq)[:, None], np.arange(opts.batch)[None, :], x] = 1
    return onehot, y


def timed(step, sync):
    """A step function that returns its own wall time (after the device finished)."""
    def run():
        t = time.perf_counter()
        loss = step()
        sync()
        return time.perf_counter() - t, loss
    return run


def legonn_step(opts):
    import legonn as lg
    from legonn import nn
    from char_lstm import time_step

    onehot, y = data(opts)
    step = time_step(opts.vocab, opts.vocab, opts.hidden, 1)
    if opts.cuda:
        step.cuda()
    params, grads = step.getParameters()
    clones = [step] + [step.clone('weight', 'bias', 'gradWeight', 'gradBias') for _ in range(opts.seq - 1)]
    crit = nn.ClassNLLCriterion()
    move = (lambda t: t.cuda()) if opts.cuda else (lambda t: t)
    xs = [move(lg.from_numpy(onehot[t])) for t in range(opts.seq)]
    ys = [move(lg.from_numpy(y[t])) for t in range(opts.seq)]
    zero = [move(lg.zeros(opts.batch, opts.hidden)) for _ in range(2)]

    def one():
        grads.zero()
        state, inputs, loss = zero, [], 0.0
        for t in range(opts.seq):
            inputs.append([xs[t]] + state)
            out = clones[t].forward(inputs[-1])
            state = out[:2]
            loss += crit.forward(out[2], ys[t])
        dstate = [z.clone() for z in zero]
        for t in range(opts.seq - 1, -1, -1):
            dlogp = crit.backward(clones[t].output[2], ys[t]).div(opts.seq)
            dstate = clones[t].backward(inputs[t], dstate + [dlogp])[1:]
        params.add(-0.1, grads)
        return loss / opts.seq

    sync = (lambda: __import__('cupy').cuda.Device().synchronize()) if opts.cuda else (lambda: None)
    return timed(one, sync)


def torch_step(opts):
    import torch
    if opts.threads:
        torch.set_num_threads(opts.threads)
    dev = 'cuda' if opts.cuda else 'cpu'
    onehot, y = data(opts)
    cell = torch.nn.LSTMCell(opts.vocab, opts.hidden).to(dev)
    out = torch.nn.Linear(opts.hidden, opts.vocab).to(dev)
    params = list(cell.parameters()) + list(out.parameters())
    xs = torch.from_numpy(onehot).to(dev)
    ys = torch.from_numpy(y).to(dev)
    zero = torch.zeros(opts.batch, opts.hidden, device=dev)

    def one():
        for p in params:
            p.grad = None
        h, c, loss = zero, zero, 0.0
        for t in range(opts.seq):
            h, c = cell(xs[t], (h, c))
            loss = loss + torch.nn.functional.nll_loss(torch.log_softmax(out(h), 1), ys[t])
        loss = loss / opts.seq
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-0.1)
        return float(loss.detach())

    sync = torch.cuda.synchronize if opts.cuda else (lambda: None)
    return timed(one, sync)


def main():
    where = 'cuda' if OPTS.cuda else f"cpu, threads={OPTS.threads or 'default'}"
    print(f"LSTM training step: vocab {OPTS.vocab}, hidden {OPTS.hidden}, seq {OPTS.seq}, batch {OPTS.batch} "
          f"({where}); median of {OPTS.repeats}, the frameworks alternating step by step")
    steps = {name: fn(OPTS) for name, fn in (('legonn', legonn_step), ('torch', torch_step))
             if OPTS.only in (None, name)}
    times = {name: [] for name in steps}
    losses = {}
    for i in range(OPTS.warmup + OPTS.repeats):
        # alternate so that both see the same load on a shared machine
        for name, run in steps.items():
            seconds, losses[name] = run()
            if i >= OPTS.warmup:
                times[name].append(seconds)
    for name in steps:
        print(f"  {name:7s} {statistics.median(times[name]) * 1e3:8.1f} ms/step   (loss {losses[name]:.4f})")
    if len(steps) == 2:
        ratio = statistics.median(times['legonn']) / statistics.median(times['torch'])
        print(f"  ratio legonn/torch: {ratio:.2f}x")


if __name__ == '__main__':
    main()
