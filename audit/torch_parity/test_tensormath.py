"""Parity audit of legonn's Tensor maths against PyTorch (CPU, float64), an independent implementation of the
same maths descended from Torch7's TH.

Torch7 (torch7's lib/TH/generic/THTensorMath.c, THTensorLapack.c and TensorMath.lua) is the contract: where
PyTorch later changed the maths, the test asserts the difference as it is, with both sources cited, and that
legonn gives Torch7's number. Dimensions and indices are 0-based in legonn and PyTorch alike (Torch7's are
1-based). Reductions along a dimension keep it with size 1 (Torch7's keepdim), so PyTorch is asked for
keepdim=True. Inputs are seeded, in three memory layouts where a layout could matter (contiguous, a transposed
view, a strided view with an offset).
"""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip('torch')

import legonn as lg  # noqa: E402

RTOL = 1e-10
ATOL = 1e-13
DOUBLE = 'legonn.DoubleTensor'
LAYOUTS = ('contiguous', 'transposed', 'strided')


# --- helpers ---------------------------------------------------------------
def lgt(a, layout='contiguous'):
    """A legonn tensor holding the values of the array ``a`` (float64 unless integer), in ``layout``."""
    a = np.asarray(a)
    if a.dtype.kind == 'f':
        a = a.astype(np.float64)
    if layout == 'contiguous' or a.ndim == 0:
        return lg.from_numpy(a.copy())
    if layout == 'transposed':
        order = tuple(reversed(range(a.ndim)))
        return lg.from_numpy(np.ascontiguousarray(a.transpose(order))).permute(*order)
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1] + 1,), dtype=a.dtype)
    big[..., 1::2] = a
    t = lg.from_numpy(big[..., 1::2])
    assert not t.isContiguous() or a.shape[-1] <= 1
    return t


def tt(a):
    return torch.from_numpy(np.array(a, copy=True))


def as_np(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if hasattr(x, 'array'):
        return np.asarray(x.array)
    return np.asarray(x)


def close(got, want, rtol=RTOL, atol=ATOL):
    g, w = as_np(got), as_np(want)
    assert g.shape == w.shape, (g.shape, w.shape)
    np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)


def same(got, want):
    g, w = as_np(got), as_np(want)
    assert g.shape == w.shape, (g.shape, w.shape)
    np.testing.assert_array_equal(g, w)


def normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def ties(shape, seed=0):
    """Small whole numbers: many equal values in each slice, for the tie rules."""
    return np.random.default_rng(seed).integers(-2, 3, shape).astype(np.float64)


SHAPES = [(3, 4, 5), (1, 7), (6,), (2, 1, 3), (2, 37)]
DIM_CASES = [(s, d) for s in SHAPES for d in range(len(s))]


def dim_id(case):
    return f"{'x'.join(map(str, case[0]))}-d{case[1]}"


def along(case, layout, seed, make=normal):
    """(dimension, legonn tensor, torch tensor) of one DIM_CASES case: the same values in both."""
    shape, d = case
    a = make(shape, seed)
    return d, lgt(a, layout), tt(a)


# --- reductions along a dimension -------------------------------------------
@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('case', DIM_CASES, ids=dim_id)
def test_sum_prod_mean_cumsum_cumprod_along_a_dimension(case, layout):
    d, x, t = along(case, layout, 1)
    close(x.sum(d), t.sum(d, keepdim=True))
    close(x.prod(d), t.prod(d, keepdim=True))
    close(x.mean(d), t.mean(d, keepdim=True))
    close(x.cumsum(d), t.cumsum(d))
    close(x.cumprod(d), t.cumprod(d))
    close(lg.sum(x, d), t.sum(d, keepdim=True))


@pytest.mark.parametrize('biased', [False, True])
@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('case', DIM_CASES, ids=dim_id)
def test_std_and_var_with_torch7s_flag(case, layout, biased):
    """``x:std(d, flag)``: flag true divides by n (biased), false by n - 1. A dimension of size 1 with n - 1 is
    NaN in both (0/0 in THTensor_(var)'s formula). Torch7's one-pass sum2 / n - mean^2 loses what rounds away
    from sum2 (see the expected difference below): the variances agree to that, 16 ulps of mean(x^2)."""
    d, x, t = along(case, layout, 2)
    correction = 0 if biased else 1
    a = t.numpy()
    n = a.shape[d]
    slack = 16 * np.finfo(np.float64).eps * (a * a).sum(d, keepdims=True) / max(n - correction, 1)
    with np.errstate(all='ignore'), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        want = t.var(d, correction=correction, keepdim=True).numpy()
        for got in (x.var(d, biased), lg.var(x, d, biased)):
            got = as_np(got)
            assert got.shape == want.shape
            assert (np.isnan(got) == np.isnan(want)).all()
            assert (np.abs(got - want) <= 1e-12 * np.abs(want) + slack)[~np.isnan(want)].all()
        std, want_std = as_np(x.std(d, biased)), np.sqrt(want)
        assert (np.abs(std ** 2 - want_std ** 2) <= 1e-12 * want + 2 * slack)[~np.isnan(want)].all()
        close(std[want > 1e-4], want_std[want > 1e-4], rtol=1e-9)


@pytest.mark.parametrize('data', ['normal', 'ties'])
@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('case', DIM_CASES, ids=dim_id)
def test_max_min_values_and_first_index_on_ties(case, layout, data):
    """THTensor_(max)/(min) keep the first extreme (``!(value <= theMax)``): the first index among ties, as
    PyTorch's."""
    d, x, t = along(case, layout, 3, (normal if data == 'normal' else ties))
    for mine, theirs in ((x.max(d), t.max(d, keepdim=True)), (x.min(d), t.min(d, keepdim=True))):
        close(mine[0], theirs.values)
        same(mine[1], theirs.indices)


@pytest.mark.parametrize('layout', LAYOUTS)
def test_max_min_with_nan_take_the_first_nan(layout):
    """A NaN wins and stops the scan (th_isnan_break), in THTensor_(max)'s both loops, as in PyTorch."""
    a = normal((5, 4), 4)
    a[2, 1] = a[4, 1] = a[0, 3] = a[3, 0] = np.nan
    x, t = lgt(a, layout), tt(a)
    for d in (0, 1):
        for mine, theirs in ((x.max(d), t.max(d, keepdim=True)), (x.min(d), t.min(d, keepdim=True))):
            close(mine[0], theirs.values)
            same(mine[1], theirs.indices)
    assert math.isnan(x.max()) and math.isnan(x.min()) and math.isnan(t.max().item())


@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('case', DIM_CASES, ids=dim_id)
def test_median_is_the_lower_middle_and_kthvalue(case, layout):
    """THTensor_(median) is kthvalue((n - 1) >> 1 + 1): the lower middle of an even count, as PyTorch's."""
    d, x, t = along(case, layout, 5)
    v, i = x.median(d)
    want = t.median(d, keepdim=True)
    close(v, want.values)
    same(i, want.indices)
    for k in range(case[0][d]):
        v, i = x.kthvalue(k, d)                       # legonn's k is 0-based, PyTorch's 1-based
        want = t.kthvalue(k + 1, d, keepdim=True)
        close(v, want.values)
        same(i, want.indices)


