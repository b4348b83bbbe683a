"""Tests of the rtqichen/style-swap port (tests/porting/style_swap/: the style-swap autoencoder, MaxCoord, the
perceptual criterion and its Gram-matrix and patch losses, style-swap.lua's optimisation and decoder paths,
train-vgg-decoder.lua's training).

Stand-ins: loadcaffe's VGG-19 (a download) is ``tiny_vgg19``: the 46 modules of loadcaffe's VGG-19 with their
Caffe names (16 padded 3x3 convolutions, ReLUs, 5 max-poolings, then the classifier style-swap.lua removes) with
4 to 8 planes and random weights; images are small random tensors saved as PNG in tmp_path;
ImageLoaderAsync's batches come from ``RandomBatches``. train-vgg-decoder.lua is CUDA-only, so its test is marked
gpu (the CuPy simulator runs it without a GPU).
"""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.checks import assert_jacobian
from tests.porting.style_swap import style_swap as style_swap_lua
from tests.porting.style_swap import train_vgg_decoder
from tests.porting.style_swap.ArtisticStyleLossCriterion import ArtisticStyleLossCriterion
from tests.porting.style_swap.helpers import preprocess as preprocess_lua
from tests.porting.style_swap.helpers import utils as utils_lua
from tests.porting.style_swap.ImageLoader import ImageLoader
from tests.porting.style_swap.InstanceNormalization import InstanceNormalization
from tests.porting.style_swap.MaxCoord import MaxCoord
from tests.porting.style_swap.NonparametricPatchAutoencoderFactory import NonparametricPatchAutoencoderFactory
from tests.porting.style_swap.StyleGramMatrixLossModule import StyleGramMatrixLossModule
from tests.porting.style_swap.StylePatchLossModule import StylePatchLossModule
from tests.porting.style_swap.TVLossModule import TVLossModule


def tiny_vgg19():
    """loadcaffe.load's VGG-19 layout (46 modules, Caffe names) with few planes; fc6 takes 8 features."""
    vgg = nn.Sequential()
    planes = {1: 4, 2: 6, 3: 8, 4: 8, 5: 8}
    nIn = 3
    for block, count in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4)):
        for k in range(1, count + 1):
            conv = nn.SpatialConvolution(nIn, planes[block], 3, 3, 1, 1, 1, 1)
            conv.name = 'conv%d_%d' % (block, k)
            relu = nn.ReLU(True)
            relu.name = 'relu%d_%d' % (block, k)
            vgg.add(conv).add(relu)
            nIn = planes[block]
        pool = nn.SpatialMaxPooling(2, 2, 2, 2, 0, 0).ceil()
        pool.name = 'pool%d' % block
        vgg.add(pool)
    for module, name in ((nn.View(-1), 'torch_view'), (nn.Linear(8, 8), 'fc6'), (nn.ReLU(True), 'relu6'),
                         (nn.Dropout(0.5), 'drop6'), (nn.Linear(8, 8), 'fc7'), (nn.ReLU(True), 'relu7'),
                         (nn.Dropout(0.5), 'drop7'), (nn.Linear(8, 4), 'fc8'), (nn.SoftMax(), 'prob')):
        module.name = name
        vgg.add(module)
    assert len(vgg) == 46 and vgg.get(37).name == 'torch_view'
    return vgg


class RandomBatches:
    """ImageLoaderAsync's ``nextBatch()``: a batchSize x 3 x H x W FloatTensor of images in [0, 1]."""

    def __init__(self, batchSize, size):
        self.batchSize, self.size = batchSize, size

    def nextBatch(self):
        return lg.rand(self.batchSize, 3, self.size, self.size)


def swap_net(style_latent, patch_size=3, stride=1, normalize=False, interpolate=True):
    """style-swap.lua's ``swap``: the factory's encoder, MaxCoord, its decoder."""
    enc, dec = NonparametricPatchAutoencoderFactory.buildAutoencoder(style_latent, patch_size, stride, False,
                                                                     normalize, interpolate)
    swap = nn.Sequential().add(enc).add(MaxCoord()).add(dec)
    swap.evaluate()
    return swap


# --- lib/NonparametricPatchAutoencoderFactory.lua, lib/MaxCoord.lua -----------------------------------------------

