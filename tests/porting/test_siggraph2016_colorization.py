"""Tests of the satoshiiizuka/siggraph2016_colorization port (tests/porting/colorization/colorize.py).

Stand-in: the trained colornet.t7 (a download) is ``colornet()``: an nngraph gModule of the paper's structure
(Iizuka et al. 2016, figure 2) with few planes and random weights: a low-level feature network whose two copies
share their parameters, one on the 224 x 224 copy and one on the full image; the mid-level network on the full
image's; the global network (strided convolutions, then fully connected layers) on the small copy's; the fusion
node that turns the global vector into a map of the mid-level features' size (two ``nn.Replicate``, the modules
colorize.lua resizes through ``forwardnodes[9]``); their join; and the colorization network (the fusion layer's
1 x 1 convolution, convolutions, two nearest-neighbour upsamplings, a sigmoid giving a and b at half the image's
size). It is saved with ``lg.save_lua`` with its data mean, as Torch7's ``torch.save({mean=, model=})``, and the
script loads that file. Its outputs are checked against a direct NumPy computation of the same network, of
image.c's bilinear scaling and of the colour conversions (YUV, sRGB and CIE Lab, D65)."""
import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.porting.colorization import colorize
from tests.porting.test_siggraph2017_inpainting import np_sequential

C, G = 3, 5      # planes of the low-level features, size of the global features


