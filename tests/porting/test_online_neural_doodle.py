"""DmitryUlyanov/online-neural-doodle run through its port, tests/porting/online_neural_doodle/ (its docstring lists
what is ported and every edit beyond syntax and indices).

Stand-ins: VGG-19's caffemodel is test_cnnmrf.py's ``vgg19_standin`` (VGG-19's layers and Caffe names, 4-8 planes);
the masks' hdf5 file (generate.py's layout) holds a 32 x 32 synthetic style image (warm stripes left, cool
blobs right), its two-colour mask (left / right halves) and four training masks of random rectangles; szym/display
is a recorder module put in ``sys.modules['display']``. The masked style loss is checked against a NumPy
computation from the paper's formula and by finite differences."""
import sys
import types

import numpy as np
import pytest

import legonn as lg
from legonn import hdf5
from tests.checks import numeric_gradient
from tests.porting.online_neural_doodle import apply, feedforward_neural_doodle
from tests.porting.online_neural_doodle.src import utils
from tests.porting.online_neural_doodle.src.style_loss import GramMatrix, StyleLoss
from tests.porting.online_neural_doodle.src.utils import GenNoise, NoiseFill, add_dummy
from tests.porting.test_cnnmrf import vgg19_standin

SIZE = 32


def one_hot(labels, n):
    return np.stack([(labels == c).astype(np.float64) for c in range(n)])


def write_masks_hdf5(path, n_train=4, seed=0):
    """generate.py's file: style_img (3 x W x H in [0, 1]), style_mask (n_colors x W x H one-hot), n_train and
    train_mask_0 ... (one-hot doodles: here random axis-aligned rectangles of colour 1 on colour 0)."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    left = np.stack([0.8 + 0.2 * np.sin(12 * xx), 0.3 + 0.3 * np.sin(12 * (xx + yy)), 0.1 + 0 * xx])
    right = np.stack([0.1 + 0 * xx, 0.4 + 0.3 * np.cos(9 * yy), 0.6 + 0.4 * np.sin(7 * xx * yy)])
    labels = (xx >= 0.5).astype(int)
    style = np.where(labels[None] == 0, left, right).clip(0, 1)
    f = hdf5.open(str(path), 'w')
    f.write('style_img', lg.from_numpy(style))
    f.write('style_mask', lg.from_numpy(one_hot(labels, 2)))
    for i in range(n_train):
        lab = np.zeros((SIZE, SIZE), int)
        y0, x0 = rng.randint(0, SIZE // 2, 2)
        lab[y0:y0 + rng.randint(8, SIZE // 2), x0:x0 + rng.randint(8, SIZE // 2)] = 1
        f.write('train_mask_%d' % i, lg.from_numpy(one_hot(lab, 2)))
    f.write('n_train', lg.from_numpy(np.array([n_train], np.float64)))
    f.close()
    return str(path)


@pytest.fixture
def display_recorder(monkeypatch):
    """szym/display's module: ``image`` and ``plot`` record their arguments."""
    calls = []
    module = types.ModuleType('display')
    module.image = lambda imgs, opts: calls.append(('image', len(imgs), opts))
    module.plot = lambda data, opts: calls.append(('plot', [list(r) for r in data], opts))
    monkeypatch.setitem(sys.modules, 'display', module)
    return calls


@pytest.fixture
def on_cpu(monkeypatch):
    monkeypatch.setattr(utils, 'dtype', 'torch.FloatTensor')


def doodle_args(tmp_path, *more):
    proto, model = vgg19_standin(tmp_path / 'pretrained')
    (tmp_path / 'out').mkdir(exist_ok=True)
    return ['-masks_hdf5', write_masks_hdf5(tmp_path / 'masks.hdf5'), '-model_name', 'skip_noise_4',
            '-proto_file', proto, '-model_file', model, '-backend', 'nn', '-batch_size', '2',
            '-style_layers', 'relu1_1,relu2_1,relu3_1', '-tmp_path', str(tmp_path / 'out') + '/', *more]


def numpy_masked_style_loss(x, masks, target_grams):
    """Sum over colours k of mean((G_k - T_k)^2), G_k the Gram matrix of x * mask_k over (mean(mask_k) + 1e-6) C W H."""
    B, C = x.shape[:2]
    total = 0.0
    for k in range(masks.shape[1]):
        m = masks[:, k:k + 1]
        f = (x * m).reshape(B, C, -1)
        norm = (m.mean(axis=(2, 3)) + 1e-6).reshape(B, 1, 1) * (x[0].size)
        G = f @ f.transpose(0, 2, 1) / norm
        total += ((G - target_grams[k]) ** 2).mean()
    return total


def test_style_loss_matches_the_masked_gram_formula_and_its_gradient(on_cpu):
    lg.manualSeed(0)
    x = lg.randn(2, 3, 4, 5).double()
    masks = lg.rand(2, 2, 4, 5).double()
    targets = [lg.randn(1, 3, 3).double(), lg.randn(1, 3, 3).double()]
    loss = StyleLoss(None, targets, False).double()
    loss.target_masks = masks
    loss.forward(x)
    g = loss.backward(x, lg.zeros(2, 3, 4, 5).double()).clone()
    expected = numpy_masked_style_loss(np.asarray(x), np.asarray(masks), [np.asarray(t) for t in targets])
    assert loss.loss == pytest.approx(expected, rel=1e-10)

    def value():
        loss.forward(x)
        loss.backward(x, lg.zeros(2, 3, 4, 5).double())
        return loss.loss
    np.testing.assert_allclose(np.asarray(g), np.asarray(numeric_gradient(value, x)), rtol=1e-5, atol=1e-8)
    # normalize: each colour's gradient has L1 norm 1 before they are summed
    normed = StyleLoss(None, targets, 'false').double()   # the option's string, true in Lua as here
    normed.target_masks = lg.ones(2, 1, 4, 5).double()
    normed.target_grams = targets[:1]
    normed.forward(x)
    assert float(normed.backward(x, lg.zeros(2, 3, 4, 5).double()).abs().sum()) == pytest.approx(1, rel=1e-6)


