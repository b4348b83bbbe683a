"""Peak GPU memory of a training step (issue 13, item 4): legonn's W2 (LeNet-5, batch 64) and W3 (char-LSTM,
hidden 256, 50 steps, batch 32) steps of bench/gpu_launches.py against PyTorch eager's (bench/gpu_capture.py's
twins), parameters, data, buffers and every temporary included.

legonn side: a fresh CuPy memory pool per workload, installed as CuPy's allocator before the model is built; its
bytes in use are read after every allocation (a peak always follows one), so the figure is the most the step
held at once. PyTorch side: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``. Both count
their allocators' rounded block sizes. Without a usable GPU it says so and exits 0.

    python bench/gpu_memory.py [--workloads W2,W3] [--steps 3]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import legonn as lg  # noqa: E402,F401  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
from gpu_capture import torch_char_lstm, torch_lenet  # noqa: E402
from gpu_launches import WORKLOADS as LEGONN_STEPS  # noqa: E402
from gpu_start import chosen_workloads, cupy_or_skip, torch_cuda  # noqa: E402

TORCH_STEPS = {'W2': torch_lenet, 'W3': torch_char_lstm}


class PeakPool:
    """A CuPy allocator over ``pool`` that remembers the most bytes the pool had in use after any allocation."""

    def __init__(self, pool):
        self.pool, self.peak = pool, 0

    def malloc(self, nbytes):
        ptr = self.pool.malloc(nbytes)
        self.peak = max(self.peak, self.pool.used_bytes())
        return ptr


def legonn_peak(cp, build, steps):
    tracker = PeakPool(cp.cuda.MemoryPool())
    cp.cuda.set_allocator(tracker.malloc)
    try:
        step, _ = build(True)
        for _ in range(steps):
            step()
        cp.cuda.Device().synchronize()
    finally:
        cp.cuda.set_allocator(cp.get_default_memory_pool().malloc)
    return tracker.peak


def torch_peak(build, steps):
    torch = torch_cuda()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    start = torch.cuda.memory_allocated()
    step = build()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--workloads', default='W2,W3', help='comma-separated subset of W2,W3')
    parser.add_argument('--steps', type=int, default=3, help='training steps run after building')
    args = parser.parse_args(argv)
    names = chosen_workloads(parser, args.workloads, TORCH_STEPS)
    if args.steps < 1:
        parser.error('--steps must be >= 1')
    cp = cupy_or_skip('gpu_memory.py')
    if cp is None:
        return 0
    print(f'peak GPU memory of building a model and {args.steps} training steps (MiB)')
    for name in names:
        label, build = LEGONN_STEPS[name]
        ours = legonn_peak(cp, build, args.steps) / 2 ** 20
        try:
            theirs = torch_peak(TORCH_STEPS[name], args.steps) / 2 ** 20
        except ImportError as err:
            print(f'{name} {label}: legonn (CuPy pool) {ours:.2f}  torch n/a ({err})')
            continue
        print(f'{name} {label}: legonn (CuPy pool) {ours:.2f}  torch max_memory_allocated {theirs:.2f}  '
              f'legonn/torch {ours / theirs:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
