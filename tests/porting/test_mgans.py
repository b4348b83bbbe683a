"""Tests of the chuanli11/MGANs port (tests/porting/mgans/).

Stand-ins: loadcaffe_wrapper.lua's ``load`` returns test_style_swap's tiny VGG-19 layout (the 46 modules with
Caffe names, 4 to 8 planes, random weights), MDAN's target patches are random PNG files written in tmp_path,
the display package is ``Display`` (it records its calls). MGAN_wrapper.lua is CUDA-only (``:cuda()``
throughout), so its tests are marked gpu (the CuPy simulator runs them without a GPU); its network widths come
from ``opt_overrides`` (the port's one hook, MGAN_wrapper.py's docstring).
"""
import math
import re

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.porting.mgans import MDAN_wrapper, MGAN_wrapper
from tests.porting.mgans.lib import helper, util
from tests.porting.mgans.lib.tv import TVLoss
from tests.porting.mgans.lib.tv2 import TVLoss2
from tests.porting.test_style_swap import tiny_vgg19


class LoadcaffeWrap:
    """lib/loadcaffe_wrapper.lua's ``load(prototxt, caffemodel, backend, last_layer)``: loadcaffe's VGG-19."""

    def __init__(self):
        self.calls = []

    def load(self, prototxt_name, binary_name, backend=None, last_layer=None):
        self.calls.append((prototxt_name, binary_name, backend, last_layer))
        return tiny_vgg19()


class Display:
    """The display package's ``image`` and ``plot``, recording what they are given."""

    def __init__(self):
        self.images, self.plots = [], []

    def image(self, img, opts=None):
        self.images.append((tuple(img.size()), dict(opts or {})))

    def plot(self, data, opts=None):
        self.plots.append((data.clone(), dict(opts or {})))


# --- lib/tv.lua, lib/tv2.lua ------------------------------------------------------------------------------------------

def half_tv(x):
    """0.5 * sum over the top-left (H-1) x (W-1) pixels of the squared right and lower differences."""
    d = x.numpy()
    dx = d[..., :-1, :-1] - d[..., :-1, 1:]
    dy = d[..., :-1, :-1] - d[..., 1:, :-1]
    return 0.5 * float((dx ** 2).sum() + (dy ** 2).sum())


@pytest.mark.parametrize('cls, shape', [(TVLoss, (2, 4, 5)), (TVLoss2, (2, 2, 4, 5))])
def test_tv_loss_gradient_is_that_of_half_the_total_variation(cls, shape):
    lg.manualSeed(1)
    m = cls(0.3).double()
    x = lg.randn(*shape).double()
    assert m.forward(x) is x
    go = lg.randn(*shape).double()
    g = m.backward(x, go).clone()
    flat, h = x.view(-1), 1e-6
    for i in range(0, x.nElement(), 3):
        orig = float(flat[i])
        flat[i] = orig + h
        up = half_tv(x)
        flat[i] = orig - h
        down = half_tv(x)
        flat[i] = orig
        assert math.isclose(float(g.view(-1)[i]), 0.3 * (up - down) / (2 * h) + float(go.view(-1)[i]),
                            rel_tol=1e-6, abs_tol=1e-8)


# --- lib/helper.lua ---------------------------------------------------------------------------------------------------

def test_compute_bb_is_the_image_at_zero_and_a_smaller_box_when_rotated():
    assert helper.computeBB(100, 80, 0) == (1, 1, 100, 80)
    for alpha in (math.pi / 18, -math.pi / 18):
        min_x, min_y, max_x, max_y = helper.computeBB(100, 80, alpha)
        assert 1 < min_x < max_x < 100 and 1 < min_y < max_y < 80
        # the crop is centred vertically: both branches compute max_y as height - min_y (before the floors)
        assert min_y + max_y in (79, 80)


def test_compute_grid_adds_the_last_block_when_asked():
    xs, ys = helper.computegrid(10, 7, 4, 3, 1)
    assert xs.tolist() == [1, 4, 7] and ys.tolist() == [1, 4]
    xs, ys = helper.computegrid(11, 7, 4, 3, 1)
    assert xs.tolist() == [1, 4, 7, 8]
    xs, _ = helper.computegrid(11, 7, 4, 3, 0)
    assert xs.tolist() == [1, 4, 7]


