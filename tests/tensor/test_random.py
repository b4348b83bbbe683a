"""Seeded random filling: same seed, same values; ranges and distributions roughly right."""
import copy

import numpy as np
import pytest

import legonn as lg
from legonn.tensor.random import generator


def draw():
    return [lg.rand(5).tolist(), lg.randn(2, 2).tolist(), lg.Tensor(4).uniform(-2, 2).tolist(),
            lg.Tensor(4).normal(3, 0.1).tolist(), lg.Tensor(6).bernoulli(0.5).tolist(),
            lg.LongTensor(5).random(10).tolist(), lg.randperm(6).tolist()]


def test_same_seed_same_values():
    lg.manualSeed(7)
    first = draw()
    lg.manualSeed(7)
    assert draw() == first
    lg.manualSeed(8)
    assert draw() != first
    assert lg.initialSeed() == 8


def test_rng_state_restores_the_initial_seed_and_returns_its_argument():
    """doc/random.md: setRNGState returns its argument; THGenerator_copy copies the initial seed too."""
    lg.manualSeed(1)
    state = lg.getRNGState()
    draws = lg.rand(3).tolist()
    lg.manualSeed(2)
    assert lg.setRNGState(state) is state
    assert lg.initialSeed() == 1 and lg.rand(3).tolist() == draws
    old_format = {k: v for k, v in state.items() if k != 'initialSeed'}   # saved before the seed was kept
    lg.manualSeed(3)
    lg.setRNGState(old_format)
    assert lg.initialSeed() == 3 and lg.rand(3).tolist() == draws


def test_rng_state_round_trip():
    state = lg.getRNGState()
    a = lg.rand(3).tolist()
    lg.setRNGState(state)
    assert lg.rand(3).tolist() == a
    s = lg.seed()
    assert lg.initialSeed() == s


def test_uniform_normal_ranges():
    u = lg.DoubleTensor(2000).uniform(-2, 3)
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.2
    n = lg.DoubleTensor(4000).normal(5, 2)
    assert abs(n.mean() - 5) < 0.2 and abs(n.std() - 2) < 0.2
    assert lg.rand(2, 3).size() == (2, 3) and lg.rand(2, 3).type() == 'legonn.FloatTensor'
    assert lg.randn(3, tensortype='legonn.DoubleTensor').type() == 'legonn.DoubleTensor'


def test_bernoulli_with_number_and_tensor_probabilities():
    b = lg.Tensor(4000).bernoulli(0.25)
    assert set(b.tolist()) <= {0.0, 1.0} and abs(b.mean() - 0.25) < 0.05
    p = lg.Tensor([0.0, 1.0, 0.0, 1.0])
    assert lg.Tensor(4).bernoulli(p).tolist() == [0, 1, 0, 1]
    assert lg.ByteTensor(3).bernoulli(1.0).tolist() == [1, 1, 1]


def test_random_integers_are_zero_based():
    r = lg.LongTensor(500).random(4)
    assert set(r.tolist()) == {0, 1, 2, 3}
    r = lg.LongTensor(500).random(-2, 2)
    assert set(r.tolist()) == {-2, -1, 0, 1}
    f = lg.Tensor(100).random(3)
    assert f.type() == 'legonn.FloatTensor' and set(f.tolist()) <= {0.0, 1.0, 2.0}
    with pytest.raises(ValueError, match='empty range'):
        lg.LongTensor(2).random(3, 3)


def test_random_bounds_are_read_as_c_longs():
    """TensorMath.lua passes random's bounds as C longs (truncated toward zero): random(2.9) draws from
    [0, 2), random(-2.5, 1.5) from [-2, 1), and random(0.5) is the empty [0, 0), refused by name."""
    assert set(lg.LongTensor(400).random(2.9).tolist()) == {0, 1}
    assert set(lg.LongTensor(400).random(-2.5, 1.5).tolist()) == {-2, -1, 0}
    with pytest.raises(ValueError, match=r'LongTensor.random: empty range \[0, 0\)'):
        lg.LongTensor(2).random(0.5)


def test_randperm_is_a_zero_based_permutation():
    p = lg.randperm(10)
    assert p.type() == 'legonn.LongTensor' and sorted(p.tolist()) == list(range(10))


