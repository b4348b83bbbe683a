"""One training step of LeNet-5 on 28x28 digits (batch 64 and 256, SGD with
momentum 0.9): legonn vs PyTorch eager when it is installed; ``--cuda`` adds
legonn and PyTorch on the GPU. ``--profile`` prints where legonn's step spends
its time, layer by layer.

Implementations are timed in interleaved rounds (so a burst of load on a
shared machine hits all of them) and the median step time of each is reported.

    python bench/lenet.py [--rounds 15] [--steps 5] [--batch 64 256] [--cuda] [--profile]
"""
import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples'))

import legonn as lg  # noqa: E402
from legonn import nn, optim  # noqa: E402
from lenet import lenet  # noqa: E402

LR, MOMENTUM = 0.01, 0.9


def make_batch(batch, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch)


def legonn_step_fn(batch, cuda):
    model = lenet()
    criterion = nn.ClassNLLCriterion()
    xp = np
    if cuda:
        model.cuda()
        criterion.cuda()
        xp = lg.tensor.backend.cupy()
    params, grad_params = model.getParameters()
    x, y = (xp.asarray(a) for a in make_batch(batch))
    config = {'learningRate': LR, 'momentum': MOMENTUM, 'dampening': 0}

    def feval(_):
        grad_params.zero()
        output = model.forward(x)
        loss = criterion.forward(output, y)
        model.backward(x, criterion.backward(output, y))
        return loss, grad_params

    def step():
        optim.sgd(feval, params, config)
    return step, (model, criterion, x, y)


def torch_step_fn(batch, cuda):
    import torch
    torch.set_num_threads(int(os.environ.get('BENCH_THREADS', os.cpu_count())))
    dev = 'cuda' if cuda else 'cpu'
    t = torch.nn
    model = t.Sequential(t.Conv2d(1, 20, 5), t.ReLU(), t.MaxPool2d(2), t.Conv2d(20, 50, 5), t.ReLU(),
                         t.MaxPool2d(2), t.Flatten(), t.Linear(800, 500), t.ReLU(), t.Linear(500, 10),
                         t.LogSoftmax(dim=1)).to(dev)
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


def profile(parts, repeats=20):
    """Median milliseconds of each layer's forward, backward (updateGradInput + accGradParameters)."""
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
    rows = []
    for i, m in enumerate(model.modules):
        fw, bw = [], []
        for _ in range(repeats):
            sync()
            t0 = time.perf_counter()
            m.forward(inputs[i])
            sync()
            t1 = time.perf_counter()
            m.backward(inputs[i], grads[i])
            sync()
            t2 = time.perf_counter()
            fw.append(t1 - t0)
            bw.append(t2 - t1)
        rows.append((repr(m), statistics.median(fw) * 1e3, statistics.median(bw) * 1e3))
    total = sum(r[1] + r[2] for r in rows)
    print(f"  per-layer medians of {repeats} calls (ms): forward, backward, share of the layers' sum")
    for name, f, b in rows:
        print(f"    {name:40s} {f:7.3f} {b:7.3f}  {100 * (f + b) / total:5.1f}%")
    print(f"    {'sum':40s} {sum(r[1] for r in rows):7.3f} {sum(r[2] for r in rows):7.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=15)
    parser.add_argument('--steps', type=int, default=5, help='steps per timed block')
    parser.add_argument('--batch', type=int, nargs='+', default=[64, 256])
    parser.add_argument('--cuda', action='store_true')
    parser.add_argument('--no-cpu', action='store_true', help='with --cuda: time the GPU only')
    parser.add_argument('--profile', action='store_true')
    args = parser.parse_args()

    try:
        import torch
        have_torch = True
        threads = int(os.environ.get('BENCH_THREADS', os.cpu_count()))
        torch.set_num_threads(threads)
    except ImportError:
        have_torch = False
        print('PyTorch not installed: timing legonn alone (pip install torch==2.13.0)')
    print(f"LeNet-5 training step, SGD momentum {MOMENTUM}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; median of {args.rounds} rounds x {args.steps} steps")
    for batch in args.batch:
        impls = {}
        kinds = ([] if args.no_cpu else ['legonn', 'pytorch']) + (['legonn-cuda', 'pytorch-cuda'] if args.cuda else [])
        parts = {}
        for kind in kinds:
            cuda = kind.endswith('cuda')
            if kind.startswith('legonn'):
                step, parts[kind] = legonn_step_fn(batch, cuda)
            elif have_torch:
                step = torch_step_fn(batch, cuda)
            else:
                continue
            impls[kind] = (step, sync_fn(kind))
        for step, sync in impls.values():   # warm up caches, BLAS threads, GPU kernels
            for _ in range(3):
                step()
            sync()
        times = {name: [] for name in impls}
        for _ in range(args.rounds):
            for name, (step, sync) in impls.items():
                start = time.perf_counter()
                for _ in range(args.steps):
                    step()
                sync()
                times[name].append((time.perf_counter() - start) / args.steps)
        median = {name: statistics.median(t) for name, t in times.items()}
        print(f"batch {batch}:")
        for name, t in median.items():
            print(f"  {name:13s} {t * 1e3:8.2f} ms/step")
        if 'pytorch' in median and 'legonn' in median:
            print(f"  legonn / pytorch           = {median['legonn'] / median['pytorch']:.3f}  (target <= 1.00)")
        if 'pytorch-cuda' in median:
            print(f"  legonn-cuda / pytorch-cuda = {median['legonn-cuda'] / median['pytorch-cuda']:.3f}  "
                  f"(target <= 1.50)")
        if args.profile:
            for kind, p in parts.items():
                print(f"  profile of {kind}, batch {batch}:")
                profile(p)


if __name__ == '__main__':
    main()
