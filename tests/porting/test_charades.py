"""gsig/charades-algorithms' Torch7 code (tests/porting/charades/, one file per Lua file) run on tiny synthetic
Charades videos: frames ``<data>/<id>/<id>-NNNNNN.jpg`` (flow: ``...x.jpg``/``...y.jpg``), Charades CSVs with
``id`` and ``actions`` (``c012 0.1 0.2;...``), and a VGG-16-shaped Caffe stand-in (13 narrow 3x3 convolutions
in VGG-16's blocks, fc6, fc7 of 4096 as vgg16lstm.lua's ``nn.View(1,4096)`` needs, fc8) written with
tests/test_loadcaffe.py's protobuf writer for models/vgg16.lua's ``loadcaffe.load``.

The repository runs on a GPU only (``:cuda()``, ``torch.CudaTensor()`` and ``cutorch`` unconditionally). The
CPU runs stand in for it with ``host_cuda``: module and tensor ``cuda()`` return themselves, ``torch.CudaTensor``
is the FloatTensor, ``cutorch.manualSeedAll`` seeds nothing. The GPU test runs the same experiment without the
stand-in (a device, or CuPy's host simulator with ``LEGONN_GPU_SIM=1``).

Frames of class k are painted in class k's colour so that a few SGD steps learn them; the test videos are
annotated with every one of the 157 classes between them (the whole-video mAP averages all 157 APs, and a
class no video has is NaN, as Lua's 0/0), and one test video has no annotation (test2 ranks it last)."""
import math
import os
import shutil

import numpy as np
import pytest

import legonn as lg
from legonn import cutorch, image, nn
from tests.test_loadcaffe import conv_param, f32, msg, pool_param, v, v1_layer, v2_layer

from .charades import checkpoints, train
from .charades.datasets import charades_gen, charadesflow, charadessync_gen, init as datasets
from .charades.exp import lstmrgbnet, rgbnet, rgbnet_test
from .charades.layers.CrossEntropyCriterion import CrossEntropyCriterion

pytestmark = pytest.mark.usefixtures('sharedserialize')   # Threads.serialization('threads.sharedserialize')

COLOURS = [(230, 30, 30), (30, 200, 40), (40, 60, 220)]   # the training classes c000, c001, c002
FRAMES = 16   # frames a video (24 fps: 0.67 s); the generators take frames 1, 5, 9, 13


# --- the synthetic videos ---------------------------------------------------------------------------------------

def _frame(colour, rng, h=24, w=32):
    pixels = np.asarray(colour, np.float64)[:, None, None] + rng.normal(0, 12, (3, h, w))
    return lg.ByteTensor(np.clip(pixels, 0, 255).astype(np.uint8))


def _video(data, id, colour, rng, flow=False):
    os.makedirs(data / id)
    for f in range(1, FRAMES + 1):
        if flow:
            for xy in 'xy':
                grey = _frame(colour, rng)[0:1]
                image.save(str(data / id / f'{id}-{f:06d}{xy}.jpg'), grey)
        else:
            image.save(str(data / id / f'{id}-{f:06d}.jpg'), _frame(colour, rng))


def charades_tree(root, flow=False, train_videos=6, test_videos=4):
    """``root/data`` with the videos, ``root/train.csv`` and ``root/test.csv``. Training video k shows class
    k % 3 throughout (one action from 0 s to 1 s); test video k shows class k % 3 and is annotated with it
    (over the whole video) and with the classes j = k mod test_videos among 3..156 in 0.1 s windows; one more
    test video, ``TEST9``, has no annotation."""
    rng = np.random.RandomState(5)
    data = root / 'data'
    rows_train, rows_test = ['id,subject,actions'], ['id,subject,actions']
    for k in range(train_videos):
        id = f'TRN{k:02d}'
        _video(data, id, COLOURS[k % 3], rng, flow)
        rows_train.append(f'{id},"S{k}, kitchen",c{k % 3:03d} 0.0 1.0')
    for k in range(test_videos):
        id = f'TST{k:02d}'
        _video(data, id, COLOURS[k % 3], rng, flow)
        extra = [f'c{j:03d} 0.1 0.2' for j in range(3, 157) if j % test_videos == k]
        rows_test.append(f'{id},S{k},' + ';'.join([f'c{k % 3:03d} 0.0 1.0'] + extra))
    _video(data, 'TEST9', COLOURS[0], rng, flow)
    rows_test.append('TEST9,S9,')
    (root / 'train.csv').write_text('\n'.join(rows_train) + '\n')
    (root / 'test.csv').write_text('\n'.join(rows_test) + '\n')
    return data


VGG = [(4, 4), (8, 4), (8, 2), (8, 1), (8, 1)]   # (planes, pooling) of blocks conv1 ... conv5: 224 -> 7


