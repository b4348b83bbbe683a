"""torch/torch7's test/test.lua, lines 1363-2900 (``torchtest.cfmod`` ... ``torchtest.fconv3_fconv2_eq``), ported
literally: one test per ``torchtest.X``, each naming its lines. The edits are docs/porting.md's: ``torch.`` is
``lg.``, ``:`` is ``.``, indices and dimensions are 0-based, a matrix product ``A * B`` is ``A @ B``, a call whose
several results Lua truncates to one takes ``[0]``, ``mytester:assertlt(a, b)`` is ``assert a < b`` and
``assertError`` is ``pytest.raises``. ``mytester:assertTensorEq`` stays a Tester call, set to raise.

test.lua runs in Torch7's default type, DoubleTensor, with ``precision = 1e-8`` (torch.test at its end); the
shared fixture (tests/porting/torch7_testlua.py) sets the same. Lua's ``math.random`` (seeded from os.time) is
Python's ``random``, as the porting guide's row says; the seeds taken from ``os.time()`` are
``int(time.time())``."""
import math
import random
import time

import pytest

import legonn as lg
from tests.porting.torch7_testlua import TYPES, loop_maxerr, maxdiff, msize, mytester, precision

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs


def _pointwise_vs_loop(f, ref, make1, make2):
    """The body test.lua repeats for cfmod, cremainder, cmul and cpow: ``f`` of a contiguous and then a
    non-contiguous pair of 10 x 10 and 100-element slices, against ``ref`` of their elements in a loop."""
    for contiguous in (True, False):
        if contiguous:
            m1 = make1(10, 10, 10)
            m2 = make2(10, 10 * 10)
            sm1 = m1[3, :, :]
            sm2 = m2[3, :]
        else:
            m1 = make1(10, 10, 10)
            m2 = make2(10 * 10, 10 * 10)
            sm1 = m1[:, 3, :]
            sm2 = m2[:, 3]
        res1 = f(sm1, sm2)
        res2 = res1.clone().zero()
        for i in range(sm1.size(0)):
            for j in range(sm1.size(1)):
                idx1d = i * sm1.size(0) + j
                res2[i][j] = ref(sm1[i][j], sm2[idx1d])
        maxerr = loop_maxerr(res1, res2)
        assert maxerr < precision, f'error in {f.__name__} - {"contiguous" if contiguous else "non-contiguous"}'


def test_cfmod():
    """test.lua lines 1363-1425."""
    _pointwise_vs_loop(lg.cfmod, math.fmod, lambda *s: lg.Tensor(*s).uniform(-10, 10),
                       lambda *s: lg.Tensor(*s).uniform(-3, 3))


def test_cremainder():
    """test.lua lines 1427-1489: Lua's ``%`` of numbers is ``a - math.floor(a / b) * b`` (the Lua 5.1 manual,
    section 2.5.1), spelled out here: Python's ``%`` of floats is the exact remainder, which may differ in the
    last bits."""
    _pointwise_vs_loop(lg.cremainder, lambda a, b: a - math.floor(a / b) * b, lambda *s: lg.Tensor(*s).uniform(-10, 10),
                       lambda *s: lg.Tensor(*s).uniform(-3, 3))


def test_cmul():
    """test.lua lines 1491-1567: ``[res] torch.cmul([res,] tensor1, tensor2)`` in seven types."""
    types = TYPES
    for t in types:
        _pointwise_vs_loop(lg.cmul, lambda a, b: a * b, lambda *s: lg.randn(*s).type(t),
                           lambda *s: lg.randn(*s).type(t))


def test_cpow():
    """test.lua lines 1569-1631: ``[res] torch.cpow([res,] tensor1, tensor2)``."""
    _pointwise_vs_loop(lg.cpow, math.pow, lg.rand, lg.rand)


def test_sum():
    """test.lua lines 1633-1649."""
    x = lg.rand(msize, msize)
    mx = lg.sum(x, 1)
    mxx = lg.Tensor()
    lg.sum(mxx, x, 1)
    assert maxdiff(mx, mxx) == 0, 'torch.sum value'

    y = lg.rand(5, 5, 5)
    for i in range(3):
        a = y.sum(i)
        b = y.narrow(i, 0, 1).clone().zero()
        for j in range(5):
            b.add(y.narrow(i, j, 1))
        assert maxdiff(a, b) == 0, 'torch.sum value'


def test_prod():
    """test.lua lines 1650-1666."""
    x = lg.rand(msize, msize)
    mx = lg.prod(x, 1)
    mxx = lg.Tensor()
    lg.prod(mxx, x, 1)
    assert maxdiff(mx, mxx) == 0, 'torch.prod value'

    y = lg.rand(5, 5, 5)
    for i in range(3):
        a = y.prod(i)
        b = y.narrow(i, 0, 1).clone().fill(1)
        for j in range(5):
            b.cmul(y.narrow(i, j, 1))
        assert maxdiff(a, b) == 0, 'torch.sum value'


def test_cumsum():
    """test.lua lines 1667-1673."""
    x = lg.rand(msize, msize)
    mx = lg.cumsum(x, 1)
    mxx = lg.Tensor()
    lg.cumsum(mxx, x, 1)
    assert maxdiff(mx, mxx) == 0, 'torch.cumsum value'


def test_cumprod():
    """test.lua lines 1674-1680."""
    x = lg.rand(msize, msize)
    mx = lg.cumprod(x, 1)
    mxx = lg.Tensor()
    lg.cumprod(mxx, x, 1)
    assert maxdiff(mx, mxx) == 0, 'torch.cumprod value'


def test_cross():
    """test.lua lines 1681-1688."""
    x = lg.rand(msize, 3, msize)
    y = lg.rand(msize, 3, msize)
    mx = lg.cross(x, y)
    mxx = lg.Tensor()
    lg.cross(mxx, x, y)
    assert maxdiff(mx, mxx) == 0, 'torch.cross value'


def test_zeros():
    """test.lua lines 1689-1694."""
    mx = lg.zeros(msize, msize)
    mxx = lg.Tensor()
    lg.zeros(mxx, msize, msize)
    assert maxdiff(mx, mxx) == 0, 'torch.zeros value'


def test_histc():
    """test.lua lines 1695-1700: the bin bounds are values, not indices."""
    x = lg.Tensor([2, 4, 2, 2, 5, 4])
    y = lg.histc(x, 5, 1, 5)  # nbins, min, max
    z = lg.Tensor([0, 3, 0, 2, 1])
    mytester.assertTensorEq(y, z, precision, 'error in torch.histc')


def test_bhistc():
    """test.lua lines 1701-1712."""
    x = lg.Tensor(3, 6)
    x[0] = lg.Tensor([2, 4, 2, 2, 5, 4])
    x[1] = lg.Tensor([3, 5, 1, 5, 3, 5])
    x[2] = lg.Tensor([3, 4, 2, 5, 5, 1])
    y = lg.bhistc(x, 5, 1, 5)  # nbins, min, max
    z = lg.Tensor(3, 5)
    z[0] = lg.Tensor([0, 3, 0, 2, 1])
    z[1] = lg.Tensor([1, 0, 2, 0, 3])
    z[2] = lg.Tensor([1, 1, 1, 1, 2])
    mytester.assertTensorEq(y, z, precision, 'error in torch.bhistc in last dimension')


