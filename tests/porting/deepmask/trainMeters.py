"""trainMeters.lua: the three meters deepmask's trainers and evaluations use: LossMeter (the average loss),
BinaryMeter (the accuracy of the objectness score's sign against the +-1 labels) and IouMeter (the IoU of the
thresholded masks, its mean, median, success rates and histogram). IouMeter's loops run over ``x:data()``
pointers, which LuaJIT indexes from 0: they keep their indices."""
import math

import legonn as lg


# ------------------------------------------------------------------------------
# loss meter
class LossMeter:
    typename = 'LossMeter'

    # init
    def __init__(self):
        self.reset()

    # function: reset
    def reset(self):
        self.sum = 0; self.n = 0

    # function: add
    def add(self, value, n=None):
        n = n or 1
        self.sum = self.sum + value
        self.n = self.n + n

    # function: value
    def value(self):
        return self.sum / self.n


# ------------------------------------------------------------------------------
# binary meter
class BinaryMeter:
    typename = 'BinaryMeter'

    # init
    def __init__(self):
        self.reset()

    # function: reset
    def reset(self):
        self.acc = 0; self.n = 0

    # function: add
    def add(self, output, target):
        target, output = target.squeeze(), output.squeeze()
        assert output.nElement() == target.nElement(), \
            'target and output do not match'

        acc = lg.cmul(output, target)
        self.acc = self.acc + acc.ge(0).sum()
        self.n = self.n + output.size(0)

    # function: value
    def value(self):
        res = self.acc / self.n
        return res * 100


# ------------------------------------------------------------------------------
# iou meter
class IouMeter:
    typename = 'IouMeter'

    # init
    def __init__(self, thr, sz):
        self.sz = sz
        self.iou = lg.Tensor(sz)
        self.thr = math.log(thr / (1 - thr))
        self.reset()

    # function: reset
    def reset(self):
        self.iou.zero(); self.n = 0

    # function: add
    def add(self, output, target):
        target, output = target.squeeze().float(), output.squeeze().float()
        assert output.nElement() == target.nElement(), \
            'target and output do not match'

        batch, h, w = output.size(0), output.size(1), output.size(2)
        nOuts = h * w
        iouptr = self.iou.data()

        pred = output.ge(self.thr)
        pPtr, tPtr = pred.data(), target.data()
        for b in range(0, batch - 1 + 1):
            int_, uni = 0, 0
            for i in range(0, nOuts - 1 + 1):
                id = b * nOuts + i
                if pPtr[id] == 1 and tPtr[id] == 1: int_ = int_ + 1
                if pPtr[id] == 1 or tPtr[id] == 1: uni = uni + 1
            if uni > 0: iouptr[self.n + b] = int_ / uni
        self.n = self.n + batch

    # function: value
    def value(self, s=None):
        if s:
            res = None
            nb = max(self.iou.ne(0).sum(), 1)
            iou = self.iou.narrow(0, 0, nb)
            if s == 'mean':
                res = iou.mean()
            elif s == 'median':
                res = iou.median()[0].squeeze()
            elif tonumber(s):
                iouSort, _ = iou.sort()
                res = iouSort.ge(tonumber(s)).sum() / nb
            elif s == 'hist':
                res = lg.histc(iou, 20) / nb

            return res * 100
        else:
            value = {}
            for _, s in enumerate(self.stats):
                value[s] = self.value(s)
            return value


def tonumber(s):
    """Lua's ``tonumber`` of a string: its number, or nil (None) when it is not one."""
    try:
        return float(s)
    except ValueError:
        return None
