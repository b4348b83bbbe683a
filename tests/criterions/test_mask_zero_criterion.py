"""MaskZeroCriterion (Element-Research rnn's MaskZeroCriterion.lua; port of test/test.lua's MaskZeroCriterion)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.criterions.criterion_checks import (as_double, assert_criterion_gpu, assert_criterion_gradient,
                                               assert_criterion_type_roundtrip)

rng = np.random.default_rng(0)
T = lg.from_numpy


def padded(rows=5, width=4, zero=(1, 3)):
    x = rng.normal(size=(rows, width))
    x[list(zero)] = 0
    return x


def log_probs(x):
    """Log-softmax rows, keeping zero rows zero (what a masked network hands the criterion)."""
    out = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    out[np.abs(x).sum(axis=1) == 0] = 0
    return out


def numeric_gradient(crit, x, target, skip_rows, eps=1e-6):
    """Central differences of the loss over every element outside ``skip_rows`` (perturbing a padding row
    would unmask it)."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        if idx[0] in skip_rows:
            continue
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (crit.forward(up, target) - crit.forward(down, target)) / (2 * eps)
    return grad


@pytest.mark.parametrize('size_average', [True, False])
def test_matches_numpy_reference(size_average):
    """MaskZeroCriterion.lua: the criterion sees the unmasked rows only (its average is over them); gradInput
    is the criterion's on those rows and zero on the masked ones."""
    x = log_probs(padded())
    t = np.array([0, 2, 1, 3, 2])
    crit = nn.MaskZeroCriterion(nn.ClassNLLCriterion(None, size_average), 1).double()
    keep = [0, 2, 4]
    want = -x[keep, t[keep]].sum() / (len(keep) if size_average else 1)
    assert crit.forward(x, t) == pytest.approx(want, rel=1e-14)
    gi = np.zeros_like(x)
    gi[keep, t[keep]] = -1.0 / (len(keep) if size_average else 1)
    np.testing.assert_array_equal(crit.backward(x, t).numpy(), gi)


def test_gradient_against_finite_differences():
    x, t = padded(), rng.normal(size=(5, 4))
    crit = nn.MaskZeroCriterion(nn.MSECriterion(), 1).double()
    crit.forward(x, t)
    exact = crit.backward(x, t).numpy().copy()
    np.testing.assert_allclose(exact, numeric_gradient(crit, x, t, {1, 3}), atol=1e-8)
    assert not exact[[1, 3]].any()
    # unpadded, through the shared check (test.lua's criterions are checked this way)
    assert_criterion_gradient(nn.MaskZeroCriterion(nn.MSECriterion(), 1), T(rng.normal(size=(3, 4))),
                              T(rng.normal(size=(3, 4))))


def test_type_roundtrip():
    assert_criterion_type_roundtrip(nn.MaskZeroCriterion(nn.MSECriterion(), 1), T(padded()), T(rng.normal(size=(5, 4))))


@pytest.mark.gpu
def test_gpu():
    assert_criterion_gpu(nn.MaskZeroCriterion(nn.MSECriterion(), 1), T(padded()), T(rng.normal(size=(5, 4))))
    assert_criterion_gpu(nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1), T(log_probs(padded())),
                         lg.LongTensor([0, 2, 1, 3, 2]))


def test_lua_mask_zero_criterion():
    """test.lua rnntest.MaskZeroCriterion: nothing to mask equals the criterion; the last row masked equals
    the criterion on the others (gradient zero there); float(); every row masked gives 0 and zero gradients
    (issue 128); a table input (CosineEmbeddingCriterion) masked on its first tensor's rows."""
    batch, n_class = 3, 10
    x = lg.randn(batch, n_class).double()
    t = lg.LongTensor(batch).random(0, n_class)
    nll = nn.ClassNLLCriterion().double()
    mznll = nn.MaskZeroCriterion(nll, 1).double()
    err = mznll.forward(x, t)
    gi = mznll.backward(x, t).clone()
    assert abs(err - nll.forward(x, t)) < 1e-7
    assert (gi - nll.backward(x, t)).abs().max() < 1e-7
    x[batch - 1].zero()
    t[batch - 1] = -1   # test.lua's padding label 0, shifted down with the others
    err = mznll.forward(x, t)
    gi = mznll.backward(x, t).clone()
    x2, t2 = x.narrow(0, 0, batch - 1), t.narrow(0, 0, batch - 1)
    assert gi[batch - 1].sum() == 0
    assert abs(err - nll.forward(x2, t2)) < 1e-7
    assert (gi.narrow(0, 0, batch - 1) - nll.backward(x2, t2)).abs().max() < 1e-7
    mznll.float()
    err3 = mznll.forward(x.float(), t)
    gi3 = mznll.backward(x.float(), t).clone()
    assert abs(err3 - err) < 1e-6 and (gi3 - gi.float()).abs().max() < 1e-7
    crit = nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1)
    assert crit.forward(lg.zeros(3, 2), lg.Tensor([0, 1, 0])) == 0
    assert crit.backward(lg.zeros(3, 2), lg.Tensor([0, 1, 0])).sum() == 0
    table = [lg.randn(batch, 5), lg.randn(batch, 5)]
    table[0][1].zero()
    crit = nn.MaskZeroCriterion(nn.CosineEmbeddingCriterion(), 1)
    crit.forward(table, lg.Tensor(batch).fill(1))
    gi = crit.backward(table, lg.Tensor(batch).fill(1))
    assert gi[0][1].sum() + gi[1][1].sum() == 0 and gi[0][0].abs().sum() > 0


