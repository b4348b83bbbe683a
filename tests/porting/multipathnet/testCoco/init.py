"""testCoco/init.lua: ``evaluate(dataset_name, res)`` writes every class's detections (``res[class][image]``,
n x 5 0-based boxes and scores) as COCO's ``image id, x, y, w, h, score, category id`` rows and hands them to
coco.lua's evaluator (a stand-in here). The Lua's ``- 1`` ("x1 0-indexed") is dropped: the boxes are 0-based
already. Classes and images are 0-based keys. ``t:nDimension() > 0`` (Torch7's empty tensor has no dimension)
is ``t.nElement() != 0`` (docs/porting.md's row: legonn's empty tensor has one dimension of size 0)."""
import legonn as lg
from legonn import paths

from ..loaders.dataloader import DataLoader as loader
from .coco import Coco


def getAboxes(res, clss):
    if isinstance(res, str):  # res_folder
        return lg.load('%s/%.2d.t7' % (res, clss))
    elif lg.type(res) in ('table', 'tds.Hash') or isinstance(res, dict):  # table or tds.hash
        return res[clss]
    else:
        raise TypeError("Unknown res object: type " + lg.type(res))


annotations_path = 'data/annotations/'


def evaluate(dataset_name, res):
    annFile = None
    if dataset_name == 'coco_val2014':
        annFile = 'instances_val2014.json'
    elif dataset_name == 'pascal_test2007':
        annFile = 'pascal_test2007.json'
    annFile = paths.concat(annotations_path, annFile)

    dataset = loader(dataset_name)

    print("Loading COCO image ids...")
    image_ids = []
    for i in range(dataset.nImages()):
        if (i + 1) % 10000 == 0:
            print("  " + str(i + 1) + '/' + str(dataset.nImages()))
        image_ids.append(dataset.getImage(i)['id'])
    print('#image_ids', len(image_ids))

    nClasses = dataset.nCategories()

    print("Loading files to calculate sizes...")
    nboxes = 0
    for clss in range(nClasses):
        aboxes = getAboxes(res, clss)

        for _, u in aboxes.items():
            if u.nElement() != 0:
                nboxes = nboxes + u.size(0)
    print("Total boxes: " + str(nboxes))

    boxt = lg.FloatTensor(nboxes, 7)

    print("Loading files to create giant tensor...")
    offset = 0
    for clss in range(nClasses):
        aboxes = getAboxes(res, clss)
        for img, t in aboxes.items():
            if t.nElement() != 0:
                sub = boxt.narrow(0, offset, t.size(0))
                sub.select(1, 0).fill(image_ids[img])  # image ID
                sub.select(1, 1).copy(t.select(1, 0))  # x1 0-indexed
                sub.select(1, 2).copy(t.select(1, 1))  # y1 0-indexed
                sub.select(1, 3).copy(t.select(1, 2) - t.select(1, 0))  # w
                sub.select(1, 4).copy(t.select(1, 3) - t.select(1, 1))  # h
                sub.select(1, 5).copy(t.select(1, 4))  # score
                sub.select(1, 6).fill(dataset.data.categories.id[clss])  # class
                offset = offset + t.size(0)

    coco = Coco(annFile)
    return coco.evaluate(boxt)
