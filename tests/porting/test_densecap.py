"""jcjohnson/densecap (Johnson et al., DenseCap: fully convolutional localization networks) ported line by line,
part one: densecap/utils.lua (getopt, ensureopt, dict_average, average_values, __GLOBAL_STATS__, lines 66-145),
densecap/box_utils.lua (nms, the box format conversions, scale_boxes_xywh, clip_boxes, eval_box_recall,
iou_matrix, merge_boxes: lines 154-612), every densecap/modules/*.lua (ApplyBoxTransform, BatchBilinearSamplerBHWD
and NaiveBatchBilinearSamplerBHWD, BilinearRoiPooling, BoxIoU, BoxRegressionCriterion, BoxSampler,
BoxSamplerHelper, BoxToAffine, InvertBoxTransform, LogisticCriterion, MakeAnchors, MakeBoxes,
OurCrossEntropyCriterion, PosSlicer, RegularizeLayer, ReshapeBoxFeatures), and eval/eval_utils.lua's
DenseCaptioningEvaluator (lines 105-316) with a stand-in for the METEOR bridge (score_captions runs Java).
test_densecap_model.py ports LanguageModel, LocalizationLayer, DenseCapModel and train.lua's step.

The tests follow densecap's test/*_test.lua: the modules' own backward against finite differences (float64),
box conversions, IoU and nms against NumPy.

The mechanical edits: tables are lists and dicts, indices and dimensions 0-based. The index tensors the sampler
returns (BoxSampler's pos_input_idx ...) are 0-based. The class labels of LogisticCriterion and
OurCrossEntropyCriterion move down by one: LogisticCriterion's "negative for every class" label, Lua's 0 below
the classes 1 .. C, is -1. Box coordinates are values, not indices: they stay 1-based pixels as in the Lua
(``x_min=1``, ``x2 = x1 + w - 1``). BatchBilinearSamplerBHWD reaches stnbhwd's C functions through the image's
``nn`` table as the Lua does; ``cutorch.synchronize`` in the timing branches is left out (timing is off).
"""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import numeric_gradient

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs


# --- densecap/utils.lua (lines 66-145) ------------------------------------------------------------------------

class utils:
    __GLOBAL_STATS__ = {}

    @staticmethod
    def getopt(opt, key, default_value=None):
        # Assume required if default_value is nil
        if default_value is None and (opt is None or opt.get(key) is None):
            raise RuntimeError('error: required key ' + key + ' was not provided in an opt.')
        if opt is None:
            return default_value
        v = opt.get(key)
        if v is None:
            v = default_value
        return v

    @staticmethod
    def ensureopt(opt, key):
        if opt is None or opt.get(key) is None:
            raise RuntimeError('error: required key ' + key + ' was not provided.')

    @staticmethod
    def dict_average(dicts):
        d = {}
        n = 0
        for dd in dicts:
            for k, v in dd.items():
                if d.get(k) is None:
                    d[k] = 0
                d[k] = d[k] + v
            n = n + 1
        for k in d:
            d[k] = d[k] / n   # produce the average
        return d

    @staticmethod
    def average_values(t):
        n = 0
        vsum = 0
        for k, v in t.items():
            vsum = vsum + v
            n = n + 1
        return vsum / n


# --- densecap/box_utils.lua (lines 154-612) -------------------------------------------------------------------

class box_utils:

    @staticmethod
    def nms(boxes, overlap, max_boxes=None, verbose=None):
        """Lines 154-256: pick holds 0-based indices into boxes, best score first."""
        timer = lg.Timer()
        pick = lg.LongTensor()

        if isinstance(boxes, list):
            # unpack list into boxes array and scores array
            s = boxes[1]
            boxes = boxes[0]
        else:
            # boxes is a tensor and last column are scores
            s = boxes[:, -1]

        if boxes.numel() == 0:
            return pick
        x1 = boxes[:, 0]
        y1 = boxes[:, 1]
        x2 = boxes[:, 2]
        y2 = boxes[:, 3]

        buffer = x1.clone()

        area = boxes.new().resizeAs(s).zero()
        area.add(x2, -1, x1).add(1.0)
        buffer.add(y2, -1, y1).add(1.0)
        area.cmul(buffer)

        # Always sort on CPU since CudaTensor sorting only works for axes less than 2048
        vals, I = s.float().sort(0)

        pick.resize(s.size()).zero()
        counter = 0
        xx1 = boxes.new().zero()
        yy1 = boxes.new().zero()
        xx2 = boxes.new().zero()
        yy2 = boxes.new().zero()

        w = boxes.new().zero()
        h = boxes.new().zero()
        inter = boxes.new()
        union = boxes.new()
        iou = boxes.new()
        mask = lg.ByteTensor()

        while (max_boxes is None or counter < max_boxes) and I.numel() > 0:
            last = I.size(0)
            i = I[last - 1]
            pick[counter] = i
            counter = counter + 1
            if last == 1:
                break
            I = I[0:last - 1]

            # Compute IoU between current box and all boxes
            xx1.cmax(x1, x1[i])
            xx2.cmin(x2, x2[i])
            yy1.cmax(y1, y1[i])
            yy2.cmin(y2, y2[i])
            w.add(xx2, -1, xx1).add(1.0).cmax(0)
            h.add(yy2, -1, yy1).add(1.0).cmax(0)
            inter.cmul(w, h)
            union.add(area, area[i]).add(-1, inter)
            iou.cdiv(inter, union)

            # Figure out which boxes have IoU below the threshold with the current box
            mask.resize(I.size()).gather(iou.le(overlap).byte(), 0, I)
            I = I[mask]

        pick = pick[0:counter]
        return pick

    @staticmethod
    def xcycwh_to_x1y1x2y2(boxes):
        minibatch = True
        if boxes.nDimension() == 2:
            minibatch = False
            boxes = boxes.view(1, boxes.size(0), 4)
        ret = boxes.new(boxes.size())

        xc = boxes.select(2, 0)
        yc = boxes.select(2, 1)
        w = boxes.select(2, 2)
        h = boxes.select(2, 3)

        x0 = ret.select(2, 0)
        x1 = ret.select(2, 2)
        y0 = ret.select(2, 1)
        y1 = ret.select(2, 3)

        x0.div(lg.add(w, -1), 2.0).mul(-1).add(xc)
        x1.div(lg.add(w, -1), 2.0).add(xc)
        y0.div(lg.add(h, -1), 2.0).mul(-1).add(yc)
        y1.div(lg.add(h, -1), 2.0).add(yc)

        if not minibatch:
            ret = ret.view(boxes.size(1), 4)
        return ret

    @staticmethod
    def xywh_to_x1y1x2y2(boxes):
        minibatch = True
        if boxes.nDimension() == 2:
            minibatch = False
            boxes = boxes.view(1, boxes.size(0), 4)
        ret = boxes.new(boxes.size())

        x = boxes.select(2, 0)
        y = boxes.select(2, 1)
        w = boxes.select(2, 2)
        h = boxes.select(2, 3)

        x0 = ret.select(2, 0)
        x1 = ret.select(2, 2)
        y0 = ret.select(2, 1)
        y1 = ret.select(2, 3)

        x0.copy(x)
        y0.copy(y)
        x1.copy(x).add(w).add(-1)
        y1.copy(y).add(h).add(-1)

        if not minibatch:
            ret = ret.view(boxes.size(1), 4)
        return ret

    @staticmethod
    def x1y1x2y2_to_xywh(boxes):
        minibatch = True
        if boxes.dim() == 2:
            minibatch = False
            boxes = boxes.view(1, boxes.size(0), 4)
        ret = boxes.new(boxes.size())

        x0 = boxes.select(2, 0)
        y0 = boxes.select(2, 1)
        x1 = boxes.select(2, 2)
        y1 = boxes.select(2, 3)

        x = ret.select(2, 0)
        y = ret.select(2, 1)
        w = ret.select(2, 2)
        h = ret.select(2, 3)

        x.copy(x0)
        y.copy(y0)
        w.add(x1, -1, x0).add(1)
        h.add(y1, -1, y0).add(1)

        if not minibatch:
            ret = ret.view(boxes.size(1), 4)
        return ret

    @staticmethod
    def x1y1x2y2_to_xcycwh(boxes):
        minibatch = True
        if boxes.dim() == 2:
            minibatch = False
            boxes = boxes.view(1, boxes.size(0), 4)
        boxes_out = boxes.new(boxes.size())

        x0 = boxes.select(2, 0)
        x1 = boxes.select(2, 2)
        y0 = boxes.select(2, 1)
        y1 = boxes.select(2, 3)

        xc = boxes_out.select(2, 0)
        yc = boxes_out.select(2, 1)
        w = boxes_out.select(2, 2)
        h = boxes_out.select(2, 3)

        xc.add(x0, x1).div(2.0)
        yc.add(y0, y1).div(2.0)
        w.add(x1, -1, x0)
        h.add(y1, -1, y0)

        if not minibatch:
            boxes_out = boxes_out.view(boxes.size(1), 4)
        return boxes_out

    @staticmethod
    def xywh_to_xcycwh(boxes):
        minibatch = True
        if boxes.dim() == 2:
            minibatch = False
            boxes = boxes.view(1, boxes.size(0), 4)
        boxes_out = boxes.new(boxes.size())

        x0 = boxes.select(2, 0)
        y0 = boxes.select(2, 1)
        w0 = boxes.select(2, 2)
        h0 = boxes.select(2, 3)

        xc = boxes_out.select(2, 0)
        yc = boxes_out.select(2, 1)
        w = boxes_out.select(2, 2)
        h = boxes_out.select(2, 3)

        xc.copy(x0).add(lg.div(w0, 2))
        yc.copy(y0).add(lg.div(h0, 2))
        w.copy(w0)
        h.copy(h0)

        if not minibatch:
            boxes_out = boxes_out.view(boxes.size(1), 4)
        return boxes_out

    @staticmethod
    def xcycwh_to_xywh(boxes):
        boxes_x1y1x2y2 = box_utils.xcycwh_to_x1y1x2y2(boxes)
        boxes_xywh = box_utils.x1y1x2y2_to_xywh(boxes_x1y1x2y2)
        return boxes_xywh

    @staticmethod
    def scale_boxes_xywh(boxes, frac):
        boxes_scaled = boxes.clone()
        boxes_scaled[:, 0:2].add(-1)   # put to 0-based coord system
        boxes_scaled.mul(frac)   # Scale
        boxes_scaled[:, 0:2].add(1)   # put back to 1-based coord system
        return boxes_scaled

    @staticmethod
    def clip_boxes(boxes, bounds, format):
        if format == 'x1y1x2y2':
            boxes_clipped = boxes.clone()
        elif format == 'xcycwh':
            boxes_clipped = box_utils.xcycwh_to_x1y1x2y2(boxes)
        elif format == 'xywh':
            boxes_clipped = box_utils.xywh_to_x1y1x2y2(boxes)
        else:
            raise RuntimeError('Unrecognized box format "%s"' % format)

        # Either way, boxes_clipped is now in (x1, y1, x2, y2) format but we need to make sure it has two dims
        if boxes_clipped.dim() == 3:
            boxes_clipped = boxes_clipped.view(-1, 4)

        # Now we can actually clip the boxes
        boxes_clipped[:, 0].clamp(bounds['x_min'], bounds['x_max'] - 1)
        boxes_clipped[:, 1].clamp(bounds['y_min'], bounds['y_max'] - 1)
        boxes_clipped[:, 2].clamp(bounds['x_min'] + 1, bounds['x_max'])
        boxes_clipped[:, 3].clamp(bounds['y_min'] + 1, bounds['y_max'])

        validx = lg.gt(boxes_clipped[:, 2], boxes_clipped[:, 0]).byte()
        validy = lg.gt(boxes_clipped[:, 3], boxes_clipped[:, 1]).byte()
        valid = lg.gt(lg.cmul(validx, validy), 0)   # logical and operator

        # Convert to the same format as the input
        if format == 'xcycwh':
            boxes_clipped = box_utils.x1y1x2y2_to_xcycwh(boxes_clipped)
        elif format == 'xywh':
            boxes_clipped = box_utils.x1y1x2y2_to_xywh(boxes_clipped)

        # Conver to the same shape as the input
        return boxes_clipped.viewAs(boxes), valid

    @staticmethod
    def eval_box_recall(boxes, gt_boxes, ns=None):
        iou_threshs = [0.5, 0.7, 0.9]
        if ns is None:
            ns = [100, 200, 300]

        stats = {}

        boxes_view = boxes.view(1, -1, 4)
        gt_boxes_view = gt_boxes.view(1, -1, 4)
        box_iou = BoxIoU().type(boxes.type())
        ious = box_iou.forward([boxes_view, gt_boxes_view])   # N x M
        ious = ious[0]
        for i in range(len(iou_threshs)):
            thresh = iou_threshs[i]
            mask = lg.gt(ious, thresh)
            hit = lg.gt(lg.cumsum(mask, 0), 0)
            recalls = lg.sum(hit, 1).double().view(-1)
            recalls.div(gt_boxes.size(0))

            for j in range(len(ns)):
                n = ns[j]
                key = '%.2f_recall_at_%d' % (thresh, n)
                if n <= recalls.size(0):
                    stats[key] = recalls[n - 1]   # the recall of the first n boxes
        return stats

    @staticmethod
    def iou_matrix(boxes):
        """compute pairwise NxN IOU matrix in Nx4 array of boxes in x1y1x2y2 format"""
        n = boxes.size(0)
        D = lg.zeros(n, n)
        for i in range(n):
            bb = boxes[i]
            D[i, i] = 1.0
            for j in range(i + 1, n):
                bb2 = boxes[j]
                bi = [max(bb[0], bb2[0]), max(bb[1], bb2[1]), min(bb[2], bb2[2]), min(bb[3], bb2[3])]
                iw = bi[2] - bi[0] + 1
                ih = bi[3] - bi[1] + 1
                if iw > 0 and ih > 0:
                    # compute overlap as area of intersection / area of union
                    ua = (bb[2] - bb[0] + 1) * (bb[3] - bb[1] + 1) + \
                         (bb2[2] - bb2[0] + 1) * (bb2[3] - bb2[1] + 1) - iw * ih
                    ov = iw * ih / ua
                    D[i, j] = ov
                    D[j, i] = ov
        return D

    @staticmethod
    def merge_boxes(boxes, thr):
        assert thr > 0

        # merge boxes in the ground truth
        ix = []   # output table of indices
        D = box_utils.iou_matrix(boxes)   # compute pairwise IOU

        while True:
            good = lg.ge(D, thr)
            good_sum = lg.sum(good, 0).view(-1)
            topnum, topix = lg.max(good_sum, 0)   # topix is LongTensor of size 1
            if topnum[0] == 0:
                break   # we're done in this case

            mergeix = lg.nonzero(good[topix[0]]).view(-1)   # a LongTensor with the indices to merge

            # absorb group
            ix.append(mergeix)
            D.indexFill(0, mergeix, 0)
            D.indexFill(1, mergeix, 0)
        return ix


