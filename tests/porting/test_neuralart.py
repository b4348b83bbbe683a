"""kaishengtai/neuralart, ported in tests/porting/neuralart/: main.lua, costs.lua, images.lua and
models/util.lua, vgg19.lua, inception.lua.

Stand-ins: the weight files (models/vgg_normalized.th, models/inception_caffe.th, download_models.sh's
downloads) are written by the tests from the ported architectures' own seeded initialisation, in the layout the
Lua reads (``{weight, bias}`` per ``listModules()`` position); the content and style images are
tests/porting/test_neural_style.py's 16 x 16 ones, saved as PNG. The optimisation runs on the CPU (``--cpu``, the
VGG model), as main.lua allows; Inception is built with the 'cunn' backend (nn + inn) and run forward (main.lua
refuses the CPU for it)."""
import os

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting.neuralart import costs
from tests.porting.neuralart import main as N
from tests.porting.neuralart.images import depreprocess, preprocess
from tests.porting.neuralart.models import util
from tests.porting.neuralart.models.inception import create_inception
from tests.porting.neuralart.models.vgg19 import create_vgg
from tests.porting.test_neural_style import tiny_images


@pytest.fixture(autouse=True)
def util_methods(monkeypatch):
    """models/util.lua's ``function nn.Module:name(name)`` and friends, for these tests only."""
    for name, method in util.MODULE_METHODS.items():
        monkeypatch.setattr(nn.Module, name, method, raising=False)
    for name, method in util.SEQUENTIAL_METHODS.items():
        monkeypatch.setattr(nn.Sequential, name, method, raising=False)


def own_weights(create, monkeypatch):
    """A weight file's entries taken from the model ``create`` builds with its own initialisation: ``lg.load``
    answers, for each position, the module's own tensors (a copy onto itself)."""
    seen = []
    listModules = nn.Sequential.listModules

    def recording(self):
        seen.append(listModules(self))
        return seen[-1]

    class Own:
        def __getitem__(self, i):
            m = seen[-1][i]
            return [m.weight, m.bias]
    with monkeypatch.context() as m:
        m.setattr(nn.Sequential, 'listModules', recording)
        m.setattr(lg, 'load', lambda path: Own())
        create('unused', 'cunn')
    return [[m.weight.clone(), m.bias.clone()] if m.weight is not None else [] for m in seen[-1]]


def write_inputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs('models')
    lg.manualSeed(0)
    lg.save('models/vgg_normalized.th', own_weights(create_vgg, monkeypatch))
    content, style = tiny_images()
    lg.image.save('content.png', content)
    lg.image.save('style.png', style)


def test_lbfgs_style_transfer_on_vgg_lowers_the_loss(tmp_path, monkeypatch):
    """main.lua --cpu with lbfgs (maxIter 3 per call): the loss opfunc reports falls, frames are saved, and the
    final image is depreprocess's [0, 1] RGB of the content's size."""
    write_inputs(tmp_path, monkeypatch)
    r = N.main(['--cpu', '--content', 'content.png', '--style', 'style.png', '--num_iters', '3',
                '--size', '16', '--display_interval', '0', '--output_dir', 'frames'])
    losses = r['losses']
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert sorted(os.listdir('frames')) == ['0000.jpg', '0001.jpg', '0002.jpg', '0003.jpg']
    out = r['output'].numpy()
    assert out.shape == (3, 16, 16) and out.min() >= 0 and out.max() <= 1


def test_sgd_with_momentum_lowers_the_loss(tmp_path, monkeypatch):
    """--optimizer sgd (momentum 0.9, dampening 0, learning rate 1e-3 for VGG): the loss falls step after step
    with a style factor of 100 (the default 2e9 makes these seeded weights' first step overshoot)."""
    write_inputs(tmp_path, monkeypatch)
    r = N.main(['--cpu', '--content', 'content.png', '--style', 'style.png', '--num_iters', '3', '--size', '16',
                '--display_interval', '0', '--style_factor', '100', '--optimizer', 'sgd'])
    losses = r['losses']
    assert losses[0] > losses[1] > losses[2]


def test_opfunc_loss_equals_numpy_and_its_gradient_is_half_the_style_derivative(tmp_path, monkeypatch):
    """opfunc's loss is NumPy's sum over the named layers (VGG: conv4_2's summed squared difference, and
    style_factor/5 times each style layer's summed squared Gram difference over size^2). Its hand-written
    backward gives half the loss's directional derivative: costs.lua's style_grad multiplies dL/dG by F once
    (``torch.mm(grad, gen:view(k, -1))``), where G = F F^T's derivative is (dL/dG + dL/dG^T) F, twice that, so
    Torch7 gets the same half (a property of neuralart, kept; the content term, 1e-9 of the style's with these
    seeded weights, does not change it)."""
    write_inputs(tmp_path, monkeypatch)
    r = N.main(['--cpu', '--content', 'content.png', '--style', 'style.png', '--num_iters', '0',
                '--size', '16', '--display_interval', '0', '--style_factor', '20', '--init', 'random'])
    model, opfunc = r['model'], r['opfunc']
    x = r['input'].clone()
    loss, grad = opfunc(x)
    grad = grad.clone().numpy().astype(np.float64)
    outputs = {getattr(m, '_name', None): m.output.numpy().astype(np.float64) for m in model.modules}
    content = ((outputs['conv4_2'].ravel() - r['img_activations']['conv4_2'].numpy()) ** 2).sum()
    style = 0
    for name in ('conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'):
        a = outputs[name].reshape(outputs[name].shape[1], -1)
        diff = (a @ a.T).ravel() - r['art_grams'][name].numpy()
        style += 20 / 5 * (diff ** 2).sum() / a.size ** 2
    assert loss == pytest.approx(content + style, rel=1e-4)
    assert content < 1e-6 * style

    X = x.numpy().astype(np.float64)
    d = np.random.default_rng(1).normal(size=X.shape)
    eps = 0.1
    lp = opfunc(lg.from_numpy((X + eps * d).astype(np.float32)))[0]
    lm = opfunc(lg.from_numpy((X - eps * d).astype(np.float32)))[0]
    assert (grad.ravel() * d.ravel()).sum() == pytest.approx(0.5 * (lp - lm) / (2 * eps), rel=2e-2)


