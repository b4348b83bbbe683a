"""jzbontar/mc-cnn run through its port, tests/porting/mccnn/ (main.lua, its nn modules, and adcensus.cu / cv.cpp
as adcensus.py / cv.py) on a tiny synthetic stereo pair: a random texture (24 x 40) and its copy shifted left by
3 pixels, written as preprocess_kitti.lua's .bin/.dim/.type files (data.kitti/), so that main.lua's KITTI branch
trains the fast network on patch triplets for its 14 epochs and runs the stereo method on the test pair; then
``-a predict`` reads the pair as PNGs and writes disp.bin, which must give the shift.

The repository runs on a GPU only (``cudnn``, ``:cuda()``, ``torch.CudaTensor()`` unconditionally). The CPU runs
stand in for it with test_charades.py's ``host_cuda`` (``cuda()`` returns its receiver, ``torch.CudaTensor`` is
the FloatTensor); the GPU test runs the kernels and the stereo method on CuPy without it.

The kernels are checked against scalar loops written from the CUDA (one thread's code, per pixel), the modules'
gradients by finite differences in float64.
"""
import glob
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, cutorch, image, nn
from tests.checks import assert_jacobian

from .mccnn import adcensus, cv
from .mccnn import main as mccnn_main
from .mccnn.BCECriterion2 import BCECriterion2
from .mccnn.Margin2 import Margin2
from .mccnn.Normalize2 import Normalize2
from .mccnn.SpatialConvolution1_fw import SpatialConvolution1_fw
from .mccnn.StereoJoin import StereoJoin
from .mccnn.StereoJoin1 import StereoJoin1
from .test_charades import host_cuda

H, W, SHIFT = 24, 40, 3


@pytest.fixture
def cpu(monkeypatch):
    """host_cuda, and main.lua's other cutorch calls (manualSeed, setDevice, synchronize) doing nothing."""
    host_cuda(monkeypatch)
    for name in ('manualSeed', 'setDevice', 'synchronize'):
        monkeypatch.setattr(cutorch, name, lambda *args: None)


def stereo_pair(seed=0, h=H, w=W, shift=SHIFT):
    """A random texture (values 0..1, smoothed a little so that the warps' bicubic sampling keeps it) and the right
    view: x1[y, x] = x0[y, x + shift] (a point at x in the left image is at x - shift in the right one)."""
    rng = np.random.RandomState(seed)
    big = rng.rand(h, w + shift + 2)
    big = (big + np.roll(big, 1, 1) + np.roll(big, 1, 0)) / 3
    x0 = big[:, 2:2 + w]
    x1 = big[:, 2 + shift:2 + shift + w]
    return x0.astype(np.float32), x1.astype(np.float32)


def tofile(path, a):
    """preprocess_kitti.lua's tofile: the raw values, the sizes one a line in .dim, the type name in .type."""
    a = np.ascontiguousarray(a)
    a.tofile(path)
    with open(path + '.dim', 'w') as f:
        f.write(''.join('%d\n' % n for n in a.shape))
    with open(path + '.type', 'w') as f:
        f.write({np.dtype(np.float32): 'float32', np.dtype(np.int32): 'int32'}[a.dtype])


def write_kitti(root, n_train=2, n_test=1):
    """data.kitti/ for main.lua: normalised images (preprocess_kitti.lua subtracts the mean, divides by the std),
    ground truth 3 where the left pixel has a match (0 = unknown, as KITTI's sparse maps), pixel rows for
    training (image, y, x, disparity) away from the borders."""
    (root / 'data.kitti').mkdir()
    (root / 'net').mkdir()
    pairs = [stereo_pair(seed) for seed in range(n_train + n_test)]
    norm = lambda x: (x - x.mean()) / x.std()
    X0 = np.stack([norm(p[0])[None] for p in pairs]).astype(np.float32)
    X1 = np.stack([norm(p[1])[None] for p in pairs]).astype(np.float32)
    disp = np.zeros((len(pairs), 1, H, W), np.float32)
    disp[:, :, :, SHIFT:] = SHIFT
    metadata = np.array([[H, W, i] for i in range(len(pairs))], np.int32)
    rows = [(i, y, x, SHIFT) for i in range(n_train) for y in range(4, H - 4, 2) for x in range(8, W - 4, 2)]
    nnz_tr = np.array(rows, np.float32)
    d = root / 'data.kitti'
    tofile(str(d / 'x0.bin'), X0)
    tofile(str(d / 'x1.bin'), X1)
    tofile(str(d / 'dispnoc.bin'), disp)
    tofile(str(d / 'metadata.bin'), metadata)
    tofile(str(d / 'tr.bin'), np.arange(n_train, dtype=np.int32))
    tofile(str(d / 'te.bin'), np.arange(n_train, n_train + n_test, dtype=np.int32))
    tofile(str(d / 'nnz_tr.bin'), nnz_tr)
    tofile(str(d / 'nnz_te.bin'), nnz_tr[:16])
    return pairs


TRAIN = ['-bs', '32', '-fm', '16', '-rotate', '3', '-hshear', '0.05', '-brightness', '0.2', '-contrast', '1.1',
         '-d_brightness', '0.1', '-lr', '0.01']


def test_main_trains_the_fast_network_and_its_stereo_method_recovers_the_shift(cpu, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    pairs = write_kitti(tmp_path)
    mccnn_main.main(['kitti', 'fast', '-a', 'train_tr'] + TRAIN)
    lines = capsys.readouterr().out.splitlines()
    epochs = [line.split() for line in lines if line.split() and line.split()[0].isdigit()
              and len(line.split()) == 4]
    assert [int(e[0]) for e in epochs] == list(range(1, 15))
    losses = [float(e[1]) for e in epochs]
    assert losses[-1] < 0.5 * losses[0], losses
    # the test pair (te): one line of runtime and error, then the mean error over the test pairs
    err = float(lines[-1])
    assert err < 0.05, lines[-3:]

    # -a predict on the PNGs of the test pair
    net_fname = glob.glob('net/net_kitti_fast_*.t7')
    assert len(net_fname) == 1
    x0, x1 = pairs[-1]
    image.save('left.png', lg.from_numpy(x0[None].copy()))
    image.save('right.png', lg.from_numpy(x1[None].copy()))
    mccnn_main.main(['kitti', 'fast', '-a', 'predict', '-net_fname', net_fname[0], '-left', 'left.png',
                     '-right', 'right.png', '-disp_max', '8'] + TRAIN)
    disp = np.fromfile('disp.bin', dtype=np.float32).reshape(H, W)
    inner = disp[4:-4, SHIFT + 4:-4]
    assert (np.abs(inner - SHIFT) < 0.5).mean() > 0.9, inner
    vol = np.fromfile('left.bin', dtype=np.float32).reshape(8, H, W)
    assert (np.nanargmin(vol[:, 4:-4, SHIFT + 4:-4], 0) == SHIFT).mean() > 0.9
