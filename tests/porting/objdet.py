"""fmassa/object-detection.torch (branch refactoring2, the packaged ``objdet``) ported line by line: ROIPooling.lua,
nms.lua, utils.lua (recursiveResizeAsCopyTyped, concat, flipBoundingBoxes, keep_top_k, VOCap, VOC2007ap,
boxoverlap, VOCevaldet), ImageTransformer.lua, DataSetDetection.lua, BatchProviderBase.lua, BatchProviderIC.lua,
BatchProviderRC.lua, RCNN.lua (its threads through legonn.threads), FRCNN.lua, ImageDetect.lua, Tester.lua (all
but ``validate``, which replays a cached batch on CudaTensors), Trainer.lua and models/frcnn_alexnet.lua.

Not ported: SPP.lua (on this branch its getFeature calls ``self.spp_pooler``, whose creation is commented out
at SPP.lua:82, its evaluate-mode projectBoxes reads an undefined global ``boxes`` at :423, and compute an unset
``max_batch_size``: it cannot run in Torch7 either), SVMTrainer.lua, DataSetPascal.lua and DataSetCOCO.lua (XML,
.mat and JSON readers of the real data sets; the tests' stand-in is a DataSetDetection of rectangles),
visualize_detections.lua, the command-line main.lua/train.lua/config.lua/opts.lua, and the older fast-rcnn
branch's BatchProviderROI.lua and Tester_FRCNN.lua, which this branch's BatchProviderIC.lua and Tester.lua replace.

Every box, image and row index is 0-based, as legonn's indexing is: a box ``(x1, y1, x2, y2)`` holds the 0-based
pixels of its corners, both ends inside the box (its width stays ``x2 - x1 + 1``), a roi row is ``(0-based image,
x1, y1, x2, y2)``, a class id stays a label (0 for background, 1..C for the classes, as Pascal's ``class_to_id``
gives) and the criterion's target is that label (Lua's ``+1`` for ClassNLLCriterion's 1-based targets goes). The
Lua's ``add(-1):mul(s):add(1)`` that scales a 1-based coordinate is ``mul(s)`` on a 0-based one; its clamps to the
map's last pixel ``width`` are to ``width - 1``. argcheck's packed tables are keyword arguments with the same
defaults.

Edits beyond Lua syntax and the indexing (each a row of docs/porting.md or noted at its line):
- ROIPooling.lua:10,67-76: its gradInput ``{gradData}`` has no entry for the rois, so the ParallelTable's
  nn.Identity that carries them gets no gradient (nil in Torch7, refused by legonn): the port adds zeros like the
  rois, as inn.ROIPooling's gradInput does.
- models/frcnn_alexnet.lua: the widths are divided by ``div`` (tiny stand-in), the class count is a parameter,
  the backend is legonn's cudnn (which runs on the CPU: Torch7's nn.SpatialConvolution has no ``groups``).
- Tensor positions read as numbers index as Python ints (``int(roi[1])``); a Lua table read past its end is
  nil (FRCNN.lua:70, one flip flag for several test scales); VOCevaldet's ``num_correct / count`` is nan for a
  class without objects as Lua's 0/0 (utils.lua:220); tensors and numbers tested for nil are tested ``is None``;
  keep_top_k's ``boxes[i]:resize()`` (utils.lua:67) is ``resize(0)`` (a docs/porting.md row).
- RCNN.lua:66-69 rounds the 1-based corner (``_round_1_based``, a docs/porting.md row); worker globals
  (RCNN.lua:130-132's ``crop_buffer``) live in ``threads.local``; a Lua closure's loop upvalues are bound as
  default arguments of the job.
- The repo's own behaviour, kept: VOCevaldet lets an image's detections claim objects in the order
  they are listed, not by score; Tester's finalPrunning keeps the boxes *below* the threshold (``lt``);
  BatchProviderRC's ``pass_index`` tests the pre-packaging name 'nnf.SPP'; ROIPooling scales ``rois`` in place.
"""
import math
import random

import legonn as lg
from legonn import cudnn, image, inn, nn, optim, paths, threads


# --- ROIPooling.lua -----------------------------------------------------------------------------------------

class ROIPooling(nn.Module):
    """objdet's ROIPooling: one nn.SpatialAdaptiveMaxPooling(W, H) per roi over the roi's (clamped) window of
    the map. Input ``{data (N, C, height, width), rois (R, 5)}``, output ``(R, C, H, W)``. As in the Lua,
    forward scales and rounds ``rois`` in place (a second forward of the same tensor scales it again)."""

    lua_package = 'objdet'

    def __init__(self, W, H):
        super().__init__()
        self.W = W
        self.H = H
        self.pooler = []  # nn.SpatialAdaptiveMaxPooling(W,H)
        self.spatial_scale = 1
        self.gradInput = [lg.Tensor()]

    def setSpatialScale(self, scale):
        self.spatial_scale = scale
        return self

    def updateOutput(self, input):
        data = input[0]
        rois = input[1]

        num_rois = rois.size(0)
        s = data.size()
        ss = s.size()
        self.output.resize(num_rois, s[ss - 3], self.H, self.W)

        rois[:, 1:5].mul(self.spatial_scale).round()
        rois[:, 1].cmin(s[ss - 1] - 1)
        rois[:, 2].cmin(s[ss - 2] - 1)
        rois[:, 3].cmin(s[ss - 1] - 1)
        rois[:, 4].cmin(s[ss - 2] - 1)

        # element access is faster if not a cuda tensor
        if rois.type() == 'torch.CudaTensor':
            if getattr(self, '_rois', None) is None:
                self._rois = lg.FloatTensor()
            self._rois.resize(rois.size()).copy(rois)
            rois = self._rois

        if not getattr(self, '_type', None):
            self._type = self.output.type()

        if len(self.pooler) < num_rois:
            diff = num_rois - len(self.pooler)
            for i in range(diff):
                self.pooler.append(nn.SpatialAdaptiveMaxPooling(self.W, self.H).type(self._type))

        for i in range(num_rois):
            roi = rois[i]
            im_idx = int(roi[0])
            im = data[im_idx, :, int(roi[2]):int(roi[4]) + 1, int(roi[1]):int(roi[3]) + 1]
            self.output[i] = self.pooler[i].updateOutput(im)
        return self.output

    def updateGradInput(self, input, gradOutput):
        data = input[0]
        rois = input[1]
        if rois.type() == 'torch.CudaTensor':
            rois = self._rois
        num_rois = rois.size(0)
        self.gradInput[0].resizeAs(data).zero()

        for i in range(num_rois):
            roi = rois[i]
            im_idx = int(roi[0])
            r = (im_idx, slice(None), slice(int(roi[2]), int(roi[4]) + 1), slice(int(roi[1]), int(roi[3]) + 1))
            im = data[r]
            g = self.pooler[i].updateGradInput(im, gradOutput[i])
            self.gradInput[0][r].add(g)
        # edit: Torch7's gradInput is {gradData} alone and its ParallelTable's nn.Identity passes the missing
        # entry on as nil; legonn's containers want an entry per input (docs/porting.md), zeros as inn's gives
        del self.gradInput[1:]
        self.gradInput.append(input[1].new().resizeAs(input[1]).zero())
        return self.gradInput

    def type(self, type=None, cache=None):
        if type is None:
            return super().type()
        super().type(type, cache)
        for i in range(len(self.pooler)):
            self.pooler[i].type(type)
        self._type = type
        return self


