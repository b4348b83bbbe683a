"""anuragranj/spynet, ported in tests/porting/spynet.py (its docstring lists the files and the edits).

Stand-ins: the released .t7 weights are downloads, so each level's network is models/volcon.lua's architecture
built here (seeded), saved with lg.save under the repo's file names (and with lg.save_lua after cudnn.convert,
the form of the released files) and loaded back by setup/easy_setup from a temporary folder; the Flying Chairs
pairs are synthetic: a smooth random image warped by a known flow (the second image warped back by the flow
gives the first, spynet's convention), 16 x 16 to 32 x 32 pixels.
"""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.checks import assert_jacobian
from tests.porting import spynet as S


def _smooth_images(rng, n, height, width):
    """n smooth RGB images in [0, 1] (a few cosines), so that bilinear warps move content visibly."""
    ys, xs = np.mgrid[0:height, 0:width]
    out = np.zeros((n, 3, height, width))
    for i in range(n):
        for c in range(3):
            a, b, p = rng.uniform(0.1, 0.5, 2).tolist() + [rng.uniform(0, math.pi)]
            out[i, c] = 0.5 + 0.5 * np.cos(a * ys + b * xs + p)
    return out


def _cu_warp(img, flow):
    """spynet's extras/stnbhwd/BilinearSamplerBHWD.cu forward, loop by loop in float64: img (H, W, D), flow
    (H, W, 2) holding (u, v); getTopLeft's ``xcoord = x + xOut`` clamped to 0..width-1."""
    H, W, D = img.shape
    out = np.zeros_like(img)
    for yo in range(H):
        for xo in range(W):
            xc = min(max(flow[yo, xo, 0] + xo, 0), W - 1)
            yc = min(max(flow[yo, xo, 1] + yo, 0), H - 1)
            x0, y0 = math.floor(xc), math.floor(yc)
            wx, wy = 1 - (xc - x0), 1 - (yc - y0)
            for yi, xi, weight in ((y0, x0, wy * wx), (y0, x0 + 1, wy * (1 - wx)), (y0 + 1, x0, (1 - wy) * wx),
                                   (y0 + 1, x0 + 1, (1 - wy) * (1 - wx))):
                if 0 <= yi <= H - 1 and 0 <= xi <= W - 1:
                    out[yo, xo] += weight * img[yi, xi]
    return out


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    """A models/ folder of seeded volcon networks under spynet's names (sintelFinal: modelL<k>_F.t7), the
    working directory moved above it as spynet.lua's relative paths expect."""
    lg.manualSeed(7)
    (tmp_path / 'models').mkdir()
    nets = {}
    for k in range(1, 7):
        nets[k] = S.createModel(0)
        S.saveDataParallel(str(tmp_path / 'models' / ('modelL%d_F.t7' % k)), nets[k])
    monkeypatch.chdir(tmp_path)
    return nets


def test_warp_model_is_a_hand_computed_bilinear_sample():
    """createWarpModel on one image: a pixel with flow (u, v) = (0.25, 0.5) reads the four pixels around
    (y + 0.5, x + 0.25) with weights 0.375, 0.125, 0.375, 0.125; flows pointing off the image read the
    nearest border pixel (the fork's clamping, where qassemoquab's sampler would read zeros); zero flow copies."""
    rng = np.random.default_rng(0)
    img = rng.standard_normal((1, 3, 4, 5))
    flow = np.zeros((1, 2, 4, 5))
    flow[0, :, 1, 2] = (0.25, 0.5)
    flow[0, :, 0, 0] = (-3, -2)
    flow[0, :, 3, 4] = (1.5, 0)
    out = S.createWarpModel().double().forward([lg.from_numpy(img), lg.from_numpy(flow)]).numpy()
    expected = img.copy()
    i = img[0]
    expected[0, :, 1, 2] = 0.375 * i[:, 1, 2] + 0.125 * i[:, 1, 3] + 0.375 * i[:, 2, 2] + 0.125 * i[:, 2, 3]
    expected[0, :, 0, 0] = i[:, 0, 0]
    expected[0, :, 3, 4] = i[:, 3, 4]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    # legonn's own sampler fed the flow as stnbhwd's grid, as the Lua line reads, samples elsewhere
    plain = nn.Sequential().add(nn.ParallelTable().add(nn.Transpose([1, 2], [2, 3])).add(
        nn.Transpose([1, 2], [2, 3]))).add(nn.BilinearSamplerBHWD()).double()
    plain_out = plain.forward([lg.from_numpy(img), lg.from_numpy(flow)]).numpy().transpose(0, 3, 1, 2)
    assert not np.allclose(plain_out, expected)