def test_other_distributions_fill_in_place():
    x = lg.DoubleTensor(1000)
    assert x.exponential(2.0) is x and x.min() >= 0 and abs(x.mean() - 0.5) < 0.1
    assert x.geometric(0.5).min() >= 1
    # Torch7's p is the chance to go on (doc/random.md: p(i) = (1-p) p^(i-1)): mean 1 / (1 - p)
    many = lg.DoubleTensor(200000)
    assert abs(many.geometric(0.2).mean() - 1.25) < 0.01 and abs(many.geometric(0.9).mean() - 10) < 0.2
    assert (many.geometric(0.2).array == np.floor(many.array)).all()
    with pytest.raises(ValueError, match='geometric'):
        x.geometric(1.0)
    assert x.logNormal(0, 0.5).min() > 0
    assert np.isfinite(x.cauchy().array).all()


def test_random_fill_of_a_view_writes_parent():
    x = lg.zeros(3, 4)
    x.narrow(1, 1, 2).uniform(1, 2)
    a = x.array
    assert (a[:, [0, 3]] == 0).all() and (a[:, 1:3] >= 1).all()


def test_generator_objects_carry_their_own_stream():
    """torch7's random.lua and TensorMath.lua take an optional leading Generator (THGenerator_new seeds it from
    the OS) in manualSeed, initialSeed, seed, getRNGState, setRNGState, random/uniform/normal/..., rand, randn,
    randperm and the tensor fill methods; doc/random.md: a generator seeded as the global one draws the same
    numbers, and drawing from one leaves the other's stream alone."""
    lg.manualSeed(0)
    first = lg.random()
    gen = lg.Generator()
    lg.manualSeed(gen, 0)
    assert lg.random(gen) == first and lg.initialSeed(gen) == 0
    assert lg.random(gen) == lg.random()            # the global stream went on from its first draw
    lg.manualSeed(gen, 3)
    x = lg.rand(gen, 2, 2)
    r = lg.Tensor()
    lg.manualSeed(gen, 3)
    assert lg.rand(r, gen, 2, 2) is r and r.equal(x)
    lg.manualSeed(gen, 5)
    p = lg.randperm(gen, 6)
    lg.manualSeed(gen, 5)
    assert p.equal(lg.randperm(gen, 6)) and sorted(p.tolist()) == list(range(6))
    lg.manualSeed(gen, 5)
    assert lg.LongTensor().randperm(gen, 6).equal(p)             # the method forms take the generator too
    lg.manualSeed(gen, 3)
    assert lg.Tensor().rand(gen, 2, 2).equal(x)
    lg.manualSeed(gen, 5)
    n = lg.randn(gen, 3)
    lg.manualSeed(gen, 5)
    assert n.equal(lg.Tensor(3).normal(gen)) and not n.equal(lg.randn(3))
    state = lg.getRNGState(gen)
    u = lg.uniform(gen, 2, 3)
    assert lg.setRNGState(gen, state) is state and lg.uniform(gen, 2, 3) == u and 2 <= u < 3
    lg.manualSeed(7)
    k = lg.uniform()
    lg.manualSeed(7)
    lg.Tensor(5).uniform(gen)
    assert lg.uniform() == k


def test_a_generator_saves_and_copies_at_its_position(tmp_path):
    """torch7's test.lua serializeGenerator: a Generator survives torch.serialize with its stream where it was
    (seed and position), as do lg.save/lg.load and copy.deepcopy; each copy then draws on its own."""
    gen = lg.Generator()
    lg.manualSeed(gen, 123)
    lg.rand(gen, 7)                                    # move it off its seeded start
    back = lg.deserialize(lg.serialize(gen))
    lg.save(tmp_path / 'gen.lg', {'gen': gen})
    loaded = lg.load(tmp_path / 'gen.lg')['gen']
    twin = copy.deepcopy(gen)
    expected = lg.rand(gen, 5)
    for other in (back, loaded, twin):
        assert isinstance(other, lg.Generator) and lg.initialSeed(other) == 123
        assert lg.rand(other, 5).equal(expected)
    assert lg.uniform(back) == lg.uniform(twin) and lg.uniform(back) != lg.uniform(loaded)
    lg.manualSeed(gen, 9)                              # reseeding is recorded too
    assert lg.deserialize(lg.serialize(gen)).__dict__ == gen.__dict__ and lg.initialSeed(gen) == 9


