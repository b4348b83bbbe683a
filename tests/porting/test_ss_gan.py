"""xiaolonw/ss-gan ported (tests/porting/ss_gan/): the structure GAN (structure-gan/train.lua with its
adversarial_ct.lua step, data.lua's donkeys, donkey.lua's normal-map hook and dataset.lua's list-file loader) run
on a few 16x16 surface-normal maps written here as PNGs and scaled by the donkey to the 72x72 that the layers fix,
with ``nplanes`` 4 where the Lua has 64."""
import math
import os
import re
import sys

import numpy as np
import pytest

import legonn as lg
from legonn import image, threads
from tests.porting.ss_gan.joint_ssgan import test as joint_test
from tests.porting.ss_gan.joint_ssgan import train as joint_train
from tests.porting.ss_gan.structure_gan import dataset as structure_dataset
from tests.porting.ss_gan.structure_gan import test as structure_test
from tests.porting.ss_gan.structure_gan import train as structure_train
from tests.porting.ss_gan.style_gan_nofcn import donkey as style_donkey
from tests.porting.ss_gan.style_gan_nofcn import test as style_test
from tests.porting.ss_gan.style_gan_nofcn import train as style_train


def write_normals(root, n):
    """``n`` smooth normal maps (a tilted plane each, facing the camera) as 8-bit PNGs, ``(normal + 1) * 127.5``,
    and their RGB images, listed in ``trainlist.txt`` as ``<label> <image>`` relative to ``root``."""
    rng = np.random.RandomState(0)
    lines = []
    ys, xs = np.mgrid[0:16, 0:16] / 15.0 - 0.5
    for i in range(n):
        a, b = rng.uniform(-1, 1, 2)
        nrm = np.stack([a + 0.5 * xs, b + 0.5 * ys, np.ones_like(xs)])
        nrm /= np.sqrt((nrm ** 2).sum(0, keepdims=True))
        img = lg.from_numpy(((nrm + 1) * 127.5).round().astype(np.float32) / 255)
        name = 'normal_%02d.png' % i
        image.save(os.path.join(root, name), img)
        # the photo: a shading of the normals by a light from the top left, in a colour of its own
        shade = np.clip(nrm.T.dot([-0.4, -0.4, 0.8]).T, 0, 1)
        rgb = shade[None] * rng.uniform(0.3, 1, (3, 1, 1))
        image.save(os.path.join(root, 'rgb_%02d.png' % i), lg.from_numpy(rgb.astype(np.float32)))
        lines.append('%s rgb_%02d.png' % (name, i))
    with open(os.path.join(root, 'trainlist.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


@pytest.fixture
def normals(tmp_path, monkeypatch):
    data_root = tmp_path / 'render_data'
    data_root.mkdir()
    write_normals(str(data_root), 10)
    run = tmp_path / 'run'
    run.mkdir()
    monkeypatch.chdir(run)                        # donkey.lua's cache is ../cache
    monkeypatch.setenv('DATA_ROOT', str(tmp_path))
    monkeypatch.setattr(structure_dataset, 'list_file', str(data_root / 'trainlist.txt'))
    monkeypatch.setattr(structure_dataset, 'path_dataset', str(data_root) + '/')
    return tmp_path


def _argv(monkeypatch, tmp_path, **opts):
    args = {'save': str(tmp_path / 'save'), 'batchSize': 4, 'epochSize': 8, 'gpu': -1, 'nDonkeys': 0,
            'noiseDim': 8, 'saveFreq': 2, 'threads': 1, 'learningRate': 0.02}
    args.update(opts)
    monkeypatch.setattr(sys, 'argv', ['train.lua'] + [w for k, v in args.items() for w in ('--' + k, str(v))])


def _gap(G):
    """D's mean output (in evaluation mode) on a real batch minus that on G's samples (G in training mode, as
    the step draws them: its batch normalisation has no trained statistics before the first step)."""
    G.model_D.evaluate()
    lg.manualSeed(5)
    real = G.makeData(*G.trainLoader.sample(G.opt['batchSize']))[2]
    noise = lg.Tensor(G.opt['batchSize'], G.opt['noiseDim'], 1, 1).uniform(-1, 1)
    fake = G.model_G.forward(noise)
    return float(G.model_D.forward(real).mean()) - float(G.model_D.forward(fake).mean())


def test_structure_gan_trains_and_saves(normals, monkeypatch, capsys):
    """train.lua for 3 epochs of 8 batches: the D and G losses printed by adversarial_ct's closures stay finite
    and move from log 2, D's real/fake gap moves, the confusion matrix (zeroed each epoch) counts the last epoch's D outputs, the checkpoint of
    epoch 2 (saveFreq) reloads through ``--network``."""
    _argv(monkeypatch, normals)
    lg.manualSeed(1)
    G = structure_train.main(nplanes=4, nepochs=0)
    gap0 = _gap(G)
    lg.manualSeed(1)
    G = structure_train.main(nplanes=4, nepochs=3)
    out = capsys.readouterr().out
    errD = np.array([float(v) for v in re.findall(r'\bD: (\S+)', out)])
    errG = np.array([float(v) for v in re.findall(r'\bG: (\S+)', out)])
    assert len(errD) == len(errG) == 24
    assert np.isfinite(errD).all() and np.isfinite(errG).all()
    assert abs(errD[0] - math.log(2)) < 0.01 and np.abs(errD[-6:] - math.log(2)).max() > 0.05
    assert np.abs(errG[-6:] - errG[0]).max() > 0.05
    # the step sizes of the script's adam: lr/50 for the first 10 updates of each, lr/5 up to 30
    assert ' 0.0004 ' in out and ' 0.004 ' in out and G.adamState_G['numUpdates'] == 24
    assert abs(_gap(G) - gap0) > 0.01
    # fevalG's ``model_D.modules[1].gradInput`` (nngraph lists a gModule's modules in its forward order): the input
    # Identity's gradInput, D's gradient with respect to the samples
    assert lg.type(G.model_D.modules[0]) == 'nn.Identity'
    assert G.model_D.modules[0].gradInput is G.model_D.gradInput
    assert G.confusion.mat.sum() == 8 * 4 and 0 <= G.confusion.totalValid <= 1
    assert os.path.isfile(normals / 'save' / 'adversarial_2.net')
    assert not os.path.exists(normals / 'save' / 'adversarial_3.net')
    with open(normals / 'save' / 'train.log') as f:
        assert len(f.read().strip().split('\n')) == 4      # the header and one line per epoch

    saved = lg.load(str(normals / 'save' / 'adversarial_2.net'))
    assert saved['opt']['batchSize'] == 4
    _argv(monkeypatch, normals, network=str(normals / 'save' / 'adversarial_2.net'), saveFreq=5)
    G2 = structure_train.main(nplanes=4, nepochs=0)
    assert 'Loading train metadata from cache' in capsys.readouterr().out
    np.testing.assert_array_equal(G2.parameters_G.numpy(), saved['G'].getParameters()[0].numpy())


def test_generator_outputs_unit_normals(normals, monkeypatch):
    """G's Transpose/View/Normalize(2)/View/Transpose tail: each pixel of a sample is a unit 3-vector, and the
    transposes bring the pixels back where the Tanh put them (G in training mode: in evaluation mode its untrained
    running statistics leave the Tanh's outputs near 1e-5, where Normalize's eps of 1e-10 counts, as in Torch7)."""
    _argv(monkeypatch, normals)
    lg.manualSeed(2)
    G = structure_train.main(nplanes=4, nepochs=0)
    noise = lg.Tensor(3, 8, 1, 1).uniform(-1, 1)
    out = G.model_G.forward(noise).numpy()
    assert out.shape == (3, 3, 72, 72)
    np.testing.assert_allclose(np.sqrt((out ** 2).sum(1)), 1, rtol=1e-5)
    tanh = [m for m in G.model_G.listModules() if lg.type(m) == 'nn.Tanh'][0].output.numpy()
    np.testing.assert_allclose(out, tanh / np.sqrt((tanh ** 2).sum(1, keepdims=True)), rtol=1e-5, atol=1e-6)


def test_donkey_makes_unit_normal_batches(normals, monkeypatch):
    """donkey.lua's trainHook (image = label, both scaled to [-1, 1]) and makeData (each pixel divided by its
    norm over the channels), on dataset.lua's list-file loader: ``get`` reads the listed label files."""
    _argv(monkeypatch, normals, batchSize=3)
    lg.manualSeed(3)
    G = structure_train.main(nplanes=4, nepochs=0)
    loader = G.trainLoader
    assert loader.size() == 10
    assert lg.ffi.string(lg.data(loader.labelPath[4])).endswith('render_data/normal_04.png')
    assert lg.ffi.string(lg.data(loader.imagePath[4])).endswith('render_data/rgb_04.png')
    img, lbl = loader.get(1, 2)
    assert img.size().tolist() == [2, 3, 72, 72]
    np.testing.assert_array_equal(img.numpy(), lbl.numpy())
    want = image.scale(image.load(str(normals / 'render_data' / 'normal_01.png'), 3, 'float'), 72, 72) * 255
    np.testing.assert_allclose(lbl[0].numpy(), want.numpy() / 127.5 - 1, rtol=1e-5, atol=1e-6)
    fine, class_, label = G.makeData(img, lbl)
    assert class_ == 0 and fine is img
    np.testing.assert_allclose(np.sqrt((label.numpy() ** 2).sum(1)), 1, rtol=1e-5)


def test_threaded_donkeys(normals, monkeypatch, reproducible_workers):
    """data.lua's ``Threads(opt.nDonkeys, ...)`` path: each donkey seeded ``manualSeed + idx`` runs donkey.lua
    (the first builds the cache, the second may read it) and delivers the batches of an epoch."""
    _argv(monkeypatch, normals, nDonkeys=2, epochSize=3)
    lg.manualSeed(4)
    G = structure_train.main(nplanes=4, nepochs=1)
    assert G.batchNumber == 3 and G.confusion.mat.sum() == 3 * 4
    G.donkeys.terminate()


def test_style_gan_trains_conditioned_on_normals(normals, monkeypatch, capsys):
    """style-gan-nofcn/train.lua (128 x 128, its coefL2 of 1e-5 on) for 3 epochs of 8 batches: the losses stay
    finite and move, D's gradients come only from its own step (G's step runs D's updateGradInput alone), and a
    sample is an RGB image in (-1, 1) that depends on its normal map."""
    _argv(monkeypatch, normals, scale=128)
    lg.manualSeed(6)
    G = style_train.main(nplanes=4, nepochs=3)
    out = capsys.readouterr().out
    errD = np.array([float(v) for v in re.findall(r'\bD: (\S+)', out)])
    errG = np.array([float(v) for v in re.findall(r'\bG: (\S+)', out)])
    assert len(errD) == len(errG) == 24
    assert np.isfinite(errD).all() and np.isfinite(errG).all()
    assert np.abs(errD - errD[0]).max() > 0.01 and np.abs(errG - errG[0]).max() > 0.01
    assert G.opt['coefL2'] == 0.00001 and G.opt['flag'] == 1
    assert G.adamState_D['numUpdates'] == G.adamState_G['numUpdates'] == 24

    real, _, normal = G.makeData(*G.trainLoader.sample(2))
    assert real.size().tolist() == normal.size().tolist() == [2, 3, 128, 128]
    noise = lg.Tensor(2, 8, 1, 1).uniform(-1, 1)
    fake = G.model_G.forward([noise, normal]).clone()
    assert fake.size().tolist() == [2, 3, 128, 128] and float(fake.abs().max()) < 1
    other = G.model_G.forward([noise, normal.index(0, lg.LongTensor([1, 0]))])
    assert float((other - fake).abs().max()) > 1e-4

    # fevalG's D.updateGradInput: D's gradients are those fevalD left
    G.gradParameters_D.fill(7)
    G.model_D.forward([fake, normal])
    G.model_D.updateGradInput([fake, normal], lg.Tensor(2, 1).fill(1))
    assert float(G.gradParameters_D.min()) == float(G.gradParameters_D.max()) == 7
    assert G.model_D.gradInput[0].size().tolist() == [2, 3, 128, 128]


def test_style_donkey_saves_the_first_batch_while_flag_is_0(normals, monkeypatch, tmp_path):
    """style-gan-nofcn/donkey.lua's makeData with ``opt.flag == 0`` writes each image and label of the batch as
    ``(x + 1) * 127.5`` bytes to ``savepath``, then sets the flag (train.lua sets it to 1 first, so the script never
    writes them)."""
    _argv(monkeypatch, normals, scale=128, batchSize=2)
    monkeypatch.setattr(style_donkey, 'savepath', str(tmp_path / 'imgs'))
    os.makedirs(tmp_path / 'imgs')
    lg.manualSeed(7)
    G = style_train.main(nplanes=4, nepochs=0)
    G.opt['flag'] = 0
    img, lbl = G.trainLoader.get(0, 1)
    G.makeData(img, lbl)
    assert G.opt['flag'] == 1
    assert sorted(os.listdir(tmp_path / 'imgs')) == ['0001_img.jpg', '0001_label.jpg', '0002_img.jpg', '0002_label.jpg']
    back = image.load(str(tmp_path / 'imgs' / '0002_label.jpg'), 3, 'float').numpy() * 255
    want = np.trunc((lbl[1].numpy() + 1) * 127.5)
    assert np.abs(back - want).mean() < 4          # JPEG's loss


@pytest.mark.gpu
def test_gpu_0_is_a_device(normals, monkeypatch):
    """``-g 0`` (the default) is device 0: the Lua's ``if opt.gpu then`` is true for any number, 0 included
    (only an id out of 0..8 becomes false), so the nets, the criterion and the step's buffers are CUDA and a
    step runs there (docs/porting.md's nil-test row)."""
    _argv(monkeypatch, normals, gpu=0, epochSize=2)
    lg.manualSeed(8)
    G = structure_train.main(nplanes=4, nepochs=1)
    assert G.opt['gpu'] == 0
    assert lg.type(G.parameters_D) == lg.type(G.parameters_G) == 'torch.CudaTensor'
    assert G.batchNumber == 2 and G.adamState_G['numUpdates'] == 2
    assert np.isfinite(G.parameters_G.float().numpy()).all()


def _pretrained(normals, monkeypatch):
    """The two .net files joint-ssgan/train.lua loads from ../ssgan_models: structure-gan's and style-gan-nofcn's
    nets as their scripts build them, on the GPU, as they were trained and saved."""
    models = normals / 'ssgan_models'
    models.mkdir()
    _argv(monkeypatch, normals)
    lg.manualSeed(9)
    S = structure_train.main(nplanes=4, nepochs=0)
    lg.save(str(models / 'Structure_GAN.net'), {'D': S.model_D.cuda(), 'G': S.model_G.cuda()})
    _argv(monkeypatch, normals, scale=128)
    T = style_train.main(nplanes=4, nepochs=0)
    lg.save(str(models / 'joint_Style_GAN.net'), {'D': T.model_D.cuda(), 'G': T.model_G.cuda()})
    with open('codebook_40.txt', 'w') as f:     # 40 unit normals, one a line, as the repository's file
        rng = np.random.RandomState(1)
        for v in rng.randn(40, 3):
            f.write('%.8f %.8f %.8f \n' % tuple(v / np.linalg.norm(v)))
    return np.loadtxt('codebook_40.txt')


@pytest.mark.gpu
def test_joint_training(normals, monkeypatch, capsys):
    """joint-ssgan/train.lua on the two GANs: one epoch of 3 joint steps with every loss finite, the four nets
    saved; the codebook read number by number with DiskFile:readFloat; makeData's 72 x 72 maps unit normals. With
    ``--trainG1 0`` G1 is never stepped, yet its gradients hold what fevalG sent back through model_upsample."""
    codebook = _pretrained(normals, monkeypatch)
    _argv(monkeypatch, normals, scale=128, gpu=0, epochSize=3, saveFreq=1, trainG1=0)
    lg.manualSeed(10)
    G = joint_train.main(nepochs=1)
    out = capsys.readouterr().out
    losses = {name: np.array([float(v) for v in re.findall(r'\b%s: (\S+)' % name, out)])
              for name in ('D', 'D1', 'G', 'G1')}
    assert [len(losses[n]) for n in ('D', 'D1', 'G', 'G1')] == [3, 3, 3, 0]
    assert all(np.isfinite(v).all() for v in losses.values())
    np.testing.assert_allclose(G.codebook.numpy(), codebook, rtol=1e-6)
    assert G.opt['classnum'] == 40 and G.opt['labelSize2'] == 72
    assert os.path.isfile(normals / 'save' / 'adversarial_D_1.net')
    G1 = lg.load(str(normals / 'save' / 'adversarial_G_1.net'))
    assert sorted(G1) == ['G', 'G1', 'opt']
    assert float(G.gradParameters_G1.abs().max()) > 0

    real, label2, label = G.makeData(*G.trainLoader.sample(G.opt['batchSize']))
    assert label2.size().tolist() == [4, 3, 72, 72] and label.size().tolist() == [4, 3, 128, 128]
    np.testing.assert_allclose(np.sqrt((label2.numpy() ** 2).sum(1)), 1, rtol=1e-5)


@pytest.mark.gpu
def test_structure_gan_test_script_writes_samples(normals, monkeypatch):
    """structure-gan/test.lua on a trained-and-saved structure GAN (noiseDim 100, which the script fixes): 2 of its
    10 batches of 10 samples, each normalised per pixel and written as ``(x + 1) * 127.5`` bytes to JPEGs."""
    models = normals / 'ssgan_models'
    models.mkdir()
    _argv(monkeypatch, normals, noiseDim=100, epochSize=2)
    lg.manualSeed(11)
    S = structure_train.main(nplanes=4, nepochs=1)
    lg.save(str(models / 'Structure_GAN.net'), {'D': S.model_D.clearState(), 'G': S.model_G.clearState()})
    monkeypatch.setattr(sys, 'argv', ['test.lua'])
    G = structure_test.main(nbatches=2)
    names = sorted(os.listdir(normals / 'results' / 'test_structure_gan'))
    assert names == ['img_%04d.jpg' % i for i in range(1, 21)]
    assert lg.type(G.samples) == 'torch.CudaTensor'
    last = G.samples.float().numpy()                      # the second batch, in bytes' scale
    normals_back = last / 127.5 - 1
    np.testing.assert_allclose(np.sqrt((normals_back ** 2).sum(1)), 1, rtol=1e-4)
    np.testing.assert_array_equal(G.output_img.numpy(), np.trunc(last[9]))     # :byte() truncates
    img = image.load(str(normals / 'results' / 'test_structure_gan' / 'img_0020.jpg'), 3, 'float').numpy() * 255
    assert np.corrcoef(img.ravel(), last[9].ravel())[0, 1] > 0.5     # JPEG's loss, on a noisy sample


@pytest.mark.gpu
def test_joint_test_script_draws_images_on_sampled_normals(normals, monkeypatch):
    """joint-ssgan/test.lua on a joint_SSGAN.net of the two GANs as their scripts build them (noiseDim 100, which
    the script fixes): 2 of its 100 batches; each normal map is G1's sample upsampled to 128 x 128 with unit
    normals, each image G's sample on it, both written as JPEGs."""
    models = normals / 'ssgan_models'
    models.mkdir()
    _argv(monkeypatch, normals, noiseDim=100)
    lg.manualSeed(12)
    G1 = structure_train.main(nplanes=4, nepochs=0).model_G     # the scripts' globals are one namespace
    _argv(monkeypatch, normals, noiseDim=100, scale=128)
    G2 = style_train.main(nplanes=4, nepochs=0).model_G
    lg.save(str(models / 'joint_SSGAN.net'), {'G': G2, 'G1': G1})
    monkeypatch.setattr(sys, 'argv', ['test.lua'])
    G = joint_test.main(nbatches=2)
    names = sorted(os.listdir(normals / 'results' / 'joint_all_results'))
    assert names == sorted(['%04d_%s.jpg' % (i, kind) for i in range(1, 21) for kind in ('norm', 'img')])
    assert lg.type(G.samples) == 'torch.FloatTensor' and lg.type(G.imgsamples) == 'torch.CudaTensor'
    maps = G.samples.numpy() / 127.5 - 1
    assert maps.shape == (10, 3, 128, 128)
    np.testing.assert_allclose(np.sqrt((maps ** 2).sum(1)), 1, rtol=1e-4)
    assert G.imgsamples.size().tolist() == [10, 3, 128, 128]
    assert 0 <= float(G.imgsamples.min()) and float(G.imgsamples.max()) <= 255


@pytest.mark.gpu
def test_style_gan_test_script_draws_on_listed_normals(normals, monkeypatch):
    """style-gan-nofcn/test.lua on a Style_GAN_nofcn.net as its script builds it (noiseDim 100, which the script
    fixes): one of its 10 batches, the first 10 listed images; G's image, the normal map and the photo written for
    each, the photo's bytes those of the listed RGB file."""
    models = normals / 'ssgan_models'
    models.mkdir()
    _argv(monkeypatch, normals, noiseDim=100, scale=128)
    lg.manualSeed(13)
    lg.save(str(models / 'Style_GAN_nofcn.net'), {'G': style_train.main(nplanes=4, nepochs=0).model_G})
    monkeypatch.setattr(sys, 'argv', ['test.lua'])
    G = style_test.main(nbatches=1)
    names = sorted(os.listdir(normals / 'results' / 'test_style_gan'))
    assert names == sorted(['%04d_%s.jpg' % (i, kind) for i in range(1, 11) for kind in ('pred', 'norm', 'ori')])
    assert 'flag' in G.opt and G.opt['flag'] == 1          # makeData set it, saving nothing
    assert lg.type(G.samples) == 'torch.CudaTensor' and G.samples.size().tolist() == [10, 3, 128, 128]
    photo = image.scale(image.load(str(normals / 'render_data' / 'rgb_09.png'), 3, 'float'), 128, 128) * 255
    want = np.trunc(((photo.numpy() / 127.5 - 1) + 1) * 127.5)
    np.testing.assert_allclose(G.gt_img.numpy(), want, atol=1)