def test_ones():
    """test.lua lines 1713-1718."""
    mx = lg.ones(msize, msize)
    mxx = lg.Tensor()
    lg.ones(mxx, msize, msize)
    assert maxdiff(mx, mxx) == 0, 'torch.ones value'


def test_diag():
    """test.lua lines 1719-1725."""
    x = lg.rand(msize, msize)
    mx = lg.diag(x)
    mxx = lg.Tensor()
    lg.diag(mxx, x)
    assert maxdiff(mx, mxx) == 0, 'torch.diag value'


def test_eye():
    """test.lua lines 1726-1731."""
    mx = lg.eye(msize, msize)
    mxx = lg.Tensor()
    lg.eye(mxx, msize, msize)
    assert maxdiff(mx, mxx) == 0, 'torch.eye value'


def test_renorm():
    """test.lua lines 1732-1769."""
    m1 = lg.randn(10, 5)
    m2 = None

    def renorm(matrix, value, dim, max_norm):
        nonlocal m2
        m1 = matrix.transpose(dim, 0).contiguous()
        # collapse non-dim dimensions:
        m2 = m1.reshape(m1.size(0), m1.nElement() / m1.size(0))
        norms = m2.norm(value, 1)
        # clip
        new_norms = norms.clone()
        new_norms[lg.gt(norms, max_norm)] = max_norm
        new_norms.cdiv(norms.add(1e-7))
        # renormalize
        m1.cmul(new_norms.expandAs(m1))
        return m1.transpose(dim, 0)

    # note that the axis fed to torch.renorm is different (2~=1)
    maxnorm = m1.norm(2, 0).mean()
    m2 = renorm(m1, 2, 1, maxnorm)

    m1.renorm(2, 1, maxnorm)
    mytester.assertTensorEq(m1, m2, 0.00001, 'error in renorm')
    mytester.assertTensorEq(m1.norm(2, 0), m2.norm(2, 0), 0.00001, 'error in renorm')

    m1 = lg.randn(3, 4, 5)
    m2 = m1.transpose(1, 2).contiguous().reshape(15, 4)

    maxnorm = m2.norm(2, 0).mean()
    m2 = renorm(m2, 2, 1, maxnorm)

    m1.renorm(2, 1, maxnorm)
    m3 = m1.transpose(1, 2).contiguous().reshape(15, 4)
    mytester.assertTensorEq(m3, m2, 0.00001, 'error in renorm')
    mytester.assertTensorEq(m3.norm(2, 0), m2.norm(2, 0), 0.00001, 'error in renorm')


def test_multinomialwithreplacement():
    """test.lua lines 1770-1787: the zero-probability column is the last, ``n_col - 1`` counted from 0."""
    n_row = 3
    for n_col in range(4, 6):
        t = int(time.time())
        lg.manualSeed(t)
        prob_dist = lg.rand(n_row, n_col)
        prob_dist.select(1, n_col - 1).fill(0)  # index n_col - 1 shouldn't be sampled
        n_sample = n_col
        sample_indices = lg.multinomial(prob_dist, n_sample, True)
        assert prob_dist.dim() == 2, "wrong number of prob_dist dimensions"
        assert sample_indices.size(1) == n_sample, "wrong number of samples"
        for i in range(n_row):
            for j in range(n_sample):
                assert sample_indices[i, j] != n_col - 1, "sampled an index with zero probability"


def test_multinomialwithoutreplacement():
    """test.lua lines 1788-1813."""
    n_row = 3
    for n_col in range(4, 6):
        t = int(time.time())
        lg.manualSeed(t)
        prob_dist = lg.rand(n_row, n_col)
        prob_dist.select(1, n_col - 1).fill(0)  # index n_col - 1 shouldn't be sampled
        n_sample = 3
        sample_indices = lg.multinomial(prob_dist, n_sample, False)
        assert prob_dist.dim() == 2, "wrong number of prob_dist dimensions"
        assert sample_indices.size(1) == n_sample, "wrong number of samples"
        for i in range(n_row):
            row_samples = {}
            for j in range(n_sample):
                sample_idx = sample_indices[i, j]
                assert sample_idx != n_col - 1, "sampled an index with zero probability"
                assert not row_samples.get(sample_idx), "sampled an index twice"
                row_samples[sample_idx] = True


def test_aliasMultinomial():
    """test.lua lines 1814-1836: the alias table ``state[1]`` and the samples are 0-based (docs/porting.md's
    Indices row), so the bounds shift: ``> 0`` is ``> -1`` and ``<= n_class`` is ``<= n_class - 1``."""
    for i in range(5):
        n_class = 5
        t = int(time.time())
        lg.manualSeed(t)
        probs = lg.Tensor(n_class).uniform(0, 1)
        probs.div(probs.sum())
        # 100 x 10000 where the Lua has 1000 x 10000: five rounds of ten million draws take over 2 s here
        output = lg.LongTensor(100, 10000)
        n_samples = output.nElement()
        prob_state = lg.multinomialAliasSetup(probs)
        assert prob_state[0].min() > -1, f"Index ={prob_state[0].min()}alias indices has an index below 0"
        assert prob_state[0].max() <= n_class - 1, \
            f"{prob_state[0].max()} alias indices has an index exceeding num_class"
        prob_state = lg.multinomialAliasSetup(probs, prob_state)
        assert prob_state[0].min() > -1, f"Index ={prob_state[0].min()}alias indices has an index below 0(cold)"
        assert prob_state[0].max() <= n_class - 1, \
            f"{prob_state[0].max()},{prob_state[0].min()} alias indices has an index exceeding num_class(cold)"
        output = lg.LongTensor(n_samples)
        output = lg.multinomialAlias(output, prob_state)
        assert output.nElement() == n_samples, "wrong number of samples"
        assert output.min() > -1, "sampled indices has an index below 0"
        assert output.max() <= n_class - 1, "indices has an index exceeding num_class"


def test_multinomialvector():
    """test.lua lines 1837-1848."""
    n_col = 4
    t = int(time.time())
    lg.manualSeed(t)
    prob_dist = lg.rand(n_col)
    n_sample = n_col
    sample_indices = lg.multinomial(prob_dist, n_sample, True)
    s_dim = sample_indices.dim()
    assert s_dim == 1, f"wrong number of returned dimensions: {s_dim}"
    assert prob_dist.dim() == 1, "wrong number of prob_dist dimensions"
    assert sample_indices.size(0) == n_sample, "wrong number of samples"


def test_range():
    """test.lua lines 1849-1861: range's bounds are values, not indices."""
    mx = lg.range(0, 1)
    mxx = lg.Tensor()
    lg.range(mxx, 0, 1)
    assert maxdiff(mx, mxx) == 0, 'torch.range value'

    # Check range for non-contiguous tensors.
    x = lg.zeros(2, 3)
    y = x.narrow(1, 1, 2)
    y.range(0, 3)
    mytester.assertTensorEq(x, lg.Tensor([[0, 0, 1], [0, 2, 3]]), 1e-16, 'non-contiguous range failed')


def test_rangenegative():
    """test.lua lines 1862-1867."""
    mx = lg.Tensor([1, 0])
    mxx = lg.Tensor()
    lg.range(mxx, 1, 0, -1)
    assert maxdiff(mx, mxx) == 0, 'torch.range value for negative step'