lg.register(ROIPooling, 'objdet.ROIPooling')


# --- nms.lua ------------------------------------------------------------------------------------------------

def nms(boxes, overlap):
    """0-based positions of the rows of ``boxes`` (x1, y1, x2, y2, ..., score) that greedy non-maximum
    suppression keeps, best score first."""
    pick = lg.LongTensor()

    if boxes.numel() == 0:
        return pick

    x1 = boxes[:, 0]
    y1 = boxes[:, 1]
    x2 = boxes[:, 2]
    y2 = boxes[:, 3]
    s = boxes[:, -1]

    area = boxes.new().resizeAs(s).zero()
    area.map2(x2, x1, lambda xx, xx2, xx1: xx2 - xx1 + 1)
    area.map2(y2, y1, lambda xx, xx2, xx1: xx * (xx2 - xx1 + 1))

    vals, I = s.sort(0)

    pick.resize(s.size()).zero()
    counter = 0
    xx1 = boxes.new()
    yy1 = boxes.new()
    xx2 = boxes.new()
    yy2 = boxes.new()

    w = boxes.new()
    h = boxes.new()

    while I.numel() > 0:
        last = I.size(0)
        i = int(I[last - 1])
        pick[counter] = i
        counter = counter + 1
        if last == 1:
            break
        I = I[0:last - 1]

        xx1.index(x1, 0, I)
        xx1.cmax(x1[i])
        yy1.index(y1, 0, I)
        yy1.cmax(y1[i])
        xx2.index(x2, 0, I)
        xx2.cmin(x2[i])
        yy2.index(y2, 0, I)
        yy2.cmin(y2[i])

        w.resizeAs(xx2).zero()
        w.map2(xx2, xx1, lambda xx, xxx2, xxx1: max(xxx2 - xxx1 + 1, 0))
        h.resizeAs(yy2).zero()
        h.map2(yy2, yy1, lambda xx, yyy2, yyy1: max(yyy2 - yyy1 + 1, 0))

        inter = w
        inter.cmul(h)

        o = h
        xx1.index(area, 0, I)
        lg.cdiv(o, inter, xx1 + area[i] - inter)
        I = I[o.le(overlap)]

    pick = pick[0:counter]
    return pick


# --- utils.lua ----------------------------------------------------------------------------------------------

def recursiveResizeAsCopyTyped(t1, t2, type=None):
    if isinstance(t2, list):
        t1 = t1 if isinstance(t1, list) else [t1]
        for key in range(len(t2)):
            if key >= len(t1):
                t1.append(None)
            t1[key], t2[key] = recursiveResizeAsCopyTyped(t1[key], t2[key], type)
    elif lg.isTensor(t2):
        type = type or t2.type()
        t1 = t1 if lg.isTypeOf(t1, type) else lg.Tensor().type(type)
        t1.resize(t2.size()).copy(t2)
    else:
        raise TypeError("expecting nested tensors or tables. Got " + lg.type(t1) + " and " + lg.type(t2)
                        + " instead")
    return t1, t2


def concat(t1, t2, dim=None):
    assert t1.type() == t2.type(), 'tensors should have the same type'
    if t1.dim() > 0 and t2.dim() > 0:
        dim = dim if dim is not None else t1.dim() - 1
        out = lg.cat(t1, t2, dim)
    elif t1.dim() > 0:
        out = t1.clone()
    else:
        out = t2.clone()
    return out


# modify bbox input
def flipBoundingBoxes(bbox, im_width):
    if bbox.dim() == 1:
        tt = bbox[0]
        bbox[0] = im_width - 1 - bbox[2]
        bbox[2] = im_width - 1 - tt
    else:
        tt = bbox[:, 0].clone()
        bbox[:, 0].fill(im_width - 1).add(-1, bbox[:, 2])
        bbox[:, 2].fill(im_width - 1).add(-1, tt)


def keep_top_k(boxes, top_k):
    X = lg.cat(boxes, 0)
    if X.numel() == 0:
        return None
    scores = X[:, -1].sort(0, True)[0]
    thresh = scores[min(scores.numel(), top_k) - 1]
    for i in range(len(boxes)):
        bbox = boxes[i]
        if bbox.numel() > 0:
            idx = lg.range(0, bbox.size(0) - 1).long()
            keep = bbox[:, -1].ge(thresh)
            idx = idx[keep]
            if idx.numel() > 0:
                boxes[i] = bbox.index(0, idx)
            else:
                boxes[i].resize(0)   # Lua's resize() empties it; legonn's would make a 1-element scalar
    return boxes, thresh


def VOCap(rec, prec):
    mrec = rec.totable()
    mpre = prec.totable()
    mrec.insert(0, 0); mrec.append(1)
    mpre.insert(0, 0); mpre.append(0)
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])

    ap = 0
    for i in range(len(mpre) - 1):
        if mrec[i] != mrec[i + 1]:
            ap = ap + (mrec[i + 1] - mrec[i]) * mpre[i + 1]
    return ap


def VOC2007ap(rec, prec):
    ap = 0
    # Lua's `for t=0,1,0.1` adds the step to a double each time: its last t is 0.9999999999999999
    t = 0
    while t <= 1:
        c = prec[rec.ge(t)]
        if c.numel() > 0:
            p = lg.max(c)
        else:
            p = 0
        ap = ap + p / 11
        t = t + 0.1
    return ap


def boxoverlap(a, b):
    b = [b['xmin'], b['ymin'], b['xmax'], b['ymax']] if isinstance(b, dict) else b

    x1 = a.select(1, 0).clone()
    x1[x1.lt(b[0])] = b[0]
    y1 = a.select(1, 1).clone()
    y1[y1.lt(b[1])] = b[1]
    x2 = a.select(1, 2).clone()
    x2[x2.gt(b[2])] = b[2]
    y2 = a.select(1, 3).clone()
    y2[y2.gt(b[3])] = b[3]

    w = x2 - x1 + 1
    h = y2 - y1 + 1
    inter = lg.cmul(w, h).float()
    aarea = lg.cmul((a.select(1, 2) - a.select(1, 0) + 1), (a.select(1, 3) - a.select(1, 1) + 1)).float()
    barea = (b[2] - b[0] + 1) * (b[3] - b[1] + 1)

    # intersection over union overlap
    o = lg.cdiv(inter, (aarea + barea - inter))
    # set invalid entries to 0 overlap
    o[w.lt(0)] = 0
    o[h.lt(0)] = 0

    return o


