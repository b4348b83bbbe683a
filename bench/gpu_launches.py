"""What one legonn training step asks of the GPU: kernel launches, copies, memsets, host synchronisations and
device allocations per step, by kernel name, for issue 13's three workloads on CUDA tensors:

  W1  MLP 784-1024-1024-10 (bench/mlp.py's model), batch 128, optim.sgd with momentum
  W2  LeNet-5 (examples/lenet.py), batch 64, optim.sgd with momentum
  W3  char-LSTM (examples/char_lstm.py: a gModule time step cloned over 50 steps, hidden 256, vocabulary 65),
      batch 32, full backprop through time, optim.sgd with momentum

Small models on a GPU are bound by launches (CuPy's launch costs about twice PyTorch's), so this table says
where to cut: fuse the most frequent element-wise kernels, remove every synchronisation and allocation.
Counts come from CUDA's own activity records (CUPTI), read through PyTorch's profiler, which sees every kernel
of the process, CuPy's and cuBLAS's included; PyTorch is needed for this script only. Without a usable GPU it
says so and exits 0.

    python bench/gpu_launches.py [--workloads W1,W2,W3] [--steps 3] [--top 12]
"""
import argparse
import collections
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, '..'), os.path.join(HERE, '..', 'examples'), HERE]

import legonn as lg  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
import numpy as np  # noqa: E402
from gpu_start import chosen_workloads, cupy_or_skip  # noqa: E402
from legonn import nn, optim  # noqa: E402

# Chrome-trace categories of PyTorch's profiler: work that ran on the GPU, and host API calls
GPU_WORK = {'kernel': 'kernels', 'gpu_memcpy': 'copies', 'gpu_memset': 'memsets'}
API = ('cuda_runtime', 'cuda_driver')
# host calls that wait for the GPU (a blocking copy to the host waits too) or allocate device memory
SYNC_CALLS = ('cudaDeviceSynchronize', 'cudaStreamSynchronize', 'cudaEventSynchronize', 'cuCtxSynchronize',
              'cuStreamSynchronize', 'cuEventSynchronize', 'cudaMemcpy', 'cuMemcpyDtoH_v2', 'cuMemcpyDtoH')
ALLOC_CALLS = ('cudaMalloc', 'cudaMallocAsync', 'cuMemAlloc_v2', 'cuMemAlloc', 'cuMemAllocAsync')


# Each workload builder returns (step, flat parameters): one optim.sgd step on a fixed batch, and what it updates.

def mlp_step(cuda):
    from mlp import make_batch, mlp
    from sgd_step import sgd_step
    model = mlp()
    x, y = make_batch(lg.tensor.backend.cupy() if cuda else np)
    step = sgd_step(model, nn.ClassNLLCriterion(), x, y, cuda)
    return step, model.getParameters()[0]


def lenet_step(cuda, batch=64):
    from lenet import lenet   # examples/lenet.py (bench/lenet.py, the benchmark, comes later on the path)
    from sgd_step import sgd_step
    model, rng = lenet(), np.random.default_rng(0)
    xp = lg.tensor.backend.cupy() if cuda else np
    x = xp.asarray(rng.random((batch, 1, 28, 28), dtype=np.float32))
    step = sgd_step(model, nn.ClassNLLCriterion(), x, xp.asarray(rng.integers(0, 10, batch)), cuda)
    return step, model.getParameters()[0]


def char_lstm_step(cuda, vocab=65, hidden=256, seq=50, batch=32):
    from char_lstm import CharLSTM
    model = CharLSTM(vocab, vocab, hidden, 1, seq, cuda)
    rng = np.random.default_rng(0)
    ids = lg.from_numpy(rng.integers(0, vocab, (batch, seq + 1)))
    x, y = ids.narrow(1, 0, seq).clone(), ids.narrow(1, 1, seq).clone()
    if cuda:
        x, y = x.cudaLong(), y.cudaLong()
    state = model.zero_state(batch)
    config = {'learningRate': 0.05, 'momentum': 0.9}

    def feval(_):
        model.grads.zero()
        loss, inputs, _ = model.forward(x, y, state)
        model.backward(x, y, inputs)
        return loss, model.grads

    def step():
        optim.sgd(feval, model.params, config)
    return step, model.params