# --- densecap/modules/*.lua -----------------------------------------------------------------------------------

class ApplyBoxTransform(nn.Module):
    """modules/ApplyBoxTransform.lua: {boxes (..., 4) xcycwh, trans (..., 4)} -> boxes (..., 4)."""

    def __init__(self):
        super().__init__()
        self.gradInput = [lg.Tensor(), lg.Tensor()]
        self.buffer = lg.Tensor()

    def clearState(self):
        self.gradInput[0].set()
        self.gradInput[1].set()
        self.buffer.set()

    def updateOutput(self, input):
        boxes, trans = input[0], input[1]

        assert boxes.size(boxes.dim() - 1) == 4, 'Last dim of boxes must be 4'
        assert trans.size(trans.dim() - 1) == 4, 'Last dim of trans must be 4'
        boxes_view = boxes.contiguous().view(-1, 4)
        trans_view = trans.contiguous().view(-1, 4)

        self.output.resizeAs(boxes)
        self.output_view = self.output.view(-1, 4)

        xa = boxes_view[:, 0]
        ya = boxes_view[:, 1]
        wa = boxes_view[:, 2]
        ha = boxes_view[:, 3]

        tx = trans_view[:, 0]
        ty = trans_view[:, 1]
        tw = trans_view[:, 2]
        th = trans_view[:, 3]

        self.output_view[:, 0].cmul(tx, wa).add(xa)
        self.output_view[:, 1].cmul(ty, ha).add(ya)
        self.output_view[:, 2].exp(tw).cmul(wa)
        self.output_view[:, 3].exp(th).cmul(ha)

        return self.output

    def updateGradInput(self, input, gradOutput):
        boxes, trans = input[0], input[1]
        boxes_view = boxes.view(-1, 4)
        trans_view = trans.view(-1, 4)

        gradBoxes, gradTrans = self.gradInput[0], self.gradInput[1]
        gradBoxes.resizeAs(boxes).zero()
        gradTrans.resizeAs(trans).zero()
        gradBoxes_view = gradBoxes.view(-1, 4)
        gradTrans_view = gradTrans.view(-1, 4)
        gradOutput_view = gradOutput.view(-1, 4)

        xa = boxes_view[:, 0]
        ya = boxes_view[:, 1]
        wa = boxes_view[:, 2]
        ha = boxes_view[:, 3]

        tx = trans_view[:, 0]
        ty = trans_view[:, 1]
        tw = trans_view[:, 2]
        th = trans_view[:, 3]

        gradTrans_view[:, 0].cmul(gradOutput_view[:, 0], wa)
        gradTrans_view[:, 1].cmul(gradOutput_view[:, 1], ha)
        gradTrans_view[:, 2].cmul(self.output_view[:, 2], gradOutput_view[:, 2])
        gradTrans_view[:, 3].cmul(self.output_view[:, 3], gradOutput_view[:, 3])

        gradBoxes_view[:, 0].copy(gradOutput_view[:, 0])
        gradBoxes_view[:, 1].copy(gradOutput_view[:, 1])
        self.buffer.cmul(tx, gradOutput_view[:, 0])
        gradBoxes_view[:, 2].exp(tw).cmul(gradOutput_view[:, 2]).add(self.buffer)
        self.buffer.cmul(ty, gradOutput_view[:, 1])
        gradBoxes_view[:, 3].exp(th).cmul(gradOutput_view[:, 3]).add(self.buffer)

        return self.gradInput


def addOuterDim(t):
    """BatchBilinearSamplerBHWD.lua lines 93-101."""
    sizes = t.size()
    newsizes = lg.LongStorage(len(sizes) + 1)
    newsizes[0] = 1
    for i in range(len(sizes)):
        newsizes[i + 1] = sizes[i]
    return t.view(newsizes)


class BatchBilinearSamplerBHWD(nn.Module):
    """modules/BatchBilinearSamplerBHWD.lua lines 60-157: {image (H, W, C), grids (B, HH, WW, 2)} ->
    (B, HH, WW, C), one image expanded with stride 0 into stnbhwd's C functions."""

    def __init__(self):
        super().__init__()
        self.gradInput = []
        self.inputImageView = lg.Tensor()
        self.gradInputImageView = lg.Tensor()

    def clearState(self):
        self.gradInput = []
        self.output.set()
        self.inputImageView.set()
        self.gradInputImageView.set()

    def check(self, input, gradOutput=None):
        inputImages = input[0]
        grids = input[1]

        assert inputImages.nDimension() == 4
        assert grids.nDimension() == 4
        assert inputImages.size(0) == grids.size(0)   # batch
        assert grids.size(3) == 2   # coordinates

        if gradOutput is not None:
            assert grids.size(0) == gradOutput.size(0)
            assert grids.size(1) == gradOutput.size(1)
            assert grids.size(2) == gradOutput.size(2)

    def updateOutput(self, input):
        # inputImages should be C x H x W; grids should be B x HH x WW x 2
        inputImages, grids = input[0], input[1]

        assert grids.dim() == 4
        B = grids.size(0)

        assert inputImages.dim() == 3
        H, W, C = inputImages.size(0), inputImages.size(1), inputImages.size(2)
        self.inputImageView = addOuterDim(inputImages).expand(B, H, W, C)

        self.check([self.inputImageView, grids])
        self.output.resize(B, grids.size(1), grids.size(2), C)

        inputImages.nn.BilinearSamplerBHWD_updateOutput(self, self.inputImageView, grids, self.output)

        return self.output

    def updateGradInput(self, input, gradOutput):
        inputImages, grids = input[0], input[1]

        assert grids.dim() == 4
        B = grids.size(0)

        assert inputImages.dim() == 3
        H, W, C = inputImages.size(0), inputImages.size(1), inputImages.size(2)

        assert gradOutput.dim() == 4
        assert gradOutput.size(0) == B and gradOutput.size(3) == C

        input = [inputImages, grids]

        self.check([self.inputImageView, grids], gradOutput)
        # `self.gradInput[1] or input[1].new()`: the table starts empty
        gradInputImages = self.gradInput[0] if len(self.gradInput) > 0 else input[0].new()
        gradInputImages.resize(H, W, C).zero()
        gradGrids = self.gradInput[1] if len(self.gradInput) > 1 else input[1].new()
        gradGrids.resizeAs(grids).zero()
        self.gradInput = [gradInputImages, gradGrids]

        self.gradInputImageView = addOuterDim(gradInputImages)
        self.gradInputImageView = self.gradInputImageView.expand(B, H, W, C)

        inputImages.nn.BilinearSamplerBHWD_updateGradInput(
            self, self.inputImageView, grids, self.gradInputImageView, gradGrids, gradOutput)

        return self.gradInput


class NaiveBatchBilinearSamplerBHWD(nn.Module):
    """BatchBilinearSamplerBHWD.lua lines 163-207: the replicate-then-sample reference."""

    def __init__(self):
        super().__init__()
        self.sampler = nn.BilinearSamplerBHWD()
        self.replicate = None
        self.replicate_out = None

    def updateOutput(self, input):
        feats, grids = input[0], input[1]
        B = grids.size(0)
        self.replicate = nn.Replicate(grids.size(0)).type(feats.type())
        self.replicate_out = self.replicate.forward(feats)
        self.output = self.sampler.forward([self.replicate_out, grids])
        return self.output

    def updateGradInput(self, input, gradOutput):
        feats, grids = input[0], input[1]
        grad_sampler_in = self.sampler.backward([self.replicate_out, grids], gradOutput)
        grad_feats = self.replicate.backward(feats, grad_sampler_in[0])
        self.gradInput = [grad_feats, grad_sampler_in[1]]
        return self.gradInput


class BoxToAffine(nn.Module):
    """modules/BoxToAffine.lua: boxes (B, 4) xcycwh -> (B, 2, 3) affine matrices for an H x W image."""

    def __init__(self):
        super().__init__()
        self.H = None
        self.W = None

    def setSize(self, H, W):
        self.H = H
        self.W = W
        return self

    def updateOutput(self, input):
        assert input.dim() == 2, 'Expected 2D input'
        B = input.size(0)
        assert input.size(1) == 4, 'Expected input of shape B x 4'

        assert self.H is not None and self.W is not None, 'Need to call setSize before calling forward'

        xc = input[:, 0]
        yc = input[:, 1]
        w = input[:, 2]
        h = input[:, 3]

        self.output.resize(B, 2, 3).zero()
        th11 = self.output[:, 0, 0]
        th13 = self.output[:, 0, 2]
        th22 = self.output[:, 1, 1]
        th23 = self.output[:, 1, 2]

        th23.mul(xc, 2).add(-1 - self.W).div(self.W - 1)
        th13.mul(yc, 2).add(-1 - self.H).div(self.H - 1)
        th22.div(w, self.W)
        th11.div(h, self.H)

        return self.output

    def updateGradInput(self, input, gradOutput):
        assert input.dim() == 2, 'Expected 2D input'
        B = input.size(0)
        assert input.size(1) == 4, 'Expected input of shape B x 4'

        assert gradOutput.dim() == 3, 'Expected 3D gradOutput'
        assert gradOutput.size(0) == B
        assert gradOutput.size(1) == 2
        assert gradOutput.size(2) == 3

        self.gradInput.resizeAs(input).zero()
        self.gradInput[:, 0].mul(gradOutput[:, 1, 2], 2 / (self.W - 1))
        self.gradInput[:, 1].mul(gradOutput[:, 0, 2], 2 / (self.H - 1))
        self.gradInput[:, 2].mul(gradOutput[:, 1, 1], 1 / self.W)
        self.gradInput[:, 3].mul(gradOutput[:, 0, 0], 1 / self.H)

        # Set these to nil after backward pass so we remember to call setSize in the forward pass
        self.H = None
        self.W = None

        return self.gradInput


