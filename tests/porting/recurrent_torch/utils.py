"""recurrent.torch's utils.lua: the nested-state helpers the Recurrent container uses."""
import legonn as lg
from legonn import nn


def recursiveCopy(t1, t2):
    t1, t2 = nn.utils.recursiveResizeAs(t1, t2)
    if lg.type(t2) == 'table':
        t1 = t1 if lg.type(t1) == 'table' else [t1]
        for key in range(len(t2)):
            # Lua's t1[key] past the end of t1 grows it (docs/porting.md's t[#t + 1] row)
            if key == len(t1):
                t1.append(None)
            t1[key], t2[key] = recursiveCopy(t1[key], t2[key])
    elif lg.isTensor(t2):
        t1 = t1.typeAs(t2) if lg.isTensor(t1) else t2.new()
        t1.resizeAs(t2)
        t1.copy(t2)
    else:
        raise ValueError("expecting nested tensors or tables. Got " +
                         lg.type(t1) + " and " + lg.type(t2) + " instead")
    return t1, t2


def recursiveAdd(t1, t2):
    t1, t2 = nn.utils.recursiveResizeAs(t1, t2)
    return nn.utils.recursiveAdd(t1, t2)


def recursiveBatchExpand(t1, t2, batchSize):
    if lg.type(t2) == 'table':
        t1 = t1 if lg.type(t1) == 'table' else [t1]
        for key in range(len(t2)):
            if key == len(t1):
                t1.append(None)
            t1[key], t2[key] = recursiveBatchExpand(t1[key], t2[key], batchSize)
    elif lg.isTensor(t2):
        t1 = t1 if lg.isTensor(t1) else t2.new()
        sz = list(t2.size())  # a tuple here (docs/porting.md's x:size() row)
        sz[0] = batchSize
        t1.resize(lg.LongStorage(sz))
        t1.copy(t2.expandAs(t1))
    else:
        raise ValueError("expecting nested tensors or tables. Got " +
                         lg.type(t1) + " and " + lg.type(t2) + " instead")
    return t1, t2


def recursiveBatchResize(t, batchSize):
    if lg.type(t) == 'table':
        for key in range(len(t)):
            t[key] = recursiveBatchResize(t[key], batchSize)
    elif lg.isTensor(t):
        if t.dim() > 0:
            sz = list(t.size())
            if sz[0] != batchSize:
                init = sz[0] < batchSize
                sz[0] = batchSize
                t.resize(lg.LongStorage(sz))
                if init:
                    t.zero()  # initialize values to zero
    else:
        raise ValueError("expecting nested tensors or tables. Got " +
                         lg.type(t) + " instead")
    return t


def batchSize(x):
    if lg.isTensor(x):
        return x.size(0)
    else:
        return batchSize(x[0])
