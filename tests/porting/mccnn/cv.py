"""cv.cpp (jzbontar/mc-cnn's ``libcv``, a binding of OpenCV's C API), its one function: ``warp_affine(src, dst,
mat)``, OpenCV's ``cvWarpAffine(src, dst, mat, CV_INTER_CUBIC + CV_WARP_FILL_OUTLIERS)`` on each channel of a
FloatTensor. The 2 x 3 matrix maps source to destination coordinates (0-based pixel centres), so each destination
pixel reads the source at the inverse map's point: bicubic with OpenCV's kernel (a = -0.75) on OpenCV's grid of
1/32 pixel (INTER_TAB_SIZE), taps outside the image reading 0 and destination pixels whose point falls outside the
image set to 0 (the fill). OpenCV's fixed-point rounding of the weights is not reproduced (a stand-in for the
library, not a translation of it)."""
import numpy as np


def _cubic(t):
    """OpenCV's interpolateCubic weights for the four taps at offsets -1, 0, 1, 2 of a fraction t."""
    a = -0.75
    w0 = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a
    w1 = ((a + 2) * t - (a + 3)) * t * t + 1
    w2 = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1
    return (w0, w1, w2, 1 - w0 - w1 - w2)


def warp_affine(src, dst, mat):
    m = np.asarray(mat.numpy(), dtype=np.float64).reshape(-1)[:6].reshape(2, 3)
    inv = np.linalg.inv(np.vstack([m, [0, 0, 1]]))[:2]
    s = src.numpy()
    d = dst.numpy()
    src_h, src_w = s.shape[1], s.shape[2]
    dst_h, dst_w = d.shape[1], d.shape[2]
    ys, xs = np.mgrid[0:dst_h, 0:dst_w].astype(np.float64)
    X = np.round((inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]) * 32) / 32
    Y = np.round((inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]) * 32) / 32
    x0, y0 = np.floor(X).astype(np.int64), np.floor(Y).astype(np.int64)
    wx, wy = _cubic(X - x0), _cubic(Y - y0)
    inside = (X >= 0) & (X <= src_w - 1) & (Y >= 0) & (Y <= src_h - 1)
    # two zeros around the image: the taps of a point inside it that fall outside read 0
    x0 = np.clip(x0, -1, src_w - 1) + 2
    y0 = np.clip(y0, -1, src_h - 1) + 2
    for c in range(s.shape[0]):
        p = np.pad(s[c], 2)
        acc = np.zeros((dst_h, dst_w))
        for j in range(4):
            for i in range(4):
                acc += p[y0 + j - 1, x0 + i - 1] * (wy[j] * wx[i])
        d[c] = np.where(inside, acc, 0)
    return 0
