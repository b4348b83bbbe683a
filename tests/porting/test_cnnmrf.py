"""chuanli11/CNNMRF run through its port, tests/porting/cnnmrf/ (its docstring lists what is ported and every
edit beyond syntax and indices).

Stand-ins: VGG-19's caffemodel is ``vgg19_standin``, a V1 Caffe net with VGG-19's 16 convolutions, ReLUs, pools and
fully-connected head under their Caffe names, 3-8 planes wide, written with tests/test_loadcaffe.py's protobuf
writer and read by legonn's loadcaffe (online-neural-doodle's test imports it); the content and style images are
small synthetic JPEGs (stripes and blobs) written under tmp_path, which the tests make the working directory as
the Lua's relative paths need. The MRF layer's gradient is checked against a NumPy computation written from the
paper's nearest-patch rule, not from the port.
"""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.porting.cnnmrf import cnnmrf, syn_CNNMRF_wrapper, transfer_CNNMRF_wrapper
from tests.porting.cnnmrf.mylib import helper
from tests.porting.cnnmrf.mylib.content import ContentLoss
from tests.porting.cnnmrf.mylib.mrf import MRFMM
from tests.porting.cnnmrf.mylib.myoptimizer import mylbfgs
from tests.porting.cnnmrf.mylib.style import StyleLoss
from tests.test_loadcaffe import conv_param, f32, msg, pool_param, v, v1_layer, write

VGG19_BLOCKS = (2, 2, 4, 4, 4)


def vgg19_standin(directory, widths=(4, 6, 8, 8, 8), fc=8, classes=5, seed=0):
    """(prototxt, caffemodel) of a VGG-19-shaped V1 net: conv{b}_{i} + relu{b}_{i}, pool{b} for the five blocks,
    then fc6 (for a 64 x 64 input: 2 x 2 after pool5), relu6, drop6, fc7, relu7, drop7, fc8, prob. Weights He-scaled
    so features keep their size through 16 layers. loadcaffe's net ends pool5, the View, the head's 8 modules: the
    doodle script's 9 ``remove()`` calls leave it ending at pool5, as VGG-19's."""
    rng = np.random.default_rng(seed)
    layers, planes = [v1_layer('data', 'DATA')], 3
    for b, (n, width) in enumerate(zip(VGG19_BLOCKS, widths), start=1):
        for i in range(1, n + 1):
            w = (rng.standard_normal((width, planes, 3, 3)) * math.sqrt(2 / (planes * 9))).astype(np.float32)
            layers += [v1_layer(f'conv{b}_{i}', 'CONVOLUTION', conv_param(10, width, 3, pad=1),
                                blobs=(w, np.full(width, 0.01, np.float32))),
                       v1_layer(f'relu{b}_{i}', 'RELU')]
            planes = width
        layers.append(v1_layer(f'pool{b}', 'POOLING', pool_param(19, 0, 2, 2)))
    for name, n_in, n_out in (('fc6', planes * 2 * 2, fc), ('fc7', fc, fc), ('fc8', fc, classes)):
        w = (rng.standard_normal((n_out, n_in)) * math.sqrt(1 / n_in)).astype(np.float32)
        layers.append(v1_layer(name, 'INNER_PRODUCT', msg(17, v(1, n_out)), blobs=(w, np.zeros(n_out, np.float32))))
        if name != 'fc8':
            layers += [v1_layer('relu' + name[2:], 'RELU'), v1_layer('drop' + name[2:], 'DROPOUT', msg(12, f32(1, 0.5)))]
    layers.append(v1_layer('prob', 'SOFTMAX'))
    directory.mkdir(parents=True, exist_ok=True)
    return write(directory, b''.join(layers))