class BilinearRoiPooling(nn.Module):
    """modules/BilinearRoiPooling.lua: {feats (C, H, W), boxes (B, 4) in image coordinates} ->
    (B, C, height, width)."""

    def __init__(self, height, width):
        super().__init__()
        self.height = height
        self.width = width

        # box_branch converts box coordinates of shape (B, 4) to sampling grids of shape (B, height, width)
        box_branch = nn.Sequential()

        # box_to_affine converts boxes of shape (B, 4) to affine parameter matrices of shape (B, 2, 3)
        self.box_to_affine = BoxToAffine()
        box_branch.add(self.box_to_affine)

        # Grid generator converts matrices to sampling grids of shape (B, height, width, 2).
        box_branch.add(nn.AffineGridGeneratorBHWD(height, width))

        self.net = nn.Sequential()
        parallel = nn.ParallelTable()
        parallel.add(nn.Transpose([0, 1], [1, 2]))
        parallel.add(box_branch)
        self.net.add(parallel)
        self.net.add(BatchBilinearSamplerBHWD())
        self.net.add(nn.Transpose([2, 3], [1, 2]))

        # Set these by calling setImageSize
        self.image_height = None
        self.image_width = None
        self.called_forward = False
        self.called_backward = False

    def clearState(self):
        self.net.clearState()

    def setImageSize(self, image_height, image_width):
        self.image_height = image_height
        self.image_width = image_width
        self.called_forward = False
        self.called_backward = False
        return self

    def updateOutput(self, input):
        assert self.image_height and self.image_width and not self.called_forward, \
            'Must call setImageSize before each forward pass'
        self.box_to_affine.setSize(self.image_height, self.image_width)
        self.output = self.net.forward(input)
        self.called_forward = True
        return self.output

    def updateGradInput(self, input, gradOutput):
        assert self.image_height and self.image_width and not self.called_backward, \
            'Must call setImageSize before each forward / backward pass'
        self.gradInput = self.net.backward(input, gradOutput)

        self.called_backward = True
        self.image_height = None
        self.image_width = None

        return self.gradInput


class BoxIoU(nn.Module):
    """modules/BoxIoU.lua: {(N, B1, 4), (N, B2, 4)} xcycwh -> (N, B1, B2) IoU (areas w * h)."""

    def __init__(self):
        super().__init__()
        self.area1 = lg.Tensor()
        self.area2 = lg.Tensor()
        self.overlap = lg.Tensor()

    def updateOutput(self, input):
        box1 = input[0]
        box2 = input[1]
        N, B1, B2 = box1.size(0), box1.size(1), box2.size(1)
        self.area1.cmul(box1[:, :, 2], box1[:, :, 3])
        self.area2.cmul(box2[:, :, 2], box2[:, :, 3])
        area1_expand = self.area1.view(N, B1, 1).expand(N, B1, B2)
        area2_expand = self.area2.view(N, 1, B2).expand(N, B1, B2)

        convert_boxes = box_utils.xcycwh_to_x1y1x2y2
        box1_lohi = convert_boxes(box1)   # N x B1 x 4
        box2_lohi = convert_boxes(box2)   # N x B2 x 4
        box1_lohi_expand = box1_lohi.view(N, B1, 1, 4).expand(N, B1, B2, 4)
        box2_lohi_expand = box2_lohi.view(N, 1, B2, 4).expand(N, B1, B2, 4)

        x0 = lg.cmax(box1_lohi_expand.select(3, 0), box2_lohi_expand.select(3, 0))
        y0 = lg.cmax(box1_lohi_expand.select(3, 1), box2_lohi_expand.select(3, 1))
        x1 = lg.cmin(box1_lohi_expand.select(3, 2), box2_lohi_expand.select(3, 2))
        y1 = lg.cmin(box1_lohi_expand.select(3, 3), box2_lohi_expand.select(3, 3))

        w = (x1 - x0).cmax(0)
        h = (y1 - y0).cmax(0)

        intersection = lg.cmul(w, h)
        self.output.add(area1_expand, -1, intersection)
        self.output.add(area2_expand).pow(-1)
        self.output.cmul(intersection)

        return self.output

    def updateGradInput(self, input, gradOutput):
        raise RuntimeError('Not implemented')


class InvertBoxTransform(nn.Module):
    """modules/InvertBoxTransform.lua: {anchor_boxes (B, 4), target_boxes (B, 4)} -> trans (B, 4)."""

    def __init__(self):
        super().__init__()
        self.gradInput = [lg.Tensor(), lg.Tensor()]

    def clearState(self):
        self.output.set()
        self.gradInput[0].set()
        self.gradInput[1].set()

    def updateOutput(self, input):
        anchor_boxes, target_boxes = input[0], input[1]

        xa = anchor_boxes[:, 0]
        ya = anchor_boxes[:, 1]
        wa = anchor_boxes[:, 2]
        ha = anchor_boxes[:, 3]

        xt = target_boxes[:, 0]
        yt = target_boxes[:, 1]
        wt = target_boxes[:, 2]
        ht = target_boxes[:, 3]

        self.output.resizeAs(target_boxes)
        self.output[:, 0].add(xt, -1, xa).cdiv(wa)
        self.output[:, 1].add(yt, -1, ya).cdiv(ha)
        self.output[:, 2].cdiv(wt, wa).log()
        self.output[:, 3].cdiv(ht, ha).log()

        return self.output

    def updateGradInput(self, input, gradOutput):
        anchor_boxes, target_boxes = input[0], input[1]
        grad_anchor_boxes, grad_target_boxes = self.gradInput

        grad_anchor_boxes.resizeAs(anchor_boxes).zero()
        grad_target_boxes.resizeAs(target_boxes).zero()

        xa = anchor_boxes[:, 0]
        ya = anchor_boxes[:, 1]
        wa = anchor_boxes[:, 2]
        ha = anchor_boxes[:, 3]

        xt = target_boxes[:, 0]
        yt = target_boxes[:, 1]
        wt = target_boxes[:, 2]
        ht = target_boxes[:, 3]

        dtx = gradOutput[:, 0]
        dty = gradOutput[:, 1]
        dtw = gradOutput[:, 2]
        dth = gradOutput[:, 3]

        grad_anchor_boxes[:, 0].cdiv(dtx, wa).mul(-1)
        grad_anchor_boxes[:, 1].cdiv(dty, ha).mul(-1)
        tx = self.output[:, 0]
        grad_anchor_boxes[:, 2].cmul(tx, dtx).add(dtw).cdiv(wa).mul(-1)
        ty = self.output[:, 1]
        grad_anchor_boxes[:, 3].cmul(ty, dty).add(dth).cdiv(ha).mul(-1)

        grad_target_boxes[:, 0].cdiv(dtx, wa)
        grad_target_boxes[:, 1].cdiv(dty, ha)
        grad_target_boxes[:, 2].cdiv(dtw, wt)
        grad_target_boxes[:, 3].cdiv(dth, ht)

        return self.gradInput


class BoxRegressionCriterion(nn.Criterion):
    """modules/BoxRegressionCriterion.lua: {anchor_boxes, transforms} against target_boxes, all (B, 4)."""

    def __init__(self, w=None):
        super().__init__()
        self.w = w if w is not None else 1.0
        self.invert_transform = InvertBoxTransform()
        self.target_transforms = None
        self.smooth_l1 = nn.SmoothL1Criterion()
        self.gradInput = [lg.Tensor(), lg.Tensor()]
        self.mask = None

    def clearState(self):
        self.invert_transform.clearState()
        self.target_transforms = None
        self.gradInput[0].set()
        self.gradInput[1].set()
        self.mask = None

    def updateOutput(self, input, target_boxes):
        anchor_boxes, transforms = input
        self.target_transforms = self.invert_transform.forward([anchor_boxes, target_boxes])

        # DIRTY DIRTY HACK: Ignore loss for boxes whose transforms are too big
        self.mask = lg.gt(lg.abs(self.target_transforms).max(1)[0], 10)
        self.mask = self.mask.expandAs(self.target_transforms)
        mask_sum = self.mask.sum() / 4
        if mask_sum > 0:
            msg = 'WARNING: Ignoring %d boxes in BoxRegressionCriterion'
            print(msg % mask_sum)
            transforms[self.mask] = 0
            self.target_transforms[self.mask] = 0

        self.output = self.w * self.smooth_l1.forward(transforms, self.target_transforms)
        return self.output

    def updateGradInput(self, input, target_boxes):
        anchor_boxes, transforms = input
        grad_transforms = self.smooth_l1.backward(transforms, self.target_transforms)
        grad_transforms.mul(self.w)
        self.gradInput[1].resizeAs(grad_transforms)
        self.gradInput[1].copy(grad_transforms)
        din = self.invert_transform.backward([anchor_boxes, target_boxes], grad_transforms)
        self.gradInput[0].mul(din[0], -1)
        return self.gradInput


def unpack_dims(input_boxes, target_boxes):
    """BoxSampler.lua lines 23-31."""
    N, B1 = input_boxes.size(0), input_boxes.size(1)
    B2 = target_boxes.size(1)

    assert input_boxes.size(2) == 4 and target_boxes.size(2) == 4
    assert target_boxes.size(0) == N

    return N, B1, B2


class BoxSampler(nn.Module):
    """modules/BoxSampler.lua: {input_boxes (1, B1, 4), target_boxes (1, B2, 4)} -> {pos_input_idx,
    pos_target_idx, neg_input_idx}, 0-based LongTensors."""

    def __init__(self, options=None):
        super().__init__()
        options = options or {}
        self.low_thresh = utils.getopt(options, 'low_thresh', 0.3)
        self.high_thresh = utils.getopt(options, 'high_thresh', 0.7)
        self.batch_size = utils.getopt(options, 'batch_size', 256)

        self.x_min, self.x_max = None, None
        self.y_min, self.y_max = None, None

        self.box_iou = BoxIoU()

    def setBounds(self, bounds):
        self.x_min = bounds.get('x_min')
        self.x_max = bounds.get('x_max')
        self.y_min = bounds.get('y_min')
        self.y_max = bounds.get('y_max')

    def updateOutput(self, input):
        input_boxes = input[0]
        target_boxes = input[1]
        N, B1, B2 = unpack_dims(input_boxes, target_boxes)

        ious = self.box_iou.forward(input)   # N x B1 x B2
        input_max_iou, input_idx = ious.max(2)   # N x B1 x 1
        input_max_iou = input_max_iou.view(N, B1)
        input_idx = input_idx.view(N, B1)
        _, target_idx = ious.max(1)   # N x 1 x B2
        target_idx = target_idx.view(N, B2)

        # Pick positive and negative boxes based on IoU thresholds
        self.pos_mask = lg.gt(input_max_iou, self.high_thresh)   # N x B1
        self.neg_mask = lg.lt(input_max_iou, self.low_thresh)   # N x B1

        # Maybe find the input boxes that fall outside the boundaries and exclude them from the pos and neg masks
        if self.x_min and self.y_min and self.x_max and self.y_max:
            # Convert from (xc, yc, w, h) to (x1, y1, x2, y2) format to make it easier to find boxes that are
            # out of bounds
            boxes_x1y1x2y2 = box_utils.xcycwh_to_x1y1x2y2(input_boxes)
            x_min_mask = lg.lt(boxes_x1y1x2y2.select(2, 0), self.x_min).byte()
            y_min_mask = lg.lt(boxes_x1y1x2y2.select(2, 1), self.y_min).byte()
            x_max_mask = lg.gt(boxes_x1y1x2y2.select(2, 2), self.x_max).byte()
            y_max_mask = lg.gt(boxes_x1y1x2y2.select(2, 3), self.y_max).byte()
            self.pos_mask[x_min_mask] = 0
            self.pos_mask[y_min_mask] = 0
            self.pos_mask[x_max_mask] = 0
            self.pos_mask[y_max_mask] = 0
            self.neg_mask[x_min_mask] = 0
            self.neg_mask[y_min_mask] = 0
            self.neg_mask[x_max_mask] = 0
            self.neg_mask[y_max_mask] = 0

        # Count as positive each input box that has maximal IoU with each target box, even if it is outside
        # the bounds or does not meet the thresholds.
        self.pos_mask.scatter(1, target_idx, 1)
        self.neg_mask.scatter(1, target_idx, 0)

        assert N == 1, "Only 1-element minibatches are supported"
        self.pos_mask = self.pos_mask.view(B1).byte()
        self.neg_mask = self.neg_mask.view(B1).byte()

        if self.neg_mask.sum() == 0:
            # There were no negatives: sample from non-positive boxes to get negatives.
            self.neg_mask.mul(self.pos_mask, -1).add(1)   # set neg_mask to inverse of pos_mask
            k = 'BoxSampler no negatives'
            old_val = utils.__GLOBAL_STATS__.get(k) or 0
            utils.__GLOBAL_STATS__[k] = old_val + 1

        pos_mask_nonzero = self.pos_mask.nonzero().view(-1)
        neg_mask_nonzero = self.neg_mask.nonzero().view(-1)

        total_pos = pos_mask_nonzero.size(0)
        total_neg = neg_mask_nonzero.size(0)

        num_pos = min(self.batch_size / 2, total_pos)
        num_neg = self.batch_size - num_pos

        # We always sample positives without replacemet
        pos_p = lg.ones(total_pos)
        pos_sample_idx = lg.multinomial(pos_p, num_pos, False)

        # We sample negatives with replacement if there are not enough negatives to fill out the minibatch
        neg_p = lg.ones(total_neg)
        neg_replace = (total_neg < num_neg)
        if neg_replace:
            k = 'BoxSampler negative with replacement'
            old_val = utils.__GLOBAL_STATS__.get(k) or 0
            utils.__GLOBAL_STATS__[k] = old_val + 1
        neg_sample_idx = lg.multinomial(neg_p, num_neg, neg_replace)

        if getattr(self, 'debug_pos_sample_idx', None) is not None:
            pos_sample_idx = self.debug_pos_sample_idx
        if getattr(self, 'debug_neg_sample_idx', None) is not None:
            neg_sample_idx = self.debug_neg_sample_idx

        pos_input_idx = pos_mask_nonzero.index(0, pos_sample_idx)
        pos_target_idx = input_idx.index(1, pos_input_idx).view(num_pos)
        neg_input_idx = neg_mask_nonzero.index(0, neg_sample_idx)

        self.output = [pos_input_idx, pos_target_idx, neg_input_idx]
        return self.output

    def updateGradInput(self, input, gradOutput):
        raise RuntimeError('Not implemented')


