"""Tests of the leehomyc/Photo-Realistic-Super-Resoluton port (tests/porting/photo_sr/: adversarial_G.lua,
adversarial_D.lua, weight-init.lua, util.lua, data/data.lua, data/dataset.lua, data/donkey_folder_supres.lua,
run_sr.lua, run_resume.lua, run_test.lua).

Stand-ins: the image folder is a few small synthetic PNG files (smooth colour gradients) in one class folder under
tmp_path; loadSize is 32 (the discriminator's last kernel is loadSize/32 pixels, so 1) where the Lua's is 96, and the
batches hold 2 images. The generator and discriminator keep their sizes (64 to 1024 planes, 15 residual blocks):
the images are small enough. run_sr.lua and run_resume.lua move every batch to CUDA whatever their ``gpu`` option, so
their tests are marked gpu (the CuPy simulator runs them without a GPU); run_test.lua and the loaders run on the CPU.
"""
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import image
from tests.porting.photo_sr import run_resume, run_sr, run_test, util
from tests.porting.photo_sr.adversarial_D import createModelD
from tests.porting.photo_sr.adversarial_G import createModel
from tests.porting.photo_sr.data.data import data as DataLoader
from tests.porting.photo_sr.weight_init import w_init


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """tmp_path/images/class0/ with four 40 x 48 gradient images; the working directory (the donkey's cache/ and
    run_sr's samples land there) is tmp_path/run; DATA_ROOT unset so opt.t_folder names the folder."""
    root = tmp_path / 'images' / 'class0'
    root.mkdir(parents=True)
    yy, xx = np.mgrid[0:40, 0:48] / 47.0
    for k in range(4):
        img = np.stack([(xx + k * 0.1) % 1, yy, (xx * yy + 0.2 * k) % 1]).astype(np.float32)
        image.save(str(root / ('img%d.png' % k)), lg.Tensor(img))
    run = tmp_path / 'run'
    run.mkdir()
    monkeypatch.chdir(run)
    monkeypatch.delenv('DATA_ROOT', raising=False)
    for k in list(run_sr.DEFAULTS) + ['D_path', 'G_path', 'model_file', 'result_path', 'scale']:
        monkeypatch.delenv(k, raising=False)
    return str(tmp_path / 'images')


# --- adversarial_G.lua, adversarial_D.lua, weight-init.lua ----------------------------------------------------------

def test_generator_upscales_four_times_and_discriminator_gives_one_probability():
    lg.manualSeed(1)
    G = createModel()
    assert len(G.get(2).modules) == 15
    assert G.forward(lg.rand(2, 1, 5, 7)).size() == (2, 1, 20, 28)
    D = createModelD(64)
    out = D.forward(lg.rand(3, 1, 64, 64))
    assert out.size() == (3, 1)
    assert float(out.min()) > 0 and float(out.max()) < 1
    assert D.get(len(D) - 3).kW == 2  # input_size/32


def test_weight_init_resets_the_top_level_convolutions_and_zeroes_their_biases():
    """weight-init loops over ``net.modules`` alone: G's first convolution is reset with the 'kaiming' deviation
    sqrt(4/(fan_in + fan_out)) (SpatialConvolution:reset(stdv) draws uniformly within stdv*sqrt(3)); the residual
    blocks inside G's Sequential keep nn's default initialisation and their biases; every top-level bias is zero,
    the full convolutions' too."""
    lg.manualSeed(2)
    G = w_init(createModel(), 'kaiming')
    conv = G.get(0)
    bound = math.sqrt(4 / (1 * 9 + 64 * 9)) * math.sqrt(3)
    w = np.asarray(conv.weight.numpy())
    assert np.abs(w).max() <= bound + 1e-6 and np.abs(w).max() > 0.8 * bound
    for k in (0, 3, 5, 7):
        assert float(G.get(k).bias.abs().max()) == 0
    inner = G.get(2).get(0).get(0).get(0).get(0)  # first residual block's first convolution
    assert float(inner.bias.abs().max()) > 0
    assert float(inner.weight.abs().max()) <= 1 / math.sqrt(64 * 9) + 1e-6
    D = w_init(createModelD(32), 'kaiming')
    last = D.get(len(D) - 3)
    assert float(last.weight.abs().max()) <= math.sqrt(4 / (1024 + 1)) * math.sqrt(3) + 1e-6
    assert all(float(m.bias.abs().max()) == 0 for m in D.modules if m.bias is not None)