def test_gram_matrix_noise_modules_and_add_dummy():
    lg.manualSeed(1)
    x = lg.randn(2, 3, 4, 4)
    f = np.asarray(x).reshape(2, 3, 16)
    np.testing.assert_allclose(np.asarray(GramMatrix().forward(x)), f @ f.transpose(0, 2, 1), rtol=1e-5)
    masks = lg.from_numpy(one_hot(np.eye(4, dtype=int), 2)[None].repeat(2, 0)).float()
    fill = NoiseFill(3, 1, 2)
    out = fill.forward(masks)
    assert tuple(out.size()) == (2, 2 + 2 + 3, 4, 4)
    o = np.asarray(out)
    np.testing.assert_array_equal(o[:, :2], np.asarray(masks))
    assert np.all(o[:, 2:4][np.asarray(masks) == 0] == 0) and np.all((o[:, 2:] >= 0) & (o[:, 2:] <= 1))
    noise = GenNoise(5)
    y = noise.forward(x)
    assert tuple(y.size()) == (2, 5, 4, 4) and abs(float(y.mean())) < 0.5
    assert float(noise.backward(x, y).abs().sum()) == 0 and tuple(noise.gradInput.size()) == (2, 3, 4, 4)
    assert tuple(add_dummy(lg.zeros(3, 4)).size()) == (1, 3, 4)
    assert tuple(add_dummy(lg.zeros(4, 3).t()).size()) == (1, 3, 4)


def test_training_lowers_the_style_loss_previews_and_checkpoints(tmp_path, on_cpu, display_recorder):
    """feedforward_neural_doodle.lua with the skip_noise_4 generator, full and half scale descriptor nets, 20 adam
    steps: the loss of the same batch of masks falls; previews every 10 steps reach display and disk; model.t7 is
    saved and apply.lua renders a mask with it."""
    lg.manualSeed(0)
    net, history = feedforward_neural_doodle.main(doodle_args(tmp_path, '-num_iterations', '20'))
    losses = [loss for _, loss in history]
    assert len(losses) == 20 and all(np.isfinite(losses))
    # batches alternate between masks 0-1 and 2-3: the mean of four steps (each batch twice) early and late
    assert np.mean(losses[-4:]) < 0.85 * np.mean(losses[:4])
    assert [c[0] for c in display_recorder] == ['image', 'plot', 'image', 'plot']
    assert display_recorder[0][1] == 2 and display_recorder[3][1][-1][0] == 20
    assert (tmp_path / 'out' / 'train1_10.png').exists() and (tmp_path / 'out' / 'train2_20.png').exists()

    f = hdf5.open(str(tmp_path / 'target.hdf5'), 'w')
    f.write('mask', lg.from_numpy(one_hot((np.mgrid[0:SIZE, 0:SIZE][1] >= 16).astype(int), 2)))
    f.close()
    img = apply.main(['-mask_hdf5', str(tmp_path / 'target.hdf5'), '-model', str(tmp_path / 'out' / 'model.t7'),
                      '-out_path', str(tmp_path / 'out.png')])
    assert tuple(img.size()) == (3, SIZE, SIZE) and (tmp_path / 'out.png').exists()
    assert 0 <= float(img.min()) and float(img.max()) <= 1


def test_without_szym_display_the_script_stops_before_any_work(tmp_path, on_cpu, monkeypatch):
    """docs/porting.md's szym/display row: legonn has no ``display`` module, so the script's require fails first,
    naming it, with no file written."""
    monkeypatch.delitem(sys.modules, 'display', raising=False)
    args = doodle_args(tmp_path, '-num_iterations', '1')
    with pytest.raises(ModuleNotFoundError, match="No module named 'display'"):
        feedforward_neural_doodle.main(args)
    assert not any((tmp_path / 'out').iterdir())
    assert not hasattr(lg, 'display')


@pytest.mark.gpu
def test_training_on_the_gpu(tmp_path, display_recorder):
    """The script as written, ``:cuda()`` everywhere (utils.dtype 'torch.CudaTensor') and its default backend
    cudnn (the generator's convolutions are cudnn's), two steps without the half scale net."""
    lg.manualSeed(0)
    args = doodle_args(tmp_path, '-num_iterations', '2', '-half', 'false')
    args[args.index('-backend') + 1] = 'cudnn'
    net, history = feedforward_neural_doodle.main(args)
    assert net.output.type() == 'torch.CudaTensor' and len(history) == 2 and np.isfinite(history[-1][1])
    convs = [m for m in net.listModules() if 'Convolution' in lg.typename(m)]
    assert convs and all(lg.typename(m) == 'cudnn.SpatialConvolution' for m in convs)
