"""torch7/doc/tensor.md's examples, ported by docs/porting.md's rules (0-based indices, dimensions and storage
offsets) and checked against what the doc shows Torch7 printing.

The doc's printed tensors end in ``[torch.DoubleTensor of dimension 4x5]``; Torch7's Tensor.lua (lines 96, 215,
218) prints ``of size`` since, and legonn spells its type names ``legonn.``: ``printed`` rewrites a doc block so.
Where the doc's column spacing is older than Tensor.lua's format (``0 0 0`` for zeros) the values are compared."""
import math
import re

import pytest

import legonn as lg


@pytest.fixture(autouse=True)
def double_default():
    """tensor.md's ``torch.Tensor`` is a DoubleTensor (porting.md's setdefaulttensortype row)."""
    old = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype(old)


def printed(block):
    """The doc's printed block as Tensor.lua prints it today, with legonn's type names."""
    return block.strip('\n').replace('torch.', 'legonn.').replace(' of dimension ', ' of size ')


def printed_slices(block):
    """A doc block of ``(i,j,.,.) =`` slices as Tensor.lua prints it: the slice numbers 0-based as every index
    legonn prints, ``= `` ending the head line and an empty line between slices (Tensor__printTensor, lines
    180-190), which the doc dropped."""
    lines = []
    for line in printed(block).splitlines():
        head = re.fullmatch(r'\(([\d,]+),\.,\.\) =\s*', line)
        if head:
            if lines:
                lines.append('')
            line = '(' + ','.join(str(int(n) - 1) for n in head.group(1).split(',')) + ',.,.) = '
        lines.append(line)
    return '\n'.join(lines)


def from_printed(block):
    """The tensor a printed 1-D or 2-D doc block shows (the doc's random draws, taken at their 4 printed decimals)."""
    rows = [[float(v) for v in line.split()] for line in block.strip('\n').splitlines() if not line.startswith('[')]
    return lg.Tensor(rows)


def counting(x):
    """``i = 0; x:apply(function() i = i + 1; return i end)``: fills x with 1, 2, ... in row-major order."""
    count = iter(range(1, x.nElement() + 1))
    return x.apply(lambda _: next(count))


def test_multi_dimensional_matrix_sizes_from_a_long_storage():
    """"Multi-dimensional matrix": ``s = torch.LongStorage(6); s[1] = 4; ...; x = torch.Tensor(s)``."""
    assert lg.Tensor(4, 5, 6, 2).size() == (4, 5, 6, 2)
    s = lg.LongStorage(6)
    s[0], s[1], s[2], s[3], s[4], s[5] = 4, 5, 6, 2, 7, 3
    x = lg.Tensor(s)
    assert x.nDimension() == 6
    assert x.size() == (4, 5, 6, 2, 7, 3)
    assert str(lg.LongStorage(x.size())) == printed('''
 4
 5
 6
 2
 7
 3
[torch.LongStorage of size 6]''')


def test_internal_data_representation_storage_offset_and_strides():
    """"Internal data representation": ``x[3][4][5]`` equals
    ``x:storage()[x:storageOffset() + (3-1)*x:stride(1) + (4-1)*x:stride(2) + (5-1)*x:stride(3)]``; 0-based, the
    storage offset is 0 and the element (2, 3, 4)."""
    x = counting(lg.Tensor(7, 7, 7))
    assert x.storageOffset() == 0
    position = x.storageOffset() + 2 * x.stride(0) + 3 * x.stride(1) + 4 * x.stride(2)
    assert x[2][3][4] == x.storage()[position] == 2 * 49 + 3 * 7 + 4 + 1


def test_a_tensor_views_its_storage_as_a_matrix():
    """"Internal data representation": the storage filled with ``s[i] = i`` prints as the 4x5 matrix."""
    x = lg.Tensor(4, 5)
    s = x.storage()
    for i in range(s.size()):
        s[i] = i + 1
    assert str(x) == printed('''
  1   2   3   4   5
  6   7   8   9  10
 11  12  13  14  15
 16  17  18  19  20
[torch.DoubleTensor of dimension 4x5]''')


def test_apply_fills_in_row_major_order_and_the_last_dimension_is_contiguous():
    """"Internal data representation": ``x:apply(function() i = i + 1; return i end)``, then ``x:stride()`` is 5, 1."""
    x = counting(lg.Tensor(4, 5))
    assert str(x) == printed('''
  1   2   3   4   5
  6   7   8   9  10
 11  12  13  14  15
 16  17  18  19  20
[torch.DoubleTensor of dimension 4x5]''')
    assert x.stride() == (5, 1)


def test_default_tensor_type_is_the_alias_target():
    """"Default Tensor type": ``torch.Tensor`` points to the default type; tensor.md's "Tensor or string type":
    ``torch.Tensor():type()`` is ``torch.DoubleTensor``."""
    assert lg.Tensor().type() == 'torch.DoubleTensor'
    lg.setdefaulttensortype('torch.FloatTensor')
    assert lg.Tensor().type() == 'torch.FloatTensor'


