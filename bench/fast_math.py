"""fast_math's exp and tanh in a Numba loop against NumPy's SIMD ufuncs, over 64k elements.

    python3 bench/fast_math.py [--repeats 200]

Prints the median microseconds of each, float32 and float64, and whether the compiled loop uses
vector registers (ymm/zmm in its assembly).
"""
import argparse
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

from legonn.tensor import fast_math  # noqa: E402


@njit(nogil=True, error_model='numpy')
def exp_loop(x, out):
    for i in range(x.size):
        out[i] = fast_math.exp(x[i])


@njit(nogil=True, error_model='numpy')
def tanh_loop(x, out):
    for i in range(x.size):
        out[i] = fast_math.tanh(x[i])


def median_us(call, repeats):
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--repeats', type=int, default=200)
    o = p.parse_args()
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal(1 << 16) * 3).astype(dtype)
        out = np.empty_like(x)
        row = []
        for name, loop, ufunc in (('exp', exp_loop, np.exp), ('tanh', tanh_loop, np.tanh)):
            mine = median_us(lambda: loop(x, out), o.repeats)
            numpy = median_us(lambda: ufunc(x, out=out), o.repeats)
            vector = bool(re.search(r'[yz]mm', loop.inspect_asm(loop.signatures[-1])))
            row.append(f"{name} {mine:.1f} us (NumPy {numpy:.1f}, vectorised: {vector})")
        print(f"{np.dtype(dtype).name}: " + '; '.join(row))


if __name__ == '__main__':
    main()
