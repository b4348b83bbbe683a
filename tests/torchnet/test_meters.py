"""torchnet's meters (meter/*.lua): test/meters.lua's cases with 0-based classes, and each meter against a float64
transcription of its Lua loops here, on tie-heavy data ranked in the order of TH's quicksort/quickselect
(THTensorMath.c), transcribed here too."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import torchnet as tnt
from legonn.torchnet.meters.torch_order import sort_order, sort_rows, top_rows

# --- THTensorMath.c's quicksortdescend, quickselect and topk, transcribed as written (explicit stack arrays) ----


def th_quicksort_descend(arr, idx):
    """THTensor_(quicksortdescend) on lists, in place."""
    n = len(arr)
    beg, end = [0] * 300, [0] * 300
    stack, L, R = 0, 0, n - 1
    done = n - 1 <= 10

    def swap(a, b):
        arr[a], arr[b] = arr[b], arr[a]
        idx[a], idx[b] = idx[b], idx[a]
    while not done:
        P = (L + R) >> 1
        swap(P, L + 1)
        if arr[L + 1] < arr[R]:
            swap(L + 1, R)
        if arr[L] < arr[R]:
            swap(L, R)
        if arr[L + 1] < arr[L]:
            swap(L + 1, L)
        i, j, piv = L + 1, R, arr[L]
        while True:
            i += 1
            while arr[i] > piv:
                i += 1
            j -= 1
            while arr[j] < piv:
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(L, j)
        sz_left, sz_right = j - L, R - i + 1
        if sz_left <= 10 and sz_right <= 10:
            if stack == 0:
                done = True
            else:
                stack -= 1
                L, R = beg[stack], end[stack]
        elif sz_left <= 10 or sz_right <= 10:
            if sz_left > sz_right:
                R = j - 1
            else:
                L = i
        elif sz_left > sz_right:
            beg[stack], end[stack] = L, j - 1
            stack += 1
            L = i
        else:
            beg[stack], end[stack] = i, R
            stack += 1
            R = j - 1
    for i in range(n - 2, -1, -1):
        if arr[i] < arr[i + 1]:
            piv, pid, j = arr[i], idx[i], i + 1
            while True:
                arr[j - 1], idx[j - 1] = arr[j], idx[j]
                j += 1
                if not (j < n and arr[j] > piv):
                    break
            arr[j - 1], idx[j - 1] = piv, pid


def th_quickselect(arr, idx, k):
    """THTensor_(quickselect) on lists, in place."""
    L, R = 0, len(arr) - 1

    def swap(a, b):
        arr[a], arr[b] = arr[b], arr[a]
        idx[a], idx[b] = idx[b], idx[a]
    while True:
        if R <= L:
            return
        if R == L + 1:
            if arr[L] > arr[R]:
                swap(L, R)
            return
        P = (L + R) >> 1
        swap(P, L + 1)
        if arr[L + 1] > arr[R]:
            swap(L + 1, R)
        if arr[L] > arr[R]:
            swap(L, R)
        if arr[L + 1] > arr[L]:
            swap(L + 1, L)
        i, j, piv = L + 1, R, arr[L]
        while True:
            i += 1
            while arr[i] < piv:
                i += 1
            j -= 1
            while arr[j] > piv:
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(L, j)
        if j <= k:
            L = i
        if j >= k:
            R = j - 1


def th_sort_desc(values):
    """torch.sort(x, 1, true)'s 0-based indices of a 1-D line."""
    arr, idx = [float(v) for v in values], list(range(len(values)))
    th_quicksort_descend(arr, idx)
    return idx


def th_topk(values, k, sort=True):
    """torch.topk(x, k, 1, true, sort)'s 0-based indices of a 1-D line (THTensor_(topk), dir = 1)."""
    arr, idx = [float(v) for v in values], list(range(len(values)))
    K = len(arr) - k
    if K > 0:
        th_quickselect(arr, idx, K - 1)
    seg_arr, seg_idx = arr[K:], idx[K:]
    if sort:
        th_quicksort_descend(seg_arr, seg_idx)
    return seg_idx


def tied(rng, *shape, levels=4):
    """Scores with many ties: a few distinct values."""
    return rng.integers(0, levels, shape).astype(np.float64) / levels


# --- the orders ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('n', [1, 2, 5, 11, 12, 13, 40, 300])
def test_sort_order_is_th_quicksort(n):
    """THTensorMath.c's THTensor_(sort) descending (quicksortdescend) and ascending: the same permutation, ties
    included, for lines of every regime (insertion sort only up to 11, then quicksort)."""
    rng = np.random.default_rng(n)
    for trial in range(20):
        values = tied(rng, n, levels=3 if trial % 2 else 50)
        if trial % 5 == 4:
            values[rng.integers(0, n)] = np.nan
        assert sort_order(values, descending=True).tolist() == th_sort_desc(values)
        # the ascending order is the descending one of the negated values
        assert sort_order(-values).tolist() == th_sort_desc(values)


def test_th_order_differs_from_a_stable_sort():
    """The reason for torch_order: past 11 elements, TH's quicksort does not keep tied values in their order."""
    values = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1], dtype=np.float64)
    stable = np.argsort(-values, kind='stable').tolist()
    assert th_sort_desc(values) != stable
    assert sort_order(values, descending=True).tolist() == th_sort_desc(values)


