"""soumith/imagenet-multiGPU.torch's models/*.lua run through their port, tests/porting/imagenet_multigpu/models/
(alexnet, alexnetowt, alexnetowtbn, overfeat, vgg, vggbn, ninbn, squeezenet, googlenet, googlenetbn; each module's
docstring lists its edits beyond syntax and indices), with util.lua's makeDataParallel (tests/porting/imagenet_multigpu/
util.py), opts.lua and model.lua. Every model file calls ``:cuda()``, so those are GPU tests (CuPy or its simulator).

Each model is built at full width with data.lua's ``nClasses`` = 1000 and its parameters counted against the published
figure where the layers are a published model's (AlexNet of the One Weird Trick paper = torchvision's alexnet, VGG A =
VGG-11, SqueezeNet 1.0), else against a count from the Lua's layer table; then it runs forward and backward on one
``imageCrop`` x ``imageCrop`` image, and once more through makeDataParallel with two replicas.
"""
import importlib

import numpy as np
import pytest

import legonn as lg

from .imagenet_multigpu import util
from .test_convnet_benchmarks import conv, linear, n_parameters
from .imagenet_multigpu.models import G

def two_column_alexnet():
    column = conv(3, 48, 11) + conv(48, 128, 5) + conv(128, 192, 3) + conv(192, 192, 3) + conv(192, 128, 3)
    return 2 * column + linear(9216, 4096) + linear(4096, 4096) + linear(4096, 1000)


def ninbn():
    total = 0
    for nin, no, k in ((3, 96, 11), (96, 256, 5), (256, 384, 3), (384, 1024, 3)):
        total += conv(nin, no, k) + 2 * conv(no, no, 1) + 3 * 2 * no
    return total + linear(1024, 1000)


def bn_inception(bn=False):
    """googlenet.lua's layers; with ``bn`` googlenetbn.lua's, a batch normalisation (2 x planes) after each
    convolution but the auxiliary classifier's Linear layers."""
    def conv_bn(nin, nout, k):
        return conv(nin, nout, k) + (2 * nout if bn else 0)

    def inception(nin, c):
        total = conv_bn(nin, c[0][0], 1) if c[0][0] else 0
        total += conv_bn(nin, c[1][0], 1) + conv_bn(c[1][0], c[1][1], 3)
        total += conv_bn(nin, c[2][0], 1) + conv_bn(c[2][0], c[2][1], 3) + conv_bn(c[2][1], c[2][1], 3)
        return total + (conv_bn(nin, c[3], 1) if c[3] else 0)
    total = conv_bn(3, 64, 7) + conv_bn(64, 64, 1) + conv_bn(64, 192, 3) + conv_bn(576, 576, 2)
    total += conv_bn(1024, 1024, 2)
    for nin, c in ((192, [[64], [64, 64], [64, 96], 32]), (256, [[64], [64, 96], [64, 96], 64]),
                   (320, [[0], [128, 160], [64, 96], 0]), (576, [[224], [64, 96], [96, 128], 128]),
                   (576, [[192], [96, 128], [96, 128], 128]), (576, [[160], [128, 160], [128, 160], 96]),
                   (576, [[96], [128, 192], [160, 192], 96]), (576, [[0], [128, 192], [192, 256], 0]),
                   (1024, [[352], [192, 320], [160, 224], 128]), (1024, [[352], [192, 320], [192, 224], 128])):
        total += inception(nin, c)
    return total + linear(1024, 1000) + conv_bn(576, 128, 1) + linear(2048, 768) + linear(768, 1000)


# name, parameters, output planes (googlenet concatenates its auxiliary classifier's log-probabilities)
MODELS = [
    ('alexnet', two_column_alexnet(), 1000),
    ('alexnetowt', 61100840, 1000),                    # torchvision's alexnet (One Weird Trick)
    ('alexnetowtbn', 61100840 + 2 * (64 + 192 + 384 + 256 + 256 + 4096 + 4096), 1000),
    ('overfeat', conv(3, 96, 11) + conv(96, 256, 5) + conv(256, 512, 3) + conv(512, 1024, 3)
     + conv(1024, 1024, 3) + linear(25600, 3072) + linear(3072, 4096) + linear(4096, 1000), 1000),
    ('vgg', 132863336, 1000),                          # VGG A (VGG-11), Simonyan and Zisserman's 133M
    ('vggbn', 132863336 + 2 * 2 * 4096, 1000),
    ('ninbn', ninbn(), 1000),
    ('squeezenet', 1248424, 1000),                     # SqueezeNet 1.0 (Iandola et al.: 1.2M)
    ('googlenet', bn_inception(), 2000),
    ('googlenetbn', bn_inception(bn=True), 2000),
]


@pytest.fixture
def gpu():
    if not lg.gpu_available():
        pytest.skip('needs CuPy and a CUDA device (or LEGONN_GPU_SIM=1)')
    G['nClasses'] = 1000


