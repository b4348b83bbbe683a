"""Module-level factories, functional forms (new results), cat/stack and snake_case aliases."""
import numpy as np
import pytest

import legonn as lg


def test_factories():
    assert lg.zeros(2, 3).tolist() == [[0] * 3] * 2 and lg.zeros((2, 3)).size() == (2, 3)
    assert lg.ones(2).tolist() == [1, 1] and lg.ones(2, tensortype='legonn.LongTensor').type() == 'legonn.LongTensor'
    assert lg.range(1, 4).tolist() == [1, 2, 3, 4]                  # Torch7: end inclusive
    assert lg.range(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert lg.range(3, 1, -1).tolist() == [3, 2, 1]
    assert lg.arange(3).tolist() == [0, 1, 2]
    assert lg.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert lg.linspace(0, 1).size() == (100,)                        # Torch7's default count
    assert np.allclose(lg.logspace(0, 2, 3).array, [1, 10, 100])
    assert lg.eye(2).tolist() == [[1, 0], [0, 1]] and lg.eye(2, 3).size() == (2, 3)
    # THTensor_(eye): m <= 0 means m = n, n must be positive (legonn made 2 x 0, and raised NumPy's words for -1)
    assert lg.eye(2, 0).tolist() == lg.eye(2, -1).tolist() == lg.eye(2).tolist()
    for n in (0, -1):
        with pytest.raises(ValueError, match='legonn.eye: expected a size n > 0'):
            lg.eye(n)
    assert lg.zeros(2, tensortype='torch.DoubleTensor').type() == 'legonn.DoubleTensor'
    with pytest.raises(ValueError, match='step'):
        lg.range(0, 1, 0)
    # THTensor_(range) and THTensor_(linspace/logspace) refuse what they cannot make
    assert lg.range(2, 2).tolist() == [2] and lg.linspace(3, 3, 1).tolist() == [3]
    with pytest.raises(ValueError, match='sign of step'):
        lg.range(5, 1)
    for make in (lg.linspace, lg.logspace):
        with pytest.raises(ValueError, match='points'):
            make(1, 2, 1)
        with pytest.raises(ValueError, match='points'):
            make(0, 1, 0)


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_integer_range_truncates_its_bounds_and_step_as_a_c_long(cuda):
    """TensorMath.lua hands range's bounds and step to THTensor_(range) as the tensor's accreal, a C long for
    the integer types, so each is truncated toward zero first: an IntTensor's range(1, 4.9, 1.5) is range(1, 4,
    1), 1 2 3 4 (legonn stepped by 1.5 and gave 1 2 4), and a step of 0.5 is 0, refused."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    kind = 'legonn.CudaIntTensor' if cuda else 'legonn.IntTensor'
    assert lg.range(lg.Tensor().type(kind), 1, 4.9, 1.5).tolist() == list(range(1, 4 + 1, 1))
    assert lg.range(1, 4.9, 1.5, tensortype=kind).tolist() == [1, 2, 3, 4]
    assert lg.Tensor(4).type(kind).range(-2.5, 1.5).tolist() == list(range(int(-2.5), int(1.5) + 1))
    assert lg.range(5, 1, -2.9, tensortype=kind).tolist() == [5, 3, 1]
    with pytest.raises(ValueError, match='step'):
        lg.range(1, 3, 0.5, tensortype=kind)
    assert lg.range(1, 2.9, 1.5, tensortype='legonn.DoubleTensor').tolist() == [1, 2.5]   # floats keep theirs


def test_range_counts_its_points_as_torch7s_cast_of_the_quotient_plus_one():
    """THTensor_(range) (torch7 lib/TH/generic/THTensorMath.c:2027) sizes its result (ptrdiff_t)((xmax - xmin) /
    step + 1), the 1 added in double before the cast: a quotient just below a whole number that the addition
    rounds up counts that point. (0.3 - 0.1) / 0.1 is 1.9999999999999998, plus 1 is 3.0: three points, the last
    0.1 + 2 * 0.1 (legonn floored the quotient first and gave two)."""
    q = (0.3 - 0.1) / 0.1
    assert q < 2 and q + 1 == 3
    assert lg.range(0.1, 0.3, 0.1, tensortype='legonn.DoubleTensor').tolist() == [0.1, 0.1 + 0.1, 0.1 + 2 * 0.1]
    assert lg.range(0.2, 0.6, 0.1).size() == (5,) and lg.range(0.6, 0.2, -0.1).size() == (5,)
    assert lg.range(0, 0.3, 0.1).size() == (3,)     # 2.9999999999999996 + 1 stays below 4: three points, as TH


def test_factories_follow_the_default_type():
    lg.setdefaulttensortype('legonn.DoubleTensor')
    assert lg.zeros(1).type() == lg.rand(1).type() == lg.range(0, 1).type() == 'legonn.DoubleTensor'


def test_functional_forms_return_new_tensors():
    x = lg.Tensor([1, 2, 3])
    y = lg.Tensor([4, 5, 6])
    s = lg.add(x, y)
    assert s.tolist() == [5, 7, 9] and x.tolist() == [1, 2, 3] and s.storage() is not x.storage()
    assert lg.add(x, 2, y).tolist() == [9, 12, 15]
    assert lg.mul(x, 2).tolist() == [2, 4, 6]
    assert lg.div(y, 2).tolist() == [2, 2.5, 3]
    assert lg.cmul(x, y).tolist() == [4, 10, 18]
    assert lg.pow(x, 2).tolist() == [1, 4, 9]
    assert lg.clamp(y, 4.5, 5.5).tolist() == [4.5, 5, 5.5]
    assert lg.addcmul(x, 2, x, y).tolist() == [9, 22, 39]
    assert lg.sum(x) == 6 and lg.max(y) == 6
    assert lg.eq(x, 2).tolist() == [0, 1, 0]
    assert lg.exp(lg.zeros(2)).tolist() == [1, 1]
    assert lg.sigmoid(lg.zeros(1)).tolist() == [0.5]
    assert lg.transpose(lg.zeros(2, 3), 0, 1).size() == (3, 2)
    # NumPy arrays are accepted (wrapped without copying) and not modified
    a = np.array([1.0, 2.0])
    assert lg.add(a, a).tolist() == [2, 4] and a.tolist() == [1, 2]


def test_cat_forms_and_types():
    a = lg.Tensor([[1, 2], [3, 4]])
    b = lg.Tensor([[5, 6]])
    assert lg.cat([a, b], 0).tolist() == [[1, 2], [3, 4], [5, 6]]
    assert lg.cat(a, b, 0).tolist() == [[1, 2], [3, 4], [5, 6]]
    assert lg.cat([a, a]).size() == (2, 4)                           # default: the last dimension
    assert lg.cat([lg.Tensor(), a], 0).tolist() == a.tolist()          # empty tensors are skipped
    assert lg.cat([a, a.double()], 0).type() == 'legonn.FloatTensor'   # the first tensor's type
    with pytest.raises(ValueError, match='differ outside dimension 1'):
        lg.cat([a, b], 1)
    with pytest.raises(ValueError, match='at least one'):
        lg.cat([])
    assert lg.stack([a, a]).size() == (2, 2, 2)
    # bad input names legonn.stack and what came (it raised NumPy's words, or IndexError for no tensors)
    with pytest.raises(ValueError, match=r'legonn.stack: .*equal sizes.*\(2,\), \(1,\)'):
        lg.stack([lg.DoubleTensor([1, 2]), lg.DoubleTensor([1])])
    with pytest.raises(ValueError, match='legonn.stack'):
        lg.stack([])
    with pytest.raises(IndexError, match='legonn.stack: dimension 3'):
        lg.stack([lg.DoubleTensor([1])], 3)
    assert lg.stack([lg.DoubleTensor([1, 2])] * 3, -1).size() == (2, 3)


def test_repeat_tensor():
    x = lg.Tensor([1, 2])
    assert x.repeatTensor(2, 2).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert x.repeatTensor(3).tolist() == [1, 2, 1, 2, 1, 2]
    assert lg.repeatTensor(lg.Tensor([[1], [2]]), 1, 3).tolist() == [[1, 1, 1], [2, 2, 2]]
    with pytest.raises(ValueError, match='repeat counts'):
        lg.Tensor(2, 2).repeatTensor(2)


def test_split_and_chunk_functional():
    parts = lg.split(lg.range(0, 4), 2)
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3], [4]]
    assert [c.size() for c in lg.chunk(lg.zeros(4, 6), 4, 1)] == [(4, 2), (4, 2), (4, 2)]


def test_snake_case_aliases():
    x = lg.zeros(2, 3)
    assert x.n_element() == x.nElement() == 6
    assert x.n_dimension() == 2 and x.storage_offset() == 0 and x.is_contiguous()
    assert x.index_select(0, lg.LongTensor([1])).size() == (1, 3)
    assert x.masked_fill(x.eq(0), 1).sum() == 6
    assert x.resize_as(lg.zeros(3)).size() == (3,)
    assert x.repeat_tensor(2).size() == (6,)
    assert lg.Tensor.index_copy is not None and lg.Tensor.resize_as
    lg.manual_seed(3)
    a = lg.rand(2).tolist()
    lg.manualSeed(3)
    assert lg.rand(2).tolist() == a
    assert lg.index_select is not None and lg.get_rng_state is lg.getRNGState
    assert lg.repeat_tensor(lg.Tensor([1]), 2).tolist() == [1, 1]


def test_as_tensor_tree():
    a = np.zeros(2, dtype=np.float32)
    t = lg.as_tensor(a)
    assert np.shares_memory(t.array, a)
    tree = lg.as_tensor_tree([a, [a, lg.Tensor(1)]])
    assert isinstance(tree, list) and isinstance(tree[1][0], lg.FloatTensor)
    assert lg.as_tensor([1, 2]).tolist() == [1, 2] and lg.is_tensor(t) and not lg.is_tensor(a)
    with pytest.raises(TypeError, match='legonn.Tensor'):
        lg.as_tensor('x')


def test_subpackages_load_on_attribute_access():
    import legonn
    assert legonn.nn.Linear is not None
    with pytest.raises(AttributeError, match='no attribute'):
        legonn.not_a_thing


def test_functional_forms_write_into_a_result_given_first():
    """torch7 TensorMath.lua ([res] torch.f([res,] ...) for every math function, doc/maths.md): a tensor given
    before the operands is the result, resized, filled and returned, the operands untouched; torch-rnn's
    LSTM_test.lua computes the naive LSTM with torch.mm, torch.sigmoid, torch.tanh and torch.cmul."""
    rs = np.random.RandomState(0)
    a, b, m = rs.randn(2, 3), rs.randn(3, 4), rs.randn(2, 4)
    x, y = lg.DoubleTensor(a.copy()), lg.DoubleTensor(rs.randn(2, 3))
    A, B, M = lg.DoubleTensor(a.copy()), lg.DoubleTensor(b.copy()), lg.DoubleTensor(m.copy())
    cases = [(lg.mm, (A, B), a @ b), (lg.tanh, (x,), np.tanh(a)), (lg.sigmoid, (x,), 1 / (1 + np.exp(-a))),
             (lg.abs, (x,), np.abs(a)), (lg.add, (x, y), a + y.numpy()), (lg.add, (x, 5), a + 5),
             (lg.add, (x, 2, y), a + 2 * y.numpy()), (lg.cmul, (x, y), a * y.numpy()), (lg.mul, (x, 3), 3 * a),
             (lg.cmax, (x, 0.5), np.maximum(a, 0.5)), (lg.cmax, (x, y), np.maximum(a, y.numpy())),
             (lg.addmm, (M, A, B), m + a @ b), (lg.addmm, (0.5, M, 2, A, B), 0.5 * m + 2 * a @ b),
             (lg.addcmul, (x, 2, x, y), a + 2 * a * y.numpy()), (lg.pow, (x, 2), a ** 2),
             (lg.clamp, (x, -0.5, 0.5), np.clip(a, -0.5, 0.5))]
    for fn, args, expected in cases:
        res = lg.DoubleTensor()
        assert fn(res, *args) is res, fn.__name__
        assert np.allclose(res.numpy(), expected), fn.__name__
        fresh = fn(*args)                      # without a result: a new tensor, as before
        assert fresh is not x and np.allclose(fresh.numpy(), expected), fn.__name__
    assert np.array_equal(x.numpy(), a) and np.array_equal(A.numpy(), a) and np.array_equal(M.numpy(), m)
    res = lg.DoubleTensor()
    index = lg.LongTensor([[2], [0]])
    assert res.gather(x, 1, index) is res and res.numpy().ravel().tolist() == [a[0, 2], a[1, 0]]
    assert lg.gather(lg.DoubleTensor(), x, 1, index).numpy().ravel().tolist() == [a[0, 2], a[1, 0]]


def test_math_functions_of_numbers_are_numbers():
    """torch7 TensorMath.lua: torch.abs, exp, log, tanh, sigmoid, sqrt, round, pow, atan2, lerp ... of numbers
    return a number (torch-rnn's TemporalCrossEntropyCriterion_test.lua: torch.abs(naive_loss - loss));
    round is C's, halves away from zero."""
    assert lg.abs(-0.5) == 0.5 and lg.exp(0.0) == 1.0 and lg.tanh(0.0) == 0.0 and lg.sigmoid(0.0) == 0.5
    assert lg.round(2.5) == 3 and lg.round(-2.5) == -3 and lg.floor(-1.5) == -2 and lg.frac(-1.25) == -0.25
    assert lg.pow(2, 10) == 1024 and lg.lerp(1.0, 3.0, 0.25) == 1.5 and lg.atan2(1.0, 1.0) == pytest.approx(np.pi / 4)


def test_result_first_functional_forms():
    """torch7/TensorMath.lua: each function's first argument is an optional result tensor
    ({name=Tensor, default=true, returned=true}); torch.sum(r, x, 2) fills r, torch.max(v, i, x, 2) fills
    both, torch.add(r, a, b) is r:add(a, b)."""
    x = lg.DoubleTensor([[3, 1, 2], [6, 5, 4]])
    r = lg.DoubleTensor()
    assert lg.sum(r, x, 1) is r and r.tolist() == [[6], [15]]
    for name in ('prod', 'cumsum', 'cumprod', 'mean'):
        r = lg.DoubleTensor()
        assert getattr(lg, name)(r, x, 1) is r and r.tolist() == getattr(lg, name)(x, 1).tolist()
    v, i = lg.DoubleTensor(), lg.LongTensor()
    assert lg.max(v, i, x, 1) == (v, i) and v.tolist() == [[3], [6]] and i.tolist() == [[0], [0]]
    v, i = lg.DoubleTensor(), lg.LongTensor()
    lg.sort(v, i, x, 1, True)
    assert v.tolist() == [[3, 2, 1], [6, 5, 4]] and i.tolist() == [[0, 2, 1], [0, 1, 2]]
    v, i = lg.DoubleTensor(), lg.LongTensor()
    lg.kthvalue(v, i, x, 0)
    assert v.tolist() == [[1], [4]] and i.tolist() == [[1], [2]]
    for name in ('median', 'mode'):
        v, i = lg.DoubleTensor(), lg.LongTensor()
        getattr(lg, name)(v, i, x)
        assert (v.tolist(), i.tolist()) == tuple(t.tolist() for t in getattr(lg, name)(x))
    a, b = lg.DoubleTensor([1, 2]), lg.DoubleTensor([10, 20])
    r = lg.DoubleTensor()
    assert lg.add(r, a, b) is r and r.tolist() == [11, 22] and a.tolist() == [1, 2]
    assert lg.add(r, a, 2, b).tolist() == [21, 42]
    assert lg.add(a, b).tolist() == [11, 22] and lg.add(a, 2, b).tolist() == [21, 42]   # no result given
    assert lg.mm(lg.DoubleTensor(), lg.eye(2).double(), x).tolist() == x.tolist()
    assert lg.addmm(lg.DoubleTensor(), lg.zeros(2, 3).double(), lg.eye(2).double(), x).tolist() == x.tolist()
    r = lg.DoubleTensor()
    assert lg.cross(r, lg.DoubleTensor([1, 0, 0]), lg.DoubleTensor([0, 1, 0])) is r and r.tolist() == [0, 0, 1]
    assert lg.reshape(r, x, 3, 2) is r and r.size() == (3, 2)
    assert lg.diag(r, x).tolist() == [3, 5]


def test_sort_takes_the_order_in_place_of_the_dimension():
    """torch7/TensorMath.lua sort: (Tensor, index dim = last, boolean descending); torch.sort(x, true) sorts
    the last dimension in descending order."""
    x = lg.DoubleTensor([[1, 3, 2], [4, 6, 5]])
    v, i = lg.sort(x, True)
    assert v.tolist() == [[3, 2, 1], [6, 5, 4]] and i.tolist() == [[1, 2, 0], [1, 2, 0]]
    assert x.sort(True)[0].tolist() == v.tolist()


def test_factory_result_forms():
    """torch7/TensorMath.lua zeros/ones/eye/range/randperm (and linspace/logspace) take an optional result
    tensor first; THTensor_(range) and THTensor_(linspace) keep the result's shape when it holds as many
    elements (lib/TH/generic/THTensorMath.c)."""
    r = lg.DoubleTensor()
    assert lg.zeros(r, 2, 3) is r and r.size() == (2, 3) and r.sum() == 0
    assert lg.ones(r, 3).tolist() == [1, 1, 1]
    assert lg.eye(r, 2).tolist() == [[1, 0], [0, 1]]
    assert lg.range(r, 1, 0, -1).tolist() == [1, 0]
    x = lg.zeros(2, 3).double()
    lg.range(x.narrow(1, 1, 2), 0, 3)
    assert x.tolist() == [[0, 0, 1], [0, 2, 3]]
    assert lg.linspace(r, 0, 1, 3).tolist() == [0, 0.5, 1]
    assert lg.logspace(r, 0, 2, 3).tolist() == [1, 10, 100]
    lg.manualSeed(3)
    p = lg.randperm(5)
    lg.manualSeed(3)
    assert lg.randperm(r, 5) is r and r.tolist() == p.tolist() and r.type() == 'legonn.DoubleTensor'
    assert lg.rand(r, 4) is r and r.size() == (4,)


def test_cat_result_forms_and_dimension_rules():
    """torch7/lib/TH/generic/THTensorMath.c THTensor_(catArray): the default dimension is the last of the
    input with the most dimensions; a dimension past an input's last sees it with trailing size-1
    dimensions; TensorMath.lua's cat takes a result tensor first, and empty inputs give an empty result."""
    a, b = lg.DoubleTensor([1, 2, 3]), lg.DoubleTensor([4, 5, 6])
    assert lg.cat(a, b, 1).tolist() == [[1, 4], [2, 5], [3, 6]]
    r = lg.DoubleTensor()
    assert lg.cat(r, a, b, 0) is r and r.tolist() == [1, 2, 3, 4, 5, 6]
    assert lg.cat(r, [a, b, a], 0).tolist() == [1, 2, 3, 4, 5, 6, 1, 2, 3]
    assert lg.cat(lg.Tensor(), lg.Tensor(), 2).nElement() == 0
    m = lg.DoubleTensor([[1], [2], [3]])
    assert lg.cat(a, m).size() == (3, 2)                     # default: last dimension of the 2-D input


def test_cat_method_writes_into_self():
    """torch7/TensorMath.lua wraps cat for methods too, the result first: nn's test.lua builds IndexLinear's
    flat input with flatInput[1]:cat(input[1]) on an empty LongTensor; x:cat(y) with one tensor is a new one."""
    r = lg.LongTensor()
    assert r.cat([lg.LongTensor([1, 2]), lg.LongTensor([3])]) is r and r.tolist() == [1, 2, 3]
    assert r.type() == 'legonn.LongTensor'
    d = lg.DoubleTensor()
    assert d.cat(lg.DoubleTensor([1]), lg.DoubleTensor([2]), 0) is d and d.tolist() == [1, 2]
    x = lg.DoubleTensor([[1], [2]])
    y = x.cat(lg.DoubleTensor([[3], [4]]))
    assert y is not x and y.tolist() == [[1, 3], [2, 4]] and x.size() == (2, 1)


def test_math_functions_of_numbers_return_numbers():
    """torch7/TensorMath.lua wraps floor, sqrt, abs, sigmoid, ... with a (real) -> real variant, and pow, atan2,
    lerp with number variants: torch.floor(7 / 2) is 3, computed in the default type's precision."""
    assert lg.floor(7 / 2) == 3.0 and lg.ceil(0.2) == 1.0 and lg.abs(-3) == 3.0
    assert lg.round(-2.5) == -3.0 and lg.round(2.5) == 3.0                    # C's round: half away from zero
    assert lg.frac(-2.75) == -0.75 and lg.trunc(-2.75) == -2.0 and lg.sigmoid(0) == 0.5
    assert lg.pow(2, 10) == 1024.0 and lg.lerp(1, 3, 0.25) == 1.5
    assert lg.sqrt(2) == float(np.float32(np.sqrt(np.float32(2))))           # FloatTensor default: float32
    lg.setdefaulttensortype('legonn.DoubleTensor')
    try:
        assert lg.sqrt(2) == np.sqrt(2.0) and lg.atan2(1, 1) == np.arctan2(1.0, 1.0)
    finally:
        lg.setdefaulttensortype('legonn.FloatTensor')


def test_linspace_and_logspace_round_as_torch7():
    """torch7/lib/TH/generic/THTensorMath.c THTensor_(linspace)/(logspace): a + i * (b - a) / (n - 1) in the
    tensor's precision (pow(10, .) of it for logspace); NumPy's linspace orders the operations differently."""
    for dtype, name in ((np.float64, 'legonn.DoubleTensor'), (np.float32, 'legonn.FloatTensor')):
        a, b, n = dtype(0.1), dtype(0.83), 137
        i = np.arange(n, dtype=dtype)
        points = a + i * (b - a) / dtype(n - 1)
        assert np.array_equal(lg.linspace(float(a), float(b), n, tensortype=name).array, points)
        assert np.array_equal(lg.logspace(float(a), float(b), n, tensortype=name).array,
                              np.power(dtype(10), points))
    numpy_points = np.linspace(0.1, 0.83, 137)
    assert not np.array_equal(numpy_points, lg.linspace(0.1, 0.83, 137, tensortype='legonn.DoubleTensor').array)


def test_topk_takes_the_direction_in_place_of_the_dimension():
    """torch7/TensorMath.lua topk: (Tensor, long k, index dim = last, boolean dir, boolean sort); x:topk(2, true)
    gives the two largest of the last dimension."""
    x = lg.DoubleTensor([[1, 5, 3], [9, 7, 8]])
    v, i = x.topk(2, True)
    assert v.tolist() == [[5, 3], [9, 8]] and i.tolist() == [[1, 2], [0, 2]]
    assert lg.topk(x, 2, True)[0].tolist() == v.tolist()


def test_a_type_name_as_the_last_argument_picks_the_type():
    """TensorMath.lua's dispatch (torch7 TensorMath.lua lines 97-101): with no tensor first, a tensor type name as
    the last argument sends the call to that type, so ``torch.zeros(bs, 1, 'torch.DoubleTensor')`` (gtsrb.torch's
    trainer.lua, with its tensor_type) is a DoubleTensor; every factory reads it, and an unknown name is refused
    by name."""
    assert lg.zeros(2, 3, 'torch.DoubleTensor').type() == 'legonn.DoubleTensor'
    assert lg.zeros(2, 3, 'torch.DoubleTensor').size() == (2, 3)
    assert lg.ones(2, 'legonn.LongTensor').tolist() == [1, 1]
    assert lg.rand(4, 'torch.DoubleTensor').type() == 'legonn.DoubleTensor'
    assert lg.randn(lg.Generator(), 2, 2, 'torch.DoubleTensor').size() == (2, 2)
    assert lg.range(1, 3, 'torch.LongTensor').tolist() == [1, 2, 3]
    assert lg.range(1, 3, 'torch.LongTensor').type() == 'legonn.LongTensor'
    assert lg.linspace(0, 1, 3, 'torch.DoubleTensor').tolist() == [0, 0.5, 1]
    assert lg.eye(2, 'torch.IntTensor').type() == 'legonn.IntTensor'
    assert lg.randperm(3, 'torch.DoubleTensor').type() == 'legonn.DoubleTensor'
    with pytest.raises(TypeError, match="unknown tensor type 'torch.FooTensor'"):
        lg.zeros(2, 'torch.FooTensor')


@pytest.mark.gpu
def test_a_cuda_type_name_as_the_last_argument():
    """``torch.zeros(bs, 3, s, s, 'torch.CudaTensor')`` (gtsrb.torch's trainer.lua): a CUDA tensor of zeros."""
    x = lg.zeros(2, 3, 'torch.CudaTensor')
    assert x.type() == 'torch.CudaTensor' and x.sum() == 0 and x.size() == (2, 3)


def test_find_gives_torchx_positions_zero_based():
    """torchx's find.lua: the positions, in apply's row-major order, of the entries equal to ``val`` (1-based
    there); with dim 1 (the Lua's 2) one list per row. openface's training/train.lua:192 draws negatives so."""
    assert lg.find(lg.ByteTensor([0, 1, 1, 0, 1]), 1) == [1, 2, 4]
    assert lg.find(lg.Tensor([[3, 2], [2, 2]]), 2) == [1, 2, 3]
    assert lg.find(lg.Tensor([[3, 2], [2, 2]]), 2, 1) == [[1], [0, 1]]
    assert lg.find(lg.Tensor([[1, 2], [3, 4]]).t(), 2) == [2]      # apply's order over a transposed view
    assert lg.find(lg.ByteTensor(0), 1) == []
    with pytest.raises(ValueError, match='dim must be 1'):
        lg.find(lg.Tensor(2, 2, 2).zero(), 0, 1)
    with pytest.raises(TypeError, match='expected a tensor'):
        lg.find([0, 1], 1)


@pytest.mark.gpu
def test_find_of_a_cuda_tensor():
    assert lg.find(lg.ByteTensor([0, 1, 1]).cuda(), 1) == [1, 2]
    assert lg.find(lg.Tensor([[1, 0], [0, 1]]).cuda(), 1, 1) == [[0], [1]]
