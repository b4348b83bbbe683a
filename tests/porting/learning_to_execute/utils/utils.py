"""utils/utils.lua: cloneManyTimes (clones sharing the net's parameters and gradients), the data split's string
hash, seeding, copy_table, argmax and the torch.floor/ceil/random aliases.

Edits beyond Lua syntax and 0-based indices:

* cloneManyTimes's ``torch.MemoryFile`` write and reads are ``lg.serialize``/``lg.deserialize`` (docs/porting.md's
  MemoryFile row); ``collectgarbage()`` is ``gc.collect()``. ``net.parametersNoGrad`` reads nil in Lua for a
  module without it: ``getattr(..., None)``.
* str_hash reads the global ``len`` where ``string.byte(str, i)`` is nil, which never happens (``i <= #str``):
  the branch is kept with ``len(str)`` standing for it, unreached.
* ``params.gpuidx`` is main.lua's global ``params``: ``main.params``.
* os.capture and script_path serve data.lua's check against a python2.7 interpreter (left out, see data.py).
* argmax returns a 0-based index.
"""
import gc
import math

import legonn as lg
from legonn import cutorch


def cloneManyTimes(net, T):
    clones = []
    params, gradParams = net.parameters()
    if params is None:
        params = []
    paramsNoGrad = None
    if getattr(net, 'parametersNoGrad', None) is not None:
        paramsNoGrad = net.parametersNoGrad()
    mem = lg.serialize(net)
    for t in range(T):
        # We need to use a new reader for each clone.
        # We don't want to use the pointers to already read objects.
        clone = lg.deserialize(mem)
        cloneParams, cloneGradParams = clone.parameters()
        for i in range(len(params)):
            cloneParams[i].set(params[i])
            cloneGradParams[i].set(gradParams[i])
        if paramsNoGrad:
            cloneParamsNoGrad = clone.parametersNoGrad()
            for i in range(len(paramsNoGrad)):
                cloneParamsNoGrad[i].set(paramsNoGrad[i])
        clones.append(clone)
        gc.collect()
    return clones


def str_hash(str):
    hash = 1
    for i in range(0, len(str), 2):
        hash = (math.fmod(hash * 12345, 452930459) +
                ((ord(str[i]) if i < len(str) else len(str) - i) * 67890) +
                ((ord(str[i + 1]) if i + 1 < len(str) else i + 1) * 13579))
    return hash


def _params():
    from .. import main
    return main.params


def init_gpu(gpuidx):
    if _params()['gpuidx'] > 0:
        cutorch.setDevice(gpuidx - 1)
    make_deterministic(1)


def make_deterministic(seed):
    lg.manualSeed(seed)
    if _params()['gpuidx'] > 0:
        cutorch.manualSeed(seed)
        lg.zeros(1, 1).cuda().uniform()


def copy_table(to, from_):
    assert len(to) == len(from_)
    for i in range(len(to)):
        to[i].copy(from_[i])


def argmax(vector):
    if vector.dim() == 1:
        for i in range(vector.size(0)):
            if vector[i] == vector.max():
                return i
    else:
        raise RuntimeError("Argmax only supports vectors")


floor = lg.floor
ceil = lg.ceil
random = lg.random
