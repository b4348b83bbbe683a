"""ConfusionMatrix: counts, accuracies and Torch7's printed table (0-based classes)."""
import numpy as np
import pytest

import legonn as lg
from legonn import optim


def test_add_forms_and_valids():
    cm = optim.ConfusionMatrix(['cat', 'dog', 'bird'])
    cm.add(0, 0)                                # index, index
    cm.add(np.array([0.1, 0.7, 0.2]), 1)        # scores, index
    cm.add(lg.FloatTensor([0.9, 0.05, 0.05]), np.array([0, 1, 0]))   # scores, one-hot
    cm.add(2, 2)
    cm.add(1, -1)                               # negative target: missing, ignored
    expected = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(cm.mat.array, expected)
    cm.updateValids()
    np.testing.assert_allclose(cm.valids.array, [1, 0.5, 1])
    np.testing.assert_allclose(cm.unionvalids.array, [0.5, 0.5, 1])
    assert cm.totalValid == pytest.approx(0.75)
    assert cm.averageValid == pytest.approx(2.5 / 3)
    assert cm.classAccuracy('dog') == pytest.approx(0.5) and cm.classAccuracy(2) == 1


def test_batch_add_matches_single_adds():
    rng = np.random.RandomState(0)
    scores = rng.rand(50, 4)
    targets = rng.randint(0, 4, 50)
    a, b = optim.ConfusionMatrix(4), optim.ConfusionMatrix(4)
    a.batchAdd(lg.DoubleTensor(scores), targets)
    for s, t in zip(scores, targets):
        b.add(s, int(t))
    np.testing.assert_array_equal(a.mat.array, b.mat.array)
    assert a.mat.array.sum() == 50
    c = optim.ConfusionMatrix(4)
    c.batchAdd(scores.argmax(1), np.eye(4)[targets])      # index predictions, one-hot targets
    np.testing.assert_array_equal(c.mat.array, a.mat.array)
    c.zero()
    assert c.mat.array.sum() == 0 and c.totalValid == 0


def test_batch_of_as_many_indices_as_classes():
    cm = optim.ConfusionMatrix(3)
    cm.batchAdd(np.array([2, 0, 1]), lg.LongTensor([2, 1, 1]))
    np.testing.assert_array_equal(cm.mat.array, [[0, 0, 0], [1, 1, 0], [0, 0, 1]])


def test_print_like_torch():
    cm = optim.ConfusionMatrix(['a', 'b'])
    cm.batchAdd(np.array([0, 0, 1, 1, 1]), np.array([0, 0, 1, 1, 0]))
    text = str(cm)
    assert text.splitlines() == [
        'ConfusionMatrix:',
        '[[       2       1]   66.667% \t[class: a]',
        ' [       0       2]]  100.000% \t[class: b]',
        ' + average row correct: 83.333334326744% ',                    # 2/3 read back from a FloatTensor
        ' + average rowUcol correct (VOC measure): 66.666668653488% ',
        ' + global correct: 80%']


def test_unseen_class_is_skipped_in_average():
    cm = optim.ConfusionMatrix(3)
    cm.batchAdd(np.array([0, 1]), np.array([0, 1]))
    cm.updateValids()
    assert np.isnan(cm.valids.array[2]) and cm.averageValid == 1.0


def test_bad_input():
    with pytest.raises(ValueError, match='positive class count'):
        optim.ConfusionMatrix(0)
    cm = optim.ConfusionMatrix(3)
    with pytest.raises(ValueError, match=r'\[0, 3\) \(0-based\), got 3'):
        cm.add(3, 0)
    with pytest.raises(ValueError, match='5 predictions but 4 targets'):
        cm.batchAdd(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match='4 columns, expected 3'):
        cm.batchAdd(np.zeros((2, 4)), np.zeros(2))
    assert cm.mat.array.sum() == 0


def test_averages_are_taken_from_the_float32_valids_as_torch7():
    """ConfusionMatrix.lua averages self.valids[t], read back from its FloatTensor: the printed averages carry
    float32's rounding (61.111111442248%, not 61.111111111111%)."""
    cm = optim.ConfusionMatrix(3)
    for prediction, target in ((0, 0), (1, 0), (2, 0), (1, 1), (2, 2), (0, 2)):
        cm.add(prediction, target)
    cm.updateValids()
    assert cm.averageValid == (float(np.float32(1 / 3)) + 1.0 + 0.5) / 3
    assert ' + average row correct: 61.111111442248% ' in str(cm)


