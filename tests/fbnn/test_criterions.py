"""legonn.fbnn's criterions against float64 loop transcriptions of fbnn's Lua (TrueNLLCriterion.lua,
SoftPlusLSECriterion.lua, SoftPlusLSEMinusLSECriterion.lua, ClassNLLCriterionWithUNK.lua,
SequentialCriterion.lua), fbnn/test.lua's Jacobian cases, typenames, files and bad input."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn
from tests.checks import assert_rejected, numeric_gradient
from tests.criterions.criterion_checks import as_tensors, assert_criterion_gradient, case_tests

RNG = np.random.default_rng(7)
PROBS = RNG.uniform(0.1, 1, (4, 5))
SCORES = RNG.normal(0, 3, (3, 6))
LABELS = np.array([2, 0, 4, 1])


def _true_nll(p, t, size_average=True):
    """TrueNLLCriterion.lua's updateOutput: -log(p[i][t[i]] + 1e-8), summed, over the batch when averaging."""
    if p.ndim == 1:
        return -math.log(p[t] + 1e-8)
    total = 0.0
    for i in range(len(t)):
        total -= math.log(p[i, t[i]] + 1e-8)
    return total / len(t) if size_average else total


def _softplus(v):
    return v if v > 20 else math.log(1 + math.exp(v))


def _row_lse(x):
    """Each row's log(sum(exp(x))) shifted by its maximum, as the Lua's max/exp/sum/log."""
    out = []
    for row in x:
        top = max(row)
        out.append(math.log(sum(math.exp(v - top) for v in row)) + top)
    return out


def _softplus_lse(x):
    return sum(_softplus(v) for v in _row_lse(x))


def _softplus_lse_minus_lse(x):
    return sum(_softplus(v) - v for v in _row_lse(x))


def _nll_with_unk(x, t, unk):
    """ClassNLLCriterionWithUNK.lua's minibatch branch: with an unk label, the other rows' -x[i][t[i]] summed
    (1-D ClassNLLCriterion calls, not averaged); without one, ClassNLLCriterion's batch average."""
    if unk not in t:
        return -sum(x[i, t[i]] for i in range(len(t))) / len(t)
    return -sum(x[i, t[i]] for i in range(len(t)) if t[i] != unk)


def _sequential(x, t):
    """SequentialCriterion(nn.Tanh(), nn.MSECriterion()): mean of (tanh(x) - t)^2."""
    return float(np.mean((np.tanh(x) - t) ** 2))


TARGET = RNG.normal(0, 1, (3, 6))
SPARSE_P = np.array([[0.3, 0.7], [0.5, 0.5], [1.0, 0.0]])
SPARSE_IDX = np.array([[0, 4], [1, 2], [5, 0]])


def _sparse_nll(x, p, idx, size_average=True):
    """SparseNLLCriterion.cpp's updateOutput: -sum_i sum_j x[i][idx[i][j]] * p[i][j], over the batch."""
    total = 0.0
    for i in range(p.shape[0]):
        for j in range(p.shape[1]):
            total += x[i, idx[i, j]] * p[i, j]
    return -total / (p.shape[0] if size_average else 1)


CASES = {
    'true-nll-batch': (fbnn.TrueNLLCriterion, PROBS, LABELS, _true_nll(PROBS, LABELS)),
    'true-nll-vector': (fbnn.TrueNLLCriterion, PROBS[1], 3, _true_nll(PROBS[1], 3)),
    'softplus-lse': (fbnn.SoftPlusLSECriterion, SCORES, None, _softplus_lse(SCORES)),
    'softplus-lse-large': (fbnn.SoftPlusLSECriterion, SCORES + 25, None, _softplus_lse(SCORES + 25)),
    'softplus-lse-minus-lse': (fbnn.SoftPlusLSEMinusLSECriterion, SCORES, None, _softplus_lse_minus_lse(SCORES)),
    'unk-present': (lambda: fbnn.ClassNLLCriterionWithUNK(0), SCORES[:, :5].copy(), np.array([0, 3, 1]),
                    _nll_with_unk(SCORES, [0, 3, 1], 0)),
    'unk-absent': (lambda: fbnn.ClassNLLCriterionWithUNK(0), SCORES, np.array([2, 3, 1]),
                   _nll_with_unk(SCORES, [2, 3, 1], 0)),
    'sparse-nll-batch': (lambda: fbnn.SparseNLLCriterion(2), SCORES, [SPARSE_P, SPARSE_IDX],
                         _sparse_nll(SCORES, SPARSE_P, SPARSE_IDX)),
    'sparse-nll-vector': (lambda: fbnn.SparseNLLCriterion(2), SCORES[1], [SPARSE_P[1], SPARSE_IDX[1]],
                          _sparse_nll(SCORES[1:2], SPARSE_P[1:2], SPARSE_IDX[1:2])),
}