def test_rangeequalbounds():
    """test.lua lines 1868-1875."""
    mx = lg.Tensor([1])
    mxx = lg.Tensor()
    lg.range(mxx, 1, 1, -1)
    assert maxdiff(mx, mxx) == 0, 'torch.range value for equal bounds step'
    lg.range(mxx, 1, 1, 1)
    assert maxdiff(mx, mxx) == 0, 'torch.range value for equal bounds step'


def test_rangefloat():
    """test.lua lines 1876-1881."""
    mx = lg.FloatTensor().range(0.6, 0.9, 0.1)
    assert mx.size(0) == 4, 'wrong size for FloatTensor range'
    mx = lg.FloatTensor().range(1, 10, 0.3)
    assert mx.size(0) == 31, 'wrong size for FloatTensor range'


def test_rangedouble():
    """test.lua lines 1882-1887."""
    mx = lg.DoubleTensor().range(0.6, 0.9, 0.1)
    assert mx.size(0) == 4, 'wrong size for DoubleTensor range'
    mx = lg.DoubleTensor().range(1, 10, 0.3)
    assert mx.size(0) == 31, 'wrong size for DoubleTensor range'


def test_randperm():
    """test.lua lines 1888-1896."""
    t = int(time.time())
    lg.manualSeed(t)
    mx = lg.randperm(msize)
    mxx = lg.Tensor()
    lg.manualSeed(t)
    lg.randperm(mxx, msize)
    assert maxdiff(mx, mxx) == 0, 'torch.randperm value'


def test_reshape():
    """test.lua lines 1897-1903."""
    x = lg.rand(10, 13, 23)
    mx = lg.reshape(x, 130, 23)
    mxx = lg.Tensor()
    lg.reshape(mxx, x, 130, 23)
    assert maxdiff(mx, mxx) == 0, 'torch.reshape value'


def assertIsOrdered(order, x, mxx, ixx, task):
    """test.lua lines 1906-1933 (a local function): the rows of ``mxx`` are ordered and ``ixx`` holds each
    row's permutation of ``x``'s, 0-based."""
    if order == 'descending':
        def areOrdered(a, b):
            return a >= b
    elif order == 'ascending':
        def areOrdered(a, b):
            return a <= b
    else:
        raise ValueError(f'unknown order "{order}", must be "ascending" or "descending"')

    decreasing = True
    for j in range(msize):
        for k in range(1, msize):
            decreasing = decreasing and areOrdered(mxx[j][k - 1], mxx[j][k])
    assert decreasing, f'torch.sort ({order}) values unordered for {task}'
    seen = lg.ByteTensor(msize)
    indicesCorrect = True
    for k in range(msize):
        seen.zero()
        for j in range(msize):
            indicesCorrect = indicesCorrect and (x[k][ixx[k][j]] == mxx[k][j])
            seen[ixx[k][j]] = 1
        indicesCorrect = indicesCorrect and (lg.sum(seen) == msize)
    assert indicesCorrect, f'torch.sort ({order}) indices wrong for {task}'


def test_sortAscending():
    """test.lua lines 1935-1959: ``torch.sort(t)`` as an argument keeps its first result, ``[0]`` here."""
    x = lg.rand(msize, msize)
    mx, ix = lg.sort(x)

    # Test use of result tensor
    mxx = lg.Tensor()
    ixx = lg.LongTensor()
    lg.sort(mxx, ixx, x)
    assert maxdiff(mx, mxx) == 0, 'torch.sort (ascending) value'
    assert maxdiff(ix, ixx) == 0, 'torch.sort (ascending) index'

    # Test sorting of random numbers
    assertIsOrdered('ascending', x, mxx, ixx, 'random')

    mytester.assertTensorEq(lg.sort(lg.Tensor([50, 40, 30, 20, 10]))[0], lg.Tensor([10, 20, 30, 40, 50]), 1e-16,
                            "torch.sort (ascending) simple sort")
    # Test that we still have proper sorting with duplicate keys
    x = lg.floor(lg.rand(msize, msize) * 10)
    lg.sort(mxx, ixx, x)
    assertIsOrdered('ascending', x, mxx, ixx, 'random with duplicate keys')


def test_sortDescending():
    """test.lua lines 1961-1985."""
    x = lg.rand(msize, msize)
    mx, ix = lg.sort(x, True)

    # Test use of result tensor
    mxx = lg.Tensor()
    ixx = lg.LongTensor()
    lg.sort(mxx, ixx, x, True)
    assert maxdiff(mx, mxx) == 0, 'torch.sort (descending) value'
    assert maxdiff(ix, ixx) == 0, 'torch.sort (descending) index'

    # Test sorting of random numbers
    assertIsOrdered('descending', x, mxx, ixx, 'random')

    # Test simple sort task
    mytester.assertTensorEq(lg.sort(lg.Tensor([10, 20, 30, 40, 50]), True)[0], lg.Tensor([50, 40, 30, 20, 10]),
                            1e-16, "torch.sort (descending) simple sort")

    # Test that we still have proper sorting with duplicate keys
    assertIsOrdered('descending', x, mxx, ixx, 'random with duplicate keys')


def test_topK():
    """test.lua lines 1987-2050: ``k`` is a count and stays; the dimensions drawn are 0-based."""
    def topKViaSort(t, k, dim, dir):
        sorted_, indices = t.sort(dim, dir)
        return sorted_.narrow(dim, 0, k), indices.narrow(dim, 0, k)

    def compareTensors(t, res1, ind1, res2, ind2, dim, msg):
        # Values should be exactly equivalent
        mytester.assertTensorEq(res1, res2, 0, msg)

        # Indices might differ based on the implementation, since there is
        # no guarantee of the relative order of selection
        if ind1.eq(ind2).min() == 0:
            # To verify that the indices represent equivalent elements,
            # gather from the input using the topk indices and compare against
            # the sort indices
            vals = t.gather(dim, ind2)
            mytester.assertTensorEq(res1, vals, 0, msg)

    def compare(t, k, dim, dir, msg):
        topKVal, topKInd = t.topk(k, dim, dir, True)
        sortKVal, sortKInd = topKViaSort(t, k, dim, dir)

        compareTensors(t, sortKVal, sortKInd, topKVal, topKInd, dim, msg)

    t = lg.rand(random.randint(1, msize), random.randint(1, msize), random.randint(1, msize))

    for kTries in range(3):
        for dimTries in range(3):
            for transpose in (True, False):
                for dir in (True, False):
                    testTensor = t

                    transposeMsg = None
                    if transpose:
                        dim1 = random.randint(0, t.nDimension() - 1)
                        dim2 = dim1

                        while dim1 == dim2:
                            dim2 = random.randint(0, t.nDimension() - 1)

                        testTensor = t.transpose(dim1, dim2)
                        transposeMsg = f'transpose({dim1}, {dim2})'

                    dim = random.randint(0, testTensor.nDimension() - 1)
                    k = random.randint(1, testTensor.size(dim))
                    msg = f'topk({k}, {dim}, {dir}, true)'
                    if transposeMsg:
                        msg = msg + ' ' + transposeMsg

                    compare(testTensor, k, dim, dir, msg)


