"""One training step of a small CIFAR ResNet on the CPU: legonn vs PyTorch eager when it is installed.

fb.resnet.torch's CIFAR model at depth 8 (one basic block a stage): a 3x3 convolution 3 -> 16 with
SpatialBatchNormalization and ReLU, then three basic blocks 16 -> 16, 16 -> 32 (stride 2), 32 -> 64 (stride 2),
each ``ConcatTable(conv3x3-BN-ReLU-conv3x3-BN, shortcut) -> CAddTable(true) -> ReLU(true)`` with a 1x1 strided
convolution + BN as the shortcut where the planes change (fb.resnet.torch's shortcut type B) and Identity where
they do not; then an 8x8 average pooling, Linear 64 -> 10 and LogSoftMax. Batch 32 of 3x32x32 float32, ClassNLL,
SGD with momentum 0.9 over ``getParameters``; as in fb.resnet.torch, the first convolution's ``gradInput`` is
None (no gradient for the images). Its layers are the small-plane, strided and 1x1 convolutions that
bench/cifar_vgg.py's does not have.

Each implementation runs in its own processes, alternating, median block (bench/alternating.py); ``--profile``
times legonn's modules inside the step (bench/module_profile.py). ``BENCH_THREADS`` sets both thread counts.

    python bench/cifar_resnet.py [--rounds 3] [--blocks 5] [--steps 3] [--batch 32] [--profile]
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

# (input planes, output planes, stride) of each basic block
BLOCKS = [(16, 16, 1), (16, 32, 2), (32, 64, 2)]


def make_batch(batch, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, batch)


def legonn_block(planes_in, planes_out, stride):
    residual = (nn.Sequential()
                .add(nn.SpatialConvolution(planes_in, planes_out, 3, 3, stride, stride, 1, 1))
                .add(nn.SpatialBatchNormalization(planes_out)).add(nn.ReLU(True))
                .add(nn.SpatialConvolution(planes_out, planes_out, 3, 3, 1, 1, 1, 1))
                .add(nn.SpatialBatchNormalization(planes_out)))
    if planes_in == planes_out and stride == 1:
        shortcut = nn.Identity()
    else:
        shortcut = (nn.Sequential().add(nn.SpatialConvolution(planes_in, planes_out, 1, 1, stride, stride))
                    .add(nn.SpatialBatchNormalization(planes_out)))
    return (nn.Sequential().add(nn.ConcatTable().add(residual).add(shortcut))
            .add(nn.CAddTable(True)).add(nn.ReLU(True)))


def legonn_model():
    model = (nn.Sequential().add(nn.SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1))
             .add(nn.SpatialBatchNormalization(16)).add(nn.ReLU(True)))
    for block in BLOCKS:
        model.add(legonn_block(*block))
    model.add(nn.SpatialAveragePooling(8, 8, 1, 1)).add(nn.View(64)).add(nn.Linear(64, 10)).add(nn.LogSoftMax())
    # fb.resnet.torch's models/resnet.lua ends so: the first convolution computes no gradient for the images
    # (Torch7's idiom, which legonn keeps), as PyTorch's autograd computes none for an input without requires_grad
    model.get(0).gradInput = None
    return model


def legonn_step_fn(batch):
    model, criterion = legonn_model(), nn.ClassNLLCriterion()
    x, y = make_batch(batch)
    return sgd_step(model, criterion, x, y, False), model


def torch_step_fn(batch):
    import torch
    t = torch.nn

    class Block(t.Module):
        def __init__(self, planes_in, planes_out, stride):
            super().__init__()
            self.residual = t.Sequential(t.Conv2d(planes_in, planes_out, 3, stride, 1), t.BatchNorm2d(planes_out),
                                         t.ReLU(True), t.Conv2d(planes_out, planes_out, 3, 1, 1),
                                         t.BatchNorm2d(planes_out))
            self.shortcut = (t.Identity() if planes_in == planes_out and stride == 1 else
                             t.Sequential(t.Conv2d(planes_in, planes_out, 1, stride), t.BatchNorm2d(planes_out)))

        def forward(self, x):
            return torch.relu_(self.residual(x) + self.shortcut(x))

    model = t.Sequential(t.Conv2d(3, 16, 3, 1, 1), t.BatchNorm2d(16), t.ReLU(True),
                         *(Block(*block) for block in BLOCKS), t.AvgPool2d(8), t.Flatten(), t.Linear(64, 10),
                         t.LogSoftmax(dim=1))
    return torch_sgd_step(model, make_batch(batch), LR, MOMENTUM)


if __name__ == '__main__':
    args = main(__file__, f'CIFAR ResNet-8 training step, SGD momentum {MOMENTUM}',
                {'legonn': lambda batch: legonn_step_fn(batch)[0], 'pytorch': torch_step_fn}, __doc__)
    if args is not None and args.profile:
        step, model = legonn_step_fn(args.batch)
        profile_step(model, step)
