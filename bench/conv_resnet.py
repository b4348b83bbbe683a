"""SpatialConvolution's three contract methods on the convolutions of bench/cifar_resnet.py's ResNet-8, on the CPU.

fb.resnet.torch's CIFAR layers at batch 32 (bench/conv_resnet.md): the 3 -> 16 stem, 3x3 convolutions of
stride 1 and 2 (pad 1) and the 1x1 stride-2 projection shortcuts. Each module's ``updateOutput``,
``updateGradInput`` and ``accGradParameters`` is called in turn, ``--calls`` times a block; the median
milliseconds a call over ``--blocks`` blocks are printed with the machine, the date and the load, and the
sum over the step's layers (the 16 -> 16 layer counts twice, the stem's gradInput not at all: the step
needs none). With torch importable, PyTorch's ``conv2d`` forward and forward + backward of the same shapes
are timed beside (torch is never a legonn import; ``--no-torch`` skips it).

    PYTHONPATH=$PWD python bench/conv_resnet.py [--dtype float32] [--calls 5] [--blocks 7] [--no-torch]

It imports whichever ``legonn`` ``PYTHONPATH`` names, so the same script times any tree.
"""
import argparse
import datetime
import os

import legonn as lg  # noqa: F401  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np
from conv3x3 import BATCH, machine, method_times, torch_times
from legonn import nn

# (planes in, planes out, kernel, stride, input size, layers of this shape in the step)
SHAPES = ((16, 16, 3, 1, 32, 2), (32, 32, 3, 1, 16, 1), (16, 32, 3, 2, 32, 1), (64, 64, 3, 1, 8, 1),
          (32, 64, 3, 2, 16, 1), (3, 16, 3, 1, 32, 1), (16, 32, 1, 2, 32, 1), (32, 64, 1, 2, 16, 1))


def legonn_times(planes_in, planes_out, k, stride, size, dtype, calls, blocks):
    rng = np.random.default_rng(0)
    pad = k // 2
    conv = nn.SpatialConvolution(planes_in, planes_out, k, k, stride, stride, pad, pad)
    conv = conv.double() if dtype == 'float64' else conv
    out = (size + 2 * pad - k) // stride + 1
    x = lg.from_numpy(rng.standard_normal((BATCH, planes_in, size, size)).astype(dtype))
    go = lg.from_numpy(rng.standard_normal((BATCH, planes_out, out, out)).astype(dtype))
    return method_times(conv, x, go, calls, blocks)


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--dtype', default='float32', choices=('float32', 'float64'))
    parser.add_argument('--calls', type=int, default=5, help='calls per timed block')
    parser.add_argument('--blocks', type=int, default=7, help='timed blocks; medians over blocks are printed')
    parser.add_argument('--no-torch', action='store_true', help="skip PyTorch's conv2d even when importable")
    args = parser.parse_args()
    with_torch = not args.no_torch and torch_available()
    if with_torch:
        import torch
        torch.set_num_threads(lg.getnumthreads())
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}, "
          f"load {os.getloadavg()[0]:.2f}, {args.dtype}, batch {BATCH}, median ms per call")
    step = torch_step = 0.0
    for planes_in, planes_out, k, stride, size, layers in SHAPES:
        f, gi, gp = legonn_times(planes_in, planes_out, k, stride, size, args.dtype, args.calls, args.blocks)
        step += layers * (f + (gi if planes_in != 3 else 0) + gp)
        line = (f"{planes_in:>2} -> {planes_out:<2} {k}x{k} s{stride} {size:>2}x{size:<2}  forward {f:6.2f}  "
                f"updateGradInput {gi:6.2f}  accGradParameters {gp:6.2f}")
        if with_torch:
            tf, tb = torch_times(planes_in, planes_out, size, args.dtype, args.calls, args.blocks, k, stride)
            torch_step += layers * tb
            line += f"  | torch forward {tf:6.2f}  forward+backward {tb:6.2f}"
        print(line, flush=True)
    print(f"the step's convolutions: legonn {step:.2f} ms" + (f", torch {torch_step:.2f} ms" if with_torch else '')
          + f"; load {os.getloadavg()[0]:.2f} at the end")


if __name__ == '__main__':
    main()
