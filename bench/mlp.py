"""One training step of the MLP 784-1024-1024-10 (ReLU, LogSoftMax + ClassNLL,
batch 128, SGD with momentum 0.9): legonn vs a hand-written NumPy step (no
framework) vs PyTorch eager when it is installed; ``--cuda`` adds legonn and a
hand-written CuPy step on the GPU.

legonn's first Linear skips the gradient with respect to the images (Torch7's
``gradInput = nil`` idiom), as the NumPy step and PyTorch (whose input does not
require a gradient) do; ``legonn+gradInput`` is the same model computing it.
legonn and NumPy are timed in interleaved rounds in this process (so a burst of
load on a shared machine hits both) and the median step time of each is
reported; PyTorch runs afterwards in its own process, because its OpenMP
threads and OpenBLAS's spin against each other on a small machine.

    python bench/mlp.py [--rounds 15] [--steps 5] [--cuda]
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import legonn as lg  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from legonn import nn  # noqa: E402
from sgd_step import LR, MOMENTUM, sgd_step  # noqa: E402

SIZES = (784, 1024, 1024, 10)
BATCH = 128


def make_batch(xp, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return xp.asarray(x), xp.asarray(y)


def mlp(input_gradient=False):
    """The benchmarked MLP (legonn)."""
    model = nn.Sequential()
    for i in range(len(SIZES) - 1):
        model.add(nn.Linear(SIZES[i], SIZES[i + 1]))
        model.add(nn.ReLU() if i < len(SIZES) - 2 else nn.LogSoftMax())
    if not input_gradient:
        model.modules[0].gradInput = None   # no gradient with respect to the images
    return model


def legonn_step_fn(cuda, input_gradient=False):
    x, y = make_batch(lg.tensor.backend.cupy() if cuda else np)
    return sgd_step(mlp(input_gradient), nn.ClassNLLCriterion(), x, y, cuda)


def array_step_fn(xp):
    """The step as a NumPy (or CuPy) programmer writes it with no framework."""
    rng = np.random.default_rng(1)
    weights, biases = [], []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(n_in)
        weights.append(xp.asarray(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)))
        biases.append(xp.asarray(rng.uniform(-bound, bound, n_out).astype(np.float32)))
    params = weights + biases
    velocity = [xp.zeros_like(p) for p in params]
    x, y = make_batch(xp)
    rows = xp.arange(BATCH)

    def step():
        acts, pre = [x], []
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = acts[-1] @ w.T + b
            pre.append(z)
            acts.append(xp.maximum(z, 0) if i < len(weights) - 1 else z)
        z = acts[-1]
        shifted = z - z.max(1, keepdims=True)
        logp = shifted - xp.log(xp.exp(shifted).sum(1, keepdims=True))
        loss = -logp[rows, y].mean()
        grad = xp.exp(logp)
        grad[rows, y] -= 1
        grad /= BATCH
        gw, gb = [None] * len(weights), [None] * len(weights)
        for i in range(len(weights) - 1, -1, -1):
            gw[i] = grad.T @ acts[i]
            gb[i] = grad.sum(0)
            if i:
                grad = (grad @ weights[i]) * (pre[i - 1] > 0)
        for p, g, v in zip(params, gw + gb, velocity):
            v *= MOMENTUM
            v += g
            p -= LR * v
        return float(loss)
    return step


def torch_step_fn():
    import torch
    torch.set_num_threads(int(os.environ.get('BENCH_THREADS', os.cpu_count())))
    layers = []
    for i in range(len(SIZES) - 1):
        layers.append(torch.nn.Linear(SIZES[i], SIZES[i + 1]))
        layers.append(torch.nn.ReLU() if i < len(SIZES) - 2 else torch.nn.LogSoftmax(dim=1))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.NLLLoss()
    x_np, y_np = make_batch(np)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def sync_fn(cuda):
    if not cuda:
        return lambda: None
    cp = lg.tensor.backend.cupy()
    return cp.cuda.Device().synchronize


def measure(impls, rounds, steps):
    """Median seconds per step of each implementation, timed in interleaved rounds."""
    for step, sync in impls.values():  # warm up caches, BLAS threads, GPU kernels
        for _ in range(3):
            step()
        sync()
    times = {name: [] for name in impls}
    for _ in range(rounds):
        for name, (step, sync) in impls.items():
            start = time.perf_counter()
            for _ in range(steps):
                step()
            sync()
            times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(t) for name, t in times.items()}


def pytorch_in_child(rounds, steps):
    """PyTorch's median step time from a child process, or None when PyTorch is not installed."""
    out = subprocess.run([sys.executable, __file__, '--only-pytorch', '--rounds', str(rounds), '--steps', str(steps)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else 'PyTorch run failed')
        return None
    return float(out.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=15)
    parser.add_argument('--steps', type=int, default=5, help='steps per timed block')
    parser.add_argument('--cuda', action='store_true')
    parser.add_argument('--only-pytorch', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.only_pytorch:
        print(measure({'pytorch': (torch_step_fn(), sync_fn(False))}, args.rounds, args.steps)['pytorch'])
        return

    impls = {'legonn': (legonn_step_fn(False), sync_fn(False)),
             'legonn+gradInput': (legonn_step_fn(False, input_gradient=True), sync_fn(False)),
             'numpy': (array_step_fn(np), sync_fn(False))}
    if args.cuda:
        impls['legonn-cuda'] = (legonn_step_fn(True), sync_fn(True))
        impls['cupy'] = (array_step_fn(lg.tensor.backend.cupy()), sync_fn(True))
    median = measure(impls, args.rounds, args.steps)
    torch_time = pytorch_in_child(args.rounds, args.steps)
    if torch_time is not None:
        median['pytorch'] = torch_time
    else:
        print('PyTorch not installed: skipping it (pip install torch==2.13.0)')

    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, SGD momentum {MOMENTUM}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"median of {args.rounds} rounds x {args.steps} steps")
    for name, t in median.items():
        print(f"  {name:17s} {t * 1e3:8.2f} ms/step")
    print(f"  legonn / numpy   = {median['legonn'] / median['numpy']:.3f}  (target <= 1.10)")
    print(f"  legonn+gradInput / numpy = {median['legonn+gradInput'] / median['numpy']:.3f}")
    if 'pytorch' in median:
        print(f"  legonn / pytorch = {median['legonn'] / median['pytorch']:.3f}  (target <= 1.00)")
    if args.cuda:
        print(f"  legonn-cuda / cupy = {median['legonn-cuda'] / median['cupy']:.3f}")


if __name__ == '__main__':
    main()