@pytest.mark.gpu
@pytest.mark.parametrize('name, count, planes', MODELS, ids=[m[0] for m in MODELS])
def test_model_counts_and_runs(name, count, planes, gpu, capsys):
    createModel = importlib.import_module(f'tests.porting.imagenet_multigpu.models.{name}').createModel
    lg.manualSeed(0)
    model = createModel(1)
    assert n_parameters(model) == count
    assert getattr(model, 'imageCrop', 224) == 224 and lg.typename(model) == 'nn.Sequential'
    model.training()
    n = 2 if name.endswith('bn') else 1     # batch normalisation trains on more than one sample
    x = lg.randn(n, 3, 224, 224).cuda()
    y = model.forward(x)
    # nn.View(k) with no setNumInputDims (alexnet, overfeat, vgg, squeezenet) sees one image as k elements
    # without a batch (nn/View.lua's batchsize: nElement == k), so one image gives a 1-D output, as in Torch7
    flat = n == 1 and name in ('alexnet', 'alexnetowt', 'overfeat', 'vgg', 'squeezenet')
    assert tuple(y.size()) == ((planes,) if flat else (n, planes)) and lg.typename(y) == 'torch.CudaTensor'
    # log-probabilities: each classifier's exp sums to one
    probs = np.exp(y.float().numpy().astype(np.float64)).reshape(n, planes // 1000, 1000).sum(2)
    np.testing.assert_allclose(probs, 1, rtol=1e-4)
    model.zeroGradParameters()
    model.backward(x, lg.randn(y.size()).cuda())
    grads = model.parameters()[1]
    assert float(grads[0].abs().sum()) > 0 and float(grads[-1].abs().sum()) > 0


@pytest.mark.gpu
def test_alexnet_second_column_is_reset_not_copied(gpu):
    """alexnet.lua clones branch 1 and resets branch 2's convolutions: the two columns start apart."""
    lg.manualSeed(0)
    model = __import__('tests.porting.imagenet_multigpu.models.alexnet', fromlist=['createModel']).createModel(1)
    fb1, fb2 = model.get(0).get(0), model.get(0).get(1)
    w1, w2 = fb1.get(0).weight.float().numpy(), fb2.get(0).weight.float().numpy()
    assert w1.shape == w2.shape == (48, 3, 11, 11) and not np.array_equal(w1, w2)
    # nn.SpatialConvolution:reset() draws U(-1/sqrt(fanIn), 1/sqrt(fanIn))
    assert np.abs(w2).max() <= 1 / np.sqrt(3 * 11 * 11)


@pytest.mark.gpu
def test_squeezenet_through_make_data_parallel(gpu, monkeypatch, capsys):
    """createModel(2): the whole squeezenet wrapped in a DataParallelTable of two replicas (util.lua's cudnn
    autotune branch), whose outputs equal the bare net's. Each replica gets two images: with one, its
    ``nn.View(output_classes)`` would drop the batch and the gathered output be 2000 long, in Torch7 too."""
    from .imagenet_multigpu.models import squeezenet
    lg.manualSeed(0)
    model = squeezenet.createModel(2)
    assert 'converting module to nn.DataParallelTable' in capsys.readouterr().out
    assert lg.typename(model) == 'nn.DataParallelTable' and model.imageCrop == 224
    model.evaluate()
    x = lg.randn(4, 3, 224, 224).cuda()
    out = model.forward(x).float().numpy()
    assert out.shape == (4, 1000)
    bare = model.get(0)
    np.testing.assert_allclose(out, bare.forward(x).float().numpy(), rtol=1e-5, atol=1e-6)


def test_opts_parse_names_the_save_directory():
    """opts.lua: the save directory is cache/<netType>[,changed options]/<date>, leaving out the options the
    Lua ignores (netType, retrain, optimState, cache, data)."""
    from .imagenet_multigpu import opts
    opt = opts.parse(['-netType', 'squeezenet', '-nGPU', '2', '-cache', '/c', '-data', '/d'])
    assert opt['nGPU'] == 2 and opt['GPU'] == 0 and opt['batchSize'] == 128 and opt['LR'] == 0.0
    parts = opt['save'].split('/')
    assert parts[:3] == ['', 'c', 'squeezenet,nGPU=2'] and len(parts) == 4 and ' ' not in parts[3]


@pytest.mark.gpu
@pytest.mark.parametrize('wInit, scale', [('kaiming', 2), ('xavier', 1)])
def test_model_lua_builds_converts_and_reloads(wInit, scale, gpu, monkeypatch, tmp_path, capsys):
    """model.lua: models/<netType>.lua's createModel, opt.wInit's normal draw, cudnn.convert for the cudnn
    backend and a ClassNLLCriterion; then -retrain reloads the model saveDataParallel wrote."""
    from .imagenet_multigpu import model as model_lua, opts
    opt = opts.parse(['-netType', 'squeezenet', '-wInit', wInit, '-nClasses', '10'])
    monkeypatch.setattr(util, 'opt', opt)
    monkeypatch.setitem(G, 'nClasses', opt['nClasses'])    # data.lua: nClasses = #classes
    lg.manualSeed(0)
    model, criterion = model_lua.main()
    assert '=> Creating model from file: models/squeezenet.lua' in capsys.readouterr().out
    convs = model.findModules('cudnn.SpatialConvolution')[0]
    assert len(convs) == 26 and not model.findModules('nn.SpatialConvolution')[0]
    big = max(convs, key=lambda c: c.weight.nElement())
    std = float(np.std(big.weight.float().numpy()))
    assert abs(std / np.sqrt(scale / (big.kW * big.kH * big.nOutputPlane)) - 1) < 0.05
    x = lg.randn(2, 3, 224, 224).cuda()
    target = lg.LongTensor([3, 7]).cuda()
    loss = criterion.forward(model.forward(x), target)
    assert lg.typename(criterion) == 'nn.ClassNLLCriterion' and np.isfinite(loss)
    util.saveDataParallel(str(tmp_path / 'model.t7'), model)
    monkeypatch.setitem(opt, 'retrain', str(tmp_path / 'model.t7'))
    again, _ = model_lua.main()
    model.evaluate()
    again.evaluate()
    np.testing.assert_allclose(again.cuda().forward(x).float().numpy(), model.forward(x).float().numpy(),
                               rtol=1e-5, atol=1e-6)
