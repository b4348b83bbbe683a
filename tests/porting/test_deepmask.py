"""facebookresearch/deepmask run through its port, tests/porting/deepmask/ (one file per Lua file; the package's
docstring and each file's say what is edited beyond syntax and indices). tests/porting/test_deepmask_idioms.py
holds the earlier idiom ports (symmetric padding's numbers, inference's Linear-to-convolution equivalence,
SharpMask's refinement, the IoU meter against NumPy); this file runs the scripts.

Stand-ins: COCO 2014 is a tiny synthetic COCO-format dataset (deepmask/synthetic_coco.py: four 96 x 96 images of
bright polygons, one object per each of the 80 category ids), the COCO API is deepmask/coco.py, and
``pretrained/resnet-50.t7`` a small random trunk of ResNet-50's layout (deepmask/resnet_standin.py). Sizes are
shrunk: ``-iSz 32`` (a 64 x 64 input, fSz 2), ``-oSz 8``, ``-gSz 16``, batches of 4.

deepmask is a CUDA program (DeepMask.lua calls ``:cuda()`` as it builds, the trainers copy batches into
CudaTensors, inference pads into one): the scripts' tests are GPU tests, run on CuPy's host simulator here
(``LEGONN_GPU_SIM=1``) and skipped without CuPy; the sampler, the loader's batches, the meters and the COCO
stand-in run on the CPU.
"""
import inspect
import math
import os
import random

import numpy as np
import pytest

import legonn as lg
from legonn import threads

from .deepmask import coco, resnet_standin, synthetic_coco
from .deepmask.DataSampler import DataSampler
from .deepmask.trainMeters import BinaryMeter, IouMeter, LossMeter

CONFIG = {'datadir': None, 'iSz': 32, 'gSz': 16, 'scale': .25, 'shift': 4, 'maxload': 2, 'testmaxload': 1,
          'batch': 4, 'hfreq': 0.5, 'seed': 1, 'nthreads': 1}
TRAIN = ['-batch', '4', '-maxload', '3', '-testmaxload', '2', '-iSz', '32', '-oSz', '8', '-gSz', '16',
         '-shift', '4', '-nthreads', '1', '-datadir', 'data', '-rundir', 'exps']


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A run directory as deepmask expects it: ``data/`` (annotations and images of both splits) and
    ``pretrained/resnet-50.t7``, the scripts run from it."""
    for split, seed in (('train', 0), ('val', 1)):
        synthetic_coco.write(str(tmp_path / 'data'), split, seed=seed)
    lg.manualSeed(11)
    (tmp_path / 'pretrained').mkdir()
    lg.save(str(tmp_path / 'pretrained' / 'resnet-50.t7'), resnet_standin.resnet50_standin())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_coco_standin_masks_round_trip(tmp_path):
    """The stand-in's RLE: encode then decode gives the masks back; a polygon's mask covers its area."""
    masks = lg.ByteTensor(2, 7, 5).bernoulli(0.5)
    back = coco.MaskApi.decode(coco.MaskApi.encode(masks))
    np.testing.assert_array_equal(back.numpy(), masks.numpy())
    square = lg.DoubleTensor([1, 1, 5, 1, 5, 4, 1, 4])
    m = coco.MaskApi.decode(coco.MaskApi.frPoly([square], 6, 7))
    assert tuple(m.size()) == (1, 6, 7) and m.sum() == 4 * 3


def test_data_sampler_mask_and_score_samples(workdir):
    """DataSampler.lua: a mask sample is a wSz x wSz crop around a jittered object with its gSz x gSz mask as
    +-1 labels (both present: the object and its surroundings); a score sample is a wSz x wSz window with one
    +-1 label; both normalised with ImageNet's mean and std. The score structure keys the objects by scale."""
    lg.manualSeed(5)
    random.seed(5)
    ds = DataSampler(dict(CONFIG, datadir='data'), 'train')
    assert ds.size() == 2 * 4 and len(ds.scales) == 21 and len(ds.bbStruct) == 4
    assert all(len(bb['scales']) > 0 for bb in ds.bbStruct)
    for _ in range(3):
        inp, lbl = ds.get(1)
        assert tuple(inp.size()) == (3, 64, 64) and tuple(lbl.size()) == (16, 16)
        assert set(np.unique(lbl.numpy())) == {-1.0, 1.0}
    labels = set()
    for _ in range(8):
        inp, lbl = ds.get(2)
        assert tuple(inp.size()) == (3, 64, 64) and lbl.nElement() == 1
        labels.add(lbl[0])
    assert labels == {-1.0, 1.0}
    # mean 0.485 of channel 0 subtracted, divided by 0.229: the grey padding (0.5) of a window reads so
    assert inp.min() >= (0 - 0.485) / 0.229 - 1e-5 and inp.max() <= (1 - 0.406) / 0.225 + 1e-5