def test_weights_init():
    lg.manualSeed(2)
    net = nn.Sequential().add(nn.SpatialConvolution(3, 50, 3, 3)).add(nn.SpatialBatchNormalization(50)) \
        .add(nn.Linear(4, 4))
    lin = net.get(2).weight.clone()
    net.apply(helper.weights_init)
    conv, bn = net.get(0), net.get(1)
    assert abs(float(conv.weight.std()) - 0.02) < 0.002 and float(conv.bias.abs().sum()) == 0
    assert abs(float(bn.weight.mean()) - 1) < 0.01 and float(bn.bias.abs().sum()) == 0
    assert lg.equal(net.get(2).weight, lin)


# --- lib/util.lua -----------------------------------------------------------------------------------------------------

def test_util_save_load_round_trip_drops_buffers_and_gradients(tmp_path):
    lg.manualSeed(3)
    net = nn.Sequential().add(nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1)).add(nn.SpatialBatchNormalization(4)) \
        .add(nn.ReLU(True))
    net = util.cudnn(net)
    assert lg.type(net.get(0)) == 'cudnn.SpatialConvolution'
    x = lg.rand(2, 3, 5, 5)
    net.evaluate()
    out = net.forward(x).clone()
    util.save(str(tmp_path / 'net.t7'), net, 0)
    saved = lg.load(str(tmp_path / 'net.t7'))
    assert lg.type(saved.get(0)) == 'nn.SpatialConvolution'
    assert saved.get(0).gradWeight is None and saved.get(1).gradBias is None
    assert saved.get(0).output.nElement() == 0
    loaded = util.load(str(tmp_path / 'net.t7'), 0)
    assert float(loaded.get(0).gradWeight.abs().sum()) == 0 and loaded.get(0).gradWeight.size() == (4, 3, 3, 3)
    loaded.evaluate()
    assert (loaded.forward(x) - out).abs().max() < 1e-5


def test_optimize_inference_memory_shares_outputs():
    net = nn.Sequential().add(nn.SpatialConvolution(3, 3, 3, 3, 1, 1, 1, 1)).add(nn.ReLU()) \
        .add(nn.SpatialConvolution(3, 3, 3, 3, 1, 1, 1, 1)).add(nn.SpatialBatchNormalization(3))
    util.optimizeInferenceMemory(net)
    assert net.get(0).output is net.get(2).output and net.get(1).inplace


# --- MGAN_wrapper.lua -------------------------------------------------------------------------------------------------

def write_patches(root, size, count):
    """MDAN's and AG_wrapper.lua's outputs: numbered 1 .. count PNG patches in the four folders."""
    for folder in ('ContentTrainPatch128', 'StyleTrainPatch128', 'ContentTestPatch128', 'StyleTestPatch128'):
        (root / folder).mkdir()
        for k in range(1, count + 1):
            image.save(str(root / folder / ('%d.png' % k)), lg.rand(3, size, size))


def mgan_params(root, start_epoch, numEpoch, batch):
    return {
        'dataset_name': str(root) + '/', 'start_epoch': start_epoch, 'numEpoch': numEpoch, 'stand_atom': 8,
        'pixel_blockSize': 64, 'netS_weight': 1e-2,
        'opt_overrides': {'nf': 4, 'batchSize': batch, 'netEnco_vgg_nOutputPlane': 8,
                          'netS_vgg_nOutputPlane': [8], 'netD_lr': 0.002, 'netG_lr': 0.002},
    }


