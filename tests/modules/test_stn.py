"""qassemoquab/stnbhwd's modules: AffineGridGeneratorBHWD, BilinearSamplerBHWD, AffineTransformMatrixGenerator.

Each class: finite-difference Jacobians in float64 (stnbhwd's test.lua cases, batched and single), float() /
double(), the GPU twin; the C loops of generic/BilinearSamplerBHWD.c and the Lua of the two generators
transcribed below in float64 NumPy; bad input naming the module; demo/spatial_transformer.lua's network."""
import itertools
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, on_gpu, standard_tests


def _sampler_loops(img, grid, gout):
    """generic/BilinearSamplerBHWD.c's updateOutput and updateGradInput, loop by loop, in float64."""
    B, H, W, D = img.shape
    _, h, w, _ = grid.shape
    out = np.zeros((B, h, w, D))
    gimg = np.zeros_like(img)
    ggrid = np.zeros_like(grid)
    for b in range(B):
        for yo in range(h):
            for xo in range(w):
                yf, xf = grid[b, yo, xo]
                xc = (xf + 1) * (W - 1) / 2
                x0 = math.floor(xc)
                wx = 1 - (xc - x0)
                yc = (yf + 1) * (H - 1) / 2
                y0 = math.floor(yc)
                wy = 1 - (yc - y0)
                corners = [(y0, x0, wy * wx), (y0, x0 + 1, wy * (1 - wx)), (y0 + 1, x0, (1 - wy) * wx),
                           (y0 + 1, x0 + 1, (1 - wy) * (1 - wx))]
                dots = []
                for yi, xi, weight in corners:
                    inside = 0 <= yi <= H - 1 and 0 <= xi <= W - 1
                    dot = 0.0
                    for t in range(D):
                        if inside:
                            out[b, yo, xo, t] += weight * img[b, yi, xi, t]
                            dot += img[b, yi, xi, t] * gout[b, yo, xo, t]
                            gimg[b, yi, xi, t] += weight * gout[b, yo, xo, t]
                    dots.append(dot)
                tl, tr, bl, br = dots
                gy = -wx * tl + wx * bl - (1 - wx) * tr + (1 - wx) * br
                gx = -wy * tl + wy * tr - (1 - wy) * bl + (1 - wy) * br
                ggrid[b, yo, xo] = gy * (H - 1) / 2, gx * (W - 1) / 2
    return out, gimg, ggrid


def test_sampler_matches_c_loops_with_points_outside():
    """generic/BilinearSamplerBHWD.c: output, gradImages and gradGrids, grid points in [-1.6, 1.6] so some
    fall partly or wholly outside the image (their outside corners read zero)."""
    rng = np.random.default_rng(0)
    img = rng.standard_normal((2, 4, 5, 3))
    grid = rng.uniform(-1.6, 1.6, (2, 3, 6, 2))
    grid[0, 0, 0] = (5.0, -7.0)   # far outside: zero output and gradients
    gout = rng.standard_normal((2, 3, 6, 3))
    m = nn.BilinearSamplerBHWD().double()
    out = m.forward([lg.from_numpy(img), lg.from_numpy(grid)])
    gi = m.backward([lg.from_numpy(img), lg.from_numpy(grid)], lg.from_numpy(gout))
    ref_out, ref_gimg, ref_ggrid = _sampler_loops(img, grid, gout)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gi[0].numpy(), ref_gimg, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gi[1].numpy(), ref_ggrid, rtol=1e-12, atol=1e-14)
    assert not out.numpy()[0, 0, 0].any() and not gi[1].numpy()[0, 0, 0].any()


def test_sampler_identity_grid_copies_the_image():
    """AffineGridGeneratorBHWD.lua + BilinearSamplerBHWD.c: the identity matrix's grid lands on the pixel
    centres, so sampling returns the image (single sample, 3-D tensors)."""
    img = lg.from_numpy(np.random.default_rng(1).standard_normal((4, 5, 2)))
    grid = nn.AffineGridGeneratorBHWD(4, 5).double().forward(lg.from_numpy(np.array([[1., 0, 0], [0, 1, 0]])))
    out = nn.BilinearSamplerBHWD().double().forward([img, grid])
    np.testing.assert_allclose(out.numpy(), img.numpy(), atol=1e-12)