def test_narrow_shares_the_storage():
    """"Efficient memory management": ``x:narrow(1, 2, 3):fill(1)`` writes into x (dimension 0, index 1 here)."""
    x = lg.Tensor(5).zero()
    assert x.tolist() == [0, 0, 0, 0, 0]
    x.narrow(0, 1, 3).fill(1)
    assert str(x) == printed(' 0\n 1\n 1\n 1\n 0\n[torch.DoubleTensor of dimension 5]')
    y = lg.Tensor(x.size()).copy(x)
    z = x.clone()
    y.zero()
    z.zero()
    assert x.tolist() == [0, 1, 1, 1, 0]


def test_constructor_from_a_tensor_views_its_storage():
    """"torch.Tensor(tensor)": ``y = torch.Tensor(x); y:zero()`` zeroes x."""
    x = lg.Tensor(2, 5).fill(3.14)
    block = printed('''
 3.1400  3.1400  3.1400  3.1400  3.1400
 3.1400  3.1400  3.1400  3.1400  3.1400
[torch.DoubleTensor of dimension 2x5]''')
    assert str(x) == block
    y = lg.Tensor(x)
    assert str(y) == block
    assert (y.size(), y.stride(), y.storageOffset()) == (x.size(), x.stride(), x.storageOffset())
    y.zero()
    assert x.tolist() == [[0] * 5] * 2


def test_constructor_from_sizes_and_strides():
    """"torch.Tensor(sizes, [strides])": a 4x4x3x2 tensor from a LongStorage; a zero stride makes every element
    the same address (``x[1] = 1`` shows four 1s)."""
    assert lg.Tensor(lg.LongStorage([4, 4, 3, 2])).size() == (4, 4, 3, 2)
    x = lg.Tensor(lg.LongStorage([4]), lg.LongStorage([0])).zero()
    x[0] = 1
    assert str(x) == printed(' 1\n 1\n 1\n 1\n[torch.DoubleTensor of dimension 4]')
    # "if some elements of strides are negative, the stride() will be computed such that the tensor is as
    # contiguous as possible" (THTensor_(rawResize): the next dimension's size times its stride)
    for strides in ([-1, -1], [3, -1], [-1, 1]):
        assert lg.Tensor(lg.LongStorage([2, 3]), lg.LongStorage(strides)).stride() == (3, 1)


def test_a_long_storage_gives_sizes_except_to_a_long_tensor():
    """"torch.Tensor(sizes, [strides])": ``torch.FloatTensor(a)`` of ``a = torch.LongStorage({1,2})`` is 1x2;
    ``torch.LongTensor(a)`` holds the values 1 and 2."""
    a = lg.LongStorage([1, 2])
    b = lg.FloatTensor(a)
    assert b.size() == (1, 2)
    c = lg.LongTensor(a)
    assert str(c) == printed(' 1\n 2\n[torch.LongTensor of size 2]')


def test_constructor_from_a_storage_offset_and_sizes():
    """"torch.Tensor(storage, [storageOffset, sizes, [strides]])": ``torch.Tensor(s, 1, torch.LongStorage{2,5})``
    (offset 0 here) views the storage; ``x:zero()`` zeroes it."""
    s = lg.Storage(10).fill(1)
    x = lg.Tensor(s, 0, lg.LongStorage([2, 5]))
    assert str(x) == printed(' 1  1  1  1  1\n 1  1  1  1  1\n[torch.DoubleTensor of dimension 2x5]')
    x.zero()
    assert str(s) == printed(' 0\n' * 10 + '[torch.DoubleStorage of size 10]')


def test_constructor_from_a_table():
    """"torch.Tensor(table)"."""
    assert str(lg.Tensor([[1, 2, 3, 4], [5, 6, 7, 8]])) == printed('''
 1  2  3  4
 5  6  7  8
[torch.DoubleTensor of dimension 2x4]''')


def test_clone_copies_the_memory():
    """"Cloning": ``y = x:clone(); y:fill(1)`` leaves x at 1 .. 5."""
    x = counting(lg.Tensor(5))
    y = x.clone()
    assert str(y) == str(x) == printed(' 1\n 2\n 3\n 4\n 5\n[torch.DoubleTensor of dimension 5]')
    y.fill(1)
    assert str(y) == printed(' 1\n 1\n 1\n 1\n 1\n[torch.DoubleTensor of dimension 5]')
    assert x.tolist() == [1, 2, 3, 4, 5]


def test_contiguous_returns_the_same_tensor_or_a_clone():
    """"contiguous": ``x:contiguous():fill(2)`` writes x; ``x:t():contiguous():fill(3.14)`` does not."""
    x = lg.Tensor(2, 3).fill(1)
    y = x.contiguous().fill(2)
    assert y is x and x.tolist() == [[2, 2, 2], [2, 2, 2]]
    z = x.t().contiguous().fill(3.14)
    assert str(z) == printed('''
 3.1400  3.1400
 3.1400  3.1400
 3.1400  3.1400
[torch.DoubleTensor of dimension 3x2]''')
    assert str(x) == printed(' 2  2  2\n 2  2  2\n[torch.DoubleTensor of dimension 2x3]')


