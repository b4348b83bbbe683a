"""Index-driven operations with 0-based indices, sort and topk."""
import numpy as np
import pytest

import legonn as lg


def grid(*sizes):
    return lg.DoubleTensor(np.arange(int(np.prod(sizes)), dtype=np.float64).reshape(sizes))


def test_index_select_returns_a_copy():
    x = grid(3, 4)
    r = x.index(0, lg.LongTensor([2, 0, 2]))
    assert r.tolist() == [[8, 9, 10, 11], [0, 1, 2, 3], [8, 9, 10, 11]]
    assert x.indexSelect(1, lg.LongTensor([3, 1])).tolist() == [[3, 1], [7, 5], [11, 9]]
    r.fill(0)
    assert x[2, 0] == 8
    assert lg.index_select(x, 1, lg.LongTensor([0])).size() == (3, 1)


def test_index_copy_add_fill():
    x = lg.zeros(3, 2).double()
    x.indexCopy(0, lg.LongTensor([2, 0]), lg.DoubleTensor([[1, 2], [3, 4]]))
    assert x.tolist() == [[3, 4], [0, 0], [1, 2]]
    x.indexAdd(0, lg.LongTensor([1, 1, 0]), lg.DoubleTensor([[1, 1], [2, 2], [10, 10]]))
    assert x.tolist() == [[13, 14], [3, 3], [1, 2]]        # repeated index 1 accumulates
    x.indexFill(1, lg.LongTensor([0]), -1)
    assert x.tolist() == [[-1, 14], [-1, 3], [-1, 2]]


def test_index_errors():
    x = grid(3, 4)
    with pytest.raises(IndexError, match=r'index out of range \[0, 3\)'):
        x.index(0, lg.LongTensor([3]))
    with pytest.raises(TypeError, match='integer'):
        x.index(0, lg.Tensor([1.0]))
    with pytest.raises(ValueError, match='expected a source of sizes'):
        x.indexCopy(0, lg.LongTensor([0]), lg.DoubleTensor(2, 4))
    with pytest.raises(IndexError, match='dimension 5'):
        x.index(5, lg.LongTensor([0]))


def test_gather_scatter_follow_the_torch7_formula():
    x = grid(2, 3)
    idx = lg.LongTensor([[2, 0], [1, 1]])
    g = x.gather(1, idx)                         # out[i][j] = x[i][idx[i][j]]
    assert g.tolist() == [[2, 0], [4, 4]]
    g0 = x.gather(0, lg.LongTensor([[1, 0, 1]]))  # out[i][j] = x[idx[i][j]][j]
    assert g0.tolist() == [[3, 1, 5]]
    y = lg.zeros(2, 3).double()
    y.scatter(1, lg.LongTensor([[2, 0], [1, 2]]), lg.DoubleTensor([[7, 8], [9, 10]]))
    assert y.tolist() == [[8, 0, 7], [0, 9, 10]]
    y.scatter(0, lg.LongTensor([[1, 1, 0]]), -1)
    assert y.tolist() == [[8, 0, -1], [-1, -1, 10]]
    z = lg.zeros(3).double().scatterAdd(0, lg.LongTensor([0, 0, 2]), lg.DoubleTensor([1, 2, 3]))
    assert z.tolist() == [3, 0, 3]
    with pytest.raises(ValueError, match='does not fit'):
        x.gather(1, lg.LongTensor([1, 2]))
    # a source of other dimensions or smaller than the index is named (THTensor_(scatter)'s "Input tensor must
    # have same dimensions"); legonn raised NumPy's 'too many indices for array' or a broadcast error
    for what, src in (('scatter', lg.DoubleTensor([7, 8])), ('scatter', lg.DoubleTensor([[7]])),
                      ('scatterAdd', lg.DoubleTensor([7, 8]))):
        with pytest.raises(ValueError, match=f'{what}: source of sizes .* does not cover the index of sizes'):
            getattr(lg.zeros(2, 3).double(), what)(1, lg.LongTensor([[2, 0]]), src)