class BoxSamplerHelper(nn.Module):
    """modules/BoxSamplerHelper.lua: {{input_boxes, input data...}, {target_boxes, target data...}} ->
    {{positive input data}, {their targets' data}, {negative input data}}."""

    def __init__(self, options=None):
        super().__init__()
        if options and options.get('box_sampler'):
            # Optional dependency injection for testing
            self.box_sampler = options['box_sampler']
        else:
            self.box_sampler = BoxSampler(options)

        self.output = [[lg.Tensor()], [lg.Tensor()], [lg.Tensor()]]
        self.gradInput = [lg.Tensor()]

        self.num_pos, self.num_neg = None, None
        self.pos_input_idx = None
        self.pos_target_idx = None
        self.neg_input_idx = None

    def setBounds(self, bounds):
        # Just forward to the underlying sampler
        self.box_sampler.setBounds(bounds)

    def updateOutput(self, input):
        # Unpack the input
        input_data = input[0]
        target_data = input[1]
        input_boxes = input_data[0]
        target_boxes = target_data[0]
        N = input_boxes.size(0)
        assert N == 1, 'Only minibatches of 1 are supported'

        # Run the sampler to get the indices of the positive and negative boxes
        idxs = self.box_sampler.forward([input_boxes, target_boxes])
        self.pos_input_idx = idxs[0]
        self.pos_target_idx = idxs[1]
        self.neg_input_idx = idxs[2]

        # Resize the output. We need to allocate additional tensors for the input data and target data, then
        # resize them to the right size.
        self.num_pos = self.pos_input_idx.size(0)
        self.num_neg = self.neg_input_idx.size(0)
        for i in range(len(input_data)):
            # The output tensors for additional data are lazily instantiated with the input's type
            dtype = input_data[i].type()
            if len(self.output[0]) < i + 1:
                self.output[0].append(lg.Tensor().type(dtype))
            if len(self.output[2]) < i + 1:
                self.output[2].append(lg.Tensor().type(dtype))
            D = input_data[i].size(2)
            self.output[0][i].resize(self.num_pos, D)
            self.output[2][i].resize(self.num_neg, D)
        for i in range(len(target_data)):
            dtype = target_data[i].type()
            if len(self.output[1]) < i + 1:
                self.output[1].append(lg.Tensor().type(dtype))
            D = target_data[i].size(2)
            self.output[1][i].resize(self.num_pos, D)

        # Now use the indicies to actually copy data from inputs to outputs
        for i in range(len(input_data)):
            self.output[0][i].index(input_data[i], 1, self.pos_input_idx)
            self.output[2][i].index(input_data[i], 1, self.neg_input_idx)
            # The call to index adds an extra dimension at the beginning for batch size, but since its a
            # singleton we just squeeze it out
            D = input_data[i].size(2)
            self.output[0][i] = self.output[0][i].view(self.num_pos, D)
            self.output[2][i] = self.output[2][i].view(self.num_neg, D)
        for i in range(len(target_data)):
            self.output[1][i].index(target_data[i], 1, self.pos_target_idx)
            D = target_data[i].size(2)
            self.output[1][i] = self.output[1][i].view(self.num_pos, D)

        return self.output

    def updateGradInput(self, input, gradOutput):
        """gradOutput: {grads of output[1], grads of output[3]}; a missing entry (nil in Lua) is None or past
        the list's end."""
        # Unpack the input and gradOutput
        input_data = input[0]
        target_data = input[1]
        input_boxes = input_data[0]
        target_boxes = target_data[0]
        N = input_boxes.size(0)
        B1, B2 = input_boxes.size(1), target_boxes.size(1)
        assert N == 1, 'Only minibatches of 1 are supported'

        # Resize the gradInput. It should be the same size as input_data.
        for i in range(len(input_data)):
            dtype = input_data[i].type()
            if len(self.gradInput) < i + 1:
                self.gradInput.append(lg.Tensor().type(dtype))
            self.gradInput[i].resizeAs(input_data[i])

        # Copy the gradients from gradOutput to self.input. This assumes that there is no overlap between the
        # positive and negative samples coming out of the BoxSampler, which should always be true.
        for i in range(len(input_data)):
            self.gradInput[i].zero()

            if i < len(gradOutput[0]) and gradOutput[0][i] is not None:
                v1 = gradOutput[0][i].view(1, self.num_pos, -1)
                self.gradInput[i].indexCopy(1, self.pos_input_idx, v1)

            if i < len(gradOutput[1]) and gradOutput[1][i] is not None:
                v2 = gradOutput[1][i].view(1, self.num_neg, -1)
                self.gradInput[i].indexCopy(1, self.neg_input_idx, v2)

        return self.gradInput


class LogisticCriterion(nn.Criterion):
    """modules/LogisticCriterion.lua: one-vs-all logistic loss of scores (N, C) for labels (N) in 0 .. C-1, or
    -1 for "negative for every class" (the Lua's 0 below its classes 1 .. C)."""

    def __init__(self):
        super().__init__()
        self.offsets = lg.Tensor()
        self.buffer = lg.Tensor()
        self.log_den = lg.Tensor()
        self.losses = lg.Tensor()
        self.mask = lg.ByteTensor()

        # some other variables needed to handle target = -1
        self.target_nonzero = lg.LongTensor()
        self.target_zero_mask = lg.ByteTensor()

    def clearState(self):
        self.offsets.set()
        self.buffer.set()
        self.log_den.set()
        self.losses.set()
        self.mask.set()
        self.target_nonzero.set()
        self.target_zero_mask.set()
        self.gradInput.set()

    def updateOutput(self, input, target):
        self.offsets.resizeAs(input)
        self.buffer.resizeAs(input)
        self.log_den.resizeAs(input)
        self.losses.resizeAs(input)

        # offsets = a = min(0, x)
        self.offsets.cmin(input, 0)

        # buffer = exp(a - x)
        self.buffer.add(self.offsets, -1, input).exp()

        # log(exp(a) + exp(a-x)) - a
        self.log_den.exp(self.offsets).add(self.buffer).log().add(-1, self.offsets)

        # target_nonzero: a copy of target with -1 replaced by 0 (so the scatter below works), and a mask of
        # the places where this happened to undo the scatter there.
        self.target_nonzero = self.target_nonzero.long()
        self.target_nonzero.cmax(target, 0)
        self.target_zero_mask = lg.eq(target, -1)

        # mask picks out places where y = 0
        self.mask = self.mask.resize(input.size()).byte().fill(1)

        self.mask.scatter(1, self.target_nonzero.view(-1, 1).long(), 0)
        self.mask.maskedFill(self.target_zero_mask.view(-1, 1).expandAs(input), 1)

        self.losses.copy(self.log_den)
        self.losses[self.mask] = self.losses[self.mask].add(input[self.mask])

        self.losses.div(input.nElement())
        self.output = lg.sum(self.losses)
        return self.output

    def updateGradInput(self, input, target):
        self.gradInput.resizeAs(input)
        self.gradInput.add(input, self.log_den).mul(-1).exp().mul(-1)
        self.gradInput[self.mask] = self.gradInput[self.mask].add(1)
        self.gradInput.div(input.nElement())
        return self.gradInput


class MakeAnchors(nn.Module):
    """modules/MakeAnchors.lua: features (N, C, H, W) -> anchors (N, 4k, H, W)."""

    def __init__(self, x0, y0, sx, sy, anchors):
        super().__init__()
        self.x0 = x0
        self.y0 = y0
        self.sx = sx
        self.sy = sy
        self.anchors = anchors.clone()

    def updateOutput(self, input):
        N, H, W = input.size(0), input.size(2), input.size(3)
        k = self.anchors.size(1)

        x_centers = lg.range(0, W - 1).typeAs(input)
        x_centers.mul(self.sx).add(self.x0)
        y_centers = lg.range(0, H - 1).typeAs(input)
        y_centers.mul(self.sy).add(self.y0)

        self.output.resize(N, 4 * k, H, W)
        output_view = self.output.view(N, k, 4, H, W)

        # Each of these is N x k x H x W
        xc = output_view.select(2, 0)
        yc = output_view.select(2, 1)
        w = output_view.select(2, 2)
        h = output_view.select(2, 3)

        xc.copy(x_centers.view(1, 1, 1, W).expand(N, k, H, W))
        yc.copy(y_centers.view(1, 1, H, 1).expand(N, k, H, W))
        w.copy(self.anchors[0].view(1, k, 1, 1).expand(N, k, H, W))
        h.copy(self.anchors[1].view(1, k, 1, 1).expand(N, k, H, W))

        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        return self.gradInput


