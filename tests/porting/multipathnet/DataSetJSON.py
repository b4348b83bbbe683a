"""DataSetJSON.lua: ``DataSetCOCO:create(name, roidbfile, nsamples, offset)``, a detection dataset over a
loader (ground-truth boxes, classes) and proposal files (``roidb``), and ``attachProposals(i)``, the record of
one image's boxes with their overlaps and labels that the batch providers sample from.

0-based: images, classes (``class_id``, ``getGTBoxes``' classes), ``offset``, box coordinates (the Lua's
``bbox:narrow(1,3,2):add(...):add(1)`` makes COCO's 0-based ``x, y, w, h`` the 1-based ``x, y, x+w+1, y+h+1``;
here every coordinate is one less: ``x - 1, y - 1, x + w, y + h``). Kept as the Lua's counts: ``rec.label``
(0 for no object, else the 0-based class plus 1, which is the background-first 0-based target) and
``rec.correspondance`` (0 for none, else the 1-based ground-truth index; ``BatchProviderBase.takeSubset``
subtracts 1 where it indexes). The Lua's module table with ``self`` is the class ``DataSetCOCO``;
``DataSetCOCO:create`` is ``DataSetCOCO().create``. ``boxes:dim() > 0`` (a test for an empty tensor, which has no
dimension in Torch7) is ``boxes.nElement() != 0`` (docs/porting.md's row).

``self.classes[i] = v.name`` of the loader's category names (strings): Lua reads a string's field through the
string library (``('dog').name`` is nil), so the Lua's classes table stays empty; Python's ``str`` has no
``name`` (an AttributeError): ``getattr(v, 'name', None)`` (docs/porting.md's row)."""
import legonn as lg
from legonn import paths

from . import utils
from .loaders.concatloader import ConcatLoader
from .loaders.dataloader import DataLoader
from .loaders.narrowloader import NarrowLoader