@pytest.mark.parametrize('cuda', [False, pytest.param(True, marks=pytest.mark.gpu)])
def test_index_fill_and_scatter_store_a_number_as_c_casts_it(cuda):
    """THTensor_(indexFill) and scatter's fill form take the value as the tensor's C real (cwrap), so a
    ByteTensor's 300 is 44 and -1 is 255, as maskedFill and fill store them (legonn raised NumPy 2's
    OverflowError 'Python integer 300 out of bounds for uint8')."""
    if cuda and not lg.gpu_available():
        pytest.skip('no GPU')
    move = (lambda t: t.type(t.type().replace('legonn.', 'legonn.Cuda'))) if cuda else (lambda t: t)
    b = move(lg.ByteTensor([[250, 3], [1, 2]]))
    assert b.clone().indexFill(0, lg.LongTensor([0]), 300).tolist() == [[300 % 256] * 2, [1, 2]]
    assert b.clone().indexFill(1, lg.LongTensor([1]), -1).tolist() == [[250, 255], [1, 255]]
    assert b.clone().scatter(0, lg.LongTensor([[0, 1]]), 300).tolist() == [[44, 3], [1, 44]]
    assert b.clone().indexFill(0, lg.LongTensor([1]), 300).tolist() == b.clone().maskedFill(
        move(lg.ByteTensor([[0, 0], [1, 1]])), 300).tolist()


@pytest.mark.gpu
def test_cuda_gather_and_scatter_take_an_index_of_their_own_type():
    """cutorch's TensorMath.lua gives gather, scatter and scatter-fill a form whose index is the tensor's own
    CUDA type (copied into a CudaLongTensor); Torch7's CPU forms and scatterAdd want a LongTensor."""
    cuda, double = 'torch.CudaTensor', 'torch.CudaDoubleTensor'
    idx = lg.DoubleTensor([[2, 0], [1, 1]])
    for name in (cuda, double):
        x = grid(2, 3).type(name)
        assert x.gather(1, idx.type(name)).tolist() == [[2, 0], [4, 4]]
        y = lg.zeros(2, 3).type(name)
        y.scatter(1, lg.Tensor([[2, 0], [1, 2]]).type(name), lg.Tensor([[7, 8], [9, 10]]).type(name))
        assert y.tolist() == [[8, 0, 7], [0, 9, 10]]
        y.scatter(0, lg.Tensor([[1, 1, 0]]).type(name), -1)
        assert y.tolist() == [[8, 0, -1], [-1, -1, 10]]
    x = grid(2, 3).type(cuda)
    with pytest.raises(TypeError, match='gather: expected whole-number indices'):
        x.gather(1, lg.Tensor([[0.5, 0], [1, 1]]).type(cuda))
    with pytest.raises(TypeError, match='integer'):
        x.gather(1, idx.type(double))                  # a CudaDoubleTensor index for a CudaTensor
    with pytest.raises(TypeError, match='integer'):
        grid(2, 3).gather(1, idx)                      # the CPU wants a LongTensor
    with pytest.raises(TypeError, match='integer'):
        lg.zeros(3).type(cuda).scatterAdd(0, lg.Tensor([0, 0, 2]).type(cuda), lg.ones(3).type(cuda))
    with pytest.raises(IndexError, match='out of range'):
        x.gather(1, lg.Tensor([[3, 0], [1, 1]]).type(cuda))
    assert x.gather(1, idx.type('torch.CudaLongTensor')).tolist() == [[2, 0], [4, 4]]