# --- util.lua -------------------------------------------------------------------------------------------------------

def test_util_save_and_load_round_trip(tmp_path):
    """util.save writes a CPU copy without gradients or buffers; util.load gives zeroed gradients back and the same
    outputs."""
    lg.manualSeed(3)
    net = w_init(createModelD(32), 'kaiming')
    net.evaluate()
    x = lg.rand(2, 1, 32, 32)
    want = net.forward(x).clone()
    util.save(str(tmp_path / 'D.t7'), net, 0)
    back = util.load(str(tmp_path / 'D.t7'), 0)
    back.evaluate()
    assert lg.equal(back.forward(x), want)
    conv = back.get(0)
    assert conv.gradWeight.size() == conv.weight.size() and float(conv.gradWeight.abs().sum()) == 0
    assert net.get(0).gradWeight is not None  # the saved net keeps its own


# --- data/data.lua, data/dataset.lua, data/donkey_folder_supres.lua --------------------------------------------------

@pytest.mark.parametrize('nThreads', [0, 1])
def test_loader_gives_the_luminance_and_its_bicubic_quarter(folder, nThreads):
    opt = dict(run_sr.DEFAULTS, t_folder=folder, loadSize=32, batchSize=2, nThreads=nThreads)
    data = DataLoader.new(nThreads, opt)
    assert data.size() == 4
    high, low, labels = data.getBatch()
    assert high.size() == (2, 1, 32, 32) and low.size() == (2, 1, 8, 8)
    assert lg.equal(labels, lg.LongTensor([0, 0]))
    # each pair: the image squashed to 32 x 32, its luminance; the 8 x 8 bicubic copy's luminance
    candidates = []
    for k in range(4):
        img = image.scale(image.load(os.path.join(folder, 'class0', 'img%d.png' % k), 3, 'float'), 32, 32)
        candidates.append((image.rgb2y(img), image.rgb2y(image.scale(img, 8, 8, 'bicubic'))))
    for b in range(2):
        assert any(lg.equal(high[b], h) and lg.equal(low[b], w) for h, w in candidates)
    assert os.path.exists(os.path.join('cache', folder.replace('/', '_') + '_trainCache.t7'))
    # a second loader reads the cached metadata
    again = DataLoader.new(0, dict(opt, nThreads=0))
    assert again.size() == 4


# --- run_test.lua ---------------------------------------------------------------------------------------------------

def test_run_test_saves_clamped_outputs(folder, tmp_path):
    lg.manualSeed(4)
    util.save(str(tmp_path / 'G.t7'), w_init(createModel(), 'kaiming'), 0)
    out = tmp_path / 'results'
    out.mkdir()
    opt = dict(run_test.DEFAULTS, t_folder=folder, loadSize=32, batchSize=2, nThreads=0, niter=2,
               model_file=str(tmp_path / 'G.t7'), result_path=str(out))
    real, fake = run_test.main(opt)
    assert sorted(os.listdir(out)) == ['fake_%04d.png' % k for k in (1, 2, 3, 4)] + \
        ['raw_%04d.png' % k for k in (1, 2, 3, 4)]
    assert fake.size() == (2, 1, 32, 32)
    assert float(fake.min()) >= 0 and float(fake.max()) <= 1
    # {1, 1+93-1} of a 32-pixel side: Torch7 stops with "end index out of bound", a Python slice stops at the end
    assert real.size() == (2, 1, 32, 32)


