"""legonn.mnist: andresy/mnist's traindataset/testdataset on tiny IDX files written here."""
import gzip

import numpy as np
import pytest

from legonn import mnist


def _idx(array):
    """An IDX file of unsigned bytes, written by hand from the format (magic 0x0800 + ndim, big-endian sizes)."""
    head = (0x800 + array.ndim).to_bytes(4, 'big') + b''.join(int(d).to_bytes(4, 'big') for d in array.shape)
    return head + array.astype(np.uint8).tobytes()


def _write(folder, prefix, images, labels, gz=False):
    for kind, array in (('images-idx3', images), ('labels-idx1', labels)):
        name = folder / f'{prefix}-{kind}-ubyte'
        if gz:
            with gzip.open(str(name) + '.gz', 'wb') as fh:
                fh.write(_idx(array))
        else:
            name.write_bytes(_idx(array))


def _digits(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def test_traindataset_fields_and_index(tmp_path):
    """andresy/mnist init.lua createdataset: {data=ByteTensor N x 28 x 28, label=ByteTensor N, size=N} and
    __index(idx) = {x=data[idx], y=label[idx]} (1-based there, 0-based here)."""
    images, labels = _digits(5)
    _write(tmp_path, 'train', images, labels)
    ds = mnist.traindataset(tmp_path)
    assert ds.size == 5 and len(ds) == 5
    assert ds.data.type() == 'legonn.ByteTensor' and ds.data.size() == (5, 28, 28)
    assert ds.label.type() == 'legonn.ByteTensor' and ds.label.size() == (5,)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.label.numpy(), labels)
    item = ds[3]
    np.testing.assert_array_equal(item['x'].numpy(), images[3])
    assert item['y'] == labels[3]
    assert item['x'].storage() is ds.data.storage()   # data[idx] is a view, as the Lua's
    with pytest.raises(IndexError, match='0..4'):
        ds[5]


def test_testdataset_gz_and_env(tmp_path, monkeypatch):
    """init.lua testdataset reads the t10k-* pair; the .gz files (as distributed) read the same, and the
    folder comes from MNIST_PATH when no path is given."""
    images, labels = _digits(3, seed=1)
    _write(tmp_path, 't10k', images, labels, gz=True)
    monkeypatch.setenv('MNIST_PATH', str(tmp_path))
    ds = mnist.testdataset()
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.label.numpy(), labels)


def test_missing_files_name_folder_and_source(tmp_path):
    """init.lua opens the files with torch.DiskFile, which fails on a missing file; here the error names the
    folder, both files and where to get them."""
    with pytest.raises(FileNotFoundError) as err:
        mnist.traindataset(tmp_path)
    text = str(err.value)
    assert str(tmp_path) in text and 'train-images-idx3-ubyte' in text and 'train-labels-idx1-ubyte' in text
    assert 'yann.lecun.com' in text


def test_header_checks(tmp_path):
    """init.lua readlush: ndim = magic - 0x800 must be > 0 and each size > 0; the data bytes must all be
    there (DiskFile's readByte fails on a short file); images and labels must agree in count."""
    images, labels = _digits(4)
    _write(tmp_path, 'train', images, labels)
    good = (tmp_path / 'train-images-idx3-ubyte').read_bytes()
    (tmp_path / 'train-images-idx3-ubyte').write_bytes(good[:-10])
    with pytest.raises(ValueError, match='truncated'):
        mnist.traindataset(tmp_path)
    (tmp_path / 'train-images-idx3-ubyte').write_bytes((0x0D03).to_bytes(4, 'big') + good[4:])
    with pytest.raises(ValueError, match='magic'):
        mnist.traindataset(tmp_path)
    (tmp_path / 'train-images-idx3-ubyte').write_bytes(good[:8] + (0).to_bytes(4, 'big') + good[12:])
    with pytest.raises(ValueError, match='positive sizes'):
        mnist.traindataset(tmp_path)
    _write(tmp_path, 'train', images, labels[:3])
    with pytest.raises(ValueError, match='3 labels for 4 images'):
        mnist.traindataset(tmp_path)
