"""The layers of bench/cifar_resnet.py's ResNet-8 step other than its convolutions, one module call at a time on
the CPU: forward and backward (updateGradInput + accGradParameters) of each SpatialBatchNormalization, ReLU(true),
CAddTable(true) shape and the 8x8 SpatialAveragePooling, in ms a call; PyTorch's BatchNorm2d, relu_ with
threshold_backward, add_ and AvgPool2d beside them with ``--torch`` (torch is never a legonn import).
SpatialMaxPooling(2, 2) of bench/cifar_vgg.py closes the table.

    PYTHONPATH=<tree> python bench/resnet_layers.py [--calls 20] [--repeats 7] [--double] [--torch]

Each figure is the best of ``--repeats`` timings of ``--calls`` calls; the inputs stay in cache between calls,
so this is the call's own cost (Python and the kernel), not the step's (bench/cifar_resnet.py --profile).
"""
import argparse
import datetime
import os

import numpy as np
from batch_norm import best

PLANES = ((16, 32), (32, 16), (64, 8))   # (features, plane size) of the three stages, batch 32


def cases():
    """(name, module kind, input shape) in the step's order."""
    for c, h in PLANES:
        shape = (32, c, h, h)
        yield f"SpatialBatchNormalization({c})", 'bn', shape
        yield "ReLU(true)", 'relu', shape
        yield "CAddTable(true)", 'cadd', shape
    yield "SpatialAveragePooling(8,8,1,1)", 'avg', (32, 64, 8, 8)
    yield "SpatialMaxPooling(2,2,2,2)", 'max', (32, 64, 16, 16)


def legonn_calls(kind, x, g):
    """(forward, backward) closures of the legonn module of ``kind`` on the arrays ``x`` and gradOutput ``g``."""
    import legonn as lg
    from legonn import nn
    xt = lg.from_numpy(x.copy())
    if kind == 'cadd':
        m, inputs = nn.CAddTable(True), [xt, lg.from_numpy(x.copy())]
    else:
        m = {'bn': lambda: nn.SpatialBatchNormalization(x.shape[1]), 'relu': lambda: nn.ReLU(True),
             'avg': lambda: nn.SpatialAveragePooling(8, 8, 1, 1),
             'max': lambda: nn.SpatialMaxPooling(2, 2, 2, 2)}[kind]()
        inputs = xt
    if x.dtype == np.float64:
        m.double()
    y = m.forward(inputs)
    gt = lg.from_numpy(np.ascontiguousarray(g[tuple(slice(0, n) for n in y.size())]))
    return (lambda: m.forward(inputs)), (lambda: m.backward(inputs, gt))


def torch_calls(kind, x, g):
    import torch
    t = torch.from_numpy(x.copy())
    if kind in ('bn', 'avg', 'max'):
        m = {'bn': lambda: torch.nn.BatchNorm2d(x.shape[1]).to(t.dtype), 'avg': lambda: torch.nn.AvgPool2d(8, 1),
             'max': lambda: torch.nn.MaxPool2d(2, 2)}[kind]()
        t.requires_grad_()
        state = {'y': m(t)}
        gt = torch.from_numpy(np.ascontiguousarray(g[tuple(slice(0, n) for n in state['y'].shape)]))

        def forward():
            state['y'] = m(t)
        return forward, (lambda: state['y'].backward(gt, retain_graph=True))
    gt = torch.from_numpy(g.copy())
    if kind == 'relu':
        return (lambda: torch.relu_(t)), (lambda: torch.ops.aten.threshold_backward(gt, t, 0))
    other = torch.from_numpy(x.copy())
    return (lambda: t.add_(other)), (lambda: None)   # CAddTable(true)'s gradient hands gradOutput on


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--calls', type=int, default=20)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--double', action='store_true', help='float64 data (default float32)')
    parser.add_argument('--torch', action='store_true')
    args = parser.parse_args()
    dtype = np.float64 if args.double else np.float32
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; {np.dtype(dtype).name}, ms a call (forward, backward), best of "
          f"{args.repeats} x {args.calls}")
    if args.torch:
        import torch
        from alternating import THREADS
        torch.set_num_threads(THREADS)
    rng = np.random.default_rng(0)
    for name, kind, shape in cases():
        x = rng.standard_normal(shape).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        line = f"  {name:32s} {str(shape):17s}"
        for label, make in (('legonn', legonn_calls),) + ((('torch', torch_calls),) if args.torch else ()):
            forward, backward = make(kind, x, g)
            line += f"  {label} " + ' '.join(f"{best(fn, args.calls, args.repeats):6.3f}" for fn in (forward, backward))
        print(line)


if __name__ == '__main__':
    main()
