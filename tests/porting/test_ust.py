"""Tests of the Yijunmaverick/UniversalStyleTransfer port (tests/porting/ust/: test_wct.lua, test_wct_mask.lua,
test_wct_interpolation2.lua, test_adain.lua, lib/NonparametricPatchAutoencoderFactory.lua, lib/utils.lua).

Stand-ins: the encoders vgg_normalised_convX_1.t7 are AdaIN-style's vgg_normalised layout (tests/porting/
test_adain_style.py's ``tiny_vgg``, 4 to 16 planes, random weights) cut after reluX_1, the decoders
feature_invertor_convX_1.t7 mirror them (reflection-padded 3x3 convolutions, ReLUs, nearest upsampling where the
encoder pools), both written with lg.save where the scripts lg.load them; images are small random PNG files in
tmp_path. The WCT maths is checked against NumPy on random features.
"""
import os

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.porting.style_swap.NonparametricPatchAutoencoderFactory import \
    NonparametricPatchAutoencoderFactory as StyleSwapFactory
from tests.porting.test_adain_style import tiny_vgg
from tests.porting.ust import test_adain, test_wct, test_wct_interpolation2, test_wct_mask
from tests.porting.ust.NonparametricPatchAutoencoderFactory import NonparametricPatchAutoencoderFactory

# modules of vgg_normalised kept up to relu1_1 ... relu5_1, and their planes
CUTS = {1: 4, 2: 11, 3: 18, 4: 31, 5: 44}
PLANES = {1: 4, 2: 8, 3: 8, 4: 16, 5: 16}


def tiny_decoder(level):
    """feature_invertor_convX_1's layout with few planes: from reluX_1's planes back to an RGB image."""
    dec = nn.Sequential()
    nIn = PLANES[level]
    for block in range(level, 1, -1):
        dec.add(nn.SpatialReflectionPadding(1, 1, 1, 1)).add(nn.SpatialConvolution(nIn, PLANES[block - 1], 3, 3))
        dec.add(nn.ReLU()).add(nn.SpatialUpSamplingNearest(2))
        nIn = PLANES[block - 1]
    dec.add(nn.SpatialReflectionPadding(1, 1, 1, 1)).add(nn.SpatialConvolution(nIn, 3, 3, 3))
    return dec


@pytest.fixture(scope='module')
def models(tmp_path_factory):
    """The ten .t7 stand-ins and the command-line options naming them."""
    lg.manualSeed(0)
    folder = tmp_path_factory.mktemp('models')
    vgg = tiny_vgg()
    args = []
    for level, cut in CUTS.items():
        enc = nn.Sequential()
        for i in range(cut):
            enc.add(vgg.get(i))
        lg.save(str(folder / ('vgg_normalised_conv%d_1.t7' % level)), enc)
        lg.save(str(folder / ('feature_invertor_conv%d_1.t7' % level)), tiny_decoder(level))
        args += ['-vgg%d' % level, str(folder / ('vgg_normalised_conv%d_1.t7' % level)),
                 '-decoder%d' % level, str(folder / ('feature_invertor_conv%d_1.t7' % level))]
    return args


def write_image(path, h, w, seed):
    lg.manualSeed(seed)
    image.save(str(path), lg.rand(3, h, w))
    return str(path)


def covariance(x):
    """C x N features -> their C x C covariance (divisor N - 1), in float64 NumPy."""
    a = np.asarray(x.double().numpy())
    a = a - a.mean(1, keepdims=True)
    return a @ a.T / (a.shape[1] - 1)


def features(C, H, W, seed, scale=1.0):
    rng = np.random.RandomState(seed)
    mix = rng.randn(C, C) * scale
    return lg.Tensor((mix @ rng.randn(C, H * W) + rng.randn(C, 1)).reshape(C, H, W).astype(np.float32))


# --- the transforms against NumPy ------------------------------------------------------------------------------------