def test_crop_tensor_pads_outside_the_image():
    """DataSampler:cropTensor copies the part of a box inside the image and pads the rest (0-based corners in
    the port, Lua's 1-based after its ``+1``)."""
    ds = DataSampler.__new__(DataSampler)
    img = lg.Tensor(np.arange(30, dtype=np.float32).reshape(5, 6))
    out = ds.cropTensor(img, [-1.2, 3.4, 3, 3], -7)     # square boxes, as deepmask's (the out tensor is w x h)
    ref = np.full((3, 3), -7, np.float32)
    # rows 3..4 of the image (box from row 3, three high past the bottom), columns 0..2 (the box starts at -1)
    ref[0:2, 1:3] = img.numpy()[3:5, 0:2]
    np.testing.assert_array_equal(out.numpy(), ref)


def test_loader_batches_from_worker_threads(workdir, sharedserialize):
    """DataLoader.lua: worker threads each hold a DataSampler (``threads.local.ds``) and send batches of one head;
    ``size()`` counts the batches of an epoch."""
    from .deepmask.DataLoader import DataLoader
    trainLoader, valLoader = DataLoader.create(dict(CONFIG, datadir='data'))
    assert trainLoader.size() == 2 and valLoader.size() == 1
    samples = list(trainLoader.run())
    assert [n for n, _ in samples] == [1, 2]
    for _, sample in samples:
        assert tuple(sample['inputs'].size()) == (4, 3, 64, 64)
        assert tuple(sample['labels'].size()) == ((4, 16, 16) if sample['head'] == 1 else (4, 1))


def test_meters():
    """trainMeters.lua: LossMeter averages, BinaryMeter counts the score's sign agreeing with the +-1 label,
    IouMeter's histogram is torch.histc's over the IoUs it holds, divided by their count (in percent)."""
    lm = LossMeter()
    lm.add(1.0); lm.add(2.0, 3)
    assert lm.value() == pytest.approx(3.0 / 4)
    bm = BinaryMeter()
    bm.add(lg.Tensor([[0.5], [-2.0], [1.0], [-0.1]]), lg.Tensor([[1], [-1], [-1], [1]]))
    assert bm.value() == pytest.approx(50.0)
    im = IouMeter(0.5, 8)
    out = lg.Tensor(2, 2, 2).fill(-1)
    out[0][0].fill(1)                       # first mask: the top row
    out[1].fill(1)                          # second: everything
    tgt = lg.Tensor(2, 2, 2).zero()
    tgt[0][0][0] = 1
    tgt[1].fill(1)
    im.add(out, tgt)
    assert im.value('mean') == pytest.approx(75.0)
    hist = im.value('hist')
    ref = np.histogram([0.5, 1.0], bins=20, range=(0.5, 1.0))[0] / 2 * 100
    np.testing.assert_allclose(hist.numpy(), ref)


