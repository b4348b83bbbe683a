"""SpatialMaxPooling and SpatialAveragePooling on the CPU, float32: forward and backward per call, legonn alone or
with PyTorch's MaxPool2d/AvgPool2d beside it (``--torch``; torch is never a legonn import). Layers: LeNet-5's two
2x2 poolings (bench/lenet.py, compare.py's W2), a CIFAR VGG's (bench/cifar_vgg.py), ResNet's 3x3 stride-2
padded max pooling after its first convolution (fb.resnet.torch's ImageNet models, at a 56x56 input), its
global 8x8 average pooling (bench/cifar_resnet.py) and DenseNet's 2x2 transition.

    PYTHONPATH=<tree> python bench/pooling.py [--calls 10] [--repeats 5] [--torch]

Each figure is the best of ``--repeats`` timings of ``--calls`` calls, in ms a call.
"""
import argparse
import datetime
import os
import timeit

import numpy as np

# (name, input shape, kernel, stride, pad); 'max' or 'avg' by the name's start
LAYERS = (('max LeNet 1', (64, 20, 24, 24), 2, 2, 0), ('max LeNet 2', (64, 50, 8, 8), 2, 2, 0),
          ('max VGG', (32, 64, 32, 32), 2, 2, 0), ('max ResNet stem', (32, 64, 56, 56), 3, 2, 1),
          ('avg ResNet global', (32, 64, 8, 8), 8, 1, 0), ('avg DenseNet', (32, 128, 16, 16), 2, 2, 0))


def legonn_calls(kind, k, s, p, x, g):
    import legonn as lg
    from legonn import nn
    m = nn.SpatialMaxPooling(k, k, s, s, p, p) if kind == 'max' else nn.SpatialAveragePooling(k, k, s, s, p, p)
    xt, gt = lg.from_numpy(x), lg.from_numpy(g)
    return (lambda: m.forward(xt)), (lambda: m.backward(xt, gt))


def torch_calls(kind, k, s, p, x, g):
    import torch
    m = torch.nn.MaxPool2d(k, s, p) if kind == 'max' else torch.nn.AvgPool2d(k, s, p)
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
    parser.add_argument('--calls', type=int, default=10)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--torch', action='store_true')
    args = parser.parse_args()
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; ms a call, best of {args.repeats} x {args.calls}")
    rng = np.random.default_rng(0)
    for name, shape, k, s, p in LAYERS:
        kind = name.split()[0]
        x = rng.standard_normal(shape).astype(np.float32)
        out = [(n + 2 * p - k) // s + 1 for n in shape[2:]]
        g = rng.standard_normal(shape[:2] + tuple(out)).astype(np.float32)
        line = f"  {name:18s} {str(shape):18s}"
        for label, make in (('legonn', legonn_calls),) + ((('torch', torch_calls),) if args.torch else ()):
            forward, backward = make(kind, k, s, p, x, g)
            forward()
            line += f"  {label} forward {best(forward, args.calls, args.repeats):7.3f} backward " \
                    f"{best(backward, args.calls, args.repeats):7.3f}"
        print(line)


if __name__ == '__main__':
    main()