def test_type_of_the_same_name_is_the_same_tensor_and_of_another_a_cast():
    """"type(type)" and "byte(), char(), ..., double()": ``x:type('torch.DoubleTensor')`` is x itself;
    ``x:type('torch.IntTensor')`` and ``x:int()`` truncate 3.14 to 3."""
    x = lg.Tensor(3).fill(3.14)
    y = x.type('torch.DoubleTensor')
    y.zero()
    assert y is x and x.tolist() == [0, 0, 0]
    x.fill(3.14)
    block = printed(' 3\n 3\n 3\n[torch.IntTensor of dimension 3]')
    assert str(x.type('torch.IntTensor')) == str(x.int()) == block
    assert x.tolist() == [3.14] * 3
    assert x.typeAs(lg.IntTensor()).type() == 'torch.IntTensor'


def test_is_tensor():
    """"isTensor(object)": a tensor and its row are tensors, an element is a number."""
    assert lg.isTensor(lg.randn(3, 4)) is True
    assert lg.isTensor(lg.randn(3, 4)[0]) is True
    assert lg.isTensor(lg.randn(3, 4)[0][1]) is False


def test_size_and_structure_queries():
    """"Querying the size and structure": nDimension, size(dim), size(), stride(dim), stride(), isContiguous,
    isSize, isSameSizeAs, nElement of a 4x5 tensor."""
    x = lg.Tensor(4, 5).zero()
    assert x.nDimension() == x.dim() == 2
    assert x.size(1) == 5 and x.size() == (4, 5)
    assert x.stride(1) == 1 and x.stride(0) == 5 and x.stride() == (5, 1)
    assert x.isSize(lg.LongStorage([4, 5])) is True
    assert x.isSize(lg.LongStorage([5, 4, 1])) is False
    assert x.isSize(x.size()) is True
    assert x.isSameSizeAs(lg.Tensor(4, 5)) is True and x.isSameSizeAs(lg.Tensor(4, 6)) is False
    assert x.nElement() == 20
    r = lg.randn(4, 5)
    y = r.select(1, 2)                                   # the 3rd column
    assert r.isContiguous() is True and y.isContiguous() is False and y.stride() == (5,)


def test_querying_elements():
    """"Querying elements": ``x[2]`` is row 2; ``x[2][3]``, ``x[{2,3}]`` and ``x[torch.LongStorage{2,3}]`` are 6;
    ``x[torch.le(x,3)]`` is 1, 2, 3 (0-based: row 1, element (1, 2))."""
    x = counting(lg.Tensor(3, 3))
    assert str(x) == printed(' 1  2  3\n 4  5  6\n 7  8  9\n[torch.DoubleTensor of dimension 3x3]')
    assert str(x[1]) == printed(' 4\n 5\n 6\n[torch.DoubleTensor of dimension 3]')
    assert x[1][2] == 6 and x[1, 2] == 6 and x[lg.LongStorage([1, 2])] == 6
    assert str(x[lg.le(x, 3)]) == printed(' 1\n 2\n 3\n[torch.DoubleTensor of dimension 3]')


def test_set_on_an_empty_tensor_and_the_equivalent_constructor():
    """"Referencing a tensor to an existing tensor or chunk of memory": ``x:set(y, 1, 10)`` and
    ``torch.Tensor(y, 1, 10)`` (offset 0 here) view the 10-element storage."""
    y = lg.Storage(10)
    x = lg.Tensor()
    x.set(y, 0, 10)
    assert x.size() == (10,) and x.storage() is y
    x = lg.Tensor(y, 0, 10)
    assert x.size() == (10,) and x.storage() is y


def test_set_to_a_tensor_and_is_set_to():
    """"set(tensor)" and "isSetTo(tensor)": y views x's storage; ``y:t()`` has other strides."""
    x = lg.Tensor(2, 5).fill(3.14)
    y = lg.Tensor().set(x)
    assert str(y) == str(x)
    y.zero()
    assert x.tolist() == [[0] * 5] * 2
    x = lg.Tensor(2, 5)
    y = lg.Tensor()
    assert y.isSetTo(x) is False
    y.set(x)
    assert y.isSetTo(x) is True
    assert y.t().isSetTo(x) is False


def test_set_to_a_storage_with_sizes():
    """"set(storage, [storageOffset, sizes, [strides]])": ``x:set(s, 1, sz)`` (offset 0 here)."""
    s = lg.Storage(10).fill(1)
    x = lg.Tensor()
    x.set(s, 0, lg.LongStorage([2, 5]))
    assert str(x) == printed(' 1  1  1  1  1\n 1  1  1  1  1\n[torch.DoubleTensor of dimension 2x5]')
    x.zero()
    assert s.tolist() == [0] * 10


