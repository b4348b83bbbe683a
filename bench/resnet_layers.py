"""The layers of bench/cifar_resnet.py's ResNet-8 step other than its convolutions, one module call at a time on
the CPU: forward and backward (updateGradInput + accGradParameters) of each SpatialBatchNormalization, ReLU(true),
CAddTable(true) shape and the 8x8 SpatialAveragePooling, in ms a call; PyTorch's BatchNorm2d, relu_ with
threshold_backward, add_ and AvgPool2d beside them with ``--torch`` (torch is never a legonn import).
SpatialMaxPooling(2, 2) of bench/cifar_vgg.py closes the table.

    PYTHONPATH=<tree> python bench/resnet_layers.py [--calls 20] [--repeats 7] [--double] [--torch]

The harness is bench/module_calls.py's: the inputs stay in cache between calls, so this is the call's own cost
(Python and the kernel), not the step's (bench/cifar_resnet.py --profile).
"""
from module_calls import main, sized, torch_module_calls

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
    if x.dtype == 'float64':
        m.double()
    gt = lg.from_numpy(sized(g, m.forward(inputs).size()))
    return (lambda: m.forward(inputs)), (lambda: m.backward(inputs, gt))


def torch_calls(kind, x, g):
    import torch
    t = torch.from_numpy(x.copy())
    if kind in ('bn', 'avg', 'max'):
        m = {'bn': lambda: torch.nn.BatchNorm2d(x.shape[1]).to(t.dtype), 'avg': lambda: torch.nn.AvgPool2d(8, 1),
             'max': lambda: torch.nn.MaxPool2d(2, 2)}[kind]()
        return torch_module_calls(m, x, g)
    gt = torch.from_numpy(g.copy())
    if kind == 'relu':
        return (lambda: torch.relu_(t)), (lambda: torch.ops.aten.threshold_backward(gt, t, 0))
    other = torch.from_numpy(x.copy())
    return (lambda: t.add_(other)), (lambda: None)   # CAddTable(true)'s gradient hands gradOutput on


if __name__ == '__main__':
    main(__doc__, list(cases()), legonn_calls, torch_calls, calls=20, repeats=7)