@pytest.mark.parametrize('n,k', [(5, 1), (5, 5), (12, 3), (40, 7), (200, 10)])
def test_top_rows_is_th_topk(n, k):
    """THTensor_(topk) with dir = 1: quickselect, then (sorted) quicksortdescend of the k largest; rows of
    ties and rows of distinct values."""
    rng = np.random.default_rng(n + k)
    matrix = np.concatenate([tied(rng, 6, n), rng.random((2, n))])
    for sort in (True, False):
        got = top_rows(matrix, k, sort=sort)
        assert got.tolist() == [th_topk(row, k, sort) for row in matrix]
    assert sort_rows(matrix, True).tolist() == [th_sort_desc(row) for row in matrix]


# --- test/meters.lua -------------------------------------------------------------------------------------------


def test_average_value_meter():
    """test/meters.lua's AverageValueMeter: mean 1 and NaN std for one value (Lua's 0/0), then 2 and sqrt(2)."""
    mtr = tnt.AverageValueMeter()
    mtr.add(1)
    avg, std = mtr.value()
    assert avg == 1 and math.isnan(std)
    mtr.add(3)
    assert mtr.value() == (2, math.sqrt(2))
    mtr.add(5, 2)    # averagevaluemeter.lua's weight n: sum += n * value, var += n * value^2
    n, s, q = 4, 1 + 3 + 10, 1 + 9 + 50
    assert mtr.value() == pytest.approx((s / n, math.sqrt((q - n * (s / n) ** 2) / (n - 1))), rel=1e-15)
    mtr.reset()
    assert all(math.isnan(v) for v in mtr.value())


def test_class_error_meter():
    """test/meters.lua's ClassErrorMeter with 0-based targets: 0% then 50% error."""
    mtr = tnt.ClassErrorMeter({'topk': [1]})
    output = lg.Tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    target = lg.Tensor([0, 1, 2])
    mtr.add(output, target)
    assert mtr.value() == {1: 0}
    mtr.add(output, lg.Tensor([1, 0, 0]))
    assert mtr.value() == {1: 50}


def test_confusion_meter():
    """test/meters.lua's ConfusionMeter: counts, rows = targets, columns = predictions; the normalized one's rows
    sum to 1."""
    mtr = tnt.ConfusionMeter(k=3)
    output = lg.Tensor([[.8, 0.1, 0.1], [10, 11, 10], [0.2, 0.2, .3]])
    mtr.add(output, lg.Tensor([0, 1, 2]))
    conf = mtr.value()
    assert conf.sum() == 3 and lg.diag(conf).sum() == 3
    mtr.add(output, lg.Tensor([1, 0, 0]))
    assert conf.sum() == 6 and lg.diag(conf).sum() == 3
    assert conf[0].sum() == 3 and conf[1].sum() == 2 and conf[1][2] == 0
    assert conf[2].sum() == 1 and conf[2][2] == 1
    assert conf.type() == 'legonn.LongTensor'

    mtr = tnt.ConfusionMeter(k=4, normalized=True)
    output = lg.Tensor([[.8, 0.1, 0.1, 0], [10, 11, 10, 0], [0.2, 0.2, .3, 0], [0, 0, 0, 1]])
    mtr.add(output, lg.Tensor([0, 1, 2, 3]))
    conf = mtr.value()
    assert conf.sum() == 4 and lg.diag(conf).sum() == 4
    mtr.add(output, lg.Tensor([1, 0, 0, 3]))
    conf = mtr.value()
    assert conf.sum() == pytest.approx(4)
    assert np.allclose(conf.numpy().sum(1), 1)


def one_hot(classes, k):
    out = np.zeros((len(classes), k))
    out[np.arange(len(classes)), classes] = 1
    return out


def test_multilabel_confusion_meter():
    """test/meters.lua's MultilabelConfusionMeter (one-hot targets as the test's scatter makes them)."""
    mtr = tnt.MultiLabelConfusionMeter(k=3, normalized=False)
    output = lg.Tensor([[.8, 0.1, 0.1], [10, 11, 10], [0.2, 0.2, .3]])
    mtr.add(output, one_hot([0, 1, 2], 3))
    assert np.array_equal(mtr.value().numpy(), np.eye(3))
    mtr.add(output, one_hot([1, 0, 0], 3))
    conf = mtr.value().numpy()
    assert conf.sum() == 6 and np.trace(conf) == 3
    assert conf[0].sum() == 3 and conf[1].sum() == 2 and conf[1, 2] == 0 and conf[2].sum() == 1 and conf[2, 2] == 1

    mtr = tnt.MultiLabelConfusionMeter(k=4, normalized=True)
    output = lg.Tensor([[.8, 0.1, 0.1, 0], [10, 11, 10, 0], [0.2, 0.2, .3, 0], [0, 0, 0, 1]])
    mtr.add(output, one_hot([0, 1, 2, 3], 4))
    assert mtr.value().sum() == pytest.approx(4, abs=1e-3)
    mtr.add(output, one_hot([1, 0, 0, 3], 4))
    assert np.allclose(mtr.value().numpy().sum(1), 1, atol=1e-3)


def test_auc_meter():
    """test/meters.lua's AUCMeter: random scores give about 0.5, separated ones 1; no data gives 0.5."""
    mtr = tnt.AUCMeter()
    assert mtr.value() == 0.5
    lg.manualSeed(41412)
    mtr.add(lg.rand(1000), lg.zeros(1000))
    mtr.add(lg.rand(1000), lg.Tensor(1000).fill(1))
    assert abs(mtr.value()[0] - 0.5) < 0.1
    mtr.reset()
    for v in (0, .1, .2, .3, .4):
        mtr.add(lg.Tensor(1000).fill(v), lg.zeros(1000))
    mtr.add(lg.Tensor(1000).fill(1), lg.Tensor(1000).fill(1))
    auc, tpr, fpr = mtr.value()
    assert auc == 1 and tpr.nElement() == fpr.nElement() == 6001


