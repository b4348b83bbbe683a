"""Views share storage exactly as in Torch7: sizes, strides and storage offsets checked by hand."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import legonn as lg


def grid(*sizes):
    """A DoubleTensor holding 0, 1, 2, ... in row-major order."""
    n = int(np.prod(sizes))
    return lg.DoubleTensor(np.arange(n, dtype=np.float64).reshape(sizes))


def geometry(t):
    return tuple(t.size()), tuple(t.stride()), t.storageOffset()


def test_contiguous_geometry():
    x = grid(2, 3, 4)
    assert geometry(x) == ((2, 3, 4), (12, 4, 1), 0)
    assert x.dim() == x.nDimension() == 3
    assert x.nElement() == 24
    assert x.size(1) == 3 and x.size(-1) == 4 and x.stride(0) == 12
    assert x.isContiguous()
    assert x.storage().size() == 24


def test_select_seed_example_fills_parent_row():
    x = lg.zeros(2, 3)
    x.select(0, 1).fill(7)
    assert x.tolist() == [[0, 0, 0], [7, 7, 7]]


def test_select_geometry():
    x = grid(2, 3, 4)
    assert geometry(x.select(0, 1)) == ((3, 4), (4, 1), 12)
    assert geometry(x.select(1, 2)) == ((2, 4), (12, 1), 8)
    assert geometry(x.select(2, 3)) == ((2, 3), (12, 4), 3)
    assert geometry(x.select(2, -1)) == ((2, 3), (12, 4), 3)
    assert x.select(1, 2).storage() is x.storage()
    assert x.select(1, 2).tolist() == [[8, 9, 10, 11], [20, 21, 22, 23]]


def test_select_of_a_vector_reads_the_element_whatever_the_dimension():
    """generic/Tensor.c's select returns ``get1d(index)`` of a 1-D tensor without checking the dimension (the check
    is commented out there), and test.lua's lua_max relies on it: ``t:select(1, i):select(2, j)``. A matrix still
    checks it. The element comes as a number, as generic/Tensor.c's ``pushreal`` and as ``x[i]`` (legonn gave a
    0-dim tensor, which Torch7 has not)."""
    x = lg.Tensor([5, 6, 7])
    assert x.select(1, 2) == 7 and x.select(3, 0) == 5 and x.select(0, -1) == 7
    assert type(x.select(0, 2)) is float and type(lg.LongTensor([5, 6]).select(0, 1)) is int
    assert x.select(0, 2) == x[2]
    with pytest.raises(IndexError, match='out of range'):
        x.select(1, 3)
    with pytest.raises(IndexError, match='dimension 2 out of range'):
        grid(2, 3).select(2, 0)


def test_narrow_and_sub_geometry():
    x = grid(4, 5)
    n = x.narrow(1, 1, 3)
    assert geometry(n) == ((4, 3), (5, 1), 1)
    assert not n.isContiguous()
    s = x.sub(1, 2, 2, 4)        # rows 1..2, columns 2..4 (inclusive ends, 0-based)
    assert geometry(s) == ((2, 3), (5, 1), 7)
    assert s.tolist() == [[7, 8, 9], [12, 13, 14]]
    assert geometry(x.sub(-2, -1)) == ((2, 5), (5, 1), 10)
    s.fill(-1)
    assert x[1, 2] == -1 and x[2, 4] == -1 and x[1, 1] == 6


def test_transpose_t_permute():
    x = grid(2, 3, 4)
    tr = x.transpose(0, 2)
    assert geometry(tr) == ((4, 3, 2), (1, 4, 12), 0)
    assert not tr.isContiguous()
    m = grid(2, 3)
    assert geometry(m.t()) == ((3, 2), (1, 3), 0)
    assert m.t().tolist() == np.arange(6.).reshape(2, 3).T.tolist()
    p = x.permute(2, 0, 1)
    assert geometry(p) == ((4, 2, 3), (1, 12, 4), 0)
    assert p.tolist() == np.arange(24.).reshape(2, 3, 4).transpose(2, 0, 1).tolist()
    m.t().select(0, 1).fill(100)     # column 1 of m
    assert m.tolist() == [[0, 100, 2], [3, 100, 5]]


def test_view_and_view_as():
    x = grid(2, 6)
    v = x.view(3, 4)
    assert geometry(v) == ((3, 4), (4, 1), 0)
    assert geometry(x.view(-1)) == ((12,), (1,), 0)
    assert x.view(4, -1).size() == (4, 3)
    assert x.viewAs(grid(6, 2)).size() == (6, 2)
    v.select(0, 0).fill(-5)
    assert x.tolist()[0][:4] == [-5, -5, -5, -5]
    # a narrowed matrix can still be viewed when the strides allow it
    w = grid(4, 6).narrow(0, 1, 2).view(2, 2, 3)
    assert geometry(w) == ((2, 2, 3), (6, 3, 1), 6)


def test_view_needing_a_copy_fails_clearly():
    with pytest.raises(ValueError, match='contiguous'):
        grid(3, 4).t().view(12)
    with pytest.raises(ValueError, match='elements'):
        grid(3, 4).view(5, 2)
    assert grid(3, 4).t().reshape(12).tolist() == np.arange(12.).reshape(3, 4).T.reshape(-1).tolist()


def test_expand_uses_zero_strides():
    x = grid(3, 1)
    e = x.expand(3, 4)
    assert geometry(e) == ((3, 4), (1, 0), 0)
    assert e.tolist() == [[0] * 4, [1] * 4, [2] * 4]
    e2 = grid(3).expand(2, 3)
    assert geometry(e2) == ((2, 3), (0, 1), 0)
    assert grid(1, 3).expandAs(grid(5, 3)).size() == (5, 3)
    with pytest.raises(ValueError, match='size-1'):
        grid(2, 3).expand(4, 3)


def test_unfold_geometry():
    x = grid(7)
    u = x.unfold(0, 3, 2)
    assert geometry(u) == ((3, 3), (2, 1), 0)
    assert u.tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    m = grid(2, 5).unfold(1, 2, 1)
    assert geometry(m) == ((2, 4, 2), (5, 1, 1), 0)
    with pytest.raises(ValueError, match='unfold'):
        x.unfold(0, 8, 1)


def test_squeeze_unsqueeze():
    x = grid(2, 1, 3, 1)
    assert geometry(x.squeeze()) == ((2, 3), (3, 1), 0)
    assert geometry(x.squeeze(1)) == ((2, 3, 1), (3, 1, 1), 0)
    assert x.squeeze(0).size() == (2, 1, 3, 1)      # not of size 1: unchanged
    assert grid(1, 1).squeeze(0).size() == (1,)     # Torch7 keeps one dimension (a number: below)
    y = grid(2, 3)
    assert geometry(y.unsqueeze(0)) == ((1, 2, 3), (6, 3, 1), 0)
    assert geometry(y.unsqueeze(1)) == ((2, 1, 3), (3, 3, 1), 0)
    assert geometry(y.unsqueeze(-1)) == ((2, 3, 1), (3, 1, 1), 0)
    assert y.unsqueeze(1).storage() is y.storage()


def test_bracket_views_match_numpy():
    x = grid(4, 5)
    ref = np.arange(20.).reshape(4, 5)
    cases = [(1,), (slice(1, 3),), (slice(None), 2), (slice(None, None, 2), slice(1, None, 2)),
             (None, 1), (Ellipsis, 3), (slice(None, None, -1),)]
    for key in cases:
        v = x[key]
        r = ref[key]
        assert v.tolist() == r.tolist()
        assert v.storage() is x.storage()
        assert tuple(v.stride()) == tuple(s // 8 for s in r.strides)
    row = x[2]
    assert geometry(row) == ((5,), (1,), 10)
    assert geometry(x[:, 1:4:2]) == ((4, 2), (5, 2), 1)
    assert geometry(x[::-1]) == ((4, 5), (-5, 1), 15)
    x[1:3, ::2] = 0
    assert x.tolist()[1] == [0, 6, 0, 8, 0]
    assert x[3, 4] == 19.0           # full integer index: a Python number, as in Torch7


def test_advanced_indexing_copies():
    x = grid(3, 4)
    picked = x[lg.LongTensor([0, 2])]
    assert picked.tolist() == [[0, 1, 2, 3], [8, 9, 10, 11]]
    picked.fill(0)
    assert x[0, 1] == 1
    masked = x[x.gt(5)]
    assert masked.tolist() == [6, 7, 8, 9, 10, 11]


def test_view_errors():
    x = grid(2, 3)
    with pytest.raises(IndexError, match='dimension 2 out of range'):
        x.select(2, 0)
    with pytest.raises(IndexError, match='index 3 out of range'):
        x.select(1, 3)
    with pytest.raises(IndexError, match='narrow'):
        x.narrow(1, 2, 2)
    with pytest.raises(ValueError, match='2-D'):
        grid(2, 3, 4).t()
    with pytest.raises(ValueError, match='permutation'):
        x.permute(0, 0)
    with pytest.raises(TypeError, match='integer'):
        x.select(0, 1.5)


def test_set_and_storage_constructor():
    x = grid(6)
    y = lg.DoubleTensor(x.storage(), 2, (2, 2))
    assert geometry(y) == ((2, 2), (2, 1), 2)
    assert y.tolist() == [[2, 3], [4, 5]]
    z = lg.DoubleTensor(x.storage(), 1, (2, 2), (1, 2))
    assert z.tolist() == [[1, 3], [2, 4]]
    w = lg.DoubleTensor().set(x)
    w.fill(9)
    assert x.tolist() == [9] * 6
    with pytest.raises(ValueError, match='outside its storage'):
        lg.DoubleTensor(x.storage(), 4, (2, 2))
    with pytest.raises(TypeError):
        lg.FloatTensor(x.storage())


def test_split_chunk_share_storage():
    x = grid(5, 2)
    parts = x.split(2)
    assert [p.size() for p in parts] == [(2, 2), (2, 2), (1, 2)]
    assert [p.storageOffset() for p in parts] == [0, 4, 8]
    parts[2].fill(-1)
    assert x.tolist()[4] == [-1, -1]
    chunks = grid(2, 7).chunk(3, 1)
    assert [c.size() for c in chunks] == [(2, 3), (2, 3), (2, 1)]
    assert all(c.storage() is chunks[0].storage() for c in chunks)
    with pytest.raises(ValueError):
        x.split(0)


def test_is_set_to_and_same_size():
    x = grid(2, 3)
    assert x.isSetTo(x.view(2, 3)) and not x.isSetTo(x.t()) and not x.isSetTo(x.clone())
    assert x.isSameSizeAs(grid(2, 3)) and not x.isSameSizeAs(grid(3, 2)) and x.isSize((2, 3))
    assert x.totable() == x.tolist()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(['select', 'narrow', 'transpose', 'unsqueeze', 'expand']),
                          st.integers(0, 5), st.integers(0, 5)), max_size=5))
def test_random_view_chains_match_numpy(ops):
    x = grid(3, 4, 5)
    ref = np.arange(60.).reshape(3, 4, 5)
    for op, i, j in ops:
        if x.dim() == 0:
            break
        d = i % x.dim()
        if op == 'select' and x.dim() > 1:
            k = j % x.size(d)
            x, ref = x.select(d, k), ref[(slice(None),) * d + (k,)]
        elif op == 'narrow':
            start = j % x.size(d) if x.size(d) else 0
            length = (x.size(d) - start) // 2 + (1 if x.size(d) - start else 0) if x.size(d) else 0
            x, ref = x.narrow(d, start, length), ref[(slice(None),) * d + (slice(start, start + length),)]
        elif op == 'transpose':
            e = j % x.dim()
            x, ref = x.transpose(d, e), np.swapaxes(ref, d, e)
        elif op == 'unsqueeze':
            x, ref = x.unsqueeze(d), np.expand_dims(ref, d)
        elif op == 'expand' and 1 in x.size():
            sizes = tuple(3 if n == 1 else n for n in x.size())
            x, ref = x.expand(*sizes), np.broadcast_to(ref, sizes)
        assert x.tolist() == ref.tolist()
        assert x.storage() is not None and np.shares_memory(x.array, x.storage().data)
    # the geometry reported is the one NumPy computes for the same view (a size-1 dimension's stride is free)
    for n, mine, theirs in zip(x.size(), x.stride(), ref.strides):
        assert n <= 1 or mine == theirs // 8


def test_results_computed_from_a_transposed_tensor_are_contiguous_as_torch7():
    """Torch7 builds every new result contiguous (Tensor.type's resize+copy, TensorOperator.c's resizeAs); NumPy
    would lay them out like the transposed operand, and view() would then refuse them."""
    x = lg.Tensor([[1, 2, 3], [4, 5, 6]])
    t = x.t()
    results = [t.double(), t.long(), t * 2, t + t, 1 - t, -t, abs(t), t ** 2, t.gt(2), t > 2, t.cumsum(0),
               lg.cat([t, t], 0), lg.stack([t, t]), t.typeAs(lg.DoubleTensor())]
    for r in results:
        assert r.isContiguous() and r.view(-1).nElement() == r.nElement()
    assert (t * 2).view(-1).tolist() == [2, 8, 4, 10, 6, 12]


def test_result_forms_of_view_expand_and_repeat():
    """torch7/Tensor.lua: view, viewAs, expand, expandAs and repeatTensor take (result, src, ...): the result
    becomes that view of src (repeatTensor fills it), so r:view(x, 3, 5) shares x's storage."""
    x = lg.DoubleTensor(15).uniform()
    r = lg.DoubleTensor()
    assert r.view(x, 3, 5) is r and r.size() == (3, 5) and r.isSetTo(x.view(3, 5))
    r.view(x, lg.LongStorage([5, -1]))
    assert r.size() == (5, 3) and r.storage() is x.storage()
    assert lg.DoubleTensor().viewAs(x, lg.DoubleTensor(3, 5)).size() == (3, 5)
    col = lg.DoubleTensor(8, 1).uniform()
    e = lg.DoubleTensor()
    assert e.expand(col, 8, 5) is e and e.stride() == (1, 0) and e.storage() is col.storage()
    assert lg.DoubleTensor().expandAs(col, lg.DoubleTensor(8, 5)).size() == (8, 5)
    t = lg.DoubleTensor()
    assert t.repeatTensor(col, 3, 1, 1) is t and t.size() == (3, 8, 1) and t[2].tolist() == col.tolist()
    with pytest.raises(TypeError):
        lg.FloatTensor().view(x, 15)     # Torch7's set needs the source's type