def test_random_without_bounds_draws_32_bit_numbers():
    """THTensor_(random) (TH/generic/THTensorRandom.c) reduces THRandom_random's 32-bit draw modulo the type's
    range, and torch.random() returns that draw (doc/random.md: "an unsigned 32 bit integer"): [0, 2^32) for
    Long and Double, [0, 2^24] for Float, [0, 255] for Byte."""
    lg.manualSeed(1)
    for cls, end in ((lg.LongTensor, 2 ** 32), (lg.DoubleTensor, 2 ** 32), (lg.FloatTensor, 2 ** 24 + 1),
                     (lg.ByteTensor, 256), (lg.IntTensor, 2 ** 31)):
        x = cls(4000).random()
        assert 0 <= x.min() and x.max() < end and x.max() > end / 2, cls
    draws = [lg.random() for _ in range(200)]
    assert all(0 <= d < 2 ** 32 for d in draws) and max(draws) > 2 ** 31


def test_distribution_arguments_checked_as_thrandom_checks_them():
    """TH/THRandom.c: THRandom_normal and THRandom_logNormal check stdv > 0, THRandom_bernoulli 0 <= p <= 1
    (per element for a tensor of probabilities), and THRandom_uniform computes a + (b - a) u with no check,
    so b < a draws from (b, a]."""
    with pytest.raises(ValueError, match='normal: standard deviation must be strictly positive'):
        lg.normal(0, 0)
    with pytest.raises(ValueError, match='logNormal: standard deviation'):
        lg.DoubleTensor(3).logNormal(1, -2)
    with pytest.raises(ValueError, match='bernoulli: the probability'):
        lg.bernoulli(1.5)
    with pytest.raises(ValueError, match='bernoulli: the probability'):
        lg.DoubleTensor(3).bernoulli(lg.DoubleTensor([0.5, 2, 0.1]))
    assert lg.DoubleTensor(3).bernoulli(lg.DoubleTensor([0, 1, 1])).tolist() == [0, 1, 1]
    backwards = lg.DoubleTensor(1000).uniform(2, 1)
    assert 1 < backwards.min() and backwards.max() <= 2
    lg.manualSeed(4)
    first = lg.DoubleTensor(5).uniform(-0.1, 0.1)
    assert np.array_equal(first.numpy(), np.random.Generator(np.random.PCG64(4)).uniform(-0.1, 0.1, 5))


@pytest.mark.gpu
def test_a_loaded_generator_draws_on_the_gpu_too():
    """A Generator read back by deserialize seeds its GPU stream from its recorded seed, as a fresh one does."""
    gen = lg.Generator()
    lg.manualSeed(gen, 11)
    expected = lg.CudaTensor(4).uniform(gen)
    lg.manualSeed(gen, 11)
    back = lg.deserialize(lg.serialize(gen))
    assert np.array_equal(lg.CudaTensor(4).uniform(back).cpu().numpy(), expected.cpu().numpy())


def test_multinomial_with_replacement_draws_a_million_from_a_million_categories():
    """torch7's test_Multinomial.lua draws 1,001,000 times from as many categories: each draw is a binary search
    of the cumulative weights (THTensor_(multinomial)'s), not a comparison with every category (10^12 bytes),
    and picks the first category whose cumulative weight exceeds it: never one of weight zero."""
    p = lg.Tensor(1001000).fill(1)
    p.narrow(0, 50000, 50000).fill(1e-3)
    p[7] = 0
    drawn = lg.multinomial(p, 1001000, True)
    assert drawn.size() == (1001000,) and drawn.min() >= 0 and drawn.max() < 1001000
    assert int(drawn.eq(7).sum()) == 0
    lg.manualSeed(3)
    small = lg.multinomial(lg.Tensor([[0, 1, 3], [2, 0, 2]]), 4000, True)
    counts = [[int(small[r].eq(c).sum()) for c in range(3)] for r in range(2)]
    assert counts[0][0] == counts[1][1] == 0
    assert abs(counts[0][2] - 3000) < 150 and abs(counts[1][2] - 2000) < 150


@pytest.mark.parametrize('k, n', [(3000, 5000), (10, 5000), (3000, 10)], ids=['sorted', 'few categories', 'few draws'])
def test_multinomial_with_replacement_keeps_the_stream(k, n):
    """The draws for a seed are the binary searches of the seed's uniforms in the order drawn (legonn's stream:
    one uniform per draw, row after row, scaled by the row's total weight), whether the CPU searches them
    sorted (many draws over many categories) or as drawn."""
    w = np.random.default_rng(k + n).random((2, k))
    w[:, 1] = 0
    lg.manualSeed(5)
    drawn = lg.multinomial(lg.from_numpy(w), n, True).numpy()
    lg.manualSeed(5)
    cdf = np.cumsum(w, axis=1)
    u = generator(False).uniform(size=(2, n)) * cdf[:, -1:]
    expected = np.stack([np.searchsorted(cdf[r], u[r], side='right') for r in range(2)])
    np.testing.assert_array_equal(drawn, expected)
    assert not (drawn == 1).any()


