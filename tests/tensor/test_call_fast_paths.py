"""The short routes of the common tensor calls (bench/tensor_calls.md) against the general ones they skip: the
same results, types, geometry and errors. Each fast path is taken by a tensor operand of this tensor's type and
sizes (or an int key, or a short index list), so the general route is forced by handing the same values in
another form: the NumPy array behind the tensor, a tuple key, a long index list, an empty result tensor."""
import numpy as np
import pytest

import legonn as lg
from tests.checks import on_gpu

TYPES = ['FloatTensor', 'DoubleTensor', 'HalfTensor', 'ByteTensor', 'CharTensor', 'ShortTensor', 'IntTensor',
         'LongTensor']


def _values(typename, seed, shape=(4, 6)):
    """Values that overflow every integer type when added or multiplied (the wrap rules), with negatives."""
    rng = np.random.default_rng(seed)
    values = rng.integers(-120, 250, shape).astype(np.float64) + (0.25 if typename in TYPES[:3] else 0)
    return getattr(lg, typename)(values.tolist())


def _layouts(t):
    """``t`` itself and views of its transpose's transpose (the same sizes, strides not row-major)."""
    twisted = getattr(lg, t.type().split('.')[-1])(t.size(1), t.size(0)).copy(t.t().contiguous()).t()
    return [t, twisted]


def _same(got, want):
    """Equal type, geometry and elements (bit for bit, NaN included)."""
    assert type(got) is type(want)
    assert got.size() == want.size() and got.stride() == want.stride()
    assert got.storageOffset() == want.storageOffset() and got.isContiguous() == want.isContiguous()
    assert np.array_equal(got.array, want.array, equal_nan=got.dtype.kind == 'f')


def _outcome(fn):
    """What ``fn()`` returns, or the type and message of what it raises."""
    try:
        return 'value', fn()
    except Exception as e:   # the errors themselves are compared
        return 'error', (type(e), str(e))


def _same_outcome(fast, general):
    a, b = _outcome(fast), _outcome(general)
    assert a[0] == b[0], (a, b)
    if a[0] == 'error':
        assert a[1] == b[1]
    elif isinstance(a[1], lg.Tensor):
        _same(a[1], b[1])
    else:
        assert type(a[1]) is type(b[1]) and (a[1] == b[1] or a[1] != a[1] and b[1] != b[1])


@pytest.mark.parametrize('typename', TYPES)
@pytest.mark.parametrize('method', ['add', 'cmul', 'csub', 'cdiv', 'cmax'])
def test_in_place_with_a_tensor_of_this_type_and_sizes(typename, method):
    """x.add(y) with y a tensor of x's type and sizes takes y's array at once; handing its array instead
    takes the general route (operand, element count, device): the same values, wraps of integer types
    included, on contiguous and transposed operands."""
    with np.errstate(all='ignore'):
        for x in _layouts(_values(typename, 1)):
            for y in _layouts(_values(typename, 2)):
                _same_outcome(lambda: getattr(x.clone(), method)(y), lambda: getattr(x.clone(), method)(y.array))


@pytest.mark.parametrize('typename', TYPES)
def test_result_form_with_tensors_of_this_type(typename):
    """r.add(x, y) with x of r's type resizes r like x directly: the same as with x's array."""
    with np.errstate(all='ignore'):
        for x in _layouts(_values(typename, 3)):
            y = _values(typename, 4)
            for r in (getattr(lg, typename)(), getattr(lg, typename)(2, 2), x.clone()):
                _same_outcome(lambda: r.clone().add(x, y), lambda: r.clone().add(x.array, y.array))
                _same_outcome(lambda: r.clone().mul(x, 3), lambda: r.clone().mul(x.array, 3))


def test_mixed_types_and_bad_operands_keep_the_general_route():
    """Operands of another type, other sizes of as many elements, other counts, numbers, bools and objects
    that are not operands: the fast test fails and the general route answers as before."""
    x = _values('FloatTensor', 5)
    others = [_values('DoubleTensor', 6), _values('ByteTensor', 7), _values('FloatTensor', 8).view(24),
              _values('FloatTensor', 9).view(6, 4), lg.FloatTensor(5), 2, 2.5, np.float32(1.5), True, 'a', None]
    for y in others:
        _same_outcome(lambda: x.clone().add(y), lambda: x.clone().add(y.array if isinstance(y, lg.Tensor) else y))
        _same_outcome(lambda: lg.add(x, y), lambda: lg.FloatTensor().add(x, y))