def test_warp_model_matches_the_fork_kernel_and_image_warp():
    """Random flows up to 3 pixels, some off the image: the warp graph gives the numbers of spynet's CUDA
    kernel and of donkey.lua's ``image.warp(img2, flow:index(1, {2, 1}))`` (clamp mode, bilinear)."""
    rng = np.random.default_rng(1)
    img = rng.standard_normal((2, 3, 6, 7))
    flow = rng.uniform(-3, 3, (2, 2, 6, 7))
    out = S.createWarpModel().double().forward([lg.from_numpy(img), lg.from_numpy(flow)]).numpy()
    for b in range(2):
        ref = _cu_warp(img[b].transpose(1, 2, 0), flow[b].transpose(1, 2, 0)).transpose(2, 0, 1)
        np.testing.assert_allclose(out[b], ref, rtol=1e-10, atol=1e-12)
        warped = image.warp(lg.from_numpy(img[b]), lg.from_numpy(flow[b]).index(0, lg.LongTensor([1, 0])))
        # image.c's warp computes its coordinates in float (legonn's image.warp keeps that): float precision
        np.testing.assert_allclose(out[b], warped.numpy(), rtol=1e-6, atol=1e-5)


def test_flow_grid_gradient():
    """FlowGridBHWD's finite-difference Jacobian, flows away from the clamp's kinks and the pixel lines."""
    rng = np.random.default_rng(2)
    flow = rng.uniform(0.1, 0.4, (1, 4, 5, 2)) * rng.choice([-1, 1], (1, 4, 5, 2))
    flow[:, 1:3, 1:4] *= 3
    assert_jacobian(S.FlowGridBHWD(), flow[:, 1:3, 1:4].copy(), minval=0.3, maxval=0.9)


def test_epe_criterion_value_and_gradient():
    """EPECriterion.lua: the mean over pixels of sqrt(du^2 + dv^2); its gradient (input - target) / (EPE + eps)
    / npixels, checked by finite differences. As in Torch7, backward returns the divided tensor, a new one,
    while the criterion's gradInput field keeps the undivided values."""
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal((2, 2, 3, 4)), rng.standard_normal((2, 2, 3, 4))
    c = S.EPECriterion().double()
    loss = c.forward(lg.from_numpy(x), lg.from_numpy(t))
    epe = np.sqrt(((x - t) ** 2).sum(axis=1))
    assert loss == pytest.approx(epe.mean(), rel=1e-12)
    g = c.backward(lg.from_numpy(x), lg.from_numpy(t)).numpy()
    np.testing.assert_allclose(g, (x - t) / (epe[:, None] + 1e-12) / 24, rtol=1e-10)
    np.testing.assert_allclose(c.gradInput.numpy(), g * 24, rtol=1e-12)
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += 1e-6
        down[idx] -= 1e-6
        numeric[idx] = (c.forward(lg.from_numpy(up), lg.from_numpy(t))
                        - c.forward(lg.from_numpy(down), lg.from_numpy(t))) / 2e-6
    np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


