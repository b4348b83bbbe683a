"""Element-wise arithmetic in every Torch7 argument form, comparisons and Python operators."""
import math

import numpy as np
import pytest

import legonn as lg
from tests.checks import on_gpu


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3))
    b = rng.uniform(0.5, 2.0, (2, 3))
    return a, b, lg.DoubleTensor(a.copy()), lg.DoubleTensor(b.copy())


def test_add_forms(xy):
    a, b, x, y = xy
    assert x.clone().add(2).tolist() == (a + 2).tolist()
    r = x.clone()
    assert r.add(y) is r and np.allclose(r.array, a + b)
    assert np.allclose(x.clone().add(3, y).array, a + 3 * b)
    r = lg.DoubleTensor()
    assert r.add(x, y) is r and np.allclose(r.array, a + b)
    assert np.allclose(lg.DoubleTensor().add(x, 0.5, y).array, a + 0.5 * b)
    assert np.allclose(lg.DoubleTensor().add(x, 4).array, a + 4)
    assert x.tolist() == a.tolist() and y.tolist() == b.tolist()    # sources untouched


@pytest.mark.parametrize('typename', ['FloatTensor', 'DoubleTensor', 'IntTensor', 'HalfTensor'])
def test_add_scaled_tensor_in_place_every_layout(typename):
    """x.add(v, y), SGD's params:add(-lr, grads): one BLAS pass where both are contiguous float32/64 and
    share no memory, NumPy's loop otherwise; the same values either way, overlap included."""
    rng = np.random.default_rng(3)
    a, b = rng.integers(-4, 5, 12).astype(np.float64), rng.integers(-4, 5, 12).astype(np.float64)
    make = getattr(lg, typename)
    x, y = make(a.tolist()), make(b.tolist())
    assert x.add(3, y) is x and x.tolist() == (a + 3 * b).tolist()
    strided = make(a.tolist())
    strided.narrow(0, 0, 6).add(-2, y.view(6, 2).select(1, 0))
    assert strided.tolist() == np.concatenate([a[:6] - 2 * b[::2], a[6:]]).tolist()
    same = make(a.tolist())
    assert same.add(2, same).tolist() == (3 * a).tolist()
    shifted = make(a.tolist())   # x[1:] += 2 x[:-1] reads x as it was before the call, as NumPy does
    shifted.narrow(0, 1, 11).add(2, shifted.narrow(0, 0, 11))
    assert shifted.tolist() == np.concatenate([a[:1], a[1:] + 2 * a[:-1]]).tolist()


def test_csub_mul_div(xy):
    a, b, x, y = xy
    assert np.allclose(x.clone().csub(y).array, a - b)
    assert np.allclose(x.clone().csub(2, y).array, a - 2 * b)
    assert np.allclose(x.clone().csub(1.5).array, a - 1.5)
    assert np.allclose(x.clone().mul(3).array, a * 3)
    assert np.allclose(lg.DoubleTensor().mul(x, 3).array, a * 3)
    assert np.allclose(x.clone().div(4).array, a / 4)
    assert np.allclose(lg.DoubleTensor().div(x, 4).array, a / 4)
    with pytest.raises(TypeError, match='cmul'):
        x.clone().mul(y)


def test_cmul_cdiv_cmax_cmin_cpow(xy):
    a, b, x, y = xy
    assert np.allclose(x.clone().cmul(y).array, a * b)
    assert np.allclose(lg.DoubleTensor().cmul(x, y).array, a * b)
    assert np.allclose(x.clone().cdiv(y).array, a / b)
    assert np.allclose(lg.DoubleTensor().cdiv(x, y).array, a / b)
    assert np.allclose(x.clone().cmax(y).array, np.maximum(a, b))
    assert np.allclose(x.clone().cmin(0).array, np.minimum(a, 0))
    assert np.allclose(y.clone().cpow(y).array, b ** b)


def test_same_element_count_rule():
    x = lg.zeros(2, 3)
    x.add(lg.range(0, 5))             # 6 elements, other shape: allowed in Torch7
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match='expected an operand of 6 elements'):
        x.add(lg.Tensor(4))
    with pytest.raises(ValueError, match='6 elements'):
        x.cmul(lg.Tensor(3))


