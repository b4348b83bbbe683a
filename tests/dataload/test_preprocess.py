"""utils.lua's rescale and binarize, preprocess.lua's fitImageNormalize (test.lua dltest.fitImageNormalize at
a small scale), each against plain loops in float64."""
import numpy as np
import pytest

import legonn as lg
from legonn import dataload as dl


def test_rescale_in_place_as_the_lua_steps():
    """utils.lua dl.rescale: add(-dmin), mul(max-min), mul(1/(dmax-dmin)), add(min), in place, in the tensor's
    type; given dmin/dmax are used instead of the data's."""
    x = np.random.default_rng(0).uniform(-3, 5, (4, 5))
    t = lg.DoubleTensor(x.copy())
    assert dl.rescale(t, -1, 2) is t
    expected = np.empty_like(x)
    lo, hi = x.min(), x.max()
    for i in range(4):
        for j in range(5):
            expected[i, j] = (x[i, j] - lo) * 3.0 * (1.0 / (hi - lo)) + -1.0
    np.testing.assert_array_equal(t.numpy(), expected)
    arr = np.float32([0, 5, 10])
    dl.rescale(arr, 0, 1, 0, 20)   # an array is wrapped: rescaled in place
    np.testing.assert_array_equal(arr, np.float32([0, 0.25, 0.5]))
    with pytest.raises(ValueError, match=r"dataload.rescale: the data range is empty \(dmin = dmax = 1"):
        dl.rescale(lg.Tensor(3).fill(1), 0, 1)
    with pytest.raises(TypeError, match="dataload.rescale: expected data as a legonn.Tensor, numpy.ndarray or "
                                        "cupy.ndarray, got list"):
        dl.rescale([1, 2], 0, 1)


def test_binarize_in_two_steps():
    """utils.lua dl.binarize: below threshold -> 0, then at or above -> 1 (so with threshold <= 0 the zeros
    just written become 1, as in the Lua)."""
    x = lg.Tensor([0.1, 0.5, 0.7, -2])
    np.testing.assert_array_equal(dl.binarize(x, 0.5).numpy(), [0, 1, 1, 0])
    np.testing.assert_array_equal(dl.binarize(lg.Tensor([0.1, -2, 3]), 0).numpy(), [1, 1, 1])


def channel_stats(batches, dim, nsample):
    """preprocess.lua: per channel, the sum over batches of the batch's mean and unbiased std, * 32 / nsample."""
    nchannel = batches[0].shape[dim]
    mean, std = np.zeros(nchannel), np.zeros(nchannel)
    for b in batches:
        for c in range(nchannel):
            values = np.take(b, c, axis=dim).astype(np.float64).reshape(-1)
            m = sum(values) / len(values)
            mean[c] += m
            std[c] += np.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))
    return mean * 32 / nsample, std * 32 / nsample


def test_fit_image_normalize(tmp_path):
    """preprocess.lua fitImageNormalize: channel statistics over the iterator's batches of 32, then a function
    subtracting the mean and dividing by the std per channel in place; cached to cachepath and read back
    (test.lua dltest.fitImageNormalize: normalised samples have mean ~0 and std ~1)."""
    rng = np.random.default_rng(3)
    images = (rng.normal(size=(96, 3, 4, 4)) * np.array([1, 2, 4]).reshape(1, 3, 1, 1)
              + np.array([5, -1, 0]).reshape(1, 3, 1, 1)).astype(np.float32)
    trainset = dl.TensorLoader(images, np.zeros(96))
    cache = tmp_path / 'meanstd.legonn'
    ppf = dl.fitImageNormalize(trainset, 64, str(cache), False, 1, 'subiter')
    mean, std = channel_stats([images[:32], images[32:64]], 1, 64)
    batch = lg.Tensor(images[64:].copy())
    assert ppf(batch) is batch
    expected = (images[64:].astype(np.float64) - mean.reshape(1, 3, 1, 1)) / std.reshape(1, 3, 1, 1)
    np.testing.assert_allclose(batch.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert abs(batch.numpy().mean()) < 0.3 and abs(batch.numpy().std() - 1) < 0.2
    saved = lg.load(str(cache))
    np.testing.assert_allclose(saved['mean'].numpy(), mean, rtol=1e-12)
    again = dl.fitImageNormalize(dl.TensorLoader(np.zeros((2, 3, 1, 1), np.float32), np.zeros(2)), 64, str(cache))
    batch = lg.Tensor(images[64:].copy())
    np.testing.assert_allclose(again(batch).numpy(), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="dataload.fitImageNormalize: iterator must be 'sampleiter' or 'subiter'"):
        dl.fitImageNormalize(trainset, iterator='each')
