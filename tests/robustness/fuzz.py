"""The fuzz run behind test_fuzz.py: every module and criterion of the catalog meets deterministic bad
calls (wrong ranks, sizes and dtypes, non-contiguous and stride-0 inputs, wrong gradOutput, direct
``accGradParameters`` with bad shapes, a gradient tensor of the wrong size), each in a fresh object.

Run as ``python -m tests.robustness.fuzz [names...]`` it prints one JSON line per case, ``start`` first,
so that when the process dies (a segfault, an abort) the parent knows the case that killed it. Each case
has a watchdog (SIGALRM) that turns a hang in Python code into the outcome ``hang``.

Outcomes:
- ``ok``: the call worked, and every floating gradInput has its input's size;
- ``clean``: a checked error: ValueError or TypeError (or an IndexError raised by ``input_error``, for
  an index out of range) whose message names the class and says ``expected ... got ...``, with every
  parameter and gradient unchanged;
- ``raw``: any other exception: NumPy's own errors (broadcasting ValueErrors without ``expected``, axis
  or index errors), AttributeError, KeyError, ZeroDivisionError, RuntimeError, ... ;
- ``changed``: a checked error, but the failed call changed a parameter or gradient;
- ``badgrad``: the call worked but a gradInput disagrees in size with its input;
- ``hang``: no answer within the watchdog's time.
"""
import json
import signal
import sys

import numpy as np

import legonn as lg
from legonn import nn
from legonn.tensor import Tensor
from tests.robustness import catalog
from tests.robustness.perturb import fresh, leaves, noncontiguous, replace_leaf

WATCHDOG_SECONDS = 10
CLEAN = (ValueError, TypeError)


class Hang(BaseException):
    """Raised by the watchdog; a BaseException so no ``except Exception`` in legonn swallows it."""


def _alarm(*_):
    raise Hang()


def stride0(t):
    """The same sizes as ``t`` over one broadcast row: stride 0 along the first dimension."""
    if t.dim() == 0 or t.size(0) < 2:
        return None
    return t.narrow(0, 0, 1).expand(*t.size())


def variants(t):
    """(label, tensor) bad or unusual versions of one tensor."""
    sizes = list(t.size())
    out = [('rank+1', fresh(t, sizes + [2])), ('rank+1 front', fresh(t, [2] + sizes))]
    if sizes:
        out.append(('rank-1', fresh(t, sizes[1:])))
        out.append(('last+1', fresh(t, sizes[:-1] + [sizes[-1] + 1])))
        out.append(('first+1', fresh(t, [sizes[0] + 1] + sizes[1:])))
        out.append(('noncontiguous', noncontiguous(t)))
    for typename in ('legonn.DoubleTensor', 'legonn.LongTensor'):
        if t.type() != typename:
            out.append((typename.split('.')[1], t.type(typename)))
    s0 = stride0(t)
    if s0 is not None:
        out.append(('stride0', s0))
    return out


def tree_variants(tree):
    """(label, tree) with one tensor leaf replaced by each of its variants."""
    for i, leaf in enumerate(leaves(tree)):
        for label, bad in variants(leaf):
            yield f"tensor {i} {label}", replace_leaf(tree, i, lambda _t, bad=bad: bad)


def snapshot(obj):
    """(tensor, copy) for every parameter and gradient (MapTable adds clones later: only these are compared)."""
    p, g = obj.parameters() if hasattr(obj, 'parameters') else ([], [])
    return [(t, t.clone()) for t in p + g if isinstance(t, Tensor)]


def unchanged(before):
    return all(t.size() == copy.size() and np.array_equal(t.numpy(), copy.numpy(), equal_nan=True)
               for t, copy in before)


