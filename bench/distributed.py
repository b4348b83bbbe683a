"""Weak scaling of data-parallel training over MPI (legonn.distributed.AllReduceSGD): the SGD step of
LeNet-5 (per-process batch 64) and of the MLP 784-1024-1024-10 (per-process batch 128) on 1 and on 2
processes, each with one thread (OPENBLAS_NUM_THREADS=1 and lg.setnumthreads(1)), the MLP at 2 processes
also with its gradient kept out of shared memory (through MPI's allreduce); then the time of one
allreduce (mean) against the gradient's size, of a private NumPy buffer (through MPI's allreduce) and of a
tensor moved into the machine's shared memory (``Communicator.shareMemory``, where AllReduceSGD keeps the
flat gradient), and the MLP's gradient reduced whole or in buckets.

Weak scaling keeps the per-process batch: 2 processes handle twice the samples per step, so the
throughput ratio (samples/s at 2 / samples/s at 1) is 2.0 when the allreduce costs nothing. Each
process count runs in its own ``mpiexec`` job; the timed blocks of the models alternate inside a job
and the median step time over the blocks is reported (a burst of load on a shared machine then hits
every model alike).

    python bench/distributed.py [--blocks 7] [--steps 5] [--sizes 1e3 1e4 1e5 4.3e5 1e6 1.9e6 4e6]
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(HERE, '..', 'examples'))

import legonn as lg  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from legonn import nn  # noqa: E402

BATCHES = {'LeNet-5': 64, 'MLP 784-1024-1024-10': 128}
# at 2 processes the MLP runs a second time with its gradient handed to AllReduceSGD as a NumPy array, which
# stays in private memory and goes through MPI's allreduce: what the shared-memory path gains, same job
THROUGH_MPI = 'MLP 784-1024-1024-10'
VIA_MPI = f'{THROUGH_MPI}, gradient through MPI'
BUCKETED_VALUES = 1_863_690   # the MLP's parameter count


def base_model(name):
    """The model a row measures: VIA_MPI's is THROUGH_MPI's."""
    return THROUGH_MPI if name == VIA_MPI else name


def model_of(name):
    if name == 'LeNet-5':
        from lenet import lenet
        return lenet(), (1, 28, 28)
    from mlp import mlp
    return mlp(), (784,)


def worker(blocks, steps, sizes):
    """One rank of the job: the step times of each model, then the allreduce sweep; rank 0 prints JSON."""
    import legonn.distributed as dist
    from sgd_step import sgd_step
    lg.setnumthreads(1)
    comm = dist.init(timeout=300)
    rng = np.random.default_rng(comm.rank)
    steppers, reduce_times = {}, {}
    for name in list(BATCHES) + ([VIA_MPI] if comm.size > 1 else []):
        batch = BATCHES[base_model(name)]
        lg.manualSeed(1)
        model, shape = model_of(base_model(name))
        x = rng.random((batch,) + shape, dtype=np.float32)
        y = rng.integers(0, 10, batch)
        times = reduce_times[name] = []
        reducer = dist.AllReduceSGD(comm)

        def reduce(grads, times=times, reducer=reducer, private=name == VIA_MPI):
            start = time.perf_counter()
            reducer.sumAndNormalizeGradients(grads.array if private else grads)
            times.append(time.perf_counter() - start)
        step = sgd_step(model, nn.ClassNLLCriterion(), x, y, False, reduce if comm.size > 1 else None)
        reducer.synchronizeParameters(model.getParameters()[0])
        step()   # warm-up: buffers, BLAS
        step()   # AllReduceSGD moves the gradient into shared memory when handed it a second time
        steppers[name] = (step, model.getParameters()[0].nElement())
    block_times = {name: [] for name in steppers}
    for _ in range(blocks):
        for name, (step, _) in steppers.items():
            comm.barrier()
            start = time.perf_counter()
            for _ in range(steps):
                step()
            comm.barrier()
            block_times[name].append((time.perf_counter() - start) / steps)

    def median_step(step):
        """The median over the blocks of the mean time of ``steps`` calls of ``step``, all ranks starting together."""
        runs = []
        for _ in range(blocks):
            comm.barrier()
            start = time.perf_counter()
            for _ in range(steps):
                step()
            runs.append((time.perf_counter() - start) / steps)
        return statistics.median(runs)
    sweep = {}
    for n in sizes:
        buf = np.ones(int(n), dtype=np.float32)
        shared = comm.shareMemory(lg.from_numpy(np.ones(int(n), dtype=np.float32)))
        comm.allreduce(buf, 'mean')
        comm.allreduce(shared, 'mean')
        sweep[int(n)] = (median_step(lambda: comm.allreduce(buf, 'mean')),
                         median_step(lambda: comm.allreduce(shared, 'mean')))
    # the MLP's gradient as 1, 4 or 16 buckets reduced one after the other: what splitting costs before any
    # overlap with backward could pay for it
    flat = np.ones(BUCKETED_VALUES, dtype=np.float32)
    buckets = {}
    for k in (1, 4, 16):
        def reduce_parts(parts=np.array_split(flat, k)):
            for part in parts:
                comm.allreduce(part, 'mean')
        buckets[k] = median_step(reduce_parts)
    if comm.rank == 0:
        print(json.dumps({'size': comm.size, 'sweep': sweep, 'buckets': buckets, 'models': {
            name: {'params': steppers[name][1], 'step_s': statistics.median(block_times[name]),
                   'allreduce_s': statistics.median(reduce_times[name]) if reduce_times[name] else 0.0}
            for name in steppers}}))


def run_job(nprocs, args):
    mpiexec = shutil.which('mpiexec', path=os.path.dirname(sys.executable)) or shutil.which('mpiexec')
    if mpiexec is None:
        sys.exit("bench/distributed.py: no mpiexec found; pip install 'legonn[mpi]'")
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1')
    command = [mpiexec, '-n', str(nprocs), sys.executable, os.path.abspath(__file__), '--worker',
               '--blocks', str(args.blocks), '--steps', str(args.steps), '--sizes', *map(str, args.sizes)]
    out = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--blocks', type=int, default=7)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--sizes', type=float, nargs='+', default=[1e3, 1e4, 1e5, 4.3e5, 1e6, 1.9e6, 4e6])
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.blocks, args.steps, args.sizes)
        return
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    one, two = run_job(1, args), run_job(2, args)
    print("\n| model | per-process batch | parameters | 1 process: ms/step, samples/s | 2 processes: ms/step, "
          "samples/s | throughput 2/1 | allreduce ms/step (share of step) |")
    print("|---|---|---|---|---|---|---|")
    for name in two['models']:
        batch = BATCHES[base_model(name)]
        a, b = one['models'][base_model(name)], two['models'][name]
        rate_a, rate_b = batch / a['step_s'], 2 * batch / b['step_s']
        print(f"| {name} | {batch} | {a['params']:,} | {a['step_s'] * 1e3:.2f}, {rate_a:.0f} | "
              f"{b['step_s'] * 1e3:.2f}, {rate_b:.0f} | **{rate_b / rate_a:.2f}x** | "
              f"{b['allreduce_s'] * 1e3:.2f} ({b['allreduce_s'] / b['step_s'] * 100:.0f}%) |")
    print("\n| float32 values | MiB | allreduce (mean), 2 processes, MPI: ms, GB/s of gradient | in shared memory: "
          "ms, GB/s |")
    print("|---|---|---|---|")
    for n, times in two['sweep'].items():
        n = int(n)
        print(f"| {n:,} | {n * 4 / 2 ** 20:.2f} | "
              + " | ".join(f"{seconds * 1e3:.3f}, {n * 4 / seconds / 1e9:.2f}" for seconds in times) + " |")
    print(f"\n| the MLP's {BUCKETED_VALUES:,}-value gradient as | allreduced one after the other, 2 processes: ms |")
    print("|---|---|")
    for k, seconds in two['buckets'].items():
        print(f"| {k} bucket{'s' if int(k) > 1 else ''} | {seconds * 1e3:.3f} |")
    print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == '__main__':
    main()