def colornet():
    """The stand-in network: ``gModule({in1, in2}, {out})`` with in1 the 224 x 224 image, in2 the full one.
    Torch7's ``forwardnodes`` (innode, the split of the two inputs, the first input's select node, in1, low1, the
    two global convolution nodes, the global fully connected node, fusion, ...) puts the fusion node ninth, as
    colorize.lua reads it in the trained file; the global network's four convolutions (the paper's) are two nodes
    here so that it does."""
    low1 = nn.Sequential()
    low1.add(nn.SpatialConvolution(1, C, 3, 3, 2, 2, 1, 1)).add(nn.ReLU(True))
    low1.add(nn.SpatialConvolution(C, 2 * C, 3, 3, 2, 2, 1, 1)).add(nn.ReLU(True))
    low1.add(nn.SpatialConvolution(2 * C, 2 * C, 3, 3, 2, 2, 1, 1)).add(nn.ReLU(True))
    low2 = low1.clone('weight', 'bias', 'gradWeight', 'gradBias')
    mid = nn.Sequential().add(nn.SpatialConvolution(2 * C, 2 * C, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    gconv1 = nn.Sequential()
    gconv1.add(nn.SpatialConvolution(2 * C, 2 * C, 3, 3, 2, 2, 1, 1)).add(nn.ReLU(True))    # 28 -> 14
    gconv2 = nn.Sequential()
    gconv2.add(nn.SpatialConvolution(2 * C, 2 * C, 3, 3, 2, 2, 1, 1)).add(nn.ReLU(True))    # 14 -> 7
    gfc = nn.Sequential().add(nn.View(2 * C * 7 * 7).setNumInputDims(3))
    gfc.add(nn.Linear(2 * C * 7 * 7, 8)).add(nn.ReLU(True)).add(nn.Linear(8, G)).add(nn.ReLU(True))
    fusion = nn.Sequential().add(nn.Linear(G, G)).add(nn.ReLU(True))
    fusion.add(nn.Replicate(1, 2)).add(nn.Replicate(1, 3))
    color = nn.Sequential()
    color.add(nn.SpatialConvolution(2 * C + G, 2 * C, 1, 1)).add(nn.ReLU(True))
    color.add(nn.SpatialConvolution(2 * C, C, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    color.add(nn.SpatialUpSamplingNearest(2))
    color.add(nn.SpatialConvolution(C, C, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    color.add(nn.SpatialUpSamplingNearest(2))
    color.add(nn.SpatialConvolution(C, 2, 3, 3, 1, 1, 1, 1)).add(nn.Sigmoid())

    in1 = nn.Identity()()
    in2 = nn.Identity()()
    l1 = low1(in1)
    l2 = low2(in2)
    m = mid(l2)
    f = fusion(gfc(gconv2(gconv1(l1))))
    j = nn.JoinTable(1)([f, m])
    out = color(j)
    parts = dict(low=low1, mid=mid, gconv1=gconv1, gconv2=gconv2, gfc=gfc, fusion=fusion, color=color)
    return nn.gModule([in1, in2], [out]), parts


# --- the NumPy reference --------------------------------------------------------------------------------------

def np_colornet(parts, x1, x2):
    """The network on one 224 x 224 image x1 and one full image x2 (1 x H x W arrays): 2 x H/2 x W/2."""
    mid = np_sequential(np_sequential(x2, parts['low']), parts['mid'])
    glob = np_sequential(x1, parts['low'])
    for name in ('gconv1', 'gconv2', 'gfc'):
        glob = np_sequential(glob, parts[name])
    fused = np_sequential(glob, nn.Sequential().add(parts['fusion'].get(0)).add(parts['fusion'].get(1)))
    fused = np.broadcast_to(fused[:, None, None], (G,) + mid.shape[1:])
    return np_sequential(np.concatenate([fused, mid]), parts['color'])


def np_enlarge(x, height, width):
    """image.c's bilinear scaling to a larger size (corners aligned): rows, then columns."""
    def along(a, n, axis):
        src = a.shape[axis]
        pos = np.arange(n) * (src - 1) / (n - 1)
        lo = np.minimum(np.floor(pos).astype(int), src - 2)
        frac = pos - lo
        shape = [1] * a.ndim
        shape[axis] = n
        frac = frac.reshape(shape)
        return (1 - frac) * np.take(a, lo, axis=axis) + frac * np.take(a, lo + 1, axis=axis)
    return along(along(x, width, 2), height, 1)


def np_yuv2rgb(y, u, v):
    return np.stack([y + 1.13983 * v, y - 0.39465 * u - 0.58060 * v, y + 2.03211 * u])


def np_rgb2lab(rgb):
    """sRGB in [0, 1] -> CIE Lab (D65), as image.c's rgb2lab: sRGB gamma, XYZ, the CIE cube root."""
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((np.maximum(rgb, 0.04045) + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                  [0.019334, 0.119193, 0.950227]])
    xyz = np.einsum('ij,jhw->ihw', m, lin) / np.array([0.950456, 1.0, 1.088754])[:, None, None]
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(np.maximum(xyz, eps)), (kappa * xyz + 16) / 116)
    return np.stack([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def np_lab2rgb(lab):
    eps, kappa = 216 / 24389, 24389 / 27
    fy = (lab[0] + 16) / 116
    fx, fz = fy + lab[1] / 500, fy - lab[2] / 200
    x = np.where(fx ** 3 > eps, fx ** 3, (116 * fx - 16) / kappa) * 0.950456
    y = np.where(lab[0] > kappa * eps, fy ** 3, lab[0] / kappa)
    z = np.where(fz ** 3 > eps, fz ** 3, (116 * fz - 16) / kappa) * 1.088754
    m = np.array([[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560],
                  [0.0556434, -0.2040259, 1.0572252]])
    lin = np.einsum('ij,jhw->ihw', m, np.stack([x, y, z]))
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.maximum(lin, 0.0031308) ** (1 / 2.4) - 0.055)


def np_rgb2yuv(rgb):
    m = np.array([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]])
    return np.einsum('ij,jhw->ihw', m, rgb)


def np_colorize(parts, mean, grey):
    """colorize.lua's result for a 1 x H x W greyscale image in [0, 1], in NumPy (float64)."""
    h, w = grey.shape[1:]
    x2 = np_enlarge(grey, 8 * int(np.floor(h / 8 + 0.5)), 8 * int(np.floor(w / 8 + 0.5))) - mean
    x1 = np_enlarge(x2, 224, 224)
    ab = np_colornet(parts, x1, x2) * 2 - 1
    lab = np_enlarge(np.concatenate([ab[:1], ab]), h, w) * 100
    lab[0] = np_rgb2lab(np_yuv2rgb(grey[0], grey[0], grey[0]))[0]
    yuv = np_rgb2yuv(np_lab2rgb(lab))
    return np_yuv2rgb(grey[0], yuv[1], yuv[2])


# --- the tests --------------------------------------------------------------------------------------------------

def saved_colornet(path, mean=0.45):
    lg.manualSeed(3)
    model, parts = colornet()
    for m in model.modules:
        # positive biases keep the small random network's ReLUs alive
        if getattr(m, 'bias', None) is not None:
            m.bias.uniform(0.0, 0.2)
    # and a wider last layer spreads the predicted chrominance over the sigmoid's range
    parts['color'].get(8).weight.mul(10)
    lg.save_lua(str(path), {'mean': mean, 'model': model})
    return parts


def test_forwardnodes_9_of_the_torch7_file_is_legonns_forwardnodes_5(tmp_path):
    """docs/porting.md: Torch7's forwardnodes of a gModule of two inputs begin with innode, the split node and the
    first input's select node (gmodule.lua:89-103, node.lua:56's split); legonn's hold the module nodes only."""
    saved_colornet(tmp_path / 'colornet.t7')
    raw = lg.load_lua(str(tmp_path / 'colornet.t7'), convert=False)['model']['forwardnodes']
    # the file as Torch7 reads it: innode (input), the split (nSplitOutputs 2), a select node (selectindex 1)
    assert 'input' in raw[0]['data'] and raw[1]['data']['nSplitOutputs'] == 2 and raw[2]['data']['selectindex'] == 1
    assert raw[8]['data']['module'].typename == 'nn.Sequential'
    assert [m.typename for m in raw[8]['data']['module']['modules']] == [
        'nn.Linear', 'nn.ReLU', 'nn.Replicate', 'nn.Replicate']
    model = lg.load(str(tmp_path / 'colornet.t7'))['model']
    fusion = model.forwardnodes[5].data.module
    assert [lg.typename(m) for m in fusion.modules] == ['nn.Linear', 'nn.ReLU', 'nn.Replicate', 'nn.Replicate']
    assert lg.typename(model.forwardnodes[7].data.module) == 'nn.Sequential'    # Lua's index less 2: another node
    assert model.forwardnodes[7].data.module is not fusion
    # the two low-level networks still share their weights after the round trip through the Torch7 file
    assert model.forwardnodes[1].data.module.get(0).weight.storage() is \
        model.forwardnodes[7].data.module.get(0).weight.storage()


@pytest.mark.parametrize('rgb', [False, True])
def test_colorize_matches_numpy(tmp_path, monkeypatch, rgb):
    monkeypatch.chdir(tmp_path)
    parts = saved_colornet(tmp_path / 'colornet.t7')
    rng = np.random.default_rng(0)
    # 36 x 44: round(36 / 8) = round(4.5) = 5 and round(44 / 8) = 6, halves rounded up as torch.round
    if rgb:
        picture = lg.from_numpy(rng.random((3, 36, 44)).astype(np.float32))
    else:
        picture = lg.from_numpy(rng.random((1, 36, 44)).astype(np.float32))
    image.save('in.png', picture)
    grey = image.load('in.png')
    if rgb:
        grey = image.rgb2y(grey)
    colorize.main(['in.png'])       # out.png and colornet.t7, the script's defaults
    out = image.load('out.png')
    assert tuple(out.size()) == (3, 36, 44)
    expected = np.clip(np_colorize(parts, 0.45, grey.array.astype(np.float64)), 0, 1)
    # a PNG holds 8 bits: within one step of the NumPy values everywhere
    assert np.abs(out.array - expected).max() <= 1.01 / 255
    # the colours came from the network: the image is not grey
    assert np.abs(out.array[0] - out.array[2]).max() > 0.05


def test_colour_conversions_match_numpy():
    """pred2rgb's chain in floats, before the PNG's 8 bits: yuv2rgb, rgb2lab, lab2rgb and rgb2yuv as image.c."""
    rng = np.random.default_rng(4)
    yuv = lg.from_numpy(np.stack([rng.random((6, 7)), rng.uniform(-0.3, 0.3, (6, 7)),
                                  rng.uniform(-0.3, 0.3, (6, 7))]))
    rgb = image.yuv2rgb(yuv)
    assert np.allclose(rgb.array, np_yuv2rgb(*yuv.array), atol=1e-12)
    rgb01 = lg.from_numpy(rng.random((3, 6, 7)))
    lab = image.rgb2lab(rgb01)
    assert np.allclose(lab.array, np_rgb2lab(rgb01.array), atol=1e-9)
    # the round trip: image.c's XYZ matrices (rgb2lab's 0.412453 ..., lab2rgb's 3.2404542 ..., image.c:1488 and
    # 1555) are not each other's exact inverses, so Torch7 comes back within 1e-3, not to rounding
    back = image.lab2rgb(lab).array
    assert np.allclose(back, rgb01.array, atol=1e-3) and not np.allclose(back, rgb01.array, atol=1e-6)
    lab.array[1:] += rng.uniform(-20, 20, (2, 6, 7))                          # predicted a and b
    assert np.allclose(image.lab2rgb(lab).array, np_lab2rgb(lab.array), atol=1e-9)
    assert np.allclose(image.rgb2yuv(rgb01).array, np_rgb2yuv(rgb01.array), atol=1e-12)


def test_colorize_writes_where_it_is_told(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    saved_colornet(tmp_path / 'net.t7', mean=0.0)
    image.save('grey.png', lg.rand(1, 16, 24))
    colorize.main(['grey.png', 'colour.png', 'net.t7'])
    assert tuple(image.load('colour.png').size()) == (3, 16, 24)
    with pytest.raises(FileNotFoundError):
        colorize.main(['missing.png', 'x.png', 'net.t7'])