def test_kthvalue():
    """test.lua lines 2052-2102: ``k`` is a rank, 0-based in legonn (docs/porting.md: ``x.kthvalue(0)`` is the
    smallest), so Lua's ``math.random(1, msize)`` is ``randint(0, msize - 1)`` and its ranks 3 and 2 are 2 and 1."""
    x = lg.rand(msize, msize, msize)
    x0 = x.clone()
    k = random.randint(0, msize - 1)
    mx, ix = lg.kthvalue(x, k)
    mxx, ixx = lg.sort(x)

    mytester.assertTensorEq(mxx.select(2, k), mx.select(2, 0), 0, 'torch.kthvalue value')
    mytester.assertTensorEq(ixx.select(2, k), ix.select(2, 0), 0, 'torch.kthvalue index')
    # test use of result tensors
    k = random.randint(0, msize - 1)
    mx = lg.Tensor()
    ix = lg.LongTensor()
    lg.kthvalue(mx, ix, x, k)
    mxx, ixx = lg.sort(x)
    mytester.assertTensorEq(mxx.select(2, k), mx.select(2, 0), 0, 'torch.kthvalue value')
    mytester.assertTensorEq(ixx.select(2, k), ix.select(2, 0), 0, 'torch.kthvalue index')
    # test non-default dim
    k = random.randint(0, msize - 1)
    mx, ix = lg.kthvalue(x, k, 0)
    mxx, ixx = lg.sort(x, 0)
    mytester.assertTensorEq(mxx.select(0, k), mx[0], 0, 'torch.kthvalue value')
    mytester.assertTensorEq(ixx.select(0, k), ix[0], 0, 'torch.kthvalue index')
    # non-contiguous
    y = x.narrow(1, 0, 1)
    y0 = y.clone()
    k = random.randint(0, msize - 1)
    my, ix = lg.kthvalue(y, k)
    my0, ix0 = lg.kthvalue(y0, k)
    mytester.assertTensorEq(my, my0, 0, 'torch.kthvalue value')
    mytester.assertTensorEq(ix, ix0, 0, 'torch.kthvalue index')
    mytester.assertTensorEq(x, x0, 0, 'torch.kthvalue modified input')

    # simple test case (with repetitions)
    y = lg.Tensor([3, 5, 4, 1, 1, 5])
    mytester.assertTensorEq(lg.kthvalue(y, 2)[0], lg.Tensor([3]), 1e-16, 'torch.kthvalue simple')
    mytester.assertTensorEq(lg.kthvalue(y, 1)[0], lg.Tensor([1]), 1e-16, 'torch.kthvalue simple')


def test_median():
    """test.lua lines 2104-2136: the median's position ``floor((msize + 1) / 2)`` is 1-based, so one less."""
    for msize in (155, 156):
        x = lg.rand(msize, msize)
        x0 = x.clone()

        mx, ix = lg.median(x)
        mxx, ixx = lg.sort(x)
        ind = math.floor((msize + 1) / 2) - 1

        mytester.assertTensorEq(mxx.select(1, ind), mx.select(1, 0), 0, 'torch.median value')
        mytester.assertTensorEq(ixx.select(1, ind), ix.select(1, 0), 0, 'torch.median index')

        # Test use of result tensor
        mr = lg.Tensor()
        ir = lg.LongTensor()
        lg.median(mr, ir, x)
        mytester.assertTensorEq(mr, mx, 0, 'torch.median result tensor value')
        mytester.assertTensorEq(ir, ix, 0, 'torch.median result tensor index')

        # Test non-default dim
        mx, ix = lg.median(x, 0)
        mxx, ixx = lg.sort(x, 0)
        mytester.assertTensorEq(mxx.select(0, ind), mx[0], 0, 'torch.median value')
        mytester.assertTensorEq(ixx.select(0, ind), ix[0], 0, 'torch.median index')

        # input unchanged
        mytester.assertTensorEq(x, x0, 0, 'torch.median modified input')


def test_mode():
    """test.lua lines 2138-2180: the expected indices (Lua's 2 and msize) are one less."""
    x = lg.range(1, msize * msize).reshape(msize, msize)
    x.select(0, 0).fill(1)
    x.select(0, 1).fill(1)
    x.select(1, 0).fill(1)
    x.select(1, 1).fill(1)
    x0 = x.clone()

    # Pre-calculated results.
    res = lg.Tensor(msize).fill(1)
    # The indices are the position of the last appearance of the mode element.
    resix = lg.LongTensor(msize).fill(1)
    resix[0] = msize - 1
    resix[1] = msize - 1

    mx, ix = lg.mode(x)

    mytester.assertTensorEq(res.view(msize, 1), mx, 0, 'torch.mode value')
    mytester.assertTensorEq(resix.view(msize, 1), ix, 0, 'torch.mode index')

    # Test use of result tensor
    mr = lg.Tensor()
    ir = lg.LongTensor()
    lg.mode(mr, ir, x)
    mytester.assertTensorEq(mr, mx, 0, 'torch.mode result tensor value')
    mytester.assertTensorEq(ir, ix, 0, 'torch.mode result tensor index')

    # Test non-default dim
    mx, ix = lg.mode(x, 0)
    mytester.assertTensorEq(res.view(1, msize), mx, 0, 'torch.mode value')
    mytester.assertTensorEq(resix.view(1, msize), ix, 0, 'torch.mode index')

    input = lg.Tensor([
        [1, 2, 2, 2, 3, 2],
        [1.5, 2, 2, 1.5, 1.5, 5],
    ])
    value, index = lg.mode(input)
    expected_value = lg.Tensor([[2], [1.5]])
    mytester.assertTensorEq(value, expected_value)

    # input unchanged
    mytester.assertTensorEq(x, x0, 0, 'torch.mode modified input')


def test_tril():
    """test.lua lines 2183-2189."""
    x = lg.rand(msize, msize)
    mx = lg.tril(x)
    mxx = lg.Tensor()
    lg.tril(mxx, x)
    assert maxdiff(mx, mxx) == 0, 'torch.tril value'


def test_triu():
    """test.lua lines 2190-2196."""
    x = lg.rand(msize, msize)
    mx = lg.triu(x)
    mxx = lg.Tensor()
    lg.triu(mxx, x)
    assert maxdiff(mx, mxx) == 0, 'torch.tril value'


def _assert_no_dimension(mx):
    """Lua's ``mytester:asserteq(mx:dim(), 0)`` of an empty result: legonn's empty tensor has one dimension of
    size 0 (docs/porting.md, the ``if list:dim() ~= 0 then`` row), so its element count is tested."""
    assert mx.nElement() == 0 and mx.dim() == 1, 'torch.cat dim'


