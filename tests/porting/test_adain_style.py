"""Tests of the xunhuang1995/AdaIN-style port (tests/porting/adain_style.py: lib/*.lua, train.lua's decoder,
training closure and checkpoints, test.lua's main chunk and styleTransfer).

Stand-ins: the encoder is vgg_normalised.t7's layout (53 modules: the 1x1 preprocessing convolution, then
reflection-padded 3x3 convolutions and ReLUs named conv1_1/relu1_1 ... relu5_4 with four max-poolings) with 4 to 16
planes instead of 64 to 512, random weights (the real file is a download), and the decoder is train.lua's, built from it and
saved with lg.save where test.lua loads one; images are small random tensors (PNG files in tmp_path where the
scripts read folders), MNIST digits are not needed (AdaIN's properties are statistical). train's data come from a
stand-in with ImageLoaderAsync's nextBatch, the loader itself is tested on its own. StyleINLossModule's constructor moves its nets to
CUDA (StyleINLossModule.lua:27-30) and train.lua is CUDA-only, so those tests are marked gpu (the CuPy simulator
runs them without a GPU); test.lua's ``-gpu -1`` path runs on the CPU.
"""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting import adain_style as adain_lua


def tiny_vgg():
    """vgg_normalised.t7's 53 modules with few planes: module 31 (0-based 30) is relu4_1, as test.lua expects."""
    vgg = nn.Sequential()
    conv0 = nn.SpatialConvolution(3, 3, 1, 1)
    conv0.name = 'conv0'
    vgg.add(conv0)
    planes = {1: 4, 2: 8, 3: 8, 4: 16, 5: 16}
    nIn = 3
    for block, count in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4)):
        if block > 1:
            pool = nn.SpatialMaxPooling(2, 2, 2, 2, 0, 0).ceil()
            pool.name = 'pool%d' % (block - 1)
            vgg.add(pool)
        for k in range(1, count + 1):
            pad = nn.SpatialReflectionPadding(1, 1, 1, 1)
            conv = nn.SpatialConvolution(nIn, planes[block], 3, 3)
            conv.name = 'conv%d_%d' % (block, k)
            relu = nn.ReLU()
            relu.name = 'relu%d_%d' % (block, k)
            vgg.add(pad).add(conv).add(relu)
            nIn = planes[block]
    assert len(vgg) == 53
    return vgg


def loss_gradient_error(module, input, loss_of):
    """max |backward(input, 0) - d loss / d input| by central differences, for a module whose forward is the
    identity and whose ``loss`` field holds what its backward differentiates."""
    module.forward(input)
    analytic = module.backward(input, input.clone().zero()).clone()
    flat, numeric, h = input.view(-1), analytic.view(-1).clone().zero(), 1e-6
    for i in range(input.nElement()):
        orig = float(flat[i])
        flat[i] = orig + h
        module.forward(input)
        up = loss_of(module)
        flat[i] = orig - h
        module.forward(input)
        down = loss_of(module)
        flat[i] = orig
        numeric[i] = (up - down) / (2 * h)
    return float((analytic.view(-1) - numeric).abs().max())


def channel_stats(x):
    """Per-plane mean and biased std of a C x H x W (or C x n) tensor, in NumPy."""
    a = np.asarray(x.double().contiguous().view(x.size(0), -1).numpy())
    return a.mean(1), a.std(1)


# --- AdaptiveInstanceNormalization.lua ------------------------------------------------------------------------------

@pytest.mark.parametrize('batched', [False, True])
def test_adain_output_carries_the_style_statistics(batched):
    """AdaIN's defining property: each plane of the output has the style plane's mean and (biased) std; the
    output is the content plane standardised (BatchNormalization's eps inside the root) then so scaled."""
    lg.manualSeed(1)
    shape_c, shape_s = ((2, 4, 5, 6), (2, 4, 7, 3)) if batched else ((4, 5, 6), (4, 7, 3))
    content = lg.randn(*shape_c).double()
    style = lg.randn(*shape_s).double().mul(3).add(2)
    m = adain_lua.AdaptiveInstanceNormalization(4).double()
    out = m.forward([content, style])
    # a 3-D pair gives 1 x C x H x W, as in Lua: viewAs reads the local ``content``, already its 4-D view
    assert out.size() == (content.size() if batched else (1,) + content.size())
    c = np.asarray(content.numpy()).reshape(-1, 4, 30)
    s = np.asarray(style.numpy()).reshape(-1, 4, 21)
    expected = ((c - c.mean(2, keepdims=True)) / np.sqrt(c.var(2, keepdims=True) + 1e-5)
                * s.std(2, keepdims=True) + s.mean(2, keepdims=True))
    np.testing.assert_allclose(np.asarray(out.numpy()).reshape(-1, 4, 30), expected, rtol=1e-10, atol=1e-12)
    o = np.asarray(out.numpy()).reshape(-1, 4, 30)
    np.testing.assert_allclose(o.mean(2), s.mean(2), atol=1e-12)
    np.testing.assert_allclose(o.std(2), s.std(2), rtol=1e-4)


