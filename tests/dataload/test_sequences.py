"""SequenceLoader and MultiSequence: dataload's test.lua (``dltest.MultiSequence``) with 0-based indices, and
each loader against a transcription of its Lua (SequenceLoader.lua, MultiSequence.lua) in plain loops."""
import numpy as np
import pytest

import legonn as lg
from legonn import dataload as dl


def test_sequence_loader_columns_and_targets():
    """SequenceLoader.lua: the sequence cut into ``batchsize`` columns of floor(n / batchsize) steps
    (``view(batchsize, seqlen2):t()``); ``sub(start, stop)`` gives steps start..stop and the next ones."""
    seq = np.arange(23, dtype=np.int64) * 3
    ds = dl.SequenceLoader(seq, 4)
    steps = 23 // 4
    expected = np.empty((steps, 4), dtype=np.int64)
    for col in range(4):
        for t in range(steps):
            expected[t, col] = seq[col * steps + t]
    np.testing.assert_array_equal(ds.data.numpy(), expected)
    assert ds.size() == steps - 1 and ds.isize() == [4] and ds.isize(False) == [steps - 1, 4]
    inputs, targets = ds.sub(1, 3)
    np.testing.assert_array_equal(inputs.numpy(), expected[1:4])
    np.testing.assert_array_equal(targets.numpy(), expected[2:5])
    assert inputs.storage() is ds.data.storage()


def test_sequence_loader_subiter_covers_every_step_once():
    """SequenceLoader.lua subiter(seqlen): DataLoader's subiter over size() = steps - 1 steps, the last batch
    short; the buffers given back are set to the next views."""
    ds = dl.SequenceLoader(lg.range(0, 41).long(), 3)   # 14 steps of 3 columns, 13 with a target
    seen, previous = [], None
    for k, inputs, targets in ds.subiter(5):
        if previous is not None:
            assert inputs is previous
        previous = inputs
        seen.append((k, inputs.numpy().copy(), targets.numpy().copy()))
    assert [k for k, _, _ in seen] == [5, 10, 13]
    np.testing.assert_array_equal(np.concatenate([i for _, i, _ in seen]), ds.data.numpy()[:13])
    np.testing.assert_array_equal(np.concatenate([t for _, _, t in seen]), ds.data.numpy()[1:14])


def test_bidirectional_targets_are_the_inputs():
    """SequenceLoader.lua bidirectional: targets set to the inputs; size() counts every step."""
    ds = dl.SequenceLoader(lg.range(0, 11).long(), 2, True)
    assert ds.size() == 6
    inputs, targets = ds.sub(4, 5)
    np.testing.assert_array_equal(targets.numpy(), inputs.numpy())


def lua_multisequence(sequences, batchsize, lengths):
    """MultiSequence.lua's sub, transcribed with its 1-based indices, called once per length: the batches
    as arrays, the separator as Torch7 writes it (input 0, target 1)."""
    trackers, nextseq, out = {}, 1, []
    for seqlen in lengths:
        inputs = np.zeros((seqlen, batchsize), dtype=np.int64)
        targets = np.zeros((seqlen, batchsize), dtype=np.int64)
        for i in range(1, batchsize + 1):
            tracker = trackers.setdefault(i, {})
            start = 1
            while start <= seqlen:
                if tracker.get('seqid') is None:
                    tracker['idx'] = 1
                    inputs[start - 1, i - 1], targets[start - 1, i - 1] = 0, 1
                    start += 1
                    tracker['seqid'] = nextseq
                    nextseq = nextseq + 1 if nextseq + 1 <= len(sequences) else 1
                if start <= seqlen:
                    seq = sequences[tracker['seqid'] - 1]
                    stop = min(tracker['idx'] + seqlen - start, len(seq) - 1)
                    size = stop - tracker['idx'] + 1
                    for j in range(size):
                        inputs[start - 1 + j, i - 1] = seq[tracker['idx'] - 1 + j]
                        targets[start - 1 + j, i - 1] = seq[tracker['idx'] + j]
                    start += size
                    tracker['idx'] = stop + 1
                    if stop == len(seq) - 1:
                        tracker['seqid'] = None
        out.append((inputs, targets))
    return out


def test_multisequence_matches_the_lua_loops():
    """MultiSequence.lua sub over successive calls (trackers carry each column on), with the separator shifted
    to 0-based word ids: input 0 -> -1, target 1 -> 0 (word ids 1-based in the transcription, 0-based here)."""
    rng = np.random.default_rng(0)
    lua_sequences = [rng.integers(1, 100, size=rng.integers(3, 20)) for _ in range(40)]
    ds = dl.MultiSequence([lg.LongTensor(s - 1) for s in lua_sequences], 5)
    assert ds.size() == int(np.ceil(sum(len(s) for s in lua_sequences) / 5))
    lengths = [15, 7, 1, 30, 15, 60, 80]   # about twice through the 40 sequences: the columns wrap to the first
    inputs = targets = None
    for length, (lua_in, lua_tg) in zip(lengths, lua_multisequence(lua_sequences, 5, lengths)):
        inputs, targets = ds.sub(0, length - 1, inputs, targets)
        np.testing.assert_array_equal(inputs.numpy(), lua_in - 1)
        np.testing.assert_array_equal(targets.numpy(), np.where(lua_in == 0, 0, lua_tg - 1))