APMETER_CASES = [
    # target, output, weight, expected (test/meters.lua's aptest1..8, weighted then not)
    ([0, 1, 0, 1], [.1, .2, .3, 4], [.5, 1, 2, .1], (1 * 0.1 / 0.1 + 0 * 2.0 / 2.1 + 1.1 * 1 / 3.1 + 0 * 1 / 4) / 2),
    ([0, 1, 0, 1], [.1, .2, .3, 4], None, (1 * 1 / 1 + 0 * 1 / 2 + 2 * 1 / 3 + 0 * 1 / 4) / 2),
    ([0, 1, 0, 1], [4, 3, 2, 1], [1, 2, 3, 4], (0 * 1 / 1 + 1 * 2 / 3 + 2 * 0 / 6 + 6 * 1 / 10) / 2),
    ([0, 1, 0, 1], [4, 3, 2, 1], None, (0 * 1 + 1 * 1 / 2 + 0 * 1 / 3 + 2 * 1 / 4) / 2),
    ([0, 1, 0, 1], [1, 4, 2, 3], [1, 2, 3, 4], (4 * 1 / 4 + 6 * 1 / 6 + 0 * 6 / 9 + 0 * 6 / 10) / 2),
    ([0, 1, 0, 1], [1, 4, 2, 3], None, (1 * 1 + 2 * 1 / 2 + 0 * 1 / 3 + 0 * 1 / 4) / 2),
    ([0, 0, 0, 0], [1, 4, 2, 3], [1.0, 0.1, 0.0, 0.5], 0),
    ([0, 0, 0, 0], [1, 4, 2, 3], None, 0),
    ([1, 1, 0], [3, 1, 2], [1, 0.1, 3], (1 * 1 / 1 + 1 * 0 / 4 + 1.1 / 4.1) / 2),
    ([1, 1, 0], [3, 1, 2], None, (1 * 1 + 0 * 1 / 2 + 2 * 1 / 3) / 2),
]


@pytest.mark.parametrize('target,output,weight,expected', APMETER_CASES)
def test_ap_meter_cases(target, output, weight, expected):
    """test/meters.lua's APMeter aptest1..8 (mAPMeter's two of them: its mean over one class)."""
    mtr = tnt.APMeter()    # torch.Tensor is a DoubleTensor in the Lua test
    mtr.add(lg.DoubleTensor(output), lg.DoubleTensor(target), None if weight is None else lg.DoubleTensor(weight))
    ap = mtr.value()
    assert ap.type() == 'legonn.DoubleTensor' and ap.size() == (1,)
    assert ap[0] == pytest.approx(expected, rel=1e-12)
    mtr = tnt.mAPMeter()
    mtr.add({'output': lg.DoubleTensor(output), 'target': lg.DoubleTensor(target),
             'weight': weight and lg.DoubleTensor(weight)})
    assert mtr.value() == pytest.approx(expected, rel=1e-12)


def test_ap_meter_several_classes():
    """test/meters.lua's aptest9/10 (two classes, weighted and not), mAPMeter's mean of them, and aptest11
    (examples added in two calls)."""
    target = lg.DoubleTensor([[0, 1, 0, 1], [0, 1, 0, 1]]).transpose(0, 1)
    output = lg.DoubleTensor([[.1, .2, .3, 4], [4, 3, 2, 1]]).transpose(0, 1)
    weight = lg.DoubleTensor([[1.0, 0.5, 2.0, 3.0]]).transpose(0, 1)
    weighted = [(1 * 3.0 / 3.0 + 0 * 3.0 / 5.0 + 3.5 * 1 / 5.5 + 0 * 3.5 / 6.5) / 2,
                (0 * 1.0 / 1.0 + 1 * 0.5 / 1.5 + 0 * 0.5 / 3.5 + 1 * 3.5 / 6.5) / 2]
    plain = [(1 * 1 + 0 * 1 / 2 + 2 * 1 / 3 + 0 * 1 / 4) / 2, (0 * 1 + 1 * 1 / 2 + 0 * 1 / 3 + 2 * 1 / 4) / 2]
    for w, expected in ((weight, weighted), (None, plain)):
        mtr, mean = tnt.APMeter(), tnt.mAPMeter()
        mtr.add(output, target, w)
        mean.add(output, target, w)
        assert np.allclose(mtr.value().numpy(), expected, rtol=1e-12)
        assert mean.value() == pytest.approx(np.mean(expected), rel=1e-12)
    mtr = tnt.APMeter()
    mtr.add(lg.DoubleTensor(5, 4).fill(.25), lg.LongTensor(5, 4).fill(1))
    mtr.add(lg.DoubleTensor(1, 4).fill(.25), lg.LongTensor(1, 4).fill(1))
    assert np.array_equal(mtr.value().numpy(), np.ones(4))
    assert mtr.scores.size() == (6, 4) and mtr.targets.type() == 'legonn.LongTensor'


def test_moving_average_value_meter():
    """test/meters.lua's MovingAverageValueMeter with a window of 3."""
    mtr = tnt.MovingAverageValueMeter(3)
    for value, (avg, std) in zip([1, 3, 5, 4, 0], [(1, 0), (2, math.sqrt(2)), (3, 2), (4, 1), (3, math.sqrt(7))]):
        mtr.add(value)
        assert mtr.value() == pytest.approx((avg, std), rel=1e-15)


