"""BatchProviderBase.lua: ``getImages`` (transform, flip, rescale and zero-pad a batch of images),
``takeSubset`` (the windows of a record's chosen boxes) and ``selectBBoxesOne`` (a random draw of windows,
their boxes scaled and flipped as their image). 0-based images, box coordinates (the Lua's
``add(-1):cmul(s):add(1)`` of 1-based ones is ``cmul(s)``; its flip ``w - x + 1`` is ``w - x - 1``) and
labels (the target class, background 0: the Lua's ``fill(1)`` plus the record's label is ``fill(0)`` plus it).
``torch.random(n)`` is ``lg.random(n)``, 0-based (0 .. n-1, docs/porting.md's Indices rows)."""
import math

import legonn as lg
from legonn import image


class BatchProviderBase:

    def getImages(self, img_ids, do_flip):
        num_images = img_ids.size(0)

        imgs = []
        im_sizes = []
        im_scales = []

        for i in range(num_images):
            im = self.dataset.getImage(int(img_ids[i]))
            im = self.image_transformer(im)
            flip = do_flip[i] == 1
            if flip:
                im = image.hflip(im)
            im_size = im[0].size()
            im_size_min = min(im_size[0], im_size[1])
            im_size_max = max(im_size[0], im_size[1])
            im_scale = self.scale / im_size_min
            aspect_jitter = 1 + (lg.uniform(-1, 1) - 0.5) * self.aspect_jitter
            scale_jitter = 1 + (lg.uniform(-1, 1) - 0.5) * self.scale_jitter
            im_scale = im_scale * scale_jitter
            im_scale = [im_scale * math.sqrt(aspect_jitter), im_scale / math.sqrt(aspect_jitter)]
            im_s = [im_size[0] * im_scale[0], im_size[1] * im_scale[0]]
            for dim in range(2):
                if im_s[dim] > self.max_size:
                    rat = im_s[dim] / self.max_size
                    im_s = [im_s[0] / rat, im_s[1] / rat]
                    im_scale = [im_scale[0] / rat, im_scale[1] / rat]
            imgs.append(image.scale(im, im_s[1], im_s[0]))
            im_sizes.append(im_s)
            im_scales.append(im_scale)
        # create single tensor with all images, padding with zero for different sizes
        im_sizes = lg.IntTensor(im_sizes)
        max_shape = im_sizes.max(0)[0][0]
        images = lg.FloatTensor(num_images, 3, max_shape[0], max_shape[1]).zero()
        for i, v in enumerate(imgs):
            images[i, :, 0:v.size(1), 0:v.size(2)].copy(v)
        return images, im_scales, im_sizes

    @staticmethod
    def takeSubset(rec, t, i, is_bg):
        idx = lg.LongTensor(t) if lg.type(t) == 'table' else t.long()
        n = idx.numel()
        if n == 0:
            return None
        if idx.dim() == 2:
            idx = idx.select(1, 0)
        window = Window(
            indexes=lg.IntTensor(n),
            rois=lg.FloatTensor(n, 4),
            labels=lg.IntTensor(n).fill(0),
            gtboxes=lg.FloatTensor(n, 4).zero(),
            size=lambda: n,
        )
        window.indexes.fill(i)
        window.rois.copy(rec.boxes.index(0, idx))
        if not is_bg:
            window.labels.add(rec.label.index(0, idx))
            corresp = rec.correspondance.index(0, idx) - 1  # the record's 1-based correspondance
            window.gtboxes.copy(rec.boxes.index(0, corresp))
        return window

    @staticmethod
    def selectBBoxesOne(bboxes, num_max, im_scale, im_size, flip):
        rois = []
        labels = []
        gtboxes = []

        n = bboxes.size()
        im_scale = lg.FloatTensor(im_scale).repeatTensor(2)

        def preprocess_bbox(dd, flip):
            dd = dd.clone().cmul(im_scale)
            if flip:
                tt = dd[0]
                dd[0] = im_size[1] - dd[2] - 1
                dd[2] = im_size[1] - tt - 1
            return dd.view(1, 4)

        for i in range(int(min(num_max, n))):
            position = lg.random(n)
            rois.append(preprocess_bbox(bboxes.rois[position], flip))
            gtboxes.append(preprocess_bbox(bboxes.gtboxes[position], flip))
            labels.append(bboxes.labels[position])

        return {
            'gtboxes': lg.FloatTensor().cat(gtboxes, 0),
            'rois': lg.FloatTensor().cat(rois, 0),
            'labels': lg.IntTensor(labels),
        }


class Window:
    """The Lua's window table ``{indexes = ..., rois = ..., labels = ..., gtboxes = ..., size = function}``."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


lg.register(BatchProviderBase, 'fbcoco.BatchProviderBase')