test_gradient, test_loss_matches_numpy, test_type_roundtrip, test_gpu = case_tests(CASES)


def test_true_nll_gradient_by_hand():
    """TrueNLLCriterion.lua's updateGradInput: -1 / (p + 1e-8) over the batch at each target, zero elsewhere;
    without sizeAverage, not divided."""
    crit = fbnn.TrueNLLCriterion()
    grad = crit.backward(lg.DoubleTensor(PROBS), lg.LongTensor(LABELS)).numpy()
    want = np.zeros_like(PROBS)
    for i, t in enumerate(LABELS):
        want[i, t] = -1 / (PROBS[i, t] + 1e-8) / len(LABELS)
    np.testing.assert_allclose(grad, want, rtol=1e-12)
    crit.sizeAverage = False
    assert crit.forward(lg.DoubleTensor(PROBS), lg.LongTensor(LABELS)) == pytest.approx(
        _true_nll(PROBS, LABELS, False), rel=1e-12)


@pytest.mark.parametrize('make', [fbnn.SoftPlusLSECriterion, fbnn.SoftPlusLSEMinusLSECriterion])
def test_fbnn_test_lua_jacobian(make):
    """fbnn/test.lua testSoftPlusLSECriterion / testSoftPlusLSEMinusLSECriterion: torch.rand(10, 100) input,
    backward against central differences."""
    assert_criterion_gradient(make(), lg.DoubleTensor(RNG.uniform(0, 1, (10, 100))), None)


def test_sparse_nll_gradient_by_hand():
    """SparseNLLCriterion.cpp's updateGradInput: -p[i][j] at (i, idx[i][j]) over the batch, zero elsewhere;
    without sizeAverage not divided; do_target_check refuses rows not summing to 1 unless turned off."""
    crit = fbnn.SparseNLLCriterion(2)
    x, t = lg.DoubleTensor(SCORES), [lg.DoubleTensor(SPARSE_P), lg.LongTensor(SPARSE_IDX)]
    want = np.zeros_like(SCORES)
    for i in range(3):
        for j in range(2):
            want[i, SPARSE_IDX[i, j]] = -SPARSE_P[i, j] / 3
    np.testing.assert_allclose(crit.backward(x, t).numpy(), want, rtol=1e-12)
    crit.sizeAverage = False
    assert crit.forward(x, t) == pytest.approx(_sparse_nll(SCORES, SPARSE_P, SPARSE_IDX, False), rel=1e-12)
    half = [lg.DoubleTensor(SPARSE_P / 2), t[1]]
    with pytest.raises(ValueError, match='SparseNLLCriterion: expected targetP rows that are probability'):
        crit.forward(x, half)
    crit.do_target_check = False
    assert crit.forward(x, half) == pytest.approx(_sparse_nll(SCORES, SPARSE_P / 2, SPARSE_IDX, False), rel=1e-12)


def test_unk_rows_get_no_gradient_and_are_not_counted():
    """ClassNLLCriterionWithUNK.lua: the unk rows' gradInput is zero, the others' -1 at the target (no
    averaging when an unk row is present); its second return value (``n``) counts the other rows."""
    crit = fbnn.ClassNLLCriterionWithUNK(2)
    x, t = lg.DoubleTensor(SCORES), lg.LongTensor([2, 0, 2])
    crit.forward(x, t)
    assert crit.n == 1
    want = np.zeros_like(SCORES)
    want[1, 0] = -1
    np.testing.assert_array_equal(crit.backward(x, t).numpy(), want)
    crit.forward(x, lg.LongTensor([1, 0, 3]))
    assert crit.n == 3
    assert crit.forward(x[0], 2) == 0 and crit.n == 0


