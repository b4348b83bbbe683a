"""StacyYang/MSG-Net's Torch7 part run through its port, tests/porting/msg_net/ (one file per Lua file; the
package's docstring says which modules come from the fast-neural-style and texture_nets ports and what is edited
beyond syntax and indices).

Stand-ins: VGG-16 (``models/vgg16.t7``) is a network of VGG-16's layer layout up to relu4_3, narrow except at
relu3_3, which keeps VGG's 256 planes because hang.lua's Inspiration layer takes the third style layer's
256 x 256 Gram matrix; the style folder holds two 16 x 16 PNGs, the HDF5 content file six 16 x 16 images;
``-model_nres 1`` instead of 9.

main.lua, extractGram.lua, test.lua and webcam.lua are CUDA programs
(``nn.utils.recursiveType(feat, 'torch.CudaTensor')``, ``cnet:cuda()``): their tests are GPU tests, run on CuPy's host simulator (``LEGONN_GPU_SIM=1``) and skipped
without CuPy; the modules, the generator and a training of it with the same closure on the CPU run everywhere."""
import json
import os

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn, optim
from tests.checks import assert_jacobian

from .msg_net import init as texture
from .msg_net.experiments.models import hang
from .msg_net.experiments.utils.getImages import Dataset
from .test_fast_neural_style_train import write_images


