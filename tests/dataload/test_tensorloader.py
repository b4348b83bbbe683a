"""TensorLoader and DataLoader's iterators: dataload's test.lua (``dltest.TensorLoader``, the sub/sample parts
of ``dltest.loadMNIST``) with 0-based indices."""
import numpy as np
import pytest

import legonn as lg
from legonn import dataload as dl


def nested_loader():
    inputs = [lg.randn(100, 3, 4), [lg.randn(100, 2)]]
    targets = [lg.randn(100), [lg.randn(100, 1)]]
    return dl.TensorLoader(inputs, targets), inputs, targets


def test_sizes_of_nested_tensors():
    """test.lua dltest.TensorLoader, TensorLoader.lua size/isize/tsize (torchx.recursiveSize): dimension 0
    left out by default, kept with False."""
    ds, _, _ = nested_loader()
    assert ds.size() == 100
    assert ds.isize() == [[3, 4], [[2]]]
    assert ds.tsize() == [[], [[1]]]
    assert ds.isize(False) == [[100, 3, 4], [[100, 2]]]
    assert ds.tsize(1) == [[100], [[100]]]


def test_sub_gathers_rows_of_every_nested_tensor():
    """test.lua dltest.TensorLoader: ``ds:sub(2,5)`` equals the inputs' ``sub(2,5)`` (here ``sub(1, 4)``)."""
    ds, inputs, targets = nested_loader()
    got_inputs, got_targets = ds.sub(1, 4)
    np.testing.assert_array_equal(got_inputs[0].numpy(), inputs[0].numpy()[1:5])
    np.testing.assert_array_equal(got_inputs[1][0].numpy(), inputs[1][0].numpy()[1:5])
    np.testing.assert_array_equal(got_targets[0].numpy(), targets[0].numpy()[1:5])
    np.testing.assert_array_equal(got_targets[1][0].numpy(), targets[1][0].numpy()[1:5])


def test_sample_reuses_the_buffers_it_is_given():
    """test.lua dltest.loadMNIST: ``train:sample(100, inputs, targets)`` writes into the storages of the
    tensors ``train:sub(1,100)`` returned; the targets are rows of the data (DataLoader.lua sample: indices in
    [0, size))."""
    x = lg.Tensor(50, 2).copy(lg.range(0, 99).view(50, 2))
    y = lg.range(0, 49)
    ds = dl.TensorLoader(x, y)
    inputs, targets = ds.sub(0, 19)
    istorage, tstorage = inputs.storage(), targets.storage()
    inputs2, targets2 = ds.sample(20, inputs, targets)
    assert inputs2 is inputs and targets2 is targets
    assert inputs.storage() is istorage and targets.storage() is tstorage
    rows = targets.numpy().astype(int)
    assert rows.min() >= 0 and rows.max() <= 49
    np.testing.assert_array_equal(inputs.numpy(), x.numpy()[rows])


def test_shuffle_permutes_rows_together():
    """test.lua dltest.TensorLoader shuffle: sums kept, rows 1..4 changed; inputs and targets stay paired."""
    ds, inputs, targets = nested_loader()
    before = [t.numpy().copy() for t in (inputs[0], inputs[1][0], targets[0], targets[1][0])]
    _, perm = ds.shuffle()
    after = [t.numpy() for t in (ds.inputs[0], ds.inputs[1][0], ds.targets[0], ds.targets[1][0])]
    for b, a in zip(before, after):
        assert abs(b.sum() - a.sum()) < 1e-3
        assert abs(b[1:5].sum() - a[1:5].sum()) > 1e-5
        np.testing.assert_array_equal(a, b[perm.numpy()])


def test_split_views_the_first_ratio_and_the_rest():
    """test.lua dltest.TensorLoader split(0.2): rows 1..20 and 21..100 (here 0..19 and 20..99), views of the
    same storage (dltest.loadMNIST's pointer check)."""
    ds, _, _ = nested_loader()
    ds1, ds2 = ds.split(0.2)
    assert (ds1.size(), ds2.size()) == (20, 80)
    np.testing.assert_array_equal(ds1.inputs[0].numpy(), ds.inputs[0].numpy()[:20])
    np.testing.assert_array_equal(ds2.targets[1][0].numpy(), ds.targets[1][0].numpy()[20:])
    assert ds1.inputs[0].storage() is ds.inputs[0].storage() is ds2.inputs[0].storage()