def test_table_input_reference():
    """The table input's every tensor loses the masked rows: the loss is the criterion's on the kept rows."""
    a, b = padded(4, 5, (2,)), rng.normal(size=(4, 5))
    y = np.array([1, -1, 1, -1.0])
    crit = nn.MaskZeroCriterion(nn.CosineEmbeddingCriterion(), 1).double()
    keep = [0, 1, 3]
    plain = nn.CosineEmbeddingCriterion().double()
    assert crit.forward([a, b], y) == pytest.approx(plain.forward([a[keep], b[keep]], y[keep]), rel=1e-14)


def test_errors():
    with pytest.raises(TypeError, match='MaskZeroCriterion: expected a criterion, got Linear'):
        nn.MaskZeroCriterion(nn.Linear(2, 2), 1)
    with pytest.raises(ValueError, match='MaskZeroCriterion: nInputDim must be a non-negative integer'):
        nn.MaskZeroCriterion(nn.MSECriterion(), -1)
    crit = nn.MaskZeroCriterion(nn.MSECriterion(), 1).double()
    with pytest.raises(ValueError, match=r'MaskZeroCriterion\(MSECriterion\): expected a batch: a first input '
                                         r'tensor of 2 dimensions .*single samples are not supported\), got 1-D'):
        crit.forward(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"expected target with the input's batch of 3 as its first dimension, "
                                         r"got size \(2, 4\)"):
        crit.forward(np.ones((3, 4)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"expected target with the input's batch of 3"):
        nn.MaskZeroCriterion(nn.MSECriterion(), 1).backward(np.ones((3, 4)), np.ones((4, 4)))
    # the inner criterion's own errors carry both names
    with pytest.raises(ValueError, match=r'MaskZeroCriterion.*MSECriterion'):
        crit.forward(np.ones((3, 4)), np.ones((3, 5)))


def test_clear_state_and_inner_type():
    crit = nn.MaskZeroCriterion(nn.MSECriterion(), 1)
    x = as_double(T(padded()))
    crit.double().forward(x, x)
    crit.backward(x, x)
    assert crit.criterion.type() == 'legonn.DoubleTensor'
    assert crit.clearState() is crit and crit.gradInput.nElement() == 0


def test_n_input_dim_zero():
    """nInputDim 0 (rnn's NCE examples: MaskZeroCriterion(NCECriterion(), 0)): one number per sample in the
    first input tensor, 0 for padding."""
    crit = nn.MaskZeroCriterion(nn.MSECriterion(), 0).double()
    x, t = np.array([0.0, 2.0, 0.0, 1.0]), np.array([5.0, 1.0, 5.0, 3.0])
    assert crit.forward(x, t) == pytest.approx(((2 - 1) ** 2 + (1 - 3) ** 2) / 2, rel=1e-15)
    np.testing.assert_allclose(crit.backward(x, t).numpy(), [0, 1, 0, -2], rtol=1e-15)


def test_torch_rnn_zero_mask():
    """torch/rnn's MaskZeroCriterion(criterion) (its v2): the rows setZeroMask marks are left out, whatever the
    input holds there; False masks nothing; every row masked is isEmptyBatch, loss 0."""
    x = log_probs(rng.normal(size=(5, 4)))
    t = np.array([0, 2, 1, 3, 2])
    crit = nn.MaskZeroCriterion(nn.ClassNLLCriterion()).double()
    assert crit.v2
    crit.setZeroMask(lg.ByteTensor([0, 1, 0, 1, 0]))
    keep = [0, 2, 4]
    assert crit.forward(x, t) == pytest.approx(-x[keep, t[keep]].mean(), rel=1e-14)
    gi = np.zeros_like(x)
    gi[keep, t[keep]] = -1.0 / 3
    np.testing.assert_array_equal(crit.backward(x, t).numpy(), gi)
    crit.setZeroMask(False)
    assert crit.forward(x, t) == pytest.approx(-x[range(5), t].mean(), rel=1e-14)
    crit.setZeroMask(lg.ByteTensor(5).fill(1))
    assert crit.forward(x, t) == 0 and crit.isEmptyBatch
    assert not crit.backward(x, t).numpy().any()


def test_torch_rnn_clear_state_forgets_the_zero_mask():
    """MaskZeroCriterion.lua's clearState sets zeroMask to nil: a v2 forward after it asks for a new mask."""
    x, t = log_probs(rng.normal(size=(3, 4))), np.array([0, 2, 1])
    crit = nn.MaskZeroCriterion(nn.ClassNLLCriterion()).double()
    crit.setZeroMask(lg.ByteTensor([0, 1, 0]))
    crit.forward(x, t)
    assert crit.clearState() is crit and crit.zeroMask is None
    with pytest.raises(ValueError, match=r'MaskZeroCriterion\(ClassNLLCriterion\): expected a zeroMask tensor or '
                                         r'false \(setZeroMask\) before forward'):
        crit.forward(x, t)
    crit.setZeroMask(False)
    assert crit.forward(x, t) == pytest.approx(-x[range(3), t].mean(), rel=1e-14)


def test_torch_rnn_v1_masks_rows_of_any_dimensions():
    """torch/rnn's ``v2 = False``: the zero rows of dimension 0 of the first tensor, 3-D here; an Element-
    Research criterion set ``v2 = True`` takes the mask instead of its rows."""
    x = rng.normal(size=(3, 2, 2))
    x[1] = 0
    t = rng.normal(size=(3, 2, 2))
    crit = nn.MaskZeroCriterion(nn.MSECriterion()).double()
    crit.v2 = False
    assert crit.forward(x, t) == pytest.approx(((x[[0, 2]] - t[[0, 2]]) ** 2).mean(), rel=1e-14)
    er = nn.MaskZeroCriterion(nn.MSECriterion(), 2).double()
    er.v2 = True
    er.setZeroMask(lg.ByteTensor([1, 0, 0]))
    assert er.forward(x, t) == pytest.approx(((x[[1, 2]] - t[[1, 2]]) ** 2).mean(), rel=1e-14)


def test_torch_rnn_zero_mask_errors():
    crit = nn.MaskZeroCriterion(nn.MSECriterion()).double()
    with pytest.raises(ValueError, match=r'MaskZeroCriterion\(MSECriterion\): expected a zeroMask tensor or false '
                                         r'\(setZeroMask\) before forward.*got none'):
        crit.forward(np.ones((3, 4)), np.ones((3, 4)))
    with pytest.raises(TypeError, match=r'MaskZeroCriterion\(MSECriterion\): expected a ByteTensor zeroMask'):
        crit.setZeroMask(lg.Tensor(3))
    crit.setZeroMask(lg.ByteTensor(2).zero())
    with pytest.raises(ValueError, match=r'expected a zeroMask of 3 elements.*got size \(2,\)'):
        crit.forward(np.ones((3, 4)), np.ones((3, 4)))


@pytest.mark.gpu
def test_torch_rnn_zero_mask_gpu():
    crit = nn.MaskZeroCriterion(nn.MSECriterion())
    crit.setZeroMask(lg.ByteTensor([0, 1, 0, 0, 1]))
    assert_criterion_gpu(crit, T(rng.normal(size=(5, 4))), T(rng.normal(size=(5, 4))))


def test_torch_rnn_sequencer_criterion_hands_each_step_its_mask_row():
    """torch/rnn's AbstractSequencerCriterion.setZeroMask: step t's MaskZeroCriterion masks row t of the
    ``seqlen x batch`` mask, in forward and backward; Criterion.setZeroMask reaches a decorated criterion."""
    x = rng.normal(size=(3, 4, 2))
    t = rng.normal(size=(3, 4, 2))
    mask = np.array([[0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1]], dtype=np.uint8)
    sc = nn.SequencerCriterion(nn.MaskZeroCriterion(nn.MSECriterion())).double()
    sc.setZeroMask(lg.from_numpy(mask))
    keep = [np.flatnonzero(row == 0) for row in mask]
    want = sum(((x[s, k] - t[s, k]) ** 2).mean() for s, k in enumerate(keep))
    assert sc.forward(x, t) == pytest.approx(want, rel=1e-14)
    gi = sc.backward(x, t).numpy()
    for s, k in enumerate(keep):
        expected = np.zeros((4, 2))
        expected[k] = 2 * (x[s, k] - t[s, k]) / x[s, k].size
        np.testing.assert_allclose(gi[s], expected, rtol=1e-14)
    sc.setZeroMask(False)
    assert sc.forward(x, t) == pytest.approx(sum(((x[s] - t[s]) ** 2).mean() for s in range(3)), rel=1e-14)
    with pytest.raises(ValueError, match=r"SequencerCriterion.*expected a zeroMask of 2 or more dimensions "
                                         r"\(seqlen x batchsize\), or false, got 1-D"):
        sc.setZeroMask(lg.ByteTensor(4))
    sc.setZeroMask(lg.ByteTensor(2, 4).zero())
    with pytest.raises(ValueError, match=r"expected a zeroMask of 3 steps \(the input's\), got size \(2, 4\)"):
        sc.forward(x, t)
    # a decorator of a criterion hands the mask on (torch/rnn's Criterion.lua); other criteria ignore it
    inner = nn.MaskZeroCriterion(nn.MSECriterion())
    nn.ParallelCriterion().add(inner).setZeroMask(False)
    assert inner.zeroMask is False
    nn.MSECriterion().setZeroMask(False)