def VOCevaldet(dataset, scored_boxes, cls):
    num_pr = 0
    energy = []
    correct = []

    count = 0

    for i in range(dataset.size()):
        ann = dataset.getAnnotation(i)
        bbox = []
        det = []
        for obj in ann['object']:
            if obj['name'] == cls and obj['difficult'] == '0':
                bbox.append([obj['bndbox']['xmin'], obj['bndbox']['ymin'],
                             obj['bndbox']['xmax'], obj['bndbox']['ymax']])
                det.append(0)
                count = count + 1

        bbox = lg.Tensor(bbox)
        det = lg.Tensor(det)

        num = scored_boxes[i].size(0) if scored_boxes[i].numel() > 0 else 0
        for j in range(num):
            bbox_pred = scored_boxes[i][j]
            num_pr = num_pr + 1
            energy.append(bbox_pred[4])

            if bbox.numel() > 0:
                o = boxoverlap(bbox, bbox_pred[0:4])
                maxo, index = o.max(0)
                maxo = maxo[0]
                index = int(index[0])
                if maxo >= 0.5 and det[index] == 0:
                    correct.append(1)
                    det[index] = 1
                else:
                    correct.append(0)
            else:
                correct.append(0)

    if len(energy) == 0:
        return 0, lg.Tensor(), lg.Tensor()

    energy = lg.Tensor(energy)
    correct = lg.Tensor(correct)

    threshold, index = energy.sort(0, True)

    correct = correct.index(0, index)

    n = threshold.numel()

    recall = lg.zeros(n)
    precision = lg.zeros(n)

    num_correct = 0

    for i in range(n):
        # compute precision
        num_positive = i + 1
        num_correct = num_correct + correct[i]
        if num_positive != 0:
            precision[i] = num_correct / num_positive
        else:
            precision[i] = 0

        # compute recall
        # Lua's 0/0 for a class with no object is nan (docs/porting.md's row): Python would raise
        recall[i] = num_correct / count if count != 0 else math.nan

    ap = VOCap(recall, precision)
    print('AP = %.4f' % ap)

    return ap, recall, precision


# --- ImageTransformer.lua -----------------------------------------------------------------------------------

class ImageTransformer:
    typename = 'objdet.ImageTransformer'

    def __init__(self, args):
        self.mean_pix = [128 / 255, 128 / 255, 128 / 255]
        self.raw_scale = 1
        self.swap = None
        for k, v in args.items():
            setattr(self, k, v)

    def preprocess(self, I):
        if I.dim() == 2:
            I = I.view(1, I.size(0), I.size(1))
        if I.size(0) == 1:
            I = I.expand(3, I.size(1), I.size(2))
        I = channel_swap(I, self.swap)
        if self.raw_scale != 1:
            I.mul(self.raw_scale)
        for i in range(3):
            I[i].add(-self.mean_pix[i])
        return I


def channel_swap(I, swap):
    if not swap:
        return I.clone()
    out = I.new().resizeAs(I)
    for i in range(I.size(0)):
        out[i] = I[swap[i]]
    return out


# --- DataSetDetection.lua -----------------------------------------------------------------------------------

class DataSetDetection:
    """The base of the detection data sets: a subclass gives getImage, getAnnotation, getROIBoxes, getGTBoxes
    (0-based image index ``i``) and ``img_ids``."""
    typename = 'objdet.DataSetDetection'
    _isDataSet = True

    def __init__(self):
        self.classes = None
        self.num_classes = None
        self.image_set = None
        self.dataset_name = None

    def size(self):
        return len(self.img_ids)

    def bestOverlap(self, all_boxes, gt_boxes, gt_classes):
        num_total_boxes = all_boxes.size(0)
        num_gt_boxes = gt_boxes.size(0) if gt_boxes.dim() > 0 else 0
        overlap_class = lg.FloatTensor(num_total_boxes, self.num_classes).zero()
        overlap = lg.FloatTensor(num_total_boxes, num_gt_boxes).zero()
        for idx in range(num_gt_boxes):
            o = boxoverlap(all_boxes, gt_boxes[idx])
            tmp = overlap_class[:, gt_classes[idx] - 1]  # pointer copy; class ids are labels 1..C
            tmp[tmp.lt(o)] = o[tmp.lt(o)]
            overlap[:, idx] = o
        if num_gt_boxes > 0:
            overlap, correspondance = overlap.max(1)
            overlap = lg.squeeze(overlap, 1)
            correspondance = lg.squeeze(correspondance, 1)
            correspondance[overlap.eq(0)] = -1  # Lua's 0 "no object" is -1 next to 0-based positions
        else:
            overlap = lg.FloatTensor(num_total_boxes).zero()
            correspondance = lg.LongTensor(num_total_boxes).fill(-1)
        return overlap, correspondance, overlap_class

    def attachProposals(self, i):
        boxes = self.getROIBoxes(i)
        gt_boxes, gt_classes, valid_objects, anno = self.getGTBoxes(i)

        all_boxes = concat(gt_boxes, boxes, 0)

        num_boxes = boxes.size(0) if boxes.dim() > 0 else 0
        num_gt_boxes = len(gt_classes)

        rec = Record()
        rec.gt = concat(lg.ByteTensor(num_gt_boxes).fill(1), lg.ByteTensor(num_boxes).fill(0))

        rec.overlap, rec.correspondance, rec.overlap_class = self.bestOverlap(all_boxes, gt_boxes, gt_classes)
        rec.label = lg.IntTensor(num_boxes + num_gt_boxes).fill(0)
        for idx in range(num_boxes + num_gt_boxes):
            corr = int(rec.correspondance[idx])
            if corr >= 0:
                rec.label[idx] = gt_classes[corr]

        rec.boxes = all_boxes
        rec.class_ = concat(lg.CharTensor(gt_classes), lg.CharTensor(num_boxes).fill(0))

        if getattr(self, 'save_objs', False):
            rec.objects = []
            for idx in valid_objects:
                rec.objects.append(anno['object'][idx])

        rec.size = lambda: num_boxes + num_gt_boxes
        return rec


class Record:
    """attachProposals' ``rec`` table (``rec.class`` is ``rec.class_``: ``class`` is Python's keyword)."""


# --- BatchProviderBase.lua ----------------------------------------------------------------------------------

def createWindowBase(rec, i, j, is_bg):
    label = 0 if is_bg is True else int(rec.label[j])
    window = [i, rec.boxes[j][0], rec.boxes[j][1], rec.boxes[j][2], rec.boxes[j][3], label]
    return window


class BatchProviderBase:
    typename = 'objdet.BatchProviderBase'

    def __init__(self):
        self.dataset = None
        self.batch_size = 128
        self.fg_fraction = 0.25
        self.fg_threshold = 0.5
        self.bg_threshold = [0, 0.5]
        self.createWindow = createWindowBase
        self.do_flip = True

    # allow changing the way self.bboxes are formatted
    def setCreateWindow(self, createWindow):
        self.createWindow = createWindow

    def setupData(self):
        dataset = self.dataset
        bb = {}
        bbT = {}

        for i in range(0, dataset.num_classes + 1):  # 0 because of background
            bb[i] = []

        for i in range(dataset.num_imgs):
            bbT[i] = {}

        for i in range(dataset.num_imgs):
            rec = dataset.attachProposals(i)

            for j in range(rec.size()):
                is_fg = (rec.overlap[j] >= self.fg_threshold)
                is_bg = (not is_fg) and (rec.overlap[j] >= self.bg_threshold[0] and
                                         rec.overlap[j] < self.bg_threshold[1])
                if is_fg:
                    window = self.createWindow(rec, i, j, is_bg)
                    bb[1].append(window)  # could be id instead of 1
                elif is_bg:
                    window = self.createWindow(rec, i, j, is_bg)
                    bb[0].append(window)

            for j in range(0, dataset.num_classes + 1):  # 0 because of background
                if len(bb[j]) > 0:
                    bbT[i][j] = lg.FloatTensor(bb[j])

            bb = {}
            for c in range(0, dataset.num_classes + 1):  # 0 because of background
                bb[c] = []
        self.bboxes = bbT

    def getBatch(self):
        raise RuntimeError("You can't use BatchProviderBase")