class MakeBoxes(nn.Module):
    """modules/MakeBoxes.lua: transforms (N, 4k, H, W) -> boxes (N, k*H*W, 4)."""

    def __init__(self, x0, y0, sx, sy, anchors):
        super().__init__()
        self.x0 = x0
        self.y0 = y0
        self.sx = sx
        self.sy = sy
        self.anchors = anchors.clone()

        self.input_perm = lg.Tensor()
        self.boxes = lg.Tensor()
        self.raw_anchors = lg.Tensor()
        self.wa_expand = None
        self.ha_expand = None

        self.dtx = lg.Tensor()
        self.dty = lg.Tensor()
        self.dtw = lg.Tensor()
        self.dth = lg.Tensor()

    def updateOutput(self, input):
        N, H, W = input.size(0), input.size(2), input.size(3)
        k = input.size(1) / 4
        self.boxes.resize(N, k, H, W, 4)

        # Unpack x, y, w, h from boxes; these are the centers and sizes of the generated boxes
        x = self.boxes[:, :, :, :, 0]
        y = self.boxes[:, :, :, :, 1]
        w = self.boxes[:, :, :, :, 2]
        h = self.boxes[:, :, :, :, 3]

        # Reshape input from N x 4k x H x W to N x k x 4 x H x W
        input_view = input.view(N, k, 4, H, W)

        # Unpack tx, ty, tw, th from input; each of these is N x k x H x W
        tx = input_view[:, :, 0]
        ty = input_view[:, :, 1]
        tw = input_view[:, :, 2]
        th = input_view[:, :, 3]

        # Unpack wa, ha from anchors; each has shape k, so we need to expand
        wa, ha = self.anchors[0], self.anchors[1]
        self.wa_expand = wa.view(1, k, 1, 1).expand(N, k, H, W)
        self.ha_expand = ha.view(1, k, 1, 1).expand(N, k, H, W)

        # Compute xa and ya using x0, sx, y0, sy; we also need to expand them
        xa = lg.range(0, W - 1).typeAs(input).mul(self.sx).add(self.x0)
        ya = lg.range(0, H - 1).typeAs(input).mul(self.sy).add(self.y0)
        xa_expand = xa.view(1, 1, 1, W).expand(N, k, H, W)
        ya_expand = ya.view(1, 1, H, 1).expand(N, k, H, W)

        # N x k x H x W x 4
        self.raw_anchors.resizeAs(self.boxes)
        self.raw_anchors.select(4, 0).copy(xa_expand)
        self.raw_anchors.select(4, 1).copy(ya_expand)
        self.raw_anchors.select(4, 2).copy(self.wa_expand)
        self.raw_anchors.select(4, 3).copy(self.ha_expand)
        self.raw_anchors = self.raw_anchors.view(N, k * H * W, 4)

        # Compute x = wa * tx + xa, y = ha * tx + ya
        x.cmul(self.wa_expand, tx).add(xa_expand)
        y.cmul(self.ha_expand, ty).add(ya_expand)

        # Compute w = wa * exp(tw) and h = ha * exp(th)
        w.exp(tw).cmul(self.wa_expand)
        h.exp(th).cmul(self.ha_expand)

        self.output = self.boxes.view(N, k * H * W, 4)
        return self.output

    def updateGradInput(self, input, gradOutput):
        """This will only work properly if forward was just called"""
        N, H, W = input.size(0), input.size(2), input.size(3)
        k = input.size(1) / 4

        self.gradInput.resizeAs(input).zero()

        dboxes = gradOutput.view(N, k, H, W, 4)
        dx = dboxes[:, :, :, :, 0]
        dy = dboxes[:, :, :, :, 1]
        dw = dboxes[:, :, :, :, 2]
        dh = dboxes[:, :, :, :, 3]

        self.dtx.cmul(self.wa_expand, dx)
        self.dty.cmul(self.ha_expand, dy)

        w = self.boxes[:, :, :, :, 2]
        h = self.boxes[:, :, :, :, 3]
        self.dtw.cmul(w, dw)
        self.dth.cmul(h, dh)

        gradInput_view = self.gradInput.view(N, k, 4, H, W)
        gradInput_view[:, :, 0] = self.dtx
        gradInput_view[:, :, 1] = self.dty
        gradInput_view[:, :, 2] = self.dtw
        gradInput_view[:, :, 3] = self.dth

        return self.gradInput


class OurCrossEntropyCriterion(nn.Criterion):
    """modules/OurCrossEntropyCriterion.lua: nn's CrossEntropyCriterion without the squeeze."""

    def __init__(self, weights=None):
        super().__init__()
        self.lsm = nn.LogSoftMax()
        self.nll = nn.ClassNLLCriterion(weights)

    def updateOutput(self, input, target):
        self.lsm.updateOutput(input)
        self.nll.updateOutput(self.lsm.output, target)
        self.output = self.nll.output
        return self.output

    def updateGradInput(self, input, target):
        size = input.size()
        self.nll.updateGradInput(self.lsm.output, target)
        self.lsm.updateGradInput(input, self.nll.gradInput)
        self.gradInput.view(self.lsm.gradInput, size)
        return self.gradInput


class PosSlicer(nn.Module):
    """modules/PosSlicer.lua: {features (N, ...), gt_features (P, ...) or empty} -> the first P features."""

    def __init__(self):
        super().__init__()
        self.grad_features = lg.Tensor()
        self.grad_gt_features = lg.Tensor()

    def updateOutput(self, input):
        features = input[0]
        gt_features = input[1]
        if gt_features.nElement() == 0:
            self.output = features
        else:
            P = gt_features.size(0)
            assert P <= features.size(0), "Must have P <= N"
            self.output = features[0:P]
        return self.output

    def updateGradInput(self, input, gradOutput):
        features = input[0]
        gt_features = input[1]
        self.grad_gt_features.resizeAs(gt_features).zero()
        if gt_features.nElement() == 0:
            self.gradInput = [gradOutput, self.grad_gt_features]
        else:
            P = gt_features.size(0)
            self.grad_features.resizeAs(features).zero()
            self.grad_features[0:P].copy(gradOutput)
            self.gradInput = [self.grad_features, self.grad_gt_features]
        return self.gradInput


class RegularizeLayer(nn.Module):
    """modules/RegularizeLayer.lua: identity forward that records 0.5 w |x|^2; backward adds w x."""

    def __init__(self, weight, gradMul=None):
        super().__init__()
        assert weight is not None, 'RegularizeLayer needs its weight passed in'
        self.w = weight
        self.gradMul = gradMul if gradMul is not None else 1.0

    def updateOutput(self, input):
        loss = 0.5 * self.w * math.pow(input.norm(2), 2)
        self.loss = loss
        self.output = input   # noop forward
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).copy(input).mul(self.w)
        self.gradInput.add(self.gradMul, gradOutput)
        return self.gradInput


class ReshapeBoxFeatures(nn.Module):
    """modules/ReshapeBoxFeatures.lua: (N, D*k, H, W) -> (N, k*H*W, D)."""

    def __init__(self, k):
        super().__init__()
        self.k = k
        self.input_perm = lg.Tensor()
        self.gradInput_perm = lg.Tensor()

    def clearState(self):
        self.input_perm.set()
        self.gradInput_perm.set()
        self.output.set()
        self.gradInput.set()

    def updateOutput(self, input):
        N, H, W = input.size(0), input.size(2), input.size(3)
        D = input.size(1) / self.k
        k = self.k
        self.input_perm.resize(N, k, H, W, D)
        self.input_perm.copy(input.view(N, k, D, H, W).permute(0, 1, 3, 4, 2))
        self.output = self.input_perm.view(N, k * H * W, D)
        return self.output

    def updateGradInput(self, input, gradOutput):
        N, H, W = input.size(0), input.size(2), input.size(3)
        D = input.size(1) / self.k
        k = self.k
        self.gradInput_perm.resize(N, k, D, H, W)
        self.gradInput_perm.copy(gradOutput.view(N, k, H, W, D).permute(0, 1, 4, 2, 3))
        self.gradInput = self.gradInput_perm.view(N, k * D, H, W)
        return self.gradInput


# --- eval/eval_utils.lua (lines 94-316) -----------------------------------------------------------------------

class eval_utils:

    @staticmethod
    def score_captions(records):
        """Lines 94-102 write the records to JSON and run eval/meteor_bridge.py (METEOR, in Java). The stand-in
        scores 1 for a candidate equal to one of its references, else the fraction of its words found in them,
        as the blob's ``scores`` list, parallel to the records."""
        scores = []
        for r in records:
            words = r['candidate'].split()
            refs = r['references']
            if r['candidate'] in refs:
                scores.append(1.0)
            else:
                ref_words = set(w for ref in refs for w in ref.split())
                scores.append(sum(w in ref_words for w in words) / max(len(words), 1) * 0.5)
        return {'scores': scores, 'average_score': sum(scores) / max(len(scores), 1)}


def pluck_boxes(ix, boxes, text):
    """eval_utils.lua lines 105-133."""
    N = len(ix)
    new_boxes = lg.zeros(N, 4)
    new_text = []

    for i in range(N):
        ixi = ix[i]
        n = ixi.nElement()
        bsub = boxes.index(0, ixi)
        newbox = lg.mean(bsub, 0)
        new_boxes[i] = newbox

        texts = []
        if text:
            for j in range(n):
                texts.append(text[ixi[j]])
        new_text.append(texts)

    return new_boxes, new_text


class DenseCaptioningEvaluator:
    """eval_utils.lua lines 136-316 (a plain torch.class)."""

    def __init__(self, opt=None):
        self.all_logprobs = []
        self.records = []
        self.n = 1
        self.npos = 0
        self.id = utils.getopt(opt, 'id', '')

    def addResult(self, logprobs, boxes, text, target_boxes, target_text):
        """boxes (B, 4) and target_boxes (M, 4) xcycwh, logprobs (B, 2), text and target_text lists of
        strings."""
        assert logprobs.size(0) == boxes.size(0)
        assert logprobs.size(0) == len(text)
        assert target_boxes.size(0) == len(target_text)
        assert boxes.nDimension() == 2

        # convert both boxes to x1y1x2y2 coordinate systems
        boxes = box_utils.xcycwh_to_x1y1x2y2(boxes)
        target_boxes = box_utils.xcycwh_to_x1y1x2y2(target_boxes)

        # make sure we're on CPU
        boxes = boxes.float()
        logprobs = logprobs[:, 0].double()   # grab the positives class (1)
        target_boxes = target_boxes.float()

        # merge ground truth boxes that overlap by >= 0.7
        mergeix = box_utils.merge_boxes(target_boxes, 0.7)   # merge groups of boxes together
        merged_boxes, merged_text = pluck_boxes(mergeix, target_boxes, target_text)

        # 1. Sort detections by decreasing confidence
        Y, IX = lg.sort(logprobs, 0, True)   # true makes order descending

        nd = logprobs.size(0)   # number of detections
        nt = merged_boxes.size(0)   # number of gt boxes
        used = lg.zeros(nt)
        for d in range(nd):   # for each detection in descending order of confidence
            ii = IX[d]
            bb = boxes[ii]

            # assign the box to its best match in true boxes
            ovmax = 0
            jmax = -1
            for j in range(nt):
                bbgt = merged_boxes[j]
                bi = [max(bb[0], bbgt[0]), max(bb[1], bbgt[1]), min(bb[2], bbgt[2]), min(bb[3], bbgt[3])]
                iw = bi[2] - bi[0] + 1
                ih = bi[3] - bi[1] + 1
                if iw > 0 and ih > 0:
                    # compute overlap as area of intersection / area of union
                    ua = (bb[2] - bb[0] + 1) * (bb[3] - bb[1] + 1) + \
                         (bbgt[2] - bbgt[0] + 1) * (bbgt[3] - bbgt[1] + 1) - iw * ih
                    ov = iw * ih / ua
                    if ov > ovmax:
                        ovmax = ov
                        jmax = j

            # used[-1] is the last element in Torch7 as in Python
            ok = 1
            if used[jmax] == 0:
                used[jmax] = 1   # mark as taken
            else:
                ok = 0

            # record the best box, the overlap, and the fact that we need to score the language match
            record = {}
            record['ok'] = ok   # whether this prediction can be counted toward a true positive
            record['ov'] = ovmax
            record['candidate'] = text[ii]
            # merged_text[-1] is nil in Lua (jmax stayed -1); a Python list would give its last entry
            record['references'] = merged_text[jmax] if jmax >= 0 else None
            # Replace nil with empty table to prevent crash in meteor bridge
            if record['references'] is None:
                record['references'] = []
            record['imgid'] = self.n
            self.records.append(record)

        # keep track of results
        self.n = self.n + 1
        self.npos = self.npos + nt
        self.all_logprobs.append(Y.double())   # inserting the sorted logprobs as double

    def evaluate(self, verbose=None):
        if verbose is None:
            verbose = True
        min_overlaps = [0.3, 0.4, 0.5, 0.6, 0.7]
        min_scores = [-1, 0, 0.05, 0.1, 0.15, 0.2, 0.25]

        # concatenate everything across all images
        logprobs = lg.cat(self.all_logprobs, 0)   # concat all logprobs
        # call python to evaluate all records and get their BLEU/METEOR scores
        blob = eval_utils.score_captions(self.records)
        scores = blob['scores']   # scores is a list of scores, parallel to records

        # lets now do the evaluation
        y, ix = lg.sort(logprobs, 0, True)   # true makes order descending

        ap_results = {}
        det_results = {}
        for min_overlap in min_overlaps:
            for min_score in min_scores:
                # go down the list and build tp,fp arrays
                n = y.nElement()
                tp = lg.zeros(n)
                fp = lg.zeros(n)
                for i in range(n):
                    # pull up the relevant record
                    ii = ix[i]
                    r = self.records[ii]

                    if r['references'] is None:   # `not r.references`: an empty table is true in Lua
                        fp[i] = 1   # nothing aligned to this predicted box in the ground truth
                    else:
                        # ok something aligned. Lets check if it aligned enough, and correctly enough
                        score = scores[ii]
                        if r['ov'] >= min_overlap and r['ok'] == 1 and score > min_score:
                            tp[i] = 1
                        else:
                            fp[i] = 1

                fp = lg.cumsum(fp, 0)
                tp = lg.cumsum(tp, 0)
                rec = lg.div(tp, self.npos)
                prec = lg.cdiv(tp, fp + tp)

                # compute max-interpolated average precision: `for t=0,1,0.01 do` adds 0.01 to t before each
                # test, so the sum's rounding ends the loop after t = 0.99 (100 steps), as in Lua
                ap = 0
                apn = 0
                t = 0
                while t <= 1:
                    mask = lg.ge(rec, t).double()
                    prec_masked = lg.cmul(prec.double(), mask)
                    p = lg.max(prec_masked)
                    ap = ap + p
                    apn = apn + 1
                    t = t + 0.01
                ap = ap / apn

                # store it
                if min_score == -1:
                    det_results['ov' + '%.14g' % min_overlap] = ap   # Lua's `..` of a number
                else:
                    ap_results['ov' + '%.14g' % min_overlap + '_score' + '%.14g' % min_score] = ap

        map = utils.average_values(ap_results)
        detmap = utils.average_values(det_results)

        # lets get out of here
        results = {'map': map, 'ap_breakdown': ap_results, 'detmap': detmap, 'det_breakdown': det_results}
        return results

    def numAdded(self):
        return self.n - 1


