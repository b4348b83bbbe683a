"""models/Util.lua: log-space arithmetic with signs (logadd, logsum, batched log-space matrix products) for the
CRF's forward-backward and its gradient. ``Util`` is a class of static methods, as the Lua's ``torch.class``."""
import math

import legonn as lg


def isnan(i): return (i if i == i else -math.inf)
def isinf(i): return (i if i > -1e10 else -1e10)


class Util:
    typename = 'Util'

    @staticmethod
    def logbmm2(res, tensor1, tensor2, t1):
        # performs batch matrix multiplication in log space
        batch = tensor2.size(0)
        dim2 = tensor2.size()
        dim1 = tensor1.size()

        v1 = tensor1.view(batch, dim1[1], 1, dim2[1]).expand(batch, dim1[1], dim2[2], dim2[1])
        v2 = tensor2.view(batch, 1, dim2[2], dim2[1]).expand(batch, dim1[1], dim2[2], dim2[1])
        if t1 is not None:
            t1.copy(v1).add(v2)
        else:
            t1 = v2.clone().add(v1)
        if dim2[1] != 1:
            res2 = res.view(batch, dim1[1], dim2[2], 1)
            Util.logsum2(res2, None, t1, 3, None, True)
        else:
            res.copy(t1.squeeze())

    @staticmethod
    def logbmm(res, resSign, tensor1, tensor2, tensor1Sign, tensor2Sign,
               t1=None, t2=None, t1_start=None, t2_start=None):
        # performs batch matrix multiplication in log space
        batch, dim1, dim2 = tensor2.size(0), tensor1.size(), tensor2.size()
        exp = dim2[2]

        v1 = tensor1.view(batch, dim1[1], 1, dim2[1]).expand(batch, dim1[1], dim2[2], dim2[1])
        v2 = tensor2.view(batch, 1, dim2[2], dim2[1]).expand(batch, dim1[1], dim2[2], dim2[1])

        u1 = tensor1Sign.view(batch, dim1[1], 1, dim2[1]).expand(batch, dim1[1], dim2[2], dim2[1])
        u2 = tensor2Sign.view(batch, 1, dim2[2], dim2[1]).expand(batch, dim1[1], dim2[2], dim2[1])

        if t1 is not None:
            t1.narrow(2, t1_start if t1_start is not None else 0,
                      t1.size(2) - (t1_start if t1_start is not None else 0)).copy(v1).add(v2)
        else:
            t1 = v2.clone().add(v1)

        if t2 is not None:
            t2.narrow(2, t2_start if t2_start is not None else 0,
                      t1.size(2) - (t2_start if t2_start is not None else 0)).copy(u1).cmul(u2)
        else:
            t2 = u2.clone().cmul(u1)

        if t1.size(2) != 1:
            res2 = res.view(batch, dim1[1], 1, dim2[2])
            resSign2 = resSign.view(batch, dim1[1], 1, dim2[2])
            Util.logsum2(res2, resSign2, t1, 2, t2, None)
        else:
            res.copy(t1.squeeze())
            resSign.copy(t2.squeeze())

            Util.fixnan(res)

    @staticmethod
    def logadd(result, sign, tensor1, tensor2, tensor1Sign, tensor2Sign, max=None, ge=None):
        if max is not None:
            ge = max.copy(tensor1).add(-1, tensor2).ge(0).typeAs(tensor1)
            max.copy(tensor1).cmax(tensor2)
        else:
            max = lg.cmax(tensor1, tensor2)
            ge = lg.add(tensor1, -1, tensor2).ge(0).typeAs(tensor1)
        result.cmin(tensor1, tensor2).add(-1, max)
        result.exp().cmul(tensor1Sign).cmul(tensor2Sign).log1p().add(max)
        sign.copy(tensor1Sign).cmul(ge)

        ge.add(-1).mul(-1)
        ge.cmul(tensor2Sign)
        sign.add(ge)
        Util.fixnan(result)

    @staticmethod
    def logsum2(result, sign, tensor, dim, tensorSign=None, dontchecknan=None):
        max = tensor.max(dim)[0]
        tensor.add(-1, max.expandAs(tensor)).exp()
        if tensorSign is not None:
            tensor.cmul(tensorSign)
        sumExp = tensor.sum(dim)
        if sign is not None:
            sign.copy(lg.sign(sumExp))
        result.copy(max).add(sumExp.abs().log())
        if dontchecknan:
            pass
        else:
            Util.fixnan(result)

    @staticmethod
    def logsum(tensor, dim, tensorSign=None, dontchecknan=None):
        tensorSign = tensorSign if tensorSign is not None else lg.ones(tensor.size()).typeAs(tensor)
        max = tensor.max(dim)[0]
        diff = lg.add(tensor, -1, max.expandAs(tensor))
        sumExp = lg.exp(diff).cmul(tensorSign).sum(dim)
        sign = lg.sign(sumExp)
        sum = lg.add(max, sumExp.abs().log())
        if dontchecknan:
            pass
        else:
            sum.apply(isnan)
        return sum, sign

    @staticmethod
    def logsumNumber(tensor, tensorSign):
        sum = tensor.view(tensor.size(0), tensor.size(1) * tensor.size(2) * tensor.size(3))
        sign = tensorSign.view(tensor.size(0), tensor.size(1) * tensor.size(2) * tensor.size(3))
        sum2 = lg.Tensor(tensor.size(0)).typeAs(sum)
        sign2 = lg.Tensor(tensor.size(0)).typeAs(sign)

        Util.logsum2(sum2, sign2, sum.clone(), 1, sign, True)
        sum2 = sum2.view(sum2.size(0))
        sign2 = sign2.view(sum2.size(0))

        Util.fixnan(sum2)
        return sum2, sign2

    @staticmethod
    def fixnan(v):
        # cuda-mod's FixNaN kernel (a compiled CUDA library) is not ported: every tensor takes the apply branch
        v.apply(isnan)