def test_grid_generator_matches_lua():
    """AffineGridGeneratorBHWD.lua: baseGrid (y_i, x_j, 1) with y_i = -1 + 2i/(H-1), x_j = -1 + 2j/(W-1);
    output = baseGrid theta^T, gradInput = gradGrid^T baseGrid."""
    rng = np.random.default_rng(2)
    theta = rng.standard_normal((3, 2, 3))
    gout = rng.standard_normal((3, 4, 5, 2))
    m = nn.AffineGridGeneratorBHWD(4, 5).double()
    out = m.forward(lg.from_numpy(theta)).numpy()
    gi = m.backward(lg.from_numpy(theta), lg.from_numpy(gout)).numpy()
    ref, ref_gi = np.zeros((3, 4, 5, 2)), np.zeros((3, 2, 3))
    for b in range(3):
        for i in range(4):
            for j in range(5):
                point = np.array([-1 + i / 3 * 2, -1 + j / 4 * 2, 1.0])
                ref[b, i, j] = theta[b] @ point
                ref_gi[b] += np.outer(gout[b, i, j], point)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gi, ref_gi, rtol=1e-12, atol=1e-14)


FLAGS = list(itertools.product((False, True), repeat=3))


@pytest.mark.parametrize('flags', FLAGS, ids=lambda f: ''.join('RST'[i] if v else '-' for i, v in enumerate(f)))
def test_matrix_generator_matches_lua(flags):
    """AffineTransformMatrixGenerator.lua: the top rows of R(a) S(s) T(tx, ty) from (a, s, tx, ty), in that
    order, the unused ones left out; with no flag the 6 inputs are the matrix."""
    rot, scale, trans = flags
    rng = np.random.default_rng(3)
    n = 6 if not any(flags) else rot + scale + 2 * trans
    p = rng.standard_normal((4, n))
    out = nn.AffineTransformMatrixGenerator(rot, scale, trans).double().forward(lg.from_numpy(p)).numpy()
    for b in range(4):
        if not any(flags):
            expected = p[b].reshape(2, 3)
        else:
            k, m = 0, np.eye(3)
            if rot:
                a = p[b, k]
                m = m @ np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
                k += 1
            if scale:
                m = m @ np.diag([p[b, k], p[b, k], 1])
                k += 1
            if trans:
                m = m @ np.array([[1, 0, p[b, k]], [0, 1, p[b, k + 1]], [0, 0, 1]])
            expected = m[:2]
        np.testing.assert_allclose(out[b], expected, rtol=1e-12, atol=1e-14)


def _sampler_input(batched):
    rng = np.random.default_rng(4)
    lead = (3,) if batched else ()
    return [rng.uniform(0, 1, lead + (4, 5, 3)), rng.uniform(-1, 1, lead + (3, 4, 2))]


CASES = {
    'grid_batch': (lambda: nn.AffineGridGeneratorBHWD(3, 4), lambda: np.random.default_rng(5).uniform(size=(5, 2, 3))),
    'grid_single': (lambda: nn.AffineGridGeneratorBHWD(4, 2), lambda: np.random.default_rng(6).uniform(size=(2, 3))),
    'sampler_batch': (nn.BilinearSamplerBHWD, lambda: _sampler_input(True)),
    'sampler_single': (nn.BilinearSamplerBHWD, lambda: _sampler_input(False)),
    'matrix_full': (nn.AffineTransformMatrixGenerator, lambda: np.random.default_rng(7).normal(size=(3, 6))),
    'matrix_rst': (lambda: nn.AffineTransformMatrixGenerator(True, True, True),
                   lambda: np.random.default_rng(8).normal(size=(3, 4))),
    'matrix_rt_single': (lambda: nn.AffineTransformMatrixGenerator(True, False, True),
                         lambda: np.random.default_rng(9).normal(size=(3,))),
    'matrix_s': (lambda: nn.AffineTransformMatrixGenerator(False, True, False),
                 lambda: np.random.default_rng(10).normal(size=(2, 1))),
}


def _build(name):
    make, data = CASES[name]
    return make(), data()


def _bounds(name):
    # test.lua: images uniform in [0, 1], grids in [-1, 1]; the Jacobian draws one range for the whole table
    return (-1, 1) if name.startswith('sampler') else (-2, 2)


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), _build, _bounds)