@pytest.mark.parametrize('rows, k, n', [(0, 7, 1), (0, 7, 4), (0, 7, 5), (0, 5000, 10), (0, 5000, 4998),
                                         (3, 50, 1), (3, 50, 20), (3, 50, 45), (2, 3000, 300)])
def test_multinomial_without_replacement_keeps_the_stream(rows, k, n):
    """The draws for a seed are the Gumbel top-n of the seed's uniforms (legonn's stream: one uniform per
    weight, row after row): the ``n`` largest keys ``log w - log(-log u)`` in decreasing order, whether all keys
    are sorted or the ``n`` largest selected first. Two weights of each row are zero (never drawn, and ``n`` up
    to the count of positive ones)."""
    shape = (k,) if rows == 0 else (rows, k)
    w = np.random.default_rng(k * 7 + n).random(shape)
    w[..., 2:4] = 0
    for seed in (1, 5, 12):
        lg.manualSeed(seed)
        drawn = lg.multinomial(lg.from_numpy(w), n).numpy()
        lg.manualSeed(seed)
        w2 = w.reshape(-1, k)
        with np.errstate(divide='ignore'):
            keys = np.log(w2) - np.log(-np.log(generator(False).uniform(size=w2.shape)))
        expected = np.argsort(-keys, axis=1, kind='stable')[:, :n]
        np.testing.assert_array_equal(drawn, expected.reshape(n) if rows == 0 else expected)
        assert not np.isin(drawn, (2, 3)).any() and all(len(set(r)) == n for r in drawn.reshape(-1, n))


def test_multinomial_sorted_search_draws_the_distribution():
    """200,000 draws from 2,000 categories (the sorted search): each category's count is within 5 standard
    deviations of n p, and Pearson's statistic within 5 of its mean (its degrees of freedom) in sigmas."""
    k, n = 2000, 200000
    lg.manualSeed(9)
    w = lg.DoubleTensor(k).uniform(0.5, 1.5)
    w.narrow(0, 0, 10).mul(20)   # a few heavy categories
    counts = np.bincount(lg.multinomial(w, n, True).numpy(), minlength=k)
    expect = n * w.numpy() / w.numpy().sum()
    assert np.all(np.abs(counts - expect) < 5 * np.sqrt(expect))
    chi2 = ((counts - expect) ** 2 / expect).sum()
    assert abs(chi2 - (k - 1)) < 5 * np.sqrt(2 * (k - 1))


@pytest.mark.filterwarnings('error')   # refused by name, without NumPy's overflow warning on the way
def test_multinomial_refuses_weights_whose_sum_overflows():
    """Two weights of 1e308 sum past the largest double: the cumulative weights end in inf, and a draw of inf
    picked category 2 of two; such rows are refused with the other bad weights."""
    for w in ([1e308, 1e308], [[1.0, 2.0], [1e308, 1e308]], [float('nan'), 1.0], [-1.0, 2.0], [0.0, 0.0]):
        with pytest.raises(ValueError, match=r'legonn\.multinomial: expected finite non-negative weights with a '
                                             r'positive, finite sum per row'):
            lg.multinomial(lg.DoubleTensor(w), 3, True)
    assert lg.multinomial(lg.DoubleTensor([1e307, 1e307]), 50, True).max() <= 1


def test_functional_draws_fill_a_tensor_given_first():
    """TensorMath.lua wraps each draw twice: ``torch.uniform(a, b)`` returns a number, ``torch.uniform(x, a, b)``
    fills ``x`` and returns it (torch-autograd's util.dropout calls ``torch.bernoulli(s, keep)``)."""
    x = lg.DoubleTensor(1000)
    assert lg.bernoulli(x, 0.25) is x
    assert set(np.unique(x.numpy())) == {0.0, 1.0} and 150 < x.sum() < 350
    y = lg.FloatTensor(50)
    assert lg.uniform(y, 2, 3) is y and 2 <= y.min() and y.max() < 3
    assert lg.normal(lg.DoubleTensor(4), 1, 2).size() == (4,)
    assert isinstance(lg.bernoulli(0.5), int)


