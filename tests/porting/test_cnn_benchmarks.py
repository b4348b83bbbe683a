"""jcjohnson/cnn-benchmarks run through its port, tests/porting/cnn_benchmarks/ (utils.lua, cnn_benchmark.lua,
convert_model.lua; the networks it times from fb.resnet.torch's models/resnet.lua and preresnet.lua and
inception.torch's googlenet.lua; each module's docstring lists its edits beyond syntax and indices).

The ResNets are built at full width (parameter counts against the published ones, ResNet-18 run forward and
backward on one 224 x 224 image). Inception-V1 loads a random ``dump/`` of HDF5 files written here. The Caffe
nets (BVLC AlexNet, VGG-16, VGG-19) are ``.caffemodel`` files written here with the real layer graph at 1/16 of
the widths (a full VGG-16 file is 553 MB): their parameter counts are checked against a count from the layer
table, and the same table at full width against the papers' figures. convert_model turns them (or a saved
ResNet) into the ``.t7`` that cnn_benchmark loads, times for one pass on a batch of one, and reports as JSON.
"""
import json

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, hdf5, loadcaffe, nn
from tests.test_loadcaffe import conv_param, f32, msg, pool_param, v, v2_layer, write

from .cnn_benchmarks import cnn_benchmark, convert_model, googlenet, preresnet, resnet, utils
from .test_convnet_benchmarks import n_parameters


# --- ResNets (fb.resnet.torch) ------------------------------------------------------------------------------

def resnet_count(blocks, bottleneck, preact=False):
    """Parameters of an ImageNet ResNet from its block table: convolutions without biases (cuDNN >= 4),
    batch normalisations' weight and bias, the final Linear."""
    total = 3 * 64 * 49 + 2 * 64 + 2048 * 1000 + 1000 if bottleneck else 3 * 64 * 49 + 2 * 64 + 512 * 1000 + 1000
    nin = 64
    for stage, count in enumerate(blocks):
        n = 64 * 2 ** stage
        nout = 4 * n if bottleneck else n
        for i in range(count):
            convs = [(nin, n, 1), (n, n, 3), (n, nout, 1)] if bottleneck else [(nin, n, 3), (n, n, 3)]
            total += sum(a * b * k * k for a, b, k in convs)
            bns = [n, n, nout] if bottleneck else [n, n]
            if preact:     # a BN before each block but the first, none after the last convolution
                bns = bns[:-1] + ([nin] if stage + i > 0 else [])
            total += 2 * sum(bns)
            if nin != nout:
                total += nin * nout + (0 if preact else 2 * nout)
            nin = nout
    return total + (2 * nin if preact else 0)


@pytest.mark.parametrize('depth, blocks, published', [
    (18, [2, 2, 2, 2], 11689512), (34, [3, 4, 6, 3], 21797672), (50, [3, 4, 6, 3], 25557032),
    (101, [3, 4, 23, 3], 44549160), (152, [3, 8, 36, 3], 60192808)])
def test_resnet_parameter_counts(depth, blocks, published, capsys):
    """models/resnet.lua at full width, as cnn-benchmarks' resnet-*.t7: the counts the ResNet papers' models
    have (torchvision's resnet18..152, the same layers), and biases dropped by ConvInit (cudnn.version 5110)."""
    lg.manualSeed(0)
    model = resnet.createModel({'depth': depth, 'dataset': 'imagenet', 'tensorType': 'torch.FloatTensor'})
    assert capsys.readouterr().out == f' | ResNet-{depth} ImageNet\n'
    assert n_parameters(model) == published == resnet_count(blocks, depth >= 50)
    convs = model.findModules('cudnn.SpatialConvolution')[0]
    assert all(c.bias is None for c in convs) and len(convs) == depth - 1 + (4 if depth >= 50 else 3)   # + projections
    assert model.get(0).gradInput is None


def test_preresnet_200_parameter_count():
    """models/preresnet.lua's ResNet-200 (the README's resnet-200.t7): pre-activation bottlenecks
    {3, 24, 36, 3}; the ShareGradInput key 'preact' marks the BN before the first block of stages 2-4 (the only
    blocks layer() passes 'both_preact'), 'last' the BN after the last block."""
    lg.manualSeed(0)
    model = preresnet.createModel({'depth': 200, 'dataset': 'imagenet', 'tensorType': 'torch.FloatTensor'})
    assert n_parameters(model) == resnet_count([3, 24, 36, 3], True, preact=True) == 64666152
    keys = [getattr(m, '__shareGradInputKey', None) for m in model.findModules('nn.SpatialBatchNormalization')[0]]
    assert keys.count('preact') == 3 and keys.count('last') == 1