@pytest.mark.parametrize('batched', (True, False))
def test_sampler_jacobian_per_input(batched):
    """test.lua's BilinearSamplerBHWD_batch/_single: the Jacobian of the images with the grids fixed, and of
    the grids with the images fixed (grid points away from pixel lines, where the sampler has kinks)."""
    images, grids = (lg.from_numpy(a) for a in _sampler_input(batched))
    m = nn.BilinearSamplerBHWD().double()
    rng = np.random.default_rng(11)
    gout = lg.from_numpy(rng.standard_normal(tuple(grids.size())[:-1] + (3,)))
    for k, x in enumerate((images, grids)):
        def loss(a, k=k):
            inp = [images, grids]
            inp[k] = lg.from_numpy(a)
            return float((m.forward(inp).numpy() * gout.numpy()).sum())
        m.forward([images, grids])
        analytic = m.backward([images, grids], gout)[k].numpy().copy()
        base = x.numpy().copy()
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            up, down = base.copy(), base.copy()
            up[idx] += 1e-6
            down[idx] -= 1e-6
            numeric[idx] = (loss(up) - loss(down)) / 2e-6
        np.testing.assert_allclose(analytic, numeric, atol=1e-6)


def test_bad_input_names_the_module():
    """The Lua's asserts (bx2x3 matrices, 4-D images and grids of one batch with 2 coordinates, the number of
    transform parameters) as errors naming the module; nothing fails later."""
    assert_rejected(nn.AffineGridGeneratorBHWD(3, 3), ValueError, r'AffineGridGeneratorBHWD.*\(B, 2, 3\)',
                    'forward', lg.zeros(2, 3, 3))
    assert_rejected(nn.BilinearSamplerBHWD(), ValueError, r'BilinearSamplerBHWD.*grids of size',
                    'forward', [lg.zeros(2, 4, 4, 3), lg.zeros(3, 4, 4, 2)])
    assert_rejected(nn.BilinearSamplerBHWD(), ValueError, r'BilinearSamplerBHWD.*grids of size',
                    'forward', [lg.zeros(2, 4, 4, 3), lg.zeros(2, 4, 4, 3)])
    assert_rejected(nn.BilinearSamplerBHWD(), TypeError, r'BilinearSamplerBHWD.*table',
                    'forward', lg.zeros(2, 4, 4, 3))
    assert_rejected(nn.AffineTransformMatrixGenerator(True, False, True), ValueError,
                    r'AffineTransformMatrixGenerator.*3 transform parameters', 'forward', lg.zeros(2, 4))
    with pytest.raises(ValueError, match='AffineGridGeneratorBHWD.*> 1'):
        nn.AffineGridGeneratorBHWD(1, 5)


def _c_function_case(rng):
    """One (H, W, D) image, expanded with stride 0 to a batch of B (densecap's addOuterDim + expand), and B
    grids."""
    img = rng.standard_normal((4, 5, 3))
    grids = rng.uniform(-1.4, 1.4, (3, 2, 6, 2))
    gout = rng.standard_normal((3, 2, 6, 3))
    return img, grids, gout


def _run_c_functions(img, grids, gout, device=lambda t: t):
    """stnbhwd's C functions through a tensor's ``nn`` table, on an image expanded to the batch, as densecap's
    BatchBilinearSamplerBHWD.lua calls them; returns output, gradImage (H, W, D) and gradGrids as arrays."""
    image = device(lg.from_numpy(img))
    grid = device(lg.from_numpy(grids))
    B, (H, W, C) = grids.shape[0], img.shape
    view = image.view(1, H, W, C).expand(B, H, W, C)
    out = image.new(B, grids.shape[1], grids.shape[2], C)
    image.nn.BilinearSamplerBHWD_updateOutput(None, view, grid, out)
    gimage = image.new(H, W, C).zero()
    ggrid = grid.new().resizeAs(grid).zero()
    image.nn.BilinearSamplerBHWD_updateGradInput(None, view, grid, gimage.view(1, H, W, C).expand(B, H, W, C),
                                                 ggrid, device(lg.from_numpy(gout)))
    return [np.asarray(t.array.get() if t.is_cuda else t.array) for t in (out, gimage, ggrid)]


def test_c_functions_through_the_tensor_nn_table():
    """``x.nn.BilinearSamplerBHWD_updateOutput(self, images, grids, output)`` and ``..._updateGradInput(self,
    images, grids, gradImages, gradGrids, gradOutput)``: the forward is the C loops' on the replicated image;
    the image gradient, written into a stride-0 view of one (H, W, D) tensor, is the sum over the batch of the
    C loops' (the CUDA kernel's atomic adds into the aliased pixels); gradGrids is the C loops'."""
    img, grids, gout = _c_function_case(np.random.default_rng(3))
    out, gimage, ggrid = _run_c_functions(img, grids, gout)
    ref_out, ref_gimg, ref_ggrid = _sampler_loops(np.broadcast_to(img, (3,) + img.shape).copy(), grids, gout)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gimage, ref_gimg.sum(0), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ggrid, ref_ggrid, rtol=1e-12, atol=1e-14)