def test_extract_patches_are_the_unfolded_windows_in_raster_order():
    lg.manualSeed(0)
    img = lg.rand(2, 5, 4)
    patches = NonparametricPatchAutoencoderFactory._extract_patches(img, 3, 1, False)
    assert tuple(patches.size()) == (3 * 2, 2, 3, 3)
    for y in range(3):
        for x in range(2):
            assert lg.equal(patches[y * 2 + x], img[:, y:y + 3, x:x + 3])


@pytest.mark.parametrize('stride', [1, 2])
def test_swapping_an_image_with_itself_reconstructs_it(stride):
    """Each patch's best match is itself (the encoder's cross-correlation with unit-norm patches is largest at the
    patch itself), and the interpolating decoder averages the overlapping copies back into the image."""
    lg.manualSeed(1)
    latent = lg.rand(4, 7, 7).add(0.1)
    out = swap_net(latent, 3, stride).forward(latent)
    assert (out - latent).abs().max() < 1e-5


def test_swap_output_is_made_of_style_patches():
    """With a 1x1 patch every output pixel is the style pixel whose direction is closest to the content pixel's
    (the encoder's filters are L2-normalised), computed here by brute force."""
    lg.manualSeed(2)
    style, content = lg.rand(3, 4, 5).double(), lg.rand(3, 6, 3).double()
    out = swap_net(style, 1, 1).double().forward(content)
    sp = style.view(3, -1)
    spn = sp / sp.norm(2, 0).expandAs(sp)
    for y in range(6):
        for x in range(3):
            scores = content[:, y, x].view(1, 3) @ spn
            best = int(lg.max(scores.view(-1), 0)[1][0])
            assert (out[:, y, x] - sp[:, best]).abs().max() < 1e-12


def test_normalized_encoder_divides_by_the_input_patch_norm():
    lg.manualSeed(3)
    style, content = lg.rand(2, 4, 4).double(), lg.rand(2, 5, 5).double()
    enc, _ = NonparametricPatchAutoencoderFactory.buildAutoencoder(style, 3, 1, False, True, False)
    plain, _ = NonparametricPatchAutoencoderFactory.buildAutoencoder(style, 3, 1, False, False, False)
    enc.double(), plain.double()
    got = enc.forward(content)
    expected = plain.forward(content).clone()
    for y in range(3):
        for x in range(3):
            expected[:, y, x].div(content[:, y:y + 3, x:x + 3].norm())
    assert (got - expected).abs().max() < 1e-12


def test_fixed_convolutions_have_no_parameters_and_convert():
    """``conv.parameters = __nop__`` on one object: the swap net has nothing to train; it converts to double and
    back (its gradWeight fields are nil) and its gradient flows to the input through the decoder."""
    lg.manualSeed(4)
    swap = swap_net(lg.rand(3, 4, 4), 2, 1, True, True)
    assert swap.parameters() == ([], [])
    swap.double()
    x = lg.rand(3, 5, 5).double()
    swap.forward(x)
    assert swap.backward(x, lg.ones(3, 5, 5).double()).size() == x.size()
    swap.clearState()  # as style-swap.lua after each swap: the convolutions' scratch buffers hold no values
    assert swap.float().forward(x.float()).type() == 'torch.FloatTensor'


@pytest.mark.parametrize('batched', [False, True])
def test_max_coord_is_one_hot_over_channels(batched):
    lg.manualSeed(5)
    x = lg.randn(2, 5, 3, 4) if batched else lg.randn(5, 3, 4)
    m = MaxCoord()
    out = m.forward(x)
    x4, out4 = (x, out) if batched else (x.view(1, 5, 3, 4), out.view(1, 5, 3, 4))
    assert out.size() == x.size()
    assert lg.equal(out4.sum(1), lg.ones(x4.size(0), 1, 3, 4))
    assert lg.equal(out4.cmul(x4).sum(1), lg.max(x4, 1)[0])


def test_max_coord_gradient_is_zero_as_its_finite_differences():
    """MaxCoord's output is piecewise constant: the Lua's zero gradInput is its derivative (away from ties)."""
    lg.manualSeed(6)
    m = MaxCoord().double()
    assert_jacobian(m, lg.randn(4, 3, 3).double())