def vgg16_standin():
    """VGG-16's layers up to relu4_3 at its container positions (0-based: relu1_2 3, relu2_2 8, relu3_3 15,
    relu4_3 22), with 4, 8, 256 and 8 planes in the four blocks."""
    cnn = nn.Sequential()
    planes = 3
    for block, (width, convs) in enumerate(((4, 2), (8, 2), (256, 3), (8, 3))):
        if block > 0:
            cnn.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        for _ in range(convs):
            cnn.add(nn.SpatialConvolution(planes, width, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
            planes = width
    return cnn


def write_styles(folder, n=2, size=16, seed=0):
    """``n`` smooth colour images saved as PNGs, as the 9styles folder holds them."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        coarse = rng.uniform(0, 1, size=(3, size // 4, size // 4))
        image.save(os.path.join(folder, 'style%d.png' % i), lg.from_numpy(np.kron(coarse, np.ones((1, 4, 4)))))
    return folder


@pytest.fixture
def workdir(tmp_path):
    """models/vgg16.t7, images/9styles and data.h5 as the experiments folder holds them."""
    lg.manualSeed(3)
    (tmp_path / 'models').mkdir()
    lg.save(str(tmp_path / 'models' / 'vgg16.t7'), vgg16_standin())
    write_styles(str(tmp_path / 'images' / '9styles'))
    write_images(tmp_path / 'data.h5')
    return tmp_path


def small_args(root, *more):
    return ['-h5_file', str(root / 'data.h5'), '-loss_network', str(root / 'models' / 'vgg16.t7'),
            '-style_image_folder', str(root / 'images' / '9styles'), '-style_image_size', '16',
            '-model_nres', '1', '-batch_size', '2', '-style_iter', '4', '-learning_rate', '1e-2',
            '-checkpoint_name', str(root / 'cv' / 'checkpoint'), '-use_cudnn', '0', *more]


# --- modules/Inspiration.lua and Calibrate.lua --------------------------------------------------------------

def test_inspiration_computes_p_transposed_times_x():
    """Y = (Weight * target)^T X for each C x (H*W) map, one image or a batch (the expanded P)."""
    m = texture.Inspiration(4)
    G = lg.rand(4, 4)
    m.setTarget(G)
    P = m.Weight.numpy() @ G.numpy()
    x = lg.randn(3, 4, 5, 2)
    y = m.forward(x)
    assert y.size() == (3, 4, 5, 2)
    np.testing.assert_allclose(y.numpy(), np.einsum('ck,bchw->bkhw', P, x.numpy()), rtol=1e-5, atol=1e-5)
    x3 = lg.randn(4, 5, 2)
    np.testing.assert_allclose(m.forward(x3).numpy(), np.einsum('ck,chw->khw', P, x3.numpy()),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match='Unsupported dimention'):
        m.forward(lg.randn(4, 5))


@pytest.mark.parametrize('shape', [(4, 3, 2), (2, 4, 3, 2)])
def test_inspiration_gradients_match_finite_differences(shape):
    """gradInput by nn.Jacobian in float64; gradWeight (Weight is no registered parameter, see below) against
    central differences of sum(output * gradOutput)."""
    m = texture.Inspiration(4)
    assert_jacobian(m, lg.randn(*shape), params=False)
    x, g = lg.randn(*shape).double(), lg.randn(*shape).double()
    m.forward(x)
    m.backward(x, g)
    analytic = m.gradWeight.numpy().copy()
    numeric = np.zeros((4, 4))
    W = m.Weight.numpy()
    for i in range(4):
        for j in range(4):
            keep = W[i, j]
            W[i, j] = keep + 1e-6
            up = float((m.forward(x).numpy() * g.numpy()).sum())
            W[i, j] = keep - 1e-6
            down = float((m.forward(x).numpy() * g.numpy()).sum())
            W[i, j] = keep
            numeric[i, j] = (up - down) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6)


def test_inspiration_weight_is_not_a_parameter():
    """Module.lua's parameters() reads ``weight`` and ``bias``; Inspiration's ``Weight`` (capital W) is neither,
    so getParameters leaves it out and optim never moves it, in Torch7 as in legonn; ``:type()`` still converts
    it (every tensor field)."""
    m = texture.Inspiration(4)
    assert m.parameters() == ([], [])
    model = nn.Sequential().add(nn.SpatialConvolution(4, 4, 1, 1)).add(m)
    params, _ = model.getParameters()
    assert params.nElement() == 4 * 4 + 4
    assert m.double().Weight.type() == 'torch.DoubleTensor'
    assert str(m) == 'nn.Inspiration(4xHxW, -> 4xHxW)'


def test_calibrate_is_an_identity_that_keeps_the_gram_matrix():
    c = texture.Calibrate()
    x = lg.randn(1, 3, 4, 5)
    assert c.forward(x) is x
    flat = x.numpy().reshape(3, 20)
    np.testing.assert_allclose(c.getGram().numpy(), flat @ flat.T / 60, rtol=1e-5)
    g = lg.randn(1, 3, 4, 5)
    assert c.backward(x, g) is g


# --- models/hang.lua ----------------------------------------------------------------------------------------

def test_hang_generator_shapes_and_style_target():
    model = hang.createModel({'model_nres': '1', 'tv_strength': 1e-6})
    inspiration = model.get(model.cNetsNum[0])
    assert lg.type(inspiration) == 'nn.Inspiration' and inspiration.C == 256 and model.cNetsNum == [7]
    G = lg.rand(256, 256)
    model.setTarget([None, None, G], 'torch.FloatTensor')
    assert inspiration.target is G   # Tensor:type() of its own type returns the tensor itself
    x = lg.rand(2, 3, 16, 16)
    assert model.forward(x).size() == (2, 3, 16, 16)
    assert model.backward(x, lg.randn(2, 3, 16, 16)).size() == (2, 3, 16, 16)


def test_hang_model_with_its_set_target_round_trips(tmp_path):
    """main.lua saves the model with its ``setTarget`` method (a registered callable here); test.lua loads it
    and calls it."""
    model = hang.createModel({'model_nres': '1', 'tv_strength': 1e-6})
    model.evaluate()
    lg.save(str(tmp_path / 'm.t7'), {'model': model})
    loaded = lg.load(str(tmp_path / 'm.t7'))['model']
    G = lg.rand(256, 256)
    model.setTarget([None, None, G], 'torch.FloatTensor')
    loaded.setTarget([None, None, G], 'torch.FloatTensor')
    assert loaded.setTarget.model is loaded
    x = lg.rand(1, 3, 16, 16)
    np.testing.assert_array_equal(loaded.forward(x).numpy(), model.forward(x).numpy())


def test_a_plain_function_as_set_target_is_refused_by_save(tmp_path):
    """hang.lua's ``function model:setTarget`` written as a Python function: torch.save writes its bytecode,
    lg.save stores no code (docs/porting.md)."""
    model = nn.Sequential().add(texture.Inspiration(2))
    model.setTarget = lambda feat, dtype: None
    with pytest.raises(TypeError, match='setTarget'):
        lg.save(str(tmp_path / 'm.t7'), model)


def test_get_images_finds_and_wraps(workdir):
    loader = Dataset(str(workdir / 'images' / '9styles'))
    assert loader.size() == 2
    first = loader.get(0)
    assert first.size() == (3, 16, 16)
    np.testing.assert_array_equal(loader.get(2).numpy(), first.numpy())


def test_generator_learns_the_perceptual_loss_on_the_cpu(workdir):
    """createCNets' calibrated loss network gives the style features, createModel's generator takes them as its
    Inspiration target, and main.lua's closure (PerceptualCriterion, optim.adam) trains it on the CPU: the loss
    falls."""
    from .msg_net.experiments.utils.DataLoader import DataLoader
    from .test_fast_neural_style_train import parse_layers, preprocess_table
    lg.manualSeed(5)
    opt = {'loss_network': str(workdir / 'models' / 'vgg16.t7'), 'h5_file': str(workdir / 'data.h5'),
           'batch_size': 2, 'preprocessing': 'vgg', 'model_nres': '1', 'tv_strength': 1e-6}
    opt['style_layers'], opt['style_weights'] = parse_layers('3,8,15,22', '5.0')
    opt['content_layers'], opt['content_weights'] = parse_layers('15', '1.0')
    cnet = hang.createCNets(opt)
    style = preprocess_table['vgg']['preprocess'](
        texture.add_dummy(Dataset(str(workdir / 'images' / '9styles')).get(0)))
    feat = cnet.calibrate(style)
    assert [f.size() for f in feat] == [(4, 4), (8, 8), (256, 256), (8, 8)]
    model = hang.createModel(opt)
    model.setTarget(feat, 'torch.FloatTensor')
    crit = texture.PerceptualCriterion({'cnn': lg.load(opt['loss_network']), 'style_layers': opt['style_layers'],
                                        'style_weights': opt['style_weights'],
                                        'content_layers': opt['content_layers'],
                                        'content_weights': opt['content_weights']})
    crit.setStyleTarget(style)
    loader = DataLoader(opt)
    params, grad_params = model.getParameters()
    x, y = loader.getBatch('train')

    def f(p):
        grad_params.zero()
        out = model.forward(x)
        loss = crit.forward(out, {'content_target': y})
        model.backward(x, crit.backward(out, {'content_target': y}))
        return loss, grad_params

    state = {'learningRate': 1e-2}
    losses = [optim.adam(f, params, state)[1][0] for _ in range(8)]
    assert losses[-1] < 0.7 * losses[0]


# --- main.lua, extractGram.lua, test.lua, webcam.lua (CUDA programs) -------------------------------------------

@pytest.fixture
def gpu():
    if not lg.gpu_available():
        pytest.skip('needs CuPy and a CUDA GPU')


@pytest.mark.gpu
def test_main_extracts_grams_trains_and_checkpoints(gpu, workdir, monkeypatch):
    """main.lua: feat.t7 written by extractGram (two styles, four Gram matrices each), 8 iterations switching
    the style every 4, the loss falls within each style's run, a JSON and a .t7 checkpoint at 8; test.lua then
    stylises an image with the checkpoint once per style, and webcam.lua's run_image a run of frames."""
    from .msg_net.experiments import main as train_main
    from .msg_net.experiments import test as test_main
    monkeypatch.chdir(workdir)
    lg.manualSeed(5)
    losses, style_history, val, model = train_main.main(small_args(
        workdir, '-num_iterations', '8', '-checkpoint_every', '8', '-num_val_batches', '1'))
    feat = lg.load(str(workdir / 'images' / '9styles' / 'feat.t7'))
    assert len(feat) == 2 and [g.size() for g in feat[0]] == [(4, 4), (8, 8), (256, 256), (8, 8)]
    assert losses[3] < losses[0] and losses[7] < losses[4]
    assert sorted(style_history) == ['content-15', 'style-15', 'style-22', 'style-3', 'style-8']
    assert len(val) == 1 and val[0] > 0
    saved = json.load(open(str(workdir / 'cv' / 'checkpoint.json')))
    assert saved['train_loss_history'] == pytest.approx(losses)
    checkpoint = lg.load(str(workdir / 'cv' / 'checkpoint.t7'))
    assert checkpoint['model'].get(7).Weight.type() == 'torch.FloatTensor'
    assert model.get(7).Weight.type() == 'torch.CudaTensor'

    image.save(str(workdir / 'content.png'), lg.rand(3, 16, 16))
    written = test_main.main(small_args(workdir, '-premodel', str(workdir / 'cv' / 'checkpoint.t7'),
                                        '-input_image', str(workdir / 'content.png'), '-image_size', '16',
                                        '-output_dir', str(workdir / 'stylized')))
    assert written == [str(workdir / 'stylized' / '1.jpg'), str(workdir / 'stylized' / '2.jpg')]
    first, second = image.load(written[0]), image.load(written[1])
    assert first.size() == (3, 16, 16) and not np.array_equal(first.numpy(), second.numpy())

    # webcam.lua's run_image over 16 frames of 32 x 32: the style of frame 0 until frame 15, then the next;
    # each display is the frame, with its style (8 x 8) pasted at (20, 20), beside its stylisation
    from .msg_net.experiments import webcam
    frames = [lg.rand(3, 32, 32) for _ in range(16)]
    displays = webcam.main(small_args(workdir, '-premodel', str(workdir / 'cv' / 'checkpoint.t7'),
                                      '-input_image', 'camera', '-image_size', '32'), frames)
    assert len(displays) == 16 and displays[0].size() == (3, 32, 64)
    styles = [image.scale(Dataset(str(workdir / 'images' / '9styles')).get(i), 8, 8).numpy() for i in (0, 1)]
    np.testing.assert_allclose(displays[14].numpy()[:, 20:28, 20:28], styles[0], atol=1e-5)
    np.testing.assert_allclose(displays[15].numpy()[:, 20:28, 20:28], styles[1], atol=1e-5)
    np.testing.assert_array_equal(displays[3].numpy()[:, :20, :32], frames[3].numpy()[:, :20, :])