def test_fewer_scores_than_classes_are_scores():
    """ConfusionMatrix.lua's batchAdd and add take the max over whatever columns come (ConfusionMatrix.lua's
    ``self._max:max(self._pred_idx, self._prediction, 2)``): a 2-output net counted in a 4-class matrix lands in
    classes 0 and 1. legonn refused any column count but the class count (ImageNet-Training's Main.lua builds
    its matrix from the class list, whatever the net's outputs)."""
    cm = optim.ConfusionMatrix(4)
    cm.batchAdd(np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]]), np.array([0, 1, 3]))
    cm.add(np.array([0.1, 0.6, 0.3]), 2)
    cm.batchAdd(np.array([[0.0, 1.0, 0.0]]), np.array([[0.0, 0.0, 1.0]]))     # one-hot targets of 3 columns
    want = np.zeros((4, 4), dtype=int)
    want[0, 0] = want[1, 1] = want[3, 1] = 1      # mat[target, prediction]
    want[2, 1] = 2
    np.testing.assert_array_equal(cm.mat.array, want)


def test_one_class_takes_a_score_vector():
    """ConfusionMatrix.lua's add takes the max of any 1-D prediction: with one class, a vector of one score is
    class 0 (Lua's 1), and a one-hot target of one entry too."""
    cm = optim.ConfusionMatrix(1)
    cm.add(lg.FloatTensor([0.3]), 0)
    cm.add(np.array([-2.0]), lg.FloatTensor([1.0]))
    np.testing.assert_array_equal(cm.mat.array, [[2]])
    cm.batchAdd(np.array([[0.0], [0.0]]), np.array([0, -1]))     # N x 1: indices, as batchAdd flattens them
    np.testing.assert_array_equal(cm.mat.array, [[3]])


def test_scores_tie_in_float32_as_in_the_lua_buffers():
    """add and batchAdd copy the scores into FloatTensor buffers before the max: double scores equal in float32
    tie, and the first of them is the prediction."""
    near = np.array([0.1, 0.1 + 1e-12, 0.05])
    assert np.float32(near[0]) == np.float32(near[1]) and near.argmax() == 1
    cm = optim.ConfusionMatrix(3)
    cm.add(lg.DoubleTensor(near), 2)
    cm.batchAdd(lg.DoubleTensor(np.stack([near, near[[2, 0, 1]]])), lg.DoubleTensor(np.eye(3)[[0, 1]]))
    np.testing.assert_array_equal(cm.mat.array, [[1, 0, 0], [0, 1, 0], [1, 0, 0]])


def test_class_names_with_holes_print_as_lua():
    """None stands for a hole in Lua's table of names: `self.classes[t] or ''` prints an empty name, and a
    hole at the first class (`self.classes[1]` nil) prints no names at all."""
    cm = optim.ConfusionMatrix(['a', None, 'c'])
    cm.batchAdd(np.array([0, 1, 2]), np.array([0, 1, 2]))
    lines = str(cm).splitlines()
    assert lines[1].endswith('\t[class: a]') and lines[2].endswith('% \t[class: ]')
    assert lines[3].endswith('\t[class: c]')
    cm = optim.ConfusionMatrix(3, [None, 'b', 'c'])
    cm.batchAdd(np.array([0, 1, 2]), np.array([0, 1, 2]))
    assert str(cm).splitlines()[1:4] == ['[[       1       0       0]   100.000% ',
                                         ' [       0       1       0]   100.000% ',
                                         ' [       0       0       1]]  100.000% ']


def test_class_names_in_a_table_filled_by_index():
    """nagadomi/kaggle-cifar10-torch7's SETTINGS.lua fills ``CLASSES[v] = k`` from ``pairs(LABEL2ID)``, a Lua
    sequence whose entries arrive in any order, which a port holds as a dict of 0-based keys; optim's
    ConfusionMatrix.lua takes any table (``classes = nclasses; nclasses = #classes``)."""
    cm = optim.ConfusionMatrix({2: 'deer', 0: 'frog', 1: 'truck'})
    assert cm.nclasses == 3 and cm.classes == ['frog', 'truck', 'deer']
    cm.add(lg.FloatTensor([0.1, 0.2, 0.7]), lg.FloatTensor([0, 0, 1]))
    assert str(cm).splitlines()[3].endswith('\t[class: deer]')
    with pytest.raises(ValueError, match='0-based'):
        optim.ConfusionMatrix({1: 'truck', 2: 'deer'})