def test_max_coord_keeps_the_module_type():
    m = MaxCoord().double()
    assert m.forward(lg.randn(3, 2, 2).double()).type() == 'torch.DoubleTensor'


# --- lib/TVLossModule.lua, lib/InstanceNormalization.lua -----------------------------------------------------------

def test_tv_loss_module_records_the_unscaled_loss_and_scales_its_gradient():
    lg.manualSeed(7)
    x = lg.rand(3, 4, 5).double()
    m = TVLossModule(0.5).double()
    assert m.forward(x) is x
    d = x.numpy()
    tv = ((d[:, :, 1:] - d[:, :, :-1]) ** 2).sum() + ((d[:, 1:, :] - d[:, :-1, :]) ** 2).sum()
    assert math.isclose(m.loss, tv, rel_tol=1e-12)
    g = m.backward(x, lg.zeros(3, 4, 5).double())
    eps, i = 1e-6, (1, 2, 3)
    up, down = x.clone(), x.clone()
    up[i] = up[i] + eps
    down[i] = down[i] - eps
    numeric = (m.crit.forward(up) - m.crit.forward(down)) / (2 * eps)
    assert math.isclose(float(g[i]), 0.5 * numeric, rel_tol=1e-6)


@pytest.mark.parametrize('shape', [(3, 4, 5), (2, 3, 4, 5)])
def test_instance_normalization(shape):
    lg.manualSeed(8)
    m = InstanceNormalization(3).double()
    m.weight.uniform(0.5, 1.5), m.bias.uniform(-1, 1)
    x = lg.randn(*shape).double()
    out = m.forward(x).clone()
    x4 = x.view(-1, 3, 4 * 5).numpy()
    mean, std = x4.mean(2, keepdims=True), x4.std(2, keepdims=True)
    expected = (x4 - mean) / (std ** 2 + 1e-5) ** 0.5 * m.weight.numpy()[None, :, None] + m.bias.numpy()[None, :, None]
    assert abs(out.view(-1, 3, 20).numpy() - expected).max() < 1e-10
    assert_jacobian(m, x)


# --- helpers/ ---------------------------------------------------------------------------------------------------------

def test_preprocess_deprocess_round_trip_and_preprocess_conv():
    lg.manualSeed(9)
    img = lg.rand(3, 4, 4)
    pre = preprocess_lua.preprocess(img.clone())
    assert (pre[0] - (img[2] * 255 - 103.939)).abs().max() < 1e-3
    assert (preprocess_lua.deprocess(pre) - img).abs().max() < 1e-5
    assert (utils_lua.getPreprocessConv().forward(img) - pre).abs().max() < 1e-3


def test_utils_convs_and_interpolations():
    lg.manualSeed(10)
    img = lg.rand(3, 5, 5)
    assert (utils_lua.getIdentityConv().forward(img) - img).abs().max() < 1e-6
    assert (utils_lua.getTVDenoisingConv(0).forward(img) - img).abs().max() < 1e-6
    inputs = lg.rand(3, 2, 2, 2)
    aug = utils_lua.augmentWithInterpolations(inputs)
    assert aug.size(0) == 6 and lg.equal(aug[0:3], inputs)
    assert (aug[3] - (inputs[0] + inputs[1]) / 2).abs().max() < 1e-6
    assert (aug[5] - (inputs[1] + inputs[2]) / 2).abs().max() < 1e-6
    lg.manualSeed(11)
    cropped = preprocess_lua.setDivBy(lg.rand(3, 10, 9), 4)
    assert tuple(cropped.size()) == (3, 8, 8)


def test_image_loader(tmp_path):
    lg.manualSeed(12)
    for name, size in (('a.png', (3, 9, 12)), ('b.jpg', (3, 6, 6))):
        image.save(str(tmp_path / name), lg.rand(*size))
    (tmp_path / 'notes.txt').write_text('not an image')
    loader = ImageLoader(str(tmp_path))
    assert sorted(loader.files) == ['a.png', 'b.jpg']
    loader.setMaximumSize(8)
    loader.setDivisibleBy(4)
    seen = {}
    for _ in range(2):
        img, name = loader.next()
        seen[name] = tuple(img.size())
    assert seen == {'a.png': (3, 4, 8), 'b.jpg': (3, 4, 4)}