def test_log_file_is_a_python_file(tmp_path):
    """docs/porting.md's row: the trainers' ``torch.DiskFile(rundir .. '/log', 'rw'); log:seekEnd()`` then
    ``writeString`` and ``synchronize`` is a Python file opened for appending; legonn's DiskFile holds objects
    and refuses the mode."""
    with pytest.raises(ValueError, match="mode must be 'r' or 'w'"):
        lg.DiskFile(str(tmp_path / 'log'), 'rw')
    (tmp_path / 'log').write_text('[train] | epoch 00001\n')
    log = open(str(tmp_path / 'log'), 'a')
    log.write('%s\n' % '[train] | epoch 00002')
    log.flush()
    assert (tmp_path / 'log').read_text().count('train') == 2
    log.close()


@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_lua_random_with_a_fractional_bound():
    """docs/porting.md's row: DataSampler's negSamplingBB draws ``math.random(1, w0*2^scale)`` with a fractional
    bound; Python's randint refuses it, and LuaJIT's ``floor(r*(n-m+1)) + m`` can reach past ``n``."""
    with pytest.raises((TypeError, ValueError)):    # ValueError before Python 3.12, TypeError after
        random.randint(1, 5.5)
    random.seed(3)
    draws = {math.floor(random.random() * 5.5) + 1 for _ in range(2000)}
    assert draws == {1, 2, 3, 4, 5, 6}


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """train.lua run for two epochs in a fresh run directory (the second one tests), shared by the GPU tests:
    (the run directory, the trainer). The scripts run from the directory, as deepmask's do."""
    if not lg.gpu_available():
        pytest.skip('needs CuPy and a CUDA GPU')
    root = tmp_path_factory.mktemp('deepmask')
    for split, seed in (('train', 0), ('val', 1)):
        synthetic_coco.write(str(root / 'data'), split, seed=seed)
    lg.manualSeed(11)
    (root / 'pretrained').mkdir()
    lg.save(str(root / 'pretrained' / 'resnet-50.t7'), resnet_standin.resnet50_standin())
    before, serialization = os.getcwd(), threads.Threads.serialization()
    os.chdir(root)
    try:
        from .deepmask import train
        trainer = train.main(TRAIN + ['-maxepoch', '2', '-lr', '0.01'])
        yield root, trainer
    finally:
        os.chdir(before)
        threads.Threads.serialization(serialization)
        lg.setdefaulttensortype('torch.FloatTensor')


@pytest.fixture
def in_run(trained, monkeypatch):
    monkeypatch.chdir(trained[0])
    return trained[1]


@pytest.mark.gpu
def test_train_lua_trains_deepmask_and_logs(in_run):
    """train.lua, two epochs: each trains both heads on batches from the loader (the trunk stepped by sgd with
    its output as the unused "loss"), the second one tests; the log holds their lines and model.t7 the shared
    weights, which reload with ``-reload`` (the epoch counted from the log)."""
    from .deepmask import train
    trainer = in_run
    log = open(trainer.rundir + '/log').read().splitlines()
    assert [line[:7] for line in log] == ['[train]', '[train]', '[test] ']
    assert 'IoU: mean' in log[2] and 'epoch 00002' in log[2]
    saved = lg.load(trainer.rundir + '/model.t7')
    assert lg.type(saved['model']) == 'nn.DeepMask' and saved['config']['iSz'] == 32
    assert saved['model'].trunk.get(11).weight.type() == 'torch.CudaTensor'   # torch.load's placement
    np.testing.assert_array_equal(saved['model'].trunk.get(11).weight.float().numpy(),
                                  trainer.model.trunk.get(11).weight.float().numpy())
    assert trainer.model.trunk.get(11).weight.type() == 'torch.CudaTensor'


@pytest.mark.gpu
def test_compute_proposals_on_one_image(in_run):
    """computeProposals.lua on the trained model: DeepMask:inference turns it convolutional, InferDeepMask runs
    the scale pyramid and returns ``np`` masks of the image's size, each the mask head's thresholded output
    pasted where its score was found, and draws them into the image."""
    from .deepmask import computeProposals
    img = 'data/val2014/COCO_val2014_000000000001.png'
    masks, res = computeProposals.main([in_run.rundir, '-img', img, '-si', '-1', '-sf', '0', '-ss', '0.5'])
    assert tuple(masks.size()) == (5, 96, 96) and masks.type() == 'torch.ByteTensor'
    assert masks.sum() > 0 and set(np.unique(masks.numpy())) <= {0, 1}
    assert os.path.exists('res.jpg') and tuple(res.size()) == (3, 96, 96)