def test_cat():
    """test.lua lines 2197-2234."""
    for dim in range(3):
        x = lg.rand(13, msize, msize).transpose(0, dim)
        y = lg.rand(17, msize, msize).transpose(0, dim)
        mx = lg.cat(x, y, dim)
        mytester.assertTensorEq(mx.narrow(dim, 0, 13), x, 0, 'torch.cat value')
        mytester.assertTensorEq(mx.narrow(dim, 13, 17), y, 0, 'torch.cat value')

        mxx = lg.Tensor()
        lg.cat(mxx, x, y, dim)
        mytester.assertTensorEq(mx, mxx, 0, 'torch.cat value')

        x = lg.rand(1, 2, 3)
        y = lg.Tensor()
        mx = lg.cat(x, y, dim)
        assert mx.size(0) == 1, 'torch.cat size'
        assert mx.size(1) == 2, 'torch.cat size'
        assert mx.size(2) == 3, 'torch.cat size'
        mytester.assertTensorEq(mx, x, 0, 'torch.cat value')

        x = lg.Tensor()
        y = lg.Tensor()
        mx = lg.cat(x, y, dim)
        _assert_no_dimension(mx)
    x = lg.Tensor()
    y = lg.rand(1, 2, 3)
    mx = lg.cat(x, y)
    assert mx.size(0) == 1, 'torch.cat size'
    assert mx.size(1) == 2, 'torch.cat size'
    assert mx.size(2) == 3, 'torch.cat size'
    mytester.assertTensorEq(mx, y, 0, 'torch.cat value')

    x = lg.Tensor()
    y = lg.Tensor()
    mx = lg.cat(x, y)
    _assert_no_dimension(mx)


def test_catArray():
    """test.lua lines 2235-2281."""
    for dim in range(3):
        x = lg.rand(13, msize, msize).transpose(0, dim)
        y = lg.rand(17, msize, msize).transpose(0, dim)
        z = lg.rand(19, msize, msize).transpose(0, dim)

        mx = lg.cat([x, y, z], dim)
        mytester.assertTensorEq(mx.narrow(dim, 0, 13), x, 0, 'torch.cat value')
        mytester.assertTensorEq(mx.narrow(dim, 13, 17), y, 0, 'torch.cat value')
        mytester.assertTensorEq(mx.narrow(dim, 30, 19), z, 0, 'torch.cat value')

        with pytest.raises(ValueError):  # torch.cat empty table
            lg.cat([])

        mxx = lg.Tensor()
        lg.cat(mxx, [x, y, z], dim)
        mytester.assertTensorEq(mx, mxx, 0, 'torch.cat value')
        lg.cat(mxx.float(), [x.float(), y.float(), z.float()], dim)
        mytester.assertTensorEq(mx, mxx, 0, 'torch.cat value')
        lg.cat(mxx.double(), [x.double(), y.double(), z.double()], dim)
        mytester.assertTensorEq(mx, mxx, 0, 'torch.cat value')

        x = lg.rand(1, 2, 3)
        y = lg.Tensor()
        mx = lg.cat([x, y], dim)
        assert mx.size(0) == 1, 'torch.cat size'
        assert mx.size(1) == 2, 'torch.cat size'
        assert mx.size(2) == 3, 'torch.cat size'
        mytester.assertTensorEq(mx, x, 0, 'torch.cat value')

        x = lg.Tensor()
        y = lg.Tensor()
        mx = lg.cat([x, y], dim)
        _assert_no_dimension(mx)
    x = lg.Tensor()
    y = lg.rand(1, 2, 3)
    mx = lg.cat([x, y])
    assert mx.size(0) == 1, 'torch.cat size'
    assert mx.size(1) == 2, 'torch.cat size'
    assert mx.size(2) == 3, 'torch.cat size'
    mytester.assertTensorEq(mx, y, 0, 'torch.cat value')

    x = lg.Tensor()
    y = lg.Tensor()
    mx = lg.cat([x, y])
    _assert_no_dimension(mx)


def test_catNoDim():
    """test.lua lines 2282-2304: with no dimension, cat joins along the last."""
    a = lg.Tensor(msize).uniform()
    b = lg.Tensor(msize).uniform()
    c = lg.cat(a, b)
    mytester.assertTensorEq(c.narrow(0, 0, msize), a, 0, 'torch.cat value')
    mytester.assertTensorEq(c.narrow(0, msize, msize), b, 0, 'torch.cat value')

    a = lg.Tensor(1, msize).uniform()
    b = lg.Tensor(1, msize).uniform()
    c = lg.cat(a, b)
    mytester.assertTensorEq(c.narrow(1, 0, msize), a, 0, 'torch.cat value')
    mytester.assertTensorEq(c.narrow(1, msize, msize), b, 0, 'torch.cat value')

    a = lg.Tensor(10, msize).uniform()
    b = lg.Tensor(10, msize).uniform()
    c = lg.cat(a, b)
    mytester.assertTensorEq(c.narrow(1, 0, msize), a, 0, 'torch.cat value')
    mytester.assertTensorEq(c.narrow(1, msize, msize), b, 0, 'torch.cat value')


def test_sin_2():
    """test.lua lines 2305-2311."""
    x = lg.rand(msize, msize, msize)
    mx = lg.sin(x)
    mxx = lg.Tensor()
    lg.sin(mxx, x)
    assert maxdiff(mx, mxx) == 0, 'torch.sin value'


def test_linspace():
    """test.lua lines 2312-2334."""
    from_ = random.random()
    to = from_ + random.random()
    mx = lg.linspace(from_, to, 137)
    mxx = lg.Tensor()
    lg.linspace(mxx, from_, to, 137)
    assert maxdiff(mx, mxx) == 0, 'torch.linspace value'
    with pytest.raises(ValueError):  # accepted 1 point between 2 distinct endpoints
        lg.linspace(0, 1, 1)
    mytester.assertTensorEq(lg.linspace(0, 0, 1), lg.zeros(1), 1e-16, 'failed to generate for torch.linspace(0,0,1)')

    # Check linspace for generating with start > end.
    mytester.assertTensorEq(lg.linspace(2, 0, 3), lg.Tensor([2, 1, 0]), 1e-16,
                            'failed to generate for torch.linspace(2,0,3)')

    # Check linspace for non-contiguous tensors.
    x = lg.zeros(2, 3)
    y = x.narrow(1, 1, 2)
    y.linspace(0, 3, 4)
    mytester.assertTensorEq(x, lg.Tensor([[0, 0, 1], [0, 2, 3]]), 1e-16, 'non-contiguous linspace failed')


def test_logspace():
    """test.lua lines 2335-2357."""
    from_ = random.random()
    to = from_ + random.random()
    mx = lg.logspace(from_, to, 137)
    mxx = lg.Tensor()
    lg.logspace(mxx, from_, to, 137)
    assert maxdiff(mx, mxx) == 0, 'torch.logspace value'
    with pytest.raises(ValueError):  # accepted 1 point between 2 distinct endpoints
        lg.logspace(0, 1, 1)
    mytester.assertTensorEq(lg.logspace(0, 0, 1), lg.ones(1), 1e-16, 'failed to generate for torch.linspace(0,0,1)')

    # Check logspace for generating with start > end.
    mytester.assertTensorEq(lg.logspace(1, 0, 2), lg.Tensor([10, 1]), 1e-16,
                            'failed to generate for torch.logspace(1,0,2)')

    # Check logspace for non-contiguous tensors.
    x = lg.zeros(2, 3)
    y = x.narrow(1, 1, 2)
    y.logspace(0, 3, 4)
    mytester.assertTensorEq(x, lg.Tensor([[0, 1, 10], [0, 100, 1000]]), 1e-16, 'non-contiguous logspace failed')


def test_rand():
    """test.lua lines 2358-2365."""
    lg.manualSeed(123456)
    mx = lg.rand(msize, msize)
    mxx = lg.Tensor()
    lg.manualSeed(123456)
    lg.rand(mxx, msize, msize)
    assert maxdiff(mx, mxx) == 0, 'torch.rand value'


