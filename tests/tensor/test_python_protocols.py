"""Python protocols on tensors: element-wise comparison operators (PyTorch's rule) with identity
hashing, one-element tensors used as numbers, NumPy ufuncs on tensors, and refused complex input."""
import numpy as np
import pytest

import legonn as lg


def test_all_comparison_operators_are_element_wise():
    a, b = lg.Tensor([1, 2, 3]), lg.Tensor([3, 2, 1])
    for op, ref in [(a == b, [0, 1, 0]), (a != b, [1, 0, 1]), (a < b, [1, 0, 0]),
                    (a <= b, [1, 1, 0]), (a > b, [0, 0, 1]), (a >= b, [0, 1, 1]), (a == 2, [0, 1, 0])]:
        assert isinstance(op, lg.ByteTensor)
        assert op.tolist() == ref


def test_tensors_stay_hashable_by_identity():
    a, b = lg.Tensor([1.0]), lg.Tensor([1.0])
    table = {a: 'a', b: 'b'}
    assert table[a] == 'a' and table[b] == 'b'
    assert len({a, b}) == 2


def test_comparison_with_a_non_array_falls_back_to_identity():
    a = lg.Tensor([1, 2])
    assert (a == None) is False and (a != None) is True  # noqa: E711 (the operator itself is tested)
    assert (a == 'text') is False


def test_ndarray_on_the_left_compares_element_wise_into_a_tensor():
    res = np.array([1.0, 5.0]) == lg.DoubleTensor([1.0, 2.0])
    assert isinstance(res, lg.Tensor) and res.tolist() == [1, 0]


def test_setitem_copies_a_tensor_of_as_many_elements_as_torch7():
    """Tensor.lua's __newindex__ narrows, then copies: only the element count must agree."""
    c = lg.Tensor(2, 3)
    c[0] = lg.Tensor([[1], [2], [3]])
    c[:, 1] = lg.Tensor([[5, 6]])
    assert c.tolist() == [[1, 5, 3], [0, 6, 0]]
    with pytest.raises(ValueError):
        c[0] = lg.Tensor([1, 2])


def test_setitem_takes_a_one_element_tensor():
    """Torch7's minibatch loops: ``targets[k] = target:squeeze()`` (torch/demos train-on-mnist.lua)."""
    targets = lg.zeros(3)
    label = lg.Tensor([[7]])
    targets[1] = label.squeeze()
    targets[2] = label
    assert targets.tolist() == [0, 7, 7]
    rows = lg.zeros(2, 2)
    rows[0] = lg.Tensor([4])       # one value broadcast over a row, as NumPy does with a scalar
    assert rows.tolist() == [[4, 4], [0, 0]]


def test_one_element_tensor_is_a_number():
    t = lg.LongTensor([4])
    assert int(t) == 4 and float(t) == 4.0
    assert list(range(10))[t] == 4
    assert list(range(10))[lg.FloatTensor([[2.0]])] == 2    # an integral float label indexes too
    with pytest.raises(TypeError, match='not integral'):
        list(range(10))[lg.FloatTensor([2.5])]
    with pytest.raises(TypeError, match='one-element'):
        list(range(10))[lg.LongTensor([1, 2])]


def test_numpy_on_the_left_gives_a_tensor():
    t = lg.DoubleTensor([1.0, 2.0, 3.0])
    for res in (np.ones(3) + t, np.ones(3) * t, np.float64(2) - t, np.exp(t)):
        assert isinstance(res, lg.DoubleTensor)
    np.testing.assert_allclose((np.ones(3) + t).numpy(), [2, 3, 4])
    np.testing.assert_allclose(np.exp(t).numpy(), np.exp([1.0, 2.0, 3.0]))
    out = lg.DoubleTensor(3)
    assert np.add(t, t, out=out) is out and out.tolist() == [2, 4, 6]


def test_complex_values_are_refused():
    with pytest.raises(TypeError, match='no complex tensors'):
        lg.Tensor(np.array([1 + 2j, 3]))
    with pytest.raises(TypeError, match='no complex tensors'):
        lg.DoubleTensor([1j])
    with pytest.raises(TypeError, match='complex'):
        lg.from_numpy(np.zeros(2, dtype=np.complex64))


@pytest.mark.gpu
def test_cuda_comparison_and_setitem():
    t = lg.CudaTensor([1, 2, 3])
    assert (t == 2).type() == 'legonn.CudaByteTensor' and (t == 2).tolist() == [0, 1, 0]
    t[0] = lg.CudaTensor([[9]])
    assert t.tolist() == [9, 2, 3]