def test_resnet18_forward_backward_and_cifar_preresnet():
    lg.manualSeed(0)
    model = resnet.createModel({'depth': 18, 'dataset': 'imagenet', 'tensorType': 'torch.FloatTensor'})
    model.training()
    x = lg.randn(1, 3, 224, 224)
    y = model.forward(x)
    assert tuple(y.size()) == (1, 1000) and np.isfinite(y.numpy()).all()
    assert model.backward(x, lg.randn(1, 1000)) is None    # model:get(1).gradInput = nil
    grads = [g for g in model.parameters()[1]]
    assert all(float(g.abs().sum()) > 0 for g in grads)
    cifar = preresnet.createModel({'depth': 20, 'dataset': 'cifar10', 'tensorType': 'torch.FloatTensor',
                                   'shortcutType': 'A'})
    assert tuple(cifar.forward(lg.randn(2, 3, 32, 32)).size()) == (2, 10)
    # shortcut A: no 1x1 projection; the zero-padded identity (the strided input and MulConstant(0) of it,
    # concatenated on the planes) doubles the planes at each of the two strided stages
    assert all(c.kW == 3 for c in cifar.findModules('cudnn.SpatialConvolution')[0])
    pads = cifar.findModules('nn.Concat')[0]
    assert len(pads) == 2 and [tuple(p.output.size()) for p in pads] == [(2, 32, 16, 16), (2, 64, 8, 8)]
    assert float(pads[0].output[:, 16:].abs().sum()) == 0


# --- Inception-V1 (inception.torch) --------------------------------------------------------------------------

CUDNN_LIB = [cudnn.SpatialConvolution, cudnn.SpatialMaxPooling, cudnn.ReLU, cudnn.SpatialCrossMapLRN]
NN_LIB = [nn.SpatialConvolution, nn.SpatialMaxPooling, nn.ReLU, nn.SpatialCrossMapLRN]

INCEPTIONS = [('3a', 192, [[64], [96, 128], [16, 32], [3, 32]]), ('3b', 256, [[128], [128, 192], [32, 96], [3, 64]]),
              ('4a', 480, [[192], [96, 204], [16, 48], [3, 64]]), ('4b', 508, [[160], [112, 224], [24, 64], [3, 64]]),
              ('4c', 512, [[128], [128, 256], [24, 64], [3, 64]]), ('4d', 512, [[112], [144, 288], [32, 64], [3, 64]]),
              ('4e', 528, [[256], [160, 320], [32, 128], [3, 128]]),
              ('5a', 832, [[256], [160, 320], [48, 128], [3, 128]]),
              ('5b', 832, [[384], [192, 384], [48, 128], [3, 128]])]


def inception_shapes():
    """gname -> (out, in, kH, kW) of every weighted layer googlenet.lua names (Linear: (1008, 1024, 1, 1))."""
    shapes = {'conv2d0': (64, 3, 7, 7), 'conv2d1': (64, 64, 1, 1), 'conv2d2': (192, 64, 3, 3),
              'softmax2': (1008, 1024, 1, 1)}
    for name, nin, c in INCEPTIONS:
        shapes.update({f'mixed{name}_1x1': (c[0][0], nin, 1, 1),
                       f'mixed{name}_3x3_bottleneck': (c[1][0], nin, 1, 1),
                       f'mixed{name}_3x3': (c[1][1], c[1][0], 3, 3),
                       f'mixed{name}_5x5_bottleneck': (c[2][0], nin, 1, 1),
                       f'mixed{name}_5x5': (c[2][1], c[2][0], 5, 5),
                       f'mixed{name}_pool_reduce': (c[3][1], nin, 1, 1)})
    return shapes


