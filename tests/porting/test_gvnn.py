"""ankurhanda/gvnn ported line by line (tests/porting/gvnn/, its docstring lists what is ported and the edits):
test.lua's nn.Jacobian tests run as the Lua runs them (Torch7's default DoubleTensor), the layers' outputs
against NumPy references (matrix exponentials of the skew matrices, pinhole back-projection and projection),
every layer's Jacobians by tests/checks.py's finite differences in float64, and the warping demos
(imagewarpingSO3.lua / test_warpingSO3.lua on a synthetic grey image, imagewarpingSE3.lua /
test_warpingSE3.lua on a synthetic image and depth map) against a NumPy warp; on CUDA tensors through CuPy.
"""
import contextlib
import io

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian
from tests.porting import gvnn
from tests.porting.gvnn import imagewarpingSE3, imagewarpingSO3, test_warpingSE3, test_warpingSO3
from tests.porting.gvnn import test as gvnn_test

pytestmark = pytest.mark.usefixtures('double_default')


def quiet(fn, *args):
    """Runs ``fn`` with its prints (the Lua's own: test.lua's and TransformationRotationSO3's) swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def skew(v):
    """[v]x, the matrix of the cross product by v."""
    x, y, z = v
    return np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]], dtype=np.float64)


def expm(a, terms=40):
    """exp(a) by its power series (small matrices of small norm)."""
    out, term = np.eye(len(a)), np.eye(len(a))
    for k in range(1, terms):
        term = term @ a / k
        out = out + term
    return out


def reference_warp(img, points, fx, fy, u0, v0):
    """Samples the (C, H, W) ``img`` where the pinhole camera (fx, fy, u0, v0; 1-based pixels) sees each pixel's
    3-D point ``points[i, j]``: stnbhwd's bilinear weights of the four neighbours, those outside the image
    contributing nothing."""
    c, h, w = img.shape
    X, Y, Z = np.moveaxis(points, -1, 0)
    y, x = fy * Y / Z + v0 - 1, fx * X / Z + u0 - 1     # 0-based pixel coordinates
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    out = np.zeros(img.shape)
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            out += np.where(inside, wy * wx, 0) * img[:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
    return out


def rays(height, width, fx, fy, u0, v0):
    """(H, W, 3) rays ((u - u0)/fx, (v - v0)/fy, 1) of the 1-based pixels (u, v)."""
    v, u = np.meshgrid(np.arange(1, height + 1), np.arange(1, width + 1), indexing='ij')
    return np.stack([(u - u0) / fx, (v - v0) / fy, np.ones((height, width))], axis=-1)


# test.lua, as gvnn.test runs it -------------------------------------------------------------------------------

PASSING = [name for name in gvnn_test.gvnntest if name not in ('PHCP_single', 'TransformationRotationSO3_single')]


@pytest.mark.parametrize('name', PASSING)
def test_gvnn_testlua(name):
    """Each of test.lua's tests: the Jacobian within 1e-5 and testIO's errors 0 (a failed assertion raises)."""
    tester = quiet(gvnn_test.test, [name])
    assert tester.assertionFail[name] == 0 and tester.assertionPass[name] >= 1


def test_gvnn_testlua_PHCP_single_fails_on_the_missing_camera_as_in_torch7():
    """PHCP_single builds ``nn.PinHoleCameraProjectionBHWD(height, width)``: the constructor's ``(u0-1)`` is
    arithmetic on nil in Lua, an error; here on None, a TypeError."""
    with pytest.raises(TypeError, match='NoneType'):
        quiet(gvnn_test.test, ['PHCP_single'])


def test_gvnn_testlua_TransformationRotationSO3_single_fails_near_the_projection_singularity():
    """TransformationRotationSO3_single's chain (so(3) -> rotation -> points -> projection): testJacobian
    redraws the zeroed parameters in [-2, 2] (Jacobian.lua), rotations of up to 3.5 rad that bring some pixel's
    point to Z ~ 0, where X/Z's derivative outgrows central differences: the Lua's assertion fails (as in
    Torch7 for such a draw). The same chain's Jacobian holds for rotations in [-0.1, 0.1]."""
    with pytest.raises(AssertionError, match='error on state'):
        quiet(gvnn_test.test, ['TransformationRotationSO3_single'])
    module = nn.Sequential()
    module.add(gvnn.TransformationRotationSO3())
    module.add(gvnn.Transform3DPoints_R(6, 8, 6, 6, 4, 3))
    module.add(gvnn.PinHoleCameraProjectionBHWD(6, 8, 6, 6, 4, 3))
    err = quiet(nn.Jacobian.testJacobian, module, lg.Tensor(1, 3).zero(), -0.1, 0.1)
    assert err < gvnn_test.precision