def test_sequential_criterion_loss_and_gradient():
    """SequentialCriterion.lua: criterion(module(x), t); backward (after a forward, which leaves the module's
    output it reads) is the module's backward of the criterion's gradient, checked by central differences."""
    crit = fbnn.SequentialCriterion(nn.Tanh(), nn.MSECriterion()).double()
    x, t = lg.DoubleTensor(SCORES.copy()), lg.DoubleTensor(TARGET)
    assert crit.forward(x, t) == pytest.approx(_sequential(SCORES, TARGET), rel=1e-12)
    grad = crit.backward(x, t).numpy().copy()
    numeric = numeric_gradient(lambda: crit.forward(x, t), x.numpy())
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


def test_sequential_criterion_trains_the_module():
    """SequentialCriterion.lua: accGradParameters/updateParameters/zeroGradParameters reach the module;
    parameters() are the module's."""
    lin = nn.Linear(3, 2)
    crit = fbnn.SequentialCriterion(lin, nn.MSECriterion()).double()
    x, t = lg.DoubleTensor(RNG.normal(0, 1, (4, 3))), lg.DoubleTensor(RNG.normal(0, 1, (4, 2)))
    assert crit.parameters()[0] == [lin.weight, lin.bias]
    crit.zeroGradParameters()
    before = crit.forward(x, t)
    crit.backward(x, t)
    crit.accGradParameters(x, t)
    go = 2 * (lin.output.numpy() - t.numpy()) / t.nElement()
    np.testing.assert_allclose(lin.gradWeight.numpy(), go.T @ x.numpy(), rtol=1e-12)
    crit.updateParameters(0.1)
    assert crit.forward(x, t) < before
    flat, _ = crit.getParameters()
    assert flat.nElement() == 8


def test_typenames_and_files(tmp_path):
    """torch.class('nn.TrueNLLCriterion', ...): typename and repr say nn.; lg.save/lg.load keep the class."""
    crits = [fbnn.TrueNLLCriterion(), fbnn.SoftPlusLSECriterion(), fbnn.ClassNLLCriterionWithUNK(3, False),
             fbnn.SequentialCriterion(nn.Tanh(), nn.MSECriterion())]
    for crit in crits:
        assert lg.typename(crit) == 'nn.' + type(crit).__name__
        assert repr(crit).startswith('nn.' + type(crit).__name__)
    lg.save(str(tmp_path / 'c.legonn'), crits)
    loaded = lg.load(str(tmp_path / 'c.legonn'))
    assert [type(c) for c in loaded] == [type(c) for c in crits]
    assert loaded[2].unk_index == 3 and loaded[2].crit.sizeAverage is False


@pytest.mark.parametrize('crit, x, t, match', [
    (fbnn.TrueNLLCriterion(), lg.rand(2, 3, 4), lg.LongTensor([0, 1]), 'TrueNLLCriterion'),
    (fbnn.TrueNLLCriterion(), lg.rand(2, 3), lg.LongTensor([0, 3]), 'TrueNLLCriterion'),
    (fbnn.SoftPlusLSECriterion(), lg.rand(3), None, 'SoftPlusLSECriterion'),
    (fbnn.SoftPlusLSEMinusLSECriterion(), lg.rand(2, 3, 4), None, 'SoftPlusLSEMinusLSECriterion'),
    (fbnn.ClassNLLCriterionWithUNK(0), lg.rand(2, 3), lg.LongTensor([[0, 1]]), 'ClassNLLCriterionWithUNK'),
    (fbnn.ClassNLLCriterionWithUNK(0), lg.rand(2, 3), lg.rand(2), 'ClassNLLCriterionWithUNK'),
    (fbnn.SparseNLLCriterion(2), lg.DoubleTensor(3, 6).zero(), lg.DoubleTensor(3, 2), 'SparseNLLCriterion'),
    (fbnn.SparseNLLCriterion(2), lg.DoubleTensor(3, 6).zero(),
     [lg.DoubleTensor(SPARSE_P), lg.LongTensor([[0, 6], [1, 2], [5, 0]])], 'SparseNLLCriterion'),
    (fbnn.SparseNLLCriterion(2), lg.DoubleTensor(3, 6).zero(),
     [lg.DoubleTensor(SPARSE_P), lg.LongTensor([[0, 1]])], 'SparseNLLCriterion'),
])
def test_bad_input_names_the_criterion(crit, x, t, match):
    with pytest.raises((ValueError, TypeError, IndexError), match=match):
        crit.forward(x, t)


def test_sequential_criterion_refuses_non_modules():
    with pytest.raises(TypeError, match='SequentialCriterion: expected a module and a criterion'):
        fbnn.SequentialCriterion(3, nn.MSECriterion())


