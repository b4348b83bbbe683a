"""Torch7 idioms that would silently give other numbers in a literal port: each now behaves as in
Torch7 or fails loudly (docs/porting.md, "Indices")."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules.spatial_convolution_map import tables


def _log_softmax(x):
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_crossentropy_keeps_nll_size_average_set_directly():
    """torch/nn CrossEntropyCriterion.lua copies sizeAverage into ``nll`` only when it changed, "to preserve
    old behavior of setting nll.sizeAverage directly" (doc/criterion.md sets ``crit.nll.sizeAverage = false``)."""
    x = np.random.RandomState(0).randn(4, 3)
    t = np.array([0, 2, 1, 1])
    summed = -_log_softmax(x)[np.arange(4), t].sum()
    crit = nn.CrossEntropyCriterion().double()
    crit.nll.sizeAverage = False
    assert crit.forward(x, t) == pytest.approx(summed, rel=1e-12)
    assert crit.forward(x, t) == pytest.approx(summed, rel=1e-12)      # a second call keeps it
    np.testing.assert_allclose(crit.backward(x, t).numpy().sum(axis=1), 0, atol=1e-12)
    grad_sum = crit.backward(x, t).numpy().copy()
    crit.sizeAverage = False          # the criterion's own flag reaches nll when it changes between calls
    assert crit.forward(x, t) == pytest.approx(summed, rel=1e-12)
    crit.sizeAverage = True
    assert crit.forward(x, t) == pytest.approx(summed / 4, rel=1e-12)
    np.testing.assert_allclose(crit.backward(x, t).numpy(), grad_sum / 4, rtol=1e-12)


def test_lookup_table_refuses_torch7_padding_zero():
    """torch/nn LookupTable.lua: ``paddingValue or 0``, and 0 is no index of its 1-based rows ("no
    padding"). In legonn 0 is the first row, so the constructor refuses it instead of freezing row 0."""
    with pytest.raises(ValueError, match=r"LookupTable: paddingValue 0 is Torch7's 'no padding'.*None"):
        nn.LookupTable(5, 2, 0)
    with pytest.raises(ValueError,
                       match=r"paddingValue must be None \(no padding\) or a 0-based row index in \[0, 5\)"):
        nn.LookupTable(5, 2, -1)
    free = nn.LookupTable(5, 2, None).double()
    assert free.paddingValue is None


@pytest.mark.parametrize('pad', [0, 3])
def test_lookup_table_padding_row_gets_no_gradient(pad):
    """torch/nn LookupTable.lua: rows whose index is paddingValue get no gradient (0-based here; row 0
    through setPadding, the explicit spelling)."""
    lt = nn.LookupTable(5, 2).double()
    if pad == 0:
        lt.setPadding(0)
    else:
        lt = nn.LookupTable(5, 2, pad).double()
    idx = lg.LongTensor([pad, 1, pad, 4])
    lt.zeroGradParameters()
    lt.forward(idx)
    lt.backward(idx, lg.ones(4, 2).double())
    g = lt.gradWeight.numpy()
    expected = np.zeros((5, 2))
    for i in (1, 4):
        expected[i] = 1
    np.testing.assert_array_equal(g, expected)


def test_classnll_ignore_index():
    """torch/nn ClassNLLCriterion.lua ``(weights, sizeAverage, ignoreIndex)``: rows labelled ignoreIndex add
    nothing to the loss, the gradient or the total weight (THNN ClassNLLCriterion.c)."""
    x = _log_softmax(np.random.RandomState(1).randn(5, 3))
    t = np.array([0, -1, 2, -1, 1])
    w = np.array([1.0, 2.0, 0.5])
    crit = nn.ClassNLLCriterion(lg.DoubleTensor(w), None, -1).double()
    keep = t != -1
    picked = x[keep][np.arange(3), t[keep]] * w[t[keep]]
    assert crit.forward(x, t) == pytest.approx(-picked.sum() / w[t[keep]].sum(), rel=1e-12)
    g = crit.backward(x, t).numpy()
    assert not g[~keep].any()
    assert g[keep][np.arange(3), t[keep]] == pytest.approx(-w[t[keep]] / w[t[keep]].sum(), rel=1e-12)
    assert crit.sizeAverage is True