def test_adain_disabled_and_no_backward():
    """``disabled`` hands content through; updateGradInput sets gradInput to nil (None) as the Lua's; clearState
    indexes that nil gradInput and fails in Lua too (AdaptiveInstanceNormalization.lua:79), here a TypeError."""
    content, style = lg.randn(3, 4, 4), lg.randn(3, 2, 2)
    m = adain_lua.AdaptiveInstanceNormalization(3, True)
    assert m.forward([content, style]) is content
    m = adain_lua.AdaptiveInstanceNormalization(3)
    m.forward([content, style])
    assert m.updateGradInput([content, style], content) is None
    with pytest.raises(TypeError):
        m.clearState()


# --- InstanceNormalization.lua --------------------------------------------------------------------------------------

@pytest.mark.parametrize('affine', [None, False])
def test_instance_normalization_gradients(affine):
    """Finite-difference Jacobians in float64 (input; weight and bias when affine), 3-D and 4-D inputs."""
    lg.manualSeed(2)
    for shape in ((3, 4, 5), (2, 3, 4, 5)):
        m = adain_lua.InstanceNormalization(3, None, None, affine).double()
        x = lg.randn(*shape).double()
        err = nn.Jacobian.testJacobian(m, x)
        assert err < 1e-6, err
        if affine is None:
            for p, g in zip(*m.parameters()):
                assert nn.Jacobian.testJacobianParameters(m, x, p, g) < 1e-6
        else:
            assert m.parameters() == ([], []) or not m.parameters()[0]


# --- ContentLossModule.lua, TVLossCriterion.lua, TVLossModule.lua ---------------------------------------------------

@pytest.mark.parametrize('normalize', [False, True])
def test_content_loss_module(normalize):
    """The identity forward; ``loss`` is strength times MSE to the target; backward adds strength times its
    gradient (L1-normalised when ``normalize``) to gradOutput, 3-D input against the 1 x C x H x W target."""
    lg.manualSeed(3)
    m = adain_lua.ContentLossModule(0.7, normalize, 3).double()
    target = lg.randn(3, 4, 5).double()
    m.setTarget(target)
    assert m.target.size() == (1, 3, 4, 5)
    x = lg.randn(3, 4, 5).double()
    assert m.forward(x) is x
    assert m.loss == pytest.approx(0.7 * float(((x - target) ** 2).mean()), rel=1e-12)
    if not normalize:
        assert loss_gradient_error(m, x, lambda mod: mod.loss) < 1e-7
    g = lg.randn(3, 4, 5).double()
    grad = m.backward(x, g)
    d = (x - target).mul(2.0 / x.nElement())
    if normalize:
        d.div(lg.norm(d, 1) + 1e-8)
    np.testing.assert_allclose(grad.numpy(), (d.mul(0.7) + g).numpy(), rtol=1e-10)
    m.unsetTarget()
    assert m.backward(x, g) is g


def test_tv_loss():
    """TVLossCriterion: the sum of squared horizontal and vertical neighbour differences (negative
    SpatialZeroPadding crops); TVLossModule scales it and its gradient, which matches finite differences."""
    lg.manualSeed(4)
    x = lg.randn(2, 3, 5, 6).double()
    a = np.asarray(x.numpy())
    expected = ((a[..., :, 1:] - a[..., :, :-1]) ** 2).sum() + ((a[..., 1:, :] - a[..., :-1, :]) ** 2).sum()
    crit = adain_lua.TVLossCriterion().double()
    assert crit.forward(x) == pytest.approx(expected, rel=1e-12)
    m = adain_lua.TVLossModule(0.5).double()
    assert m.forward(x) is x and m.loss == pytest.approx(0.5 * expected, rel=1e-12)
    assert loss_gradient_error(m, x, lambda mod: mod.loss) < 1e-6
    x3 = lg.randn(3, 4, 4).double()     # the 3-D branch of the target's view
    assert crit.forward(x3) > 0 and crit.backward(x3).size() == (3, 4, 4)


