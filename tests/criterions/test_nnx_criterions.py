"""nnx's criterions (clementfarabet/lua---nnx): CTCCriterion, SuperCriterion, DistNLLCriterion,
DistMarginCriterion."""
import itertools

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import numeric_gradient
from tests.criterions.criterion_checks import assert_criterion_gpu, assert_criterion_type_roundtrip


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


def _log_plus(p1, p2):
    """warp-ctc ctc_helper.h's log_plus: log(exp(p1) + exp(p2)), -inf the identity."""
    if p1 == -np.inf or p2 == -np.inf:
        return p2 if p1 == -np.inf else p1
    return np.log1p(np.exp(-abs(p1 - p2))) + max(p1, p2)


def _warp_ctc(acts, labels, zero_means_unset=True):
    """warp-ctc include/detail/cpu_ctc.h for one sequence (T, classes), loop for loop in float64: softmax (floored
    at FLT_MIN), setup_labels' s_inc/e_inc windows, compute_alphas and compute_betas_and_grad; (cost,
    gradient). ``zero_means_unset``: its grad loops (lines 310 and 360) take a label's summed log occupancy of
    exactly 0.0 as if unset and give ``probs`` there."""
    T, A = acts.shape
    probs = np.exp(acts - acts.max(axis=1, keepdims=True))
    probs = np.maximum(probs / probs.sum(axis=1, keepdims=True), np.finfo(np.float32).tiny)
    L = len(labels)
    S = 2 * L + 1
    s_inc, e_inc, repeats = [1], [], 0
    for i in range(1, L):
        if labels[i - 1] == labels[i]:
            s_inc, e_inc, repeats = s_inc + [1, 1], e_inc + [1, 1], repeats + 1
        else:
            s_inc, e_inc = s_inc + [2], e_inc + [2]
    e_inc.append(1)
    s_inc, e_inc = s_inc + [0] * (S - len(s_inc)), e_inc + [0] * (S - len(e_inc))
    lab = [0] * S
    lab[1::2] = labels
    grad = np.zeros((T, A))
    if L + repeats > T:
        return 0.0, grad
    alphas = np.full((T, S), -np.inf)
    start, end = (0 if S // 2 + repeats - T < 0 else 1), (2 if S > 1 else 1)
    for i in range(start, end):
        alphas[0, i] = np.log(probs[0, lab[i]])
    for t in range(1, T):
        remain = S // 2 + repeats - (T - t)
        start += s_inc[remain] if remain >= 0 else 0
        end += e_inc[t - 1] if t <= S // 2 + repeats else 0
        first = start
        if start == 0:
            alphas[t, 0] = alphas[t - 1, 0] + np.log(probs[t, 0])
            first = 1
        for i in range(first, end):
            total = _log_plus(alphas[t - 1, i], alphas[t - 1, i - 1])
            if lab[i] != 0 and i != 1 and lab[i] != lab[i - 2]:
                total = _log_plus(total, alphas[t - 1, i - 2])
            alphas[t, i] = total + np.log(probs[t, lab[i]])
    loglike = -np.inf
    for i in range(start, end):
        loglike = _log_plus(loglike, alphas[T - 1, i])
    betas = np.full(S, -np.inf)

    def gradient(t, output):
        for c in range(A):
            if (zero_means_unset and output[c] == 0.0) or output[c] == -np.inf:
                grad[t, c] = probs[t, c]
            else:
                grad[t, c] = probs[t, c] - np.exp(output[c] - np.log(probs[t, c]) - loglike)

    start, end = (S - 2 if S > 1 else 0), (S if T > S // 2 + repeats else S - 1)
    output = np.full(A, -np.inf)
    for i in range(start, end):
        betas[i] = np.log(probs[T - 1, lab[i]])
        output[lab[i]] = _log_plus(alphas[T - 1, i] + betas[i], output[lab[i]])
    gradient(T - 1, output)
    for t in range(T - 2, -1, -1):
        remain = S // 2 + repeats - (T - t)
        start -= s_inc[remain + 1] if remain >= -1 else 0
        end -= e_inc[t] if t < S // 2 + repeats else 0
        output = np.full(A, -np.inf)
        for i in range(start, end - 1 if end == S else end):
            total = _log_plus(betas[i], betas[i + 1])
            if lab[i] != 0 and i != S - 2 and lab[i] != lab[i + 2]:
                total = _log_plus(total, betas[i + 2])
            betas[i] = total + np.log(probs[t, lab[i]])
            output[lab[i]] = _log_plus(alphas[t, i] + betas[i], output[lab[i]])
        if end == S:
            betas[S - 1] += np.log(probs[t, 0])
            output[0] = _log_plus(alphas[t, S - 1] + betas[S - 1], output[0])
        gradient(t, output)
    return -loglike, grad


def test_ctc_matches_warp_ctc_cpu_loops():
    """legonn's all-positions recursions and its one-hot einsum (each class's summed occupancy) against warp-ctc's
    windowed loops with their reduce-by-label, on 60 random small batches (repeats, empty label sequences,
    sequences of exactly L + repeats frames, infeasible ones, sizes shorter than the input): costs and
    gradients agree to 1e-12."""
    rs = np.random.RandomState(0)
    for _ in range(60):
        A, B, T = rs.randint(2, 6), rs.randint(1, 4), rs.randint(1, 7)
        acts = rs.randn(T, B, A) * rs.choice([1, 3, 10])
        labels = [rs.randint(1, A, size=rs.randint(0, 5)).tolist() for _ in range(B)]
        sizes = rs.randint(1, T + 1, size=B).tolist()
        c = nn.CTCCriterion()
        loss = c.forward(lg.DoubleTensor(acts), labels, sizes)
        grad = c.backward(lg.DoubleTensor(acts), None).numpy()
        expected = np.zeros_like(acts)
        costs = []
        for b in range(B):
            cost, expected[:sizes[b], b] = _warp_ctc(acts[:sizes[b], b], labels[b])
            costs.append(cost)
        np.testing.assert_allclose(loss * B, sum(costs), rtol=1e-12)
        np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-12)


def test_ctc_certain_label_gets_no_gradient_where_warp_ctc_gives_one():
    """warp-ctc's gradient loops test a label's summed log occupancy against 0.0 as if 0.0 meant 'unset' (cpu_ctc.h
    lines 310 and 360): where the label is certain (probability 1.0 after rounding, occupancy log 0), it gives
    d cost / d activation = probs = 1 at that class, pushing a correct, confident prediction down. legonn gives
    the derivative, probs - occupancy = 0 (docs/porting.md's CTCCriterion row)."""
    acts = np.array([[0.0, 40.0, 0.0]])   # one frame: label 1 with probability 1.0, the only alignment
    c = nn.CTCCriterion()
    assert c.forward(lg.DoubleTensor(acts[:, None]), [[1]]) == 0.0
    grad = c.backward(lg.DoubleTensor(acts[:, None]), None).numpy()[:, 0]
    warp = _warp_ctc(acts, [1])[1]
    assert warp[0, 1] == 1.0
    exact = _warp_ctc(acts, [1], zero_means_unset=False)[1]
    np.testing.assert_array_equal(grad, exact)
    assert np.abs(grad).max() < 1e-17


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
    g = c.clone().cudaDouble()
    assert g.forward(x.cudaDouble(), [[1, 2], [4]], [4, 3]) == pytest.approx(c.forward(x, [[1, 2], [4]], [4, 3]),
                                                                              rel=1e-12)
    np.testing.assert_allclose(g.backward(x.cudaDouble(), None).double().numpy(), c.backward(x, None).numpy(),
                               atol=1e-12)


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


# --- DistMarginCriterion ------------------------------------------------------------------------------------
def _dist_margin_loops(x, target, size_average=True):
    """nnx generic/DistMarginCriterion.c, loop for loop in float64 (targets 0-based, -1 ending a row's list):
    (loss, gradInput), with the entries the C leaves unwritten (other targets) set to 0."""
    x = np.atleast_2d(x).astype(np.float64)
    target = np.atleast_2d(target)
    rows, dim = x.shape
    total, grad = 0.0, np.zeros_like(x)
    g = 1.0 / dim if size_average else 1.0
    for r in range(rows):
        targets = []
        for m in range(dim):
            if target[r, m] == -1:
                break
            targets.append(int(target[r, m]))
        input_target, min_idx = np.inf, -1
        for idx in targets:
            if input_target > x[r, idx]:
                input_target, min_idx = x[r, idx], idx
        grad_target = 0.0
        for d in range(dim):
            if d in targets:
                continue
            z = 1 - input_target + x[r, d]
            if z > 0:
                total += z
                grad_target -= g
                grad[r, d] = g
        if min_idx >= 0:
            grad[r, min_idx] = grad_target
    return (total / dim if size_average else total), grad


@pytest.mark.parametrize('size_average', [True, False])
@pytest.mark.parametrize('rank', [1, 2])
def test_dist_margin_matches_the_c_loops(size_average, rank):
    """nnx generic/DistMarginCriterion.c: the hinge against each row's weakest target, summed over rows, over
    dim with sizeAverage; its gradient; a row without targets; a tie between targets (the first listed)."""
    rs = np.random.RandomState(5)
    x = np.round(rs.randn(4, 6), 1)
    x[3, 2] = x[3, 4]
    target = np.array([[1, 3, -1, -1, -1, -1], [-1] * 6, [5, 0, 2, -1, -1, -1], [4, 2, -1, -1, -1, -1]])
    if rank == 1:
        x, target = x[2], target[2]
    c = nn.DistMarginCriterion()
    c.sizeAverage = size_average
    loss, grad = _dist_margin_loops(x, target, size_average)
    xt, tt = lg.DoubleTensor(x), lg.LongTensor(target)
    assert c.forward(xt, tt) == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(c.backward(xt, tt).numpy(), grad.reshape(x.shape), rtol=1e-12)
    assert nn.Jacobian.testCriterion(c.double(), lg.DoubleTensor(rs.randn(*x.shape)), tt) < 1e-7



def test_dist_margin_repeated_targets_and_classes_after_the_end():
    """A class listed twice is one target; classes after a row's -1 are not targets (the C stops at the end
    marker): the targets are marked by a scatter of the listed slots only."""
    x = np.array([[0.3, -0.2, 0.5, 0.1, -0.4], [0.2, 0.6, -0.1, 0.0, 0.4]])
    target = np.array([[2, 0, 2, -1, 4], [1, -1, 3, 0, 4]])
    c = nn.DistMarginCriterion()
    loss, grad = _dist_margin_loops(x, target)
    xt, tt = lg.DoubleTensor(x), lg.LongTensor(target)
    assert c.forward(xt, tt) == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(c.backward(xt, tt).numpy(), grad, rtol=1e-12)

def test_dist_margin_rejects_bad_targets():
    """The C's THArgCheck on the target's size and range, as errors naming the criterion (0-based range)."""
    c = nn.DistMarginCriterion()
    with pytest.raises(IndexError, match=r'DistMarginCriterion: expected target classes in \[0, 3\)'):
        c.forward(lg.DoubleTensor(2, 3).zero(), lg.LongTensor([[3, -1, -1], [0, -1, -1]]))
    with pytest.raises(ValueError, match="DistMarginCriterion: expected a target of the input's size"):
        c.forward(lg.DoubleTensor(2, 3).zero(), lg.LongTensor([[0, -1], [0, -1]]))


# --- DistNLLCriterion ---------------------------------------------------------------------------------------
def _log_softmax(v):
    out = np.empty_like(v)
    for i, row in enumerate(np.atleast_2d(v)):
        m = max(row)
        s = sum(np.exp(a - m) for a in row)
        np.atleast_2d(out)[i] = [a - m - np.log(s) for a in row]
    return out


@pytest.mark.parametrize('opts', [{}, {'inputIsADistance': True}, {'inputIsProbability': True},
                                  {'inputIsLogProbability': True}, {'targetIsProbability': False},
                                  {'inputIsADistance': True, 'inputIsProbability': True}],
                         ids=['default', 'distance', 'probability', 'log-probability', 'target-scores',
                              'distance-probability'])
@pytest.mark.parametrize('rank', [1, 2])
def test_dist_nll_matches_the_lua(opts, rank):
    """nnx DistNLLCriterion.lua: normalize (target SoftMax unless targetIsProbability, input negated if a
    distance, then LogSoftMax, Log or nothing), loss = -sum log q * p, gradInput back through the
    normalisation (checked by finite differences)."""
    rs = np.random.RandomState(6)
    shape = (3, 4) if rank == 2 else (4,)
    x = rs.rand(*shape) + 0.2
    if opts.get('inputIsADistance') and opts.get('inputIsProbability'):
        x = -x
    p = rs.rand(*shape)
    p /= p.sum()
    q_in = -x if opts.get('inputIsADistance') else x
    logq = q_in if opts.get('inputIsLogProbability') else np.log(q_in) if opts.get('inputIsProbability') \
        else _log_softmax(q_in)
    target = p if opts.get('targetIsProbability', True) else np.exp(_log_softmax(p))
    c = nn.DistNLLCriterion(opts)
    assert c.forward(lg.DoubleTensor(x), lg.DoubleTensor(p)) == pytest.approx(-(logq * target).sum(), rel=1e-12)
    assert nn.Jacobian.testCriterion(c, lg.DoubleTensor(x), lg.DoubleTensor(p)) < 1e-7


def test_dist_nll_rejects_unknown_options_and_sizes():
    """Bad options fail at construction; a target of another size names the criterion."""
    with pytest.raises(ValueError, match='DistNLLCriterion: expected options among'):
        nn.DistNLLCriterion({'inputIsDistance': True})
    with pytest.raises(ValueError, match=r'DistNLLCriterion: expected target of size \(2, 3\)'):
        nn.DistNLLCriterion().forward(lg.DoubleTensor(2, 3).zero(), lg.DoubleTensor(3, 2).zero())


# --- SuperCriterion -----------------------------------------------------------------------------------------
def test_super_criterion_table_and_shared_targets():
    """nnx SuperCriterion.lua: sum_i w_i criterion_i(input[i], target[i]) for a table target, the same target
    for every criterion otherwise; gradInput[i] = w_i * criterion_i's gradInput."""
    rs = np.random.RandomState(7)
    a, b, t, u = (lg.DoubleTensor(rs.randn(2, 3)) for _ in range(4))
    c = nn.SuperCriterion()
    c.add(nn.MSECriterion())
    c.add(nn.AbsCriterion(), 0.5)
    mse = ((a.numpy() - t.numpy()) ** 2).mean()
    assert c.forward([a, b], t) == pytest.approx(mse + 0.5 * np.abs(b.numpy() - t.numpy()).mean(), rel=1e-12)
    assert c.forward([a, b], [t, u]) == pytest.approx(mse + 0.5 * np.abs(b.numpy() - u.numpy()).mean(), rel=1e-12)
    grad = c.backward([a, b], [t, u])
    np.testing.assert_allclose(grad[0].numpy(), 2 * (a.numpy() - t.numpy()) / 6, rtol=1e-12)
    np.testing.assert_allclose(grad[1].numpy(), 0.5 * np.sign(b.numpy() - u.numpy()) / 6, rtol=1e-12)
    assert nn.Jacobian.testCriterion(c, [a, b], t) < 1e-7


SMALL_CASES = pytest.mark.parametrize('make,x,t', [
    (lambda: nn.DistNLLCriterion(), lambda: lg.randn(2, 3), lambda: lg.rand(2, 3)),
    (lambda: nn.DistMarginCriterion(), lambda: lg.randn(2, 3), lambda: lg.LongTensor([[2, -1, -1], [0, 1, -1]])),
    (lambda: nn.SuperCriterion().add(nn.MSECriterion()), lambda: [lg.randn(2, 3)], lambda: lg.randn(2, 3)),
], ids=['DistNLL', 'DistMargin', 'Super'])


@SMALL_CASES
def test_float_and_double(make, x, t):
    """float() and double() criterions agree, and gradInput takes the criterion's type."""
    assert_criterion_type_roundtrip(make(), x(), t())


@pytest.mark.gpu
@SMALL_CASES
def test_gpu(make, x, t):
    """The cuda() twin gives the CPU loss and gradInput."""
    assert_criterion_gpu(make(), x(), t())


def test_ctc_ignores_rows_past_each_size():
    """warp-ctc reads only the first sizes[b] frames of sequence b: padding frames (NaN here) change neither the
    costs nor the gradient, which is 0 there."""
    acts = np.random.RandomState(8).randn(4, 2, 3)
    padded = acts.copy()
    padded[2:, 1] = np.nan
    c = nn.CTCCriterion()
    loss = c.forward(lg.DoubleTensor(acts), [[1], [2]], [4, 2])
    grad = c.backward(lg.DoubleTensor(acts), None).numpy().copy()
    assert c.forward(lg.DoubleTensor(padded), [[1], [2]], [4, 2]) == loss
    np.testing.assert_array_equal(c.backward(lg.DoubleTensor(padded), None).numpy(), grad)
    assert not grad[2:, 1].any()


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_dist_margin_skips_non_positive_hinges_even_when_infinite(tensor):
    # nnx's C adds z = 1 - x_m + x_d only if z > 0: a weakest target at inf makes every hinge -inf and skipped
    # (a product with the 0/1 active mask made the loss NaN)
    x = np.array([[np.inf, 0.2, -0.3, 0.5], [0.3, 0.2, 0.9, -0.4]])
    t = np.array([[0, -1, -1, -1], [1, 2, -1, -1]])
    total = 0.0
    for row, targets in zip(x, t):   # the C's loops
        targets = list(targets[:list(targets).index(-1)])
        weakest = min(row[c] for c in targets)
        total += sum(max(1 - weakest + row[d], 0) for d in range(4) if d not in targets)
    assert total > 0
    crit = nn.DistMarginCriterion().type(tensor)
    loss = crit.forward(lg.DoubleTensor(x).type(tensor), lg.LongTensor(t).type(tensor.replace('Double', 'Long')))
    assert loss == pytest.approx(total / 4, rel=1e-14)
