"""SpatialConvolution's three contract methods on the 3x3 layers of a CIFAR VGG-style network, on the CPU.

The four shapes of bench/conv3x3.md (batch 32, 3x3 kernel, stride 1, pad 1): 64 -> 64 planes on 32x32,
64 -> 128 and 128 -> 128 on 16x16, 128 -> 256 on 8x8. Each module's ``updateOutput``,
``updateGradInput`` and ``accGradParameters`` is called in turn, ``--calls`` times per block; the
median milliseconds per call over ``--blocks`` blocks are printed with the machine, the date and the
load. With ``--torch`` (torch installed), PyTorch's ``Conv2d`` forward and forward + backward of the
same shapes are timed alongside, for reference (torch is never a legonn import).

    PYTHONPATH=$PWD python bench/conv3x3.py [--dtype float32] [--calls 5] [--blocks 7] [--torch]

It imports whichever ``legonn`` ``PYTHONPATH`` names, so the same script times any tree.
"""
import argparse
import datetime
import os
import platform
import statistics
import time

import legonn as lg  # noqa: F401  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np
from legonn import nn

SHAPES = ((64, 64, 32), (64, 128, 16), (128, 128, 16), (128, 256, 8))   # (planes in, planes out, size)
BATCH = 32
METHODS = ('updateOutput', 'updateGradInput', 'accGradParameters')


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, NumPy {np.__version__}, legonn threads {lg.getnumthreads()}"


def block_median(fn, calls, blocks):
    fn()
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls * 1e3)
    return statistics.median(times)


def legonn_times(planes_in, planes_out, size, dtype, calls, blocks):
    rng = np.random.default_rng(0)
    conv = nn.SpatialConvolution(planes_in, planes_out, 3, 3, 1, 1, 1, 1)
    conv = conv.double() if dtype == 'float64' else conv
    x = lg.from_numpy(rng.standard_normal((BATCH, planes_in, size, size)).astype(dtype))
    go = lg.from_numpy(rng.standard_normal((BATCH, planes_out, size, size)).astype(dtype))
    return method_times(conv, x, go, calls, blocks)


def method_times(conv, x, go, calls, blocks):
    """Median ms of ``conv``'s ``METHODS`` on input ``x`` and gradOutput ``go``, ``calls`` a block, over ``blocks``."""
    calls_of = {'updateOutput': lambda: conv.updateOutput(x), 'updateGradInput': lambda: conv.updateGradInput(x, go),
                'accGradParameters': lambda: conv.accGradParameters(x, go)}
    conv.updateOutput(x)
    spent = {m: [] for m in METHODS}
    for _ in range(blocks):   # the three methods alternate block by block, as in a training step
        for m in METHODS:
            spent[m].append(block_median(calls_of[m], calls, 1))
    return [statistics.median(spent[m]) for m in METHODS]


def torch_times(planes_in, planes_out, size, dtype, calls, blocks, k=3, stride=1):
    """Median ms of PyTorch's Conv2d (``k`` x ``k``, ``stride``, pad k // 2) forward, and forward + backward."""
    import torch
    conv = torch.nn.Conv2d(planes_in, planes_out, k, stride, k // 2).to(getattr(torch, dtype))
    x = torch.randn(BATCH, planes_in, size, size, dtype=getattr(torch, dtype), requires_grad=True)
    out = (size - 1) // stride + 1
    go = torch.randn(BATCH, planes_out, out, out, dtype=getattr(torch, dtype))

    def both():
        conv(x).backward(go)

    with torch.no_grad():
        forward = block_median(lambda: conv(x), calls, blocks)
    return forward, block_median(both, calls, blocks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--dtype', default='float32', choices=('float32', 'float64'))
    parser.add_argument('--calls', type=int, default=5, help='calls per timed block')
    parser.add_argument('--blocks', type=int, default=7, help='timed blocks; medians over blocks are printed')
    parser.add_argument('--torch', action='store_true', help="also time PyTorch's Conv2d (reference)")
    args = parser.parse_args()
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}, "
          f"load {os.getloadavg()[0]:.2f}, {args.dtype}, batch {BATCH}, median ms per call")
    for planes_in, planes_out, size in SHAPES:
        f, gi, gp = legonn_times(planes_in, planes_out, size, args.dtype, args.calls, args.blocks)
        line = (f"{planes_in:>3} -> {planes_out:<3} {size:>2}x{size:<2}  forward {f:6.2f}  updateGradInput {gi:6.2f}  "
                f"accGradParameters {gp:6.2f}  (all {f + gi + gp:6.2f})")
        if args.torch:
            tf, tb = torch_times(planes_in, planes_out, size, args.dtype, args.calls, args.blocks)
            line += f"  | torch forward {tf:6.2f}  forward+backward {tb:6.2f}"
        print(line, flush=True)
    print(f"load {os.getloadavg()[0]:.2f} at the end")


if __name__ == '__main__':
    main()
