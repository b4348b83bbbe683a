"""nnx's criterions (clementfarabet/lua---nnx): CTCCriterion, SuperCriterion, DistNLLCriterion,
DistMarginCriterion."""
import itertools

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import numeric_gradient


# --- CTCCriterion -------------------------------------------------------------------------------------------
def _ctc_brute_force(acts, labels):
    """-log of the sum, over every path of classes (T, C)^T whose collapse (repeats merged, blanks 0 dropped)
    is ``labels``, of the product of the softmax probabilities: the definition warp-ctc's recursions compute."""
    probs = np.exp(acts - acts.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(acts.shape[1]), repeat=acts.shape[0]):
        collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or path[i - 1] != c)]
        if collapsed == list(labels):
            p = 1.0
            for t, c in enumerate(path):
                p *= probs[t, c]
            total += p
    return -np.log(total)


def test_ctc_matches_nnx_test_all():
    """nnx test/test-all.lua's CTCCriterion cases (warp-ctc's values) with the labels unchanged (warp-ctc's
    labels are column indices, 0 the blank): smallTest, mediumTest, mediumNegativeTest, batchTest (the mean of
    the costs), batchFirstTest and gradCheckTest (the batch-first gradient is the time-major one transposed)."""
    c = nn.CTCCriterion()
    assert c.forward(lg.DoubleTensor([[[0, 0, 0, 0, 0]]]), [[1]], lg.Tensor([1])) == pytest.approx(1.6094379425049)
    medium = lg.DoubleTensor([[[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15]]])
    assert c.forward(medium, [[3, 3]], lg.Tensor([3])) == pytest.approx(7.355742931366, rel=1e-7)
    negative = lg.DoubleTensor([[[-5, -4, -3, -2, -1], [-10, -9, -8, -7, -6], [-15, -14, -13, -12, -11]]])
    negative = negative.transpose(0, 1).contiguous()
    assert c.forward(negative, [[2, 3]], lg.Tensor([3])) == pytest.approx(4.9388499259949, rel=1e-7)
    batch_first = lg.cat([lg.DoubleTensor(1, 3, 5).zero(), medium, negative.transpose(0, 1)], 0)
    acts = batch_first.transpose(0, 1).contiguous()
    targets, sizes = [[1], [3, 3], [2, 3]], lg.Tensor([1, 3, 3])
    assert c.forward(acts, targets, sizes) == pytest.approx(13.904030799866 / 3, rel=1e-7)
    assert c.output == pytest.approx(13.904030799866, rel=1e-7)   # the Lua file keeps the sum
    grad = c.backward(acts, targets, sizes).clone()
    c = nn.CTCCriterion(True)
    assert c.forward(batch_first, targets, sizes) == pytest.approx(13.904030799866 / 3, rel=1e-7)
    np.testing.assert_allclose(c.backward(acts, targets, sizes).transpose(0, 1).numpy(), grad.numpy(), atol=1e-12)


@pytest.mark.parametrize('labels,frames,classes', [([1], 1, 3), ([1, 2], 3, 3), ([2, 2], 3, 3), ([1, 1], 4, 3),
                                                   ([], 3, 3), ([2, 1, 3], 4, 4), ([3], 5, 4)])
def test_ctc_cost_is_the_sum_over_alignments(labels, frames, classes):
    """warp-ctc cpu_ctc.h compute_alphas: the cost is -log of the sum over every alignment (checked against the
    brute-force sum over all classes^frames paths), for repeats, an empty label sequence and one label."""
    acts = np.random.RandomState(len(labels) + frames).randn(frames, 1, classes)
    loss = nn.CTCCriterion().forward(lg.DoubleTensor(acts), [labels])
    np.testing.assert_allclose(loss, _ctc_brute_force(acts[:, 0], labels), rtol=1e-12)


def test_ctc_gradient_is_the_derivative_of_the_summed_costs():
    """warp-ctc compute_betas_and_grad: gradInput = d (sum of costs) / d activations (not of forward's mean, as
    the Lua file returns), zero past each sequence's size; a sequence too short for its labels and repeats
    costs 0 with no gradient (cpu_ctc.h cost_and_grad_kernel)."""
    rs = np.random.RandomState(1)
    acts = rs.randn(4, 3, 4)
    targets, sizes = [[1, 2], [3, 3], [1, 1, 1]], [4, 3, 4]   # the third needs 3 + 2 repeats = 5 frames
    c = nn.CTCCriterion()
    x = lg.DoubleTensor(acts)
    costs = [_ctc_brute_force(acts[:4, 0], [1, 2]), _ctc_brute_force(acts[:3, 1], [3, 3]), 0.0]
    np.testing.assert_allclose(c.forward(x, targets, sizes), sum(costs) / 3, rtol=1e-12)
    grad = c.backward(x, targets, sizes).numpy()
    numeric = numeric_gradient(lambda: 3 * c.forward(x, targets, sizes), x.numpy())
    np.testing.assert_allclose(grad, numeric, atol=1e-7)
    assert not grad[3, 1].any() and not grad[:, 2].any()


