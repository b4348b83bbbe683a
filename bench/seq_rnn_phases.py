"""The phases of a fused recurrent layer, alone: SeqLSTM or SeqGRU's forward, updateGradInput and
accGradParameters at the char model's sizes (one-hot inputs, vocab 65, hidden 256, 50 steps, batch 32,
``gradInput = None`` as bench/seq_rnn.py has it), median milliseconds of ``--repeats`` calls each.

    python3 bench/seq_rnn_phases.py [--cell lstm|gru] [--repeats 30] [--calls]

``--calls`` also times each matrix product and gate kernel call of a forward + backward (a timer
around each call: the per-call medians by operand shape or kernel, and their total per step).

Run it from two trees (``git archive <rev> | tar -x -C /tmp/x``, then ``python3 /tmp/x/bench/...``)
to compare them; the script imports the legonn of the tree it lives in.
"""
import argparse
import collections
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import numpy as np  # noqa: E402

import legonn as lg  # noqa: E402
from legonn import nn  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--cell', choices=['lstm', 'gru'], default='lstm')
    p.add_argument('--repeats', type=int, default=30)
    p.add_argument('--calls', action='store_true', help='also time each product and kernel call')
    o = p.parse_args()
    T, N, V, H = 50, 32, 65, 256
    rng = np.random.default_rng(0)
    rnn = (nn.SeqLSTM if o.cell == 'lstm' else nn.SeqGRU)(V, H)
    rnn.gradInput = None
    x = lg.from_numpy(np.eye(V, dtype=np.float32)[rng.integers(0, V, (T, N))])
    grad = lg.from_numpy(rng.standard_normal((T, N, H)).astype(np.float32))

    def median_ms(call):
        for _ in range(3):
            call()
        times = []
        for _ in range(o.repeats):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e3

    forward = median_ms(lambda: rnn.forward(x))
    rnn.forward(x)
    backward = median_ms(lambda: rnn.updateGradInput(x, grad))
    parameters = median_ms(lambda: rnn.accGradParameters(x, grad))
    print(f"{type(rnn).__name__} ({lg.__file__}): forward {forward:.2f} ms, updateGradInput {backward:.2f} ms, "
          f"accGradParameters {parameters:.2f} ms")
    if o.calls:
        per_call(lambda: (rnn.forward(x), rnn.backward(x, grad)), o.repeats)


def per_call(step, repeats):
    """Time every product and kernel call of ``step`` (wrapped where the modules call them)."""
    from legonn.modules import recurrent_gru, recurrent_lstm
    from legonn.modules.base import recurrent
    from legonn.tensor import blas_kernels, recurrent_kernels
    times = collections.defaultdict(list)

    def timed(key_of, call):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            result = call(*args, **kwargs)
            times[key_of(*args)].append(time.perf_counter() - start)
            return result
        return wrapper

    def shapes(*arrays):
        return ' x '.join(str(a.shape) for a in arrays)

    blas_kernels.StepProduct.run = timed(lambda self, *t: 'step product ' + shapes(*self._arrays[1:]),
                                         blas_kernels.StepProduct.run)
    recurrent_kernels._BoundSteps._run = timed(lambda self, name, t: 'kernel ' + name,
                                               recurrent_kernels._BoundSteps._run)
    for module in (recurrent_lstm, recurrent_gru, recurrent):
        if hasattr(module, 'addmm_into'):
            module.addmm_into = timed(lambda out, a, b, *rest: 'addmm ' + shapes(a, b), module.addmm_into)
    step()
    times.clear()
    for _ in range(repeats):
        step()
    for key, values in sorted(times.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {key}: {len(values) / repeats:.0f} calls a step, median {statistics.median(values) * 1e6:.0f} us, "
              f"{sum(values) / repeats * 1e3:.2f} ms a step")


if __name__ == '__main__':
    main()