def test_failed_sequential_call_changes_no_parameter():
    crit = fbnn.SequentialCriterion(nn.Linear(3, 2), nn.MSECriterion())
    assert_rejected(crit, ValueError, 'Linear', 'forward', lg.rand(4, 5), lg.rand(4, 2))


def test_as_tensors_labels():
    assert as_tensors(LABELS).type() == 'legonn.LongTensor'


MAPPING = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]])


def _hierarchical():
    return fbnn.ClassHierarchicalNLLCriterion(lg.LongTensor(MAPPING), lg.LongTensor([2, 3]), 4).double()


def _hierarchical_loss(crit, x, t):
    """ClassHierarchicalNLLCriterion.lua's updateOutput as loops: -log softmax of the cluster scores at the
    cluster, minus log softmax of the cluster's class scores at the class."""
    cluster, klass = MAPPING[t]
    cm, cb = crit.clusterMatrix.numpy(), crit.clusterBias.numpy()
    wm, wb = crit.classMatrix.numpy(), crit.classBias.numpy()
    scores = [sum(cm[k, i] * x[i] for i in range(len(x))) + cb[k] for k in range(cm.shape[0])]
    start = [0, 2][cluster]
    count = [2, 3][cluster]
    block = [sum(wm[start + r, i] * x[i] for i in range(len(x))) + wb[start + r] for r in range(count)]
    return (-(scores[cluster] - math.log(sum(math.exp(s) for s in scores)))
            - (block[klass] - math.log(sum(math.exp(s) for s in block))))


@pytest.mark.parametrize('target', [0, 1, 3, 4])
def test_hierarchical_loss_and_gradients(target):
    """The loss against the loops; d loss / d input and the accumulated parameter gradients (only the target's
    cluster block of the class parameters) against central differences."""
    crit = _hierarchical()
    crit.classBias.normal(0, 1)
    crit.clusterBias.normal(0, 1)
    x = lg.DoubleTensor(RNG.normal(0, 1, 4))
    assert crit.forward(x, target) == pytest.approx(_hierarchical_loss(crit, x.numpy(), target), rel=1e-12)
    assert_criterion_gradient(crit, x, target)
    crit.zeroGradParameters()
    crit.forward(x, target)
    crit.backward(x, target)
    for param, grad in ((crit.clusterMatrix, crit.clusterMatrixDx), (crit.classMatrix, crit.classMatrixDx),
                        (crit.clusterBias, crit.clusterBiasDx), (crit.classBias, crit.classBiasDx)):
        numeric = numeric_gradient(lambda: crit.forward(x, target), param.numpy())
        np.testing.assert_allclose(grad.numpy(), numeric, atol=1e-8)


def test_hierarchical_updates_infer_and_zeroing():
    """updateParameters steps the cluster parameters and the last target's class block only;
    zeroGradParametersClass zeroes one cluster's block; infer picks the best cluster then class (0-based)."""
    crit = _hierarchical()
    x = lg.DoubleTensor(RNG.normal(0, 1, 4))
    crit.forward(x, 4)
    crit.backward(x, 4)
    crit.classMatrixDx.fill(1)
    before_class, before_cluster = crit.classMatrix.numpy().copy(), crit.clusterMatrix.numpy().copy()
    crit.updateParameters(0.5)
    np.testing.assert_allclose(crit.classMatrix.numpy()[:2], before_class[:2])
    np.testing.assert_allclose(crit.classMatrix.numpy()[2:], before_class[2:] - 0.5)
    np.testing.assert_allclose(crit.clusterMatrix.numpy(), before_cluster - 0.5 * crit.clusterMatrixDx.numpy())
    crit.zeroGradParametersClass(1)
    assert not crit.classMatrixDx.numpy()[:2].any() and crit.classMatrixDx.numpy()[2:].all()
    cluster_scores = crit.clusterMatrix.numpy() @ x.numpy() + crit.clusterBias.numpy()
    best = int(np.argmax(cluster_scores))
    start, count = [(0, 2), (2, 3)][best]
    rows = slice(start, start + count)
    class_scores = crit.classMatrix.numpy()[rows] @ x.numpy() + crit.classBias.numpy()[rows]
    assert crit.infer(x) == [best, int(np.argmax(class_scores))]
    cluster, klass = crit.infer(x, True)
    assert 0 <= klass < [2, 3][cluster]


