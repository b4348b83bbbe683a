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


def test_counts_lua_computes_as_floats_work_as_ints():
    """torch/tutorials' 3_unsupervised/1_data.lua unfolds by ``math.sqrt(n)``, a Lua number: TH reads every
    such count as a long. legonn takes whole-number floats (Python's, NumPy's) and refuses fractional ones."""
    x = lg.range(0, 15)
    u = x.unfold(0, 16 ** 0.5, np.float32(4.0))
    assert u.size() == (4, 4) and all(type(n) is int for n in u.size())
    assert np.array_equal(u.numpy(), np.arange(16).reshape(4, 4))
    assert x.topk(2.0)[0].tolist() == [0, 1] and x.topk(np.float64(3.0), True)[0].tolist() == [15, 14, 13]
    assert x.kthvalue(3.0)[0].tolist() == [3]
    assert [t.size() for t in x.split(6.0)] == [(6,), (6,), (4,)]
    assert [t.size() for t in x.chunk(2.0)] == [(8,), (8,)]
    assert lg.linspace(0, 1, 5.0).tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert lg.logspace(0, 2, 3.0).size() == (3,)
    assert lg.multinomial(lg.ones(4), 2.0).size() == (2,)
    assert lg.FloatStorage(3.0).size() == 3 and lg.DoubleStorage(np.float32(2.0)).size() == 2

    with pytest.raises(TypeError, match=r'unfold: size and step: expected an integer or a whole number, got 2\.5'):
        x.unfold(0, 2.5, 1)
    with pytest.raises(TypeError, match=r'kthvalue: k: expected an integer or a whole number, got 1\.5'):
        x.kthvalue(1.5)
    with pytest.raises(ValueError, match=r'topk: k=1\.5 out of range'):
        x.topk(1.5)
    with pytest.raises(ValueError, match=r'split: size must be a positive integer, got 2\.5'):
        x.split(2.5)
    with pytest.raises(ValueError, match=r'chunk: the number of chunks must be a positive integer, got 2\.5'):
        x.chunk(2.5)
    with pytest.raises(ValueError, match=r'linspace: 2\.5 points'):
        lg.linspace(0, 1, 2.5)
    with pytest.raises(ValueError, match=r'multinomial: n must be a positive integer, got 1\.5'):
        lg.multinomial(lg.ones(4), 1.5)
    with pytest.raises(TypeError, match=r'Storage\(n\): expected an integer or a whole number, got 2\.5'):
        lg.FloatStorage(2.5)


@pytest.mark.gpu
def test_counts_as_floats_on_the_gpu():
    x = lg.range(0, 15).cuda()
    assert x.unfold(0, 4.0, 4.0).size() == (4, 4) and x.unfold(0, 4.0, 4.0).is_cuda
    assert x.topk(2.0)[0].tolist() == [0, 1] and x.kthvalue(3.0)[0].tolist() == [3]
    assert [t.size() for t in x.chunk(2.0)] == [(8,), (8,)]
    assert lg.multinomial(lg.ones(4).cuda(), 2.0).size() == (2,)


def test_slice_bounds_lua_computes_as_floats_work_as_ints():
    """context-encoder's train.lua indexes ``real_ctx[{{},{},{1 + opt.fineSize/4, opt.fineSize/2 +
    opt.fineSize/4}, ...}]``: Torch7's __index__ reads range bounds as numbers (torch7 generic/Tensor.c:979-988), so
    the port's ``x[:, :, fs/4:fs/2 + fs/4]`` has float bounds. A whole-number float bound works as its int in a
    read and an assignment (an index alone already did); a fractional one is refused, as sizes are."""
    x = lg.range(0, 63).view(8, 8)
    assert np.array_equal(x[8 / 4:8 / 2 + 8 / 4].numpy(), x.numpy()[2:6])
    assert np.array_equal(x[:, np.float32(1.0):7.0:2.0].numpy(), x.numpy()[:, 1:7:2])
    x[2.0:4.0, 8 / 4:8 / 2] = -1
    assert (x.numpy()[2:4, 2:4] == -1).all() and (x.numpy() == -1).sum() == 4
    with pytest.raises(TypeError, match=r'FloatTensor\[\]: expected an integer or a whole number, got 2\.5'):
        x[2.5:6]
    with pytest.raises(TypeError, match=r'FloatTensor\[\]: expected an integer or a whole number, got 0\.5'):
        x[:, 0:4:0.5] = 0


@pytest.mark.gpu
def test_slice_bounds_as_floats_on_the_gpu():
    x = lg.range(0, 63).view(8, 8).cuda()
    assert x[2.0:6.0].size() == (4, 8) and x[2.0:6.0].is_cuda
    x[:, 2.0:4.0] = 0
    assert x.sum() == lg.range(0, 63).view(8, 8).sum() - sum(8 * r + c for r in range(8) for c in (2, 3))
