"""coupriec/VideoPredictionICLR2016, ported in tests/porting/videopred/: expand.lua, upsample.lua,
image_error_measures.lua, get_model.lua (generator and discriminator pyramids, their recurrent unrollings, the
preprocessor, getPyrCriterion, nn.GDLCriterion), datasources/ (classdatasource, datasource, augment, thread,
ucf101 over thffmpeg.py's stand-in for THFFmpeg), train_iclr_model.lua and
test-frame-prediction-on-ucf-rec_gdl.lua.

Stand-in data: 101 "UCF-101" classes (trainlist01/testlist01 files in the Lua's format, CRLF lines) whose videos
are five 240 x 320 frames of four drifting sinusoidal gratings, stored as .npy files; the pyramid is two scales
of tiny nets over 8 x 8 crops. test-frame-prediction-on-ucf-rec_gdl.lua runs over one video of 24 x 32 PNG
frames with a stand-in for the authors' trained model (their download). Not ported: datasources/get_datasource.py
(a download script), the datasources' orderedIterator (unused by the scripts) and gfx.js's display.
"""
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import nn, threads
from tests.checks import assert_jacobian, numeric_gradient
from tests.porting.videopred import get_model as G
from tests.porting.videopred import image_error_measures as M
from tests.porting.videopred import train_iclr_model as T
from tests.porting.videopred.datasources import augment
from tests.porting.videopred.expand import ExpandDim
from tests.porting.videopred.upsample import SpatialUpSample


def write_ucf101(root, nframes=5):
    """datasources/ucf101/ as get_datasource.py lays it out: a folder per class, the split lists."""
    d = os.path.join(root, 'datasources', 'ucf101')
    os.makedirs(d)
    yy, xx = np.mgrid[0:240, 0:320]
    vids = []
    for v in range(4):
        frames = []
        for t in range(nframes):
            g = 127.5 + 127.5 * np.sin((xx + (v + 1) * t) / 3.0 + v) * np.cos((yy - t) / 4.0)
            frames.append(np.stack([g, 255 - g, g * 0.5]))
        vids.append(np.array(frames).astype(np.uint8))
    train, test = [], []
    for c in range(101):
        name = f'C{c:03d}'
        os.makedirs(os.path.join(d, name))
        for s, lst in (('a', train), ('b', test)):
            f = f'v_{name}_g01_{s}.npy'
            np.save(os.path.join(d, name, f), vids[c % 4])
            lst.append(f'{name}/{f}' + (f' {c + 1}' if s == 'a' else ''))
    with open(os.path.join(d, 'trainlist01.txt'), 'w', newline='') as f:
        f.write('\r\n'.join(train) + '\r\n')
    with open(os.path.join(d, 'testlist01.txt'), 'w', newline='') as f:
        f.write('\r\n'.join(test) + '\r\n')
    return vids


def tiny_opt(**changes):
    opt = {'nEpoches': 2, 'nIters': 4, 'batchsize': 2, 'h': 8, 'w': 8, 'saveName': 'model.t7',
           'modelStruct': {2: [['convp', 3, 8], ['feature'], ['convp', 3, None]],
                           1: [['convp', 3, 8], ['feature'], ['convp', 3, None]]},
           'advStruct': {2: [['conv', 3, 8], ['fc', 8], ['fc', None]],
                         1: [['conv', 3, 8], ['maxpool', 2, 2], ['fc', 8], ['fc', None]]}}
    opt.update(changes)
    return opt


class Frames:
    nChannels = 3


@pytest.fixture
def fixed_clock(monkeypatch):
    """thread.lua seeds each donkey with ``threadid*os.clock()``: a fixed clock (and one donkey, so that the
    batches come in one order) gives the same batches on every run."""
    from tests.porting.videopred.datasources import thread
    monkeypatch.setattr(thread, 'os_clock', lambda: 0.25)


