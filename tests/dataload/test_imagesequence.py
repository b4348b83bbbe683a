"""MultiImageSequence (MultiImageSequence.lua) with the stand-in image package of test_imageclass: test.lua's
``dltest.MultiImageSequence`` (frames in order, each input with its target, zero frames between sequences,
subiter giving every sequence back, the target sample size in proportion, sampleTrain's crops)."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import dataload as dl
from tests.dataload.test_imageclass import fake_image_package, write_image


def getid(img):
    return int(np.argmax(np.asarray(img).reshape(-1)))


@pytest.fixture
def frames(tmp_path):
    """test.lua: 256 one-hot 1 x 16 x 16 frames (input i lit at i, target at 255 - i), sequences of 1 to 7
    frames starting every 7th frame, in folders seq<first frame>."""
    rng = np.random.default_rng(0)
    eye = np.eye(256, dtype=np.float32)
    sequences = {}
    for first in range(0, 256 - 6, 7):
        seqdir = f'seq{first:03d}'
        n = int(rng.integers(1, 8))
        for j in range(n):
            write_image(tmp_path / seqdir / f'input{j + 1}.png', eye[first + j].reshape(1, 16, 16))
            write_image(tmp_path / seqdir / f'target{j + 1}.png', eye[255 - first - j].reshape(1, 16, 16))
        sequences[seqdir] = list(range(first, first + n))
    return tmp_path, sequences


def make(root, batchsize=4, **kwargs):
    ds = dl.MultiImageSequence(str(root), batchsize, [[1, 16, 16], [1, 16, 16]], [1, 16, 16], verbose=False,
                               image=fake_image_package([]), **kwargs)
    ds.inputpattern, ds.targetpattern = 'input%d.png', 'target%d.png'
    return ds


def test_index_and_sub(frames):
    """test.lua dltest.MultiImageSequence: nframe, the sequences, size() = ceil((frames + sequences) /
    batchsize); ``sub(1, 15)`` read column by column gives a zero frame, then each sequence's frames in order,
    each input with its target."""
    root, sequences = frames
    ds = make(root)
    ds.buildIndex()
    nframe = sum(len(s) for s in sequences.values())
    assert ds.nframe == nframe and [d for d, _ in ds.seqdirs] == sorted(sequences)
    assert ds.size() == math.ceil((nframe + len(sequences)) / 4)
    order = [sequences[d] for d, _ in ds.seqdirs]
    inputs, targets = ds.sub(0, 14)
    assert inputs.size() == (15, 4, 1, 16, 16)
    expected, nextseq = [], 0   # each column: a zero frame, then the next sequence (cut at 15 frames), ...
    for _ in range(4):
        column = []
        while len(column) < 15:
            column.append(None)
            column += order[nextseq][:15 - len(column)]
            nextseq += 1
        expected.append(column)
    for c in range(4):
        for t in range(15):
            frame = expected[c][t]
            if frame is None:
                assert inputs.numpy()[t, c].sum() == 0 and targets.numpy()[t, c].sum() == 0
            else:
                assert getid(inputs.numpy()[t, c]) == frame and getid(targets.numpy()[t, c]) == 255 - frame


def test_subiter_gives_every_sequence_back(frames):
    """test.lua dltest.MultiImageSequence subiter(15) after reset(): column 0 over the epoch, cut at the zero
    frames, holds whole sequences; the zero frames number between the sequences and that plus 2 per column."""
    root, sequences = frames
    ds = make(root)
    ds.sub(0, 3)
    ds.reset()
    column, nstart = [], 0
    for _, inputs, _ in ds.subiter(15):
        sums = inputs.numpy().reshape(inputs.size(0), inputs.size(1), -1).sum(2)
        nstart += int((sums == 0).sum())
        column += [None if frame.sum() == 0 else getid(frame) for frame in inputs.numpy()[:, 0]]
    assert len(column) == ds.size()
    assert len(sequences) <= nstart <= len(sequences) + 4 * 2
    pieces, current = [], None
    for frame in column:
        if frame is None:
            if current:
                pieces.append(current)
            current = []
        else:
            current.append(frame)
    wanted = list(sequences.values())
    for piece in pieces:
        assert piece in wanted
        wanted.remove(piece)


def test_target_sample_size_follows_the_input_one(tmp_path):
    """MultiImageSequence.lua: the target sample size is the input's scaled by the load sizes' ratio (test.lua:
    load sizes 128 and 96, input sample 64 -> target 48)."""
    ds = dl.MultiImageSequence(str(tmp_path), 4, [[3, 128, 128], [3, 96, 96]], [3, 64, 64], verbose=False)
    assert ds.samplesize == [[3, 64, 64], [3, 48, 48]]
    with pytest.raises(ValueError, match=r"MultiImageSequence: samplesize \[3, 200, 64\] is larger than the input"):
        dl.MultiImageSequence(str(tmp_path), 4, [[3, 128, 128], [3, 96, 96]], [3, 200, 64])
    with pytest.raises(TypeError, match="MultiImageSequence: loadsize must be \\[input sizes, target sizes\\]"):
        dl.MultiImageSequence(str(tmp_path), 4, [3, 128, 128])
    with pytest.raises(ValueError, match="MultiImageSequence: no sequence folder with input1... frames"):
        ds.size()


def test_sample_train_crops_a_sequence_at_one_place(tmp_path):
    """MultiImageSequence.lua sampleTrain: cH, cW drawn at a sequence's first frame; the input's crop starts
    at (ceil(cH (iH - oH)), ceil(cW (iW - oW))), the target's at its own sizes' share; later frames keep them."""
    rng = np.random.default_rng(2)
    img = rng.uniform(size=(1, 8, 10)).astype(np.float32)
    write_image(tmp_path / 'frame.png', img)
    path = str(tmp_path / 'frame.png')
    ds = dl.MultiImageSequence(str(tmp_path), 1, [[1, 8, 8], [1, 8, 8]], [1, 4, 4], 'sampleTrain', False,
                               fake_image_package([]))
    input, target = lg.FloatTensor(1, 4, 4), lg.FloatTensor(1, 4, 4)
    tracker = {'idx': 0}
    lg.manualSeed(6)
    ds.sampleTrain(input, target, path, path, tracker)
    lg.manualSeed(6)
    ch, cw = lg.uniform(), lg.uniform()
    top, left = math.ceil(ch * 4), math.ceil(cw * 6)
    np.testing.assert_array_equal(input.numpy(), img[:, top:top + 4, left:left + 4])
    np.testing.assert_array_equal(target.numpy(), img[:, top:top + 4, left:left + 4])
    tracker['idx'] = 1
    ds.sampleTrain(input, target, path, path, tracker)
    np.testing.assert_array_equal(input.numpy(), img[:, top:top + 4, left:left + 4])


def test_varyloadsize_scales_each_sequence(tmp_path):
    """MultiImageSequence.lua loadImage with varyloadsize: a load size round(s + scale (l - s)) drawn at the
    first frame, the same scale for the target; the image's smaller side is scaled to it."""
    write_image(tmp_path / 'frame.png', np.ones((1, 16, 20), np.float32))
    path = str(tmp_path / 'frame.png')
    ds = dl.MultiImageSequence(str(tmp_path), 1, [[1, 16, 24], [1, 12, 18]], [1, 8, 12], verbose=False,
                               image=fake_image_package([]))
    assert ds.samplesize[1] == [1, 6, 9]
    ds.varyloadsize = True
    tracker = {'idx': 0}
    lg.manualSeed(8)
    got = ds.loadImage(path, 0, tracker)
    target = ds.loadImage(path, 1, tracker)
    lg.manualSeed(8)
    scale = lg.uniform()
    side = min(math.floor(8 + scale * 8 + 0.5), math.floor(12 + scale * 12 + 0.5))
    assert got.size(1) == side and got.size(2) == int(20 * side / 16)
    assert target.size(1) == min(math.floor(6 + scale * 6 + 0.5), math.floor(9 + scale * 9 + 0.5))
