"""A STAND-IN for testCoco/coco.lua, not a port: the Lua hands the detections to pycocotools' COCOeval through
fb.python (Python from Lua), which is not installed here. This computes COCOeval's two headline numbers over
the ``n x 7`` detections (image id, x, y, w, h, score, category id) for the images that have detections:
AP averaged over IoU 0.50:0.05:0.95 and AP at IoU 0.5, each the mean over categories with ground truth of
the 101-point interpolated precision, greedy matching by score (crowds and area ranges left out: the
synthetic set has none). ``evaluate`` returns ``[AP, AP50]`` (``stats[0]`` and ``stats[1]``)."""
import json

import numpy


def _iou(d, g):
    x1, y1 = max(d[0], g[0]), max(d[1], g[1])
    x2, y2 = min(d[0] + d[2], g[0] + g[2]), min(d[1] + d[3], g[1] + g[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    return inter / (d[2] * d[3] + g[2] * g[3] - inter) if inter > 0 else 0.0


class coco:

    def __init__(self, annFile):
        with open(annFile) as f:
            self.gt = json.load(f)

    def evaluate(self, res):
        dets = numpy.asarray(res.double().numpy()).reshape(-1, 7)
        img_ids = set(dets[:, 0].astype(int).tolist())
        gts = [a for a in self.gt['annotations'] if a['image_id'] in img_ids]
        stats = []
        for thresholds in (numpy.arange(0.5, 0.951, 0.05), [0.5]):
            aps = []
            for t in thresholds:
                for cat in sorted({a['category_id'] for a in gts}):
                    g = [a for a in gts if a['category_id'] == cat]
                    d = dets[dets[:, 6] == cat]
                    d = d[numpy.argsort(-d[:, 5], kind='stable')]
                    used, tp = set(), []
                    for row in d:
                        best, best_iou = None, t
                        for k, a in enumerate(g):
                            if k in used or a['image_id'] != int(row[0]):
                                continue
                            o = _iou(row[1:5], a['bbox'])
                            if o >= best_iou:
                                best, best_iou = k, o
                        tp.append(best is not None)
                        if best is not None:
                            used.add(best)
                    tp = numpy.asarray(tp, dtype=float)
                    rec = numpy.cumsum(tp) / len(g) if len(tp) else numpy.zeros(0)
                    prec = numpy.cumsum(tp) / numpy.arange(1, len(tp) + 1) if len(tp) else numpy.zeros(0)
                    prec = numpy.maximum.accumulate(prec[::-1])[::-1] if len(prec) else prec
                    ap = 0.0
                    for r in numpy.linspace(0, 1, 101):
                        k = numpy.searchsorted(rec, r, side='left')
                        ap += prec[k] if k < len(prec) else 0.0
                    aps.append(ap / 101)
            stats.append(float(numpy.mean(aps)) if aps else -1.0)
        return stats


Coco = coco
