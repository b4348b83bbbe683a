"""BatchNormalization and SpatialBatchNormalization on the CPU, training mode, float32: forward and backward
(updateGradInput + accGradParameters) per call, legonn alone or with PyTorch's BatchNorm1d/2d beside it
(``--torch``; torch is never a legonn import). Shapes: the three SpatialBatchNormalization layers of
bench/cifar_vgg.py, a batch of 8 large planes, and two BatchNormalization batches.

    PYTHONPATH=<tree> python bench/batch_norm.py [--calls 5] [--repeats 5] [--torch]

Each figure is the best of ``--repeats`` timings of ``--calls`` calls, in ms a call.
"""
import argparse
import datetime
import os
import timeit

import numpy as np

SHAPES = ((32, 64, 32, 32), (32, 128, 16, 16), (32, 256, 8, 8), (8, 16, 64, 64), (128, 1024), (256, 4096))


def legonn_calls(shape, x, g):
    import legonn as lg
    from legonn import nn
    m = (nn.SpatialBatchNormalization if len(shape) == 4 else nn.BatchNormalization)(shape[1])
    xt, gt = lg.from_numpy(x), lg.from_numpy(g)
    return (lambda: m.forward(xt)), (lambda: m.backward(xt, gt))


def torch_calls(shape, x, g):
    import torch
    m = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(shape[1])
    xt, gt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)
    state = {}

    def forward():
        state['y'] = m(xt)
        return state['y']
    return forward, (lambda: state['y'].backward(gt, retain_graph=True))


def best(fn, calls, repeats):
    fn()
    return min(timeit.repeat(fn, number=calls, repeat=repeats)) / calls * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--calls', type=int, default=5)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--torch', action='store_true')
    args = parser.parse_args()
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; ms a call, best of {args.repeats} x {args.calls}")
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        line = f"  {str(shape):18s}"
        for name, make in (('legonn', legonn_calls),) + ((('torch', torch_calls),) if args.torch else ()):
            forward, backward = make(shape, x, g)
            forward()
            line += f"  {name} forward {best(forward, args.calls, args.repeats):7.3f} backward " \
                    f"{best(backward, args.calls, args.repeats):7.3f}"
        print(line)


if __name__ == '__main__':
    main()