def test_copy_fill_and_zero():
    """"copy(tensor)" (same count, other sizes), "fill(value)", "zero()"."""
    x = lg.Tensor(4).fill(1)
    y = lg.Tensor(2, 2).copy(x)
    assert str(x) == printed(' 1\n 1\n 1\n 1\n[torch.DoubleTensor of dimension 4]')
    assert str(y) == printed(' 1  1\n 1  1\n[torch.DoubleTensor of dimension 2x2]')
    assert str(lg.DoubleTensor(4).fill(3.14)) == printed(
        ' 3.1400\n 3.1400\n 3.1400\n 3.1400\n[torch.DoubleTensor of dimension 4]')
    assert str(lg.Tensor(4).zero()) == printed(' 0\n 0\n 0\n 0\n[torch.DoubleTensor of dimension 4]')


def test_resizing_grows_the_storage_and_never_shrinks_it():
    """"Resizing": a larger size resizes the storage, a smaller one leaves it; the resized elements are
    contiguous; "resizeAs(tensor)" and "resize(sizes)" of a LongStorage."""
    x = lg.Tensor(10)
    s = x.storage()
    x.resize(2)
    assert x.storage() is s and s.size() == 10
    x.resize(4, 5)
    assert x.storage() is s and s.size() == 20 and x.isContiguous()
    y = lg.Tensor(3, 4).t()
    y.resize(2, 6)
    assert y.stride() == (6, 1)
    z = lg.Tensor()
    assert z.resizeAs(lg.Tensor(2, 3)) is z and z.size() == (2, 3)
    assert z.resize(lg.LongStorage([3, 1])).size() == (3, 1)


ROWS_1_TO_3_FILLED = printed('''
 0  0  0  0  0  0
 1  1  1  1  1  1
 1  1  1  1  1  1
 1  1  1  1  1  1
 0  0  0  0  0  0
[torch.DoubleTensor of dimension 5x6]''')


def test_narrow_and_sub_write_into_the_tensor():
    """"narrow(dim, index, size)": ``x:narrow(1, 2, 3):fill(1)``; "sub": ``x:sub(2,4):fill(1)`` (0-based: rows
    1 .. 3, both ends included as Torch7's sub)."""
    x = lg.Tensor(5, 6).zero()
    y = x.narrow(0, 1, 3)
    y.fill(1)
    three_rows = printed('\n 1  1  1  1  1  1' * 3 + '\n[torch.DoubleTensor of dimension 3x6]')
    assert str(y) == three_rows and str(x) == ROWS_1_TO_3_FILLED
    x = lg.Tensor(5, 6).zero()
    y = x.sub(1, 3).fill(1)
    assert str(y) == three_rows and str(x) == ROWS_1_TO_3_FILLED


def test_sub_of_two_dimensions_and_negative_bounds():
    """"sub": ``z = x:sub(2,4,3,4):fill(2)`` writes x and y; ``y:sub(-1, -1, 3, 4)`` is the last row's two
    elements (negative bounds stay as they are)."""
    x = lg.Tensor(5, 6).zero()
    y = x.sub(1, 3).fill(1)
    z = x.sub(1, 3, 2, 3).fill(2)
    assert str(z) == printed(' 2  2\n 2  2\n 2  2\n[torch.DoubleTensor of dimension 3x2]')
    assert str(x) == printed('''
 0  0  0  0  0  0
 1  1  2  2  1  1
 1  1  2  2  1  1
 1  1  2  2  1  1
 0  0  0  0  0  0
[torch.DoubleTensor of dimension 5x6]''')
    assert str(y) == printed('\n 1  1  2  2  1  1' * 3 + '\n[torch.DoubleTensor of dimension 3x6]')
    assert str(y.sub(-1, -1, 2, 3)) == printed(' 2  2\n[torch.DoubleTensor of dimension 1x2]')


def test_select_a_row_and_a_column():
    """"select(dim, index)": ``x:select(1, 2):fill(2)``, ``x:select(2,5):fill(5)``."""
    x = lg.Tensor(5, 6).zero()
    y = x.select(0, 1).fill(2)
    assert str(y) == printed(' 2\n' * 6 + '[torch.DoubleTensor of dimension 6]')
    z = x.select(1, 4).fill(5)
    assert str(z) == printed(' 5\n' * 5 + '[torch.DoubleTensor of dimension 5]')
    assert str(x) == printed('''
 0  0  0  0  5  0
 2  2  2  2  5  2
 0  0  0  0  5  0
 0  0  0  0  5  0
 0  0  0  0  5  0
[torch.DoubleTensor of dimension 5x6]''')


def test_indexing_operator_assignments():
    """"[{ dim1,dim2,... }] or [{ {dim1s,dim1e}, {dim2s,dim2e} }]": ``x[{ 1,3 }] = 1``, ``x[{ 2,{2,4} }] = 2``,
    ``x[{ {},4 }] = -1``, ``x[{ {},2 }] = torch.range(1,5)``, ``x[torch.lt(x,0)] = -2`` (porting.md's range rows)."""
    x = lg.Tensor(5, 6).zero()
    x[0, 2] = 1
    x[1, 1:4] = 2
    assert x[:2].tolist() == [[0, 0, 1, 0, 0, 0], [0, 2, 2, 2, 0, 0]] and x[2:].sum() == 0
    x[:, 3] = -1
    assert x.select(1, 3).tolist() == [-1] * 5
    x[:, 1] = lg.range(1, 5)
    assert str(x) == printed('''
 0  1  1 -1  0  0
 0  2  2 -1  0  0
 0  3  0 -1  0  0
 0  4  0 -1  0  0
 0  5  0 -1  0  0
[torch.DoubleTensor of dimension 5x6]''')
    x[lg.lt(x, 0)] = -2
    assert str(x) == printed('''
 0  1  1 -2  0  0
 0  2  2 -2  0  0
 0  3  0 -2  0  0
 0  4  0 -2  0  0
 0  5  0 -2  0  0
[torch.DoubleTensor of dimension 5x6]''')