def test_ndcg_meter():
    """test/meters.lua's NDCGMeter: Wikipedia's example, NDCG@6 = 0.932."""
    mtr = tnt.NDCGMeter(K=[6])
    relevance = lg.DoubleTensor([3, 2, 3, 0, 1, 2])
    mtr.add(lg.linspace(6, 1, 6).double(), relevance)
    assert mtr.value()[6] == pytest.approx(0.932, abs=1e-3)
    assert mtr.value(6) == mtr.value()[6]


@pytest.mark.parametrize('meter,expected', [(tnt.PrecisionMeter, (100 * 5 / 6, 100)),
                                            (tnt.RecallMeter, (100 * 5 / 7, 100 * 3 / 7))])
def test_precision_and_recall_meters(meter, expected):
    """test/meters.lua's PrecisionMeter (tp 5, fp 1 at 0.5; only true positives at 0.7) and RecallMeter (tp 5, fn 2
    at 0.5; tp 3, fn 4 at 0.7), the default threshold [0.5] given as an empty named table."""
    target = lg.zeros(10)
    target.narrow(0, 2, 7).fill(1)
    output = lg.zeros(10)
    output.narrow(0, 1, 6).fill(1)
    mtr = meter({})
    mtr.add(output, target)
    assert mtr.value()[0.5] == pytest.approx(expected[0], abs=1e-2)
    mtr = meter(threshold=[.5, .7])
    output = lg.zeros(10)
    output.narrow(0, 1, 3).fill(.5)
    output.narrow(0, 4, 3).fill(.7)
    mtr.add(output, target)
    assert mtr.value() == pytest.approx({0.5: expected[0], 0.7: expected[1]}, abs=1e-2)


def test_precision_at_k_meter():
    """test/meters.lua's PrecisionAtKMeter, batch then online."""
    output = lg.Tensor([[.5, .1, .4], [.1, .5, .4], [.1, .4, .5]])
    mtr = tnt.PrecisionAtKMeter(topk=[1, 2, 3])
    target = lg.eye(3)
    for _ in range(2):     # adding the same twice changes nothing
        mtr.add(output, target)
        assert mtr.value() == pytest.approx({1: 100, 2: 100 * 3 / 6, 3: 100 * 3 / 9})
    mtr.reset()
    target[0][2] = 1
    mtr.add(output, target)
    assert mtr.value() == pytest.approx({1: 100, 2: 100 * 4 / 6, 3: 100 * 4 / 9})
    mtr.reset()
    mtr.add(lg.Tensor([[.1, .5, .4], [.1, .5, .4], [.5, .4, .1]]), target)
    assert mtr.value() == pytest.approx({1: 100 / 3, 2: 100 * 2 / 6, 3: 100 * 4 / 9})

    mtr = tnt.PrecisionAtKMeter(topk=[1, 2, 3], online=True)
    mtr.add(output, lg.eye(3))
    assert mtr.value() == pytest.approx({1: 100, 2: 100 * 3 / 6, 3: 100 * 3 / 9})
    mtr.add(output, lg.eye(3))
    assert mtr.value() == pytest.approx({1: 100, 2: 100 * 6 / 6, 3: 100 * 6 / 9})


def test_time_meter():
    """test/meters.lua's TimeMeter (a shorter wait), and timemeter.lua's unit, stop and resume."""
    mtr = tnt.TimeMeter()
    mtr.reset()
    start = lg.tic()
    while lg.toc(start) < 0.05:
        pass
    assert 0.04 < mtr.value() < 1
    mtr = tnt.TimeMeter(unit=True)
    mtr.stop()
    frozen = mtr.timer.time()['real']
    mtr.incUnit()
    mtr.inc_unit(3)
    assert mtr.value() == frozen / 4
    mtr.resume()
    assert mtr.value() >= frozen / 4


# --- the meters against transcriptions of their Lua loops --------------------------------------------------------


def lua_ap(scores, targets, weights=None):
    """apmeter.lua's value(): per column, sorted by torch.sort(scores, 1, true), tp = cumsum(truth (x weight)),
    range 1..N (or cumsum(weight)), ap = sum of precision at the positives / max(positives, 1)."""
    n, K = scores.shape
    ap = np.zeros(K)
    for k in range(K):
        sortind = th_sort_desc(scores[:, k])
        tp, seen, total, positives = 0.0, 0.0, 0.0, 0
        for rank in range(n):
            truth = targets[sortind[rank], k]
            w = 1.0 if weights is None else weights[sortind[rank]]
            tp += truth * w
            seen += w
            if truth == 1:
                total += tp / seen if seen else math.nan
                positives += 1
        ap[k] = total / max(positives, 1)
    return ap


def test_ap_meter_against_the_lua_loops():
    """apmeter.lua on tie-heavy scores added in three batches, with and without weights: the precision curve over
    TH's sort order (a stable order gives other numbers here), one class with a single positive."""
    rng = np.random.default_rng(3)
    scores, targets = tied(rng, 60, 5, levels=3), rng.integers(0, 2, (60, 5))
    weights = rng.random(60) + 0.1
    targets[:, 4] = 0
    targets[17, 4] = 1     # a class with one positive: divided by max(positives, 1)
    for w in (None, weights):
        mtr = tnt.APMeter()
        for part in (slice(0, 7), slice(7, 30), slice(30, 60)):
            mtr.add(lg.as_tensor(scores[part]), lg.as_tensor(targets[part]), None if w is None else w[part])
        expected = lua_ap(scores, targets, w)
        assert mtr.value().numpy().tolist() == expected.tolist()
    stable = [np.argsort(-scores[:, k], kind='stable') for k in range(5)]
    assert any(s.tolist() != th_sort_desc(scores[:, k]) for k, s in enumerate(stable))