@pytest.mark.gpu
def test_eval_per_patch_and_per_image(in_run):
    """evalPerPatch.lua: the IoU meter over ``testmaxload`` validation batches of the trained mask net (and its
    ``-save`` figures); evalPerImage.lua: ``np`` RLE-encoded proposals per image, which decode to masks of the
    image's size (with ``-save`` drawn into the images, with ``-timer`` the stages' times printed)."""
    from .deepmask import evalPerImage, evalPerPatch
    meter = evalPerPatch.main([in_run.rundir, '-testmaxload', '2', '-save'])
    assert meter.n == 2 * 4 and 0 < meter.value('mean') <= 100
    assert sorted(os.listdir(in_run.rundir + '/epoch=2/res-patch')) == ['1.jpg', '2.jpg']
    props = evalPerImage.main([in_run.rundir, '-np', '3', '-endAt', '2', '-smin', '-1', '-smax', '0', '-save',
                               '-timer'])
    assert len(props) == 2 * 3 and sorted(os.listdir(in_run.rundir + '/epoch=2/res')) == ['1.jpg', '2.jpg']
    seg = props[4]['segmentation']
    mask = coco.MaskApi.decode({'size': list(seg['size']), 'counts': list(seg['counts'])})
    assert tuple(mask.size()) == (1, 96, 96) and props[4]['image_id'] == 2


@pytest.mark.gpu
def test_sharpmask_trains_on_the_deepmask_and_infers(in_run):
    """train.lua with ``-dm``: SharpMask.lua loads the trained DeepMask, adds the refinement modules and
    TrainerSharpMask.lua trains them alone (``updateParameters``), ground truth at the input's size; then
    computeProposals.lua with InferSharpMask.lua, refining the top patches (and with ``-dm``, DeepMask's head)."""
    from .deepmask import computeProposals, train
    sm = train.main(TRAIN + ['-dm', in_run.rundir, '-km', '16', '-ks', '16', '-maxepoch', '2', '-lr', '0.01'])
    assert lg.type(sm.model) == 'nn.SharpMask' and sm.rundir.startswith(os.getcwd() + '/exps/sharpmask/exp')
    log = open(sm.rundir + '/log').read().splitlines()
    assert [line[:7] for line in log] == ['[train]', '[train]', '[test] ']
    trunk = lg.load(in_run.rundir + '/model.t7')['model'].trunk
    np.testing.assert_array_equal(sm.model.trunk.get(11).weight.float().numpy(), trunk.get(11).weight.float().numpy())
    img = 'data/val2014/COCO_val2014_000000000002.png'
    for flag in ([], ['-dm']):
        masks, _ = computeProposals.main([sm.rundir, '-img', img, '-si', '-1', '-sf', '0', '-ss', '0.5'] + flag)
        assert tuple(masks.size()) == (5, 96, 96) and masks.sum() > 0


@pytest.mark.gpu
def test_trainer_mask_loss_falls(workdir, sharedserialize):
    """TrainerDeepMask.lua's loop on mask batches (``hfreq`` 0): the mask loss on a fixed batch falls."""
    from .deepmask.DataLoader import DataLoader
    from .deepmask.DeepMask import DeepMask
    from .deepmask.TrainerDeepMask import Trainer
    from legonn import nn
    lg.manualSeed(2)
    config = dict(CONFIG, datadir='data', hfreq=0, maxload=3, oSz=8, scratch=False, lr=0.02, momentum=0.9,
                  wd=5e-4, rundir=str(workdir))
    model = DeepMask(config)
    criterion = nn.SoftMarginCriterion().cuda()
    trainLoader, valLoader = DataLoader.create(config)
    trainer = Trainer(model, criterion, config)
    _, batch = next(iter(valLoader.run()))
    maskNet = nn.Sequential().add(model.trunk).add(model.maskBranch)

    def loss():
        model.evaluate()
        value = criterion.forward(maskNet.forward(batch['inputs'].cuda()), batch['labels'].view(4, 256).cuda())
        model.training()
        return value
    before = loss()
    for epoch in range(1, 5):
        trainer.train(epoch, trainLoader)
    assert loss() < before