@pytest.mark.gpu
def test_cuda_tensor_takes_a_cuda_tensor_key_as_a_mask():
    """cutorch's generic/Tensor.c __index__ and __newindex__ of a CudaTensor take a CudaTensor key as a mask
    (maskedSelect, maskedFill, maskedCopy of its non-zero elements), besides a ByteTensor; visdial's
    model_utils/MaskFuture.lua writes ``self.output[self.mask:expandAs(input)] = 0`` with a mask it made as a
    Tensor and shipped with ``:cuda()``. legonn raised NumPy's IndexError for a float index."""
    cuda = 'torch.CudaTensor'
    mask = lg.Tensor([[1, 0, 0], [0, 2, 0]]).type(cuda)
    x = grid(2, 3).type(cuda)
    assert x[mask].tolist() == [0, 4]
    x[mask] = -1
    assert x.tolist() == [[-1, 1, 2], [3, -1, 5]]
    x[mask] = lg.Tensor([7, 8]).type(cuda)
    assert x.tolist() == [[7, 1, 2], [3, 8, 5]]
    future = lg.Tensor(1, 3, 3).fill(1)
    future[0] = lg.triu(future[0], 1)
    y = lg.ones(2, 3, 3).type(cuda)
    y[future.type(cuda).expandAs(y)] = 0
    assert y[1].tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]


@pytest.mark.gpu
def test_cuda_index_functions_take_an_index_of_their_own_type():
    """cutorch's torch/generic/Tensor.c gives index, indexCopy, indexAdd and indexFill a CUDA tensor's own type as
    an index too (copied into a CudaLongTensor; cutorch's test.lua compares them so); the CPU wants a LongTensor."""
    for name in ('torch.CudaTensor', 'torch.CudaDoubleTensor'):
        idx = lg.Tensor([2, 0, 2]).type(name)
        x = grid(2, 3).type(name)
        assert x.index(1, idx).tolist() == [[2, 0, 2], [5, 3, 5]]
        assert x.clone().indexCopy(1, idx[0:2], lg.Tensor([[7, 8], [9, 10]]).type(name)).tolist() == \
            [[8, 1, 7], [10, 4, 9]]
        assert x.clone().indexAdd(1, idx, lg.ones(2, 3).type(name)).tolist() == [[1, 1, 4], [4, 4, 7]]
        assert x.clone().indexFill(0, idx[1:2], -1).tolist() == [[-1, -1, -1], [3, 4, 5]]
    with pytest.raises(TypeError, match='index: expected whole-number indices'):
        grid(2, 3).type('torch.CudaTensor').index(1, lg.Tensor([0.5]).type('torch.CudaTensor'))
    with pytest.raises(TypeError, match='integer'):
        grid(2, 3).index(1, lg.Tensor([0, 1]))         # the CPU wants a LongTensor

def test_masked_select_copy_and_nonzero():
    x = grid(2, 3)
    mask = x.gt(2)
    assert x.maskedSelect(mask).tolist() == [3, 4, 5]
    y = lg.zeros(2, 3).double().maskedCopy(mask, lg.DoubleTensor([10, 20, 30, 40]))
    assert y.tolist() == [[0, 0, 0], [10, 20, 30]]
    with pytest.raises(ValueError, match='selects 3 elements'):
        y.maskedCopy(mask, lg.DoubleTensor([1]))
    nz = lg.Tensor([[0, 1], [2, 0]]).nonzero()
    assert nz.type() == 'legonn.LongTensor' and nz.tolist() == [[0, 1], [1, 0]]


def test_setitem_with_tensors_and_masks():
    x = grid(2, 3)
    x[x.lt(2)] = 0
    assert x.tolist() == [[0, 0, 2], [3, 4, 5]]
    x[1] = lg.DoubleTensor([7, 8, 9])
    x[:, 0] = np.array([-1.0, -2.0])
    assert x.tolist() == [[-1, 0, 2], [-2, 8, 9]]
    x[lg.LongTensor([0])] = 5
    assert x.tolist()[0] == [5, 5, 5]


