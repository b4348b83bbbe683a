"""The argument checks the packages share (one home each): ``functions.is_tensor_like`` / ``tensor_argument``
(a tensor or a NumPy/CuPy array), ``indexing.is_whole`` (Lua's whole numbers) and ``introspection.pairs``
(Lua's pairs over a list or a dict)."""
import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn, tds
from legonn.tensor.functions import is_tensor_like, tensor_argument
from legonn.tensor.indexing import is_whole
from legonn.tensor.introspection import pairs


def test_is_tensor_like():
    assert is_tensor_like(lg.zeros(2)) and is_tensor_like(np.zeros(2))
    assert not any(is_tensor_like(v) for v in ([1.0], (1.0,), 1.0, np.float64(1.0), None, lg.zeros(2).storage()))


def test_tensor_argument_wraps_arrays_without_a_copy_and_names_the_function():
    t = lg.zeros(2, 3)
    assert tensor_argument('f', 'x', t) is t
    a = np.zeros((2, 3), np.float32)
    wrapped = tensor_argument('f', 'x', a)
    wrapped.fill(7)
    assert a[1, 2] == 7 and wrapped.type() == 'legonn.FloatTensor'
    with pytest.raises(TypeError, match=r'^pkg\.f: expected the input as a legonn\.Tensor, numpy\.ndarray or '
                                        r'cupy\.ndarray, got list$'):
        tensor_argument('pkg.f', 'the input', [1, 2])


def test_is_whole_takes_lua_numbers():
    for value in (0, 3, -2, 3.0, np.int64(4), np.float32(2.0), np.float64(-1.0), 10 ** 400):
        assert is_whole(value), value
    for value in (2.5, True, False, np.bool_(True), float('nan'), float('inf'), '3', None, 1j, [1]):
        assert not is_whole(value), value


def test_pairs_is_luas_over_lists_and_dicts():
    assert list(pairs(['a', 'b'])) == [(0, 'a'), (1, 'b')]
    assert list(pairs(('a',))) == [(0, 'a')]
    assert list(pairs({'x': 1, 2: 'y'})) == [('x', 1), (2, 'y')]


def test_callers_take_whole_floats_and_refuse_the_rest_with_their_own_message():
    """Where the copies did not agree before: fbnn.Upsample let an infinite factor through to an OverflowError,
    tds.Vec refused a float32 index of whole value, DataParallelTable refused NumPy integer GPU ids."""
    assert fbnn.Upsample(2.0).factor == 2
    for bad in (float('inf'), float('nan'), 1.5, True):
        with pytest.raises(ValueError, match='Upsample: factor must be a whole number >= 1'):
            fbnn.Upsample(bad)
    assert tds.Vec('a', 'b')[np.float32(1.0)] == 'b'
    with pytest.raises(TypeError, match='tds.Vec: index must be an integer'):
        tds.Vec('a', 'b')[0.5]
    dpt = nn.DataParallelTable(0)
    dpt.add(nn.Linear(2, 2), list(np.arange(2)))
    assert dpt.gpuAssignments == [0, 1] and all(type(g) is int for g in dpt.gpuAssignments)
