"""Device operations and host synchronisations per training step of issue 13's workloads (W1 MLP, W2 LeNet-5,
W3 char-LSTM; bench/gpu_launches.py builds them), counted on the host simulator of CuPy (tests/gpu_sim), so
without a GPU. Each device operation is roughly one CuPy kernel launch or copy; views (reshapes, transposes,
slices) and no-ops launch nothing and are counted apart. On a device, bench/gpu_launches.py counts real
kernels with CUPTI; this is the proxy that lets launch cutting start, and be tested, on a CPU.

    python bench/gpu_sim_launches.py [--workloads W1,W2,W3] [--top 12] [--by-line]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, '..', 'tests', 'gpu_sim'), HERE]   # the simulator stands in for cupy

from gpu_launches import WORKLOADS  # noqa: E402
from gpu_start import chosen_workloads  # noqa: E402


def tally(step, warmup=2, by_line=False):
    """(launches, views, host syncs, Counter by name) of one ``step()`` after ``warmup`` untimed ones."""
    from cupy.cuda.stream import counting
    for _ in range(warmup):
        step()
    with counting(by_line) as counts:
        step()
    kinds = {'launch': 0, 'view': 0, 'host sync': 0}
    for name, n in counts.items():
        kind = next((k for k in ('view', 'host sync') if name.startswith(k + ':')), None)
        if name.startswith('no-op:'):
            continue
        kinds[kind or 'launch'] += n
    return kinds['launch'], kinds['view'], kinds['host sync'], counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--workloads', default='W1,W2,W3', help='comma-separated subset of W1,W2,W3')
    parser.add_argument('--top', type=int, default=12, help='operations listed per workload')
    parser.add_argument('--by-line', action='store_true', help='list operations by the line that launched them')
    args = parser.parse_args(argv)
    names = chosen_workloads(parser, args.workloads, WORKLOADS)
    import cupy
    if not getattr(cupy, 'IS_HOST_SIMULATOR', False):
        parser.error(f'found a real CuPy at {cupy.__file__}, not the simulator: use bench/gpu_launches.py there')
    print('per training step on the host simulator of CuPy (launches ~ CuPy kernels and copies)')
    for name in names:
        label, build = WORKLOADS[name]
        step, _ = build(True)
        launches, views, syncs, counts = tally(step, by_line=args.by_line)
        print(f'{name} {label}: {launches} launches, {syncs} host syncs ({views} views)')
        listed = [(n, what) for what, n in counts.most_common() if not what.startswith(('view:', 'no-op:'))]
        for n, what in listed[:args.top]:
            print(f'    {n:6d}  {what[:110]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
