"""facebookresearch/multipathnet run through its port, tests/porting/multipathnet/ (one file per Lua file; the
package's docstring and each file's say what is edited beyond syntax and indices, and what is not ported).

Stand-ins (multipathnet/synthetic.py, coco.py, testCoco/coco.py): a COCO-format set of 64 x 64 images of
coloured rectangles (1000 annotated images, as BatchProviderROI:setupData reads the first 1000, of which the
first 6 have image files and are trained on; 4 validation images), its proposal files, pycocotools'
COCOeval's two headline numbers, a VGG16-layout trunk with 4 to 16 planes and a ResNet-18-layout one.

multipathnet is a CUDA program (models/*.lua and the criterion call ``:cuda()``, ImageDetect copies into
CudaTensors): the tests of train.lua (with run_test.lua after it), the models and detection are GPU tests, run
on CuPy's host simulator here (``LEGONN_GPU_SIM=1``) and skipped without CuPy; the modules, nms, the datasets,
the batch provider, the engine and the COCO evaluation run on the CPU.
"""
import os

import numpy as np
import pytest

import legonn as lg
from legonn import nn, threads


from .multipathnet import config, synthetic, utils
from .multipathnet.BatchProviderROI import BatchProviderROI
from .multipathnet.DataSetJSON import DataSetCOCO
from .multipathnet.models import model_utils
from .multipathnet.modules.BBoxNorm import BBoxNorm
from .multipathnet.modules.BBoxRegressionCriterion import BBoxRegressionCriterion
from .multipathnet.modules.ContextRegion import ContextRegion
from .multipathnet.modules.ConvertFrom import ConvertFrom
from .multipathnet.modules.Foveal import Foveal
from .multipathnet.modules.ImageTransformer import ImageTransformer
from .multipathnet.modules.ModeSwitch import ModeSwitch
from .multipathnet.modules.NoBackprop import NoBackprop
from .multipathnet.modules.SelectBoxes import SelectBoxes
from .multipathnet.modules.SequentialSplitBatch import SequentialSplitBatch


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A run directory as multipathnet expects it (``data/annotations``, ``data/proposals``, image folders
    named in config.lua), the scripts run from it."""
    for split, n_images, n_files, seed in (('train', 1000, 6, 0), ('val', 4, 4, 1)):
        img_dir = synthetic.write(str(tmp_path), split, n_images, n_files, seed=seed)
        monkeypatch.setitem(config.config, 'coco_%s2014' % split, img_dir)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def train_dataset(nsamples=6):
    ds = DataSetCOCO().create('coco_train2014', ['data/proposals/coco/deepmask/train.t7'], nsamples)
    ds.loadROIDB(1000)
    return ds


# --- modules/ ------------------------------------------------------------------------------------------------

def test_bbox_norm_unnormalises_in_evaluate_mode_only():
    mean, std = lg.Tensor([[1, 2, 3, 4]]), lg.Tensor([[2, 2, 0.5, 0.5]])
    m = BBoxNorm(mean, std)
    x = lg.Tensor(3, 8).uniform(-1, 1)
    np.testing.assert_array_equal(m.forward(x).numpy(), x.numpy())
    m.evaluate()
    out = m.forward(x.t().contiguous().t()).numpy()   # a non-contiguous input goes through _output
    expected = x.numpy().reshape(-1, 4) * std.numpy() + mean.numpy()
    np.testing.assert_allclose(out, expected.reshape(3, 8), rtol=1e-6)
    with pytest.raises(AssertionError, match='evaluate mode'):
        m.backward(x, x)


def test_bbox_regression_criterion_counts_only_the_target_class():
    """SmoothL1 over the target class's four outputs (none for the background, class 0), summed over the batch
    and divided by B. The gradient is SmoothL1's at the masked outputs: with targets zero outside the target
    class (as BatchProviderROI's are) it is the loss's own, the finite differences'."""
    lg.manualSeed(1)
    B, N = 4, 3
    x = lg.DoubleTensor(B, 4 * N).uniform(-2, 2)
    t = lg.DoubleTensor(B, 4 * N).zero()
    classes = lg.LongTensor([0, 1, 2, 1])
    for b, c in enumerate(classes.totable()):
        if c > 0:
            t[b].narrow(0, 4 * c, 4).uniform(-2, 2)
    crit = BBoxRegressionCriterion()
    loss = crit.forward(x, [classes, t])
    xs, ts = x.numpy(), t.numpy()
    expected = 0.0
    for b, c in enumerate(classes.totable()):
        for j in range(4 * N):
            v = xs[b, j] if (j // 4 == c and c > 0) else 0.0
            d = abs(v - ts[b, j])
            expected += 0.5 * d * d if d < 1 else d - 0.5
    assert loss == pytest.approx(expected / B)
    g = crit.backward(x, [classes, t]).clone()
    eps = 1e-6
    for b in range(B):
        for j in range(4 * N):
            xp, xm = x.clone(), x.clone()
            xp[b][j] += eps
            xm[b][j] -= eps
            num = (BBoxRegressionCriterion().forward(xp, [classes, t]) -
                   BBoxRegressionCriterion().forward(xm, [classes, t])) / (2 * eps)
            assert g[b][j] == pytest.approx(num, abs=1e-6)


def test_context_region_scales_boxes_about_their_centres():
    m = ContextRegion(2)
    out = m.forward(lg.Tensor([[0, 10, 20, 30, 60]]))
    np.testing.assert_allclose(out.numpy(), [[0, 0, 0, 40, 80]])
    assert m.__tostring__() == 'nn.ContextRegion(2)'


def test_convert_from_inverts_utils_convert_to():
    """ConvertFrom (and utils.convertFrom) decode what utils.convertTo encodes: the targets give the boxes back."""
    rois = lg.Tensor([[0, 2, 3, 20, 30], [1, 5, 5, 9, 40]])
    gt = lg.Tensor([[4, 1, 25, 28], [6, 2, 12, 44]])
    deltas = utils.convertTo(rois.narrow(1, 1, 4).clone(), gt)
    out = ConvertFrom().forward([rois, deltas])
    np.testing.assert_allclose(out.narrow(1, 1, 4).numpy(), gt.numpy(), rtol=1e-5)
    np.testing.assert_array_equal(out.select(1, 0).numpy(), [0, 1])
    one = lg.Tensor(4)
    utils.convertFrom(one, rois[1].narrow(0, 1, 4), deltas[1])
    np.testing.assert_allclose(one.numpy(), gt[1].numpy(), rtol=1e-5)


def test_foveal_regions():
    out = Foveal().forward(lg.Tensor([[1, 10, 10, 20, 30]]))
    np.testing.assert_allclose(out.numpy(), [[1, 10, 10, 20, 30], [1, 7.5, 5, 22.5, 35],
                                             [1, 5, 0, 25, 40], [1, -5, -20, 35, 60]])


def test_image_transformer_swaps_scales_and_centres():
    I = lg.Tensor(3, 2, 2).uniform(0, 1)
    out = model_utils.RossTransformer().forward(I)
    mean = np.array([102.9801, 115.9465, 122.7717])[:, None, None]
    np.testing.assert_allclose(out.numpy(), I.numpy()[::-1] * 255 - mean, rtol=1e-5)
    np.testing.assert_allclose(ImageTransformer([1, 2, 3], [2, 4, 8]).forward(I).numpy(),
                               (I.numpy() - np.array([1, 2, 3])[:, None, None]) / np.array([2, 4, 8])[:, None, None],
                               rtol=1e-6)
    std_out = model_utils.ImagenetTransformer().forward(I)
    assert std_out.size(0) == 3 and abs(float(std_out[0][0][0]) - (float(I[0][0][0]) - 0.48462227599918) /
                                        0.22889466674951) < 1e-5


def test_mode_switch_and_no_backprop():
    lin = nn.Linear(3, 2)
    m = ModeSwitch(nn.Sequential().add(lin), nn.Sequential().add(nn.SoftMax()))
    x = lg.Tensor(4, 3).uniform()
    np.testing.assert_allclose(m.forward(x).numpy(), lin.forward(x).numpy())
    m.evaluate()
    assert m.forward(lg.Tensor([[0.0, 0.0]])).numpy().tolist() == [[0.5, 0.5]]
    with pytest.raises(RuntimeError, match='evaluate mode'):
        m.backward(x, x)
    nb = NoBackprop(nn.Linear(3, 2))
    out = nb.forward(x)
    g = nb.backward(x, out.clone().fill(1))
    assert g.abs().sum() == 0 and nb.modules[0].gradWeight.abs().sum() == 0


def test_sequential_split_batch_equals_one_pass():
    lg.manualSeed(2)
    seq = SequentialSplitBatch(3).add(nn.Linear(5, 4)).add(nn.Tanh())
    x = lg.Tensor(8, 5).uniform()
    plain = nn.Sequential().add(seq.get(0)).add(seq.get(1))
    np.testing.assert_allclose(seq.forward(x).numpy(), plain.forward(x).numpy(), rtol=1e-6)
    feats = lg.Tensor(2, 5).uniform()
    table_seq = SequentialSplitBatch(2).add(nn.CAddTable())
    rois = lg.Tensor(5, 5).uniform()
    with pytest.raises(Exception):
        table_seq.forward([feats, rois])    # the Lua's chunks pair all of input[1] with each chunk of input[2]


# --- nms.c, utils.lua -----------------------------------------------------------------------------------------

def test_nms_keeps_the_best_of_overlapping_boxes_and_agrees_with_nms_dense():
    boxes = lg.FloatTensor([[0, 0, 10, 10, 0.9], [1, 1, 11, 11, 0.8], [20, 20, 30, 30, 0.7],
                            [0, 0, 9, 10, 0.95], [21, 19, 30, 31, 0.1]])
    keep = utils.nms(boxes, 0.3)
    np.testing.assert_allclose(keep.numpy(), boxes.index(0, lg.LongTensor([3, 2])).numpy())
    dense = utils.nms_dense(boxes, 0.3)
    assert dense.totable() == [3, 2]
    voted = utils.bbox_vote(keep, boxes, 0.5)
    w = np.array([0.95, 0.9, 0.8])
    expected = (boxes.numpy()[[3, 0, 1], :4] * w[:, None]).sum(0) / w.sum()
    np.testing.assert_allclose(voted[0].numpy()[:4], expected, rtol=1e-5)
    assert voted[0][4] == pytest.approx(0.95)


def test_boxoverlap_and_keep_top_k():
    a = lg.FloatTensor([[0, 0, 9, 9], [5, 5, 14, 14], [20, 20, 25, 25]])
    o = utils.boxoverlap(a, lg.FloatTensor([0, 0, 9, 9]))
    np.testing.assert_allclose(o.numpy(), [1, 25 / 175, 0], rtol=1e-6)
    boxes = [lg.FloatTensor([[0, 0, 1, 1, 0.5], [0, 0, 1, 1, 0.9]]), lg.FloatTensor([[0, 0, 1, 1, 0.7]])]
    kept, thresh = utils.keep_top_k(boxes, 2)
    assert thresh == pytest.approx(0.7)
    assert kept[0].select(1, 4).numpy().tolist() == pytest.approx([0.9]) and kept[1].size(0) == 1


# --- DataSetJSON.lua, BatchProviderROI.lua --------------------------------------------------------------------

def test_dataset_attaches_proposals_with_overlaps_and_labels(workdir):
    """The record of an image: its ground-truth boxes first (overlap 1, their own label: the 0-based category
    plus 1), then the proposals, each labelled with the class of the box it overlaps most."""
    ds = train_dataset()
    assert ds.size() == 6 and ds.getNumClasses() == 80 and ds.classes[0] is None
    gt_boxes, gt_classes, valid, anno = ds.getGTBoxes(0)
    rec = ds.attachProposals(0)
    n_gt = len(gt_classes)
    np.testing.assert_allclose(rec.overlap[0:n_gt].numpy(), 1)
    assert rec.label[0:n_gt].totable() == [c + 1 for c in gt_classes]
    for i in range(n_gt, rec.size()):
        o = [utils.boxoverlap(rec.boxes[i:i + 1], gt_boxes[j])[0] for j in range(n_gt)]
        assert rec.overlap[i] == pytest.approx(max(o))
        assert rec.label[i] == (gt_classes[int(np.argmax(o))] + 1 if max(o) > 0 else 0)
    bbox = anno[0]['bbox']   # COCO's x, y, w, h made the Lua's corners, one less (0-based)
    ann = ds.dataset.getAnnotationsForImage(0)[0]['bbox']
    np.testing.assert_allclose(bbox.numpy(), [ann[0] - 1, ann[1] - 1, ann[0] + ann[2], ann[1] + ann[3]])


def test_batch_provider_samples_foreground_and_background(workdir):
    lg.manualSeed(3)
    ds = train_dataset()
    bp = BatchProviderROI(ds, 2, 64, 100, model_utils.RossTransformer(), 0.5, [0.1, 0.5])
    bp.batch_size = 32
    regr = bp.setupData()
    assert tuple(regr['mean'].size()) == (1, 4) and (regr['std'] > 0).all()
    batches, targets = bp.sample()
    images, rois = batches
    assert tuple(images.size()) == (2, 3, 64, 64) and rois.size(1) == 5
    assert set(rois.select(1, 0).totable()) == {0, 1}
    labels = targets[0]
    fg = labels.gt(0)
    assert 0 < fg.sum() <= 16 and targets[1][0] is labels
    bbox = targets[1][1]
    assert tuple(bbox.size()) == (rois.size(0), 4 * 81)
    for i, label in enumerate(labels.totable()):
        nz = bbox[i].ne(0).nonzero()
        if label == 0:
            assert nz.nElement() == 0
        else:
            assert set(nz.view(-1).totable()) <= set(range(label * 4, label * 4 + 4))


# --- train.lua (GPU) ------------------------------------------------------------------------------------------

TRAIN_ENV = {'dataset': 'coco', 'train_set': 'train', 'test_set': 'val', 'year': '2014', 'model': 'vgg',
             'images_per_batch': '2', 'scale': '64', 'max_size': '100', 'learningRate': '0.01', 'nEpochs': '3',
             'epochSize': '5', 'nDonkeys': '1', 'batchSize': '16', 'snapshot': '3', 'step': '3',
             'train_nsamples': '6', 'test_nsamples': '4', 'test_best_proposals_number': '40',
             'best_proposals_number': '1000', 'manualSeed': '5'}


@pytest.mark.gpu
def test_train_lua_trains_fast_rcnn_and_evaluates(workdir, monkeypatch):
    """train.lua with models/vgg.lua: three epochs of five batches (the loss falls). Its onEndEpoch reads
    ``state.epoch + 1`` after the engine has counted the epoch, so its epoch numbers run one on (2, 3, 4):
    the learning rate drops (``step`` 3) after the second epoch, and the snapshot and validation (Tester_FRCNN,
    testCoco; ``snapshot`` 3) come after the second, as in Torch7; then the final ones. train.lua's onEnd sets
    ``opt.test_nsamples = 4952`` (VOC2007 test's size) for its final validation: the test's validate caps it
    at the 4 validation images. run_test.lua then evaluates the saved final model again, in
    the calling thread and in two worker threads."""
    if not lg.gpu_available():
        pytest.skip('needs CuPy and a CUDA GPU')
    from .multipathnet import train
    os.makedirs('data/models', exist_ok=True)
    lg.manualSeed(4)
    lg.save('data/models/imagenet_pretrained_vgg.t7', synthetic.vgg_standin())
    for k, v in TRAIN_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv('save_folder', str(workdir))
    real_validate = train.validate

    def validate(model):
        train.opt['test_nsamples'] = min(train.opt['test_nsamples'], 4)
        return real_validate(model)
    monkeypatch.setattr(train, 'validate', validate)
    serialization = threads.Threads.serialization()
    try:
        opt, logged = train.main()
    finally:
        threads.Threads.serialization(serialization)
    epochs = [d for d in logged if 'finished' in d]
    assert [d['epoch'] for d in epochs] == [2, 3, 4]
    assert [d['learningRate'] for d in epochs] == pytest.approx([0.01, 0.001, 0.001])
    assert epochs[-1]['train_loss'] < 0.85 * epochs[0]['train_loss']
    evals = [d for d in logged if 'finished' not in d]
    assert [d['epoch'] for d in evals] == [3, 4]
    for d in evals:
        assert 0 <= d['coco_metric'] <= d['voc_metric'] <= 1
    assert os.path.exists('model_final.t7') and os.path.exists('model_3.t7')
    # the snapshot's optimizer (torch.save of the engine's nn.Optim), its per-module learning rates dropped
    optimizer = lg.load('optimState_3.t7')
    rates = [u['learningRate'] for v in optimizer.modulesToOptState.values() for u in v if u.get('dfdx') is not None]
    assert lg.typename(optimizer) == 'nn.Optim' and rates and rates == pytest.approx([0.001] * len(rates))
    saved = lg.load('model_final.t7')
    norms = saved.findModules('nn.BBoxNorm')[0]
    assert len(norms) == 1 and saved.get(5).get(1) is norms[0]
    np.testing.assert_allclose(norms[0].mean.numpy(), train.data.g_mean_std['mean'].numpy())

    # run_test.lua (test_runner.lua in the calling thread, ``test_nGPU`` 1) over the saved final checkpoint
    # (float, cleared) gives the final validation's numbers again
    from .multipathnet import run_test
    for k, v in {'dataset': 'coco', 'year': '2014', 'test_set': 'val', 'scale': '64', 'max_size': '100',
                 'test_nGPU': '1', 'test_nsamples': '4', 'test_model': 'model_final.t7',
                 'test_best_proposals_number': '40', 'test_save_res': 'res'}.items():
        monkeypatch.setenv(k, v)
    res = run_test.main()
    assert res == pytest.approx([evals[-1]['coco_metric'], evals[-1]['voc_metric']])
    assert lg.load('res/results.t7') == pytest.approx(res)
    boxes = lg.load('res/boxes.t7')
    assert len(boxes) == 80 and all(len(boxes[j]) == 4 for j in range(80))
    assert evals[-1]['voc_metric'] > 0
    # in two worker threads (the 'donkey' pattern, each with its own ds and tester), the same numbers
    monkeypatch.setenv('test_nGPU', '2')
    monkeypatch.setenv('test_save_res', '')
    assert run_test.main() == pytest.approx(res)


def test_testcoco_evaluates_detections_at_the_ground_truth(workdir):
    """testCoco/init.lua's rows (image id, x, y, w, h, score, category id) of perfect detections, per class and
    image as Tester_FRCNN hands them: AP at IoU 0.5 is 1. The boxes are DataSetJSON's corners, which run one
    pixel past COCO's box on each side (the Lua's ``x, y, x + w + 1, y + h + 1`` 1-based), so AP over IoU 0.5
    to 0.95 stays below 1, as the Lua's does."""
    from .multipathnet.testCoco import init as testCoco
    from legonn import tds
    ds = DataSetCOCO().create('coco_val2014', ['data/proposals/coco/deepmask/val.t7'], 4)
    res = tds.Hash()
    for j in range(ds.getNumClasses()):
        res[j] = tds.Hash()
    for i in range(ds.size()):
        gt_boxes, gt_classes, _, _ = ds.getGTBoxes(i)
        for j in range(ds.getNumClasses()):
            rows = [gt_boxes[k].totable() + [0.9] for k, c in enumerate(gt_classes) if c == j]
            res[j][i] = lg.FloatTensor(rows) if rows else lg.FloatTensor()
    ap, ap50 = testCoco.evaluate('coco_val2014', res)
    assert ap50 == pytest.approx(1.0) and 0.5 < ap < 1


@pytest.mark.gpu
def test_select_boxes_and_memory_efficient_detection(workdir):
    """SelectBoxes.lua's own (commented-out) test on CUDA: its ``torch.max(maxvals, maxids, classes, 2)`` hands
    a CudaTensor (``classes.new()``) for the indices, which cutorch's TensorMath.lua:1838-1848 takes only as a
    CudaLongTensor, so Torch7 refuses it ("invalid arguments") and legonn does too (a TypeError); Tester_FRCNN's
    iterative localisation (``test_num_iterative_loc`` > 1) goes through it. ImageDetect's
    memoryEfficientForward (features once, the rest in chunks) equals one full forward (the Lua's inner
    ``test()``), and Tester_FRCNN:testOne runs over the model models/vgg.lua builds."""
    if not lg.gpu_available():
        pytest.skip('needs CuPy and a CUDA GPU')
    module = SelectBoxes().cuda()
    classes = lg.Tensor([[0, 1, 0], [1, 0, 0]]).cuda()
    ys = lg.rand(2, 3 * 4).cuda()
    with pytest.raises(TypeError, match='CudaLongTensor'):
        module.forward([classes, ys])

    from .multipathnet.ImageDetect import ImageDetect
    from .multipathnet.Tester_FRCNN import Tester_FRCNN
    from .multipathnet.models import vgg
    os.makedirs('data/models', exist_ok=True)
    lg.manualSeed(4)
    lg.save('data/models/imagenet_pretrained_vgg.t7', synthetic.vgg_standin())
    opt = {'num_classes': 81, 'images_per_batch': 2, 'train_nGPU': 1, 'disable_memory_efficient_forward': False}
    model, transformer = vgg.build(opt)
    ds = DataSetCOCO().create('coco_val2014', ['data/proposals/coco/deepmask/val.t7'], 2)
    ds.loadROIDB(40)
    im, boxes = ds.getImage(0), ds.getROIBoxes(0)
    model.evaluate()
    detect = ImageDetect(model, transformer, [64], 100, opt)
    scores, bbox = detect.detect(im, boxes, None, True)
    opt['disable_memory_efficient_forward'] = True
    full_scores, full_bbox = ImageDetect(model, transformer, [64], 100, opt).detect(im, boxes, None, True)
    np.testing.assert_allclose(scores.numpy(), full_scores.numpy(), rtol=1e-6)
    np.testing.assert_allclose(bbox.numpy(), full_bbox.numpy(), rtol=1e-5, atol=1e-4)
    assert tuple(scores.size()) == (boxes.size(0), 81)
    np.testing.assert_allclose(scores.numpy().sum(1), 1, rtol=1e-5)
    tester = Tester_FRCNN(model, transformer, ds, [64], 100, opt)
    img_boxes, (output, _) = tester.testOne(0)
    assert output.size(0) == boxes.size(0) and len(img_boxes) == 80
    kept = [img_boxes[j] for j in range(80) if img_boxes[j].nElement() != 0]
    assert kept and all(b.size(1) == 5 and (b.select(1, 4) > -1.5).all() for b in kept)


# --- docs/porting.md rows -------------------------------------------------------------------------------------

def test_sample_table_with_fields_reaches_the_engine_loop():
    """engines/fboptimengine.lua's loop reads ``sample.input`` from the table train.lua's onSample hook gave
    the fields: a ``Sample`` (data.lua's ``{loader:sample()}``) takes them and the loop trains; a plain list
    refuses the field."""
    from legonn import optim
    from legonn import torchnet as tnt
    from .multipathnet.data import Sample
    from .multipathnet.engines.fboptimengine import FBOptimEngine
    lg.manualSeed(6)
    w = lg.Tensor(3, 1).uniform(-1, 1)
    xs = [lg.Tensor(4, 3).uniform(-1, 1) for _ in range(8)]

    def run(make):
        net, losses = nn.Linear(3, 1), []
        engine = FBOptimEngine()

        def onSample(state):
            state.sample.input = state.sample[0]
            state.sample.target = state.sample[1]
        engine.hooks.onSample = onSample
        engine.hooks.onUpdate = lambda state: losses.append(state.criterion.output)
        iterator = tnt.DatasetIterator(tnt.ListDataset(list=lg.range(0, 7).long(),
                                                       load=lambda i: make([xs[int(i)], xs[int(i)] @ w])))
        engine.train(network=net, criterion=nn.MSECriterion(), iterator=iterator, maxepoch=5,
                     optimMethod=optim.sgd, config={'learningRate': 0.1})
        return losses

    losses = run(Sample)
    assert len(losses) == 40 and np.mean(losses[-8:]) < 0.2 * np.mean(losses[:8])
    with pytest.raises(AttributeError, match='input'):
        run(list)


def test_a_string_field_reads_nil_in_lua_and_raises_in_python(workdir):
    """DataSetJSON.lua's ``self.classes[i] = v.name`` over the loader's category names (strings) stores nil in
    Lua; ``'cat1'.name`` is an AttributeError in Python, so the port reads ``getattr(v, 'name', None)``."""
    ds = train_dataset()
    assert ds.dataset.categories[0] == 'cat1'
    with pytest.raises(AttributeError):
        ds.dataset.categories[0].name
    assert list(ds.classes.values()) == [None] * 80


@pytest.mark.gpu
def test_resnet_model_surgery_keeps_outputs(workdir, monkeypatch):
    """models/resnet.lua over a small ResNet-18-layout stand-in: each surgery (NoBackprop over the first 5
    modules, batch normalisations folded into the convolutions or fixed) passes its ``testSurgery`` check (the
    outputs move by less than 1e-5), the model trains its classifier and not the frozen modules, and the
    transformer is the ImageNet one."""
    if not lg.gpu_available():
        pytest.skip('needs CuPy and a CUDA GPU')
    from .multipathnet.models import resnet
    os.makedirs('data/models/resnet', exist_ok=True)
    lg.manualSeed(8)
    lg.save('data/models/resnet/resnet-18.t7', synthetic.resnet18_standin())
    opt = {'num_classes': 81, 'images_per_batch': 2, 'train_nGPU': 1}
    model, transformer = resnet.build(opt)
    assert opt['resnet_path'] == './data/models/resnet/resnet-18.t7'
    assert transformer.std is not None and len(model.findModules('nn.SpatialBatchNormalization')[0]) == 0
    frozen = model.findModules('nn.NoBackprop')[0][0].modules[0].get(0)
    assert model.get(3).modules[0].weight.size(1) == 64
    x = [lg.Tensor(2, 3, 64, 64).uniform().cuda(), lg.Tensor([[0, 0, 0, 40, 40], [1, 8, 8, 60, 50]]).cuda()]
    model.training()
    model.zeroGradParameters()
    out = model.forward(x)
    model.backward(x, [o.clone().fill(1) for o in out])
    assert frozen.gradWeight.abs().sum() == 0 and model.get(3).modules[0].gradWeight.abs().sum() > 0