def test_median_of_an_even_count_is_the_lower_middle():
    x = lgt([[4.0, 1.0, 3.0, 2.0]])
    assert x.median(1)[0].tolist() == [[2.0]] == torch.tensor([[4.0, 1.0, 3.0, 2.0]]).median(1)[0][:, None].tolist()


@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('case', DIM_CASES, ids=dim_id)
def test_median_kthvalue_mode_values_on_ties(case, layout):
    """With ties the values are defined (which index Torch7's quickselect returns among equal values is not:
    legonn gives one holding the value)."""
    d, x, t = along(case, layout, 6, ties)
    for mine, theirs in ((x.median(d), t.median(d, keepdim=True)), (x.mode(d), t.mode(d, keepdim=True)),
                         (x.kthvalue(0, d), t.kthvalue(1, d, keepdim=True))):
        close(mine[0], theirs.values)
        close(x.gather(d, mine[1]), mine[0])


def test_mode_takes_the_smallest_of_equally_frequent_values_and_its_last_position():
    """THTensor_(mode) walks the sorted slice and keeps the first run of the largest count (the smallest value);
    its index is that run's last element, the value's last position where the sort kept equal values in order
    (its insertion sort does, for slices of up to 11 elements). PyTorch's mode gives the same."""
    a = np.array([[1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 1.0], [3.0, 2.0, 2.0, 3.0, 0.0, 5.0, 5.0]])
    v, i = lgt(a).mode(1)
    want = tt(a).mode(1, keepdim=True)
    same(v, want.values)
    same(i, want.indices)
    assert v.tolist() == [[1.0], [2.0]] and i.tolist() == [[6], [2]]


@pytest.mark.parametrize('descending', [False, True])
@pytest.mark.parametrize('data', ['normal', 'ties'])
@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('case', DIM_CASES, ids=dim_id)
def test_sort(case, layout, data, descending):
    """Values as PyTorch's; indices as PyTorch's stable sort (legonn keeps equal values in order; Torch7's
    quicksort leaves their order unspecified, docs/porting.md's table.sort row)."""
    d, x, t = along(case, layout, 7, (normal if data == 'normal' else ties))
    v, i = x.sort(d, descending)
    want = t.sort(dim=d, descending=descending, stable=True)
    close(v, want.values)
    same(i, want.indices)