def test_operators_pair_elements_of_equal_count_as_torch7():
    """torch7 generic/TensorOperator.c: ``t - u`` copies ``t`` then ``cadd``s ``-u``, which pairs the
    elements in order when the counts agree: a flat slice minus a 10x10 weight (nn's getParameters tests)."""
    flat = lg.range(0, 10)
    w = lg.range(0, 5).view(2, 3).t()                 # 3x2, not contiguous: read in logical order
    d = flat[0:6] - w
    assert d.size() == (6,)
    assert d.tolist() == (np.arange(6) - np.arange(6).reshape(2, 3).T.reshape(-1)).tolist()
    s = w + flat[0:6]
    assert s.size() == (3, 2)
    assert s.tolist() == (np.arange(6).reshape(2, 3).T + np.arange(6).reshape(3, 2)).tolist()
    assert (lg.ones(2, 3) - lg.ones(3)).size() == (2, 3)     # shapes that broadcast still broadcast
    # even with as many elements: n against n x 1 (docs/porting.md's `a - b` row), where the method pairs;
    # the operator warns then (test_ambiguous_broadcast.py)
    v, col = lg.Tensor([2, 5]), lg.Tensor([[2], [5]])
    with pytest.warns(lg.AmbiguousBroadcastWarning):
        assert (v - col).size() == (2, 2)
    assert lg.add(v, -1, col).tolist() == [0, 0]
    with pytest.raises(ValueError):
        flat[0:5] - w