@pytest.mark.gpu
def test_top_scores_keep_torch7_positions():
    """InferDeepMask.lua's getTopScores ranks the sigmoid of the scores over the scales and computes each top
    position from torch.sort's 1-based id ``k`` of a w-wide map as ``x = floor(k/w)``, ``y = k%w + 1`` (each at
    least 1). The port stores the 0-based positions of those same numbers: (x - 1, y - 1)."""
    from types import SimpleNamespace
    from .deepmask.InferDeepMask import Infer
    model = SimpleNamespace(trunk=None, maskBranch=None, scoreBranch=None)
    infer = Infer(np=4, scales=[1], meanstd={'mean': [0] * 3, 'std': [1] * 3}, model=model, iSz=32)
    scores = np.array([[0.1, 2.0, -1.0], [3.0, 0.5, 1.5]], np.float32)
    infer.score = [lg.Tensor(scores.copy())]
    top = infer.getTopScores().numpy()
    ids = np.argsort(-scores.reshape(-1), kind='stable') + 1       # Lua's 1-based ids, best first
    x, y = np.maximum(ids // 3, 1), np.maximum(ids % 3 + 1, 1)
    np.testing.assert_allclose(top[:, 0], 1 / (1 + np.exp(-np.sort(scores.reshape(-1))[::-1][:4])), rtol=1e-6)
    np.testing.assert_array_equal(top[:, 1], 0)
    np.testing.assert_array_equal(top[:, 2], x[:4] - 1)
    np.testing.assert_array_equal(top[:, 3], y[:4] - 1)


@pytest.mark.gpu
def test_train_lua_reloads_an_experiment(in_run):
    """train.lua ``-reload dir``: the epoch restarts from the number of train lines in dir's log, the model
    (loaded back onto the GPU) and the saved config (its ``maxepoch`` too) replace the command line's, and the
    new run directory is made inside the old one."""
    from .deepmask import train
    before = in_run.model.trunk.get(11).weight.float().clone()
    again = train.main(['-reload', in_run.rundir, '-maxepoch', '1'])
    assert again.rundir.startswith(in_run.rundir + '/deepmask/exp')
    log = open(again.rundir + '/log').read()
    assert 'epoch 00002' in log and 'epoch 00003' in log and log.count('[train]') == 2
    np.testing.assert_array_equal(lg.load(in_run.rundir + '/model.t7')['model'].trunk.get(11).weight.float().numpy(),
                                  before.numpy())
    assert (again.model.trunk.get(11).weight.float() - before).abs().max() > 0


def test_python_refuses_what_lua_drops():
    """docs/porting.md's rows: a float read from a tensor indexes a tensor but not a list (InferDeepMask.lua's
    ``self.scales[scale]`` is ``self.scales[int(scale)]`` in the port); extra arguments and unused format values,
    which Lua drops (``model:inference(config.np)``, ``string.format('./res.jpg', config.model)``), are a
    TypeError in Python, so the port's DeepMask.inference takes ``*_`` and the file name is the literal."""
    from .deepmask.DeepMask import DeepMask
    topScores = lg.Tensor([[0.9, 1, 0, 2]])
    scales, masks = [0.5, 1.0], lg.Tensor([[10, 20], [30, 40]])
    scale = topScores[0][1]
    assert isinstance(scale, float) and masks[scale][1] == 40
    with pytest.raises(TypeError):
        scales[scale]
    assert scales[int(scale)] == 1.0
    with pytest.raises(TypeError, match='not all arguments converted'):
        './res.jpg' % ('model',)
    assert str(inspect.signature(DeepMask.inference)) == '(self, *_)'