def test_feature_wct_gives_the_style_mean_and_covariance():
    """test_wct.lua's feature_wct: whitening then colouring gives the style features' mean and covariance (both
    full rank here), and equals E_s D_s^1/2 E_s' E_c D_c^-1/2 E_c' (f_c - m_c) + m_s computed with NumPy's eigh."""
    test_wct.opt = {'gpu': -1}
    content, style = features(6, 7, 8, 1), features(6, 9, 5, 2, scale=2.0)
    out = test_wct.feature_wct(content.clone(), style.clone())
    assert out.size() == (6, 7, 8)
    got = out.view(6, -1)
    s = np.asarray(style.view(6, -1).double().numpy())
    np.testing.assert_allclose(np.asarray(got.double().numpy()).mean(1), s.mean(1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(covariance(got), covariance(style.view(6, -1)), rtol=2e-3, atol=2e-3)

    c = np.asarray(content.view(6, -1).double().numpy())
    cc = c - c.mean(1, keepdims=True)
    ec, vc = np.linalg.eigh(cc @ cc.T / (cc.shape[1] - 1))
    es, vs = np.linalg.eigh(covariance(style.view(6, -1)))
    expected = vs @ np.diag(np.sqrt(es)) @ vs.T @ vc @ np.diag(ec ** -0.5) @ vc.T @ cc + s.mean(1, keepdims=True)
    np.testing.assert_allclose(np.asarray(got.double().numpy()), expected, rtol=2e-3, atol=2e-3)


def test_feature_wct_keeps_only_the_eigenvalues_over_1e_5():
    """A content of rank 3 in 6 channels: k_c stops at the first eigenvalue under 1e-5, so the whitened features have
    the identity covariance on a 3-dimensional subspace and the output the style's covariance projected there."""
    test_wct.opt = {'gpu': -1}
    rng = np.random.RandomState(3)
    content = lg.Tensor((rng.randn(6, 3) @ rng.randn(3, 40)).reshape(6, 5, 8).astype(np.float32))
    style = features(6, 6, 6, 4)
    out = test_wct.feature_wct(content, style)
    assert np.isfinite(np.asarray(out.numpy())).all()
    got = covariance(out.view(6, -1))
    assert np.linalg.matrix_rank(got, tol=1e-3 * np.abs(got).max()) == 3


def test_interpolation2_whitening_gives_identity_covariance_up_to_its_divisor():
    """test_wct_interpolation2.lua's feature_whitening divides the covariance by H - 1 (sg[2]-1), so the whitened
    features' covariance over the H*W pixels (divisor H*W - 1) is (H - 1)/(H*W - 1) times the identity."""
    test_wct_interpolation2.opt = {'gpu': -1}
    f = features(5, 6, 7, 5)
    w = test_wct_interpolation2.feature_whitening(f)
    np.testing.assert_allclose(covariance(w), np.eye(5) * (6 - 1) / (6 * 7 - 1), atol=1e-4)
    np.testing.assert_allclose(np.asarray(w.double().numpy()).mean(1), 0, atol=1e-4)


def test_interpolation2_mixes_the_two_colourings_by_beta():
    """feature_wct(cF, sF1, sF2) is beta * colouring by sF1 + (1 - beta) * colouring by sF2; beta = 1 is sF1's."""
    test_wct_interpolation2.opt = {'gpu': -1, 'beta': 1.0}
    cF, s1, s2 = features(4, 5, 6, 6), features(4, 5, 5, 7), features(4, 6, 4, 8, scale=3.0)
    only1 = test_wct_interpolation2.feature_wct(cF, s1, s2).clone()
    test_wct_interpolation2.opt['beta'] = 0.0
    only2 = test_wct_interpolation2.feature_wct(cF, s1, s2).clone()
    test_wct_interpolation2.opt['beta'] = 0.25
    mixed = test_wct_interpolation2.feature_wct(cF, s1, s2)
    np.testing.assert_allclose(np.asarray(mixed.numpy()), 0.25 * np.asarray(only1.numpy())
                               + 0.75 * np.asarray(only2.numpy()), rtol=1e-4, atol=1e-4)
    assert mixed.size() == (4, 5, 6)


def test_mask_feature_wct_colours_each_region_by_its_style():
    """test_wct_mask.lua's feature_wct: the pixels where the (resized) mask is over 0.5 get the first style's mean,
    the others the second's; each region's covariance is its style's."""
    test_wct_mask.opt = {'gpu': -1}
    m = lg.zeros(1, 12, 12)
    m[:, :, 0:6] = 1  # left half foreground
    test_wct_mask.mask = m
    cF, s1, s2 = features(3, 6, 6, 9), features(3, 5, 5, 10), features(3, 5, 5, 11, scale=4.0)
    out = np.asarray(test_wct_mask.feature_wct(cF, s1, s2).double().numpy())
    for region, style in ((out[:, :, 0:3], s1), (out[:, :, 3:6], s2)):
        flat = region.reshape(3, -1)
        s = np.asarray(style.view(3, -1).double().numpy())
        np.testing.assert_allclose(flat.mean(1), s.mean(1), rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(covariance(lg.Tensor(flat)), covariance(style.view(3, -1)), rtol=5e-3, atol=5e-3)


def test_swap_of_a_feature_onto_itself_keeps_each_patch_then_colours():
    """test_wct.lua's feature_swap_whiten(f, f): every whitened patch's best match is itself (the encoder divides
    the style patches alone by their norms), so the swap gives back each pixel's whitened value averaged over the
    3 x 3 patches covering it, through the decoder's biases b and b': (count * w + b) / (count + b'); colouring with
    f's own covariance and mean follows. NumPy computes the same from the same seed's biases."""
    test_wct.opt = {'gpu': -1, 'patchSize': 3, 'patchStride': 1}
    C, H, W = 4, 5, 6
    f = features(C, H, W, 12)
    lg.manualSeed(7)
    out = np.asarray(test_wct.feature_swap_whiten(f.clone(), f.clone()).double().numpy())
    lg.manualSeed(7)  # the same draws: the two SpatialFullConvolutions' initial biases
    _, dec = NonparametricPatchAutoencoderFactory.buildAutoencoder(lg.zeros(C, H, W), 3, 1, False, False, True)
    b = np.asarray(dec.get(0).get(0).bias.double().numpy()).reshape(C, 1, 1)
    b1 = float(dec.get(0).get(1).get(2).bias[0])

    a = np.asarray(f.view(C, -1).double().numpy())
    m = a.mean(1, keepdims=True)
    e, v = np.linalg.eigh((a - m) @ (a - m).T / (H * W - 1))
    white = (v @ np.diag(e ** -0.5) @ v.T @ (a - m)).reshape(C, H, W)
    count = np.zeros((H, W))
    for h in range(H - 2):
        for w in range(W - 2):
            count[h:h + 3, w:w + 3] += 1
    latent = ((count * white + b) / (count + b1)).reshape(C, -1)
    expected = (v @ np.diag(e ** 0.5) @ v.T @ latent + m).reshape(C, H, W)
    np.testing.assert_allclose(out, expected, rtol=2e-3, atol=2e-3)


# --- lib/NonparametricPatchAutoencoderFactory.lua ---------------------------------------------------------------------

def test_patches_copied_one_by_one_equal_style_swaps_unfold():
    """This repo's _extract_patches (a loop of slices) gives style-swap's patches (unfold), in the same order."""
    img = lg.rand(3, 7, 9)
    for stride in (1, 2):
        mine = NonparametricPatchAutoencoderFactory._extract_patches(img, 3, stride, False)
        theirs = StyleSwapFactory._extract_patches(img, 3, stride, False)
        assert mine.size() == theirs.size()
        assert lg.equal(mine, theirs)


def test_swap_decoder_keeps_its_bias():
    """The decoder's SpatialFullConvolutions keep their bias (``--:noBias()`` in the Lua): with interpolate the swap
    of the whitened style onto itself gives each patch's mean plus the bias terms, not the patch mean alone."""
    lg.manualSeed(2)
    target = lg.rand(2, 5, 5)
    enc, dec = NonparametricPatchAutoencoderFactory.buildAutoencoder(target, 3, 1, False, False, True)
    conv_dec, aux = dec.get(0).get(0), dec.get(0).get(1).get(2)
    assert conv_dec.bias is not None and conv_dec.bias.nElement() == 2
    assert aux.bias is not None and aux.bias.nElement() == 1
    # one-hot codes through the decoder: (sum of patches over each pixel + b) / (overlap count + b')
    code = lg.zeros(9, 3, 3)
    code[4, 1, 1] = 1  # the centre patch alone
    out = dec.forward(code)
    expected = target.clone().fill(0)
    expected[:, 1:4, 1:4] = target[:, 1:4, 1:4]
    b, b1 = conv_dec.bias.view(2, 1, 1).expandAs(expected), float(aux.bias[0])
    count = lg.zeros(5, 5)
    count[1:4, 1:4] = 1
    want = (expected + b) / (count.view(1, 5, 5).expandAs(expected) + b1)
    np.testing.assert_allclose(np.asarray(out.numpy()), np.asarray(want.numpy()), rtol=1e-4, atol=1e-5)


# --- the scripts' main chunks -----------------------------------------------------------------------------------

def common(models, tmp_path):
    return models + ['-gpu', '-1', '-contentSize', '32', '-styleSize', '32', '-outputDir', str(tmp_path / 'out'),
                     '-saveExt', 'png']


def test_wct_main_writes_the_stylised_image(models, tmp_path):
    content = write_image(tmp_path / 'c.png', 30, 36, 1)
    style = write_image(tmp_path / 's.png', 20, 26, 2)
    saved = test_wct.main(common(models, tmp_path) + ['-content', content, '-style', style])
    assert [os.path.basename(p) for p in saved] == ['c_stylized_by_s_alpha_60.png']
    # the content scaled to 32 on its longer side (27 x 32), conv5_1's 2 x 2 features decoded to 32 x 32
    assert image.load(saved[0], 3, 'float').size() == (3, 32, 32)


def test_wct_swap5_and_synthesis(models, tmp_path):
    """-swap5 1 (the style swap at conv5_1) and -synthesis 1 (three rounds from noise, alpha set to 1)."""
    content = write_image(tmp_path / 'c.png', 24, 24, 3)
    style = write_image(tmp_path / 's.png', 24, 24, 4)
    # the swap needs 3 x 3 patches of the style's conv5_1 features: a 64-pixel style gives 4 x 4 of them
    saved = test_wct.main(common(models, tmp_path) + ['-content', content, '-style', style, '-swap5', '1',
                                                      '-synthesis', '1', '-styleSize', '64', '-contentSize', '48'])
    assert [os.path.basename(p) for p in saved] == ['s_iter%d_alpha_100.png' % i for i in (1, 2, 3)]
    assert test_wct.opt['alpha'] == 1.0


def test_wct_mask_main(models, tmp_path):
    content = write_image(tmp_path / 'c.png', 24, 24, 5)
    styles = write_image(tmp_path / 's1.png', 24, 24, 6) + ',' + write_image(tmp_path / 's2.png', 20, 24, 7)
    m = lg.zeros(1, 24, 24)
    m[:, 8:20, 4:16] = 1
    image.save(str(tmp_path / 'mask.png'), m)
    # a 64-pixel content: conv5_1's 4 x 4 features hold two pixels or more of each region (wct2 divides by n - 1)
    saved = test_wct_mask.main(common(models, tmp_path) + ['-content', content, '-style', styles,
                                                           '-mask', str(tmp_path / 'mask.png'), '-contentSize', '64'])
    assert [os.path.basename(p) for p in saved] == ['c_stylized_alpha_60.png']
    assert image.load(saved[0]).size() == (3, 64, 64)


def test_wct_interpolation2_main(models, tmp_path):
    content = write_image(tmp_path / 'c.png', 24, 24, 8)
    styles = write_image(tmp_path / 's1.png', 24, 24, 9) + ',' + write_image(tmp_path / 's2.png', 24, 20, 10)
    saved = test_wct_interpolation2.main(common(models, tmp_path) + ['-content', content, '-style', styles,
                                                                     '-beta', '0.3'])
    assert [os.path.basename(p) for p in saved] == ['c_stylized_interpolation_weight_30.png']


def test_adain_main(models, tmp_path):
    content = write_image(tmp_path / 'c.png', 24, 24, 11)
    style = write_image(tmp_path / 's.png', 24, 24, 12)
    saved = test_adain.main(common(models, tmp_path) + ['-content', content, '-style', style])
    assert [os.path.basename(p) for p in saved] == ['c_stylized_by_s_alpha_60_adain.png']
    assert test_adain.adain5.nOutput == PLANES[5] and test_adain.adain1.nOutput == PLANES[1]
    # conv5_1's AdaIN output handed to decoder5 carries the style's statistics (alpha mixes in the content)
    assert test_adain.csF5.size(0) == PLANES[5]


@pytest.mark.gpu
def test_wct_main_on_cuda(models, tmp_path):
    """-gpu 0: the models and images on CUDA, the SVDs on the CPU (``contentCov:float()``), the eigenvectors moved
    back with ``:cuda()``, the swap's MaxCoord over a FloatTensor copy."""
    content = write_image(tmp_path / 'c.png', 24, 24, 13)
    style = write_image(tmp_path / 's.png', 24, 24, 14)
    args = [a if a != '-1' else '0' for a in common(models, tmp_path)]
    saved = test_wct.main(args + ['-content', content, '-style', style, '-swap5', '1', '-styleSize', '64',
                                  '-contentSize', '48'])
    assert image.load(saved[0]).size() == (3, 48, 48)
