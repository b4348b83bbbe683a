"""IndexLinear's forward, timed at nn's test.lua sizes and at a realistic one.

Sizes (batch, inputSize, outputSize, non-zeros per sample): test.lua's ``testIndexLinear`` calls (4, 40, 10, 30),
(4, 40, 500, 30) and (4, 200000, 5, 150000), in double as test.lua runs them; and a sparse-features model's
(128, 100000, 128, 50), in float and double. Keys are drawn without repeats within a sample, as test.lua's
randperm; the input is the flat ``[keys, values, sizes]`` form. Each line is the best of ``--repeats`` timed runs
of ``forward`` (after one untimed run, which compiles the kernels), in milliseconds.

    PYTHONPATH=. python bench/index_linear.py [--cuda] [--repeats 20]
"""
import argparse
import time

import numpy as np

import legonn as lg
from legonn import cutorch, nn

SIZES = [(4, 40, 10, 30, 'double'), (4, 40, 500, 30, 'double'), (4, 200000, 5, 150000, 'double'),
         (128, 100000, 128, 50, 'float'), (128, 100000, 128, 50, 'double')]


def _input(batch, n_in, nnz, dtype, cuda, rng):
    keys = np.concatenate([rng.choice(n_in, nnz, replace=False) for _ in range(batch)])
    values = rng.uniform(size=keys.size).astype(dtype)
    x = [lg.from_numpy(keys), lg.from_numpy(values), lg.LongTensor([nnz] * batch)]
    return [x[0].cudaLong(), x[1].cuda() if dtype == np.float32 else x[1].cudaDouble(), x[2]] if cuda else x


def best_ms(run, repeats, sync, clock=time.perf_counter):
    """The fastest of ``repeats`` timed calls of ``run``, in milliseconds (``sync`` waits for the device);
    ``clock=time.process_time`` counts this process's CPU time instead of the wall's (one BLAS thread on a
    shared machine: other processes' turns on the cores are not counted)."""
    run()
    sync()
    times = []
    for _ in range(repeats):
        start = clock()
        run()
        sync()
        times.append(clock() - start)
    return 1e3 * min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cuda', action='store_true')
    parser.add_argument('--repeats', type=int, default=20)
    args = parser.parse_args()
    rng = np.random.RandomState(0)
    sync = cutorch.synchronize if args.cuda else (lambda: None)
    print(f"{'batch':>5} {'inputSize':>9} {'outputSize':>10} {'nnz/sample':>10} {'type':>6} {'forward ms':>10}")
    for batch, n_in, n_out, nnz, kind in SIZES:
        dtype = np.float32 if kind == 'float' else np.float64
        m = nn.IndexLinear(n_in, n_out).reset()
        m = m.float() if kind == 'float' else m.double()
        if args.cuda:
            m = m.cuda() if kind == 'float' else m.cudaDouble()
        x = _input(batch, n_in, nnz, dtype, args.cuda, rng)
        ms = best_ms(lambda: m.forward(x), args.repeats, sync)
        print(f"{batch:>5} {n_in:>9} {n_out:>10} {nnz:>10} {kind:>6} {ms:>10.3f}")


if __name__ == '__main__':
    main()