class DataSetCOCO:

    def create(self, name, roidbfile, nsamples=None, offset=None):
        if name == 'coco_trainval2014':
            train = DataLoader('coco_train2014')
            val = DataLoader('coco_val2014')

            dataset = ConcatLoader([train, NarrowLoader(val, 5000, val.nImages() - 5000)])
        elif name == 'coco_val5k2014':
            val = DataLoader('coco_val2014')
            dataset = NarrowLoader(val, 0, 5000)
        elif name == 'coco_val35k2014':
            val = DataLoader('coco_val2014')
            dataset = NarrowLoader(val, 5000, val.nImages() - 5000)
        elif name == 'pascal_trainval2007,2012':
            dataset = ConcatLoader([
                DataLoader('pascal_train2007'),
                DataLoader('pascal_val2007'),
                DataLoader('pascal_train2012'),
                DataLoader('pascal_val2012'),
            ])
        elif name == 'pascal_trainval2007':
            dataset = ConcatLoader([
                DataLoader('pascal_train2007'),
                DataLoader('pascal_val2007'),
            ])
        else:
            dataset = DataLoader(name)

        if offset is not None and offset != -1:
            size = dataset.nImages()
            nsamples = min(size - offset, nsamples)
            dataset = NarrowLoader(dataset, offset, nsamples)

        self.dataset_name = name
        dataset.do_normalize = False
        self.dataset = dataset
        self.classes = {}
        if getattr(dataset, 'categories', None) is not None:  # coco_test2014 does not have categories
            for i, v in enumerate(dataset.categories):
                self.classes[i] = getattr(v, 'name', None)
        self.roidbfile = roidbfile
        self.min_area = 0
        self.min_proposal_area = 0
        self.nsamples = nsamples

        self.sample_n_per_box = 0
        self.sample_sigma = 1
        self.allow_missing_proposals = True
        return self

    def allowMissingProposals(self, allow_missing_proposals):
        self.allow_missing_proposals = allow_missing_proposals
        return self

    def size(self):
        if self.nsamples is not None and self.nsamples >= 0:
            return self.nsamples
        return self.dataset.nImages()

    def getImage(self, i):
        return self.dataset.loadImage(i)

    def getNumClasses(self):
        return self.dataset.nCategories()

    def setMinArea(self, area):
        assert lg.type(area) == 'number'
        self.min_area = area

    def setMinProposalArea(self, area):
        assert lg.type(area) == 'number'
        self.min_proposal_area = area

    def getAnnotation(self, i):
        object = []
        for j, a in enumerate(self.dataset.getAnnotationsForImage(i)):
            if a['area'] > self.min_area:
                assert a['difficult'] is not None
                bbox = a['bbox'].clone().float()
                bbox.narrow(0, 2, 2).add(bbox.narrow(0, 0, 2)).add(1)
                bbox.add(-1)  # 0-based coordinates
                object.append({'bbox': bbox, 'class_id': a['category'], 'difficult': a['difficult'],
                               'iscrowd': a['iscrowd']})
        return object

    def loadAndMergeProposals(self, roidbfile):
        if isinstance(roidbfile, list):
            dt = {'boxes': [], 'scores': [], 'images': []}
            img2idx = {}
            for i in range(len(roidbfile)):
                assert roidbfile[i] and paths.filep(roidbfile[i]), \
                    'proposals file (' + roidbfile[i] + ') not found'
                dt2 = lg.load(roidbfile[i])
                for k, v in enumerate(dt2['images']):
                    if v not in img2idx:
                        dt['images'].append(v)
                        dt['boxes'].append(None)
                        dt['scores'].append(None)
                        img2idx[v] = len(dt['images']) - 1
                    idx = img2idx[v]
                    dt['boxes'][idx] = TableConcat(dt['boxes'][idx], dt2['boxes'][k])
                    if dt2.get('scores') is not None:
                        dt['scores'][idx] = TableConcat(dt['scores'][idx], dt2['scores'][k])
                    else:
                        # lets just score unscored proposals as 0
                        dt['scores'][idx] = TableConcat(dt['scores'][idx],
                                                        lg.FloatTensor(dt2['boxes'][k].size(0)).zero())
        elif isinstance(roidbfile, str):
            assert roidbfile and paths.filep(roidbfile), 'proposals file (' + roidbfile + ') not found'
            dt = lg.load(roidbfile)
        else:
            raise ValueError("???")
        return dt

    def loadROIDB(self, best_number=None):
        if getattr(self, 'roidb', None) is not None:
            return
        roidbfile = self.roidbfile

        print("Loading proposals at ", roidbfile)
        dt = self.loadAndMergeProposals(roidbfile)
        print("Done loading proposals")

        assert len(dt['boxes']) == len(dt['images'])
        print('# proposal images', len(dt['boxes']))
        print('# dataset images', self.dataset.nImages())
        if dt.get('scores') is not None:
            assert len(dt['boxes']) == len(dt['scores'])
            assert best_number is not None and lg.type(best_number) == 'number', \
                'best_number has to be a valid number, e.g. 500 or 5000'

        self.roidb = {}
        self.scoredb = {}

        print('# images', len(dt['images']))
        print('nImages', self.dataset.nImages())
        im2box = {}
        for i in range(len(dt['images'])):
            im2box[dt['images'][i]] = i

        for i in range(self.dataset.nImages()):
            file_name = self.dataset.getImage(i)['file_name']
            if not self.allow_missing_proposals:
                assert file_name in im2box, file_name + " is not in proposals"
            elif file_name not in im2box:
                print("WARNING: " + str(i) + " " + file_name + " is not in proposals")
            if file_name in im2box:
                boxes = dt['boxes'][im2box[file_name]].float()

                scores = dt['scores'][im2box[file_name]].float() if dt.get('scores') is not None else None
                scores = scores.reshape(scores.nElement()) if scores is not None else None
                boxes, scores = filterArea(boxes, scores, self.min_proposal_area)
                boxes, scores = filterScore(boxes, scores, best_number)

                boxes = lg.FloatTensor(0, 4) if boxes.size(1) != 4 else boxes.index(1, permute_tensor)
                self.roidb[i] = boxes
                self.scoredb[i] = scores

    def getROIBoxes(self, i):
        if getattr(self, 'roidb', None) is None:
            self.loadROIDB()
        assert self.roidb.get(i) is not None, "No proposals for image " + self.dataset.getImage(i)['file_name']
        return self.roidb[i]

    def getROIScores(self, i):
        if getattr(self, 'roidb', None) is None:
            self.loadROIDB()
        return self.scoredb.get(i)

    def getGTBoxes(self, i):
        anno = self.getAnnotation(i)
        valid_objects = []
        gt_boxes = lg.FloatTensor()
        gt_classes = []

        for idx, obj in enumerate(anno):
            if not obj['difficult'] or obj['difficult'] == 0 and not obj['iscrowd']:
                valid_objects.append(idx)

        gt_boxes.resize(len(valid_objects), 4)
        for idx0, idx in enumerate(valid_objects):
            gt_boxes[idx0].copy(anno[idx]['bbox'])
            gt_classes.append(anno[idx]['class_id'])
        return gt_boxes, gt_classes, valid_objects, anno

    def attachProposals(self, i):
        if getattr(self, 'roidb', None) is None:
            self.loadROIDB()

        boxes = self.getROIBoxes(i)
        # handle
        gt_boxes, gt_classes, valid_objects, anno = self.getGTBoxes(i)
        if self.sample_n_per_box > 0 and gt_boxes.numel() > 0:
            sampled = sampleAroundGTBoxes(gt_boxes, self.sample_n_per_box, self.sample_sigma)
            boxes = boxes.cat(sampled, 0)

        if anno is not None:
            if len(valid_objects) > 0 and boxes.nElement() != 0:
                all_boxes = lg.cat(gt_boxes, boxes, 0)
            elif boxes.nElement() == 0:
                all_boxes = gt_boxes
            else:
                all_boxes = boxes
        else:
            gt_boxes = lg.FloatTensor(0, 4)
            all_boxes = boxes

        num_boxes = boxes.size(0) if boxes.nElement() != 0 else 0
        num_gt_boxes = len(gt_classes)

        rec = Record()
        if num_gt_boxes > 0 and num_boxes > 0:
            rec.gt = lg.cat(lg.ByteTensor(num_gt_boxes).fill(1), lg.ByteTensor(num_boxes).fill(0))
        elif num_boxes > 0:
            rec.gt = lg.ByteTensor(num_boxes).fill(0)
        elif num_gt_boxes > 0:
            rec.gt = lg.ByteTensor(num_gt_boxes).fill(1)
        else:
            rec.gt = lg.ByteTensor(0)

        rec.overlap_class = lg.FloatTensor(num_boxes + num_gt_boxes, self.getNumClasses()).fill(0)
        rec.overlap = lg.FloatTensor(num_boxes + num_gt_boxes, num_gt_boxes).fill(0)
        for idx in range(num_gt_boxes):
            o = utils.boxoverlap(all_boxes, gt_boxes[idx])
            tmp = rec.overlap_class[:, gt_classes[idx]]  # pointer copy
            tmp[tmp.lt(o)] = o[tmp.lt(o)]
            rec.overlap[:, idx] = utils.boxoverlap(all_boxes, gt_boxes[idx])

        if num_gt_boxes > 0:
            rec.overlap, rec.correspondance = rec.overlap.max(1)
            rec.overlap = lg.squeeze(rec.overlap, 1)
            rec.correspondance = lg.squeeze(rec.correspondance, 1) + 1  # the Lua's 1-based index, 0 for none
            rec.correspondance[rec.overlap.eq(0)] = 0
        else:
            rec.overlap = lg.FloatTensor(num_boxes + num_gt_boxes).fill(0)
            rec.correspondance = lg.LongTensor(num_boxes + num_gt_boxes).fill(0)
        rec.label = lg.IntTensor(num_boxes + num_gt_boxes).fill(0)

        # handle crowds
        # find crowd boxes
        crowds = []
        for i_, v in enumerate(anno):
            if v['iscrowd']:
                crowds.append(v['bbox'])
        if len(crowds) > 0:
            # compute intersections of all objects with each crowd
            inters = lg.FloatTensor(len(crowds), all_boxes.size(0))
            for i_, v in enumerate(crowds):
                inters[i_] = utils.intersection(all_boxes, v)
            maxinters = inters.max(0)[0]
            mask = maxinters.gt(0.7).select(0, 0)
            # don't want to exclude ground truth boxes
            mask.narrow(0, 0, num_gt_boxes).fill(0)
            rec.overlap.maskedFill(mask, -1)

        for idx in range(num_boxes + num_gt_boxes):
            corr = rec.correspondance[idx]
            if corr > 0:
                obj = anno[valid_objects[corr - 1]]
                rec.label[idx] = obj['class_id'] + 1  # the Lua's 1-based class, 0 for none

        rec.boxes = all_boxes
        if num_gt_boxes > 0 and num_boxes > 0:
            rec.clss = lg.cat(lg.CharTensor(gt_classes), lg.CharTensor(num_boxes).fill(0))
        elif num_boxes > 0:
            rec.clss = lg.CharTensor(num_boxes).fill(0)
        elif num_gt_boxes > 0:
            rec.clss = lg.CharTensor(gt_classes)
        else:
            rec.clss = lg.CharTensor(0)

        rec.size = lambda: num_boxes + num_gt_boxes

        return rec