def test_multisequence_sub_as_test_lua():
    """test.lua dltest.MultiSequence: reading ``sub(1, 15)`` column by column gives the sequences in order,
    each after a separator (input 0 / target 1 there, -1 / 0 here) and each input followed by its target."""
    rng = np.random.default_rng(1)
    sequences = [rng.integers(0, 100, size=rng.integers(3, 21)) for _ in range(200)]
    ds = dl.MultiSequence([lg.LongTensor(s) for s in sequences], 8)
    inputs, targets = ds.sub(0, 14)
    seqid, seqidx, seq = -1, -1, None
    for i in range(inputs.size(1)):
        column_in, column_tg = inputs.numpy()[:, i], targets.numpy()[:, i]
        if seqidx != 0:
            seqid, seqidx = seqid + 1, 0
            seq = sequences[seqid]
        for j in range(inputs.size(0)):
            if seqidx == 0:
                assert (column_in[j], column_tg[j]) == (-1, 0)
                seqidx = 1
            else:
                assert column_in[j] == seq[seqidx - 1] and column_tg[j] == seq[seqidx]
                seqidx += 1
                if seqidx == len(seq):
                    seqidx, seqid = 0, seqid + 1
                    seq = sequences[seqid]


def test_multisequence_subiter_gives_back_every_sequence():
    """test.lua dltest.MultiSequence subiter(15) after reset(): column 0 over the epoch splits at the
    separators into whole sequences (less their last step); size() steps in all."""
    rng = np.random.default_rng(2)
    sequences = [rng.integers(0, 100, size=rng.integers(3, 21)) for _ in range(200)]
    ds = dl.MultiSequence([lg.LongTensor(s) for s in sequences], 4)
    ds.sub(0, 9)
    ds.reset()
    column, nstart = [], 0
    for _, inputs, _ in ds.subiter(15):
        nstart += int((inputs.numpy() == -1).sum())
        column.extend(inputs.numpy()[:, 0].tolist())
    assert len(column) == ds.size()
    assert 200 <= nstart <= 200 + 4 * 2
    pieces = ' '.join(map(str, column)).split('-1')[1:-1]   # the last piece may be cut by the epoch's end
    wanted = [' '.join(map(str, s[:-1])) for s in sequences]
    for piece in pieces:
        assert piece.strip() in wanted
        wanted.remove(piece.strip())


def test_multisequence_of_vectors():
    """test.lua dltest.MultiSequence: sequences of seqlen x 2 give 15 x 3 x 2 batches (zeros between them)."""
    sequences = [lg.LongTensor(n, 2).random(1, 100) for n in (3, 9, 4, 12)]
    ds = dl.MultiSequence(sequences, 3)
    inputs, targets = ds.sub(0, 14)
    assert inputs.size() == (15, 3, 2) and targets.size() == (15, 3, 2)
    assert ds.isize() == [2] and ds.isize(False) == [ds.size(), 2]
    np.testing.assert_array_equal(inputs.numpy()[0], 0)
    np.testing.assert_array_equal(inputs.numpy()[1:3, 0], sequences[0].numpy()[:2])


def test_randseq_draws_sequences_from_legonns_generator():
    """MultiSequence.lua randseq: each column draws its next sequence at random (math.random there)."""
    sequences = [lg.LongTensor([10 * k, 10 * k + 1]) for k in range(5)]
    ds = dl.MultiSequence(sequences, 2)
    ds.randseq = True
    lg.manualSeed(7)
    inputs, _ = ds.sub(0, 5)
    lg.manualSeed(7)
    draws = [lg.random(0, 5) for _ in range(6)]
    np.testing.assert_array_equal(inputs.numpy()[1::2].T.reshape(-1), [10 * k for k in draws])


def test_bad_input_names_the_class():
    """SequenceLoader.lua/MultiSequence.lua assertions (a tensor, a number; stop within the data) and their
    sampleiter's "Not Implemented. Use subiter instead."."""
    with pytest.raises(TypeError, match="SequenceLoader: expected sequence as a legonn.Tensor, numpy.ndarray or "
                                        "cupy.ndarray, got list"):
        dl.SequenceLoader([1, 2, 3], 1)
    with pytest.raises(TypeError, match="SequenceLoader: batchsize must be an integer, got float 2.5"):
        dl.SequenceLoader(lg.LongTensor(10), 2.5)
    with pytest.raises(ValueError, match=r"SequenceLoader: expected a 1-D sequence .* got sizes \(5, 2\)"):
        dl.SequenceLoader(lg.LongTensor(5, 2), 1)
    ds = dl.SequenceLoader(lg.range(0, 9).long(), 2)
    with pytest.raises(ValueError, match=r"SequenceLoader.sub: expected 0 <= start <= stop < size\(\) = 4"):
        ds.sub(2, 4)
    with pytest.raises(NotImplementedError, match="SequenceLoader.sampleiter is not implemented; use subiter"):
        ds.sampleiter(2)
    with pytest.raises(TypeError, match="MultiSequence: sequences must be a non-empty list of tensors, got LongTensor"):
        dl.MultiSequence(lg.LongTensor(3), 2)
    with pytest.raises(ValueError, match=r"MultiSequence: every sequence needs at least 2 steps .* \[1\]"):
        dl.MultiSequence([lg.LongTensor(3), lg.LongTensor(1)], 2)