def test_an_argument_torch7s_select_never_reads_is_refused():
    """NonRigidPerPixelSE3.lua's ``self.gradInput:select(4,4,1)``: Torch7's select (generic/Tensor.c) reads
    arguments 2 and 3 and ignores a third; legonn's is a Python method, which refuses it (docs/porting.md's
    row): the port drops it, and the slice is the same."""
    t = lg.Tensor(2, 3, 4, 6).uniform()
    with pytest.raises(TypeError, match='positional argument'):
        t.select(3, 3, 1)
    np.testing.assert_array_equal(np.asarray(t.select(3, 3)), np.asarray(t)[..., 3])


# the layers' values -------------------------------------------------------------------------------------------

def test_so3_layers_give_the_exponential_of_the_skew_matrix():
    """TransformationRotationSO3 (the zero vector included: its identity branch, and its derivatives the
    generators, dR_by_dvi's small-angle branch), TransformationMatrix3x4SO3's [R | R t], NonRigidRotationSO3
    and NonRigidPerPixelSE3 per pixel."""
    v = lg.Tensor(4, 3).uniform(-1, 1)
    v[3].zero()
    R = quiet(gvnn.TransformationRotationSO3().forward, v)
    for b in range(4):
        np.testing.assert_allclose(np.asarray(R[b]), expm(skew(np.asarray(v[b]))), atol=1e-12)
    m = gvnn.TransformationRotationSO3()
    quiet(m.forward, v)
    g = lg.Tensor(4, 3, 3).uniform(-1, 1)
    gi = m.backward(v, g)
    for i in range(3):   # at v = 0, dR/dv_i = [e_i]x
        assert float(gi[3][i]) == pytest.approx(float((np.asarray(g[3]) * skew(np.eye(3)[i])).sum()), abs=1e-12)

    p = lg.Tensor(5, 6).uniform(-1, 1)
    T = gvnn.TransformationMatrix3x4SO3(True, False, True).forward(p)
    for b in range(5):
        Rb = expm(skew(np.asarray(p[b][:3])))
        np.testing.assert_allclose(np.asarray(T[b]), np.hstack([Rb, (Rb @ np.asarray(p[b][3:]))[:, None]]),
                                   atol=1e-12)

    w = lg.Tensor(2, 3, 4, 6).uniform(-1, 1)
    Rp = gvnn.NonRigidRotationSO3().forward(w.narrow(3, 0, 3).contiguous())
    Tp = gvnn.NonRigidPerPixelSE3().forward(w)
    for b, i, j in [(0, 0, 0), (1, 2, 3), (0, 1, 2)]:
        wv = np.asarray(w[b][i][j])
        np.testing.assert_allclose(np.asarray(Rp[b][i][j]), expm(skew(wv[:3])), atol=1e-12)
        np.testing.assert_allclose(np.asarray(Tp[b][i][j]), np.hstack([expm(skew(wv[:3])), wv[3:, None]]),
                                   atol=1e-12)


def test_euler_generator_composes_its_three_axis_rotations():
    """TransformationMatrix3x4Euler: R = R_phi R_theta R_psi, EulerRot's rotations by -phi about z, -theta about
    y and -psi about x, then the translation."""
    p = lg.Tensor(3, 6).uniform(-1, 1)
    T = gvnn.TransformationMatrix3x4Euler(True, False, True).forward(p)
    for b in range(3):
        phi, theta, psi, *t = np.asarray(p[b])
        Rb = expm(skew([0, 0, -phi])) @ expm(skew([0, -theta, 0])) @ expm(skew([-psi, 0, 0]))
        np.testing.assert_allclose(np.asarray(T[b]), np.hstack([Rb, (Rb @ np.array(t))[:, None]]), atol=1e-12)


