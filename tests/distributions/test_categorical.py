"""testCategorical.lua (distributions.cat and distributions.mvcat), categories 0-based (the Lua's 1-based
``2`` is ``1`` here)."""
import numpy as np
import pytest

import legonn as lg
from legonn import distributions as dist


def test_callNoResult():
    p = lg.Tensor([.3, .3, .4])
    assert dist.cat.rnd(p).numel() == 1
    N = 10
    assert dist.cat.rnd(N, p).numel() == N
    options = {'type': 'stratified'}
    assert dist.cat.rnd(p, options).numel() == 1
    assert dist.cat.rnd(N, p, options).numel() == N


def test_callResult():
    p = lg.Tensor([.3, .3, .4])
    res = lg.LongTensor(10).fill(0)
    assert dist.cat.rnd(res, p) is res, '2 params did not use result tensor'
    res = lg.DoubleTensor(10).fill(0)
    assert dist.cat.rnd(res, p) is res, '2 params with did not use result DoubleTensor'
    assert dist.cat.rnd(res, p, {'type': 'stratified'}) is res, '3 params did not use result tensor'
    assert set(res.array.tolist()) <= {0.0, 1.0, 2.0}


def test_normalization():
    x = dist.cat.rnd(10, lg.Tensor([0, 1]))
    for i in range(10):
        assert x[i] == 1, 'should be all 1 (the Lua: 2)'
    nfreq = 10000
    x = dist.cat.rnd(nfreq, lg.Tensor([5, 5]))
    freq = np.bincount(x.array, minlength=2)
    assert freq[0] and freq[1], 'seems that we have a normalization problem'
    assert abs(freq[0] / nfreq - 0.5) < 0.03   # 6 standard deviations


def test_zeroprob():
    with pytest.raises(ValueError, match='cannot resample with total probability mass 0'):
        dist.cat.rnd(1, lg.zeros(10))


def test_resampleCategories():
    nrow, ncol = 30, 20
    x = lg.zeros(nrow, ncol)
    for i in range(nrow):   # the Lua's i = 1, nrow: 10 i .. 10 i + ncol, resized to its first ncol
        x[i] = lg.range(10 * (i + 1), 10 * (i + 1) + ncol).resize(1, ncol)
    with pytest.raises(ValueError, match='number of categories'):
        dist.cat.rnd(lg.ones(nrow - 1), {'categories': x})
    onlySurvivor = 1
    p = lg.zeros(nrow)
    p[onlySurvivor] = 1
    for N in (10, 50, 2):
        expected = lg.Tensor(N, ncol)
        for i in range(N):
            expected[i] = x[onlySurvivor]
        res = dist.cat.rnd(N, p, {'categories': x})
        assert float((res - expected).abs().max()) <= 1e-16, 'should have only survivor'


def isSamplerSorted(sampler):
    x = dist.cat.rnd(10000, lg.ones(10), {'type': sampler})
    return bool(np.all(np.diff(x.array) >= 0))


def test_stratifiedIsSorted():
    assert isSamplerSorted('stratified')


def test_dichotomyIsNotSorted():
    assert not isSamplerSorted('dichotomy')


def test_unsortedIsNotSorted():
    assert not isSamplerSorted('iid')


@pytest.mark.parametrize('sampler', ['iid', 'dichotomy', 'stratified'])
def test_unbiased_with_one_sample(sampler):
    nrep = 10000
    counts = np.zeros(10, dtype=int)
    for _ in range(nrep):
        counts[int(dist.cat.rnd(1, lg.ones(10), {'type': sampler})[0])] += 1
    assert counts[0] < 3 * nrep / 10, 'Sampled 0 way too often'   # the Lua's crude test
    # and a chi-square test of the ten counts (9 dof; 27.9 is its 0.999 quantile)
    assert (((counts - nrep / 10) ** 2) / (nrep / 10)).sum() < 27.9


def test_unknown_sampler_is_refused():
    with pytest.raises(ValueError, match="unknown categorical sampling type 'bogus'"):
        dist.cat.rnd(3, lg.ones(3), {'type': 'bogus'})


def test_multivariate():
    p = lg.Tensor([[.1, .2, .7], [.9, 0, .1]])
    x = dist.mvcat.rnd(p)
    assert x.dim() == 2 and x.size(0) == p.size(0) and x.size(1) == 1
    nSamples = 10000
    x = dist.mvcat.rnd(nSamples, p)
    assert x.dim() == 2 and x.size(0) == p.size(0) and x.size(1) == nSamples
    result = lg.Tensor(2, nSamples)
    dist.mvcat.rnd(result, p)
    assert result.dim() == 2 and result.size(0) == 2 and result.size(1) == nSamples
    # each row follows its own law: the second never draws category 1 (probability 0)
    assert not bool((result[1].array == 1).any())
    np.testing.assert_allclose(np.bincount(result[0].array.astype(int), minlength=3) / nSamples, [.1, .2, .7],
                               atol=0.03)


def test_seeded_draws_repeat():
    lg.manualSeed(7)
    a = dist.cat.rnd(100, lg.Tensor([1, 2, 3]))
    lg.manualSeed(7)
    b = dist.cat.rnd(100, lg.Tensor([1, 2, 3]))
    assert a.array.tolist() == b.array.tolist()


@pytest.mark.gpu
def test_cuda_probabilities():
    pytest.importorskip('cupy')
    x = dist.cat.rnd(20000, lg.Tensor([0, 1, 3]).cuda())
    assert x._cuda
    counts = np.bincount(x.double().array.astype(np.int64), minlength=3)
    np.testing.assert_allclose(counts / 20000, [0, .25, .75], atol=0.02)
    m = dist.mvcat.rnd(5, lg.Tensor([[0, 1], [1, 0]]).cuda())
    assert m.double().array.tolist() == [[1] * 5, [0] * 5]
