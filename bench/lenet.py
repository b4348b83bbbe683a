"""One training step of LeNet-5 on 28x28 digits (batch 64 and 256, SGD with
momentum 0.9): legonn vs PyTorch eager when it is installed; ``--cuda`` adds
legonn and PyTorch on the GPU. ``--profile`` prints where legonn's step spends
its time, layer by layer (and PyTorch's, each layer timed alone).

Each implementation runs in its own processes (PyTorch's OpenMP pool and
OpenBLAS's threads slow each other down badly when they share one), the
processes alternate (so a burst of load on a shared machine hits all of
them) and the median step time over all timed blocks is reported.
``BENCH_THREADS`` sets the thread count of both (default: all cores).

    python bench/lenet.py [--rounds 5] [--blocks 5] [--steps 5] [--batch 64 256] [--cuda] [--profile]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples'))

import legonn as lg  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from legonn import nn  # noqa: E402
from lenet import lenet  # noqa: E402
from sgd_step import LR, MOMENTUM, sgd_step  # noqa: E402

THREADS = int(os.environ.get('BENCH_THREADS', os.cpu_count()))


def make_batch(batch, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch)


def legonn_step_fn(batch, cuda):
    model, criterion = lenet(), nn.ClassNLLCriterion()
    xp = lg.tensor.backend.cupy() if cuda else np
    x, y = (xp.asarray(a) for a in make_batch(batch))
    return sgd_step(model, criterion, x, y, cuda), (model, criterion, x, y)


def torch_lenet_layers():
    """The same LeNet-5 as PyTorch layers."""
    from torch import nn as t
    return [t.Conv2d(1, 20, 5), t.ReLU(), t.MaxPool2d(2), t.Conv2d(20, 50, 5), t.ReLU(), t.MaxPool2d(2),
            t.Flatten(), t.Linear(800, 500), t.ReLU(), t.Linear(500, 10), t.LogSoftmax(dim=1)]


def torch_step_fn(batch, cuda):
    import torch
    torch.set_num_threads(THREADS)
    dev = 'cuda' if cuda else 'cpu'
    t = torch.nn
    model = t.Sequential(*torch_lenet_layers()).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = t.NLLLoss()
    x_np, y_np = make_batch(batch)
    x, y = torch.from_numpy(x_np).to(dev), torch.from_numpy(y_np).to(dev)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def sync_fn(kind):
    if kind == 'legonn-cuda':
        return lg.tensor.backend.cupy().cuda.Device().synchronize
    if kind == 'pytorch-cuda':
        import torch
        return torch.cuda.synchronize
    return lambda: None


def layer_table(layers, sync, repeats=20):
    """Print the median milliseconds of each layer's forward and backward and its share of their sum.

    ``layers`` holds ``(name, forward, backward)``: two callables that run one pass of the layer.
    """
    rows = []
    for name, forward, backward in layers:
        fw, bw = [], []
        for _ in range(repeats):
            sync()
            t0 = time.perf_counter()
            forward()
            sync()
            t1 = time.perf_counter()
            backward()
            sync()
            fw.append(t1 - t0)
            bw.append(time.perf_counter() - t1)
        rows.append((name, statistics.median(fw) * 1e3, statistics.median(bw) * 1e3))
    total = sum(r[1] + r[2] for r in rows)
    print(f"  per-layer medians of {repeats} calls (ms): forward, backward, share of the layers' sum")
    for name, f, b in rows:
        print(f"    {name:40s} {f:7.3f} {b:7.3f}  {100 * (f + b) / total:5.1f}%")
    print(f"    {'sum':40s} {sum(r[1] for r in rows):7.3f} {sum(r[2] for r in rows):7.3f}")


def profile(parts):
    """legonn's layers: forward, then backward (updateGradInput + accGradParameters)."""
    model, criterion, x, y = parts
    cuda = model.modules[0].weight.is_cuda
    sync = lg.tensor.backend.cupy().cuda.Device().synchronize if cuda else (lambda: None)
    inputs = [lg.as_tensor(x)]
    for m in model.modules:
        inputs.append(m.forward(inputs[-1]).clone())
    grads = [None] * len(model.modules)
    grad = criterion.backward(inputs[-1], y).clone()
    for i in reversed(range(len(model.modules))):
        grads[i] = grad
        g = model.modules[i].backward(inputs[i], grad)
        grad = g.clone() if g is not None else None
    layer_table([(repr(m), lambda m=m, i=i: m.forward(inputs[i]), lambda m=m, i=i: m.backward(inputs[i], grads[i]))
                 for i, m in enumerate(model.modules)], sync)