def test_sort_ascending_descending_stable():
    x = lg.Tensor([[3, 1, 2, 1], [0, 5, 5, -1]])
    v, i = x.sort()
    assert v.tolist() == [[1, 1, 2, 3], [-1, 0, 5, 5]]
    assert i.type() == 'legonn.LongTensor' and i.tolist() == [[1, 3, 2, 0], [3, 0, 1, 2]]
    v, i = x.sort(1, True)
    assert v.tolist() == [[3, 2, 1, 1], [5, 5, 0, -1]]
    assert i.tolist() == [[0, 2, 1, 3], [1, 2, 0, 3]]     # ties keep their order
    v, i = x.sort(0)
    assert v.tolist() == [[0, 1, 2, -1], [3, 5, 5, 1]] and i.tolist() == [[1, 0, 0, 1], [0, 1, 1, 0]]
    assert x.tolist() == [[3, 1, 2, 1], [0, 5, 5, -1]]      # sort returns new tensors
    # unsigned values sort descending too (no negation trick)
    assert lg.ByteTensor([1, 255, 0]).sort(0, True)[0].tolist() == [255, 1, 0]


def test_topk_smallest_by_default_largest_with_dir():
    x = lg.Tensor([[4, 1, 3, 9], [2, 8, 7, 0]])
    v, i = x.topk(2)
    assert v.tolist() == [[1, 3], [0, 2]] and i.tolist() == [[1, 2], [3, 0]]
    v, i = x.topk(2, 1, True)
    assert v.tolist() == [[9, 4], [8, 7]] and i.tolist() == [[3, 0], [1, 2]]
    v, i = x.topk(1, 0, True, True)
    assert v.tolist() == [[4, 8, 7, 9]] and i.tolist() == [[0, 1, 1, 0]]
    assert x.gather(1, x.topk(2, 1, True)[1]).tolist() == [[9, 4], [8, 7]]
    assert x.topk()[0].tolist() == [[1], [0]]   # k defaults to 1, as TensorMath.lua's topk
    with pytest.raises(ValueError, match='k=5'):
        x.topk(5)


def test_ordering_functional_forms():
    x = lg.Tensor([3, 1, 2])
    assert lg.sort(x)[0].tolist() == [1, 2, 3]
    assert lg.topk(x, 1, 0, True)[0].tolist() == [3]


def test_masks_need_only_as_many_elements_as_the_tensor():
    """torch7 lib/TH/generic/THTensorMath.c: maskedFill/maskedSelect/maskedCopy walk tensor and mask together in
    row-major order (TH_TENSOR_APPLY2), so a mask of other sizes with as many elements works (doc/tensor.md)."""
    x = grid(3, 4)
    mask = lg.ByteTensor([[1, 0, 1, 0, 0, 0], [1, 1, 0, 0, 0, 1]])
    assert x.maskedSelect(mask).tolist() == [0, 2, 6, 7, 11]
    r = lg.DoubleTensor()
    assert r.maskedSelect(x, mask) is r and r.tolist() == [0, 2, 6, 7, 11]
    y = lg.DoubleTensor(2, 4).fill(-1)
    y.maskedCopy(lg.ByteTensor([[0, 0, 1, 1, 1, 0, 1, 0]]), lg.DoubleTensor([[1, 2], [3, 4]]))
    assert y.tolist() == [[-1, -1, 1, 2], [3, -1, 4, -1]]
    z = lg.DoubleTensor([[1, 2, 3, 4]])
    assert z.maskedFill(lg.ByteTensor([[0, 0], [1, 1]]), -1) is z and z.tolist() == [[1, 2, -1, -1]]
    with pytest.raises(ValueError, match='5 elements'):
        z.maskedFill(lg.ByteTensor(5).zero(), 0)


def test_a_long_storage_key_names_one_element():
    """torch7 generic/Tensor.c __index__/__newindex__: x[torch.LongStorage{2, 3}] reads or writes the element at
    row 2, column 3 (doc/tensor.md's 'yet another way'), with one index per dimension."""
    x = grid(3, 3)
    assert x[lg.LongStorage([1, 2])] == 5
    assert x[lg.LongStorage([-1, 0])] == 6
    x[lg.LongStorage([0, 1])] = -4
    assert x.tolist()[0] == [0, -4, 2]
    with pytest.raises(IndexError, match='expected 2 indices'):
        x[lg.LongStorage([1])]