class Record:
    """The Lua's ``rec = {}`` with fields (``rec.class`` is ``rec.clss``: ``class`` is a Python keyword)."""


def TableConcat(t1, t2):
    if t1 is None or t1.nElement() == 0:
        return t2.float()
    if t2 is None or t2.nElement() == 0:
        return t1.float()
    return lg.cat(t1.float(), t2.float(), 0)


permute_tensor = lg.LongTensor([1, 0, 3, 2])


def filterScore(boxes, scores, best_number):
    if scores is None:
        return boxes, None
    if boxes.size(0) > best_number:  # select boxes with best scores
        _, idx = scores.sort(True)
        idx = idx.narrow(0, 0, best_number)
        boxes = boxes.index(0, idx)
        scores = scores.index(0, idx)
    return boxes, scores


def filterArea(boxes, scores, area):
    if area == 0:
        return boxes, scores
    else:
        assert boxes.nDimension() == 2
        wh = boxes.narrow(1, 2, 2).clone().add(-1, boxes.narrow(1, 0, 2))
        s = wh.select(1, 0).cmul(wh.select(1, 1))
        idx = s.gt(area).nonzero()
        idx = idx.view(idx.nElement())
        new_boxes = boxes.index(0, idx)
        new_scores = scores.index(0, idx) if scores is not None else None
        return new_boxes, new_scores


def sampleAroundGTBoxes(boxes, n_per_box, sigma):
    samples = lg.repeatTensor(boxes, n_per_box, 1)
    return samples.add(lg.FloatTensor(samples.size()).normal(0, sigma))
