"""test/test.lua (jnhwkim/cbp, all of it): testPsi, testConv and testLearning, on CUDA as the Lua (``require
'cunn'``); ``cbp.test(tests, debug)`` runs them through ``lg.Tester``. ``J`` is global in the Lua (a leak the
port keeps as a module global so the test can read the last loss). ``math.randomseed(os.time())`` seeds Lua's
own generator, which nothing here draws from: ``random.seed(time.time())``.
"""
import math
import random
import time

import legonn as lg
from legonn import cutorch, nn

from .CompactBilinearPooling import CompactBilinearPooling
from .SignedSquareRoot import SignedSquareRoot

cbptest = lg.TestSuite()
precision = 1e-5
debug = False
J = None


def testPsi():
    homogeneous = True
    batch = 1
    dim = 5
    S = 100
    x = lg.rand(batch, dim).cuda()
    y = lg.rand(batch, dim).cuda()
    tmp = 0
    for s in range(1, S + 1):
        c = CompactBilinearPooling(dim, homogeneous).cuda()
        c.forward([x, y])
        tmp = tmp + c.y[0][0].dot(c.y[1][0])
    xy = x[0].dot(y[0])
    diff = math.fabs(tmp / S - xy)
    assert diff / xy < .1, 'error_ratio=' + str(diff / xy) + ', E[<phi(x,h,s),phi(y,h,s)>]=<x,y>'


def testConv():
    x = lg.CudaTensor([[1, 2, 3], [2, 3, 4]])
    y = lg.CudaTensor([[1, 1, 1], [2, 2, 2]])
    c = CompactBilinearPooling(x.size(1))
    ans = lg.CudaTensor([[6, 6, 6], [18, 18, 18]])
    output = lg.CudaTensor()
    output = c.conv(x, y)  # cuda only
    ans.add(-output)
    assert ans.norm() < precision, ans.norm()

    x = lg.CudaTensor([[1, 2, 3, 1, 1], [2, 3, 4, 1, 1]])
    y = lg.CudaTensor([[1, 1, 1, 1, 1], [2, 2, 2, 1, 1]])
    c = CompactBilinearPooling(x.size(1))
    ans = lg.CudaTensor([[8, 8, 8, 8, 8], [17.5, 17.5, 17.75, 17.75, 17.5]])
    output = c.conv(x, y)
    ans.add(-output)
    assert ans.norm() < precision, ans.norm()


def testLearning():
    global J
    cutorch.manualSeed(12)
    N = 1000
    M = 2
    C = 2
    iter = 20
    lr = .05
    x = lg.rand(N, M)
    y = lg.rand(N, M)
    t = lg.cmul(x[:, 1:2], y[:, 1:2]) + lg.cmul(x[:, 0:1], y[:, 0:1])

    x = x.cuda()
    y = y.cuda()
    t = t.cuda()

    c = CompactBilinearPooling(C)
    model = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.Sequential()
                  .add(nn.Linear(M, M))
                  .add(nn.Tanh()))
             .add(nn.Sequential()
                  .add(nn.Linear(M, M))
                  .add(nn.Tanh()))) \
        .add(c) \
        .add(SignedSquareRoot()) \
        .add(nn.Normalize(2)) \
        .add(nn.Linear(C, 1))

    # baseline
    # model = nn.Sequential().add(nn.JoinTable(1)).add(nn.Linear(C*2,1))

    criterion = nn.MSECriterion()

    model = model.cuda()
    criterion = criterion.cuda()

    model.getParameters()[0].uniform(-.08, .08)

    if debug:
        print(' ')
    for i in range(1, iter + 1):
        output = model.forward([x, y])
        J = criterion.forward(output, t)
        if 0 == i % 1 and debug:
            print(J)
        dt = criterion.backward(output, t)
        model.zeroGradParameters()
        model.backward([x, y], dt)
        model.updateParameters(lr)

        if i == 1 and debug:
            print(getattr(c, 'h', None))  # c.h and c.s are nil in the Lua (fields of an older version)
            print(getattr(c, 's', None))
    assert J < .2, 'CBP failed to learn (J=' + str(J) + ')'


cbptest.testPsi = testPsi
cbptest.testConv = testConv
cbptest.testLearning = testLearning


def test(tests=None, _debug=None):
    global debug, mytester
    debug = _debug or False
    mytester = lg.Tester()
    mytester.add(cbptest)
    random.seed(time.time())
    return mytester.run(tests)