INDEX_X = '''
 0.8020  0.7246  0.1204  0.3419  0.4385
 0.0369  0.4158  0.0985  0.3024  0.8186
 0.2746  0.9362  0.2546  0.8586  0.6674
 0.7473  0.9028  0.1046  0.9085  0.6622
 0.1412  0.6784  0.1624  0.8113  0.3949
[torch.DoubleTensor of dimension 5x5]'''
ROWS_3_1 = printed('''
 0.2746  0.9362  0.2546  0.8586  0.6674
 0.8020  0.7246  0.1204  0.3419  0.4385
[torch.DoubleTensor of dimension 2x5]''')


def test_index_copies_the_rows():
    """"index(dim, index)": ``x:index(1, torch.LongTensor{3,1})`` (rows 2, 0 here) is a copy; ``y:index(x, 1, ...)``
    writes into y."""
    x = from_printed(INDEX_X)
    assert str(x) == printed(INDEX_X)
    y = x.index(0, lg.LongTensor([2, 0]))
    assert str(y) == ROWS_3_1
    y.fill(1)
    assert str(y) == printed(' 1  1  1  1  1\n 1  1  1  1  1\n[torch.DoubleTensor of dimension 2x5]')
    assert str(x) == printed(INDEX_X)
    y = lg.Tensor()
    y.index(x, 0, lg.LongTensor([2, 0]))
    assert str(y) == ROWS_3_1


def minus_one_minus_two():
    """indexCopy's and indexAdd's ``z``: a 5x2 tensor of -1 and -2 columns."""
    z = lg.Tensor(5, 2)
    z.select(1, 0).fill(-1)
    z.select(1, 1).fill(-2)
    assert str(z) == printed('-1 -2\n' * 5 + '[torch.DoubleTensor of dimension 5x2]')
    return z


def test_index_copy():
    """"indexCopy(dim, index, tensor)": ``x:indexCopy(2, torch.LongTensor{5,1}, z)`` (columns 4, 0 here)."""
    x = from_printed(INDEX_X)
    x.indexCopy(1, lg.LongTensor([4, 0]), minus_one_minus_two())
    assert str(x) == printed('''
-2.0000  0.7246  0.1204  0.3419 -1.0000
-2.0000  0.4158  0.0985  0.3024 -1.0000
-2.0000  0.9362  0.2546  0.8586 -1.0000
-2.0000  0.9028  0.1046  0.9085 -1.0000
-2.0000  0.6784  0.1624  0.8113 -1.0000
[torch.DoubleTensor of dimension 5x5]''')


def test_index_add():
    """"indexAdd(dim, index, tensor)": example 1 adds z's columns to columns 4, 0; example 2 accumulates repeated
    indices: ``a:indexAdd(1, torch.LongTensor{1, 1, 3, 3}, torch.range(1, 4))`` gives 4, 2, 10, 4, 5."""
    x = from_printed('''
-2.1742  0.5688 -1.0201  0.1383  1.0504
 0.0970  0.2169  0.1324  0.9553 -1.9518
-0.7607  0.8947  0.1658 -0.2181 -2.1237
-1.4099  0.2342  0.4549  0.6316 -0.2608
 0.0349  0.4713  0.0050  0.1677  0.2103''')
    x.indexAdd(1, lg.LongTensor([4, 0]), minus_one_minus_two())
    assert str(x) == printed('''
-4.1742  0.5688 -1.0201  0.1383  0.0504
-1.9030  0.2169  0.1324  0.9553 -2.9518
-2.7607  0.8947  0.1658 -0.2181 -3.1237
-3.4099  0.2342  0.4549  0.6316 -1.2608
-1.9651  0.4713  0.0050  0.1677 -0.7897
[torch.DoubleTensor of size 5x5]''')
    a = lg.range(1, 5)
    assert str(a) == printed(' 1\n 2\n 3\n 4\n 5\n[torch.DoubleTensor of size 5]')
    a.indexAdd(0, lg.LongTensor([0, 0, 2, 2]), lg.range(1, 4))
    assert str(a) == printed('  4\n  2\n 10\n  4\n  5\n[torch.DoubleTensor of size 5]')