@pytest.mark.parametrize('typename', TYPES)
@pytest.mark.parametrize('name', ['add', 'cmul', 'cdiv', 'atan2', 'cpow'])
def test_functional_form_allocates_the_result_as_resize_would(typename, name):
    """legonn.add(x, y) makes its result at x's sizes at once; the general route is an empty result of x's type
    that the method resizes: the same tensor (type, contiguous sizes, values), the same errors."""
    with np.errstate(all='ignore'):
        for x in _layouts(_values(typename, 10)):
            for y in (_values(typename, 11), _values('DoubleTensor', 12), _values(typename, 13, (5,))):
                fast = lambda: getattr(lg, name)(x, y)   # noqa: E731
                general = lambda: getattr(type(x)(), name)(x, y)   # noqa: E731
                _same_outcome(fast, general)
                result = _outcome(fast)[1]
                if isinstance(result, lg.Tensor):
                    assert result.storage().size() == x.nElement()


def _element_wise_arguments(name, x, y, z):
    """A call of the element-wise function ``name`` with x first, as its pattern (functions.INTO_RESULT) reads."""
    return {'mul': (x, 3), 'div': (x, 3), 'fmod': (x, 3), 'remainder': (x, 3), 'pow': (x, 2), 'clamp': (x, -1, 9),
            'addcmul': (x, 2, y, z), 'addcdiv': (x, 2, y, z), 'lerp': (x, y, 0.5)}.get(
        name, (x, y) if name in ('add', 'csub', 'cmul', 'cdiv', 'cpow', 'atan2', 'cmax', 'cmin') else (x,))


@pytest.mark.parametrize('typename', ['FloatTensor', 'IntTensor'])
def test_every_element_wise_function_allocates_as_its_method_resizes(typename):
    """Each function whose new result is allocated at its first argument's sizes (functions._SHAPED_AS_FIRST)
    gives what an empty result of that type, resized by the method, holds: type, sizes, storage size, values."""
    from legonn.tensor.functions import _SHAPED_AS_FIRST
    x, y, z = (_values(typename, seed) for seed in (30, 31, 32))
    z.apply(lambda v: v or 1)   # no integer division by zero
    with np.errstate(all='ignore'):
        for name in sorted(_SHAPED_AS_FIRST):
            args = _element_wise_arguments(name, x, y, z)
            _same_outcome(lambda: getattr(lg, name)(*args), lambda: getattr(type(x)(), name)(*args))
            result = _outcome(lambda: getattr(lg, name)(*args))[1]
            if isinstance(result, lg.Tensor):
                assert result.storage().size() == x.nElement()
            for bad in ((x,), (x, 'a'), (x, y, y, y, y, y)):   # fitting no form (but a unary function's (x,))
                _same_outcome(lambda: getattr(lg, name)(*bad), lambda: getattr(type(x)(), name)(*bad))


def test_functional_forms_of_one_argument_pattern_and_results_given():
    """The result count is cached per argument kinds: the same kinds in another order, a result tensor given,
    and numbers alone each keep their own answer."""
    x, y = _values('DoubleTensor', 14), _values('DoubleTensor', 15)
    for _ in range(2):
        assert np.array_equal(lg.add(x, y).array, x.array + y.array)
        r = lg.DoubleTensor()
        assert lg.add(r, x, y) is r and np.array_equal(r.array, x.array + y.array)
        assert np.array_equal(lg.add(x, 2, y).array, x.array + 2 * y.array)
        assert lg.floor(2.5) == 2 and lg.pow(2, 10) == 1024
        assert np.array_equal(lg.pow(2, x).array, np.power(2.0, x.array))
        assert np.array_equal(lg.clamp(x, -1, 1).array, np.clip(x.array, -1, 1))


@pytest.mark.parametrize('typename', TYPES)
def test_copy_of_a_tensor_of_these_sizes(typename):
    """x.copy(y) with y of x's sizes on x's device is one copyto, whatever y's type; the general route (y's
    array, or y seen with other sizes of as many elements) gives the same elements, casts and wraps included."""
    with np.errstate(all='ignore'):
        for x in _layouts(_values(typename, 16)):
            for source_type in ('FloatTensor', 'ByteTensor', typename):
                for y in _layouts(_values(source_type, 17)):
                    _same_outcome(lambda: x.clone().copy(y), lambda: x.clone().copy(y.array))
                    _same_outcome(lambda: x.clone().copy(y), lambda: x.clone().copy(y.contiguous().view(24)))
        _same_outcome(lambda: x.clone().copy(lg.FloatTensor(5)), lambda: x.clone().copy(lg.FloatTensor(5).array))


def _geometries():
    """Tensors whose first dimension steps forwards, backwards (a reversed array wrapped), or not at all."""
    base = np.arange(60.0).reshape(3, 4, 5)
    return [lg.DoubleTensor(base), lg.DoubleTensor(base).transpose(0, 2), lg.from_numpy(base[::-1, :, ::-1]),
            lg.from_numpy(base[:, ::-2]), lg.DoubleTensor(base).narrow(1, 1, 2), lg.DoubleTensor(1, 4, 5),
            lg.DoubleTensor(base).expand(3, 4, 5).select(2, 1), lg.LongTensor([5, 6, 7]),
            lg.from_numpy(np.arange(5)[::-1])]


