"""jzbontar/mc-cnn run through its port, tests/porting/mccnn/ (main.lua, its nn modules, and adcensus.cu / cv.cpp
as adcensus.py / cv.py) on a tiny synthetic stereo pair: a random texture (24 x 40) and its copy shifted left by
3 pixels, written as preprocess_kitti.lua's .bin/.dim/.type files (data.kitti/), so that main.lua's KITTI branch
trains the fast network on patch triplets for its 14 epochs and runs the stereo method on the test pair; then
``-a predict`` reads the pair as PNGs and writes disp.bin, which must give the shift. The accurate ('slow')
architecture trains on Middlebury's layout (data.mb.imperfect_gray/) and is tested there: its test networks share
the training network's weights through storage views, so a low test error shows the ties hold.

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
from legonn.tensor.tensor import Tensor
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
    """host_cuda, and main.lua's other cutorch calls (manualSeed, setDevice, synchronize) doing nothing. A tensor's
    ``cuda()`` is a float copy, as cutorch's ``:cuda()`` of a host tensor is a new CudaTensor: main.lua's error
    count runs ``actual = dispnoc[i]:cuda()`` then ``actual:add(-1, pred):abs()``, which must leave the ground
    truth alone (host_cuda's ``cuda()`` returning the receiver would overwrite it)."""
    host_cuda(monkeypatch)
    monkeypatch.setattr(Tensor, 'cuda', lambda self: self.float().clone())
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
    rows = [(i, y, x, SHIFT) for i in range(n_train) for y in range(5, H - 5, 3) for x in range(9, W - 5, 3)]
    nnz_tr = np.array(rows, np.float32)[np.random.RandomState(0).permutation(len(rows))[:48]]
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


TRAIN = ['-bs', '16', '-fm', '16', '-rotate', '3', '-hshear', '0.05', '-brightness', '0.2', '-contrast', '1.1',
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


# --- adcensus.cu's kernels against one thread's code run pixel by pixel -------------------------------------------

def T(a):
    """A FloatTensor of a NumPy array (the CPU stand-in for the CudaTensor the binding takes)."""
    return lg.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def ref_cross(img, L1, tau1):
    h, w = img.shape
    out = np.zeros((4, h, w), np.float32)
    for dir, (dx, dy) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):
        for y in range(h):
            for x in range(w):
                xx, yy = x + dx, y + dy
                while True:
                    if xx < 0 or xx >= w or yy < 0 or yy >= h:
                        break
                    dist = max(abs(xx - x), abs(yy - y))
                    if dist != 1:
                        if abs(img[y, x] - img[yy, xx]) >= tau1:
                            break
                        if dist >= L1:
                            break
                    xx, yy = xx + dx, yy + dy
                out[dir, y, x] = xx if dir <= 1 else yy
    return out


def ref_cbca(c0, c1, vol, direction):
    D, h, w = vol.shape
    out = vol.copy()
    for d in range(D):
        s = d * direction
        for y in range(h):
            for x in range(w):
                if 0 <= x + s < w:
                    total, cnt = 0.0, 0
                    for yy in range(int(max(c0[2, y, x], c1[2, y, x + s])) + 1,
                                    int(min(c0[3, y, x], c1[3, y, x + s]))):
                        for xx in range(int(max(c0[0, yy, x], c1[0, yy, x + s] - s)) + 1,
                                        int(min(c0[1, yy, x], c1[1, yy, x + s] - s))):
                            total += vol[d, yy, xx]
                            cnt += 1
                    out[d, y, x] = total / cnt
    return out


def ref_sgm2(x0, x1, vol, pi1, pi2, tau_so, alpha1, q1, q2, direction):
    """sgm2's four kernels, one scanline and one disparity (thread) at a time, with the shared-memory min tree."""
    h, w, D = vol.shape
    out = np.zeros_like(vol)
    for sgm_direction in range(4):
        dx, dy = ((1, 0), (-1, 0), (0, 1), (0, -1))[sgm_direction]
        n_lines, n_steps = (h, w) if dy == 0 else (w, h)
        for line in range(n_lines):
            tmp = np.zeros(D, np.float32)
            for step in range(n_steps):
                if dy == 0:
                    y, x = line, (step if dx == 1 else w - 1 - step)
                else:
                    x, y = line, (step if dy == 1 else h - 1 - step)
                if not (0 <= y - dy < h and 0 <= x - dx < w):
                    out[y, x] += vol[y, x]
                    tmp = vol[y, x].copy()
                    continue
                m = tmp.copy()
                i = 256
                while i > 0:
                    for d in range(D):
                        if d < i and d + i < D and m[d + i] < m[d]:
                            m[d] = m[d + i]
                    i //= 2
                new = np.zeros(D, np.float32)
                for d in range(D):
                    D1 = abs(x0[y, x] - x0[y - dy, x - dx])
                    xx = x + d * direction
                    outside = xx < 0 or xx >= w or xx - dx < 0 or xx - dx >= w
                    D2 = 10 if outside else abs(x1[y, xx] - x1[y - dy, xx - dx])
                    if D1 < tau_so and D2 < tau_so:
                        P1, P2 = pi1, pi2
                    elif D1 > tau_so and D2 > tau_so:
                        P1, P2 = pi1 / (q1 * q2), pi2 / (q1 * q2)
                    else:
                        P1, P2 = pi1 / q1, pi2 / q1
                    cost = np.fmin(tmp[d], m[0] + P2)
                    if d - 1 >= 0:
                        cost = np.fmin(cost, tmp[d - 1] + (P1 / alpha1 if sgm_direction == 2 else P1))
                    if d + 1 < D:
                        cost = np.fmin(cost, tmp[d + 1] + (P1 / alpha1 if sgm_direction == 3 else P1))
                    new[d] = vol[y, x, d] + cost - m[0]
                out[y, x] += new
                tmp = new
    return out


def ref_outlier(d0, d1, disp_max):
    h, w = d0.shape
    out = np.zeros_like(d0)
    for y in range(h):
        for x in range(w):
            d0i = int(d0[y, x])
            if x - d0i < 0:
                out[y, x] = 1
            elif abs(d0[y, x] - d1[y, x - d0i]) < 1.1:
                out[y, x] = 0
            else:
                out[y, x] = 1
                for d in range(disp_max):
                    if x - d >= 0 and abs(d - d1[y, x - d]) < 1.1:
                        out[y, x] = 2
                        break
    return out


def ref_interpolate_occlusion(d0, o):
    h, w = d0.shape
    out = d0.copy()
    for y in range(h):
        for x in range(w):
            if o[y, x] != 1:
                continue
            dx = 0
            while x + dx >= 0 and o[y, x + dx] != 0:
                dx -= 1
            if x + dx < 0:
                dx = 0
                while x + dx < w and o[y, x + dx] != 0:
                    dx += 1
            out[y, x] = d0[y, x + dx] if x + dx < w else d0[y, x]
    return out


def cuda_round(v):
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def ref_interpolate_mismatch(d0, o):
    dirs = ((0, 1), (-0.5, 1), (-1, 1), (-1, 0.5), (-1, 0), (-1, -0.5), (-1, -1), (-0.5, -1),
            (0, -1), (0.5, -1), (1, -1), (1, -0.5), (1, 0), (1, 0.5), (1, 1), (0.5, 1))
    h, w = d0.shape
    out = d0.copy()
    for y in range(h):
        for x in range(w):
            if o[y, x] != 2:
                continue
            vals = []
            for dx, dy in dirs:
                xx, yy = float(x), float(y)
                xi, yi = cuda_round(xx), cuda_round(yy)
                while 0 <= yi < h and 0 <= xi < w and o[yi, xi] == 2:
                    xx, yy = xx + dx, yy + dy
                    xi, yi = cuda_round(xx), cuda_round(yy)
                if 0 <= yi < h and 0 <= xi < w:
                    vals.append(d0[yi, xi])
            out[y, x] = sorted(vals)[len(vals) // 2]
    return out


def ref_median(img, ks):
    h, w = img.shape
    r = ks // 2
    out = np.zeros_like(img)
    for y in range(h):
        for x in range(w):
            xs = [img[yy, xx] for xx in range(x - r, x + r + 1) for yy in range(y - r, y + r + 1)
                  if 0 <= xx < w and 0 <= yy < h]
            out[y, x] = sorted(xs)[len(xs) // 2]
    return out


def ref_mean2d(img, k, alpha2):
    h, w = img.shape
    r = k.shape[0] // 2
    flat = k.reshape(-1)
    out = np.zeros_like(img)
    for y in range(h):
        for x in range(w):
            total = cnt = 0.0
            i = 0
            for xx in range(x - r, x + r + 1):
                for yy in range(y - r, y + r + 1):
                    if 0 <= xx < w and 0 <= yy < h and abs(img[yy, xx] - img[y, x]) < alpha2:
                        total += img[yy, xx] * flat[i]
                        cnt += flat[i]
                    i += 1
            out[y, x] = total / cnt
    return out


def test_cross_gives_the_arms_the_kernel_walks():
    img = np.random.RandomState(1).rand(7, 9).astype(np.float32)
    for L1, tau1 in ((0, 0.0), (4, 0.5), (5, 0.3)):
        out = T(np.zeros((1, 4, 7, 9)))
        adcensus.cross(T(img[None]), out, L1, tau1)
        np.testing.assert_array_equal(out.numpy()[0], ref_cross(img, L1, tau1))


@pytest.mark.parametrize('direction', [-1, 1])
def test_cbca_averages_over_the_shared_cross_support(direction):
    rng = np.random.RandomState(2)
    x0, x1 = rng.rand(7, 9).astype(np.float32), rng.rand(7, 9).astype(np.float32)
    c0, c1 = T(np.zeros((1, 4, 7, 9))), T(np.zeros((1, 4, 7, 9)))
    adcensus.cross(T(x0[None]), c0, 4, 0.6)
    adcensus.cross(T(x1[None]), c1, 4, 0.6)
    vol = rng.rand(3, 7, 9).astype(np.float32)
    out = T(np.zeros((1, 3, 7, 9)))
    adcensus.cbca(c0, c1, T(vol[None]), out, direction)
    np.testing.assert_allclose(out.numpy()[0], ref_cbca(c0.numpy()[0], c1.numpy()[0], vol, direction), rtol=1e-5)


@pytest.mark.parametrize('direction', [-1, 1])
def test_sgm2_sums_the_four_scans_of_the_kernel(direction):
    rng = np.random.RandomState(3)
    h, w, D = 5, 7, 4
    x0, x1 = rng.rand(h, w).astype(np.float32), rng.rand(h, w).astype(np.float32)
    vol = rng.rand(h, w, D).astype(np.float32)
    # the pixels with no match at disparity d are NaN, as StereoJoin leaves them
    for d in range(D):
        if direction == -1:
            vol[:, :d, d] = np.nan
        else:
            vol[:, w - d:, d] = np.nan
    args = (1.3, 13.9, 0.3, 2.75, 4.5, 2.0, direction)
    out = T(np.zeros((1, h, w, D)))
    adcensus.sgm2(T(x0[None]), T(x1[None]), T(vol[None]), out, T(np.zeros((w, D))), *args)
    np.testing.assert_allclose(out.numpy()[0], ref_sgm2(x0, x1, vol, *args), rtol=1e-5, atol=1e-5)


def test_left_right_check_and_the_two_interpolations():
    rng = np.random.RandomState(4)
    h, w, dmax = 6, 12, 5
    d0 = rng.randint(0, dmax, (h, w)).astype(np.float32)
    d1 = np.where(rng.rand(h, w) < 0.7, np.roll(d0, -2, 1), rng.randint(0, dmax, (h, w))).astype(np.float32)
    outlier = T(np.zeros((1, 1, h, w)))
    adcensus.outlier_detection(T(d0[None, None]), T(d1[None, None]), outlier, dmax)
    o = outlier.numpy()[0, 0]
    np.testing.assert_array_equal(o, ref_outlier(d0, d1, dmax))
    assert set(np.unique(o)) == {0, 1, 2}
    occ = adcensus.interpolate_occlusion(T(d0[None, None]), outlier)
    np.testing.assert_array_equal(occ.numpy()[0, 0], ref_interpolate_occlusion(d0, o))
    mis = adcensus.interpolate_mismatch(T(d0[None, None]), outlier)
    np.testing.assert_array_equal(mis.numpy()[0, 0], ref_interpolate_mismatch(d0, o))


def test_subpixel_median_and_bilateral_filters():
    rng = np.random.RandomState(5)
    h, w, D = 6, 8, 5
    d = rng.randint(0, D, (h, w)).astype(np.float32)
    vol = rng.rand(D, h, w).astype(np.float32)
    out = adcensus.subpixel_enchancement(T(d[None, None]), T(vol[None]), D).numpy()[0, 0]
    for y in range(h):
        for x in range(w):
            di = int(d[y, x])
            want = di
            if 1 <= di < D - 1:
                cn, cz, cp = vol[di - 1, y, x], vol[di, y, x], vol[di + 1, y, x]
                denom = 2 * (cp + cn - 2 * cz)
                if denom > 1e-5:
                    want = di - min(1.0, max(-1.0, (cp - cn) / denom))
            assert out[y, x] == pytest.approx(want, abs=1e-5)
    img = rng.rand(h, w).astype(np.float32) * 4
    np.testing.assert_array_equal(adcensus.median2d(T(img[None, None]), 5).numpy()[0, 0], ref_median(img, 5))
    k = np.arange(25, dtype=np.float32).reshape(5, 5) + 1  # not symmetric: the kernel's index order shows
    np.testing.assert_allclose(adcensus.mean2d(T(img[None, None]), T(k), 1.5).numpy()[0, 0],
                               ref_mean2d(img, k, 1.5), rtol=1e-5)


@pytest.mark.parametrize('direction', [-1, 1])
def test_ad_census_and_stereojoin_cost_volumes(direction):
    rng = np.random.RandomState(6)
    h, w, D = 5, 11, 3
    x0, x1 = rng.rand(h, w).astype(np.float32), rng.rand(h, w).astype(np.float32)
    ad, census = T(np.zeros((1, D, h, w))), T(np.zeros((1, D, h, w)))
    adcensus.ad(T(x0[None, None]), T(x1[None, None]), ad, direction)
    adcensus.census(T(x0[None, None]), T(x1[None, None]), census, direction)
    for d in range(D):
        s = d * direction
        for y in range(h):
            for x in range(w):
                if not 0 <= x + s < w:
                    assert np.isnan(ad.numpy()[0, d, y, x]) and np.isnan(census.numpy()[0, d, y, x])
                    continue
                diffs, flips = [], 0
                for yy in range(y - 4, y + 5):
                    for xx in range(x - 4, x + 5):
                        if 0 <= xx < w and 0 <= xx + s < w and 0 <= yy < h:
                            diffs.append(abs(x0[yy, xx] - x1[yy, xx + s]))
                            flips += (x0[yy, xx] < x0[y, x]) != (x1[yy, xx + s] < x1[y, x + s])
                        else:
                            flips += 1
                assert ad.numpy()[0, d, y, x] == pytest.approx(np.mean(diffs), rel=1e-5)
                assert census.numpy()[0, d, y, x] == flips
    fL, fR = rng.rand(1, 4, h, w).astype(np.float32), rng.rand(1, 4, h, w).astype(np.float32)
    vL, vR = T(np.full((1, D, h, w), np.nan)), T(np.full((1, D, h, w), np.nan))
    adcensus.StereoJoin(T(fL), T(fR), vL, vR)
    for d in range(D):
        want = -(fL[0, :, :, d:] * fR[0, :, :, :w - d]).sum(0)
        np.testing.assert_allclose(vL.numpy()[0, d, :, d:], want, rtol=1e-5)
        np.testing.assert_allclose(vR.numpy()[0, d, :, :w - d], want, rtol=1e-5)
        assert np.isnan(vL.numpy()[0, d, :, :d]).all() and np.isnan(vR.numpy()[0, d, :, w - d:]).all()


def test_warp_affine_moves_the_patch_as_make_patch_asks():
    """cv.warp_affine with main.lua's make_patch matrix for no augmentation (translate to the patch's centre):
    the 9 x 9 patch around (y, x), exactly (the bicubic weights of an integer point are 0, 1, 0, 0)."""
    img = np.random.RandomState(7).rand(1, 20, 30).astype(np.float32)
    dst = T(np.zeros((1, 9, 9)))
    m = T([1, 0, -12 + 4, 0, 1, -10 + 4])
    cv.warp_affine(T(img), dst, m)
    np.testing.assert_allclose(dst.numpy()[0], img[0, 6:15, 8:17], atol=1e-6)
    # half a pixel to the right: the cubic through the four neighbours, (-3 a + 9 a ... ) weights -0.09375, 0.59375
    m = T([1, 0, -12.5 + 4, 0, 1, -10 + 4])
    cv.warp_affine(T(img), dst, m)
    row = img[0, 10]
    want = -0.09375 * row[11] + 0.59375 * row[12] + 0.59375 * row[13] - 0.09375 * row[14]
    assert dst.numpy()[0, 4, 4] == pytest.approx(want, rel=1e-5)


# --- the repository's nn modules ------------------------------------------------------------------------------------

def test_normalize2_and_stereojoin1_gradients_by_finite_differences(cpu, monkeypatch):
    """In float64: StereoJoin1's views are ``torch.CudaTensor(storage, ...)``, so the stand-in type is Double here."""
    monkeypatch.setattr(lg, 'CudaTensor', lg.DoubleTensor)
    lg.manualSeed(1)
    x = lg.DoubleTensor(2, 3, 2, 2).uniform(-1, 1)
    m = Normalize2()
    out = m.forward(x.clone()).numpy()
    a = x.numpy()
    np.testing.assert_allclose(out, a / np.sqrt((a * a).sum(1, keepdims=True) + 1e-5), rtol=1e-6)
    assert_jacobian(Normalize2(), x, params=False)
    sj = StereoJoin1().double()
    x = lg.DoubleTensor(4, 3, 2, 2).uniform(-1, 1)
    a = x.numpy()
    np.testing.assert_allclose(sj.forward(x).numpy(), (a[0::2] * a[1::2]).sum(1, keepdims=True), rtol=1e-12)
    assert_jacobian(StereoJoin1(), lg.DoubleTensor(4, 3, 2, 2).uniform(-1, 1), params=False)


@pytest.mark.parametrize('pow', [1, 2])
def test_margin2_loss_and_its_gradient(cpu, pow):
    x = lg.DoubleTensor([0.9, 0.1, 0.2, 0.5, 0.3, 0.25, -0.4, 0.6]).view(8, 1, 1, 1)
    crit = Margin2(0.2, pow)
    crit.tmp = lg.DoubleTensor()
    loss = crit.forward(x, None)
    f = np.maximum(0, x.numpy()[1::2] - x.numpy()[0::2] + 0.2).reshape(-1)
    assert loss == pytest.approx(f.mean() if pow == 1 else (f * f / 2).mean())
    g = crit.backward(x, None).numpy().reshape(-1)
    for i in range(8):
        xp_, xm = x.clone(), x.clone()
        xp_.view(-1)[i] += 1e-6
        xm.view(-1)[i] -= 1e-6
        num = (crit.forward(xp_, None) - crit.forward(xm, None)) / 2e-6
        assert g[i] == pytest.approx(num, abs=1e-6)


def test_bcecriterion2_is_the_binary_cross_entropy_and_its_gradient(cpu):
    x = lg.DoubleTensor([[0.9], [0.2], [0.6], [0.3]])
    y = lg.DoubleTensor([[1], [0], [0], [1]])
    crit = BCECriterion2()
    p, t = x.numpy(), y.numpy()
    want = -(t * np.log(p + 1e-12) + (1 - t) * np.log(1 - p + 1e-12)).mean()
    assert crit.forward(x, y) == pytest.approx(want)
    g = crit.backward(x, y).numpy()
    np.testing.assert_allclose(g, -(t / (p + 1e-12) - (1 - t) / (1 - p + 1e-12)) / 4, rtol=1e-6)
    assert BCECriterion2().forward(x, y) == crit.forward(x, y)


def test_spatialconvolution1_fw_is_a_1x1_convolution(cpu):
    lg.manualSeed(2)
    m = SpatialConvolution1_fw(6, 4)
    m.weight.uniform(-1, 1)
    m.bias.uniform(-1, 1)
    conv = nn.SpatialConvolution(6, 4, 1, 1)
    conv.weight.copy(m.weight.view(4, 6, 1, 1))
    conv.bias.copy(m.bias.view(4))
    x = lg.FloatTensor(2, 6, 3, 5).uniform(-1, 1)
    np.testing.assert_allclose(m.forward(x).numpy(), conv.forward(x).numpy(), rtol=1e-5, atol=1e-6)
    assert x.size() == (2, 6, 3, 5)  # the input viewed as (2, 6, 15) and back


def test_stereojoin_forward_calls_a_function_the_binding_lacks(cpu):
    """StereoJoin.lua's adcensus.StereoJoin_forward2 is not in adcensus.cu's table: a call of nil in Lua."""
    with pytest.raises(AttributeError, match='StereoJoin_forward2'):
        StereoJoin(4).forward(lg.FloatTensor(2, 3, 4, 5).zero())


# --- the differences the port shows (docs/porting.md rows) ---------------------------------------------------------

def test_min_over_a_cost_volume_with_nan_takes_the_nan_unless_the_port_reads_it_as_inf():
    """main.lua's ``_, d = torch.min(vol, 2)``: the left view's pixel x has no right pixel at d > x (NaN). The
    cutorch of 2015 skipped a NaN (the least finite cost, d = 1 here); Torch7's CPU min and legonn's give the first
    NaN (d = 2); the port's line reads NaN as +inf and gets cutorch's answer."""
    vol = lg.FloatTensor([0.5, 0.2, math.nan, math.nan, 0.1]).view(1, 5, 1, 1)
    values, d = lg.min(vol, 1)
    assert d.view(-1)[0] == 2 and math.isnan(values.view(-1)[0])
    _, d = lg.min(vol.clone().maskedFill(vol.ne(vol), math.inf), 1)
    assert d.view(-1)[0] == 4


def test_a_numeric_string_is_not_a_size():
    """main.lua's ``disp_max = opt.disp_max``: the option's default is '' so CmdLine keeps '-disp_max 8' a string,
    which Lua's ``torch.CudaTensor(2, disp_max, ...)``, ``for d = 1,disp_max`` and ``disp_max - 1`` read as 8.
    legonn's constructors refuse it, Python's range and arithmetic too: the port writes ``int(opt['disp_max'])``."""
    cmd = lg.CmdLine()
    cmd.option('-disp_max', '')
    opt = cmd.parse(['-disp_max', '8'])
    assert opt['disp_max'] == '8'
    with pytest.raises(TypeError, match="'8'"):
        lg.FloatTensor(2, opt['disp_max'], 3, 4)
    assert lg.FloatTensor(2, int(opt['disp_max']), 3, 4).size() == (2, 8, 3, 4)


# --- on the GPU ----------------------------------------------------------------------------------------------------

def predict_files(tmp_path, cuda):
    """A fast network as main.lua saves it (convolutions, Normalize2, StereoJoin(1); opt beside it), 2 x 4 maps,
    the same weights on both devices, and the test pair as PNGs."""
    lg.manualSeed(3)
    net = nn.Sequential()
    net.add(cudnn.SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1)).add(cudnn.ReLU(True))
    net.add(cudnn.SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1)).add(Normalize2()).add(StereoJoin(1))
    if cuda:
        net.cuda()
    lg.save(str(tmp_path / 'net.t7'), [net, {}], 'ascii')
    x0, x1 = stereo_pair(0, 12, 20)
    image.save(str(tmp_path / 'left.png'), lg.from_numpy(x0[None].copy()))
    image.save(str(tmp_path / 'right.png'), lg.from_numpy(x1[None].copy()))


PREDICT = ['kitti', 'fast', '-a', 'predict', '-net_fname', 'net.t7', '-left', 'left.png', '-right', 'right.png',
           '-disp_max', '6', '-blur_sigma', '1']


@pytest.mark.gpu
def test_predict_on_the_gpu_gives_the_cpu_disparities(tmp_path, monkeypatch):
    """main.lua -a predict as the repository runs it (CUDA tensors, adcensus on CuPy) against the CPU stand-in."""
    (tmp_path / 'gpu').mkdir()
    (tmp_path / 'cpu').mkdir()
    monkeypatch.chdir(tmp_path / 'gpu')
    predict_files(tmp_path / 'gpu', True)
    mccnn_main.main(list(PREDICT))
    gpu = np.fromfile('disp.bin', dtype=np.float32)
    with monkeypatch.context() as mp:
        host_cuda(mp)
        for name in ('manualSeed', 'setDevice', 'synchronize'):
            mp.setattr(cutorch, name, lambda *args: None)
        mp.chdir(tmp_path / 'cpu')
        predict_files(tmp_path / 'cpu', False)
        mccnn_main.main(list(PREDICT))
        cpu = np.fromfile('disp.bin', dtype=np.float32)
    assert gpu.shape == (12 * 20,)
    np.testing.assert_allclose(gpu, cpu, atol=1e-4)
    vol = lg.CudaTensor([0.5, 0.2, math.nan, 0.1]).view(1, 4, 1, 1)
    assert lg.min(vol, 1)[1].view(-1)[0] == 2  # legonn's CUDA min takes the NaN, as its CPU one


# --- the accurate architecture on Middlebury's layout ---------------------------------------------------------------

def write_mb(root, n=5, h=12, w=24, ndisp=6, rows_kept=40):
    """data.mb.imperfect_gray/ as preprocess_mb.py writes it: x_<n>_1.bin the test views (x0, x1, x1E, x1L), then
    x_<n>_2.bin one lighting's exposures (exposures x 2 views), meta.bin (h, w, ndisp) per image, dispnoc<n>.bin,
    te.bin (the first image, 0-based here), pixel rows for training, fname_submit.txt."""
    d = root / 'data.mb.imperfect_gray'
    d.mkdir()
    (root / 'net').mkdir()
    norm = lambda x: (x - x.mean()) / x.std()
    rows = []
    for i in range(n):
        x0, x1 = (norm(v) for v in stereo_pair(10 + i, h, w))
        tofile(str(d / ('x_%d_1.bin' % (i + 1))), np.stack([x0, x1, x1, x1])[:, None].astype(np.float32))
        tofile(str(d / ('x_%d_2.bin' % (i + 1))), np.stack([np.stack([x0, x1])[:, None]] * 2).astype(np.float32))
        disp = np.zeros((h, w), np.float32)
        disp[:, SHIFT:] = SHIFT
        tofile(str(d / ('dispnoc%d.bin' % (i + 1))), disp)
        rows += [(i, y, x, SHIFT) for y in range(5, h - 5) for x in range(9, w - 5, 2)]
    tofile(str(d / 'meta.bin'), np.array([[h, w, ndisp]] * n, np.int32))
    tofile(str(d / 'te.bin'), np.array([0], np.int32))
    nnz = np.array(rows, np.float32)[np.random.RandomState(1).permutation(len(rows))[:rows_kept]]
    tofile(str(d / 'nnz_tr.bin'), nnz)
    tofile(str(d / 'nnz_te.bin'), nnz[:8])
    (d / 'fname_submit.txt').write_text('Adirondack\n')


def test_main_trains_the_accurate_network_with_its_tied_test_networks(cpu, tmp_path, monkeypatch, capsys):
    """arch 'slow': convolutions, then fully connected layers on the joined features (BCECriterion2); the test
    networks share the training network's weights through ``torch.CudaTensor(storage, offset, size)`` views, the
    fully connected layers as SpatialConvolution1_fw over every pixel and disparity."""
    monkeypatch.chdir(tmp_path)
    write_mb(tmp_path, rows_kept=120)
    # no augmentation; two layers of each kind (Torch7's default initialisation leaves deeper nets of 16 maps
    # nearly constant for the 196 steps the 14 epochs make here). The command line makes a file name of 233 bytes.
    mccnn_main.main(['mb', 'slow', '-a', 'train_tr', '-bs', '16', '-l1', '2', '-l2', '1', '-nh2', '32', '-fm', '16',
                     '-lr', '0.1', '-blur_sigma', '1', '-rotate', '0', '-scale', '1', '-hscale', '1', '-hshear', '0',
                     '-brightness', '0', '-contrast', '1', '-d_vtrans', '0', '-d_rotate', '0', '-d_hscale', '1',
                     '-d_hshear', '0'])
    lines = capsys.readouterr().out.splitlines()
    epochs = [line.split() for line in lines if len(line.split()) == 4 and line.split()[0].isdigit()]
    losses = [float(e[1]) for e in epochs]
    assert len(losses) == 14 and losses[-1] < 0.7 * losses[0], losses
    net_te, net_te2, opt = lg.load(glob.glob('net/net_mb_slow_*.t7')[0])
    assert opt['nh2'] == 32
    assert net_te.get(0).weight.size() == (16, 1, 3, 3) and net_te2.get(0).weight.size() == (32, 32)
    # three test pairs (te and image 5's two other right views), then their mean error (1 pixel off counts)
    assert len(lines[-4:-1]) == 3 and all(len(line.split()) == 2 for line in lines[-4:-1])
    assert float(lines[-1]) < 0.2, lines[-4:]