def test_masked_select_into_a_result():
    """torch7/generic/Tensor.c maskedSelect: r:maskedSelect(src, mask) writes the selected values into r."""
    src = lg.DoubleTensor([1, 2, 3, 4])
    mask = lg.ByteTensor([1, 0, 1, 0])
    r = lg.DoubleTensor()
    assert r.maskedSelect(src, mask) is r and r.tolist() == [1, 3]
    assert src.maskedSelect(mask).tolist() == [1, 3]


def test_factory_methods_write_into_the_tensor():
    """torch7/TensorMath.lua range/linspace/logspace (method={default='nil'}): y:range(0, 3) writes into y,
    keeping y's shape when it holds as many elements (THTensor_(range)/(linspace)/(logspace))."""
    x = lg.zeros(2, 3).double()
    assert x.narrow(1, 1, 2).range(0, 3).size() == (2, 2)
    assert x.tolist() == [[0, 0, 1], [0, 2, 3]]
    x.narrow(1, 1, 2).linspace(0, 3, 4)
    assert x.tolist() == [[0, 0, 1], [0, 2, 3]]
    x.narrow(1, 1, 2).logspace(0, 3, 4)
    assert x.tolist() == [[0, 1, 10], [0, 100, 1000]]
    assert lg.FloatTensor().range(1, 10, 0.3).size() == (31,)