def test_a_range_past_the_end_is_an_error_in_torch7_and_clamped_by_a_slice():
    """docs/porting.md's row: run_test.lua's ``real_uncropped[{{},{},{1,1+93-1},{1,1+93-1}}]`` needs 93 pixels
    (Tensor.c's __index__ checks the end, "end index out of bound"); ``x[:, :, 0:93, 0:93]`` keeps what there is, and
    ``narrow`` keeps Torch7's check."""
    x = lg.rand(2, 1, 32, 32)
    assert x[:, :, 0:93, 0:93].size() == (2, 1, 32, 32)
    with pytest.raises((ValueError, IndexError), match='outside'):
        x.narrow(2, 0, 93)
    assert x.narrow(2, 0, 30).narrow(3, 0, 30).size() == (2, 1, 30, 30)


# --- run_sr.lua, run_resume.lua -------------------------------------------------------------------------------------

@pytest.mark.gpu
def test_run_sr_trains_and_the_content_loss_falls(folder, tmp_path):
    """Five epochs of two one-image batches (``ntrain`` 2): D and G stepped by adam, the sample images written at
    step 10 (the fake clamped to [0, 1] on CUDA), both nets saved after each epoch; the MSE between the generator's
    output and the high-resolution luminance falls. run_resume.lua then goes on from the saved nets."""
    models = str(tmp_path / 'models') + '/'
    os.mkdir(models)
    opt = dict(run_sr.DEFAULTS, t_folder=folder, loadSize=32, batchSize=1, ntrain=2, nThreads=0, niter=5, gpu=1,
               model_folder=models, name='sr')
    record, modelG, modelD = run_sr.main(opt)
    assert len(record) == 10
    mse = [r[2] for r in record]
    assert all(np.isfinite(r).all() for r in record)
    assert np.mean(mse[-3:]) < 0.5 * np.mean(mse[:2])
    for kind in ('real', 'input', 'fake'):
        assert os.path.exists('sr10_%s.png' % kind)
    assert image.load('sr10_input.png').size(1) == 8
    fake = image.load('sr10_fake.png', 1, 'float')
    assert fake.size() == (1, 32, 32)
    assert os.path.exists(models + 'sr_adversarial_G_5') and os.path.exists(models + 'sr_adversarial_D_5')
    assert lg.typename(modelG.get(0).weight) == 'torch.CudaTensor'

    # run_resume.lua: the saved nets go on training from where they were
    resumed = dict(run_resume.DEFAULTS, t_folder=folder, loadSize=32, batchSize=1, ntrain=2, nThreads=0, niter=1,
                   gpu=1, model_folder=models, name='resumed', G_path=models + 'sr_adversarial_G_5',
                   D_path=models + 'sr_adversarial_D_5')
    record2, _, _ = run_resume.main(resumed)
    assert len(record2) == 2
    assert np.mean([r[2] for r in record2]) < np.mean(mse[:2])
    assert os.path.exists(models + 'resumed_adversarial_G_1')


def test_environment_overrides_the_options(monkeypatch):
    """run_sr.lua's ``tonumber(os.getenv(k)) or os.getenv(k) or opt[k]``: numbers read as numbers, other text as
    text (an empty variable too: Lua's ``or`` only passes over nil), unset names keep their defaults."""
    for k in run_sr.DEFAULTS:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv('batchSize', '4')
    monkeypatch.setenv('lr', '2e-4')
    monkeypatch.setenv('name', 'x')
    monkeypatch.setenv('model_folder', '')
    opt = run_sr.environment(dict(run_sr.DEFAULTS))
    assert opt['batchSize'] == 4 and isinstance(opt['batchSize'], int)
    assert opt['lr'] == 2e-4 and opt['name'] == 'x' and opt['model_folder'] == ''
    assert opt['niter'] == 250 and opt['ntrain'] == math.inf