def torch_profile(batch, cuda):
    """PyTorch's layers for the same table: each layer alone, forward then autograd backward."""
    import torch
    torch.set_num_threads(THREADS)
    dev = 'cuda' if cuda else 'cpu'
    layers = torch_lenet_layers()
    inputs = [torch.from_numpy(make_batch(batch)[0]).to(dev)]
    for layer in layers:
        layer.to(dev)
        inputs.append(layer(inputs[-1]).detach())
    timed = []
    for i, layer in enumerate(layers):
        x = inputs[i].clone().requires_grad_(i > 0)   # the first layer skips its input gradient, as in the step
        grad = torch.ones_like(inputs[i + 1])
        result = {}
        timed.append((type(layer).__name__, lambda layer=layer, x=x, result=result: result.update(y=layer(x)),
                      lambda grad=grad, result=result: result['y'].backward(grad)))
    layer_table(timed, torch.cuda.synchronize if cuda else (lambda: None))


def child(kind, batch, blocks, steps):
    """Time ``blocks`` blocks of ``steps`` steps of one implementation; print the block times as JSON."""
    cuda = kind.endswith('cuda')
    step = legonn_step_fn(batch, cuda)[0] if kind.startswith('legonn') else torch_step_fn(batch, cuda)
    sync = sync_fn(kind)
    for _ in range(3):   # warm up caches, BLAS threads, GPU kernels
        step()
    sync()
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        times.append((time.perf_counter() - start) / steps)
    print(json.dumps(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=5, help='processes per implementation and batch size')
    parser.add_argument('--blocks', type=int, default=5, help='timed blocks per process')
    parser.add_argument('--steps', type=int, default=5, help='steps per timed block')
    parser.add_argument('--batch', type=int, nargs='+', default=[64, 256])
    parser.add_argument('--cuda', action='store_true')
    parser.add_argument('--no-cpu', action='store_true', help='with --cuda: time the GPU only')
    parser.add_argument('--profile', action='store_true')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.batch[0], args.blocks, args.steps)

    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print('PyTorch not installed: timing legonn alone (pip install torch==2.13.0)')
    kinds = ([] if args.no_cpu else ['legonn'] + (['pytorch'] if have_torch else []))
    if args.cuda:
        kinds += ['legonn-cuda'] + (['pytorch-cuda'] if have_torch else [])
    print(f"LeNet-5 training step, SGD momentum {MOMENTUM}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, {THREADS} threads each; each implementation in its own process "
          f"(their thread pools would fight in one), {args.rounds} alternating processes x {args.blocks} blocks x "
          f"{args.steps} steps; median block")
    for batch in args.batch:
        times = {kind: [] for kind in kinds}
        for r in range(args.rounds):
            for kind in (kinds if r % 2 == 0 else kinds[::-1]):
                cmd = [sys.executable, os.path.abspath(__file__), '--child', kind, '--batch', str(batch),
                       '--blocks', str(args.blocks), '--steps', str(args.steps)]
                env = dict(os.environ, OPENBLAS_NUM_THREADS=str(THREADS))
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
                times[kind].extend(json.loads(out.strip().splitlines()[-1]))
        median = {name: statistics.median(t) for name, t in times.items()}
        print(f"batch {batch}:")
        for name, t in median.items():
            print(f"  {name:13s} {t * 1e3:8.2f} ms/step  (min {min(times[name]) * 1e3:.2f}, "
                  f"max {max(times[name]) * 1e3:.2f})")
        if 'pytorch' in median and 'legonn' in median:
            print(f"  legonn / pytorch           = {median['legonn'] / median['pytorch']:.3f}  (target <= 1.00)")
        if 'pytorch-cuda' in median and 'legonn-cuda' in median:
            print(f"  legonn-cuda / pytorch-cuda = {median['legonn-cuda'] / median['pytorch-cuda']:.3f}  "
                  f"(target <= 1.50)")
        if args.profile:
            for kind in kinds:
                print(f"  profile of {kind}, batch {batch}:")
                if kind.startswith('legonn'):
                    profile(legonn_step_fn(batch, kind.endswith('cuda'))[1])
                else:
                    torch_profile(batch, kind.endswith('cuda'))


if __name__ == '__main__':
    main()