def test_ctc_two_dimensional_rows_are_interleaved_sequences():
    """CTCCriterion.lua views the activations as (seqLength * batch, classes) and warp-ctc reads len(sizes)
    sequences from them, row t * batch + b; backward returns the 2-D gradient as it is."""
    acts = np.random.RandomState(2).randn(3, 2, 4)
    c3, c2 = nn.CTCCriterion(), nn.CTCCriterion()
    loss3 = c3.forward(lg.DoubleTensor(acts), [[1], [2, 3]], [3, 2])
    loss2 = c2.forward(lg.DoubleTensor(acts.reshape(6, 4)), [[1], [2, 3]], [3, 2])
    assert loss2 == loss3
    np.testing.assert_array_equal(c2.backward(lg.DoubleTensor(acts.reshape(6, 4)), None).numpy(),
                                  c3.backward(lg.DoubleTensor(acts), None).numpy().reshape(6, 4))


def test_ctc_float_and_jacobian():
    """The float32 criterion agrees with float64 and returns a FloatTensor gradient; for a batch of one the mean
    is the sum, so nn.Jacobian.testCriterion checks the gradient against forward."""
    x = lg.DoubleTensor(np.random.RandomState(3).randn(5, 1, 4))
    c = nn.CTCCriterion()
    assert nn.Jacobian.testCriterion(c, x, [[1, 3, 1]]) < 1e-7
    loss64 = c.forward(x, [[1, 3, 1]])
    c.float()
    assert c.forward(x.float(), [[1, 3, 1]]) == pytest.approx(loss64, rel=1e-5)
    assert c.backward(x.float(), [[1, 3, 1]]).type() == 'legonn.FloatTensor'


@pytest.mark.gpu
def test_ctc_gpu_matches_cpu():
    """The cuda() criterion computes what the CPU one does (same recursions on CuPy)."""
    x = lg.DoubleTensor(np.random.RandomState(4).randn(4, 2, 5))
    c = nn.CTCCriterion()
    g = c.clone().cuda()
    assert g.forward(x.cuda(), [[1, 2], [4]], [4, 3]) == pytest.approx(c.forward(x, [[1, 2], [4]], [4, 3]),
                                                                        rel=1e-12)
    np.testing.assert_allclose(g.backward(x.cuda(), None).double().numpy(), c.backward(x, None).numpy(), atol=1e-12)


@pytest.mark.parametrize('call,match', [
    (lambda c: c.forward(lg.DoubleTensor(3, 2, 4).zero(), [[1]], [3, 3]), 'expected a table of 2 label'),
    (lambda c: c.forward(lg.DoubleTensor(3, 2, 4).zero(), [[1], [4]], [3, 3]), r'expected labels in \[1, 3\]'),
    (lambda c: c.forward(lg.DoubleTensor(3, 2, 4).zero(), [[1], [0]], [3, 3]), r'expected labels in \[1, 3\]'),
    (lambda c: c.forward(lg.DoubleTensor(3, 2, 4).zero(), [[1], [2]], [3, 4]), r'expected sequence sizes in \[1, 3\]'),
    (lambda c: c.forward(lg.DoubleTensor(3, 2, 4).zero(), [[1], [2], [3]], [2, 2, 2, 2]), 'split the 6 frames'),
    (lambda c: c.forward(lg.DoubleTensor(4).zero(), [[1]], [4]), 'expected a 2-D or 3-D input'),
    (lambda c: c.backward(lg.DoubleTensor(3, 2, 4).zero(), [[1], [2], [3]]), 'expected a table of 2 label'),
])
def test_ctc_bad_input_names_the_criterion(call, match):
    """Bad labels, sizes and shapes fail with an error naming CTCCriterion (the Lua file only asserts sizes)."""
    with pytest.raises((ValueError, TypeError, IndexError), match=match) as err:
        call(nn.CTCCriterion())
    assert 'CTCCriterion' in str(err.value)