def test_randperm_refuses_a_count_below_one():
    """THTensor_(randperm) checks n > 0 ("must be strictly positive"); n is read as a C long (2.5 is 2)."""
    for n in (0, -3):
        with pytest.raises(ValueError, match=f'randperm: n must be strictly positive, got {n}'):
            lg.randperm(n)
    with pytest.raises(ValueError, match='strictly positive'):
        lg.LongTensor().randperm(0)
    assert sorted(lg.randperm(2.5).tolist()) == [0, 1]


def test_bernoulli_pairs_probabilities_of_another_shape_in_order():
    """THTensor_(bernoulli_DoubleTensor) walks self and p together (TH_TENSOR_APPLY2): a p of as many elements
    in another shape gives its i-th probability to the i-th element; one that broadcasts still broadcasts."""
    p = lg.DoubleTensor([0, 1, 1, 0, 0, 1])
    assert lg.FloatTensor(2, 3).bernoulli(p).tolist() == [[0, 1, 1], [0, 0, 1]]
    assert lg.FloatTensor(3, 2).bernoulli(p.view(2, 3)).tolist() == [[0, 1], [1, 0], [0, 1]]
    assert lg.FloatTensor(3, 2).bernoulli(p.view(2, 3).t()).tolist() == [[0, 0], [1, 0], [1, 1]]
    assert lg.FloatTensor(2, 3).bernoulli(lg.DoubleTensor([[1, 0, 1]])).tolist() == [[1, 0, 1], [1, 0, 1]]
    with pytest.raises(ValueError, match=r'bernoulli: expected an operand of 6 elements \(sizes \(2, 3\)\), got '
                                         r'sizes \(4,\)'):
        lg.FloatTensor(2, 3).bernoulli(lg.DoubleTensor([0, 1, 1, 0]))


def test_exponential_refuses_a_rate_not_positive():
    """THRandom_exponential's -1/lambda * log(1 - u) is inf or negative for lambda <= 0: refused by name."""
    for rate in (0, -1.5):
        with pytest.raises(ValueError, match=f'DoubleTensor.exponential: the rate lambda must be positive, got '
                                             f'{rate}'):
            lg.DoubleTensor(3).exponential(rate)


def _moments_cases(cuda=False):
    """(draw, mean, variance) from TH/THRandom.c's formulas; geometric: P(i) = (1 - p) p^(i - 1), i >= 1, and
    on the GPU cutorch's P(i) = p (1 - p)^(i - 1)."""
    m, s = 0.5, 0.4
    return [
        (lambda t: t.uniform(2, 5), 3.5, 9 / 12),
        (lambda t: t.uniform(5, 2), 3.5, 9 / 12),
        (lambda t: t.normal(1, 3), 1.0, 9.0),
        (lambda t: t.exponential(2), 0.5, 0.25),
        (lambda t: t.geometric(0.3), 1 / 0.3, 0.7 / 0.3 ** 2) if cuda else
        (lambda t: t.geometric(0.3), 1 / 0.7, 0.3 / 0.7 ** 2),
        (lambda t: t.logNormal(m, s), np.exp(m + s * s / 2), (np.exp(s * s) - 1) * np.exp(2 * m + s * s)),
        (lambda t: t.bernoulli(0.3), 0.3, 0.21),
        (lambda t: t.random(3, 9), 5.5, (6 ** 2 - 1) / 12),
        (lambda t: t.random(6), 2.5, (6 ** 2 - 1) / 12),
    ]


MOMENT_CASES = pytest.mark.parametrize('case', range(len(_moments_cases())), ids=[
    'uniform', 'uniform b<a', 'normal', 'exponential', 'geometric', 'logNormal', 'bernoulli', 'random(a, b)',
    'random(b)'])


