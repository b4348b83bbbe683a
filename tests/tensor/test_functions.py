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