def write_dump(directory, rng):
    """dump_filters.py's files: ``<gname>_w.h5`` in TensorFlow's (kH, kW, in, out) order as dumped, which
    googlenet.lua's two transposes turn into (out, in, kH, kW) ... written here so that they land there."""
    directory.mkdir()
    weights = {}
    for gname, (o, i, kh, kw) in inception_shapes().items():
        w = (rng.standard_normal((o, i, kh, kw)) * np.sqrt(2 / (i * kh * kw))).astype(np.float32)
        b = (rng.standard_normal(o) * 0.01).astype(np.float32)
        weights[gname] = (w, b)
        # loadWeights: stored (a, b, c, d) -> transpose(1, 3) -> (a, d, c, b) -> transpose(2, 3) -> (a, d, b, c)
        stored = np.ascontiguousarray(w.transpose(0, 2, 3, 1))
        for suffix, arr in (('_w', stored), ('_b', b)):
            f = hdf5.open(str(directory / f'{gname}{suffix}.h5'), 'w')
            f.write(gname + suffix, lg.from_numpy(arr))
            f.close()
    return weights


def test_googlenet_loads_the_dump_and_classifies(tmp_path, monkeypatch):
    weights = write_dump(tmp_path / 'dump', np.random.default_rng(0))
    monkeypatch.chdir(tmp_path)           # loadWeights(model, 'dump/') reads relative to the working directory
    model, name, size = googlenet.googlenet(CUDNN_LIB)
    assert name == 'GoogleNet' and size == [128, 3, 224, 224]
    expected = sum(o * i * kh * kw + o for o, i, kh, kw in inception_shapes().values())
    assert n_parameters(model) == expected      # 7.07M: the TensorFlow graph's 1008 classes and 204/508 planes
    for m in model.listModules():
        if getattr(m, 'gname', None):
            w, b = weights[m.gname]
            np.testing.assert_array_equal(m.weight.numpy(), w.reshape(tuple(m.weight.size())))
            np.testing.assert_array_equal(m.bias.numpy(), b)
    # googlenet picks cudnn's average pooling for the cudnn library and nn's for nn's
    assert lg.typename(model.get(21)) == 'cudnn.SpatialAveragePooling'
    x = lg.randn(1, 3, 224, 224)
    y = model.forward(x)
    assert tuple(y.size()) == (1, 1000) and abs(float(y.sum()) - 1) < 1e-4
    # the file's comment '4(e) (14x14x832)' is the TensorFlow graph's (SAME padding); Torch7's floor-mode
    # SpatialMaxPooling(3,3,2,2) after 3(b) makes 28 -> 13, and the padded pooling after 4(e) 13 -> 7
    assert tuple(model.get(17).output.size()) == (1, 832, 13, 13)
    assert tuple(model.get(18).output.size()) == (1, 832, 7, 7)
    gx = model.backward(x, lg.randn(1, 1000))
    assert tuple(gx.size()) == (1, 3, 224, 224)


def test_googlenet_type_probe_needs_a_kernel():
    """googlenet.lua's ``torch.type(lib[2]())``: Torch7's SpatialMaxPooling.lua (and cudnn's Pooling.lua)
    stores whatever kernel comes, nil too; legonn's constructors refuse a missing kernel, so the port gives one
    (docs/porting.md)."""
    for lib, expected in ((NN_LIB, nn.SpatialAveragePooling), (CUDNN_LIB, cudnn.SpatialAveragePooling)):
        with pytest.raises(TypeError, match='kW'):
            lib[1]()
        chosen = nn.SpatialAveragePooling if lg.type(lib[1](1, 1)) == 'nn.SpatialMaxPooling' \
            else cudnn.SpatialAveragePooling
        assert chosen is expected


# --- Caffe nets (loadcaffe) through convert_model and cnn_benchmark -------------------------------------------

VGG16 = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']
VGG19 = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M']
# BVLC AlexNet: (planes, kernel, stride, pad, group), LRN after conv1 and conv2, max pooling after 1, 2 and 5
ALEXNET = [(96, 11, 4, 0, 1), (256, 5, 1, 2, 2), (384, 3, 1, 1, 1), (384, 3, 1, 1, 2), (256, 3, 1, 1, 2)]