# --- tests ----------------------------------------------------------------------------------------------------

def _np(t):
    return np.asarray(t.array, dtype=np.float64)


def _assert_backward_matches_differences(forward, grads, arrays, gout, rtol=1e-6, atol=1e-8):
    """The gradients a module's own backward gave (``grads``, arrays parallel to ``arrays``, the inputs'
    storages) against central differences of sum(forward() * gout)."""
    def loss():
        return float((_np(forward()) * gout).sum())
    for g, a in zip(grads, arrays):
        np.testing.assert_allclose(g, numeric_gradient(loss, a), rtol=rtol, atol=atol)


def _random_boxes(rng, shape, lo=2.0, hi=30.0):
    """xcycwh boxes with centres in [lo, hi] and sizes in [2, 10]."""
    b = np.empty(shape + (4,))
    b[..., :2] = rng.uniform(lo, hi, shape + (2,))
    b[..., 2:] = rng.uniform(2, 10, shape + (2,))
    return b


def _np_x1y1x2y2(b):
    """box_utils.lua's convention: a box of width w covers pixels xc - (w-1)/2 .. xc + (w-1)/2."""
    return np.stack([b[..., 0] - (b[..., 2] - 1) / 2, b[..., 1] - (b[..., 3] - 1) / 2,
                     b[..., 0] + (b[..., 2] - 1) / 2, b[..., 1] + (b[..., 3] - 1) / 2], -1)


def test_box_conversions_against_numpy():
    rng = np.random.default_rng(0)
    b = _random_boxes(rng, (2, 5))
    boxes = lg.from_numpy(b)
    x1y1x2y2 = _np_x1y1x2y2(b)
    np.testing.assert_allclose(_np(box_utils.xcycwh_to_x1y1x2y2(boxes)), x1y1x2y2, rtol=1e-12)
    flat = box_utils.xcycwh_to_x1y1x2y2(boxes[0])
    assert flat.size() == (5, 4)
    np.testing.assert_allclose(_np(flat), x1y1x2y2[0], rtol=1e-12)
    xywh = np.concatenate([x1y1x2y2[..., :2], b[..., 2:]], -1)
    np.testing.assert_allclose(_np(box_utils.xcycwh_to_xywh(boxes)), xywh, rtol=1e-12)
    np.testing.assert_allclose(_np(box_utils.xywh_to_x1y1x2y2(lg.from_numpy(xywh))), x1y1x2y2, rtol=1e-12)
    np.testing.assert_allclose(_np(box_utils.x1y1x2y2_to_xywh(lg.from_numpy(x1y1x2y2))), xywh, rtol=1e-12)
    # x1y1x2y2_to_xcycwh takes w = x2 - x1 (no + 1): the round trip shrinks each box by one pixel, as in Lua
    back = box_utils.x1y1x2y2_to_xcycwh(lg.from_numpy(x1y1x2y2[0]))
    np.testing.assert_allclose(_np(back), np.concatenate([b[0, :, :2], b[0, :, 2:] - 1], -1), rtol=1e-12)
    # xywh_to_xcycwh adds w / 2 to x
    np.testing.assert_allclose(_np(box_utils.xywh_to_xcycwh(lg.from_numpy(xywh))),
                               np.concatenate([xywh[..., :2] + xywh[..., 2:] / 2, xywh[..., 2:]], -1), rtol=1e-12)
    scaled = box_utils.scale_boxes_xywh(lg.from_numpy(xywh[0]), 0.5)
    np.testing.assert_allclose(_np(scaled), np.concatenate([(xywh[0, :, :2] - 1) * 0.5 + 1, xywh[0, :, 2:] * 0.5],
                                                           -1), rtol=1e-12)


def test_clip_boxes():
    """test/clip_boxes_test.lua's boxes and bounds. Its expected boxes ({2, 8.5, 4, 5} for {0.5, 8.5, 7, 5}) take
    corners at xc -/+ w / 2, which box_utils.lua's conversions no longer do (xc -/+ (w - 1) / 2 there, and
    x1y1x2y2_to_xcycwh's w = x2 - x1): the Lua test fails against the repository's own box_utils, so the port
    checks the boxes and the valid mask against NumPy with the code's conventions."""
    boxes_in = lg.Tensor(1, 10, 4)
    boxes_in[0, 0] = lg.Tensor([0.5, 8.5, 7, 5])
    boxes_in[0, 1] = lg.Tensor([3.5, -0.5, 9, 7])
    boxes_in[0, 2] = lg.Tensor([9.5, 14.5, 7, 5])
    boxes_in[0, 3] = lg.Tensor([9, 7, 4, 4])
    boxes_in[0, 4] = lg.Tensor([11, 1.5, 2, 3])
    boxes_in[0, 5] = lg.Tensor([13, 1.5, 2, 2])   # out of bounds box in x
    boxes_in[0, 6] = lg.Tensor([1, 16, 3, 1])   # out of bounds box in y
    boxes_in[0, 7] = lg.Tensor([-5, 1, 3, 1])   # oob box in x
    boxes_in[0, 8] = lg.Tensor([-5, -6, 3, 1])   # oob box in both x,y
    boxes_in[0, 9] = lg.Tensor([15, 16, 3, 1])   # oob box in both x,y on other side

    bounds = {'x_min': 0, 'x_max': 12, 'y_min': 0, 'y_max': 15}
    clipped, valid = box_utils.clip_boxes(boxes_in, bounds, 'xcycwh')
    assert clipped.size() == (1, 10, 4)

    c = _np_x1y1x2y2(_np(boxes_in)[0])
    c[:, 0] = c[:, 0].clip(0, 11)
    c[:, 1] = c[:, 1].clip(0, 14)
    c[:, 2] = c[:, 2].clip(1, 12)
    c[:, 3] = c[:, 3].clip(1, 15)
    expected = np.stack([(c[:, 0] + c[:, 2]) / 2, (c[:, 1] + c[:, 3]) / 2, c[:, 2] - c[:, 0], c[:, 3] - c[:, 1]], 1)
    np.testing.assert_array_equal(_np(clipped)[0], expected)
    np.testing.assert_array_equal(_np(clipped)[0, 3], [9, 7, 3, 3])   # inside: only the one-pixel shrink

    # test oob code: the Lua test expects boxes 5 to 9 dropped; with the code's clamps (x1 to [x_min, x_max - 1],
    # x2 to [x_min + 1, x_max]) a box wholly outside becomes a one-pixel box on the border, valid unless its
    # corners coincide after clamping (box 7, one pixel high at y = 1)
    assert valid.type() == 'torch.ByteTensor', 'valid returns ByteTensor'
    assert valid.tolist() == ((c[:, 2] > c[:, 0]) & (c[:, 3] > c[:, 1])).tolist()
    assert valid.tolist() == [1, 1, 1, 1, 1, 1, 1, 0, 1, 1]


def _np_nms(boxes, overlap, max_boxes=None):
    """Greedy NMS in NumPy with box_utils' +1 areas: the highest score first, dropping boxes whose IoU with a
    kept box exceeds ``overlap``."""
    order = list(np.argsort(boxes[:, 4], kind='stable'))
    keep = []
    while order and (max_boxes is None or len(keep) < max_boxes):
        i = order.pop()
        keep.append(i)
        rest = np.array(order, dtype=int)
        if not len(rest):
            break
        xx1 = np.maximum(boxes[rest, 0], boxes[i, 0])
        yy1 = np.maximum(boxes[rest, 1], boxes[i, 1])
        xx2 = np.minimum(boxes[rest, 2], boxes[i, 2])
        yy2 = np.minimum(boxes[rest, 3], boxes[i, 3])
        inter = np.clip(xx2 - xx1 + 1, 0, None) * np.clip(yy2 - yy1 + 1, 0, None)
        area = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)
        iou = inter / (area[rest] + area[i] - inter)
        order = [j for j, o in zip(order, iou) if o <= overlap]
    return keep


@pytest.mark.parametrize('overlap, scores, expected', [
    (0.7, [1, 2, 3, 4, 5, 6, 7], [7, 5, 4, 3, 2, 1]),     # test1
    (0.5, [1, 2, 3, 4, 5, 6, 7], [7, 5, 3, 1]),           # test2: lower threshold, fewer boxes
    (0.7, [2.5, 2, 3, 4, 5, 10, 7], [6, 5, 3, 1, 2]),     # test3: other scores, other order
])
def test_nms(overlap, scores, expected):
    """test/nms_test.lua's three cases (its 1-based expected indices shifted down by one), and a NumPy
    reference on random boxes with and without max_boxes."""
    boxes = lg.Tensor(7, 5)
    coords = [[-12, 3, -7, 9], [-9, 7, -4, 13], [-8, 8, -3, 14], [3.5, 4.5, 8.5, 12.5], [-6, -6, -1, -1],
              [4, 5, 9, 13], [4.5, 5.5, 9.5, 13.5]]
    for i in range(7):
        boxes[i] = lg.Tensor(coords[i] + [scores[i]])
    for dtype in ('torch.FloatTensor', 'torch.DoubleTensor'):
        idx = box_utils.nms(boxes.type(dtype), overlap)
        assert idx.tolist() == [e - 1 for e in expected]
        assert idx.tolist() == _np_nms(_np(boxes), overlap)


def test_nms_against_numpy_on_random_boxes():
    rng = np.random.default_rng(1)
    b = np.concatenate([_np_x1y1x2y2(_random_boxes(rng, (60,), 2, 20)), rng.permutation(60)[:, None] / 7.0], 1)
    for overlap, max_boxes in ((0.5, None), (0.3, None), (0.5, 5)):
        idx = box_utils.nms(lg.from_numpy(b), overlap, max_boxes)
        assert idx.tolist() == _np_nms(b, overlap, max_boxes)
    assert len(box_utils.nms(lg.from_numpy(b), 0.5, 5)) == 5
    # the {boxes, scores} table form
    idx = box_utils.nms([lg.from_numpy(b[:, :4].copy()), lg.from_numpy(b[:, 4].copy())], 0.5)
    assert idx.tolist() == _np_nms(b, 0.5)


def _np_iou(b1, b2):
    """BoxIoU.lua's IoU: areas w * h, intersections of the box_utils corners (so (w-1) * (h-1) for a box with
    itself)."""
    a, c = _np_x1y1x2y2(b1)[:, :, None], _np_x1y1x2y2(b2)[:, None]
    w = np.clip(np.minimum(a[..., 2], c[..., 2]) - np.maximum(a[..., 0], c[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], c[..., 3]) - np.maximum(a[..., 1], c[..., 1]), 0, None)
    inter = w * h
    area1 = (b1[..., 2] * b1[..., 3])[:, :, None]
    area2 = (b2[..., 2] * b2[..., 3])[:, None]
    return inter / (area1 + area2 - inter)


def test_box_iou_against_numpy():
    rng = np.random.default_rng(2)
    b1, b2 = _random_boxes(rng, (2, 6), 5, 15), _random_boxes(rng, (2, 4), 5, 15)
    ious = BoxIoU().forward([lg.from_numpy(b1), lg.from_numpy(b2)])
    assert ious.size() == (2, 6, 4)
    np.testing.assert_allclose(_np(ious), _np_iou(b1, b2), rtol=1e-12)
    assert (_np(ious) > 0).any() and (_np(ious) == 0).any()