def synthetic_photo(path, size, kind, seed):
    """A 3-plane image in [0, 1]: 'stripes' (diagonal colour bands) or 'blobs' (smooth random colour fields)."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    if kind == 'stripes':
        base = [0.5 + 0.5 * np.sin(2 * math.pi * (3 * (xx + yy) + p)) for p in (0, 0.33, 0.66)]
    else:
        base = [0.5 + 0.25 * np.sin(2 * math.pi * (rng.uniform(0.5, 2) * xx + rng.uniform(0.5, 2) * yy + rng.rand()))
                for _ in range(3)]
    image.save(str(path), lg.from_numpy(np.stack(base).astype(np.float32).clip(0, 1)))


@pytest.fixture
def cnnmrf_dir(tmp_path, monkeypatch):
    """The repository's layout under tmp_path (data/content, data/style, data/models), made the working directory."""
    (tmp_path / 'data' / 'content').mkdir(parents=True)
    (tmp_path / 'data' / 'style').mkdir(parents=True)
    synthetic_photo(tmp_path / 'data' / 'content' / 'potrait1.jpg', 40, 'blobs', 1)
    synthetic_photo(tmp_path / 'data' / 'style' / 'picasso.jpg', 40, 'stripes', 2)
    proto, model = vgg19_standin(tmp_path / 'data' / 'models')
    monkeypatch.chdir(tmp_path)
    return tmp_path, proto, model


def small_args(proto, model, *more):
    return ['-gpu', '-1', '-backend', 'nn', '-mode', 'memory', '-max_size', '48', '-num_res', '2',
            '-num_iter', '6,6', '-proto_file', proto, '-model_file', model, '-print_iter', '0', '-save_iter', '5',
            '-mrf_weight', '1e-1,1e-1', '-gpu_chunck_size_1', '8', '-gpu_chunck_size_2', '2', *more]


def test_split_and_computegrid():
    assert cnnmrf.split('12,21', ',', cnnmrf.tonumber) == [12, 21]
    assert cnnmrf.split('1e-4,2e-4', ',', cnnmrf.tonumber) == [1e-4, 2e-4]
    x, y = helper.computegrid(7, 6, 3, 2)
    assert x.tolist() == [0, 2, 4] and y.tolist() == [0, 2]
    x, y = helper.computegrid(8, 6, 3, 2, 1)   # flag_all appends the last full patch
    assert x.tolist() == [0, 2, 4, 5] and y.tolist() == [0, 2, 3]
    assert helper.computeBB(10, 8, 0) == (1, 1, 10, 8)
    x0, y0, x1, y1 = helper.computeBB(40, 40, math.pi / 24)
    # the box inside the rotated square, centred (min + max = width, floored) and smaller than it
    assert 1 < x0 < 10 and x0 + x1 in (39, 40) and y0 + y1 in (39, 40) and 1 < y0 < 10


def test_computeMRF_collects_patches_in_row_order():
    inp = lg.range(0, 2 * 4 * 5 - 1).view(2, 4, 5)
    t_feat, feat, cx, cy = helper.computeMRF(inp, 2, 2, -1, 'nn')
    a = np.asarray(inp)
    expected = [a[:, r:r + 2, c:c + 2].ravel() for r in (0, 2) for c in (0, 2)]
    np.testing.assert_array_equal(np.asarray(feat), np.stack(expected))
    t_loc, f_loc = helper.sampleMRFAndTensorfromLocation2(lg.Tensor([3, 0]), lg.Tensor([2, 1]), inp, 2)
    np.testing.assert_array_equal(np.asarray(f_loc), np.stack([a[:, 2:4, 3:5].ravel(), a[:, 1:3, 0:2].ravel()]))


def numpy_mrf_gradient(src, tgt_patches, k, sx, sy, strength):
    """-strength times the mean over covering patches of (best target patch - source patch); the best target
    patch of each source patch has the largest cross-correlation normalised by both patches' norms."""
    C, H, W = src.shape
    grad, count = np.zeros_like(src), np.full((H, W), 1e-10)
    tn = np.linalg.norm(tgt_patches, axis=1)
    for x, y in zip(sx, sy):
        p = src[:, y:y + k, x:x + k].ravel()
        best = np.argmax(tgt_patches @ p / np.linalg.norm(p) / tn)
        grad[:, y:y + k, x:x + k] += (tgt_patches[best] - p).reshape(C, k, k)
        count[y:y + k, x:x + k] += 1
    return -strength * grad / count