def caffe_net(kind, div, rng):
    """(caffemodel bytes, parameter count) of a V2 deploy net: VGG (3x3 pad-1 convolutions, 2x2 max pooling)
    or BVLC AlexNet, every width but the 1000 classes divided by ``div``; ``rng`` None counts only."""
    layers, count, nin, k = [v2_layer('data', 'Input')], 0, 3, 0

    def weighted(name, type, param, shape):
        nonlocal count
        count += int(np.prod(shape)) + shape[0]
        blobs = () if rng is None else ((rng.standard_normal(shape) * np.sqrt(1 / np.prod(shape[1:]))).astype(
            np.float32), np.zeros(shape[0], np.float32))
        layers.append(v2_layer(name, type, param, blobs=blobs))

    if kind == 'alexnet':
        for i, (planes, kernel, stride, pad, group) in enumerate(ALEXNET, 1):
            out = planes // div
            weighted(f'conv{i}', 'Convolution', conv_param(106, out, kernel, stride=stride, pad=pad, group=group),
                     (out, nin // group, kernel, kernel))
            layers.append(v2_layer(f'relu{i}', 'ReLU'))
            if i <= 2:
                layers.append(v2_layer(f'norm{i}', 'LRN', msg(118, v(1, 5), f32(2, 1e-4), f32(3, 0.75))))
            if i in (1, 2, 5):
                layers.append(v2_layer(f'pool{i}', 'Pooling', pool_param(121, 0, 3, 2)))
            nin = out
        spatial = 6
    else:
        block, i = 1, 1
        for c in (VGG16 if kind == 'vgg16' else VGG19):
            if c == 'M':
                layers.append(v2_layer(f'pool{block}', 'Pooling', pool_param(121, 0, 2, 2)))
                block, i = block + 1, 1
                continue
            weighted(f'conv{block}_{i}', 'Convolution', conv_param(106, c // div, 3, pad=1), (c // div, nin, 3, 3))
            layers.append(v2_layer(f'relu{block}_{i}', 'ReLU'))
            nin, i = c // div, i + 1
        spatial = 7
    nin = nin * spatial * spatial
    for i, out in ((6, 4096 // div), (7, 4096 // div), (8, 1000)):
        weighted(f'fc{i}', 'InnerProduct', msg(117, v(1, out)), (out, nin))
        if i < 8:
            layers += [v2_layer(f'relu{i}', 'ReLU'), v2_layer(f'drop{i}', 'Dropout', msg(108, f32(1, 0.5)))]
        nin = out
    layers.append(v2_layer('prob', 'Softmax'))
    return b''.join(layers), count


def test_caffe_layer_tables_count_the_papers_parameters():
    """The layer tables the stand-ins are written from, at full width: BVLC AlexNet's 60,965,224 parameters
    (61M, Krizhevsky et al.), VGG-16's 138,357,544 and VGG-19's 143,667,240 (138M and 144M, Simonyan and
    Zisserman's table 2)."""
    assert caffe_net('alexnet', 1, None)[1] == 60965224
    assert caffe_net('vgg16', 1, None)[1] == 138357544
    assert caffe_net('vgg19', 1, None)[1] == 143667240


@pytest.mark.parametrize('kind, n_modules', [('vgg16', 39), ('vgg19', 45)])
def test_convert_and_benchmark_vgg(kind, n_modules, tmp_path, capsys):
    """convert_model.lua -input_prototxt/-input_caffemodel -backend nn, then cnn_benchmark.lua -gpu -1 with one
    timed pass on one 224 x 224 image: the JSON it writes holds the options and one time of each kind. The
    V2 net ends at fc8: loadcaffe stops at a V2 net's Softmax without adding it (legonn/loadcaffe/builder.py)."""
    data, count = caffe_net(kind, 16, np.random.default_rng(1))
    proto, binary = write(tmp_path, data)
    out_t7 = str(tmp_path / f'{kind}.t7')
    convert_model.main(['-input_prototxt', proto, '-input_caffemodel', binary, '-output_t7', out_t7])
    saved = lg.load(out_t7)
    assert n_parameters(saved) == count and saved.size() == n_modules
    # clear_gradients: the saved file carries empty gradient tensors
    assert all(m.gradWeight.nElement() == 0 for m in saved.listModules() if getattr(m, 'weight', None) is not None)
    capsys.readouterr()
    out_json = str(tmp_path / 'out.json')
    lg.manualSeed(0)
    cnn_benchmark.main(['-model_t7', out_t7, '-gpu', '-1', '-batch_size', '1', '-num_passes', '1',
                        '-output_json', out_json])
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == ['Running on CPU', f'Loading model from {out_t7}', 'Running iteration 0 / 1',
                         'Running iteration 1 / 1']
    with open(out_json) as f:
        report = json.load(f)
    assert report['opt']['batch_size'] == 1 and report['gpu_name'] == 'cpu' and report['cudnn_version'] == 'none'
    assert len(report['forward_times']) == len(report['backward_times']) == 1
    assert report['total_times'][0] == pytest.approx(report['forward_times'][0] + report['backward_times'][0])
    # the std of one time is NaN (Torch7's std divides by n - 1 too); the mean is the time itself
    assert lines[lines.index('Forward:') + 1].startswith('%f += nan' % report['forward_times'][0])


def test_convert_resnet_t7_and_benchmark(tmp_path, capsys):
    """convert_model.lua -input_t7 on a saved fb.resnet.torch ResNet-18 (its cudnn modules converted to nn), then
    restore_gradients and one timed pass: the restored gradients have the weights' sizes and receive the pass."""
    lg.manualSeed(0)
    model = resnet.createModel({'depth': 18, 'dataset': 'imagenet', 'tensorType': 'torch.FloatTensor'})
    lg.save(str(tmp_path / 'in.t7'), model)
    out_t7 = str(tmp_path / 'resnet-18.t7')
    convert_model.main(['-input_t7', str(tmp_path / 'in.t7'), '-output_t7', out_t7])
    saved = lg.load(out_t7)
    assert not saved.findModules('cudnn.SpatialConvolution')[0]
    assert len(saved.findModules('nn.SpatialConvolution')[0]) == 20 and n_parameters(saved) == 11689512
    utils.restore_gradients(saved)
    for m in saved.listModules():
        if getattr(m, 'weight', None) is not None:
            assert m.gradWeight.isSameSizeAs(m.weight) and float(m.gradWeight.abs().sum()) == 0
    out_json = str(tmp_path / 'out.json')
    cnn_benchmark.main(['-model_t7', out_t7, '-gpu', '-1', '-batch_size', '1', '-num_passes', '1',
                        '-output_json', out_json])
    with open(out_json) as f:
        assert json.load(f)['opt']['model_t7'] == out_t7


def test_alexnet_needs_cudnn_for_its_grouped_convolutions(tmp_path, capsys):
    """The README: grouped convolutions are not implemented by torch/nn, so AlexNet runs with cuDNN only:
    loadcaffe's nn backend stops at conv2 (group 2), leaving conv1, relu1, norm1, pool1."""
    data, count = caffe_net('alexnet', 16, np.random.default_rng(2))
    proto, binary = write(tmp_path, data)
    net = loadcaffe.load(proto, binary, 'nn')
    assert [m.name for m in net.modules] == ['conv1', 'relu1', 'norm1', 'pool1']


@pytest.mark.gpu
def test_alexnet_converts_with_cudnn_and_benchmarks_on_the_gpu(tmp_path, capsys):
    """convert_model -backend cudnn (loadcaffe's cudnn modules, with groups), cnn_benchmark -gpu 0 -use_cudnn 1."""
    pytest.importorskip('cupy')
    data, count = caffe_net('alexnet', 16, np.random.default_rng(2))
    proto, binary = write(tmp_path, data)
    out_t7 = str(tmp_path / 'alexnet.t7')
    convert_model.main(['-input_prototxt', proto, '-input_caffemodel', binary, '-backend', 'cudnn',
                        '-output_t7', out_t7])
    saved = lg.load(out_t7)
    assert n_parameters(saved) == count
    assert [m.groups for m in saved.findModules('cudnn.SpatialConvolution')[0]] == [1, 2, 1, 2, 2]
    out_json = str(tmp_path / 'out.json')
    cnn_benchmark.main(['-model_t7', out_t7, '-gpu', '0', '-batch_size', '2', '-num_passes', '1',
                        '-output_json', out_json])
    with open(out_json) as f:
        report = json.load(f)
    assert report['cudnn_version'] == cudnn.version and len(report['total_times']) == 1


def test_json_round_trip_and_read_json_reading_the_second_line(tmp_path):
    """utils.lua's write_json writes one line of cjson; its read_json reads a first line, decodes the second
    and reads a third, so it reads back a file whose JSON stands on the second line (a one-line file gives
    cjson.decode(nil), an error in Lua; a ValueError here)."""
    path = str(tmp_path / 'out.json')
    utils.write_json(path, {'forward_times': [0.5, 0.25], 'gpu_name': 'cpu'})
    with open(path) as f:
        text = f.read()
    assert '\n' not in text and json.loads(text) == {'forward_times': [0.5, 0.25], 'gpu_name': 'cpu'}
    with pytest.raises(ValueError):
        utils.read_json(path)
    with open(path, 'w') as f:
        f.write('header\n' + text + '\n')
    assert utils.read_json(path) == {'forward_times': [0.5, 0.25], 'gpu_name': 'cpu'}