def test_subiter_stops_continues_and_wraps():
    """test.lua dltest.TensorLoader subiter: 28 samples by 10 (10, 10, 8), then 16 by 8 going on from row 28,
    then 100 by 32 wrapping to row 0 after a short batch (DataLoader.lua subiter)."""
    ds, _, _ = nested_loader()
    rows = ds.inputs[0].numpy()

    def run(batchsize, epochsize):
        got = [(k, i[0].numpy().copy()) for k, i, _ in ds.subiter(batchsize, epochsize)]
        return [k for k, _ in got], [b for _, b in got]

    ks, batches = run(10, 28)
    assert ks == [10, 20, 28]
    np.testing.assert_array_equal(np.concatenate(batches), rows[:28])
    ks, batches = run(8, 16)
    assert ks == [8, 16]
    np.testing.assert_array_equal(np.concatenate(batches), rows[28:44])
    ks, batches = run(32, 100)
    # rows 44..75, 76..99 (short: a batch never crosses the end), 0..31, 32..43
    assert [len(b) for b in batches] == [32, 24, 32, 12] and ks == [32, 56, 88, 100]
    np.testing.assert_array_equal(np.concatenate(batches), np.concatenate([rows[44:], rows[:44]]))
    assert ds._start == 44


def test_subiter_of_five_by_two():
    """test.lua dltest.TensorLoader's simple subiter: range(1,5) by 2 for 6 samples gives {1,2} {3,4} {5} {1}."""
    loader = dl.TensorLoader(lg.range(0, 4), lg.range(0, 4))
    got = [inputs.numpy().tolist() for _, inputs, _ in loader.subiter(2, 6)]
    assert got == [[0, 1], [2, 3], [4], [0]]