def test_gather_along_each_dimension():
    """"gather(dim, index)": ``x:gather(1, {{1,2,3,4,5},{2,3,4,5,1}})`` and ``x:gather(2, {{1,2},{2,3},...})``
    with 0-based positions."""
    x = from_printed('''
 0.7259  0.5291  0.4559  0.4367  0.4133
 0.0513  0.4404  0.4741  0.0658  0.0653
 0.3393  0.1735  0.6439  0.1011  0.7923
 0.7606  0.5025  0.5706  0.7193  0.1572
 0.1720  0.3546  0.8354  0.8339  0.3025''')
    y = x.gather(0, lg.LongTensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 0]]))
    assert str(y) == printed('''
 0.7259  0.4404  0.6439  0.7193  0.3025
 0.0513  0.1735  0.5706  0.8339  0.4133
[torch.DoubleTensor of size 2x5]''')
    z = x.gather(1, lg.LongTensor([[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]))
    assert str(z) == printed('''
 0.7259  0.5291
 0.4404  0.4741
 0.6439  0.1011
 0.7193  0.1572
 0.3025  0.1720
[torch.DoubleTensor of size 5x2]''')


def test_scatter_a_tensor_and_a_value():
    """"scatter(dim, index, src|val)": rows of x scattered into a 3x5 zero tensor; 1.23 scattered to
    columns 2 and 3 (0-based)."""
    x = from_printed('''
 0.3227  0.4294  0.8476  0.9414  0.1159
 0.7338  0.5185  0.2947  0.0578  0.1273''')
    y = lg.zeros(3, 5).scatter(0, lg.LongTensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]]), x)
    assert str(y) == printed('''
 0.3227  0.5185  0.2947  0.9414  0.1159
 0.0000  0.4294  0.0000  0.0578  0.0000
 0.7338  0.0000  0.8476  0.0000  0.1273
[torch.DoubleTensor of size 3x5]''')
    z = lg.zeros(2, 4).scatter(1, lg.LongTensor([[2], [3]]), 1.23)
    assert str(z) == printed('''
 0.0000  0.0000  1.2300  0.0000
 0.0000  0.0000  0.0000  1.2300
[torch.DoubleTensor of size 2x4]''')


def test_masked_select_copy_and_fill_pair_elements_in_order():
    """"maskedSelect", "maskedCopy", "maskedFill": the mask needs only as many elements as the tensor; the doc's
    bernoulli masks are written out."""
    x = lg.range(1, 12).double().resize(3, 4)
    assert str(x) == printed('''
  1   2   3   4
  5   6   7   8
  9  10  11  12
[torch.DoubleTensor of dimension 3x4]''')
    mask = lg.ByteTensor([[1, 0, 1, 0, 0, 0], [1, 1, 0, 0, 0, 1]])
    selected = printed('  1\n  3\n  7\n  8\n 12\n[torch.DoubleTensor of dimension 5]')
    assert str(x.maskedSelect(mask)) == selected
    z = lg.DoubleTensor()
    z.maskedSelect(x, mask)
    assert str(z) == selected
    x = lg.Tensor([0, 0, 0, 0])
    x.maskedCopy(lg.ByteTensor([0, 1, 0, 1]), lg.Tensor([10, 20]))
    assert str(x) == printed('  0\n 10\n  0\n 20\n[torch.DoubleTensor of size 4]')
    x = lg.range(1, 4).double().resize(2, 2)
    y = lg.DoubleTensor(2, 4).fill(-1)
    assert str(y) == printed('-1 -1 -1 -1\n-1 -1 -1 -1\n[torch.DoubleTensor of dimension 2x4]')
    y.maskedCopy(lg.ByteTensor([[0, 0, 1, 1, 1, 0, 1, 0]]), x)
    assert y.tolist() == [[-1, -1, 1, 2], [3, -1, 4, -1]]
    x = lg.range(1, 4).double().resize(1, 4)
    x.maskedFill(lg.ByteTensor([[0, 0], [1, 1]]), -1)
    assert str(x) == printed(' 1  2 -1 -1\n[torch.DoubleTensor of dimension 1x4]')


NONZERO = '''
 1  1
 1  3
 2  3
 2  4
 3  2
 3  3
 3  4
 4  1
 4  2
 4  3
 4  4'''


def test_nonzero_subscripts_are_zero_based():
    """"nonzero(tensor)": ``torch.nonzero(x)``, ``x:nonzero()``, ``x.nonzero(indices, x)`` and
    ``x:eq(1):nonzero()`` list the subscripts (each 1 less here)."""
    x = lg.IntTensor([[2, 0, 2, 0], [0, 0, 1, 2], [0, 2, 2, 1], [2, 1, 2, 2]])
    expected = from_printed(NONZERO).long() - 1
    assert lg.nonzero(x).type() == 'torch.LongTensor'
    assert lg.nonzero(x).equal(expected) and x.nonzero().equal(expected)
    indices = lg.LongTensor()
    assert type(x).nonzero(indices, x) is indices           # Lua's x.nonzero is the class's plain function
    assert indices.equal(expected) and indices.size() == (11, 2)
    with pytest.raises(TypeError):
        x.nonzero(indices, x)                                # Python's is bound to x (porting.md's row)
    assert x.eq(1).nonzero().tolist() == [[1, 2], [2, 3], [3, 1]]


