"""fmassa/object-detection.torch ported line by line (tests/porting/objdet.py says which files and what edits).

Stand-in for Pascal VOC (DataSetPascal.lua's XML and selective-search proposals): ``Rectangles``, a
DataSetDetection of small images each holding coloured rectangles on grey noise (class 1 red, 2 green, 3 blue),
its annotations in DataSetPascal's form (``object`` entries with ``name``, ``difficult`` and ``bndbox``), its
proposals the true boxes shifted by a few pixels and random boxes. models/frcnn_alexnet.lua is built 16 times
narrower and fed 64-pixel images. nms and boxoverlap are checked against hand-computed cases, ROI pooling
against inn.ROIPooling and by finite differences, the batch provider's sampling against its fractions, and
Trainer.lua runs a few SGD steps of the tiny Fast R-CNN. Of the repo's tests/*.lua (scripts over Pascal VOC),
test_utils.lua's getModel and the first 25 lines of test_imdetect.lua run here on the stand-in.
"""
import random

import numpy as np
import pytest

import legonn as lg
from legonn import image, inn, nn
from tests.porting import objdet as od


CLASSES = ['red', 'green', 'blue']


class Rectangles(od.DataSetDetection):
    """``num_imgs`` images ``3 x size x size``; each holds one or two rectangles of random classes, one in each
    half it uses (none overlaps another)."""

    def __init__(self, num_imgs=6, size=64, num_proposals=12):
        super().__init__()
        self.classes = CLASSES
        self.num_classes = len(CLASSES)
        self.image_set = 'synthetic'
        self.dataset_name = 'Rectangles'
        self.num_imgs = num_imgs
        self.img_ids = [f'{i:06d}' for i in range(num_imgs)]
        rng = np.random.RandomState(0)
        self._images, self._annotations, self._proposals = [], [], []
        for _ in range(num_imgs):
            img = 0.5 + 0.05 * rng.randn(3, size, size)
            objects = []
            for half in range(rng.randint(1, 3)):   # one rectangle in each half used: no two overlap
                c = rng.randint(3)
                x1 = half * size // 2 + int(rng.randint(0, size // 8))
                y1 = int(rng.randint(0, size // 2))
                w, h = (int(v) for v in rng.randint(size // 4, size // 2 - size // 8, 2))
                img[:, y1:y1 + h, x1:x1 + w] = 0
                img[c, y1:y1 + h, x1:x1 + w] = 1
                objects.append({'name': CLASSES[c], 'difficult': '0',
                                'bndbox': {'xmin': x1, 'ymin': y1, 'xmax': x1 + w - 1, 'ymax': y1 + h - 1}})
            self._images.append(lg.Tensor(img.astype(np.float32)))
            self._annotations.append({'object': objects})
            boxes = []
            for obj in objects:
                b = obj['bndbox']
                for _ in range(num_proposals // 2):
                    dx, dy = rng.randint(-3, 4, 2)
                    boxes.append([max(b['xmin'] + dx, 0), max(b['ymin'] + dy, 0),
                                  min(b['xmax'] + dx, size - 1), min(b['ymax'] + dy, size - 1)])
            for _ in range(num_proposals):
                x1, y1 = rng.randint(0, size - 8, 2)
                boxes.append([x1, y1, x1 + rng.randint(4, 8), y1 + rng.randint(4, 8)])
            self._proposals.append(lg.FloatTensor(boxes))

    def loadROIDB(self):
        pass  # the proposals are built with the images

    def getImage(self, i):
        return self._images[i].clone()

    def getAnnotation(self, i):
        return self._annotations[i]

    def getROIBoxes(self, i):
        return self._proposals[i]

    def getGTBoxes(self, i):
        anno = self.getAnnotation(i)
        valid_objects = list(range(len(anno['object'])))
        gt_boxes = lg.FloatTensor([[o['bndbox'][k] for k in ('xmin', 'ymin', 'xmax', 'ymax')]
                                   for o in anno['object']])
        gt_classes = [CLASSES.index(o['name']) + 1 for o in anno['object']]
        return gt_boxes, gt_classes, valid_objects, anno


@pytest.fixture
def seeded():
    lg.manualSeed(7)
    random.seed(7)


# --- nms.lua, utils.lua -------------------------------------------------------------------------------------

def test_nms_keeps_the_best_box_and_drops_its_overlaps():
    boxes = lg.Tensor([[0, 0, 9, 9, 0.9],      # area 100
                       [1, 1, 10, 10, 0.8],    # meets box 0 on 9 x 9: 81 / 119 = 0.68
                       [20, 20, 30, 30, 0.7],  # meets nothing
                       [0, 0, 4, 4, 0.95]])    # inside box 0: 25 / 100
    assert od.nms(boxes, 0.5).tolist() == [3, 0, 2]
    assert od.nms(boxes, 0.7).tolist() == [3, 0, 1, 2]
    assert od.nms(boxes, 0.2).tolist() == [3, 1, 2]   # 0.25 > 0.2 drops box 0; box 1 meets box 3 on 16 / 109
    assert od.nms(lg.Tensor(), 0.5).numel() == 0
    assert od.nms(boxes[2:3], 0.5).tolist() == [0]


def test_boxoverlap_counts_pixels_both_ends_inclusive():
    a = lg.Tensor([[0, 0, 9, 9], [1, 1, 10, 10], [20, 20, 30, 30], [0, 0, 4, 4], [9, 9, 12, 12]])
    o = od.boxoverlap(a, [0, 0, 9, 9])
    expected = [1, 81 / 119, 0, 25 / 100, 1 / (100 + 16 - 1)]   # the last shares the single pixel (9, 9)
    assert np.allclose(o.numpy(), expected, atol=1e-6)
    named = od.boxoverlap(a, {'xmin': 0, 'ymin': 0, 'xmax': 9, 'ymax': 9})
    assert lg.equal(named, o)


def test_flip_bounding_boxes_mirrors_0_based_columns():
    boxes = lg.Tensor([[0, 1, 3, 4], [5, 0, 9, 2]])
    od.flipBoundingBoxes(boxes, 10)
    assert boxes.tolist() == [[6, 1, 9, 4], [0, 0, 4, 2]]
    one = lg.Tensor([2, 0, 2, 5])
    od.flipBoundingBoxes(one, 10)
    assert one.tolist() == [7, 0, 7, 5]


def test_voc_ap_and_voc2007_ap_by_hand():
    rec, prec = lg.Tensor([0.5, 0.5, 1]), lg.Tensor([1, 0.5, 0.75])
    # precision envelope 1 up to recall 0.5, then 0.75 up to 1
    assert od.VOCap(rec, prec) == pytest.approx(0.5 * 1 + 0.5 * 0.75)
    # 11 points: t = 0 .. 0.5 see precision 1, t = 0.6 .. 1 (Lua's last t is 0.9999999999999999) 0.75
    assert od.VOC2007ap(rec, prec) == pytest.approx((6 * 1 + 5 * 0.75) / 11)


def test_keep_top_k_keeps_scores_at_or_above_the_kth():
    boxes = [lg.Tensor([[0, 0, 1, 1, 0.2], [0, 0, 1, 1, 0.9]]), lg.Tensor(), lg.Tensor([[0, 0, 1, 1, 0.5]])]
    kept, thresh = od.keep_top_k(boxes, 2)
    assert thresh == pytest.approx(0.5)
    assert kept[0].view(-1).tolist() == pytest.approx([0, 0, 1, 1, 0.9])
    assert kept[1].numel() == 0 and kept[2].size(0) == 1
    # an image whose every box falls below the k-th score is emptied (utils.lua:67's resize(), resize(0) here:
    # legonn's resize() with no size is a 0-dimensional scalar of one element, docs/porting.md's row)
    boxes = [lg.Tensor([[0, 0, 1, 1, 0.2]]), lg.Tensor([[0, 0, 1, 1, 0.9]])]
    kept, thresh = od.keep_top_k(boxes, 1)
    assert kept[0].numel() == 0 and kept[0].dim() == 1 and kept[1].size(0) == 1
    assert lg.Tensor(2, 5).resize().numel() == 1


def test_vocevaldet_ranks_detections_and_counts_each_object_once(capsys):
    ds = Rectangles(num_imgs=3)
    cls = 'red'
    truth = [[o['bndbox'][k] for k in ('xmin', 'ymin', 'xmax', 'ymax')]
             for i in range(3) for o in ds.getAnnotation(i)['object'] if o['name'] == cls]
    assert truth, "the stand-in holds a red rectangle"
    perfect = []
    for i in range(3):
        rows = [[o['bndbox'][k] for k in ('xmin', 'ymin', 'xmax', 'ymax')] + [1.0]
                for o in ds.getAnnotation(i)['object'] if o['name'] == cls]
        perfect.append(lg.Tensor(rows))
    ap, recall, precision = od.VOCevaldet(ds, perfect, cls)
    assert ap == pytest.approx(1) and recall[-1] == pytest.approx(1)
    assert 'AP = 1.0000' in capsys.readouterr().out
    # a duplicate of the first true box scored highest, then a miss ranked last: as in the Lua, an image's
    # detections claim its objects in the order they are listed, not by score (the VOC devkit sorts first),
    # so the true box listed first takes the object and the duplicate, ranked first, is the false positive
    first = next(i for i in range(3) if perfect[i].numel() > 0)
    dup = perfect[first][0].clone()
    dup[4] = 2.0
    miss = lg.Tensor([50, 50, 55, 55, 0.5])
    scored = [lg.cat([perfect[i], dup.view(1, 5), miss.view(1, 5)], 0) if i == first else perfect[i]
              for i in range(3)]
    ap, recall, precision = od.VOCevaldet(ds, scored, cls)
    n = len(truth)
    correct = [0, 1] + [1] * (n - 1) + [0]
    hits = np.cumsum(correct)
    assert np.allclose(precision.numpy(), hits / np.arange(1, len(correct) + 1), atol=1e-6)
    assert np.allclose(recall.numpy(), hits / n, atol=1e-6)
    # a class with detections and no object: Lua's recall 0/0 is nan, and so is the AP
    ap, recall, precision = od.VOCevaldet(ds, perfect, 'purple')
    assert np.isnan(recall.numpy()).all() and precision.sum() == 0 and np.isnan(ap)


# --- ROIPooling.lua -----------------------------------------------------------------------------------------

def test_roipooling_matches_inn_original_bins_inside_the_map(seeded):
    data = lg.randn(2, 3, 8, 9)
    rois = lg.Tensor([[0, 0, 0, 3, 3], [1, 2, 1, 8, 6], [0, 4, 2, 5, 7], [1, 1, 1, 1, 1]])
    ours = od.ROIPooling(3, 2).forward([data, rois.clone()])
    reference = inn.ROIPooling(3, 2)
    reference.v2 = False     # Fast R-CNN's own bins, the ones SpatialAdaptiveMaxPooling draws
    assert lg.equal(ours, reference.forward([data, rois]))


def test_roipooling_scales_and_clamps_the_rois_in_place_as_torch7():
    data = lg.randn(1, 2, 4, 5)
    rois = lg.Tensor([[0, 2, 2, 15, 7]])
    m = od.ROIPooling(2, 2).setSpatialScale(0.5)
    m.forward([data, rois])
    # round(2 * 0.5), round(7 * 0.5) = 4 (halves away from zero), round(15 * 0.5) = 8 clamped to the last column
    assert rois.tolist() == [[0, 1, 1, 4, 3]]
    expected = nn.SpatialAdaptiveMaxPooling(2, 2).forward(data[0, :, 1:4, 1:5])
    assert lg.equal(m.output[0], expected)


def test_roipooling_gradient_by_finite_differences(double_default, seeded):
    data = lg.randn(2, 2, 5, 6)
    rois = lg.Tensor([[0, 0, 0, 4, 3], [1, 1, 2, 5, 4], [0, 2, 1, 3, 4]])
    m = od.ROIPooling(2, 2)
    out = m.forward([data, rois])
    go = lg.randn(out.size())
    gdata, grois = m.backward([data, rois], go)
    assert grois.size() == rois.size() and grois.abs().max() == 0
    eps, numeric = 1e-6, lg.zeros(data.size())
    flat, nflat = data.view(-1), numeric.view(-1)
    for k in range(flat.numel()):
        keep = flat[k]
        flat[k] = keep + eps
        plus = m.forward([data, rois]).clone()
        flat[k] = keep - eps
        minus = m.forward([data, rois]).clone()
        flat[k] = keep
        nflat[k] = lg.cmul(plus - minus, go).sum() / (2 * eps)
    assert (numeric - gdata).abs().max() < 1e-6


def test_roipooling_in_a_parallel_table_trains_the_features(seeded):
    # tests/test_utils.lua's getModel: nnf.ROIPooling(7,7) after a ParallelTable(features, Identity)
    features = nn.Sequential().add(nn.SpatialConvolutionMM(3, 4, 3, 3, 1, 1, 1, 1))
    model = nn.Sequential().add(nn.ParallelTable().add(features).add(nn.Identity()))
    model.add(od.ROIPooling(2, 2)).add(nn.View(-1).setNumInputDims(3)).add(nn.Linear(16, 2))
    input = [lg.randn(1, 3, 6, 6), lg.Tensor([[0, 0, 0, 5, 5], [0, 1, 1, 3, 3]])]
    out = model.forward(input)
    features.zeroGradParameters()
    model.backward(input, lg.ones(out.size()))
    assert features.modules[0].gradWeight.abs().sum() > 0


def test_roipooling_one_entry_gradinput_is_refused_by_parallel_table_and_identity(seeded):
    # docs/porting.md's row: Torch7's ROIPooling.lua returns {gradData} and its ParallelTable's Identity passes
    # the missing rois gradient on as nil; legonn's containers want an entry per branch, the port gives zeros
    prl = nn.ParallelTable().add(nn.SpatialConvolutionMM(3, 4, 3, 3, 1, 1, 1, 1)).add(nn.Identity())
    input = [lg.randn(1, 3, 6, 6), lg.Tensor([[0, 0, 0, 5, 5]])]
    out = prl.forward(input)
    with pytest.raises(ValueError, match="gradOutput table of 2 entries, got 1"):
        prl.backward(input, [lg.ones(out[0].size())])
    with pytest.raises(ValueError, match="Identity: expected gradOutput to be a tensor"):
        prl.backward(input, [lg.ones(out[0].size()), None])
    pool = od.ROIPooling(2, 2)
    pool.forward(out)
    grads = pool.backward(out, lg.ones(1, 4, 2, 2))
    assert len(grads) == 2 and lg.equal(grads[1], lg.zeros(1, 5))
    assert prl.backward(input, grads)[0].size() == (1, 3, 6, 6)


# --- ImageTransformer.lua, FRCNN.lua ------------------------------------------------------------------------

def test_image_transformer_expands_grey_and_subtracts_the_mean():
    t = od.ImageTransformer({'mean_pix': [0.1, 0.2, 0.3], 'raw_scale': 2})
    grey = lg.Tensor(4, 5).fill(0.5)
    out = t.preprocess(grey)
    assert out.size() == (3, 4, 5)
    assert [float(out[c][0][0]) for c in range(3)] == pytest.approx([0.9, 0.8, 0.7])
    assert float(grey[0][0]) == 0.5
    swapped = od.ImageTransformer({'swap': [2, 1, 0]}).preprocess(lg.Tensor([[[1.0]], [[2.0]], [[3.0]]]))
    assert swapped.view(-1).tolist() == pytest.approx([3 - 128 / 255, 2 - 128 / 255, 1 - 128 / 255])


def test_frcnn_scales_images_and_projects_flipped_rois(seeded):
    fp = od.FRCNN(scale=[32], max_size=100)
    imgs = [lg.rand(3, 16, 20), lg.rand(3, 20, 16)]
    boxes = [lg.Tensor([[0, 0, 3, 5]]), lg.Tensor([[2, 2, 7, 9], [0, 0, 15, 19]])]
    data, rois = fp.getFeature(imgs, boxes, lg.FloatTensor([0, 1]))
    # both images' short side goes to 32: 32 x 40 and 40 x 32, padded to 40 x 40
    assert data.size() == (2, 3, 40, 40)
    assert data[0, :, 32:, :].abs().max() == 0 and data[1, :, :, 32:].abs().max() == 0
    assert rois[:, 0].tolist() == [0, 1, 1]
    assert rois[0, 1:].tolist() == [0, 0, 6, 10]
    # image 1 is flipped on its 32 columns: x in 0..31 -> 31 - x
    assert rois[1, 1:].tolist() == [31 - 14, 4, 31 - 4, 18]
    assert rois[2, 1:].tolist() == [31 - 30, 0, 31, 38]


def test_frcnn_test_mode_sends_each_box_to_the_scale_nearest_input_area():
    fp = od.FRCNN(scale=[16, 32], inputArea=400, image_transformer=od.ImageTransformer({}))
    fp.evaluate()
    data, rois = fp.getFeature(lg.rand(3, 16, 16), [[0, 0, 9, 9], [0, 0, 19, 19]], False)
    assert data.size() == (2, 3, 32, 32)
    # box 10 x 10: areas 100 (scale 1), 400 (scale 2) -> scale 2; 20 x 20: 400, 1600 -> scale 1
    assert rois.tolist() == [[1, 0, 0, 18, 18], [0, 0, 0, 19, 19]]


def test_rcnn_crop_without_padding_warps_the_box():
    img = lg.rand(3, 20, 24)
    fp = od.RCNN(crop_size=8, padding=0, num_threads=1, image_transformer=od.ImageTransformer({}))
    feat = fp.getFeature(img, [[2, 3, 13, 10], [0, 0, 23, 19]])
    assert feat.size() == (2, 3, 8, 8)
    pre = od.ImageTransformer({}).preprocess(img)
    assert lg.equal(feat[0], image.scale(pre[:, 3:11, 2:14], 8, 8, 'bilinear'))
    assert lg.equal(feat[1], image.scale(pre, 8, 8, 'bilinear'))


def test_rcnn_context_padding_pads_with_zeros_at_the_border():
    img = lg.rand(3, 20, 20).add(1)
    fp = od.RCNN(crop_size=12, padding=2, num_threads=1, image_transformer=od.ImageTransformer({'mean_pix': [0, 0, 0]}))
    # box 0..7: half 4, centre 4, scale 12 / 8: x1 = round(4 - 6) = -2 (1-based -1), x2 = round(10) = 10;
    # unclipped 13 wide, 2 columns left of the image: pad round(2 * 12 / 13) = 2, crop round(11 * 12 / 13) = 10
    feat = fp.getFeature(img, [[0, 0, 7, 7]])[0]
    assert feat[:, 0:2, :].abs().max() == 0 and feat[:, :, 0:2].abs().max() == 0
    assert lg.equal(feat[:, 2:12, 2:12], image.scale(img[:, 0:11, 0:11], 10, 10, 'bilinear'))
    # a 1-based half: the one-pixel box 0..0 (centre 0.5, half 0.5, scale 2) has x1 = 1-based round(0.5) = 1,
    # 0-based 0; rounding the 0-based -0.5 would give -1 and two columns of padding
    fp = od.RCNN(crop_size=8, padding=2, num_threads=1, image_transformer=od.ImageTransformer({'mean_pix': [0, 0, 0]}))
    feat = fp.getFeature(img, [[0, 0, 0, 0]])[0]
    assert feat[:, 0, 0].abs().min() > 0      # no padding row or column: the crop starts on pixel 0


def test_rcnn_threads_crop_as_the_main_thread(sharedserialize):
    img = lg.rand(3, 30, 30)
    boxes = lg.Tensor([[i, i, i + 8 + i % 3, i + 10] for i in range(7)])
    one = od.RCNN(crop_size=10, padding=2, num_threads=1).getFeature(img, boxes, True).clone()
    fp = od.RCNN(crop_size=10, padding=2, num_threads=2, iter_per_thread=3)
    try:
        many = fp.getFeature(img, boxes, True)
    finally:
        fp.donkeys.terminate()
    assert lg.equal(many, one)
    assert boxes[0].tolist() == [0, 0, 8, 10]      # flipping worked on a copy


def test_rcnn_compute_runs_the_model_in_max_batch_size_pieces(seeded):
    fp = od.RCNN(crop_size=4, padding=0, num_threads=1, max_batch_size=3)
    model = nn.Sequential().add(nn.View(-1).setNumInputDims(3)).add(nn.Linear(48, 5))
    inputs = lg.randn(7, 3, 4, 4)
    out = fp.compute(model, inputs)
    assert out.size() == (7, 5)
    assert (out - model.forward(inputs)).abs().max() < 1e-6


# --- DataSetDetection.lua, BatchProviderBase.lua, BatchProviderIC.lua ---------------------------------------

def test_attach_proposals_labels_boxes_by_their_best_object():
    ds = Rectangles(num_imgs=2)
    rec = ds.attachProposals(0)
    gt_boxes, gt_classes, _, _ = ds.getGTBoxes(0)
    n_gt = len(gt_classes)
    assert rec.size() == n_gt + ds.getROIBoxes(0).size(0)
    assert rec.gt.tolist()[:n_gt + 1] == [1] * n_gt + [0]
    assert rec.overlap[0:n_gt].tolist() == pytest.approx([1] * n_gt)
    assert rec.label[0:n_gt].tolist() == gt_classes
    for j in range(rec.size()):
        best = max(od.boxoverlap(gt_boxes, rec.boxes[j]).tolist())
        assert float(rec.overlap[j]) == pytest.approx(best)
        assert (int(rec.label[j]) == 0) == (best == 0)


def test_batch_provider_samples_its_foreground_fraction(seeded):
    ds = Rectangles(num_imgs=4)
    fp = od.FRCNN(scale=[32], max_size=64)
    bp = od.BatchProviderIC(dataset=ds, feat_provider=fp, batch_size=16, imgs_per_batch=2, bg_threshold=[0, 0.5])
    bp.setupData()
    for i in range(ds.num_imgs):
        assert bp.bboxes[i][1].size(0) >= 2 and bp.bboxes[i][0].size(0) >= 6
        assert (bp.bboxes[i][0][:, 5].abs().max()) == 0 and bp.bboxes[i][1][:, 5].min() >= 1
    seen = set()
    for _ in range(4):
        (data, rois), target = bp.getBatch()
        # fg_num_each = 0.25 * 16 = 4, 2 per image; bg 12, 6 per image: bg first, then fg, per image
        assert target.size() == (16, 1) and rois.size() == (16, 5)   # setLabel's {label} rows
        labels = target.view(-1).tolist()
        assert labels[0:6] == [0] * 6 and labels[8:14] == [0] * 6
        assert min(labels[6:8] + labels[14:]) >= 1
        assert rois[:, 0].tolist() == [0] * 8 + [1] * 8
        seen.update(int(i) for i in bp._perm)
    assert seen == set(range(ds.num_imgs))


def test_batch_provider_rc_fills_each_batch_background_first(seeded):
    ds = Rectangles(num_imgs=4)
    fp = od.RCNN(crop_size=8, padding=2, num_threads=1)
    bp = od.BatchProviderRC(dataset=ds, feat_provider=fp, batch_size=8, iter_per_batch=2, nTimesMoreData=1,
                            bg_threshold=[0, 0.5])
    bp.setupData()
    first, firstt = bp.getBatch()
    first, firstt = first.clone(), firstt.clone()
    second, secondt = bp.getBatch()
    assert first.size() == (8, 3, 8, 8) and firstt.size() == (8, 1)
    for t in (firstt, secondt):   # fg_fraction 0.25 of 8: 6 background windows, then 2 foreground
        labels = t.view(-1).tolist()
        assert labels[0:6] == [0] * 6 and min(labels[6:]) >= 1
    assert first.abs().sum() > 0 and second.abs().sum() > 0 and not lg.equal(first, second)
    assert bp._cur == 2
    bp.getBatch()                  # a third call prepares iter_per_batch new batches
    assert bp._cur == 1


def getModel():
    """tests/test_utils.lua's getModel: R-CNN's model1 and Fast R-CNN's model share features and classifier."""
    features = nn.Sequential()
    features.add(nn.SpatialConvolutionMM(3, 16, 11, 11, 16, 16, 5, 5))
    classifier = nn.Sequential()
    classifier.add(nn.Linear(7 * 7 * 16, 21))
    model1 = nn.Sequential()
    model1.add(features)
    model1.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model1.add(nn.View(-1).setNumInputDims(3))
    model1.add(classifier)
    model = nn.Sequential()
    prl = nn.ParallelTable()
    prl.add(features)
    prl.add(nn.Identity())
    model.add(prl)
    model.add(od.ROIPooling(7, 7).setSpatialScale(1 / 16))
    model.add(nn.View(-1).setNumInputDims(3))
    model.add(classifier)
    return model1, model, features, classifier


def test_imdetect_lua_batch_providers_feed_both_models(seeded):
    # tests/test_imdetect.lua lines 1-25 with tests/test_utils.lua, on the stand-in: the RCNN provider's windows
    # shared with the FRCNN one. Shrunk: bp1's batch_size (128) and iter_per_batch (10); bp2 is given a
    # batch_size, which BatchProviderIC leaves nil (`opt=true`) and getBatch multiplies (an error in Torch7 too);
    # background from overlap 0, not 0.1: the stand-in's random boxes seldom touch a rectangle, and selectBBoxes
    # reads past its windows (an error in Torch7 too) when there are fewer than it draws
    ds = Rectangles(num_imgs=4)
    model1, model, features, classifier = getModel()
    fp1 = od.RCNN(num_threads=1)
    fp2 = od.FRCNN()
    detect1 = od.ImageDetect(model1, fp1)
    detect = od.ImageDetect(model, fp2)
    bp1 = od.BatchProviderRC(dataset=ds, feat_provider=fp1, batch_size=8, bg_threshold=[0, 0.5])
    bp1.nTimesMoreData = 2
    bp1.iter_per_batch = 2
    bp2 = od.BatchProviderIC(dataset=ds, feat_provider=fp2, batch_size=16)
    bp1.setupData()
    bp2.bboxes = bp1.bboxes
    b, t = bp1.getBatch()
    assert b.size() == (8, 3, 227, 227) and model1.forward(b).size() == (8, 21)
    b, t = bp2.getBatch()
    assert b[0].size(2) == 600 and b[1].size() == (16, 5) and model.forward(b).size() == (16, 21)
    fp1.evaluate()
    fp2.evaluate()
    im = ds.getImage(1)
    boxes = ds.getROIBoxes(1)
    output1, _ = detect1.detect(im, boxes)
    output, _ = detect.detect(im, boxes)
    assert output1.size() == output.size() == (boxes.size(0), 21)


# --- Trainer.lua with models/frcnn_alexnet.lua --------------------------------------------------------------

def test_trainer_runs_sgd_steps_of_the_tiny_frcnn_alexnet(seeded):
    ds = Rectangles(num_imgs=4)
    fp = od.FRCNN(scale=[64], max_size=64)
    bp = od.BatchProviderIC(dataset=ds, feat_provider=fp, batch_size=8, imgs_per_batch=2, bg_threshold=[0, 0.5])
    bp.setupData()
    model = od.loadModel(div=16, num_outputs=ds.num_classes + 1)
    trainer = od.Trainer(model, nn.CrossEntropyCriterion(), bp,
                         dict(learningRate=1e-2, weightDecay=0.0005, momentum=0.9, learningRateDecay=0,
                              dampening=0))
    before = trainer.parameters.clone()
    trainer.train(3)
    assert trainer.epoch == 1 and len(trainer.fx) == 1 and np.isfinite(trainer.fx[0])
    conv1 = model.modules[0].modules[0].modules[0]
    assert conv1.gradWeight.abs().sum() > 0
    assert (trainer.parameters - before).abs().max() > 0
    # the classifier scores every sampled roi
    assert model.output.size() == (8, ds.num_classes + 1)


# --- ImageDetect.lua, Tester.lua ----------------------------------------------------------------------------

class ScoresByColour(nn.Module):
    """A stand-in detector for ImageDetect: each roi scores background 0.1 and each class by the mean of its
    colour plane inside the roi (a box inside a red rectangle scores 'red' 1), plus a bonus for its area."""

    def updateOutput(self, input):
        data, rois = input
        self.output.resize(rois.size(0), 4).fill(0.1)
        for r in range(rois.size(0)):
            b = [int(v) for v in rois[r].tolist()]
            crop = data[b[0], :, b[2]:b[4] + 1, b[1]:b[3] + 1]
            for c in range(3):   # the area breaks ties between boxes all of one colour: the larger wins
                self.output[r][c + 1] = crop[c].mean() + 128 / 255 + crop[c].numel() / 1e6
        return self.output


def test_prune_detections_thresholds_nms_and_orders_by_score():
    ds = Rectangles(num_imgs=1)
    tester = od.Tester(None, None, ds)
    boxes = lg.Tensor([[0, 0, 9, 9], [1, 1, 10, 10], [20, 20, 30, 30], [0, 0, 4, 4]])
    output = lg.Tensor([[0, 0.9, 0.01, 0.2],
                        [0, 0.8, 0.01, 0.3],
                        [0, 0.7, 0.01, 0.9],
                        [0, 0.95, 0.01, 0.0]])
    aboxes = [[None], [None], [None]]
    thresh = lg.ones(3).mul(0.05)
    tester.pruneDetections(aboxes, thresh, output, boxes, 0, 100, 5)
    # red: nms at 0.3 drops box 1 (0.68 with box 0), keeps 3, 0, 2 by score
    assert aboxes[0][0][:, 4].tolist() == pytest.approx([0.95, 0.9, 0.7])
    assert aboxes[0][0][:, 0:4].tolist() == [[0, 0, 4, 4], [0, 0, 9, 9], [20, 20, 30, 30]]
    assert aboxes[1][0].numel() == 0                       # no green score above 0.05
    assert aboxes[2][0][:, 4].tolist() == pytest.approx([0.9, 0.3])   # box 1's 0.3 beats box 0's 0.2
    # finalPrunning keeps what is below the threshold (Lua's `lt`), when anything is
    tester.finalPrunning(aboxes, lg.Tensor([0.8, 1, 1]))
    assert aboxes[0][0][:, 4].tolist() == pytest.approx([0.7])


def test_tester_detects_the_rectangles_by_colour(tmp_path, capsys):
    ds = Rectangles(num_imgs=3)
    proposals = ds.getROIBoxes
    ds.getROIBoxes = lambda i: od.concat(ds.getGTBoxes(i)[0], proposals(i), 0)   # the true boxes proposed too
    fp = od.FRCNN(scale=[64], max_size=64, image_transformer=od.ImageTransformer({}))
    tester = od.Tester(ScoresByColour(), fp, ds)
    tester.cachefolder = str(tmp_path)
    res = tester.test(1)
    out = capsys.readouterr().out
    assert 'Results:' in out and 'Avg.:' in out
    assert (tmp_path / 'test_iter1' / 'boxes_Rectangles.t7').exists()
    present = {o['name'] for i in range(3) for o in ds.getAnnotation(i)['object']}
    for c, name in enumerate(CLASSES):
        if name in present:   # each true box is proposed and outscores the smaller boxes inside it
            assert res[c] == pytest.approx(1)
        else:
            assert res[c] == 0
    saved = lg.load(str(tmp_path / 'test_iter1' / 'boxes_Rectangles.t7'))
    assert len(saved) == 3 and len(saved[0]) == 3


@pytest.mark.gpu
def test_roipooling_cuda_branch_matches_the_cpu(seeded):
    # ROIPooling.lua:34-38 copies CudaTensor rois to a FloatTensor for the per-roi loop; test_utils.lua's model
    _, model, features, _ = getModel()
    data = lg.randn(2, 3, 64, 64)
    rois = lg.Tensor([[0, 0, 0, 63, 63], [1, 8, 8, 40, 30], [0, 16, 0, 47, 31]])
    inp = [data, rois.clone()]
    out = model.forward(inp).clone()
    go = lg.randn(out.size())
    model.zeroGradParameters()
    model.backward(inp, go)
    grad = features.modules[0].gradWeight.clone()
    model.cuda()
    inp = [data.cuda(), rois.clone().cuda()]
    out_cuda = model.forward(inp)
    model.zeroGradParameters()
    model.backward(inp, go.cuda())
    pool = model.modules[1]
    assert lg.type(pool._rois) == 'torch.FloatTensor' and pool._rois.tolist() == inp[1].float().tolist()
    assert (out_cuda.float() - out).abs().max() < 1e-4
    assert (features.modules[0].gradWeight.float() - grad).abs().max() < 1e-3