def test_totable_element_size_and_is_storage():
    """torch7/Tensor.lua torch.totable, Storage:totable, Tensor:elementSize and torch.isStorage
    (torch7/test/test.lua table, elementSize, isStorage)."""
    t = lg.DoubleTensor([[1, 2], [3, 4]])
    assert lg.totable(t) == [[1, 2], [3, 4]] and lg.totable(t.storage()) == [1, 2, 3, 4]
    assert lg.FloatStorage([1, 2, 3]).totable() == [1, 2, 3]
    assert lg.DoubleTensor().elementSize() == lg.DoubleStorage().elementSize() == 8
    assert lg.ByteTensor().elementSize() == 1 and lg.HalfTensor().elementSize() == 2
    assert lg.isStorage(t.storage()) and not lg.isStorage(t)


def test_sizes_totable_as_a_long_storage():
    """torch7 x:size() is a LongStorage, whose totable() gives a Lua table of the sizes (nn's test.lua
    View/Reshape: module:forward(input):size():totable() compared with template:size():totable())."""
    x = lg.DoubleTensor(5, 2)
    assert x.size().totable() == [5, 2] and type(x.size().totable()) is list
    assert lg.totable(x.size()) == [5, 2] and x.size().tolist() == [5, 2]


def test_sizes_edited_in_place_raise_with_the_copy_to_write():
    """Torch7's x:size() is a fresh LongStorage that Lua code edits (OpenNMT's JoinReplicateTable.lua:
    `local sz = input[idx]:size(); sz[dim] = maxSize`); legonn's is a tuple, and the error says what to write."""
    x = lg.DoubleTensor(2, 1, 3)
    sz = x.size()
    with pytest.raises(TypeError, match=r"sz = list\(x.size\(\)\); sz\[1\] = 4"):
        sz[1] = 4
    assert x.size() == (2, 1, 3)
    sz = list(x.size())
    sz[1] = 4
    assert x.new(lg.LongStorage(sz)).size() == (2, 4, 3) and lg.DoubleTensor(*sz).size() == (2, 4, 3)


