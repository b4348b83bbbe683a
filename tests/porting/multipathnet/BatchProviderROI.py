"""BatchProviderROI.lua: Fast R-CNN's training batches: ``imgs_per_batch`` images, each with ``batch_size /
imgs_per_batch``... rois, a quarter foreground (overlap >= fg_threshold with a ground-truth box) and the rest
background (overlap in bg_threshold), with class targets and normalised box-regression targets.
``sample()`` returns ``{images, rois}`` and ``{labels, {labels, bbox targets}, g_donkey_idx}``. Targets are
0-based classes (background 0), rois ``(image, x1, y1, x2, y2)`` all 0-based. ``setupOne``'s Lua table with
keys 0 and 1 is a dict. ``torch.random(n)`` is ``lg.random(n)`` (0 .. n-1) and the flips'
``random(0, 1)`` is ``random(0, 2)`` (legonn's ``random(a, b)`` stops before ``b``, docs/porting.md's Indices row). The Lua's ``scale_jitter or 0`` (and aspect, crop) read globals never set: 0 here."""
import legonn as lg
from legonn import threads
from legonn.pl import tablex

from . import utils
from .BatchProviderBase import BatchProviderBase




class BatchProviderROI(BatchProviderBase):

    def __init__(self, dataset, imgs_per_batch, scale, max_size, transformer, fg_threshold, bg_threshold):
        assert transformer, 'must provide transformer!'

        self.dataset = dataset

        self.batch_size = 128
        self.fg_fraction = 0.25

        self.fg_threshold = fg_threshold
        self.bg_threshold = bg_threshold

        self.imgs_per_batch = imgs_per_batch or 2
        self.scale = scale or 600
        self.max_size = max_size or 1000
        self.image_transformer = transformer

        self.scale_jitter = 0     # uniformly jitter the scale by this frac
        self.aspect_jitter = 0    # uniformly jitter the scale by this frac
        self.crop_likelihood = 0  # likelihood of doing a random crop (in each dimension, independently)
        self.crop_attempts = 10   # number of attempts to try to find a valid crop
        self.crop_min_frac = 0.7  # a crop must preserve at least this fraction of the iamge

    # Prepare foreground / background rois for one image
    def setupOne(self, i):
        rec = self.dataset.attachProposals(i)

        bf = rec.overlap.ge(self.fg_threshold).nonzero()
        bg = rec.overlap.ge(self.bg_threshold[0]).cmul(rec.overlap.lt(self.bg_threshold[1])).nonzero()
        return {
            0: self.takeSubset(rec, bg, i, True),
            1: self.takeSubset(rec, bf, i, False),
        }

    # Calculate rois and supporting data for the first 1000 images
    # to compute mean/var for bbox regresion
    def setupData(self):
        regression_values = []
        subset_size = 1000
        for i in range(1000):
            v = self.setupOne(i)[1]
            if v is not None:
                regression_values.append(utils.convertTo(v.rois, v.gtboxes))
        regression_values = lg.FloatTensor().cat(regression_values, 0)

        self.bbox_regr = {
            'mean': regression_values.mean(0),
            'std': regression_values.std(0),
        }
        return self.bbox_regr

    # sample until find a valid combination of bg/fg boxes
    def permuteIdx(self):
        boxes, img_idx = [], []
        for i in range(self.imgs_per_batch):
            curr_idx = None
            bboxes = {}
            while bboxes.get(0) is None or bboxes.get(1) is None:
                curr_idx = lg.random(self.dataset.size())
                tablex.update(bboxes, self.setupOne(curr_idx))
            boxes.append(bboxes)
            img_idx.append(curr_idx)
        do_flip = lg.FloatTensor(self.imgs_per_batch).random(0, 2)
        return lg.IntTensor(img_idx), boxes, do_flip

    def selectBBoxes(self, boxes, im_scales, im_sizes, do_flip):
        rois = []
        labels = []
        gtboxes = []
        for im, v in enumerate(boxes):
            flip = do_flip[im] == 1

            bg = self.selectBBoxesOne(v[0], self.bg_num_each, im_scales[im], im_sizes[im], flip)
            fg = self.selectBBoxesOne(v[1], self.fg_num_each, im_scales[im], im_sizes[im], flip)

            imrois = lg.FloatTensor().cat(bg['rois'], fg['rois'], 0)
            imrois = lg.FloatTensor(imrois.size(0), 1).fill(im).cat(imrois, 1)
            imgtboxes = lg.FloatTensor().cat(bg['gtboxes'], fg['gtboxes'], 0)
            imlabels = lg.IntTensor().cat(bg['labels'], fg['labels'], 0)

            rois.append(imrois)
            gtboxes.append(imgtboxes)
            labels.append(imlabels)
        gtboxes = lg.FloatTensor().cat(gtboxes, 0)
        rois = lg.FloatTensor().cat(rois, 0)
        labels = lg.IntTensor().cat(labels, 0)
        return rois, labels, gtboxes

    def sample(self):
        self.fg_num_each = self.fg_fraction * self.batch_size
        self.bg_num_each = self.batch_size - self.fg_num_each

        img_idx, boxes, do_flip = self.permuteIdx()
        images, im_scales, im_sizes = self.getImages(img_idx, do_flip)
        rois, labels, gtboxes = self.selectBBoxes(boxes, im_scales, im_sizes, do_flip)

        bboxregr_vals = lg.FloatTensor(rois.size(0), 4 * (self.dataset.getNumClasses() + 1)).zero()

        for i, label in enumerate(labels.totable()):
            if label > 0:
                out = bboxregr_vals[i].narrow(0, label * 4, 4)
                utils.convertTo(out, rois[i].narrow(0, 1, 4), gtboxes[i])
                out.add(-1, self.bbox_regr['mean']).cdiv(self.bbox_regr['std'])

        batches = [images, rois]
        targets = [labels, [labels, bboxregr_vals], getattr(threads.local, "g_donkey_idx", None)]

        return batches, targets


lg.register(BatchProviderROI, 'fbcoco.BatchProviderROI')
