"""A STAND-IN for ``require 'coco'`` (cocodataset/cocoapi's LuaAPI CocoApi), not a port and not part of legonn:
the deepmask port's stand-in (tests/porting/deepmask/coco.py) plus the ``data`` field of tensors that
CocoApi.lua builds from the JSON and multipathnet's loaders/loader.lua reads: ``images.{id, width, height,
file_name}``, ``annotations.{id, image_id, image_idx, bbox, area, category_idx, iscrowd}``,
``categories.id``, and ``loadCats``. ``image_idx`` and ``category_idx`` are 0-based (CocoApi.lua's are
1-based); ``file_name`` is a list of strings (CocoApi.lua's a char array that loader.lua reads with
``ffi.string``)."""
import legonn as lg

from ..deepmask import coco as deepmask_coco


class _Fields(dict):
    __getattr__ = dict.__getitem__


class CocoApi(deepmask_coco.CocoApi):

    def __init__(self, annFile):
        super().__init__(annFile)
        d = self.dataset
        img_index = {im['id']: i for i, im in enumerate(d['images'])}
        cat_index = {c['id']: i for i, c in enumerate(d['categories'])}
        anns = d['annotations']
        self.data = _Fields(
            images=_Fields(id=lg.LongTensor([im['id'] for im in d['images']]),
                           width=lg.LongTensor([im['width'] for im in d['images']]),
                           height=lg.LongTensor([im['height'] for im in d['images']]),
                           file_name=[im['file_name'] for im in d['images']]),
            annotations=_Fields(id=lg.LongTensor([a['id'] for a in anns]),
                                image_id=lg.LongTensor([a['image_id'] for a in anns]),
                                image_idx=lg.LongTensor([img_index[a['image_id']] for a in anns]),
                                bbox=lg.DoubleTensor([a['bbox'] for a in anns]),
                                area=lg.DoubleTensor([a['area'] for a in anns]),
                                category_idx=lg.LongTensor([cat_index[a['category_id']] for a in anns]),
                                iscrowd=lg.ByteTensor([a['iscrowd'] for a in anns])),
            categories=_Fields(id=lg.LongTensor([c['id'] for c in d['categories']])))

    def loadCats(self, ids):
        return [c for c in self.dataset['categories'] if c['id'] == int(ids)]