def test_split_and_chunk_into_a_list():
    """torch7/Tensor.lua split/chunk: torch.split(result, x, n, d) empties the table result and fills it."""
    x = lg.DoubleTensor(7, 4).uniform()
    result = ['stale']
    assert lg.split(result, x, 3, 0) is result and [p.size() for p in result] == [(3, 4), (3, 4), (1, 4)]
    assert lg.chunk(result, x, 2, 1) is result and [p.size() for p in result] == [(7, 2), (7, 2)]
    assert [p.size() for p in lg.split(x, 3)] == [(3, 4), (3, 4), (1, 4)]


def test_squeeze_to_one_element_is_a_number():
    """torch7's TensorMath.lua wraps squeeze with a postcall that returns a Lua number when the result is
    1-D of size 1 (for squeeze(dim), only when the tensor was 1-D already). seq2seq-attn's s2sa/beam.lua
    relies on it: with a beam of 1, ``torch.LongTensor({next_ys:narrow(1, i-1, 1):squeeze()})`` is the
    decoder's input of size 1, where legonn's one-element tensor built a 1x1 tensor (and the LookupTable a
    1x1x5 output that the JoinTable refused)."""
    one = lg.LongTensor([[4]])
    assert one.squeeze() == 4 and type(one.squeeze()) is int
    assert tuple(lg.LongTensor([one.squeeze()]).size()) == (1,)
    assert {4: 'word'}[one.squeeze()] == 'word'                  # a Lua table lookup by that number
    half = lg.FloatTensor([[[2.5]]]).squeeze()
    assert type(half) is float and half == 2.5
    assert lg.LongTensor([7]).squeeze(0) == 7                   # 1-D already: a number
    kept = one.squeeze(0)                                         # 2-D before: a tensor of one dimension
    assert lg.isTensor(kept) and tuple(kept.size()) == (1,) and kept.storage() is one.storage()
    assert lg.squeeze(one) == 4                                   # torch.squeeze(x) as the method
    assert tuple(grid(1, 3).squeeze().size()) == (3,)             # more than one element: a view as before