def test_hierarchical_contract(tmp_path):
    crit = _hierarchical()
    assert lg.typename(crit) == 'nn.ClassHierarchicalNLLCriterion'
    lg.save(str(tmp_path / 'h.legonn'), crit)
    assert lg.load(str(tmp_path / 'h.legonn')).classMatrix.numpy().tolist() == crit.classMatrix.numpy().tolist()
    with pytest.raises(ValueError, match='ClassHierarchicalNLLCriterion: expected clusterCounts summing to the 5'):
        fbnn.ClassHierarchicalNLLCriterion(lg.LongTensor(MAPPING), lg.LongTensor([2, 2]), 4)
    for x, t, error in ((lg.DoubleTensor(2, 4).zero(), 0, ValueError), (lg.DoubleTensor(5).zero(), 0, ValueError),
                        (lg.DoubleTensor(4).zero(), 5, IndexError)):
        with pytest.raises(error, match='ClassHierarchicalNLLCriterion'):
            crit.forward(x, t)
    crit.float()
    assert crit.classMatrixDx.type() == 'legonn.FloatTensor'
    assert isinstance(crit.forward(lg.FloatTensor(4).zero(), 2), float)


HSM_MAPPING = [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [2, 0]]
HSM_LABELS = np.array([0, 4, 5, 3])


def _exp_minus_approx(v):
    """THLogAdd.c's THExpMinusApprox, as the C: Leon Bottou's polynomial to the 8th power, 0 from 13 on."""
    if v >= 13.0:
        return 0.0
    y = 1.0 + v * (0.125 + v * (0.0078125 + v * (0.00032552083 + v * 1.0172526e-5)))
    return 1 / (y ** 8)


def _hsm_loss(m, x, labels):
    """HSM.lua's cluster ClassNLL (summed, over a LogSoftMax) plus HSM.cpp's updateOutputWithTarget loop."""
    cw, cb = m.cluster_weight.numpy(), m.cluster_bias.numpy()
    w, b = m.class_weight.numpy(), m.class_bias.numpy()
    starts, sizes = [0, 2, 5], [2, 3, 1]
    total = 0.0
    for row, t in zip(x, labels):
        cluster, position = HSM_MAPPING[t]
        scores = [sum(cw[k, i] * row[i] for i in range(len(row))) + cb[k] for k in range(3)]
        top = max(scores)
        total -= scores[cluster] - top - math.log(sum(math.exp(s - top) for s in scores))
        block = [sum(w[starts[cluster] + d, i] * row[i] for i in range(len(row))) + b[starts[cluster] + d]
                 for d in range(sizes[cluster])]
        top = max(block)
        logsum = top + math.log(sum(_exp_minus_approx(top - s) for s in block))
        total += logsum - block[position]
    return total


def test_hsm_loss_matches_the_c_loops():
    """Batch and single-sample losses against the loops (never averaged; n_valid the batch size)."""
    m = fbnn.HSM(lg.LongTensor(HSM_MAPPING), 4).double()
    x = RNG.normal(0, 1, (4, 4))
    assert m.forward(lg.DoubleTensor(x), lg.LongTensor(HSM_LABELS)) == pytest.approx(
        _hsm_loss(m, x, HSM_LABELS), rel=1e-12)
    assert m.n_valid == 4
    assert m.forward(lg.DoubleTensor(x[1]), 4) == pytest.approx(_hsm_loss(m, x[1:2], [4]), rel=1e-12)