def test_points_and_projection_layers():
    """Transform3DPoints_depth and _Rt back-project 1-based pixels with the depth, _R rotates the rays, and
    PinHoleCameraProjectionBHWD gives fx X/Z + u0 in BilinearSamplerBHWD's [-1, 1] coordinates."""
    H, W, fx, fy, u0, v0 = 3, 4, 2.0, 3.0, 1.5, 2.5
    ray = rays(H, W, fx, fy, u0, v0)
    d = lg.Tensor(2, H, W).uniform(0.5, 2)
    P = gvnn.Transform3DPoints_depth(H, W, fx, fy, u0, v0).forward(d)
    np.testing.assert_allclose(np.asarray(P), ray[None] * np.asarray(d)[..., None], atol=1e-12)

    Rt = lg.Tensor(2, 3, 4).uniform(-1, 1)
    Q = gvnn.Transform3DPoints_Rt(H, W, fx, fy, u0, v0).forward([Rt, d])
    hom = np.concatenate([ray[None] * np.asarray(d)[..., None], np.ones((2, H, W, 1))], axis=-1)
    np.testing.assert_allclose(np.asarray(Q), np.einsum('bkl,bijl->bijk', np.asarray(Rt), hom), atol=1e-12)

    R = lg.Tensor(2, 3, 3).uniform(-1, 1)
    np.testing.assert_allclose(np.asarray(gvnn.Transform3DPoints_R(H, W, fx, fy, u0, v0).forward(R)),
                               np.einsum('bkl,ijl->bijk', np.asarray(R), ray), atol=1e-12)

    pts = lg.Tensor(1, H, W, 3).uniform(0.5, 2)
    uv = gvnn.PinHoleCameraProjectionBHWD(H, W, fx, fy, u0, v0).forward(pts)
    X, Y, Z = np.moveaxis(np.asarray(pts), -1, 0)
    np.testing.assert_allclose(np.asarray(uv)[..., 0], -1 + 2 * (fx * X / Z + u0 - 1) / (W - 1), atol=1e-9)
    np.testing.assert_allclose(np.asarray(uv)[..., 1], -1 + 2 * (fy * Y / Z + v0 - 1) / (H - 1), atol=1e-9)


def test_per_pixel_grid_layers():
    """DenseAffineOpticFlowBHWD, Disparity1DBHWD, OpticalFlow2DBHWD and NonRigidSE2BHWD move each pixel's
    normalised (x, y); ReverseXYOrder swaps the pair."""
    H, W = 3, 5
    y, x = np.meshgrid(np.linspace(-1, 1, H), np.linspace(-1, 1, W), indexing='ij')
    a = lg.Tensor(2, H, W, 6).uniform(-1, 1)
    A = np.asarray(a)
    out = np.asarray(gvnn.DenseAffineOpticFlowBHWD(H, W).forward(a))
    np.testing.assert_allclose(out[..., 0], A[..., 0] * x + A[..., 1] * y + A[..., 2], atol=1e-12)
    np.testing.assert_allclose(out[..., 1], A[..., 3] * x + A[..., 4] * y + A[..., 5], atol=1e-12)
    out = np.asarray(gvnn.Disparity1DBHWD(H, W).forward(a.narrow(3, 0, 1).contiguous()))
    np.testing.assert_allclose(out[..., 0], x + A[..., 0], atol=1e-12)
    np.testing.assert_allclose(out[..., 1], np.broadcast_to(y, (2, H, W)), atol=0)
    out = np.asarray(gvnn.OpticalFlow2DBHWD(H, W).forward(a.narrow(3, 0, 2).contiguous()))
    np.testing.assert_allclose(out, np.stack([x, y], axis=-1)[None] + A[..., :2], atol=1e-12)
    out = np.asarray(gvnn.NonRigidSE2BHWD(H, W).forward(a.narrow(3, 0, 3).contiguous()))
    c, s = np.cos(A[..., 0]), np.sin(A[..., 0])
    np.testing.assert_allclose(out, np.stack([c * x - s * y + A[..., 1], s * x + c * y + A[..., 2]], -1),
                               atol=1e-12)
    np.testing.assert_allclose(np.asarray(gvnn.ReverseXYOrder().forward(a.narrow(3, 0, 2).contiguous())),
                               A[..., 1::-1], atol=0)


# every layer's Jacobians by finite differences (tests/checks.py) ---------------------------------------------

