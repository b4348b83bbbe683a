"""Tests of the satoshiiizuka/siggraph2017_inpainting port (tests/porting/inpainting/: inpaint.lua, utils.lua).

Stand-in: the trained completionnet_places2_freeform.t7 (a download) is ``completionnet()``: the completion
network's structure (Iizuka et al. 2017, table 1) with few planes and random weights: an RGB image and its mask in,
two strided convolutions down to a quarter of the size, a dilated convolution, two full convolutions back up, a
sigmoid giving RGB, each convolution but the last followed by batch normalisation (in evaluation mode) and a ReLU.
It is saved with ``lg.save_lua`` with its per-channel data mean, as ``torch.save({model=, mean=})``, and the script
loads that file. Its outputs are checked against a direct NumPy computation of the same network and of the
script's mask compositing. ``--postproc``'s OpenCV calls (torch-opencv, not in legonn) are checked with a stand-in
``cv`` module that records them."""
import sys
import types

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.porting.inpainting import inpaint
from tests.porting.inpainting.utils import cvimg2tensor, load_image_gray, tensor2cvimg

MEAN = [0.45, 0.42, 0.4]


@pytest.fixture(autouse=True)
def _default_type():
    """inpaint.lua sets the default tensor type (to Float): put the process's back afterwards."""
    before = lg.getdefaulttensortype()
    yield
    lg.setdefaulttensortype(before)


def completionnet(c=4):
    net = nn.Sequential()
    net.add(nn.SpatialConvolution(4, c, 5, 5, 1, 1, 2, 2)).add(nn.SpatialBatchNormalization(c)).add(nn.ReLU(True))
    net.add(nn.SpatialConvolution(c, c, 3, 3, 2, 2, 1, 1)).add(nn.SpatialBatchNormalization(c)).add(nn.ReLU(True))
    net.add(nn.SpatialConvolution(c, 2 * c, 3, 3, 2, 2, 1, 1)).add(nn.SpatialBatchNormalization(2 * c))
    net.add(nn.ReLU(True))
    net.add(nn.SpatialDilatedConvolution(2 * c, 2 * c, 3, 3, 1, 1, 2, 2, 2, 2))
    net.add(nn.SpatialBatchNormalization(2 * c)).add(nn.ReLU(True))
    net.add(nn.SpatialFullConvolution(2 * c, c, 4, 4, 2, 2, 1, 1)).add(nn.SpatialBatchNormalization(c))
    net.add(nn.ReLU(True))
    net.add(nn.SpatialFullConvolution(c, c, 4, 4, 2, 2, 1, 1)).add(nn.SpatialBatchNormalization(c))
    net.add(nn.ReLU(True))
    net.add(nn.SpatialConvolution(c, 3, 3, 3, 1, 1, 1, 1)).add(nn.Sigmoid())
    return net


def saved_completionnet(path):
    lg.manualSeed(5)
    net = completionnet()
    for m in net.modules:
        if lg.typename(m) == 'nn.SpatialBatchNormalization':
            # trained running statistics and affine parameters, so that evaluate() matters
            m.running_mean.uniform(-0.2, 0.2)
            m.running_var.uniform(0.5, 2.0)
            m.weight.uniform(0.5, 1.5)
            m.bias.uniform(0.0, 0.3)
    net.get(net.size() - 2).weight.mul(4)     # spread the output over the sigmoid's range
    lg.save_lua(str(path), {'model': net, 'mean': MEAN})
    return net


# --- the NumPy reference --------------------------------------------------------------------------------------

def np_conv(x, m, dilation=1):
    """(Dilated) SpatialConvolution of a C x H x W float64 array with the module's parameters."""
    w, b = m.weight.array.astype(np.float64), m.bias.array.astype(np.float64)
    x = np.pad(x, ((0, 0), (m.padH, m.padH), (m.padW, m.padW)))
    nOut, nIn, kH, kW = w.shape
    oh = (x.shape[1] - dilation * (kH - 1) - 1) // m.dH + 1
    ow = (x.shape[2] - dilation * (kW - 1) - 1) // m.dW + 1
    out = np.zeros((nOut, oh, ow)) + b[:, None, None]
    for i in range(kH):
        for k in range(kW):
            patch = x[:, i * dilation:i * dilation + m.dH * oh:m.dH, k * dilation:k * dilation + m.dW * ow:m.dW]
            out += np.einsum('oc,chw->ohw', w[:, :, i, k], patch)
    return out