# --- lib/ArtisticStyleLossCriterion.lua -----------------------------------------------------------------------------

def test_criterion_is_the_content_mse_of_the_cut_vgg():
    lg.manualSeed(13)
    crit = ArtisticStyleLossCriterion(tiny_vgg19(), {'content': ['relu2_1']}, False, {'content': 1})
    crit.net.float()
    names = [getattr(m, 'name', None) for m in crit.net.modules]
    assert names[-2] == 'relu2_1' and lg.type(crit.net.modules[-1]) == 'nn.ContentLossModule'
    target, x = lg.rand(3, 8, 8), lg.rand(3, 8, 8)
    crit.setTargets({'content': target})
    loss = crit.forward(x)
    feats = crit.net.modules[-1]
    tf = nn.Sequential()
    for m in crit.net.modules[:-1]:
        tf.add(m)
    expected = float((tf.forward(x).clone() - tf.forward(target)).pow(2).mean())
    assert math.isclose(loss, expected, rel_tol=1e-4)
    crit.forward(x)
    g = crit.backward(x)
    assert g.size() == x.size() and feats.target is not None


# --- style-swap.lua ---------------------------------------------------------------------------------------------------

def script_files(tmp_path):
    lg.manualSeed(14)
    image.save(str(tmp_path / 'style.png'), lg.rand(3, 16, 16))
    image.save(str(tmp_path / 'content.png'), lg.rand(3, 18, 21))
    return str(tmp_path / 'style.png'), str(tmp_path / 'content.png')


def test_style_swap_script_optimises_towards_the_swapped_features(tmp_path):
    style, content = script_files(tmp_path)
    opt = dict(style_swap_lua.DEFAULTS, style=style, content=content, cpu=True, save=str(tmp_path / 'out'),
               optimIter=25, printEvery=5, layer='relu2_1', saveLoss=True)
    x, losses = style_swap_lua.main(opt, tiny_vgg19())
    # the image is cropped to the latent's size times 2^(block - 1), optimised by Adam: the loss falls
    assert tuple(x.size()) == (3, 18, 20)
    curve = losses[0]
    assert curve.size(0) == 25 and float(curve[24]) < 0.5 * float(curve[0])
    assert (tmp_path / 'out' / 'content_stylized.png').exists()
    saved = lg.load(str(tmp_path / 'out' / 'loss.t7'))
    assert lg.equal(saved[0], curve)


def test_style_swap_script_with_a_decoder_and_a_content_batch(tmp_path):
    style, content = script_files(tmp_path)
    batch = tmp_path / 'batch'
    batch.mkdir()
    for k in range(2):
        image.save(str(batch / ('c%d.png' % k)), lg.rand(3, 12, 12))
    dec = nn.Sequential().add(nn.SpatialUpSamplingNearest(2)).add(nn.SpatialConvolution(6, 3, 3, 3, 1, 1, 1, 1))
    lg.save(str(tmp_path / 'dec.t7'), dec.float())
    opt = dict(style_swap_lua.DEFAULTS, style=style, contentBatch=str(batch), cpu=True, save=str(tmp_path / 'out'),
               decoder=str(tmp_path / 'dec.t7'), layer='relu2_1', saveLoss=True)
    x, losses = style_swap_lua.main(opt, tiny_vgg19())
    assert tuple(x.size()) == (3, 12, 12)
    assert len(losses) == 2 and all(loss.size(0) == 1 and float(loss[0]) > 0 for loss in losses)
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['c0_stylized.png', 'c1_stylized.png',
                                                                    'loss.t7']


@pytest.mark.gpu
def test_style_swap_script_on_the_gpu(tmp_path):
    """Without ``-cpu``: cudnn.convert and ``:cuda()``; MaxCoord's CPU max over a FloatTensor copy and its
    output converted back to the module's CudaTensor type."""
    style, content = script_files(tmp_path)
    opt = dict(style_swap_lua.DEFAULTS, style=style, content=content, save=str(tmp_path / 'out'), optimIter=25,
               printEvery=25, layer='relu2_1', saveLoss=True)
    x, losses = style_swap_lua.main(opt, tiny_vgg19())
    assert x.type() == 'torch.CudaTensor' and tuple(x.size()) == (3, 18, 20)
    assert float(losses[0][24]) < 0.5 * float(losses[0][0])


