"""DataSampler.lua: samples training/evaluation patches from COCO: mask samples (an object's jittered box, its
image crop scaled to wSz x wSz, its mask cropped to gSz x gSz as +-1 labels) and score samples (a window centred
on an object at a canonical scale, label 1, or away from every object, label -1), flipped at random and
normalised with ImageNet's mean and std.

Edits beyond syntax and indices, each marked ``# port:`` where made:

* Boxes: cropTensor turns COCO's 0-based box corner into Lua's 1-based one (``torch.round(b[1])+1``, "0 to 1
  index"); the port keeps it 0-based and writes the bounds it tests 0-based (``b[0] < 0``, ``> w - 1``).
* Fractional sizes and offsets: scoreSampling pads and crops by ``bw = isz/2`` and at ``x, y``, fractional
  numbers, which Torch7's narrow and resize truncate (a C long, generic/Tensor.c) and legonn refuses; the port
  truncates with ``int`` (docs/porting.md's fractional-range row).
* ``math.random(1, w0*2^scale)`` with a fractional upper bound (negSamplingBB): LuaJIT draws
  ``floor(r*(n-m+1)) + m``, any number of that form; Python's ``random.randint`` refuses a float, so the port
  writes LuaJIT's formula (docs/porting.md's row).
* scoreSampling's module-level ``imgPad`` is a module global, as the Lua's file-level local.
"""
import math
import random

import legonn as lg
from legonn import image, tds

from . import coco