def test_a_byte_mask_key_needs_only_as_many_elements():
    """torch7 generic/Tensor.c __index__/__newindex__: x[mask] with a ByteTensor is maskedSelect, x[mask] = v
    maskedFill or maskedCopy, which walk tensor and mask in row-major order whatever their sizes."""
    x = grid(2, 2)
    mask = lg.ByteTensor([1, 0, 0, 1])
    assert x[mask].tolist() == [0, 3]
    x[mask] = -1
    assert x.tolist() == [[-1, 1], [2, -1]]
    x[mask] = lg.DoubleTensor([7, 8])
    assert x.tolist() == [[7, 1], [2, 8]]
    x[x.gt(1.5)] = lg.DoubleTensor([[10, 20], [30, 40]]).t()   # maskedCopy takes a source of any sizes, in order
    assert x.tolist() == [[10, 1], [30, 20]]


def test_torch_scatter_is_the_method_on_its_first_tensor():
    """TensorMath.lua wraps scatter for torch.* too: ``torch.scatter(x, dim, index, src|val)`` scatters into x."""
    x = lg.zeros(2, 3).double()
    assert lg.scatter(x, 1, lg.LongTensor([[2, 0], [1, 2]]), lg.DoubleTensor([[7, 8], [9, 10]])) is x
    assert x.tolist() == [[8, 0, 7], [0, 9, 10]]
    assert lg.scatter(x, 0, lg.LongTensor([[1, 1, 0]]), -1).tolist() == [[8, 0, -1], [-1, -1, 10]]


def _integer_stores(kind):
    """``t[i] = v``, ``t:fill(v)`` and ``t:maskedFill(m, v)`` of numbers outside each integer type's range, on
    ``kind`` tensors."""
    b = lg.ByteTensor(3).type(kind.replace('X', 'Byte'))
    b[0] = 65025                                        # 255 * 255, test.lua's cmul of two ByteTensors
    b[1] = -1
    b[2] = -2.5                                         # luaL_checkinteger truncates first: -2
    assert b.tolist() == [1, 255, 254]
    c = lg.CharTensor(2).type(kind.replace('X', 'Char')).fill(200)
    assert c.tolist() == [-56, -56]
    s = lg.ShortTensor(1).type(kind.replace('X', 'Short'))
    s[0] = 40000
    assert s.tolist() == [40000 - 65536]
    assert b.fill(300).tolist() == [44, 44, 44]
    assert b.maskedFill(lg.ByteTensor([0, 1, 0]).type(kind.replace('X', 'Byte')), 257).tolist() == [44, 1, 44]
    d = lg.DoubleTensor(1).type(kind.replace('X', 'Double'))
    d[0] = 65025
    assert d.tolist() == [65025]                        # floating types store the number as it is


def test_integer_elements_keep_the_low_bits_of_numbers_out_of_range():
    """TH stores a Lua number into a Byte/Char/Short element through luaG_checkreal and C's conversion, which
    keep its low bits (torch7's test.lua cmul writes a ByteTensor product into a ByteTensor element)."""
    _integer_stores('torch.XTensor')


@pytest.mark.gpu
def test_cuda_integer_elements_keep_the_low_bits_of_numbers_out_of_range():
    _integer_stores('torch.CudaXTensor')


def test_a_string_index_is_refused_naming_the_string():
    """Torch7 reads ``x['3']`` as ``x[3]`` (lua_tonumber: grad-cam indexes with json keys); legonn refuses a string
    index with a TypeError that says so, where NumPy's IndexError named no string."""
    x = lg.DoubleTensor(5).zero()
    with pytest.raises(TypeError, match=r"legonn.DoubleTensor\[\]: expected an integer index, got the string '3' "
                                        r"\(Torch7 reads it as the number 3: write int\('3'\)\)"):
        x['3']
    with pytest.raises(TypeError, match=r"got the string '3'"):
        x['3'] = 1
    with pytest.raises(TypeError, match=r"got the string 'a'$"):
        x[0, 'a']
    assert x.sum() == 0