def test_style_swap_script_checks_its_options(tmp_path):
    with pytest.raises(RuntimeError, match='--style must be provided'):
        style_swap_lua.main(dict(style_swap_lua.DEFAULTS), tiny_vgg19())
    with pytest.raises(RuntimeError, match='does not exist'):
        style_swap_lua.main(dict(style_swap_lua.DEFAULTS, style=str(tmp_path / 'x.png'), content='y'),
                            tiny_vgg19())


# --- train-vgg-decoder.lua --------------------------------------------------------------------------------------------

@pytest.mark.gpu
def test_train_vgg_decoder_reconstruction_loss_falls(tmp_path):
    lg.manualSeed(15)
    opt = dict(train_vgg_decoder.DEFAULTS, save=str(tmp_path / 'vgginv'), targetLayer='relu2_1', numSamples=2,
               imageSize=8, maxIter=40, printEvery=10, saveEvery=40, patchSize=3, learningRate=1e-2)
    enc, dec = train_vgg_decoder.build(opt, tiny_vgg19())
    # the encoder reversed (cudnn.convert makes the convolutions, batch normalisations and ReLUs cudnn's),
    # without the last batch normalisation and activation (``dec:remove()`` twice)
    types = [lg.type(m) for m in dec.modules]
    assert types == ['cudnn.SpatialConvolution', 'cudnn.SpatialBatchNormalization', 'cudnn.ReLU',
                     'nn.SpatialUpSamplingNearest', 'cudnn.SpatialConvolution', 'cudnn.SpatialBatchNormalization',
                     'cudnn.ReLU', 'cudnn.SpatialConvolution']
    assert [dec.get(i).nOutputPlane for i in (0, 4, 7)] == [4, 4, 3]
    losses = train_vgg_decoder.train(opt, enc, dec, RandomBatches(2, 8), RandomBatches(2, 8))
    assert len(losses) == 40 and all(math.isfinite(v) for v in losses)
    assert sum(losses[-5:]) < 0.5 * sum(losses[:5])
    assert (tmp_path / 'vgginv' / 'dec-000040.t7').exists() and (tmp_path / 'vgginv' / 'options.t7').exists()
    saved = lg.load(str(tmp_path / 'vgginv' / 'dec-000040.t7'))
    assert saved.get(0).weight.type() == 'torch.FloatTensor'


# --- lib/StyleGramMatrixLossModule.lua --------------------------------------------------------------------------------

def gram_loss(x, t, strength):
    """strength * |G(x) - G(t)|^2 / |G(x)|^2 over N, with G(f) = f f^T / (H W) of the C x HW features."""
    N, C = x.shape[0], x.shape[1]
    vx, vt = x.reshape(N, C, -1), t.reshape(1, C, -1)
    gx = vx @ vx.transpose(0, 2, 1) / vx.shape[2]
    gt = vt @ vt.transpose(0, 2, 1) / vt.shape[2]
    return strength * ((gx - gt) ** 2).sum() / (gx ** 2).sum() / N


@pytest.mark.parametrize('batched', [False, True])
def test_gram_loss_and_its_autograd_gradient(batched):
    """The loss is the formula; the gradient torch-autograd computes (legonn.autograd here) matches central
    differences of it in float64 (normalize off); normalize divides it by its L1 norm."""
    lg.manualSeed(16)
    m = StyleGramMatrixLossModule(2.0).double()
    t = lg.randn(3, 4, 5).double()
    m.setTarget(t)
    x = lg.randn(1, 3, 4, 5).double() if batched else lg.randn(3, 4, 5).double()
    assert m.forward(x) is x
    x4 = x.numpy().reshape(1, 3, 4, 5)
    assert math.isclose(m.loss, gram_loss(x4, t.numpy(), 2.0), rel_tol=1e-12)
    go = lg.randn(*x.size()).double()
    g = m.backward(x, go).clone()
    numeric, h = np.zeros_like(x4), 1e-6
    for idx in np.ndindex(x4.shape):
        up, down = x4.copy(), x4.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (gram_loss(up, t.numpy(), 2.0) - gram_loss(down, t.numpy(), 2.0)) / (2 * h)
    assert g.size() == x.size()
    assert abs(g.numpy().reshape(x4.shape) - numeric - go.numpy().reshape(x4.shape)).max() < 1e-7
    m.clearState()  # drops dfun: the next backward makes it again
    n = StyleGramMatrixLossModule(1.0, True).double()
    n.setTarget(t)
    n.forward(x)
    gn = n.backward(x, lg.zeros(*x.size()).double())
    assert math.isclose(float(gn.abs().sum()), 1.0, rel_tol=1e-6)
    assert m.backward(x, go).size() == x.size()


