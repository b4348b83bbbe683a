"""What torch/torch7's test/test.lua sets up before its tests, shared by its three ported parts
(test_torch7_testlua_pointwise.py, test_torch7_testlua_maths.py, test_torch7_testlua_tensor.py)."""
import legonn as lg

msize = 100
precision = 1e-8   # torch.test()'s for Torch7's default type, DoubleTensor
mytester = lg.Tester()
mytester.setRethrowErrors(True)

# the seven types test.lua's fill, add, mul, div, cdiv and cmul loop over
TYPES = [
    'torch.ByteTensor',
    'torch.CharTensor',
    'torch.ShortTensor',
    'torch.IntTensor',
    'torch.FloatTensor',
    'torch.DoubleTensor',
    'torch.LongTensor',
]


def maxdiff(x, y):
    """test.lua lines 12-20: the largest absolute difference, in a DoubleTensor for the integer types."""
    d = x - y
    if x.type() == 'torch.DoubleTensor' or x.type() == 'torch.FloatTensor':
        return d.abs().max()
    dd = lg.Tensor().resize(d.size()).copy(d)
    return dd.abs().max()


def loop_maxerr(res1, res2):
    """The loops test.lua repeats after a 2-D result ``res1`` and its element-by-element reference ``res2``
    (cdiv, cfmod, cremainder, cmul, cpow): the largest absolute difference."""
    err = res1.clone().zero()
    # find absolute error
    for i in range(res1.size(0)):
        for j in range(res1.size(1)):
            err[i][j] = abs(res1[i][j] - res2[i][j])
    # find maximum element of error
    maxerr = 0
    for i in range(err.size(0)):
        for j in range(err.size(1)):
            if err[i][j] > maxerr:
                maxerr = err[i][j]
    return maxerr