def test_iou_matrix_and_merge_boxes():
    boxes = lg.Tensor([[1, 1, 10, 10], [1, 1, 10, 11], [20, 20, 25, 25], [2, 1, 10, 10]])
    D = box_utils.iou_matrix(boxes)
    b = _np(boxes)
    area = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    ref = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            iw = min(b[i, 2], b[j, 2]) - max(b[i, 0], b[j, 0]) + 1
            ih = min(b[i, 3], b[j, 3]) - max(b[i, 1], b[j, 1]) + 1
            ref[i, j] = iw * ih / (area[i] + area[j] - iw * ih) if iw > 0 and ih > 0 else 0
    np.testing.assert_allclose(_np(D), ref, rtol=1e-12)
    groups = box_utils.merge_boxes(boxes, 0.7)
    assert [g.tolist() for g in groups] == [[0, 1, 3], [2]]


def test_apply_and_invert_box_transform_gradients():
    """test/ApplyBoxTransform_test.lua and InvertBoxTransform_test.lua: the own backward against finite
    differences, and InvertBoxTransform undoing ApplyBoxTransform."""
    rng = np.random.default_rng(3)
    boxes, trans = _random_boxes(rng, (2, 3)), rng.normal(0, 0.3, (2, 3, 4))
    gout = rng.standard_normal((2, 3, 4))
    m = ApplyBoxTransform()
    x = [lg.from_numpy(boxes), lg.from_numpy(trans)]
    out = m.forward(x)
    ref = np.stack([trans[..., 0] * boxes[..., 2] + boxes[..., 0], trans[..., 1] * boxes[..., 3] + boxes[..., 1],
                    boxes[..., 2] * np.exp(trans[..., 2]), boxes[..., 3] * np.exp(trans[..., 3])], -1)
    np.testing.assert_allclose(_np(out), ref, rtol=1e-12)
    grads = [g.numpy().copy() for g in m.backward(x, lg.from_numpy(gout))]
    _assert_backward_matches_differences(lambda: m.forward(x), grads, [x[0].array, x[1].array], gout)

    inv = InvertBoxTransform()
    y = [lg.from_numpy(boxes[0].copy()), out[0].clone()]
    np.testing.assert_allclose(_np(inv.forward(y)), trans[0], rtol=1e-10, atol=1e-12)
    gout2 = rng.standard_normal((3, 4))
    grads = [g.numpy().copy() for g in inv.backward(y, lg.from_numpy(gout2))]
    _assert_backward_matches_differences(lambda: inv.forward(y), grads, [y[0].array, y[1].array], gout2)


def test_make_anchors_make_boxes_reshape_box_features():
    """MakeAnchors_test.lua, MakeBoxes_test.lua, ReshapeBoxFeatures_test.lua: anchors at x0 + sx * j, MakeBoxes
    equal to MakeAnchors + ReshapeBoxFeatures + ApplyBoxTransform, the backward passes against differences."""
    rng = np.random.default_rng(4)
    N, k, H, W = 1, 2, 3, 4
    x0, y0, sx, sy = 8.5, 7.5, 16, 16
    anchors = lg.Tensor([[30, 60], [40, 20]])   # 2 x k: widths, heights
    feats = lg.from_numpy(rng.standard_normal((N, 5, H, W)))
    a = MakeAnchors(x0, y0, sx, sy, anchors).forward(feats)
    assert a.size() == (N, 4 * k, H, W)
    av = _np(a).reshape(N, k, 4, H, W)
    np.testing.assert_array_equal(av[0, 1, 0, 2], x0 + sx * np.arange(W))
    np.testing.assert_array_equal(av[0, 1, 1, :, 3], y0 + sy * np.arange(H))
    assert (av[0, 1, 2] == 60).all() and (av[0, 1, 3] == 20).all()
    assert not MakeAnchors(x0, y0, sx, sy, anchors).backward(feats, a).numpy().any()

    trans = rng.normal(0, 0.2, (N, 4 * k, H, W))
    t = lg.from_numpy(trans)
    mb = MakeBoxes(x0, y0, sx, sy, anchors)
    boxes = mb.forward(t)
    assert boxes.size() == (N, k * H * W, 4)
    r = ReshapeBoxFeatures(k)
    ref = ApplyBoxTransform().forward([ReshapeBoxFeatures(k).forward(a).clone(), r.forward(t)])
    np.testing.assert_allclose(_np(boxes), _np(ref), rtol=1e-12)

    gout = rng.standard_normal((N, k * H * W, 4))
    grads = [mb.backward(t, lg.from_numpy(gout)).numpy().copy()]
    _assert_backward_matches_differences(lambda: mb.forward(t), grads, [t.array], gout)

    x = lg.from_numpy(rng.standard_normal((N, 3 * k, H, W)))
    out = r.forward(x)
    assert out.size() == (N, k * H * W, 3)
    np.testing.assert_array_equal(_np(out), _np(x).reshape(N, k, 3, H, W).transpose(0, 1, 3, 4, 2).reshape(N, -1, 3))
    gout = rng.standard_normal((N, k * H * W, 3))
    grads = [r.backward(x, lg.from_numpy(gout)).numpy().copy()]
    _assert_backward_matches_differences(lambda: r.forward(x), grads, [x.array], gout)


def test_box_to_affine():
    """BoxToAffine_test.lua: the matrix of the docstring, and its backward (setSize before each pass)."""
    rng = np.random.default_rng(5)
    H, W = 20, 30
    b = _random_boxes(rng, (4,), 3, 18)
    x = lg.from_numpy(b)
    m = BoxToAffine()
    out = m.setSize(H, W).forward(x)
    ref = np.zeros((4, 2, 3))
    ref[:, 0, 0] = b[:, 3] / H
    ref[:, 0, 2] = (2 * b[:, 1] - H - 1) / (H - 1)
    ref[:, 1, 1] = b[:, 2] / W
    ref[:, 1, 2] = (2 * b[:, 0] - W - 1) / (W - 1)
    np.testing.assert_allclose(_np(out), ref, rtol=1e-12)
    gout = rng.standard_normal((4, 2, 3))
    grads = [m.backward(x, lg.from_numpy(gout)).numpy().copy()]
    assert m.H is None and m.W is None   # backward forgets the size
    _assert_backward_matches_differences(lambda: m.setSize(H, W).forward(x), grads, [x.array], gout)