@pytest.mark.parametrize('chunks', [(256, 16), (2, 1)])
def test_mrfmm_gradient_pulls_patches_to_their_nearest_style_patch(chunks):
    """MRFMM's backward through THNN's convolution, chunked or not, against the nearest-patch rule in NumPy."""
    lg.manualSeed(3)
    src, tgt = lg.rand(3, 6, 5), lg.rand(3, 5, 6)
    _, tgt_mrf, _, _ = helper.computeMRF(tgt, 3, 1, -1, 'nn')
    tgt_mrf = tgt_mrf.clone()
    norm = lg.sqrt(lg.sum(lg.cmul(tgt_mrf, tgt_mrf), 1)).resize(tgt_mrf.size(0), 1, 1)
    sx, sy = lg.Tensor([0, 2, 0, 2, 1]), lg.Tensor([0, 0, 3, 3, 1])
    m = MRFMM()
    m.implement('memory', tgt_mrf, None, norm, sx, sy, src.size(), lg.LongStorage([tgt_mrf.size(0), 4, 3]), 3,
                tgt_mrf.size(0), 3, 3, 1, 1, 0, 0.5, chunks[0], chunks[1], 'nn', -1)
    assert m.forward(src).equal(src)
    g = m.backward(src, lg.zeros(3, 6, 5))
    expected = numpy_mrf_gradient(np.asarray(src, np.float64), np.asarray(tgt_mrf, np.float64), 3,
                                  [0, 2, 0, 2, 1], [0, 0, 3, 3, 1], 0.5)
    np.testing.assert_allclose(np.asarray(g), expected, rtol=1e-4, atol=1e-6)


def test_content_and_style_losses_match_their_formulas():
    lg.manualSeed(4)
    x, target = lg.randn(3, 4, 5).double(), lg.randn(3, 4, 5).double()
    c = ContentLoss(2.0, target).double()
    c.forward(x)
    assert c.loss == pytest.approx(2.0 * ((np.asarray(x) - np.asarray(target)) ** 2).mean())
    np.testing.assert_allclose(np.asarray(c.backward(x, lg.zeros(3, 4, 5).double())),
                               2.0 * 2 * (np.asarray(x) - np.asarray(target)) / x.nElement())
    f = np.asarray(x).reshape(3, -1)
    gram_target = lg.randn(3, 3).double()
    s = StyleLoss(3.0, gram_target).double()
    s.forward(x)
    assert s.loss == pytest.approx(3.0 * ((f @ f.T / 60 - np.asarray(gram_target)) ** 2).mean())

    def style_value(inp):
        s.forward(inp)
        return s.loss
    g = s.backward(x, lg.zeros(3, 4, 5).double()).clone()
    eps, i = 1e-6, (1, 2, 3)
    xp, xm = x.clone(), x.clone()
    xp[i] += eps
    xm[i] -= eps
    assert g[i] == pytest.approx((style_value(xp) - style_value(xm)) / (2 * eps), rel=1e-5)


def test_mylbfgs_with_a_mask_minimises_only_the_unmasked_coordinates():
    target = lg.DoubleTensor([1, -2, 3, 4])
    mask = lg.DoubleTensor([1, 1, 0, 1])

    def opfunc(x):
        d = x - target
        return float(d.dot(d)), d.mul(2)
    x = lg.zeros(4).double()
    x, f_hist, evals = mylbfgs(opfunc, x, {'maxIter': 20, 'nCorrection': 5, 'tolX': 0, 'tolFun': 0}, None, mask)
    np.testing.assert_allclose(np.asarray(x), [1, -2, 0, 4], atol=1e-6)
    assert f_hist[-1] == pytest.approx(9, abs=1e-6) and f_hist[0] == pytest.approx(30)