# --- BatchProviderIC.lua ------------------------------------------------------------------------------------

class BatchProviderIC(BatchProviderBase):
    typename = 'objdet.BatchProviderIC'

    def __init__(self, dataset, feat_provider, batch_size=None, imgs_per_batch=2, fg_fraction=0.25,
                 fg_threshold=0.5, bg_threshold=(0.1, 0.5), do_flip=True):
        super().__init__()
        opts = dict(dataset=dataset, feat_provider=feat_provider, batch_size=batch_size,
                    imgs_per_batch=imgs_per_batch, fg_fraction=fg_fraction, fg_threshold=fg_threshold,
                    bg_threshold=list(bg_threshold), do_flip=do_flip)
        for k, v in opts.items():
            setattr(self, k, v)

    def permuteIdx(self):
        total_img = self.dataset.size()
        imgs_per_batch = self.imgs_per_batch

        self._cur = getattr(self, '_cur', math.inf)

        if self._cur + imgs_per_batch > total_img:
            self._perm = lg.randperm(total_img)
            self._cur = 0

        img_idx = self._perm[self._cur:self._cur + self.imgs_per_batch]
        self._cur = self._cur + self.imgs_per_batch

        img_idx_end = imgs_per_batch

        fg_windows = []
        bg_windows = []
        for i in range(img_idx_end):
            curr_idx = int(img_idx[i])
            bg_windows.append([])
            if 0 in self.bboxes[curr_idx]:
                for j in range(self.bboxes[curr_idx][0].size(0)):
                    bg_windows[i].append([curr_idx, j])
            fg_windows.append([])
            if 1 in self.bboxes[curr_idx]:
                for j in range(self.bboxes[curr_idx][1].size(0)):
                    fg_windows[i].append([curr_idx, j])
        do_flip = lg.FloatTensor(imgs_per_batch)
        if self.do_flip:
            do_flip.random(0, 1)
        else:
            do_flip.zero()
        opts = dict(img_idx=img_idx, img_idx_end=img_idx_end, do_flip=do_flip)
        return fg_windows, bg_windows, opts

    def setLabel(self, dd, do_flip):
        # by default, returns as labels everything that is after the
        # 5th position.
        return dd[4:].totable()

    def prepareTarget(self, labels):
        return lg.FloatTensor(labels)

    # improve later, remove redundant things and make more generic
    def selectBBoxes(self, fg_windows, bg_windows, do_flip):
        fg_num_each = lg.round(self.fg_num_each / self.imgs_per_batch)
        bg_num_each = lg.round(self.bg_num_each / self.imgs_per_batch)

        bboxes = []
        labels = []
        for im in range(self.imgs_per_batch):
            window_idx = lg.randperm(len(bg_windows[im]))
            end_idx = min(bg_num_each, len(bg_windows[im]))
            bbox = []
            for i in range(int(end_idx)):
                curr_idx = bg_windows[im][int(window_idx[i])][0]
                position = bg_windows[im][int(window_idx[i])][1]
                dd = self.bboxes[curr_idx][0][position][1:]
                bbox.append([dd[0], dd[1], dd[2], dd[3]])
                labels.append(self.setLabel(dd, do_flip[im]))

            window_idx = lg.randperm(len(fg_windows[im]))
            end_idx = min(fg_num_each, len(fg_windows[im]))
            for i in range(int(end_idx)):
                curr_idx = fg_windows[im][int(window_idx[i])][0]
                position = fg_windows[im][int(window_idx[i])][1]
                dd = self.bboxes[curr_idx][1][position][1:]
                bbox.append([dd[0], dd[1], dd[2], dd[3]])
                labels.append(self.setLabel(dd, do_flip[im]))
            bboxes.append(lg.FloatTensor(bbox))
        labels = self.prepareTarget(labels)
        return bboxes, labels

    def getBatch(self):
        dataset = self.dataset

        self.fg_num_each = self.fg_fraction * self.batch_size
        self.bg_num_each = self.batch_size - self.fg_num_each

        fg_windows, bg_windows, opts = self.permuteIdx()

        if getattr(self, 'targets', None) is None:
            self.targets = lg.FloatTensor()

        targets = self.targets

        imgs = []
        for i in range(opts['img_idx'].size(0)):
            imgs.append(dataset.getImage(int(opts['img_idx'][i])))
        boxes, labels = self.selectBBoxes(fg_windows, bg_windows, opts['do_flip'])
        self.batches = self.feat_provider.getFeature(imgs, boxes, opts['do_flip'])

        targets.resize(labels.size()).copy(labels)

        return self.batches, self.targets


# --- BatchProviderRC.lua ------------------------------------------------------------------------------------