@pytest.mark.parametrize('largest', [False, True])
@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('case', DIM_CASES, ids=dim_id)
def test_topk_sorted(case, layout, largest):
    """``topk(k, d, dir, true)``: the k smallest ascending (dir false) or the k largest descending."""
    d, x, t = along(case, layout, 8)
    for k in sorted({1, (case[0][d] + 1) // 2, case[0][d]}):
        v, i = x.topk(k, d, largest, True)
        want = t.topk(k, d, largest=largest, sorted=True)
        close(v, want.values)
        same(i, want.indices)


@pytest.mark.parametrize('largest', [False, True])
def test_topk_unsorted_gives_the_same_set(largest):
    a = normal((4, 9), 9)
    v, i = lgt(a).topk(4, 1, largest, False)
    want = tt(a).topk(4, 1, largest=largest, sorted=False)
    close(np.sort(as_np(v), 1), np.sort(want.values.numpy(), 1))
    same(np.sort(as_np(i), 1), np.sort(want.indices.numpy(), 1))


@pytest.mark.parametrize('p', [0, 1, 2, 3, 0.5, 1.5, -1, math.inf])
@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('case', DIM_CASES, ids=dim_id)
def test_norm_along_a_dimension(case, layout, p):
    """p = 0 counts the non-zero elements (THTensor_(norm)'s own branch); p = inf is the largest |x| in legonn
    and PyTorch (TH's pow formula would give pow(sum, 1/inf) = 1: see the audit's report)."""
    shape, d = case
    a = normal(shape, 10)
    a.flat[::4] = 0
    x, t = lgt(a, layout), tt(a)
    close(x.norm(p, d), torch.linalg.vector_norm(t, p, dim=d, keepdim=True))


# --- whole-tensor reductions (numbers) ---------------------------------------
@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('shape', [(3, 4, 5), (1,), (7,), (2, 3)])
def test_whole_tensor_reductions_are_numbers(shape, layout):
    a = normal(shape, 11)
    x, t = lgt(a, layout), tt(a)
    for got, want in ((x.sum(), t.sum()), (x.prod(), t.prod()), (x.mean(), t.mean()), (x.max(), t.max()),
                      (x.min(), t.min())):
        assert isinstance(got, float)
        close(got, want)
    if a.size > 1:
        close(x.var(), t.var())
        close(x.std(), t.std())
    close(x.var(True), t.var(correction=0))
    close(x.std(True), t.std(correction=0))
    for p in (0, 1, 2, 3, 0.5, math.inf):
        close(x.norm(p), torch.linalg.vector_norm(t, p))
    b = normal(shape, 12)
    for p in (1, 2, 3, 0.5):
        close(x.dist(lgt(b, layout), p), torch.dist(t, tt(b), p))


def test_std_of_one_element_unbiased_is_nan():
    """THTensor_(varall) divides by n - 1 = 0: NaN, as PyTorch's (which also warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert math.isnan(lgt([5.0]).std()) and math.isnan(tt([5.0]).std().item())
    assert lgt([5.0]).std(True) == 0.0 == tt([5.0]).std(correction=0).item()


@pytest.mark.parametrize('shape', [(4, 4), (3, 5), (5, 2), (1, 1)])
def test_trace(shape):
    a = normal(shape, 13)
    close(lgt(a).trace(), torch.trace(tt(a)))
    close(lg.trace(lgt(a, 'transposed')), torch.trace(tt(a)))


@pytest.mark.parametrize('p', [1, 2, 3, 1.5])
@pytest.mark.parametrize('dim', [0, 1, 2])
def test_renorm(p, dim):
    """THTensor_(renorm): a slice whose p-norm exceeds maxnorm is scaled by maxnorm / (norm + 1e-7), as
    PyTorch's; a zero slice and one at the bound are copied."""
    a = normal((4, 3, 5), 14) * 2
    a[1] = 0
    for maxnorm in (0.5, 2.0, 50.0):
        close(lgt(a).renorm(p, dim, maxnorm), tt(a).renorm(p, dim, maxnorm))
        close(lg.renorm(lgt(a, 'transposed'), p, dim, maxnorm), tt(a).renorm(p, dim, maxnorm))


@pytest.mark.parametrize('bins,lo,hi', [(10, -1.0, 1.0), (7, 0, 0), (3, 0.0, 3.0), (1, -5.0, 5.0), (100, -2.0, 0.5)])
def test_histc(bins, lo, hi):
    """THTensor_(histc): [lo, hi] in equal bins, hi in the last one, values outside ignored, the data's range
    when lo == hi (widened by 1 each way when that is one value)."""
    a = normal(200, 15)
    a[:3] = [lo, hi, 3.0]
    close(lgt(a).histc(bins, lo, hi), torch.histc(tt(a), bins, lo, hi))
    close(lgt(np.full(4, 2.0)).histc(4), torch.histc(tt(np.full(4, 2.0)), 4))
    # bhistc: each row over one range (the whole matrix's when lo == hi), no PyTorch counterpart but histc
    rows = a.reshape(8, 25)
    lo_all, hi_all = (lo, hi) if lo != hi else (rows.min(), rows.max())
    close(lgt(rows).bhistc(bins, lo, hi), torch.stack([torch.histc(tt(r), bins, lo_all, hi_all) for r in rows]))


# --- pointwise ----------------------------------------------------------------
SPECIAL = np.array([-2.5, -1.5, -0.75, -0.5, -0.0, 0.0, 0.3, 0.5, 1.5, 2.5, 3.7, -3.7, 0.49999999999999994,
                    1e-300, -1e-300, 1e300, -1e300, 20.0, -20.0, 800.0, -800.0, np.inf, -np.inf, np.nan])
UNARY = {'abs': torch.abs, 'exp': torch.exp, 'log': torch.log, 'log1p': torch.log1p, 'expm1': torch.expm1,
         'sqrt': torch.sqrt, 'rsqrt': torch.rsqrt, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid,
         'sign': torch.sign, 'floor': torch.floor, 'ceil': torch.ceil, 'trunc': torch.trunc, 'frac': torch.frac,
         'neg': torch.neg, 'cinv': torch.reciprocal, 'cos': torch.cos, 'sin': torch.sin, 'tan': torch.tan,
         'acos': torch.acos, 'asin': torch.asin, 'atan': torch.atan, 'cosh': torch.cosh, 'sinh': torch.sinh,
         'square': torch.square}


@pytest.mark.parametrize('name', sorted(UNARY))
@pytest.mark.parametrize('layout', ['contiguous', 'strided'])
def test_unary_functions_on_special_values(name, layout):
    """TH's LAB_IMPLEMENT_BASIC_FUNCTIONs (THTensorMath.c:2880-2917): sign is 0 for NaN and zeros, frac is
    x - trunc(x), sigmoid 1 / (1 + exp(-x)), cinv 1 / x; in place, into a result, and functional."""
    a = np.concatenate([SPECIAL, normal(11, 16)])
    want = UNARY[name](tt(a))
    with np.errstate(all='ignore'):
        got = getattr(lg, name)(lgt(a, layout))
        close(got, want, rtol=1e-14)
        close(getattr(lgt(a, layout).clone(), name)(), want, rtol=1e-14)
        close(getattr(lg.DoubleTensor(), name)(lgt(a, layout)), want, rtol=1e-14)
    zeros = as_np(got) == 0     # and the sign of a zero result (frac of -3. is +0, -x of 0. is -0)
    same(np.signbit(as_np(got)[zeros]), np.signbit(want.numpy()[zeros]))


BINARY = {'cfmod': torch.fmod, 'cremainder': torch.remainder, 'atan2': torch.atan2, 'cpow': torch.pow,
          'cdiv': torch.div, 'cmul': torch.mul, 'cmax': torch.maximum, 'cmin': torch.minimum}


@pytest.mark.parametrize('name', sorted(BINARY))
@pytest.mark.parametrize('layout', LAYOUTS)
def test_binary_functions(name, layout):
    """Dividends and divisors of both signs, zeros included (fmod keeps the dividend's sign, remainder takes the
    divisor's; atan2 of signed zeros); no NaN or infinite operand (their rules are asserted below)."""
    a = np.concatenate([[-7.0, -7.0, 7.0, 7.0, -5.5, 5.5, 0.0, -0.0, 0.0, -0.0, 3.0, -3.0], normal(12, 17) * 4])
    b = np.concatenate([[3.0, -3.0, 3.0, -3.0, 2.0, -2.0, 3.0, 3.0, -1.0, -1.0, 0.5, 0.25], normal(12, 18)])
    if name == 'cpow':
        a = np.abs(a) + 0.1
    a, b = a.reshape(4, 6), b.reshape(4, 6)
    want = BINARY[name](tt(a), tt(b))
    close(getattr(lg, name)(lgt(a, layout), lgt(b, layout)), want, rtol=1e-13)
    close(getattr(lgt(a, layout).clone(), name)(lgt(b)), want, rtol=1e-13)


def test_remainder_and_fmod_by_zero():
    """THTensor_(cremainder)'s ``(b == 0) ? NAN : ...`` and C's fmod(x, 0): NaN, as PyTorch's."""
    a, b = np.array([3.0, -3.0, 0.0]), np.zeros(3)
    for got in (lg.cremainder(lgt(a), lgt(b)), lg.remainder(lgt(a), 0.0), lg.cfmod(lgt(a), lgt(b)),
                lg.fmod(lgt(a), 0.0)):
        assert np.isnan(as_np(got)).all()
    assert torch.remainder(tt(a), tt(b)).isnan().all() and torch.fmod(tt(a), 0.0).isnan().all()


@pytest.mark.parametrize('v', [3.0, -3.0, 2.5, -2.5, 0.375, -0.125])
def test_fmod_and_remainder_by_a_number(v):
    """Divisors whose quotients round exactly (for others see the expected difference below)."""
    a = np.concatenate([[-7.0, 7.0, -5.0, 5.0, 0.0, 7.5, -7.5], normal(9, 19) * 6])
    close(lg.fmod(lgt(a), v), torch.fmod(tt(a), v), rtol=1e-12)
    close(lg.remainder(lgt(a), v), torch.remainder(tt(a), v), rtol=1e-12, atol=1e-12)
    close(lgt(a).remainder(v), torch.remainder(tt(a), v), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('v', [2, 3, 0.5, -0.5, -1, -2, 1, 1.7, -3, 4, 0, 1 / 3])
def test_pow_by_a_number_with_negative_bases_and_its_special_cases(v):
    """THTensor_(pow) (THTensorMath.c:2920-2947) computes x*x, x*x*x, sqrt, 1/sqrt, 1/x and 1/(x*x) for 2, 3,
    0.5, -0.5, -1, -2, as PyTorch does: 1/(x*x) is 0 where x*x overflows (1e155), 1/sqrt(-0.) is -inf and
    1/sqrt(-inf) NaN, where C's pow would give 1e-310, inf and 0; a negative base to a fraction is NaN."""
    a = np.array([-8.0, -2.0, -0.5, -0.0, 0.0, 0.5, 2.0, 8.0, 1e155, -1e155, 1e-200, np.inf, -np.inf, np.nan])
    want = torch.pow(tt(a), v)
    with np.errstate(all='ignore'):
        close(lg.pow(lgt(a), v), want, rtol=1e-14, atol=0)      # atol 0: 1e-310 is not 0
        close(lgt(a).pow(v), want, rtol=1e-14, atol=0)
        close(lg.DoubleTensor().pow(lgt(a, 'strided'), v), want, rtol=1e-14, atol=0)
        if v in (-2, -0.5):
            got = as_np(lgt(a).pow(v))
            assert (np.signbit(got) == np.signbit(want.numpy())).all()


@pytest.mark.parametrize('v', [2.0, -2.0, 0.5, 10.0, -0.5])
def test_number_to_a_tensor_power(v):
    """``lg.pow(v, x)``: THTensor_(tpow), C's pow(v, x) for every element."""
    a = np.concatenate([[0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0, np.inf, -np.inf], normal(6, 20)])
    with np.errstate(all='ignore'):
        close(lg.pow(v, lgt(a)), torch.pow(v, tt(a)), rtol=1e-14)


@pytest.mark.parametrize('lo,hi', [(-0.5, 0.7), (0.0, 0.0), (-np.inf, 0.2), (0.1, np.inf)])
def test_clamp(lo, hi):
    a = np.concatenate([normal(20, 21), [np.inf, -np.inf, np.nan]])
    close(lg.clamp(lgt(a), lo, hi), torch.clamp(tt(a), lo, hi))
    close(lgt(a, 'strided').clone().clamp(lo, hi), torch.clamp(tt(a), lo, hi))


@pytest.mark.parametrize('w', [0.0, 0.3, 0.5, 0.75, 1.0, -1.0, 2.0])
def test_lerp_on_ordinary_values(w):
    """TH_lerp is a + w * (b - a); PyTorch's rounds otherwise for w >= 0.5 (see the expected difference below),
    which on ordinary values is a last-bit difference."""
    a, b = normal(30, 22), normal(30, 23)
    close(lg.lerp(lgt(a), lgt(b), w), torch.lerp(tt(a), tt(b), w), rtol=1e-13, atol=1e-15)


def test_scalar_and_addc_arithmetic():
    a, b, c = normal((3, 4), 24), normal((3, 4), 25), normal((3, 4), 26) + 3
    close(lg.add(lgt(a), 2.5), tt(a) + 2.5)
    close(lg.add(lgt(a), -0.5, lgt(b)), torch.add(tt(a), tt(b), alpha=-0.5))
    close(lg.mul(lgt(a), -3.0), tt(a) * -3.0)
    close(lg.div(lgt(a), 7.0), tt(a) / 7.0)
    close(lg.csub(lgt(a), 1.5, lgt(b)), torch.sub(tt(a), tt(b), alpha=1.5))
    close(lg.addcmul(lgt(a), 0.5, lgt(b), lgt(c)), torch.addcmul(tt(a), tt(b), tt(c), value=0.5))
    close(lg.addcdiv(lgt(a), -2.0, lgt(b), lgt(c)), torch.addcdiv(tt(a), tt(b), tt(c), value=-2.0))
    close(lgt(a).cmax(0.2), torch.clamp_min(tt(a), 0.2))
    close(lgt(a).cmin(-0.1), torch.clamp_max(tt(a), -0.1))


# integer tensors: Torch7's C operators on ``long``
IA = np.array([-7, -7, 7, 7, -6, 6, 0, 5, -1, 1, 9, -9], dtype=np.int64)
IB = np.array([3, -3, 3, -3, 4, -4, 3, 2, 5, -5, 1, 10], dtype=np.int64)


@pytest.mark.parametrize('layout', LAYOUTS)
def test_integer_reductions_keep_the_type(layout):
    """LongTensor sums, products, running sums, extremes and sorts along a dimension: exact, of the same type."""
    a = np.random.default_rng(82).integers(-9, 10, (4, 5))
    x, t = lgt(a, layout), tt(a)
    for d in (0, 1):
        same(x.sum(d), t.sum(d, keepdim=True))
        same(x.prod(d), t.prod(d, keepdim=True))
        same(x.cumsum(d), t.cumsum(d))
        same(x.cumprod(d), t.cumprod(d))
        same(x.max(d)[0], t.max(d, keepdim=True).values)
        same(x.max(d)[1], t.max(d, keepdim=True).indices)
        same(x.sort(d, True)[0], t.sort(dim=d, descending=True).values)
        assert x.sum(d).type() == 'legonn.LongTensor'
    assert x.sum() == t.sum().item() and x.max() == t.max().item()


def test_integer_division_truncates_and_remainders_take_cs_signs():
    """THTensor_(cdiv)/(div) on integers are C's ``/`` (towards zero: PyTorch's rounding_mode='trunc'; its
    default would divide exactly); cfmod/fmod are C's ``%`` (the dividend's sign), cremainder/remainder add the
    divisor when the signs differ (the divisor's sign, PyTorch's remainder)."""
    x, y, ta, tb = lgt(IA), lgt(IB), tt(IA), tt(IB)
    same(lg.cdiv(x, y), torch.div(ta, tb, rounding_mode='trunc'))
    same(lg.cfmod(x, y), torch.fmod(ta, tb))
    same(lg.cremainder(x, y), torch.remainder(ta, tb))
    for v in (3, -3, 2, -4, 1):
        same(lg.div(x, v), torch.div(ta, v, rounding_mode='trunc'))
        same(lg.fmod(x, v), torch.fmod(ta, v))
        same(lg.remainder(x, v), torch.remainder(ta, v))
    assert lg.cdiv(x, y).type() == 'legonn.LongTensor'
    assert (as_np(lg.cdiv(x, y)) != torch.div(ta, tb, rounding_mode='floor').numpy()).any()


# --- construction ---------------------------------------------------------------
@pytest.mark.parametrize('a,b,n', [(0, 1, 5), (-2, 3, 7), (1, 1, 1), (3, -1, 2), (0, 1, 100), (-1e3, 1e-3, 33)])
def test_linspace_and_logspace(a, b, n):
    """THTensor_(linspace): a + i * (b - a) / (n - 1); logspace: 10 to that. PyTorch computes the second half
    back from b, so the two agree to the rounding of the ends' scale (see the expected difference below)."""
    scale = 1e-14 * max(abs(a), abs(b))
    close(lg.linspace(a, b, n, tensortype=DOUBLE), torch.linspace(a, b, n, dtype=torch.float64), rtol=1e-14,
          atol=scale)
    if abs(b) < 100:
        close(lg.logspace(a, b, n, tensortype=DOUBLE), torch.logspace(a, b, n, dtype=torch.float64), rtol=1e-13)


@pytest.mark.parametrize('a,b,step', [(1, 5, 1), (0, 1, 0.1), (5, 1, -2), (0.1, 0.3, 0.1), (0.2, 0.6, 0.1),
                                      (0.3, 13.1, 0.1), (0, 0.3, 0.1), (-1, 1, 0.25), (2, 2, 1), (0.6, 0.2, -0.1)])
def test_range_includes_the_end_as_torch_range(a, b, step):
    """torch7's range counts (ptrdiff_t)((xmax - xmin) / step + 1) points (THTensorMath.c:2027), the 1 added
    before the cast; PyTorch's deprecated torch.range keeps that count (torch.arange excludes the end)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        want = torch.range(a, b, step, dtype=torch.float64)
    close(lg.range(a, b, step, tensortype=DOUBLE), want, rtol=1e-15)


@pytest.mark.parametrize('n,m', [(3, None), (3, 5), (5, 2), (1, None)])
def test_eye(n, m):
    close(lg.eye(n, m, tensortype=DOUBLE) if m else lg.eye(n, tensortype=DOUBLE),
          torch.eye(n, m if m else n, dtype=torch.float64))


@pytest.mark.parametrize('k', [-5, -4, -2, -1, 0, 1, 2, 4, 5])
def test_diag_tril_triu_with_k(k):
    m, v = normal((4, 5), 27), normal(4, 28)
    close(lg.diag(lgt(m), k), torch.diag(tt(m), k))
    close(lg.diag(lgt(m, 'transposed'), k), torch.diag(tt(m), k))
    close(lg.diag(lgt(v), k), torch.diag(tt(v), k))
    close(lg.diag(lgt(v, 'strided'), k), torch.diag(tt(v), k))
    close(lg.tril(lgt(m), k), torch.tril(tt(m), k))
    close(lg.triu(lgt(m, 'strided'), k), torch.triu(tt(m), k))


@pytest.mark.parametrize('shape,dim', [((3, 4, 3), 0), ((3, 4, 3), 2), ((4, 3), 1), ((3,), 0), ((2, 3, 3), 1)])
def test_cross(shape, dim):
    a, b = normal(shape, 29), normal(shape, 30)
    close(lg.cross(lgt(a), lgt(b, 'transposed'), dim), torch.linalg.cross(tt(a), tt(b), dim=dim))


def test_cross_without_a_dimension_takes_the_first_of_size_3():
    """THTensor_(cross) with no dimension (TensorMath.lua's default 0, -1 in C) takes the first of size 3
    (PyTorch's linalg.cross would take the last)."""
    a, b = normal((4, 3, 3), 31), normal((4, 3, 3), 32)
    close(lg.cross(lgt(a), lgt(b)), torch.linalg.cross(tt(a), tt(b), dim=1))
    assert not np.allclose(as_np(lg.cross(lgt(a), lgt(b))), torch.linalg.cross(tt(a), tt(b)).numpy())


# --- matrix products ---------------------------------------------------------------
BETA_ALPHA = [(1, 1), (0.5, 2), (0, 1), (0, -3), (-1, 0.25), (1, 0)]


@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('beta,alpha', BETA_ALPHA)
def test_addmm_addmv_addr(beta, alpha, layout):
    """beta = 0 ignores the added tensor, NaN included (BLAS gemm/gemv and THTensor_(addr)'s zero())."""
    c, m1, m2 = normal((3, 5), 33), normal((3, 4), 34), normal((4, 5), 35)
    v, x, y = normal(3, 36), normal(4, 37), normal(5, 38)
    c[0, 0], v[1] = np.nan, np.nan
    if beta:
        c[0, 0], v[1] = 1.5, -0.5
    close(lg.addmm(beta, lgt(c, layout), alpha, lgt(m1, layout), lgt(m2, layout)),
          torch.addmm(tt(c), tt(m1), tt(m2), beta=beta, alpha=alpha))
    close(lg.addmv(beta, lgt(v, layout), alpha, lgt(m1, layout), lgt(x, layout)),
          torch.addmv(tt(v), tt(m1), tt(x), beta=beta, alpha=alpha))
    close(lg.addr(beta, lgt(c, layout), alpha, lgt(v if beta else v * 0 + 1, layout), lgt(y, layout)),
          torch.addr(tt(c), tt(v if beta else v * 0 + 1), tt(y), beta=beta, alpha=alpha))
    r = lgt(c, layout).clone()
    close(r.addmm(beta, alpha, lgt(m1), lgt(m2)), torch.addmm(tt(c), tt(m1), tt(m2), beta=beta, alpha=alpha))


@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('beta,alpha', BETA_ALPHA)
def test_baddbmm_addbmm(beta, alpha, layout):
    c3, c2 = normal((2, 3, 5), 39), normal((3, 5), 40)
    b1, b2 = normal((2, 3, 4), 41), normal((2, 4, 5), 42)
    close(lg.baddbmm(beta, lgt(c3, layout), alpha, lgt(b1, layout), lgt(b2, layout)),
          torch.baddbmm(tt(c3), tt(b1), tt(b2), beta=beta, alpha=alpha))
    close(lg.addbmm(beta, lgt(c2, layout), alpha, lgt(b1, layout), lgt(b2, layout)),
          torch.addbmm(tt(c2), tt(b1), tt(b2), beta=beta, alpha=alpha))


@pytest.mark.parametrize('layout', LAYOUTS)
def test_mm_mv_bmm_dot_ger_match(layout):
    p, q, x, y = normal((4, 3), 43), normal((3, 6), 44), normal(3, 45), normal(4, 46)
    b1, b2 = normal((3, 2, 4), 47), normal((3, 4, 5), 48)
    close(lg.mm(lgt(p, layout), lgt(q, layout)), tt(p) @ tt(q))
    close(lg.mv(lgt(p, layout), lgt(x, layout)), torch.mv(tt(p), tt(x)))
    close(lg.bmm(lgt(b1, layout), lgt(b2, layout)), torch.bmm(tt(b1), tt(b2)))
    close(lgt(x, layout).dot(lgt(x * 2 - 1, layout)), torch.dot(tt(x), tt(x * 2 - 1)))
    close(lg.ger(lgt(y, layout), lgt(x, layout)), torch.outer(tt(y), tt(x)))
    # THTensor_(match): gain * the squared distances between rows
    m1, m2 = normal((3, 4), 49), normal((5, 4), 50)
    close(lg.DoubleTensor().match(lgt(m1, layout), lgt(m2, layout), 0.5),
          0.5 * torch.cdist(tt(m1), tt(m2)) ** 2, rtol=1e-9, atol=1e-12)


# --- random.py's deterministic cases -------------------------------------------------
def test_random_fills_whose_distribution_is_one_point():
    """uniform(a, a), bernoulli(0 or 1) (numbers or a tensor of them) and multinomial of one-hot rows give one
    value, as PyTorch's uniform_, bernoulli_ and multinomial do."""
    x = lg.DoubleTensor(3, 4)
    same(x.uniform(2.5, 2.5), torch.empty(3, 4, dtype=torch.float64).uniform_(2.5, 2.5))
    same(x.bernoulli(0), torch.empty(3, 4, dtype=torch.float64).bernoulli_(0.0))
    same(x.bernoulli(1), torch.empty(3, 4, dtype=torch.float64).bernoulli_(1.0))
    p = (normal((3, 4), 80) > 0).astype(np.float64)
    same(lg.DoubleTensor(3, 4).bernoulli(lgt(p)), torch.bernoulli(tt(p)))
    hot = np.eye(5)[[3, 0, 4]]
    same(lg.multinomial(lgt(hot), 1), torch.multinomial(tt(hot), 1))
    same(lg.multinomial(lgt(hot), 4, True), torch.multinomial(tt(hot), 4, replacement=True))
    two = np.array([[0.0, 0.3, 0.0, 0.7]])
    drawn = as_np(lg.multinomial(lgt(two), 2))
    assert sorted(drawn[0].tolist()) == sorted(torch.multinomial(tt(two), 2)[0].tolist()) == [1, 3]


# --- indexing ---------------------------------------------------------------
@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('dim', [0, 1, 2])
def test_gather_scatter_scatteradd(dim, layout):
    """Repeated scatter targets: the last source written wins (TH_TENSOR_DIM_APPLY's order), as PyTorch's CPU
    scatter."""
    rng = np.random.default_rng(51 + dim)
    a = normal((4, 5, 3), 52)
    shape = list(a.shape)
    shape[dim] = 2
    idx = rng.integers(0, a.shape[dim], shape)
    src = normal(shape, 53)
    close(lgt(a, layout).gather(dim, lgt(idx)), torch.gather(tt(a), dim, tt(idx)))
    close(lg.gather(lgt(a, layout), dim, lgt(idx)), torch.gather(tt(a), dim, tt(idx)))
    close(lgt(a, layout).clone().scatter(dim, lgt(idx), lgt(src)), tt(a).scatter(dim, tt(idx), tt(src)))
    close(lgt(a, layout).clone().scatter(dim, lgt(idx), -2.5), tt(a).scatter(dim, tt(idx), -2.5))
    close(lgt(a, layout).clone().scatterAdd(dim, lgt(idx), lgt(src)), tt(a).scatter_add(dim, tt(idx), tt(src)))


@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('dim', [0, 1])
def test_index_indexcopy_indexadd_indexfill(dim, layout):
    """Repeated indices: indexCopy's last copy wins and indexAdd adds each (THTensor_(indexCopy)/(indexAdd)
    walk the index in order), as PyTorch's CPU index_copy_ and index_add_."""
    a = normal((4, 5), 54)
    ii = np.array([3, 0, 3, 1])
    n = a.shape[1 - dim]
    src = normal((4, n) if dim == 0 else (n, 4), 55)
    close(lgt(a, layout).index(dim, lgt(ii)), tt(a).index_select(dim, tt(ii)))
    close(lg.index(lgt(a, layout), dim, lgt(ii)), tt(a).index_select(dim, tt(ii)))
    close(lgt(a, layout).clone().indexCopy(dim, lgt(ii), lgt(src)), tt(a).index_copy(dim, tt(ii), tt(src)))
    close(lgt(a, layout).clone().indexAdd(dim, lgt(ii), lgt(src)), tt(a).index_add(dim, tt(ii), tt(src)))
    close(lgt(a, layout).clone().indexFill(dim, lgt(ii), -1.5), tt(a).index_fill(dim, tt(ii), -1.5))


@pytest.mark.parametrize('layout', LAYOUTS)
def test_masked_fill_select_copy_and_nonzero_order(layout):
    """maskedSelect and maskedCopy walk the elements in row-major order (TH_TENSOR_APPLY2), nonzero lists
    the positions row by row: the order of PyTorch's masked_select, masked_scatter and nonzero."""
    a = normal((4, 6), 56)
    mask = (normal((4, 6), 57) > 0).astype(np.uint8)
    src = normal(24, 58)
    tmask = tt(mask.astype(bool))
    close(lgt(a, layout).clone().maskedFill(lgt(mask, layout), 7.0), tt(a).masked_fill(tmask, 7.0))
    close(lgt(a, layout).maskedSelect(lgt(mask, layout)), tt(a).masked_select(tmask))
    close(lgt(a, layout).clone().maskedCopy(lgt(mask, layout), lgt(src)), tt(a).masked_scatter(tmask, tt(src)))
    same(lgt(mask, layout).nonzero(), tt(mask).nonzero())
    same(lgt(a, layout).gt(0.3).nonzero(), (tt(a) > 0.3).nonzero())
    same(lgt(a[0], layout).gt(0).nonzero(), (tt(a[0]) > 0).nonzero())
    cube = normal((3, 4, 2), 81)
    same(lgt(cube, layout).lt(0).nonzero(), (tt(cube) < 0).nonzero())


@pytest.mark.parametrize('dim', [0, 1, 2, -1])
def test_cat_and_stack(dim):
    a, b, c = normal((2, 3, 4), 59), normal((2, 3, 4), 60), normal((2, 3, 4), 61)
    close(lg.cat(lgt(a), lgt(b, 'transposed'), dim), torch.cat([tt(a), tt(b)], dim))
    close(lg.cat([lgt(a), lgt(b), lgt(c, 'strided')], dim), torch.cat([tt(a), tt(b), tt(c)], dim))
    close(lg.stack([lgt(a), lgt(b, 'strided')], dim), torch.stack([tt(a), tt(b)], dim))


def test_cat_defaults_to_the_last_dimension_and_skips_empty_tensors():
    a, c = normal((2, 3), 62), normal((2, 5), 63)
    close(lg.cat(lgt(a), lgt(c)), torch.cat([tt(a), tt(c)], 1))
    v = normal(3, 64)
    close(lg.cat(lgt(np.zeros(0)), lgt(v)), torch.cat([tt(np.zeros(0)), tt(v)]))


# --- linear algebra (sign conventions made explicit) ----------------------------------
def column_signs(a, b):
    """Signs that turn the columns of ``a`` into those of ``b`` (for vectors fixed up to sign)."""
    s = np.sign(np.sum(as_np(a) * as_np(b), axis=0))
    s[s == 0] = 1
    return s


@pytest.mark.parametrize('k', [1, 3])
def test_gesv_inverse_and_lu(k):
    a, b = normal((5, 5), 65), normal((5, k), 66)
    x, lu = lg.gesv(lgt(b), lgt(a, 'transposed'))
    close(x, torch.linalg.solve(tt(a), tt(b)), rtol=1e-9, atol=1e-12)
    close(lu, torch.linalg.lu_factor(tt(a)).LU, rtol=1e-9, atol=1e-12)
    close(lg.inverse(lgt(a)), torch.linalg.inv(tt(a)), rtol=1e-9, atol=1e-12)
    x1, _ = lg.gesv(lgt(b[:, 0]), lgt(a))       # a vector B is one column
    close(x1, torch.linalg.solve(tt(a), tt(b[:, :1])), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize('uplo', ['U', 'L'])
def test_potrf_potrs_potri(uplo):
    a = normal((5, 5), 67)
    spd = a @ a.T + 5 * np.eye(5)
    upper = uplo == 'U'
    chol = lg.potrf(lgt(spd), uplo)
    want = torch.linalg.cholesky(tt(spd), upper=upper)
    close(chol, want, rtol=1e-12)
    b = normal((5, 2), 68)
    close(lg.potrs(lgt(b), chol, uplo), torch.cholesky_solve(tt(b), want, upper=upper), rtol=1e-10)
    close(lg.potri(chol, uplo), torch.cholesky_inverse(want, upper=upper), rtol=1e-10, atol=1e-13)


def test_pstrf_is_the_cholesky_of_the_pivoted_matrix():
    """No PyTorch pstrf: its U must be PyTorch's Cholesky of P^T A P for legonn's pivots (0-based, a larger
    diagonal first as pstf2 picks it)."""
    a = normal((5, 5), 69)
    spd = a @ a.T + np.diag([1.0, 9.0, 2.0, 30.0, 4.0])
    u, piv = lg.pstrf(lgt(spd))
    perm = as_np(piv).astype(np.int64)
    assert perm[0] == int(np.argmax(np.diag(spd)))
    close(u, torch.linalg.cholesky(tt(spd[np.ix_(perm, perm)]), upper=True), rtol=1e-10)
    lo, piv_l = lg.pstrf(lgt(spd), 'L')
    same(piv_l, piv)
    close(lo, torch.linalg.cholesky(tt(spd[np.ix_(perm, perm)])), rtol=1e-10)


@pytest.mark.parametrize('uplo,trans,diag', [('U', 'N', 'N'), ('L', 'N', 'N'), ('U', 'T', 'N'), ('L', 'N', 'U')])
def test_trtrs(uplo, trans, diag):
    a = normal((4, 4), 70) + 4 * np.eye(4)
    b = normal((4, 3), 71)
    tri = np.triu(a) if uplo == 'U' else np.tril(a)
    if diag == 'U':
        np.fill_diagonal(tri, 1.0)
    if trans == 'T':
        tri = tri.T
    x, _ = lg.trtrs(lgt(b), lgt(a), uplo, trans, diag)
    close(x, torch.linalg.solve(tt(tri), tt(b)), rtol=1e-10)


@pytest.mark.parametrize('shape', [(5, 3), (3, 5), (4, 4)])
def test_qr_geqrf_orgqr_ormqr(shape):
    """LAPACK's geqrf both: R's diagonal signs agree (asserted as equal, no sign fixing)."""
    x = normal(shape, 72)
    q, r = lg.qr(lgt(x, 'transposed'))
    want_q, want_r = torch.linalg.qr(tt(x))
    close(q, want_q, rtol=1e-10, atol=1e-12)
    close(r, want_r, rtol=1e-10, atol=1e-12)
    m, tau = lg.geqrf(lgt(x))
    want_m, want_tau = torch.geqrf(tt(x))
    close(m, want_m, rtol=1e-10, atol=1e-12)
    close(tau, want_tau, rtol=1e-10, atol=1e-12)
    if shape[0] >= shape[1]:     # LAPACK orgqr (and PyTorch's householder_product) need rows >= columns
        close(lg.orgqr(m, tau), torch.linalg.householder_product(want_m, want_tau), rtol=1e-10, atol=1e-12)
    c = normal((shape[0], 2), 73)
    close(lg.ormqr(m, tau, lgt(c)), torch.ormqr(want_m, want_tau, tt(c)), rtol=1e-10, atol=1e-12)
    close(lg.ormqr(m, tau, lgt(c), 'L', 'T'), torch.ormqr(want_m, want_tau, tt(c), transpose=True), rtol=1e-10,
          atol=1e-12)
    d = normal((2, shape[0]), 74)
    close(lg.ormqr(m, tau, lgt(d), 'R', 'N'), torch.ormqr(want_m, want_tau, tt(d), left=False), rtol=1e-10,
          atol=1e-12)


@pytest.mark.parametrize('shape', [(5, 3), (3, 5), (4, 4), (1, 3)])
@pytest.mark.parametrize('jobu', ['S', 'A'])
def test_svd_returns_v_not_its_transpose(shape, jobu):
    """Torch7's svd gives U, S, V (A = U diag(S) V^T); vectors compared up to a common sign per pair."""
    x = normal(shape, 75)
    u, s, v = lg.svd(lgt(x), jobu)
    tu, ts, tvh = torch.linalg.svd(tt(x), full_matrices=jobu == 'A')
    close(s, ts, rtol=1e-10)
    k = len(as_np(s))
    signs = column_signs(as_np(u)[:, :k], tu[:, :k])
    close(as_np(u)[:, :k] * signs, tu[:, :k], rtol=1e-9, atol=1e-11)
    close(as_np(v)[:, :k] * signs, tvh.T[:, :k], rtol=1e-9, atol=1e-11)
    assert as_np(u).shape == tuple(tu.shape) and as_np(v).shape == tuple(tvh.T.shape)


@pytest.mark.parametrize('shape', [(6, 3), (3, 6), (4, 4)])
def test_gels_least_squares_and_least_norm(shape):
    """THTensor_(gels) keeps X's first n rows: the least-squares solution (m >= n) or the least-norm one."""
    a, b = normal(shape, 76), normal((shape[0], 2), 77)
    x, f = lg.gels(lgt(b), lgt(a))
    close(x, torch.linalg.lstsq(tt(a), tt(b), driver='gelsd').solution, rtol=1e-9, atol=1e-12)
    want_f = torch.geqrf(tt(a))[0] if shape[0] >= shape[1] else torch.geqrf(tt(a.T))[0].T
    close(f, want_f, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('uplo', ['U', 'L'])
def test_symeig_reads_one_triangle(uplo):
    a = normal((5, 5), 78)
    sym = a + a.T
    seen = np.triu(a) if uplo == 'U' else np.tril(a)    # only that triangle is read: the other is garbage
    full = np.triu(seen) + np.triu(seen, 1).T if uplo == 'U' else np.tril(seen) + np.tril(seen, -1).T
    e, v = lg.symeig(lgt(seen), 'V', uplo)
    te, tv = torch.linalg.eigh(tt(full))
    close(e, te, rtol=1e-10)
    close(as_np(v) * column_signs(v, tv), tv, rtol=1e-9, atol=1e-11)
    e_only, _ = lg.symeig(lgt(sym), 'N', uplo)
    close(e_only, torch.linalg.eigvalsh(tt(sym)), rtol=1e-10)


def test_eig_packs_complex_pairs_as_geev():
    """e is n x 2 (real, imaginary) in geev's order; a complex pair's vectors are the real and imaginary parts
    of the first, as LAPACK packs them; PyTorch's eig (geev too) gives the complex vectors."""
    a = normal((5, 5), 79)
    e, v = lg.eig(lgt(a), 'V')
    tw, tv = torch.linalg.eig(tt(a))
    close(as_np(e)[:, 0], tw.real, rtol=1e-10, atol=1e-12)
    close(as_np(e)[:, 1], tw.imag, rtol=1e-10, atol=1e-12)
    ev, vv, twv = as_np(e), as_np(v), tv.numpy()
    assert (ev[:, 1] != 0).any()
    j = 0
    while j < 5:
        if ev[j, 1] != 0:
            close(vv[:, j] + 1j * vv[:, j + 1], twv[:, j], rtol=1e-9, atol=1e-11)
            j += 2
        else:
            close(vv[:, j], twv[:, j].real, rtol=1e-9, atol=1e-11)
            j += 1
    e_only, _ = lg.eig(lgt(a))
    close(e_only, e)


# --- Torch7 and PyTorch differ: legonn computes Torch7's number ------------------------
def test_round_takes_halves_away_from_zero_where_pytorch_rounds_to_even():
    """torch7 lib/TH/generic/THTensorMath.c:2912 rounds with C's round (halves away from zero); PyTorch's
    torch.round rounds halves to even (its documentation: "round half to even")."""
    a = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994, 2.4, -3.7])
    got = as_np(lg.round(lgt(a)))
    theirs = torch.round(tt(a)).numpy()
    assert got.tolist() == [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 0.0, 2.0, -4.0]
    assert theirs.tolist() == np.rint(a).tolist()
    assert np.flatnonzero(got != theirs).tolist() == [0, 2, 3, 5]      # -2.5, -0.5, 0.5, 2.5
    small = np.array([-0.2, -0.0, 0.2])      # C's round keeps x's sign, as PyTorch's does
    same(np.signbit(as_np(lg.round(lgt(small)))), np.signbit(torch.round(tt(small)).numpy()))


def test_remainder_by_an_infinite_divisor_is_nan_in_torch7():
    """THTensor_(remainder)/(cremainder) (THTensorMath.c:772, 1053) compute x - b * floor(x / b): for b = inf
    that is x - inf * 0, NaN; PyTorch's remainder gives x (or b where the signs differ), Python's ``%``."""
    a = np.array([3.0, -3.0, 0.5])
    b = np.array([np.inf, np.inf, -np.inf])
    with np.errstate(all='ignore'):
        torch7 = a - b * np.floor(a / b)
        got = as_np(lg.cremainder(lgt(a), lgt(b)))
        got_value = as_np(lg.remainder(lgt(a), np.inf))
    assert np.isnan(torch7).all() and np.isnan(got).all() and np.isnan(got_value).all()
    theirs = torch.remainder(tt(a), tt(b)).numpy()
    assert theirs.tolist() == [3.0, math.inf, -math.inf] == [a_ % b_ for a_, b_ in zip(a, b)]
    assert torch.fmod(tt(a), tt(b)).numpy().tolist() == as_np(lg.cfmod(lgt(a), lgt(b))).tolist() == a.tolist()


def test_var_along_a_dimension_is_torch7s_one_pass_formula():
    """THTensor_(var)/(std) along a dimension (THTensorMath.c:2971-3058) sum z and z*z in one pass and take
    sum2 / (n - 1) - n / (n - 1) * mean * mean, which cancels for a large mean; PyTorch's var subtracts the mean
    first. For 1e8 + (1, 2, 3, 4) Torch7 gives 2 (exact: 5/3) and 2 biased (exact: 1.25); the whole tensor's
    varall (THTensorMath.c:3179) is two-pass in both."""
    a = 1e8 + np.array([[1.0, 2.0, 3.0, 4.0]])
    total, total2 = 0.0, 0.0
    for z in a[0]:
        total += z
        total2 += z * z
    n = 4
    mean = total / n
    unbiased = max(total2 / (n - 1) - (n / (n - 1)) * mean * mean, 0.0)
    biased = max(total2 / n - mean * mean, 0.0)
    assert as_np(lgt(a).var(1)).tolist() == [[unbiased]] == [[2.0]]
    assert as_np(lgt(a).var(1, True)).tolist() == [[biased]] == [[2.0]]
    assert as_np(lgt(a).std(1)).tolist() == [[math.sqrt(unbiased)]]
    close(tt(a).var(1), [5 / 3], rtol=1e-12)
    close(tt(a).var(1, correction=0), [1.25], rtol=1e-12)
    close(lgt(a).var(), tt(a).var(), rtol=1e-12)


def test_lerp_is_a_plus_w_times_b_minus_a():
    """TH_lerp (torch7 lib/TH/THMath.h:19) is a + w * (b - a) for every w; PyTorch's lerp computes
    b - (b - a) * (1 - w) for w >= 0.5, so lerp(1e20, 1, 1) is 0 in Torch7 (1 - 1e20 rounds to -1e20) and
    exactly 1 in PyTorch."""
    a, b = np.array([1e20, 3.0]), np.array([1.0, 1e-20])
    got = as_np(lg.lerp(lgt(a), lgt(b), 1.0))
    assert got.tolist() == (a + 1.0 * (b - a)).tolist() == [0.0, 0.0]
    assert torch.lerp(tt(a), tt(b), 1.0).numpy().tolist() == b.tolist()


def test_cmax_cmin_take_the_second_operand_when_a_comparison_is_false():
    """THTensor_(cmax)/(cmin) (THTensorMath.c:1900-1922) are ``x > y ? x : y``: a NaN in x gives y, a NaN in y
    gives NaN; PyTorch's maximum/minimum give NaN for either (and fmax/fmin the other operand for either)."""
    x, y = np.array([np.nan, 1.0, 2.0, np.nan]), np.array([1.0, np.nan, 0.0, np.nan])
    got_max, got_min = as_np(lg.cmax(lgt(x), lgt(y))), as_np(lg.cmin(lgt(x), lgt(y)))
    np.testing.assert_array_equal(got_max, [1.0, np.nan, 2.0, np.nan])
    np.testing.assert_array_equal(got_min, [1.0, np.nan, 0.0, np.nan])
    np.testing.assert_array_equal(torch.maximum(tt(x), tt(y)).numpy(), [np.nan, np.nan, 2.0, np.nan])
    np.testing.assert_array_equal(torch.fmax(tt(x), tt(y)).numpy(), [1.0, 1.0, 2.0, np.nan])
    np.testing.assert_array_equal(as_np(lgt(x).cmax(0.0)), [0.0, 1.0, 2.0, 0.0])   # cmaxValue: NaN > 0 is false
    np.testing.assert_array_equal(torch.clamp_min(tt(x), 0.0).numpy(), [np.nan, 1.0, 2.0, np.nan])


def test_remainder_rounds_the_quotient_first_in_torch7():
    """THTensor_(remainder) (THTensorMath.c:772) computes x - b * floor(x / b) in the tensor's type: x / b is
    rounded before the floor, so 7 by 0.7 (7 / 0.7 rounds to 10) leaves 0 and -7 leaves 0; PyTorch's remainder
    is the exact remainder of the two doubles (0.7 is 0.69999999999999996), 4.4e-16 and 0.7 - 4.4e-16."""
    a = np.array([7.0, -7.0, 5.0, 7.5])
    torch7 = a - 0.7 * np.floor(a / 0.7)
    got, got_c = as_np(lg.remainder(lgt(a), 0.7)), as_np(lg.cremainder(lgt(a), lgt(np.full(4, 0.7))))
    theirs = torch.remainder(tt(a), 0.7).numpy()
    assert got.tolist() == got_c.tolist() == torch7.tolist()
    assert got[:2].tolist() == [0.0, 0.0] and theirs[0] == 2.0 ** -51 and theirs[1] == 0.7 - 2.0 ** -51
    close(got[2:], theirs[2:], rtol=1e-14)


def test_linspace_last_point_is_torch7s_sum_not_the_end():
    """THTensor_(linspace) (THTensorMath.c:3205) computes every point as a + i * (b - a) / (n - 1), so the last
    is a + (b - a), not b, where b - a rounds: linspace(-1000, 0.001, 33) ends at 0.000999999999976; PyTorch's
    linspace computes the second half as b - step * (n - 1 - i) and ends at b exactly."""
    a, b, n = -1000.0, 0.001, 33
    torch7 = a + np.arange(n, dtype=np.float64) * (b - a) / (n - 1)
    got = as_np(lg.linspace(a, b, n, tensortype=DOUBLE))
    theirs = torch.linspace(a, b, n, dtype=torch.float64).numpy()
    assert got.tolist() == torch7.tolist()
    assert got[-1] == a + (b - a) != b and theirs[-1] == b
    assert abs(got[-1] - b) / b > 1e-11


def test_clamp_with_min_above_max_is_torch7s_nested_choice():
    """THTensor_(clamp) (THTensorMath.c:871) is ``x < lo ? lo : (x > hi ? hi : x)``: with lo > hi an element
    below lo becomes lo and any other hi; PyTorch's clamp sets every element to max then (its documentation)."""
    a = np.array([-1.0, 0.5, 2.0, 1.0])
    got = as_np(lg.clamp(lgt(a), 1.0, 0.0))
    torch7 = np.where(a < 1.0, 1.0, np.where(a > 0.0, 0.0, a))
    assert got.tolist() == torch7.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert torch.clamp(tt(a), 1.0, 0.0).numpy().tolist() == [0.0] * 4


def test_a_bytetensor_sum_along_a_dimension_stays_a_bytetensor():
    """THTensor_(sum) along a dimension (THTensorMath.c:1709-1743) writes into a tensor of the input's type, so a
    ByteTensor's sum wraps past 255 (the whole tensor's sumall is an accreal, a long: no wrap); PyTorch's sum
    of uint8 promotes to int64 unless asked for uint8."""
    a = np.full((2, 100), 3, dtype=np.uint8)
    got = lgt(a).sum(1)
    assert got.type() == 'legonn.ByteTensor' and got.tolist() == [[300 % 256]] * 2
    same(got, torch.sum(tt(a), 1, keepdim=True, dtype=torch.uint8))
    assert torch.sum(tt(a), 1).tolist() == [300, 300]
    assert lgt(a).sum() == 600 == torch.sum(tt(a)).item()