def test_integer_division_truncates_like_c():
    assert lg.IntTensor([-7, 7, -6]).div(2).tolist() == [-3, 3, -3]
    assert lg.LongTensor([-7, 9]).cdiv(lg.LongTensor([2, -4])).tolist() == [-3, -2]
    assert lg.LongTensor([-7, 7]).fmod(3).tolist() == [-1, 1]
    assert lg.LongTensor([-7, 7]).remainder(3).tolist() == [2, 1]


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_integer_tensors_take_number_arguments_as_c_casts_them(cuda):
    """cwrap hands an integer tensor's number argument to TH as the C ``real``: truncated, then its low bits
    (as a store keeps them, test_indexing's integer stores), so ByteTensor:div(300) divides by 44 and :add(-1)
    adds 255 (NumPy raises OverflowError for numbers outside the element type); densecap's BoxSampler inverts
    a 0/1 mask with ``neg_mask:mul(pos_mask, -1):add(1)``."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = on_gpu if cuda else (lambda t: t)
    b = move(lg.ByteTensor([100, 200]))
    assert b.clone().div(300).tolist() == [2, 4] and b.clone().add(-1).tolist() == [99, 199]
    assert b.clone().mul(257.9).tolist() == [100, 200] and b.eq(456).tolist() == [0, 1]
    assert move(lg.CharTensor([1])).add(255).tolist() == [0]
    assert move(lg.IntTensor([7])).add(2 ** 32 + 1).tolist() == [8]
    assert move(lg.LongTensor([1])).add(2 ** 64 - 1).tolist() == [0]
    pos = move(lg.ByteTensor([1, 0, 1, 0]))
    assert move(lg.ByteTensor(4)).mul(pos, -1).add(1).tolist() == [0, 1, 0, 1]
    assert move(lg.ByteTensor([3])).mul(300.7).tolist() == [3 * 44]
    assert move(lg.CharTensor([1, -1])).mul(200).tolist() == [-56, 56]
    assert move(lg.ShortTensor([1])).add(70000).tolist() == [(1 + 70000) % 65536]
    assert move(lg.ByteTensor([7])).fill(-2).tolist() == [254]


def test_addcmul_addcdiv_forms(xy):
    a, b, x, y = xy
    assert np.allclose(x.clone().addcmul(y, y).array, a + b * b)
    assert np.allclose(x.clone().addcmul(0.5, y, y).array, a + 0.5 * b * b)
    r = lg.DoubleTensor()
    assert np.allclose(r.addcmul(x, 2, y, y).array, a + 2 * b * b)
    assert np.allclose(lg.DoubleTensor().addcmul(x, y, y).array, a + b * b)
    assert np.allclose(x.clone().addcdiv(y, y).array, a + 1)
    assert np.allclose(x.clone().addcdiv(3, x, y).array, a + 3 * a / b)
    assert np.allclose(lg.DoubleTensor().addcdiv(x, 2, x, y).array, a + 2 * a / b)


def test_addcmul_addcdiv_round_as_torch7():
    """lib/TH/generic/THTensorMath.c's addcmul and addcdiv compute ``*r += value * *src1 * *src2`` (and
    ``/ *src2``), left to right: value times t1 first. Rounding in that order gives Torch7's bits in float64
    (porting.md's promise under DoubleTensor) and float32; optim's adam, rmsprop and adagrad step with them."""
    rng = np.random.default_rng(1)
    a, b, c = rng.standard_normal((3, 4000))
    for dtype, cls in ((np.float64, lg.DoubleTensor), (np.float32, lg.FloatTensor)):
        a_, b_, c_ = a.astype(dtype), b.astype(dtype), c.astype(dtype)
        v = dtype(0.3)
        got = cls(a_.copy()).addcmul(0.3, cls(b_), cls(c_)).numpy()
        np.testing.assert_array_equal(got, a_ + (v * b_) * c_)
        got = cls(a_.copy()).addcdiv(0.3, cls(b_), cls(c_)).numpy()
        np.testing.assert_array_equal(got, a_ + (v * b_) / c_)
        got = cls().addcdiv(cls(a_), 0.3, cls(b_), cls(c_)).numpy()
        np.testing.assert_array_equal(got, a_ + (v * b_) / c_)



@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_integer_addcdiv_truncates_as_c(cuda):
    """TH's and THC's addcdiv of an integer tensor compute ``*r += value * *t1 / *t2`` in its type: the value
    truncated to an integer, the quotient truncated towards zero (cutorch's test.lua addcdiv compares it)."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = on_gpu if cuda else (lambda t: t)
    x, t1, t2 = (move(lg.IntTensor(v)) for v in ([10, -7, 5], [3, 3, -4], [2, 2, 3]))
    assert x.clone().addcdiv(2.7, t1, t2).tolist() == [13, -4, 3]
    assert x.clone().addcdiv(t1, t2).tolist() == [11, -6, 4]
    base, t1, t2 = (move(lg.ByteTensor(v)) for v in ([1, 2, 3], [7, 7, 7], [2, 3, 4]))
    r = move(lg.ByteTensor(3))
    assert r.addcdiv(base, 1, t1, t2).tolist() == [4, 4, 4] and r.type() == base.type()

@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_integer_cpow_and_pow_go_through_c_double_pow(cuda):
    """THTensor_(cpow) computes C's ``pow(double, double)`` for every type and stores the double in the element:
    an integer tensor's negative exponent truncates (2**-1 = 0.5 -> 0, (-2)**-1 -> 0, 1**-3 = 1), and 3**39 is
    the double nearest it, 4052555153018976256, not the exact 4052555153018976267 (legonn raised NumPy's
    'Integers to negative integer powers are not allowed')."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = on_gpu if cuda else (lambda t: t)
    bases, exps = [2, 2, -2, 1, 5, -3], [3, -1, -1, -3, 0, 3]
    want = [int(math.pow(b, e)) for b, e in zip(bases, exps)]
    assert want == [8, 0, 0, 1, 1, -27]
    x, y = move(lg.IntTensor(bases)), move(lg.IntTensor(exps))
    assert x.clone().cpow(y).tolist() == want
    assert lg.cpow(x, y).tolist() == want and lg.cpow(x, y).type() == x.type()
    assert move(lg.IntTensor(6)).cpow(x, y).tolist() == want
    big = lg.cpow(move(lg.LongTensor([3])), move(lg.LongTensor([39]))).tolist()
    assert big == [int(float(3 ** 39))] and big != [3 ** 39]
    # Torch7 has pow only for floating tensors; legonn's integer pow takes cpow's rule (NumPy raised there too)
    assert x.clone().pow(-1).tolist() == [int(math.pow(b, -1)) for b in bases] == [0, 0, 0, 1, 0, 0]
    assert lg.pow(2, y).tolist() == [int(math.pow(2, e)) for e in exps] == [8, 0, 0, 0, 1, 8]


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_integer_operators_take_an_out_of_range_number_as_the_c_real(cuda):
    """TensorOperator.c's ``b + 300`` is ``r:copy(b):add(300)`` with the number read by luaG_checkreal, the
    tensor's C type: 300 in a ByteTensor is 44 and -1 is 255, and ``300 - b`` fills 44 then subtracts. legonn
    raised NumPy 2's OverflowError 'Python integer 300 out of bounds for uint8' (``+=`` too). ``/`` and the
    comparisons keep the number: they compute in a wider type."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = on_gpu if cuda else (lambda t: t)
    b = move(lg.ByteTensor([250, 3]))
    assert (b + 300).tolist() == [(250 + 44) % 256, 3 + 44] == (300 + b).tolist() == b.clone().add(300).tolist()
    assert (b * -1).tolist() == [(250 * 255) % 256, 3 * 255 % 256] == (-1 * b).tolist()
    assert (300 - b).tolist() == [(44 - 250) % 256, 44 - 3] and (b - 300).tolist() == [250 - 44, (3 - 44) % 256]
    assert (b // 300).tolist() == [250 // 44, 0] and (b % 300).tolist() == [250 % 44, 3]
    c = b.clone()
    c += 300
    assert c.tolist() == [38, 47] and c.type() == b.type()
    assert (b / 300).tolist() == [250 / 300, 3 / 300] and (b == 256).tolist() == [0, 0]
    assert (move(lg.IntTensor([7])) * 2 ** 40).tolist() == [0]    # 2**40's low 32 bits
    # Torch7 has no power operator: ** keeps NumPy's rules, not a power of -1 read as 255 (b ** 255 wraps)
    with pytest.raises((ValueError, OverflowError)):
        b ** -1
    assert (b ** 2).tolist() == [250 ** 2 % 256, 9]


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_remainder_and_the_mod_operator_compute_th_remainder_in_the_tensors_real(cuda):
    """THTensor_(remainder) gets its number through cwrap as the C real (a FloatTensor's 3.3 is 3.3f) and
    computes ``x - v * floor(x / v)`` (the quotient in float, the rest in double); TensorOperator.c's ``t % v``
    is that same call. legonn used the double 3.3 in the product (half of float32 results one ulp off), and
    ``%`` was NumPy's exact remainder (a sixth of double results off)."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = on_gpu if cuda else (lambda t: t)
    rng = np.random.default_rng(3)
    for dtype, cls in ((np.float32, lg.FloatTensor), (np.float64, lg.DoubleTensor)):
        a = rng.uniform(-10, 10, 2000).astype(dtype)
        v = dtype(3.3)
        want = (a.astype(np.float64) - np.float64(v) * np.floor(a / v).astype(np.float64)).astype(dtype)
        x = move(cls(a))
        assert np.array_equal(x.clone().remainder(3.3).cpu().numpy(), want)
        assert np.array_equal((x % 3.3).cpu().numpy(), want)
        y = x.clone()
        y %= 3.3
        assert np.array_equal(y.cpu().numpy(), want)
        # what legonn computed: NumPy's exact remainder for ``%`` of doubles, the double 3.3 for float32's method
        old = np.remainder(a, v) if dtype is np.float64 else \
            (a.astype(np.float64) - 3.3 * np.floor(a / v).astype(np.float64)).astype(dtype)
        assert not np.array_equal(want, old)


UNARY = {'abs': np.abs, 'exp': np.exp, 'tanh': np.tanh, 'sign': np.sign, 'floor': np.floor, 'ceil': np.ceil,
         'neg': np.negative, 'sigmoid': lambda v: 1 / (1 + np.exp(-v)), 'sin': np.sin, 'cos': np.cos,
         'trunc': np.trunc, 'square': np.square, 'atan': np.arctan, 'expm1': np.expm1}
POSITIVE = {'log': np.log, 'sqrt': np.sqrt, 'rsqrt': lambda v: 1 / np.sqrt(v), 'cinv': lambda v: 1 / v,
            'log1p': np.log1p, 'frac': lambda v: np.fmod(v, 1)}


@pytest.mark.parametrize('name', sorted(UNARY) + sorted(POSITIVE))
def test_unary_in_place_result_and_functional(name, xy):
    a, b, x, y = xy
    ref_fn = UNARY.get(name) or POSITIVE[name]
    src, t = (a, x) if name in UNARY else (b * 3, lg.DoubleTensor(b * 3))
    expected = ref_fn(src)
    inplace = t.clone()
    assert getattr(inplace, name)() is inplace
    assert np.allclose(inplace.array, expected)
    r = lg.DoubleTensor()
    assert getattr(r, name)(t) is r and np.allclose(r.array, expected) and r.size() == t.size()
    new = getattr(lg, name)(t)
    assert np.allclose(new.array, expected) and new.storage() is not t.storage()


def test_round_takes_halves_away_from_zero_as_c_does():
    """Torch7's round is C's (TH's LAB_IMPLEMENT_BASIC_FUNCTION(round, round)), not NumPy's half-to-even rint."""
    values = [0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, -0.49999999999999994, 2.4999999999999996, -3.7, 1e300]
    expected = [1.0, 2.0, 3.0, -1.0, -3.0, 0.0, -0.0, 2.0, -4.0, 1e300]
    assert lg.DoubleTensor(values).round().tolist() == expected
    assert lg.round(lg.FloatTensor([0.5, 2.5, -1.5])).tolist() == [1.0, 3.0, -2.0]
    r = lg.DoubleTensor()
    assert r.round(lg.DoubleTensor([4.5, -4.5])) is r and r.tolist() == [5.0, -5.0]
    assert lg.LongTensor([3, -4]).round().tolist() == [3, -4]


def test_sigmoid_does_not_overflow():
    s = lg.Tensor([-1000.0, 0.0, 1000.0]).sigmoid()
    assert s.tolist() == [0.0, 0.5, 1.0]


def test_pow_forms(xy):
    a, b, x, y = xy
    assert np.allclose(y.clone().pow(2).array, b ** 2)
    assert np.allclose(lg.DoubleTensor().pow(y, 3).array, b ** 3)
    assert np.allclose(lg.DoubleTensor().pow(2, y).array, 2 ** b)


def test_clamp_forms(xy):
    a, b, x, y = xy
    assert np.allclose(x.clone().clamp(-0.5, 0.5).array, np.clip(a, -0.5, 0.5))
    r = lg.DoubleTensor()
    assert np.allclose(r.clamp(x, 0, 1).array, np.clip(a, 0, 1))
    with pytest.raises(TypeError, match='clamp'):
        x.clamp(1)


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_clamp_with_min_above_max_follows_th(cuda):
    """THTensor_(clamp) computes ``x < lo ? lo : (x > hi ? hi : x)``: with lo > hi the elements below lo become
    lo and the others hi, a NaN stays NaN (NumPy's clip gives hi everywhere)."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    x = lg.DoubleTensor([0, 2, 5, float('nan')])
    x = x.cudaDouble() if cuda else x
    got = x.clone().clamp(3, 1).tolist()
    assert got[:3] == [3, 3, 1] and math.isnan(got[3])
    assert lg.clamp(lg.DoubleTensor().type(x.type()), x, 3, 1).tolist()[:3] == [3, 3, 1]
    assert x.clone().clamp(1, 3).tolist()[:3] == [1, 2, 3]


def test_lerp(xy):
    a, b, x, y = xy
    assert np.allclose(x.clone().lerp(y, 0.25).array, a + 0.25 * (b - a))
    assert np.allclose(lg.DoubleTensor().lerp(x, y, 0.5).array, (a + b) / 2)


def test_writes_through_views():
    x = lg.zeros(3, 3)
    x.narrow(1, 1, 1).add(2)
    x.select(0, 0).mul(0).add(1)
    x.t().select(0, 2).cmul(lg.Tensor([5, 5, 5]))
    assert x.tolist() == [[1, 1, 5], [0, 2, 0], [0, 2, 0]]


def test_comparisons_return_byte_tensors():
    x = lg.Tensor([1, 2, 3])
    y = lg.Tensor([3, 2, 1])
    assert x.eq(2).type() == 'legonn.ByteTensor'
    assert x.eq(2).tolist() == [0, 1, 0]
    assert x.ne(y).tolist() == [1, 0, 1]
    assert x.gt(y).tolist() == [0, 0, 1]
    assert x.lt(y).tolist() == [1, 0, 0]
    assert x.ge(2).tolist() == [0, 1, 1]
    assert x.le(y).tolist() == [1, 1, 0]
    r = lg.ByteTensor()
    assert r.gt(x, 1) is r and r.tolist() == [0, 1, 1]
    assert x.equal(lg.Tensor([1, 2, 3])) and not x.equal(y) and not x.equal(lg.Tensor([1, 2]))


def test_masked_fill_with_comparison():
    x = lg.Tensor([[1, -2], [-3, 4]])
    x.maskedFill(x.lt(0), 0)
    assert x.tolist() == [[1, 0], [0, 4]]
    with pytest.raises(ValueError, match='mask of sizes'):
        x.maskedFill(lg.ByteTensor(3), 1)


def test_python_operators_return_new_tensors(xy):
    a, b, x, y = xy
    for result, expected in [(x + y, a + b), (x - y, a - b), (x * y, a * b), (x / y, a / b), (y ** 2, b ** 2),
                             (2 + x, 2 + a), (1 - x, 1 - a), (3 * x, 3 * a), (1 / y, 1 / b), (-x, -a),
                             (abs(x), np.abs(a)), (2 ** y, 2 ** b), (x // y, a // b), (x % y, a % b),
                             (x + b, a + b)]:
        assert isinstance(result, lg.DoubleTensor)
        assert np.allclose(result.array, expected)
    assert x.tolist() == a.tolist()
    m = lg.DoubleTensor(np.eye(3)[:2])
    assert np.allclose((x @ m.t()).array, a @ np.eye(3)[:2].T)
    assert ((x < 0).array == (a < 0)).all() and (x < 0).type() == 'legonn.ByteTensor'
    assert ((x >= y).array == (a >= b)).all()
    # broadcasting with the operators (NumPy rules)
    row = lg.DoubleTensor([1.0, 2.0, 3.0])
    assert np.allclose((x + row).array, a + [1, 2, 3])


def test_in_place_operators(xy):
    a, b, x, y = xy
    z = x.clone()
    storage = z.storage()
    z += y
    z -= 1
    z *= 2
    z /= y
    assert z.storage() is storage
    assert np.allclose(z.array, (a + b - 1) * 2 / b)


def test_size_mismatch_names_the_sizes():
    with pytest.raises(ValueError, match=r'sizes \(2,\)'):
        lg.Tensor(3).cmul(lg.Tensor(2))


def test_apply_map_map2_follow_element_order():
    x = lg.Tensor([[1, 2], [3, 4]])
    seen = []
    x.t().apply(lambda v: seen.append(v))          # None: element kept
    assert seen == [1, 3, 2, 4] and x.tolist() == [[1, 2], [3, 4]]
    x.apply(lambda v: v * 10 if v > 2 else None)
    assert x.tolist() == [[1, 2], [30, 40]]
    x.map(lg.Tensor([1, 1, 1, 1]), lambda a, b: a - b)
    assert x.tolist() == [[0, 1], [29, 39]]
    x.map2(lg.ones(2, 2), lg.ones(2, 2), lambda a, b, c: a + b + c)
    assert x.tolist() == [[2, 3], [31, 41]]
    with pytest.raises(ValueError, match='4 elements'):
        x.map(lg.Tensor(3), lambda a, b: a)


def test_atan2_is_c_atan2_of_y_then_x():
    y, x = lg.DoubleTensor([1, -1, 0, 1]), lg.DoubleTensor([0, 0, -1, 1])
    want = np.arctan2(y.array, x.array)
    np.testing.assert_array_equal(lg.atan2(y, x).array, want)
    r = lg.DoubleTensor()
    assert r.atan2(y, x) is r and np.array_equal(r.array, want)
    inplace = y.clone()
    assert inplace.atan2(x) is inplace and np.array_equal(inplace.array, want)


def test_sign_of_nan_is_zero_as_th():
    assert lg.DoubleTensor([float('nan'), -2.0, 0.0, 3.0]).sign().tolist() == [0.0, -1.0, 0.0, 1.0]
    assert lg.LongTensor([-5, 0, 7]).sign().tolist() == [-1, 0, 1]


def test_remainder_is_torch7s_formula():
    """torch7/lib/TH/generic/THTensorMath.c remainder/cremainder: x - v * floor(x / v) for floating types (NaN
    for v == 0; the float quotient then double arithmetic for FloatTensor), the divisor's sign for integers.
    NumPy's exact remainder differs from it in the last bits (in about a third of uniform(-10, 10) draws)."""
    x = np.random.RandomState(0).uniform(-10, 10, 1000)
    got = lg.DoubleTensor(x).remainder(2.1).array
    assert np.array_equal(got, x - 2.1 * np.floor(x / 2.1))
    x32 = x.astype(np.float32)
    want32 = (x32.astype(np.float64) - np.float64(np.float32(2.1)) *
              np.floor(x32 / np.float32(2.1))).astype(np.float32)
    assert np.array_equal(lg.FloatTensor(x32).remainder(2.1).array, want32)
    with np.errstate(divide='ignore', invalid='ignore'):   # Torch7 gives the NaN silently
        r = lg.cremainder(lg.DoubleTensor([5.3, 1.0]), lg.DoubleTensor([2.1, 0.0]))
    assert r[0] == 5.3 - 2.1 * np.floor(5.3 / 2.1) and np.isnan(r[1])
    assert lg.IntTensor([-7, 7]).remainder(3).tolist() == [2, 1]
    assert lg.cremainder(lg.IntTensor([-7, 7]), lg.IntTensor([3, -3])).tolist() == [2, -2]
    assert lg.cfmod(lg.DoubleTensor([-5.5]), lg.DoubleTensor([2])).tolist() == [-1.5]
    assert lg.DoubleTensor([-5.5]).mod(2).tolist() == [-1.5]                  # TensorMath.lua's alias of fmod


def test_shifts_and_bitwise_operations():
    """torch7/lib/TH/generic/THTensorMath.c lshift/rshift/bitand/bitor/bitxor and the c* forms: integer
    tensors shift as C unsigned types, floating ones multiply/divide by 2**v, bitwise refuses floats."""
    x = lg.LongTensor([1, 5, -8])
    assert x.clone().lshift(2).tolist() == [4, 20, -32]
    assert x.clone().rshift(1).tolist() == [0, 2, (2 ** 64 - 8) >> 1]       # a logical shift, as unsigned long
    assert lg.bitand(x, 3).tolist() == [1, 1, 0] and lg.bitor(x, 2).tolist() == [3, 7, -6]
    assert lg.bitxor(x, 1).tolist() == [0, 4, -7]
    y = lg.LongTensor([1, 2, 3])
    assert lg.clshift(x, y).tolist() == [2, 20, -64] and lg.crshift(lg.LongTensor([8, 8, 8]), y).tolist() == [4, 2, 1]
    assert lg.cbitand(x, y).tolist() == [1, 0, 0] and lg.cbitor(x, y).tolist() == [1, 7, -5]
    assert lg.cbitxor(lg.cbitxor(x, y), y).tolist() == x.tolist()
    assert lg.ByteTensor([200, 3]).lshift(1).tolist() == [144, 6]            # wraps as unsigned char
    assert lg.FloatTensor([1.5, -3]).lshift(2).tolist() == [6, -12]
    assert lg.DoubleTensor([3]).rshift(1).tolist() == [1.5]
    r = lg.LongTensor()
    assert lg.lshift(r, x, 1) is r and r.tolist() == [2, 10, -16]
    with pytest.raises(TypeError, match='integer type'):
        lg.FloatTensor([1]).bitand(1)


@pytest.mark.gpu
def test_remainder_and_bitwise_on_the_gpu():
    """The CuPy paths of remainder_into and the bitwise mixin give the CPU's values."""
    pytest.importorskip('cupy')
    if not lg.gpu_available():
        pytest.skip('no GPU')
    x = lg.DoubleTensor(np.random.RandomState(1).uniform(-10, 10, 100))
    assert np.array_equal(x.cudaDouble().remainder(2.1).cpu().array, x.clone().remainder(2.1).array)
    i = lg.LongTensor([1, 5, -8])
    assert i.cudaLong().rshift(1).cpu().tolist() == i.clone().rshift(1).tolist()
    assert lg.bitand(i.cudaLong(), 3).cpu().tolist() == [1, 1, 0]


def test_cmax_cmin_nan_rule():
    """torch7/lib/TH/generic/THTensorMath.c cmax/cmaxValue: x > y ? x : y, so a NaN in x gives y (x:cmax(0)
    maps NaN to 0) and a NaN in y gives NaN; cmin alike with <."""
    nan = float('nan')
    got = lg.cmax(lg.DoubleTensor([nan, 1]), lg.DoubleTensor([1, nan])).tolist()
    assert got[0] == 1 and np.isnan(got[1])
    assert lg.DoubleTensor([nan, -1, 2]).cmax(0).tolist() == [0, 0, 2]
    assert lg.cmin(lg.DoubleTensor([nan, 1, 3]), 2).tolist() == [2, 1, 2]
    assert lg.DoubleTensor().cmax(lg.DoubleTensor([1, 5]), lg.DoubleTensor([3, 2])).tolist() == [3, 5]


class _CountedMod(np.ndarray):
    """An array that counts the ``%`` it computes on elements (not on an emptied slice)."""
    calls = 0

    def __mod__(self, other):
        if self.size:
            _CountedMod.calls += 1
        return np.asarray(self) % other


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_mod_operator_takes_numpy_type_and_shape_without_computing_numpy_remainder(cuda):
    """``%`` of a floating tensor writes THTensor_(remainder)'s values into an array of NumPy's result type and
    shape: that type now comes from the operands emptied (legonn computed NumPy's whole remainder for it, then
    overwrote it). Types and shapes agree with ``%``'s own for every pairing of dtypes, numbers and broadcasts."""
    from legonn.tensor.pointwise import _th_remainder
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    xp = pytest.importorskip('cupy') if cuda else np
    a = np.arange(1.0, 7.0).reshape(2, 3).view(_CountedMod)
    _CountedMod.calls = 0
    assert np.array_equal(_th_remainder(np, a, 4.0), [[1, 2, 3], [0, 1, 2]]) and _CountedMod.calls == 0
    numbers = (3, 2.5, np.float32(2.5), np.float64(2.5), True)
    for da in (np.float16, np.float32, np.float64, np.int32, np.uint8):
        x = xp.asarray(np.arange(1, 7).reshape(2, 3).astype(da))
        others = [xp.asarray(np.arange(1, 4).astype(db)) for db in (np.float16, np.float32, np.float64, np.int64)]
        others += [xp.asarray(np.array(2, dtype=np.float32)), xp.asarray(np.ones((2, 1), dtype=np.float64))]
        for b in others + list(numbers):
            for lhs, rhs in ((x, b), (b, x)):
                want, got = lhs % rhs, _th_remainder(xp, lhs, rhs)
                assert (got.dtype, got.shape) == (want.dtype, want.shape), (da, lhs, rhs)


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_pow_by_a_number_takes_torch7s_special_cases(cuda):
    """THTensor_(pow) (torch7 lib/TH/generic/THTensorMath.c:2920-2947) computes x*x, x*x*x, sqrt(x), 1/sqrt(x),
    1/x and 1/(x*x) for the exponents 2, 3, 0.5, -0.5, -1 and -2, C's pow only for the others; cutorch's
    THCTensor_(pow) (lib/THC/generic/THCTensorMathPointwise.cu:166, TensorPowOp) has the same cases but 0.5 and
    -0.5. They differ from pow where x*x overflows (1/(x*x) is 0 where pow gives the subnormal 1e-310) and at
    -0 and -inf: 1/sqrt(-0.) is 1/-0. = -inf and 1/sqrt(-inf) NaN, where pow gives inf and 0 (legonn gave
    pow's values)."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = on_gpu if cuda else (lambda t: t)
    x = move(lg.DoubleTensor([1e155, -0.0, -math.inf, 4.0, -2.0]))
    assert x.clone().pow(-2).tolist() == [0.0, math.inf, 0.0, 1 / 16, 1 / 4]
    assert lg.pow(x, -2).tolist()[0] == 0.0
    assert x.clone().pow(3).tolist() == [math.inf, -0.0, -math.inf, 64.0, -8.0]
    got = x.clone().pow(-0.5).tolist()
    if cuda:   # cutorch: pow(x, -0.5)
        assert got[1:4] == [math.inf, 0.0, 0.5] and math.isnan(got[4])
    else:      # TH: 1 / sqrt(x)
        assert got[1] == -math.inf and math.isnan(got[2]) and got[3] == 0.5 and math.isnan(got[4])
    if not cuda:
        assert np.signbit(x.clone().pow(0.5).array[1])    # TH's sqrt(-0.) is -0.


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_frac_is_x_minus_trunc_x_with_its_zero_sign(cuda):
    """TH_frac (torch7 lib/TH/THMath.h:10) and cutorch's THCNumerics frac (THCNumerics.cuh:617) are x - trunc(x):
    a whole number's fraction is +0 whatever its sign (-3 - -3 and -0 - -0 are +0), where C's fmod(x, 1), which
    legonn computed, keeps the dividend's sign (-0)."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = on_gpu if cuda else (lambda t: t)
    x = move(lg.DoubleTensor([-3.0, -0.0, 2.0, -2.75, 2.5, math.inf]))
    got = lg.frac(x).cpu().numpy() if cuda else lg.frac(x).numpy()
    assert got[:5].tolist() == [0.0, 0.0, 0.0, -0.75, 0.5] and math.isnan(got[5])
    assert not np.signbit(got[:3]).any()
    assert not np.signbit(x.clone().frac().cpu().numpy()[:3]).any()


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_round_of_a_small_negative_is_minus_zero_as_cs_round(cuda):
    """THTensor_(round) is C's round (torch7 lib/TH/generic/THTensorMath.c:2912; cutorch's THCNumerics round is
    ::round too), whose result has the sign of x: round(-0.2) and round(-0.) are -0 (legonn gave +0, adding the
    rounding's 0 to trunc's -0)."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = on_gpu if cuda else (lambda t: t)
    x = move(lg.DoubleTensor([-0.2, -0.0, -0.49999999999999994, 0.2, -0.5, -2.5, 2.5]))
    got = lg.round(x).cpu().numpy() if cuda else lg.round(x).numpy()
    assert got.tolist() == [0.0, 0.0, 0.0, 0.0, -1.0, -3.0, 3.0]
    assert np.signbit(got).tolist() == [True, True, True, False, True, True, False]
