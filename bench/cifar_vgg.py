"""One training step of a CIFAR-size VGG with batch normalisation on the CPU: legonn vs PyTorch eager when it is
installed. Five 3x3 convolutions (pad 1), each followed by SpatialBatchNormalization and an in-place ReLU,
3 -> 64 -> 64, max-pool, 64 -> 128 -> 128, max-pool, 128 -> 256, max-pool, then Linear 4096 -> 10 and
LogSoftMax; batch 32 of 3x32x32 float32, ClassNLL, SGD with momentum 0.9 over ``getParameters``.

The layer sizes are those of the conv-BN-ReLU stacks CIFAR training scripts for Torch7 build
(cifar.torch's vgg_bn_drop.lua, fb.resnet.torch's CIFAR models), cut to five layers so a step takes a fraction of
a second. As bench/lenet.py: each implementation in its own processes, alternating, median block
(bench/alternating.py); ``--profile`` times legonn's modules inside the step (bench/module_profile.py).
``BENCH_THREADS`` sets both thread counts (default: all cores).

    python bench/cifar_vgg.py [--rounds 3] [--blocks 5] [--steps 3] [--batch 32] [--profile]
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import legonn as lg  # noqa: E402,F401  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from alternating import main, torch_sgd_step  # noqa: E402
from legonn import nn  # noqa: E402
from module_profile import profile_step  # noqa: E402
from sgd_step import LR, MOMENTUM, sgd_step  # noqa: E402

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
    t = torch.nn
    layers = []
    for layer in LAYERS:
        layers += [t.MaxPool2d(2, 2)] if layer == 'M' else [t.Conv2d(*layer, 3, 1, 1), t.BatchNorm2d(layer[1]),
                                                           t.ReLU(True)]
    model = t.Sequential(*layers, t.Flatten(), t.Linear(FEATURES, 10), t.LogSoftmax(dim=1))
    return torch_sgd_step(model, make_batch(batch), LR, MOMENTUM)


if __name__ == '__main__':
    args = main(__file__, f'CIFAR VGG-BN training step, SGD momentum {MOMENTUM}',
                {'legonn': lambda batch: legonn_step_fn(batch)[0], 'pytorch': torch_step_fn}, __doc__)
    if args is not None and args.profile:
        step, (model, *_) = legonn_step_fn(args.batch)
        profile_step(model, step)