def vgg_caffemodel(path, planes=3, v1=True, seed=0):
    """A Caffe deploy net shaped as VGG-16 (its layer names, five blocks of 3x3 pad-1 convolutions and max pooling
    down to 7 x 7, fc6, fc7 with ReLU and Dropout, fc8, softmax), small enough for the CPU: one convolution a
    block, 4 or 8 planes, the first two poolings 4x4, fc6 of 64, fc7 of 4096, fc8 of 10. ``v1``:
    in the V1 format of the ILSVRC VGG-16 file, whose softmax loadcaffe adds (vgg16.lua removes it); else V2,
    whose softmax loadcaffe leaves out (vgg16flow.lua has the removal commented out)."""
    rng = np.random.default_rng(seed)
    nin = planes
    if v1:
        layer, numbers = (lambda name, type, *fields, blobs=(): v1_layer(name, type.upper(), *fields, blobs=blobs)), \
            {'conv': 10, 'pool': 19, 'ip': 17, 'drop': 12}
        kinds = {'Convolution': 'CONVOLUTION', 'Pooling': 'POOLING', 'InnerProduct': 'INNER_PRODUCT'}
    else:
        layer, numbers, kinds = v2_layer, {'conv': 106, 'pool': 121, 'ip': 117, 'drop': 108}, {}
    layers = [layer('data', 'Data' if v1 else 'Input')]

    def weighted(name, type, param, shape):
        w = (rng.standard_normal(shape) * np.sqrt(2 / np.prod(shape[1:]))).astype(np.float32)
        layers.append(layer(name, kinds.get(type, type), param, blobs=(w, np.zeros(shape[0], np.float32))))

    for block, (c, pool) in enumerate(VGG, 1):
        weighted(f'conv{block}_1', 'Convolution', conv_param(numbers['conv'], c, 3, pad=1), (c, nin, 3, 3))
        layers.append(layer(f'relu{block}_1', 'ReLU'))
        if pool > 1:
            layers.append(layer(f'pool{block}', kinds.get('Pooling', 'Pooling'), pool_param(numbers['pool'], 0, pool, pool)))
        nin = c
    nin = nin * 7 * 7
    for k, out in ((6, 64), (7, 4096), (8, 10)):
        weighted(f'fc{k}', 'InnerProduct', msg(numbers['ip'], v(1, out)), (out, nin))
        if k < 8:
            layers += [layer(f'relu{k}', 'ReLU'), layer(f'drop{k}', 'Dropout', msg(numbers['drop'], f32(1, 0.5)))]
        nin = out
    layers.append(layer('prob', 'Softmax'))
    path.write_bytes(b''.join(layers))


def edited(morearg, **values):
    """The experiment's ``morearg`` with the values a user edits (the paths, smaller sizes)."""
    out = list(morearg)
    for key, value in values.items():
        if '-' + key in out:
            out[out.index('-' + key) + 1] = value
        else:
            out += ['-' + key, value]
    return out


@pytest.fixture
def host_cuda(monkeypatch):
    """The CPU stand-in for the GPU the repository needs (see the module docstring)."""
    from legonn.modules.base.typed import Typed
    from legonn.tensor.tensor import Tensor
    monkeypatch.setattr(Typed, 'cuda', lambda self: self)
    monkeypatch.setattr(Tensor, 'cuda', lambda self: self)
    monkeypatch.setattr(lg, 'CudaTensor', lg.FloatTensor)
    monkeypatch.setattr(cutorch, 'manualSeedAll', lambda seed: None)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    pytest.importorskip('PIL')
    monkeypatch.chdir(tmp_path)          # datasets/init.lua makes 'gen' in the working directory
    data = charades_tree(tmp_path)
    (tmp_path / 'pretrained').mkdir()
    vgg_caffemodel(tmp_path / 'pretrained' / 'VGG_ILSVRC_16_layers.caffemodel')
    return tmp_path, data


def rgb_args(root, data, **more):
    return dict(data=str(data) + '/', trainfile=str(root / 'train.csv'), testfile=str(root / 'test.csv'),
                cacheDir=str(root / 'cache') + '/', pretrainpath=str(root / 'pretrained') + '/', **more)


def test_rgbnet_trains_and_evaluates_whole_videos(tree, host_cuda, monkeypatch, capsys):
    root, data = tree
    monkeypatch.setattr(rgbnet, 'morearg', edited(rgbnet.morearg, **rgb_args(
        root, data, batchSize='8', accumGrad='1', epochSize='1', testSize='1', nEpochs='3', LR='0.01',
        manualSeed='2', optnet='false')))
    out = rgbnet.run([])
    losses = [r['trainLoss'] for r in out['results']]
    print(losses, [r['score'] for r in out['results']])
    assert losses[-1] < losses[0]