def lua_auc(scores, targets):
    """aucmeter.lua's value(): the ROC curve step by step over torch.sort(scores, 1, true), then the sum of
    tpr[n] * (fpr[n+1] - fpr[n])."""
    sortind = th_sort_desc(scores)
    n = len(scores)
    tpr, fpr = [0.0] * (n + 1), [0.0] * (n + 1)
    for i in range(1, n + 1):
        if targets[sortind[i - 1]] == 1:
            tpr[i], fpr[i] = tpr[i - 1] + 1, fpr[i - 1]
        else:
            tpr[i], fpr[i] = tpr[i - 1], fpr[i - 1] + 1
    positives = sum(targets)
    tpr = [v / positives for v in tpr]
    fpr = [v / (n - positives) for v in fpr]
    auc = 0.0
    for i in range(n):   # THTensor_(sumall): first to last
        auc += tpr[i] * (fpr[i + 1] - fpr[i])
    return auc, tpr, fpr


def test_auc_meter_against_the_lua_loops():
    """aucmeter.lua on tie-heavy scores (float32 tensors, as a network gives them)."""
    rng = np.random.default_rng(4)
    scores, targets = tied(rng, 500, levels=7).astype(np.float32), rng.integers(0, 2, 500)
    mtr = tnt.AUCMeter()
    mtr.add(lg.as_tensor(scores[:200]), lg.as_tensor(targets[:200]))
    mtr.add(scores[200:], targets[200:])
    auc, tpr, fpr = mtr.value()
    expected = lua_auc(scores.astype(np.float64), targets)
    assert auc == expected[0]
    assert np.allclose(tpr.numpy(), expected[1], rtol=1e-15) and np.allclose(fpr.numpy(), expected[2], rtol=1e-15)


def test_class_error_meter_against_the_lua_loops():
    """classerrormeter.lua: output:double():topk(maxk, 2, true, true) and the hits among each first k, on rows
    with ties (THTensor_(topk) decides which tied classes are in the top k); accuracy = (1 - err / n) * 100."""
    rng = np.random.default_rng(5)
    output, target = tied(rng, 50, 20, levels=3), rng.integers(0, 20, 50)
    for accuracy in (False, True):
        mtr = tnt.ClassErrorMeter(topk=[5, 1, 3], accuracy=accuracy)
        mtr.add(lg.as_tensor(output[:20]), lg.as_tensor(target[:20]))
        mtr.add(lg.as_tensor(output[20:]).float(), lg.LongTensor(target[20:]))
        wrong = {k: 0 for k in (1, 3, 5)}
        for row, t in zip(output, target):
            pred = th_topk(row, 5)
            for k in wrong:
                wrong[k] += 1 - sum(p == t for p in pred[:k])
        expected = {k: (1 - w / 50) * 100 if accuracy else w * 100 / 50 for k, w in wrong.items()}
        assert mtr.value() == expected
    one = tnt.ClassErrorMeter(topk=[1])
    one.add(lg.Tensor([0.1, 0.7, 0.2]), lg.LongTensor([1]))    # one example: K scores and its class
    assert one.value(1) == 0


def test_confusion_meter_against_the_lua_loops():
    """confusionmeter.lua: conf[target][argmax] += 1 (TH's max: the first of ties), one-hot targets by their max;
    normalized rows divided by max(row sum, 1e-12)."""
    rng = np.random.default_rng(6)
    output, target = tied(rng, 40, 6, levels=3), rng.integers(0, 6, 40)
    expected = np.zeros((6, 6), dtype=np.int64)
    for row, t in zip(output, target):
        best = 0
        for i in range(6):
            if not row[i] <= row[best]:
                best = i
        expected[t, best] += 1
    plain, onehot, normalized = tnt.ConfusionMeter(6), tnt.ConfusionMeter(6), tnt.ConfusionMeter(6, True)
    plain.add(output, target)
    onehot.add(output, one_hot(target, 6))
    normalized.add(output, target)
    assert np.array_equal(plain.value().numpy(), expected) and np.array_equal(onehot.value().numpy(), expected)
    assert np.array_equal(normalized.value().numpy(), expected / np.maximum(expected.sum(1, keepdims=True), 1e-12))
    assert np.array_equal(tnt.ConfusionMeter(3, True).value().numpy(), np.zeros((3, 3)))


def test_multilabel_confusion_meter_against_the_lua_loops():
    """multilabelconfusionmeter.lua: the m top classes of torch.sort(output, 2, true) (ties in TH's order) against
    the m positive labels; hits on the diagonal, 1/(misses) from each missed label to each wrong prediction."""
    rng = np.random.default_rng(7)
    output, target = tied(rng, 30, 14, levels=3), rng.integers(0, 2, (30, 14))
    expected = np.zeros((14, 14))
    for row, labels in zip(output, target):
        pos = [c for c in range(14) if labels[c] == 1]
        pred = th_sort_desc(row)[:len(pos)]
        missed = [c for c in pos if c not in pred]
        wrong = [c for c in pred if c not in pos]
        for c in pos:
            if c in pred:
                expected[c, c] += 1
        for a in missed:
            for b in wrong:
                expected[a, b] += 1 / len(wrong)
    mtr = tnt.MultiLabelConfusionMeter(14, False)
    mtr.add(output, target)
    assert np.allclose(mtr.value().numpy(), expected, rtol=1e-15)
    mtr = tnt.MultiLabelConfusionMeter(14)
    mtr.add(output, target)
    assert np.allclose(mtr.value().numpy(), expected / (expected.sum(1, keepdims=True) + 1e-8), rtol=1e-15)


