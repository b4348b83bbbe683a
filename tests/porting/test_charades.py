"""gsig/charades-algorithms' Torch7 code (tests/porting/charades/, one file per Lua file) run on tiny synthetic
Charades videos: frames ``<data>/<id>/<id>-NNNNNN.jpg`` (flow: ``...x.jpg``/``...y.jpg``), Charades CSVs with
``id`` and ``actions`` (``c012 0.1 0.2;...``), and a VGG-16-shaped Caffe stand-in (VGG-16's layer names and five
blocks, one narrow 3x3 convolution each, fc6, fc7 of 4096 as vgg16lstm.lua's ``nn.View(1,4096)`` needs, fc8)
written with tests/test_loadcaffe.py's protobuf writer for models/vgg16.lua's ``loadcaffe.load``.

The repository runs on a GPU only (``:cuda()``, ``torch.CudaTensor()`` and ``cutorch`` unconditionally). The
CPU runs stand in for it with ``host_cuda``: module and tensor ``cuda()`` return themselves, ``torch.CudaTensor``
is the FloatTensor, ``cutorch.manualSeedAll`` seeds nothing. The GPU test runs the same experiment without the
stand-in (a device, or CuPy's host simulator with ``LEGONN_GPU_SIM=1``).

Frames of class k are painted in class k's colour so that a few SGD steps learn them; the test videos are
annotated with every one of the 157 classes between them (the whole-video mAP averages all 157 APs, and a
class no video has is NaN, as Lua's 0/0), and one test video has no annotation (test2 ranks it last). The
generators' 4,000,000-row preallocation is cut to 400 rows on the CPU (``small_preallocation``)."""
import math
import os
import shutil
import types
import warnings

import numpy as np
import pytest

import legonn as lg
from legonn import cutorch, image, nn, threads
from tests.test_loadcaffe import conv_param, f32, msg, pool_param, v, v1_layer, v2_layer

from .charades import train
from .charades.datasets import charades_gen, charadesflow, charadesflow_gen, charadessync_gen, charadessyncflow_gen
from .charades.exp import flownet, lstmflownet, lstmrgbnet, rgbnet, rgbnet_localize, rgbnet_test
from .charades.layers.CrossEntropyCriterion import CrossEntropyCriterion

COLOURS = [(230, 30, 30), (30, 200, 40), (40, 60, 220)]   # the training classes c000, c001, c002
FRAMES = 20   # frames a video (24 fps: 0.83 s); the generators look at frames 1, 5, 9, 13, 17


# --- the synthetic videos ---------------------------------------------------------------------------------------

def _frame(colour, rng, h=24, w=32):
    pixels = np.asarray(colour, np.float64)[:, None, None] + rng.normal(0, 12, (3, h, w))
    return lg.ByteTensor(np.clip(pixels, 0, 255).astype(np.uint8))


