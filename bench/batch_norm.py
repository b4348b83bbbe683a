"""BatchNormalization and SpatialBatchNormalization on the CPU, training mode: forward and backward
(updateGradInput + accGradParameters) per call, legonn alone or with PyTorch's BatchNorm1d/2d beside it
(``--torch``). Shapes: the three SpatialBatchNormalization layers of bench/cifar_vgg.py, a batch of 8 large
planes, and two BatchNormalization batches. The harness is bench/module_calls.py's.

    PYTHONPATH=<tree> python bench/batch_norm.py [--calls 5] [--repeats 5] [--double] [--torch]
"""
from module_calls import main, torch_module_calls

SHAPES = ((32, 64, 32, 32), (32, 128, 16, 16), (32, 256, 8, 8), (8, 16, 64, 64), (128, 1024), (256, 4096))


def legonn_calls(shape, x, g):
    import legonn as lg
    from legonn import nn
    m = (nn.SpatialBatchNormalization if len(shape) == 4 else nn.BatchNormalization)(shape[1])
    if x.dtype == 'float64':
        m.double()
    xt, gt = lg.from_numpy(x), lg.from_numpy(g)
    return (lambda: m.forward(xt)), (lambda: m.backward(xt, gt))


def torch_calls(shape, x, g):
    import torch
    m = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(shape[1]).to(torch.from_numpy(x).dtype)
    return torch_module_calls(m, x, g)


if __name__ == '__main__':
    main(__doc__, [(f"{'Spatial' if len(s) == 4 else ''}BatchNormalization", s, s) for s in SHAPES], legonn_calls,
         torch_calls, calls=5)
