"""One training step of a CIFAR-size VGG with batch normalisation on the CPU: legonn vs PyTorch eager when it is
installed. Five 3x3 convolutions (pad 1), each followed by SpatialBatchNormalization and an in-place ReLU,
3 -> 64 -> 64, max-pool, 64 -> 128 -> 128, max-pool, 128 -> 256, max-pool, then Linear 4096 -> 10 and
LogSoftMax; batch 32 of 3x32x32 float32, ClassNLL, SGD with momentum 0.9 over ``getParameters``.

The layer sizes are those of the conv-BN-ReLU stacks CIFAR training scripts for Torch7 build
(cifar.torch's vgg_bn_drop.lua, fb.resnet.torch's CIFAR models), cut to five layers so a step takes a fraction of
a second. As bench/lenet.py: each implementation in its own processes, alternating, median block;
``--profile`` prints legonn's layers one by one. ``BENCH_THREADS`` sets both thread counts (default: all cores).

    python bench/cifar_vgg.py [--rounds 3] [--blocks 5] [--steps 3] [--batch 32] [--profile]
"""
import argparse
import importlib.util
import json
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

# bench/lenet.py's per-layer profile and thread count, loaded by path: the name ``lenet`` is examples/lenet.py's
_spec = importlib.util.spec_from_file_location('bench_lenet', os.path.join(os.path.dirname(__file__), 'lenet.py'))
bench_lenet = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_lenet)
THREADS = bench_lenet.THREADS

# (input planes, output planes) of each convolution; 'M' a 2x2 max-pooling
LAYERS = [(3, 64), (64, 64), 'M', (64, 128), (128, 128), 'M', (128, 256), 'M']
FEATURES = 256 * 4 * 4


def make_batch(batch, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, batch)


def legonn_model():
    model = nn.Sequential()
    for layer in LAYERS:
        if layer == 'M':
            model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        else:
            model.add(nn.SpatialConvolution(*layer, 3, 3, 1, 1, 1, 1))
            model.add(nn.SpatialBatchNormalization(layer[1])).add(nn.ReLU(True))
    return model.add(nn.View(FEATURES)).add(nn.Linear(FEATURES, 10)).add(nn.LogSoftMax())


def legonn_step_fn(batch):
    model, criterion = legonn_model(), nn.ClassNLLCriterion()
    x, y = make_batch(batch)
    return sgd_step(model, criterion, x, y, False), (model, criterion, x, y)


def torch_step_fn(batch):
    import torch
    torch.set_num_threads(THREADS)
    t = torch.nn
    layers = []
    for layer in LAYERS:
        layers += [t.MaxPool2d(2, 2)] if layer == 'M' else [t.Conv2d(*layer, 3, 1, 1), t.BatchNorm2d(layer[1]),
                                                           t.ReLU(True)]
    model = t.Sequential(*layers, t.Flatten(), t.Linear(FEATURES, 10), t.LogSoftmax(dim=1))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = t.NLLLoss()
    x, y = (torch.from_numpy(a) for a in make_batch(batch))

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def child(kind, batch, blocks, steps):
    """Time ``blocks`` blocks of ``steps`` steps of one implementation; print the block times as JSON."""
    step = legonn_step_fn(batch)[0] if kind == 'legonn' else torch_step_fn(batch)
    for _ in range(2):   # warm up caches, BLAS threads, Numba's compiled kernels
        step()
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) / steps)
    print(json.dumps(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=3, help='processes per implementation')
    parser.add_argument('--blocks', type=int, default=5, help='timed blocks per process')
    parser.add_argument('--steps', type=int, default=3, help='steps per timed block')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--profile', action='store_true')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.batch, args.blocks, args.steps)
    try:
        import torch  # noqa: F401
        kinds = ['legonn', 'pytorch']
    except ImportError:
        kinds = ['legonn']
        print('PyTorch not installed: timing legonn alone (pip install torch==2.13.0)')
    print(f"CIFAR VGG-BN training step, batch {args.batch}, SGD momentum {MOMENTUM}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {THREADS} threads each; "
          f"{args.rounds} alternating processes x {args.blocks} blocks x {args.steps} steps; median block")
    times = {kind: [] for kind in kinds}
    for r in range(args.rounds):
        for kind in (kinds if r % 2 == 0 else kinds[::-1]):
            cmd = [sys.executable, os.path.abspath(__file__), '--child', kind, '--batch', str(args.batch),
                   '--blocks', str(args.blocks), '--steps', str(args.steps)]
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(THREADS))
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
            times[kind].extend(json.loads(out.strip().splitlines()[-1]))
    median = {kind: statistics.median(t) * 1e3 for kind, t in times.items()}
    for kind, ms in median.items():
        print(f"  {kind:8s} {ms:8.2f} ms a step")
    if 'pytorch' in median:
        print(f"  legonn / PyTorch: {median['legonn'] / median['pytorch']:.2f}x")
    if args.profile:
        bench_lenet.profile(legonn_step_fn(args.batch)[1])


if __name__ == '__main__':
    main()