def _layers():
    """(module, input, minval, maxval): inputs away from the projection's Z = 0."""
    return [
        (gvnn.TransformationRotationSO3(), lg.Tensor(3, 3), -2, 2),
        (gvnn.TransformationMatrix3x4SO3(True, False, True), lg.Tensor(3, 6), -2, 2),
        (gvnn.TransformationMatrix3x4Euler(True, False, True), lg.Tensor(3, 6), -2, 2),
        (gvnn.TransformationMatrix3x4Euler(True, False, False), lg.Tensor(3), -2, 2),
        (gvnn.Transform3DPoints_R(3, 4, 2, 2, 2, 1), lg.Tensor(2, 3, 3), -2, 2),
        (gvnn.Transform3DPoints_Rt(3, 4, 2, 2, 2, 1), [lg.Tensor(2, 3, 4), lg.Tensor(2, 3, 4)], -2, 2),
        (gvnn.Transform3DPoints_depth(3, 4, 2, 2, 2, 1), lg.Tensor(2, 3, 4), -2, 2),
        (gvnn.PinHoleCameraProjectionBHWD(3, 4, 2, 2, 2, 1), lg.Tensor(2, 3, 4, 3), 0.5, 2),
        (gvnn.ReverseXYOrder(), lg.Tensor(2, 3, 4, 2), -2, 2),
        (gvnn.DenseAffineOpticFlowBHWD(3, 4), lg.Tensor(2, 3, 4, 6), -2, 2),
        (gvnn.Disparity1DBHWD(3, 4), lg.Tensor(2, 3, 4, 1), -2, 2),
        (gvnn.OpticalFlow2DBHWD(3, 4), lg.Tensor(2, 3, 4, 2), -2, 2),
        (gvnn.NonRigidSE2BHWD(3, 4), lg.Tensor(2, 3, 4, 3), -2, 2),
        (gvnn.NonRigidRotationSO3(), lg.Tensor(1, 2, 3, 3), 0.1, 2),
        (gvnn.NonRigidPerPixelSE3(), lg.Tensor(1, 2, 3, 6), 0.1, 2),
    ]


@pytest.mark.parametrize('case', range(len(_layers())))
def test_layer_jacobian(case):
    module, input, lo, hi = _layers()[case]
    quiet(assert_jacobian, module, input, 1e-6, lo, hi)


# the demos ----------------------------------------------------------------------------------------------------

def _so3_reference(img, r):
    Rm = expm(skew(r))
    fx, fy, u0, v0 = imagewarpingSO3.fx, imagewarpingSO3.fy, imagewarpingSO3.u0, imagewarpingSO3.v0
    pts = np.einsum('kl,ijl->ijk', Rm, rays(img.shape[1], img.shape[2], fx, fy, u0, v0))
    return reference_warp(img, pts, fx, fy, u0, v0)


def test_warping_so3_demo(tmp_path, monkeypatch):
    """test_warpingSO3.lua on a synthetic 240 x 320 linen1.png: the rotation (0.2, 0, 0) warps the image as a
    NumPy pinhole warp does (checked on a band of rows), and saves warped.png."""
    y, x = np.mgrid[0:240, 0:320]
    grey = (0.5 + 0.25 * np.sin(x / 9.0) + 0.25 * np.cos(y / 7.0))[None]
    monkeypatch.chdir(tmp_path)
    image.save('linen1.png', lg.from_numpy(grey))
    out_i, out_r, out_w = quiet(test_warpingSO3.main)
    assert tuple(out_i.size()) == (1, 240, 320, 1) and tuple(out_r.size()) == (1, 240, 320, 2)
    assert tuple(out_w.size()) == (1, 1, 240, 320)
    src = np.asarray(image.loadPNG('linen1.png').double())
    warped = np.asarray(out_w[0])
    np.testing.assert_allclose(warped, _so3_reference(src, [0.2, 0, 0]), atol=1e-9)
    assert np.abs(warped - src).max() > 0.1      # a real move
    assert (tmp_path / 'warped.png').exists()


def test_warping_so3_net_is_the_identity_for_no_rotation():
    """imagewarpingSO3.lua's warping_net with r = 0: every pixel samples itself (the 1-based pixel grids of
    Transform3DPoints_R and PinHoleCameraProjectionBHWD agree)."""
    _, _, warping_net = imagewarpingSO3.build()
    img = lg.Tensor(1, 1, 240, 320).uniform()
    out = quiet(warping_net.forward, [img, lg.Tensor(1, 3).zero()])
    np.testing.assert_allclose(np.asarray(out), np.asarray(img), atol=1e-9)


SE3_MOTION = [0.00104319, -0.00694122, -0.00333668, 0, 0, 0]