def test_int_key_against_the_general_key_route():
    """x[i] with an int: the element of a vector, the slice view of anything else, at the offset and strides
    the general route (a tuple key, whose view is found from the addresses) computes; out of range the same
    IndexError."""
    for t in _geometries():
        for i in (0, 1, -1, -t.size(0), t.size(0), -t.size(0) - 1, 2):
            _same_outcome(lambda: t[i], lambda: t[(i,)])
            got = _outcome(lambda: t[i])[1]
            if isinstance(got, lg.Tensor):
                assert got.storage() is t.storage()
                got.fill(-1)   # the view writes into t
                assert (t[(i,)].array == -1).all()


def test_int_key_of_a_resized_storage_rebuilds_the_view():
    """A row view taken after the storage was reallocated sees the new memory."""
    t = lg.DoubleTensor(2, 3).fill(1)
    t.storage().resize(12)
    t.resize(4, 3).fill(2)
    row = t[3]
    row.fill(5)
    assert t.array[3].tolist() == [5, 5, 5] and row.storageOffset() == 9


@pytest.mark.parametrize('index_type', ['LongTensor', 'IntTensor', 'ByteTensor'])
def test_index_bounds_of_short_and_long_index_lists(index_type):
    """A short index list's bounds come from its values as a list, a long one's from two reductions: the same
    selections and the same errors, negatives and out-of-range entries included."""
    x = lg.DoubleTensor(np.arange(40.0).reshape(8, 5))
    cases = [[0, 3, 5], [7], [-1, -8, 2], [8], [-9, 0], [0, 1, 300]] if index_type != 'ByteTensor' else \
        [[0, 3, 5], [7], [8], [0, 1, 200]]
    for entries in cases:
        short = getattr(lg, index_type)(entries)
        long = getattr(lg, index_type)(entries * 6)    # over 16 entries
        for dim, target in ((0, x), (1, x.t())):
            outcomes = [_outcome(lambda: target.index(dim, idx)) for idx in (short, long)]
            assert outcomes[0][0] == outcomes[1][0]
            if outcomes[0][0] == 'error':   # the same entries: the same bounds in the message
                assert outcomes[0][1] == outcomes[1][1]
                continue
            for idx, (_, got) in zip((short, long), outcomes):
                _same(got, lg.DoubleTensor(np.take(target.array, idx.array, axis=dim)))
    with pytest.raises(IndexError, match=r'index out of range \[0, 8\) \(got min -1, max 9\)'):
        x.index(0, lg.LongTensor([-1, 9]))
    with pytest.raises(IndexError, match=r'got min -9, max 9\)'):
        x.index(0, lg.LongTensor([-9, 9] * 9))


def test_numbers_are_still_told_from_bools_and_tensors():
    """The float/int test in front of the number check changes no answer."""
    from legonn.tensor.pointwise import _is_number
    for value, want in ((1, True), (2.5, True), (np.int8(3), True), (np.float32(1), True), (True, False),
                        (np.bool_(True), True), (1 + 2j, True), ('1', False), (None, False),
                        (lg.FloatTensor(1), False), (np.zeros(1), False)):
        assert _is_number(value) is want


@pytest.mark.gpu
def test_fast_paths_on_the_gpu():
    """CUDA tensors take the same short routes: in-place, result form, functional form, copy, int key and
    index agree with the general routes and with the CPU."""
    if not lg.gpu_available():
        pytest.skip('no GPU')
    for typename in ('FloatTensor', 'DoubleTensor', 'ByteTensor', 'IntTensor'):
        x, y = _values(typename, 20), _values(typename, 21)
        gx, gy = on_gpu(x), on_gpu(y)
        with np.errstate(all='ignore'):
            assert gx.clone().add(gy).cpu().tolist() == x.clone().add(y).tolist()
            assert gx.clone().add(gy).cpu().tolist() == gx.clone().add(gy.array).cpu().tolist()
            result = lg.add(gx, gy)
            assert result.type() == gx.type() and result.is_cuda and result.isContiguous()
            assert result.cpu().tolist() == lg.add(x, y).tolist()
            assert type(gx)().add(gx, gy).cpu().tolist() == result.cpu().tolist()
            assert gx.clone().copy(gy).cpu().tolist() == y.tolist()
        row = gx[2]
        assert row.is_cuda and row.storageOffset() == gx[(2,)].storageOffset() and row.cpu().tolist() == x[2].tolist()
        assert gx[2][3] == x[2][3]
        assert gx.index(0, on_gpu(lg.LongTensor([0, 3]))).cpu().tolist() == x.index(0, lg.LongTensor([0, 3])).tolist()
    with pytest.raises(TypeError, match='operand is on the CPU'):
        on_gpu(lg.FloatTensor(2, 2)).add(lg.FloatTensor(2, 2))