def _video(data, id, colour, rng, flow=False):
    """RGB frames of the colour with noise; flow frames: x of frame f grey 10 f, y 10 f + 5, plus the colour's
    red level / 8 so that the classes differ."""
    os.makedirs(data / id)
    for f in range(1, FRAMES + 1):
        if flow:
            for k, xy in enumerate('xy'):
                grey = np.full((1, 24, 32), 10 * f + 5 * k + colour[0] // 8, np.uint8)
                image.save(str(data / id / f'{id}-{f:06d}{xy}.jpg'), lg.ByteTensor(grey))
        else:
            image.save(str(data / id / f'{id}-{f:06d}.jpg'), _frame(colour, rng))


def charades_tree(root, flow=False, train_videos=6, test_videos=4, blank=True):
    """``root/data`` with the videos, ``root/train.csv`` and ``root/test.csv``. Training video k shows class
    k % 3 throughout (one action from 0 s to 1 s); test video k shows class k % 3 and is annotated with it
    (over the whole video) and with the classes j = k mod test_videos among 3..156 in 0.1 s windows; one more
    test video, ``TEST9`` (``blank``), has no annotation."""
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
    if blank:
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
            layers.append(layer(f'pool{block}', kinds.get('Pooling', 'Pooling'),
                                pool_param(numbers['pool'], 0, pool, pool)))
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


def host_cuda(mp):
    """The CPU stand-in for the GPU the repository needs (see the module docstring), on a MonkeyPatch."""
    from legonn.modules.base.typed import Typed
    from legonn.tensor.tensor import Tensor
    mp.setattr(Typed, 'cuda', lambda self: self)
    mp.setattr(Tensor, 'cuda', lambda self: self)
    mp.setattr(lg, 'CudaTensor', lg.FloatTensor)
    mp.setattr(cutorch, 'manualSeedAll', lambda seed: None)


def small_preallocation(mp, rows=400):
    """The generators' ``torch.IntTensor(4000000, opt.nClasses):zero() --allocating memory`` for the val2 targets is
    2.5 GB, and ``torch.save`` of its ``[{{1,count},{}}]`` view writes the whole storage, in legonn as in Torch7
    (docs/format.md: a storage is saved whole), so the cache file is 2.5 GB and each of datasets/init.lua's three
    ``create`` calls reads it whole again. The CPU runs give the four generators a ``torch`` whose IntTensor
    makes ``rows`` rows where the line asks for 4,000,000 (the synthetic test set fills 125)."""
    def IntTensor(*args):
        return lg.IntTensor(rows, *args[1:]) if args and args[0] == 4000000 else lg.IntTensor(*args)
    small = types.SimpleNamespace(**{k: getattr(lg, k) for k in dir(lg) if not k.startswith('__')})
    small.IntTensor = IntTensor
    for gen in (charades_gen, charadesflow_gen, charadessync_gen, charadessyncflow_gen):
        mp.setattr(gen, 'lg', small)


def paths_of(root, data, **more):
    """The values a user edits in an exp file: the data, CSV, cache and pretrained paths, and sizes."""
    return {**dict(data=str(data) + '/', trainfile=str(root / 'train.csv'), testfile=str(root / 'test.csv'),
                   cacheDir=str(root / 'cache') + '/', pretrainpath=str(root / 'pretrained') + '/'), **more}


def run_exp(mp, exp, root, data, **more):
    """``dofile 'exp/<name>.lua'`` after the user's edits, with main.lua's process-wide settings put back."""
    mp.setattr(exp, 'morearg', edited(exp.morearg, **paths_of(root, data, **more)))
    before, nthreads = threads.Threads.serialization(), lg.getnumthreads()
    try:
        return exp.run([])
    finally:
        threads.Threads.serialization(before)
        lg.setnumthreads(nthreads)


SMALL = dict(batchSize='8', accumGrad='1', epochSize='1', testSize='0.1', nEpochs='3', LR='0.003', manualSeed='2')


@pytest.fixture(scope='module')
def rgb(tmp_path_factory):
    """exp/rgbnet.lua, edited as a user would (paths; batches of 8, one step a batch, 3 epochs, LR 0.003), run on
    the CPU stand-in: returns the folder, the data folder and main's results."""
    pytest.importorskip('PIL')
    root = tmp_path_factory.mktemp('charades')
    data = charades_tree(root)
    (root / 'pretrained').mkdir()
    vgg_caffemodel(root / 'pretrained' / 'VGG_ILSVRC_16_layers.caffemodel')
    with pytest.MonkeyPatch.context() as mp:
        host_cuda(mp)
        small_preallocation(mp)
        mp.chdir(root)                  # datasets/init.lua makes 'gen' in the working directory
        out = run_exp(mp, rgbnet, root, data, **SMALL)
    return root, data, out


def thumos_ap(scores, labels):
    """Average precision of one class, from its definition: the precision at each positive's rank (videos sorted
    by score, highest first), averaged over the positives; NaN without positives."""
    order = np.argsort(-scores, kind='stable')
    hits = labels[order] == 1
    if not hits.any():
        return math.nan
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return precision[hits].mean()


# --- the experiments ------------------------------------------------------------------------------------------

def test_rgbnet_trains_and_scores_whole_videos(rgb):
    """exp/rgbnet.lua's two epochs: the training loss falls, and test2's per-class AP is THUMOS'15's AP of the
    probabilities main.lua wrote to ``epochN.txt`` (each video's 25 frames' softmax averaged), the unannotated
    video ranked last (-inf) in every class; the mAP is their mean, finite as every class has a video."""
    root, data, out = rgb
    results = out['results']
    assert len(results) == 3
    assert results[2]['trainLoss'] < results[0]['trainLoss']
    save = root / 'cache' / 'rgbnet' / 'checkpoints'
    lines = (save / 'epoch3.txt').read_text().splitlines()
    names = [line.split(' ')[0] for line in lines]
    probs = np.array([[float(x) for x in line.split(' ')[1:]] for line in lines])
    assert names == ['TST00', 'TST01', 'TST02', 'TST03', 'TEST9'] and probs.shape == (5, 157)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    gt = np.zeros((5, 157))
    for k in range(4):
        gt[k, [k % 3] + [j for j in range(3, 157) if j % 4 == k]] = 1
    probs[4] = -np.inf
    expected = np.array([thumos_ap(probs[:, c], gt[:, c]) for c in range(157)])
    AP = results[2]['AP']
    assert AP.size() == (157, 1)
    np.testing.assert_allclose(AP.numpy()[:, 0], expected, rtol=1e-5)
    assert results[2]['score'][4] == pytest.approx(expected.mean(), rel=1e-5)


def test_rgbnet_checkpoints_and_scores(rgb):
    """checkpoints.lua: each epoch's model, optimState (one sgd state a parameter tensor) and latest.t7, the
    score files (train top1/top5, test top1/top5, mAP as Lua's ``..`` writes numbers), the best model."""
    root, data, out = rgb
    save = root / 'cache' / 'rgbnet' / 'checkpoints'
    latest = lg.load(str(save / 'latest.t7'))
    assert latest == {'epoch': 3, 'modelFile': 'model_3.t7', 'optimFile': 'optimState_3.t7'}
    optimState = lg.load(str(save / 'optimState_3.t7'))
    trainer = out['trainer']
    assert len(optimState) == trainer.L == 16   # weight and bias of conv1_1 ... conv5_1, fc6, fc7, fc8
    score = out['results'][2]['score']
    text = (save / 'model_003.txt').read_text()
    assert text == ''.join(f'{k}: {lg.tostring(v)}\n' for k, v in zip(
        ['train top1', 'train top5', 'test top1', 'test top5', 'mAP'], score))
    assert (save / 'latest.txt').read_text() == text
    model = lg.load(str(save / 'model_3.t7'))
    assert model.get(len(model.modules) - 1).name == 'fc8'
    for p, q in zip(model.parameters()[0], trainer.params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert (save / 'model_best.t7').exists() and (root / 'cache' / 'rgbnet' / 'log.txt').exists()


def test_rgbnet_test_retrains_the_checkpoint_and_gets_its_ap(rgb, monkeypatch):
    """exp/rgbnet_test.lua (``-testOnly``, ``-retrain`` a saved model): test2 alone, on the reloaded epoch-3 model,
    gives the AP the training run had after epoch 3 (evaluation is deterministic); the lists are the cached ones."""
    root, data, out = rgb
    host_cuda(monkeypatch)
    monkeypatch.chdir(root)
    model = str(root / 'cache' / 'rgbnet' / 'checkpoints' / 'model_3.t7')
    result = run_exp(monkeypatch, rgbnet_test, root, data, retrain=model, gen=str(root / 'cache' / 'rgbnet' / 'gen'))
    np.testing.assert_allclose(result['AP'].numpy(), out['results'][2]['AP'].numpy(), rtol=1e-5)



def test_rgbnet_localize_dumps_frame_scores(rgb, monkeypatch):
    """exp/rgbnet_localize.lua (``-dumpLocalize``), here with ``-testOnly`` on the saved model and cuDNN's
    deterministic modes: test2 writes ``localize0.txt``, one line per val2 frame (video id, frame 1 ... 25, 157
    probabilities), whose means per video are its ``epoch0.txt``. With ``-tenCrop true`` charades.lua crops val2
    frames ten times too, but dataloader.lua stacks ten crops for ``val`` only, so test2 hands the VGG a 5-D
    batch, which a convolution refuses, in Torch7 as here: the repository's ten-crop testing cannot run."""
    root, data, out = rgb
    host_cuda(monkeypatch)
    monkeypatch.chdir(root)
    model = str(root / 'cache' / 'rgbnet' / 'checkpoints' / 'model_3.t7')
    edits = dict(SMALL, testOnly='true', retrain=model, cudnn='deterministic', gen=str(root / 'cache' / 'rgbnet' / 'gen'))
    with pytest.raises(ValueError, match='expected a 3-D or 4-D input, got 5-D of size \\(25, 10, 3, 224, 224\\)'):
        run_exp(monkeypatch, rgbnet_localize, root, data, tenCrop='true', **edits)
    run_exp(monkeypatch, rgbnet_localize, root, data, tenCrop='false', **edits)
    save = root / 'cache' / 'rgbnet_localize' / 'checkpoints'
    lines = [line.split(' ') for line in (save / 'localize0.txt').read_text().splitlines()]
    videos = ['TST00', 'TST01', 'TST02', 'TST03', 'TEST9']
    assert [(line[0], line[1]) for line in lines] == [(v, str(f)) for v in videos for f in range(1, 26)]
    frames = np.array([[float(x) for x in line[2:]] for line in lines]).reshape(5, 25, 157)
    epoch = (save / 'epoch0.txt').read_text().splitlines()
    means = np.array([[float(x) for x in line.split(' ')[1:]] for line in epoch])
    np.testing.assert_allclose(frames.mean(1), means, rtol=1e-4, atol=1e-7)


def test_lstmrgbnet_trains_an_lstm_on_the_rgb_model(rgb, tmp_path, monkeypatch):
    """exp/lstmrgbnet.lua on models/vgg16lstm.lua: the rgbnet run's best model is its ``twostream_rgb.t7``; the
    synchronous generator gives each training video ``batchSize`` frames in order, the loader one video a
    batch (train.lua's check holds), the LSTM reads it as one sequence, and the loss falls over the epochs."""
    root, data, out = rgb
    host_cuda(monkeypatch)
    small_preallocation(monkeypatch)
    monkeypatch.chdir(tmp_path)
    pretrained = tmp_path / 'pretrained'
    pretrained.mkdir()
    shutil.copy(root / 'cache' / 'rgbnet' / 'checkpoints' / 'model_best.t7', pretrained / 'twostream_rgb.t7')
    result = run_exp(monkeypatch, lstmrgbnet, root, data, **dict(
        SMALL, batchSize='4', epochSize='0.5', testSize='0.25', nEpochs='2', LR='0.005', cacheDir=str(tmp_path / 'cache') + '/',
        pretrainpath=str(pretrained) + '/'))
    trainer = result['trainer']
    model = trainer.model
    assert [lg.typename(model.get(i)) for i in range(len(model.modules) - 4, len(model.modules))] == [
        'nn.View', 'cudnn.LSTM', 'nn.View', 'nn.Linear']
    info = lg.load(str(tmp_path / 'cache' / 'lstmrgbnet' / 'gen' / 'charadessync.t7'))['train']
    ids = [lg.ffi.string(info['ids'][i].data()) for i in range(info['ids'].size(0))]
    assert ids == [f'TRN{k:02d}' for k in range(6) for _ in range(4)]
    assert info['imageClass'].tolist() == [k % 3 for k in range(6) for _ in range(4)]
    losses = [r['trainLoss'] for r in result['results']]
    assert losses[-1] < losses[0]
    assert [trainer.optimState[i]['learningRate'] for i in range(trainer.L)] == [0.005] * trainer.L


@pytest.fixture(scope='module')
def flow(tmp_path_factory):
    """exp/flownet.lua, edited (paths; batches of 4, two loader threads, the whole training list, one epoch), on
    3 training videos and 1 test video of flow frames (x and y of frame f grey levels 10 f and 10 f + 5, plus the
    class's shade), and a V2 UCF101 stand-in."""
    pytest.importorskip('PIL')
    root = tmp_path_factory.mktemp('charadesflow')
    data = charades_tree(root, flow=True, train_videos=3, test_videos=1, blank=False)
    (root / 'pretrained').mkdir()
    vgg_caffemodel(root / 'pretrained' / 'VGG_UCF101_16_layers.caffemodel', planes=20, v1=False)
    with pytest.MonkeyPatch.context() as mp:
        host_cuda(mp)
        small_preallocation(mp)
        mp.chdir(root)
        out = run_exp(mp, flownet, root, data, **dict(SMALL, batchSize='4', nThreads='2', epochSize='1', nEpochs='1'))
    return root, data, out


def test_flownet_stacks_ten_flow_frames_and_trains(flow):
    """datasets/charadesflow-gen.lua keeps the frames with 11 frames of flow after them (frame 5 of 20: N is
    #lines/2 = 20), ``val2`` 25 frames of ``linspace(1, N-11, 25)``; charadesflow.lua stacks x and y of frames
    5 ... 14 as planes 0 ... 19; models/vgg16flow.lua takes 20 planes (optnet's charadesflow sample too)."""
    root, data, out = flow
    info = lg.load(str(root / 'cache' / 'flownet' / 'gen' / 'charadesflow.t7'))
    listed = info['train']['imagePath']
    train_paths = [lg.ffi.string(listed[i].data()) for i in range(listed.size(0))]
    assert train_paths == [f'{data}//TRN{k:02d}/TRN{k:02d}-000005x.jpg' for k in range(3)]
    val2 = [lg.ffi.string(info['val2']['imagePath'][i].data()) for i in range(25)]
    assert val2 == [f'{data}//TST00/TST00-{int(f):06d}x.jpg' for f in np.linspace(1, 9, 25)]
    opt = {'data': str(data) + '/', 'tenCrop': False}
    dataset = charadesflow.CharadesDataset(info, opt, 'train')
    sample = dataset.get(0)
    assert sample['input'].size() == (20, 24, 32) and sample['target'] == 0 and sample['id'] == 'TRN00'
    shade = COLOURS[0][0] // 8
    planes = sample['input'].numpy().mean((1, 2)) * 255
    np.testing.assert_allclose(planes, [10 * f + 5 * k + shade for f in range(5, 15) for k in (0, 1)], atol=1.5)
    AP = out['results'][0]['AP'].numpy()[:, 0]
    # the one test video has every class but c001 and c002, which no video has
    assert np.isnan(AP[[1, 2]]).all() and (np.delete(AP, [1, 2]) == 1).all()
    assert math.isnan(out['results'][0]['score'][4])   # AP:mean() of NaNs, as in Torch7
    assert out['trainer'].model.get(0).nInputPlane == 20


def test_lstmflownet_optnet_sample_has_three_planes(flow, tmp_path, monkeypatch):
    """exp/lstmflownet.lua cannot run, in Torch7 as here: models/init.lua gives optnet a 3-plane sample for every
    dataset but ``charadesflow``, and ``charadessyncflow``'s 20-plane model refuses it (the experiment ran with
    ``-optnet false`` in effect); legonn names the convolution and the planes."""
    root, data, out = flow
    host_cuda(monkeypatch)
    small_preallocation(monkeypatch)
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'pretrained').mkdir()
    shutil.copy(root / 'cache' / 'flownet' / 'checkpoints' / 'model_best.t7',
                tmp_path / 'pretrained' / 'twostream_flow.t7')
    with pytest.raises(ValueError) as err:
        run_exp(monkeypatch, lstmflownet, root, data, **dict(SMALL, batchSize='1',
                                                             cacheDir=str(tmp_path / 'cache') + '/',
                                                             pretrainpath=str(tmp_path / 'pretrained') + '/'))
    assert 'expected an input with 20 planes in dimension 1, got 3 planes' in str(err.value)


# --- the pieces -----------------------------------------------------------------------------------------------

def test_map_is_thumos_average_precision():
    """train.lua's mAP: ranks by score, averages the precision at each positive: positives at ranks 1 and 3 of
    4 give (1/1 + 2/3) / 2; a class without positives is Lua's 0/0, NaN; charades_ap ranks a video without any
    annotation last (-inf) in every class, so here it costs nothing."""
    conf = lg.Tensor([[0.9], [0.8], [0.7], [0.6]])
    gt = lg.Tensor([[1], [0], [1], [0]])
    rec, prec, ap = train.mAP(conf, gt)
    assert ap == pytest.approx((1 + 2 / 3) / 2)
    np.testing.assert_allclose(rec.numpy()[:, 0], [0.5, 0.5, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)   # rec = tp/npos is 0/0 too, NaN as in TH
        assert math.isnan(train.mAP(conf, lg.Tensor(4, 1).zero())[2])
    outputs = lg.rand(3, 157)
    outputs[2].fill(1)                    # the highest score in every class, but no annotation
    gt = lg.Tensor(3, 157).zero()
    gt[0].fill(1)
    gt[1, 5] = 1
    ap = train.charades_ap(outputs, gt).numpy()[:, 0]
    expected = [thumos_ap(np.where([True, True, False], outputs.numpy()[:, c], -np.inf), gt.numpy()[:, c])
                for c in range(157)]
    np.testing.assert_allclose(ap, expected, rtol=1e-6)
    assert train.tensor2str(lg.Tensor([1, 0.5, 0.25])) == '1 0.5 0.25'


def test_layer_names_give_per_layer_learning_rates(tmp_path):
    """train.lua's Trainer: one sgd state a parameter tensor, named by its module; ``-conv1LR`` ... ``-fc8LR``
    scale the rate of the layers whose name holds conv1 ... fc8; learningRateModifier divides by 10 every
    ``-LR_decay_freq`` epochs (imagenet: 30; cifar10: at 81 and 122)."""
    model = nn.Sequential()
    for name, m in (('conv1_1', nn.SpatialConvolution(3, 2, 3, 3)), ('relu', nn.ReLU()),
                    ('conv5_1', nn.SpatialConvolution(2, 2, 3, 3)), ('', nn.View(-1)), ('fc8', nn.Linear(2, 3))):
        if name:
            m.name = name
        model.add(m)
    opt = {'LR': 0.1, 'momentum': 0.9, 'weightDecay': 5e-4, 'LR_decay_freq': 6, 'conv1LR': 0.5, 'conv2LR': 1,
           'conv3LR': 1, 'conv4LR': 1, 'conv5LR': 2, 'fc8LR': 10, 'dataset': 'charades'}
    trainer = train.Trainer(model, nn.CrossEntropyCriterion(), opt)
    assert train.layer_names(model) == ['conv1_1', 'conv1_1', 'conv5_1', 'conv5_1', 'fc8', 'fc8']
    assert [s['learningRate'] for s in trainer.optimState] == pytest.approx([0.05, 0.05, 0.2, 0.2, 1, 1])
    assert all(s['originalLR'] == 0.1 and s['nesterov'] for s in trainer.optimState)
    assert [trainer.learningRateModifier(e) for e in (1, 6, 7, 13)] == pytest.approx([1, 1, 0.1, 0.01])
    opt['dataset'] = 'cifar10'
    assert [trainer.learningRateModifier(e) for e in (80, 81, 122)] == pytest.approx([1, 0.1, 0.01])


def test_the_layers_cross_entropy_is_nns():
    """layers/CrossEntropyCriterion.lua (unused by the repository) computes torch/nn's CrossEntropyCriterion: the
    same loss and gradient, for a batch and for one sample given as a 1 x n row (squeezed)."""
    lg.manualSeed(3)
    for x, t in ((lg.randn(4, 5), lg.LongTensor([0, 4, 2, 2])), (lg.randn(1, 5), lg.LongTensor([3]))):
        ours, theirs = CrossEntropyCriterion(), nn.CrossEntropyCriterion()
        assert ours.forward(x, t) == pytest.approx(theirs.forward(x.squeeze(), t.squeeze()))
        grad = ours.backward(x, t)
        assert grad.size() == x.size()
        expected = theirs.backward(x.squeeze(), t.squeeze()).numpy().reshape(-1)
        np.testing.assert_allclose(grad.numpy().reshape(-1), expected, rtol=1e-6)


def test_charades_csv_and_training_lists(tmp_path):
    """charades-gen.lua's parseCSV (csvigo 'tidy': a quoted field may hold commas; no actions, no labels) and the
    ``-setup softmax`` lists: every 4th frame inside an action (start excluded, 24 fps), 0-based classes;
    charadessync-gen.lua keeps ``batchSize`` of a video's (frame, class) pairs in frame order, or none."""
    data = tmp_path / 'data'
    rng = np.random.RandomState(0)
    _video(data, 'AB12', COLOURS[0], rng)
    (tmp_path / 'a.csv').write_text('id,scene,actions\nAB12,"Kitchen, big",c010 0.0 0.4;c002 0.3 0.6\nCD34,Hall,\n')
    labels = charades_gen.parseCSV(str(tmp_path / 'a.csv'))
    assert labels == {'AB12': [{'c': 'c010', 's': 0.0, 'e': 0.4}, {'c': 'c002', 's': 0.3, 'e': 0.6}], 'CD34': []}
    del labels['CD34']                                   # a video without frames would find nothing
    opt = {'data': str(data), 'setup': 'softmax', 'nClasses': 157, 'batchSize': 3}
    paths_, classes, ids = charades_gen.prepare(opt, labels, 'train')
    listed = [lg.ffi.string(paths_[i].data())[-10:] for i in range(paths_.size(0))]
    # c010 over (0, 0.4): frames 5 (0.17 s) and 9 (0.33 s); c002 over (0.3, 0.6): frames 9 and 13 (0.5 s)
    assert listed == ['000005.jpg', '000009.jpg', '000009.jpg', '000013.jpg'] and classes.tolist() == [10, 10, 2, 2]
    assert lg.ffi.string(ids[0].data()) == 'AB12'
    lg.manualSeed(1)
    paths_, classes, ids = charadessync_gen.prepare(opt, labels, 'train')
    frames = [int(lg.ffi.string(paths_[i].data())[-10:-4]) for i in range(paths_.size(0))]
    assert len(frames) == 3 and frames == sorted(frames)   # 3 of the 4 pairs, in frame order


def test_an_epoch_size_below_one_batch_is_zero_batches(tmp_path):
    """dataloader.lua's ``if self.epochSize and (self.epochSize < 1)`` tests nil: an epochSize fraction that floors
    to 0 stays 0 (true in Lua) and ``size()`` is 0 batches; Python's ``if 0`` would take the whole split."""
    from .charades import dataloader

    class Dataset:
        def size(self):
            return 20

        def preprocess(self):
            return None
    opt = {'manualSeed': 0, 'nThreads': 1, 'tenCrop': False, 'dataset': 'charades', 'epochSize': 0.1,
           'testSize': 0.5, 'batchSize': 4}
    loader = dataloader.DataLoader(Dataset(), opt, 'train')
    assert loader.epochSize == 0 and loader.size() == 0
    assert dataloader.DataLoader(Dataset(), opt, 'val').size() == 2   # testSize floor(0.5 * 20 / 4) * 4 = 8
    loader.threads.terminate()


def test_lua_idioms_the_port_rewrites():
    """docs/porting.md's rows for this port's Lua: charadesflow.lua's ``number-1+j`` of a string (Lua converts it,
    Python refuses), train.lua's ``sample.ids[{{i}}]`` of a table (nil in Lua, refused here)."""
    number = 'TRN00/TRN00-000005x.jpg'[-11:-5]
    with pytest.raises(TypeError):
        number - 1 + 2
    assert '%06d' % (int(number) - 1 + 2) == '000006'
    ids = ['TRN00', 'TRN00']
    with pytest.raises(TypeError):
        ids[[0]]


def test_flow_normalisation_covers_every_plane():
    """datasets/transforms.lua's ColorNormalize loops over ``img:size(1)`` planes (fb.resnet's over 3): the 20
    planes of a flow stack each lose charadesflow.lua's 128/255."""
    img = lg.Tensor(20, 4, 4).fill(0.5)
    out = charadesflow.t.ColorNormalize(charadesflow.meanstd)(img)
    np.testing.assert_allclose(out.numpy(), 0.5 - 128 / 255, atol=1e-7)


@pytest.mark.gpu
def test_rgbnet_on_the_gpu(tmp_path, monkeypatch):
    """exp/rgbnet.lua as the repository runs it, without the CPU stand-in: the VGG from loadcaffe's 'cudnn'
    backend, CUDA input and target buffers; the loss falls and test2 scores the videos."""
    pytest.importorskip('cupy')
    pytest.importorskip('PIL')
    data = charades_tree(tmp_path)
    (tmp_path / 'pretrained').mkdir()
    vgg_caffemodel(tmp_path / 'pretrained' / 'VGG_ILSVRC_16_layers.caffemodel')
    small_preallocation(monkeypatch)
    monkeypatch.chdir(tmp_path)
    out = run_exp(monkeypatch, rgbnet, tmp_path, data, **SMALL)
    trainer = out['trainer']
    assert trainer.input.type() == 'legonn.CudaTensor' and trainer.params[0].type() == 'legonn.CudaTensor'
    losses = [r['trainLoss'] for r in out['results']]
    assert losses[-1] < losses[0] and out['results'][-1]['AP'].size() == (157, 1)