WORKLOADS = {'W1': ('MLP 784-1024-1024-10 b128', mlp_step), 'W2': ('LeNet-5 b64', lenet_step),
             'W3': ('char-LSTM gModule h256 seq50 b32', char_lstm_step)}


def tally(events, steps):
    """Per-step counts from chrome-trace events: ``{'kernels': n, ..., 'syncs': n, 'allocations': n}`` and the
    ``(count per step, category, name)`` rows of GPU work, most frequent first."""
    totals = collections.Counter()
    rows = collections.Counter()
    for event in events:
        cat, name = event.get('cat'), event.get('name', '?')
        if cat in GPU_WORK:
            totals[GPU_WORK[cat]] += 1
            rows[(GPU_WORK[cat], name)] += 1
        elif cat in API:
            if name in SYNC_CALLS:
                totals['syncs'] += 1
                rows[('syncs', name)] += 1
            elif name in ALLOC_CALLS:
                totals['allocations'] += 1
                rows[('allocations', name)] += 1
    per_step = {k: totals[k] / steps for k in ('kernels', 'copies', 'memsets', 'syncs', 'allocations')}
    table = sorted(((n / steps, cat, name) for (cat, name), n in rows.items()), key=lambda r: (-r[0], r[1], r[2]))
    return per_step, table


def traced(step, steps, sync):
    """The chrome-trace events of ``steps`` calls of ``step`` under PyTorch's profiler (CPU and CUDA activity)."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            step()
        sync()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'trace.json')
        prof.export_chrome_trace(path)
        with open(path) as f:
            return json.load(f).get('traceEvents', [])


def report(name, label, per_step, table, top):
    counts = ', '.join(f'{v:g} {k}' for k, v in per_step.items())
    print(f'{name} {label}: per step {counts}')
    for n, cat, kernel in table[:top]:
        print(f'    {n:8g}  {cat:11s} {kernel[:110]}')
    if len(table) > top:
        print(f'    ... {len(table) - top} more names')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--workloads', default='W1,W2,W3', help='comma-separated subset of W1,W2,W3')
    parser.add_argument('--steps', type=int, default=3, help='profiled steps (after --warmup untimed ones)')
    parser.add_argument('--warmup', type=int, default=2, help='steps run before profiling (kernel compilation, '
                                                              'optimiser state, buffers)')
    parser.add_argument('--top', type=int, default=12, help='kernel names listed per workload')
    args = parser.parse_args(argv)
    names = chosen_workloads(parser, args.workloads, WORKLOADS)
    if args.steps < 1 or args.warmup < 0:
        parser.error('--steps must be >= 1 and --warmup >= 0')
    cp = cupy_or_skip('gpu_launches.py')
    if cp is None:
        return 0
    try:
        import torch.profiler  # noqa: F401
    except ImportError:
        print('gpu_launches.py: needs PyTorch for its profiler (pip install torch), which is not installed')
        return 1
    sync = cp.cuda.Device().synchronize
    print(f'kernel launches per training step on {cp.cuda.runtime.getDeviceProperties(0)["name"].decode()}, '
          f'CuPy {cp.__version__}; {args.warmup} warm-up steps, then {args.steps} profiled')
    for name in names:
        label, build = WORKLOADS[name]
        step, _ = build(True)
        for _ in range(args.warmup):
            step()
        sync()
        per_step, table = tally(traced(step, args.steps, sync), args.steps)
        report(name, label, per_step, table, args.top)
    return 0


if __name__ == '__main__':
    sys.exit(main())