@pytest.mark.gpu
def test_mgan_trains_saves_and_resumes(tmp_path, capsys):
    lg.manualSeed(4)
    write_patches(tmp_path, 64, 12)
    MGAN_wrapper.loadcaffe_wrap = LoadcaffeWrap()
    MGAN_wrapper.disp = disp = Display()
    try:
        assert MGAN_wrapper.state(mgan_params(tmp_path, 1, 2, 4)) == 1
        out = capsys.readouterr().out
        errG = [float(v) for v in re.findall(r'errG: (\S+)', out)]
        real = [float(v) for v in re.findall(r'netS avg_netD_Score_real: (\S+),', out)]
        fake = [float(v) for v in re.findall(r'netS avg_netD_Score_G: (\S+),', out)]
        # 2 epochs of ceil(12 / 4) batches; the losses are numbers; the discriminator learns to tell real from fake
        assert len(errG) == 6 and all(math.isfinite(v) for v in errG + real + fake)
        assert real[-1] - fake[-1] > real[0] - fake[0]
        assert sum(errG[-2:]) < sum(errG[:2])
        for name in ('epoch_1_netG.t7', 'epoch_2_netG.t7', 'epoch_2_netS_1.t7', 'epoch_1_3.png'):
            assert (tmp_path / 'MGAN' / name).exists(), name
        netG = lg.load(str(tmp_path / 'MGAN' / 'epoch_2_netG.t7'))
        assert netG.get(0).gradWeight is None and netG.get(0).weight.type() == 'torch.FloatTensor'
        assert len(disp.plots) == 2 and disp.plots[-1][0].size() == (3, 2)
        assert [opts['title'] for _, opts in disp.images[:3]] == ['source', 'target', 'generated']
        # resume from epoch 2's networks for a third epoch
        assert MGAN_wrapper.state(mgan_params(tmp_path, 3, 3, 4)) == 1
        assert 'netG has been loaded' in capsys.readouterr().out
        assert (tmp_path / 'MGAN' / 'epoch_3_netS_1.t7').exists()
    finally:
        MGAN_wrapper.loadcaffe_wrap = None
        MGAN_wrapper.disp = None


# --- AG_wrapper.lua ---------------------------------------------------------------------------------------------------

def test_augmentation_writes_every_patch(tmp_path):
    from tests.porting.mgans import AG_wrapper
    lg.manualSeed(5)
    for folder in ('ContentTest', 'StyleTest', 'ContentTrain', 'StyleTrain'):
        (tmp_path / folder).mkdir()
    image.save(str(tmp_path / 'ContentTest' / 'a.png'), lg.rand(3, 30, 40))
    image.save(str(tmp_path / 'StyleTest' / 'a.png'), lg.rand(3, 40, 40))
    image.save(str(tmp_path / 'ContentTrain' / 'a.png'), lg.rand(3, 30, 40))
    image.save(str(tmp_path / 'StyleTrain' / 'a.png'), lg.rand(3, 30, 40))
    params = {'dataset_name': str(tmp_path) + '/', 'stand_imageSize_syn': 48, 'stand_atom': 8, 'AG_imageSize': 16,
              'AG_sampleStep': 8, 'AG_step_rotation': math.pi / 18, 'AG_step_scale': 1.1, 'AG_num_rotation': 0,
              'AG_num_scale': 0, 'AG_flag_flip': True}
    assert AG_wrapper.state(params) == 1
    # the 30 x 40 content image becomes 32 x 48: 3 x 5 patches of 16 every 8 pixels, and as many flipped;
    # the 40 x 40 style image 48 x 48: 5 x 5 and 5 x 5 flipped
    content = sorted(p.name for p in (tmp_path / 'ContentTestPatch16').iterdir())
    assert content == sorted('%d.png' % k for k in range(1, 31))
    assert len(list((tmp_path / 'StyleTestPatch16').iterdir())) == 50
    assert len(list((tmp_path / 'StyleTrainPatch16').iterdir())) == 30
    first = image.load(str(tmp_path / 'ContentTrainPatch16' / '1.png'), 3)
    resized = image.scale(image.load(str(tmp_path / 'ContentTrain' / 'a.png'), 3), 48, 32, 'bilinear')
    assert tuple(first.size()) == (3, 16, 16)
    assert (first - resized[:, 0:16, 0:16]).abs().max() < 1 / 255 + 1e-6
    flipped = image.load(str(tmp_path / 'ContentTrainPatch16' / '16.png'), 3)
    assert (flipped - image.hflip(resized)[:, 0:16, 0:16]).abs().max() < 1 / 255 + 1e-6


