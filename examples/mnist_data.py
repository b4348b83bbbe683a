"""MNIST for the examples: the bundled 5,000-digit subset by default, or the
standard IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally .gz) from a folder.

The bundled subset (examples/data/mnist_5k.npz: 500 digits of each class,
sorted by label) comes from the MNIST database of Y. LeCun, C. Cortes and
C. Burges, licensed CC BY-SA 3.0.
"""
import gzip
import os

import numpy as np

BUNDLED = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'mnist_5k.npz')


def read_idx(path):
    """An IDX file (optionally gzipped) as a NumPy array of its declared shape."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4', 0x0E: '>f8'}
    if data[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX element type 0x{data[2]:02x}")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    body = np.frombuffer(data, dtype=dtypes[data[2]], offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header declares {shape} but holds {body.size} values")
    return body.reshape(shape)


def _find(folder, stem):
    for name in (stem, stem + '.gz', stem.replace('-idx', '.idx'), stem.replace('-idx', '.idx') + '.gz'):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"no {stem}[.gz] in {folder}")


def load(data_dir=None, n_test=1000, seed=0):
    """(x_train, y_train, x_test, y_test): float32 images in [0, 1] of shape (n, 28, 28), int64 labels.

    Without ``data_dir`` the bundled subset is shuffled with ``seed`` and the last
    ``n_test`` digits are held out; with it, the official train/test split is used.
    """
    if data_dir is None:
        with np.load(BUNDLED) as f:
            x, y = f['x'], f['y']
        order = np.random.default_rng(seed).permutation(len(y))
        x, y = x[order], y[order]
        x_train, y_train, x_test, y_test = x[:-n_test], y[:-n_test], x[-n_test:], y[-n_test:]
    else:
        x_train = read_idx(_find(data_dir, 'train-images-idx3-ubyte'))
        y_train = read_idx(_find(data_dir, 'train-labels-idx1-ubyte'))
        x_test = read_idx(_find(data_dir, 't10k-images-idx3-ubyte'))
        y_test = read_idx(_find(data_dir, 't10k-labels-idx1-ubyte'))

    def scale(images):
        return (images.astype(np.float32) / 255.0)

    return scale(x_train), y_train.astype(np.int64), scale(x_test), y_test.astype(np.int64)
