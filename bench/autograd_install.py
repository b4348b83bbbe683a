"""What legonn.autograd's overloading costs code that is not traced (docs/autograd.md, "How the overloading works").

    python bench/autograd_install.py [--rounds 6]

Rounds are interleaved and the best of 5 timeit repeats is kept in each; the median and best over rounds are
reported (the machine is shared). Measures:

- an untraced ``lg.sum`` of a 10-element tensor with no trace anywhere (the namespace holds the original);
- the same while another thread holds a trace open (the call goes through the swapped entry);
- the entry alone: around a no-op function, against a plain ``*args, **kwargs`` wrapper and a direct call;
- one install + uninstall (the swap at the first and last trace), and ``df`` of ``sum(tanh(x))``.
"""
import argparse
import statistics
import threading
import timeit

import legonn as lg
from legonn import autograd
from legonn.autograd import overload


def best(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--rounds', type=int, default=6)
    rounds = parser.parse_args().rounds
    x = lg.DoubleTensor(10).fill(0.5)
    noop = lambda v: v    # noqa: E731

    def wrapper(*args, **kwargs):
        return noop(*args, **kwargs)
    entry = overload._entry(overload.FnDesc('noop', noop), None, noop)
    df = autograd(lambda p: lg.sum(lg.tanh(p)))
    results = {k: [] for k in ('lg.sum, no trace', 'lg.sum, another thread tracing', 'no-op called directly',
                               'no-op in a plain wrapper', 'no-op in the entry', 'install + uninstall',
                               'df of sum(tanh(x)), 10 elements')}
    for _ in range(rounds):
        results['lg.sum, no trace'].append(best(lambda: lg.sum(x), 20000))
        inside, release = threading.Event(), threading.Event()

        def hold(p):
            inside.set()
            release.wait()
            return lg.sum(p)
        tracer = threading.Thread(target=lambda: autograd(hold)(lg.randn(3)))
        tracer.start()
        inside.wait()
        assert lg.sum is not lg.tensor.sum
        results['lg.sum, another thread tracing'].append(best(lambda: lg.sum(x), 20000))
        results['no-op called directly'].append(best(lambda: noop(1), 200000))
        results['no-op in a plain wrapper'].append(best(lambda: wrapper(1), 200000))
        results['no-op in the entry'].append(best(lambda: entry(1), 200000))
        release.set()
        tracer.join()
        results['install + uninstall'].append(
            best(lambda: (overload.install(noop), overload.uninstall()), 200))
        results['df of sum(tanh(x)), 10 elements'].append(best(lambda: df(x), 200))
    for name, values in results.items():
        print(f"{name:34s} median {statistics.median(values):9.0f} ns   best {min(values):9.0f} ns")


if __name__ == '__main__':
    main()