def test_criterion_with_a_gram_style_layer():
    lg.manualSeed(17)
    crit = ArtisticStyleLossCriterion(tiny_vgg19(), {'gramstyle': ['relu1_1', 'relu2_1'], 'content': ['relu2_1']},
                                      False, {'gramstyle': 1, 'content': 1, 'tv': 1e-3})
    crit.net.float()
    types = [lg.type(m) for m in crit.net.modules]
    assert types[:2] == ['nn.SpatialConvolution', 'nn.TVLossModule']
    assert types.count('nn.StyleGramMatrixLossModule') == 2 and types[-1] == 'nn.ContentLossModule'
    style, content = lg.rand(3, 8, 8), lg.rand(3, 8, 8)
    crit.setTargets({'style': style, 'content': content})
    assert crit.forward(style.clone()) > 0 and crit.styleLoss < 1e-6
    x = lg.rand(3, 8, 8)
    loss = crit.forward(x)
    assert math.isclose(loss, crit.styleLoss + crit.contentLoss) and crit.styleLoss > 0
    assert crit.backward(x).size() == x.size()


# --- lib/StylePatchLossModule.lua -------------------------------------------------------------------------------------

@pytest.mark.parametrize('stride', [1, 2])
def test_patch_loss_is_the_mse_to_the_best_correlated_patches(stride):
    """The loss by brute force (each input patch against the normalised target patches, the best one's MSE); the
    closed-form gradient (its convolutions reconfigured after construction, as the Lua does) matches central
    differences in float64, the matches being fixed away from ties."""
    lg.manualSeed(18)
    m = StylePatchLossModule(2.0).double()
    t = lg.randn(3, 6, 6).double()
    m.setTarget(t, 3, stride)
    x = lg.randn(3, 7, 7).double()
    assert m.forward(x) is x
    tp = m.target_patches.numpy().reshape(-1, 27)
    tn = tp / np.linalg.norm(tp, axis=1, keepdims=True)
    xn, total = x.numpy(), 0.0
    for h in range(0, 5, stride):
        for w in range(0, 5, stride):
            p = xn[:, h:h + 3, w:w + 3].reshape(-1)
            total += ((p - tp[int(np.argmax(tn @ p))]) ** 2).mean()
    assert math.isclose(m.loss, 2.0 * total / xn.size, rel_tol=1e-12)
    go = lg.randn(3, 7, 7).double()
    g = m.backward(x, go).clone()
    numeric, flat, h = np.zeros(x.nElement()), x.view(-1), 1e-6
    for i in range(x.nElement()):
        orig = float(flat[i])
        flat[i] = orig + h
        m.forward(x)
        up = m.loss
        flat[i] = orig - h
        m.forward(x)
        down = m.loss
        flat[i] = orig
        numeric[i] = (up - down) / (2 * h)
    assert abs(g.numpy().reshape(-1) - numeric - go.numpy().reshape(-1)).max() < 1e-8


def test_criterion_with_a_patch_style_layer():
    lg.manualSeed(19)
    crit = ArtisticStyleLossCriterion(tiny_vgg19(), {'patchstyle': ['relu2_1']}, True, {'patchstyle': 1},
                                      None, False, 3, 1)
    crit.net.float()
    types = [lg.type(m) for m in crit.net.modules]
    assert types[-1] == 'nn.StylePatchLossModule' and 'nn.SpatialAveragePooling' in types
    style = lg.rand(3, 8, 8)
    crit.setTargets({'style': style})
    assert crit.forward(style.clone()) < 1e-10
    x = lg.rand(3, 8, 8)
    assert crit.forward(x) > 0 and crit.backward(x).size() == x.size()