def test_a_negative_stride_argument_means_the_contiguous_one():
    """torch7 lib/TH/generic/THTensor.c resizeNd: a negative entry of the strides given to a constructor or
    set() is replaced by the contiguous stride over the later dimensions (doc/tensor.md's Tensor(sizes,
    strides)); the others are kept."""
    sizes = lg.LongStorage([2, 3])
    assert lg.DoubleTensor(sizes, lg.LongStorage([-1, -1])).stride() == (3, 1)
    assert lg.DoubleTensor(sizes, lg.LongStorage([1, -1])).stride() == (1, 1)
    x = lg.DoubleTensor(sizes, lg.LongStorage([-1, 2]))
    assert geometry(x) == ((2, 3), (6, 2), 0) and x.storage().size() == 11
    s = lg.DoubleStorage(10)
    assert geometry(lg.DoubleTensor(s, 1, lg.LongStorage([2, 4]), lg.LongStorage([-1, 1]))) == ((2, 4), (4, 1), 1)
    assert geometry(lg.DoubleTensor().set(s, 0, 2, -1, 5, -1)) == ((2, 5), (5, 1), 0)


def test_set_takes_sizes_and_strides_in_turns():
    """torch7 generic/Tensor.c set(storage, offset, sz1, st1, ...): the constructor's short form, also on set."""
    s = grid(10).storage()
    y = lg.DoubleTensor()
    assert y.set(s, 1, 2, 3, 3, 1) is y
    assert geometry(y) == ((2, 3), (3, 1), 1) and y.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert geometry(lg.DoubleTensor().set(s, 2, 4)) == ((4,), (1,), 2)