def dcg(rel, index, k):
    """ndcgmeter.lua's computeDCG: rel[index[1]] + the sum, first to last, of rel[index[i]] / (log(i) / log(2))."""
    tail = 0.0
    for i in range(2, k + 1):
        tail += rel[index[i - 1]] / (math.log(i) / math.log(2))
    return rel[index[0]] + tail


def test_ndcg_meter_against_the_lua_loops():
    """ndcgmeter.lua: DCG_k = rel[index[1]] + sum_{i=2..k} rel[index[i]] / (log(i) / log(2)) over
    torch.sort(output, 2, true) (ties in TH's order), over the ideal DCG; averaged over examples."""
    rng = np.random.default_rng(8)
    output, relevance = tied(rng, 12, 15, levels=3), rng.integers(1, 4, (12, 15)).astype(np.float64)

    mtr = tnt.NDCGMeter(K=[10, 1, 4])
    mtr.add(lg.as_tensor(output[:5]), lg.as_tensor(relevance[:5]))
    mtr.add(lg.as_tensor(output[5:]), lg.as_tensor(relevance[5:]))
    for k in (1, 4, 10):
        expected = sum(dcg(rel, th_sort_desc(row), k) / dcg(rel, th_sort_desc(rel), k)
                       for row, rel in zip(output, relevance)) / 12
        assert mtr.value(k) == expected


def test_precision_at_k_meter_against_the_lua_loops():
    """precisionatkmeter.lua on tied scores along each dim: batch mode (topk, sort, gather, sum of the first k)
    and online mode (meter/init.lua's __updatetopk: the maxk best of [kept, new] by the unsorted topk, then
    value()'s sort), documents added in three parts."""
    rng = np.random.default_rng(9)
    output, target = tied(rng, 6, 40, levels=4), rng.integers(0, 2, (6, 40))
    for dim in (0, 1):
        lines_out, lines_tgt = (output, target) if dim == 1 else (output.T, target.T)
        mtr = tnt.PrecisionAtKMeter(topk=[1, 5], dim=dim)
        mtr.add(output, target)
        for k in (1, 5):
            hits = sum(lines_tgt[n][th_topk(lines_out[n], 5)][:k].sum() for n in range(len(lines_out)))
            assert mtr.value(k) == pytest.approx(hits / (len(lines_out) * k) * 100, rel=1e-15)
    mtr = tnt.PrecisionAtKMeter(topk=[2, 5], online=True)
    kept_out, kept_tgt = np.full((6, 5), -np.inf), np.zeros((6, 5))
    for part in (slice(0, 9), slice(9, 25), slice(25, 40)):
        mtr.add(output[:, part], target[:, part])
        buf_out = np.concatenate([kept_out, output[:, part]], axis=1)
        buf_tgt = np.concatenate([kept_tgt, target[:, part]], axis=1)
        for n in range(6):
            top = th_topk(buf_out[n], 5, sort=False)
            kept_out[n], kept_tgt[n] = buf_out[n][top], buf_tgt[n][top]
    for k in (2, 5):
        hits = sum(kept_tgt[n][th_sort_desc(kept_out[n])][:k].sum() for n in range(6))
        assert mtr.value(k) == pytest.approx(hits / (6 * k) * 100, rel=1e-15)


def test_threshold_meters_per_class():
    """precisionmeter.lua / recallmeter.lua with perclass: tp / (tp + fp) or tp / (tp + fn) per class in %, 100
    where the denominator is 0, counted in the output's type; the overall value sums over classes."""
    output = np.array([[.9, .2, .6], [.4, .1, .8], [.7, .3, .1]], dtype=np.float32)
    target = np.array([[1, 0, 0], [1, 0, 1], [0, 0, 1]])
    precision, recall = tnt.PrecisionMeter(perclass=True), tnt.RecallMeter(perclass=True)
    precision.add(output, target)
    recall.add(output, target)
    # class 0: predicted rows 0, 2 (row 0 right); class 1: none predicted, no positives; class 2: rows 0, 1 (1 right)
    assert precision.value(0.5).numpy().tolist() == [50, 100, 50]
    assert recall.value(0.5).numpy().tolist() == [50, 100, 50]
    assert precision.value(0.5).type() == 'legonn.FloatTensor'
    assert tnt.PrecisionMeter(threshold=[.5]).value() == {0.5: 100}


def test_mse_meter():
    """msemeter.lua: the squared differences summed over every add, over the element count; root gives its
    square root."""
    rng = np.random.default_rng(10)
    a, b = rng.random((4, 3)), rng.random((4, 3))
    c, d = rng.random(5), rng.random(5)
    expected = (sum((x - y) ** 2 for x, y in zip(a.ravel(), b.ravel())) +
                sum((x - y) ** 2 for x, y in zip(c, d))) / 17
    mtr, root = tnt.MSEMeter(), tnt.MSEMeter(root=True)
    for m in (mtr, root):
        m.add(lg.as_tensor(a), lg.as_tensor(b))
        m.add(c, d)
    assert mtr.value() == pytest.approx(expected, rel=1e-14)
    assert root.value() == pytest.approx(math.sqrt(expected), rel=1e-14)
    assert tnt.MSEMeter().value() == 0