def test_randn():
    """test.lua lines 2366-2373."""
    lg.manualSeed(123456)
    mx = lg.randn(msize, msize)
    mxx = lg.Tensor()
    lg.manualSeed(123456)
    lg.randn(mxx, msize, msize)
    assert maxdiff(mx, mxx) == 0, 'torch.randn value'


def _gesv_system():
    """The 5 x 5 system test.lua's gesv, gesv_reuse, trtrs and trtrs_reuse share."""
    a = lg.Tensor([[6.80, -2.11, 5.66, 5.97, 8.23],
                   [-6.05, -3.30, 5.36, -4.44, 1.08],
                   [-0.45, 2.58, -2.70, 0.27, 9.04],
                   [8.32, 2.71, 4.35, -7.17, 2.14],
                   [-9.67, -5.14, -7.26, 6.08, -6.87]]).t()
    b = lg.Tensor([[4.02, 6.19, -8.22, -7.57, -3.03],
                   [-1.56, 4.00, -8.67, 1.75, 2.86],
                   [9.81, -4.09, -4.57, -8.61, 8.99]]).t()
    return a, b


def test_gesv():
    """test.lua lines 2374-2394: ``torch.gesv`` returns the solution and the LU factors; one name keeps the
    first (docs/porting.md's LAPACK row)."""
    a, b = _gesv_system()
    mx = lg.gesv(b, a)[0]
    assert b.dist(a @ mx) < 1e-12, 'torch.gesv'
    ta = lg.Tensor()
    tb = lg.Tensor()
    mxx = lg.gesv(tb, ta, b, a)[0]
    mxxx = lg.gesv(b, a, b, a)[0]
    assert maxdiff(mx, tb) == 0, 'torch.gesv value temp'
    assert maxdiff(mx, b) == 0, 'torch.gesv value flag'
    assert maxdiff(mx, mxx) == 0, 'torch.gesv value out1'
    assert maxdiff(mx, mxxx) == 0, 'torch.gesv value out2'


def test_gesv_reuse():
    """test.lua lines 2395-2412."""
    a, b = _gesv_system()
    mx = lg.gesv(b, a)[0]
    ta = lg.Tensor()
    tb = lg.Tensor()
    lg.gesv(tb, ta, b, a)
    assert maxdiff(mx, tb) == 0, 'torch.gesv value temp'
    lg.gesv(tb, ta, b, a)
    assert maxdiff(mx, tb) == 0, 'torch.gesv value reuse'


def test_trtrs():
    """test.lua lines 2413-2458."""
    a, b = _gesv_system()

    U = lg.triu(a)
    L = lg.tril(a)

    # solve Ux = b
    x = lg.trtrs(b, U)[0]
    assert b.dist(U @ x) < 1e-12, 'torch.trtrs'
    x = lg.trtrs(b, U, 'U', 'N', 'N')[0]
    assert b.dist(U @ x) < 1e-12, 'torch.trtrs'

    # solve Lx = b
    x = lg.trtrs(b, L, 'L')[0]
    assert b.dist(L @ x) < 1e-12, 'torch.trtrs'
    x = lg.trtrs(b, L, 'L', 'N', 'N')[0]
    assert b.dist(L @ x) < 1e-12, 'torch.trtrs'

    # solve U'x = b
    x = lg.trtrs(b, U, 'U', 'T')[0]
    assert b.dist(U.t() @ x) < 1e-12, 'torch.trtrs'
    x = lg.trtrs(b, U, 'U', 'T', 'N')[0]
    assert b.dist(U.t() @ x) < 1e-12, 'torch.trtrs'

    # solve U'x = b by manual transposition
    y = lg.trtrs(b, U.t(), 'L', 'N')[0]
    assert x.dist(y) < 1e-12, 'torch.trtrs'

    # solve L'x = b
    x = lg.trtrs(b, L, 'L', 'T')[0]
    assert b.dist(L.t() @ x) < 1e-12, 'torch.trtrs'
    x = lg.trtrs(b, L, 'L', 'T', 'N')[0]
    assert b.dist(L.t() @ x) < 1e-12, 'torch.trtrs'

    # solve L'x = b by manual transposition
    y = lg.trtrs(b, L.t(), 'U', 'N')[0]
    assert x.dist(y) < 1e-12, 'torch.trtrs'


def test_trtrs_reuse():
    """test.lua lines 2459-2477."""
    a, b = _gesv_system()
    mx = lg.trtrs(b, a)[0]
    ta = lg.Tensor()
    tb = lg.Tensor()
    lg.trtrs(tb, ta, b, a)
    assert maxdiff(mx, tb) == 0, 'torch.trtrs value temp'
    tb.zero()
    lg.trtrs(tb, ta, b, a)
    assert maxdiff(mx, tb) == 0, 'torch.trtrs value reuse'


def _gels_case(a, b, expectedNorm):
    """The body test.lua's gels_uniquely_determined, gels_overdetermined and gels_underdetermined share."""
    a_copy = a.clone()
    b_copy = b.clone()
    mx = lg.gels(b, a)[0]
    assert maxdiff(a, a_copy) == 0, 'torch.gels changed a'
    assert maxdiff(b, b_copy) == 0, 'torch.gels changed b'
    assert abs((lg.mm(a, mx) - b).norm() - expectedNorm) <= 1e-8, 'torch.gels wrong answer'

    ta = lg.Tensor()
    tb = lg.Tensor()
    mxx = lg.gels(tb, ta, b, a)[0]
    assert maxdiff(a, a_copy) == 0, 'torch.gels changed a'
    assert maxdiff(b, b_copy) == 0, 'torch.gels changed b'
    assert abs((lg.mm(a, tb) - b).norm() - expectedNorm) <= 1e-8, 'torch.gels wrong answer'

    mxxx = lg.gels(b, a, b, a)[0]
    assert abs((lg.mm(a_copy, b) - b_copy).norm() - expectedNorm) <= 1e-8, 'torch.gels wrong answer'
    assert maxdiff(mx, tb) == 0, 'torch.gels value temp'
    assert maxdiff(mx, b) == 0, 'torch.gels value flag'
    assert maxdiff(mx, mxx) == 0, 'torch.gels value out1'
    assert maxdiff(mx, mxxx) == 0, 'torch.gels value out2'


def test_gels_uniquely_determined():
    """test.lua lines 2478-2507."""
    expectedNorm = 0
    a = lg.Tensor([[1.44, -9.96, -7.55, 8.34],
                   [-7.84, -0.28, 3.24, 8.09],
                   [-4.39, -3.24, 6.27, 5.28],
                   [4.53, 3.83, -6.64, 2.06]]).t()
    b = lg.Tensor([[8.58, 8.26, 8.48, -5.28],
                   [9.35, -4.43, -0.70, -0.26]]).t()
    _gels_case(a, b, expectedNorm)


