"""Tests of the context-encoder port (tests/porting/context_encoder.py, whose docstring lists the files ported and
the stand-ins): the centre and random masks and the overlap-weighted L2 against hand computation, the joint
generator gradient against finite differences, the donkeys' loader over a small folder of PNGs written here,
training steps of train.lua (centre, overlapPred, conditionAdv, noiseGen) and train_random.lua, and the
checkpoint -> test.lua / test_random.lua / demo.lua path."""
import functools
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn

from tests.porting import context_encoder as ce

pytestmark = pytest.mark.usefixtures('sharedserialize')


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """DATA_ROOT with one class folder of four 20x24 RGB PNGs (gradients with a per-image phase), and the
    working directory in tmp_path (donkey_folder.lua writes ./cache, train.lua ./checkpoints)."""
    rng = np.random.RandomState(3)
    root = tmp_path / 'images'
    (root / 'street').mkdir(parents=True)
    for k in range(4):
        yy, xx = np.mgrid[0:20, 0:24] / 24.0
        img = np.stack([np.sin(3 * xx + rng.uniform(0, 6)), np.cos(2 * yy + xx), np.sin(xx * yy + k)])
        image.save(str(root / 'street' / f'{k:03d}.png'), lg.from_numpy(((img + 1) / 2).astype(np.float32)))
    monkeypatch.setenv('DATA_ROOT', str(root))
    monkeypatch.chdir(tmp_path)
    return root


def tiny(**changes):
    opt = dict(ce.DEFAULTS, batchSize=2, loadSize=130, nBottleneck=6, nef=2, ngf=2, ndf=2, nz=3, nThreads=1,
               niter=1, ntrain=2, gpu=0, manualSeed=5, maskPatternSize=200)
    opt.update(changes)
    return opt


def test_centre_slices_are_the_lua_ranges():
    # {1 + fineSize/4, fineSize/2 + fineSize/4} with fineSize 128 is rows 33..96 (1-based): 32..95 0-based;
    # with overlapPred 4 the filled part is 37..92 (1-based), and in the 64-pixel prediction 5..60
    opt = dict(fineSize=128, overlapPred=4)
    assert ce.centre(opt) == slice(32.0, 96.0)     # Lua's numbers: whole floats, which legonn's slices take
    assert ce.inner(opt, 32) == slice(36, 92.0)
    assert ce.inner(opt, 0) == slice(4, 60.0)
    x = lg.Tensor(2, 3, 128, 128).fill(0.5)
    ce.fill_centre(x, opt, ce.MEAN_FILL)
    a = x.numpy()
    for c, v in enumerate((2 * 117 / 255 - 1, 2 * 104 / 255 - 1, 2 * 123 / 255 - 1)):
        assert np.allclose(a[:, c, 36:92, 36:92], v)
        assert (a[:, c, 32:36, :] == 0.5).all() and (a[:, c, :, 92:96] == 0.5).all()
    assert (a != 0.5).sum() == 2 * 3 * 56 * 56


def test_overlap_weights_by_hand():
    # the 64x64 centre predicted with overlapPred 4: weight 10 * wtl2 on the 4-pixel border, wtl2 inside
    opt = dict(fineSize=128, overlapPred=4, wtl2=0.999)
    w = ce.wtl2_matrix(lg.Tensor(1, 3, 64, 64).zero(), opt).numpy()
    assert np.allclose(w[:, :, 4:60, 4:60], 0.999)
    assert np.allclose(w[:, :, :4, :], 9.99) and np.allclose(w[:, :, :, 60:], 9.99)
    assert np.isclose(w.sum(), 3 * (56 * 56 * 0.999 + (64 * 64 - 56 * 56) * 9.99), rtol=1e-5)


def test_random_mask_weights_and_fill():
    lg.manualSeed(11)
    opt = dict(fineSize=32, maskPatternSize=200, wtl2=0.5, useOverlapPred=1, script='train_random.lua')
    pattern = ce.random_pattern(opt)
    assert pattern.size() == (200, 200) and lg.type(pattern) == 'torch.ByteTensor'
    mask = ce.random_mask(pattern, opt)
    assert 20 < mask.sum() * 100. / (32 * 32) < 30
    mask_global = lg.ByteTensor(2, 32, 32)
    lg.repeatTensor(mask_global, mask, 2, 1, 1)
    m = mask_global.numpy().astype(bool)
    w = ce.wtl2_matrix(lg.Tensor(2, 3, 32, 32).zero(), opt, mask_global).numpy()
    assert np.allclose(w[:, 0][m], 0.5) and np.allclose(w[:, 2][~m], 5.0)
    # real_ctx[{{},{1},{},{}}][mask_global] = v: a 2x1x32x32 view masked by a 2x32x32 mask (Torch7 only asks for
    # as many elements); reading it back the same way (test_random.lua's paste) gives the filled values
    x = lg.Tensor(2, 3, 32, 32).fill(0)
    for c in range(3):
        x[:, c:c + 1, :, :][mask_global] = ce.MEAN_FILL[c]
    a = x.numpy()
    assert np.allclose(a[:, 1][m], ce.MEAN_FILL[1]) and (a[:, 1][~m] == 0).all()
    got = x[:, 2:3, :, :][mask_global]
    assert got.nElement() == m.sum() and np.allclose(got.numpy(), ce.MEAN_FILL[2])