def test_expand_views_with_zero_strides():
    """"expand([result,] sizes)": ``torch.expand(x, 10, 2)`` shares x's storage: ``y:fill(1)`` fills x, and
    ``y:apply`` writes each element twice, leaving 2, 4, ..., 20."""
    column = [0.3837, 0.5966, 0.0763, 0.1896, 0.4958, 0.6841, 0.4038, 0.4068, 0.1502, 0.2239]
    x = lg.Tensor([[v] for v in column])
    y = lg.expand(x, 10, 2)
    assert y.tolist() == [[v, v] for v in column] and y.stride() == (1, 0)
    y.fill(1)
    assert x.tolist() == [[1]] * 10
    counting(y)
    assert str(y) == printed(''.join('\n %2d  %2d' % (2 * i, 2 * i) for i in range(1, 11))
                             + '\n[torch.DoubleTensor of dimension 10x2]')
    assert x.tolist() == [[2 * i] for i in range(1, 11)]
    assert x.expandAs(lg.Tensor(10, 3)).size() == (10, 3)


def test_repeat_tensor():
    """"repeatTensor([result,] sizes)": ``torch.repeatTensor(x,3,2)`` and ``torch.repeatTensor(x,3,2,1)``."""
    x = lg.Tensor([0.7160, 0.6514, 0.0704, 0.7856, 0.7452])
    row = '  0.7160  0.6514  0.0704  0.7856  0.7452'
    assert str(lg.repeatTensor(x, 3, 2)) == printed(('\n' + row[1:] + row) * 3
                                                    + '\n[torch.DoubleTensor of dimension 3x10]')
    assert str(lg.repeatTensor(x, 3, 2, 1)) == printed_slices(''.join(
        f'\n({i},.,.) =\n{row}\n{row}' for i in (1, 2, 3)) + '\n[torch.DoubleTensor of dimension 3x2x5]')


def test_squeeze_all_or_one_dimension():
    """"squeeze([dim])": the doc's 2x1x2x1x2 tensor, its slices listed first index fastest (Tensor.lua,
    lines 159-177); ``torch.squeeze(x)`` is 2x2x2 and ``torch.squeeze(x,2)`` (dimension 1 here) 2x2x1x2."""
    x = lg.Tensor([0.6020, 0.8897, 0.4441, 0.9792, 0.4713, 0.2645, 0.5467, 0.8648]).view(2, 1, 2, 1, 2)
    assert str(x) == printed_slices('''
(1,1,1,.,.) =
  0.6020  0.8897
(2,1,1,.,.) =
  0.4713  0.2645
(1,1,2,.,.) =
  0.4441  0.9792
(2,1,2,.,.) =
  0.5467  0.8648
[torch.DoubleTensor of dimension 2x1x2x1x2]''')
    assert str(lg.squeeze(x)) == printed_slices('''
(1,.,.) =
  0.6020  0.8897
  0.4441  0.9792
(2,.,.) =
  0.4713  0.2645
  0.5467  0.8648
[torch.DoubleTensor of dimension 2x2x2]''')
    assert str(lg.squeeze(x, 1)) == printed_slices('''
(1,1,.,.) =
  0.6020  0.8897
(2,1,.,.) =
  0.4713  0.2645
(1,2,.,.) =
  0.4441  0.9792
(2,2,.,.) =
  0.5467  0.8648
[torch.DoubleTensor of dimension 2x2x1x2]''')


def test_view_and_view_as_share_the_storage():
    """"view([result,] tensor, sizes)" (numbers, -1, a LongStorage) and "viewAs([result,] tensor, template)"."""
    x = lg.zeros(4)
    square = printed(' 0  0\n 0  0\n[torch.DoubleTensor of size 2x2]')
    assert str(x.view(2, 2)) == str(x.view(2, -1)) == str(x.view(lg.LongStorage([2, 2]))) == square
    assert str(x.viewAs(lg.Tensor(2, 2))) == square
    x.view(2, 2).fill(1)
    assert x.tolist() == [1, 1, 1, 1]


def test_transpose_and_t_share_the_storage():
    """"transpose(dim1, dim2)": column 3 (2 here) of x filled with 7, then column 3 of ``x:transpose(1,2)`` with 8;
    "t()" of the same x."""
    x = lg.Tensor(3, 4).zero()
    x.select(1, 2).fill(7)
    assert str(x) == printed(' 0  0  7  0\n' * 3 + '[torch.DoubleTensor of dimension 3x4]')
    transposed = printed(' 0  0  0\n 0  0  0\n 7  7  7\n 0  0  0\n[torch.DoubleTensor of dimension 4x3]')
    assert str(x.t()) == transposed
    y = x.transpose(0, 1)
    assert str(y) == transposed
    y.select(1, 2).fill(8)
    assert str(y) == printed(' 0  0  8\n 0  0  8\n 7  7  8\n 0  0  8\n[torch.DoubleTensor of dimension 4x3]')
    assert str(x) == printed(' 0  0  7  0\n 0  0  7  0\n 8  8  8  8\n[torch.DoubleTensor of dimension 3x4]')


