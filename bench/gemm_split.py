"""Does splitting a small-row GEMM over legonn's intra-op pool beat OpenBLAS's own threads? (issue 18)

For each product as legonn's modules make it (Linear's W x^T forward, its gradInput and gradWeight,
SeqLSTM's recurrent product and its backward as rows (before 2026-12-04) and unit-major (since), the one-hot and decoder layers of the char-LSTM, MLP and
LeNet sizes), prints the median time of one float32 call (µs) made four ways:

- ``blas2``: one CBLAS gemm with OpenBLAS at 2 threads (what legonn does by default on 2 cores);
- ``blas1``: the same call with OpenBLAS at 1 thread;
- ``pool``: the output split in two along its longer side, each half one single-threaded gemm, run by
  ``legonn.tensor.parallel.run_parts`` (this thread and one pool worker; ctypes releases the GIL);
- ``pool@2``: the same split with OpenBLAS left at 2 threads.

``--gap`` busy-waits that many µs of Python before each timed call, as a step's module code does between
its products (OpenBLAS's and the pool's workers go to sleep in between). Every call goes through
``blas_kernels._native``, the checked gateway to native code. Run from the repository root:

    python bench/gemm_split.py [--gap 30] [--beta 1]
"""
import argparse
import time

import numpy as np

import legonn  # noqa: F401  (imported before NumPy's first BLAS call: it sets how OpenBLAS idles)
from legonn.tensor import blas_kernels, openblas, parallel

CASES = [   # name, a's shape, b's shape, whether a and b are transposed views
    ('Linear fwd  W x^T 1024x256 . 256x32', (1024, 256), (32, 256), False, True),
    ('Linear gradInput 32x1024 . 1024x256', (32, 1024), (1024, 256), False, False),
    ('Linear gradWeight 1024x32 . 32x256', (32, 1024), (32, 256), True, False),
    ('SeqLSTM recurrent 32x256 . 256x1024', (32, 256), (256, 1024), False, False),
    ('SeqLSTM rec. bwd 32x1024 . 1024x256', (32, 1024), (1024, 256), False, False),
    ('unit-major rec. W_h^T h^T 1024x256 . 256x32', (1024, 256), (32, 256), False, True),
    ('unit-major rec. bwd W_h dG 256x1024 . 1024x32', (256, 1024), (1024, 32), False, False),
    ('one-hot fwd 1024x65 . 65x32', (1024, 65), (32, 65), False, True),
    ('decoder fwd 65x256 . 256x32', (65, 256), (32, 256), False, True),
    ('decoder gradInput 32x65 . 65x256', (32, 65), (65, 256), False, False),
    ('MLP fwd 1024x784 . 784x128', (1024, 784), (128, 784), False, True),
    ('MLP gradWeight 1024x128 . 128x784', (128, 1024), (128, 784), True, False),
    ('LeNet fwd 500x800 . 800x64', (500, 800), (64, 800), False, True),
    ('LeNet gradInput 64x500 . 500x800', (64, 500), (500, 800), False, False),
]


def gemm(out, a, b, beta=0.0):
    """out = beta out + a @ b by one CBLAS call, operands checked by the gateway."""
    (m, k), n = a.shape, b.shape[1]
    fn, (la, lb, lc) = blas_kernels._native('gemm', out.dtype, ('a', a, (m, k), 'matrix'),
                                            ('b', b, (k, n), 'matrix'), ('out', out, (m, n), 'matrix'))
    fn(101, la[0], lb[0], m, n, k, 1.0, a.ctypes.data, la[1], b.ctypes.data, lb[1], beta, out.ctypes.data, lc[1])


def split_gemm(out, a, b, beta=0.0):
    """The same product in two halves along out's longer side, run over legonn's pool."""
    m, n = out.shape
    if m >= n:
        parts = [slice(0, m // 2), slice(m // 2, m)]
        parallel.run_parts(lambda s: gemm(out[s], a[s], b, beta), parts)
    else:
        parts = [slice(0, n // 2), slice(n // 2, n)]
        parallel.run_parts(lambda s: gemm(out[:, s], a, b[:, s], beta), parts)


def median_us(fn, reps, gap_s):
    blocks = []
    for _ in range(9):
        total = 0.0
        for _ in range(reps):
            until = time.perf_counter() + gap_s
            while time.perf_counter() < until:
                pass
            start = time.perf_counter()
            fn()
            total += time.perf_counter() - start
        blocks.append(total / reps * 1e6)
    return sorted(blocks)[len(blocks) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gap', type=float, default=0.0, help='µs of Python busy-wait before each call')
    parser.add_argument('--beta', type=float, default=0.0,
                        help='1: accumulate into the output, as the recurrent products add to the input projection')
    args = parser.parse_args()
    if parallel.getnumthreads() < 2:
        parallel.setnumthreads(2)
    rng = np.random.default_rng(0)
    print(f"{'product':46s} {'blas2':>8s} {'blas1':>8s} {'pool':>8s} {'pool@2':>8s}   (µs, median of 9 blocks)")
    for name, shape_a, shape_b, trans_a, trans_b in CASES:
        a = rng.standard_normal(shape_a, dtype=np.float32)
        b = rng.standard_normal(shape_b, dtype=np.float32)
        a, b = (a.T if trans_a else a), (b.T if trans_b else b)
        out = np.empty((a.shape[0], b.shape[1]), np.float32)
        reps = max(10, int(5e7 / out.size / a.shape[1]))
        previous = openblas.set_blas_threads(2)
        try:
            blas2 = median_us(lambda: gemm(out, a, b, args.beta), reps, args.gap * 1e-6)
            pool2 = median_us(lambda: split_gemm(out, a, b, args.beta), reps, args.gap * 1e-6)
            openblas.set_blas_threads(1)
            blas1 = median_us(lambda: gemm(out, a, b, args.beta), reps, args.gap * 1e-6)
            pool1 = median_us(lambda: split_gemm(out, a, b, args.beta), reps, args.gap * 1e-6)
        finally:
            openblas.set_blas_threads(previous or 1)
        out[...] = 0
        split_gemm(out, a, b, args.beta)
        np.testing.assert_allclose(out, a @ b, rtol=1e-4, atol=1e-3)
        print(f"{name:46s} {blas2:8.1f} {blas1:8.1f} {pool1:8.1f} {pool2:8.1f}")


if __name__ == '__main__':
    main()