def test_transfer_lowers_the_mrf_and_content_energy_and_saves(cnnmrf_dir):
    """cnnmrf.lua -type transfer on the CPU ('memory' mode, -gpu -1): two resolutions, the MRF layers after relu3_1
    and relu4_1 and the content layer after relu4_1 (VGG-19's 12 and 21, 11 and 20 here). The optimised image
    moves away from the content image and its MRF energy (distance of each patch to its nearest style patch)
    falls; intermediate results are saved every 5 evaluations."""
    tmp_path, proto, model = cnnmrf_dir
    lg.manualSeed(0)
    content = helper.preprocess(image.scale(image.load('data/content/potrait1.jpg', 3), 48, 'bilinear')).float()
    out, losses = cnnmrf.main(small_args(proto, model))
    assert len(losses) == 2 and tuple(out.size()) == (3, 48, 48)
    assert (tmp_path / 'data/result/trans/MRF/res_1_5.jpg').exists()
    assert (tmp_path / 'data/result/trans/MRF/res_0_5.jpg').exists()
    cnn = lg.loadcaffe.load(proto, model, 'nn')
    style = helper.preprocess(image.scale(image.load('data/style/picasso.jpg', 3), 48, 'bilinear')).float()

    def mrf_energy(img):
        feats = nn.Sequential()
        for i in range(12):
            feats.add(cnn.get(i))
        f_img, f_sty = feats.forward(img).clone(), feats.forward(style).clone()
        _, p_img, _, _ = helper.computeMRF(f_img, 3, 1, -1, 'nn')
        _, p_sty, _, _ = helper.computeMRF(f_sty, 3, 1, -1, 'nn')
        a, b = np.asarray(p_img, np.float64), np.asarray(p_sty, np.float64)
        best = np.argmax(a @ b.T / np.linalg.norm(b, axis=1), axis=1)
        return ((a - b[best]) ** 2).sum()
    assert mrf_energy(out) < 0.5 * mrf_energy(content)
    assert not np.allclose(np.asarray(out), np.asarray(content))


def test_run_test_builds_its_params_and_runs_main(cnnmrf_dir, monkeypatch):
    """run_test's defaults (as the Lua's, layers 0-based) reach main; run_trans.lua's and run_syn.lua's calls are
    of this form."""
    seen = {}
    monkeypatch.setattr(transfer_CNNMRF_wrapper, 'main', lambda params: seen.update(params))
    assert transfer_CNNMRF_wrapper.run_test('potrait1', 'picasso', 'image', 32, 2, [3, 3]) == 1
    assert seen['mrf_layers'] == [11, 20] and seen['content_layers'] == [20] and seen['gpu'] == 0
    assert seen['output_folder'] == 'data/result/trans/MRF/potrait1_TO_picasso' and seen['num_iter'] == [3, 3]
    seen.clear()
    monkeypatch.setattr(syn_CNNMRF_wrapper, 'main', lambda params: seen.update(params))
    assert syn_CNNMRF_wrapper.run_test('potrait1', 'picasso', 'random', 32, 3, 2, [3, 3], None, None, None, None,
                                       None, None, None, None, None, None, 64, 4) == 1
    # run_test's own chunk sizes win over the arguments, as in the Lua
    assert seen['scaler'] == 3 and (seen['gpu_chunck_size_1'], seen['gpu_chunck_size_2']) == (32, 2)
    assert seen['output_folder'] == 'data/result/freesyn/MRF/potrait1_TO_picasso' and 'content_layers' not in seen


@pytest.mark.gpu
def test_transfer_on_the_gpu_in_speed_mode(cnnmrf_dir):
    """The Lua's defaults -gpu 0 -backend cudnn -mode speed: loadcaffe's cudnn VGG, the patches, norms and responses
    on the GPU; the MRF energy falls as on the CPU."""
    tmp_path, proto, model = cnnmrf_dir
    lg.manualSeed(0)
    args = small_args(proto, model)
    for flag, value in (('-gpu', '0'), ('-backend', 'cudnn'), ('-mode', 'speed')):
        args[args.index(flag) + 1] = value
    out, losses = cnnmrf.main(args)
    assert out.type() == 'torch.CudaTensor' and len(losses) == 2
    assert (tmp_path / 'data/result/trans/MRF/res_1_5.jpg').exists()
    content = helper.preprocess(image.scale(image.load('data/content/potrait1.jpg', 3), 48, 'bilinear')).float()
    assert float((out.float() - content).abs().mean()) > 1