@pytest.mark.parametrize('direct', [False, True])
def test_hsm_gradients(direct):
    """gradInput and the accumulated parameter gradients against central differences of the loss (HSM.cpp's
    gradient uses the exact exponential, the loss the approximate one: they agree to ~1e-6); direct_update adds
    scale times them to the parameters; updateParameters steps by them."""
    m = fbnn.HSM(HSM_MAPPING, 4).double()
    x, t = lg.DoubleTensor(RNG.normal(0, 1, (4, 4))), lg.LongTensor(HSM_LABELS)
    assert_criterion_gradient(m, x, t, tol=1e-6)
    m.zeroGradParameters()
    m.forward(x, t)
    m.backward(x, t, 0.5)
    for param, grad in zip(*m.parameters()):
        numeric = numeric_gradient(lambda: m.forward(x, t), param.numpy())
        np.testing.assert_allclose(grad.numpy(), 0.5 * numeric, atol=1e-6)
    if direct:
        before = [p.numpy().copy() for p in m.parameters()[0]]
        m.updateGradInput(x, t)
        m.accGradParameters(x, t, -0.1, True)
        for p, b, g in zip(m.parameters()[0], before, m.parameters()[1]):
            np.testing.assert_allclose(p.numpy(), b - 0.1 * 2 * g.numpy(), rtol=1e-10, atol=1e-12)
    else:
        before = [p.numpy().copy() for p in m.parameters()[0]]
        m.updateParameters(0.1)
        for p, b, g in zip(m.parameters()[0], before, m.parameters()[1]):
            np.testing.assert_allclose(p.numpy(), b - 0.1 * g.numpy(), rtol=1e-12)
    m.zeroGradParametersClass(x, lg.LongTensor([5]))
    assert not m.class_grad_weight.numpy()[5].any() and m.class_grad_weight.numpy()[2:5].any()


@pytest.mark.gpu
def test_hsm_gpu():
    m = fbnn.HSM(HSM_MAPPING, 4).double()
    x, t = lg.DoubleTensor(RNG.normal(0, 1, (4, 4))), lg.LongTensor(HSM_LABELS)
    gpu = m.clone().cudaDouble()
    assert gpu.forward(x.cudaDouble(), t.cudaLong()) == pytest.approx(m.forward(x, t), rel=1e-10)
    np.testing.assert_allclose(gpu.backward(x.cudaDouble(), t.cudaLong()).double().float().numpy(),
                               m.backward(x, t).float().numpy(), rtol=1e-6)
    np.testing.assert_allclose(gpu.class_grad_weight.float().numpy(), m.class_grad_weight.float().numpy(), rtol=1e-6)


def test_hsm_saves_after_a_backward(tmp_path):
    """A trained HSM is checkpointed (SCRNNs' RNNTrainer saves and clones its model every epoch): the
    derivatives updateGradInput keeps for accGradParameters stay out of the file and in the live criterion."""
    m = fbnn.HSM(HSM_MAPPING, 4).double()
    x, t = lg.DoubleTensor(4, 4).normal(), lg.LongTensor(HSM_LABELS)
    loss = m.forward(x, t)
    m.updateGradInput(x, t)
    lg.save(str(tmp_path / 'h.legonn'), m)
    back = lg.load(str(tmp_path / 'h.legonn'))
    assert lg.equal(back.class_weight, m.class_weight)
    m.accGradParameters(x, t, -0.1, True)     # the live criterion kept what it needs
    with pytest.raises(RuntimeError, match='HSM: accGradParameters needs updateGradInput on this batch first'):
        back.accGradParameters(x, t, -0.1, True)
    assert back.forward(x, t) == pytest.approx(loss)


def test_hsm_contract(tmp_path):
    """torch.class('nn.HSM'); files; HSM.lua's mapping checks (contiguous clusters; legonn also checks the
    positions); unk_index refused as HSM.lua's assert; bad input named."""
    m = fbnn.HSM(HSM_MAPPING, 4)
    assert lg.typename(m) == 'nn.HSM' and m.class_start_indices.tolist() == [0, 2, 5]
    lg.save(str(tmp_path / 'h.legonn'), m)
    assert lg.load(str(tmp_path / 'h.legonn')).class_weight.numpy().tolist() == m.class_weight.numpy().tolist()
    for mapping, match in (([[0, 0], [2, 0]], 'cluster 1 is empty'), ([[0, 0], [0, 2]], 'positions in cluster 0'),
                           ([[0, 0], [0, 0]], 'positions in cluster 0'), ([0, 1], 'expected a mapping')):
        with pytest.raises(ValueError, match='HSM: ' + '.*' + match):
            fbnn.HSM(mapping, 4)
    with pytest.raises(ValueError, match='HSM: unk_index is not implemented'):
        fbnn.HSM(HSM_MAPPING, 4, 3).forward(lg.rand(2, 4), lg.LongTensor([0, 1]))
    for x, t, error in ((lg.rand(2, 5), lg.LongTensor([0, 1]), ValueError),
                        (lg.rand(2, 4), lg.LongTensor([0, 6]), IndexError),
                        (lg.rand(2, 4), lg.LongTensor([0]), ValueError)):
        assert_rejected(m, error, 'HSM', 'forward', x, t)