@pytest.mark.parametrize('overlap', [0, 2])
def test_joint_gradient_is_the_weighted_loss_gradient(overlap):
    """fGx's df_dg (lines 356-390) is the gradient of (1 - wtl2) * BCE(D(c), 1) + sum(W * (c - y)^2) / N with
    W the wtl2 matrix (wtl2 everywhere without overlap): checked by central differences in float64. With an
    overlap the returned errG_total still weighs the L2 term by wtl2 alone, as the Lua does."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(2)
    opt = dict(ce.DEFAULTS, fineSize=16, overlapPred=overlap, wtl2=0.9)
    netD = nn.Sequential().add(nn.SpatialConvolution(3, 2, 4, 4, 2, 2, 1, 1)).add(nn.LeakyReLU(0.2)) \
        .add(nn.SpatialConvolution(2, 1, 4, 4)).add(nn.Sigmoid()).add(nn.View(1).setNumInputDims(3))
    c = lg.Tensor(2, 3, 8, 8).uniform(-1, 1)
    y = lg.Tensor(2, 3, 8, 8).uniform(-1, 1)
    label = lg.Tensor(2).fill(1)
    bce, mse = nn.BCECriterion(), nn.MSECriterion()
    W = ce.wtl2_matrix(c.clone(), opt).numpy() if overlap else np.full((2, 3, 8, 8), 0.9)

    def J(cc):
        out = netD.forward(cc)
        return (1 - 0.9) * bce.forward(out, label) + (W * (cc.numpy() - y.numpy()) ** 2).sum() / cc.nElement()

    out = netD.forward(c)
    errG = bce.forward(out, label)
    df_dg = netD.updateGradInput(c, bce.backward(out, label)).clone()
    errG_l2 = mse.forward(c, y)
    total = ce.joint_gradient(df_dg, mse.backward(c, y), errG, errG_l2, opt)
    assert math.isclose(total, 0.1 * errG + 0.9 * errG_l2)
    if overlap == 0:
        assert math.isclose(total, J(c))
    else:
        assert J(c) > total     # the 10x border weight is in the gradient, not in the reported loss
    flat = c.view(-1)
    for k in (0, 37, 100, 250, 383):
        old = flat[k]
        flat[k] = old + 1e-6
        up = J(c)
        flat[k] = old - 1e-6
        down = J(c)
        flat[k] = old
        assert math.isclose(df_dg.view(-1)[k], (up - down) / 2e-6, rel_tol=1e-5, abs_tol=1e-9)


def test_donkey_loader_batches_cache_and_seeds(folder):
    opt = tiny(fineSize=16, loadSize=18, batchSize=3, manualSeed=9)
    d = ce.data.new(1, opt)
    assert d.size() == 4
    batch, labels = d.getBatch()
    assert batch.size() == (3, 3, 16, 16) and (labels.numpy() == 0).all()
    assert batch.min() >= -1 and batch.max() <= 1 and batch.std() > 0.05
    cache = folder.parent / 'cache' / (str(folder).replace('/', '_') + '_trainCache.t7')
    assert cache.exists()
    # a second loader reads the metadata from the cache, and with the same seed (opt.manualSeed + idx)
    # its donkey draws the same crops and flips
    again = ce.data.new(1, dict(opt))
    assert np.array_equal(again.getBatch()[0].numpy(), batch.numpy())
    # donkey_folder.lua:22 sets opt.data in the donkey's own copy of opt: the caller's dict never gets it
    assert 'data' not in opt
    inline = ce.data.new(0, dict(opt))         # n == 0: the jobs run in the main thread
    assert inline.getBatch()[0].size() == (3, 3, 16, 16)
    # loadSize -1: a random scale in [0.5, 1.5] (image.scale(input, iH, iW): the Lua passes the height as the
    # width, harmless for its square crops); 8-pixel crops fit every scale of the 20x24 images
    scaled = ce.data.new(1, dict(opt, loadSize=-1, fineSize=8)).getBatch()[0]
    assert scaled.size() == (3, 3, 8, 8) and scaled.min() >= -1 and scaled.max() <= 1


def test_train_centre_with_overlap_checkpoint_and_test(folder):
    opt = tiny(wtl2=0.999, overlapPred=4, checkpointEvery=1, ntrain=4)
    netG, netD, rec = ce.train(opt)
    assert len(rec['errD']) == 2 and len(rec['errG']) == 2
    for v in rec['errD'] + rec['errG'] + rec['errG_l2']:
        assert math.isfinite(v)
    ctx = rec['input_ctx'].numpy()
    assert np.allclose(ctx[:, 0, 36:92, 36:92], ce.MEAN_FILL[0])
    assert rec['real_center'].size() == (2, 3, 64, 64)
    assert rec['df_dg'].size() == (2, 3, 64, 64)
    g = 'checkpoints/train1_1_net_G.t7'
    saved = lg.load(g)
    assert all(getattr(m, 'gradWeight', None) is None for m in saved.listModules() if m.weight is not None)
    x = rec['input_ctx']
    netG.evaluate()
    expected = netG.forward(x).clone()
    pasted, pred, real, pretty = ce.test(dict(ce.TEST_DEFAULTS, net=g, gpu=0, batchSize=2, loadSize=130,
                                              overlapPred=4, manualSeed=3))
    assert pred.size() == (2, 3, 64, 64) and pretty.size() == (4, 3, 128, 128)
    assert np.allclose(pasted.numpy()[:, :, 36:92, 36:92], pred.numpy()[:, :, 4:60, 4:60] * 2 - 1, atol=1e-6)
    loaded = ce.util.load(g, 0)
    loaded.evaluate()
    assert np.allclose(loaded.forward(x).numpy(), expected.numpy(), atol=1e-6)
    assert (folder.parent / 'test1.png').exists()


def test_demo_on_numbered_images(folder, tmp_path):
    lg.manualSeed(4)
    netG, _ = ce.build_nets(tiny())
    ce.util.save('g.t7', netG, 0)
    ims = tmp_path / 'ims'
    ims.mkdir()
    for i in range(1, 3):
        image.save(str(ims / f'{i:03d}_im.png'), lg.Tensor(3, 40, 30).uniform(0, 1))
    pasted, pretty = ce.demo(dict(ce.DEMO_DEFAULTS, net='g.t7', imDir=str(ims), batchSize=2, gpu=0))
    assert pretty.size() == (4, 3, 128, 128)
    assert (pretty.numpy()[0, :, 32:96, 32:96] == 1).all()
    assert (folder.parent / 'demo_out.png').exists()


def test_train_conditional_adversary_with_noise(folder):
    netG, netD, rec = ce.train(tiny(conditionAdv=1, noiseGen=1, wtl2=10, manualSeed=7))
    assert isinstance(netG.get(0), nn.ParallelTable) and isinstance(netD.get(0), nn.ParallelTable)
    assert rec['df_dg'].size() == (2, 3, 64, 64)
    assert math.isclose(rec['errG_total'][-1], rec['errG'][-1] + 10 * rec['errG_l2'][-1], rel_tol=1e-6)


def test_train_random_and_test_random(folder):
    opt = tiny(script='train_random.lua', fineSize=64, loadSize=66, wtl2=0.999, useOverlapPred=1,
               checkpointEvery=1)
    netG, netD, rec = ce.train(opt)
    m = rec['mask_global'].numpy().astype(bool)
    assert 0.2 < m[0].mean() < 0.3
    assert np.allclose(rec['input_ctx'].numpy()[:, 1][m], ce.MEAN_FILL[1])
    assert rec['df_dg'].size() == (2, 3, 64, 64)
    pasted, pred, real, pretty = ce.test(dict(ce.TEST_DEFAULTS, net='checkpoints/train1_1_net_G.t7', gpu=0,
                                              batchSize=2, fineSize=64, loadSize=66, manualSeed=3,
                                              script='test_random.lua', maskPatternSize=200))
    assert pred.size() == (2, 3, 64, 64) and pretty.size() == (4, 3, 64, 64)


def test_fractional_range_bounds_truncate_as_torch7():
    """docs/porting.md's row: Torch7 keeps (long)(y - 1) .. (long)(y + n - 2) (0-based) of {y, y+n-1}; the port's
    int() slice keeps the same window, and legonn refuses the fractional bound itself."""
    pattern = lg.range(0, 99).view(10, 10)
    for y in (1.0, 2.3, 4.99, 6.5):
        n = 4
        window = pattern[int(y) - 1:int(y + n - 1), 0]
        start, end = int(y - 1), int(y + n - 2)         # C's (long) cast of Tensor.c's lua_tonumber(...) - 1
        assert window.tolist() == [10.0 * r for r in range(start, end + 1)]
    with pytest.raises(TypeError, match='whole number, got 2.5'):
        pattern[2.5:6]


@pytest.mark.gpu
def test_train_on_gpu_converts_to_cudnn_and_saves_nn(folder):
    """opt.gpu = 1: util.cudnn swaps each nn.SpatialConvolution for cudnn's (util.lua:107-128), and util.save's
    recursiveSave swaps them back on the float copy it saves (util.lua:33-39), leaving the training net on the GPU."""
    netG, netD, rec = ce.train(tiny(gpu=1, wtl2=0.999, checkpointEvery=1))
    convs = [lg.type(m) for m in netG.listModules() if 'SpatialConvolution' in lg.type(m)]
    assert 'cudnn.SpatialConvolution' in convs and 'nn.SpatialConvolution' not in convs
    assert lg.type(netG.get(0).get(0).weight) == 'torch.CudaTensor'
    saved = ce.util.load('checkpoints/train1_1_net_G.t7', 0)
    types = {lg.type(m) for m in saved.listModules()}
    assert 'nn.SpatialConvolution' in types and 'cudnn.SpatialConvolution' not in types
    assert lg.type(saved.get(0).get(0).weight) == 'torch.FloatTensor'
    x = rec['input_ctx'].float()
    netG.evaluate(); saved.evaluate()
    assert np.allclose(saved.forward(x).numpy(), netG.forward(x.cuda()).float().numpy(), atol=1e-5)


@pytest.mark.gpu
@pytest.mark.parametrize('script,fs', [('test.lua', 128), ('test_random.lua', 64)])
def test_test_scripts_on_gpu_paste_into_the_cpu_batch(folder, script, fs):
    """test.lua with opt.gpu = 1: the net and input_image_ctx are CUDA, image_ctx (the donkeys' batch) stays a
    FloatTensor, and the prediction is pasted into it with :copy (centre) or masked :float() (test_random.lua).
    The centre run matches the CPU run; test_random.lua's mask does not, as in Torch7: util.cudnn's new
    cudnn.SpatialConvolution layers draw their initial weights from the generator before the pattern is drawn,
    so each run is checked against its own mask (the 1s test_random.lua writes into the saved image)."""
    lg.manualSeed(1)
    netG, _ = ce.build_nets(tiny(script=script.replace('test', 'train'), fineSize=fs))
    ce.util.save('g.t7', netG, 0)
    runs = [ce.test(dict(ce.TEST_DEFAULTS, net='g.t7', gpu=gpu, batchSize=2, fineSize=fs, loadSize=fs + 2,
                         manualSeed=3, script=script, maskPatternSize=200)) for gpu in (0, 1)]
    assert lg.type(runs[1][0]) == 'torch.FloatTensor' and lg.type(runs[1][1]) == 'torch.CudaTensor'
    if script == 'test.lua':
        for cpu, gpu in zip(runs[0], runs[1]):
            assert np.allclose(cpu.numpy(), gpu.float().numpy(), atol=1e-5)
        return
    masks = []
    for pasted, pred, real, pretty in runs:
        m = (pretty.numpy()[0::2] == 1).all(axis=1, keepdims=True)
        expected = np.where(m, 2 * pred.float().numpy() - 1, 2 * real.numpy() - 1)
        assert np.allclose(pasted.numpy(), expected, atol=1e-5)
        assert 0.2 < m.mean() < 0.3
        masks.append(m)
    assert not np.array_equal(*masks)


def test_worker_opt_is_the_callers_dict_without_the_copy(folder):
    """docs/porting.md's row: legonn's thread workers get the upvalue itself, so an init that keeps ``options``
    as is (``opt = options``) lets donkey_folder.lua's ``opt.data = ...`` reach the caller's dict, which Torch7's
    serialised copy never does; the port's ``dict(options)`` keeps it out."""
    from legonn import threads

    def shared_init(options, idx):
        threads.local.opt = options
        ce.donkey_folder()

    opt = tiny(fineSize=16, loadSize=18)
    pool = threads.Threads(1, functools.partial(shared_init, opt))
    pool.terminate()
    assert opt['data'] == str(folder)