def test_pickled_views_keep_negative_strides():
    """A wrapped reversed NumPy array keeps its geometry through pickle (threads' transport), whatever the
    constructor does with negative strides (torch7 lib/TH/generic/THTensor.c)."""
    import pickle
    t = lg.DoubleTensor(np.arange(6.0)[::-1])
    u = pickle.loads(pickle.dumps(t))
    assert u.stride() == (-1,) and u.tolist() == [5, 4, 3, 2, 1, 0]


def test_data_is_the_first_element_pointer():
    """torch7 ``x:data()`` (a LuaJIT pointer to the first element, indexed from 0, e.g. deepmask's
    InferDeepMask.lua ``ts_ptr[pos+1]`` with ``pos = (i-1)*4`` and its ``imgMaskPtr[jj + w*ii] = 1``): a flat
    view of the storage from ``storageOffset()``, read and written at the same indices."""
    t = grid(3, 4)
    rows = t.narrow(0, 1, 2)
    ptr = rows.data()
    assert ptr[0] == 4 and ptr[4 + 1] == rows[1][1] == 9
    ptr[2 + 4 * 1] = -1                     # imgMaskPtr[jj + w*ii]: row 1, column 2 of the view
    assert rows[1][2] == -1 and t[2][2] == -1
    assert t.t().data()[1] == t[0][1]       # strides stay the caller's, as with the pointer
    assert lg.Tensor().data().shape == (0,)