class DataSampler:
    typename = 'DataSampler'

    # --------------------------------------------------------------------------
    # function: init
    def __init__(self, config, split):
        assert split == 'train' or split == 'val'

        # coco api
        annFile = '%s/annotations/instances_%s2014.json' % (
            config['datadir'], split)
        self.coco = coco.CocoApi(annFile)

        # mask api
        self.maskApi = coco.MaskApi

        # mean/std computed from random subset of ImageNet training images
        self.mean, self.std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]

        # class members
        self.datadir = config['datadir']
        self.split = split

        self.iSz = config['iSz']
        self.objSz = math.ceil(config['iSz'] * 128 / 224)
        self.wSz = config['iSz'] + 32
        self.gSz = config['gSz']
        self.scale = config['scale']
        self.shift = config['shift']

        self.imgIds = self.coco.getImgIds()
        self.annIds = self.coco.getAnnIds()
        self.catIds = self.coco.getCatIds()
        self.nImages = self.imgIds.size(0)

        if split == 'train': self.__size = config['maxload'] * config['batch']
        elif split == 'val': self.__size = config['testmaxload'] * config['batch']

        if config['hfreq'] > 0:
            self.scales = []  # scale range for score sampling
            scale = -3
            while scale <= 2:
                self.scales.append(scale)
                scale = scale + .25
            self.createBBstruct(self.objSz, config['scale'])

    # --------------------------------------------------------------------------
    # function: create BB struct of objects for score sampling
    # each key k contain the scale and bb information of all annotations of
    # image k
    def createBBstruct(self, objSz, scale):
        bbStruct = tds.Vec()

        for i in range(0, self.nImages):
            annIds = self.coco.getAnnIds({'imgId': self.imgIds[i]})
            bbs = {'scales': []}
            if annIds.dim() != 0:
                for i in range(0, annIds.size(0)):
                    annId = annIds[i]
                    ann = self.coco.loadAnns(annId)[0]
                    bbGt = ann['bbox']
                    x0, y0, w, h = bbGt[0], bbGt[1], bbGt[2], bbGt[3]
                    xc, yc, maxDim = x0 + w / 2, y0 + h / 2, max(w, h)

                    for s in range(-32, 32 + 1, 1):
                        if maxDim > objSz * 2 ** ((s - 1) * scale) and \
                                maxDim <= objSz * 2 ** ((s + 1) * (scale)):
                            ss = -s * scale
                            xcS, ycS = xc * 2 ** ss, yc * 2 ** ss
                            if ss not in bbs:
                                bbs[ss] = []; bbs['scales'].append(ss)
                            bbs[ss].append({0: xcS, 1: ycS, 'category_id': ann.get('category')})
                            break
            bbStruct.insert(tds.Hash(bbs))
        self.bbStruct = bbStruct

    # --------------------------------------------------------------------------
    # function: get size of epoch
    def size(self):
        return self.__size

    # --------------------------------------------------------------------------
    # function: get a sample
    def get(self, headSampling):
        if headSampling == 1:  # sample masks
            input, label = self.maskSampling()
        else:  # sample score
            input, label = self.scoreSampling()

        if lg.uniform() > .5:
            input = image.hflip(input)
            if headSampling == 1: label = image.hflip(label)

        # normalize input
        for i in range(0, 3): input.narrow(0, i, 1).add(-self.mean[i]).div(self.std[i])

        return input, label

    # --------------------------------------------------------------------------
    # function: mask sampling
    def maskSampling(self):
        iSz, wSz, gSz = self.iSz, self.wSz, self.gSz

        cat, ann = lg.random(80), None
        while not ann or ann['iscrowd'] == 1 or ann['area'] < 100 or ann['bbox'][2] < 5 \
                or ann['bbox'][3] < 5:
            catId = self.catIds[cat]
            annIds = self.coco.getAnnIds({'catId': catId})
            annid = annIds[lg.random(annIds.size(0))]
            ann = self.coco.loadAnns(annid)[0]
        bbox = self.jitterBox(ann['bbox'])
        imgName = self.coco.loadImgs(ann['image_id'])[0]['file_name']

        # input
        pathImg = '%s/%s2014/%s' % (self.datadir, self.split, imgName)
        inp = image.load(pathImg, 3)
        h, w = inp.size(1), inp.size(2)
        inp = self.cropTensor(inp, bbox, 0.5)
        inp = image.scale(inp, wSz, wSz)

        # label
        iSzR = iSz * (bbox[2] / wSz)
        xc, yc = bbox[0] + bbox[2] / 2, bbox[1] + bbox[3] / 2
        bboxInpSz = [xc - iSzR / 2, yc - iSzR / 2, iSzR, iSzR]
        lbl = self.cropMask(ann, bboxInpSz, h, w, gSz)
        lbl.mul(2).add(-1)

        return inp, lbl

    # --------------------------------------------------------------------------
    # function: score head sampler
    def scoreSampling(self, cat=None, imgId=None):
        while True:
            idx = lg.random(0, self.nImages)
            bb = self.bbStruct[idx]
            if len(bb['scales']) != 0:
                break

        imgId = self.imgIds[idx]
        imgName = self.coco.loadImgs(imgId)[0]['file_name']
        pathImg = '%s/%s2014/%s' % (self.datadir, self.split, imgName)
        img = image.load(pathImg, 3)
        h, w = img.size(1), img.size(2)

        # sample central pixel of BB to be used
        lbl = lg.Tensor(1)
        if lg.uniform() > .5:
            x, y, scale = self.posSamplingBB(bb)
            lbl.fill(1)
        else:
            x, y, scale = self.negSamplingBB(bb, w, h)
            lbl.fill(-1)

        s = 2 ** -scale
        x, y = min(max(x * s, 1), w), min(max(y * s, 1), h)
        isz = max(self.wSz * s, 10)
        bw = isz / 2

        # pad/crop/rescale
        # port: Torch7 truncates the fractional sizes and offsets (x, y, bw, isz); legonn refuses them
        imgPad.resize(3, int(h + 2 * bw), int(w + 2 * bw)).fill(.5)
        imgPad.narrow(1, int(bw + 1) - 1, h).narrow(2, int(bw + 1) - 1, w).copy(img)
        inp = imgPad.narrow(1, int(y) - 1, int(isz)).narrow(2, int(x) - 1, int(isz))
        inp = image.scale(inp, self.wSz, self.wSz)

        return inp, lbl

    # --------------------------------------------------------------------------
    # function: crop bbox b from inp tensor
    def cropTensor(self, inp, b, pad=None):
        pad = pad or 0
        # port: the box stays 0-based (Lua adds 1 here: "0 to 1 index")
        b[0], b[1] = lg.round(b[0]), lg.round(b[1])
        b[2], b[3] = lg.round(b[2]), lg.round(b[3])

        if len(inp.size()) == 3:
            ind, out = 1, lg.Tensor(inp.size(0), b[2], b[3]).fill(pad)
        elif len(inp.size()) == 2:
            ind, out = 0, lg.Tensor(b[2], b[3]).fill(pad)
        h, w = inp.size(ind), inp.size(ind + 1)

        xo1, yo1, xo2, yo2 = b[0], b[1], b[2] + b[0] - 1, b[3] + b[1] - 1
        xc1, yc1, xc2, yc2 = 0, 0, b[2] - 1, b[3] - 1

        # compute box on binary mask inp and cropped mask out
        if b[0] < 0: xo1 = 0; xc1 = 0 + (0 - b[0])
        if b[1] < 0: yo1 = 0; yc1 = 0 + (0 - b[1])
        if b[0] + b[2] - 1 > w - 1: xo2 = w - 1; xc2 = xc2 - (b[0] + b[2] - 1 - (w - 1))
        if b[1] + b[3] - 1 > h - 1: yo2 = h - 1; yc2 = yc2 - (b[1] + b[3] - 1 - (h - 1))
        xo, yo, wo, ho = xo1, yo1, xo2 - xo1 + 1, yo2 - yo1 + 1
        xc, yc, wc, hc = xc1, yc1, xc2 - xc1 + 1, yc2 - yc1 + 1
        if yc + hc - 1 > out.size(ind) - 1: hc = out.size(ind) - yc
        if xc + wc - 1 > out.size(ind + 1) - 1: wc = out.size(ind + 1) - xc
        if yo + ho - 1 > inp.size(ind) - 1: ho = inp.size(ind) - yo
        if xo + wo - 1 > inp.size(ind + 1) - 1: wo = inp.size(ind + 1) - xo
        out.narrow(ind, yc, hc); out.narrow(ind + 1, xc, wc)
        inp.narrow(ind, yo, ho); inp.narrow(ind + 1, xo, wo)
        out.narrow(ind, yc, hc).narrow(ind + 1, xc, wc).copy(
            inp.narrow(ind, yo, ho).narrow(ind + 1, xo, wo))

        return out

    # --------------------------------------------------------------------------
    # function: crop bbox from mask
    def cropMask(self, ann, bbox, h, w, sz):
        mask = lg.FloatTensor(sz, sz)
        seg = ann['segmentation']

        scale = sz / bbox[2]
        polS = {}
        for m, segm in enumerate(seg):
            polS[m] = lg.DoubleTensor().resizeAs(segm).copy(segm); polS[m].mul(scale)
        bboxS = {}
        for m in range(0, len(bbox)): bboxS[m] = bbox[m] * scale

        Rs = self.maskApi.frPoly(polS, h * scale, w * scale)
        mo = self.maskApi.decode(Rs)
        mc = self.cropTensor(mo, bboxS)
        mask.copy(image.scale(mc, sz, sz).gt(0.5))

        return mask

    # --------------------------------------------------------------------------
    # function: jitter bbox
    def jitterBox(self, box):
        x, y, w, h = box[0], box[1], box[2], box[3]
        xc, yc = x + w / 2, y + h / 2
        maxDim = max(w, h)
        scale = log2(maxDim / self.objSz)
        s = scale + lg.uniform(-self.scale, self.scale)
        xc = xc + lg.uniform(-self.shift, self.shift) * 2 ** s
        yc = yc + lg.uniform(-self.shift, self.shift) * 2 ** s
        w, h = self.wSz * 2 ** s, self.wSz * 2 ** s
        return [xc - w / 2, yc - h / 2, w, h]

    # --------------------------------------------------------------------------
    # function: posSampling: do positive sampling
    def posSamplingBB(self, bb):
        r = random.randint(1, len(bb['scales'])) - 1
        scale = bb['scales'][r]
        r = lg.random(0, len(bb[scale]))
        x, y = bb[scale][r][0], bb[scale][r][1]
        return x, y, scale

    # --------------------------------------------------------------------------
    # function: negSampling: do negative sampling
    def negSamplingBB(self, bb, w0, h0):
        negSample, c = False, 0
        while not negSample and c < 100:
            r = random.randint(1, len(self.scales)) - 1
            scale = self.scales[r]
            # port: LuaJIT's math.random(m, n) of a fractional n (no Python randint of a float)
            x, y = math.floor(random.random() * (w0 * 2 ** scale)) + 1, \
                math.floor(random.random() * (h0 * 2 ** scale)) + 1
            negSample = True
            for s in range(-10, 10 + 1):
                ss = scale + s * self.scale
                if bb[ss] is not None:
                    for _, c_ in enumerate(bb[ss]):
                        dist = math.sqrt(math.pow(x - c_[0], 2) + math.pow(y - c_[1], 2))
                        if dist < 3 * self.shift:
                            negSample = False
                            break
                if negSample == False: break
            c = c + 1
        return x, y, scale


def log2(x): return math.log(x) / math.log(2)


imgPad = lg.Tensor()
