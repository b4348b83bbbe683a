"""Tester_FRCNN.lua: runs ImageDetect over every image of a dataset, keeps each class's boxes above -1.5 after
nms (0.3), at most 100 per image, and evaluates them with testCoco. Classes and images 0-based (``img_boxes[j]``
for the 0-based class ``j``, whose scores are column ``j + 1``, the background being column 0); the boxes are
clamped to the 0-based image (``clamp(0, w - 1)`` for the Lua's ``clamp(1, w)``). ``opt`` (the Lua's global)
is the constructor's argument."""

import legonn as lg
from legonn import tds, cutorch
from legonn import threads as Threads

from . import utils
from .ImageDetect import ImageDetect
from .modules.SelectBoxes import SelectBoxes
from .testCoco import init as testCoco


class Tester_FRCNN:

    def __init__(self, module, transformer, dataset, scale, max_size, opt):
        self.dataset = dataset
        self.module = module
        self.transformer = transformer
        self.opt = opt
        if module and transformer:
            self.detec = ImageDetect(self.module, self.transformer, scale, max_size, opt)
        self.num_iter = opt.get('test_num_iterative_loc') or 1

        self.nms_thresh = opt.get('test_nms_threshold') or 0.3
        self.bbox_vote_thresh = opt.get('test_bbox_voting_nms_threshold') or 0.5

        self.threads = Threads.Threads(10, lambda *_: None)

        if module:
            self.data_parallel_n = None

            def find_dpt(m):
                if lg.type(m) == 'nn.DataParallelTable':
                    self.data_parallel_n = len(m.gpuAssignments)
            module.apply(find_dpt)
            print('data_parallel_n', self.data_parallel_n)

            # to determine num of output classes
            input = [lg.CudaTensor(self.data_parallel_n or 2, 3, 224, 224),
                     lg.Tensor([0, 0, 0, 99, 99]).view(1, 5).expand(2, 5).cuda()]
            module.forward(input)

            self.num_classes = module.output[0].size(1) - 1
            self.thresh = lg.ones(self.num_classes).mul(-1.5)

    def testOne(self, i):
        opt = self.opt
        dataset = self.dataset
        thresh = self.thresh

        img_boxes = tds.Hash()
        timer = lg.Timer()
        timer2 = lg.Timer()
        timer3 = lg.Timer()

        timer.reset()
        boxes = dataset.getROIBoxes(i).float()
        im = dataset.getImage(i)
        timer3.reset()

        all_output = []
        all_bbox_pred = []

        output, bbox_pred = self.detec.detect(im, boxes, self.data_parallel_n, True)
        num_classes = output.size(1) - 1

        # clamp predictions within image
        bbox_pred_tmp = bbox_pred.view(-1, 2)
        bbox_pred_tmp.select(1, 0).clamp(0, im.size(2) - 1)
        bbox_pred_tmp.select(1, 1).clamp(0, im.size(1) - 1)

        all_output.append(output)
        all_bbox_pred.append(bbox_pred)
        for i_ in range(1, self.num_iter):
            # have to copy to cuda because of torch/cutorch LongTensor differences
            if getattr(self, 'boxselect', None) is None:
                self.boxselect = SelectBoxes().cuda()
            new_boxes = self.boxselect.forward([output.cuda(), bbox_pred.cuda()]).float()
            output, bbox_pred = self.detec.detect(im, new_boxes, self.data_parallel_n, False)
            all_output.append(output)
            all_bbox_pred.append(bbox_pred)

        if opt.get('test_use_rbox_scores'):
            assert len(all_output) > 1
            # we use the scores from iter n+1 for the boxes at iter n
            # this means we lose one iteration worth of boxes
            all_output.pop(0)
            all_bbox_pred.pop()

        output = utils.joinTable(all_output, 0)
        bbox_pred = utils.joinTable(all_bbox_pred, 0)

        tt2 = timer3.time()['real']

        timer2.reset()
        nms_timer = lg.Timer()
        for j in range(num_classes):
            scores = output.select(1, j + 1)
            idx = lg.range(0, scores.numel() - 1).long()
            idx2 = scores.gt(thresh[j])
            idx = idx[idx2]
            scored_boxes = lg.FloatTensor(idx.numel(), 5)
            if scored_boxes.numel() > 0:
                bx = scored_boxes.narrow(1, 0, 4)
                bx.copy(bbox_pred.narrow(1, (j + 1) * 4, 4).index(0, idx))
                scored_boxes.select(1, 4).copy(scores[idx2])
            img_boxes[j] = utils.nms(scored_boxes, self.nms_thresh)
            if opt.get('test_bbox_voting'):
                rescaled_scored_boxes = scored_boxes.clone()
                scores = rescaled_scored_boxes.select(1, 4)
                scores.pow(opt.get('test_bbox_voting_score_pow') or 1)

                img_boxes[j] = utils.bbox_vote(img_boxes[j], rescaled_scored_boxes,
                                               getattr(self, 'test_bbox_voting_nms_threshold', None))
        self.threads.synchronize()
        nms_time = nms_timer.time()['real']

        if (i + 1) % 1 == 0:
            print(('test: (%s) %5d/%-5d dev: %d, forward time: %.3f, '
                   'select time: %.3fs, nms time: %.3fs, '
                   'total time: %.3fs') % (dataset.dataset_name, i + 1, dataset.size(), cutorch.getDevice(),
                                           tt2, timer2.time()['real'], nms_time, timer.time()['real']))
        return img_boxes, [output, bbox_pred]

    def test(self):
        opt = self.opt
        self.module.evaluate()
        self.dataset.loadROIDB()

        aboxes_t = tds.Hash()

        raw_output = tds.Hash()
        raw_bbox_pred = tds.Hash()

        for i in range(self.dataset.size()):
            img_boxes, raw_boxes = self.testOne(i)
            aboxes_t[i] = img_boxes
            if opt.get('test_save_raw') and opt['test_save_raw'] != '':
                raw_output[i] = raw_boxes[0].float()
                raw_bbox_pred[i] = raw_boxes[1].float()

        if opt.get('test_save_raw') and opt['test_save_raw'] != '':
            lg.save(opt['test_save_raw'], [raw_output, raw_bbox_pred])

        aboxes_t = self.keepTopKPerImage(aboxes_t, 100)  # coco only accepts 100/image
        aboxes = self.transposeBoxes(aboxes_t)
        aboxes_t = None

        return self.computeAP(aboxes)

    def keepTopKPerImage(self, aboxes_t, k):
        for j in range(self.dataset.size()):
            aboxes_t[j] = utils.keep_top_k(aboxes_t[j], k)[0]
        return aboxes_t

    def transposeBoxes(self, aboxes_t):
        aboxes = tds.Hash()
        for j in range(self.num_classes):
            aboxes[j] = tds.Hash()
            for i in range(self.dataset.size()):
                aboxes[j][i] = aboxes_t[i][j]
        return aboxes

    def computeAP(self, aboxes):
        return testCoco.evaluate(self.dataset.dataset_name, aboxes)


lg.register(Tester_FRCNN, 'fbcoco.Tester_FRCNN')