def np_full_conv(x, m):
    """SpatialFullConvolution (a transposed convolution; weight nIn x nOut x kH x kW), no output adjustment."""
    w, b = m.weight.array.astype(np.float64), m.bias.array.astype(np.float64)
    nIn, nOut, kH, kW = w.shape
    h, wd = x.shape[1:]
    full = np.zeros((nOut, (h - 1) * m.dH + kH, (wd - 1) * m.dW + kW))
    for i in range(kH):
        for k in range(kW):
            full[:, i:i + m.dH * h:m.dH, k:k + m.dW * wd:m.dW] += np.einsum('co,chw->ohw', w[:, :, i, k], x)
    out = full[:, m.padH:full.shape[1] - m.padH, m.padW:full.shape[2] - m.padW]
    return out + b[:, None, None]


def np_sequential(x, seq):
    """A Sequential of the modules these two ports' stand-in networks use (the colorization one's too), on one
    sample (no batch dimension), in float64; batch normalisation in evaluation mode."""
    for m in seq.modules:
        name = lg.typename(m)
        if name == 'nn.SpatialConvolution':
            x = np_conv(x, m)
        elif name == 'nn.SpatialDilatedConvolution':
            x = np_conv(x, m, m.dilationH)
        elif name == 'nn.SpatialFullConvolution':
            x = np_full_conv(x, m)
        elif name == 'nn.SpatialBatchNormalization':
            mean, var = m.running_mean.array.astype(np.float64), m.running_var.array.astype(np.float64)
            scale = m.weight.array.astype(np.float64) / np.sqrt(var + m.eps)
            x = (x - mean[:, None, None]) * scale[:, None, None] + m.bias.array.astype(np.float64)[:, None, None]
        elif name == 'nn.ReLU':
            x = np.maximum(x, 0)
        elif name == 'nn.Sigmoid':
            x = 1 / (1 + np.exp(-x))
        elif name == 'nn.SpatialUpSamplingNearest':
            x = x.repeat(2, axis=1).repeat(2, axis=2)
        elif name == 'nn.View':
            x = x.reshape(-1)
        elif name == 'nn.Linear':
            x = m.weight.array.astype(np.float64) @ x + m.bias.array.astype(np.float64)
        else:
            raise AssertionError(name)
    return x


def np_inpaint(net, picture, mask):
    """inpaint.lua's output for a 3 x H x W image and a 1 x H x W 0/1 mask (H, W multiples of 4, at most maxdim)."""
    holes = np.broadcast_to(mask, picture.shape) == 1
    masked = np.where(holes, 0.0, picture - np.array(MEAN)[:, None, None])
    res = np_sequential(np.concatenate([masked, mask]), net)
    return picture * (1 - mask) + res * mask, masked + np.array(MEAN)[:, None, None]


def png(path, values):
    image.save(str(path), lg.from_numpy(np.ascontiguousarray(values, dtype=np.float32)))
    return image.load(str(path)).array.astype(np.float64)


def files_with_a_hole(tmp_path, monkeypatch, seed, size, hole):
    """net.t7, a random in.png of ``size`` and mask.png with 1 at ``hole`` in tmp_path, the working directory;
    the mask as an H x W array."""
    monkeypatch.chdir(tmp_path)
    saved_completionnet(tmp_path / 'net.t7')
    png(tmp_path / 'in.png', np.random.default_rng(seed).random((3,) + size))
    grey = np.zeros(size)
    grey[hole] = 1
    png(tmp_path / 'mask.png', grey[None])
    return grey


# --- the tests --------------------------------------------------------------------------------------------------