def test_costs_against_numpy():
    """costs.lua: gram is F F^T of the k x (h w) features; style_grad's loss is the summed squared Gram difference
    over size^2 and its gradient 2 (G - A) F / size^2 ... (MSECriterion without averaging), the inception branch
    dividing by the gradient's mean magnitude; total_var_grad is the gradient of half the squared differences."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    costs.opt = {'cpu': True, 'model': 'vgg'}
    costs.dofile()
    costs.euclidean.double()
    rng = np.random.default_rng(2)
    F = rng.normal(size=(1, 3, 4, 5))
    A = rng.normal(size=(3, 3))
    f = F.reshape(3, -1)
    G = f @ f.T
    loss, grad = costs.style_grad(lg.from_numpy(F), lg.from_numpy(A.ravel()))
    n2 = F.size ** 2
    assert loss == pytest.approx(((G - A) ** 2).sum() / n2)
    np.testing.assert_allclose(grad.numpy(), (2 * (G - A) / n2 @ f).reshape(F.shape), rtol=1e-10)
    costs.opt['model'] = 'inception'
    loss_i, grad_i = costs.style_grad(lg.from_numpy(F), lg.from_numpy(A.ravel()))
    m = np.abs(2 * (G - A)).mean()
    assert loss_i == pytest.approx(((G - A) ** 2).sum() / (m * n2))
    c_loss, c_grad = costs.content_grad(lg.from_numpy(F), lg.from_numpy(A.ravel()[:0]).new(F.size).zero())
    assert c_loss == pytest.approx((F ** 2).sum() / np.abs(2 * F).mean())
    X = rng.normal(size=(1, 3, 5, 6))
    np.testing.assert_allclose(costs.total_var_grad(lg.from_numpy(X)).numpy(), _tv_grad(X), rtol=1e-10)


def _tv_grad(X):
    g = np.zeros_like(X)
    dx = X[:, :, :-1, :-1] - X[:, :, :-1, 1:]
    dy = X[:, :, :-1, :-1] - X[:, :, 1:, :-1]
    g[:, :, :-1, :-1] += dx + dy
    g[:, :, :-1, 1:] -= dx
    g[:, :, 1:, :-1] -= dy
    return g


def test_preprocess_scales_reverses_and_round_trips():
    """images.lua: the long edge scaled to ``scale`` (the other edge ``scale * h / w``, a fraction
    image.scale truncates), BGR, 0..255 minus Caffe's means; depreprocess inverts it (clamped to [0, 1])."""
    img = lg.rand(3, 10, 20)
    p = preprocess(img.clone(), 15)
    assert tuple(p.size()) == (1, 3, 7, 15)
    same = preprocess(img.clone())
    np.testing.assert_allclose(same[0, 0].numpy(), img[2].numpy() * 255 - 104, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(depreprocess(same).numpy(), img.numpy(), atol=1e-5)
    grey = preprocess(lg.rand(1, 4, 4))
    np.testing.assert_allclose(grey[0, 0].numpy() + 104, grey[0, 2].numpy() + 123, atol=1e-4)


def test_inception_is_cut_at_4e_with_padded_pools(monkeypatch):
    """models/inception.lua with the 'cunn' backend: each inception block's pool branch gets a
    SpatialZeroPadding(1, 1, 1, 1) first (cudnn's pooling pads, nn's does not), subnetwork keeps the modules
    up to inception_4e, and findByName finds the named ReLUs inside the blocks; a 3 x 32 x 32 image gives
    4e's 832 channels."""
    lg.manualSeed(0)
    weights = own_weights(create_inception, monkeypatch)
    monkeypatch.setattr(lg, 'load', lambda path: weights)
    model = create_inception('models/inception_caffe.th', 'cunn')
    assert model.modules[-1]._name == 'inception_4e' and len(model.modules) == 18
    pool = model.findByName('inception_3a/pool')
    assert lg.type(pool.modules[0]) == 'nn.SpatialZeroPadding'
    assert model.findByName('inception_4b/5x5') is not None
    out = model.forward(lg.rand(1, 3, 32, 32))
    assert tuple(out.size()) == (1, 832, 1, 1)


@pytest.mark.gpu
def test_style_transfer_on_the_gpu(tmp_path, monkeypatch):
    """main.lua without --cpu (its default): the model, images and gradients on CUDA, lbfgs steps; the first
    loss equals the CPU run's."""
    if not lg.gpu_available():
        pytest.skip('no GPU')
    write_inputs(tmp_path, monkeypatch)
    args = ['--content', 'content.png', '--style', 'style.png', '--num_iters', '2', '--size', '16',
            '--display_interval', '0']
    gpu = N.main(args)
    assert gpu['input'].type() == 'torch.CudaTensor'
    cpu = N.main(args + ['--cpu'])
    assert gpu['losses'][0] == pytest.approx(cpu['losses'][0], rel=1e-3)
    assert gpu['losses'][1] < gpu['losses'][0]