def test_batch_bilinear_sampler_matches_the_naive_one_and_differences():
    """BatchBilinearSamplerBHWD_test.lua: the stride-0 batch through stnbhwd's C functions against
    NaiveBatchBilinearSamplerBHWD (replicate, sample, sum the replicated gradient), and differences."""
    rng = np.random.default_rng(6)
    img = lg.from_numpy(rng.standard_normal((5, 6, 3)))
    grids = lg.from_numpy(rng.uniform(-0.9, 0.9, (4, 2, 3, 2)))
    gout = rng.standard_normal((4, 2, 3, 3))
    m, naive = BatchBilinearSamplerBHWD(), NaiveBatchBilinearSamplerBHWD()
    out = m.forward([img, grids])
    assert out.size() == (4, 2, 3, 3)
    np.testing.assert_allclose(_np(out), _np(naive.forward([img, grids])), rtol=1e-12)
    gi = m.backward([img, grids], lg.from_numpy(gout))
    gn = naive.backward([img, grids], lg.from_numpy(gout))
    assert gi[0].size() == (5, 6, 3)
    np.testing.assert_allclose(_np(gi[0]), _np(gn[0]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(gi[1]), _np(gn[1]), rtol=1e-10, atol=1e-12)
    grads = [g.numpy().copy() for g in gi]
    _assert_backward_matches_differences(lambda: m.forward([img, grids]), grads, [img.array, grids.array], gout,
                                         rtol=1e-5, atol=1e-7)


def test_bilinear_roi_pooling():
    """BilinearRoiPooling_test.lua: a box covering the whole image pools the feature map bilinearly at the
    output grid; gradients for features and boxes against differences; setImageSize is needed each pass."""
    rng = np.random.default_rng(7)
    C, H, W, HH, WW = 2, 4, 5, 3, 3
    img_h, img_w = 4 * H, 4 * W
    feats = lg.from_numpy(rng.standard_normal((C, H, W)))
    m = BilinearRoiPooling(HH, WW)
    whole = lg.Tensor([[(img_w + 1) / 2, (img_h + 1) / 2, img_w, img_h]])
    out = m.setImageSize(img_h, img_w).forward([feats, whole])
    assert out.size() == (1, C, HH, WW)
    f = _np(feats)
    rows = np.linspace(0, H - 1, HH)
    cols = np.linspace(0, W - 1, WW)
    for i, y in enumerate(rows):
        for j, x in enumerate(cols):
            y0, x0 = int(min(np.floor(y), H - 2)), int(min(np.floor(x), W - 2))
            dy, dx = y - y0, x - x0
            ref = (f[:, y0, x0] * (1 - dy) * (1 - dx) + f[:, y0, x0 + 1] * (1 - dy) * dx +
                   f[:, y0 + 1, x0] * dy * (1 - dx) + f[:, y0 + 1, x0 + 1] * dy * dx)
            np.testing.assert_allclose(_np(out)[0, :, i, j], ref, rtol=1e-10)
    with pytest.raises(AssertionError, match='Must call setImageSize'):
        m.forward([feats, whole])

    boxes = lg.from_numpy(_random_boxes(rng, (3,), 6, 12))
    gout = rng.standard_normal((3, C, HH, WW))
    m.setImageSize(img_h, img_w).forward([feats, boxes])
    grads = [g.numpy().copy() for g in m.backward([feats, boxes], lg.from_numpy(gout))]
    assert grads[0].shape == (C, H, W) and grads[1].shape == (3, 4)

    def forward():
        return m.setImageSize(img_h, img_w).forward([feats, boxes])
    _assert_backward_matches_differences(forward, grads, [feats.array, boxes.array], gout, rtol=1e-5, atol=1e-7)


def test_regularize_layer_and_pos_slicer():
    rng = np.random.default_rng(8)
    x = lg.from_numpy(rng.standard_normal((2, 3)))
    m = RegularizeLayer(0.3, 2.0)
    assert m.forward(x) is x
    assert m.loss == pytest.approx(0.5 * 0.3 * (_np(x) ** 2).sum(), rel=1e-12)
    gout = rng.standard_normal((2, 3))
    np.testing.assert_allclose(_np(m.backward(x, lg.from_numpy(gout))), 0.3 * _np(x) + 2.0 * gout, rtol=1e-12)
    # the gradient of loss + sum(output * gout) with gradMul 1
    m1 = RegularizeLayer(0.3)
    grads = [m1.backward(x, lg.from_numpy(gout)).numpy().copy()]

    def total():
        out = m1.forward(x)
        return lg.from_numpy(np.array(m1.loss + float((_np(out) * gout).sum())))
    _assert_backward_matches_differences(total, grads, [x.array], np.ones(()))

    feats = lg.from_numpy(rng.standard_normal((5, 3)))
    gt = lg.Tensor(2, 4).zero()
    s = PosSlicer()
    np.testing.assert_array_equal(_np(s.forward([feats, gt])), _np(feats)[:2])
    g = s.backward([feats, gt], lg.from_numpy(np.ones((2, 3))))
    assert g[0].size() == (5, 3) and g[0].sum() == 6 and g[0][2:].sum() == 0 and g[1].size() == (2, 4)
    assert s.forward([feats, lg.Tensor()]) is feats


def test_box_regression_criterion():
    """BoxRegressionCriterion_test.lua: SmoothL1 between the transforms and those that map the anchors onto
    the targets; the gradient for the transforms and the anchors against differences."""
    rng = np.random.default_rng(9)
    anchors = _random_boxes(rng, (5,), 5, 15)
    targets = anchors + rng.normal(0, 1.0, (5, 4))
    targets[:, 2:] = np.abs(targets[:, 2:]) + 1
    trans = rng.normal(0, 0.3, (5, 4))
    crit = BoxRegressionCriterion(2.0)
    x = [lg.from_numpy(anchors), lg.from_numpy(trans)]
    tgt = lg.from_numpy(targets)
    loss = crit.forward(x, tgt)
    t_ref = np.stack([(targets[:, 0] - anchors[:, 0]) / anchors[:, 2], (targets[:, 1] - anchors[:, 1]) / anchors[:, 3],
                      np.log(targets[:, 2] / anchors[:, 2]), np.log(targets[:, 3] / anchors[:, 3])], 1)
    d = np.abs(trans - t_ref)
    assert loss == pytest.approx(2.0 * np.where(d < 1, 0.5 * d * d, d - 0.5).mean(), rel=1e-12)
    grads = [g.numpy().copy() for g in crit.backward(x, tgt)]

    def forward():
        return lg.from_numpy(np.array(crit.forward(x, tgt)))
    _assert_backward_matches_differences(forward, grads, [x[0].array, x[1].array], np.ones(()))


def test_logistic_criterion():
    """LogisticCriterion.lua's loss, log(1 + exp(-x)) for the label's class and log(1 + exp(-x)) + x for the
    others (-1: every class negative), averaged over all N * C scores; the gradient against differences."""
    rng = np.random.default_rng(10)
    x = rng.normal(0, 3, (6, 3))
    x[0, 0] = 800.0   # the offsets keep exp from overflowing
    target = lg.LongTensor([0, 2, -1, 1, -1, 0])
    crit = LogisticCriterion()
    inp = lg.from_numpy(x)
    loss = crit.forward(inp, target)
    y = np.zeros_like(x)
    for i, c in enumerate(target.tolist()):
        if c >= 0:
            y[i, c] = 1
    ref = (np.logaddexp(0, -x) + (1 - y) * x).mean()
    assert loss == pytest.approx(ref, rel=1e-12)
    grads = [crit.backward(inp, target).numpy().copy()]
    np.testing.assert_allclose(grads[0], (1 / (1 + np.exp(-x)) - y) / x.size, rtol=1e-10, atol=1e-15)
    x[0, 0] = 0.5

    def forward():
        return lg.from_numpy(np.array(crit.forward(inp, target)))
    grads = [(crit.forward(inp, target), crit.backward(inp, target).numpy().copy())[1]]
    _assert_backward_matches_differences(forward, grads, [inp.array], np.ones(()))


def test_our_cross_entropy_criterion_keeps_a_single_row():
    """OurCrossEntropyCriterion.lua: CrossEntropyCriterion without the squeeze; a batch of one stays (1, C)."""
    x = lg.Tensor([[0.2, -1.0]])
    crit = OurCrossEntropyCriterion()
    loss = crit.forward(x, lg.LongTensor([1]))
    assert loss == pytest.approx(-(-1.0 - np.log(np.exp(0.2) + np.exp(-1.0))), rel=1e-12)
    g = crit.backward(x, lg.LongTensor([1]))
    assert g.size() == (1, 2)
    p = np.exp([0.2, -1.0]) / np.exp([0.2, -1.0]).sum()
    np.testing.assert_allclose(_np(g)[0], p - [0, 1], rtol=1e-12)


def _sampler_case():
    """Input boxes around two targets: boxes 0 and 3 overlap target 0 by more than 0.7, box 5 is target 1's best
    (IoU under 0.7), boxes 1, 2, 4, 6, 7 are far from both."""
    targets = lg.Tensor([[[20, 20, 20, 20], [60, 22, 12, 20]]])
    inputs = lg.Tensor([[[20, 20, 20, 20], [80, 80, 8, 8], [10, 60, 12, 12], [21, 20, 20, 20], [2, 2, 6, 6],
                         [62, 24, 12, 16], [80, 10, 12, 12], [40, 70, 10, 10]]])
    return inputs, targets


def test_box_sampler():
    """BoxSampler_test.lua's checks: positives are the boxes with IoU > high_thresh plus each target's best box,
    negatives those with IoU < low_thresh, P = min(batch_size / 2, #positives), P + M = batch_size, each
    positive matched to its best target; the bounds drop boxes that leave the image, and too few negatives are
    drawn with replacement."""
    lg.manualSeed(0)
    inputs, targets = _sampler_case()
    iou = _np_iou(_np(inputs), _np(targets))[0]
    assert sorted(set(np.flatnonzero(iou.max(1) > 0.7)) | set(iou.argmax(0))) == [0, 3, 5]
    assert list(np.flatnonzero(iou.max(1) < 0.3)) == [1, 2, 4, 6, 7]
    sampler = BoxSampler({'batch_size': 6, 'low_thresh': 0.3, 'high_thresh': 0.7})
    pos_input_idx, pos_target_idx, neg_input_idx = sampler.forward([inputs, targets])
    assert sorted(pos_input_idx.tolist()) == [0, 3, 5]
    assert dict(zip(pos_input_idx.tolist(), pos_target_idx.tolist())) == {0: 0, 3: 0, 5: 1}
    assert len(neg_input_idx) == 3 and set(neg_input_idx.tolist()) <= {1, 2, 4, 6, 7}
    assert len(set(neg_input_idx.tolist())) == 3   # enough negatives: drawn without replacement

    sampler = BoxSampler({'batch_size': 6})
    sampler.setBounds({'x_min': 1, 'y_min': 1, 'x_max': 80, 'y_max': 80})
    before = utils.__GLOBAL_STATS__.get('BoxSampler negative with replacement') or 0
    pos_input_idx, _, neg_input_idx = sampler.forward([inputs, targets])
    assert sorted(pos_input_idx.tolist()) == [0, 3, 5]
    assert len(neg_input_idx) == 3 and set(neg_input_idx.tolist()) <= {2, 7}   # 1, 4 and 6 leave the image
    assert utils.__GLOBAL_STATS__['BoxSampler negative with replacement'] == before + 1


def test_box_sampler_without_negatives_inverts_the_positive_mask():
    """BoxSampler.lua lines 111-128: no box under low_thresh, so the negatives are the non-positives; the
    ByteTensor inversion ``neg_mask:mul(pos_mask, -1):add(1)`` wraps -1 to 255 as Torch7's C cast does."""
    lg.manualSeed(1)
    targets = lg.Tensor([[[10, 10, 8, 8]]])
    inputs = lg.Tensor([[[10, 10, 8, 8], [11, 10, 8, 8], [10, 11, 8, 8], [11, 11, 8, 8]]])
    sampler = BoxSampler({'batch_size': 4, 'low_thresh': 0.1, 'high_thresh': 0.99})
    pos_input_idx, _, neg_input_idx = sampler.forward([inputs, targets])
    assert pos_input_idx.tolist() == [0]
    assert sampler.neg_mask.tolist() == [0, 1, 1, 1]
    assert sorted(neg_input_idx.tolist()) == [1, 2, 3]


def test_box_sampler_helper_routes_data_and_gradients():
    """BoxSamplerHelper_test.lua with the sampler's debug indices: outputs are the indexed rows of every input
    and target tensor; backward scatters the positive and negative gradients back, zero elsewhere."""
    rng = np.random.default_rng(11)
    inputs, targets = _sampler_case()
    scores = lg.from_numpy(rng.standard_normal((1, 8, 2)))
    labels = lg.Tensor([[[3, 1, 0], [2, 2, 2]]])
    helper = BoxSamplerHelper({'batch_size': 4})
    helper.box_sampler.debug_pos_sample_idx = lg.LongTensor([1, 0])
    helper.box_sampler.debug_neg_sample_idx = lg.LongTensor([0, 2])
    out = helper.forward([[inputs, scores], [targets, labels]])
    pos_idx, neg_idx = helper.pos_input_idx.tolist(), helper.neg_input_idx.tolist()
    assert len(pos_idx) == 2 and len(neg_idx) == 2
    np.testing.assert_array_equal(_np(out[0][1]), _np(scores)[0, pos_idx])
    np.testing.assert_array_equal(_np(out[2][0]), _np(inputs)[0, neg_idx])
    np.testing.assert_array_equal(_np(out[1][1]), _np(labels)[0, helper.pos_target_idx.tolist()])
    g_pos = [lg.from_numpy(rng.standard_normal((2, 4))), None]
    g_neg = [lg.Tensor(), lg.from_numpy(rng.standard_normal((2, 2)))]
    g_neg[0] = None
    grad = helper.backward([[inputs, scores], [targets, labels]], [g_pos, g_neg])
    ref0 = np.zeros((1, 8, 4))
    ref0[0, pos_idx] = _np(g_pos[0])
    ref1 = np.zeros((1, 8, 2))
    ref1[0, neg_idx] = _np(g_neg[1])
    np.testing.assert_array_equal(_np(grad[0]), ref0)
    np.testing.assert_array_equal(_np(grad[1]), ref1)


def test_dense_captioning_evaluator():
    """test/evaluation_test.lua's evaluatorTest (two images), then the mAP against a NumPy computation of the
    same definition on a case whose matches are known: with the stand-in scorer, a detection is a true positive
    when it overlaps an unused merged ground-truth box enough and its caption scores above min_score."""
    lg.manualSeed(0)
    evaluator = DenseCaptioningEvaluator()
    B, M = 10, 5
    text = ["hello there", "how are you", "this is a string", "this string is a bit longer", "short one",
            "another prediction", "this is the 7th item", "here is an item", "one more", "last prediction"]
    target_text = ["one ground truth", "another one", "short", "fourth gt", "how are you"]
    evaluator.addResult(lg.randn(B, 2), lg.rand(B, 4), text, lg.rand(M, 4), target_text)
    evaluator.addResult(lg.randn(7, 2), lg.rand(7, 4), text[:7], lg.rand(4, 4), target_text[:4])
    results = evaluator.evaluate()
    assert evaluator.numAdded() == 2 and len(evaluator.records) == 17
    assert sorted(results['ap_breakdown']) == sorted('ov%g_score%g' % (o, s) for o in (0.3, 0.4, 0.5, 0.6, 0.7)
                                                     for s in (0, 0.05, 0.1, 0.15, 0.2, 0.25))
    assert 0 <= results['map'] <= 1 and 0 <= results['detmap'] <= 1

    # a known case: two ground-truth boxes far apart, three detections
    ev = DenseCaptioningEvaluator({'id': 'x'})
    gt = lg.Tensor([[10, 10, 8, 8], [40, 40, 10, 10]])
    det = lg.Tensor([[10, 10, 8, 8], [41, 40, 10, 10], [10.5, 10, 8, 8]])
    logprobs = lg.Tensor([[3.0, 0], [2.0, 0], [1.0, 0]])
    ev.addResult(logprobs, det, ['a red car', 'green tree', 'a red car'], gt, ['a red car', 'a tall tree'])
    oks = [r['ok'] for r in ev.records]
    assert oks == [1, 1, 0]   # the third detection hits the first box again
    res = ev.evaluate(False)
    scores = eval_utils.score_captions(ev.records)['scores']
    assert scores[0] == 1.0 and 0 < scores[1] < 1

    def np_ap(min_overlap, min_score):
        tp = np.array([r['ov'] >= min_overlap and r['ok'] == 1 and s > min_score
                       for r, s in zip(ev.records, scores)], dtype=float)
        fp = 1 - tp
        rec, prec = np.cumsum(tp) / 2, np.cumsum(tp) / (np.cumsum(tp) + np.cumsum(fp))
        ts = np.cumsum(np.full(101, 0.01)) - 0.01   # the Lua loop's accumulated t: 0, 0.01, ..., 0.99 (<= 1)
        ts = ts[ts <= 1]
        return np.mean([np.max(prec * (rec >= t)) for t in ts])
    assert res['det_breakdown']['ov0.5'] == pytest.approx(np_ap(0.5, -1), rel=1e-12)
    assert res['ap_breakdown']['ov0.5_score0.25'] == pytest.approx(np_ap(0.5, 0.25), rel=1e-12)
    assert res['map'] == pytest.approx(np.mean([np_ap(o, s) for o in (0.3, 0.4, 0.5, 0.6, 0.7)
                                                for s in (0, 0.05, 0.1, 0.15, 0.2, 0.25)]), rel=1e-12)
    assert res['det_breakdown']['ov0.5'] > res['ap_breakdown']['ov0.5_score0.25']


def test_getopt():
    assert utils.getopt({'a': 0}, 'a', 5) == 0   # Lua's `v == nil` test keeps a 0
    assert utils.getopt(None, 'a', 5) == 5
    with pytest.raises(RuntimeError, match='required key b'):
        utils.getopt({'a': 1}, 'b')
    assert utils.dict_average([{'a': 1, 'b': 2}, {'a': 3, 'b': 6}]) == {'a': 2, 'b': 4}