def test_classnll_ignore_index_does_not_hide_a_bad_label():
    """The ignored rows are masked out before the range check only when the labels' range holds
    ignoreIndex: a label out of range still fails, with or without ignored rows, and all-ignored is fine."""
    x = _log_softmax(np.random.RandomState(3).randn(3, 3))
    crit = nn.ClassNLLCriterion(None, True, -1).double()
    with pytest.raises(IndexError, match=r'expected labels in \[0, 3\) \(0-based\), got labels in \[0, 5\]'):
        crit.forward(x, [0, -1, 5])
    with pytest.raises(IndexError, match=r'got labels in \[-2, 1\]'):
        crit.forward(x, [-2, -1, 1])
    assert crit.forward(x, [-1, -1, -1]) == 0
    assert not crit.backward(x, [-1, -1, -1]).numpy().any()


def test_classnll_refuses_torch7_ignore_zero():
    """Torch7 code passes ignoreIndex 0 for padding labels (outside its 1-based classes); legonn's class 0
    is real, so the constructor refuses it, and setting the field afterwards really ignores class 0."""
    with pytest.raises(ValueError, match='ClassNLLCriterion: ignoreIndex 0 is a Torch7 padding label'):
        nn.ClassNLLCriterion(None, True, 0)
    crit = nn.ClassNLLCriterion().double()
    crit.ignoreIndex = 0
    x = _log_softmax(np.random.RandomState(2).randn(3, 3))
    assert crit.forward(x, [0, 1, 2]) == pytest.approx(-(x[1, 1] + x[2, 2]) / 2, rel=1e-12)


def test_multilabel_margin_refuses_torch7_zero_padding():
    """torch/nn MultiLabelMarginCriterion (doc/criterion.md): targets end at the first 0. legonn ends them
    at -1; Torch7's 0 padding ported literally repeats class 0 and is refused."""
    crit = nn.MultiLabelMarginCriterion().double()
    x = np.random.RandomState(3).randn(4)
    with pytest.raises(ValueError, match=r"MultiLabelMarginCriterion: expected each target class once, then -1"):
        crit.forward(x, lg.LongTensor([3, 0, 0, 0]))
    assert crit.forward(x, lg.LongTensor([3, 0, -1, -1])) > 0


def test_connection_table_must_be_zero_based():
    """torch/nn SpatialConvolutionMap.lua's nn.tables are 1-based; a literal 1-based table would leave
    legonn's output plane 0 without input, so it is refused."""
    one_based = tables.full(2, 3).clone().add(1)
    with pytest.raises(ValueError, match='SpatialConvolutionMap: connTable connects no input to output plane 0'):
        nn.SpatialConvolutionMap(one_based, 2, 2)
    assert nn.SpatialConvolutionMap(tables.full(2, 3), 2, 2).nOutputPlane == 3


@pytest.mark.parametrize('build, table', [
    (lambda: nn.SelectTable(2), [lg.randn(2), lg.randn(2)]),
    (lambda: nn.NarrowTable(2, 1), [lg.randn(2), lg.randn(2)]),
    (lambda: nn.JoinTable(2), [lg.randn(2, 3), lg.randn(2, 3)]),
    (lambda: nn.SplitTable(2), lg.randn(2, 3)),
])
def test_one_based_index_past_the_end_fails_loudly(build, table):
    """torch/nn SelectTable.lua, NarrowTable.lua, JoinTable.lua, SplitTable.lua: the 1-based index of the
    last entry or dimension, ported literally, is past the end in legonn and raises (not a wrap-around)."""
    with pytest.raises((IndexError, ValueError), match='expected'):
        build().forward(table)
