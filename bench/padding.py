"""Forward and backward time of the spatial paddings on a large batch of feature maps (fast-neural-style and
CycleGAN pad 128-channel maps with SpatialReflectionPadding before every convolution).

    PYTHONPATH=$PWD python bench/padding.py [--shape 8 64 128 128] [--repeats 5]
"""
import argparse

import numpy as np

import legonn as lg
from index_linear import best_ms   # a sibling script: bench/ is on the path when run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shape', type=int, nargs=4, default=[8, 64, 128, 128])
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()
    nn = lg.nn
    x = lg.Tensor(np.random.default_rng(0).random(args.shape, dtype=np.float32))
    for module in (nn.SpatialZeroPadding(1, 1, 1, 1), nn.SpatialReflectionPadding(4, 4, 4, 4),
                   nn.SpatialReplicationPadding(1, 1, 1, 1)):
        y = module.forward(x)
        grad_output = lg.Tensor(np.ones(tuple(y.size()), np.float32))
        module.backward(x, grad_output)
        forward = best_ms(lambda: module.forward(x), args.repeats, lambda: None)
        backward = best_ms(lambda: module.updateGradInput(x, grad_output), args.repeats, lambda: None)
        print(f"{module!r:48s} forward {forward:8.1f} ms  backward {backward:8.1f} ms")


if __name__ == '__main__':
    main()
