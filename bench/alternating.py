"""The harness of the CPU step benchmarks that compare legonn with PyTorch (bench/cifar_vgg.py,
bench/cifar_resnet.py): each implementation runs in its own processes, as users run them, the processes
alternate so a change in the machine's load falls on both, and the figure is the median block."""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

THREADS = int(os.environ.get('BENCH_THREADS', os.cpu_count()))


def time_blocks(step, blocks, steps, warmup=2):
    """Seconds a step of ``blocks`` timed blocks of ``steps`` calls of ``step``, after ``warmup`` calls (caches,
    BLAS threads, Numba's compiled kernels)."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) / steps)
    return times



def torch_sgd_step(model, batch, lr, momentum):
    """A function running one PyTorch SGD step of ``model`` (log-probabilities out, NLLLoss) on the arrays
    ``batch = (x, y)``: the PyTorch side of the step benchmarks, as bench/sgd_step.py is legonn's."""
    import torch
    torch.set_num_threads(THREADS)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = torch.nn.NLLLoss()
    x, y = (torch.from_numpy(a) for a in batch)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step

def parse_args(doc):
    parser = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=3, help='processes per implementation')
    parser.add_argument('--blocks', type=int, default=5, help='timed blocks per process')
    parser.add_argument('--steps', type=int, default=3, help='steps per timed block')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--profile', action='store_true', help="then legonn's modules one by one")
    parser.add_argument('--child', help=argparse.SUPPRESS)
    return parser.parse_args()


def main(script, title, step_fns, doc):
    """Run ``script`` (the caller's file) as a benchmark. ``step_fns`` maps 'legonn' and 'pytorch' to functions
    of the batch size returning a step function. In a child process (``--child KIND``) time one implementation
    and print its block times as JSON; otherwise start the children alternately and print the medians.
    Returns the parsed arguments to the parent (for ``--profile``), None to a child."""
    args = parse_args(doc)
    if args.child:
        print(json.dumps(time_blocks(step_fns[args.child](args.batch), args.blocks, args.steps)))
        return None
    try:
        import torch  # noqa: F401
        kinds = ['legonn', 'pytorch']
    except ImportError:
        kinds = ['legonn']
        print('PyTorch not installed: timing legonn alone (pip install torch==2.13.0)')
    print(f"{title}, batch {args.batch}; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{THREADS} threads each; {args.rounds} alternating processes x {args.blocks} blocks x {args.steps} "
          f"steps; median block")
    times = {kind: [] for kind in kinds}
    for r in range(args.rounds):
        for kind in (kinds if r % 2 == 0 else kinds[::-1]):
            cmd = [sys.executable, os.path.abspath(script), '--child', kind, '--batch', str(args.batch),
                   '--blocks', str(args.blocks), '--steps', str(args.steps)]
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(THREADS))
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
            times[kind].extend(json.loads(out.strip().splitlines()[-1]))
    median = {kind: statistics.median(t) * 1e3 for kind, t in times.items()}
    for kind, ms in median.items():
        print(f"  {kind:8s} {ms:8.2f} ms a step")
    if 'pytorch' in median:
        print(f"  legonn / PyTorch: {median['legonn'] / median['pytorch']:.2f}x")
    return args
