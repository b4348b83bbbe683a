"""JoinTable, SplitTable, SelectTable, NarrowTable, FlattenTable, ZipTable, ZipTableOneToMany,
CAddTensorTable, Index."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import named_case_tests

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


class FixedIndex(nn.Module):
    """Index with the indices fixed, so finite differences only move the data tensor."""

    def __init__(self, dim, idx):
        super().__init__()
        self.inner, self.idx = nn.Index(dim), lg.LongTensor(idx)

    def updateOutput(self, input):
        self.output = self.inner.updateOutput([input, self.idx])
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.inner.updateGradInput([input, self.idx], gradOutput)[0]
        return self.gradInput


# (name, module factory, input factory, numpy reference of the output)
CASES = [
    ('JoinTable', lambda: nn.JoinTable(1), lambda: [r(2, 3), r(2, 1), r(2, 2)],
     lambda x: np.concatenate(x, axis=1)),
    ('JoinTable-neg', lambda: nn.JoinTable(-1), lambda: [r(2, 3), r(2, 2)], lambda x: np.concatenate(x, axis=-1)),
    ('JoinTable-batch', lambda: nn.JoinTable(0, 1), lambda: [r(2, 3), r(2, 2)], lambda x: np.concatenate(x, 1)),
    ('SplitTable', lambda: nn.SplitTable(1), lambda: r(2, 3), lambda x: [x[:, i] for i in range(3)]),
    ('SplitTable-batch', lambda: nn.SplitTable(0, 1), lambda: r(2, 3), lambda x: [x[:, i] for i in range(3)]),
    ('SelectTable', lambda: nn.SelectTable(1), lambda: [r(2), [r(3), r(1)], r(2)], lambda x: x[1]),
    ('SelectTable-neg', lambda: nn.SelectTable(-1), lambda: [r(2), r(3)], lambda x: x[-1]),
    ('NarrowTable', lambda: nn.NarrowTable(1, 2), lambda: [r(2), r(3), [r(1), r(2)], r(2)], lambda x: x[1:3]),
    ('NarrowTable-neg', lambda: nn.NarrowTable(1, -1), lambda: [r(2), r(3), r(2)], lambda x: x[1:]),
    ('FlattenTable', lambda: nn.FlattenTable(), lambda: [r(2), [r(3), [r(1), r(2)]], r(2)],
     lambda x: [x[0], x[1][0], x[1][1][0], x[1][1][1], x[2]]),
    ('ZipTable', lambda: nn.ZipTable(), lambda: [[r(2), r(3)], [r(1), r(2)]],
     lambda x: [[x[0][0], x[1][0]], [x[0][1], x[1][1]]]),
    ('ZipTableOneToMany', lambda: nn.ZipTableOneToMany(), lambda: [r(2), [r(3), r(1), r(2)]],
     lambda x: [[x[0], v] for v in x[1]]),
    ('CAddTensorTable', lambda: nn.CAddTensorTable(), lambda: [r(2, 3), [r(2, 3), r(2, 3)]],
     lambda x: [x[0] + v for v in x[1]]),
    ('Index', lambda: FixedIndex(1, [2, 0, 2, 1]), lambda: r(2, 3), lambda x: x[:, [2, 0, 2, 1]]),
]
test_jacobian, test_type_roundtrip, test_gpu, test_matches_numpy = named_case_tests(CASES)


def test_index_with_the_index_tensor_in_the_table():
    x, idx = lg.DoubleTensor(r(4, 2)), lg.LongTensor([3, 0, 3])
    m = nn.Index(0)
    np.testing.assert_allclose(m.forward([x, idx]).numpy(), x.numpy()[[3, 0, 3]])
    g = r(3, 2)
    gi = m.backward([x, idx], g)
    expected = np.zeros((4, 2))
    np.add.at(expected, [3, 0, 3], g)
    np.testing.assert_allclose(gi[0].numpy(), expected)
    assert gi[1].type() == 'legonn.LongTensor' and not gi[1].numpy().any()
    with pytest.raises(IndexError, match=r"Index\(0\): expected indices in \[0, 3\] along dimension 0, got indices "
                                         r"from 0 to 4"):
        m.forward([x, lg.LongTensor([0, 4])])
    with pytest.raises(TypeError, match='integer'):
        m.forward([x, lg.DoubleTensor([0.0])])


def test_split_outputs_are_views_and_join_reuses_buffers():
    x = lg.DoubleTensor(r(3, 2))
    parts = nn.SplitTable(0).forward(x)
    assert all(p.storage() is x.storage() for p in parts)
    j = nn.JoinTable(0).double()
    out = j.forward([r(1, 2), r(2, 2)])
    assert j.forward([r(1, 2), r(2, 2)]) is out
    gi = j.backward([r(1, 2), r(2, 2)], r(3, 2))
    again = j.backward([r(1, 2), r(2, 2)], r(3, 2))
    assert gi[0] is again[0] and gi[1] is again[1]


def test_split_hands_on_its_pieces_again_only_while_they_are_still_the_input_cut():
    # the same input buffer at every call (a Reshape's output): the same pieces come back, one per slice
    x = lg.DoubleTensor(r(3, 4, 2))
    m = nn.SplitTable(1)
    parts = m.forward(x)
    assert m.forward(x) is parts
    assert all(np.array_equal(p.numpy(), x.numpy()[:, i]) for i, p in enumerate(parts))
    # a piece re-pointed or resized since, another storage, another geometry: made afresh, as select makes them
    parts[2].set(lg.DoubleTensor(r(3, 2)))
    again = m.forward(x)
    assert again is not parts and again[2].storage() is x.storage()
    assert np.array_equal(again[2].numpy(), x.numpy()[:, 2])
    again[1].resize(6)
    assert m.forward(x)[1].size() == (3, 2)
    y = lg.DoubleTensor(r(3, 4, 2))
    assert all(np.array_equal(p.numpy(), y.numpy()[:, i]) for i, p in enumerate(m.forward(y)))
    z = x.narrow(1, 1, 3)   # the same storage seen with fewer slices
    cut = m.forward(z)
    assert len(cut) == 3 and all(np.array_equal(p.numpy(), x.numpy()[:, i + 1]) for i, p in enumerate(cut))
    both = lg.DoubleTensor(r(2, 3, 4, 2))
    m.forward(both[0])
    # the same storage, sizes and strides from another offset
    assert all(np.array_equal(p.numpy(), both.numpy()[1, :, i]) for i, p in enumerate(m.forward(both[1])))
    m.output = [0, 1, 2, 3]   # a table of four that is no pieces at all
    assert all(np.array_equal(p.numpy(), x.numpy()[:, i]) for i, p in enumerate(m.forward(x)))
    w = x.transpose(0, 2)   # the same storage with other strides
    assert all(np.array_equal(p.numpy(), w.numpy()[:, i]) for i, p in enumerate(m.forward(w)))


def test_select_table_gradient_mirrors_nesting():
    x = [r(2), [r(3), r(1)], r(2)]
    m = nn.SelectTable(1).double()
    out = m.forward(x)
    assert out is m.output and len(out) == 2
    gi = m.backward(x, [np.ones(3), np.ones(1)])
    assert [t.size() for t in [gi[0], gi[1][0], gi[1][1], gi[2]]] == [(2,), (3,), (1,), (2,)]
    assert gi[0].numpy().sum() == 0 and gi[1][0].numpy().sum() == 3


def test_bad_input_errors():
    with pytest.raises(IndexError,
                       match=r"SelectTable\(3\): expected a table with an entry at index 3, got a table of 3"):
        nn.SelectTable(3).forward([r(2), r(2), r(2)])
    with pytest.raises(IndexError, match=r"SelectTable\(-4\): .*index -4"):
        nn.SelectTable(-4).forward([r(2), r(2), r(2)])
    with pytest.raises(IndexError,
                       match=r"NarrowTable\(2, 2\): expected a table holding entries 2 .. \(length 2\), got a "
                                         r"table of 3 entries"):
        nn.NarrowTable(2, 2).forward([r(2), r(2), r(2)])
    with pytest.raises(ValueError, match=r"JoinTable\(1\): expected input\[1\] matching input\[0\]'s size \(2, 3\) "
                                         r"outside dimension 1, got \(3, 3\)"):
        nn.JoinTable(1).forward([r(2, 3), r(3, 3)])
    with pytest.raises(ValueError, match=r"SplitTable\(1\): expected a gradOutput table of 3 entries, got 2"):
        m = nn.SplitTable(1)
        m.forward(r(2, 3))
        m.backward(r(2, 3), [r(2), r(2)])
    with pytest.raises(ValueError, match=r"ZipTable: expected an input\[1\] table of 2 entries, got 1"):
        nn.ZipTable().forward([[r(1), r(1)], [r(1)]])
    with pytest.raises(ValueError, match=r"SelectTable\(0\): expected gradOutput shaped like input\[0\]"):
        m = nn.SelectTable(0)
        m.forward([r(2), r(3)])
        m.backward([r(2), r(3)], r(3))
    with pytest.raises(ValueError, match=r"Sequential\[1\] JoinTable\(5\): expected an input with dimension 5"):
        nn.Sequential().add(nn.SplitTable(0)).add(nn.JoinTable(5)).forward(r(2, 3))


def test_split_table_of_a_vector_gives_numbers_and_refuses_their_gradient():
    """SplitTable.lua selects each piece, and a vector's select is a number in Torch7 (as x[i]): the output is
    a table of numbers, and a backward through it fails there (no tensor slots): here with an error naming the
    module."""
    m = nn.SplitTable(0)
    out = m.forward(lg.DoubleTensor([1.5, -2.0, 3.0]))
    assert out == [1.5, -2.0, 3.0] and all(type(v) is float for v in out)
    with pytest.raises(TypeError, match=r'SplitTable\(0\): expected a table \(list\) gradOutput'):
        m.backward(lg.DoubleTensor([1.5, -2.0, 3.0]), [1.0, 1.0, 1.0])


def test_jointable_entry_shaped_otherwise_fills_its_slice_in_order():
    """JoinTable.lua:38-39 copies each entry into a narrow of the output and Torch7's copy compares element counts
    only, so reedscot/icml2016's generator joins a B x nz x 1 x 1 noise with a B x nt text code into
    B x (nz + nt) x 1 x 1; the gradient goes back in each entry's own shape (JoinTable.lua:52, 65). An entry whose
    element count differs from its slice's is still refused."""
    z, t = r(2, 3, 1, 1), r(2, 4)
    m = nn.JoinTable(1).double()
    z, t = lg.DoubleTensor(z), lg.DoubleTensor(t)
    out = m.forward([z, t])
    assert out.size() == (2, 7, 1, 1)
    np.testing.assert_array_equal(out.numpy()[:, :, 0, 0], np.concatenate([z.numpy()[:, :, 0, 0], t.numpy()], 1))
    g = r(2, 7, 1, 1)
    gz, gt = m.backward([z, t], lg.DoubleTensor(g))
    assert gz.size() == (2, 3, 1, 1) and gt.size() == (2, 4)
    np.testing.assert_array_equal(gz.numpy(), g[:, :3])
    np.testing.assert_array_equal(gt.numpy(), g[:, 3:, 0, 0])
    with pytest.raises(ValueError, match=r"JoinTable\(1\): expected input\[1\] matching input\[0\]'s size"):
        nn.JoinTable(1).double().forward([z, lg.DoubleTensor(r(2, 4, 2))])