class BatchProviderRC(BatchProviderBase):
    """BatchProviderRC.lua: ``iter_per_batch`` batches of single crops (RCNN, SPP) prepared at once, each batch
    its ``bg_num_each`` background windows first, then its foreground ones."""
    typename = 'objdet.BatchProviderRC'

    def __init__(self, dataset, feat_provider, batch_size=128, iter_per_batch=10, nTimesMoreData=10,
                 fg_fraction=0.25, fg_threshold=0.5, bg_threshold=(0.1, 0.5), target_dim=1, do_flip=True):
        super().__init__()
        opts = dict(dataset=dataset, feat_provider=feat_provider, batch_size=batch_size,
                    iter_per_batch=iter_per_batch, nTimesMoreData=nTimesMoreData, fg_fraction=fg_fraction,
                    fg_threshold=fg_threshold, bg_threshold=list(bg_threshold), target_dim=target_dim,
                    do_flip=do_flip)
        for k, v in opts.items():
            setattr(self, k, v)

        self.batch_dim = self.feat_provider.output_size

    def permuteIdx(self):
        fg_num_total = self.fg_num_total
        bg_num_total = self.bg_num_total
        total_img = self.dataset.size()

        img_idx = lg.randperm(total_img)
        pos_count = 0
        neg_count = 0
        img_idx_end = 0

        while ((pos_count <= fg_num_total * self.nTimesMoreData or neg_count <= bg_num_total * self.nTimesMoreData)
               and img_idx_end < total_img):
            img_idx_end = img_idx_end + 1
            curr_idx = int(img_idx[img_idx_end - 1])

            toadd = self.bboxes[curr_idx][1].size(0) if 1 in self.bboxes[curr_idx] else 0
            pos_count = pos_count + toadd

            toadd = self.bboxes[curr_idx][0].size(0) if 0 in self.bboxes[curr_idx] else 0
            neg_count = neg_count + toadd

        fg_windows = []
        bg_windows = []
        for i in range(img_idx_end):
            curr_idx = int(img_idx[i])
            if 0 in self.bboxes[curr_idx]:
                for j in range(self.bboxes[curr_idx][0].size(0)):
                    bg_windows.append([curr_idx, j])
            if 1 in self.bboxes[curr_idx]:
                for j in range(self.bboxes[curr_idx][1].size(0)):
                    fg_windows.append([curr_idx, j])

        opts = dict(img_idx=img_idx, img_idx_end=img_idx_end)
        return fg_windows, bg_windows, opts

    def selectBBoxes(self, fg_windows, bg_windows):
        fg_w = {}
        bg_w = {}

        window_idx = lg.randperm(len(bg_windows)) if len(bg_windows) > 0 else lg.Tensor()
        for i in range(int(self.bg_num_total)):
            curr_idx = bg_windows[int(window_idx[i])][0]
            position = bg_windows[int(window_idx[i])][1]
            if curr_idx not in bg_w:
                bg_w[curr_idx] = []
            dd = self.bboxes[curr_idx][0][position]
            bg_w[curr_idx].append(dd)

        window_idx = lg.randperm(len(fg_windows)) if len(fg_windows) > 0 else lg.Tensor()
        for i in range(int(self.fg_num_total)):
            curr_idx = fg_windows[int(window_idx[i])][0]
            position = fg_windows[int(window_idx[i])][1]
            if curr_idx not in fg_w:
                fg_w[curr_idx] = []
            dd = self.bboxes[curr_idx][1][position]
            fg_w[curr_idx].append(dd)

        return fg_w, bg_w

    def prepareFeatures(self, im_idx, bboxes, fg_label, bg_label):
        num_pos = len(bboxes[1]) if bboxes[1] is not None else 0
        num_neg = len(bboxes[0]) if bboxes[0] is not None else 0

        fg_label.resize(num_pos, self.target_dim)
        bg_label.resize(num_neg, self.target_dim)

        flip = False
        if self.do_flip:
            flip = lg.random(0, 1) == 0

        s_boxes = []
        for i in range(num_pos):
            bbox = [bboxes[1][i][1], bboxes[1][i][2], bboxes[1][i][3], bboxes[1][i][4]]
            s_boxes.append(bbox)
            fg_label[i][0] = bboxes[1][i][5]

        for i in range(num_neg):
            bbox = [bboxes[0][i][1], bboxes[0][i][2], bboxes[0][i][3], bboxes[0][i][4]]
            s_boxes.append(bbox)
            bg_label[i][0] = bboxes[0][i][5]

        feats = self.feat_provider.getFeature(im_idx, s_boxes, flip)
        fg_data = feats.narrow(0, 0, num_pos) if num_pos > 0 else None
        bg_data = feats.narrow(0, num_pos, num_neg) if num_neg > 0 else None

        return fg_data, bg_data

    def prepareBatch(self, batches, targets):
        dataset = self.dataset

        self.fg_num_each = self.fg_fraction * self.batch_size
        self.bg_num_each = self.batch_size - self.fg_num_each
        self.fg_num_total = self.fg_num_each * self.iter_per_batch
        self.bg_num_total = self.bg_num_each * self.iter_per_batch

        fg_windows, bg_windows, opts = self.permuteIdx()
        fg_w, bg_w = self.selectBBoxes(fg_windows, bg_windows)

        batches = batches if batches is not None else lg.FloatTensor()
        targets = targets if targets is not None else lg.IntTensor()

        batches.resize(self.iter_per_batch, self.batch_size, *self.batch_dim)
        targets.resize(self.iter_per_batch, self.batch_size, self.target_dim)

        fg_rnd_idx = lg.randperm(int(self.fg_num_total)) if self.fg_num_total > 0 else lg.Tensor()
        bg_rnd_idx = lg.randperm(int(self.bg_num_total)) if self.bg_num_total > 0 else lg.Tensor()
        fg_counter = 0
        bg_counter = 0

        fg_label = lg.IntTensor()
        bg_label = lg.IntTensor()

        # as the Lua: FeatureProviders are 'objdet.SPP' since the packaging, so this never passes indices
        pass_index = lg.typename(self.feat_provider) == 'nnf.SPP'

        print('==> Preparing Batch Data')
        for i in range(opts['img_idx_end']):
            curr_idx = int(opts['img_idx'][i])

            nfg = len(fg_w[curr_idx]) if curr_idx in fg_w else 0
            nbg = len(bg_w[curr_idx]) if curr_idx in bg_w else 0

            bboxes = {}
            bboxes[0] = bg_w.get(curr_idx)
            bboxes[1] = fg_w.get(curr_idx)

            if pass_index:
                data = curr_idx
            else:
                data = dataset.getImage(curr_idx)
            fg_data, bg_data = self.prepareFeatures(data, bboxes, fg_label, bg_label)

            for j in range(nbg):
                bg_counter = bg_counter + 1
                idx = int(bg_rnd_idx[bg_counter - 1])
                b = int(idx // self.bg_num_each)
                s = int(idx % self.bg_num_each)
                batches[b][s].copy(bg_data[j])
                targets[b][s].copy(bg_label[j])

            for j in range(nfg):
                fg_counter = fg_counter + 1
                idx = int(fg_rnd_idx[fg_counter - 1])
                b = int(idx // self.fg_num_each)
                s = int(idx % self.fg_num_each + self.bg_num_each)
                batches[b][s].copy(fg_data[j])
                targets[b][s].copy(fg_label[j])
        return batches, targets

    def getBatch(self):
        self._cur = getattr(self, '_cur', math.inf)

        if self._cur >= self.iter_per_batch:
            self._batches, self._targets = self.prepareBatch(getattr(self, '_batches', None),
                                                             getattr(self, '_targets', None))
            self._cur = 0

        self.batches = self._batches[self._cur]
        self.targets = self._targets[self._cur]
        self._cur = self._cur + 1

        return self.batches, self.targets


# --- FRCNN.lua ----------------------------------------------------------------------------------------------

class FRCNN:
    typename = 'objdet.FRCNN'
    _isFeatureProvider = True

    # argcheck's defaults are built once, when FRCNN.lua is loaded: every FRCNN shares this ImageTransformer
    _default_transformer = ImageTransformer({})

    def __init__(self, scale=(600,), max_size=1000, inputArea=224 ** 2, image_transformer=None):
        opts = dict(scale=list(scale), max_size=max_size, inputArea=inputArea,
                    image_transformer=image_transformer or FRCNN._default_transformer)
        for k, v in opts.items():
            setattr(self, k, v)

        self.train = True

    def training(self):
        self.train = True

    def evaluate(self):
        self.train = False

    def processImages(self, input_imgs, do_flip):
        output_imgs = self._feat[0]
        im = None
        if self.train:
            num_images = len(input_imgs)
        else:
            num_images = len(self.scale)
            im = self.image_transformer.preprocess(input_imgs[0])

        imgs = []
        im_sizes = []
        im_scales = []

        for i in range(num_images):
            if self.train:
                im = input_imgs[i]
                im = self.image_transformer.preprocess(im)
                scale = self.scale[random.randint(1, len(self.scale)) - 1]
            else:
                scale = self.scale[i]
            # Lua's do_flip[i] past the table's end (one flag, several test scales) is nil: no flip
            flip = do_flip is not None and i < len(do_flip) and do_flip[i] == 1
            if flip:
                im = image.hflip(im)
            im_size = im[0].size()
            im_size_min = min(im_size[0], im_size[1])
            im_size_max = max(im_size[0], im_size[1])
            im_scale = scale / im_size_min
            if lg.round(im_scale * im_size_max) > self.max_size:
                im_scale = self.max_size / im_size_max
            im_s = [lg.round(im_size[0] * im_scale), lg.round(im_size[1] * im_scale)]
            imgs.append(image.scale(im, int(im_s[1]), int(im_s[0])))
            im_sizes.append(im_s)
            im_scales.append(im_scale)
        # create single tensor with all images, padding with zero for different sizes
        im_sizes = lg.IntTensor(im_sizes)
        max_shape = im_sizes.max(0)[0][0]
        output_imgs.resize(num_images, 3, int(max_shape[0]), int(max_shape[1])).zero()
        for i in range(num_images):
            output_imgs[i][:, 0:imgs[i].size(1), 0:imgs[i].size(2)].copy(imgs[i])
        return im_scales, im_sizes

    def projectImageROIs(self, im_rois, scales, do_flip, imgs_size):
        rois = self._feat[1]
        # training (or one scale): every box of an image has its image's scale; testing at several scales:
        # each box goes to the scale that brings its area closest to self.inputArea
        if self.train or len(scales) == 1:
            total_bboxes = 0
            cumul_bboxes = [0]
            for i in range(len(scales)):
                total_bboxes = total_bboxes + im_rois[i].size(0)
                cumul_bboxes.append(total_bboxes)
            rois.resize(total_bboxes, 5)
            for i in range(len(scales)):
                idx = slice(cumul_bboxes[i], cumul_bboxes[i + 1])
                rois[idx, 0].fill(i)
                rois[idx, 1:5].copy(im_rois[i]).mul(scales[i])
                if do_flip is not None and do_flip[i] == 1:
                    flipBoundingBoxes(rois[idx, 1:5], int(imgs_size[i][1]))
        else:  # not yet tested
            scales = lg.FloatTensor(scales)
            im_rois = im_rois[0].float()
            widths = im_rois[:, 2] - im_rois[:, 0] + 1
            heights = im_rois[:, 3] - im_rois[:, 1] + 1

            areas = lg.cmul(widths, heights)
            scaled_areas = lg.mm(areas.view(-1, 1), lg.pow(scales.view(1, -1), 2))  # use torch.ger ?
            diff_areas = scaled_areas.add(-self.inputArea).abs()  # no memory copy
            levels = diff_areas.min(1)[1]
            levels = levels.squeeze(1)  # replace by levels:squeeze(2)

            num_boxes = im_rois.size(0)
            rois.resize(num_boxes, 5)
            for i in range(num_boxes):
                s = int(levels[i])
                rois[i, 1:5].copy(im_rois[i]).mul(scales[s])
                rois[i, 0] = s
        return rois

    def getFeature(self, imgs, bboxes, flip=None):
        if getattr(self, '_feat', None) is None:
            self._feat = [lg.FloatTensor(), lg.FloatTensor()]

        # if it's in test mode, adapt inputs
        if lg.isTensor(imgs):
            imgs = [imgs]
            if isinstance(bboxes, list):
                bboxes = lg.FloatTensor(bboxes)
                bboxes = bboxes.view(1, -1) if bboxes.dim() == 1 else bboxes
            bboxes = [bboxes]
            if flip is False:
                flip = [0]
            elif flip is True:
                flip = [1]

        im_scales, im_sizes = self.processImages(imgs, flip)
        self.projectImageROIs(bboxes, im_scales, flip, im_sizes)

        return self._feat

    # do the bbox regression
    def postProcess(self, im, boxes, output):
        # not implemented yet
        return output, boxes

    def compute(self, model, inputs):
        ttype = model.type()
        self.inputs, inputs = recursiveResizeAsCopyTyped(getattr(self, 'inputs', None), inputs, ttype)
        return model.forward(self.inputs)


# --- RCNN.lua -----------------------------------------------------------------------------------------------

def _round_1_based(v):
    """torch.round of the Lua's 1-based coordinate, back to 0-based: rounding halves away from zero does not
    commute with the shift at a 1-based 0.5 (round(0.5) - 1 = 0, round(-0.5) = -1)."""
    return lg.round(v + 1) - 1


def RCNNCrop(output, I, box, crop_size, padding, use_square, crop_buffer):
    pad_w = 0
    pad_h = 0
    crop_width = crop_size
    crop_height = crop_size
    bbox = [box[0], box[1], box[2], box[3]]
    # ------
    if padding > 0 or use_square:
        scale = crop_size / (crop_size - padding * 2)
        half_height = (bbox[3] - bbox[1] + 1) / 2
        half_width = (bbox[2] - bbox[0] + 1) / 2
        center = [bbox[0] + half_width, bbox[1] + half_height]
        if use_square:
            # make the box a tight square
            if half_height > half_width:
                half_width = half_height
            else:
                half_height = half_width
        bbox[0] = _round_1_based(center[0] - half_width * scale)
        bbox[1] = _round_1_based(center[1] - half_height * scale)
        bbox[2] = _round_1_based(center[0] + half_width * scale)
        bbox[3] = _round_1_based(center[1] + half_height * scale)

        unclipped_height = bbox[3] - bbox[1] + 1
        unclipped_width = bbox[2] - bbox[0] + 1

        pad_x1 = max(0, 0 - bbox[0])
        pad_y1 = max(0, 0 - bbox[1])
        # clipped bbox
        bbox[0] = max(0, bbox[0])
        bbox[1] = max(0, bbox[1])
        bbox[2] = min(I.size(2) - 1, bbox[2])
        bbox[3] = min(I.size(1) - 1, bbox[3])
        clipped_height = bbox[3] - bbox[1] + 1
        clipped_width = bbox[2] - bbox[0] + 1
        scale_x = crop_size / unclipped_width
        scale_y = crop_size / unclipped_height
        crop_width = lg.round(clipped_width * scale_x)
        crop_height = lg.round(clipped_height * scale_y)
        pad_x1 = lg.round(pad_x1 * scale_x)
        pad_y1 = lg.round(pad_y1 * scale_y)

        pad_h = pad_y1
        pad_w = pad_x1

        if pad_y1 + crop_height > crop_size:
            crop_height = crop_size - pad_y1
        if pad_x1 + crop_width > crop_size:
            crop_width = crop_size - pad_x1
    # padding > 0 || square
    # ------
    pad_h, pad_w, crop_height, crop_width = int(pad_h), int(pad_w), int(crop_height), int(crop_width)

    patch = I[:, int(bbox[1]):int(bbox[3]) + 1, int(bbox[0]):int(bbox[2]) + 1]
    crop_buffer.resize(3, crop_height, crop_width)
    image.scale(crop_buffer, patch, 'bilinear')

    output[:, pad_h:pad_h + crop_height, pad_w:pad_w + crop_width] = crop_buffer


class RCNN:
    """RCNN.lua: one ``3 x crop_size x crop_size`` warped crop per box, context-padded."""
    typename = 'objdet.RCNN'
    _isFeatureProvider = True

    _default_transformer = ImageTransformer({})   # argcheck's default, built once (as FRCNN's)

    def __init__(self, crop_size=227, padding=16, use_square=False, image_transformer=None, max_batch_size=128,
                 num_threads=8, iter_per_thread=8, dataset=None):
        opts = dict(crop_size=crop_size, padding=padding, use_square=use_square,
                    image_transformer=image_transformer or RCNN._default_transformer,
                    max_batch_size=max_batch_size, num_threads=num_threads, iter_per_thread=iter_per_thread,
                    dataset=dataset)
        for k, v in opts.items():
            setattr(self, k, v)

        self.output_size = [3, self.crop_size, self.crop_size]
        self.train = True

        if self.num_threads > 1:
            crop_size = self.crop_size
            threads.Threads.serialization('threads.sharedserialize')

            def init(idx):
                # crop_buffer is global in each thread: legonn's per-worker globals are threads.local's
                threads.local.crop_buffer = lg.FloatTensor(3, crop_size, crop_size)
                print('Starting RCNN thread with id: %d' % (idx + 1))

            self.donkeys = threads.Threads(self.num_threads, lambda idx: None, init)

    def training(self):
        self.train = True

    def evaluate(self):
        self.train = False

    def getCrop(self, output, I, bbox):
        # [x1 y1 x2 y2] order
        crop_size = self.crop_size
        padding = self.padding
        use_square = self.use_square

        if getattr(self, '_crop_buffer', None) is None:
            self._crop_buffer = lg.FloatTensor(3, crop_size, crop_size)
        RCNNCrop(output, I, bbox, crop_size, padding, use_square, self._crop_buffer)

        return output

    def getFeature(self, im, bbox, flip=None):
        flip = False if flip is None else flip

        if isinstance(im, int):
            assert self.dataset, 'you must provide a dataset if using numeric indices'
            im = self.dataset.getImage(im)

        if lg.type(im) != 'torch.FloatTensor':
            # force image to be float
            if getattr(self, '_im', None) is None:
                self._im = lg.FloatTensor()
            self._im.resize(im.size()).copy(im)
            im = self._im

        if isinstance(bbox, list):
            bbox = lg.FloatTensor(bbox)
        elif lg.isTensor(bbox) and flip:
            # creates a copy of the bboxes to avoid modifying the original
            # bboxes in the flipping
            if getattr(self, '_bbox', None) is None:
                self._bbox = lg.FloatTensor()
            self._bbox.resize(bbox.size()).copy(bbox)
            bbox = self._bbox

        im = self.image_transformer.preprocess(im)
        bbox = bbox.view(1, -1) if bbox.dim() == 1 else bbox
        num_boxes = bbox.size(0)

        if flip:
            im = image.hflip(im)
            flipBoundingBoxes(bbox, im.size(2))

        if getattr(self, '_feat', None) is None:
            self._feat = lg.FloatTensor()

        self._feat.resize(num_boxes, *self.output_size).zero()

        # use threads to speed up bbox processing
        if self.num_threads > 1 and num_boxes > self.iter_per_thread:
            feat = self._feat
            img = im
            bndbox = bbox
            crop_size = self.crop_size
            padding = self.padding
            use_square = self.use_square
            iter_per_thread = self.iter_per_thread
            num_launches = math.ceil(num_boxes / iter_per_thread)
            for i in range(num_launches):
                if i == num_launches - 1:
                    # last thread launches the remainder of the bboxes
                    iter_per_thread_local = (num_boxes - 1) % iter_per_thread + 1
                else:
                    iter_per_thread_local = iter_per_thread

                def job(i=i, iter_per_thread_local=iter_per_thread_local):   # the Lua closure's upvalues
                    for j in range(iter_per_thread_local):
                        f = feat[i * iter_per_thread + j]
                        boundingbox = bndbox[i * iter_per_thread + j]
                        # crop_buffer is global in each thread
                        RCNNCrop(f, img, boundingbox, crop_size, padding, use_square, threads.local.crop_buffer)
                    return
                self.donkeys.addjob(job)
            self.donkeys.synchronize()
        else:
            for i in range(num_boxes):
                self.getCrop(self._feat[i], im, bbox[i])

        return self._feat

    # don't do anything. could be the bbox regression or SVM, but I won't add it here
    def postProcess(self, im, bbox, output):
        return output, bbox

    def compute(self, model, inputs):
        inputs_s = inputs.split(self.max_batch_size, 0)

        if getattr(self, 'output', None) is None:
            self.output = inputs.new()

        ttype = model.type()
        if getattr(self, 'inputs', None) is None:
            self.inputs = lg.Tensor().type(ttype)

        for idx, f in enumerate(inputs_s):
            self.inputs.resize(f.size()).copy(f)
            output0 = model.forward(self.inputs)
            fs = f.size(0)
            if idx == 0:
                ss = list(output0[0].size())
                self.output.resize(inputs.size(0), *ss)
            self.output.narrow(0, idx * self.max_batch_size, fs).copy(output0)
        return self.output


# --- ImageDetect.lua ----------------------------------------------------------------------------------------

class ImageDetect:
    typename = 'objdet.ImageDetect'

    def __init__(self, model, feat_provider):
        self.model = model
        self.feat_provider = feat_provider
        self.output = None

    # supposes boxes is in [x1,y1,x2,y2] format
    def detect(self, im, boxes):
        feat_provider = self.feat_provider

        inputs = feat_provider.getFeature(im, boxes)

        output0 = feat_provider.compute(self.model, inputs)
        output, boxes_p = feat_provider.postProcess(im, boxes, output0)

        self.output, output = recursiveResizeAsCopyTyped(self.output, output, 'torch.FloatTensor')
        return self.output, boxes_p


# --- Tester.lua ---------------------------------------------------------------------------------------------

def print_scores(dataset, res):
    str_ = []
    str_.append('Results:\n')
    # print class names
    str_.append('|')
    for i in range(dataset.num_classes):
        str_.append('%5s|' % dataset.classes[i])
    str_.append('\n|')
    # print class scores
    for i in range(dataset.num_classes):
        l = 5 if len(dataset.classes[i]) < 5 else len(dataset.classes[i])
        l = l - 5 if res[i] == res[i] else l - 3
        if l > 0:
            str_.append(('%.3f%' + str(l) + 's|') % (res[i], ' '))
        else:
            str_.append('%.3f|' % res[i])
    str_.append('\n')
    str_.append('Avg.: %.4f\n' % res.mean(0)[0])
    return ''.join(str_)


class Tester:
    """Tester.lua without ``validate`` (it replays a cached batch on CudaTensors)."""
    typename = 'objdet.Tester'

    def __init__(self, module, feat_provider, dataset):
        self.dataset = dataset
        self.feat_provider = feat_provider
        self.module = module

        self.cachefolder = None
        self.cachename = None
        self.suffix = ''
        self.verbose = True

    def pruneDetections(self, aboxes, thresh, output, boxes, i, max_per_image, max_per_set):
        add_bg = 1
        if getattr(self, '_scored_boxes', None) is None:
            self._scored_boxes = lg.FloatTensor()
        scored_boxes = self._scored_boxes
        dataset = self.dataset
        # do a NMS for each class, based on the scores from the classifier
        for j in range(dataset.num_classes):
            scores = output.select(1, j + add_bg)
            # only select detections with a score greater than thresh
            # this avoid doing NMS on too many bboxes with low score
            idx = lg.range(0, scores.numel() - 1).long()
            idx2 = scores.gt(thresh[j])
            idx = idx[idx2]
            scored_boxes.resize(idx.numel(), 5)
            if scored_boxes.numel() > 0:
                scored_boxes.narrow(1, 0, 4).index(boxes, 0, idx)
                scored_boxes.select(1, 4).copy(scores[idx2])
            keep = nms(scored_boxes, 0.3)
            if keep.numel() > 0:
                _, ord_ = lg.sort(scored_boxes.select(1, 4).index(0, keep), 0, True)
                ord_ = ord_.narrow(0, 0, min(ord_.numel(), max_per_image))
                keep = keep.index(0, ord_)
                aboxes[j][i] = scored_boxes.index(0, keep)
            else:
                aboxes[j][i] = lg.FloatTensor()

            # remove low scoring boxes and update threshold
            if (i + 1) % 1000 == 0:
                aboxes[j], thresh[j] = keep_top_k(aboxes[j], max_per_set)

    def finalPrunning(self, aboxes, thresh):
        dataset = self.dataset
        for i in range(dataset.num_classes):
            # go back through and prune out detections below the found threshold
            for j in range(dataset.size()):
                if aboxes[i][j].numel() > 0:
                    # as the Lua: `lt` keeps the boxes *below* the threshold (when there is one)
                    I = aboxes[i][j].select(1, 4).lt(thresh[i])
                    idx = lg.range(0, aboxes[i][j].size(0) - 1).long()
                    idx = idx[I]
                    if idx.numel() > 0:
                        aboxes[i][j] = aboxes[i][j].index(0, idx)

    def evaluate(self, aboxes):
        dataset = self.dataset
        res = []
        for i in range(dataset.num_classes):
            cls = dataset.classes[i]
            res.append(VOCevaldet(dataset, aboxes[i], cls)[0])  # Lua keeps VOCevaldet's first result
        res = lg.Tensor(res)
        return res

    def test(self, iteration):
        dataset = self.dataset
        module = self.module
        feat_provider = self.feat_provider

        module.evaluate()
        feat_provider.evaluate()
        dataset.loadROIDB()

        detec = ImageDetect(module, feat_provider)

        aboxes = []
        for i in range(dataset.num_classes):
            aboxes.append([None] * dataset.size())  # the Lua's table, filled image by image

        num_images = dataset.size()

        max_per_set = 5 * num_images
        max_per_image = 100
        thresh = lg.ones(dataset.num_classes).mul(0.05)

        timer = lg.Timer()
        timer_l = lg.Timer()

        # SPP is more efficient if we cache the features. We treat it differently then
        # the other feature providers
        pass_index = lg.typename(feat_provider) == 'objdet.SPP'

        display_string = 'test: (%s) %5d/%-5d forward time: %.3f, select time: %.3fs, total time: %.3fs'
        for i in range(num_images):
            timer.reset()

            if pass_index:
                im = i
            else:
                im = dataset.getImage(i)
            boxes = dataset.getROIBoxes(i).float()

            timer_l.reset()
            output, boxes = detec.detect(im, boxes)

            detect_time = timer_l.time()['real']

            timer_l.reset()
            self.pruneDetections(aboxes, thresh, output, boxes, i, max_per_image, max_per_set)

            total_time = timer.time()['real']
            prune_time = timer_l.time()['real']

            print(display_string % (dataset.dataset_name, i + 1, num_images, detect_time, prune_time, total_time))

        pathfolder = paths.concat(self.cachefolder, 'test_iter' + str(iteration))
        paths.mkdir(pathfolder)

        self.finalPrunning(aboxes, thresh)

        save_file = paths.concat(pathfolder, 'boxes_' + dataset.dataset_name + self.suffix + '.t7')
        lg.save(save_file, aboxes)

        res = self.evaluate(aboxes)

        print(print_scores(dataset, res))

        # clean roidb to free memory
        dataset.roidb = None
        return res


# --- Trainer.lua --------------------------------------------------------------------------------------------

class Trainer:
    typename = 'objdet.Trainer'

    def __init__(self, module, criterion, batch_provider, optimState=None):
        self.module = module
        self.criterion = criterion
        self.batch_provider = batch_provider

        self.parameters, self.gradParameters = self.module.getParameters()

        self.optimState = optimState or dict(learningRate=1e-3, weightDecay=0.0005, momentum=0.9,
                                             learningRateDecay=0, dampening=0)

        self.epoch = 0
        self.normalize = False
        self.fx = []
        self.confusion = None
        self.input = self.target = None

    def train(self, maxIter=None):
        maxIter = maxIter or 20
        ttype = self.parameters.type()

        self.module.training()

        module = self.module
        batch_provider = self.batch_provider
        parameters = self.parameters
        gradParameters = self.gradParameters

        criterion = self.criterion
        optimState = self.optimState

        if self.confusion:
            self.confusion.zero()
        err = 0

        for t in range(maxIter):
            self.input0, self.target0 = batch_provider.getBatch()

            self.input, self.input0 = recursiveResizeAsCopyTyped(self.input, self.input0, ttype)
            self.target, self.target0 = recursiveResizeAsCopyTyped(self.target, self.target0, ttype)
            input = self.input
            target = self.target

            def feval(x):
                if x is not parameters:
                    parameters.copy(x)
                gradParameters.zero()

                outputs = module.forward(input)

                f = criterion.forward(outputs, target)
                df_do = criterion.backward(outputs, target)

                module.backward(input, df_do)

                if self.confusion:
                    self.confusion.batchAdd(outputs, target)

                return f, gradParameters

            x, fx = optim.sgd(feval, parameters, optimState)
            err = err + fx[0]

        self.fx.append(err / maxIter)

        self.epoch = self.epoch + 1


# --- models/frcnn_alexnet.lua -------------------------------------------------------------------------------

def loadModel(params=None, backend=None, div=1, num_outputs=21):
    """AlexNet for Fast R-CNN; ``div`` divides every width (the stand-in's tiny net), ``num_outputs`` is the
    Lua's 21 (Pascal's 20 classes and the background)."""
    backend = backend or cudnn

    features = nn.Sequential()
    classifier = nn.Sequential()

    features.add(backend.SpatialConvolution(3, 96 // div, 11, 11, 4, 4, 5, 5, 1))
    features.add(backend.ReLU(True))
    features.add(backend.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    features.add(backend.SpatialCrossMapLRN(5, 0.0001, 0.75, 1))

    features.add(backend.SpatialConvolution(96 // div, 256 // div, 5, 5, 1, 1, 1, 1, 2))
    features.add(backend.ReLU(True))
    features.add(backend.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    features.add(backend.SpatialCrossMapLRN(5, 0.0001, 0.75, 1))

    features.add(backend.SpatialConvolution(256 // div, 384 // div, 3, 3, 1, 1, 1, 1, 1))
    features.add(backend.ReLU(True))

    features.add(backend.SpatialConvolution(384 // div, 384 // div, 3, 3, 1, 1, 1, 1, 2))
    features.add(backend.ReLU(True))

    features.add(backend.SpatialConvolution(384 // div, 256 // div, 3, 3, 1, 1, 1, 1, 2))
    features.add(backend.ReLU(True))

    classifier.add(nn.Linear(256 // div * 36, 4096 // div))
    classifier.add(backend.ReLU(True))
    classifier.add(nn.Dropout(0.5))

    classifier.add(nn.Linear(4096 // div, 4096 // div))
    classifier.add(backend.ReLU(True))
    classifier.add(nn.Dropout(0.5))

    classifier.add(nn.Linear(4096 // div, num_outputs))

    prl = nn.ParallelTable()
    prl.add(features)
    prl.add(nn.Identity())

    ROIPooling_ = inn.ROIPooling(6, 6).setSpatialScale(1 / 16)

    model = nn.Sequential()
    model.add(prl)
    model.add(ROIPooling_)
    model.add(nn.View(-1).setNumInputDims(3))
    model.add(classifier)

    if params:
        lparams = model.parameters()[0]
        assert len(lparams) == len(params), 'provided parameters does not match'

        for k, v in enumerate(lparams):
            p = params[k]
            assert p.numel() == v.numel(), 'wrong number of parameter elements !'
            v.copy(p)
    return model
