"""luanfujun/deep-photo-styletransfer run through its port, tests/porting/deepphoto/ (its docstrings list what is
ported and every edit beyond syntax and indices).

Stand-ins: VGG-19's caffemodel is tests/porting/test_cnnmrf.py's ``vgg19_standin`` (VGG-19's layers under their
Caffe names, 4-8 planes, read by legonn's loadcaffe as the Lua's ``loadcaffe.load``; the scripts' default layers,
relu1_1 to relu5_1 and relu4_2, need all five blocks, which neural_style's tiny two-block net lacks). The images
are 16 x 16 synthetic PNGs written under tmp_path (the working directory, as the Lua's relative paths need):
a smooth content photo, a striped style photo, segmentations of two colours (blue and green halves). The matting
Laplacian file is gen_laplacian.py's port of the Matlab, saved with legonn.matio.

Both Lua scripts are CUDA-only (``:cuda()`` on every tensor and module, and StyleLossWithSeg moves its masks to the
GPU in updateGradInput), so the tests running them carry ``@pytest.mark.gpu`` (CuPy's host simulator runs them with
LEGONN_GPU_SIM=1); the CPU tests cover the rest: each loss module against NumPy, the Laplacian against Levin et
al.'s windowed least-squares cost, and cuda_utils' two functions against per-pixel NumPy loops.
"""
import math
import os
import re

import numpy as np
import pytest

import legonn as lg
from legonn import image
from tests.checks import numeric_gradient
from legonn import matio
from tests.porting.deepphoto import cuda_utils, deepmatting_seg, gen_laplacian, neuralstyle_seg
from tests.porting.test_cnnmrf import vgg19_standin

SIZE = 16
COLOURS = {'blue': (0, 0, 1), 'green': (0, 1, 0), 'black': (0, 0, 0), 'white': (1, 1, 1), 'red': (1, 0, 0),
           'yellow': (1, 1, 0), 'grey': (0.5, 0.5, 0.5), 'lightblue': (0, 1, 1), 'purple': (1, 0, 1)}


def content_photo(seed=0):
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)
    img = np.stack([0.2 + 0.6 * xx, 0.3 + 0.5 * yy, 0.5 - 0.3 * xx * yy]) + 0.05 * rng.rand(3, SIZE, SIZE)
    return img.clip(0, 1)


def style_photo():
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)
    return np.stack([0.5 + 0.4 * np.sin(9 * xx), 0.5 + 0.4 * np.cos(7 * yy), 0.5 + 0.4 * np.sin(5 * (xx + yy))])