def test_tensor_nn_table_errors():
    x = lg.DoubleTensor(2, 4, 5, 3).zero()
    with pytest.raises(AttributeError, match="no C function 'SpatialConvolutionMM_updateOutput'.*"
                                             "BilinearSamplerBHWD_updateOutput"):
        x.nn.SpatialConvolutionMM_updateOutput
    assert x.nn is lg.FloatTensor().nn
    with pytest.raises(ValueError, match=r"BilinearSamplerBHWD_updateOutput: expected output a "
                                         r"legonn.DoubleTensor of size \(2, 3, 3, 3\), got .* \(2, 3, 3, 2\)"):
        x.nn.BilinearSamplerBHWD_updateOutput(None, x, lg.DoubleTensor(2, 3, 3, 2).zero(),
                                              lg.DoubleTensor(2, 3, 3, 2))
    with pytest.raises(ValueError, match=r"expected images \(B, H, W, D\) and grids \(B, h, w, 2\)"):
        x.nn.BilinearSamplerBHWD_updateOutput(None, x[0], lg.DoubleTensor(2, 3, 3, 2), lg.DoubleTensor())


@pytest.mark.gpu
def test_c_functions_through_the_tensor_nn_table_on_the_gpu():
    if not lg.gpu_available():
        pytest.skip('no GPU')
    img, grids, gout = _c_function_case(np.random.default_rng(4))
    cpu = _run_c_functions(img, grids, gout)
    gpu = _run_c_functions(img, grids, gout, device=on_gpu)
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _bhwd_loops(img, grid, g):
    """BilinearSamplerBHWD.c's loops: output, gradImages and gradGrids, an outside neighbour read as 0 and
    skipped in the backward."""
    B, H, W, D = img.shape
    out, gimg, ggrid = np.zeros(grid.shape[:3] + (D,)), np.zeros_like(img), np.zeros_like(grid)
    for b, i, j in np.ndindex(*grid.shape[:3]):
        yc, xc = (grid[b, i, j, 0] + 1) * (H - 1) / 2, (grid[b, i, j, 1] + 1) * (W - 1) / 2
        y0, x0 = math.floor(yc), math.floor(xc)
        wy, wx = 1 - (yc - y0), 1 - (xc - x0)
        dots = []
        for dy, dx, w in ((0, 0, wx * wy), (0, 1, (1 - wx) * wy), (1, 0, wx * (1 - wy)), (1, 1, (1 - wx) * (1 - wy))):
            yi, xi = y0 + dy, x0 + dx
            if 0 <= yi <= H - 1 and 0 <= xi <= W - 1:
                out[b, i, j] += w * img[b, yi, xi]
                gimg[b, yi, xi] += w * g[b, i, j]
                dots.append((img[b, yi, xi] * g[b, i, j]).sum())
            else:
                dots.append(0.0)
        tl, tr, bl, br = dots
        ggrid[b, i, j, 0] = (-wx * tl + wx * bl - (1 - wx) * tr + (1 - wx) * br) * (H - 1) / 2
        ggrid[b, i, j, 1] = (-wy * tl + wy * tr - (1 - wy) * bl + (1 - wy) * br) * (W - 1) / 2
    return out, gimg, ggrid


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_bhwd_outside_neighbours_keep_inf_and_nan_out(tensor):
    # the C reads an outside neighbour as 0 and skips it backwards: an inf or NaN border pixel, or an inf
    # gradOutput at a point with outside neighbours, does not turn into NaN there (0 * inf at a clipped index)
    rng = np.random.default_rng(11)
    img = rng.normal(size=(1, 4, 4, 2))
    img[0, 0, 0, 0], img[0, 3, 2, 1] = np.inf, np.nan
    pixels = np.array([[[-1.5, -1.5], [-0.5, 1.25], [4.5, 2.0]], [[1.5, 0.5], [3.5, 3.0], [2.0, -0.75]]])
    grid = (2 * pixels / 3 - 1)[None]
    g = rng.normal(size=(1, 2, 3, 2))
    g[0, 0, 0, 0], g[0, 1, 2, 1] = np.inf, -np.inf
    m = nn.BilinearSamplerBHWD().type(tensor)
    x = [lg.DoubleTensor(img).type(tensor), lg.DoubleTensor(grid).type(tensor)]
    out = m.forward(x).double().numpy()
    gimg, ggrid = (t.double().numpy() for t in m.backward(x, lg.DoubleTensor(g).type(tensor)))
    want = _bhwd_loops(img, grid, g)
    assert np.isfinite(want[0]).all() and np.isfinite(want[1]).sum() == 30
    for got, ref in zip((out, gimg, ggrid), want):
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15)