def test_augmentation_with_rotations_and_scales(tmp_path):
    from tests.porting.mgans import AG_wrapper
    lg.manualSeed(6)
    for folder in ('ContentTest', 'StyleTest', 'ContentTrain', 'StyleTrain'):
        (tmp_path / folder).mkdir()
        image.save(str(tmp_path / folder / 'a.png'), lg.rand(3, 40, 40))
    params = {'dataset_name': str(tmp_path) + '/', 'stand_imageSize_syn': 40, 'stand_atom': 8, 'AG_imageSize': 16,
              'AG_sampleStep': 16, 'AG_step_rotation': math.pi / 18, 'AG_step_scale': 1.1, 'AG_num_rotation': 1,
              'AG_num_scale': 1, 'AG_flag_flip': False}
    assert AG_wrapper.state(params) == 1
    names = {p.name for p in (tmp_path / 'StyleTrainPatch16').iterdir()}
    assert names == {'%d.png' % k for k in range(1, len(names) + 1)} and len(names) > 9
    for p in (tmp_path / 'StyleTrainPatch16').iterdir():
        assert tuple(image.load(str(p), 3).size()) == (3, 16, 16)


# --- release_MGAN.lua, demo_MGAN.lua ----------------------------------------------------------------------------------

@pytest.mark.gpu
def test_release_and_demo(tmp_path):
    from tests.porting.mgans import demo_MGAN, release_MGAN
    lg.manualSeed(7)
    netG = nn.Sequential().add(nn.SpatialFullConvolution(8, 4, 4, 4, 2, 2, 1, 1)).add(nn.ReLU(True)) \
        .add(nn.SpatialFullConvolution(4, 4, 4, 4, 2, 2, 1, 1)).add(nn.ReLU(True)) \
        .add(nn.SpatialFullConvolution(4, 3, 4, 4, 2, 2, 1, 1)).add(nn.Tanh())
    util.save(str(tmp_path / 'netG.t7'), netG, 0)
    release_MGAN.main(LoadcaffeWrap(), str(tmp_path / 'netG.t7'), str(tmp_path / 'released.t7'))
    released = lg.load(str(tmp_path / 'released.t7'))
    assert len(released) == 21 + 6 and released.get(20).name == 'relu4_1'
    (tmp_path / 'in').mkdir()
    image.save(str(tmp_path / 'in' / 'photo.png'), lg.rand(3, 20, 30))
    image.save(str(tmp_path / 'noise.jpg'), lg.rand(3, 8, 8))
    demo_MGAN.main(str(tmp_path / 'released.t7'), str(tmp_path / 'out') + '/', str(tmp_path / 'in'),
                   str(tmp_path / 'noise.jpg'))
    out = image.load(str(tmp_path / 'out' / 'photo_MGANs.jpg'), 3)
    # the longer side scaled to 512 (a multiple of 8): 336 x 512; the encoder's three poolings and the
    # generator's three x2 transposed convolutions give the size back
    assert tuple(out.size()) == (3, 336, 512)


@pytest.mark.gpu
def test_a_float_cuda_mask_indexes_as_in_cutorch():
    """MGAN_wrapper.lua masks the discriminator's border scores with ``StyleScore[netS_mask] = label`` and averages
    the others with ``StyleScore[netS_mask:clone():mul(-1):add(1)]``, where netS_mask is a CudaTensor of 0/1:
    cutorch's __newindex__/__index__ copy such a tensor into a CudaByteTensor mask (its torch/generic/Tensor.c)."""
    scores = lg.Tensor([[0.5], [-0.2], [0.7], [0.1]]).cuda()
    mask = lg.Tensor([[1], [0], [0], [1]]).cuda()
    scores[mask] = 1
    assert scores.view(-1).tolist() == [1, pytest.approx(-0.2), pytest.approx(0.7), 1]
    inner = scores[mask.clone().mul(-1).add(1)]
    assert inner.type() == 'torch.CudaTensor' and inner.tolist() == [pytest.approx(-0.2), pytest.approx(0.7)]


