"""A STAND-IN for the COCO API's Lua binding (cocodataset/cocoapi's LuaAPI: coco.CocoApi over a JSON file, and
coco.MaskApi over libmaskapi, a C library), not a port and not part of legonn: only the calls deepmask makes,
with their return types (ids as LongTensors, annotations as tables), over a small synthetic dataset the tests
write. Annotations are dicts (Lua's tables with fields); ``segmentation`` is a list of polygons, each a
DoubleTensor ``x1 y1 x2 y2 ...`` in 0-based pixel coordinates (as COCO's).

MaskApi's run-length encoding follows COCO's: column-major runs of 0s then 1s, ``{'size': [h, w], 'counts': ...}``
(counts as a list of ints here, where libmaskapi writes its compressed string). ``frPoly`` takes Lua's table of
polygons as a list or as a dict filled by key. ``frPoly`` rasterises each
polygon by the even-odd rule at pixel centres (libmaskapi's rleFrPoly upsamples the polygon's edges instead, so
border pixels may differ) and merges them; ``decode`` of one encoding gives a 1 x h x w ByteTensor, as
MaskApi.decode's ``#Rs == 0`` branch does."""
import json

import numpy

import legonn as lg


class CocoApi:
    """``coco.CocoApi(annFile)``: images, annotations and categories of a COCO-format JSON file."""

    def __init__(self, annFile):
        with open(annFile) as f:
            self.dataset = json.load(f)
        self.anns = {a['id']: a for a in self.dataset['annotations']}
        self.imgs = {i['id']: i for i in self.dataset['images']}

    def getImgIds(self):
        return lg.LongTensor([i['id'] for i in self.dataset['images']])

    def getCatIds(self):
        return lg.LongTensor([c['id'] for c in self.dataset['categories']])

    def getAnnIds(self, filters=None):
        filters = filters or {}
        anns = self.dataset['annotations']
        if 'imgId' in filters:
            anns = [a for a in anns if a['image_id'] == filters['imgId']]
        if 'catId' in filters:
            anns = [a for a in anns if a['category_id'] == filters['catId']]
        return lg.LongTensor([a['id'] for a in anns])

    def loadAnns(self, ids):
        ann = dict(self.anns[int(ids)])
        ann['segmentation'] = [lg.DoubleTensor(p) for p in ann['segmentation']]
        return [ann]

    def loadImgs(self, ids):
        return [dict(self.imgs[int(ids)])]


def _rle(mask):
    """COCO's run-length encoding of an h x w 0/1 array (column-major, starting with a run of 0s)."""
    flat = numpy.asarray(mask, dtype=numpy.uint8).T.reshape(-1)
    counts, value, run = [], 0, 0
    for v in flat:
        if v != value:
            counts.append(run)
            value, run = v, 0
        run += 1
    counts.append(run)
    return counts


def _unrle(counts, h, w):
    flat = numpy.zeros(h * w, dtype=numpy.uint8)
    pos = 0
    for k, c in enumerate(counts):
        if k % 2 == 1:
            flat[pos:pos + c] = 1
        pos += c
    return flat.reshape(w, h).T


class MaskApi:
    @staticmethod
    def frPoly(poly, h, w):
        h, w = int(h), int(w)
        ys, xs = numpy.mgrid[0:h, 0:w] + 0.5
        mask = numpy.zeros((h, w), dtype=bool)
        for p in (poly.values() if isinstance(poly, dict) else poly):
            xy = numpy.asarray(p.double().numpy()).reshape(-1, 2)
            inside = numpy.zeros((h, w), dtype=bool)
            for (x0, y0), (x1, y1) in zip(xy, numpy.roll(xy, -1, axis=0)):
                crosses = (y0 > ys) != (y1 > ys)
                with numpy.errstate(divide='ignore', invalid='ignore'):
                    xcross = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
                inside ^= crosses & (xs < xcross)
            mask |= inside
        return {'size': [h, w], 'counts': _rle(mask)}

    @staticmethod
    def encode(masks):
        n = masks.size(0)
        arr = masks.byte().numpy()
        return [{'size': [masks.size(1), masks.size(2)], 'counts': _rle(arr[i])} for i in range(n)]

    @staticmethod
    def decode(Rs):
        if isinstance(Rs, dict):
            Rs = [Rs]
        return lg.ByteTensor(numpy.stack([_unrle(R['counts'], *R['size']) for R in Rs]))

    @staticmethod
    def drawMasks(img, masks, maxn=None, alpha=.4):
        """Blends each of the first ``maxn`` masks into ``img`` (3 x h x w) in one colour, in place."""
        n = masks.size(0) if maxn is None else min(maxn, masks.size(0))
        for i in range(n):
            m = masks[i].float()
            for j in range(3):
                c = (i * 0.37 + j * 0.29) % 1.0
                img[j].cmul(m.clone().mul(-alpha).add(1)).add(m.clone().mul(alpha * c))