# --- forms and bad input -------------------------------------------------------------------------------------------


def test_named_tables_and_keywords():
    """argcheck's named tables: ``tnt.X{k=v}`` is one dict, or keyword arguments; add and value take one too."""
    a, b = tnt.ClassErrorMeter({'topk': [5, 1], 'accuracy': True}), tnt.ClassErrorMeter(topk=[1, 5], accuracy=True)
    assert a.topk == b.topk == [1, 5] and a.accuracy and b.accuracy
    assert tnt.MovingAverageValueMeter({'windowsize': 4}).windowsize == 4
    mtr = tnt.AverageValueMeter()
    mtr.add({'value': 2, 'n': 3})
    assert mtr.value()[0] == 2 and mtr.n == 3
    assert tnt.PrecisionAtKMeter({'topk': [2], 'dim': 0, 'online': True}).dim == 0
    # example/mnist.lua's clerr:value{k = 1}
    clerr = tnt.ClassErrorMeter({'topk': [1]})
    clerr.add(lg.Tensor([[0.1, 0.9], [0.8, 0.2]]), lg.LongTensor([1, 1]))
    assert clerr.value({'k': 1}) == clerr.value(k=1) == clerr.value(1) == 50
    assert tnt.RecallMeter().value({'t': 0.5}) == 100 and math.isnan(tnt.NDCGMeter().value({'K': 1}))   # 0/0


def test_whole_number_floats_are_counts():
    """Lua's numbers are doubles: ``tnt.ConfusionMeter{k = n / 2}`` or ``topk = {1, 5.0}`` are counts in torchnet
    (LongTensor(k, k), LongTensor(topk)). Each meter built with whole-number floats measures as with ints (the
    meters refused them); a fractional one stays refused."""
    rng = np.random.default_rng(3)
    scores, classes = rng.random((9, 4)), rng.integers(0, 4, 9)
    labels = (rng.random((9, 4)) > 0.5).astype(np.float64)
    pairs = [(lambda k: tnt.ConfusionMeter(k), (4, 4.0), lambda m: m.add(scores, classes),
              lambda m: m.value().tolist()),
             (lambda k: tnt.MultiLabelConfusionMeter(k), (4, 4.0), lambda m: m.add(scores, labels),
              lambda m: m.value().tolist()),
             (lambda k: tnt.ClassErrorMeter(topk=[k, 1]), (2, 2.0), lambda m: m.add(scores, classes),
              lambda m: m.value()),
             (lambda k: tnt.NDCGMeter(K=[k]), (3, 3.0), lambda m: m.add(scores, labels + 1), lambda m: m.value()),
             (lambda k: tnt.PrecisionAtKMeter(topk=[k], dim=k - 2), (2, 2.0), lambda m: m.add(scores, labels),
              lambda m: m.value()),
             (lambda k: tnt.MovingAverageValueMeter(k), (3, 3.0), lambda m: [m.add(v) for v in scores[0]],
              lambda m: m.value())]
    for make, (whole, as_float), feed, read in pairs:
        meters = make(whole), make(as_float)
        for m in meters:
            feed(m)
        assert read(meters[0]) == read(meters[1])
        with pytest.raises(ValueError, match=r'^tnt\.\w+: .* got \[?\d\.5'):
            make(whole + 0.5)


