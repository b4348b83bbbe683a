"""The harness of the per-call CPU benchmarks (bench/batch_norm.py, bench/pooling.py, bench/resnet_layers.py): one
module at a time, its forward and its backward (updateGradInput + accGradParameters) timed apart, legonn's and,
with ``--torch``, PyTorch's beside it (torch is never a legonn import). Each figure is the best of ``--repeats``
timings of ``--calls`` calls, in ms a call; the inputs stay in cache between calls, so it is the call's own cost
(Python and the kernel), not what the call costs inside a step (bench/module_profile.py)."""
import argparse
import datetime
import os
import timeit

import numpy as np


def best(fn, calls, repeats):
    """ms a call of ``fn``: the best of ``repeats`` timings of ``calls`` calls, after one untimed call."""
    fn()
    return min(timeit.repeat(fn, number=calls, repeat=repeats)) / calls * 1e3


def sized(g, shape):
    """The leading ``shape`` corner of the gradient array ``g`` (made at the input's shape), C-contiguous: a
    gradOutput for an output smaller than the input (poolings)."""
    return np.ascontiguousarray(g[tuple(slice(0, n) for n in shape)])


def torch_module_calls(m, x, g):
    """(forward, backward) closures of the PyTorch module ``m`` on the arrays ``x`` and gradOutput ``g``."""
    import torch
    xt = torch.from_numpy(x.copy()).requires_grad_()
    state = {'y': m(xt)}
    gt = torch.from_numpy(sized(g, tuple(state['y'].shape)))

    def forward():
        state['y'] = m(xt)
    return forward, (lambda: state['y'].backward(gt, retain_graph=True))


def main(doc, cases, legonn_calls, torch_calls, calls=10, repeats=5):
    """Print the table: for each ``(name, kind, shape)`` of ``cases``, random float32 (``--double``: float64)
    input and gradient arrays of ``shape`` handed to ``legonn_calls(kind, x, g)`` and, with ``--torch``,
    ``torch_calls(kind, x, g)``, each returning (forward, backward) closures."""
    parser = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    parser.add_argument('--calls', type=int, default=calls)
    parser.add_argument('--repeats', type=int, default=repeats)
    parser.add_argument('--double', action='store_true', help='float64 data (default float32)')
    parser.add_argument('--torch', action='store_true')
    args = parser.parse_args()
    dtype = np.float64 if args.double else np.float32
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; {np.dtype(dtype).name}, ms a call (forward, backward), best of "
          f"{args.repeats} x {args.calls}")
    if args.torch:
        import torch
        from alternating import THREADS
        torch.set_num_threads(THREADS)
    rng = np.random.default_rng(0)
    for name, kind, shape in cases:
        x = rng.standard_normal(shape).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        line = f"  {name:32s} {str(shape):18s}"
        for label, make in (('legonn', legonn_calls),) + ((('torch', torch_calls),) if args.torch else ()):
            forward, backward = make(kind, x, g)
            line += f"  {label} " + ' '.join(f"{best(fn, args.calls, args.repeats):7.3f}" for fn in (forward, backward))
        print(line)