# --- lib/utils.lua ---------------------------------------------------------------------------------------------------

def test_preprocess_conv_makes_caffe_bgr():
    """getPreprocessConv: RGB in [0, 1] -> BGR in [0, 255] less the mean pixel; ``parameters`` replaced by a nop
    that answers nothing, so getParameters of a net holding it flattens none of its tensors."""
    conv = adain_lua.getPreprocessConv()
    x = lg.rand(3, 4, 4)
    out = conv.forward(x)
    mean_pixel = np.array([103.939, 116.779, 123.68])
    np.testing.assert_allclose(out.numpy(), 255 * np.asarray(x.numpy())[::-1] - mean_pixel[:, None, None],
                               rtol=1e-5, atol=1e-3)
    net = nn.Sequential().add(conv).add(nn.SpatialConvolution(3, 2, 1, 1))
    params, _ = net.getParameters()
    assert params.nElement() == 2 * 3 + 2


def test_coral_matches_the_formula():
    """coral(source, target): the source standardised per channel, recoloured by sqrt(Ct + I) sqrt(Cs + I)^-1 (SVD
    square roots, unbiased std as Tensor:std's default), given the target's mean and std: checked against NumPy;
    the result has the target's per-channel means."""
    lg.manualSeed(5)
    source = lg.rand(3, 6, 5)
    target = lg.rand(3, 4, 7).mul(0.5).add(0.2)
    out = adain_lua.coral(source, target)
    assert out.size() == source.size()

    def norm(a):
        a = a.reshape(3, -1).astype(np.float64)
        mu, sd = a.mean(1, keepdims=True), a.std(1, ddof=1, keepdims=True)
        return (a - mu) / sd, mu, sd

    def sqrtm(c):
        w, v = np.linalg.eigh(c)
        return v @ np.diag(np.sqrt(w)) @ v.T
    sn, _, _ = norm(np.asarray(source.numpy()))
    tn, tmu, tsd = norm(np.asarray(target.numpy()))
    expected = (sqrtm(tn @ tn.T + np.eye(3)) @ np.linalg.inv(sqrtm(sn @ sn.T + np.eye(3))) @ sn) * tsd + tmu
    np.testing.assert_allclose(np.asarray(out.numpy()).reshape(3, -1), expected, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(channel_stats(out)[0], tmu.ravel(), atol=1e-5)


def test_size_preprocess_add_dummy_and_find(tmp_path):
    """sizePreprocess's centre crop then '^n' scale (shorter side to n); add_dummy's leading 1; torch.find's
    positions of a value, 0-based here; extractImageNamesRecursive walks subfolders for image extensions."""
    x = lg.rand(3, 10, 16)
    y = adain_lua.sizePreprocess(x, True, 6)
    assert y.size() == (3, 6, 6)
    assert adain_lua.sizePreprocess(x, False, 5).size() == (3, 5, 8)
    assert adain_lua.sizePreprocess(x, False, 0) is x
    assert adain_lua.add_dummy(x).size() == (1, 3, 10, 16)
    assert adain_lua.add_dummy(x.transpose(1, 2)).size() == (1, 3, 16, 10)
    assert adain_lua.find(lg.Tensor([1, 0, 1, 1, 0]), 1) == [0, 2, 3]
    assert adain_lua.find(lg.Tensor([[1, 0], [0, 1], [1, 1]]), 1, 1) == [[0], [1], [0, 1]]
    (tmp_path / 'sub').mkdir()
    for name in ('a.jpg', 'b.txt', 'sub/c.png', 'sub/d.JPEG'):
        (tmp_path / name).write_bytes(b'')
    found = adain_lua.extractImageNamesRecursive(str(tmp_path))
    assert sorted(p[len(str(tmp_path)) + 1:] for p in found) == ['a.jpg', 'sub/c.png', 'sub/d.JPEG']


# --- ArtisticStyleLossCriterion.lua (content loss only: the style modules need CUDA) ---------------------------------

def test_criterion_net_without_style_layers():
    """With styleWeight 0 the style layers are dropped (ArtisticStyleLossCriterion.lua:21-23) and the net stops
    after the content layer; encoder convolutions lose their gradients and accumulate nothing."""
    enc, _ = adain_lua.build_encoder(tiny_vgg(), 'relu2_1')
    layers = {'content': ['relu2_1'], 'style': ['relu1_1', 'relu2_1']}
    crit = adain_lua.ArtisticStyleLossCriterion(enc, layers, {'content': 1, 'style': 0, 'tv': 1e-3})
    names = [lg.typename(m) for m in crit.net.modules]
    assert names[0] == 'nn.TVLossModule' and names[-1] == 'nn.ContentLossModule' and crit.style_layers == []
    assert len(crit.net) == 1 + len(enc) + 1
    lg.manualSeed(6)
    content = lg.rand(2, 3, 8, 8)
    crit.setContentTarget(content)
    out = lg.rand(2, 3, 8, 8)
    loss = crit.forward(out)
    assert loss == crit.contentLoss > 0
    conv = enc.get(2)
    before = conv.weight.clone()
    grad = crit.backward(out)
    assert grad.size() == out.size() and conv.gradWeight is None and lg.equal(conv.weight, before)
    assert crit.forward(content) == 0


def test_criterion_reports_a_missing_layer_only_before_the_last():
    """The Lua's error check is ``next_style_idx < #layers.style`` with next_style_idx one past the layers found:
    a missing last layer (the usual typo) goes unreported, an earlier one is reported (kept as the Lua has it)."""
    enc, _ = adain_lua.build_encoder(tiny_vgg(), 'relu2_1')
    weights = {'content': 1, 'style': 1e-2}
    crit = adain_lua.ArtisticStyleLossCriterion(enc, {'content': ['relu2_1'], 'style': ['relu9_9']}, weights)
    assert crit.style_layers == [] and len(crit.content_layers) == 1
    enc, _ = adain_lua.build_encoder(tiny_vgg(), 'relu2_1')
    with pytest.raises(RuntimeError, match='Could not find layer relu9_9'):
        adain_lua.ArtisticStyleLossCriterion(enc, {'content': ['relu2_1'], 'style': ['relu9_9', 'relu1_1']}, weights)


# --- train.lua's decoder, test.lua ----------------------------------------------------------------------------------

def test_decoder_mirrors_the_encoder():
    """train.lua:121-138: the decoder maps relu4_1 features (16 planes, 1/8 size) back to a 3-plane image of the
    input's size; the preprocessing conv's mirror and the last ReLU are removed."""
    enc, adain = adain_lua.build_encoder(tiny_vgg(), 'relu4_1')
    assert len(enc) == 31 and adain.nOutput == 16
    dec = adain_lua.build_decoder(enc, nn.ReLU)
    assert lg.typename(dec.get(len(dec) - 1)) == 'nn.SpatialConvolution' and dec.get(len(dec) - 1).nOutputPlane == 3
    assert dec.forward(enc.forward(lg.rand(2, 3, 16, 16))).size() == (2, 3, 16, 16)


@pytest.fixture
def transfer():
    lg.manualSeed(7)
    vgg, adain = adain_lua.encoder_of_test_lua(tiny_vgg())
    enc, _ = adain_lua.build_encoder(tiny_vgg(), 'relu4_1')
    decoder = adain_lua.build_decoder(enc, nn.ReLU)
    vgg.float(), adain.float(), decoder.float()
    return vgg, adain, decoder


def opts(**kw):
    opt = {'gpu': -1, 'mask': '', 'styleInterpWeights': '', 'alpha': 1}
    opt.update(kw)
    return opt


def test_style_transfer_plain_and_alpha(transfer):
    """test.lua's default path: the decoder's input has the style's relu4_1 statistics; -alpha 0.5 blends it
    with the content feature."""
    vgg, adain, decoder = transfer
    assert len(vgg) == 31 and vgg.get(30).name == 'relu4_1'
    content, style = lg.rand(3, 32, 32), lg.rand(3, 24, 40)
    out, target = adain_lua.styleTransfer(opts(), vgg, adain, decoder, content, style)
    assert out.size() == (3, 32, 32)
    sf = vgg.forward(style).clone()
    cf = vgg.forward(content).clone()
    np.testing.assert_allclose(channel_stats(target)[0], channel_stats(sf)[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(channel_stats(target)[1], channel_stats(sf)[1], rtol=2e-3, atol=1e-3)
    _, half = adain_lua.styleTransfer(opts(alpha=0.5), vgg, adain, decoder, content, style)
    np.testing.assert_allclose(half.numpy(), (0.5 * target + 0.5 * cf).numpy(), rtol=1e-5, atol=1e-5)


def test_style_interpolation(transfer):
    """-style a,b -styleInterpWeights 1,3: weights normalised to 0.25, 0.75; the target feature is that mix of
    the two AdaIN outputs."""
    vgg, adain, decoder = transfer
    weights = adain_lua.style_interp_weights('1,3')
    assert weights == pytest.approx([0.25, 0.75])
    content = lg.rand(3, 32, 32)
    styles = [adain_lua.add_dummy(lg.rand(3, 32, 32).mul(s)) for s in (0.3, 1.0)]
    styleImg = lg.cat(styles, 0)
    _, target = adain_lua.styleTransfer(opts(styleInterpWeights='1,3'), vgg, adain, decoder, content, styleImg,
                                        styleInterpWeights=weights)
    singles = [adain_lua.styleTransfer(opts(), vgg, adain, decoder, content, s[0])[1] for s in styles]
    np.testing.assert_allclose(target.numpy(), (0.25 * singles[0] + 0.75 * singles[1]).numpy(), rtol=1e-4, atol=1e-5)


def test_spatial_control_with_a_mask(transfer):
    """-mask: the mask scaled to the feature map ('simple'), foreground positions take the first style's
    statistics, background positions the second's."""
    vgg, adain, decoder = transfer
    content = lg.rand(3, 32, 32)
    styleImg = lg.cat([lg.rand(1, 3, 32, 32).mul(0.2), lg.rand(1, 3, 32, 32).add(1)], 0)
    mask = lg.zeros(1, 32, 32)
    mask[:, :, :16] = 1     # left half foreground
    _, target = adain_lua.styleTransfer(opts(mask='mask.png'), vgg, adain, decoder, content, styleImg, mask=mask)
    sf = vgg.forward(styleImg).clone()
    fg, bg = target[:, :, :2].contiguous(), target[:, :, 2:].contiguous()
    for part, s in ((fg, sf[0]), (bg, sf[1])):
        np.testing.assert_allclose(channel_stats(part)[0], channel_stats(s)[0], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(channel_stats(part)[1], channel_stats(s)[1], rtol=2e-3, atol=1e-3)


def test_preserve_color_feeds_coral_of_the_style(transfer):
    """-preserveColor: the style image is first given the content's colour statistics by coral (test.lua:191)."""
    vgg, adain, decoder = transfer
    content, style = lg.rand(3, 32, 32).mul(0.3), lg.rand(3, 32, 32)
    recoloured = adain_lua.coral(style, content)
    np.testing.assert_allclose(channel_stats(recoloured)[0], channel_stats(content)[0], atol=1e-5)
    out, _ = adain_lua.styleTransfer(opts(), vgg, adain, decoder, content, recoloured)
    assert out.size() == (3, 32, 32)


# --- StyleINLossModule.lua and train.lua: CUDA-only in the Lua --------------------------------------------------------

@pytest.mark.gpu
def test_style_in_loss_module_gradients():
    """StyleINLossModule: loss is strength times (|mean - target mean|^2 + |std - target std|^2) summed over planes,
    over N; its backward (the centring correction of StyleINLossModule.lua:115 included) matches finite differences
    in float64 (the module converted to CudaDoubleTensor after its constructor's cuda())."""
    lg.manualSeed(8)
    m = adain_lua.StyleINLossModule(0.5, False, 3).type('torch.CudaDoubleTensor')
    target = lg.randn(2, 3, 4, 5).type('torch.CudaDoubleTensor')
    m.setTarget(target)
    x = lg.randn(2, 3, 3, 4).type('torch.CudaDoubleTensor')
    m.forward(x)
    tv = target.view(2, 3, -1)
    xv = x.view(2, 3, -1)
    tm, ts = lg.mean(tv, 2), lg.std(tv, 2, True)
    xm = lg.mean(xv, 2)
    xs = ((xv - xm.expand(2, 3, 12)) ** 2).mean(2).add(1e-6).sqrt()
    expected = 0.5 * (float(((xm - tm) ** 2).sum()) + float(((xs - ts) ** 2).sum())) / 2
    assert m.loss == pytest.approx(expected, rel=1e-10)
    assert loss_gradient_error(m, x, lambda mod: mod.loss) < 1e-7


@pytest.mark.gpu
def test_style_in_loss_with_fewer_images_than_its_target_fails_as_in_lua():
    """StyleINLossModule.lua:75-77 keeps the first image's statistics when fewer inputs come than targets, as a
    C x 1 tensor: the forward's MSE pairs the elements (THNN checks the counts only), but the next size check,
    ``input:size(2) == self.target_mean:size(2)`` (line 107), compares C with 1 and fails, in Lua as here."""
    lg.manualSeed(13)
    m = adain_lua.StyleINLossModule(1, False, 3)
    m.setTarget(lg.randn(2, 3, 4, 4).cuda())
    x = lg.randn(1, 3, 4, 4).cuda()
    m.forward(x)
    assert m.target_mean.size() == (3, 1) and m.loss > 0
    with pytest.raises(AssertionError):
        m.backward(x, x.clone().zero())


def train_options(**kw):
    opt = {'maxIter': 4, 'optimizer': 'adam', 'reconStyle': False, 'learningRate': 1e-3, 'saveEvery': 2000,
           'tvWeight': 0}
    opt.update(kw)
    return opt


@pytest.mark.gpu
def test_training_checkpoints(tmp_path):
    """train.lua's maybe_save every 2 iterations: dec-000002.t7 and dec-000004.t7 hold the decoder as nn modules in
    float with the GPU decoder's weights of that iteration; history.t7 and optimState.t7 hold what training reached (the resume
    path reads #history as the iteration)."""
    lg.manualSeed(15)
    enc, adain = adain_lua.build_encoder(tiny_vgg(), 'relu2_1')
    dec = adain_lua.build_decoder(enc, nn.ReLU)
    layers = {'content': ['relu2_1'], 'style': ['relu1_1', 'relu2_1']}
    criterion = adain_lua.ArtisticStyleLossCriterion(enc, layers, {'content': 1, 'style': 1e-2})
    adain, dec = adain_lua.move_to_gpu(criterion, adain, dec)
    history, optimState = [], {'learningRate': 1e-3}
    opt = train_options(saveEvery=2, save=str(tmp_path))
    adain_lua.train(opt, criterion, adain, dec, BatchStream(1, 0), BatchStream(0.5, 0.3), history, optimState)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['dec-000002.t7', 'dec-000004.t7', 'history.t7',
                                                          'optimState.t7']
    saved = lg.load(str(tmp_path / 'dec-000004.t7'))
    assert lg.typename(saved.get(1)) == 'nn.SpatialConvolution' and lg.typename(saved.get(2)) == 'nn.ReLU'
    # saved inside feval, before optim.adam takes that iteration's step (as in Lua): one step of about lr away
    step = np.abs(saved.getParameters()[0].numpy() - dec.getParameters()[0].float().numpy())
    assert 0 < step.max() < 3e-3
    assert len(lg.load(str(tmp_path / 'history.t7'))) == 4
    assert lg.load(str(tmp_path / 'optimState.t7'))['iterCounter'] == 4


@pytest.mark.gpu
def test_training_with_a_tv_weight_reads_a_loss_the_conv_lacks():
    """train.lua:265-266 reads the TV loss as ``criterion.net:get(2).loss``, but the TVLossModule is module 1 and
    module 2 the encoder's first convolution: nil in Lua, which fails in maybe_print's string.format at the first
    print; the port fails on the read itself, an AttributeError, after the TV loss itself was computed."""
    lg.manualSeed(16)
    enc, adain = adain_lua.build_encoder(tiny_vgg(), 'relu1_1')
    dec = adain_lua.build_decoder(enc, nn.ReLU)
    layers, weights = {'content': ['relu1_1'], 'style': ['relu1_1']}, {'content': 1, 'style': 1e-2, 'tv': 1e-3}
    criterion = adain_lua.ArtisticStyleLossCriterion(enc, layers, weights)
    adain, dec = adain_lua.move_to_gpu(criterion, adain, dec)
    assert lg.typename(criterion.net.get(0)) == 'nn.TVLossModule'
    with pytest.raises(AttributeError, match='loss'):
        adain_lua.train(train_options(tvWeight=1e-3), criterion, adain, dec, BatchStream(1, 0), BatchStream(1, 0),
                        [], {'learningRate': 1e-3})
    assert criterion.net.get(0).loss > 0


class BatchStream:
    """Stands in for ImageLoaderAsync: ``nextBatch`` gives a FloatTensor batch (and names for styles)."""

    def __init__(self, scale, shift):
        self.scale, self.shift = scale, shift

    def nextBatch(self):
        return lg.rand(2, 3, 32, 32).mul(self.scale).add(self.shift), ['s1.jpg', 's2.jpg']


@pytest.mark.gpu
@pytest.mark.parametrize('reconStyle', [False, True])
def test_training_iterations(reconStyle):
    """train.lua with the default layers and weights on the tiny encoder, on the GPU (cudnn.convert keeps the
    encoder convolutions' nop accGradParameters, whose gradWeight is nil): four adam steps of the decoder, finite
    losses split into content and style parts, the decoder's weights moved, the encoder's not."""
    lg.manualSeed(9)
    enc, adain = adain_lua.build_encoder(tiny_vgg(), 'relu4_1')
    dec = adain_lua.build_decoder(enc, nn.ReLU)
    layers = {'content': ['relu4_1'], 'style': 'relu1_1,relu2_1,relu3_1,relu4_1'.split(',')}
    criterion = adain_lua.ArtisticStyleLossCriterion(enc, layers, {'content': 1, 'style': 1e-2, 'tv': 0}, False)
    assert len(criterion.style_layers) == 4 and len(criterion.content_layers) == 1
    adain, dec = adain_lua.move_to_gpu(criterion, adain, dec)
    assert lg.typename(criterion.net.get(2)) == 'cudnn.SpatialConvolution'
    enc_weight = criterion.net.get(2).weight.clone()
    dec_weights = dec.getParameters()[0].clone()
    history = []
    optimState = {'learningRate': 1e-3, 'learningRateDecay': 5e-5, 'weightDecay': 0, 'beta1': 0.9, 'momentum': 0.9}
    opt = train_options(reconStyle=reconStyle)
    adain_lua.train(opt, criterion, adain, dec, BatchStream(1, 0), BatchStream(0.5, 0.3), history, optimState)
    assert [h[0] for h in history] == [1, 2, 3, 4] and optimState['iterCounter'] == 4
    for _, loss, content, style, recon in history:
        assert np.isfinite(loss) and loss == pytest.approx(content + style + recon, rel=1e-5)
        assert content > 0 and style > 0 and (recon > 0) == reconStyle
    assert not lg.equal(dec.getParameters()[0], dec_weights)
    assert lg.equal(criterion.net.get(2).weight, enc_weight)
    # the AdaIN output the decoder learns from carries each style image's relu4_1 statistics, on the GPU too
    style, content = BatchStream(0.5, 0.3).nextBatch()[0].cuda(), BatchStream(1, 0).nextBatch()[0].cuda()
    criterion.setStyleTarget(style)
    styleLatent = criterion.net.output.clone()
    criterion.forward(style)
    assert max(m.loss for m in criterion.style_layers) < 1e-6   # the style image meets its own statistics
    criterion.setContentTarget(content)
    outputLatent = adain.forward([criterion.net.output.clone(), styleLatent])
    for n in range(2):
        got, want = channel_stats(outputLatent[n].double()), channel_stats(styleLatent[n].double())
        np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(got[1], want[1], rtol=2e-3, atol=1e-3)


def test_interpolation_weights_are_strings_in_lua():
    """docs/porting.md's row: test.lua divides the strings split from -styleInterpWeights, which Lua coerces;
    Python refuses the literal line, so the port converts them where they are split (lg.Tensor reads them as
    torch.Tensor does)."""
    strings = '1,3'.split(',')
    assert float(lg.Tensor(strings).sum()) == 4
    with pytest.raises(TypeError):
        strings[0] / 4
    assert adain_lua.style_interp_weights('2,2,4') == pytest.approx([0.25, 0.25, 0.5])


def test_find_and_add_dummy_leave_legonn_alone():
    """docs/porting.md's row: utils.lua's torch.find and torch.FloatTensor:add_dummy are the port's functions;
    legonn's namespace keeps its own find (torchx's, which utils.lua copies) and its tensor class gains nothing."""
    import legonn.tensor.functions
    assert lg.find is legonn.tensor.functions.find and adain_lua.find is not lg.find
    assert not hasattr(lg.FloatTensor, 'add_dummy')
    assert adain_lua.find(lg.Tensor([0, 1, 0]), 0) == [0, 2] == lg.find(lg.Tensor([0, 1, 0]), 0)


# --- ImageLoaderAsync.lua ---------------------------------------------------------------------------------------------

def test_image_loader_async_batches(tmp_path, reproducible_workers):
    """train.lua:162's loader over a folder tree of PNGs of several sizes: size() counts the images, each batch is
    batchSize x 3 x finalSize x finalSize FloatTensor of crops of images scaled to the shorter side ``len``, with
    their paths; over one pass of 6 images in batches of 2 (two threads), every image comes back."""
    from legonn import image
    lg.manualSeed(12)
    (tmp_path / 'sub').mkdir()
    sizes = [(20, 30), (24, 24), (40, 18), (18, 22), (30, 30), (26, 19)]
    for k, (h, w) in enumerate(sizes):
        image.save(str(tmp_path / ('sub' if k % 2 else '') / ('img%d.png' % k)), lg.rand(3, h, w))
    (tmp_path / 'notes.txt').write_text('not an image')
    loader = adain_lua.ImageLoaderAsync(str(tmp_path), 2, {'len': 20, 'H': 16, 'W': 16, 'n': 2}, True)
    try:
        assert loader.size() == 6
        seen = []
        for _ in range(6):
            batch, names = loader.nextBatch()
            assert lg.typename(batch) == 'torch.FloatTensor' and batch.size() == (2, 3, 16, 16)
            assert float(batch.min()) >= 0 and float(batch.max()) <= 1 and len(names) == 2
            seen.extend(names)
        # one thread's results make at least three of the six batches: its first six images, a whole permutation
        assert sorted(set(seen)) == sorted(str(p) for p in tmp_path.rglob('*.png'))
    finally:
        loader.threads.terminate()


# --- test.lua's main chunk -------------------------------------------------------------------------------------------

def lua_options(tmp_path, **kw):
    opt = {'style': '', 'styleDir': '', 'content': '', 'contentDir': '', 'vgg': str(tmp_path / 'vgg.t7'),
           'decoder': str(tmp_path / 'decoder.t7'), 'contentSize': 32, 'styleSize': 32, 'crop': False,
           'saveExt': 'png', 'gpu': -1, 'outputDir': str(tmp_path / 'output'), 'saveOriginal': False,
           'preserveColor': False, 'alpha': 1, 'styleInterpWeights': '', 'mask': ''}
    opt.update(kw)
    return opt


def test_test_lua_paths_write_their_images(tmp_path):
    """test.lua run on files: the encoder and decoder loaded from disk, a content folder against one style, a
    two-style interpolation, a masked pair and -preserveColor with -saveOriginal; each output is named
    ``<content>_stylized_<style>[_<style>].png`` and holds the content's (pre-processed) size."""
    from legonn import image
    lg.manualSeed(14)
    enc, _ = adain_lua.build_encoder(tiny_vgg(), 'relu4_1')
    lg.save(str(tmp_path / 'decoder.t7'), adain_lua.build_decoder(enc, nn.ReLU))
    lg.save(str(tmp_path / 'vgg.t7'), tiny_vgg())
    (tmp_path / 'content').mkdir()
    image.save(str(tmp_path / 'content' / 'c1.png'), lg.rand(3, 32, 48))
    image.save(str(tmp_path / 'content' / 'c2.png'), lg.rand(3, 40, 40))
    image.save(str(tmp_path / 'a.png'), lg.rand(3, 36, 36).mul(0.5))
    image.save(str(tmp_path / 'b.png'), lg.rand(3, 32, 32))
    mask = lg.zeros(1, 32, 48)
    mask[:, 16:] = 1
    image.save(str(tmp_path / 'mask.png'), mask)
    a, b = str(tmp_path / 'a.png'), str(tmp_path / 'b.png')
    adain_lua.main_test_lua(lua_options(tmp_path, contentDir=str(tmp_path / 'content'), style=a))
    adain_lua.main_test_lua(lua_options(tmp_path, content=str(tmp_path / 'content' / 'c1.png'),
                                             style=a + ',' + b, styleInterpWeights='1,1'))
    adain_lua.main_test_lua(lua_options(tmp_path, content=str(tmp_path / 'content' / 'c1.png'),
                                             style=b + ',' + a, mask=str(tmp_path / 'mask.png')))
    adain_lua.main_test_lua(lua_options(tmp_path, content=str(tmp_path / 'content' / 'c2.png'), style=b,
                                             preserveColor=True, saveOriginal=True, alpha=0.5))
    out = tmp_path / 'output'
    assert sorted(p.name for p in out.iterdir()) == ['b.png', 'c1_stylized_a.png', 'c1_stylized_a_b.png',
                                                     'c1_stylized_b_a.png', 'c2.png', 'c2_stylized_a.png',
                                                     'c2_stylized_b.png']
    assert image.load(str(out / 'c1_stylized_a_b.png')).size() == (3, 32, 48)
    assert image.load(str(out / 'c2_stylized_b.png')).size() == (3, 32, 32)