@pytest.mark.parametrize('call,message', [
    (lambda: tnt.ConfusionMeter(3).add(np.zeros((2, 4)), [0, 1]), 'tnt.ConfusionMeter.add: number of outputs'),
    (lambda: tnt.ConfusionMeter(3).add(np.zeros((2, 3)), [0, 3]), 'tnt.ConfusionMeter.add: expected targets as'),
    (lambda: tnt.ConfusionMeter(3).add(np.zeros((2, 3)), [[1, 1, 0], [0, 0, 1]]), 'multi-label'),
    (lambda: tnt.ConfusionMeter(0), 'tnt.ConfusionMeter: expected k'),
    (lambda: tnt.ClassErrorMeter(topk=[5]).add(np.zeros((2, 3)), [0, 1]), 'tnt.ClassErrorMeter.add: topk 5'),
    (lambda: tnt.ClassErrorMeter().add(np.zeros((2, 3)), [0, 1, 2]), 'tnt.ClassErrorMeter.add: target and output'),
    (lambda: tnt.ClassErrorMeter().value(5), 'tnt.ClassErrorMeter.value: invalid k 5'),
    (lambda: tnt.ClassErrorMeter(topk=[]), 'tnt.ClassErrorMeter: expected topk'),
    (lambda: tnt.APMeter().add(np.zeros(3), [0, 2, 1]), 'tnt.APMeter.add: targets should be binary'),
    (lambda: tnt.APMeter().add(np.zeros(3), [0, 1, 1], [1, -1, 1]), 'tnt.APMeter.add: weight should be non-neg'),
    (lambda: tnt.APMeter().add(np.zeros((3, 2)), np.zeros((3, 1))), 'tnt.APMeter.add: dimensions for output'),
    (lambda: tnt.APMeter().value(), 'tnt.APMeter.value: no examples'),
    (lambda: tnt.AUCMeter().add(np.zeros((3, 2)), np.zeros(6)), 'tnt.AUCMeter.add: dimensionality of output'),
    (lambda: tnt.AUCMeter().add(np.zeros(3), np.zeros(4)), 'tnt.AUCMeter.add: number of outputs'),
    (lambda: tnt.NDCGMeter(K=[4]).add(np.zeros(3), np.ones(3)), 'tnt.NDCGMeter.add: too few results'),
    (lambda: tnt.NDCGMeter(K=[2]).add(np.zeros(3), np.zeros(3)), 'tnt.NDCGMeter.add: NDCG@2 of example 0'),
    (lambda: tnt.NDCGMeter().add(np.zeros((2, 3)), np.ones(3)), 'tnt.NDCGMeter.add: relevance and output do not'),
    (lambda: tnt.RecallMeter().add(np.zeros((2, 3, 1, 2)), np.ones(3)), 'tnt.RecallMeter.add: wrong output or target'),
    (lambda: tnt.PrecisionAtKMeter(dim=2), 'tnt.PrecisionAtKMeter: value of dimension should be 0 or 1'),
    (lambda: tnt.PrecisionAtKMeter(topk=[4]).add(np.zeros((2, 3)), np.zeros((2, 3))), 'topk 4 is larger'),
    (lambda: tnt.PrecisionMeter(threshold=[1.5]), 'tnt.PrecisionMeter: expected threshold'),
    (lambda: tnt.RecallMeter().value(0.3), 'tnt.RecallMeter.value: 0.3 is an incorrect threshold'),
    (lambda: tnt.MSEMeter().add(np.zeros(3), np.zeros(4)), 'tnt.MSEMeter.add: output and target not the same size'),
    (lambda: tnt.AverageValueMeter().add(1, -1), 'tnt.AverageValueMeter.add: example weights cannot be negative'),
    (lambda: tnt.MovingAverageValueMeter(0), 'tnt.MovingAverageValueMeter: expected windowsize'),
    (lambda: tnt.MultiLabelConfusionMeter(3).add(np.zeros((2, 3)), np.zeros((2, 4))), 'number of targets'),
])
def test_bad_input_names_the_meter(call, message):
    """The Lua asserts, as ValueErrors naming the meter and what came."""
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize('call,message', [
    (lambda: tnt.AverageValueMeter().add('1'), 'tnt.AverageValueMeter.add: expected value as a number, got str'),
    (lambda: tnt.AUCMeter().add('scores', [1]), 'tnt.AUCMeter.add: expected output as a tensor, got str'),
    (lambda: tnt.MSEMeter().add(np.zeros(3), np.zeros(3, np.float32)), 'tnt.MSEMeter.add: output and target not the'),
    (lambda: tnt.Meter().value(), None),
])
def test_bad_types_name_the_meter(call, message):
    """argcheck's type errors (a number where a tensor goes, ...), and the base Meter's unimplemented methods."""
    if message is None:
        with pytest.raises(NotImplementedError, match='tnt.Meter.value'):
            call()
        return
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.gpu
def test_cuda_inputs_are_read_on_the_host():
    """Meters keep their observations on the host, as torchnet's Double/Long buffers: CUDA outputs are copied."""
    output, target = lg.Tensor([[.1, .9], [.8, .2]]), lg.LongTensor([1, 0])
    mtr, conf = tnt.ClassErrorMeter(), tnt.ConfusionMeter(2)
    mtr.add(output.cuda(), target.cuda())
    conf.add(output.cuda(), target.cuda())
    assert mtr.value() == {1: 0} and np.array_equal(conf.value().numpy(), np.eye(2))


def test_ranking_meters_sum_in_torchs_order():
    """apmeter.lua's precision[truth:byte()]:sum(), mapmeter.lua's value():mean(), aucmeter.lua's cmul(...):sum()
    and ndcgmeter.lua's DCG sum are THTensor_(sumall)s, first to last in double: with 20000 examples (and 40
    results ranked) the meters give the Lua loops' numbers exactly, where NumPy's pairwise sums were tens of
    ulps away."""
    rng = np.random.default_rng(9)
    n = 20000
    scores, targets = rng.random((n, 2)), (rng.random((n, 2)) < 0.3).astype(np.int64)
    weights = rng.random(n) + 0.1
    for w in (None, weights):
        ap = tnt.APMeter()
        ap.add(scores, targets, w)
        expected = lua_ap(scores, targets, w)
        assert ap.value().numpy().tolist() == expected.tolist()
    mean = tnt.mAPMeter()
    mean.add(scores, targets)
    total = 0.0
    for v in lua_ap(scores, targets):
        total += v
    assert mean.value() == total / 2
    auc = tnt.AUCMeter()
    auc.add(scores[:, 0], targets[:, 0])
    expected_auc = lua_auc(scores[:, 0], targets[:, 0])[0]
    assert auc.value()[0] == expected_auc
    order = th_sort_desc(scores[:, 0])
    positives = targets[order, 0] == 1
    tpr = np.concatenate([[0.0], np.cumsum(positives)]) / positives.sum()
    fpr = np.concatenate([[0.0], np.cumsum(~positives)]) / (~positives).sum()
    assert (tpr[:-1] * (fpr[1:] - fpr[:-1])).sum() != expected_auc   # the pairwise sum this replaced
    output, relevance = rng.random((30, 40)), rng.random((30, 40))
    ndcg = tnt.NDCGMeter(K=[40])
    ndcg.add(output, relevance)
    expected = 0.0
    for row, rel in zip(output, relevance):
        expected += dcg(rel, th_sort_desc(row), 40) / dcg(rel, th_sort_desc(rel), 40)
    assert ndcg.value(40) == expected / 30