def test_permute():
    """"permute(dim1, ..., dimn)": ``x:permute(2,3,1,4)`` of a 3x4x2x5 tensor is 4x2x3x5, as
    ``x:transpose(1,3):transpose(1,2)``."""
    x = lg.Tensor(3, 4, 2, 5)
    y = x.permute(1, 2, 0, 3)
    assert y.size() == (4, 2, 3, 5)
    assert y.stride() == x.transpose(0, 2).transpose(0, 1).stride()


def test_unfold():
    """"unfold(dim, size, step)": the slices of 1 .. 7 of size 2 with steps 1 and 2."""
    x = lg.Tensor(7)
    for i in range(7):
        x[i] = i + 1
    assert str(x) == printed(''.join(f' {i}\n' for i in range(1, 8)) + '[torch.DoubleTensor of dimension 7]')
    assert str(x.unfold(0, 2, 1)) == printed(''.join(f' {i}  {i + 1}\n' for i in range(1, 7))
                                             + '[torch.DoubleTensor of dimension 6x2]')
    assert str(x.unfold(0, 2, 2)) == printed(' 1  2\n 3  4\n 5  6\n[torch.DoubleTensor of dimension 3x2]')


def test_apply_stores_what_the_function_returns():
    """"apply(function)": a counter, then ``math.sin``, then a function returning nothing that sums the
    elements (1.9552094821074 in Lua's 14 digits, as ``z:sum()``)."""
    z = counting(lg.Tensor(3, 3))
    assert str(z) == printed(' 1  2  3\n 4  5  6\n 7  8  9\n[torch.DoubleTensor of dimension 3x3]')
    z.apply(math.sin)
    assert str(z) == printed('''
 0.8415  0.9093  0.1411
-0.7568 -0.9589 -0.2794
 0.6570  0.9894  0.4121
[torch.DoubleTensor of dimension 3x3]''')
    total = 0

    def add(x):
        nonlocal total
        total = total + x

    z.apply(add)
    assert '%.14g' % total == '%.14g' % z.sum() == '1.9552094821074'
    assert z[0][0] == math.sin(1)                            # a function returning nothing leaves z


def test_map_and_map2():
    """"map(tensor, function(xs, xt))" and "map2(tensor1, tensor2, function(x, xt1, xt2))": sizes may differ,
    the counts match."""
    x = counting(lg.Tensor(3, 3))
    y = counting(lg.Tensor(9))
    x.map(y, lambda xx, yy: xx * yy)
    assert str(x) == printed('''
  1   4   9
 16  25  36
 49  64  81
[torch.DoubleTensor of dimension 3x3]''')
    x = lg.Tensor(3, 3)
    count = iter(range(1, 10))
    x.apply(lambda _: math.cos(next(count)) ** 2)
    assert str(x) == printed('''
 0.2919  0.1732  0.9801
 0.4272  0.0805  0.9219
 0.5684  0.0212  0.8302
[torch.DoubleTensor of dimension 3x3]''')
    x.map2(counting(lg.Tensor(9)), counting(lg.Tensor(3, 3)), lambda xx, yy, zz: xx + yy * zz)
    assert str(x) == printed('''
  1.2919   4.1732   9.9801
 16.4272  25.0805  36.9219
 49.5684  64.0212  81.8302
[torch.DoubleTensor of dimension 3x3]''')


def test_split_and_chunk_sizes():
    """"split([result,] tensor, size, [dim])" and "chunk([result,] tensor, n, [dim])" of a 3x4x5 tensor (the
    doc's table listing, trepl's print, is compared by sizes); the pieces are narrows of x."""
    x = lg.randn(3, 4, 5)
    sizes = lambda pieces: [p.size() for p in pieces]
    assert sizes(x.split(2, 0)) == [(2, 4, 5), (1, 4, 5)]
    assert sizes(x.split(3, 1)) == [(3, 3, 5), (3, 1, 5)]
    assert sizes(x.split(2, 2)) == [(3, 4, 2), (3, 4, 2), (3, 4, 1)]
    assert sizes(x.chunk(2, 0)) == [(2, 4, 5), (1, 4, 5)]
    assert sizes(x.chunk(2, 1)) == [(3, 2, 5), (3, 2, 5)]
    assert sizes(x.chunk(2, 2)) == [(3, 4, 3), (3, 4, 2)]
    assert x.split(2)[1].storage() is x.storage() and x.split(2)[1].storageOffset() == 40


def test_data_indexes_the_raw_elements_from_zero():
    """"data(tensor, [asnumber])": ``t_data[i] = 0`` for ``i = 0, t:nElement()-1`` zeroes t (porting.md's
    ``x:data()`` row); a transposed tensor made contiguous is safe to walk so."""
    t = lg.randn(3, 2)
    t_data = lg.data(t)
    for i in range(t.nElement()):
        t_data[i] = 0
    assert str(t) == printed(' 0  0\n 0  0\n 0  0\n[torch.DoubleTensor of dimension 3x2]')
    t = lg.randn(3, 2)
    t_transposed_and_contiguous = t.transpose(0, 1).contiguous()
    data = lg.data(t_transposed_and_contiguous)
    assert list(data) == t.t().reshape(6).tolist()
