"""ClassNLLCriterion on the GPU: its two kernels (cuda_kernels.class_nll_forward/backward) give what the array
code gives; a forward reads the device once (the loss and the labels' range together) and a backward reads
nothing for labels a forward checked, also when one criterion serves every step of a sequence, and
CrossEntropyCriterion leaves the labels' range to them."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.criterions import criterion as criterion_module
from tests.checks import on_gpu

pytestmark = pytest.mark.gpu


@pytest.fixture
def range_reads(monkeypatch):
    """How many label ranges the criterions read from the device (each a host synchronisation)."""
    reads, bounds = [], criterion_module.index_bounds

    def counting(labels):
        reads.append(labels.size)
        return bounds(labels)
    monkeypatch.setattr(criterion_module, 'index_bounds', counting)
    return reads


def batch(dtype, rows=7, classes=5, seed=0):
    rng = np.random.default_rng(seed)
    x = on_gpu(lg.from_numpy(rng.standard_normal((rows, classes))).type(f'legonn.{dtype}Tensor'))
    labels = rng.integers(0, classes, (rows, 3))
    labels[[1, rows - 1], 2] = -100
    return x, lg.from_numpy(labels).cudaLong()


@pytest.mark.parametrize('dtype', ['Float', 'Double'])
@pytest.mark.parametrize('weighted', [False, True], ids=['unweighted', 'weighted'])
@pytest.mark.parametrize('ignore,average', [(-100, True), (-100, False), (3, True)])
def test_the_kernels_equal_the_array_code(monkeypatch, raw_launches, dtype, weighted, ignore, average):
    x, labels = batch(dtype)
    weights = lg.from_numpy(np.linspace(0.5, 2.0, 5)) if weighted else None
    column = labels.select(1, 2) if ignore == -100 else labels.select(1, 0)   # labels read through a stride

    def run():
        criterion = nn.ClassNLLCriterion(weights, average).type(x.type())
        criterion.ignoreIndex = ignore
        loss = criterion.forward(x, column)
        assert criterion.total_weight_tensor.type() == x.type()
        return loss, criterion.backward(x, column).cpu().numpy(), criterion.total_weight_tensor[0]
    loss, grad, total = run()
    assert raw_launches == ['class_nll_forward', 'class_nll_backward']
    assert isinstance(loss, float)
    monkeypatch.setenv('LEGONN_GENERIC_KERNELS', '1')
    raw_launches.clear()
    want_loss, want_grad, want_total = run()
    assert raw_launches == []
    assert total == want_total
    tol = 1e-6 if dtype == 'Float' else 1e-12
    assert loss == pytest.approx(want_loss, rel=tol)
    np.testing.assert_allclose(grad, want_grad, rtol=tol)


def test_one_sample_takes_the_kernels_too(raw_launches):
    x = lg.from_numpy(np.log(np.array([0.2, 0.5, 0.3]))).cudaDouble()
    criterion = nn.ClassNLLCriterion().type(x.type())
    label = lg.LongTensor([1]).cudaLong()
    assert criterion.forward(x, label) == pytest.approx(-np.log(0.5))
    np.testing.assert_allclose(criterion.backward(x, label).cpu().numpy(), [0, -1, 0])
    assert raw_launches == ['class_nll_forward', 'class_nll_backward']
    assert criterion.forward(x, 2) == pytest.approx(-np.log(0.3))   # a number: a new label tensor each call


def test_a_backward_reads_no_labels_a_forward_checked(range_reads):
    x, labels = batch('Float')
    criterion = nn.ClassNLLCriterion().cuda()
    criterion.forward(x, labels.select(1, 0))
    criterion.backward(x, labels.select(1, 0))   # another view of the same labels
    assert range_reads == []
    criterion.backward(x, labels.select(1, 1))   # labels no forward saw: their range is read
    assert range_reads == [7]
    criterion.clearState()
    criterion.backward(x, labels.select(1, 0))
    assert range_reads == [7, 7]


def test_one_criterion_over_a_sequence_reads_nothing_on_the_way_back(range_reads):
    x, labels = batch('Double', rows=4)
    steps = [labels.select(1, t) for t in range(3)]
    criterion = nn.ClassNLLCriterion().type(x.type())
    losses = [criterion.forward(x, y) for y in steps]
    grads = [criterion.backward(x, y).cpu().numpy() for y in reversed(steps)][::-1]
    assert range_reads == []
    cpu = nn.ClassNLLCriterion().double()
    for y, loss, grad in zip(steps, losses, grads):
        assert loss == pytest.approx(cpu.forward(x.cpu(), y.cpu()), rel=1e-12)
        np.testing.assert_allclose(grad, cpu.backward(x.cpu(), y.cpu()).numpy(), rtol=1e-12)


def test_labels_out_of_range_are_refused_and_change_nothing():
    x, _ = batch('Float', rows=3)
    criterion = nn.ClassNLLCriterion().cuda()
    good = lg.LongTensor([0, 1, 2]).cudaLong()
    loss = criterion.forward(x, good)
    for bad, seen in (([0, 5, 1], r'\[0, 5\]'), ([-1, 0, -100], r'\[-1, 0\]')):
        with pytest.raises(IndexError, match=rf'ClassNLLCriterion: expected labels in \[0, 5\) \(0-based\), got '
                                             rf'labels in {seen}'):
            criterion.forward(x, lg.LongTensor(bad).cudaLong())
        assert criterion.output == loss
        with pytest.raises(IndexError, match=rf'ClassNLLCriterion: expected labels in .* got labels in {seen}'):
            criterion.backward(x, lg.LongTensor(bad).cudaLong())   # a backward of labels no forward checked reads them
    assert criterion.forward(x, lg.LongTensor([-100] * 3).cudaLong()) == 0   # every row ignored


def test_cross_entropy_leaves_the_labels_to_its_kernels(range_reads):
    x, labels = batch('Double', rows=4)
    y = labels.select(1, 0)
    criterion = nn.CrossEntropyCriterion().type(x.type())
    loss = criterion.forward(x, y)
    grad = criterion.backward(x, y).cpu().numpy()
    assert range_reads == []
    with pytest.raises(IndexError, match=r'CrossEntropyCriterion.*expected labels in \[0, 5\) \(0-based\), got '
                                         r'labels in \[0, 9\]'):
        criterion.forward(x, lg.LongTensor([0, 9, 1, 2]).cudaLong())
    cpu = nn.CrossEntropyCriterion().double()
    assert loss == pytest.approx(cpu.forward(x.cpu(), y.cpu()), rel=1e-12)
    np.testing.assert_allclose(grad, cpu.backward(x.cpu(), y.cpu()).numpy(), rtol=1e-12)