def test_gels_reuse():
    """test.lua lines 2508-2525."""
    expectedNorm = 0
    a = lg.Tensor([[1.44, -9.96, -7.55, 8.34],
                   [-7.84, -0.28, 3.24, 8.09],
                   [-4.39, -3.24, 6.27, 5.28],
                   [4.53, 3.83, -6.64, 2.06]]).t()
    b = lg.Tensor([[8.58, 8.26, 8.48, -5.28],
                   [9.35, -4.43, -0.70, -0.26]]).t()
    ta = lg.Tensor()
    tb = lg.Tensor()
    for _ in range(3):
        lg.gels(tb, ta, b, a)
        assert abs((lg.mm(a, tb) - b).norm() - expectedNorm) <= 1e-8, 'torch.gels wrong answer'


def test_gels_overdetermined():
    """test.lua lines 2526-2555."""
    expectedNorm = 17.390200628863
    a = lg.Tensor([[1.44, -9.96, -7.55, 8.34, 7.08, -5.45],
                   [-7.84, -0.28, 3.24, 8.09, 2.52, -5.70],
                   [-4.39, -3.24, 6.27, 5.28, 0.74, -1.19],
                   [4.53, 3.83, -6.64, 2.06, -2.47, 4.70]]).t()
    b = lg.Tensor([[8.58, 8.26, 8.48, -5.28, 5.72, 8.93],
                   [9.35, -4.43, -0.70, -0.26, -7.36, -2.52]]).t()
    _gels_case(a, b, expectedNorm)


def test_gels_underdetermined():
    """test.lua lines 2556-2586."""
    expectedNorm = 0
    a = lg.Tensor([[1.44, -9.96, -7.55],
                   [-7.84, -0.28, 3.24],
                   [-4.39, -3.24, 6.27],
                   [4.53, 3.83, -6.64]]).t()
    b = lg.Tensor([[8.58, 8.26, 8.48],
                   [9.35, -4.43, -0.70]]).t()
    _gels_case(a, b, expectedNorm)


def test_eig():
    """test.lua lines 2587-2604."""
    a = lg.Tensor([[1.96, 0.00, 0.00, 0.00, 0.00],
                   [-6.49, 3.80, 0.00, 0.00, 0.00],
                   [-0.47, -6.39, 4.17, 0.00, 0.00],
                   [-7.20, 1.50, -1.51, 5.70, 0.00],
                   [-0.65, -6.34, 2.67, 1.80, -7.10]]).t().clone()
    e = lg.eig(a)[0]
    ee, vv = lg.eig(a, 'V')
    te = lg.Tensor()
    tv = lg.Tensor()
    eee, vvv = lg.eig(te, tv, a, 'V')
    assert maxdiff(e, ee) < 1e-12, 'torch.eig value'
    assert maxdiff(ee, eee) < 1e-12, 'torch.eig value'
    assert maxdiff(ee, te) < 1e-12, 'torch.eig value'
    assert maxdiff(vv, vvv) < 1e-12, 'torch.eig value'
    assert maxdiff(vv, tv) < 1e-12, 'torch.eig value'


def test_eig_reuse():
    """test.lua lines 2605-2619."""
    X = lg.randn(4, 4)
    X = X.t() @ X
    e, v = lg.zeros(4, 2), lg.zeros(4, 4)
    lg.eig(e, v, X, 'V')
    Xhat = v @ lg.diag(e.select(1, 0)) @ v.t()
    mytester.assertTensorEq(X, Xhat, 1e-8, "VeV' wrong")
    assert v.isContiguous(), 'V is not contiguous'  # row-major (docs/porting.md, LAPACK row)

    lg.eig(e, v, X, 'V')
    Xhat = lg.mm(v, lg.mm(e.select(1, 0).diag(), v.t()))
    mytester.assertTensorEq(X, Xhat, 1e-8, "VeV' wrong")
    assert v.isContiguous(), 'V is not contiguous'  # row-major (docs/porting.md, LAPACK row)


def test_eig_noncontig():
    """test.lua lines 2620-2631."""
    X = lg.randn(4, 4)
    X = X.t() @ X
    e = lg.zeros(4, 2, 2)[:, 1, :]
    v = lg.zeros(4, 2, 4)[:, 1, :]
    assert not v.isContiguous(), 'V is contiguous'
    assert not e.isContiguous(), 'E is contiguous'
    lg.eig(e, v, X, 'V')
    Xhat = v @ lg.diag(e.select(1, 0)) @ v.t()
    mytester.assertTensorEq(X, Xhat, 1e-8, "VeV' wrong")


def test_test_symeig():
    """test.lua lines 2632-2650 (``torchtest.test_symeig``)."""
    xval = lg.rand(100, 3)
    cov = lg.mm(xval.t(), xval)
    rese = lg.zeros(3)
    resv = lg.zeros(3, 3)

    # First call to symeig
    assert resv.isContiguous(), 'resv is not contiguous'  # PASS
    lg.symeig(rese, resv, cov.clone(), 'V')
    ahat = resv @ lg.diag(rese) @ resv.t()
    mytester.assertTensorEq(cov, ahat, 1e-8, "VeV' wrong")  # PASS

    # Second call to symeig
    assert resv.isContiguous(), 'resv is not contiguous'  # row-major (docs/porting.md, LAPACK row)
    lg.symeig(rese, resv, cov.clone(), 'V')
    ahat = lg.mm(lg.mm(resv, lg.diag(rese)), resv.t())
    mytester.assertTensorEq(cov, ahat, 1e-8, "VeV' wrong")  # FAIL


def test_symeig_noncontig():
    """test.lua lines 2651-2662: ``X`` is 5 x 5 and the results 4-sized, as in the Lua (symeig resizes them)."""
    X = lg.rand(5, 5)
    X = X.t() @ X
    e = lg.zeros(4, 2).select(1, 1)
    v = lg.zeros(4, 2, 4)[:, 1, :]
    assert not v.isContiguous(), 'V is contiguous'
    assert not e.isContiguous(), 'E is contiguous'
    lg.symeig(e, v, X, 'V')
    Xhat = v @ lg.diag(e) @ v.t()
    mytester.assertTensorEq(X, Xhat, 1e-8, "VeV' wrong")


def test_svd():
    """test.lua lines 2663-2681."""
    a = lg.Tensor([[8.79, 6.11, -9.15, 9.57, -3.49, 9.84],
                   [9.93, 6.91, -7.93, 1.64, 4.02, 0.15],
                   [9.83, 5.04, 4.86, 8.83, 9.80, -8.99],
                   [5.45, -0.27, 4.85, 0.74, 10.00, -6.02],
                   [3.16, 7.98, 3.01, 5.80, 4.27, -5.31]]).t().clone()
    u, s, v = lg.svd(a)
    uu = lg.Tensor()
    ss = lg.Tensor()
    vv = lg.Tensor()
    uuu, sss, vvv = lg.svd(uu, ss, vv, a)
    assert maxdiff(u, uu) == 0, 'torch.svd'
    assert maxdiff(u, uuu) == 0, 'torch.svd'
    assert maxdiff(s, ss) == 0, 'torch.svd'
    assert maxdiff(s, sss) == 0, 'torch.svd'
    assert maxdiff(v, vv) == 0, 'torch.svd'
    assert maxdiff(v, vvv) == 0, 'torch.svd'


def test_svd_reuse():
    """test.lua lines 2682-2693."""
    X = lg.randn(4, 4)
    U, S, V = lg.svd(X)
    Xhat = lg.mm(U, lg.mm(S.diag(), V.t()))
    mytester.assertTensorEq(X, Xhat, 1e-8, "USV' wrong")

    assert U.isContiguous(), 'U is not contiguous'  # row-major (docs/porting.md, LAPACK row)
    lg.svd(U, S, V, X)
    Xhat = lg.mm(U, lg.mm(S.diag(), V.t()))
    mytester.assertTensorEq(X, Xhat, 1e-8, "USV' wrong")


