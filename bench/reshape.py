"""nn.Reshape's forward and backward, and lg.Tensor(3), timed in one process (best of 5 x 20,000 calls): the
per-call cost of W3's Reshape(4, 256) of a 32 x 1024 batch and of reading the default tensor type.

Run as ``PYTHONPATH=<tree> python bench/reshape.py <label>``, alternating trees; figures in bench/README.md."""
import sys
import timeit

import legonn as lg
from legonn import nn

CALLS, REPEATS = 20000, 5


def best_us(fn):
    return min(timeit.repeat(fn, number=CALLS, repeat=REPEATS)) / CALLS * 1e6


def main(label):
    m = nn.Reshape(4, 256)
    x = lg.randn(32, 1024)
    g = lg.randn(32, 4, 256)
    m.forward(x)
    m.backward(x, g)
    print(f"{label}: Reshape(4,256) forward {best_us(lambda: m.forward(x)):.2f} us, "
          f"backward {best_us(lambda: m.backward(x, g)):.2f} us, lg.Tensor(3) {best_us(lambda: lg.Tensor(3)):.2f} us")


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'legonn')
