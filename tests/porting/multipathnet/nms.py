"""nms.c (built by the Makefile into libnms.so, which utils.lua loads through ffi): ``overlap``, ``NMS`` and
``bbox_vote`` over FloatTensors of scored boxes (n x 5: x1, y1, x2, y2, score), the C loops in Python."""


def overlap(a, b):
    a_x1, a_y1, a_x2, a_y2 = a[0], a[1], a[2], a[3]
    b_x1, b_y1, b_x2, b_y2 = b[0], b[1], b[2], b[3]

    x1 = max(a_x1, b_x1)
    y1 = max(a_y1, b_y1)
    x2 = min(a_x2, b_x2)
    y2 = min(a_y2, b_y2)

    w = x2 - x1 + 1
    h = y2 - y1 + 1

    intersection = w * h

    aarea = (a_x2 - a_x1 + 1) * (a_y2 - a_y1 + 1)
    barea = (b_x2 - b_x1 + 1) * (b_y2 - b_y1 + 1)

    if w <= 0 or h <= 0:
        return 0
    return intersection / (aarea + barea - intersection)


def NMS(keep, scored_boxes, threshold):
    N = scored_boxes.size(0) if scored_boxes.nElement() > 0 else 0
    boxes = [scored_boxes[i].totable() for i in range(N)]
    kept = []

    while boxes:
        # Greedily select the highest scoring bounding box
        best = -1
        bestS = -10000000
        for i in range(len(boxes)):
            if boxes[i][4] > bestS:
                bestS = boxes[i][4]
                best = i
        b = boxes[best]
        boxes[0], boxes[best] = boxes[best], boxes[0]
        kept.append(b)
        boxes = boxes[1:]

        # Remove all bounding boxes where the percent area of overlap is greater than overlap
        numGood = 0
        for i in range(len(boxes)):
            inter_over_union = overlap(b, boxes[i])
            if inter_over_union <= threshold:
                boxes[numGood], boxes[i] = boxes[i], boxes[numGood]
                numGood += 1
        boxes = boxes[:numGood]

    keep.resize(len(kept), 5)
    for i, k in enumerate(kept):
        keep[i].copy(type(keep)(k))


def bbox_vote(res, nms_boxes, scored_boxes, threshold):
    assert nms_boxes.isContiguous()
    assert scored_boxes.isContiguous()
    res.resizeAs(nms_boxes)
    res.zero()

    N_nms = nms_boxes.size(0) if nms_boxes.nElement() > 0 else 0
    N_boxes = scored_boxes.size(0) if scored_boxes.nElement() > 0 else 0
    nms_data = [nms_boxes[i].totable() for i in range(N_nms)]
    scored_data = [scored_boxes[j].totable() for j in range(N_boxes)]

    for i in range(N_nms):
        acc = [0.0] * 5
        for j in range(N_boxes):
            ov = overlap(scored_data[j], nms_data[i])
            if ov > threshold:
                for field in range(4):
                    acc[field] += scored_data[j][field] * scored_data[j][4]
                acc[4] += scored_data[j][4]
        for field in range(4):
            acc[field] /= acc[4]
        acc[4] = nms_data[i][4]
        res[i].copy(type(res)(acc))
