"""code/include/util.lua: distances, resetParams/dc/copyManyTimes, cloneManyTimes (learning_to_execute's, the same
Lua: imported from tests/porting/learning_to_execute/utils/utils.py), spairs/sprint and number formatting.

Edits: ``util.dc`` walks a Lua table with ``next``: a dict's or list's entries (a module or tensor otherwise
as its type says); spairs is a generator over the sorted keys.
"""
import math

import legonn as lg

from ...learning_to_execute.utils.utils import cloneManyTimes      # noqa: F401  (the same Lua)
from . import log


def euclidean_dist(p, q):
    return math.sqrt(euclidean_dist2(p, q))


def euclidean_dist2(p, q):
    assert len(p) == len(q), 'vectors must have the same length'
    sum = 0
    for i in range(len(p)):
        sum = sum + (p[i] - q[i]) ** 2
    return sum


def resetParams(cur_module):
    if getattr(cur_module, 'modules', None) is not None:
        for i, module in enumerate(cur_module.modules):
            resetParams(module)
    else:
        cur_module.reset()
    return cur_module


def dc(orig):
    orig_type = lg.type(orig)
    if orig_type == 'table':
        if isinstance(orig, dict):
            copy = {dc(k): dc(v) for k, v in orig.items()}
        else:
            copy = [dc(v) for v in orig]
    elif lg.isTensor(orig):        # torch.type's 'torch.FloatTensor' ... is 'legonn.FloatTensor' here
        # Torch tensor
        copy = orig.clone()
    else:
        # number, string, boolean, etc
        copy = orig
    return copy


def copyManyTimes(net, n):
    nets = []
    for i in range(n):
        nets.append(resetParams(net.clone()))
    return nets


def spairs(t, order=None):
    # collect the keys
    keys = list(t.keys())
    # if order function given, sort by it by passing the table and keys a, b,
    # otherwise just sort the keys
    if order:
        import functools
        keys.sort(key=functools.cmp_to_key(lambda a, b: -1 if order(t, a, b) else 1))
    else:
        keys.sort()
    for k in keys:
        yield k, t[k]


def sprint(t):
    for k, v in spairs(t):
        log.debugf('opt[\'%s\'] = %s', k, v)


def f2(f):
    return "%.2f" % f


def f3(f):
    return "%.3f" % f


def f4(f):
    return "%.4f" % f


def f5(f):
    return "%.5f" % f


def f6(f):
    return "%.6f" % f


def d(f):
    return "%d" % lg.round(f)
