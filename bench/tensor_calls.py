"""The host cost of Torch7's small tensor calls: microseconds a call of the methods and functional forms ported
training loops, data preparation and beam searches call by the thousand, on 64x64 float tensors, legonn beside
PyTorch when it is installed (its nearest equivalents: ``add_`` for Torch7's in-place ``add``, ``.item()`` where
legonn returns a number).

    python bench/tensor_calls.py [--tree DIR] [--repeats 5] [--number 2000] [--no-torch]

Each figure is the best of ``--repeats`` blocks of ``--number`` calls (timeit), so load on a shared machine
lengthens few of them. ``--tree`` imports legonn from another checkout (``git archive <commit> legonn | tar -x
-C DIR``) to compare two versions in alternate runs. Results in bench/tensor_calls.md.
"""
import argparse
import datetime
import os
import platform
import sys
import timeit

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')

# (label, legonn call, PyTorch call) over a, b (64x64 float) and idx (three row indices)
CALLS = [
    ('lg.add(a, b) (new result)', lambda lg, a, b, i: lg.add(a, b), lambda t, a, b, i: t.add(a, b)),
    ('a.add(b)', lambda lg, a, b, i: a.add(b), lambda t, a, b, i: a.add_(b)),
    ('a.mul(1.0001)', lambda lg, a, b, i: a.mul(1.0001), lambda t, a, b, i: a.mul_(1.0001)),
    ('a.cmul(b)', lambda lg, a, b, i: a.cmul(b), lambda t, a, b, i: a.mul_(b)),
    ('a.copy(b)', lambda lg, a, b, i: a.copy(b), lambda t, a, b, i: a.copy_(b)),
    ('a.fill(0.5)', lambda lg, a, b, i: a.fill(0.5), lambda t, a, b, i: a.fill_(0.5)),
    ('a.zero()', lambda lg, a, b, i: a.zero(), lambda t, a, b, i: a.zero_()),
    ('a.sum()', lambda lg, a, b, i: a.sum(), lambda t, a, b, i: a.sum().item()),
    ('a.max()', lambda lg, a, b, i: a.max(), lambda t, a, b, i: a.max().item()),
    ('a.index(0, idx)', lambda lg, a, b, i: a.index(0, i), lambda t, a, b, i: a.index_select(0, i)),
    ('a[3][4]', lambda lg, a, b, i: a[3][4], lambda t, a, b, i: a[3][4].item()),
    ('a.narrow(0, 2, 10)', lambda lg, a, b, i: a.narrow(0, 2, 10), lambda t, a, b, i: a.narrow(0, 2, 10)),
    ('a.select(0, 3)', lambda lg, a, b, i: a.select(0, 3), lambda t, a, b, i: a.select(0, 3)),
    ('a.view(4096)', lambda lg, a, b, i: a.view(4096), lambda t, a, b, i: a.view(4096)),
    ('a.size(1)', lambda lg, a, b, i: a.size(1), lambda t, a, b, i: a.size(1)),
    ('a.clone()', lambda lg, a, b, i: a.clone(), lambda t, a, b, i: a.clone()),
    ('lg.mm(a, b)', lambda lg, a, b, i: lg.mm(a, b), lambda t, a, b, i: t.mm(a, b)),
]


def time_calls(module, operands, which, repeats, number):
    """{label: best microseconds a call} of every call of ``CALLS`` on ``operands``, column ``which`` (1: legonn,
    2: PyTorch). The operands are drawn afresh for each call, so no call sees another's leftovers (a.mul
    repeated grows a towards inf)."""
    times = {}
    for label, *fns in CALLS:
        a, b, idx = operands()
        fn = fns[which - 1]
        times[label] = min(timeit.repeat(lambda: fn(module, a, b, idx), number=number, repeat=repeats)) / number * 1e6
    return times


def machine():
    """The CPU's model name where Linux says it (platform.processor() is often empty there), else the architecture."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--tree', default=ROOT, help='the checkout whose legonn is timed (default: this one)')
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--number', type=int, default=2000)
    p.add_argument('--no-torch', action='store_true', help='legonn alone even when PyTorch is installed')
    args = p.parse_args(argv)

    sys.path.insert(0, os.path.abspath(args.tree))
    import legonn as lg   # before NumPy, as the README asks
    import numpy as np

    def lg_operands():
        return lg.randn(64, 64), lg.randn(64, 64), lg.LongTensor([0, 3, 5])
    columns = {'legonn': time_calls(lg, lg_operands, 1, args.repeats, args.number)}
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            pass
    if torch is not None:
        def torch_operands():
            return torch.randn(64, 64), torch.randn(64, 64), torch.tensor([0, 3, 5])
        columns['PyTorch'] = time_calls(torch, torch_operands, 2, args.repeats, args.number)

    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f"tensor_calls.py  {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC  "
          f"{machine()}  cpus {os.cpu_count()}  load {load:.2f}  "
          f"python {platform.python_version()}  numpy {np.__version__}"
          + (f"  torch {torch.__version__}" if torch is not None else ''))
    print(f"legonn from {os.path.dirname(lg.__file__)}; best of {args.repeats} x {args.number} calls, us a call")
    print(f"{'call':28} " + ' '.join(f"{name:>9}" for name in columns))
    for label, *_ in CALLS:
        print(f"{label:28} " + ' '.join(f"{times[label]:9.2f}" for times in columns.values()))


if __name__ == '__main__':
    main()