def test_rotated_and_scaled_style_copies_add_target_patches(cnnmrf_dir, monkeypatch):
    """-target_num_rotation 1 -target_num_scale 1: nine rotated (computeBB's inner box) and rescaled copies of the
    style image give MRF target patches; the one MRF layer after relu3_1 holds them all."""
    tmp_path, proto, model = cnnmrf_dir
    built = []
    implement = transfer_CNNMRF_wrapper.MRFMM.implement
    monkeypatch.setattr(transfer_CNNMRF_wrapper.MRFMM, 'implement',
                        lambda self, *a: (built.append(a[1].size(0)), implement(self, *a))[1])
    lg.manualSeed(0)
    args = small_args(proto, model, '-mrf_layers', '11', '-mrf_weight', '1e-1', '-mrf_patch_size', '3',
                      '-content_layers', '11', '-target_sample_stride', '2', '-source_sample_stride', '2',
                      '-mrf_confidence_threshold', '0', '-num_res', '1', '-num_iter', '3')
    single = cnnmrf.main(args)[0]
    args += ['-target_num_rotation', '1', '-target_num_scale', '1']
    out, losses = cnnmrf.main(args)
    assert len(built) == 2 and built[1] > 5 * built[0]   # 9 copies, the rotated ones cropped
    assert tuple(out.size()) == tuple(single.size()) == (3, 48, 48) and np.isfinite(np.asarray(out)).all()


def test_unguided_synthesis_from_noise_lowers_the_mrf_energy(cnnmrf_dir):
    """cnnmrf.lua -type syn -ini_method random: syn_CNNMRF_wrapper scales the style image to max_size / scaler
    (24 pixels), synthesises a 48-pixel image from noise with one MRF layer after relu3_1 (VGG-19's 12) and no
    content layer; the result's patches come close to the style's."""
    tmp_path, proto, model = cnnmrf_dir
    lg.manualSeed(0)
    args = small_args(proto, model, '-type', 'syn', '-ini_method', 'random', '-mrf_layers', '11', '-mrf_weight', '1',
                      '-mrf_patch_size', '3', '-target_sample_stride', '1', '-source_sample_stride', '2',
                      '-mrf_confidence_threshold', '0', '-tv_weight', '1e-4', '-output_folder', 'data/result/syn')
    out, losses = cnnmrf.main(args)
    assert tuple(out.size()) == (3, 48, 48) and len(losses) == 2
    assert (tmp_path / 'data/result/syn/res_1_5.jpg').exists() and (tmp_path / 'data/result/freesyn/MRF').is_dir()
    cnn = lg.loadcaffe.load(proto, model, 'nn')
    feats = nn.Sequential()
    for i in range(12):
        feats.add(cnn.get(i))
    style = helper.preprocess(image.scale(image.load('data/style/picasso.jpg', 3), 24, 'bilinear')).float()
    _, p_sty, _, _ = helper.computeMRF(feats.forward(style).clone(), 3, 1, -1, 'nn')
    b = np.asarray(p_sty, np.float64)

    def mrf_energy(img):
        _, p_img, _, _ = helper.computeMRF(feats.forward(img).clone(), 3, 1, -1, 'nn')
        a = np.asarray(p_img, np.float64)
        best = np.argmax(a @ b.T / np.linalg.norm(b, axis=1), axis=1)
        return ((a - b[best]) ** 2).sum()
    noise = image.scale(lg.randn(3, 24, 24).mul(0.001), 48, 48, 'bilinear')
    assert mrf_energy(out) < 0.5 * mrf_energy(noise)


def test_vgg19_standin_has_vgg19s_layout(tmp_path):
    cnn = lg.loadcaffe.load(*vgg19_standin(tmp_path), 'nn')
    assert len(cnn) == 46 and cnn.get(20).name == 'relu4_1' and cnn.get(11).name == 'relu3_1'
    for _ in range(9):
        cnn.remove()
    assert cnn.get(len(cnn) - 1).name == 'pool5'
    assert tuple(cnn.forward(lg.rand(3, 32, 32)).size()) == (8, 1, 1)