@MOMENT_CASES
@pytest.mark.parametrize('typename', ['DoubleTensor', 'FloatTensor', pytest.param('CudaTensor', marks=pytest.mark.gpu),
                                      pytest.param('CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_sample_moments_match_thrandom_formulas(case, typename):
    """10^5 seeded draws: the sample mean within 5 standard errors of the formula's mean, the sample variance
    within 5% of the formula's (fixed seed: the test cannot flake)."""
    draw, mean, var = _moments_cases(typename.startswith('Cuda'))[case]
    lg.manualSeed(2024 + case)
    x = draw(lg.DoubleTensor(100000).type('legonn.' + typename)).double().array
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / x.size)
    assert abs(x.var() / var - 1) < 0.05


def test_cauchy_quartiles_and_multinomial_pairs_match_their_distributions():
    """Cauchy(median, sigma) has quartiles median -+ sigma; multinomial without replacement draws the first
    index with probability w_i / S and the second w_j / (S - w_i) (THTensor_(multinomial) renormalises)."""
    lg.manualSeed(5)
    c = lg.DoubleTensor(100000).cauchy(1, 2).array
    q1, med, q3 = np.percentile(c, [25, 50, 75])
    assert abs(med - 1) < 0.05 and abs(q1 + 1) < 0.06 and abs(q3 - 3) < 0.06
    w = np.array([1.0, 2.0, 3.0, 4.0])
    draws = lg.multinomial(lg.DoubleTensor(np.tile(w, (50000, 1))), 2).array
    counts = np.zeros((4, 4))
    np.add.at(counts, (draws[:, 0], draws[:, 1]), 1)
    expected = np.array([[0 if i == j else w[i] / 10 * w[j] / (10 - w[i]) for j in range(4)] for i in range(4)])
    expected *= 50000
    off = ~np.eye(4, dtype=bool)
    assert counts.diagonal().sum() == 0
    assert ((counts[off] - expected[off]) ** 2 / expected[off]).sum() < 40   # chi-square, 11 degrees of freedom


@pytest.mark.gpu
def test_bernoulli_pairs_probabilities_in_order_on_the_gpu():
    p = lg.DoubleTensor([0, 1, 1, 0, 0, 1]).cuda()
    assert lg.FloatTensor(3, 2).cuda().bernoulli(p.view(2, 3)).float().tolist() == [[0, 1], [1, 0], [0, 1]]
    with pytest.raises(ValueError, match='bernoulli: expected an operand of 6 elements'):
        lg.FloatTensor(2, 3).cuda().bernoulli(p.narrow(0, 0, 4))
    with pytest.raises(TypeError, match='CudaTensor.bernoulli: operand is on the CPU'):
        lg.FloatTensor(6).cuda().bernoulli(p.double())
    with pytest.raises(TypeError, match='FloatTensor.bernoulli: operand is on the GPU'):
        lg.FloatTensor(6).bernoulli(p)


def test_negative_and_huge_seeds_map_as_torch7s_c():
    """torch.manualSeed reads its seed as cwrap's long, (long)lua_tonumber(L, 2) (cwrap types.lua), and hands it
    to THRandom_manualSeed's unsigned long: -1 seeds as 2^64 - 1 and initialSeed (a long again) gives -1; a
    fraction is truncated; a Python int past 2^53 rounds to the double Lua holds; a double outside the long
    range gives x86-64's conversion, LONG_MIN. legonn refused negative seeds (NumPy's ValueError) and seeded
    2^64 + 5 as itself."""
    lg.manualSeed(-1)
    minus_one = lg.rand(4).tolist()
    assert lg.initialSeed() == -1
    lg.manualSeed(2.9)
    fraction = lg.rand(4).tolist()
    assert lg.initialSeed() == 2
    lg.manualSeed(2)
    assert lg.rand(4).tolist() == fraction
    lg.manualSeed(2 ** 53 + 1)
    assert lg.initialSeed() == 2 ** 53
    for huge in (2 ** 64 + 5, 1e300, -1e300, float('inf'), float('nan')):
        lg.manualSeed(huge)
        assert lg.initialSeed() == -2 ** 63
    assert lg.rand(4).tolist() != minus_one
    lg.manualSeed(-1)
    assert lg.rand(4).tolist() == minus_one
    state = lg.getRNGState()
    lg.manualSeed(5)
    lg.setRNGState(state)
    assert lg.initialSeed() == -1
    gen = lg.Generator()
    lg.manualSeed(gen, -3)
    assert lg.initialSeed(gen) == -3
    with pytest.raises(TypeError, match='manualSeed: expected a number seed, got str'):
        lg.manualSeed('3')


@pytest.mark.gpu
def test_negative_seed_seeds_the_gpu_stream_too():
    """lg.manualSeed(-1) seeds the CuPy stream with the same unsigned 2^64 - 1 (a negative seed made CuPy's
    RandomState fail); cutorch.manualSeed(-1) maps the same way, and cutorch.initialSeed, an unsigned long long
    in cutorch's init.c, gives 2^64 - 1."""
    from legonn import cutorch
    lg.manualSeed(-1)
    first = lg.CudaTensor(4).uniform().float().numpy().copy()
    cutorch.manualSeed(-1)
    np.testing.assert_array_equal(lg.CudaTensor(4).uniform().float().numpy(), first)
    assert cutorch.initialSeed() == 2 ** 64 - 1 and lg.initialSeed() == -1