def test_inpaint_with_a_mask_file_matches_numpy(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    net = saved_completionnet(tmp_path / 'net.t7')
    rng = np.random.default_rng(1)
    picture = png(tmp_path / 'in.png', rng.random((3, 24, 32)))
    grey = np.zeros((24, 32))
    grey[5:14, 9:25] = 0.9          # the hole
    grey[20, 2] = 0.1               # below the 0.2 threshold: no hole
    # an RGB + alpha mask: load_image_gray keeps the colours and takes their luma
    mask_png = png(tmp_path / 'mask.png', np.stack([grey, grey, grey, np.ones_like(grey)]))
    inpaint.main(['--input', 'in.png', '--mask', 'mask.png', '--model', 'net.t7'])
    printed = capsys.readouterr().out
    assert 'Inpainting...' in printed and 'Done.' in printed and "'maxdim': 600" in printed
    mask = (0.299 * mask_png[0] + 0.587 * mask_png[1] + 0.114 * mask_png[2] >= 0.2).astype(np.float64)[None]
    assert mask.sum() == 9 * 16
    expected_out, expected_input = np_inpaint(lg.load('net.t7')['model'], picture, mask)
    out, masked = image.load('out.png').array, image.load('input.png').array
    assert np.abs(out - expected_out).max() <= 1.01 / 255
    assert np.abs(masked - expected_input).max() <= 1.01 / 255
    # outside the hole the image is the input's; inside it the network's, unlike the input
    assert np.abs(out - picture)[:, mask[0] == 0].max() <= 1.01 / 255
    assert np.abs(out - picture)[:, mask[0] == 1].mean() > 0.1


def test_inpaint_random_holes_and_maxdim(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    saved_completionnet(tmp_path / 'completionnet_places2_freeform.t7')   # the default --model
    rng = np.random.default_rng(2)
    picture = png(tmp_path / 'in.png', rng.random((3, 150, 170)))
    lg.manualSeed(11)
    inpaint.main(['--input', 'in.png', '--maxdim', '130'])
    out, masked = image.load('out.png').array, image.load('input.png').array
    # '*130/170' scales 150 x 170 to 114 x 130, then torch.round to multiples of 4: 116 x 132
    assert tuple(out.shape) == tuple(masked.shape) == (3, 116, 132)
    holes = (np.abs(masked - np.array(MEAN)[:, None, None]) <= 1.01 / 255).all(0)
    # 2 to 4 rectangles of 33 to 129 pixels a side, scaled by 130 / 170: at least 25 x 25 pixels of holes
    assert holes.sum() >= 2 * 25 * 25
    assert np.abs(out - masked)[:, holes].mean() > 0.05    # the network filled them
    # and the same seed draws the same holes
    lg.manualSeed(11)
    inpaint.main(['--input', 'in.png', '--maxdim', '130'])
    assert np.array_equal(image.load('input.png').array, masked)


@pytest.mark.gpu
def test_inpaint_on_the_gpu_gives_the_cpu_result(tmp_path, monkeypatch):
    """--gpu: the model and the input go to the GPU (``require 'cunn'`` is no line in legonn); ``:float()`` of
    the CUDA output brings it back for the compositing."""
    pytest.importorskip('cupy')
    grey = files_with_a_hole(tmp_path, monkeypatch, 4, (20, 24), (slice(4, 12), slice(6, 18)))
    inpaint.main(['--input', 'in.png', '--mask', 'mask.png', '--model', 'net.t7'])
    cpu = image.load('out.png').array
    inpaint.main(['--input', 'in.png', '--mask', 'mask.png', '--model', 'net.t7', '--gpu'])
    assert np.abs(image.load('out.png').array - cpu).max() <= 1.01 / 255
    assert np.abs(image.load('out.png').array - image.load('in.png').array)[:, grey == 1].mean() > 0.05


def test_inpaint_needs_an_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError):
        inpaint.main([])


def test_load_image_gray_channels(tmp_path):
    """A grey mask stays one channel; a grey + alpha PNG (image.savePNG writes 1, 3 or 4 channels, png.c:242, so
    Pillow writes it) keeps its grey channel; RGB becomes its luma."""
    from PIL import Image
    grey = np.linspace(0, 1, 12).reshape(1, 3, 4)
    saved = png(tmp_path / 'g.png', grey)
    assert np.array_equal(load_image_gray(str(tmp_path / 'g.png')).array, saved.astype(np.float32))
    bytes_ = np.stack([np.arange(12, dtype=np.uint8).reshape(3, 4) * 20, np.full((3, 4), 7, np.uint8)], -1)
    Image.fromarray(bytes_, 'LA').save(tmp_path / 'ga.png')
    assert image.load(str(tmp_path / 'ga.png')).size(0) == 2
    assert np.allclose(load_image_gray(str(tmp_path / 'ga.png')).array, bytes_[None, :, :, 0] / 255)
    rgb = png(tmp_path / 'rgb.png', np.stack([grey[0], 1 - grey[0], grey[0] / 2]))
    assert np.allclose(load_image_gray(str(tmp_path / 'rgb.png')).array,
                       0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2], atol=1e-6)