def test_svd_noncontig():
    """test.lua lines 2694-2707."""
    X = lg.randn(5, 5)
    U = lg.zeros(5, 2, 5)[:, 1, :]
    S = lg.zeros(5, 2)[:, 1]
    V = lg.zeros(5, 2, 5)[:, 1, :]

    assert not U.isContiguous(), 'U is contiguous'
    assert not S.isContiguous(), 'S is contiguous'
    assert not V.isContiguous(), 'V is contiguous'
    lg.svd(U, S, V, X)
    Xhat = lg.mm(U, lg.mm(S.diag(), V.t()))
    mytester.assertTensorEq(X, Xhat, 1e-8, "USV' wrong")


def test_inverse():
    """test.lua lines 2708-2725."""
    M = lg.randn(5, 5)
    MI = lg.inverse(M)
    E = lg.eye(5)
    assert MI.isContiguous(), 'MI is not contiguous'  # row-major (docs/porting.md, LAPACK row)
    assert abs(maxdiff(E, lg.mm(M, MI)) - 0) <= 1e-8, 'inverse value'
    assert abs(maxdiff(E, lg.mm(MI, M)) - 0) <= 1e-8, 'inverse value'

    MII = lg.Tensor(5, 5)
    lg.inverse(MII, M)
    assert MII.isContiguous(), 'MII is not contiguous'  # row-major (docs/porting.md, LAPACK row)
    assert maxdiff(MII, MI) == 0, 'inverse value in-place'
    # second call, now that MII is transposed
    lg.inverse(MII, M)
    assert MII.isContiguous(), 'MII is not contiguous'  # row-major (docs/porting.md, LAPACK row)
    assert maxdiff(MII, MI) == 0, 'inverse value in-place'


def _conv_checks(conv, xcorr, x, k, tolerance, name):
    """The body test.lua's conv2 and conv3 share (``conv``, ``xcorr`` are torch.conv2 and torch.xcorr2, or the
    3-D pair): 'V' is the default; a convolution is the cross-correlation with the reversed kernel, valid and
    full; ``x`` correlated with itself is its dot product; a stack of two copies gives the copy's maps twice."""
    imvc = conv(x, k)
    imvc2 = conv(x, k, 'V')
    imfc = conv(x, k, 'F')

    ki = k.clone()
    ks = k.storage()
    kis = ki.storage()
    for i in range(ks.size() - 1, -1, -1):
        kis[ks.size() - i - 1] = ks[i]
    imvx = xcorr(x, ki)
    imvx2 = xcorr(x, ki, 'V')
    imfx = xcorr(x, ki, 'F')

    assert maxdiff(imvc, imvc2) == 0, name
    assert maxdiff(imvc, imvx) == 0, name
    assert maxdiff(imvc, imvx2) == 0, name
    assert maxdiff(imfc, imfx) == 0, name
    assert abs(x.dot(x) - xcorr(x, x).view(-1)[0]) < tolerance, name   # [1][1] (and [1][1][1]) in the Lua

    xx = lg.Tensor(2, *x.size())
    xx[0].copy(x)
    xx[1].copy(x)
    kk = lg.Tensor(2, *k.size())
    kk[0].copy(k)
    kk[1].copy(k)

    immvc = conv(xx, kk)
    immvc2 = conv(xx, kk, 'V')
    immfc = conv(xx, kk, 'F')

    assert maxdiff(immvc[0], immvc[1]) == 0, name
    assert maxdiff(immvc[0], imvc) == 0, name
    assert maxdiff(immvc2[0], imvc2) == 0, name
    assert maxdiff(immfc[0], immfc[1]) == 0, name
    assert maxdiff(immfc[0], imfc) == 0, name


def test_conv2():
    """test.lua lines 2726-2763."""
    x = lg.rand(math.floor(lg.uniform(50, 100)), math.floor(lg.uniform(50, 100)))
    k = lg.rand(math.floor(lg.uniform(10, 20)), math.floor(lg.uniform(10, 20)))
    _conv_checks(lg.conv2, lg.xcorr2, x, k, 1e-10, 'torch.conv2')


def test_conv3():
    """test.lua lines 2765-2806."""
    x = lg.rand(math.floor(lg.uniform(20, 40)), math.floor(lg.uniform(20, 40)), math.floor(lg.uniform(20, 40)))
    k = lg.rand(math.floor(lg.uniform(5, 10)), math.floor(lg.uniform(5, 10)), math.floor(lg.uniform(5, 10)))
    _conv_checks(lg.conv3, lg.xcorr3, x, k, 4 * 1e-10, 'torch.conv3')


def _volume_and_kernel():
    """The random sizes test.lua's four conv3/conv2 equivalence tests draw."""
    ix = math.floor(lg.uniform(20, 40))
    iy = math.floor(lg.uniform(20, 40))
    iz = math.floor(lg.uniform(20, 40))
    kx = math.floor(lg.uniform(5, 10))
    ky = math.floor(lg.uniform(5, 10))
    kz = math.floor(lg.uniform(5, 10))

    x = lg.rand(ix, iy, iz)
    k = lg.rand(kx, ky, kz)
    return x, k


def test_xcorr3_xcorr2_eq():
    """test.lua lines 2808-2829."""
    x, k = _volume_and_kernel()

    o3 = lg.xcorr3(x, k)
    o32 = lg.zeros(o3.size())

    for i in range(o3.size(0)):
        for j in range(k.size(0)):
            o32[i].add(lg.xcorr2(x[i + j], k[j]))

    assert maxdiff(o3, o32) < precision, 'torch.conv3_conv2_eq'


def test_fxcorr3_fxcorr2_eq():
    """test.lua lines 2831-2853."""
    x, k = _volume_and_kernel()

    o3 = lg.xcorr3(x, k, 'F')

    o32 = lg.zeros(o3.size())

    for i in range(x.size(0)):
        for j in range(k.size(0)):
            o32[i + j].add(lg.xcorr2(x[i], k[k.size(0) - j - 1], 'F'))

    assert maxdiff(o3, o32) < precision, 'torch.conv3_conv2_eq'


def test_conv3_conv2_eq():
    """test.lua lines 2855-2876."""
    x, k = _volume_and_kernel()

    o3 = lg.conv3(x, k)
    o32 = lg.zeros(o3.size())

    for i in range(o3.size(0)):
        for j in range(k.size(0)):
            o32[i].add(lg.conv2(x[i + j], k[k.size(0) - j - 1]))

    assert maxdiff(o3, o32) < precision, 'torch.conv3_conv2_eq'


def test_fconv3_fconv2_eq():
    """test.lua lines 2878-2900."""
    x, k = _volume_and_kernel()

    o3 = lg.conv3(x, k, 'F')

    o32 = lg.zeros(o3.size())

    for i in range(x.size(0)):
        for j in range(k.size(0)):
            o32[i + j].add(lg.conv2(x[i], k[j], 'F'))

    assert maxdiff(o3, o32) < precision, 'torch.conv3_conv2_eq'