def two_colour_seg(vertical):
    """Blue on one half, green on the other (left/right for ``vertical``, else top/bottom)."""
    seg = np.zeros((3, SIZE, SIZE))
    half = (slice(None), slice(None), slice(0, SIZE // 2)) if vertical else (slice(None), slice(0, SIZE // 2))
    seg[2] = 1
    seg[2][half[1:]] = 0
    seg[1][half[1:]] = 1
    return seg


def save_png(path, array):
    image.save(str(path), lg.from_numpy(np.ascontiguousarray(array, dtype=np.float32)))


@pytest.fixture
def photo_dir(tmp_path, monkeypatch):
    """The examples' layout under tmp_path, made the working directory; returns the Lua options naming them."""
    (tmp_path / 'examples').mkdir()
    save_png(tmp_path / 'examples/in1.png', content_photo())
    save_png(tmp_path / 'examples/tar1.png', style_photo())
    save_png(tmp_path / 'examples/seg_in1.png', two_colour_seg(True))
    save_png(tmp_path / 'examples/seg_tar1.png', two_colour_seg(False))
    proto, model = vgg19_standin(tmp_path / 'models')
    monkeypatch.chdir(tmp_path)
    return ['-content_image', 'examples/in1.png', '-style_image', 'examples/tar1.png',
            '-content_seg', 'examples/seg_in1.png', '-style_seg', 'examples/seg_tar1.png', '-index', '1',
            '-proto_file', str(proto), '-model_file', str(model)]


def printed_losses(text):
    """The Total loss of each 'Iteration t / n' block maybe_print writes."""
    return [float(v) for v in re.findall(r'Total loss: (\S+)', text)]


# ---------------------------------------------------------------------------------------------- the options

def test_options_are_the_luas():
    """cmd:parse of no arguments: both scripts' defaults; deepmatting's local affine and filter options."""
    p = neuralstyle_seg.cmd.parse([])
    assert p['content_weight'] == 5 and p['style_weight'] == 100 and p['tv_weight'] == 1e-3
    assert p['num_iterations'] == 1000 and p['seed'] == 612 and p['gpu'] == 0 and p['cudnn_autotune'] is False
    assert p['style_layers'].split(',') == ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1']
    q = deepmatting_seg.cmd.parse(['-f_radius', '15', '-f_edge', '0.01'])
    assert (q['lambda'], q['patch'], q['eps'], q['f_radius'], q['f_edge']) == (1e4, 3, 1e-7, 15, 0.01)
    assert q['init_image'] == 'examples/inputs/init.jpg' and q['content_layers'] == 'relu4_2'


# ------------------------------------------------------------------------------------------- masks, helpers

def test_extract_mask_finds_each_colour_and_nothing_else():
    """ExtractMask of a 9-colour segmentation (plus an orange that is none of them): each colour's mask is 1
    exactly on its patch, within the Lua's 0.1 margins, as a FloatTensor; an unknown colour fails on the nil mask
    as the Lua's ``mask:float()`` does."""
    names = list(COLOURS)
    seg = np.zeros((3, 2, 5))
    for k, name in enumerate(names):
        seg[:, k // 5, k % 5] = np.array(COLOURS[name]) * 0.95 + 0.02
    seg[:, 1, 4] = (1, 0.5, 0)
    seg_t = lg.from_numpy(seg.astype(np.float32))
    for k, name in enumerate(names):
        mask = neuralstyle_seg.ExtractMask(seg_t, name)
        expected = np.zeros((2, 5))
        expected[k // 5, k % 5] = 1
        assert mask.type() == 'legonn.FloatTensor'
        np.testing.assert_array_equal(mask.numpy(), expected)
    with pytest.raises(AttributeError):
        neuralstyle_seg.ExtractMask(seg_t, 'orange')


def test_preprocess_deprocess_and_deepcopy():
    """preprocess is BGR * 256 minus the mean pixel, deprocess undoes it; deepcopy copies tables, shares tensors."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    img = lg.from_numpy(content_photo())
    caffe = neuralstyle_seg.preprocess(img)
    mean = np.array([103.939, 116.779, 123.68])[:, None, None]
    np.testing.assert_allclose(caffe.numpy(), content_photo()[::-1] * 256 - mean)
    np.testing.assert_allclose(neuralstyle_seg.deprocess(caffe).numpy(), content_photo(), atol=1e-12)
    a, b = lg.ones(2), lg.zeros(2)
    masks = [a, [b]]
    copy = neuralstyle_seg.deepcopy(masks)
    assert copy is not masks and copy[1] is not masks[1] and copy[0] is a and copy[1][0] is b


# ------------------------------------------------------------------------------------------ the loss modules

def test_content_style_and_tv_losses_match_numpy():
    """ContentLoss: strength * mean((x - t)^2) and gradOutput + its gradient; StyleLoss: strength * mean((G/n -
    T)^2), G = X X^T; TVLoss: gradOutput + strength * the gradient of 1/2 sum of squared right and down
    differences of the top-left (H-1) x (W-1) pixels, each checked against NumPy and central differences."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    rng = np.random.RandomState(3)
    x, t, gout = (rng.randn(3, 4, 5) for _ in range(3))
    content = neuralstyle_seg.ContentLoss(5.0, lg.from_numpy(t.copy()), False)
    content.forward(lg.from_numpy(x.copy()))
    assert content.loss == pytest.approx(5 * np.mean((x - t) ** 2), rel=1e-12)
    g = content.backward(lg.from_numpy(x.copy()), lg.from_numpy(gout.copy())).numpy()
    np.testing.assert_allclose(g - gout, numeric_gradient(lambda: 5 * np.mean((x - t) ** 2), x), atol=1e-7)

    X = x.reshape(3, 20)
    T = rng.randn(3, 3)
    style = neuralstyle_seg.StyleLoss(100.0, lg.from_numpy(T.copy()), False)
    style.forward(lg.from_numpy(x.copy()))

    def style_loss():
        X = x.reshape(3, 20)
        return 100 * np.mean((X @ X.T / 60 - T) ** 2)
    assert style.loss == pytest.approx(style_loss(), rel=1e-12)
    g = style.backward(lg.from_numpy(x.copy()), lg.from_numpy(gout.copy())).numpy()
    np.testing.assert_allclose(g - gout, numeric_gradient(style_loss, x), atol=1e-6)
    np.testing.assert_allclose(neuralstyle_seg.GramMatrix().forward(lg.from_numpy(x.copy())).numpy(), X @ X.T)

    tv = neuralstyle_seg.TVLoss(1e-3)
    assert tv.forward(lg.from_numpy(x)) is not None

    def tv_energy():
        d = x[:, :-1, :-1]
        return 1e-3 * 0.5 * (((d - x[:, :-1, 1:]) ** 2).sum() + ((d - x[:, 1:, :-1]) ** 2).sum())
    g = tv.backward(lg.from_numpy(x.copy()), lg.from_numpy(gout.copy())).numpy()
    np.testing.assert_allclose(g - gout, numeric_gradient(tv_energy, x), atol=1e-8)


def masked_style_loss_numpy(x, masks, targets, strength):
    """StyleLossWithSeg's loss and gradient as its Lua computes them, in NumPy: per colour j with mask m_j (mean
    mu_j), G_j = (m_j x)(m_j x)^T / (n mu_j) (no division when mu_j = 0), loss += strength * mu_j * mean((G_j -
    T_j)^2), and the gradient adds strength * (D_j + D_j^T)(m_j x) with D_j = 2 (G_j - T_j) / C^2 / n: the Gram
    net's backward of the masked features, neither multiplied by the mask nor divided by n mu_j again."""
    C, n = x.shape[0], x.size
    loss, grad = 0.0, np.zeros_like(x)
    for m, T in zip(masks, targets):
        mu = m.mean()
        F = (m[None] * x).reshape(C, -1)
        G = F @ F.T
        if mu > 0:
            G = G / (n * mu)
        loss += strength * mu * np.mean((G - T) ** 2)
        D = 2 * (G - T) / G.size / n
        grad += ((D + D.T) @ F).reshape(x.shape)
    return loss, strength * grad


# -------------------------------------------------------------------------------- the matting Laplacian

def levin_cost(I, x, eps, r=1):
    """Levin, Lischinski and Weiss's matting cost of alpha ``x`` (h x w) on the h x w x 3 image ``I``: the sum over
    the 3 x 3 windows inside the image of min over (a, b) of sum_i (x_i - a . I_i - b)^2 + eps |a|^2, solved as a
    least-squares problem per window (independent of getLaplacian1's closed form)."""
    h, w, _ = I.shape
    total = 0.0
    for i in range(r, h - r):
        for j in range(r, w - r):
            win = I[i - r:i + r + 1, j - r:j + r + 1].reshape(-1, 3)
            A = np.vstack([np.hstack([win, np.ones((len(win), 1))]), np.hstack([math.sqrt(eps) * np.eye(3),
                                                                                 np.zeros((3, 1))])])
            b = np.concatenate([x[i - r:i + r + 1, j - r:j + r + 1].reshape(-1), np.zeros(3)])
            coef = np.linalg.lstsq(A, b, rcond=None)[0]
            total += ((A @ coef - b) ** 2).sum()
    return total


def column_major(plane):
    return plane.flatten('F')


def test_gen_laplacian_builds_levins_matrix_and_its_csr_file(tmp_path):
    """getLaplacian1's matrix (window 3 x 3) is symmetric, annihilates constants, and its quadratic form on
    Matlab's column-major pixel vector is Levin et al.'s windowed least-squares cost (checked with epsilon 1e-2,
    where the regulariser shows, and the scripts' 1e-7). gen_laplacian's file holds the nonzeros as 1-based
    (row, column, value) rows sorted by row then column, which matio reads back as a DoubleTensor."""
    rng = np.random.RandomState(1)
    I = rng.rand(6, 7, 3)
    for eps in (1e-2, 1e-7):
        L = gen_laplacian.getLaplacian1(I, np.zeros((6, 7)), eps, 1)
        np.testing.assert_allclose(L, L.T, atol=1e-9)
        np.testing.assert_allclose(L @ np.ones(42), 0, atol=1e-8)
        for _ in range(3):
            x = rng.rand(6, 7)
            v = column_major(x)
            assert v @ L @ v == pytest.approx(levin_cost(I, x, eps), rel=1e-6, abs=1e-9)
    path, L = gen_laplacian.gen_laplacian(I, 3, str(tmp_path))
    assert path.endswith('Input_Laplacian_3x3_1e-7_CSR3.mat')
    CSR = matio.load(path)['CSR']
    assert CSR.type() == 'legonn.DoubleTensor' and CSR.size(1) == 3
    rows, cols, vals = (CSR.numpy()[:, k] for k in range(3))
    assert np.all(np.diff(rows) >= 0) and np.all(np.diff(cols)[np.diff(rows) == 0] > 0)
    dense = np.zeros((42, 42))
    dense[rows.astype(int) - 1, cols.astype(int) - 1] = vals
    np.testing.assert_array_equal(dense, L)


# ------------------------------------------------------------------------------------------- cuda_utils

def laplacian_and_csr(I):
    L = gen_laplacian.getLaplacian1(I, np.zeros(I.shape[:2]), 1e-7, 1)
    rows, cols = np.nonzero(L)
    return L, rows + 1, cols + 1, L[rows, cols]


def test_matting_laplacian_kernel_is_twice_l_times_each_plane():
    """cuda_utils.matting_laplacian: plane c of the result, at row-major pixel (y, x), is 2 (L V_c) at Matlab's
    column-major index x h + y; i.e. the gradient of sum_c V_c^T L V_c."""
    rng = np.random.RandomState(2)
    h, w = 5, 6
    L, rows, cols, vals = laplacian_and_csr(rng.rand(h, w, 3))
    V = rng.rand(3, h, w).astype(np.float32)
    N = len(vals)
    grad = cuda_utils.matting_laplacian(lg.from_numpy(V), h, w, lg.IntTensor(rows.astype(np.int32)),
                                        lg.IntTensor(cols.astype(np.int32)),
                                        lg.FloatTensor(vals.astype(np.float32)), N)
    assert grad.type() == 'legonn.FloatTensor' and tuple(grad.size()) == (3, h, w)
    V64 = V.astype(np.float64)
    for c in range(3):
        expected = (2 * L @ column_major(V64[c])).reshape(w, h).T
        np.testing.assert_allclose(grad.numpy()[c], expected, atol=2e-5)
    energy = lambda: sum(column_major(V64[c]) @ L @ column_major(V64[c]) for c in range(3))  # noqa: E731
    np.testing.assert_allclose(grad.numpy(), numeric_gradient(energy, V64), atol=2e-5)


def best_local_affine_loop(O, I, r):
    """best_local_affine_kernel pixel by pixel: A = (M^T S)(M^T M + diag(1e-3, 1e-3, 1e-3, 0))^-1 over the
    in-image window, M's rows (I2, I1, I0, 1), S's rows (O2, O1, O0)."""
    _, h, w = I.shape
    A = np.zeros((h, w, 3, 4))
    for y in range(h):
        for x in range(w):
            ys, xs = slice(max(y - r, 0), y + r + 1), slice(max(x - r, 0), x + r + 1)
            M = np.vstack([I[::-1, ys, xs].reshape(3, -1), np.ones((1, I[0, ys, xs].size))]).T
            S = O[::-1, ys, xs].reshape(3, -1).T
            A[y, x] = np.linalg.solve(M.T @ M + np.diag([1e-3, 1e-3, 1e-3, 0]), M.T @ S).T
    return A


def bilateral_loop(A, G, r, sigma1, sigma2):
    """bilateral_smooth_kernel pixel by pixel: each model averaged over the in-image (2r+1)^2 window, weighted by
    exp(-(dx^2+dy^2) / (2 sigma1^2)) exp(-mean squared colour difference of the guide / (2 sigma2^2))."""
    _, h, w = G.shape
    out = np.zeros_like(A)
    for y in range(h):
        for x in range(w):
            acc, total = 0, 0
            for dy in range(-r, r + 1):
                for dx in range(-r, r + 1):
                    if 0 <= y + dy < h and 0 <= x + dx < w:
                        cd = ((G[:, y + dy, x + dx] - G[:, y, x]) ** 2).sum() / 3
                        weight = math.exp(-(dx * dx + dy * dy) / (2 * sigma1 ** 2)) * math.exp(-cd / (2 * sigma2 ** 2))
                        acc, total = acc + weight * A[y + dy, x + dx], total + weight
            out[y, x] = acc / total
    return out


def test_smooth_local_affine_reconstructs_from_local_affine_models():
    """cuda_utils.smooth_local_affine is the reconstruction, plane k from row k, of the best local affine models
    smoothed by the joint bilateral filter guided by the input: checked against a per-pixel solve and a per-pixel
    filter, with radius 0 (each pixel keeps its own model) and 2. With an output that is a global affine map of
    the input, the smoothed models reproduce that map, so the result is the output with its planes reversed (a
    BGR output gives an RGB image)."""
    rng = np.random.RandomState(4)
    h, w = 6, 5
    I = rng.rand(3, h, w).astype(np.float32)
    O = rng.rand(3, h, w).astype(np.float32)
    A = best_local_affine_loop(O.astype(np.float64), I.astype(np.float64), 1)
    M = np.concatenate([I[::-1], np.ones((1, h, w))]).astype(np.float64)
    for f_r, sigma1, sigma2 in ((0, 1.0, 0.05), (2, 2 / 3, 0.3)):
        best = cuda_utils.smooth_local_affine(lg.from_numpy(O), lg.from_numpy(I), 1e-7, 3, h, w, f_r, sigma1, sigma2)
        filtered = bilateral_loop(A, I.astype(np.float64), f_r, sigma1, sigma2)
        np.testing.assert_allclose(best.numpy(), np.einsum('hwij,jhw->ihw', filtered, M), atol=5e-4)

    K = np.array([[0.8, 0.1, 0.05], [0.1, 0.7, 0.1], [0.0, 0.2, 0.9]])
    O = (np.einsum('ij,jhw->ihw', K, I) + 0.05).astype(np.float32)
    best = deepmatting_seg.SmoothLocalAffine(lg.from_numpy(O * 256), lg.from_numpy(I * 256), 1e-7, 3, h, w, 2, 0.05)
    np.testing.assert_allclose(best.numpy(), O[::-1], atol=2e-2)
    with pytest.raises(AttributeError):
        deepmatting_seg.ErrorMapLocalAffine(lg.from_numpy(O), lg.from_numpy(I), 1e-7, 3, h, w)


# ------------------------------------------------------------------------- GPU: the scripts' CUDA parts

@pytest.mark.gpu
def test_style_loss_with_seg_matches_numpy():
    """StyleLossWithSeg (both scripts' forms) on CUDA: the loss and gradInput - gradOutput are the NumPy formula
    of masked_style_loss_numpy, with fractional masks (as after average pooling) and an empty colour."""
    rng = np.random.RandomState(5)
    x = rng.randn(4, 3, 5).astype(np.float32)
    masks = [(rng.rand(3, 5) > 0.5) * 1.0, rng.rand(3, 5), np.zeros((3, 5))]
    targets = [rng.rand(4, 4) for _ in masks]
    gout = rng.randn(4, 3, 5).astype(np.float32)
    for cls, extra in ((neuralstyle_seg.StyleLossWithSeg, (False,)), (deepmatting_seg.StyleLossWithSeg, ())):
        m = cls(100.0, [lg.from_numpy(t.astype(np.float32)) for t in targets],
                [lg.from_numpy(k.astype(np.float32)) for k in masks], ['blue', 'green', 'red'], 1, *extra)
        m = m.float().cuda()
        xin = lg.from_numpy(x).cuda()
        assert m.forward(xin) is xin
        g = m.backward(xin, lg.from_numpy(gout).cuda())
        loss, grad = masked_style_loss_numpy(x.astype(np.float64), masks, targets, 100.0)
        assert m.loss == pytest.approx(loss, rel=1e-4)
        np.testing.assert_allclose(g.float().numpy() - gout, grad, rtol=1e-4, atol=1e-4)


@pytest.mark.gpu
def test_matting_laplacian_gradient_from_the_csr_file(tmp_path):
    """deepmatting_seg's MattingLaplacian on the CSR gen_laplacian saved (read as the Lua reads it, ``:cuda()``):
    the gradient in the Caffe image's scale is 2 L V01_c / 256 per plane, V01 = (img + mean) / 256, which is the
    derivative of the photorealism term sum_c V01_c^T L V01_c with respect to the output."""
    rng = np.random.RandomState(6)
    h, w = 5, 6
    I = rng.rand(h, w, 3)
    path, L = gen_laplacian.gen_laplacian(I, 1, str(tmp_path))
    CSR = matio.load(path)['CSR'].cuda()
    output = (rng.rand(3, h, w) * 256).astype(np.float32)
    grad = deepmatting_seg.MattingLaplacian(lg.from_numpy(output).cuda(), CSR, h, w)
    assert grad.type() == 'legonn.CudaTensor'
    out64 = output.astype(np.float64)
    energy = lambda: sum(column_major(out64[c] / 256) @ L @ column_major(out64[c] / 256)  # noqa: E731
                         for c in range(3))
    np.testing.assert_allclose(grad.float().numpy(), numeric_gradient(energy, out64, eps=1e-3), rtol=1e-3,
                               atol=1e-6)


@pytest.mark.gpu
def test_smooth_local_affine_on_cuda_tensors_is_the_cpu_result():
    """deepmatting_seg's SmoothLocalAffine on CudaTensors (as the Lua calls it: the Caffe-scaled output and
    input) gives a CudaTensor equal to the same call on CPU tensors."""
    rng = np.random.RandomState(8)
    h, w = 6, 7
    O, I = ((rng.rand(3, h, w) * 256).astype(np.float32) for _ in range(2))
    cpu = deepmatting_seg.SmoothLocalAffine(lg.from_numpy(O), lg.from_numpy(I), 1e-7, 3, h, w, 2, 0.05)
    gpu = deepmatting_seg.SmoothLocalAffine(lg.from_numpy(O).cuda(), lg.from_numpy(I).cuda(), 1e-7, 3, h, w, 2, 0.05)
    assert gpu.type() == 'legonn.CudaTensor'
    np.testing.assert_allclose(gpu.float().numpy(), cpu.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.gpu
def test_neuralstyle_seg_script_lowers_its_losses(photo_dir, capsys):
    """th neuralstyle_seg.lua with the stand-in VGG-19, 16 x 16 images, the paper's weights and 12 L-BFGS
    iterations: the content layer relu4_2 and the five style layers are set up, and the printed total loss falls
    (slowly: from a near-zero random image the masked Gram losses are quartic, and L-BFGS's third step overshoots
    before coming back, as the Lua's would), and out1_t_6.png / out1_t_12.png are saved in the serial folder."""
    neuralstyle_seg.script(photo_dir + ['-num_iterations', '12', '-save_iter', '6', '-serial', 'tmp_results'])
    text = capsys.readouterr().out
    assert text.count('Setting up style layer') == 5 and text.count('Setting up content layer') == 1
    totals = printed_losses(text)
    assert len(totals) == 12 and totals[-1] < totals[4] < totals[0]
    for t in (6, 12):
        saved = image.load(f'tmp_results/out1_t_{t}.png', 3)
        assert tuple(saved.size()) == (3, SIZE, SIZE)


@pytest.mark.gpu
def test_neuralstyle_seg_cudnn_backend_prints_the_same_losses(photo_dir, capsys):
    """The README's ``-backend cudnn -cudnn_autotune``: loadcaffe's cudnn modules are recognised by the Lua's
    ``torch.type`` tests (cudnn.SpatialMaxPooling halves the masks, cudnn.SpatialConvolution blurs them), so the
    printed losses of 3 iterations are the nn backend's."""
    runs = []
    for backend in (['-backend', 'nn'], ['-backend', 'cudnn', '-cudnn_autotune']):
        neuralstyle_seg.script(photo_dir + backend + ['-num_iterations', '3', '-serial', backend[1]])
        runs.append(printed_losses(capsys.readouterr().out))
    assert len(runs[0]) == 3
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-5)


@pytest.fixture
def matting_inputs(photo_dir):
    """deepmatting_seg's extra inputs: the Laplacian file gen_laplacian writes for the content photo (under
    gen_laplacian/, where the Lua looks), and an init image (the content photo plus noise) standing for
    neuralstyle_seg's result. Returns the options, the Laplacian and the init image as loaded."""
    os.mkdir('gen_laplacian')
    photo = content_photo()
    _, L = gen_laplacian.gen_laplacian(photo.transpose(1, 2, 0), 1, 'gen_laplacian')
    save_png('examples/init1.png', (photo + 0.15 * np.random.RandomState(7).randn(*photo.shape)).clip(0, 1))
    args = photo_dir + ['-init_image', 'examples/init1.png', '-save_iter', '3', '-f_radius', '2']
    return args, L, image.load('examples/init1.png', 3).double().numpy()


class FirstEvaluation:
    """Stands in for deepmatting_seg's ``optim``: its lbfgs evaluates feval once at the init image and keeps
    the loss and the gradient."""

    def __init__(self):
        self.seen = []

    def lbfgs(self, feval, x, state):
        loss, grad = feval(x)
        self.seen.append((loss, grad.double().numpy().copy()))
        return x, [loss]


@pytest.mark.gpu
def test_deepmatting_seg_adds_lambda_times_the_laplacian_gradient(matting_inputs, monkeypatch, capsys):
    """feval's gradient at the init image with -lambda 1e4 minus the one with -lambda 0 is lambda * 2 L V_c / 256
    for V the init image in [0, 1] (BGR, the Caffe order: V_c = (img + mean) / 256), L the Laplacian gen_laplacian
    saved; the loss feval returns leaves the photorealism term out, as the Lua's, so both losses are equal."""
    args, L, init = matting_inputs
    stub = FirstEvaluation()
    monkeypatch.setattr(deepmatting_seg, 'optim', stub)
    deepmatting_seg.script(args + ['-serial', 'a'])
    deepmatting_seg.script(args + ['-serial', 'b', '-lambda', '0'])
    assert 'loading matting laplacian...' in capsys.readouterr().out
    (loss1, grad1), (loss0, grad0) = stub.seen
    assert loss1 == loss0
    V = init[::-1]
    expected = np.stack([(2e4 * L @ column_major(V[c]) / 256).reshape(SIZE, SIZE).T for c in range(3)])
    np.testing.assert_allclose((grad1 - grad0).reshape(3, SIZE, SIZE), expected, rtol=1e-3, atol=1e-3)
    assert np.abs(expected).max() > 10


@pytest.mark.gpu
def test_deepmatting_seg_script_lowers_its_losses(matting_inputs, capsys):
    """th deepmatting_seg.lua for 20 L-BFGS iterations from the init image: the printed content + style loss
    falls tenfold, and best1_t_3.png ... best1_t_18.png, the smoothed local affine reconstructions, are saved every
    3 calls."""
    args, _, _ = matting_inputs
    deepmatting_seg.script(args + ['-num_iterations', '20', '-serial', 'final_results'])
    totals = printed_losses(capsys.readouterr().out)
    assert len(totals) == 20 and totals[-1] < 0.1 * totals[0]
    for t in range(3, 20, 3):
        assert tuple(image.load(f'final_results/best1_t_{t}.png', 3).size()) == (3, SIZE, SIZE)
    assert not os.path.exists('final_results/best1_t_20.png')
