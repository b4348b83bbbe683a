"""Tests of the chuanli11/MGANs port (tests/porting/mgans/).

Stand-ins: loadcaffe_wrapper.lua's ``load`` returns test_style_swap's tiny VGG-19 layout (the 46 modules with
Caffe names, 4 to 8 planes, random weights), MDAN's target patches are random PNG files written in tmp_path,
the display package is ``Display`` (it records its calls). MGAN_wrapper.lua is CUDA-only (``:cuda()``
throughout), so its tests are marked gpu (the CuPy simulator runs them without a GPU); its network widths come
from ``opt_overrides`` (the port's one hook, MGAN_wrapper.py's docstring).
"""
import math
import re

import pytest

import legonn as lg
from legonn import image, nn
from tests.checks import assert_jacobian
from tests.porting.mgans import MGAN_wrapper
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


# --- lib/helper.lua -----------------------------------------------------------------------------------------------------

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


# --- lib/util.lua -------------------------------------------------------------------------------------------------------

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


# --- MGAN_wrapper.lua ---------------------------------------------------------------------------------------------------

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