def test_tensor2cvimg_and_back():
    src = lg.FloatTensor([[[0.999, 0.5]], [[0.0, 1.0]], [[0.25, 0.75]]])   # 3 x 1 x 2
    cv_img = tensor2cvimg(src)
    # H x W x 3, BGR, bytes truncated from value * 255 (a C cast, as Torch7's :byte())
    assert lg.typename(cv_img) == 'legonn.ByteTensor' and tuple(cv_img.size()) == (1, 2, 3)
    assert cv_img.array.tolist() == [[[63, 0, 254], [191, 255, 127]]]
    back = cvimg2tensor(cv_img)
    assert np.allclose(back.array, np.array([[[254, 127]], [[0, 255]], [[63, 191]]]) / 255)


def test_postproc_calls_opencv_as_the_lua(tmp_path, monkeypatch):
    """--postproc with a stand-in cv module (torch-opencv's inpaint and seamlessClone): the calls get OpenCV's
    BGR byte image, the byte mask and the centre of the holes' bounding box, 0-based (x, y)."""
    grey = files_with_a_hole(tmp_path, monkeypatch, 3, (16, 20), (slice(3, 9), slice(5, 16)))
    with pytest.raises(ModuleNotFoundError, match="'cv'"):
        inpaint.main(['--input', 'in.png', '--mask', 'mask.png', '--model', 'net.t7', '--postproc'])

    calls = {}
    cv = types.ModuleType('cv')
    cv.photo = types.ModuleType('cv.photo')
    cv.INPAINT_TELEA, cv.NORMAL_CLONE = 1, 1

    def cv_inpaint(src, mask, dst=None, inpaintRadius=3, flags=0):
        calls['inpaint'] = (src.clone(), mask.clone(), inpaintRadius)
        return src.clone()

    def seamless_clone(src, dst, mask, p, blend, flags):
        calls['p'] = p
        blend.fill(128)   # OpenCV writes the blend into the given image

    cv.inpaint, cv.seamlessClone = cv_inpaint, seamless_clone
    monkeypatch.setitem(sys.modules, 'cv', cv)
    monkeypatch.setitem(sys.modules, 'cv.photo', cv.photo)
    inpaint.main(['--input', 'in.png', '--mask', 'mask.png', '--model', 'net.t7'])
    plain = image.load('out.png').array
    inpaint.main(['--input', 'in.png', '--mask', 'mask.png', '--model', 'net.t7', '--postproc'])
    src, mask, radius = calls['inpaint']
    assert radius == 1 and tuple(src.size()) == (16, 20, 3) and lg.typename(src) == 'legonn.ByteTensor'
    # the BGR bytes of the composited image (truncated, as :byte() does)
    assert np.abs(src.array[:, :, ::-1].transpose(2, 0, 1) / 255 - plain).max() <= 1.01 / 255
    assert mask.array[:, :, 0].tolist() == (grey * 255).astype(np.uint8).tolist()
    # rows 3..8, columns 5..15: centre x = floor(5 + 10 / 2) = 10, y = floor(3 + 5 / 2) = 5
    assert calls['p'] == [10, 5]
    assert np.allclose(image.load('out.png').array, 128 / 255, atol=0.5 / 255)