def test_whole_number_floats_are_counts():
    """Lua's numbers are doubles: ``subiter(opt.batchsize, n / 2)``, ``sub(1, 4.0)`` or ``sample(32.0)`` work in
    dataload. Whole-number floats give what ints give (the loaders refused them); a fractional one is refused."""
    loader = dl.TensorLoader(lg.range(0, 9), lg.range(0, 9))
    assert [t.tolist() for _, _, t in loader.subiter(3.0, 7.0)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [n for n, _, _ in dl.TensorLoader(lg.range(0, 9), lg.range(0, 9)).subiter(4, 9.0)] == [4, 8, 9]
    assert loader.sub(1.0, 4.0)[0].tolist() == [1, 2, 3, 4]
    lg.manualSeed(5)
    drawn = [t.tolist() for _, _, t in loader.sampleiter(4.0, 6.0)]
    lg.manualSeed(5)
    assert drawn == [t.tolist() for _, _, t in loader.sampleiter(4, 6)] and [len(t) for t in drawn] == [4, 2]
    assert dl.SequenceLoader(lg.range(0, 9).long(), 2.0).data.tolist() == \
        dl.SequenceLoader(lg.range(0, 9).long(), 2).data.tolist()
    assert dl.MultiSequence([lg.LongTensor([1, 2, 3])], 2.0).batchsize == 2
    with pytest.raises(TypeError, match="TensorLoader.subiter: batchsize must be an integer, got float 2.5"):
        next(loader.subiter(2.5))


def test_sampleiter_draws_every_row_uniformly():
    """test.lua dltest.TensorLoader sampleiter: 1000 samples by 24 of 100 rows; each sampled row is a row of
    the data with its targets; every row drawn; the counts' std in (2.3, 4)."""
    ds, _, _ = nested_loader()
    index_of = {float(s): i for i, s in enumerate(ds.inputs[0].numpy().reshape(100, -1).sum(1))}
    counts = np.zeros(100)
    nsampled = None
    for nsampled, inputs, targets in ds.sampleiter(24, 1000):
        for r in range(inputs[0].size(0)):
            i = index_of[float(inputs[0].numpy()[r].sum())]
            counts[i] += 1
            np.testing.assert_array_equal(inputs[1][0].numpy()[r], ds.inputs[1][0].numpy()[i])
            assert targets[0].numpy()[r] == ds.targets[0].numpy()[i]
    assert nsampled == 1000 and counts.sum() == 1000 and counts.min() > 0
    assert 2.3 < counts.std(ddof=1) < 4


def test_numpy_arrays_are_wrapped_without_a_copy():
    """TensorLoader.lua keeps the tensors it is given; NumPy arrays are wrapped (DESIGN.md decision 4)."""
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = dl.TensorLoader(x, np.arange(6))
    assert np.shares_memory(ds.inputs.numpy(), x)


def test_clone_is_deep_unless_named():
    """DataLoader.lua clone(...): a serialised copy, with the fields named shared."""
    ds = dl.TensorLoader(lg.randn(4, 2), lg.randn(4))
    copy = ds.clone()
    assert copy.inputs.storage() is not ds.inputs.storage()
    np.testing.assert_array_equal(copy.inputs.numpy(), ds.inputs.numpy())
    assert ds.clone('inputs').inputs is ds.inputs


def test_bad_input_names_the_class():
    """TensorLoader.lua asserts equal batch sizes and 0 < ratio < 1; DataLoader.lua's abstract methods
    raise "Not Implemented"."""
    with pytest.raises(ValueError, match=r"TensorLoader: .*same size of dimension 0.*\[4, 5\]"):
        dl.TensorLoader(lg.randn(4, 2), lg.randn(5))
    with pytest.raises(TypeError, match=r"TensorLoader: expected inputs .* as a legonn.Tensor, numpy.ndarray or "
                                        r"cupy.ndarray, got str"):
        dl.TensorLoader('x', lg.randn(5))
    ds = dl.TensorLoader(lg.randn(4, 2), lg.randn(4))
    with pytest.raises(ValueError, match=r"TensorLoader.split: expected 0 < ratio < 1, got 1"):
        ds.split(1)
    with pytest.raises(ValueError, match=r"TensorLoader.sub: expected 0 <= start <= stop < size\(\) = 4"):
        ds.sub(2, 4)
    with pytest.raises(ValueError, match="TensorLoader.subiter: batchsize must be positive, got 0"):
        next(ds.subiter(0))
    with pytest.raises(NotImplementedError, match="DataLoader.size is not implemented"):
        dl.DataLoader().size()


@pytest.mark.gpu
def test_cuda_tensors_stay_on_the_gpu():
    """TensorLoader.lua/SequenceLoader.lua/MultiSequence.lua on cutorch tensors: batches are CUDA tensors of
    the same values as on the CPU (indices drawn on the CPU, as DataLoader.lua's LongTensor)."""
    x, y = lg.randn(10, 3), lg.range(0, 9)
    cpu, gpu = dl.TensorLoader(x, y), dl.TensorLoader(x.cuda(), y.cuda())
    lg.manualSeed(5)
    expected = cpu.sample(4)
    lg.manualSeed(5)
    got = gpu.sample(4)
    assert got[0].type() == 'legonn.CudaTensor'
    np.testing.assert_array_equal(got[0].cpu().numpy(), expected[0].numpy())
    assert [k for k, _, _ in gpu.subiter(4)] == [4, 8, 10]
    seq = dl.SequenceLoader(lg.range(0, 20).cudaLong(), 2)
    assert next(seq.subiter(3))[1].type() == 'legonn.CudaLongTensor'
    multi = dl.MultiSequence([lg.LongTensor([1, 2, 3]).cudaLong(), lg.LongTensor([4, 5]).cudaLong()], 2)
    assert multi.sub(0, 3)[0].tolist() == [[-1, -1], [1, 1], [2, 2], [-1, -1]]   # column 0 takes both sequences