def test_coarse_to_fine_level_two(models_dir):
    """setup(40, 20) picks level 2 and loads modelL1_F and modelL2_F; computeInitFlowL2 is
    modelL2(img1, img2 warped by the doubled up-sampled L1 flow, that flow) + that flow, the L1 flow computed
    on the 2x2 averages; the caller's second image is overwritten by its warp, as the Lua's copy into the view."""
    M = S.spynet()
    computeFlow = M['setup'](40, 20)
    assert computeFlow is M['computeInitFlowL2'] and sorted(M['models']) == [1, 2]
    rng = np.random.default_rng(4)
    imgs = np.concatenate([_smooth_images(rng, 1, 16, 16), _smooth_images(rng, 1, 16, 16)], axis=1)
    imgs = imgs.astype(np.float32)
    images = lg.from_numpy(imgs.copy())
    flow = computeFlow(images).numpy()

    small = nn.SpatialAveragePooling(2, 2, 2, 2).forward(lg.from_numpy(imgs)).clone()
    l1 = models_dir[1].forward(lg.cat(small, lg.zeros(1, 2, 8, 8), 1)).clone()
    upflow = nn.SpatialUpSamplingBilinear(2).forward(l1).clone() * 2
    warped = image.warp(lg.from_numpy(imgs[0, 3:6]), upflow[0].index(0, lg.LongTensor([1, 0])))
    inputs = lg.cat(lg.cat(lg.from_numpy(imgs[:, 0:3]), warped.view(1, 3, 16, 16), 1), upflow, 1)
    expected = models_dir[2].forward(inputs).numpy() + upflow.numpy()
    np.testing.assert_allclose(flow, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(images.numpy()[0, 3:6], warped.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(images.numpy()[0, 0:3], imgs[0, 0:3])


def test_setup_levels_and_model_paths(models_dir):
    M = S.spynet()
    assert M['setup'](32, 10) is M['computeInitFlowL1']
    assert M['setup'](1000, 600) is M['computeInitFlowL6'] and sorted(M['models']) == list(range(1, 7))
    with pytest.raises(ValueError, match='<= 1472'):
        M['setup'](1473, 10)
    with pytest.raises(FileNotFoundError, match='modelL1_4.t7'):
        M['easy_setup']('chairsClean')


def test_easy_compute_flow_rescales_to_the_input_size(models_dir):
    """easyComputeFlow on a 20 x 30 pair: normalised, scaled to 32 x 32 (level 1), and the flow brought back
    by DeAdjustFlow: nearest-neighbour resized, u times 30/32 and v times 20/32."""
    M = S.spynet()
    easyComputeFlow = M['easy_setup']()
    rng = np.random.default_rng(5)
    im1, im2 = (lg.from_numpy(a[0]).float() for a in (_smooth_images(rng, 1, 20, 30), _smooth_images(rng, 1, 20, 30)))
    flow = easyComputeFlow(im1, im2)
    assert flow.size() == (2, 20, 30) and flow.type() == 'torch.FloatTensor'
    imgs = image.scale(S.ColorNormalize(S.meanstd)(lg.cat(im1, im2, 0)), 32, 32)
    raw = models_dir[1].forward(lg.cat(imgs, lg.zeros(2, 32, 32), 0).view(1, 8, 32, 32)).clone()
    back = image.scale(raw[0].float(), 30, 20, 'simple')
    np.testing.assert_allclose(flow.numpy()[0], back.numpy()[0] * 30 / 32, rtol=1e-6)
    np.testing.assert_allclose(flow.numpy()[1], back.numpy()[1] * 20 / 32, rtol=1e-6)


def test_saved_models_load_back_with_the_same_outputs(tmp_path):
    """models/volcon.lua's network through lg.save/lg.load (util.lua's saveDataParallel and loadDataParallel), and
    through save_lua/load_lua as Torch7's torch.save of the nn backend writes it (the released files hold
    cudnn.SpatialConvolution and cudnn.ReLU, which load_lua reads; save_lua writes no cudnn class, docs/t7.md)."""
    lg.manualSeed(8)
    model = S.createModel(0).double()
    x = lg.from_numpy(np.random.default_rng(6).standard_normal((1, 8, 12, 12)))
    expected = model.forward(x).numpy().copy()
    S.saveDataParallel(str(tmp_path / 'model_1.t7'), model)
    np.testing.assert_array_equal(S.loadDataParallel(str(tmp_path / 'model_1.t7'), 1).forward(x).numpy(), expected)
    lg.save_lua(str(tmp_path / 'modelL1_F.t7'), model)
    loaded = lg.load_lua(str(tmp_path / 'modelL1_F.t7'))
    assert [lg.typename(m) for m in loaded.modules[:2]] == ['nn.SpatialConvolution', 'nn.ReLU']
    np.testing.assert_array_equal(loaded.forward(x).numpy(), expected)


def test_flow_extensions():
    """computeNorm, computeAngle's quadrants (x = 0 gives 90 or 270 whatever atan said), xy2rgb's null flow
    white and its hue, scale (values times the factor), writeFLO then loadFLO."""
    x = lg.Tensor([[0, 0, 1, 1], [-1, -1, 0, 3]])
    y = lg.Tensor([[2, -2, 1, -1], [1, -1, 0, 4]])
    np.testing.assert_allclose(S.computeNorm(x, y).numpy(), np.hypot(x.numpy(), y.numpy()), rtol=1e-6)
    np.testing.assert_allclose(S.computeAngle(x, y).numpy(),
                               [[90, 270, 45, 315], [135, 225, 90, math.degrees(math.atan2(4, 3))]], rtol=1e-5)
    rgb = S.xy2rgb(lg.Tensor([[0, 1]]), lg.Tensor([[0, 0]]))
    np.testing.assert_allclose(rgb.numpy()[:, 0, 0], [1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(rgb.numpy()[:, 0, 1], [1, 0, 0], atol=1e-6)  # hue 0, saturated
    flow = lg.Tensor(2, 3, 4).uniform(-2, 2)
    scaled = S.scale(flow, 2)
    assert scaled.size() == (2, 6, 8)
    np.testing.assert_allclose(scaled.numpy()[:, ::2, ::2], 2 * flow.numpy(), rtol=1e-6)


def test_flo_files_round_trip(tmp_path):
    lg.manualSeed(9)
    flow = lg.FloatTensor(2, 3, 5).uniform(-4, 4)
    S.writeFLO(str(tmp_path / 'a.flo'), flow)
    raw = (tmp_path / 'a.flo').read_bytes()
    assert np.frombuffer(raw[:4], np.float32)[0] == S.TAG_FLOAT and list(np.frombuffer(raw[4:12], np.int32)) == [5, 3]
    np.testing.assert_array_equal(np.frombuffer(raw[12:], np.float32), flow.numpy().transpose(1, 2, 0).ravel())
    np.testing.assert_array_equal(S.loadFLO(str(tmp_path / 'a.flo')).numpy(), flow.numpy())


def test_train_validation_split_ids_are_file_numbers(tmp_path):
    f = lg.DiskFile(str(tmp_path / 'split.bin'), 'w').binary()
    f.writeInt(lg.IntTensor([1, 2, 1, 1, 2]).storage())
    f.close()
    train, val = S.getTrainValidationSplits(str(tmp_path / 'split.bin'), 15)
    assert train.view(-1).tolist() == [1, 3, 4] and val.view(-1).tolist() == [2, 5]


def _pair(rng, n, height, width):
    """Synthetic pairs: image 2 smooth and random, a constant flow per pair, image 1 = image 2 warped by it."""
    img2 = _smooth_images(rng, n, height, width)
    flows = np.zeros((n, 2, height, width))
    img1 = np.zeros_like(img2)
    for i in range(n):
        flows[i, 0], flows[i, 1] = rng.uniform(-1.5, 1.5, 2)
        img1[i] = image.warp(lg.from_numpy(img2[i]), lg.from_numpy(flows[i]).index(0, lg.LongTensor([1, 0]))).numpy()
    return lg.from_numpy(np.concatenate([img1, img2], axis=1)).float(), lg.from_numpy(flows).float()


def test_level_one_training_batches(models_dir):
    """donkey.lua's hook and makeData at level 1 (zero initial flow: the second image unwarped, the target the
    flow itself), then train.lua's trainBatch with adam on EPECriterion: the loss it returns is the EPE of the
    network's output before the step, and adam's first step moves each parameter by about LR against its
    gradient's sign; paramsForEpoch's regimes."""
    lg.manualSeed(10)
    rng = np.random.default_rng(11)
    opt = {'level': 1, 'fineWidth': 8, 'fineHeight': 8, 'LR': 1e-3, 'momentum': 0.9, 'weightDecay': 0,
           'optimizer': 'adam'}
    makeData, hook = S.donkey(opt, None)
    images, flows = _pair(rng, 2, 8, 8)
    samples = [hook(images[i], flows[i]) for i in range(2)]
    inputs = lg.cat([s[0].view(1, 8, 8, 8) for s in samples], 0)
    labels = lg.cat([s[1].view(1, 2, 8, 8) for s in samples], 0)
    np.testing.assert_allclose(inputs.numpy()[0, :6], S.ColorNormalize(S.meanstd)(images[0]).numpy(), rtol=1e-6)
    assert inputs.narrow(1, 6, 2).abs().max() == 0
    np.testing.assert_allclose(labels.numpy(), flows.numpy(), rtol=1e-6)

    model = S.createModel(0)
    trainBatch, optimState = S.trainer(opt, model, S.EPECriterion())
    params, grads = model.getParameters()
    before = params.clone()
    out = model.forward(inputs)
    epe = np.sqrt(((out.numpy() - labels.numpy()) ** 2).sum(axis=1)).mean()
    assert trainBatch(inputs, labels) == pytest.approx(epe, rel=1e-5)
    step = (params - before).numpy()
    # optim.adam adds epsilon to sqrt(v) before the bias correction, sqrt(0.001) |g|: gradients above 1e-3
    moved = np.abs(grads.numpy()) > 1e-3
    assert moved.sum() > 1000
    np.testing.assert_allclose(step[moved], -1e-3 * np.sign(grads.numpy()[moved]), rtol=2e-3)
    assert optimState['t'] == 1
    assert S.paramsForEpoch(opt, 1) == ({}, None)
    assert S.paramsForEpoch(dict(opt, LR=0.0), 11) == ({'learningRate': 1e-4, 'weightDecay': 0}, True)
    assert S.paramsForEpoch(dict(opt, LR=0.0), 12) == ({'learningRate': 1e-4, 'weightDecay': 0}, False)


def test_level_two_data_subtracts_the_coarse_flow(models_dir):
    """makeData at level 2: the initial flow is modelL1's on the half-size pair, scaled up (values doubled),
    the second image warped by it, and the target the residual flow - initFlow."""
    M = S.spynet()
    M['setup'](20, 20)
    M['models'][1].float()
    opt = {'level': 2, 'fineWidth': 16, 'fineHeight': 16}
    makeData, hook = S.donkey(opt, M)
    images, flows = _pair(np.random.default_rng(12), 1, 16, 16)
    data, target = hook(images[0], flows[0])
    normed = S.ColorNormalize(S.meanstd)(images[0])
    coarse = image.scale(normed, 8, 8).view(1, 6, 8, 8)
    init = M['models'][1].forward(lg.cat(coarse, lg.zeros(1, 2, 8, 8), 1))[0].clone()
    init = image.scale(init, 16, 16) * 2
    np.testing.assert_allclose(data.numpy()[6:], init.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(target.numpy(), flows[0].numpy() - init.numpy(), rtol=1e-5, atol=1e-5)
    warped = image.warp(normed[3:6].clone(), init.index(0, lg.LongTensor([1, 0])))
    np.testing.assert_allclose(data.numpy()[3:6], warped.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.gpu
def test_pyramid_on_the_gpu(models_dir):
    """spynet.lua's ``:cuda()`` lines: the level-2 pyramid on CUDA tensors gives the CPU's flow."""
    if not lg.gpu_available():
        pytest.skip('no GPU')
    rng = np.random.default_rng(13)
    imgs = lg.from_numpy(np.concatenate([_smooth_images(rng, 1, 16, 16)] * 2, axis=1)).float()
    cpu = S.spynet()
    cpu_flow = cpu['setup'](40, 20)(imgs.clone()).numpy()
    gpu = S.spynet(cuda=True)
    computeFlow = gpu['setup'](40, 20)
    for m in gpu['models'].values():   # the released files hold CUDA modules; lg.save kept these on the CPU
        m.cuda()
    flow = computeFlow(imgs.clone().cuda())
    assert flow.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(flow.float().numpy(), cpu_flow, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('rotate_name', ('rotate', 'rotateFlow'))
def test_rotated_flow_turns_its_vectors(rotate_name):
    """flowExtensions' rotate and donkey.lua's rotateFlow: the field is rotated as an image and each vector
    turned by -angle, so a constant flow (1, 0.5) reads (cos a + 0.5 sin a, 0.5 cos a - sin a) away from the
    corners that rotation brings in from outside."""
    a = 0.3
    flow = lg.Tensor(2, 9, 9)
    flow[0].fill(1)
    flow[1].fill(0.5)
    out = getattr(S, rotate_name)(flow, a).numpy()
    np.testing.assert_allclose(out[:, 4, 4], [math.cos(a) + 0.5 * math.sin(a), 0.5 * math.cos(a) - math.sin(a)],
                               rtol=1e-6)
