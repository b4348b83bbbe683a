"""SpatialMaxPooling and SpatialAveragePooling on the CPU: forward and backward per call, legonn alone or with
PyTorch's MaxPool2d/AvgPool2d beside it (``--torch``). Layers: LeNet-5's two 2x2 poolings (bench/lenet.py,
compare.py's W2), a CIFAR VGG's (bench/cifar_vgg.py), ResNet's 3x3 stride-2 padded max pooling after its first
convolution (fb.resnet.torch's ImageNet models, at a 56x56 input), its global 8x8 average pooling
(bench/cifar_resnet.py) and DenseNet's 2x2 transition. The harness is bench/module_calls.py's.

    PYTHONPATH=<tree> python bench/pooling.py [--calls 10] [--repeats 5] [--double] [--torch]
"""
from module_calls import main, sized, torch_module_calls

# (name, (max or avg, kernel, stride, pad), input shape)
LAYERS = (('max LeNet 1', ('max', 2, 2, 0), (64, 20, 24, 24)),
          ('max LeNet 2', ('max', 2, 2, 0), (64, 50, 8, 8)),
          ('max VGG', ('max', 2, 2, 0), (32, 64, 32, 32)),
          ('max ResNet stem', ('max', 3, 2, 1), (32, 64, 56, 56)),
          ('avg ResNet global', ('avg', 8, 1, 0), (32, 64, 8, 8)),
          ('avg DenseNet', ('avg', 2, 2, 0), (32, 128, 16, 16)))


def legonn_calls(layer, x, g):
    import legonn as lg
    from legonn import nn
    kind, k, s, p = layer
    m = (nn.SpatialMaxPooling if kind == 'max' else nn.SpatialAveragePooling)(k, k, s, s, p, p)
    if x.dtype == 'float64':
        m.double()
    xt = lg.from_numpy(x)
    gt = lg.from_numpy(sized(g, m.forward(xt).size()))
    return (lambda: m.forward(xt)), (lambda: m.backward(xt, gt))


def torch_calls(layer, x, g):
    import torch
    kind, k, s, p = layer
    return torch_module_calls((torch.nn.MaxPool2d if kind == 'max' else torch.nn.AvgPool2d)(k, s, p), x, g)


if __name__ == '__main__':
    main(__doc__, LAYERS, legonn_calls, torch_calls)