def classify(name, obj, call, inputs):
    """Run ``call()``; the outcome and a detail string."""
    before = snapshot(obj)
    signal.setitimer(signal.ITIMER_REAL, WATCHDOG_SECONDS)
    try:
        grad = call()
    except Hang:
        return 'hang', f'no answer within {WATCHDOG_SECONDS} s'
    except Exception as err:  # noqa: BLE001  (classified below)
        msg = str(err)
        checked = isinstance(err, CLEAN) or (isinstance(err, IndexError) and
                                             getattr(err, 'legonn_detail', '').startswith('expected'))
        if not checked or type(obj).__name__ not in msg or 'expected' not in msg:
            return 'raw', f'{type(err).__name__}: {msg[:200]}'
        if not unchanged(before):
            return 'changed', msg[:200]
        return 'clean', ''
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if grad is not None and inputs is not None:
        for x_leaf, g_leaf in zip(leaves(inputs), leaves(grad)):
            if g_leaf.nElement() and x_leaf.dtype.kind == 'f' and g_leaf.size() != x_leaf.size():
                return 'badgrad', f'gradInput {tuple(g_leaf.size())} for input {tuple(x_leaf.size())}'
    return 'ok', ''


def module_cases(name):
    """(case label, fresh object, input, zero-argument call returning gradInput or None)."""
    def new_case():
        lg.manualSeed(7)
        obj, x, _ = catalog.build(name)
        catalog.refresh(name, obj)
        return obj, x

    obj, x = new_case()
    for label, bad in tree_variants(x):
        obj, _ = new_case()
        yield f'forward+backward, input {label}', obj, bad, \
            lambda obj=obj, bad=bad: obj.backward(bad, catalog.grad_like(obj.forward(bad)))
    obj, x = new_case()
    grad_out = catalog.grad_like(obj.forward(x))
    for label, bad in tree_variants(grad_out):
        obj, x = new_case()
        obj.forward(x)
        yield f'backward, gradOutput {label}', obj, x, lambda obj=obj, x=x, bad=bad: obj.backward(x, bad)
        obj, x = new_case()
        obj.forward(x)
        yield f'accGradParameters, gradOutput {label}', obj, None, \
            lambda obj=obj, x=x, bad=bad: obj.accGradParameters(x, bad)
        obj, x = new_case()
        yield f'accGradParameters before any forward, gradOutput {label}', obj, None, \
            lambda obj=obj, x=x, bad=bad: obj.accGradParameters(x, bad)
    for label, bad in tree_variants(x):
        obj, x = new_case()
        obj.forward(x)
        yield f'accGradParameters, input {label}', obj, None, \
            lambda obj=obj, bad=bad, g=grad_out: obj.accGradParameters(bad, g)
    obj, x = new_case()
    yield 'accGradParameters before any forward', obj, None, lambda obj=obj, x=x: obj.accGradParameters(x, grad_out)
    for i in range(len(new_case()[0].parameters()[1])):
        obj, x = new_case()
        grads = obj.parameters()[1]
        if isinstance(grads[i], Tensor):
            grads[i].set(grads[i].new(1, 1).zero())
            yield f'backward with gradient tensor {i} resized to 1x1', obj, x, \
                lambda obj=obj, x=x: obj.backward(x, catalog.grad_like(obj.forward(x)))


def criterion_cases(name):
    def new_case():
        lg.manualSeed(7)
        return catalog.build(name)

    obj, x, target = new_case()
    for label, bad in tree_variants(x):
        obj, _, _ = new_case()
        yield f'forward+backward, input {label}', obj, bad, \
            lambda obj=obj, bad=bad, t=target: (obj.forward(bad, t), obj.backward(bad, t))[1]
        obj, _, _ = new_case()
        yield f'backward alone, input {label}', obj, bad, lambda obj=obj, bad=bad, t=target: obj.backward(bad, t)
    if isinstance(target, (Tensor, list)):
        for label, bad in tree_variants(target):
            obj, _, _ = new_case()
            yield f'forward+backward, target {label}', obj, x, \
                lambda obj=obj, bad=bad, x=x: (obj.forward(x, bad), obj.backward(x, bad))[1]


def run(names):
    signal.signal(signal.SIGALRM, _alarm)
    for name in names:
        cases = criterion_cases(name) if name in catalog.CRITERIONS else module_cases(name)
        for label, obj, inputs, call in cases:
            print(json.dumps({'start': name, 'case': label}), flush=True)
            outcome, detail = classify(name, obj, call, inputs)
            print(json.dumps({'name': name, 'case': label, 'outcome': outcome, 'detail': detail}), flush=True)


if __name__ == '__main__':
    run(sys.argv[1:] or catalog.concrete_names())