# --- MDAN_wrapper.lua -------------------------------------------------------------------------------------------------

def mdan_params(root, flag_pretrained, numEpoch=2, numIterPerEpoch=3, **overrides):
    return {
        'dataset_name': str(root) + '/', 'stand_imageSize_syn': 48, 'stand_imageSize_example': 64,
        'flag_pretrained': flag_pretrained, 'input_content_folder': 'ContentInput/',
        'output_style_folder': 'StyleOutput/', 'output_model_folder': 'MDAN/', 'numEpoch': numEpoch,
        'numIterPerEpoch': numIterPerEpoch, 'contrast_std': 2, 'stand_atom': 8,
        'opt_overrides': dict({'netS_vgg_nOutputPlane': [8]}, **overrides),
    }


@pytest.mark.gpu
def test_mdan_synthesises_each_content_image_against_the_style_patches(tmp_path, capsys):
    """MDAN_wrapper.lua (CUDA-only as MGAN_wrapper.lua) on one 64 x 64 style image and one 30 x 45 content image.
    Without rotations and scales, the style image and its flip give 2 x 9 target patches (relu3_1 features 16 x 16,
    8 x 8 patches every 4: computegrid's 1, 5, 9 both ways); the content image, scaled to 32 x 48 (relu3_1 8 x 12),
    gives 2 source patches (x 1 and 5, y 1). adam moves the image itself, which is written under the content
    image's name contrast-stretched to [0, 1], close to the scaled content but not it; netS is saved, and a second
    run with flag_pretrained (and the script's 3 rotations x 3 scales) loads it and synthesises again."""
    lg.manualSeed(8)
    (tmp_path / 'Style').mkdir()
    (tmp_path / 'ContentInput').mkdir()
    image.save(str(tmp_path / 'Style' / 's.png'), lg.rand(3, 64, 64))
    image.save(str(tmp_path / 'ContentInput' / 'photo.png'), lg.rand(3, 30, 45))
    MDAN_wrapper.loadcaffe_wrap = loadcaffe = LoadcaffeWrap()
    MDAN_wrapper.disp = disp = Display()
    try:
        assert MDAN_wrapper.state(mdan_params(tmp_path, False, aug_num_rotation=0, aug_num_scale=0)) == 1
        out = capsys.readouterr().out
        assert loadcaffe.calls[0][2:] == ('nn', 36)
        assert 'number of target patches: 18\n' in out
        assert re.search(r'^2$', out, re.M)       # the source patches: print(source_x_per_image:nElement())
        style = [float(v) for v in re.findall(r'errG_Style: (\S+)', out)]
        assert len(style) == 6 and all(math.isfinite(v) and v >= 0 for v in style)
        assert [opts for _, opts in disp.images] == [{'win': 1, 'title': 'MDAN'}] * 6
        assert disp.images[0][0] == (3, 32, 48)
        result = image.load(str(tmp_path / 'StyleOutput' / 'photo.png'), 3)
        assert tuple(result.size()) == (3, 32, 48)
        assert float(result.min()) == 0 and float(result.max()) == 1
        scaled = image.scale(image.load(str(tmp_path / 'ContentInput' / 'photo.png'), 3), 48, 32, 'bilinear')
        r, c = result.view(-1).numpy(), scaled.view(-1).numpy()
        assert np.corrcoef(r, c)[0, 1] > 0.8
        assert np.abs((r - r.mean()) / r.std() - (c - c.mean()) / c.std()).max() > 0.1
        netS = lg.load(str(tmp_path / 'MDAN' / 'netS_1.t7'))
        assert netS.get(1).weight.size() == (8, 8, 3, 3) and netS.get(4).weight.size() == (1, 8, 8, 8)
        assert MDAN_wrapper.state(mdan_params(tmp_path, True, 1, 1)) == 1
        out = capsys.readouterr().out
        assert 'netS[1] has been loaded' in out
        assert int(re.search(r'number of target patches: (\d+)', out).group(1)) > 18
    finally:
        MDAN_wrapper.loadcaffe_wrap = None
        MDAN_wrapper.disp = None