def test_l2_training_lowers_the_loss_and_saves(tmp_path, monkeypatch, fixed_clock):
    """train_iclr_model.lua with advweight 0 (L2 only): the generator's multi-scale MSE falls and the epoch's
    checkpoint loads back with the same predictions."""
    write_ucf101(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = T.main(tiny_opt(advweight=0, advNIter=0, nEpoches=3, nIters=6,
                        modelConfig={'learningRate': 0.1}), nDonkeys=1)
    losses = r['losses']
    assert len(losses) == 18 and all(math.isfinite(x) for x in losses)
    assert np.mean(losses[-4:]) < 0.7 * np.mean(losses[:4])
    saved = lg.load('model.t7')
    assert saved['opt']['scaleList'] == [2, 1]
    x = [lg.randn(2, 12, 4, 4), lg.randn(2, 12, 8, 8)]
    np.testing.assert_allclose(saved['model'].forward(x)[0][1].numpy(), r['model'].forward(x)[0][1].numpy(),
                               rtol=1e-6)
    assert len(r['todisp']) == (4 + 1) * 2 and tuple(r['todisp'][0].size()) == (3, 8, 8)
    # loadName: training restarts from the saved generator and discriminator
    again = T.main(tiny_opt(advweight=0, advNIter=0, nEpoches=1, nIters=2, loadName='model.t7',
                            saveName='model2.t7', modelConfig={'learningRate': 0.1}), nDonkeys=1)
    assert np.mean(again['losses']) < 0.7 * np.mean(losses[:4])
    assert os.path.exists('model.t7.backup') and os.path.exists('model2.t7')


def test_adversarial_training_runs_both_players(tmp_path, monkeypatch, fixed_clock):
    """The default advweight 0.01 with advExt 'full': trainAdv's BCE error is averaged as the Lua does (over
    nIters * batchsize) of the BCE summed over the 2 scales: near 2 log 2 / batchsize for an untrained
    discriminator."""
    write_ucf101(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = T.main(tiny_opt(nEpoches=1, nIters=3), nDonkeys=1)
    assert abs(r['advErrs'][0] - 2 * math.log(2) / 2) < 0.05
    assert len(r['losses']) == 3 and all(math.isfinite(x) for x in r['losses'])


def test_ucf101_datasource_reads_clips_scaled_to_minus_one_one(tmp_path, monkeypatch):
    """ucf101.lua + augment.lua: a clip is nInputFrames consecutive frames of one video, bytes * 2/255 - 1, and
    the crop is a window of each frame at one offset; labels are 0-based classes (the trainlist's number - 1)."""
    from tests.porting.videopred.datasources.augment import AugmentDatasource
    from tests.porting.videopred.datasources.ucf101 import UCF101Datasource
    vids = write_ucf101(tmp_path)
    monkeypatch.chdir(tmp_path)
    ucf = UCF101Datasource({'nInputFrames': 3})
    assert ucf.classes[0] == 'C000' and ucf.classes[100] == 'C100'
    ds = AugmentDatasource(ucf, {'crop': [8, 8]})
    batch, labels = ds.nextBatch(3, 'train')
    assert tuple(batch.size()) == (3, 3, 3, 8, 8)
    for i in range(3):
        v = vids[int(labels[i]) % 4].astype(np.float64) * 2 / 255 - 1
        b = batch[i].numpy()
        starts = np.argwhere(np.abs(v[:3, 0, :233, :313] - b[0, 0, 0, 0]) < 1e-6)   # frame, y, x candidates
        assert any(np.allclose(v[f:f + 3, :, y:y + 8, x:x + 8], b, atol=1e-6) for f, y, x in starts)


def test_classdatasource_normalize_scales_each_channel_to_minus_one_one():
    """classdatasource.lua's normalize: each channel's min and max over the training set (its first 100 samples
    when larger) map every set's values to [-1, 1]."""
    from tests.porting.videopred.datasources.classdatasource import ClassDatasource
    rng = np.random.default_rng(4)
    train = rng.uniform(0, 255, size=(120, 3, 4, 4))
    test = rng.uniform(0, 255, size=(10, 3, 4, 4))
    tr, te = lg.from_numpy(train.copy()), lg.from_numpy(test.copy())
    ClassDatasource().normalize(tr, {'train': tr, 'test': te})
    lo, hi = train[:100].min((0, 2, 3)), train[:100].max((0, 2, 3))
    for a, got in ((train, tr), (test, te)):
        np.testing.assert_allclose(got.numpy(), (a - lo[:, None, None]) * (2 / (hi - lo))[:, None, None] - 1,
                                   rtol=1e-12)


def test_gdl_criterion_pairs_its_differences_in_memory_order():
    """GDLCriterion subtracts SpatialZeroPadding(0,-1,0,0) (H x W-1) and (0,0,0,-1) (H-1 x W) crops of one image
    with nn.CSubTable: different shapes of one element count (square images), which CSubTable.lua's
    ``copy``/``add`` pair element by element in memory order, as legonn's does. The loss is NumPy's of that
    pairing (not the paper's |dY/dx| - |dYhat/dx|), and its gradient matches central differences."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    crit = G.GDLCriterion(1)
    with pytest.raises(AssertionError):
        G.GDLCriterion()
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(2, 3, 5, 5)), rng.normal(size=(2, 3, 5, 5))

    def reference(X):
        def pair(A, a, b):
            return np.abs(A[a] - A[b].reshape(A[a].shape))
        t1 = pair(Y, np.s_[..., :, :-1], np.s_[..., :-1, :])
        t2 = pair(X, np.s_[..., :, :-1], np.s_[..., :-1, :])
        t3 = pair(Y, np.s_[..., :, 1:], np.s_[..., 1:, :])
        t4 = pair(X, np.s_[..., :, 1:], np.s_[..., 1:, :])
        return np.abs(t1 - t2).mean() + np.abs(t3 - t4).mean()
    x, y = lg.from_numpy(X.copy()), lg.from_numpy(Y)
    assert crit.forward(x, y) == pytest.approx(reference(X), rel=1e-12)
    grad = crit.backward(x, y).numpy()
    np.testing.assert_allclose(grad, numeric_gradient(lambda: reference(X), X), atol=1e-6)


def test_expand_dim_and_spatial_upsample():
    """expand.lua's ExpandDim: a stride-0 view forward, the sum over the expanded dimension backward;
    upsample.lua's SpatialUpSample: M x M^T per plane with NumPy's M (triangle weights, rows normalised), and
    both Jacobians in float64."""
    x = lg.randn(2, 1, 3)
    e = ExpandDim(1, 4)
    y = e.forward(x)
    assert tuple(y.size()) == (2, 4, 3) and y.stride(1) == 0
    g = lg.randn(2, 4, 3)
    np.testing.assert_allclose(e.backward(x, g).numpy(), g.numpy().sum(1, keepdims=True), rtol=1e-6)
    u = SpatialUpSample(3, 6)
    s = 2.0
    Mn = np.array([[max(0, 1 - abs(xx / s - (s - 1) / (2 * s) - k)) for k in range(3)] for xx in range(6)])
    Mn /= Mn.sum(1, keepdims=True)
    np.testing.assert_allclose(u.M.numpy(), Mn, rtol=1e-6)
    inp = lg.randn(2, 2, 3, 3)
    np.testing.assert_allclose(u.forward(inp).numpy(), np.einsum('xk,bckl,yl->bcxy', Mn, inp.numpy(), Mn),
                               rtol=1e-5, atol=1e-6)
    assert_jacobian(SpatialUpSample(3, 6), lg.randn(1, 2, 3, 3), params=False)
    assert_jacobian(ExpandDim(1, 3), lg.randn(2, 1, 2), params=False)


def test_psnr_sharpness_and_ssim_against_numpy():
    """image_error_measures.lua: PSNR of the MSE scaled by 128^2, the sharpness score of the gradient
    differences, and SSIM (11 x 11 Gaussian, sigma 1.5, 'full' convolutions) of the luma planes, as NumPy
    computes them; SSIM rescales a one-plane image in place, as the Lua does."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    rng = np.random.default_rng(3)
    A = rng.uniform(-1, 1, size=(3, 12, 14))
    B = np.clip(A + rng.normal(scale=0.2, size=A.shape), -1, 1)
    mse = 128 * 128 * ((A - B) ** 2).mean()
    assert M.PSNR(lg.from_numpy(A), lg.from_numpy(B)) == pytest.approx(10 * math.log10(255 * 255 / mse))

    def grads(X):
        gx = np.abs(np.pad(X, ((0, 0), (0, 0), (1, 0)))[:, :, :-1] - X)
        gy = np.abs(np.pad(X, ((0, 0), (1, 0), (0, 0)))[:, :-1, :] - X)
        return gx[:, 1:-1, 1:-1], gy[:, 1:-1, 1:-1]
    (ax, ay), (bx, by) = grads(A), grads(B)
    err = 128 * 128 * (np.abs(ax - bx) + np.abs(ay - by)).sum() / A.size
    assert M.computel1difference(lg.from_numpy(A.copy()), lg.from_numpy(B.copy())) == \
        pytest.approx(10 * math.log10(255 * 255 / err))

    a, b = lg.from_numpy(A.copy()), lg.from_numpy(B.copy())
    got = M.SSIM(a, b)
    ya = (0.299 * A[0] + 0.587 * A[1] + 0.114 * A[2] + 1) / 2 * 255
    yb = (0.299 * B[0] + 0.587 * B[1] + 0.114 * B[2] + 1) / 2 * 255
    r = np.arange(11) + 1 - (0.5 * 11 + 0.5)
    w1 = np.exp(-(r / 1.5) ** 2 / 2)
    win = np.outer(w1, w1)
    win /= win.sum()

    def full(img):
        out = np.zeros((img.shape[0] + 10, img.shape[1] + 10))
        for i in range(11):
            for j in range(11):
                out[i:i + img.shape[0], j:j + img.shape[1]] += win[i, j] * img
        return out
    mu1, mu2 = full(ya), full(yb)
    s1, s2, s12 = full(ya * ya) - mu1 ** 2, full(yb * yb) - mu2 ** 2, full(ya * yb) - mu1 * mu2
    C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ssim = ((2 * mu1 * mu2 + C1) * (2 * s12 + C2) / ((mu1 ** 2 + mu2 ** 2 + C1) * (s1 + s2 + C2))).mean()
    assert got == pytest.approx(ssim, rel=1e-9)
    np.testing.assert_array_equal(a.numpy(), A)   # rgb2y made new planes: the caller's images are untouched
    one = lg.from_numpy(A[:1].copy())
    M.SSIM(one, lg.from_numpy(B[:1].copy()))
    np.testing.assert_allclose(one.numpy(), (A[:1] + 1) / 2 * 255)   # a one-plane image is rescaled in place


def test_recurrent_generator_and_discriminator_share_weights():
    """getRecModel and getRecAdv (nRec 2): the second step reads the first step's prediction as its last input
    frame, and the clones share the pyramid's weights (one set in getParameters)."""
    opt = tiny_opt(nRec=2, advshare=True, nInputFrames=2, nTargetFrames=1)
    opt['scaleList'] = [2, 1]
    model = G.getPyrModel(opt, Frames)[0]
    rec = G.getRecModel(opt, model, Frames)
    x = [lg.randn(2, 6, 4, 4), lg.randn(2, 6, 8, 8)]
    out = rec.forward(x)
    first = model.forward(x)[0]
    np.testing.assert_allclose(out[0][1].numpy(), first[1].numpy(), rtol=1e-5)
    x2 = [lg.cat(x[j][:, 3:6], first[j], 1) for j in range(2)]
    np.testing.assert_allclose(out[1][1].numpy(), model.forward(x2)[0][1].numpy(), rtol=1e-5, atol=1e-6)
    assert rec.getParameters()[0].nElement() == model.getParameters()[0].nElement()
    adv = G.getPyrAdv(opt, Frames)
    recadv, mods = G.getRecAdv(opt, adv, Frames)
    pred = [[lg.randn(2, 3, 4, 4), lg.randn(2, 3, 8, 8)] for _ in range(2)]
    o = recadv.forward([x, pred])
    assert len(o) == 2 and tuple(o[0][1].size()) == (2, 1) and len(mods) == 2
    assert recadv.getParameters()[0].nElement() == adv.getParameters()[0].nElement()


def test_pyr_criterion_sums_the_scales_mse():
    """getPyrCriterion: the target pooled to each scale, one criterion per scale, the losses summed."""
    opt = {'scaleList': [2, 1]}
    c = G.getPyrCriterion(opt, nn.MSECriterion())
    target = lg.randn(2, 3, 8, 8)
    preds = [lg.randn(2, 3, 4, 4), lg.randn(2, 3, 8, 8)]
    t = target.numpy()
    pooled = t.reshape(2, 3, 4, 2, 4, 2).mean((3, 5))
    expect = ((preds[0].numpy() - pooled) ** 2).mean() + ((preds[1].numpy() - t) ** 2).mean()
    assert c.forward(preds, target) == pytest.approx(expect, rel=1e-5)
    assert len(c.backward(preds, target)) == 2


def _return_module_buffer():
    augment._buf('input2_out').resize(2).fill(threads.threadid())
    return augment._buf('input2_out')


def test_a_jobs_result_is_the_workers_buffer_itself():
    """docs/porting.md's file-level locals row: a donkey's job returning the file's reused buffer hands the
    main thread that very tensor (Torch7's threads.serialize hands a copy); the file's locals live in
    threads.local, one per worker, so two workers return two tensors, each holding its own worker's id."""
    pool = threads.Threads(2, lambda tid: None)
    got = []
    pool.specific(True)
    for w in (0, 1):
        pool.addjob(w, _return_module_buffer, got.append)
    pool.synchronize()
    again = []
    pool.addjob(0, _return_module_buffer, again.append)
    pool.synchronize()
    pool.terminate()
    assert got[0] is not got[1]
    assert sorted(float(g[0]) for g in got) == [0.0, 1.0]
    first_workers = next(g for g in got if float(g[0]) == 0.0)   # got holds the results in the order the jobs ended
    assert again[0] is first_workers   # the same worker's buffer: not a copy


@pytest.mark.gpu
def test_pyramid_and_gdl_on_the_gpu():
    """get_model.lua's ``:cuda()`` lines (CUDA on): the generator pyramid and GDLCriterion give the CPU's
    numbers on CUDA tensors."""
    if not lg.gpu_available():
        pytest.skip('no GPU')
    opt = tiny_opt(nInputFrames=4, nTargetFrames=1)
    opt['scaleList'] = [2, 1]
    x = [lg.randn(2, 12, 4, 4), lg.randn(2, 12, 8, 8)]
    cpu = G.getPyrModel(opt, Frames)[0]
    try:
        G.CUDA = True
        gpu = cpu.clone().cuda()
        crit = G.GDLCriterion(1)
    finally:
        G.CUDA = False
    out = gpu.forward([t.cuda() for t in x])[0][1]
    assert out.type() == 'torch.CudaTensor'
    np.testing.assert_allclose(out.float().numpy(), cpu.forward(x)[0][1].numpy(), rtol=1e-4, atol=1e-5)
    a, b = lg.randn(2, 3, 6, 6), lg.randn(2, 3, 6, 6)
    assert crit.forward(a.cuda(), b.cuda()) == pytest.approx(G.GDLCriterion(1).forward(a, b), rel=1e-4)


def test_frame_prediction_script_scores_the_moving_pixels(tmp_path, monkeypatch):
    """test-frame-prediction-on-ucf-rec_gdl.lua over one stand-in video of 24 x 32 frames and a stand-in
    "trained model" (the 4-scale pyramid of get_model.lua behind SelectTable(0), taking ``{input, delta}`` as
    the authors' model does): the first frame's PSNR equals NumPy's over the pixels the flow image marks as
    moving (the others -1 in both), the second frame is predicted from the first prediction, and the 6 frames
    are saved with the predicted ones framed in red."""
    from tests.porting.videopred import test_frame_prediction_on_ucf_rec_gdl as S
    monkeypatch.chdir(tmp_path)
    H, W = 24, 32
    opt = tiny_opt(nInputFrames=4, nTargetFrames=1)
    opt['modelStruct'] = {s: [['convp', 3, 4], ['feature'], ['convp', 3, None]] for s in (8, 4, 2, 1)}
    opt['scaleList'] = [8, 4, 2, 1]
    pyr = G.getPyrModel(opt, Frames)[0]
    model = nn.Sequential().add(nn.SelectTable(0)).add(pyr)
    os.makedirs('trained_models')
    lg.save('trained_models/new_adv_big_gdl_64.t7', {'opt': opt, 'model': model})
    rng = np.random.default_rng(5)
    os.makedirs('UCF101frm10p/1')
    frames = [np.clip(0.5 + 0.3 * np.sin(np.arange(W)[None, None, :] / 3 + t) + 0.02 * rng.normal(size=(3, H, W)),
                      0, 1) for t in range(6)]
    for t in range(4):
        lg.image.save(f'UCF101frm10p/1/pred_{t + 1}.png', lg.from_numpy(frames[t]))
    for t in range(2):
        lg.image.save(f'UCF101frm10p/1/target_{t + 1}.png', lg.from_numpy(frames[4 + t]))
    flow = np.ones((3, H, W))
    flow[1, 5:15, 8:20] = 0.1                       # the moving pixels
    for name in ('pred_4_flow.png', 'target_1_flow.png'):
        lg.image.save('UCF101frm10p/1/' + name, lg.from_numpy(flow))
    r = S.main({'delay_gif': 1}, nbvideos=1, inputH=H, inputW=W)

    vid = np.stack([lg.image.load(f'UCF101frm10p/1/{n}.png').numpy() for n in
                    ('pred_1', 'pred_2', 'pred_3', 'pred_4', 'target_1')]).astype(np.float64) * 2 - 1
    x = lg.from_numpy(vid[:4].reshape(1, 12, H, W).astype(np.float32))
    pyramid = [nn.SpatialAveragePooling(s, s, s, s).forward(x).clone() for s in (8, 4, 2, 1)]
    out = model.forward([pyramid, None])[0][3][0].double().numpy()
    moving = flow[1] < 0.2
    mo = np.where(moving, out, -1)
    mt = np.where(moving, vid[4], -1)
    mse = 128 * 128 * ((mo - mt) ** 2).mean()
    assert float(r['nbvid'][0]) == 1 and float(r['nbvid'][1]) == 1
    assert float(r['sum_PSNR'][0]) == pytest.approx(10 * math.log10(255 * 255 / mse), rel=1e-4)
    saved = lg.image.load('AdvGDL/1/pred_5.png').numpy()
    np.testing.assert_allclose(saved[:, :2, :], np.array([1, 0, 0])[:, None, None] * np.ones((3, 2, W)))
    np.testing.assert_allclose(saved[:, 2:-2, 2:-2], (out[:, 2:-2, 2:-2] + 1) / 2, atol=1 / 255)
    assert os.path.exists('AdvGDL/1/pred_6.png')