def _se3_files(tmp_path):
    """Synthetic stand-ins for iclnuim/rgb/100.png (8-bit RGB) and iclnuim/depth/100.png (16-bit grey, 5000 per
    metre, as ICL-NUIM's depth maps), 480 x 640; returns the image and the depth map in metres that
    test_warpingSE3 should read (image.load scales 16-bit samples by 1/65535, torch/image's processPNG)."""
    from PIL import Image
    y, x = np.mgrid[0:480, 0:640]
    rgb = np.stack([0.5 + 0.4 * np.sin(x / 11.0), 0.5 + 0.4 * np.cos(y / 13.0), (x + y) / 1120.0])
    raw = np.round(5000 * (1.5 + 0.5 * np.sin(x / 50.0) * np.cos(y / 40.0))).astype(np.uint16)
    (tmp_path / 'iclnuim' / 'rgb').mkdir(parents=True)
    (tmp_path / 'iclnuim' / 'depth').mkdir(parents=True)
    image.save(str(tmp_path / 'iclnuim' / 'rgb' / '100.png'), lg.from_numpy(rgb))
    Image.fromarray(raw).save(tmp_path / 'iclnuim' / 'depth' / '100.png')
    rgb = np.asarray(image.load(str(tmp_path / 'iclnuim' / 'rgb' / '100.png')).double())    # savePNG's 8 bits
    return rgb, (raw / 5000.0)[None]


def _se3_reference(rgb, depth, motion):
    m = imagewarpingSE3
    Rm = expm(skew(motion[:3]))
    pts = rays(480, 640, m.fx, m.fy, m.u0, m.v0) * depth[0][..., None]
    pts = np.einsum('kl,ijl->ijk', Rm, pts) + Rm @ np.asarray(motion[3:])
    return reference_warp(rgb, pts, m.fx, m.fy, m.u0, m.v0)


def test_warping_se3_net(tmp_path):
    """imagewarpingSE3.lua's warping_net on the CPU, fed as test_warpingSE3.lua feeds it (an RGB image, the
    motion, the depth map): the NumPy warp of each pixel's back-projected, moved and projected point."""
    rgb, depth = _se3_files(tmp_path)
    warping_net = imagewarpingSE3.build()
    motion = lg.Tensor([SE3_MOTION])
    out = warping_net.forward([lg.from_numpy(rgb[None].copy()), motion, lg.from_numpy(depth[None].copy())])
    ref = _se3_reference(rgb, depth, SE3_MOTION)
    np.testing.assert_allclose(np.asarray(out[0]), ref, atol=1e-9)
    assert np.abs(ref - rgb).max() > 0.05


# on CUDA tensors (CuPy, or its host simulator with LEGONN_GPU_SIM=1) -----------------------------------------

@pytest.mark.gpu
def test_warping_se3_demo_on_cuda(tmp_path, monkeypatch):
    """test_warpingSE3.lua as written (``:cuda()`` on the inputs and the network): the CPU warp's image."""
    rgb, depth = _se3_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = quiet(test_warpingSE3.main)
    assert out.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(np.asarray(out.double()[0]), _se3_reference(rgb, depth, SE3_MOTION), atol=2e-4)


CUDA_LAYERS = ['TransformationRotationSO3', 'TransformationMatrix3x4SO3', 'Transform3DPoints_R',
               'Transform3DPoints_Rt', 'PinHoleCameraProjectionBHWD', 'ReverseXYOrder', 'DenseAffineOpticFlowBHWD',
               'Disparity1DBHWD', 'OpticalFlow2DBHWD', 'NonRigidSE2BHWD']


@pytest.mark.gpu
@pytest.mark.parametrize('case', range(len(_layers())))
def test_layer_on_cuda(case):
    """The layers whose Lua builds its buffers with ``typeAs`` (or has ``:cuda()`` convert them) give the CPU's
    output and gradInput on CUDA tensors. The others make ``torch.Tensor`` (DoubleTensor) buffers in forward or
    backward and hand them to ``cmul`` with CUDA tensors, which Torch7 refuses ("invalid arguments"), as legonn
    does (a TypeError); their forward on CUDA runs where the Lua's only copies across devices (EulerRot, the
    depth layer's forward)."""
    module, input, lo, hi = _layers()[case]
    input = [t.uniform(lo, hi) for t in input] if isinstance(input, list) else input.uniform(lo, hi)
    if type(module).__name__ in CUDA_LAYERS:
        quiet(assert_gpu_matches_cpu, module, input)
        return
    module.cuda()
    x = input.cuda()
    with pytest.raises(TypeError, match='operand is on the'):
        out = module.forward(x)
        module.backward(x, out.clone().uniform())
